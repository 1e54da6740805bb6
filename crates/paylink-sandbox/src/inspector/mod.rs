//! The inspector: server-rendered HTML pages under `/_sandbox/` to look at what the sandbox
//! holds (invoices, their webhook deliveries, the clock, the request log) and to act on it with
//! plain HTML forms (pay, fail, settle, expire, advance the clock, resend a webhook). It works
//! without JavaScript and on a phone. Each form calls the same function as the JSON control
//! route for that action, then answers 303 back to the page it came from with a short flash
//! message (`?done=...` or `?error=...`).
//!
//! The pages read an [`Account`]: the pieces of one sandbox world they show. With several
//! accounts the home page picks one with `?account=NAME` (the first by default) and shows a
//! selector; an invoice's page and forms act on the account holding that invoice.

mod detail;
mod forms;
mod json;
mod layout;
mod list;
mod log;

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use paylink_fake::FakeGateway;

use super::api::InvoiceId;
use super::delivery::Deliverer;
use super::format::escape_html;
use super::requests::redact::encode_component;
use super::requests::RequestLog;
use super::{ClockMode, SandboxState};

/// The GET pages (and the JSON request log), which the request log does not record.
pub(crate) fn pages() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/_sandbox", get(home))
        .route("/_sandbox/", get(home))
        .route("/_sandbox/invoices/{id}", get(invoice))
        .route("/_sandbox/log", get(request_log))
        .route("/_sandbox/requests", get(super::requests::list))
}

/// The form actions (recorded in the request log, as the JSON controls are).
pub(crate) fn forms() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/_sandbox/forms/invoices/{id}/pay", post(forms::pay))
        .route("/_sandbox/forms/invoices/{id}/fail", post(forms::fail))
        .route("/_sandbox/forms/invoices/{id}/settle", post(forms::settle))
        .route("/_sandbox/forms/invoices/{id}/expire", post(forms::expire))
        .route("/_sandbox/forms/clock/advance", post(forms::advance))
        .route(
            "/_sandbox/forms/deliveries/resend",
            post(forms::resend_failed),
        )
        .route(
            "/_sandbox/forms/deliveries/{id}/resend",
            post(forms::resend),
        )
}

/// What the inspector shows and acts on: one sandbox world.
pub(crate) struct Account<'a> {
    /// The account's name.
    pub(crate) name: String,
    /// Every account's name, in order, when there are several (for the selector).
    pub(crate) names: Vec<String>,
    /// The engine: invoices and the clock.
    pub(crate) engine: FakeGateway,
    /// Webhook delivery and its log.
    pub(crate) deliverer: &'a Deliverer,
    /// The request log.
    pub(crate) requests: &'a RequestLog,
    /// How the clock moves.
    pub(crate) clock: ClockMode,
}

/// The account named `name` (the first when `None`); `None` for an unknown name.
pub(crate) fn account<'a>(state: &'a SandboxState, name: Option<&str>) -> Option<Account<'a>> {
    let chosen = match name {
        Some(name) => state.account(name)?,
        None => &state.accounts()[0],
    };
    Some(view(state, chosen))
}

/// The account holding the invoice `id` (the first when none does).
pub(crate) fn account_of_invoice<'a>(state: &'a SandboxState, id: &str) -> Account<'a> {
    view(state, state.account_of_invoice(id))
}

fn view<'a>(state: &'a SandboxState, chosen: &crate::state::Account) -> Account<'a> {
    let names = if state.accounts().len() > 1 {
        state
            .accounts()
            .iter()
            .map(|a| a.name().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    Account {
        name: chosen.name().to_owned(),
        names,
        engine: chosen.engine(),
        deliverer: state.deliverer(),
        requests: state.requests(),
        clock: state.config().clock,
    }
}

/// The short message a form's answer brings back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flash {
    /// What was done.
    Done(String),
    /// Why it could not be done.
    Error(String),
}

impl Flash {
    /// The flash of a page's query (`done=...` or `error=...`).
    fn from_pairs(pairs: &[(String, String)]) -> Option<Flash> {
        pairs.iter().find_map(|(k, v)| match k.as_str() {
            "error" if !v.is_empty() => Some(Flash::Error(v.clone())),
            "done" if !v.is_empty() => Some(Flash::Done(v.clone())),
            _ => None,
        })
    }
}

/// The decoded pairs of a request's query; none when it cannot be read.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default()
}

/// The first value of `name` among `pairs`, trimmed, when not empty.
pub(crate) fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The page a request shows, as a form's `back` field: its path and query without the flash.
fn page_address(uri: &Uri) -> String {
    without_flash(uri.path_and_query().map_or(uri.path(), |p| p.as_str()))
}

/// An inspector address without its `done` and `error` parameters.
fn without_flash(address: &str) -> String {
    let (path, query) = address.split_once('?').unwrap_or((address, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            key != "done" && key != "error"
        })
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Where a form's answer goes: its `back` field when that is an inspector page, else
/// `default`. Never another site (no `//host`, no scheme), never a header-breaking character.
pub(crate) fn back_to(back: Option<&str>, default: &str) -> String {
    match back {
        Some(b)
            if b.starts_with("/_sandbox")
                && !b.starts_with("//")
                && b.bytes().all(|c| c.is_ascii_graphic() && c != b'\\') =>
        {
            without_flash(b)
        }
        _ => default.to_owned(),
    }
}

/// `back` with the flash added to its query.
pub(crate) fn with_flash(back: &str, flash: &Flash) -> String {
    let (key, text) = match flash {
        Flash::Done(t) => ("done", t),
        Flash::Error(t) => ("error", t),
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}{key}={}", encode_component(text))
}

/// `GET /_sandbox/`: the clock, webhooks, the invoices (filtered, paged) and the latest
/// requests.
async fn home(State(state): State<Arc<SandboxState>>, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let mut params = list::ListParams::parse(&pairs);
    let chosen = match account(&state, params.account.as_deref()) {
        Some(chosen) => chosen,
        None => {
            params.problems.push(format!(
                "no account is named `{}`",
                params.account.take().unwrap_or_default()
            ));
            account(&state, None).unwrap_or_else(|| account_of_invoice(&state, ""))
        }
    };
    let status = if params.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let html = list::page(
        &chosen,
        &params,
        Flash::from_pairs(&pairs).as_ref(),
        &page_address(&uri),
    );
    (status, Html(html)).into_response()
}

/// `GET /_sandbox/invoices/{id}`: one invoice, its deliveries, its actions.
async fn invoice(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    uri: Uri,
) -> Response {
    let pairs = query_pairs(&uri);
    let flash = Flash::from_pairs(&pairs);
    match detail::page(
        &account_of_invoice(&state, &id),
        &id,
        flash.as_ref(),
        &page_address(&uri),
    ) {
        Some(html) => Html(html).into_response(),
        None => not_found(&id),
    }
}

/// `GET /_sandbox/log`: the request log, 50 at a time.
async fn request_log(State(state): State<Arc<SandboxState>>, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let flash = Flash::from_pairs(&pairs);
    Html(log::page(
        &account_of_invoice(&state, ""),
        &pairs,
        flash.as_ref(),
    ))
    .into_response()
}

/// The 404 page of an unknown invoice.
fn not_found(id: &str) -> Response {
    let body = format!(
        r#"<section class="card"><h1>Invoice not found</h1><p id="message">There is no invoice with id <span class="mono">{}</span> in this sandbox (a reset forgets every invoice).</p><p><a class="button secondary" href="/_sandbox/">All invoices</a></p></section>"#,
        escape_html(id)
    );
    (
        StatusCode::NOT_FOUND,
        Html(layout::document(
            "Invoice not found",
            layout::Nav::Invoices,
            None,
            &body,
        )),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_only_go_back_to_inspector_pages_without_the_old_flash() {
        let default = "/_sandbox/";
        assert_eq!(
            back_to(Some("/_sandbox/invoices/x?done=Paid&status=PAID"), default),
            "/_sandbox/invoices/x?status=PAID"
        );
        assert_eq!(back_to(Some("https://evil.example/"), default), default);
        assert_eq!(back_to(Some("//evil.example/_sandbox"), default), default);
        assert_eq!(back_to(Some("/_sandbox/\r\nx: y"), default), default);
        assert_eq!(back_to(Some("/_sandbox\\..\\x"), default), default);
        assert_eq!(back_to(None, default), default);
        assert_eq!(
            with_flash("/_sandbox/?status=PAID", &Flash::Error("a & b".into())),
            "/_sandbox/?status=PAID&error=a%20%26%20b"
        );
    }
}

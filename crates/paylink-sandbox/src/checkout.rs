//! The checkout routes: `GET /web/{id}` shows the link, `POST /web/{id}/pay` and
//! `POST /web/{id}/fail` take the buyer's choice and redirect (303) to the merchant's
//! `success_redirect_url` / `failure_redirect_url`, or to `GET /web/{id}/result`.

use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use paylink_core::ChannelCode;
use serde::Deserialize;

use super::api::InvoiceId;
use super::page::{self, Outcome};
use super::SandboxState;
use paylink_fake::{FakeError, PayWith};

/// `GET /web/{id}`.
pub(crate) async fn show(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
) -> Response {
    match state.engine_of(&id).invoice(&id) {
        Some(invoice) => Html(page::checkout_page(&invoice, None)).into_response(),
        None => unknown_link(),
    }
}

/// `POST /web/{id}/pay` with the form field `channel`.
pub(crate) async fn pay(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Response {
    attempt(&state, &id, request, Outcome::Paid).await
}

/// `POST /web/{id}/fail` with the form field `channel`.
pub(crate) async fn fail(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Response {
    attempt(&state, &id, request, Outcome::Failed).await
}

/// Query of the result page.
#[derive(Debug, Deserialize)]
pub(crate) struct ResultQuery {
    /// `paid` or `failed`.
    pub outcome: Option<String>,
}

/// `GET /web/{id}/result?outcome=paid|failed`.
pub(crate) async fn result(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    uri: Uri,
) -> Response {
    let Some(invoice) = state.engine_of(&id).invoice(&id) else {
        return unknown_link();
    };
    let failed = Query::<ResultQuery>::try_from_uri(&uri)
        .ok()
        .and_then(|Query(q)| q.outcome)
        .is_some_and(|o| o == "failed");
    let outcome = if failed {
        Outcome::Failed
    } else {
        Outcome::Paid
    };
    Html(page::result_page(&invoice, outcome)).into_response()
}

async fn attempt(state: &SandboxState, id: &str, request: Request, outcome: Outcome) -> Response {
    let engine = state.engine_of(id);
    let Some(invoice) = engine.invoice(id) else {
        return unknown_link();
    };
    let body = match state.read_body(request.into_body()).await {
        Ok(b) => b,
        Err(e) => {
            return (
                e.status(),
                Html(page::message_page(
                    "Request refused",
                    &e.api_error().message,
                )),
            )
                .into_response()
        }
    };
    let chosen = form_value(&body, "channel");
    let channel = match chosen {
        Some(c) => ChannelCode::new(c),
        None => match page::methods(&invoice).into_iter().next() {
            Some(m) => ChannelCode::new(m.channel),
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Html(page::checkout_page(
                        &invoice,
                        Some("Pick a payment method."),
                    )),
                )
                    .into_response()
            }
        },
    };
    let with = PayWith::channel(channel);
    let done = match outcome {
        Outcome::Paid => engine.pay(id, with),
        Outcome::Failed => engine.fail_payment(id, with),
    };
    match done {
        Ok(invoice) => {
            let (redirect, word) = match outcome {
                Outcome::Paid => (invoice.success_redirect_url, "paid"),
                Outcome::Failed => (invoice.failure_redirect_url, "failed"),
            };
            let to = redirect.unwrap_or_else(|| format!("/web/{id}/result?outcome={word}"));
            Redirect::to(&to).into_response()
        }
        Err(e) => {
            let status = match e {
                FakeError::NotFound { .. } => return unknown_link(),
                FakeError::ChannelNotOffered { .. } | FakeError::UnknownChannel { .. } => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::CONFLICT,
            };
            let current = engine.invoice(id).unwrap_or(invoice);
            let notice = match e {
                FakeError::Expired { .. } => "This link has expired and cannot be paid.".to_owned(),
                FakeError::AlreadyPaid { .. } => "This link has already been paid.".to_owned(),
                other => other.to_string(),
            };
            (status, Html(page::checkout_page(&current, Some(&notice)))).into_response()
        }
    }
}

fn unknown_link() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page::message_page(
            "Payment link not found",
            "There is no payment link at this address.",
        )),
    )
        .into_response()
}

/// The first value of `name` in an `application/x-www-form-urlencoded` body.
fn form_value(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let uri: axum::http::Uri = format!("/?{}", text.trim()).parse().ok()?;
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&uri).ok()?;
    pairs
        .into_iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v)
}

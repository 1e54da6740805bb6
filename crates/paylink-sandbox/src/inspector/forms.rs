//! The inspector's form actions. Each reads its `application/x-www-form-urlencoded` fields,
//! calls the function the JSON control route calls for the same action, and answers 303 to
//! the page in the `back` field with a flash message: what happened, or why not.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::super::api::InvoiceId;
use super::super::control;
use super::super::error::ErrorAnswer;
use super::super::requests::redact::decode_component;
use super::super::resend::{self, DeliveryOutcome, ResendRequest};
use super::super::SandboxState;
use super::layout::{invoice_href, moment, span};
use super::{back_to, value, with_flash, Flash};
use crate::PayRequest;

/// The fields of a form body.
struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        value(&self.pairs, name)
    }
}

/// Reads a form body within the sandbox's body limit.
async fn read_form(state: &SandboxState, request: Request) -> Result<Form, ErrorAnswer> {
    let body = state.read_body(request.into_body()).await?;
    let text = String::from_utf8_lossy(&body);
    let pairs = text
        .trim()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_component(k), decode_component(v))
        })
        .collect();
    Ok(Form { pairs })
}

/// 303 to `back` with the flash.
fn answer(back: &str, flash: Flash) -> Response {
    Redirect::to(&with_flash(back, &flash)).into_response()
}

/// The flash of a refused action: `Could not settle: <the reason>`.
fn refused(what: &str, e: &ErrorAnswer) -> Flash {
    Flash::Error(format!("Could not {what}: {}", e.api_error().message))
}

/// Reads the form, then runs `act` with it; a form that cannot be read goes back with the
/// reason.
async fn with_form(
    state: &SandboxState,
    request: Request,
    default_back: &str,
    what: &str,
    act: impl FnOnce(&Form) -> Result<String, ErrorAnswer>,
) -> Response {
    let form = match read_form(state, request).await {
        Ok(f) => f,
        Err(e) => return answer(default_back, refused(what, &e)),
    };
    let back = back_to(form.get("back"), default_back);
    match act(&form) {
        Ok(done) => answer(&back, Flash::Done(done)),
        Err(e) => answer(&back, refused(what, &e)),
    }
}

/// `POST /_sandbox/forms/invoices/{id}/pay` (fields `channel`, `back`).
pub(crate) async fn pay(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Response {
    let engine = state.engine_of(&id);
    with_form(&state, request, &invoice_href(&id), "pay", |form| {
        let body = PayRequest {
            payment_method: None,
            payment_channel: form.get("channel").map(str::to_owned),
        };
        let paid = control::pay_link(&engine, &id, body)?;
        Ok(format!(
            "Paid with {}: the link is {}, and its PAID webhook is on its way.",
            paid.payment_channel.as_ref().map_or("?", |c| c.as_str()),
            paid.status
        ))
    })
    .await
}

/// `POST /_sandbox/forms/invoices/{id}/fail` (fields `channel`, `back`).
pub(crate) async fn fail(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Response {
    let engine = state.engine_of(&id);
    with_form(
        &state,
        request,
        &invoice_href(&id),
        "record a failed attempt",
        |form| {
            let channel = form.get("channel").map(str::to_owned);
            let body = PayRequest {
                payment_method: None,
                payment_channel: channel.clone(),
            };
            let failed = control::fail_link(&engine, &id, body)?;
            Ok(format!(
                "Recorded a failed attempt{} ({} so far); the link is still {}.",
                channel.map(|c| format!(" with {c}")).unwrap_or_default(),
                failed.failed_attempts,
                failed.invoice.status
            ))
        },
    )
    .await
}

/// `POST /_sandbox/forms/invoices/{id}/settle` (field `back`).
pub(crate) async fn settle(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Response {
    let engine = state.engine_of(&id);
    with_form(&state, request, &invoice_href(&id), "settle", |_| {
        let settled = control::settle_link(&engine, &id)?;
        Ok(format!("Settled: the link is {}.", settled.status))
    })
    .await
}

/// `POST /_sandbox/forms/invoices/{id}/expire` (field `back`).
pub(crate) async fn expire(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Response {
    let engine = state.engine_of(&id);
    with_form(&state, request, &invoice_href(&id), "expire", |_| {
        let expired = control::expire_link(&engine, &id)?;
        Ok(format!(
            "Expired: the link is {}, and its EXPIRED webhook is on its way.",
            expired.status
        ))
    })
    .await
}

/// `POST /_sandbox/forms/clock/advance` (fields `amount`, `unit` = seconds, minutes, hours
/// or days; `back`).
pub(crate) async fn advance(State(state): State<Arc<SandboxState>>, request: Request) -> Response {
    let state_ref = &state;
    with_form(
        state_ref,
        request,
        "/_sandbox/",
        "advance the clock",
        |form| {
            let seconds = advance_seconds(form.get("amount"), form.get("unit"))?;
            let moved = control::advance_clock(state_ref, seconds);
            let expired = match moved.expired.len() {
                0 => "no link expired".to_owned(),
                1 => "1 link expired".to_owned(),
                n => format!("{n} links expired"),
            };
            Ok(format!(
                "Advanced the clock by {} to {}; {expired}.",
                span(time::Duration::seconds(
                    i64::try_from(seconds).unwrap_or(i64::MAX)
                )),
                moment(moved.now)
            ))
        },
    )
    .await
}

/// The seconds an advance form asks for.
fn advance_seconds(amount: Option<&str>, unit: Option<&str>) -> Result<u64, ErrorAnswer> {
    let amount = amount.ok_or_else(|| ErrorAnswer::invalid_field("amount", "is required"))?;
    let n: u64 = amount.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ErrorAnswer::invalid_field(
            "amount",
            format!("must be a whole number of at least 1, got `{amount}`"),
        )
    })?;
    let per = match unit.unwrap_or("hours") {
        "seconds" => 1,
        "minutes" => 60,
        "hours" => 3600,
        "days" => 86_400,
        other => {
            return Err(ErrorAnswer::invalid_field(
                "unit",
                format!("must be seconds, minutes, hours or days, got `{other}`"),
            ))
        }
    };
    // Ten thousand years is past the end of the clock's range anyway.
    n.checked_mul(per)
        .filter(|s| *s <= 10_000 * 366 * 86_400)
        .ok_or_else(|| {
            ErrorAnswer::invalid_field(
                "amount",
                format!("is too large: {amount} {}", unit.unwrap_or("hours")),
            )
        })
}

/// `POST /_sandbox/forms/deliveries/{id}/resend` (field `back`).
pub(crate) async fn resend(
    State(state): State<Arc<SandboxState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let form = match read_form(&state, request).await {
        Ok(f) => f,
        Err(e) => return answer("/_sandbox/", refused("resend", &e)),
    };
    let back = back_to(form.get("back"), "/_sandbox/");
    let sent = match resend::delivery_id(&id) {
        Ok(n) => resend::resend_one(state.deliverer(), n).await,
        Err(e) => Err(e),
    };
    let flash = match sent {
        Ok(a) => {
            let result = match (a.delivered, a.status, &a.error) {
                (true, Some(s), _) => format!("delivered (HTTP {s})"),
                (false, Some(s), _) => format!("not delivered: the receiver answered HTTP {s}"),
                (_, None, Some(e)) => format!("not delivered: {e}"),
                _ => "not delivered".to_owned(),
            };
            Flash::Done(format!(
                "Resent delivery {} as attempt {}: {result}.",
                a.delivery_id, a.attempt
            ))
        }
        Err(e) => refused("resend", &e),
    };
    answer(&back, flash)
}

/// `POST /_sandbox/forms/deliveries/resend` (fields `status` = DELIVERED or FAILED, `back`):
/// resends every delivery with that outcome, as `POST /_sandbox/deliveries/resend` does.
pub(crate) async fn resend_failed(
    State(state): State<Arc<SandboxState>>,
    request: Request,
) -> Response {
    let form = match read_form(&state, request).await {
        Ok(f) => f,
        Err(e) => return answer("/_sandbox/", refused("resend", &e)),
    };
    let back = back_to(form.get("back"), "/_sandbox/");
    let status = match form.get("status").map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("FAILED") => Some(DeliveryOutcome::Failed),
        Some("DELIVERED") => Some(DeliveryOutcome::Delivered),
        Some(other) => {
            let e = ErrorAnswer::invalid_field(
                "status",
                format!("must be DELIVERED or FAILED, got `{other}`"),
            );
            return answer(&back, refused("resend", &e));
        }
    };
    let filter = ResendRequest {
        status,
        account: form.get("account").map(str::to_owned),
        ..ResendRequest::default()
    };
    let flash = match resend::resend_matching(state.deliverer(), &filter).await {
        Ok(r) => Flash::Done(format!(
            "Resent {} deliveries: {} delivered, {} not delivered.",
            r.resent.len(),
            r.delivered,
            r.failed
        )),
        Err(e) => refused("resend", &e),
    };
    answer(&back, flash)
}

#[cfg(test)]
mod tests {
    use super::advance_seconds;

    #[test]
    fn advance_amounts_are_checked_and_named() {
        assert_eq!(advance_seconds(Some("2"), Some("hours")).ok(), Some(7200));
        assert_eq!(advance_seconds(Some("90"), Some("seconds")).ok(), Some(90));
        let message = |a, u| {
            advance_seconds(a, u)
                .err()
                .map(|e| e.api_error().message.clone())
                .unwrap_or_default()
        };
        assert_eq!(message(None, None), r#""amount" is required"#);
        assert_eq!(
            message(Some("-1"), None),
            r#""amount" must be a whole number of at least 1, got `-1`"#
        );
        assert_eq!(
            message(Some("1"), Some("weeks")),
            r#""unit" must be seconds, minutes, hours or days, got `weeks`"#
        );
        assert!(message(Some("99999999999999"), Some("days")).contains("too large"));
    }
}

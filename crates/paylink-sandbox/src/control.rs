//! The `/_sandbox` control endpoints: pay, fail, settle and expire a link, move the clock, list
//! webhook attempts, inject faults, reset. JSON in and out; no authentication (the sandbox is a
//! local test tool). Each action is one function ([`pay_link`], [`fail_link`], [`settle_link`],
//! [`expire_link`], [`advance_clock`]) that the JSON route and the inspector's form both call.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::Json;
use paylink_core::{
    ApiError, ChannelCode, ChannelFamily, GatewayError, Invoice, Operation, PaymentMethod,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::api::{without_position, InvoiceId};
use super::client::{
    AdvanceRequest, Advanced, ClockReading, FailedPayment, FaultsApplied, FaultsRequest,
    PayRequest, ResetDone,
};
use super::delivery::DeliveryAttempt;
use super::error::ErrorAnswer;
use super::page;
use super::SandboxState;
use paylink_fake::{FakeError, FakeGateway, PayWith};

/// `POST /_sandbox/invoices/{id}/pay`.
pub(crate) async fn pay(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Result<Json<Invoice>, ErrorAnswer> {
    let body = payment(&state, request).await?;
    pay_link(&state.engine_of(&id), &id, body).map(Json)
}

/// Pays a link through the channel (or method) asked for, else the first one it offers.
///
/// # Errors
/// The refusal, as the JSON route answers it.
pub(crate) fn pay_link(
    engine: &FakeGateway,
    id: &str,
    body: PayRequest,
) -> Result<Invoice, ErrorAnswer> {
    let with = pay_with(engine, id, body)?;
    engine.pay(id, with).map_err(fake_error)
}

/// `POST /_sandbox/invoices/{id}/pay-after-expiry`: a payment that lands after the link
/// expired (a late bank transfer): the link stays EXPIRED and a PAID callback goes out.
pub(crate) async fn pay_after_expiry(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Result<Json<Invoice>, ErrorAnswer> {
    let body = payment(&state, request).await?;
    let engine = state.engine_of(&id);
    let with = pay_with(&engine, &id, body)?;
    engine
        .pay_after_expiry(&id, with)
        .map(Json)
        .map_err(fake_error)
}

/// `POST /_sandbox/invoices/{id}/fail`: a failed attempt; the link stays payable.
pub(crate) async fn fail(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
    request: Request,
) -> Result<Json<FailedPayment>, ErrorAnswer> {
    let body = payment(&state, request).await?;
    fail_link(&state.engine_of(&id), &id, body).map(Json)
}

/// Records a failed payment attempt; the link stays payable.
///
/// # Errors
/// As [`pay_link`].
pub(crate) fn fail_link(
    engine: &FakeGateway,
    id: &str,
    body: PayRequest,
) -> Result<FailedPayment, ErrorAnswer> {
    let with = pay_with(engine, id, body)?;
    let invoice = engine.fail_payment(id, with).map_err(fake_error)?;
    let failed_attempts = engine.failed_attempts(id).unwrap_or(0);
    Ok(FailedPayment {
        invoice,
        failed_attempts,
    })
}

/// The payment a pay, fail or late-payment body asks for (none: the defaults).
async fn payment(state: &SandboxState, request: Request) -> Result<PayRequest, ErrorAnswer> {
    Ok(read_json(state, request).await?.unwrap_or_default())
}

/// `POST /_sandbox/invoices/{id}/settle`.
pub(crate) async fn settle(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
) -> Result<Json<Invoice>, ErrorAnswer> {
    settle_link(&state.engine_of(&id), &id).map(Json)
}

/// Settles a paid link.
///
/// # Errors
/// 409 `INVOICE_NOT_PAID` for a PENDING link, and the other refusals.
pub(crate) fn settle_link(engine: &FakeGateway, id: &str) -> Result<Invoice, ErrorAnswer> {
    engine.settle(id).map_err(fake_error)
}

/// `POST /_sandbox/invoices/{id}/expire`: expires a PENDING link now (whatever its
/// `for-user-id`), with its EXPIRED webhook.
pub(crate) async fn expire(
    State(state): State<Arc<SandboxState>>,
    InvoiceId(id): InvoiceId,
) -> Result<Json<Invoice>, ErrorAnswer> {
    expire_link(&state.engine_of(&id), &id).map(Json)
}

/// Expires a PENDING link now.
///
/// # Errors
/// 409 `INVOICE_ALREADY_PAID` or `INVOICE_EXPIRED`, 404 for an unknown link.
pub(crate) fn expire_link(engine: &FakeGateway, id: &str) -> Result<Invoice, ErrorAnswer> {
    engine.expire(id).map_err(fake_error)
}

/// `POST /_sandbox/clock/advance`: moves the clock and expires what falls due (each expiry
/// sends its webhook).
pub(crate) async fn advance(
    State(state): State<Arc<SandboxState>>,
    request: Request,
) -> Result<Json<Advanced>, ErrorAnswer> {
    let body: Option<AdvanceRequest> = read_json(&state, request).await?;
    let Some(body) = body else {
        return Err(ErrorAnswer::invalid_field("seconds", "is required"));
    };
    Ok(Json(advance_clock(&state, body.seconds)))
}

/// Moves the clock forward `seconds` and expires what falls due.
pub(crate) fn advance_clock(state: &SandboxState, seconds: u64) -> Advanced {
    let (now, expired) = state.advance(Duration::from_secs(seconds));
    let expired = expired.into_iter().map(|i| i.id).collect();
    Advanced { now, expired }
}

/// `GET /_sandbox/clock`.
pub(crate) async fn clock(State(state): State<Arc<SandboxState>>) -> Json<ClockReading> {
    Json(ClockReading {
        now: state.engine().now(),
    })
}

/// `GET /_sandbox/deliveries`: every webhook attempt, oldest first.
pub(crate) async fn deliveries(
    State(state): State<Arc<SandboxState>>,
) -> Json<Vec<DeliveryAttempt>> {
    Json(state.deliverer().attempts())
}

/// `POST /_sandbox/faults`.
pub(crate) async fn faults(
    State(state): State<Arc<SandboxState>>,
    request: Request,
) -> Result<Json<FaultsApplied>, ErrorAnswer> {
    let body: FaultsRequest = read_json(&state, request).await?.unwrap_or_default();
    let operation = body.operation.as_deref().map(operation).transpose()?;
    let needs_operation = body.fail_next.is_some() || body.latency_ms.is_some();
    let operation = match (operation, needs_operation) {
        (Some(op), _) => Some(op),
        (None, true) => {
            return Err(ErrorAnswer::invalid_field(
                "operation",
                "is required with fail_next and latency_ms (one of create, get, list, expire)",
            ))
        }
        (None, false) => None,
    };
    let status = body.status.unwrap_or(500);
    if !(400..=599).contains(&status) {
        return Err(ErrorAnswer::invalid_field(
            "status",
            format!("must be an HTTP error status from 400 to 599, got {status}"),
        ));
    }
    let engines: Vec<paylink_fake::FakeGateway> = match body.account.as_deref() {
        Some(name) => vec![state
            .account(name)
            .ok_or_else(|| {
                ErrorAnswer::invalid_field("account", format!("no account is named `{name}`"))
            })?
            .engine()],
        None => state.accounts().iter().map(|a| a.engine()).collect(),
    };
    let mut released_held_callback = false;
    for engine in &engines {
        if body.clear {
            engine.clear_faults();
        }
        if let (Some(op), Some(n)) = (operation, body.fail_next) {
            let code = body
                .error_code
                .clone()
                .unwrap_or_else(|| default_code(status).to_owned());
            let message = body
                .message
                .clone()
                .unwrap_or_else(|| format!("Injected failure ({status} {code})"));
            let error = GatewayError::from_api(ApiError::new(status, code, message), None);
            engine.fail_next(op, n, error);
        }
        if let (Some(op), Some(ms)) = (operation, body.latency_ms) {
            engine.set_latency(op, Duration::from_millis(ms));
        }
        if let Some(n) = body.duplicate_callbacks {
            engine.duplicate_next_callbacks(n);
        }
        if let Some(n) = body.reorder_callbacks {
            engine.reorder_next_callbacks(n);
        }
        released_held_callback |= body.release_held_callback && engine.release_held_callback();
    }
    Ok(Json(FaultsApplied {
        ok: true,
        released_held_callback,
    }))
}

/// `POST /_sandbox/reset`: forgets every invoice, callback, fault and webhook attempt.
pub(crate) async fn reset(State(state): State<Arc<SandboxState>>) -> Json<ResetDone> {
    state.reset();
    Json(ResetDone {
        ok: true,
        now: state.engine().now(),
    })
}

fn operation(name: &str) -> Result<Operation, ErrorAnswer> {
    match name.to_ascii_lowercase().as_str() {
        "create" => Ok(Operation::Create),
        "get" => Ok(Operation::Get),
        "list" => Ok(Operation::List),
        "expire" => Ok(Operation::Expire),
        _ => Err(ErrorAnswer::invalid_field(
            "operation",
            format!("must be one of create, get, list, expire; got `{name}`"),
        )),
    }
}

fn default_code(status: u16) -> &'static str {
    match status {
        401 => "INVALID_API_KEY",
        403 => "REQUEST_FORBIDDEN_ERROR",
        404 => "INVOICE_NOT_FOUND_ERROR",
        429 => "RATE_LIMIT_EXCEEDED",
        400..=499 => "API_VALIDATION_ERROR",
        _ => "SERVER_ERROR",
    }
}

/// The payment to make: the channel asked for, else the first channel of the method asked for,
/// else the first channel the link offers.
fn pay_with(engine: &FakeGateway, id: &str, body: PayRequest) -> Result<PayWith, ErrorAnswer> {
    let method = body.payment_method.as_deref().map(PaymentMethod::from);
    let channel = match body.payment_channel {
        Some(c) => ChannelCode::new(c),
        None => {
            let invoice = engine
                .invoice(id)
                .ok_or_else(ErrorAnswer::invoice_not_found)?;
            let family = method.as_ref().and_then(ChannelFamily::of_method);
            page::methods(&invoice)
                .into_iter()
                .map(|m| ChannelCode::new(m.channel))
                .find(|c| family.is_none() || c.family() == family)
                .ok_or_else(|| {
                    ErrorAnswer::new(
                        400,
                        "CHANNEL_NOT_OFFERED",
                        match &method {
                            Some(m) => {
                                format!("invoice {id} offers no channel of payment_method {m}")
                            }
                            None => format!("invoice {id} offers no payment channel"),
                        },
                    )
                })?
        }
    };
    let mut with = PayWith::channel(channel);
    if let Some(m) = method {
        with = with.method(m);
    }
    Ok(with)
}

/// The answer to a refused control call.
pub(crate) fn fake_error(e: FakeError) -> ErrorAnswer {
    let message = e.to_string();
    match e {
        FakeError::NotFound { .. } => ErrorAnswer::invoice_not_found(),
        FakeError::Expired { .. } => ErrorAnswer::new(409, "INVOICE_EXPIRED", message),
        FakeError::AlreadyPaid { .. } => ErrorAnswer::new(409, "INVOICE_ALREADY_PAID", message),
        FakeError::NotPaid { .. } => ErrorAnswer::new(409, "INVOICE_NOT_PAID", message),
        FakeError::NotExpired { .. } => ErrorAnswer::new(409, "INVOICE_NOT_EXPIRED", message),
        FakeError::ChannelNotOffered { .. } => {
            ErrorAnswer::new(400, "CHANNEL_NOT_OFFERED", message)
        }
        FakeError::UnknownChannel { .. } => ErrorAnswer::new(400, "UNKNOWN_CHANNEL", message),
        _ => ErrorAnswer::new(409, "INVALID_TRANSITION", message),
    }
}

/// Reads an optional JSON body: an empty body (or `null`) is `None`.
async fn read_json<T: DeserializeOwned>(
    state: &SandboxState,
    request: Request,
) -> Result<Option<T>, ErrorAnswer> {
    let body = state.read_body(request.into_body()).await?;
    read_control_body(&body)
}

/// Reads the body of a control endpoint as the server does: an empty or blank body (or
/// `null`) is `None`; text that is not JSON is `INVALID_JSON_FORMAT`; JSON of the wrong shape
/// (a repeated field included) is `API_VALIDATION_ERROR` naming the field. Of any JSON text it
/// reads exactly what `serde_json::from_slice` reads, so `SandboxClient` and the server agree.
///
/// # Errors
/// The answer the server sends.
pub fn read_control_body<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ErrorAnswer> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // A full parse checks the whole body is JSON; the value is then read from the text itself,
    // as the create body is (see `parse_create_body`).
    serde_json::from_slice::<Value>(body).map_err(|e| ErrorAnswer::invalid_json(&e.to_string()))?;
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ErrorAnswer::invalid_field(
            if path == "." { "body" } else { &path },
            without_position(e.inner()),
        )
    })
}

//! One `tracing` span per gateway call of the fake, with the same fields as the HTTP adapter's
//! (operation, invoice id or external id, attempts, the status Xendit would answer, latency), so
//! an application's traces look alike on either backend.

use std::future::Future;
use std::time::Instant;

use paylink_core::{GatewayError, Invoice};
use tracing::field::Empty;
use tracing::Instrument;

/// Runs one call of `operation` inside its span. `invoice_id` and `external_id` are what the
/// call is about, when known before it runs.
pub(super) async fn traced<T: Answer>(
    operation: &'static str,
    invoice_id: Option<&str>,
    external_id: Option<&str>,
    work: impl Future<Output = Result<T, GatewayError>>,
) -> Result<T, GatewayError> {
    let span = tracing::info_span!(
        "paylink.gateway",
        backend = "fake",
        operation,
        invoice_id,
        external_id,
        attempts = 1_u32,
        status = Empty,
        latency_ms = Empty,
        error = Empty,
    );
    let started = Instant::now();
    let result = work.instrument(span.clone()).await;
    let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("latency_ms", latency);
    match &result {
        Ok(answer) => {
            span.record("status", 200_u16);
            if let Some(id) = answer.invoice_id() {
                span.record("invoice_id", id);
            }
        }
        Err(e) => {
            if let Some(status) = e.status() {
                span.record("status", status);
            }
            span.record("error", tracing::field::display(e));
        }
    }
    result
}

/// What a successful call answers, for the span.
pub(super) trait Answer {
    /// The invoice id it is about, if one.
    fn invoice_id(&self) -> Option<&str>;
}

impl Answer for Invoice {
    fn invoice_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl Answer for Vec<Invoice> {
    fn invoice_id(&self) -> Option<&str> {
        None
    }
}

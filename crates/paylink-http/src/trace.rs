//! One `tracing` span per gateway call, and the call's context: when it started and how many
//! requests it sent. The span carries the operation, the invoice id or external id, the
//! requests sent (retries and look-ups included), the last HTTP status and the latency; never
//! the secret key, a header or a body.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use paylink_core::GatewayError;
use tracing::field::Empty;
use tracing::{Instrument, Span};

/// The context of one gateway call.
pub(crate) struct Call {
    pub(crate) started: Instant,
    requests: AtomicU32,
    span: Span,
}

impl Call {
    /// A call of `operation`, with its span opened.
    pub(crate) fn new(operation: &'static str) -> Self {
        let span = tracing::info_span!(
            "paylink.gateway",
            backend = "http",
            operation,
            invoice_id = Empty,
            external_id = Empty,
            attempts = Empty,
            status = Empty,
            latency_ms = Empty,
            error = Empty,
        );
        Call {
            started: Instant::now(),
            requests: AtomicU32::new(0),
            span,
        }
    }

    /// Notes the invoice id the call is about.
    pub(crate) fn invoice_id(self, id: &str) -> Self {
        self.span.record("invoice_id", id);
        self
    }

    /// Notes the external id the call is about.
    pub(crate) fn external_id(self, id: &str) -> Self {
        self.span.record("external_id", id);
        self
    }

    /// Counts a request about to be sent.
    pub(crate) fn sending(&self) {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        self.span.record("attempts", n);
    }

    /// Notes the HTTP status of an answer.
    pub(crate) fn answered(&self, status: u16) {
        self.span.record("status", status);
    }

    /// Runs the call inside its span and records how it ended.
    pub(crate) async fn run<T>(
        &self,
        work: impl Future<Output = Result<T, GatewayError>>,
        invoice_id: impl Fn(&T) -> Option<&str>,
    ) -> Result<T, GatewayError> {
        let result = work.instrument(self.span.clone()).await;
        let latency = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.span.record("latency_ms", latency);
        match &result {
            Ok(value) => {
                if let Some(id) = invoice_id(value) {
                    self.span.record("invoice_id", id);
                }
            }
            Err(e) => {
                self.span.record("error", tracing::field::display(e));
            }
        }
        result
    }
}

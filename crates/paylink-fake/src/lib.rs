//! A `Gateway` that behaves like Xendit, for tests: [`FakeGateway`] is an in-process engine
//! with a manual clock, deterministic ids, payments, expiry, settlement, fault injection and an
//! outbox of webhook callbacks. It is also the conformance suite's `Payer`
//! (`paylink_core::conformance`), and passes that suite.
//!
//! It does no I/O: no HTTP server or client is among its dependencies, so a unit test that
//! uses it stays light. `paylink-sandbox` serves it over HTTP.
#![warn(missing_docs)]

mod callback;
mod engine;
mod payer;

pub use callback::{CallbackBuildError, CallbackBuilder};
pub use engine::{
    CallbackEvent, Changes, EngineSnapshot, FailureSnapshot, FakeConfig, FakeError, FakeGateway,
    FakeGatewayBuilder, InvoiceFilter, InvoicePage, InvoiceSnapshot, PageStart, PayWith,
    PaymentSnapshot, RestoreError, SeedBatchError, SeedError, SeedInvoice,
    DEFAULT_INVOICE_BASE_URL, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, RETAIL_OUTLET_MAX_IDR,
};

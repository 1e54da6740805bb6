//! The receiving half of Xendit payment links: durable, deduplicated webhook intake, processing
//! with exactly-once effects on the application's orders, and a sweeper that asks the
//! [`Gateway`](paylink_core::Gateway) about links whose webhook never came.
//!
//! - **Receive**: [`Inbox::receive`] verifies `x-callback-token`, parses the callback and stores
//!   it with its de-duplication key in one transaction, so the caller answers 200 only once the
//!   event is durable. A duplicate is acknowledged and stored once; a refusal is kept in the
//!   rejected log with its reason and answered with the status that makes Xendit retry.
//! - **Process**: a [`Worker`] claims stored events one at a time (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL, one writer on SQLite), runs the core's [`reconcile`](paylink_core::reconcile)
//!   against the order an [`OrderHandler`] loads, lets the handler write the outcome in the
//!   same transaction, and records it. Failures retry with backoff and end in a dead-letter
//!   state that can be listed and replayed.
//! - **Sweep**: a [`Sweeper`] finds orders still PENDING past their link's expiry (or older than
//!   a configured age), reads the link and stores what it sees through the same path.
//!
//! Stores: [`MemoryStore`] (unit tests), [`SqliteStore`] (embedded, a file),
//! [`PostgresStore`] (many instances), all behind [`InboxStore`]. With the `axum` feature,
//! the `axum` module mounts the webhook endpoint; with `conformance`, the `conformance`
//! module holds the checks every store passes.
//!
//! An application supplies an [`OrderHandler`] over its store's transaction type and runs
//! workers beside the webhook route:
//!
//! ```
//! use std::sync::Arc;
//! use paylink_core::{CallbackToken, Currency, InvoiceEvent, LinkState};
//! use paylink_inbox::{
//!     HandlerError, Inbox, LocalOrder, MemoryStore, MemoryTx, OrderHandler, Outcome, Worker,
//! };
//!
//! struct Orders;
//!
//! #[async_trait::async_trait]
//! impl OrderHandler<MemoryTx> for Orders {
//!     async fn load(&self, _tx: &mut MemoryTx, event: &InvoiceEvent)
//!         -> Result<Option<LocalOrder>, HandlerError> {
//!         // Read (and lock) the order named by `event.callback.external_id`.
//!         Ok(Some(LocalOrder {
//!             invoice_id: event.callback.id.clone(),
//!             state: LinkState::Pending,
//!             amount: event.callback.amount,
//!             currency: Currency::Idr,
//!         }))
//!     }
//!     async fn apply(&self, tx: &mut MemoryTx, _event: &InvoiceEvent, _order: &LocalOrder,
//!         outcome: &Outcome) -> Result<(), HandlerError> {
//!         let to = outcome.new_state();
//!         tx.on_commit(move || println!("order moves to {to:?}"));
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let inbox = Inbox::new(MemoryStore::new(), CallbackToken::from_static("token"));
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-callback-token", http::HeaderValue::from_static("token"));
//! let body = br#"{"id":"inv-1","external_id":"order-1","user_id":"u","status":"PAID",
//!     "merchant_name":"m","amount":50000,"currency":"IDR","payment_method":"EWALLET",
//!     "created":"2024-11-28T06:40:26.508Z","updated":"2024-11-28T06:45:00.000Z"}"#;
//! let received = inbox.receive(&headers, body).await.expect("stored before the 200");
//! assert!(!received.duplicate);
//! let worker = Worker::new(inbox.clone(), Arc::new(Orders));
//! let processed = worker.drain().await.expect("processed");
//! assert_eq!(processed.len(), 1);
//! # });
//! ```
#![warn(missing_docs)]

#[cfg(feature = "axum")]
pub mod axum;
pub mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod process;
pub mod receive;
pub mod store;
pub mod sweep;

pub use clock::{Clock, ManualClock, SystemClock};
pub use process::{
    Backoff, HandlerError, LocalOrder, OrderHandler, Outcome, ProcessResult, Processed, Worker,
};
pub use receive::{
    dedupe_key, Inbox, InboxOptions, Received, Refusal, RefusalKind, DEFAULT_MAX_BODY_BYTES,
    WEBHOOK_ID_HEADER,
};
pub use store::memory::{MemoryStore, MemoryTx};
pub use store::postgres::PostgresStore;
pub use store::sqlite::SqliteStore;
pub use store::{
    Claim, Completion, Counts, EventFilter, EventId, EventState, Failure, InboxStore, Inserted,
    NewEvent, NewRejection, Rejection, Source, StoreError, StoredEvent,
};
pub use sweep::{PendingLink, PendingOrders, SweepError, SweepQuery, SweepReport, Sweeper};

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

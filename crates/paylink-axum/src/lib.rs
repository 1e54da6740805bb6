//! Receiving Xendit invoice webhooks in axum.
//!
//! [`XenditCallback`] is an extractor: it checks the `x-callback-token` header in constant time
//! against the [`CallbackVerifier`] it takes from the router state, reads the body up to a limit
//! (1 MiB unless told otherwise), parses it with [`paylink_core::parse_callback`], and hands the
//! handler the typed [`InvoiceEvent`](paylink_core::InvoiceEvent). What it refuses, it answers
//! with JSON through [`CallbackRejection`]: 401 for a missing or wrong token (the message never
//! shows a token), 413 for a body over the limit, 400 naming the JSON path of a bad body.
//!
//! ```
//! use std::sync::Arc;
//! use axum::extract::{FromRef, State};
//! use axum::routing::post;
//! use axum::Router;
//! use paylink_axum::{CallbackVerifier, XenditCallback};
//! use paylink_core::CallbackToken;
//!
//! #[derive(Clone)]
//! struct AppState {
//!     orders: Arc<Vec<String>>,
//!     webhooks: CallbackVerifier,
//! }
//!
//! impl FromRef<AppState> for CallbackVerifier {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.webhooks.clone()
//!     }
//! }
//!
//! async fn webhook(State(state): State<AppState>, callback: XenditCallback) -> String {
//!     format!("{} of {} orders", callback.callback.external_id, state.orders.len())
//! }
//!
//! # fn main() -> Result<(), paylink_core::BlankToken> {
//! let token = CallbackToken::new("token-from-the-dashboard")?;
//! let state = AppState {
//!     orders: Arc::new(Vec::new()),
//!     webhooks: CallbackVerifier::new(token).with_body_limit(64 * 1024),
//! };
//! let app: Router = Router::new()
//!     .route("/webhooks/xendit", post(webhook))
//!     .with_state(state);
//! # let _ = app;
//! # Ok(()) }
//! ```
//!
//! With the `testing` feature, the `testing` module delivers callbacks to a `Router` in process.
//!
//! The crate depends on `paylink-core` and axum (with none of axum's default features), never on
//! the fake or the sandbox.
#![warn(missing_docs)]

mod extract;
mod rejection;
#[cfg(feature = "testing")]
pub mod testing;

pub use extract::{CallbackVerifier, XenditCallback, DEFAULT_BODY_LIMIT};
pub use rejection::CallbackRejection;

/// The guides' code blocks are compiled and run as doc tests here, so the guides stay true.
/// They show this crate beside the fake and the HTTP gateway, which are dev-dependencies of
/// this crate only.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../../docs/getting-started.md")]
    mod getting_started {}
    #[doc = include_str!("../../../docs/going-live.md")]
    mod going_live {}
}

//! The [`Gateway`](paylink_core::Gateway) for the real Xendit Invoice API (payment links),
//! over reqwest with rustls.
//!
//! [`HttpGateway`] sends exactly what Xendit's own SDKs send, maps every answer to
//! [`GatewayError`](paylink_core::GatewayError) the way the port requires, and retries without
//! harm: reads and expire are retried on transient failures, and a create is never sent twice
//! blindly (see [`HttpGateway`]). The secret key never appears in `Debug`, logs or errors.
//!
//! ```no_run
//! use paylink_core::{CreateInvoiceRequest, Currency, Gateway, RequestOptions};
//! use paylink_http::{HttpGateway, SecretKey};
//! use rust_decimal::Decimal;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let gateway = HttpGateway::builder(SecretKey::new(std::env::var("XENDIT_SECRET_KEY")?))
//!     .build()?;
//! let request = CreateInvoiceRequest::builder("order-1", Decimal::from(50_000), Currency::Idr)
//!     .build()?;
//! let invoice = gateway.create_invoice(&request, &RequestOptions::default()).await?;
//! println!("pay at {}", invoice.invoice_url);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// `GatewayError` is the port's error type, returned unboxed by every `Gateway` method; the
// helpers that produce it return it the same way.

mod builder;
mod clock;
mod create;
mod gateway;
mod jitter;
mod key;
mod trace;
// The answer readers are public to the `fuzzing` module only.
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]
mod wire;
#[cfg(test)]
mod wire_props;

pub use builder::{
    BuildError, HttpGatewayBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LOOKUP_MARGIN, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use gateway::{HttpGateway, RetryObserver, FOR_USER_ID};
pub use key::{KeyMode, SecretKey};

/// How [`HttpGateway`] reads an answer, exposed for the fuzz targets in `fuzz/` (feature
/// `fuzzing`, off by default): [`decode`](fuzzing::decode) turns a status and a body into a
/// value or a [`GatewayError`](paylink_core::GatewayError), and the header readers turn
/// `Retry-After`, `Rate-Limit-Reset` and `Date` into waits and times. These are the functions
/// the gateway itself calls; no behaviour depends on the feature.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    pub use crate::wire::{decode, parse_http_date, parse_retry_after, parse_seconds, server_wait};
}

//! The pure domain of Xendit payment links (the Invoice API, `POST /v2/invoices`).
//!
//! This crate does no network I/O and never reads a clock: every function that depends on
//! time takes it as an argument, and the only async item is the [`Gateway`] trait that adapters
//! implement. It holds:
//!
//! - money: [`Currency`] with Xendit's scale rules, [`Money`], per-currency [`AmountLimits`];
//! - the create request: [`CreateInvoiceRequest`], built with a builder that reports every
//!   violation with its field path;
//! - the [`Invoice`] model, parsed leniently (unknown fields and codes are kept);
//! - the lifecycle state machine ([`Lifecycle`]) and [`reconcile`] for webhooks and GETs;
//! - webhook verification ([`CallbackToken`]) and parsing ([`parse_callback`]);
//! - the [`Gateway`] port with its [`GatewayError`], and the pure [`RetryPolicy`].
//!
//! With the `conformance` feature, the `conformance` module holds the checks every `Gateway`
//! must pass, for any adapter's tests.
//!
//! With the `proptest` feature, the `strategies` module holds proptest strategies for these
//! types (valid money, valid create requests, lifecycle event sequences) for downstream tests.
//!
//! ```
//! use paylink_core::{CreateInvoiceRequest, Currency};
//! use rust_decimal::Decimal;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let request = CreateInvoiceRequest::builder("order-1", Decimal::from(50_000), Currency::Idr)
//!     .payer_email("buyer@example.com")
//!     .build()?;
//! let json = serde_json::to_string(&request)?;
//! assert_eq!(json, r#"{"external_id":"order-1","amount":50000,"currency":"IDR","payer_email":"buyer@example.com"}"#);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod builder;
mod codes;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod gateway;
mod invoice;
pub mod json_amount;
mod lifecycle;
mod list_query;
mod money;
mod object_only;
mod request;
mod retry;
#[cfg(feature = "proptest")]
pub mod strategies;
mod validate;
mod webhook;

pub use builder::CreateInvoiceBuilder;
pub use codes::CHANNELS;
pub use codes::{
    BankCode, ChannelCode, ChannelFamily, ClientType, DirectDebitType, EwalletType, InvoiceStatus,
    NotificationChannel, PaylaterType, PaymentMethod, QrCodeType, RetailOutletName,
};
pub use error::{body_snippet, ApiError, ErrorSource, GatewayError, BODY_SNIPPET_BYTES};
pub use gateway::{Gateway, RequestOptions};
pub use invoice::timestamp;
pub use invoice::{
    AvailableBank, AvailableDirectDebit, AvailableEwallet, AvailablePaylater, AvailableQrCode,
    AvailableRetailOutlet, Invoice, PaymentDetails,
};
pub use lifecycle::{
    reconcile, ExpiryCause, Lifecycle, LinkEvent, LinkState, Reconciled, Transition,
    TransitionError, UnknownState,
};
pub use list_query::{ListInvoicesQuery, QueryError};
pub use money::{
    group_thousands, AmountLimits, AmountRange, Currency, Money, MoneyError, UnknownCurrency,
};
pub use request::{
    Address, CardProperties, ChannelProperties, CreateInvoiceFields, CreateInvoiceRequest,
    Customer, InstallmentConfiguration, InstallmentTerms, InvoiceFee, InvoiceItem, Metadata,
    NotificationPreference,
};
pub use request::{
    DEFAULT_INVOICE_DURATION, MAX_FEES, MAX_INVOICE_DURATION, MAX_ITEMS, MAX_METADATA_KEYS,
    MAX_METADATA_KEY_CHARS, MAX_METADATA_VALUE_CHARS, MIN_INVOICE_DURATION,
};
pub use retry::{FailedAttempt, Operation, RetryDecision, RetryPolicy};
pub use validate::{ValidationErrors, Violation};
pub use webhook::{
    parse_callback, verify_and_parse, BlankToken, CallbackToken, EventKind, InvoiceCallback,
    InvoiceEvent, Payment, WebhookError, CALLBACK_TOKEN_HEADER,
};

/// The README's code blocks are compiled as doc tests, so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme {}

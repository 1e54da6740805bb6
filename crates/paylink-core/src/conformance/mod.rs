//! The conformance suite: async checks that any [`Gateway`] must pass, so the fake, the HTTP
//! sandbox and the real adapter are proven to behave alike.
//!
//! Each check creates its own invoices with unique `external_id`s and looks only at those, so
//! the suite runs against a backend that already holds other invoices, and it never reads the
//! wall clock (times come from the invoices the backend returns). A backend is given a
//! [`Payer`] that makes a payment happen on it.
//!
//! It sits in the core, behind the `conformance` feature, beside the trait it checks, so an
//! adapter of your own runs it without depending on the fake. `paylink-fake` runs it against
//! `FakeGateway`, `paylink-sandbox` and `paylink-http` against the HTTP sandbox.
//!
//! ```
//! use paylink_core::conformance::{self, Payer};
//! use paylink_core::Gateway;
//!
//! /// In your adapter's tests: every check, failures listed by name.
//! async fn my_adapter_conforms(gateway: &dyn Gateway, payer: &dyn Payer) {
//!     if let Err(failures) = conformance::run_all(gateway, payer).await {
//!         panic!("{failures}");
//!     }
//! }
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{
    CreateInvoiceRequest, Currency, Gateway, GatewayError, Invoice, InvoiceItem, ListInvoicesQuery,
    RequestOptions,
};
use async_trait::async_trait;
use rust_decimal::Decimal;

/// The error a [`Payer`] reports.
pub type PayerError = Box<dyn std::error::Error + Send + Sync>;

/// "Pay this invoice": how the suite makes a payment happen on the backend under test (the
/// fake pays directly; the sandbox calls its control endpoint).
#[async_trait]
pub trait Payer: Send + Sync {
    /// Pays `invoice` in full through a channel it offers.
    ///
    /// # Errors
    /// Whatever kept the payment from happening.
    async fn pay(&self, invoice: &Invoice, options: &RequestOptions) -> Result<(), PayerError>;
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check's name (one of [`CHECKS`]).
    pub check: &'static str,
    /// What did not hold.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

/// Every failed check of a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Failures(pub Vec<Failure>);

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} conformance check(s) failed:", self.0.len())?;
        for failure in &self.0 {
            writeln!(f, "- {failure}")?;
        }
        Ok(())
    }
}

/// The result of one check.
pub type CheckResult = Result<(), Failure>;

/// The names of the checks [`run_all`] runs, in order.
pub const CHECKS: &[&str] = &[CREATE_THEN_GET, PAY, LIST, EXPIRE, ERRORS, SCOPE];

const CREATE_THEN_GET: &str = "create_then_get_returns_the_same_link";
const PAY: &str = "a_paid_link_reads_back_paid";
const LIST: &str = "list_filters_and_pages_newest_first";
const EXPIRE: &str = "expire_moves_only_pending_links";
const ERRORS: &str = "errors_map_to_the_same_variants";
const SCOPE: &str = "for_user_id_scopes_visibility";

/// Runs every check and collects the failures.
///
/// # Errors
/// [`Failures`] listing each check that did not hold.
pub async fn run_all<G: Gateway + ?Sized>(gateway: &G, payer: &dyn Payer) -> Result<(), Failures> {
    let results = [
        create_then_get_returns_the_same_link(gateway).await,
        a_paid_link_reads_back_paid(gateway, payer).await,
        list_filters_and_pages_newest_first(gateway, payer).await,
        expire_moves_only_pending_links(gateway, payer).await,
        errors_map_to_the_same_variants(gateway).await,
        for_user_id_scopes_visibility(gateway).await,
    ];
    let failures: Vec<Failure> = results.into_iter().filter_map(Result::err).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failures(failures))
    }
}

macro_rules! ensure {
    ($check:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::conformance::Failure { check: $check, message: format!($($fmt)+) });
        }
    };
}

mod errors;
mod links;

pub use errors::{errors_map_to_the_same_variants, for_user_id_scopes_visibility};
pub use links::{
    a_paid_link_reads_back_paid, create_then_get_returns_the_same_link,
    expire_moves_only_pending_links, list_filters_and_pages_newest_first,
};

fn fail(check: &'static str, message: String) -> Failure {
    Failure { check, message }
}

/// A tag no other run uses: per-process randomness from std plus a counter.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().build_hasher().finish();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{random:016x}-{n}")
}

fn request(check: &'static str, external_id: &str) -> Result<CreateInvoiceRequest, Failure> {
    CreateInvoiceRequest::builder(external_id, Decimal::from(150_000), Currency::Idr)
        .payer_email("buyer@example.com")
        .description("conformance")
        .invoice_duration(3_600)
        .item(InvoiceItem::new("Widget", 3, Decimal::from(50_000)))
        .metadata_entry("suite", "conformance")
        .build()
        .map_err(|e| fail(check, format!("building the request: {e}")))
}

async fn create<G: Gateway + ?Sized>(
    check: &'static str,
    gateway: &G,
    external_id: &str,
    options: &RequestOptions,
) -> Result<Invoice, Failure> {
    let req = request(check, external_id)?;
    gateway
        .create_invoice(&req, options)
        .await
        .map_err(|e| fail(check, format!("create `{external_id}` failed: {e}")))
}

fn is_xendit_id(id: &str) -> bool {
    id.len() == 24
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn ids(page: &[Invoice]) -> Vec<&str> {
    page.iter().map(|i| i.id.as_str()).collect()
}

async fn list<G: Gateway + ?Sized>(
    gateway: &G,
    opts: &RequestOptions,
    q: ListInvoicesQuery,
) -> Result<Vec<Invoice>, Failure> {
    gateway
        .list_invoices(&q, opts)
        .await
        .map_err(|e| fail(LIST, format!("list {:?} failed: {e}", q.to_pairs())))
}

fn is_not_found<T>(r: &Result<T, GatewayError>) -> bool {
    matches!(r, Err(e @ GatewayError::NotFound(_)) if e.error_code() == Some("INVOICE_NOT_FOUND_ERROR"))
}

fn is_validation<T>(r: &Result<T, GatewayError>, code: &str) -> bool {
    matches!(r, Err(e @ GatewayError::Validation(_)) if e.error_code() == Some(code))
}

fn show<T>(r: &Result<T, GatewayError>) -> String {
    match r {
        Ok(_) => "success".into(),
        Err(e) => format!("{e:?}"),
    }
}

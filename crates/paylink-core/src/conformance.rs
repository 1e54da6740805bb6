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
    AmountLimits, CreateInvoiceRequest, Currency, Gateway, GatewayError, Invoice, InvoiceItem,
    InvoiceStatus, ListInvoicesQuery, RequestOptions,
};
use async_trait::async_trait;
use rust_decimal::Decimal;
use time::Duration;

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
            return Err(Failure { check: $check, message: format!($($fmt)+) });
        }
    };
}

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

/// Create answers a PENDING link echoing the request, and get by id answers the same link.
///
/// # Errors
/// A [`Failure`] saying what differed.
pub async fn create_then_get_returns_the_same_link<G: Gateway + ?Sized>(
    gateway: &G,
) -> CheckResult {
    const C: &str = CREATE_THEN_GET;
    let external_id = unique("conf-get");
    let opts = RequestOptions::default();
    let created = create(C, gateway, &external_id, &opts).await?;
    ensure!(
        C,
        is_xendit_id(&created.id),
        "id `{}` is not 24 lowercase hex digits",
        created.id
    );
    ensure!(
        C,
        created.status == InvoiceStatus::Pending,
        "status is {}, expected PENDING",
        created.status
    );
    ensure!(
        C,
        created.external_id == external_id,
        "external_id `{}` is not the one sent",
        created.external_id
    );
    ensure!(
        C,
        created.amount == Decimal::from(150_000),
        "amount {} is not 150000",
        created.amount
    );
    ensure!(
        C,
        created.currency == Some(Currency::Idr),
        "currency {:?} is not IDR",
        created.currency
    );
    ensure!(
        C,
        created.payer_email.as_deref() == Some("buyer@example.com"),
        "payer_email not echoed"
    );
    ensure!(
        C,
        created.items.len() == 1 && created.items[0].name == "Widget",
        "items not echoed: {:?}",
        created.items
    );
    ensure!(
        C,
        created.expiry_date == created.created + Duration::seconds(3_600),
        "expiry_date {} is not created {} + invoice_duration 3600 s",
        created.expiry_date,
        created.created
    );
    ensure!(
        C,
        created.invoice_url.ends_with(&created.id),
        "invoice_url `{}` does not end with the id",
        created.invoice_url
    );
    ensure!(
        C,
        created.paid_at.is_none() && created.paid_amount.is_none(),
        "a new link has paid fields"
    );
    let got = gateway
        .get_invoice(&created.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get `{}` failed: {e}", created.id)))?;
    ensure!(
        C,
        got == created,
        "get answered a different link:\ncreated: {created:?}\ngot: {got:?}"
    );
    Ok(())
}

/// After a payment the link reads back PAID with `paid_at`, the full `paid_amount`, and the
/// method and channel it was paid with.
///
/// # Errors
/// A [`Failure`] saying what differed.
pub async fn a_paid_link_reads_back_paid<G: Gateway + ?Sized>(
    gateway: &G,
    payer: &dyn Payer,
) -> CheckResult {
    const C: &str = PAY;
    let opts = RequestOptions::default();
    let created = create(C, gateway, &unique("conf-pay"), &opts).await?;
    payer
        .pay(&created, &opts)
        .await
        .map_err(|e| fail(C, format!("paying `{}` failed: {e}", created.id)))?;
    let got = gateway
        .get_invoice(&created.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get after payment failed: {e}")))?;
    ensure!(
        C,
        got.status == InvoiceStatus::Paid,
        "status after payment is {}, expected PAID",
        got.status
    );
    ensure!(
        C,
        got.paid_amount == Some(created.amount),
        "paid_amount {:?} is not the amount {}",
        got.paid_amount,
        created.amount
    );
    ensure!(
        C,
        got.paid_at.is_some_and(|t| t >= created.created),
        "paid_at {:?} is missing or before created",
        got.paid_at
    );
    ensure!(
        C,
        got.payment_method.is_some() && got.payment_channel.is_some(),
        "payment_method or payment_channel missing"
    );
    ensure!(C, got.updated >= created.updated, "updated went backwards");
    ensure!(
        C,
        got.created == created.created && got.expiry_date == created.expiry_date,
        "created or expiry_date changed on payment"
    );
    Ok(())
}

/// List filters by `external_id`, `statuses`, `paid_*` and `created_*` windows, answers newest
/// first, honours `limit`, and pages with `last_invoice`.
///
/// # Errors
/// A [`Failure`] saying what differed.
pub async fn list_filters_and_pages_newest_first<G: Gateway + ?Sized>(
    gateway: &G,
    payer: &dyn Payer,
) -> CheckResult {
    const C: &str = LIST;
    let opts = RequestOptions::default();
    let external_id = unique("conf-list");
    let a = create(C, gateway, &external_id, &opts).await?;
    let b = create(C, gateway, &external_id, &opts).await?;
    let c = create(C, gateway, &external_id, &opts).await?;
    let base = ListInvoicesQuery {
        external_id: Some(external_id.clone()),
        ..ListInvoicesQuery::default()
    };

    let first = ListInvoicesQuery {
        limit: Some(2),
        ..base.clone()
    };
    let page1 = list(gateway, &opts, first.clone()).await?;
    ensure!(
        C,
        ids(&page1) == [c.id.as_str(), b.id.as_str()],
        "first page of 2 is {:?}, expected newest first [{}, {}]",
        ids(&page1),
        c.id,
        b.id
    );
    let Some(second) = first.next_page(&page1) else {
        return Err(fail(C, "a full first page must have a next page".into()));
    };
    ensure!(
        C,
        second.last_invoice.as_deref() == Some(b.id.as_str()),
        "cursor is not the last id of the page"
    );
    let page2 = list(gateway, &opts, second.clone()).await?;
    ensure!(
        C,
        ids(&page2) == [a.id.as_str()],
        "second page is {:?}, expected [{}]",
        ids(&page2),
        a.id
    );
    ensure!(
        C,
        second.next_page(&page2).is_none(),
        "a short page must be the last one"
    );

    payer
        .pay(&b, &opts)
        .await
        .map_err(|e| fail(C, format!("paying `{}` failed: {e}", b.id)))?;
    let paid = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            statuses: vec![InvoiceStatus::Paid],
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        ids(&paid) == [b.id.as_str()],
        "statuses=PAID gave {:?}, expected [{}]",
        ids(&paid),
        b.id
    );
    let pending = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            statuses: vec![InvoiceStatus::Pending],
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        ids(&pending) == [c.id.as_str(), a.id.as_str()],
        "statuses=PENDING gave {:?}",
        ids(&pending)
    );
    let both = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            statuses: vec![InvoiceStatus::Pending, InvoiceStatus::Paid],
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        both.len() == 3,
        "statuses=PENDING,PAID gave {} invoices, expected 3",
        both.len()
    );

    let Some(paid_at) = paid.first().and_then(|p| p.paid_at) else {
        return Err(fail(C, "the paid invoice has no paid_at".into()));
    };
    let after = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            paid_after: Some(paid_at),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        ids(&after) == [b.id.as_str()],
        "paid_after=paid_at gave {:?}, expected the paid one",
        ids(&after)
    );
    let before = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            paid_before: Some(paid_at - Duration::days(1)),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        before.is_empty(),
        "paid_before a day earlier gave {:?}",
        ids(&before)
    );
    let later = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            created_after: Some(c.created + Duration::days(1)),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        later.is_empty(),
        "created_after a day after the newest gave {:?}",
        ids(&later)
    );
    let window = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            created_after: Some(a.created),
            created_before: Some(c.created),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        window.len() == 3,
        "the created window [a, c] gave {} invoices, expected 3",
        window.len()
    );
    Ok(())
}

/// Expire moves a PENDING link to EXPIRED; expiring it again, or expiring a PAID link, is
/// `NotFound` with `INVOICE_NOT_FOUND_ERROR`.
///
/// # Errors
/// A [`Failure`] saying what differed.
pub async fn expire_moves_only_pending_links<G: Gateway + ?Sized>(
    gateway: &G,
    payer: &dyn Payer,
) -> CheckResult {
    const C: &str = EXPIRE;
    let opts = RequestOptions::default();
    let link = create(C, gateway, &unique("conf-expire"), &opts).await?;
    let expired = gateway
        .expire_invoice(&link.id, &opts)
        .await
        .map_err(|e| fail(C, format!("expire of a PENDING link failed: {e}")))?;
    ensure!(
        C,
        expired.status == InvoiceStatus::Expired,
        "expire answered {}, expected EXPIRED",
        expired.status
    );
    ensure!(C, expired.id == link.id, "expire answered another invoice");
    let got = gateway
        .get_invoice(&link.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get after expire failed: {e}")))?;
    ensure!(
        C,
        got.status == InvoiceStatus::Expired,
        "get after expire says {}",
        got.status
    );
    let again = gateway.expire_invoice(&link.id, &opts).await;
    ensure!(
        C,
        is_not_found(&again),
        "expiring an EXPIRED link gave {}, expected NotFound INVOICE_NOT_FOUND_ERROR",
        show(&again)
    );
    ensure!(
        C,
        payer.pay(&got, &opts).await.is_err(),
        "an EXPIRED link was paid"
    );

    let paid = create(C, gateway, &unique("conf-expire-paid"), &opts).await?;
    payer
        .pay(&paid, &opts)
        .await
        .map_err(|e| fail(C, format!("paying `{}` failed: {e}", paid.id)))?;
    let refused = gateway.expire_invoice(&paid.id, &opts).await;
    ensure!(
        C,
        is_not_found(&refused),
        "expiring a PAID link gave {}, expected NotFound",
        show(&refused)
    );
    let still = gateway
        .get_invoice(&paid.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get failed: {e}")))?;
    ensure!(
        C,
        still.status == InvoiceStatus::Paid,
        "a refused expire changed the link to {}",
        still.status
    );
    Ok(())
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

/// An unknown id is `NotFound` (`INVOICE_NOT_FOUND_ERROR`) on get and expire; an amount under
/// the minimum, over the maximum and an unknown payment method are `Validation` with Xendit's
/// codes; a refused create stores nothing.
///
/// # Errors
/// A [`Failure`] saying what differed.
pub async fn errors_map_to_the_same_variants<G: Gateway + ?Sized>(gateway: &G) -> CheckResult {
    const C: &str = ERRORS;
    let opts = RequestOptions::default();
    let unknown = format!("{:024x}", RandomState::new().build_hasher().finish());
    let got = gateway.get_invoice(&unknown, &opts).await;
    ensure!(
        C,
        is_not_found(&got),
        "get of an unknown id gave {}, expected NotFound INVOICE_NOT_FOUND_ERROR",
        show(&got)
    );
    let exp = gateway.expire_invoice(&unknown, &opts).await;
    ensure!(
        C,
        is_not_found(&exp),
        "expire of an unknown id gave {}, expected NotFound",
        show(&exp)
    );

    let external_id = unique("conf-errors");
    let build = |amount: i64, methods: Option<&[&str]>| {
        let mut b =
            CreateInvoiceRequest::builder(&external_id, Decimal::from(amount), Currency::Idr)
                .limits(AmountLimits::unbounded());
        if let Some(m) = methods {
            b = b.payment_methods(m.iter().copied());
        }
        b.build()
            .map_err(|e| fail(C, format!("building the request: {e}")))
    };
    let cases = [
        (build(5_000, None)?, "MINIMAL_TRANSFER_AMOUNT_ERROR"),
        (build(2_000_000_000, None)?, "MAXIMUM_TRANSFER_AMOUNT_ERROR"),
        (
            build(50_000, Some(&["NOT_A_CHANNEL"]))?,
            "UNAVAILABLE_PAYMENT_METHOD_ERROR",
        ),
    ];
    for (req, code) in cases {
        let r = gateway.create_invoice(&req, &opts).await;
        ensure!(
            C,
            is_validation(&r, code),
            "create with amount {} and methods {:?} gave {}, expected Validation {code}",
            req.fields().amount,
            req.fields().payment_methods,
            show(&r)
        );
    }
    let q = ListInvoicesQuery {
        external_id: Some(external_id.clone()),
        ..ListInvoicesQuery::default()
    };
    let stored = gateway
        .list_invoices(&q, &opts)
        .await
        .map_err(|e| fail(C, format!("list failed: {e}")))?;
    ensure!(
        C,
        stored.is_empty(),
        "refused creates stored {} invoice(s)",
        stored.len()
    );
    Ok(())
}

/// An invoice created with `for-user-id` is visible only with the same `for-user-id`: get,
/// list and expire without it do not see it.
///
/// # Errors
/// A [`Failure`] saying what differed.
pub async fn for_user_id_scopes_visibility<G: Gateway + ?Sized>(gateway: &G) -> CheckResult {
    const C: &str = SCOPE;
    let sub = RequestOptions::for_user(format!(
        "{:024x}",
        RandomState::new().build_hasher().finish()
    ));
    let none = RequestOptions::default();
    let external_id = unique("conf-scope");
    let link = create(C, gateway, &external_id, &sub).await?;
    let unscoped = gateway.get_invoice(&link.id, &none).await;
    ensure!(
        C,
        is_not_found(&unscoped),
        "get without for-user-id gave {}, expected NotFound",
        show(&unscoped)
    );
    let scoped = gateway
        .get_invoice(&link.id, &sub)
        .await
        .map_err(|e| fail(C, format!("get with the same for-user-id failed: {e}")))?;
    ensure!(
        C,
        scoped == link,
        "get with for-user-id answered a different link"
    );
    let q = ListInvoicesQuery {
        external_id: Some(external_id),
        ..ListInvoicesQuery::default()
    };
    let seen = gateway
        .list_invoices(&q, &none)
        .await
        .map_err(|e| fail(C, format!("list failed: {e}")))?;
    ensure!(
        C,
        seen.is_empty(),
        "list without for-user-id shows {:?}",
        ids(&seen)
    );
    let seen = gateway
        .list_invoices(&q, &sub)
        .await
        .map_err(|e| fail(C, format!("list failed: {e}")))?;
    ensure!(
        C,
        ids(&seen) == [link.id.as_str()],
        "list with for-user-id shows {:?}",
        ids(&seen)
    );
    let exp = gateway.expire_invoice(&link.id, &none).await;
    ensure!(
        C,
        is_not_found(&exp),
        "expire without for-user-id gave {}, expected NotFound",
        show(&exp)
    );
    Ok(())
}

//! `FakeGateway`: an in-process Xendit. It implements [`Gateway`] with Xendit's server-side
//! behaviour and adds the controls a test needs: a manual clock, payments, settlement, an
//! outbox of webhook callbacks and fault injection. Deterministic for a given seed and clock.
//!
//! Every state change goes through [`paylink_core::Lifecycle`], so the fake cannot break a
//! lifecycle rule. The engine core is synchronous (one mutex around the store); the async
//! [`Gateway`] methods only add the injected faults and latency.
//!
//! What the fake does where Xendit's behaviour is undocumented or ambiguous:
//! - IDR decimals: Xendit truncates them. [`FakeGateway::create_invoice_fields`] (the raw
//!   entry the HTTP sandbox uses) truncates an IDR `amount` to whole rupiah before anything
//!   else; a typed [`CreateInvoiceRequest`] cannot carry them at all.
//! - `GET /v2/invoices` without `limit` answers at most [`DEFAULT_LIST_LIMIT`] invoices; a
//!   `limit` above [`MAX_LIST_LIMIT`] is an `API_VALIDATION_ERROR`. An unknown or invisible
//!   `last_invoice` cursor gives an empty page.
//! - Expire answers 404 `INVOICE_NOT_FOUND_ERROR` `"Could not find and update PENDING invoice
//!   <id>"` for an unknown id too, not only for a link that is not PENDING.
//! - Ordering: newest first by creation; links created at the same instant of the manual clock
//!   are ordered by creation order.
//! - Direct debit and pay-later payments get a `payment_id` (`ddpy_<uuid>`, `plpy_<uuid>`):
//!   no real payload is known for them.

// `GatewayError` is the port's error type, returned by value everywhere in the port.

mod channels;
mod config;
mod error;
mod faults;
mod inspect;
mod outbox;
mod payload;
mod payments;
mod rng;
mod seed;
mod snapshot;
mod store;
mod trace;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{
    AmountLimits, ApiError, ChannelCode, ChannelFamily, CreateInvoiceFields, CreateInvoiceRequest,
    Currency, Gateway, GatewayError, Invoice, InvoiceStatus, Lifecycle, LinkEvent, LinkState,
    ListInvoicesQuery, Operation, PaymentDetails, PaymentMethod, RequestOptions, TransitionError,
};
use serde_json::Map;
use time::macros::datetime;
use time::OffsetDateTime;
use tokio::sync::mpsc;

pub use channels::RETAIL_OUTLET_MAX_IDR;
pub use outbox::CallbackEvent;
pub use seed::{SeedBatchError, SeedError, SeedInvoice};
pub use snapshot::{
    Changes, EngineSnapshot, FailureSnapshot, InvoiceSnapshot, PaymentSnapshot, RestoreError,
};

use store::{Paid, Record, State, StoredRequest};
use trace::traced;

pub use config::{FakeConfig, FakeGatewayBuilder};
use faults::Faults;

pub use error::FakeError;
pub use inspect::{InvoiceFilter, InvoicePage, PageStart};

/// The hosted checkout base of Xendit's test mode; `invoice_url` is this followed by the id.
pub const DEFAULT_INVOICE_BASE_URL: &str = "https://checkout-staging.xendit.co/web/";
/// Page size of a list without `limit`.
pub const DEFAULT_LIST_LIMIT: u32 = 10;
/// Largest accepted `limit` of a list.
pub const MAX_LIST_LIMIT: u32 = 100;

/// How a payment is made: the channel, and optionally the `payment_method` to report (by
/// default the one of the channel's family: `BANK_TRANSFER`, `EWALLET`, `QR_CODE`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayWith {
    /// The channel (`BNI`, `DANA`, `ALFAMART`, `QRIS`, `CREDIT_CARD`, `DD_BRI`, `KREDIVO`...).
    pub channel: ChannelCode,
    /// The `payment_method` to report instead of the family's default.
    pub method: Option<PaymentMethod>,
}

impl PayWith {
    /// Pays through `channel`.
    pub fn channel(channel: impl Into<ChannelCode>) -> Self {
        PayWith {
            channel: channel.into(),
            method: None,
        }
    }

    /// Reports `method` as the `payment_method` (e.g. `POOL` for a legacy VA).
    pub fn method(mut self, method: PaymentMethod) -> Self {
        self.method = Some(method);
        self
    }
}

struct Shared {
    config: FakeConfig,
    state: Mutex<State>,
    faults: Mutex<Faults>,
    changes: std::sync::atomic::AtomicU64,
}

/// An in-process Xendit: a [`Gateway`] plus the controls of a test. Cheap to clone (clones
/// share the same world); `Send + Sync`.
///
/// ```
/// use paylink_core::{CreateInvoiceRequest, Currency, Gateway, InvoiceStatus, RequestOptions};
/// use paylink_fake::{FakeGateway, PayWith};
/// use rust_decimal::Decimal;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fake = FakeGateway::builder().seed(1).build();
/// let request = CreateInvoiceRequest::builder("order-1", Decimal::from(50_000), Currency::Idr)
///     .payment_methods(["BNI", "DANA"])
///     .build()?;
/// let link = fake.create_invoice(&request, &RequestOptions::default()).await?;
/// let paid = fake.pay(&link.id, PayWith::channel("BNI"))?;
/// assert_eq!(paid.status, InvoiceStatus::Paid);
/// assert_eq!(fake.callbacks().len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FakeGateway {
    shared: Arc<Shared>,
}

impl fmt::Debug for FakeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("FakeGateway")
            .field("now", &state.now)
            .field("invoices", &state.records.len())
            .finish_non_exhaustive()
    }
}

impl Default for FakeGateway {
    fn default() -> Self {
        FakeGateway::new()
    }
}

fn stamp(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t)
}

fn not_found() -> GatewayError {
    GatewayError::NotFound(Box::new(ApiError::new(
        404,
        "INVOICE_NOT_FOUND_ERROR",
        "Invoice not found.",
    )))
}

fn expire_not_found(id: &str) -> GatewayError {
    GatewayError::NotFound(Box::new(ApiError::new(
        404,
        "INVOICE_NOT_FOUND_ERROR",
        format!("Could not find and update PENDING invoice {id}"),
    )))
}

impl FakeGateway {
    /// A gateway with the default configuration.
    pub fn new() -> Self {
        FakeGateway::with_config(FakeConfig::default())
    }

    /// A builder with the default configuration.
    pub fn builder() -> FakeGatewayBuilder {
        FakeGatewayBuilder::default()
    }

    /// A gateway with this configuration.
    pub fn with_config(mut config: FakeConfig) -> Self {
        config.start = stamp(config.start);
        let state = State::new(config.seed, config.start);
        FakeGateway {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(state),
                faults: Mutex::new(Faults::default()),
                changes: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// Forgets every invoice, callback and fault, and puts the clock back to the configured
    /// start, in place: every clone of this gateway (a handle taken before the reset) sees the
    /// empty world, and subscriptions keep receiving the callbacks that follow. Ids start over
    /// from the seed, so a reset gateway repeats the ids of a new one.
    pub fn reset(&self) {
        {
            let mut state = self.state();
            let mut fresh = State::new(self.shared.config.seed, self.shared.config.start);
            std::mem::swap(&mut state.outbox, &mut fresh.outbox);
            fresh.outbox.reset();
            fresh.outbox.take_tracked();
            fresh.tracker.on = state.tracker.on;
            fresh.tracker.reset = state.tracker.on;
            *state = fresh;
            self.changed();
        }
        *self.faults() = Faults::default();
    }

    /// The configuration.
    pub fn config(&self) -> &FakeConfig {
        &self.shared.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a record half-written (every change is
        // computed before it is stored), so a poisoned lock is still consistent.
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    // ----- clock -----

    /// The manual clock.
    pub fn now(&self) -> OffsetDateTime {
        self.state().now
    }

    /// Moves the clock forward and expires every PENDING link that falls due, oldest expiry
    /// first, each with its EXPIRED callback. Returns the links that expired. The cost grows
    /// with the number that expire, not the number stored. A duration that would carry the
    /// clock past the end of year 9999 stops it there.
    pub fn advance(&self, by: Duration) -> Vec<Invoice> {
        let mut state = self.state();
        let to = time::Duration::try_from(by)
            .ok()
            .and_then(|d| state.now.checked_add(d))
            .unwrap_or(datetime!(9999-12-31 23:59:59.999 UTC));
        state.now = to.max(state.now);
        self.changed();
        self.expire_due(&mut state)
    }

    /// Sets the clock to `to` (at or after the current time), expiring what falls due as
    /// [`FakeGateway::advance`] does.
    ///
    /// # Errors
    /// [`FakeError::TimeWentBackwards`] when `to` is before the clock.
    pub fn set_time(&self, to: OffsetDateTime) -> Result<Vec<Invoice>, FakeError> {
        let mut state = self.state();
        if to < state.now {
            return Err(FakeError::TimeWentBackwards { now: state.now, to });
        }
        state.now = to;
        self.changed();
        Ok(self.expire_due(&mut state))
    }

    /// Moves the clock up to `to` as [`FakeGateway::set_time`] does, for a clock that follows
    /// another one (the wall clock): the move alone does not count as a change for
    /// [`FakeGateway::change_count`] (a store need not keep it: it is read again from the
    /// clock followed), the links it expires do. A `to` before the clock does nothing.
    pub fn follow_clock(&self, to: OffsetDateTime) -> Vec<Invoice> {
        let mut state = self.state();
        if to <= state.now {
            return Vec::new();
        }
        state.now = to;
        let expired = self.expire_due(&mut state);
        if !expired.is_empty() {
            self.changed();
        }
        expired
    }

    fn expire_due(&self, state: &mut State) -> Vec<Invoice> {
        let now = state.now;
        let mut out = Vec::new();
        while let Some(&(at, seq)) = state.expiry.first() {
            if at > now {
                break;
            }
            state.expiry.pop_first();
            if seq as usize >= state.records.len() {
                continue;
            }
            let rec = state.record_mut(seq);
            if rec
                .lifecycle
                .apply(LinkEvent::Tick { now: stamp(now) })
                .is_err()
            {
                continue;
            }
            state.touch(seq);
            let invoice = self.build(&state.records[seq as usize]);
            self.emit(state, seq, &invoice);
            out.push(invoice);
        }
        out
    }

    // ----- reads that ignore for-user-id (control plane) -----

    /// The invoice with this id whatever its `for-user-id` (for a checkout page or a test).
    pub fn invoice(&self, id: &str) -> Option<Invoice> {
        let state = self.state();
        let seq = state.seq_of(id)?;
        Some(self.build(&state.records[seq as usize]))
    }

    /// Whether an invoice has this id (whatever its `for-user-id`).
    pub fn contains(&self, id: &str) -> bool {
        self.state().seq_of(id).is_some()
    }

    /// The channels an invoice offers, in order (what a checkout page lists).
    pub fn offered_channels(&self, id: &str) -> Option<Vec<ChannelCode>> {
        let state = self.state();
        let seq = state.seq_of(id)?;
        Some(self.offered(&state.records[seq as usize].request))
    }

    /// How many failed payment attempts an invoice has seen.
    pub fn failed_attempts(&self, id: &str) -> Option<u32> {
        let state = self.state();
        let seq = state.seq_of(id)?;
        Some(state.records[seq as usize].failed_attempts)
    }

    /// Number of stored invoices (every status, every `for-user-id`).
    pub fn len(&self) -> usize {
        self.state().records.len()
    }

    /// Whether no invoice is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ----- callbacks -----

    /// A receiver of every callback released from now on (unbounded: none is dropped).
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<CallbackEvent> {
        self.state().outbox.subscribe()
    }

    /// Every callback released so far, in order.
    pub fn callbacks(&self) -> Vec<CallbackEvent> {
        self.state().outbox.log().to_vec()
    }

    /// Forgets the callback log (subscribers are kept).
    pub fn clear_callbacks(&self) {
        self.state().outbox.clear();
    }

    /// Create from raw wire fields, as Xendit's server receives them: truncates IDR decimals,
    /// then answers `API_VALIDATION_ERROR` (400, see [`ApiError::validation`]) for shape
    /// violations, then applies the server-side checks of
    /// [`Gateway::create_invoice`]. Injected faults of [`Operation::Create`] apply.
    ///
    /// # Errors
    /// [`GatewayError::Validation`] with Xendit's code; injected faults.
    pub async fn create_invoice_fields(
        &self,
        fields: CreateInvoiceFields,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        self.before(Operation::Create).await?;
        let mut fields = fields;
        seed::truncate_idr(&mut fields);
        let request = fields
            .validate(&AmountLimits::unbounded())
            .map_err(|e| GatewayError::Validation(Box::new(validation_error(e.violations()))))?;
        self.create_now(request.into_fields(), options)
    }

    pub(crate) fn create_now(
        &self,
        fields: CreateInvoiceFields,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let config = self.config();
        channels::check_and_offer(&fields, &config.channels, &config.limits)
            .map_err(|e| GatewayError::Validation(Box::new(e)))?;
        let mut state = self.state();
        let created = stamp(state.now);
        let duration = i64::from(
            fields
                .invoice_duration
                .unwrap_or(paylink_core::DEFAULT_INVOICE_DURATION),
        );
        let expiry = created
            .checked_add(time::Duration::seconds(duration))
            .unwrap_or(created);
        let id = state.next_id(created);
        let scope = options
            .for_user_id
            .as_deref()
            .map(|s| state.interner.scope(s));
        let request = state.interner.request(fields);
        let seq = state.insert(Record {
            id,
            created,
            lifecycle: Lifecycle::new(created, expiry),
            scope,
            request,
            paid: None,
            failed_attempts: 0,
        });
        self.changed();
        Ok(self.build(&state.records[seq as usize]))
    }

    fn visible(&self, state: &State, id: &str, options: &RequestOptions) -> Option<u32> {
        let seq = state.seq_of(id)?;
        state.records[seq as usize]
            .visible_with(options.for_user_id.as_deref())
            .then_some(seq)
    }

    fn get_now(&self, id: &str, options: &RequestOptions) -> Result<Invoice, GatewayError> {
        let state = self.state();
        let seq = self.visible(&state, id, options).ok_or_else(not_found)?;
        Ok(self.build(&state.records[seq as usize]))
    }

    fn list_now(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIST_LIMIT);
        if limit == 0 || limit > MAX_LIST_LIMIT {
            return Err(GatewayError::Validation(Box::new(ApiError::validation(&[
                paylink_core::Violation {
                    path: "limit".into(),
                    message: format!("must be from 1 to {MAX_LIST_LIMIT}, got {limit}"),
                },
            ]))));
        }
        let state = self.state();
        let start = match &query.last_invoice {
            Some(cursor) => match self.visible(&state, cursor, options) {
                Some(seq) => seq as usize,
                None => return Ok(Vec::new()),
            },
            None => state.records.len(),
        };
        if query.on_demand_link.is_some()
            || (!query.client_types.is_empty()
                && !query
                    .client_types
                    .contains(&paylink_core::ClientType::ApiGateway))
        {
            return Ok(Vec::new());
        }
        let scope = options.for_user_id.as_deref();
        let mut out = Vec::new();
        for rec in state.records[..start].iter().rev() {
            if !rec.visible_with(scope)
                || query
                    .external_id
                    .as_ref()
                    .is_some_and(|e| e != rec.request.external_id())
                || (!query.statuses.is_empty()
                    && !query.statuses.contains(&rec.lifecycle.state().status()))
            {
                continue;
            }
            let invoice = self.build(rec);
            if query.matches(&invoice) {
                out.push(invoice);
                if out.len() >= limit as usize {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn expire_now(&self, id: &str, options: &RequestOptions) -> Result<Invoice, GatewayError> {
        let mut state = self.state();
        let seq = self
            .visible(&state, id, options)
            .ok_or_else(|| expire_not_found(id))?;
        let at = stamp(state.now);
        let rec = state.record_mut(seq);
        let mut lifecycle = rec.lifecycle;
        if lifecycle.state() != LinkState::Pending
            || lifecycle.apply(LinkEvent::Expire { at }).is_err()
        {
            return Err(expire_not_found(id));
        }
        let expiry = rec.lifecycle.expiry_date();
        rec.lifecycle = lifecycle;
        state.expiry.remove(&(expiry, seq));
        state.touch(seq);
        self.changed();
        let invoice = self.build(&state.records[seq as usize]);
        self.emit(&mut state, seq, &invoice);
        Ok(invoice)
    }
}

/// Xendit answers a malformed e-mail with its own code, `EMAIL_FORMAT_ERROR`; every other shape
/// violation is an `API_VALIDATION_ERROR`. Both list the violations in `errors`.
fn validation_error(violations: &[paylink_core::Violation]) -> ApiError {
    let email = |v: &paylink_core::Violation| v.path == "payer_email" || v.path == "customer.email";
    let mut error = ApiError::validation(violations);
    if !violations.is_empty() && violations.iter().all(email) {
        error.error_code = "EMAIL_FORMAT_ERROR".into();
        error.message = "Customer email format is invalid".into();
    }
    error
}

#[async_trait]
impl Gateway for FakeGateway {
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let work = async {
            self.before(Operation::Create).await?;
            self.create_now(request.fields().clone(), options)
        };
        traced("create", None, Some(request.external_id()), work).await
    }

    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let work = async {
            self.before(Operation::Get).await?;
            self.get_now(id, options)
        };
        traced("get", Some(id), None, work).await
    }

    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        let work = async {
            self.before(Operation::List).await?;
            self.list_now(query, options)
        };
        traced("list", None, query.external_id.as_deref(), work).await
    }

    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let work = async {
            self.before(Operation::Expire).await?;
            self.expire_now(id, options)
        };
        traced("expire", Some(id), None, work).await
    }
}

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
mod outbox;
mod payload;
mod rng;
mod store;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{
    AmountLimits, ApiError, BankCode, ChannelCode, ChannelFamily, CreateInvoiceFields,
    CreateInvoiceRequest, Currency, EwalletType, Gateway, GatewayError, Invoice, InvoiceStatus,
    Lifecycle, LinkEvent, LinkState, ListInvoicesQuery, Operation, PaymentDetails, PaymentMethod,
    RequestOptions, TransitionError,
};
use serde_json::{Map, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use tokio::sync::mpsc;

pub use channels::{api_validation_error, RETAIL_OUTLET_MAX_IDR};
pub use outbox::CallbackEvent;

use store::{Paid, Record, State, StoredRequest};

/// The hosted checkout base of Xendit's test mode; `invoice_url` is this followed by the id.
pub const DEFAULT_INVOICE_BASE_URL: &str = "https://checkout-staging.xendit.co/web/";
/// Page size of a list without `limit`.
pub const DEFAULT_LIST_LIMIT: u32 = 10;
/// Largest accepted `limit` of a list.
pub const MAX_LIST_LIMIT: u32 = 100;

/// The fake merchant and its world. Build one with [`FakeGateway::builder`].
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Seed of every id and generated number.
    pub seed: u64,
    /// The clock at start (kept to the millisecond).
    pub start: OffsetDateTime,
    /// `merchant_name` of every invoice.
    pub merchant_name: String,
    /// `user_id` (the business id) of invoices created without `for-user-id`.
    pub user_id: String,
    /// `merchant_profile_picture_url`.
    pub merchant_profile_picture_url: String,
    /// `invoice_url` is this followed by the invoice id.
    pub invoice_base_url: String,
    /// The channels the merchant has enabled, per currency, in the order they are offered.
    pub channels: BTreeMap<Currency, Vec<ChannelCode>>,
    /// Invoice amount limits (`MINIMAL_/MAXIMUM_TRANSFER_AMOUNT_ERROR`).
    pub limits: AmountLimits,
}

impl Default for FakeConfig {
    fn default() -> Self {
        let user_id = "62440e322008e87fb29c1fd0".to_owned();
        FakeConfig {
            seed: 0x5eed,
            start: datetime!(2024-11-28 06:40:26.508 UTC),
            merchant_name: "Paylink Test Merchant".into(),
            merchant_profile_picture_url: format!(
                "https://xnd-merchant-logos.s3.amazonaws.com/business/production/{user_id}.png"
            ),
            user_id,
            invoice_base_url: DEFAULT_INVOICE_BASE_URL.into(),
            channels: channels::all_channels(),
            limits: AmountLimits::xendit(),
        }
    }
}

/// Builder of a [`FakeGateway`]. Every setting has a default (see [`FakeConfig::default`]:
/// every channel of the core's table enabled, Xendit's amount limits, start at
/// 2024-11-28T06:40:26.508Z).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct FakeGatewayBuilder {
    config: FakeConfig,
}

impl FakeGatewayBuilder {
    /// Seed of ids and generated numbers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Start time of the manual clock.
    pub fn start(mut self, start: OffsetDateTime) -> Self {
        self.config.start = start;
        self
    }

    /// Merchant name.
    pub fn merchant_name(mut self, name: impl Into<String>) -> Self {
        self.config.merchant_name = name.into();
        self
    }

    /// Business id (`user_id`).
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.config.user_id = id.into();
        self
    }

    /// Merchant logo URL.
    pub fn merchant_profile_picture_url(mut self, url: impl Into<String>) -> Self {
        self.config.merchant_profile_picture_url = url.into();
        self
    }

    /// Base of `invoice_url` (the sandbox points it at its own checkout page).
    pub fn invoice_base_url(mut self, url: impl Into<String>) -> Self {
        self.config.invoice_base_url = url.into();
        self
    }

    /// Enables exactly these channels for `currency`, in this order (replacing the default).
    pub fn channels<I, C>(mut self, currency: Currency, channels: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<ChannelCode>,
    {
        self.config
            .channels
            .insert(currency, channels.into_iter().map(Into::into).collect());
        self
    }

    /// Amount limits per currency.
    pub fn limits(mut self, limits: AmountLimits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The gateway.
    pub fn build(self) -> FakeGateway {
        FakeGateway::with_config(self.config)
    }
}

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

/// Why a control call (pay, settle, set_time) was refused. The store is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// No invoice has this id.
    #[error("no invoice with id `{id}`")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The link is EXPIRED: it cannot be paid, settled or expired again.
    #[error("invoice `{id}` expired at {expired_at}; an expired link cannot be paid or settled")]
    Expired {
        /// The invoice.
        id: String,
        /// When it expired.
        expired_at: OffsetDateTime,
    },
    /// The link is already PAID or SETTLED.
    #[error("invoice `{id}` is already {status}")]
    AlreadyPaid {
        /// The invoice.
        id: String,
        /// `PAID` or `SETTLED`.
        status: InvoiceStatus,
    },
    /// Settle of a link that is not PAID.
    #[error("invoice `{id}` is {status}; only a PAID link can be settled")]
    NotPaid {
        /// The invoice.
        id: String,
        /// Its status.
        status: InvoiceStatus,
    },
    /// The channel is not one the invoice offers.
    #[error("invoice `{id}` does not offer channel `{channel}`")]
    ChannelNotOffered {
        /// The invoice.
        id: String,
        /// The channel asked for.
        channel: ChannelCode,
    },
    /// The channel belongs to no known family and no known `payment_method` was given.
    #[error("channel `{channel}` belongs to no known payment family")]
    UnknownChannel {
        /// The channel.
        channel: ChannelCode,
    },
    /// `set_time` to an earlier instant.
    #[error("time cannot go backwards: {to} is before the clock {now}")]
    TimeWentBackwards {
        /// The clock.
        now: OffsetDateTime,
        /// The instant asked for.
        to: OffsetDateTime,
    },
    /// Any other refusal of the lifecycle state machine.
    #[error("invoice `{id}`: {source}")]
    Transition {
        /// The invoice.
        id: String,
        /// The state machine's reason.
        source: TransitionError,
    },
}

#[derive(Debug, Default)]
struct Faults {
    failures: HashMap<Operation, VecDeque<(usize, GatewayError)>>,
    latency: HashMap<Operation, Duration>,
}

struct Shared {
    config: FakeConfig,
    state: Mutex<State>,
    faults: Mutex<Faults>,
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
            }),
        }
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
        Ok(self.expire_due(&mut state))
    }

    fn expire_due(&self, state: &mut State) -> Vec<Invoice> {
        let now = state.now;
        let mut out = Vec::new();
        while let Some(&(at, seq)) = state.expiry.first() {
            if at > now {
                break;
            }
            state.expiry.pop_first();
            let Some(rec) = state.records.get_mut(seq as usize) else {
                continue;
            };
            if rec
                .lifecycle
                .apply(LinkEvent::Tick { now: stamp(now) })
                .is_err()
            {
                continue;
            }
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

    /// The `for-user-id` an invoice was created with (`Some(None)` for none), or `None` when
    /// there is no such invoice.
    pub fn scope_of(&self, id: &str) -> Option<Option<String>> {
        let state = self.state();
        let seq = state.seq_of(id)?;
        Some(
            state.records[seq as usize]
                .scope
                .as_deref()
                .map(str::to_owned),
        )
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

    // ----- payments -----

    /// Pays a PENDING link in full through `with.channel`, now. Fills the paid fields of the
    /// channel's family (virtual account: `bank_code`, `payment_destination`; e-wallet:
    /// `ewallet_type`, `payment_id` `ewc_...`; retail outlet: `payment_destination` = payment
    /// code; QR: `payment_id` `qrpy_...`, `payment_details`; card: `credit_card_charge_id`),
    /// `paid_amount` and `paid_at`, and emits the PAID callback.
    ///
    /// # Errors
    /// [`FakeError::NotFound`], [`FakeError::Expired`], [`FakeError::AlreadyPaid`],
    /// [`FakeError::UnknownChannel`], [`FakeError::ChannelNotOffered`]. Nothing changes.
    pub fn pay(&self, id: &str, with: PayWith) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = self.payable(&state, id, &with)?;
        let family = family_of(&with).ok_or_else(|| FakeError::UnknownChannel {
            channel: with.channel.clone(),
        })?;
        let at = stamp(state.now);
        let amount = state.records[seq as usize].request.amount();
        let paid = generate_paid(&mut state, family, with, amount);
        let rec = &mut state.records[seq as usize];
        let mut lifecycle = rec.lifecycle;
        lifecycle
            .apply(LinkEvent::Pay { at })
            .map_err(|e| transition_error(id, &lifecycle, e))?;
        rec.lifecycle = lifecycle;
        rec.paid = Some(Box::new(paid));
        let expiry = rec.lifecycle.expiry_date();
        state.expiry.remove(&(expiry, seq));
        let invoice = self.build(&state.records[seq as usize]);
        self.emit(&mut state, seq, &invoice);
        Ok(invoice)
    }

    /// Records a failed payment attempt through `with.channel`: the link stays PENDING and
    /// can be paid later, as on Xendit's checkout. No callback.
    ///
    /// # Errors
    /// As [`FakeGateway::pay`]: the attempt must be one that could have succeeded.
    pub fn fail_payment(&self, id: &str, with: PayWith) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = self.payable(&state, id, &with)?;
        let rec = &mut state.records[seq as usize];
        rec.failed_attempts = rec.failed_attempts.saturating_add(1);
        Ok(self.build(&state.records[seq as usize]))
    }

    /// Settles a PAID link (PAID -> SETTLED), now. Xendit sends no callback for it.
    ///
    /// # Errors
    /// [`FakeError::NotFound`], [`FakeError::NotPaid`] (PENDING), [`FakeError::Expired`],
    /// [`FakeError::AlreadyPaid`] (already SETTLED).
    pub fn settle(&self, id: &str) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = state
            .seq_of(id)
            .ok_or_else(|| FakeError::NotFound { id: id.to_owned() })?;
        let at = stamp(state.now);
        let rec = &mut state.records[seq as usize];
        let mut lifecycle = rec.lifecycle;
        lifecycle
            .apply(LinkEvent::Settle { at })
            .map_err(|e| transition_error(id, &lifecycle, e))?;
        rec.lifecycle = lifecycle;
        Ok(self.build(&state.records[seq as usize]))
    }

    fn payable(&self, state: &State, id: &str, with: &PayWith) -> Result<u32, FakeError> {
        let seq = state
            .seq_of(id)
            .ok_or_else(|| FakeError::NotFound { id: id.to_owned() })?;
        let rec = &state.records[seq as usize];
        let mut probe = rec.lifecycle;
        if rec.lifecycle.state() != LinkState::Pending {
            let at = stamp(state.now);
            if let Err(e) = probe.apply(LinkEvent::Pay { at }) {
                return Err(transition_error(id, &rec.lifecycle, e));
            }
        }
        if family_of(with).is_none() {
            return Err(FakeError::UnknownChannel {
                channel: with.channel.clone(),
            });
        }
        if !self.offered(&rec.request).contains(&with.channel) {
            return Err(FakeError::ChannelNotOffered {
                id: id.to_owned(),
                channel: with.channel.clone(),
            });
        }
        Ok(seq)
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

    /// Releases each of the next `n` callbacks twice, as Xendit's at-least-once delivery may.
    pub fn duplicate_next_callbacks(&self, n: usize) {
        self.state().outbox.duplicate_next(n);
    }

    /// Swaps each of the next `pairs` pairs of callbacks: the first of a pair is held until the
    /// second is released, then released after it.
    pub fn reorder_next_callbacks(&self, pairs: usize) {
        self.state().outbox.reorder_next(pairs);
    }

    /// Releases a callback held for reordering whose partner never came. Returns whether one
    /// was held.
    pub fn release_held_callback(&self) -> bool {
        self.state().outbox.flush_held()
    }

    // ----- faults -----

    /// Makes the next `n` calls of `operation` fail with `error` (before touching the store).
    /// Queued after any failures already set for it.
    pub fn fail_next(&self, operation: Operation, n: usize, error: GatewayError) {
        if n > 0 {
            self.faults()
                .failures
                .entry(operation)
                .or_default()
                .push_back((n, error));
        }
    }

    /// Delays every call of `operation` by `latency` (a tokio sleep, so paused tokio time
    /// works). `Duration::ZERO` removes it.
    pub fn set_latency(&self, operation: Operation, latency: Duration) {
        let mut f = self.faults();
        if latency.is_zero() {
            f.latency.remove(&operation);
        } else {
            f.latency.insert(operation, latency);
        }
    }

    /// Removes every injected failure, latency and callback fault (a held callback stays
    /// held; see [`FakeGateway::release_held_callback`]).
    pub fn clear_faults(&self) {
        *self.faults() = Faults::default();
        self.state().outbox.clear_faults();
    }

    async fn before(&self, operation: Operation) -> Result<(), GatewayError> {
        let latency = self.faults().latency.get(&operation).copied();
        if let Some(d) = latency {
            tokio::time::sleep(d).await;
        }
        let mut f = self.faults();
        let Some(queue) = f.failures.get_mut(&operation) else {
            return Ok(());
        };
        let Some((left, error)) = queue.front_mut() else {
            return Ok(());
        };
        let error = error.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Err(error)
    }

    // ----- the Xendit operations -----

    /// Create from raw wire fields, as Xendit's server receives them: truncates IDR decimals,
    /// then answers `API_VALIDATION_ERROR` (400, see [`api_validation_error`]) for shape
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
        if fields.effective_currency() == Currency::Idr {
            fields.amount = fields.amount.trunc();
        }
        let request = fields
            .validate(&AmountLimits::unbounded())
            .map_err(|e| GatewayError::Validation(Box::new(validation_error(e.violations()))))?;
        self.create_now(request.into_fields(), options)
    }

    fn create_now(
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
                .unwrap_or(paylink_core::request::DEFAULT_INVOICE_DURATION),
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
            return Err(GatewayError::Validation(Box::new(api_validation_error(&[
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
        let rec = &mut state.records[seq as usize];
        let mut lifecycle = rec.lifecycle;
        if lifecycle.state() != LinkState::Pending
            || lifecycle.apply(LinkEvent::Expire { at }).is_err()
        {
            return Err(expire_not_found(id));
        }
        let expiry = rec.lifecycle.expiry_date();
        rec.lifecycle = lifecycle;
        state.expiry.remove(&(expiry, seq));
        let invoice = self.build(&state.records[seq as usize]);
        self.emit(&mut state, seq, &invoice);
        Ok(invoice)
    }

    // ----- building what Xendit sends -----

    fn offered(&self, request: &StoredRequest) -> Vec<ChannelCode> {
        match request.methods() {
            Some(m) => m.to_vec(),
            None => self
                .config()
                .channels
                .get(&request.currency())
                .cloned()
                .unwrap_or_default(),
        }
    }

    fn build(&self, rec: &Record) -> Invoice {
        let config = self.config();
        let f = rec.request.to_fields();
        let id = rec.id.to_string();
        let offer = channels::offer(&self.offered(&rec.request), f.amount, &config.merchant_name);
        let lc = &rec.lifecycle;
        let paid = rec.paid.as_deref();
        let mut extra = Map::new();
        if let Some(pm) = paid.and_then(|p| p.payment_method_id.as_ref()) {
            extra.insert("payment_method_id".into(), Value::String(pm.clone()));
        }
        if let Some(t) = paid.and_then(|p| p.card_token.as_ref()) {
            extra.insert("credit_card_token".into(), Value::String(t.clone()));
        }
        Invoice {
            invoice_url: format!("{}{id}", config.invoice_base_url),
            id,
            external_id: f.external_id,
            user_id: rec
                .scope
                .as_deref()
                .map_or_else(|| config.user_id.clone(), str::to_owned),
            status: lc.state().status(),
            merchant_name: config.merchant_name.clone(),
            merchant_profile_picture_url: config.merchant_profile_picture_url.clone(),
            amount: f.amount,
            currency: Some(rec.request.currency()),
            payer_email: f.payer_email,
            description: f.description,
            expiry_date: lc.expiry_date(),
            available_banks: offer.banks,
            available_retail_outlets: offer.retail_outlets,
            available_ewallets: offer.ewallets,
            available_qr_codes: offer.qr_codes,
            available_direct_debits: offer.direct_debits,
            available_paylaters: offer.paylaters,
            should_exclude_credit_card: Some(!offer.card),
            should_send_email: f.should_send_email.unwrap_or(false),
            created: rec.created,
            updated: lc.updated(),
            success_redirect_url: f.success_redirect_url,
            failure_redirect_url: f.failure_redirect_url,
            should_authenticate_credit_card: f.should_authenticate_credit_card,
            locale: f.locale,
            items: f.items.unwrap_or_default(),
            fees: f.fees.unwrap_or_default(),
            fixed_va: f.fixed_va,
            reminder_date: None,
            customer: f.customer,
            customer_notification_preference: f.customer_notification_preference,
            channel_properties: f.channel_properties,
            metadata: f.metadata,
            mid_label: f.mid_label,
            paid_at: lc.paid_at(),
            paid_amount: paid.map(|p| p.amount),
            payment_method: paid.map(|p| p.method.clone()),
            payment_channel: paid.map(|p| p.channel.clone()),
            payment_destination: paid.and_then(|p| p.destination.clone()),
            payment_details: paid.and_then(|p| p.details.clone()),
            payment_id: paid.and_then(|p| p.payment_id.clone()),
            bank_code: paid
                .filter(|p| p.family == ChannelFamily::VirtualAccount)
                .map(|p| BankCode::from(p.channel.as_str())),
            ewallet_type: paid
                .filter(|p| p.family == ChannelFamily::Ewallet)
                .map(|p| EwalletType::from(p.channel.as_str())),
            credit_card_charge_id: paid.and_then(|p| p.charge_id.clone()),
            recurring_payment_id: None,
            adjusted_received_amount: None,
            extra,
        }
    }

    fn emit(&self, state: &mut State, seq: u32, invoice: &Invoice) {
        let rec = &state.records[seq as usize];
        let body = payload::callback_body(invoice);
        let event = CallbackEvent {
            seq: 0,
            invoice_id: invoice.id.clone(),
            status: invoice.status.clone(),
            for_user_id: rec.scope.as_deref().map(str::to_owned),
            at: state.now,
            body: Arc::from(body),
        };
        state.outbox.emit(event);
    }
}

fn family_of(with: &PayWith) -> Option<ChannelFamily> {
    with.method
        .as_ref()
        .and_then(ChannelFamily::of_method)
        .or_else(|| with.channel.family())
}

fn transition_error(id: &str, lifecycle: &Lifecycle, e: TransitionError) -> FakeError {
    let id = id.to_owned();
    match e {
        TransitionError::AlreadyExpired { expired_at } => FakeError::Expired { id, expired_at },
        TransitionError::PastExpiry { expiry_date, .. } => FakeError::Expired {
            id,
            expired_at: expiry_date,
        },
        TransitionError::AlreadyPaid { state } => FakeError::AlreadyPaid {
            id,
            status: state.status(),
        },
        TransitionError::NotPaid => FakeError::NotPaid {
            id,
            status: lifecycle.state().status(),
        },
        other => FakeError::Transition { id, source: other },
    }
}

const QR_SOURCES: [&str; 5] = ["DANA", "GOPAY", "OVO", "SHOPEEPAY", "LINKAJA"];

fn generate_paid(
    state: &mut State,
    family: ChannelFamily,
    with: PayWith,
    amount: rust_decimal::Decimal,
) -> Paid {
    let rng = &mut state.rng;
    let mut paid = Paid {
        method: with.method.unwrap_or_else(|| family.payment_method()),
        channel: with.channel,
        family,
        amount,
        destination: None,
        payment_id: None,
        payment_method_id: None,
        details: None,
        charge_id: None,
        card_token: None,
    };
    match family {
        ChannelFamily::VirtualAccount => paid.destination = Some(rng.digits(16)),
        ChannelFamily::RetailOutlet => paid.destination = Some(format!("TEST{}", rng.digits(6))),
        ChannelFamily::Ewallet => {
            paid.payment_id = Some(format!("ewc_{}", rng.uuid()));
            paid.payment_method_id = Some(format!("pm-{}", rng.uuid()));
        }
        ChannelFamily::QrCode => {
            paid.payment_id = Some(format!("qrpy_{}", rng.uuid()));
            let source = QR_SOURCES[(rng.next_u64() % QR_SOURCES.len() as u64) as usize];
            paid.details = Some(PaymentDetails {
                receipt_id: Some(rng.digits(12)),
                source: Some(source.to_owned()),
            });
        }
        ChannelFamily::Card => {
            paid.charge_id = Some(rng.hex(12));
            paid.card_token = Some(rng.hex(12));
        }
        ChannelFamily::DirectDebit => paid.payment_id = Some(format!("ddpy_{}", rng.uuid())),
        ChannelFamily::Paylater => paid.payment_id = Some(format!("plpy_{}", rng.uuid())),
        _ => {}
    }
    paid
}

/// Xendit answers a malformed e-mail with its own code, `EMAIL_FORMAT_ERROR`; every other shape
/// violation is an `API_VALIDATION_ERROR`. Both list the violations in `errors`.
fn validation_error(violations: &[paylink_core::Violation]) -> ApiError {
    let email = |v: &paylink_core::Violation| v.path == "payer_email" || v.path == "customer.email";
    let mut error = api_validation_error(violations);
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
        self.before(Operation::Create).await?;
        self.create_now(request.fields().clone(), options)
    }

    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        self.before(Operation::Get).await?;
        self.get_now(id, options)
    }

    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        self.before(Operation::List).await?;
        self.list_now(query, options)
    }

    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        self.before(Operation::Expire).await?;
        self.expire_now(id, options)
    }
}

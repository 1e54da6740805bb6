//! Snapshots of the engine's state, for a store that keeps the fake's world across restarts
//! (the HTTP sandbox's `--data-dir`): what one invoice is, what the engine itself holds (clock,
//! id sequence, faults), the changes since the last look, and restoring a world from them.
//!
//! A snapshot is state, not a replay of calls: restoring one does not depend on how the state
//! was reached, so a restart takes the time of reading the state back, and a later version of
//! the engine reads what an earlier one wrote.

use std::collections::BTreeSet;

use paylink_core::{json_amount, timestamp, ExpiryCause};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::*;

/// Everything the engine keeps about one invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceSnapshot {
    /// The invoice id (24 lowercase hex digits).
    pub id: String,
    /// When it was created.
    #[serde(with = "timestamp")]
    pub created: OffsetDateTime,
    /// The `for-user-id` it was created with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_user_id: Option<String>,
    /// The create request as validated.
    pub request: CreateInvoiceFields,
    /// When the link expires (or expired) by its duration.
    #[serde(with = "timestamp")]
    pub expiry_date: OffsetDateTime,
    /// When it was paid.
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub paid_at: Option<OffsetDateTime>,
    /// When it was settled.
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub settled_at: Option<OffsetDateTime>,
    /// When it expired.
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expired_at: Option<OffsetDateTime>,
    /// Why it expired (`MANUAL` or `DURATION`), with `expired_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_cause: Option<ExpiryCause>,
    /// The payment, for a PAID or SETTLED link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentSnapshot>,
    /// Failed payment attempts seen.
    #[serde(default)]
    pub failed_attempts: u32,
}

/// The payment of a paid link: the channel and the numbers generated for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentSnapshot {
    /// `payment_method` reported.
    pub method: PaymentMethod,
    /// `payment_channel`.
    pub channel: ChannelCode,
    /// `paid_amount`.
    #[serde(with = "json_amount")]
    pub amount: Decimal,
    /// `payment_destination` (VA number, retail payment code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `payment_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// `payment_method_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
    /// `payment_details` of a QR payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<PaymentDetails>,
    /// `credit_card_charge_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id: Option<String>,
    /// `credit_card_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_token: Option<String>,
}

/// What the engine holds besides its invoices: the clock, where the id and number sequences
/// are, and the faults still to fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    /// The clock.
    #[serde(with = "timestamp")]
    pub now: OffsetDateTime,
    /// The generator of numbers and uuids.
    pub rng: u64,
    /// The id counter.
    pub counter: u32,
    /// The callbacks still to be released twice.
    #[serde(default)]
    pub duplicate_next: usize,
    /// The pairs of callbacks still to be swapped.
    #[serde(default)]
    pub reorder_pairs: usize,
    /// Injected failures still to fire, in order.
    #[serde(default)]
    pub failures: Vec<FailureSnapshot>,
    /// Latency per operation, in milliseconds.
    #[serde(default)]
    pub latency_ms: BTreeMap<String, u64>,
}

/// Injected failures of one operation still to fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureSnapshot {
    /// `create`, `get`, `list` or `expire`.
    pub operation: String,
    /// How many calls are still to fail.
    pub remaining: usize,
    /// The error answered.
    pub error: ApiError,
}

/// What changed since the last [`FakeGateway::take_changes`].
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// The change count these changes bring the caller up to (see
    /// [`FakeGateway::change_count`]).
    pub change_count: u64,
    /// Whether the world was reset since the last look: everything stored before is gone and
    /// `invoices` holds the whole world.
    pub reset: bool,
    /// The engine's own state, now.
    pub engine: EngineSnapshot,
    /// Each invoice created or changed, with its position in creation order (from 0), by
    /// position.
    pub invoices: Vec<(u32, InvoiceSnapshot)>,
    /// The callbacks released, in order.
    pub callbacks: Vec<CallbackEvent>,
}

/// Why a snapshot could not be restored. The engine is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invoice {position} (`{id}`): {field}: {message}")]
pub struct RestoreError {
    /// The invoice's position in the list restored (from 0).
    pub position: usize,
    /// Its id as given.
    pub id: String,
    /// The field at fault.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The dirty marks kept while changes are tracked.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    pub(crate) on: bool,
    pub(crate) reset: bool,
    pub(crate) dirty: BTreeSet<u32>,
}

fn operation_name(op: Operation) -> Option<&'static str> {
    Some(match op {
        Operation::Create => "create",
        Operation::Get => "get",
        Operation::List => "list",
        Operation::Expire => "expire",
    })
}

fn operation_named(name: &str) -> Option<Operation> {
    match name {
        "create" => Some(Operation::Create),
        "get" => Some(Operation::Get),
        "list" => Some(Operation::List),
        "expire" => Some(Operation::Expire),
        _ => None,
    }
}

impl FakeGateway {
    /// Starts keeping track of what changes, for [`FakeGateway::take_changes`]. Until then
    /// nothing is tracked (a plain test fake pays nothing for it).
    pub fn track_changes(&self) {
        let mut state = self.state();
        state.tracker.on = true;
        state.outbox.track();
    }

    /// A number that grows with every change of the world (an invoice, the clock, the id
    /// sequence, a fault): equal numbers mean nothing changed in between.
    pub fn change_count(&self) -> u64 {
        self.shared
            .changes
            .load(std::sync::atomic::Ordering::Acquire)
    }

    pub(super) fn changed(&self) {
        self.shared
            .changes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The invoices created or changed and the callbacks released since the last call (or
    /// since [`FakeGateway::track_changes`]), with the engine's own state; everything a store
    /// needs to mirror the world up to [`Changes::change_count`].
    pub fn take_changes(&self) -> Changes {
        let (change_count, reset, invoices, callbacks, mut engine) = {
            let mut state = self.state();
            let change_count = self.change_count();
            let tracker = &mut state.tracker;
            let reset = std::mem::take(&mut tracker.reset);
            let dirty = std::mem::take(&mut tracker.dirty);
            let callbacks = state.outbox.take_tracked();
            let invoices = dirty
                .into_iter()
                .filter_map(|seq| {
                    let rec = state.records.get(seq as usize)?;
                    Some((seq, snapshot_of(rec)))
                })
                .collect();
            let engine = EngineSnapshot {
                now: state.now,
                rng: state.rng.state(),
                counter: state.counter,
                duplicate_next: state.outbox.duplicates_left(),
                reorder_pairs: state.outbox.reorders_left(),
                failures: Vec::new(),
                latency_ms: BTreeMap::new(),
            };
            (change_count, reset, invoices, callbacks, engine)
        };
        let faults = self.faults();
        for (op, queue) in &faults.failures {
            let Some(name) = operation_name(*op) else {
                continue;
            };
            for (remaining, error) in queue {
                if let Some(api) = error.api_error() {
                    engine.failures.push(FailureSnapshot {
                        operation: name.to_owned(),
                        remaining: *remaining,
                        error: api.clone(),
                    });
                }
            }
        }
        engine
            .failures
            .sort_by(|a, b| a.operation.cmp(&b.operation));
        for (op, latency) in &faults.latency {
            if let Some(name) = operation_name(*op) {
                let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
                engine.latency_ms.insert(name.to_owned(), ms);
            }
        }
        Changes {
            change_count,
            reset,
            engine,
            invoices,
            callbacks,
        }
    }

    /// Everything the engine keeps about one invoice (whatever its `for-user-id`).
    pub fn snapshot_invoice(&self, id: &str) -> Option<InvoiceSnapshot> {
        let state = self.state();
        let seq = state.seq_of(id)?;
        Some(snapshot_of(&state.records[seq as usize]))
    }

    /// Replaces the world, in place, with the one described: the engine's state and the
    /// invoices in creation order. Each invoice is checked as it was when created (its id, its
    /// request against the channels and limits of this engine's configuration, no id twice)
    /// and its lifecycle replayed through the state machine, so a snapshot cannot hold what
    /// the engine could not have reached. Callbacks are not released again, and the
    /// change tracking (if on) starts from the restored world with nothing to take.
    ///
    /// # Errors
    /// [`RestoreError`] naming the first invoice and field at fault; the engine is unchanged.
    pub fn restore(
        &self,
        engine: &EngineSnapshot,
        invoices: impl IntoIterator<Item = InvoiceSnapshot>,
    ) -> Result<(), RestoreError> {
        let mut fresh = State::new(self.shared.config.seed, self.shared.config.start);
        fresh.now = engine.now;
        fresh.rng = rng::SplitMix64::new(engine.rng);
        fresh.counter = engine.counter;
        for (position, snap) in invoices.into_iter().enumerate() {
            let record = self.record_of(&mut fresh, position, snap)?;
            fresh.insert(record);
        }
        fresh.expiry.retain(|&(_, seq)| {
            fresh.records[seq as usize].lifecycle.state() == LinkState::Pending
        });
        let mut failures: std::collections::HashMap<Operation, _> = Default::default();
        for f in &engine.failures {
            if let Some(op) = operation_named(&f.operation) {
                failures
                    .entry(op)
                    .or_insert_with(std::collections::VecDeque::new)
                    .push_back((f.remaining, GatewayError::from_api(f.error.clone(), None)));
            }
        }
        let latency = engine
            .latency_ms
            .iter()
            .filter_map(|(name, ms)| Some((operation_named(name)?, Duration::from_millis(*ms))))
            .collect();
        {
            let mut state = self.state();
            std::mem::swap(&mut state.outbox, &mut fresh.outbox);
            fresh.outbox.reset();
            fresh.outbox.take_tracked();
            fresh.outbox.duplicate_next(engine.duplicate_next);
            fresh.outbox.reorder_next(engine.reorder_pairs);
            fresh.tracker.on = state.tracker.on;
            *state = fresh;
            self.changed();
        }
        *self.faults() = faults::Faults { failures, latency };
        Ok(())
    }

    fn record_of(
        &self,
        state: &mut State,
        position: usize,
        snap: InvoiceSnapshot,
    ) -> Result<Record, RestoreError> {
        let fail = |field: &str, message: String| RestoreError {
            position,
            id: snap.id.clone(),
            field: field.to_owned(),
            message,
        };
        let id: rng::InvoiceId = snap
            .id
            .parse()
            .map_err(|_| fail("id", "must be 24 lowercase hexadecimal digits".into()))?;
        if state.by_id.contains_key(&id) {
            return Err(fail("id", "appears more than once".into()));
        }
        let (request, _) = self
            .accept_request(snap.request.clone())
            .map_err(|refusal| match refusal {
                seed::Refusal::Shape(v) => fail(&format!("request.{}", v.path), v.message),
                seed::Refusal::Server(e) => fail("request", e.message),
            })?;
        let mut lifecycle = Lifecycle::new(snap.created, snap.expiry_date);
        let replay = |lifecycle: &mut Lifecycle, field: &str, event: LinkEvent| {
            lifecycle
                .apply(event)
                .map(|_| ())
                .map_err(|e| fail(field, e.to_string()))
        };
        if let Some(at) = snap.paid_at {
            replay(&mut lifecycle, "paid_at", LinkEvent::Pay { at })?;
        }
        if let Some(at) = snap.settled_at {
            replay(&mut lifecycle, "settled_at", LinkEvent::Settle { at })?;
        }
        match (snap.expired_at, snap.expiry_cause) {
            (Some(at), Some(ExpiryCause::Manual)) => {
                replay(&mut lifecycle, "expired_at", LinkEvent::Expire { at })?
            }
            (Some(at), Some(ExpiryCause::Duration)) => {
                replay(&mut lifecycle, "expired_at", LinkEvent::Tick { now: at })?;
                if lifecycle.state() != LinkState::Expired {
                    return Err(fail(
                        "expired_at",
                        format!("is before the link's expiry_date {}", snap.expiry_date),
                    ));
                }
            }
            (Some(_), None) => {
                return Err(fail("expiry_cause", "is required with expired_at".into()));
            }
            (None, Some(_)) => {
                return Err(fail("expired_at", "is required with expiry_cause".into()));
            }
            (None, None) => {}
        }
        let paid = match (snap.payment, lifecycle.state().is_paid()) {
            (Some(p), true) => {
                let with = PayWith {
                    channel: p.channel.clone(),
                    method: Some(p.method.clone()),
                };
                let family = payments::family_of(&with).ok_or_else(|| {
                    fail(
                        "payment.channel",
                        format!("`{}` belongs to no known payment family", p.channel),
                    )
                })?;
                Some(Box::new(Paid {
                    method: p.method,
                    channel: p.channel,
                    family,
                    amount: p.amount,
                    destination: p.destination,
                    payment_id: p.payment_id,
                    payment_method_id: p.payment_method_id,
                    details: p.details,
                    charge_id: p.charge_id,
                    card_token: p.card_token,
                }))
            }
            (None, false) => None,
            (None, true) => return Err(fail("payment", "is required for a paid link".into())),
            (Some(_), false) => {
                return Err(fail("payment", "is only for a PAID or SETTLED link".into()))
            }
        };
        let scope = snap.for_user_id.as_deref().map(|s| state.interner.scope(s));
        Ok(Record {
            id,
            created: snap.created,
            lifecycle,
            scope,
            request: state.interner.request(request),
            paid,
            failed_attempts: snap.failed_attempts,
        })
    }
}

fn snapshot_of(rec: &Record) -> InvoiceSnapshot {
    let lc = &rec.lifecycle;
    InvoiceSnapshot {
        id: rec.id.to_string(),
        created: rec.created,
        for_user_id: rec.scope.as_deref().map(str::to_owned),
        request: rec.request.to_fields(),
        expiry_date: lc.expiry_date(),
        paid_at: lc.paid_at(),
        settled_at: lc.settled_at(),
        expired_at: lc.expired().map(|(at, _)| at),
        expiry_cause: lc.expired().map(|(_, cause)| cause),
        payment: rec.paid.as_deref().map(|p| PaymentSnapshot {
            method: p.method.clone(),
            channel: p.channel.clone(),
            amount: p.amount,
            destination: p.destination.clone(),
            payment_id: p.payment_id.clone(),
            payment_method_id: p.payment_method_id.clone(),
            details: p.details.clone(),
            charge_id: p.charge_id.clone(),
            card_token: p.card_token.clone(),
        }),
        failed_attempts: rec.failed_attempts,
    }
}

//! Processing: a [`Worker`] claims stored events, decides each one's [`Outcome`] with the
//! core's `reconcile` against the order the application's [`OrderHandler`] loads, lets the
//! handler write it in the claim's transaction, and records it there too. Failed attempts
//! retry with [`Backoff`] and end dead-lettered.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{parse_callback, reconcile, Currency, InvoiceEvent, LinkState, Reconciled};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::receive::Inbox;
use crate::store::{Completion, EventId, Failure, InboxStore, StoreError};

/// What the application holds about the order an event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOrder {
    /// The id of the order's payment link.
    pub invoice_id: String,
    /// The link state the order records.
    pub state: LinkState,
    /// The amount the order asked for.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

/// What an event means for its order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The core's reconciliation of the reported status with the order's state.
    Reconciled(Reconciled),
    /// The callback's amount or currency is not the order's: nothing is applied.
    AmountMismatch {
        /// The order's amount.
        expected: Decimal,
        /// The order's currency.
        expected_currency: Currency,
        /// The callback's amount.
        received: Decimal,
        /// The callback's currency.
        received_currency: Currency,
    },
    /// The callback is about another link than the order's: nothing is applied.
    ForeignInvoice {
        /// The order's own link.
        order_invoice_id: String,
    },
}

impl Outcome {
    /// A stable code, as recorded on the event.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Reconciled(r) => match r {
                Reconciled::Advanced { .. } => "advanced",
                Reconciled::AlreadyCurrent => "already_current",
                Reconciled::Stale { .. } => "stale",
                Reconciled::PaidAfterExpiry { .. } => "paid_after_expiry",
                Reconciled::ExpiredAfterPaid { .. } => "expired_after_paid",
                Reconciled::UnknownStatus(_) => "unknown_status",
            },
            Outcome::AmountMismatch { .. } => "amount_mismatch",
            Outcome::ForeignInvoice { .. } => "foreign_invoice",
        }
    }

    /// Whether a person must look at it: money on an expired link, an illegal EXPIRED after a
    /// payment, an unknown status, an amount or link that is not the order's.
    pub fn needs_attention(&self) -> bool {
        !matches!(
            self,
            Outcome::Reconciled(
                Reconciled::Advanced { .. } | Reconciled::AlreadyCurrent | Reconciled::Stale { .. }
            )
        )
    }

    /// The link state the order moves to, when it moves: after `Advanced`, and after
    /// `PaidAfterExpiry` (the money is real).
    pub fn new_state(&self) -> Option<LinkState> {
        match self {
            Outcome::Reconciled(Reconciled::Advanced { to, .. }) => Some(*to),
            Outcome::Reconciled(Reconciled::PaidAfterExpiry { observed }) => Some(*observed),
            _ => None,
        }
    }

    /// The outcome in words.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Reconciled(r) => match r {
                Reconciled::Advanced { from, to } => format!("order moved from {from} to {to}"),
                Reconciled::AlreadyCurrent => "order already showed this status".into(),
                Reconciled::Stale { local, observed } => {
                    format!("{observed} is older than the order's {local}; kept")
                }
                Reconciled::PaidAfterExpiry { observed } => {
                    format!("{observed} on a link the order holds as EXPIRED: fulfil or refund")
                }
                Reconciled::ExpiredAfterPaid { local } => {
                    format!("EXPIRED on a link the order holds as {local}; kept, investigate")
                }
                Reconciled::UnknownStatus(s) => format!("unknown status `{s}`; order left alone"),
            },
            Outcome::AmountMismatch {
                expected,
                expected_currency,
                received,
                received_currency,
            } => format!(
                "amount: the callback says {received} {received_currency}, the order asks \
                 {expected} {expected_currency}; not applied"
            ),
            Outcome::ForeignInvoice { order_invoice_id } => format!(
                "invoice_id: the order's link is `{order_invoice_id}`, not this one; not applied"
            ),
        }
    }
}

/// A handler's failure; the attempt is undone and retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(String);

impl HandlerError {
    /// A failure with this explanation.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError(message.into())
    }
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        HandlerError(crate::store::describe_sqlx(&e))
    }
}

/// The application's side of processing, written against the store's transaction type
/// (`sqlx::Transaction<'static, Postgres>`, `sqlx::Transaction<'static, Sqlite>` or
/// [`MemoryTx`](crate::MemoryTx)). Both calls run in the claim's transaction, so the order's
/// change and the event's outcome commit together or not at all.
#[async_trait]
pub trait OrderHandler<Tx: Send>: Send + Sync {
    /// Reads the order the event names (its `external_id`), locking it against concurrent
    /// workers (`SELECT ... FOR UPDATE` on PostgreSQL). `None` when there is no such order:
    /// the attempt fails and is retried (the order may not be committed yet).
    ///
    /// # Errors
    /// A [`HandlerError`]; the attempt is retried.
    async fn load(
        &self,
        tx: &mut Tx,
        event: &InvoiceEvent,
    ) -> Result<Option<LocalOrder>, HandlerError>;

    /// Writes the outcome to the order. Called for every outcome; only those with a
    /// [`Outcome::new_state`] change the link state, and those that
    /// [`Outcome::needs_attention`] should be surfaced to a person.
    ///
    /// # Errors
    /// A [`HandlerError`]; the attempt is undone and retried.
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &InvoiceEvent,
        order: &LocalOrder,
        outcome: &Outcome,
    ) -> Result<(), HandlerError>;
}

/// When failed attempts are retried: `first`, doubling up to `max`; after `max_attempts`
/// attempts the event is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Attempts before the event is dead-lettered.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(5),
            max: Duration::from_secs(3600),
            max_attempts: 10,
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(31);
        self.first
            .checked_mul(1 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// What processing one event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// The event.
    pub event_id: EventId,
    /// Its invoice.
    pub invoice_id: String,
    /// What happened.
    pub result: ProcessResult,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessResult {
    /// Processed; the outcome is recorded with the order's change.
    Done(Outcome),
    /// Failed; pending again at `at`.
    Retry {
        /// Why.
        error: String,
        /// When it is due again.
        at: OffsetDateTime,
    },
    /// Failed its last attempt; dead-lettered.
    Dead {
        /// Why.
        error: String,
    },
}

/// A worker: claims and processes events one at a time. Run as many as you like, in as many
/// processes as you like on PostgreSQL.
pub struct Worker<S, H> {
    inbox: Inbox<S>,
    handler: Arc<H>,
    backoff: Backoff,
}

impl<S, H> std::fmt::Debug for Worker<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl<S, H> Clone for Worker<S, H> {
    fn clone(&self) -> Self {
        Worker {
            inbox: self.inbox.clone(),
            handler: Arc::clone(&self.handler),
            backoff: self.backoff,
        }
    }
}

impl<S, H> Worker<S, H>
where
    S: InboxStore,
    H: OrderHandler<S::Tx> + 'static,
{
    /// A worker over `inbox` applying events with `handler`, with the default [`Backoff`].
    pub fn new(inbox: Inbox<S>, handler: Arc<H>) -> Self {
        Worker {
            inbox,
            handler,
            backoff: Backoff::default(),
        }
    }

    /// The same worker with another backoff.
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Claims and processes the oldest due event; `None` when none is due.
    ///
    /// # Errors
    /// [`StoreError`]: the event (if one was claimed) stays pending as it was.
    pub async fn process_one(&self) -> Result<Option<Processed>, StoreError> {
        let store = self.inbox.store();
        let now = self.inbox.now();
        let Some(mut claim) = store.claim(now).await? else {
            return Ok(None);
        };
        let event_id = claim.event.id;
        let invoice_id = claim.event.invoice_id.clone();
        let decided = match parse_callback(&claim.event.body) {
            Ok(event) => decide(&*self.handler, &mut claim.tx, &event).await,
            Err(e) => Err(Failed {
                message: format!("the stored body no longer parses: {e}"),
                permanent: true,
            }),
        };
        let result = match decided {
            Ok(outcome) => {
                let completion = Completion {
                    outcome: outcome.code().to_owned(),
                    detail: outcome.describe(),
                    attention: outcome.needs_attention(),
                    at: now,
                };
                store.complete(claim, &completion).await?;
                log_outcome(event_id, &invoice_id, &outcome);
                ProcessResult::Done(outcome)
            }
            Err(Failed {
                message: error,
                permanent,
            }) => {
                let attempts = claim.event.attempts.saturating_add(1);
                let retry_at = (attempts < self.backoff.max_attempts && !permanent)
                    .then(|| now + self.backoff.delay(attempts));
                let failure = Failure {
                    error: error.clone(),
                    retry_at,
                    at: now,
                };
                store.fail(claim, &failure).await?;
                match retry_at {
                    Some(at) => {
                        tracing::warn!(event = event_id, %error, attempts, "inbox will retry");
                        ProcessResult::Retry { error, at }
                    }
                    None => {
                        tracing::error!(event = event_id, %error, attempts, "inbox dead letter");
                        ProcessResult::Dead { error }
                    }
                }
            }
        };
        Ok(Some(Processed {
            event_id,
            invoice_id,
            result,
        }))
    }

    /// Processes due events until none is left; returns what each did.
    ///
    /// # Errors
    /// [`StoreError`] of the first attempt the store failed.
    pub async fn drain(&self) -> Result<Vec<Processed>, StoreError> {
        let mut done = Vec::new();
        while let Some(p) = self.process_one().await? {
            done.push(p);
        }
        Ok(done)
    }

    /// Processes events until `shutdown` completes, polling every `poll` when idle. A store
    /// failure is logged and retried after `poll`.
    pub async fn run(&self, poll: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let idle = tokio::select! {
                () = &mut shutdown => return,
                r = self.process_one() => match r {
                    Ok(p) => p.is_none(),
                    Err(e) => {
                        tracing::error!(error = %e, "inbox worker: store failed");
                        true
                    }
                },
            };
            if idle {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
}

/// Why an attempt failed, and whether trying again could help.
struct Failed {
    message: String,
    permanent: bool,
}

impl Failed {
    fn retry(message: String) -> Self {
        Failed {
            message,
            permanent: false,
        }
    }
}

async fn decide<Tx: Send, H: OrderHandler<Tx> + ?Sized>(
    handler: &H,
    tx: &mut Tx,
    event: &InvoiceEvent,
) -> Result<Outcome, Failed> {
    let c = &event.callback;
    let order = handler
        .load(tx, event)
        .await
        .map_err(|e| Failed::retry(format!("loading the order failed: {e}")))?
        .ok_or_else(|| {
            Failed::retry(format!(
                "external_id: no order `{}` (yet) for invoice `{}`",
                c.external_id, c.id
            ))
        })?;
    let outcome = if order.invoice_id != c.id {
        Outcome::ForeignInvoice {
            order_invoice_id: order.invoice_id.clone(),
        }
    } else if order.amount != c.amount || order.currency != c.currency {
        Outcome::AmountMismatch {
            expected: order.amount,
            expected_currency: order.currency,
            received: c.amount,
            received_currency: c.currency,
        }
    } else {
        Outcome::Reconciled(reconcile(order.state, &c.status))
    };
    handler
        .apply(tx, event, &order, &outcome)
        .await
        .map_err(|e| Failed::retry(format!("applying {} failed: {e}", outcome.code())))?;
    Ok(outcome)
}

fn log_outcome(event: EventId, invoice: &str, outcome: &Outcome) {
    if outcome.needs_attention() {
        tracing::warn!(event, invoice, outcome = outcome.code(), detail = %outcome.describe(), "inbox: needs attention");
    } else {
        tracing::info!(event, invoice, outcome = outcome.code(), "inbox processed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_the_first_wait_up_to_the_cap() {
        let b = Backoff {
            first: Duration::from_secs(5),
            max: Duration::from_secs(60),
            max_attempts: 10,
        };
        let waits: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn only_forward_moves_and_harmless_repeats_need_no_person() {
        use LinkState::*;
        let quiet = [
            Reconciled::Advanced {
                from: Pending,
                to: Paid,
            },
            Reconciled::AlreadyCurrent,
            Reconciled::Stale {
                local: Settled,
                observed: Paid,
            },
        ];
        for r in quiet {
            assert!(!Outcome::Reconciled(r.clone()).needs_attention(), "{r:?}");
        }
        let loud = [
            Outcome::Reconciled(Reconciled::PaidAfterExpiry { observed: Paid }),
            Outcome::Reconciled(Reconciled::ExpiredAfterPaid { local: Paid }),
            Outcome::Reconciled(Reconciled::UnknownStatus("REFUNDED".into())),
            Outcome::ForeignInvoice {
                order_invoice_id: "inv-2".into(),
            },
        ];
        for o in loud {
            assert!(o.needs_attention(), "{o:?}");
            assert_eq!(o.new_state().is_some(), o.code() == "paid_after_expiry");
        }
    }
}

//! The payment-link state machine (PENDING -> PAID -> SETTLED, PENDING -> EXPIRED) and the
//! reconciliation of an observed status with a local record. Time is always an argument.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::codes::InvoiceStatus;

/// The state of a payment link. Unlike [`InvoiceStatus`] this is closed: it is the set of
/// states the lifecycle rules are written for.
///
/// It is meant to be stored: `Display`, `FromStr` and serde all use the stable strings
/// `PENDING`, `PAID`, `SETTLED` and `EXPIRED` (Xendit's own), and reading is exact (no other
/// case or spelling).
///
/// ```
/// use paylink_core::LinkState;
/// assert_eq!(LinkState::Paid.to_string(), "PAID");
/// assert_eq!("EXPIRED".parse::<LinkState>(), Ok(LinkState::Expired));
/// assert!("paid".parse::<LinkState>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkState {
    /// Waiting for payment.
    Pending,
    /// Paid, not yet settled.
    Paid,
    /// Paid and settled to the merchant balance. Terminal.
    Settled,
    /// Expired unpaid. Terminal: an expired link never comes back.
    Expired,
}

impl LinkState {
    /// Whether no transition leaves this state.
    pub fn is_terminal(self) -> bool {
        matches!(self, LinkState::Settled | LinkState::Expired)
    }

    /// Whether money was received in this state.
    pub fn is_paid(self) -> bool {
        matches!(self, LinkState::Paid | LinkState::Settled)
    }

    /// The wire status.
    pub fn status(self) -> InvoiceStatus {
        match self {
            LinkState::Pending => InvoiceStatus::Pending,
            LinkState::Paid => InvoiceStatus::Paid,
            LinkState::Settled => InvoiceStatus::Settled,
            LinkState::Expired => InvoiceStatus::Expired,
        }
    }

    /// The state of a wire status, or `None` for a status paylink does not know.
    pub fn from_status(status: &InvoiceStatus) -> Option<LinkState> {
        match status {
            InvoiceStatus::Pending => Some(LinkState::Pending),
            InvoiceStatus::Paid => Some(LinkState::Paid),
            InvoiceStatus::Settled => Some(LinkState::Settled),
            InvoiceStatus::Expired => Some(LinkState::Expired),
            _ => None,
        }
    }
}

impl LinkState {
    /// Every state, in lifecycle order.
    pub const ALL: [LinkState; 4] = [
        LinkState::Pending,
        LinkState::Paid,
        LinkState::Settled,
        LinkState::Expired,
    ];

    /// The stable string: `PENDING`, `PAID`, `SETTLED`, `EXPIRED`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Pending => "PENDING",
            LinkState::Paid => "PAID",
            LinkState::Settled => "SETTLED",
            LinkState::Expired => "EXPIRED",
        }
    }
}

impl fmt::Display for LinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored string that is not one of the stable strings of [`LinkState`] or [`ExpiryCause`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not {what} (expected one of {expected})")]
pub struct UnknownState {
    /// What was read.
    pub value: String,
    what: &'static str,
    expected: &'static str,
}

impl FromStr for LinkState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LinkState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState {
                value: s.to_owned(),
                what: "a link state",
                expected: "PENDING, PAID, SETTLED, EXPIRED",
            })
    }
}

impl ExpiryCause {
    /// The stable string: `DURATION` or `MANUAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryCause::Duration => "DURATION",
            ExpiryCause::Manual => "MANUAL",
        }
    }
}

impl fmt::Display for ExpiryCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExpiryCause {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [ExpiryCause::Duration, ExpiryCause::Manual]
            .into_iter()
            .find(|cause| cause.as_str() == s)
            .ok_or_else(|| UnknownState {
                value: s.to_owned(),
                what: "an expiry cause",
                expected: "DURATION, MANUAL",
            })
    }
}

/// Why a link expired. Stored as `DURATION` or `MANUAL` (`Display`, `FromStr`, serde).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpiryCause {
    /// `invoice_duration` elapsed.
    Duration,
    /// `POST /invoices/{id}/expire!`.
    Manual,
}

/// Something that happens to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// A successful payment at `at`.
    Pay {
        /// When the payment completed.
        at: OffsetDateTime,
    },
    /// Settlement to the merchant balance at `at`.
    Settle {
        /// When.
        at: OffsetDateTime,
    },
    /// A manual expire at `at`.
    Expire {
        /// When.
        at: OffsetDateTime,
    },
    /// The clock reads `now`: expires the link if its duration has elapsed.
    Tick {
        /// The current time.
        now: OffsetDateTime,
    },
}

/// An illegal transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The link is EXPIRED; nothing leaves EXPIRED.
    #[error("the link expired at {expired_at}; an expired link cannot be paid, settled or expired again")]
    AlreadyExpired {
        /// When it expired.
        expired_at: OffsetDateTime,
    },
    /// A payment arrived at or after `expiry_date` on a link still marked PENDING.
    #[error("the payment at {at} is at or after the link's expiry date {expiry_date}")]
    PastExpiry {
        /// When the payment was attempted.
        at: OffsetDateTime,
        /// The link's expiry date.
        expiry_date: OffsetDateTime,
    },
    /// The link is already paid (PAID or SETTLED), so it cannot be paid or expired.
    #[error("the link is already {state}")]
    AlreadyPaid {
        /// PAID or SETTLED.
        state: LinkState,
    },
    /// Settlement of a link that was never paid.
    #[error("a PENDING link cannot be settled before it is paid")]
    NotPaid,
    /// A time earlier than the link's last change.
    #[error("time went backwards: {at} is before the last change at {updated}")]
    TimeWentBackwards {
        /// The time given.
        at: OffsetDateTime,
        /// The last change.
        updated: OffsetDateTime,
    },
}

/// A link's lifecycle: its state and the times that decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    state: LinkState,
    expiry_date: OffsetDateTime,
    updated: OffsetDateTime,
    paid_at: Option<OffsetDateTime>,
    settled_at: Option<OffsetDateTime>,
    expired: Option<(OffsetDateTime, ExpiryCause)>,
}

/// What an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The state changed.
    Moved {
        /// Before.
        from: LinkState,
        /// After.
        to: LinkState,
    },
    /// Nothing changed (a tick before expiry).
    Unchanged,
}

impl Lifecycle {
    /// A new PENDING link created at `created` that expires at `expiry_date`.
    pub fn new(created: OffsetDateTime, expiry_date: OffsetDateTime) -> Self {
        Lifecycle {
            state: LinkState::Pending,
            expiry_date,
            updated: created,
            paid_at: None,
            settled_at: None,
            expired: None,
        }
    }

    /// The state.
    pub fn state(&self) -> LinkState {
        self.state
    }

    /// When the link expires (or expired by duration).
    pub fn expiry_date(&self) -> OffsetDateTime {
        self.expiry_date
    }

    /// The last change.
    pub fn updated(&self) -> OffsetDateTime {
        self.updated
    }

    /// When it was paid.
    pub fn paid_at(&self) -> Option<OffsetDateTime> {
        self.paid_at
    }

    /// When it was settled.
    pub fn settled_at(&self) -> Option<OffsetDateTime> {
        self.settled_at
    }

    /// When and why it expired.
    pub fn expired(&self) -> Option<(OffsetDateTime, ExpiryCause)> {
        self.expired
    }

    /// Whether a PENDING link's duration has elapsed at `now`.
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.state == LinkState::Pending && now >= self.expiry_date
    }

    /// Applies an event, returning what it did. On error the lifecycle is unchanged.
    ///
    /// # Errors
    /// A [`TransitionError`] for an event the current state does not allow.
    pub fn apply(&mut self, event: LinkEvent) -> Result<Transition, TransitionError> {
        let at = match event {
            LinkEvent::Pay { at }
            | LinkEvent::Settle { at }
            | LinkEvent::Expire { at }
            | LinkEvent::Tick { now: at } => at,
        };
        if at < self.updated {
            return Err(TransitionError::TimeWentBackwards {
                at,
                updated: self.updated,
            });
        }
        let from = self.state;
        match (self.state, event) {
            (LinkState::Expired, LinkEvent::Tick { .. }) => Ok(Transition::Unchanged),
            (LinkState::Expired, _) => Err(TransitionError::AlreadyExpired {
                expired_at: self.expired.map_or(self.expiry_date, |(t, _)| t),
            }),
            (LinkState::Pending, LinkEvent::Tick { now }) => {
                if self.is_due(now) {
                    self.expire(self.expiry_date, ExpiryCause::Duration);
                    Ok(Transition::Moved {
                        from,
                        to: LinkState::Expired,
                    })
                } else {
                    Ok(Transition::Unchanged)
                }
            }
            (LinkState::Pending, LinkEvent::Pay { at }) => {
                if at >= self.expiry_date {
                    return Err(TransitionError::PastExpiry {
                        at,
                        expiry_date: self.expiry_date,
                    });
                }
                self.state = LinkState::Paid;
                self.paid_at = Some(at);
                self.updated = at;
                Ok(Transition::Moved {
                    from,
                    to: LinkState::Paid,
                })
            }
            (LinkState::Pending, LinkEvent::Expire { at }) => {
                if self.is_due(at) {
                    self.expire(self.expiry_date, ExpiryCause::Duration);
                } else {
                    self.expire(at, ExpiryCause::Manual);
                }
                Ok(Transition::Moved {
                    from,
                    to: LinkState::Expired,
                })
            }
            (LinkState::Pending, LinkEvent::Settle { .. }) => Err(TransitionError::NotPaid),
            (LinkState::Paid, LinkEvent::Settle { at }) => {
                self.state = LinkState::Settled;
                self.settled_at = Some(at);
                self.updated = at;
                Ok(Transition::Moved {
                    from,
                    to: LinkState::Settled,
                })
            }
            (LinkState::Paid | LinkState::Settled, LinkEvent::Tick { .. }) => {
                Ok(Transition::Unchanged)
            }
            (state @ (LinkState::Paid | LinkState::Settled), _) => {
                Err(TransitionError::AlreadyPaid { state })
            }
        }
    }

    fn expire(&mut self, at: OffsetDateTime, cause: ExpiryCause) {
        self.state = LinkState::Expired;
        self.expired = Some((at, cause));
        self.updated = self.updated.max(at);
    }
}

/// What applying an observed status to a local record means. Every outcome is safe to see
/// again: reconciliation is idempotent, and PAID and SETTLED may arrive in either order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Reconciled {
    /// The local record moves forward to `to`. Store it.
    Advanced {
        /// Local state before.
        from: LinkState,
        /// State to store.
        to: LinkState,
    },
    /// The record already shows this status (a duplicate webhook, a repeated GET).
    AlreadyCurrent,
    /// The observation is older than what the record shows (PAID after SETTLED, PENDING after
    /// PAID): it arrived late; keep the record.
    Stale {
        /// Local state, kept.
        local: LinkState,
        /// What was observed.
        observed: LinkState,
    },
    /// Xendit reports a payment on a link the record holds as EXPIRED. Xendit documents this
    /// race (a payment completing at expiry). The money is real: the application must decide
    /// (fulfil, or refund) and must not drop it.
    PaidAfterExpiry {
        /// PAID or SETTLED.
        observed: LinkState,
    },
    /// Xendit reports EXPIRED for a link the record holds as paid. Never legal; keep the record
    /// and investigate.
    ExpiredAfterPaid {
        /// Local state, kept.
        local: LinkState,
    },
    /// A status paylink does not know; the record is left alone.
    UnknownStatus(String),
}

impl Reconciled {
    /// The state the record holds after this outcome.
    pub fn resulting_state(&self, local: LinkState) -> LinkState {
        match self {
            Reconciled::Advanced { to, .. } => *to,
            _ => local,
        }
    }
}

/// Applies an observed wire status (from a webhook or a GET) to a local state.
///
/// ```
/// use paylink_core::{reconcile, InvoiceStatus, LinkState, Reconciled};
/// assert_eq!(
///     reconcile(LinkState::Pending, &InvoiceStatus::Paid),
///     Reconciled::Advanced { from: LinkState::Pending, to: LinkState::Paid }
/// );
/// assert_eq!(reconcile(LinkState::Paid, &InvoiceStatus::Paid), Reconciled::AlreadyCurrent);
/// assert_eq!(
///     reconcile(LinkState::Expired, &InvoiceStatus::Paid),
///     Reconciled::PaidAfterExpiry { observed: LinkState::Paid }
/// );
/// ```
pub fn reconcile(local: LinkState, observed: &InvoiceStatus) -> Reconciled {
    use LinkState::*;
    let Some(observed) = LinkState::from_status(observed) else {
        return Reconciled::UnknownStatus(observed.as_str().to_owned());
    };
    match (local, observed) {
        (l, o) if l == o => Reconciled::AlreadyCurrent,
        (Pending, o) => Reconciled::Advanced {
            from: Pending,
            to: o,
        },
        (Paid, Settled) => Reconciled::Advanced {
            from: Paid,
            to: Settled,
        },
        (Paid | Settled, Expired) => Reconciled::ExpiredAfterPaid { local },
        (Expired, o @ (Paid | Settled)) => Reconciled::PaidAfterExpiry { observed: o },
        (l, o) => Reconciled::Stale {
            local: l,
            observed: o,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    fn link() -> Lifecycle {
        let t0 = datetime!(2024-11-28 06:40:26.508 UTC);
        Lifecycle::new(t0, t0 + Duration::days(1))
    }

    #[test]
    fn a_payment_before_expiry_moves_pending_to_paid() {
        let mut l = link();
        let at = l.expiry_date() - Duration::hours(1);
        assert_eq!(
            l.apply(LinkEvent::Pay { at }),
            Ok(Transition::Moved {
                from: LinkState::Pending,
                to: LinkState::Paid
            })
        );
        assert_eq!(l.paid_at(), Some(at));
    }

    #[test]
    fn a_tick_at_expiry_expires_by_duration() {
        let mut l = link();
        let now = l.expiry_date();
        assert!(l.apply(LinkEvent::Tick { now }).is_ok());
        assert_eq!(l.state(), LinkState::Expired);
        assert_eq!(l.expired(), Some((now, ExpiryCause::Duration)));
    }

    #[test]
    fn nothing_leaves_expired() {
        let mut l = link();
        let at = l.expiry_date() - Duration::hours(2);
        assert!(l.apply(LinkEvent::Expire { at }).is_ok());
        let before = l;
        let later = at + Duration::minutes(1);
        for e in [
            LinkEvent::Pay { at: later },
            LinkEvent::Settle { at: later },
            LinkEvent::Expire { at: later },
        ] {
            assert_eq!(
                l.apply(e),
                Err(TransitionError::AlreadyExpired { expired_at: at })
            );
            assert_eq!(l, before);
        }
    }

    #[test]
    fn a_paid_link_cannot_expire() {
        let mut l = link();
        let at = l.expiry_date() - Duration::hours(2);
        assert!(l.apply(LinkEvent::Pay { at }).is_ok());
        assert_eq!(
            l.apply(LinkEvent::Expire { at }),
            Err(TransitionError::AlreadyPaid {
                state: LinkState::Paid
            })
        );
        assert_eq!(
            l.apply(LinkEvent::Tick {
                now: l.expiry_date() + Duration::days(3)
            }),
            Ok(Transition::Unchanged)
        );
    }

    #[test]
    fn settle_needs_a_payment_first() {
        let mut l = link();
        let at = l.updated();
        assert_eq!(
            l.apply(LinkEvent::Settle { at }),
            Err(TransitionError::NotPaid)
        );
    }

    #[test]
    fn a_payment_at_the_expiry_instant_is_refused() {
        let mut l = link();
        let at = l.expiry_date();
        assert!(matches!(
            l.apply(LinkEvent::Pay { at }),
            Err(TransitionError::PastExpiry { .. })
        ));
        assert_eq!(l.state(), LinkState::Pending);
    }

    #[test]
    fn settled_seen_before_paid_ends_settled() {
        let s = reconcile(LinkState::Pending, &InvoiceStatus::Settled);
        assert_eq!(s.resulting_state(LinkState::Pending), LinkState::Settled);
        assert_eq!(
            reconcile(LinkState::Settled, &InvoiceStatus::Paid),
            Reconciled::Stale {
                local: LinkState::Settled,
                observed: LinkState::Paid
            }
        );
    }

    #[test]
    fn an_unknown_status_leaves_the_record_alone() {
        assert_eq!(
            reconcile(LinkState::Paid, &InvoiceStatus::from("REFUNDED")),
            Reconciled::UnknownStatus("REFUNDED".into())
        );
    }
}

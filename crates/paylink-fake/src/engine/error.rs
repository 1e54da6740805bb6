//! `FakeError`: why a control call of the fake (pay, settle, set the clock...) was refused.

use super::*;

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
    /// A late payment of a link that is not EXPIRED.
    #[error("invoice `{id}` is {status}; only an EXPIRED link can be paid late")]
    NotExpired {
        /// Invoice id.
        id: String,
        /// Its status.
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

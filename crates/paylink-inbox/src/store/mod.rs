//! The storage port: [`InboxStore`], the records it keeps (received events, the rejected log)
//! and the claim a worker holds while it processes one event. Adapters: [`memory`],
//! [`sqlite`], [`postgres`].

pub mod memory;
pub mod postgres;
mod sql;
pub mod sqlite;

use async_trait::async_trait;
use time::OffsetDateTime;

/// The id of a stored event.
pub type EventId = i64;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// A webhook Xendit POSTed.
    Webhook,
    /// The sweeper's read of a link whose webhook had not come.
    Sweep,
}

impl Source {
    /// The stored name (`webhook`, `sweep`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Sweep => "sweep",
        }
    }

    /// The source of a stored name.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for a name that is neither.
    pub fn parse(name: &str) -> Result<Self, StoreError> {
        match name {
            "webhook" => Ok(Source::Webhook),
            "sweep" => Ok(Source::Sweep),
            other => Err(StoreError::corrupt("source", other)),
        }
    }
}

/// Where an event is in its processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventState {
    /// Waiting for a worker (new, or failed and due again at `next_attempt_at`).
    Pending,
    /// Processed; its outcome is recorded.
    Done,
    /// Failed every attempt; waits for a person to replay it.
    Dead,
}

impl EventState {
    /// The stored name (`pending`, `done`, `dead`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Pending => "pending",
            EventState::Done => "done",
            EventState::Dead => "dead",
        }
    }

    /// The state of a stored name.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for an unknown name.
    pub fn parse(name: &str) -> Result<Self, StoreError> {
        match name {
            "pending" => Ok(EventState::Pending),
            "done" => Ok(EventState::Done),
            "dead" => Ok(EventState::Dead),
            other => Err(StoreError::corrupt("state", other)),
        }
    }
}

/// An event to store: a verified, parsed callback (or a swept link) and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// `invoice id|status|updated (ms)`: two deliveries of one event share it.
    pub dedupe_key: String,
    /// The `webhook-id` header, when Xendit sent one; also unique.
    pub webhook_id: Option<String>,
    /// The invoice id.
    pub invoice_id: String,
    /// The merchant's `external_id` (the order).
    pub external_id: String,
    /// The reported status (`PAID`, `EXPIRED`...).
    pub status: String,
    /// The callback's `updated`.
    pub updated: OffsetDateTime,
    /// Webhook or sweep.
    pub source: Source,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// When it was received; also when it is first due.
    pub received_at: OffsetDateTime,
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored now, with this id.
    New(EventId),
    /// Already stored with this id; only its duplicate count moved.
    Duplicate(EventId),
}

impl Inserted {
    /// The stored event's id.
    pub fn id(self) -> EventId {
        match self {
            Inserted::New(id) | Inserted::Duplicate(id) => id,
        }
    }
}

/// A stored event and where its processing stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its id, increasing in arrival order.
    pub id: EventId,
    /// See [`NewEvent::dedupe_key`].
    pub dedupe_key: String,
    /// The `webhook-id` header.
    pub webhook_id: Option<String>,
    /// The invoice id.
    pub invoice_id: String,
    /// The merchant's `external_id`.
    pub external_id: String,
    /// The reported status.
    pub status: String,
    /// The callback's `updated`.
    pub updated: OffsetDateTime,
    /// Webhook or sweep.
    pub source: Source,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// When it was first received.
    pub received_at: OffsetDateTime,
    /// How many more times the same event arrived.
    pub duplicates: u32,
    /// Pending, done or dead.
    pub state: EventState,
    /// Processing attempts so far.
    pub attempts: u32,
    /// When it is next due (while pending).
    pub next_attempt_at: OffsetDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The recorded outcome code (`advanced`, `paid_after_expiry`, `amount_mismatch`...).
    pub outcome: Option<String>,
    /// The outcome in words.
    pub detail: Option<String>,
    /// Whether the outcome needs a person (see [`crate::Outcome::needs_attention`]).
    pub attention: bool,
    /// When it was processed or dead-lettered.
    pub processed_at: Option<OffsetDateTime>,
}

/// A refused request, kept so nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRejection {
    /// The refusal's code (`token_mismatch`, `invalid_body`, `too_large`...).
    pub reason: String,
    /// The refusal in words (JSON path and rule for a body).
    pub detail: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The body, or its start when it was unauthenticated or too large.
    pub body: Vec<u8>,
    /// The body's full length.
    pub body_len: u64,
    /// The `webhook-id` header, when present.
    pub webhook_id: Option<String>,
    /// When it was received.
    pub received_at: OffsetDateTime,
}

/// A stored refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Its id.
    pub id: i64,
    /// What was refused and why.
    pub rejection: NewRejection,
}

/// What a worker records for a processed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The outcome code.
    pub outcome: String,
    /// The outcome in words.
    pub detail: String,
    /// Whether a person must look at it.
    pub attention: bool,
    /// When.
    pub at: OffsetDateTime,
}

/// What a worker records for a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Why it failed.
    pub error: String,
    /// When to try again; `None` dead-letters the event.
    pub retry_at: Option<OffsetDateTime>,
    /// When it failed.
    pub at: OffsetDateTime,
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events in this state.
    pub state: Option<EventState>,
    /// Only events whose outcome needs attention.
    pub attention_only: bool,
    /// Only events about this invoice.
    pub invoice_id: Option<String>,
    /// At most this many (oldest first); 100 when 0.
    pub limit: u32,
}

impl EventFilter {
    /// Events in `state`.
    pub fn state(state: EventState) -> Self {
        EventFilter {
            state: Some(state),
            ..EventFilter::default()
        }
    }

    /// Events whose outcome needs a person.
    pub fn needing_attention() -> Self {
        EventFilter {
            attention_only: true,
            ..EventFilter::default()
        }
    }

    /// The limit to apply.
    pub fn effective_limit(&self) -> u32 {
        if self.limit == 0 {
            100
        } else {
            self.limit
        }
    }
}

/// How many events are in each state, and how many refusals are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting for a worker.
    pub pending: u64,
    /// Processed.
    pub done: u64,
    /// Dead-lettered.
    pub dead: u64,
    /// Processed with an outcome that needs attention.
    pub attention: u64,
    /// Refused requests kept in the rejected log.
    pub rejected: u64,
}

/// An event a worker holds, with the open transaction its processing runs in. Dropping it
/// without [`InboxStore::complete`] or [`InboxStore::fail`] rolls the transaction back: the
/// event is pending again and the handler's writes are undone. On a database the rollback runs
/// in the background (sqlx finishes it when the connection goes back to its pool), so other
/// workers see the event again a moment later.
#[derive(Debug)]
pub struct Claim<Tx> {
    /// The event, as stored before this attempt.
    pub event: StoredEvent,
    /// The transaction; the handler writes the application's own changes in it.
    pub tx: Tx,
}

/// Why the store failed. Never shows a connection string or password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("inbox store: {operation} failed: {message}")]
    Database {
        /// What was being done (`insert event`, `claim`...).
        operation: &'static str,
        /// The database's error.
        message: String,
    },
    /// A stored value the inbox cannot read.
    #[error("inbox store: stored {field} `{value}` is not valid")]
    Corrupt {
        /// The column.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// The schema migrations failed.
    #[error("inbox store: migration failed: {0}")]
    Migration(String),
}

impl StoreError {
    pub(crate) fn corrupt(field: &'static str, value: impl ToString) -> Self {
        StoreError::Corrupt {
            field,
            value: value.to_string(),
        }
    }

    pub(crate) fn db(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| StoreError::Database {
            operation,
            message: describe_sqlx(&e),
        }
    }
}

/// A sqlx error in words, without anything that could carry a connection string.
pub(crate) fn describe_sqlx(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Configuration(_) => "invalid connection settings".to_owned(),
        sqlx::Error::Database(d) => match d.code() {
            Some(code) => format!("{} (code {code})", d.message()),
            None => d.message().to_owned(),
        },
        other => other.to_string(),
    }
}

/// The storage port. Every adapter passes the `conformance` suite.
///
/// Events are inserted once per de-duplication key; a worker claims the oldest due pending
/// event inside a transaction ([`InboxStore::Tx`]) that the application's handler also writes
/// in, and [`InboxStore::complete`] or [`InboxStore::fail`] records the result and commits.
/// Two claims never hold the same event at once.
#[async_trait]
pub trait InboxStore: Send + Sync + 'static {
    /// The transaction a claim holds; the handler writes the application's changes in it
    /// (`sqlx::Transaction<'static, Postgres>` on PostgreSQL).
    type Tx: Send + 'static;

    /// Stores an event, or counts a duplicate of one already stored (same
    /// [`NewEvent::dedupe_key`] or `webhook_id`), in one transaction.
    ///
    /// # Errors
    /// [`StoreError`] when it could not be stored (the caller must not acknowledge it).
    async fn insert_event(&self, event: &NewEvent) -> Result<Inserted, StoreError>;

    /// Keeps a refused request in the rejected log.
    ///
    /// # Errors
    /// [`StoreError`] when it could not be stored.
    async fn insert_rejection(&self, rejection: &NewRejection) -> Result<i64, StoreError>;

    /// Claims the oldest pending event due at `now`, or `None` when there is none. Waits for
    /// the single writer on SQLite.
    ///
    /// # Errors
    /// [`StoreError`].
    async fn claim(&self, now: OffsetDateTime) -> Result<Option<Claim<Self::Tx>>, StoreError>;

    /// Records the outcome of a claimed event and commits the claim's transaction (with the
    /// handler's writes).
    ///
    /// # Errors
    /// [`StoreError`]; nothing is committed then and the event stays pending.
    async fn complete(
        &self,
        claim: Claim<Self::Tx>,
        completion: &Completion,
    ) -> Result<(), StoreError>;

    /// Undoes the handler's writes, records the failed attempt (pending again at
    /// `retry_at`, or dead) and commits.
    ///
    /// # Errors
    /// [`StoreError`]; the event stays pending as it was.
    async fn fail(&self, claim: Claim<Self::Tx>, failure: &Failure) -> Result<(), StoreError>;

    /// One event.
    ///
    /// # Errors
    /// [`StoreError`].
    async fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError>;

    /// Events matching `filter`, oldest first.
    ///
    /// # Errors
    /// [`StoreError`].
    async fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError>;

    /// Makes a dead event pending again, due at `now`, with its attempts reset. Returns
    /// whether an event was dead and is now pending.
    ///
    /// # Errors
    /// [`StoreError`].
    async fn replay(&self, id: EventId, now: OffsetDateTime) -> Result<bool, StoreError>;

    /// The rejected log, oldest first, at most `limit` entries.
    ///
    /// # Errors
    /// [`StoreError`].
    async fn rejections(&self, limit: u32) -> Result<Vec<Rejection>, StoreError>;

    /// How many events are in each state.
    ///
    /// # Errors
    /// [`StoreError`].
    async fn counts(&self) -> Result<Counts, StoreError>;
}

/// Milliseconds since the Unix epoch, the stored form of every time.
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The time of a stored millisecond count.
pub(crate) fn from_ms(field: &'static str, ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::corrupt(field, ms))
}

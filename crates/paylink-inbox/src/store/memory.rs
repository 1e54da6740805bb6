//! The in-memory store, for unit tests: the same rules as the database stores (one event per
//! key, one claim per event, a dropped claim puts its event back), nothing durable.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    Claim, Completion, Counts, EventFilter, EventId, EventState, Failure, InboxStore, Inserted,
    NewEvent, NewRejection, Rejection, StoreError, StoredEvent,
};

#[derive(Default)]
struct Inner {
    events: Vec<StoredEvent>,
    by_key: HashMap<String, EventId>,
    by_webhook_id: HashMap<String, EventId>,
    claimed: HashSet<EventId>,
    rejections: Vec<Rejection>,
}

/// The in-memory store; clones share the same events.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("MemoryStore")
            .field("events", &inner.events.len())
            .field("claimed", &inner.claimed.len())
            .field("rejections", &inner.rejections.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

type Deferred = Box<dyn FnOnce() + Send>;

/// The "transaction" of a memory claim. The application's in-memory writes go through
/// [`MemoryTx::on_commit`], so they happen only if the claim completes, as a database
/// transaction would have it; dropping the claim discards them and puts the event back.
pub struct MemoryTx {
    inner: Arc<Mutex<Inner>>,
    id: EventId,
    open: bool,
    deferred: Vec<Deferred>,
}

impl MemoryTx {
    /// Runs `write` when the claim completes, never if it fails or is dropped.
    pub fn on_commit(&mut self, write: impl FnOnce() + Send + 'static) {
        self.deferred.push(Box::new(write));
    }

    fn finish(mut self, inner: &mut Inner) -> Vec<Deferred> {
        inner.claimed.remove(&self.id);
        self.open = false;
        std::mem::take(&mut self.deferred)
    }
}

impl fmt::Debug for MemoryTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTx")
            .field("event", &self.id)
            .field("deferred_writes", &self.deferred.len())
            .finish()
    }
}

impl Drop for MemoryTx {
    fn drop(&mut self) {
        if self.open {
            lock(&self.inner).claimed.remove(&self.id);
        }
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn index(id: EventId) -> Option<usize> {
    usize::try_from(id).ok()?.checked_sub(1)
}

impl Inner {
    fn get_mut(&mut self, id: EventId) -> Result<&mut StoredEvent, StoreError> {
        index(id)
            .and_then(|i| self.events.get_mut(i))
            .ok_or(StoreError::Database {
                operation: "update event",
                message: format!("no event {id}"),
            })
    }
}

#[async_trait]
impl InboxStore for MemoryStore {
    type Tx = MemoryTx;

    async fn insert_event(&self, event: &NewEvent) -> Result<Inserted, StoreError> {
        let mut inner = lock(&self.inner);
        let existing = inner.by_key.get(&event.dedupe_key).copied().or_else(|| {
            event
                .webhook_id
                .as_ref()
                .and_then(|w| inner.by_webhook_id.get(w).copied())
        });
        if let Some(id) = existing {
            let stored = inner.get_mut(id)?;
            stored.duplicates = stored.duplicates.saturating_add(1);
            return Ok(Inserted::Duplicate(id));
        }
        let id = EventId::try_from(inner.events.len() + 1).unwrap_or(EventId::MAX);
        inner.events.push(StoredEvent {
            id,
            dedupe_key: event.dedupe_key.clone(),
            webhook_id: event.webhook_id.clone(),
            invoice_id: event.invoice_id.clone(),
            external_id: event.external_id.clone(),
            status: event.status.clone(),
            updated: event.updated,
            source: event.source,
            body: event.body.clone(),
            received_at: event.received_at,
            duplicates: 0,
            state: EventState::Pending,
            attempts: 0,
            next_attempt_at: event.received_at,
            last_error: None,
            outcome: None,
            detail: None,
            attention: false,
            processed_at: None,
        });
        inner.by_key.insert(event.dedupe_key.clone(), id);
        if let Some(w) = &event.webhook_id {
            inner.by_webhook_id.insert(w.clone(), id);
        }
        Ok(Inserted::New(id))
    }

    async fn insert_rejection(&self, rejection: &NewRejection) -> Result<i64, StoreError> {
        let mut inner = lock(&self.inner);
        let id = i64::try_from(inner.rejections.len() + 1).unwrap_or(i64::MAX);
        inner.rejections.push(Rejection {
            id,
            rejection: rejection.clone(),
        });
        Ok(id)
    }

    async fn claim(&self, now: OffsetDateTime) -> Result<Option<Claim<MemoryTx>>, StoreError> {
        let mut inner = lock(&self.inner);
        let next = inner
            .events
            .iter()
            .filter(|e| {
                e.state == EventState::Pending
                    && e.next_attempt_at <= now
                    && !inner.claimed.contains(&e.id)
            })
            .min_by_key(|e| (e.next_attempt_at, e.id))
            .cloned();
        let Some(event) = next else { return Ok(None) };
        inner.claimed.insert(event.id);
        let tx = MemoryTx {
            inner: Arc::clone(&self.inner),
            id: event.id,
            open: true,
            deferred: Vec::new(),
        };
        Ok(Some(Claim { event, tx }))
    }

    async fn complete(&self, claim: Claim<MemoryTx>, done: &Completion) -> Result<(), StoreError> {
        let deferred = {
            let mut inner = lock(&self.inner);
            let stored = inner.get_mut(claim.event.id)?;
            stored.state = EventState::Done;
            stored.attempts = stored.attempts.saturating_add(1);
            stored.outcome = Some(done.outcome.clone());
            stored.detail = Some(done.detail.clone());
            stored.attention = done.attention;
            stored.processed_at = Some(done.at);
            claim.tx.finish(&mut inner)
        };
        // The application's writes run outside the store's lock, as after a commit.
        for write in deferred {
            write();
        }
        Ok(())
    }

    async fn fail(&self, claim: Claim<MemoryTx>, failure: &Failure) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        let stored = inner.get_mut(claim.event.id)?;
        stored.attempts = stored.attempts.saturating_add(1);
        stored.last_error = Some(failure.error.clone());
        match failure.retry_at {
            Some(at) => stored.next_attempt_at = at,
            None => {
                stored.state = EventState::Dead;
                stored.processed_at = Some(failure.at);
            }
        }
        drop(claim.tx.finish(&mut inner));
        Ok(())
    }

    async fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        let inner = lock(&self.inner);
        Ok(index(id).and_then(|i| inner.events.get(i)).cloned())
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = lock(&self.inner);
        let limit = usize::try_from(filter.effective_limit()).unwrap_or(usize::MAX);
        Ok(inner
            .events
            .iter()
            .filter(|e| filter.state.is_none_or(|s| e.state == s))
            .filter(|e| !filter.attention_only || e.attention)
            .filter(|e| {
                filter
                    .invoice_id
                    .as_ref()
                    .is_none_or(|i| *i == e.invoice_id)
            })
            .take(limit)
            .cloned()
            .collect())
    }

    async fn replay(&self, id: EventId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let mut inner = lock(&self.inner);
        let Some(stored) = index(id).and_then(|i| inner.events.get_mut(i)) else {
            return Ok(false);
        };
        if stored.state != EventState::Dead {
            return Ok(false);
        }
        stored.state = EventState::Pending;
        stored.attempts = 0;
        stored.next_attempt_at = now;
        stored.processed_at = None;
        Ok(true)
    }

    async fn rejections(&self, limit: u32) -> Result<Vec<Rejection>, StoreError> {
        let inner = lock(&self.inner);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(inner.rejections.iter().take(limit).cloned().collect())
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let inner = lock(&self.inner);
        let mut counts = Counts {
            rejected: inner.rejections.len() as u64,
            ..Counts::default()
        };
        for e in &inner.events {
            match e.state {
                EventState::Pending => counts.pending += 1,
                EventState::Done => counts.done += 1,
                EventState::Dead => counts.dead += 1,
            }
            if e.attention {
                counts.attention += 1;
            }
        }
        Ok(counts)
    }
}

//! Webhook delivery as Xendit does it: each callback is POSTed as JSON with the
//! `x-callback-token` header; a non-2xx answer or a timeout is retried at +15 min, +1 h, +3 h,
//! +6 h, +12 h and +24 h after the first attempt (spec section 8.1), all scaled by a factor so
//! tests run in milliseconds. Delivery is at least once; every attempt is logged. A callback can
//! be sent once more on request ([`Deliverer::resend`]), byte for byte, as a new attempt; one
//! that reached its receiver that way gets no more scheduled retries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use paylink_core::timestamp;
use paylink_core::CallbackToken;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
mod send;

use send::{body_value, post_once, Job};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// When each attempt starts, counted from the first one: the first attempt, then Xendit's six
/// retries.
pub const SCHEDULE: [Duration; 7] = [
    Duration::ZERO,
    Duration::from_secs(15 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(3 * 60 * 60),
    Duration::from_secs(6 * 60 * 60),
    Duration::from_secs(12 * 60 * 60),
    Duration::from_secs(24 * 60 * 60),
];

/// How long an attempt may wait for an answer before it counts as failed, before scaling.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// The shortest scaled attempt timeout: a receiver on the loopback interface must get the time
/// to answer even when the schedule is scaled down to milliseconds.
pub(crate) const MIN_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

/// How much of a receiver's answer an attempt keeps.
const RESPONSE_SNIPPET_BYTES: usize = 512;

/// One POST of one callback, as `GET /_sandbox/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// Which callback (1, 2, ... in the order they were queued); attempts of one callback
    /// share it.
    pub delivery_id: u64,
    /// The account whose callback it is.
    #[serde(default)]
    pub account: String,
    /// 1 for the first attempt, 2 for the next one (a retry or a resend)...
    pub attempt: u32,
    /// Whether it was a resend asked for (`POST /_sandbox/deliveries/{id}/resend`) rather than
    /// an attempt of the retry schedule.
    #[serde(default)]
    pub manual: bool,
    /// Where it was sent.
    pub url: String,
    /// The HTTP status of the answer, when there was one.
    pub status: Option<u16>,
    /// Whether the receiver accepted it (a 2xx answer).
    pub delivered: bool,
    /// Why the attempt failed without an answer (timeout, connection refused).
    pub error: Option<String>,
    /// The start of the receiver's answer (at most 512 bytes, `…` when cut), when it sent one.
    #[serde(default)]
    pub response: Option<String>,
    /// The callback body.
    pub body: Value,
    /// When the attempt was made (wall clock, UTC).
    #[serde(with = "timestamp")]
    pub time: OffsetDateTime,
}

/// Why a callback could not be sent again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResendError {
    /// No callback was queued with this delivery id (or it was forgotten by a reset).
    #[error("no delivery with id {id}")]
    UnknownDelivery {
        /// The id asked for.
        id: u64,
    },
    /// No callback URL is configured any more.
    #[error("no callback URL is configured: there is nowhere to send delivery {id}")]
    NoCallbackUrl {
        /// The delivery.
        id: u64,
    },
}

/// Where and how callbacks go.
#[derive(Clone)]
pub struct DeliveryTarget {
    /// The receiver.
    pub url: String,
    /// The account's verification token, sent in `x-callback-token`.
    pub token: CallbackToken,
}

/// One queued callback: what was sent, for which account, and whether it is finished (accepted
/// by the receiver, or out of retries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// The delivery id (attempts of one callback share it).
    pub id: u64,
    /// The account whose callback it is.
    pub account: String,
    /// The callback body, byte for byte.
    pub body: String,
    /// When it was queued (wall clock, UTC): the schedule of retries counts from here.
    #[serde(with = "timestamp")]
    pub queued_at: OffsetDateTime,
    /// Scheduled attempts made so far.
    pub attempts: u32,
    /// Accepted by the receiver, or out of retries: no more scheduled attempts.
    pub finished: bool,
}

/// What changed in the deliveries since the last [`Deliverer::take_changes`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryChanges {
    /// The change count these changes bring the caller up to.
    pub change_count: u64,
    /// Whether the log was cleared since the last look.
    pub reset: bool,
    /// The deliveries queued or changed.
    pub deliveries: Vec<DeliveryRecord>,
    /// The attempts made, in order.
    pub attempts: Vec<DeliveryAttempt>,
}

#[derive(Default)]
struct Journal {
    on: bool,
    reset: bool,
    deliveries: BTreeSet<u64>,
    attempts: Vec<DeliveryAttempt>,
}

/// Who receives each account's callbacks.
struct Targets {
    default_account: String,
    by_account: HashMap<String, Option<DeliveryTarget>>,
}

struct Inner {
    client: reqwest::Client,
    scale: f64,
    targets: Mutex<Targets>,
    log: Mutex<Vec<DeliveryAttempt>>,
    deliveries: Mutex<BTreeMap<u64, DeliveryRecord>>,
    journal: Mutex<Journal>,
    changes: AtomicU64,
    bell: Notify,
    next_id: Mutex<u64>,
}

impl Inner {
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.bell.notify_one();
    }

    fn target_of(&self, account: &str) -> Option<DeliveryTarget> {
        lock(&self.targets)
            .by_account
            .get(account)
            .cloned()
            .flatten()
    }

    /// Logs an attempt with the next attempt number of its callback (numbers are given as
    /// attempts end, under the log's lock, so a resend and a scheduled retry never share one),
    /// and marks the delivery finished when `finished`.
    fn record_attempt(&self, mut attempt: DeliveryAttempt, finished: bool) -> DeliveryAttempt {
        let id = attempt.delivery_id;
        let scheduled = !attempt.manual;
        {
            let mut log = lock(&self.log);
            attempt.attempt = log
                .iter()
                .rev()
                .find(|a| a.delivery_id == id)
                .map_or(1, |a| a.attempt.saturating_add(1));
            log.push(attempt.clone());
        }
        tracing::info!(
            delivery_id = id,
            attempt = attempt.attempt,
            status = attempt.status,
            delivered = attempt.delivered,
            manual = attempt.manual,
            "webhook attempt to {}",
            attempt.url
        );
        if let Some(d) = lock(&self.deliveries).get_mut(&id) {
            if scheduled {
                d.attempts = d.attempts.saturating_add(1);
            }
            d.finished |= finished;
        }
        let mut journal = lock(&self.journal);
        if journal.on {
            journal.deliveries.insert(id);
            journal.attempts.push(attempt.clone());
        }
        drop(journal);
        self.changed();
        attempt
    }

    fn delivered(&self, id: u64) -> bool {
        lock(&self.deliveries).get(&id).is_none_or(|d| d.finished)
    }
}

/// Delivers callbacks in the background and keeps the log of every attempt.
pub struct Deliverer {
    inner: Arc<Inner>,
    tasks: Mutex<JoinSet<()>>,
}

/// The account name of a deliverer made with [`Deliverer::new`].
pub const DEFAULT_ACCOUNT: &str = "default";

impl Deliverer {
    /// A deliverer that sends to `target` (or nowhere when `None`) on Xendit's schedule
    /// multiplied by `scale` (1.0 is real time, 0.0001 turns hours into fractions of a second).
    /// A scale outside (0, 1] is taken as 1.0: the schedule is never slower than Xendit's.
    /// Its one account is named [`DEFAULT_ACCOUNT`].
    pub fn new(target: Option<DeliveryTarget>, scale: f64) -> Self {
        Deliverer::for_accounts(vec![(DEFAULT_ACCOUNT.to_owned(), target)], scale)
    }

    /// A deliverer for several accounts, each with its receiver (or none); the first is the
    /// one [`Deliverer::enqueue`] and [`Deliverer::set_target`] act for.
    pub fn for_accounts(accounts: Vec<(String, Option<DeliveryTarget>)>, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 && scale <= 1.0 {
            scale
        } else {
            1.0
        };
        let default_account = accounts
            .first()
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
        Deliverer {
            inner: Arc::new(Inner {
                client: reqwest::Client::new(),
                scale,
                targets: Mutex::new(Targets {
                    default_account,
                    by_account: accounts.into_iter().collect(),
                }),
                log: Mutex::new(Vec::new()),
                deliveries: Mutex::new(BTreeMap::new()),
                journal: Mutex::new(Journal::default()),
                changes: AtomicU64::new(0),
                bell: Notify::new(),
                next_id: Mutex::new(0),
            }),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// The timeout of one attempt: Xendit's 30 s scaled, and at least 1 s.
    pub fn attempt_timeout(&self) -> Duration {
        attempt_timeout(self.inner.scale)
    }

    /// Queues a callback body of the first account (sent byte for byte) for delivery and
    /// returns its delivery id, or `None` when no callback URL is configured (the callback is
    /// then dropped, as Xendit drops events for an account without a webhook URL). Must be
    /// called inside a tokio runtime.
    pub fn enqueue(&self, body: &str) -> Option<u64> {
        let account = lock(&self.inner.targets).default_account.clone();
        self.enqueue_for(&account, body)
    }

    /// Queues a callback body of `account` for delivery to that account's receiver, as
    /// [`Deliverer::enqueue`] does.
    pub fn enqueue_for(&self, account: &str, body: &str) -> Option<u64> {
        self.inner.target_of(account)?;
        let id = {
            let mut next = lock(&self.inner.next_id);
            *next += 1;
            *next
        };
        let record = DeliveryRecord {
            id,
            account: account.to_owned(),
            body: body.to_owned(),
            queued_at: OffsetDateTime::now_utc(),
            attempts: 0,
            finished: false,
        };
        lock(&self.inner.deliveries).insert(id, record.clone());
        {
            let mut journal = lock(&self.inner.journal);
            if journal.on {
                journal.deliveries.insert(id);
            }
        }
        self.inner.changed();
        self.spawn(record);
        Some(id)
    }

    fn spawn(&self, record: DeliveryRecord) {
        let job = Job {
            inner: Arc::clone(&self.inner),
            record,
        };
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(job.run());
    }

    /// Every attempt so far, oldest first.
    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        lock(&self.inner.log).clone()
    }

    /// Every delivery queued so far, by id.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        lock(&self.inner.deliveries).values().cloned().collect()
    }

    /// The callback body of a delivery as it was sent, byte for byte.
    pub fn callback_body(&self, delivery_id: u64) -> Option<String> {
        lock(&self.inner.deliveries)
            .get(&delivery_id)
            .map(|d| d.body.clone())
    }

    /// Where the first account's callbacks go now, if anywhere.
    pub fn callback_url(&self) -> Option<String> {
        let account = lock(&self.inner.targets).default_account.clone();
        self.callback_url_of(&account)
    }

    /// Where `account`'s callbacks go now, if anywhere.
    pub fn callback_url_of(&self, account: &str) -> Option<String> {
        self.inner.target_of(account).map(|t| t.url)
    }

    /// Sends the callback of `delivery_id` once more, now, byte for byte and with the token, to
    /// its account's current receiver: one attempt with no retry, logged with the next attempt
    /// number and marked `manual`. Answers that attempt (delivered or not). When it is
    /// delivered, the callback's scheduled retries stop.
    ///
    /// # Errors
    /// [`ResendError::UnknownDelivery`] for an id no callback had;
    /// [`ResendError::NoCallbackUrl`] when its account has no receiver.
    pub async fn resend(&self, delivery_id: u64) -> Result<DeliveryAttempt, ResendError> {
        let record = lock(&self.inner.deliveries)
            .get(&delivery_id)
            .cloned()
            .ok_or(ResendError::UnknownDelivery { id: delivery_id })?;
        let target = self
            .inner
            .target_of(&record.account)
            .ok_or(ResendError::NoCallbackUrl { id: delivery_id })?;
        let time = OffsetDateTime::now_utc();
        let timeout = self.attempt_timeout();
        let (status, response, error) =
            post_once(&self.inner.client, &target, record.body.as_bytes(), timeout).await;
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        Ok(self.inner.record_attempt(
            DeliveryAttempt {
                delivery_id,
                account: record.account.clone(),
                attempt: 0,
                manual: true,
                url: target.url.clone(),
                status,
                delivered,
                error,
                response,
                body: body_value(&record.body),
                time,
            },
            delivered,
        ))
    }

    /// Whether deliveries are still in flight or waiting for a retry.
    pub fn is_busy(&self) -> bool {
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        !tasks.is_empty()
    }

    /// Replaces the receiver of the first account (`None` stops delivering its new callbacks).
    pub fn set_target(&self, target: Option<DeliveryTarget>) {
        let mut targets = lock(&self.inner.targets);
        let account = targets.default_account.clone();
        targets.by_account.insert(account, target);
    }

    /// Cancels every pending delivery and clears the log.
    pub fn reset(&self) {
        lock(&self.tasks).abort_all();
        lock(&self.inner.log).clear();
        lock(&self.inner.deliveries).clear();
        {
            let mut journal = lock(&self.inner.journal);
            if journal.on {
                *journal = Journal {
                    on: true,
                    reset: true,
                    ..Journal::default()
                };
            }
        }
        self.inner.changed();
    }

    /// Cancels every pending delivery.
    pub fn shutdown(&self) {
        lock(&self.tasks).abort_all();
    }

    // ----- keeping the log in a store -----

    /// Starts keeping track of what changes, for [`Deliverer::take_changes`].
    pub fn track_changes(&self) {
        lock(&self.inner.journal).on = true;
    }

    /// A number that grows with every change of the deliveries or their log.
    pub fn change_count(&self) -> u64 {
        self.inner.changes.load(Ordering::Acquire)
    }

    /// Waits until something changes (an attempt is made, a delivery queued).
    pub async fn changed(&self) {
        self.inner.bell.notified().await;
    }

    /// The deliveries queued or changed and the attempts made since the last call.
    pub fn take_changes(&self) -> DeliveryChanges {
        let change_count = self.change_count();
        let mut journal = lock(&self.inner.journal);
        let ids = std::mem::take(&mut journal.deliveries);
        let attempts = std::mem::take(&mut journal.attempts);
        let reset = std::mem::take(&mut journal.reset);
        drop(journal);
        let all = lock(&self.inner.deliveries);
        let deliveries = ids.iter().filter_map(|id| all.get(id).cloned()).collect();
        DeliveryChanges {
            change_count,
            reset,
            deliveries,
            attempts,
        }
    }

    /// Takes back deliveries and attempts kept in a store, and resumes every unfinished
    /// delivery on its schedule (counted from when it was queued; attempts already due are
    /// made at once). Must be called inside a tokio runtime, before anything is queued.
    pub fn restore(&self, deliveries: Vec<DeliveryRecord>, attempts: Vec<DeliveryAttempt>) {
        let next = deliveries.iter().map(|d| d.id).max().unwrap_or(0);
        *lock(&self.inner.next_id) = next;
        *lock(&self.inner.log) = attempts;
        let unfinished: Vec<DeliveryRecord> = deliveries
            .iter()
            .filter(|d| !d.finished && (d.attempts as usize) < SCHEDULE.len())
            .cloned()
            .collect();
        *lock(&self.inner.deliveries) = deliveries.into_iter().map(|d| (d.id, d)).collect();
        for record in unfinished {
            self.spawn(record);
        }
    }
}

impl Drop for Deliverer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn attempt_timeout(scale: f64) -> Duration {
    ATTEMPT_TIMEOUT.mul_f64(scale).max(MIN_ATTEMPT_TIMEOUT)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

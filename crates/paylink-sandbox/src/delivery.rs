//! Webhook delivery as Xendit does it: each callback is POSTed as JSON with the
//! `x-callback-token` header; a non-2xx answer or a timeout is retried at +15 min, +1 h, +3 h,
//! +6 h, +12 h and +24 h after the first attempt (spec section 8.1), all scaled by a factor so
//! tests run in milliseconds. Delivery is at least once; every attempt is logged. A callback can
//! be sent once more on request ([`Deliverer::resend`]), byte for byte, as a new attempt; one
//! that reached its receiver that way gets no more scheduled retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;

use paylink_core::timestamp;
use paylink_core::{CallbackToken, CALLBACK_TOKEN_HEADER};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::task::JoinSet;
use tokio::time::Instant;

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
    /// 1 for the first attempt, 2 for the next one (a retry or a resend)...
    pub attempt: u32,
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
    /// Whether it was a resend asked for (`POST /_sandbox/deliveries/{id}/resend`) rather than
    /// an attempt of the retry schedule.
    #[serde(default)]
    pub manual: bool,
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

/// Delivers callbacks in the background and keeps the log of every attempt.
pub struct Deliverer {
    client: reqwest::Client,
    scale: f64,
    target: Mutex<Option<DeliveryTarget>>,
    log: Arc<Mutex<Vec<DeliveryAttempt>>>,
    bodies: Mutex<HashMap<u64, Bytes>>,
    tasks: Mutex<JoinSet<()>>,
    next_id: Mutex<u64>,
}

impl Deliverer {
    /// A deliverer that sends to `target` (or nowhere when `None`) on Xendit's schedule
    /// multiplied by `scale` (1.0 is real time, 0.0001 turns hours into fractions of a second).
    /// A scale outside (0, 1] is taken as 1.0: the schedule is never slower than Xendit's.
    pub fn new(target: Option<DeliveryTarget>, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 && scale <= 1.0 {
            scale
        } else {
            1.0
        };
        Deliverer {
            client: reqwest::Client::new(),
            scale,
            target: Mutex::new(target),
            log: Arc::new(Mutex::new(Vec::new())),
            bodies: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            next_id: Mutex::new(0),
        }
    }

    /// The timeout of one attempt: Xendit's 30 s scaled, and at least 1 s.
    pub fn attempt_timeout(&self) -> Duration {
        ATTEMPT_TIMEOUT.mul_f64(self.scale).max(MIN_ATTEMPT_TIMEOUT)
    }

    /// Queues a callback body (sent byte for byte) for delivery and returns its delivery id,
    /// or `None` when no callback URL is configured (the callback is then dropped, as Xendit
    /// drops events for an account without a webhook URL). Must be called inside a tokio
    /// runtime.
    pub fn enqueue(&self, body: &str) -> Option<u64> {
        let target = lock(&self.target).clone()?;
        let id = {
            let mut next = lock(&self.next_id);
            *next += 1;
            *next
        };
        let bytes = Bytes::copy_from_slice(body.as_bytes());
        lock(&self.bodies).insert(id, bytes.clone());
        let job = Job {
            client: self.client.clone(),
            target,
            id,
            bytes,
            body: body_value(body.as_bytes()),
            scale: self.scale,
            timeout: self.attempt_timeout(),
            log: Arc::clone(&self.log),
        };
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(job.run());
        Some(id)
    }

    /// Every attempt so far, oldest first.
    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        lock(&self.log).clone()
    }

    /// The callback body of a delivery as it was sent, byte for byte (as text).
    pub fn callback_body(&self, delivery_id: u64) -> Option<String> {
        lock(&self.bodies)
            .get(&delivery_id)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// Where callbacks go now, if anywhere.
    pub fn callback_url(&self) -> Option<String> {
        lock(&self.target).as_ref().map(|t| t.url.clone())
    }

    /// Sends the callback of `delivery_id` once more, now, byte for byte and with the token, to
    /// the current receiver: one attempt with no retry, logged with the next attempt number and
    /// marked `manual`. Answers that attempt (delivered or not). When it is delivered, the
    /// callback's scheduled retries stop.
    ///
    /// # Errors
    /// [`ResendError::UnknownDelivery`] for an id no callback had;
    /// [`ResendError::NoCallbackUrl`] when no receiver is configured.
    pub async fn resend(&self, delivery_id: u64) -> Result<DeliveryAttempt, ResendError> {
        let bytes = lock(&self.bodies)
            .get(&delivery_id)
            .cloned()
            .ok_or(ResendError::UnknownDelivery { id: delivery_id })?;
        let target = lock(&self.target)
            .clone()
            .ok_or(ResendError::NoCallbackUrl { id: delivery_id })?;
        let time = OffsetDateTime::now_utc();
        let outcome = send_once(&self.client, &target, bytes.clone(), self.attempt_timeout()).await;
        Ok(record(
            &self.log,
            Sent {
                id: delivery_id,
                url: &target.url,
                body: body_value(&bytes),
                time,
                manual: true,
            },
            outcome,
        ))
    }

    /// Whether deliveries are still in flight or waiting for a retry.
    pub fn is_busy(&self) -> bool {
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        !tasks.is_empty()
    }

    /// Replaces the receiver (`None` stops delivering new callbacks).
    pub fn set_target(&self, target: Option<DeliveryTarget>) {
        *lock(&self.target) = target;
    }

    /// Cancels every pending delivery and clears the log.
    pub fn reset(&self) {
        lock(&self.tasks).abort_all();
        lock(&self.log).clear();
        lock(&self.bodies).clear();
    }

    /// Cancels every pending delivery.
    pub fn shutdown(&self) {
        lock(&self.tasks).abort_all();
    }
}

impl Drop for Deliverer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Job {
    client: reqwest::Client,
    target: DeliveryTarget,
    id: u64,
    bytes: Bytes,
    body: Value,
    scale: f64,
    timeout: Duration,
    log: Arc<Mutex<Vec<DeliveryAttempt>>>,
}

impl Job {
    async fn run(self) {
        let start = Instant::now();
        for offset in SCHEDULE {
            if !offset.is_zero() {
                tokio::time::sleep_until(start + offset.mul_f64(self.scale)).await;
                // A resend reached the receiver meanwhile: the callback is delivered.
                if delivered(&self.log, self.id) {
                    return;
                }
            }
            let time = OffsetDateTime::now_utc();
            let outcome =
                send_once(&self.client, &self.target, self.bytes.clone(), self.timeout).await;
            let attempt = record(
                &self.log,
                Sent {
                    id: self.id,
                    url: &self.target.url,
                    body: self.body.clone(),
                    time,
                    manual: false,
                },
                outcome,
            );
            if attempt.delivered {
                return;
            }
        }
    }
}

/// What one POST of a callback brought back.
struct Outcome {
    status: Option<u16>,
    response: Option<String>,
    error: Option<String>,
}

/// POSTs a callback once, with the token, waiting at most `timeout` for the answer.
async fn send_once(
    client: &reqwest::Client,
    target: &DeliveryTarget,
    bytes: Bytes,
    timeout: Duration,
) -> Outcome {
    let answer = client
        .post(&target.url)
        .header(CALLBACK_TOKEN_HEADER, target.token.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .timeout(timeout)
        .body(bytes)
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let response = read_response(answer).await;
            Outcome {
                status: Some(status),
                response,
                error: None,
            }
        }
        Err(e) if e.is_timeout() => Outcome {
            status: None,
            response: None,
            error: Some(format!("no answer within {} ms", timeout.as_millis())),
        },
        Err(e) => Outcome {
            status: None,
            response: None,
            error: Some(describe(&e)),
        },
    }
}

/// An attempt about to be logged.
struct Sent<'a> {
    id: u64,
    url: &'a str,
    body: Value,
    time: OffsetDateTime,
    manual: bool,
}

/// Logs an attempt with the next attempt number of its callback (numbers are given as attempts
/// end, under the log's lock, so a resend and a scheduled retry never share one).
fn record(log: &Mutex<Vec<DeliveryAttempt>>, sent: Sent<'_>, outcome: Outcome) -> DeliveryAttempt {
    let delivered = outcome.status.is_some_and(|s| (200..300).contains(&s));
    let mut log = lock(log);
    let attempt = log
        .iter()
        .rev()
        .find(|a| a.delivery_id == sent.id)
        .map_or(1, |a| a.attempt.saturating_add(1));
    tracing::info!(
        delivery_id = sent.id,
        attempt,
        status = outcome.status,
        delivered,
        manual = sent.manual,
        "webhook attempt to {}",
        sent.url
    );
    let entry = DeliveryAttempt {
        delivery_id: sent.id,
        attempt,
        url: sent.url.to_owned(),
        status: outcome.status,
        delivered,
        error: outcome.error,
        response: outcome.response,
        body: sent.body,
        time: sent.time,
        manual: sent.manual,
    };
    log.push(entry.clone());
    entry
}

/// Whether an attempt of this callback reached its receiver.
fn delivered(log: &Mutex<Vec<DeliveryAttempt>>, id: u64) -> bool {
    lock(log).iter().any(|a| a.delivery_id == id && a.delivered)
}

/// The callback body as JSON, or as a JSON string when it is not JSON.
fn body_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// The start of the receiver's answer, as text: at most [`RESPONSE_SNIPPET_BYTES`] bytes, cut
/// at a character boundary; `None` for an empty body or one that could not be read.
async fn read_response(mut answer: reqwest::Response) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() <= RESPONSE_SNIPPET_BYTES {
        match answer.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let truncated = bytes.len() > RESPONSE_SNIPPET_BYTES;
    let mut text = paylink_core::body_snippet(&bytes[..bytes.len().min(RESPONSE_SNIPPET_BYTES)]);
    if truncated {
        text.push('…');
    }
    (!text.is_empty()).then_some(text)
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

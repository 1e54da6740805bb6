//! Sending: one POST of a callback, the job that makes a delivery's scheduled attempts, and
//! what an attempt keeps of the answer.

use std::sync::Arc;
use std::time::Duration;

use paylink_core::CALLBACK_TOKEN_HEADER;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::{
    attempt_timeout, DeliveryAttempt, DeliveryRecord, DeliveryTarget, Inner,
    RESPONSE_SNIPPET_BYTES, SCHEDULE,
};

/// One POST of a callback to `target`: the attempt as logged, and whether it was accepted.
pub(super) async fn post_once(
    client: &reqwest::Client,
    target: &DeliveryTarget,
    bytes: &[u8],
    timeout: Duration,
) -> (Option<u16>, Option<String>, Option<String>) {
    let answer = client
        .post(&target.url)
        .header(CALLBACK_TOKEN_HEADER, target.token.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .timeout(timeout)
        .body(bytes.to_vec())
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let response = read_response(answer).await;
            (Some(status), response, None)
        }
        Err(e) if e.is_timeout() => (
            None,
            None,
            Some(format!("no answer within {} ms", timeout.as_millis())),
        ),
        Err(e) => (None, None, Some(describe(&e))),
    }
}

pub(super) struct Job {
    pub(super) inner: Arc<Inner>,
    pub(super) record: DeliveryRecord,
}

impl Job {
    pub(super) async fn run(self) {
        let inner = &self.inner;
        let record = &self.record;
        // The schedule counts from when the callback was queued, also after a restart.
        let waited = (OffsetDateTime::now_utc() - record.queued_at)
            .try_into()
            .unwrap_or(Duration::ZERO);
        let start = Instant::now()
            .checked_sub(waited)
            .unwrap_or_else(Instant::now);
        let body = body_value(&record.body);
        let timeout = attempt_timeout(inner.scale);
        for (n, offset) in SCHEDULE.iter().enumerate().skip(record.attempts as usize) {
            if !offset.is_zero() {
                tokio::time::sleep_until(start + offset.mul_f64(inner.scale)).await;
                // A resend reached the receiver meanwhile: the callback is delivered.
                if inner.delivered(record.id) {
                    return;
                }
            }
            let Some(target) = inner.target_of(&record.account) else {
                return;
            };
            let time = OffsetDateTime::now_utc();
            let (status, response, error) =
                post_once(&inner.client, &target, record.body.as_bytes(), timeout).await;
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let last = n + 1 == SCHEDULE.len();
            inner.record_attempt(
                DeliveryAttempt {
                    delivery_id: record.id,
                    account: record.account.clone(),
                    attempt: 0,
                    manual: false,
                    url: target.url.clone(),
                    status,
                    delivered,
                    error,
                    response,
                    body: body.clone(),
                    time,
                },
                delivered || last,
            );
            if delivered {
                return;
            }
        }
    }
}

/// The callback body as JSON, or as a JSON string when it is not JSON.
pub(super) fn body_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
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

//! The request log: the last [`REQUEST_LOG_CAPACITY`] requests to the Xendit API, checkout and
//! control routes, recorded by a middleware, kept in memory, newest first, with secrets and
//! e-mail addresses redacted (see [`redact`]). `GET /_sandbox/requests` lists it.

mod layer;
pub(crate) mod redact;

pub(crate) use layer::RecordLayer;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, Uri};
use axum::Json;
use paylink_core::timestamp;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::ErrorAnswer;
use super::SandboxState;

/// How many requests the log keeps: the oldest is dropped when a new one comes.
pub const REQUEST_LOG_CAPACITY: usize = 1000;

/// How much of each request body the log keeps, in bytes (the rest is counted, not kept).
pub const REQUEST_BODY_CAP: usize = 16 * 1024;

/// How much of an error answer is read to name its code and message.
const ERROR_BODY_CAP: usize = 64 * 1024;

/// One request, as `GET /_sandbox/requests` lists it. Never holds the `Authorization` header
/// or the API key; secrets and e-mail addresses in the query and body are redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// 1, 2, ... in the order requests came in (not reset by a reset).
    pub id: u64,
    /// `GET`, `POST`...
    pub method: String,
    /// The path (`/v2/invoices`).
    pub path: String,
    /// The query string, redacted, without the `?`.
    #[serde(default)]
    pub query: Option<String>,
    /// The status of the answer.
    pub status: u16,
    /// `error_code: message` of an error answer in Xendit's shape.
    #[serde(default)]
    pub error: Option<String>,
    /// When it came in (wall clock, UTC).
    #[serde(with = "timestamp")]
    pub time: OffsetDateTime,
    /// The sandbox's clock when it came in.
    #[serde(with = "timestamp")]
    pub sandbox_time: OffsetDateTime,
    /// How long the answer took, in milliseconds.
    pub duration_ms: u64,
    /// The `for-user-id` header, if sent.
    #[serde(default)]
    pub for_user_id: Option<String>,
    /// The `Content-Type` header, if sent.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The body as text, redacted, at most [`REQUEST_BODY_CAP`] bytes of it; `None` when
    /// empty (or not read: `expire!` reads none).
    #[serde(default)]
    pub body: Option<String>,
    /// How many bytes of body the route read.
    pub body_bytes: u64,
    /// Whether `body` is only the start of it.
    pub body_truncated: bool,
}

/// The log: a bounded queue of [`LoggedRequest`], newest last inside, newest first out.
#[derive(Debug)]
pub struct RequestLog {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    entries: VecDeque<(u64, Entry)>,
}

/// A kept request as the middleware saw it: redacted and written out only when listed, so a
/// request pays for keeping its headers and body, not for their redaction (tests also give
/// entries as they are listed).
#[derive(Debug)]
// Every request keeps a `Seen`: held inline, so keeping one costs no allocation of its own.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Entry {
    Seen(Seen),
    #[cfg_attr(not(test), allow(dead_code))]
    Given(Box<LoggedRequest>),
}

/// A request as the middleware saw it.
#[derive(Debug)]
pub(crate) struct Seen {
    method: Method,
    uri: Uri,
    status: u16,
    error: Option<String>,
    time: OffsetDateTime,
    sandbox_time: OffsetDateTime,
    duration_ms: u64,
    for_user_id: Option<HeaderValue>,
    content_type: Option<HeaderValue>,
    body: Vec<u8>,
    body_bytes: u64,
}

fn header_text(value: Option<&HeaderValue>) -> Option<String> {
    value
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Entry {
    fn logged(&self, id: u64) -> LoggedRequest {
        let seen = match self {
            Entry::Given(given) => {
                return LoggedRequest {
                    id,
                    ..(**given).clone()
                }
            }
            Entry::Seen(seen) => seen,
        };
        let content_type = header_text(seen.content_type.as_ref());
        let truncated = seen.body_bytes > seen.body.len() as u64;
        let body = (!seen.body.is_empty()).then(|| {
            let text = String::from_utf8_lossy(&seen.body);
            redact::redact_body(&text, content_type.as_deref(), truncated)
        });
        LoggedRequest {
            id,
            method: seen.method.as_str().to_owned(),
            path: redact::redact_emails(seen.uri.path(), false).into_owned(),
            query: seen.uri.query().map(|q| redact::redact_pairs(q, false)),
            status: seen.status,
            error: seen.error.clone(),
            time: seen.time,
            sandbox_time: seen.sandbox_time,
            duration_ms: seen.duration_ms,
            for_user_id: header_text(seen.for_user_id.as_ref()),
            content_type,
            body,
            body_bytes: seen.body_bytes,
            body_truncated: truncated,
        }
    }
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog::with_capacity(REQUEST_LOG_CAPACITY)
    }
}

impl RequestLog {
    /// A log keeping the last `capacity` requests (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        RequestLog {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How many requests it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The requests kept, newest first, at most `limit` of them.
    pub fn latest(&self, limit: usize) -> Vec<LoggedRequest> {
        self.lock()
            .entries
            .iter()
            .rev()
            .take(limit)
            .map(|(id, entry)| entry.logged(*id))
            .collect()
    }

    /// The requests older than the one with id `before` (all with `None`), newest first, at
    /// most `limit` of them.
    pub fn page(&self, before: Option<u64>, limit: usize) -> Vec<LoggedRequest> {
        self.lock()
            .entries
            .iter()
            .rev()
            .filter(|(id, _)| before.is_none_or(|b| *id < b))
            .take(limit)
            .map(|(id, entry)| entry.logged(*id))
            .collect()
    }

    /// How many requests are kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every request (ids keep counting).
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// Adds a request, giving it the next id and dropping the oldest beyond the capacity.
    #[cfg(test)]
    pub(crate) fn push(&self, entry: LoggedRequest) {
        self.keep(Entry::Given(Box::new(entry)));
    }

    pub(crate) fn keep(&self, entry: Entry) {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        if inner.entries.len() >= self.capacity {
            inner.entries.pop_front();
        }
        inner.entries.push_back((id, entry));
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Query of `GET /_sandbox/requests`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    limit: Option<String>,
}

/// `GET /_sandbox/requests?limit=N`: the logged requests, newest first (all of them without
/// `limit`).
pub(crate) async fn list(
    State(state): State<Arc<SandboxState>>,
    uri: Uri,
) -> Result<Json<Vec<LoggedRequest>>, ErrorAnswer> {
    let Query(query) = Query::<ListQuery>::try_from_uri(&uri)
        .map_err(|e| ErrorAnswer::invalid_field("query", format!("could not be read: {e}")))?;
    let log = state.requests();
    let limit = match query.limit.as_deref() {
        None => log.capacity(),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=log.capacity()).contains(n))
            .ok_or_else(|| {
                ErrorAnswer::invalid_field(
                    "limit",
                    format!(
                        "must be a whole number from 1 to {}, got `{text}`",
                        log.capacity()
                    ),
                )
            })?,
    };
    Ok(Json(log.latest(limit)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn entry(path: &str) -> LoggedRequest {
        LoggedRequest {
            id: 0,
            method: "GET".into(),
            path: path.into(),
            query: None,
            status: 200,
            error: None,
            time: datetime!(2025-01-01 0:00 UTC),
            sandbox_time: datetime!(2025-01-01 0:00 UTC),
            duration_ms: 0,
            for_user_id: None,
            content_type: None,
            body: None,
            body_bytes: 0,
            body_truncated: false,
        }
    }

    #[test]
    fn the_log_keeps_the_newest_up_to_its_capacity() {
        let log = RequestLog::with_capacity(3);
        for n in 1..=5 {
            log.push(entry(&format!("/{n}")));
        }
        let paths: Vec<String> = log.latest(10).into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/5", "/4", "/3"]);
        let ids: Vec<u64> = log.page(Some(5), 10).into_iter().map(|r| r.id).collect();
        assert_eq!(ids, [4, 3]);
        log.clear();
        assert!(log.is_empty());
        log.push(entry("/6"));
        assert_eq!(log.latest(1)[0].id, 6);
    }
}

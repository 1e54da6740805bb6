//! The request log: the last [`REQUEST_LOG_CAPACITY`] requests to the Xendit API, checkout and
//! control routes, recorded by a middleware, kept in memory, newest first, with secrets and
//! e-mail addresses redacted (see [`redact`]). `GET /_sandbox/requests` lists it.

pub(crate) mod redact;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use paylink_core::timestamp;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::api::FOR_USER_ID_HEADER;
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
    entries: VecDeque<LoggedRequest>,
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
            .cloned()
            .collect()
    }

    /// The requests older than the one with id `before` (all with `None`), newest first, at
    /// most `limit` of them.
    pub fn page(&self, before: Option<u64>, limit: usize) -> Vec<LoggedRequest> {
        self.lock()
            .entries
            .iter()
            .rev()
            .filter(|r| before.is_none_or(|b| r.id < b))
            .take(limit)
            .cloned()
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
    pub(crate) fn push(&self, mut entry: LoggedRequest) {
        let mut inner = self.lock();
        inner.next_id += 1;
        entry.id = inner.next_id;
        if inner.entries.len() >= self.capacity {
            inner.entries.pop_front();
        }
        inner.entries.push_back(entry);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The body bytes a route read, as it read them.
#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    total: u64,
}

/// Records each request it wraps in the state's request log: method, path, redacted query and
/// body (what the route read of it, tee'd as it streams, so the route's own size limit and
/// reading are unchanged), status, times, `for-user-id`.
pub(crate) async fn record(
    State(state): State<Arc<SandboxState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let time = OffsetDateTime::now_utc();
    let sandbox_time = state.engine().now();
    let method = request.method().as_str().to_owned();
    let uri = request.uri().clone();
    let for_user_id = header_text(request.headers(), FOR_USER_ID_HEADER);
    let content_type = header_text(request.headers(), header::CONTENT_TYPE.as_str());

    let captured = Arc::new(Mutex::new(Captured::default()));
    let (parts, body) = request.into_parts();
    let sink = Arc::clone(&captured);
    let tee = body.into_data_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            let mut c = sink.lock().unwrap_or_else(PoisonError::into_inner);
            c.total += bytes.len() as u64;
            let room = REQUEST_BODY_CAP.saturating_sub(c.kept.len());
            c.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        chunk
    });
    let response = next
        .run(Request::from_parts(parts, Body::from_stream(tee)))
        .await;

    let status = response.status().as_u16();
    let (response, error) = if status >= 400 {
        error_of(response).await
    } else {
        (response, None)
    };
    let (body, body_bytes, body_truncated) = {
        let c = captured.lock().unwrap_or_else(PoisonError::into_inner);
        let truncated = c.total > c.kept.len() as u64;
        let body = (!c.kept.is_empty()).then(|| {
            let text = String::from_utf8_lossy(&c.kept);
            redact::redact_body(&text, content_type.as_deref(), truncated)
        });
        (body, c.total, truncated)
    };
    state.requests().push(LoggedRequest {
        id: 0,
        method,
        path: redact::redact_emails(uri.path(), false).into_owned(),
        query: uri.query().map(|q| redact::redact_pairs(q, false)),
        status,
        error,
        time,
        sandbox_time,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        for_user_id,
        content_type,
        body,
        body_bytes,
        body_truncated,
    });
    response
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The `error_code: message` of a JSON error answer, and the answer rebuilt from its bytes.
async fn error_of(response: Response) -> (Response, Option<String>) {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_CAP).await else {
        let answer = ErrorAnswer::internal("the answer could not be read for the request log");
        return (answer.into_response(), None);
    };
    #[derive(Deserialize)]
    struct Shape {
        error_code: String,
        message: String,
    }
    let error = serde_json::from_slice::<Shape>(&bytes)
        .ok()
        .map(|s| format!("{}: {}", s.error_code, s.message));
    (Response::from_parts(parts, Body::from(bytes)), error)
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

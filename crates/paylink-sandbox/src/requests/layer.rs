//! The middleware that records requests: a tower layer around the routes whose service calls
//! the route directly and boxes one future per request (axum's `from_fn` also clones the rest
//! of the stack into a box for every request).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use time::OffsetDateTime;
use tower::{Layer, Service};

use super::{Entry, Seen, ERROR_BODY_CAP, REQUEST_BODY_CAP};
use crate::api::FOR_USER_ID_HEADER;
use crate::error::ErrorAnswer;
use crate::SandboxState;

/// Records each request of the routes it wraps in the state's request log: method, path,
/// query and body (what the route read of it, tee'd as it streams, so the route's own size
/// limit and reading are unchanged), status, times, `for-user-id`. Redaction happens when the
/// log is read.
#[derive(Clone)]
pub(crate) struct RecordLayer(pub(crate) Arc<SandboxState>);

impl<S> Layer<S> for RecordLayer {
    type Service = Record<S>;

    fn layer(&self, inner: S) -> Record<S> {
        Record {
            inner,
            state: Arc::clone(&self.0),
        }
    }
}

/// The service of [`RecordLayer`].
#[derive(Clone)]
pub(crate) struct Record<S> {
    inner: S,
    state: Arc<SandboxState>,
}

/// Whether a request is one the log keeps: all but the inspector's own pages (`GET /_sandbox`,
/// `/_sandbox/`, `/_sandbox/invoices/{id}`, `/_sandbox/log`) and the log itself
/// (`GET /_sandbox/requests`).
fn recorded(method: &Method, path: &str) -> bool {
    if method != Method::GET {
        return true;
    }
    let page = match path.strip_prefix("/_sandbox") {
        Some("" | "/" | "/log" | "/requests") => true,
        Some(rest) => rest
            .strip_prefix("/invoices/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/')),
        None => false,
    };
    !page
}

/// The body bytes a route read, as it read them.
#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    total: u64,
}

impl<S> Service<Request> for Record<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if !recorded(request.method(), request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let state = Arc::clone(&self.state);
        let started = Instant::now();
        let time = OffsetDateTime::now_utc();
        let sandbox_time = state.now();
        let method = request.method().clone();
        let uri = request.uri().clone();
        let for_user_id = request.headers().get(FOR_USER_ID_HEADER).cloned();
        let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
        // A request without a body (a GET) goes on as it is; one with a body is tee'd.
        let (request, captured) = if request.body().size_hint().exact() == Some(0) {
            (request, None)
        } else {
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
            (
                Request::from_parts(parts, Body::from_stream(tee)),
                Some(captured),
            )
        };
        let answer = self.inner.call(request);
        Box::pin(async move {
            let Ok(response) = answer.await;
            let status = response.status().as_u16();
            let (response, error) = if status >= 400 {
                error_of(response).await
            } else {
                (response, None)
            };
            let (body, body_bytes) = match captured {
                Some(c) => {
                    let mut c = c.lock().unwrap_or_else(PoisonError::into_inner);
                    (std::mem::take(&mut c.kept), c.total)
                }
                None => (Vec::new(), 0),
            };
            state.requests().keep(Entry::Seen(Seen {
                method,
                uri,
                status,
                error,
                time,
                sandbox_time,
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                for_user_id,
                content_type,
                body,
                body_bytes,
            }));
            Ok(response)
        })
    }
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

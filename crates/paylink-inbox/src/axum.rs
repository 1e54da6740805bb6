//! The webhook endpoint for axum (feature `axum`): [`respond`] turns a request's headers and
//! body into [`Inbox::receive`] and its answer (200, or the refusal's status with a JSON
//! error), and [`router`] mounts it with the inbox's body size limit.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt as _;
use serde_json::json;

use crate::receive::{Inbox, Received, Refusal};
use crate::store::InboxStore;

/// Receives one webhook and answers it: `200 {"event_id", "duplicate"}` once the event is
/// durable; otherwise the refusal's status (401, 400, 413, 503) with
/// `{"error": "...", "code": "..."}`.
pub async fn respond<S: InboxStore>(
    inbox: &Inbox<S>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    answer(inbox.receive(headers, body).await)
}

/// The answer to a receive.
pub fn answer(result: Result<Received, Refusal>) -> Response {
    match result {
        Ok(received) => Json(json!({
            "event_id": received.id,
            "duplicate": received.duplicate,
        }))
        .into_response(),
        Err(refusal) => {
            let status =
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = json!({ "error": refusal.to_string(), "code": refusal.code() });
            (status, Json(body)).into_response()
        }
    }
}

/// A router with the webhook endpoint at `path` (`POST`). The body is read up to the inbox's
/// [`Inbox::max_body_bytes`]; a larger one is refused with 413 and its start kept in the
/// rejected log, without reading the rest.
pub fn router<S: InboxStore>(inbox: Inbox<S>, path: &str) -> Router {
    Router::new()
        .route(path, post(handler::<S>))
        .with_state(inbox)
}

/// The route handler [`router`] mounts, for an application's own router (state: the inbox).
pub async fn handler<S: InboxStore>(
    State(inbox): State<Inbox<S>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = inbox.max_body_bytes();
    let mut kept: Vec<u8> = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                let body = json!({
                    "error": format!("could not read the request body: {e}"),
                    "code": "unreadable_body",
                });
                return (StatusCode::BAD_REQUEST, Json(body)).into_response();
            }
        };
        if kept.len() + chunk.len() > limit {
            let seen = kept.len() + chunk.len();
            kept.extend_from_slice(&chunk);
            return answer(Err(inbox.refuse_oversized(&headers, &kept, seen).await));
        }
        kept.extend_from_slice(&chunk);
    }
    respond(&inbox, &headers, &Bytes::from(kept)).await
}

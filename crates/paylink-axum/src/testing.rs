//! Delivering callbacks to an axum [`Router`] in process, for tests (feature `testing`): the
//! request Xendit would send, through the router's own routes, extractors and handlers, with no
//! socket.
//!
//! ```
//! use axum::http::StatusCode;
//! use axum::routing::post;
//! use axum::Router;
//! use paylink_axum::{testing, CallbackVerifier, XenditCallback};
//! use paylink_core::CallbackToken;
//!
//! async fn webhook(XenditCallback(event): XenditCallback) -> String {
//!     event.callback.external_id
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let token = CallbackToken::from_static("test-token");
//! let app: Router = Router::new()
//!     .route("/webhooks/xendit", post(webhook))
//!     .with_state(CallbackVerifier::new(token.clone()));
//!
//! let (status, body) = testing::deliver(&app, "/webhooks/xendit", "{}", &token).await;
//! assert_eq!(status, StatusCode::BAD_REQUEST);
//! assert!(body.contains(r#""error_code":"INVALID_CALLBACK_BODY""#));
//! # }
//! ```
//!
//! With `paylink-fake`, `CallbackEvent::to_request` builds the same request from a callback
//! the fake emitted; [`send`] takes it.

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::Router;
use paylink_core::{CallbackToken, CALLBACK_TOKEN_HEADER};
use tower::ServiceExt;

/// POSTs `body` to `path` on `router` as Xendit would (`content-type: application/json` and the
/// token in `x-callback-token`) and returns the answer's status and body.
///
/// # Panics
/// When the token cannot be an HTTP header value (it holds a control character: Xendit could
/// not send it either), or as [`send`].
pub async fn deliver(
    router: &Router,
    path: &str,
    body: impl AsRef<str>,
    token: &CallbackToken,
) -> (StatusCode, String) {
    let mut request = Request::new(Body::from(body.as_ref().to_owned()));
    *request.method_mut() = axum::http::Method::POST;
    *request.uri_mut() = match path.parse() {
        Ok(uri) => uri,
        Err(e) => panic!("`{path}` is not a request path: {e}"),
    };
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let Ok(value) = HeaderValue::from_str(token.expose()) else {
        panic!("the callback token cannot be sent as an HTTP header value");
    };
    headers.insert(CALLBACK_TOKEN_HEADER, value);
    send(router, request).await
}

/// Sends `request` through `router` and returns the answer's status and body (as text, with any
/// invalid UTF-8 replaced).
///
/// # Panics
/// When the answer's body fails while it is read (a handler's streaming body broke).
pub async fn send<B>(router: &Router, request: Request<B>) -> (StatusCode, String)
where
    Body: From<B>,
{
    let response = match router.clone().oneshot(request.map(Body::from)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = match axum::body::to_bytes(response.into_body(), usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => panic!("the answer's body could not be read: {e}"),
    };
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

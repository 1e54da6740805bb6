//! The HTTP adapter: axum routes over the [`OrderService`], with JSON errors.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use paylink_axum::{CallbackRejection, CallbackVerifier, XenditCallback};
use paylink_core::GatewayError;
use serde_json::{json, Value};

use crate::domain::Cart;
use crate::repository::RepositoryError;
use crate::service::{OrderService, ShopError};

/// Where Xendit POSTs invoice callbacks.
pub const WEBHOOK_PATH: &str = "/webhooks/xendit";

/// What the handlers share: the service, and the verifier the webhook extractor takes.
#[derive(Clone)]
struct AppState {
    service: Arc<OrderService>,
    webhooks: CallbackVerifier,
}

impl FromRef<AppState> for Arc<OrderService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.service)
    }
}

impl FromRef<AppState> for CallbackVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.webhooks.clone()
    }
}

/// The shop's routes:
///
/// - `POST /checkout`: a JSON [`Cart`]; answers `303 See Other` to the payment page, or
///   `201 Created` with `{"order": ..., "invoice_url": ...}` when the client accepts JSON;
/// - `GET /orders/{id}`: the order;
/// - `POST /orders/{id}/refresh`: reads the link from the provider and updates the order;
/// - `POST /orders/{id}/cancel`: expires the link of an order awaiting payment;
/// - `POST /webhooks/xendit`: Xendit's invoice callback, with `x-callback-token`, taken by
///   [`XenditCallback`] (token checked against the settings' callback token, body limited and
///   parsed).
///
/// Errors are `{"error": "..."}` with the status that fits, but for the callbacks the extractor
/// refuses, which are `{"error_code": "...", "message": "..."}` ([`CallbackRejection`]). There is
/// no fallback route, so the router can be merged with another that has one; see
/// [`with_fallback`].
pub fn router(service: Arc<OrderService>) -> Router {
    let webhooks = CallbackVerifier::new(service.settings().callback_token.clone());
    routes()
        .route(WEBHOOK_PATH, post(webhook))
        .with_state(AppState { service, webhooks })
}

/// The same routes, with `intake` (the durable inbox's router) serving `/webhooks/xendit`
/// instead of the direct handler: callbacks are stored before the answer and applied by a
/// worker, and the answer is `{"event_id", "duplicate"}`.
pub fn router_with_intake(service: Arc<OrderService>, intake: Router) -> Router {
    let webhooks = CallbackVerifier::new(service.settings().callback_token.clone());
    routes()
        .with_state(AppState { service, webhooks })
        .merge(intake)
}

fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkout", post(checkout))
        .route("/orders/{id}", get(order))
        .route("/orders/{id}/refresh", post(refresh))
        .route("/orders/{id}/cancel", post(cancel))
}

/// Adds JSON answers for unknown routes (404) and wrong methods (405).
pub fn with_fallback(router: Router) -> Router {
    router
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
}

async fn checkout(
    State(service): State<Arc<OrderService>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cart: Cart = match serde_json::from_slice(&body) {
        Ok(cart) => cart,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid cart: {e}")),
    };
    match service.checkout(&cart).await {
        Ok(done) if wants_json(&headers) => (
            StatusCode::CREATED,
            Json(json!({ "order": done.order, "invoice_url": done.invoice_url })),
        )
            .into_response(),
        Ok(done) => (StatusCode::SEE_OTHER, [(LOCATION, done.invoice_url)]).into_response(),
        Err(e) => shop_error(&e),
    }
}

async fn order(State(service): State<Arc<OrderService>>, Path(id): Path<String>) -> Response {
    match service.order(&id).await {
        Ok(order) => Json(order).into_response(),
        Err(e) => shop_error(&e),
    }
}

async fn refresh(State(service): State<Arc<OrderService>>, Path(id): Path<String>) -> Response {
    match service.refresh(&id).await {
        Ok(order) => Json(order).into_response(),
        Err(e) => shop_error(&e),
    }
}

async fn cancel(State(service): State<Arc<OrderService>>, Path(id): Path<String>) -> Response {
    match service.cancel(&id).await {
        Ok(order) => Json(order).into_response(),
        Err(e) => shop_error(&e),
    }
}

async fn webhook(
    State(service): State<Arc<OrderService>>,
    callback: Result<XenditCallback, CallbackRejection>,
) -> Response {
    let event = match callback {
        Ok(XenditCallback(event)) => event,
        Err(refused) => {
            tracing::warn!(error = %refused, "webhook refused");
            return refused.into_response();
        }
    };
    match service.handle_webhook(&event).await {
        Ok(done) => Json(json!({
            "order_id": done.order.id,
            "outcome": done.receipt.outcome,
            "duplicate": done.receipt.duplicate,
            "status": done.order.status,
        }))
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused");
            shop_error(&e)
        }
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"))
}

/// The status of a service error.
pub fn status_of(e: &ShopError) -> StatusCode {
    match e {
        ShopError::InvalidCart(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ShopError::OrderNotFound { .. } => StatusCode::NOT_FOUND,
        ShopError::ForeignInvoice { .. } | ShopError::NotCancellable { .. } => StatusCode::CONFLICT,
        ShopError::Gateway(e) => match **e {
            GatewayError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            GatewayError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        },
        ShopError::Repository(RepositoryError::Unavailable(_)) | ShopError::Busy { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ShopError::Repository(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn shop_error(e: &ShopError) -> Response {
    let status = status_of(e);
    let mut body = json!({ "error": e.to_string() });
    if let ShopError::InvalidCart(v) = e {
        body["violations"] = Value::Array(
            v.violations()
                .iter()
                .map(|v| json!({ "path": v.path, "message": v.message }))
                .collect(),
        );
    }
    (status, Json(body)).into_response()
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn no_route(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}", uri.path()),
    )
}

async fn wrong_method(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not accept {method}", uri.path()),
    )
}

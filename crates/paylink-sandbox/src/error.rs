//! Error answers in Xendit's shape (`{"error_code": ..., "message": ...}`, plus `errors` for
//! validation), for the API routes, the control routes and the router's fallbacks.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use paylink_core::{ApiError, GatewayError, Violation};

/// Code of the answer to a body larger than the configured limit. Xendit documents no code for
/// this case; the sandbox names it after the HTTP status (413 Payload Too Large).
pub(crate) const REQUEST_ENTITY_TOO_LARGE: &str = "REQUEST_ENTITY_TOO_LARGE";

/// An error answer: an HTTP status and Xendit's JSON error body.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorAnswer(Box<ApiError>);

impl ErrorAnswer {
    /// An answer with a status, a code and a message.
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ErrorAnswer(Box::new(ApiError::new(status, code, message)))
    }

    /// 401 `INVALID_API_KEY`, exactly as Xendit words it.
    pub(crate) fn invalid_api_key() -> Self {
        ErrorAnswer::new(401, "INVALID_API_KEY", "Your API key is invalid")
    }

    /// 400 `INVALID_JSON_FORMAT`: the body is not JSON.
    pub(crate) fn invalid_json(detail: &str) -> Self {
        ErrorAnswer::new(
            400,
            "INVALID_JSON_FORMAT",
            format!("The request body is not valid JSON: {detail}"),
        )
    }

    /// 400 `API_VALIDATION_ERROR` with one entry in `errors` per broken rule, worded as the
    /// engine words its own validation errors ([`ApiError::validation`]).
    pub(crate) fn validation(violations: &[Violation]) -> Self {
        ErrorAnswer(Box::new(ApiError::validation(violations)))
    }

    /// 400 `API_VALIDATION_ERROR` for one field.
    pub(crate) fn invalid_field(path: &str, message: impl Into<String>) -> Self {
        ErrorAnswer::validation(&[Violation {
            path: path.to_owned(),
            message: message.into(),
        }])
    }

    /// 404 `INVOICE_NOT_FOUND_ERROR`, exactly as Xendit words it.
    pub(crate) fn invoice_not_found() -> Self {
        ErrorAnswer::new(404, "INVOICE_NOT_FOUND_ERROR", "Invoice not found.")
    }

    /// 413 [`REQUEST_ENTITY_TOO_LARGE`], naming the limit.
    pub(crate) fn too_large(limit: usize) -> Self {
        ErrorAnswer::new(
            413,
            REQUEST_ENTITY_TOO_LARGE,
            format!("The request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 404 `NOT_FOUND` for a path the sandbox does not serve.
    pub(crate) fn no_route(method: &str, path: &str) -> Self {
        ErrorAnswer::new(404, "NOT_FOUND", format!("No route for {method} {path}"))
    }

    /// 405 `METHOD_NOT_ALLOWED` for a known path with the wrong method.
    pub(crate) fn wrong_method(method: &str, path: &str) -> Self {
        ErrorAnswer::new(
            405,
            "METHOD_NOT_ALLOWED",
            format!("{method} is not allowed on {path}"),
        )
    }

    /// 500 `INTERNAL_SERVER_ERROR`, Xendit's words for an unexpected failure.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        ErrorAnswer::new(500, "INTERNAL_SERVER_ERROR", message)
    }

    /// The error: status, code, message.
    pub fn api_error(&self) -> &ApiError {
        &self.0
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<ApiError> for ErrorAnswer {
    fn from(e: ApiError) -> Self {
        ErrorAnswer(Box::new(e))
    }
}

impl From<GatewayError> for ErrorAnswer {
    /// The answer a gateway failure turns into: its API error when it has one, else a 500.
    fn from(e: GatewayError) -> Self {
        match e.api_error() {
            Some(api) => ErrorAnswer(Box::new(api.clone())),
            None => ErrorAnswer::internal(e.to_string()),
        }
    }
}

impl IntoResponse for ErrorAnswer {
    fn into_response(self) -> Response {
        (self.status(), Json(self.0.body())).into_response()
    }
}

//! Why a callback was refused, and the JSON answer for each reason: 401 for a missing or wrong
//! token, 413 for a body over the limit, 400 for a body that is not an invoice callback.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use paylink_core::WebhookError;
use serde_json::{json, Value};

/// Why [`XenditCallback`](crate::XenditCallback) refused a request. As a response it is JSON:
/// `{"error_code": "...", "message": "..."}` (and `"path"` for a bad body), with the status
/// [`CallbackRejection::status`] gives. Neither the message nor `Debug` ever shows a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRejection {
    /// No `x-callback-token` header, or an empty one: 401, `INVALID_CALLBACK_TOKEN`.
    #[error("missing x-callback-token header")]
    MissingToken,
    /// The header does not match the configured token: 401, `INVALID_CALLBACK_TOKEN`.
    #[error("x-callback-token does not match the configured token")]
    WrongToken,
    /// The body is longer than the verifier's limit: 413, `CALLBACK_BODY_TOO_LARGE`.
    #[error("the callback body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not an invoice callback: 400, `INVALID_CALLBACK_BODY`.
    #[error("invalid callback body at {path}: {message}")]
    InvalidBody {
        /// JSON path of the problem (`$`, `$.amount`, `$.items[0].price`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The body could not be read (the sender stopped half-way): 400,
    /// `UNREADABLE_CALLBACK_BODY`.
    #[error("the callback body could not be read: {message}")]
    UnreadableBody {
        /// What went wrong.
        message: String,
    },
}

impl CallbackRejection {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            CallbackRejection::MissingToken | CallbackRejection::WrongToken => {
                StatusCode::UNAUTHORIZED
            }
            CallbackRejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CallbackRejection::InvalidBody { .. } | CallbackRejection::UnreadableBody { .. } => {
                StatusCode::BAD_REQUEST
            }
        }
    }

    /// The `error_code` of the answer: `INVALID_CALLBACK_TOKEN`, `CALLBACK_BODY_TOO_LARGE`,
    /// `INVALID_CALLBACK_BODY` or `UNREADABLE_CALLBACK_BODY`.
    pub fn error_code(&self) -> &'static str {
        match self {
            CallbackRejection::MissingToken | CallbackRejection::WrongToken => {
                "INVALID_CALLBACK_TOKEN"
            }
            CallbackRejection::TooLarge { .. } => "CALLBACK_BODY_TOO_LARGE",
            CallbackRejection::InvalidBody { .. } => "INVALID_CALLBACK_BODY",
            CallbackRejection::UnreadableBody { .. } => "UNREADABLE_CALLBACK_BODY",
        }
    }

    /// The JSON body of the answer.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "error_code": self.error_code(),
            "message": self.to_string(),
        });
        if let CallbackRejection::InvalidBody { path, .. } = self {
            body["path"] = Value::String(path.clone());
        }
        body
    }
}

impl From<WebhookError> for CallbackRejection {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::MissingToken => CallbackRejection::MissingToken,
            WebhookError::TokenMismatch => CallbackRejection::WrongToken,
            WebhookError::Body { path, message } => {
                CallbackRejection::InvalidBody { path, message }
            }
            // A reason the core adds later is about the callback itself: a bad request.
            other => CallbackRejection::InvalidBody {
                path: "$".into(),
                message: other.to_string(),
            },
        }
    }
}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        (
            self.status(),
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response()
    }
}

//! `GatewayError`, every way a gateway call can fail, and `ApiError`, Xendit's error answer;
//! the status mapping every adapter uses (`GatewayError::from_response`).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validate::Violation;

/// An error answer from Xendit (or a backend that speaks like it): status, `error_code`,
/// `message` and, for validation errors, `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Xendit `error_code` (`INVOICE_NOT_FOUND_ERROR`).
    pub error_code: String,
    /// Human-readable message.
    pub message: String,
    /// The `errors` list of `API_VALIDATION_ERROR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Value>,
}

impl ApiError {
    /// An API error.
    pub fn new(status: u16, error_code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error_code: error_code.into(),
            message: message.into(),
            errors: None,
        }
    }

    /// `400 API_VALIDATION_ERROR` for these violations, worded as Xendit words it: the message
    /// lists each `"path" rule`, and `errors` holds `{path, message}` for each.
    pub fn validation(violations: &[Violation]) -> Self {
        let message = violations
            .iter()
            .map(|v| format!("\"{}\" {}", v.path, v.message))
            .collect::<Vec<_>>()
            .join("; ");
        let errors = violations
            .iter()
            .map(|v| {
                let mut entry = serde_json::Map::new();
                entry.insert("path".into(), Value::String(v.path.clone()));
                entry.insert("message".into(), Value::String(v.message.clone()));
                Value::Object(entry)
            })
            .collect();
        let mut e = ApiError::new(400, "API_VALIDATION_ERROR", message);
        e.errors = Some(Value::Array(errors));
        e
    }

    /// The JSON body Xendit sends for this error.
    pub fn body(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("error_code".into(), Value::String(self.error_code.clone()));
        m.insert("message".into(), Value::String(self.message.clone()));
        if let Some(e) = &self.errors {
            m.insert("errors".into(), e.clone());
        }
        Value::Object(m)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP {} {}: {}",
            self.status, self.error_code, self.message
        )?;
        if let Some(e) = &self.errors {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

/// A shareable error source.
pub type ErrorSource = Arc<dyn StdError + Send + Sync>;

/// Every way a gateway call can fail. Adapters MUST map failures as each variant's doc says,
/// so an application handles a failure the same way on every backend.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// HTTP 404: the invoice does not exist, is not visible with these options, or (expire) is
    /// not PENDING; also create-time 404 codes such as `CALLBACK_VIRTUAL_ACCOUNT_NOT_FOUND_ERROR`.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// HTTP 401 (`INVALID_API_KEY`).
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ApiError>),
    /// HTTP 403 (`REQUEST_FORBIDDEN_ERROR`, `ACCESS_SUSPENDED`).
    #[error("forbidden: {0}")]
    Forbidden(Box<ApiError>),
    /// HTTP 400 and 422: the request was refused as invalid (`API_VALIDATION_ERROR` with its
    /// `errors`, `MINIMAL_TRANSFER_AMOUNT_ERROR`, `UNAVAILABLE_PAYMENT_METHOD_ERROR`...).
    #[error("rejected: {0}")]
    Validation(Box<ApiError>),
    /// HTTP 429 (`RATE_LIMIT_EXCEEDED`), with the wait the server asked for.
    #[error("rate limited{}: {error}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// The error body.
        error: Box<ApiError>,
        /// From `Retry-After` or `Rate-Limit-Reset`.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx with a JSON error body.
    #[error("server error: {0}")]
    Server(Box<ApiError>),
    /// Any other HTTP status with a JSON error body (409, 405...).
    #[error("unexpected answer: {0}")]
    Api(Box<ApiError>),
    /// No answer in time. `request_sent` is false only when the connection was never made, so a
    /// create with `request_sent: true` may have happened.
    #[error("timed out {}", if *request_sent { "waiting for the answer" } else { "connecting" })]
    Timeout {
        /// Whether the request may have reached the server.
        request_sent: bool,
    },
    /// The connection failed (refused, reset, TLS). `request_sent` as for `Timeout`.
    #[error("transport error: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// Whether the request may have reached the server.
        request_sent: bool,
        /// The underlying error.
        #[source]
        source: Option<ErrorSource>,
    },
    /// An answer that could not be decoded: not JSON, truncated, HTML from a proxy, or JSON of
    /// the wrong shape.
    #[error("could not decode the HTTP {status} answer: {message}; body starts with {body:?}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// What is wrong.
        message: String,
        /// The start of the body (at most [`BODY_SNIPPET_BYTES`] bytes).
        body: String,
    },
}

/// How much of an undecodable body a [`GatewayError::Decode`] keeps.
pub const BODY_SNIPPET_BYTES: usize = 512;

impl GatewayError {
    /// Maps an HTTP error answer (status >= 400) to its variant. A body that is not a JSON
    /// object with `error_code` becomes [`GatewayError::Decode`] with the start of the body.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> GatewayError {
        let parsed: Option<ApiError> = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
            let obj = v.as_object()?;
            let code = obj
                .get("error_code")
                .or_else(|| obj.get("error"))
                .or_else(|| obj.get("errorCode"))
                .and_then(Value::as_str)?;
            let message = obj
                .get("message")
                .or_else(|| obj.get("error_message"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some(ApiError {
                status,
                error_code: code.to_owned(),
                message: message.to_owned(),
                errors: obj.get("errors").cloned(),
            })
        });
        let Some(error) = parsed else {
            return GatewayError::Decode {
                status,
                message: "expected a JSON error body with `error_code`".into(),
                body: body_snippet(body),
            };
        };
        GatewayError::from_api(error, retry_after)
    }

    /// The variant of an already decoded error answer.
    pub fn from_api(error: ApiError, retry_after: Option<Duration>) -> GatewayError {
        let error = Box::new(error);
        match error.status {
            400 | 422 => GatewayError::Validation(error),
            401 => GatewayError::Unauthorized(error),
            403 => GatewayError::Forbidden(error),
            404 => GatewayError::NotFound(error),
            429 => GatewayError::RateLimited { error, retry_after },
            500..=599 => GatewayError::Server(error),
            _ => GatewayError::Api(error),
        }
    }

    /// The API error, for variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            GatewayError::NotFound(e)
            | GatewayError::Unauthorized(e)
            | GatewayError::Forbidden(e)
            | GatewayError::Validation(e)
            | GatewayError::Server(e)
            | GatewayError::Api(e)
            | GatewayError::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// Xendit's `error_code`, when there is one.
    pub fn error_code(&self) -> Option<&str> {
        self.api_error().map(|e| e.error_code.as_str())
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            GatewayError::Decode { status, .. } => Some(*status),
            other => other.api_error().map(|e| e.status),
        }
    }

    /// Whether the server may have acted on the request: it may have reached the server and
    /// the answer, if any, does not say it was refused. True for a timeout or a broken
    /// connection after the request was sent, a 5xx other than 501 and 505 (the server cannot
    /// handle the request at all), and an answer that could not be decoded with a 2xx or such a
    /// 5xx status. A create that failed this way may have made the invoice; an expire, expired
    /// it.
    pub fn may_have_reached_server(&self) -> bool {
        let acted_status = |status: u16| {
            (200..300).contains(&status)
                || ((500..600).contains(&status) && !matches!(status, 501 | 505))
        };
        match self {
            GatewayError::Timeout { request_sent }
            | GatewayError::Transport { request_sent, .. } => *request_sent,
            GatewayError::Server(api) => acted_status(api.status),
            GatewayError::Decode { status, .. } => acted_status(*status),
            GatewayError::NotFound(_)
            | GatewayError::Unauthorized(_)
            | GatewayError::Forbidden(_)
            | GatewayError::Validation(_)
            | GatewayError::RateLimited { .. }
            | GatewayError::Api(_) => false,
        }
    }
}

/// The start of a body, as text, cut at a character boundary.
pub fn body_snippet(body: &[u8]) -> String {
    let mut end = body.len().min(BODY_SNIPPET_BYTES);
    // Step back off UTF-8 continuation bytes, so a character cut in two is left out rather
    // than shown as U+FFFD.
    while end > 0 && end < body.len() && body[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    String::from_utf8_lossy(&body[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_map_to_their_variant() {
        let e = GatewayError::from_response(
            404,
            br#"{"error_code":"INVOICE_NOT_FOUND_ERROR","message":"Invoice not found."}"#,
            None,
        );
        assert!(matches!(e, GatewayError::NotFound(_)), "{e:?}");
        assert_eq!(e.error_code(), Some("INVOICE_NOT_FOUND_ERROR"));
        let e = GatewayError::from_response(502, b"<html>Bad Gateway</html>", None);
        assert!(
            matches!(e, GatewayError::Decode { status: 502, ref body, .. } if body.contains("Bad Gateway"))
        );
    }

    #[test]
    fn only_failures_the_server_may_have_acted_on_reach_it() {
        let api = |status| ApiError::new(status, "X", "x");
        let decode = |status| GatewayError::Decode {
            status,
            message: String::new(),
            body: String::new(),
        };
        for (e, reached) in [
            (GatewayError::Timeout { request_sent: true }, true),
            (
                GatewayError::Timeout {
                    request_sent: false,
                },
                false,
            ),
            (
                GatewayError::Transport {
                    message: "reset".into(),
                    request_sent: true,
                    source: None,
                },
                true,
            ),
            (GatewayError::from_api(api(500), None), true),
            (GatewayError::from_api(api(503), None), true),
            (GatewayError::from_api(api(501), None), false),
            (GatewayError::from_api(api(505), None), false),
            (decode(200), true),
            (decode(502), true),
            (decode(501), false),
            (decode(404), false),
            (GatewayError::from_api(api(429), None), false),
            (GatewayError::from_api(api(400), None), false),
            (GatewayError::from_api(api(404), None), false),
            (GatewayError::from_api(api(409), None), false),
        ] {
            assert_eq!(e.may_have_reached_server(), reached, "{e:?}");
        }
    }

    #[test]
    fn a_body_snippet_is_cut_at_a_character_boundary() {
        let mut body = "a".repeat(BODY_SNIPPET_BYTES - 1).into_bytes();
        body.extend_from_slice("é and more".as_bytes());
        let snippet = body_snippet(&body);
        assert_eq!(snippet, "a".repeat(BODY_SNIPPET_BYTES - 1));
        assert!(!snippet.contains('\u{FFFD}'));
        assert_eq!(body_snippet("héllo".as_bytes()), "héllo");
        assert_eq!(body_snippet(&[0xff, b'x']), "\u{FFFD}x");
    }
}

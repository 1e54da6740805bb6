//! The port: the `Gateway` trait every backend implements, its request options, the list
//! query with its exact wire encoding, and `GatewayError`.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::codes::{ChannelCode, ClientType, InvoiceStatus};
use crate::invoice::{timestamp, Invoice};
use crate::request::CreateInvoiceRequest;

/// Options of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// `for-user-id`: act for a xenPlatform sub-account. Invoices created with it are visible
    /// only with the same value.
    pub for_user_id: Option<String>,
}

impl RequestOptions {
    /// Options acting for a sub-account.
    pub fn for_user(id: impl Into<String>) -> Self {
        RequestOptions {
            for_user_id: Some(id.into()),
        }
    }
}

/// Filters and cursor of `GET /v2/invoices` (every parameter of spec section 1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListInvoicesQuery {
    /// Only invoices with this `external_id`.
    pub external_id: Option<String>,
    /// Only these statuses (any of them).
    pub statuses: Vec<InvoiceStatus>,
    /// Page size.
    pub limit: Option<u32>,
    /// Created at or after.
    pub created_after: Option<OffsetDateTime>,
    /// Created at or before.
    pub created_before: Option<OffsetDateTime>,
    /// Paid at or after.
    pub paid_after: Option<OffsetDateTime>,
    /// Paid at or before.
    pub paid_before: Option<OffsetDateTime>,
    /// Expired at or after.
    pub expired_after: Option<OffsetDateTime>,
    /// Expired at or before.
    pub expired_before: Option<OffsetDateTime>,
    /// Cursor: the id of the last invoice of the previous page.
    pub last_invoice: Option<String>,
    /// Only these client types.
    pub client_types: Vec<ClientType>,
    /// Only invoices paid through these channels.
    pub payment_channels: Vec<ChannelCode>,
    /// On-demand link filter.
    pub on_demand_link: Option<String>,
    /// Recurring payment filter.
    pub recurring_payment_id: Option<String>,
}

/// A list query parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter `{name}`: {message}")]
pub struct QueryError {
    /// The parameter.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

impl ListInvoicesQuery {
    /// The query parameters in the order and encoding the official SDKs use: repeated keys for
    /// arrays, timestamps as `2023-01-01T00:00:00.000Z`. Values are not percent-encoded.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.external_id {
            out.push(("external_id", v.clone()));
        }
        for s in &self.statuses {
            out.push(("statuses", s.as_str().to_owned()));
        }
        if let Some(l) = self.limit {
            out.push(("limit", l.to_string()));
        }
        let times = [
            ("created_after", self.created_after),
            ("created_before", self.created_before),
            ("paid_after", self.paid_after),
            ("paid_before", self.paid_before),
            ("expired_after", self.expired_after),
            ("expired_before", self.expired_before),
        ];
        for (name, t) in times {
            if let Some(t) = t {
                out.push((name, timestamp::format(t)));
            }
        }
        if let Some(v) = &self.last_invoice {
            out.push(("last_invoice", v.clone()));
        }
        for c in &self.client_types {
            out.push(("client_types", c.as_str().to_owned()));
        }
        for c in &self.payment_channels {
            out.push(("payment_channels", c.as_str().to_owned()));
        }
        if let Some(v) = &self.on_demand_link {
            out.push(("on_demand_link", v.clone()));
        }
        if let Some(v) = &self.recurring_payment_id {
            out.push(("recurring_payment_id", v.clone()));
        }
        out
    }

    /// Reads decoded query pairs as any official or legacy SDK sends them: repeated keys,
    /// `limit=10` or `limit=10.0`, timestamps with `Z` or an offset, the cursor as
    /// `last_invoice` or `last_invoice_id`, `on_demand_link` or `on_demand`. Unknown
    /// parameters are ignored.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter that could not be read.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Self, QueryError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut q = ListInvoicesQuery::default();
        for (name, value) in pairs {
            let err = |message: String| QueryError {
                name: name.to_owned(),
                message,
            };
            let time = || {
                timestamp::parse(value).map(Some).map_err(|e| {
                    err(format!(
                        "expected an RFC 3339 timestamp, got `{value}` ({e})"
                    ))
                })
            };
            match name {
                "external_id" => q.external_id = Some(value.to_owned()),
                "statuses" | "statuses[]" => q
                    .statuses
                    .extend(split_list(value).map(InvoiceStatus::from)),
                "limit" => q.limit = Some(parse_limit(value).map_err(err)?),
                "created_after" => q.created_after = time()?,
                "created_before" => q.created_before = time()?,
                "paid_after" => q.paid_after = time()?,
                "paid_before" => q.paid_before = time()?,
                "expired_after" => q.expired_after = time()?,
                "expired_before" => q.expired_before = time()?,
                "last_invoice" | "last_invoice_id" => q.last_invoice = Some(value.to_owned()),
                "client_types" | "client_types[]" => {
                    q.client_types
                        .extend(split_list(value).map(ClientType::from));
                }
                "payment_channels" | "payment_channels[]" => {
                    q.payment_channels
                        .extend(split_list(value).map(ChannelCode::from));
                }
                "on_demand_link" | "on_demand" => q.on_demand_link = Some(value.to_owned()),
                "recurring_payment_id" => q.recurring_payment_id = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(q)
    }

    /// Whether an invoice passes every filter (not the cursor or the limit).
    pub fn matches(&self, invoice: &Invoice) -> bool {
        fn within(
            t: Option<OffsetDateTime>,
            after: Option<OffsetDateTime>,
            before: Option<OffsetDateTime>,
        ) -> bool {
            if after.is_none() && before.is_none() {
                return true;
            }
            let Some(t) = t else { return false };
            after.is_none_or(|a| t >= a) && before.is_none_or(|b| t <= b)
        }
        let expired_at = (invoice.status == InvoiceStatus::Expired).then_some(invoice.updated);
        self.external_id
            .as_ref()
            .is_none_or(|e| *e == invoice.external_id)
            && (self.statuses.is_empty() || self.statuses.contains(&invoice.status))
            && within(
                Some(invoice.created),
                self.created_after,
                self.created_before,
            )
            && within(invoice.paid_at, self.paid_after, self.paid_before)
            && within(expired_at, self.expired_after, self.expired_before)
            && (self.payment_channels.is_empty()
                || invoice
                    .payment_channel
                    .as_ref()
                    .is_some_and(|c| self.payment_channels.contains(c)))
            && self
                .recurring_payment_id
                .as_ref()
                .is_none_or(|r| invoice.recurring_payment_id.as_deref() == Some(r.as_str()))
    }

    /// The query of the page after `page`, or `None` when `page` was the last one (shorter than
    /// the limit, or empty).
    pub fn next_page(&self, page: &[Invoice]) -> Option<ListInvoicesQuery> {
        let last = page.last()?;
        if let Some(limit) = self.limit {
            if page.len() < limit as usize {
                return None;
            }
        }
        let mut next = self.clone();
        next.last_invoice = Some(last.id.clone());
        Some(next)
    }
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_limit(value: &str) -> Result<u32, String> {
    let n: rust_decimal::Decimal = value
        .parse()
        .map_err(|_| format!("expected a number, got `{value}`"))?;
    if n.fract() != rust_decimal::Decimal::ZERO || n < rust_decimal::Decimal::ONE {
        return Err(format!(
            "expected a whole number of at least 1, got `{value}`"
        ));
    }
    u32::try_from(n).map_err(|_| format!("too large: `{value}`"))
}

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
    NotFound(ApiError),
    /// HTTP 401 (`INVALID_API_KEY`).
    #[error("unauthorized: {0}")]
    Unauthorized(ApiError),
    /// HTTP 403 (`REQUEST_FORBIDDEN_ERROR`, `ACCESS_SUSPENDED`).
    #[error("forbidden: {0}")]
    Forbidden(ApiError),
    /// HTTP 400 and 422: the request was refused as invalid (`API_VALIDATION_ERROR` with its
    /// `errors`, `MINIMAL_TRANSFER_AMOUNT_ERROR`, `UNAVAILABLE_PAYMENT_METHOD_ERROR`...).
    #[error("rejected: {0}")]
    Validation(ApiError),
    /// HTTP 429 (`RATE_LIMIT_EXCEEDED`), with the wait the server asked for.
    #[error("rate limited{}: {error}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// The error body.
        error: ApiError,
        /// From `Retry-After` or `Rate-Limit-Reset`.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx with a JSON error body.
    #[error("server error: {0}")]
    Server(ApiError),
    /// Any other HTTP status with a JSON error body (409, 405...).
    #[error("unexpected answer: {0}")]
    Api(ApiError),
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

    /// A short name of the variant (`"not_found"`), stable for logs and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            GatewayError::NotFound(_) => "not_found",
            GatewayError::Unauthorized(_) => "unauthorized",
            GatewayError::Forbidden(_) => "forbidden",
            GatewayError::Validation(_) => "validation",
            GatewayError::RateLimited { .. } => "rate_limited",
            GatewayError::Server(_) => "server",
            GatewayError::Api(_) => "api",
            GatewayError::Timeout { .. } => "timeout",
            GatewayError::Transport { .. } => "transport",
            GatewayError::Decode { .. } => "decode",
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

/// The port: a Xendit payment-link backend.
///
/// Every implementation MUST map failures to [`GatewayError`] this way:
/// - unknown id, an id not visible with these [`RequestOptions`], or expire of an invoice that
///   is not PENDING: [`GatewayError::NotFound`] (`INVOICE_NOT_FOUND_ERROR`);
/// - a request the server refuses as invalid: [`GatewayError::Validation`] with Xendit's
///   `error_code` (`API_VALIDATION_ERROR`, `MINIMAL_TRANSFER_AMOUNT_ERROR`,
///   `MAXIMUM_TRANSFER_AMOUNT_ERROR`, `UNAVAILABLE_PAYMENT_METHOD_ERROR`,
///   `UNSUPPORTED_CURRENCY`...);
/// - a bad key: [`GatewayError::Unauthorized`]; a key without permission:
///   [`GatewayError::Forbidden`];
/// - HTTP 429: [`GatewayError::RateLimited`] with the server's wait; HTTP 5xx:
///   [`GatewayError::Server`];
/// - no answer in time: [`GatewayError::Timeout`]; a failed connection:
///   [`GatewayError::Transport`]; an answer that is not the expected JSON:
///   [`GatewayError::Decode`].
///
/// A failed call changes nothing (but see `create_invoice` on ambiguous failures).
#[async_trait]
pub trait Gateway: Send + Sync {
    /// `POST /v2/invoices`: creates a PENDING payment link.
    ///
    /// # Errors
    /// As the trait docs say. After a [`GatewayError::Timeout`] or
    /// [`GatewayError::Transport`] with `request_sent: true` the invoice may exist.
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError>;

    /// `GET /v2/invoices/{id}`.
    ///
    /// # Errors
    /// [`GatewayError::NotFound`] for an unknown or invisible id; others as the trait says.
    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError>;

    /// `GET /v2/invoices`: one page, newest first.
    ///
    /// # Errors
    /// As the trait docs say.
    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError>;

    /// `POST /invoices/{id}/expire!`: expires a PENDING link now.
    ///
    /// # Errors
    /// [`GatewayError::NotFound`] when the invoice is unknown or not PENDING.
    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError>;
}

#[async_trait]
impl<G: Gateway + ?Sized> Gateway for Arc<G> {
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        (**self).create_invoice(request, options).await
    }

    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        (**self).get_invoice(id, options).await
    }

    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        (**self).list_invoices(query, options).await
    }

    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        (**self).expire_invoice(id, options).await
    }
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
        assert_eq!(e.kind(), "not_found");
        assert_eq!(e.error_code(), Some("INVOICE_NOT_FOUND_ERROR"));
        let e = GatewayError::from_response(502, b"<html>Bad Gateway</html>", None);
        assert!(
            matches!(e, GatewayError::Decode { status: 502, ref body, .. } if body.contains("Bad Gateway"))
        );
    }

    #[test]
    fn list_queries_read_what_the_sdks_send() {
        let q = ListInvoicesQuery::from_pairs([
            ("statuses", "PENDING"),
            ("statuses", "PAID"),
            ("limit", "10.0"),
            ("created_after", "2023-01-01T00:00:00+00:00"),
            ("last_invoice_id", "abc"),
        ]);
        let q = q.expect("valid query");
        assert_eq!(
            q.statuses,
            vec![InvoiceStatus::Pending, InvoiceStatus::Paid]
        );
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.last_invoice.as_deref(), Some("abc"));
        let pairs = q.to_pairs();
        assert!(pairs.contains(&("created_after", "2023-01-01T00:00:00.000Z".to_owned())));
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

    #[test]
    fn a_fractional_limit_is_refused() {
        assert!(ListInvoicesQuery::from_pairs([("limit", "10.5")]).is_err());
    }
}

//! `HttpGateway`: the four Invoice API calls over reqwest, with per-attempt timeouts and the
//! retry loop that follows the core's `RetryPolicy` without ever creating an invoice twice.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{
    ApiError, CreateInvoiceRequest, FailedAttempt, Gateway, GatewayError, Invoice, InvoiceStatus,
    ListInvoicesQuery, Operation, RequestOptions, RetryDecision, RetryPolicy,
};
use reqwest::header::{
    HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, DATE, USER_AGENT,
};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::builder::HttpGatewayBuilder;
use crate::clock::{self, ServerClock};
use crate::jitter::Jitter;
use crate::key::{KeyMode, SecretKey};
use crate::trace::Call;
use crate::wire;

/// Called with every decision the retry policy makes for a gateway (the operation, the
/// 1-based attempt that failed, the decision), before the gateway waits: for metrics, or for
/// tests that check the waits. Set with [`HttpGatewayBuilder::on_retry`].
pub type RetryObserver = Arc<dyn Fn(Operation, u32, RetryDecision) + Send + Sync>;

/// The `for-user-id` header (xenPlatform sub-accounts).
pub const FOR_USER_ID: HeaderName = HeaderName::from_static("for-user-id");
const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("rate-limit-reset");
pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
/// Page size of the list call that looks for an invoice an ambiguous create may have made (the
/// largest page Xendit's integrations are known to ask for).
pub(crate) const LOOKUP_LIMIT: u32 = 100;
/// Largest body read; anything longer is not an Invoice API answer.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The [`Gateway`] for the real Xendit API (or anything that speaks its wire protocol, such as
/// the paylink sandbox).
///
/// - Requests: `POST {base}/v2/invoices/`, `GET {base}/v2/invoices/{id}`,
///   `GET {base}/v2/invoices?{query}`, `POST {base}/invoices/{id}/expire!`; ids are
///   percent-encoded as one path segment; `Authorization: Basic base64("<key>:")`,
///   `Accept: application/json`, `User-Agent`, `for-user-id` when the options carry one, and
///   `Content-Type: application/json` on create only.
/// - Get, list and expire are retried on connection failures, timeouts, 5xx and 429, with
///   jittered exponential backoff, waiting as `Retry-After` or `Rate-Limit-Reset` ask, bounded
///   by the [`RetryPolicy`]'s attempts and time budget. A retried expire that finds the invoice
///   already EXPIRED returns it.
/// - A create is never blindly sent twice. After a failure that may have reached Xendit
///   (timeout or broken connection after sending, or a 5xx), it looks the invoice up and
///   returns it; only when there is none does it create again. When the retry policy gives up
///   after such a failure, it looks once more before returning the error, so an error that
///   says the outcome is unknown means the look-up could not find the invoice (or could not
///   run). A 2xx answer whose body is cut or garbled is read back the same way and never
///   re-sent.
///
/// # The look-up after an ambiguous create
///
/// It lists the PENDING invoices with the request's `external_id`, with no time filter on the
/// wire (a filter computed from this machine's clock would hide the invoice from a server whose
/// clock differs), and adopts the newest one with the same amount and currency created no
/// earlier than the first attempt's start, read on the server's clock, minus the
/// [lookup margin](HttpGatewayBuilder::lookup_margin). The server's clock is known from
///
/// 1. the `created` stamp of the last invoice a create of this gateway returned (the very clock
///    the look-up compares against), else
/// 2. the `Date` header of the look-up's own answer (Xendit's clock, to the second), else
/// 3. this machine's clock.
///
/// Each estimate errs towards an earlier start, so the invoice the call made is not left out by
/// a clock difference (against a server whose `Date` and stamps disagree, only once this
/// gateway has created an invoice there). An older invoice with the same
/// `external_id`, amount and currency is left alone when it was created more than the margin
/// before the call started; within the margin it cannot be told apart and is adopted (give
/// each order its own `external_id`).
///
/// Cloning is cheap and clones share the connection pool.
#[derive(Clone)]
pub struct HttpGateway {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: reqwest::Client,
    pub(crate) base: Arc<str>,
    pub(crate) auth: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) mode: KeyMode,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) policy: RetryPolicy,
    pub(crate) jitter: Jitter,
    pub(crate) lookup_margin: Duration,
    pub(crate) clock: ServerClock,
    pub(crate) on_retry: Option<RetryObserver>,
}

/// A failed attempt: the error, and the wait the server asked for even when its body could not
/// be read.
pub(crate) struct Failed {
    pub(crate) error: GatewayError,
    pub(crate) retry_after: Option<Duration>,
}

impl From<GatewayError> for Failed {
    fn from(error: GatewayError) -> Self {
        Failed {
            error,
            retry_after: None,
        }
    }
}

impl HttpGateway {
    /// Starts configuring a gateway that authenticates with `key`.
    pub fn builder(key: SecretKey) -> HttpGatewayBuilder {
        HttpGatewayBuilder::new(key)
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        HttpGateway {
            inner: Arc::new(inner),
        }
    }

    /// The base URL requests go to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Test or live mode, from the key's prefix.
    pub fn key_mode(&self) -> KeyMode {
        self.inner.mode
    }

    /// The time allowed for one attempt.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.policy
    }

    pub(crate) fn create_url(&self) -> String {
        // The trailing slash is what Xendit's current SDKs (generated from its OpenAPI spec)
        // send on every create, so it is the form most exercised against production.
        format!("{}/v2/invoices/", self.inner.base)
    }

    fn invoice_url(&self, id: &str) -> String {
        let mut url = String::with_capacity(self.inner.base.len() + 13 + id.len());
        url.push_str(&self.inner.base);
        url.push_str("/v2/invoices/");
        wire::push_component(&mut url, id);
        url
    }

    pub(crate) fn list_url(&self, query: &ListInvoicesQuery) -> String {
        let q = wire::list_query_string(query);
        if q.is_empty() {
            format!("{}/v2/invoices", self.inner.base)
        } else {
            format!("{}/v2/invoices?{q}", self.inner.base)
        }
    }

    fn expire_url(&self, id: &str) -> String {
        format!(
            "{}/invoices/{}/expire!",
            self.inner.base,
            wire::encode_component(id)
        )
    }

    pub(crate) fn request(
        &self,
        method: Method,
        url: &str,
        for_user: Option<&HeaderValue>,
    ) -> RequestBuilder {
        let rb = self
            .inner
            .client
            .request(method, url)
            .timeout(self.inner.timeout)
            .header(AUTHORIZATION, self.inner.auth.clone())
            .header(ACCEPT, APPLICATION_JSON)
            .header(USER_AGENT, self.inner.user_agent.clone());
        match for_user {
            Some(v) => rb.header(FOR_USER_ID, v.clone()),
            None => rb,
        }
    }

    /// One attempt: send, read the whole body, decode it. With `server_offset`, the offset of
    /// the answer's `Date` from this machine's clock is written to it.
    pub(crate) async fn once<T: DeserializeOwned>(
        &self,
        call: &Call,
        rb: RequestBuilder,
        server_offset: Option<&mut Option<time::Duration>>,
    ) -> Result<T, Failed> {
        call.sending();
        let mut response = rb.send().await.map_err(wire::transport_error)?;
        if let Some(slot) = server_offset {
            *slot = response
                .headers()
                .get(DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(wire::parse_http_date)
                .and_then(|date| clock::offset_ms(date, OffsetDateTime::now_utc()))
                .map(time::Duration::milliseconds);
        }
        let status = response.status().as_u16();
        call.answered(status);
        let retry_after = if status == 429 || status >= 500 {
            let header =
                |name: &HeaderName| response.headers().get(name).and_then(|v| v.to_str().ok());
            wire::server_wait(
                header(&reqwest::header::RETRY_AFTER),
                header(&RATE_LIMIT_RESET),
                OffsetDateTime::now_utc(),
            )
        } else {
            None
        };
        let failed = |error| Failed { error, retry_after };
        let too_long = |read: &[u8]| {
            failed(GatewayError::Decode {
                status,
                message: format!("the body is longer than {MAX_BODY_BYTES} bytes"),
                body: paylink_core::body_snippet(read),
            })
        };
        let cut = |read: &[u8], e: reqwest::Error| {
            failed(if e.is_timeout() {
                GatewayError::Timeout { request_sent: true }
            } else {
                wire::truncated(status, read, &e)
            })
        };
        let decoded = |body: &[u8]| wire::decode(status, body, retry_after).map_err(failed);
        // A small answer arrives in one chunk, decoded where it lies; only a longer one is
        // gathered into a buffer.
        let first = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return decoded(&[]),
            Err(e) => return Err(cut(&[], e)),
        };
        if first.len() > MAX_BODY_BYTES {
            return Err(too_long(&first));
        }
        let second = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return decoded(&first),
            Err(e) => return Err(cut(&first, e)),
        };
        let capacity = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(first.len() + second.len())
            .min(MAX_BODY_BYTES);
        let mut body = Vec::with_capacity(capacity);
        body.extend_from_slice(&first);
        let mut next = Some(second);
        while let Some(chunk) = next {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_long(&body));
            }
            body.extend_from_slice(&chunk);
            next = match response.chunk().await {
                Ok(next) => next,
                Err(e) => return Err(cut(&body, e)),
            };
        }
        decoded(&body)
    }

    /// What the policy says after a failed attempt: the gateway only reports what it saw (the
    /// error with its status, the server's wait, the attempt, the time spent), logs the
    /// decision and tells the observer, if any.
    pub(crate) fn decide(
        &self,
        operation: Operation,
        attempt: u32,
        failed: &Failed,
        call: &Call,
    ) -> RetryDecision {
        let observed = FailedAttempt {
            operation,
            attempt,
            error: &failed.error,
            server_wait: failed.retry_after,
            elapsed: call.started.elapsed(),
        };
        let decision = self
            .inner
            .policy
            .decide(&observed, self.inner.jitter.next());
        match decision {
            RetryDecision::Retry { after } | RetryDecision::LookUpThenRetry { after } => {
                tracing::warn!(
                    ?operation,
                    attempt,
                    error = %failed.error,
                    delay_ms = after.as_millis(),
                    lookup = matches!(decision, RetryDecision::LookUpThenRetry { .. }),
                    "Xendit call failed; retrying"
                );
            }
            RetryDecision::GiveUp => {
                tracing::debug!(?operation, attempt, error = %failed.error, "Xendit call failed");
            }
        }
        if let Some(observer) = &self.inner.on_retry {
            observer(operation, attempt, decision);
        }
        decision
    }

    /// Sends `make()` until it succeeds or the policy gives up. Used for the calls that are
    /// safe to repeat (get and list). With `server_offset`, the offset of the last answer's
    /// `Date` is written to it.
    pub(crate) async fn with_retries<T, F>(
        &self,
        operation: Operation,
        call: &Call,
        mut server_offset: Option<&mut Option<time::Duration>>,
        make: F,
    ) -> Result<T, GatewayError>
    where
        T: DeserializeOwned,
        F: Fn() -> RequestBuilder,
    {
        let mut attempt = 1;
        loop {
            let failed = match self
                .once::<T>(call, make(), server_offset.as_deref_mut())
                .await
            {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            match self.decide(operation, attempt, &failed, call) {
                RetryDecision::Retry { after } | RetryDecision::LookUpThenRetry { after } => {
                    sleep(after).await;
                    attempt += 1;
                }
                RetryDecision::GiveUp => return Err(failed.error),
            }
        }
    }

    pub(crate) async fn get_with(
        &self,
        id: &str,
        for_user: Option<&HeaderValue>,
        call: &Call,
    ) -> Result<Invoice, GatewayError> {
        wire::check_id(id)?;
        let url = self.invoice_url(id);
        self.with_retries(Operation::Get, call, None, || {
            self.request(Method::GET, &url, for_user)
        })
        .await
    }
}

/// The `for-user-id` header of these options.
pub(crate) fn for_user_header(
    options: &RequestOptions,
) -> Result<Option<HeaderValue>, GatewayError> {
    let Some(id) = &options.for_user_id else {
        return Ok(None);
    };
    HeaderValue::from_str(id).map(Some).map_err(|_| {
        GatewayError::Validation(Box::new(ApiError::new(
            400,
            "API_VALIDATION_ERROR",
            "for-user-id: must be visible ASCII without line breaks; no request was sent",
        )))
    })
}

pub(crate) fn sleep(after: Duration) -> impl Future<Output = ()> {
    tokio::time::sleep(after)
}

#[async_trait]
impl Gateway for HttpGateway {
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let call = Call::new("create").external_id(request.external_id());
        call.run(self.create(request, options, &call), |i| {
            Some(i.id.as_str())
        })
        .await
    }

    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let call = Call::new("get").invoice_id(id);
        let work = async {
            let for_user = for_user_header(options)?;
            self.get_with(id, for_user.as_ref(), &call).await
        };
        call.run(work, |_| None).await
    }

    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        let mut call = Call::new("list");
        if let Some(external_id) = &query.external_id {
            call = call.external_id(external_id);
        }
        let work = async {
            let for_user = for_user_header(options)?;
            let url = self.list_url(query);
            self.with_retries(Operation::List, &call, None, || {
                self.request(Method::GET, &url, for_user.as_ref())
            })
            .await
        };
        call.run(work, |_| None).await
    }

    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let call = Call::new("expire").invoice_id(id);
        call.run(self.expire(id, options, &call), |_| None).await
    }
}

impl HttpGateway {
    async fn expire(
        &self,
        id: &str,
        options: &RequestOptions,
        call: &Call,
    ) -> Result<Invoice, GatewayError> {
        wire::check_id(id)?;
        let for_user = for_user_header(options)?;
        let url = self.expire_url(id);
        let mut attempt = 1;
        let mut may_have_expired = false;
        loop {
            // An empty body with its length, as browsers' fetch sends it: some proxies refuse a
            // POST without Content-Length.
            let rb = self
                .request(Method::POST, &url, for_user.as_ref())
                .header(CONTENT_LENGTH, HeaderValue::from_static("0"));
            let failed = match self.once::<Invoice>(call, rb, None).await {
                Ok(invoice) => return Ok(invoice),
                Err(f) => f,
            };
            // Xendit answers 404 to expiring an invoice that is no longer PENDING, which is
            // what an earlier attempt that reached it leaves behind.
            if may_have_expired && matches!(failed.error, GatewayError::NotFound(_)) {
                return match self.get_with(id, for_user.as_ref(), call).await {
                    Ok(invoice) if invoice.status == InvoiceStatus::Expired => Ok(invoice),
                    _ => Err(failed.error),
                };
            }
            may_have_expired |= failed.error.may_have_reached_server();
            match self.decide(Operation::Expire, attempt, &failed, call) {
                RetryDecision::Retry { after } | RetryDecision::LookUpThenRetry { after } => {
                    sleep(after).await;
                    attempt += 1;
                }
                RetryDecision::GiveUp => return Err(failed.error),
            }
        }
    }
}

impl fmt::Debug for HttpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGateway")
            .field("base_url", &self.inner.base)
            .field("key_mode", &self.inner.mode)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("timeout", &self.inner.timeout)
            .field("retry_policy", &self.inner.policy)
            .field("user_agent", &self.inner.user_agent)
            .finish_non_exhaustive()
    }
}

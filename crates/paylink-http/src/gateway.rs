//! `HttpGateway`: the four Invoice API calls over reqwest, with per-attempt timeouts and the
//! retry loop that follows the core's `RetryPolicy` without ever creating an invoice twice.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use paylink_core::{
    ApiError, CreateInvoiceRequest, Currency, Gateway, GatewayError, Invoice, InvoiceStatus,
    ListInvoicesQuery, Operation, RequestOptions, RetryDecision, RetryPolicy,
};
use reqwest::header::{
    HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, USER_AGENT,
};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::builder::HttpGatewayBuilder;
use crate::clock::{self, ServerClock};
use crate::jitter::Jitter;
use crate::key::{KeyMode, SecretKey};
use crate::wire;

/// The `for-user-id` header (xenPlatform sub-accounts).
pub const FOR_USER_ID: HeaderName = HeaderName::from_static("for-user-id");
const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("rate-limit-reset");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
/// Page size of the list call that looks for an invoice an ambiguous create may have made (the
/// largest page Xendit's integrations are known to ask for).
const LOOKUP_LIMIT: u32 = 100;
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
    inner: Arc<Inner>,
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
}

/// A failed attempt: the error, and the wait the server asked for even when its body could not
/// be read.
struct Failed {
    error: GatewayError,
    retry_after: Option<Duration>,
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

    fn create_url(&self) -> String {
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

    fn list_url(&self, query: &ListInvoicesQuery) -> String {
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

    fn request(&self, method: Method, url: &str, for_user: Option<&HeaderValue>) -> RequestBuilder {
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
    async fn once<T: DeserializeOwned>(
        &self,
        rb: RequestBuilder,
        server_offset: Option<&mut Option<time::Duration>>,
    ) -> Result<T, Failed> {
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
                body: paylink_core::gateway::body_snippet(read),
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

    /// What the policy says after a failed attempt. A 5xx or 429 whose body is not a JSON
    /// error (a proxy's HTML page) is judged by its status, like the JSON kind.
    fn decide(
        &self,
        operation: Operation,
        attempt: u32,
        failed: &Failed,
        started: Instant,
    ) -> RetryDecision {
        let as_status;
        let error = match &failed.error {
            GatewayError::Decode { status: 429, .. } => {
                as_status = GatewayError::RateLimited {
                    error: ApiError::new(429, "RATE_LIMIT_EXCEEDED", ""),
                    retry_after: failed.retry_after,
                };
                &as_status
            }
            GatewayError::Decode { status, .. } if (500..600).contains(status) => {
                as_status = GatewayError::Server(ApiError::new(*status, "", ""));
                &as_status
            }
            other => other,
        };
        let elapsed = started.elapsed();
        let decision =
            self.inner
                .policy
                .decide(operation, attempt, error, elapsed, self.inner.jitter.next());
        let decision = self.at_least_server_wait(decision, failed.retry_after, elapsed);
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
        decision
    }

    /// A retry waits at least what the server asked for (a 503 may carry `Retry-After` too),
    /// and is dropped when that wait would pass the time budget.
    fn at_least_server_wait(
        &self,
        decision: RetryDecision,
        server_wait: Option<Duration>,
        elapsed: Duration,
    ) -> RetryDecision {
        let Some(wait) = server_wait else {
            return decision;
        };
        let longer = |after: Duration| {
            (wait > after).then(|| {
                if elapsed.saturating_add(wait) > self.inner.policy.max_elapsed {
                    None
                } else {
                    Some(wait)
                }
            })
        };
        match decision {
            RetryDecision::Retry { after } => match longer(after) {
                None => decision,
                Some(Some(after)) => RetryDecision::Retry { after },
                Some(None) => RetryDecision::GiveUp,
            },
            RetryDecision::LookUpThenRetry { after } => match longer(after) {
                None => decision,
                Some(Some(after)) => RetryDecision::LookUpThenRetry { after },
                Some(None) => RetryDecision::GiveUp,
            },
            RetryDecision::GiveUp => decision,
        }
    }

    /// Sends `make()` until it succeeds or the policy gives up. Used for the calls that are
    /// safe to repeat (get and list). With `server_offset`, the offset of the last answer's
    /// `Date` is written to it.
    async fn with_retries<T, F>(
        &self,
        operation: Operation,
        started: Instant,
        mut server_offset: Option<&mut Option<time::Duration>>,
        make: F,
    ) -> Result<T, GatewayError>
    where
        T: DeserializeOwned,
        F: Fn() -> RequestBuilder,
    {
        let mut attempt = 1;
        loop {
            let failed = match self.once::<T>(make(), server_offset.as_deref_mut()).await {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            match self.decide(operation, attempt, &failed, started) {
                RetryDecision::Retry { after } | RetryDecision::LookUpThenRetry { after } => {
                    sleep(after).await;
                    attempt += 1;
                }
                RetryDecision::GiveUp => return Err(failed.error),
            }
        }
    }

    async fn get_with(
        &self,
        id: &str,
        for_user: Option<&HeaderValue>,
        started: Instant,
    ) -> Result<Invoice, GatewayError> {
        wire::check_id(id)?;
        let url = self.invoice_url(id);
        self.with_retries(Operation::Get, started, None, || {
            self.request(Method::GET, &url, for_user)
        })
        .await
    }

    /// The earliest creation time a look-up accepts: `started_at` (this machine's clock) moved
    /// by `server_offset` onto the server's clock, minus the margin; the earliest representable
    /// time when that reaches past it.
    fn lookup_window_start(
        &self,
        started_at: OffsetDateTime,
        server_offset: Option<time::Duration>,
    ) -> OffsetDateTime {
        let on_server = server_offset
            .and_then(|offset| started_at.checked_add(offset))
            .unwrap_or(started_at);
        time::Duration::try_from(self.inner.lookup_margin)
            .ok()
            .and_then(|margin| on_server.checked_sub(margin))
            .unwrap_or(time::PrimitiveDateTime::MIN.assume_utc())
    }

    /// Looks for the invoice an ambiguous create that started at `started_at` (this machine's
    /// clock) may have made; see "The look-up after an ambiguous create" on [`HttpGateway`].
    async fn find_created(
        &self,
        request: &CreateInvoiceRequest,
        for_user: Option<&HeaderValue>,
        started_at: OffsetDateTime,
        started: Instant,
    ) -> Result<Option<Invoice>, GatewayError> {
        let query = ListInvoicesQuery {
            external_id: Some(request.external_id().to_owned()),
            statuses: vec![InvoiceStatus::Pending],
            limit: Some(LOOKUP_LIMIT),
            ..ListInvoicesQuery::default()
        };
        let url = self.list_url(&query);
        let mut date_offset = None;
        let page: Vec<Invoice> = self
            .with_retries(Operation::List, started, Some(&mut date_offset), || {
                self.request(Method::GET, &url, for_user)
            })
            .await?;
        let offset = self.inner.clock.stamp_offset().or(date_offset);
        let not_before = self.lookup_window_start(started_at, offset);
        let money = request.money();
        let found = page
            .into_iter()
            .filter(|inv| {
                inv.external_id == request.external_id()
                    && inv.status == InvoiceStatus::Pending
                    && inv.amount == money.amount()
                    && inv.currency.unwrap_or(Currency::Idr) == money.currency()
                    && inv.created >= not_before
            })
            .max_by_key(|inv| inv.created);
        if let Some(invoice) = &found {
            tracing::info!(
                invoice_id = %invoice.id,
                external_id = %invoice.external_id,
                "an ambiguous create had made the invoice; returning it"
            );
        }
        Ok(found)
    }
}

/// The `for-user-id` header of these options.
fn for_user_header(options: &RequestOptions) -> Result<Option<HeaderValue>, GatewayError> {
    let Some(id) = &options.for_user_id else {
        return Ok(None);
    };
    HeaderValue::from_str(id).map(Some).map_err(|_| {
        GatewayError::Validation(ApiError::new(
            400,
            "API_VALIDATION_ERROR",
            "for-user-id: must be visible ASCII without line breaks; no request was sent",
        ))
    })
}

fn sleep(after: Duration) -> impl Future<Output = ()> {
    tokio::time::sleep(after)
}

#[async_trait]
impl Gateway for HttpGateway {
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let for_user = for_user_header(options)?;
        let body = serde_json::to_vec(request).map_err(|e| {
            GatewayError::Validation(ApiError::new(
                400,
                "API_VALIDATION_ERROR",
                format!("the request could not be written as JSON ({e}); no request was sent"),
            ))
        })?;
        let url = self.create_url();
        let started = Instant::now();
        let started_at = OffsetDateTime::now_utc();
        let mut attempt = 1;
        loop {
            let rb = self
                .request(Method::POST, &url, for_user.as_ref())
                .header(CONTENT_TYPE, APPLICATION_JSON)
                .body(body.clone());
            let failed = match self.once::<Invoice>(rb, None).await {
                Ok(invoice) => {
                    self.inner
                        .clock
                        .observe_stamp(invoice.created, OffsetDateTime::now_utc());
                    return Ok(invoice);
                }
                Err(f) => f,
            };
            if let GatewayError::Decode { status, .. } = &failed.error {
                if (200..300).contains(status) {
                    // Xendit made the invoice but its answer was cut or garbled: read it back
                    // instead, and never create again.
                    return match self
                        .find_created(request, for_user.as_ref(), started_at, started)
                        .await
                    {
                        Ok(Some(invoice)) => Ok(invoice),
                        _ => Err(failed.error),
                    };
                }
            }
            match self.decide(Operation::Create, attempt, &failed, started) {
                RetryDecision::Retry { after } => sleep(after).await,
                RetryDecision::LookUpThenRetry { after } => {
                    sleep(after).await;
                    match self
                        .find_created(request, for_user.as_ref(), started_at, started)
                        .await
                    {
                        Ok(Some(invoice)) => return Ok(invoice),
                        Ok(None) => {}
                        // Without the look-up nobody can tell whether the invoice exists: the
                        // caller gets the ambiguous failure, which says so.
                        Err(_) => return Err(failed.error),
                    }
                }
                RetryDecision::GiveUp => {
                    // The last attempt may have made the invoice: a caller must not be told
                    // the outcome is unknown while it is there to be found.
                    if may_have_created(&failed.error) {
                        if let Ok(Some(invoice)) = self
                            .find_created(request, for_user.as_ref(), started_at, started)
                            .await
                        {
                            return Ok(invoice);
                        }
                    }
                    return Err(failed.error);
                }
            }
            attempt += 1;
        }
    }

    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        let for_user = for_user_header(options)?;
        self.get_with(id, for_user.as_ref(), Instant::now()).await
    }

    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        let for_user = for_user_header(options)?;
        let url = self.list_url(query);
        self.with_retries(Operation::List, Instant::now(), None, || {
            self.request(Method::GET, &url, for_user.as_ref())
        })
        .await
    }

    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        wire::check_id(id)?;
        let for_user = for_user_header(options)?;
        let url = self.expire_url(id);
        let started = Instant::now();
        let mut attempt = 1;
        let mut may_have_expired = false;
        loop {
            // An empty body with its length, as browsers' fetch sends it: some proxies refuse a
            // POST without Content-Length.
            let rb = self
                .request(Method::POST, &url, for_user.as_ref())
                .header(CONTENT_LENGTH, HeaderValue::from_static("0"));
            let failed = match self.once::<Invoice>(rb, None).await {
                Ok(invoice) => return Ok(invoice),
                Err(f) => f,
            };
            // Xendit answers 404 to expiring an invoice that is no longer PENDING, which is
            // what an earlier attempt that reached it leaves behind.
            if may_have_expired && matches!(failed.error, GatewayError::NotFound(_)) {
                return match self.get_with(id, for_user.as_ref(), started).await {
                    Ok(invoice) if invoice.status == InvoiceStatus::Expired => Ok(invoice),
                    _ => Err(failed.error),
                };
            }
            may_have_expired |= reached_server(&failed.error);
            match self.decide(Operation::Expire, attempt, &failed, started) {
                RetryDecision::Retry { after } | RetryDecision::LookUpThenRetry { after } => {
                    sleep(after).await;
                    attempt += 1;
                }
                RetryDecision::GiveUp => return Err(failed.error),
            }
        }
    }
}

/// Whether a failed create may have made the invoice: it may have reached Xendit, and the
/// answer (if any) does not say it was refused.
fn may_have_created(e: &GatewayError) -> bool {
    match e {
        GatewayError::Timeout { request_sent } | GatewayError::Transport { request_sent, .. } => {
            *request_sent
        }
        // 501 and 505: the server could not handle the request at all.
        GatewayError::Server(api) => !matches!(api.status, 501 | 505),
        GatewayError::Decode { status, .. } => {
            (500..600).contains(status) && !matches!(status, 501 | 505)
        }
        _ => false,
    }
}

/// Whether a failed request may have been acted on.
fn reached_server(e: &GatewayError) -> bool {
    match e {
        GatewayError::Timeout { request_sent } | GatewayError::Transport { request_sent, .. } => {
            *request_sent
        }
        GatewayError::Server(_) | GatewayError::Decode { .. } => true,
        _ => false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_lookup_margin_or_offset_does_not_overflow() {
        let gw = HttpGateway::builder(SecretKey::new("xnd_development_x"))
            .lookup_margin(Duration::MAX)
            .build()
            .expect("valid");
        let now = OffsetDateTime::now_utc();
        let earliest = time::PrimitiveDateTime::MIN.assume_utc();
        assert_eq!(gw.lookup_window_start(now, None), earliest);
        let gw = HttpGateway::builder(SecretKey::new("xnd_development_x"))
            .lookup_margin(Duration::from_secs(60))
            .build()
            .expect("valid");
        assert_eq!(
            gw.lookup_window_start(now, None),
            now - time::Duration::seconds(60)
        );
        assert_eq!(
            gw.lookup_window_start(now, Some(time::Duration::MAX)),
            now - time::Duration::seconds(60)
        );
    }

    #[test]
    fn the_lookup_window_starts_on_the_servers_clock() {
        let gw = HttpGateway::builder(SecretKey::new("xnd_development_x"))
            .lookup_margin(Duration::from_secs(60))
            .build()
            .expect("valid");
        let now = time::macros::datetime!(2026-11-26 01:00 UTC);
        let two_years_behind = time::Duration::days(-730);
        assert_eq!(
            gw.lookup_window_start(now, Some(two_years_behind)),
            time::macros::datetime!(2024-11-26 00:59 UTC)
        );
    }

    #[test]
    fn only_failures_that_may_have_made_the_invoice_call_for_a_look_up() {
        assert!(may_have_created(&GatewayError::Timeout {
            request_sent: true
        }));
        assert!(!may_have_created(&GatewayError::Timeout {
            request_sent: false
        }));
        assert!(may_have_created(&GatewayError::Server(ApiError::new(
            503, "", ""
        ))));
        assert!(!may_have_created(&GatewayError::Server(ApiError::new(
            501, "", ""
        ))));
        assert!(!may_have_created(&GatewayError::Validation(ApiError::new(
            400,
            "API_VALIDATION_ERROR",
            ""
        ))));
    }
}

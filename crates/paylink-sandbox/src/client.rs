//! [`SandboxClient`]: the `/_sandbox` control endpoints as typed calls (pay, fail, settle,
//! expire, move the clock, faults, webhook attempts and resends, the request log, reset), for
//! tests, the `paylink` command and any program that drives a sandbox it did not start. The
//! request and answer types are the ones the server reads and writes, so the two cannot drift
//! apart.

use std::time::Duration;

use async_trait::async_trait;
use paylink_core::conformance::{Payer, PayerError};
use paylink_core::timestamp;
use paylink_core::{Invoice, RequestOptions};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::delivery::DeliveryAttempt;
use crate::requests::LoggedRequest;
use crate::resend::{ResendRequest, Resent};

/// How long a control call may take, unless the [`reqwest::Client`] given says otherwise.
pub const DEFAULT_CONTROL_TIMEOUT: Duration = Duration::from_secs(30);

/// Body of `pay` and `fail`: both fields optional. With neither, the sandbox pays through the
/// first channel the link offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// `payment_method` to report (`EWALLET`, `BANK_TRANSFER`...); with no channel, the first
    /// channel of that method the link offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// Channel to pay through (`DANA`, `BNI`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_channel: Option<String>,
}

impl PayRequest {
    /// Pays through `channel`.
    pub fn channel(channel: impl Into<String>) -> Self {
        PayRequest {
            payment_method: None,
            payment_channel: Some(channel.into()),
        }
    }

    /// Pays through the first channel of `method` the link offers.
    pub fn method(method: impl Into<String>) -> Self {
        PayRequest {
            payment_method: Some(method.into()),
            payment_channel: None,
        }
    }
}

/// Answer of `fail`: the link (still payable) and how many attempts have failed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedPayment {
    /// The link, unchanged but for its failed attempts.
    pub invoice: Invoice,
    /// Failed attempts on it so far.
    pub failed_attempts: u32,
}

/// Body of `clock/advance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceRequest {
    /// Whole seconds to move forward.
    pub seconds: u64,
}

/// Answer of `clock/advance`: the new time and the links that expired on the way (each sent
/// its webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advanced {
    /// The sandbox's time after the move.
    #[serde(with = "timestamp")]
    pub now: OffsetDateTime,
    /// Ids of the links that expired.
    pub expired: Vec<String>,
}

/// Answer of `GET /_sandbox/clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockReading {
    /// The sandbox's time.
    #[serde(with = "timestamp")]
    pub now: OffsetDateTime,
}

/// Answer of `reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetDone {
    /// Always true: everything is forgotten.
    pub ok: bool,
    /// The sandbox's time after the reset.
    #[serde(with = "timestamp")]
    pub now: OffsetDateTime,
}

/// Body of `faults`: every field optional; several faults can be set in one call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsRequest {
    /// The account the faults are for (by name); every account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Remove every fault first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear: bool,
    /// The API operation `fail_next` and `latency_ms` apply to: `create`, `get`, `list`,
    /// `expire`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Fail the next N calls of `operation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_next: Option<usize>,
    /// HTTP status of the injected failures (default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `error_code` of the injected failures (default by status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `message` of the injected failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Delay every call of `operation` by this many milliseconds (0 removes the delay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Send each of the next N callbacks twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_callbacks: Option<usize>,
    /// Swap each of the next N pairs of callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_callbacks: Option<usize>,
    /// Send a callback held for reordering whose partner never came.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub release_held_callback: bool,
}

impl FaultsRequest {
    /// Fails the next `n` calls of `operation` with `status` (the sandbox picks Xendit's code
    /// for it).
    pub fn fail_next(operation: impl Into<String>, n: usize, status: u16) -> Self {
        FaultsRequest {
            operation: Some(operation.into()),
            fail_next: Some(n),
            status: Some(status),
            ..FaultsRequest::default()
        }
    }
}

/// Answer of `faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultsApplied {
    /// Always true: the faults are set.
    pub ok: bool,
    /// Whether a held callback was sent (`release_held_callback`).
    pub released_held_callback: bool,
}

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The URL given is not an absolute http(s) URL.
    #[error("the sandbox URL `{0}` is not an absolute http(s) URL")]
    BadUrl(String),
    /// No answer: the sandbox is not running there, or the call timed out.
    #[error("the sandbox did not answer: {0}")]
    Transport(#[source] reqwest::Error),
    /// The sandbox refused the call (an unknown invoice, a link already paid...).
    #[error("the sandbox refused: HTTP {status} {error_code}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The sandbox's `error_code` (`INVOICE_NOT_FOUND_ERROR`, `INVOICE_ALREADY_PAID`...).
        error_code: String,
        /// Its message.
        message: String,
    },
    /// The answer was not what the endpoint sends.
    #[error("unexpected answer (HTTP {status}): {message}; body: {body}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// The decoder's message.
        message: String,
        /// The body, as text.
        body: String,
    },
}

/// A typed client for a sandbox's `/_sandbox` control endpoints.
///
/// ```no_run
/// use paylink_sandbox::{PayRequest, SandboxClient};
/// # async fn demo(invoice_id: &str) -> Result<(), paylink_sandbox::ControlError> {
/// let sandbox = SandboxClient::new("http://127.0.0.1:4010")?;
/// let paid = sandbox.pay(invoice_id, &PayRequest::channel("DANA")).await?;
/// assert_eq!(paid.status.as_str(), "PAID");
/// let moved = sandbox.advance(std::time::Duration::from_secs(3600)).await?;
/// println!("{} links expired", moved.expired.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SandboxClient {
    http: reqwest::Client,
    base: Url,
}

impl SandboxClient {
    /// A client for the sandbox at `base_url` (`http://127.0.0.1:4010`).
    ///
    /// # Errors
    /// [`ControlError::BadUrl`] when `base_url` is not an absolute http(s) URL.
    pub fn new(base_url: &str) -> Result<Self, ControlError> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_CONTROL_TIMEOUT)
            .build()
            .map_err(ControlError::Transport)?;
        SandboxClient::with_http_client(base_url, http)
    }

    /// The same, over an HTTP client of your own (timeouts, proxies).
    ///
    /// # Errors
    /// [`ControlError::BadUrl`] when `base_url` is not an absolute http(s) URL.
    pub fn with_http_client(base_url: &str, http: reqwest::Client) -> Result<Self, ControlError> {
        let base = Url::parse(base_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| ControlError::BadUrl(base_url.to_owned()))?;
        Ok(SandboxClient { http, base })
    }

    /// The sandbox's address.
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// Pays the link `id` and sends its PAID webhook.
    ///
    /// # Errors
    /// [`ControlError::Refused`] for an unknown, expired or paid link or a channel it does not
    /// offer; the others as [`ControlError`] says.
    pub async fn pay(&self, id: &str, payment: &PayRequest) -> Result<Invoice, ControlError> {
        self.post(&["invoices", id, "pay"], Some(payment)).await
    }

    /// A payment that lands after the link expired (a late bank transfer): the link stays
    /// EXPIRED and a PAID callback goes out, which an application reconciles as
    /// `PaidAfterExpiry`. Answers the invoice as the callback shows it.
    ///
    /// # Errors
    /// [`ControlError::Refused`] with `INVOICE_NOT_EXPIRED` for a link that is not EXPIRED.
    pub async fn pay_after_expiry(
        &self,
        id: &str,
        payment: &PayRequest,
    ) -> Result<Invoice, ControlError> {
        self.post(&["invoices", id, "pay-after-expiry"], Some(payment))
            .await
    }

    /// Records a failed payment attempt; the link stays payable.
    ///
    /// # Errors
    /// As [`SandboxClient::pay`].
    pub async fn fail(
        &self,
        id: &str,
        payment: &PayRequest,
    ) -> Result<FailedPayment, ControlError> {
        self.post(&["invoices", id, "fail"], Some(payment)).await
    }

    /// Settles a paid link (PAID -> SETTLED).
    ///
    /// # Errors
    /// [`ControlError::Refused`] for a link that is not paid.
    pub async fn settle(&self, id: &str) -> Result<Invoice, ControlError> {
        self.post::<(), _>(&["invoices", id, "settle"], None).await
    }

    /// Expires a PENDING link now, whatever its `for-user-id`, and sends its EXPIRED webhook.
    ///
    /// # Errors
    /// [`ControlError::Refused`] for an unknown link, or one that is paid or expired.
    pub async fn expire(&self, id: &str) -> Result<Invoice, ControlError> {
        self.post::<(), _>(&["invoices", id, "expire"], None).await
    }

    /// Moves the clock by `by` (whole seconds); each link that falls due expires and sends its
    /// webhook.
    ///
    /// # Errors
    /// As [`ControlError`] says.
    pub async fn advance(&self, by: Duration) -> Result<Advanced, ControlError> {
        let body = AdvanceRequest {
            seconds: by.as_secs(),
        };
        self.post(&["clock", "advance"], Some(&body)).await
    }

    /// The sandbox's time.
    ///
    /// # Errors
    /// As [`ControlError`] says.
    pub async fn clock(&self) -> Result<OffsetDateTime, ControlError> {
        let reading: ClockReading = self.get(&["clock"]).await?;
        Ok(reading.now)
    }

    /// Every webhook attempt so far, oldest first.
    ///
    /// # Errors
    /// As [`ControlError`] says.
    pub async fn deliveries(&self) -> Result<Vec<DeliveryAttempt>, ControlError> {
        self.get(&["deliveries"]).await
    }

    /// Sends the callback of delivery `delivery_id` once more, byte for byte, as a new attempt
    /// marked `manual` (no retry); answers that attempt, delivered or not.
    ///
    /// # Errors
    /// [`ControlError::Refused`] with `DELIVERY_NOT_FOUND` (404) for an unknown delivery, or
    /// `NO_CALLBACK_URL` (409) when webhooks are off.
    pub async fn resend(&self, delivery_id: u64) -> Result<DeliveryAttempt, ControlError> {
        let id = delivery_id.to_string();
        self.post::<(), _>(&["deliveries", &id, "resend"], None)
            .await
    }

    /// Sends again every delivery matching `filter` (at most
    /// [`MAX_RESEND`](crate::MAX_RESEND)), each as a new attempt; answers the ids resent.
    ///
    /// # Errors
    /// [`ControlError::Refused`] with `TOO_MANY_DELIVERIES` when more match, or naming the
    /// filter field that is wrong.
    pub async fn resend_matching(&self, filter: &ResendRequest) -> Result<Resent, ControlError> {
        self.post(&["deliveries", "resend"], Some(filter)).await
    }

    /// The request log, newest first (at most [`REQUEST_LOG_CAPACITY`](crate::REQUEST_LOG_CAPACITY)
    /// requests).
    ///
    /// # Errors
    /// As [`ControlError`] says.
    pub async fn requests(&self) -> Result<Vec<LoggedRequest>, ControlError> {
        self.get(&["requests"]).await
    }

    /// Sets faults (failures, latency, duplicated or reordered callbacks).
    ///
    /// # Errors
    /// [`ControlError::Refused`] naming the field that is wrong.
    pub async fn faults(&self, faults: &FaultsRequest) -> Result<FaultsApplied, ControlError> {
        self.post(&["faults"], Some(faults)).await
    }

    /// Forgets every invoice, callback, fault and webhook attempt; answers the clock after.
    ///
    /// # Errors
    /// As [`ControlError`] says.
    pub async fn reset(&self) -> Result<OffsetDateTime, ControlError> {
        let done: ResetDone = self.post::<(), _>(&["reset"], None).await?;
        Ok(done.now)
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("_sandbox").extend(segments);
        }
        url
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ControlError> {
        let answer = self.http.get(self.url(segments)).send().await;
        read(answer).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<T, ControlError> {
        let mut request = self.http.post(self.url(segments));
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await).await
    }
}

/// The body of a refused call.
#[derive(Deserialize)]
struct Refusal {
    error_code: String,
    message: String,
}

async fn read<T: DeserializeOwned>(
    answer: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, ControlError> {
    let answer = answer.map_err(ControlError::Transport)?;
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.map_err(ControlError::Transport)?;
    let decode_error = |message: String| ControlError::Decode {
        status,
        message,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if (200..300).contains(&status) {
        return serde_json::from_slice(&bytes).map_err(|e| decode_error(e.to_string()));
    }
    match serde_json::from_slice::<Refusal>(&bytes) {
        Ok(r) => Err(ControlError::Refused {
            status,
            error_code: r.error_code,
            message: r.message,
        }),
        Err(e) => Err(decode_error(e.to_string())),
    }
}

/// The sandbox as the conformance suite's payer: it pays through the control endpoint, as a
/// buyer on the checkout page would.
#[async_trait]
impl Payer for SandboxClient {
    async fn pay(&self, invoice: &Invoice, _options: &RequestOptions) -> Result<(), PayerError> {
        SandboxClient::pay(self, &invoice.id, &PayRequest::default()).await?;
        Ok(())
    }
}

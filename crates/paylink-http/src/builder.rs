//! Configuration of an [`HttpGateway`]: key, base URL, timeouts, retry policy, user agent,
//! and optionally the caller's own `reqwest::Client`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use paylink_core::{Operation, RetryDecision, RetryPolicy};
use reqwest::header::HeaderValue;

use crate::clock::ServerClock;
use crate::gateway::{HttpGateway, Inner, RetryObserver};
use crate::jitter::Jitter;
use crate::key::SecretKey;

/// Xendit's API host, for test and live mode alike.
pub const DEFAULT_BASE_URL: &str = "https://api.xendit.co";
/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt, from connecting to the last byte of the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default margin for clock skew when looking for an invoice an ambiguous create may have made.
pub const DEFAULT_LOOKUP_MARGIN: Duration = Duration::from_secs(300);
/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("paylink-http/", env!("CARGO_PKG_VERSION"));

/// A configuration [`HttpGatewayBuilder::build`] refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL is not an absolute `http` or `https` URL without credentials, query or
    /// fragment.
    #[error("base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL as given (credentials removed).
        url: String,
        /// The rule it breaks.
        reason: String,
    },
    /// The secret key is empty.
    #[error("secret key: must not be empty")]
    EmptyKey,
    /// The user agent cannot be sent as a header.
    #[error("user agent {0:?}: must be visible ASCII")]
    UserAgent(String),
    /// A timeout of zero.
    #[error("{0}: must be greater than zero")]
    ZeroTimeout(&'static str),
    /// reqwest could not build its client (TLS backend setup).
    #[error("could not build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// Builds an [`HttpGateway`]. Start with [`HttpGateway::builder`].
///
/// ```
/// use std::time::Duration;
/// use paylink_http::{HttpGateway, KeyMode, SecretKey};
/// # fn main() -> Result<(), paylink_http::BuildError> {
/// let gateway = HttpGateway::builder(SecretKey::new("xnd_development_..."))
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(gateway.key_mode(), KeyMode::Test);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpGatewayBuilder {
    key: SecretKey,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry_policy: RetryPolicy,
    user_agent: String,
    client: Option<reqwest::Client>,
    jitter_seed: Option<u64>,
    lookup_margin: Duration,
    on_retry: Option<RetryObserver>,
}

impl HttpGatewayBuilder {
    pub(crate) fn new(key: SecretKey) -> Self {
        HttpGatewayBuilder {
            key,
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry_policy: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            client: None,
            jitter_seed: None,
            lookup_margin: DEFAULT_LOOKUP_MARGIN,
            on_retry: None,
        }
    }

    /// Where the API lives ([`DEFAULT_BASE_URL`] unless set), such as a local sandbox. A path
    /// prefix is kept; a trailing `/` is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time allowed to open a connection ([`DEFAULT_CONNECT_TIMEOUT`]). Not applied to a
    /// client given with [`client`](Self::client), which keeps its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from connecting to the end of the body
    /// ([`DEFAULT_TIMEOUT`]). A call with retries can take up to the retry policy's
    /// `max_elapsed` plus one attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When and how often to retry (the core's [`RetryPolicy`]; its default unless set).
    /// [`RetryPolicy::never`] turns retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// The `User-Agent` header ([`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sends through this client instead of one built here (to share a connection pool, or to
    /// set proxies and certificates). Its own connect timeout and redirect policy apply; the
    /// per-attempt timeout and every header are still set on each request.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Fixes the random numbers that spread retry delays, for reproducible runs.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// How far before the first attempt of a create, read on Xendit's clock, an invoice may have
    /// been stamped and still count as made by this call ([`DEFAULT_LOOKUP_MARGIN`]). It covers
    /// the error of the estimate of Xendit's clock (see "The look-up after an ambiguous create"
    /// on [`HttpGateway`]); a wider margin also adopts older invoices of the same order.
    pub fn lookup_margin(mut self, margin: Duration) -> Self {
        self.lookup_margin = margin;
        self
    }

    /// Calls `observer` with every decision the retry policy makes (operation, failed attempt,
    /// decision), before the gateway waits: for metrics, or for tests that check the waits
    /// without reading logs.
    pub fn on_retry(
        mut self,
        observer: impl Fn(Operation, u32, RetryDecision) + Send + Sync + 'static,
    ) -> Self {
        self.on_retry = Some(Arc::new(observer));
        self
    }

    /// Checks the configuration and builds the gateway.
    ///
    /// # Errors
    /// [`BuildError`] naming the setting that is wrong: an empty key, a base URL that is not an
    /// absolute `http(s)` URL (or carries credentials, a query or a fragment), a user agent
    /// that is not a header value, a zero timeout, or a failure to set up TLS.
    pub fn build(self) -> Result<HttpGateway, BuildError> {
        if self.key.is_empty() {
            return Err(BuildError::EmptyKey);
        }
        let base = check_base_url(&self.base_url)?;
        if self.timeout.is_zero() {
            return Err(BuildError::ZeroTimeout("timeout"));
        }
        if self.connect_timeout.is_zero() {
            return Err(BuildError::ZeroTimeout("connect timeout"));
        }
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| BuildError::UserAgent(self.user_agent.clone()))?;
        let mut auth = HeaderValue::from_str(&self.key.basic_auth_value())
            .map_err(|_| BuildError::EmptyKey)?;
        auth.set_sensitive(true);
        let client = match self.client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .use_rustls_tls()
                .connect_timeout(self.connect_timeout)
                // A redirected POST would turn into a GET and lose the create.
                .redirect(reqwest::redirect::Policy::none())
                // Below the idle timeouts of common load balancers (60 s), so a create is not
                // sent on a connection the far end has already closed, which would make its
                // failure ambiguous and cost a lookup.
                .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                .build()
                .map_err(BuildError::Client)?,
        };
        let jitter = match self.jitter_seed {
            Some(seed) => Jitter::seeded(seed),
            None => Jitter::from_entropy(),
        };
        Ok(HttpGateway::from_inner(Inner {
            client,
            base,
            auth,
            user_agent,
            mode: self.key.mode(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            policy: self.retry_policy,
            jitter,
            lookup_margin: self.lookup_margin,
            clock: ServerClock::new(),
            on_retry: self.on_retry,
        }))
    }
}

impl fmt::Debug for HttpGatewayBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGatewayBuilder")
            .field("key", &self.key)
            .field("base_url", &redact_url(&self.base_url))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry_policy", &self.retry_policy)
            .field("user_agent", &self.user_agent)
            .field("own_client", &self.client.is_some())
            .field("jitter_seed", &self.jitter_seed)
            .field("lookup_margin", &self.lookup_margin)
            .finish()
    }
}

/// The base URL without a trailing `/`.
fn check_base_url(raw: &str) -> Result<Arc<str>, BuildError> {
    let fail = |reason: &str| BuildError::BaseUrl {
        url: redact_url(raw),
        reason: reason.to_owned(),
    };
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|e| fail(&format!("not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fail("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fail("a host is required"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail(
            "must not carry credentials; the secret key is sent as Basic auth",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail("must not have a query or a fragment"));
    }
    let s = url.as_str().trim_end_matches('/');
    Ok(Arc::from(s))
}

/// A URL as text with any `user:password@` removed.
pub(crate) fn redact_url(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let host_start = scheme_end + 3;
            let path_start = raw[host_start..]
                .find('/')
                .map_or(raw.len(), |i| host_start + i);
            if at < path_start {
                format!("{}<redacted>@{}", &raw[..host_start], &raw[at + 1..])
            } else {
                raw.to_owned()
            }
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_lose_their_trailing_slash_and_keep_a_prefix() {
        assert_eq!(
            &*check_base_url("https://api.xendit.co/").expect("valid"),
            "https://api.xendit.co"
        );
        assert_eq!(
            &*check_base_url("http://127.0.0.1:9000/xendit/").expect("valid"),
            "http://127.0.0.1:9000/xendit"
        );
    }

    #[test]
    fn credentials_in_a_base_url_are_refused_and_not_echoed() {
        let e = check_base_url("https://xnd_production_k:@api.xendit.co").expect_err("refused");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("xnd_production_k"), "{shown}");
        assert!(shown.contains("credentials"), "{shown}");
    }

    #[test]
    fn bad_base_urls_are_refused_with_the_rule() {
        for (url, rule) in [
            ("api.xendit.co", "absolute URL"),
            ("ftp://api.xendit.co", "scheme"),
            ("https://api.xendit.co/?a=b", "query"),
            ("https://api.xendit.co/#x", "fragment"),
        ] {
            let e = check_base_url(url).expect_err(url);
            assert!(e.to_string().contains(rule), "{url}: {e}");
        }
    }
}

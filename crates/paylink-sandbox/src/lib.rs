#![doc = include_str!("README.md")]
#![warn(missing_docs)]

mod api;
mod checkout;
mod client;
mod control;
mod delivery;
mod error;
mod format;
mod page;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use futures::StreamExt;
use paylink_core::CallbackToken;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::util::{MapRequestLayer, MapResponseLayer};

use paylink_fake::{FakeGateway, FakeGatewayBuilder};

pub use api::parse_create_body;
pub use client::{
    AdvanceRequest, Advanced, ClockReading, ControlError, FailedPayment, FaultsApplied,
    FaultsRequest, PayRequest, ResetDone, SandboxClient, DEFAULT_CONTROL_TIMEOUT,
};
pub use control::read_control_body;
pub use delivery::{Deliverer, DeliveryAttempt, DeliveryTarget, SCHEDULE};
pub use error::ErrorAnswer;

/// The secret key the sandbox accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "xnd_development_sandbox";

/// The largest request body accepted unless told otherwise (1 MiB: a create request with 75
/// items and 50 metadata entries of 500 characters is far smaller).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// How the sandbox is set up.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The API key clients must send as the Basic-auth user name.
    pub secret_key: String,
    /// Where webhooks go; none are sent when `None`.
    pub callback_url: Option<String>,
    /// Sent in `x-callback-token` with every webhook.
    pub callback_token: CallbackToken,
    /// Multiplies Xendit's retry schedule and the 30 s attempt timeout (1.0 = real time;
    /// 0.0001 turns the +15 min retry into 90 ms).
    pub retry_time_scale: f64,
    /// Largest request body; larger ones get 413 `REQUEST_ENTITY_TOO_LARGE`.
    pub max_body_bytes: usize,
    /// The address clients and browsers reach the sandbox at (`invoice_url` starts with it);
    /// `http://{bound address}` when `None`.
    pub public_base_url: Option<String>,
    /// How the engine's clock moves.
    pub clock: ClockMode,
}

/// How the engine's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Only `POST /_sandbox/clock/advance` (or the engine's own controls) move it: for tests.
    Manual,
    /// It follows the wall clock (plus whatever `clock/advance` added), and links expire on
    /// their own: for a developer clicking through payments. The engine clock is moved forward
    /// every second and before every request.
    Wall,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            callback_url: None,
            callback_token: CallbackToken::from_static("sandbox-callback-token"),
            retry_time_scale: 1.0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            public_base_url: None,
            clock: ClockMode::Manual,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("addr", &self.addr)
            .field("secret_key", &"<redacted>")
            .field("callback_url", &self.callback_url)
            .field("callback_token", &self.callback_token)
            .field("retry_time_scale", &self.retry_time_scale)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("public_base_url", &self.public_base_url)
            .field("clock", &self.clock)
            .finish()
    }
}

/// What every route shares: the engine, the configuration and the webhook deliverer.
pub struct SandboxState {
    config: SandboxConfig,
    base_url: String,
    engine: FakeGateway,
    deliverer: Deliverer,
    forwarder: Mutex<Option<JoinHandle<()>>>,
    clock_offset: Mutex<time::Duration>,
}

impl SandboxState {
    /// State serving `engine` at `base_url` (the address `invoice_url` should point at, such
    /// as `http://127.0.0.1:4010`). The engine's `invoice_base_url` is not changed: build it
    /// with `{base_url}/web/` for links that open this sandbox's checkout page. Webhooks are
    /// delivered once [`SandboxState::start_delivery`] has run (inside a tokio runtime).
    pub fn new(
        config: SandboxConfig,
        base_url: impl Into<String>,
        engine: FakeGateway,
    ) -> Arc<Self> {
        let target = config.callback_url.clone().map(|url| DeliveryTarget {
            url,
            token: config.callback_token.clone(),
        });
        let deliverer = Deliverer::new(target, config.retry_time_scale);
        let offset = match config.clock {
            ClockMode::Manual => time::Duration::ZERO,
            ClockMode::Wall => OffsetDateTime::now_utc() - engine.now(),
        };
        Arc::new(SandboxState {
            config,
            base_url: base_url.into(),
            engine,
            deliverer,
            forwarder: Mutex::new(None),
            clock_offset: Mutex::new(offset),
        })
    }

    /// Starts forwarding the engine's callbacks to the webhook deliverer. Must be called inside
    /// a tokio runtime; calling it again restarts the forwarding.
    pub fn start_delivery(self: &Arc<Self>) {
        let mut rx = self.engine().subscribe();
        let state = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let Some(state) = state.upgrade() else { break };
                state.deliverer.enqueue(&event.body);
            }
        });
        if let Some(old) = lock(&self.forwarder).replace(task) {
            old.abort();
        }
    }

    /// The engine: a handle on the same world (a reset clears it in place, so a handle taken
    /// before a reset keeps working).
    pub fn engine(&self) -> FakeGateway {
        self.engine.clone()
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// The address the sandbox is reached at.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The webhook deliverer and its log.
    pub fn deliverer(&self) -> &Deliverer {
        &self.deliverer
    }

    /// Forgets every invoice, callback, fault and webhook attempt: the engine is reset in place
    /// (its clock back at its start, or at the wall clock in [`ClockMode::Wall`]), and callbacks
    /// still queued from before the reset are dropped.
    pub fn reset(self: &Arc<Self>) {
        self.engine.reset();
        if self.config.clock == ClockMode::Wall {
            *lock(&self.clock_offset) = OffsetDateTime::now_utc() - self.engine.now();
        }
        self.deliverer.reset();
        self.start_delivery();
    }

    /// Moves the engine's clock forward by `by` (and, in [`ClockMode::Wall`], keeps it that
    /// far ahead of the wall clock). Returns the clock and the links that expired.
    pub fn advance(&self, by: Duration) -> (OffsetDateTime, Vec<paylink_core::Invoice>) {
        let engine = self.engine();
        if self.config.clock == ClockMode::Wall {
            let mut offset = lock(&self.clock_offset);
            *offset =
                offset.saturating_add(time::Duration::try_from(by).unwrap_or(time::Duration::MAX));
        }
        let expired = engine.advance(by);
        (engine.now(), expired)
    }

    /// In [`ClockMode::Wall`], moves the engine's clock up to the wall clock plus the offset,
    /// expiring what falls due. Does nothing in [`ClockMode::Manual`].
    pub fn sync_clock(&self) {
        if self.config.clock != ClockMode::Wall {
            return;
        }
        let target = OffsetDateTime::now_utc().saturating_add(*lock(&self.clock_offset));
        let engine = self.engine();
        if target > engine.now() {
            let _ = engine.set_time(target);
        }
    }

    /// Reads a request body, refusing one larger than the configured limit.
    pub(crate) async fn read_body(&self, body: Body) -> Result<Vec<u8>, ErrorAnswer> {
        let limit = self.config.max_body_bytes;
        let mut out = Vec::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ErrorAnswer::new(
                    400,
                    "BAD_REQUEST",
                    format!("could not read the request body: {e}"),
                )
            })?;
            if out.len() + chunk.len() > limit {
                return Err(ErrorAnswer::too_large(limit));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl Drop for SandboxState {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.forwarder).take() {
            task.abort();
        }
    }
}

/// Every route of the sandbox: Xendit's invoice API, the checkout page and the `/_sandbox`
/// controls, with JSON answers for unknown routes (404) and wrong methods (405).
pub fn router(state: Arc<SandboxState>) -> Router {
    let routes = Router::new()
        .route("/v2/invoices", post(api::create).get(api::list))
        .route("/v2/invoices/", post(api::create))
        .route("/v2/invoices/{id}", get(api::get_one))
        .route("/invoices/{id}/expire!", post(api::expire))
        .route("/web/{id}", get(checkout::show))
        .route("/web/{id}/pay", post(checkout::pay))
        .route("/web/{id}/fail", post(checkout::fail))
        .route("/web/{id}/result", get(checkout::result))
        .route("/_sandbox/invoices/{id}/pay", post(control::pay))
        .route("/_sandbox/invoices/{id}/fail", post(control::fail))
        .route(
            "/_sandbox/invoices/{id}/pay-after-expiry",
            post(control::pay_after_expiry),
        )
        .route("/_sandbox/invoices/{id}/settle", post(control::settle))
        .route("/_sandbox/clock/advance", post(control::advance))
        .route("/_sandbox/clock", get(control::clock))
        .route("/_sandbox/deliveries", get(control::deliveries))
        .route("/_sandbox/faults", post(control::faults))
        .route("/_sandbox/reset", post(control::reset))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method);
    follow_wall_clock(routes, &state).with_state(state)
}

/// Brings the engine's clock up to date before each request and stamps the answer's `Date`
/// header with the engine's time, as Xendit's `Date` agrees with its `created` stamps (a client
/// may use it to estimate the server's clock). A pair of map layers rather than `from_fn`, which
/// boxes the rest of the stack and its future anew for every request.
fn follow_wall_clock(
    routes: Router<Arc<SandboxState>>,
    state: &Arc<SandboxState>,
) -> Router<Arc<SandboxState>> {
    let before = Arc::clone(state);
    let after = Arc::clone(state);
    // One layer of the pair: each `Router::layer` boxes every route once more.
    routes.layer((
        MapRequestLayer::new(move |request: axum::extract::Request| {
            before.sync_clock();
            request
        }),
        MapResponseLayer::new(move |mut response: Response| {
            if let Some(date) = http_date(after.engine.now()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::DATE, date);
            }
            response
        }),
    ))
}

/// An IMF-fixdate (`Thu, 28 Nov 2024 06:40:26 GMT`), the form of HTTP's `Date` header.
fn http_date(t: OffsetDateTime) -> Option<axum::http::HeaderValue> {
    // httpdate covers 1970 to 9999; a clock outside that sends no Date header.
    if !(1970..=9999).contains(&t.year()) {
        return None;
    }
    thread_local! {
        /// The second last written on this thread and its header (a `Date` shows whole
        /// seconds, so consecutive answers mostly repeat it).
        static LAST: std::cell::RefCell<Option<(i64, axum::http::HeaderValue)>> =
            const { std::cell::RefCell::new(None) };
    }
    let second = t.unix_timestamp();
    LAST.with_borrow_mut(|last| match last {
        Some((kept, value)) if *kept == second => Some(value.clone()),
        _ => {
            let text = httpdate::fmt_http_date(std::time::SystemTime::from(t));
            let value = axum::http::HeaderValue::from_str(&text).ok()?;
            *last = Some((second, value.clone()));
            Some(value)
        }
    })
}

async fn no_route(method: Method, uri: Uri) -> ErrorAnswer {
    ErrorAnswer::no_route(method.as_str(), uri.path())
}

async fn wrong_method(method: Method, uri: Uri) -> ErrorAnswer {
    ErrorAnswer::wrong_method(method.as_str(), uri.path())
}

/// A sandbox serving in the background. Dropping it stops it.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    state: Arc<SandboxState>,
    stop: Option<oneshot::Sender<()>>,
    join: Option<JoinHandle<std::io::Result<()>>>,
    ticker: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `config.addr`, builds the engine from `engine` with `invoice_url` pointing at this
    /// sandbox's checkout page, starts webhook delivery, and serves until shut down.
    ///
    /// # Errors
    /// The I/O error of binding the address.
    pub async fn start(
        config: SandboxConfig,
        engine: FakeGatewayBuilder,
    ) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let base_url = config
            .public_base_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{addr}"));
        let mut engine = engine.invoice_base_url(format!("{base_url}/web/"));
        if config.clock == ClockMode::Wall {
            engine = engine.start(OffsetDateTime::now_utc());
        }
        let state = SandboxState::new(config, base_url.clone(), engine.build());
        state.start_delivery();
        let ticker = (state.config.clock == ClockMode::Wall).then(|| {
            let weak = Arc::downgrade(&state);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(1));
                loop {
                    every.tick().await;
                    let Some(state) = weak.upgrade() else { break };
                    state.sync_clock();
                }
            })
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(Arc::clone(&state));
        let server = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future();
        let join = tokio::spawn(server);
        Ok(Sandbox {
            addr,
            base_url,
            state,
            stop: Some(stop),
            join: Some(join),
            ticker,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address clients reach it at (`http://127.0.0.1:4010`).
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// A typed client for its `/_sandbox` control endpoints.
    ///
    /// # Errors
    /// Only if the HTTP client cannot be set up (no TLS backend).
    pub fn client(&self) -> Result<SandboxClient, ControlError> {
        SandboxClient::new(&self.base_url)
    }

    /// The engine behind it (a reset clears it in place: a handle taken before stays valid).
    pub fn engine(&self) -> FakeGateway {
        self.state.engine()
    }

    /// The shared state (deliveries, clock, reset).
    pub fn state(&self) -> &Arc<SandboxState> {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish, cancels pending webhook
    /// deliveries, and waits for the server to end.
    ///
    /// # Errors
    /// The server's I/O error, if it failed.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        self.state.deliverer.shutdown();
        match self.join.take() {
            Some(join) => join
                .await
                .map_err(|e| std::io::Error::other(format!("the server task failed: {e}")))?,
            None => Ok(()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        self.state.deliverer.shutdown();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The testing guide's code blocks run as doc tests here, where every crate they use is at hand.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/testing-with-the-fake.md")]
mod testing_with_the_fake_guide {}

#![doc = include_str!("README.md")]
#![warn(missing_docs)]

mod api;
mod checkout;
mod client;
mod config;
mod control;
mod delivery;
mod error;
mod format;
mod inspector;
mod page;
mod requests;
mod resend;
mod seed;
mod server;
mod state;
mod store;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use time::OffsetDateTime;
use tower::util::{MapRequestLayer, MapResponseLayer};

pub use api::parse_create_body;
pub use client::{
    AdvanceRequest, Advanced, ClockReading, ControlError, FailedPayment, FaultsApplied,
    FaultsRequest, PayRequest, ResetDone, SandboxClient, DEFAULT_CONTROL_TIMEOUT,
};
pub use config::{
    read_accounts_file, AccountConfig, AccountError, ClockMode, SandboxConfig,
    DEFAULT_ACCOUNT_NAME, DEFAULT_MAX_BODY_BYTES, DEFAULT_SECRET_KEY,
};
pub use control::read_control_body;
pub use delivery::{
    Deliverer, DeliveryAttempt, DeliveryChanges, DeliveryRecord, DeliveryTarget, ResendError,
    DEFAULT_ACCOUNT, SCHEDULE,
};
pub use error::ErrorAnswer;
pub use requests::{LoggedRequest, RequestLog, REQUEST_BODY_CAP, REQUEST_LOG_CAPACITY};
pub use resend::{DeliveryOutcome, ResendRequest, Resent, MAX_RESEND};
pub use seed::{
    apply_seed, check_seed, load_seed_file, parse_seed, SeedEntry, SeedFileError, SEED_KEYS,
};
pub use server::Sandbox;
pub use state::{Account, SandboxState};
pub use store::{StoreError, DATABASE_FILE};

/// Every route of the sandbox: Xendit's invoice API, the checkout page, the `/_sandbox`
/// controls and the inspector, with JSON answers for unknown routes (404) and wrong methods
/// (405). Requests to all but the inspector's pages and the request log itself are recorded
/// in the request log.
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
        .route("/_sandbox/invoices/{id}/expire", post(control::expire))
        .route("/_sandbox/clock/advance", post(control::advance))
        .route("/_sandbox/clock", get(control::clock))
        .route("/_sandbox/deliveries", get(control::deliveries))
        .route("/_sandbox/deliveries/resend", post(resend::resend_filtered))
        .route("/_sandbox/deliveries/{id}/resend", post(resend::resend))
        .route("/_sandbox/faults", post(control::faults))
        .route("/_sandbox/reset", post(control::reset))
        .merge(inspector::forms())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .merge(inspector::pages().method_not_allowed_fallback(wrong_method));
    let routes = match state.config().data_dir {
        Some(_) => routes.layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            persist_each_change,
        )),
        None => routes,
    };
    around_each_request(routes, &state).with_state(state)
}

/// After each request, waits until the data directory holds every change the request made, so
/// nothing answered is lost to a restart (only with a data directory: an in-memory sandbox
/// pays nothing for it).
async fn persist_each_change(
    State(state): State<Arc<SandboxState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    match state.persist().await {
        Ok(()) => response,
        Err(failure) => failure.into_response(),
    }
}

/// Brings the clock up to date before each request, records it in the request log (all but the
/// inspector's own pages), and stamps the answer's `Date` header with the engine's time, as
/// Xendit's `Date` agrees with its `created` stamps (a client may use it to estimate the
/// server's clock). Map layers and the log's own layer rather than `from_fn`, which boxes the
/// rest of the stack and its future anew for every request, all in one `Router::layer`, which
/// wraps every route once more each time it is called.
fn around_each_request(
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
            if let Some(date) = http_date(after.now()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::DATE, date);
            }
            response
        }),
        requests::RecordLayer(Arc::clone(state)),
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The testing guide's code blocks run as doc tests here, where every crate they use is at hand.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/testing-with-the-fake.md")]
mod testing_with_the_fake_guide {}

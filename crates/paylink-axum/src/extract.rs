//! The [`XenditCallback`] extractor and the [`CallbackVerifier`] it takes from the router
//! state: token first (before a byte of the body is read), then the body up to the limit, then
//! the typed event.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use paylink_core::{parse_callback, CallbackToken, InvoiceEvent, CALLBACK_TOKEN_HEADER};

use crate::rejection::CallbackRejection;

/// The largest callback body [`CallbackVerifier::new`] accepts: 1 MiB. Xendit's invoice
/// callbacks are a few kilobytes, items included.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What [`XenditCallback`] checks a request against: the account's callback token and the
/// largest body it reads. Put one in the router state (or make it reachable with
/// [`FromRef`] from your state). Cheap to clone; its `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct CallbackVerifier {
    token: Arc<CallbackToken>,
    body_limit: usize,
}

impl CallbackVerifier {
    /// A verifier for the account's token, with a body limit of [`DEFAULT_BODY_LIMIT`].
    pub fn new(token: CallbackToken) -> Self {
        CallbackVerifier {
            token: Arc::new(token),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// The same verifier reading bodies of at most `bytes` bytes; a longer one is refused with
    /// 413.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest body read, in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Checks the `x-callback-token` header of `headers` in constant time.
    ///
    /// # Errors
    /// [`CallbackRejection::MissingToken`] when the header is absent or empty,
    /// [`CallbackRejection::WrongToken`] when it differs from the token.
    pub fn verify(&self, headers: &HeaderMap) -> Result<(), CallbackRejection> {
        let given = headers.get(CALLBACK_TOKEN_HEADER).map(|v| v.as_bytes());
        self.token.verify(given).map_err(CallbackRejection::from)
    }

    /// Reads `request`'s body up to the limit and parses it as an invoice callback, after
    /// checking its token. What [`XenditCallback`] does.
    ///
    /// # Errors
    /// Every [`CallbackRejection`]: the token is checked first, so a request without the right
    /// token is refused before its body is read.
    pub async fn accept(&self, request: Request) -> Result<InvoiceEvent, CallbackRejection> {
        self.verify(request.headers())?;
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let limit = self.body_limit;
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(CallbackRejection::TooLarge { limit });
        }
        let body = Limited::new(request.into_body(), limit)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    CallbackRejection::TooLarge { limit }
                } else {
                    CallbackRejection::UnreadableBody {
                        message: e.to_string(),
                    }
                }
            })?
            .to_bytes();
        Ok(parse_callback(&body)?)
    }
}

impl From<CallbackToken> for CallbackVerifier {
    fn from(token: CallbackToken) -> Self {
        CallbackVerifier::new(token)
    }
}

/// An invoice callback that carried the right `x-callback-token` and parsed, as an axum
/// extractor. Dereferences to the [`InvoiceEvent`] (`callback.kind`, `callback.callback.id`...).
///
/// It takes the [`CallbackVerifier`] from the router state through [`FromRef`], and refuses
/// with a [`CallbackRejection`] (a JSON answer) when the token is missing or wrong (401), the
/// body is over the limit (413) or is not an invoice callback (400, naming the JSON path). It
/// reads the body, so it comes last among a handler's arguments. Take
/// `Result<XenditCallback, CallbackRejection>` to see a refusal (to log it) before answering it.
///
/// ```
/// use axum::routing::post;
/// use axum::Router;
/// use paylink_axum::{CallbackVerifier, XenditCallback};
/// use paylink_core::{CallbackToken, EventKind};
///
/// async fn webhook(XenditCallback(event): XenditCallback) -> &'static str {
///     match event.kind {
///         EventKind::Paid { .. } => "paid",
///         EventKind::Expired => "expired",
///         _ => "ignored",
///     }
/// }
///
/// # fn main() -> Result<(), paylink_core::BlankToken> {
/// let token = CallbackToken::new("token-from-the-dashboard")?;
/// let app: Router = Router::new()
///     .route("/webhooks/xendit", post(webhook))
///     .with_state(CallbackVerifier::new(token));
/// # let _ = app;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct XenditCallback(pub InvoiceEvent);

impl XenditCallback {
    /// The event.
    pub fn into_event(self) -> InvoiceEvent {
        self.0
    }
}

impl Deref for XenditCallback {
    type Target = InvoiceEvent;

    fn deref(&self) -> &InvoiceEvent {
        &self.0
    }
}

impl<S> FromRequest<S> for XenditCallback
where
    CallbackVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = CallbackRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = CallbackVerifier::from_ref(state);
        verifier.accept(request).await.map(XenditCallback)
    }
}

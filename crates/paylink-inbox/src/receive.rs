//! Receiving: [`Inbox::receive`] verifies, parses and durably stores one webhook before the
//! caller answers, and keeps every refusal in the rejected log.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use paylink_core::{parse_callback, CallbackToken, Invoice, InvoiceEvent, CALLBACK_TOKEN_HEADER};
use time::OffsetDateTime;

use crate::clock::{Clock, SystemClock};
use crate::store::{
    to_ms, EventId, InboxStore, Inserted, NewEvent, NewRejection, Source, StoreError,
};

/// The header Xendit may send with an id unique to the event (kept on its retries).
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";

/// The largest body accepted unless told otherwise (1 MiB; a callback is a few KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// How much of an unauthenticated or oversized body the rejected log keeps.
pub const REJECTED_SNIPPET_BYTES: usize = 4096;

/// The longest `webhook-id` kept; a longer one is ignored (the other key still applies).
const MAX_WEBHOOK_ID_LEN: usize = 200;

/// What a successful receive did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The stored event.
    pub id: EventId,
    /// Whether it had been stored before (a repeat delivery).
    pub duplicate: bool,
    /// The invoice it is about.
    pub invoice_id: String,
    /// The status it reports.
    pub status: String,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalKind {
    /// The body is larger than the limit.
    TooLarge {
        /// Its size (at least this much was read).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// No `x-callback-token` header.
    MissingToken,
    /// The header does not match the configured token.
    TokenMismatch,
    /// The body is not a valid invoice callback.
    InvalidBody {
        /// JSON path of the problem (`$`, `$.amount`).
        path: String,
        /// The rule it breaks.
        message: String,
    },
    /// The store failed, so nothing could be kept: the sender must retry.
    Unavailable(StoreError),
}

/// A refused request: why, the HTTP status to answer, and where the rejected log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub kind: RefusalKind,
    /// The rejected-log entry, when it could be stored.
    pub rejection_id: Option<i64>,
}

impl Refusal {
    /// The status to answer. Xendit retries every non-2xx answer, so each is one that should
    /// be retried: 401 (a rotated token can be fixed and the retries then land), 400 and 413
    /// (kept in the rejected log meanwhile), 503 (nothing was stored).
    pub fn status(&self) -> u16 {
        match self.kind {
            RefusalKind::TooLarge { .. } => 413,
            RefusalKind::MissingToken | RefusalKind::TokenMismatch => 401,
            RefusalKind::InvalidBody { .. } => 400,
            RefusalKind::Unavailable(_) => 503,
        }
    }

    /// A stable code (`too_large`, `missing_token`, `token_mismatch`, `invalid_body`,
    /// `unavailable`).
    pub fn code(&self) -> &'static str {
        match self.kind {
            RefusalKind::TooLarge { .. } => "too_large",
            RefusalKind::MissingToken => "missing_token",
            RefusalKind::TokenMismatch => "token_mismatch",
            RefusalKind::InvalidBody { .. } => "invalid_body",
            RefusalKind::Unavailable(_) => "unavailable",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RefusalKind::TooLarge { size, limit } => {
                write!(
                    f,
                    "body of at least {size} bytes is larger than the limit of {limit} bytes"
                )
            }
            RefusalKind::MissingToken => write!(f, "missing {CALLBACK_TOKEN_HEADER} header"),
            RefusalKind::TokenMismatch => write!(
                f,
                "{CALLBACK_TOKEN_HEADER} does not match the configured token"
            ),
            RefusalKind::InvalidBody { path, message } => {
                write!(f, "invalid callback body at {path}: {message}")
            }
            RefusalKind::Unavailable(e) => write!(f, "not stored, retry later: {e}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// How an [`Inbox`] is set up.
#[derive(Debug, Clone)]
pub struct InboxOptions {
    /// Where it reads the time.
    pub clock: Arc<dyn Clock>,
    /// The largest body accepted.
    pub max_body_bytes: usize,
}

impl Default for InboxOptions {
    fn default() -> Self {
        InboxOptions {
            clock: Arc::new(SystemClock),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

struct Shared<S> {
    store: S,
    token: CallbackToken,
    options: InboxOptions,
}

/// The inbox over a store. Clones share it.
pub struct Inbox<S> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for Inbox<S> {
    fn clone(&self) -> Self {
        Inbox {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Inbox<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("store", &self.shared.store)
            .field("token", &self.shared.token)
            .field("options", &self.shared.options)
            .finish()
    }
}

impl<S: InboxStore> Inbox<S> {
    /// An inbox that accepts callbacks carrying `token`, on the system clock.
    pub fn new(store: S, token: CallbackToken) -> Self {
        Inbox::with_options(store, token, InboxOptions::default())
    }

    /// An inbox with these options.
    pub fn with_options(store: S, token: CallbackToken, options: InboxOptions) -> Self {
        Inbox {
            shared: Arc::new(Shared {
                store,
                token,
                options,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// The current time on the inbox's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.shared.options.clock.now()
    }

    /// The largest body accepted.
    pub fn max_body_bytes(&self) -> usize {
        self.shared.options.max_body_bytes
    }

    /// Receives one webhook: checks the size, verifies `x-callback-token` in constant time,
    /// parses the body and stores the event with its de-duplication key (invoice id, status,
    /// `updated`; and the `webhook-id` header when present) in one transaction. Answer 200
    /// only on `Ok`: the event is then durable. A duplicate is `Ok` with `duplicate: true`.
    ///
    /// # Errors
    /// A [`Refusal`] with the status to answer; every refusal but
    /// [`RefusalKind::Unavailable`] is kept in the rejected log with its reason.
    pub async fn receive(&self, headers: &HeaderMap, body: &[u8]) -> Result<Received, Refusal> {
        let now = self.now();
        let webhook_id = webhook_id(headers);
        let limit = self.max_body_bytes();
        let kind = if body.len() > limit {
            Some(RefusalKind::TooLarge {
                size: body.len(),
                limit,
            })
        } else {
            let token = headers.get(CALLBACK_TOKEN_HEADER).map(|v| v.as_bytes());
            match self.shared.token.verify(token) {
                Ok(()) => None,
                Err(paylink_core::WebhookError::MissingToken) => Some(RefusalKind::MissingToken),
                Err(_) => Some(RefusalKind::TokenMismatch),
            }
        };
        if let Some(kind) = kind {
            // Unauthenticated or oversized: keep only the start of the body.
            let snippet = &body[..body.len().min(REJECTED_SNIPPET_BYTES)];
            return Err(self
                .refuse(kind, snippet, body.len(), webhook_id, now)
                .await);
        }
        match parse_callback(body) {
            Ok(event) => self
                .store_event(&event, body, webhook_id, Source::Webhook, now)
                .await
                .map_err(unavailable),
            Err(paylink_core::WebhookError::Body { path, message }) => {
                let kind = RefusalKind::InvalidBody { path, message };
                Err(self.refuse(kind, body, body.len(), webhook_id, now).await)
            }
            Err(other) => {
                let kind = RefusalKind::InvalidBody {
                    path: "$".into(),
                    message: other.to_string(),
                };
                Err(self.refuse(kind, body, body.len(), webhook_id, now).await)
            }
        }
    }

    /// Refuses a body that is larger than the limit, when only its start (`start`, `seen`
    /// bytes so far) was read: keeps the start in the rejected log.
    pub async fn refuse_oversized(
        &self,
        headers: &HeaderMap,
        start: &[u8],
        seen: usize,
    ) -> Refusal {
        let kind = RefusalKind::TooLarge {
            size: seen,
            limit: self.max_body_bytes(),
        };
        let snippet = &start[..start.len().min(REJECTED_SNIPPET_BYTES)];
        self.refuse(kind, snippet, seen, webhook_id(headers), self.now())
            .await
    }

    /// Stores what a read of the link shows (the sweeper's path), as if its webhook had come:
    /// the same parsing and the same de-duplication key, so a webhook arriving later for the
    /// same change is a duplicate.
    ///
    /// # Errors
    /// A [`Refusal`]: the invoice does not read as a callback (kept in the rejected log), or
    /// the store failed.
    pub async fn observe(&self, invoice: &Invoice) -> Result<Received, Refusal> {
        let now = self.now();
        let body = serde_json::to_vec(invoice).map_err(|e| Refusal {
            kind: RefusalKind::InvalidBody {
                path: "$".into(),
                message: format!("the invoice could not be written as JSON: {e}"),
            },
            rejection_id: None,
        })?;
        match parse_callback(&body) {
            Ok(event) => self
                .store_event(&event, &body, None, Source::Sweep, now)
                .await
                .map_err(unavailable),
            Err(e) => {
                let (path, message) = match e {
                    paylink_core::WebhookError::Body { path, message } => (path, message),
                    other => ("$".into(), other.to_string()),
                };
                let kind = RefusalKind::InvalidBody { path, message };
                Err(self.refuse(kind, &body, body.len(), None, now).await)
            }
        }
    }

    async fn store_event(
        &self,
        event: &InvoiceEvent,
        body: &[u8],
        webhook_id: Option<String>,
        source: Source,
        now: OffsetDateTime,
    ) -> Result<Received, StoreError> {
        let c = &event.callback;
        let status = c.status.as_str().to_owned();
        let new = NewEvent {
            dedupe_key: dedupe_key(&c.id, &status, c.updated),
            webhook_id,
            invoice_id: c.id.clone(),
            external_id: c.external_id.clone(),
            status: status.clone(),
            updated: c.updated,
            source,
            body: body.to_vec(),
            received_at: now,
        };
        let inserted = self.shared.store.insert_event(&new).await?;
        tracing::info!(
            event = inserted.id(),
            invoice = %c.id,
            %status,
            duplicate = matches!(inserted, Inserted::Duplicate(_)),
            source = source.as_str(),
            "inbox stored"
        );
        Ok(Received {
            id: inserted.id(),
            duplicate: matches!(inserted, Inserted::Duplicate(_)),
            invoice_id: c.id.clone(),
            status,
        })
    }

    async fn refuse(
        &self,
        kind: RefusalKind,
        kept: &[u8],
        body_len: usize,
        webhook_id: Option<String>,
        now: OffsetDateTime,
    ) -> Refusal {
        let mut refusal = Refusal {
            kind,
            rejection_id: None,
        };
        let rejection = NewRejection {
            reason: refusal.code().to_owned(),
            detail: refusal.to_string(),
            status: refusal.status(),
            body: kept.to_vec(),
            body_len: body_len as u64,
            webhook_id,
            received_at: now,
        };
        match self.shared.store.insert_rejection(&rejection).await {
            Ok(id) => {
                tracing::warn!(rejection = id, reason = %refusal, "inbox refused a request");
                refusal.rejection_id = Some(id);
                refusal
            }
            // Not even the refusal could be kept: answer 503 so the sender tries again.
            Err(e) => unavailable(e),
        }
    }
}

fn unavailable(e: StoreError) -> Refusal {
    tracing::error!(error = %e, "inbox store unavailable");
    Refusal {
        kind: RefusalKind::Unavailable(e),
        rejection_id: None,
    }
}

/// The de-duplication key of an event: `invoice id|status|updated in ms`.
pub fn dedupe_key(invoice_id: &str, status: &str, updated: OffsetDateTime) -> String {
    format!("{invoice_id}|{status}|{}", to_ms(updated))
}

fn webhook_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(WEBHOOK_ID_HEADER)?.to_str().ok()?.trim();
    (!value.is_empty() && value.len() <= MAX_WEBHOOK_ID_LEN).then(|| value.to_owned())
}

//! The webhook outbox: every PAID and EXPIRED transition as the exact callback body Xendit
//! sends, kept in a log and pushed to subscribers, with duplicate and reorder faults.

use std::sync::Arc;

use paylink_core::{CallbackToken, InvoiceStatus, CALLBACK_TOKEN_HEADER};
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// One invoice callback, as Xendit would POST it to the merchant's webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackEvent {
    /// Position in the outbox, from 0, in the order the callbacks were released (a duplicate
    /// gets its own number; a reordered pair is numbered in its released order).
    pub seq: u64,
    /// The invoice id.
    pub invoice_id: String,
    /// `PAID` or `EXPIRED`.
    pub status: InvoiceStatus,
    /// The `for-user-id` the invoice was created with, if any.
    pub for_user_id: Option<String>,
    /// The fake clock when the transition happened.
    pub at: OffsetDateTime,
    /// The JSON body, byte for byte as it is to be sent.
    pub body: Arc<str>,
}

impl CallbackEvent {
    /// The body parsed as JSON.
    ///
    /// # Errors
    /// Never in practice: the fake writes the body with serde_json.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.body)
    }

    /// The request Xendit would send for this callback: `POST url` with
    /// `content-type: application/json`, the token in `x-callback-token` and the body byte for
    /// byte. `url` is a path (`/webhooks/xendit`) for an in-process service such as an axum
    /// `Router` (`tower::ServiceExt::oneshot`), or a full URL for an HTTP client.
    ///
    /// # Errors
    /// [`http::Error`] when `url` is not a valid URI or the token cannot be an HTTP header value
    /// (it holds a control character). The error never shows the token.
    pub fn to_request(
        &self,
        url: &str,
        token: &CallbackToken,
    ) -> Result<http::Request<String>, http::Error> {
        http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(CALLBACK_TOKEN_HEADER, token.expose())
            .body(self.body.to_string())
    }
}

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    log: Vec<CallbackEvent>,
    subscribers: Vec<mpsc::UnboundedSender<CallbackEvent>>,
    duplicate_next: usize,
    reorder_pairs: usize,
    held: Option<CallbackEvent>,
    tracked: Option<Vec<CallbackEvent>>,
}

impl Outbox {
    pub(crate) fn subscribe(&mut self) -> mpsc::UnboundedReceiver<CallbackEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.subscribers.push(tx);
        rx
    }

    pub(crate) fn log(&self) -> &[CallbackEvent] {
        &self.log
    }

    pub(crate) fn clear(&mut self) {
        self.log.clear();
    }

    /// Forgets the log, faults and any held callback, keeping the subscribers.
    pub(crate) fn reset(&mut self) {
        let subscribers = std::mem::take(&mut self.subscribers);
        let tracked = self.tracked.take().map(|_| Vec::new());
        *self = Outbox {
            subscribers,
            tracked,
            ..Outbox::default()
        };
    }

    pub(crate) fn duplicate_next(&mut self, n: usize) {
        self.duplicate_next = self.duplicate_next.saturating_add(n);
    }

    pub(crate) fn reorder_next(&mut self, pairs: usize) {
        self.reorder_pairs = self.reorder_pairs.saturating_add(pairs);
    }

    pub(crate) fn duplicates_left(&self) -> usize {
        self.duplicate_next
    }

    pub(crate) fn reorders_left(&self) -> usize {
        self.reorder_pairs
    }

    /// Keeps every callback released from now on for [`Outbox::take_tracked`].
    pub(crate) fn track(&mut self) {
        self.tracked.get_or_insert_with(Vec::new);
    }

    /// The callbacks released since the last call (while tracking).
    pub(crate) fn take_tracked(&mut self) -> Vec<CallbackEvent> {
        self.tracked
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    pub(crate) fn clear_faults(&mut self) {
        self.duplicate_next = 0;
        self.reorder_pairs = 0;
    }

    /// Emits a callback, applying the pending faults.
    pub(crate) fn emit(&mut self, event: CallbackEvent) {
        let copies = if self.duplicate_next > 0 {
            self.duplicate_next -= 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            if let Some(held) = self.held.take() {
                self.release(event.clone());
                self.release(held);
            } else if self.reorder_pairs > 0 {
                self.reorder_pairs -= 1;
                self.held = Some(event.clone());
            } else {
                self.release(event.clone());
            }
        }
    }

    /// Releases a callback held for reordering, if there is one.
    pub(crate) fn flush_held(&mut self) -> bool {
        match self.held.take() {
            Some(e) => {
                self.release(e);
                true
            }
            None => false,
        }
    }

    fn release(&mut self, mut event: CallbackEvent) {
        event.seq = self.log.len() as u64;
        if let Some(tracked) = &mut self.tracked {
            tracked.push(event.clone());
        }
        self.subscribers.retain(|s| s.send(event.clone()).is_ok());
        self.log.push(event);
    }
}

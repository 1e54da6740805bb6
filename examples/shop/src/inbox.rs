//! The durable webhook intake: `paylink-inbox` on SQLite (a local file) or PostgreSQL. The
//! webhook route stores each callback before answering 200; a worker applies stored events
//! to the orders through [`OrderService::deliver`], retrying until it succeeds.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use paylink_core::{CallbackToken, InvoiceEvent, CALLBACK_TOKEN_HEADER};
use paylink_fake::FakeGateway;
use paylink_inbox::{
    HandlerError, Inbox, LocalOrder, OrderHandler, Outcome, PostgresStore, SqliteStore, StoreError,
    Worker,
};
use tokio::task::JoinHandle;

use crate::config::Storage;
use crate::service::{OrderService, ShopError};

/// How often an idle worker looks for new events.
const POLL: Duration = Duration::from_millis(100);

/// The inbox over the configured database.
#[derive(Clone, Debug)]
pub enum ShopInbox {
    /// On a SQLite file.
    Sqlite(Inbox<SqliteStore>),
    /// On PostgreSQL.
    Postgres(Inbox<PostgresStore>),
}

impl ShopInbox {
    /// Opens the storage (creating the SQLite file, or connecting to PostgreSQL) and applies
    /// the inbox's migrations.
    ///
    /// # Errors
    /// [`StoreError`] naming what failed; never the database URL.
    pub async fn open(storage: &Storage, token: CallbackToken) -> Result<ShopInbox, StoreError> {
        Ok(match storage {
            Storage::Sqlite { path } => {
                ShopInbox::Sqlite(Inbox::new(SqliteStore::open(path).await?, token))
            }
            Storage::Postgres { url } => {
                ShopInbox::Postgres(Inbox::new(PostgresStore::connect(url, 8).await?, token))
            }
        })
    }

    /// `POST /webhooks/xendit` on the inbox.
    pub fn router(&self) -> Router {
        const PATH: &str = "/webhooks/xendit";
        match self {
            ShopInbox::Sqlite(inbox) => paylink_inbox::axum::router(inbox.clone(), PATH),
            ShopInbox::Postgres(inbox) => paylink_inbox::axum::router(inbox.clone(), PATH),
        }
    }

    /// Starts a worker applying stored events to the service's orders.
    pub fn spawn_worker(&self, service: Arc<OrderService>) -> JoinHandle<()> {
        let handler = Arc::new(ShopHandler { service });
        match self {
            ShopInbox::Sqlite(inbox) => {
                let worker = Worker::new(inbox.clone(), handler);
                tokio::spawn(async move { worker.run(POLL, std::future::pending()).await })
            }
            ShopInbox::Postgres(inbox) => {
                let worker = Worker::new(inbox.clone(), handler);
                tokio::spawn(async move { worker.run(POLL, std::future::pending()).await })
            }
        }
    }

    /// Stores every callback `engine` emits from now on, as if it had been POSTed (the
    /// offline demo's in-process delivery). Runs until the engine is gone.
    pub fn spawn_forwarder(&self, engine: FakeGateway, token: CallbackToken) -> JoinHandle<()> {
        let inbox = self.clone();
        tokio::spawn(async move {
            let mut rx = engine.subscribe();
            drop(engine);
            let mut headers = axum::http::HeaderMap::new();
            if let Ok(value) = axum::http::HeaderValue::from_str(token.expose()) {
                headers.insert(CALLBACK_TOKEN_HEADER, value);
            }
            while let Some(event) = rx.recv().await {
                let result = match &inbox {
                    ShopInbox::Sqlite(i) => i.receive(&headers, event.body.as_bytes()).await,
                    ShopInbox::Postgres(i) => i.receive(&headers, event.body.as_bytes()).await,
                };
                if let Err(refusal) = result {
                    tracing::warn!(%refusal, invoice = %event.invoice_id, "in-process webhook refused");
                }
            }
        })
    }
}

/// Applies stored events to the in-memory orders. The orders are not in the inbox's
/// database, so the write is not in the claim's transaction; it is idempotent instead (each
/// invoice id and status is applied once, repeats only counted).
struct ShopHandler {
    service: Arc<OrderService>,
}

#[async_trait]
impl<Tx: Send> OrderHandler<Tx> for ShopHandler {
    async fn load(
        &self,
        _tx: &mut Tx,
        event: &InvoiceEvent,
    ) -> Result<Option<LocalOrder>, HandlerError> {
        match self.service.order(&event.callback.external_id).await {
            Ok(order) => Ok(Some(LocalOrder {
                invoice_id: order.invoice_id,
                state: order.link_state,
                amount: order.total.amount(),
                currency: order.total.currency(),
            })),
            Err(ShopError::OrderNotFound { .. }) => Ok(None),
            Err(e) => Err(HandlerError::new(e.to_string())),
        }
    }

    async fn apply(
        &self,
        _tx: &mut Tx,
        event: &InvoiceEvent,
        _order: &LocalOrder,
        outcome: &Outcome,
    ) -> Result<(), HandlerError> {
        let c = &event.callback;
        if let Outcome::Reconciled(_) = outcome {
            self.service
                .deliver(&c.external_id, &c.id, &c.status, "inbox")
                .await
                .map_err(|e| HandlerError::new(e.to_string()))?;
        } else {
            // Not applied; the inbox lists it among the events that need attention.
            tracing::warn!(order = %c.external_id, outcome = outcome.code(), detail = %outcome.describe(), "webhook not applied");
        }
        Ok(())
    }
}

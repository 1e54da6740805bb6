//! The durable webhook intake: `paylink-inbox` on SQLite (a local file) or PostgreSQL. The
//! webhook route stores each callback before answering 200; a worker applies stored events
//! to the orders through [`OrderService::deliver`], retrying until it succeeds; a sweeper reads
//! the links of orders still awaiting payment after their expiry, in case a webhook never came.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use paylink_core::{
    CallbackToken, Gateway, InvoiceEvent, LinkState, RequestOptions, CALLBACK_TOKEN_HEADER,
};
use paylink_fake::FakeGateway;
use paylink_inbox::{
    HandlerError, Inbox, LocalOrder, OrderHandler, Outcome, PendingLink, PendingOrders,
    PostgresStore, SqliteStore, StoreError, SweepQuery, Sweeper, Worker,
};
use tokio::task::JoinHandle;

use crate::config::Storage;
use crate::repository::InMemoryOrders;
use crate::service::{OrderService, ShopError};

/// How often an idle worker looks for new events.
const POLL: Duration = Duration::from_millis(100);

/// How often the sweeper looks for orders whose webhook never came.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Orders older than this are read from the provider even before their link expires.
const SWEEP_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

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

    /// Starts the sweeper: every minute, orders still awaiting payment past their link's
    /// expiry (or older than a day) are read from `gateway` and what it shows is stored and
    /// applied like a webhook.
    pub fn spawn_sweeper(
        &self,
        gateway: Arc<dyn Gateway>,
        orders: Arc<InMemoryOrders>,
    ) -> JoinHandle<()> {
        let pending: Arc<dyn PendingOrders> = Arc::new(PendingShopOrders { orders });
        match self {
            ShopInbox::Sqlite(inbox) => {
                let sweeper = Sweeper::new(inbox.clone(), gateway, pending, SWEEP_MAX_AGE);
                tokio::spawn(async move { sweeper.run(SWEEP_EVERY, std::future::pending()).await })
            }
            ShopInbox::Postgres(inbox) => {
                let sweeper = Sweeper::new(inbox.clone(), gateway, pending, SWEEP_MAX_AGE);
                tokio::spawn(async move { sweeper.run(SWEEP_EVERY, std::future::pending()).await })
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

/// The orders whose link the shop still holds as PENDING, for the sweeper.
struct PendingShopOrders {
    orders: Arc<InMemoryOrders>,
}

#[async_trait]
impl PendingOrders for PendingShopOrders {
    async fn pending_links(&self, query: &SweepQuery) -> Result<Vec<PendingLink>, HandlerError> {
        Ok(self
            .orders
            .all()
            .into_iter()
            .filter(|o| o.link_state == LinkState::Pending)
            .map(|o| PendingLink {
                invoice_id: o.invoice_id,
                created: o.link_created,
                expiry_date: Some(o.link_expires),
                options: RequestOptions::default(),
            })
            .filter(|l| query.is_due(l))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .collect())
    }
}

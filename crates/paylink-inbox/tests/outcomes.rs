//! Out-of-order events follow the core's reconciliation and are surfaced, and the sweeper
//! finds what never arrived: on SQLite, with the application's orders in the same database.

mod support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{
    ApiError, CallbackToken, CreateInvoiceRequest, Currency, Gateway, GatewayError, Operation,
    RequestOptions,
};
use paylink_fake::{FakeGateway, PayWith};
use paylink_inbox::{
    EventFilter, HandlerError, Inbox, InboxOptions, InboxStore, ManualClock, PendingLink,
    PendingOrders, ProcessResult, Source, SqliteStore, SweepQuery, Sweeper, Worker,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use support::orders::{AppOrders, INSERT_ORDER, SCHEMA};

const TOKEN: &str = "outcomes-token";

struct World {
    fake: FakeGateway,
    clock: ManualClock,
    store: SqliteStore,
    inbox: Inbox<SqliteStore>,
    invoice: paylink_core::Invoice,
}

async fn world() -> World {
    let fake = FakeGateway::new();
    let clock = ManualClock::new(fake.now());
    let store = SqliteStore::in_memory().await.expect("store");
    for statement in SCHEMA {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("schema");
    }
    let request = CreateInvoiceRequest::builder("order-1", Decimal::from(20_000), Currency::Idr)
        .invoice_duration(3600)
        .build()
        .expect("valid");
    let invoice = fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("created");
    sqlx::query(INSERT_ORDER)
        .bind("order-1")
        .bind(&invoice.id)
        .bind("20000")
        .bind("IDR")
        .execute(store.pool())
        .await
        .expect("order");
    let inbox = Inbox::with_options(
        store.clone(),
        CallbackToken::from_static(TOKEN),
        InboxOptions {
            clock: Arc::new(clock.clone()),
            ..InboxOptions::default()
        },
    );
    World {
        fake,
        clock,
        store,
        inbox,
        invoice,
    }
}

impl World {
    async fn receive(&self, body: &Value) -> paylink_inbox::Received {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-callback-token", http::HeaderValue::from_static(TOKEN));
        self.inbox
            .receive(&headers, body.to_string().as_bytes())
            .await
            .expect("stored")
    }

    async fn process(&self) -> Vec<paylink_inbox::Processed> {
        Worker::new(self.inbox.clone(), Arc::new(AppOrders))
            .drain()
            .await
            .expect("processed")
    }

    async fn order(&self) -> (String, Option<String>) {
        sqlx::query_as("SELECT state, review FROM app_orders WHERE id = 'order-1'")
            .fetch_one(self.store.pool())
            .await
            .expect("order")
    }

    async fn transitions(&self) -> Vec<(String, String)> {
        sqlx::query_as("SELECT from_state, to_state FROM app_transitions")
            .fetch_all(self.store.pool())
            .await
            .expect("transitions")
    }

    /// The PAID callback of a payment now, and an EXPIRED callback of the same link.
    fn paid_and_expired(&self) -> (Value, Value) {
        self.fake
            .pay(&self.invoice.id, PayWith::channel("DANA"))
            .expect("paid");
        let paid = self.fake.callbacks()[0].json().expect("json");
        let mut expired = json!({});
        for key in [
            "id",
            "external_id",
            "user_id",
            "merchant_name",
            "amount",
            "currency",
            "created",
            "updated",
        ] {
            expired[key] = paid[key].clone();
        }
        expired["status"] = json!("EXPIRED");
        (paid, expired)
    }
}

fn outcome_of(processed: &[paylink_inbox::Processed]) -> Vec<&'static str> {
    processed
        .iter()
        .map(|p| match &p.result {
            ProcessResult::Done(o) => o.code(),
            other => panic!("not processed: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn paid_after_expired_moves_the_order_to_paid_and_is_flagged_for_a_person() {
    let w = world().await;
    let (paid, expired) = w.paid_and_expired();
    w.receive(&expired).await;
    assert_eq!(outcome_of(&w.process().await), ["advanced"]);
    assert_eq!(w.order().await, ("EXPIRED".into(), None));
    w.receive(&paid).await;
    assert_eq!(outcome_of(&w.process().await), ["paid_after_expiry"]);
    assert_eq!(
        w.order().await,
        ("PAID".into(), Some("paid_after_expiry".into())),
        "the money is real: the order takes it and is flagged"
    );
    assert_eq!(
        w.transitions().await,
        [
            ("PENDING".to_owned(), "EXPIRED".to_owned()),
            ("EXPIRED".to_owned(), "PAID".to_owned())
        ]
    );
    let flagged = w
        .store
        .events(&EventFilter::needing_attention())
        .await
        .expect("events");
    assert_eq!(flagged.len(), 1);
    assert_eq!(
        flagged[0].detail.as_deref(),
        Some("PAID on a link the order holds as EXPIRED: fulfil or refund")
    );
}

#[tokio::test]
async fn expired_after_paid_keeps_the_payment_and_is_flagged_for_a_person() {
    let w = world().await;
    let (paid, expired) = w.paid_and_expired();
    w.receive(&paid).await;
    w.receive(&expired).await;
    assert_eq!(
        outcome_of(&w.process().await),
        ["advanced", "expired_after_paid"]
    );
    assert_eq!(
        w.order().await,
        ("PAID".into(), Some("expired_after_paid".into()))
    );
    assert_eq!(w.transitions().await.len(), 1);
}

/// The application's pending orders, as the sweeper sees them: the one order, with its link's
/// expiry, while it is PENDING.
struct OneOrder {
    store: SqliteStore,
    link: PendingLink,
}

#[async_trait]
impl PendingOrders for OneOrder {
    async fn pending_links(&self, query: &SweepQuery) -> Result<Vec<PendingLink>, HandlerError> {
        let (state,): (String,) =
            sqlx::query_as("SELECT state FROM app_orders WHERE id = 'order-1'")
                .fetch_one(self.store.pool())
                .await?;
        Ok((state == "PENDING" && query.is_due(&self.link))
            .then(|| self.link.clone())
            .into_iter()
            .collect())
    }
}

fn sweeper(w: &World) -> Sweeper<SqliteStore> {
    let orders = OneOrder {
        store: w.store.clone(),
        link: PendingLink {
            invoice_id: w.invoice.id.clone(),
            created: w.invoice.created,
            expiry_date: Some(w.invoice.expiry_date),
            options: RequestOptions::default(),
        },
    };
    Sweeper::new(
        w.inbox.clone(),
        Arc::new(w.fake.clone()),
        Arc::new(orders),
        Duration::from_secs(86_400),
    )
}

#[tokio::test]
async fn a_lost_webhook_is_found_by_the_sweeper_after_expiry_and_the_late_one_is_a_duplicate() {
    let w = world().await;
    let (paid, _) = w.paid_and_expired();
    let sweeper = sweeper(&w);
    let early = sweeper.sweep().await.expect("sweep");
    assert_eq!(early.checked, 0, "not due before the link's expiry");

    w.clock.advance(time::Duration::hours(2));
    let report = sweeper.sweep().await.expect("sweep");
    assert_eq!((report.checked, report.stored.len()), (1, 1), "{report:?}");
    let stored = w
        .store
        .event(report.stored[0].id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.source, Source::Sweep);
    assert_eq!(outcome_of(&w.process().await), ["advanced"]);
    assert_eq!(w.order().await, ("PAID".into(), None));

    let late = w.receive(&paid).await;
    assert!(
        late.duplicate,
        "the webhook of a change the sweeper stored is a duplicate"
    );
    assert!(w.process().await.is_empty());
    assert_eq!(w.transitions().await.len(), 1);
}

#[tokio::test]
async fn a_link_the_gateway_cannot_read_is_reported_and_read_again_next_sweep() {
    let w = world().await;
    w.fake.advance(Duration::from_secs(2 * 3600));
    w.clock.set(w.fake.now());
    w.fake.fail_next(
        Operation::Get,
        1,
        GatewayError::from_api(ApiError::new(503, "SERVER_ERROR", "try later"), None),
    );
    let sweeper = sweeper(&w);
    let first = sweeper.sweep().await.expect("sweep");
    assert_eq!(first.failed.len(), 1, "{first:?}");
    assert_eq!(first.failed[0].0, w.invoice.id);
    let second = sweeper.sweep().await.expect("sweep");
    assert_eq!(second.stored.len(), 1, "{second:?}");
    w.process().await;
    assert_eq!(w.order().await, ("EXPIRED".into(), None));
}

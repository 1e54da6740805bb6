//! Two inbox instances (two pools) on one PostgreSQL database behind a load balancer that
//! hands every delivery to both at once, receiving the sandbox's webhooks with duplicated and
//! reordered callbacks, while a worker is killed mid-processing: every order ends in its link's
//! state, each transition applied once, nothing left unprocessed.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use paylink_core::{
    CallbackToken, CreateInvoiceRequest, Currency, Gateway, InvoiceEvent, RequestOptions,
    CALLBACK_TOKEN_HEADER,
};
use paylink_inbox::{
    Backoff, HandlerError, Inbox, InboxStore, LocalOrder, OrderHandler, Outcome, PostgresStore,
    Worker,
};
use paylink_sandbox::{FaultsRequest, PayRequest, Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};
use support::orders::{AppOrders, INSERT_ORDER, SCHEMA};
use tokio::net::TcpListener;
use tokio::sync::Notify;

const TOKEN: &str = "multi-instance-token";
const ORDERS: usize = 12;

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// The balancer: each delivery goes to both instances at the same moment; 200 only when both
/// stored it (or knew it).
async fn balance(
    State((client, targets)): State<(reqwest::Client, Arc<Vec<String>>)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let token = headers
        .get(CALLBACK_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let sends = targets.iter().map(|url| {
        client
            .post(url)
            .header(CALLBACK_TOKEN_HEADER, &token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
    });
    let answers = futures::future::join_all(sends).await;
    if answers
        .iter()
        .all(|a| a.as_ref().is_ok_and(|r| r.status().is_success()))
    {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// A handler that writes the order as [`AppOrders`] does, then hangs: its worker is killed
/// while it holds the claim.
struct Stall {
    stalled: Arc<Notify>,
    once: AtomicBool,
}

#[async_trait]
impl OrderHandler<Transaction<'static, Postgres>> for Stall {
    async fn load(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &InvoiceEvent,
    ) -> Result<Option<LocalOrder>, HandlerError> {
        AppOrders.load(tx, event).await
    }

    async fn apply(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &InvoiceEvent,
        order: &LocalOrder,
        outcome: &Outcome,
    ) -> Result<(), HandlerError> {
        AppOrders.apply(tx, event, order, outcome).await?;
        if !self.once.swap(true, Ordering::SeqCst) {
            self.stalled.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_apply_every_transition_once_despite_duplicates_reorders_and_a_killed_worker()
{
    let Some(options) = support::postgres_options().await else {
        return;
    };
    let schema = support::fresh_schema(&options).await;
    let (pool_a, pool_b) = tokio::join!(
        support::schema_pool(&options, &schema, 6),
        support::schema_pool(&options, &schema, 6)
    );
    // Both instances start (and migrate) at once.
    let (a, b) = tokio::join!(
        PostgresStore::from_pool(pool_a),
        PostgresStore::from_pool(pool_b)
    );
    let (a, b) = (a.expect("instance a"), b.expect("instance b"));
    for statement in SCHEMA {
        sqlx::query(statement)
            .execute(a.pool())
            .await
            .expect("app schema");
    }
    let token = CallbackToken::from_static(TOKEN);
    let inbox_a = Inbox::new(a.clone(), token.clone());
    let inbox_b = Inbox::new(b.clone(), token.clone());
    let url_a = serve(paylink_inbox::axum::router(inbox_a.clone(), "/webhooks")).await;
    let url_b = serve(paylink_inbox::axum::router(inbox_b.clone(), "/webhooks")).await;
    let targets = Arc::new(vec![
        format!("{url_a}/webhooks"),
        format!("{url_b}/webhooks"),
    ]);
    let balancer = serve(
        Router::new()
            .route("/webhooks", post(balance))
            .with_state((reqwest::Client::new(), targets)),
    )
    .await;

    let sandbox = Sandbox::start(
        SandboxConfig {
            callback_url: Some(format!("{balancer}/webhooks")),
            callback_token: token.clone(),
            retry_time_scale: 0.0001,
            ..SandboxConfig::default()
        },
        paylink_fake::FakeGateway::builder().seed(42),
    )
    .await
    .expect("sandbox");
    let engine = sandbox.engine();
    let control = sandbox.client().expect("control client");
    control
        .faults(&FaultsRequest {
            duplicate_callbacks: Some(4),
            reorder_callbacks: Some(3),
            ..FaultsRequest::default()
        })
        .await
        .expect("faults");

    let mut invoices = Vec::new();
    for i in 0..ORDERS {
        let amount = Decimal::from(10_000 + 1_000 * i as i64);
        let request = CreateInvoiceRequest::builder(format!("order-{i}"), amount, Currency::Idr)
            .invoice_duration(3600)
            .build()
            .expect("valid request");
        let invoice = engine
            .create_invoice(&request, &RequestOptions::default())
            .await
            .expect("created");
        sqlx::query(INSERT_ORDER)
            .bind(format!("order-{i}"))
            .bind(&invoice.id)
            .bind(amount.to_string())
            .bind("IDR")
            .execute(a.pool())
            .await
            .expect("order");
        invoices.push(invoice.id);
    }

    // The first payment is stored before any worker runs; the stalling worker takes it.
    control
        .pay(&invoices[0], &PayRequest::channel("DANA"))
        .await
        .expect("pay");
    wait_for(|| async { a.counts().await.is_ok_and(|c| c.pending > 0) }).await;
    let stalled = Arc::new(Notify::new());
    let killer = Worker::new(
        inbox_b.clone(),
        Arc::new(Stall {
            stalled: Arc::clone(&stalled),
            once: AtomicBool::new(false),
        }),
    );
    let killed = tokio::spawn(async move {
        killer
            .run(Duration::from_millis(5), std::future::pending())
            .await
    });
    stalled.notified().await;

    let backoff = Backoff {
        first: Duration::from_millis(20),
        max: Duration::from_millis(200),
        max_attempts: 50,
    };
    let mut workers = Vec::new();
    for inbox in [inbox_a.clone(), inbox_b.clone()] {
        let worker = Worker::new(inbox, Arc::new(AppOrders)).with_backoff(backoff);
        workers.push(tokio::spawn(async move {
            worker
                .run(Duration::from_millis(5), std::future::pending())
                .await;
        }));
    }
    // Kill the stalled worker while the others run: its transaction is dropped mid-way.
    killed.abort();
    assert!(killed.await.is_err_and(|e| e.is_cancelled()));

    for id in invoices.iter().skip(1).step_by(2) {
        control
            .pay(id, &PayRequest::channel("BNI"))
            .await
            .expect("pay");
    }
    control
        .advance(Duration::from_secs(3600))
        .await
        .expect("advance");
    control
        .faults(&FaultsRequest {
            release_held_callback: true,
            ..FaultsRequest::default()
        })
        .await
        .expect("release");

    wait_for(|| async {
        !sandbox.state().deliverer().is_busy() && a.counts().await.is_ok_and(|c| c.pending == 0)
    })
    .await;
    for w in &workers {
        w.abort();
    }

    let counts = a.counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.dead, counts.attention),
        (0, 0, 0),
        "{counts:?}"
    );
    assert!(counts.done >= ORDERS as u64, "{counts:?}");
    let deliveries = sandbox.state().deliverer().attempts();
    assert!(
        deliveries.len() > ORDERS,
        "duplicates were delivered: {}",
        deliveries.len()
    );
    for (i, invoice_id) in invoices.iter().enumerate() {
        let link = engine.invoice(invoice_id).expect("link").status;
        let (state,): (String,) = sqlx::query_as("SELECT state FROM app_orders WHERE id = $1")
            .bind(format!("order-{i}"))
            .fetch_one(b.pool())
            .await
            .expect("order");
        assert_eq!(state, link.as_str(), "order-{i}");
        let transitions: Vec<(String, String)> =
            sqlx::query_as("SELECT from_state, to_state FROM app_transitions WHERE order_id = $1")
                .bind(format!("order-{i}"))
                .fetch_all(a.pool())
                .await
                .expect("transitions");
        assert_eq!(
            transitions,
            vec![("PENDING".to_owned(), link.as_str().to_owned())],
            "order-{i}"
        );
    }
}

/// Waits until `ready` holds, checking every 20 ms; gives up (failing) after 60 s so a broken
/// run ends instead of hanging.
async fn wait_for<F, Fut>(mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..3000 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the condition did not hold within 60 s");
}

//! Bad input through the axum endpoint on SQLite: a wrong or missing token, truncated JSON, an
//! unknown status, an amount that is not the order's, a 5 MB body. Each is refused or flagged
//! with a clear reason and kept; nothing is applied silently and nothing is lost.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use paylink_core::{CallbackToken, CreateInvoiceRequest, Currency, Gateway, RequestOptions};
use paylink_fake::{FakeGateway, PayWith};
use paylink_inbox::{EventFilter, Inbox, InboxStore, SqliteStore, Worker};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use support::orders::{AppOrders, INSERT_ORDER, SCHEMA};
use tower::ServiceExt;

const TOKEN: &str = "bad-input-token";

struct Harness {
    store: SqliteStore,
    inbox: Inbox<SqliteStore>,
    router: Router,
    paid_body: Value,
}

async fn harness() -> Harness {
    let store = SqliteStore::in_memory().await.expect("store");
    for statement in SCHEMA {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("schema");
    }
    let fake = FakeGateway::new();
    let request = CreateInvoiceRequest::builder("order-1", Decimal::from(50_000), Currency::Idr)
        .build()
        .expect("valid");
    let invoice = fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("created");
    sqlx::query(INSERT_ORDER)
        .bind("order-1")
        .bind(&invoice.id)
        .bind("50000")
        .bind("IDR")
        .execute(store.pool())
        .await
        .expect("order");
    fake.pay(&invoice.id, PayWith::channel("DANA"))
        .expect("paid");
    let paid_body = fake.callbacks()[0].json().expect("json");
    let inbox = Inbox::new(store.clone(), CallbackToken::from_static(TOKEN));
    let router = paylink_inbox::axum::router(inbox.clone(), "/webhooks/xendit");
    Harness {
        store,
        inbox,
        router,
        paid_body,
    }
}

impl Harness {
    async fn post(&self, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
        let mut request =
            Request::post("/webhooks/xendit").header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("x-callback-token", token);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("answer");
        (
            status,
            serde_json::from_slice(&bytes).expect("a JSON answer"),
        )
    }

    async fn order(&self) -> (String, Option<String>) {
        sqlx::query_as("SELECT state, review FROM app_orders WHERE id = 'order-1'")
            .fetch_one(self.store.pool())
            .await
            .expect("order")
    }

    async fn process(&self) {
        Worker::new(self.inbox.clone(), Arc::new(AppOrders))
            .drain()
            .await
            .expect("processed");
    }
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_with_401_and_kept_in_the_rejected_log() {
    let h = harness().await;
    let body = h.paid_body.to_string().into_bytes();
    let (status, answer) = h.post(Some("not-the-token"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "token_mismatch");
    let (status, answer) = h.post(None, body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"], "missing x-callback-token header");
    let rejected = h.store.rejections(10).await.expect("log");
    let reasons: Vec<_> = rejected
        .iter()
        .map(|r| r.rejection.reason.as_str())
        .collect();
    assert_eq!(reasons, ["token_mismatch", "missing_token"]);
    assert!(rejected.iter().all(|r| r.rejection.status == 401));
    assert!(
        rejected.iter().all(
            |r| !String::from_utf8_lossy(&r.rejection.body).contains(TOKEN)
                && !r.rejection.detail.contains(TOKEN)
        ),
        "the token is never kept"
    );
    assert_eq!(h.store.counts().await.expect("counts").pending, 0);
}

#[tokio::test]
async fn truncated_json_is_refused_with_400_naming_the_path_and_kept_whole() {
    let h = harness().await;
    let text = h.paid_body.to_string();
    let truncated = text.as_bytes()[..text.len() / 2].to_vec();
    let (status, answer) = h.post(Some(TOKEN), truncated.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "invalid_body");
    let error = answer["error"].as_str().expect("text");
    assert!(error.starts_with("invalid callback body at $"), "{error}");
    let rejected = h.store.rejections(10).await.expect("log");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].rejection.body, truncated);
    assert_eq!(rejected[0].rejection.detail, error);
}

#[tokio::test]
async fn an_unknown_status_is_stored_and_flagged_without_touching_the_order() {
    let h = harness().await;
    let mut body = h.paid_body.clone();
    body["status"] = json!("REFUNDED");
    let (status, _) = h.post(Some(TOKEN), body.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    h.process().await;
    assert_eq!(
        h.order().await,
        ("PENDING".into(), Some("unknown_status".into()))
    );
    let flagged = h
        .store
        .events(&EventFilter::needing_attention())
        .await
        .expect("events");
    assert_eq!(flagged.len(), 1);
    assert_eq!(
        flagged[0].detail.as_deref(),
        Some("unknown status `REFUNDED`; order left alone")
    );
}

#[tokio::test]
async fn an_amount_that_is_not_the_orders_is_flagged_as_a_mismatch_and_not_applied() {
    let h = harness().await;
    let mut body = h.paid_body.clone();
    body["amount"] = json!(5_000);
    let (status, _) = h.post(Some(TOKEN), body.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    h.process().await;
    assert_eq!(
        h.order().await,
        ("PENDING".into(), Some("amount_mismatch".into()))
    );
    let flagged = h
        .store
        .events(&EventFilter::needing_attention())
        .await
        .expect("events");
    assert_eq!(flagged[0].outcome.as_deref(), Some("amount_mismatch"));
    assert_eq!(
        flagged[0].detail.as_deref(),
        Some("amount: the callback says 5000 IDR, the order asks 50000 IDR; not applied")
    );
}

#[tokio::test]
async fn a_five_megabyte_body_is_refused_with_413_and_its_start_kept() {
    let h = harness().await;
    let big = vec![b' '; 5 * 1024 * 1024];
    let (status, answer) = h.post(Some(TOKEN), big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["code"], "too_large");
    let rejected = h.store.rejections(10).await.expect("log");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].rejection.reason, "too_large");
    assert!(rejected[0].rejection.body.len() <= paylink_inbox::receive::REJECTED_SNIPPET_BYTES);
}

#[tokio::test]
async fn a_good_webhook_twice_is_acknowledged_twice_stored_once_and_applied_once() {
    let h = harness().await;
    let body = h.paid_body.to_string().into_bytes();
    let (first, a) = h.post(Some(TOKEN), body.clone()).await;
    let (second, b) = h.post(Some(TOKEN), body).await;
    assert_eq!((first, second), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        (a["duplicate"].clone(), b["duplicate"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(a["event_id"], b["event_id"]);
    h.process().await;
    assert_eq!(h.order().await, ("PAID".into(), None));
    let counts = h.store.counts().await.expect("counts");
    assert_eq!((counts.done, counts.pending, counts.rejected), (1, 0, 0));
}

#[tokio::test]
async fn a_webhook_for_an_order_not_yet_saved_retries_and_then_dead_letters_for_replay() {
    let h = harness().await;
    let mut body = h.paid_body.clone();
    body["external_id"] = json!("order-404");
    let (status, _) = h.post(Some(TOKEN), body.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    let worker =
        Worker::new(h.inbox.clone(), Arc::new(AppOrders)).with_backoff(paylink_inbox::Backoff {
            first: std::time::Duration::ZERO,
            max: std::time::Duration::ZERO,
            max_attempts: 3,
        });
    let results = worker.drain().await.expect("processed");
    assert_eq!(results.len(), 3, "{results:?}");
    let dead = h
        .store
        .events(&EventFilter::state(paylink_inbox::EventState::Dead))
        .await
        .expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some(format!(
            "external_id: no order `order-404` (yet) for invoice `{}`",
            dead[0].invoice_id
        ))
        .as_deref()
    );
    assert!(h
        .store
        .replay(dead[0].id, h.inbox.now())
        .await
        .expect("replay"));
    assert_eq!(h.store.counts().await.expect("counts").pending, 1);
}

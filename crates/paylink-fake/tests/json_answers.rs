//! `FakeGateway::get_invoice_json`: the bytes `serde_json` writes for what `get_invoice`
//! answers, after every kind of change to a link (each forgets the answer kept for it), with
//! the same scope and faults.

use std::sync::Arc;
use std::time::Duration;

use paylink_core::{
    ApiError, CreateInvoiceRequest, Currency, Gateway, GatewayError, Operation, RequestOptions,
};
use paylink_fake::{FakeGateway, PayWith};
use rust_decimal::Decimal;

fn opts() -> RequestOptions {
    RequestOptions::default()
}

async fn create(fake: &FakeGateway, external_id: &str, duration: Option<u32>) -> String {
    let mut req = CreateInvoiceRequest::builder(external_id, Decimal::from(50_000), Currency::Idr)
        .payment_methods(["BNI", "DANA"]);
    if let Some(seconds) = duration {
        req = req.invoice_duration(seconds);
    }
    let req = req.build().expect("valid request");
    fake.create_invoice(&req, &opts())
        .await
        .expect("create succeeds")
        .id
}

/// The JSON answer is the serialized `get_invoice`, and a second read gives the kept bytes.
async fn answers_as_get(fake: &FakeGateway, id: &str) -> Arc<[u8]> {
    let json = fake.get_invoice_json(id, &opts()).await.expect("json");
    let invoice = fake.get_invoice(id, &opts()).await.expect("get");
    let written = serde_json::to_vec(&invoice).expect("serializes");
    assert_eq!(
        String::from_utf8_lossy(&json),
        String::from_utf8_lossy(&written)
    );
    let again = fake.get_invoice_json(id, &opts()).await.expect("json");
    assert!(Arc::ptr_eq(&json, &again), "the second read is kept");
    json
}

#[tokio::test]
async fn every_change_to_a_link_is_in_its_next_json_answer() {
    let fake = FakeGateway::builder().seed(7).build();

    let paid = create(&fake, "paid", None).await;
    let before = answers_as_get(&fake, &paid).await;
    fake.pay(&paid, PayWith::channel("BNI")).expect("pay");
    assert_ne!(answers_as_get(&fake, &paid).await, before);
    let before = answers_as_get(&fake, &paid).await;
    fake.settle(&paid).expect("settle");
    assert_ne!(answers_as_get(&fake, &paid).await, before);

    let expired = create(&fake, "expired", None).await;
    let before = answers_as_get(&fake, &expired).await;
    fake.expire_invoice(&expired, &opts())
        .await
        .expect("expire");
    assert_ne!(answers_as_get(&fake, &expired).await, before);

    let timed_out = create(&fake, "timed-out", Some(60)).await;
    let before = answers_as_get(&fake, &timed_out).await;
    assert_eq!(fake.advance(Duration::from_secs(61)).len(), 1);
    assert_ne!(answers_as_get(&fake, &timed_out).await, before);
    let before = answers_as_get(&fake, &timed_out).await;
    fake.pay_after_expiry(&timed_out, PayWith::channel("DANA"))
        .expect("late payment");
    assert_eq!(answers_as_get(&fake, &timed_out).await, before);

    let failed = create(&fake, "failed", None).await;
    let before = answers_as_get(&fake, &failed).await;
    fake.fail_payment(&failed, PayWith::channel("BNI"))
        .expect("failed attempt");
    assert_eq!(answers_as_get(&fake, &failed).await, before);
}

#[tokio::test]
async fn a_reset_forgets_the_kept_answers_of_ids_that_come_again() {
    let fake = FakeGateway::builder().seed(7).build();
    let id = create(&fake, "first", None).await;
    fake.pay(&id, PayWith::channel("BNI")).expect("pay");
    let paid = answers_as_get(&fake, &id).await;
    fake.reset();
    let again = create(&fake, "second", None).await;
    assert_eq!(again, id, "a reset gateway repeats the ids");
    assert_ne!(answers_as_get(&fake, &again).await, paid);
}

#[tokio::test]
async fn more_links_than_are_kept_are_all_answered_exactly() {
    let fake = FakeGateway::builder().seed(7).build();
    let mut ids = Vec::new();
    for i in 0..600 {
        ids.push(create(&fake, &format!("order-{i}"), None).await);
    }
    for id in ids.iter().chain(ids.iter().rev()) {
        answers_as_get(&fake, id).await;
    }
}

#[tokio::test]
async fn scope_and_faults_apply_as_to_get_invoice() {
    let fake = FakeGateway::builder().seed(7).build();
    let id = create(&fake, "scoped", None).await;
    answers_as_get(&fake, &id).await;
    let other = RequestOptions {
        for_user_id: Some("sub-account".into()),
    };
    assert!(matches!(
        fake.get_invoice_json(&id, &other).await,
        Err(GatewayError::NotFound(_))
    ));
    assert!(matches!(
        fake.get_invoice_json("0123456789abcdef01234567", &opts())
            .await,
        Err(GatewayError::NotFound(_))
    ));
    let busy = GatewayError::RateLimited {
        error: Box::new(ApiError::new(429, "RATE_LIMIT_EXCEEDED", "slow down")),
        retry_after: None,
    };
    fake.fail_next(Operation::Get, 1, busy);
    assert!(matches!(
        fake.get_invoice_json(&id, &opts()).await,
        Err(GatewayError::RateLimited { .. })
    ));
    answers_as_get(&fake, &id).await;
}

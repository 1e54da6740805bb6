//! The whole flow against the fake through the shop's router: checkout, payment, expiry, a
//! payment after expiry, refused webhooks, refresh and cancel, with snapshots of the answers.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{cart, pretty, Harness, TOKEN};
use paylink_core::{
    ApiError, CallbackToken, CreateInvoiceRequest, Currency, Gateway, GatewayError, InvoiceStatus,
    LinkState, Operation, RequestOptions, CALLBACK_TOKEN_HEADER,
};
use paylink_example_shop::http::WEBHOOK_PATH;
use paylink_example_shop::{OrderStatus, Outcome, ReviewReason};
use paylink_fake::{CallbackEvent, PayWith};
use rust_decimal::Decimal;
use serde_json::json;

/// Checks out the usual cart as order-1 and pays its link through `channel`.
async fn pay_new_order(h: &Harness, channel: &str) {
    let order = h.checkout().await;
    let invoice_id = order["invoice_id"].as_str().expect("id");
    h.fake
        .pay(invoice_id, PayWith::channel(channel))
        .expect("a pending link can be paid");
}

/// Creates a 10,000 IDR link for `external_id` straight at the fake, bypassing the shop, pays
/// it, and returns the link's id with the callback the payment released.
async fn pay_stray_link(h: &mut Harness, external_id: &str) -> (String, CallbackEvent) {
    let request = CreateInvoiceRequest::builder(external_id, Decimal::from(10_000), Currency::Idr)
        .build()
        .expect("valid");
    let link = h
        .fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("created");
    h.fake.pay(&link.id, PayWith::channel("DANA")).expect("pay");
    (link.id, h.released().remove(0))
}

#[tokio::test]
async fn checkout_redirects_the_buyer_to_the_payment_page() {
    let h = Harness::new();
    let answer = h
        .send(
            Request::post("/checkout")
                .header("content-type", "application/json")
                .body(Body::from(cart().to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let order = h.order("order-1").await;
    assert_eq!(
        answer
            .headers
            .get("location")
            .map(|v| v.to_str().expect("ascii")),
        Some(order.invoice_url.as_str())
    );
    assert_eq!(order.status, OrderStatus::AwaitingPayment);
    let invoice = h.fake.invoice(&order.invoice_id).expect("the link exists");
    assert_eq!(invoice.external_id, "order-1");
    assert_eq!(invoice.amount, Decimal::from(150_000));
    assert_eq!(invoice.items.len(), 2);
    assert_eq!(
        invoice.success_redirect_url.as_deref(),
        Some("http://shop.test/orders/order-1")
    );
}

#[tokio::test]
async fn checkout_answers_the_order_and_link_as_json_when_asked() {
    let h = Harness::new();
    let answer = h.post_json("/checkout", &cart()).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    insta::assert_snapshot!("checkout_json", pretty(&answer.json));
}

#[tokio::test]
async fn a_paid_webhook_marks_the_order_paid() {
    let mut h = Harness::new();
    pay_new_order(&h, "DANA").await;
    let events = h.released();
    assert_eq!(events.len(), 1);
    let receipt = h.deliver(&events[0]).await;
    assert_eq!(receipt.status, StatusCode::OK);
    insta::assert_snapshot!("paid_webhook_receipt", pretty(&receipt.json));
    let order = h.get("/orders/order-1").await;
    assert_eq!(order.status, StatusCode::OK);
    insta::assert_snapshot!("paid_order", pretty(&order.json));
}

#[tokio::test]
async fn an_expired_link_cancels_the_order() {
    let mut h = Harness::new();
    h.checkout().await;
    let expired = h.fake.advance(Duration::from_secs(3600));
    assert_eq!(expired.len(), 1);
    let events = h.released();
    let receipt = h.deliver(&events[0]).await;
    assert_eq!(receipt.status, StatusCode::OK);
    insta::assert_snapshot!("expired_webhook_receipt", pretty(&receipt.json));
    let order = h.get("/orders/order-1").await;
    insta::assert_snapshot!("cancelled_order", pretty(&order.json));
}

#[tokio::test]
async fn a_payment_after_the_link_expired_puts_the_cancelled_order_up_for_review() {
    let mut h = Harness::new();
    let order = h.checkout().await;
    let invoice_id = order["invoice_id"].as_str().expect("id").to_owned();

    // The link expires unpaid: the EXPIRED callback cancels the order.
    let expired = h.fake.advance(Duration::from_secs(3600));
    assert_eq!(expired.len(), 1);
    let expiry = h.released().remove(0);
    assert_eq!(expiry.status, InvoiceStatus::Expired);
    let cancelled = h.deliver(&expiry).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(
        cancelled.json["status"],
        json!({"state": "cancelled", "reason": "link_expired"})
    );

    // Then a bank transfer completes anyway, and Xendit reports it PAID.
    h.fake
        .pay_after_expiry(&invoice_id, PayWith::channel("BNI"))
        .expect("an expired link can take a late payment");
    let late = h.released();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].status, InvoiceStatus::Paid);
    let receipt = h.deliver(&late[0]).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.json);
    assert_eq!(
        receipt.json,
        json!({
            "order_id": "order-1",
            "outcome": "paid_after_expiry",
            "duplicate": false,
            "status": {"state": "needs_review", "reason": "paid_after_expiry"},
        })
    );

    // The money is on record, for a person to fulfil or refund.
    let stored = h.order("order-1").await;
    assert_eq!(
        stored.status,
        OrderStatus::NeedsReview {
            reason: ReviewReason::PaidAfterExpiry
        }
    );
    assert!(stored.status.money_received());
    assert_eq!(stored.link_state, LinkState::Paid);
    let late_delivery = stored.deliveries.last().expect("recorded");
    assert_eq!(
        (&late_delivery.status, late_delivery.outcome),
        (&InvoiceStatus::Paid, Outcome::PaidAfterExpiry)
    );

    // Neither a repeat of the callback nor a refresh (the link itself still reads EXPIRED)
    // takes the review away.
    let again = h.deliver(&late[0]).await;
    assert_eq!(again.json["duplicate"], json!(true));
    let refreshed = h.post("/orders/order-1/refresh").await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert_eq!(
        refreshed.json["status"],
        json!({"state": "needs_review", "reason": "paid_after_expiry"})
    );
}

#[tokio::test]
async fn a_webhook_with_a_wrong_or_missing_token_is_refused_and_changes_nothing() {
    let mut h = Harness::new();
    pay_new_order(&h, "DANA").await;
    let event = h.released().remove(0);
    let before = h.order("order-1").await;

    let wrong = h.deliver_body("not-the-token", &event.body).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    insta::assert_snapshot!("wrong_token", pretty(&wrong.json));
    let mut request = event
        .to_request(WEBHOOK_PATH, &CallbackToken::from_static(TOKEN))
        .expect("a request");
    request.headers_mut().remove(CALLBACK_TOKEN_HEADER);
    let missing = h.deliver_request(request).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json,
        json!({"error_code": "INVALID_CALLBACK_TOKEN", "message": "missing x-callback-token header"})
    );
    assert_eq!(h.order("order-1").await, before);

    let right = h.deliver(&event).await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(h.order("order-1").await.status, OrderStatus::Paid);
}

#[tokio::test]
async fn a_webhook_with_a_bad_body_is_refused_with_the_reason_and_changes_nothing() {
    let mut h = Harness::new();
    pay_new_order(&h, "DANA").await;
    let event = h.released().remove(0);
    let before = h.order("order-1").await;

    let mut body = event.json().expect("json");
    body["amount"] = json!("a lot");
    let bad = h.deliver_body(TOKEN, &body.to_string()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    insta::assert_snapshot!("bad_body", pretty(&bad.json));

    let not_json = h.deliver_body(TOKEN, "{\"id\":").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json["path"], json!("$.id"));
    assert!(
        not_json.json["message"]
            .as_str()
            .is_some_and(|e| e.starts_with("invalid callback body at $")),
        "{}",
        not_json.json
    );
    assert_eq!(h.order("order-1").await, before);
}

#[tokio::test]
async fn a_duplicated_webhook_is_acknowledged_and_applied_once() {
    let mut h = Harness::new();
    h.fake.duplicate_next_callbacks(1);
    pay_new_order(&h, "BNI").await;
    let events = h.released();
    assert_eq!(events.len(), 2);
    let first = h.deliver(&events[0]).await;
    let second = h.deliver(&events[1]).await;
    assert_eq!(
        (
            first.json["duplicate"].clone(),
            second.json["duplicate"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(second.status, StatusCode::OK);
    let stored = h.order("order-1").await;
    assert_eq!(stored.status, OrderStatus::Paid);
    assert_eq!(stored.deliveries.len(), 1);
    assert_eq!(stored.deliveries[0].received, 2);
    assert_eq!(stored.version, 2);
}

#[tokio::test]
async fn refresh_learns_the_payment_before_the_webhook_arrives() {
    let mut h = Harness::new();
    pay_new_order(&h, "QRIS").await;
    let refreshed = h.post("/orders/order-1/refresh").await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert_eq!(refreshed.json["status"], json!({"state": "paid"}));
    assert_eq!(refreshed.json["link_state"], json!("PAID"));

    let event = h.released().remove(0);
    let late = h.deliver(&event).await;
    assert_eq!(late.json["outcome"], json!("already_current"));
    assert_eq!(h.order("order-1").await.status, OrderStatus::Paid);
}

#[tokio::test]
async fn a_failed_refresh_answers_bad_gateway_and_changes_nothing() {
    let h = Harness::new();
    pay_new_order(&h, "DANA").await;
    let before = h.order("order-1").await;
    h.fake.fail_next(
        Operation::Get,
        1,
        GatewayError::Server(Box::new(ApiError::new(503, "SERVER_ERROR", "try later"))),
    );
    let failed = h.post("/orders/order-1/refresh").await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    insta::assert_snapshot!("failed_refresh", pretty(&failed.json));
    assert_eq!(h.order("order-1").await, before);
}

#[tokio::test]
async fn cancel_expires_the_link_and_cancels_the_order() {
    let mut h = Harness::new();
    h.checkout().await;
    let cancelled = h.post("/orders/order-1/cancel").await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(
        cancelled.json["status"],
        json!({"state": "cancelled", "reason": "link_expired"})
    );
    let events = h.released();
    assert_eq!(events.len(), 1);
    let receipt = h.deliver(&events[0]).await;
    assert_eq!(receipt.json["outcome"], json!("already_current"));

    let again = h.post("/orders/order-1/cancel").await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "cancelling twice is not an error"
    );
    assert_eq!(again.json, order_json(&h).await);
}

async fn order_json(h: &Harness) -> serde_json::Value {
    h.get("/orders/order-1").await.json
}

#[tokio::test]
async fn cancel_of_a_link_paid_meanwhile_is_refused_and_records_the_payment() {
    let h = Harness::new();
    pay_new_order(&h, "DANA").await;
    let refused = h.post("/orders/order-1/cancel").await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        refused.json,
        json!({"error": "order `order-1` is paid; only an order awaiting payment can be cancelled"})
    );
    assert_eq!(h.order("order-1").await.status, OrderStatus::Paid);
}

#[tokio::test]
async fn a_cart_that_breaks_rules_gets_every_violation_and_no_order() {
    let h = Harness::new();
    let answer = h
        .post_json(
            "/checkout",
            &json!({"items": [{"name": "Coffee", "quantity": 1, "price": "0.5"}], "payer_email": "nobody"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_snapshot!("invalid_cart", pretty(&answer.json));

    let empty = h.post_json("/checkout", &json!({"items": []})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        empty.json,
        json!({"error": "invalid create request: items: must not be empty",
               "violations": [{"path": "items", "message": "must not be empty"}]})
    );

    let not_a_cart = h.post_json("/checkout", &json!({"things": 1})).await;
    assert_eq!(not_a_cart.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        not_a_cart.json,
        json!({"error": "invalid cart: missing field `items` at line 1 column 12"})
    );
    assert!(h.shop.orders().all().is_empty());
    assert!(h.fake.is_empty());
}

#[tokio::test]
async fn a_checkout_the_provider_refuses_stores_no_order() {
    let h = Harness::new();
    h.fake.fail_next(
        Operation::Create,
        1,
        GatewayError::Server(Box::new(ApiError::new(500, "SERVER_ERROR", "down"))),
    );
    let answer = h.post_json("/checkout", &cart()).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        answer.json,
        json!({"error": "payment provider: server error: HTTP 500 SERVER_ERROR: down"})
    );
    assert!(h.shop.orders().all().is_empty());
}

#[tokio::test]
async fn unknown_orders_and_routes_answer_json_not_found() {
    let h = Harness::new();
    let missing = h.get("/orders/order-404").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json, json!({"error": "no order `order-404`"}));
    let route = h.get("/nowhere").await;
    assert_eq!(route.status, StatusCode::NOT_FOUND);
    assert_eq!(route.json, json!({"error": "no route for GET /nowhere"}));
    let method = h.get("/checkout").await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_webhook_for_another_link_or_an_unknown_order_is_refused() {
    let mut h = Harness::new();
    h.checkout().await;
    let (other, event) = pay_stray_link(&mut h, "order-1").await;
    let before = h.order("order-1").await;
    let refused = h.deliver(&event).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        refused.json,
        json!({"error": format!("invoice `{other}` is not the payment link of order `order-1`")})
    );
    assert_eq!(h.order("order-1").await, before);

    let (_, event) = pay_stray_link(&mut h, "order-999").await;
    let refused = h.deliver(&event).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.json, json!({"error": "no order `order-999`"}));
}

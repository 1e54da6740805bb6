//! Snapshots of the callback bodies the fake emits, one per payment family and one for EXPIRED,
//! each also read back by the core's webhook parser.

use std::time::Duration;

use paylink_core::{
    parse_callback, CreateInvoiceRequest, Currency, Gateway, InvoiceItem, InvoiceStatus,
    RequestOptions,
};
use paylink_fake::{CallbackEvent, FakeGateway, PayWith};
use rust_decimal_macros::dec;

async fn paid_callback(channel: &str) -> CallbackEvent {
    let fake = FakeGateway::builder().seed(2024).build();
    let request = CreateInvoiceRequest::builder("order-2024-0001", dec!(510000), Currency::Idr)
        .payer_email("buyer@example.com")
        .description("Air Conditioner purchase")
        .success_redirect_url("https://shop.example.com/success")
        .failure_redirect_url("https://shop.example.com/failure")
        .item(InvoiceItem::new("Air Conditioner", 1, dec!(510000)))
        .build()
        .expect("valid request");
    let inv = fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("create");
    fake.advance(Duration::from_millis(63_268));
    fake.pay(&inv.id, PayWith::channel(channel)).expect("pay");
    let mut callbacks = fake.callbacks();
    assert_eq!(callbacks.len(), 1);
    callbacks.remove(0)
}

fn check(name: &str, event: &CallbackEvent, status: InvoiceStatus) {
    let body: serde_json::Value = event.json().expect("the body is JSON");
    let parsed = parse_callback(event.body.as_bytes()).expect("the core parses the body");
    assert_eq!(parsed.callback.status, status);
    assert_eq!(parsed.callback.id, event.invoice_id);
    for absent in [
        "merchant_profile_picture_url",
        "invoice_url",
        "expiry_date",
        "available_banks",
        "available_ewallets",
    ] {
        assert!(
            body.get(absent).is_none(),
            "{name}: `{absent}` must not be sent"
        );
    }
    // Pretty-printed by serde_json itself, so amounts appear exactly as they are sent.
    let pretty = serde_json::to_string_pretty(&body).expect("prints");
    insta::assert_snapshot!(name, pretty);
}

#[tokio::test]
async fn a_virtual_account_payment_sends_bank_code_and_destination() {
    check(
        "paid_virtual_account_bni",
        &paid_callback("BNI").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn an_ewallet_payment_sends_ewallet_type_and_payment_id() {
    check(
        "paid_ewallet_dana",
        &paid_callback("DANA").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn a_retail_outlet_payment_sends_the_payment_code() {
    check(
        "paid_retail_outlet_alfamart",
        &paid_callback("ALFAMART").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn a_qris_payment_sends_payment_details() {
    check(
        "paid_qris",
        &paid_callback("QRIS").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn a_card_payment_sends_the_charge_id() {
    check(
        "paid_credit_card",
        &paid_callback("CREDIT_CARD").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn a_direct_debit_payment_sends_a_payment_id() {
    check(
        "paid_direct_debit_dd_bri",
        &paid_callback("DD_BRI").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn a_paylater_payment_sends_a_payment_id() {
    check(
        "paid_paylater_kredivo",
        &paid_callback("KREDIVO").await,
        InvoiceStatus::Paid,
    );
}

#[tokio::test]
async fn an_expired_link_sends_no_payment_fields() {
    let fake = FakeGateway::builder().seed(2024).build();
    let request = CreateInvoiceRequest::builder("order-2024-0002", dec!(75000), Currency::Idr)
        .description("Invoice Demo #123")
        .invoice_duration(130)
        .build()
        .expect("valid request");
    let inv = fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("create");
    let expired = fake.advance(Duration::from_secs(3_600));
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, inv.id);
    let callbacks = fake.callbacks();
    assert_eq!(callbacks.len(), 1);
    let body = callbacks[0].json().expect("JSON");
    for absent in [
        "paid_at",
        "paid_amount",
        "payment_method",
        "payment_channel",
    ] {
        assert!(body.get(absent).is_none(), "`{absent}` must not be sent");
    }
    check("expired", &callbacks[0], InvoiceStatus::Expired);
}

#[tokio::test]
async fn a_callback_becomes_the_request_xendit_would_send() {
    let event = paid_callback("DANA").await;
    let token = paylink_core::CallbackToken::from_static("s3cr3t-token");
    let request = event
        .to_request("/webhooks/xendit", &token)
        .expect("a path and a printable token make a request");
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri(), "/webhooks/xendit");
    assert_eq!(request.headers()["content-type"], "application/json");
    assert_eq!(request.headers()["x-callback-token"], "s3cr3t-token");
    assert_eq!(request.body().as_str(), &*event.body);

    let full = event
        .to_request("http://127.0.0.1:3000/webhooks/xendit", &token)
        .expect("a full URL, for an HTTP client");
    assert_eq!(full.uri().host(), Some("127.0.0.1"));
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_an_error_that_does_not_show_it() {
    let event = paid_callback("DANA").await;
    let token = paylink_core::CallbackToken::new("s3cr3t\ntoken").expect("not blank");
    let err = event
        .to_request("/webhooks/xendit", &token)
        .expect_err("a newline cannot be sent in a header");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    let fine = paylink_core::CallbackToken::from_static("t");
    assert!(event.to_request("not a uri", &fine).is_err());
}

//! The `/_sandbox` control endpoints: pay, fail, settle, the clock, faults and reset.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{id_of, start_default};

#[tokio::test]
async fn pay_uses_the_channel_and_method_asked_for() {
    let (sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("pay").await);
    let paid = client
        .control(
            &format!("/_sandbox/invoices/{id}/pay"),
            Some(json!({ "payment_method": "EWALLET", "payment_channel": "DANA" })),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.body["status"], "PAID");
    assert_eq!(paid.body["payment_method"], "EWALLET");
    assert_eq!(paid.body["payment_channel"], "DANA");
    assert_eq!(paid.body["ewallet_type"], "DANA");
    assert_eq!(paid.body["paid_amount"], json!(50000));
    let got = client.get(&format!("/v2/invoices/{id}")).await;
    assert_eq!(got.body["status"], "PAID");
    assert_eq!(sandbox.engine().callbacks().len(), 1);
}

#[tokio::test]
async fn pay_without_a_body_uses_the_first_offered_channel() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(
        &client
            .create_ok(json!({ "external_id": "dflt", "amount": 50000, "payment_methods": ["QRIS", "BNI"] }))
            .await,
    );
    let paid = client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(
        paid.body["payment_channel"], "BNI",
        "virtual accounts come first on the page"
    );
    assert_eq!(paid.body["payment_method"], "BANK_TRANSFER");
}

#[tokio::test]
async fn pay_with_only_a_method_picks_a_channel_of_that_family() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(
        &client
            .create_ok(json!({ "external_id": "fam", "amount": 50000, "payment_methods": ["BNI", "OVO", "QRIS"] }))
            .await,
    );
    let paid = client
        .control(
            &format!("/_sandbox/invoices/{id}/pay"),
            Some(json!({ "payment_method": "QR_CODE" })),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.body["payment_channel"], "QRIS");
}

#[tokio::test]
async fn refused_payments_say_why_and_change_nothing() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(
        &client
            .create_ok(json!({ "external_id": "no", "amount": 50000, "payment_methods": ["BNI"] }))
            .await,
    );
    let path = format!("/_sandbox/invoices/{id}/pay");
    let not_offered = client
        .control(&path, Some(json!({ "payment_channel": "DANA" })))
        .await;
    assert_eq!(not_offered.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_offered.body["error_code"], "CHANNEL_NOT_OFFERED");
    let typo = client
        .control(&path, Some(json!({ "payment_chanel": "BNI" })))
        .await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
    assert_eq!(typo.body["error_code"], "API_VALIDATION_ERROR");
    assert_eq!(
        client.get(&format!("/v2/invoices/{id}")).await.body["status"],
        "PENDING"
    );

    assert_eq!(client.control(&path, None).await.status, StatusCode::OK);
    let again = client.control(&path, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error_code"], "INVOICE_ALREADY_PAID");

    let missing = client.control("/_sandbox/invoices/nope/pay", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error_code"], "INVOICE_NOT_FOUND_ERROR");

    let expired = id_of(&client.invoice("gone").await);
    client
        .send(client.authed(Method::POST, &format!("/invoices/{expired}/expire!")))
        .await;
    let late = client
        .control(&format!("/_sandbox/invoices/{expired}/pay"), None)
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.body["error_code"], "INVOICE_EXPIRED");
}

#[tokio::test]
async fn a_failed_attempt_is_counted_and_leaves_the_link_payable() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("fail").await);
    let path = format!("/_sandbox/invoices/{id}/fail");
    let first = client.control(&path, None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["failed_attempts"], 1);
    assert_eq!(first.body["invoice"]["status"], "PENDING");
    let second = client
        .control(&path, Some(json!({ "payment_channel": "OVO" })))
        .await;
    assert_eq!(second.body["failed_attempts"], 2);
    let paid = client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    assert_eq!(paid.body["status"], "PAID");
}

#[tokio::test]
async fn settle_moves_a_paid_link_to_settled_only() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("settle").await);
    let settle = format!("/_sandbox/invoices/{id}/settle");
    let early = client.control(&settle, None).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.body["error_code"], "INVOICE_NOT_PAID");
    client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    let settled = client.control(&settle, None).await;
    assert_eq!(settled.status, StatusCode::OK, "{}", settled.text);
    assert_eq!(settled.body["status"], "SETTLED");
    let listed = client.get("/v2/invoices?statuses=SETTLED").await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn advancing_the_clock_expires_the_links_that_fall_due() {
    let (sandbox, client) = start_default().await;
    let short = id_of(
        &client
            .create_ok(json!({ "external_id": "short", "amount": 50000, "invoice_duration": 3600 }))
            .await,
    );
    let long = id_of(
        &client
            .create_ok(json!({ "external_id": "long", "amount": 50000, "invoice_duration": 7200 }))
            .await,
    );
    let before = client.get("/_sandbox/clock").await;
    assert_eq!(before.body["now"], "2025-01-02T03:04:05.000Z");
    let answer = client
        .control("/_sandbox/clock/advance", Some(json!({ "seconds": 3600 })))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["now"], "2025-01-02T04:04:05.000Z");
    assert_eq!(answer.body["expired"], json!([short]));
    assert_eq!(
        client.get(&format!("/v2/invoices/{long}")).await.body["status"],
        "PENDING"
    );
    assert_eq!(sandbox.engine().callbacks().len(), 1);

    for bad in [
        None,
        Some(json!({ "seconds": -5 })),
        Some(json!({ "minutes": 5 })),
    ] {
        let refused = client.control("/_sandbox/clock/advance", bad.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(
            refused.body["error_code"], "API_VALIDATION_ERROR",
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn injected_failures_answer_with_the_status_and_code_asked_for() {
    let (sandbox, client) = start_default().await;
    let set = client
        .control(
            "/_sandbox/faults",
            Some(json!({ "operation": "create", "fail_next": 2, "status": 503, "error_code": "SERVER_ERROR", "message": "try later" })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    for _ in 0..2 {
        let answer = client
            .create(json!({ "external_id": "f", "amount": 50000 }))
            .await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            answer.body,
            json!({ "error_code": "SERVER_ERROR", "message": "try later" })
        );
    }
    assert!(sandbox.engine().is_empty());
    assert_eq!(
        client
            .create(json!({ "external_id": "f", "amount": 50000 }))
            .await
            .status,
        StatusCode::OK
    );

    client
        .control(
            "/_sandbox/faults",
            Some(json!({ "operation": "get", "fail_next": 5 })),
        )
        .await;
    let failing = client.get("/v2/invoices/any").await;
    assert_eq!(failing.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failing.body["error_code"], "SERVER_ERROR");
    client
        .control("/_sandbox/faults", Some(json!({ "clear": true })))
        .await;
    assert_eq!(
        client.get("/v2/invoices/any").await.body["error_code"],
        "INVOICE_NOT_FOUND_ERROR"
    );
}

#[tokio::test]
async fn callback_faults_duplicate_the_next_callback() {
    let (sandbox, client) = start_default().await;
    let set = client
        .control(
            "/_sandbox/faults",
            Some(json!({ "duplicate_callbacks": 1 })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let id = id_of(&client.invoice("dup").await);
    client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    assert_eq!(sandbox.engine().callbacks().len(), 2);
}

#[tokio::test]
async fn a_fault_request_that_cannot_be_applied_is_refused() {
    let (_sandbox, client) = start_default().await;
    for body in [
        json!({ "fail_next": 1 }),
        json!({ "operation": "delete", "fail_next": 1 }),
        json!({ "operation": "get", "fail_next": 1, "status": 200 }),
        json!({ "operation": "get", "bogus": true }),
    ] {
        let answer = client.control("/_sandbox/faults", Some(body.clone())).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["error_code"], "API_VALIDATION_ERROR", "{body}");
    }
}

#[tokio::test]
async fn reset_forgets_every_invoice_and_returns_the_clock_to_its_start() {
    let (sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("old").await);
    client
        .control("/_sandbox/clock/advance", Some(json!({ "seconds": 60 })))
        .await;
    let reset = client.control("/_sandbox/reset", None).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(reset.body["now"], "2025-01-02T03:04:05.000Z");
    assert_eq!(
        client.get(&format!("/v2/invoices/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(sandbox.engine().is_empty());
    let fresh = client.invoice("new").await;
    assert_eq!(fresh["status"], "PENDING");
}

#[tokio::test]
async fn on_the_wall_clock_links_expire_on_their_own() {
    let config = paylink_sandbox::SandboxConfig {
        clock: paylink_sandbox::ClockMode::Wall,
        ..paylink_sandbox::SandboxConfig::default()
    };
    let (sandbox, client) = support::start(config).await;
    let created = client
        .create_ok(json!({ "external_id": "wall", "amount": 50000, "invoice_duration": 1 }))
        .await;
    let id = id_of(&created);
    let created_at = paylink_core::timestamp::parse(created["created"].as_str().expect("created"))
        .expect("a timestamp");
    let lag = time::OffsetDateTime::now_utc() - created_at;
    assert!(
        lag.abs() < time::Duration::minutes(1),
        "created {created_at} follows the wall clock"
    );
    let mut status = String::new();
    for _ in 0..100 {
        status = client.get(&format!("/v2/invoices/{id}")).await.body["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status == "EXPIRED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "EXPIRED", "a one-second link expired within 10 s");
    assert_eq!(
        sandbox.engine().callbacks().len(),
        1,
        "with its EXPIRED callback"
    );
}

#[tokio::test]
async fn callback_faults_hold_a_callback_for_reordering_until_released() {
    let (sandbox, client) = start_default().await;
    client
        .control("/_sandbox/faults", Some(json!({ "reorder_callbacks": 1 })))
        .await;
    let id = id_of(&client.invoice("held").await);
    client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    assert!(
        sandbox.engine().callbacks().is_empty(),
        "held for its partner"
    );
    let released = client
        .control(
            "/_sandbox/faults",
            Some(json!({ "release_held_callback": true })),
        )
        .await;
    assert_eq!(released.body["released_held_callback"], true);
    assert_eq!(sandbox.engine().callbacks().len(), 1);
}

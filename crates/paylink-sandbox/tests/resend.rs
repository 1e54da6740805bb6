//! Sending webhooks again: one delivery by id, or every delivery matching a filter (at most
//! 500), each as a new logged attempt, byte for byte, with the token and no retry.

mod support;

use std::time::Duration;

use paylink_core::{CreateInvoiceRequest, Currency, Gateway, RequestOptions};
use paylink_sandbox::{ControlError, DeliveryOutcome, PayRequest, ResendRequest, MAX_RESEND};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use support::receiver::{attempts_until, Receiver, TOKEN};
use support::{id_of, start};

fn refused_with(result: Result<impl std::fmt::Debug, ControlError>) -> (u16, String, String) {
    match result {
        Err(ControlError::Refused {
            status,
            error_code,
            message,
        }) => (status, error_code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_receiver_that_answered_500_gets_the_resend_and_answers_200() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (sandbox, http) = start(receiver.config(1.0)).await;
    let client = sandbox.client().expect("a client");
    let id = id_of(&http.invoice("resend-one").await);
    client
        .pay(&id, &PayRequest::channel("DANA"))
        .await
        .expect("paid");
    let log = attempts_until(&client, |log| !log.is_empty()).await;
    assert_eq!(log[0].status, Some(500));
    assert!(!log[0].delivered);
    assert!(!log[0].manual);
    let delivery = log[0].delivery_id;

    receiver.answer(200);
    let attempt = client.resend(delivery).await.expect("resent");
    assert_eq!(attempt.delivery_id, delivery);
    assert_eq!(attempt.attempt, 2, "the next attempt number");
    assert!(attempt.manual, "marked as a manual resend");
    assert!(attempt.delivered);
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.response.as_deref(), Some("receiver said 200"));
    assert_eq!(attempt.url, receiver.url);
    assert_eq!(attempt.body, log[0].body);

    let log = client.deliveries().await.expect("the deliveries");
    assert_eq!(log.len(), 2, "the resend is logged as a new attempt");
    assert_eq!(log[1], attempt);

    let got = receiver.got();
    assert_eq!(got.len(), 2);
    let callbacks = sandbox.engine().callbacks();
    for received in &got {
        assert_eq!(
            received.token.as_deref(),
            Some(TOKEN),
            "sent with the token"
        );
        assert_eq!(
            received.body.as_ref(),
            callbacks[0].body.as_bytes(),
            "sent byte for byte"
        );
    }
}

#[tokio::test]
async fn a_resend_that_fails_is_logged_and_not_retried() {
    let receiver = Receiver::start().await;
    let (sandbox, http) = start(receiver.config(1.0)).await;
    let client = sandbox.client().expect("a client");
    let id = id_of(&http.invoice("resend-fails").await);
    client.expire(&id).await.expect("expired");
    let log = attempts_until(&client, |log| !log.is_empty()).await;
    assert!(log[0].delivered);
    assert_eq!(log[0].body["status"], "EXPIRED");

    receiver.answer(503);
    let attempt = client.resend(log[0].delivery_id).await.expect("resent");
    assert!(!attempt.delivered);
    assert_eq!(attempt.status, Some(503));
    assert_eq!(attempt.attempt, 2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(client.deliveries().await.expect("log").len(), 2, "no retry");
}

#[tokio::test]
async fn a_delivered_resend_ends_the_scheduled_retries() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    // The first retry comes 0.9 s after the first attempt, the second 3.6 s after.
    let (sandbox, http) = start(receiver.config(0.001)).await;
    let client = sandbox.client().expect("a client");
    let id = id_of(&http.invoice("resend-stops-retries").await);
    client.pay(&id, &PayRequest::default()).await.expect("paid");
    let log = attempts_until(&client, |log| !log.is_empty()).await;
    receiver.answer(200);
    let attempt = client.resend(log[0].delivery_id).await.expect("resent");
    assert!(attempt.delivered);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let log = client.deliveries().await.expect("log");
    assert_eq!(
        log.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2],
        "the retry due at +0.9 s was not sent: {log:?}"
    );
}

#[tokio::test]
async fn an_unknown_delivery_is_a_json_404() {
    let receiver = Receiver::start().await;
    let (sandbox, http) = start(receiver.config(1.0)).await;
    let client = sandbox.client().expect("a client");
    let (status, code, message) = refused_with(client.resend(42).await);
    assert_eq!((status, code.as_str()), (404, "DELIVERY_NOT_FOUND"));
    assert_eq!(message, "no delivery with id 42");

    let answer = http
        .control("/_sandbox/deliveries/not-a-number/resend", None)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.body["error_code"], "DELIVERY_NOT_FOUND");
    assert!(answer.headers["content-type"]
        .to_str()
        .is_ok_and(|c| c.starts_with("application/json")));
}

#[tokio::test]
async fn resend_without_a_callback_url_says_so() {
    let (sandbox, _http) = start(paylink_sandbox::SandboxConfig::default()).await;
    let client = sandbox.client().expect("a client");
    let resent = client
        .resend_matching(&ResendRequest::default())
        .await
        .expect("nothing to resend is no error");
    assert!(resent.resent.is_empty());
    let (status, code, _) = refused_with(client.resend(1).await);
    assert_eq!((status, code.as_str()), (404, "DELIVERY_NOT_FOUND"));
}

#[tokio::test]
async fn resend_by_filter_sends_each_matching_delivery_once_more() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (sandbox, http) = start(receiver.config(1.0)).await;
    let client = sandbox.client().expect("a client");
    let paid_a = id_of(&http.invoice("filter-a").await);
    let paid_b = id_of(&http.invoice("filter-b").await);
    let expired = id_of(&http.invoice("filter-c").await);
    client
        .pay(&paid_a, &PayRequest::default())
        .await
        .expect("paid");
    client
        .pay(&paid_b, &PayRequest::default())
        .await
        .expect("paid");
    client.expire(&expired).await.expect("expired");
    let log = attempts_until(&client, |log| log.len() >= 3).await;
    let first_times: Vec<_> = log.iter().map(|a| a.time).collect();
    let delivery_of = |invoice: &str| {
        log.iter()
            .find(|a| a.body["id"] == invoice)
            .map(|a| a.delivery_id)
            .expect("a delivery")
    };

    receiver.answer(200);
    let resent = client
        .resend_matching(&ResendRequest {
            status: Some(DeliveryOutcome::Failed),
            event: Some("PAID".into()),
            ..ResendRequest::default()
        })
        .await
        .expect("resent");
    let mut want = vec![delivery_of(&paid_a), delivery_of(&paid_b)];
    want.sort_unstable();
    assert_eq!(resent.resent, want);
    assert_eq!((resent.delivered, resent.failed), (2, 0));
    let log = client.deliveries().await.expect("log");
    assert_eq!(log.len(), 5, "one new attempt each");
    assert!(log[3..].iter().all(|a| a.manual && a.attempt == 2));

    // The PAID ones are delivered now: only the EXPIRED one still fails.
    let failed = client
        .resend_matching(&ResendRequest {
            status: Some(DeliveryOutcome::Failed),
            ..ResendRequest::default()
        })
        .await
        .expect("resent");
    assert_eq!(failed.resent, [delivery_of(&expired)]);

    let by_invoice = client
        .resend_matching(&ResendRequest {
            invoice_id: Some(paid_a.clone()),
            ..ResendRequest::default()
        })
        .await
        .expect("resent");
    assert_eq!(by_invoice.resent, [delivery_of(&paid_a)]);

    let earliest = first_times.iter().min().copied().expect("a time");
    let none_before = client
        .resend_matching(&ResendRequest {
            to: Some(earliest - time::Duration::seconds(1)),
            ..ResendRequest::default()
        })
        .await
        .expect("resent");
    assert!(none_before.resent.is_empty());
    let all_since = client
        .resend_matching(&ResendRequest {
            from: Some(earliest),
            to: Some(earliest + time::Duration::minutes(5)),
            ..ResendRequest::default()
        })
        .await
        .expect("resent");
    assert_eq!(all_since.resent.len(), 3);
}

#[tokio::test]
async fn a_bad_filter_is_refused_naming_the_field() {
    let receiver = Receiver::start().await;
    let (_sandbox, http) = start(receiver.config(1.0)).await;
    let cases = [
        (
            json!({ "status": "LOST" }),
            "\"status\" unknown variant `LOST`, expected `DELIVERED` or `FAILED`",
        ),
        (json!({ "from": "yesterday" }), "\"from\""),
        (json!({ "invoice": "x" }), "unknown field `invoice`"),
        (
            json!({ "from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z" }),
            "\"from\" must not be after `to`",
        ),
    ];
    for (body, says) in cases {
        let answer = http
            .control("/_sandbox/deliveries/resend", Some(body.clone()))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["error_code"], "API_VALIDATION_ERROR", "{body}");
        let message = answer.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
}

#[tokio::test]
async fn more_than_500_matching_deliveries_is_refused_with_the_count_and_the_limit() {
    let receiver = Receiver::start().await;
    let (sandbox, _http) = start(receiver.config(1.0)).await;
    let client = sandbox.client().expect("a client");
    let engine = sandbox.engine();
    let mut first = String::new();
    for n in 0..=MAX_RESEND {
        let request = CreateInvoiceRequest::builder(
            format!("many-{n}"),
            Decimal::from(50_000),
            Currency::Idr,
        )
        .invoice_duration(60)
        .build()
        .expect("a request");
        let link = engine
            .create_invoice(&request, &RequestOptions::default())
            .await
            .expect("created");
        if n == 0 {
            first = link.id;
        }
    }
    client
        .advance(Duration::from_secs(61))
        .await
        .expect("advanced");
    attempts_until(&client, |log| log.len() > MAX_RESEND).await;

    let (status, code, message) =
        refused_with(client.resend_matching(&ResendRequest::default()).await);
    assert_eq!((status, code.as_str()), (400, "TOO_MANY_DELIVERIES"));
    assert!(
        message.starts_with("501 deliveries match; at most 500 can be resent in one call"),
        "{message}"
    );
    assert_eq!(
        client.deliveries().await.expect("log").len(),
        MAX_RESEND + 1,
        "nothing was resent"
    );

    let narrowed = client
        .resend_matching(&ResendRequest {
            invoice_id: Some(first),
            event: Some("expired".into()),
            ..ResendRequest::default()
        })
        .await
        .expect("resent");
    assert_eq!(narrowed.resent.len(), 1);
}

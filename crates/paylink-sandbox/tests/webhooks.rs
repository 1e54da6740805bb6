//! Webhook delivery: each callback is POSTed with `x-callback-token`, retried on Xendit's
//! schedule (scaled) after a non-2xx answer, a refused connection or a timeout, and every
//! attempt is listed by `GET /_sandbox/deliveries`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use paylink_core::{CallbackToken, InvoiceCallback, InvoiceStatus};
use paylink_sandbox::SandboxConfig;
use paylink_sandbox::SCHEDULE;
use serde_json::Value;
use support::{id_of, start, Client};
use time::OffsetDateTime;

const TOKEN: &str = "callback-token-for-tests";

/// What the receiver saw: the token header, the content type and the body of each POST.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>, Bytes)>>>;

/// A receiver on 127.0.0.1:0 that answers the statuses of `answers` in turn (the last one
/// forever after), waiting `delay` before the first answer.
async fn receiver(answers: Vec<u16>, first_delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = (Arc::clone(&seen), Arc::new(answers), first_delay);
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State((seen, answers, delay)): State<(Seen, Arc<Vec<u16>>, Duration)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let n = {
                        let mut seen = seen.lock().expect("lock");
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        seen.push((header("x-callback-token"), header("content-type"), body));
                        seen.len()
                    };
                    if n == 1 && !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let status = answers
                        .get(n - 1)
                        .or(answers.last())
                        .copied()
                        .unwrap_or(200);
                    // A long answer on an error, to show it is cut; a short one otherwise.
                    let body = if status >= 500 {
                        "x".repeat(2000)
                    } else {
                        format!("ok {n}")
                    };
                    (StatusCode::from_u16(status).expect("a status"), body)
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), seen)
}

fn config(url: &str, scale: f64) -> SandboxConfig {
    SandboxConfig {
        callback_url: Some(url.to_owned()),
        callback_token: CallbackToken::from_static(TOKEN),
        retry_time_scale: scale,
        ..SandboxConfig::default()
    }
}

/// Polls the deliveries log until `done` holds for it, at most 30 s (a bound so a broken
/// delivery fails the test instead of hanging it).
async fn deliveries_until(client: &Client, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..600 {
        let answer = client.get("/_sandbox/deliveries").await;
        let log = answer.body.as_array().cloned().unwrap_or_default();
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deliveries log never reached the expected state");
}

fn time_of(attempt: &Value) -> OffsetDateTime {
    paylink_core::timestamp::parse(attempt["time"].as_str().expect("a time"))
        .expect("an RFC 3339 time")
}

#[tokio::test]
async fn a_receiver_that_answers_500_twice_then_200_gets_the_callback_three_times() {
    let (url, seen) = receiver(vec![500, 500, 200], Duration::ZERO).await;
    let (sandbox, client) = start(config(&url, 0.0001)).await;
    let id = id_of(&client.invoice("hook").await);
    let paid = client
        .control(
            &format!("/_sandbox/invoices/{id}/pay"),
            Some(serde_json::json!({ "payment_channel": "DANA" })),
        )
        .await;
    assert_eq!(paid.status, reqwest::StatusCode::OK, "{}", paid.text);

    let log = deliveries_until(&client, |log| log.len() >= 3).await;
    let statuses: Vec<&Value> = log.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, [500, 500, 200]);
    let attempts: Vec<&Value> = log.iter().map(|a| &a["attempt"]).collect();
    assert_eq!(attempts, [1, 2, 3]);
    let delivered: Vec<&Value> = log.iter().map(|a| &a["delivered"]).collect();
    assert_eq!(delivered, [false, false, true]);
    let cut = format!("{}…", "x".repeat(512));
    let responses: Vec<&Value> = log.iter().map(|a| &a["response"]).collect();
    assert_eq!(
        responses,
        [cut.as_str(), cut.as_str(), "ok 3"],
        "the receiver's answers, cut at 512 bytes"
    );
    for attempt in &log {
        assert_eq!(attempt["url"], url.as_str());
        assert_eq!(attempt["delivery_id"], log[0]["delivery_id"]);
        assert_eq!(attempt["body"]["id"], id.as_str());
        assert_eq!(attempt["body"]["status"], "PAID");
        assert_eq!(attempt["error"], Value::Null);
    }
    // Logged times are cut to the millisecond and the first attempt starts a moment after the
    // schedule's origin, hence a few milliseconds of slack.
    let first = time_of(&log[0]);
    for (n, attempt) in log.iter().enumerate() {
        let earliest = first + SCHEDULE[n].mul_f64(0.0001);
        assert!(
            time_of(attempt) >= earliest - time::Duration::milliseconds(5),
            "attempt {} came before its slot in the schedule",
            n + 1
        );
    }

    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "the receiver got the callback three times");
    let callbacks = sandbox.engine().callbacks();
    assert_eq!(callbacks.len(), 1);
    for (token, content_type, body) in &seen {
        assert_eq!(token.as_deref(), Some(TOKEN));
        assert_eq!(content_type.as_deref(), Some("application/json"));
        assert_eq!(
            body.as_ref(),
            callbacks[0].body.as_bytes(),
            "sent byte for byte"
        );
        let parsed: InvoiceCallback = serde_json::from_slice(body).expect("a callback body");
        assert_eq!(parsed.status, InvoiceStatus::Paid);
    }

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        client
            .get("/_sandbox/deliveries")
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(3),
        "a delivered callback is not sent again"
    );
}

#[tokio::test]
async fn an_unreachable_receiver_gets_the_first_attempt_and_six_retries() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let (_sandbox, client) = start(config(&url, 0.00001)).await;
    let id = id_of(&client.invoice("unreachable").await);
    client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    let log = deliveries_until(&client, |log| log.len() >= 7).await;
    assert_eq!(log.len(), 7);
    for (n, attempt) in log.iter().enumerate() {
        assert_eq!(attempt["attempt"], n + 1);
        assert_eq!(attempt["status"], Value::Null);
        assert_eq!(attempt["delivered"], false);
        assert!(attempt["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = client.get("/_sandbox/deliveries").await;
    assert_eq!(
        after.body.as_array().map(Vec::len),
        Some(7),
        "no eighth attempt"
    );
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_is_retried() {
    let (url, seen) = receiver(vec![200], Duration::from_secs(5)).await;
    let (_sandbox, client) = start(config(&url, 0.0001)).await;
    let id = id_of(&client.invoice("slow").await);
    client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    let log = deliveries_until(&client, |log| log.len() >= 2).await;
    assert_eq!(log[0]["status"], Value::Null);
    assert!(
        log[0]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("no answer within")),
        "{}",
        log[0]
    );
    assert_eq!(log[1]["status"], 200);
    assert_eq!(log[1]["delivered"], true);
    assert_eq!(seen.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn an_expiry_on_the_clock_sends_the_expired_callback() {
    let (url, seen) = receiver(vec![200], Duration::ZERO).await;
    let (_sandbox, client) = start(config(&url, 0.0001)).await;
    let id = id_of(
        &client
            .create_ok(serde_json::json!({ "external_id": "soon", "amount": 50000, "invoice_duration": 60 }))
            .await,
    );
    let advanced = client
        .control(
            "/_sandbox/clock/advance",
            Some(serde_json::json!({ "seconds": 61 })),
        )
        .await;
    assert_eq!(advanced.body["expired"], serde_json::json!([id]));
    let log = deliveries_until(&client, |log| !log.is_empty()).await;
    assert_eq!(log[0]["body"]["status"], "EXPIRED");
    assert_eq!(log[0]["body"]["id"], id.as_str());
    assert_eq!(log[0]["delivered"], true);
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn without_a_callback_url_nothing_is_sent_and_the_log_stays_empty() {
    let (_sandbox, client) = start(SandboxConfig::default()).await;
    let id = id_of(&client.invoice("quiet").await);
    let paid = client
        .control(&format!("/_sandbox/invoices/{id}/pay"), None)
        .await;
    assert_eq!(paid.body["status"], "PAID");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        client.get("/_sandbox/deliveries").await.body,
        serde_json::json!([])
    );
}

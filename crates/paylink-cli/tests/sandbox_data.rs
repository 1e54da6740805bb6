//! `paylink sandbox --data-dir`: a sandbox killed with SIGKILL and started again on the same
//! directory finds every invoice, payment and webhook delivery it had answered for.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

mod support;

use support::SandboxProcess;

const KEY: &str = "xnd_development_data_dir";

fn start(dir: &Path, callback: &str) -> SandboxProcess {
    let mut args: Vec<OsString> = [
        "--addr",
        "127.0.0.1:0",
        "--manual-clock",
        "--secret-key",
        KEY,
        "--callback-url",
        callback,
        "--retry-time-scale",
        "0.0001",
        "--data-dir",
    ]
    .map(OsString::from)
    .to_vec();
    args.push(dir.into());
    SandboxProcess::start(args)
}

fn kill_9(mut sandbox: SandboxProcess) {
    sandbox.signal("-KILL");
    sandbox.child.wait().expect("the sandbox is gone");
}

/// A webhook receiver that answers 500 to the first POST of each invoice and 200 after, and
/// keeps every body it accepted.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let accepted: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (a, s) = (Arc::clone(&accepted), Arc::clone(&seen));
    let app = Router::new().route(
        "/hook",
        post(move |body: String| {
            let (accepted, seen) = (Arc::clone(&a), Arc::clone(&s));
            async move {
                let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let id = value["id"].as_str().unwrap_or_default().to_owned();
                let mut seen = seen.lock().expect("lock");
                if !seen.contains(&id) {
                    seen.push(id);
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                accepted.lock().expect("lock").push(value);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), accepted)
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .basic_auth(KEY, Some(""));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.expect("the sandbox answers");
    let status = answer.status();
    let body: Value = answer.json().await.expect("JSON");
    assert!(status.is_success(), "status {status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_killed_with_sigkill_restarts_with_every_acknowledged_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (hook, accepted) = receiver().await;
    let first = start(dir.path(), &hook);
    let url = first.url.clone();
    let get = |path: &str| call(reqwest::Method::GET, format!("{url}{path}"), None);
    let post =
        |path: &str, body: Value| call(reqwest::Method::POST, format!("{url}{path}"), Some(body));

    let mut ids = Vec::new();
    for n in 0..12 {
        let body = json!({
            "external_id": format!("order-{n}"),
            "amount": 50_000 + n,
            "payer_email": "buyer@example.com",
            "payment_methods": ["BNI", "DANA", "QRIS"],
            "invoice_duration": 3_600,
        });
        ids.push(
            post("/v2/invoices", body).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    for (id, channel) in ids[..3].iter().zip(["BNI", "DANA", "QRIS"]) {
        post(
            &format!("/_sandbox/invoices/{id}/pay"),
            json!({ "payment_channel": channel }),
        )
        .await;
    }
    post(&format!("/_sandbox/invoices/{}/settle", ids[0]), json!({})).await;
    post(&format!("/invoices/{}/expire!", ids[3]), json!({})).await;
    post(
        &format!("/_sandbox/invoices/{}/fail", ids[4]),
        json!({ "payment_channel": "BNI" }),
    )
    .await;
    post("/_sandbox/clock/advance", json!({ "seconds": 60 })).await;

    // Wait until every callback (3 PAID, 1 EXPIRED) was accepted on its second attempt, as the
    // sandbox's own log shows.
    let mut deliveries = Value::Null;
    for _ in 0..200 {
        deliveries = get("/_sandbox/deliveries").await;
        let delivered = deliveries
            .as_array()
            .map(|a| a.iter().filter(|d| d["delivered"] == json!(true)).count());
        if delivered == Some(4) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        deliveries.as_array().map(Vec::len),
        Some(8),
        "{deliveries:#}"
    );
    let mut before = Vec::new();
    for id in &ids {
        before.push(get(&format!("/v2/invoices/{id}")).await);
    }
    let clock = get("/_sandbox/clock").await;
    kill_9(first);

    let second = start(dir.path(), &hook);
    let url = second.url.clone();
    let get = |path: &str| call(reqwest::Method::GET, format!("{url}{path}"), None);
    for (id, was) in ids.iter().zip(&before) {
        let mut now = get(&format!("/v2/invoices/{id}")).await;
        let mut was = was.clone();
        // The checkout address follows the port of the process answering.
        for v in [&mut now, &mut was] {
            v["invoice_url"] = Value::Null;
        }
        assert_eq!(now, was, "invoice {id} after the restart");
    }
    let statuses: Vec<&str> = before
        .iter()
        .map(|i| i["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        &statuses[..5],
        ["SETTLED", "PAID", "PAID", "EXPIRED", "PENDING"]
    );
    assert_eq!(get("/_sandbox/clock").await, clock);
    assert_eq!(get("/_sandbox/deliveries").await, deliveries);
    let listed = get("/v2/invoices?limit=100").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(ids.len()));
    // Nothing was sent again: every delivery had finished.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(accepted.lock().expect("lock").len(), 4);
    // The id sequence goes on without reusing an id.
    let next = call(
        reqwest::Method::POST,
        format!("{url}/v2/invoices"),
        Some(json!({ "external_id": "after", "amount": 20_000 })),
    )
    .await;
    assert!(!ids.contains(&next["id"].as_str().unwrap_or_default().to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_short_by_sigkill_resumes_after_the_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing listens at this address at first: every attempt before the restart fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let first = start(dir.path(), &dead);
    let url = first.url.clone();
    let created = call(
        reqwest::Method::POST,
        format!("{url}/v2/invoices"),
        Some(json!({ "external_id": "resume", "amount": 50_000 })),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    call(
        reqwest::Method::POST,
        format!("{url}/_sandbox/invoices/{id}/pay"),
        Some(json!({})),
    )
    .await;
    kill_9(first);

    let (hook, accepted) = receiver().await;
    let second = start(dir.path(), &hook);
    let mut seen = 0;
    for _ in 0..200 {
        seen = accepted.lock().expect("lock").len();
        if seen == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen, 1,
        "the PAID callback queued before the kill is delivered"
    );
    assert_eq!(accepted.lock().expect("lock")[0]["id"], json!(id));
    let log = call(
        reqwest::Method::GET,
        format!("{}/_sandbox/deliveries", second.url),
        None,
    )
    .await;
    let attempts: Vec<u64> = log
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["attempt"].as_u64().unwrap_or_default())
        .collect();
    assert!(attempts.windows(2).all(|w| w[0] < w[1]), "{attempts:?}");
}

//! The request log: what it records (and what never), redaction of secrets and e-mail
//! addresses, the size caps, the bound and the order.

mod support;

use base64::Engine as _;
use paylink_sandbox::{LoggedRequest, SandboxConfig, REQUEST_BODY_CAP, REQUEST_LOG_CAPACITY};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{id_of, start_default, Client, KEY};

async fn log(client: &Client) -> Vec<LoggedRequest> {
    let answer = client.get("/_sandbox/requests").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    serde_json::from_str(&answer.text).expect("the request log")
}

#[tokio::test]
async fn secrets_and_email_addresses_never_reach_the_log() {
    let (_sandbox, client) = start_default().await;
    let created = client
        .send(
            client
                .authed(Method::POST, "/v2/invoices")
                .header("for-user-id", "sub-account-7")
                .header("content-type", "application/json")
                // Sent as text: the amount's digits are the test.
                .body(
                    r#"{"external_id": "order-redact", "amount": 50000.000,
                    "payer_email": "jane.doe@example.com",
                    "description": "Call Jane at jane.doe+shop@example.co.id",
                    "customer": {"given_names": "Jane", "email": "jane.doe\u0040example.com"},
                    "metadata": {"api_token": "tok_live_123", "nested": {"client_secret": "s3cr3t"}}}"#,
                ),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    client
        .send(
            client
                .authed(
                    Method::GET,
                    "/v2/invoices?external_id=jane%40example.com&api_key=xnd_x",
                )
                .header("for-user-id", "sub-account-7"),
        )
        .await;

    let entries = log(&client).await;
    let text = client.get("/_sandbox/requests").await.text;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    for secret in [
        KEY,
        basic.as_str(),
        "jane.doe",
        "example.com",
        "tok_live_123",
        "s3cr3t",
        "xnd_x",
    ] {
        assert!(!text.contains(secret), "`{secret}` is in the log: {text}");
    }
    assert!(!text.to_ascii_lowercase().contains("authorization"));

    let create = entries
        .iter()
        .find(|r| r.method == "POST" && r.path == "/v2/invoices")
        .expect("the create is logged");
    assert_eq!(create.status, 200);
    assert_eq!(create.for_user_id.as_deref(), Some("sub-account-7"));
    assert_eq!(create.content_type.as_deref(), Some("application/json"));
    let body = create.body.as_deref().expect("the body");
    assert!(
        body.contains(r#""payer_email": "[redacted email]""#),
        "{body}"
    );
    assert!(body.contains(r#""email": "[redacted email]""#), "{body}");
    assert!(body.contains("Call Jane at [redacted email]"), "{body}");
    assert!(body.contains(r#""api_token": "[redacted]""#), "{body}");
    assert!(body.contains(r#""client_secret": "[redacted]""#), "{body}");
    assert!(
        body.contains(r#""amount": 50000.000,"#),
        "the amount is kept as sent: {body}"
    );
    assert!(!create.body_truncated);

    let list = &entries[0];
    assert_eq!(list.method, "GET");
    assert_eq!(
        list.query.as_deref(),
        Some("external_id=%5Bredacted%20email%5D&api_key=%5Bredacted%5D")
    );
    assert_eq!(list.body, None);
}

#[tokio::test]
async fn the_log_is_newest_first_with_status_times_and_errors() {
    let (sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("ordered").await);
    client.get(&format!("/v2/invoices/{id}")).await;
    client.get("/v2/invoices/nope").await;
    client
        .control(&format!("/_sandbox/invoices/{id}/settle"), None)
        .await;
    client.send(client.plain(Method::GET, "/v2/invoices")).await;

    let entries = log(&client).await;
    let lines: Vec<(String, String, u16)> = entries
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect();
    assert_eq!(
        lines,
        [
            ("GET".into(), "/v2/invoices".into(), 401),
            (
                "POST".into(),
                format!("/_sandbox/invoices/{id}/settle"),
                409
            ),
            ("GET".into(), "/v2/invoices/nope".into(), 404),
            ("GET".into(), format!("/v2/invoices/{id}"), 200),
            ("POST".into(), "/v2/invoices".into(), 200),
        ]
    );
    let ids: Vec<u64> = entries.iter().map(|r| r.id).collect();
    assert_eq!(ids, [5, 4, 3, 2, 1]);
    assert_eq!(
        entries[0].error.as_deref(),
        Some("INVALID_API_KEY: Your API key is invalid")
    );
    assert!(entries[1]
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("INVOICE_NOT_PAID: ")));
    assert_eq!(entries[4].error, None);
    assert_eq!(entries[0].sandbox_time, sandbox.engine().now());
    let now = time::OffsetDateTime::now_utc();
    assert!(entries
        .iter()
        .all(|r| r.time <= now && now - r.time < time::Duration::minutes(1)));

    let two = client.get("/_sandbox/requests?limit=2").await;
    assert_eq!(two.body.as_array().map(Vec::len), Some(2));
    let bad = client.get("/_sandbox/requests?limit=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("\"limit\" must be a whole number from 1 to 1000")));
}

#[tokio::test]
async fn the_inspector_pages_and_the_log_itself_are_not_logged() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("quiet-pages").await);
    for path in [
        "/_sandbox",
        "/_sandbox/",
        "/_sandbox/log",
        "/_sandbox/requests",
        &format!("/_sandbox/invoices/{id}"),
    ] {
        let answer = client.send(client.plain(Method::GET, path)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }
    client
        .send(client.plain(Method::GET, &format!("/web/{id}")))
        .await;
    client
        .send(
            client
                .plain(Method::POST, &format!("/_sandbox/forms/invoices/{id}/pay"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("channel=BNI&back=%2F_sandbox%2F"),
        )
        .await;
    let paths: Vec<String> = log(&client).await.into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            format!("/_sandbox/forms/invoices/{id}/pay"),
            format!("/web/{id}"),
            "/v2/invoices".to_owned(),
        ]
    );
}

#[tokio::test]
async fn bodies_are_capped_and_counted() {
    let config = SandboxConfig {
        max_body_bytes: 64 * 1024,
        ..SandboxConfig::default()
    };
    let (_sandbox, client) = support::start(config).await;
    let description = "x".repeat(30_000);
    let body = json!({ "external_id": "big", "amount": 50000, "description": description, "payer_email": "late@example.com" });
    let sent = serde_json::to_vec(&body).expect("json");
    let created = client
        .send(
            client
                .authed(Method::POST, "/v2/invoices")
                .header("content-type", "application/json")
                .body(sent.clone()),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let too_big = client
        .send(
            client
                .authed(Method::POST, "/v2/invoices")
                .header("content-type", "application/json")
                .body(vec![b' '; 70 * 1024]),
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);

    let entries = log(&client).await;
    let big = &entries[1];
    assert_eq!(big.body_bytes, sent.len() as u64);
    assert!(big.body_truncated);
    let kept = big.body.as_deref().expect("a body");
    assert!(kept.len() <= REQUEST_BODY_CAP, "{} bytes kept", kept.len());
    assert!(
        kept.starts_with(r#"{"amount":50000,"description":"xxx"#),
        "{}",
        &kept[..40]
    );
    assert!(
        !kept.contains("late@"),
        "the address after the cap is never kept"
    );

    let refused = &entries[0];
    assert_eq!(refused.status, 413);
    assert!(refused.body_truncated);
    assert!(
        refused.body_bytes > (64 * 1024) as u64 - 1,
        "what the route read is counted"
    );
    assert!(refused
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("REQUEST_ENTITY_TOO_LARGE: ")));
}

#[tokio::test]
async fn the_log_keeps_the_last_1000_requests() {
    let (_sandbox, client) = start_default().await;
    let total = REQUEST_LOG_CAPACITY + 5;
    for _ in 0..total {
        let answer = client
            .send(client.plain(Method::GET, "/_sandbox/clock"))
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let entries = log(&client).await;
    assert_eq!(entries.len(), REQUEST_LOG_CAPACITY);
    assert_eq!(entries[0].id, total as u64, "the newest first");
    assert_eq!(
        entries[REQUEST_LOG_CAPACITY - 1].id,
        6,
        "the five oldest were dropped"
    );
    assert!(entries.windows(2).all(|w| w[0].id == w[1].id + 1));
}

#[tokio::test]
async fn a_reset_clears_the_log_and_is_its_first_entry() {
    let (sandbox, client) = start_default().await;
    client.invoice("before-reset").await;
    sandbox
        .client()
        .expect("a client")
        .reset()
        .await
        .expect("reset");
    let entries = sandbox
        .client()
        .expect("a client")
        .requests()
        .await
        .expect("the log");
    let paths: Vec<&str> = entries.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/_sandbox/reset"]);
}

//! The sandbox speaks Xendit's invoice API over HTTP: paths, auth, `for-user-id`, the list
//! query encodings of every SDK, error bodies, body limits and fallbacks.

mod support;

use paylink_sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{assert_complete, id_of, start, start_default, KEY};

#[tokio::test]
async fn create_answers_a_pending_invoice_on_both_paths() {
    let (sandbox, client) = start_default().await;
    for path in ["/v2/invoices", "/v2/invoices/"] {
        let answer = client
            .send(
                client
                    .authed(Method::POST, path)
                    .json(&json!({ "external_id": format!("both{path}"), "amount": 75000 })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
        assert_eq!(answer.body["status"], "PENDING");
        assert_eq!(answer.body["external_id"], format!("both{path}"));
        assert_eq!(answer.body["amount"], json!(75000));
        assert_eq!(answer.body["currency"], "IDR");
        assert_eq!(answer.body["merchant_name"], "Toko Kopi");
        let id = id_of(&answer.body);
        assert_eq!(
            answer.body["invoice_url"],
            format!("{}/web/{id}", sandbox.url())
        );
    }
    assert_eq!(sandbox.engine().len(), 2);
}

#[tokio::test]
async fn every_response_carries_the_fields_the_sdks_require() {
    let (_sandbox, client) = start_default().await;
    let created = client.invoice("fields").await;
    assert_complete(&created, "create");
    let id = id_of(&created);
    let got = client.get(&format!("/v2/invoices/{id}")).await;
    assert_complete(&got.body, "get");
    let list = client.get("/v2/invoices").await;
    let page = list.body.as_array().expect("list answers a bare array");
    assert_eq!(page.len(), 1);
    assert_complete(&page[0], "list");
    let expired = client
        .send(client.authed(Method::POST, &format!("/invoices/{id}/expire!")))
        .await;
    assert_eq!(expired.status, StatusCode::OK, "{}", expired.text);
    assert_complete(&expired.body, "expire");
    let paid = client.invoice("fields-paid").await;
    let paid = client
        .control(&format!("/_sandbox/invoices/{}/pay", id_of(&paid)), None)
        .await;
    assert_complete(&paid.body, "pay");
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_invalid_api_key() {
    let (sandbox, client) = start_default().await;
    let expected = json!({ "error_code": "INVALID_API_KEY", "message": "Your API key is invalid" });
    let attempts = [
        ("no header", client.plain(Method::GET, "/v2/invoices")),
        (
            "wrong key",
            client
                .plain(Method::GET, "/v2/invoices")
                .basic_auth("xnd_development_other", Some("")),
        ),
        (
            "key as password",
            client
                .plain(Method::GET, "/v2/invoices")
                .basic_auth("", Some(KEY)),
        ),
        (
            "bearer scheme",
            client.plain(Method::GET, "/v2/invoices").bearer_auth(KEY),
        ),
        (
            "not base64",
            client
                .plain(Method::GET, "/v2/invoices")
                .header("authorization", "Basic %%%"),
        ),
        (
            "create without key",
            client
                .plain(Method::POST, "/v2/invoices")
                .json(&json!({ "external_id": "x", "amount": 50000 })),
        ),
    ];
    for (what, request) in attempts {
        let answer = client.send(request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(answer.body, expected, "{what}");
    }
    assert!(
        sandbox.engine().is_empty(),
        "a refused create stored nothing"
    );

    let with_password = client
        .send(
            client
                .plain(Method::GET, "/v2/invoices")
                .basic_auth(KEY, Some("ignored")),
        )
        .await;
    assert_eq!(with_password.status, StatusCode::OK);
}

#[tokio::test]
async fn for_user_id_scopes_invoices() {
    let (_sandbox, client) = start_default().await;
    let sub = client
        .send(
            client
                .authed(Method::POST, "/v2/invoices/")
                .header("for-user-id", "sub-1")
                .json(&json!({ "external_id": "scoped", "amount": 50000 })),
        )
        .await;
    assert_eq!(sub.status, StatusCode::OK);
    assert_eq!(sub.body["user_id"], "sub-1");
    let id = id_of(&sub.body);
    let path = format!("/v2/invoices/{id}");

    let unscoped = client.get(&path).await;
    assert_eq!(unscoped.status, StatusCode::NOT_FOUND);
    assert_eq!(unscoped.body["error_code"], "INVOICE_NOT_FOUND_ERROR");
    let other = client
        .send(
            client
                .authed(Method::GET, &path)
                .header("for-user-id", "sub-2"),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let scoped = client
        .send(
            client
                .authed(Method::GET, &path)
                .header("for-user-id", "sub-1"),
        )
        .await;
    assert_eq!(scoped.status, StatusCode::OK);
    assert_eq!(scoped.body, sub.body);

    let list = client.get("/v2/invoices?external_id=scoped").await;
    assert_eq!(list.body, json!([]));
    let list = client
        .send(
            client
                .authed(Method::GET, "/v2/invoices?external_id=scoped")
                .header("for-user-id", "sub-1"),
        )
        .await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));

    let expire = client
        .send(client.authed(Method::POST, &format!("/invoices/{id}/expire!")))
        .await;
    assert_eq!(expire.status, StatusCode::NOT_FOUND);
}

fn ids(answer: &Value) -> Vec<String> {
    answer
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(id_of)
        .collect()
}

#[tokio::test]
async fn list_reads_the_query_as_every_sdk_encodes_it() {
    let (sandbox, client) = start_default().await;
    let a = id_of(&client.invoice("q").await);
    let b = id_of(&client.invoice("q").await);
    let c = id_of(&client.invoice("q").await);
    sandbox
        .engine()
        .pay(&b, paylink_fake::PayWith::channel("BNI"))
        .expect("pay");
    let expired = client
        .send(client.authed(Method::POST, &format!("/invoices/{c}/expire!")))
        .await;
    assert_eq!(expired.status, StatusCode::OK);

    let cases: [(&str, Vec<&String>); 10] = [
        ("statuses=PENDING&statuses=PAID", vec![&b, &a]),
        ("statuses[]=PENDING&statuses[]=PAID", vec![&b, &a]),
        ("statuses=PAID,EXPIRED", vec![&c, &b]),
        ("statuses=EXPIRED", vec![&c]),
        ("created_after=2025-01-01T00:00:00.000Z", vec![&c, &b, &a]),
        (
            "created_after=2025-01-01T00%3A00%3A00%2B00%3A00",
            vec![&c, &b, &a],
        ),
        ("created_after=2025-01-03T00:00:00Z", vec![]),
        ("limit=2", vec![&c, &b]),
        ("limit=2.0", vec![&c, &b]),
        ("limit=10.0&statuses=PENDING", vec![&a]),
    ];
    for (query, expected) in cases {
        let answer = client
            .get(&format!("/v2/invoices?external_id=q&{query}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(ids(&answer.body), expected, "{query}");
    }
    for cursor in ["last_invoice", "last_invoice_id"] {
        let answer = client
            .get(&format!("/v2/invoices?external_id=q&limit=2&{cursor}={b}"))
            .await;
        assert_eq!(ids(&answer.body), vec![a.clone()], "{cursor}");
    }
}

#[tokio::test]
async fn an_unreadable_list_parameter_is_a_validation_error_naming_it() {
    let (_sandbox, client) = start_default().await;
    for (query, name) in [
        ("limit=ten", "limit"),
        ("limit=2.5", "limit"),
        ("created_after=yesterday", "created_after"),
        ("paid_before=2025-13-01T00:00:00Z", "paid_before"),
    ] {
        let answer = client.get(&format!("/v2/invoices?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.body["error_code"], "API_VALIDATION_ERROR", "{query}");
        assert_eq!(answer.body["errors"][0]["path"], name, "{query}");
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| m.contains(name)),
            "{query}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn an_idr_amount_written_as_a_float_is_accepted() {
    let (_sandbox, client) = start_default().await;
    let answer = client
        .send(
            client
                .authed(Method::POST, "/v2/invoices/")
                .header("content-type", "application/json")
                .body(r#"{"external_id":"py7","amount":10000.0,"invoice_duration":172800.0}"#),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer.text.contains(r#""amount":10000,"#),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_invalid_json_format() {
    let (sandbox, client) = start_default().await;
    for body in ["{bad", "", "amount=1"] {
        let answer = client
            .send(
                client
                    .authed(Method::POST, "/v2/invoices")
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(answer.body["error_code"], "INVALID_JSON_FORMAT", "{body:?}");
        let keys: Vec<&String> = answer.body.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["error_code", "message"], "{body:?}");
    }
    assert!(sandbox.engine().is_empty());
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_validation_error_naming_the_field() {
    let (sandbox, client) = start_default().await;
    let cases = [
        (json!([1, 2]), "body"),
        (json!({ "amount": 50000 }), "external_id"),
        (json!({ "external_id": "x", "amount": "ten" }), "amount"),
        (json!({ "external_id": "x", "amount": "50000" }), "amount"),
        (
            json!({ "external_id": "x", "amount": 50000, "items": [{ "name": "a", "quantity": 1, "price": true }] }),
            "items[0].price",
        ),
    ];
    for (body, path) in cases {
        let answer = client.create(body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["error_code"], "API_VALIDATION_ERROR", "{body}");
        assert_eq!(
            answer.body["errors"][0]["path"], path,
            "{body}: {}",
            answer.text
        );
    }
    assert!(sandbox.engine().is_empty());
}

#[tokio::test]
async fn server_rules_answer_xendits_error_body() {
    let (_sandbox, client) = start_default().await;
    let answer = client
        .create(json!({ "external_id": "small", "amount": 1 }))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["error_code"], "MINIMAL_TRANSFER_AMOUNT_ERROR");
    assert!(answer.body["message"].is_string());
    let answer = client
        .create(json!({ "external_id": "m", "amount": 50000, "payment_methods": ["NOPE"] }))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body["error_code"],
        "UNAVAILABLE_PAYMENT_METHOD_ERROR"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_a_clear_error() {
    let config = SandboxConfig {
        max_body_bytes: 1024,
        ..SandboxConfig::default()
    };
    let (sandbox, client) = start(config).await;
    let big = json!({ "external_id": "big", "amount": 50000, "description": "x".repeat(2000) });
    let answer = client.create(big).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.body,
        json!({
            "error_code": "REQUEST_ENTITY_TOO_LARGE",
            "message": "The request body is larger than the limit of 1024 bytes"
        })
    );
    assert!(sandbox.engine().is_empty());
    let small = client
        .create(json!({ "external_id": "small", "amount": 50000 }))
        .await;
    assert_eq!(small.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let (_sandbox, client) = start_default().await;
    let answer = client.get("/v3/invoices").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.body,
        json!({ "error_code": "NOT_FOUND", "message": "No route for GET /v3/invoices" })
    );
    assert!(answer.headers["content-type"]
        .to_str()
        .is_ok_and(|c| c.starts_with("application/json")));
    let answer = client
        .send(client.authed(Method::DELETE, "/v2/invoices"))
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.body["error_code"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn get_of_an_unknown_invoice_is_xendits_not_found_body() {
    let (_sandbox, client) = start_default().await;
    let answer = client.get("/v2/invoices/missing").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.body,
        json!({ "error_code": "INVOICE_NOT_FOUND_ERROR", "message": "Invoice not found." })
    );
}

#[tokio::test]
async fn expire_is_accepted_with_and_without_a_content_type() {
    let (_sandbox, client) = start_default().await;
    let first = id_of(&client.invoice("exp").await);
    let second = id_of(&client.invoice("exp").await);
    let bare = client
        .send(client.authed(Method::POST, &format!("/invoices/{first}/expire!")))
        .await;
    assert_eq!(bare.status, StatusCode::OK, "{}", bare.text);
    assert_eq!(bare.body["status"], "EXPIRED");
    let typed = client
        .send(
            client
                .authed(Method::POST, &format!("/invoices/{second}/expire!"))
                .header("content-type", "application/json"),
        )
        .await;
    assert_eq!(typed.status, StatusCode::OK, "{}", typed.text);
    assert_eq!(typed.body["status"], "EXPIRED");
    let again = client
        .send(client.authed(Method::POST, &format!("/invoices/{first}/expire!")))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["error_code"], "INVOICE_NOT_FOUND_ERROR");
}

#[tokio::test]
async fn a_percent_encoded_id_finds_the_invoice() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("enc").await);
    let encoded: String = id.chars().map(|c| format!("%{:02X}", c as u32)).collect();
    let answer = client.get(&format!("/v2/invoices/{encoded}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["id"], id);
}

#[tokio::test]
async fn the_router_serves_an_engine_built_by_the_caller() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let engine = paylink_fake::FakeGateway::builder()
        .invoice_base_url(format!("{base}/web/"))
        .build();
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        ..SandboxConfig::default()
    };
    let state = paylink_sandbox::SandboxState::new(config, base.clone(), engine.clone());
    state.start_delivery();
    let app = paylink_sandbox::router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = support::Client::new(&base);
    let created = client.invoice("mounted").await;
    assert_eq!(
        created["invoice_url"],
        format!("{base}/web/{}", id_of(&created))
    );
    assert_eq!(engine.len(), 1, "the caller's engine holds the invoice");
}

#[tokio::test]
async fn the_date_header_follows_the_sandbox_clock_as_xendits_follows_its_own() {
    let (sandbox, _client) = start_default().await;
    let answer = reqwest::Client::new()
        .get(format!("{}/v2/invoices/missing", sandbox.url()))
        .basic_auth(KEY, Some(""))
        .send()
        .await
        .expect("the sandbox answers");
    let date = answer
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(date.as_deref(), Some("Thu, 02 Jan 2025 03:04:05 GMT"));
    sandbox
        .engine()
        .advance(std::time::Duration::from_secs(86_400));
    let answer = reqwest::Client::new()
        .get(format!("{}/_sandbox/clock", sandbox.url()))
        .send()
        .await
        .expect("the sandbox answers");
    assert_eq!(
        answer
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok()),
        Some("Fri, 03 Jan 2025 03:04:05 GMT")
    );
}

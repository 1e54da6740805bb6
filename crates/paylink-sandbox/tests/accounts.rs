//! Accounts: each secret key is its own business, with its own invoices, webhook receiver and
//! token; `for-user-id` sub-accounts stay within one key's business.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use paylink_core::CallbackToken;
use paylink_fake::FakeGateway;
use paylink_sandbox::{read_accounts_file, AccountConfig, FaultsRequest, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use support::Client;

/// What a receiver saw: the token header and the invoice id of each callback.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let seen = Arc::clone(&s);
            async move {
                let token = headers
                    .get("x-callback-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let id = body["id"].as_str().unwrap_or_default().to_owned();
                seen.lock().expect("lock").push((token, id));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

fn account(name: &str, key: &str, url: &str, token: &str) -> AccountConfig {
    AccountConfig {
        callback_url: Some(url.to_owned()),
        callback_token: CallbackToken::new(token).expect("a token"),
        ..AccountConfig::new(name, key).expect("a valid account")
    }
}

async fn call(
    client: &Client,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    for_user: Option<&str>,
) -> (u16, Value) {
    let mut request = client
        .http
        .request(method, format!("{}{path}", client.base))
        .basic_auth(key, Some(""));
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(user) = for_user {
        request = request.header("for-user-id", user);
    }
    let answer = request.send().await.expect("answers");
    (
        answer.status().as_u16(),
        answer.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn each_key_is_its_own_business_with_its_own_invoices_webhooks_and_token() {
    let (shop_hook, shop_seen) = receiver().await;
    let (cafe_hook, cafe_seen) = receiver().await;
    let config = SandboxConfig {
        accounts: vec![
            account("shop", "xnd_development_shop", &shop_hook, "shop-token"),
            account("cafe", "xnd_development_cafe", &cafe_hook, "cafe-token"),
        ],
        retry_time_scale: 0.0001,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, FakeGateway::builder())
        .await
        .expect("starts");
    let client = Client::new(sandbox.url());
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let body = |id: &str| Some(json!({ "external_id": id, "amount": 50_000 }));

    let (status, shop_link) = call(
        &client,
        "xnd_development_shop",
        post.clone(),
        "/v2/invoices",
        body("same-id"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, cafe_link) = call(
        &client,
        "xnd_development_cafe",
        post.clone(),
        "/v2/invoices",
        body("same-id"),
        None,
    )
    .await;
    let (shop_id, cafe_id) = (
        shop_link["id"].as_str().expect("id"),
        cafe_link["id"].as_str().expect("id"),
    );
    assert_ne!(shop_id, cafe_id);
    assert_ne!(
        shop_link["user_id"], cafe_link["user_id"],
        "two businesses, two business ids"
    );

    // One business never sees the other's links.
    let (status, _) = call(
        &client,
        "xnd_development_cafe",
        get.clone(),
        &format!("/v2/invoices/{shop_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, listed) = call(
        &client,
        "xnd_development_shop",
        get.clone(),
        "/v2/invoices?external_id=same-id",
        None,
        None,
    )
    .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], json!(shop_id));
    let (status, _) = call(
        &client,
        "xnd_development_cafe",
        post.clone(),
        &format!("/invoices/{shop_id}/expire!"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, answer) = call(
        &client,
        "xnd_development_nobody",
        get.clone(),
        "/v2/invoices",
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(answer["error_code"], json!("INVALID_API_KEY"));

    // for-user-id sub-accounts stay inside one key's business.
    let (_, sub) = call(
        &client,
        "xnd_development_cafe",
        post.clone(),
        "/v2/invoices",
        body("sub"),
        Some("branch-1"),
    )
    .await;
    let sub_id = sub["id"].as_str().expect("id");
    let (status, _) = call(
        &client,
        "xnd_development_cafe",
        get.clone(),
        &format!("/v2/invoices/{sub_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        status, 404,
        "the parent does not see a sub-account's link without the header"
    );
    let (status, _) = call(
        &client,
        "xnd_development_shop",
        get.clone(),
        &format!("/v2/invoices/{sub_id}"),
        None,
        Some("branch-1"),
    )
    .await;
    assert_eq!(
        status, 404,
        "another business with the same sub-account id sees nothing"
    );
    let (status, _) = call(
        &client,
        "xnd_development_cafe",
        get.clone(),
        &format!("/v2/invoices/{sub_id}"),
        None,
        Some("branch-1"),
    )
    .await;
    assert_eq!(status, 200);

    // The checkout page and the controls find each account's links; webhooks go to the
    // account's receiver with its token.
    let page = client.get(&format!("/web/{cafe_id}")).await;
    assert_eq!(page.status, 200);
    let control = sandbox.client().expect("client");
    control
        .pay(shop_id, &Default::default())
        .await
        .expect("shop paid");
    control
        .pay(cafe_id, &Default::default())
        .await
        .expect("cafe paid");
    for _ in 0..100 {
        if shop_seen.lock().expect("lock").len() == 1 && cafe_seen.lock().expect("lock").len() == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        *shop_seen.lock().expect("lock"),
        [("shop-token".to_owned(), shop_id.to_owned())]
    );
    assert_eq!(
        *cafe_seen.lock().expect("lock"),
        [("cafe-token".to_owned(), cafe_id.to_owned())]
    );
    let accounts: Vec<String> = sandbox
        .state()
        .deliverer()
        .attempts()
        .into_iter()
        .map(|a| a.account)
        .collect();
    assert_eq!(accounts.len(), 2);
    assert!(accounts.contains(&"shop".to_owned()) && accounts.contains(&"cafe".to_owned()));

    // Faults can be set for one account.
    control
        .faults(&FaultsRequest {
            account: Some("cafe".into()),
            ..FaultsRequest::fail_next("get", 1, 503)
        })
        .await
        .expect("fault set");
    let (status, _) = call(
        &client,
        "xnd_development_shop",
        get.clone(),
        &format!("/v2/invoices/{shop_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &client,
        "xnd_development_cafe",
        get.clone(),
        &format!("/v2/invoices/{cafe_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 503);
    let unknown = control
        .faults(&FaultsRequest {
            account: Some("bakery".into()),
            ..FaultsRequest::default()
        })
        .await
        .expect_err("no such account");
    assert!(
        unknown.to_string().contains("no account is named `bakery`"),
        "{unknown}"
    );
}

#[test]
fn account_specs_and_files_are_read_with_errors_naming_the_part() {
    let plain = AccountConfig::parse("shop:xnd_development_shop").expect("valid");
    assert_eq!(plain.name, "shop");
    assert_eq!(plain.callback_url, None);
    let with_url = AccountConfig::parse("cafe:xnd_development_cafe:http://127.0.0.1:9000/hook")
        .expect("valid");
    assert_eq!(
        with_url.callback_url.as_deref(),
        Some("http://127.0.0.1:9000/hook")
    );
    let debug = format!("{with_url:?}");
    assert!(
        !debug.contains("xnd_development_cafe"),
        "the key stays out of Debug: {debug}"
    );
    for (spec, wanted) in [
        ("shop", "must be NAME:KEY"),
        (":key", "name must be 1 to 64 letters"),
        ("shop :key", "name must be 1 to 64 letters"),
        (
            "shop:",
            "secret_key of account `shop` must be printable ASCII",
        ),
        (
            "shop:key:ftp://x",
            "callback_url of account `shop` must start with http",
        ),
    ] {
        let err = AccountConfig::parse(spec).expect_err(spec);
        assert!(err.to_string().contains(wanted), "{spec}: {err}");
    }

    let twice = SandboxConfig {
        accounts: vec![
            AccountConfig::new("a", "k1").expect("valid"),
            AccountConfig::new("b", "k1").expect("valid"),
        ],
        ..SandboxConfig::default()
    };
    let err = twice.check_accounts().expect_err("one key, two accounts");
    assert!(
        err.to_string().contains("is also the key of account `a`"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("k1"),
        "keys stay out of errors: {err}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("accounts.json");
    std::fs::write(
        &file,
        r#"[{"name": "shop", "secret_key": "k1", "callback_url": "http://127.0.0.1:1/h", "callback_token": "t1"},
            {"name": "cafe", "secret_key": "k2"}]"#,
    )
    .expect("written");
    let accounts = read_accounts_file(&file).expect("read");
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0].callback_token.expose(), "t1");
    assert_eq!(
        accounts[1].callback_token.expose(),
        "sandbox-callback-token-cafe"
    );
    std::fs::write(
        &file,
        r#"[{"name": "shop", "secret_key": "k1"}, {"name": "cafe", "key": "k2"}]"#,
    )
    .expect("written");
    let err = read_accounts_file(&file).expect_err("unknown field");
    assert!(err.to_string().contains("entry 1"), "{err}");
    assert!(err.to_string().contains("unknown field `key`"), "{err}");
    std::fs::write(
        &file,
        r#"[{"name": "shop", "secret_key": "k1", "callback_token": "  "}]"#,
    )
    .expect("written");
    let err = read_accounts_file(&file).expect_err("blank token");
    assert!(err.to_string().contains("entry 0: callback_token"), "{err}");
}

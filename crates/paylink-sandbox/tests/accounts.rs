//! Accounts: each secret key is its own business, with its own invoices, webhook receiver and
//! token; `for-user-id` sub-accounts stay within one key's business.

mod support;

use paylink_core::CallbackToken;
use paylink_fake::FakeGateway;
use paylink_sandbox::{read_accounts_file, AccountConfig, FaultsRequest, Sandbox, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};
use support::receiver::{attempts_until, Receiver};
use support::Client;

fn account(name: &str, key: &str, url: &str, token: &str) -> AccountConfig {
    AccountConfig {
        callback_url: Some(url.to_owned()),
        callback_token: CallbackToken::new(token).expect("a token"),
        ..AccountConfig::new(name, key).expect("a valid account")
    }
}

/// A client acting with one account's key.
struct As<'a> {
    client: &'a Client,
    key: &'a str,
}

impl As<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        user: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .http
            .request(method, format!("{}{path}", self.client.base))
            .basic_auth(self.key, Some(""));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(user) = user {
            request = request.header("for-user-id", user);
        }
        let answer = request.send().await.expect("answers");
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, external_id: &str, user: Option<&str>) -> Value {
        let body = json!({ "external_id": external_id, "amount": 50_000 });
        let (status, invoice) = self
            .call(Method::POST, "/v2/invoices", Some(body), user)
            .await;
        assert_eq!(status, 200, "{invoice}");
        invoice
    }

    async fn get(&self, id: &str, user: Option<&str>) -> u16 {
        self.call(Method::GET, &format!("/v2/invoices/{id}"), None, user)
            .await
            .0
    }
}

fn id(invoice: &Value) -> &str {
    invoice["id"].as_str().expect("an id")
}

#[tokio::test]
async fn each_key_is_its_own_business_with_its_own_invoices_webhooks_and_token() {
    let (shop_hook, cafe_hook) = (Receiver::start().await, Receiver::start().await);
    let config = SandboxConfig {
        accounts: vec![
            account("shop", "xnd_development_shop", &shop_hook.url, "shop-token"),
            account("cafe", "xnd_development_cafe", &cafe_hook.url, "cafe-token"),
        ],
        retry_time_scale: 0.0001,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, FakeGateway::builder())
        .await
        .expect("starts");
    let client = Client::new(sandbox.url());
    let shop = As {
        client: &client,
        key: "xnd_development_shop",
    };
    let cafe = As {
        client: &client,
        key: "xnd_development_cafe",
    };
    let nobody = As {
        client: &client,
        key: "xnd_development_nobody",
    };

    let shop_link = shop.create("same-id", None).await;
    let cafe_link = cafe.create("same-id", None).await;
    let (shop_id, cafe_id) = (id(&shop_link), id(&cafe_link));
    assert_ne!(shop_id, cafe_id);
    assert_ne!(
        shop_link["user_id"], cafe_link["user_id"],
        "two businesses, two business ids"
    );

    // One business never sees the other's links.
    assert_eq!(cafe.get(shop_id, None).await, 404);
    let (_, listed) = shop
        .call(Method::GET, "/v2/invoices?external_id=same-id", None, None)
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], json!(shop_id));
    let expire = format!("/invoices/{shop_id}/expire!");
    assert_eq!(cafe.call(Method::POST, &expire, None, None).await.0, 404);
    let (status, answer) = nobody.call(Method::GET, "/v2/invoices", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error_code"], json!("INVALID_API_KEY"));

    // for-user-id sub-accounts stay inside one key's business.
    let sub = cafe.create("sub", Some("branch-1")).await;
    let sub_id = id(&sub);
    assert_eq!(
        cafe.get(sub_id, None).await,
        404,
        "the parent does not see it without the header"
    );
    assert_eq!(
        shop.get(sub_id, Some("branch-1")).await,
        404,
        "another business sees nothing"
    );
    assert_eq!(cafe.get(sub_id, Some("branch-1")).await, 200);

    // The checkout page and the controls find each account's links; webhooks go to the
    // account's receiver with its token.
    assert_eq!(client.get(&format!("/web/{cafe_id}")).await.status, 200);
    let control = sandbox.client().expect("client");
    control
        .pay(shop_id, &Default::default())
        .await
        .expect("shop paid");
    control
        .pay(cafe_id, &Default::default())
        .await
        .expect("cafe paid");
    attempts_until(&control, |log| log.len() == 2).await;
    for (hook, token, link) in [
        (&shop_hook, "shop-token", shop_id),
        (&cafe_hook, "cafe-token", cafe_id),
    ] {
        let got = hook.got();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].token.as_deref(), Some(token));
        let body: Value = serde_json::from_slice(&got[0].body).expect("JSON");
        assert_eq!(body["id"], json!(link));
    }
    let mut accounts: Vec<String> = sandbox
        .state()
        .deliverer()
        .attempts()
        .into_iter()
        .map(|a| a.account)
        .collect();
    accounts.sort();
    assert_eq!(accounts, ["cafe", "shop"]);

    // Faults can be set for one account.
    control
        .faults(&FaultsRequest {
            account: Some("cafe".into()),
            ..FaultsRequest::fail_next("get", 1, 503)
        })
        .await
        .expect("fault set");
    assert_eq!(shop.get(shop_id, None).await, 200);
    assert_eq!(cafe.get(cafe_id, None).await, 503);
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

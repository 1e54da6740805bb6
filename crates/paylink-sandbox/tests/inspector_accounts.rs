//! The inspector with several accounts: the home page shows one account at a time, picked with
//! `?account=`, with a selector; an invoice's page and forms act on the account holding it.

mod support;

use paylink_fake::FakeGateway;
use paylink_sandbox::{AccountConfig, Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::Client;

async fn create(client: &Client, key: &str, external_id: &str) -> String {
    let answer = client
        .send(
            client
                .plain(Method::POST, "/v2/invoices")
                .basic_auth(key, Some(""))
                .json(&json!({ "external_id": external_id, "amount": 50_000 })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["id"].as_str().expect("id").to_owned()
}

async fn html(client: &Client, path: &str) -> (StatusCode, String) {
    let answer = client.send(client.plain(Method::GET, path)).await;
    (answer.status, answer.text)
}

#[tokio::test]
async fn the_home_page_shows_one_account_at_a_time_and_forms_act_where_the_invoice_lives() {
    let config = SandboxConfig {
        accounts: vec![
            AccountConfig::new("shop", "xnd_development_shop").expect("valid"),
            AccountConfig::new("cafe", "xnd_development_cafe").expect("valid"),
        ],
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, FakeGateway::builder())
        .await
        .expect("starts");
    let client = Client::new(sandbox.url());
    let shop = create(&client, "xnd_development_shop", "shop-order").await;
    let cafe = create(&client, "xnd_development_cafe", "cafe-order").await;

    let (status, first) = html(&client, "/_sandbox/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        first.contains(r#"id="accounts""#),
        "a selector with two accounts"
    );
    assert!(first.contains("shop-order") && !first.contains("cafe-order"));
    assert!(first.contains(r#"href="/_sandbox/?account=cafe""#));
    let (_, second) = html(&client, "/_sandbox/?account=cafe").await;
    assert!(second.contains("cafe-order") && !second.contains("shop-order"));
    assert!(second.contains(r#"<input type="hidden" name="account" value="cafe">"#));
    let (status, unknown) = html(&client, "/_sandbox/?account=bakery").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(unknown.contains("no account is named `bakery`"));

    let (status, detail) = html(&client, &format!("/_sandbox/invoices/{cafe}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("cafe-order"));
    let paid = client
        .send(
            client
                .plain(
                    Method::POST,
                    &format!("/_sandbox/forms/invoices/{cafe}/pay"),
                )
                .header("content-type", "application/x-www-form-urlencoded")
                .body("channel="),
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER);
    let invoice: Value = serde_json::to_value(
        sandbox
            .state()
            .account("cafe")
            .expect("cafe")
            .engine()
            .invoice(&cafe),
    )
    .expect("json");
    assert_eq!(invoice["status"], json!("PAID"));
    let untouched = sandbox
        .state()
        .account("shop")
        .expect("shop")
        .engine()
        .invoice(&shop);
    assert_eq!(
        untouched.map(|i| i.status.to_string()),
        Some("PENDING".to_owned())
    );
}

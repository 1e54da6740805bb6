//! The shop as `main` runs it, over real sockets on loopback: the offline demo on the fake
//! (checkout page, in-process webhooks) and the Xendit backend against the fake's HTTP
//! sandbox (HttpGateway out, webhooks in over HTTP).

use std::net::SocketAddr;
use std::time::Duration;

use paylink_core::CallbackToken;
use paylink_example_shop::config::{
    BACKEND_VAR, BASE_URL_VAR, CALLBACK_TOKEN_VAR, SECRET_KEY_VAR, SQLITE_PATH_VAR,
};
use paylink_example_shop::{ConfigError, Shop, ShopConfig, ShopSettings, StartError};
use paylink_fake::FakeGateway;
use paylink_sandbox::{ClockMode, Sandbox, SandboxClient, SandboxConfig, DEFAULT_SECRET_KEY};
use serde_json::{json, Value};
use tokio::net::TcpListener;

const TOKEN: &str = "demo-test-token";

/// Binds a loopback port and serves `shop` on it; returns its base URL.
async fn serve(listener: TcpListener, shop: &Shop) -> String {
    let addr: SocketAddr = listener.local_addr().expect("bound");
    let router = shop.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn cart() -> Value {
    json!({"items": [{"name": "Tea", "quantity": 3, "price": 20000}]})
}

/// The offline demo as `main` runs it: a shop over the fake (seeded with `seed`, checkout page
/// and in-process webhooks) served on a loopback port. Returns the shop and its base URL.
async fn offline_demo(seed: u64) -> (Shop, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let public = format!("http://{}", listener.local_addr().expect("bound"));
    let engine = FakeGateway::builder()
        .seed(seed)
        .invoice_base_url(format!("{public}/web/"))
        .build();
    let settings = ShopSettings::new(&public, CallbackToken::from_static(TOKEN));
    let shop = Shop::over_fake(engine, settings, ClockMode::Manual);
    let base = serve(listener, &shop).await;
    (shop, base)
}

/// The checkout of the usual cart, ready to send.
fn checkout(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/checkout")).json(&cart())
}

/// The configuration of the Xendit backend with every variable set.
fn xendit_config(
    secret_key: &str,
    base_url: &str,
    sqlite: &std::path::Path,
) -> Result<ShopConfig, ConfigError> {
    ShopConfig::from_lookup(|var| match var {
        BACKEND_VAR => Some("xendit".into()),
        SECRET_KEY_VAR => Some(secret_key.into()),
        BASE_URL_VAR => Some(base_url.into()),
        CALLBACK_TOKEN_VAR => Some(TOKEN.into()),
        SQLITE_PATH_VAR => Some(sqlite.display().to_string()),
        _ => None,
    })
}

/// Reads the order until its state is `state`; fails after 10 s rather than hanging.
async fn wait_for_state(client: &reqwest::Client, url: &str, state: &str) -> Value {
    let poll = async {
        loop {
            let order: Value = client
                .get(url)
                .send()
                .await
                .expect("GET order")
                .json()
                .await
                .expect("JSON order");
            if order["status"]["state"] == state {
                return order;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .unwrap_or_else(|_| panic!("{url} never reached {state}"))
}

#[tokio::test]
async fn the_offline_demo_takes_a_payment_through_its_checkout_page() {
    let (shop, base) = offline_demo(11).await;
    let http = client();

    let checkout = checkout(&http, &base).send().await.expect("checkout");
    assert_eq!(checkout.status(), reqwest::StatusCode::SEE_OTHER);
    let page_url = checkout.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let order = shop.service().order("order-1").await.expect("stored");
    assert_eq!(page_url, format!("{base}/web/{}", order.invoice_id));

    let page = http.get(&page_url).send().await.expect("page");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert!(page.text().await.expect("html").contains("Rp 60.000"));

    let paid = http
        .post(format!("{page_url}/pay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("channel=DANA")
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()["location"].to_str().expect("ascii"),
        format!("{base}/orders/order-1")
    );

    let order = wait_for_state(&http, &format!("{base}/orders/order-1"), "paid").await;
    assert_eq!(order["deliveries"][0]["status"], "PAID");
    assert_eq!(order["deliveries"][0]["received"], 1);
}

#[tokio::test]
async fn the_offline_demo_cancels_an_order_when_its_link_expires() {
    let (_shop, base) = offline_demo(12).await;
    let http = client();
    let created = checkout(&http, &base)
        .header("accept", "application/json")
        .send()
        .await
        .expect("checkout");
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);

    let control = SandboxClient::new(&base).expect("a control client");
    let advanced = control
        .advance(std::time::Duration::from_secs(3600))
        .await
        .expect("advance");
    assert_eq!(advanced.expired.len(), 1);
    let order = wait_for_state(&http, &format!("{base}/orders/order-1"), "cancelled").await;
    assert_eq!(order["link_state"], "EXPIRED");
}

#[tokio::test]
async fn the_xendit_backend_takes_a_payment_over_http_with_webhooks() {
    let shop_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let public = format!("http://{}", shop_listener.local_addr().expect("bound"));
    let sandbox = Sandbox::start(
        SandboxConfig {
            callback_url: Some(format!("{public}/webhooks/xendit")),
            callback_token: CallbackToken::from_static(TOKEN),
            retry_time_scale: 0.0001,
            ..SandboxConfig::default()
        },
        FakeGateway::builder().seed(13),
    )
    .await
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = xendit_config(
        DEFAULT_SECRET_KEY,
        sandbox.url(),
        &dir.path().join("shop.sqlite"),
    )
    .expect("complete configuration");
    let shop = Shop::start(&config, &public).await.expect("starts");
    assert!(shop.inbox().is_some());
    assert!(shop.fake().is_none());
    let base = serve(shop_listener, &shop).await;
    let http = client();

    let checkout = checkout(&http, &base).send().await.expect("checkout");
    assert_eq!(checkout.status(), reqwest::StatusCode::SEE_OTHER);
    let order = shop.service().order("order-1").await.expect("stored");
    assert_eq!(
        checkout.headers()["location"].to_str().expect("ascii"),
        format!("{}/web/{}", sandbox.url(), order.invoice_id)
    );

    sandbox
        .engine()
        .pay(&order.invoice_id, paylink_fake::PayWith::channel("BNI"))
        .expect("pay");
    let order = wait_for_state(&http, &format!("{base}/orders/order-1"), "paid").await;
    assert_eq!(order["deliveries"][0]["outcome"], "advanced");
}

#[tokio::test]
async fn a_bad_xendit_base_url_is_refused_naming_the_variable() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = xendit_config(
        "xnd_development_key",
        "ftp://api.example",
        &dir.path().join("shop.sqlite"),
    )
    .expect("read");
    let err = Shop::start(&config, "http://127.0.0.1:3000")
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StartError::Config(ConfigError::Invalid {
                var: BASE_URL_VAR,
                ..
            })
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("XENDIT_BASE_URL: "), "{err}");
}

//! Shared test harness: a shop over a deterministic fake, driven through its axum router.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use paylink_axum::testing;
use paylink_core::CallbackToken;
use paylink_example_shop::http::WEBHOOK_PATH;
use paylink_example_shop::{Order, Shop, ShopSettings};
use paylink_fake::{CallbackEvent, FakeGateway};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;
use tower::ServiceExt;

/// The token the shop under test accepts.
pub(crate) const TOKEN: &str = "test-callback-token";

/// A shop over a fake with a fixed seed and start time; the test delivers the webhooks.
pub(crate) struct Harness {
    pub fake: FakeGateway,
    pub shop: Shop,
    pub router: Router,
    pub callbacks: UnboundedReceiver<CallbackEvent>,
}

/// An answer: status, headers, and the body as JSON (`null` when empty).
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

/// The answer to a webhook delivery: status and the body as JSON.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub json: Value,
}

impl Reply {
    fn from((status, body): (StatusCode, String)) -> Self {
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        Reply { status, json }
    }
}

impl Harness {
    pub(crate) fn new() -> Self {
        Harness::with_seed(7)
    }

    pub(crate) fn with_seed(seed: u64) -> Self {
        let fake = FakeGateway::builder().seed(seed).build();
        let callbacks = fake.subscribe();
        let settings = ShopSettings::new("http://shop.test", CallbackToken::from_static(TOKEN));
        let shop = Shop::over_gateway(Arc::new(fake.clone()), settings);
        let router = shop.router();
        Harness {
            fake,
            shop,
            router,
            callbacks,
        }
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON answer")
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(
            Request::post(path)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }

    pub(crate) async fn post(&self, path: &str) -> Answer {
        self.send(Request::post(path).body(Body::empty()).expect("request"))
            .await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// Checks out a two-line cart (150,000 IDR) and returns the order.
    pub(crate) async fn checkout(&self) -> Value {
        let answer = self.post_json("/checkout", &cart()).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json);
        answer.json["order"].clone()
    }

    /// Delivers a callback the fake emitted to the shop's webhook route, as Xendit would send
    /// it, with the right token.
    pub(crate) async fn deliver(&self, event: &CallbackEvent) -> Reply {
        let request = event
            .to_request(WEBHOOK_PATH, &CallbackToken::from_static(TOKEN))
            .expect("a path and a printable token make a request");
        self.deliver_request(request).await
    }

    /// Delivers a webhook request (one a test has altered) to the shop's router.
    pub(crate) async fn deliver_request(&self, request: Request<String>) -> Reply {
        Reply::from(testing::send(&self.router, request).await)
    }

    /// POSTs a webhook body to the shop's webhook route with `token` in `x-callback-token`.
    pub(crate) async fn deliver_body(&self, token: &str, body: &str) -> Reply {
        let token = CallbackToken::new(token).expect("a test token is not blank");
        Reply::from(testing::deliver(&self.router, WEBHOOK_PATH, body, &token).await)
    }

    /// Every callback released since the last call.
    pub(crate) fn released(&mut self) -> Vec<CallbackEvent> {
        let mut out = Vec::new();
        while let Ok(event) = self.callbacks.try_recv() {
            out.push(event);
        }
        out
    }

    /// The stored order.
    pub(crate) async fn order(&self, id: &str) -> Order {
        self.shop.service().order(id).await.expect("stored order")
    }
}

/// Two coffees and a cake: 150,000 IDR.
pub(crate) fn cart() -> Value {
    json!({
        "items": [
            {"name": "Coffee", "quantity": 2, "price": 50000},
            {"name": "Cake", "quantity": 1, "price": 50000}
        ],
        "payer_email": "buyer@example.com"
    })
}

/// A JSON answer as pretty text, for snapshots: `assert_json_snapshot!` re-serializes through
/// insta's own data model, which shows serde_json's arbitrary-precision numbers as private
/// structs.
pub(crate) fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a Value always serializes")
}

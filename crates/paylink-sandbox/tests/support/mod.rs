//! Shared set-up of the sandbox tests: a started sandbox with a fixed seed and clock, and a
//! small HTTP client speaking to it as an SDK would.
#![allow(dead_code)]

pub(crate) mod receiver;

use paylink_fake::FakeGateway;
use paylink_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use time::macros::datetime;

/// The secret key of the test sandboxes.
pub(crate) const KEY: &str = "xnd_development_test_key";

/// The 17 fields spec section 3.1 marks required (PY7 fails without any of them).
pub(crate) const REQUIRED_FIELDS: [&str; 17] = [
    "external_id",
    "user_id",
    "status",
    "merchant_name",
    "merchant_profile_picture_url",
    "amount",
    "expiry_date",
    "invoice_url",
    "available_banks",
    "available_retail_outlets",
    "available_ewallets",
    "available_qr_codes",
    "available_direct_debits",
    "available_paylaters",
    "should_send_email",
    "created",
    "updated",
];

/// A sandbox on 127.0.0.1:0 with `config` (its key replaced by [`KEY`]), seed 7 and the clock
/// at 2025-01-02T03:04:05Z.
pub(crate) async fn start(config: SandboxConfig) -> (Sandbox, Client) {
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        ..config
    };
    let engine = FakeGateway::builder()
        .seed(7)
        .start(datetime!(2025-01-02 03:04:05 UTC))
        .merchant_name("Toko Kopi");
    let sandbox = Sandbox::start(config, engine)
        .await
        .expect("the sandbox starts");
    let client = Client::new(sandbox.url());
    (sandbox, client)
}

/// A sandbox with the default configuration.
pub(crate) async fn start_default() -> (Sandbox, Client) {
    start(SandboxConfig::default()).await
}

/// An HTTP client of the sandbox that does not follow redirects.
#[derive(Clone)]
pub(crate) struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

/// An answer: status and body (JSON when it parses, else the text as a JSON string).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Client {
    pub(crate) fn new(base: &str) -> Self {
        Client {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
        }
    }

    /// A request with Basic auth as the SDKs send it.
    pub(crate) fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(KEY, Some(""))
    }

    /// A request without auth.
    pub(crate) fn plain(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    pub(crate) async fn send(&self, request: RequestBuilder) -> Answer {
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// `POST /v2/invoices` with a JSON body.
    pub(crate) async fn create(&self, body: Value) -> Answer {
        self.send(self.authed(Method::POST, "/v2/invoices").json(&body))
            .await
    }

    /// Creates an invoice and returns it, failing the test when refused.
    pub(crate) async fn create_ok(&self, body: Value) -> Value {
        let answer = self.create(body).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "create refused: {}",
            answer.text
        );
        answer.body
    }

    /// A plain IDR invoice.
    pub(crate) async fn invoice(&self, external_id: &str) -> Value {
        self.create_ok(json!({ "external_id": external_id, "amount": 50000 }))
            .await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(self.authed(Method::GET, path)).await
    }

    /// A control call with a JSON body.
    pub(crate) async fn control(&self, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.plain(Method::POST, path);
        if let Some(b) = body {
            request = request.json(&b);
        }
        self.send(request).await
    }
}

/// The `id` of an invoice body.
pub(crate) fn id_of(invoice: &Value) -> String {
    invoice["id"].as_str().expect("an id").to_owned()
}

/// Asserts that every required field is present in an invoice body.
pub(crate) fn assert_complete(invoice: &Value, what: &str) {
    for field in REQUIRED_FIELDS {
        assert!(
            invoice.get(field).is_some_and(|v| !v.is_null()),
            "{what}: the response lacks `{field}`: {invoice}"
        );
    }
}

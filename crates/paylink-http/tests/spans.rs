//! One `tracing` span per gateway call, on both backends: `HttpGateway` against an in-process
//! sandbox and `FakeGateway` directly. The spans carry the operation, the invoice id or
//! external id, the attempts, the HTTP status and the latency; no span or event carries the
//! secret key or the callback token, in any form.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use paylink_core::{CreateInvoiceRequest, Currency, Gateway, RequestOptions};
use paylink_fake::FakeGateway;
use paylink_http::{HttpGateway, SecretKey};
use paylink_sandbox::{FaultsRequest, Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

const KEY: &str = "xnd_development_span_s3cr3t_key";
const TOKEN: &str = "span-callback-t0ken";

/// A captured span: its name and fields as text.
#[derive(Debug, Clone, Default)]
struct Captured {
    name: String,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<BTreeMap<u64, Captured>>>,
    events: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut span = Captured {
            name: attrs.metadata().name().to_owned(),
            ..Captured::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        self.spans.lock().expect("lock").insert(id.into_u64(), span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(span) = self.spans.lock().expect("lock").get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().expect("lock").push(fields);
    }
}

impl Capture {
    fn gateway_spans(&self, backend: &str) -> Vec<BTreeMap<String, String>> {
        self.spans
            .lock()
            .expect("lock")
            .values()
            .filter(|s| s.name == "paylink.gateway")
            .filter(|s| s.fields.get("backend").map(String::as_str) == Some(backend))
            .map(|s| s.fields.clone())
            .collect()
    }

    /// Every text any span or event carried.
    fn everything(&self) -> String {
        let spans = self.spans.lock().expect("lock");
        let events = self.events.lock().expect("lock");
        let mut all = String::new();
        for fields in spans.values().map(|s| &s.fields).chain(events.iter()) {
            for (k, v) in fields {
                all.push_str(&format!("{k}={v}\n"));
            }
        }
        all
    }
}

fn order(external_id: &str) -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder(external_id, Decimal::from(50_000), Currency::Idr)
        .build()
        .expect("valid")
}

fn field<'a>(span: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    span.get(name).map_or("<absent>", String::as_str)
}

fn assert_no_secret(capture: &Capture) {
    let all = capture.everything();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    for secret in [KEY, basic.as_str(), TOKEN] {
        assert!(
            !all.contains(secret),
            "a span or event carries a secret:\n{all}"
        );
    }
}

#[tokio::test]
async fn every_http_gateway_call_has_one_span_with_its_fields_and_no_secret() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        callback_token: paylink_core::CallbackToken::from_static(TOKEN),
        callback_url: Some("http://127.0.0.1:9/hooks".into()),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, FakeGateway::builder().seed(3))
        .await
        .expect("the sandbox starts");
    let gateway = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(sandbox.url())
        .retry_policy(paylink_core::RetryPolicy {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(5),
            max_elapsed: std::time::Duration::from_secs(5),
        })
        .build()
        .expect("valid");
    let opts = RequestOptions::default();

    let created = gateway
        .create_invoice(&order("span-order-1"), &opts)
        .await
        .expect("created");
    sandbox
        .client()
        .expect("control")
        .faults(&FaultsRequest::fail_next("get", 1, 503))
        .await
        .expect("fault set");
    gateway
        .get_invoice(&created.id, &opts)
        .await
        .expect("got after a retry");
    gateway
        .get_invoice("no-such-invoice", &opts)
        .await
        .expect_err("unknown");
    let q = paylink_core::ListInvoicesQuery {
        external_id: Some("span-order-1".into()),
        ..Default::default()
    };
    gateway.list_invoices(&q, &opts).await.expect("listed");
    gateway
        .expire_invoice(&created.id, &opts)
        .await
        .expect("expired");

    let spans = capture.gateway_spans("http");
    let ops: Vec<&str> = spans.iter().map(|s| field(s, "operation")).collect();
    assert_eq!(
        ops,
        ["create", "get", "get", "list", "expire"],
        "{spans:#?}"
    );
    let [create, get, missing, list, expire] = &spans[..] else {
        panic!("five spans: {spans:#?}");
    };
    assert_eq!(field(create, "external_id"), "span-order-1");
    assert_eq!(field(create, "invoice_id"), created.id);
    assert_eq!(field(create, "attempts"), "1");
    assert_eq!(field(create, "status"), "200");
    assert!(
        field(create, "latency_ms").parse::<u64>().is_ok(),
        "{create:?}"
    );
    assert_eq!(field(get, "invoice_id"), created.id);
    assert_eq!(field(get, "attempts"), "2", "a 503 then a 200: {get:?}");
    assert_eq!(field(get, "status"), "200");
    assert_eq!(field(missing, "status"), "404");
    assert!(
        field(missing, "error").contains("INVOICE_NOT_FOUND_ERROR"),
        "{missing:?}"
    );
    assert_eq!(field(list, "external_id"), "span-order-1");
    assert_eq!(field(expire, "invoice_id"), created.id);
    assert_eq!(field(expire, "status"), "200");

    // The sandbox's engine traces its own calls as the fake.
    assert!(!capture.gateway_spans("fake").is_empty());
    assert_no_secret(&capture);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn every_fake_gateway_call_has_one_span_with_the_same_fields() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let fake = FakeGateway::new();
    let opts = RequestOptions::default();
    let created = fake
        .create_invoice(&order("span-fake-1"), &opts)
        .await
        .expect("created");
    fake.get_invoice("nope", &opts).await.expect_err("unknown");
    fake.expire_invoice(&created.id, &opts)
        .await
        .expect("expired");

    let spans = capture.gateway_spans("fake");
    let [create, missing, expire] = &spans[..] else {
        panic!("three spans: {spans:#?}");
    };
    assert_eq!(field(create, "operation"), "create");
    assert_eq!(field(create, "external_id"), "span-fake-1");
    assert_eq!(field(create, "invoice_id"), created.id);
    assert_eq!(field(create, "attempts"), "1");
    assert_eq!(field(create, "status"), "200");
    assert!(field(create, "latency_ms").parse::<u64>().is_ok());
    assert_eq!(field(missing, "status"), "404");
    assert_eq!(field(expire, "operation"), "expire");
    assert_no_secret(&capture);
}

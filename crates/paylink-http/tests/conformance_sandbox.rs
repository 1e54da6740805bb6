//! The conformance suite through `HttpGateway` against the paylink sandbox over real HTTP on
//! loopback while the sandbox injects server errors (`tests/conformance.rs` runs it without
//! faults): retries keep every result the same and never duplicate a create.

use async_trait::async_trait;
use paylink_core::{
    ApiError, CreateInvoiceRequest, Currency, Gateway, GatewayError, Invoice, Operation,
    RequestOptions, RetryPolicy,
};
use paylink_fake::conformance::{self, Payer, PayerError};
use paylink_fake::sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use paylink_fake::FakeGateway;
use paylink_http::{HttpGateway, SecretKey};
use rust_decimal::Decimal;
use std::time::Duration;

const KEY: &str = "xnd_development_conformance";

/// Pays through the sandbox's control endpoint, as a buyer on the checkout page would.
struct SandboxPayer {
    url: String,
    client: reqwest::Client,
}

#[async_trait]
impl Payer for SandboxPayer {
    async fn pay(&self, invoice: &Invoice, _options: &RequestOptions) -> Result<(), PayerError> {
        let url = format!(
            "{}/_sandbox/invoices/{}/pay",
            self.url,
            paylink_http::wire::encode_component(&invoice.id)
        );
        let response = self.client.post(url).send().await?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!("pay answered {status}: {body}").into())
        }
    }
}

async fn start() -> (RunningSandbox, HttpGateway, SandboxPayer) {
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, FakeGateway::builder().seed(11))
        .await
        .expect("the sandbox starts");
    let gateway = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(sandbox.url())
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(5),
        })
        .build()
        .expect("valid configuration");
    let payer = SandboxPayer {
        url: sandbox.url().to_owned(),
        client: reqwest::Client::new(),
    };
    (sandbox, gateway, payer)
}

#[tokio::test]
async fn http_gateway_passes_the_suite_while_the_sandbox_injects_server_errors() {
    let (sandbox, gateway, payer) = start().await;
    let client = reqwest::Client::new();
    for operation in ["create", "get", "list", "expire"] {
        let response = client
            .post(format!("{}/_sandbox/faults", sandbox.url()))
            .json(&serde_json::json!({
                "operation": operation,
                "fail_next": 1,
                "status": 503,
                "error_code": "SERVER_ERROR",
                "message": "try later",
            }))
            .send()
            .await
            .expect("faults endpoint answers");
        assert!(response.status().is_success(), "{}", response.status());
    }
    if let Err(failures) = conformance::run_all(&gateway, &payer).await {
        panic!("{failures}");
    }
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn sandbox_server_errors_are_retried_and_a_create_is_not_duplicated() {
    let (sandbox, gateway, _) = start().await;
    let busy = || GatewayError::Server(ApiError::new(503, "SERVER_ERROR", "try later"));
    let engine = sandbox.engine();
    engine.fail_next(Operation::Create, 1, busy());
    engine.fail_next(Operation::Get, 1, busy());
    let request = CreateInvoiceRequest::builder("retry-1", Decimal::from(50_000), Currency::Idr)
        .build()
        .expect("valid request");
    let options = RequestOptions::default();
    let created = gateway
        .create_invoice(&request, &options)
        .await
        .expect("created after the retry");
    let read = gateway
        .get_invoice(&created.id, &options)
        .await
        .expect("read after the retry");
    assert_eq!(read, created);
    assert_eq!(sandbox.engine().len(), 1);

    // The same fault, seen by a gateway that never retries, is the 503 itself.
    engine.fail_next(Operation::Get, 1, busy());
    let once = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(sandbox.url())
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("valid configuration");
    let e = once
        .get_invoice(&created.id, &options)
        .await
        .expect_err("the injected fault");
    assert_eq!((e.kind(), e.status()), ("server", Some(503)));
    sandbox.shutdown().await.expect("clean shutdown");
}

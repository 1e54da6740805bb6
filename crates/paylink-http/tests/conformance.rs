//! The conformance suite over HTTP: `HttpGateway` against the sandbox started in this process,
//! directly, as `Arc<dyn Gateway>`, and while the sandbox injects server errors, so the adapter
//! is proven to behave like the fake and its retries never change a result or duplicate a create.

use std::sync::Arc;
use std::time::Duration;

use paylink_core::conformance;
use paylink_core::{
    ApiError, CreateInvoiceRequest, Currency, Gateway, GatewayError, Operation, RequestOptions,
    RetryPolicy,
};
use paylink_fake::FakeGateway;
use paylink_http::{HttpGateway, HttpGatewayBuilder, SecretKey};
use paylink_sandbox::{FaultsRequest, Sandbox, SandboxClient, SandboxConfig};
use rust_decimal::Decimal;

const KEY: &str = "xnd_development_conformance_s3cr3t";

async fn sandbox() -> Sandbox {
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        ..SandboxConfig::default()
    };
    Sandbox::start(config, FakeGateway::builder().seed(11))
        .await
        .expect("the sandbox starts")
}

fn builder_for(sandbox: &Sandbox) -> HttpGatewayBuilder {
    HttpGateway::builder(SecretKey::new(KEY)).base_url(sandbox.url())
}

/// A gateway with the default settings.
fn gateway_for(sandbox: &Sandbox) -> HttpGateway {
    builder_for(sandbox).build().expect("valid configuration")
}

/// A gateway that retries an injected fault after a few milliseconds.
fn retrying_gateway_for(sandbox: &Sandbox) -> HttpGateway {
    builder_for(sandbox)
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(5),
        })
        .build()
        .expect("valid configuration")
}

/// The sandbox's typed control client pays as a buyer on the checkout page would.
fn payer_for(sandbox: &Sandbox) -> SandboxClient {
    sandbox.client().expect("a control client")
}

async fn passes_the_suite(gateway: &dyn Gateway, payer: &SandboxClient) {
    if let Err(failures) = conformance::run_all(gateway, payer).await {
        panic!("{failures}");
    }
}

#[tokio::test]
async fn the_http_gateway_passes_the_conformance_suite_against_the_sandbox() {
    let sandbox = sandbox().await;
    passes_the_suite(&gateway_for(&sandbox), &payer_for(&sandbox)).await;
}

#[tokio::test]
async fn the_http_gateway_behind_a_dyn_gateway_passes_the_conformance_suite() {
    let sandbox = sandbox().await;
    let gateway: Arc<dyn Gateway> = Arc::new(gateway_for(&sandbox));
    passes_the_suite(gateway.as_ref(), &payer_for(&sandbox)).await;
}

#[tokio::test]
async fn http_gateway_passes_the_suite_while_the_sandbox_injects_server_errors() {
    let sandbox = sandbox().await;
    let control = payer_for(&sandbox);
    for operation in ["create", "get", "list", "expire"] {
        let faults = FaultsRequest {
            error_code: Some("SERVER_ERROR".into()),
            message: Some("try later".into()),
            ..FaultsRequest::fail_next(operation, 1, 503)
        };
        control.faults(&faults).await.expect("faults are set");
    }
    passes_the_suite(&retrying_gateway_for(&sandbox), &payer_for(&sandbox)).await;
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn sandbox_server_errors_are_retried_and_a_create_is_not_duplicated() {
    let sandbox = sandbox().await;
    let gateway = retrying_gateway_for(&sandbox);
    let busy = || GatewayError::Server(Box::new(ApiError::new(503, "SERVER_ERROR", "try later")));
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
    let once = builder_for(&sandbox)
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("valid configuration");
    let e = once
        .get_invoice(&created.id, &options)
        .await
        .expect_err("the injected fault");
    assert!(
        matches!(&e, GatewayError::Server(api) if api.status == 503),
        "{e:?}"
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

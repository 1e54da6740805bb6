//! The conformance suite over HTTP: `HttpGateway` against the sandbox started in this process,
//! directly and as `Arc<dyn Gateway>`, so the adapter is proven to behave like the fake.

use std::sync::Arc;

use async_trait::async_trait;
use paylink_core::{Gateway, Invoice, RequestOptions};
use paylink_fake::conformance::{self, Payer, PayerError};
use paylink_fake::sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use paylink_fake::FakeGateway;
use paylink_http::{HttpGateway, SecretKey};

const KEY: &str = "xnd_development_conformance_s3cr3t";

/// Pays through the sandbox's control endpoint, as a customer on the checkout page would.
struct SandboxPayer {
    base: String,
    client: reqwest::Client,
}

#[async_trait]
impl Payer for SandboxPayer {
    async fn pay(&self, invoice: &Invoice, _options: &RequestOptions) -> Result<(), PayerError> {
        let url = format!(
            "{}/_sandbox/invoices/{}/pay",
            self.base,
            paylink_http::wire::encode_component(&invoice.id)
        );
        let response = self.client.post(url).send().await?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!("paying {} answered {status}: {body}", invoice.id).into())
        }
    }
}

async fn sandbox() -> RunningSandbox {
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        ..SandboxConfig::default()
    };
    Sandbox::start(config, FakeGateway::builder().seed(11))
        .await
        .expect("the sandbox starts")
}

fn gateway_for(sandbox: &RunningSandbox) -> HttpGateway {
    HttpGateway::builder(SecretKey::new(KEY))
        .base_url(sandbox.url())
        .build()
        .expect("valid configuration")
}

fn payer_for(sandbox: &RunningSandbox) -> SandboxPayer {
    SandboxPayer {
        base: sandbox.url().to_owned(),
        client: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn the_http_gateway_passes_the_conformance_suite_against_the_sandbox() {
    let sandbox = sandbox().await;
    let gateway = gateway_for(&sandbox);
    let payer = payer_for(&sandbox);
    if let Err(failures) = conformance::run_all(&gateway, &payer).await {
        panic!("{failures}");
    }
}

#[tokio::test]
async fn the_http_gateway_behind_a_dyn_gateway_passes_the_conformance_suite() {
    let sandbox = sandbox().await;
    let gateway: Arc<dyn Gateway> = Arc::new(gateway_for(&sandbox));
    let payer = payer_for(&sandbox);
    if let Err(failures) = conformance::run_all(gateway.as_ref(), &payer).await {
        panic!("{failures}");
    }
}

//! The `shop` binary: reads the configuration from the environment and serves the shop.

use std::error::Error;
use std::process::ExitCode;

use paylink_example_shop::{Backend, Shop, ShopConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let config = ShopConfig::from_env()?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let shop = Shop::start(&config, &public_url).await?;
    tracing::info!(storage = ?config.storage, "webhooks are stored in the inbox before they are answered");
    match &config.backend {
        Backend::Fake => tracing::info!(
            %public_url,
            "shop on the fake backend: checkout pages at {public_url}/web/{{id}}, webhooks delivered in-process"
        ),
        Backend::Xendit { .. } => tracing::info!(
            %public_url,
            "shop on Xendit: point the invoice webhook at {public_url}/webhooks/xendit"
        ),
    }
    axum::serve(listener, shop.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

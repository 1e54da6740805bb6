//! Criterion bench of `HttpGateway::get_invoice` round trips against a local server, beside
//! raw reqwest + serde_json doing the same request in the same run
//! (`http_get_invoice/http_gateway` vs `http_get_invoice/raw_reqwest`).

use std::hint::black_box;
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use criterion::Criterion;
use paylink_core::{Gateway, Invoice, RequestOptions, RetryPolicy};
use paylink_http::{HttpGateway, SecretKey};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};

const INVOICE: &str = include_str!("../tests/data/invoice_doc_pl.json");
const KEY: &str = "xnd_development_bench";
const ID: &str = "6748105a77f16ebe0cc583a7";

/// Serves the fixed invoice on its own runtime thread, so client and server do not share one.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let app = Router::new().route(
                "/v2/invoices/{id}",
                get(|| async { ([(CONTENT_TYPE, "application/json")], INVOICE) }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            tx.send(format!("http://{addr}")).expect("send addr");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

fn get_invoice(c: &mut Criterion) {
    let base = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");

    let gateway = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(&base)
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("gateway");
    let options = RequestOptions::default();

    // The baseline gets every advantage: a prebuilt URL and header values.
    let raw = reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .expect("client");
    let url = format!("{base}/v2/invoices/{ID}");
    let auth = HeaderValue::from_str(&format!("Basic {}", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
    }))
    .expect("header");
    let agent = HeaderValue::from_static("bench");
    let accept = HeaderValue::from_static("application/json");

    // Both must return the same invoice before they are timed.
    let a = rt
        .block_on(gateway.get_invoice(ID, &options))
        .expect("gateway get");
    let b: Invoice = rt.block_on(async {
        let bytes = raw
            .get(&url)
            .send()
            .await
            .expect("raw get")
            .bytes()
            .await
            .expect("raw body");
        serde_json::from_slice(&bytes).expect("raw decode")
    });
    assert_eq!(a, b);

    let mut group = c.benchmark_group("http_get_invoice");
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("http_gateway", |bench| {
        bench
            .to_async(&rt)
            .iter(|| async { black_box(gateway.get_invoice(ID, &options).await) })
    });
    group.bench_function("raw_reqwest", |bench| {
        bench.to_async(&rt).iter(|| async {
            let response = raw
                .get(&url)
                .header(AUTHORIZATION, auth.clone())
                .header(ACCEPT, accept.clone())
                .header(USER_AGENT, agent.clone())
                .send()
                .await;
            let decoded = match response {
                Ok(r) => match r.bytes().await {
                    Ok(bytes) => serde_json::from_slice::<Invoice>(&bytes).ok(),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            black_box(decoded)
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    get_invoice(&mut criterion);
    criterion.final_summary();
}

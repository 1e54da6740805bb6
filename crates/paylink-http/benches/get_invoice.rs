//! Criterion bench of `HttpGateway::get_invoice` round trips against a local server, beside
//! raw reqwest + serde_json doing the same request in the same run
//! (`http_get_invoice/http_gateway` vs `http_get_invoice/raw_reqwest`).
//!
//! The two are measured in pairs: every iteration of either benchmark runs one request of each
//! kind, in alternating order, and times only its own for criterion. Every pair is also kept,
//! and the ratio of the two sides' medians over all pairs is written to
//! `target/criterion/paylink-figures/http_get_invoice_paired.txt`: both sides of that ratio
//! were measured in the same moments, so load from other processes on the machine falls on
//! them alike (criterion's two estimates come from different moments of the run).

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
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

/// The baseline: plain reqwest with a prebuilt URL and header values, then serde_json.
struct Raw {
    client: reqwest::Client,
    url: String,
    auth: HeaderValue,
    accept: HeaderValue,
    agent: HeaderValue,
}

impl Raw {
    async fn get(&self) -> Option<Invoice> {
        let response = self
            .client
            .get(&self.url)
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, self.accept.clone())
            .header(USER_AGENT, self.agent.clone())
            .send()
            .await
            .ok()?;
        let bytes = response.bytes().await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Which side of a pair an iteration times.
#[derive(Clone, Copy)]
enum Side {
    Gateway,
    Raw,
}

/// `iters` pairs of requests; the time spent in `side`'s requests only. Every pair's two times
/// (gateway, raw) are appended to `log`.
async fn pairs(
    iters: u64,
    side: Side,
    gateway: &HttpGateway,
    raw: &Raw,
    log: &RefCell<Vec<(Duration, Duration)>>,
) -> Duration {
    let options = RequestOptions::default();
    let mut spent = Duration::ZERO;
    for i in 0..iters {
        let gateway_first = i % 2 == 0;
        let mut took = [Duration::ZERO; 2];
        for turn in 0..2 {
            let run_gateway = (turn == 0) == gateway_first;
            let start = Instant::now();
            if run_gateway {
                black_box(gateway.get_invoice(ID, &options).await.ok());
                took[0] = start.elapsed();
            } else {
                black_box(raw.get().await);
                took[1] = start.elapsed();
            }
        }
        log.borrow_mut().push((took[0], took[1]));
        spent += match side {
            Side::Gateway => took[0],
            Side::Raw => took[1],
        };
    }
    spent
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

/// Writes one line to criterion's figures directory, where `cargo xtask bench` collects it.
fn write_figure(name: &str, line: &str) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("criterion/paylink-figures");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(name), format!("{line}\n"));
    }
    println!("{line}");
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
    let raw = Raw {
        client: reqwest::Client::builder()
            .use_rustls_tls()
            .build()
            .expect("client"),
        url: format!("{base}/v2/invoices/{ID}"),
        auth: HeaderValue::from_str(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
        ))
        .expect("header"),
        accept: HeaderValue::from_static("application/json"),
        agent: HeaderValue::from_static("bench"),
    };

    // Both must return the same invoice before they are timed.
    let a = rt
        .block_on(gateway.get_invoice(ID, &RequestOptions::default()))
        .expect("gateway get");
    let b = rt.block_on(raw.get()).expect("raw get");
    assert_eq!(a, b);

    let mut group = c.benchmark_group("http_get_invoice");
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    let log = RefCell::new(Vec::new());
    for (name, side) in [("http_gateway", Side::Gateway), ("raw_reqwest", Side::Raw)] {
        group.bench_function(name, |bench| {
            bench
                .to_async(&rt)
                .iter_custom(|iters| pairs(iters, side, &gateway, &raw, &log))
        });
    }
    group.finish();

    let log = log.into_inner();
    if !log.is_empty() {
        let gateway_median = median(log.iter().map(|p| p.0).collect());
        let raw_median = median(log.iter().map(|p| p.1).collect());
        let ratio = raw_median.as_secs_f64() / gateway_median.as_secs_f64().max(f64::MIN_POSITIVE);
        write_figure(
            "http_get_invoice_paired.txt",
            &format!(
                "HttpGateway::get_invoice vs raw reqwest + serde_json, paired medians over {} \
                 interleaved pairs: {:.1} µs vs {:.1} µs, {ratio:.2} x baseline speed",
                log.len(),
                gateway_median.as_secs_f64() * 1e6,
                raw_median.as_secs_f64() * 1e6,
            ),
        );
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    get_invoice(&mut criterion);
    criterion.final_summary();
}

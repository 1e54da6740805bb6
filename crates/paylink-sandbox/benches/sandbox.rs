//! Criterion bench of the HTTP sandbox under concurrent load, beside a minimal axum server that
//! answers with the very bytes the sandbox sent (`sandbox_http/create_and_get` vs
//! `sandbox_http/minimal_axum_same_bytes`).
//!
//! One iteration is a batch of [`CONCURRENT`] tasks, each doing `POST /v2/invoices` with Basic
//! auth and then `GET /v2/invoices/{id}` with the id it got back, over one shared
//! `reqwest::Client` on a multi-thread runtime that also runs both servers. Criterion reports
//! the throughput in requests per second (two per task). The two benchmarks are measured in
//! pairs: every iteration of either runs one batch against each server, in alternating order,
//! and times only its own, so load from other processes falls on both alike. The sandbox keeps
//! every invoice it creates, so its store grows while the bench runs.

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::routing::{get, post};
use axum::Router;
use criterion::{Criterion, Throughput};
use paylink_fake::FakeGateway;
use paylink_sandbox::{Sandbox, SandboxConfig};
use support::{basic_auth, id_of, CREATE_BODY, KEY};
use tokio::task::JoinSet;

/// Create + get pairs in flight at once in one iteration.
const CONCURRENT: u64 = 16;

/// What every request of a run shares.
#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    base: Arc<str>,
    auth: HeaderValue,
    body: Bytes,
}

/// One create then one get of what was created; the bytes of both answers.
async fn create_and_get(target: &Target) -> Result<(Bytes, Bytes), String> {
    let created = target
        .client
        .post(format!("{}/v2/invoices", target.base))
        .header(AUTHORIZATION, target.auth.clone())
        .header(CONTENT_TYPE, "application/json")
        .body(target.body.clone())
        .send()
        .await
        .map_err(|e| format!("create: {e}"))?;
    if created.status() != reqwest::StatusCode::OK {
        return Err(format!("create answered HTTP {}", created.status()));
    }
    let created = created.bytes().await.map_err(|e| format!("create: {e}"))?;
    let id = id_of(&created).ok_or("the create answer has no id")?;
    let got = target
        .client
        .get(format!("{}/v2/invoices/{id}", target.base))
        .header(AUTHORIZATION, target.auth.clone())
        .send()
        .await
        .map_err(|e| format!("get: {e}"))?;
    if got.status() != reqwest::StatusCode::OK {
        return Err(format!("get answered HTTP {}", got.status()));
    }
    let got = got.bytes().await.map_err(|e| format!("get: {e}"))?;
    Ok((created, got))
}

/// [`CONCURRENT`] create + get pairs at once; how long until the last one ended.
async fn batch(target: &Target) -> Duration {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..CONCURRENT {
        let target = target.clone();
        tasks.spawn(async move { create_and_get(&target).await });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(answers)) => {
                black_box(answers);
            }
            Ok(Err(e)) => panic!("a benchmarked request failed: {e}"),
            Err(e) => panic!("a benchmarked task failed: {e}"),
        }
    }
    start.elapsed()
}

/// Which side of a pair an iteration times.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Sandbox,
    Minimal,
}

/// `iters` pairs of batches; the time spent in `side`'s batches only.
async fn pairs(iters: u64, side: Side, sandbox: &Target, minimal: &Target) -> Duration {
    let mut spent = Duration::ZERO;
    for i in 0..iters {
        let order = if i % 2 == 0 {
            [Side::Sandbox, Side::Minimal]
        } else {
            [Side::Minimal, Side::Sandbox]
        };
        for turn in order {
            let took = match turn {
                Side::Sandbox => batch(sandbox).await,
                Side::Minimal => batch(minimal).await,
            };
            if turn == side {
                spent += took;
            }
        }
    }
    spent
}

/// Serves `create` to every POST of `/v2/invoices` and `get` to every GET of
/// `/v2/invoices/{id}`, as fixed JSON bytes.
async fn start_minimal(create: Bytes, get_answer: Bytes) -> String {
    let json = || [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    let app = Router::new()
        .route(
            "/v2/invoices",
            post(move || {
                let body = create.clone();
                async move { (json(), body) }
            }),
        )
        .route(
            "/v2/invoices/{id}",
            get(move || {
                let body = get_answer.clone();
                async move { (json(), body) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind the minimal server: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("the minimal server's address: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn sandbox_http(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let client = reqwest::Client::builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let auth = basic_auth();

    let (_running, sandbox, minimal): (Sandbox, Target, Target) = rt.block_on(async {
        let config = SandboxConfig {
            secret_key: KEY.to_owned(),
            ..SandboxConfig::default()
        };
        let running = Sandbox::start(config, FakeGateway::builder().seed(1))
            .await
            .unwrap_or_else(|e| panic!("start the sandbox: {e}"));
        let sandbox = Target {
            client: client.clone(),
            base: Arc::from(running.url()),
            auth: auth.clone(),
            body: Bytes::from_static(CREATE_BODY.as_bytes()),
        };
        let (create, get_answer) = create_and_get(&sandbox)
            .await
            .unwrap_or_else(|e| panic!("capture the sandbox's answers: {e}"));
        let base = start_minimal(create.clone(), get_answer.clone()).await;
        let minimal = Target {
            base: Arc::from(base),
            ..sandbox.clone()
        };
        let (min_create, min_get) = create_and_get(&minimal)
            .await
            .unwrap_or_else(|e| panic!("the minimal server: {e}"));
        assert_eq!(min_create, create, "the same create bytes");
        assert_eq!(min_get, get_answer, "the same get bytes");
        (running, sandbox, minimal)
    });

    let mut group = c.benchmark_group("sandbox_http");
    group.throughput(Throughput::Elements(2 * CONCURRENT));
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, side) in [
        ("create_and_get", Side::Sandbox),
        ("minimal_axum_same_bytes", Side::Minimal),
    ] {
        group.bench_function(name, |bench| {
            bench
                .to_async(&rt)
                .iter_custom(|iters| pairs(iters, side, &sandbox, &minimal))
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    sandbox_http(&mut criterion);
    criterion.final_summary();
}

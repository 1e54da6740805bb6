//! The cost of keeping the sandbox's state in a data directory, measured in one run:
//!
//! - `sandbox_data_dir/create_and_get_data_dir` vs `sandbox_data_dir/create_and_get_in_memory`:
//!   batches of [`CONCURRENT`] tasks, each `POST /v2/invoices` then `GET /v2/invoices/{id}`,
//!   against two sandboxes in the same process, one with `--data-dir`, measured in alternating
//!   pairs so other load falls on both alike.
//! - Restart: [`RESTART_INVOICES`] invoices are created over HTTP in a data-dir sandbox (32 at
//!   a time), the sandbox is stopped, and a new one is started on the directory; the time until
//!   it serves is written beside the time the creates took, to
//!   `target/criterion/paylink-figures/sandbox_restart.txt` for `cargo xtask bench`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use criterion::{Criterion, Throughput};
use paylink_fake::FakeGateway;
use paylink_sandbox::{Sandbox, SandboxConfig};
use support::{basic_auth, id_of, CREATE_BODY, KEY};
use tokio::task::JoinSet;

const CONCURRENT: u64 = 16;
const RESTART_INVOICES: usize = 100_000;

#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    base: Arc<str>,
    auth: HeaderValue,
}

async fn create(target: &Target) -> Result<String, String> {
    let answer = target
        .client
        .post(format!("{}/v2/invoices", target.base))
        .header(reqwest::header::AUTHORIZATION, target.auth.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(CREATE_BODY)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("create answered {}", answer.status()));
    }
    let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
    id_of(&bytes)
        .map(str::to_owned)
        .ok_or_else(|| "no id in the answer".to_owned())
}

async fn create_and_get(target: &Target) -> Result<(), String> {
    let id = create(target).await?;
    let answer = target
        .client
        .get(format!("{}/v2/invoices/{id}", target.base))
        .header(reqwest::header::AUTHORIZATION, target.auth.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("get answered {}", answer.status()));
    }
    answer.bytes().await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn batch(target: &Target) -> Duration {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..CONCURRENT {
        let target = target.clone();
        tasks.spawn(async move { create_and_get(&target).await });
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done.unwrap_or_else(|e| Err(e.to_string())) {
            panic!("a request failed: {e}");
        }
    }
    start.elapsed()
}

async fn start(data_dir: Option<std::path::PathBuf>) -> Sandbox {
    let config = SandboxConfig {
        secret_key: KEY.to_owned(),
        data_dir,
        ..SandboxConfig::default()
    };
    Sandbox::start(config, FakeGateway::builder().seed(1))
        .await
        .unwrap_or_else(|e| panic!("start the sandbox: {e}"))
}

fn target(client: &reqwest::Client, sandbox: &Sandbox) -> Target {
    Target {
        client: client.clone(),
        base: Arc::from(sandbox.url()),
        auth: basic_auth(),
    }
}

fn create_and_get_pairs(c: &mut Criterion, rt: &tokio::runtime::Runtime, client: &reqwest::Client) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let (_memory, _kept, memory, kept) = rt.block_on(async {
        let memory = start(None).await;
        let kept = start(Some(dir.path().to_owned())).await;
        let (m, k) = (target(client, &memory), target(client, &kept));
        (memory, kept, m, k)
    });
    let mut group = c.benchmark_group("sandbox_data_dir");
    group.throughput(Throughput::Elements(2 * CONCURRENT));
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, timed_kept) in [
        ("create_and_get_data_dir", true),
        ("create_and_get_in_memory", false),
    ] {
        group.bench_function(name, |bench| {
            bench.to_async(rt).iter_custom(|iters| {
                let (memory, kept) = (memory.clone(), kept.clone());
                async move {
                    let mut spent = Duration::ZERO;
                    for i in 0..iters {
                        let kept_first = i % 2 == 0;
                        for turn_kept in [kept_first, !kept_first] {
                            let took = batch(if turn_kept { &kept } else { &memory }).await;
                            if turn_kept == timed_kept {
                                spent += took;
                            }
                        }
                    }
                    spent
                }
            })
        });
    }
    group.finish();
}

fn restart_figure(rt: &tokio::runtime::Runtime, client: &reqwest::Client) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let (created_in, restarted_in) = rt.block_on(async {
        let sandbox = start(Some(dir.path().to_owned())).await;
        let t = target(client, &sandbox);
        let begin = Instant::now();
        let mut tasks = JoinSet::new();
        let per_task = RESTART_INVOICES / 32;
        for _ in 0..32 {
            let t = t.clone();
            tasks.spawn(async move {
                for _ in 0..per_task {
                    create(&t).await?;
                }
                Ok::<(), String>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done.unwrap_or_else(|e| Err(e.to_string())) {
                panic!("a create failed: {e}");
            }
        }
        let created_in = begin.elapsed();
        sandbox
            .shutdown()
            .await
            .unwrap_or_else(|e| panic!("stop: {e}"));
        let begin = Instant::now();
        let again = start(Some(dir.path().to_owned())).await;
        let restarted_in = begin.elapsed();
        assert_eq!(again.restored_invoices(), Some(per_task * 32));
        (created_in, restarted_in)
    });
    let line = format!(
        "sandbox restart with {} stored invoices: ready in {:.2} s, vs {:.2} s to create them over HTTP (32 clients): {:.3}x the creation time (target below 0.1x)",
        RESTART_INVOICES / 32 * 32,
        restarted_in.as_secs_f64(),
        created_in.as_secs_f64(),
        restarted_in.as_secs_f64() / created_in.as_secs_f64()
    );
    println!("{line}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/criterion/paylink-figures");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("sandbox_restart.txt"), format!("{line}\n"));
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let client = reqwest::Client::new();
    create_and_get_pairs(&mut criterion, &rt, &client);
    restart_figure(&rt, &client);
    criterion.final_summary();
}

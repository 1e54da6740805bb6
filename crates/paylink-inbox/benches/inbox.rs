//! Inbox benchmarks, each against a baseline in the same run: receive (verify, parse, durable
//! insert) vs a bare `INSERT ... ON CONFLICT DO NOTHING` of the same bytes through the same
//! pool, on PostgreSQL and on SQLite; processing with two workers vs one on PostgreSQL. The
//! PostgreSQL groups need `DATABASE_URL` and are skipped (with a message) without it.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion};
use paylink_core::{CallbackToken, CreateInvoiceRequest, Currency, Gateway, RequestOptions};
use paylink_fake::{FakeGateway, PayWith};
use paylink_inbox::{Inbox, InboxStore, NewEvent, PostgresStore, Source, SqliteStore, Worker};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::runtime::Runtime;

#[path = "../tests/support/orders.rs"]
#[allow(dead_code)]
mod orders;

const TOKEN: &str = "bench-token";
const PLACEHOLDER: &str = "INVOICE_PLACEHOLDER";
const BARE: &str =
    "CREATE TABLE IF NOT EXISTS bench_bare (key TEXT PRIMARY KEY, body BYTEA NOT NULL)";
const BARE_INSERT: &str =
    "INSERT INTO bench_bare (key, body) VALUES ($1, $2) ON CONFLICT DO NOTHING";

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A real PAID callback body whose invoice id is a placeholder to make each one unique.
fn template(rt: &Runtime) -> String {
    rt.block_on(async {
        let fake = FakeGateway::new();
        let request =
            CreateInvoiceRequest::builder("order-1", Decimal::from(50_000), Currency::Idr)
                .build()
                .expect("valid");
        let invoice = fake
            .create_invoice(&request, &RequestOptions::default())
            .await
            .expect("created");
        fake.pay(&invoice.id, PayWith::channel("DANA"))
            .expect("paid");
        fake.callbacks()[0].body.replace(&invoice.id, PLACEHOLDER)
    })
}

fn headers() -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("x-callback-token", http::HeaderValue::from_static(TOKEN));
    h
}

fn postgres_options() -> Option<PgConnectOptions> {
    match std::env::var("DATABASE_URL") {
        Ok(url) => PgConnectOptions::from_str(&url).ok(),
        Err(_) => {
            eprintln!("skipped: DATABASE_URL is not set, no PostgreSQL benchmarks");
            None
        }
    }
}

/// A fresh schema and a pool working in it.
async fn pg_pool(options: &PgConnectOptions, max: u32) -> sqlx::PgPool {
    let schema = format!("bench_{}", std::process::id());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .expect("connect");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await
        .expect("drop schema");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    PgPoolOptions::new()
        .max_connections(max)
        .connect_with(options.clone().options([("search_path", schema.as_str())]))
        .await
        .expect("connect")
}

static N: AtomicU64 = AtomicU64::new(0);

fn next_body(template: &str) -> (String, Vec<u8>) {
    let id = format!("inv{:016}", N.fetch_add(1, Ordering::Relaxed));
    let body = template.replace(PLACEHOLDER, &id).into_bytes();
    (id, body)
}

fn receive_postgres(c: &mut Criterion) {
    let Some(options) = postgres_options() else {
        return;
    };
    let rt = runtime();
    let template = template(&rt);
    let store = rt.block_on(async {
        let pool = pg_pool(&options, 4).await;
        sqlx::query(BARE).execute(&pool).await.expect("bare table");
        PostgresStore::from_pool(pool).await.expect("store")
    });
    let inbox = Inbox::new(store.clone(), CallbackToken::from_static(TOKEN));
    let headers = headers();
    let mut group = c.benchmark_group("inbox_receive_postgres");
    group.bench_function("receive", |b| {
        b.to_async(&rt).iter(|| async {
            let (_, body) = next_body(&template);
            inbox.receive(&headers, &body).await.expect("stored")
        });
    });
    group.bench_function("bare_insert", |b| {
        b.to_async(&rt).iter(|| async {
            let (id, body) = next_body(&template);
            sqlx::query(BARE_INSERT)
                .bind(id)
                .bind(body)
                .execute(store.pool())
                .await
                .expect("inserted")
        });
    });
    group.finish();
}

fn receive_sqlite(c: &mut Criterion) {
    let rt = runtime();
    let template = template(&rt);
    let dir = tempfile::tempdir().expect("dir");
    let store = rt.block_on(async {
        let store = SqliteStore::open(dir.path().join("bench.db"))
            .await
            .expect("store");
        sqlx::query(&BARE.replace("BYTEA", "BLOB"))
            .execute(store.pool())
            .await
            .expect("bare table");
        store
    });
    let inbox = Inbox::new(store.clone(), CallbackToken::from_static(TOKEN));
    let headers = headers();
    let mut group = c.benchmark_group("inbox_receive_sqlite");
    group.bench_function("receive", |b| {
        b.to_async(&rt).iter(|| async {
            let (_, body) = next_body(&template);
            inbox.receive(&headers, &body).await.expect("stored")
        });
    });
    group.bench_function("bare_insert", |b| {
        b.to_async(&rt).iter(|| async {
            let (id, body) = next_body(&template);
            sqlx::query(BARE_INSERT)
                .bind(id)
                .bind(body)
                .execute(store.pool())
                .await
                .expect("inserted")
        });
    });
    group.finish();
}

/// Stores `n` PAID events, each for its own pending order.
async fn fill(store: &PostgresStore, template: &str, n: usize) {
    let now = time::OffsetDateTime::now_utc();
    for _ in 0..n {
        let (id, body) = next_body(template);
        let order = format!("order-{id}");
        let body = String::from_utf8(body)
            .expect("utf-8")
            .replace("\"order-1\"", &format!("\"{order}\""));
        sqlx::query(orders::INSERT_ORDER)
            .bind(&order)
            .bind(&id)
            .bind("50000")
            .bind("IDR")
            .execute(store.pool())
            .await
            .expect("order");
        store
            .insert_event(&NewEvent {
                dedupe_key: format!("{id}|PAID|0"),
                webhook_id: None,
                invoice_id: id.clone(),
                external_id: order,
                status: "PAID".into(),
                updated: now,
                source: Source::Webhook,
                body: body.into_bytes(),
                received_at: now,
            })
            .await
            .expect("event");
    }
}

fn process_postgres(c: &mut Criterion) {
    let Some(options) = postgres_options() else {
        return;
    };
    let rt = runtime();
    let template = template(&rt);
    let store = rt.block_on(async {
        let pool = pg_pool(&options, 6).await;
        for statement in orders::SCHEMA {
            sqlx::query(statement).execute(&pool).await.expect("schema");
        }
        PostgresStore::from_pool(pool).await.expect("store")
    });
    let inbox = Inbox::new(store.clone(), CallbackToken::from_static(TOKEN));
    let worker = Worker::new(inbox, Arc::new(orders::AppOrders));
    const BATCH: usize = 64;
    let mut group = c.benchmark_group("inbox_process_postgres");
    group.sample_size(10);
    for workers in [1usize, 2] {
        let name = if workers == 1 {
            "one_worker"
        } else {
            "two_workers"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        fill(&store, &template, BATCH).await;
                        let start = Instant::now();
                        let runs = (0..workers).map(|_| {
                            let w = worker.clone();
                            tokio::spawn(async move { w.drain().await.expect("drained").len() })
                        });
                        let done: usize = futures::future::join_all(runs)
                            .await
                            .into_iter()
                            .map(|r| r.expect("worker"))
                            .sum();
                        total += start.elapsed();
                        assert_eq!(done, BATCH);
                    }
                    total
                })
            });
        });
    }
    group.finish();
}

mod group {
    //! The criterion group (in a private module: the macro's function has no doc comment).
    criterion::criterion_group!(
        benches,
        super::receive_postgres,
        super::receive_sqlite,
        super::process_postgres
    );
}

criterion_main!(group::benches);

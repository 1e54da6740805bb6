//! Shared test support: PostgreSQL schemas per test (required when `CI` is set), SQLite files
//! in a temporary directory, and the conformance fixtures of the three stores.

#![allow(dead_code)]

pub(crate) mod orders;

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use paylink_inbox::conformance::Fixture;
use paylink_inbox::{InboxStore, MemoryStore, MemoryTx, PostgresStore, SqliteStore};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The database the PostgreSQL tests use, or `None` (with the reason printed) when it is not
/// set or not reachable outside CI. Under CI (`CI` set) a missing or unreachable database
/// fails the test.
pub(crate) async fn postgres_options() -> Option<PgConnectOptions> {
    let in_ci = std::env::var_os("CI").is_some();
    let Ok(url) = std::env::var("DATABASE_URL") else {
        assert!(
            !in_ci,
            "DATABASE_URL must point at PostgreSQL when CI is set (.ci/run sets it up)"
        );
        eprintln!("skipped: DATABASE_URL is not set, so the PostgreSQL tests do not run");
        return None;
    };
    let options = match PgConnectOptions::from_str(&url) {
        Ok(o) => o,
        Err(_) => panic!("DATABASE_URL is not a valid PostgreSQL URL"),
    };
    match sqlx::ConnectOptions::connect(&options).await {
        Ok(conn) => {
            drop(conn);
            Some(options)
        }
        Err(e) => {
            assert!(
                !in_ci,
                "PostgreSQL at DATABASE_URL is unreachable under CI: {}",
                describe(&e)
            );
            eprintln!(
                "skipped: PostgreSQL at DATABASE_URL is unreachable ({})",
                describe(&e)
            );
            None
        }
    }
}

fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Configuration(_) => "invalid connection settings".into(),
        other => other.to_string(),
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A schema of its own for one test; pools built with [`schema_pool`] see only it.
pub(crate) async fn fresh_schema(options: &PgConnectOptions) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("t_{}_{n}_{nanos}", std::process::id());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .expect("connect");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    schema
}

/// A pool whose connections work in `schema`.
pub(crate) async fn schema_pool(options: &PgConnectOptions, schema: &str, max: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max)
        .connect_with(options.clone().options([("search_path", schema)]))
        .await
        .expect("connect")
}

/// The in-memory store's fixture: markers are kept in memory, written on commit.
#[derive(Default)]
pub(crate) struct MemoryFixture {
    markers: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Fixture for MemoryFixture {
    type Store = MemoryStore;

    async fn fresh(&self) -> MemoryStore {
        self.markers.lock().expect("markers").clear();
        MemoryStore::new()
    }

    async fn reopen(&self, store: &MemoryStore) -> MemoryStore {
        store.clone()
    }

    async fn write_marker(&self, tx: &mut MemoryTx, marker: &str) {
        let markers = Arc::clone(&self.markers);
        let marker = marker.to_owned();
        tx.on_commit(move || markers.lock().expect("markers").push(marker));
    }

    async fn markers(&self, _store: &MemoryStore) -> Vec<String> {
        self.markers.lock().expect("markers").clone()
    }
}

const MARKERS: &str = "CREATE TABLE IF NOT EXISTS conformance_markers (marker TEXT NOT NULL)";

/// The SQLite store's fixture: a file in a temporary directory.
pub(crate) struct SqliteFixture {
    dir: tempfile::TempDir,
    next: AtomicU32,
}

impl SqliteFixture {
    pub(crate) fn new() -> Self {
        SqliteFixture {
            dir: tempfile::tempdir().expect("temporary directory"),
            next: AtomicU32::new(0),
        }
    }
}

#[async_trait]
impl Fixture for SqliteFixture {
    type Store = SqliteStore;

    async fn fresh(&self) -> SqliteStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let store = SqliteStore::open(self.dir.path().join(format!("inbox-{n}.db")))
            .await
            .expect("open");
        sqlx::query(MARKERS)
            .execute(store.pool())
            .await
            .expect("markers table");
        store
    }

    async fn reopen(&self, store: &SqliteStore) -> SqliteStore {
        let n = self.next.load(Ordering::Relaxed) - 1;
        store.pool().close().await;
        SqliteStore::open(self.dir.path().join(format!("inbox-{n}.db")))
            .await
            .expect("reopen")
    }

    async fn write_marker(&self, tx: &mut <SqliteStore as InboxStore>::Tx, marker: &str) {
        sqlx::query("INSERT INTO conformance_markers (marker) VALUES ($1)")
            .bind(marker)
            .execute(&mut **tx)
            .await
            .expect("write marker");
    }

    async fn markers(&self, store: &SqliteStore) -> Vec<String> {
        sqlx::query_scalar("SELECT marker FROM conformance_markers")
            .fetch_all(store.pool())
            .await
            .expect("read markers")
    }
}

/// The PostgreSQL store's fixture: a schema per store.
pub(crate) struct PostgresFixture {
    options: PgConnectOptions,
    schema: Mutex<String>,
}

impl PostgresFixture {
    /// `None` when PostgreSQL is not available outside CI.
    pub(crate) async fn new() -> Option<Self> {
        Some(PostgresFixture {
            options: postgres_options().await?,
            schema: Mutex::new(String::new()),
        })
    }
}

#[async_trait]
impl Fixture for PostgresFixture {
    type Store = PostgresStore;

    async fn fresh(&self) -> PostgresStore {
        let schema = fresh_schema(&self.options).await;
        let pool = schema_pool(&self.options, &schema, 4).await;
        *self.schema.lock().expect("schema") = schema;
        let store = PostgresStore::from_pool(pool).await.expect("migrate");
        sqlx::query(MARKERS)
            .execute(store.pool())
            .await
            .expect("markers table");
        store
    }

    async fn reopen(&self, store: &PostgresStore) -> PostgresStore {
        store.pool().close().await;
        let schema = self.schema.lock().expect("schema").clone();
        let pool = schema_pool(&self.options, &schema, 4).await;
        PostgresStore::from_pool(pool).await.expect("migrate")
    }

    async fn write_marker(&self, tx: &mut <PostgresStore as InboxStore>::Tx, marker: &str) {
        sqlx::query("INSERT INTO conformance_markers (marker) VALUES ($1)")
            .bind(marker)
            .execute(&mut **tx)
            .await
            .expect("write marker");
    }

    async fn markers(&self, store: &PostgresStore) -> Vec<String> {
        sqlx::query_scalar("SELECT marker FROM conformance_markers")
            .fetch_all(store.pool())
            .await
            .expect("read markers")
    }
}

//! The sandbox's state on disk (`--data-dir`): one SQLite database, through sqlx as
//! `paylink-inbox` keeps its events, migrated with `sqlx::migrate!`. It holds state, not a
//! replay of requests: each account's engine, its invoices, the webhook deliveries and their
//! attempts, and the clock's offset, so a restart reads them back in the time it takes to read
//! the rows.
//!
//! Every change is written before the answer that reports it: a request's answer waits until
//! a commit covers its change. Commits are grouped (one transaction carries every change made
//! while the previous one was being written), and the database runs in write-ahead-log mode
//! with `synchronous=NORMAL`: a committed change survives the sandbox being killed (`kill -9`),
//! though not the machine losing power, which is the right trade for a development tool.
//!
//! A directory holding something else (a file that is not a database, a database of another
//! program) or a database written by a newer sandbox is refused with an error saying so, and
//! left exactly as it was. The database is opened in exclusive locking mode, so a second
//! sandbox on the same directory is refused too.

mod commit;
pub(crate) mod load;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteLockingMode, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row};

pub(crate) use commit::Committer;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "paylink-sandbox.sqlite";

/// Why the data directory could not be used. It is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data directory {}: {message}", dir.display())]
pub struct StoreError {
    /// The directory.
    pub dir: PathBuf,
    /// What is wrong, and what to do about it.
    pub message: String,
}

impl StoreError {
    fn new(dir: &Path, message: impl Into<String>) -> Self {
        StoreError {
            dir: dir.to_owned(),
            message: message.into(),
        }
    }
}

fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// The newest schema version this sandbox knows.
fn known_version() -> i64 {
    migrator().iter().map(|m| m.version).max().unwrap_or(0)
}

/// Opens (or creates) the database in `dir`, checks it is a sandbox database this version can
/// read, and migrates it. Returns the connection the writer keeps.
pub(crate) async fn open(dir: &Path) -> Result<SqliteConnection, StoreError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::new(dir, format!("could not be created: {e}")))?;
    let path = dir.join(DATABASE_FILE);
    if path.exists() {
        inspect(dir, &path).await?;
    }
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(std::time::Duration::from_millis(500))
        .disable_statement_logging();
    let mut conn = options
        .connect()
        .await
        .map_err(|e| StoreError::new(dir, describe_open(&e)))?;
    // Exclusive locking takes the lock at the first write: take it now, so a second sandbox
    // on this directory is refused at start rather than at its first change.
    sqlx::query("BEGIN IMMEDIATE; COMMIT;")
        .execute(&mut conn)
        .await
        .map_err(|e| StoreError::new(dir, describe_open(&e)))?;
    migrator()
        .run_direct(&mut conn)
        .await
        .map_err(|e| StoreError::new(dir, format!("could not be migrated: {e}")))?;
    Ok(conn)
}

/// Looks at an existing database without writing to it: it must be an SQLite database whose
/// tables are this sandbox's, at a schema version this sandbox knows.
async fn inspect(dir: &Path, path: &Path) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::from_str("sqlite://")
        .map_err(|e| StoreError::new(dir, e.to_string()))?
        .filename(path)
        .read_only(true)
        .disable_statement_logging();
    let mut conn = options
        .connect()
        .await
        .map_err(|e| StoreError::new(dir, describe_open(&e)))?;
    let tables: Vec<String> =
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| StoreError::new(dir, describe_open(&e)))?
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect();
    let ours = ["_sqlx_migrations", "engines", "invoices", "sandbox_meta"];
    if !tables.is_empty() && !ours.iter().all(|t| tables.iter().any(|have| have == t)) {
        return Err(StoreError::new(
            dir,
            format!(
                "{} is an SQLite database of another program (tables: {}); it was left \
                 untouched: pick another --data-dir",
                DATABASE_FILE,
                tables.join(", ")
            ),
        ));
    }
    if tables.is_empty() {
        return Ok(());
    }
    let newest: Option<i64> = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| StoreError::new(dir, describe_open(&e)))?
        .get(0);
    if let Some(v) = newest.filter(|&v| v > known_version()) {
        return Err(StoreError::new(
            dir,
            format!(
                "was written by a newer paylink sandbox (schema version {v}; this one knows up \
                 to {}); it was left untouched: run the newer sandbox, or pick another \
                 --data-dir",
                known_version()
            ),
        ));
    }
    conn.close().await.ok();
    Ok(())
}

fn describe_open(e: &sqlx::Error) -> String {
    let text = e.to_string();
    if text.contains("file is not a database") {
        format!(
            "{DATABASE_FILE} is not an SQLite database (damaged, or another file of that name); \
             it was left untouched: move it away, or pick another --data-dir"
        )
    } else if text.contains("database is locked") {
        format!("{DATABASE_FILE} is in use by another sandbox (it is locked)")
    } else {
        format!("{DATABASE_FILE} could not be opened: {text}")
    }
}

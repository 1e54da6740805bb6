//! The SQLite store, the embedded default: one file, write-ahead log, `synchronous=FULL` so an
//! acknowledged event survives a crash, and one writer at a time (a claim begins with
//! `BEGIN IMMEDIATE` and holds the write lock while the handler runs).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Sqlite;

use super::sql::sql_store;
use super::StoreError;

/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite store. Its [`InboxStore::Tx`](super::InboxStore::Tx) is a
/// `sqlx::Transaction<'static, Sqlite>`: a handler writes the application's tables in it.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and applies the inbox's
    /// migrations.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the file cannot be opened, [`StoreError::Migration`].
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(StoreError::db("open the SQLite database"))?;
        SqliteStore::from_pool(pool).await
    }

    /// A private database in memory (one connection), for tests.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(StoreError::db("open the SQLite database"))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(StoreError::db("open the SQLite database"))?;
        SqliteStore::from_pool(pool).await
    }

    /// A store over an existing pool (the application's own, so its handler writes in the
    /// same database); applies the inbox's migrations.
    ///
    /// # Errors
    /// [`StoreError::Migration`].
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        // The application may keep its own migrations in the same `_sqlx_migrations` table.
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore { pool })
    }

    /// The pool, for the application's own queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    const CLAIM_SUFFIX: &'static str = "";

    /// Takes the write lock at once, so two workers never both read and then fight to write.
    async fn begin_claim(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

sql_store!(SqliteStore, Sqlite);

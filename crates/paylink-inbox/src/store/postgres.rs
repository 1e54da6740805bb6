//! The PostgreSQL store, for many instances on one database: a claim locks its event with
//! `FOR UPDATE SKIP LOCKED`, so workers in any number of processes share the queue and never
//! hold the same event; the lock (and the handler's writes) go with the transaction.

use std::fmt;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Postgres;

use super::sql::sql_store;
use super::StoreError;

/// The PostgreSQL store. Its [`InboxStore::Tx`](super::InboxStore::Tx) is a
/// `sqlx::Transaction<'static, Postgres>`: a handler writes the application's tables in it
/// (and should lock the order row with `SELECT ... FOR UPDATE`).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host/db`) with a pool of up to
    /// `max_connections` and applies the inbox's migrations. The URL never appears in errors.
    ///
    /// # Errors
    /// [`StoreError::Database`] when it cannot connect, [`StoreError::Migration`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect(url)
            .await
            .map_err(StoreError::db("connect to PostgreSQL"))?;
        PostgresStore::from_pool(pool).await
    }

    /// A store over an existing pool (the application's own, so its handler writes in the
    /// same database); applies the inbox's migrations (under PostgreSQL's advisory lock, so
    /// instances starting together are safe).
    ///
    /// # Errors
    /// [`StoreError::Migration`].
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        // The application may keep its own migrations in the same `_sqlx_migrations` table.
        migrator.set_ignore_missing(true);
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(PostgresStore { pool })
    }

    /// The pool, for the application's own queries.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    const CLAIM_SUFFIX: &'static str = "FOR UPDATE SKIP LOCKED";

    async fn begin_claim(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

sql_store!(PostgresStore, Postgres);

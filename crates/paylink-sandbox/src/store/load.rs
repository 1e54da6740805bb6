//! Reading the state back at start, and handing it to the engines and the deliverer.

use std::collections::BTreeMap;
use std::path::Path;

use paylink_fake::{EngineSnapshot, InvoiceSnapshot};
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteConnection;
use sqlx::Row;

use super::StoreError;
use crate::delivery::{DeliveryAttempt, DeliveryRecord};
use crate::state::SandboxState;

/// One account's state as stored.
pub(crate) struct StoredAccount {
    engine: EngineSnapshot,
    invoices: Vec<InvoiceSnapshot>,
}

/// Everything the data directory holds.
pub(crate) struct Loaded {
    accounts: BTreeMap<String, StoredAccount>,
    deliveries: Vec<DeliveryRecord>,
    attempts: Vec<DeliveryAttempt>,
    clock_offset_ms: Option<i64>,
}

impl Loaded {
    /// Whether the directory held no state yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.deliveries.is_empty()
    }

    /// How many invoices it holds, over every account.
    pub(crate) fn invoice_count(&self) -> usize {
        self.accounts.values().map(|a| a.invoices.len()).sum()
    }
}

fn decode<T: DeserializeOwned>(
    dir: &Path,
    table: &str,
    key: &str,
    json: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| {
        StoreError::new(
            dir,
            format!("the {table} row {key} is damaged ({e}); the directory was left untouched"),
        )
    })
}

fn read_error(dir: &Path, e: sqlx::Error) -> StoreError {
    StoreError::new(dir, format!("could not be read: {e}"))
}

/// Reads every row.
pub(crate) async fn load(conn: &mut SqliteConnection, dir: &Path) -> Result<Loaded, StoreError> {
    let mut accounts = BTreeMap::new();
    for row in sqlx::query("SELECT account, state FROM engines")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| read_error(dir, e))?
    {
        let name: String = row.get(0);
        let engine = decode(dir, "engines", &name, row.get(1))?;
        accounts.insert(
            name,
            StoredAccount {
                engine,
                invoices: Vec::new(),
            },
        );
    }
    let rows =
        sqlx::query("SELECT account, position, state FROM invoices ORDER BY account, position")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| read_error(dir, e))?;
    for row in rows {
        let name: String = row.get(0);
        let position: i64 = row.get(1);
        let key = format!("{name}/{position}");
        let Some(account) = accounts.get_mut(&name) else {
            return Err(StoreError::new(
                dir,
                format!("invoice {key} belongs to no stored account; the directory is damaged"),
            ));
        };
        if usize::try_from(position).ok() != Some(account.invoices.len()) {
            return Err(StoreError::new(
                dir,
                format!(
                    "account `{name}` has no invoice at position {}; the directory is damaged",
                    account.invoices.len()
                ),
            ));
        }
        account
            .invoices
            .push(decode(dir, "invoices", &key, row.get(2))?);
    }
    let mut deliveries = Vec::new();
    for row in sqlx::query("SELECT id, state FROM deliveries ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| read_error(dir, e))?
    {
        let id: i64 = row.get(0);
        deliveries.push(decode(dir, "deliveries", &id.to_string(), row.get(1))?);
    }
    let mut attempts = Vec::new();
    for row in sqlx::query("SELECT seq, state FROM attempts ORDER BY seq")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| read_error(dir, e))?
    {
        let seq: i64 = row.get(0);
        attempts.push(decode(dir, "attempts", &seq.to_string(), row.get(1))?);
    }
    let clock_offset_ms =
        sqlx::query("SELECT value FROM sandbox_meta WHERE key = 'clock_offset_ms'")
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| read_error(dir, e))?
            .map(|row| row.get::<String, _>(0))
            .map(|v| decode::<i64>(dir, "sandbox_meta", "clock_offset_ms", &v))
            .transpose()?;
    Ok(Loaded {
        accounts,
        deliveries,
        attempts,
        clock_offset_ms,
    })
}

/// Puts the stored state into the sandbox's engines and deliverer (and resumes unfinished
/// deliveries). An account configured now but not stored starts empty; one stored but not
/// configured now is kept on disk, untouched, and named in the log.
pub(crate) fn apply(state: &SandboxState, loaded: Loaded, dir: &Path) -> Result<(), StoreError> {
    let Loaded {
        mut accounts,
        deliveries,
        attempts,
        clock_offset_ms,
    } = loaded;
    for account in state.accounts() {
        if let Some(stored) = accounts.remove(account.name()) {
            account
                .engine()
                .restore(&stored.engine, stored.invoices)
                .map_err(|e| {
                    StoreError::new(
                        dir,
                        format!(
                            "account `{}`: {e}; the directory is damaged and was left untouched",
                            account.name()
                        ),
                    )
                })?;
        }
    }
    for name in accounts.keys() {
        tracing::warn!(account = %name, "the data directory holds an account not configured now; its invoices are kept but not served");
    }
    if let Some(ms) = clock_offset_ms {
        state.set_clock_offset(time::Duration::milliseconds(ms));
    }
    state.deliverer().restore(deliveries, attempts);
    Ok(())
}

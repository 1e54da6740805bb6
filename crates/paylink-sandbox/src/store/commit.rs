//! The writer: one task owns the database connection and commits every change in groups; a
//! request's answer waits until a commit covers the changes made before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::sqlite::SqliteConnection;
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use crate::error::ErrorAnswer;
use crate::lock;
use crate::state::SandboxState;

/// How often the writer looks for changes nobody waits for (webhook attempts, links expiring
/// with the wall clock, calls on an engine handle).
const SWEEP: Duration = Duration::from_millis(50);

type Waiter = oneshot::Sender<Result<(), String>>;

/// The handle on the writer task.
pub(crate) struct Committer {
    tx: mpsc::UnboundedSender<Waiter>,
    durable: AtomicU64,
    broken: Mutex<Option<String>>,
    bell: Notify,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Committer {
    /// Starts the writer on `conn` for `state` and attaches it. Every engine and the
    /// deliverer must already track their changes.
    pub(crate) fn start(conn: SqliteConnection, state: &Arc<SandboxState>) -> Arc<Committer> {
        let (tx, rx) = mpsc::unbounded_channel();
        let committer = Arc::new(Committer {
            tx,
            durable: AtomicU64::new(state.change_count()),
            broken: Mutex::new(None),
            bell: Notify::new(),
            task: Mutex::new(None),
        });
        let task = tokio::spawn(run(
            conn,
            Arc::downgrade(state),
            Arc::downgrade(&committer),
            rx,
        ));
        *lock(&committer.task) = Some(task);
        state.set_store(Arc::clone(&committer));
        committer
    }

    /// Asks for a commit soon (a change was made outside a request).
    pub(crate) fn ring(&self) {
        self.bell.notify_one();
    }

    /// Waits until a commit covers `target` (a change count read after the changes).
    pub(crate) async fn flush(&self, target: u64) -> Result<(), ErrorAnswer> {
        if let Some(message) = lock(&self.broken).clone() {
            return Err(storage_error(&message));
        }
        if self.durable.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(tx)
            .map_err(|_| storage_error("the writer has stopped"))?;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(storage_error(&message)),
            Err(_) => Err(storage_error("the writer has stopped")),
        }
    }

    /// Stops the writer (what was committed stays).
    pub(crate) fn stop(&self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

fn storage_error(message: &str) -> ErrorAnswer {
    ErrorAnswer::new(
        500,
        "STORAGE_ERROR",
        format!("the change was made but could not be written to the data directory: {message}"),
    )
}

async fn run(
    mut conn: SqliteConnection,
    state: Weak<SandboxState>,
    committer: Weak<Committer>,
    mut rx: mpsc::UnboundedReceiver<Waiter>,
) {
    loop {
        let mut waiters = Vec::new();
        {
            let Some(me) = committer.upgrade() else {
                return;
            };
            tokio::select! {
                waiter = rx.recv() => match waiter {
                    Some(w) => waiters.push(w),
                    None => return,
                },
                () = me.bell.notified() => {}
                () = tokio::time::sleep(SWEEP) => {}
            }
        }
        while let Ok(w) = rx.try_recv() {
            waiters.push(w);
        }
        let (Some(state), Some(me)) = (state.upgrade(), committer.upgrade()) else {
            return;
        };
        if waiters.is_empty() && state.change_count() <= me.durable.load(Ordering::Acquire) {
            continue;
        }
        let outcome = match commit(&mut conn, &state).await {
            Ok(count) => {
                me.durable.fetch_max(count, Ordering::AcqRel);
                Ok(())
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!(error = %message, "could not write to the data directory; changes from now on are not kept");
                *lock(&me.broken) = Some(message.clone());
                Err(message)
            }
        };
        for w in waiters {
            let _ = w.send(outcome.clone());
        }
    }
}

/// Takes every change and writes it in one transaction. Returns the change count covered.
async fn commit(conn: &mut SqliteConnection, state: &SandboxState) -> Result<u64, sqlx::Error> {
    let mut count = state.meta_change_count();
    let offset_ms = i64::try_from(state.clock_offset().whole_milliseconds()).unwrap_or(0);
    let mut engines = Vec::new();
    for account in state.accounts() {
        let changes = account.engine().take_changes();
        count = count.wrapping_add(changes.change_count);
        for callback in &changes.callbacks {
            state
                .deliverer()
                .enqueue_for(account.name(), &callback.body);
        }
        engines.push((account.name().to_owned(), changes));
    }
    let deliveries = state.deliverer().take_changes();
    count = count.wrapping_add(deliveries.change_count);

    let mut tx = conn.begin().await?;
    for (name, changes) in &engines {
        if changes.reset {
            sqlx::query("DELETE FROM invoices WHERE account = ?")
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO engines (account, state) VALUES (?, ?) \
             ON CONFLICT (account) DO UPDATE SET state = excluded.state",
        )
        .bind(name)
        .bind(to_json(&changes.engine)?)
        .execute(&mut *tx)
        .await?;
        for (position, invoice) in &changes.invoices {
            sqlx::query(
                "INSERT INTO invoices (account, position, id, state) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (account, position) DO UPDATE SET id = excluded.id, state = excluded.state",
            )
            .bind(name)
            .bind(i64::from(*position))
            .bind(&invoice.id)
            .bind(to_json(invoice)?)
            .execute(&mut *tx)
            .await?;
        }
    }
    if deliveries.reset {
        sqlx::query("DELETE FROM deliveries")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM attempts")
            .execute(&mut *tx)
            .await?;
    }
    for delivery in &deliveries.deliveries {
        sqlx::query(
            "INSERT INTO deliveries (id, account, state) VALUES (?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state",
        )
        .bind(i64::try_from(delivery.id).unwrap_or(i64::MAX))
        .bind(&delivery.account)
        .bind(to_json(delivery)?)
        .execute(&mut *tx)
        .await?;
    }
    for attempt in &deliveries.attempts {
        sqlx::query("INSERT INTO attempts (delivery_id, state) VALUES (?, ?)")
            .bind(i64::try_from(attempt.delivery_id).unwrap_or(i64::MAX))
            .bind(to_json(attempt)?)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO sandbox_meta (key, value) VALUES ('clock_offset_ms', ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(offset_ms.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(count)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

//! A real process killed between receiving a webhook and processing it, and one killed in the
//! middle of processing it (its SQLite transaction open): on restart the event is there and is
//! processed, and the order moves exactly once.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use paylink_core::{CreateInvoiceRequest, Currency, Gateway, RequestOptions};
use paylink_fake::{FakeGateway, PayWith};
use paylink_inbox::{EventState, Inbox, InboxStore, SqliteStore, Worker};
use rust_decimal::Decimal;
use support::orders::{AppOrders, INSERT_ORDER, SCHEMA};

const TOKEN: &str = "crash-test-token";

/// Creates the order and pays its link at the fake; returns the PAID callback body.
async fn paid_order(db: &Path) -> String {
    let fake = FakeGateway::new();
    let request = CreateInvoiceRequest::builder("order-1", Decimal::from(25_000), Currency::Idr)
        .build()
        .expect("valid");
    let invoice = fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("created");
    fake.pay(&invoice.id, PayWith::channel("DANA"))
        .expect("paid");
    let store = SqliteStore::open(db).await.expect("open");
    for statement in SCHEMA {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("schema");
    }
    sqlx::query(INSERT_ORDER)
        .bind("order-1")
        .bind(&invoice.id)
        .bind("25000")
        .bind("IDR")
        .execute(store.pool())
        .await
        .expect("order");
    store.pool().close().await;
    fake.callbacks()[0].body.to_string()
}

/// Runs the child until it prints `until`, then kills it (SIGKILL).
fn run_child_and_kill(db: &Path, mode: &str, body: &str, until: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paylink-inbox-crash-child"))
        .arg(db)
        .arg(mode)
        .env("PAYLINK_CRASH_TOKEN", TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(body.as_bytes()).expect("body");
    drop(stdin);
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("a line");
        let done = line == until;
        seen.push(line);
        if done {
            break;
        }
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some(until),
        "the child said {seen:?}"
    );
    child.kill().expect("kill");
    let status = child.wait().expect("wait");
    assert!(
        !status.success(),
        "the child was killed, not finished: {status}"
    );
}

async fn restart_and_process(db: &Path) {
    let store = SqliteStore::open(db).await.expect("reopen after the crash");
    let (state,): (String,) = sqlx::query_as("SELECT state FROM app_orders WHERE id = 'order-1'")
        .fetch_one(store.pool())
        .await
        .expect("order");
    assert_eq!(
        state, "PENDING",
        "nothing of the killed attempt is committed"
    );
    let pending = store
        .events(&paylink_inbox::EventFilter::state(EventState::Pending))
        .await
        .expect("events");
    assert_eq!(pending.len(), 1, "the received event survived the crash");
    let inbox = Inbox::new(
        store.clone(),
        paylink_core::CallbackToken::from_static(TOKEN),
    );
    let worker = Worker::new(inbox, Arc::new(AppOrders));
    let processed = worker.drain().await.expect("processed");
    assert_eq!(processed.len(), 1);
    let (state,): (String,) = sqlx::query_as("SELECT state FROM app_orders WHERE id = 'order-1'")
        .fetch_one(store.pool())
        .await
        .expect("order");
    assert_eq!(state, "PAID");
    let (transitions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM app_transitions")
        .fetch_one(store.pool())
        .await
        .expect("transitions");
    assert_eq!(transitions, 1);
    let counts = store.counts().await.expect("counts");
    assert_eq!((counts.pending, counts.done), (0, 1));
}

#[tokio::test]
async fn an_event_received_by_a_killed_process_is_processed_after_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let body = paid_order(&db).await;
    run_child_and_kill(&db, "after-receive", &body, "stored 1");
    restart_and_process(&db).await;
}

#[tokio::test]
async fn a_process_killed_mid_processing_leaves_nothing_half_done_and_the_restart_finishes_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let body = paid_order(&db).await;
    run_child_and_kill(&db, "mid-processing", &body, "mid-processing");
    restart_and_process(&db).await;
}

//! Test support for the crash test (`tests/crash.rs`): a process that receives one webhook
//! into a SQLite inbox and then stops where the test kills it. Not for production use.
//!
//! `paylink-inbox-crash-child <database file> <mode>`, the callback body on standard input,
//! the token in `PAYLINK_CRASH_TOKEN`. Modes: `after-receive` prints `stored <id>` once the
//! event is durable and waits to be killed; `mid-processing` also claims the event, writes the
//! order's change in the claim's transaction, prints `mid-processing` and waits to be killed.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use paylink_core::{CallbackToken, InvoiceEvent, CALLBACK_TOKEN_HEADER};
use paylink_inbox::{HandlerError, Inbox, LocalOrder, OrderHandler, Outcome, SqliteStore, Worker};
use sqlx::{Sqlite, Transaction};

/// Writes the order's new state, says so, and never returns.
struct HangAfterWrite;

#[async_trait]
impl OrderHandler<Transaction<'static, Sqlite>> for HangAfterWrite {
    async fn load(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        event: &InvoiceEvent,
    ) -> Result<Option<LocalOrder>, HandlerError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT invoice_id FROM app_orders WHERE id = $1")
                .bind(&event.callback.external_id)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(row.map(|(invoice_id,)| LocalOrder {
            invoice_id,
            state: paylink_core::LinkState::Pending,
            amount: event.callback.amount,
            currency: event.callback.currency,
        }))
    }

    async fn apply(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        event: &InvoiceEvent,
        _order: &LocalOrder,
        outcome: &Outcome,
    ) -> Result<(), HandlerError> {
        if let Some(to) = outcome.new_state() {
            sqlx::query("UPDATE app_orders SET state = $2 WHERE id = $1")
                .bind(&event.callback.external_id)
                .bind(to.status().as_str())
                .execute(&mut **tx)
                .await?;
        }
        say("mid-processing");
        std::future::pending::<()>().await;
        Ok(())
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, mode] = args.as_slice() else {
        eprintln!(
            "usage: paylink-inbox-crash-child <database file> <after-receive|mid-processing>"
        );
        return ExitCode::from(2);
    };
    let Ok(token) = std::env::var("PAYLINK_CRASH_TOKEN") else {
        eprintln!("PAYLINK_CRASH_TOKEN must be set");
        return ExitCode::from(2);
    };
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        eprintln!("could not read the body: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let store = match SqliteStore::open(path).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let token_value = match CallbackToken::new(token.clone()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let inbox = Inbox::new(store, token_value);
        let mut headers = http::HeaderMap::new();
        match http::HeaderValue::from_str(&token) {
            Ok(v) => headers.insert(CALLBACK_TOKEN_HEADER, v),
            Err(_) => return ExitCode::from(2),
        };
        match inbox.receive(&headers, &body).await {
            Ok(received) => say(&format!("stored {}", received.id)),
            Err(refusal) => {
                eprintln!("refused: {refusal}");
                return ExitCode::FAILURE;
            }
        }
        if mode == "mid-processing" {
            let worker = Worker::new(inbox, Arc::new(HangAfterWrite));
            if let Err(e) = worker.process_one().await {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
        std::future::pending::<()>().await;
        ExitCode::SUCCESS
    })
}

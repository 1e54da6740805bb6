//! A test application's orders in the inbox's own database (PostgreSQL or SQLite): the order
//! handler writes each transition and each flagged outcome in the claim's transaction.

use std::str::FromStr;

use async_trait::async_trait;
use paylink_core::{Currency, InvoiceEvent, InvoiceStatus, LinkState};
use paylink_inbox::{HandlerError, LocalOrder, OrderHandler, Outcome};
use rust_decimal::Decimal;
use sqlx::{Postgres, Row, Sqlite, Transaction};

pub(crate) const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS app_orders (id TEXT PRIMARY KEY, invoice_id TEXT NOT NULL, \
     state TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL, review TEXT)",
    "CREATE TABLE IF NOT EXISTS app_transitions (order_id TEXT NOT NULL, from_state TEXT NOT NULL, \
     to_state TEXT NOT NULL)",
];

pub(crate) const INSERT_ORDER: &str =
    "INSERT INTO app_orders (id, invoice_id, state, amount, currency) \
    VALUES ($1, $2, 'PENDING', $3, $4)";

fn local(row: &impl RowLike) -> Result<LocalOrder, HandlerError> {
    let state = row.text("state")?;
    Ok(LocalOrder {
        invoice_id: row.text("invoice_id")?,
        state: LinkState::from_status(&InvoiceStatus::from(state.as_str()))
            .ok_or_else(|| HandlerError::new(format!("state: unknown `{state}`")))?,
        amount: Decimal::from_str(&row.text("amount")?)
            .map_err(|e| HandlerError::new(format!("amount: {e}")))?,
        currency: Currency::from_str(&row.text("currency")?)
            .map_err(|e| HandlerError::new(format!("currency: {e}")))?,
    })
}

trait RowLike {
    fn text(&self, column: &str) -> Result<String, HandlerError>;
}

impl RowLike for sqlx::postgres::PgRow {
    fn text(&self, column: &str) -> Result<String, HandlerError> {
        Ok(self.try_get(column)?)
    }
}

impl RowLike for sqlx::sqlite::SqliteRow {
    fn text(&self, column: &str) -> Result<String, HandlerError> {
        Ok(self.try_get(column)?)
    }
}

/// The handler, for either database.
#[derive(Debug, Default)]
pub(crate) struct AppOrders;

macro_rules! handler {
    ($db:ty, $lock:literal) => {
        #[async_trait]
        impl OrderHandler<Transaction<'static, $db>> for AppOrders {
            async fn load(
                &self,
                tx: &mut Transaction<'static, $db>,
                event: &InvoiceEvent,
            ) -> Result<Option<LocalOrder>, HandlerError> {
                let row = sqlx::query(concat!(
                    "SELECT invoice_id, state, amount, currency FROM app_orders WHERE id = $1",
                    $lock
                ))
                .bind(&event.callback.external_id)
                .fetch_optional(&mut **tx)
                .await?;
                row.as_ref().map(local).transpose()
            }

            async fn apply(
                &self,
                tx: &mut Transaction<'static, $db>,
                event: &InvoiceEvent,
                order: &LocalOrder,
                outcome: &Outcome,
            ) -> Result<(), HandlerError> {
                let id = &event.callback.external_id;
                if let Some(to) = outcome.new_state() {
                    sqlx::query("UPDATE app_orders SET state = $2 WHERE id = $1")
                        .bind(id)
                        .bind(to.status().as_str())
                        .execute(&mut **tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO app_transitions (order_id, from_state, to_state) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(order.state.status().as_str())
                    .bind(to.status().as_str())
                    .execute(&mut **tx)
                    .await?;
                }
                if outcome.needs_attention() {
                    sqlx::query("UPDATE app_orders SET review = $2 WHERE id = $1")
                        .bind(id)
                        .bind(outcome.code())
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }
        }
    };
}

handler!(Postgres, " FOR UPDATE");
handler!(Sqlite, "");

//! What the SQLite and PostgreSQL stores share: the statements (both read `$1` placeholders)
//! and, as a macro, the `InboxStore` implementation over a sqlx pool. Each store supplies how a
//! claim begins (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE SKIP LOCKED` on PostgreSQL).

/// The savepoint the handler's writes run under, so a failed attempt undoes them but keeps
/// the claim's own bookkeeping.
pub(crate) const SAVEPOINT: &str = "SAVEPOINT paylink_inbox_handler";
pub(crate) const RELEASE: &str = "RELEASE SAVEPOINT paylink_inbox_handler";
pub(crate) const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT paylink_inbox_handler";

pub(crate) const COLUMNS: &str = "id, dedupe_key, webhook_id, invoice_id, external_id, status, \
    updated_ms, source, body, received_ms, duplicates, state, attempts, next_attempt_ms, \
    last_error, outcome, detail, attention, processed_ms";

pub(crate) const INSERT_EVENT: &str = "INSERT INTO paylink_inbox_events \
    (dedupe_key, webhook_id, invoice_id, external_id, status, updated_ms, source, body, \
     received_ms, next_attempt_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
    ON CONFLICT DO NOTHING RETURNING id";

pub(crate) const COUNT_DUPLICATE: &str = "UPDATE paylink_inbox_events \
    SET duplicates = duplicates + 1 WHERE dedupe_key = $1 OR webhook_id = $2 RETURNING id";

pub(crate) const INSERT_REJECTION: &str = "INSERT INTO paylink_inbox_rejections \
    (reason, detail, status, body, body_len, webhook_id, received_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

pub(crate) const COMPLETE: &str = "UPDATE paylink_inbox_events \
    SET state = 'done', attempts = attempts + 1, outcome = $2, detail = $3, attention = $4, \
        processed_ms = $5, last_error = NULL \
    WHERE id = $1";

pub(crate) const FAIL: &str = "UPDATE paylink_inbox_events \
    SET attempts = attempts + 1, last_error = $2, state = $3, \
        next_attempt_ms = COALESCE($4, next_attempt_ms), processed_ms = $5 \
    WHERE id = $1";

pub(crate) const REPLAY: &str = "UPDATE paylink_inbox_events \
    SET state = 'pending', attempts = 0, next_attempt_ms = $2, processed_ms = NULL \
    WHERE id = $1 AND state = 'dead'";

pub(crate) const COUNTS: &str = "SELECT \
    (SELECT COUNT(*) FROM paylink_inbox_events WHERE state = 'pending') AS pending, \
    (SELECT COUNT(*) FROM paylink_inbox_events WHERE state = 'done') AS done, \
    (SELECT COUNT(*) FROM paylink_inbox_events WHERE state = 'dead') AS dead, \
    (SELECT COUNT(*) FROM paylink_inbox_events WHERE attention = TRUE) AS attention, \
    (SELECT COUNT(*) FROM paylink_inbox_rejections) AS rejected";

pub(crate) fn select_event() -> String {
    format!("SELECT {COLUMNS} FROM paylink_inbox_events WHERE id = $1")
}

pub(crate) fn select_events() -> String {
    format!(
        "SELECT {COLUMNS} FROM paylink_inbox_events \
         WHERE ($1 IS NULL OR state = $1) AND ($2 = FALSE OR attention = TRUE) \
           AND ($3 IS NULL OR invoice_id = $3) \
         ORDER BY id LIMIT $4"
    )
}

pub(crate) fn select_due(suffix: &str) -> String {
    format!(
        "SELECT {COLUMNS} FROM paylink_inbox_events \
         WHERE state = 'pending' AND next_attempt_ms <= $1 \
         ORDER BY next_attempt_ms, id LIMIT 1 {suffix}"
    )
}

pub(crate) const SELECT_REJECTIONS: &str = "SELECT id, reason, detail, status, body, body_len, \
    webhook_id, received_ms FROM paylink_inbox_rejections ORDER BY id LIMIT $1";

/// Implements `InboxStore` for `$store` (a struct with `pool: sqlx::Pool<$db>`, an inherent
/// `async fn begin_claim(&self) -> Result<sqlx::Transaction<'static, $db>, sqlx::Error>` and
/// an associated `CLAIM_SUFFIX: &str` appended to the due-event query).
macro_rules! sql_store {
    ($store:ty, $db:ty) => {
        fn event_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> Result<$crate::store::StoredEvent, $crate::store::StoreError> {
            use sqlx::Row as _;
            use $crate::store::{from_ms, EventState, Source, StoreError};
            let get = |e: sqlx::Error| StoreError::db("read event")(e);
            let count = |field: &'static str, n: i32| {
                u32::try_from(n).map_err(|_| StoreError::corrupt(field, n))
            };
            Ok($crate::store::StoredEvent {
                id: row.try_get("id").map_err(get)?,
                dedupe_key: row.try_get("dedupe_key").map_err(get)?,
                webhook_id: row.try_get("webhook_id").map_err(get)?,
                invoice_id: row.try_get("invoice_id").map_err(get)?,
                external_id: row.try_get("external_id").map_err(get)?,
                status: row.try_get("status").map_err(get)?,
                updated: from_ms("updated_ms", row.try_get("updated_ms").map_err(get)?)?,
                source: Source::parse(row.try_get::<&str, _>("source").map_err(get)?)?,
                body: row.try_get("body").map_err(get)?,
                received_at: from_ms("received_ms", row.try_get("received_ms").map_err(get)?)?,
                duplicates: count("duplicates", row.try_get("duplicates").map_err(get)?)?,
                state: EventState::parse(row.try_get::<&str, _>("state").map_err(get)?)?,
                attempts: count("attempts", row.try_get("attempts").map_err(get)?)?,
                next_attempt_at: from_ms(
                    "next_attempt_ms",
                    row.try_get("next_attempt_ms").map_err(get)?,
                )?,
                last_error: row.try_get("last_error").map_err(get)?,
                outcome: row.try_get("outcome").map_err(get)?,
                detail: row.try_get("detail").map_err(get)?,
                attention: row.try_get("attention").map_err(get)?,
                processed_at: row
                    .try_get::<Option<i64>, _>("processed_ms")
                    .map_err(get)?
                    .map(|ms| from_ms("processed_ms", ms))
                    .transpose()?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::store::InboxStore for $store {
            type Tx = sqlx::Transaction<'static, $db>;

            async fn insert_event(
                &self,
                event: &$crate::store::NewEvent,
            ) -> Result<$crate::store::Inserted, $crate::store::StoreError> {
                use $crate::store::{sql, to_ms, Inserted, StoreError};
                let op = "insert event";
                let mut tx = self.pool.begin().await.map_err(StoreError::db(op))?;
                let inserted: Option<i64> = sqlx::query_scalar(sql::INSERT_EVENT)
                    .bind(&event.dedupe_key)
                    .bind(&event.webhook_id)
                    .bind(&event.invoice_id)
                    .bind(&event.external_id)
                    .bind(&event.status)
                    .bind(to_ms(event.updated))
                    .bind(event.source.as_str())
                    .bind(&event.body)
                    .bind(to_ms(event.received_at))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                let result = match inserted {
                    Some(id) => Inserted::New(id),
                    None => {
                        let ids: Vec<i64> = sqlx::query_scalar(sql::COUNT_DUPLICATE)
                            .bind(&event.dedupe_key)
                            .bind(&event.webhook_id)
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(StoreError::db(op))?;
                        let id = ids.into_iter().min().ok_or(StoreError::Database {
                            operation: op,
                            message: "the insert conflicted but no stored event matches".into(),
                        })?;
                        Inserted::Duplicate(id)
                    }
                };
                tx.commit().await.map_err(StoreError::db(op))?;
                Ok(result)
            }

            async fn insert_rejection(
                &self,
                r: &$crate::store::NewRejection,
            ) -> Result<i64, $crate::store::StoreError> {
                use $crate::store::{sql, to_ms, StoreError};
                sqlx::query_scalar(sql::INSERT_REJECTION)
                    .bind(&r.reason)
                    .bind(&r.detail)
                    .bind(i32::from(r.status))
                    .bind(&r.body)
                    .bind(i64::try_from(r.body_len).unwrap_or(i64::MAX))
                    .bind(&r.webhook_id)
                    .bind(to_ms(r.received_at))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::db("insert rejection"))
            }

            async fn claim(
                &self,
                now: time::OffsetDateTime,
            ) -> Result<Option<$crate::store::Claim<Self::Tx>>, $crate::store::StoreError> {
                use $crate::store::{sql, to_ms, Claim, StoreError};
                let op = "claim";
                let mut tx = self.begin_claim().await.map_err(StoreError::db(op))?;
                let row = sqlx::query(&sql::select_due(Self::CLAIM_SUFFIX))
                    .bind(to_ms(now))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                let Some(row) = row else {
                    tx.rollback().await.map_err(StoreError::db(op))?;
                    return Ok(None);
                };
                let event = event_from_row(&row)?;
                sqlx::query(sql::SAVEPOINT)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                Ok(Some(Claim { event, tx }))
            }

            async fn complete(
                &self,
                claim: $crate::store::Claim<Self::Tx>,
                done: &$crate::store::Completion,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::{sql, to_ms, StoreError};
                let op = "complete";
                let mut tx = claim.tx;
                sqlx::query(sql::RELEASE)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                sqlx::query(sql::COMPLETE)
                    .bind(claim.event.id)
                    .bind(&done.outcome)
                    .bind(&done.detail)
                    .bind(done.attention)
                    .bind(to_ms(done.at))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                tx.commit().await.map_err(StoreError::db(op))
            }

            async fn fail(
                &self,
                claim: $crate::store::Claim<Self::Tx>,
                failure: &$crate::store::Failure,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::{sql, to_ms, EventState, StoreError};
                let op = "record failure";
                let mut tx = claim.tx;
                sqlx::query(sql::ROLLBACK_TO)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                let (state, processed) = match failure.retry_at {
                    Some(_) => (EventState::Pending, None),
                    None => (EventState::Dead, Some(to_ms(failure.at))),
                };
                sqlx::query(sql::FAIL)
                    .bind(claim.event.id)
                    .bind(&failure.error)
                    .bind(state.as_str())
                    .bind(failure.retry_at.map(to_ms))
                    .bind(processed)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(op))?;
                tx.commit().await.map_err(StoreError::db(op))
            }

            async fn event(
                &self,
                id: $crate::store::EventId,
            ) -> Result<Option<$crate::store::StoredEvent>, $crate::store::StoreError> {
                use $crate::store::{sql, StoreError};
                let row = sqlx::query(&sql::select_event())
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("read event"))?;
                row.as_ref().map(event_from_row).transpose()
            }

            async fn events(
                &self,
                filter: &$crate::store::EventFilter,
            ) -> Result<Vec<$crate::store::StoredEvent>, $crate::store::StoreError> {
                use $crate::store::{sql, StoreError};
                let rows = sqlx::query(&sql::select_events())
                    .bind(filter.state.map(|s| s.as_str()))
                    .bind(filter.attention_only)
                    .bind(&filter.invoice_id)
                    .bind(i64::from(filter.effective_limit()))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("list events"))?;
                rows.iter().map(event_from_row).collect()
            }

            async fn replay(
                &self,
                id: $crate::store::EventId,
                now: time::OffsetDateTime,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::{sql, to_ms, StoreError};
                let done = sqlx::query(sql::REPLAY)
                    .bind(id)
                    .bind(to_ms(now))
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::db("replay"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn rejections(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::store::Rejection>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::{from_ms, sql, NewRejection, Rejection, StoreError};
                let get = |e: sqlx::Error| StoreError::db("read rejection")(e);
                let rows = sqlx::query(sql::SELECT_REJECTIONS)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(get)?;
                rows.iter()
                    .map(|row| {
                        let status: i32 = row.try_get("status").map_err(get)?;
                        let body_len: i64 = row.try_get("body_len").map_err(get)?;
                        Ok(Rejection {
                            id: row.try_get("id").map_err(get)?,
                            rejection: NewRejection {
                                reason: row.try_get("reason").map_err(get)?,
                                detail: row.try_get("detail").map_err(get)?,
                                status: u16::try_from(status)
                                    .map_err(|_| StoreError::corrupt("status", status))?,
                                body: row.try_get("body").map_err(get)?,
                                body_len: u64::try_from(body_len)
                                    .map_err(|_| StoreError::corrupt("body_len", body_len))?,
                                webhook_id: row.try_get("webhook_id").map_err(get)?,
                                received_at: from_ms(
                                    "received_ms",
                                    row.try_get("received_ms").map_err(get)?,
                                )?,
                            },
                        })
                    })
                    .collect()
            }

            async fn counts(&self) -> Result<$crate::store::Counts, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::{sql, Counts, StoreError};
                let get = |e: sqlx::Error| StoreError::db("count events")(e);
                let row = sqlx::query(sql::COUNTS)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(get)?;
                let n = |name: &'static str| -> Result<u64, StoreError> {
                    let v: i64 = row.try_get(name).map_err(get)?;
                    u64::try_from(v).map_err(|_| StoreError::corrupt(name, v))
                };
                Ok(Counts {
                    pending: n("pending")?,
                    done: n("done")?,
                    dead: n("dead")?,
                    attention: n("attention")?,
                    rejected: n("rejected")?,
                })
            }
        }
    };
}

pub(crate) use sql_store;

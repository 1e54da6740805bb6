//! The checks every [`InboxStore`] must pass (feature `conformance`): one event per key, the
//! rejected log, claims that commit or undo the handler's write with the outcome, retries,
//! dead letters and replay, exclusive claims, durability across a reopen.
//! [`store_conformance_tests!`](crate::store_conformance_tests) turns them into one test
//! per check for a [`Fixture`].

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::store::{
    Completion, EventFilter, EventState, Failure, InboxStore, Inserted, NewEvent, NewRejection,
    Source,
};

/// What a store's tests provide: fresh stores, and a way to write as the application does.
#[async_trait]
pub trait Fixture: Send + Sync {
    /// The store under test.
    type Store: InboxStore + Clone;

    /// A fresh, empty store (and an empty marker table).
    async fn fresh(&self) -> Self::Store;

    /// The same database through a new handle, as after a restart.
    async fn reopen(&self, store: &Self::Store) -> Self::Store;

    /// Writes `marker` in the claim's transaction, as an application's handler would.
    async fn write_marker(&self, tx: &mut <Self::Store as InboxStore>::Tx, marker: &str);

    /// The markers committed so far, in any order.
    async fn markers(&self, store: &Self::Store) -> Vec<String>;
}

/// The time every check starts at: 2024-11-28T06:40:26.508Z.
pub fn t0() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::milliseconds(1_732_776_026_508)
}

/// An event of invoice `inv-{n}` with `status`, received at `t0() + n ms`.
pub fn event(n: u32, status: &str) -> NewEvent {
    let at = t0() + Duration::milliseconds(i64::from(n));
    NewEvent {
        dedupe_key: crate::receive::dedupe_key(&format!("inv-{n}"), status, at),
        webhook_id: None,
        invoice_id: format!("inv-{n}"),
        external_id: format!("order-{n}"),
        status: status.to_owned(),
        updated: at,
        source: Source::Webhook,
        body: format!(r#"{{"id":"inv-{n}","status":"{status}"}}"#).into_bytes(),
        received_at: at,
    }
}

fn done(outcome: &str) -> Completion {
    Completion {
        outcome: outcome.to_owned(),
        detail: format!("{outcome} in words"),
        attention: outcome == "paid_after_expiry",
        at: t0() + Duration::seconds(1),
    }
}

fn must<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// An event is stored pending, due at its receipt, with its fields as given.
pub async fn a_new_event_is_stored_pending_and_due_at_receipt<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let new = event(1, "PAID");
    let id = must("insert", store.insert_event(&new).await);
    let Inserted::New(id) = id else {
        panic!("a first insert must be new, got {id:?}")
    };
    let stored = must("read", store.event(id).await).expect("stored");
    assert_eq!(
        (
            stored.state,
            stored.attempts,
            stored.duplicates,
            stored.next_attempt_at
        ),
        (EventState::Pending, 0, 0, new.received_at)
    );
    assert_eq!(
        (
            &stored.invoice_id,
            &stored.status,
            stored.updated,
            &stored.body
        ),
        (&new.invoice_id, &new.status, new.updated, &new.body)
    );
}

/// The same key again is a duplicate of the first event, counted, not stored twice.
pub async fn the_same_key_twice_is_one_event_with_a_duplicate_count<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let first = must("insert", store.insert_event(&event(1, "PAID")).await);
    let again = must("insert again", store.insert_event(&event(1, "PAID")).await);
    assert_eq!(again, Inserted::Duplicate(first.id()));
    let counts = must("counts", store.counts().await);
    assert_eq!(counts.pending, 1);
    let stored = must("read", store.event(first.id()).await).expect("stored");
    assert_eq!(stored.duplicates, 1);
}

/// A repeated `webhook-id` is a duplicate even when the rest of the key differs; distinct
/// statuses of one invoice are distinct events.
pub async fn a_repeated_webhook_id_is_a_duplicate_and_distinct_statuses_are_not<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let mut paid = event(1, "PAID");
    paid.webhook_id = Some("wh-1".into());
    let first = must("insert", store.insert_event(&paid).await);
    let mut other = event(2, "PAID");
    other.webhook_id = Some("wh-1".into());
    let again = must("insert same webhook id", store.insert_event(&other).await);
    assert_eq!(again, Inserted::Duplicate(first.id()));
    let mut expired = event(1, "EXPIRED");
    expired.invoice_id = paid.invoice_id.clone();
    let third = must("insert expired", store.insert_event(&expired).await);
    assert!(
        matches!(third, Inserted::New(id) if id != first.id()),
        "{third:?}"
    );
}

/// A rejection is kept with its reason, status and body.
pub async fn a_rejection_is_kept_with_its_reason_status_and_body<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let r = NewRejection {
        reason: "token_mismatch".into(),
        detail: "x-callback-token does not match".into(),
        status: 401,
        body: b"{\"id\":".to_vec(),
        body_len: 6,
        webhook_id: Some("wh-9".into()),
        received_at: t0(),
    };
    must("insert rejection", store.insert_rejection(&r).await);
    let kept = must("rejections", store.rejections(10).await);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].rejection, r);
    assert_eq!(must("counts", store.counts().await).rejected, 1);
}

/// A claim takes the oldest due event; an event due later, or none, gives nothing.
pub async fn a_claim_takes_the_oldest_due_event_and_nothing_early<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    assert!(must("claim empty", store.claim(t0()).await).is_none());
    let a = must("insert", store.insert_event(&event(5, "PAID")).await);
    must("insert", store.insert_event(&event(6, "PAID")).await);
    assert!(must("claim early", store.claim(t0()).await).is_none());
    let claim =
        must("claim", store.claim(t0() + Duration::seconds(1)).await).expect("an event is due");
    assert_eq!(claim.event.id, a.id());
}

/// Completing a claim commits the handler's write with the outcome.
pub async fn a_completed_claim_commits_the_handlers_write_with_the_outcome<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let id = must("insert", store.insert_event(&event(1, "PAID")).await).id();
    let mut claim = must("claim", store.claim(t0() + Duration::seconds(1)).await).expect("due");
    f.write_marker(&mut claim.tx, "order-1 paid").await;
    must(
        "complete",
        store.complete(claim, &done("paid_after_expiry")).await,
    );
    assert_eq!(f.markers(&store).await, vec!["order-1 paid".to_owned()]);
    let stored = must("read", store.event(id).await).expect("stored");
    assert_eq!(
        (
            stored.state,
            stored.attempts,
            stored.outcome.as_deref(),
            stored.attention
        ),
        (EventState::Done, 1, Some("paid_after_expiry"), true)
    );
    let flagged = must(
        "list",
        store.events(&EventFilter::needing_attention()).await,
    );
    assert_eq!(flagged.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id]);
    assert!(must("claim again", store.claim(t0() + Duration::days(1)).await).is_none());
}

/// A failed attempt undoes the handler's write and makes the event due again later.
pub async fn a_failed_attempt_undoes_the_write_and_retries_later<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let id = must("insert", store.insert_event(&event(1, "PAID")).await).id();
    let mut claim = must("claim", store.claim(t0() + Duration::seconds(1)).await).expect("due");
    f.write_marker(&mut claim.tx, "half-done").await;
    let retry_at = t0() + Duration::minutes(5);
    let failure = Failure {
        error: "order store busy".into(),
        retry_at: Some(retry_at),
        at: t0() + Duration::seconds(1),
    };
    must("fail", store.fail(claim, &failure).await);
    assert!(f.markers(&store).await.is_empty());
    let stored = must("read", store.event(id).await).expect("stored");
    assert_eq!(
        (stored.state, stored.attempts, stored.next_attempt_at),
        (EventState::Pending, 1, retry_at)
    );
    assert_eq!(stored.last_error.as_deref(), Some("order store busy"));
    assert!(must(
        "claim early",
        store.claim(retry_at - Duration::milliseconds(1)).await
    )
    .is_none());
    assert!(must("claim due", store.claim(retry_at).await).is_some());
}

/// A claim dropped mid-way (a killed worker) undoes the write; the event is claimable again
/// once the rollback has run (a database store may finish it in the background, as sqlx
/// does when a transaction is dropped).
pub async fn a_dropped_claim_undoes_the_write_and_the_event_comes_back<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let id = must("insert", store.insert_event(&event(1, "PAID")).await).id();
    let mut claim = must("claim", store.claim(t0() + Duration::seconds(1)).await).expect("due");
    f.write_marker(&mut claim.tx, "never committed").await;
    drop(claim);
    let mut again = None;
    // Wait for the background rollback; give up after 10 s so a broken store fails, not hangs.
    for _ in 0..1000 {
        again = must(
            "claim again",
            store.claim(t0() + Duration::seconds(1)).await,
        );
        if again.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let again = again.expect("the event is pending again");
    assert_eq!((again.event.id, again.event.attempts), (id, 0));
    drop(again);
    assert!(f.markers(&store).await.is_empty());
}

/// The last failure dead-letters the event; it is listed, and replay makes it pending again.
pub async fn a_dead_letter_is_listed_and_replay_brings_it_back<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let id = must("insert", store.insert_event(&event(1, "PAID")).await).id();
    let claim = must("claim", store.claim(t0() + Duration::seconds(1)).await).expect("due");
    let failure = Failure {
        error: "no order".into(),
        retry_at: None,
        at: t0() + Duration::seconds(1),
    };
    must("fail", store.fail(claim, &failure).await);
    let dead = must(
        "list",
        store.events(&EventFilter::state(EventState::Dead)).await,
    );
    assert_eq!(dead.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id]);
    assert!(must("claim dead", store.claim(t0() + Duration::days(9)).await).is_none());
    let later = t0() + Duration::hours(1);
    assert!(must("replay", store.replay(id, later).await));
    assert!(!must("replay again", store.replay(id, later).await));
    let claim = must("claim replayed", store.claim(later).await).expect("pending again");
    assert_eq!((claim.event.id, claim.event.attempts), (id, 0));
}

/// Two claims at once never hold the same event.
pub async fn two_claims_at_once_never_hold_the_same_event<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let a = must("insert", store.insert_event(&event(1, "PAID")).await).id();
    let b = must("insert", store.insert_event(&event(2, "PAID")).await).id();
    let now = t0() + Duration::seconds(1);
    let first = must("claim", store.claim(now).await).expect("due");
    let other = store.clone();
    let second = tokio::spawn(async move {
        // On SQLite this waits for the first claim's write lock.
        match other.claim(now).await {
            Ok(claim) => claim.map(|c| c.event.id),
            Err(e) => panic!("second claim: {e}"),
        }
    });
    tokio::task::yield_now().await;
    assert_eq!(first.event.id, a);
    must("complete", store.complete(first, &done("advanced")).await);
    let second = second.await.expect("the second claim's task");
    assert_eq!(second, Some(b));
}

/// What was stored is there through a new handle (after a restart).
pub async fn stored_events_and_outcomes_survive_a_reopen<F: Fixture>(f: &F) {
    let store = f.fresh().await;
    let id = must("insert", store.insert_event(&event(1, "PAID")).await).id();
    must("insert", store.insert_event(&event(2, "EXPIRED")).await);
    let claim = must("claim", store.claim(t0() + Duration::seconds(1)).await).expect("due");
    must("complete", store.complete(claim, &done("advanced")).await);
    let reopened = f.reopen(&store).await;
    let stored = must("read", reopened.event(id).await).expect("stored");
    assert_eq!(stored.state, EventState::Done);
    let counts = must("counts", reopened.counts().await);
    assert_eq!((counts.done, counts.pending), (1, 1));
    let by_invoice = EventFilter {
        invoice_id: Some("inv-2".into()),
        ..EventFilter::default()
    };
    let listed = must("list", reopened.events(&by_invoice).await);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, "EXPIRED");
}

/// One `#[tokio::test]` per conformance check, for the fixture `$fixture` builds (an async
/// expression, awaited in each test).
#[macro_export]
macro_rules! store_conformance_tests {
    ($fixture:expr) => {
        $crate::store_conformance_tests!(@each $fixture;
            a_new_event_is_stored_pending_and_due_at_receipt,
            the_same_key_twice_is_one_event_with_a_duplicate_count,
            a_repeated_webhook_id_is_a_duplicate_and_distinct_statuses_are_not,
            a_rejection_is_kept_with_its_reason_status_and_body,
            a_claim_takes_the_oldest_due_event_and_nothing_early,
            a_completed_claim_commits_the_handlers_write_with_the_outcome,
            a_failed_attempt_undoes_the_write_and_retries_later,
            a_dropped_claim_undoes_the_write_and_the_event_comes_back,
            a_dead_letter_is_listed_and_replay_brings_it_back,
            two_claims_at_once_never_hold_the_same_event,
            stored_events_and_outcomes_survive_a_reopen
        );
    };
    (@each $fixture:expr; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let fixture = $fixture;
                $crate::conformance::$check(&fixture).await;
            }
        )*
    };
}

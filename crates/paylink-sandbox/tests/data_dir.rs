//! The data directory: what it keeps across a restart, and what it refuses (a damaged file,
//! another program's database, a newer schema, a second sandbox), leaving it untouched.

mod support;

use std::path::Path;
use std::time::Duration;

use paylink_sandbox::{
    ClockMode, FaultsRequest, Sandbox, SandboxConfig, StoreError, DATABASE_FILE,
};
use serde_json::{json, Value};
use support::{start, Client};

fn config(dir: &Path) -> SandboxConfig {
    SandboxConfig {
        data_dir: Some(dir.to_owned()),
        ..SandboxConfig::default()
    }
}

async fn create(client: &Client, external_id: &str) -> String {
    let answer = client
        .create(json!({ "external_id": external_id, "amount": 75_000, "payment_methods": ["BNI", "OVO"] }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["id"].as_str().expect("id").to_owned()
}

async fn refusal(dir: &Path) -> StoreError {
    let err = Sandbox::start(config(dir), paylink_fake::FakeGateway::builder())
        .await
        .expect_err("the directory is refused");
    err.get_ref()
        .and_then(|e| e.downcast_ref::<StoreError>())
        .unwrap_or_else(|| panic!("not a StoreError: {err}"))
        .clone()
}

#[tokio::test]
async fn a_clean_shutdown_and_start_gives_back_invoices_clock_faults_and_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sandbox, client) = start(config(dir.path())).await;
    assert_eq!(sandbox.restored_invoices(), None);
    let a = create(&client, "a").await;
    let b = create(&client, "b").await;
    let control = sandbox.client().expect("client");
    control.pay(&a, &Default::default()).await.expect("paid");
    control
        .advance(Duration::from_secs(90))
        .await
        .expect("advanced");
    control
        .faults(&FaultsRequest::fail_next("get", 1, 503))
        .await
        .expect("fault set");
    // A change made on the engine handle, outside any request, is kept too.
    sandbox.engine().settle(&a).expect("settled");
    let clock = control.clock().await.expect("clock");
    sandbox.shutdown().await.expect("stops");

    let (sandbox, client) = start(config(dir.path())).await;
    assert_eq!(sandbox.restored_invoices(), Some(2));
    assert_eq!(
        sandbox
            .client()
            .expect("client")
            .clock()
            .await
            .expect("clock"),
        clock
    );
    let failed = client.get(&format!("/v2/invoices/{a}")).await;
    assert_eq!(
        failed.status, 503,
        "the pending fault fires after the restart"
    );
    let settled = client.get(&format!("/v2/invoices/{a}")).await;
    assert_eq!(settled.body["status"], json!("SETTLED"));
    assert_eq!(
        client.get(&format!("/v2/invoices/{b}")).await.body["status"],
        json!("PENDING")
    );
    let c = create(&client, "c").await;
    assert!(c != a && c != b);
    // A reset empties the directory too.
    sandbox
        .client()
        .expect("client")
        .reset()
        .await
        .expect("reset");
    sandbox.shutdown().await.expect("stops");
    let (sandbox, client) = start(config(dir.path())).await;
    assert_eq!(sandbox.restored_invoices(), Some(0));
    let list = client.get("/v2/invoices").await;
    assert_eq!(list.body, json!([]));
}

#[tokio::test]
async fn the_wall_clock_offset_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wall = SandboxConfig {
        clock: ClockMode::Wall,
        ..config(dir.path())
    };
    let (sandbox, _) = start(wall.clone()).await;
    let control = sandbox.client().expect("client");
    control
        .advance(Duration::from_secs(86_400))
        .await
        .expect("advanced a day");
    sandbox.shutdown().await.expect("stops");
    let (sandbox, _) = start(wall).await;
    let now = sandbox
        .client()
        .expect("client")
        .clock()
        .await
        .expect("clock");
    let ahead = now - time::OffsetDateTime::now_utc();
    assert!(
        ahead > time::Duration::hours(23) && ahead < time::Duration::hours(25),
        "the clock runs a day ahead of the wall clock, got {ahead}"
    );
}

fn contents(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("readable")
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(DATABASE_FILE);
    let junk = b"this is not a database, and it is not ours to overwrite\n".repeat(100);
    std::fs::write(&file, &junk).expect("written");
    let err = refusal(dir.path()).await;
    assert!(err.message.contains("is not an SQLite database"), "{err}");
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    assert_eq!(contents(&file), junk);
}

#[tokio::test]
async fn another_programs_database_is_refused_and_left_untouched() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(DATABASE_FILE);
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .connect()
        .await
        .expect("a database");
    sqlx::query("CREATE TABLE orders (id INTEGER PRIMARY KEY, total TEXT)")
        .execute(&mut conn)
        .await
        .expect("a table");
    conn.close().await.expect("closed");
    let before = contents(&file);
    let err = refusal(dir.path()).await;
    assert!(
        err.message.contains("another program (tables: orders)"),
        "{err}"
    );
    assert_eq!(contents(&file), before);
}

#[tokio::test]
async fn a_database_of_a_newer_sandbox_is_refused_and_left_untouched() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().expect("temp dir");
    let (sandbox, client) = start(config(dir.path())).await;
    create(&client, "kept").await;
    sandbox.shutdown().await.expect("stops");
    drop(client);
    let file = dir.path().join(DATABASE_FILE);
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .connect()
        .await
        .expect("the database");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("a newer migration recorded");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("closed");
    let before = contents(&file);
    let err = refusal(dir.path()).await;
    assert!(
        err.message
            .contains("newer paylink sandbox (schema version 9999"),
        "{err}"
    );
    assert_eq!(contents(&file), before);
}

#[tokio::test]
async fn a_second_sandbox_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, client) = start(config(dir.path())).await;
    create(&client, "one").await;
    let err = refusal(dir.path()).await;
    assert!(err.message.contains("in use by another sandbox"), "{err}");
    // The first one is unharmed.
    assert_eq!(create(&client, "two").await.len(), 24);
    drop(first);
}

#[tokio::test]
async fn concurrent_creates_are_all_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sandbox, client) = start(config(dir.path())).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..64 {
        let client = client.clone();
        tasks.spawn(async move { create(&client, &format!("c-{n}")).await });
    }
    let mut ids = Vec::new();
    while let Some(id) = tasks.join_next().await {
        ids.push(id.expect("task"));
    }
    drop(sandbox);
    let (sandbox, client) = start(config(dir.path())).await;
    assert_eq!(sandbox.restored_invoices(), Some(64));
    for id in ids {
        let answer = client.get(&format!("/v2/invoices/{id}")).await;
        assert_eq!(answer.status, 200, "{id}");
    }
    let list: Value = client.get("/v2/invoices?limit=100").await.body;
    assert_eq!(list.as_array().map(Vec::len), Some(64));
}

#[tokio::test]
async fn every_control_change_is_kept_and_never_read_stale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sandbox, client) = start(config(dir.path())).await;
    let expired = create(&client, "expired-by-control").await;
    let failed = create(&client, "failed-attempt").await;
    let by_form = create(&client, "paid-by-form").await;
    for id in [&expired, &failed, &by_form] {
        // Read once, so an answer is kept for each.
        assert_eq!(client.get(&format!("/v2/invoices/{id}")).await.status, 200);
    }
    let control = sandbox.client().expect("client");
    control.expire(&expired).await.expect("expired");
    let answer = client
        .control(&format!("/_sandbox/invoices/{failed}/fail"), None)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let form = client
        .send(
            client
                .plain(
                    reqwest::Method::POST,
                    &format!("/_sandbox/forms/invoices/{by_form}/pay"),
                )
                .header("content-type", "application/x-www-form-urlencoded")
                .body("channel=BNI"),
        )
        .await;
    assert_eq!(form.status, 303);
    let status = |client: &Client, id: &str| {
        let (client, path) = (client.clone(), format!("/v2/invoices/{id}"));
        async move { client.get(&path).await.body["status"].clone() }
    };
    assert_eq!(status(&client, &expired).await, json!("EXPIRED"));
    assert_eq!(status(&client, &by_form).await, json!("PAID"));
    // Killed rather than shut down: the answers above were enough.
    drop(sandbox);
    let (sandbox, client) = start(config(dir.path())).await;
    assert_eq!(status(&client, &expired).await, json!("EXPIRED"));
    assert_eq!(status(&client, &by_form).await, json!("PAID"));
    assert_eq!(sandbox.engine().failed_attempts(&failed), Some(1));
}

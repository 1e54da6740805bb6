//! `paylink sandbox --import FILE`: the sample seed file is served from the start, and a bad
//! file stops the start with one line naming the entry and field, before an address is bound.

use std::path::PathBuf;
use std::process::Command;

mod support;

use support::{stderr_line, SandboxProcess, BIN};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sandbox-seed/invoices.json")
}

/// A file under the temporary directory holding `text`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("paylink-import-{}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("written");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn the_sandbox_serves_the_imported_invoices_from_the_start() {
    let sample = sample();
    let mut sandbox = SandboxProcess::start([
        "--addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--seed".as_ref(),
        "9".as_ref(),
        "--import".as_ref(),
        sample.as_os_str(),
    ]);
    let url = sandbox.url.clone();
    assert_eq!(
        sandbox.next_line(),
        format!("imported 6 invoices from {}", sample.display())
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let list = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/v2/invoices"))
            .basic_auth("xnd_development_sandbox", Some(""))
            .send()
            .await?
            .json::<serde_json::Value>()
            .await
    });
    // Stopped before anything is checked, so a failed check leaves no server running.
    let status = sandbox.terminate();
    let list = list.expect("the sandbox answers with JSON");
    let mut statuses: Vec<(String, String)> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| {
            (
                i["external_id"].as_str().unwrap_or_default().to_owned(),
                i["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    statuses.sort();
    let expected = [
        ("order-1001", "PENDING"),
        ("order-1002", "PAID"),
        ("order-1003", "SETTLED"),
        ("order-1004", "EXPIRED"),
        ("order-1005", "EXPIRED"),
    ]
    .map(|(id, status)| (id.to_owned(), status.to_owned()));
    assert_eq!(statuses, expected);

    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn a_bad_seed_file_stops_the_start_before_the_address_is_bound() {
    let bad = TempFile::new(
        "bad.json",
        r#"[
  {"external_id": "order-6", "amount": 20000},
  {"external_id": "order-7", "amount": 20000, "status": "PAID", "paid_at": "9999-01-01T00:00:00Z"}
]"#,
    );
    // The address is taken: a start that bound it first would fail on that instead.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = Command::new(BIN)
        .args(["sandbox", "--addr", &addr, "--manual-clock", "--import"])
        .arg(&bad.0)
        .output()
        .expect("paylink runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing was served");
    let line = stderr_line(&output);
    let expected = format!(
        "paylink: error: seed file {}: entry 1 (external_id \"order-7\"): paid_at: \
         9999-01-01T00:00:00.000Z is after the clock 2024-11-28T06:40:26.508Z",
        bad.0.display()
    );
    assert_eq!(line, expected);
}

#[test]
fn a_seed_file_that_is_not_json_or_missing_is_named_in_one_line() {
    let broken = TempFile::new("broken.json", "[\n  {\"external_id\": \"a\",}\n]");
    let output = Command::new(BIN)
        .args(["sandbox", "--addr", "127.0.0.1:0", "--import"])
        .arg(&broken.0)
        .output()
        .expect("paylink runs");
    assert_eq!(output.status.code(), Some(1));
    let line = stderr_line(&output);
    assert!(
        line.starts_with(&format!(
            "paylink: error: seed file {}: not valid JSON at line 2 column",
            broken.0.display()
        )),
        "{line}"
    );

    let output = Command::new(BIN)
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--import",
            "no/such/seed.json",
        ])
        .output()
        .expect("paylink runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_line(&output)
        .starts_with("paylink: error: could not read the seed file no/such/seed.json: "));
}

#[test]
fn a_seed_fills_a_new_data_directory_once_and_later_starts_keep_its_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = sample();
    let args = [
        "--addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--import".as_ref(),
        sample.as_os_str(),
        "--data-dir".as_ref(),
        dir.path().as_os_str(),
    ];
    let mut first = SandboxProcess::start(args);
    assert_eq!(
        first.next_line(),
        format!("imported 6 invoices from {}", sample.display())
    );
    first.signal("-KILL");
    let _ = first.child.wait();
    let mut second = SandboxProcess::start(args);
    assert_eq!(
        second.next_line(),
        "import: skipped, the data directory already holds state"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let count = |for_user_id: Option<&str>| {
        let mut request = reqwest::Client::new()
            .get(format!("{}/v2/invoices?limit=100", second.url))
            .basic_auth("xnd_development_sandbox", Some(""));
        if let Some(user) = for_user_id {
            request = request.header("for-user-id", user);
        }
        let list = runtime
            .block_on(async { request.send().await?.json::<serde_json::Value>().await })
            .expect("JSON");
        list.as_array().map(Vec::len)
    };
    // Six invoices, once: five of the business and one of its sub-account.
    assert_eq!(count(None), Some(5));
    assert_eq!(count(Some("sub-account-1")), Some(1));
}

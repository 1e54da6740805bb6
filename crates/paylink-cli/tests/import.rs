//! `paylink sandbox --import FILE`: the sample seed file is served from the start, and a bad
//! file stops the start with one line naming the entry and field, before an address is bound.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

#[allow(dead_code)]
mod support;

use support::{stderr_line, BIN};

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
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--seed",
            "9",
            "--import",
        ])
        .arg(&sample)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paylink sandbox starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    let mut second = String::new();
    stdout.read_line(&mut second).expect("a second line");
    let url = first
        .strip_prefix("paylink sandbox listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();
    assert_eq!(
        second.trim_end(),
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
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
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

    let mut status = None;
    for _ in 0..200 {
        if let Some(s) = child.try_wait().expect("try_wait") {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("the sandbox did not stop within 10 s of SIGTERM");
    };
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

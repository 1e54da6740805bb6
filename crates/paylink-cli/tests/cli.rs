//! The `paylink` binary as a user runs it: exit codes, one-line errors, and a sandbox that
//! starts, serves and stops cleanly on SIGTERM.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

mod support;

use support::{stderr_line, with_stdin, SandboxProcess, BIN};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn paylink(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("paylink runs")
}

fn paylink_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    with_stdin(cmd, stdin)
}

#[test]
fn webhook_parse_prints_a_callback_as_normalized_json() {
    let output = paylink(&[
        "webhook",
        "parse",
        data("paid_ewallet_dana.json").to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(printed["id"], "6748105a77f16ebe0cc583a7");
    assert_eq!(printed["status"], "PAID");
    assert_eq!(printed["amount"], serde_json::json!(510000));
    assert_eq!(printed["paid_at"], "2024-11-28T06:41:29.776Z");
    assert_eq!(printed["payment_channel"], "DANA");
    assert!(output.stderr.is_empty());
}

#[test]
fn webhook_parse_reads_standard_input_and_checks_the_token() {
    let body = std::fs::read(data("paid_ewallet_dana.json")).expect("fixture");
    let ok = paylink_with_stdin(
        &["webhook", "parse", "--token", "t0k", "--header", "t0k", "-"],
        &body,
    );
    assert!(ok.status.success(), "{ok:?}");
    let printed: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON");
    assert_eq!(printed["external_id"], "payment-link-example");

    let wrong = paylink_with_stdin(
        &["webhook", "parse", "--token", "t0k", "--header", "nope"],
        &body,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(
        stderr_line(&wrong),
        "paylink: error: callback refused: x-callback-token does not match the configured token"
    );
    assert!(
        wrong.stdout.is_empty(),
        "nothing is printed for a refused callback"
    );
    let wrong_text = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong_text.contains("t0k"), "the token is not echoed");
}

#[test]
fn webhook_parse_refuses_a_bad_body_in_one_line() {
    let bad_amount = br#"{"id":"x","external_id":"e","user_id":"u","status":"PAID","merchant_name":"m",
        "amount":"ten","currency":"IDR","created":"2020-01-13T02:32:49.827Z","updated":"2020-01-13T02:32:49.827Z"}"#;
    let output = paylink_with_stdin(&["webhook", "parse"], bad_amount);
    assert_eq!(output.status.code(), Some(1));
    let line = stderr_line(&output);
    assert!(
        line.starts_with("paylink: error: invalid callback body at $.amount:"),
        "{line}"
    );

    let not_json = paylink_with_stdin(&["webhook", "parse", "-"], b"hello");
    assert_eq!(not_json.status.code(), Some(1));
    assert!(stderr_line(&not_json).starts_with("paylink: error: invalid callback body at $"));
}

#[test]
fn webhook_parse_of_a_missing_file_says_which() {
    let output = paylink(&["webhook", "parse", "/nonexistent/callback.json"]);
    assert_eq!(output.status.code(), Some(1));
    let line = stderr_line(&output);
    assert!(
        line.starts_with("paylink: error: could not read /nonexistent/callback.json:"),
        "{line}"
    );
}

#[test]
fn a_token_without_a_header_is_a_usage_error() {
    let output = paylink(&["webhook", "parse", "--token", "t"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--header"));
}

type Seen = Arc<Mutex<Vec<(Option<String>, Bytes)>>>;

/// A receiver that records each POST and answers `status`.
fn receiver(runtime: &tokio::runtime::Runtime, status: u16) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                move |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                    let token = headers
                        .get("x-callback-token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    seen.lock().expect("lock").push((token, body));
                    StatusCode::from_u16(status).expect("status")
                },
            ),
        )
        .with_state(Arc::clone(&seen));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), seen)
}

#[test]
fn webhook_send_posts_the_body_with_the_token_as_xendit_does() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (url, seen) = receiver(&runtime, 200);
    let file = data("paid_ewallet_dana.json");
    let output = paylink(&[
        "webhook",
        "send",
        "--to",
        &url,
        "--token",
        "tok-1",
        file.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("HTTP 200"));
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.as_deref(), Some("tok-1"));
    assert_eq!(
        seen[0].1.as_ref(),
        std::fs::read(&file).expect("fixture").as_slice()
    );
}

#[test]
fn webhook_send_fails_when_the_receiver_does_not_answer_2xx() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (url, _seen) = receiver(&runtime, 500);
    let file = data("paid_ewallet_dana.json");
    let output = paylink(&[
        "webhook",
        "send",
        "--to",
        &url,
        "--token",
        "t",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let line = stderr_line(&output);
    assert!(line.contains("answered HTTP 500"), "{line}");
}

#[test]
fn webhook_send_refuses_a_body_that_is_not_a_callback() {
    let output = paylink_with_stdin(
        &[
            "webhook",
            "send",
            "--to",
            "http://127.0.0.1:9/",
            "--token",
            "t",
            "-",
        ],
        b"{}",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_line(&output).starts_with("paylink: error: not sent: invalid callback body"));
}

#[test]
fn the_sandbox_serves_and_stops_cleanly_on_sigterm() {
    let mut sandbox = SandboxProcess::start([
        "--addr",
        "127.0.0.1:0",
        "--secret-key",
        "xnd_development_cli",
    ]);
    let url = sandbox.url.clone();
    assert!(
        sandbox
            .first_line
            .contains("(secret key: xnd_development_cli)"),
        "{}",
        sandbox.first_line
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let answer = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}/v2/invoices"))
            .basic_auth("xnd_development_cli", Some(""))
            .json(&serde_json::json!({ "external_id": "cli", "amount": 50000 }))
            .send()
            .await
            .expect("the sandbox answers")
    });
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let invoice: serde_json::Value = runtime.block_on(answer.json()).expect("JSON");
    assert!(invoice["invoice_url"]
        .as_str()
        .is_some_and(|u| u.starts_with(&format!("{url}/web/"))));

    let status = sandbox.terminate();
    assert!(status.success(), "exit status {status:?}");
    let rest = sandbox.rest();
    assert!(rest.contains("paylink sandbox stopped"), "{rest}");
}

#[test]
fn the_sandbox_refuses_an_address_in_use_in_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = paylink(&["sandbox", "--addr", &addr]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stderr);
    let line = text
        .lines()
        .find(|l| l.starts_with("paylink: error:"))
        .unwrap_or_else(|| panic!("no error line in {text:?}"));
    assert!(
        line.contains(&format!("could not listen on {addr}")),
        "{line}"
    );
}

#[test]
fn the_sandbox_refuses_a_retry_scale_outside_zero_to_one() {
    for scale in ["0", "-1", "2", "1e300", "NaN"] {
        let flag = format!("--retry-time-scale={scale}");
        let output = paylink(&["sandbox", "--addr", "127.0.0.1:0", &flag]);
        assert_eq!(output.status.code(), Some(1), "scale {scale}");
        let line = stderr_line(&output);
        assert!(
            line.contains("--retry-time-scale must be greater than 0 and at most 1"),
            "scale {scale}: {line}"
        );
    }
}

#[test]
fn a_blank_callback_token_is_refused_everywhere_it_can_be_given() {
    let cases: [&[&str]; 6] = [
        &["webhook", "parse", "--token", "", "--header", "x", "-"],
        &["webhook", "parse", "--token", "   ", "--header", "   ", "-"],
        &[
            "webhook",
            "send",
            "--to",
            "http://127.0.0.1:9/",
            "--token",
            "",
            "-",
        ],
        &["sandbox", "--addr", "127.0.0.1:0", "--callback-token", ""],
        &[
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--callback-token",
            " \t",
        ],
        &["sandbox", "--addr", "127.0.0.1:0", "--callback-token="],
    ];
    for args in cases {
        let output = paylink(args);
        assert_eq!(output.status.code(), Some(2), "{args:?} is a usage error");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("the callback token must not be empty or only whitespace"),
            "{args:?}: {stderr}"
        );
    }
}

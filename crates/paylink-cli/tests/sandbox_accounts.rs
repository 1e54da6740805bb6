//! `paylink sandbox --account` and `--accounts-file`: what is refused before anything starts,
//! and the start-up lines naming each account.

use std::process::Command;

mod support;

use support::{SandboxProcess, BIN};

fn refused(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .arg("sandbox")
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .output()
        .expect("paylink runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_accounts_are_refused_naming_the_rule_and_never_the_key() {
    let (code, err) = refused(&["--account", "shop"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("must be NAME:KEY[:CALLBACK_URL]"), "{err}");
    let (code, err) = refused(&["--account", "sh op:key"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("name must be 1 to 64 letters"), "{err}");
    let (code, err) = refused(&["--account", "a:xnd_same", "--account", "b:xnd_same"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is also the key of account `a`"), "{err}");
    assert!(
        !err.contains("xnd_same"),
        "the key stays out of errors: {err}"
    );
    let (code, err) = refused(&["--account", "a:k1", "--secret-key", "xnd_other"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, err) = refused(&["--accounts-file", "/nonexistent/accounts.json"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("/nonexistent/accounts.json could not be read"),
        "{err}"
    );
}

#[test]
fn several_accounts_are_named_at_start() {
    let mut sandbox = SandboxProcess::start([
        "--addr",
        "127.0.0.1:0",
        "--account",
        "shop:xnd_development_shop:http://127.0.0.1:9/hook",
        "--account",
        "cafe:xnd_development_cafe",
    ]);
    let lines = [
        sandbox.first_line.clone(),
        sandbox.next_line(),
        sandbox.next_line(),
    ];
    assert!(
        lines[0].starts_with("paylink sandbox listening on http://127.0.0.1:")
            && lines[0].ends_with("(2 accounts)"),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        "account shop: webhooks: POST http://127.0.0.1:9/hook"
    );
    assert_eq!(lines[2], "account cafe: webhooks: off");
}

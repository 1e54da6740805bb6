//! `paylink invoice ...` against a sandbox started in this process: JSON out, one-line errors
//! with the right exit status, every violation of a bad create at once, and a key that never
//! shows up in what the command prints.

use std::process::{Command, Output};

use paylink_fake::FakeGateway;
use paylink_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

mod support;

use support::{stderr_line, with_stdin, BIN};
const KEY: &str = "xnd_development_cli_invoice_s3cr3t";

/// A sandbox serving on its own runtime for the length of one test.
struct Local {
    running: Sandbox,
    /// Serves the sandbox's tasks while the test waits for the binary; dropped after it.
    _runtime: tokio::runtime::Runtime,
}

impl Local {
    fn start() -> Local {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let config = SandboxConfig {
            secret_key: KEY.to_owned(),
            ..SandboxConfig::default()
        };
        let running = runtime
            .block_on(Sandbox::start(config, FakeGateway::builder().seed(7)))
            .expect("the sandbox starts");
        Local {
            running,
            _runtime: runtime,
        }
    }

    fn url(&self) -> &str {
        self.running.url()
    }

    /// `paylink invoice SUB --base-url URL [--secret-key KEY] ARGS`, with no key in the
    /// environment.
    fn invoice(&self, sub: &str, key: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = self.command(sub, key, args);
        cmd.output().expect("paylink runs")
    }

    fn command(&self, sub: &str, key: Option<&str>, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_remove("XENDIT_SECRET_KEY")
            .args(["invoice", sub, "--base-url", self.url()]);
        if let Some(key) = key {
            cmd.args(["--secret-key", key]);
        }
        cmd.args(args);
        cmd
    }

    fn ok(&self, sub: &str, args: &[&str]) -> Value {
        let output = self.invoice(sub, Some(KEY), args);
        json_out(&output)
    }

    fn create(&self, external_id: &str) -> Value {
        self.ok(
            "create",
            &["--external-id", external_id, "--amount", "50000"],
        )
    }
}

fn json_out(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "paylink failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn a_link_created_from_flags_is_read_back_listed_paid_and_then_not_expirable() {
    let sandbox = Local::start();
    let created = sandbox.ok(
        "create",
        &[
            "--external-id",
            "order-1",
            "--amount",
            "150000",
            "--currency",
            "IDR",
            "--description",
            "Two coffees",
            "--payer-email",
            "buyer@example.com",
            "--duration",
            "3600",
            "--payment-method",
            "DANA",
            "--payment-method",
            "BNI",
            "--success-url",
            "https://shop.example/ok",
            "--failure-url",
            "https://shop.example/failed",
            "--item",
            "Coffee: large:2:75000",
            "--metadata",
            "store=Jakarta",
        ],
    );
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["external_id"], "order-1");
    assert_eq!(created["amount"], serde_json::json!(150000));
    assert_eq!(created["currency"], "IDR");
    assert_eq!(created["description"], "Two coffees");
    assert_eq!(created["payer_email"], "buyer@example.com");
    assert_eq!(created["success_redirect_url"], "https://shop.example/ok");
    assert_eq!(created["items"][0]["name"], "Coffee: large");
    assert_eq!(created["items"][0]["quantity"], serde_json::json!(2));
    assert_eq!(created["metadata"]["store"], "Jakarta");
    let engine_copy = sandbox.running.engine().invoice(&id).expect("stored");
    assert_eq!(engine_copy.external_id, "order-1");

    let got = sandbox.ok("get", &[&id]);
    assert_eq!(got, created);

    let pending = sandbox.ok("list", &["--status", "PENDING", "--external-id", "order-1"]);
    assert_eq!(ids(&pending), vec![id.clone()]);
    let other = sandbox.ok("list", &["--external-id", "order-2"]);
    assert_eq!(ids(&other), Vec::<String>::new());

    let paid = json_out(&sandbox.invoice("pay", None, &[&id]));
    assert_eq!(paid["id"], id.as_str());
    assert_eq!(paid["status"], "PAID");
    assert_eq!(
        paid["payment_channel"], "BNI",
        "the first channel the link offers"
    );

    let pending_now = sandbox.ok("list", &["--status", "pending"]);
    assert_eq!(ids(&pending_now), Vec::<String>::new());
    let paid_list = sandbox.ok("list", &["--status", "PAID,SETTLED"]);
    assert_eq!(ids(&paid_list), vec![id.clone()]);

    let expire = sandbox.invoice("expire", Some(KEY), &[&id]);
    assert_eq!(expire.status.code(), Some(1));
    assert!(expire.stdout.is_empty());
    let line = stderr_line(&expire);
    assert!(
        line.starts_with("paylink: error: not found: HTTP 404 INVOICE_NOT_FOUND_ERROR: "),
        "{line}"
    );
    assert_eq!(sandbox.ok("get", &[&id])["status"], "PAID");
}

#[test]
fn a_pending_link_is_expired() {
    let sandbox = Local::start();
    let id = sandbox.create("to-expire")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let expired = sandbox.ok("expire", &[&id]);
    assert_eq!(expired["id"], id.as_str());
    assert_eq!(expired["status"], "EXPIRED");
    assert_eq!(sandbox.ok("get", &[&id])["status"], "EXPIRED");
}

#[test]
fn an_amount_is_sent_exactly_as_written() {
    let sandbox = Local::start();
    let output = sandbox.invoice(
        "create",
        Some(KEY),
        &[
            "--external-id",
            "php-1",
            "--amount",
            "1234567.89",
            "--currency",
            "php",
        ],
    );
    let created = json_out(&output);
    assert_eq!(created["currency"], "PHP");
    assert_eq!(created["amount"].to_string(), "1234567.89");
    let stored = sandbox
        .running
        .engine()
        .invoice(created["id"].as_str().expect("id"))
        .expect("stored");
    assert_eq!(stored.amount.to_string(), "1234567.89");
}

#[test]
fn a_create_that_breaks_rules_lists_every_violation_and_creates_nothing() {
    let sandbox = Local::start();
    let output = sandbox.invoice(
        "create",
        Some(KEY),
        &[
            "--external-id",
            " ",
            "--amount",
            "10000.5",
            "--payer-email",
            "not-an-email",
            "--success-url",
            "nowhere",
            "--item",
            "Coffee:two:75000",
            "--metadata",
            "no-equals-sign",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let line = stderr_line(&output);
    assert!(
        line.starts_with("paylink: error: invalid create request: "),
        "{line}"
    );
    for path in [
        "external_id: ",
        "amount: ",
        "payer_email: ",
        "success_redirect_url: ",
        "items[0].quantity: ",
        "metadata[0]: ",
    ] {
        assert!(line.contains(path), "{path} is named in {line}");
    }
    assert_eq!(line.matches("; ").count(), 5, "{line}");
    assert!(
        !line.contains(KEY),
        "the key is not in the error message: {line}"
    );

    let unreadable = sandbox.invoice(
        "create",
        Some(KEY),
        &["--external-id", "e", "--amount", "ten", "--currency", "EUR"],
    );
    assert_eq!(unreadable.status.code(), Some(1));
    assert_eq!(
        stderr_line(&unreadable),
        "paylink: error: invalid create request: amount: must be a decimal number, got `ten`; \
         currency: must be one of IDR, PHP, THB, VND, MYR, USD, got `EUR`"
    );

    assert_eq!(sandbox.ok("list", &[]), serde_json::json!([]));
    assert_eq!(sandbox.running.engine().len(), 0);
}

#[test]
fn a_full_request_body_is_read_from_standard_input_or_a_file() {
    let sandbox = Local::start();
    let body = serde_json::json!({
        "external_id": "json-1",
        "amount": 60000,
        "currency": "IDR",
        "customer": { "given_names": "Ana", "email": "ana@example.com" },
        "items": [{ "name": "Tea", "quantity": 3, "price": 20000, "category": "Drinks" }],
        "fees": [{ "type": "ADMIN", "value": 5000 }],
        "locale": "en",
    });
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let created = json_out(&with_stdin(
        sandbox.command("create", Some(KEY), &["--json", "-"]),
        &bytes,
    ));
    assert_eq!(created["external_id"], "json-1");
    assert_eq!(created["customer"]["given_names"], "Ana");
    assert_eq!(created["items"][0]["category"], "Drinks");
    assert_eq!(created["fees"][0]["type"], "ADMIN");

    let dir = std::env::temp_dir().join(format!("paylink-cli-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("create.json");
    let mut second = body.clone();
    second["external_id"] = "json-2".into();
    std::fs::write(&file, serde_json::to_vec(&second).expect("JSON")).expect("write");
    let from_file = sandbox.ok("create", &["--json", file.to_str().expect("utf-8")]);
    assert_eq!(from_file["external_id"], "json-2");
    let _ = std::fs::remove_dir_all(&dir);

    let bad = serde_json::json!({
        "external_id": "json-3",
        "amount": 5,
        "payer_email": "x",
        "items": [{ "name": "Tea", "quantity": 0, "price": 20000 }],
    });
    let refused = with_stdin(
        sandbox.command("create", Some(KEY), &["--json", "-"]),
        &serde_json::to_vec(&bad).expect("JSON"),
    );
    assert_eq!(refused.status.code(), Some(1));
    let line = stderr_line(&refused);
    for path in ["amount: ", "payer_email: ", "items[0].quantity: "] {
        assert!(line.contains(path), "{path} is named in {line}");
    }

    let wrong_type = with_stdin(
        sandbox.command("create", Some(KEY), &["--json", "-"]),
        br#"{"external_id": "json-4", "amount": "lots"}"#,
    );
    assert_eq!(wrong_type.status.code(), Some(1));
    assert!(
        stderr_line(&wrong_type).starts_with("paylink: error: invalid create request: amount: "),
        "{wrong_type:?}"
    );

    let flags_too = sandbox.invoice("create", Some(KEY), &["--json", "-", "--amount", "1"]);
    assert_eq!(flags_too.status.code(), Some(2));

    let list = sandbox.ok("list", &[]);
    let mut external: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["external_id"].as_str().expect("external_id"))
        .collect();
    external.sort_unstable();
    assert_eq!(external, ["json-1", "json-2"]);
}

#[test]
fn list_all_follows_the_cursor_to_the_last_page() {
    let sandbox = Local::start();
    let mut created: Vec<String> = (0..5)
        .map(|i| {
            sandbox.create(&format!("page-{i}"))["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let first_page = sandbox.ok("list", &["--limit", "2"]);
    assert_eq!(ids(&first_page).len(), 2);

    let all = sandbox.ok("list", &["--limit", "2", "--all"]);
    let mut listed = ids(&all);
    assert_eq!(listed.len(), 5, "{all}");
    listed.sort();
    created.sort();
    assert_eq!(listed, created);

    let after_first = sandbox.ok(
        "list",
        &["--limit", "2", "--last-invoice", &ids(&first_page)[1]],
    );
    assert_eq!(ids(&after_first), ids(&all)[2..4].to_vec());

    let old = sandbox.ok("list", &["--created-before", "2000-01-01T00:00:00Z"]);
    assert_eq!(ids(&old), Vec::<String>::new());
    let recent = sandbox.ok("list", &["--created-after", "2000-01-01T00:00:00+07:00"]);
    assert_eq!(ids(&recent).len(), 5);

    let bad_time = sandbox.invoice("list", Some(KEY), &["--paid-after", "yesterday"]);
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_time.stderr).contains("--paid-after"));
    let zero = sandbox.invoice("list", Some(KEY), &["--limit", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn a_sub_account_link_is_visible_only_with_its_for_user_id() {
    let sandbox = Local::start();
    let created = sandbox.ok(
        "create",
        &[
            "--external-id",
            "sub-1",
            "--amount",
            "20000",
            "--for-user-id",
            "sub-account-1",
        ],
    );
    let id = created["id"].as_str().expect("id");
    let hidden = sandbox.invoice("get", Some(KEY), &[id]);
    assert_eq!(hidden.status.code(), Some(1));
    assert!(stderr_line(&hidden).starts_with("paylink: error: not found: HTTP 404"));
    let seen = sandbox.ok("get", &[id, "--for-user-id", "sub-account-1"]);
    assert_eq!(seen["id"], id);
    let listed = sandbox.ok("list", &["--for-user-id", "sub-account-1"]);
    assert_eq!(ids(&listed), vec![id.to_owned()]);
}

#[test]
fn pay_takes_a_channel_or_a_method_and_says_why_it_was_refused() {
    let sandbox = Local::start();
    let created = sandbox.ok(
        "create",
        &[
            "--external-id",
            "pay-1",
            "--amount",
            "50000",
            "--payment-method",
            "BNI",
            "--payment-method",
            "OVO",
        ],
    );
    let id = created["id"].as_str().expect("id");
    let paid = json_out(&sandbox.invoice("pay", None, &[id, "--method", "EWALLET"]));
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["payment_method"], "EWALLET");
    assert_eq!(paid["payment_channel"], "OVO");

    let again = sandbox.invoice("pay", None, &[id, "--channel", "BNI"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr_line(&again)
            .starts_with("paylink: error: unexpected answer: HTTP 409 INVOICE_ALREADY_PAID"),
        "{again:?}"
    );

    let second = sandbox.create("pay-2");
    let second_id = second["id"].as_str().expect("id");
    let by_channel = json_out(&sandbox.invoice("pay", None, &[second_id, "--channel", "BNI"]));
    assert_eq!(by_channel["payment_channel"], "BNI");

    let unknown = sandbox.invoice("pay", None, &["no-such-invoice"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        stderr_line(&unknown),
        "paylink: error: not found: HTTP 404 INVOICE_NOT_FOUND_ERROR: Invoice not found."
    );
}

#[test]
fn a_missing_key_is_a_usage_error_in_one_line() {
    let sandbox = Local::start();
    for sub in [
        vec!["create", "--external-id", "k", "--amount", "50000"],
        vec!["get", "some-id"],
        vec!["list"],
        vec!["expire", "some-id"],
    ] {
        let output = sandbox.invoice(sub[0], None, &sub[1..]);
        assert_eq!(output.status.code(), Some(2), "{sub:?}");
        assert_eq!(
            stderr_line(&output),
            "paylink: error: no secret key: set XENDIT_SECRET_KEY or pass --secret-key"
        );
        assert!(output.stdout.is_empty());
    }
    let empty = sandbox
        .command("list", None, &[])
        .env("XENDIT_SECRET_KEY", "")
        .output()
        .expect("paylink runs");
    assert_eq!(empty.status.code(), Some(2));
    assert_eq!(sandbox.running.engine().len(), 0);
}

#[test]
fn the_key_can_come_from_the_environment() {
    let sandbox = Local::start();
    let output = sandbox
        .command(
            "create",
            None,
            &["--external-id", "env-1", "--amount", "50000"],
        )
        .env("XENDIT_SECRET_KEY", KEY)
        .output()
        .expect("paylink runs");
    let created = json_out(&output);
    assert_eq!(created["status"], "PENDING");
    let help = Command::new(BIN)
        .args(["invoice", "list", "--help"])
        .env("XENDIT_SECRET_KEY", KEY)
        .output()
        .expect("paylink runs");
    assert!(help.status.success());
    assert!(
        !String::from_utf8_lossy(&help.stdout).contains(KEY),
        "help does not show the key from the environment"
    );
}

#[test]
fn a_wrong_key_is_refused_without_printing_it() {
    let sandbox = Local::start();
    let wrong = "xnd_development_wrong_k3y_value";
    let output = sandbox.invoice(
        "create",
        Some(wrong),
        &["--external-id", "w", "--amount", "50000"],
    );
    assert_eq!(output.status.code(), Some(1));
    let line = stderr_line(&output);
    assert!(
        line.starts_with("paylink: error: unauthorized: HTTP 401 INVALID_API_KEY"),
        "{line}"
    );
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!everything.contains(wrong), "{everything}");
    assert!(!everything.contains("k3y"), "{everything}");
    assert_eq!(sandbox.running.engine().len(), 0);
}

#[test]
fn a_base_url_that_is_not_http_is_a_usage_error() {
    let output = Command::new(BIN)
        .env_remove("XENDIT_SECRET_KEY")
        .args([
            "invoice",
            "get",
            "--base-url",
            "ftp://127.0.0.1:4010",
            "--secret-key",
            KEY,
            "x",
        ])
        .output()
        .expect("paylink runs");
    assert_eq!(output.status.code(), Some(2));
    let line = stderr_line(&output);
    assert!(line.starts_with("paylink: error: --base-url: "), "{line}");
    assert!(!line.contains(KEY), "{line}");
}

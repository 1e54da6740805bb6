//! Seed files: the sample file loads and is served, and a bad file gives one error naming the
//! entry, the field and the rule, with nothing seeded.

mod support;

use std::path::PathBuf;

use paylink_core::{Gateway, InvoiceStatus, RequestOptions};
use paylink_fake::FakeGateway;
use paylink_sandbox::{apply_seed, load_seed_file, parse_seed, SeedFileError};
use reqwest::Method;
use rust_decimal_macros::dec;
use serde_json::Value;
use support::start_default;
use time::macros::datetime;

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sandbox-seed/invoices.json")
}

fn engine() -> FakeGateway {
    FakeGateway::builder()
        .seed(5)
        .start(datetime!(2025-01-02 03:04:05 UTC))
        .build()
}

/// The text of the error of seeding `text` into a fresh engine, checking nothing was seeded.
fn refused(text: &str) -> String {
    let engine = engine();
    let err = match parse_seed(text) {
        Ok(entries) => apply_seed(&engine, &entries).expect_err("refused"),
        Err(e) => e,
    };
    assert!(engine.is_empty(), "nothing is seeded from a bad file");
    err.to_string()
}

#[tokio::test]
async fn the_sample_file_seeds_an_invoice_of_every_status_and_the_sandbox_serves_them() {
    let entries = load_seed_file(sample()).expect("the sample reads");
    assert_eq!(entries.len(), 6);
    let (sandbox, client) = start_default().await;
    let engine = sandbox.engine();
    let seeded = apply_seed(&engine, &entries).expect("the sample seeds");
    let statuses: Vec<&InvoiceStatus> = seeded.iter().map(|i| &i.status).collect();
    assert_eq!(
        statuses,
        [
            &InvoiceStatus::Pending,
            &InvoiceStatus::Paid,
            &InvoiceStatus::Settled,
            &InvoiceStatus::Expired,
            &InvoiceStatus::Expired,
            &InvoiceStatus::Paid,
        ]
    );
    assert!(
        engine.callbacks().is_empty(),
        "no webhook for seeded history"
    );

    let paid = &seeded[1];
    assert_eq!(paid.paid_at, Some(datetime!(2024-11-20 09:12:30 UTC)));
    assert_eq!(
        paid.payment_channel.as_ref().map(|c| c.as_str()),
        Some("DANA")
    );
    assert_eq!(paid.items.len(), 1);
    let by_duration = engine.snapshot_invoice(&seeded[3].id).expect("stored");
    assert_eq!(
        by_duration.expired_at,
        Some(datetime!(2024-11-25 09:00:00 UTC))
    );
    let by_hand = engine.snapshot_invoice(&seeded[4].id).expect("stored");
    assert_eq!(by_hand.expired_at, Some(datetime!(2024-11-26 14:30:00 UTC)));

    // The amount is read exactly from the file's text.
    let php = &seeded[5];
    assert_eq!(php.amount, dec!(1250.75));
    assert_eq!(php.paid_amount, Some(dec!(1250.75)));
    assert_eq!(
        php.payment_channel.as_ref().map(|c| c.as_str()),
        Some("GCASH")
    );

    // Served over HTTP like any invoice: listed newest first, scoped by for-user-id.
    let list = client.get("/v2/invoices").await;
    let ids: Vec<&str> = list
        .body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|i| i["external_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "order-1001",
            "order-1005",
            "order-1004",
            "order-1002",
            "order-1003"
        ]
    );
    let scoped = client
        .send(
            client
                .authed(Method::GET, &format!("/v2/invoices/{}", php.id))
                .header("for-user-id", "sub-account-1"),
        )
        .await;
    assert_eq!(scoped.body["status"], Value::from("PAID"));
    assert_eq!(scoped.body["paid_amount"], serde_json::json!(1250.75));
    let pending = engine
        .get_invoice(&seeded[0].id, &RequestOptions::default())
        .await
        .expect("visible");
    assert_eq!(pending.created, engine.now());
}

#[test]
fn a_bare_array_is_a_seed_file_too() {
    let entries = parse_seed(r#"[{"external_id": "a", "amount": 20000, "status": "SETTLED"}]"#)
        .expect("reads");
    let seeded = apply_seed(&engine(), &entries).expect("seeds");
    assert_eq!(seeded[0].status, InvoiceStatus::Settled);
}

#[test]
fn a_missing_file_names_its_path() {
    let err = load_seed_file("no/such/seed.json").expect_err("missing");
    assert!(matches!(err, SeedFileError::Read { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with("could not read the seed file no/such/seed.json: "),
        "{text}"
    );
}

#[test]
fn text_that_is_not_json_names_the_line_and_column() {
    let text = "[\n  {\"external_id\": \"a\", \"amount\": 20000},\n  {\"external_id\": \"b\" \"amount\": 1}\n]";
    assert_eq!(
        refused(text),
        "not valid JSON at line 3 column 23: expected `,` or `}`"
    );
    let path = std::env::temp_dir().join(format!("paylink-seed-{}.json", std::process::id()));
    std::fs::write(&path, text).expect("written");
    let err = load_seed_file(&path).expect_err("not JSON").to_string();
    std::fs::remove_file(&path).expect("removed");
    assert_eq!(
        err,
        format!(
            "seed file {}: not valid JSON at line 3 column 23: expected `,` or `}}`",
            path.display()
        )
    );
}

#[test]
fn json_that_is_not_a_list_of_entries_is_refused() {
    for text in ["42", r#"{"invoice": []}"#, r#"{"invoices": {}}"#] {
        assert!(refused(text).starts_with("must be a JSON array of invoices"));
    }
    assert_eq!(refused("[7]"), "entry 0: entry: must be a JSON object");
}

#[test]
fn an_entry_the_api_would_refuse_names_the_entry_and_the_field_path() {
    let good = r#"{"external_id": "ok", "amount": 20000}"#;
    let cases = [
        (
            r#"{"amount": 20000}"#,
            "entry 1: external_id: is required",
        ),
        (
            r#"{"external_id": "order-7", "amount": "20000"}"#,
            "entry 1 (external_id \"order-7\"): amount: invalid type: string \"20000\", expected a JSON number",
        ),
        (
            r#"{"external_id": "order-7", "amount": 20000, "amount": 30000}"#,
            "entry 1 (external_id \"order-7\"): entry: duplicate field `amount`",
        ),
        (
            r#"{"external_id": "order-7", "amount": 20000, "items": [{"name": "Tea", "quantity": 0, "price": 1}]}"#,
            "entry 1 (external_id \"order-7\"): items[0].quantity: must be greater than 0",
        ),
        (
            r#"{"external_id": "order-7", "amount": 5000}"#,
            "entry 1 (external_id \"order-7\"): amount: The minimum amount for using this payment is IDR 10,000 (MINIMAL_TRANSFER_AMOUNT_ERROR)",
        ),
        // Every digit is read: this is not 100 PHP.
        (
            r#"{"external_id": "order-7", "amount": 100.0000000000000001, "currency": "PHP"}"#,
            "entry 1 (external_id \"order-7\"): amount: PHP takes 2 decimal places, got 100.0000000000000001",
        ),
    ];
    for (entry, expected) in cases {
        let text = format!("[{good}, {entry}]");
        let err = refused(&text);
        assert!(err.starts_with(expected), "{err}\nexpected: {expected}");
    }
}

#[test]
fn a_bad_seed_key_names_the_entry_the_key_and_the_rule() {
    let cases = [
        (
            r#""status": "paid""#,
            "status: must be PENDING, PAID, SETTLED or EXPIRED, got \"paid\"",
        ),
        (r#""status": 1"#, "status: must be a string, got 1"),
        (
            r#""status": "PAID", "status": "PAID""#,
            "status: is given more than once",
        ),
        (
            r#""created": "yesterday""#,
            "created: must be an RFC 3339 time such as 2026-03-01T12:00:00Z, got \"yesterday\"",
        ),
        (
            r#""status": "PAID", "paid_at": "2025-01-02T03:04:06Z""#,
            "paid_at: 2025-01-02T03:04:06.000Z is after the clock 2025-01-02T03:04:05.000Z",
        ),
        (
            r#""status": "PAID", "created": "2024-12-01T00:00:00Z", "paid_at": "2024-12-03T00:00:00Z""#,
            "paid_at: 2024-12-03T00:00:00.000Z is at or after the invoice's expiry_date 2024-12-02T00:00:00.000Z",
        ),
        (
            r#""status": "SETTLED", "payment_channel": "OVO", "payment_methods": ["BNI"]"#,
            "payment_channel: `OVO` is not offered by this invoice (it offers BNI)",
        ),
        (
            r#""settled_at": "2024-12-01T00:00:00Z""#,
            "settled_at: is only for a SETTLED invoice, and status is PENDING",
        ),
        (
            r#""created": "2024-12-01T00:00:00Z""#,
            "status: cannot be PENDING: its expiry_date 2024-12-02T00:00:00.000Z",
        ),
    ];
    for (keys, expected) in cases {
        let text = format!(
            r#"[{{"external_id": "ok", "amount": 20000}}, {{"external_id": "order-7", "amount": 20000, {keys}}}]"#
        );
        let err = refused(&text);
        let expected = format!("entry 1 (external_id \"order-7\"): {expected}");
        assert!(err.starts_with(&expected), "{err}\nexpected: {expected}");
    }
}

#[test]
fn the_reference_example_seeds_one_invoice_of_each_status() {
    let readme = include_str!("../src/README.md");
    let section = &readme[readme.find("# Seed data").expect("the seed section")..];
    let start = section.find("```json\n").expect("an example") + "```json\n".len();
    let example = &section[start..];
    let example = &example[..example.find("```").expect("the end of the example")];
    let entries = parse_seed(example).expect("the example reads");
    let seeded = apply_seed(&engine(), &entries).expect("the example seeds");
    let statuses: Vec<&InvoiceStatus> = seeded.iter().map(|i| &i.status).collect();
    assert_eq!(
        statuses,
        [
            &InvoiceStatus::Pending,
            &InvoiceStatus::Paid,
            &InvoiceStatus::Settled,
            &InvoiceStatus::Expired,
        ]
    );
}

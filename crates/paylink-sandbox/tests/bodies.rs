//! How the sandbox reads request bodies: exactly as the core and `serde_json` read the same
//! text. Each test is an input the `create_request` or `sandbox_control` fuzz target found
//! (see docs/fuzzing.md), cut down to what matters.

use paylink_sandbox::{parse_create_body, read_control_body, AdvanceRequest, PayRequest};
use rust_decimal::Decimal;
use serde_json::json;

fn errors(answer: &paylink_sandbox::ErrorAnswer) -> serde_json::Value {
    answer.api_error().errors.clone().unwrap_or_default()
}

#[test]
fn a_create_body_that_repeats_a_field_is_refused_as_the_core_refuses_it() {
    let body = br#"{"external_id": "o", "amount": 510000, "invoice_duration": 86400,
        "invoice_duration": 60}"#;
    assert!(serde_json::from_slice::<paylink_core::CreateInvoiceFields>(body).is_err());
    let answer = parse_create_body(body).expect_err("a repeated field is refused");
    assert_eq!(answer.api_error().error_code, "API_VALIDATION_ERROR");
    assert_eq!(
        errors(&answer),
        json!([{"path": "body", "message": "duplicate field `invoice_duration`"}])
    );
}

#[test]
fn a_create_amount_with_more_digits_than_an_f64_holds_is_read_exactly() {
    let body = br#"{"external_id": "o", "amount": 100.0000000000000001, "currency": "PHP"}"#;
    let fields = parse_create_body(body).expect("a JSON object of the right shape");
    let exact: Decimal = "100.0000000000000001".parse().expect("a decimal");
    assert_eq!(fields.amount, exact);
    assert_ne!(fields.amount, Decimal::from(100));
}

#[test]
fn a_create_body_with_bytes_that_are_not_utf8_is_invalid_json_even_in_an_unknown_field() {
    let body = b"{\"external_id\": \"o\", \"amount\": 20000, \"note\": \"\xc0\xc1\"}";
    let answer = parse_create_body(body).expect_err("not JSON");
    assert_eq!(answer.api_error().error_code, "INVALID_JSON_FORMAT");
}

#[test]
fn a_missing_create_field_is_named_without_a_line_and_column() {
    let answer = parse_create_body(br#"{"external_id": "o"}"#).expect_err("no amount");
    assert_eq!(
        errors(&answer),
        json!([{"path": "amount", "message": "is required"}])
    );
    let answer =
        parse_create_body(br#"{"external_id": "o", "amount": "10000"}"#).expect_err("a string");
    let message = errors(&answer)[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!message.contains("line"), "{message}");
    assert_eq!(errors(&answer)[0]["path"], "amount");
}

#[test]
fn a_control_body_reads_as_serde_json_reads_it_and_a_repeated_field_is_refused() {
    let read = read_control_body::<AdvanceRequest>(br#"{"seconds": 60}"#);
    assert_eq!(read, Ok(Some(AdvanceRequest { seconds: 60 })));
    let answer = read_control_body::<AdvanceRequest>(br#"{"seconds": 60, "seconds": 1}"#)
        .expect_err("a repeated field is refused");
    assert_eq!(answer.api_error().error_code, "API_VALIDATION_ERROR");
    assert_eq!(read_control_body::<PayRequest>(b" \n"), Ok(None));
    assert_eq!(read_control_body::<PayRequest>(b"null"), Ok(None));
}

//! Malformed invoice callback bodies, each with the exact `WebhookError` it must produce: the
//! JSON path of the problem and what is wrong.

use paylink_core::{parse_callback, verify_and_parse, CallbackToken, WebhookError};
use serde_json::{json, Value};

/// A valid PAID callback (the DANA example of the spec, shortened).
fn paid() -> Value {
    json!({
        "id": "6748105a77f16ebe0cc583a7",
        "external_id": "payment-link-example",
        "user_id": "62440e322008e87fb29c1fd0",
        "status": "PAID",
        "merchant_name": "Your Business Name",
        "amount": 510000,
        "currency": "IDR",
        "created": "2024-11-28T06:40:26.508Z",
        "updated": "2024-11-28T06:41:34.702Z",
        "paid_amount": 510000,
        "paid_at": "2024-11-28T06:41:29.776Z",
        "payment_method": "EWALLET",
        "payment_channel": "DANA",
        "ewallet_type": "DANA",
        "items": [{"name": "Air Conditioner", "quantity": 1, "price": 100000}]
    })
}

fn with(changes: &[(&str, Option<Value>)]) -> Vec<u8> {
    let mut body = paid();
    let obj = body.as_object_mut().expect("the base body is an object");
    for (key, value) in changes {
        match value {
            Some(v) => {
                obj.insert((*key).to_owned(), v.clone());
            }
            None => {
                obj.remove(*key);
            }
        }
    }
    serde_json::to_vec(&body).expect("serializes")
}

/// Parses `body` and compares the error's path and message. serde_json ends its messages with
/// ` at line L column C`; the path already says where, so that suffix is cut before comparing
/// unless `expected_message` has it too.
fn check(name: &str, body: &[u8], expected_path: &str, expected_message: &str) {
    let (path, message) = match parse_callback(body) {
        Err(WebhookError::Body { path, message }) => (path, message),
        other => panic!("{name}: expected a body error, got {other:?}"),
    };
    let message = if expected_message.contains(" at line ") {
        message.as_str()
    } else {
        message
            .rfind(" at line ")
            .map_or(message.as_str(), |i| &message[..i])
    };
    assert_eq!(
        (path.as_str(), message),
        (expected_path, expected_message),
        "{name}"
    );
}

/// The length of `body` up to the end of the first `marker`.
fn cut_after(body: &[u8], marker: &[u8]) -> usize {
    body.windows(marker.len())
        .position(|w| w == marker)
        .map(|i| i + marker.len())
        .expect("the marker is in the body")
}

#[test]
fn the_base_body_is_a_valid_paid_callback() {
    let event = parse_callback(&with(&[])).expect("valid");
    assert_eq!(event.callback.id, "6748105a77f16ebe0cc583a7");
}

#[test]
fn every_malformed_body_names_its_json_path_and_problem() {
    let valid = with(&[]);
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("not JSON", b"hello".to_vec(), "$", "expected value at line 1 column 1"),
        ("an empty body", Vec::new(), "$", "EOF while parsing a value at line 1 column 0"),
        (
            "a form body",
            b"id=1&status=PAID".to_vec(),
            "$",
            "expected value at line 1 column 1",
        ),
        (
            "truncated after a key",
            valid[..cut_after(&valid, b"\"amount\":")].to_vec(),
            "$.amount",
            "EOF while parsing a value",
        ),
        (
            "truncated inside a timestamp",
            valid[..cut_after(&valid, b"\"created\":\"2024-11")].to_vec(),
            "$.created",
            "EOF while parsing a string",
        ),
        (
            "truncated before the closing brace",
            valid[..valid.len() - 1].to_vec(),
            "$",
            "EOF while parsing an object",
        ),
        (
            "an array instead of an object",
            b"[]".to_vec(),
            "$",
            "invalid type: sequence, expected struct InvoiceCallback",
        ),
        (
            "an array of the body",
            format!("[{}]", String::from_utf8_lossy(&valid)).into_bytes(),
            "$",
            "invalid type: sequence, expected struct InvoiceCallback",
        ),
        (
            "null",
            b"null".to_vec(),
            "$",
            "invalid type: null, expected struct InvoiceCallback",
        ),
        (
            "trailing garbage",
            [valid.clone(), b"x".to_vec()].concat(),
            "$",
            "trailing characters",
        ),
        ("missing id", with(&[("id", None)]), "$", "missing field `id`"),
        (
            "missing created",
            with(&[("created", None)]),
            "$",
            "missing field `created`",
        ),
        (
            "an id that is a number",
            with(&[("id", Some(json!(42)))]),
            "$.id",
            "invalid type: integer `42`, expected a string",
        ),
        (
            "amount as words",
            with(&[("amount", Some(json!("ten")))]),
            "$.amount",
            "invalid type: string \"ten\", expected a JSON number",
        ),
        (
            "amount as a numeric string, which the create path refuses too",
            with(&[("amount", Some(json!("80000")))]),
            "$.amount",
            "invalid type: string \"80000\", expected a JSON number",
        ),
        (
            "paid amount as a numeric string",
            with(&[("paid_amount", Some(json!("80000")))]),
            "$.paid_amount",
            "invalid type: string \"80000\", expected a JSON number",
        ),
        (
            "a fraction of a rupiah",
            with(&[("amount", Some(json!(50000.5)))]),
            "$.amount",
            "IDR takes 0 decimal places, got 50000.5",
        ),
        (
            "a paid fraction of a rupiah",
            with(&[("paid_amount", Some(json!(0.5)))]),
            "$.paid_amount",
            "IDR takes 0 decimal places, got 0.5",
        ),
        (
            "amount as a boolean",
            with(&[("amount", Some(json!(true)))]),
            "$.amount",
            "invalid type: boolean `true`, expected a JSON number",
        ),
        (
            "a status that is not text",
            with(&[("status", Some(json!(1)))]),
            "$.status",
            "invalid type: integer `1`, expected a string",
        ),
        (
            "a paid_at that is not a timestamp",
            with(&[("paid_at", Some(json!("yesterday")))]),
            "$.paid_at",
            "invalid timestamp `yesterday`: the 'year' component could not be parsed",
        ),
        (
            "a paid_at without a time zone",
            with(&[("paid_at", Some(json!("2024-11-28T06:41:29.776")))]),
            "$.paid_at",
            "invalid timestamp `2024-11-28T06:41:29.776`: the 'offset hour' component could not be parsed",
        ),
        (
            "a paid_at as a number",
            with(&[("paid_at", Some(json!(1732776089)))]),
            "$.paid_at",
            "invalid type: integer `1732776089`, expected a string",
        ),
        (
            "a created date that does not exist",
            with(&[("created", Some(json!("2024-02-30T00:00:00.000Z")))]),
            "$.created",
            "invalid timestamp `2024-02-30T00:00:00.000Z`: day was not in range",
        ),
        (
            "an unknown currency",
            with(&[("currency", Some(json!("EUR")))]),
            "$.currency",
            "unknown variant `EUR`, expected one of `IDR`, `PHP`, `THB`, `VND`, `MYR`, `USD`",
        ),
        (
            "PAID without payment_method or paid_at",
            with(&[("payment_method", None), ("paid_at", None)]),
            "$.payment_method",
            "a PAID callback must say how it was paid (payment_method or paid_at)",
        ),
        (
            "items[0].price as a string",
            with(&[(
                "items",
                Some(json!([{"name": "AC", "quantity": 1, "price": "a lot"}])),
            )]),
            "$.items[0].price",
            "invalid type: string \"a lot\", expected a JSON number",
        ),
        (
            "items[1] without a quantity",
            with(&[(
                "items",
                Some(json!([
                    {"name": "AC", "quantity": 1, "price": 1},
                    {"name": "Fan", "price": 1}
                ])),
            )]),
            "$.items[1]",
            "missing field `quantity`",
        ),
        (
            "items[0] as an array",
            with(&[("items", Some(json!([["AC", 1, 100000]])))]),
            "$.items[0]",
            "invalid type: sequence, expected struct InvoiceItem",
        ),
        (
            "items as an object",
            with(&[("items", Some(json!({"name": "AC"})))]),
            "$.items",
            "invalid type: map, expected a sequence",
        ),
        (
            "fees[0].value as a boolean",
            with(&[("fees", Some(json!([{"type": "ADMIN", "value": false}])))]),
            "$.fees[0].value",
            "invalid type: boolean `false`, expected a JSON number",
        ),
        (
            "payment_details as text",
            with(&[("payment_details", Some(json!("QRIS")))]),
            "$.payment_details",
            "invalid type: string \"QRIS\", expected struct PaymentDetails",
        ),
        (
            "is_high as text",
            with(&[("is_high", Some(json!("no")))]),
            "$.is_high",
            "invalid type: string \"no\", expected a boolean",
        ),
    ];
    for (name, body, path, message) in cases {
        check(name, &body, path, message);
    }
}

#[test]
fn a_body_that_is_not_utf8_is_refused_with_its_position() {
    let mut body = with(&[]);
    let id = body
        .windows(6)
        .position(|w| w == br#""id":""#)
        .expect("the body has an id");
    body[id + 7] = 0xff;
    let err = parse_callback(&body).expect_err("invalid UTF-8 inside a string");
    assert_eq!(
        err,
        WebhookError::Body {
            path: "$.id".into(),
            message: format!("invalid unicode code point at line 1 column {}", id + 8),
        }
    );
}

#[test]
fn a_bad_token_is_refused_before_the_body_is_read() {
    let token = CallbackToken::from_static("secret-token");
    assert_eq!(
        verify_and_parse(&token, Some(b"wrong"), b"not even JSON").err(),
        Some(WebhookError::TokenMismatch)
    );
    assert_eq!(
        verify_and_parse(&token, None, b"not even JSON").err(),
        Some(WebhookError::MissingToken)
    );
    let err = verify_and_parse(&token, Some(b"secret-token"), b"[]").expect_err("bad body");
    assert!(!err.to_string().contains("secret-token"));
    assert_eq!(
        err.to_string(),
        "invalid callback body at $: invalid type: sequence, expected struct InvoiceCallback at line 1 column 0"
    );
}

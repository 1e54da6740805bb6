//! Raw JSON that must not become a `CreateInvoiceRequest`, each with its exact error: wrong
//! shapes and types (refused while reading) and valid shapes that break a rule (refused by
//! validation, every violation listed).

use paylink_core::CreateInvoiceRequest;

/// Deserializes `json` and compares the error, without serde_json's line and column suffix.
fn check(json: &str, expected: &str) {
    let err = match serde_json::from_str::<CreateInvoiceRequest>(json) {
        Ok(r) => panic!("{json}: expected an error, got {r:?}"),
        Err(e) => e,
    };
    let text = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    let message = text.strip_suffix(&position).unwrap_or(&text);
    assert_eq!(message, expected, "{json}");
}

fn items(n: usize) -> String {
    let one = r#"{"name":"Coffee","quantity":1,"price":10000}"#;
    format!(
        r#"{{"external_id":"a","amount":10000,"items":[{}]}}"#,
        vec![one; n].join(",")
    )
}

fn fees(n: usize) -> String {
    let one = r#"{"type":"ADMIN","value":1000}"#;
    format!(
        r#"{{"external_id":"a","amount":10000,"fees":[{}]}}"#,
        vec![one; n].join(",")
    )
}

fn metadata(entries: &[(String, String)]) -> String {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    format!(
        r#"{{"external_id":"a","amount":10000,"metadata":{{{}}}}}"#,
        body.join(",")
    )
}

#[test]
fn json_of_the_wrong_shape_or_type_is_refused_while_reading() {
    let cases: &[(&str, &str)] = &[
        ("", "EOF while parsing a value"),
        (
            "[]",
            "invalid type: sequence, expected struct CreateInvoiceFields",
        ),
        // A derived deserializer would read these positionally, as external_id and amount.
        (
            r#"["order-1",10000]"#,
            "invalid type: sequence, expected struct CreateInvoiceFields",
        ),
        (
            r#"{"external_id":"a","amount":10000,"items":[["Coffee",1,10000]]}"#,
            "invalid type: sequence, expected struct InvoiceItem",
        ),
        (
            r#"{"external_id":"a","amount":10000,"fees":[["ADMIN",1000]]}"#,
            "invalid type: sequence, expected struct InvoiceFee",
        ),
        (
            r#"{"external_id":"a","amount":10000,"channel_properties":{"cards":[["123456"]]}}"#,
            "invalid type: sequence, expected struct CardProperties",
        ),
        (
            "\"order-1\"",
            "invalid type: string \"order-1\", expected struct CreateInvoiceFields",
        ),
        (
            "null",
            "invalid type: null, expected struct CreateInvoiceFields",
        ),
        (r#"{"amount":10000}"#, "missing field `external_id`"),
        (r#"{"external_id":"a"}"#, "missing field `amount`"),
        (
            r#"{"external_id":"a","amount":"ten thousand"}"#,
            r#"invalid type: string "ten thousand", expected a JSON number"#,
        ),
        (
            r#"{"external_id":"a","amount":true}"#,
            "invalid type: boolean `true`, expected a JSON number",
        ),
        (
            r#"{"external_id":"a","amount":"10000"}"#,
            r#"invalid type: string "10000", expected a JSON number"#,
        ),
        (
            r#"{"external_id":7,"amount":10000}"#,
            "invalid type: integer `7`, expected a string",
        ),
        (
            r#"{"external_id":"a","amount":10000,"currency":"EUR"}"#,
            "unknown variant `EUR`, expected one of `IDR`, `PHP`, `THB`, `VND`, `MYR`, `USD`",
        ),
        (
            r#"{"external_id":"a","amount":10000,"currency":"idr"}"#,
            "unknown variant `idr`, expected one of `IDR`, `PHP`, `THB`, `VND`, `MYR`, `USD`",
        ),
        (
            r#"{"external_id":"a","amount":10000,"invoice_duration":1.5}"#,
            "expected whole seconds, got 1.5",
        ),
        (
            r#"{"external_id":"a","amount":10000,"invoice_duration":-1}"#,
            "expected seconds from 0 to 4294967295, got -1",
        ),
        (
            r#"{"external_id":"a","amount":10000,"invoice_duration":4294967296}"#,
            "expected seconds from 0 to 4294967295, got 4294967296",
        ),
        (
            r#"{"external_id":"a","amount":10000,"items":[{"name":"x","quantity":1,"price":"abc"}]}"#,
            r#"invalid type: string "abc", expected a JSON number"#,
        ),
        (
            r#"{"external_id":"a","amount":10000,"items":[{"name":"x","price":1}]}"#,
            "missing field `quantity`",
        ),
        (
            r#"{"external_id":"a","amount":10000,"fees":[{"value":1}]}"#,
            "missing field `type`",
        ),
        (
            r#"{"external_id":"a","amount":10000,"metadata":[]}"#,
            "invalid type: sequence, expected a map",
        ),
        (
            r#"{"external_id":"a","amount":10000,"should_send_email":"yes"}"#,
            r#"invalid type: string "yes", expected a boolean"#,
        ),
        (
            r#"{"external_id":"a","amount":10000"#,
            "EOF while parsing an object",
        ),
    ];
    for (json, expected) in cases {
        check(json, expected);
    }
}

#[test]
fn json_that_breaks_a_rule_lists_every_violation() {
    let long_key = "k".repeat(41);
    let fifty_one: Vec<(String, String)> =
        (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let cases: Vec<(String, String)> = vec![
        (
            r#"{"external_id":"","amount":10000}"#.into(),
            "external_id: must not be empty".into(),
        ),
        (
            r#"{"external_id":"a","amount":9999}"#.into(),
            "amount: must be at least 10000 IDR, got 9999".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000.5}"#.into(),
            "amount: IDR takes 0 decimal places, got 10000.5".into(),
        ),
        (
            r#"{"external_id":"a","amount":10.505,"currency":"USD"}"#.into(),
            "amount: USD takes 2 decimal places, got 10.505".into(),
        ),
        (
            r#"{"external_id":"a","amount":0,"currency":"THB"}"#.into(),
            "amount: must be greater than 0, got 0".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000,"invoice_duration":0}"#.into(),
            "invoice_duration: must be from 1 to 31536000 seconds, got 0".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000,"invoice_duration":"31536001"}"#.into(),
            "invoice_duration: must be from 1 to 31536000 seconds, got 31536001".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000,"items":[{"name":"x","quantity":1,"price":1},{"name":"y","quantity":0,"price":1}]}"#.into(),
            "items[1].quantity: must be greater than 0".into(),
        ),
        (items(76), "items: must have at most 75 entries, got 76".into()),
        (fees(11), "fees: must have at most 10 entries, got 11".into()),
        (
            metadata(&fifty_one),
            "metadata: must have at most 50 keys, got 51".into(),
        ),
        (
            metadata(&[(long_key.clone(), "v".into())]),
            format!("metadata.{long_key}: key must be at most 40 characters, got 41"),
        ),
        (
            metadata(&[("note".into(), "v".repeat(501))]),
            "metadata.note: value must be at most 500 characters, got 501".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000,"payer_email":"a@b","customer":{"email":"c"}}"#.into(),
            "payer_email: must be an e-mail address, got `a@b`; customer.email: must be an e-mail address, got `c`".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000,"success_redirect_url":"/thanks","failure_redirect_url":"mailto:a@b.com"}"#.into(),
            "success_redirect_url: must be an absolute http(s) URL, got `/thanks`; failure_redirect_url: must be an absolute http(s) URL, got `mailto:a@b.com`".into(),
        ),
        (
            r#"{"external_id":"a","amount":10000,"channel_properties":{"cards":{"allowed_bins":["1234567"]}}}"#.into(),
            "channel_properties.cards.allowed_bins[0]: must be 6 or 8 digits, got `1234567`".into(),
        ),
        (
            r#"{"external_id":" ","amount":-1,"currency":"VND","invoice_duration":0}"#.into(),
            "external_id: must not be empty; amount: must be greater than 0, got -1; invoice_duration: must be from 1 to 31536000 seconds, got 0".into(),
        ),
    ];
    for (json, violations) in cases {
        check(&json, &format!("invalid create request: {violations}"));
    }
}

#[test]
fn a_number_written_as_text_is_read_where_the_older_spec_types_it_so() {
    let r: CreateInvoiceRequest =
        serde_json::from_str(r#"{"external_id":"a","amount":10000,"invoice_duration":"86400"}"#)
            .expect("the older OpenAPI file types invoice_duration as a string");
    assert_eq!(r.fields().invoice_duration, Some(86_400));
    let r: CreateInvoiceRequest =
        serde_json::from_str(r#"{"external_id":"a","amount":10000,"invoice_duration":86400.0}"#)
            .expect("a whole number written with a fraction");
    assert_eq!(r.invoice_duration_or_default(), 86_400);
}

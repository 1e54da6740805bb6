//! Every example payload of the spec (copied into `tests/data/`) parses or serializes, with an
//! insta snapshot of the result.

mod support;

use paylink_core::{parse_callback, CreateInvoiceRequest, GatewayError, Invoice};
use serde_json::Value;
use support::{data, fixture};

fn check_invoice(rel: &str) {
    let raw = data(rel);
    let invoice: Invoice = serde_json::from_slice(&raw).expect("fixture parses as Invoice");
    let back: Value = serde_json::to_value(&invoice).expect("serializes");
    assert_eq!(
        back,
        fixture(rel),
        "{rel}: parse then serialize keeps every field"
    );
    insta::assert_debug_snapshot!(rel.replace('/', "__"), invoice);
}

fn check_request(rel: &str) {
    let raw = data(rel);
    let request: CreateInvoiceRequest =
        serde_json::from_slice(&raw).expect("fixture is a valid create request");
    let back: Value = serde_json::to_value(&request).expect("serializes");
    assert_eq!(
        back,
        fixture(rel),
        "{rel}: the request serializes to the fixture"
    );
    // The wire text itself: assert_json_snapshot! would show serde_json's arbitrary-precision
    // numbers as `{"$serde_json::private::Number": ...}` objects.
    let text = serde_json::to_string_pretty(&request).expect("serializes");
    insta::assert_snapshot!(rel.replace('/', "__"), text);
}

fn check_webhook(rel: &str) {
    let raw = data(rel);
    let event = parse_callback(&raw).expect("fixture parses as a callback");
    let back: Value = serde_json::to_value(&event.callback).expect("serializes");
    assert_eq!(
        back,
        fixture(rel),
        "{rel}: parse then serialize keeps every field"
    );
    insta::assert_debug_snapshot!(rel.replace('/', "__"), event);
}

#[test]
fn the_doc_create_response_parses_and_round_trips() {
    check_invoice("invoice/create_response_doc_pl.json");
}

#[test]
fn the_spec_invoice_example_parses_and_round_trips() {
    check_invoice("invoice/spec_invoice_example.json");
}

#[test]
fn the_doc_create_request_is_valid_and_serializes_back() {
    check_request("request/create_doc_pl.json");
}

#[test]
fn the_minimal_sdk_request_is_valid_and_serializes_back() {
    check_request("request/minimal_sdk_docs.json");
}

#[test]
fn the_card_bin_request_is_valid_and_serializes_back() {
    check_request("request/card_bin_whitelist.json");
}

#[test]
fn the_dana_paid_webhook_parses() {
    check_webhook("webhook/paid_ewallet_dana.json");
}

#[test]
fn the_virtual_account_paid_webhook_parses() {
    check_webhook("webhook/paid_virtual_account_testbank.json");
}

#[test]
fn the_retail_outlet_paid_webhook_parses() {
    check_webhook("webhook/paid_retail_outlet_alfamart.json");
}

#[test]
fn the_expired_webhook_parses() {
    check_webhook("webhook/expired.json");
}

#[test]
fn every_spec_error_body_maps_to_a_typed_error() {
    let raw = data("errors/spec_error_bodies.jsonl");
    let text = String::from_utf8(raw).expect("utf-8");
    let mut mapped = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let body: Value = serde_json::from_str(line).expect("each line is JSON");
        let code = body["error_code"].as_str().expect("error_code").to_owned();
        let status = match code.as_str() {
            "INVALID_API_KEY" => 401,
            "ACCESS_SUSPENDED" => 403,
            "CALLBACK_VIRTUAL_ACCOUNT_NOT_FOUND_ERROR"
            | "UNIQUE_ACCOUNT_NUMBER_UNAVAILABLE_ERROR"
            | "PAYMENT_CODE_NOT_AVAILABLE_ERROR"
            | "INVOICE_NOT_FOUND_ERROR" => 404,
            "INTERNAL_SERVER_ERROR" => 500,
            _ => 400,
        };
        let e = GatewayError::from_response(status, line.as_bytes(), None);
        assert_eq!(e.error_code(), Some(code.as_str()));
        mapped.push(format!("{status} {code} -> {}", variant(&e)));
    }
    insta::assert_snapshot!(mapped.join("\n"));
}

/// The variant's name, as the snapshot lists it.
fn variant(e: &GatewayError) -> &'static str {
    match e {
        GatewayError::NotFound(_) => "not_found",
        GatewayError::Unauthorized(_) => "unauthorized",
        GatewayError::Forbidden(_) => "forbidden",
        GatewayError::Validation(_) => "validation",
        GatewayError::RateLimited { .. } => "rate_limited",
        GatewayError::Server(_) => "server",
        GatewayError::Api(_) => "api",
        GatewayError::Timeout { .. } => "timeout",
        GatewayError::Transport { .. } => "transport",
        GatewayError::Decode { .. } => "decode",
        _ => "other",
    }
}

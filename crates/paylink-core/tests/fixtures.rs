//! Every example payload of the spec (copied into `tests/data/`) parses or serializes, with an
//! insta snapshot of the result.

mod support;

use paylink_core::{parse_callback, CreateInvoiceRequest, GatewayError, Invoice};
use serde_json::Value;
use std::path::Path;
use support::data;

/// A fixture's bytes and its JSON.
fn read(path: &Path) -> (Vec<u8>, Value) {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let json =
        serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{} is JSON: {e}", path.display()));
    (raw, json)
}

fn check_invoice(path: &Path) {
    let (raw, json) = read(path);
    let invoice: Invoice = serde_json::from_slice(&raw).expect("fixture parses as Invoice");
    let back: Value = serde_json::to_value(&invoice).expect("serializes");
    assert_eq!(
        back,
        json,
        "{}: parse then serialize keeps every field",
        path.display()
    );
    insta::assert_debug_snapshot!(invoice);
}

fn check_request(path: &Path) {
    let (raw, json) = read(path);
    let request: CreateInvoiceRequest =
        serde_json::from_slice(&raw).expect("fixture is a valid create request");
    let back: Value = serde_json::to_value(&request).expect("serializes");
    assert_eq!(
        back,
        json,
        "{}: the request serializes to the fixture",
        path.display()
    );
    insta::assert_json_snapshot!(request);
}

fn check_webhook(path: &Path) {
    let (raw, json) = read(path);
    let event = parse_callback(&raw).expect("fixture parses as a callback");
    let back: Value = serde_json::to_value(&event.callback).expect("serializes");
    assert_eq!(
        back,
        json,
        "{}: parse then serialize keeps every field",
        path.display()
    );
    insta::assert_debug_snapshot!(event);
}

// A new fixture file needs no new test: each folder is read whole.

#[test]
fn every_invoice_fixture_parses_and_round_trips() {
    insta::glob!("data/invoice/*.json", check_invoice);
}

#[test]
fn every_request_fixture_is_valid_and_serializes_back() {
    insta::glob!("data/request/*.json", check_request);
}

#[test]
fn every_webhook_fixture_parses_and_round_trips() {
    insta::glob!("data/webhook/*.json", check_webhook);
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

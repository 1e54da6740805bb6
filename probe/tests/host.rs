//! The host application's view: with every paylink library crate in its dependency graph,
//! serde, serde_json and rust_decimal must behave exactly as they do without paylink, and no
//! feature that would change them may be on in the resolved graph.
//!
//! Cargo unifies features across the whole graph, so a feature a library turns on (serde_json's
//! `arbitrary_precision` or `preserve_order`, rust_decimal's `serde-float`...) changes the
//! behaviour of the host's own code too. Each test below is something a host relies on.

use std::collections::HashMap;
use std::process::Command;

use paylink_core::{CreateInvoiceRequest, Currency, InvoiceItem};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// Features that change how a crate behaves for everyone in the graph, with why each matters.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "serde_json",
        "arbitrary_precision",
        "every serde_json::Number becomes a string-backed private map, so `#[serde(flatten)]` and \
         `#[serde(untagged)]` stop reading numbers, Number::to_string keeps the literal and \
         other serializers (insta, ...) see `{\"$serde_json::private::Number\": ...}`",
    ),
    (
        "serde_json",
        "preserve_order",
        "serde_json::Map becomes an IndexMap, so every Value object keeps insertion order \
         instead of sorting its keys, which changes the host's JSON output and equality-by-text",
    ),
    (
        "rust_decimal",
        "serde-float",
        "every Decimal serializes as a JSON number (an f64, or arbitrary precision) instead of \
         the string \"1.50\" rust_decimal documents, and deserializes through f64",
    ),
    (
        "rust_decimal",
        "serde-arbitrary-precision",
        "every Decimal (de)serializes as a serde_json arbitrary-precision number instead of a \
         string, and it turns on serde_json's `arbitrary_precision` for the whole graph",
    ),
    (
        "rust_decimal",
        "serde-with-float",
        "it is the feature behind `serde-float`; paylink must write its numbers itself rather \
         than lean on rust_decimal's float (de)serialization",
    ),
    (
        "rust_decimal",
        "serde-with-arbitrary-precision",
        "it turns on serde_json's `arbitrary_precision` for the whole graph",
    ),
    (
        "rust_decimal",
        "serde-str",
        "every Decimal then deserializes only from strings (deserialize_str), so a host's \
         Decimal no longer reads a JSON number",
    ),
];

#[test]
fn a_decimal_serializes_as_the_string_rust_decimal_documents() {
    let text = serde_json::to_string(&Decimal::new(150, 2)).expect("a Decimal serializes");
    assert_eq!(
        text, "\"1.50\"",
        "rust_decimal's plain `serde` feature writes a Decimal as a string; a number here means \
         `serde-float` or `serde-arbitrary-precision` is on in the graph"
    );
}

#[test]
fn a_decimal_deserializes_from_a_string() {
    let d: Decimal = serde_json::from_str("\"1.50\"").expect("a Decimal reads from a string");
    assert_eq!(d, Decimal::new(150, 2));
    assert_eq!(d.to_string(), "1.50", "the scale is kept");
}

#[test]
fn a_flattened_map_of_f64_reads_json_numbers() {
    #[derive(Debug, Deserialize)]
    struct Scores {
        #[serde(flatten)]
        rest: HashMap<String, f64>,
    }
    let scores: Scores = serde_json::from_str(r#"{"a":1.5,"b":2}"#).expect(
        "#[serde(flatten)] reads numbers (it fails under serde_json's `arbitrary_precision`)",
    );
    assert_eq!(scores.rest.get("a"), Some(&1.5));
    assert_eq!(scores.rest.get("b"), Some(&2.0));
    assert_eq!(scores.rest.len(), 2);
}

#[test]
fn an_untagged_enum_reads_json_numbers() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Amount {
        Whole(u64),
        Fraction(f64),
        Text(String),
    }
    let read = |json: &str| {
        serde_json::from_str::<Amount>(json).unwrap_or_else(|e| {
            panic!(
                "#[serde(untagged)] reads the number {json} (it fails under serde_json's \
                 `arbitrary_precision`): {e}"
            )
        })
    };
    assert_eq!(read("7"), Amount::Whole(7));
    assert_eq!(read("1.5"), Amount::Fraction(1.5));
    assert_eq!(read("\"x\""), Amount::Text("x".into()));
}

#[test]
fn value_objects_sort_their_keys_instead_of_keeping_insertion_order() {
    let value: Value = serde_json::from_str(r#"{"b":1,"a":2}"#).expect("an object parses");
    assert_eq!(
        value.to_string(),
        r#"{"a":2,"b":1}"#,
        "serde_json::Map is a BTreeMap by default; insertion order means `preserve_order` is on"
    );
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["a", "b"]);
}

#[test]
fn f64_values_round_trip_through_json_text() {
    for x in [
        0.1_f64,
        1e300,
        10000.5,
        -0.0,
        123_456.789,
        f64::MIN_POSITIVE,
    ] {
        let text = serde_json::to_string(&x).expect("an f64 serializes");
        let back: f64 = serde_json::from_str(&text).expect("and reads back");
        assert_eq!(
            back.to_bits(),
            x.to_bits(),
            "{x} wrote {text} and read back {back}"
        );
        let through_value: Value = serde_json::from_str(&text).expect("a Value reads it");
        assert_eq!(through_value.as_f64(), Some(x), "{text} through a Value");
    }
}

#[test]
fn a_json_number_with_more_digits_than_f64_holds_is_an_f64() {
    let n: serde_json::Number =
        serde_json::from_str("1.0000000000000000000001").expect("a number parses");
    assert!(n.is_f64(), "{n} is an f64");
    assert_eq!(n.as_f64(), Some(1.0));
    assert_eq!(
        n.to_string(),
        "1.0",
        "the number is the f64 1.0; keeping the literal digits means serde_json's \
         `arbitrary_precision` is on"
    );
    let value: Value = serde_json::from_str("1.0000000000000000000001").expect("a Value parses");
    assert_eq!(value, serde_json::json!(1.0));
}

/// The create request a host would build: IDR, no decimals.
fn idr_request() -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder("order-42", Decimal::from(80_000), Currency::Idr)
        .description("Two coffees")
        .build()
        .expect("a valid request")
}

/// A create request in a currency with decimals: PHP 100.50 for 1.5 kg at 67.
fn php_request() -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder("order-43", Decimal::new(10050, 2), Currency::Php)
        .description("Mangoes")
        .item(InvoiceItem::new(
            "Mango (kg)",
            Decimal::new(15, 1),
            Decimal::from(67),
        ))
        .build()
        .expect("a valid request")
}

#[test]
fn paylink_writes_its_amount_as_a_plain_json_number() {
    let text = serde_json::to_string(&idr_request()).expect("a request serializes");
    assert!(
        text.contains(r#""amount":80000"#),
        "the amount is the JSON number 80000: {text}"
    );
    let text = serde_json::to_string(&php_request()).expect("a request serializes");
    assert!(
        text.contains(r#""quantity":1.5"#),
        "the quantity is the JSON number 1.5: {text}"
    );
}

#[test]
fn an_idr_create_request_snapshots_with_plain_json_numbers() {
    // insta serializes through its own data model: a number paylink writes through serde_json's
    // private arbitrary-precision map, or as a string, shows up here.
    insta::assert_json_snapshot!("idr_create_request", idr_request());
}

#[test]
fn a_php_create_request_with_a_fractional_quantity_snapshots_with_plain_json_numbers() {
    insta::assert_json_snapshot!("php_create_request", php_request());
}

#[test]
fn no_feature_that_changes_serde_json_rust_decimal_or_tokio_is_on_in_the_graph() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--manifest-path",
            manifest,
        ])
        .output()
        .expect("cargo metadata starts");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");

    let names: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    // Every resolved package's name, with its enabled features (one entry per version).
    let mut resolved: Vec<(&str, Vec<&str>)> = Vec::new();
    for node in metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve.nodes")
    {
        let id = node["id"].as_str().expect("a node id");
        let name = names.get(id).copied().unwrap_or(id);
        let features = node["features"]
            .as_array()
            .expect("node features")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        resolved.push((name, features));
    }
    for name in ["serde_json", "rust_decimal", "paylink-core"] {
        assert!(
            resolved.iter().any(|(n, _)| *n == name),
            "{name} is in the resolved graph (otherwise this check proves nothing)"
        );
    }

    let mut problems = Vec::new();
    for (name, features) in &resolved {
        for (crate_name, feature, why) in FORBIDDEN {
            if name == crate_name && features.contains(feature) {
                problems.push(format!(
                    "{crate_name} feature `{feature}` is on in a host's graph: {why}"
                ));
            }
        }
        if *name == "tokio" && features.contains(&"full") {
            problems.push(
                "tokio feature `full` is on in a host's graph: a library must ask only for the \
                 tokio features it uses, or every host compiles (and links) all of tokio"
                    .to_owned(),
            );
        }
    }
    assert!(
        problems.is_empty(),
        "paylink turns on features that change behaviour for the host application \
         (Cargo unifies features across the whole graph):\n  - {}",
        problems.join("\n  - ")
    );
}

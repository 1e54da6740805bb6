//! `json_amount` through its public use: `#[serde(with = ...)]` on `Decimal` fields, read from
//! the number's text and written as plain numbers, exact through text, a `Value`, and a
//! buffered (flattened) struct.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Strict {
    #[serde(with = "paylink_core::json_amount")]
    a: Decimal,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Lenient {
    #[serde(with = "paylink_core::json_amount::lenient")]
    a: Decimal,
    #[serde(default, with = "paylink_core::json_amount::lenient::option")]
    b: Option<Decimal>,
}

#[derive(Debug, Deserialize)]
struct Flattened {
    #[serde(with = "paylink_core::json_amount")]
    a: Decimal,
    #[serde(flatten)]
    _rest: serde_json::Map<String, serde_json::Value>,
}

fn read(json: &str) -> Result<Decimal, String> {
    serde_json::from_str::<Strict>(json)
        .map(|s| s.a)
        .map_err(|e| e.to_string())
}

fn write(d: Decimal) -> String {
    serde_json::to_string(&Strict { a: d }).unwrap_or_default()
}

#[test]
fn serde_json_still_hands_raw_text_to_the_token() {
    // Exact only if serde_json answered the raw-value token: an f64 would round this.
    assert_eq!(
        read(r#"{"a":0.1234567890123456789012345678}"#),
        Ok(dec!(0.1234567890123456789012345678))
    );
}

#[test]
fn numbers_are_read_exactly_from_their_text() {
    for (json, want) in [
        ("100.50", dec!(100.50)),
        ("10000.0", dec!(10000)),
        ("1e5", dec!(100000)),
        ("1E5", dec!(100000)),
        ("2.5e-3", dec!(0.0025)),
        ("-0", dec!(0)),
        ("-0.0", dec!(0)),
        ("79228162514264337593543950335", Decimal::MAX),
        ("-79228162514264337593543950335", Decimal::MIN),
        (
            "1234567890123456.789012345678",
            dec!(1234567890123456.789012345678),
        ),
    ] {
        assert_eq!(read(&format!(r#"{{"a":{json}}}"#)), Ok(want), "{json}");
    }
}

#[test]
fn numbers_beyond_decimal_are_refused_not_rounded() {
    for json in [
        "79228162514264337593543950336",
        "1e400",
        "0.12345678901234567890123456789",
        "1.23456789012345678901234567891e2",
    ] {
        let err = read(&format!(r#"{{"a":{json}}}"#))
            .err()
            .unwrap_or_default();
        assert!(err.contains("out of range for an amount"), "{json}: {err}");
    }
}

#[test]
fn strict_amounts_refuse_strings_and_other_values_with_serdes_words() {
    assert_eq!(
        read(r#"{"a":"10000"}"#)
            .err()
            .as_deref()
            .map(|e| e.split(" at line").next()),
        Some(Some(
            r#"invalid type: string "10000", expected a JSON number"#
        ))
    );
    assert_eq!(
        read(r#"{"a":true}"#)
            .err()
            .as_deref()
            .map(|e| e.split(" at line").next()),
        Some(Some("invalid type: boolean `true`, expected a JSON number"))
    );
    assert!(read(r#"{"a":null}"#).is_err());
    assert!(read(r#"{"a":{"x":1}}"#).is_err());
}

#[test]
fn lenient_amounts_take_numeric_strings_exactly() {
    let l: Result<Lenient, _> = serde_json::from_str(r#"{"a":"100.50","b":null}"#);
    assert_eq!(
        l.ok(),
        Some(Lenient {
            a: dec!(100.50),
            b: None
        })
    );
    let l: Result<Lenient, _> = serde_json::from_str(r#"{"a":1,"b":"2.5"}"#);
    assert_eq!(l.ok().and_then(|l| l.b), Some(dec!(2.5)));
    assert!(serde_json::from_str::<Lenient>(r#"{"a":"ten"}"#).is_err());
}

#[test]
fn amounts_are_written_as_plain_exact_numbers() {
    assert_eq!(write(dec!(10000)), r#"{"a":10000}"#);
    assert_eq!(write(dec!(10000.0)), r#"{"a":10000}"#);
    assert_eq!(write(dec!(10000.5)), r#"{"a":10000.5}"#);
    assert_eq!(write(dec!(100.50)), r#"{"a":100.5}"#);
    assert_eq!(write(dec!(0.1)), r#"{"a":0.1}"#);
    assert_eq!(write(dec!(-0)), r#"{"a":0}"#);
    assert_eq!(
        write(Decimal::MAX),
        r#"{"a":79228162514264337593543950335}"#
    );
    assert_eq!(
        write(dec!(1234567890123456.789012345678)),
        r#"{"a":1234567890123456.789012345678}"#
    );
    assert_eq!(write(dec!(999999999999.99)), r#"{"a":999999999999.99}"#);
}

#[test]
fn a_struct_with_a_catch_all_still_reads_its_own_amounts_from_text() {
    let r = serde_json::from_str::<Flattened>(r#"{"z":1,"a":0.1234567890123456789012345678}"#);
    assert_eq!(
        r.ok().map(|f| f.a),
        Some(dec!(0.1234567890123456789012345678))
    );
}

#[test]
fn buffered_values_read_exactly_to_fifteen_digits_and_refuse_more() {
    #[derive(Debug, Deserialize)]
    struct Outer {
        #[serde(flatten)]
        inner: Strict,
        #[serde(default)]
        _z: Option<u8>,
    }
    let r = |json: &str| serde_json::from_str::<Outer>(json).map(|o| o.inner.a);
    assert_eq!(r(r#"{"a":10000.5,"_z":1}"#).ok(), Some(dec!(10000.5)));
    assert_eq!(
        r(r#"{"a":999999999999.99}"#).ok(),
        Some(dec!(999999999999.99))
    );
    assert_eq!(r(r#"{"a":100000}"#).ok(), Some(dec!(100000)));
    let err = r(r#"{"a":1234567890.1234567}"#)
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("more than 15 significant digits")),
        "{err:?}"
    );
}

#[test]
fn a_value_reads_through_its_text() {
    let v = serde_json::json!({"a": 100.25});
    assert_eq!(
        serde_json::from_value::<Strict>(v).ok().map(|s| s.a),
        Some(dec!(100.25))
    );
}

#[test]
fn every_written_amount_reads_back_equal() {
    for d in [
        dec!(1),
        dec!(0.01),
        dec!(123456789.12),
        dec!(1e-28),
        Decimal::MIN,
        dec!(-42.5),
        dec!(12345678901234567890.5),
    ] {
        assert_eq!(read(&write(d)), Ok(d), "{d}");
    }
}

//! What the fuzz targets share: splitting an input into its parts, comparing JSON written
//! twice, and reading an amount straight from the input's own text.
//!
//! Each target in `fuzz_targets/` feeds the bytes libFuzzer gives it to one paylink parser and
//! checks properties of what comes out, not only that nothing panics. A failed property is a
//! panic, which libFuzzer reports as a crash and saves as an input under `artifacts/`.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// The first line of `data` (without its `\n`) and the rest; with no `\n`, the whole input is
/// the first line and the rest is empty.
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Whether two JSON values are the same, where two floating-point numbers also count as the
/// same when they are at most one unit in the last place apart.
///
/// Why the tolerance: paylink turns on no serde_json feature that changes parsing for the host
/// application (no `arbitrary_precision`, no `float_roundtrip`), so a number kept in a free-form
/// map (`extra`, `metadata`, `errors`) is an `f64`, and serde_json's default float parser reads
/// some 16 and 17 digit numbers one ulp away from the `f64` whose shortest form they are. Such a
/// value can move by one ulp each time it is written and read back; that is serde_json's
/// documented trade-off, not paylink's. Amounts never take this path: they are `Decimal`s read
/// from the number's text, and every target compares them exactly on their own.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y {
                return true;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                    // Adjacent f64s of the same sign have adjacent bit patterns.
                    x.signum() == y.signum() && x.to_bits().abs_diff(y.to_bits()) <= 1
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Serializes a value that was parsed; a parsed value must always serialize.
///
/// # Panics
/// When it does not: a property failure.
pub fn write<T: Serialize>(what: &str, value: &T) -> String {
    match serde_json::to_string(value) {
        Ok(text) => text,
        Err(e) => panic!("{what}: a parsed value does not serialize: {e}"),
    }
}

/// Writes `first`, reads the text back with `read`, writes that again, and checks the two
/// texts hold the same JSON (see [`same_json`]). Returns the value read back, for the caller's
/// exact checks of amounts.
///
/// # Panics
/// When the text does not read back, or reads back as something else.
pub fn round_trip<T, E, F>(what: &str, first: &T, read: F) -> T
where
    T: Serialize,
    E: std::fmt::Display,
    F: Fn(&[u8]) -> Result<T, E>,
{
    let text1 = write(what, first);
    let second = match read(text1.as_bytes()) {
        Ok(v) => v,
        Err(e) => panic!("{what}: what it writes does not read back: {e}\n{text1}"),
    };
    let text2 = write(what, &second);
    let (v1, v2) = (json(&text1), json(&text2));
    assert!(
        same_json(&v1, &v2),
        "{what}: written, read and written again, it changed:\n{text1}\n{text2}"
    );
    second
}

/// Parses JSON that paylink wrote.
///
/// # Panics
/// When it is not JSON: a property failure.
pub fn json(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("paylink wrote text that is not JSON: {e}\n{text}"),
    }
}

/// The amount the input's own text gives a top-level field, read independently of the parser
/// under test: `Some(Ok(d))` for a JSON number or a string holding one (when `strings`),
/// `Some(Err(()))` when the field holds anything else, and `None` when the input is not an
/// object, lacks the field, or repeats it.
pub fn amount_in_text(input: &[u8], field: &str, strings: bool) -> Option<Result<Decimal, ()>> {
    let fields: Vec<(String, &RawValue)> = raw_fields(input)?;
    let mut found = fields.iter().filter(|(k, _)| k == field);
    let (_, raw) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let text = raw.get();
    let number = if text.starts_with('"') && strings {
        let s: String = serde_json::from_str(text).ok()?;
        paylink_core::json_amount::parse_number(s.trim())
    } else {
        paylink_core::json_amount::parse_number(text)
    };
    Some(number.map_err(|_| ()))
}

/// The top-level entries of a JSON object, each value as its raw text, in order, duplicates
/// kept; `None` when the input is not one JSON object.
pub fn raw_fields(input: &[u8]) -> Option<Vec<(String, &RawValue)>> {
    struct Entries<'a>(Vec<(String, &'a RawValue)>);
    impl<'de> serde::Deserialize<'de> for Entries<'de> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Entries<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Entries<'de>, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                        out.push((k, v));
                    }
                    Ok(Entries(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_slice::<Entries<'_>>(input)
        .ok()
        .map(|e| e.0)
}

/// Every amount of an invoice, in a fixed order, to compare exactly.
pub fn invoice_amounts(i: &paylink_core::Invoice) -> Vec<Option<Decimal>> {
    let mut out = vec![Some(i.amount), i.paid_amount, i.adjusted_received_amount];
    for item in &i.items {
        out.extend([Some(item.quantity), Some(item.price)]);
    }
    out.extend(i.fees.iter().map(|f| Some(f.value)));
    out.extend(i.available_banks.iter().map(|b| b.transfer_amount));
    out.extend(i.available_retail_outlets.iter().map(|r| r.transfer_amount));
    out
}

/// Reads `T` from JSON bytes, as the library's own readers do.
///
/// # Errors
/// serde_json's error.
pub fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_ulp_apart_counts_as_the_same_and_two_do_not() {
        let x = 0.1_f64;
        let next = f64::from_bits(x.to_bits() + 1);
        let after = f64::from_bits(x.to_bits() + 2);
        assert!(same_json(&Value::from(x), &Value::from(next)));
        assert!(!same_json(&Value::from(x), &Value::from(after)));
        assert!(!same_json(&Value::from(1), &Value::from("1")));
    }

    #[test]
    fn an_amount_is_read_from_the_inputs_own_text() {
        let body = br#"{"amount": 10000.0000000000001, "x": 1}"#;
        let want = paylink_core::json_amount::parse_number("10000.0000000000001").ok();
        assert_eq!(amount_in_text(body, "amount", false), want.map(Ok));
        assert_eq!(amount_in_text(body, "missing", false), None);
        assert_eq!(
            amount_in_text(br#"{"amount":"5"}"#, "amount", false),
            Some(Err(()))
        );
        assert_eq!(
            amount_in_text(br#"{"amount":"5"}"#, "amount", true),
            Some(Ok(Decimal::from(5)))
        );
        assert_eq!(
            amount_in_text(br#"{"amount":1,"amount":2}"#, "amount", true),
            None
        );
    }
}

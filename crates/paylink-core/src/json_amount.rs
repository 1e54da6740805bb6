//! Exact amounts in JSON without changing serde for anyone else: `Decimal` fields are read from
//! the number's own text and written as plain JSON numbers (`10000`, `10000.5`).
//!
//! serde_json's `arbitrary_precision` and rust_decimal's `serde-float` /
//! `serde-arbitrary-precision` would do this too, but Cargo unifies features, so turning them on
//! in a library changes every `Decimal` and every JSON number in the host application. These
//! functions ask for nothing but serde_json's additive `raw_value` feature:
//!
//! - **Reading** through serde_json (text, bytes, a reader, or a `Value`), the number's text is
//!   parsed straight into a `Decimal`, so `100.50`, `1e5`, `10000.0` and
//!   `79228162514264337593543950335` are exact. A number beyond `Decimal`'s 28 digits is an
//!   error, never rounded. Where serde has already buffered the value (a struct flattened
//!   into another, an untagged enum), the number arrives as an integer or an `f64`; an `f64` is read through its shortest decimal form, which is exact for the 15
//!   significant digits an `f64` always keeps, and one with more is refused.
//! - **Writing**, a whole amount is written as an integer, a fraction of at most 15 significant
//!   digits as the `f64` whose shortest form is those digits (so every serializer, insta's
//!   included, shows `10000.5`), and a longer fraction as its exact text through serde_json's
//!   `RawValue`.
//!
//! ```
//! use rust_decimal::Decimal;
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Line {
//!     #[serde(with = "paylink_core::json_amount")]
//!     price: Decimal,
//! }
//! # fn main() -> Result<(), serde_json::Error> {
//! let line: Line = serde_json::from_str(r#"{"price": 10000.50}"#)?;
//! assert_eq!(line.price, Decimal::new(1000050, 2));
//! assert_eq!(serde_json::to_string(&line)?, r#"{"price":10000.5}"#);
//! assert!(serde_json::from_str::<Line>(r#"{"price": "10000"}"#).is_err());
//! # Ok(()) }
//! ```

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};
use serde::Serializer;
use serde_json::value::RawValue;

/// The newtype name through which serde_json hands a value's raw text to a visitor (the one its
/// own `RawValue` asks for). A test below fails if serde_json ever stops answering to it.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Significant digits an `f64` keeps for every decimal (`f64::DIGITS`).
const F64_DIGITS: u32 = f64::DIGITS;

/// Serde `serialize_with`: the amount as a plain JSON number.
///
/// # Errors
/// Only the serializer's own.
pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let n = amount.normalize();
    if n.scale() == 0 {
        let whole = n.mantissa();
        return match i64::try_from(whole) {
            Ok(small) => s.serialize_i64(small),
            Err(_) => s.serialize_i128(whole),
        };
    }
    let text = n.to_string();
    if digits(n.mantissa()) <= F64_DIGITS {
        if let Ok(f) = text.parse::<f64>() {
            return s.serialize_f64(f);
        }
    }
    let raw = RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
    serde::Serialize::serialize(&raw, s)
}

/// Serde `deserialize_with`: an amount from a JSON number only; a string such as `"10000"` is
/// refused, as Xendit's API refuses it.
///
/// # Errors
/// When the value is not a number, or a number outside `Decimal`'s range or precision.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_newtype_struct(RAW_TOKEN, AmountVisitor { strings: false })
}

/// The same for optional amounts (`null` or absent is `None`).
pub mod option {
    use rust_decimal::Decimal;
    use serde::{Deserializer, Serializer};

    /// Serde `serialize_with` for an optional amount.
    ///
    /// # Errors
    /// Only the serializer's own.
    pub fn serialize<S: Serializer>(amount: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match amount {
            Some(amount) => s.serialize_some(&super::Amount(*amount)),
            None => s.serialize_none(),
        }
    }

    /// Serde `deserialize_with` for an optional amount.
    ///
    /// # Errors
    /// As [`super::deserialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        d.deserialize_option(super::OptionVisitor { strings: false })
    }
}

/// Amounts in what Xendit sends back (invoices, callbacks): a JSON number, or a string holding
/// one (`"10000"`), read exactly either way. Writing is the same as [`serialize`].
pub mod lenient {
    use rust_decimal::Decimal;
    use serde::Deserializer;

    pub use super::serialize;

    /// Serde `deserialize_with`: a number or a numeric string.
    ///
    /// # Errors
    /// When the value is neither, or out of `Decimal`'s range or precision.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_newtype_struct(super::RAW_TOKEN, super::AmountVisitor { strings: true })
    }

    /// The same for optional amounts.
    pub mod option {
        use rust_decimal::Decimal;
        use serde::Deserializer;

        pub use super::super::option::serialize;

        /// Serde `deserialize_with` for an optional amount, number or numeric string.
        ///
        /// # Errors
        /// As [`super::deserialize`].
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            d.deserialize_option(super::super::OptionVisitor { strings: true })
        }
    }
}

/// Parses a JSON number's text (`100.50`, `-0`, `1e5`, `2.5E-3`) into a `Decimal`, exactly.
///
/// # Errors
/// A message naming the number when it is not one, or does not fit a `Decimal` exactly.
pub fn parse_number(text: &str) -> Result<Decimal, String> {
    if !is_json_number(text) {
        return Err(format!("`{text}` is not a JSON number"));
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
            .ok()
            .filter(|d| exact_scientific(text, *d))
    } else {
        Decimal::from_str_exact(text).ok()
    };
    parsed.ok_or_else(|| format!("number {text} is out of range for an amount"))
}

/// `from_scientific` rounds a mantissa longer than `Decimal` holds; compare digit counts so such
/// a number is refused instead.
fn exact_scientific(text: &str, parsed: Decimal) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let significant = mantissa
        .trim_start_matches('-')
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = significant.trim_start_matches('0').trim_end_matches('0');
    let kept = parsed.normalize();
    significant.is_empty() || digits(kept.mantissa()) as usize >= significant.len()
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let run = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i - start)
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => i = run(i).0,
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        let (end, n) = run(i + 1);
        if n == 0 {
            return false;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (end, n) = run(i);
        if n == 0 {
            return false;
        }
        i = end;
    }
    i == b.len()
}

/// Decimal digits of `|m|` (1 for zero).
fn digits(m: i128) -> u32 {
    m.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1)
}

/// An amount written through [`serialize`], for places that serialize a `Decimal` by value.
#[derive(Debug, Clone, Copy)]
pub struct Amount(pub Decimal);

impl serde::Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d).map(Amount)
    }
}

#[derive(Clone, Copy)]
struct AmountVisitor {
    strings: bool,
}

impl AmountVisitor {
    fn expected(&self) -> &'static str {
        if self.strings {
            "a JSON number or a string holding one"
        } else {
            "a JSON number"
        }
    }

    fn read_text<E: de::Error>(&self, text: &str) -> Result<Decimal, E> {
        match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => parse_number(text).map_err(E::custom),
            Some(b'"') if self.strings => {
                let s: String = serde_json::from_str(text).map_err(E::custom)?;
                Visitor::visit_str(*self, &s)
            }
            _ => {
                let value: serde_json::Value = serde_json::from_str(text).map_err(E::custom)?;
                Err(E::invalid_type(unexpected(&value), &self.expected()))
            }
        }
    }
}

/// What a non-number JSON value is, for serde's "invalid type" message.
fn unexpected(value: &serde_json::Value) -> Unexpected<'_> {
    use serde_json::Value;
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Visitor<'de> for AmountVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected())
    }

    // serde_json hands the raw text as a one-entry map keyed by the token.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        match map.next_key::<KeyIsToken>()? {
            Some(KeyIsToken(true)) => {
                let text = map.next_value::<RawText>()?;
                self.read_text(&text.0)
            }
            _ => Err(de::Error::invalid_type(Unexpected::Map, &self)),
        }
    }

    // A buffered value (flatten, untagged) or another format: read what it holds.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(v, 0)
            .map_err(|_| E::custom(format!("number {v} is out of range for an amount")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Decimal, E> {
        i128::try_from(v)
            .map_err(|_| E::custom(format!("number {v} is out of range for an amount")))
            .and_then(|v| self.visit_i128(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // Rust prints the shortest decimal that reads back as the same f64.
        let text = format!("{v}");
        let d = Decimal::from_str_exact(&text)
            .map_err(|_| E::custom(format!("number {v} is out of range for an amount")))?;
        if digits(d.normalize().mantissa()) > F64_DIGITS {
            return Err(E::custom(format!(
                "number {v} has more than {F64_DIGITS} significant digits and cannot be read \
                 exactly here; read it from JSON text"
            )));
        }
        Ok(d)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        if self.strings {
            parse_number(v.trim()).map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
        } else {
            Err(E::invalid_type(Unexpected::Str(v), &self))
        }
    }
}

struct OptionVisitor {
    strings: bool,
}

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            AmountVisitor {
                strings: self.strings,
            }
            .expected(),
        )?;
        f.write_str(" or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_newtype_struct(
            RAW_TOKEN,
            AmountVisitor {
                strings: self.strings,
            },
        )
        .map(Some)
    }
}

/// Whether a map key is serde_json's raw-value token.
struct KeyIsToken(bool);

impl<'de> serde::Deserialize<'de> for KeyIsToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyIsToken;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyIsToken, E> {
                Ok(KeyIsToken(v == RAW_TOKEN))
            }
        }
        d.deserialize_str(V)
    }
}

/// The raw text of a value, borrowed where the input allows.
struct RawText<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for RawText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value's text")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<RawText<'de>, E> {
                Ok(RawText(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawText<'de>, E> {
                Ok(RawText(v.to_owned().into()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawText<'de>, E> {
                Ok(RawText(v.into()))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_number_grammar_is_followed() {
        for ok in ["0", "-0", "1.5", "1e5", "1E+5", "1.0e-5"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "1_000", " 1",
        ] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}

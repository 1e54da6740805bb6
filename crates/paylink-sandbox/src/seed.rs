//! Seed files: invoices loaded into an engine at start (`paylink sandbox --import FILE`).
//!
//! A seed file is a JSON array of entries (or an object whose `invoices` is that array). Each
//! entry is a create request exactly as `POST /v2/invoices` takes it, plus the optional keys of
//! [`SEED_KEYS`] beside its fields: those are taken out, and the rest is read by
//! [`parse_create_body`](crate::parse_create_body), so the request's rules and messages are
//! the API's own and amounts are read exactly from the file's text.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use paylink_core::{timestamp, ChannelCode, Invoice, LinkState};
use paylink_fake::{FakeGateway, FakeGatewayBuilder, SeedInvoice};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

/// The keys an entry may carry besides the create request's fields.
pub const SEED_KEYS: [&str; 7] = [
    "status",
    "created",
    "paid_at",
    "settled_at",
    "expired_at",
    "payment_channel",
    "for_user_id",
];

/// One entry of a seed file, read and ready to seed.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedEntry {
    /// Its position in the file's list (from 0).
    pub index: usize,
    /// The invoice to seed.
    pub invoice: SeedInvoice,
}

/// Why a seed file could not be loaded or applied. Nothing was seeded.
#[derive(Debug, thiserror::Error)]
pub enum SeedFileError {
    /// The file could not be read.
    #[error("could not read the seed file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What reading it answered.
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("not valid JSON at line {line} column {column}: {message}")]
    Json {
        /// Line of the error (from 1).
        line: usize,
        /// Column of the error (from 1).
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// JSON, but not a list of entries.
    #[error("{message}")]
    Shape {
        /// What is wrong with it.
        message: String,
    },
    /// An entry at fault.
    #[error("entry {index}{}: {field}: {message}", ExternalId(external_id.as_deref()))]
    Entry {
        /// Its position in the list (from 0).
        index: usize,
        /// Its `external_id`, when it has one.
        external_id: Option<String>,
        /// The field at fault (a request field's path such as `items[0].quantity`, or one of
        /// [`SEED_KEYS`]).
        field: String,
        /// The rule it breaks.
        message: String,
    },
    /// One of the other errors, in a file.
    #[error("seed file {}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        error: Box<SeedFileError>,
    },
}

impl SeedFileError {
    /// This error as found in the file at `path` (a read error already names it).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            SeedFileError::Read { .. } | SeedFileError::InFile { .. } => self,
            error => SeedFileError::InFile {
                path: path.into(),
                error: Box::new(error),
            },
        }
    }
}

/// ` (external_id "order-7")`, or nothing.
struct ExternalId<'a>(Option<&'a str>);

impl fmt::Display for ExternalId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (external_id {id:?})"),
            None => Ok(()),
        }
    }
}

/// Reads the seed file at `path` (see [`parse_seed`]).
///
/// # Errors
/// [`SeedFileError::Read`] naming the path; any other error of [`parse_seed`], in
/// [`SeedFileError::InFile`].
pub fn load_seed_file(path: impl AsRef<Path>) -> Result<Vec<SeedEntry>, SeedFileError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SeedFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_seed(&text).map_err(|e| e.in_file(path))
}

/// Reads a seed file's text: a JSON array of entries, or an object with an `invoices` array.
/// Each entry's create request is read as `POST /v2/invoices` reads it (its field rules and
/// the server-side checks are applied when it is seeded, by [`apply_seed`]).
///
/// # Errors
/// [`SeedFileError::Json`] with the line and column of text that is not JSON;
/// [`SeedFileError::Shape`] for JSON that is not a list of entries; [`SeedFileError::Entry`]
/// naming the first entry at fault and its field.
pub fn parse_seed(text: &str) -> Result<Vec<SeedEntry>, SeedFileError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SeedFileError::Json {
        line: e.line(),
        column: e.column(),
        message: crate::api::without_position(&e),
    })?;
    let shape = |message: &str| SeedFileError::Shape {
        message: message.to_owned(),
    };
    let entries: Vec<&RawValue> =
        match &value {
            Value::Array(_) => serde_json::from_str(text),
            Value::Object(map)
                if map.len() == 1 && map.get("invoices").is_some_and(Value::is_array) =>
            {
                serde_json::from_str::<Wrapped<'_>>(text).map(|w| w.invoices)
            }
            _ => return Err(shape(
                "must be a JSON array of invoices, or an object whose only key `invoices` is one",
            )),
        }
        .map_err(|e| shape(&format!("could not be read: {e}")))?;
    entries
        .into_iter()
        .enumerate()
        .map(|(index, raw)| read_entry(index, raw))
        .collect()
}

#[derive(Deserialize)]
struct Wrapped<'a> {
    #[serde(borrow)]
    invoices: Vec<&'a RawValue>,
}

/// An object's members in order, repeated keys included, each value as its text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key, value));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

fn read_entry(index: usize, raw: &RawValue) -> Result<SeedEntry, SeedFileError> {
    let members = serde_json::from_str::<Members<'_>>(raw.get())
        .map_err(|_| entry_error(index, None, "entry", "must be a JSON object"))?
        .0;
    let external_id = members
        .iter()
        .find(|(key, _)| key == "external_id")
        .and_then(|(_, value)| serde_json::from_str::<String>(value.get()).ok());
    let fail = |field: &str, message: String| SeedFileError::Entry {
        index,
        external_id: external_id.clone(),
        field: field.to_owned(),
        message,
    };
    let mut seed: Vec<(&str, &RawValue)> = Vec::new();
    let mut body = String::from("{");
    for (key, value) in &members {
        if let Some(name) = SEED_KEYS.iter().find(|k| **k == key.as_ref()) {
            if seed.iter().any(|(k, _)| k == name) {
                return Err(fail(name, "is given more than once".into()));
            }
            seed.push((name, value));
        } else {
            if body.len() > 1 {
                body.push(',');
            }
            body.push_str(&serde_json::to_string(key.as_ref()).unwrap_or_default());
            body.push(':');
            body.push_str(value.get());
        }
    }
    body.push('}');
    let request = crate::parse_create_body(body.as_bytes()).map_err(|answer| {
        let api = answer.api_error();
        let first = api
            .errors
            .as_ref()
            .and_then(Value::as_array)
            .and_then(|errors| errors.first());
        let text = |key: &str| {
            first
                .and_then(|e| e.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match (text("path"), text("message")) {
            // The API names the whole body `body`; here it is the entry.
            (Some(path), Some(message)) if path == "body" => fail("entry", message),
            (Some(path), Some(message)) => fail(&path, message),
            _ => fail("entry", api.message.clone()),
        }
    })?;

    let mut invoice = SeedInvoice::new(request);
    for (name, value) in seed {
        let text = value.get();
        if text == "null" {
            continue;
        }
        let string = serde_json::from_str::<String>(text)
            .map_err(|_| fail(name, format!("must be a string, got {text}")))?;
        match name {
            "status" => {
                invoice.status = string.parse::<LinkState>().map_err(|_| {
                    fail(
                        name,
                        format!("must be PENDING, PAID, SETTLED or EXPIRED, got {string:?}"),
                    )
                })?;
            }
            "payment_channel" => invoice.payment_channel = Some(ChannelCode::from(string.as_str())),
            "for_user_id" => invoice.for_user_id = Some(string),
            time_field => {
                let at = timestamp::parse(&string)
                    .map_err(|e| {
                        fail(
                            time_field,
                            format!(
                                "must be an RFC 3339 time such as 2026-03-01T12:00:00Z, got \
                                 {string:?} ({e})"
                            ),
                        )
                    })?
                    .to_offset(UtcOffset::UTC);
                let slot: &mut Option<OffsetDateTime> = match time_field {
                    "created" => &mut invoice.created,
                    "paid_at" => &mut invoice.paid_at,
                    "settled_at" => &mut invoice.settled_at,
                    _ => &mut invoice.expired_at,
                };
                *slot = Some(at);
            }
        }
    }
    Ok(SeedEntry { index, invoice })
}

fn entry_error(
    index: usize,
    external_id: Option<String>,
    field: &str,
    message: &str,
) -> SeedFileError {
    SeedFileError::Entry {
        index,
        external_id,
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// Seeds `entries` into `engine`, all or nothing: every entry is checked (the request's rules,
/// the engine's channels and limits, its clock, the lifecycle) before any is stored. Returns
/// the invoices in the order of the entries.
///
/// # Errors
/// [`SeedFileError::Entry`] naming the first entry at fault and its field; the engine is
/// unchanged.
pub fn apply_seed(
    engine: &FakeGateway,
    entries: &[SeedEntry],
) -> Result<Vec<Invoice>, SeedFileError> {
    engine
        .seed_invoices(entries.iter().map(|e| e.invoice.clone()))
        .map_err(|e| {
            let entry = entries.get(e.position);
            let external_id = entry
                .map(|entry| entry.invoice.request.external_id.clone())
                .filter(|id| !id.is_empty());
            SeedFileError::Entry {
                index: entry.map_or(e.position, |entry| entry.index),
                external_id,
                field: e.error.field,
                message: e.error.message,
            }
        })
}

/// Checks `entries` against a scratch engine built from `engine` as
/// [`Sandbox::start`](crate::Sandbox::start) builds its own (its clock at the wall clock in
/// [`ClockMode::Wall`](crate::ClockMode::Wall)), serving nothing: a start refuses a bad seed
/// file this way before it binds an address, then seeds the sandbox's engine with
/// [`apply_seed`].
///
/// # Errors
/// As [`apply_seed`].
pub fn check_seed(
    engine: &FakeGatewayBuilder,
    clock: crate::ClockMode,
    entries: &[SeedEntry],
) -> Result<(), SeedFileError> {
    let mut scratch = engine.clone();
    if clock == crate::ClockMode::Wall {
        scratch = scratch.start(OffsetDateTime::now_utc());
    }
    apply_seed(&scratch.build(), entries).map(|_| ())
}

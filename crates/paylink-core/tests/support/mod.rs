//! Fixture loading shared by the integration tests: the spec's example payloads copied into
//! `tests/data/`. Each test file uses part of it.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

/// The bytes of the fixture at `rel` below `tests/data/`.
pub(crate) fn data(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The fixture at `rel` below `tests/data/`, as JSON.
pub(crate) fn fixture(rel: &str) -> Value {
    serde_json::from_slice(&data(rel)).unwrap_or_else(|e| panic!("{rel} is JSON: {e}"))
}

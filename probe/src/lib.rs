//! The host-app probe has no code of its own: it exists for `tests/host.rs`, which checks that
//! depending on paylink leaves serde, serde_json and rust_decimal behaving as they do without it.

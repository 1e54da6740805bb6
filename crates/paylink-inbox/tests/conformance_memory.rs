//! The store conformance suite against the in-memory store.

mod support;

paylink_inbox::store_conformance_tests!(support::MemoryFixture::default());

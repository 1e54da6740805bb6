//! The store conformance suite against the SQLite store (a file per check).

mod support;

paylink_inbox::store_conformance_tests!(support::SqliteFixture::new());

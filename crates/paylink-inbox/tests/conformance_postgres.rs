//! The store conformance suite against the PostgreSQL store (a schema per check). Needs
//! `DATABASE_URL`; under CI a missing database fails every check.

mod support;

paylink_inbox::store_conformance_tests!(match support::PostgresFixture::new().await {
    Some(fixture) => fixture,
    None => return,
});

//! Timestamps at the edges of what RFC 3339 can write: a time that leaves the years 0000 to
//! 9999 once moved to UTC is refused where it is read, and writing one never panics. The
//! `list_query` fuzz target's round trip (read, `to_pairs`, read again) is what these guard.

use paylink_core::timestamp::{self, TimestampError};
use paylink_core::{Invoice, ListInvoicesQuery};
use time::macros::datetime;

#[test]
fn a_list_query_with_a_time_past_the_year_9999_in_utc_is_refused_instead_of_panicking() {
    for late in ["9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+00:01"] {
        let e = ListInvoicesQuery::from_pairs([("created_after", late)])
            .expect_err("outside the years RFC 3339 writes");
        assert_eq!(e.name, "created_after");
        assert!(e.message.contains("outside the years 0000 to 9999"), "{e}");
    }
}

#[test]
fn the_last_and_first_instants_rfc_3339_can_write_read_back_through_a_list_query() {
    let q = ListInvoicesQuery::from_pairs([
        ("created_after", "0000-01-01T00:00:00Z"),
        ("created_before", "9999-12-31T23:59:59.999+00:00"),
        ("paid_after", "9999-12-31T23:59:59.999-00:00"),
    ])
    .expect("inside the range");
    let pairs = q.to_pairs();
    let again = ListInvoicesQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(again, Ok(q));
}

#[test]
fn an_invoice_or_callback_with_such_a_time_is_refused_as_a_bad_field() {
    let invoice = br#"{"id":"i","external_id":"e","user_id":"u","status":"PENDING",
        "merchant_name":"m","amount":10000,"expiry_date":"9999-12-31T23:59:59-01:00",
        "invoice_url":"https://x.example/i","created":"2023-08-22T05:48:51.105Z",
        "updated":"2023-08-22T05:48:51.105Z"}"#;
    let e = serde_json::from_slice::<Invoice>(invoice).expect_err("refused");
    assert!(e.to_string().contains("outside the years"), "{e}");
    let callback = br#"{"id":"i","external_id":"e","user_id":"u","status":"EXPIRED",
        "merchant_name":"m","amount":10000,"currency":"IDR",
        "created":"0000-01-01T00:00:00+01:00","updated":"2023-08-22T05:48:51.105Z"}"#;
    assert!(paylink_core::parse_callback(callback).is_err());
}

#[test]
fn formatting_a_time_outside_the_years_rfc_3339_writes_gives_its_unix_time() {
    let late = datetime!(9999-12-31 23:59:59 -01:00);
    assert_eq!(timestamp::format(late), late.unix_timestamp().to_string());
    assert_eq!(
        timestamp::parse("9999-12-31T23:59:59-01:00"),
        Err(TimestampError::OutOfRange)
    );
    assert!(matches!(
        timestamp::parse("yesterday"),
        Err(TimestampError::Syntax(_))
    ));
}

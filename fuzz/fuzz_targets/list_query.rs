//! Fuzz target: the query string of `GET /v2/invoices`, decoded into pairs as the sandbox's
//! router decodes it (`application/x-www-form-urlencoded`), read by
//! `ListInvoicesQuery::from_pairs`.
//!
//! Input: the query string, without `?`. Properties:
//! - a refused query names one of the parameters it was given;
//! - a read query writes pairs (`to_pairs`, what the HTTP client sends) that read back as the
//!   same query, its timestamps cut to the millisecond the wire carries, and writing those
//!   again gives the same pairs;
//! - `limit` is at least 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paylink_core::ListInvoicesQuery;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let read = ListInvoicesQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let query = match read {
        Ok(q) => q,
        Err(e) => {
            assert!(
                pairs.iter().any(|(k, _)| *k == e.name),
                "{e} names no parameter"
            );
            return;
        }
    };
    assert!(query.limit.is_none_or(|l| l >= 1));
    let written = query.to_pairs();
    let again = ListInvoicesQuery::from_pairs(written.iter().map(|(k, v)| (*k, v.as_str())))
        .unwrap_or_else(|e| panic!("written pairs {written:?} do not read back: {e}"));
    assert_eq!(
        again,
        to_millis(query.clone()),
        "the query changed in a round trip"
    );
    assert_eq!(
        again.to_pairs(),
        written,
        "the pairs changed when written again"
    );
});

/// The query with each timestamp cut to whole milliseconds.
fn to_millis(mut q: ListInvoicesQuery) -> ListInvoicesQuery {
    for t in [
        &mut q.created_after,
        &mut q.created_before,
        &mut q.paid_after,
        &mut q.paid_before,
        &mut q.expired_after,
        &mut q.expired_before,
    ] {
        *t = t.map(cut);
    }
    q
}

fn cut(t: OffsetDateTime) -> OffsetDateTime {
    let ms = u32::from(t.millisecond()) * 1_000_000;
    t.replace_nanosecond(ms).unwrap_or(t)
}

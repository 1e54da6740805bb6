//! Properties of the wire encoding: any id is one path segment that decodes back to itself,
//! and any list query survives the trip through its query string and the core's reader.

use crate::wire::{encode_component, list_query_string};
use paylink_core::{InvoiceStatus, ListInvoicesQuery};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use time::OffsetDateTime;

fn decode(s: &str) -> String {
    percent_decode_str(s)
        .decode_utf8()
        .expect("UTF-8")
        .into_owned()
}

fn timestamp() -> impl Strategy<Value = OffsetDateTime> {
    // 2000-01-01 .. 2100-01-01, whole milliseconds (what the wire carries).
    (946_684_800_000i64..4_102_444_800_000i64).prop_map(|ms| {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).expect("in range")
    })
}

proptest! {
    #[test]
    fn any_id_is_one_segment_that_decodes_back(id in any::<String>()) {
        let encoded = encode_component(&id);
        prop_assert!(!encoded.contains('/') && !encoded.contains('?') && !encoded.contains('#'));
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()%".contains(&b)));
        prop_assert_eq!(decode(&encoded), id);
    }

    #[test]
    fn any_list_query_reads_back_the_same(
        external_id in proptest::option::of(any::<String>()),
        cursor in proptest::option::of("[0-9a-f]{24}"),
        limit in proptest::option::of(1u32..1000),
        after in proptest::option::of(timestamp()),
        paid in proptest::bool::ANY,
    ) {
        let query = ListInvoicesQuery {
            external_id,
            statuses: if paid { vec![InvoiceStatus::Paid, InvoiceStatus::Settled] } else { vec![] },
            limit,
            created_after: after,
            last_invoice: cursor,
            ..ListInvoicesQuery::default()
        };
        let text = list_query_string(&query);
        let pairs: Vec<(String, String)> = text
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').expect("name=value");
                (decode(k), decode(v))
            })
            .collect();
        let read = ListInvoicesQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .expect("readable");
        prop_assert_eq!(read, query);
    }
}

//! Fuzz target: a page of `GET /v2/invoices` (a JSON array of invoices), as the HTTP client
//! decodes it.
//!
//! Input: the body. Properties:
//! - `paylink_http::fuzzing::decode` reads a 200 answer exactly as `serde_json` reads a
//!   `Vec<Invoice>`, and refuses it as a `Decode` error with status 200 and the start of the
//!   body otherwise;
//! - a parsed page writes JSON that reads back as the same page, every amount exact;
//! - the next page's query carries the last invoice's id as its cursor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paylink_core::body_snippet;
use paylink_core::{GatewayError, Invoice, ListInvoicesQuery};
use paylink_fuzz::{invoice_amounts, read, round_trip};

fuzz_target!(|data: &[u8]| {
    let decoded = paylink_http::fuzzing::decode::<Vec<Invoice>>(200, data, None);
    let parsed = read::<Vec<Invoice>>(data);
    let page = match (decoded, parsed) {
        (Ok(d), Ok(p)) => {
            assert_eq!(d.len(), p.len());
            p
        }
        (Err(GatewayError::Decode { status, body, .. }), Err(_)) => {
            assert_eq!(status, 200);
            assert_eq!(body, body_snippet(data));
            return;
        }
        (d, p) => panic!(
            "decode and serde_json disagree: {d:?} / {:?}",
            p.map(|p| p.len())
        ),
    };
    let again = round_trip("list page", &page, read::<Vec<Invoice>>);
    for (a, b) in page.iter().zip(&again) {
        assert_eq!(invoice_amounts(a), invoice_amounts(b), "an amount changed");
    }
    let query = ListInvoicesQuery {
        limit: u32::try_from(page.len()).ok(),
        ..ListInvoicesQuery::default()
    };
    match (query.next_page(&page), page.last()) {
        (Some(next), Some(last)) => assert_eq!(next.last_invoice.as_deref(), Some(&*last.id)),
        (None, None) => {}
        (next, last) => panic!("next page {next:?} after a page ending with {last:?}"),
    }
});

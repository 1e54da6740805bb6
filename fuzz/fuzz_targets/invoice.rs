//! Fuzz target: an invoice as Xendit answers it (create, get, expire), read into `Invoice`.
//!
//! Input: the body. Properties:
//! - a parsed invoice writes JSON that reads back as the same invoice (timestamps to the
//!   millisecond, as Xendit writes them; numbers in free-form maps as
//!   `paylink_fuzz::same_json` says);
//! - every amount survives that round trip exactly, and the top-level `amount` is the number
//!   (or numeric string) the body's text says;
//! - the HTTP client's decoder (`paylink_http::fuzzing::decode`) reads a 200 answer with this
//!   body as exactly what `serde_json` reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paylink_core::Invoice;
use paylink_fuzz::{amount_in_text, invoice_amounts, read, round_trip};

fuzz_target!(|data: &[u8]| {
    let parsed = read::<Invoice>(data);
    let decoded = paylink_http::fuzzing::decode::<Invoice>(200, data, None);
    assert_eq!(
        parsed.is_ok(),
        decoded.is_ok(),
        "the HTTP decoder disagrees"
    );
    let Ok(invoice) = parsed else { return };
    if let Ok(d) = &decoded {
        assert_eq!(invoice_amounts(d), invoice_amounts(&invoice));
    }
    if let Some(text) = amount_in_text(data, "amount", true) {
        assert_eq!(
            text,
            Ok(invoice.amount),
            "the amount read is not the body's"
        );
    }
    let again = round_trip("invoice", &invoice, read::<Invoice>);
    assert_eq!(
        invoice_amounts(&invoice),
        invoice_amounts(&again),
        "an amount changed in a round trip"
    );
    assert_eq!(invoice.is_terminal(), again.is_terminal());
});

//! Fuzz target: a webhook as it arrives, the `x-callback-token` header and the body, through
//! `verify_and_parse`.
//!
//! Input: the first line is the header's value (a line `<none>` means no header), the rest is
//! the body. The configured token is `fuzz-token`. Properties:
//! - a header that is not the token is refused as such, whatever the body, and never reaches
//!   the parser; with the token, the answer is exactly `parse_callback`'s;
//! - a parsed callback writes JSON that parses to the same event (timestamps to the
//!   millisecond, as Xendit writes them; numbers in `extra` as `paylink_fuzz::same_json` says);
//! - every amount survives that round trip exactly, and the top-level `amount` is the number
//!   the body's text says;
//! - a PAID event says how it was paid, and the dedup key is the id and the status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paylink_core::{
    parse_callback, verify_and_parse, CallbackToken, EventKind, InvoiceCallback, InvoiceStatus,
    WebhookError,
};
use paylink_fuzz::{amount_in_text, round_trip, split_line};
use rust_decimal::Decimal;

const TOKEN: &str = "fuzz-token";

fuzz_target!(|data: &[u8]| {
    let (header, body) = split_line(data);
    let header = (header != b"<none>").then_some(header);
    let token = CallbackToken::from_static(TOKEN);
    let verified = verify_and_parse(&token, header, body);
    match header {
        None => assert_eq!(verified.err(), Some(WebhookError::MissingToken)),
        Some([]) => assert_eq!(verified.err(), Some(WebhookError::MissingToken)),
        Some(h) if h != TOKEN.as_bytes() => {
            assert_eq!(verified.err(), Some(WebhookError::TokenMismatch));
        }
        Some(_) => {
            let parsed = parse_callback(body);
            assert_eq!(
                verified, parsed,
                "verify_and_parse and parse_callback disagree"
            );
            if let Ok(event) = parsed {
                check_event(body, &event);
            }
        }
    }
});

fn check_event(body: &[u8], event: &paylink_core::InvoiceEvent) {
    let c = &event.callback;
    match (&c.status, &event.kind) {
        (InvoiceStatus::Paid, EventKind::Paid { .. }) => {
            assert!(c.paid_at.is_some() || c.payment_method.is_some());
        }
        (InvoiceStatus::Expired, EventKind::Expired) => {}
        (s, EventKind::Other(o)) => assert_eq!(s, o),
        (s, k) => panic!("status {s} classified as {k:?}"),
    }
    assert_eq!(event.dedup_key(), (c.id.as_str(), c.status.as_str()));

    if let Some(text) = amount_in_text(body, "amount", true) {
        assert_eq!(text, Ok(c.amount), "the amount read is not the body's");
    }

    let again = round_trip("webhook", c, |b| parse_callback(b).map(|e| e.callback));
    assert_eq!(
        amounts(c),
        amounts(&again),
        "an amount changed in a round trip"
    );
    let event_again = parse_callback(paylink_fuzz::write("webhook", c).as_bytes())
        .unwrap_or_else(|e| panic!("a written callback does not parse: {e}"));
    assert_eq!(
        event_again.kind, event.kind,
        "the event changed in a round trip"
    );
}

fn amounts(c: &InvoiceCallback) -> Vec<Option<Decimal>> {
    let mut out = vec![Some(c.amount), c.paid_amount, c.adjusted_received_amount];
    for item in c.items.iter().flatten() {
        out.extend([Some(item.quantity), Some(item.price)]);
    }
    out.extend(c.fees.iter().flatten().map(|f| Some(f.value)));
    out
}

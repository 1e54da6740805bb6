//! `CallbackBuilder`: a callback for every payment family and status, byte for byte what the
//! fake emits for the same link and payment.

use paylink_core::{
    parse_callback, CreateInvoiceRequest, Currency, EventKind, Gateway, InvoiceStatus, Payment,
    RequestOptions,
};
use paylink_fake::{CallbackBuilder, FakeGateway, PayWith};
use rust_decimal::Decimal;
use time::macros::datetime;

const CHANNELS: [(&str, &str); 7] = [
    ("BNI", "virtual account"),
    ("DANA", "e-wallet"),
    ("ALFAMART", "retail outlet"),
    ("QRIS", "QR code"),
    ("CREDIT_CARD", "card"),
    ("DD_BRI", "direct debit"),
    ("KREDIVO", "pay later"),
];

fn family_matches(payment: &Payment, family: &str) -> bool {
    matches!(
        (payment, family),
        (Payment::VirtualAccount { .. }, "virtual account")
            | (Payment::Ewallet { .. }, "e-wallet")
            | (Payment::RetailOutlet { .. }, "retail outlet")
            | (Payment::QrCode { .. }, "QR code")
            | (Payment::Card { .. }, "card")
            | (Payment::DirectDebit { .. }, "direct debit")
            | (Payment::Paylater { .. }, "pay later")
    )
}

#[tokio::test]
async fn a_paid_callback_is_byte_for_byte_what_the_fake_sends_for_every_family() {
    let start = datetime!(2026-02-03 04:05:06.789 UTC);
    for (channel, family) in CHANNELS {
        let built = CallbackBuilder::paid(channel)
            .seed(9)
            .at(start)
            .external_id("order-cb")
            .amount(80_000)
            .payer_email("buyer@example.com")
            .build()
            .unwrap_or_else(|e| panic!("{channel}: {e}"));

        let fake = FakeGateway::builder().seed(9).start(start).build();
        let request =
            CreateInvoiceRequest::builder("order-cb", Decimal::from(80_000), Currency::Idr)
                .payer_email("buyer@example.com")
                .payment_methods([channel])
                .build()
                .expect("valid");
        let link = fake
            .create_invoice(&request, &RequestOptions::default())
            .await
            .expect("created");
        fake.pay(&link.id, PayWith::channel(channel)).expect("paid");
        let sent = fake.callbacks().pop().expect("a callback");
        assert_eq!(built.body, sent.body, "{channel}: the same bytes");

        let parsed = parse_callback(built.body.as_bytes()).expect("parses");
        match &parsed.kind {
            EventKind::Paid { payment } => {
                assert!(family_matches(payment, family), "{channel}: {payment:?}");
            }
            other => panic!("{channel}: {other:?}"),
        }
    }
}

#[test]
fn settled_expired_and_unknown_statuses_are_built_too() {
    let settled = CallbackBuilder::settled("BNI").build().expect("built");
    let parsed = parse_callback(settled.body.as_bytes()).expect("parses");
    assert_eq!(parsed.callback.status, InvoiceStatus::Settled);
    assert_eq!(settled.status, InvoiceStatus::Settled);
    assert!(parsed.callback.paid_at.is_some(), "a settled link was paid");

    let expired = CallbackBuilder::expired()
        .external_id("late")
        .build()
        .expect("built");
    let parsed = parse_callback(expired.body.as_bytes()).expect("parses");
    assert_eq!(parsed.kind, EventKind::Expired);
    assert_eq!(parsed.callback.external_id, "late");
    assert!(parsed.callback.paid_at.is_none());
    assert!(parsed.callback.payment_channel.is_none());

    let future = InvoiceStatus::from("REFUNDED");
    let unknown = CallbackBuilder::with_status("DANA", future.clone())
        .build()
        .expect("built");
    let parsed = parse_callback(unknown.body.as_bytes()).expect("an unknown status still parses");
    assert_eq!(parsed.kind, EventKind::Other(future));
}

#[test]
fn a_link_the_fake_refuses_is_an_error_not_a_body() {
    let refused = CallbackBuilder::paid("BCA")
        .currency(Currency::Php)
        .amount(500)
        .build();
    assert!(refused.is_err(), "{refused:?}");
    let invalid = CallbackBuilder::paid("BNI").amount(10).build();
    assert!(invalid.is_err(), "{invalid:?}");
}

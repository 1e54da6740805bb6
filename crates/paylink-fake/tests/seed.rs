//! Seeding invoices in a given state: each status with its defaults, the ids of the engine's
//! own sequence, no callbacks, change tracking, and every refusal leaving the store unchanged.

use std::time::Duration;

use paylink_core::{
    BankCode, ChannelCode, CreateInvoiceFields, Currency, EwalletType, ExpiryCause, Gateway,
    InvoiceStatus, LinkState, ListInvoicesQuery, PaymentMethod, RequestOptions,
};
use paylink_fake::{FakeGateway, SeedInvoice};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-03-01 12:00:00 UTC);

fn fake() -> FakeGateway {
    FakeGateway::builder().seed(3).start(NOW).build()
}

fn request(external_id: &str) -> CreateInvoiceFields {
    let mut fields = CreateInvoiceFields::new(external_id, Decimal::from(50_000));
    fields.payment_methods = Some(vec!["BNI".into(), "DANA".into(), "QRIS".into()]);
    fields.invoice_duration = Some(3_600);
    fields
}

fn entry(external_id: &str, status: LinkState) -> SeedInvoice {
    SeedInvoice {
        status,
        ..SeedInvoice::new(request(external_id))
    }
}

fn minutes(n: i64) -> time::Duration {
    time::Duration::minutes(n)
}

#[test]
fn a_pending_invoice_is_created_now_by_default_with_an_id_of_the_engine_sequence() {
    let fake = fake();
    let seeded = fake
        .seed_invoice(SeedInvoice::new(request("order-1")))
        .expect("seeded");
    assert_eq!(seeded.status, InvoiceStatus::Pending);
    assert_eq!(seeded.created, NOW);
    assert_eq!(seeded.updated, NOW);
    assert_eq!(seeded.expiry_date, NOW + time::Duration::hours(1));
    assert_eq!(seeded.external_id, "order-1");
    assert_eq!(seeded.amount, Decimal::from(50_000));
    assert_eq!(seeded.paid_at, None);
    assert!(
        fake.callbacks().is_empty(),
        "no callback for seeded history"
    );
    assert_eq!(fake.invoice(&seeded.id), Some(seeded.clone()));

    // The id is the one a create would have had: a fresh engine's first.
    let other = fake_created_id();
    assert_eq!(seeded.id, other);

    // It expires on time like any link, with its callback then.
    let expired = fake.advance(Duration::from_secs(3_600));
    assert_eq!(expired.len(), 1);
    assert_eq!(fake.callbacks().len(), 1);
}

fn fake_created_id() -> String {
    let fake = fake();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime
        .block_on(fake.create_invoice_fields(request("x"), &RequestOptions::default()))
        .expect("created")
        .id
}

#[test]
fn a_pending_invoice_created_earlier_keeps_its_time_and_expires_by_its_duration() {
    let fake = fake();
    let seeded = fake
        .seed_invoice(SeedInvoice {
            created: Some(NOW - minutes(30)),
            ..SeedInvoice::new(request("order-1"))
        })
        .expect("seeded");
    assert_eq!(seeded.created, NOW - minutes(30));
    assert_eq!(seeded.expiry_date, NOW + minutes(30));
    assert!(fake.advance(Duration::from_secs(29 * 60)).is_empty());
    assert_eq!(fake.advance(Duration::from_secs(60)).len(), 1);
}

#[test]
fn a_paid_invoice_defaults_to_a_minute_after_created_through_the_first_channel() {
    let fake = fake();
    let seeded = fake
        .seed_invoice(SeedInvoice {
            created: Some(NOW - minutes(10)),
            ..entry("order-1", LinkState::Paid)
        })
        .expect("seeded");
    assert_eq!(seeded.status, InvoiceStatus::Paid);
    assert_eq!(seeded.paid_at, Some(NOW - minutes(9)));
    assert_eq!(seeded.updated, NOW - minutes(9));
    assert_eq!(seeded.payment_channel, Some(ChannelCode::from("BNI")));
    assert_eq!(seeded.payment_method, Some(PaymentMethod::BankTransfer));
    assert_eq!(seeded.bank_code, Some(BankCode::from("BNI")));
    let destination = seeded.payment_destination.clone().expect("a VA number");
    assert_eq!(destination.len(), 16);
    assert_eq!(seeded.paid_amount, Some(Decimal::from(50_000)));
    assert!(fake.callbacks().is_empty(), "no PAID callback for history");

    // A paid link no longer expires.
    assert!(fake.advance(Duration::from_secs(7_200)).is_empty());
    assert!(fake.callbacks().is_empty());
}

#[test]
fn a_paid_invoice_gets_the_paid_fields_of_the_channel_given_as_pay_generates_them() {
    let seeded_fake = fake();
    let seeded = seeded_fake
        .seed_invoice(SeedInvoice {
            payment_channel: Some("DANA".into()),
            paid_at: Some(NOW),
            ..entry("order-1", LinkState::Paid)
        })
        .expect("seeded");
    assert_eq!(seeded.payment_method, Some(PaymentMethod::Ewallet));
    assert_eq!(seeded.ewallet_type, Some(EwalletType::from("DANA")));
    assert!(seeded
        .payment_id
        .as_deref()
        .is_some_and(|id| id.starts_with("ewc_")));

    // The same numbers as paying a created link in a fresh engine of the same seed.
    let paid_fake = fake();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let created = runtime
        .block_on(paid_fake.create_invoice_fields(request("order-1"), &RequestOptions::default()))
        .expect("created");
    let paid = paid_fake
        .pay(&created.id, paylink_fake::PayWith::channel("DANA"))
        .expect("paid");
    assert_eq!(paid, seeded);
}

#[test]
fn a_short_link_is_paid_halfway_to_its_expiry_by_default() {
    let fake = fake();
    let mut short = request("order-1");
    short.invoice_duration = Some(60);
    let seeded = fake
        .seed_invoice(SeedInvoice {
            status: LinkState::Paid,
            created: Some(NOW - minutes(5)),
            ..SeedInvoice::new(short)
        })
        .expect("seeded");
    assert_eq!(
        seeded.paid_at,
        Some(NOW - minutes(5) + time::Duration::seconds(30))
    );
}

#[test]
fn a_settled_invoice_defaults_to_an_hour_after_payment_and_never_after_the_clock() {
    let fake = fake();
    let long_ago = fake
        .seed_invoice(SeedInvoice {
            created: Some(NOW - time::Duration::days(2)),
            ..entry("order-1", LinkState::Settled)
        })
        .expect("seeded");
    assert_eq!(long_ago.status, InvoiceStatus::Settled);
    let paid_at = NOW - time::Duration::days(2) + minutes(1);
    assert_eq!(long_ago.paid_at, Some(paid_at));
    let snapshot = fake.snapshot_invoice(&long_ago.id).expect("stored");
    assert_eq!(snapshot.settled_at, Some(paid_at + minutes(60)));

    let just_now = fake
        .seed_invoice(entry("order-2", LinkState::Settled))
        .expect("seeded");
    let snapshot = fake.snapshot_invoice(&just_now.id).expect("stored");
    assert_eq!(snapshot.paid_at, Some(NOW));
    assert_eq!(snapshot.settled_at, Some(NOW));

    let given = fake
        .seed_invoice(SeedInvoice {
            created: Some(NOW - minutes(50)),
            paid_at: Some(NOW - minutes(40)),
            settled_at: Some(NOW - minutes(5)),
            payment_channel: Some("QRIS".into()),
            ..entry("order-3", LinkState::Settled)
        })
        .expect("seeded");
    let snapshot = fake.snapshot_invoice(&given.id).expect("stored");
    assert_eq!(snapshot.paid_at, Some(NOW - minutes(40)));
    assert_eq!(snapshot.settled_at, Some(NOW - minutes(5)));
    assert_eq!(given.payment_method, Some(PaymentMethod::QrCode));
    assert!(given.payment_details.is_some());
    assert!(fake.callbacks().is_empty());
}

#[test]
fn an_expired_invoice_expires_by_duration_or_manually_as_its_times_say() {
    let fake = fake();
    let check = |entry: SeedInvoice, at: OffsetDateTime, cause: ExpiryCause| {
        let seeded = fake.seed_invoice(entry).expect("seeded");
        assert_eq!(seeded.status, InvoiceStatus::Expired);
        let snapshot = fake.snapshot_invoice(&seeded.id).expect("stored");
        assert_eq!(snapshot.expired_at, Some(at));
        assert_eq!(snapshot.expiry_cause, Some(cause));
    };
    // Due by the clock: expired at its expiry date.
    check(
        SeedInvoice {
            created: Some(NOW - minutes(90)),
            ..entry("due", LinkState::Expired)
        },
        NOW - minutes(30),
        ExpiryCause::Duration,
    );
    // Not due: expired now, by hand.
    check(
        entry("not-due", LinkState::Expired),
        NOW,
        ExpiryCause::Manual,
    );
    // Given before its expiry date: by hand then.
    check(
        SeedInvoice {
            created: Some(NOW - minutes(90)),
            expired_at: Some(NOW - minutes(80)),
            ..entry("manual", LinkState::Expired)
        },
        NOW - minutes(80),
        ExpiryCause::Manual,
    );
    // Given at its expiry date: by duration.
    check(
        SeedInvoice {
            created: Some(NOW - minutes(90)),
            expired_at: Some(NOW - minutes(30)),
            ..entry("at-expiry", LinkState::Expired)
        },
        NOW - minutes(30),
        ExpiryCause::Duration,
    );
    assert!(fake.advance(Duration::from_secs(7_200)).is_empty());
    assert!(fake.callbacks().is_empty());
}

#[tokio::test]
async fn a_for_user_id_scopes_the_seeded_invoice() {
    let fake = fake();
    let seeded = fake
        .seed_invoice(SeedInvoice {
            for_user_id: Some("sub-1".into()),
            ..SeedInvoice::new(request("order-1"))
        })
        .expect("seeded");
    let none = RequestOptions::default();
    assert!(fake.get_invoice(&seeded.id, &none).await.is_err());
    let scoped = RequestOptions::for_user("sub-1");
    assert_eq!(
        fake.get_invoice(&seeded.id, &scoped)
            .await
            .expect("visible"),
        seeded
    );
}

#[test]
fn an_idr_amount_is_truncated_as_create_truncates_it() {
    let fake = fake();
    let mut fields = request("order-1");
    fields.amount = dec!(50000.99);
    let seeded = fake.seed_invoice(SeedInvoice::new(fields)).expect("seeded");
    assert_eq!(seeded.amount, Decimal::from(50_000));
}

#[tokio::test]
async fn a_batch_is_listed_newest_created_first_and_returned_in_the_order_given() {
    let fake = fake();
    let seeded = fake
        .seed_invoices([
            SeedInvoice {
                created: Some(NOW - minutes(5)),
                ..entry("middle", LinkState::Paid)
            },
            SeedInvoice {
                created: Some(NOW - minutes(10)),
                ..entry("oldest", LinkState::Pending)
            },
            entry("newest", LinkState::Expired),
        ])
        .expect("seeded");
    let given: Vec<&str> = seeded.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(given, ["middle", "oldest", "newest"]);
    let list = fake
        .list_invoices(&ListInvoicesQuery::default(), &RequestOptions::default())
        .await
        .expect("listed");
    let listed: Vec<&str> = list.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(listed, ["newest", "middle", "oldest"]);
}

#[test]
fn change_tracking_sees_seeded_invoices_and_a_restore_reaches_the_same_world() {
    let fake = fake();
    fake.track_changes();
    let before = fake.change_count();
    let seeded = fake
        .seed_invoices([
            entry("a", LinkState::Settled),
            entry("b", LinkState::Expired),
        ])
        .expect("seeded");
    assert!(fake.change_count() > before);
    let changes = fake.take_changes();
    assert_eq!(changes.invoices.len(), 2);
    assert!(changes.callbacks.is_empty());

    let restored = self::fake();
    restored
        .restore(
            &changes.engine,
            changes.invoices.into_iter().map(|(_, snapshot)| snapshot),
        )
        .expect("a seeded world is one the engine could have reached");
    for invoice in &seeded {
        assert_eq!(restored.invoice(&invoice.id).as_ref(), Some(invoice));
    }
}

/// A refusal names the field and leaves the engine as it was: nothing stored, no change
/// counted, the id and number sequences untouched.
fn refused(entry: SeedInvoice, field: &str, rule: &str) {
    let fake = fake();
    fake.track_changes();
    let before = fake.change_count();
    let err = fake.seed_invoice(entry).expect_err("refused");
    assert_eq!(err.field, field, "{err}");
    assert!(err.message.contains(rule), "{err}");
    assert!(fake.is_empty());
    assert_eq!(fake.change_count(), before);
    assert!(fake.take_changes().invoices.is_empty());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let next = runtime
        .block_on(fake.create_invoice_fields(request("x"), &RequestOptions::default()))
        .expect("created");
    assert_eq!(next.id, fake_created_id(), "the id sequence is untouched");
}

#[test]
fn a_request_that_create_refuses_is_refused_with_its_field() {
    let mut bad = request("order-1");
    bad.items = Some(vec![paylink_core::InvoiceItem::new(
        "Tea",
        0,
        Decimal::from(1),
    )]);
    refused(SeedInvoice::new(bad), "items[0].quantity", "greater than 0");

    let mut small = request("order-1");
    small.amount = Decimal::from(5_000);
    refused(
        SeedInvoice::new(small),
        "amount",
        "MINIMAL_TRANSFER_AMOUNT_ERROR",
    );

    let mut unknown = request("order-1");
    unknown.payment_methods = Some(vec!["NOPE".into()]);
    refused(
        SeedInvoice::new(unknown),
        "payment_methods",
        "UNAVAILABLE_PAYMENT_METHOD_ERROR",
    );

    let mut wrong_currency = request("order-1");
    wrong_currency.currency = Some(Currency::Php);
    refused(
        SeedInvoice::new(wrong_currency),
        "payment_methods",
        "UNSUPPORTED_CURRENCY",
    );
}

#[test]
fn times_after_the_clock_are_refused() {
    refused(
        SeedInvoice {
            created: Some(NOW + time::Duration::seconds(1)),
            ..SeedInvoice::new(request("order-1"))
        },
        "created",
        "2026-03-01T12:00:01.000Z is after the clock 2026-03-01T12:00:00.000Z",
    );
    refused(
        SeedInvoice {
            paid_at: Some(NOW + minutes(1)),
            ..entry("order-1", LinkState::Paid)
        },
        "paid_at",
        "after the clock",
    );
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(10)),
            settled_at: Some(NOW + minutes(1)),
            ..entry("order-1", LinkState::Settled)
        },
        "settled_at",
        "after the clock",
    );
    refused(
        SeedInvoice {
            expired_at: Some(NOW + minutes(1)),
            ..entry("order-1", LinkState::Expired)
        },
        "expired_at",
        "after the clock",
    );
}

#[test]
fn an_impossible_history_is_refused_by_the_lifecycle() {
    // Paid before it was created.
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(10)),
            paid_at: Some(NOW - minutes(20)),
            ..entry("order-1", LinkState::Paid)
        },
        "paid_at",
        "is before created 2026-03-01T11:50:00.000Z",
    );
    // Paid after it expired.
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(90)),
            paid_at: Some(NOW - minutes(10)),
            ..entry("order-1", LinkState::Paid)
        },
        "paid_at",
        "at or after the invoice's expiry_date 2026-03-01T11:30:00.000Z",
    );
    // Settled before it was paid.
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(30)),
            paid_at: Some(NOW - minutes(10)),
            settled_at: Some(NOW - minutes(20)),
            ..entry("order-1", LinkState::Settled)
        },
        "settled_at",
        "is before paid_at",
    );
    // Expired before it was created, or after its expiry date.
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(10)),
            expired_at: Some(NOW - minutes(20)),
            ..entry("order-1", LinkState::Expired)
        },
        "expired_at",
        "is before created",
    );
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(90)),
            expired_at: Some(NOW - minutes(10)),
            ..entry("order-1", LinkState::Expired)
        },
        "expired_at",
        "after the invoice's expiry_date",
    );
    // PENDING past its expiry date would have expired.
    refused(
        SeedInvoice {
            created: Some(NOW - minutes(60)),
            ..entry("order-1", LinkState::Pending)
        },
        "status",
        "cannot be PENDING",
    );
}

#[test]
fn fields_that_do_not_go_with_the_status_are_refused() {
    refused(
        SeedInvoice {
            paid_at: Some(NOW),
            ..entry("order-1", LinkState::Pending)
        },
        "paid_at",
        "is only for a PAID or SETTLED invoice, and status is PENDING",
    );
    refused(
        SeedInvoice {
            payment_channel: Some("BNI".into()),
            ..entry("order-1", LinkState::Expired)
        },
        "payment_channel",
        "is only for a PAID or SETTLED invoice",
    );
    // Settled without being paid.
    refused(
        SeedInvoice {
            settled_at: Some(NOW),
            ..entry("order-1", LinkState::Paid)
        },
        "settled_at",
        "is only for a SETTLED invoice, and status is PAID",
    );
    refused(
        SeedInvoice {
            expired_at: Some(NOW),
            ..entry("order-1", LinkState::Paid)
        },
        "expired_at",
        "is only for an EXPIRED invoice",
    );
}

#[test]
fn a_channel_the_invoice_does_not_offer_or_a_blank_for_user_id_is_refused() {
    refused(
        SeedInvoice {
            payment_channel: Some("OVO".into()),
            ..entry("order-1", LinkState::Paid)
        },
        "payment_channel",
        "`OVO` is not offered by this invoice (it offers BNI, DANA, QRIS)",
    );
    refused(
        SeedInvoice {
            for_user_id: Some("  ".into()),
            ..SeedInvoice::new(request("order-1"))
        },
        "for_user_id",
        "must not be blank",
    );
}

#[test]
fn a_batch_with_one_bad_entry_seeds_nothing_and_names_the_entry() {
    let fake = fake();
    let before = fake.change_count();
    let err = fake
        .seed_invoices([
            entry("a", LinkState::Paid),
            entry("b", LinkState::Settled),
            SeedInvoice {
                created: Some(NOW + minutes(1)),
                ..entry("c", LinkState::Pending)
            },
        ])
        .expect_err("refused");
    assert_eq!(err.position, 2);
    assert_eq!(err.error.field, "created");
    assert!(fake.is_empty());
    assert_eq!(fake.change_count(), before);

    // The sequences were not consumed: seeding again gives a fresh engine's ids and numbers.
    let again = fake
        .seed_invoices([entry("a", LinkState::Paid)])
        .expect("seeded");
    let fresh = fake_seeded_paid();
    assert_eq!(again[0], fresh);
}

fn fake_seeded_paid() -> paylink_core::Invoice {
    fake()
        .seed_invoice(entry("a", LinkState::Paid))
        .expect("seeded")
}

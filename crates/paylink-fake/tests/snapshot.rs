//! Snapshots and restore: a world written out through `take_changes` and restored into a fresh
//! engine answers exactly as the original, continues its id sequence and keeps its faults.

use std::time::Duration;

use paylink_core::{
    ApiError, CreateInvoiceRequest, Currency, Gateway, GatewayError, Invoice, Operation,
    RequestOptions,
};
use paylink_fake::{FakeGateway, InvoiceSnapshot, PayWith};
use rust_decimal::Decimal;

fn request(external_id: &str, amount: i64) -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder(external_id, Decimal::from(amount), Currency::Idr)
        .payer_email("buyer@example.com")
        .description("Order")
        .payment_methods(["BNI", "DANA", "ALFAMART", "QRIS", "CREDIT_CARD", "DD_BRI"])
        .invoice_duration(3_600)
        .build()
        .expect("valid request")
}

async fn create(fake: &FakeGateway, external_id: &str, options: &RequestOptions) -> Invoice {
    fake.create_invoice(&request(external_id, 50_000), options)
        .await
        .expect("created")
}

/// A world with a link in every state, a for-user-id link, failed attempts and faults, mirrored
/// change by change into a list of snapshots as a store would keep it.
async fn busy_world() -> (
    FakeGateway,
    Vec<InvoiceSnapshot>,
    paylink_fake::EngineSnapshot,
) {
    let fake = FakeGateway::builder().seed(7).build();
    fake.track_changes();
    let none = RequestOptions::default();
    let mut stored: Vec<Option<InvoiceSnapshot>> = Vec::new();
    let mut engine = None;
    let mut mirror = |fake: &FakeGateway| {
        let changes = fake.take_changes();
        for (position, snap) in changes.invoices {
            let position = position as usize;
            if stored.len() <= position {
                stored.resize(position + 1, None);
            }
            stored[position] = Some(snap);
        }
        engine = Some(changes.engine);
    };
    let pending = create(&fake, "pending", &none).await;
    let paid = create(&fake, "paid", &none).await;
    mirror(&fake);
    fake.pay(&paid.id, PayWith::channel("QRIS")).expect("paid");
    for (name, channel) in [("va", "BNI"), ("card", "CREDIT_CARD"), ("dd", "DD_BRI")] {
        let link = create(&fake, name, &none).await;
        fake.pay(&link.id, PayWith::channel(channel)).expect("paid");
    }
    let settled = create(&fake, "settled", &none).await;
    fake.pay(&settled.id, PayWith::channel("DANA"))
        .expect("paid");
    fake.settle(&settled.id).expect("settled");
    let manual = create(&fake, "manual", &none).await;
    fake.expire_invoice(&manual.id, &none)
        .await
        .expect("expired");
    let tried = create(&fake, "tried", &none).await;
    fake.fail_payment(&tried.id, PayWith::channel("ALFAMART"))
        .expect("failed attempt");
    mirror(&fake);
    let _scoped = create(&fake, "scoped", &RequestOptions::for_user("sub-1")).await;
    let _late = create(&fake, "late", &none).await;
    fake.advance(Duration::from_secs(1_800));
    let _short = fake
        .create_invoice(
            &CreateInvoiceRequest::builder("short", Decimal::from(20_000), Currency::Idr)
                .invoice_duration(60)
                .build()
                .expect("valid"),
            &none,
        )
        .await
        .expect("created");
    fake.advance(Duration::from_secs(120));
    fake.fail_next(
        Operation::Get,
        2,
        GatewayError::from_api(ApiError::new(503, "SERVER_ERROR", "down"), None),
    );
    fake.set_latency(Operation::List, Duration::from_millis(5));
    fake.duplicate_next_callbacks(1);
    mirror(&fake);
    assert_eq!(fake.invoice(&pending.id).expect("kept").id, pending.id);
    let stored = stored
        .into_iter()
        .map(|s| s.expect("every position mirrored"));
    (fake, stored.collect(), engine.expect("mirrored"))
}

#[tokio::test]
async fn a_restored_world_answers_as_the_original_and_continues_its_sequences() {
    let (original, stored, engine) = busy_world().await;
    assert_eq!(stored.len(), original.len());
    let restored = FakeGateway::builder().seed(7).build();
    restored.restore(&engine, stored).expect("restores");

    let all = paylink_core::ListInvoicesQuery {
        limit: Some(100),
        ..Default::default()
    };
    let none = RequestOptions::default();
    let list = |fake: &FakeGateway| {
        let fake = fake.clone();
        let all = all.clone();
        async move {
            fake.set_latency(Operation::List, Duration::ZERO);
            fake.list_invoices(&all, &RequestOptions::default())
                .await
                .expect("listed")
        }
    };
    assert_eq!(list(&restored).await, list(&original).await);
    assert_eq!(restored.now(), original.now());
    let scoped = RequestOptions::for_user("sub-1");
    assert_eq!(
        list_scoped(&restored, &scoped).await,
        list_scoped(&original, &scoped).await
    );
    assert_eq!(list_scoped(&restored, &scoped).await.len(), 1);

    // The injected failures fire in the restored world as they would have in the original.
    for fake in [&original, &restored] {
        let any = list(fake).await[0].id.clone();
        for _ in 0..2 {
            let err = fake.get_invoice(&any, &none).await.expect_err("injected");
            assert_eq!(err.status(), Some(503));
        }
        fake.get_invoice(&any, &none).await.expect("faults used up");
    }

    // Ids and generated numbers continue where the original was.
    let a = create(&original, "next", &none).await;
    let b = create(&restored, "next", &none).await;
    assert_eq!(a, b);
    let pa = original.pay(&a.id, PayWith::channel("BNI")).expect("paid");
    let pb = restored.pay(&b.id, PayWith::channel("BNI")).expect("paid");
    assert_eq!(pa, pb);
    // The pending duplicate fault carried over: both release the PAID callback twice.
    let paid_callbacks = |fake: &FakeGateway| {
        fake.callbacks()
            .iter()
            .filter(|c| c.invoice_id == a.id)
            .count()
    };
    assert_eq!(paid_callbacks(&original), 2);
    assert_eq!(paid_callbacks(&restored), 2);

    // A PENDING link restored still expires on time.
    let due = |fake: &FakeGateway| fake.advance(Duration::from_secs(7_200)).len();
    assert_eq!(due(&original), due(&restored));
}

async fn list_scoped(fake: &FakeGateway, options: &RequestOptions) -> Vec<Invoice> {
    let query = paylink_core::ListInvoicesQuery::default();
    fake.list_invoices(&query, options).await.expect("listed")
}

#[tokio::test]
async fn changes_hold_each_changed_invoice_once_and_the_callbacks_released() {
    let fake = FakeGateway::builder().seed(1).build();
    let none = RequestOptions::default();
    let before = create(&fake, "before-tracking", &none).await;
    fake.track_changes();
    let start = fake.change_count();
    assert!(fake.take_changes().invoices.is_empty());
    let link = create(&fake, "tracked", &none).await;
    fake.pay(&link.id, PayWith::channel("BNI")).expect("paid");
    let changes = fake.take_changes();
    assert!(changes.change_count > start);
    assert_eq!(changes.invoices.len(), 1, "one entry per changed invoice");
    assert_eq!(changes.invoices[0].0, 1, "its position in creation order");
    assert!(changes.invoices[0].1.payment.is_some());
    assert_eq!(changes.callbacks.len(), 1);
    assert_eq!(changes.callbacks[0].invoice_id, link.id);
    let again = fake.take_changes();
    assert!(again.invoices.is_empty() && again.callbacks.is_empty());
    assert_eq!(again.change_count, changes.change_count);

    fake.reset();
    let changes = fake.take_changes();
    assert!(changes.reset);
    assert!(changes.invoices.is_empty());
    assert!(fake.invoice(&before.id).is_none());
}

/// A change that makes a stored world one the engine could not have reached.
type Breakage = Box<dyn Fn(&mut Vec<InvoiceSnapshot>)>;

#[tokio::test]
async fn a_snapshot_the_engine_could_not_have_reached_is_refused_naming_the_invoice_and_field() {
    let (_, stored, engine) = busy_world().await;
    let paid = stored
        .iter()
        .position(|s| s.payment.is_some())
        .expect("a paid link");
    let cases: Vec<(&str, Breakage)> = vec![
        ("id", Box::new(|s| s[0].id = "not-an-id".into())),
        ("id", Box::new(|s| s[1].id = s[0].id.clone())),
        (
            "request.amount",
            Box::new(|s| s[0].request.amount = Decimal::from(-5)),
        ),
        (
            "paid_at",
            Box::new(move |s| {
                s[paid].paid_at = Some(s[paid].expiry_date + time::Duration::hours(1))
            }),
        ),
        ("payment", Box::new(move |s| s[paid].payment = None)),
        (
            "expiry_cause",
            Box::new(|s| s[0].expired_at = Some(s[0].expiry_date)),
        ),
    ];
    for (field, break_it) in cases {
        let mut broken = stored.clone();
        break_it(&mut broken);
        let fake = FakeGateway::builder().seed(7).build();
        let kept = create(&fake, "kept", &RequestOptions::default()).await;
        let err = fake
            .restore(&engine, broken)
            .expect_err("a broken snapshot is refused");
        assert_eq!(err.field, field, "{err}");
        assert!(err.to_string().contains(&err.id), "{err}");
        assert_eq!(fake.len(), 1, "a refused restore changes nothing");
        assert!(fake.invoice(&kept.id).is_some());
    }
}

#[test]
fn a_snapshot_reads_back_what_it_writes() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (_, stored, engine) = rt.block_on(busy_world());
    for snap in &stored {
        let json = serde_json::to_string(snap).expect("writes");
        let back: InvoiceSnapshot = serde_json::from_str(&json).expect("reads");
        assert_eq!(&back, snap);
    }
    let json = serde_json::to_string(&engine).expect("writes");
    assert_eq!(
        serde_json::from_str::<paylink_fake::EngineSnapshot>(&json).expect("reads"),
        engine
    );
}

//! Criterion benches of the core's two hot paths, each beside a plain serde_json baseline run
//! in the same process: building a create request, and verifying + parsing a webhook.

use std::hint::black_box;

use criterion::{criterion_main, Criterion};
use paylink_core::{
    verify_and_parse, CallbackToken, CreateInvoiceRequest, Currency, Customer, InvoiceFee,
    InvoiceItem,
};
use rust_decimal::Decimal;

const DANA_PAID: &[u8] = include_bytes!("../tests/data/webhook/paid_ewallet_dana.json");

fn request() -> Result<CreateInvoiceRequest, paylink_core::ValidationErrors> {
    CreateInvoiceRequest::builder(
        "payment-link-example",
        Decimal::from(510_000),
        Currency::Idr,
    )
    .description("Air Conditioner purchase")
    .invoice_duration(86_400)
    .customer(Customer {
        given_names: Some("John".into()),
        surname: Some("Doe".into()),
        email: Some("johndoe@example.com".into()),
        mobile_number: Some("+6287774441111".into()),
        ..Customer::default()
    })
    .success_redirect_url("https://www.google.com")
    .failure_redirect_url("https://www.google.com")
    .item(InvoiceItem {
        category: Some("Electronic".into()),
        url: Some("https://yourcompany.com/example_item".into()),
        ..InvoiceItem::new("Air Conditioner", 1, Decimal::from(100_000))
    })
    .fee(InvoiceFee::new("ADMIN", Decimal::from(5_000)))
    .metadata_entry("store_branch", "Jakarta")
    .build()
}

fn create_request(c: &mut Criterion) {
    let value = match request().map(|r| serde_json::to_value(&r)) {
        Ok(Ok(v)) => v,
        other => panic!("the bench request must be valid: {other:?}"),
    };
    let mut group = c.benchmark_group("core_request");
    group.bench_function("build_validate_serialize", |b| {
        b.iter(|| {
            let r = request().map(|r| serde_json::to_vec(&r));
            black_box(r)
        })
    });
    group.bench_function("serde_json_value_to_vec", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&value))))
    });
    group.finish();
}

fn webhook(c: &mut Criterion) {
    let token = CallbackToken::from_static("whsec-bench-token-0123456789");
    let header = Some(&b"whsec-bench-token-0123456789"[..]);
    let mut group = c.benchmark_group("core_webhook");
    group.bench_function("verify_and_parse", |b| {
        b.iter(|| black_box(verify_and_parse(&token, header, black_box(DANA_PAID))))
    });
    group.bench_function("serde_json_value_from_slice", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(
                DANA_PAID,
            )))
        })
    });
    group.finish();
}

mod group {
    //! The criterion group (in a private module: the macro's function has no doc comment).
    criterion::criterion_group!(benches, super::create_request, super::webhook);
}

criterion_main!(group::benches);

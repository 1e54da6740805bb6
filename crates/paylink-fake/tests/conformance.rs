//! The conformance suite run against `FakeGateway`, fresh and already holding other invoices.

use paylink_core::conformance;
use paylink_core::{CreateInvoiceRequest, Currency, Gateway, RequestOptions};
use paylink_fake::FakeGateway;
use rust_decimal::Decimal;

#[tokio::test]
async fn the_fake_passes_the_conformance_suite() {
    let fake = FakeGateway::new();
    if let Err(failures) = conformance::run_all(&fake, &fake).await {
        panic!("{failures}");
    }
}

#[tokio::test]
async fn the_fake_passes_twice_in_a_row_and_beside_other_invoices() {
    let fake = FakeGateway::builder().seed(99).build();
    for i in 0..25 {
        let req = CreateInvoiceRequest::builder(
            format!("other-{i}"),
            Decimal::from(20_000),
            Currency::Idr,
        )
        .build()
        .expect("valid request");
        fake.create_invoice(&req, &RequestOptions::default())
            .await
            .expect("create succeeds");
    }
    for _ in 0..2 {
        if let Err(failures) = conformance::run_all(&fake, &fake).await {
            panic!("{failures}");
        }
    }
}

#[tokio::test]
async fn the_suite_runs_through_a_shared_gateway_object() {
    let fake = std::sync::Arc::new(FakeGateway::new());
    let gateway: std::sync::Arc<dyn Gateway> = fake.clone();
    if let Err(failures) = conformance::run_all(&gateway, fake.as_ref()).await {
        panic!("{failures}");
    }
}

#[tokio::test]
async fn the_suite_reports_a_backend_that_breaks_a_rule() {
    // A fake whose every expire fails with a server error cannot pass the expire check.
    let fake = FakeGateway::new();
    fake.fail_next(
        paylink_core::Operation::Expire,
        usize::MAX,
        paylink_core::GatewayError::Server(Box::new(paylink_core::ApiError::new(
            500,
            "INTERNAL_SERVER_ERROR",
            "Something unxpected happened.",
        ))),
    );
    let failures = conformance::run_all(&fake, &fake)
        .await
        .expect_err("a broken expire must fail the suite");
    let names: Vec<&str> = failures.0.iter().map(|f| f.check).collect();
    assert!(
        names.contains(&"expire_moves_only_pending_links"),
        "{failures}"
    );
}

//! Many tasks at once on a multi-thread runtime: no create is lost or duplicated, and payments
//! racing on the same link succeed exactly once.

use std::collections::HashSet;
use std::sync::Arc;

use paylink_core::{
    CreateInvoiceRequest, Currency, Gateway, InvoiceStatus, ListInvoicesQuery, RequestOptions,
};
use paylink_fake::{FakeGateway, PayWith};
use rust_decimal::Decimal;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_fake_is_send_and_sync() {
    assert_send_sync::<FakeGateway>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_parallel_creates_are_all_stored_once() {
    let fake = Arc::new(FakeGateway::new());
    let mut tasks = Vec::new();
    for t in 0..100 {
        let fake = fake.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(100);
            for i in 0..100 {
                let req = CreateInvoiceRequest::builder(
                    format!("c-{t}-{i}"),
                    Decimal::from(20_000),
                    Currency::Idr,
                )
                .build()
                .expect("valid");
                let inv = fake
                    .create_invoice(&req, &RequestOptions::default())
                    .await
                    .expect("create");
                ids.push((inv.id, inv.external_id));
                tokio::task::yield_now().await;
            }
            ids
        }));
    }
    let mut ids = HashSet::new();
    let mut externals = HashSet::new();
    for task in tasks {
        for (id, external) in task.await.expect("task") {
            assert!(ids.insert(id.clone()), "duplicate id {id}");
            externals.insert(external);
        }
    }
    assert_eq!(ids.len(), 10_000);
    assert_eq!(externals.len(), 10_000);
    assert_eq!(fake.len(), 10_000);

    let mut listed = HashSet::new();
    let mut q = ListInvoicesQuery {
        limit: Some(100),
        ..ListInvoicesQuery::default()
    };
    loop {
        let page = fake
            .list_invoices(&q, &RequestOptions::default())
            .await
            .expect("list");
        for inv in &page {
            assert!(listed.insert(inv.id.clone()), "listed twice: {}", inv.id);
        }
        match q.next_page(&page) {
            Some(next) => q = next,
            None => break,
        }
    }
    assert_eq!(listed, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_payments_of_one_link_succeed_exactly_once() {
    let fake = Arc::new(FakeGateway::new());
    let req = CreateInvoiceRequest::builder("race", Decimal::from(20_000), Currency::Idr)
        .build()
        .expect("valid");
    let inv = fake
        .create_invoice(&req, &RequestOptions::default())
        .await
        .expect("create");
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let fake = fake.clone();
        let id = inv.id.clone();
        tasks.push(tokio::spawn(async move {
            fake.pay(&id, PayWith::channel("BNI")).is_ok()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.expect("task") {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(fake.callbacks().len(), 1);
    assert_eq!(
        fake.invoice(&inv.id).map(|i| i.status),
        Some(InvoiceStatus::Paid)
    );
}

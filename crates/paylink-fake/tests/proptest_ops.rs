//! Random sequences of operations against the fake, checked against a small model after every
//! step: the fake never breaks a lifecycle rule, every PAID and EXPIRED transition has exactly
//! one callback, and list is always newest first and agrees with get.

use std::collections::HashMap;
use std::time::Duration;

use paylink_core::{
    CreateInvoiceRequest, Currency, Gateway, InvoiceStatus, ListInvoicesQuery, RequestOptions,
};
use paylink_fake::{FakeGateway, PayWith};
use proptest::prelude::*;
use rust_decimal::Decimal;

const CHANNELS: [&str; 7] = [
    "BNI",
    "DANA",
    "ALFAMART",
    "QRIS",
    "CREDIT_CARD",
    "DD_BRI",
    "KREDIVO",
];

#[derive(Debug, Clone)]
enum Op {
    Create { duration: u32, scoped: bool },
    Pay { pick: usize, channel: usize },
    FailPay { pick: usize, channel: usize },
    Settle { pick: usize },
    Expire { pick: usize },
    Advance { secs: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..400, any::<bool>()).prop_map(|(duration, scoped)| Op::Create { duration, scoped }),
        3 => (any::<usize>(), 0..CHANNELS.len()).prop_map(|(pick, channel)| Op::Pay { pick, channel }),
        1 => (any::<usize>(), 0..CHANNELS.len()).prop_map(|(pick, channel)| Op::FailPay { pick, channel }),
        1 => any::<usize>().prop_map(|pick| Op::Settle { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Expire { pick }),
        2 => (0u64..300).prop_map(|secs| Op::Advance { secs }),
    ]
}

struct Model {
    id: String,
    scope: RequestOptions,
    status: InvoiceStatus,
}

fn legal(from: &InvoiceStatus, to: &InvoiceStatus) -> bool {
    use InvoiceStatus::*;
    from == to
        || matches!(
            (from, to),
            (Pending, Paid) | (Pending, Expired) | (Paid, Settled)
        )
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fake = FakeGateway::builder().seed(7).build();
    let sub = RequestOptions::for_user("5f9a3fbd571a1c4068aa40cf");
    let mut models: Vec<Model> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Create { duration, scoped } => {
                let req = CreateInvoiceRequest::builder(
                    format!("p-{step}"),
                    Decimal::from(20_000 + step as i64),
                    Currency::Idr,
                )
                .invoice_duration(duration)
                .build()
                .expect("valid");
                let scope = if scoped {
                    sub.clone()
                } else {
                    RequestOptions::default()
                };
                let inv = fake.create_invoice(&req, &scope).await.expect("create");
                models.push(Model {
                    id: inv.id,
                    scope,
                    status: InvoiceStatus::Pending,
                });
            }
            Op::Pay { pick, channel } | Op::FailPay { pick, channel } if !models.is_empty() => {
                let n = models.len();
                let m = &mut models[pick % n];
                let with = PayWith::channel(CHANNELS[channel]);
                let fail = matches!(op, Op::FailPay { .. });
                let r = if fail {
                    fake.fail_payment(&m.id, with)
                } else {
                    fake.pay(&m.id, with)
                };
                prop_assert_eq!(
                    r.is_ok(),
                    m.status == InvoiceStatus::Pending,
                    "pay {:?} of a {} link",
                    r,
                    m.status
                );
                if r.is_ok() && !fail {
                    m.status = InvoiceStatus::Paid;
                }
            }
            Op::Settle { pick } if !models.is_empty() => {
                let n = models.len();
                let m = &mut models[pick % n];
                let r = fake.settle(&m.id);
                prop_assert_eq!(r.is_ok(), m.status == InvoiceStatus::Paid);
                if r.is_ok() {
                    m.status = InvoiceStatus::Settled;
                }
            }
            Op::Expire { pick } if !models.is_empty() => {
                let n = models.len();
                let m = &mut models[pick % n];
                let r = fake.expire_invoice(&m.id, &m.scope).await;
                prop_assert_eq!(r.is_ok(), m.status == InvoiceStatus::Pending);
                if r.is_ok() {
                    m.status = InvoiceStatus::Expired;
                }
            }
            Op::Advance { secs } => {
                for inv in fake.advance(Duration::from_secs(secs)) {
                    let m = models.iter_mut().find(|m| m.id == inv.id).expect("known");
                    prop_assert_eq!(&m.status, &InvoiceStatus::Pending);
                    m.status = InvoiceStatus::Expired;
                }
            }
            _ => {}
        }
        check(&fake, &models, &sub).await?;
    }
    Ok(())
}

async fn check(
    fake: &FakeGateway,
    models: &[Model],
    sub: &RequestOptions,
) -> Result<(), TestCaseError> {
    let now = fake.now();
    for m in models {
        let inv = fake
            .get_invoice(&m.id, &m.scope)
            .await
            .expect("visible with its scope");
        prop_assert!(
            legal(&m.status, &inv.status) && inv.status == m.status,
            "{} is {} in the fake, {} in the model",
            m.id,
            inv.status,
            m.status
        );
        if inv.status == InvoiceStatus::Pending {
            prop_assert!(inv.expiry_date > now, "a PENDING link is past its expiry");
        }
        if let Some(paid_at) = inv.paid_at {
            prop_assert!(paid_at < inv.expiry_date && paid_at >= inv.created);
            prop_assert_eq!(inv.paid_amount, Some(inv.amount));
        }
        prop_assert_eq!(
            inv.paid_at.is_some(),
            matches!(inv.status, InvoiceStatus::Paid | InvoiceStatus::Settled)
        );
        prop_assert!(inv.updated >= inv.created);
    }
    let mut per_invoice: HashMap<String, Vec<InvoiceStatus>> = HashMap::new();
    for cb in fake.callbacks() {
        per_invoice
            .entry(cb.invoice_id)
            .or_default()
            .push(cb.status);
    }
    for m in models {
        let sent = per_invoice.remove(&m.id).unwrap_or_default();
        let expected = match m.status {
            InvoiceStatus::Pending => vec![],
            InvoiceStatus::Paid | InvoiceStatus::Settled => vec![InvoiceStatus::Paid],
            _ => vec![InvoiceStatus::Expired],
        };
        prop_assert_eq!(sent, expected, "callbacks of {}", m.id);
    }
    prop_assert!(per_invoice.is_empty());

    for scope in [RequestOptions::default(), sub.clone()] {
        let mut seen = Vec::new();
        let mut q = ListInvoicesQuery {
            limit: Some(3),
            ..ListInvoicesQuery::default()
        };
        loop {
            let page = fake.list_invoices(&q, &scope).await.expect("list");
            for inv in &page {
                let got = fake
                    .get_invoice(&inv.id, &scope)
                    .await
                    .expect("listed means visible");
                prop_assert_eq!(&got, inv);
            }
            seen.extend(page.iter().map(|i| i.id.clone()));
            match q.next_page(&page) {
                Some(next) => q = next,
                None => break,
            }
        }
        let expected: Vec<String> = models
            .iter()
            .rev()
            .filter(|m| m.scope == scope)
            .map(|m| m.id.clone())
            .collect();
        prop_assert_eq!(seen, expected, "list is newest first and complete");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_operation_sequences_never_break_a_lifecycle_rule(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        rt.block_on(run(ops))?;
    }
}

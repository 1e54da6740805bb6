//! Random interleavings of payments, expiry, cancels, duplicated, reordered and shuffled
//! webhooks and refreshes across several orders: no order is ever both paid and cancelled,
//! no webhook is lost, and every order ends agreeing with its link.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::StatusCode;
use common::{cart, Harness, TOKEN};
use paylink_axum::testing;
use paylink_core::{ApiError, CallbackToken, GatewayError, InvoiceStatus, LinkState, Operation};
use paylink_example_shop::http::WEBHOOK_PATH;
use paylink_example_shop::{
    InMemoryOrders, Order, OrderRepository, OrderService, OrderStatus, RepositoryError,
    ShopSettings,
};
use paylink_fake::{CallbackEvent, FakeGateway, PayWith};
use proptest::prelude::*;

const CHANNELS: [&str; 4] = ["DANA", "BNI", "QRIS", "ALFAMART"];

#[derive(Debug, Clone)]
enum Step {
    Checkout,
    Pay { order: usize, channel: usize },
    Settle(usize),
    Advance { minutes: u64 },
    Cancel(usize),
    DuplicateNext(usize),
    ReorderNext(usize),
    Deliver { pick: usize, again_later: bool },
    Refresh(usize),
    FailNextGet,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Checkout),
        4 => (0..8usize, 0..CHANNELS.len()).prop_map(|(order, channel)| Step::Pay { order, channel }),
        1 => (0..8usize).prop_map(Step::Settle),
        2 => (0..=90u64).prop_map(|minutes| Step::Advance { minutes }),
        2 => (0..8usize).prop_map(Step::Cancel),
        1 => (1..=3usize).prop_map(Step::DuplicateNext),
        1 => (1..=2usize).prop_map(Step::ReorderNext),
        6 => (0..16usize, any::<bool>()).prop_map(|(pick, again_later)| Step::Deliver { pick, again_later }),
        2 => (0..8usize).prop_map(Step::Refresh),
        1 => Just(Step::FailNextGet),
    ]
}

/// What the test remembers about the run.
#[derive(Default)]
struct Ledger {
    /// Callbacks released by the fake and not yet delivered (or to be delivered again).
    pending: Vec<CallbackEvent>,
    /// Webhook POSTs made per order id.
    posts: HashMap<String, u32>,
    /// Per order: whether it was ever seen with money received, ever seen cancelled.
    seen: HashMap<String, (bool, bool)>,
    /// The last link state seen per order.
    link: HashMap<String, LinkState>,
    /// Injected GET failures not yet consumed.
    armed_get_failures: usize,
}

struct Run {
    h: Harness,
    ledger: Ledger,
    orders: Vec<String>,
}

impl Run {
    async fn checkout(&mut self) {
        let order = self.h.post_json("/checkout", &cart()).await;
        assert_eq!(order.status, StatusCode::CREATED, "{}", order.json);
        let id = order.json["order"]["id"].as_str().expect("id").to_owned();
        self.orders.push(id);
    }

    fn order_id(&self, i: usize) -> String {
        self.orders[i % self.orders.len()].clone()
    }

    async fn deliver(&mut self, event: &CallbackEvent) {
        let answer = self.h.deliver(event).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
        let order = answer.json["order_id"]
            .as_str()
            .expect("order id")
            .to_owned();
        *self.ledger.posts.entry(order).or_default() += 1;
    }

    /// A call that reads the link may fail only when a failure was armed, and then changes
    /// nothing.
    fn check_read_answer(&mut self, status: StatusCode, before: &Order, after: &Order) {
        if status == StatusCode::BAD_GATEWAY {
            assert!(
                self.ledger.armed_get_failures > 0,
                "a 502 with no fault armed"
            );
            self.ledger.armed_get_failures -= 1;
            assert_eq!(after, before, "a failed read changed the order");
        }
    }

    async fn apply(&mut self, step: &Step) {
        match step {
            Step::Checkout => {
                if self.orders.len() < 5 {
                    self.checkout().await;
                }
            }
            Step::Pay { order, channel } => {
                let order = self.h.order(&self.order_id(*order)).await;
                // Refused when the link is no longer pending: that is the fake's rule, not
                // the shop's.
                let _ = self
                    .h
                    .fake
                    .pay(&order.invoice_id, PayWith::channel(CHANNELS[*channel]));
            }
            Step::Settle(i) => {
                let order = self.h.order(&self.order_id(*i)).await;
                let _ = self.h.fake.settle(&order.invoice_id);
            }
            Step::Advance { minutes } => {
                self.h.fake.advance(Duration::from_secs(minutes * 60));
            }
            Step::Cancel(i) => {
                let id = self.order_id(*i);
                let before = self.h.order(&id).await;
                let answer = self.h.post(&format!("/orders/{id}/cancel")).await;
                let after = self.h.order(&id).await;
                match answer.status {
                    StatusCode::OK => assert!(after.status.is_cancelled(), "{}", answer.json),
                    StatusCode::CONFLICT => {
                        assert!(!after.status.is_cancelled(), "{}", answer.json)
                    }
                    other => self.check_read_answer(other, &before, &after),
                }
            }
            Step::DuplicateNext(n) => self.h.fake.duplicate_next_callbacks(*n),
            Step::ReorderNext(n) => self.h.fake.reorder_next_callbacks(*n),
            Step::Deliver { pick, again_later } => {
                if self.ledger.pending.is_empty() {
                    return;
                }
                let at = pick % self.ledger.pending.len();
                let event = if *again_later {
                    self.ledger.pending[at].clone()
                } else {
                    self.ledger.pending.swap_remove(at)
                };
                self.deliver(&event).await;
            }
            Step::Refresh(i) => {
                let id = self.order_id(*i);
                let before = self.h.order(&id).await;
                let answer = self.h.post(&format!("/orders/{id}/refresh")).await;
                let after = self.h.order(&id).await;
                if answer.status != StatusCode::OK {
                    self.check_read_answer(answer.status, &before, &after);
                }
            }
            Step::FailNextGet => {
                self.h.fake.fail_next(
                    Operation::Get,
                    1,
                    GatewayError::Server(Box::new(ApiError::new(503, "SERVER_ERROR", "try later"))),
                );
                self.ledger.armed_get_failures += 1;
            }
        }
        let released = self.h.released();
        self.ledger.pending.extend(released);
        self.check_invariants().await;
    }

    /// After every step: no order both paid and cancelled, status consistent with the link,
    /// the link state never moves backwards.
    async fn check_invariants(&mut self) {
        for id in &self.orders {
            let o = self.h.order(id).await;
            let seen = self.ledger.seen.entry(id.clone()).or_default();
            seen.0 |= o.status.money_received();
            seen.1 |= o.status.is_cancelled();
            assert!(
                !(seen.0 && seen.1),
                "order {id} was both paid and cancelled: {o:?}"
            );
            assert!(
                !matches!(o.status, OrderStatus::NeedsReview { .. }),
                "the fake never pays an expired link, yet {id} needs review: {o:?}"
            );
            match o.status {
                OrderStatus::AwaitingPayment => assert_eq!(o.link_state, LinkState::Pending),
                OrderStatus::Paid => assert!(o.link_state.is_paid(), "{o:?}"),
                OrderStatus::Cancelled { .. } => assert_eq!(o.link_state, LinkState::Expired),
                OrderStatus::NeedsReview { .. } => {}
            }
            let before = self
                .ledger
                .link
                .insert(id.clone(), o.link_state)
                .unwrap_or(LinkState::Pending);
            let forward = before == o.link_state
                || matches!(
                    (before, o.link_state),
                    (LinkState::Pending, _) | (LinkState::Paid, LinkState::Settled)
                );
            assert!(
                forward,
                "order {id} went from {before} back to {}",
                o.link_state
            );
        }
    }

    /// Releases anything held, delivers every pending callback, and checks the end state.
    async fn finish(&mut self) {
        while self.h.fake.release_held_callback() {}
        let released = self.h.released();
        self.ledger.pending.extend(released);
        for event in std::mem::take(&mut self.ledger.pending) {
            self.deliver(&event).await;
        }
        self.check_invariants().await;

        let emitted = self.h.fake.callbacks();
        for id in &self.orders {
            let o = self.h.order(id).await;
            let invoice = self.h.fake.invoice(&o.invoice_id).expect("the link exists");
            let expected = match invoice.status {
                InvoiceStatus::Pending => OrderStatus::AwaitingPayment,
                InvoiceStatus::Paid | InvoiceStatus::Settled => OrderStatus::Paid,
                _ => OrderStatus::Cancelled {
                    reason: paylink_example_shop::CancelReason::LinkExpired,
                },
            };
            assert_eq!(
                o.status, expected,
                "order {id} disagrees with its link {}",
                invoice.status
            );

            // No webhook lost: every callback the fake emitted for this link was recorded, and
            // every POST counted.
            let mut keys: Vec<(String, InvoiceStatus)> = emitted
                .iter()
                .filter(|e| e.invoice_id == o.invoice_id)
                .map(|e| (e.invoice_id.clone(), e.status.clone()))
                .collect();
            keys.dedup();
            let recorded: Vec<(String, InvoiceStatus)> = o
                .deliveries
                .iter()
                .map(|d| (d.invoice_id.clone(), d.status.clone()))
                .collect();
            assert_eq!(
                recorded, keys,
                "order {id}: recorded deliveries differ from emitted"
            );
            let received: u32 = o.deliveries.iter().map(|d| d.received).sum();
            assert_eq!(
                received,
                self.ledger.posts.get(id).copied().unwrap_or(0),
                "order {id}: a POST was not counted"
            );
            let emitted_for_link = emitted
                .iter()
                .filter(|e| e.invoice_id == o.invoice_id)
                .count();
            assert!(
                received as usize >= emitted_for_link,
                "order {id}: a callback was never delivered"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_interleaving_pays_and_cancels_an_order_or_loses_a_webhook(
        seed in any::<u64>(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut run = Run { h: Harness::with_seed(seed), ledger: Ledger::default(), orders: Vec::new() };
            for _ in 0..3 {
                run.checkout().await;
            }
            for step in &steps {
                run.apply(step).await;
            }
            run.finish().await;
        });
    }
}

/// An order store that yields between every call, so concurrent handlers interleave between
/// reading an order and writing it back.
struct YieldingOrders(InMemoryOrders);

#[async_trait]
impl OrderRepository for YieldingOrders {
    async fn insert(&self, order: Order) -> Result<(), RepositoryError> {
        tokio::task::yield_now().await;
        self.0.insert(order).await
    }

    async fn get(&self, id: &str) -> Result<Option<Order>, RepositoryError> {
        tokio::task::yield_now().await;
        self.0.get(id).await
    }

    async fn replace(&self, order: Order) -> Result<Order, RepositoryError> {
        tokio::task::yield_now().await;
        self.0.replace(order).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_order_lose_no_update() {
    let fake = FakeGateway::builder().seed(3).build();
    let orders = Arc::new(YieldingOrders(InMemoryOrders::new()));
    let service = Arc::new(OrderService::new(
        Arc::new(fake.clone()),
        orders.clone(),
        ShopSettings::new("http://shop.test", CallbackToken::from_static(TOKEN)),
    ));
    let cart = serde_json::from_value(cart()).expect("a cart");
    let checkout = service.checkout(&cart).await.expect("checkout");
    fake.duplicate_next_callbacks(1);
    fake.pay(&checkout.order.invoice_id, PayWith::channel("DANA"))
        .expect("pay");
    let mut events = fake.callbacks();
    events.extend(events.clone());
    assert_eq!(events.len(), 4);

    // Each delivery goes through the shop's router, as from the network.
    let router = paylink_example_shop::http::router(Arc::clone(&service));
    let token = CallbackToken::from_static(TOKEN);
    let mut tasks = Vec::new();
    for event in events {
        let request = event.to_request(WEBHOOK_PATH, &token).expect("a request");
        let router = router.clone();
        tasks.push(tokio::spawn(async move {
            let (status, body) = testing::send(&router, request).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let answer: serde_json::Value = serde_json::from_str(&body).expect("a JSON answer");
            answer["duplicate"] == serde_json::Value::Bool(true)
        }));
    }
    let refresh = {
        let service = Arc::clone(&service);
        let id = checkout.order.id.clone();
        tokio::spawn(async move { service.refresh(&id).await.map(|o| o.status) })
    };
    let mut firsts = 0;
    for task in tasks {
        if !task.await.expect("joined and accepted") {
            firsts += 1;
        }
    }
    assert_eq!(
        refresh.await.expect("joined").expect("refreshed"),
        OrderStatus::Paid
    );

    let order = service.order(&checkout.order.id).await.expect("stored");
    assert_eq!(firsts, 1, "exactly one delivery is the first");
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.deliveries.len(), 1);
    assert_eq!(order.deliveries[0].received, 4);
}

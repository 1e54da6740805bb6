//! Property: whatever the interleaving of payments, expiry, webhook deliveries (duplicated,
//! reordered, delayed, lost), worker crashes mid-processing, processing and sweeper runs, once
//! the links are final and a last sweep and processing have run, every order's state equals
//! its link's, reached by exactly one transition.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{
    CallbackToken, CreateInvoiceRequest, Currency, Gateway, InvoiceEvent, LinkState, RequestOptions,
};
use paylink_fake::{CallbackEvent, FakeGateway, PayWith};
use paylink_inbox::{
    HandlerError, Inbox, InboxOptions, InboxStore, LocalOrder, ManualClock, MemoryStore, MemoryTx,
    OrderHandler, Outcome, PendingLink, PendingOrders, SweepQuery, Sweeper, Worker,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::OffsetDateTime;

const TOKEN: &str = "prop-token";

#[derive(Debug, Clone)]
struct Order {
    invoice_id: String,
    state: LinkState,
    created: OffsetDateTime,
    expiry: OffsetDateTime,
    transitions: Vec<(LinkState, LinkState)>,
}

/// The application: orders in memory, written only when the claim commits.
#[derive(Default, Clone)]
struct Orders(Arc<Mutex<HashMap<String, Order>>>);

impl Orders {
    fn snapshot(&self) -> HashMap<String, Order> {
        self.0.lock().expect("orders").clone()
    }
}

#[async_trait]
impl OrderHandler<MemoryTx> for Orders {
    async fn load(
        &self,
        _tx: &mut MemoryTx,
        event: &InvoiceEvent,
    ) -> Result<Option<LocalOrder>, HandlerError> {
        let orders = self.0.lock().expect("orders");
        Ok(orders.get(&event.callback.external_id).map(|o| LocalOrder {
            invoice_id: o.invoice_id.clone(),
            state: o.state,
            amount: Decimal::from(10_000),
            currency: Currency::Idr,
        }))
    }

    async fn apply(
        &self,
        tx: &mut MemoryTx,
        event: &InvoiceEvent,
        order: &LocalOrder,
        outcome: &Outcome,
    ) -> Result<(), HandlerError> {
        if let Some(to) = outcome.new_state() {
            let orders = Arc::clone(&self.0);
            let id = event.callback.external_id.clone();
            let from = order.state;
            tx.on_commit(move || {
                if let Some(o) = orders.lock().expect("orders").get_mut(&id) {
                    o.state = to;
                    o.transitions.push((from, to));
                }
            });
        }
        Ok(())
    }
}

#[async_trait]
impl PendingOrders for Orders {
    async fn pending_links(&self, query: &SweepQuery) -> Result<Vec<PendingLink>, HandlerError> {
        let orders = self.0.lock().expect("orders");
        Ok(orders
            .values()
            .filter(|o| o.state == LinkState::Pending)
            .map(|o| PendingLink {
                invoice_id: o.invoice_id.clone(),
                created: o.created,
                expiry_date: Some(o.expiry),
                options: RequestOptions::default(),
            })
            .filter(|l| query.is_due(l))
            .collect())
    }
}

#[derive(Debug, Clone)]
enum Step {
    Pay(usize),
    Advance(u64),
    Deliver(usize),
    Duplicate(usize),
    Lose(usize),
    Process,
    Crash,
    Sweep,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..4usize).prop_map(Step::Pay),
        1 => (1..90u64).prop_map(Step::Advance),
        4 => (0..8usize).prop_map(Step::Deliver),
        2 => (0..8usize).prop_map(Step::Duplicate),
        1 => (0..8usize).prop_map(Step::Lose),
        3 => Just(Step::Process),
        1 => Just(Step::Crash),
        1 => Just(Step::Sweep),
    ]
}

struct World {
    fake: FakeGateway,
    clock: ManualClock,
    inbox: Inbox<MemoryStore>,
    orders: Orders,
    worker: Worker<MemoryStore, Orders>,
    sweeper: Sweeper<MemoryStore>,
    released: tokio::sync::mpsc::UnboundedReceiver<CallbackEvent>,
    queue: Vec<CallbackEvent>,
    ids: Vec<String>,
}

impl World {
    async fn new(orders_count: usize) -> World {
        let fake = FakeGateway::builder().seed(7).build();
        let released = fake.subscribe();
        let clock = ManualClock::new(fake.now());
        let inbox = Inbox::with_options(
            MemoryStore::new(),
            CallbackToken::from_static(TOKEN),
            InboxOptions {
                clock: Arc::new(clock.clone()),
                ..InboxOptions::default()
            },
        );
        let orders = Orders::default();
        let mut ids = Vec::new();
        for i in 0..orders_count {
            let request = CreateInvoiceRequest::builder(
                format!("order-{i}"),
                Decimal::from(10_000),
                Currency::Idr,
            )
            .invoice_duration(3600)
            .build()
            .expect("valid");
            let invoice = fake
                .create_invoice(&request, &RequestOptions::default())
                .await
                .expect("created");
            orders.0.lock().expect("orders").insert(
                format!("order-{i}"),
                Order {
                    invoice_id: invoice.id.clone(),
                    state: LinkState::Pending,
                    created: invoice.created,
                    expiry: invoice.expiry_date,
                    transitions: Vec::new(),
                },
            );
            ids.push(invoice.id);
        }
        let worker = Worker::new(inbox.clone(), Arc::new(orders.clone()));
        let sweeper = Sweeper::new(
            inbox.clone(),
            Arc::new(fake.clone()),
            Arc::new(orders.clone()),
            Duration::from_secs(86_400),
        );
        World {
            fake,
            clock,
            inbox,
            orders,
            worker,
            sweeper,
            released,
            queue: Vec::new(),
            ids,
        }
    }

    async fn deliver(&self, event: &CallbackEvent) {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-callback-token", http::HeaderValue::from_static(TOKEN));
        let received = self.inbox.receive(&headers, event.body.as_bytes()).await;
        assert!(received.is_ok(), "{received:?}");
    }

    async fn apply(&mut self, step: &Step) {
        match *step {
            Step::Pay(i) => {
                if let Some(id) = self.ids.get(i) {
                    let _ = self.fake.pay(id, PayWith::channel("DANA"));
                }
            }
            Step::Advance(minutes) => {
                self.fake.advance(Duration::from_secs(minutes * 60));
            }
            Step::Deliver(k) | Step::Lose(k) if !self.queue.is_empty() => {
                let event = self.queue.remove(k % self.queue.len());
                if matches!(step, Step::Deliver(_)) {
                    self.deliver(&event).await;
                }
            }
            Step::Duplicate(k) if !self.queue.is_empty() => {
                let event = self.queue[k % self.queue.len()].clone();
                self.deliver(&event).await;
            }
            Step::Process => {
                self.worker.process_one().await.expect("process");
            }
            Step::Crash => {
                // A worker takes an event, stages its write, and dies.
                let store = self.inbox.store();
                if let Some(mut claim) = store.claim(self.inbox.now()).await.expect("claim") {
                    if let Ok(event) = paylink_core::parse_callback(&claim.event.body) {
                        if let Ok(Some(order)) = self.orders.load(&mut claim.tx, &event).await {
                            let outcome = Outcome::Reconciled(event.reconcile(order.state));
                            let _ = self
                                .orders
                                .apply(&mut claim.tx, &event, &order, &outcome)
                                .await;
                        }
                    }
                    drop(claim);
                }
            }
            Step::Sweep => {
                self.sweeper.sweep().await.expect("sweep");
            }
            Step::Deliver(_) | Step::Lose(_) | Step::Duplicate(_) => {}
        }
        while let Ok(event) = self.released.try_recv() {
            self.queue.push(event);
        }
        self.clock.set(self.fake.now());
    }

    async fn finish(&mut self) {
        // Every link becomes final; the webhooks still queued are lost.
        self.fake.advance(Duration::from_secs(2 * 3600));
        self.clock.set(self.fake.now());
        self.queue.clear();
        self.sweeper.sweep().await.expect("sweep");
        self.worker.drain().await.expect("drain");
        let counts = self.inbox.store().counts().await.expect("counts");
        assert_eq!(
            (counts.pending, counts.dead, counts.attention),
            (0, 0, 0),
            "{counts:?}"
        );
        for (id, order) in self.orders.snapshot() {
            let link = self.fake.invoice(&order.invoice_id).expect("link");
            let link_state = LinkState::from_status(&link.status).expect("known");
            assert_eq!(order.state, link_state, "{id}");
            assert_eq!(
                order.transitions,
                vec![(LinkState::Pending, link_state)],
                "{id}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_order_ends_in_its_links_state_by_one_transition_whatever_the_interleaving(
        orders in 1..4usize,
        steps in proptest::collection::vec(step(), 0..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut world = World::new(orders).await;
            for step in &steps {
                world.apply(step).await;
            }
            world.finish().await;
        });
    }
}

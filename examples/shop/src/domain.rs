//! The shop's domain: carts, orders, and what an observed payment-link status does to an order.
//! Pure: no I/O, no clock.

use paylink_core::{
    reconcile, Currency, InvoiceItem, InvoiceStatus, LinkState, Money, Reconciled, Violation,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

/// One line of a cart, as the buyer's client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartItem {
    /// Product name.
    pub name: String,
    /// How many, greater than zero.
    #[serde(with = "paylink_core::json_amount::lenient")]
    pub quantity: Decimal,
    /// Unit price in the cart's currency.
    #[serde(with = "paylink_core::json_amount::lenient")]
    pub price: Decimal,
}

/// What the buyer checks out: `POST /checkout` takes it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// The lines; at least one.
    pub items: Vec<CartItem>,
    /// The currency; IDR when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// The buyer's e-mail, passed on to the payment link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_email: Option<String>,
}

impl Cart {
    /// The currency of the cart: the one given, or IDR.
    pub fn currency(&self) -> Currency {
        self.currency.unwrap_or(Currency::Idr)
    }

    /// The sum of quantity times price over every line.
    ///
    /// # Errors
    /// A [`Violation`] at `items` when the cart is empty or the sum does not fit a decimal.
    pub fn total(&self) -> Result<Decimal, Violation> {
        if self.items.is_empty() {
            return Err(Violation {
                path: "items".into(),
                message: "must not be empty".into(),
            });
        }
        let too_large = || Violation {
            path: "items".into(),
            message: "the total of quantity times price is too large".into(),
        };
        self.items.iter().try_fold(Decimal::ZERO, |sum, item| {
            item.quantity
                .checked_mul(item.price)
                .and_then(|line| sum.checked_add(line))
                .ok_or_else(too_large)
        })
    }

    /// The lines as invoice items.
    pub fn invoice_items(&self) -> Vec<InvoiceItem> {
        self.items
            .iter()
            .map(|i| InvoiceItem::new(i.name.clone(), i.quantity, i.price))
            .collect()
    }
}

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The payment link expired unpaid (its duration elapsed, or the shop expired it).
    LinkExpired,
}

/// Why an order needs a person to look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// Money arrived on a link the shop held as expired (a payment completing at the expiry
    /// instant, which Xendit documents). Fulfil or refund; never ignore.
    PaidAfterExpiry,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OrderStatus {
    /// The link is open; nothing paid yet.
    AwaitingPayment,
    /// The link was paid: ship it.
    Paid,
    /// Cancelled; no money was received.
    Cancelled {
        /// Why.
        reason: CancelReason,
    },
    /// Money was received on a cancelled order.
    NeedsReview {
        /// Why.
        reason: ReviewReason,
    },
}

impl OrderStatus {
    /// Whether money was received for the order (paid, or paid after it was cancelled).
    pub fn money_received(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::NeedsReview { .. })
    }

    /// Whether the order is cancelled.
    pub fn is_cancelled(self) -> bool {
        matches!(self, OrderStatus::Cancelled { .. })
    }
}

/// What one observation of the link's status did to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The link moved forward and the order with it.
    Advanced,
    /// The order already showed this status.
    AlreadyCurrent,
    /// The observation is older than what the order shows; kept as it was.
    Stale,
    /// A payment on a link held as expired: the order now needs review.
    PaidAfterExpiry,
    /// EXPIRED for a link held as paid, which Xendit never legally sends: the order keeps its
    /// payment.
    ExpiredAfterPaid,
    /// A status paylink does not know; the order is left alone.
    UnknownStatus,
}

/// One distinct webhook delivery (Xendit's de-duplication key: invoice id and status) and
/// how many times it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The invoice the callback was about.
    pub invoice_id: String,
    /// The status it reported.
    pub status: InvoiceStatus,
    /// What its first arrival did.
    pub outcome: Outcome,
    /// How many times it arrived (at-least-once delivery repeats callbacks).
    pub received: u32,
}

/// What one webhook delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// What the delivery's first arrival did.
    pub outcome: Outcome,
    /// Whether this delivery had been received before.
    pub duplicate: bool,
}

/// An order and the payment link that collects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// The shop's id, also the link's `external_id`.
    pub id: String,
    /// What was bought.
    pub items: Vec<CartItem>,
    /// What the link asks for.
    #[serde(serialize_with = "money")]
    pub total: Money,
    /// Where the order stands.
    pub status: OrderStatus,
    /// The payment link's id.
    pub invoice_id: String,
    /// The hosted checkout page.
    pub invoice_url: String,
    /// The link's state as the shop last saw it.
    #[serde(serialize_with = "link_state")]
    pub link_state: LinkState,
    /// Every distinct webhook delivery received for this order, in arrival order.
    pub deliveries: Vec<Delivery>,
    /// Incremented by every stored change; the repository's compare-and-set checks it.
    pub version: u64,
    /// When the link was created (the sweeper's age rule).
    #[serde(skip)]
    pub link_created: OffsetDateTime,
    /// When the link expires (the sweeper reads links still pending after it).
    #[serde(skip)]
    pub link_expires: OffsetDateTime,
}

impl Order {
    /// Applies an observed link status (from a webhook or a GET) to the order.
    pub fn observe(&mut self, observed: &InvoiceStatus) -> Outcome {
        match reconcile(self.link_state, observed) {
            Reconciled::Advanced { to, .. } => {
                self.link_state = to;
                if self.status == OrderStatus::AwaitingPayment {
                    if to.is_paid() {
                        self.status = OrderStatus::Paid;
                    } else if to == LinkState::Expired {
                        self.status = OrderStatus::Cancelled {
                            reason: CancelReason::LinkExpired,
                        };
                    }
                }
                Outcome::Advanced
            }
            Reconciled::AlreadyCurrent => Outcome::AlreadyCurrent,
            Reconciled::Stale { .. } => Outcome::Stale,
            Reconciled::PaidAfterExpiry { observed } => {
                self.link_state = observed;
                self.status = OrderStatus::NeedsReview {
                    reason: ReviewReason::PaidAfterExpiry,
                };
                Outcome::PaidAfterExpiry
            }
            Reconciled::ExpiredAfterPaid { .. } => Outcome::ExpiredAfterPaid,
            Reconciled::UnknownStatus(_) => Outcome::UnknownStatus,
        }
    }

    /// Records a webhook delivery of `status` for `invoice_id`. The first arrival of an
    /// (invoice id, status) pair is applied with [`Order::observe`]; a repeat only counts.
    pub fn receive(&mut self, invoice_id: &str, status: &InvoiceStatus) -> Receipt {
        if let Some(seen) = self
            .deliveries
            .iter_mut()
            .find(|d| d.invoice_id == invoice_id && d.status == *status)
        {
            seen.received = seen.received.saturating_add(1);
            return Receipt {
                outcome: seen.outcome,
                duplicate: true,
            };
        }
        let outcome = self.observe(status);
        self.deliveries.push(Delivery {
            invoice_id: invoice_id.to_owned(),
            status: status.clone(),
            outcome,
            received: 1,
        });
        Receipt {
            outcome,
            duplicate: false,
        }
    }
}

fn money<S: Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Wire {
        #[serde(with = "paylink_core::json_amount")]
        amount: Decimal,
        currency: Currency,
    }
    Wire {
        amount: m.amount(),
        currency: m.currency(),
    }
    .serialize(s)
}

fn link_state<S: Serializer>(l: &LinkState, s: S) -> Result<S::Ok, S::Error> {
    l.status().serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order {
            id: "order-1".into(),
            items: vec![],
            total: Money::new(Decimal::from(50_000), Currency::Idr).expect("valid money"),
            status: OrderStatus::AwaitingPayment,
            invoice_id: "inv".into(),
            invoice_url: "https://example.invalid/web/inv".into(),
            link_state: LinkState::Pending,
            deliveries: vec![],
            version: 0,
            link_created: OffsetDateTime::UNIX_EPOCH,
            link_expires: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn each_observation_moves_the_order_as_the_table_says() {
        use InvoiceStatus as S;
        let cancelled = OrderStatus::Cancelled {
            reason: CancelReason::LinkExpired,
        };
        let review = OrderStatus::NeedsReview {
            reason: ReviewReason::PaidAfterExpiry,
        };
        let table: &[(&[S], OrderStatus, LinkState, Outcome)] = &[
            (
                &[S::Paid],
                OrderStatus::Paid,
                LinkState::Paid,
                Outcome::Advanced,
            ),
            (
                &[S::Settled],
                OrderStatus::Paid,
                LinkState::Settled,
                Outcome::Advanced,
            ),
            (
                &[S::Paid, S::Settled],
                OrderStatus::Paid,
                LinkState::Settled,
                Outcome::Advanced,
            ),
            (
                &[S::Settled, S::Paid],
                OrderStatus::Paid,
                LinkState::Settled,
                Outcome::Stale,
            ),
            (
                &[S::Paid, S::Paid],
                OrderStatus::Paid,
                LinkState::Paid,
                Outcome::AlreadyCurrent,
            ),
            (
                &[S::Expired],
                cancelled,
                LinkState::Expired,
                Outcome::Advanced,
            ),
            (
                &[S::Expired, S::Paid],
                review,
                LinkState::Paid,
                Outcome::PaidAfterExpiry,
            ),
            (
                &[S::Expired, S::Settled],
                review,
                LinkState::Settled,
                Outcome::PaidAfterExpiry,
            ),
            (
                &[S::Paid, S::Expired],
                OrderStatus::Paid,
                LinkState::Paid,
                Outcome::ExpiredAfterPaid,
            ),
            (
                &[S::Paid, S::Pending],
                OrderStatus::Paid,
                LinkState::Paid,
                Outcome::Stale,
            ),
            (
                &[S::from("REFUNDED")],
                OrderStatus::AwaitingPayment,
                LinkState::Pending,
                Outcome::UnknownStatus,
            ),
        ];
        for (observed, status, link, last) in table {
            let mut o = order();
            let mut outcome = None;
            for s in observed.iter() {
                outcome = Some(o.observe(s));
            }
            assert_eq!(
                (o.status, o.link_state, outcome),
                (*status, *link, Some(*last)),
                "after {observed:?}"
            );
        }
    }

    #[test]
    fn a_repeated_delivery_is_counted_and_not_applied_again() {
        let mut o = order();
        let first = o.receive("inv", &InvoiceStatus::Paid);
        let again = o.receive("inv", &InvoiceStatus::Paid);
        assert_eq!(
            (first, again),
            (
                Receipt {
                    outcome: Outcome::Advanced,
                    duplicate: false
                },
                Receipt {
                    outcome: Outcome::Advanced,
                    duplicate: true
                }
            )
        );
        assert_eq!(o.deliveries.len(), 1);
        assert_eq!(o.deliveries[0].received, 2);
        assert_eq!(o.status, OrderStatus::Paid);
    }

    #[test]
    fn an_empty_cart_has_no_total() {
        let cart = Cart {
            items: vec![],
            currency: None,
            payer_email: None,
        };
        assert_eq!(
            cart.total().map_err(|v| v.to_string()),
            Err("items: must not be empty".to_owned())
        );
    }

    #[test]
    fn a_total_too_large_for_a_decimal_is_refused_not_a_panic() {
        let cart = Cart {
            items: vec![CartItem {
                name: "x".into(),
                quantity: Decimal::MAX,
                price: Decimal::from(2),
            }],
            currency: None,
            payer_email: None,
        };
        assert_eq!(cart.total().map_err(|v| v.path), Err("items".to_owned()));
    }
}

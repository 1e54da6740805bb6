//! The order service: the application core. It depends only on the two ports, the payment
//! [`Gateway`] and the [`OrderRepository`], and knows nothing of HTTP or configuration.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use paylink_core::{
    CallbackToken, CreateInvoiceRequest, Gateway, GatewayError, InvoiceEvent, InvoiceStatus,
    LinkState, RequestOptions, ValidationErrors,
};

use crate::domain::{Cart, Order, OrderStatus, Outcome, Receipt};
use crate::repository::{OrderRepository, RepositoryError};

/// How many times a change is retried after a compare-and-set conflict before giving up.
const MAX_UPDATE_ATTEMPTS: usize = 16;

/// What the service needs to know about the shop.
#[derive(Debug, Clone)]
pub struct ShopSettings {
    /// Where buyers reach the shop (`http://127.0.0.1:3000`): the links' redirect URLs
    /// point under it.
    pub public_url: String,
    /// The account's webhook verification token, checked by the webhook route.
    pub callback_token: CallbackToken,
    /// Seconds from checkout until the link expires.
    pub invoice_duration: u32,
    /// Order ids are this prefix followed by a counter from 1.
    pub order_id_prefix: String,
}

impl ShopSettings {
    /// Settings with a one-hour link and ids `order-1`, `order-2`...
    pub fn new(public_url: impl Into<String>, callback_token: CallbackToken) -> Self {
        ShopSettings {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            callback_token,
            invoice_duration: 3600,
            order_id_prefix: "order-".into(),
        }
    }
}

/// Every way a service call can fail. A failed call leaves the stored order unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShopError {
    /// The cart breaks a rule (each violation names its field).
    #[error("{0}")]
    InvalidCart(ValidationErrors),
    /// No order has this id (or `external_id`).
    #[error("no order `{id}`")]
    OrderNotFound {
        /// The id asked for.
        id: String,
    },
    /// A callback about a link that is not the order's.
    #[error("invoice `{invoice_id}` is not the payment link of order `{order_id}`")]
    ForeignInvoice {
        /// The order its `external_id` names.
        order_id: String,
        /// The invoice the callback is about.
        invoice_id: String,
    },
    /// Cancel of an order that is not awaiting payment.
    #[error("order `{id}` is {status}; only an order awaiting payment can be cancelled")]
    NotCancellable {
        /// The order.
        id: String,
        /// Its status, in words.
        status: &'static str,
    },
    /// The payment provider failed or refused.
    #[error("payment provider: {0}")]
    Gateway(#[source] Box<GatewayError>),
    /// The order store failed.
    #[error("{0}")]
    Repository(#[source] RepositoryError),
    /// The order kept changing under us.
    #[error("order `{id}` kept changing concurrently; try again")]
    Busy {
        /// The order.
        id: String,
    },
}

impl From<RepositoryError> for ShopError {
    fn from(e: RepositoryError) -> Self {
        ShopError::Repository(e)
    }
}

impl From<GatewayError> for ShopError {
    fn from(e: GatewayError) -> Self {
        ShopError::Gateway(Box::new(e))
    }
}

/// A new order and the page where the buyer pays it.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The stored order.
    pub order: Order,
    /// The hosted payment page to send the buyer to.
    pub invoice_url: String,
}

/// What a webhook did to its order.
#[derive(Debug, Clone)]
pub struct WebhookReceipt {
    /// The order after the webhook.
    pub order: Order,
    /// What the delivery did.
    pub receipt: Receipt,
}

/// The application core: checkout, webhooks, refresh and cancel.
pub struct OrderService {
    gateway: Arc<dyn Gateway>,
    orders: Arc<dyn OrderRepository>,
    settings: ShopSettings,
    next_id: AtomicU64,
}

impl std::fmt::Debug for OrderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OrderService {
    /// A service over these ports.
    pub fn new(
        gateway: Arc<dyn Gateway>,
        orders: Arc<dyn OrderRepository>,
        settings: ShopSettings,
    ) -> Self {
        OrderService {
            gateway,
            orders,
            settings,
            next_id: AtomicU64::new(1),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ShopSettings {
        &self.settings
    }

    /// Creates a payment link for the cart and stores the order, awaiting payment.
    ///
    /// # Errors
    /// [`ShopError::InvalidCart`] naming each broken rule; [`ShopError::Gateway`] when the
    /// link could not be created (no order is stored then); [`ShopError::Repository`].
    pub async fn checkout(&self, cart: &Cart) -> Result<Checkout, ShopError> {
        let total = cart
            .total()
            .map_err(|v| ShopError::InvalidCart(ValidationErrors(vec![v])))?;
        let id = format!(
            "{}{}",
            self.settings.order_id_prefix,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let base = &self.settings.public_url;
        let mut request = CreateInvoiceRequest::builder(&id, total, cart.currency())
            .description(format!("Order {id}"))
            .items(cart.invoice_items())
            .invoice_duration(self.settings.invoice_duration)
            .success_redirect_url(format!("{base}/orders/{id}"))
            .failure_redirect_url(format!("{base}/orders/{id}"));
        if let Some(email) = &cart.payer_email {
            request = request.payer_email(email);
        }
        let request = request.build().map_err(ShopError::InvalidCart)?;
        let invoice = self
            .gateway
            .create_invoice(&request, &RequestOptions::default())
            .await?;
        let link_state = LinkState::from_status(&invoice.status).unwrap_or(LinkState::Pending);
        let mut order = Order {
            id,
            items: cart.items.clone(),
            total: request.money(),
            status: OrderStatus::AwaitingPayment,
            invoice_id: invoice.id.clone(),
            invoice_url: invoice.invoice_url.clone(),
            link_state: LinkState::Pending,
            deliveries: Vec::new(),
            version: 0,
            link_created: invoice.created,
            link_expires: invoice.expiry_date,
        };
        if link_state != LinkState::Pending {
            let _ = order.observe(&invoice.status);
        }
        self.orders.insert(order.clone()).await?;
        tracing::info!(order = %order.id, invoice = %order.invoice_id, total = %order.total, "checkout");
        Ok(Checkout {
            invoice_url: order.invoice_url.clone(),
            order,
        })
    }

    /// The order with this id.
    ///
    /// # Errors
    /// [`ShopError::OrderNotFound`]; [`ShopError::Repository`].
    pub async fn order(&self, id: &str) -> Result<Order, ShopError> {
        self.orders
            .get(id)
            .await?
            .ok_or_else(|| ShopError::OrderNotFound { id: id.to_owned() })
    }

    /// Handles one webhook whose token was verified and body parsed (by the HTTP adapter's
    /// extractor): finds the order by the callback's `external_id` and applies the reported
    /// status (once per invoice id and status; repeats are counted and acknowledged).
    ///
    /// # Errors
    /// [`ShopError::OrderNotFound`]; [`ShopError::ForeignInvoice`] when the callback is about
    /// another link; [`ShopError::Repository`], [`ShopError::Busy`]. The order is unchanged.
    pub async fn handle_webhook(&self, event: &InvoiceEvent) -> Result<WebhookReceipt, ShopError> {
        let callback = &event.callback;
        self.deliver(
            &callback.external_id,
            &callback.id,
            &callback.status,
            "webhook",
        )
        .await
    }

    /// Applies one delivery of `status` for the link `invoice_id` to the order
    /// `external_id` (once per invoice id and status; repeats are counted). The webhook route
    /// calls it directly, the inbox's worker after storing the callback.
    ///
    /// # Errors
    /// [`ShopError::OrderNotFound`]; [`ShopError::ForeignInvoice`] when the link is not the
    /// order's; [`ShopError::Repository`], [`ShopError::Busy`]. The order is unchanged.
    pub async fn deliver(
        &self,
        external_id: &str,
        invoice_id: &str,
        status: &InvoiceStatus,
        source: &'static str,
    ) -> Result<WebhookReceipt, ShopError> {
        let (order, receipt) = self
            .update(external_id, |order| {
                if order.invoice_id != invoice_id {
                    return Err(ShopError::ForeignInvoice {
                        order_id: order.id.clone(),
                        invoice_id: invoice_id.to_owned(),
                    });
                }
                Ok(order.receive(invoice_id, status))
            })
            .await?;
        log_outcome(&order, status, receipt.outcome, source);
        Ok(WebhookReceipt { order, receipt })
    }

    /// Reads the link from the provider and applies its status: the order learns a payment
    /// even before (or without) the webhook.
    ///
    /// # Errors
    /// [`ShopError::OrderNotFound`]; [`ShopError::Gateway`] when the read fails (the order is
    /// unchanged); [`ShopError::Repository`], [`ShopError::Busy`].
    pub async fn refresh(&self, id: &str) -> Result<Order, ShopError> {
        let order = self.order(id).await?;
        let invoice = self
            .gateway
            .get_invoice(&order.invoice_id, &RequestOptions::default())
            .await?;
        self.apply(id, &invoice.status, "refresh").await
    }

    /// Cancels an order awaiting payment by expiring its link. Cancelling a cancelled order
    /// returns it as it is.
    ///
    /// # Errors
    /// [`ShopError::OrderNotFound`]; [`ShopError::NotCancellable`] when the order is not
    /// awaiting payment, or its link turned out to be paid already (the order is then
    /// brought up to date); [`ShopError::Gateway`]; [`ShopError::Repository`],
    /// [`ShopError::Busy`].
    pub async fn cancel(&self, id: &str) -> Result<Order, ShopError> {
        let order = self.order(id).await?;
        match order.status {
            OrderStatus::AwaitingPayment => {}
            OrderStatus::Cancelled { .. } => return Ok(order),
            _ => return Err(not_cancellable(&order)),
        }
        match self
            .gateway
            .expire_invoice(&order.invoice_id, &RequestOptions::default())
            .await
        {
            Ok(invoice) => self.apply(id, &invoice.status, "cancel").await,
            // Expire answers NotFound for a link that is no longer PENDING: it was paid or
            // expired meanwhile, so learn which.
            Err(GatewayError::NotFound(_)) => {
                let order = self.refresh(id).await?;
                if order.status.is_cancelled() {
                    Ok(order)
                } else {
                    Err(not_cancellable(&order))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn apply(
        &self,
        id: &str,
        status: &InvoiceStatus,
        source: &'static str,
    ) -> Result<Order, ShopError> {
        let (order, outcome) = self.update(id, |order| Ok(order.observe(status))).await?;
        log_outcome(&order, status, outcome, source);
        Ok(order)
    }

    /// Reads the order, applies `change`, and stores it with a compare-and-set, again from a
    /// fresh read after a conflict. A change that leaves the order as it was is not written.
    async fn update<T>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Order) -> Result<T, ShopError>,
    ) -> Result<(Order, T), ShopError> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let read = self.order(id).await?;
            let mut order = read.clone();
            let out = change(&mut order)?;
            if order == read {
                return Ok((order, out));
            }
            match self.orders.replace(order).await {
                Ok(stored) => return Ok((stored, out)),
                Err(RepositoryError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ShopError::Busy { id: id.to_owned() })
    }
}

fn not_cancellable(order: &Order) -> ShopError {
    ShopError::NotCancellable {
        id: order.id.clone(),
        status: match order.status {
            OrderStatus::AwaitingPayment => "awaiting payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled { .. } => "cancelled",
            OrderStatus::NeedsReview { .. } => "waiting for review",
        },
    }
}

fn log_outcome(order: &Order, status: &InvoiceStatus, outcome: Outcome, source: &str) {
    match outcome {
        Outcome::PaidAfterExpiry | Outcome::ExpiredAfterPaid | Outcome::UnknownStatus => {
            tracing::warn!(order = %order.id, %status, ?outcome, source, "needs attention");
        }
        _ => tracing::info!(order = %order.id, %status, ?outcome, source, "reconciled"),
    }
}

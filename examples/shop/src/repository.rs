//! The order repository port and its in-memory adapter.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::domain::Order;

/// Why the repository refused a call. The stored orders are unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RepositoryError {
    /// `insert` of an id that is already stored.
    #[error("order `{id}` already exists")]
    Duplicate {
        /// The order id.
        id: String,
    },
    /// `replace` of an id that is not stored.
    #[error("no order `{id}`")]
    NotFound {
        /// The order id.
        id: String,
    },
    /// `replace` of a version that is no longer the stored one: someone else changed the order
    /// since it was read. Read it again and redo the change.
    #[error("order `{id}` changed concurrently: expected version {expected}, found {found}")]
    Conflict {
        /// The order id.
        id: String,
        /// The version the caller read.
        expected: u64,
        /// The version stored now.
        found: u64,
    },
    /// The store could not be reached.
    #[error("order store unavailable: {0}")]
    Unavailable(String),
}

/// Where orders live. Implementations must make [`OrderRepository::replace`] a
/// compare-and-set on [`Order::version`], so two concurrent webhooks for one order cannot both
/// write and lose one's change.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order as given (its version is kept).
    ///
    /// # Errors
    /// [`RepositoryError::Duplicate`] when the id is taken; [`RepositoryError::Unavailable`].
    async fn insert(&self, order: Order) -> Result<(), RepositoryError>;

    /// The order with this id, if any.
    ///
    /// # Errors
    /// [`RepositoryError::Unavailable`].
    async fn get(&self, id: &str) -> Result<Option<Order>, RepositoryError>;

    /// Stores `order` if the stored one still has `order.version`, with the version
    /// incremented; returns what was stored.
    ///
    /// # Errors
    /// [`RepositoryError::NotFound`], [`RepositoryError::Conflict`] when the stored version
    /// differs, [`RepositoryError::Unavailable`].
    async fn replace(&self, order: Order) -> Result<Order, RepositoryError>;
}

/// Orders in a map behind a mutex: for tests and the demo.
#[derive(Debug, Default)]
pub struct InMemoryOrders {
    orders: Mutex<HashMap<String, Order>>,
}

impl InMemoryOrders {
    /// An empty store.
    pub fn new() -> Self {
        InMemoryOrders::default()
    }

    /// Every stored order, sorted by id.
    pub fn all(&self) -> Vec<Order> {
        let mut all: Vec<Order> = self.lock().values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Order>> {
        // Every write replaces a whole order, so a panic elsewhere cannot leave one half-written.
        self.orders.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl OrderRepository for InMemoryOrders {
    async fn insert(&self, order: Order) -> Result<(), RepositoryError> {
        let mut orders = self.lock();
        if orders.contains_key(&order.id) {
            return Err(RepositoryError::Duplicate { id: order.id });
        }
        orders.insert(order.id.clone(), order);
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Order>, RepositoryError> {
        Ok(self.lock().get(id).cloned())
    }

    async fn replace(&self, mut order: Order) -> Result<Order, RepositoryError> {
        let mut orders = self.lock();
        let Some(stored) = orders.get_mut(&order.id) else {
            return Err(RepositoryError::NotFound { id: order.id });
        };
        if stored.version != order.version {
            return Err(RepositoryError::Conflict {
                id: order.id,
                expected: order.version,
                found: stored.version,
            });
        }
        order.version += 1;
        *stored = order.clone();
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use paylink_core::{Currency, LinkState, Money};
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::OrderStatus;

    fn order(id: &str) -> Order {
        Order {
            id: id.into(),
            items: vec![],
            total: Money::new(Decimal::from(10_000), Currency::Idr).expect("valid money"),
            status: OrderStatus::AwaitingPayment,
            invoice_id: "inv".into(),
            invoice_url: "https://example.invalid/web/inv".into(),
            link_state: LinkState::Pending,
            deliveries: vec![],
            version: 0,
            link_created: time::OffsetDateTime::UNIX_EPOCH,
            link_expires: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_replace_from_a_stale_read_is_refused_and_changes_nothing() {
        let repo = InMemoryOrders::new();
        repo.insert(order("a")).await.expect("insert");
        let first = repo.get("a").await.expect("get").expect("stored");
        let second = first.clone();

        let mut paid = first;
        paid.status = OrderStatus::Paid;
        let stored = repo.replace(paid).await.expect("first write wins");
        assert_eq!(stored.version, 1);

        let mut other = second;
        other.link_state = LinkState::Expired;
        assert_eq!(
            repo.replace(other).await,
            Err(RepositoryError::Conflict {
                id: "a".into(),
                expected: 0,
                found: 1
            })
        );
        assert_eq!(repo.get("a").await.expect("get"), Some(stored));
    }

    #[tokio::test]
    async fn an_id_can_be_inserted_only_once() {
        let repo = InMemoryOrders::new();
        repo.insert(order("a")).await.expect("insert");
        let mut again = order("a");
        again.status = OrderStatus::Paid;
        assert_eq!(
            repo.insert(again).await,
            Err(RepositoryError::Duplicate { id: "a".into() })
        );
        assert_eq!(repo.all(), vec![order("a")]);
    }

    #[tokio::test]
    async fn replacing_an_unknown_order_is_not_found() {
        let repo = InMemoryOrders::new();
        assert_eq!(
            repo.replace(order("nope")).await,
            Err(RepositoryError::NotFound { id: "nope".into() })
        );
        assert!(repo.all().is_empty());
    }
}

//! An example shop in ports-and-adapters style.
//!
//! - [`domain`]: carts and orders, and what an observed payment-link status does to an order
//!   (pure);
//! - [`repository`]: the [`OrderRepository`] port (compare-and-set on a version) and its
//!   in-memory adapter;
//! - [`service`]: the [`OrderService`], which depends only on the ports: the payment
//!   `Arc<dyn Gateway>` and the order repository;
//! - [`http`]: the axum adapter (checkout, orders, the Xendit webhook through
//!   [`paylink_axum::XenditCallback`]);
//! - [`inbox`]: the durable webhook intake (`paylink-inbox` on a SQLite file or PostgreSQL);
//! - [`config`] and [`app`]: the environment picks the backend ([`paylink_http::HttpGateway`]
//!   or [`paylink_fake::FakeGateway`]) and [`Shop`] wires it all.
#![warn(missing_docs)]

pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod inbox;
pub mod repository;
pub mod service;

pub use app::{forward_callbacks, Shop, StartError};
pub use config::{Backend, ConfigError, ShopConfig, Storage};
pub use domain::{
    CancelReason, Cart, CartItem, Delivery, Order, OrderStatus, Outcome, Receipt, ReviewReason,
};
pub use inbox::ShopInbox;
pub use repository::{InMemoryOrders, OrderRepository, RepositoryError};
pub use service::{Checkout, OrderService, ShopError, ShopSettings, WebhookReceipt};

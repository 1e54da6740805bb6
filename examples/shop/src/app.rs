//! Wiring: the ports' adapters chosen by configuration, the router, and (with the fake backend)
//! the fake's checkout page and in-process webhook delivery.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use paylink_core::Gateway;
use paylink_fake::FakeGateway;
use paylink_http::{BuildError, HttpGateway};
use paylink_sandbox::{self as sandbox, ClockMode, SandboxConfig, SandboxState};
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::config::{Backend, ConfigError, ShopConfig, BASE_URL_VAR, SECRET_KEY_VAR};
use crate::http;
use crate::inbox::ShopInbox;
use crate::repository::InMemoryOrders;
use crate::service::{OrderService, ShopSettings};

/// Why the shop could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting is missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client for Xendit could not be built.
    #[error("could not set up the Xendit client: {0}")]
    Client(#[source] BuildError),
    /// The webhook inbox's database could not be opened.
    #[error("could not open the webhook inbox's database: {0}")]
    Storage(#[source] paylink_inbox::StoreError),
}

/// A wired shop: the service over its adapters and the router that serves it. Dropping it
/// stops its background tasks.
pub struct Shop {
    service: Arc<OrderService>,
    orders: Arc<InMemoryOrders>,
    router: Router,
    fake: Option<FakeGateway>,
    inbox: Option<ShopInbox>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop")
            .field("service", &self.service)
            .field("fake", &self.fake.is_some())
            .finish_non_exhaustive()
    }
}

impl Shop {
    /// The shop the configuration describes, reached by buyers at `public_url`, with its
    /// webhooks received by the durable inbox on the configured storage (a SQLite file unless
    /// `DATABASE_URL` names PostgreSQL). With the fake backend it follows the wall clock, as
    /// [`Shop::over_fake`] with [`ClockMode::Wall`]. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`StartError`] naming what is wrong.
    pub async fn start(config: &ShopConfig, public_url: &str) -> Result<Shop, StartError> {
        let settings = ShopSettings::new(public_url, config.callback_token.clone());
        let open = || async {
            ShopInbox::open(&config.storage, config.callback_token.clone())
                .await
                .map_err(StartError::Storage)
        };
        match &config.backend {
            Backend::Fake => {
                let engine = FakeGateway::builder()
                    .start(OffsetDateTime::now_utc())
                    .invoice_base_url(format!("{}/web/", settings.public_url))
                    .build();
                let inbox = open().await?;
                Ok(Shop::assemble_fake(
                    engine,
                    settings,
                    ClockMode::Wall,
                    Some(inbox),
                ))
            }
            Backend::Xendit {
                secret_key,
                base_url,
            } => {
                let mut builder = HttpGateway::builder(secret_key.clone());
                if let Some(url) = base_url {
                    builder = builder.base_url(url);
                }
                let gateway = builder.build().map_err(|e| match e {
                    BuildError::EmptyKey => StartError::Config(ConfigError::Missing {
                        var: SECRET_KEY_VAR,
                        why: "the xendit backend needs the account's secret API key",
                    }),
                    BuildError::BaseUrl { .. } => StartError::Config(ConfigError::Invalid {
                        var: BASE_URL_VAR,
                        reason: e.to_string(),
                    }),
                    other => StartError::Client(other),
                })?;
                let inbox = open().await?;
                Ok(Shop::over_gateway_with_inbox(
                    Arc::new(gateway),
                    settings,
                    inbox,
                ))
            }
        }
    }

    /// A shop over any gateway, with the in-memory order store, applying each webhook as it
    /// arrives (the unit tests' wiring).
    pub fn over_gateway(gateway: Arc<dyn Gateway>, settings: ShopSettings) -> Shop {
        let orders = Arc::new(InMemoryOrders::new());
        let service = Arc::new(OrderService::new(gateway, orders.clone(), settings));
        let router = http::with_fallback(http::router(Arc::clone(&service)));
        Shop {
            service,
            orders,
            router,
            fake: None,
            inbox: None,
            tasks: Vec::new(),
        }
    }

    /// A shop over any gateway whose webhooks go through `inbox`: stored before the answer,
    /// applied by a worker. Must be called inside a tokio runtime.
    pub fn over_gateway_with_inbox(
        gateway: Arc<dyn Gateway>,
        settings: ShopSettings,
        inbox: ShopInbox,
    ) -> Shop {
        let orders = Arc::new(InMemoryOrders::new());
        let service = Arc::new(OrderService::new(
            Arc::clone(&gateway),
            orders.clone(),
            settings,
        ));
        let router = http::with_fallback(http::router_with_intake(
            Arc::clone(&service),
            inbox.router(),
        ));
        let tasks = vec![
            inbox.spawn_worker(Arc::clone(&service)),
            inbox.spawn_sweeper(gateway, Arc::clone(&orders)),
        ];
        Shop {
            service,
            orders,
            router,
            fake: None,
            inbox: Some(inbox),
            tasks,
        }
    }

    /// A shop over the fake that works offline: the router also serves the fake's checkout
    /// page (`/web/{id}`), its API and its `/_sandbox` controls, and every callback the fake
    /// emits is delivered to the shop's own webhook route in-process, with the token. Build
    /// `engine` with `invoice_base_url("{public_url}/web/")` for links that open this page.
    /// Must be called inside a tokio runtime.
    pub fn over_fake(engine: FakeGateway, settings: ShopSettings, clock: ClockMode) -> Shop {
        Shop::assemble_fake(engine, settings, clock, None)
    }

    /// [`Shop::over_fake`], with the webhooks through `inbox` when there is one.
    fn assemble_fake(
        engine: FakeGateway,
        settings: ShopSettings,
        clock: ClockMode,
        inbox: Option<ShopInbox>,
    ) -> Shop {
        let orders = Arc::new(InMemoryOrders::new());
        let service = Arc::new(OrderService::new(
            Arc::new(engine.clone()),
            orders.clone(),
            settings.clone(),
        ));
        let state = SandboxState::new(
            SandboxConfig {
                callback_token: settings.callback_token.clone(),
                public_base_url: Some(settings.public_url.clone()),
                clock,
                ..SandboxConfig::default()
            },
            settings.public_url.clone(),
            engine.clone(),
        );
        let mut tasks = match &inbox {
            Some(inbox) => vec![
                inbox.spawn_forwarder(engine.clone(), settings.callback_token.clone()),
                inbox.spawn_worker(Arc::clone(&service)),
                inbox.spawn_sweeper(Arc::new(engine.clone()), Arc::clone(&orders)),
            ],
            None => vec![tokio::spawn(forward_callbacks(
                engine.clone(),
                Arc::clone(&service),
            ))],
        };
        if clock == ClockMode::Wall {
            let weak = Arc::downgrade(&state);
            tasks.push(tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(1));
                loop {
                    every.tick().await;
                    let Some(state) = weak.upgrade() else { break };
                    state.sync_clock();
                }
            }));
        }
        let shop_routes = match &inbox {
            Some(inbox) => http::router_with_intake(Arc::clone(&service), inbox.router()),
            None => http::router(Arc::clone(&service)),
        };
        let router = shop_routes.merge(sandbox::router(state));
        Shop {
            service,
            orders,
            router,
            fake: Some(engine),
            inbox,
            tasks,
        }
    }

    /// The router to serve.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The order service.
    pub fn service(&self) -> &Arc<OrderService> {
        &self.service
    }

    /// The order store.
    pub fn orders(&self) -> &Arc<InMemoryOrders> {
        &self.orders
    }

    /// The durable webhook inbox, when the shop was started with one.
    pub fn inbox(&self) -> Option<&ShopInbox> {
        self.inbox.as_ref()
    }

    /// The fake behind the shop, with the fake backend.
    pub fn fake(&self) -> Option<&FakeGateway> {
        self.fake.as_ref()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Delivers every callback `engine` emits from now on to the service's webhook route, in
/// process, as Xendit would POST it (same body, the configured token): through the same
/// extractor and handler as a callback from the network. Runs until the engine is gone.
pub async fn forward_callbacks(engine: FakeGateway, service: Arc<OrderService>) {
    let mut rx = engine.subscribe();
    // Holding the engine would keep the channel open forever.
    drop(engine);
    let token = service.settings().callback_token.clone();
    let router = http::router(service);
    while let Some(event) = rx.recv().await {
        let request = match event.to_request(http::WEBHOOK_PATH, &token) {
            Ok(request) => request.map(Body::from),
            Err(e) => {
                tracing::warn!(error = %e, invoice = %event.invoice_id, "in-process webhook not sent");
                continue;
            }
        };
        let response = match router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        if !status.is_success() {
            let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            tracing::warn!(
                %status,
                answer = %String::from_utf8_lossy(&body),
                invoice = %event.invoice_id,
                "in-process webhook refused"
            );
        }
    }
}

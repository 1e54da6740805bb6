//! A sandbox serving in the background: binds, restores the data directory if there is one,
//! starts webhook delivery and the wall-clock ticker, and shuts down gracefully.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use paylink_fake::{FakeGateway, FakeGatewayBuilder};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::{ControlError, SandboxClient};
use crate::config::{ClockMode, SandboxConfig};
use crate::router;
use crate::state::SandboxState;
use crate::store::{self, Committer};

/// A sandbox serving in the background. Dropping it stops it.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    state: Arc<SandboxState>,
    stop: Option<oneshot::Sender<()>>,
    join: Option<JoinHandle<std::io::Result<()>>>,
    ticker: Option<JoinHandle<()>>,
    restored: Option<usize>,
}

impl Sandbox {
    /// Binds `config.addr`, builds the engine from `engine` with `invoice_url` pointing at this
    /// sandbox's checkout page (one engine per account), reads back the state kept in
    /// `config.data_dir` if set, starts webhook delivery (resuming unfinished deliveries), and
    /// serves until shut down.
    ///
    /// # Errors
    /// The I/O error of binding the address; a data directory that cannot be used, as an
    /// [`std::io::Error`] whose inner error is a [`crate::StoreError`] saying why (the
    /// directory is then left untouched).
    pub async fn start(
        config: SandboxConfig,
        engine: FakeGatewayBuilder,
    ) -> std::io::Result<Sandbox> {
        config
            .check_accounts()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let base_url = config
            .public_base_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{addr}"));
        let mut engine = engine.invoice_base_url(format!("{base_url}/web/"));
        if config.clock == ClockMode::Wall {
            engine = engine.start(OffsetDateTime::now_utc());
        }
        let data_dir = config.data_dir.clone();
        let state = SandboxState::new(config, base_url.clone(), engine.build());
        let mut restored = None;
        if let Some(dir) = &data_dir {
            let mut conn = store::open(dir).await.map_err(std::io::Error::other)?;
            let loaded = store::load::load(&mut conn, dir)
                .await
                .map_err(std::io::Error::other)?;
            for account in state.accounts() {
                account.engine().track_changes();
            }
            state.deliverer().track_changes();
            restored = Some(loaded.invoice_count());
            let fresh = loaded.is_empty();
            store::load::apply(&state, loaded, dir).map_err(std::io::Error::other)?;
            state.sync_clock();
            Committer::start(conn, &state);
            if fresh {
                restored = None;
            }
        }
        state.start_delivery();
        let ticker = (state.config().clock == ClockMode::Wall).then(|| {
            let weak = Arc::downgrade(&state);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(1));
                loop {
                    every.tick().await;
                    let Some(state) = weak.upgrade() else { break };
                    state.sync_clock();
                }
            })
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(Arc::clone(&state));
        let server = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future();
        let join = tokio::spawn(server);
        Ok(Sandbox {
            addr,
            base_url,
            state,
            stop: Some(stop),
            join: Some(join),
            ticker,
            restored,
        })
    }

    /// How many invoices were read back from the data directory at start (`None` without
    /// one, or when it held no state yet).
    pub fn restored_invoices(&self) -> Option<usize> {
        self.restored
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address clients reach it at (`http://127.0.0.1:4010`).
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// A typed client for its `/_sandbox` control endpoints.
    ///
    /// # Errors
    /// Only if the HTTP client cannot be set up (no TLS backend).
    pub fn client(&self) -> Result<SandboxClient, ControlError> {
        SandboxClient::new(&self.base_url)
    }

    /// The engine behind it (a reset clears it in place: a handle taken before stays valid).
    pub fn engine(&self) -> FakeGateway {
        self.state.engine()
    }

    /// The shared state (deliveries, clock, reset).
    pub fn state(&self) -> &Arc<SandboxState> {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish, cancels pending webhook
    /// deliveries, and waits for the server to end.
    ///
    /// # Errors
    /// The server's I/O error, if it failed.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        self.state.deliverer().shutdown();
        match self.join.take() {
            Some(join) => join
                .await
                .map_err(|e| std::io::Error::other(format!("the server task failed: {e}")))?,
            None => Ok(()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        self.state.deliverer().shutdown();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

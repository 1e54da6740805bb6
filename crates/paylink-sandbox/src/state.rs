//! What every route shares: the accounts (each a business with its own engine), the webhook
//! deliverer, the clock, and the store that keeps them across restarts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use futures::StreamExt;
use paylink_core::Invoice;
use paylink_fake::{FakeConfig, FakeGateway};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::config::{AccountConfig, ClockMode, SandboxConfig};
use crate::delivery::{Deliverer, DeliveryTarget};
use crate::error::ErrorAnswer;
use crate::lock;
use crate::requests::RequestLog;
use crate::store::Committer;

/// One business served by the sandbox: its name, key, webhook receiver and engine.
pub struct Account {
    config: AccountConfig,
    engine: FakeGateway,
    sdk_authorization: Vec<u8>,
}

impl Account {
    /// The account's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Its engine: its invoices, clock and faults.
    pub fn engine(&self) -> FakeGateway {
        self.engine.clone()
    }

    /// Where its webhooks go.
    pub fn callback_url(&self) -> Option<&str> {
        self.config.callback_url.as_deref()
    }

    /// The `Authorization` header the SDKs send with this account's key.
    pub(crate) fn sdk_authorization(&self) -> &[u8] {
        &self.sdk_authorization
    }

    fn key_matches(&self, key: &[u8]) -> bool {
        bool::from(key.ct_eq(self.config.secret_key.as_bytes()))
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The authorization header holds the key: it stays out.
        f.debug_struct("Account")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What every route shares: the accounts, the configuration and the webhook deliverer.
pub struct SandboxState {
    config: SandboxConfig,
    base_url: String,
    accounts: Vec<Account>,
    deliverer: Deliverer,
    requests: RequestLog,
    forwarders: Mutex<Vec<JoinHandle<()>>>,
    clock_offset: Mutex<time::Duration>,
    meta_changes: AtomicU64,
    store: OnceLock<Arc<Committer>>,
}

/// A 64-bit FNV-1a hash: a stable number from an account name (seeds and business ids).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl SandboxState {
    /// State serving `engine` at `base_url` (the address `invoice_url` should point at, such
    /// as `http://127.0.0.1:4010`). `engine` serves the first account; every other account of
    /// `config` gets an engine of the same configuration with a seed and business id
    /// (`user_id`) of its own. The engine's `invoice_base_url` is not changed: build it with
    /// `{base_url}/web/` for links that open this sandbox's checkout page. Webhooks are
    /// delivered once [`SandboxState::start_delivery`] has run (inside a tokio runtime).
    pub fn new(
        config: SandboxConfig,
        base_url: impl Into<String>,
        engine: FakeGateway,
    ) -> Arc<Self> {
        let mut accounts = Vec::new();
        for (i, account) in config.effective_accounts().into_iter().enumerate() {
            let engine = if i == 0 {
                engine.clone()
            } else {
                let base = engine.config();
                let h = fnv(&account.name);
                FakeGateway::with_config(FakeConfig {
                    seed: base.seed ^ h,
                    user_id: format!("{:016x}{:08x}", h, fnv(&base.user_id) as u32),
                    ..base.clone()
                })
            };
            accounts.push(Account {
                sdk_authorization: crate::api::sdk_authorization(account.secret_key.as_bytes()),
                config: account,
                engine,
            });
        }
        let targets = accounts
            .iter()
            .map(|a| {
                let target = a.config.callback_url.clone().map(|url| DeliveryTarget {
                    url,
                    token: a.config.callback_token.clone(),
                });
                (a.config.name.clone(), target)
            })
            .collect();
        let deliverer = Deliverer::for_accounts(targets, config.retry_time_scale);
        let offset = match config.clock {
            ClockMode::Manual => time::Duration::ZERO,
            ClockMode::Wall => OffsetDateTime::now_utc() - engine.now(),
        };
        Arc::new(SandboxState {
            config,
            base_url: base_url.into(),
            accounts,
            deliverer,
            requests: RequestLog::default(),
            forwarders: Mutex::new(Vec::new()),
            clock_offset: Mutex::new(offset),
            meta_changes: AtomicU64::new(0),
            store: OnceLock::new(),
        })
    }

    /// Starts forwarding the engines' callbacks to the webhook deliverer (through the store
    /// when the state is kept in one, so a callback is on disk before it is sent). Must be
    /// called inside a tokio runtime; calling it again restarts the forwarding.
    pub fn start_delivery(self: &Arc<Self>) {
        let mut tasks = Vec::new();
        for account in &self.accounts {
            let mut rx = account.engine.subscribe();
            let state = Arc::downgrade(self);
            let name = account.config.name.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(event) = rx.recv().await {
                    let Some(state) = state.upgrade() else { break };
                    match state.store.get() {
                        Some(store) => store.ring(),
                        None => {
                            state.deliverer.enqueue_for(&name, &event.body);
                        }
                    }
                }
            }));
        }
        for old in std::mem::replace(&mut *lock(&self.forwarders), tasks) {
            old.abort();
        }
    }

    /// The first account's engine: a handle on the same world (a reset clears it in place,
    /// so a handle taken before a reset keeps working).
    pub fn engine(&self) -> FakeGateway {
        self.accounts[0].engine.clone()
    }

    /// The sandbox clock (every account's clock reads the same).
    pub fn now(&self) -> OffsetDateTime {
        self.accounts[0].engine.now()
    }

    /// Every account, the first one first.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.config.name == name)
    }

    /// The account whose secret key is `key` (compared in constant time with every key).
    pub fn account_by_key(&self, key: &[u8]) -> Option<&Account> {
        let mut found = None;
        for account in &self.accounts {
            if account.key_matches(key) && found.is_none() {
                found = Some(account);
            }
        }
        found
    }

    /// The account holding the invoice `id`, or the first account when none does (so its
    /// engine answers "not found" in its own words).
    pub fn account_of_invoice(&self, id: &str) -> &Account {
        if self.accounts.len() > 1 {
            if let Some(a) = self.accounts.iter().find(|a| a.engine.contains(id)) {
                return a;
            }
        }
        &self.accounts[0]
    }

    /// The engine holding the invoice `id` (see [`SandboxState::account_of_invoice`]).
    pub fn engine_of(&self, id: &str) -> FakeGateway {
        self.account_of_invoice(id).engine()
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// The address the sandbox is reached at.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The webhook deliverer and its log.
    pub fn deliverer(&self) -> &Deliverer {
        &self.deliverer
    }

    /// The log of the last requests to the API, checkout and control routes.
    pub fn requests(&self) -> &RequestLog {
        &self.requests
    }

    /// Forgets every invoice, callback, fault, webhook attempt and logged request of every
    /// account: the engines are reset in place (their clocks back at the start, or at the wall clock in
    /// [`ClockMode::Wall`]), and callbacks still queued from before the reset are dropped.
    pub fn reset(self: &Arc<Self>) {
        for account in &self.accounts {
            account.engine.reset();
        }
        if self.config.clock == ClockMode::Wall {
            *lock(&self.clock_offset) = OffsetDateTime::now_utc() - self.engine().now();
            self.meta_changes.fetch_add(1, Ordering::AcqRel);
        }
        self.deliverer.reset();
        self.requests.clear();
        self.start_delivery();
    }

    /// Moves every account's clock forward by `by` (and, in [`ClockMode::Wall`], keeps it
    /// that far ahead of the wall clock). Returns the clock and the links that expired.
    pub fn advance(&self, by: Duration) -> (OffsetDateTime, Vec<Invoice>) {
        if self.config.clock == ClockMode::Wall {
            let mut offset = lock(&self.clock_offset);
            *offset =
                offset.saturating_add(time::Duration::try_from(by).unwrap_or(time::Duration::MAX));
            self.meta_changes.fetch_add(1, Ordering::AcqRel);
        }
        let mut expired = Vec::new();
        for account in &self.accounts {
            expired.extend(account.engine.advance(by));
        }
        (self.engine().now(), expired)
    }

    /// In [`ClockMode::Wall`], moves every clock up to the wall clock plus the offset,
    /// expiring what falls due. Does nothing in [`ClockMode::Manual`].
    pub fn sync_clock(&self) {
        if self.config.clock != ClockMode::Wall {
            return;
        }
        let target = OffsetDateTime::now_utc().saturating_add(*lock(&self.clock_offset));
        for account in &self.accounts {
            account.engine.follow_clock(target);
        }
    }

    /// How far the clock runs ahead of the wall clock in [`ClockMode::Wall`].
    pub(crate) fn clock_offset(&self) -> time::Duration {
        *lock(&self.clock_offset)
    }

    pub(crate) fn set_clock_offset(&self, offset: time::Duration) {
        *lock(&self.clock_offset) = offset;
    }

    /// A number that grows with every change of anything the store keeps.
    pub(crate) fn change_count(&self) -> u64 {
        self.accounts
            .iter()
            .map(|a| a.engine.change_count())
            .fold(self.deliverer.change_count(), u64::wrapping_add)
            .wrapping_add(self.meta_changes.load(Ordering::Acquire))
    }

    pub(crate) fn meta_change_count(&self) -> u64 {
        self.meta_changes.load(Ordering::Acquire)
    }

    pub(crate) fn set_store(&self, store: Arc<Committer>) {
        let _ = self.store.set(store);
    }

    /// Waits until every change made so far is in the data directory (at once without one).
    /// Every request's answer waits for this already; call it after changing an engine
    /// directly (seeding it, say) to know the change is kept.
    ///
    /// # Errors
    /// The store's failure, as the 500 `STORAGE_ERROR` answer a request would get.
    pub async fn persist(&self) -> Result<(), ErrorAnswer> {
        match self.store.get() {
            Some(store) => store.flush(self.change_count()).await,
            None => Ok(()),
        }
    }

    /// Reads a request body, refusing one larger than the configured limit.
    pub(crate) async fn read_body(&self, body: Body) -> Result<Vec<u8>, ErrorAnswer> {
        let limit = self.config.max_body_bytes;
        let mut out = Vec::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ErrorAnswer::new(
                    400,
                    "BAD_REQUEST",
                    format!("could not read the request body: {e}"),
                )
            })?;
            if out.len() + chunk.len() > limit {
                return Err(ErrorAnswer::too_large(limit));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl Drop for SandboxState {
    fn drop(&mut self) {
        for task in lock(&self.forwarders).drain(..) {
            task.abort();
        }
        if let Some(store) = self.store.get() {
            store.stop();
        }
    }
}

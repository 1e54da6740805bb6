//! Reconciling what never arrived: the [`Sweeper`] asks the application for orders still
//! PENDING past their link's expiry (or older than a configured age), reads each link from the
//! [`Gateway`], and stores what it shows through [`Inbox::observe`], the webhook's own path.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use paylink_core::{Gateway, InvoiceStatus, RequestOptions};
use time::OffsetDateTime;

use crate::process::HandlerError;
use crate::receive::{Inbox, Received};
use crate::store::InboxStore;

/// A link whose order the application still holds as PENDING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLink {
    /// The invoice id.
    pub invoice_id: String,
    /// When the order was created.
    pub created: OffsetDateTime,
    /// When the link expires, when the application knows it.
    pub expiry_date: Option<OffsetDateTime>,
    /// The options to read it with (`for-user-id`).
    pub options: RequestOptions,
}

/// Which orders the sweeper asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepQuery {
    /// The current time: links whose `expiry_date` is at or before it are due.
    pub now: OffsetDateTime,
    /// Orders created at or before it are due whatever their expiry.
    pub created_before: OffsetDateTime,
    /// At most this many.
    pub limit: u32,
}

impl SweepQuery {
    /// Whether a link is due under this query.
    pub fn is_due(&self, link: &PendingLink) -> bool {
        link.expiry_date.is_some_and(|e| e <= self.now) || link.created <= self.created_before
    }
}

/// The application's pending orders, as the sweeper needs them.
#[async_trait]
pub trait PendingOrders: Send + Sync {
    /// Links of orders still PENDING that are due under `query` (expired by their
    /// `expiry_date`, or created at or before `created_before`), at most `query.limit`.
    ///
    /// # Errors
    /// A [`HandlerError`]; the sweep stops.
    async fn pending_links(&self, query: &SweepQuery) -> Result<Vec<PendingLink>, HandlerError>;
}

/// What one sweep found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Links read.
    pub checked: usize,
    /// Changes stored for the workers (a duplicate when the webhook had come meanwhile).
    pub stored: Vec<Received>,
    /// Links still PENDING at the provider.
    pub still_pending: usize,
    /// Links that could not be read or stored: invoice id and why. Tried again next sweep.
    pub failed: Vec<(String, String)>,
}

/// Why a sweep could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The application could not list its pending orders.
    #[error("listing pending orders failed: {0}")]
    Orders(HandlerError),
}

/// The sweeper.
pub struct Sweeper<S> {
    inbox: Inbox<S>,
    gateway: Arc<dyn Gateway>,
    orders: Arc<dyn PendingOrders>,
    max_age: Duration,
    limit: u32,
}

impl<S> std::fmt::Debug for Sweeper<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("max_age", &self.max_age)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<S: InboxStore> Sweeper<S> {
    /// A sweeper that asks `gateway` about `orders` pending past their expiry or older than
    /// `max_age`, up to 100 per sweep.
    pub fn new(
        inbox: Inbox<S>,
        gateway: Arc<dyn Gateway>,
        orders: Arc<dyn PendingOrders>,
        max_age: Duration,
    ) -> Self {
        Sweeper {
            inbox,
            gateway,
            orders,
            max_age,
            limit: 100,
        }
    }

    /// The same sweeper reading at most `limit` links per sweep.
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = limit.max(1);
        self
    }

    /// One sweep: reads every due link and stores each change it finds.
    ///
    /// # Errors
    /// [`SweepError::Orders`] when the pending orders cannot be listed. A link that cannot
    /// be read or stored is reported in [`SweepReport::failed`] instead.
    pub async fn sweep(&self) -> Result<SweepReport, SweepError> {
        let now = self.inbox.now();
        let query = SweepQuery {
            now,
            created_before: now - self.max_age,
            limit: self.limit,
        };
        let links = self
            .orders
            .pending_links(&query)
            .await
            .map_err(SweepError::Orders)?;
        let mut report = SweepReport::default();
        for link in links.iter().filter(|l| query.is_due(l)) {
            report.checked += 1;
            let invoice = match self
                .gateway
                .get_invoice(&link.invoice_id, &link.options)
                .await
            {
                Ok(invoice) => invoice,
                Err(e) => {
                    report.failed.push((link.invoice_id.clone(), e.to_string()));
                    continue;
                }
            };
            if invoice.status == InvoiceStatus::Pending {
                report.still_pending += 1;
                continue;
            }
            match self.inbox.observe(&invoice).await {
                Ok(received) => report.stored.push(received),
                Err(refusal) => report
                    .failed
                    .push((link.invoice_id.clone(), refusal.to_string())),
            }
        }
        if !report.stored.is_empty() || !report.failed.is_empty() {
            tracing::info!(
                checked = report.checked,
                stored = report.stored.len(),
                failed = report.failed.len(),
                "inbox sweep"
            );
        }
        Ok(report)
    }

    /// Sweeps every `every` until `shutdown` completes; a failed sweep is logged.
    pub async fn run(&self, every: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.sweep().await {
                tracing::error!(error = %e, "inbox sweep failed");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

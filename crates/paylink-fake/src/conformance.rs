//! The conformance suite: async checks that any [`Gateway`] must pass.

use async_trait::async_trait;
use paylink_core::{Invoice, RequestOptions};

/// The error a [`Payer`] reports.
pub type PayerError = Box<dyn std::error::Error + Send + Sync>;

/// "Pay this invoice": how the suite makes a payment happen on the backend under test (the
/// fake pays directly; the sandbox calls its control endpoint).
#[async_trait]
pub trait Payer: Send + Sync {
    /// Pays `invoice` in full through a channel it offers.
    ///
    /// # Errors
    /// Whatever kept the payment from happening.
    async fn pay(&self, invoice: &Invoice, options: &RequestOptions) -> Result<(), PayerError>;
}

#[async_trait]
impl Payer for crate::FakeGateway {
    async fn pay(&self, invoice: &Invoice, _options: &RequestOptions) -> Result<(), PayerError> {
        let channel = self
            .offered_channels(&invoice.id)
            .and_then(|c| c.into_iter().next())
            .ok_or_else(|| format!("invoice `{}` offers no channel", invoice.id))?;
        crate::FakeGateway::pay(self, &invoice.id, crate::PayWith::channel(channel))?;
        Ok(())
    }
}

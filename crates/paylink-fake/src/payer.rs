//! The fake as the conformance suite's [`Payer`]: it pays a link directly, through the first
//! channel the link offers.

use async_trait::async_trait;
use paylink_core::conformance::{Payer, PayerError};
use paylink_core::{Invoice, RequestOptions};

use crate::{FakeGateway, PayWith};

#[async_trait]
impl Payer for FakeGateway {
    async fn pay(&self, invoice: &Invoice, _options: &RequestOptions) -> Result<(), PayerError> {
        let channel = self
            .offered_channels(&invoice.id)
            .and_then(|c| c.into_iter().next())
            .ok_or_else(|| format!("invoice `{}` offers no channel", invoice.id))?;
        FakeGateway::pay(self, &invoice.id, PayWith::channel(channel))?;
        Ok(())
    }
}

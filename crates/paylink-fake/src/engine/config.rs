//! The fake's configuration and its builder: seed, start time, merchant, checkout URL, the
//! channels offered per currency, amount limits.

use super::*;

/// The fake merchant and its world. Build one with [`FakeGateway::builder`].
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Seed of every id and generated number.
    pub seed: u64,
    /// The clock at start (kept to the millisecond).
    pub start: OffsetDateTime,
    /// `merchant_name` of every invoice.
    pub merchant_name: String,
    /// `user_id` (the business id) of invoices created without `for-user-id`.
    pub user_id: String,
    /// `merchant_profile_picture_url`.
    pub merchant_profile_picture_url: String,
    /// `invoice_url` is this followed by the invoice id.
    pub invoice_base_url: String,
    /// The channels the merchant has enabled, per currency, in the order they are offered.
    pub channels: BTreeMap<Currency, Vec<ChannelCode>>,
    /// Invoice amount limits (`MINIMAL_/MAXIMUM_TRANSFER_AMOUNT_ERROR`).
    pub limits: AmountLimits,
}

impl Default for FakeConfig {
    fn default() -> Self {
        let user_id = "62440e322008e87fb29c1fd0".to_owned();
        FakeConfig {
            seed: 0x5eed,
            start: datetime!(2024-11-28 06:40:26.508 UTC),
            merchant_name: "Paylink Test Merchant".into(),
            merchant_profile_picture_url: format!(
                "https://xnd-merchant-logos.s3.amazonaws.com/business/production/{user_id}.png"
            ),
            user_id,
            invoice_base_url: DEFAULT_INVOICE_BASE_URL.into(),
            channels: channels::all_channels(),
            limits: AmountLimits::xendit(),
        }
    }
}

/// Builder of a [`FakeGateway`]. Every setting has a default (see [`FakeConfig::default`]:
/// every channel of the core's table enabled, Xendit's amount limits, start at
/// 2024-11-28T06:40:26.508Z).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct FakeGatewayBuilder {
    config: FakeConfig,
}

impl FakeGatewayBuilder {
    /// Seed of ids and generated numbers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Start time of the manual clock.
    pub fn start(mut self, start: OffsetDateTime) -> Self {
        self.config.start = start;
        self
    }

    /// Merchant name.
    pub fn merchant_name(mut self, name: impl Into<String>) -> Self {
        self.config.merchant_name = name.into();
        self
    }

    /// Business id (`user_id`).
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.config.user_id = id.into();
        self
    }

    /// Merchant logo URL.
    pub fn merchant_profile_picture_url(mut self, url: impl Into<String>) -> Self {
        self.config.merchant_profile_picture_url = url.into();
        self
    }

    /// Base of `invoice_url` (the sandbox points it at its own checkout page).
    pub fn invoice_base_url(mut self, url: impl Into<String>) -> Self {
        self.config.invoice_base_url = url.into();
        self
    }

    /// Enables exactly these channels for `currency`, in this order (replacing the default).
    pub fn channels<I, C>(mut self, currency: Currency, channels: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<ChannelCode>,
    {
        self.config
            .channels
            .insert(currency, channels.into_iter().map(Into::into).collect());
        self
    }

    /// Amount limits per currency.
    pub fn limits(mut self, limits: AmountLimits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The gateway.
    pub fn build(self) -> FakeGateway {
        FakeGateway::with_config(self.config)
    }
}

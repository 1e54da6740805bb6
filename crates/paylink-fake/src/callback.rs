//! [`CallbackBuilder`]: an invoice callback for any payment family and status (PAID, SETTLED,
//! EXPIRED, or a status Xendit may add), byte for byte what the fake emits, for tests of a
//! webhook endpoint that need a body without driving a whole payment.
//!
//! The builder runs a private fake: it creates the link, pays it through the channel (or lets
//! it expire) and takes the callback the fake sends, so the body has every field of the
//! channel's family, in the fake's order, with the fake's formats.

use std::time::Duration;

use paylink_core::{
    ChannelCode, CreateInvoiceFields, Currency, InvoiceStatus, RequestOptions, Violation,
};
use rust_decimal::Decimal;
use serde_json::Value;
use time::OffsetDateTime;

use crate::engine::{CallbackEvent, FakeError, FakeGateway, PayWith};

/// What the callback reports.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Paid(PayWith),
    Expired,
    /// A paid body carrying another status (SETTLED, or one Xendit may add).
    PaidAs(PayWith, InvoiceStatus),
}

/// Builds one invoice callback body.
///
/// ```
/// use paylink_core::{parse_callback, EventKind, InvoiceStatus, Payment};
/// use paylink_fake::CallbackBuilder;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let event = CallbackBuilder::paid("DANA").external_id("order-7").amount(75_000).build()?;
/// let parsed = parse_callback(event.body.as_bytes())?;
/// assert_eq!(parsed.callback.status, InvoiceStatus::Paid);
/// assert!(matches!(
///     parsed.kind,
///     EventKind::Paid { payment: Payment::Ewallet { .. } }
/// ));
///
/// let expired = CallbackBuilder::expired().external_id("order-8").build()?;
/// assert_eq!(parse_callback(expired.body.as_bytes())?.callback.status, InvoiceStatus::Expired);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CallbackBuilder {
    outcome: Outcome,
    external_id: String,
    amount: Decimal,
    currency: Currency,
    seed: u64,
    at: Option<OffsetDateTime>,
    payer_email: Option<String>,
    description: Option<String>,
}

/// Why a callback could not be built: the fake refused the link or the payment it needs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackBuildError {
    /// The link was refused (an amount outside the currency's limits, a channel that does not
    /// serve the currency...).
    #[error("the link was refused: {0}")]
    Refused(String),
    /// The payment was refused.
    #[error("the payment was refused: {0}")]
    Payment(#[from] FakeError),
    /// The fields are not a valid create request.
    #[error("invalid link: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Violation>),
    /// The fake sent no callback (never expected).
    #[error("the fake sent no callback")]
    NoCallback,
}

impl CallbackBuilder {
    fn new(outcome: Outcome) -> Self {
        CallbackBuilder {
            outcome,
            external_id: "callback-test".to_owned(),
            amount: Decimal::from(50_000),
            currency: Currency::Idr,
            seed: 0x5eed,
            at: None,
            payer_email: None,
            description: None,
        }
    }

    /// A PAID callback through `channel` (`BNI`, `DANA`, `ALFAMART`, `QRIS`, `CREDIT_CARD`,
    /// `DD_BRI`, `KREDIVO`...), with the paid fields of its family.
    pub fn paid(channel: impl Into<ChannelCode>) -> Self {
        CallbackBuilder::new(Outcome::Paid(PayWith::channel(channel)))
    }

    /// A PAID callback made as `with` says (a channel and the `payment_method` to report).
    pub fn paid_with(with: PayWith) -> Self {
        CallbackBuilder::new(Outcome::Paid(with))
    }

    /// A SETTLED callback through `channel`: the paid body with status `SETTLED`.
    pub fn settled(channel: impl Into<ChannelCode>) -> Self {
        CallbackBuilder::new(Outcome::PaidAs(
            PayWith::channel(channel),
            InvoiceStatus::Settled,
        ))
    }

    /// An EXPIRED callback: no payment fields.
    pub fn expired() -> Self {
        CallbackBuilder::new(Outcome::Expired)
    }

    /// The paid body through `channel` with any `status`, such as one Xendit may add
    /// (`InvoiceStatus::from("REFUNDED")`), to test that an endpoint keeps what it does not
    /// know.
    pub fn with_status(channel: impl Into<ChannelCode>, status: InvoiceStatus) -> Self {
        CallbackBuilder::new(Outcome::PaidAs(PayWith::channel(channel), status))
    }

    /// The merchant's reference (`callback-test` unless set).
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = external_id.into();
        self
    }

    /// The amount (50,000 unless set).
    pub fn amount(mut self, amount: impl Into<Decimal>) -> Self {
        self.amount = amount.into();
        self
    }

    /// The currency (IDR unless set).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = currency;
        self
    }

    /// The seed of the ids (the invoice id, payment ids); a fixed default otherwise.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// When the link was created; the payment or the expiry follows it.
    pub fn at(mut self, at: OffsetDateTime) -> Self {
        self.at = Some(at);
        self
    }

    /// The payer's e-mail.
    pub fn payer_email(mut self, email: impl Into<String>) -> Self {
        self.payer_email = Some(email.into());
        self
    }

    /// The description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The callback, as the fake would send it.
    ///
    /// # Errors
    /// [`CallbackBuildError`] when the fake refuses the link or the payment (for instance a
    /// channel that does not serve the currency).
    pub fn build(self) -> Result<CallbackEvent, CallbackBuildError> {
        let mut fake = FakeGateway::builder().seed(self.seed);
        if let Some(at) = self.at {
            fake = fake.start(at);
        }
        let fake = fake.build();
        let mut fields = CreateInvoiceFields::new(self.external_id, self.amount);
        fields.currency = Some(self.currency);
        fields.payer_email = self.payer_email;
        fields.description = self.description;
        if let Outcome::Paid(with) | Outcome::PaidAs(with, _) = &self.outcome {
            fields.payment_methods = Some(vec![with.channel.clone()]);
        }
        let request = fields
            .validate(&paylink_core::AmountLimits::xendit())
            .map_err(|e| CallbackBuildError::Invalid(e.violations().to_vec()))?;
        let link = fake
            .create_now(request.into_fields(), &RequestOptions::default())
            .map_err(|e| CallbackBuildError::Refused(e.to_string()))?;
        match self.outcome {
            Outcome::Paid(with) => {
                fake.pay(&link.id, with)?;
                fake.callbacks().pop().ok_or(CallbackBuildError::NoCallback)
            }
            Outcome::Expired => {
                let lifetime = link.expiry_date - link.created;
                let secs = u64::try_from(lifetime.whole_seconds()).unwrap_or(0);
                fake.advance(Duration::from_secs(secs.saturating_add(1)));
                fake.callbacks().pop().ok_or(CallbackBuildError::NoCallback)
            }
            Outcome::PaidAs(with, status) => {
                fake.pay(&link.id, with)?;
                let mut event = fake
                    .callbacks()
                    .pop()
                    .ok_or(CallbackBuildError::NoCallback)?;
                event.body = restate(&event.body, &status).into();
                event.status = status;
                Ok(event)
            }
        }
    }
}

/// The body with its `status` replaced, every other byte as the fake wrote it.
fn restate(body: &str, status: &InvoiceStatus) -> String {
    let from = format!("\"status\":\"{}\"", InvoiceStatus::Paid.as_str());
    let to = format!(
        "\"status\":{}",
        serde_json::to_string(&Value::String(status.as_str().to_owned())).unwrap_or_default()
    );
    body.replacen(&from, &to, 1)
}

//! The create request (`POST /v2/invoices`) as it goes on the wire: every field, and the
//! validated `CreateInvoiceRequest`. The builder is in `builder.rs`, the rules in `validate.rs`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::builder::CreateInvoiceBuilder;
use crate::codes::{ChannelCode, NotificationChannel};
use crate::money::{AmountLimits, Currency, Money};
use crate::validate::ValidationErrors;

/// Most items one invoice may carry.
pub const MAX_ITEMS: usize = 75;
/// Most fees one invoice may carry.
pub const MAX_FEES: usize = 10;
/// Most metadata keys.
pub const MAX_METADATA_KEYS: usize = 50;
/// Longest metadata key, in characters.
pub const MAX_METADATA_KEY_CHARS: usize = 40;
/// Longest metadata value, in characters (a non-string value counts its JSON text).
pub const MAX_METADATA_VALUE_CHARS: usize = 500;
/// Shortest `invoice_duration`, in seconds.
pub const MIN_INVOICE_DURATION: u32 = 1;
/// Longest `invoice_duration`, in seconds (one year).
pub const MAX_INVOICE_DURATION: u32 = 31_536_000;
/// `invoice_duration` Xendit applies when the request has none (24 hours).
pub const DEFAULT_INVOICE_DURATION: u32 = 86_400;

/// The free-form `metadata` object.
pub type Metadata = Map<String, Value>;

crate::object_only::serde_object_only!(
    Address,
    NotificationPreference,
    InvoiceItem,
    InvoiceFee,
    ChannelProperties,
    CardProperties,
    InstallmentConfiguration,
    InstallmentTerms,
    CreateInvoiceFields,
);

/// `customer`: who pays. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Xendit customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Given names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_names: Option<String>,
    /// Surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Mobile number in E.164 form (`+6287774441111`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_number: Option<String>,
    /// The merchant's own customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<Address>>,
    /// Fields paylink does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One address of a [`Customer`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Address {
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// First street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_line1: Option<String>,
    /// Second street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_line2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// `customer_notification_preference`: which channels notify the customer of which event. An
/// omitted event is not notified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct NotificationPreference {
    /// On creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_created: Option<Vec<NotificationChannel>>,
    /// Reminder before expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_reminder: Option<Vec<NotificationChannel>>,
    /// On payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_paid: Option<Vec<NotificationChannel>>,
    /// On expiry (in the older API version only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_expired: Option<Vec<NotificationChannel>>,
}

/// One line of `items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct InvoiceItem {
    /// Item name.
    pub name: String,
    /// Quantity, greater than zero.
    #[serde(with = "crate::json_amount")]
    pub quantity: Decimal,
    /// Unit price in the invoice currency.
    #[serde(with = "crate::json_amount")]
    pub price: Decimal,
    /// The merchant's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// Product page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl InvoiceItem {
    /// An item with a name, a quantity and a unit price.
    pub fn new(name: impl Into<String>, quantity: impl Into<Decimal>, price: Decimal) -> Self {
        InvoiceItem {
            name: name.into(),
            quantity: quantity.into(),
            price,
            reference_id: None,
            url: None,
            category: None,
        }
    }
}

/// One line of `fees`: added to the total and settled to the merchant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct InvoiceFee {
    /// What the fee is (`"ADMIN"`, `"Shipping"`...).
    #[serde(rename = "type")]
    pub fee_type: String,
    /// Its value in the invoice currency.
    #[serde(with = "crate::json_amount")]
    pub value: Decimal,
}

impl InvoiceFee {
    /// A fee.
    pub fn new(fee_type: impl Into<String>, value: Decimal) -> Self {
        InvoiceFee {
            fee_type: fee_type.into(),
            value,
        }
    }
}

/// `channel_properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ChannelProperties {
    /// Card settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cards: Option<CardProperties>,
}

/// `channel_properties.cards`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct CardProperties {
    /// Card BIN whitelist: 6 or 8 digits each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_bins: Option<Vec<String>>,
    /// Installment options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installment_configuration: Option<InstallmentConfiguration>,
}

/// `channel_properties.cards.installment_configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct InstallmentConfiguration {
    /// Whether paying in full stays possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_full_payment: Option<bool>,
    /// Terms offered per issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_terms: Option<Vec<InstallmentTerms>>,
}

/// The installment terms one issuer offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct InstallmentTerms {
    /// Issuing bank code.
    pub issuer: String,
    /// Terms in months.
    pub terms: Vec<u32>,
}

/// Every field of a create request, as it goes on the wire. A value of this type may be
/// invalid; [`CreateInvoiceRequest`] is the validated form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct CreateInvoiceFields {
    /// The merchant's reference; not unique at Xendit.
    pub external_id: String,
    /// Total amount; authoritative over items and fees.
    #[serde(with = "crate::json_amount")]
    pub amount: Decimal,
    /// Currency; Xendit uses the account's default (IDR) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Payer e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_email: Option<String>,
    /// Description shown on the checkout page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seconds from creation to expiry.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_seconds::deserialize"
    )]
    pub invoice_duration: Option<u32>,
    /// Id of an existing fixed virtual account to collect with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_virtual_account_id: Option<String>,
    /// Whether Xendit e-mails the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_send_email: Option<bool>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Customer notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_notification_preference: Option<NotificationPreference>,
    /// Where the checkout page sends the buyer after paying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_redirect_url: Option<String>,
    /// Where the checkout page sends the buyer after a failed payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_redirect_url: Option<String>,
    /// Channels offered on the checkout page (all active ones when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_methods: Option<Vec<ChannelCode>>,
    /// Card MID routing label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid_label: Option<String>,
    /// Card 3-D Secure on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_authenticate_credit_card: Option<bool>,
    /// Reminder offset, in `reminder_time_unit`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_seconds::deserialize"
    )]
    pub reminder_time: Option<u32>,
    /// Unit of `reminder_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_time_unit: Option<String>,
    /// Language of the checkout page (`en`, `id`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Line items (required by pay-later channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<InvoiceItem>>,
    /// Fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<Vec<InvoiceFee>>,
    /// Channel settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_properties: Option<ChannelProperties>,
    /// Free-form metadata, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Legacy fixed-VA flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_va: Option<bool>,
}

impl CreateInvoiceFields {
    /// The fields of a request with only the two required ones set.
    pub fn new(external_id: impl Into<String>, amount: Decimal) -> Self {
        CreateInvoiceFields {
            external_id: external_id.into(),
            amount,
            currency: None,
            payer_email: None,
            description: None,
            invoice_duration: None,
            callback_virtual_account_id: None,
            should_send_email: None,
            customer: None,
            customer_notification_preference: None,
            success_redirect_url: None,
            failure_redirect_url: None,
            payment_methods: None,
            mid_label: None,
            should_authenticate_credit_card: None,
            reminder_time: None,
            reminder_time_unit: None,
            locale: None,
            items: None,
            fees: None,
            channel_properties: None,
            metadata: None,
            fixed_va: None,
        }
    }

    /// The currency this request is in: `currency`, or IDR (Xendit's default) when absent.
    pub fn effective_currency(&self) -> Currency {
        self.currency.unwrap_or(Currency::Idr)
    }
}

/// A create request that passed every rule. Build one with [`CreateInvoiceRequest::builder`];
/// it serializes to exactly the JSON Xendit expects, and deserializing validates again, against
/// [`AmountLimits::xendit`] (a request built with other limits may not read back: validate its
/// [`CreateInvoiceFields`] with those limits instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CreateInvoiceFields", into = "CreateInvoiceFields")]
pub struct CreateInvoiceRequest {
    pub(crate) fields: CreateInvoiceFields,
    pub(crate) money: Money,
}

impl CreateInvoiceRequest {
    /// Starts a request for `amount` in `currency` under the merchant's `external_id`.
    ///
    /// ```
    /// use paylink_core::{CreateInvoiceRequest, Currency, InvoiceItem};
    /// use rust_decimal::Decimal;
    /// # fn main() -> Result<(), paylink_core::ValidationErrors> {
    /// let request = CreateInvoiceRequest::builder("order-42", Decimal::from(150_000), Currency::Idr)
    ///     .description("Two coffees")
    ///     .item(InvoiceItem::new("Coffee", 2, Decimal::from(75_000)))
    ///     .invoice_duration(3600)
    ///     .build()?;
    /// assert_eq!(request.external_id(), "order-42");
    /// # Ok(()) }
    /// ```
    pub fn builder(
        external_id: impl Into<String>,
        amount: Decimal,
        currency: Currency,
    ) -> CreateInvoiceBuilder {
        CreateInvoiceBuilder::new(external_id, amount, currency)
    }

    /// Every field, read-only.
    pub fn fields(&self) -> &CreateInvoiceFields {
        &self.fields
    }

    /// The fields, to change and validate again.
    pub fn into_fields(self) -> CreateInvoiceFields {
        self.fields
    }

    /// `external_id`.
    pub fn external_id(&self) -> &str {
        &self.fields.external_id
    }

    /// The amount and its currency.
    pub fn money(&self) -> Money {
        self.money
    }

    /// `invoice_duration`, or Xendit's default when the request has none.
    pub fn invoice_duration_or_default(&self) -> u32 {
        self.fields
            .invoice_duration
            .unwrap_or(DEFAULT_INVOICE_DURATION)
    }
}

impl TryFrom<CreateInvoiceFields> for CreateInvoiceRequest {
    type Error = ValidationErrors;

    fn try_from(fields: CreateInvoiceFields) -> Result<Self, Self::Error> {
        fields.validate(&AmountLimits::xendit())
    }
}

impl From<CreateInvoiceRequest> for CreateInvoiceFields {
    fn from(r: CreateInvoiceRequest) -> Self {
        r.fields
    }
}

/// Reads a count of seconds written as `86400`, `86400.0` or `"86400"` (the older OpenAPI file
/// types `invoice_duration` as a string).
mod lenient_seconds {
    use rust_decimal::prelude::ToPrimitive;
    use rust_decimal::Decimal;
    use serde::de::Error;
    use serde::Deserializer;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let Some(n) = crate::json_amount::lenient::option::deserialize(d)? else {
            return Ok(None);
        };
        if n.fract() != Decimal::ZERO {
            return Err(D::Error::custom(format!("expected whole seconds, got {n}")));
        }
        n.to_u32().map(Some).ok_or_else(|| {
            D::Error::custom(format!("expected seconds from 0 to 4294967295, got {n}"))
        })
    }
}

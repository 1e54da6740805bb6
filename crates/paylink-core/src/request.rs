//! The create request (`POST /v2/invoices`): its fields, a builder, and validation that reports
//! every violation at once with its field path.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::codes::{ChannelCode, NotificationChannel};
use crate::money::{check_decimals, AmountLimits, Currency, Money, MoneyError};

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
    Violation,
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

    /// Checks every rule and returns every violation.
    ///
    /// # Errors
    /// [`ValidationErrors`] listing each violated rule with its field path.
    pub fn validate(self, limits: &AmountLimits) -> Result<CreateInvoiceRequest, ValidationErrors> {
        let mut v = Violations::default();
        let currency = self.effective_currency();

        if self.external_id.trim().is_empty() {
            v.push("external_id", "must not be empty");
        }
        let money = match Money::with_limits(self.amount, currency, limits) {
            Ok(m) => Some(m),
            Err(e) => {
                v.push("amount", money_rule(&e));
                None
            }
        };
        if let Some(email) = &self.payer_email {
            check_email(&mut v, "payer_email", email);
        }
        if let Some(d) = self.invoice_duration {
            if !(MIN_INVOICE_DURATION..=MAX_INVOICE_DURATION).contains(&d) {
                v.push(
                    "invoice_duration",
                    format!(
                        "must be from {MIN_INVOICE_DURATION} to {MAX_INVOICE_DURATION} seconds, got {d}"
                    ),
                );
            }
        }
        if let Some(id) = &self.callback_virtual_account_id {
            check_not_blank(&mut v, "callback_virtual_account_id", id);
        }
        if let Some(c) = &self.customer {
            check_customer(&mut v, c);
        }
        if let Some(url) = &self.success_redirect_url {
            check_url(&mut v, "success_redirect_url", url);
        }
        if let Some(url) = &self.failure_redirect_url {
            check_url(&mut v, "failure_redirect_url", url);
        }
        if let Some(methods) = &self.payment_methods {
            if methods.is_empty() {
                v.push("payment_methods", "must not be empty when given");
            }
            for (i, m) in methods.iter().enumerate() {
                let path = format!("payment_methods[{i}]");
                check_not_blank(&mut v, &path, m.as_str());
                if methods[..i].contains(m) {
                    v.push(&path, format!("repeats `{m}`"));
                }
            }
        }
        if let Some(label) = &self.mid_label {
            check_not_blank(&mut v, "mid_label", label);
        }
        if let Some(t) = self.reminder_time {
            if t == 0 {
                v.push("reminder_time", "must be greater than 0");
            }
        }
        if let Some(unit) = &self.reminder_time_unit {
            check_not_blank(&mut v, "reminder_time_unit", unit);
            if self.reminder_time.is_none() {
                v.push("reminder_time_unit", "is given without reminder_time");
            }
        }
        if let Some(locale) = &self.locale {
            check_not_blank(&mut v, "locale", locale);
        }
        if let Some(items) = &self.items {
            check_items(&mut v, items, currency);
        }
        if let Some(fees) = &self.fees {
            if fees.len() > MAX_FEES {
                v.push(
                    "fees",
                    format!("must have at most {MAX_FEES} entries, got {}", fees.len()),
                );
            }
            for (i, fee) in fees.iter().enumerate() {
                check_not_blank(&mut v, &format!("fees[{i}].type"), &fee.fee_type);
                if let Err(e) = check_decimals(fee.value, currency) {
                    v.push(format!("fees[{i}].value"), money_rule(&e));
                }
            }
        }
        if let Some(cp) = &self.channel_properties {
            check_channel_properties(&mut v, cp);
        }
        if let Some(m) = &self.metadata {
            check_metadata(&mut v, m);
        }

        match money {
            Some(money) if v.0.is_empty() => {
                let mut fields = self;
                fields.amount = money.amount();
                Ok(CreateInvoiceRequest { fields, money })
            }
            _ => Err(ValidationErrors(v.0)),
        }
    }
}

/// A create request that passed every rule. Build one with [`CreateInvoiceRequest::builder`];
/// it serializes to exactly the JSON Xendit expects, and deserializing validates again, against
/// [`AmountLimits::xendit`] (a request built with other limits may not read back: validate its
/// [`CreateInvoiceFields`] with those limits instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CreateInvoiceFields", into = "CreateInvoiceFields")]
pub struct CreateInvoiceRequest {
    fields: CreateInvoiceFields,
    money: Money,
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
        let mut fields = CreateInvoiceFields::new(external_id, amount);
        fields.currency = Some(currency);
        CreateInvoiceBuilder {
            fields,
            limits: AmountLimits::xendit(),
        }
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

/// Builds a [`CreateInvoiceRequest`]; see [`CreateInvoiceRequest::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CreateInvoiceBuilder {
    fields: CreateInvoiceFields,
    limits: AmountLimits,
}

macro_rules! setters {
    ($( $(#[$m:meta])* $name:ident : $arg:ty => $conv:expr ),+ $(,)?) => {
        $(
            $(#[$m])*
            pub fn $name(mut self, value: $arg) -> Self {
                self.fields.$name = Some($conv(value));
                self
            }
        )+
    };
}

fn text(s: impl Into<String>) -> String {
    s.into()
}

fn same<T>(t: T) -> T {
    t
}

impl CreateInvoiceBuilder {
    setters! {
        /// `payer_email`.
        payer_email: impl Into<String> => text,
        /// `description`.
        description: impl Into<String> => text,
        /// `invoice_duration` in seconds.
        invoice_duration: u32 => same,
        /// `callback_virtual_account_id`.
        callback_virtual_account_id: impl Into<String> => text,
        /// `should_send_email`.
        should_send_email: bool => same,
        /// `customer`.
        customer: Customer => same,
        /// `customer_notification_preference`.
        customer_notification_preference: NotificationPreference => same,
        /// `success_redirect_url`.
        success_redirect_url: impl Into<String> => text,
        /// `failure_redirect_url`.
        failure_redirect_url: impl Into<String> => text,
        /// `mid_label`.
        mid_label: impl Into<String> => text,
        /// `should_authenticate_credit_card`.
        should_authenticate_credit_card: bool => same,
        /// `reminder_time`.
        reminder_time: u32 => same,
        /// `reminder_time_unit`.
        reminder_time_unit: impl Into<String> => text,
        /// `locale`.
        locale: impl Into<String> => text,
        /// `channel_properties`.
        channel_properties: ChannelProperties => same,
        /// `fixed_va`.
        fixed_va: bool => same,
    }

    /// Adds one line item.
    pub fn item(mut self, item: InvoiceItem) -> Self {
        self.fields.items.get_or_insert_with(Vec::new).push(item);
        self
    }

    /// Sets all line items.
    pub fn items(mut self, items: impl IntoIterator<Item = InvoiceItem>) -> Self {
        self.fields.items = Some(items.into_iter().collect());
        self
    }

    /// Adds one fee.
    pub fn fee(mut self, fee: InvoiceFee) -> Self {
        self.fields.fees.get_or_insert_with(Vec::new).push(fee);
        self
    }

    /// Sets all fees.
    pub fn fees(mut self, fees: impl IntoIterator<Item = InvoiceFee>) -> Self {
        self.fields.fees = Some(fees.into_iter().collect());
        self
    }

    /// Restricts the channels offered (`["BNI", "DANA"]`).
    pub fn payment_methods<I, C>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<ChannelCode>,
    {
        self.fields.payment_methods = Some(methods.into_iter().map(Into::into).collect());
        self
    }

    /// Adds one metadata entry.
    pub fn metadata_entry(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields
            .metadata
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets the whole metadata object.
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.fields.metadata = Some(metadata);
        self
    }

    /// Uses another amount limits table than Xendit's.
    pub fn limits(mut self, limits: AmountLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Validates every field at once.
    ///
    /// # Errors
    /// [`ValidationErrors`] listing each violated rule with its field path.
    pub fn build(self) -> Result<CreateInvoiceRequest, ValidationErrors> {
        self.fields.validate(&self.limits)
    }
}

/// One broken rule: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Violation {
    /// Field path, as in `items[1].quantity`.
    pub path: String,
    /// The rule, as in `must be greater than 0`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.message)
    }
}

/// Every rule a create request broke, in field order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<Violation>);

impl ValidationErrors {
    /// The violations.
    pub fn violations(&self) -> &[Violation] {
        &self.0
    }

    /// Whether some violation is at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.0.iter().any(|v| v.path == path)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid create request: ")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Violations(Vec<Violation>);

impl Violations {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Violation {
            path: path.into(),
            message: message.into(),
        });
    }
}

fn money_rule(e: &MoneyError) -> String {
    e.to_string()
}

fn check_not_blank(v: &mut Violations, path: &str, s: &str) {
    if s.trim().is_empty() {
        v.push(path, "must not be empty");
    }
}

/// Whether `s` has the shape of an e-mail address: one `@`, a non-empty local part, and a
/// dotted domain, with no spaces.
pub fn is_email_shaped(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Whether `s` is an absolute `http` or `https` URL with a host.
pub fn is_url_shaped(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_email(v: &mut Violations, path: &str, s: &str) {
    if !is_email_shaped(s) {
        v.push(path, format!("must be an e-mail address, got `{s}`"));
    }
}

fn check_url(v: &mut Violations, path: &str, s: &str) {
    if !is_url_shaped(s) {
        v.push(path, format!("must be an absolute http(s) URL, got `{s}`"));
    }
}

fn check_customer(v: &mut Violations, c: &Customer) {
    if let Some(email) = &c.email {
        check_email(v, "customer.email", email);
    }
    if let Some(m) = &c.mobile_number {
        let digits = m.strip_prefix('+').unwrap_or("");
        let ok = (2..=15).contains(&digits.len())
            && digits.chars().all(|d| d.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            v.push(
                "customer.mobile_number",
                format!("must be in E.164 form such as +6287774441111, got `{m}`"),
            );
        }
    }
}

fn check_items(v: &mut Violations, items: &[InvoiceItem], currency: Currency) {
    if items.len() > MAX_ITEMS {
        v.push(
            "items",
            format!("must have at most {MAX_ITEMS} entries, got {}", items.len()),
        );
    }
    for (i, item) in items.iter().enumerate() {
        check_not_blank(v, &format!("items[{i}].name"), &item.name);
        if item.quantity <= Decimal::ZERO {
            v.push(format!("items[{i}].quantity"), "must be greater than 0");
        }
        if item.price < Decimal::ZERO {
            v.push(format!("items[{i}].price"), "must not be negative");
        } else if let Err(e) = check_decimals(item.price, currency) {
            v.push(format!("items[{i}].price"), money_rule(&e));
        }
        if let Some(url) = &item.url {
            check_url(v, &format!("items[{i}].url"), url);
        }
    }
}

fn check_channel_properties(v: &mut Violations, cp: &ChannelProperties) {
    let Some(cards) = &cp.cards else { return };
    if let Some(bins) = &cards.allowed_bins {
        for (i, bin) in bins.iter().enumerate() {
            let ok = matches!(bin.len(), 6 | 8) && bin.chars().all(|c| c.is_ascii_digit());
            if !ok {
                v.push(
                    format!("channel_properties.cards.allowed_bins[{i}]"),
                    format!("must be 6 or 8 digits, got `{bin}`"),
                );
            }
        }
    }
    if let Some(terms) = cards
        .installment_configuration
        .as_ref()
        .and_then(|c| c.allowed_terms.as_ref())
    {
        for (i, t) in terms.iter().enumerate() {
            let base =
                format!("channel_properties.cards.installment_configuration.allowed_terms[{i}]");
            check_not_blank(v, &format!("{base}.issuer"), &t.issuer);
            if t.terms.is_empty() {
                v.push(format!("{base}.terms"), "must not be empty");
            }
            if t.terms.contains(&0) {
                v.push(format!("{base}.terms"), "must all be greater than 0");
            }
        }
    }
}

fn check_metadata(v: &mut Violations, m: &Metadata) {
    if m.len() > MAX_METADATA_KEYS {
        v.push(
            "metadata",
            format!(
                "must have at most {MAX_METADATA_KEYS} keys, got {}",
                m.len()
            ),
        );
    }
    for (key, value) in m {
        let key_chars = key.chars().count();
        if key_chars > MAX_METADATA_KEY_CHARS {
            v.push(
                format!("metadata.{key}"),
                format!("key must be at most {MAX_METADATA_KEY_CHARS} characters, got {key_chars}"),
            );
        }
        if key.is_empty() {
            v.push("metadata", "keys must not be empty");
        }
        let value_chars = match value {
            Value::String(s) => s.chars().count(),
            other => other.to_string().chars().count(),
        };
        if value_chars > MAX_METADATA_VALUE_CHARS {
            v.push(
                format!("metadata.{key}"),
                format!(
                    "value must be at most {MAX_METADATA_VALUE_CHARS} characters, got {value_chars}"
                ),
            );
        }
    }
}

/// Reads a count of seconds written as `86400`, `86400.0` or `"86400"` (the older OpenAPI file
/// types `invoice_duration` as a string).
mod lenient_seconds {
    use rust_decimal::prelude::ToPrimitive;
    use rust_decimal::Decimal;
    use serde::de::Error;
    use serde::Deserializer;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
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

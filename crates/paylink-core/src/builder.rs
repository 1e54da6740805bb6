//! `CreateInvoiceBuilder`: a create request built field by field, validated once at `build`
//! with every violation reported.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::codes::ChannelCode;
use crate::money::{AmountLimits, Currency};
use crate::request::{
    ChannelProperties, CreateInvoiceFields, CreateInvoiceRequest, Customer, InvoiceFee,
    InvoiceItem, Metadata, NotificationPreference,
};
use crate::validate::ValidationErrors;

/// Builds a [`CreateInvoiceRequest`]; see [`CreateInvoiceRequest::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CreateInvoiceBuilder {
    fields: CreateInvoiceFields,
    limits: AmountLimits,
}

impl CreateInvoiceBuilder {
    /// The builder [`CreateInvoiceRequest::builder`] returns.
    pub(crate) fn new(external_id: impl Into<String>, amount: Decimal, currency: Currency) -> Self {
        let mut fields = CreateInvoiceFields::new(external_id, amount);
        fields.currency = Some(currency);
        CreateInvoiceBuilder {
            fields,
            limits: AmountLimits::xendit(),
        }
    }
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

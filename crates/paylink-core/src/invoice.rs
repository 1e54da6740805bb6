//! The invoice (payment link) as Xendit returns it from create, get, list and expire, parsed
//! leniently: unknown fields are kept in `extra` and written back, missing arrays read as empty,
//! and open-ended codes keep values paylink does not know.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::codes::{
    BankCode, ChannelCode, DirectDebitType, EwalletType, InvoiceStatus, PaylaterType,
    PaymentMethod, QrCodeType, RetailOutletName,
};
use crate::money::Currency;
use crate::request::{
    ChannelProperties, Customer, InvoiceFee, InvoiceItem, Metadata, NotificationPreference,
};

/// RFC 3339 timestamps with exactly three fractional digits and `Z`, as Xendit writes them
/// (`2023-08-22T05:48:51.105Z`). Reading accepts any RFC 3339 form.
pub mod timestamp {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, UtcOffset};

    /// Why a timestamp was refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    #[non_exhaustive]
    pub enum TimestampError {
        /// The text is not an RFC 3339 timestamp.
        #[error("{0}")]
        Syntax(time::error::Parse),
        /// The time falls outside the years 0000 to 9999 once moved to UTC
        /// (`9999-12-31T23:59:59-01:00`), so it could not be written back the way Xendit
        /// writes times.
        #[error("the time is outside the years 0000 to 9999 in UTC")]
        OutOfRange,
    }

    /// Formats a timestamp the way Xendit does. A time outside the years 0000 to 9999 in UTC,
    /// which RFC 3339 cannot write and [`parse`] never returns, is written as its Unix time.
    pub fn format(t: OffsetDateTime) -> String {
        match utc_text(t) {
            Some(text) => text.iter().copied().map(char::from).collect(),
            None => t.unix_timestamp().to_string(),
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, for a time in the years 0000 to 9999 in UTC: the
    /// digits written straight into a buffer, as `format!("{:04}-{:02}-...")` would write them
    /// but without its formatting machinery (three timestamps per invoice answer).
    fn utc_text(t: OffsetDateTime) -> Option<[u8; 24]> {
        let t = t
            .checked_to_offset(UtcOffset::UTC)
            .filter(|t| (0..=9999).contains(&t.year()))?;
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let fields = [
            (0..4, u32::try_from(t.year()).ok()?),
            (5..7, u32::from(u8::from(t.month()))),
            (8..10, u32::from(t.day())),
            (11..13, u32::from(t.hour())),
            (14..16, u32::from(t.minute())),
            (17..19, u32::from(t.second())),
            (20..23, u32::from(t.millisecond())),
        ];
        for (range, mut n) in fields {
            for digit in text[range].iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        Some(text)
    }

    /// Parses an RFC 3339 timestamp (`Z` or an offset, any precision) whose time in UTC falls
    /// in the years 0000 to 9999, so [`format()`] writes it back.
    ///
    /// # Errors
    /// [`TimestampError::Syntax`] with the parser's message when `s` is not RFC 3339;
    /// [`TimestampError::OutOfRange`] for a time outside those years in UTC.
    pub fn parse(s: &str) -> Result<OffsetDateTime, TimestampError> {
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(TimestampError::Syntax)?;
        match t.checked_to_offset(UtcOffset::UTC) {
            Some(utc) if (0..=9999).contains(&utc.year()) => Ok(t),
            _ => Err(TimestampError::OutOfRange),
        }
    }

    /// Serde `serialize_with` for a timestamp.
    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        match utc_text(*t) {
            // The text is ASCII digits and separators.
            Some(text) => s.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
            None => s.serialize_str(&format(*t)),
        }
    }

    /// Serde `deserialize_with` for a timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        parse(&s).map_err(|e| serde::de::Error::custom(format!("invalid timestamp `{s}`: {e}")))
    }

    /// The same for optional timestamps.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        /// Serde `serialize_with` for an optional timestamp.
        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        /// Serde `deserialize_with` for an optional timestamp.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            match Option::<std::borrow::Cow<'de, str>>::deserialize(d)? {
                Some(s) => super::parse(&s)
                    .map(Some)
                    .map_err(|e| serde::de::Error::custom(format!("invalid timestamp `{s}`: {e}"))),
                None => Ok(None),
            }
        }
    }
}

crate::object_only::serde_object_only!(
    AvailableEwallet,
    AvailableQrCode,
    AvailableDirectDebit,
    AvailablePaylater,
    PaymentDetails,
);

/// One entry of `available_banks`: a virtual account the buyer can transfer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableBank {
    /// Bank.
    pub bank_code: BankCode,
    /// `POOL` and the like.
    pub collection_type: String,
    /// Amount to transfer.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json_amount::lenient::option"
    )]
    pub transfer_amount: Option<Decimal>,
    /// `Virtual Account`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_branch: Option<String>,
    /// The virtual account number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account_number: Option<String>,
    /// Account holder shown to the buyer.
    pub account_holder_name: String,
    /// Alternative displays (`{type, value}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative_displays: Option<Vec<Value>>,
    /// Fields paylink does not model (such as `identity_amount`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `available_retail_outlets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableRetailOutlet {
    /// Outlet.
    pub retail_outlet_name: RetailOutletName,
    /// Payment code (being deprecated by Xendit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_code: Option<String>,
    /// Amount to pay.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json_amount::lenient::option"
    )]
    pub transfer_amount: Option<Decimal>,
    /// Merchant name shown at the counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<String>,
    /// Fields paylink does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `available_ewallets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AvailableEwallet {
    /// E-wallet.
    pub ewallet_type: EwalletType,
}

/// One entry of `available_qr_codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AvailableQrCode {
    /// QR scheme.
    pub qr_code_type: QrCodeType,
}

/// One entry of `available_direct_debits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AvailableDirectDebit {
    /// Direct debit channel.
    pub direct_debit_type: DirectDebitType,
}

/// One entry of `available_paylaters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AvailablePaylater {
    /// Pay-later provider.
    pub paylater_type: PaylaterType,
    /// Whether it is hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_exclude: Option<bool>,
}

/// `payment_details` of a QR payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct PaymentDetails {
    /// Receipt id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    /// Source (the payer's app or bank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An invoice (payment link): every field of Xendit's response, with the paid fields that
/// appear after payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// 24-hex id.
    pub id: String,
    /// The merchant's reference.
    pub external_id: String,
    /// Xendit business id.
    pub user_id: String,
    /// Status.
    pub status: InvoiceStatus,
    /// Merchant name.
    pub merchant_name: String,
    /// Merchant logo.
    #[serde(default)]
    pub merchant_profile_picture_url: String,
    /// Amount.
    #[serde(with = "crate::json_amount::lenient")]
    pub amount: Decimal,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Payer e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_email: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the link expires.
    #[serde(with = "timestamp")]
    pub expiry_date: OffsetDateTime,
    /// The hosted checkout page.
    pub invoice_url: String,
    /// Virtual accounts offered.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_banks: Vec<AvailableBank>,
    /// Retail outlets offered.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_retail_outlets: Vec<AvailableRetailOutlet>,
    /// E-wallets offered.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_ewallets: Vec<AvailableEwallet>,
    /// QR codes offered.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_qr_codes: Vec<AvailableQrCode>,
    /// Direct debits offered.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_direct_debits: Vec<AvailableDirectDebit>,
    /// Pay-later providers offered.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_paylaters: Vec<AvailablePaylater>,
    /// Whether cards are hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_exclude_credit_card: Option<bool>,
    /// Whether Xendit e-mails the payer.
    #[serde(default)]
    pub should_send_email: bool,
    /// Creation time.
    #[serde(with = "timestamp")]
    pub created: OffsetDateTime,
    /// Last change.
    #[serde(with = "timestamp")]
    pub updated: OffsetDateTime,
    /// Success redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_redirect_url: Option<String>,
    /// Failure redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_redirect_url: Option<String>,
    /// Card 3-D Secure setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_authenticate_credit_card: Option<bool>,
    /// Locale of the checkout page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Line items.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub items: Vec<InvoiceItem>,
    /// Fees.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub fees: Vec<InvoiceFee>,
    /// Legacy fixed-VA flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_va: Option<bool>,
    /// When the reminder goes out.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::option"
    )]
    pub reminder_date: Option<OffsetDateTime>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Customer notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_notification_preference: Option<NotificationPreference>,
    /// Channel settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_properties: Option<ChannelProperties>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Card MID label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid_label: Option<String>,

    /// When it was paid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::option"
    )]
    pub paid_at: Option<OffsetDateTime>,
    /// Amount paid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json_amount::lenient::option"
    )]
    pub paid_amount: Option<Decimal>,
    /// Family of the channel paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// Channel paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_channel: Option<ChannelCode>,
    /// VA number or retail payment code paid to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_destination: Option<String>,
    /// QR payment details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_details: Option<PaymentDetails>,
    /// Payment id (`ewc_...`, `qrpy_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// Bank of a virtual-account payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<BankCode>,
    /// E-wallet of an e-wallet payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ewallet_type: Option<EwalletType>,
    /// Card charge id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_card_charge_id: Option<String>,
    /// Recurring payment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_payment_id: Option<String>,
    /// Amount received after adjustments.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json_amount::lenient::option"
    )]
    pub adjusted_received_amount: Option<Decimal>,

    /// Fields paylink does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reads a missing or `null` array as empty.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl Invoice {
    /// Whether no further change can happen to this link (EXPIRED or SETTLED).
    pub fn is_terminal(&self) -> bool {
        matches!(self.status, InvoiceStatus::Expired | InvoiceStatus::Settled)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::{OffsetDateTime, UtcOffset};

    use super::timestamp;

    /// What `timestamp::format` wrote with `format!`, the reference for the digits it writes now.
    fn reference(t: OffsetDateTime) -> String {
        let Some(t) = t
            .checked_to_offset(UtcOffset::UTC)
            .filter(|t| (0..=9999).contains(&t.year()))
        else {
            return t.unix_timestamp().to_string();
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }

    proptest! {
        #[test]
        fn timestamps_are_written_as_format_wrote_them(
            seconds in OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT).unix_timestamp()
                ..=OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT).unix_timestamp(),
            nanos in 0..1_000_000_000_i64,
            offset in -86_399..=86_399_i32,
        ) {
            let t = OffsetDateTime::from_unix_timestamp(seconds)
                .expect("in range")
                .replace_nanosecond(u32::try_from(nanos).expect("below a second"))
                .expect("valid nanosecond");
            let offset = UtcOffset::from_whole_seconds(offset).expect("valid offset");
            let Some(t) = t.checked_to_offset(offset) else { return Ok(()) };
            prop_assert_eq!(timestamp::format(t), reference(t));
            let written = serde_json::to_string(&Stamp(t)).expect("serializes");
            prop_assert_eq!(written, serde_json::to_string(&reference(t)).expect("a string"));
        }
    }

    #[derive(serde::Serialize)]
    struct Stamp(#[serde(with = "timestamp")] OffsetDateTime);

    #[test]
    fn the_edges_of_the_years_0000_to_9999_are_written_as_format_wrote_them() {
        for t in [
            time::macros::datetime!(0000-01-01 00:00:00 UTC),
            time::macros::datetime!(9999-12-31 23:59:59.999999999 UTC),
            time::macros::datetime!(9999-12-31 23:00:00 -05:00),
            time::macros::datetime!(0000-01-01 01:00:00 +05:00),
            time::macros::datetime!(2024-11-28 06:40:26.105 UTC),
        ] {
            assert_eq!(timestamp::format(t), reference(t));
        }
    }
}

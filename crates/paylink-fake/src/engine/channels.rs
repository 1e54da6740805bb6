//! Xendit's server-side checks on a create request (amount limits, payment methods against the
//! currency and the merchant's enabled channels) and the `available_*` arrays derived from them.

use std::collections::BTreeMap;

use paylink_core::CHANNELS;
use paylink_core::{
    ApiError, AvailableBank, AvailableDirectDebit, AvailableEwallet, AvailablePaylater,
    AvailableQrCode, AvailableRetailOutlet, BankCode, ChannelCode, ChannelFamily,
    CreateInvoiceFields, Currency, DirectDebitType, EwalletType, PaylaterType, QrCodeType,
    RetailOutletName,
};
use rust_decimal::Decimal;
use serde_json::Value;

/// The ceiling Xendit applies to IDR invoices that offer retail outlets.
pub const RETAIL_OUTLET_MAX_IDR: i64 = 5_000_000;

/// The default channel set: every channel of the core's table, enabled for each currency it
/// serves.
pub(crate) fn all_channels() -> BTreeMap<Currency, Vec<ChannelCode>> {
    let mut out: BTreeMap<Currency, Vec<ChannelCode>> = BTreeMap::new();
    for (code, _, currencies) in CHANNELS {
        for c in *currencies {
            out.entry(*c).or_default().push(ChannelCode::from(*code));
        }
    }
    out
}

/// An amount as Xendit's messages write it (`10,000`).
fn group(amount: Decimal) -> String {
    paylink_core::group_thousands(amount, ',', '.')
}

/// The channels an invoice offers after the server-side checks, in the order Xendit lists them.
pub(crate) fn check_and_offer(
    fields: &CreateInvoiceFields,
    enabled: &BTreeMap<Currency, Vec<ChannelCode>>,
    limits: &paylink_core::AmountLimits,
) -> Result<Vec<ChannelCode>, ApiError> {
    let currency = fields.effective_currency();
    let amount = fields.amount;
    if let Some(range) = limits.range(currency) {
        if amount < range.min {
            return Err(ApiError::new(
                400,
                "MINIMAL_TRANSFER_AMOUNT_ERROR",
                format!(
                    "The minimum amount for using this payment is {currency} {}",
                    group(range.min)
                ),
            ));
        }
        if amount > range.max {
            return Err(maximum(currency, range.max));
        }
    }
    let none = Vec::new();
    let merchant = enabled.get(&currency).unwrap_or(&none);
    let offered: Vec<ChannelCode> = match &fields.payment_methods {
        Some(methods) => {
            for m in methods {
                if m.family().is_none() {
                    return Err(unavailable());
                }
                if !m.currencies().contains(&currency) {
                    return Err(ApiError::new(
                        400,
                        "UNSUPPORTED_CURRENCY",
                        "The payment currency request is not supported for this payment channel",
                    ));
                }
                if !merchant.contains(m) {
                    return Err(unavailable());
                }
            }
            methods.clone()
        }
        None => merchant.clone(),
    };
    if offered.is_empty() {
        return Err(ApiError::new(
            400,
            "NO_COLLECTION_METHODS_ERROR",
            "Could not create invoice without any active payment channels",
        ));
    }
    let ceiling = Decimal::from(RETAIL_OUTLET_MAX_IDR);
    if currency == Currency::Idr
        && amount > ceiling
        && offered
            .iter()
            .any(|c| c.family() == Some(ChannelFamily::RetailOutlet))
    {
        return Err(maximum(currency, ceiling));
    }
    Ok(offered)
}

fn maximum(currency: Currency, max: Decimal) -> ApiError {
    ApiError::new(
        400,
        "MAXIMUM_TRANSFER_AMOUNT_ERROR",
        format!(
            "The maximum amount for using this payment is {currency} {}",
            group(max)
        ),
    )
}

fn unavailable() -> ApiError {
    ApiError::new(
        400,
        "UNAVAILABLE_PAYMENT_METHOD_ERROR",
        "The payment method choices did not match with the available one on this business",
    )
}

/// The `available_*` arrays and `should_exclude_credit_card` of an invoice.
#[derive(Debug, Default)]
pub(crate) struct Offer {
    pub(crate) banks: Vec<AvailableBank>,
    pub(crate) retail_outlets: Vec<AvailableRetailOutlet>,
    pub(crate) ewallets: Vec<AvailableEwallet>,
    pub(crate) qr_codes: Vec<AvailableQrCode>,
    pub(crate) direct_debits: Vec<AvailableDirectDebit>,
    pub(crate) paylaters: Vec<AvailablePaylater>,
    pub(crate) card: bool,
}

pub(crate) fn offer(channels: &[ChannelCode], amount: Decimal, holder: &str) -> Offer {
    let mut o = Offer::default();
    for c in channels {
        let code = c.as_str();
        match c.family() {
            Some(ChannelFamily::VirtualAccount) => {
                let mut extra = serde_json::Map::new();
                extra.insert("identity_amount".into(), Value::from(0));
                o.banks.push(AvailableBank {
                    bank_code: BankCode::from(code),
                    collection_type: "POOL".into(),
                    transfer_amount: Some(amount),
                    bank_branch: Some("Virtual Account".into()),
                    bank_account_number: None,
                    account_holder_name: holder.to_uppercase(),
                    alternative_displays: None,
                    extra,
                });
            }
            Some(ChannelFamily::RetailOutlet) => o.retail_outlets.push(AvailableRetailOutlet {
                retail_outlet_name: RetailOutletName::from(code),
                payment_code: None,
                transfer_amount: None,
                merchant_name: None,
                extra: serde_json::Map::new(),
            }),
            Some(ChannelFamily::Ewallet) => o.ewallets.push(AvailableEwallet {
                ewallet_type: EwalletType::from(code),
            }),
            Some(ChannelFamily::QrCode) => o.qr_codes.push(AvailableQrCode {
                qr_code_type: QrCodeType::from(code),
            }),
            Some(ChannelFamily::DirectDebit) => o.direct_debits.push(AvailableDirectDebit {
                direct_debit_type: DirectDebitType::from(code),
            }),
            Some(ChannelFamily::Paylater) => o.paylaters.push(AvailablePaylater {
                paylater_type: PaylaterType::from(code),
                should_exclude: None,
            }),
            Some(ChannelFamily::Card) => o.card = true,
            _ => {}
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(group(Decimal::from(5_000_000)), "5,000,000");
        assert_eq!(group(Decimal::from(10_000)), "10,000");
        assert_eq!(group(Decimal::from(999)), "999");
        assert_eq!(group(Decimal::new(1, 2)), "0.01");
    }
}

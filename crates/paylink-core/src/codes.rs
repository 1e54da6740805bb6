//! Xendit's open-ended code lists: statuses, payment methods, channels and the `available_*`
//! enums. Each keeps a value it does not know in `Unknown`, so a code Xendit adds later never
//! makes parsing fail, and it is written back unchanged.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $text, "`")] $variant, )+
            /// A value this version of paylink does not know, kept as Xendit sent it.
            Unknown(String),
        }

        impl $name {
            /// Every known value, in Xendit's order.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The wire text of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Unknown(s) => s.as_str(),
                }
            }

            /// Whether this value is one paylink knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $text => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

open_enum! {
    /// The status of an invoice (payment link).
    InvoiceStatus {
        Pending = "PENDING",
        Paid = "PAID",
        Settled = "SETTLED",
        Expired = "EXPIRED",
    }
}

open_enum! {
    /// `payment_method` of a paid invoice: the family of the channel used.
    PaymentMethod {
        Pool = "POOL",
        CallbackVirtualAccount = "CALLBACK_VIRTUAL_ACCOUNT",
        CreditCard = "CREDIT_CARD",
        RetailOutlet = "RETAIL_OUTLET",
        QrCode = "QR_CODE",
        Qris = "QRIS",
        Ewallet = "EWALLET",
        DirectDebit = "DIRECT_DEBIT",
        BankTransfer = "BANK_TRANSFER",
        Paylater = "PAYLATER",
        Cryptocurrency = "CRYPTOCURRENCY",
    }
}

open_enum! {
    /// `available_banks[].bank_code`, and `bank_code` of a paid virtual-account invoice.
    BankCode {
        Bca = "BCA", Bni = "BNI", Bri = "BRI", Mandiri = "MANDIRI", Permata = "PERMATA",
        Bsi = "BSI", Bjb = "BJB", SahabatSampoerna = "SAHABAT_SAMPOERNA", Cimb = "CIMB",
        Vietcapital = "VIETCAPITAL", Woori = "WOORI", Pv = "PV", Msb = "MSB", Vpb = "VPB",
        Bidv = "BIDV", Cake = "CAKE", Bnc = "BNC", Hana = "HANA", Muamalat = "MUAMALAT",
    }
}

open_enum! {
    /// `available_retail_outlets[].retail_outlet_name`.
    RetailOutletName {
        Alfamart = "ALFAMART", Indomaret = "INDOMARET", SevenEleven = "7ELEVEN",
        Cebuana = "CEBUANA", DpEcpayLoan = "DP_ECPAY_LOAN", DpMlhuillier = "DP_MLHUILLIER",
        DpPalawan = "DP_PALAWAN", DpEcpaySchool = "DP_ECPAY_SCHOOL", Lbc = "LBC",
    }
}

open_enum! {
    /// `available_ewallets[].ewallet_type`, and `ewallet_type` of a paid e-wallet invoice.
    EwalletType {
        Ovo = "OVO", Gopay = "GOPAY", Dana = "DANA", Linkaja = "LINKAJA", Paymaya = "PAYMAYA",
        Shopeepay = "SHOPEEPAY", Gcash = "GCASH", Grabpay = "GRABPAY", Astrapay = "ASTRAPAY",
        Nexcash = "NEXCASH", Jeniuspay = "JENIUSPAY", Momo = "MOMO", Zalopay = "ZALOPAY",
        Viettelpay = "VIETTELPAY", Vnptwallet = "VNPTWALLET", Appota = "APPOTA",
        Linepay = "LINEPAY", Truemoney = "TRUEMONEY", Wechatpay = "WECHATPAY",
        Touchngo = "TOUCHNGO",
    }
}

open_enum! {
    /// `available_qr_codes[].qr_code_type`.
    QrCodeType {
        Qris = "QRIS", Promptpay = "PROMPTPAY", Qrph = "QRPH",
    }
}

open_enum! {
    /// `available_direct_debits[].direct_debit_type`.
    DirectDebitType {
        BaBri = "BA_BRI", DcBri = "DC_BRI", DdBri = "DD_BRI", DdMandiri = "DD_MANDIRI",
        BaBpi = "BA_BPI", DcBpi = "DC_BPI", DdBpi = "DD_BPI", BaUbp = "BA_UBP", DcUbp = "DC_UBP",
        DdUbp = "DD_UBP", BcaKlikpay = "BCA_KLIKPAY", BaBcaKlikpay = "BA_BCA_KLIKPAY",
        DcBcaKlikpay = "DC_BCA_KLIKPAY", DdBcaKlikpay = "DD_BCA_KLIKPAY",
        DdBdoEpay = "DD_BDO_EPAY", DdRcbc = "DD_RCBC", DdChinabank = "DD_CHINABANK",
        BaChinabank = "BA_CHINABANK", DcChinabank = "DC_CHINABANK",
    }
}

open_enum! {
    /// `available_paylaters[].paylater_type`.
    PaylaterType {
        Kredivo = "KREDIVO", Akulaku = "AKULAKU", Uangme = "UANGME", Billease = "BILLEASE",
        Cashalo = "CASHALO", Atome = "ATOME",
    }
}

open_enum! {
    /// `client_types` list filter: where an invoice was created.
    ClientType {
        Dashboard = "DASHBOARD", ApiGateway = "API_GATEWAY", Integration = "INTEGRATION",
        OnDemand = "ON_DEMAND", Recurring = "RECURRING", Mobile = "MOBILE",
    }
}

open_enum! {
    /// A channel of `customer_notification_preference` (lower-case on the wire).
    NotificationChannel {
        Email = "email", Sms = "sms", Whatsapp = "whatsapp", Viber = "viber",
    }
}

/// The payment family a channel code belongs to, which decides the `available_*` list it
/// appears in and the paid fields a payment through it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChannelFamily {
    /// Virtual account (`available_banks`, paid as `BANK_TRANSFER`).
    VirtualAccount,
    /// Retail outlet payment code (`available_retail_outlets`).
    RetailOutlet,
    /// E-wallet (`available_ewallets`).
    Ewallet,
    /// QR code (`available_qr_codes`, paid as `QR_CODE`).
    QrCode,
    /// Direct debit and online banking (`available_direct_debits`).
    DirectDebit,
    /// Pay-later (`available_paylaters`).
    Paylater,
    /// Cards.
    Card,
}

impl ChannelFamily {
    /// The `payment_method` a payment in this family reports.
    pub fn payment_method(self) -> PaymentMethod {
        match self {
            ChannelFamily::VirtualAccount => PaymentMethod::BankTransfer,
            ChannelFamily::RetailOutlet => PaymentMethod::RetailOutlet,
            ChannelFamily::Ewallet => PaymentMethod::Ewallet,
            ChannelFamily::QrCode => PaymentMethod::QrCode,
            ChannelFamily::DirectDebit => PaymentMethod::DirectDebit,
            ChannelFamily::Paylater => PaymentMethod::Paylater,
            ChannelFamily::Card => PaymentMethod::CreditCard,
        }
    }

    /// The family of a `payment_method`, when it names one.
    pub fn of_method(method: &PaymentMethod) -> Option<ChannelFamily> {
        Some(match method {
            PaymentMethod::Pool
            | PaymentMethod::CallbackVirtualAccount
            | PaymentMethod::BankTransfer => ChannelFamily::VirtualAccount,
            PaymentMethod::CreditCard => ChannelFamily::Card,
            PaymentMethod::RetailOutlet => ChannelFamily::RetailOutlet,
            PaymentMethod::QrCode | PaymentMethod::Qris => ChannelFamily::QrCode,
            PaymentMethod::Ewallet => ChannelFamily::Ewallet,
            PaymentMethod::DirectDebit => ChannelFamily::DirectDebit,
            PaymentMethod::Paylater => ChannelFamily::Paylater,
            _ => return None,
        })
    }
}

/// A channel code as used in `payment_methods` of a create request and `payment_channel` of a
/// paid invoice (`"BNI"`, `"DANA"`, `"QRIS"`, `"CREDIT_CARD"`...). Any text is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelCode(String);

impl ChannelCode {
    /// A channel code from its wire text.
    pub fn new(code: impl Into<String>) -> Self {
        ChannelCode(code.into())
    }

    /// The wire text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family of a channel Xendit documents for payment links, or `None` for a code
    /// paylink does not know.
    pub fn family(&self) -> Option<ChannelFamily> {
        channel_info(&self.0).map(|(family, _)| family)
    }

    /// The currencies a known channel serves.
    pub fn currencies(&self) -> &'static [crate::Currency] {
        channel_info(&self.0).map_or(&[], |(_, c)| c)
    }
}

impl fmt::Display for ChannelCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ChannelCode {
    fn from(s: &str) -> Self {
        ChannelCode::new(s)
    }
}

use crate::Currency::{self, Idr, Myr, Php, Thb, Usd, Vnd};

/// Channel codes for payment links with their family and currencies (spec section 6.3).
pub const CHANNELS: &[(&str, ChannelFamily, &[Currency])] = {
    use ChannelFamily::*;
    &[
        ("CREDIT_CARD", Card, &[Idr, Php, Thb, Vnd, Myr, Usd]),
        ("BCA", VirtualAccount, &[Idr]),
        ("BNI", VirtualAccount, &[Idr]),
        ("BSI", VirtualAccount, &[Idr]),
        ("BRI", VirtualAccount, &[Idr]),
        ("MANDIRI", VirtualAccount, &[Idr]),
        ("PERMATA", VirtualAccount, &[Idr]),
        ("SAHABAT_SAMPOERNA", VirtualAccount, &[Idr]),
        ("BNC", VirtualAccount, &[Idr]),
        ("BJB", VirtualAccount, &[Idr]),
        ("CIMB", VirtualAccount, &[Idr]),
        ("ALFAMART", RetailOutlet, &[Idr]),
        ("INDOMARET", RetailOutlet, &[Idr]),
        ("OVO", Ewallet, &[Idr]),
        ("DANA", Ewallet, &[Idr]),
        ("SHOPEEPAY", Ewallet, &[Idr, Php, Thb, Vnd]),
        ("LINKAJA", Ewallet, &[Idr]),
        ("JENIUSPAY", Ewallet, &[Idr]),
        ("ASTRAPAY", Ewallet, &[Idr]),
        ("NEXCASH", Ewallet, &[Idr]),
        ("DD_BRI", DirectDebit, &[Idr]),
        ("DD_MANDIRI", DirectDebit, &[Idr]),
        ("DD_BCA_KLIKPAY", DirectDebit, &[Idr]),
        ("KREDIVO", Paylater, &[Idr]),
        ("AKULAKU", Paylater, &[Idr]),
        ("UANGME", Paylater, &[Idr]),
        ("ATOME", Paylater, &[Idr, Php]),
        ("QRIS", QrCode, &[Idr]),
        ("7ELEVEN", RetailOutlet, &[Php]),
        ("CEBUANA", RetailOutlet, &[Php]),
        ("DP_MLHUILLIER", RetailOutlet, &[Php]),
        ("DP_PALAWAN", RetailOutlet, &[Php]),
        ("DP_ECPAY_LOAN", RetailOutlet, &[Php]),
        ("DD_BPI", DirectDebit, &[Php]),
        ("DD_UBP", DirectDebit, &[Php]),
        ("DD_RCBC", DirectDebit, &[Php]),
        ("DD_BDO_EPAY", DirectDebit, &[Php]),
        ("PAYMAYA", Ewallet, &[Php]),
        ("GRABPAY", Ewallet, &[Php]),
        ("GCASH", Ewallet, &[Php]),
        ("BILLEASE", Paylater, &[Php]),
        ("CASHALO", Paylater, &[Php]),
        ("QRPH", QrCode, &[Php]),
        ("BDO_ONLINE_BANKING", DirectDebit, &[Php]),
        ("BPI_ONLINE_BANKING", DirectDebit, &[Php]),
        ("UNIONBANK_ONILNE_BANKING", DirectDebit, &[Php]),
        ("BOC_ONLINE_BANKING", DirectDebit, &[Php]),
        ("CHINABANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("INSTAPAY_ONLINE_BANKING", DirectDebit, &[Php]),
        ("LANDBANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("MAYBANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("METROBANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("PNB_ONLINE_BANKING", DirectDebit, &[Php]),
        ("PSBANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("PESONET_ONLINE_BANKING", DirectDebit, &[Php]),
        ("RCBC_ONLINE_BANKING", DirectDebit, &[Php]),
        ("ROBINSONS_BANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("SECURITY_BANK_ONLINE_BANKING", DirectDebit, &[Php]),
        ("PROMPTPAY", QrCode, &[Thb]),
        ("LINEPAY", Ewallet, &[Thb]),
        ("WECHATPAY", Ewallet, &[Thb, Myr]),
        ("TRUEMONEY", Ewallet, &[Thb]),
        ("DD_SCB_MB", DirectDebit, &[Thb]),
        ("DD_BBL_MB", DirectDebit, &[Thb]),
        ("DD_KTB_MB", DirectDebit, &[Thb]),
        ("DD_BAY_MB", DirectDebit, &[Thb]),
        ("DD_KBANK_MB", DirectDebit, &[Thb]),
        ("APPOTA", Ewallet, &[Vnd]),
        ("ZALOPAY", Ewallet, &[Vnd]),
        ("VNPTWALLET", Ewallet, &[Vnd]),
        ("VIETTELPAY", Ewallet, &[Vnd]),
        ("WOORI", VirtualAccount, &[Vnd]),
        ("VIETCAPITAL", VirtualAccount, &[Vnd]),
        ("VPB", VirtualAccount, &[Vnd]),
        ("BIDV", VirtualAccount, &[Vnd]),
        ("TOUCHNGO", Ewallet, &[Myr]),
        ("DD_PUBLIC_FPX", DirectDebit, &[Myr]),
        ("DD_MAYB2U_FPX", DirectDebit, &[Myr]),
        ("DD_CIMB_FPX", DirectDebit, &[Myr]),
        ("DD_CIMB_FPX_BUSINESS", DirectDebit, &[Myr]),
    ]
};

fn channel_info(code: &str) -> Option<(ChannelFamily, &'static [Currency])> {
    if let Some((_, family, currencies)) = CHANNELS.iter().find(|(c, _, _)| *c == code) {
        return Some((*family, currencies));
    }
    // The Malaysian FPX list is long and regular.
    if code.starts_with("DD_") && (code.ends_with("_FPX") || code.ends_with("_FPX_BUSINESS")) {
        return Some((ChannelFamily::DirectDebit, &[Myr]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_status_is_kept_and_written_back() {
        let s: InvoiceStatus = serde_json::from_str("\"REFUNDED\"").expect("any string parses");
        assert_eq!(s, InvoiceStatus::Unknown("REFUNDED".into()));
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"REFUNDED\"")
        );
    }

    #[test]
    fn known_values_round_trip_through_their_text() {
        for m in PaymentMethod::KNOWN {
            assert_eq!(&PaymentMethod::from(m.as_str()), m);
        }
        for b in BankCode::KNOWN {
            assert_eq!(&BankCode::from(b.as_str()), b);
        }
    }

    #[test]
    fn channels_know_their_family() {
        assert_eq!(
            ChannelCode::from("BNI").family(),
            Some(ChannelFamily::VirtualAccount)
        );
        assert_eq!(
            ChannelCode::from("DANA").family(),
            Some(ChannelFamily::Ewallet)
        );
        assert_eq!(
            ChannelCode::from("DD_RHB_FPX").family(),
            Some(ChannelFamily::DirectDebit)
        );
        assert_eq!(ChannelCode::from("NOPE").family(), None);
    }
}

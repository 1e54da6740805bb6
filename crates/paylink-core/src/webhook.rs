//! Invoice callbacks (webhooks): constant-time verification of the `x-callback-token` header,
//! and parsing of the body into a typed event. The two are separate steps, so an application
//! can verify on receipt and parse later.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::codes::{
    BankCode, ChannelCode, ChannelFamily, EwalletType, InvoiceStatus, PaymentMethod,
};
use crate::invoice::{timestamp, PaymentDetails};
use crate::lifecycle::{reconcile, LinkState, Reconciled};
use crate::money::{check_decimals, Currency};
use crate::request::{InvoiceFee, InvoiceItem};

/// The header that carries the account's callback verification token.
pub const CALLBACK_TOKEN_HEADER: &str = "x-callback-token";

/// The account's webhook verification token. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct CallbackToken(String);

/// A callback token that cannot be used: empty or only whitespace. Such a token would accept
/// a forged webhook that sends an empty `x-callback-token` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the callback token must not be empty or only whitespace")]
pub struct BlankToken;

impl CallbackToken {
    /// The account's token, as Xendit's dashboard shows it.
    ///
    /// # Errors
    /// [`BlankToken`] when it is empty or only whitespace.
    pub fn new(token: impl Into<String>) -> Result<Self, BlankToken> {
        let token = token.into();
        if token.trim().is_empty() {
            return Err(BlankToken);
        }
        Ok(CallbackToken(token))
    }

    /// A token written in the source, such as a test's.
    ///
    /// # Panics
    /// When `token` is empty or only whitespace: a literal that is blank is a mistake in the
    /// program, as with `HeaderValue::from_static`.
    pub fn from_static(token: &'static str) -> Self {
        match CallbackToken::new(token) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The token itself, for sending it (as the sandbox does).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks the header value against this token in constant time (a header of another
    /// length is refused at once, which reveals only the length).
    ///
    /// # Errors
    /// [`WebhookError::MissingToken`] when there is no header or it is empty,
    /// [`WebhookError::TokenMismatch`] when it differs.
    pub fn verify(&self, header: Option<&[u8]>) -> Result<(), WebhookError> {
        let Some(given) = header.filter(|h| !h.is_empty()) else {
            return Err(WebhookError::MissingToken);
        };
        // `ct_eq` on slices of different lengths returns false without comparing, which
        // reveals only the length.
        if bool::from(self.0.as_bytes().ct_eq(given)) {
            Ok(())
        } else {
            Err(WebhookError::TokenMismatch)
        }
    }
}

impl std::str::FromStr for CallbackToken {
    type Err = BlankToken;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CallbackToken::new(s)
    }
}

impl fmt::Debug for CallbackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackToken(<redacted>)")
    }
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No `x-callback-token` header.
    #[error("missing x-callback-token header")]
    MissingToken,
    /// The header does not match the configured token.
    #[error("x-callback-token does not match the configured token")]
    TokenMismatch,
    /// The body is not a valid invoice callback.
    #[error("invalid callback body at {path}: {message}")]
    Body {
        /// JSON path of the problem (`$`, `$.amount`, `$.items[0].price`).
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The body Xendit POSTs when an invoice is paid or expires (every field of spec 8.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceCallback {
    /// Invoice id.
    pub id: String,
    /// The merchant's reference.
    pub external_id: String,
    /// Xendit business id.
    pub user_id: String,
    /// Status (`PAID`, `EXPIRED`).
    pub status: InvoiceStatus,
    /// Merchant name.
    pub merchant_name: String,
    /// Amount.
    #[serde(with = "crate::json_amount")]
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Creation time.
    #[serde(with = "timestamp")]
    pub created: OffsetDateTime,
    /// Last change.
    #[serde(with = "timestamp")]
    pub updated: OffsetDateTime,
    /// Payer e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_email: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Amount paid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json_amount::option"
    )]
    pub paid_amount: Option<Decimal>,
    /// When it was paid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::option"
    )]
    pub paid_at: Option<OffsetDateTime>,
    /// Family of the channel paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// Channel paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_channel: Option<ChannelCode>,
    /// VA number or retail payment code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_destination: Option<String>,
    /// QR payment details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_details: Option<PaymentDetails>,
    /// Payment id (`ewc_...`, `qrpy_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// Payment method id (`pm-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
    /// Success redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_redirect_url: Option<String>,
    /// Failure redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_redirect_url: Option<String>,
    /// Card charge id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_card_charge_id: Option<String>,
    /// Card token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_card_token: Option<String>,
    /// Items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<InvoiceItem>>,
    /// Fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<Vec<InvoiceFee>>,
    /// Card 3-D Secure setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_authenticate_credit_card: Option<bool>,
    /// Bank of a virtual-account payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<BankCode>,
    /// E-wallet of an e-wallet payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ewallet_type: Option<EwalletType>,
    /// On-demand link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_link: Option<String>,
    /// Recurring payment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_payment_id: Option<String>,
    /// High-value flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_high: Option<bool>,
    /// Amount received after adjustments.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json_amount::option"
    )]
    pub adjusted_received_amount: Option<Decimal>,
    /// Fields paylink does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How a paid invoice was paid, by family, with the fields that family fills.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payment {
    /// Transfer to a virtual account.
    VirtualAccount {
        /// Bank (`bank_code`).
        bank_code: Option<BankCode>,
        /// The VA number (`payment_destination`).
        account_number: Option<String>,
    },
    /// Payment code at a retail outlet.
    RetailOutlet {
        /// The payment code (`payment_destination`).
        payment_code: Option<String>,
    },
    /// E-wallet.
    Ewallet {
        /// Wallet (`ewallet_type`).
        ewallet_type: Option<EwalletType>,
        /// `ewc_...` payment id.
        payment_id: Option<String>,
    },
    /// QR code (QRIS, PromptPay, QRPh).
    QrCode {
        /// `qrpy_...` payment id.
        payment_id: Option<String>,
        /// Receipt and source.
        details: Option<PaymentDetails>,
    },
    /// Card.
    Card {
        /// `credit_card_charge_id`.
        charge_id: Option<String>,
    },
    /// Direct debit or online banking.
    DirectDebit {
        /// Payment id.
        payment_id: Option<String>,
    },
    /// Pay-later.
    Paylater {
        /// Payment id.
        payment_id: Option<String>,
    },
    /// A method paylink does not know.
    Other,
}

/// What a callback reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// The link was paid.
    Paid {
        /// How.
        payment: Payment,
    },
    /// The link expired.
    Expired,
    /// A status with no documented callback (SETTLED, PENDING) or one paylink does not know.
    Other(InvoiceStatus),
}

/// A parsed callback: the body and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceEvent {
    /// The body, every field.
    pub callback: InvoiceCallback,
    /// What it reports.
    pub kind: EventKind,
}

impl InvoiceEvent {
    /// Key to de-duplicate deliveries: Xendit advises `id` + `status`.
    pub fn dedup_key(&self) -> (&str, &str) {
        (&self.callback.id, self.callback.status.as_str())
    }

    /// Applies this event to a local state; see [`reconcile`].
    pub fn reconcile(&self, local: LinkState) -> Reconciled {
        reconcile(local, &self.callback.status)
    }
}

/// Parses a callback body. Does not verify the token: call [`CallbackToken::verify`] first.
///
/// # Errors
/// [`WebhookError::Body`] with the JSON path and the problem.
pub fn parse_callback(body: &[u8]) -> Result<InvoiceEvent, WebhookError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let callback: InvoiceCallback =
        serde_path_to_error::deserialize(&mut de).map_err(|e| WebhookError::Body {
            path: json_path(e.path()),
            message: e.into_inner().to_string(),
        })?;
    // Anything after the object but whitespace makes the body invalid, as serde_json::from_slice
    // would say.
    de.end().map_err(|e| WebhookError::Body {
        path: "$".into(),
        message: e.to_string(),
    })?;
    // Xendit never sends a fraction the currency does not have: such a body is not Xendit's,
    // and money is not guessed at.
    for (path, amount) in [
        ("$.amount", Some(callback.amount)),
        ("$.paid_amount", callback.paid_amount),
    ] {
        if let Some(amount) = amount {
            check_decimals(amount, callback.currency).map_err(|e| WebhookError::Body {
                path: path.into(),
                message: e.to_string(),
            })?;
        }
    }
    let kind = classify(&callback)?;
    Ok(InvoiceEvent { callback, kind })
}

/// A JSON path (`$`, `$.amount`, `$.items[0].price`) from serde_path_to_error's form.
fn json_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    let mut json = if text == "." {
        "$".to_owned()
    } else {
        format!("$.{text}")
    };
    // `?` stands for a key not read yet (the body ended, or the key itself is broken): the
    // problem is in the enclosing object.
    while let Some(parent) = json.strip_suffix(".?") {
        json = parent.to_owned();
    }
    json
}

/// Verifies the token, then parses the body.
///
/// # Errors
/// As [`CallbackToken::verify`] and [`parse_callback`].
pub fn verify_and_parse(
    token: &CallbackToken,
    header: Option<&[u8]>,
    body: &[u8],
) -> Result<InvoiceEvent, WebhookError> {
    token.verify(header)?;
    parse_callback(body)
}

fn classify(c: &InvoiceCallback) -> Result<EventKind, WebhookError> {
    match &c.status {
        InvoiceStatus::Paid if c.paid_at.is_none() && c.payment_method.is_none() => {
            Err(WebhookError::Body {
                path: "$.payment_method".into(),
                message: "a PAID callback must say how it was paid (payment_method or paid_at)"
                    .into(),
            })
        }
        InvoiceStatus::Paid => Ok(EventKind::Paid {
            payment: payment_of(c),
        }),
        InvoiceStatus::Expired => Ok(EventKind::Expired),
        other => Ok(EventKind::Other(other.clone())),
    }
}

fn payment_of(c: &InvoiceCallback) -> Payment {
    let family = c
        .payment_method
        .as_ref()
        .and_then(ChannelFamily::of_method)
        .or_else(|| c.payment_channel.as_ref().and_then(ChannelCode::family));
    match family {
        Some(ChannelFamily::VirtualAccount) => Payment::VirtualAccount {
            bank_code: c.bank_code.clone(),
            account_number: c.payment_destination.clone(),
        },
        Some(ChannelFamily::RetailOutlet) => Payment::RetailOutlet {
            payment_code: c.payment_destination.clone(),
        },
        Some(ChannelFamily::Ewallet) => Payment::Ewallet {
            ewallet_type: c.ewallet_type.clone(),
            payment_id: c.payment_id.clone(),
        },
        Some(ChannelFamily::QrCode) => Payment::QrCode {
            payment_id: c.payment_id.clone(),
            details: c.payment_details.clone(),
        },
        Some(ChannelFamily::Card) => Payment::Card {
            charge_id: c.credit_card_charge_id.clone(),
        },
        Some(ChannelFamily::DirectDebit) => Payment::DirectDebit {
            payment_id: c.payment_id.clone(),
        },
        Some(ChannelFamily::Paylater) => Payment::Paylater {
            payment_id: c.payment_id.clone(),
        },
        None => Payment::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_debug_is_redacted() {
        let t = CallbackToken::from_static("s3cr3t-token");
        assert!(!format!("{t:?}").contains("s3cr3t"));
    }

    #[test]
    fn verification_accepts_the_token_and_refuses_others() {
        let t = CallbackToken::from_static("abc");
        assert_eq!(t.verify(Some(b"abc")), Ok(()));
        assert_eq!(t.verify(Some(b"abd")), Err(WebhookError::TokenMismatch));
        assert_eq!(t.verify(Some(b"abcd")), Err(WebhookError::TokenMismatch));
        assert_eq!(t.verify(None), Err(WebhookError::MissingToken));
    }

    #[test]
    fn an_empty_or_blank_token_cannot_be_made() {
        for blank in ["", " ", "\t\n", "   "] {
            assert_eq!(
                CallbackToken::new(blank).err(),
                Some(BlankToken),
                "{blank:?}"
            );
            assert_eq!(blank.parse::<CallbackToken>().err(), Some(BlankToken));
        }
        assert!(
            CallbackToken::new(" a ").is_ok(),
            "only a blank token is refused"
        );
    }

    #[test]
    fn a_missing_empty_or_differently_sized_header_is_refused() {
        let t = CallbackToken::from_static("s3cr3t");
        assert_eq!(t.verify(None), Err(WebhookError::MissingToken));
        assert_eq!(t.verify(Some(b"")), Err(WebhookError::MissingToken));
        assert_eq!(t.verify(Some(b"s3cr3")), Err(WebhookError::TokenMismatch));
        assert_eq!(t.verify(Some(b"s3cr3tt")), Err(WebhookError::TokenMismatch));
        assert_eq!(t.verify(Some(b"S3CR3T")), Err(WebhookError::TokenMismatch));
        assert_eq!(t.verify(Some(b"s3cr3t")), Ok(()));
    }

    #[test]
    fn a_body_error_names_its_json_path() {
        let body = br#"{"id":"x","external_id":"e","user_id":"u","status":"PAID","merchant_name":"m",
            "amount":"ten","currency":"IDR","created":"2020-01-13T02:32:49.827Z","updated":"2020-01-13T02:32:49.827Z"}"#;
        match parse_callback(body) {
            Err(WebhookError::Body { path, .. }) => assert_eq!(path, "$.amount"),
            other => panic!("expected a body error, got {other:?}"),
        }
    }
}

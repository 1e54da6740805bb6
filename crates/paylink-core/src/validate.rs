//! The rules of a create request: `CreateInvoiceFields::validate` checks every one and reports
//! every `Violation` with its field path (`items[1].quantity must be greater than 0`).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::money::{check_decimals, AmountLimits, Currency, Money, MoneyError};
use crate::request::{
    ChannelProperties, CreateInvoiceFields, CreateInvoiceRequest, Customer, InvoiceItem, Metadata,
    MAX_FEES, MAX_INVOICE_DURATION, MAX_ITEMS, MAX_METADATA_KEYS, MAX_METADATA_KEY_CHARS,
    MAX_METADATA_VALUE_CHARS, MIN_INVOICE_DURATION,
};

impl CreateInvoiceFields {
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

crate::object_only::serde_object_only!(Violation);

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
        write!(f, "{}: {}", self.path, self.message)
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
pub(crate) fn is_email_shaped(s: &str) -> bool {
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
pub(crate) fn is_url_shaped(s: &str) -> bool {
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

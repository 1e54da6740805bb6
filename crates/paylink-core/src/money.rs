//! Currencies, their scale and limits, and `Money`: a validated amount in one currency.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A currency that Xendit payment links accept.
///
/// The scale (decimal places) is Xendit's rule, not the ISO 4217 table: IDR and VND take no
/// decimals, the others take two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    /// Indonesian rupiah.
    #[serde(rename = "IDR")]
    Idr,
    /// Philippine peso.
    #[serde(rename = "PHP")]
    Php,
    /// Thai baht.
    #[serde(rename = "THB")]
    Thb,
    /// Vietnamese dong.
    #[serde(rename = "VND")]
    Vnd,
    /// Malaysian ringgit.
    #[serde(rename = "MYR")]
    Myr,
    /// United States dollar.
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    /// Every currency, in a stable order.
    pub const ALL: [Currency; 6] = [
        Currency::Idr,
        Currency::Php,
        Currency::Thb,
        Currency::Vnd,
        Currency::Myr,
        Currency::Usd,
    ];

    /// The ISO 4217 code as Xendit writes it (`"IDR"`).
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Idr => "IDR",
            Currency::Php => "PHP",
            Currency::Thb => "THB",
            Currency::Vnd => "VND",
            Currency::Myr => "MYR",
            Currency::Usd => "USD",
        }
    }

    /// How many decimal places an amount in this currency may carry.
    pub const fn decimal_places(self) -> u32 {
        match self {
            Currency::Idr | Currency::Vnd => 0,
            Currency::Php | Currency::Thb | Currency::Myr | Currency::Usd => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error of parsing a currency code that paylink does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported currency `{0}`: expected one of IDR, PHP, THB, VND, MYR, USD")]
pub struct UnknownCurrency(pub String);

impl FromStr for Currency {
    type Err = UnknownCurrency;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| UnknownCurrency(s.to_owned()))
    }
}

/// The smallest and largest amount of one invoice in one currency, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountRange {
    /// Smallest accepted amount.
    pub min: Decimal,
    /// Largest accepted amount.
    pub max: Decimal,
}

/// Per-currency invoice amount limits.
///
/// [`AmountLimits::xendit`] holds the numbers Xendit enforces for IDR (10,000 to
/// 1,000,000,000). No source documents limits for the other currencies, so the default table
/// only asks that they be positive and below 1,000,000,000; override a row with
/// [`AmountLimits::with`] when your account has other limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountLimits {
    ranges: BTreeMap<Currency, AmountRange>,
}

impl AmountLimits {
    /// Xendit's documented limits (IDR) and a permissive row for every other currency.
    pub fn xendit() -> Self {
        let mut ranges = BTreeMap::new();
        for currency in Currency::ALL {
            let range = match currency {
                Currency::Idr => AmountRange {
                    min: Decimal::from(10_000),
                    max: Decimal::from(1_000_000_000),
                },
                other => AmountRange {
                    min: Decimal::new(1, other.decimal_places()),
                    max: Decimal::from(1_000_000_000),
                },
            };
            ranges.insert(currency, range);
        }
        AmountLimits { ranges }
    }

    /// No limits beyond "greater than zero": for a server that applies its own limits later.
    pub fn unbounded() -> Self {
        AmountLimits {
            ranges: BTreeMap::new(),
        }
    }

    /// This table with the row of `currency` replaced.
    pub fn with(mut self, currency: Currency, min: Decimal, max: Decimal) -> Self {
        self.ranges.insert(currency, AmountRange { min, max });
        self
    }

    /// The limits of `currency`, if the table has a row for it.
    pub fn range(&self, currency: Currency) -> Option<AmountRange> {
        self.ranges.get(&currency).copied()
    }
}

impl Default for AmountLimits {
    fn default() -> Self {
        AmountLimits::xendit()
    }
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The amount is zero or negative.
    #[error("must be greater than 0, got {amount}")]
    NotPositive {
        /// The amount given.
        amount: Decimal,
    },
    /// The amount has more decimal places than the currency takes.
    #[error("{currency} takes {allowed} decimal places, got {amount}")]
    TooManyDecimals {
        /// The amount given.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// Decimal places the currency takes.
        allowed: u32,
    },
    /// The amount is below the currency's minimum.
    #[error("must be at least {min} {currency}, got {amount}")]
    BelowMinimum {
        /// The amount given.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// The minimum.
        min: Decimal,
    },
    /// The amount is above the currency's maximum.
    #[error("must be at most {max} {currency}, got {amount}")]
    AboveMaximum {
        /// The amount given.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// The maximum.
        max: Decimal,
    },
}

/// Checks an amount's sign and scale for `currency`; returns it normalized (`10000.0` -> `10000`).
///
/// # Errors
/// [`MoneyError::NotPositive`] or [`MoneyError::TooManyDecimals`].
pub(crate) fn check_scale(amount: Decimal, currency: Currency) -> Result<Decimal, MoneyError> {
    if amount <= Decimal::ZERO {
        return Err(MoneyError::NotPositive { amount });
    }
    check_decimals(amount, currency)
}

/// Checks only the scale of an amount (zero allowed); returns it normalized.
///
/// # Errors
/// [`MoneyError::TooManyDecimals`].
pub(crate) fn check_decimals(amount: Decimal, currency: Currency) -> Result<Decimal, MoneyError> {
    let normalized = amount.normalize();
    let allowed = currency.decimal_places();
    if normalized.scale() > allowed {
        return Err(MoneyError::TooManyDecimals {
            amount,
            currency,
            allowed,
        });
    }
    Ok(normalized)
}

/// A positive amount in one currency, with no more decimals than the currency takes and within
/// the limits it was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Money checked against Xendit's limits ([`AmountLimits::xendit`]).
    ///
    /// ```
    /// use paylink_core::{Currency, Money};
    /// use rust_decimal::Decimal;
    /// # fn main() -> Result<(), paylink_core::MoneyError> {
    /// let m = Money::new(Decimal::from(250_000), Currency::Idr)?;
    /// assert_eq!(m.to_string(), "250000 IDR");
    /// assert!(Money::new(Decimal::new(1050, 1), Currency::Idr).is_err()); // 105.0 is fine, 105.5 is not
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A [`MoneyError`] naming the rule the amount breaks.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        Money::with_limits(amount, currency, &AmountLimits::xendit())
    }

    /// Money checked against the given limits table.
    ///
    /// # Errors
    /// A [`MoneyError`] naming the rule the amount breaks.
    pub fn with_limits(
        amount: Decimal,
        currency: Currency,
        limits: &AmountLimits,
    ) -> Result<Self, MoneyError> {
        let amount = check_scale(amount, currency)?;
        if let Some(range) = limits.range(currency) {
            if amount < range.min {
                return Err(MoneyError::BelowMinimum {
                    amount,
                    currency,
                    min: range.min,
                });
            }
            if amount > range.max {
                return Err(MoneyError::AboveMaximum {
                    amount,
                    currency,
                    max: range.max,
                });
            }
        }
        Ok(Money { amount, currency })
    }

    /// The amount, normalized (no trailing zeros).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// `amount` written with its whole part in groups of three digits (`5,000,000`, `1,250.5`),
/// `group` between the groups and `decimal` before the fraction, digits otherwise exactly as
/// the `Decimal` holds them (no rounding: round or rescale first for a fixed number of places).
///
/// ```
/// use paylink_core::group_thousands;
/// use rust_decimal::Decimal;
/// assert_eq!(group_thousands(Decimal::from(5_000_000), ',', '.'), "5,000,000");
/// assert_eq!(group_thousands(Decimal::new(-125050, 2), '.', ','), "-1.250,50");
/// ```
pub fn group_thousands(amount: Decimal, group: char, decimal: char) -> String {
    let text = amount.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 1);
    if amount.is_sign_negative() && !amount.is_zero() {
        out.push('-');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn idr_takes_no_decimals_but_a_zero_fraction_is_fine() {
        assert_eq!(
            Money::new(dec!(10000.0), Currency::Idr).map(|m| m.amount()),
            Ok(dec!(10000))
        );
        assert!(matches!(
            Money::new(dec!(10000.5), Currency::Idr),
            Err(MoneyError::TooManyDecimals { allowed: 0, .. })
        ));
    }

    #[test]
    fn usd_takes_two_decimals_and_not_three() {
        assert!(Money::new(dec!(100.50), Currency::Usd).is_ok());
        assert!(matches!(
            Money::new(dec!(100.505), Currency::Usd),
            Err(MoneyError::TooManyDecimals { allowed: 2, .. })
        ));
    }

    #[test]
    fn idr_limits_are_xendits() {
        assert!(matches!(
            Money::new(dec!(9999), Currency::Idr),
            Err(MoneyError::BelowMinimum { .. })
        ));
        assert!(Money::new(dec!(10000), Currency::Idr).is_ok());
        assert!(Money::new(dec!(1000000000), Currency::Idr).is_ok());
        assert!(matches!(
            Money::new(dec!(1000000001), Currency::Idr),
            Err(MoneyError::AboveMaximum { .. })
        ));
    }

    #[test]
    fn zero_and_negative_amounts_are_rejected() {
        assert!(matches!(
            Money::new(dec!(0), Currency::Php),
            Err(MoneyError::NotPositive { .. })
        ));
        assert!(matches!(
            Money::new(dec!(-5), Currency::Php),
            Err(MoneyError::NotPositive { .. })
        ));
    }

    #[test]
    fn limits_can_be_overridden_per_currency() {
        let limits = AmountLimits::xendit().with(Currency::Php, dec!(20), dec!(100));
        assert!(Money::with_limits(dec!(19.99), Currency::Php, &limits).is_err());
        assert!(Money::with_limits(dec!(20), Currency::Php, &limits).is_ok());
    }

    #[test]
    fn thousands_are_grouped_and_the_fraction_kept_as_it_is() {
        assert_eq!(group_thousands(dec!(5000000), ',', '.'), "5,000,000");
        assert_eq!(group_thousands(dec!(10000), ',', '.'), "10,000");
        assert_eq!(group_thousands(dec!(999), ',', '.'), "999");
        assert_eq!(group_thousands(dec!(0.01), ',', '.'), "0.01");
        assert_eq!(group_thousands(dec!(1250.50), '.', ','), "1.250,50");
        assert_eq!(group_thousands(dec!(-1000), ',', '.'), "-1,000");
        assert_eq!(group_thousands(dec!(-0), ',', '.'), "0");
    }

    #[test]
    fn currency_codes_round_trip() {
        for c in Currency::ALL {
            assert_eq!(c.code().parse::<Currency>(), Ok(c));
        }
        assert!("EUR".parse::<Currency>().is_err());
    }
}

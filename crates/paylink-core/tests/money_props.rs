//! Property tests of `Money`: any decimal in any currency is either valid money or refused
//! with the error of the first rule it breaks (sign, then scale, then limits).

use paylink_core::strategies::{arb_currency, arb_money};
use paylink_core::{AmountLimits, Currency, Money, MoneyError};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn arb_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0_u32..=8).prop_map(|(m, s)| Decimal::new(m, s)),
        (-2_000_000_000_i64..=2_000_000_000, 0_u32..=3).prop_map(|(m, s)| Decimal::new(m, s)),
        (9_000_i64..=11_000, 0_u32..=1).prop_map(|(m, s)| Decimal::new(m, s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_amount_is_valid_money_or_refused_by_the_first_rule_it_breaks(
        amount in arb_decimal(),
        currency in arb_currency(),
    ) {
        let places = currency.decimal_places();
        let range = AmountLimits::xendit().range(currency).expect("every currency has a row");
        let result = Money::new(amount, currency);
        let normalized = amount.normalize();
        if amount <= Decimal::ZERO {
            prop_assert_eq!(result, Err(MoneyError::NotPositive { amount }));
        } else if normalized.scale() > places {
            prop_assert_eq!(
                result,
                Err(MoneyError::TooManyDecimals { amount, currency, allowed: places })
            );
        } else if normalized < range.min {
            prop_assert_eq!(
                result,
                Err(MoneyError::BelowMinimum { amount: normalized, currency, min: range.min })
            );
        } else if normalized > range.max {
            prop_assert_eq!(
                result,
                Err(MoneyError::AboveMaximum { amount: normalized, currency, max: range.max })
            );
        } else {
            let money = result.expect("every rule holds");
            prop_assert_eq!(money.amount(), amount);
            prop_assert_eq!(money.amount().scale(), normalized.scale(), "stored normalized");
            prop_assert_eq!(money.currency(), currency);
        }
    }

    #[test]
    fn every_refusal_names_its_rule_and_the_amount(
        amount in arb_decimal(),
        currency in arb_currency(),
    ) {
        if let Err(e) = Money::new(amount, currency) {
            let text = e.to_string();
            prop_assert!(text.contains("got "), "{}", text);
            let rule = match e {
                MoneyError::NotPositive { .. } => "must be greater than 0",
                MoneyError::TooManyDecimals { .. } => "decimal places",
                MoneyError::BelowMinimum { .. } => "must be at least",
                MoneyError::AboveMaximum { .. } => "must be at most",
                _ => "",
            };
            prop_assert!(!rule.is_empty() && text.contains(rule), "{}", text);
        }
    }

    #[test]
    fn strategy_money_is_always_valid_and_within_xendits_limits(
        (currency, money) in arb_currency().prop_flat_map(|c| (Just(c), arb_money(c)))
    ) {
        let range = AmountLimits::xendit().range(currency).expect("a row");
        prop_assert_eq!(money.currency(), currency);
        prop_assert!(money.amount() >= range.min && money.amount() <= range.max);
        prop_assert!(money.amount().normalize().scale() <= currency.decimal_places());
    }
}

#[test]
fn idr_limits_hold_at_their_edges() {
    let check = |amount: Decimal| Money::new(amount, Currency::Idr).map(|m| m.amount());
    assert_eq!(check(Decimal::from(10_000)), Ok(Decimal::from(10_000)));
    assert_eq!(
        check(Decimal::from(1_000_000_000)),
        Ok(Decimal::from(1_000_000_000))
    );
    assert_eq!(
        check(Decimal::from(9_999)).map_err(|e| e.to_string()),
        Err("must be at least 10000 IDR, got 9999".to_owned())
    );
    assert_eq!(
        check(Decimal::from(1_000_000_001)).map_err(|e| e.to_string()),
        Err("must be at most 1000000000 IDR, got 1000000001".to_owned())
    );
}

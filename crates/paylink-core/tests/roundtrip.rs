//! Round trips through JSON: every valid request comes back equal, and money comes back exact
//! (read from the number's text, written as a plain JSON number, never rounded through f64).

use paylink_core::json_amount::Amount;
use paylink_core::strategies::{
    arb_amount, arb_any_money, arb_create_request, arb_currency, arb_valid_fields,
};
use paylink_core::{AmountLimits, CreateInvoiceRequest, Currency, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_valid_fields_strategy_only_makes_valid_requests(
        fields in arb_currency().prop_flat_map(arb_valid_fields)
    ) {
        let result = fields.clone().validate(&AmountLimits::xendit());
        prop_assert!(result.is_ok(), "{:?} for {:?}", result.err(), fields);
    }

    #[test]
    fn every_valid_request_serializes_to_json_that_parses_back_equal(
        request in arb_create_request()
    ) {
        let text = serde_json::to_string(&request).expect("a request serializes");
        let back: CreateInvoiceRequest =
            serde_json::from_str(&text).expect("its JSON is a valid request");
        prop_assert_eq!(&back, &request);
        prop_assert_eq!(serde_json::to_string(&back).expect("serializes"), text);
    }

    #[test]
    fn every_valid_request_round_trips_through_a_json_value(request in arb_create_request()) {
        let value = serde_json::to_value(&request).expect("a request serializes");
        let back: CreateInvoiceRequest =
            serde_json::from_value(value.clone()).expect("its JSON is a valid request");
        prop_assert_eq!(&back, &request);
        prop_assert_eq!(serde_json::to_value(&back).expect("serializes"), value);
    }

    #[test]
    fn every_valid_request_writes_its_amount_as_an_exact_json_number(
        request in arb_create_request()
    ) {
        let value = serde_json::to_value(&request).expect("a request serializes");
        let amount = &value["amount"];
        prop_assert!(amount.is_number(), "amount is {}", amount);
        prop_assert_eq!(amount.to_string(), request.money().amount().to_string());
    }

    #[test]
    fn a_valid_amount_serializes_as_a_json_number_and_parses_back_equal(
        (currency, amount) in arb_currency().prop_flat_map(|c| (Just(c), arb_amount(c)))
    ) {
        let text = serde_json::to_string(&Amount(amount)).expect("an amount serializes");
        prop_assert_eq!(&text, &amount.normalize().to_string(), "written exactly, normalized");
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        prop_assert!(parsed.is_number(), "{} is a JSON number", text);

        let back = serde_json::from_str::<Amount>(&text).expect("reads back").0;
        prop_assert_eq!(back, amount);

        let via_value = serde_json::from_value::<Amount>(parsed).expect("reads back from a Value").0;
        prop_assert_eq!(via_value, amount);

        let money = Money::new(back, currency).expect("a valid amount makes money");
        prop_assert_eq!(money.amount(), amount);
    }

    #[test]
    fn money_amounts_survive_a_trip_through_a_request(money in arb_any_money()) {
        let request = CreateInvoiceRequest::builder("m", money.amount(), money.currency())
            .build()
            .expect("valid money makes a valid request");
        let value = serde_json::to_value(&request).expect("serializes");
        let back: CreateInvoiceRequest = serde_json::from_value(value).expect("parses");
        prop_assert_eq!(back.money(), money);
    }
}

/// Reads `json` as an amount: the value and its written scale are kept; it is written back
/// normalized (`written`). A `Value` holds an f64, so the check through one is for amounts an f64
/// keeps exactly (15 significant digits).
fn check(json: &str, expected: Decimal, scale: u32, written: &str) {
    let d = serde_json::from_str::<Amount>(json)
        .expect("a JSON number reads as an amount")
        .0;
    assert_eq!(d, expected, "{json}");
    assert_eq!(d.scale(), scale, "{json} keeps its written scale");
    let digits = d.normalize().mantissa().unsigned_abs().to_string().len();
    if digits <= 15 {
        let v: Value = serde_json::from_str(json).expect("valid JSON");
        let via_value = serde_json::from_value::<Amount>(v)
            .expect("reads through a Value")
            .0;
        assert_eq!(via_value, expected, "{json} through a Value");
    }
    assert_eq!(
        serde_json::to_string(&Amount(d)).expect("serializes"),
        written,
        "{json} is written as a plain number"
    );
}

#[test]
fn json_numbers_read_exactly() {
    check("10000", dec!(10000), 0, "10000");
    check("10000.0", dec!(10000), 1, "10000");
    check("10000.5", dec!(10000.5), 1, "10000.5");
    check("100.50", dec!(100.50), 2, "100.5");
    check("0.1", dec!(0.1), 1, "0.1");
    check("1000000000", dec!(1000000000), 0, "1000000000");
    check("999999999.99", dec!(999999999.99), 2, "999999999.99");
    // More significant digits than an f64 holds: a trip through f64 would change them.
    check(
        "12345678901234567.89",
        dec!(12345678901234567.89),
        2,
        "12345678901234567.89",
    );
    check(
        "9007199254740993",
        dec!(9007199254740993),
        0,
        "9007199254740993",
    );
    check("-0.30", dec!(-0.30), 2, "-0.3");
}

#[test]
fn very_large_very_precise_scientific_and_negative_zero_numbers_read_exactly() {
    check(
        "79228162514264337593543950335",
        Decimal::MAX,
        0,
        "79228162514264337593543950335",
    );
    check(
        "0.1234567890123456789012345678",
        dec!(0.1234567890123456789012345678),
        28,
        "0.1234567890123456789012345678",
    );
    check("1e5", dec!(100000), 0, "100000");
    check("1.5E3", dec!(1500), 0, "1500");
    check("2.5e-2", dec!(0.025), 3, "0.025");
    let zero = serde_json::from_str::<Amount>("-0").expect("reads").0;
    assert!(zero.is_zero(), "-0 is zero");
    assert_eq!(
        serde_json::to_string(&Amount(zero)).ok().as_deref(),
        Some("0")
    );
    let zero = serde_json::from_str::<Amount>("-0.0").expect("reads").0;
    assert!(zero.is_zero(), "-0.0 is zero");
}

#[test]
fn numbers_beyond_a_decimal_are_refused_never_rounded() {
    for json in [
        "79228162514264337593543950336",
        "0.12345678901234567890123456789",
        "1e29",
        "1e-29",
    ] {
        let err = serde_json::from_str::<Amount>(json)
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("out of range for an amount")),
            "{json}: {err:?}"
        );
    }
}

#[test]
fn a_negative_zero_amount_is_refused_as_not_positive() {
    let result = CreateInvoiceRequest::builder("z", dec!(-0), Currency::Idr).build();
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn amounts_in_a_request_read_exactly_and_are_written_normalized() {
    let cases = [
        (r#"{"external_id":"a","amount":10000}"#, "10000"),
        (r#"{"external_id":"a","amount":10000.0}"#, "10000"),
        (
            r#"{"external_id":"a","amount":100.50,"currency":"USD"}"#,
            "100.5",
        ),
        (
            r#"{"external_id":"a","amount":999999999.99,"currency":"PHP"}"#,
            "999999999.99",
        ),
    ];
    for (json, written) in cases {
        let request: CreateInvoiceRequest = serde_json::from_str(json).expect("a valid request");
        let value = serde_json::to_value(&request).expect("serializes");
        assert_eq!(value["amount"].to_string(), written, "{json}");
    }
}

#[test]
fn a_request_amount_of_ten_thousand_point_zero_is_ten_thousand_rupiah() {
    let request: CreateInvoiceRequest =
        serde_json::from_str(r#"{"external_id":"a","amount":10000.0,"currency":"IDR"}"#)
            .expect("10000.0 has no fractional value");
    assert_eq!(
        request.money(),
        Money::new(dec!(10000), Currency::Idr).expect("valid")
    );
}

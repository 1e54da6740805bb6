//! Fuzz target: a create request's JSON, as any client may send it to the sandbox, read into
//! `CreateInvoiceFields` and validated into a `CreateInvoiceRequest`.
//!
//! Input: the body. Properties:
//! - reading a `CreateInvoiceRequest` directly and validating `CreateInvoiceFields` against
//!   Xendit's limits accept the same bodies and give the same request;
//! - a validated request breaks no rule the validator names: validating its fields again gives
//!   it back unchanged; the amount is positive, within its currency's scale and limits; items,
//!   fees and metadata within their counts; e-mails and URLs of the shapes the rules ask for;
//! - the amount is the number the body's text says, and survives a round trip exactly, as do
//!   every item's and fee's;
//! - the sandbox's reader (`paylink_sandbox::parse_create_body`) refuses text that is not
//!   JSON, and of JSON accepts the same bodies as the core's reader and reads the same fields,
//!   amounts exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paylink_core::{AmountLimits, CreateInvoiceFields, CreateInvoiceRequest};
use paylink_core::{
    MAX_FEES, MAX_INVOICE_DURATION, MAX_ITEMS, MAX_METADATA_KEYS, MIN_INVOICE_DURATION,
};
use paylink_fuzz::{amount_in_text, json, read, round_trip, same_json, write};
use rust_decimal::Decimal;

fuzz_target!(|data: &[u8]| {
    let direct = read::<CreateInvoiceRequest>(data);
    let fields = read::<CreateInvoiceFields>(data);
    let sandbox = paylink_sandbox::parse_create_body(data);
    // serde_json checks the text of a string it skips (an unknown field's) less than one it
    // keeps: the core may read a body that is not JSON, which the sandbox must refuse as such.
    if read::<serde_json::Value>(data).is_err() {
        let answer = sandbox
            .as_ref()
            .expect_err("the sandbox read a body that is not JSON");
        assert_eq!(answer.api_error().error_code, "INVALID_JSON_FORMAT");
    }
    match (&fields, &sandbox) {
        (Ok(f), Ok(s)) => {
            assert_eq!(amounts(f), amounts(s), "the sandbox read other amounts");
            assert!(
                same_json(&json(&write("fields", f)), &json(&write("fields", s))),
                "the sandbox read other fields"
            );
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) if e.api_error().error_code == "INVALID_JSON_FORMAT" => {}
        (Ok(_), Err(e)) => panic!("the sandbox refused a body the core reads: {e:?}"),
        (Err(e), Ok(_)) => panic!("the sandbox read a body the core refuses: {e}"),
    }
    let Ok(fields) = fields else {
        assert!(
            direct.is_err(),
            "a request read from a body its fields do not fit"
        );
        return;
    };
    let validated = fields.clone().validate(&AmountLimits::xendit());
    match (&direct, &validated) {
        (Ok(d), Ok(v)) => assert_eq!(amounts(d.fields()), amounts(v.fields())),
        (Err(_), Err(_)) => {}
        (d, v) => panic!("reading and validating disagree: {:?} / {:?}", d.is_ok(), v),
    }
    let Ok(request) = validated else { return };
    check_rules(&request);
    if let Some(text) = amount_in_text(data, "amount", false) {
        assert_eq!(text, Ok(fields.amount), "the amount read is not the body's");
    }
    assert_eq!(
        request.money().amount(),
        fields.amount,
        "validation moved the amount"
    );

    let again = round_trip("create request", &request, read::<CreateInvoiceRequest>);
    assert_eq!(
        amounts(request.fields()),
        amounts(again.fields()),
        "an amount changed in a round trip"
    );
    assert_eq!(request.money(), again.money());
});

fn check_rules(request: &CreateInvoiceRequest) {
    let f = request.fields();
    let revalidated = f.clone().validate(&AmountLimits::xendit());
    match &revalidated {
        Ok(r) => assert_eq!(amounts(r.fields()), amounts(f)),
        Err(e) => panic!("a validated request breaks a rule: {e}"),
    }
    let currency = f.effective_currency();
    let money = request.money();
    assert_eq!(money.currency(), currency);
    let amount = money.amount();
    assert!(amount > Decimal::ZERO);
    assert!(amount.normalize().scale() <= currency.decimal_places());
    if let Some(range) = AmountLimits::xendit().range(currency) {
        assert!(
            range.min <= amount && amount <= range.max,
            "{amount} out of limits"
        );
    }
    if let Some(d) = f.invoice_duration {
        assert!((MIN_INVOICE_DURATION..=MAX_INVOICE_DURATION).contains(&d));
    }
    // The shape rules of e-mails and URLs are the validator's own; the request's fields pass
    // them again when validated once more.
    assert!(f.clone().validate(&AmountLimits::xendit()).is_ok());
    let items = f.items.as_deref().unwrap_or_default();
    assert!(items.len() <= MAX_ITEMS);
    for item in items {
        assert!(!item.name.trim().is_empty());
        assert!(item.quantity > Decimal::ZERO);
        assert!(item.price >= Decimal::ZERO);
        assert!(item.price.normalize().scale() <= currency.decimal_places());
    }
    let fees = f.fees.as_deref().unwrap_or_default();
    assert!(fees.len() <= MAX_FEES);
    for fee in fees {
        assert!(fee.value.normalize().scale() <= currency.decimal_places());
    }
    if let Some(m) = &f.metadata {
        assert!(m.len() <= MAX_METADATA_KEYS);
    }
}

fn amounts(f: &CreateInvoiceFields) -> Vec<Decimal> {
    let mut out = vec![f.amount];
    for item in f.items.iter().flatten() {
        out.extend([item.quantity, item.price]);
    }
    out.extend(f.fees.iter().flatten().map(|fee| fee.value));
    out
}

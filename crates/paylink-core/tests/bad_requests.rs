//! Invalid create requests, each with the exact violations it must produce, checked both through
//! validation and through JSON deserialization.

use paylink_core::{
    AmountLimits, CardProperties, ChannelCode, ChannelProperties, CreateInvoiceFields,
    CreateInvoiceRequest, Currency, Customer, InstallmentConfiguration, InstallmentTerms,
    InvoiceFee, InvoiceItem,
};
use rust_decimal_macros::dec;
use serde_json::{json, Map, Value};

/// A valid request: 50,000 IDR.
fn base() -> CreateInvoiceFields {
    let mut f = CreateInvoiceFields::new("order-1", dec!(50000));
    f.currency = Some(Currency::Idr);
    f
}

fn item() -> InvoiceItem {
    InvoiceItem::new("Coffee", 1, dec!(25000))
}

fn bins(list: &[&str]) -> Option<ChannelProperties> {
    Some(ChannelProperties {
        cards: Some(CardProperties {
            allowed_bins: Some(list.iter().map(|s| (*s).to_owned()).collect()),
            installment_configuration: None,
        }),
    })
}

fn terms(list: Vec<InstallmentTerms>) -> Option<ChannelProperties> {
    Some(ChannelProperties {
        cards: Some(CardProperties {
            allowed_bins: None,
            installment_configuration: Some(InstallmentConfiguration {
                allow_full_payment: Some(true),
                allowed_terms: Some(list),
            }),
        }),
    })
}

fn metadata(entries: impl IntoIterator<Item = (String, Value)>) -> Option<Map<String, Value>> {
    Some(entries.into_iter().collect())
}

/// The violations of `fields`, as `path message` lines, through validation and through JSON.
fn check(name: &str, fields: CreateInvoiceFields, expected: &[&str]) {
    let json = serde_json::to_string(&fields).expect("any fields serialize");

    let got: Vec<String> = match fields.validate(&AmountLimits::xendit()) {
        Ok(r) => panic!("{name}: expected violations, got a valid request {r:?}"),
        Err(e) => e.violations().iter().map(ToString::to_string).collect(),
    };
    assert_eq!(got, expected, "{name}: violations");

    let err = serde_json::from_str::<CreateInvoiceRequest>(&json)
        .err()
        .unwrap_or_else(|| panic!("{name}: the JSON of invalid fields must not deserialize"));
    let position = format!(" at line {} column {}", err.line(), err.column());
    let text = err.to_string();
    let message = text.strip_suffix(&position).unwrap_or(&text);
    assert_eq!(
        message,
        format!("invalid create request: {}", expected.join("; ")),
        "{name}: JSON error"
    );
}

type Case = (
    &'static str,
    fn(&mut CreateInvoiceFields),
    &'static [&'static str],
);

const CASES: &[Case] = &[
    ("empty external_id", |f| f.external_id = String::new(), &["external_id: must not be empty"]),
    ("blank external_id", |f| f.external_id = "  \t".into(), &["external_id: must not be empty"]),
    (
        "IDR below the minimum",
        |f| f.amount = dec!(9999),
        &["amount: must be at least 10000 IDR, got 9999"],
    ),
    (
        "IDR above the maximum",
        |f| f.amount = dec!(1000000001),
        &["amount: must be at most 1000000000 IDR, got 1000000001"],
    ),
    (
        "IDR below the minimum when currency: is left to the default",
        |f| {
            f.currency = None;
            f.amount = dec!(5000);
        },
        &["amount: must be at least 10000 IDR, got 5000"],
    ),
    ("zero amount", |f| f.amount = dec!(0), &["amount: must be greater than 0, got 0"]),
    (
        "negative amount",
        |f| f.amount = dec!(-50000),
        &["amount: must be greater than 0, got -50000"],
    ),
    (
        "IDR amount with decimals",
        |f| f.amount = dec!(50000.5),
        &["amount: IDR takes 0 decimal places, got 50000.5"],
    ),
    (
        "VND amount with decimals",
        |f| {
            f.currency = Some(Currency::Vnd);
            f.amount = dec!(50000.1);
        },
        &["amount: VND takes 0 decimal places, got 50000.1"],
    ),
    (
        "USD amount with three decimals",
        |f| {
            f.currency = Some(Currency::Usd);
            f.amount = dec!(10.505);
        },
        &["amount: USD takes 2 decimal places, got 10.505"],
    ),
    (
        "PHP amount with three decimals, the last not zero",
        |f| {
            f.currency = Some(Currency::Php);
            f.amount = dec!(100.001);
        },
        &["amount: PHP takes 2 decimal places, got 100.001"],
    ),
    (
        "invoice_duration 0",
        |f| f.invoice_duration = Some(0),
        &["invoice_duration: must be from 1 to 31536000 seconds, got 0"],
    ),
    (
        "invoice_duration one second over a year",
        |f| f.invoice_duration = Some(31_536_001),
        &["invoice_duration: must be from 1 to 31536000 seconds, got 31536001"],
    ),
    (
        "customer e-mail and mobile number",
        |f| {
            f.customer = Some(Customer {
                email: Some("john@".into()),
                mobile_number: Some("087774441111".into()),
                ..Customer::default()
            });
        },
        &[
            "customer.email: must be an e-mail address, got `john@`",
            "customer.mobile_number: must be in E.164 form such as +6287774441111, got `087774441111`",
        ],
    ),
    (
        "customer mobile number with a leading zero after +",
        |f| {
            f.customer = Some(Customer {
                mobile_number: Some("+0812345678".into()),
                ..Customer::default()
            });
        },
        &["customer.mobile_number: must be in E.164 form such as +6287774441111, got `+0812345678`"],
    ),
    (
        "success_redirect_url without a scheme",
        |f| f.success_redirect_url = Some("www.example.com/done".into()),
        &["success_redirect_url: must be an absolute http(s) URL, got `www.example.com/done`"],
    ),
    (
        "failure_redirect_url with another scheme",
        |f| f.failure_redirect_url = Some("javascript:alert(1)".into()),
        &["failure_redirect_url: must be an absolute http(s) URL, got `javascript:alert(1)`"],
    ),
    (
        "redirect URLs without a host or with a space",
        |f| {
            f.success_redirect_url = Some("https://".into());
            f.failure_redirect_url = Some("https://example.com/a b".into());
        },
        &[
            "success_redirect_url: must be an absolute http(s) URL, got `https://`",
            "failure_redirect_url: must be an absolute http(s) URL, got `https://example.com/a b`",
        ],
    ),
    ("76 items", |f| f.items = Some(vec![item(); 76]), &["items: must have at most 75 entries, got 76"]),
    (
        "an item with quantity 0",
        |f| {
            let mut bad = item();
            bad.quantity = dec!(0);
            f.items = Some(vec![item(), bad]);
        },
        &["items[1].quantity: must be greater than 0"],
    ),
    (
        "an item with a negative quantity, a blank name and a negative price",
        |f| {
            let mut bad = item();
            bad.name = " ".into();
            bad.quantity = dec!(-1);
            bad.price = dec!(-100);
            f.items = Some(vec![bad]);
        },
        &[
            "items[0].name: must not be empty",
            "items[0].quantity: must be greater than 0",
            "items[0].price: must not be negative",
        ],
    ),
    (
        "an IDR item price with decimals and an item URL that is not http",
        |f| {
            let mut bad = item();
            bad.price = dec!(100.5);
            bad.url = Some("ftp://example.com/item".into());
            f.items = Some(vec![item(), item(), bad]);
        },
        &[
            "items[2].price: IDR takes 0 decimal places, got 100.5",
            "items[2].url: must be an absolute http(s) URL, got `ftp://example.com/item`",
        ],
    ),
    (
        "11 fees",
        |f| f.fees = Some(vec![InvoiceFee::new("ADMIN", dec!(1000)); 11]),
        &["fees: must have at most 10 entries, got 11"],
    ),
    (
        "a fee without a type and a USD fee with three decimals",
        |f| {
            f.currency = Some(Currency::Usd);
            f.amount = dec!(100);
            f.fees = Some(vec![
                InvoiceFee::new("", dec!(1)),
                InvoiceFee::new("ADMIN", dec!(0.125)),
            ]);
        },
        &[
            "fees[0].type: must not be empty",
            "fees[1].value: USD takes 2 decimal places, got 0.125",
        ],
    ),
    (
        "51 metadata keys",
        |f| f.metadata = metadata((0..51).map(|i| (format!("k{i}"), json!(i)))),
        &["metadata: must have at most 50 keys, got 51"],
    ),
    (
        "a 41-character metadata key",
        |f| f.metadata = metadata([("k".repeat(41), json!("v"))]),
        &["metadata.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: key must be at most 40 characters, got 41"],
    ),
    (
        "a 501-character metadata: value",
        |f| f.metadata = metadata([("note".to_owned(), json!("v".repeat(501)))]),
        &["metadata.note: value must be at most 500 characters, got 501"],
    ),
    (
        "a metadata: value whose JSON text is over 500 characters",
        |f| f.metadata = metadata([("list".to_owned(), json!(vec![1000; 101]))]),
        &["metadata.list: value must be at most 500 characters, got 506"],
    ),
    (
        "an empty metadata key",
        |f| f.metadata = metadata([(String::new(), json!(1))]),
        &["metadata: keys must not be empty"],
    ),
    (
        "BINs of 5, 7 and 9 digits and one with a letter",
        |f| f.channel_properties = bins(&["12345", "1234567", "123456789", "12345a", "123456"]),
        &[
            "channel_properties.cards.allowed_bins[0]: must be 6 or 8 digits, got `12345`",
            "channel_properties.cards.allowed_bins[1]: must be 6 or 8 digits, got `1234567`",
            "channel_properties.cards.allowed_bins[2]: must be 6 or 8 digits, got `123456789`",
            "channel_properties.cards.allowed_bins[3]: must be 6 or 8 digits, got `12345a`",
        ],
    ),
    (
        "installment terms without an issuer, with no terms, with a zero term",
        |f| {
            f.channel_properties = terms(vec![
                InstallmentTerms { issuer: String::new(), terms: vec![3] },
                InstallmentTerms { issuer: "BCA".into(), terms: vec![] },
                InstallmentTerms { issuer: "BNI".into(), terms: vec![3, 0] },
            ]);
        },
        &[
            "channel_properties.cards.installment_configuration.allowed_terms[0].issuer: must not be empty",
            "channel_properties.cards.installment_configuration.allowed_terms[1].terms: must not be empty",
            "channel_properties.cards.installment_configuration.allowed_terms[2].terms: must all be greater than 0",
        ],
    ),
    (
        "an empty payment_methods list",
        |f| f.payment_methods = Some(vec![]),
        &["payment_methods: must not be empty when given"],
    ),
    (
        "a repeated and a blank payment method",
        |f| {
            f.payment_methods = Some(vec![
                ChannelCode::from("BNI"),
                ChannelCode::from(""),
                ChannelCode::from("BNI"),
            ]);
        },
        &["payment_methods[1]: must not be empty", "payment_methods[2]: repeats `BNI`"],
    ),
    (
        "blank ids, label and locale",
        |f| {
            f.callback_virtual_account_id = Some(String::new());
            f.mid_label = Some(" ".into());
            f.locale = Some(String::new());
        },
        &[
            "callback_virtual_account_id: must not be empty",
            "mid_label: must not be empty",
            "locale: must not be empty",
        ],
    ),
    (
        "reminder_time 0",
        |f| f.reminder_time = Some(0),
        &["reminder_time: must be greater than 0"],
    ),
    (
        "reminder_time_unit without reminder_time",
        |f| f.reminder_time_unit = Some("days".into()),
        &["reminder_time_unit: is given without reminder_time"],
    ),
    (
        "every rule at once, reported in field order",
        |f| {
            f.external_id = String::new();
            f.amount = dec!(9999);
            f.payer_email = Some("nope".into());
            f.invoice_duration = Some(0);
            f.success_redirect_url = Some("example.com".into());
            let mut bad = item();
            bad.quantity = dec!(0);
            f.items = Some(vec![bad]);
            f.fees = Some(vec![InvoiceFee::new("", dec!(1))]);
            f.channel_properties = bins(&["1"]);
            f.metadata = metadata([("k".repeat(41), json!(1))]);
        },
        &[
            "external_id: must not be empty",
            "amount: must be at least 10000 IDR, got 9999",
            "payer_email: must be an e-mail address, got `nope`",
            "invoice_duration: must be from 1 to 31536000 seconds, got 0",
            "success_redirect_url: must be an absolute http(s) URL, got `example.com`",
            "items[0].quantity: must be greater than 0",
            "fees[0].type: must not be empty",
            "channel_properties.cards.allowed_bins[0]: must be 6 or 8 digits, got `1`",
            "metadata.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: key must be at most 40 characters, got 41",
        ],
    ),
];

/// Payer e-mails the address rule refuses, each labelled with what is wrong with it.
const BAD_PAYER_EMAILS: &[(&str, &str)] = &[
    ("payer_email without @", "buyer.example.com"),
    ("payer_email without a dotted domain", "buyer@localhost"),
    ("payer_email with an empty local part", "@example.com"),
    ("payer_email with two @", "a@b@example.com"),
    ("payer_email with a space", "john doe@example.com"),
    ("payer_email with an empty domain label", "a@example..com"),
    ("empty payer_email", ""),
];

#[test]
fn every_invalid_request_reports_exactly_its_violations() {
    assert!(
        base().validate(&AmountLimits::xendit()).is_ok(),
        "the base request is valid"
    );
    for (name, mutate, expected) in CASES {
        let mut fields = base();
        mutate(&mut fields);
        check(name, fields, expected);
    }
    for (name, email) in BAD_PAYER_EMAILS {
        let mut fields = base();
        fields.payer_email = Some((*email).to_owned());
        let expected = format!("payer_email: must be an e-mail address, got `{email}`");
        check(name, fields, &[expected.as_str()]);
    }
}

#[test]
fn the_limits_of_each_rule_are_still_valid() {
    let mut f = base();
    f.amount = dec!(10000);
    f.invoice_duration = Some(31_536_000);
    f.items = Some(vec![item(); 75]);
    f.fees = Some(vec![InvoiceFee::new("ADMIN", dec!(1)); 10]);
    let mut m: Map<String, Value> = (0..49).map(|i| (format!("k{i}"), json!(i))).collect();
    m.insert("k".repeat(40), json!("v".repeat(500)));
    f.metadata = Some(m);
    f.channel_properties = bins(&["123456", "12345678"]);
    assert!(f.clone().validate(&AmountLimits::xendit()).is_ok());

    f.amount = dec!(1000000000);
    f.invoice_duration = Some(1);
    assert!(f.validate(&AmountLimits::xendit()).is_ok());
}

#[test]
fn the_builder_reports_the_same_violations_as_validation() {
    let errors = CreateInvoiceRequest::builder("", dec!(10.505), Currency::Usd)
        .payer_email("nope")
        .invoice_duration(0)
        .item(InvoiceItem::new("Tea", 0, dec!(1)))
        .fee(InvoiceFee::new("ADMIN", dec!(0.001)))
        .metadata_entry("k".repeat(41), "v")
        .build()
        .expect_err("every field is invalid");
    let got: Vec<String> = errors
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        got,
        [
            "external_id: must not be empty",
            "amount: USD takes 2 decimal places, got 10.505",
            "payer_email: must be an e-mail address, got `nope`",
            "invoice_duration: must be from 1 to 31536000 seconds, got 0",
            "items[0].quantity: must be greater than 0",
            "fees[0].value: USD takes 2 decimal places, got 0.001",
            "metadata.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: key must be at most 40 characters, got 41",
        ]
    );
    assert!(errors.has("items[0].quantity"));
    assert_eq!(
        errors.to_string(),
        format!("invalid create request: {}", got.join("; "))
    );
}

#[test]
fn overridden_limits_decide_the_amount_rule() {
    let limits = AmountLimits::xendit().with(Currency::Php, dec!(20), dec!(100));
    let errors = CreateInvoiceRequest::builder("p", dec!(19.99), Currency::Php)
        .limits(limits.clone())
        .build()
        .expect_err("below the overridden minimum");
    assert_eq!(
        errors.to_string(),
        "invalid create request: amount: must be at least 20 PHP, got 19.99"
    );
    let errors = CreateInvoiceRequest::builder("p", dec!(100.01), Currency::Php)
        .limits(limits)
        .build()
        .expect_err("above the overridden maximum");
    assert_eq!(
        errors.to_string(),
        "invalid create request: amount: must be at most 100 PHP, got 100.01"
    );
}

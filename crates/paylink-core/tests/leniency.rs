//! The model's leniency claims, checked: unknown fields survive a round trip, missing optional
//! arrays read as empty, open-ended codes keep values paylink does not know, and a new status
//! never makes parsing fail.

mod support;

use paylink_core::{
    parse_callback, reconcile, BankCode, ChannelCode, ClientType, DirectDebitType, EventKind,
    EwalletType, Invoice, InvoiceEvent, InvoiceStatus, LinkState, ListInvoicesQuery,
    NotificationChannel, PaylaterType, PaymentMethod, QrCodeType, Reconciled, RetailOutletName,
};
use serde::Serialize;
use serde_json::{json, Value};
use support::fixture;

/// JSON from its text, so numbers keep the digits written (no float literal in between).
fn text(json: &str) -> Value {
    serde_json::from_str(json).expect("valid JSON")
}

fn invoice_json() -> Value {
    fixture("invoice/spec_invoice_example.json")
}

fn parse(v: &Value) -> Invoice {
    serde_json::from_value(v.clone()).expect("the invoice parses")
}

fn parse_event(v: &Value) -> InvoiceEvent {
    parse_callback(&serde_json::to_vec(v).expect("serializes")).expect("the callback parses")
}

fn written(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("serializes")
}

/// The invoice fields that are arrays Xendit may leave out or send as `null`.
const OPTIONAL_ARRAYS: [&str; 8] = [
    "available_banks",
    "available_retail_outlets",
    "available_ewallets",
    "available_qr_codes",
    "available_direct_debits",
    "available_paylaters",
    "items",
    "fees",
];

fn assert_optional_arrays_empty(invoice: &Invoice) {
    let lengths = [
        invoice.available_banks.len(),
        invoice.available_retail_outlets.len(),
        invoice.available_ewallets.len(),
        invoice.available_qr_codes.len(),
        invoice.available_direct_debits.len(),
        invoice.available_paylaters.len(),
        invoice.items.len(),
        invoice.fees.len(),
    ];
    for (key, len) in OPTIONAL_ARRAYS.iter().zip(lengths) {
        assert_eq!(len, 0, "{key} reads as empty");
    }
}

/// Asserts that `$value` was kept as `$ty::Unknown($code)`, not mapped to a known value.
macro_rules! assert_unknown {
    ($value:expr, $ty:ident, $code:literal) => {
        assert_eq!($value, $ty::Unknown($code.into()), stringify!($value))
    };
}

/// Asserts that every `KNOWN` value of each open enum reads back as known.
macro_rules! assert_known_values_read_as_known {
    ($($ty:ident),+ $(,)?) => {
        $(
            for value in $ty::KNOWN {
                assert!(
                    $ty::from(value.as_str()).is_known(),
                    "{} {}",
                    stringify!($ty),
                    value.as_str()
                );
            }
        )+
    };
}

#[test]
fn unknown_fields_of_an_invoice_survive_parse_then_serialize() {
    let mut v = invoice_json();
    v["future_field"] = text(r#"{"nested": [1, 2.50, "x"], "flag": true}"#);
    v["risk_score"] = text("0.125");
    v["available_banks"][0]["identity_amount"] = json!(0);
    v["available_banks"][0]["new_flag"] = json!("yes");
    v["available_retail_outlets"][0]["new_hint"] = json!(["a"]);
    v["customer"] = json!({"given_names": "Ana", "nickname": "A", "loyalty": {"tier": 3}});

    let invoice = parse(&v);
    assert_eq!(invoice.extra["future_field"], v["future_field"]);
    assert_eq!(invoice.available_banks[0].extra["new_flag"], json!("yes"));
    let customer = invoice.customer.as_ref().expect("customer");
    assert_eq!(customer.extra["loyalty"], json!({"tier": 3}));

    let back = written(&invoice);
    assert_eq!(back, v, "every unknown field is written back as it came");
    assert_eq!(
        back["future_field"]["nested"][1].to_string(),
        "2.5",
        "numbers inside unknown fields keep their value"
    );
}

#[test]
fn unknown_fields_of_a_callback_survive_parse_then_serialize() {
    let mut v = fixture("webhook/paid_ewallet_dana.json");
    v["new_settlement_info"] = text(r#"{"batch": "B-1", "fee": 1234.50}"#);
    let event = parse_event(&v);
    assert_eq!(
        event.callback.extra["new_settlement_info"],
        v["new_settlement_info"]
    );
    assert_eq!(written(&event.callback), v);
}

#[test]
fn missing_optional_arrays_read_as_empty() {
    let mut v = invoice_json();
    let obj = v.as_object_mut().expect("an object");
    for key in OPTIONAL_ARRAYS {
        obj.remove(key);
    }
    assert_optional_arrays_empty(&parse(&v));
}

#[test]
fn null_optional_arrays_read_as_empty() {
    let mut v = invoice_json();
    for key in OPTIONAL_ARRAYS {
        v[key] = Value::Null;
    }
    assert_optional_arrays_empty(&parse(&v));
}

#[test]
fn missing_optional_fields_of_a_callback_read_as_absent() {
    let v = json!({
        "id": "x", "external_id": "e", "user_id": "u", "status": "EXPIRED",
        "merchant_name": "m", "amount": 10000, "currency": "IDR",
        "created": "2020-01-13T02:32:49.827Z", "updated": "2020-01-13T02:32:49.827Z"
    });
    let event = parse_event(&v);
    assert_eq!(event.kind, EventKind::Expired);
    assert_eq!(event.callback.items, None);
    assert_eq!(event.callback.paid_at, None);
    assert_eq!(written(&event.callback), v);
}

#[test]
fn unknown_values_of_every_open_enum_are_kept_and_written_back() {
    let mut v = invoice_json();
    v["status"] = json!("PARTIALLY_PAID");
    v["available_banks"][0]["bank_code"] = json!("NEWBANK");
    v["available_retail_outlets"][0]["retail_outlet_name"] = json!("NEWMART");
    v["available_ewallets"][0]["ewallet_type"] = json!("NEWPAY");
    v["available_qr_codes"][0]["qr_code_type"] = json!("NEWQR");
    v["available_direct_debits"][0]["direct_debit_type"] = json!("DD_NEWBANK");
    v["available_paylaters"][0]["paylater_type"] = json!("NEWLATER");
    v["customer_notification_preference"]["invoice_paid"] = json!(["email", "telegram"]);
    v["payment_method"] = json!("STABLECOIN");
    v["payment_channel"] = json!("NEW_CHANNEL");
    v["bank_code"] = json!("NEWBANK");
    v["ewallet_type"] = json!("NEWPAY");

    let invoice = parse(&v);
    assert_unknown!(invoice.status, InvoiceStatus, "PARTIALLY_PAID");
    assert_unknown!(invoice.available_banks[0].bank_code, BankCode, "NEWBANK");
    let outlet = &invoice.available_retail_outlets[0];
    assert_unknown!(outlet.retail_outlet_name, RetailOutletName, "NEWMART");
    let ewallet = &invoice.available_ewallets[0];
    assert_unknown!(ewallet.ewallet_type, EwalletType, "NEWPAY");
    let qr_code = &invoice.available_qr_codes[0];
    assert_unknown!(qr_code.qr_code_type, QrCodeType, "NEWQR");
    let direct_debit = &invoice.available_direct_debits[0];
    assert_unknown!(
        direct_debit.direct_debit_type,
        DirectDebitType,
        "DD_NEWBANK"
    );
    let paylater = &invoice.available_paylaters[0];
    assert_unknown!(paylater.paylater_type, PaylaterType, "NEWLATER");
    let paid_channels = invoice
        .customer_notification_preference
        .as_ref()
        .and_then(|p| p.invoice_paid.clone());
    assert_eq!(
        paid_channels,
        Some(vec![
            NotificationChannel::Email,
            NotificationChannel::Unknown("telegram".into())
        ])
    );
    assert_eq!(
        invoice.payment_method,
        Some(PaymentMethod::Unknown("STABLECOIN".into()))
    );
    let channel = invoice.payment_channel.clone().expect("payment_channel");
    assert_eq!(channel, ChannelCode::from("NEW_CHANNEL"));
    assert_eq!(channel.family(), None);
    assert_eq!(invoice.bank_code, Some(BankCode::Unknown("NEWBANK".into())));
    assert_eq!(
        invoice.ewallet_type,
        Some(EwalletType::Unknown("NEWPAY".into()))
    );

    assert_eq!(written(&invoice), v);
}

#[test]
fn an_unknown_client_type_in_a_list_query_is_kept_and_written_back() {
    let q = ListInvoicesQuery::from_pairs([
        ("client_types", "NEW_CLIENT"),
        ("client_types", "DASHBOARD"),
    ])
    .expect("valid query");
    assert_eq!(
        q.client_types,
        vec![
            ClientType::Unknown("NEW_CLIENT".into()),
            ClientType::Dashboard
        ]
    );
    assert_eq!(
        q.to_pairs(),
        vec![
            ("client_types", "NEW_CLIENT".to_owned()),
            ("client_types", "DASHBOARD".to_owned())
        ]
    );
}

#[test]
fn a_known_value_is_never_read_as_unknown() {
    assert_known_values_read_as_known!(
        InvoiceStatus,
        BankCode,
        EwalletType,
        RetailOutletName,
        QrCodeType,
        DirectDebitType,
        PaylaterType,
        PaymentMethod,
        ClientType,
        NotificationChannel,
    );
    // Codes are case-sensitive on the wire: a lower-case status is a different, unknown value.
    assert!(!InvoiceStatus::from("paid").is_known());
}

#[test]
fn an_unknown_status_parses_everywhere_and_changes_nothing() {
    let mut v = invoice_json();
    v["status"] = json!("REFUNDED");
    let invoice = parse(&v);
    assert_eq!(invoice.status.as_str(), "REFUNDED");
    assert!(!invoice.is_terminal());

    let mut body = fixture("webhook/expired.json");
    body["status"] = json!("PARTIALLY_PAID");
    let event = parse_event(&body);
    assert_eq!(
        event.kind,
        EventKind::Other(InvoiceStatus::Unknown("PARTIALLY_PAID".into()))
    );
    for local in [
        LinkState::Pending,
        LinkState::Paid,
        LinkState::Settled,
        LinkState::Expired,
    ] {
        assert_eq!(
            event.reconcile(local),
            Reconciled::UnknownStatus("PARTIALLY_PAID".into())
        );
        assert_eq!(
            reconcile(local, &invoice.status).resulting_state(local),
            local
        );
    }
}

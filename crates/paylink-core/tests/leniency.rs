//! The model's leniency claims, checked: unknown fields survive a round trip, missing optional
//! arrays read as empty, open-ended codes keep values paylink does not know, and a new status
//! never makes parsing fail.

use std::path::Path;

use paylink_core::{
    parse_callback, reconcile, BankCode, ChannelCode, ClientType, DirectDebitType, EventKind,
    EwalletType, Invoice, InvoiceStatus, LinkState, ListInvoicesQuery, NotificationChannel,
    PaylaterType, PaymentMethod, QrCodeType, Reconciled, RetailOutletName,
};
use serde_json::{json, Value};

fn fixture(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("fixtures are JSON")
}

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

    let back = serde_json::to_value(&invoice).expect("serializes");
    assert_eq!(back, v, "every unknown field is written back as it came");
    assert_eq!(
        back["future_field"]["nested"][1].to_string(),
        "2.50",
        "numbers inside unknown fields keep their text"
    );
}

#[test]
fn unknown_fields_of_a_callback_survive_parse_then_serialize() {
    let mut v = fixture("webhook/paid_ewallet_dana.json");
    v["new_settlement_info"] = text(r#"{"batch": "B-1", "fee": 1234.50}"#);
    let event = parse_callback(&serde_json::to_vec(&v).expect("serializes")).expect("parses");
    assert_eq!(
        event.callback.extra["new_settlement_info"],
        v["new_settlement_info"]
    );
    assert_eq!(
        serde_json::to_value(&event.callback).expect("serializes"),
        v
    );
}

#[test]
fn missing_optional_arrays_read_as_empty() {
    let mut v = invoice_json();
    let obj = v.as_object_mut().expect("an object");
    for key in [
        "available_banks",
        "available_retail_outlets",
        "available_ewallets",
        "available_qr_codes",
        "available_direct_debits",
        "available_paylaters",
        "items",
        "fees",
    ] {
        obj.remove(key);
    }
    let invoice = parse(&v);
    assert!(invoice.available_banks.is_empty());
    assert!(invoice.available_retail_outlets.is_empty());
    assert!(invoice.available_ewallets.is_empty());
    assert!(invoice.available_qr_codes.is_empty());
    assert!(invoice.available_direct_debits.is_empty());
    assert!(invoice.available_paylaters.is_empty());
    assert!(invoice.items.is_empty());
    assert!(invoice.fees.is_empty());
}

#[test]
fn null_optional_arrays_read_as_empty() {
    let mut v = invoice_json();
    for key in [
        "available_banks",
        "available_retail_outlets",
        "available_ewallets",
        "available_qr_codes",
        "available_direct_debits",
        "available_paylaters",
        "items",
        "fees",
    ] {
        v[key] = Value::Null;
    }
    let invoice = parse(&v);
    assert!(invoice.available_banks.is_empty());
    assert!(invoice.available_paylaters.is_empty());
    assert!(invoice.items.is_empty() && invoice.fees.is_empty());
}

#[test]
fn missing_optional_fields_of_a_callback_read_as_absent() {
    let v = json!({
        "id": "x", "external_id": "e", "user_id": "u", "status": "EXPIRED",
        "merchant_name": "m", "amount": 10000, "currency": "IDR",
        "created": "2020-01-13T02:32:49.827Z", "updated": "2020-01-13T02:32:49.827Z"
    });
    let event = parse_callback(&serde_json::to_vec(&v).expect("serializes")).expect("parses");
    assert_eq!(event.kind, EventKind::Expired);
    assert_eq!(event.callback.items, None);
    assert_eq!(event.callback.paid_at, None);
    assert_eq!(
        serde_json::to_value(&event.callback).expect("serializes"),
        v
    );
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
    assert_eq!(
        invoice.status,
        InvoiceStatus::Unknown("PARTIALLY_PAID".into())
    );
    assert_eq!(
        invoice.available_banks[0].bank_code,
        BankCode::Unknown("NEWBANK".into())
    );
    assert_eq!(
        invoice.available_retail_outlets[0].retail_outlet_name,
        RetailOutletName::Unknown("NEWMART".into())
    );
    assert_eq!(
        invoice.available_ewallets[0].ewallet_type,
        EwalletType::Unknown("NEWPAY".into())
    );
    assert_eq!(
        invoice.available_qr_codes[0].qr_code_type,
        QrCodeType::Unknown("NEWQR".into())
    );
    assert_eq!(
        invoice.available_direct_debits[0].direct_debit_type,
        DirectDebitType::Unknown("DD_NEWBANK".into())
    );
    assert_eq!(
        invoice.available_paylaters[0].paylater_type,
        PaylaterType::Unknown("NEWLATER".into())
    );
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

    assert_eq!(serde_json::to_value(&invoice).expect("serializes"), v);
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
    assert!(InvoiceStatus::KNOWN
        .iter()
        .all(|s| InvoiceStatus::from(s.as_str()).is_known()));
    assert!(BankCode::KNOWN
        .iter()
        .all(|s| BankCode::from(s.as_str()).is_known()));
    assert!(EwalletType::KNOWN
        .iter()
        .all(|s| EwalletType::from(s.as_str()).is_known()));
    assert!(RetailOutletName::KNOWN
        .iter()
        .all(|s| RetailOutletName::from(s.as_str()).is_known()));
    assert!(QrCodeType::KNOWN
        .iter()
        .all(|s| QrCodeType::from(s.as_str()).is_known()));
    assert!(DirectDebitType::KNOWN
        .iter()
        .all(|s| DirectDebitType::from(s.as_str()).is_known()));
    assert!(PaylaterType::KNOWN
        .iter()
        .all(|s| PaylaterType::from(s.as_str()).is_known()));
    assert!(PaymentMethod::KNOWN
        .iter()
        .all(|s| PaymentMethod::from(s.as_str()).is_known()));
    assert!(ClientType::KNOWN
        .iter()
        .all(|s| ClientType::from(s.as_str()).is_known()));
    assert!(NotificationChannel::KNOWN
        .iter()
        .all(|s| NotificationChannel::from(s.as_str()).is_known()));
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
    let event = parse_callback(&serde_json::to_vec(&body).expect("serializes"))
        .expect("a callback with a new status parses");
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

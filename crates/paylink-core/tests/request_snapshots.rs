//! Snapshots of every request payload paylink emits: the create request with every field set,
//! typical create requests, and the list query with every parameter.
//!
//! The snapshots hold the exact JSON text sent on the wire (`serde_json::to_string_pretty`).
//! `insta::assert_json_snapshot!` re-serializes through its own data model, which shows
//! serde_json's arbitrary-precision numbers as `{"$serde_json::private::Number": "..."}`
//! objects and could not show `100.50` as written, so it would not be the payload we send.

use paylink_core::{
    Address, CardProperties, ChannelProperties, ClientType, CreateInvoiceFields,
    CreateInvoiceRequest, Currency, Customer, InstallmentConfiguration, InstallmentTerms,
    InvoiceFee, InvoiceItem, InvoiceStatus, ListInvoicesQuery, NotificationChannel,
    NotificationPreference,
};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use time::macros::datetime;

/// The JSON text of a request, as sent.
fn wire(request: &CreateInvoiceRequest) -> String {
    let text = serde_json::to_string_pretty(request).expect("a request serializes");
    let back: CreateInvoiceRequest = serde_json::from_str(&text).expect("and reads back");
    assert_eq!(&back, request, "the payload reads back as the same request");
    text
}

fn customer() -> Customer {
    Customer {
        id: Some("cust-5f4708b7bd394b0400b96276".into()),
        phone_number: Some("+6287774441111".into()),
        given_names: Some("John".into()),
        surname: Some("Doe".into()),
        email: Some("johndoe@example.com".into()),
        mobile_number: Some("+6287774441111".into()),
        customer_id: Some("merchant-customer-42".into()),
        addresses: Some(vec![Address {
            country: Some("Indonesia".into()),
            street_line1: Some("Jalan Makan".into()),
            street_line2: Some("Kecamatan Kebayoran Baru".into()),
            city: Some("Jakarta Selatan".into()),
            province: Some("DKI Jakarta".into()),
            state: Some("Daerah Khusus Ibukota Jakarta".into()),
            postal_code: Some("12345".into()),
        }]),
        extra: serde_json::Map::new(),
    }
}

fn notifications() -> NotificationPreference {
    NotificationPreference {
        invoice_created: Some(vec![
            NotificationChannel::Whatsapp,
            NotificationChannel::Email,
        ]),
        invoice_reminder: Some(vec![NotificationChannel::Sms]),
        invoice_paid: Some(vec![NotificationChannel::Email, NotificationChannel::Viber]),
        invoice_expired: Some(vec![NotificationChannel::Email]),
    }
}

fn installments() -> ChannelProperties {
    ChannelProperties {
        cards: Some(CardProperties {
            allowed_bins: Some(vec!["411111".into(), "52000000".into()]),
            installment_configuration: Some(InstallmentConfiguration {
                allow_full_payment: Some(true),
                allowed_terms: Some(vec![
                    InstallmentTerms {
                        issuer: "BCA".into(),
                        terms: vec![3, 6, 12],
                    },
                    InstallmentTerms {
                        issuer: "BNI".into(),
                        terms: vec![3],
                    },
                ]),
            }),
        }),
    }
}

#[test]
fn the_builder_with_every_field_set_emits_every_field() {
    let mut item = InvoiceItem::new("Air Conditioner", 1, dec!(100000));
    item.reference_id = Some("sku-ac-1".into());
    item.url = Some("https://yourcompany.com/example_item".into());
    item.category = Some("Electronic".into());
    let request =
        CreateInvoiceRequest::builder("payment-link-example", dec!(510000), Currency::Idr)
            .payer_email("customer@domain.com")
            .description("Air Conditioner purchase")
            .invoice_duration(86_400)
            .callback_virtual_account_id("5f4708b7bd394b0400b96276")
            .should_send_email(true)
            .customer(customer())
            .customer_notification_preference(notifications())
            .success_redirect_url("https://www.example.com/success")
            .failure_redirect_url("https://www.example.com/failure")
            .payment_methods(["BCA", "BNI", "OVO", "CREDIT_CARD"])
            .mid_label("CHANNEL_A")
            .should_authenticate_credit_card(true)
            .reminder_time(1)
            .reminder_time_unit("days")
            .locale("en")
            .item(item)
            .fee(InvoiceFee::new("ADMIN", dec!(5000)))
            .channel_properties(installments())
            .metadata_entry("store_branch", "Jakarta")
            .fixed_va(true)
            .build()
            .expect("a valid request");

    let value = serde_json::to_value(&request).expect("serializes");
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let every_field: Vec<String> =
        match serde_json::to_value(CreateInvoiceFields::new("x", dec!(1))).expect("serializes") {
            Value::Object(m) => m.keys().cloned().collect(),
            other => panic!("fields serialize to an object, got {other}"),
        };
    // A Value's keys are sorted (serde_json without `preserve_order`).
    assert_eq!(
        every_field,
        ["amount", "external_id"],
        "only required fields by default"
    );
    assert_eq!(
        keys.len(),
        23,
        "every field of the create request is set: {keys:?}"
    );

    insta::assert_snapshot!(wire(&request));
}

#[test]
fn a_minimal_request() {
    let request = CreateInvoiceRequest::builder("order-1", dec!(10000), Currency::Idr)
        .build()
        .expect("valid");
    insta::assert_snapshot!(wire(&request));
}

#[test]
fn a_request_with_items_and_fees_writes_amounts_exactly() {
    let mut shirt = InvoiceItem::new("T-shirt", 2, dec!(12.50));
    shirt.category = Some("Clothing".into());
    let request = CreateInvoiceRequest::builder("order-usd-7", dec!(100.50), Currency::Usd)
        .description("Two shirts and a mug")
        .item(shirt)
        .item(InvoiceItem::new("Mug", dec!(1.5), dec!(40.00)))
        .fee(InvoiceFee::new("Shipping", dec!(15.25)))
        .fee(InvoiceFee::new("Discount", dec!(-5.00)))
        .build()
        .expect("valid");
    insta::assert_snapshot!(wire(&request));
}

#[test]
fn a_request_with_customer_addresses_and_notification_preference() {
    let request = CreateInvoiceRequest::builder("order-ph-3", dec!(1499.99), Currency::Php)
        .payer_email("johndoe@example.com")
        .customer(customer())
        .customer_notification_preference(notifications())
        .locale("en")
        .build()
        .expect("valid");
    insta::assert_snapshot!(wire(&request));
}

#[test]
fn a_request_with_card_installments() {
    let request = CreateInvoiceRequest::builder("order-card-9", dec!(25000000), Currency::Idr)
        .payment_methods(["CREDIT_CARD"])
        .channel_properties(installments())
        .should_authenticate_credit_card(true)
        .build()
        .expect("valid");
    insta::assert_snapshot!(wire(&request));
}

#[test]
fn a_request_with_metadata() {
    let metadata = json!({
        "store_branch": "Jakarta",
        "order_lines": 3,
        "priority": true,
        "tags": ["gift", "express"],
        "nested": {"campaign": "11.11", "cohort": null}
    });
    let Value::Object(metadata) = metadata else {
        panic!("an object")
    };
    let request = CreateInvoiceRequest::builder("order-meta-1", dec!(75000), Currency::Idr)
        .metadata(metadata)
        .metadata_entry(
            "exact_rate",
            serde_json::to_value(paylink_core::json_amount::Amount(dec!(0.0150)))
                .expect("a number"),
        )
        .build()
        .expect("valid");
    insta::assert_snapshot!(wire(&request));
}

#[test]
fn a_list_query_with_every_parameter() {
    let query = ListInvoicesQuery {
        external_id: Some("order-1".into()),
        statuses: vec![InvoiceStatus::Pending, InvoiceStatus::Paid],
        limit: Some(10),
        created_after: Some(datetime!(2023-01-01 00:00 UTC)),
        created_before: Some(datetime!(2023-01-31 23:59:59.5 +07:00)),
        paid_after: Some(datetime!(2023-01-02 00:00 UTC)),
        paid_before: Some(datetime!(2023-01-03 00:00 UTC)),
        expired_after: Some(datetime!(2023-01-04 00:00 UTC)),
        expired_before: Some(datetime!(2023-01-05 00:00 UTC)),
        last_invoice: Some("64e44c42cf6ba3554184a337".into()),
        client_types: vec![ClientType::ApiGateway, ClientType::Dashboard],
        payment_channels: vec!["BCA".into(), "OVO".into()],
        on_demand_link: Some("odl-1".into()),
        recurring_payment_id: Some("rp-1".into()),
    };
    let pairs: Vec<String> = query
        .to_pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let borrowed: Vec<(&str, String)> = query.to_pairs();
    let back = ListInvoicesQuery::from_pairs(borrowed.iter().map(|(k, v)| (*k, v.as_str())))
        .expect("its own pairs read back");
    assert_eq!(back, query);
    insta::assert_snapshot!(pairs.join("\n"));
}

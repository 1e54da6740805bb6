//! Behaviour of `FakeGateway`, one rule per test: what create answers and refuses, get, list,
//! expire, the clock, payments, settlement, callbacks, faults and determinism.

use std::time::Duration;

use paylink_core::{
    AmountLimits, ApiError, BankCode, ChannelCode, CreateInvoiceFields, CreateInvoiceRequest,
    Currency, Customer, EwalletType, Gateway, GatewayError, Invoice, InvoiceFee, InvoiceItem,
    InvoiceStatus, ListInvoicesQuery, Operation, PaymentMethod, RequestOptions,
};
use paylink_fake::{FakeError, FakeGateway, PayWith, DEFAULT_INVOICE_BASE_URL};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::macros::datetime;

fn opts() -> RequestOptions {
    RequestOptions::default()
}

fn idr(external_id: &str, amount: i64) -> paylink_core::CreateInvoiceBuilder {
    CreateInvoiceRequest::builder(external_id, Decimal::from(amount), Currency::Idr)
}

async fn create(fake: &FakeGateway, req: paylink_core::CreateInvoiceBuilder) -> Invoice {
    let req = req.build().expect("valid request");
    fake.create_invoice(&req, &opts())
        .await
        .expect("create succeeds")
}

async fn refused(fake: &FakeGateway, req: paylink_core::CreateInvoiceBuilder) -> ApiError {
    let req = req
        .limits(AmountLimits::unbounded())
        .build()
        .expect("valid shape");
    match fake.create_invoice(&req, &opts()).await {
        Err(GatewayError::Validation(e)) => *e,
        other => panic!("expected a Validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_answers_what_xendits_server_answers() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("order-1", 50_000).description("Tea")).await;
    assert_eq!(inv.id.len(), 24);
    assert!(inv
        .id
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(inv.status, InvoiceStatus::Pending);
    assert_eq!(inv.user_id, fake.config().user_id);
    assert_eq!(inv.merchant_name, fake.config().merchant_name);
    assert_eq!(
        inv.merchant_profile_picture_url,
        fake.config().merchant_profile_picture_url
    );
    assert_eq!(
        inv.invoice_url,
        format!("{DEFAULT_INVOICE_BASE_URL}{}", inv.id)
    );
    assert_eq!(inv.created, fake.now());
    assert_eq!(inv.updated, inv.created);
    assert_eq!(
        inv.expiry_date,
        inv.created + time::Duration::seconds(86_400)
    );
    assert_eq!(inv.currency, Some(Currency::Idr));
    assert!(!inv.should_send_email);
    let json = serde_json::to_value(&inv).expect("serializes");
    assert_eq!(json["created"], "2024-11-28T06:40:26.508Z");
    assert_eq!(json["expiry_date"], "2024-11-29T06:40:26.508Z");
}

#[tokio::test]
async fn the_channels_offered_follow_the_currency_when_no_method_is_chosen() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("all", 50_000)).await;
    let banks: Vec<&str> = inv
        .available_banks
        .iter()
        .map(|b| b.bank_code.as_str())
        .collect();
    assert!(
        banks.contains(&"BCA") && banks.contains(&"BNI"),
        "{banks:?}"
    );
    assert!(!inv.available_retail_outlets.is_empty());
    assert!(!inv.available_ewallets.is_empty());
    assert_eq!(inv.available_qr_codes.len(), 1);
    assert!(!inv.available_direct_debits.is_empty());
    assert!(!inv.available_paylaters.is_empty());
    assert_eq!(inv.should_exclude_credit_card, Some(false));
    let bank = &inv.available_banks[0];
    assert_eq!(bank.collection_type, "POOL");
    assert_eq!(bank.transfer_amount, Some(dec!(50000)));
    assert_eq!(
        bank.account_holder_name,
        fake.config().merchant_name.to_uppercase()
    );

    let php = CreateInvoiceRequest::builder("ph", dec!(500), Currency::Php);
    let inv = create(&fake, php).await;
    assert!(inv.available_banks.is_empty());
    let outlets: Vec<&str> = inv
        .available_retail_outlets
        .iter()
        .map(|o| o.retail_outlet_name.as_str())
        .collect();
    assert!(outlets.contains(&"7ELEVEN"), "{outlets:?}");
    assert_eq!(inv.available_qr_codes[0].qr_code_type.as_str(), "QRPH");
}

#[tokio::test]
async fn payment_methods_restrict_the_channels_offered() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("some", 50_000).payment_methods(["BNI", "DANA"])).await;
    assert_eq!(inv.available_banks.len(), 1);
    assert_eq!(inv.available_banks[0].bank_code, BankCode::Bni);
    assert_eq!(inv.available_ewallets.len(), 1);
    assert_eq!(inv.available_ewallets[0].ewallet_type, EwalletType::Dana);
    assert!(inv.available_retail_outlets.is_empty());
    assert!(inv.available_qr_codes.is_empty());
    assert!(inv.available_direct_debits.is_empty());
    assert!(inv.available_paylaters.is_empty());
    assert_eq!(inv.should_exclude_credit_card, Some(true));
}

#[tokio::test]
async fn create_echoes_items_fees_customer_and_metadata() {
    let fake = FakeGateway::new();
    let customer = Customer {
        given_names: Some("John".into()),
        email: Some("john@example.com".into()),
        ..Customer::default()
    };
    let inv = create(
        &fake,
        idr("echo", 510_000)
            .item(InvoiceItem::new("Air Conditioner", 1, dec!(100000)))
            .fee(InvoiceFee::new("ADMIN", dec!(5000)))
            .customer(customer.clone())
            .metadata_entry("store_branch", "Jakarta")
            .invoice_duration(600),
    )
    .await;
    assert_eq!(inv.items[0].name, "Air Conditioner");
    assert_eq!(inv.fees[0].fee_type, "ADMIN");
    assert_eq!(inv.customer, Some(customer));
    assert_eq!(
        inv.metadata.as_ref().and_then(|m| m.get("store_branch")),
        Some(&serde_json::json!("Jakarta"))
    );
    assert_eq!(inv.expiry_date - inv.created, time::Duration::seconds(600));
}

/// One server-side refusal: the fake, the request, Xendit's code and (when it is fixed) its
/// message.
struct Refusal {
    name: &'static str,
    fake: FakeGateway,
    request: paylink_core::CreateInvoiceBuilder,
    code: &'static str,
    message: Option<&'static str>,
}

#[tokio::test]
async fn server_side_rules_refuse_with_xendits_code_and_message_and_store_nothing() {
    let only_bni_ovo = FakeGateway::builder()
        .channels(Currency::Idr, ["BNI", "OVO"])
        .build();
    let no_usd = FakeGateway::builder()
        .channels(Currency::Usd, Vec::<ChannelCode>::new())
        .build();
    let cases = [
        Refusal {
            name: "an amount under the minimum",
            fake: FakeGateway::new(),
            request: idr("low", 9_999),
            code: "MINIMAL_TRANSFER_AMOUNT_ERROR",
            message: Some("The minimum amount for using this payment is IDR 10,000"),
        },
        Refusal {
            name: "an amount over the maximum",
            fake: FakeGateway::new(),
            request: idr("high", 1_000_000_001),
            code: "MAXIMUM_TRANSFER_AMOUNT_ERROR",
            message: Some("The maximum amount for using this payment is IDR 1,000,000,000"),
        },
        Refusal {
            name: "retail outlets cap an IDR invoice at five million",
            fake: FakeGateway::new(),
            request: idr("cap", 5_000_001),
            code: "MAXIMUM_TRANSFER_AMOUNT_ERROR",
            message: Some("The maximum amount for using this payment is IDR 5,000,000"),
        },
        Refusal {
            name: "a retail outlet chosen among others still caps the amount",
            fake: FakeGateway::new(),
            request: idr("cap", 6_000_000).payment_methods(["BNI", "ALFAMART"]),
            code: "MAXIMUM_TRANSFER_AMOUNT_ERROR",
            message: None,
        },
        Refusal {
            name: "an unknown payment method",
            fake: FakeGateway::new(),
            request: idr("x", 50_000).payment_methods(["BITCOIN"]),
            code: "UNAVAILABLE_PAYMENT_METHOD_ERROR",
            message: Some(
                "The payment method choices did not match with the available one on this business",
            ),
        },
        Refusal {
            name: "a channel the merchant has not enabled",
            fake: only_bni_ovo.clone(),
            request: idr("x", 50_000).payment_methods(["DANA"]),
            code: "UNAVAILABLE_PAYMENT_METHOD_ERROR",
            message: None,
        },
        Refusal {
            name: "a channel that does not serve the currency",
            fake: FakeGateway::new(),
            request: CreateInvoiceRequest::builder("ph", dec!(500), Currency::Php)
                .payment_methods(["BCA"]),
            code: "UNSUPPORTED_CURRENCY",
            message: Some("The payment currency request is not supported for this payment channel"),
        },
        Refusal {
            name: "a currency with no enabled channel",
            fake: no_usd,
            request: CreateInvoiceRequest::builder("usd", dec!(10), Currency::Usd),
            code: "NO_COLLECTION_METHODS_ERROR",
            message: None,
        },
    ];
    for case in cases {
        let e = refused(&case.fake, case.request).await;
        assert_eq!(
            (e.status, e.error_code.as_str()),
            (400, case.code),
            "{}",
            case.name
        );
        if let Some(message) = case.message {
            assert_eq!(e.message, message, "{}", case.name);
        }
        assert!(
            case.fake.is_empty(),
            "{}: a refused create stores nothing",
            case.name
        );
    }

    // What the refusals leave possible.
    let fake = FakeGateway::new();
    let ok = create(
        &fake,
        idr("cap", 6_000_000).payment_methods(["BNI", "DANA"]),
    )
    .await;
    assert_eq!(ok.amount, dec!(6000000));
    let ok = create(&fake, idr("cap", 5_000_000)).await;
    assert_eq!(ok.status, InvoiceStatus::Pending);
    let inv = create(&only_bni_ovo, idr("y", 50_000)).await;
    assert_eq!(inv.available_banks.len(), 1);
    assert_eq!(inv.available_ewallets.len(), 1);
    assert_eq!(inv.should_exclude_credit_card, Some(true));
}
#[tokio::test]
async fn raw_fields_with_shape_violations_are_api_validation_error_with_every_path() {
    let fake = FakeGateway::new();
    let mut fields = CreateInvoiceFields::new(" ", dec!(0));
    fields.payer_email = Some("not-an-email".into());
    let err = fake
        .create_invoice_fields(fields, &opts())
        .await
        .expect_err("invalid fields are refused");
    let GatewayError::Validation(e) = err else {
        panic!("expected Validation, got {err:?}");
    };
    assert_eq!(
        (e.status, e.error_code.as_str()),
        (400, "API_VALIDATION_ERROR")
    );
    let errors = e.errors.expect("errors are listed");
    let paths: Vec<&str> = errors
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|v| v["path"].as_str())
        .collect();
    assert_eq!(paths, ["external_id", "amount", "payer_email"]);
    assert!(
        e.message.starts_with("\"external_id\" must not be empty"),
        "{}",
        e.message
    );
    assert!(fake.is_empty());
}

#[tokio::test]
async fn a_malformed_email_alone_is_email_format_error() {
    let fake = FakeGateway::new();
    for (payer, customer) in [(Some("buyer@"), None), (None, Some("no-at-sign"))] {
        let mut fields = CreateInvoiceFields::new("email", dec!(50000));
        fields.payer_email = payer.map(str::to_owned);
        fields.customer = customer.map(|email| paylink_core::Customer {
            email: Some(email.to_owned()),
            ..paylink_core::Customer::default()
        });
        let err = fake
            .create_invoice_fields(fields, &opts())
            .await
            .expect_err("a bad e-mail is refused");
        let GatewayError::Validation(e) = err else {
            panic!("expected Validation, got {err:?}");
        };
        assert_eq!(
            (e.status, e.error_code.as_str(), e.message.as_str()),
            (
                400,
                "EMAIL_FORMAT_ERROR",
                "Customer email format is invalid"
            )
        );
        assert!(e.errors.is_some(), "the violation is listed");
    }
    assert!(fake.is_empty());
}

#[tokio::test]
async fn raw_idr_decimals_are_truncated_as_xendit_does() {
    let fake = FakeGateway::new();
    let inv = fake
        .create_invoice_fields(CreateInvoiceFields::new("dec", dec!(10000.99)), &opts())
        .await
        .expect("truncated, then accepted");
    assert_eq!(inv.amount, dec!(10000));
    let err = fake
        .create_invoice_fields(CreateInvoiceFields::new("dec", dec!(9999.99)), &opts())
        .await
        .expect_err("9999 is under the minimum");
    assert_eq!(err.error_code(), Some("MINIMAL_TRANSFER_AMOUNT_ERROR"));
    let mut php = CreateInvoiceFields::new("php", dec!(10.001));
    php.currency = Some(Currency::Php);
    let err = fake
        .create_invoice_fields(php, &opts())
        .await
        .expect_err("PHP takes 2 decimals");
    assert_eq!(err.error_code(), Some("API_VALIDATION_ERROR"));
}

#[tokio::test]
async fn get_of_an_unknown_or_malformed_id_is_invoice_not_found() {
    let fake = FakeGateway::new();
    for id in [
        "ffffffffffffffffffffffff",
        "nope",
        "",
        "6748105A77F16EBE0CC583A7",
    ] {
        let err = fake.get_invoice(id, &opts()).await.expect_err("not found");
        assert!(matches!(err, GatewayError::NotFound(_)), "{id}: {err:?}");
        assert_eq!(err.error_code(), Some("INVOICE_NOT_FOUND_ERROR"));
        assert_eq!(
            err.api_error().map(|e| e.message.as_str()),
            Some("Invoice not found.")
        );
    }
}

#[tokio::test]
async fn list_answers_newest_first_with_limit_and_cursor() {
    let fake = FakeGateway::new();
    let mut made = Vec::new();
    for i in 0..25 {
        made.push(create(&fake, idr(&format!("l-{i}"), 20_000)).await.id);
        fake.advance(Duration::from_millis(1));
    }
    made.reverse();
    let page = fake
        .list_invoices(&ListInvoicesQuery::default(), &opts())
        .await
        .expect("list");
    assert_eq!(page.len(), 10, "the default page size is 10");
    let mut seen = Vec::new();
    let mut q = ListInvoicesQuery {
        limit: Some(7),
        ..ListInvoicesQuery::default()
    };
    loop {
        let page = fake.list_invoices(&q, &opts()).await.expect("list");
        seen.extend(page.iter().map(|i| i.id.clone()));
        match q.next_page(&page) {
            Some(next) => q = next,
            None => break,
        }
    }
    assert_eq!(seen, made);
}

#[tokio::test]
async fn a_limit_over_one_hundred_is_refused() {
    let fake = FakeGateway::new();
    let q = ListInvoicesQuery {
        limit: Some(101),
        ..ListInvoicesQuery::default()
    };
    let err = fake
        .list_invoices(&q, &opts())
        .await
        .expect_err("too large");
    assert_eq!(err.error_code(), Some("API_VALIDATION_ERROR"));
}

#[tokio::test]
async fn list_filters_by_payment_channel_and_expiry_window() {
    let fake = FakeGateway::new();
    let a = create(&fake, idr("f", 20_000)).await;
    let b = create(&fake, idr("f", 20_000)).await;
    let c = create(&fake, idr("f", 20_000)).await;
    fake.pay(&a.id, PayWith::channel("BNI")).expect("pay");
    fake.pay(&b.id, PayWith::channel("DANA")).expect("pay");
    fake.advance(Duration::from_secs(60));
    let expired = fake.expire_invoice(&c.id, &opts()).await.expect("expire");
    let q = ListInvoicesQuery {
        payment_channels: vec![ChannelCode::from("DANA")],
        ..ListInvoicesQuery::default()
    };
    let page = fake.list_invoices(&q, &opts()).await.expect("list");
    assert_eq!(page.iter().map(|i| &i.id).collect::<Vec<_>>(), [&b.id]);
    let q = ListInvoicesQuery {
        expired_after: Some(expired.updated),
        ..ListInvoicesQuery::default()
    };
    let page = fake.list_invoices(&q, &opts()).await.expect("list");
    assert_eq!(page.iter().map(|i| &i.id).collect::<Vec<_>>(), [&c.id]);
}

#[tokio::test]
async fn expire_of_a_link_that_is_not_pending_names_the_id() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("e", 20_000)).await;
    fake.expire_invoice(&inv.id, &opts())
        .await
        .expect("first expire");
    let err = fake
        .expire_invoice(&inv.id, &opts())
        .await
        .expect_err("second expire");
    let api = err.api_error().expect("an API error");
    assert_eq!(
        (api.status, api.error_code.as_str()),
        (404, "INVOICE_NOT_FOUND_ERROR")
    );
    assert_eq!(
        api.message,
        format!("Could not find and update PENDING invoice {}", inv.id)
    );
}

#[tokio::test]
async fn a_manual_expire_emits_the_expired_callback_at_the_current_time() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("e", 20_000)).await;
    fake.advance(Duration::from_secs(90));
    let expired = fake.expire_invoice(&inv.id, &opts()).await.expect("expire");
    assert_eq!(expired.updated, fake.now());
    let cbs = fake.callbacks();
    assert_eq!(cbs.len(), 1);
    assert_eq!(cbs[0].status, InvoiceStatus::Expired);
    assert_eq!(cbs[0].invoice_id, inv.id);
}

#[tokio::test]
async fn invoices_of_a_sub_account_are_visible_only_with_its_for_user_id() {
    let fake = FakeGateway::new();
    let sub = RequestOptions::for_user("5f9a3fbd571a1c4068aa40cf");
    let other = RequestOptions::for_user("5f9a3fbd571a1c4068aa40ff");
    let req = idr("sub", 20_000).build().expect("valid");
    let inv = fake.create_invoice(&req, &sub).await.expect("create");
    assert_eq!(inv.user_id, "5f9a3fbd571a1c4068aa40cf");
    assert!(fake.get_invoice(&inv.id, &sub).await.is_ok());
    assert!(fake.get_invoice(&inv.id, &opts()).await.is_err());
    assert!(fake.get_invoice(&inv.id, &other).await.is_err());
    let all = fake
        .list_invoices(&ListInvoicesQuery::default(), &opts())
        .await
        .expect("list");
    assert!(all.is_empty());
    assert_eq!(fake.invoice(&inv.id).map(|i| i.id), Some(inv.id));
}

#[tokio::test]
async fn advance_expires_exactly_the_links_that_fall_due() {
    let fake = FakeGateway::new();
    let short = create(&fake, idr("short", 20_000).invoice_duration(60)).await;
    let long = create(&fake, idr("long", 20_000).invoice_duration(3_600)).await;
    assert!(fake.advance(Duration::from_secs(59)).is_empty());
    let expired = fake.advance(Duration::from_secs(1));
    assert_eq!(
        expired.iter().map(|i| &i.id).collect::<Vec<_>>(),
        [&short.id]
    );
    assert_eq!(expired[0].status, InvoiceStatus::Expired);
    assert_eq!(expired[0].updated, short.expiry_date);
    let long_now = fake.get_invoice(&long.id, &opts()).await.expect("get");
    assert_eq!(long_now.status, InvoiceStatus::Pending);
    let cbs = fake.callbacks();
    assert_eq!(cbs.len(), 1);
    assert_eq!(cbs[0].status, InvoiceStatus::Expired);
    let later = fake.advance(Duration::from_secs(86_400));
    assert_eq!(later.len(), 1);
    assert!(fake.advance(Duration::from_secs(86_400)).is_empty());
}

#[tokio::test]
async fn set_time_moves_forward_only() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("t", 20_000).invoice_duration(60)).await;
    let expired = fake.set_time(inv.expiry_date).expect("forward");
    assert_eq!(expired.len(), 1);
    let err = fake
        .set_time(datetime!(2020-01-01 0:00 UTC))
        .expect_err("backwards");
    assert!(matches!(err, FakeError::TimeWentBackwards { .. }));
    assert_eq!(fake.now(), inv.expiry_date);
}

#[tokio::test]
async fn paying_fills_the_paid_fields_of_each_family() {
    let fake = FakeGateway::new();
    let cases = [
        ("BNI", PaymentMethod::BankTransfer),
        ("DANA", PaymentMethod::Ewallet),
        ("ALFAMART", PaymentMethod::RetailOutlet),
        ("QRIS", PaymentMethod::QrCode),
        ("CREDIT_CARD", PaymentMethod::CreditCard),
        ("DD_BRI", PaymentMethod::DirectDebit),
        ("KREDIVO", PaymentMethod::Paylater),
    ];
    for (channel, method) in cases {
        let inv = create(&fake, idr(channel, 75_000)).await;
        fake.advance(Duration::from_secs(5));
        let paid = fake.pay(&inv.id, PayWith::channel(channel)).expect("pay");
        assert_eq!(paid.status, InvoiceStatus::Paid);
        assert_eq!(paid.paid_amount, Some(dec!(75000)));
        assert_eq!(paid.paid_at, Some(fake.now()));
        assert_eq!(paid.updated, fake.now());
        assert_eq!(paid.payment_method, Some(method));
        assert_eq!(paid.payment_channel, Some(ChannelCode::from(channel)));
        match channel {
            "BNI" => {
                assert_eq!(paid.bank_code, Some(BankCode::Bni));
                assert_eq!(paid.payment_destination.as_ref().map(String::len), Some(16));
            }
            "DANA" => {
                assert_eq!(paid.ewallet_type, Some(EwalletType::Dana));
                assert!(paid
                    .payment_id
                    .as_deref()
                    .is_some_and(|p| p.starts_with("ewc_")));
            }
            "ALFAMART" => assert!(paid.payment_destination.is_some()),
            "QRIS" => {
                assert!(paid
                    .payment_id
                    .as_deref()
                    .is_some_and(|p| p.starts_with("qrpy_")));
                assert!(paid
                    .payment_details
                    .as_ref()
                    .is_some_and(|d| d.source.is_some()));
            }
            "CREDIT_CARD" => {
                assert_eq!(
                    paid.credit_card_charge_id.as_ref().map(String::len),
                    Some(24)
                );
            }
            _ => assert!(paid.payment_id.is_some()),
        }
        let got = fake.get_invoice(&inv.id, &opts()).await.expect("get");
        assert_eq!(got, paid);
    }
}

#[tokio::test]
async fn a_reported_method_can_replace_the_familys_default() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("pool", 20_000)).await;
    let paid = fake
        .pay(&inv.id, PayWith::channel("BNI").method(PaymentMethod::Pool))
        .expect("pay");
    assert_eq!(paid.payment_method, Some(PaymentMethod::Pool));
    assert_eq!(paid.bank_code, Some(BankCode::Bni));
}

#[tokio::test]
async fn a_failed_attempt_leaves_the_link_pending_and_payable() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("retry", 20_000)).await;
    let after = fake
        .fail_payment(&inv.id, PayWith::channel("OVO"))
        .expect("recorded");
    assert_eq!(after, inv);
    assert_eq!(fake.failed_attempts(&inv.id), Some(1));
    assert!(fake.callbacks().is_empty());
    let paid = fake
        .pay(&inv.id, PayWith::channel("OVO"))
        .expect("pay after failure");
    assert_eq!(paid.status, InvoiceStatus::Paid);
}

#[tokio::test]
async fn an_expired_link_cannot_be_paid() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("late", 20_000).invoice_duration(10)).await;
    fake.advance(Duration::from_secs(10));
    let err = fake
        .pay(&inv.id, PayWith::channel("BNI"))
        .expect_err("expired");
    assert_eq!(
        err,
        FakeError::Expired {
            id: inv.id.clone(),
            expired_at: inv.expiry_date
        }
    );
    assert_eq!(fake.callbacks().len(), 1, "only the EXPIRED callback");
}

#[tokio::test]
async fn a_paid_link_cannot_be_paid_again() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("twice", 20_000)).await;
    let paid = fake.pay(&inv.id, PayWith::channel("BNI")).expect("pay");
    let err = fake
        .pay(&inv.id, PayWith::channel("BRI"))
        .expect_err("already paid");
    assert_eq!(
        err,
        FakeError::AlreadyPaid {
            id: inv.id.clone(),
            status: InvoiceStatus::Paid
        }
    );
    assert_eq!(fake.invoice(&inv.id), Some(paid));
    let err = fake
        .fail_payment(&inv.id, PayWith::channel("BRI"))
        .expect_err("already paid");
    assert!(matches!(err, FakeError::AlreadyPaid { .. }));
}

#[tokio::test]
async fn a_channel_the_link_does_not_offer_cannot_pay_it() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("only-bni", 20_000).payment_methods(["BNI"])).await;
    let err = fake
        .pay(&inv.id, PayWith::channel("DANA"))
        .expect_err("not offered");
    assert!(
        matches!(err, FakeError::ChannelNotOffered { .. }),
        "{err:?}"
    );
    let err = fake
        .pay(&inv.id, PayWith::channel("TEST"))
        .expect_err("unknown");
    assert!(matches!(err, FakeError::UnknownChannel { .. }), "{err:?}");
    let err = fake
        .pay("ffffffffffffffffffffffff", PayWith::channel("BNI"))
        .expect_err("none");
    assert!(matches!(err, FakeError::NotFound { .. }));
    assert_eq!(fake.invoice(&inv.id), Some(inv));
}

#[tokio::test]
async fn settle_moves_paid_to_settled_only() {
    let fake = FakeGateway::new();
    let inv = create(&fake, idr("s", 20_000)).await;
    let err = fake.settle(&inv.id).expect_err("pending");
    assert!(matches!(
        err,
        FakeError::NotPaid {
            status: InvoiceStatus::Pending,
            ..
        }
    ));
    fake.pay(&inv.id, PayWith::channel("BNI")).expect("pay");
    fake.advance(Duration::from_secs(3_600));
    let settled = fake.settle(&inv.id).expect("settle");
    assert_eq!(settled.status, InvoiceStatus::Settled);
    assert_eq!(settled.updated, fake.now());
    assert!(settled.paid_at.is_some());
    let err = fake.settle(&inv.id).expect_err("twice");
    assert!(matches!(
        err,
        FakeError::AlreadyPaid {
            status: InvoiceStatus::Settled,
            ..
        }
    ));
    assert_eq!(fake.callbacks().len(), 1, "settlement sends no callback");
    let expire = fake.expire_invoice(&inv.id, &opts()).await;
    assert!(matches!(expire, Err(GatewayError::NotFound(_))));
}

#[tokio::test]
async fn subscribers_receive_every_callback_in_order() {
    let fake = FakeGateway::new();
    let mut rx = fake.subscribe();
    let a = create(&fake, idr("a", 20_000)).await;
    let b = create(&fake, idr("b", 20_000).invoice_duration(30)).await;
    fake.pay(&a.id, PayWith::channel("BNI")).expect("pay");
    fake.advance(Duration::from_secs(30));
    let first = rx.recv().await.expect("paid");
    let second = rx.recv().await.expect("expired");
    assert_eq!(
        (first.invoice_id.as_str(), first.status.clone()),
        (a.id.as_str(), InvoiceStatus::Paid)
    );
    assert_eq!(
        (second.invoice_id.as_str(), second.status.clone()),
        (b.id.as_str(), InvoiceStatus::Expired)
    );
    assert_eq!((first.seq, second.seq), (0, 1));
    assert_eq!(fake.callbacks(), vec![first, second]);
    fake.clear_callbacks();
    assert!(fake.callbacks().is_empty());
}

#[tokio::test]
async fn duplicated_callbacks_are_released_twice() {
    let fake = FakeGateway::new();
    fake.duplicate_next_callbacks(1);
    let a = create(&fake, idr("a", 20_000)).await;
    let b = create(&fake, idr("b", 20_000)).await;
    fake.pay(&a.id, PayWith::channel("BNI")).expect("pay");
    fake.pay(&b.id, PayWith::channel("BNI")).expect("pay");
    let ids: Vec<String> = fake.callbacks().into_iter().map(|c| c.invoice_id).collect();
    assert_eq!(ids, [a.id.clone(), a.id, b.id]);
    let cbs = fake.callbacks();
    assert_eq!(cbs[0].body, cbs[1].body);
}

#[tokio::test]
async fn reordered_callbacks_are_released_swapped() {
    let fake = FakeGateway::new();
    fake.reorder_next_callbacks(1);
    let a = create(&fake, idr("a", 20_000)).await;
    let b = create(&fake, idr("b", 20_000)).await;
    let c = create(&fake, idr("c", 20_000)).await;
    fake.pay(&a.id, PayWith::channel("BNI")).expect("pay");
    assert!(fake.callbacks().is_empty(), "the first of the pair is held");
    fake.pay(&b.id, PayWith::channel("BNI")).expect("pay");
    fake.pay(&c.id, PayWith::channel("BNI")).expect("pay");
    let ids: Vec<String> = fake.callbacks().into_iter().map(|c| c.invoice_id).collect();
    assert_eq!(ids, [b.id, a.id, c.id]);
    fake.reorder_next_callbacks(1);
    let d = create(&fake, idr("d", 20_000)).await;
    fake.pay(&d.id, PayWith::channel("BNI")).expect("pay");
    assert!(fake.release_held_callback());
    assert!(!fake.release_held_callback());
    assert_eq!(fake.callbacks().len(), 4);
}

#[tokio::test]
async fn fail_next_fails_exactly_the_next_n_calls_and_changes_nothing() {
    let fake = FakeGateway::new();
    let boom = GatewayError::Server(Box::new(ApiError::new(
        500,
        "INTERNAL_SERVER_ERROR",
        "Something unxpected happened.",
    )));
    fake.fail_next(Operation::Create, 2, boom);
    let req = idr("f", 20_000).build().expect("valid");
    for _ in 0..2 {
        let err = fake
            .create_invoice(&req, &opts())
            .await
            .expect_err("injected");
        assert_eq!(err.error_code(), Some("INTERNAL_SERVER_ERROR"));
    }
    assert!(fake.is_empty());
    let inv = fake
        .create_invoice(&req, &opts())
        .await
        .expect("third succeeds");
    fake.fail_next(
        Operation::Get,
        1,
        GatewayError::Timeout { request_sent: true },
    );
    assert!(matches!(
        fake.get_invoice(&inv.id, &opts()).await,
        Err(GatewayError::Timeout { .. })
    ));
    assert!(fake.get_invoice(&inv.id, &opts()).await.is_ok());
    fake.fail_next(
        Operation::List,
        5,
        GatewayError::Timeout {
            request_sent: false,
        },
    );
    fake.clear_faults();
    assert!(fake
        .list_invoices(&ListInvoicesQuery::default(), &opts())
        .await
        .is_ok());
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_chosen_operation_only() {
    let fake = FakeGateway::new();
    fake.set_latency(Operation::Get, Duration::from_secs(5));
    let inv = create(&fake, idr("slow", 20_000)).await;
    let start = tokio::time::Instant::now();
    fake.get_invoice(&inv.id, &opts()).await.expect("get");
    assert!(start.elapsed() >= Duration::from_secs(5));
    let start = tokio::time::Instant::now();
    fake.list_invoices(&ListInvoicesQuery::default(), &opts())
        .await
        .expect("list");
    assert!(start.elapsed() < Duration::from_secs(5));
    fake.set_latency(Operation::Get, Duration::ZERO);
    let start = tokio::time::Instant::now();
    fake.get_invoice(&inv.id, &opts()).await.expect("get");
    assert!(start.elapsed() < Duration::from_secs(5));
}

async fn script(fake: &FakeGateway) -> (Vec<Invoice>, Vec<String>) {
    let mut out = Vec::new();
    for (i, ch) in ["BNI", "DANA", "QRIS", "CREDIT_CARD", "ALFAMART"]
        .iter()
        .enumerate()
    {
        let inv = create(fake, idr(&format!("det-{i}"), 20_000 + i as i64)).await;
        fake.advance(Duration::from_millis(1_234));
        out.push(fake.pay(&inv.id, PayWith::channel(*ch)).expect("pay"));
    }
    out.push(create(fake, idr("det-exp", 20_000).invoice_duration(5)).await);
    fake.advance(Duration::from_secs(5));
    let bodies = fake
        .callbacks()
        .into_iter()
        .map(|c| c.body.to_string())
        .collect();
    (out, bodies)
}

#[tokio::test]
async fn the_same_seed_and_clock_give_the_same_ids_and_payloads() {
    let a = script(&FakeGateway::builder().seed(42).build()).await;
    let b = script(&FakeGateway::builder().seed(42).build()).await;
    assert_eq!(a, b);
    let c = script(&FakeGateway::builder().seed(43).build()).await;
    assert_ne!(a.0[0].id, c.0[0].id);
}

#[tokio::test]
async fn a_reset_clears_the_world_in_place_for_every_handle_and_keeps_subscriptions() {
    let fake = FakeGateway::builder().seed(5).build();
    let handle = fake.clone();
    let mut events = fake.subscribe();
    let first = create(&fake, idr("before-reset", 50_000)).await;
    fake.fail_next(
        paylink_core::Operation::Get,
        1,
        GatewayError::from_api(paylink_core::ApiError::new(500, "SERVER_ERROR", "x"), None),
    );
    fake.advance(std::time::Duration::from_secs(60));

    fake.reset();

    assert!(
        handle.is_empty(),
        "a handle taken before the reset sees the empty world"
    );
    assert!(handle.callbacks().is_empty());
    assert_eq!(handle.now(), fake.config().start);
    let again = create(&handle, idr("after-reset", 50_000)).await;
    assert_eq!(again.id, first.id, "ids start over from the seed");
    handle
        .get_invoice(&again.id, &RequestOptions::default())
        .await
        .expect("the injected failure is gone");
    handle
        .pay(&again.id, PayWith::channel("BNI"))
        .expect("paid");
    let event = events
        .try_recv()
        .expect("the subscription still receives callbacks");
    assert_eq!(event.invoice_id, again.id);
}

#[tokio::test]
async fn a_payment_after_expiry_sends_paid_while_the_link_stays_expired() {
    let fake = FakeGateway::new();
    let link = create(&fake, idr("late", 50_000).invoice_duration(60)).await;
    assert!(matches!(
        fake.pay_after_expiry(&link.id, PayWith::channel("BNI")),
        Err(paylink_fake::FakeError::NotExpired { .. })
    ));
    fake.advance(std::time::Duration::from_secs(120));
    fake.clear_callbacks();

    let late = fake
        .pay_after_expiry(&link.id, PayWith::channel("BNI"))
        .expect("a late bank transfer");
    assert_eq!(late.status, InvoiceStatus::Paid);
    assert_eq!(late.paid_amount, Some(dec!(50000)));
    assert_eq!(
        fake.get_invoice(&link.id, &opts())
            .await
            .map(|i| i.status)
            .ok(),
        Some(InvoiceStatus::Expired),
        "the link itself stays EXPIRED"
    );
    let callbacks = fake.callbacks();
    let [event] = &callbacks[..] else {
        panic!("one callback: {callbacks:?}");
    };
    let parsed = paylink_core::parse_callback(event.body.as_bytes()).expect("parses");
    assert_eq!(parsed.callback.status, InvoiceStatus::Paid);
    assert_eq!(
        parsed.callback.bank_code.as_ref().map(|b| b.as_str()),
        Some("BNI")
    );
    assert_eq!(
        parsed.reconcile(paylink_core::LinkState::Expired),
        paylink_core::Reconciled::PaidAfterExpiry {
            observed: paylink_core::LinkState::Paid
        }
    );
}

//! What the gateway puts on the wire (snapshots of every request), how it reads every error
//! answer of spec section 7, and that the secret key never shows.

mod common;

use common::{invoice_json, Recorded, Reply, Server, KEY, KEY_BASIC};
use paylink_core::{
    ChannelCode, ClientType, CreateInvoiceRequest, Currency, Gateway, GatewayError, InvoiceItem,
    InvoiceStatus, ListInvoicesQuery, RequestOptions,
};
use paylink_http::{BuildError, HttpGateway, KeyMode, SecretKey};
use rust_decimal_macros::dec;
use time::macros::datetime;

fn coffee_order() -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder("order-42", dec!(150000), Currency::Idr)
        .description("Two coffees")
        .payer_email("buyer@example.com")
        .invoice_duration(3600)
        .item(InvoiceItem::new("Coffee", 2, dec!(75000)))
        .payment_methods([ChannelCode::from("BCA"), ChannelCode::from("OVO")])
        .metadata_entry("store_branch", "Jakarta")
        .build()
        .expect("valid request")
}

async fn ok_server() -> Server {
    let invoice = invoice_json();
    let list = serde_json::json!([invoice.clone()]);
    Server::start(move |r, _| {
        if r.method == "GET" && r.path == "/v2/invoices" {
            Reply::json(200, &list)
        } else {
            Reply::json(200, &invoice)
        }
    })
    .await
}

/// The one request the server received, after checking it carried the key.
fn the_only_request(server: &Server) -> Recorded {
    let mut requests = server.requests();
    assert_eq!(requests.len(), 1, "one request");
    let r = requests.remove(0);
    assert_eq!(r.header("authorization"), Some(KEY_BASIC));
    r
}

#[tokio::test]
async fn create_posts_the_request_json_with_basic_auth() {
    let server = ok_server().await;
    let gw = server.gateway(1);
    let invoice = gw
        .create_invoice(&coffee_order(), &RequestOptions::default())
        .await
        .expect("created");
    assert_eq!(invoice.id, "6748105a77f16ebe0cc583a7");
    insta::assert_json_snapshot!(the_only_request(&server).snapshot());
}

#[tokio::test]
async fn get_percent_encodes_the_id_as_one_path_segment() {
    let server = ok_server().await;
    let gw = server.gateway(1);
    gw.get_invoice(
        "inv 1/2?x#y%z!ü",
        &RequestOptions::for_user("62efe4c33e45694d63f585f8"),
    )
    .await
    .expect("found");
    let r = the_only_request(&server);
    insta::assert_json_snapshot!(r.snapshot());
}

#[tokio::test]
async fn list_sends_every_filter_in_the_sdk_encoding() {
    let server = ok_server().await;
    let gw = server.gateway(1);
    let query = ListInvoicesQuery {
        external_id: Some("order 42&more".into()),
        statuses: vec![InvoiceStatus::Pending, InvoiceStatus::Settled],
        limit: Some(10),
        created_after: Some(datetime!(2023-01-01 00:00 UTC)),
        created_before: Some(datetime!(2023-02-01 12:30:45.5 UTC)),
        paid_after: Some(datetime!(2023-01-02 00:00 UTC)),
        paid_before: Some(datetime!(2023-01-03 00:00 UTC)),
        expired_after: Some(datetime!(2023-01-04 00:00 UTC)),
        expired_before: Some(datetime!(2023-01-05 00:00 +07:00)),
        last_invoice: Some("6748105a77f16ebe0cc583a7".into()),
        client_types: vec![
            ClientType::from("API_GATEWAY"),
            ClientType::from("DASHBOARD"),
        ],
        payment_channels: vec![ChannelCode::from("BNI"), ChannelCode::from("BRI")],
        on_demand_link: Some("odl-1".into()),
        recurring_payment_id: Some("rp-1".into()),
    };
    let page = gw
        .list_invoices(&query, &RequestOptions::default())
        .await
        .expect("listed");
    assert_eq!(page.len(), 1);
    let r = the_only_request(&server);
    insta::assert_json_snapshot!(r.snapshot());
}

#[tokio::test]
async fn an_empty_list_query_sends_no_question_mark() {
    let server = ok_server().await;
    server
        .gateway(1)
        .list_invoices(&ListInvoicesQuery::default(), &RequestOptions::default())
        .await
        .expect("listed");
    let r = the_only_request(&server);
    assert_eq!(
        (r.path.as_str(), r.query.as_deref()),
        ("/v2/invoices", None)
    );
}

#[tokio::test]
async fn expire_posts_to_the_bang_path_without_a_body() {
    let server = ok_server().await;
    let gw = server.gateway(1);
    gw.expire_invoice(
        "6748105a77f16ebe0cc583a7",
        &RequestOptions::for_user("sub-1"),
    )
    .await
    .expect("expired");
    let r = the_only_request(&server);
    assert!(r.body.is_empty());
    insta::assert_json_snapshot!(r.snapshot());
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    let server = ok_server().await;
    let gw = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(format!("{}/sandbox/", server.url))
        .user_agent("shop/1.0")
        .build()
        .expect("valid");
    gw.expire_invoice("abc", &RequestOptions::default())
        .await
        .expect("expired");
    let r = the_only_request(&server);
    assert_eq!(r.path, "/sandbox/invoices/abc/expire!");
    assert_eq!(r.header("user-agent"), Some("shop/1.0"));
}

#[tokio::test]
async fn ids_that_cannot_name_an_invoice_never_reach_the_server() {
    let server = ok_server().await;
    let gw = server.gateway(3);
    for id in ["", ".", ".."] {
        let e = gw
            .get_invoice(id, &RequestOptions::default())
            .await
            .expect_err("refused");
        assert_eq!(e.error_code(), Some("INVOICE_NOT_FOUND_ERROR"), "{id:?}");
        let e = gw
            .expire_invoice(id, &RequestOptions::default())
            .await
            .expect_err("refused");
        assert!(matches!(e, GatewayError::NotFound(_)), "{id:?}: {e:?}");
    }
    assert_eq!(server.attempts(), 0);
}

#[tokio::test]
async fn a_for_user_id_that_is_not_a_header_value_is_refused_before_sending() {
    let server = ok_server().await;
    let e = server
        .gateway(3)
        .get_invoice("abc", &RequestOptions::for_user("sub\r\nx-evil: 1"))
        .await
        .expect_err("refused");
    assert!(matches!(e, GatewayError::Validation(_)), "{e:?}");
    assert!(e.to_string().contains("for-user-id"), "{e}");
    assert_eq!(server.attempts(), 0);
}

/// Whether an error is the variant a row expects.
type Variant = fn(&GatewayError) -> bool;

fn validation(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Validation(_))
}
fn unauthorized(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Unauthorized(_))
}
fn forbidden(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Forbidden(_))
}
fn not_found(e: &GatewayError) -> bool {
    matches!(e, GatewayError::NotFound(_))
}
fn api(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Api(_))
}
fn rate_limited(e: &GatewayError) -> bool {
    matches!(e, GatewayError::RateLimited { .. })
}
fn server(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Server(_))
}

/// Every documented error answer of spec section 7.2: status, `error_code`, the variant it must
/// map to.
const ERROR_TABLE: &[(u16, &str, Variant)] = &[
    (400, "API_VALIDATION_ERROR", validation),
    (400, "INVALID_JSON_FORMAT", validation),
    (400, "MINIMAL_TRANSFER_AMOUNT_ERROR", validation),
    (400, "MAXIMUM_TRANSFER_AMOUNT_ERROR", validation),
    (400, "NO_COLLECTION_METHODS_ERROR", validation),
    (400, "EMAIL_FORMAT_ERROR", validation),
    (400, "UNAVAILABLE_PAYMENT_METHOD_ERROR", validation),
    (400, "UNSUPPORTED_CURRENCY", validation),
    (400, "MISMATCH_CURRENCY_ERROR", validation),
    (400, "INVALID_REMINDER_TIME", validation),
    (
        400,
        "INVOICE_AMOUNT_MISMATCHED_CLOSED_VA_EXPECTED_AMOUNT",
        validation,
    ),
    (422, "API_VALIDATION_ERROR", validation),
    (401, "INVALID_API_KEY", unauthorized),
    (403, "REQUEST_FORBIDDEN_ERROR", forbidden),
    (403, "ACCESS_SUSPENDED", forbidden),
    (404, "CALLBACK_VIRTUAL_ACCOUNT_NOT_FOUND_ERROR", not_found),
    (404, "UNIQUE_ACCOUNT_NUMBER_UNAVAILABLE_ERROR", not_found),
    (404, "PAYMENT_CODE_NOT_AVAILABLE_ERROR", not_found),
    (404, "AVAILABLE_PAYMENT_CODE_NOT_FOUND_ERROR", not_found),
    (404, "INVOICE_NOT_FOUND_ERROR", not_found),
    (409, "DUPLICATE_ERROR", api),
    (429, "RATE_LIMIT_EXCEEDED", rate_limited),
    (500, "SERVER_ERROR", server),
    (500, "INTERNAL_SERVER_ERROR", server),
    (503, "SERVICE_UNAVAILABLE", server),
];

/// Answers one create with `status`/`code` and checks the variant and what it keeps.
async fn check(status: u16, code: &str, is_expected: Variant) {
    let message = format!("message for {code}");
    let errors = serde_json::json!([{"field": ["amount"], "message": "must be a number"}]);
    let body = serde_json::json!({"error_code": code, "message": message, "errors": errors});
    let server = Server::always(Reply::json(status, &body)).await;
    let e = server
        .gateway(1)
        .create_invoice(&coffee_order(), &RequestOptions::default())
        .await
        .expect_err("an error answer");
    assert!(is_expected(&e), "{status} {code}: {e:?}");
    let api = e.api_error().expect("keeps the API error");
    assert_eq!(api.status, status);
    assert_eq!(api.error_code, code);
    assert_eq!(api.message, message);
    assert_eq!(api.errors.as_ref(), Some(&errors));
    // A 5xx may have made the invoice, so a look-up (GET) may follow; the create is sent once.
    let creates = server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(creates, 1, "{status} {code}: the create is sent once");
}

#[tokio::test]
async fn every_documented_error_answer_maps_to_its_variant() {
    for (status, code, kind) in ERROR_TABLE {
        check(*status, code, *kind).await;
    }
}

#[tokio::test]
async fn error_bodies_in_the_legacy_shape_are_read_too() {
    let body = serde_json::json!({"error": "INVOICE_NOT_FOUND_ERROR", "error_message": "gone"});
    let server = Server::always(Reply::json(404, &body)).await;
    let e = server
        .gateway(1)
        .get_invoice("abc", &RequestOptions::default())
        .await
        .expect_err("not found");
    assert!(
        matches!(&e, GatewayError::NotFound(api) if api.message == "gone"),
        "{e:?}"
    );
}

#[tokio::test]
async fn bodies_that_are_not_json_keep_the_status_and_their_start() {
    let long_html = format!("<html><body>{}</body></html>", "x".repeat(2000));
    let cases: Vec<(Reply, u16, &str)> = vec![
        (
            Reply::text(400, "text/html", "<html>Bad Request</html>"),
            400,
            "<html>Bad Request",
        ),
        (Reply::text(401, "text/plain", ""), 401, ""),
        (
            Reply::text(404, "text/html", &long_html),
            404,
            "<html><body>xxx",
        ),
        (
            Reply::text(200, "application/json", r#"{"id": "674810"#),
            200,
            r#"{"id": "674810"#,
        ),
        (Reply::text(200, "application/json", ""), 200, ""),
        (Reply::text(200, "application/json", "[]"), 200, "[]"),
    ];
    for (reply, status, start) in cases {
        let server = Server::always(reply).await;
        let e = server
            .gateway(1)
            .get_invoice("abc", &RequestOptions::default())
            .await
            .expect_err("undecodable");
        match e {
            GatewayError::Decode {
                status: got, body, ..
            } => {
                assert_eq!(got, status);
                assert!(
                    body.starts_with(start),
                    "{body:?} should start with {start:?}"
                );
                assert!(body.len() <= paylink_core::BODY_SNIPPET_BYTES);
            }
            other => panic!("expected Decode for HTTP {status}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_key_never_shows_in_debug_or_in_errors() {
    let secret = "P4ssw0rdThatMustNeverLeak";
    let server = Server::script(vec![
        Reply::error(401, "INVALID_API_KEY", "Your API key is invalid"),
        Reply::text(502, "text/html", "<html>Bad Gateway</html>"),
        Reply::Reset,
    ])
    .await;
    let builder = HttpGateway::builder(SecretKey::new(KEY)).base_url(&server.url);
    let gw = server.gateway(1);
    let mut shown = vec![
        format!("{builder:?}"),
        format!("{gw:?}"),
        format!("{gw:#?}"),
        format!("{:?}", SecretKey::new(KEY)),
    ];
    for _ in 0..3 {
        let e = gw
            .get_invoice("abc", &RequestOptions::default())
            .await
            .expect_err("fails");
        shown.push(e.to_string());
        shown.push(format!("{e:?}"));
    }
    for text in &shown {
        assert!(!text.contains(secret), "leaked in {text}");
        assert!(!text.contains(&KEY_BASIC[6..]), "leaked in {text}");
    }
    assert!(shown[1].contains("Test"), "{}", shown[1]);
}

#[tokio::test]
async fn builder_settings_are_checked() {
    assert!(matches!(
        HttpGateway::builder(SecretKey::new("  ")).build(),
        Err(BuildError::EmptyKey)
    ));
    let e = HttpGateway::builder(SecretKey::new(KEY))
        .base_url("not a url")
        .build()
        .expect_err("bad url");
    assert!(e.to_string().contains("base URL"), "{e}");
    let e = HttpGateway::builder(SecretKey::new(KEY))
        .user_agent("bad\nagent")
        .build()
        .expect_err("bad agent");
    assert!(matches!(e, BuildError::UserAgent(_)), "{e}");
    let e = HttpGateway::builder(SecretKey::new(KEY))
        .timeout(std::time::Duration::ZERO)
        .build()
        .expect_err("zero timeout");
    assert!(e.to_string().contains("timeout"), "{e}");
    let gw = HttpGateway::builder(SecretKey::new("xnd_production_abc"))
        .build()
        .expect("defaults are valid");
    assert_eq!(gw.base_url(), "https://api.xendit.co");
    assert_eq!(gw.key_mode(), KeyMode::Live);
}

#[tokio::test]
async fn the_callers_own_client_is_used_with_every_header_still_set() {
    let server = ok_server().await;
    let client = reqwest::Client::builder().build().expect("client");
    let gw = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(&server.url)
        .client(client)
        .build()
        .expect("valid");
    gw.get_invoice("abc", &RequestOptions::default())
        .await
        .expect("found");
    let r = the_only_request(&server);
    assert_eq!(r.header("accept"), Some("application/json"));
}

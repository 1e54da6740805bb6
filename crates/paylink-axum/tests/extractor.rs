//! The extractor through a real axum router, one request per branch: accepted, refused for the
//! token (missing, empty, wrong), for the size, and for the body (with its JSON path), and a
//! status paylink does not know yet, parsed as the core parses it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use paylink_axum::{testing, CallbackRejection, CallbackVerifier, XenditCallback};
use paylink_core::{
    CallbackToken, CreateInvoiceRequest, Currency, EventKind, Gateway, InvoiceStatus,
    RequestOptions, CALLBACK_TOKEN_HEADER,
};
use paylink_fake::{FakeGateway, PayWith};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const TOKEN: &str = "s3cr3t-callback-token";
const PATH: &str = "/webhooks/xendit";
const PAID: &str = include_str!("../../paylink-core/tests/data/webhook/paid_ewallet_dana.json");

/// An application state with the verifier beside the application's own things, as a real
/// service has it: a count of the events its handler saw.
#[derive(Clone)]
struct App {
    handled: Arc<AtomicUsize>,
    webhooks: CallbackVerifier,
}

impl FromRef<App> for CallbackVerifier {
    fn from_ref(app: &App) -> Self {
        app.webhooks.clone()
    }
}

async fn webhook(State(app): State<App>, callback: XenditCallback) -> String {
    app.handled.fetch_add(1, Ordering::SeqCst);
    let kind = match &callback.kind {
        EventKind::Paid { .. } => "paid".to_owned(),
        EventKind::Expired => "expired".to_owned(),
        EventKind::Other(status) => format!("other {status}"),
        other => format!("{other:?}"),
    };
    json!({
        "id": callback.callback.id,
        "external_id": callback.callback.external_id,
        "kind": kind,
    })
    .to_string()
}

/// A router with the verifier for [`TOKEN`] and `limit`, and the count of handled events.
fn app_with_limit(limit: Option<usize>) -> (Router, Arc<AtomicUsize>) {
    let mut webhooks = CallbackVerifier::new(CallbackToken::from_static(TOKEN));
    if let Some(limit) = limit {
        webhooks = webhooks.with_body_limit(limit);
    }
    let handled = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route(PATH, post(webhook)).with_state(App {
        handled: Arc::clone(&handled),
        webhooks,
    });
    (router, handled)
}

fn app() -> (Router, Arc<AtomicUsize>) {
    app_with_limit(None)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A POST of `body` with the header `x-callback-token: {token}` when `token` is given.
fn post_with(token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(PATH).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header(CALLBACK_TOKEN_HEADER, token);
    }
    request.body(body.into()).expect("a valid request")
}

#[tokio::test]
async fn a_callback_with_the_right_token_reaches_the_handler_typed() {
    let (router, handled) = app();
    let (status, body) =
        testing::deliver(&router, PATH, PAID, &CallbackToken::from_static(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json(&body),
        json!({"id": "6748105a77f16ebe0cc583a7", "external_id": "payment-link-example", "kind": "paid"})
    );
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_callback_without_the_header_is_refused_with_401_json() {
    let (router, handled) = app();
    let (status, body) = testing::send(&router, post_with(None, PAID)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        json(&body),
        json!({"error_code": "INVALID_CALLBACK_TOKEN", "message": "missing x-callback-token header"})
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_callback_with_an_empty_header_is_refused_as_missing() {
    let (router, handled) = app();
    let (status, body) = testing::send(&router, post_with(Some(""), PAID)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        json(&body),
        json!({"error_code": "INVALID_CALLBACK_TOKEN", "message": "missing x-callback-token header"})
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_callback_with_a_wrong_token_is_refused_and_no_token_shows() {
    let (router, handled) = app();
    let wrong = "s3cr3t-callback-tokem";
    let (status, body) = testing::send(&router, post_with(Some(wrong), PAID)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        json(&body),
        json!({"error_code": "INVALID_CALLBACK_TOKEN",
               "message": "x-callback-token does not match the configured token"})
    );
    assert!(!body.contains("s3cr3t"), "{body}");
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_whether_or_not_its_length_is_declared() {
    let (router, handled) = app_with_limit(Some(64));
    let padded = format!("{PAID}{}", " ".repeat(64));
    let expected = json!({"error_code": "CALLBACK_BODY_TOO_LARGE",
                          "message": "the callback body is larger than the limit of 64 bytes"});

    // No content-length: the limit stops the read.
    let (status, body) = testing::send(&router, post_with(Some(TOKEN), padded.clone())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(&body), expected);

    // A declared length over the limit is refused before anything is read.
    let mut declared = post_with(Some(TOKEN), padded.clone());
    declared
        .headers_mut()
        .insert("content-length", padded.len().into());
    let (status, body) = testing::send(&router, declared).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(&body), expected);
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    assert_eq!(paylink_axum::DEFAULT_BODY_LIMIT, 1024 * 1024);
    let (router, _) = app();
    let at_limit = PAID.to_owned() + &" ".repeat(paylink_axum::DEFAULT_BODY_LIMIT - PAID.len());
    let (status, body) = testing::send(&router, post_with(Some(TOKEN), at_limit.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = testing::send(&router, post_with(Some(TOKEN), at_limit + " ")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_token_is_checked_before_the_size_so_strangers_learn_nothing_more() {
    let (router, _) = app_with_limit(Some(8));
    let (status, _) = testing::send(&router, post_with(Some("nope"), PAID)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_bad_body_is_refused_with_400_naming_the_json_path() {
    let (router, handled) = app();
    let token = CallbackToken::from_static(TOKEN);
    let mut bad = json(PAID);
    bad["amount"] = json!("ten");
    let (status, body) = testing::deliver(&router, PATH, bad.to_string(), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body = json(&body);
    assert_eq!(body["error_code"], "INVALID_CALLBACK_BODY");
    assert_eq!(body["path"], "$.amount");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("invalid callback body at $.amount: ")),
        "{body}"
    );

    let (status, body) = testing::deliver(&router, PATH, "{\"id\":", &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["path"], "$.id");
    let (status, body) = testing::deliver(&router, PATH, "not JSON", &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["path"], "$");
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_status_paylink_does_not_know_yet_is_still_handed_to_the_handler() {
    let (router, handled) = app();
    let mut future = json(PAID);
    future["status"] = json!("PARTIALLY_REFUNDED");
    let (status, body) = testing::deliver(
        &router,
        PATH,
        future.to_string(),
        &CallbackToken::from_static(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["kind"], "other PARTIALLY_REFUNDED");
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_handler_can_take_the_refusal_to_log_it_before_answering() {
    async fn logging(
        callback: Result<XenditCallback, CallbackRejection>,
    ) -> Result<&'static str, CallbackRejection> {
        match callback {
            Ok(_) => Ok("ok"),
            Err(refused) => {
                assert_eq!(refused, CallbackRejection::MissingToken);
                Err(refused)
            }
        }
    }
    let router = Router::new()
        .route(PATH, post(logging))
        .with_state(CallbackVerifier::new(CallbackToken::from_static(TOKEN)));
    let (status, _) = testing::send(&router, post_with(None, PAID)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_callback_the_fake_emitted_is_accepted_as_it_is() {
    let fake = FakeGateway::builder().seed(5).build();
    let request = CreateInvoiceRequest::builder("order-7", Decimal::from(50_000), Currency::Idr)
        .build()
        .expect("a valid request");
    let link = fake
        .create_invoice(&request, &RequestOptions::default())
        .await
        .expect("created");
    fake.pay(&link.id, PayWith::channel("BNI")).expect("paid");
    let event = fake.callbacks().remove(0);
    assert_eq!(event.status, InvoiceStatus::Paid);

    let (router, _) = app();
    let token = CallbackToken::from_static(TOKEN);
    let expected = json!({"id": link.id, "external_id": "order-7", "kind": "paid"});
    // Its body, POSTed as Xendit would...
    let (status, body) = testing::deliver(&router, PATH, &event.body, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body), expected);
    // ...or the request the fake builds for it.
    let request = event.to_request(PATH, &token).expect("a request");
    let (status, body) = testing::send(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body), expected);
}

#[test]
fn the_verifier_debug_and_every_refusal_keep_the_token_out() {
    let verifier = CallbackVerifier::new(CallbackToken::from_static(TOKEN)).with_body_limit(10);
    assert!(!format!("{verifier:?}").contains("s3cr3t"));
    assert_eq!(verifier.body_limit(), 10);
    for refusal in [
        CallbackRejection::MissingToken,
        CallbackRejection::WrongToken,
        CallbackRejection::TooLarge { limit: 10 },
    ] {
        let text = format!("{refusal} {refusal:?} {}", refusal.to_json());
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}

//! Every failure a network and a payment provider can produce, one test each: how many
//! attempts the gateway makes, how long it decides to wait, and which error it returns.

mod common;

use std::time::Duration;

use common::{
    assert_transport, invoice_json, invoice_with, now_stamp, refusing_gateway, Reply, Server, KEY,
    SHORT_TIMEOUT,
};
use paylink_core::{
    Gateway, GatewayError, Invoice, InvoiceStatus, ListInvoicesQuery, RequestOptions, RetryPolicy,
};
use paylink_http::{HttpGateway, SecretKey};

const ID: &str = "6748105a77f16ebe0cc583a7";

fn ok() -> Reply {
    Reply::json(200, &invoice_json())
}

fn opts() -> RequestOptions {
    RequestOptions::default()
}

/// Gets the invoice [`ID`] through a gateway of `max_attempts` from a server that answers
/// with `replies` in turn; the server tells what arrived.
async fn get(max_attempts: u32, replies: Vec<Reply>) -> (Server, Result<Invoice, GatewayError>) {
    let server = Server::script(replies).await;
    let result = server.gateway(max_attempts).get_invoice(ID, &opts()).await;
    (server, result)
}

/// The same through a gateway that abandons an attempt after [`SHORT_TIMEOUT`].
async fn get_timing_out(
    max_attempts: u32,
    replies: Vec<Reply>,
) -> (Server, Result<Invoice, GatewayError>) {
    let server = Server::script(replies).await;
    let result = server
        .gateway_timing_out_after(max_attempts, SHORT_TIMEOUT)
        .get_invoice(ID, &opts())
        .await;
    (server, result)
}

/// Expires the invoice [`ID`] through a gateway of `max_attempts` on `server`.
async fn expire(server: &Server, max_attempts: u32) -> Result<Invoice, GatewayError> {
    server
        .gateway(max_attempts)
        .expire_invoice(ID, &opts())
        .await
}

/// The status, body and message of a decode error.
fn decode_error(e: GatewayError) -> (u16, String, String) {
    match e {
        GatewayError::Decode {
            status,
            body,
            message,
        } => (status, body, message),
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn a_500_then_a_200_is_retried_once_and_returns_the_invoice() {
    let (server, result) = get(
        4,
        vec![
            Reply::error(
                500,
                "INTERNAL_SERVER_ERROR",
                "Something unxpected happened.",
            ),
            ok(),
        ],
    )
    .await;
    let invoice = result.expect("the retry succeeds");
    assert_eq!(invoice.id, ID);
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_500_on_every_attempt_returns_the_server_error_after_the_last_attempt() {
    let server = Server::always(Reply::error(500, "SERVER_ERROR", "down")).await;
    let e = server
        .gateway(3)
        .list_invoices(&ListInvoicesQuery::default(), &opts())
        .await
        .expect_err("always failing");
    assert!(
        matches!(&e, GatewayError::Server(api) if api.error_code == "SERVER_ERROR"),
        "{e:?}"
    );
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn a_429_with_retry_after_waits_as_asked_then_succeeds() {
    let (server, result) = get(
        4,
        vec![
            Reply::error(429, "RATE_LIMIT_EXCEEDED", "slow down").with_header("Retry-After", "1"),
            ok(),
        ],
    )
    .await;
    result.expect("the retry succeeds");
    assert_eq!(server.attempts(), 2);
    let decided = server.decided_waits();
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert!(decided[0] >= Duration::from_secs(1), "{decided:?}");
}

#[tokio::test]
async fn a_429_with_a_fractional_rate_limit_reset_waits_as_asked() {
    let (server, result) = get(
        4,
        vec![
            Reply::error(429, "RATE_LIMIT_EXCEEDED", "slow down")
                .with_header("Rate-Limit-Limit", "60")
                .with_header("Rate-Limit-Remaining", "0")
                .with_header("Rate-Limit-Reset", "0.35"),
            ok(),
        ],
    )
    .await;
    result.expect("the retry succeeds");
    assert_eq!(server.attempts(), 2);
    assert_eq!(server.decided_waits(), vec![Duration::from_millis(350)]);
}

#[tokio::test]
async fn a_503_with_retry_after_waits_at_least_as_asked() {
    let (server, result) = get(
        4,
        vec![
            Reply::error(503, "SERVER_ERROR", "maintenance").with_header("Retry-After", "1"),
            ok(),
        ],
    )
    .await;
    result.expect("the retry succeeds");
    assert_eq!(server.attempts(), 2);
    assert_eq!(server.decided_waits(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_503_asking_for_longer_than_the_time_budget_is_returned_at_once() {
    let (server, result) = get(
        4,
        vec![Reply::error(503, "SERVER_ERROR", "maintenance").with_header("Retry-After", "3600")],
    )
    .await;
    let e = result.expect_err("gives up");
    assert!(
        matches!(&e, GatewayError::Server(api) if api.status == 503),
        "{e:?}"
    );
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_429_asking_for_longer_than_the_time_budget_is_returned_at_once() {
    let (server, result) = get(
        4,
        vec![
            Reply::error(429, "RATE_LIMIT_EXCEEDED", "slow down").with_header("Retry-After", "120")
        ],
    )
    .await;
    match result.expect_err("gives up") {
        GatewayError::RateLimited { error, retry_after } => {
            assert_eq!(error.error_code, "RATE_LIMIT_EXCEEDED");
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn an_unanswered_attempt_is_abandoned_at_the_timeout_and_retried() {
    let (server, result) = get_timing_out(3, vec![Reply::Hang, ok()]).await;
    let invoice = result.expect("the second attempt answers in time");
    assert_eq!(invoice.id, ID);
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_server_that_never_answers_ends_in_a_timeout_after_every_attempt() {
    let (server, result) = get_timing_out(2, vec![Reply::Hang]).await;
    let e = result.expect_err("too slow");
    assert!(
        matches!(e, GatewayError::Timeout { request_sent: true }),
        "{e:?}"
    );
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_body_that_stalls_after_the_headers_times_out() {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n{\"id\":";
    let (server, result) = get_timing_out(1, vec![Reply::Stall(head.into())]).await;
    let e = result.expect_err("stalled");
    assert!(
        matches!(e, GatewayError::Timeout { request_sent: true }),
        "{e:?}"
    );
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_connection_reset_is_retried() {
    let (server, result) = get(3, vec![Reply::Reset, ok()]).await;
    let invoice = result.expect("the retry succeeds");
    assert_eq!(invoice.id, ID);
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_connection_reset_on_every_attempt_is_a_transport_error_after_the_request_went_out() {
    let (server, result) = get(3, vec![Reply::Reset]).await;
    assert_transport(&result.expect_err("always reset"), true);
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_before_sending() {
    let (_bound, gw) = refusing_gateway(2);
    let e = gw.get_invoice(ID, &opts()).await.expect_err("refused");
    assert_transport(&e, false);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_and_is_not_retried() {
    let (server, result) = get(
        4,
        vec![Reply::text(
            200,
            "application/json",
            r#"{"id": "6748105a77f16ebe0cc583a7", "status": "PEND"#,
        )],
    )
    .await;
    let (status, body, _) = decode_error(result.expect_err("malformed"));
    assert_eq!(status, 200);
    assert!(
        body.starts_with(r#"{"id": "6748105a77f16ebe0cc583a7""#),
        "{body}"
    );
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_truncated_body_keeps_the_status_and_what_arrived() {
    let raw = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n{\"id\":\"6748105a77f16ebe0cc583a7\"";
    let (server, result) = get(4, vec![Reply::Raw(raw.into())]).await;
    let (status, body, message) = decode_error(result.expect_err("truncated"));
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"id":"6748105a77f16ebe0cc583a7""#);
    assert!(message.contains("ended early"), "{message}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn an_html_502_page_is_retried_then_reported_with_its_start() {
    let page =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body>\r\n</html>";
    let (server, result) = get(3, vec![Reply::text(502, "text/html", page)]).await;
    let (status, body, _) = decode_error(result.expect_err("bad gateway"));
    assert_eq!(status, 502);
    assert!(body.starts_with("<html>"), "{body}");
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn an_html_502_then_a_200_succeeds() {
    let (server, result) = get(
        3,
        vec![
            Reply::text(502, "text/html", "<html>Bad Gateway</html>"),
            ok(),
        ],
    )
    .await;
    result.expect("the retry succeeds");
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_401_is_returned_at_once() {
    let (server, result) = get(
        4,
        vec![Reply::error(
            401,
            "INVALID_API_KEY",
            "Your API key is invalid",
        )],
    )
    .await;
    let e = result.expect_err("unauthorized");
    assert!(
        matches!(&e, GatewayError::Unauthorized(api) if api.status == 401 && api.error_code == "INVALID_API_KEY" && api.message == "Your API key is invalid"),
        "{e:?}"
    );
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn the_time_budget_bounds_the_retries() {
    let server = Server::always(Reply::error(503, "SERVER_ERROR", "busy")).await;
    let budget = Duration::from_secs(2);
    let gw = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(&server.url)
        .retry_policy(RetryPolicy {
            max_attempts: 1000,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(200),
            max_elapsed: budget,
        })
        .jitter_seed(1)
        .on_retry(server.wait_recorder())
        .build()
        .expect("valid");
    let e = gw.get_invoice(ID, &opts()).await.expect_err("busy");
    assert!(matches!(e, GatewayError::Server(_)), "{e:?}");
    let decided = server.decided_waits();
    let attempts = server.attempts();
    // The budget, not the attempts, ended the call: each retry followed one decided wait, and
    // the waits together stay within the budget (at least 50 ms each: at most 40 of them).
    assert_eq!(attempts, decided.len() + 1, "{decided:?}");
    assert!(attempts >= 2, "a 2 s budget leaves room for a retry");
    assert!(decided.iter().sum::<Duration>() <= budget, "{decided:?}");
    assert!(
        decided
            .iter()
            .all(|w| (Duration::from_millis(50)..=Duration::from_millis(200)).contains(w)),
        "{decided:?}"
    );
}

#[tokio::test]
async fn no_retry_policy_means_exactly_one_attempt() {
    let server = Server::script(vec![Reply::error(500, "SERVER_ERROR", "down"), ok()]).await;
    let gw = HttpGateway::builder(SecretKey::new(KEY))
        .base_url(&server.url)
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("valid");
    let e = gw.get_invoice(ID, &opts()).await.expect_err("no retry");
    assert!(matches!(e, GatewayError::Server(_)), "{e:?}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn expire_is_retried_after_a_5xx() {
    let expired = invoice_with(ID, "order-1", 50000, "EXPIRED", &now_stamp());
    let server = Server::script(vec![
        Reply::error(500, "SERVER_ERROR", "down"),
        Reply::json(200, &expired),
    ])
    .await;
    let invoice = expire(&server, 3).await.expect("expired");
    assert_eq!(invoice.status, InvoiceStatus::Expired);
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_retried_expire_that_finds_the_invoice_already_expired_succeeds() {
    let expired = invoice_with(ID, "order-1", 50000, "EXPIRED", &now_stamp());
    let not_pending = format!("Could not find and update PENDING invoice {ID}");
    let server = Server::start(move |r, n| match (r.method.as_str(), n) {
        // The first attempt expires the invoice, then the connection drops.
        ("POST", 0) => Reply::Close,
        ("POST", _) => Reply::error(404, "INVOICE_NOT_FOUND_ERROR", &not_pending),
        _ => Reply::json(200, &expired),
    })
    .await;
    let invoice = expire(&server, 3)
        .await
        .expect("already expired counts as success");
    assert_eq!(invoice.status, InvoiceStatus::Expired);
    let expire_call = format!("POST /invoices/{ID}/expire!");
    assert_eq!(
        server.calls(),
        [
            expire_call.clone(),
            expire_call,
            format!("GET /v2/invoices/{ID}"),
        ]
    );
}

#[tokio::test]
async fn a_retried_expire_that_finds_the_invoice_paid_returns_not_found() {
    let paid = invoice_with(ID, "order-1", 50000, "PAID", &now_stamp());
    let server = Server::start(move |r, n| match (r.method.as_str(), n) {
        ("POST", 0) => Reply::error(503, "SERVER_ERROR", "busy"),
        ("POST", _) => Reply::error(404, "INVOICE_NOT_FOUND_ERROR", "not pending"),
        _ => Reply::json(200, &paid),
    })
    .await;
    let e = expire(&server, 3)
        .await
        .expect_err("a paid invoice was not expired");
    assert_eq!(e.error_code(), Some("INVOICE_NOT_FOUND_ERROR"));
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn expiring_an_invoice_that_is_not_pending_is_not_found_at_once() {
    let server = Server::always(Reply::error(
        404,
        "INVOICE_NOT_FOUND_ERROR",
        "Invoice not found.",
    ))
    .await;
    let e = expire(&server, 3).await.expect_err("not found");
    assert!(matches!(e, GatewayError::NotFound(_)), "{e:?}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_body_that_arrives_in_many_pieces_is_read_whole() {
    let mut invoice = invoice_json();
    let description = "coffee ".repeat(300_000);
    invoice["description"] = description.clone().into();
    let (_server, result) = get(1, vec![Reply::json(200, &invoice)]).await;
    let got = result.expect("read whole");
    assert_eq!(got.description.as_deref(), Some(description.as_str()));
}

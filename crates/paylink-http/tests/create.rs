//! A create is never blindly sent twice: after an ambiguous failure the gateway looks for the
//! invoice the failed attempt may have made, and creates again only when there is none.

mod common;

use std::sync::{Arc, Mutex};

use common::{assert_transport, invoice_with, Recorded, Reply, Server};
use paylink_core::{
    CreateInvoiceRequest, Currency, Gateway, GatewayError, Invoice, ListInvoicesQuery,
    RequestOptions,
};
use paylink_http::HttpGateway;
use percent_encoding::percent_decode_str;
use rust_decimal_macros::dec;
use serde_json::Value;
use time::OffsetDateTime;

fn order(external_id: &str) -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder(external_id, dec!(50000), Currency::Idr)
        .description("One coffee")
        .build()
        .expect("valid request")
}

/// Creates `order(external_id)` through `gateway` with the default options.
async fn create(gateway: &HttpGateway, external_id: &str) -> Result<Invoice, GatewayError> {
    gateway
        .create_invoice(&order(external_id), &RequestOptions::default())
        .await
}

/// Asserts a create that the server refuses with a 400 of `code` returns that error after
/// one request, though the gateway may make `max_attempts`.
async fn assert_refused_once(max_attempts: u32, code: &str, message: &str) {
    let server = Server::always(Reply::error(400, code, message)).await;
    let e = create(&server.gateway(max_attempts), "order-9")
        .await
        .expect_err("refused");
    assert_eq!(e.error_code(), Some(code));
    assert_eq!(server.calls(), [CREATE]);
}

const CREATE: &str = "POST /v2/invoices/";
const LOOKUP: &str = "GET /v2/invoices";

/// How the server treats the create with this number (0-based) after reading it.
#[derive(Debug, Clone, Copy)]
enum OnCreate {
    /// Store it and answer 200.
    StoreAndAnswer,
    /// Store it, then close the connection without answering.
    StoreAndDrop,
    /// Store it, then never answer.
    StoreAndHang,
    /// Store it, then answer 500.
    StoreAnd500,
    /// Close the connection without storing.
    DropWithoutStoring,
    /// Answer 429 with `Retry-After: 0` without storing.
    RateLimit,
    /// Store it, then send the first half of the 200 answer and close the connection.
    StoreAndCutOff,
}

/// The clocks of a mock server, as offsets from this machine's clock: the one that stamps
/// `created` on invoices, and the one its `Date` header reads (none: no `Date` header).
#[derive(Debug, Clone, Copy, Default)]
struct Clocks {
    stamps: time::Duration,
    date: Option<time::Duration>,
}

impl Clocks {
    /// This machine's clock, and no `Date` header.
    const LOCAL: Clocks = Clocks {
        stamps: time::Duration::ZERO,
        date: None,
    };

    /// One clock `offset` away from this machine's, for stamps and `Date` alike.
    fn off_by(offset: time::Duration) -> Clocks {
        Clocks {
            stamps: offset,
            date: Some(offset),
        }
    }

    /// Now on the clock that stamps invoices.
    fn stamp_now(&self) -> String {
        paylink_core::timestamp::format(OffsetDateTime::now_utc() + self.stamps)
    }
}

/// Two years, the distance between the sandbox's manual clock and the wall clock.
const TWO_YEARS: time::Duration = time::Duration::days(730);

/// An IMF-fixdate, as the `Date` header carries it.
fn http_date(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("formattable")
}

/// What a [`Xendit`] server does besides creating: the clocks it reads, the invoices it lists
/// whatever the filters, and the reply it gives every list instead (none: it lists).
#[derive(Default)]
struct Setup {
    clocks: Clocks,
    decoys: Vec<Value>,
    list_reply: Option<Reply>,
}

/// A server with an invoice store: creates follow `script`; lists filter the store (plus
/// `decoys`, which it returns unfiltered, like a server that ignores the filters).
struct Xendit {
    server: Server,
    store: Arc<Mutex<Vec<Value>>>,
}

impl Xendit {
    async fn start(script: Vec<OnCreate>) -> Xendit {
        Xendit::start_with(script, Setup::default()).await
    }

    async fn start_with(script: Vec<OnCreate>, setup: Setup) -> Xendit {
        let Setup {
            clocks,
            decoys,
            list_reply,
        } = setup;
        let store: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
        let creates = Arc::new(Mutex::new(0usize));
        let server = {
            let store = store.clone();
            Server::start(move |r, _| {
                let reply = if r.method == "POST" {
                    let n = {
                        let mut c = creates.lock().expect("lock");
                        *c += 1;
                        *c - 1
                    };
                    let step = script[n.min(script.len() - 1)];
                    respond_to_create(r, step, &store, &clocks)
                } else if let Some(reply) = &list_reply {
                    reply.clone()
                } else {
                    let mut page = decoys.clone();
                    page.extend(list(r, &store.lock().expect("lock")));
                    Reply::json(200, &Value::Array(page))
                };
                match clocks.date {
                    Some(offset) => {
                        reply.with_header("Date", &http_date(OffsetDateTime::now_utc() + offset))
                    }
                    None => reply,
                }
            })
            .await
        };
        Xendit { server, store }
    }

    fn stored(&self) -> Vec<Value> {
        self.store.lock().expect("lock").clone()
    }

    /// Asserts the server holds exactly one invoice, `inv-1`, that it is the one returned, and
    /// that the gateway made these calls.
    fn assert_only_invoice(&self, invoice: &Invoice, calls: &[&str]) {
        let stored = self.stored();
        assert_eq!(stored.len(), 1, "exactly one invoice exists");
        assert_eq!(id_of(&stored[0]), "inv-1");
        assert_eq!(invoice.id, "inv-1");
        assert_eq!(self.server.calls(), calls);
    }
}

fn respond_to_create(
    r: &Recorded,
    step: OnCreate,
    store: &Mutex<Vec<Value>>,
    clocks: &Clocks,
) -> Reply {
    let body: Value = serde_json::from_slice(&r.body).expect("create body is JSON");
    let store_it = || {
        let mut store = store.lock().expect("lock");
        let id = format!("inv-{}", store.len() + 1);
        let amount = body["amount"].as_i64().expect("whole amount");
        let ext = body["external_id"].as_str().expect("external_id");
        let invoice = invoice_with(&id, ext, amount, "PENDING", &clocks.stamp_now());
        store.push(invoice.clone());
        invoice
    };
    match step {
        OnCreate::StoreAndAnswer => Reply::json(200, &store_it()),
        OnCreate::StoreAndDrop => {
            store_it();
            Reply::Close
        }
        OnCreate::StoreAndHang => {
            store_it();
            Reply::Hang
        }
        OnCreate::StoreAnd500 => {
            store_it();
            Reply::error(
                500,
                "INTERNAL_SERVER_ERROR",
                "Something unxpected happened.",
            )
        }
        OnCreate::DropWithoutStoring => Reply::Close,
        OnCreate::RateLimit => {
            Reply::error(429, "RATE_LIMIT_EXCEEDED", "slow down").with_header("Retry-After", "0")
        }
        OnCreate::StoreAndCutOff => {
            let json = serde_json::to_string(&store_it()).expect("JSON");
            let cut = &json[..json.len() / 2];
            Reply::Raw(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{cut}",
                    json.len()
                )
                .into_bytes(),
            )
        }
    }
}

/// The stored invoices that pass the request's list filters, newest first.
fn list(r: &Recorded, store: &[Value]) -> Vec<Value> {
    let raw = r.query.clone().unwrap_or_default();
    let pairs: Vec<(String, String)> = raw
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (d(k), d(v))
        })
        .collect();
    let query = ListInvoicesQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .expect("the gateway sends a readable query");
    let mut out: Vec<Value> = store
        .iter()
        .filter(|v| {
            let invoice: Invoice = serde_json::from_value((*v).clone()).expect("stored invoice");
            query.matches(&invoice)
        })
        .cloned()
        .collect();
    out.reverse();
    out
}

fn id_of(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

/// Now on this machine's clock, as Xendit writes timestamps.
fn now_stamp() -> String {
    Clocks::LOCAL.stamp_now()
}

#[tokio::test]
async fn an_invoice_stored_before_the_connection_dropped_is_returned_and_not_created_twice() {
    let x = Xendit::start(vec![OnCreate::StoreAndDrop, OnCreate::StoreAndAnswer]).await;
    let invoice = create(&x.server.gateway(4), "order-1")
        .await
        .expect("the lookup finds the stored invoice");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
    let requests = x.server.requests();
    let lookup = &requests[1];
    let query = lookup.query.as_deref().expect("a filtered list");
    assert_eq!(query, "external_id=order-1&statuses=PENDING&limit=100");
    assert_eq!(
        lookup.header("authorization"),
        requests[0].header("authorization")
    );
}

#[tokio::test]
async fn a_create_that_timed_out_after_storing_is_found_by_the_lookup() {
    let x = Xendit::start(vec![OnCreate::StoreAndHang, OnCreate::StoreAndAnswer]).await;
    let gateway = x.server.gateway_timing_out_after(4, common::SHORT_TIMEOUT);
    let invoice = create(&gateway, "order-2").await.expect("found");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
}

#[tokio::test]
async fn a_create_answered_with_a_5xx_after_storing_is_found_by_the_lookup() {
    let x = Xendit::start(vec![OnCreate::StoreAnd500, OnCreate::StoreAndAnswer]).await;
    let invoice = create(&x.server.gateway(4), "order-3")
        .await
        .expect("found");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
}

#[tokio::test]
async fn a_create_lost_before_storing_is_sent_again_after_an_empty_lookup() {
    let x = Xendit::start(vec![OnCreate::DropWithoutStoring, OnCreate::StoreAndAnswer]).await;
    let invoice = create(&x.server.gateway(4), "order-4")
        .await
        .expect("created on the second attempt");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP, CREATE]);
    let requests = x.server.requests();
    assert_eq!(
        requests[0].body, requests[2].body,
        "the same request is sent again"
    );
}

#[tokio::test]
async fn invoices_with_the_same_external_id_but_another_amount_or_status_or_from_before_are_not_taken(
) {
    let decoys = vec![
        invoice_with(
            "old",
            "order-5",
            50000,
            "PENDING",
            "2020-01-01T00:00:00.000Z",
        ),
        invoice_with("other-amount", "order-5", 70000, "PENDING", &now_stamp()),
        invoice_with("other-order", "order-6", 50000, "PENDING", &now_stamp()),
        invoice_with("already-paid", "order-5", 50000, "PAID", &now_stamp()),
    ];
    let x = Xendit::start_with(
        vec![OnCreate::DropWithoutStoring, OnCreate::StoreAndAnswer],
        Setup {
            decoys,
            ..Setup::default()
        },
    )
    .await;
    let invoice = create(&x.server.gateway(4), "order-5")
        .await
        .expect("created again");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP, CREATE]);
}

#[tokio::test]
async fn when_the_lookup_fails_the_ambiguous_error_is_returned_and_nothing_is_sent_again() {
    let x = Xendit::start_with(
        vec![OnCreate::StoreAndDrop],
        Setup {
            list_reply: Some(Reply::error(
                401,
                "INVALID_API_KEY",
                "Your API key is invalid",
            )),
            ..Setup::default()
        },
    )
    .await;
    let e = create(&x.server.gateway(4), "order-7")
        .await
        .expect_err("cannot tell");
    assert_transport(&e, true);
    assert_eq!(x.stored().len(), 1);
    assert_eq!(x.server.calls(), [CREATE, LOOKUP]);
}

#[tokio::test]
async fn a_rate_limited_create_is_sent_again_without_a_lookup() {
    let x = Xendit::start(vec![OnCreate::RateLimit, OnCreate::StoreAndAnswer]).await;
    let invoice = create(&x.server.gateway(4), "order-8")
        .await
        .expect("created after the wait");
    x.assert_only_invoice(&invoice, &[CREATE, CREATE]);
}

#[tokio::test]
async fn a_refused_create_is_not_sent_again() {
    assert_refused_once(4, "MINIMAL_TRANSFER_AMOUNT_ERROR", "amount below Rp10000").await;
}

#[tokio::test]
async fn a_create_that_is_always_lost_ends_with_the_ambiguous_error_after_looking_each_time_and_once_more(
) {
    let x = Xendit::start(vec![OnCreate::DropWithoutStoring]).await;
    let e = create(&x.server.gateway(3), "order-10")
        .await
        .expect_err("never answered");
    assert_transport(&e, true);
    assert_eq!(x.stored().len(), 0);
    assert_eq!(
        x.server.calls(),
        [CREATE, LOOKUP, CREATE, LOOKUP, CREATE, LOOKUP]
    );
}

#[tokio::test]
async fn the_lookup_acts_for_the_same_sub_account() {
    let x = Xendit::start(vec![OnCreate::StoreAndDrop]).await;
    x.server
        .gateway(4)
        .create_invoice(&order("order-11"), &RequestOptions::for_user("sub-9"))
        .await
        .expect("found");
    for r in x.server.requests() {
        assert_eq!(
            r.header("for-user-id"),
            Some("sub-9"),
            "{} {}",
            r.method,
            r.path
        );
    }
}

#[tokio::test]
async fn a_create_that_could_not_connect_is_a_transport_error_before_sending() {
    let (_bound, gateway) = common::refusing_gateway(2);
    let e = create(&gateway, "order-12").await.expect_err("refused");
    assert_transport(&e, false);
}

#[tokio::test]
async fn a_create_whose_200_answer_was_cut_off_is_read_back_and_not_sent_again() {
    let x = Xendit::start(vec![OnCreate::StoreAndCutOff]).await;
    let invoice = create(&x.server.gateway(4), "order-13")
        .await
        .expect("read back");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
}

#[tokio::test]
async fn a_server_two_years_behind_that_stored_then_dropped_a_create_still_has_exactly_one_invoice()
{
    let x = Xendit::start_with(
        vec![OnCreate::StoreAndDrop, OnCreate::StoreAndAnswer],
        Setup {
            clocks: Clocks::off_by(-TWO_YEARS),
            ..Setup::default()
        },
    )
    .await;
    let invoice = create(&x.server.gateway(4), "order-20")
        .await
        .expect("the lookup finds the stored invoice");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
}

#[tokio::test]
async fn a_server_two_years_ahead_that_stored_then_dropped_a_create_still_has_exactly_one_invoice()
{
    let x = Xendit::start_with(
        vec![OnCreate::StoreAnd500, OnCreate::StoreAndAnswer],
        Setup {
            clocks: Clocks::off_by(TWO_YEARS),
            ..Setup::default()
        },
    )
    .await;
    let invoice = create(&x.server.gateway(4), "order-21")
        .await
        .expect("the lookup finds the stored invoice");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
}

#[tokio::test]
async fn an_older_invoice_of_the_same_order_on_a_server_two_years_behind_is_not_adopted() {
    let server_now = OffsetDateTime::now_utc() - TWO_YEARS;
    let ten_minutes_before =
        paylink_core::timestamp::format(server_now - time::Duration::minutes(10));
    let decoys = vec![invoice_with(
        "older",
        "order-22",
        50000,
        "PENDING",
        &ten_minutes_before,
    )];
    let x = Xendit::start_with(
        vec![OnCreate::DropWithoutStoring, OnCreate::StoreAndAnswer],
        Setup {
            clocks: Clocks::off_by(-TWO_YEARS),
            decoys,
            ..Setup::default()
        },
    )
    .await;
    let invoice = create(&x.server.gateway(4), "order-22")
        .await
        .expect("created again");
    assert_eq!(invoice.id, "inv-1", "the older invoice is not taken");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP, CREATE]);
}

#[tokio::test]
async fn a_server_on_a_clock_of_its_own_is_read_from_the_stamp_of_an_earlier_create() {
    // Like the sandbox's manual clock: invoices are stamped two years back while `Date` reads
    // the wall clock.
    let clocks = Clocks {
        stamps: -TWO_YEARS,
        date: Some(time::Duration::ZERO),
    };
    let x = Xendit::start_with(
        vec![
            OnCreate::StoreAndAnswer,
            OnCreate::StoreAndDrop,
            OnCreate::StoreAndAnswer,
        ],
        Setup {
            clocks,
            ..Setup::default()
        },
    )
    .await;
    let gw = x.server.gateway(4);
    create(&gw, "order-23").await.expect("created");
    let invoice = create(&gw, "order-24")
        .await
        .expect("the lookup finds the stored invoice");
    assert_eq!(invoice.id, "inv-2");
    assert_eq!(x.stored().len(), 2, "one invoice per order");
}

#[tokio::test]
async fn when_the_last_attempt_stored_the_invoice_it_is_looked_up_before_giving_up() {
    let x = Xendit::start(vec![OnCreate::StoreAndDrop]).await;
    let invoice = create(&x.server.gateway(1), "order-25")
        .await
        .expect("the final lookup finds the stored invoice");
    x.assert_only_invoice(&invoice, &[CREATE, LOOKUP]);
}

#[tokio::test]
async fn a_create_refused_with_a_4xx_is_not_looked_up() {
    assert_refused_once(1, "API_VALIDATION_ERROR", "amount is required").await;
}

//! The inspector's pages and forms: escaping, filters, paging, each action's 303 and its
//! effect, refusals as flash messages, the 404 page.

mod support;

use std::time::Duration;

use paylink_sandbox::{PayRequest, SandboxClient};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::receiver::{attempts_until, Receiver};
use support::{id_of, start, start_default, Client};

const HOSTILE: &str = r#"<script>alert("x")</script>"#;
const ESCAPED: &str = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;";

/// A page: its status and HTML.
async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    let answer = client.send(client.plain(Method::GET, path)).await;
    let html = answer
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    assert!(
        html,
        "{path} answered {:?}",
        answer.headers.get("content-type")
    );
    (answer.status, answer.text)
}

/// Posts a form; answers the status and the `Location`.
async fn post_form(client: &Client, path: &str, body: &str) -> (StatusCode, String) {
    let answer = client
        .send(
            client
                .plain(Method::POST, path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_owned()),
        )
        .await;
    let location = answer
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (answer.status, location)
}

/// Posts a form that must answer 303, follows it, and answers the flash shown there.
async fn act(client: &Client, path: &str, body: &str, back: &str) -> String {
    let (status, location) = post_form(client, path, body).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
    assert!(
        location.starts_with(back),
        "{path} went to {location}, not {back}"
    );
    let (status, html) = page(client, &location).await;
    assert_eq!(status, StatusCode::OK, "{location}");
    flash_of(&html)
}

/// The text of the page's flash message, with its kind: `ok: ...` or `error: ...`.
fn flash_of(html: &str) -> String {
    for (class, kind) in [
        (r#"class="flash ok""#, "ok"),
        (r#"class="flash error""#, "error"),
    ] {
        if let Some(start) = html.find(class) {
            let rest = &html[start..];
            let text_start = rest.find('>').map_or(0, |p| p + 1);
            let text_end = rest.find("</div>").unwrap_or(rest.len());
            return format!("{kind}: {}", &rest[text_start..text_end]);
        }
    }
    String::new()
}

/// How many invoice rows a page lists.
fn rows(html: &str) -> usize {
    html.matches(r#"class="invoice-row""#).count()
}

fn control(sandbox: &paylink_sandbox::Sandbox) -> SandboxClient {
    sandbox.client().expect("a client")
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_page() {
    let (_sandbox, client) = start_default().await;
    let invoice = client
        .create_ok(json!({
            "external_id": HOSTILE,
            "amount": 50000,
            "description": HOSTILE,
            "items": [{ "name": HOSTILE, "quantity": 1, "price": 50000 }],
            "success_redirect_url": "https://shop.example/\"><script>x</script>",
        }))
        .await;
    let id = id_of(&invoice);
    let hostile_query =
        "/_sandbox/?external_id=%3Cscript%3E&error=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    for path in [
        "/_sandbox/".to_owned(),
        format!("/_sandbox/invoices/{id}"),
        "/_sandbox/log".to_owned(),
        hostile_query.to_owned(),
    ] {
        let (status, html) = page(&client, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            !html.contains("<script"),
            "{path} has an unescaped script: {html}"
        );
    }
    let (_, list) = page(&client, "/_sandbox/").await;
    assert!(list.contains(ESCAPED), "the external id, escaped");
    let (_, detail) = page(&client, &format!("/_sandbox/invoices/{id}")).await;
    assert!(
        detail.matches(ESCAPED).count() >= 3,
        "external id, description, item"
    );
    let (_, flashed) = page(&client, hostile_query).await;
    assert_eq!(
        flash_of(&flashed),
        "error: &lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert!(
        flashed.contains(r#"value="&lt;script&gt;""#),
        "the filter field, escaped"
    );
}

#[tokio::test]
async fn invoices_are_listed_newest_first_and_filtered_by_status_and_external_id() {
    let (sandbox, client) = start_default().await;
    let control = control(&sandbox);
    let mut ids = Vec::new();
    for name in ["order-1", "order-2", "refund-3", "order-4"] {
        ids.push(id_of(&client.invoice(name).await));
    }
    control
        .pay(&ids[1], &PayRequest::default())
        .await
        .expect("paid");
    control.expire(&ids[2]).await.expect("expired");

    let (_, html) = page(&client, "/_sandbox/").await;
    assert_eq!(rows(&html), 4);
    let order: Vec<usize> = ids
        .iter()
        .map(|id| html.find(&format!(r#"data-id="{id}""#)).expect("listed"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(html.contains(r#"id="invoice-count">4 invoices"#));

    let (_, paid) = page(&client, "/_sandbox/?status=PAID").await;
    assert_eq!(rows(&paid), 1);
    assert!(paid.contains(&format!(r#"data-id="{}""#, ids[1])));
    assert!(paid.contains(r#"<option value="PAID" selected>"#));

    let (_, orders) = page(&client, "/_sandbox/?external_id=order").await;
    assert_eq!(rows(&orders), 3);
    let (_, pending_orders) = page(&client, "/_sandbox/?status=pending&external_id=order").await;
    assert_eq!(rows(&pending_orders), 2);
    let (_, none) = page(&client, "/_sandbox/?status=SETTLED").await;
    assert_eq!(rows(&none), 0);
    assert!(none.contains("No invoice matches these filters."));

    let (status, bad) = page(&client, "/_sandbox/?status=LOST").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("status must be one of PENDING, PAID, SETTLED, EXPIRED; got `LOST`"));
    assert_eq!(rows(&bad), 4, "the other filters still apply");
}

#[tokio::test]
async fn invoices_are_paged_with_next_and_previous_links() {
    let (_sandbox, client) = start_default().await;
    let mut ids = Vec::new();
    for n in 0..25 {
        ids.push(id_of(&client.invoice(&format!("paged-{n:02}")).await));
    }
    ids.reverse(); // newest first
    let href = |html: &str, id: &str| -> Option<String> {
        let at = html.find(&format!(r#"id="{id}""#))?;
        let start = html[..at].rfind("href=\"")? + 6;
        let end = start + html[start..].find('"')?;
        Some(html[start..end].replace("&amp;", "&"))
    };
    let shown = |html: &str| -> Vec<String> {
        ids.iter()
            .filter(|id| html.contains(&format!(r#"data-id="{id}""#)))
            .cloned()
            .collect()
    };

    let (_, first) = page(&client, "/_sandbox/?limit=10").await;
    assert_eq!(shown(&first), ids[..10]);
    assert!(href(&first, "newer").is_none(), "no newer page");
    let next = href(&first, "older").expect("an older page");
    assert_eq!(next, format!("/_sandbox/?limit=10&before={}", ids[9]));

    let (_, second) = page(&client, &next).await;
    assert_eq!(shown(&second), ids[10..20]);
    let (_, third) = page(&client, &href(&second, "older").expect("older")).await;
    assert_eq!(shown(&third), ids[20..]);
    assert!(href(&third, "older").is_none(), "the last page");

    let back = href(&third, "newer").expect("a newer page");
    let (_, second_again) = page(&client, &back).await;
    assert_eq!(shown(&second_again), ids[10..20]);
    let (_, first_again) = page(&client, &href(&second_again, "newer").expect("newer")).await;
    assert_eq!(shown(&first_again), ids[..10]);
    assert!(href(&first_again, "newer").is_none());

    let (_, filtered) = page(&client, "/_sandbox/?external_id=paged-0&limit=5").await;
    assert_eq!(rows(&filtered), 5);
    assert_eq!(
        href(&filtered, "older").as_deref(),
        Some(format!("/_sandbox/?external_id=paged-0&limit=5&before={}", ids[19]).as_str()),
        "paging keeps the filters"
    );
}

#[tokio::test]
async fn each_form_action_answers_303_back_with_a_flash_and_does_what_it_says() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (sandbox, client) = start(receiver.config(1.0)).await;
    let control = control(&sandbox);
    let engine = sandbox.engine();
    let id = id_of(
        &client
            .create_ok(json!({ "external_id": "acts", "amount": 50000, "payment_methods": ["BNI", "DANA", "QRIS"] }))
            .await,
    );
    let detail = format!("/_sandbox/invoices/{id}");
    let back = format!("back={}", "%2F_sandbox%2Finvoices%2F".to_owned() + &id);
    let forms = format!("/_sandbox/forms/invoices/{id}");

    let (_, html) = page(&client, &detail).await;
    for channel in ["BNI", "DANA", "QRIS"] {
        assert!(
            html.contains(&format!(r#"<option value="{channel}">"#)),
            "{channel}"
        );
    }
    assert!(html.contains(r#"id="pay""#) && html.contains(r#"id="expire""#));
    assert!(
        !html.contains(r#"id="settle""#),
        "a PENDING link cannot be settled"
    );

    let flash = act(&client, &format!("{forms}/settle"), &back, &detail).await;
    assert_eq!(
        flash,
        format!(
            "error: Could not settle: invoice `{id}` is PENDING; only a PAID link can be settled"
        )
    );

    let flash = act(
        &client,
        &format!("{forms}/fail"),
        &format!("channel=QRIS&{back}"),
        &detail,
    )
    .await;
    assert_eq!(
        flash,
        "ok: Recorded a failed attempt with QRIS (1 so far); the link is still PENDING."
    );
    assert_eq!(engine.failed_attempts(&id), Some(1));

    let flash = act(
        &client,
        &format!("{forms}/pay"),
        &format!("channel=OVO&{back}"),
        &detail,
    )
    .await;
    assert_eq!(
        flash,
        format!("error: Could not pay: invoice `{id}` does not offer channel `OVO`")
    );

    let flash = act(
        &client,
        &format!("{forms}/pay"),
        &format!("channel=DANA&{back}"),
        &detail,
    )
    .await;
    assert_eq!(
        flash,
        "ok: Paid with DANA: the link is PAID, and its PAID webhook is on its way."
    );
    let paid = engine.invoice(&id).expect("the invoice");
    assert_eq!(paid.status.as_str(), "PAID");
    assert_eq!(
        paid.payment_channel.as_ref().map(|c| c.as_str()),
        Some("DANA")
    );

    // The detail page shows the delivery attempt and a resend button.
    let log = attempts_until(&control, |log| !log.is_empty()).await;
    let (_, html) = page(&client, &detail).await;
    assert!(html.contains(r#"<span id="status"><span class="badge paid">PAID</span>"#));
    assert!(html.contains(r#"id="delivery-1""#));
    assert!(html.contains(r#"class="attempt" data-attempt="1""#));
    assert!(html.contains("receiver said 500"), "the receiver's answer");
    assert!(html.contains(&receiver.url), "the URL");
    assert!(
        html.contains("  &quot;status&quot;: &quot;PAID&quot;"),
        "the body, pretty"
    );
    assert!(html.contains(r#"id="settle""#));

    receiver.answer(200);
    let resend = format!("/_sandbox/forms/deliveries/{}/resend", log[0].delivery_id);
    let flash = act(&client, &resend, &back, &detail).await;
    assert_eq!(
        flash,
        "ok: Resent delivery 1 as attempt 2: delivered (HTTP 200)."
    );
    let (_, html) = page(&client, &detail).await;
    assert!(html.contains(r#"class="attempt" data-attempt="2""#));
    assert!(html.contains(r#"<span class="badge manual">resend</span>"#));

    let flash = act(
        &client,
        "/_sandbox/forms/deliveries/99/resend",
        &back,
        &detail,
    )
    .await;
    assert_eq!(flash, "error: Could not resend: no delivery with id 99");

    let flash = act(&client, &format!("{forms}/settle"), &back, &detail).await;
    assert_eq!(flash, "ok: Settled: the link is SETTLED.");
    assert_eq!(
        engine.invoice(&id).map(|i| i.status.to_string()).as_deref(),
        Some("SETTLED")
    );

    let flash = act(&client, &format!("{forms}/expire"), &back, &detail).await;
    assert_eq!(
        flash,
        format!("error: Could not expire: invoice `{id}` is already SETTLED")
    );
}

#[tokio::test]
async fn expire_and_advance_from_the_forms() {
    let (sandbox, client) = start_default().await;
    let engine = sandbox.engine();
    let now = engine.now();
    let soon = id_of(
        &client
            .create_ok(json!({ "external_id": "soon", "amount": 50000, "invoice_duration": 3600 }))
            .await,
    );
    let later = id_of(&client.invoice("later").await);
    let detail = format!("/_sandbox/invoices/{later}");

    let flash = act(
        &client,
        &format!("/_sandbox/forms/invoices/{later}/expire"),
        &format!("back=%2F_sandbox%2Finvoices%2F{later}%3Fdone%3Dold"),
        &detail,
    )
    .await;
    assert_eq!(
        flash,
        "ok: Expired: the link is EXPIRED, and its EXPIRED webhook is on its way."
    );
    assert_eq!(
        engine
            .invoice(&later)
            .map(|i| i.status.to_string())
            .as_deref(),
        Some("EXPIRED")
    );

    let flash = act(
        &client,
        "/_sandbox/forms/clock/advance",
        "amount=2&unit=hours&back=%2F_sandbox%2F%3Fstatus%3DEXPIRED",
        "/_sandbox/?status=EXPIRED&done=",
    )
    .await;
    assert_eq!(
        flash,
        "ok: Advanced the clock by 2 h to 2025-01-02 05:04:05 UTC; 1 link expired."
    );
    assert_eq!(engine.now() - now, time::Duration::hours(2));
    assert_eq!(
        engine
            .invoice(&soon)
            .map(|i| i.status.to_string())
            .as_deref(),
        Some("EXPIRED")
    );

    let flash = act(
        &client,
        "/_sandbox/forms/clock/advance",
        "amount=soon&unit=hours",
        "/_sandbox/",
    )
    .await;
    assert_eq!(
        flash,
        "error: Could not advance the clock: &quot;amount&quot; must be a whole number of at least 1, got `soon`"
    );
    let flash = act(
        &client,
        "/_sandbox/forms/clock/advance",
        "amount=1&unit=weeks",
        "/_sandbox/",
    )
    .await;
    assert_eq!(
        flash,
        "error: Could not advance the clock: &quot;unit&quot; must be seconds, minutes, hours or days, got `weeks`"
    );
    assert_eq!(
        engine.now() - now,
        time::Duration::hours(2),
        "a refused advance moves nothing"
    );

    // The page shows the clock.
    let (_, html) = page(&client, "/_sandbox/").await;
    assert!(html.contains(r#"id="clock">2025-01-02 05:04:05 UTC<"#));
}

#[tokio::test]
async fn forms_only_go_back_to_inspector_pages() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&client.invoice("redirects").await);
    let (status, location) = post_form(
        &client,
        &format!("/_sandbox/forms/invoices/{id}/expire"),
        "back=https%3A%2F%2Fevil.example%2F",
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with(&format!("/_sandbox/invoices/{id}?done=")),
        "{location}"
    );
    let (_, location) = post_form(
        &client,
        "/_sandbox/forms/clock/advance",
        "amount=1&back=%2F%2Fevil.example%2F_sandbox",
    )
    .await;
    assert!(location.starts_with("/_sandbox/?done="), "{location}");
}

#[tokio::test]
async fn an_unknown_invoice_has_a_404_page_and_its_forms_say_so() {
    let (_sandbox, client) = start_default().await;
    let (status, html) = page(&client, "/_sandbox/invoices/nope%3Cb%3E").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Invoice not found"));
    assert!(html.contains("nope&lt;b&gt;"));
    let flash = act(
        &client,
        "/_sandbox/forms/invoices/nope/pay",
        "channel=BNI&back=%2F_sandbox%2F",
        "/_sandbox/",
    )
    .await;
    assert_eq!(flash, "error: Could not pay: Invoice not found.");
}

#[tokio::test]
async fn a_form_body_over_the_limit_comes_back_as_a_flash() {
    let config = paylink_sandbox::SandboxConfig {
        max_body_bytes: 64,
        ..paylink_sandbox::SandboxConfig::default()
    };
    let (_sandbox, client) = start(config).await;
    let flash = act(
        &client,
        "/_sandbox/forms/clock/advance",
        &format!("amount=1&pad={}", "x".repeat(100)),
        "/_sandbox/",
    )
    .await;
    assert_eq!(
        flash,
        "error: Could not advance the clock: The request body is larger than the limit of 64 bytes"
    );
}

#[tokio::test]
async fn the_home_page_shows_webhooks_and_the_latest_requests() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (sandbox, client) = start(receiver.config(1.0)).await;
    let control = control(&sandbox);
    let id = id_of(&client.invoice("home").await);
    control
        .pay(&id, &PayRequest::default())
        .await
        .expect("paid");
    attempts_until(&control, |log| !log.is_empty()).await;

    let (_, html) = page(&client, "/_sandbox/").await;
    assert!(html.contains(&format!(r#"id="callback-url">{}<"#, receiver.url)));
    assert!(html.contains("1 deliveries, 0 delivered, 1 not delivered."));
    assert!(html.contains(r#"<span class="badge bad">PAID failing</span>"#));
    assert!(html.contains(&format!("POST /_sandbox/invoices/{id}/pay")));
    assert!(html.contains(r#"href="/_sandbox/log" id="all-requests""#));

    receiver.answer(200);
    let flash = act(
        &client,
        "/_sandbox/forms/deliveries/resend",
        "status=FAILED&back=%2F_sandbox%2F",
        "/_sandbox/",
    )
    .await;
    assert_eq!(
        flash,
        "ok: Resent 1 deliveries: 1 delivered, 0 not delivered."
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (_, html) = page(&client, "/_sandbox/").await;
    assert!(html.contains(r#"<span class="badge ok">PAID delivered</span>"#));

    let (_, log) = page(&client, "/_sandbox/log").await;
    assert!(log.contains("POST /_sandbox/forms/deliveries/resend"));
    assert!(
        log.contains("status=FAILED&amp;back=%2F_sandbox%2F"),
        "the form body"
    );
}

#[tokio::test]
async fn the_json_expire_control_expires_whatever_the_for_user_id() {
    let (sandbox, client) = start_default().await;
    let scoped = client
        .send(
            client
                .authed(Method::POST, "/v2/invoices")
                .header("for-user-id", "sub-1")
                .json(&json!({ "external_id": "scoped", "amount": 50000 })),
        )
        .await;
    let id = id_of(&scoped.body);
    let expired = control(&sandbox).expire(&id).await.expect("expired");
    assert_eq!(expired.status.as_str(), "EXPIRED");
    let again = client
        .control(&format!("/_sandbox/invoices/{id}/expire"), None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error_code"], "INVOICE_EXPIRED");
    let (_, html) = page(&client, &format!("/_sandbox/invoices/{id}")).await;
    assert!(html.contains(r#"<dt>for-user-id</dt><dd><span class="mono">sub-1</span></dd>"#));
    assert!(html.contains(r#"id="no-action""#));
}

//! The hosted checkout page: what it shows, that it escapes what merchants send, and that
//! paying or failing through its forms redirects as Xendit's checkout does.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{id_of, start_default, Client};

async fn coffee(client: &Client, extra: Value) -> Value {
    let mut body = json!({
        "external_id": "order-42",
        "amount": 510000,
        "currency": "IDR",
        "description": "Two coffees and a croissant",
        "payment_methods": ["BNI", "DANA", "QRIS", "ALFAMART", "CREDIT_CARD"],
        "items": [
            { "name": "Kopi susu", "quantity": 2, "price": 180000 },
            { "name": "Croissant", "quantity": 1, "price": 150000 }
        ]
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    client.create_ok(body).await
}

async fn page(client: &Client, id: &str) -> (StatusCode, String) {
    let answer = client
        .send(client.plain(Method::GET, &format!("/web/{id}")))
        .await;
    (answer.status, answer.text)
}

async fn form(client: &Client, path: &str, body: &str) -> reqwest::Response {
    client
        .http
        .post(format!("{}{path}", client.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("an answer")
}

#[tokio::test]
async fn the_checkout_page_of_a_pending_link() {
    let (_sandbox, client) = start_default().await;
    let invoice = coffee(&client, json!({})).await;
    let (status, html) = page(&client, &id_of(&invoice)).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!(html);
}

#[tokio::test]
async fn the_checkout_page_of_a_paid_link() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&coffee(&client, json!({})).await);
    client
        .control(
            &format!("/_sandbox/invoices/{id}/pay"),
            Some(json!({ "payment_channel": "DANA" })),
        )
        .await;
    let (status, html) = page(&client, &id).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!(html);
}

#[tokio::test]
async fn the_page_shows_merchant_amount_items_expiry_and_the_offered_channels() {
    let (_sandbox, client) = start_default().await;
    let invoice = coffee(&client, json!({})).await;
    let (_, html) = page(&client, &id_of(&invoice)).await;
    for text in [
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
        "Toko Kopi",
        r#"<h1 class="amount" id="amount">Rp 510.000</h1>"#,
        "Two coffees and a croissant",
        "Kopi susu",
        "Rp 360.000",
        "Rp 180.000 each",
        "Croissant",
        "3 Jan 2025, 03:04 UTC",
        r#"value="BNI""#,
        r#"value="DANA""#,
        r#"value="QRIS""#,
        r#"value="ALFAMART""#,
        r#"value="CREDIT_CARD""#,
        "Pay Rp 510.000",
    ] {
        assert!(html.contains(text), "the page lacks {text}");
    }
    assert!(
        !html.contains(r#"value="OVO""#),
        "only the link's channels are offered"
    );
    assert!(!html.contains("<script"), "the page needs no JavaScript");
}

#[tokio::test]
async fn amounts_are_written_in_the_links_currency() {
    let (_sandbox, client) = start_default().await;
    let invoice = client
        .create_ok(json!({ "external_id": "php", "amount": 1250.5, "currency": "PHP", "payment_methods": ["GCASH"] }))
        .await;
    let (_, html) = page(&client, &id_of(&invoice)).await;
    assert!(html.contains("₱1,250.50"), "{html}");
}

#[tokio::test]
async fn what_the_merchant_sent_is_escaped() {
    let (_sandbox, client) = start_default().await;
    let invoice = coffee(
        &client,
        json!({
            "external_id": "<img src=x onerror=alert(1)>",
            "description": "<script>alert('pwned')</script> & \"more\"",
            "items": [{ "name": "<b>bold</b>", "quantity": 1, "price": 510000 }]
        }),
    )
    .await;
    let (_, html) = page(&client, &id_of(&invoice)).await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>bold"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; &quot;more&quot;")
    );
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test]
async fn paying_through_the_form_redirects_to_the_success_url() {
    let (sandbox, client) = start_default().await;
    let id = id_of(
        &coffee(
            &client,
            json!({ "success_redirect_url": "https://shop.example/thanks?o=42", "failure_redirect_url": "https://shop.example/sorry" }),
        )
        .await,
    );
    let answer = form(&client, &format!("/web/{id}/pay"), "channel=DANA").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        answer.headers()["location"],
        "https://shop.example/thanks?o=42"
    );
    let invoice = sandbox.engine().invoice(&id).expect("the invoice");
    assert_eq!(invoice.status.as_str(), "PAID");
    assert_eq!(
        invoice
            .payment_channel
            .map(|c| c.as_str().to_owned())
            .as_deref(),
        Some("DANA")
    );
}

#[tokio::test]
async fn a_failed_attempt_redirects_to_the_failure_url_and_the_link_stays_payable() {
    let (sandbox, client) = start_default().await;
    let id = id_of(
        &coffee(
            &client,
            json!({ "failure_redirect_url": "https://shop.example/sorry" }),
        )
        .await,
    );
    let answer = form(&client, &format!("/web/{id}/fail"), "channel=BNI").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "https://shop.example/sorry");
    assert_eq!(sandbox.engine().failed_attempts(&id), Some(1));
    let (_, html) = page(&client, &id).await;
    assert!(html.contains(r#"id="pay""#), "the link can still be paid");
}

#[tokio::test]
async fn without_redirect_urls_the_buyer_sees_a_result_page() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&coffee(&client, json!({})).await);
    let failed = form(&client, &format!("/web/{id}/fail"), "channel=QRIS").await;
    assert_eq!(
        failed.headers()["location"],
        format!("/web/{id}/result?outcome=failed").as_str()
    );
    let result = client
        .send(client.plain(Method::GET, &format!("/web/{id}/result?outcome=failed")))
        .await;
    assert!(result.text.contains("did not go through"));
    assert!(result.text.contains(&format!(r#"href="/web/{id}""#)));

    let paid = form(&client, &format!("/web/{id}/pay"), "channel=QRIS").await;
    assert_eq!(
        paid.headers()["location"],
        format!("/web/{id}/result?outcome=paid").as_str()
    );
    let result = client
        .send(client.plain(Method::GET, &format!("/web/{id}/result?outcome=paid")))
        .await;
    assert!(result.text.contains("Payment successful"));
    assert!(result.text.contains(r#"<dd id="status">PAID</dd>"#));
}

#[tokio::test]
async fn a_paid_link_cannot_be_paid_again() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&coffee(&client, json!({})).await);
    assert_eq!(
        form(&client, &format!("/web/{id}/pay"), "channel=BNI")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let again = form(&client, &format!("/web/{id}/pay"), "channel=BNI").await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let html = again.text().await.expect("a page");
    assert!(html.contains("already been paid"));
    assert!(!html.contains(r#"id="pay""#));
}

#[tokio::test]
async fn an_expired_link_shows_its_state_and_cannot_be_paid() {
    let (_sandbox, client) = start_default().await;
    let id = id_of(&coffee(&client, json!({ "invoice_duration": 60 })).await);
    client
        .control("/_sandbox/clock/advance", Some(json!({ "seconds": 120 })))
        .await;
    let (_, html) = page(&client, &id).await;
    assert!(html.contains("This link has expired"));
    assert!(!html.contains("<form"));
    let attempt = form(&client, &format!("/web/{id}/pay"), "channel=BNI").await;
    assert_eq!(attempt.status(), StatusCode::CONFLICT);
    assert_eq!(
        client.get(&format!("/v2/invoices/{id}")).await.body["status"],
        "EXPIRED"
    );
}

#[tokio::test]
async fn a_channel_the_link_does_not_offer_is_refused() {
    let (sandbox, client) = start_default().await;
    let id = id_of(&coffee(&client, json!({})).await);
    let answer = form(&client, &format!("/web/{id}/pay"), "channel=OVO").await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer
        .text()
        .await
        .expect("a page")
        .contains("does not offer channel"));
    assert_eq!(
        sandbox
            .engine()
            .invoice(&id)
            .map(|i| i.status.as_str().to_owned())
            .as_deref(),
        Some("PENDING")
    );
}

#[tokio::test]
async fn an_unknown_link_is_a_404_page() {
    let (_sandbox, client) = start_default().await;
    let (status, html) = page(&client, "0123456789abcdef01234567").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Payment link not found"));
}

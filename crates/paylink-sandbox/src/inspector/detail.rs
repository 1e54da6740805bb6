//! An invoice's page: its fields, the actions its state allows, its webhook deliveries with
//! every attempt, the requests about it, and the invoice as the API returns it.

use std::fmt::Write as _;

use paylink_core::{Currency, Invoice, InvoiceStatus};

use super::super::delivery::DeliveryAttempt;
use super::super::format::{escape_html, format_amount, format_quantity};
use super::super::page;
use super::super::resend::{self, Delivery, DeliveryOutcome};
use super::json::pretty;
use super::layout::{self, Nav};
use super::list::request_line;
use super::{Account, Flash};

/// How many requests about the invoice its page shows.
const INVOICE_REQUESTS: usize = 20;

/// The page of invoice `id`; `None` when there is none.
pub(crate) fn page(
    account: &Account<'_>,
    id: &str,
    flash: Option<&Flash>,
    back: &str,
) -> Option<String> {
    let engine = &account.engine;
    let invoice = engine.invoice(id)?;
    let now = engine.now();
    let currency = invoice.currency.unwrap_or(Currency::Idr);
    let mut body = String::new();

    let _ = write!(
        body,
        r#"<p class="small" style="margin:0 0 .75rem"><a href="/_sandbox/">← All invoices</a></p><section class="card" id="summary"><div class="title"><h1 id="external-id">{external}</h1><span id="status">{status}</span></div><p class="amount" id="amount">{amount}</p><p class="mono muted" style="margin:0">{id}</p>"#,
        external = escape_html(&invoice.external_id),
        status = layout::status_badge(&invoice.status),
        amount = escape_html(&format_amount(invoice.amount, currency)),
        id = escape_html(&invoice.id),
    );
    if let Some(d) = &invoice.description {
        let _ = write!(
            body,
            r#"<p id="description" style="margin:.5rem 0 0;overflow-wrap:anywhere">{}</p>"#,
            escape_html(d)
        );
    }
    body.push_str("</section>");

    body.push_str(r#"<div class="grid">"#);
    body.push_str(&actions_card(&invoice, back));
    body.push_str(&layout::clock_card(now, account.clock, back));
    body.push_str("</div>");

    body.push_str(&facts_card(account, &invoice));
    if !invoice.items.is_empty() || !invoice.fees.is_empty() {
        body.push_str(&items_card(&invoice, currency));
    }
    let deliveries: Vec<Delivery> = resend::deliveries(account.deliverer)
        .into_iter()
        .rev()
        .filter(|d| d.invoice_id.as_deref() == Some(id))
        .collect();
    body.push_str(&deliveries_card(account, &deliveries, back));
    body.push_str(&requests_card(account, id));

    let json = serde_json::to_string(&invoice).unwrap_or_default();
    let _ = write!(
        body,
        r#"<section class="card" id="raw"><h2>As the API returns it</h2><details><summary>GET /v2/invoices/{id}</summary><pre class="mono">{json}</pre></details></section>"#,
        id = escape_html(&invoice.id),
        json = escape_html(&pretty(&json)),
    );
    let title = format!("Invoice {}", invoice.external_id);
    Some(layout::document(&title, Nav::Invoices, flash, &body))
}

fn actions_card(invoice: &Invoice, back: &str) -> String {
    let action = |name: &str| {
        escape_html(&format!(
            "/_sandbox/forms/invoices/{}/{name}",
            super::super::requests::redact::encode_component(&invoice.id)
        ))
    };
    let back = layout::back_field(back);
    let mut card = String::from(
        r#"<section class="card" id="actions" aria-labelledby="actions-title"><h2 id="actions-title">Actions</h2>"#,
    );
    match invoice.status {
        InvoiceStatus::Pending => {
            let choices = page::methods(invoice);
            if choices.is_empty() {
                card.push_str(r#"<p class="muted">This link offers no payment channel.</p>"#);
            } else {
                let _ = write!(
                    card,
                    r#"<form method="post" action="{pay}" class="inline" id="pay-form">{back}<label>Channel<select name="channel" id="channel">"#,
                    pay = action("pay"),
                );
                let mut group = "";
                for m in &choices {
                    if m.group != group {
                        if !group.is_empty() {
                            card.push_str("</optgroup>");
                        }
                        group = m.group;
                        let _ = write!(card, r#"<optgroup label="{group}">"#);
                    }
                    let _ = write!(
                        card,
                        r#"<option value="{0}">{0}</option>"#,
                        escape_html(&m.channel)
                    );
                }
                let _ = write!(
                    card,
                    r#"</optgroup></select></label><button type="submit" id="pay">Pay</button><button type="submit" class="secondary" id="fail" formaction="{fail}">Fail an attempt</button></form>"#,
                    fail = action("fail"),
                );
            }
            let _ = write!(
                card,
                r#"<div class="actions" style="margin-top:.75rem"><form method="post" action="{expire}">{back}<button type="submit" class="danger" id="expire">Expire now</button></form><a class="button secondary" href="{checkout}" id="checkout-link">Open the checkout page</a></div><p class="small muted">Paying or expiring sends the webhook; a failed attempt sends none and leaves the link payable.</p>"#,
                expire = action("expire"),
                checkout = escape_html(&format!(
                    "/web/{}",
                    super::super::requests::redact::encode_component(&invoice.id)
                )),
            );
        }
        InvoiceStatus::Paid => {
            let _ = write!(
                card,
                r#"<form method="post" action="{settle}">{back}<button type="submit" id="settle">Settle</button></form><p class="small muted">Settling moves the link to SETTLED; Xendit sends no webhook for it.</p>"#,
                settle = action("settle"),
            );
        }
        _ => {
            let _ = write!(
                card,
                r#"<p class="muted" id="no-action">Nothing more can happen to a {} link.</p>"#,
                escape_html(invoice.status.as_str())
            );
        }
    }
    card.push_str("</section>");
    card
}

fn facts_card(account: &Account<'_>, invoice: &Invoice) -> String {
    let now = account.engine.now();
    let currency = invoice.currency.unwrap_or(Currency::Idr);
    let mut facts: Vec<(&str, String)> = vec![
        ("Invoice id", mono(&invoice.id)),
        ("External id", escape_html(&invoice.external_id)),
        ("Status", layout::status_badge(&invoice.status)),
        (
            "Amount",
            escape_html(&format!(
                "{} ({} {})",
                format_amount(invoice.amount, currency),
                invoice.amount,
                currency.code()
            )),
        ),
        ("Merchant", escape_html(&invoice.merchant_name)),
    ];
    let mut opt = |label: &'static str, value: Option<String>| {
        if let Some(v) = value {
            facts.push((label, v));
        }
    };
    opt(
        "Paid amount",
        invoice
            .paid_amount
            .map(|a| escape_html(&format_amount(a, currency))),
    );
    opt(
        "Payer e-mail",
        invoice.payer_email.as_deref().map(escape_html),
    );
    opt(
        "Customer",
        invoice.customer.as_ref().and_then(|c| {
            let json = serde_json::to_string(c).ok()?;
            Some(mono(&json))
        }),
    );
    opt(
        "Created",
        Some(escape_html(&format!(
            "{} ({})",
            layout::moment(invoice.created),
            layout::relative(invoice.created, now)
        ))),
    );
    opt(
        "Updated",
        Some(escape_html(&layout::moment(invoice.updated))),
    );
    opt(
        "Expiry date",
        Some(escape_html(&format!(
            "{} ({})",
            layout::moment(invoice.expiry_date),
            layout::relative(invoice.expiry_date, now)
        ))),
    );
    opt(
        "Paid at",
        invoice.paid_at.map(|t| escape_html(&layout::moment(t))),
    );
    opt(
        "Payment method",
        invoice.payment_method.as_ref().map(|m| mono(m.as_str())),
    );
    opt(
        "Payment channel",
        invoice.payment_channel.as_ref().map(|c| mono(c.as_str())),
    );
    opt(
        "Payment destination",
        invoice.payment_destination.as_deref().map(mono),
    );
    opt("Payment id", invoice.payment_id.as_deref().map(mono));
    opt(
        "Failed attempts",
        account
            .engine
            .failed_attempts(&invoice.id)
            .map(|n| n.to_string()),
    );
    opt(
        "for-user-id",
        account
            .engine
            .for_user_id(&invoice.id)
            .map(|scope| match scope {
                Some(s) => mono(&s),
                None => r#"<span class="muted">none (main account)</span>"#.to_owned(),
            }),
    );
    let offered: Vec<String> = page::methods(invoice)
        .into_iter()
        .map(|m| m.channel)
        .collect();
    opt(
        "Offered channels",
        Some(if offered.is_empty() {
            r#"<span class="muted">none</span>"#.to_owned()
        } else {
            mono(&offered.join(", "))
        }),
    );
    opt(
        "Checkout page",
        Some(format!(
            r#"<a href="{0}" class="mono">{0}</a>"#,
            escape_html(&invoice.invoice_url)
        )),
    );
    opt(
        "Success redirect",
        invoice.success_redirect_url.as_deref().map(mono),
    );
    opt(
        "Failure redirect",
        invoice.failure_redirect_url.as_deref().map(mono),
    );
    opt(
        "Metadata",
        invoice
            .metadata
            .as_ref()
            .and_then(|m| serde_json::to_string(m).ok())
            .map(|m| mono(&m)),
    );
    let mut card =
        String::from(r#"<section class="card" id="facts"><h2>Details</h2><dl class="facts">"#);
    for (label, value) in facts {
        let _ = write!(card, "<dt>{label}</dt><dd>{value}</dd>");
    }
    card.push_str("</dl></section>");
    card
}

fn mono(text: &str) -> String {
    format!(r#"<span class="mono">{}</span>"#, escape_html(text))
}

fn items_card(invoice: &Invoice, currency: Currency) -> String {
    let mut card = String::from(
        r#"<section class="card" id="items"><h2>Items and fees</h2><table class="cards items"><thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Price</th><th scope="col" class="num">Total</th></tr></thead><tbody>"#,
    );
    for item in &invoice.items {
        let total = item
            .price
            .checked_mul(item.quantity)
            .map_or_else(|| "-".to_owned(), |t| format_amount(t, currency));
        let _ = write!(
            card,
            r#"<tr><td class="a-name">{name}<div class="phone small muted">{qty} × {price}</div></td><td class="num hide-phone">{qty}</td><td class="num hide-phone">{price}</td><td class="a-total num end">{total}</td></tr>"#,
            name = escape_html(&item.name),
            qty = escape_html(&format_quantity(item.quantity)),
            price = escape_html(&format_amount(item.price, currency)),
            total = escape_html(&total),
        );
    }
    for fee in &invoice.fees {
        let _ = write!(
            card,
            r#"<tr><td class="a-name">{name}</td><td class="num hide-phone"></td><td class="num hide-phone"></td><td class="a-total num end">{value}</td></tr>"#,
            name = escape_html(&fee.fee_type),
            value = escape_html(&format_amount(fee.value, currency)),
        );
    }
    card.push_str("</tbody></table></section>");
    card
}

fn deliveries_card(account: &Account<'_>, deliveries: &[Delivery], back: &str) -> String {
    let mut card = String::from(
        r#"<section class="card" id="deliveries" aria-labelledby="deliveries-title"><div class="head"><h2 id="deliveries-title">Webhook deliveries</h2>"#,
    );
    let _ = write!(
        card,
        r#"<span class="small muted">{}</span></div>"#,
        match account.deliverer.callback_url_of(&account.name) {
            Some(url) => format!("to {}", escape_html(&url)),
            None => "webhooks are off (no callback URL)".to_owned(),
        }
    );
    if deliveries.is_empty() {
        card.push_str(r#"<p class="empty" id="no-deliveries">No webhook for this link yet: paying or expiring it sends one.</p>"#);
    }
    for d in deliveries {
        card.push_str(&delivery(account, d, back));
    }
    card.push_str("</section>");
    card
}

fn delivery(account: &Account<'_>, d: &Delivery, back: &str) -> String {
    let (class, word) = match d.outcome() {
        DeliveryOutcome::Delivered => ("ok", "delivered"),
        DeliveryOutcome::Failed => ("bad", "not delivered"),
    };
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<article class="delivery" id="delivery-{n}" data-delivery="{n}"><div class="row"><div class="title"><strong>Delivery {n}</strong><span class="badge">{event} callback</span><span class="badge {class} outcome">{word}</span></div><form method="post" action="/_sandbox/forms/deliveries/{n}/resend">{back}<button type="submit" class="secondary small resend">Resend</button></form></div>"#,
        n = d.id,
        event = escape_html(d.event.as_deref().unwrap_or("?")),
        back = layout::back_field(back),
    );
    html.push_str(r#"<table class="cards attempts" style="margin-top:.5rem"><thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Result</th><th scope="col">Receiver's answer</th></tr></thead><tbody>"#);
    for a in d.attempts.iter().rev() {
        html.push_str(&attempt_row(a));
    }
    html.push_str("</tbody></table>");
    if let Some(body) = account.deliverer.callback_body(d.id) {
        let _ = write!(
            html,
            r#"<details><summary>Callback body ({} bytes, sent byte for byte on every attempt)</summary><pre class="mono">{}</pre></details>"#,
            body.len(),
            escape_html(&pretty(&body))
        );
    }
    html.push_str("</article>");
    html
}

fn attempt_row(a: &DeliveryAttempt) -> String {
    let status = a.status.map_or_else(
        || r#"<span class="muted">none</span>"#.to_owned(),
        layout::http_badge,
    );
    let result = if a.delivered {
        r#"<span class="badge ok">delivered</span>"#.to_owned()
    } else {
        match &a.error {
            Some(e) => format!(
                r#"<span class="badge bad">failed</span> <span class="small">{}</span>"#,
                escape_html(e)
            ),
            None => r#"<span class="badge bad">failed</span>"#.to_owned(),
        }
    };
    let manual = if a.manual {
        r#" <span class="badge manual">resend</span>"#
    } else {
        ""
    };
    format!(
        r#"<tr class="attempt" data-attempt="{n}"><td class="a-num"><span class="phone-inline">Attempt </span>{n}{manual}</td><td class="a-time meta">{time}</td><td class="a-url mono">{url}</td><td class="a-status end">{status}</td><td class="a-result end">{result}</td><td class="a-answer mono">{answer}</td></tr>"#,
        n = a.attempt,
        time = escape_html(&layout::moment(a.time)),
        url = escape_html(&a.url),
        answer = a.response.as_deref().map_or_else(String::new, |r| format!(
            r#"<span class="phone-inline muted">Answer: </span>{}"#,
            escape_html(r)
        )),
    )
}

fn requests_card(account: &Account<'_>, id: &str) -> String {
    let about: Vec<_> = account
        .requests
        .latest(account.requests.capacity())
        .into_iter()
        .filter(|r| r.path.contains(id))
        .take(INVOICE_REQUESTS)
        .collect();
    let mut card = String::from(
        r#"<section class="card" id="invoice-requests"><div class="head"><h2>Requests about this link</h2><a href="/_sandbox/log">All requests →</a></div>"#,
    );
    if about.is_empty() {
        card.push_str(r#"<p class="empty">None in the request log.</p>"#);
    } else {
        card.push_str(r#"<table class="cards requests"><thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th></tr></thead><tbody>"#);
        for r in about {
            let _ = write!(
                card,
                r#"<tr><td class="a-time meta">{}</td><td class="a-req mono">{}</td><td class="a-status end">{}</td></tr>"#,
                escape_html(&layout::short_moment(r.time)),
                escape_html(&request_line(&r)),
                layout::http_badge(r.status),
            );
        }
        card.push_str("</tbody></table>");
    }
    card.push_str("</section>");
    card
}

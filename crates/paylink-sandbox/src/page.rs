//! The hosted checkout page, rendered on the server as plain HTML with inline CSS: no
//! JavaScript, readable on a phone. Every string that came from a create request is escaped.

use std::fmt::Write as _;

use paylink_core::{Currency, Invoice, InvoiceStatus};

use super::format::{escape_html, format_amount, format_moment, format_quantity};

/// One payment channel the buyer can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MethodChoice {
    /// The group it is shown in (`Virtual account`, `E-wallet`...).
    pub group: &'static str,
    /// The channel code posted back (`BNI`, `DANA`, `CREDIT_CARD`).
    pub channel: String,
}

/// What a result page reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The payment went through.
    Paid,
    /// The attempt failed; the link is still payable.
    Failed,
}

/// The channels this link offers, in the order the page shows them.
pub(crate) fn methods(invoice: &Invoice) -> Vec<MethodChoice> {
    let mut out = Vec::new();
    let mut push = |group: &'static str, channel: &str| {
        out.push(MethodChoice {
            group,
            channel: channel.to_owned(),
        });
    };
    for b in &invoice.available_banks {
        push("Virtual account", b.bank_code.as_str());
    }
    for e in &invoice.available_ewallets {
        push("E-wallet", e.ewallet_type.as_str());
    }
    for q in &invoice.available_qr_codes {
        push("QR code", q.qr_code_type.as_str());
    }
    for r in &invoice.available_retail_outlets {
        push("Retail outlet", r.retail_outlet_name.as_str());
    }
    for d in &invoice.available_direct_debits {
        push("Direct debit", d.direct_debit_type.as_str());
    }
    for p in &invoice.available_paylaters {
        if p.should_exclude != Some(true) {
            push("Pay later", p.paylater_type.as_str());
        }
    }
    if invoice.should_exclude_credit_card == Some(false) {
        push("Card", "CREDIT_CARD");
    }
    out
}

/// The checkout page of a link, in whatever state it is. `notice` is shown above the form
/// (after a failed attempt, for instance).
pub(crate) fn checkout_page(invoice: &Invoice, notice: Option<&str>) -> String {
    let currency = invoice.currency.unwrap_or(Currency::Idr);
    let amount = format_amount(invoice.amount, currency);
    let merchant = escape_html(&invoice.merchant_name);
    let id = escape_html(&invoice.id);
    let mut body = String::new();

    let _ = write!(
        body,
        r#"<header><p class="merchant">{merchant}</p><p class="label">{label}</p><h1 class="amount" id="amount">{amount}</h1>"#,
        label = match invoice.status {
            InvoiceStatus::Paid | InvoiceStatus::Settled => "Amount paid",
            InvoiceStatus::Expired => "Amount",
            _ => "Amount due",
        },
        amount = escape_html(&amount),
    );
    if let Some(d) = &invoice.description {
        let _ = write!(
            body,
            r#"<p class="description" id="description">{}</p>"#,
            escape_html(d)
        );
    }
    body.push_str("</header>");

    if let Some(n) = notice {
        let _ = write!(
            body,
            r#"<p class="notice" role="alert">{}</p>"#,
            escape_html(n)
        );
    }

    let state = match invoice.status {
        InvoiceStatus::Paid | InvoiceStatus::Settled => Some(("paid", "This link has been paid.")),
        InvoiceStatus::Expired => Some((
            "expired",
            "This link has expired and can no longer be paid.",
        )),
        _ => None,
    };
    if let Some((class, text)) = state {
        let _ = write!(body, r#"<p class="state {class}" id="state">{text}</p>"#);
    }

    body.push_str(r#"<dl class="facts">"#);
    let _ = write!(
        body,
        "<dt>Reference</dt><dd>{}</dd>",
        escape_html(&invoice.external_id)
    );
    match invoice.status {
        InvoiceStatus::Paid | InvoiceStatus::Settled => {
            if let Some(t) = invoice.paid_at {
                let _ = write!(body, "<dt>Paid</dt><dd>{}</dd>", format_moment(t));
            }
            if let Some(c) = &invoice.payment_channel {
                let _ = write!(
                    body,
                    "<dt>Paid with</dt><dd>{}</dd>",
                    escape_html(c.as_str())
                );
            }
        }
        InvoiceStatus::Expired => {
            let _ = write!(
                body,
                "<dt>Expired</dt><dd>{}</dd>",
                format_moment(invoice.updated)
            );
        }
        _ => {
            let _ = write!(
                body,
                r#"<dt>Expires</dt><dd id="expiry">{}</dd>"#,
                format_moment(invoice.expiry_date)
            );
        }
    }
    body.push_str("</dl>");

    if !invoice.items.is_empty() || !invoice.fees.is_empty() {
        body.push_str(r#"<table class="items" id="items"><thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Total</th></tr></thead><tbody>"#);
        for item in &invoice.items {
            // Price and quantity come from the merchant's request: a product too large for a
            // Decimal shows as unknown instead of failing the page.
            let line = item
                .price
                .checked_mul(item.quantity)
                .map_or_else(|| "-".to_owned(), |total| format_amount(total, currency));
            let _ = write!(
                body,
                r#"<tr><td>{name}<br><span class="unit">{unit} each</span></td><td class="num">{qty}</td><td class="num">{line}</td></tr>"#,
                name = escape_html(&item.name),
                unit = escape_html(&format_amount(item.price, currency)),
                qty = format_quantity(item.quantity),
                line = escape_html(&line),
            );
        }
        for fee in &invoice.fees {
            let _ = write!(
                body,
                r#"<tr><td>{name}</td><td class="num"></td><td class="num">{value}</td></tr>"#,
                name = escape_html(&fee.fee_type),
                value = escape_html(&format_amount(fee.value, currency)),
            );
        }
        let _ = write!(
            body,
            r#"</tbody><tfoot><tr><th scope="row" colspan="2">Total</th><td class="num">{}</td></tr></tfoot></table>"#,
            escape_html(&amount)
        );
    }

    if state.is_none() {
        let choices = methods(invoice);
        if choices.is_empty() {
            body.push_str(r#"<p class="notice">No payment method is available for this link.</p>"#);
        } else {
            let _ = write!(
                body,
                r#"<form method="post" action="/web/{id}/pay" class="pay">"#
            );
            let mut group = "";
            for (n, m) in choices.iter().enumerate() {
                if m.group != group {
                    if !group.is_empty() {
                        body.push_str("</fieldset>");
                    }
                    group = m.group;
                    let _ = write!(body, "<fieldset><legend>{group}</legend>");
                }
                let channel = escape_html(&m.channel);
                let checked = if n == 0 { " checked" } else { "" };
                let _ = write!(
                    body,
                    r#"<label class="method"><input type="radio" name="channel" value="{channel}"{checked}> <span>{label}</span></label>"#,
                    label = escape_html(&channel_label(&m.channel)),
                );
            }
            body.push_str("</fieldset>");
            let _ = write!(
                body,
                r#"<button type="submit" id="pay">Pay {}</button><button type="submit" id="fail" class="secondary" formaction="/web/{id}/fail">Simulate a failed payment</button></form>"#,
                escape_html(&amount)
            );
        }
    }

    let title = format!("Pay {} to {}", amount, invoice.merchant_name);
    document(&title, &body)
}

/// The page shown after paying or failing when the link has no redirect URL for that outcome.
pub(crate) fn result_page(invoice: &Invoice, outcome: Outcome) -> String {
    let currency = invoice.currency.unwrap_or(Currency::Idr);
    let amount = escape_html(&format_amount(invoice.amount, currency));
    let merchant = escape_html(&invoice.merchant_name);
    let id = escape_html(&invoice.id);
    let body = match outcome {
        Outcome::Paid => format!(
            r#"<header><p class="merchant">{merchant}</p><h1 class="amount">{amount}</h1></header><p class="state paid" id="state">Payment successful. Thank you!</p><dl class="facts"><dt>Reference</dt><dd>{reference}</dd><dt>Status</dt><dd id="status">{status}</dd></dl>"#,
            reference = escape_html(&invoice.external_id),
            status = escape_html(invoice.status.as_str()),
        ),
        Outcome::Failed => format!(
            r#"<header><p class="merchant">{merchant}</p><h1 class="amount">{amount}</h1></header><p class="state failed" id="state">The payment did not go through. No money was taken.</p><p><a class="button" href="/web/{id}">Try again</a></p>"#
        ),
    };
    let title = match outcome {
        Outcome::Paid => "Payment successful",
        Outcome::Failed => "Payment failed",
    };
    document(title, &body)
}

/// A page with one message (an unknown link, a link that cannot be paid).
pub(crate) fn message_page(title: &str, message: &str) -> String {
    document(
        title,
        &format!(
            r#"<h1>{}</h1><p class="notice" id="message">{}</p>"#,
            escape_html(title),
            escape_html(message)
        ),
    )
}

fn channel_label(code: &str) -> String {
    match code {
        "CREDIT_CARD" => "Credit or debit card".to_owned(),
        "7ELEVEN" => "7-Eleven".to_owned(),
        other => other.replace('_', " "),
    }
}

const STYLE: &str = "*{box-sizing:border-box}\
body{margin:0;background:#f2f4f7;color:#1d2939;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
main{max-width:30rem;margin:0 auto;padding:1rem}\
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(16,24,40,.1)}\
.merchant{margin:0;font-weight:600;color:#475467}\
.label{margin:.75rem 0 0;font-size:.875rem;color:#667085}\
.amount{margin:0;font-size:2rem;line-height:1.2;overflow-wrap:anywhere}\
.description{margin:.5rem 0 0;overflow-wrap:anywhere}\
.facts{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:1rem 0;font-size:.875rem}\
.facts dt{color:#667085}.facts dd{margin:0;overflow-wrap:anywhere}\
.items{width:100%;border-collapse:collapse;margin:1rem 0;font-size:.875rem}\
.items th,.items td{padding:.5rem 0;border-bottom:1px solid #eaecf0;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
.items .num{text-align:right;padding-left:.75rem;white-space:nowrap}\
.items tfoot th,.items tfoot td{font-weight:700;border-bottom:0}\
.unit{color:#667085}\
fieldset{border:0;margin:1rem 0 0;padding:0}\
legend{font-weight:600;margin-bottom:.25rem}\
.method{display:flex;align-items:center;gap:.5rem;min-height:3rem;padding:.5rem .75rem;margin:.25rem 0;border:1px solid #d0d5dd;border-radius:8px;background:#fff}\
.method input{width:1.25rem;height:1.25rem;margin:0}\
button,.button{display:block;width:100%;margin-top:1rem;padding:.875rem;border:0;border-radius:8px;background:#155eef;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}\
button.secondary{background:#fff;color:#b42318;border:1px solid #fda29b}\
.notice{padding:.75rem;border-radius:8px;background:#fffaeb;color:#93370d}\
.state{padding:.75rem;border-radius:8px;font-weight:600}\
.state.paid{background:#ecfdf3;color:#067647}\
.state.expired,.state.failed{background:#fef3f2;color:#b42318}\
footer{margin-top:1rem;text-align:center;font-size:.75rem;color:#667085}";

fn document(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<main><div class="card">{body}</div><footer>paylink sandbox: no real money moves.</footer></main>
</body>
</html>
"#,
        title = escape_html(title),
    )
}

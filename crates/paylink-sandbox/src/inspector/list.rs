//! The inspector's home page: the clock, webhook delivery, the invoices (filtered by status and
//! external id, newest first, paged) and the latest requests.

use std::collections::HashMap;
use std::fmt::Write as _;

use paylink_core::{Currency, Invoice, InvoiceStatus};
use paylink_fake::{InvoiceFilter, PageStart};
use time::OffsetDateTime;

use super::super::format::{escape_html, format_amount};
use super::super::requests::LoggedRequest;
use super::super::resend::{self, DeliveryOutcome};
use super::layout::{self, Nav};
use super::{value, Account, Flash};

/// Invoices per page unless `limit` says otherwise.
pub(crate) const PAGE_SIZE: usize = 20;

/// The largest `limit`.
pub(crate) const MAX_PAGE_SIZE: usize = 100;

/// How many requests the home page shows.
pub(crate) const RECENT_REQUESTS: usize = 10;

/// The home page's query: filters and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ListParams {
    /// `status`: one of PENDING, PAID, SETTLED, EXPIRED.
    pub(crate) status: Option<InvoiceStatus>,
    /// `external_id`: text the external id contains.
    pub(crate) external_id: Option<String>,
    /// `before`: the older page after this invoice.
    pub(crate) before: Option<String>,
    /// `after`: the newer page before this invoice.
    pub(crate) after: Option<String>,
    /// `limit`: invoices per page.
    pub(crate) limit: usize,
    /// `account`: the account shown (the first when absent).
    pub(crate) account: Option<String>,
    /// What could not be read, one sentence each.
    pub(crate) problems: Vec<String>,
}

impl ListParams {
    /// Reads the query; a value that cannot be used is left out and named in `problems`.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Self {
        let mut params = ListParams {
            limit: PAGE_SIZE,
            ..ListParams::default()
        };
        if let Some(s) = value(pairs, "status") {
            let status = InvoiceStatus::from(s.to_ascii_uppercase().as_str());
            if status.is_known() {
                params.status = Some(status);
            } else {
                params.problems.push(format!(
                    "status must be one of PENDING, PAID, SETTLED, EXPIRED; got `{s}`"
                ));
            }
        }
        params.external_id = value(pairs, "external_id").map(str::to_owned);
        params.before = value(pairs, "before").map(str::to_owned);
        params.account = value(pairs, "account").map(str::to_owned);
        params.after = value(pairs, "after").map(str::to_owned);
        if let Some(l) = value(pairs, "limit") {
            match l.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => params.limit = n,
                _ => params.problems.push(format!(
                    "limit must be a whole number from 1 to {MAX_PAGE_SIZE}; got `{l}`"
                )),
            }
        }
        params
    }

    /// The query of a link to another page with the same filters.
    fn link(&self, before: Option<&str>, after: Option<&str>) -> String {
        let limit = (self.limit != PAGE_SIZE).then(|| self.limit.to_string());
        let link = layout::query(&[
            ("account", self.account.as_deref()),
            ("status", self.status.as_ref().map(InvoiceStatus::as_str)),
            ("external_id", self.external_id.as_deref()),
            ("limit", limit.as_deref()),
            ("before", before),
            ("after", after),
        ]);
        format!("/_sandbox/{link}")
    }
}

/// The home page.
pub(crate) fn page(
    account: &Account<'_>,
    params: &ListParams,
    flash: Option<&Flash>,
    back: &str,
) -> String {
    let now = account.engine.now();
    let mut body = String::new();
    body.push_str(&accounts_card(account));
    body.push_str(r#"<div class="grid">"#);
    body.push_str(&layout::clock_card(now, account.clock, back));
    body.push_str(&webhooks_card(account, back));
    body.push_str("</div>");
    body.push_str(&invoices_card(account, params, now));
    body.push_str(&requests_card(&account.requests.latest(RECENT_REQUESTS)));
    layout::document("Invoices", Nav::Invoices, flash, &body)
}

/// The account selector, when there are several accounts.
fn accounts_card(account: &Account<'_>) -> String {
    if account.names.is_empty() {
        return String::new();
    }
    let mut card = String::from(
        r#"<nav class="card" id="accounts" aria-label="Accounts"><h2>Accounts</h2><p>"#,
    );
    for name in &account.names {
        if *name == account.name {
            let _ = write!(
                card,
                r#"<strong class="account current" aria-current="page">{}</strong> "#,
                escape_html(name)
            );
        } else {
            let _ = write!(
                card,
                r#"<a class="account" href="/_sandbox/{}">{}</a> "#,
                escape_html(&layout::query(&[("account", Some(name.as_str()))])),
                escape_html(name)
            );
        }
    }
    card.push_str("</p></nav>");
    card
}

/// The deliveries of the account shown.
fn deliveries_of(account: &Account<'_>) -> Vec<resend::Delivery> {
    resend::deliveries(account.deliverer)
        .into_iter()
        .filter(|d| {
            account.names.is_empty()
                || d.attempts
                    .first()
                    .is_some_and(|a| a.account == account.name)
        })
        .collect()
}

fn webhooks_card(account: &Account<'_>, back: &str) -> String {
    let deliveries = deliveries_of(account);
    let failing = deliveries
        .iter()
        .filter(|d| d.outcome() == DeliveryOutcome::Failed)
        .count();
    let mut card = String::from(
        r#"<section class="card" aria-labelledby="hooks-title"><h2 id="hooks-title">Webhooks</h2>"#,
    );
    match account.deliverer.callback_url_of(&account.name) {
        Some(url) => {
            let _ = write!(
                card,
                r#"<p class="small muted">Callbacks are POSTed to</p><p class="mono" id="callback-url">{}</p>"#,
                escape_html(&url)
            );
        }
        None => card.push_str(
            r#"<p id="callback-url">Off: the sandbox was started without a callback URL (<span class="mono">--callback-url</span>), so no callback is sent.</p>"#,
        ),
    }
    let _ = write!(
        card,
        r#"<p class="small muted">{} deliveries, {} delivered, {} not delivered. Retries follow Xendit's schedule (+15 min to +24 h).</p>"#,
        deliveries.len(),
        deliveries.len() - failing,
        failing
    );
    if failing > 0 {
        let _ = write!(
            card,
            r#"<form method="post" action="/_sandbox/forms/deliveries/resend">{}{}<input type="hidden" name="status" value="FAILED"><button type="submit" class="secondary" id="resend-failed">Resend the {failing} not delivered</button></form>"#,
            layout::back_field(back),
            if account.names.is_empty() {
                String::new()
            } else {
                format!(
                    r#"<input type="hidden" name="account" value="{}">"#,
                    escape_html(&account.name)
                )
            }
        );
    }
    card.push_str("</section>");
    card
}

fn invoices_card(account: &Account<'_>, params: &ListParams, now: OffsetDateTime) -> String {
    let filter = InvoiceFilter {
        statuses: params.status.iter().cloned().collect(),
        external_id: params.external_id.clone(),
    };
    let start = match (&params.before, &params.after) {
        (Some(b), _) => PageStart::Before(b.clone()),
        (None, Some(a)) => PageStart::After(a.clone()),
        (None, None) => PageStart::Newest,
    };
    let found = account.engine.browse(&filter, &start, params.limit);
    // The latest delivery of each invoice.
    let mut hooks: HashMap<String, (DeliveryOutcome, Option<String>)> = HashMap::new();
    for d in deliveries_of(account) {
        if let Some(id) = d.invoice_id.clone() {
            hooks.insert(id, (d.outcome(), d.event.clone()));
        }
    }
    let filtering = params.status.is_some() || params.external_id.is_some();
    let mut card = String::new();
    let _ = write!(
        card,
        r#"<section class="card" id="invoices" aria-labelledby="invoices-title"><div class="head"><h2 id="invoices-title">Invoices</h2><span class="small muted" id="invoice-count">{total} {what}, newest first</span></div>"#,
        total = found.total,
        what = match (found.total, filtering) {
            (1, true) => "matches",
            (_, true) => "match",
            (1, false) => "invoice",
            (_, false) => "invoices",
        },
    );
    card.push_str(r#"<form method="get" action="/_sandbox/" class="inline" id="filters" role="search"><label>Status<select name="status" id="filter-status"><option value="">Any status</option>"#);
    for s in InvoiceStatus::KNOWN {
        let selected = if params.status.as_ref() == Some(s) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            card,
            r#"<option value="{0}"{selected}>{0}</option>"#,
            s.as_str()
        );
    }
    let _ = write!(
        card,
        r#"</select></label><label>External id contains<input type="search" name="external_id" id="filter-external-id" value="{}"></label>"#,
        escape_html(params.external_id.as_deref().unwrap_or(""))
    );
    if params.limit != PAGE_SIZE {
        let _ = write!(
            card,
            r#"<input type="hidden" name="limit" value="{}">"#,
            params.limit
        );
    }
    if let Some(name) = &params.account {
        let _ = write!(
            card,
            r#"<input type="hidden" name="account" value="{}">"#,
            escape_html(name)
        );
    }
    card.push_str(r#"<button type="submit" class="secondary" id="filter">Filter</button>"#);
    if filtering {
        let _ = write!(
            card,
            r#"<a class="button secondary" href="/_sandbox/{}" id="clear-filters">Clear</a>"#,
            escape_html(&layout::query(&[("account", params.account.as_deref())]))
        );
    }
    card.push_str("</form>");
    for problem in &params.problems {
        let _ = write!(
            card,
            r#"<p class="flash error" role="alert">{}</p>"#,
            escape_html(problem)
        );
    }
    if found.invoices.is_empty() {
        let text = if filtering {
            "No invoice matches these filters."
        } else {
            "No invoice yet. Create one with POST /v2/invoices."
        };
        let _ = write!(card, r#"<p class="empty" id="no-invoices">{text}</p>"#);
    } else {
        card.push_str(r#"<table class="cards invoices" id="invoice-table" style="margin-top:.75rem"><thead><tr><th scope="col">Created</th><th scope="col">External id</th><th scope="col" class="num">Amount</th><th scope="col">Status</th><th scope="col">When</th><th scope="col">Webhook</th></tr></thead><tbody>"#);
        for invoice in &found.invoices {
            card.push_str(&row(invoice, now, hooks.get(&invoice.id)));
        }
        card.push_str("</tbody></table>");
    }
    let newer = found
        .has_newer
        .then(|| found.invoices.first())
        .flatten()
        .map(|i| params.link(None, Some(&i.id)));
    let older = found
        .has_older
        .then(|| found.invoices.last())
        .flatten()
        .map(|i| params.link(Some(&i.id), None));
    if newer.is_some() || older.is_some() {
        card.push_str(r#"<nav class="pager" aria-label="Pages">"#);
        match newer {
            Some(href) => {
                let _ = write!(
                    card,
                    r#"<a href="{}" id="newer" rel="prev">← Newer</a>"#,
                    escape_html(&href)
                );
            }
            None => card.push_str("<span></span>"),
        }
        match older {
            Some(href) => {
                let _ = write!(
                    card,
                    r#"<a href="{}" id="older" rel="next">Older →</a>"#,
                    escape_html(&href)
                );
            }
            None => card.push_str("<span></span>"),
        }
        card.push_str("</nav>");
    }
    card.push_str("</section>");
    card
}

fn row(
    invoice: &Invoice,
    now: OffsetDateTime,
    hook: Option<&(DeliveryOutcome, Option<String>)>,
) -> String {
    let currency = invoice.currency.unwrap_or(Currency::Idr);
    let when = match invoice.status {
        InvoiceStatus::Pending => format!("expires {}", layout::relative(invoice.expiry_date, now)),
        InvoiceStatus::Paid => match invoice.paid_at {
            Some(t) => format!("paid {}", layout::relative(t, now)),
            None => "paid".to_owned(),
        },
        InvoiceStatus::Settled => format!("settled {}", layout::relative(invoice.updated, now)),
        InvoiceStatus::Expired => format!("expired {}", layout::relative(invoice.updated, now)),
        _ => String::new(),
    };
    let hook = match hook {
        Some((outcome, event)) => format!(
            r#"<span class="badge {class}">{event} {word}</span>"#,
            class = match outcome {
                DeliveryOutcome::Delivered => "ok",
                DeliveryOutcome::Failed => "bad",
            },
            event = escape_html(event.as_deref().unwrap_or("")),
            word = match outcome {
                DeliveryOutcome::Delivered => "delivered",
                DeliveryOutcome::Failed => "failing",
            },
        ),
        None => r#"<span class="muted small">no webhook yet</span>"#.to_owned(),
    };
    let href = escape_html(&layout::invoice_href(&invoice.id));
    format!(
        r#"<tr class="invoice-row" data-id="{id}"><td class="a-created meta">{created}</td><td class="a-ext"><a href="{href}" class="external-id">{external}</a><div class="mono small muted">{id}</div></td><td class="a-amount num end">{amount}</td><td class="a-status end">{status}</td><td class="a-when meta">{when}</td><td class="a-hook end">{hook}</td></tr>"#,
        id = escape_html(&invoice.id),
        created = escape_html(&layout::short_moment(invoice.created)),
        external = escape_html(&invoice.external_id),
        amount = escape_html(&format_amount(invoice.amount, currency)),
        status = layout::status_badge(&invoice.status),
        when = escape_html(&when),
    )
}

/// The card of the latest requests, with a link to the whole log.
fn requests_card(requests: &[LoggedRequest]) -> String {
    let mut card = String::from(
        r#"<section class="card" id="recent-requests" aria-labelledby="requests-title"><div class="head"><h2 id="requests-title">Latest requests</h2><a href="/_sandbox/log" id="all-requests">All requests →</a></div>"#,
    );
    if requests.is_empty() {
        card.push_str(r#"<p class="empty">No request yet.</p>"#);
    } else {
        card.push_str(r#"<table class="cards requests"><thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th></tr></thead><tbody>"#);
        for r in requests {
            let _ = write!(
                card,
                r#"<tr class="request-row"><td class="a-time meta">{time}</td><td class="a-req mono">{request}</td><td class="a-status end">{status}</td></tr>"#,
                time = escape_html(&layout::short_moment(r.time)),
                request = escape_html(&request_line(r)),
                status = layout::http_badge(r.status),
            );
        }
        card.push_str("</tbody></table>");
    }
    card.push_str("</section>");
    card
}

/// `POST /v2/invoices?x=y`.
pub(crate) fn request_line(r: &LoggedRequest) -> String {
    match &r.query {
        Some(q) => format!("{} {}?{q}", r.method, r.path),
        None => format!("{} {}", r.method, r.path),
    }
}

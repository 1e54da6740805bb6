//! The request log page: the logged requests, newest first, 50 at a time, each with its
//! redacted body.

use std::fmt::Write as _;

use super::super::format::escape_html;
use super::json::pretty;
use super::layout::{self, Nav};
use super::list::request_line;
use super::{value, Account, Flash};

/// Requests per page.
const PER_PAGE: usize = 50;

/// The page; `before` (a request id) pages back.
pub(crate) fn page(
    account: &Account<'_>,
    pairs: &[(String, String)],
    flash: Option<&Flash>,
) -> String {
    let before = value(pairs, "before").and_then(|b| b.parse::<u64>().ok());
    let log = account.requests;
    let mut entries = log.page(before, PER_PAGE + 1);
    let has_older = entries.len() > PER_PAGE;
    entries.truncate(PER_PAGE);
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<section class="card" id="requests"><div class="head"><h1>Requests</h1><span class="small muted">{kept} kept of the last {cap}, newest first</span></div><p class="small muted">Every request to the Xendit API, the checkout pages and the control routes (not these pages). The Authorization header is never kept; values of secret keys (token, secret, password, key) and every e-mail address are redacted; at most {body_cap} KiB of each body is kept. JSON: <a href="/_sandbox/requests">/_sandbox/requests</a>.</p>"#,
        kept = log.len(),
        cap = log.capacity(),
        body_cap = super::super::requests::REQUEST_BODY_CAP / 1024,
    );
    if entries.is_empty() {
        body.push_str(r#"<p class="empty">No request logged yet.</p>"#);
    } else {
        body.push_str(r#"<table class="cards requests" id="request-table"><thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col" class="num">ms</th></tr></thead><tbody>"#);
        for r in &entries {
            let mut request = format!(
                r#"<div class="mono">{}</div>"#,
                escape_html(&request_line(r))
            );
            if let Some(user) = &r.for_user_id {
                let _ = write!(
                    request,
                    r#"<div class="small muted">for-user-id: <span class="mono">{}</span></div>"#,
                    escape_html(user)
                );
            }
            if let Some(e) = &r.error {
                let _ = write!(request, r#"<div class="small">{}</div>"#, escape_html(e));
            }
            if let Some(b) = &r.body {
                let _ = write!(
                    request,
                    r#"<details><summary>Body, {bytes} bytes{cut}</summary><pre class="mono">{text}</pre></details>"#,
                    bytes = r.body_bytes,
                    cut = if r.body_truncated { ", cut" } else { "" },
                    text = escape_html(&pretty(b)),
                );
            }
            let _ = write!(
                body,
                r#"<tr class="request-row" data-id="{id}"><td class="a-time meta">{time}<div>sandbox {sandbox}</div></td><td class="a-req">{request}</td><td class="a-status end">{status}</td><td class="num hide-phone">{ms}</td></tr>"#,
                id = r.id,
                time = escape_html(&layout::short_moment(r.time)),
                sandbox = escape_html(&layout::short_moment(r.sandbox_time)),
                status = layout::http_badge(r.status),
                ms = r.duration_ms,
            );
        }
        body.push_str("</tbody></table>");
    }
    let newest = before.map(|_| r#"<a href="/_sandbox/log" id="newest">← Newest</a>"#.to_owned());
    let older = has_older.then(|| entries.last()).flatten().map(|r| {
        format!(
            r#"<a href="/_sandbox/log?before={}" id="older">Older →</a>"#,
            r.id
        )
    });
    if newest.is_some() || older.is_some() {
        let _ = write!(
            body,
            r#"<nav class="pager" aria-label="Pages">{}{}</nav>"#,
            newest.unwrap_or_else(|| "<span></span>".to_owned()),
            older.unwrap_or_else(|| "<span></span>".to_owned())
        );
    }
    body.push_str("</section>");
    layout::document("Requests", Nav::Requests, flash, &body)
}

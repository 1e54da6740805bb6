//! What every inspector page shares: the document with its inline CSS (no external asset, no
//! JavaScript), the flash message, status badges, the clock card, and how times, durations and
//! links are written. Every piece of text that came from outside is escaped here or by the
//! caller with [`escape_html`].

use std::fmt::Write as _;

use paylink_core::InvoiceStatus;
use time::macros::format_description;
use time::OffsetDateTime;

use super::super::format::escape_html;
use super::super::requests::redact::encode_component;
use super::super::ClockMode;
use super::Flash;

/// Which page of the top navigation is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    /// The invoices list and an invoice's page.
    Invoices,
    /// The request log.
    Requests,
}

const STYLE: &str = "*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%}\
body{margin:0;background:#f5f6f8;color:#101828;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
a{color:#155eef;text-decoration:none}a:hover{text-decoration:underline}\
.wrap{max-width:72rem;margin:0 auto;padding:0 1rem}\
.top{background:#101828;color:#fff}\
.top .wrap{display:flex;align-items:center;gap:.5rem 1.5rem;flex-wrap:wrap;padding-top:.75rem;padding-bottom:.75rem}\
.brand{color:#fff;font-weight:700;font-size:1rem}.brand span{color:#98a2b3;font-weight:400}\
.top nav{display:flex;gap:1.25rem}.top nav a{color:#d0d5dd}.top nav a[aria-current]{color:#fff;font-weight:600}\
main.wrap{padding-top:1.25rem;padding-bottom:2rem}\
h1{font-size:1.375rem;line-height:1.3;margin:0;overflow-wrap:anywhere}\
h2{font-size:1rem;margin:0 0 .75rem}\
.card{background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:1rem 1.25rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(16,24,40,.04)}\
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));margin-bottom:1rem}.grid>.card{margin:0}\
.head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem;margin-bottom:.75rem}.head h2{margin:0}\
.muted{color:#667085}.small{font-size:.8125rem}\
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8125rem;overflow-wrap:anywhere}\
.big{font-size:1.25rem;font-weight:600;margin:0 0 .5rem}\
.amount{font-size:1.75rem;font-weight:700;margin:.25rem 0}\
.badge{display:inline-block;padding:.0625rem .5rem;border-radius:999px;font-size:.75rem;font-weight:600;letter-spacing:.02em;white-space:nowrap;background:#f2f4f7;color:#344054}\
.badge.pending{background:#fffaeb;color:#b54708}.badge.paid,.badge.ok{background:#ecfdf3;color:#067647}\
.badge.settled{background:#eff8ff;color:#175cd3}.badge.expired{background:#f2f4f7;color:#475467}\
.badge.failed,.badge.bad{background:#fef3f2;color:#b42318}.badge.warn{background:#fffaeb;color:#b54708}\
.badge.manual{background:#f4f3ff;color:#5925dc}\
.flash{padding:.75rem 1rem;border-radius:8px;margin-bottom:1rem;font-weight:500;overflow-wrap:anywhere}\
.flash.ok{background:#ecfdf3;color:#067647;border:1px solid #abefc6}\
.flash.error{background:#fef3f2;color:#b42318;border:1px solid #fecdca}\
table{width:100%;border-collapse:collapse;font-size:.875rem}\
th{text-align:left;font-weight:600;color:#475467;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;border-bottom:1px solid #e4e7ec;padding:.5rem}\
td{padding:.625rem .5rem;border-bottom:1px solid #f2f4f7;vertical-align:top;overflow-wrap:anywhere}\
tr:last-child td{border-bottom:0}\
.num{text-align:right;white-space:nowrap}\
.empty{padding:1.5rem;text-align:center;color:#667085}\
form{margin:0}\
form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}\
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}\
label{display:flex;flex-direction:column;gap:.25rem;font-size:.8125rem;color:#475467;font-weight:500}\
input,select{font:inherit;padding:.4375rem .625rem;border:1px solid #d0d5dd;border-radius:8px;background:#fff;color:inherit;min-height:2.5rem;max-width:100%}\
input[type=number]{width:6rem}\
button,.button{font:inherit;font-weight:600;padding:.4375rem 1rem;border-radius:8px;border:1px solid #155eef;background:#155eef;color:#fff;cursor:pointer;min-height:2.5rem;text-decoration:none;display:inline-flex;align-items:center;justify-content:center}\
.button:hover{text-decoration:none}\
button.secondary,.button.secondary{background:#fff;color:#344054;border-color:#d0d5dd}\
button.danger{background:#fff;color:#b42318;border-color:#fda29b}\
button.small{min-height:2rem;padding:.25rem .75rem;font-size:.8125rem}\
.pager{display:flex;justify-content:space-between;align-items:center;gap:1rem;margin-top:.75rem;font-size:.875rem}\
dl.facts{display:grid;grid-template-columns:minmax(8rem,max-content) minmax(0,1fr);gap:.375rem 1.25rem;margin:0;font-size:.875rem}\
dl.facts dt{color:#667085}dl.facts dd{margin:0;overflow-wrap:anywhere;min-width:0}\
pre{margin:.5rem 0 0;padding:.75rem;background:#f9fafb;border:1px solid #e4e7ec;border-radius:8px;font-size:.75rem;line-height:1.45;white-space:pre-wrap;overflow-wrap:anywhere}\
details{margin-top:.5rem}summary{cursor:pointer;color:#155eef;font-size:.8125rem}\
.delivery{border-top:1px solid #e4e7ec;padding-top:.75rem;margin-top:.75rem}\
.delivery:first-of-type{border-top:0;padding-top:0;margin-top:0}\
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between}\
.title{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:center}\
footer.wrap{padding-bottom:2rem;color:#667085;font-size:.8125rem}\
td.meta{color:#667085;font-size:.8125rem}\
.phone{display:none}.phone-inline{display:none}\
.a-ext{grid-area:ext}.a-status{grid-area:status}.a-amount{grid-area:amount}.a-when{grid-area:when}\
.a-hook{grid-area:hook}.a-created{grid-area:created}.a-time{grid-area:time}.a-req{grid-area:req}\
.a-num{grid-area:num}.a-result{grid-area:result}.a-url{grid-area:url}.a-answer{grid-area:answer}\
.a-name{grid-area:name}.a-total{grid-area:total}\
@media (max-width:40rem){\
main.wrap{padding-top:1rem}\
.card{padding:.875rem 1rem}\
table.cards thead{display:none}\
table.cards tr{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:.125rem .75rem;padding:.625rem 0;border-bottom:1px solid #e4e7ec}\
table.cards tr:last-child{border-bottom:0}\
table.cards td{display:block;border:0;padding:0;text-align:left;min-width:0}\
table.cards td.end{text-align:right;justify-self:end}\
table.cards td.hide-phone{display:none}\
.phone{display:block}.phone-inline{display:inline}\
table.invoices tr{grid-template-areas:'ext status' 'ext amount' 'created hook' 'when when'}\
table.requests tr{grid-template-areas:'req req' 'time status'}\
table.attempts tr{grid-template-areas:'num status' 'time result' 'url url' 'answer answer'}\
table.items tr{grid-template-areas:'name total'}\
dl.facts{grid-template-columns:minmax(6.5rem,35%) minmax(0,1fr);gap:.25rem .75rem}\
}";

/// A whole inspector page.
pub(crate) fn document(title: &str, nav: Nav, flash: Option<&Flash>, body: &str) -> String {
    let current = |n: Nav| {
        if n == nav {
            r#" aria-current="page""#
        } else {
            ""
        }
    };
    let flash = flash.map(flash_html).unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title} · paylink sandbox</title>
<style>{STYLE}</style>
</head>
<body>
<header class="top"><div class="wrap"><a class="brand" href="/_sandbox/">paylink sandbox <span>inspector</span></a><nav><a href="/_sandbox/"{inv}>Invoices</a><a href="/_sandbox/log"{req}>Requests</a></nav></div></header>
<main class="wrap">{flash}{body}</main>
<footer class="wrap">A local sandbox: no real money moves. JSON: <a href="/_sandbox/requests">/_sandbox/requests</a>, <a href="/_sandbox/deliveries">/_sandbox/deliveries</a>.</footer>
</body>
</html>
"#,
        title = escape_html(title),
        inv = current(Nav::Invoices),
        req = current(Nav::Requests),
    )
}

fn flash_html(flash: &Flash) -> String {
    match flash {
        Flash::Done(text) => format!(
            r#"<div class="flash ok" id="flash" role="status">{}</div>"#,
            escape_html(text)
        ),
        Flash::Error(text) => format!(
            r#"<div class="flash error" id="flash" role="alert">{}</div>"#,
            escape_html(text)
        ),
    }
}

/// A status badge (`PAID` in green...).
pub(crate) fn status_badge(status: &InvoiceStatus) -> String {
    let class = match status {
        InvoiceStatus::Pending => "pending",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Settled => "settled",
        InvoiceStatus::Expired => "expired",
        _ => "",
    };
    format!(
        r#"<span class="badge {class}">{}</span>"#,
        escape_html(status.as_str())
    )
}

/// A badge for an HTTP status: green 2xx, amber 4xx, red 5xx.
pub(crate) fn http_badge(status: u16) -> String {
    let class = match status {
        200..=399 => "ok",
        400..=499 => "warn",
        _ => "bad",
    };
    format!(r#"<span class="badge {class}">{status}</span>"#)
}

/// A moment with seconds: `2025-01-02 03:04:05 UTC`.
pub(crate) fn moment(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

/// A short time of day with the date: `2 Jan, 03:04:05`.
pub(crate) fn short_moment(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt =
        format_description!("[day padding:none] [month repr:short], [hour]:[minute]:[second]");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

/// A duration for people: `45 s`, `15 min`, `2 h 5 min`, `3 d 4 h`.
pub(crate) fn span(d: time::Duration) -> String {
    let secs = d.whole_seconds().unsigned_abs();
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// `t` relative to `now`: `in 2 h 5 min` or `3 min ago`.
pub(crate) fn relative(t: OffsetDateTime, now: OffsetDateTime) -> String {
    if t >= now {
        format!("in {}", span(t - now))
    } else {
        format!("{} ago", span(now - t))
    }
}

/// A query string from pairs, leaving out empty values: `?status=PAID&before=x`, or `""`.
pub(crate) fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        out.push(if out.is_empty() { '?' } else { '&' });
        let _ = write!(out, "{key}={}", encode_component(value));
    }
    out
}

/// The link of an invoice's page.
pub(crate) fn invoice_href(id: &str) -> String {
    format!("/_sandbox/invoices/{}", encode_component(id))
}

/// The hidden field that brings a form's answer back to this page.
pub(crate) fn back_field(back: &str) -> String {
    format!(
        r#"<input type="hidden" name="back" value="{}">"#,
        escape_html(back)
    )
}

/// The card with the sandbox clock and the form that moves it.
pub(crate) fn clock_card(now: OffsetDateTime, mode: ClockMode, back: &str) -> String {
    let mode = match mode {
        ClockMode::Manual => "Manual: it moves only when advanced.",
        ClockMode::Wall => "Follows the wall clock, plus what was advanced.",
    };
    format!(
        r#"<section class="card" aria-labelledby="clock-title"><h2 id="clock-title">Sandbox clock</h2><p class="big mono" id="clock">{now}</p><p class="small muted">{mode} Links expire as it passes their expiry.</p><form method="post" action="/_sandbox/forms/clock/advance" class="inline" id="advance-form">{back}<label>Advance by<input type="number" name="amount" min="1" value="1" required></label><label>Unit<select name="unit"><option value="minutes">minutes</option><option value="hours" selected>hours</option><option value="days">days</option><option value="seconds">seconds</option></select></label><button type="submit" id="advance">Advance clock</button></form></section>"#,
        now = escape_html(&moment(now)),
        back = back_field(back),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn durations_and_moments_read_well() {
        assert_eq!(span(time::Duration::seconds(45)), "45 s");
        assert_eq!(span(time::Duration::minutes(15)), "15 min");
        assert_eq!(span(time::Duration::minutes(125)), "2 h 5 min");
        assert_eq!(span(time::Duration::hours(76)), "3 d 4 h");
        let now = datetime!(2025-01-02 03:04:05 UTC);
        assert_eq!(relative(now + time::Duration::hours(1), now), "in 1 h");
        assert_eq!(relative(now - time::Duration::minutes(3), now), "3 min ago");
        assert_eq!(moment(now), "2025-01-02 03:04:05 UTC");
        assert_eq!(short_moment(now), "2 Jan, 03:04:05");
    }

    #[test]
    fn queries_encode_and_skip_empty_values() {
        assert_eq!(
            query(&[
                ("status", Some("PAID")),
                ("external_id", Some("a b&c")),
                ("x", None),
                ("y", Some(""))
            ]),
            "?status=PAID&external_id=a%20b%26c"
        );
        assert_eq!(query(&[]), "");
    }
}

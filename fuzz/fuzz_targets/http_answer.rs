//! Fuzz target: an HTTP answer as the client reads it: the status, the wait headers
//! (`Retry-After`, `Rate-Limit-Reset`), `Date`, and the body, through
//! `paylink_http::fuzzing` (the functions `HttpGateway` itself calls).
//!
//! Input: an HTTP answer's head and body: the first line holds the status (`429`, or
//! `HTTP/1.1 429 Too Many Requests`; 200 when it has none), header lines `Name: value` follow
//! up to an empty line, then the body. Properties:
//! - a status outside 2xx is always an error with that status, mapped exactly as
//!   `GatewayError::from_response` maps it, and a 429 carries the wait the headers ask for;
//! - a 2xx body decodes exactly when `serde_json` reads it, as an invoice and as a page;
//! - `Retry-After` in whole seconds is that many seconds; as an HTTP-date, the time from now to
//!   it (none when it is past); `Rate-Limit-Reset` counts only when `Retry-After` gives no wait;
//! - a parsed HTTP-date writes (`httpdate`) and reads back as the same instant, and a parsed
//!   number of seconds reads back from its own nine-digit form.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use paylink_core::{GatewayError, Invoice};
use paylink_fuzz::{read, split_line};
use paylink_http::fuzzing::{
    decode, parse_http_date, parse_retry_after, parse_seconds, server_wait,
};
use time::macros::datetime;
use time::OffsetDateTime;

/// The client's clock in this target.
const NOW: OffsetDateTime = datetime!(2015-10-21 07:27:00 UTC);

struct Answer<'a> {
    status: u16,
    retry_after: Option<&'a str>,
    rate_limit_reset: Option<&'a str>,
    date: Option<&'a str>,
    body: &'a [u8],
}

fn answer(data: &[u8]) -> Answer<'_> {
    let (first, mut rest) = split_line(data);
    let status = std::str::from_utf8(first)
        .ok()
        .and_then(|line| line.split_whitespace().find_map(|w| w.parse::<u16>().ok()))
        .unwrap_or(200);
    let mut a = Answer {
        status,
        retry_after: None,
        rate_limit_reset: None,
        date: None,
        body: &[],
    };
    loop {
        let (line, after) = split_line(rest);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            a.body = after;
            return a;
        }
        rest = after;
        let Some((name, value)) = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "retry-after" => a.retry_after = Some(value),
            "rate-limit-reset" => a.rate_limit_reset = Some(value),
            "date" => a.date = Some(value),
            _ => {}
        }
        if after.is_empty() {
            return a;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let a = answer(data);
    let wait = server_wait(a.retry_after, a.rate_limit_reset, NOW);
    check_wait(&a, wait);
    if let Some(date) = a.date {
        check_date(date);
    }
    check_decode::<Invoice>(&a, wait);
    check_decode::<Vec<Invoice>>(&a, wait);
});

fn check_wait(a: &Answer<'_>, wait: Option<Duration>) {
    let from_retry_after = a.retry_after.and_then(|v| parse_retry_after(v, NOW));
    let from_reset = a.rate_limit_reset.and_then(parse_seconds);
    assert_eq!(wait, from_retry_after.or(from_reset));
    if let Some(v) = a.retry_after {
        let v = v.trim();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            assert_eq!(
                from_retry_after,
                v.parse::<u64>().ok().map(Duration::from_secs)
            );
        } else if let Some(at) = parse_http_date(v) {
            let want = Duration::try_from(at - NOW).unwrap_or(Duration::ZERO);
            assert_eq!(from_retry_after, Some(want));
        } else {
            assert_eq!(from_retry_after, None);
        }
    }
    if let Some(d) = from_reset {
        let text = format!("{}.{:09}", d.as_secs(), d.subsec_nanos());
        assert_eq!(parse_seconds(&text), Some(d), "{text}");
    }
}

fn check_date(value: &str) {
    let Some(t) = parse_http_date(value) else {
        return;
    };
    let written = httpdate::fmt_http_date(SystemTime::from(t));
    assert_eq!(parse_http_date(&written), Some(t), "{value} -> {written}");
}

fn check_decode<T>(a: &Answer<'_>, wait: Option<Duration>)
where
    T: serde::de::DeserializeOwned + std::fmt::Debug,
{
    let decoded = decode::<T>(a.status, a.body, wait);
    if !(200..300).contains(&a.status) {
        let Err(e) = decoded else {
            panic!("HTTP {} decoded as a value", a.status);
        };
        assert_eq!(e.status(), Some(a.status));
        let want = GatewayError::from_response(a.status, a.body, wait);
        assert_eq!(std::mem::discriminant(&e), std::mem::discriminant(&want));
        assert_eq!(e.error_code(), want.error_code());
        assert_eq!(e.api_error(), want.api_error());
        if let GatewayError::RateLimited { retry_after, .. } = e {
            assert_eq!(a.status, 429);
            assert_eq!(retry_after, wait);
        }
        return;
    }
    match (decoded, read::<T>(a.body)) {
        (Ok(_), Ok(_)) => {}
        (Err(GatewayError::Decode { status, .. }), Err(_)) => assert_eq!(status, a.status),
        (d, r) => panic!("decode and serde_json disagree: {d:?} / {r:?}"),
    }
}

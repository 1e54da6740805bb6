//! Exactly what goes on the wire and how answers come back: paths with percent-encoded ids,
//! the list query string, the server's wait headers, and the mapping of transport failures
//! and bodies to `GatewayError`.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use paylink_core::{ApiError, GatewayError, ListInvoicesQuery};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// What JavaScript's `encodeURIComponent` leaves alone, which is what Xendit's Node SDK does to
/// ids and query values: letters, digits and `-_.!~*'()`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// One path segment or query component, percent-encoded as `encodeURIComponent` does.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_component(&mut out, s);
    out
}

/// Appends `s` to `out`, percent-encoded as [`encode_component`] does.
pub(crate) fn push_component(out: &mut String, s: &str) {
    out.extend(utf8_percent_encode(s, COMPONENT));
}

/// The query string of a list call (without `?`): the pairs of
/// [`ListInvoicesQuery::to_pairs`], in that order, percent-encoded
/// (`created_after=2023-01-01T00%3A00%3A00.000Z`).
pub(crate) fn list_query_string(query: &ListInvoicesQuery) -> String {
    let mut out = String::new();
    for (name, value) in query.to_pairs() {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(name));
        out.push('=');
        out.push_str(&encode_component(&value));
    }
    out
}

/// Checks that an id can name an invoice in a URL path. An empty id would turn
/// `GET /v2/invoices/{id}` into the list endpoint and `.` or `..` would be resolved away by URL
/// normalisation, so those are answered as unknown ids without sending anything.
///
/// # Errors
/// [`GatewayError::NotFound`] with `INVOICE_NOT_FOUND_ERROR`, as for any unknown id.
pub(crate) fn check_id(id: &str) -> Result<(), GatewayError> {
    if matches!(id, "" | "." | "..") {
        return Err(GatewayError::NotFound(Box::new(ApiError::new(
            404,
            "INVOICE_NOT_FOUND_ERROR",
            format!("invoice id {id:?} cannot name an invoice; no request was sent"),
        ))));
    }
    Ok(())
}

/// The wait a response asks for: `Retry-After` (seconds or an HTTP-date), else
/// `Rate-Limit-Reset` (seconds, possibly fractional). `now` is only used for HTTP-dates.
pub fn server_wait(
    retry_after: Option<&str>,
    rate_limit_reset: Option<&str>,
    now: OffsetDateTime,
) -> Option<Duration> {
    retry_after
        .and_then(|v| parse_retry_after(v, now))
        .or_else(|| rate_limit_reset.and_then(parse_seconds))
}

/// `Retry-After`: a whole number of seconds or an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00
/// GMT`). A date in the past means no wait.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let wait = parse_http_date(value)? - now;
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// An HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, or the obsolete RFC 850 and asctime forms a
/// recipient must also accept), as `Date` and `Retry-After` carry it.
pub fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    httpdate::parse_http_date(value.trim())
        .ok()
        .map(OffsetDateTime::from)
}

/// A non-negative decimal number of seconds (`2`, `1.5`, `0.250`), read exactly without
/// floating point; digits past nanoseconds are dropped.
pub fn parse_seconds(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (whole, frac) = match value.split_once('.') {
        Some((w, f)) => (w, f),
        None => (value, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    let secs = if whole.is_empty() {
        0
    } else {
        whole.parse::<u64>().ok()?
    };
    let mut nanos: u32 = 0;
    for (i, b) in frac.bytes().take(9).enumerate() {
        let place = 10u32.pow(8 - u32::try_from(i).ok()?);
        nanos += u32::from(b - b'0') * place;
    }
    Some(Duration::new(secs, nanos))
}

/// Maps a reqwest failure. A timeout or failure while connecting means the request never left;
/// any later one means it may have reached the server.
pub(crate) fn transport_error(e: reqwest::Error) -> GatewayError {
    let connect = e.is_connect();
    if e.is_timeout() {
        return GatewayError::Timeout {
            request_sent: !connect,
        };
    }
    GatewayError::Transport {
        message: chain(&e),
        request_sent: !connect,
        source: Some(Arc::new(e)),
    }
}

/// An error's message followed by its sources' messages.
fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// Decodes a complete answer: a 2xx body as `T`, anything else as the error it describes.
///
/// # Errors
/// [`GatewayError::from_response`] for a non-2xx status; [`GatewayError::Decode`] with the
/// JSON path of the problem and the start of the body when a 2xx body is not a `T`.
pub fn decode<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Result<T, GatewayError> {
    if !(200..300).contains(&status) {
        return Err(GatewayError::from_response(status, body, retry_after));
    }
    serde_json::from_slice(body).map_err(|_| {
        // Re-read only on failure, so the common path pays nothing for the error's JSON path.
        let mut de = serde_json::Deserializer::from_slice(body);
        let message = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) if e.path().to_string() != "." => format!("at `{}`: {}", e.path(), e.inner()),
            Err(e) => e.inner().to_string(),
            Ok(_) => "the body is not the expected JSON".to_owned(),
        };
        GatewayError::Decode {
            status,
            message,
            body: paylink_core::body_snippet(body),
        }
    })
}

/// A body that stopped before its end: the status and what arrived.
pub(crate) fn truncated(status: u16, body: &[u8], e: &reqwest::Error) -> GatewayError {
    GatewayError::Decode {
        status,
        message: format!("the body ended early: {}", chain(e)),
        body: paylink_core::body_snippet(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ids_are_encoded_like_encode_uri_component() {
        assert_eq!(encode_component("inv_123"), "inv_123");
        assert_eq!(encode_component("a b/c?d#e%f"), "a%20b%2Fc%3Fd%23e%25f");
        assert_eq!(encode_component("it's(ok)!~*."), "it's(ok)!~*.");
        assert_eq!(encode_component("ü"), "%C3%BC");
    }

    #[test]
    fn list_timestamps_are_sent_with_an_encoded_colon() {
        let q = ListInvoicesQuery {
            external_id: Some("order 1&2".into()),
            created_after: Some(datetime!(2023-01-01 00:00 UTC)),
            ..ListInvoicesQuery::default()
        };
        assert_eq!(
            list_query_string(&q),
            "external_id=order%201%262&created_after=2023-01-01T00%3A00%3A00.000Z"
        );
    }

    #[test]
    fn ids_that_url_normalisation_would_change_are_refused() {
        for id in ["", ".", ".."] {
            let e = check_id(id).expect_err("refused");
            assert_eq!(e.error_code(), Some("INVOICE_NOT_FOUND_ERROR"));
        }
        assert!(check_id("...").is_ok());
        assert!(check_id("6748105a77f16ebe0cc583a7").is_ok());
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = datetime!(2015-10-21 07:27:00 UTC);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn http_dates_are_read_in_all_three_forms_http_allows() {
        let want = Some(datetime!(1994-11-06 08:49:37 UTC));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), want);
        assert_eq!(parse_http_date(" Sun, 06 Nov 1994 08:49:37 GMT "), want);
        assert_eq!(parse_http_date("06 Nov 1994"), None);
    }

    #[test]
    fn rate_limit_reset_reads_fractional_seconds_exactly() {
        assert_eq!(parse_seconds("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_seconds("0.250"), Some(Duration::from_millis(250)));
        assert_eq!(parse_seconds("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_seconds(".5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_seconds("1.0000000019"), Some(Duration::new(1, 1)));
        for bad in ["", ".", "-1", "1e3", "1.5s", "NaN"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_wins_over_rate_limit_reset() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            server_wait(Some("4"), Some("1.5"), now),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            server_wait(None, Some("1.5"), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(server_wait(Some("x"), None, now), None);
    }

    #[test]
    fn a_2xx_body_of_the_wrong_shape_names_the_field() {
        let e =
            decode::<paylink_core::Invoice>(200, br#"{"id": 5}"#, None).expect_err("wrong shape");
        match e {
            GatewayError::Decode {
                status,
                message,
                body,
            } => {
                assert_eq!(status, 200);
                assert!(message.contains("id"), "{message}");
                assert_eq!(body, r#"{"id": 5}"#);
            }
            other => panic!("expected Decode, got {other:?}"),
        }
    }
}

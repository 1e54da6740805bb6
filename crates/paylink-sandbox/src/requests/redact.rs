//! Redaction of what the request log keeps: values under keys that name a secret
//! (`*token*`, `*secret*`, `*password*`, `*key*`, `*authorization*`, `*credential*`) and every
//! e-mail address (under an `*email*` key or anywhere else in the text). JSON bodies are
//! redacted on their text, token by token, so every other byte (an amount's digits included)
//! is kept as sent; a body cut at the size cap or that is not JSON at all is handled the same
//! way. Form bodies and query strings are redacted pair by pair.

use std::borrow::Cow;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// What replaces an e-mail address.
pub(crate) const REDACTED_EMAIL: &str = "[redacted email]";

/// Parts of a key that mark its value as a secret.
const SECRET_KEY_PARTS: [&str; 6] = [
    "token",
    "secret",
    "password",
    "key",
    "authorization",
    "credential",
];

/// What a key's value becomes, if it is redacted whole.
fn replacement_for_key(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    if SECRET_KEY_PARTS.iter().any(|part| key.contains(part)) {
        Some(REDACTED)
    } else if key.contains("email") {
        Some(REDACTED_EMAIL)
    } else {
        None
    }
}

/// A request body as the log keeps it: JSON (or anything that is not a form) redacted on its
/// text; an `application/x-www-form-urlencoded` body pair by pair. `truncated` says the text is
/// the start of a longer body: an e-mail address cut at the end is redacted too.
pub(crate) fn redact_body(text: &str, content_type: Option<&str>, truncated: bool) -> String {
    let first = text.trim_start().chars().next();
    let form = content_type.is_some_and(|c| {
        c.to_ascii_lowercase()
            .contains("application/x-www-form-urlencoded")
    });
    if form && !matches!(first, Some('{' | '[')) {
        redact_pairs(text, truncated)
    } else {
        redact_json_text(text, truncated)
    }
}

/// A query string (or a form body) redacted pair by pair: the value of a secret key is
/// replaced, and so is every e-mail address in a value. Unchanged pairs keep their bytes.
pub(crate) fn redact_pairs(text: &str, truncated: bool) -> String {
    let pairs: Vec<&str> = text.split('&').collect();
    let last = pairs.len().saturating_sub(1);
    let mut out = Vec::with_capacity(pairs.len());
    for (n, pair) in pairs.iter().enumerate() {
        let (key, value) = match pair.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (*pair, None),
        };
        let key_text = decode_component(key);
        let key_out = match redact_emails(&key_text, false) {
            Cow::Borrowed(_) => key.to_owned(),
            Cow::Owned(k) => encode_component(&k),
        };
        let Some(value) = value else {
            out.push(key_out);
            continue;
        };
        let value_out = match replacement_for_key(&key_text) {
            Some(with) => encode_component(with),
            None => {
                let decoded = decode_component(value);
                match redact_emails(&decoded, truncated && n == last) {
                    Cow::Borrowed(_) => value.to_owned(),
                    Cow::Owned(v) => encode_component(&v),
                }
            }
        };
        out.push(format!("{key_out}={value_out}"));
    }
    out.join("&")
}

/// JSON text redacted token by token: the value (of any type) under a secret key becomes
/// `"[redacted]"`, every e-mail address in a string becomes `[redacted email]` (escapes such as
/// `\u0040` are decoded first). Text that is not JSON passes through the same reader, which
/// tolerates anything; e-mail addresses outside strings are redacted too.
pub(crate) fn redact_json_text(text: &str, truncated: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Open containers: true for an object.
    let mut stack: Vec<bool> = Vec::new();
    let mut expect_key = false;
    // The replacement of the value that comes after the current key's `:`.
    let mut key_replacement: Option<&'static str> = None;
    let mut value_replacement: Option<&'static str> = None;
    // Text between strings, redacted for e-mail addresses when a string or the end comes.
    let mut plain_start = 0;
    let mut i = 0;
    let flush = |out: &mut String, from: usize, to: usize| {
        out.push_str(&redact_emails(&text[from..to], false));
    };
    while i < bytes.len() {
        let c = bytes[i];
        if value_replacement.is_some() && !c.is_ascii_whitespace() && c != b':' {
            // The value of a secret key, whatever it is: skip it whole.
            flush(&mut out, plain_start, i);
            let end = skip_value(bytes, i);
            out.push('"');
            out.push_str(value_replacement.take().unwrap_or(REDACTED));
            out.push('"');
            i = end;
            plain_start = i;
            continue;
        }
        match c {
            b'"' => {
                flush(&mut out, plain_start, i);
                let (end, closed) = string_end(bytes, i);
                let raw = &text[i + 1..if closed { end - 1 } else { end }];
                let in_object = stack.last() == Some(&true);
                if in_object && expect_key {
                    key_replacement = replacement_for_key(&decode_json_string(raw));
                    expect_key = false;
                }
                out.push('"');
                out.push_str(&redact_string_token(raw, truncated && !closed));
                if closed {
                    out.push('"');
                }
                i = end;
                plain_start = i;
                continue;
            }
            b':' => value_replacement = key_replacement.take(),
            b'{' | b'[' => {
                stack.push(c == b'{');
                expect_key = c == b'{';
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last() == Some(&true),
            _ => {}
        }
        i += 1;
    }
    flush(&mut out, plain_start, bytes.len());
    if let Some(with) = value_replacement {
        // The body was cut right after a secret key's `:`.
        out.push('"');
        out.push_str(with);
    }
    out
}

/// The end (exclusive) of the string starting at the quote `start`, and whether it was closed.
fn string_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return (i + 1, true),
            _ => i += 1,
        }
    }
    (bytes.len(), false)
}

/// The end (exclusive) of the JSON value starting at `start`: a string, a whole object or
/// array, or a bare word (number, `true`...) up to the next delimiter.
fn skip_value(bytes: &[u8], start: usize) -> usize {
    match bytes[start] {
        b'"' => string_end(bytes, start).0,
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = string_end(bytes, i).0;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => {
            let mut i = start;
            while i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b']') {
                if bytes[i].is_ascii_whitespace() {
                    break;
                }
                i += 1;
            }
            i.max(start + 1)
        }
    }
}

/// A JSON string's content (between the quotes) with its e-mail addresses redacted, escaped
/// as JSON again when it changed. `cut` says the string is the unfinished end of the text.
fn redact_string_token(raw: &str, cut: bool) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return redact_emails(raw, cut);
    }
    let decoded = decode_json_string(raw);
    match redact_emails(&decoded, cut) {
        Cow::Borrowed(_) => Cow::Borrowed(raw),
        Cow::Owned(redacted) => {
            let quoted = serde_json::to_string(&redacted).unwrap_or_default();
            let inner = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .unwrap_or(&quoted);
            Cow::Owned(inner.to_owned())
        }
    }
}

/// The text of a JSON string's content; the raw text when its escapes are broken.
fn decode_json_string(raw: &str) -> String {
    serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned())
}

/// Whether `c` can be part of the local part of an e-mail address.
fn local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

/// Whether `c` can be part of an e-mail address's domain.
fn domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// `text` with every e-mail-shaped string (`local@domain.tld`) replaced by
/// [`REDACTED_EMAIL`]. With `cut` (the text is the start of a longer one), an address running
/// to the end is redacted even without its top-level domain.
pub(crate) fn redact_emails(text: &str, cut: bool) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // byte offset copied so far
    let mut n = 0;
    while n < chars.len() {
        let (at, c) = chars[n];
        if c != '@' {
            n += 1;
            continue;
        }
        let mut first = n;
        while first > 0 && local_char(chars[first - 1].1) && chars[first - 1].0 >= copied {
            first -= 1;
        }
        let mut last = n + 1;
        while last < chars.len() && domain_char(chars[last].1) {
            last += 1;
        }
        let domain: String = chars[n + 1..last].iter().map(|&(_, c)| c).collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let runs_to_end = last == chars.len();
        let shaped = domain
            .rsplit_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && tld.chars().all(char::is_alphabetic))
            && !domain.starts_with('.');
        if first < n && (shaped || (cut && runs_to_end)) {
            let start = chars[first].0;
            let end = if shaped && !(cut && runs_to_end) {
                at + 1 + domain.len()
            } else {
                text.len()
            };
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED_EMAIL);
            copied = end;
            while n < chars.len() && chars[n].0 < end {
                n += 1;
            }
            continue;
        }
        n += 1;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// A query or form component decoded (`+` is a space, `%XX` a byte); invalid UTF-8 is
/// replaced.
pub(crate) fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query or form component encoded: unreserved characters as they are, the rest as `%XX`.
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_lose_their_values_whatever_their_type() {
        let body = r#"{"api_key":"xnd_1","nested":{"Secret":{"a":[1,2]},"token":12.5},"password":null,"amount":100.0000000000000001}"#;
        assert_eq!(
            redact_json_text(body, false),
            r#"{"api_key":"[redacted]","nested":{"Secret":"[redacted]","token":"[redacted]"},"password":"[redacted]","amount":100.0000000000000001}"#
        );
    }

    #[test]
    fn email_addresses_are_redacted_anywhere_and_under_email_keys() {
        let body = r#"{"payer_email":"not-an-address","customer":{"email":"jane@example.com"},"description":"ask bob.smith+x@shop.co.id or a\u0040b.io","items":[{"name":"x@y.com"}]}"#;
        let out = redact_json_text(body, false);
        assert_eq!(
            out,
            r#"{"payer_email":"[redacted email]","customer":{"email":"[redacted email]"},"description":"ask [redacted email] or [redacted email]","items":[{"name":"[redacted email]"}]}"#
        );
        assert_eq!(redact_emails("no at sign", false), "no at sign");
        assert_eq!(redact_emails("a@b", false), "a@b");
        assert_eq!(
            redact_emails("mail me: me@x.org.", false),
            "mail me: [redacted email]."
        );
    }

    #[test]
    fn a_body_cut_short_leaks_no_partial_secret_or_address() {
        assert_eq!(
            redact_json_text(r#"{"secret_key":"xnd_deve"#, true),
            r#"{"secret_key":"[redacted]""#
        );
        assert_eq!(
            redact_json_text(r#"{"secret_key":"#, true),
            r#"{"secret_key":"[redacted]"#
        );
        assert_eq!(
            redact_json_text(r#"{"note":"jane@exa"#, true),
            r#"{"note":"[redacted email]"#
        );
    }

    #[test]
    fn text_that_is_not_json_is_still_redacted() {
        assert_eq!(
            redact_json_text("oops jane@example.com {", false),
            "oops [redacted email] {"
        );
    }

    #[test]
    fn forms_and_queries_are_redacted_pair_by_pair() {
        assert_eq!(
            redact_pairs("channel=DANA&api_key=abc&to=jane%40example.com&x", false),
            "channel=DANA&api_key=%5Bredacted%5D&to=%5Bredacted%20email%5D&x"
        );
        assert_eq!(
            redact_body(
                "channel=BNI",
                Some("application/x-www-form-urlencoded"),
                false
            ),
            "channel=BNI"
        );
        // curl -d sends JSON as a form: it is read as JSON.
        assert_eq!(
            redact_body(
                r#"{"token":"t"}"#,
                Some("application/x-www-form-urlencoded"),
                false
            ),
            r#"{"token":"[redacted]"}"#
        );
    }

    #[test]
    fn components_decode_and_encode() {
        assert_eq!(decode_component("a+b%40c%2"), "a b@c%2");
        assert_eq!(encode_component("a b@c"), "a%20b%40c");
    }
}

//! JSON text indented for reading, token by token: strings and numbers are copied as they are
//! (no number goes through a float), so what is shown is exactly what was sent.

/// `text` indented by two spaces per level when it starts like JSON (`{` or `[`), else as it
/// is. Text that is not quite JSON (cut short, broken) is indented as far as it reads.
pub(crate) fn pretty(text: &str) -> String {
    let trimmed = text.trim();
    if !matches!(trimmed.chars().next(), Some('{' | '[')) {
        return text.to_owned();
    }
    let bytes = trimmed.as_bytes();
    let mut out = String::with_capacity(trimmed.len() * 2);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                out.push_str(&trimmed[start..i.min(bytes.len())]);
                continue;
            }
            b'{' | b'[' => {
                out.push(char::from(c));
                let close = if c == b'{' { b'}' } else { b']' };
                let next = bytes[i + 1..]
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .map(|p| i + 1 + p);
                match next {
                    Some(n) if bytes[n] == close => {
                        out.push(char::from(close));
                        i = n + 1;
                        continue;
                    }
                    _ => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(char::from(c));
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            _ => {
                // A number or a literal: copy up to the next delimiter (the bytes of a
                // multi-byte character are never delimiters, so the slice stays whole).
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b'"' | b'{' | b'[' | b'}' | b']' | b',' | b':')
                    && !bytes[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                out.push_str(&trimmed[start..i]);
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn json_is_indented_and_its_numbers_kept_as_sent() {
        assert_eq!(
            pretty(r#"{"a":100.0000000000000001,"b":[1, {"c":"x, y: {z}"}],"e":{},"f":[ ]}"#),
            "{\n  \"a\": 100.0000000000000001,\n  \"b\": [\n    1,\n    {\n      \"c\": \"x, y: {z}\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
    }

    #[test]
    fn text_that_is_not_json_is_left_alone() {
        assert_eq!(pretty("channel=DANA"), "channel=DANA");
        assert_eq!(pretty(r#"{"cut":"ab"#), "{\n  \"cut\": \"ab");
    }
}

//! What the sandbox's benches share: the key, the create body, the Basic header, and reading
//! an invoice's id from its JSON.

use axum::http::HeaderValue;
use base64::Engine as _;

/// The secret key of the benched sandboxes.
pub(crate) const KEY: &str = "xnd_development_bench";

/// The create request every bench sends.
pub(crate) const CREATE_BODY: &str = r#"{"external_id":"bench-order","amount":150000,"currency":"IDR","payer_email":"buyer@example.com","description":"Bench order","payment_methods":["BNI","DANA","QRIS"]}"#;

/// The `Authorization` header of [`KEY`], as the SDKs send it.
pub(crate) fn basic_auth() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
    ))
    .unwrap_or_else(|e| panic!("auth header: {e}"))
}

/// The `"id"` of an invoice's JSON, found by scanning rather than parsing so the client's
/// own work stays small beside the servers'.
pub(crate) fn id_of(invoice: &[u8]) -> Option<&str> {
    const ID: &[u8] = br#""id":""#;
    let start = invoice.windows(ID.len()).position(|w| w == ID)? + ID.len();
    let len = invoice[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&invoice[start..start + len]).ok()
}

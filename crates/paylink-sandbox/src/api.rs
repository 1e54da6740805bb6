//! Xendit's invoice API over HTTP: Basic auth with the secret key, `for-user-id`, and the four
//! operations with the exact paths, query encodings and error bodies the official SDKs expect.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use paylink_core::{
    CreateInvoiceFields, Gateway, Invoice, ListInvoicesQuery, RequestOptions, Violation,
};
use paylink_fake::FakeGateway;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::error::ErrorAnswer;
use super::SandboxState;

/// The header that scopes a call to a xenPlatform sub-account.
pub(crate) const FOR_USER_ID_HEADER: &str = "for-user-id";

/// A caller that sent an account's key: that account's engine, and the options
/// (`for-user-id`).
pub(crate) struct Caller(pub RequestOptions, pub FakeGateway);

impl FromRequestParts<Arc<SandboxState>> for Caller {
    type Rejection = ErrorAnswer;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SandboxState>,
    ) -> Result<Self, Self::Rejection> {
        let authorization = parts.headers.get(header::AUTHORIZATION);
        // The header the SDKs send is matched against each key without decoding it; any other
        // form of a key is decoded first.
        let quick = authorization.and_then(|h| {
            state
                .accounts()
                .iter()
                .find(|a| is_basic_of(h.as_bytes(), a.sdk_authorization()))
        });
        let account = match quick {
            Some(account) => account,
            None => {
                let user = authorization
                    .and_then(|h| h.to_str().ok())
                    .and_then(basic_user)
                    .ok_or_else(ErrorAnswer::invalid_api_key)?;
                state
                    .account_by_key(&user)
                    .ok_or_else(ErrorAnswer::invalid_api_key)?
            }
        };
        let for_user_id = parts
            .headers
            .get(FOR_USER_ID_HEADER)
            .and_then(|h| h.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(Caller(RequestOptions { for_user_id }, account.engine()))
    }
}

/// The `Authorization` header the SDKs send for `key`: `Basic ` and the base64 of `key:`.
pub(crate) fn sdk_authorization(key: &[u8]) -> Vec<u8> {
    let mut user = key.to_vec();
    user.push(b':');
    let mut header = b"Basic ".to_vec();
    header.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(user)
            .as_bytes(),
    );
    header
}

/// Whether `value` is exactly `expected` (an [`sdk_authorization`]), compared in constant time
/// without decoding or allocating. Any other form of the right key is left to [`basic_user`].
pub(crate) fn is_basic_of(value: &[u8], expected: &[u8]) -> bool {
    value.len() == expected.len() && bool::from(value.ct_eq(expected))
}

/// The user name of a `Basic` authorization header value.
fn basic_user(value: &str) -> Option<Vec<u8>> {
    let (scheme, credentials) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .ok()?;
    let user = match decoded.iter().position(|&b| b == b':') {
        Some(colon) => decoded[..colon].to_vec(),
        None => decoded,
    };
    Some(user)
}

/// An invoice id from the path. A path that cannot be decoded names no invoice.
pub(crate) struct InvoiceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for InvoiceId {
    type Rejection = ErrorAnswer;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| InvoiceId(id))
            .map_err(|_| ErrorAnswer::invoice_not_found())
    }
}

/// `POST /v2/invoices` and `POST /v2/invoices/`.
pub(crate) async fn create(
    State(state): State<Arc<SandboxState>>,
    Caller(options, engine): Caller,
    request: Request,
) -> Result<Response, ErrorAnswer> {
    let body = state.read_body(request.into_body()).await?;
    let fields = parse_create_body(&body)?;
    let invoice = engine.create_invoice_fields(fields, &options).await?;
    // What `Json` answers, written into a buffer that takes an invoice without growing.
    let mut json = Vec::with_capacity(2048);
    Ok(match serde_json::to_writer(&mut json, &invoice) {
        Ok(()) => {
            let content_type = HeaderValue::from_static("application/json");
            ([(header::CONTENT_TYPE, content_type)], json).into_response()
        }
        Err(_) => Json(invoice).into_response(),
    })
}

/// Reads a create body as the sandbox does: not JSON is `INVALID_JSON_FORMAT`; JSON of the
/// wrong shape (a repeated field included) is `API_VALIDATION_ERROR` naming the field.
/// Amounts are read from the body's text, exactly as `paylink_core` reads them.
///
/// # Errors
/// The answer to send.
pub fn parse_create_body(body: &[u8]) -> Result<CreateInvoiceFields, ErrorAnswer> {
    // The whole body must be JSON, which only a full parse checks: serde_json reading a typed
    // value does not check the bytes of a string it skips (an unknown field's).
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ErrorAnswer::invalid_json(&e.to_string()))?;
    if !value.is_object() {
        return Err(ErrorAnswer::invalid_field("body", "must be a JSON object"));
    }
    // The fields are read from the text, not from that `Value`: a `Value` holds a number as an
    // `f64`, which would round an amount (`100.0000000000000001` PHP read as `100`), and keeps
    // only the last of a repeated key. Most bodies are right, so they are read without tracking
    // the path; a refused one is read again with serde_path_to_error, for the path it names.
    let mut de = serde_json::Deserializer::from_slice(body);
    if let Ok(fields) = <CreateInvoiceFields as serde::Deserialize>::deserialize(&mut de) {
        return Ok(fields);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let parent = e.path().to_string();
        let message = without_position(e.inner());
        let violation = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            Some(field) => Violation {
                path: join_path(&parent, field),
                message: "is required".to_owned(),
            },
            None => Violation {
                path: if parent == "." {
                    "body".to_owned()
                } else {
                    parent
                },
                message,
            },
        };
        ErrorAnswer::validation(&[violation])
    })
}

/// serde_json's message without the ` at line L column C` that a read from text adds (the
/// field path says where).
pub(crate) fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

fn join_path(parent: &str, field: &str) -> String {
    if parent == "." {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// `GET /v2/invoices`.
pub(crate) async fn list(
    Caller(options, engine): Caller,
    uri: Uri,
) -> Result<Json<Vec<Invoice>>, ErrorAnswer> {
    let query = parse_list_query(&uri)?;
    let page = engine.list_invoices(&query, &options).await?;
    Ok(Json(page))
}

/// Reads the list filters from a request URI, in every encoding the SDKs use.
///
/// # Errors
/// `API_VALIDATION_ERROR` naming the parameter that could not be read.
pub(crate) fn parse_list_query(uri: &Uri) -> Result<ListInvoicesQuery, ErrorAnswer> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| ErrorAnswer::invalid_field("query", format!("could not be decoded: {e}")))?;
    ListInvoicesQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| ErrorAnswer::invalid_field(&e.name, e.message))
}

/// `GET /v2/invoices/{id}`: the engine's JSON bytes of the invoice, as `Json` would write them
/// (the engine keeps those of the links read last).
pub(crate) async fn get_one(
    Caller(options, engine): Caller,
    InvoiceId(id): InvoiceId,
) -> Result<Response, ErrorAnswer> {
    let json = engine.get_invoice_json(&id, &options).await?;
    let content_type = HeaderValue::from_static("application/json");
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Bytes::from_owner(json),
    )
        .into_response())
}

/// `POST /invoices/{id}/expire!`: no body is read, whatever the `Content-Type`.
pub(crate) async fn expire(
    Caller(options, engine): Caller,
    InvoiceId(id): InvoiceId,
) -> Result<Json<Invoice>, ErrorAnswer> {
    Ok(Json(engine.expire_invoice(&id, &options).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        )
    }

    #[test]
    fn only_the_exact_sdk_header_takes_the_short_way_and_basic_user_reads_the_rest() {
        let key = "xnd_development_key";
        assert!(is_basic_of(
            basic("xnd_development_key:").as_bytes(),
            &sdk_authorization(key.as_bytes())
        ));
        for other in [
            basic("xnd_development_key:password"),
            basic("xnd_development_key:").replace("Basic", "basic"),
            format!(" {} ", basic("xnd_development_key:")),
            basic("xnd_development_kez:"),
            basic(":xnd_development_key"),
        ] {
            assert!(
                !is_basic_of(other.as_bytes(), &sdk_authorization(key.as_bytes())),
                "{other}"
            );
        }
        for accepted in [
            basic("xnd_development_key:password"),
            basic("xnd_development_key:").replace("Basic", "basic"),
            format!(" {} ", basic("xnd_development_key:")),
        ] {
            assert_eq!(basic_user(&accepted).as_deref(), Some(key.as_bytes()));
        }
        let long = "k".repeat(200);
        assert!(is_basic_of(
            basic(&format!("{long}:")).as_bytes(),
            &sdk_authorization(long.as_bytes())
        ));
        assert_eq!(
            basic_user(&basic(&format!("{long}:"))).as_deref(),
            Some(long.as_bytes())
        );
    }
}

//! The floor `cargo xtask load` compares `paylink sandbox` with: a minimal axum server, on the
//! same tokio runtime as the `paylink` binary, that answers `GET /v2/invoices/{id}` (and
//! `POST /v2/invoices`, after reading the request body) with fixed bytes and content type
//! taken from files, whatever the id, the headers or the body.
//!
//! ```text
//! cargo run --release -p paylink-cli --example minimal_axum -- \
//!     ADDR CONTENT_TYPE GET_ANSWER_FILE [CREATE_ANSWER_FILE]
//! ```

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::routing::{get, post};
use axum::Router;

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, content_type, get_file, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: minimal_axum ADDR CONTENT_TYPE GET_ANSWER_FILE [CREATE_ANSWER_FILE]".into(),
        );
    };
    let read = |path: &String| {
        std::fs::read(path)
            .map(Bytes::from)
            .map_err(|e| format!("read {path}: {e}"))
    };
    let content_type =
        HeaderValue::from_str(content_type).map_err(|e| format!("content type: {e}"))?;
    let get_answer = read(get_file)?;
    let create_answer = match rest.first() {
        Some(path) => read(path)?,
        None => get_answer.clone(),
    };

    let get_type = content_type.clone();
    let app = Router::new()
        .route(
            "/v2/invoices/{id}",
            get(move || {
                let answer = ([(CONTENT_TYPE, get_type.clone())], get_answer.clone());
                async move { answer }
            }),
        )
        .route(
            "/v2/invoices",
            post(move |_body: Bytes| {
                let answer = (
                    [(CONTENT_TYPE, content_type.clone())],
                    create_answer.clone(),
                );
                async move { answer }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr.as_str())
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!("minimal axum server listening on http://{bound}");
    axum::serve(listener, app)
        .await
        .map_err(|e| format!("serve: {e}"))
}

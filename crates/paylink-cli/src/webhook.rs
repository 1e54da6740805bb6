//! `paylink webhook parse|send`: check and normalize an invoice callback body, or send one to
//! an endpoint exactly as Xendit would.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use paylink_core::{parse_callback, BlankToken, CallbackToken, CALLBACK_TOKEN_HEADER};

use crate::Failure;

/// How long `webhook send` waits for the receiver, as Xendit does (spec section 8.1).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The `webhook` subcommands.
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Verify (when a token is given) and parse a callback body; print it as normalized JSON.
    Parse(ParseArgs),
    /// POST a callback body to a URL with the x-callback-token header, as Xendit does.
    Send(SendArgs),
}

/// Arguments of `webhook parse`.
#[derive(Args)]
pub(crate) struct ParseArgs {
    /// The expected callback token; the header value must match it. Must not be blank.
    #[arg(long, requires = "header", value_parser = callback_token)]
    token: Option<CallbackToken>,
    /// The x-callback-token header value that came with the body.
    #[arg(long, requires = "token")]
    header: Option<String>,
    /// The body: a file, or `-` (the default) for standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
}

/// Arguments of `webhook send`.
#[derive(Args)]
pub(crate) struct SendArgs {
    /// The receiving endpoint.
    #[arg(long)]
    to: String,
    /// The callback token to send in x-callback-token. Must not be blank.
    #[arg(long, value_parser = callback_token)]
    token: CallbackToken,
    /// The body to send: a file, or `-` for standard input.
    file: PathBuf,
}

/// Reads a callback token argument; a blank one is a usage error naming the rule.
pub(crate) fn callback_token(value: &str) -> Result<CallbackToken, BlankToken> {
    CallbackToken::new(value)
}

/// Runs a `webhook` subcommand.
///
/// # Errors
/// A [`Failure`] with a one-line message: unreadable input, a refused token, a body that is not
/// an invoice callback, a receiver that could not be reached or did not answer 2xx.
pub(crate) async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Parse(args) => parse(args),
        Command::Send(args) => send(args).await,
    }
}

fn parse(args: ParseArgs) -> Result<(), Failure> {
    let body = read_input(&args.file)?;
    if let (Some(token), Some(header)) = (args.token, args.header) {
        token
            .verify(Some(header.as_bytes()))
            .map_err(|e| Failure::new(format!("callback refused: {e}")))?;
    }
    let event = parse_callback(&body).map_err(|e| Failure::new(e.to_string()))?;
    let json = serde_json::to_string_pretty(&event.callback)
        .map_err(|e| Failure::new(format!("could not write the callback as JSON: {e}")))?;
    println!("{json}");
    Ok(())
}

async fn send(args: SendArgs) -> Result<(), Failure> {
    let body = read_input(&args.file)?;
    parse_callback(&body).map_err(|e| Failure::new(format!("not sent: {e}")))?;
    let client = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .build()
        .map_err(|e| Failure::new(format!("could not set up the HTTP client: {e}")))?;
    let answer = client
        .post(&args.to)
        .header(CALLBACK_TOKEN_HEADER, args.token.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| Failure::new(format!("could not deliver to {}: {}", args.to, chain(&e))))?;
    let status = answer.status();
    if status.is_success() {
        println!("delivered to {}: HTTP {status}", args.to);
        Ok(())
    } else {
        Err(Failure::new(format!(
            "{} answered HTTP {status}; Xendit would retry this delivery",
            args.to
        )))
    }
}

/// The bytes of a file, or of standard input for `-`.
pub(crate) fn read_input(file: &Path) -> Result<Vec<u8>, Failure> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::new(format!("could not read standard input: {e}")))?;
        Ok(buf)
    } else {
        std::fs::read(file)
            .map_err(|e| Failure::new(format!("could not read {}: {e}", file.display())))
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

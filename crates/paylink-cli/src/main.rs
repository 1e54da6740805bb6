//! The `paylink` command: run the Xendit sandbox locally, call the Invoice API, and work with
//! invoice callbacks.
//!
//! Each command group lives in its own module; `main` only parses the command line, runs the
//! chosen command and turns a failure into one line on standard error and exit status 1 (2 for
//! a usage failure, as for the command-line errors clap reports).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod invoice;
mod sandbox;
mod webhook;

/// Payment links through Xendit: a local sandbox, invoice commands and webhook tools.
#[derive(Parser)]
#[command(name = "paylink", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sandbox (Xendit's invoice API, checkout page and webhooks) in the foreground.
    Sandbox(sandbox::Args),
    /// Create, get, list and expire payment links through the Invoice API; pay them on the
    /// sandbox.
    #[command(subcommand)]
    Invoice(invoice::Command),
    /// Parse, verify or send invoice callbacks.
    #[command(subcommand)]
    Webhook(webhook::Command),
}

/// Why a command failed, said in one line, and the exit status it ends with.
#[derive(Debug)]
pub struct Failure {
    message: String,
    status: u8,
}

impl Failure {
    /// A failure with its message (exit status 1).
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            status: 1,
        }
    }

    /// A command line that cannot work, such as a missing key (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            status: 2,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Invoice(command) => invoice::run(command).await,
        Command::Webhook(command) => webhook::run(command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, status }) => {
            let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("paylink: error: {line}");
            ExitCode::from(status)
        }
    }
}

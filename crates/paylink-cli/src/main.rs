//! The `paylink` command: run the Xendit sandbox locally and work with invoice callbacks.
//!
//! Each command group lives in its own module; `main` only parses the command line, runs the
//! chosen command and turns a failure into one line on standard error and exit status 1.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod sandbox;
mod webhook;

/// Payment links through Xendit: a local sandbox and webhook tools.
#[derive(Debug, Parser)]
#[command(name = "paylink", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the sandbox (Xendit's invoice API, checkout page and webhooks) in the foreground.
    Sandbox(sandbox::Args),
    /// Parse, verify or send invoice callbacks.
    #[command(subcommand)]
    Webhook(webhook::Command),
}

/// Why a command failed, said in one line.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    /// A failure with its message.
    pub fn new(message: impl Into<String>) -> Self {
        Failure(message.into())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Webhook(command) => webhook::run(command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("paylink: error: {line}");
            ExitCode::FAILURE
        }
    }
}

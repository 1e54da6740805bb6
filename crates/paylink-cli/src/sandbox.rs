//! `paylink sandbox`: serves the Xendit sandbox in the foreground until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use paylink_core::CallbackToken;
use paylink_fake::FakeGateway;
use paylink_sandbox::{
    apply_seed, check_seed, load_seed_file, read_accounts_file, AccountConfig, ClockMode, Sandbox,
    SandboxConfig, StoreError, DEFAULT_MAX_BODY_BYTES, DEFAULT_SECRET_KEY,
};

use crate::Failure;

/// Arguments of `paylink sandbox`.
#[derive(ClapArgs)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4010")]
    addr: SocketAddr,
    /// The API key clients must send (Basic auth user name).
    #[arg(long, default_value = DEFAULT_SECRET_KEY)]
    secret_key: String,
    /// Where to POST invoice callbacks; none are sent without it.
    #[arg(long)]
    callback_url: Option<String>,
    /// Sent in x-callback-token with every callback. Must not be blank.
    #[arg(long, default_value = "sandbox-callback-token", value_parser = crate::webhook::callback_token)]
    callback_token: CallbackToken,
    /// Multiplies Xendit's webhook retry schedule (+15 min ... +24 h), from 0 (exclusive) to 1;
    /// 0.001 makes it seconds.
    #[arg(long, default_value_t = 1.0)]
    retry_time_scale: f64,
    /// The URL browsers reach the sandbox at, when it is not http://ADDR (behind a proxy).
    #[arg(long)]
    public_url: Option<String>,
    /// Merchant name shown on the checkout page and in every invoice.
    #[arg(long)]
    merchant_name: Option<String>,
    /// Seed of invoice ids and generated numbers.
    #[arg(long)]
    seed: Option<u64>,
    /// Keep the clock still (it moves only with POST /_sandbox/clock/advance) instead of
    /// following the wall clock.
    #[arg(long)]
    manual_clock: bool,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Invoices to load at start: a JSON array of create requests, each with an optional
    /// status (PENDING, PAID, SETTLED, EXPIRED), times and payment channel (see the sandbox
    /// reference). A bad file stops the start.
    #[arg(long, value_name = "FILE")]
    import: Option<PathBuf>,
    /// Keep invoices, payments, webhook deliveries, faults and the clock in DIR (an SQLite
    /// database, created if missing), so a restart, even after kill -9, finds every change
    /// it answered; in memory without it.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// An account, NAME:KEY or NAME:KEY:CALLBACK_URL; repeat it for several businesses, each
    /// with its own invoices, webhooks and token (sandbox-callback-token-NAME). Replaces
    /// --secret-key, --callback-url and --callback-token.
    #[arg(
        long = "account",
        value_name = "NAME:KEY[:CALLBACK_URL]",
        value_parser = account,
        conflicts_with_all = ["secret_key", "callback_url", "callback_token", "accounts_file"]
    )]
    accounts: Vec<AccountConfig>,
    /// A JSON file listing the accounts, [{"name", "secret_key", "callback_url"?,
    /// "callback_token"?}], instead of --account.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["secret_key", "callback_url", "callback_token"]
    )]
    accounts_file: Option<PathBuf>,
}

fn account(spec: &str) -> Result<AccountConfig, String> {
    AccountConfig::parse(spec).map_err(|e| e.to_string())
}

/// Runs the sandbox until Ctrl-C or SIGTERM, then shuts it down gracefully.
///
/// # Errors
/// A [`Failure`] when the address cannot be bound, an argument is invalid, or the server fails.
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    init_logging();
    if !(args.retry_time_scale.is_finite()
        && args.retry_time_scale > 0.0
        && args.retry_time_scale <= 1.0)
    {
        return Err(Failure::new(format!(
            "--retry-time-scale must be greater than 0 and at most 1, got {}",
            args.retry_time_scale
        )));
    }
    if let Some(url) = &args.callback_url {
        if reqwest::Url::parse(url).is_err() {
            return Err(Failure::new(format!(
                "--callback-url `{url}` is not a valid URL"
            )));
        }
    }
    let config = SandboxConfig {
        addr: args.addr,
        secret_key: args.secret_key.clone(),
        callback_url: args.callback_url.clone(),
        callback_token: args.callback_token,
        retry_time_scale: args.retry_time_scale,
        max_body_bytes: args.max_body_bytes,
        public_base_url: args.public_url,
        clock: if args.manual_clock {
            ClockMode::Manual
        } else {
            ClockMode::Wall
        },
        accounts: match &args.accounts_file {
            Some(path) => read_accounts_file(path).map_err(|e| Failure::new(e.to_string()))?,
            None => args.accounts.clone(),
        },
        data_dir: args.data_dir.clone(),
    };
    config
        .check_accounts()
        .map_err(|e| Failure::new(format!("accounts: {e}")))?;
    let accounts = config.effective_accounts();
    let mut engine = FakeGateway::builder();
    if let Some(name) = args.merchant_name {
        engine = engine.merchant_name(name);
    }
    if let Some(seed) = args.seed {
        engine = engine.seed(seed);
    }
    let seed = match &args.import {
        Some(path) => {
            let entries = load_seed_file(path).map_err(|e| Failure::new(e.to_string()))?;
            check_seed(&engine, config.clock, &entries)
                .map_err(|e| Failure::new(e.in_file(path).to_string()))?;
            Some((path, entries))
        }
        None => None,
    };
    let running = Sandbox::start(config, engine).await.map_err(|e| {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<StoreError>())
        {
            Some(store) => Failure::new(store.to_string()),
            None => Failure::new(format!("could not listen on {}: {e}", args.addr)),
        }
    })?;
    // A data directory that already holds state keeps it: the seed is for a fresh one.
    let import_skipped = seed.is_some() && running.restored_invoices().is_some();
    let seed = if import_skipped { None } else { seed };
    if let Some((path, entries)) = &seed {
        let applied = apply_seed(&running.engine(), entries);
        let stored = running.state().persist().await;
        if let Err(e) = applied {
            let _ = running.shutdown().await;
            return Err(Failure::new(e.in_file(path).to_string()));
        }
        if let Err(e) = stored {
            let _ = running.shutdown().await;
            return Err(Failure::new(e.api_error().message.clone()));
        }
    }
    let single = args.accounts.is_empty() && args.accounts_file.is_none();
    match accounts.as_slice() {
        [only] if single => println!(
            "paylink sandbox listening on {} (secret key: {})",
            running.url(),
            only.secret_key
        ),
        _ => println!(
            "paylink sandbox listening on {} ({} accounts)",
            running.url(),
            accounts.len()
        ),
    }
    if let Some((path, entries)) = &seed {
        let plural = if entries.len() == 1 { "" } else { "s" };
        println!(
            "imported {} invoice{plural} from {}",
            entries.len(),
            path.display()
        );
    }
    if import_skipped {
        println!("import: skipped, the data directory already holds state");
    }
    for a in &accounts {
        let who = if single {
            String::new()
        } else {
            format!("account {}: ", a.name)
        };
        match &a.callback_url {
            Some(url) => println!("{who}webhooks: POST {url}"),
            None if single => println!("webhooks: off (no --callback-url)"),
            None => println!("{who}webhooks: off"),
        }
    }
    if let Some(dir) = &args.data_dir {
        match running.restored_invoices() {
            Some(n) => println!("data: {} ({n} invoices restored)", dir.display()),
            None => println!("data: {} (new)", dir.display()),
        }
    }
    println!(
        "inspector: {}/_sandbox/ (open it in a browser)",
        running.url()
    );
    println!("press Ctrl-C to stop");
    wait_for_stop()
        .await
        .map_err(|e| Failure::new(format!("could not listen for signals: {e}")))?;
    running
        .shutdown()
        .await
        .map_err(|e| Failure::new(format!("the server failed: {e}")))?;
    println!("paylink sandbox stopped");
    Ok(())
}

#[cfg(unix)]
async fn wait_for_stop() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_stop() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}

/// Warnings to standard error unless `RUST_LOG` says otherwise. The engine's per-call spans
/// (`paylink.gateway`, target `paylink_fake`) stay off by default: no event is ever logged inside
/// them, so this subscriber would never print them, yet formatting their fields was about a fifth
/// of the instructions the sandbox ran per request under load.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

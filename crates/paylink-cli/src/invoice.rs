//! `paylink invoice create|get|list|expire|pay`: the Invoice API through `HttpGateway`, with
//! JSON out; `pay` drives the sandbox's control endpoint.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use paylink_core::timestamp;
use paylink_core::{
    AmountLimits, ApiError, ChannelCode, ClientType, CreateInvoiceFields, CreateInvoiceRequest,
    Currency, Gateway, GatewayError, InvoiceItem, InvoiceStatus, ListInvoicesQuery, Metadata,
    RequestOptions, ValidationErrors, Violation,
};
use paylink_http::{HttpGateway, SecretKey};
use paylink_sandbox::{ControlError, PayRequest, SandboxClient};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::webhook::read_input;
use crate::Failure;

/// Where `--base-url` points unless told otherwise: `paylink sandbox` on its default address.
pub(crate) const DEFAULT_BASE_URL: &str = "http://127.0.0.1:4010";
/// The environment variable the secret key is read from.
pub(crate) const SECRET_KEY_VAR: &str = "XENDIT_SECRET_KEY";
/// Most pages `list --all` follows, so a server that keeps answering the same page cannot keep
/// the command running forever.
const MAX_PAGES: usize = 10_000;

/// The `invoice` subcommands.
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Create a payment link from flags or from a full JSON request body.
    Create(CreateArgs),
    /// Fetch one invoice by id.
    Get(IdArgs),
    /// List invoices, newest first (one page, or every page with --all).
    List(ListArgs),
    /// Expire a PENDING payment link now.
    Expire(IdArgs),
    /// Pay a link on the sandbox (POST /_sandbox/invoices/{id}/pay); sends the PAID webhook.
    Pay(PayArgs),
}

/// Where the API is and how to authenticate: shared by every API call.
#[derive(Args)]
pub(crate) struct ApiArgs {
    /// The API base URL (the local sandbox unless set; Xendit's is `https://api.xendit.co`).
    #[arg(long, default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// The secret API key (sent as the Basic-auth user name). Prefer the environment variable:
    /// a command line is visible to other users of the machine.
    #[arg(long, env = SECRET_KEY_VAR, hide_env_values = true)]
    secret_key: Option<SecretKey>,
    /// Act for a xenPlatform sub-account (the for-user-id header).
    #[arg(long)]
    for_user_id: Option<String>,
}

/// Arguments of `invoice create`.
#[derive(Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// A full create request body (JSON, Xendit's field names): a file, or `-` for standard
    /// input. Replaces the field flags.
    #[arg(long, value_name = "FILE|-")]
    json: Option<PathBuf>,
    /// The merchant's reference for this link.
    #[arg(long, required_unless_present = "json", conflicts_with = "json")]
    external_id: Option<String>,
    /// The amount, as an exact decimal number (50000, 19.99).
    #[arg(long, required_unless_present = "json", conflicts_with = "json")]
    amount: Option<String>,
    /// The currency (IDR unless set): IDR, PHP, THB, VND, MYR or USD.
    #[arg(long, conflicts_with = "json")]
    currency: Option<String>,
    /// Shown on the checkout page.
    #[arg(long, conflicts_with = "json")]
    description: Option<String>,
    /// The payer's e-mail address.
    #[arg(long, conflicts_with = "json")]
    payer_email: Option<String>,
    /// Seconds from creation to expiry (24 hours unless set).
    #[arg(long, value_name = "SECONDS", conflicts_with = "json")]
    duration: Option<u32>,
    /// A channel to offer (BNI, DANA, QRIS...); repeat for several.
    #[arg(long, value_name = "CHANNEL", conflicts_with = "json")]
    payment_method: Vec<String>,
    /// Where the checkout page sends the buyer after paying.
    #[arg(long, conflicts_with = "json")]
    success_url: Option<String>,
    /// Where the checkout page sends the buyer after a failed payment.
    #[arg(long, conflicts_with = "json")]
    failure_url: Option<String>,
    /// A line item as NAME:QUANTITY:PRICE; repeat for several.
    #[arg(long, value_name = "NAME:QTY:PRICE", conflicts_with = "json")]
    item: Vec<String>,
    /// A metadata entry as KEY=VALUE (the value is sent as a string); repeat for several.
    #[arg(long, value_name = "KEY=VALUE", conflicts_with = "json")]
    metadata: Vec<String>,
}

/// Arguments of `invoice get` and `invoice expire`.
#[derive(Args)]
pub(crate) struct IdArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// The invoice id.
    id: String,
}

/// Arguments of `invoice list`: every filter of the list endpoint.
#[derive(Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// Only invoices with this external id.
    #[arg(long)]
    external_id: Option<String>,
    /// Only invoices in this status (PENDING, PAID, SETTLED, EXPIRED); repeat or separate
    /// with commas for several.
    #[arg(long, value_delimiter = ',')]
    status: Vec<String>,
    /// Page size.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    limit: Option<u32>,
    /// Created at or after this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    created_after: Option<OffsetDateTime>,
    /// Created at or before this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    created_before: Option<OffsetDateTime>,
    /// Paid at or after this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    paid_after: Option<OffsetDateTime>,
    /// Paid at or before this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    paid_before: Option<OffsetDateTime>,
    /// Expired at or after this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    expired_after: Option<OffsetDateTime>,
    /// Expired at or before this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    expired_before: Option<OffsetDateTime>,
    /// Start after this invoice id (the last id of the previous page).
    #[arg(long, value_name = "ID")]
    last_invoice: Option<String>,
    /// Only these client types; repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    client_type: Vec<String>,
    /// Only invoices paid through these channels; repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    payment_channel: Vec<String>,
    /// On-demand link filter.
    #[arg(long)]
    on_demand_link: Option<String>,
    /// Only invoices of this recurring payment.
    #[arg(long)]
    recurring_payment_id: Option<String>,
    /// Follow the cursor and print every page as one array.
    #[arg(long)]
    all: bool,
}

/// Arguments of `invoice pay`.
#[derive(Args)]
pub(crate) struct PayArgs {
    /// The sandbox's base URL.
    #[arg(long, default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// The payment_method to report (EWALLET, BANK_TRANSFER...).
    #[arg(long)]
    method: Option<String>,
    /// The channel to pay through (DANA, BNI...); the first one the link offers unless set.
    #[arg(long)]
    channel: Option<String>,
    /// The invoice id.
    id: String,
}

/// Runs an `invoice` subcommand and prints its result as JSON.
///
/// # Errors
/// A [`Failure`] with a one-line message: no secret key (a usage failure), a create request
/// that breaks a rule (every violation, nothing sent), unreadable input, or the API's refusal
/// as [`GatewayError`] says it.
pub(crate) async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Create(args) => create(args).await,
        Command::Get(args) => {
            let (gateway, options) = connect(&args.api)?;
            let invoice = gateway
                .get_invoice(&args.id, &options)
                .await
                .map_err(api_failure)?;
            print_json(&invoice)
        }
        Command::List(args) => list(args).await,
        Command::Expire(args) => {
            let (gateway, options) = connect(&args.api)?;
            let invoice = gateway
                .expire_invoice(&args.id, &options)
                .await
                .map_err(api_failure)?;
            print_json(&invoice)
        }
        Command::Pay(args) => pay(args).await,
    }
}

fn connect(api: &ApiArgs) -> Result<(HttpGateway, RequestOptions), Failure> {
    let key = api
        .secret_key
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            Failure::usage(format!(
                "no secret key: set {SECRET_KEY_VAR} or pass --secret-key"
            ))
        })?;
    let gateway = HttpGateway::builder(key)
        .base_url(api.base_url.as_str())
        .build()
        .map_err(|e| Failure::usage(format!("--base-url: {e}")))?;
    let options = RequestOptions {
        for_user_id: api.for_user_id.clone(),
    };
    Ok((gateway, options))
}

fn api_failure(e: GatewayError) -> Failure {
    Failure::new(e.to_string())
}

fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(format!("could not write the answer as JSON: {e}")))?;
    println!("{json}");
    Ok(())
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    let request = match &args.json {
        Some(file) => request_from_json(file)?,
        None => request_from_flags(&args)?,
    };
    let (gateway, options) = connect(&args.api)?;
    let invoice = gateway
        .create_invoice(&request, &options)
        .await
        .map_err(api_failure)?;
    print_json(&invoice)
}

fn request_from_json(file: &Path) -> Result<CreateInvoiceRequest, Failure> {
    let body = read_input(file)?;
    let mut de = serde_json::Deserializer::from_slice(&body);
    let fields: CreateInvoiceFields = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            Failure::new(format!("invalid create request: {}", e.inner()))
        } else {
            Failure::new(format!("invalid create request: {path}: {}", e.inner()))
        }
    })?;
    fields
        .validate(&AmountLimits::xendit())
        .map_err(|e| Failure::new(e.to_string()))
}

/// Builds the request from the field flags. A flag that cannot be read is reported with its
/// field path beside every rule the rest of the request breaks, all in one message.
fn request_from_flags(args: &CreateArgs) -> Result<CreateInvoiceRequest, Failure> {
    let mut unread: Vec<Violation> = Vec::new();
    let mut refuse = |path: String, message: String| unread.push(Violation { path, message });

    let amount = match args.amount.as_deref().map(parse_decimal) {
        Some(Ok(a)) => a,
        Some(Err(message)) => {
            refuse("amount".into(), message);
            Decimal::ZERO
        }
        None => Decimal::ZERO,
    };
    let mut fields = CreateInvoiceFields::new(args.external_id.clone().unwrap_or_default(), amount);
    if let Some(code) = &args.currency {
        match code.trim().to_ascii_uppercase().parse::<Currency>() {
            Ok(c) => fields.currency = Some(c),
            Err(_) => refuse(
                "currency".into(),
                format!(
                    "must be one of IDR, PHP, THB, VND, MYR, USD, got `{}`",
                    code.trim()
                ),
            ),
        }
    }
    fields.description = args.description.clone();
    fields.payer_email = args.payer_email.clone();
    fields.invoice_duration = args.duration;
    if !args.payment_method.is_empty() {
        fields.payment_methods = Some(
            args.payment_method
                .iter()
                .map(|m| ChannelCode::from(m.trim()))
                .collect(),
        );
    }
    fields.success_redirect_url = args.success_url.clone();
    fields.failure_redirect_url = args.failure_url.clone();
    if !args.item.is_empty() {
        let mut items = Vec::with_capacity(args.item.len());
        for (i, text) in args.item.iter().enumerate() {
            match parse_item(text) {
                Ok(item) => items.push(item),
                Err((field, message)) => {
                    let path = match field {
                        Some(f) => format!("items[{i}].{f}"),
                        None => format!("items[{i}]"),
                    };
                    refuse(path, message);
                    // A placeholder keeps later items at their own index in the core's paths.
                    items.push(InvoiceItem::new("-", 1, Decimal::ONE));
                }
            }
        }
        fields.items = Some(items);
    }
    if !args.metadata.is_empty() {
        let mut metadata = Metadata::new();
        for (i, text) in args.metadata.iter().enumerate() {
            match text.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    let key = key.trim();
                    if metadata.contains_key(key) {
                        refuse(format!("metadata.{key}"), "is given more than once".into());
                    }
                    metadata.insert(key.to_owned(), Value::String(value.to_owned()));
                }
                _ => refuse(
                    format!("metadata[{i}]"),
                    format!("must be KEY=VALUE, got `{text}`"),
                ),
            }
        }
        fields.metadata = Some(metadata);
    }

    let checked = fields.validate(&AmountLimits::xendit());
    if unread.is_empty() {
        return checked.map_err(|e| Failure::new(e.to_string()));
    }
    let mut all = unread;
    if let Err(rules) = checked {
        // A flag that could not be read was checked with a placeholder; its own message
        // replaces whatever the placeholder broke.
        for v in rules.0 {
            let replaced = all
                .iter()
                .any(|u| v.path == u.path || v.path.starts_with(&format!("{}.", u.path)));
            if !replaced {
                all.push(v);
            }
        }
    }
    Err(Failure::new(ValidationErrors(all).to_string()))
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        t.parse::<Decimal>()
    };
    parsed.map_err(|_| format!("must be a decimal number, got `{text}`"))
}

/// Reads `NAME:QUANTITY:PRICE`; the name may itself contain `:`. On failure, the item field
/// at fault (or none for the whole item) and the rule.
fn parse_item(text: &str) -> Result<InvoiceItem, (Option<&'static str>, String)> {
    let mut parts = text.rsplitn(3, ':');
    let (Some(price), Some(quantity), Some(name)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err((None, format!("must be NAME:QUANTITY:PRICE, got `{text}`")));
    };
    let quantity = parse_decimal(quantity).map_err(|m| (Some("quantity"), m))?;
    let price = parse_decimal(price).map_err(|m| (Some("price"), m))?;
    Ok(InvoiceItem::new(name.trim(), quantity, price))
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let (gateway, options) = connect(&args.api)?;
    let mut query = ListInvoicesQuery {
        external_id: args.external_id,
        statuses: args
            .status
            .iter()
            .map(|s| InvoiceStatus::from(s.trim().to_ascii_uppercase().as_str()))
            .collect(),
        limit: args.limit,
        created_after: args.created_after,
        created_before: args.created_before,
        paid_after: args.paid_after,
        paid_before: args.paid_before,
        expired_after: args.expired_after,
        expired_before: args.expired_before,
        last_invoice: args.last_invoice,
        client_types: args
            .client_type
            .iter()
            .map(|c| ClientType::from(c.trim()))
            .collect(),
        payment_channels: args
            .payment_channel
            .iter()
            .map(|c| ChannelCode::from(c.trim()))
            .collect(),
        on_demand_link: args.on_demand_link,
        recurring_payment_id: args.recurring_payment_id,
    };
    let mut invoices = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = gateway
            .list_invoices(&query, &options)
            .await
            .map_err(api_failure)?;
        let next = if args.all {
            query.next_page(&page)
        } else {
            None
        };
        invoices.extend(page);
        match next {
            // A cursor that does not move would fetch the same page again.
            Some(next) if next.last_invoice != query.last_invoice => query = next,
            _ => return print_json(&invoices),
        }
    }
    Err(Failure::new(format!(
        "the list did not end after {MAX_PAGES} pages; narrow it with filters"
    )))
}

async fn pay(args: PayArgs) -> Result<(), Failure> {
    let sandbox = SandboxClient::new(&args.base_url).map_err(|e| match e {
        ControlError::BadUrl(url) => {
            Failure::usage(format!("--base-url `{url}` is not an absolute http(s) URL"))
        }
        other => Failure::new(other.to_string()),
    })?;
    let payment = PayRequest {
        payment_method: args.method,
        payment_channel: args.channel,
    };
    let paid = sandbox.pay(&args.id, &payment).await.map_err(|e| match e {
        // Worded as the API commands word Xendit's refusals.
        ControlError::Refused {
            status,
            error_code,
            message,
        } => api_failure(GatewayError::from_api(
            ApiError::new(status, error_code, message),
            None,
        )),
        other => Failure::new(other.to_string()),
    })?;
    print_json(&paid)
}

fn rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    timestamp::parse(text.trim())
        .map_err(|e| format!("expected an RFC 3339 time such as 2024-01-31T00:00:00Z ({e})"))
}

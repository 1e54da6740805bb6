//! How a sandbox is set up: address, accounts (each secret key its own business), webhook
//! schedule, body limit, clock, and where its state is kept.

use std::net::SocketAddr;
use std::path::PathBuf;

use paylink_core::CallbackToken;

/// The secret key the sandbox accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "xnd_development_sandbox";

/// The largest request body accepted unless told otherwise (1 MiB: a create request with 75
/// items and 50 metadata entries of 500 characters is far smaller).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// The name of the account made of [`SandboxConfig::secret_key`], `callback_url` and
/// `callback_token` when no accounts are listed.
pub const DEFAULT_ACCOUNT_NAME: &str = "default";

/// How the sandbox is set up.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The API key clients must send as the Basic-auth user name (the account named
    /// [`DEFAULT_ACCOUNT_NAME`]; ignored when `accounts` is not empty).
    pub secret_key: String,
    /// Where webhooks go; none are sent when `None` (ignored when `accounts` is not empty).
    pub callback_url: Option<String>,
    /// Sent in `x-callback-token` with every webhook (ignored when `accounts` is not empty).
    pub callback_token: CallbackToken,
    /// Several businesses, each with its own secret key, invoices, callback URL and token.
    /// Empty: one account made of `secret_key`, `callback_url` and `callback_token`.
    pub accounts: Vec<AccountConfig>,
    /// Multiplies Xendit's retry schedule and the 30 s attempt timeout (1.0 = real time;
    /// 0.0001 turns the +15 min retry into 90 ms).
    pub retry_time_scale: f64,
    /// Largest request body; larger ones get 413 `REQUEST_ENTITY_TOO_LARGE`.
    pub max_body_bytes: usize,
    /// The address clients and browsers reach the sandbox at (`invoice_url` starts with it);
    /// `http://{bound address}` when `None`.
    pub public_base_url: Option<String>,
    /// How the engine's clock moves.
    pub clock: ClockMode,
    /// Where invoices, payments, deliveries, faults and the clock are kept across restarts
    /// (an SQLite database in this directory); in memory only when `None`.
    pub data_dir: Option<PathBuf>,
}

/// One business of the sandbox: its secret key, webhook receiver and token. Invoices created
/// with one account's key are invisible to every other.
#[derive(Clone)]
pub struct AccountConfig {
    /// A short name (letters, digits, `-`, `_`), shown on the inspector page and in the logs.
    pub name: String,
    /// The API key its clients send as the Basic-auth user name.
    pub secret_key: String,
    /// Where its webhooks go; none are sent when `None`.
    pub callback_url: Option<String>,
    /// Sent in `x-callback-token` with its webhooks.
    pub callback_token: CallbackToken,
}

impl AccountConfig {
    /// An account without a webhook receiver; its token is `sandbox-callback-token-{name}`.
    ///
    /// # Errors
    /// [`AccountError`] when the name or key breaks a rule (see [`AccountConfig::check`]).
    pub fn new(
        name: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<AccountConfig, AccountError> {
        let name = name.into();
        let token = CallbackToken::new(format!("sandbox-callback-token-{name}"))
            .map_err(|e| AccountError::new("name", e.to_string()))?;
        let account = AccountConfig {
            name,
            secret_key: secret_key.into(),
            callback_url: None,
            callback_token: token,
        };
        account.check()?;
        Ok(account)
    }

    /// Reads `NAME:KEY` or `NAME:KEY:CALLBACK_URL` (the URL may hold colons).
    ///
    /// # Errors
    /// [`AccountError`] naming the part at fault.
    pub fn parse(spec: &str) -> Result<AccountConfig, AccountError> {
        let mut parts = spec.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let key = parts
            .next()
            .ok_or_else(|| AccountError::new("account", "must be NAME:KEY[:CALLBACK_URL]"))?;
        let mut account = AccountConfig::new(name, key)?;
        account.callback_url = parts.next().map(str::to_owned);
        account.check()?;
        Ok(account)
    }

    /// Checks the account's rules: a name of 1 to 64 letters, digits, `-` or `_`; a key of
    /// printable ASCII without spaces or `:`; a callback URL starting with `http://` or
    /// `https://`.
    ///
    /// # Errors
    /// [`AccountError`] naming the field and the rule.
    pub fn check(&self) -> Result<(), AccountError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(AccountError::new(
                "name",
                format!(
                    "must be 1 to 64 letters, digits, `-` or `_`, got `{}`",
                    self.name
                ),
            ));
        }
        let key_ok = !self.secret_key.is_empty()
            && self
                .secret_key
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b':');
        if !key_ok {
            return Err(AccountError::new(
                "secret_key",
                format!(
                    "of account `{}` must be printable ASCII without spaces or `:`",
                    self.name
                ),
            ));
        }
        if let Some(url) = &self.callback_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(AccountError::new(
                    "callback_url",
                    format!(
                        "of account `{}` must start with http:// or https://, got `{url}`",
                        self.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountConfig")
            .field("name", &self.name)
            .field("secret_key", &"<redacted>")
            .field("callback_url", &self.callback_url)
            .field("callback_token", &self.callback_token)
            .finish()
    }
}

/// Why an account could not be set up. Never shows a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {message}")]
pub struct AccountError {
    /// The field at fault.
    pub field: String,
    /// The rule it breaks.
    pub message: String,
}

impl AccountError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        AccountError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// How the engine's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Only `POST /_sandbox/clock/advance` (or the engine's own controls) move it: for tests.
    Manual,
    /// It follows the wall clock (plus whatever `clock/advance` added), and links expire on
    /// their own: for a developer clicking through payments. The engine clock is moved forward
    /// every second and before every request.
    Wall,
}

impl SandboxConfig {
    /// The accounts served: `accounts`, or the one made of `secret_key`, `callback_url` and
    /// `callback_token` when it is empty.
    pub fn effective_accounts(&self) -> Vec<AccountConfig> {
        if !self.accounts.is_empty() {
            return self.accounts.clone();
        }
        vec![AccountConfig {
            name: DEFAULT_ACCOUNT_NAME.to_owned(),
            secret_key: self.secret_key.clone(),
            callback_url: self.callback_url.clone(),
            callback_token: self.callback_token.clone(),
        }]
    }

    /// Checks every account and that no two share a name or a key.
    ///
    /// # Errors
    /// [`AccountError`] naming the account and the rule.
    pub fn check_accounts(&self) -> Result<(), AccountError> {
        let accounts = self.effective_accounts();
        for (i, a) in accounts.iter().enumerate() {
            a.check()?;
            if let Some(b) = accounts[..i].iter().find(|b| b.name == a.name) {
                return Err(AccountError::new(
                    "name",
                    format!("`{}` is used by two accounts", b.name),
                ));
            }
            if let Some(b) = accounts[..i].iter().find(|b| b.secret_key == a.secret_key) {
                return Err(AccountError::new(
                    "secret_key",
                    format!(
                        "of account `{}` is also the key of account `{}`",
                        a.name, b.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            callback_url: None,
            callback_token: CallbackToken::from_static("sandbox-callback-token"),
            accounts: Vec::new(),
            retry_time_scale: 1.0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            public_base_url: None,
            clock: ClockMode::Manual,
            data_dir: None,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("addr", &self.addr)
            .field("secret_key", &"<redacted>")
            .field("callback_url", &self.callback_url)
            .field("callback_token", &self.callback_token)
            .field("accounts", &self.accounts)
            .field("retry_time_scale", &self.retry_time_scale)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("public_base_url", &self.public_base_url)
            .field("clock", &self.clock)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// One entry of an accounts file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    name: String,
    secret_key: String,
    #[serde(default)]
    callback_url: Option<String>,
    #[serde(default)]
    callback_token: Option<String>,
}

/// Reads an accounts file: a JSON array of `{"name", "secret_key", "callback_url"?,
/// "callback_token"?}` (the token defaults to `sandbox-callback-token-{name}`).
///
/// # Errors
/// [`AccountError`] naming the file, the entry and the field at fault.
pub fn read_accounts_file(path: &std::path::Path) -> Result<Vec<AccountConfig>, AccountError> {
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        AccountError::new("accounts file", format!("{file} could not be read: {e}"))
    })?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
        AccountError::new(
            "accounts file",
            format!("{file} must be a JSON array of accounts: {e}"),
        )
    })?;
    let mut accounts = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let at = |field: &str, message: String| {
            AccountError::new(
                &format!("accounts file {file}: entry {i}: {field}"),
                message,
            )
        };
        let entry: AccountEntry =
            serde_json::from_value(entry).map_err(|e| at("", e.to_string()))?;
        let mut account = AccountConfig::new(entry.name, entry.secret_key)
            .map_err(|e| at(&e.field, e.message))?;
        account.callback_url = entry.callback_url;
        if let Some(token) = entry.callback_token {
            account.callback_token = paylink_core::CallbackToken::new(token)
                .map_err(|e| at("callback_token", e.to_string()))?;
        }
        account.check().map_err(|e| at(&e.field, e.message))?;
        accounts.push(account);
    }
    if accounts.is_empty() {
        return Err(AccountError::new(
            "accounts file",
            format!("{file} lists no account"),
        ));
    }
    Ok(accounts)
}

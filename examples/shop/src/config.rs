//! Configuration from the environment: which payment backend, its secrets, where to listen.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

use paylink_core::CallbackToken;
use paylink_http::SecretKey;

/// Selects the backend: `fake` (default) or `xendit`.
pub const BACKEND_VAR: &str = "PAYLINK_BACKEND";
/// The Xendit secret API key; required with the `xendit` backend.
pub const SECRET_KEY_VAR: &str = "XENDIT_SECRET_KEY";
/// The Xendit API base URL; `https://api.xendit.co` when unset.
pub const BASE_URL_VAR: &str = "XENDIT_BASE_URL";
/// The webhook verification token; required with the `xendit` backend.
pub const CALLBACK_TOKEN_VAR: &str = "XENDIT_CALLBACK_TOKEN";
/// Where the shop listens; `127.0.0.1:3000` when unset.
pub const ADDR_VAR: &str = "SHOP_ADDR";
/// Where buyers reach the shop; `http://{bound address}` when unset.
pub const PUBLIC_URL_VAR: &str = "SHOP_PUBLIC_URL";

/// PostgreSQL for the webhook inbox (`postgres://user:password@host/db`); SQLite when unset.
pub const DATABASE_URL_VAR: &str = "DATABASE_URL";
/// The SQLite file of the webhook inbox when [`DATABASE_URL_VAR`] is unset; `shop.sqlite`
/// when this is unset too.
pub const SQLITE_PATH_VAR: &str = "SHOP_SQLITE_PATH";

/// The SQLite file used when neither [`DATABASE_URL_VAR`] nor [`SQLITE_PATH_VAR`] is set.
pub const DEFAULT_SQLITE_PATH: &str = "shop.sqlite";

/// The callback token of the fake backend when [`CALLBACK_TOKEN_VAR`] is unset.
pub const DEMO_CALLBACK_TOKEN: &str = "shop-demo-callback-token";
/// Where the shop listens when [`ADDR_VAR`] is unset.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

const VARS: [&str; 8] = [
    BACKEND_VAR,
    SECRET_KEY_VAR,
    BASE_URL_VAR,
    CALLBACK_TOKEN_VAR,
    ADDR_VAR,
    PUBLIC_URL_VAR,
    DATABASE_URL_VAR,
    SQLITE_PATH_VAR,
];

/// Where the webhook inbox keeps received events.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// A SQLite file, created if missing: no set-up.
    Sqlite {
        /// The file.
        path: String,
    },
    /// PostgreSQL, for several shop instances on one database.
    Postgres {
        /// The connection URL; never shown.
        url: String,
    },
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Storage::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Storage::Postgres { .. } => f
                .debug_struct("Postgres")
                .field("url", &"<redacted>")
                .finish(),
        }
    }
}

/// The payment backend behind the `Gateway` port.
#[derive(Clone)]
pub enum Backend {
    /// The in-process fake, with its checkout page served by the shop and its webhooks
    /// delivered in-process: works offline.
    Fake,
    /// Xendit's API (or anything that speaks it, such as `paylink sandbox`).
    Xendit {
        /// The secret API key.
        secret_key: SecretKey,
        /// The API base URL, when not Xendit's own.
        base_url: Option<String>,
    },
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Fake => f.write_str("Fake"),
            Backend::Xendit { base_url, .. } => f
                .debug_struct("Xendit")
                .field("secret_key", &"<redacted>")
                .field("base_url", base_url)
                .finish(),
        }
    }
}

/// Everything the shop reads from its environment.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    /// The payment backend.
    pub backend: Backend,
    /// The webhook verification token.
    pub callback_token: CallbackToken,
    /// Where to listen.
    pub addr: SocketAddr,
    /// Where buyers reach the shop, if not at the bound address.
    pub public_url: Option<String>,
    /// Where the webhook inbox keeps received events.
    pub storage: Storage,
}

/// A setting that is missing or cannot be read. Never shows a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{var} must be set: {why}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// A variable has a value the shop cannot use.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl ShopConfig {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is missing or wrong.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut vars = HashMap::new();
        for var in VARS {
            if let Some(value) = std::env::var_os(var) {
                let value = value.into_string().map_err(|_| ConfigError::Invalid {
                    var,
                    reason: "is not valid UTF-8".into(),
                })?;
                vars.insert(var, value);
            }
        }
        ShopConfig::from_lookup(|var| vars.get(var).cloned())
    }

    /// Reads the configuration through `lookup` (a variable's value, or `None` when unset).
    /// An empty value counts as unset.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is missing or wrong.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        let backend = match get(BACKEND_VAR).as_deref().map(str::trim) {
            None | Some("fake") => Backend::Fake,
            Some("xendit") => Backend::Xendit {
                secret_key: SecretKey::new(get(SECRET_KEY_VAR).ok_or(ConfigError::Missing {
                    var: SECRET_KEY_VAR,
                    why: "the xendit backend needs the account's secret API key",
                })?),
                base_url: get(BASE_URL_VAR),
            },
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: BACKEND_VAR,
                    reason: format!("expected `fake` or `xendit`, got `{other}`"),
                })
            }
        };
        let callback_token = match (&backend, get(CALLBACK_TOKEN_VAR)) {
            (_, Some(token)) => CallbackToken::new(token).map_err(|e| ConfigError::Invalid {
                var: CALLBACK_TOKEN_VAR,
                reason: e.to_string(),
            })?,
            (Backend::Fake, None) => CallbackToken::from_static(DEMO_CALLBACK_TOKEN),
            (Backend::Xendit { .. }, None) => return Err(ConfigError::Missing {
                var: CALLBACK_TOKEN_VAR,
                why: "the xendit backend needs the webhook verification token to accept callbacks",
            }),
        };
        let addr_text = get(ADDR_VAR).unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr = addr_text
            .trim()
            .parse::<SocketAddr>()
            .map_err(|e| ConfigError::Invalid {
                var: ADDR_VAR,
                reason: format!(
                    "expected an address such as 127.0.0.1:3000, got `{addr_text}` ({e})"
                ),
            })?;
        let public_url = get(PUBLIC_URL_VAR).map(|u| u.trim().trim_end_matches('/').to_owned());
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    var: PUBLIC_URL_VAR,
                    reason: format!("expected an http:// or https:// URL, got `{url}`"),
                });
            }
        }
        let storage = match get(DATABASE_URL_VAR) {
            Some(url) => {
                let url = url.trim().to_owned();
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(ConfigError::Invalid {
                        var: DATABASE_URL_VAR,
                        reason: "expected a postgres:// URL".into(),
                    });
                }
                Storage::Postgres { url }
            }
            None => Storage::Sqlite {
                path: get(SQLITE_PATH_VAR).unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned()),
            },
        };
        Ok(ShopConfig {
            backend,
            callback_token,
            addr,
            public_url,
            storage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<ShopConfig, ConfigError> {
        ShopConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn an_empty_environment_runs_the_fake_on_the_default_address() {
        let c = config(&[]).expect("defaults");
        assert!(matches!(c.backend, Backend::Fake));
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.callback_token.expose(), DEMO_CALLBACK_TOKEN);
        assert_eq!(c.public_url, None);
        assert_eq!(
            c.storage,
            Storage::Sqlite {
                path: DEFAULT_SQLITE_PATH.into()
            }
        );
    }

    #[test]
    fn a_database_url_selects_postgres_and_its_password_never_shows() {
        let c = config(&[(DATABASE_URL_VAR, "postgres://shop:pa55word@db/shop")]).expect("ok");
        assert!(matches!(c.storage, Storage::Postgres { .. }));
        let debug = format!("{c:?}");
        assert!(!debug.contains("pa55word"), "{debug}");
        let e = config(&[(DATABASE_URL_VAR, "mysql://shop:pa55word@db/shop")]).expect_err("bad");
        assert!(!e.to_string().contains("pa55word"), "{e}");
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    var: DATABASE_URL_VAR,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn the_xendit_backend_without_a_secret_key_names_the_variable() {
        let e = config(&[(BACKEND_VAR, "xendit"), (CALLBACK_TOKEN_VAR, "t")]).expect_err("no key");
        assert_eq!(
            e.to_string(),
            "XENDIT_SECRET_KEY must be set: the xendit backend needs the account's secret API key"
        );
        let blank = config(&[
            (BACKEND_VAR, "xendit"),
            (SECRET_KEY_VAR, "  "),
            (CALLBACK_TOKEN_VAR, "t"),
        ])
        .expect_err("blank key");
        assert_eq!(blank, e);
    }

    #[test]
    fn the_xendit_backend_without_a_callback_token_names_the_variable() {
        let e = config(&[
            (BACKEND_VAR, "xendit"),
            (SECRET_KEY_VAR, "xnd_development_k"),
        ])
        .expect_err("no token");
        assert!(matches!(
            e,
            ConfigError::Missing {
                var: CALLBACK_TOKEN_VAR,
                ..
            }
        ));
    }

    #[test]
    fn an_unknown_backend_is_refused_with_the_choices() {
        let e = config(&[(BACKEND_VAR, "stripe")]).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "PAYLINK_BACKEND: expected `fake` or `xendit`, got `stripe`"
        );
    }

    #[test]
    fn a_bad_address_or_public_url_names_its_variable() {
        let e = config(&[(ADDR_VAR, "localhost")]).expect_err("bad addr");
        assert!(
            matches!(e, ConfigError::Invalid { var: ADDR_VAR, .. }),
            "{e}"
        );
        let e = config(&[(PUBLIC_URL_VAR, "shop.example")]).expect_err("bad url");
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    var: PUBLIC_URL_VAR,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn the_xendit_settings_are_read_and_the_key_never_shows_in_debug() {
        let c = config(&[
            (BACKEND_VAR, "xendit"),
            (SECRET_KEY_VAR, "xnd_development_s3cr3t"),
            (BASE_URL_VAR, "http://127.0.0.1:4010"),
            (CALLBACK_TOKEN_VAR, "tok3n-value"),
            (ADDR_VAR, "0.0.0.0:8080"),
            (PUBLIC_URL_VAR, "https://shop.example/"),
        ])
        .expect("complete");
        let Backend::Xendit { base_url, .. } = &c.backend else {
            panic!("expected the xendit backend, got {:?}", c.backend);
        };
        assert_eq!(base_url.as_deref(), Some("http://127.0.0.1:4010"));
        assert_eq!(c.public_url.as_deref(), Some("https://shop.example"));
        assert_eq!(c.addr.to_string(), "0.0.0.0:8080");
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(!debug.contains("tok3n"), "{debug}");
    }
}

//! The Xendit secret API key: which mode it selects, and a `Debug` that never shows it.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;

/// The mode a key selects. Xendit serves test and live mode from the same host; the key alone
/// decides which one a call reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyMode {
    /// `xnd_development_...`: test mode, nothing reaches a bank.
    Test,
    /// `xnd_production_...`: live mode, real money.
    Live,
    /// Any other prefix. Xendit's own SDKs only warn about it, so paylink sends it unchanged.
    Unknown,
}

impl KeyMode {
    /// `"test"`, `"live"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::Test => "test",
            KeyMode::Live => "live",
            KeyMode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for KeyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Xendit secret API key. `Debug` shows only its [`KeyMode`]; there is no `Display`, and the
/// key leaves this type only as the `Authorization` header the gateway sends.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    key: String,
}

impl SecretKey {
    /// Prefix of test-mode keys.
    pub const TEST_PREFIX: &'static str = "xnd_development_";
    /// Prefix of live-mode keys.
    pub const LIVE_PREFIX: &'static str = "xnd_production_";

    /// Wraps a key as given (surrounding whitespace, such as a newline read from a file, is
    /// removed).
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        let key = if trimmed.len() == key.len() {
            key
        } else {
            trimmed.to_owned()
        };
        SecretKey { key }
    }

    /// The mode the key's prefix selects.
    pub fn mode(&self) -> KeyMode {
        if self.key.starts_with(Self::TEST_PREFIX) {
            KeyMode::Test
        } else if self.key.starts_with(Self::LIVE_PREFIX) {
            KeyMode::Live
        } else {
            KeyMode::Unknown
        }
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.key.is_empty()
    }

    /// `Basic base64("<key>:")`: the key as the Basic-auth user name with an empty password.
    pub(crate) fn basic_auth_value(&self) -> String {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.key).as_bytes());
        format!("Basic {encoded}")
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecretKey").field(&self.mode()).finish()
    }
}

impl FromStr for SecretKey {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretKey::new(s))
    }
}

impl From<String> for SecretKey {
    fn from(key: String) -> Self {
        SecretKey::new(key)
    }
}

impl From<&str> for SecretKey {
    fn from(key: &str) -> Self {
        SecretKey::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_decides_the_mode() {
        assert_eq!(SecretKey::new("xnd_development_abc").mode(), KeyMode::Test);
        assert_eq!(SecretKey::new("xnd_production_abc").mode(), KeyMode::Live);
        assert_eq!(SecretKey::new("sk_live_abc").mode(), KeyMode::Unknown);
        assert_eq!(SecretKey::new("").mode(), KeyMode::Unknown);
    }

    #[test]
    fn debug_shows_the_mode_and_never_the_key() {
        let key = SecretKey::new("xnd_development_s3cr3t");
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("Test"), "{shown}");
    }

    #[test]
    fn the_key_is_the_basic_user_name_with_an_empty_password() {
        let key = SecretKey::new("xnd_development_abc\n");
        assert_eq!(key.basic_auth_value(), "Basic eG5kX2RldmVsb3BtZW50X2FiYzo=");
    }
}

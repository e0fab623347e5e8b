//! API credentials: read from the environment or from a file only its
//! owner can read, and never shown (ARCHITECTURE.md "Secrets stay
//! secret"): `Debug` masks both parts.

use quantumtrade::exchange::binance::sign::{ApiKey, ApiSecret};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable holding the API key.
pub const KEY_ENV: &str = "QTRADE_BINANCE_API_KEY";
/// Environment variable holding the API secret.
pub const SECRET_ENV: &str = "QTRADE_BINANCE_API_SECRET";

/// An API key and its secret.
#[derive(Clone)]
pub struct Credentials {
    key: ApiKey,
    secret: ApiSecret,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ApiKey shows four characters, ApiSecret none.
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Why credentials could not be loaded. Messages never contain the values.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Only one of the two variables is set.
    #[error("set both {KEY_ENV} and {SECRET_ENV}, or neither")]
    HalfSet,
    /// The file is readable by others.
    #[error("{}: mode {mode:o} lets others read the secret; chmod 600 it", file.display())]
    TooOpen {
        /// The file.
        file: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file cannot be read.
    #[error("cannot read {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not `api_key = "…"` / `api_secret = "…"` TOML. The
    /// parser's message is not kept: it may quote the secret.
    #[error("{}: expected exactly the keys api_key and api_secret (TOML strings)", file.display())]
    Format {
        /// The file.
        file: PathBuf,
    },
    /// An empty key or secret.
    #[error("empty API key or secret")]
    Empty,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    api_key: String,
    api_secret: String,
}

impl Credentials {
    /// Credentials from their two parts.
    ///
    /// # Errors
    /// [`CredentialsError::Empty`] when either is empty.
    pub fn new(key: &str, secret: &str) -> Result<Self, CredentialsError> {
        if key.trim().is_empty() || secret.trim().is_empty() {
            return Err(CredentialsError::Empty);
        }
        Ok(Self {
            key: ApiKey::new(key.trim()),
            secret: ApiSecret::new(secret.trim()),
        })
    }

    /// From [`KEY_ENV`] and [`SECRET_ENV`]; `None` when neither is set.
    ///
    /// # Errors
    /// When only one is set, or one is empty.
    pub fn from_env() -> Result<Option<Self>, CredentialsError> {
        match (std::env::var(KEY_ENV), std::env::var(SECRET_ENV)) {
            (Ok(k), Ok(s)) => Self::new(&k, &s).map(Some),
            (Err(_), Err(_)) => Ok(None),
            _ => Err(CredentialsError::HalfSet),
        }
    }

    /// From a TOML file with `api_key` and `api_secret`, which must not be
    /// readable by group or others (mode 0600 or stricter).
    ///
    /// # Errors
    /// [`CredentialsError`] for an open mode, an unreadable or malformed
    /// file, or empty values.
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        let io = |source| CredentialsError::Io {
            file: path.to_path_buf(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CredentialsError::TooOpen {
                    file: path.to_path_buf(),
                    mode,
                });
            }
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let f: CredentialsFile = toml::from_str(&text).map_err(|_| CredentialsError::Format {
            file: path.to_path_buf(),
        })?;
        Self::new(&f.api_key, &f.api_secret)
    }

    /// The key, for the `X-MBX-APIKEY` header.
    #[must_use]
    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// The secret, for signing.
    #[must_use]
    pub fn secret(&self) -> &ApiSecret {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
    const SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

    #[test]
    fn debug_masks_key_and_secret() {
        let c = Credentials::new(KEY, SECRET).unwrap();
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains(&KEY[4..12]), "{shown}");
        assert!(shown.contains("dbef"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("qtrade-creds-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Credentials::from_file(&path).unwrap_err();
        assert!(
            matches!(e, CredentialsError::TooOpen { mode: 0o644, .. }),
            "{e}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = Credentials::from_file(&path).unwrap();
        assert_eq!(c.key().header_value(), KEY);
        // A malformed file's error does not quote its content.
        std::fs::write(
            &path,
            format!("api_key = \"{KEY}\"\napi_secret = {SECRET}\n"),
        )
        .unwrap();
        let e = Credentials::from_file(&path).unwrap_err().to_string();
        assert!(!e.contains(SECRET), "{e}");
        let _ = std::fs::remove_file(&path);
    }
}

//! Trading symbols.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A venue symbol such as `BTCUSDT`: upper-case ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Symbol(String);

/// Why a text is not a symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid symbol {0:?}: expected 1 to 32 upper-case ASCII letters or digits")]
pub struct InvalidSymbol(pub String);

impl Symbol {
    /// Parses and validates a symbol; lower case is upper-cased.
    ///
    /// # Errors
    /// [`InvalidSymbol`] when empty, longer than 32, or not alphanumeric ASCII.
    pub fn new(s: &str) -> Result<Self, InvalidSymbol> {
        let up = s.to_ascii_uppercase();
        if up.is_empty() || up.len() > 32 || !up.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(InvalidSymbol(s.to_string()));
        }
        Ok(Self(up))
    }

    /// The symbol text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Symbol {
    type Err = InvalidSymbol;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

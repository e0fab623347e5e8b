//! Market events: closed candles and universe changes.

use crate::market::{Candle, Interval, Symbol};
use serde::{Deserialize, Serialize};

/// A candle closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandleClosed {
    /// Symbol.
    pub symbol: Symbol,
    /// Timeframe.
    pub interval: Interval,
    /// The closed candle.
    pub candle: Candle,
}

/// The qualified universe changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniverseChanged {
    /// Symbols that joined.
    pub added: Vec<Symbol>,
    /// Symbols that left.
    pub removed: Vec<Symbol>,
    /// The whole qualified set after the change.
    pub qualified: Vec<Symbol>,
}

/// A message from a venue that failed validation (counted and dropped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRejected {
    /// Where it came from (venue and stream).
    pub source: String,
    /// Kind of problem.
    pub problem: String,
}

/// Market event family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MarketEvent {
    /// See [`CandleClosed`].
    CandleClosed(CandleClosed),
    /// See [`UniverseChanged`].
    UniverseChanged(UniverseChanged),
    /// See [`MessageRejected`].
    MessageRejected(MessageRejected),
}

impl From<CandleClosed> for MarketEvent {
    fn from(e: CandleClosed) -> Self {
        Self::CandleClosed(e)
    }
}

impl From<UniverseChanged> for MarketEvent {
    fn from(e: UniverseChanged) -> Self {
        Self::UniverseChanged(e)
    }
}

impl From<MessageRejected> for MarketEvent {
    fn from(e: MessageRejected) -> Self {
        Self::MessageRejected(e)
    }
}

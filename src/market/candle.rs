//! One kline (candle) as Binance reports it.

use serde::{Deserialize, Serialize};

/// One candle: the twelve fields of a Binance kline less `close_time` (derived
/// from the interval) and `ignore`.
///
/// Prices and volumes are `f64`: candles feed indicators and statistics, never
/// order quantities sent to a venue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    /// Open time, milliseconds since the Unix epoch (UTC).
    pub open_time: i64,
    /// First trade price of the candle.
    pub open: f64,
    /// Highest trade price.
    pub high: f64,
    /// Lowest trade price.
    pub low: f64,
    /// Last trade price.
    pub close: f64,
    /// Base-asset volume.
    pub volume: f64,
    /// Quote-asset volume (USDT for USDT pairs).
    pub quote_volume: f64,
    /// Number of trades.
    pub trades: u64,
    /// Base-asset volume bought by takers.
    pub taker_buy_volume: f64,
    /// Quote-asset volume bought by takers.
    pub taker_buy_quote_volume: f64,
}

impl Candle {
    /// A candle with only open time and OHLCV set; the rest zero.
    #[must_use]
    pub fn ohlcv(open_time: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Self {
        Self {
            open_time,
            open,
            high,
            low,
            close,
            volume,
            quote_volume: 0.0,
            trades: 0,
            taker_buy_volume: 0.0,
            taker_buy_quote_volume: 0.0,
        }
    }

    /// Typical price (high + low + close) / 3.
    #[must_use]
    pub fn typical_price(&self) -> f64 {
        (self.high + self.low + self.close) / 3.0
    }
}

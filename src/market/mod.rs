//! The market model: candles and their intervals, symbols, the Binance kline
//! CSV layout, timeframe aggregation and fixed-capacity candle buffers;
//! the synthetic and replayed markets and a synthetic open interest.

pub mod aggregate;
pub mod candle;
pub mod instrument;
pub mod interval;
pub mod kline_csv;
pub mod open_interest;
pub mod random_walk;
pub mod replay;
pub mod ring;
pub mod series;
pub mod symbol;
pub mod synthetic;

pub use candle::Candle;
pub use interval::Interval;
pub use series::OhlcvSeries;
pub use symbol::Symbol;

//! Momentum oscillators: RSI, StochRSI, Williams %R, CCI, MACD, MFI, and
//! their derived flags.

pub mod cci;
pub mod cci_extreme;
pub mod macd;
pub mod mfi;
pub mod rsi;
pub mod stochrsi;
pub mod willr;
pub mod willr_smoothing;

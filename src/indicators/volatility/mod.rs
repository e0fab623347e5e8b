//! Volatility: ATR/NATR, Bollinger bands and their squeeze flags, Keltner
//! channels, ATR percentile and realized volatility.

pub mod atr;
pub mod atr_percentile;
pub mod bollinger;
pub mod keltner;
pub mod realized;
pub mod squeeze;

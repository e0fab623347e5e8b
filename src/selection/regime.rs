//! Per-symbol regime detection from trend strength and volatility.

use serde::{Deserialize, Serialize};

/// The regime a symbol trades in; it picks the score weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Regime {
    /// Strong directional movement (high ADX).
    Trending,
    /// Weak trend, price oscillating in a band (low ADX).
    Ranging,
    /// Volatility far above its own history (high ATR percentile).
    Volatile,
    /// None of the above clearly.
    Default,
}

/// Detection thresholds; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegimeConfig {
    /// ATR percentile (0–100, against 30 days) at or above which the symbol
    /// is volatile, whatever its trend.
    pub volatile_atr_percentile: f64,
    /// ADX at or above which the symbol is trending.
    pub trending_adx: f64,
    /// ADX below which the symbol is ranging.
    pub ranging_adx: f64,
}

impl Default for RegimeConfig {
    fn default() -> Self {
        Self {
            volatile_atr_percentile: 90.0,
            trending_adx: 25.0,
            ranging_adx: 20.0,
        }
    }
}

/// Detects the regime: volatile first (a crash is volatile even while
/// trending), then trending by ADX, then ranging; otherwise default.
/// NaN inputs (warm-up) give [`Regime::Default`].
#[must_use]
pub fn detect(adx: f64, atr_percentile: f64, cfg: &RegimeConfig) -> Regime {
    if atr_percentile >= cfg.volatile_atr_percentile {
        Regime::Volatile
    } else if adx >= cfg.trending_adx {
        Regime::Trending
    } else if adx < cfg.ranging_adx {
        Regime::Ranging
    } else {
        Regime::Default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatility_wins_then_adx_decides() {
        let c = RegimeConfig::default();
        assert_eq!(detect(40.0, 95.0, &c), Regime::Volatile);
        assert_eq!(detect(40.0, 50.0, &c), Regime::Trending);
        assert_eq!(detect(10.0, 50.0, &c), Regime::Ranging);
        assert_eq!(detect(22.0, 50.0, &c), Regime::Default);
        assert_eq!(detect(f64::NAN, f64::NAN, &c), Regime::Default);
    }
}

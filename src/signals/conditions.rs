//! Market conditions, from a snapshot of the whole universe:
//!
//! - trend: BULL when the universe's mean return over the window is at
//!   least `trend_threshold`, BEAR at most −`trend_threshold`, else
//!   SIDEWAYS;
//! - volatility: LOW when the median ATR percentile is below 33, HIGH at 67
//!   or above, else MEDIUM;
//! - correlation: HIGH when the mean |pairwise correlation| is at least
//!   `high_correlation` (everything moves together: diversification fails),
//!   else NORMAL;
//! - liquidity: STRESSED when the median spread is at least
//!   `stressed_spread_ratio` times its usual level, else NORMAL.

use serde::{Deserialize, Serialize};

/// Trend of the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Trend {
    /// Rising.
    Bull,
    /// Falling.
    Bear,
    /// Neither.
    Sideways,
}

/// Volatility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Volatility {
    /// Below the 33rd percentile.
    Low,
    /// In between.
    Medium,
    /// At the 67th percentile or above.
    High,
}

/// Correlation regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CorrelationRegime {
    /// Usual dispersion.
    Normal,
    /// Everything moves together.
    High,
}

/// Liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Liquidity {
    /// Usual spreads.
    Normal,
    /// Spreads blown out.
    Stressed,
}

/// The four together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conditions {
    /// Trend.
    pub trend: Trend,
    /// Volatility.
    pub volatility: Volatility,
    /// Correlation.
    pub correlation: CorrelationRegime,
    /// Liquidity.
    pub liquidity: Liquidity,
}

/// What the conditions are read from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarketSnapshot {
    /// Mean return of the universe over the window.
    pub mean_return: f64,
    /// Median ATR percentile of the universe (0–100).
    pub median_atr_percentile: f64,
    /// Mean |pairwise correlation| of the universe's 1m returns.
    pub mean_abs_correlation: f64,
    /// Median relative spread now.
    pub median_spread: f64,
    /// Its usual level (a long-run median).
    pub usual_spread: f64,
}

/// Thresholds; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConditionsConfig {
    /// |mean return| that makes a trend.
    pub trend_threshold: f64,
    /// Mean |ρ| that makes correlation HIGH.
    pub high_correlation: f64,
    /// Spread over its usual level that makes liquidity STRESSED.
    pub stressed_spread_ratio: f64,
}

impl Default for ConditionsConfig {
    fn default() -> Self {
        Self {
            trend_threshold: 0.01,
            high_correlation: 0.5,
            stressed_spread_ratio: 2.0,
        }
    }
}

/// Reads the conditions.
#[must_use]
pub fn classify(m: &MarketSnapshot, cfg: &ConditionsConfig) -> Conditions {
    let trend = if m.mean_return >= cfg.trend_threshold {
        Trend::Bull
    } else if m.mean_return <= -cfg.trend_threshold {
        Trend::Bear
    } else {
        Trend::Sideways
    };
    let volatility = if m.median_atr_percentile >= 67.0 {
        Volatility::High
    } else if m.median_atr_percentile < 33.0 {
        Volatility::Low
    } else {
        Volatility::Medium
    };
    let correlation = if m.mean_abs_correlation >= cfg.high_correlation {
        CorrelationRegime::High
    } else {
        CorrelationRegime::Normal
    };
    let liquidity =
        if m.usual_spread > 0.0 && m.median_spread >= cfg.stressed_spread_ratio * m.usual_spread {
            Liquidity::Stressed
        } else {
            Liquidity::Normal
        };
    Conditions {
        trend,
        volatility,
        correlation,
        liquidity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_condition_at_its_threshold() {
        let cfg = ConditionsConfig::default();
        let base = MarketSnapshot {
            mean_return: 0.0,
            median_atr_percentile: 50.0,
            mean_abs_correlation: 0.2,
            median_spread: 0.0002,
            usual_spread: 0.0002,
        };
        let c = classify(&base, &cfg);
        assert_eq!(
            c,
            Conditions {
                trend: Trend::Sideways,
                volatility: Volatility::Medium,
                correlation: CorrelationRegime::Normal,
                liquidity: Liquidity::Normal
            }
        );
        let c = classify(
            &MarketSnapshot {
                mean_return: 0.01,
                median_atr_percentile: 67.0,
                mean_abs_correlation: 0.5,
                median_spread: 0.0004,
                ..base
            },
            &cfg,
        );
        assert_eq!(
            (c.trend, c.volatility, c.correlation, c.liquidity),
            (
                Trend::Bull,
                Volatility::High,
                CorrelationRegime::High,
                Liquidity::Stressed
            )
        );
        let c = classify(
            &MarketSnapshot {
                mean_return: -0.02,
                median_atr_percentile: 10.0,
                ..base
            },
            &cfg,
        );
        assert_eq!((c.trend, c.volatility), (Trend::Bear, Volatility::Low));
    }
}

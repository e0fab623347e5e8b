//! The quantitative score: four 0–100 components weighted by regime.

use super::regime::Regime;
use serde::{Deserialize, Serialize};

/// The four components of the score, each on 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Components {
    /// Volatility: the ATR's normalised score against its 30-day history.
    pub volatility: f64,
    /// Momentum: the price-velocity composite.
    pub momentum: f64,
    /// Volume: the volume-surge score.
    pub volume: f64,
    /// Trend: strength and agreement of the trend indicators.
    pub trend: f64,
}

/// Weights of the components; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of [`Components::volatility`].
    pub volatility: f64,
    /// Weight of [`Components::momentum`].
    pub momentum: f64,
    /// Weight of [`Components::volume`].
    pub volume: f64,
    /// Weight of [`Components::trend`].
    pub trend: f64,
}

/// The seed's weights per regime (vol, mom, volu, trend):
/// TRENDING .20 .40 .15 .25; RANGING .35 .20 .25 .20;
/// VOLATILE .40 .25 .20 .15; default .25 .30 .20 .25.
#[must_use]
pub const fn weights(regime: Regime) -> Weights {
    let (volatility, momentum, volume, trend) = match regime {
        Regime::Trending => (0.20, 0.40, 0.15, 0.25),
        Regime::Ranging => (0.35, 0.20, 0.25, 0.20),
        Regime::Volatile => (0.40, 0.25, 0.20, 0.15),
        Regime::Default => (0.25, 0.30, 0.20, 0.25),
    };
    Weights {
        volatility,
        momentum,
        volume,
        trend,
    }
}

/// The score: Σ weight·component, on 0–100. A NaN component (warm-up)
/// counts as 0, so an unready symbol ranks low instead of poisoning sorts.
#[must_use]
pub fn score(c: &Components, regime: Regime) -> f64 {
    let w = weights(regime);
    let z = |v: f64| if v.is_nan() { 0.0 } else { v.clamp(0.0, 100.0) };
    w.volatility * z(c.volatility)
        + w.momentum * z(c.momentum)
        + w.volume * z(c.volume)
        + w.trend * z(c.trend)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weights_sum_to_one_and_match_the_seed() {
        for r in [
            Regime::Trending,
            Regime::Ranging,
            Regime::Volatile,
            Regime::Default,
        ] {
            let w = weights(r);
            assert!((w.volatility + w.momentum + w.volume + w.trend - 1.0).abs() < 1e-12);
        }
        assert_eq!(weights(Regime::Trending).momentum, 0.40);
        assert_eq!(weights(Regime::Volatile).volatility, 0.40);
    }

    #[test]
    fn regime_changes_the_ranking() {
        let momentum_heavy = Components {
            volatility: 10.0,
            momentum: 90.0,
            volume: 50.0,
            trend: 50.0,
        };
        let vol_heavy = Components {
            volatility: 90.0,
            momentum: 10.0,
            volume: 50.0,
            trend: 50.0,
        };
        assert!(score(&momentum_heavy, Regime::Trending) > score(&vol_heavy, Regime::Trending));
        assert!(score(&momentum_heavy, Regime::Volatile) < score(&vol_heavy, Regime::Volatile));
    }

    proptest! {
        #[test]
        fn score_stays_in_range(v in -50f64..150.0, m in -50f64..150.0, u in -50f64..150.0, t in -50f64..150.0) {
            let c = Components { volatility: v, momentum: m, volume: u, trend: t };
            for r in [Regime::Trending, Regime::Ranging, Regime::Volatile, Regime::Default] {
                let s = score(&c, r);
                prop_assert!((0.0..=100.0).contains(&s));
            }
        }
    }
}

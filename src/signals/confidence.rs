//! Confidence in a reading, in [0, 1]: the mean of four parts.
//!
//! - Statistical: the signal type's hit rate so far, the posterior mean of
//!   a Beta(1, 1) prior, (wins + 1)/(trades + 2), tracked online per type;
//!   0.5 before any outcome.
//! - Cross-asset confirmation: the share of the other selected symbols
//!   whose score points the same way (0.5 when there are none).
//! - Volume confirmation: the volume score over 50, capped at 1 (a move on
//!   average volume or better is confirmed).
//! - Multi-timeframe alignment: the mean of the RSI convergence and the
//!   Supertrend confluence, each counting strength/100 when it agrees with
//!   the signal's direction and 0 otherwise.

use crate::analysis::composite::{CompositeSignals, Direction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Wins and losses of each signal type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HitRates {
    counts: BTreeMap<String, (u64, u64)>,
}

impl HitRates {
    /// Records a closed trade of `kind`.
    pub fn record(&mut self, kind: &str, won: bool) {
        let e = self.counts.entry(kind.to_owned()).or_default();
        if won {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }

    /// The posterior mean hit rate of `kind`.
    #[must_use]
    pub fn rate(&self, kind: &str) -> f64 {
        let (w, l) = self.counts.get(kind).copied().unwrap_or_default();
        (w as f64 + 1.0) / ((w + l) as f64 + 2.0)
    }
}

/// The four parts and their mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    /// Hit rate of the signal type.
    pub statistical: f64,
    /// Agreement of the other selected symbols.
    pub cross_asset: f64,
    /// Volume confirmation.
    pub volume: f64,
    /// Multi-timeframe alignment.
    pub timeframes: f64,
    /// Their mean.
    pub value: f64,
}

/// Confidence of a signal pointing `dir` (+1 long, −1 short).
#[must_use]
pub fn confidence(
    dir: f64,
    hit_rate: f64,
    other_scores: &[f64],
    volume_score: f64,
    s: &CompositeSignals,
) -> Confidence {
    let cross_asset = if other_scores.is_empty() {
        0.5
    } else {
        other_scores.iter().filter(|&&o| o * dir > 0.0).count() as f64 / other_scores.len() as f64
    };
    let volume = if volume_score.is_finite() {
        (volume_score / 50.0).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let agree = |d: Direction, strength: f64| {
        if d.sign() * dir > 0.0 && strength.is_finite() {
            (strength / 100.0).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    let timeframes = 0.5
        * (agree(s.rsi_convergence.direction, s.rsi_convergence.strength)
            + agree(
                s.supertrend_confluence.direction,
                s.supertrend_confluence.strength,
            ));
    let statistical = hit_rate.clamp(0.0, 1.0);
    Confidence {
        statistical,
        cross_asset,
        volume,
        timeframes,
        value: (statistical + cross_asset + volume + timeframes) / 4.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::composite::Reading;

    #[test]
    fn hit_rates_start_neutral_and_learn() {
        let mut h = HitRates::default();
        assert_eq!(h.rate("breakout"), 0.5);
        for won in [true, true, true, false] {
            h.record("breakout", won);
        }
        assert!((h.rate("breakout") - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(h.rate("other"), 0.5);
    }

    #[test]
    fn confirmations_count_only_when_they_agree() {
        let s = CompositeSignals {
            rsi_convergence: Reading {
                direction: Direction::Bullish,
                strength: 60.0,
            },
            supertrend_confluence: Reading {
                direction: Direction::Bearish,
                strength: 100.0,
            },
            ..CompositeSignals::default()
        };
        let long = confidence(1.0, 0.6, &[0.3, -0.2, 0.1, 0.4], 75.0, &s);
        assert_eq!(long.cross_asset, 0.75);
        assert_eq!(long.volume, 1.0);
        assert!((long.timeframes - 0.3).abs() < 1e-12);
        assert!((long.value - (0.6 + 0.75 + 1.0 + 0.3) / 4.0).abs() < 1e-12);
        let short = confidence(-1.0, 0.6, &[], 25.0, &s);
        assert_eq!(short.cross_asset, 0.5);
        assert_eq!(short.volume, 0.5);
        assert!((short.timeframes - 0.5).abs() < 1e-12);
        assert!((0.0..=1.0).contains(&short.value));
    }
}

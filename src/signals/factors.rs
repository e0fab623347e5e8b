//! The multi-factor score. Every factor is directional evidence in
//! [−1, 1] (positive: long); the score is their weighted sum with the
//! seed's weights, so it is in [−1, 1] too, its sign the direction and its
//! magnitude the strength.
//!
//! - Technical (indicator alignment): the mean of the four composite
//!   readings — RSI convergence, Supertrend confluence (each direction ×
//!   strength/100), momentum convergence (already in [−1, 1]) and market
//!   structure (direction × confidence; ranging counts 0).
//! - Fundamental (volume, momentum, volatility): the direction of price
//!   velocity times the mean of the momentum and volume scores (0–100,
//!   /100), damped by volatility: × (1 − 0.5·volatility score/100), since a
//!   move in a very volatile market says less.
//! - Sentiment (no news feed): 0.4·contrarian funding, −tanh(funding rate /
//!   0.0005) (crowded longs pay shorts), + 0.3·open-interest confirmation,
//!   tanh(OI change / 5%)·sign(price change), + 0.3·taker flow, 2·taker-buy
//!   ratio − 1.
//! - Microstructure: 0.5·book imbalance (bid − ask size)/(bid + ask size) +
//!   0.5·trade-flow imbalance (buy − sell volume)/(total), scaled by the
//!   spread's quality, 1 − spread/max_spread clamped to [0, 1] (a wide book
//!   makes both less telling).
//!
//! Undefined inputs (NaN) count as no evidence (0).

use crate::analysis::composite::{CompositeSignals, Structure};
use crate::selection::score::Components;
use serde::{Deserialize, Serialize};

/// The seed's factor weights.
pub const WEIGHTS: FactorWeights = FactorWeights {
    technical: 0.40,
    fundamental: 0.30,
    sentiment: 0.15,
    microstructure: 0.15,
};

/// Weights of the four factors; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FactorWeights {
    /// Indicator alignment.
    pub technical: f64,
    /// Volume, momentum, volatility.
    pub fundamental: f64,
    /// Funding, open interest, taker flow.
    pub sentiment: f64,
    /// Book and trade-flow imbalance, spread.
    pub microstructure: f64,
}

/// The market inputs beyond the symbol's analysis. Two are equal when
/// every input is the same number or unknown (NaN) in both: NaN stands for
/// "no evidence" here, and the same inputs must compare equal (replays are
/// checked for sameness).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct MarketInputs {
    /// Price velocity (momentum, signed fraction).
    pub velocity: f64,
    /// Latest funding rate (0.0001 = 0.01%).
    pub funding_rate: f64,
    /// Open-interest change over the recent window, fraction.
    pub oi_change: f64,
    /// Price change over the same window, fraction.
    pub price_change: f64,
    /// Taker-buy volume over volume, recent window.
    pub taker_buy_ratio: f64,
    /// Best bid size.
    pub bid_size: f64,
    /// Best ask size.
    pub ask_size: f64,
    /// Buy minus sell traded volume over total, recent trades.
    pub trade_flow_imbalance: f64,
    /// Relative spread, (ask − bid)/mid.
    pub spread: f64,
    /// The screen's spread limit (the quality scale).
    pub max_spread: f64,
}

impl PartialEq for MarketInputs {
    fn eq(&self, o: &Self) -> bool {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        same(self.velocity, o.velocity)
            && same(self.funding_rate, o.funding_rate)
            && same(self.oi_change, o.oi_change)
            && same(self.price_change, o.price_change)
            && same(self.taker_buy_ratio, o.taker_buy_ratio)
            && same(self.bid_size, o.bid_size)
            && same(self.ask_size, o.ask_size)
            && same(self.trade_flow_imbalance, o.trade_flow_imbalance)
            && same(self.spread, o.spread)
            && same(self.max_spread, o.max_spread)
    }
}

impl MarketInputs {
    /// Every input unknown (NaN: no evidence), the spread scale included.
    #[must_use]
    pub fn unknown() -> Self {
        Self {
            velocity: f64::NAN,
            funding_rate: f64::NAN,
            oi_change: f64::NAN,
            price_change: f64::NAN,
            taker_buy_ratio: f64::NAN,
            bid_size: f64::NAN,
            ask_size: f64::NAN,
            trade_flow_imbalance: f64::NAN,
            spread: f64::NAN,
            max_spread: f64::NAN,
        }
    }
}

/// The four factors and the score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FactorScore {
    /// Technical factor.
    pub technical: f64,
    /// Fundamental factor.
    pub fundamental: f64,
    /// Sentiment factor.
    pub sentiment: f64,
    /// Microstructure factor.
    pub microstructure: f64,
    /// Weighted sum, in [−1, 1].
    pub score: f64,
}

fn z(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The technical factor from the composite signals.
#[must_use]
pub fn technical(s: &CompositeSignals) -> f64 {
    let structure = match s.market_structure.structure {
        Structure::Trending(d) | Structure::Breakout(d) => d.sign() * s.market_structure.confidence,
        Structure::Ranging => 0.0,
    };
    let parts = [
        s.rsi_convergence.direction.sign() * z(s.rsi_convergence.strength) / 100.0,
        s.supertrend_confluence.direction.sign() * z(s.supertrend_confluence.strength) / 100.0,
        z(s.momentum_convergence),
        z(structure),
    ];
    (parts.iter().sum::<f64>() / 4.0).clamp(-1.0, 1.0)
}

/// The fundamental factor from the score components and the velocity.
#[must_use]
pub fn fundamental(c: &Components, velocity: f64) -> f64 {
    let strength = (z(c.momentum) + z(c.volume)) / 200.0;
    let damp = 1.0 - 0.5 * z(c.volatility).clamp(0.0, 100.0) / 100.0;
    (sign(z(velocity)) * strength * damp).clamp(-1.0, 1.0)
}

/// The sentiment factor.
#[must_use]
pub fn sentiment(m: &MarketInputs) -> f64 {
    let funding = -(z(m.funding_rate) / 0.0005).tanh();
    let oi = (z(m.oi_change) / 0.05).tanh() * sign(z(m.price_change));
    let flow = if m.taker_buy_ratio.is_finite() {
        (2.0 * m.taker_buy_ratio - 1.0).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    (0.4 * funding + 0.3 * oi + 0.3 * flow).clamp(-1.0, 1.0)
}

/// The microstructure factor.
#[must_use]
pub fn microstructure(m: &MarketInputs) -> f64 {
    let depth = z(m.bid_size) + z(m.ask_size);
    let book = if depth > 0.0 {
        (z(m.bid_size) - z(m.ask_size)) / depth
    } else {
        0.0
    };
    let quality = if m.max_spread > 0.0 && m.spread.is_finite() {
        (1.0 - m.spread / m.max_spread).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((0.5 * book + 0.5 * z(m.trade_flow_imbalance).clamp(-1.0, 1.0)) * quality).clamp(-1.0, 1.0)
}

/// All four factors and their weighted score.
#[must_use]
pub fn score(
    s: &CompositeSignals,
    c: &Components,
    m: &MarketInputs,
    w: &FactorWeights,
) -> FactorScore {
    let (t, f, se, mi) = (
        technical(s),
        fundamental(c, m.velocity),
        sentiment(m),
        microstructure(m),
    );
    FactorScore {
        technical: t,
        fundamental: f,
        sentiment: se,
        microstructure: mi,
        score: w.technical * t + w.fundamental * f + w.sentiment * se + w.microstructure * mi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::composite::{Direction, MarketStructure, Reading};
    use proptest::prelude::*;

    fn bullish() -> (CompositeSignals, Components, MarketInputs) {
        let up = Reading {
            direction: Direction::Bullish,
            strength: 80.0,
        };
        let s = CompositeSignals {
            rsi_convergence: up,
            supertrend_confluence: Reading {
                direction: Direction::Bullish,
                strength: 100.0,
            },
            market_structure: MarketStructure {
                structure: Structure::Trending(Direction::Bullish),
                confidence: 0.9,
            },
            momentum_convergence: 1.0,
            momentum: up,
            ..CompositeSignals::default()
        };
        let c = Components {
            volatility: 20.0,
            momentum: 80.0,
            volume: 70.0,
            trend: 30.0,
        };
        let m = MarketInputs {
            velocity: 0.01,
            funding_rate: -0.0002,
            oi_change: 0.04,
            price_change: 0.02,
            taker_buy_ratio: 0.6,
            bid_size: 30.0,
            ask_size: 10.0,
            trade_flow_imbalance: 0.3,
            spread: 0.0001,
            max_spread: 0.0005,
        };
        (s, c, m)
    }

    #[test]
    fn a_bullish_setup_scores_long_and_its_mirror_short() {
        let (s, c, m) = bullish();
        let f = score(&s, &c, &m, &WEIGHTS);
        assert!(
            f.technical > 0.8 && f.fundamental > 0.5 && f.sentiment > 0.3 && f.microstructure > 0.3,
            "{f:?}"
        );
        assert!(f.score > 0.5);
        let mut m2 = m;
        m2.velocity = -0.01;
        assert!(fundamental(&c, m2.velocity) < 0.0);
        assert!(
            (WEIGHTS.technical + WEIGHTS.fundamental + WEIGHTS.sentiment + WEIGHTS.microstructure
                - 1.0)
                .abs()
                < 1e-12
        );
        let empty = score(
            &CompositeSignals::default(),
            &c,
            &MarketInputs::unknown(),
            &WEIGHTS,
        );
        assert_eq!(empty.score, 0.0, "no evidence, no score");
        assert_eq!(MarketInputs::unknown(), MarketInputs::unknown());
        assert_ne!(m, m2);
        m2.velocity = f64::NAN;
        assert_ne!(m, m2, "unknown is not a number");
    }

    proptest! {
        #[test]
        fn every_factor_and_the_score_stay_in_range(
            vel in -1.0f64..1.0, fr in -0.01f64..0.01, oi in -1.0f64..1.0, pc in -1.0f64..1.0,
            tb in 0.0f64..1.0, bid in 0.0f64..1e6, ask in 0.0f64..1e6, tf in -2.0f64..2.0,
            sp in 0.0f64..0.01, vol in 0.0f64..100.0, mo in 0.0f64..100.0, vu in 0.0f64..100.0,
        ) {
            let (s, _, _) = bullish();
            let c = Components { volatility: vol, momentum: mo, volume: vu, trend: 0.0 };
            let m = MarketInputs { velocity: vel, funding_rate: fr, oi_change: oi, price_change: pc,
                taker_buy_ratio: tb, bid_size: bid, ask_size: ask, trade_flow_imbalance: tf,
                spread: sp, max_spread: 0.0005 };
            let f = score(&s, &c, &m, &WEIGHTS);
            for v in [f.technical, f.fundamental, f.sentiment, f.microstructure, f.score] {
                prop_assert!((-1.0..=1.0).contains(&v), "{f:?}");
            }
        }
    }
}

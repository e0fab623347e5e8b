//! Composite signals: several indicators, or several timeframes, read
//! together. Each function is pure and documents its exact rule.

use serde::{Deserialize, Serialize};

/// A direction call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// Up.
    Bullish,
    /// Down.
    Bearish,
    /// No agreement.
    Neutral,
}

impl Direction {
    /// +1, −1 or 0.
    #[must_use]
    pub fn sign(self) -> f64 {
        match self {
            Self::Bullish => 1.0,
            Self::Bearish => -1.0,
            Self::Neutral => 0.0,
        }
    }
}

/// A direction with a 0–100 strength.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Where the signal points.
    pub direction: Direction,
    /// How strongly, 0–100 (0 when neutral).
    pub strength: f64,
}

impl Reading {
    const NEUTRAL: Reading = Reading {
        direction: Direction::Neutral,
        strength: 0.0,
    };
}

/// Multi-timeframe RSI convergence over RSI values of several timeframes
/// (NaN = not yet defined). Needs at least three defined values. Bullish
/// when every defined RSI is above 50, bearish when every one is below;
/// strength = mean |RSI − 50|·2, so all at 75 (or 25) scores 50. Otherwise
/// neutral.
#[must_use]
pub fn rsi_convergence(rsis: &[f64]) -> Reading {
    let defined: Vec<f64> = rsis.iter().copied().filter(|v| !v.is_nan()).collect();
    if defined.len() < 3 {
        return Reading::NEUTRAL;
    }
    let direction = if defined.iter().all(|&r| r > 50.0) {
        Direction::Bullish
    } else if defined.iter().all(|&r| r < 50.0) {
        Direction::Bearish
    } else {
        return Reading::NEUTRAL;
    };
    let strength =
        defined.iter().map(|r| (r - 50.0).abs() * 2.0).sum::<f64>() / defined.len() as f64;
    Reading {
        direction,
        strength,
    }
}

/// Supertrend confluence over the 5m, 15m and 1h directions (±1; NaN = not
/// defined). Bullish or bearish only when all three are defined and agree
/// (strength 100); two of three agreeing gives that direction at strength
/// 33; anything else is neutral.
#[must_use]
pub fn supertrend_confluence(dirs: [f64; 3]) -> Reading {
    if dirs.iter().any(|d| d.is_nan()) {
        return Reading::NEUTRAL;
    }
    let sum: f64 = dirs.iter().map(|d| d.signum()).sum();
    let direction = match sum {
        s if s > 0.0 => Direction::Bullish,
        s if s < 0.0 => Direction::Bearish,
        _ => Direction::Neutral,
    };
    let strength = if sum.abs() >= 3.0 { 100.0 } else { 100.0 / 3.0 };
    Reading {
        direction,
        strength,
    }
}

/// What the market structure looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Structure {
    /// Higher highs and higher lows (or lower and lower).
    Trending(Direction),
    /// Price escaped the last swing range.
    Breakout(Direction),
    /// Neither.
    Ranging,
}

/// Market structure with its confidence (0–1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarketStructure {
    /// The structure.
    pub structure: Structure,
    /// Confidence, 0–1.
    pub confidence: f64,
}

/// Market structure index from the last two swing highs and lows (older
/// first), the close and ADX.
///
/// Rules, first match wins:
/// 1. Breakout: close above the latest swing high (or below the latest swing
///    low); confidence = min(1, ADX / 40).
/// 2. Trending: both swings rising (higher high and higher low) or both
///    falling; confidence = 0.5 + 0.5·min(1, ADX / 40).
/// 3. Ranging: otherwise; confidence = 1 − min(1, ADX / 40).
///
/// With fewer than two swings of each kind: ranging at confidence 0.
#[must_use]
pub fn market_structure(highs: &[f64], lows: &[f64], close: f64, adx: f64) -> MarketStructure {
    let strength = if adx.is_nan() {
        0.0
    } else {
        (adx / 40.0).clamp(0.0, 1.0)
    };
    let (Some(&[h0, h1]), Some(&[l0, l1])) = (last_two(highs), last_two(lows)) else {
        return MarketStructure {
            structure: Structure::Ranging,
            confidence: 0.0,
        };
    };
    let (structure, confidence) = if close > h1 {
        (Structure::Breakout(Direction::Bullish), strength)
    } else if close < l1 {
        (Structure::Breakout(Direction::Bearish), strength)
    } else if h1 > h0 && l1 > l0 {
        (
            Structure::Trending(Direction::Bullish),
            0.5 + 0.5 * strength,
        )
    } else if h1 < h0 && l1 < l0 {
        (
            Structure::Trending(Direction::Bearish),
            0.5 + 0.5 * strength,
        )
    } else {
        (Structure::Ranging, 1.0 - strength)
    };
    MarketStructure {
        structure,
        confidence,
    }
}

fn last_two(v: &[f64]) -> Option<&[f64; 2]> {
    v.len().checked_sub(2).and_then(|i| v[i..].try_into().ok())
}

/// Momentum convergence across oscillators, each given as a signed reading
/// around its neutral point (e.g. RSI − 50, StochRSI %K − 50, MACD
/// histogram, rate of change); NaN entries are ignored. The score is the
/// mean of their signs, in [−1, 1]: +1 when all point up. Direction needs a
/// score of at least ±0.5 (three of four agreeing); strength = |score|·100.
#[must_use]
pub fn momentum_convergence(readings: &[f64]) -> (f64, Reading) {
    let signs: Vec<f64> = readings
        .iter()
        .filter(|v| !v.is_nan())
        .map(|&v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        })
        .collect();
    if signs.is_empty() {
        return (0.0, Reading::NEUTRAL);
    }
    let score = signs.iter().sum::<f64>() / signs.len() as f64;
    let direction = if score >= 0.5 {
        Direction::Bullish
    } else if score <= -0.5 {
        Direction::Bearish
    } else {
        Direction::Neutral
    };
    let strength = if direction == Direction::Neutral {
        0.0
    } else {
        score.abs() * 100.0
    };
    (
        score,
        Reading {
            direction,
            strength,
        },
    )
}

/// A volatility-breakout call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VolatilityBreakout {
    /// Breakout probability from the fitted model, 0–1.
    pub probability: f64,
    /// Expected direction: toward the nearer of resistance (up) or support
    /// (down), in units of ATR; ties (or neither known) follow momentum.
    pub direction: Direction,
    /// Horizon of the probability, in minutes (the model's label horizon
    /// times the timeframe).
    pub horizon_minutes: u32,
}

/// Builds the volatility-breakout call from the model's probability, the
/// distances (in ATRs) to support and resistance and a momentum sign.
#[must_use]
pub fn volatility_breakout(
    probability: f64,
    support_distance_atr: f64,
    resistance_distance_atr: f64,
    momentum: f64,
    horizon_minutes: u32,
) -> VolatilityBreakout {
    let direction = if resistance_distance_atr < support_distance_atr {
        Direction::Bullish
    } else if support_distance_atr < resistance_distance_atr {
        Direction::Bearish
    } else if momentum > 0.0 {
        Direction::Bullish
    } else if momentum < 0.0 {
        Direction::Bearish
    } else {
        Direction::Neutral
    };
    VolatilityBreakout {
        probability,
        direction,
        horizon_minutes,
    }
}

/// Smart-money index in [−1, 1] from taker flow and the A/D line.
///
/// `taker_buy_ratio` is taker-buy volume over volume for the recent window
/// (0.5 = balanced; NaN when there was no volume); `ad_slope_z` is the A/D
/// line's recent slope divided by its typical absolute change (a z-like
/// number). SMI = 0.5·(2·ratio − 1) + 0.5·tanh(ad_slope_z): aggressive buying
/// confirmed by accumulation reads near +1. A NaN input counts as neutral.
#[must_use]
pub fn smart_money_index(taker_buy_ratio: f64, ad_slope_z: f64) -> f64 {
    let flow = if taker_buy_ratio.is_nan() {
        0.0
    } else {
        (2.0 * taker_buy_ratio - 1.0).clamp(-1.0, 1.0)
    };
    let ad = if ad_slope_z.is_nan() {
        0.0
    } else {
        ad_slope_z.tanh()
    };
    0.5 * flow + 0.5 * ad
}

/// Every composite signal of one symbol at one closed 1m candle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompositeSignals {
    /// [`rsi_convergence`] over the RSI(14) of 1m, 5m, 15m and 1h.
    pub rsi_convergence: Reading,
    /// [`supertrend_confluence`] over the 5m, 15m and 1h Supertrend.
    pub supertrend_confluence: Reading,
    /// [`market_structure`] from the 5m swing pivots, close and ADX.
    pub market_structure: MarketStructure,
    /// [`momentum_convergence`] score over the 5m RSI − 50, StochRSI %K − 50,
    /// MACD histogram, %R + 50 and CCI.
    pub momentum_convergence: f64,
    /// Its direction and strength.
    pub momentum: Reading,
    /// [`volatility_breakout`] from the 5m breakout model (None until the
    /// 5m ATR and Bollinger width are defined).
    pub volatility_breakout: Option<VolatilityBreakout>,
    /// [`smart_money_index`] from the last 20 1m candles' taker flow and A/D.
    pub smart_money: f64,
}

impl Default for CompositeSignals {
    fn default() -> Self {
        Self {
            rsi_convergence: Reading::NEUTRAL,
            supertrend_confluence: Reading::NEUTRAL,
            market_structure: MarketStructure {
                structure: Structure::Ranging,
                confidence: 0.0,
            },
            momentum_convergence: 0.0,
            momentum: Reading::NEUTRAL,
            volatility_breakout: None,
            smart_money: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rsi_convergence_needs_agreement() {
        let r = rsi_convergence(&[75.0, 75.0, 75.0, f64::NAN]);
        assert_eq!(r.direction, Direction::Bullish);
        assert_eq!(r.strength, 50.0);
        assert_eq!(
            rsi_convergence(&[60.0, 40.0, 70.0]).direction,
            Direction::Neutral
        );
        assert_eq!(
            rsi_convergence(&[30.0, 20.0, f64::NAN]).direction,
            Direction::Neutral
        );
        assert_eq!(
            rsi_convergence(&[30.0, 20.0, 45.0]).direction,
            Direction::Bearish
        );
    }

    #[test]
    fn supertrend_confluence_levels() {
        assert_eq!(supertrend_confluence([1.0, 1.0, 1.0]).strength, 100.0);
        let two = supertrend_confluence([1.0, -1.0, -1.0]);
        assert_eq!(two.direction, Direction::Bearish);
        assert!((two.strength - 33.333).abs() < 0.01);
        assert_eq!(
            supertrend_confluence([1.0, f64::NAN, 1.0]).direction,
            Direction::Neutral
        );
    }

    #[test]
    fn structure_rules_in_order() {
        let up = market_structure(&[10.0, 11.0], &[8.0, 9.0], 10.5, 40.0);
        assert_eq!(up.structure, Structure::Trending(Direction::Bullish));
        assert_eq!(up.confidence, 1.0);
        let brk = market_structure(&[10.0, 11.0], &[8.0, 9.0], 11.5, 20.0);
        assert_eq!(brk.structure, Structure::Breakout(Direction::Bullish));
        assert_eq!(brk.confidence, 0.5);
        let range = market_structure(&[11.0, 10.0], &[8.0, 9.0], 9.5, 10.0);
        assert_eq!(range.structure, Structure::Ranging);
        assert_eq!(market_structure(&[1.0], &[0.5], 0.7, 30.0).confidence, 0.0);
    }

    #[test]
    fn momentum_and_breakout_directions() {
        let (score, r) = momentum_convergence(&[5.0, 10.0, 0.2, -1.0]);
        assert_eq!(score, 0.5);
        assert_eq!(r.direction, Direction::Bullish);
        assert_eq!(momentum_convergence(&[]).1.direction, Direction::Neutral);
        assert_eq!(
            volatility_breakout(0.7, 3.0, 1.0, -1.0, 60).direction,
            Direction::Bullish
        );
        assert_eq!(
            volatility_breakout(0.7, 10.0, 10.0, -1.0, 60).direction,
            Direction::Bearish
        );
    }

    proptest! {
        #[test]
        fn smi_is_bounded(ratio in 0f64..1.0, z in -100f64..100.0) {
            let s = smart_money_index(ratio, z);
            prop_assert!((-1.0..=1.0).contains(&s));
        }

        #[test]
        fn convergence_strength_bounded(v in prop::collection::vec(0f64..100.0, 0..6)) {
            let r = rsi_convergence(&v);
            prop_assert!((0.0..=100.0).contains(&r.strength));
        }
    }
}

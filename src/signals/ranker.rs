//! The ranker's five steps, for the selected symbols:
//!
//! 1. multi-factor score s ∈ [−1, 1] ([`super::factors`]);
//! 2. confidence adjustment: s · confidence ([`super::confidence`]);
//! 3. risk adjustment: · 1/(1 + max_drawdown/`drawdown_scale`), the symbol's
//!    recent maximum drawdown (a symbol that fell 10% in the window, with
//!    the default scale of 10%, counts half);
//! 4. market-condition adaptation: a long in a BEAR market or a short in a
//!    BULL one × `counter_trend`; HIGH volatility × `high_volatility`; HIGH
//!    correlation × `high_correlation`; STRESSED liquidity × `stressed`;
//! 5. final ranking: by |adjusted score|, strongest first; those at or
//!    above `min_strength` are entry signals, long when positive.
//!
//! Each step's value is kept on the signal, so an entry event carries every
//! input that produced it.

use super::conditions::{Conditions, CorrelationRegime, Liquidity, Trend, Volatility};
use super::confidence::Confidence;
use super::factors::{FactorScore, MarketInputs};
use crate::market::Symbol;
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};

/// Risk-adjusted estimates from a symbol's recent 1m returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskEstimates {
    /// Mean return per period × the horizon (periods).
    pub expected_return: f64,
    /// Largest peak-to-trough fall of the compounded returns, fraction.
    pub max_drawdown: f64,
    /// Mean / standard deviation, annualised (× √periods per year).
    pub sharpe: f64,
    /// Mean / standard deviation of the returns in excess of the market's,
    /// annualised.
    pub information_ratio: f64,
}

/// 1m periods in a year.
const MINUTES_PER_YEAR: f64 = 525_600.0;

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.len() < 2 {
        return (v.first().copied().unwrap_or(0.0), 0.0);
    }
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// The estimates of `returns` against `market` (aligned, newest last; the
/// shorter sets the window) over `horizon` periods.
#[must_use]
pub fn estimates(returns: &[f64], market: &[f64], horizon: f64) -> RiskEstimates {
    let (mean, std) = mean_std(returns);
    let (mut equity, mut peak, mut dd) = (1.0f64, 1.0f64, 0.0f64);
    for r in returns {
        equity *= 1.0 + r;
        peak = peak.max(equity);
        dd = dd.max(1.0 - equity / peak);
    }
    let n = returns.len().min(market.len());
    let excess: Vec<f64> = (0..n)
        .map(|i| returns[returns.len() - n + i] - market[market.len() - n + i])
        .collect();
    let (em, es) = mean_std(&excess);
    let ratio = |m: f64, s: f64| {
        if s > 0.0 {
            m / s * MINUTES_PER_YEAR.sqrt()
        } else {
            0.0
        }
    };
    RiskEstimates {
        expected_return: mean * horizon,
        max_drawdown: dd,
        sharpe: ratio(mean, std),
        information_ratio: ratio(em, es),
    }
}

/// Knobs of steps 3–5; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankerConfig {
    /// Drawdown that halves a score.
    pub drawdown_scale: f64,
    /// Factor for a signal against the market's trend.
    pub counter_trend: f64,
    /// Factor in HIGH volatility.
    pub high_volatility: f64,
    /// Factor in HIGH correlation.
    pub high_correlation: f64,
    /// Factor in STRESSED liquidity.
    pub stressed: f64,
    /// |adjusted score| an entry needs.
    pub min_strength: f64,
}

impl Default for RankerConfig {
    fn default() -> Self {
        Self {
            drawdown_scale: 0.10,
            counter_trend: 0.5,
            high_volatility: 0.75,
            high_correlation: 0.8,
            stressed: 0.5,
            min_strength: 0.15,
        }
    }
}

/// One symbol's inputs to the ranker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Symbol.
    pub symbol: Symbol,
    /// Step 1.
    pub factors: FactorScore,
    /// The market inputs step 1 read (an entry signal carries them).
    pub inputs: MarketInputs,
    /// Step 2's confidence.
    pub confidence: Confidence,
    /// Step 3's estimates.
    pub risk: RiskEstimates,
}

/// A ranked signal with every step's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedSignal {
    /// The candidate it came from.
    pub candidate: Candidate,
    /// After step 2.
    pub confidence_adjusted: f64,
    /// After step 3.
    pub risk_adjusted: f64,
    /// After step 4: the final score.
    pub adjusted: f64,
    /// Direction, when the signal is an entry.
    pub entry: Option<PositionSide>,
    /// The market conditions step 4 adapted to.
    pub conditions: Conditions,
}

/// Steps 2–5 over the candidates under `conditions`.
#[must_use]
pub fn rank(
    candidates: Vec<Candidate>,
    conditions: &Conditions,
    cfg: &RankerConfig,
) -> Vec<RankedSignal> {
    let mut out: Vec<RankedSignal> = candidates
        .into_iter()
        .map(|c| {
            let s = c.factors.score;
            let confidence_adjusted = s * c.confidence.value;
            let risk_adjusted =
                confidence_adjusted / (1.0 + c.risk.max_drawdown.max(0.0) / cfg.drawdown_scale);
            let mut f = 1.0;
            let against = match conditions.trend {
                Trend::Bull => s < 0.0,
                Trend::Bear => s > 0.0,
                Trend::Sideways => false,
            };
            if against {
                f *= cfg.counter_trend;
            }
            if conditions.volatility == Volatility::High {
                f *= cfg.high_volatility;
            }
            if conditions.correlation == CorrelationRegime::High {
                f *= cfg.high_correlation;
            }
            if conditions.liquidity == Liquidity::Stressed {
                f *= cfg.stressed;
            }
            let adjusted = risk_adjusted * f;
            let entry = (adjusted.abs() >= cfg.min_strength).then_some(if adjusted > 0.0 {
                PositionSide::Long
            } else {
                PositionSide::Short
            });
            RankedSignal {
                candidate: c,
                confidence_adjusted,
                risk_adjusted,
                adjusted,
                entry,
                conditions: *conditions,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.adjusted
            .abs()
            .total_cmp(&a.adjusted.abs())
            .then_with(|| a.candidate.symbol.cmp(&b.candidate.symbol))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn candidate(sym: &str, score: f64, conf: f64, dd: f64) -> Candidate {
        Candidate {
            symbol: Symbol::new(sym).unwrap(),
            factors: FactorScore {
                technical: score,
                fundamental: score,
                sentiment: score,
                microstructure: score,
                score,
            },
            inputs: MarketInputs::unknown(),
            confidence: Confidence {
                statistical: conf,
                cross_asset: conf,
                volume: conf,
                timeframes: conf,
                value: conf,
            },
            risk: RiskEstimates {
                expected_return: 0.0,
                max_drawdown: dd,
                sharpe: 0.0,
                information_ratio: 0.0,
            },
        }
    }

    const CALM: Conditions = Conditions {
        trend: Trend::Sideways,
        volatility: Volatility::Medium,
        correlation: CorrelationRegime::Normal,
        liquidity: Liquidity::Normal,
    };

    #[test]
    fn the_five_steps() {
        let cfg = RankerConfig::default();
        let r = rank(
            vec![
                candidate("AUSDT", 0.6, 0.5, 0.10),
                candidate("BUSDT", -0.8, 0.9, 0.0),
                candidate("CUSDT", 0.2, 0.5, 0.0),
            ],
            &CALM,
            &cfg,
        );
        assert_eq!(r[0].candidate.symbol.as_str(), "BUSDT");
        assert!((r[0].adjusted + 0.72).abs() < 1e-12);
        assert_eq!(r[0].entry, Some(PositionSide::Short));
        assert!((r[1].confidence_adjusted - 0.3).abs() < 1e-12);
        assert!(
            (r[1].risk_adjusted - 0.15).abs() < 1e-12,
            "10% drawdown halves"
        );
        assert_eq!(r[1].entry, Some(PositionSide::Long));
        assert_eq!(r[2].entry, None, "0.1 is below the entry strength");
        let bear = Conditions {
            trend: Trend::Bear,
            liquidity: Liquidity::Stressed,
            ..CALM
        };
        let r = rank(
            vec![
                candidate("AUSDT", 0.6, 1.0, 0.0),
                candidate("BUSDT", -0.6, 1.0, 0.0),
            ],
            &bear,
            &cfg,
        );
        assert_eq!(
            r[0].candidate.symbol.as_str(),
            "BUSDT",
            "shorts lead in a bear market"
        );
        assert!((r[1].adjusted - 0.15).abs() < 1e-12);
    }

    #[test]
    fn estimates_of_a_known_series() {
        let r = [0.1, -0.5, 0.2];
        let e = estimates(&r, &[0.0, 0.0, 0.0], 10.0);
        assert!((e.max_drawdown - 0.5).abs() < 1e-12);
        assert!((e.expected_return - (-0.2 / 3.0) * 10.0).abs() < 1e-12);
        assert!(e.sharpe < 0.0);
        assert!(
            (e.sharpe - e.information_ratio).abs() < 1e-9,
            "no market move: IR = Sharpe"
        );
    }

    proptest! {
        #[test]
        fn adjustments_never_flip_or_amplify(
            score in -1.0f64..1.0, conf in 0.0f64..1.0, dd in 0.0f64..1.0,
            bull in any::<bool>(), high in any::<bool>(),
        ) {
            let cond = Conditions {
                trend: if bull { Trend::Bull } else { Trend::Bear },
                volatility: if high { Volatility::High } else { Volatility::Low },
                ..CALM
            };
            let r = &rank(vec![candidate("AUSDT", score, conf, dd)], &cond, &RankerConfig::default())[0];
            prop_assert!(r.adjusted.abs() <= score.abs() + 1e-15);
            prop_assert!(r.adjusted * score >= 0.0);
            if let Some(side) = r.entry {
                prop_assert!(side.sign() * score > 0.0);
            }
        }
    }
}

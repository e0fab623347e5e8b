//! The signal desk: from a selection to ranked signals. Multi-factor score
//! per selected symbol, confidence (the signal type's own hit rate, tracked
//! online from closed positions), risk estimates, market conditions and
//! the ranker's five steps ([`crate::signals`]). The market inputs are the
//! symbol's own ([`SymbolScore::inputs`]: taker flow, book, funding, open
//! interest) with the velocity of the returns the desk is given; every
//! ranked signal carries them. The SignalActor is its shell.

use crate::analysis::composite::CompositeSignals;
use crate::events::signal::SymbolScore;
use crate::market::Symbol;
use crate::signals::conditions::{ConditionsConfig, MarketSnapshot, classify};
use crate::signals::confidence::{HitRates, confidence};
use crate::signals::factors::{MarketInputs, WEIGHTS, score as factor_score};
use crate::signals::ranker::{Candidate, RankedSignal, RankerConfig, estimates, rank};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The signal type whose hit rate the confidence uses.
pub const SIGNAL_KIND: &str = "multi_factor";

/// One selection, as the desk sees it.
pub struct SignalInput<'a> {
    /// The latest score of every universe symbol.
    pub scores: &'a BTreeMap<Symbol, SymbolScore>,
    /// The selection, best first.
    pub top: &'a [Symbol],
    /// Recent 1m simple returns per symbol, oldest first.
    pub returns: &'a BTreeMap<Symbol, &'a [f64]>,
    /// Correlation of two symbols' returns, when known.
    pub correlation: &'a dyn Fn(&Symbol, &Symbol) -> Option<f64>,
}

/// The desk's knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalDeskConfig {
    /// Ranker steps 3–5.
    pub ranker: RankerConfig,
    /// Market-condition thresholds.
    pub conditions: ConditionsConfig,
    /// Horizon of the expected-return estimate, minutes.
    pub estimate_horizon_minutes: f64,
}

/// Selections the usual spread level averages over (an exponential
/// average: about an hour of minutes).
const SPREAD_LEVEL_SELECTIONS: f64 = 60.0;

/// The desk's state: the online hit rates and the usual spread level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalDesk {
    cfg: SignalDeskConfig,
    hits: HitRates,
    /// Exponential average of the universe's median spread over past
    /// selections: the "usual" level liquidity is judged against.
    spread_level: Option<f64>,
}

impl SignalDesk {
    /// A desk with no history.
    #[must_use]
    pub fn new(cfg: SignalDeskConfig) -> Self {
        Self {
            cfg,
            hits: HitRates::default(),
            spread_level: None,
        }
    }

    /// A closed position's outcome (a win when its net PnL was positive).
    pub fn record_outcome(&mut self, net_pnl: f64) {
        self.hits.record(SIGNAL_KIND, net_pnl > 0.0);
    }

    /// Ranks the selection: every selected symbol with a score becomes a
    /// ranked signal (an entry or not), best first. Liquidity is STRESSED
    /// when the universe's median spread now is a multiple of its usual
    /// level (the average over past selections, which this one updates).
    #[must_use]
    pub fn rank(&mut self, m: &SignalInput<'_>) -> Vec<RankedSignal> {
        let market = mean_returns(m.returns);
        let mut abs_rho = Vec::new();
        for (i, a) in m.top.iter().enumerate() {
            for b in &m.top[i + 1..] {
                if let Some(r) = (m.correlation)(a, b) {
                    abs_rho.push(r.abs());
                }
            }
        }
        let vols: Vec<f64> = m
            .scores
            .values()
            .map(|s| s.components.volatility)
            .filter(|v| v.is_finite())
            .collect();
        let spread_now = median(
            m.scores
                .values()
                .map(|s| s.inputs.spread)
                .filter(|v| v.is_finite())
                .collect(),
        );
        let snapshot = MarketSnapshot {
            mean_return: market.iter().sum(),
            median_atr_percentile: median(vols),
            mean_abs_correlation: if abs_rho.is_empty() {
                0.0
            } else {
                abs_rho.iter().sum::<f64>() / abs_rho.len() as f64
            },
            median_spread: spread_now,
            usual_spread: self.spread_level.unwrap_or(spread_now),
        };
        if spread_now.is_finite() {
            let a = 1.0 / SPREAD_LEVEL_SELECTIONS;
            self.spread_level = Some(
                self.spread_level
                    .map_or(spread_now, |l| l + a * (spread_now - l)),
            );
        }
        let conditions = classify(&snapshot, &self.cfg.conditions);
        let mut factor_scores = BTreeMap::new();
        for s in m.top {
            if let Some(sc) = m.scores.get(s) {
                let r = m.returns.get(s).copied().unwrap_or_default();
                let velocity: f64 = r.iter().rev().take(10).sum();
                // The symbol's own inputs (taker flow, book, funding, open
                // interest: `crate::signals::inputs`) with the velocity of
                // the returns held here.
                let inputs = MarketInputs {
                    velocity,
                    ..sc.inputs
                };
                factor_scores.insert(
                    s.clone(),
                    (
                        factor_score(&sc.signals, &sc.components, &inputs, &WEIGHTS),
                        inputs,
                        sc,
                    ),
                );
            }
        }
        let candidates: Vec<Candidate> = factor_scores
            .iter()
            .map(|(s, (f, inputs, sc))| {
                let others: Vec<f64> = factor_scores
                    .iter()
                    .filter(|(o, _)| *o != s)
                    .map(|(_, (g, _, _))| g.score)
                    .collect();
                let dir = if f.score >= 0.0 { 1.0 } else { -1.0 };
                let signals: &CompositeSignals = &sc.signals;
                let r = m.returns.get(s).copied().unwrap_or_default();
                Candidate {
                    symbol: s.clone(),
                    factors: *f,
                    inputs: *inputs,
                    confidence: confidence(
                        dir,
                        self.hits.rate(SIGNAL_KIND),
                        &others,
                        sc.components.volume,
                        signals,
                    ),
                    risk: estimates(r, &market, self.cfg.estimate_horizon_minutes),
                }
            })
            .collect();
        rank(candidates, &conditions, &self.cfg.ranker)
    }
}

/// The equal-weight mean of the symbols' returns over their common length.
fn mean_returns(returns: &BTreeMap<Symbol, &[f64]>) -> Vec<f64> {
    let n = returns.values().map(|r| r.len()).min().unwrap_or(0);
    if returns.is_empty() || n == 0 {
        return Vec::new();
    }
    // Summed symbol by symbol into each minute's total, in the map's order:
    // the same additions, in the same order, as a sum per minute, without
    // walking the map once per minute.
    // -0.0: where `Sum` for f64 starts.
    let mut total = vec![-0.0; n];
    for r in returns.values() {
        for (t, x) in total.iter_mut().zip(&r[r.len() - n..]) {
            *t += x;
        }
    }
    let count = returns.len() as f64;
    total.into_iter().map(|t| t / count).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::breakout::BreakoutSettings;
    use crate::market::synthetic::{SyntheticConfig, SyntheticMarket};
    use crate::node::symbol::{SymbolAnalyzer, SymbolConfig};
    use crate::signals::conditions::Liquidity;
    use proptest::prelude::*;

    proptest! {
        /// The market's mean returns are, bit for bit, each minute's sum
        /// over the symbols (in order) over their count.
        #[test]
        fn mean_returns_are_each_minutes_mean(
            rows in proptest::collection::vec(proptest::collection::vec(-0.05f64..0.05, 0..40), 1..8),
        ) {
            let symbols: Vec<Symbol> = (0..rows.len())
                .map(|k| Symbol::new(&format!("S{k:03}USDT")).unwrap())
                .collect();
            let returns: BTreeMap<Symbol, &[f64]> = symbols
                .iter()
                .cloned()
                .zip(rows.iter().map(Vec::as_slice))
                .collect();
            let n = rows.iter().map(Vec::len).min().unwrap();
            let naive: Vec<u64> = (0..n)
                .map(|i| {
                    (returns.values().map(|r| r[r.len() - n + i]).sum::<f64>()
                        / returns.len() as f64)
                        .to_bits()
                })
                .collect();
            let fast: Vec<u64> = mean_returns(&returns).iter().map(|x| x.to_bits()).collect();
            prop_assert_eq!(fast, naive);
        }
    }

    /// A scored symbol from three hours of the synthetic market.
    fn scored() -> (Symbol, SymbolScore) {
        let mut m = SyntheticMarket::new(SyntheticConfig::default());
        let sym = m.profiles()[0].instrument.symbol.clone();
        let mut a = SymbolAnalyzer::new(
            sym.clone(),
            SymbolConfig::default(),
            BreakoutSettings::default(),
        );
        for _ in 0..180 {
            a.on_candle(&m.step()[0].kline);
        }
        (sym, a.last().cloned().unwrap())
    }

    fn rank_with(sym: &Symbol, sc: &SymbolScore, inputs: MarketInputs) -> RankedSignal {
        let mut sc = sc.clone();
        sc.inputs = inputs;
        let scores = BTreeMap::from([(sym.clone(), sc)]);
        let returns = BTreeMap::new();
        let mut desk = SignalDesk::new(SignalDeskConfig {
            ranker: RankerConfig::default(),
            conditions: ConditionsConfig::default(),
            estimate_horizon_minutes: 60.0,
        });
        let mut ranked = desk.rank(&SignalInput {
            scores: &scores,
            top: std::slice::from_ref(sym),
            returns: &returns,
            correlation: &|_, _| None,
        });
        assert_eq!(ranked.len(), 1);
        ranked.remove(0)
    }

    #[test]
    fn the_score_moves_with_the_market_inputs_and_the_signal_carries_them() {
        let (sym, sc) = scored();
        let unknown = rank_with(&sym, &sc, MarketInputs::unknown());
        assert_eq!(unknown.candidate.factors.sentiment, 0.0);
        assert_eq!(unknown.candidate.factors.microstructure, 0.0);
        let long = MarketInputs {
            funding_rate: -0.0003,
            taker_buy_ratio: 0.8,
            bid_size: 30.0,
            ask_size: 10.0,
            trade_flow_imbalance: 0.6,
            spread: 0.0001,
            max_spread: 0.0005,
            ..MarketInputs::unknown()
        };
        let short = MarketInputs {
            funding_rate: 0.0003,
            taker_buy_ratio: 0.2,
            bid_size: 10.0,
            ask_size: 30.0,
            trade_flow_imbalance: -0.6,
            ..long
        };
        let (up, down) = (rank_with(&sym, &sc, long), rank_with(&sym, &sc, short));
        let (fu, fd) = (up.candidate.factors, down.candidate.factors);
        assert!(fu.sentiment > 0.3 && fd.sentiment < -0.3, "{fu:?} {fd:?}");
        assert!(fu.microstructure > 0.3 && fd.microstructure < -0.3);
        // Technical and fundamental factors are the same: the score moved
        // by the inputs' weights alone.
        assert_eq!(fu.technical, fd.technical);
        assert_eq!(fu.fundamental, fd.fundamental);
        let moved =
            0.15 * (fu.sentiment - fd.sentiment) + 0.15 * (fu.microstructure - fd.microstructure);
        assert!((fu.score - fd.score - moved).abs() < 1e-12);
        assert!(fu.score > unknown.candidate.factors.score);
        assert!(fd.score < unknown.candidate.factors.score);
        // The ranked signal carries the inputs that made it.
        assert_eq!(up.candidate.inputs.taker_buy_ratio, 0.8);
        assert_eq!(up.candidate.inputs.spread, 0.0001);
        // A wide book (at the screen's limit) says nothing.
        let wide = rank_with(
            &sym,
            &sc,
            MarketInputs {
                spread: 0.0005,
                ..long
            },
        );
        assert_eq!(wide.candidate.factors.microstructure, 0.0);
    }

    #[test]
    fn liquidity_is_stressed_when_spreads_widen_past_their_usual_level() {
        let (sym, sc) = scored();
        let with_spread = |spread: f64| SymbolScore {
            inputs: MarketInputs {
                spread,
                ..MarketInputs::unknown()
            },
            ..sc.clone()
        };
        let mut desk = SignalDesk::new(SignalDeskConfig {
            ranker: RankerConfig::default(),
            conditions: ConditionsConfig::default(),
            estimate_horizon_minutes: 60.0,
        });
        let returns: BTreeMap<Symbol, &[f64]> = BTreeMap::new();
        let mut rank = |spread: f64| {
            let scores = BTreeMap::from([(sym.clone(), with_spread(spread))]);
            desk.rank(&SignalInput {
                scores: &scores,
                top: std::slice::from_ref(&sym),
                returns: &returns,
                correlation: &|_, _| None,
            })
            .remove(0)
            .conditions
            .liquidity
        };
        for _ in 0..30 {
            assert_eq!(rank(0.0002), Liquidity::Normal);
        }
        // Three times the usual spread: stressed; its level follows slowly.
        assert_eq!(rank(0.0006), Liquidity::Stressed);
        assert_eq!(rank(0.0002), Liquidity::Normal);
    }
}

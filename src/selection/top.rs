//! The diversified top five: decay for recently traded symbols, then a
//! greedy pick by score that skips any symbol too correlated with one
//! already picked.

use crate::market::Symbol;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Selection knobs; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopConfig {
    /// How many symbols to pick.
    pub count: usize,
    /// A candidate whose |correlation| with a picked symbol is at or above
    /// this is skipped.
    pub max_abs_correlation: f64,
    /// Minutes over which a traded symbol's decay recovers to 1.
    pub decay_minutes: f64,
}

impl Default for TopConfig {
    fn default() -> Self {
        Self {
            count: 5,
            max_abs_correlation: 0.7,
            decay_minutes: 30.0,
        }
    }
}

/// Decay multiplier `0.5 + 0.5·d`, with d rising linearly from 0 right
/// after a trade to 1 after `decay_minutes`; 1 for a symbol never traded.
#[must_use]
pub fn decay_multiplier(minutes_since_trade: Option<f64>, decay_minutes: f64) -> f64 {
    let d = match minutes_since_trade {
        None => 1.0,
        Some(m) if decay_minutes <= 0.0 => f64::from(u8::from(m >= 0.0)),
        Some(m) => (m / decay_minutes).clamp(0.0, 1.0),
    };
    0.5 + 0.5 * d
}

/// One picked symbol and the numbers that picked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// The symbol.
    pub symbol: Symbol,
    /// Score before decay.
    pub score: f64,
    /// Decay multiplier applied.
    pub decay: f64,
    /// Score after decay: what ranked it.
    pub adjusted: f64,
}

/// Why a ranked candidate was not picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Skip {
    /// Too correlated with an already picked symbol.
    Correlated {
        /// The picked symbol it moves with.
        with: Symbol,
        /// Their correlation.
        correlation: f64,
    },
    /// Its score is not a number.
    NoScore,
}

/// The outcome of a selection: the picks best first, and every candidate
/// ranked above the last pick that was skipped, with why.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Selection {
    /// Picked symbols, best first.
    pub picks: Vec<Pick>,
    /// Skipped candidates with the reason.
    pub skipped: Vec<(Symbol, Skip)>,
}

/// Selects the top `cfg.count` symbols.
///
/// `scores` maps each candidate to its score; `minutes_since_trade` gives,
/// for recently traded symbols, the minutes since their last trade;
/// `correlation(a, b)` gives the correlation of two symbols where known
/// (unknown correlation does not block a pick). Ties break by symbol name,
/// so the outcome is deterministic.
pub fn select_top(
    scores: &BTreeMap<Symbol, f64>,
    minutes_since_trade: &BTreeMap<Symbol, f64>,
    mut correlation: impl FnMut(&Symbol, &Symbol) -> Option<f64>,
    cfg: &TopConfig,
) -> Selection {
    let mut out = Selection::default();
    let mut ranked: Vec<Pick> = Vec::with_capacity(scores.len());
    for (symbol, &score) in scores {
        if score.is_nan() {
            out.skipped.push((symbol.clone(), Skip::NoScore));
            continue;
        }
        let decay = decay_multiplier(minutes_since_trade.get(symbol).copied(), cfg.decay_minutes);
        ranked.push(Pick {
            symbol: symbol.clone(),
            score,
            decay,
            adjusted: score * decay,
        });
    }
    ranked.sort_by(|a, b| {
        b.adjusted
            .total_cmp(&a.adjusted)
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    for cand in ranked {
        if out.picks.len() >= cfg.count {
            break;
        }
        let blocker = out.picks.iter().find_map(|p| {
            correlation(&cand.symbol, &p.symbol)
                .filter(|r| r.abs() >= cfg.max_abs_correlation)
                .map(|r| (p.symbol.clone(), r))
        });
        match blocker {
            Some((with, correlation)) => out
                .skipped
                .push((cand.symbol, Skip::Correlated { with, correlation })),
            None => out.picks.push(cand),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sym(i: usize) -> Symbol {
        Symbol::new(&format!("S{i:02}USDT")).unwrap()
    }

    #[test]
    fn decay_rises_linearly_over_thirty_minutes() {
        assert_eq!(decay_multiplier(None, 30.0), 1.0);
        assert_eq!(decay_multiplier(Some(0.0), 30.0), 0.5);
        assert_eq!(decay_multiplier(Some(15.0), 30.0), 0.75);
        assert_eq!(decay_multiplier(Some(45.0), 30.0), 1.0);
    }

    #[test]
    fn correlated_candidates_are_skipped_and_decay_reorders() {
        let scores: BTreeMap<_, _> = (0..8).map(|i| (sym(i), 90.0 - i as f64)).collect();
        // S00 and S01 move together; S02 was just traded.
        let recent: BTreeMap<_, _> = [(sym(2), 0.0)].into_iter().collect();
        let corr = |a: &Symbol, b: &Symbol| {
            let pair = [a.as_str(), b.as_str()];
            (pair.contains(&"S00USDT") && pair.contains(&"S01USDT")).then_some(0.95)
        };
        let sel = select_top(&scores, &recent, corr, &TopConfig::default());
        let names: Vec<_> = sel
            .picks
            .iter()
            .map(|p| p.symbol.as_str().to_string())
            .collect();
        assert_eq!(
            names,
            ["S00USDT", "S03USDT", "S04USDT", "S05USDT", "S06USDT"]
        );
        assert!(matches!(&sel.skipped[0], (s, Skip::Correlated { .. }) if s.as_str() == "S01USDT"));
    }

    proptest! {
        /// Picks never exceed the count, are sorted by adjusted score, and no
        /// two picks are correlated at or above the limit.
        #[test]
        fn picks_are_diverse_and_ranked(
            raw in prop::collection::vec(0f64..100.0, 1..30),
            corr_seed in prop::collection::vec(-1f64..1.0, 900),
        ) {
            let scores: BTreeMap<_, _> = raw.iter().enumerate().map(|(i, &s)| (sym(i), s)).collect();
            let idx = |s: &Symbol| s.as_str()[1..3].parse::<usize>().unwrap();
            let corr = |a: &Symbol, b: &Symbol| {
                let (i, j) = (idx(a).min(idx(b)), idx(a).max(idx(b)));
                Some(corr_seed[i * 30 + j])
            };
            let cfg = TopConfig::default();
            let sel = select_top(&scores, &BTreeMap::new(), corr, &cfg);
            prop_assert!(sel.picks.len() <= cfg.count);
            for w in sel.picks.windows(2) {
                prop_assert!(w[0].adjusted >= w[1].adjusted);
            }
            for (k, a) in sel.picks.iter().enumerate() {
                for b in &sel.picks[k + 1..] {
                    prop_assert!(corr(&a.symbol, &b.symbol).unwrap().abs() < cfg.max_abs_correlation);
                }
            }
        }
    }
}

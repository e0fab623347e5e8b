//! Signal events: regimes, scores and the top-five selection.

use crate::analysis::composite::CompositeSignals;
use crate::market::Symbol;
use crate::selection::regime::Regime;
use crate::selection::score::Components;
use crate::selection::top::{Pick, Skip};
use crate::signals::factors::MarketInputs;
use serde::{Deserialize, Serialize};

/// One symbol's score and the inputs that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolScore {
    /// Symbol.
    pub symbol: Symbol,
    /// Open time of the 1m candle the score was computed at, ms.
    pub open_time: i64,
    /// Its regime.
    pub regime: Regime,
    /// Component scores.
    pub components: Components,
    /// The weighted score.
    pub score: f64,
    /// The composite signals at the same candle.
    pub signals: CompositeSignals,
    /// The factor score's market inputs at the same candle (taker flow,
    /// price and open-interest change over the flow window; book, spread
    /// and funding read at its close); velocity is the signal desk's.
    pub inputs: MarketInputs,
}

/// A new top five was selected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopFiveSelected {
    /// Picks, best first, with their decay.
    pub picks: Vec<Pick>,
    /// Candidates skipped, with why.
    pub skipped: Vec<(Symbol, Skip)>,
    /// Every scored symbol, with its inputs.
    pub scores: Vec<SymbolScore>,
    /// The market regime (majority of the qualified symbols).
    pub market_regime: Regime,
}

/// Signal event family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignalEvent {
    /// See [`TopFiveSelected`].
    TopFiveSelected(TopFiveSelected),
}

impl From<TopFiveSelected> for SignalEvent {
    fn from(e: TopFiveSelected) -> Self {
        Self::TopFiveSelected(e)
    }
}

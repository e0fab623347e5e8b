//! The node state `/state` serves.

use quantumtrade::selection::regime::Regime;
use quantumtrade::selection::screen::ScreenInput;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// A correlation between two picks.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// First symbol.
    pub a: String,
    /// Second symbol.
    pub b: String,
    /// Correlation of their 1m log returns (null while unknown).
    pub rho: Option<f64>,
}

/// What `/state` shows.
#[derive(Debug, Clone, Serialize)]
pub struct NodeState {
    /// Qualified symbols.
    pub universe: Vec<String>,
    /// The screen inputs of the last screen (every contract).
    #[serde(serialize_with = "screen_view")]
    pub screen: Vec<ScreenInput>,
    /// Symbol → score.
    pub scores: BTreeMap<String, f64>,
    /// The top five, best first.
    pub top: Vec<String>,
    /// Pairwise correlations of the top five.
    pub top_correlations: Vec<Pair>,
    /// Market regime (majority of the symbols).
    pub regime: Regime,
    /// Selections made.
    pub selections: u64,
}

impl Default for NodeState {
    fn default() -> Self {
        Self {
            universe: Vec::new(),
            screen: Vec::new(),
            scores: BTreeMap::new(),
            top: Vec::new(),
            top_correlations: Vec::new(),
            regime: Regime::Default,
            selections: 0,
        }
    }
}

fn screen_view<S: serde::Serializer>(v: &[ScreenInput], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for i in v {
        seq.serialize_element(&serde_json::json!({
            "symbol": i.symbol.as_str(),
            "status": format!("{:?}", i.status),
            "quote_volume_24h": i.quote_volume_24h,
            "bid": i.bid,
            "ask": i.ask,
            "last_price": i.last_price,
        }))?;
    }
    seq.end()
}

/// A shared [`NodeState`].
pub type SharedState = Arc<RwLock<NodeState>>;

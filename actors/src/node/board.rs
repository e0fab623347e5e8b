//! The symbol board: what each symbol actor last computed, written by the
//! actor after every candle and read by `/symbols` and `/symbols/{symbol}`
//! without a message round trip (a dashmap shard lock per symbol, so
//! readers never stall the hot path for long).

use dashmap::DashMap;
use quantumtrade::events::signal::SymbolScore;
use quantumtrade::indicators::battery::{COLUMNS, Row};
use quantumtrade::market::{Interval, Symbol};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Per-minute entries kept per symbol.
pub const HISTORY: usize = 120;

/// A battery row at one candle of one timeframe.
#[derive(Debug, Clone, Copy)]
pub struct TimedRow {
    /// Open time of the candle, ms.
    pub open_time: i64,
    /// The row.
    pub row: Row,
}

/// One minute of a symbol: the score (with its signals) and the 1m battery.
#[derive(Debug, Clone)]
pub struct Minute {
    /// The score at the minute's candle.
    pub score: SymbolScore,
    /// The streaming 1m battery row at it.
    pub row: Row,
}

/// What the board holds for one symbol.
#[derive(Debug, Clone, Default)]
pub struct SymbolView {
    /// Latest minutes, oldest first (at most [`HISTORY`]).
    pub minutes: VecDeque<Minute>,
    /// Latest streaming row per timeframe.
    pub streaming: BTreeMap<Interval, TimedRow>,
    /// Latest batch (dispatcher) row per timeframe.
    pub batch: BTreeMap<Interval, TimedRow>,
    /// Batch results checked against streaming, and how many disagreed.
    pub batch_checked: u64,
    /// Of those, how many disagreed on a window-exact column.
    pub batch_mismatched: u64,
}

/// Every symbol's view.
#[derive(Debug, Default)]
pub struct Board {
    symbols: DashMap<Symbol, SymbolView>,
}

/// A shared [`Board`].
pub type SharedBoard = Arc<Board>;

/// A row as a JSON object, column name to value (null for NaN).
fn row_json(row: &Row) -> Value {
    let mut m = Map::new();
    for (name, v) in COLUMNS.iter().zip(row) {
        m.insert((*name).to_owned(), serde_json::json!(v));
    }
    Value::Object(m)
}

fn timed_json(rows: &BTreeMap<Interval, TimedRow>) -> Value {
    let mut m = Map::new();
    for (tf, r) in rows {
        m.insert(
            tf.as_str().to_owned(),
            serde_json::json!({ "open_time": r.open_time, "row": row_json(&r.row) }),
        );
    }
    Value::Object(m)
}

/// One symbol in the `/symbols` list.
#[derive(Debug, Clone, Serialize)]
pub struct SymbolSummary {
    /// Symbol.
    pub symbol: String,
    /// Open time of the latest minute, ms.
    pub open_time: i64,
    /// Latest score.
    pub score: f64,
}

impl Board {
    /// Applies `f` to a symbol's view (created empty if new).
    pub fn update(&self, s: &Symbol, f: impl FnOnce(&mut SymbolView)) {
        f(&mut self.symbols.entry(s.clone()).or_default());
    }

    /// Records a minute.
    pub fn push_minute(&self, s: &Symbol, m: Minute) {
        self.update(s, |v| {
            if v.minutes.len() == HISTORY {
                v.minutes.pop_front();
            }
            v.minutes.push_back(m);
        });
    }

    /// The latest streaming value of `column` on `interval` for `s`.
    #[must_use]
    pub fn value(
        &self,
        s: &Symbol,
        interval: quantumtrade::market::Interval,
        column: quantumtrade::indicators::battery::Column,
    ) -> Option<f64> {
        let v = self.symbols.get(s)?;
        v.streaming
            .get(&interval)
            .map(|r| r.row[column as usize])
            .filter(|x| x.is_finite())
    }

    /// Forgets a symbol that left the universe.
    pub fn remove(&self, s: &Symbol) {
        self.symbols.remove(s);
    }

    /// Every symbol's latest score.
    #[must_use]
    pub fn summaries(&self) -> Vec<SymbolSummary> {
        let mut out: Vec<SymbolSummary> = self
            .symbols
            .iter()
            .filter_map(|e| {
                e.value().minutes.back().map(|m| SymbolSummary {
                    symbol: e.key().to_string(),
                    open_time: m.score.open_time,
                    score: m.score.score,
                })
            })
            .collect();
        out.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        out
    }

    /// A symbol's view as JSON: `minutes` (oldest first, each with the
    /// score, its components, regime, signals, the signals' market inputs
    /// and the 1m battery),
    /// `streaming` and `batch` rows per timeframe, and the batch check
    /// counts. `None` for a symbol not on the board.
    #[must_use]
    pub fn detail(&self, s: &Symbol) -> Option<Value> {
        let v = self.symbols.get(s)?;
        let minutes: Vec<Value> = v
            .minutes
            .iter()
            .map(|m| {
                serde_json::json!({
                    "open_time": m.score.open_time,
                    "score": m.score.score,
                    "regime": m.score.regime,
                    "components": m.score.components,
                    "signals": m.score.signals,
                    "inputs": m.score.inputs,
                    "row": row_json(&m.row),
                })
            })
            .collect();
        Some(serde_json::json!({
            "symbol": s.as_str(),
            "minutes": minutes,
            "streaming": timed_json(&v.streaming),
            "batch": timed_json(&v.batch),
            "batch_checked": v.batch_checked,
            "batch_mismatched": v.batch_mismatched,
        }))
    }
}

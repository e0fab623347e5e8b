//! The node's decisions replayed over candles: per symbol the analysis a
//! SymbolActor runs, the selector's top five (correlation filter included)
//! and the paper trading engine, one closed minute at a time on the
//! candles' own clock. The same data and config give the same trades.
//!
//! The factor score's market inputs are those the node reads from the
//! simulated exchange replaying the same files: the book the simulator
//! serves after each minute ([`crate::market::replay::book_of`], at
//! `replay_spread`), the paper funding rate (which the simulator's premium
//! index also reports) and no open interest (replayed files have none).
//!
//! Symbols enter when their first candle arrives; a minute in which a
//! symbol has no candle simply lacks it (no fill, no management, no score
//! update for that symbol).

use super::ledger::Ledger;
use super::report::Report;
use crate::analysis::breakout::BreakoutSettings;
use crate::exchange::binance::filters::SymbolRules;
use crate::exchange::sim::market::{decimals_of, served};
use crate::indicators::battery::Column;
use crate::market::instrument::Instrument;
use crate::market::replay::{book_of, instrument_of};
use crate::market::{Candle, Interval, Symbol};
use crate::node::symbol::{SymbolAnalyzer, SymbolConfig};
use crate::selection::correlation::ReturnWindows;
use crate::selection::screen::ScreenConfig;
use crate::selection::top::{TopConfig, select_top};
use crate::signals::inputs::{BookQuote, VenueReadings};
use crate::trading::paper::{MinuteInput, PaperConfig, PaperEngine, TradeEvent};
use std::collections::{BTreeMap, VecDeque};

/// Knobs of a replay.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// Per-symbol analysis.
    pub symbol: SymbolConfig,
    /// Breakout model.
    pub breakout: BreakoutSettings,
    /// Top-five selection.
    pub top: TopConfig,
    /// 1m returns in the correlation window.
    pub correlation_window: usize,
    /// Common minutes a correlation needs.
    pub min_overlap: usize,
    /// 1m returns kept per symbol for VaR and estimates.
    pub returns_window: usize,
    /// The trading engine.
    pub paper: PaperConfig,
    /// Starting cash.
    pub cash: f64,
    /// Minutes of candles taken before trading starts (buffers warm up).
    pub warmup_minutes: usize,
    /// Relative spread of the replayed book (the simulated exchange's
    /// `replay_spread_bps` / 10,000).
    pub replay_spread: f64,
    /// The screen's spread limit (the spread's quality scale).
    pub max_spread: f64,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self {
            symbol: SymbolConfig::default(),
            breakout: BreakoutSettings::default(),
            top: TopConfig::default(),
            correlation_window: 120,
            min_overlap: 30,
            returns_window: 240,
            paper: PaperConfig::default(),
            cash: 100_000.0,
            warmup_minutes: 180,
            replay_spread: crate::exchange::sim::config::SimConfig::default().replay_spread_bps
                / 10_000.0,
            max_spread: ScreenConfig::default().max_spread,
        }
    }
}

/// The replay's state.
pub struct NodeReplay {
    cfg: ReplayConfig,
    rules: BTreeMap<Symbol, SymbolRules>,
    analyzers: BTreeMap<Symbol, SymbolAnalyzer>,
    /// The contracts the simulated exchange would list for each symbol's
    /// series (their tick and step shape the replayed book).
    books: BTreeMap<Symbol, Instrument>,
    windows: ReturnWindows,
    returns: BTreeMap<Symbol, VecDeque<f64>>,
    last_close: BTreeMap<Symbol, f64>,
    engine: PaperEngine,
    minutes: usize,
    /// Open time of the minute each symbol's last position was opened
    /// (the selector's decay, as the node's position actor reports it).
    last_traded: BTreeMap<Symbol, i64>,
    ledger: Ledger,
    events: u64,
}

impl NodeReplay {
    /// A replay over symbols with `rules`.
    #[must_use]
    pub fn new(cfg: ReplayConfig, rules: BTreeMap<Symbol, SymbolRules>) -> Self {
        Self {
            windows: ReturnWindows::new(cfg.correlation_window),
            engine: PaperEngine::new(cfg.paper.clone(), cfg.cash, 0),
            cfg,
            rules,
            analyzers: BTreeMap::new(),
            books: BTreeMap::new(),
            returns: BTreeMap::new(),
            last_close: BTreeMap::new(),
            minutes: 0,
            last_traded: BTreeMap::new(),
            ledger: Ledger::new(),
            events: 0,
        }
    }

    /// Replays the simulated exchange's book for the `listed` contracts
    /// ([`listed_instruments`]); a symbol without one has no book.
    pub fn list_books(&mut self, listed: BTreeMap<Symbol, Instrument>) {
        self.books.extend(listed);
    }

    /// What the node would read at the close of `c` from the simulated
    /// exchange replaying the same files: its book, written as it writes
    /// it (prices to the tick's decimals, sizes to the step's) and read
    /// back.
    fn venue_readings(&self, s: &Symbol, c: &Candle) -> VenueReadings {
        served_readings(
            c,
            self.books.get(s),
            self.cfg.replay_spread,
            self.cfg.paper.funding_rate,
            self.cfg.max_spread,
        )
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> &PaperEngine {
        &self.engine
    }

    /// Takes one minute's candles (open time `time`); returns the engine's
    /// events (none during the warm-up).
    pub fn on_minute(&mut self, time: i64, candles: &BTreeMap<Symbol, Candle>) -> Vec<TradeEvent> {
        let mut scores = BTreeMap::new();
        let mut atr = BTreeMap::new();
        for (s, c) in candles {
            let venue = self.venue_readings(s, c);
            let a = self.analyzers.entry(s.clone()).or_insert_with(|| {
                SymbolAnalyzer::new(s.clone(), self.cfg.symbol, self.cfg.breakout.clone())
            });
            a.on_candle_with(c, &venue);
            if let Some(row) = a.row(Interval::M5) {
                atr.insert(s.clone(), row[Column::Atr14 as usize]);
            }
            self.windows.push(s, c.open_time, c.close);
            if let Some(prev) = self.last_close.insert(s.clone(), c.close) {
                let q = self.returns.entry(s.clone()).or_default();
                q.push_back(c.close / prev - 1.0);
                if q.len() > self.cfg.returns_window {
                    q.pop_front();
                }
            }
        }
        for (s, a) in &self.analyzers {
            if let Some(sc) = a.last() {
                scores.insert(s.clone(), sc.clone());
            }
        }
        self.minutes += 1;
        if self.minutes <= self.cfg.warmup_minutes {
            return Vec::new();
        }
        let overlap = self.cfg.min_overlap;
        let since: BTreeMap<Symbol, f64> = self
            .last_traded
            .iter()
            .map(|(s, &t)| (s.clone(), (time - t) as f64 / 60_000.0))
            .collect();
        let sel = select_top(
            &scores.iter().map(|(s, v)| (s.clone(), v.score)).collect(),
            &since,
            |a, b| self.windows.correlation(a, b, overlap),
            &self.cfg.top,
        );
        let top: Vec<Symbol> = sel.picks.iter().map(|p| p.symbol.clone()).collect();
        let returns: BTreeMap<Symbol, &[f64]> = self
            .returns
            .iter_mut()
            .map(|(s, q)| (s.clone(), &*q.make_contiguous()))
            .collect();
        let windows = &self.windows;
        let corr = |a: &Symbol, b: &Symbol| windows.correlation(a, b, overlap);
        let events = self.engine.on_minute(&MinuteInput {
            time,
            candles,
            scores: &scores,
            top: &top,
            atr: &atr,
            returns: &returns,
            correlation: &corr,
            rules: &self.rules,
        });
        for e in &events {
            if let TradeEvent::PositionOpened(p) = e {
                self.last_traded.insert(p.symbol.clone(), time);
            }
        }
        self.ledger.on_events(time, &events);
        self.ledger.close_minute(
            time,
            self.engine.equity(),
            !self.engine.positions().is_empty(),
        );
        self.events += events.len() as u64;
        events
    }

    /// The report of the replay so far (open positions listed open, marked
    /// at `marks`).
    #[must_use]
    pub fn report(&self, marks: &BTreeMap<Symbol, Candle>, candles: u64, elapsed_s: f64) -> Report {
        self.ledger.report(
            self.engine.book(),
            marks,
            self.analyzers.keys().map(ToString::to_string).collect(),
            candles,
            elapsed_s,
        )
    }
}

/// What the node reads at the close of `c` from the simulated exchange
/// replaying the same files: the book of the contract it lists (`listed`,
/// none without one) at relative `spread`, written as the simulator writes
/// it (prices to the tick's decimals, sizes to the step's) and read back;
/// the paper `funding_rate` (which the simulator's premium index reports);
/// no open interest (replayed files have none); the screen's `max_spread`.
#[must_use]
pub fn served_readings(
    c: &Candle,
    listed: Option<&Instrument>,
    spread: f64,
    funding_rate: f64,
    max_spread: f64,
) -> VenueReadings {
    let served = |x: f64, step: f64| served(x, decimals_of(step));
    VenueReadings {
        book: listed.map(|ins| {
            let b = book_of(c, ins, spread);
            BookQuote {
                bid: served(b.bid, ins.tick_size),
                bid_size: served(b.bid_qty, ins.step_size),
                ask: served(b.ask, ins.tick_size),
                ask_size: served(b.ask_qty, ins.step_size),
            }
        }),
        funding_rate,
        open_interest: f64::NAN,
        max_spread,
    }
}

/// The contracts the simulated exchange lists when it replays `series`
/// (each a symbol's whole recorded series: the tick and step of its book
/// come from all of it, also when only a time range is backtested).
#[must_use]
pub fn listed_instruments(series: &[(Symbol, Vec<Candle>)]) -> BTreeMap<Symbol, Instrument> {
    series
        .iter()
        .map(|(s, c)| (s.clone(), instrument_of(s, c)))
        .collect()
}

/// Replays per-symbol candle series (any alignment) minute by minute, the
/// signals reading the book of the `listed` contracts
/// ([`listed_instruments`]); returns the replay after the last minute and
/// the last candles seen.
pub fn replay(
    series: &[(Symbol, Vec<Candle>)],
    listed: BTreeMap<Symbol, Instrument>,
    cfg: ReplayConfig,
    rules: BTreeMap<Symbol, SymbolRules>,
    mut progress: impl FnMut(u64),
) -> (NodeReplay, BTreeMap<Symbol, Candle>) {
    let mut r = NodeReplay::new(cfg, rules);
    r.list_books(listed);
    let mut times: Vec<i64> = series
        .iter()
        .flat_map(|(_, c)| c.iter().map(|k| k.open_time))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut cursor = vec![0usize; series.len()];
    let mut last = BTreeMap::new();
    let mut minute = BTreeMap::new();
    for t in times {
        minute.clear();
        for (k, (s, c)) in series.iter().enumerate() {
            while cursor[k] < c.len() && c[cursor[k]].open_time < t {
                cursor[k] += 1;
            }
            if cursor[k] < c.len() && c[cursor[k]].open_time == t {
                minute.insert(s.clone(), c[cursor[k]]);
                last.insert(s.clone(), c[cursor[k]]);
                cursor[k] += 1;
            }
        }
        r.on_minute(t, &minute);
        progress(minute.len() as u64);
    }
    (r, last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::synthetic::{SyntheticConfig, SyntheticMarket};
    use crate::trading::paper::rules_of;

    type Market = (Vec<(Symbol, Vec<Candle>)>, BTreeMap<Symbol, SymbolRules>);

    fn market(minutes: usize) -> Market {
        let mut m = SyntheticMarket::new(SyntheticConfig {
            symbols: 20,
            ..SyntheticConfig::default()
        });
        let profiles = m.profiles().to_vec();
        let mut series: Vec<(Symbol, Vec<Candle>)> = profiles
            .iter()
            .map(|p| (p.instrument.symbol.clone(), Vec::new()))
            .collect();
        for _ in 0..minutes {
            for s in m.step() {
                series[s.index].1.push(s.kline);
            }
        }
        let rules = profiles
            .iter()
            .map(|p| {
                (
                    p.instrument.symbol.clone(),
                    rules_of(&p.instrument).unwrap(),
                )
            })
            .collect();
        (series, rules)
    }

    #[test]
    fn the_signals_read_the_book_and_funding_the_simulated_exchange_serves() {
        use crate::exchange::binance::rest::{BookTickerSnapshot, PremiumIndex};
        use crate::exchange::sim::config::SimConfig;
        use crate::exchange::sim::market::SimMarket;
        use crate::exchange::sim::rest::{Endpoint, Params, answer};
        use crate::market::replay::{ReplayMarket, ReplaySeries};
        let (series, rules) = market(30);
        let cfg = ReplayConfig::default();
        let mut r = NodeReplay::new(cfg.clone(), rules);
        r.list_books(listed_instruments(&series));
        let replay = ReplayMarket::new(
            series
                .iter()
                .map(|(symbol, candles)| ReplaySeries {
                    symbol: symbol.clone(),
                    candles: candles.clone(),
                })
                .collect(),
            SimConfig::default().replay_spread_bps / 10_000.0,
        )
        .unwrap();
        let first = replay.first_ms();
        let mut sim = SimMarket::replay(replay, &SimConfig::default(), first + 60_000);
        let ask = |sim: &SimMarket, e: Endpoint, s: &Symbol, now: i64| {
            let p = Params::from([("symbol".to_string(), s.as_str().to_string())]);
            answer(sim, e, &p, now, 2400, 1200).unwrap().to_string()
        };
        let mut seen = 0;
        for k in 1..30 {
            let now = first + k * 60_000;
            sim.advance_to(now, false);
            for (i, p) in sim.profiles().iter().enumerate() {
                let s = &p.instrument.symbol;
                let c = *sim.last_candle(i).unwrap();
                let served: BookTickerSnapshot =
                    serde_json::from_str(&ask(&sim, Endpoint::BookTicker, s, now)).unwrap();
                let premium: PremiumIndex =
                    serde_json::from_str(&ask(&sim, Endpoint::PremiumIndex, s, now)).unwrap();
                let v = r.venue_readings(s, &c);
                let b = v.book.unwrap();
                assert_eq!(
                    (b.bid, b.bid_size, b.ask, b.ask_size),
                    (
                        served.bid_price,
                        served.bid_qty,
                        served.ask_price,
                        served.ask_qty
                    ),
                    "{s} at {}",
                    c.open_time
                );
                assert_eq!(v.funding_rate, premium.last_funding_rate);
                assert!(v.open_interest.is_nan());
                assert_eq!(v.max_spread, ScreenConfig::default().max_spread);
                seen += 1;
            }
        }
        assert_eq!(seen, 20 * 29);
    }

    #[test]
    fn the_replay_trades_and_reports_consistently() {
        let (series, rules) = market(700);
        let cfg = ReplayConfig {
            paper: PaperConfig {
                ..PaperConfig::default()
            },
            ..ReplayConfig::default()
        };
        let mut seen = 0;
        let listed = listed_instruments(&series);
        let (r, last) = replay(&series, listed.clone(), cfg.clone(), rules.clone(), |n| {
            seen += n;
        });
        assert_eq!(seen, 20 * 700);
        let report = r.report(&last, seen, 1.0);
        assert_eq!(report.equity.len(), 700 - 180);
        assert!(!report.trades.is_empty());
        let closed: f64 = report
            .trades
            .iter()
            .filter(|t| t.exit_time.is_some())
            .map(|t| t.pnl)
            .sum();
        let open: f64 = report
            .trades
            .iter()
            .filter(|t| t.exit_time.is_none())
            .map(|t| t.pnl)
            .sum();
        let final_equity = report.metrics.final_equity;
        assert!(
            (final_equity - (cfg.cash + closed + open)).abs() < 1e-6 * cfg.cash,
            "equity {final_equity} = cash + closed {closed} + open {open}"
        );
        let (again, _) = replay(&series, listed, cfg, rules, |_| {});
        assert_eq!(again.report(&last, seen, 1.0).trades, report.trades);
    }
}

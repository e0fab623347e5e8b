//! The paper engine: the four trading cores composed on one market-time
//! clock, one closed minute in, events out. The node's trading actors
//! (signal, risk, position, executor) are shells around the same cores;
//! `qtrade backtest --strategy node` drives this composition.
//!
//! Each minute, in order:
//! 1. the venue ([`PaperVenue`]): market orders placed on the previous
//!    close are booked at that close's touch (slippage and fee), then
//!    protective stops and take-profits the candle reached fire and fill
//!    at its touch, as the simulated exchange fills them;
//! 2. the book ([`PositionBook`]) takes the fills and the marks, pays
//!    funding at each 8-hour boundary, and manages the positions (trailing
//!    stops move the venue's stop; partial exits become reduce-only
//!    orders);
//! 3. equity goes to the risk desk ([`RiskDesk`]), which may halt entries
//!    or flatten (entries cancelled, every position closed at this
//!    close's touch);
//! 4. the signal desk ([`SignalDesk`]) ranks the selection; each entry is
//!    sized, fitted to the VaR budget and gated by the risk desk; approved
//!    ones become market orders at this close's touch.

use super::book::{Management, PositionBook};
use super::event::OrderRequest;
pub use super::event::TradeEvent;
use super::paper_venue::{FillModel, PaperVenue};
use super::risk_desk::{EntryDecision, GateInput, RiskDesk, RiskDeskConfig};
use super::signal_desk::{SignalDesk, SignalDeskConfig, SignalInput};
use crate::events::signal::SymbolScore;
use crate::exchange::binance::decimal::Decimal;
use crate::exchange::binance::filters::{LotSize, PriceFilter, SymbolRules};
use crate::market::instrument::Instrument;
use crate::market::{Candle, Symbol};
use crate::portfolio::position::{ManagementConfig, Position};
use crate::risk::limits::{RiskAction, RiskLimits, RiskState};
use crate::risk::sizing::SizingConfig;
use crate::signals::conditions::ConditionsConfig;
use crate::signals::ranker::RankerConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Knobs of the engine; every one is a config key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaperConfig {
    /// Sizing.
    pub sizing: SizingConfig,
    /// Risk limits.
    pub limits: RiskLimits,
    /// Ranker steps 3–5.
    pub ranker: RankerConfig,
    /// Market-condition thresholds.
    pub conditions: ConditionsConfig,
    /// Trailing stop and partial exits.
    pub management: ManagementConfig,
    /// Fee per fill, fraction of notional.
    pub fee_rate: f64,
    /// Adverse move of every fill from the touch, basis points.
    pub slippage_bps: f64,
    /// Width of the touch around a minute's close that market orders take,
    /// basis points (the simulator's `replay_spread_bps`, default 2).
    pub spread_bps: f64,
    /// Market time an order takes to reach the venue, ms (the simulator's
    /// `latency_ms` times its replay speed). Under a minute it moves no
    /// fill: the replayed book changes only at minute closes.
    pub latency_ms: u64,
    /// Funding rate per 8 hours, paid by longs when positive (Binance's
    /// baseline is 0.01%: the interest rate with a zero premium).
    pub funding_rate: f64,
    /// VaR horizon in 1m periods (1,440 = one day).
    pub var_horizon_minutes: f64,
    /// Take-profit this many R from the entry, held at the venue; 0: none.
    pub take_profit_r: f64,
    /// Horizon of the expected-return estimate, minutes.
    pub estimate_horizon_minutes: f64,
}

impl Default for PaperConfig {
    fn default() -> Self {
        Self {
            sizing: SizingConfig::default(),
            limits: RiskLimits::default(),
            ranker: RankerConfig::default(),
            conditions: ConditionsConfig::default(),
            management: ManagementConfig::default(),
            fee_rate: 0.0004,
            slippage_bps: 1.0,
            spread_bps: 2.0,
            latency_ms: 0,
            funding_rate: 0.0001,
            var_horizon_minutes: 1_440.0,
            take_profit_r: 3.0,
            estimate_horizon_minutes: 60.0,
        }
    }
}

impl PaperConfig {
    /// The signal desk's part.
    #[must_use]
    pub fn signal_desk(&self) -> SignalDeskConfig {
        SignalDeskConfig {
            ranker: self.ranker,
            conditions: self.conditions,
            estimate_horizon_minutes: self.estimate_horizon_minutes,
        }
    }

    /// The risk desk's part.
    #[must_use]
    pub fn risk_desk(&self) -> RiskDeskConfig {
        RiskDeskConfig {
            sizing: self.sizing,
            limits: self.limits,
            var_horizon_minutes: self.var_horizon_minutes,
            take_profit_r: self.take_profit_r,
        }
    }

    /// The paper venue's fill model.
    #[must_use]
    pub fn fill_model(&self) -> FillModel {
        FillModel {
            fee_rate: self.fee_rate,
            slippage_bps: self.slippage_bps,
            spread_bps: self.spread_bps,
            latency_ms: self.latency_ms,
        }
    }
}

/// One closed minute, as the engine sees it.
pub struct MinuteInput<'a> {
    /// Open time of the minute, ms.
    pub time: i64,
    /// The minute's candle of every symbol that has one.
    pub candles: &'a BTreeMap<Symbol, Candle>,
    /// The latest score of every universe symbol.
    pub scores: &'a BTreeMap<Symbol, SymbolScore>,
    /// The selection, best first.
    pub top: &'a [Symbol],
    /// ATR for stops and trailing, per symbol.
    pub atr: &'a BTreeMap<Symbol, f64>,
    /// Recent 1m simple returns per symbol, oldest first (borrowed: the
    /// caller's windows are not copied every minute).
    pub returns: &'a BTreeMap<Symbol, &'a [f64]>,
    /// Correlation of two symbols' returns, when known.
    pub correlation: &'a dyn Fn(&Symbol, &Symbol) -> Option<f64>,
    /// Exchange rules per symbol.
    pub rules: &'a BTreeMap<Symbol, SymbolRules>,
}

/// The engine's state: the four cores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperEngine {
    cfg: PaperConfig,
    signals: SignalDesk,
    risk: RiskDesk,
    book: PositionBook,
    venue: PaperVenue,
    /// Open time of the last minute seen (funding boundaries).
    last_time: Option<i64>,
}

/// The exchange rules of a synthetic or replayed instrument.
///
/// # Errors
/// A tick, step or notional that is not a representable decimal.
pub fn rules_of(
    i: &Instrument,
) -> Result<SymbolRules, crate::exchange::binance::decimal::DecimalError> {
    let d = Decimal::from_f64;
    Ok(SymbolRules {
        price: PriceFilter {
            min_price: d(i.tick_size)?,
            max_price: Decimal::ZERO,
            tick_size: d(i.tick_size)?,
        },
        lot: LotSize {
            min_qty: d(i.step_size)?,
            max_qty: Decimal::ZERO,
            step_size: d(i.step_size)?,
        },
        market_lot: None,
        min_notional: Some(d(i.min_notional)?),
        percent_price: None,
        max_num_orders: None,
    })
}

impl PaperEngine {
    /// An engine with `cash`, starting at `now_ms`.
    #[must_use]
    pub fn new(cfg: PaperConfig, cash: f64, now_ms: i64) -> Self {
        Self {
            signals: SignalDesk::new(cfg.signal_desk()),
            risk: RiskDesk::new(cfg.risk_desk(), cash, now_ms),
            book: PositionBook::new(cash),
            venue: PaperVenue::new(cfg.fill_model()),
            cfg,
            last_time: None,
        }
    }

    /// Open positions.
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<Symbol, Position> {
        self.book.positions()
    }

    /// Cash: initial + realized − fees + funding.
    #[must_use]
    pub fn cash(&self) -> f64 {
        self.book.cash()
    }

    /// Realized price PnL and fees so far.
    #[must_use]
    pub fn realized_and_fees(&self) -> (f64, f64) {
        self.book.realized_and_fees()
    }

    /// The book (positions, cash, funding).
    #[must_use]
    pub fn book(&self) -> &PositionBook {
        &self.book
    }

    /// The venue (open orders).
    #[must_use]
    pub fn venue(&self) -> &PaperVenue {
        &self.venue
    }

    /// The risk state (halt, peak, day).
    #[must_use]
    pub fn risk(&self) -> &RiskState {
        self.risk.state()
    }

    /// Equity: cash + unrealized at each symbol's last close.
    #[must_use]
    pub fn equity(&self) -> f64 {
        self.book.equity()
    }

    /// The identity the books keep: cash − (initial cash + realized −
    /// fees + funding), 0 up to rounding.
    #[must_use]
    pub fn accounting_error(&self) -> f64 {
        self.book.accounting_error()
    }

    /// Books venue events on the book (fills open and close positions;
    /// closed positions feed the hit rate).
    fn book_venue_events(&mut self, venue_events: Vec<TradeEvent>, out: &mut Vec<TradeEvent>) {
        for e in venue_events {
            let booked = match &e {
                TradeEvent::OrderFilled(f) => self.book.on_fill(f),
                _ => Vec::new(),
            };
            out.push(e);
            for b in booked {
                if let TradeEvent::PositionClosed { pnl, .. } = &b {
                    self.signals.record_outcome(*pnl);
                }
                out.push(b);
            }
        }
    }

    fn submit(
        &mut self,
        req: &OrderRequest,
        rules: &BTreeMap<Symbol, SymbolRules>,
        out: &mut Vec<TradeEvent>,
    ) {
        match self.venue.submit(req, rules.get(&req.symbol)) {
            Ok(order) => out.push(TradeEvent::OrderPlaced(order)),
            // Refused before it was sent, as the live executor drops it.
            Err(e) => out.push(TradeEvent::OrderCanceled {
                client_id: "unsent".into(),
                symbol: req.symbol.clone(),
                reason: format!("quantity {}: {e}", req.qty),
            }),
        }
    }

    /// One closed minute.
    pub fn on_minute(&mut self, m: &MinuteInput<'_>) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        // 1. The venue: the orders sent last minute, then fired stops.
        let venue_events = self.venue.on_candles(m.time, m.candles);
        // 2. The book: fills, marks, funding, management.
        self.book_venue_events(venue_events, &mut out);
        self.book.mark_candles(m.candles);
        if let Some(prev) = self.last_time {
            out.extend(self.book.fund(prev, m.time, self.cfg.funding_rate));
        }
        self.last_time = Some(m.time);
        let (asks, events) = self
            .book
            .manage(m.time, m.candles, m.atr, &self.cfg.management);
        out.extend(events);
        for ask in asks {
            match ask {
                Management::MoveStop(s, stop) => {
                    self.venue.move_stop(&s, stop, m.rules.get(&s));
                }
                Management::Order(req) => self.submit(&req, m.rules, &mut out),
            }
        }
        // 3. Equity to the risk desk.
        let equity = self.book.equity();
        if let Some(action) = self.risk.on_equity(m.time, equity) {
            if let RiskAction::Flatten(_) = &action {
                out.extend(self.venue.cancel_entries(m.time));
                for req in self.book.flatten_orders(m.time) {
                    self.submit(&req, m.rules, &mut out);
                }
            }
            out.push(TradeEvent::Risk(action));
        }
        // 4. Entries from the selection.
        // Ranked every minute, as the signal actor ranks every selection
        // (the desk keeps the usual spread level); a halt stops entries.
        let ranked = self.signals.rank(&SignalInput {
            scores: m.scores,
            top: m.top,
            returns: m.returns,
            correlation: m.correlation,
        });
        if !self.risk.halted() {
            self.entries(ranked, m, equity, &mut out);
        }
        out
    }

    fn entries(
        &mut self,
        ranked: Vec<crate::signals::ranker::RankedSignal>,
        m: &MinuteInput<'_>,
        equity: f64,
        out: &mut Vec<TradeEvent>,
    ) {
        for signal in ranked {
            let Some(side) = signal.entry else { continue };
            let s = signal.candidate.symbol.clone();
            if self.book.positions().contains_key(&s) || self.venue.has_working(&s) {
                continue;
            }
            let (Some(c), Some(rules)) = (m.candles.get(&s), m.rules.get(&s)) else {
                continue;
            };
            out.push(TradeEvent::EntrySignal(signal));
            let open = self.book.open_positions();
            let decision = self.risk.gate(
                &s,
                side,
                &GateInput {
                    at: m.time,
                    equity,
                    price: c.close,
                    atr: m.atr.get(&s).copied().unwrap_or(f64::NAN),
                    rules,
                    open: &open,
                    returns: m.returns,
                    correlation: m.correlation,
                },
            );
            match decision {
                EntryDecision::Order(req) => self.submit(&req, m.rules, out),
                EntryDecision::Rejected(rejection) => out.push(TradeEvent::EntryRejected {
                    symbol: s,
                    rejection,
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::breakout::BreakoutSettings;
    use crate::execution::order::ManagedOrder;
    use crate::market::synthetic::{SyntheticConfig, SyntheticMarket};
    use crate::node::symbol::{SymbolAnalyzer, SymbolConfig};
    use crate::risk::limits::Rejection;
    use crate::selection::correlation::ReturnWindows;
    use crate::selection::top::{TopConfig, select_top};
    use crate::trading::event::Fill;
    use std::collections::VecDeque;

    /// Runs the engine over `minutes` live minutes of a synthetic market
    /// (after a warm-up), selecting a top five each minute the way the node
    /// does; returns every minute's events and the final engine.
    fn run(
        minutes: usize,
        limits: RiskLimits,
    ) -> (Vec<Vec<TradeEvent>>, PaperEngine, BTreeMap<Symbol, Candle>) {
        let mut market = SyntheticMarket::new(SyntheticConfig {
            symbols: 30,
            ..SyntheticConfig::default()
        });
        let profiles = market.profiles().to_vec();
        let rules: BTreeMap<Symbol, SymbolRules> = profiles
            .iter()
            .map(|p| {
                (
                    p.instrument.symbol.clone(),
                    rules_of(&p.instrument).unwrap(),
                )
            })
            .collect();
        let mut analyzers: BTreeMap<Symbol, SymbolAnalyzer> = profiles
            .iter()
            .map(|p| {
                (
                    p.instrument.symbol.clone(),
                    SymbolAnalyzer::new(
                        p.instrument.symbol.clone(),
                        SymbolConfig::default(),
                        BreakoutSettings::default(),
                    ),
                )
            })
            .collect();
        let mut windows = ReturnWindows::new(120);
        let mut rets: BTreeMap<Symbol, VecDeque<f64>> = BTreeMap::new();
        let mut last_close: BTreeMap<Symbol, f64> = BTreeMap::new();
        let cfg = PaperConfig {
            limits,
            ..PaperConfig::default()
        };
        let mut engine = PaperEngine::new(cfg, 100_000.0, 0);
        let mut all = Vec::new();
        let mut candles = BTreeMap::new();
        for minute in 0..(180 + minutes) {
            candles.clear();
            let mut scores = BTreeMap::new();
            let mut atr = BTreeMap::new();
            let mut time = 0;
            for m in market.step() {
                let s = profiles[m.index].instrument.symbol.clone();
                time = m.kline.open_time;
                let a = analyzers.get_mut(&s).unwrap();
                if let Some(sc) = a.on_candle(&m.kline) {
                    scores.insert(s.clone(), sc.clone());
                }
                if let Some(row) = a.row(crate::market::Interval::M5) {
                    atr.insert(
                        s.clone(),
                        row[crate::indicators::battery::Column::Atr14 as usize],
                    );
                }
                windows.push(&s, m.kline.open_time, m.kline.close);
                if let Some(prev) = last_close.insert(s.clone(), m.kline.close) {
                    let q = rets.entry(s.clone()).or_default();
                    q.push_back(m.kline.close / prev - 1.0);
                    if q.len() > 240 {
                        q.pop_front();
                    }
                }
                candles.insert(s, m.kline);
            }
            if minute < 180 {
                continue;
            }
            let sel = select_top(
                &scores.iter().map(|(s, v)| (s.clone(), v.score)).collect(),
                &BTreeMap::new(),
                |a, b| windows.correlation(a, b, 30),
                &TopConfig::default(),
            );
            let top: Vec<Symbol> = sel.picks.iter().map(|p| p.symbol.clone()).collect();
            let returns: BTreeMap<Symbol, &[f64]> = rets
                .iter_mut()
                .map(|(s, q)| (s.clone(), &*q.make_contiguous()))
                .collect();
            let corr = |a: &Symbol, b: &Symbol| windows.correlation(a, b, 30);
            let events = engine.on_minute(&MinuteInput {
                time,
                candles: &candles,
                scores: &scores,
                top: &top,
                atr: &atr,
                returns: &returns,
                correlation: &corr,
                rules: &rules,
            });
            assert!(
                engine.accounting_error().abs() < 1e-6,
                "accounting at minute {minute}"
            );
            assert!(engine.positions().len() <= 5);
            all.push(events);
        }
        (all, engine, candles)
    }

    #[test]
    fn trades_happen_and_every_fill_traces_back_to_an_order_and_a_signal() {
        let (minutes, engine, _) = run(
            600,
            RiskLimits {
                max_var_fraction: 0.5,
                ..RiskLimits::default()
            },
        );
        let events: Vec<&TradeEvent> = minutes.iter().flatten().collect();
        let placed: BTreeMap<&str, &ManagedOrder> = events
            .iter()
            .filter_map(|e| match e {
                TradeEvent::OrderPlaced(o) => Some((o.client_id.as_str(), o)),
                _ => None,
            })
            .collect();
        let fills: Vec<&TradeEvent> = events
            .iter()
            .copied()
            .filter(|e| matches!(e, TradeEvent::OrderFilled(_)))
            .collect();
        assert!(
            fills.len() >= 4,
            "some trades in 600 minutes: {}",
            fills.len()
        );
        for f in &fills {
            let TradeEvent::OrderFilled(Fill {
                client_id, symbol, ..
            }) = f
            else {
                unreachable!()
            };
            let o = placed
                .get(client_id.as_str())
                .unwrap_or_else(|| panic!("fill of an unplaced order {client_id}"));
            assert_eq!(&o.symbol, symbol);
        }
        let opened = events
            .iter()
            .filter(|e| matches!(e, TradeEvent::PositionOpened(_)))
            .count();
        let signals = events
            .iter()
            .filter(|e| matches!(e, TradeEvent::EntrySignal(_)))
            .count();
        assert!(
            opened >= 1 && signals >= opened,
            "{opened} opened from {signals} signals"
        );
        let (realized, fees) = engine.realized_and_fees();
        assert!(fees > 0.0);
        let funding = engine.book().funding();
        assert!((engine.cash() - (100_000.0 + realized - fees + funding)).abs() < 1e-6);
    }

    #[test]
    fn the_same_market_gives_the_same_trades() {
        let (a, ..) = run(
            200,
            RiskLimits {
                max_var_fraction: 0.5,
                ..RiskLimits::default()
            },
        );
        let (b, ..) = run(
            200,
            RiskLimits {
                max_var_fraction: 0.5,
                ..RiskLimits::default()
            },
        );
        assert_eq!(a, b);
    }

    #[test]
    fn a_breached_var_limit_stops_every_entry() {
        let (minutes, engine, _) = run(
            200,
            RiskLimits {
                max_var_fraction: 1e-9,
                ..RiskLimits::default()
            },
        );
        let events: Vec<&TradeEvent> = minutes.iter().flatten().collect();
        // Scaled to the budget, every entry ends below the exchange's
        // minimum (or over the VaR limit): refused, with the reason.
        assert!(events.iter().any(|e| matches!(
            e,
            TradeEvent::EntryRejected {
                rejection: Rejection::Var { .. } | Rejection::TooSmall { .. },
                ..
            }
        )));
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, TradeEvent::OrderPlaced(_)))
        );
        assert!(engine.positions().is_empty());
    }
}

//! The paper engine: a deterministic state machine that takes one closed
//! minute (candles, scores, the selected five) and returns what it did.
//!
//! Each minute, in order:
//! 1. market orders placed at the previous close fill at this minute's open,
//!    moved against us by `slippage_bps`, paying `fee_rate` of notional;
//! 2. open positions are managed on this minute's candle (stop touched:
//!    closed at the stop price with slippage, as the exchange's stop order
//!    would; partial exits and stop moves: [`Position::on_candle`]);
//! 3. equity (cash + unrealized at the close) goes to the risk state, which
//!    may halt entries or flatten;
//! 4. the selected symbols are ranked ([`crate::signals`]); each entry is
//!    sized from its ATR stop ([`size_position`]) and checked by the gate
//!    ([`RiskState::check_entry`], with the portfolio's one-day VaR and the
//!    correlations to the open positions) after it is scaled down to fit
//!    the VaR budget; approved ones become market orders for the next
//!    open (below the exchange's minimums they are dropped).
//!
//! Cash moves only by realized PnL and fees, so at every minute
//! equity = initial cash + Σ realized − Σ fees + Σ unrealized, which the
//! tests check.

use crate::analysis::composite::CompositeSignals;
use crate::events::signal::SymbolScore;
use crate::exchange::binance::decimal::Decimal;
use crate::exchange::binance::filters::{LotSize, PriceFilter, SymbolRules};
use crate::execution::order::{ManagedOrder, OrderEvent, client_order_id};
use crate::market::instrument::Instrument;
use crate::market::{Candle, Symbol};
use crate::portfolio::position::{ManagementConfig, Position, PositionAction};
use crate::risk::limits::{
    EntryRequest, OpenPosition, Rejection, RiskAction, RiskDecision, RiskLimits, RiskState,
};
use crate::risk::sizing::{PositionSide, SizingConfig, size_position};
use crate::risk::var;
use crate::signals::conditions::{ConditionsConfig, MarketSnapshot, classify};
use crate::signals::confidence::{HitRates, confidence};
use crate::signals::factors::{MarketInputs, WEIGHTS, score as factor_score};
use crate::signals::ranker::{Candidate, RankedSignal, RankerConfig, estimates, rank};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The signal type whose hit rate the confidence uses.
const SIGNAL_KIND: &str = "multi_factor";

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
    /// Adverse move of every fill, basis points.
    pub slippage_bps: f64,
    /// VaR horizon in 1m periods (1,440 = one day).
    pub var_horizon_minutes: f64,
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
            var_horizon_minutes: 1_440.0,
            estimate_horizon_minutes: 60.0,
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

/// What the engine did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TradeEvent {
    /// A ranked entry signal, with every input.
    EntrySignal(RankedSignal),
    /// The gate refused an entry.
    EntryRejected {
        /// Symbol.
        symbol: Symbol,
        /// Why.
        rejection: Rejection,
    },
    /// A market order was placed for the next open.
    OrderPlaced(ManagedOrder),
    /// An order filled.
    OrderFilled {
        /// Our id.
        client_id: String,
        /// Symbol.
        symbol: Symbol,
        /// Direction of the fill.
        side: PositionSide,
        /// Quantity.
        qty: f64,
        /// Price.
        price: f64,
        /// Fee.
        fee: f64,
        /// When, ms.
        at: i64,
    },
    /// A position opened.
    PositionOpened(Position),
    /// A position's stop moved.
    StopMoved {
        /// Symbol.
        symbol: Symbol,
        /// New stop.
        stop: f64,
    },
    /// A position closed, with its net PnL.
    PositionClosed {
        /// Symbol.
        symbol: Symbol,
        /// Realized − fees + funding.
        pnl: f64,
    },
    /// The risk state halted entries or flattened.
    Risk(RiskAction),
}

/// A placed order with what opening it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pending {
    order: ManagedOrder,
    /// The stop of the position an entry opens.
    stop: f64,
}

/// The engine's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperEngine {
    cfg: PaperConfig,
    initial_cash: f64,
    cash: f64,
    positions: BTreeMap<Symbol, Position>,
    pending: Vec<Pending>,
    risk: RiskState,
    hits: HitRates,
    seq: u64,
    trade_id: i64,
    realized: f64,
    fees: f64,
    /// Last close seen per symbol (a symbol without a candle this minute
    /// keeps its last mark).
    marks: BTreeMap<Symbol, f64>,
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
            cfg,
            initial_cash: cash,
            cash,
            positions: BTreeMap::new(),
            pending: Vec::new(),
            risk: RiskState::new(cash, now_ms),
            hits: HitRates::default(),
            seq: 0,
            trade_id: 0,
            realized: 0.0,
            fees: 0.0,
            marks: BTreeMap::new(),
        }
    }

    /// Open positions.
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<Symbol, Position> {
        &self.positions
    }

    /// Cash: initial + realized − fees.
    #[must_use]
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Realized price PnL and fees so far.
    #[must_use]
    pub fn realized_and_fees(&self) -> (f64, f64) {
        (self.realized, self.fees)
    }

    /// The risk state (halt, peak, day).
    #[must_use]
    pub fn risk(&self) -> &RiskState {
        &self.risk
    }

    /// Equity: cash + unrealized at each symbol's last close.
    #[must_use]
    pub fn equity(&self) -> f64 {
        self.cash
            + self
                .positions
                .iter()
                .map(|(s, p)| p.unrealized(self.marks.get(s).copied().unwrap_or(p.entry)))
                .sum::<f64>()
    }

    /// Places a market order for the next open: a new order id, an
    /// `OrderPlaced` event, and the pending entry (with the stop an entry
    /// opens its position with).
    fn place(&mut self, order: ManagedOrder, stop: f64, out: &mut Vec<TradeEvent>) {
        out.push(TradeEvent::OrderPlaced(order.clone()));
        self.pending.push(Pending { order, stop });
    }

    /// A new order (the next client id) at decision price `price`.
    fn order(
        &mut self,
        symbol: &Symbol,
        side: PositionSide,
        qty: f64,
        price: f64,
        reduce: bool,
        at: i64,
    ) -> ManagedOrder {
        self.seq += 1;
        ManagedOrder::new(
            client_order_id(self.seq, 0),
            symbol.clone(),
            side,
            qty,
            reduce,
            price,
            at,
        )
    }

    /// Fills `qty` of `symbol` at `price` (slippage applied here) and books
    /// it on the position.
    fn fill(
        &mut self,
        mut o: ManagedOrder,
        stop: f64,
        raw_price: f64,
        at: i64,
        out: &mut Vec<TradeEvent>,
    ) {
        if o.reduce_only {
            // A reduce-only order never opens or flips: it shrinks to what
            // is open, and lapses when nothing is (the venue would cancel
            // it the same way).
            let open = self
                .positions
                .get(&o.symbol)
                .filter(|p| p.side != o.side)
                .map_or(0.0, |p| p.qty);
            if open <= 0.0 {
                let _ = o.apply(&OrderEvent::Canceled { at });
                return;
            }
            o.qty = o.qty.min(open);
        }
        let s = o.side.sign();
        let price = raw_price * (1.0 + s * self.cfg.slippage_bps / 1e4);
        let fee = o.qty * price * self.cfg.fee_rate;
        self.trade_id += 1;
        let ev = OrderEvent::Fill {
            trade_id: self.trade_id,
            qty: o.qty,
            price,
            fee,
            at,
        };
        if o.apply(&ev).is_err() {
            return;
        }
        self.fees += fee;
        self.cash -= fee;
        out.push(TradeEvent::OrderFilled {
            client_id: o.client_id.clone(),
            symbol: o.symbol.clone(),
            side: o.side,
            qty: o.qty,
            price,
            fee,
            at,
        });
        match self.positions.get_mut(&o.symbol) {
            None if !o.reduce_only => {
                let p = Position::open(o.symbol.clone(), o.side, o.qty, price, stop, fee, at);
                out.push(TradeEvent::PositionOpened(p.clone()));
                self.positions.insert(o.symbol.clone(), p);
            }
            None => {}
            Some(p) => {
                let pnl = p.fill(o.side, o.qty, price, fee);
                self.realized += pnl;
                self.cash += pnl;
                if p.is_closed() {
                    let net = p.realized - p.fees + p.funding;
                    self.hits.record(SIGNAL_KIND, net > 0.0);
                    out.push(TradeEvent::PositionClosed {
                        symbol: o.symbol.clone(),
                        pnl: net,
                    });
                    self.positions.remove(&o.symbol);
                }
            }
        }
    }

    /// One closed minute.
    pub fn on_minute(&mut self, m: &MinuteInput<'_>) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        for (s, c) in m.candles {
            self.marks.insert(s.clone(), c.close);
        }
        // 1. Fill at this minute's open.
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            match m.candles.get(&p.order.symbol) {
                Some(c) => self.fill(p.order, p.stop, c.open, m.time, &mut out),
                None => self.pending.push(p),
            }
        }
        // 2. Manage positions on this minute's candle.
        let symbols: Vec<Symbol> = self.positions.keys().cloned().collect();
        for s in symbols {
            let Some(c) = m.candles.get(&s) else { continue };
            let atr = m.atr.get(&s).copied().unwrap_or(f64::NAN);
            let Some(p) = self.positions.get_mut(&s) else {
                continue;
            };
            let (side, qty) = (p.side, p.qty);
            let exit = side.opposite();
            for a in p.on_candle(c.high, c.low, atr, &self.cfg.management) {
                match a {
                    PositionAction::StopTouched(stop) => {
                        self.seq += 1;
                        let o = ManagedOrder::new(
                            client_order_id(self.seq, 0),
                            s.clone(),
                            exit,
                            qty,
                            true,
                            stop,
                            m.time,
                        );
                        out.push(TradeEvent::OrderPlaced(o.clone()));
                        self.fill(o, stop, stop, m.time, &mut out);
                        break;
                    }
                    PositionAction::PartialExit { qty, .. } => {
                        let o = self.order(&s, exit, qty, c.close, true, m.time);
                        self.place(o, f64::NAN, &mut out);
                    }
                    PositionAction::MoveStop(stop) => {
                        out.push(TradeEvent::StopMoved {
                            symbol: s.clone(),
                            stop,
                        });
                    }
                }
            }
        }
        // 3. Equity to the risk state.
        let equity = self.equity();
        if let Some(action) = self.risk.on_equity(m.time, equity, &self.cfg.limits) {
            if let RiskAction::Flatten(_) = &action {
                let open: Vec<(Symbol, PositionSide, f64)> = self
                    .positions
                    .iter()
                    .map(|(s, p)| (s.clone(), p.side, p.qty))
                    .collect();
                for (s, side, qty) in open {
                    let exit = side.opposite();
                    let px = m.candles.get(&s).map_or(f64::NAN, |c| c.close);
                    let o = self.order(&s, exit, qty, px, true, m.time);
                    self.place(o, f64::NAN, &mut out);
                }
            }
            out.push(TradeEvent::Risk(action));
        }
        // 4. Entries from the selection.
        if self.risk.halt.is_none() {
            self.entries(m, equity, &mut out);
        }
        out
    }

    fn entries(&mut self, m: &MinuteInput<'_>, equity: f64, out: &mut Vec<TradeEvent>) {
        let market: Vec<f64> = mean_returns(m.returns);
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
        let snapshot = MarketSnapshot {
            mean_return: market.iter().sum(),
            median_atr_percentile: median(vols),
            mean_abs_correlation: if abs_rho.is_empty() {
                0.0
            } else {
                abs_rho.iter().sum::<f64>() / abs_rho.len() as f64
            },
            median_spread: f64::NAN,
            usual_spread: f64::NAN,
        };
        let conditions = classify(&snapshot, &self.cfg.conditions);
        let mut factor_scores = BTreeMap::new();
        for s in m.top {
            if let Some(sc) = m.scores.get(s) {
                let r = m.returns.get(s).copied().unwrap_or_default();
                let velocity: f64 = r.iter().rev().take(10).sum();
                let inputs = MarketInputs {
                    velocity,
                    ..MarketInputs::unknown()
                };
                factor_scores.insert(
                    s.clone(),
                    (
                        factor_score(&sc.signals, &sc.components, &inputs, &WEIGHTS),
                        sc.clone(),
                    ),
                );
            }
        }
        let candidates: Vec<Candidate> = factor_scores
            .iter()
            .map(|(s, (f, sc))| {
                let others: Vec<f64> = factor_scores
                    .iter()
                    .filter(|(o, _)| *o != s)
                    .map(|(_, (g, _))| g.score)
                    .collect();
                let dir = if f.score >= 0.0 { 1.0 } else { -1.0 };
                let signals: &CompositeSignals = &sc.signals;
                let r = m.returns.get(s).copied().unwrap_or_default();
                Candidate {
                    symbol: s.clone(),
                    factors: *f,
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
        for signal in rank(candidates, &conditions, &self.cfg.ranker) {
            let Some(side) = signal.entry else { continue };
            let s = signal.candidate.symbol.clone();
            if self.positions.contains_key(&s) || self.pending.iter().any(|p| p.order.symbol == s) {
                continue;
            }
            let (Some(c), Some(rules)) = (m.candles.get(&s), m.rules.get(&s)) else {
                continue;
            };
            let atr = m.atr.get(&s).copied().unwrap_or(f64::NAN);
            out.push(TradeEvent::EntrySignal(signal));
            let Ok(sized) = size_position(side, equity, c.close, atr, &self.cfg.sizing, rules)
            else {
                continue;
            };
            let open: Vec<OpenPosition> = self
                .positions
                .values()
                .map(|p| OpenPosition {
                    symbol: p.symbol.clone(),
                    side: p.side,
                    notional: p.qty * m.candles.get(&p.symbol).map_or(p.entry, |k| k.close),
                })
                .collect();
            // Fit the entry into the VaR budget first: VaR grows with the
            // entry's notional, so scale it by budget / VaR once and check
            // again (the gate still refuses what does not fit, e.g. when the
            // open positions alone use the budget).
            let budget = self.cfg.limits.max_var_fraction * equity;
            let mut notional = sized.notional;
            let mut var_with_entry = self.var_with(&open, &s, side, notional, m.returns);
            if var_with_entry > budget && var_with_entry.is_finite() {
                notional *= 0.999 * budget / var_with_entry;
                var_with_entry = self.var_with(&open, &s, side, notional, m.returns);
            }
            let correlations = open
                .iter()
                .map(|p| {
                    (
                        p.symbol.clone(),
                        (m.correlation)(&s, &p.symbol).unwrap_or(f64::NAN),
                    )
                })
                .collect();
            let req = EntryRequest {
                symbol: s.clone(),
                side,
                notional,
                var_with_entry,
                correlations,
            };
            let decision = match self.risk.check_entry(&req, &open, equity, &self.cfg.limits) {
                RiskDecision::Approve if notional < sized.notional => RiskDecision::Resize {
                    notional,
                    by: "var".into(),
                },
                d => d,
            };
            let qty = match decision {
                RiskDecision::Approve => sized.qty,
                RiskDecision::Resize { notional, by } => {
                    let q = rules
                        .round_qty(
                            notional / c.close,
                            crate::exchange::binance::filters::OrderKind::Market,
                        )
                        .map(|q| q.value().to_f64())
                        .unwrap_or(0.0);
                    let min = rules.min_notional.map_or(0.0, |d| d.to_f64());
                    if q <= 0.0 || q * c.close < min {
                        out.push(TradeEvent::EntryRejected {
                            symbol: s,
                            rejection: Rejection::TooSmall { by },
                        });
                        continue;
                    }
                    q
                }
                RiskDecision::Reject(rejection) => {
                    out.push(TradeEvent::EntryRejected {
                        symbol: s,
                        rejection,
                    });
                    continue;
                }
            };
            let o = self.order(&s, side, qty, c.close, false, m.time);
            self.place(o, sized.stop, out);
        }
    }

    /// One-day portfolio VaR (worst of the four) with the entry added.
    fn var_with(
        &self,
        open: &[OpenPosition],
        s: &Symbol,
        side: PositionSide,
        notional: f64,
        returns: &BTreeMap<Symbol, &[f64]>,
    ) -> f64 {
        let mut exposures = Vec::new();
        let mut series: Vec<&[f64]> = Vec::new();
        for p in open {
            if let Some(&r) = returns.get(&p.symbol) {
                exposures.push(p.side.sign() * p.notional);
                series.push(r);
            }
        }
        let Some(&r) = returns.get(s) else {
            return f64::NAN;
        };
        exposures.push(side.sign() * notional);
        series.push(r);
        var::portfolio(&exposures, &series, self.cfg.var_horizon_minutes)
            .map_or(f64::NAN, |v| v.worst())
    }

    /// The identity the books keep: cash − (initial cash + realized −
    /// fees), 0 up to rounding (cash is moved fill by fill, realized PnL
    /// and fees are tallied apart).
    #[must_use]
    pub fn accounting_error(&self) -> f64 {
        self.cash - (self.initial_cash + self.realized - self.fees)
    }
}

fn mean_returns(returns: &BTreeMap<Symbol, &[f64]>) -> Vec<f64> {
    let n = returns.values().map(|r| r.len()).min().unwrap_or(0);
    if returns.is_empty() || n == 0 {
        return Vec::new();
    }
    (0..n)
        .map(|i| returns.values().map(|r| r[r.len() - n + i]).sum::<f64>() / returns.len() as f64)
        .collect()
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
    use crate::selection::correlation::ReturnWindows;
    use crate::selection::top::{TopConfig, select_top};
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
            .filter(|e| matches!(e, TradeEvent::OrderFilled { .. }))
            .collect();
        assert!(
            fills.len() >= 4,
            "some trades in 600 minutes: {}",
            fills.len()
        );
        for f in &fills {
            let TradeEvent::OrderFilled {
                client_id, symbol, ..
            } = f
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
        assert!((engine.cash() - (100_000.0 + realized - fees)).abs() < 1e-6);
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

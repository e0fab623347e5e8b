//! The paper venue: an in-process exchange for one account that fills as
//! the simulated exchange does (`exchange::sim::fill_model`), so a backtest
//! and a node trading `qtrade sim-exchange` over the same candles get the
//! same fills:
//!
//! 1. The touch after a minute sits around its close, `spread_bps` apart,
//!    on the tick grid ([`touch_around`]).
//! 2. A market order decided on a minute's close takes that touch (ask for
//!    a buy, bid for a sell) moved by the slippage and rounded to the tick
//!    away from us, paying the fee; it is booked with the next minute (as
//!    the node hears of a live fill).
//! 3. Every position carries a reduce-only protective stop, and maybe a
//!    take-profit, *at the venue* (as the node keeps them on Binance). A
//!    minute whose range reaches one fires it (stops first), and the close
//!    it places fills at that minute's touch, like any market order.
//!
//! A stop closes whatever the position holds then (Binance's
//! `closePosition`), so partial exits never leave it oversized.
//!
//! Latency: every request takes `latency_ms` of market time to reach the
//! venue, as the simulator holds each trading request `latency_ms` before
//! handling it. The book moves only at minute closes, so a market order
//! fills at the touch of the last close at or before its arrival (the
//! decision minute's when the latency is under a minute), booked with the
//! minute it arrived in. The stop and take-profit an entry opens a
//! position with are sent when its fill is known and arrive one latency
//! later; a moved stop arrives one latency after the minute that moved
//! it. A level in force by a minute's close is checked against that
//! minute's whole range, as the simulator checks it; until a new level
//! arrives the old one stands. A flatten's cancels are the exception:
//! they take working entries at once (the conservative reading: an entry
//! that a halt cancels never fills).

use super::event::{Fill, OrderRequest, TradeEvent};
use super::snapshot::{SnapshotError, decode_current_or};
use crate::exchange::binance::decimal::RoundingMode;
use crate::exchange::binance::filters::{FilterViolation, OrderKind, SymbolRules};
use crate::exchange::binance::order::{OrderType, Side};
use crate::exchange::sim::fill_model::{fires, market_fill_price, touch_around};
use crate::execution::order::{ManagedOrder, OrderEvent, client_order_id};
use crate::market::{Candle, Symbol};
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod legacy;

/// One minute of market time, ms.
const MINUTE_MS: i64 = 60_000;

/// The fill model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FillModel {
    /// Fee per fill, fraction of notional.
    pub fee_rate: f64,
    /// Adverse move of every fill from the touch, basis points.
    pub slippage_bps: f64,
    /// Width of the touch around a minute's close, basis points.
    pub spread_bps: f64,
    /// Market time a request takes to reach the venue, ms (the
    /// simulator's `latency_ms` times its replay speed).
    pub latency_ms: u64,
}

impl FillModel {
    /// The latency in ms of market time.
    fn latency(&self) -> i64 {
        i64::try_from(self.latency_ms).unwrap_or(i64::MAX / 4)
    }

    /// The price a market order on `side` fills at after a minute that
    /// closed at `close`, on the `tick` grid.
    #[must_use]
    pub fn market_price(&self, side: PositionSide, close: f64, tick: f64) -> f64 {
        let (bid, ask) = touch_around(close, self.spread_bps / 1e4, tick);
        market_fill_price(exchange_side(side), bid, ask, self.slippage_bps, tick)
    }
}

/// A conditional close's trigger price on the tick grid, rounded the way
/// that never fires it early (as the live executor places it): a sell
/// stop down, a buy stop up, a sell take-profit up, a buy take-profit
/// down. Unchanged without rules or when the price does not round.
fn trigger_on_tick(rules: Option<&SymbolRules>, raw: f64, kind: Trigger, side: Side) -> f64 {
    let mode = match (kind, side) {
        (Trigger::Stop, Side::Sell) | (Trigger::TakeProfit, Side::Buy) => RoundingMode::Down,
        (Trigger::Stop, Side::Buy) | (Trigger::TakeProfit, Side::Sell) => RoundingMode::Up,
    };
    rules
        .and_then(|r| r.round_price(raw, mode).ok())
        .map_or(raw, |p| p.value().to_f64())
}

/// The exchange's word for the side of an order.
fn exchange_side(side: PositionSide) -> Side {
    match side {
        PositionSide::Long => Side::Buy,
        PositionSide::Short => Side::Sell,
    }
}

/// A working order: when it reaches the venue, the close whose touch it
/// will fill at (the latest one at or before its arrival seen so far) and
/// the stop and take-profit its entry opens a position with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Working {
    order: ManagedOrder,
    /// Market time it reaches the venue, ms.
    arrives: i64,
    /// The latest close at or before `arrives` (the decision's close until
    /// a later minute closes before it arrives).
    close: f64,
    stop: Option<f64>,
    take_profit: Option<f64>,
}

/// A stop or take-profit level on its way to the venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pending {
    symbol: Symbol,
    kind: Trigger,
    level: f64,
    /// Market time it reaches the venue, ms.
    arrives: i64,
}

/// An order open at the venue, as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenOrder {
    /// Our id (`stop:<SYMBOL>` and `tp:<SYMBOL>` for a position's
    /// protective stop and take-profit).
    pub client_id: String,
    /// Symbol.
    pub symbol: Symbol,
    /// Side.
    pub side: PositionSide,
    /// `MARKET`, `STOP_MARKET` or `TAKE_PROFIT_MARKET`.
    pub kind: String,
    /// Quantity (a stop: the position's).
    pub qty: f64,
    /// Stop price (none for market orders).
    pub stop_price: Option<f64>,
    /// Reduce-only.
    pub reduce_only: bool,
}

/// Which conditional close a candle may trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Trigger {
    Stop,
    TakeProfit,
}

impl Trigger {
    /// Client-id prefix of the order it places and of its open order.
    fn prefix(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::TakeProfit => "tp",
        }
    }
}

impl OpenOrder {
    /// A working market order as operators see it.
    #[must_use]
    pub fn market(order: &ManagedOrder) -> Self {
        Self {
            client_id: order.client_id.clone(),
            symbol: order.symbol.clone(),
            side: order.side,
            kind: "MARKET".into(),
            qty: order.qty,
            stop_price: None,
            reduce_only: order.reduce_only,
        }
    }
}

/// The venue's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperVenue {
    model: FillModel,
    working: Vec<Working>,
    /// Net position per symbol: side and quantity.
    positions: BTreeMap<Symbol, (PositionSide, f64)>,
    /// Protective stop per symbol with a position.
    stops: BTreeMap<Symbol, f64>,
    /// Take-profit per symbol with a position (when its entry set one).
    targets: BTreeMap<Symbol, f64>,
    /// Tick size of each symbol ordered (its fills are on that grid).
    ticks: BTreeMap<Symbol, f64>,
    seq: u64,
    trade_id: i64,
    /// Stop and take-profit levels sent but not arrived, oldest first.
    pending: Vec<Pending>,
    /// Open time of the last minute the venue saw, ms.
    clock: Option<i64>,
}

impl PaperVenue {
    /// An empty account.
    #[must_use]
    pub fn new(model: FillModel) -> Self {
        Self {
            model,
            working: Vec::new(),
            positions: BTreeMap::new(),
            stops: BTreeMap::new(),
            targets: BTreeMap::new(),
            ticks: BTreeMap::new(),
            seq: 0,
            trade_id: 0,
            pending: Vec::new(),
            clock: None,
        }
    }

    /// The same venue under `model` (a restarted node's config: the
    /// orders working keep their arrival times, and fill under it).
    #[must_use]
    pub fn with_model(mut self, model: FillModel) -> Self {
        self.model = model;
        self
    }

    /// The fill model.
    #[must_use]
    pub fn model(&self) -> &FillModel {
        &self.model
    }

    /// Decodes a journaled venue: the current form, else the one written
    /// before latency was modelled ([`super::snapshot`]).
    ///
    /// # Errors
    /// [`SnapshotError`] when the bytes are neither form: the node must not
    /// trade on a guess.
    pub fn decode_snapshot(bytes: &[u8]) -> Result<Self, SnapshotError> {
        decode_current_or::<Self, legacy::PaperVenueV1>(bytes, "paper venue")
    }

    /// Accepts a market order decided on the close `req.decision_price`,
    /// under the symbol's exchange `rules` as the live executor sends it:
    /// the quantity rounded down to the step, the stop and take-profit onto
    /// the tick on the side that never fires early. It fills at that
    /// minute's touch, booked with the next minute. Returns the
    /// acknowledged order (the `OrderPlaced` event's payload).
    ///
    /// # Errors
    /// A quantity the lot filter refuses after rounding (the live
    /// executor drops such an order too).
    pub fn submit(
        &mut self,
        req: &OrderRequest,
        rules: Option<&SymbolRules>,
    ) -> Result<ManagedOrder, FilterViolation> {
        let close_side = exchange_side(req.side.opposite());
        let req = OrderRequest {
            qty: match rules {
                Some(r) => r.round_qty(req.qty, OrderKind::Market)?.to_f64(),
                None => req.qty,
            },
            stop: req
                .stop
                .map(|p| trigger_on_tick(rules, p, Trigger::Stop, close_side)),
            take_profit: req
                .take_profit
                .map(|p| trigger_on_tick(rules, p, Trigger::TakeProfit, close_side)),
            ..req.clone()
        };
        let tick = rules.map_or(0.0, |r| r.price.tick_size.to_f64());
        self.ticks.insert(req.symbol.clone(), tick);
        self.seq += 1;
        // Sent on the decision minute's close.
        let arrives = req.at + MINUTE_MS + self.model.latency();
        Ok(self.accept(&req, arrives, client_order_id(self.seq, 0)))
    }

    fn accept(&mut self, req: &OrderRequest, arrives: i64, client_id: String) -> ManagedOrder {
        let mut order = ManagedOrder::new(
            client_id,
            req.symbol.clone(),
            req.side,
            req.qty,
            req.reduce_only,
            req.decision_price,
            req.at,
        );
        let _ = order.apply(&OrderEvent::Acked {
            order_id: i64::try_from(self.seq).unwrap_or(i64::MAX),
            at: req.at,
        });
        self.working.push(Working {
            order: order.clone(),
            arrives,
            close: req.decision_price,
            stop: req.stop,
            take_profit: req.take_profit,
        });
        order
    }

    /// Moves a position's protective stop (onto the tick, as
    /// [`Self::submit`] places it), sent on the close of the last minute
    /// seen.
    pub fn move_stop(&mut self, symbol: &Symbol, stop: f64, rules: Option<&SymbolRules>) {
        let (Some(&(side, _)), Some(clock)) = (self.positions.get(symbol), self.clock) else {
            return;
        };
        if !self.stops.contains_key(symbol) && !self.is_pending(symbol, Trigger::Stop) {
            return;
        }
        let close_side = exchange_side(side.opposite());
        let level = Pending {
            symbol: symbol.clone(),
            kind: Trigger::Stop,
            level: trigger_on_tick(rules, stop, Trigger::Stop, close_side),
            arrives: clock + MINUTE_MS + self.model.latency(),
        };
        // The next minute checked closes two minutes after the last one
        // seen opened.
        self.send_level(level, clock + 2 * MINUTE_MS);
    }

    /// Whether a `kind` level for `symbol` is on its way.
    fn is_pending(&self, symbol: &Symbol, kind: Trigger) -> bool {
        self.pending
            .iter()
            .any(|p| &p.symbol == symbol && p.kind == kind)
    }

    /// Puts `level` in force if it arrives before `next_close` (the close
    /// of the next minute checked, so no check could tell the difference),
    /// else holds it until it does.
    fn send_level(&mut self, level: Pending, next_close: i64) {
        if level.arrives < next_close && !self.is_pending(&level.symbol, level.kind) {
            self.arm(level);
        } else {
            self.pending.push(level);
        }
    }

    /// Puts an arrived level in force (nothing when its position is gone).
    fn arm(&mut self, p: Pending) {
        if !self.positions.contains_key(&p.symbol) {
            return;
        }
        let levels = match p.kind {
            Trigger::Stop => &mut self.stops,
            Trigger::TakeProfit => &mut self.targets,
        };
        levels.insert(p.symbol, p.level);
    }

    /// Puts in force, oldest first, the levels that arrive before `close`.
    fn arm_arrived(&mut self, close: i64) {
        if self.pending.is_empty() {
            return;
        }
        let (arrived, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.arrives < close);
        self.pending = later;
        for p in arrived {
            self.arm(p);
        }
    }

    /// Cancels every working order that is not reduce-only (on flatten);
    /// returns the cancel events.
    pub fn cancel_entries(&mut self, at: i64) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        self.working.retain_mut(|w| {
            if w.order.reduce_only {
                return true;
            }
            let _ = w.order.apply(&OrderEvent::Canceled { at });
            out.push(TradeEvent::OrderCanceled {
                client_id: w.order.client_id.clone(),
                symbol: w.order.symbol.clone(),
                reason: "flatten".into(),
            });
            false
        });
        out
    }

    /// Every symbol the venue holds a position or a working order in.
    pub fn symbols(&self) -> impl Iterator<Item = &Symbol> {
        self.positions
            .keys()
            .chain(self.working.iter().map(|w| &w.order.symbol))
    }

    /// Whether an order for `symbol` is working.
    #[must_use]
    pub fn has_working(&self, symbol: &Symbol) -> bool {
        self.working.iter().any(|w| &w.order.symbol == symbol)
    }

    /// Orders open at the venue: working market orders and protective stops.
    #[must_use]
    pub fn open_orders(&self) -> Vec<OpenOrder> {
        let mut out: Vec<OpenOrder> = self
            .working
            .iter()
            .map(|w| OpenOrder::market(&w.order))
            .collect();
        for (s, &stop) in &self.stops {
            if let Some(&(side, qty)) = self.positions.get(s) {
                if let Some(&tp) = self.targets.get(s) {
                    out.push(OpenOrder {
                        client_id: format!("{}:{s}", Trigger::TakeProfit.prefix()),
                        symbol: s.clone(),
                        side: side.opposite(),
                        kind: "TAKE_PROFIT_MARKET".into(),
                        qty,
                        stop_price: Some(tp),
                        reduce_only: true,
                    });
                }
                out.push(OpenOrder {
                    client_id: format!("{}:{s}", Trigger::Stop.prefix()),
                    symbol: s.clone(),
                    side: side.opposite(),
                    kind: "STOP_MARKET".into(),
                    qty,
                    stop_price: Some(stop),
                    reduce_only: true,
                });
            }
        }
        out
    }

    /// The venue's net positions (side, quantity).
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<Symbol, (PositionSide, f64)> {
        &self.positions
    }

    /// One candle per symbol of the minute that opened at market time
    /// `at`: the market orders that reached the venue before it closed are
    /// booked at the touch they found, the levels that arrived are put in
    /// force, then stops and take-profits the candle reached fire and fill
    /// at its touch. Returns the events in the order they happened (fills,
    /// the stop orders that triggered, cancels).
    pub fn on_candles(&mut self, at: i64, candles: &BTreeMap<Symbol, Candle>) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        let close = at + MINUTE_MS;
        self.clock = Some(at);
        for mut w in std::mem::take(&mut self.working) {
            match candles.get(&w.order.symbol) {
                Some(_) if w.arrives < close => {
                    let tick = self.ticks.get(&w.order.symbol).copied().unwrap_or(0.0);
                    let price = self.model.market_price(w.order.side, w.close, tick);
                    let levels = Levels {
                        stop: w.stop,
                        take_profit: w.take_profit,
                        sent: w.arrives,
                    };
                    self.fill(w.order, levels, price, at, &mut out);
                }
                Some(c) => {
                    // Still on its way: this close is the latest before it
                    // arrives.
                    w.close = c.close;
                    self.working.push(w);
                }
                None => self.working.push(w),
            }
        }
        self.arm_arrived(close);
        // Stops first, then take-profits (the simulator fires conditional
        // orders in the order they were placed, the stop first): a candle
        // that reached both is read as stopped, the safe reading.
        self.trigger(Trigger::Stop, at, candles, &mut out);
        self.trigger(Trigger::TakeProfit, at, candles, &mut out);
        out
    }

    /// Fires the conditional closes of `kind` that the candles reached and
    /// fills them at the candle's touch (closing the whole position, as
    /// `closePosition`).
    fn trigger(
        &mut self,
        kind: Trigger,
        at: i64,
        candles: &BTreeMap<Symbol, Candle>,
        out: &mut Vec<TradeEvent>,
    ) {
        let levels = match kind {
            Trigger::Stop => &self.stops,
            Trigger::TakeProfit => &self.targets,
        };
        let reached: Vec<(Symbol, f64, f64)> = levels
            .iter()
            .filter_map(|(s, &level)| {
                let (side, _) = self.positions.get(s)?;
                let c = candles.get(s)?;
                let order_type = match kind {
                    Trigger::Stop => OrderType::StopMarket,
                    Trigger::TakeProfit => OrderType::TakeProfitMarket,
                };
                let close_side = exchange_side(side.opposite());
                fires(order_type, close_side, level, c.low, c.high)
                    .then(|| (s.clone(), level, c.close))
            })
            .collect();
        for (s, level, close) in reached {
            let Some(&(side, qty)) = self.positions.get(&s) else {
                continue;
            };
            let tick = self.ticks.get(&s).copied().unwrap_or(0.0);
            let price = self.model.market_price(side.opposite(), close, tick);
            // Named for the conditional order that placed it, as the
            // venue's open orders name it (`stop:<SYMBOL>`, `tp:<SYMBOL>`).
            self.seq += 1;
            let id = format!("{}:{s}:{}", kind.prefix(), self.seq);
            let order = self.accept(&OrderRequest::exit(s.clone(), side, qty, level, at), at, id);
            self.working.pop();
            out.push(TradeEvent::OrderPlaced(order.clone()));
            self.fill(order, Levels::NONE, price, at, out);
        }
    }

    fn fill(
        &mut self,
        mut o: ManagedOrder,
        levels: Levels,
        price: f64,
        at: i64,
        out: &mut Vec<TradeEvent>,
    ) {
        let Levels {
            stop,
            take_profit,
            sent,
        } = levels;
        let open = self.positions.get(&o.symbol).copied();
        if o.reduce_only {
            // A reduce-only order never opens or flips: it shrinks to what
            // is open, and lapses when nothing is (as Binance cancels it).
            let reducible = open.filter(|(s, _)| *s != o.side).map_or(0.0, |(_, q)| q);
            if reducible <= 0.0 {
                let _ = o.apply(&OrderEvent::Canceled { at });
                out.push(TradeEvent::OrderCanceled {
                    client_id: o.client_id,
                    symbol: o.symbol,
                    reason: "reduce-only with no position".into(),
                });
                return;
            }
            o.qty = o.qty.min(reducible);
        }
        let s = o.side.sign();
        let fee = o.qty * price * self.model.fee_rate;
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
        // The venue's own net position, and the stop that protects it.
        let signed = open.map_or(0.0, |(side, q)| side.sign() * q) + s * o.qty;
        if signed.abs() <= f64::EPSILON * o.qty.max(1.0) {
            self.positions.remove(&o.symbol);
            self.stops.remove(&o.symbol);
            self.targets.remove(&o.symbol);
            self.pending.retain(|p| p.symbol != o.symbol);
        } else {
            let side = if signed > 0.0 {
                PositionSide::Long
            } else {
                PositionSide::Short
            };
            self.positions
                .insert(o.symbol.clone(), (side, signed.abs()));
            if open.is_none() {
                // Sent once the fill is known, one latency after the order
                // arrived; in force for this minute if they arrive before
                // it closes.
                let arrives = sent + self.model.latency();
                let close = at + MINUTE_MS;
                let sends = [(Trigger::Stop, stop), (Trigger::TakeProfit, take_profit)];
                for (kind, level) in sends {
                    if let Some(level) = level {
                        let p = Pending {
                            symbol: o.symbol.clone(),
                            kind,
                            level,
                            arrives,
                        };
                        self.send_level(p, close);
                    }
                }
            }
        }
        out.push(TradeEvent::OrderFilled(Fill {
            client_id: o.client_id,
            symbol: o.symbol,
            side: o.side,
            qty: o.qty,
            price,
            fee,
            at,
            reduce_only: o.reduce_only,
            stop,
        }));
    }
}

/// The levels an entry's fill sends to the venue, and when its order
/// arrived (the fill is known then).
struct Levels {
    stop: Option<f64>,
    take_profit: Option<f64>,
    sent: i64,
}

impl Levels {
    /// A close's fill: it sends none.
    const NONE: Self = Self {
        stop: None,
        take_profit: None,
        sent: 0,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(t: i64, o: f64, h: f64, l: f64, c: f64) -> Candle {
        Candle::ohlcv(t, o, h, l, c, 1.0)
    }

    fn one(s: &Symbol, c: Candle) -> BTreeMap<Symbol, Candle> {
        BTreeMap::from([(s.clone(), c)])
    }

    fn rules() -> SymbolRules {
        crate::trading::paper::rules_of(&crate::market::instrument::Instrument {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            tick_size: TICK,
            step_size: 0.001,
            min_notional: 0.0,
            status: crate::market::instrument::ContractStatus::Trading,
        })
        .unwrap()
    }

    impl PaperVenue {
        fn submit_at_tick(&mut self, req: &OrderRequest) -> ManagedOrder {
            self.submit(req, Some(&rules())).unwrap()
        }
    }

    const MODEL: FillModel = FillModel {
        fee_rate: 0.0004,
        slippage_bps: 1.0,
        spread_bps: 2.0,
        latency_ms: 0,
    };

    /// The model with a latency of `ms`.
    fn slow(ms: u64) -> FillModel {
        FillModel {
            latency_ms: ms,
            ..MODEL
        }
    }

    fn fills(ev: &[TradeEvent]) -> Vec<&Fill> {
        ev.iter()
            .filter_map(|e| match e {
                TradeEvent::OrderFilled(f) => Some(f),
                _ => None,
            })
            .collect()
    }
    const TICK: f64 = 0.01;

    fn close_to(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn market_order_fills_at_the_decision_touch_with_slippage_and_fee_and_arms_the_stop() {
        let s = Symbol::new("BTCUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        let o = v.submit_at_tick(&OrderRequest::entry(
            s.clone(),
            PositionSide::Long,
            2.0,
            100.0,
            95.0,
            0,
        ));
        assert_eq!(o.client_id, "qt-1-0");
        assert_eq!(v.open_orders().len(), 1);
        let ev = v.on_candles(60_000, &one(&s, candle(60_000, 101.0, 102.0, 100.0, 101.5)));
        let TradeEvent::OrderFilled(f) = &ev[0] else {
            panic!("{ev:?}")
        };
        // Ask 100.01 (1 bps above the close 100, on the tick), 1 bps of
        // slippage (100.020001) rounded up to the tick: the candle's own
        // open does not matter.
        assert!(close_to(f.price, 100.03), "{}", f.price);
        assert!((f.fee - 2.0 * f.price * 0.0004).abs() < 1e-12);
        assert_eq!(v.positions()[&s], (PositionSide::Long, 2.0));
        let orders = v.open_orders();
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].kind, "STOP_MARKET");
        assert_eq!(orders[0].stop_price, Some(95.0));
    }

    #[test]
    fn a_touched_stop_closes_the_whole_position_at_the_minutes_touch() {
        let s = Symbol::new("ETHUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        v.submit_at_tick(&OrderRequest::entry(
            s.clone(),
            PositionSide::Short,
            3.0,
            100.0,
            105.0,
            0,
        ));
        v.on_candles(60_000, &one(&s, candle(60_000, 100.0, 101.0, 99.0, 100.0)));
        // A partial exit first, then the stop on the next candle.
        v.submit_at_tick(&OrderRequest::exit(
            s.clone(),
            PositionSide::Short,
            1.0,
            100.0,
            60_000,
        ));
        v.move_stop(&s, 104.0, Some(&rules()));
        let ev = v.on_candles(
            120_000,
            &one(&s, candle(120_000, 100.0, 104.5, 99.0, 104.0)),
        );
        let fills: Vec<&Fill> = ev
            .iter()
            .filter_map(|e| match e {
                TradeEvent::OrderFilled(f) => Some(f),
                _ => None,
            })
            .collect();
        assert_eq!(fills.len(), 2);
        assert_eq!(fills[1].qty, 2.0);
        // The stop fires on the high and buys at the touch after the
        // minute: ask 104.0104 → 104.02, slipped 104.030402 → 104.04.
        assert!(close_to(fills[1].price, 104.04), "{}", fills[1].price);
        assert!(v.positions().is_empty());
        assert!(v.open_orders().is_empty());
    }

    #[test]
    fn a_reached_take_profit_closes_the_position_unless_the_stop_came_first() {
        let s = Symbol::new("BNBUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        let entry = OrderRequest::entry(s.clone(), PositionSide::Long, 2.0, 100.0, 95.0, 0)
            .with_take_profit(110.0);
        v.submit_at_tick(&entry);
        v.on_candles(60_000, &one(&s, candle(60_000, 100.0, 101.0, 99.0, 100.0)));
        assert_eq!(v.open_orders().len(), 2);
        let ev = v.on_candles(
            120_000,
            &one(&s, candle(120_000, 105.0, 111.0, 104.0, 109.0)),
        );
        let Some(TradeEvent::OrderFilled(f)) = ev.last() else {
            panic!("{ev:?}")
        };
        // Fired on the high, sold at the close's touch: bid 108.9891 →
        // 108.98, slipped 108.969102 → 108.96 (not at the target).
        assert!(close_to(f.price, 108.96), "{}", f.price);
        assert!(f.client_id.starts_with("tp:BNBUSDT:"), "{}", f.client_id);
        assert!(v.positions().is_empty() && v.open_orders().is_empty());
        // Both touched in one candle: the stop, the safe reading.
        v.submit_at_tick(&entry);
        v.on_candles(
            180_000,
            &one(&s, candle(180_000, 100.0, 101.0, 99.0, 100.0)),
        );
        let ev = v.on_candles(
            240_000,
            &one(&s, candle(240_000, 100.0, 111.0, 94.0, 100.0)),
        );
        let Some(TradeEvent::OrderFilled(f)) = ev.last() else {
            panic!("{ev:?}")
        };
        assert!(f.client_id.starts_with("stop:BNBUSDT:"), "{}", f.client_id);
        // Sold at the touch of the close 100: bid 99.99, slipped → 99.98.
        assert!(close_to(f.price, 99.98), "{}", f.price);
    }

    #[test]
    fn reduce_only_without_a_position_is_canceled_not_filled() {
        let s = Symbol::new("SOLUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        v.submit_at_tick(&OrderRequest::exit(
            s.clone(),
            PositionSide::Long,
            1.0,
            10.0,
            0,
        ));
        let ev = v.on_candles(60_000, &one(&s, candle(60_000, 10.0, 10.0, 10.0, 10.0)));
        assert!(matches!(ev[..], [TradeEvent::OrderCanceled { .. }]));
        assert!(v.positions().is_empty());
    }

    #[test]
    fn orders_wait_for_their_symbols_candle_and_flatten_cancels_entries() {
        let (a, b) = (Symbol::new("AUSDT").unwrap(), Symbol::new("BUSDT").unwrap());
        let mut v = PaperVenue::new(MODEL);
        v.submit_at_tick(&OrderRequest::entry(
            a.clone(),
            PositionSide::Long,
            1.0,
            1.0,
            0.9,
            0,
        ));
        v.submit_at_tick(&OrderRequest::entry(
            b.clone(),
            PositionSide::Long,
            1.0,
            1.0,
            0.9,
            0,
        ));
        let ev = v.on_candles(60_000, &one(&a, candle(60_000, 1.0, 1.0, 1.0, 1.0)));
        assert_eq!(ev.len(), 1);
        assert!(v.has_working(&b));
        let ev = v.cancel_entries(60_000);
        assert_eq!(ev.len(), 1);
        assert!(!v.has_working(&b));
    }

    #[test]
    fn orders_go_out_as_the_live_executor_sends_them() {
        let s = Symbol::new("BTCUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        let entry = OrderRequest::entry(s.clone(), PositionSide::Long, 1.23456, 100.0, 95.4321, 0)
            .with_take_profit(110.0049);
        let o = v.submit_at_tick(&entry);
        assert!(
            close_to(o.qty, 1.234),
            "quantity down to the step: {}",
            o.qty
        );
        v.on_candles(60_000, &one(&s, candle(60_000, 100.0, 100.0, 100.0, 100.0)));
        let orders = v.open_orders();
        let price = |kind: &str| orders.iter().find(|o| o.kind == kind).unwrap().stop_price;
        // A sell stop rounds down, a sell take-profit up: neither fires early.
        assert!(close_to(price("STOP_MARKET").unwrap(), 95.43));
        assert!(close_to(price("TAKE_PROFIT_MARKET").unwrap(), 110.01));
        v.move_stop(&s, 97.005, Some(&rules()));
        assert!(close_to(v.open_orders()[1].stop_price.unwrap(), 97.0));
        // Below the minimum quantity: refused, as the exchange would.
        let tiny = OrderRequest::entry(s, PositionSide::Short, 0.0004, 100.0, 101.0, 0);
        assert!(v.submit(&tiny, Some(&rules())).is_err());
    }

    #[test]
    fn an_order_slower_than_a_minute_fills_at_the_touch_it_arrives_to_and_its_stop_comes_later() {
        let s = Symbol::new("BTCUSDT").unwrap();
        // Sent on the close at 60 s, it arrives at 160 s: after the close
        // of the minute opened at 60 s (120 s), before the next (180 s).
        let mut v = PaperVenue::new(slow(100_000));
        v.submit_at_tick(&OrderRequest::entry(
            s.clone(),
            PositionSide::Long,
            2.0,
            100.0,
            95.0,
            0,
        ));
        let ev = v.on_candles(60_000, &one(&s, candle(60_000, 100.0, 104.0, 99.0, 103.0)));
        assert!(ev.is_empty(), "still on its way: {ev:?}");
        assert!(v.has_working(&s));
        // Its stop is sent once the fill is known (160 s) and arrives at
        // 260 s: this minute's low (90) is not checked against it.
        let ev = v.on_candles(
            120_000,
            &one(&s, candle(120_000, 103.0, 106.0, 90.0, 105.0)),
        );
        let f = fills(&ev);
        assert_eq!(f.len(), 1, "{ev:?}");
        // The touch of the 103 close (ask 103.0103 → 103.02, slipped
        // 103.030302 → 103.04), not the decision's 100.
        assert!(close_to(f[0].price, 103.04), "{}", f[0].price);
        assert_eq!(f[0].at, 120_000);
        assert!(v.open_orders().is_empty(), "the stop is on its way");
        let ev = v.on_candles(
            180_000,
            &one(&s, candle(180_000, 105.0, 106.0, 94.0, 105.0)),
        );
        assert!(ev.is_empty(), "not in force before 260 s: {ev:?}");
        let ev = v.on_candles(240_000, &one(&s, candle(240_000, 105.0, 106.0, 94.0, 96.0)));
        let f = fills(&ev);
        assert_eq!(f.len(), 1, "{ev:?}");
        assert!(f[0].client_id.starts_with("stop:BTCUSDT:"));
        assert!(v.positions().is_empty());
    }

    #[test]
    fn a_slow_stop_move_leaves_the_old_stop_in_force_until_it_arrives() {
        let s = Symbol::new("ETHUSDT").unwrap();
        let mut v = PaperVenue::new(slow(70_000));
        v.submit_at_tick(&OrderRequest::entry(
            s.clone(),
            PositionSide::Long,
            1.0,
            100.0,
            90.0,
            0,
        ));
        // Arrives at 130 s; the stop sent then arrives at 200 s.
        let calm = |t: i64| one(&s, candle(t, 100.0, 100.0, 100.0, 100.0));
        assert!(v.on_candles(60_000, &calm(60_000)).is_empty());
        assert_eq!(fills(&v.on_candles(120_000, &calm(120_000))).len(), 1);
        assert!(v.open_orders().is_empty());
        assert!(v.on_candles(180_000, &calm(180_000)).is_empty());
        assert_eq!(v.open_orders()[0].stop_price, Some(90.0));
        // Moved on the close at 240 s, the new stop arrives at 310 s: the
        // minute closing at 300 s still has the old one (not reached at 95).
        v.move_stop(&s, 96.0, Some(&rules()));
        let ev = v.on_candles(240_000, &one(&s, candle(240_000, 100.0, 100.0, 95.0, 99.0)));
        assert!(ev.is_empty(), "{ev:?}");
        assert_eq!(v.open_orders()[0].stop_price, Some(90.0));
        let ev = v.on_candles(300_000, &one(&s, candle(300_000, 99.0, 99.0, 95.0, 97.0)));
        assert_eq!(fills(&ev).len(), 1, "the moved stop fired: {ev:?}");
    }

    proptest::proptest! {
        /// Sent on the decision minute's close, an order with latency `L`
        /// fills at the touch of the close `L / 60 s` minutes later
        /// (rounded down), booked with the minute after that close.
        #[test]
        fn an_order_fills_at_the_last_close_before_it_arrives(
            latency in 0u64..600_000,
            closes in proptest::collection::vec(50.0f64..150.0, 12),
        ) {
            let s = Symbol::new("BTCUSDT").unwrap();
            let model = slow(latency);
            let mut v = PaperVenue::new(model);
            v.submit_at_tick(&OrderRequest::entry(
                s.clone(), PositionSide::Short, 1.0, closes[0], 1e6, 0,
            ));
            let k = usize::try_from(latency / 60_000).unwrap();
            let mut got = None;
            for (j, &c) in closes.iter().enumerate().skip(1) {
                let at = i64::try_from(j).unwrap() * 60_000;
                let ev = v.on_candles(at, &one(&s, candle(at, c, c, c, c)));
                if let Some(f) = fills(&ev).first() {
                    got = Some((j, f.price));
                    break;
                }
            }
            let want = model.market_price(PositionSide::Short, closes[k], TICK);
            proptest::prop_assert_eq!(got, Some((k + 1, want)));
        }
    }
}

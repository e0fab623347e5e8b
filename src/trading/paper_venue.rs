//! The paper venue: an in-process exchange for one account. Market orders
//! fill at the next candle's open, moved against us by the slippage, paying
//! the fee; every position carries a reduce-only protective stop *at the
//! venue* (as the node keeps it on Binance), which fills at its price,
//! with slippage, on the first candle that touches it.
//!
//! Per candle, in order: market orders at the open, then the stops. A stop
//! closes whatever the position holds then (Binance's `closePosition`), so
//! partial exits never leave it oversized.

use super::event::{Fill, OrderRequest, TradeEvent};
use crate::execution::order::{ManagedOrder, OrderEvent, client_order_id};
use crate::market::{Candle, Symbol};
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fill model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FillModel {
    /// Fee per fill, fraction of notional.
    pub fee_rate: f64,
    /// Adverse move of every fill, basis points.
    pub slippage_bps: f64,
}

/// A working order with the stop its entry opens a position with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Working {
    order: ManagedOrder,
    stop: Option<f64>,
    take_profit: Option<f64>,
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
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Stop,
    TakeProfit,
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
    seq: u64,
    trade_id: i64,
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
            seq: 0,
            trade_id: 0,
        }
    }

    /// Accepts a market order for the next open; returns the acknowledged
    /// order (the `OrderPlaced` event's payload).
    pub fn submit(&mut self, req: &OrderRequest) -> ManagedOrder {
        self.seq += 1;
        let mut order = ManagedOrder::new(
            client_order_id(self.seq, 0),
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
            stop: req.stop,
            take_profit: req.take_profit,
        });
        order
    }

    /// Moves a position's protective stop.
    pub fn move_stop(&mut self, symbol: &Symbol, stop: f64) {
        if let Some(s) = self.stops.get_mut(symbol) {
            *s = stop;
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
                        client_id: format!("tp:{s}"),
                        symbol: s.clone(),
                        side: side.opposite(),
                        kind: "TAKE_PROFIT_MARKET".into(),
                        qty,
                        stop_price: Some(tp),
                        reduce_only: true,
                    });
                }
                out.push(OpenOrder {
                    client_id: format!("stop:{s}"),
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

    /// One candle per symbol at market time `at`: market orders fill at the
    /// open, then touched stops at their price. Returns the events in the
    /// order they happened (fills, the stop orders that triggered, cancels).
    pub fn on_candles(&mut self, at: i64, candles: &BTreeMap<Symbol, Candle>) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        for w in std::mem::take(&mut self.working) {
            match candles.get(&w.order.symbol) {
                Some(c) => self.fill(w.order, (w.stop, w.take_profit), c.open, at, &mut out),
                None => self.working.push(w),
            }
        }
        // Stops first, then take-profits: a candle that touched both is
        // read as stopped, the safe reading (only positions still open
        // reach their target).
        self.trigger(Trigger::Stop, at, candles, &mut out);
        self.trigger(Trigger::TakeProfit, at, candles, &mut out);
        out
    }

    /// Fills, at their price, the conditional closes of `kind` that the
    /// candles reached (closing the whole position, as `closePosition`).
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
        let reached: Vec<(Symbol, f64)> = levels
            .iter()
            .filter_map(|(s, &level)| {
                let (side, _) = self.positions.get(s)?;
                let c = candles.get(s)?;
                let long = side.sign() > 0.0;
                let hit = match kind {
                    // Adverse extreme through the stop.
                    Trigger::Stop => {
                        side.sign() * ((if long { c.low } else { c.high }) - level) <= 0.0
                    }
                    // Favourable extreme through the target.
                    Trigger::TakeProfit => {
                        side.sign() * ((if long { c.high } else { c.low }) - level) >= 0.0
                    }
                };
                hit.then(|| (s.clone(), level))
            })
            .collect();
        for (s, level) in reached {
            let Some(&(side, qty)) = self.positions.get(&s) else {
                continue;
            };
            let order = self.submit(&OrderRequest::exit(s.clone(), side, qty, level, at));
            self.working.pop();
            out.push(TradeEvent::OrderPlaced(order.clone()));
            self.fill(order, (None, None), level, at, out);
        }
    }

    fn fill(
        &mut self,
        mut o: ManagedOrder,
        (stop, take_profit): (Option<f64>, Option<f64>),
        raw_price: f64,
        at: i64,
        out: &mut Vec<TradeEvent>,
    ) {
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
        let price = raw_price * (1.0 + s * self.model.slippage_bps / 1e4);
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
        } else {
            let side = if signed > 0.0 {
                PositionSide::Long
            } else {
                PositionSide::Short
            };
            self.positions
                .insert(o.symbol.clone(), (side, signed.abs()));
            if open.is_none() {
                if let Some(stop) = stop {
                    self.stops.insert(o.symbol.clone(), stop);
                }
                if let Some(tp) = take_profit {
                    self.targets.insert(o.symbol.clone(), tp);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(t: i64, o: f64, h: f64, l: f64, c: f64) -> Candle {
        Candle::ohlcv(t, o, h, l, c, 1.0)
    }

    fn one(s: &Symbol, c: Candle) -> BTreeMap<Symbol, Candle> {
        BTreeMap::from([(s.clone(), c)])
    }

    const MODEL: FillModel = FillModel {
        fee_rate: 0.0004,
        slippage_bps: 1.0,
    };

    #[test]
    fn market_order_fills_at_next_open_with_slippage_and_fee_and_arms_the_stop() {
        let s = Symbol::new("BTCUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        let o = v.submit(&OrderRequest::entry(
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
        assert!((f.price - 101.0 * 1.0001).abs() < 1e-12);
        assert!((f.fee - 2.0 * f.price * 0.0004).abs() < 1e-12);
        assert_eq!(v.positions()[&s], (PositionSide::Long, 2.0));
        let orders = v.open_orders();
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].kind, "STOP_MARKET");
        assert_eq!(orders[0].stop_price, Some(95.0));
    }

    #[test]
    fn a_touched_stop_closes_the_whole_position_at_the_stop() {
        let s = Symbol::new("ETHUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        v.submit(&OrderRequest::entry(
            s.clone(),
            PositionSide::Short,
            3.0,
            100.0,
            105.0,
            0,
        ));
        v.on_candles(60_000, &one(&s, candle(60_000, 100.0, 101.0, 99.0, 100.0)));
        // A partial exit first, then the stop on the next candle.
        v.submit(&OrderRequest::exit(
            s.clone(),
            PositionSide::Short,
            1.0,
            100.0,
            60_000,
        ));
        v.move_stop(&s, 104.0);
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
        assert!((fills[1].price - 104.0 * 1.0001).abs() < 1e-12);
        assert!(v.positions().is_empty());
        assert!(v.open_orders().is_empty());
    }

    #[test]
    fn a_reached_take_profit_closes_the_position_unless_the_stop_came_first() {
        let s = Symbol::new("BNBUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        let entry = OrderRequest::entry(s.clone(), PositionSide::Long, 2.0, 100.0, 95.0, 0)
            .with_take_profit(110.0);
        v.submit(&entry);
        v.on_candles(60_000, &one(&s, candle(60_000, 100.0, 101.0, 99.0, 100.0)));
        assert_eq!(v.open_orders().len(), 2);
        let ev = v.on_candles(
            120_000,
            &one(&s, candle(120_000, 105.0, 111.0, 104.0, 109.0)),
        );
        let Some(TradeEvent::OrderFilled(f)) = ev.last() else {
            panic!("{ev:?}")
        };
        assert!((f.price - 110.0 * (1.0 - 1e-4)).abs() < 1e-9);
        assert!(v.positions().is_empty() && v.open_orders().is_empty());
        // Both touched in one candle: the stop, the safe reading.
        v.submit(&entry);
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
        assert!((f.price - 95.0 * (1.0 - 1e-4)).abs() < 1e-9);
    }

    #[test]
    fn reduce_only_without_a_position_is_canceled_not_filled() {
        let s = Symbol::new("SOLUSDT").unwrap();
        let mut v = PaperVenue::new(MODEL);
        v.submit(&OrderRequest::exit(
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
        v.submit(&OrderRequest::entry(
            a.clone(),
            PositionSide::Long,
            1.0,
            1.0,
            0.9,
            0,
        ));
        v.submit(&OrderRequest::entry(
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
}

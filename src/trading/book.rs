//! The position book: the account as the node sees it — cash, open
//! positions, marks, realized PnL, fees and funding — fed by fills and
//! candles. The PositionActor is its shell.
//!
//! Cash moves only by realized PnL, fees and funding, so at every point
//! equity = initial cash + Σ realized − Σ fees + Σ funding + Σ unrealized.

use super::event::{Fill, OrderRequest, TradeEvent};
use crate::market::{Candle, Symbol};
use crate::portfolio::position::{ManagementConfig, Position, PositionAction};
use crate::risk::limits::OpenPosition;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Binance funds USDⓈ-M perpetuals every 8 hours, at 00:00, 08:00 and
/// 16:00 UTC.
pub const FUNDING_INTERVAL_MS: i64 = 8 * 3_600_000;

/// What managing the positions on a candle asks of the venue.
#[derive(Debug, Clone, PartialEq)]
pub enum Management {
    /// Move the symbol's protective stop.
    MoveStop(Symbol, f64),
    /// Send this reduce-only order (a partial exit).
    Order(OrderRequest),
}

/// The book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionBook {
    initial_cash: f64,
    cash: f64,
    positions: BTreeMap<Symbol, Position>,
    realized: f64,
    fees: f64,
    funding: f64,
    /// Last price seen per symbol (a symbol without a candle keeps its mark).
    marks: BTreeMap<Symbol, f64>,
}

impl PositionBook {
    /// A book holding `cash`.
    #[must_use]
    pub fn new(cash: f64) -> Self {
        Self {
            initial_cash: cash,
            cash,
            positions: BTreeMap::new(),
            realized: 0.0,
            fees: 0.0,
            funding: 0.0,
            marks: BTreeMap::new(),
        }
    }

    /// Open positions.
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<Symbol, Position> {
        &self.positions
    }

    /// Cash: initial + realized − fees + funding.
    #[must_use]
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Realized price PnL and fees so far.
    #[must_use]
    pub fn realized_and_fees(&self) -> (f64, f64) {
        (self.realized, self.fees)
    }

    /// Funding received (negative: paid) so far.
    #[must_use]
    pub fn funding(&self) -> f64 {
        self.funding
    }

    /// The last mark of `symbol`.
    #[must_use]
    pub fn mark(&self, symbol: &Symbol) -> Option<f64> {
        self.marks.get(symbol).copied()
    }

    /// Equity: cash + unrealized at each symbol's last mark.
    #[must_use]
    pub fn equity(&self) -> f64 {
        self.cash
            + self
                .positions
                .iter()
                .map(|(s, p)| p.unrealized(self.marks.get(s).copied().unwrap_or(p.entry)))
                .sum::<f64>()
    }

    /// The open positions as the risk gate sees them (notional at the mark).
    #[must_use]
    pub fn open_positions(&self) -> Vec<OpenPosition> {
        self.positions
            .values()
            .map(|p| OpenPosition {
                symbol: p.symbol.clone(),
                side: p.side,
                notional: p.qty * self.marks.get(&p.symbol).copied().unwrap_or(p.entry),
            })
            .collect()
    }

    /// The identity the book keeps: cash − (initial + realized − fees +
    /// funding), 0 up to rounding.
    #[must_use]
    pub fn accounting_error(&self) -> f64 {
        self.cash - (self.initial_cash + self.realized - self.fees + self.funding)
    }

    /// Takes the candles' closes as marks.
    pub fn mark_candles(&mut self, candles: &BTreeMap<Symbol, Candle>) {
        for (s, c) in candles {
            self.marks.insert(s.clone(), c.close);
        }
    }

    /// Books a fill: opens, grows, shrinks or closes the position.
    pub fn on_fill(&mut self, f: &Fill) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        self.fees += f.fee;
        self.cash -= f.fee;
        match self.positions.get_mut(&f.symbol) {
            None if !f.reduce_only => {
                let p = Position::open(
                    f.symbol.clone(),
                    f.side,
                    f.qty,
                    f.price,
                    f.stop.unwrap_or(f64::NAN),
                    f.fee,
                    f.at,
                );
                out.push(TradeEvent::PositionOpened(p.clone()));
                self.positions.insert(f.symbol.clone(), p);
            }
            None => {}
            Some(p) => {
                let pnl = p.fill(f.side, f.qty, f.price, f.fee);
                self.realized += pnl;
                self.cash += pnl;
                if p.is_closed() {
                    let net = p.realized - p.fees + p.funding;
                    out.push(TradeEvent::PositionClosed {
                        symbol: f.symbol.clone(),
                        pnl: net,
                    });
                    self.positions.remove(&f.symbol);
                }
            }
        }
        out
    }

    /// Manages every open position on its candle: trailing stops and partial
    /// exits (a touched stop is the venue's to fill, so it is not acted on
    /// here). Returns what the venue must do and the `StopMoved` and
    /// `ExitSignal` events.
    pub fn manage(
        &mut self,
        at: i64,
        candles: &BTreeMap<Symbol, Candle>,
        atr: &BTreeMap<Symbol, f64>,
        cfg: &ManagementConfig,
    ) -> (Vec<Management>, Vec<TradeEvent>) {
        let (mut asks, mut events) = (Vec::new(), Vec::new());
        for (s, p) in &mut self.positions {
            let Some(c) = candles.get(s) else { continue };
            let a = atr.get(s).copied().unwrap_or(f64::NAN);
            let side = p.side;
            for action in p.on_candle(c.high, c.low, a, cfg) {
                match action {
                    PositionAction::StopTouched(_) => break,
                    PositionAction::PartialExit { qty, r } => {
                        events.push(TradeEvent::ExitSignal {
                            symbol: s.clone(),
                            side,
                            qty,
                            r,
                            price: c.close,
                            high: c.high,
                            low: c.low,
                            entry: p.entry,
                            stop: p.stop,
                        });
                        asks.push(Management::Order(OrderRequest::exit(
                            s.clone(),
                            side,
                            qty,
                            c.close,
                            at,
                        )));
                    }
                    PositionAction::MoveStop(stop) => {
                        asks.push(Management::MoveStop(s.clone(), stop));
                        events.push(TradeEvent::StopMoved {
                            symbol: s.clone(),
                            stop,
                        });
                    }
                }
            }
        }
        (asks, events)
    }

    /// Funding at each 8-hour boundary crossed in `(from, to]`: every open
    /// position pays (longs, when `rate` is positive) qty × mark × rate.
    pub fn fund(&mut self, from: i64, to: i64, rate: f64) -> Vec<TradeEvent> {
        let mut out = Vec::new();
        if rate == 0.0 || to <= from {
            return out;
        }
        let mut t = (from.div_euclid(FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS;
        while t <= to {
            for (s, p) in &mut self.positions {
                let mark = self.marks.get(s).copied().unwrap_or(p.entry);
                let amount = -p.side.sign() * p.qty * mark * rate;
                p.fund(amount);
                self.funding += amount;
                self.cash += amount;
                out.push(TradeEvent::Funding {
                    symbol: s.clone(),
                    amount,
                    at: t,
                });
            }
            t += FUNDING_INTERVAL_MS;
        }
        out
    }

    /// Reduce-only exits that close every open position at its mark.
    #[must_use]
    pub fn flatten_orders(&self, at: i64) -> Vec<OrderRequest> {
        self.positions
            .values()
            .map(|p| {
                let px = self.marks.get(&p.symbol).copied().unwrap_or(f64::NAN);
                OrderRequest::exit(p.symbol.clone(), p.side, p.qty, px, at)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::sizing::PositionSide;
    use proptest::prelude::*;

    fn fill(s: &str, side: PositionSide, qty: f64, price: f64, reduce: bool) -> Fill {
        Fill {
            client_id: "qt-1-0".into(),
            symbol: Symbol::new(s).unwrap(),
            side,
            qty,
            price,
            fee: qty * price * 0.0004,
            at: 0,
            reduce_only: reduce,
            stop: (!reduce).then_some(price * 0.9),
        }
    }

    #[test]
    fn funding_is_paid_by_longs_at_each_eight_hour_boundary() {
        let mut b = PositionBook::new(1_000.0);
        b.on_fill(&fill("AUSDT", PositionSide::Long, 2.0, 100.0, false));
        // 07:59 → 16:00 crosses 08:00 and 16:00.
        let ev = b.fund(
            FUNDING_INTERVAL_MS - 60_000,
            2 * FUNDING_INTERVAL_MS,
            0.0001,
        );
        assert_eq!(ev.len(), 2);
        assert!((b.funding() + 2.0 * 2.0 * 100.0 * 0.0001).abs() < 1e-12);
        assert!(b.accounting_error().abs() < 1e-9);
        // No boundary inside, nothing paid.
        assert!(b.fund(1, 60_000, 0.0001).is_empty());
    }

    #[test]
    fn a_partial_exit_comes_with_the_exit_signal_that_decided_it() {
        let mut b = PositionBook::new(10_000.0);
        // Long 3 at 100 with its stop at 90: 1R is 110.
        b.on_fill(&fill("AUSDT", PositionSide::Long, 3.0, 100.0, false));
        let s = Symbol::new("AUSDT").unwrap();
        let candle = Candle::ohlcv(60_000, 100.0, 111.0, 99.0, 109.0, 1.0);
        let (asks, events) = b.manage(
            60_000,
            &BTreeMap::from([(s.clone(), candle)]),
            &BTreeMap::new(),
            &ManagementConfig::default(),
        );
        let exit = events
            .iter()
            .find_map(|e| match e {
                TradeEvent::ExitSignal {
                    qty,
                    r,
                    price,
                    entry,
                    stop,
                    ..
                } => Some((*qty, *r, *price, *entry, *stop)),
                _ => None,
            })
            .expect("an exit signal");
        let order = asks
            .iter()
            .find_map(|a| match a {
                Management::Order(o) => Some(o.clone()),
                Management::MoveStop(..) => None,
            })
            .expect("its order");
        // At 1R the stop also moved to break-even: the signal shows it.
        assert_eq!((exit.1, exit.2, exit.3, exit.4), (1.0, 109.0, 100.0, 100.0));
        assert!(order.reduce_only && order.qty == exit.0 && order.side == PositionSide::Short);
    }

    proptest! {
        /// Whatever the fills, cash = initial + realized − fees + funding
        /// and equity = cash + unrealized.
        #[test]
        fn the_books_balance(
            fills in prop::collection::vec((any::<bool>(), 0.1f64..5.0, 50.0f64..150.0, any::<bool>()), 1..40),
            rate in -0.001f64..0.001,
        ) {
            let mut b = PositionBook::new(10_000.0);
            for (i, (long, qty, price, reduce)) in fills.into_iter().enumerate() {
                let side = if long { PositionSide::Long } else { PositionSide::Short };
                b.on_fill(&fill("AUSDT", side, qty, price, reduce));
                let t = i64::try_from(i).unwrap() * FUNDING_INTERVAL_MS / 2;
                b.fund(t, t + FUNDING_INTERVAL_MS / 2, rate);
                prop_assert!(b.accounting_error().abs() < 1e-6);
                let unrealized: f64 = b.positions().values().map(|p| p.unrealized(p.entry)).sum();
                prop_assert!((b.equity() - b.cash() - unrealized).abs() < 1e-6);
            }
        }
    }
}

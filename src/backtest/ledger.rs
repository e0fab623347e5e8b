//! The node strategy's report book: orders, fills and trades taken from the
//! trading events of each minute, and the equity at each minute's close.
//! The pure-core replay ([`super::node_replay`]) and the actor backtest
//! (the real node on a simulated clock, which reads the same events back
//! from its event store) both report through it, so their reports are
//! built the same way.

use super::report::{Report, ReportFill, ReportOrder, ReportTrade, order_side};
use crate::market::{Candle, Symbol};
use crate::risk::sizing::PositionSide;
use crate::trading::book::PositionBook;
use crate::trading::event::{Fill, TradeEvent};
use std::collections::BTreeMap;

/// An open position's trade, while it is being built.
#[derive(Debug, Clone)]
struct OpenTrade {
    side: PositionSide,
    qty: f64,
    entry_time: i64,
    entry_price: f64,
    exit_qty: f64,
    exit_notional: f64,
    fees: f64,
}

/// The report book of a node-strategy run.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    open: BTreeMap<Symbol, OpenTrade>,
    /// Traded minutes that ended with a position open.
    minutes_in_market: usize,
    trades: Vec<ReportTrade>,
    orders: Vec<ReportOrder>,
    fills: Vec<ReportFill>,
    equity: Vec<(i64, f64)>,
}

impl Ledger {
    /// An empty ledger.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Books the trading events of the minute that opened at `time`:
    /// orders and fills as they come, one trade per position (entry at its
    /// opening fill, exit at the quantity-weighted price of its closing
    /// fills).
    pub fn on_events<'a>(&mut self, time: i64, events: impl IntoIterator<Item = &'a TradeEvent>) {
        for e in events {
            match e {
                TradeEvent::OrderPlaced(o) => {
                    let kind = match o.client_id.split_once(':') {
                        Some(("stop", _)) => "STOP_MARKET",
                        Some(("tp", _)) => "TAKE_PROFIT_MARKET",
                        _ => "MARKET",
                    };
                    self.orders.push(ReportOrder {
                        time,
                        symbol: o.symbol.to_string(),
                        side: order_side(o.side.sign() > 0.0),
                        qty: o.qty,
                        kind: kind.into(),
                        reduce_only: o.reduce_only,
                        decision_price: o.decision_price,
                    });
                }
                TradeEvent::PositionOpened(p) => {
                    self.open.insert(
                        p.symbol.clone(),
                        OpenTrade {
                            side: p.side,
                            qty: p.qty,
                            entry_time: p.opened_at,
                            entry_price: p.entry,
                            exit_qty: 0.0,
                            exit_notional: 0.0,
                            fees: p.fees,
                        },
                    );
                }
                TradeEvent::OrderFilled(Fill {
                    symbol,
                    side,
                    qty,
                    price,
                    fee,
                    ..
                }) => {
                    self.fills.push(ReportFill {
                        time,
                        symbol: symbol.to_string(),
                        side: order_side(side.sign() > 0.0),
                        qty: *qty,
                        price: *price,
                        fee: *fee,
                    });
                    if let Some(t) = self.open.get_mut(symbol)
                        && *side != t.side
                    {
                        t.exit_qty += qty;
                        t.exit_notional += qty * price;
                        t.fees += fee;
                    }
                }
                TradeEvent::PositionClosed { symbol, pnl } => {
                    if let Some(t) = self.open.remove(symbol) {
                        self.trades.push(ReportTrade {
                            symbol: symbol.to_string(),
                            side: t.side.as_str().into(),
                            qty: t.qty,
                            entry_time: t.entry_time,
                            entry_price: t.entry_price,
                            exit_time: self.equity.last().map(|e| e.0 + 60_000),
                            exit_price: Some(t.exit_notional / t.exit_qty),
                            pnl: *pnl,
                            fees: t.fees,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// Closes the traded minute that opened at `time` with the account's
    /// `equity`, `in_market` when a position was open at its close.
    pub fn close_minute(&mut self, time: i64, equity: f64, in_market: bool) {
        if in_market {
            self.minutes_in_market += 1;
        }
        self.equity.push((time, equity));
    }

    /// The report: `book` is the account at the end (its open positions
    /// are listed open, marked at `marks`, the last candles), `symbols`
    /// the symbols replayed.
    #[must_use]
    pub fn report(
        &self,
        book: &PositionBook,
        marks: &BTreeMap<Symbol, Candle>,
        symbols: Vec<String>,
        candles: u64,
        elapsed_s: f64,
    ) -> Report {
        use super::metrics::{RunSummary, compute, drawdowns};
        let mut trades = self.trades.clone();
        for (s, t) in &self.open {
            let Some(p) = book.positions().get(s) else {
                continue;
            };
            let mark = marks.get(s).map_or(p.entry, |c| c.close);
            trades.push(ReportTrade {
                symbol: s.to_string(),
                side: t.side.as_str().into(),
                qty: t.qty,
                entry_time: t.entry_time,
                entry_price: t.entry_price,
                exit_time: None,
                exit_price: None,
                pnl: p.total_pnl(mark),
                fees: t.fees,
            });
        }
        trades.sort_by(|a, b| {
            a.entry_time
                .cmp(&b.entry_time)
                .then(a.symbol.cmp(&b.symbol))
        });
        let closed: Vec<f64> = self.trades.iter().map(|t| t.pnl).collect();
        let notional: f64 = trades
            .iter()
            .map(|t| t.qty * t.entry_price + t.exit_price.map_or(0.0, |p| t.qty * p))
            .sum();
        let (_, fees) = book.realized_and_fees();
        let m = compute(&RunSummary {
            equity: &self.equity,
            trade_pnls: &closed,
            // Minutes, one equity point each: the share with a position.
            candles_in_market: self.minutes_in_market,
            traded_notional: notional,
            fees,
            funding: book.funding(),
            periods_per_year: 525_600.0,
        });
        let mut pnl_by_symbol = BTreeMap::new();
        for t in &trades {
            *pnl_by_symbol.entry(t.symbol.clone()).or_insert(0.0) += t.pnl;
        }
        let dd = drawdowns(&self.equity);
        Report {
            strategy: "node".into(),
            symbols,
            candles,
            elapsed_s,
            candles_per_second: if elapsed_s > 0.0 {
                candles as f64 / elapsed_s
            } else {
                f64::NAN
            },
            metrics: m,
            trades,
            orders: self.orders.clone(),
            fills: self.fills.clone(),
            drawdown: self
                .equity
                .iter()
                .zip(&dd)
                .map(|(e, d)| (e.0, *d))
                .collect(),
            equity: self.equity.clone(),
            pnl_by_symbol,
        }
    }
}

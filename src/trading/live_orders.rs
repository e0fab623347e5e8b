//! The live venue's order book, as the executor keeps it: what it sent, what
//! the venue answered, the net positions its fills add up to, and the
//! conditional closes it holds at the venue per position: the protective
//! stop and, when the entry set one, the take-profit (both
//! `closePosition=true`, so a crash of the node never leaves a position
//! without them; when one fires the other is cancelled).
//!
//! Pure: the executor sends the requests this core asks for and feeds the
//! answers back. The whole book is serialized into the journal with every
//! event, so that a node killed at any point restarts knowing which orders
//! it may have sent (their client ids are never reused: the sequence is in
//! the snapshot and is advanced *before* the `OrderPlaced` commit).
//!
//! Orders are market orders sent with `newOrderRespType=RESULT`, so one
//! answer carries the final status, the executed quantity and the average
//! price: one answer becomes at most one [`Fill`].

use super::event::{Fill, OrderRequest, TradeEvent};
use super::paper_venue::OpenOrder;
use super::snapshot::{SnapshotError, decode_current_or};
use crate::exchange::binance::order::OrderStatus;
use crate::exchange::binance::rest::OrderResponse;
use crate::execution::order::{ManagedOrder, OrderEvent, client_order_id};
use crate::market::Symbol;
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the venue says about one order (from `POST`/`GET /fapi/v1/order`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderReport {
    /// Venue order id.
    pub order_id: i64,
    /// Status.
    pub status: OrderStatus,
    /// Quantity executed so far.
    pub executed_qty: f64,
    /// Average execution price (`None` or 0 when nothing executed).
    pub avg_price: Option<f64>,
    /// Commission the venue reported, quote asset (`None`: not reported).
    pub commission: Option<f64>,
}

impl From<&OrderResponse> for OrderReport {
    fn from(r: &OrderResponse) -> Self {
        // A RESULT answer without avgPrice still says what it cost in cumQuote.
        let executed = r.executed_qty.to_f64();
        let avg = r
            .avg_price
            .map(|d| d.to_f64())
            .filter(|p| *p > 0.0)
            .or_else(|| {
                r.cum_quote
                    .filter(|q| *q > 0.0 && executed > 0.0)
                    .map(|q| q / executed)
            });
        Self {
            order_id: r.order_id.0,
            status: r.status,
            executed_qty: executed,
            avg_price: avg,
            commission: None,
        }
    }
}

/// Which conditional close of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CloseKind {
    /// The protective stop (`STOP_MARKET`).
    Stop,
    /// The take-profit (`TAKE_PROFIT_MARKET`).
    TakeProfit,
}

impl CloseKind {
    /// The venue's order type name, as `/state` shows it.
    #[must_use]
    pub fn order_type(self) -> &'static str {
        match self {
            Self::Stop => "STOP_MARKET",
            Self::TakeProfit => "TAKE_PROFIT_MARKET",
        }
    }

    /// What operators call it (logs).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::TakeProfit => "take-profit",
        }
    }

    /// Client-id prefix of its conditional orders.
    fn prefix(self) -> &'static str {
        match self {
            Self::Stop => "qs",
            Self::TakeProfit => "qp",
        }
    }
}

/// A conditional close the book wants at the venue: a reduce-only
/// `STOP_MARKET` (or `TAKE_PROFIT_MARKET`) `closePosition=true` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectiveStop {
    /// Our id of the conditional order now wanted.
    pub client_algo_id: String,
    /// The venue's id once it accepted it.
    pub algo_id: Option<i64>,
    /// Trigger price.
    pub price: f64,
    /// The order's side (against the position).
    pub side: PositionSide,
}

/// A change of a protective stop for the executor to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum StopChange {
    /// Cancel the venue's algo order `cancel` (if any), then place a new
    /// stop (or take-profit).
    Place {
        /// Stop or take-profit.
        kind: CloseKind,
        /// Symbol.
        symbol: Symbol,
        /// The algo order to cancel first.
        cancel: Option<i64>,
        /// Our id of the new one.
        client_algo_id: String,
        /// Its side.
        side: PositionSide,
        /// Its trigger price.
        price: f64,
    },
    /// Cancel the algo order (its position is closed, or the other
    /// conditional close fired).
    Cancel {
        /// Symbol.
        symbol: Symbol,
        /// The venue's id.
        algo_id: i64,
    },
}

/// What an answer did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Events to commit and forward.
    pub events: Vec<TradeEvent>,
    /// Stop orders to send or cancel.
    pub stops: Vec<StopChange>,
}

/// A sent order and the stop its entry opens a position with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Sent {
    order: ManagedOrder,
    stop: Option<f64>,
    take_profit: Option<f64>,
}

/// A sent order as journaled before take-profits were held at the venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SentV1 {
    order: ManagedOrder,
    stop: Option<f64>,
}

/// The book as journaled before take-profits were held at the venue (no
/// take-profit per sent order, no `targets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LiveOrdersV1 {
    fee_rate: f64,
    seq: u64,
    sent: BTreeMap<String, SentV1>,
    positions: BTreeMap<Symbol, (PositionSide, f64)>,
    stops: BTreeMap<Symbol, ProtectiveStop>,
}

impl From<LiveOrdersV1> for LiveOrders {
    fn from(v: LiveOrdersV1) -> Self {
        Self {
            fee_rate: v.fee_rate,
            seq: v.seq,
            sent: v
                .sent
                .into_iter()
                .map(|(id, s)| {
                    (
                        id,
                        Sent {
                            order: s.order,
                            stop: s.stop,
                            take_profit: None,
                        },
                    )
                })
                .collect(),
            positions: v.positions,
            stops: v.stops,
            targets: BTreeMap::new(),
        }
    }
}

/// The executor's live order book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveOrders {
    fee_rate: f64,
    /// Last sequence number used in a client id.
    seq: u64,
    /// Orders sent whose final answer is not known yet.
    sent: BTreeMap<String, Sent>,
    /// Net position per symbol as our fills add up.
    positions: BTreeMap<Symbol, (PositionSide, f64)>,
    /// The protective stop per symbol with a position.
    stops: BTreeMap<Symbol, ProtectiveStop>,
    /// The take-profit per symbol with a position whose entry set one.
    targets: BTreeMap<Symbol, ProtectiveStop>,
}

impl LiveOrders {
    /// An empty book; fees of fills the venue does not report are
    /// `notional × fee_rate`.
    #[must_use]
    pub fn new(fee_rate: f64) -> Self {
        Self {
            fee_rate,
            seq: 0,
            sent: BTreeMap::new(),
            positions: BTreeMap::new(),
            stops: BTreeMap::new(),
            targets: BTreeMap::new(),
        }
    }

    /// Decodes a journaled book (bincode, standard configuration): the
    /// current form, else the one written before take-profits (so a node
    /// upgraded with positions open restarts on them). Every byte must be
    /// used, so that one form is not misread as the other.
    ///
    /// # Errors
    /// [`SnapshotError`] when the bytes are neither form: the node must not
    /// trade on a guess.
    pub fn decode_snapshot(bytes: &[u8]) -> Result<Self, SnapshotError> {
        decode_current_or::<Self, LiveOrdersV1>(bytes, "live order book")
    }

    fn closes(&self, kind: CloseKind) -> &BTreeMap<Symbol, ProtectiveStop> {
        match kind {
            CloseKind::Stop => &self.stops,
            CloseKind::TakeProfit => &self.targets,
        }
    }

    fn closes_mut(&mut self, kind: CloseKind) -> &mut BTreeMap<Symbol, ProtectiveStop> {
        match kind {
            CloseKind::Stop => &mut self.stops,
            CloseKind::TakeProfit => &mut self.targets,
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        if prefix.is_empty() {
            client_order_id(self.seq, 0)
        } else {
            format!("{prefix}-{}", self.seq)
        }
    }

    /// Registers a new market order for `req` with a fresh client id;
    /// returns it `PendingNew` (the `OrderPlaced` payload, to commit before
    /// the order is sent).
    pub fn submit(&mut self, req: &OrderRequest) -> ManagedOrder {
        let order = ManagedOrder::new(
            self.next_id(""),
            req.symbol.clone(),
            req.side,
            req.qty,
            req.reduce_only,
            req.decision_price,
            req.at,
        );
        self.sent.insert(
            order.client_id.clone(),
            Sent {
                order: order.clone(),
                stop: req.stop,
                take_profit: req.take_profit,
            },
        );
        order
    }

    /// Orders sent whose outcome is unknown (to query after a restart).
    #[must_use]
    pub fn unresolved(&self) -> Vec<ManagedOrder> {
        self.sent.values().map(|s| s.order.clone()).collect()
    }

    /// Whether an order for `symbol` awaits its answer.
    #[must_use]
    pub fn has_sent(&self, symbol: &Symbol) -> bool {
        self.sent.values().any(|s| &s.order.symbol == symbol)
    }

    /// The venue's answer for `client_id` at market time `at`: a fill of
    /// what executed (fee as reported, else at the fee rate), a cancel when
    /// the order ended with nothing executed, the stop changes the fill
    /// calls for. An answer for an unknown order, or one still working,
    /// does nothing (a working market order is asked again later).
    pub fn on_report(&mut self, client_id: &str, r: &OrderReport, at: i64) -> Outcome {
        let mut out = Outcome::default();
        let Some(mut s) = self.sent.remove(client_id) else {
            return out;
        };
        let o = &mut s.order;
        let _ = o.apply(&OrderEvent::Acked {
            order_id: r.order_id,
            at,
        });
        let price = r.avg_price.unwrap_or(0.0);
        if r.executed_qty > 0.0 && price > 0.0 {
            let qty = r.executed_qty.min(o.qty);
            let fee = r.commission.unwrap_or(qty * price * self.fee_rate);
            let fill = OrderEvent::Fill {
                trade_id: r.order_id,
                qty,
                price,
                fee,
                at,
            };
            if o.apply(&fill).is_ok() {
                let f = Fill {
                    client_id: o.client_id.clone(),
                    symbol: o.symbol.clone(),
                    side: o.side,
                    qty,
                    price,
                    fee,
                    at,
                    reduce_only: o.reduce_only,
                    stop: s.stop,
                };
                out.stops = self.book_fill(&f, s.take_profit);
                out.events.push(TradeEvent::OrderFilled(f));
            }
        } else if r.status.is_final() {
            out.events.push(TradeEvent::OrderCanceled {
                client_id: o.client_id.clone(),
                symbol: o.symbol.clone(),
                reason: format!("venue: {:?} with nothing executed", r.status),
            });
        } else {
            // Still working: keep it until a final answer.
            self.sent.insert(client_id.to_owned(), s);
        }
        out
    }

    /// The order `client_id` never reached the venue (the venue does not
    /// know it, or refused it): it ends with `reason`.
    pub fn on_unknown(&mut self, client_id: &str, reason: &str) -> Vec<TradeEvent> {
        let Some(s) = self.sent.remove(client_id) else {
            return Vec::new();
        };
        vec![TradeEvent::OrderCanceled {
            client_id: s.order.client_id,
            symbol: s.order.symbol,
            reason: reason.to_owned(),
        }]
    }

    /// Books a fill (of an order sent with `take_profit`) into the net
    /// positions; returns the stop changes.
    fn book_fill(&mut self, f: &Fill, take_profit: Option<f64>) -> Vec<StopChange> {
        let open = self.positions.get(&f.symbol).copied();
        let signed = open.map_or(0.0, |(side, q)| side.sign() * q) + f.side.sign() * f.qty;
        if signed.abs() <= 1e-9 * f.qty.max(1.0) {
            self.positions.remove(&f.symbol);
            return self.drop_closes(&f.symbol, None);
        }
        let side = if signed > 0.0 {
            PositionSide::Long
        } else {
            PositionSide::Short
        };
        self.positions
            .insert(f.symbol.clone(), (side, signed.abs()));
        if open.is_some() {
            return Vec::new();
        }
        [
            (CloseKind::Stop, f.stop),
            (CloseKind::TakeProfit, take_profit),
        ]
        .into_iter()
        .filter_map(|(kind, price)| {
            let price = price.filter(|p| *p > 0.0)?;
            let client_algo_id = self.next_id(kind.prefix());
            self.closes_mut(kind).insert(
                f.symbol.clone(),
                ProtectiveStop {
                    client_algo_id: client_algo_id.clone(),
                    algo_id: None,
                    price,
                    side: side.opposite(),
                },
            );
            Some(StopChange::Place {
                kind,
                symbol: f.symbol.clone(),
                cancel: None,
                client_algo_id,
                side: side.opposite(),
                price,
            })
        })
        .collect()
    }

    /// Forgets `symbol`'s conditional closes (its position is gone); returns
    /// the cancels of those the venue holds, except the one of kind `fired`
    /// (the venue ended it itself).
    fn drop_closes(&mut self, symbol: &Symbol, fired: Option<CloseKind>) -> Vec<StopChange> {
        [CloseKind::Stop, CloseKind::TakeProfit]
            .into_iter()
            .filter_map(|kind| {
                let c = self.closes_mut(kind).remove(symbol)?;
                (Some(kind) != fired)
                    .then_some(c.algo_id)
                    .flatten()
                    .map(|algo_id| StopChange::Cancel {
                        symbol: symbol.clone(),
                        algo_id,
                    })
            })
            .collect()
    }

    /// Moves `symbol`'s stop to `price`: cancel-replace with a fresh id.
    /// `None` when the symbol holds no stop.
    pub fn move_stop(&mut self, symbol: &Symbol, price: f64) -> Option<StopChange> {
        self.replace(CloseKind::Stop, symbol, price)
    }

    /// Cancel-replaces `symbol`'s conditional close of `kind` at `price`
    /// with a fresh id (`None`: the symbol holds none).
    fn replace(&mut self, kind: CloseKind, symbol: &Symbol, price: f64) -> Option<StopChange> {
        if !self.closes(kind).contains_key(symbol) {
            return None;
        }
        let fresh = self.next_id(kind.prefix());
        let s = self.closes_mut(kind).get_mut(symbol)?;
        let cancel = s.algo_id.take();
        s.client_algo_id.clone_from(&fresh);
        s.price = price;
        Some(StopChange::Place {
            kind,
            symbol: symbol.clone(),
            cancel,
            client_algo_id: fresh,
            side: s.side,
            price,
        })
    }

    /// The venue accepted the stop `client_algo_id` as `algo_id`. `false`
    /// when it is no longer the one wanted (moved or its position closed
    /// meanwhile): the caller must cancel it.
    pub fn stop_placed(&mut self, symbol: &Symbol, client_algo_id: &str, algo_id: i64) -> bool {
        self.close_placed(CloseKind::Stop, symbol, client_algo_id, algo_id)
    }

    /// Forgets `symbol`'s take-profit: its price is not one the venue
    /// takes (below its minimum price, say), so the position is held with
    /// its stop alone rather than asking again every minute. `true` when
    /// there was one.
    pub fn drop_take_profit(&mut self, symbol: &Symbol) -> bool {
        self.targets.remove(symbol).is_some()
    }

    /// The venue accepted the conditional close `client_algo_id` of `kind`
    /// as `algo_id`; `false` when it is no longer wanted (cancel it).
    pub fn close_placed(
        &mut self,
        kind: CloseKind,
        symbol: &Symbol,
        client_algo_id: &str,
        algo_id: i64,
    ) -> bool {
        match self.closes_mut(kind).get_mut(symbol) {
            Some(s) if s.client_algo_id == client_algo_id => {
                s.algo_id = Some(algo_id);
                true
            }
            _ => false,
        }
    }

    /// The venue refused the stop because it would trigger at once: the
    /// position is already past its stop, so it is closed now. Returns the
    /// reduce-only exit to send (none when the stop is stale or the
    /// position gone).
    pub fn stop_would_trigger(
        &mut self,
        symbol: &Symbol,
        client_algo_id: &str,
        at: i64,
    ) -> Option<OrderRequest> {
        self.close_would_trigger(CloseKind::Stop, symbol, client_algo_id, at)
    }

    /// As [`Self::stop_would_trigger`] for either kind: a take-profit the
    /// venue refuses because the price is already past it is taken now.
    pub fn close_would_trigger(
        &mut self,
        kind: CloseKind,
        symbol: &Symbol,
        client_algo_id: &str,
        at: i64,
    ) -> Option<OrderRequest> {
        let s = self.closes(kind).get(symbol)?;
        if s.client_algo_id != client_algo_id || self.has_sent(symbol) {
            return None;
        }
        let &(side, qty) = self.positions.get(symbol)?;
        Some(OrderRequest::exit(symbol.clone(), side, qty, s.price, at))
    }

    /// Stops and take-profits wanted at the venue but not placed (a failed
    /// send), except those of `busy` symbols (a request still running):
    /// each gets a fresh id to place again.
    pub fn unplaced_stops(&mut self, busy: &BTreeSet<Symbol>) -> Vec<StopChange> {
        let wanted: Vec<(CloseKind, Symbol, f64)> = [CloseKind::Stop, CloseKind::TakeProfit]
            .into_iter()
            .flat_map(|kind| {
                self.closes(kind)
                    .iter()
                    .filter(|(sym, s)| s.algo_id.is_none() && !busy.contains(*sym))
                    .map(move |(sym, s)| (kind, sym.clone(), s.price))
                    .collect::<Vec<_>>()
            })
            .collect();
        wanted
            .into_iter()
            .filter_map(|(kind, s, price)| self.replace(kind, &s, price))
            .collect()
    }

    /// The venue shows `symbol` flat while the book holds it and no order
    /// of ours is out for it: its protective stop fired. Records the stop's
    /// market order and its fill at `price` (the venue's execution price
    /// when known, else the stop's).
    pub fn stop_fired(&mut self, symbol: &Symbol, price: Option<f64>, at: i64) -> Vec<TradeEvent> {
        self.close_fired(symbol, price.map(|p| (CloseKind::Stop, p)), at)
            .0
    }

    /// The venue shows `symbol` flat while the book holds it and no order
    /// of ours is out for it: a conditional close fired (`fired`: which
    /// one and the venue's execution price, when found; else it is booked
    /// as the stop, at the stop's price). Records the fired order and its
    /// fill (decided at the trigger price, so its slippage shows), and
    /// returns the cancels of the conditional orders still open.
    pub fn close_fired(
        &mut self,
        symbol: &Symbol,
        fired: Option<(CloseKind, f64)>,
        at: i64,
    ) -> (Vec<TradeEvent>, Vec<StopChange>) {
        if self.has_sent(symbol) {
            return (Vec::new(), Vec::new());
        }
        let Some(&(side, qty)) = self.positions.get(symbol) else {
            return (Vec::new(), Vec::new());
        };
        let kind = fired.map_or(CloseKind::Stop, |(k, _)| k);
        let level = self.closes(kind).get(symbol).map(|s| s.price);
        let Some(price) = fired.map(|(_, p)| p).or(level).filter(|p| *p > 0.0) else {
            return (Vec::new(), Vec::new());
        };
        let req = OrderRequest::exit(symbol.clone(), side, qty, price, at);
        let mut order = ManagedOrder::new(
            self.next_id(kind.prefix()),
            symbol.clone(),
            req.side,
            qty,
            true,
            level.unwrap_or(price),
            at,
        );
        let fee = qty * price * self.fee_rate;
        let _ = order.apply(&OrderEvent::Fill {
            trade_id: 0,
            qty,
            price,
            fee,
            at,
        });
        let placed = TradeEvent::OrderPlaced(order.clone());
        let f = Fill {
            client_id: order.client_id,
            symbol: symbol.clone(),
            side: req.side,
            qty,
            price,
            fee,
            at,
            reduce_only: true,
            stop: None,
        };
        // The venue removed the triggered order itself; the other is
        // cancelled (when it is not known which fired, both are).
        self.positions.remove(symbol);
        let cancels = self.drop_closes(symbol, fired.map(|(k, _)| k));
        (vec![placed, TradeEvent::OrderFilled(f)], cancels)
    }

    /// Net positions as our fills add up: symbol → signed quantity.
    #[must_use]
    pub fn positions(&self) -> BTreeMap<Symbol, f64> {
        self.positions
            .iter()
            .map(|(s, (side, q))| (s.clone(), side.sign() * q))
            .collect()
    }

    /// The protective stops.
    #[must_use]
    pub fn stops(&self) -> &BTreeMap<Symbol, ProtectiveStop> {
        &self.stops
    }

    /// The take-profits.
    #[must_use]
    pub fn targets(&self) -> &BTreeMap<Symbol, ProtectiveStop> {
        &self.targets
    }

    /// The venue ids of `symbol`'s conditional closes placed at the venue.
    #[must_use]
    pub fn close_ids(&self, symbol: &Symbol) -> Vec<(CloseKind, i64)> {
        [CloseKind::Stop, CloseKind::TakeProfit]
            .into_iter()
            .filter_map(|k| Some((k, self.closes(k).get(symbol)?.algo_id?)))
            .collect()
    }

    /// Orders open at the venue as operators see them: sent market orders
    /// and the protective stops.
    #[must_use]
    pub fn open_orders(&self) -> Vec<OpenOrder> {
        let mut out: Vec<OpenOrder> = self
            .sent
            .values()
            .map(|s| OpenOrder::market(&s.order))
            .collect();
        for kind in [CloseKind::TakeProfit, CloseKind::Stop] {
            for (sym, st) in self.closes(kind) {
                if let Some(&(_, qty)) = self.positions.get(sym) {
                    out.push(OpenOrder {
                        client_id: st.client_algo_id.clone(),
                        symbol: sym.clone(),
                        side: st.side,
                        kind: kind.order_type().into(),
                        qty,
                        stop_price: Some(st.price),
                        reduce_only: true,
                    });
                }
            }
        }
        out
    }
}

/// `book` (symbol → signed quantity) once `events`' fills are booked: what
/// the position actor holds after the fills a start-up query recovered
/// (orders the venue filled just before a crash) reach it. Start-up
/// compares this, not the stored book, with the venue.
#[must_use]
pub fn positions_after(
    book: &BTreeMap<Symbol, f64>,
    events: &[TradeEvent],
) -> BTreeMap<Symbol, f64> {
    let mut out = book.clone();
    for e in events {
        if let TradeEvent::OrderFilled(f) = e {
            let q = out.entry(f.symbol.clone()).or_insert(0.0);
            *q += f.side.sign() * f.qty;
            // Closed to rounding: flat.
            if q.abs() <= 1e-9 * f.qty.max(1.0) {
                out.remove(&f.symbol);
            }
        }
    }
    out
}

/// Each difference between the venue's positions and `ours` (symbol →
/// signed quantity; quantities equal to 1e-9 relative), named.
#[must_use]
pub fn position_differences(
    venue: &BTreeMap<Symbol, f64>,
    ours: &BTreeMap<Symbol, f64>,
    ours_name: &str,
) -> Vec<String> {
    let mut symbols: Vec<&Symbol> = venue.keys().chain(ours.keys()).collect();
    symbols.sort();
    symbols.dedup();
    symbols
        .into_iter()
        .filter_map(|s| {
            let v = venue.get(s).copied().unwrap_or(0.0);
            let o = ours.get(s).copied().unwrap_or(0.0);
            ((v - o).abs() > 1e-9 * v.abs().max(o.abs()).max(1.0))
                .then(|| format!("{s}: venue holds {v}, {ours_name} holds {o}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::order::OrderState;
    use proptest::prelude::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    /// Submits an entry of `qty` at `price` with its `stop`, has it filled
    /// there, and returns the client id of the stop the fill asks for.
    fn filled_entry(
        b: &mut LiveOrders,
        s: &Symbol,
        side: PositionSide,
        qty: f64,
        price: f64,
        stop: f64,
    ) -> String {
        let o = b.submit(&OrderRequest::entry(s.clone(), side, qty, price, stop, 0));
        let out = b.on_report(&o.client_id, &report(OrderStatus::Filled, qty, price), 0);
        let StopChange::Place { client_algo_id, .. } = out.stops[0].clone() else {
            panic!("a filled entry asks for its stop: {:?}", out.stops)
        };
        client_algo_id
    }

    fn report(status: OrderStatus, qty: f64, price: f64) -> OrderReport {
        OrderReport {
            order_id: 7,
            status,
            executed_qty: qty,
            avg_price: Some(price),
            commission: None,
        }
    }

    #[test]
    fn an_entry_fill_books_the_position_and_asks_for_its_stop() {
        let s = sym("BTCUSDT");
        let mut b = LiveOrders::new(0.0005);
        let o = b.submit(&OrderRequest::entry(
            s.clone(),
            PositionSide::Long,
            2.0,
            100.0,
            95.0,
            0,
        ));
        assert_eq!(o.state, OrderState::PendingNew);
        assert_eq!(b.open_orders().len(), 1);
        let out = b.on_report(
            &o.client_id,
            &report(OrderStatus::Filled, 2.0, 101.0),
            60_000,
        );
        let [TradeEvent::OrderFilled(f)] = &out.events[..] else {
            panic!("{out:?}")
        };
        assert_eq!((f.qty, f.price, f.stop), (2.0, 101.0, Some(95.0)));
        assert!((f.fee - 2.0 * 101.0 * 0.0005).abs() < 1e-12);
        let [
            StopChange::Place {
                side,
                price,
                cancel,
                ..
            },
        ] = &out.stops[..]
        else {
            panic!("{out:?}")
        };
        assert_eq!((*side, *price, *cancel), (PositionSide::Short, 95.0, None));
        assert_eq!(b.positions()[&s], 2.0);
        // The stop is shown; the market order is gone.
        let open = b.open_orders();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].kind, "STOP_MARKET");
    }

    #[test]
    fn moving_a_placed_stop_cancels_it_and_closing_cancels_the_last() {
        let s = sym("ETHUSDT");
        let mut b = LiveOrders::new(0.0);
        let client_algo_id = filled_entry(&mut b, &s, PositionSide::Short, 3.0, 100.0, 105.0);
        assert!(b.stop_placed(&s, &client_algo_id, 41));
        let Some(StopChange::Place {
            cancel,
            client_algo_id: fresh,
            ..
        }) = b.move_stop(&s, 104.0)
        else {
            panic!()
        };
        assert_eq!(cancel, Some(41));
        assert_ne!(fresh, client_algo_id);
        // The old id answering late is stale.
        assert!(!b.stop_placed(&s, &client_algo_id, 42));
        assert!(b.stop_placed(&s, &fresh, 43));
        let x = b.submit(&OrderRequest::exit(
            s.clone(),
            PositionSide::Short,
            3.0,
            100.0,
            0,
        ));
        let out = b.on_report(&x.client_id, &report(OrderStatus::Filled, 3.0, 99.0), 0);
        assert_eq!(
            out.stops,
            vec![StopChange::Cancel {
                symbol: s.clone(),
                algo_id: 43
            }]
        );
        assert!(b.positions().is_empty());
        assert!(b.open_orders().is_empty());
    }

    #[test]
    fn a_final_answer_with_nothing_executed_cancels_and_a_working_one_waits() {
        let s = sym("SOLUSDT");
        let mut b = LiveOrders::new(0.0);
        let o = b.submit(&OrderRequest::exit(
            s.clone(),
            PositionSide::Long,
            1.0,
            10.0,
            0,
        ));
        let out = b.on_report(&o.client_id, &report(OrderStatus::New, 0.0, 0.0), 0);
        assert!(out.events.is_empty());
        assert!(b.has_sent(&s));
        let out = b.on_report(&o.client_id, &report(OrderStatus::Expired, 0.0, 0.0), 0);
        assert!(matches!(out.events[..], [TradeEvent::OrderCanceled { .. }]));
        assert!(!b.has_sent(&s));
        let o = b.submit(&OrderRequest::exit(
            s.clone(),
            PositionSide::Long,
            1.0,
            10.0,
            0,
        ));
        let ev = b.on_unknown(&o.client_id, "venue: -2013 order does not exist");
        assert!(
            matches!(&ev[..], [TradeEvent::OrderCanceled { reason, .. }] if reason.contains("-2013"))
        );
        // Answers for orders no longer out do nothing.
        assert!(
            b.on_report(&o.client_id, &report(OrderStatus::Filled, 1.0, 10.0), 0)
                .events
                .is_empty()
        );
    }

    #[test]
    fn a_stop_that_would_trigger_closes_the_position_and_a_fired_stop_is_booked() {
        let s = sym("XRPUSDT");
        let mut b = LiveOrders::new(0.001);
        let client_algo_id = filled_entry(&mut b, &s, PositionSide::Long, 5.0, 1.0, 0.9);
        let exit = b.stop_would_trigger(&s, &client_algo_id, 60_000).unwrap();
        assert!(exit.reduce_only);
        assert_eq!((exit.side, exit.qty), (PositionSide::Short, 5.0));
        let ev = b.stop_fired(&s, None, 60_000);
        let [TradeEvent::OrderPlaced(p), TradeEvent::OrderFilled(f)] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(p.client_id, f.client_id);
        assert_eq!((f.qty, f.price, f.reduce_only), (5.0, 0.9, true));
        assert!(b.positions().is_empty());
    }

    #[test]
    fn an_unplaced_stop_is_placed_again_with_a_fresh_id_unless_its_request_runs() {
        let s = sym("BNBUSDT");
        let mut b = LiveOrders::new(0.0);
        let client_algo_id = filled_entry(&mut b, &s, PositionSide::Long, 1.0, 10.0, 9.0);
        assert!(b.unplaced_stops(&BTreeSet::from([s.clone()])).is_empty());
        let again = b.unplaced_stops(&BTreeSet::new());
        let [
            StopChange::Place {
                client_algo_id: fresh,
                cancel: None,
                price,
                ..
            },
        ] = &again[..]
        else {
            panic!("{again:?}")
        };
        assert_ne!(fresh, &client_algo_id);
        assert_eq!(*price, 9.0);
        assert!(b.stop_placed(&s, fresh, 5));
        assert!(b.unplaced_stops(&BTreeSet::new()).is_empty());
    }

    #[test]
    fn a_take_profit_is_held_beside_the_stop_and_whichever_fires_cancels_the_other() {
        let s = sym("ADAUSDT");
        let mut b = LiveOrders::new(0.0);
        let entry = OrderRequest::entry(s.clone(), PositionSide::Long, 4.0, 1.0, 0.9, 0)
            .with_take_profit(1.3);
        let o = b.submit(&entry);
        let out = b.on_report(&o.client_id, &report(OrderStatus::Filled, 4.0, 1.0), 0);
        let [
            StopChange::Place {
                kind: CloseKind::Stop,
                client_algo_id: stop_id,
                price: stop,
                ..
            },
            StopChange::Place {
                kind: CloseKind::TakeProfit,
                client_algo_id: tp_id,
                price: tp,
                side,
                cancel: None,
                ..
            },
        ] = &out.stops[..]
        else {
            panic!("{out:?}")
        };
        assert_eq!((*stop, *tp, *side), (0.9, 1.3, PositionSide::Short));
        assert!(tp_id.starts_with("qp-") && stop_id.starts_with("qs-"));
        let kinds: Vec<String> = b.open_orders().into_iter().map(|o| o.kind).collect();
        assert_eq!(kinds, ["TAKE_PROFIT_MARKET", "STOP_MARKET"]);
        // Its answer is booked against the take-profit, not the stop.
        assert!(!b.stop_placed(&s, tp_id, 8));
        assert!(b.close_placed(CloseKind::TakeProfit, &s, tp_id, 8));
        assert!(b.stop_placed(&s, stop_id, 7));
        assert_eq!(
            b.close_ids(&s),
            vec![(CloseKind::Stop, 7), (CloseKind::TakeProfit, 8)]
        );
        // A moved stop leaves the take-profit alone.
        let Some(StopChange::Place {
            kind: CloseKind::Stop,
            cancel: Some(7),
            ..
        }) = b.move_stop(&s, 0.95)
        else {
            panic!()
        };
        assert_eq!(b.targets()[&s].algo_id, Some(8));
        // The take-profit fired: booked at the venue's price, decided at the
        // target; the stop (unplaced after the move) needs no cancel.
        let (ev, cancels) = b.close_fired(&s, Some((CloseKind::TakeProfit, 1.29)), 60_000);
        let [TradeEvent::OrderPlaced(p), TradeEvent::OrderFilled(f)] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!((p.decision_price, f.price, f.qty), (1.3, 1.29, 4.0));
        assert!(cancels.is_empty(), "{cancels:?}");
        assert!(b.positions().is_empty() && b.open_orders().is_empty());
        assert!(b.stops().is_empty() && b.targets().is_empty());
        // Again: the stop fires, the placed take-profit is cancelled.
        let o = b.submit(&entry);
        let out = b.on_report(&o.client_id, &report(OrderStatus::Filled, 4.0, 1.0), 0);
        for c in out.stops {
            if let StopChange::Place {
                kind,
                client_algo_id,
                ..
            } = c
            {
                assert!(b.close_placed(kind, &s, &client_algo_id, 20));
            }
        }
        let (_, cancels) = b.close_fired(&s, Some((CloseKind::Stop, 0.89)), 0);
        assert_eq!(
            cancels,
            vec![StopChange::Cancel {
                symbol: s.clone(),
                algo_id: 20
            }]
        );
    }

    #[test]
    fn a_flattened_position_cancels_both_and_an_unplaced_take_profit_is_placed_again() {
        let s = sym("DOTUSDT");
        let mut b = LiveOrders::new(0.0);
        let o = b.submit(
            &OrderRequest::entry(s.clone(), PositionSide::Short, 2.0, 10.0, 11.0, 0)
                .with_take_profit(7.0),
        );
        let out = b.on_report(&o.client_id, &report(OrderStatus::Filled, 2.0, 10.0), 0);
        let StopChange::Place { client_algo_id, .. } = out.stops[0].clone() else {
            panic!()
        };
        assert!(b.stop_placed(&s, &client_algo_id, 30));
        // The take-profit's send failed: placed again, with a fresh id.
        let again = b.unplaced_stops(&BTreeSet::new());
        let [
            StopChange::Place {
                kind: CloseKind::TakeProfit,
                price,
                side: PositionSide::Long,
                client_algo_id: fresh,
                ..
            },
        ] = &again[..]
        else {
            panic!("{again:?}")
        };
        assert_eq!(*price, 7.0);
        assert!(b.close_placed(CloseKind::TakeProfit, &s, fresh, 31));
        // A reduce-only exit flattens: both conditional orders cancelled.
        let x = b.submit(&OrderRequest::exit(
            s.clone(),
            PositionSide::Short,
            2.0,
            10.0,
            0,
        ));
        let out = b.on_report(&x.client_id, &report(OrderStatus::Filled, 2.0, 9.0), 0);
        assert_eq!(
            out.stops,
            vec![
                StopChange::Cancel {
                    symbol: s.clone(),
                    algo_id: 30
                },
                StopChange::Cancel {
                    symbol: s.clone(),
                    algo_id: 31
                }
            ]
        );
        // A take-profit the venue refuses as past is taken at market.
        let o = b.submit(
            &OrderRequest::entry(s.clone(), PositionSide::Short, 2.0, 10.0, 11.0, 0)
                .with_take_profit(7.0),
        );
        let out = b.on_report(&o.client_id, &report(OrderStatus::Filled, 2.0, 10.0), 0);
        let Some(StopChange::Place { client_algo_id, .. }) = out
            .stops
            .iter()
            .find(|c| {
                matches!(
                    c,
                    StopChange::Place {
                        kind: CloseKind::TakeProfit,
                        ..
                    }
                )
            })
            .cloned()
        else {
            panic!("{out:?}")
        };
        let exit = b
            .close_would_trigger(CloseKind::TakeProfit, &s, &client_algo_id, 0)
            .unwrap();
        assert_eq!(
            (exit.side, exit.qty, exit.reduce_only),
            (PositionSide::Long, 2.0, true)
        );
        assert_eq!(exit.decision_price, 7.0);
    }

    #[test]
    fn a_book_journaled_before_take_profits_still_decodes() {
        let s = sym("BTCUSDT");
        let mut b = LiveOrders::new(0.0005);
        let client_algo_id = filled_entry(&mut b, &s, PositionSide::Long, 1.0, 100.0, 90.0);
        assert!(b.stop_placed(&s, &client_algo_id, 9));
        // One order still out, as a kill mid-send leaves it.
        b.submit(&OrderRequest::exit(
            s.clone(),
            PositionSide::Long,
            1.0,
            100.0,
            0,
        ));
        let old = LiveOrdersV1 {
            fee_rate: b.fee_rate,
            seq: b.seq,
            sent: b
                .sent
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        SentV1 {
                            order: v.order.clone(),
                            stop: v.stop,
                        },
                    )
                })
                .collect(),
            positions: b.positions.clone(),
            stops: b.stops.clone(),
        };
        assert_eq!(LiveOrders::decode_snapshot(&enc(&old)).unwrap(), b);
        assert_eq!(LiveOrders::decode_snapshot(&enc(&b)).unwrap(), b);
        let mut bytes = enc(&b);
        bytes.push(0);
        assert!(LiveOrders::decode_snapshot(&bytes).is_err());
        assert!(LiveOrders::decode_snapshot(&[1, 2, 3]).is_err());
    }

    fn enc<T: Serialize>(v: &T) -> Vec<u8> {
        bincode::serde::encode_to_vec(v, bincode::config::standard()).unwrap()
    }

    #[test]
    fn differences_name_each_symbol() {
        let venue = BTreeMap::from([(sym("AUSDT"), 1.0), (sym("BUSDT"), -2.0)]);
        let ours = BTreeMap::from([(sym("AUSDT"), 1.0), (sym("CUSDT"), 3.0)]);
        let d = position_differences(&venue, &ours, "book");
        assert_eq!(
            d,
            vec![
                "BUSDT: venue holds -2, book holds 0".to_owned(),
                "CUSDT: venue holds 0, book holds 3".to_owned()
            ]
        );
    }

    proptest! {
        /// Client ids are never reused, whatever happens in between, and
        /// survive a serialization round trip (the journal's snapshot).
        #[test]
        fn client_ids_are_unique_across_snapshots(ops in proptest::collection::vec(0u8..4, 1..60)) {
            let s = sym("BTCUSDT");
            let mut b = LiveOrders::new(0.0);
            let mut seen = std::collections::BTreeSet::new();
            for op in ops {
                match op {
                    0 | 1 => {
                        let req = OrderRequest::entry(s.clone(), PositionSide::Long, 1.0, 100.0, 90.0, 0);
                        let o = b.submit(&req);
                        prop_assert!(seen.insert(o.client_id.clone()));
                        if op == 1 {
                            let out = b.on_report(&o.client_id, &report(OrderStatus::Filled, 1.0, 100.0), 0);
                            for c in out.stops {
                                if let StopChange::Place { client_algo_id, .. } = c {
                                    prop_assert!(seen.insert(client_algo_id));
                                }
                            }
                        }
                    }
                    2 => {
                        if let Some(StopChange::Place { client_algo_id, .. }) = b.move_stop(&s, 95.0) {
                            prop_assert!(seen.insert(client_algo_id));
                        }
                    }
                    _ => {
                        let bytes = bincode::serde::encode_to_vec(&b, bincode::config::standard()).unwrap();
                        let (back, _): (LiveOrders, _) =
                            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
                        prop_assert_eq!(&back, &b);
                        b = back;
                    }
                }
            }
        }

        /// Fills add up to the position: n entries of q then exits of the
        /// same total leave the symbol flat.
        #[test]
        fn fills_add_up(qs in proptest::collection::vec(0.001f64..100.0, 1..10)) {
            let s = sym("BTCUSDT");
            let mut b = LiveOrders::new(0.0);
            for q in &qs {
                let o = b.submit(&OrderRequest::entry(s.clone(), PositionSide::Long, *q, 10.0, 9.0, 0));
                b.on_report(&o.client_id, &report(OrderStatus::Filled, *q, 10.0), 0);
            }
            let total: f64 = qs.iter().sum();
            prop_assert!((b.positions()[&s] - total).abs() <= 1e-9 * total);
            let o = b.submit(&OrderRequest::exit(s.clone(), PositionSide::Long, total, 10.0, 0));
            b.on_report(&o.client_id, &report(OrderStatus::Filled, total, 10.0), 0);
            prop_assert!(b.positions().is_empty());
        }
    }

    #[test]
    fn fills_recovered_at_start_count_in_the_book_compared_with_the_venue() {
        let (a, b) = (Symbol::new("AUSDT").unwrap(), Symbol::new("BUSDT").unwrap());
        let fill = |s: &Symbol, side, qty| {
            TradeEvent::OrderFilled(Fill {
                client_id: "qt-9-0".into(),
                symbol: s.clone(),
                side,
                qty,
                price: 10.0,
                fee: 0.0,
                at: 0,
                reduce_only: false,
                stop: None,
            })
        };
        let book = BTreeMap::from([(a.clone(), 2.0)]);
        let after = positions_after(
            &book,
            &[
                fill(&a, PositionSide::Short, 2.0),
                fill(&b, PositionSide::Short, 3.0),
                TradeEvent::OrderCanceled {
                    client_id: "qt-8-0".into(),
                    symbol: a.clone(),
                    reason: "x".into(),
                },
            ],
        );
        assert_eq!(after, BTreeMap::from([(b.clone(), -3.0)]));
        let venue = BTreeMap::from([(b, -3.0)]);
        assert!(position_differences(&venue, &after, "book").is_empty());
        assert_eq!(position_differences(&venue, &book, "book").len(), 2);
    }
}

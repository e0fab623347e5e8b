//! The executor's live path (`[trading] venue = "binance"`): the shell
//! around [`LiveOrders`] that talks to the venue's REST API.
//!
//! Every order is committed (`OrderPlaced`, with the book's snapshot and so
//! its client-id sequence) *before* it is sent; each request runs as a task
//! whose answer comes back to the actor as a message. A send that fails
//! is followed by a query of the order by our id before anything else, so
//! an order is never sent twice: the venue either knows it (its answer is
//! used) or does not (the order is recorded cancelled with the error).
//! Fills are committed when they come back and forwarded to the position
//! actor with the next closed minute.
//!
//! After an entry fills, its protective stop is placed as a
//! `STOP_MARKET closePosition=true` conditional order, and its take-profit
//! (when the entry set one) beside it as `TAKE_PROFIT_MARKET
//! closePosition=true`, the same way (committed before sent, fresh ids); a
//! moved stop is cancelled and replaced. A stop or take-profit the venue
//! refuses because it would fire at once (`-2021`) means the position is
//! already past it: it is closed with a reduce-only market order. Every few
//! seconds the venue's positions are read: a held symbol the venue shows
//! flat was closed there (its stop or take-profit fired, or by hand), and
//! is booked closed at the price of the order the fired one placed (else
//! the stop's price); the other conditional order is cancelled, as it is
//! when the node's own exit closes the position.

use super::{CORE_LIVE, ExecutorActor};
use crate::node::trading::SharedRules;
use actix::{ActorContext, AsyncContext, Context, Handler, Message};
use anyhow::Context as _;
use quantumtrade::events::{Event, Payload};
use quantumtrade::exchange::binance::decimal::RoundingMode;
use quantumtrade::exchange::binance::error::ErrorCode;
use quantumtrade::exchange::binance::filters::OrderKind;
use quantumtrade::exchange::binance::order::{AlgoId, ClientOrderId, OrderId, Side};
use quantumtrade::exchange::binance::request::{
    AlgoOrderType, AlgoRef, AlgoSize, NewAlgoOrder, NewOrder, NewOrderType, ResponseType,
    TriggerSource,
};
use quantumtrade::market::Symbol;
use quantumtrade::risk::sizing::PositionSide;
use quantumtrade::trading::event::{OrderRequest, TradeEvent};
use quantumtrade::trading::live_orders::{
    CloseKind, LiveOrders, OrderReport, StopChange, position_differences, positions_after,
};
use quantumtrade_actors::venue::binance::{Credentials, RestClient, RestError};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

/// The venue connection and what the live path keeps beside the book.
pub struct LiveVenue {
    /// The order book (journaled).
    pub(super) orders: LiveOrders,
    rest: RestClient,
    rules: SharedRules,
    /// Committed events not yet forwarded to the position actor.
    pub(super) unsent: Vec<Event>,
    /// Orders whose request or query is running.
    in_flight: BTreeSet<String>,
    /// Symbols whose stop or take-profit request is running (what
    /// `closes_in_flight` holds, by symbol).
    stops_in_flight: BTreeSet<Symbol>,
    /// Stop and take-profit requests running.
    closes_in_flight: BTreeSet<(Symbol, CloseKind)>,
    /// Open time of the last closed minute.
    pub(super) last_minute: i64,
    /// Bumped by every order sent and answer booked: a position read that
    /// started before a change is stale.
    generation: u64,
    /// A position read is running.
    syncing: bool,
    /// The closed minute waiting for a position read before it is
    /// forwarded, and whether the read running started before it closed
    /// (then another is needed).
    awaiting: Option<(i64, bool)>,
}

/// How the live venue is reached.
pub struct LiveSettings {
    /// REST base.
    pub rest_url: String,
    /// Credentials file (else the environment).
    pub credentials_file: Option<std::path::PathBuf>,
    /// Fee rate of fills the venue reports no commission for.
    pub fee_rate: f64,
    /// Symbol rules (steps and ticks orders are rounded to).
    pub rules: SharedRules,
}

impl LiveVenue {
    /// Connects: credentials and the REST client.
    /// `orders` is the journaled book (or a new one).
    ///
    /// # Errors
    /// No or unreadable credentials, an HTTP client that cannot be built.
    pub async fn connect(s: LiveSettings, orders: Option<LiveOrders>) -> anyhow::Result<Self> {
        let creds = match &s.credentials_file {
            Some(f) => Credentials::from_file(f)
                .with_context(|| format!("trading.credentials_file {}", f.display()))?,
            None => Credentials::from_env()
                .context("venue credentials from the environment")?
                .context(
                    "trading.venue = \"binance\" needs trading.credentials_file or \
                     QTRADE_BINANCE_API_KEY and QTRADE_BINANCE_API_SECRET",
                )?,
        };
        let rest =
            RestClient::new(&s.rest_url, Some(creds)).context("cannot build the REST client")?;
        // No time sync up front: the client resynchronises on a -1021 by
        // itself, and a simulated venue's clock may run faster than ours.
        // The venue's own rate limits, not the documented defaults: a venue
        // that allows more (a simulator at an accelerated clock) must not
        // see the executor stall until the next minute for weight it has.
        if let Err(e) = rest.exchange_info().await {
            eprintln!(
                "qtrade: warning: executor: exchangeInfo: {e}; keeping the documented rate limits"
            );
        }
        Ok(Self {
            orders: orders.unwrap_or_else(|| LiveOrders::new(s.fee_rate)),
            rest,
            rules: s.rules,
            unsent: Vec::new(),
            in_flight: BTreeSet::new(),
            stops_in_flight: BTreeSet::new(),
            closes_in_flight: BTreeSet::new(),
            last_minute: 0,
            generation: 0,
            syncing: false,
            awaiting: None,
        })
    }

    /// Start-up: resolves the orders a previous run may have sent (queried
    /// by our id), then compares the venue's positions and open orders with
    /// the book's (`book`) and this one's. Returns the events the queries
    /// produced (to commit) and each difference found.
    pub async fn reconcile(
        &mut self,
        book: &BTreeMap<Symbol, f64>,
    ) -> (Vec<TradeEvent>, Vec<String>) {
        let mut events = Vec::new();
        let at = self.rest.venue_now_ms();
        for o in self.orders.unresolved() {
            match resolve(&self.rest, &o.symbol, &o.client_id, None).await {
                Resolution::Report(r) => {
                    let out = self.orders.on_report(&o.client_id, &r, at);
                    events.extend(out.events);
                    // Stops are (re)placed by the first minute.
                }
                Resolution::Unknown(why) => {
                    events.extend(self.orders.on_unknown(&o.client_id, &why));
                }
                Resolution::Unresolved(why) => {
                    return (
                        events,
                        vec![format!("order {} unresolved: {why}", o.client_id)],
                    );
                }
            }
        }
        let venue = match self.rest.position_risk().await {
            Ok(rows) => {
                let mut m = BTreeMap::new();
                for r in rows {
                    let q = r.position_amt.to_f64();
                    if q == 0.0 {
                        continue;
                    }
                    match Symbol::new(&r.symbol.0) {
                        Ok(s) => *m.entry(s).or_insert(0.0) += q,
                        Err(e) => {
                            return (events, vec![format!("venue symbol {:?}: {e}", r.symbol.0)]);
                        }
                    }
                }
                m
            }
            Err(e) => {
                return (
                    events,
                    vec![format!("cannot read the venue's positions: {e}")],
                );
            }
        };
        // The position actor has not seen the fills just recovered yet.
        let book = positions_after(book, &events);
        let mut diffs = position_differences(&venue, &book, "book");
        for d in position_differences(&venue, &self.orders.positions(), "executor") {
            if !diffs
                .iter()
                .any(|x| x.split(':').next() == d.split(':').next())
            {
                diffs.push(d);
            }
        }
        match self.rest.every_open_order().await {
            Ok(open) => diffs.extend(open.iter().map(|o| {
                format!(
                    "{}: open order {} at the venue that the node did not send",
                    o.symbol.0,
                    o.client_order_id.as_str()
                )
            })),
            Err(e) => diffs.push(format!("cannot read the venue's open orders: {e}")),
        }
        match self.rest.every_open_algo_order().await {
            Ok(open) => {
                let ours: BTreeSet<i64> = self
                    .orders
                    .stops()
                    .values()
                    .chain(self.orders.targets().values())
                    .filter_map(|s| s.algo_id)
                    .collect();
                diffs.extend(
                    open.iter()
                        .filter(|a| !ours.contains(&a.algo_id.0))
                        .map(|a| {
                            format!(
                                "{}: conditional order {} at the venue that the node did not send",
                                a.symbol.0,
                                a.client_algo_id.as_str()
                            )
                        }),
                );
                let at_venue: BTreeSet<i64> = open.iter().map(|a| a.algo_id.0).collect();
                for (s, st) in self.orders.stops() {
                    if let Some(id) = st.algo_id.filter(|id| !at_venue.contains(id)) {
                        diffs.push(format!(
                            "{s}: protective stop {id} is not open at the venue"
                        ));
                    }
                }
                for (s, tp) in self.orders.targets() {
                    if let Some(id) = tp.algo_id.filter(|id| !at_venue.contains(id)) {
                        diffs.push(format!("{s}: take-profit {id} is not open at the venue"));
                    }
                }
            }
            Err(e) => diffs.push(format!("cannot read the venue's conditional orders: {e}")),
        }
        (events, diffs)
    }

    /// Market time now: the minute after the last closed one.
    fn now(&self) -> i64 {
        self.last_minute + 60_000
    }

    /// Marks the `kind` request of `symbol` running (or done).
    fn close_in_flight(&mut self, symbol: &Symbol, kind: CloseKind, running: bool) {
        if running {
            self.closes_in_flight.insert((symbol.clone(), kind));
        } else {
            self.closes_in_flight.remove(&(symbol.clone(), kind));
        }
        self.stops_in_flight = self
            .closes_in_flight
            .iter()
            .map(|(s, _)| s.clone())
            .collect();
    }
}

/// What querying an order found.
enum Resolution {
    /// The venue's answer.
    Report(OrderReport),
    /// The venue does not know the order (never placed).
    Unknown(String),
    /// No answer either way (try again later).
    Unresolved(String),
}

/// Queries `client_id` by our id; `sent_error` is the send's failure, if
/// one, for the record.
async fn resolve(
    rest: &RestClient,
    symbol: &Symbol,
    client_id: &str,
    sent_error: Option<&RestError>,
) -> Resolution {
    let Ok(cid) = ClientOrderId::new(client_id) else {
        return Resolution::Unknown(format!("invalid client order id {client_id:?}"));
    };
    match rest.query_order_by_client_id(symbol.as_str(), &cid).await {
        Ok(r) => Resolution::Report(OrderReport::from(&r)),
        Err(e)
            if e.api_error()
                .is_some_and(|a| a.code == ErrorCode::NoSuchOrder) =>
        {
            Resolution::Unknown(match sent_error {
                Some(s) => format!("not placed: {s}"),
                None => "not placed: unknown to the venue".into(),
            })
        }
        Err(e) => Resolution::Unresolved(e.to_string()),
    }
}

/// The answer to an order request (or its query).
#[derive(Message)]
#[rtype(result = "()")]
struct OrderAnswered {
    client_id: String,
    resolution: Resolution,
}

/// The answer to a stop (or take-profit) request.
#[derive(Message)]
#[rtype(result = "()")]
struct StopAnswered {
    kind: CloseKind,
    symbol: Symbol,
    client_algo_id: String,
    result: Result<i64, StopFailure>,
}

enum StopFailure {
    /// `-2021`: the position is already past its stop.
    WouldTrigger,
    Other(String),
}

/// The venue's positions, read at `generation`.
#[derive(Message)]
#[rtype(result = "()")]
struct VenueRead {
    generation: u64,
    /// The closed minute the read was started for.
    minute: i64,
    positions: Option<BTreeMap<Symbol, f64>>,
    /// Which conditional close fired and the execution price of the order
    /// it placed, when found.
    prices: BTreeMap<Symbol, (CloseKind, f64)>,
}

/// The average price of the order the fired conditional order `algo_id`
/// placed, if the venue says.
async fn fired_price(rest: &RestClient, symbol: &Symbol, algo_id: i64) -> Option<f64> {
    let algo = rest
        .query_algo_order(&AlgoRef::Venue(AlgoId(algo_id)))
        .await
        .ok()?;
    let id: i64 = algo.actual_order_id?.parse().ok()?;
    let order = rest
        .query_order_by_venue_id(symbol.as_str(), OrderId(id))
        .await
        .ok()?;
    OrderReport::from(&order).avg_price
}

fn side(s: PositionSide) -> Side {
    match s {
        PositionSide::Long => Side::Buy,
        PositionSide::Short => Side::Sell,
    }
}

impl ExecutorActor {
    fn live(&mut self) -> &mut LiveVenue {
        self.live.as_mut().expect("live path only")
    }

    /// Commits `events` with the live book, remembers each placed order's
    /// event id and queues the events for the position actor. False (and
    /// the book reloaded) when the commit fails.
    pub(super) fn live_commit(&mut self, events: Vec<Event>) -> bool {
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        if let Err(e) = self.journal.commit(&events, CORE_LIVE, &live.orders) {
            eprintln!("qtrade: error: executor: {e:#}; nothing sent");
            self.stat.error("journal");
            if let Ok(Some(b)) = Self::stored_live_orders(&self.journal) {
                live.orders = b;
            }
            return false;
        }
        self.measure(&events, "binance");
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        for e in &events {
            match &e.payload {
                Payload::Trade(TradeEvent::OrderPlaced(o)) => {
                    self.placed.insert(o.client_id.clone(), e.meta.id);
                }
                Payload::Trade(TradeEvent::OrderFilled(_)) => {
                    metrics::counter!("qtrade_fills_total", "venue" => "binance").increment(1);
                }
                _ => {}
            }
        }
        live.unsent.extend(events);
        true
    }

    fn stamp_live(&mut self, raw: Vec<TradeEvent>) -> Vec<Event> {
        let at = self.live().now();
        raw.into_iter()
            .map(|e| {
                let cause = match &e {
                    TradeEvent::OrderFilled(f) => self.placed.get(&f.client_id).copied(),
                    TradeEvent::OrderCanceled { client_id, .. } => {
                        self.placed.get(client_id).copied()
                    }
                    _ => None,
                };
                self.stamp(e, at, cause)
            })
            .collect()
    }

    /// Submit: round to the lot, commit `OrderPlaced`, then send.
    pub(super) fn live_submit(
        &mut self,
        msg: &super::Submit,
        ctx: &mut Context<Self>,
    ) -> Option<String> {
        let mut req = msg.request.clone();
        let live = self.live();
        let rules = live
            .rules
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&req.symbol)
            .cloned();
        let Some(rules) = rules else {
            eprintln!(
                "qtrade: error: executor: no rules for {}; order dropped",
                req.symbol
            );
            self.stat.error("order");
            return None;
        };
        let qty = match rules.round_qty(req.qty, OrderKind::Market) {
            Ok(q) => q,
            Err(e) => {
                eprintln!(
                    "qtrade: error: executor: {} quantity {}: {e}; order dropped",
                    req.symbol, req.qty
                );
                self.stat.error("order");
                return None;
            }
        };
        req.qty = qty.to_f64();
        let order = live.orders.submit(&req);
        live.generation += 1;
        let ev = self.stamp(TradeEvent::OrderPlaced(order.clone()), req.at, msg.cause);
        if !self.live_commit(vec![ev]) {
            return None;
        }
        // Committed: the order is written; it goes out now.
        self.quality.written(
            &order.client_id,
            order.side,
            order.decision_price,
            Instant::now(),
        );
        let Ok(cid) = ClientOrderId::new(&order.client_id) else {
            return None;
        };
        let new = NewOrder {
            symbol: req.symbol.as_str().to_owned(),
            side: side(req.side),
            position_side: None,
            order_type: NewOrderType::Market,
            quantity: qty,
            reduce_only: req.reduce_only,
            client_order_id: cid,
            response_type: ResponseType::Result,
        };
        let live = self.live();
        live.in_flight.insert(order.client_id.clone());
        let (rest, me, symbol) = (live.rest.clone(), ctx.address(), req.symbol);
        let client_id = order.client_id.clone();
        actix::spawn(async move {
            let resolution = match rest.new_order(&new).await {
                Ok(r) => Resolution::Report(OrderReport::from(&r)),
                // Never send twice: ask the venue whether it has it.
                Err(e) => resolve(&rest, &symbol, &client_id, Some(&e)).await,
            };
            me.do_send(OrderAnswered {
                client_id,
                resolution,
            });
        });
        Some(order.client_id)
    }

    /// Carries out stop changes (each as a task).
    fn live_stops(&mut self, changes: Vec<StopChange>, ctx: &mut Context<Self>) {
        for c in changes {
            let live = self.live();
            let rest = live.rest.clone();
            let me = ctx.address();
            match c {
                StopChange::Cancel { algo_id, .. } => {
                    actix::spawn(async move {
                        if let Err(e) = rest
                            .cancel_algo_order(&AlgoRef::Venue(AlgoId(algo_id)))
                            .await
                        {
                            eprintln!(
                                "qtrade: warning: executor: cancel of conditional order {algo_id}: {e}"
                            );
                        }
                    });
                }
                StopChange::Place {
                    kind,
                    symbol,
                    cancel,
                    client_algo_id,
                    side: stop_side,
                    price,
                } => {
                    let rounding = match (kind, stop_side) {
                        // A sell stop (long) a tick lower never fires early,
                        // nor does a sell take-profit a tick higher.
                        (CloseKind::Stop, PositionSide::Short)
                        | (CloseKind::TakeProfit, PositionSide::Long) => RoundingMode::Down,
                        (CloseKind::Stop, PositionSide::Long)
                        | (CloseKind::TakeProfit, PositionSide::Short) => RoundingMode::Up,
                    };
                    let trigger = live
                        .rules
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .get(&symbol)
                        .map(|r| r.round_price(price, rounding));
                    let (Some(Ok(trigger_price)), Ok(cid)) =
                        (trigger, ClientOrderId::new(&client_algo_id))
                    else {
                        if kind == CloseKind::TakeProfit {
                            // Not a price the venue takes (a far target
                            // under its minimum): the stop protects alone.
                            eprintln!(
                                "qtrade: warning: executor: {symbol} take-profit {price}: not a valid price; held without one"
                            );
                            live.orders.drop_take_profit(&symbol);
                            self.commit_live_snapshot();
                            continue;
                        }
                        eprintln!(
                            "qtrade: error: executor: {symbol} {} {price}: not a valid price; not placed",
                            kind.name()
                        );
                        self.stat.error("order");
                        continue;
                    };
                    live.close_in_flight(&symbol, kind, true);
                    let order = NewAlgoOrder {
                        symbol: symbol.as_str().to_owned(),
                        side: side(stop_side),
                        position_side: None,
                        order_type: match kind {
                            CloseKind::Stop => AlgoOrderType::StopMarket { trigger_price },
                            CloseKind::TakeProfit => {
                                AlgoOrderType::TakeProfitMarket { trigger_price }
                            }
                        },
                        size: AlgoSize::ClosePosition,
                        trigger_source: TriggerSource::ContractPrice,
                        price_protect: false,
                        client_algo_id: cid,
                    };
                    actix::spawn(async move {
                        if let Some(id) = cancel
                            && let Err(e) =
                                rest.cancel_algo_order(&AlgoRef::Venue(AlgoId(id))).await
                        {
                            eprintln!(
                                "qtrade: warning: executor: cancel of {} {id}: {e}",
                                kind.name()
                            );
                        }
                        let result = match rest.new_algo_order(&order).await {
                            Ok(a) => Ok(a.algo_id.0),
                            Err(e)
                                if e.api_error().is_some_and(|a| {
                                    a.code == ErrorCode::OrderWouldImmediatelyTrigger
                                }) =>
                            {
                                Err(StopFailure::WouldTrigger)
                            }
                            Err(e) => Err(StopFailure::Other(e.to_string())),
                        };
                        me.do_send(StopAnswered {
                            kind,
                            symbol,
                            client_algo_id,
                            result,
                        });
                    });
                }
            }
        }
    }

    /// A closed minute: retry what is unresolved, place missing stops,
    /// and forward the fills since the last minute with the held symbols'
    /// candles. While positions are held, the venue's positions are read
    /// first: a stop the venue fired as this minute closed is booked with
    /// this minute, as the paper venue books it (one `positionRisk`, weight
    /// 5, per minute).
    pub(super) fn live_minute(&mut self, open_time: i64, ctx: &mut Context<Self>) {
        // A minute still waiting on a slow read goes out as it stands.
        if let Some((waiting, _)) = self.live().awaiting.take() {
            self.forward_minute(waiting);
        }
        let live = self.live();
        live.last_minute = open_time;
        let retry: Vec<(Symbol, String)> = live
            .orders
            .unresolved()
            .into_iter()
            .filter(|o| !live.in_flight.contains(&o.client_id))
            .map(|o| (o.symbol, o.client_id))
            .collect();
        for (symbol, client_id) in retry {
            live.in_flight.insert(client_id.clone());
            let (rest, me) = (live.rest.clone(), ctx.address());
            actix::spawn(async move {
                let resolution = resolve(&rest, &symbol, &client_id, None).await;
                me.do_send(OrderAnswered {
                    client_id,
                    resolution,
                });
            });
        }
        let unplaced = live.orders.unplaced_stops(&live.stops_in_flight);
        if !unplaced.is_empty() && self.commit_live_snapshot() {
            self.live_stops(unplaced, ctx);
        }
        let live = self.live();
        if live.orders.positions().is_empty() {
            self.forward_minute(open_time);
            return;
        }
        // Forwarded when a read started after the minute closed answers.
        live.awaiting = Some((open_time, live.syncing));
        if !live.syncing {
            self.read_positions(open_time, ctx);
        }
    }

    /// Reads the venue's positions (and, for each held symbol it shows
    /// flat, the price its stop's order filled at) for `minute`.
    fn read_positions(&mut self, minute: i64, ctx: &mut Context<Self>) {
        let live = self.live();
        live.syncing = true;
        let (rest, me, generation) = (live.rest.clone(), ctx.address(), live.generation);
        let held: Vec<(Symbol, Vec<(CloseKind, i64)>)> = live
            .orders
            .positions()
            .into_keys()
            .map(|s| {
                let algos = live.orders.close_ids(&s);
                (s, algos)
            })
            .collect();
        actix::spawn(async move {
            let positions = rest.position_risk().await.ok().map(|rows| {
                let mut m = BTreeMap::new();
                for r in rows {
                    let q = r.position_amt.to_f64();
                    if let (true, Ok(s)) = (q != 0.0, Symbol::new(&r.symbol.0)) {
                        *m.entry(s).or_insert(0.0) += q;
                    }
                }
                m
            });
            let mut prices = BTreeMap::new();
            if let Some(venue) = &positions {
                for (s, algos) in held {
                    if venue.contains_key(&s) {
                        continue;
                    }
                    for (kind, id) in algos {
                        if let Some(p) = fired_price(&rest, &s, id).await {
                            prices.insert(s.clone(), (kind, p));
                            break;
                        }
                    }
                }
            }
            me.do_send(VenueRead {
                generation,
                minute,
                positions,
                prices,
            });
        });
    }

    /// Sends the position actor minute `open_time` with the events booked
    /// since the last one and the candles of the symbols held or ordered.
    fn forward_minute(&mut self, open_time: i64) {
        let live = self.live();
        let mut symbols: BTreeSet<Symbol> = live.orders.positions().keys().cloned().collect();
        symbols.extend(live.orders.unresolved().into_iter().map(|o| o.symbol));
        let events = std::mem::take(&mut live.unsent);
        let candles = symbols
            .iter()
            .filter_map(|s| {
                super::History::candle_at(&self.history, s, open_time).map(|c| (s.clone(), c))
            })
            .collect();
        self.publish();
        if let Some(p) = &self.position {
            p.send(super::Executed {
                open_time,
                events,
                candles,
            });
        }
    }

    fn commit_live_snapshot(&mut self) -> bool {
        let Some(live) = self.live.as_ref() else {
            return false;
        };
        if let Err(e) = self.journal.commit(&[], CORE_LIVE, &live.orders) {
            eprintln!("qtrade: error: executor: {e:#}");
            self.stat.error("journal");
            return false;
        }
        true
    }

    /// MoveStop: cancel-replace the venue's stop.
    pub(super) fn live_move_stop(&mut self, symbol: &Symbol, price: f64, ctx: &mut Context<Self>) {
        // A stop request still running answers for an id no longer wanted:
        // that stop is cancelled when its answer comes (`stop_placed`).
        let Some(change) = self.live().orders.move_stop(symbol, price) else {
            return;
        };
        if self.commit_live_snapshot() {
            self.live_stops(vec![change], ctx);
        }
    }

    fn on_order_answered(&mut self, msg: OrderAnswered, ctx: &mut Context<Self>) {
        let live = self.live();
        live.in_flight.remove(&msg.client_id);
        live.generation += 1;
        let at = live.now();
        if matches!(msg.resolution, Resolution::Report(_)) {
            self.record_ack(&msg.client_id, "binance");
        }
        let live = self.live();
        let out = match msg.resolution {
            Resolution::Report(r) => live.orders.on_report(&msg.client_id, &r, at),
            Resolution::Unknown(why) => quantumtrade::trading::live_orders::Outcome {
                events: live.orders.on_unknown(&msg.client_id, &why),
                stops: Vec::new(),
            },
            Resolution::Unresolved(why) => {
                eprintln!(
                    "qtrade: warning: executor: order {} unresolved ({why}); asking again next minute",
                    msg.client_id
                );
                self.stat.error("venue");
                return;
            }
        };
        let events = self.stamp_live(out.events);
        if self.live_commit(events) {
            self.live_stops(out.stops, ctx);
            self.publish();
        }
    }

    fn on_stop_answered(&mut self, msg: StopAnswered, ctx: &mut Context<Self>) {
        let live = self.live();
        live.close_in_flight(&msg.symbol, msg.kind, false);
        match msg.result {
            Ok(algo_id) => {
                if live
                    .orders
                    .close_placed(msg.kind, &msg.symbol, &msg.client_algo_id, algo_id)
                {
                    self.commit_live_snapshot();
                } else {
                    // Moved or closed meanwhile: this one is not wanted.
                    self.live_stops(
                        vec![StopChange::Cancel {
                            symbol: msg.symbol,
                            algo_id,
                        }],
                        ctx,
                    );
                }
            }
            Err(StopFailure::WouldTrigger) => {
                let at = live.now();
                if let Some(exit) =
                    live.orders
                        .close_would_trigger(msg.kind, &msg.symbol, &msg.client_algo_id, at)
                {
                    eprintln!(
                        "qtrade: executor: {} is past its {} at the venue; closing it",
                        msg.symbol,
                        msg.kind.name()
                    );
                    let submit = super::Submit {
                        request: OrderRequest { ..exit },
                        cause: None,
                        routed_at: None,
                    };
                    self.live_submit(&submit, ctx);
                }
            }
            Err(StopFailure::Other(e)) => {
                eprintln!(
                    "qtrade: error: executor: {} {} not placed: {e}; placing it again next minute",
                    msg.symbol,
                    msg.kind.name()
                );
                self.stat.error("venue");
            }
        }
        self.publish();
    }

    /// The venue's positions: a held symbol the venue shows flat (with no
    /// request of ours running for it) was closed there, by its stop, its
    /// take-profit or by hand; it is booked closed, and the conditional
    /// orders that did not fire are cancelled. Then forwards the minute
    /// waiting for this read (a read started before that minute closed is
    /// followed by another).
    fn on_venue_read(&mut self, msg: VenueRead, ctx: &mut Context<Self>) {
        let minute = msg.minute;
        let stale = !self.book_venue_read(msg, ctx);
        let live = self.live();
        live.syncing = false;
        match live.awaiting {
            // Started before the minute closed, or before an order changed
            // the positions: read again.
            Some((m, true)) => {
                live.awaiting = Some((m, false));
                self.read_positions(m, ctx);
            }
            Some((m, false)) if m == minute && stale => {
                live.awaiting = Some((m, false));
                self.read_positions(m, ctx);
            }
            Some((m, false)) if m == minute => {
                live.awaiting = None;
                self.forward_minute(m);
            }
            _ => {}
        }
    }

    /// Books what a read found; false when the read is stale (an order
    /// was sent or answered while it ran) and so was not used.
    fn book_venue_read(&mut self, msg: VenueRead, ctx: &mut Context<Self>) -> bool {
        let live = self.live();
        let Some(venue) = msg.positions else {
            return true;
        };
        if msg.generation != live.generation {
            return false;
        }
        let at = live.now();
        let mut raw = Vec::new();
        let mut cancels = Vec::new();
        for s in live.orders.positions().keys() {
            if venue.contains_key(s) || live.stops_in_flight.contains(s) {
                continue;
            }
            eprintln!("qtrade: executor: {s} is flat at the venue; booking it closed");
            let (events, cancel) = live.orders.close_fired(s, msg.prices.get(s).copied(), at);
            raw.extend(events);
            cancels.extend(cancel);
        }
        if raw.is_empty() {
            return true;
        }
        live.generation += 1;
        let events = self.stamp_live(raw);
        if self.live_commit(events) {
            self.live_stops(cancels, ctx);
        }
        self.publish();
        true
    }
}

impl Handler<OrderAnswered> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: OrderAnswered, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.on_order_answered(msg, ctx)).is_none() {
            ctx.stop();
        }
    }
}

impl Handler<StopAnswered> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: StopAnswered, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.on_stop_answered(msg, ctx)).is_none() {
            ctx.stop();
        }
    }
}

impl Handler<VenueRead> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: VenueRead, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.on_venue_read(msg, ctx)).is_none() {
            ctx.stop();
        }
    }
}

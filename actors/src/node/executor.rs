//! ExecutorActor: the shell around the venue. In paper mode the venue is
//! [`PaperVenue`] (market orders at the touch of the last close before they
//! arrive — the decision minute's under a minute of latency — booked with
//! the minute they arrived in, as the simulated exchange fills them;
//! protective stops held at the venue). Every order and fill is committed
//! to the journal before the position actor hears of it; a failed commit rolls the venue back to its
//! last committed state and acts on nothing.
//!
//! With `[trading] venue = "binance"` the same actor runs the live path
//! ([`live`]): orders and protective stops go to the venue's REST API.

use super::hub::{History, SharedHistory};
use super::journal::Journal;
use super::position::{Executed, PositionActor};
use super::state::SharedState;
use super::telemetry::{ActorStat, Tracked, now_ms};
use super::trading::{SharedIds, SharedRules, TradingGauges, p95};
use actix::{Actor, ActorContext, Context, Handler, Message, Supervised};
use quantumtrade::events::{Event, EventId, Payload, TradeEvent};
use quantumtrade::market::{Candle, Symbol};
use quantumtrade::trading::event::OrderRequest;
use quantumtrade::trading::execution_quality::ExecutionQuality;
use quantumtrade::trading::paper_venue::{FillModel, PaperVenue};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

/// The journal key of the venue's snapshot.
const CORE: &str = "venue";

/// The journal key of the live venue's order book.
const CORE_LIVE: &str = "live-venue";

pub mod live;
pub use live::{LiveSettings, LiveVenue};

/// Orders the latency p95 is taken over.
const LATENCY_SAMPLES: usize = 100;

/// A market minute closed (from the selector, which hears it from the hub
/// first): the venue fills against it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct MinuteClosed {
    /// Open time of the minute, ms.
    pub open_time: i64,
}

/// Send an order.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Submit {
    /// The order.
    pub request: OrderRequest,
    /// The event that decided it.
    pub cause: Option<EventId>,
    /// When the minute that led to it was routed, if known.
    pub routed_at: Option<Instant>,
}

/// Move a position's protective stop at the venue.
#[derive(Message)]
#[rtype(result = "()")]
pub struct MoveStop(pub Symbol, pub f64);

/// Cancel every working entry (flatten).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CancelEntries(pub i64);

/// Tells the executor where fills go.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ConnectPosition(pub Tracked<PositionActor>);

/// The executor.
pub struct ExecutorActor {
    venue: PaperVenue,
    /// The live path (`None`: paper).
    live: Option<LiveVenue>,
    journal: Journal,
    history: SharedHistory,
    /// Exchange rules (the tick paper fills are rounded to).
    rules: SharedRules,
    state: SharedState,
    ids: SharedIds,
    position: Option<Tracked<PositionActor>>,
    /// Event id of each working order's `OrderPlaced`, so fills name it.
    placed: BTreeMap<String, EventId>,
    /// Signal-to-order latencies of the recent orders, ms.
    latencies: VecDeque<f64>,
    /// Orders in flight, timed from their write to their ack and fill.
    quality: ExecutionQuality,
    gauges: Arc<TradingGauges>,
    stat: Arc<ActorStat>,
}

impl ExecutorActor {
    /// An executor over the paper venue, restored from the journal when it
    /// holds a snapshot.
    ///
    /// # Errors
    /// A snapshot that does not decode.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: FillModel,
        journal: Journal,
        history: SharedHistory,
        rules: SharedRules,
        state: SharedState,
        ids: SharedIds,
        gauges: Arc<TradingGauges>,
        stat: Arc<ActorStat>,
    ) -> anyhow::Result<Self> {
        // The config's model, also for a restored venue: an operator's
        // change of fees or latency takes effect at restart.
        let venue = Self::stored_venue(&journal)?
            .map_or_else(|| PaperVenue::new(model), |v| v.with_model(model));
        let me = Self {
            venue,
            live: None,
            journal,
            history,
            rules,
            state,
            ids,
            position: None,
            placed: BTreeMap::new(),
            latencies: VecDeque::new(),
            quality: ExecutionQuality::new(),
            gauges,
            stat,
        };
        me.publish();
        Ok(me)
    }

    /// Switches to the live path over `live` (its book restored from the
    /// journal by the caller through [`Self::stored_live_orders`]).
    #[must_use]
    pub fn with_live(mut self, live: LiveVenue) -> Self {
        self.live = Some(live);
        self.publish();
        self
    }

    /// The paper venue last committed, if one was (also in the form
    /// written before latency was modelled).
    ///
    /// # Errors
    /// A snapshot that does not decode.
    fn stored_venue(journal: &Journal) -> anyhow::Result<Option<PaperVenue>> {
        journal
            .load_bytes(CORE)?
            .map(|b| PaperVenue::decode_snapshot(&b))
            .transpose()
            .map_err(anyhow::Error::from)
    }

    /// The live order book last committed, if one was (also in the form
    /// written before take-profits).
    ///
    /// # Errors
    /// A snapshot that does not decode.
    pub fn stored_live_orders(
        journal: &Journal,
    ) -> anyhow::Result<Option<quantumtrade::trading::live_orders::LiveOrders>> {
        use quantumtrade::trading::live_orders::LiveOrders;
        journal
            .load_bytes(CORE_LIVE)?
            .map(|b| LiveOrders::decode_snapshot(&b))
            .transpose()
            .map_err(anyhow::Error::from)
    }

    /// Commits the start-up reconciliation's events (fills and cancels of
    /// orders a previous run sent); they reach the position actor with the
    /// first minute.
    ///
    /// # Errors
    /// A failed commit.
    pub fn commit_recovered(
        &mut self,
        raw: Vec<quantumtrade::trading::event::TradeEvent>,
    ) -> anyhow::Result<()> {
        if raw.is_empty() {
            return Ok(());
        }
        let at = now_ms();
        let events: Vec<Event> = raw.into_iter().map(|e| self.stamp(e, at, None)).collect();
        anyhow::ensure!(
            self.live_commit(events),
            "cannot commit the recovered orders"
        );
        Ok(())
    }

    /// The venue's net positions: symbol → signed quantity.
    #[must_use]
    pub fn venue_positions(&self) -> BTreeMap<Symbol, f64> {
        if let Some(l) = &self.live {
            return l.orders.positions();
        }
        self.venue
            .positions()
            .iter()
            .map(|(s, (side, q))| (s.clone(), side.sign() * q))
            .collect()
    }

    /// The venue's open orders into `/state`.
    fn publish(&self) {
        let orders = match &self.live {
            Some(l) => l.orders.open_orders(),
            None => self.venue.open_orders(),
        };
        self.stat.set_state(format!("open orders {}", orders.len()));
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .open_orders = orders;
    }

    /// Commits `events` with the venue's snapshot; on failure restores the
    /// last committed venue and returns false.
    fn commit(&mut self, events: &[Event]) -> bool {
        if let Err(e) = self.journal.commit(events, CORE, &self.venue) {
            eprintln!("qtrade: error: executor: {e:#}; nothing sent");
            self.stat.error("journal");
            if let Ok(Some(v)) = Self::stored_venue(&self.journal) {
                self.venue = v;
            }
            return false;
        }
        true
    }

    fn stamp(&self, e: TradeEvent, venue_ts: i64, cause: Option<EventId>) -> Event {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .event(e, now_ms(), Some(venue_ts), cause)
    }

    fn on_minute(&mut self, m: &MinuteClosed) {
        let symbols: BTreeSet<Symbol> = self.venue.symbols().cloned().collect();
        let candles: BTreeMap<Symbol, Candle> = symbols
            .iter()
            .filter_map(|s| {
                History::candle_at(&self.history, s, m.open_time).map(|c| (s.clone(), c))
            })
            .collect();
        let raw = self.venue.on_candles(m.open_time, &candles);
        let mut events = Vec::with_capacity(raw.len());
        for e in raw {
            let cause = match &e {
                TradeEvent::OrderFilled(f) => self.placed.get(&f.client_id).copied(),
                TradeEvent::OrderCanceled { client_id, .. } => self.placed.get(client_id).copied(),
                _ => None,
            };
            let ev = self.stamp(e, m.open_time, cause);
            if let Payload::Trade(TradeEvent::OrderPlaced(o)) = &ev.payload {
                self.placed.insert(o.client_id.clone(), ev.meta.id);
            }
            events.push(ev);
        }
        if !events.is_empty() && !self.commit(&events) {
            return;
        }
        self.measure(&events, "paper");
        for e in &events {
            if let Payload::Trade(TradeEvent::OrderFilled(f)) = &e.payload {
                metrics::counter!("qtrade_fills_total", "venue" => "paper").increment(1);
                // Paper market orders fill whole, in one fill.
                self.placed.remove(&f.client_id);
            }
        }
        self.publish();
        if let Some(p) = &self.position {
            p.send(Executed {
                open_time: m.open_time,
                events,
                candles,
            });
        }
    }

    fn on_submit(&mut self, msg: Submit) {
        let written = Instant::now();
        let rules = self
            .rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&msg.request.symbol)
            .copied();
        let order = match self.venue.submit(&msg.request, rules.as_ref()) {
            Ok(o) => o,
            Err(e) => {
                eprintln!(
                    "qtrade: error: executor: {} quantity {}: {e}; order dropped",
                    msg.request.symbol, msg.request.qty
                );
                self.stat.error("order");
                return;
            }
        };
        let ev = self.stamp(
            TradeEvent::OrderPlaced(order.clone()),
            msg.request.at,
            msg.cause,
        );
        if !self.commit(std::slice::from_ref(&ev)) {
            return;
        }
        // Written and durable: the order is now "on the wire", and the
        // paper venue accepted it at submit.
        self.record_latency(msg.routed_at, "paper");
        self.quality
            .written(&order.client_id, order.side, order.decision_price, written);
        self.record_ack(&order.client_id, "paper");
        self.placed.insert(order.client_id, ev.meta.id);
        self.publish();
    }

    /// Records the ack time of `client_id` at `venue` (the first ack only).
    fn record_ack(&mut self, client_id: &str, venue: &'static str) {
        if let Some(took) = self.quality.acked(client_id, Instant::now()) {
            metrics::histogram!("qtrade_order_ack_seconds", "venue" => venue).record(took);
        }
    }

    /// Records the fill time and slippage of each fill among the committed
    /// `events` at `venue`.
    fn measure(&mut self, events: &[Event], venue: &'static str) {
        let now = Instant::now();
        for e in events {
            let Payload::Trade(t) = &e.payload else {
                continue;
            };
            let Some(m) = self.quality.on_event(t, now) else {
                continue;
            };
            if let Some(took) = m.fill_seconds {
                metrics::histogram!("qtrade_order_fill_seconds", "venue" => venue).record(took);
            }
            if let Some(bps) = m.slippage_bps {
                metrics::histogram!("qtrade_order_slippage_bps", "venue" => venue).record(bps);
            }
        }
    }

    /// Counts an order sent to `venue` and its signal-to-order latency.
    fn record_latency(&mut self, routed_at: Option<Instant>, venue: &'static str) {
        if let Some(t) = routed_at {
            let took = t.elapsed().as_secs_f64();
            metrics::histogram!("qtrade_tick_to_order_seconds").record(took);
            if self.latencies.len() == LATENCY_SAMPLES {
                self.latencies.pop_front();
            }
            self.latencies.push_back(took * 1e3);
            if let Some(p) = p95(&self.latencies) {
                self.gauges.set_order_latency_p95_ms(p);
            }
        }
        metrics::counter!("qtrade_orders_total", "venue" => venue).increment(1);
    }
}

impl ExecutorActor {
    /// The actor's statistics.
    #[must_use]
    pub fn stat(&self) -> Arc<ActorStat> {
        Arc::clone(&self.stat)
    }
}

impl Actor for ExecutorActor {
    type Context = Context<Self>;
}

impl Supervised for ExecutorActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        // A handler that panicked may have left the venue half-changed: go
        // back to what was last committed.
        if let Ok(Some(v)) = Self::stored_venue(&self.journal) {
            self.venue = v;
        }
        if let (Some(l), Ok(Some(b))) =
            (self.live.as_mut(), Self::stored_live_orders(&self.journal))
        {
            l.orders = b;
        }
    }
}

impl Handler<MinuteClosed> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: MinuteClosed, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let done = if self.live.is_some() {
            stat.run(|| self.live_minute(msg.open_time, ctx))
        } else {
            stat.run(|| self.on_minute(&msg))
        };
        if done.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<Submit> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: Submit, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let done = if self.live.is_some() {
            stat.run(|| {
                let routed_at = msg.routed_at;
                if self.live_submit(&msg, ctx).is_some() {
                    self.record_latency(routed_at, "binance");
                    self.publish();
                }
            })
        } else {
            stat.run(|| self.on_submit(msg))
        };
        if done.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<MoveStop> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: MoveStop, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            if self.live.is_some() {
                self.live_move_stop(&msg.0, msg.1, ctx);
                self.publish();
                return;
            }
            let rules = self
                .rules
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&msg.0)
                .copied();
            self.venue.move_stop(&msg.0, msg.1, rules.as_ref());
            if self.commit(&[]) {
                self.publish();
            }
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<CancelEntries> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: CancelEntries, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            // Live market orders are answered at once: none waits to be
            // cancelled.
            if self.live.is_some() {
                return;
            }
            let raw = self.venue.cancel_entries(msg.0);
            let events: Vec<Event> = raw
                .into_iter()
                .map(|e| self.stamp(e, msg.0, None))
                .collect();
            if self.commit(&events) {
                self.measure(&events, "paper");
                self.publish();
            }
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<ConnectPosition> for ExecutorActor {
    type Result = ();

    fn handle(&mut self, msg: ConnectPosition, _: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        stat.run(|| self.position = Some(msg.0));
    }
}

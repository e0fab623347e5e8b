//! PositionActor: the shell around the [`PositionBook`]. It books the
//! executor's fills, marks and funds the positions, trails their stops
//! (moving the venue's stop orders) and takes partial exits, and tells the
//! risk actor the equity. Its events are committed before it acts.

use super::board::SharedBoard;
use super::executor::{ExecutorActor, MoveStop, Submit};
use super::journal::Journal;
use super::risk::{Portfolio, RiskActor};
use super::selector::{SelectorActor, Traded};
use super::signal::{Booked, Outcome, SignalActor};
use super::state::SharedState;
use super::telemetry::{ActorStat, Tracked, now_ms, run_or_stop};
use super::trading::{SharedIds, SharedMarks, marked_views};
use actix::{Actor, AsyncContext, Context, Handler, Message, Supervised};
use quantumtrade::events::{Event, EventId, Payload, TradeEvent};
use quantumtrade::indicators::battery::Column;
use quantumtrade::market::{Candle, Interval, Symbol};
use quantumtrade::portfolio::position::ManagementConfig;
use quantumtrade::trading::book::{Management, PositionBook};
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

/// How often `/state` is revalued at the venue's mark prices between
/// minutes (they are refreshed with the screen).
const REMARK_EVERY: Duration = Duration::from_secs(1);

/// The journal key of the book's snapshot: `(PositionBook, Option<i64>)`,
/// the book and the minute it last saw.
pub const BOOK_CORE: &str = "book";

/// The journal key of the book's snapshot.
const CORE: &str = BOOK_CORE;

/// What the venue did on a minute, with the candles of every symbol it
/// holds a position or an order in.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Executed {
    /// Open time of the minute, ms.
    pub open_time: i64,
    /// The venue's committed events.
    pub events: Vec<Event>,
    /// The minute's candles of those symbols.
    pub candles: BTreeMap<Symbol, Candle>,
}

/// Close every position (the risk actor's flatten).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flatten {
    /// Market time, ms.
    pub at: i64,
    /// The risk event that decided it.
    pub cause: Option<EventId>,
}

/// Where the position actor sends what it decides.
pub struct PositionLinks {
    /// Orders and stop moves.
    pub executor: Tracked<ExecutorActor>,
    /// Equity.
    pub risk: Tracked<RiskActor>,
    /// Outcomes of closed positions.
    pub signal: Tracked<SignalActor>,
    /// Traded symbols (score decay).
    pub selector: Tracked<SelectorActor>,
    /// The venue's mark prices (`/state` values positions at them).
    pub marks: SharedMarks,
}

/// The position actor.
pub struct PositionActor {
    book: PositionBook,
    management: ManagementConfig,
    funding_rate: f64,
    last_time: Option<i64>,
    journal: Journal,
    board: SharedBoard,
    state: SharedState,
    ids: SharedIds,
    links: PositionLinks,
    stat: Arc<ActorStat>,
}

/// The book with the minute it last saw (funding boundaries).
type Snapshot = (PositionBook, Option<i64>);

/// The positions of the book the journal holds: symbol → signed quantity.
///
/// # Errors
/// A snapshot that does not decode.
pub fn stored_positions(journal: &Journal) -> anyhow::Result<BTreeMap<Symbol, f64>> {
    Ok(journal
        .load::<Snapshot>(CORE)?
        .map(|(book, _)| {
            book.positions()
                .values()
                .map(|p| (p.symbol.clone(), p.side.sign() * p.qty))
                .collect()
        })
        .unwrap_or_default())
}

impl PositionActor {
    /// A position actor holding `cash`, or the book the journal holds.
    ///
    /// # Errors
    /// A snapshot that does not decode.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cash: f64,
        management: ManagementConfig,
        funding_rate: f64,
        journal: Journal,
        board: SharedBoard,
        state: SharedState,
        ids: SharedIds,
        links: PositionLinks,
        stat: Arc<ActorStat>,
    ) -> anyhow::Result<Self> {
        let (book, last_time) = journal
            .load::<Snapshot>(CORE)?
            .unwrap_or_else(|| (PositionBook::new(cash), None));
        let me = Self {
            book,
            management,
            funding_rate,
            last_time,
            journal,
            board,
            state,
            ids,
            links,
            stat,
        };
        me.publish();
        Ok(me)
    }

    /// The positions and equity into `/state`, at the venue's marks when
    /// it publishes them (else the last close).
    fn publish(&self) {
        let (views, equity) = {
            let marks = self
                .links
                .marks
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            marked_views(&self.book, &marks)
        };
        self.stat.set_state(format!("positions {}", views.len()));
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        st.positions = views;
        st.equity = Some(equity);
        st.cash = Some(self.book.cash());
    }

    fn stamp(&self, e: TradeEvent, venue_ts: i64, cause: Option<EventId>) -> Event {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .event(e, now_ms(), Some(venue_ts), cause)
    }

    fn commit(&mut self, events: &[Event]) -> bool {
        let snap: Snapshot = (self.book.clone(), self.last_time);
        if let Err(e) = self.journal.commit(events, CORE, &snap) {
            eprintln!("qtrade: error: positions: {e:#}; nothing acted on");
            self.stat.error("journal");
            self.reload();
            return false;
        }
        true
    }

    fn reload(&mut self) {
        if let Ok(Some((book, last))) = self.journal.load::<Snapshot>(CORE) {
            self.book = book;
            self.last_time = last;
        }
    }

    fn on_executed(&mut self, msg: Executed) {
        let t = msg.open_time;
        let mut events = Vec::new();
        let mut opened = Vec::new();
        let mut outcomes = Vec::new();
        for e in &msg.events {
            let Payload::Trade(TradeEvent::OrderFilled(f)) = &e.payload else {
                continue;
            };
            for b in self.book.on_fill(f) {
                match &b {
                    TradeEvent::PositionOpened(p) => opened.push(p.symbol.clone()),
                    TradeEvent::PositionClosed { pnl, .. } => outcomes.push(*pnl),
                    _ => {}
                }
                events.push(self.stamp(b, t, Some(e.meta.id)));
            }
        }
        self.book.mark_candles(&msg.candles);
        if let Some(prev) = self.last_time {
            for f in self.book.fund(prev, t, self.funding_rate) {
                events.push(self.stamp(f, t, None));
            }
        }
        self.last_time = Some(t);
        let atr: BTreeMap<Symbol, f64> = self
            .book
            .positions()
            .keys()
            .filter_map(|s| {
                self.board
                    .value(s, Interval::M5, Column::Atr14)
                    .map(|a| (s.clone(), a))
            })
            .collect();
        let (asks, moved) = self.book.manage(t, &msg.candles, &atr, &self.management);
        // Each managed exit's order names the ExitSignal that decided it.
        let mut exits = BTreeMap::new();
        for m in moved {
            let exit = match &m {
                TradeEvent::ExitSignal { symbol, .. } => Some(symbol.clone()),
                _ => None,
            };
            let ev = self.stamp(m, t, None);
            if let Some(symbol) = exit {
                exits.insert(symbol, ev.meta.id);
            }
            events.push(ev);
        }
        if !self.commit(&events) {
            return;
        }
        for s in opened {
            self.links.selector.send(Traded(s, t));
        }
        for pnl in outcomes {
            self.links.signal.send(Outcome(pnl));
        }
        for ask in asks {
            match ask {
                Management::MoveStop(s, stop) => self.links.executor.send(MoveStop(s, stop)),
                Management::Order(request) => self.links.executor.send(Submit {
                    cause: exits.get(&request.symbol).copied(),
                    request,
                    routed_at: None,
                }),
            }
        }
        self.links.risk.send(Portfolio {
            at: t,
            equity: self.book.equity(),
            open: self.book.open_positions(),
        });
        // Last: the signal actor decides on this minute once it hears this.
        self.links.signal.send(Booked(t));
        self.publish();
    }
}

impl PositionActor {
    /// The actor's statistics.
    #[must_use]
    pub fn stat(&self) -> Arc<ActorStat> {
        Arc::clone(&self.stat)
    }
}

impl Actor for PositionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The venue's marks move between minutes: revalue as they do.
        ctx.run_interval(REMARK_EVERY, |me, _| {
            let marked = !me
                .links
                .marks
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty();
            if marked && !me.book.positions().is_empty() {
                me.publish();
            }
        });
    }
}

impl Supervised for PositionActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        self.reload();
    }
}

impl Handler<Executed> for PositionActor {
    type Result = ();

    fn handle(&mut self, msg: Executed, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || self.on_executed(msg));
    }
}

impl Handler<Flatten> for PositionActor {
    type Result = ();

    fn handle(&mut self, msg: Flatten, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || {
            for request in self.book.flatten_orders(msg.at) {
                self.links.executor.send(Submit {
                    request,
                    cause: msg.cause,
                    routed_at: None,
                });
            }
        });
    }
}

//! SignalActor: the shell around the [`SignalDesk`]. Each selection is
//! ranked; every entry signal is committed as an `EntrySignal` event (with
//! all its inputs, caused by the `TopFiveSelected` event) and handed to the
//! risk actor. Closed positions' outcomes feed the desk's hit rate.
//!
//! A selection waits until the position actor has booked its minute
//! ([`Booked`]): the fills, stops, outcomes and equity of that minute are
//! then known to this actor and to the risk actor (messages from one actor
//! arrive in the order sent), so the node decides on the same state as
//! the paper engine and a backtest, however the actors are scheduled.

use super::hub::{History, SharedHistory};
use super::journal::Journal;
use super::risk::{Entry, RiskActor};
use super::telemetry::{ActorStat, Tracked, now_ms, run_or_stop};
use super::trading::SharedIds;
use actix::{Actor, Context, Handler, Message, Supervised};
use quantumtrade::events::signal::SymbolScore;
use quantumtrade::events::{EventId, TradeEvent};
use quantumtrade::market::Symbol;
use quantumtrade::selection::correlation::ReturnWindows;
use quantumtrade::trading::signal_desk::{SignalDesk, SignalDeskConfig, SignalInput};
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

/// The journal key of the desk's snapshot.
const CORE: &str = "signals";

/// A selection (from the selector).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Selection {
    /// Open time of the selected minute, ms.
    pub open_time: i64,
    /// The picks, best first.
    pub top: Vec<Symbol>,
    /// Every universe symbol's latest score.
    pub scores: Arc<BTreeMap<Symbol, SymbolScore>>,
    /// The 1m return windows (correlations).
    pub windows: Arc<ReturnWindows>,
    /// Common minutes a correlation needs.
    pub min_overlap: usize,
    /// The `TopFiveSelected` event.
    pub cause: EventId,
    /// When the minute was routed.
    pub routed_at: Instant,
}

/// The position actor has booked minute `.0` (open time, ms): its fills,
/// outcomes and equity were sent before this.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Booked(pub i64);

/// A closed position's net PnL.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Outcome(pub f64);

/// The signal actor.
pub struct SignalActor {
    desk: SignalDesk,
    history: SharedHistory,
    returns_window: usize,
    journal: Journal,
    ids: SharedIds,
    risk: Tracked<RiskActor>,
    stat: Arc<ActorStat>,
    /// The last minute the position actor booked.
    booked: Option<i64>,
    /// A selection whose minute is not booked yet.
    waiting: Option<Selection>,
}

impl SignalActor {
    /// A signal actor, restored from the journal when it holds a snapshot.
    ///
    /// # Errors
    /// A snapshot that does not decode.
    pub fn new(
        cfg: SignalDeskConfig,
        history: SharedHistory,
        returns_window: usize,
        journal: Journal,
        ids: SharedIds,
        risk: Tracked<RiskActor>,
        stat: Arc<ActorStat>,
    ) -> anyhow::Result<Self> {
        let desk = journal.load(CORE)?.unwrap_or_else(|| SignalDesk::new(cfg));
        Ok(Self {
            desk,
            history,
            returns_window,
            journal,
            ids,
            risk,
            stat,
            booked: None,
            waiting: None,
        })
    }

    fn on_selection(&mut self, m: &Selection) {
        let owned: BTreeMap<Symbol, Vec<f64>> = m
            .scores
            .keys()
            .map(|s| {
                (
                    s.clone(),
                    History::returns(&self.history, s, self.returns_window),
                )
            })
            .collect();
        let returns: BTreeMap<Symbol, &[f64]> = owned
            .iter()
            .map(|(s, v)| (s.clone(), v.as_slice()))
            .collect();
        let (windows, overlap) = (Arc::clone(&m.windows), m.min_overlap);
        let corr = move |a: &Symbol, b: &Symbol| windows.correlation(a, b, overlap);
        let ranked = self.desk.rank(&SignalInput {
            scores: &m.scores,
            top: &m.top,
            returns: &returns,
            correlation: &corr,
        });
        let mut events = Vec::new();
        let mut entries = Vec::new();
        {
            let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
            for r in ranked {
                let Some(side) = r.entry else { continue };
                let symbol = r.candidate.symbol.clone();
                let ev = ids.event(
                    TradeEvent::EntrySignal(r),
                    now_ms(),
                    Some(m.open_time),
                    Some(m.cause),
                );
                entries.push((symbol, side, ev.meta.id));
                events.push(ev);
            }
        }
        self.stat.set_state(format!("signals {}", entries.len()));
        if events.is_empty() {
            return;
        }
        if let Err(e) = self.journal.commit(&events, CORE, &self.desk) {
            eprintln!("qtrade: error: signals: {e:#}; nothing sent");
            self.stat.error("journal");
            return;
        }
        metrics::counter!("qtrade_entry_signals_total").increment(entries.len() as u64);
        for (symbol, side, cause) in entries {
            self.risk.send(Entry {
                symbol,
                side,
                at: m.open_time,
                windows: Arc::clone(&m.windows),
                min_overlap: m.min_overlap,
                cause,
                routed_at: m.routed_at,
            });
        }
    }
}

impl SignalActor {
    /// The actor's statistics.
    #[must_use]
    pub fn stat(&self) -> Arc<ActorStat> {
        Arc::clone(&self.stat)
    }
}

impl Actor for SignalActor {
    type Context = Context<Self>;
}

impl Supervised for SignalActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        if let Ok(Some(d)) = self.journal.load(CORE) {
            self.desk = d;
        }
    }
}

impl Handler<Selection> for SignalActor {
    type Result = ();

    fn handle(&mut self, msg: Selection, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || {
            // Never more than one behind: an older selection still waiting
            // is decided as it stands rather than stall the node.
            if let Some(old) = self.waiting.take() {
                self.on_selection(&old);
            }
            if self.booked.is_some_and(|b| b >= msg.open_time) {
                self.on_selection(&msg);
            } else {
                self.waiting = Some(msg);
            }
        });
    }
}

impl Handler<Booked> for SignalActor {
    type Result = ();

    fn handle(&mut self, msg: Booked, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || {
            self.booked = Some(msg.0);
            if let Some(w) = self.waiting.take_if(|w| w.open_time <= msg.0) {
                self.on_selection(&w);
            }
        });
    }
}

impl Handler<Outcome> for SignalActor {
    type Result = ();

    fn handle(&mut self, msg: Outcome, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || {
            self.desk.record_outcome(msg.0);
            if let Err(e) = self.journal.commit(&[], CORE, &self.desk) {
                eprintln!("qtrade: error: signals: {e:#}");
                self.stat.error("journal");
            }
        });
    }
}

//! SelectorActor: correlation windows of 1m returns, the latest score of
//! every universe symbol, and the diversified top five, published as a
//! `TopFiveSelected` event and into the node state.

use super::executor::{ExecutorActor, MinuteClosed};
use super::signal::{Selection, SignalActor};
use super::state::{Pair, SharedState};
use super::store::{Append, EventStore};
use super::telemetry::{ActorStat, Tracked, now_ms};
use actix::{Actor, ActorContext, Context, Handler, Message, Supervised};
use quantumtrade::events::signal::{SymbolScore, TopFiveSelected};
use quantumtrade::events::{EventIds, SignalEvent};
use quantumtrade::market::Symbol;
use quantumtrade::node::universe::market_regime;
use quantumtrade::selection::correlation::ReturnWindows;
use quantumtrade::selection::screen::ScreenInput;
use quantumtrade::selection::top::{TopConfig, select_top};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

/// The closes of one market minute, sent by the hub right after it routed
/// that minute's candles to the symbol actors.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Closes {
    /// Open time of the minute's candles, ms.
    pub open_time: i64,
    /// (symbol, open time, close) of every contract.
    pub closes: Vec<(Symbol, i64, f64)>,
    /// A live minute; warm-up minutes only fill the return windows (the
    /// node neither selects nor trades on history).
    pub live: bool,
    /// When the hub routed the candles: the start of the pipeline latency.
    pub routed_at: Instant,
}

/// Histogram buckets of `qtrade_pipeline_latency_seconds`.
pub const PIPELINE_BUCKETS: &[f64] = &[
    1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A symbol's new score.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ScoreUpdate(pub SymbolScore);

/// A symbol was traded at a market time (ms): its score decays, then
/// recovers over `top.decay_minutes` (the executor sends this on a fill).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Traded(pub Symbol, pub i64);

/// The qualified set changed (with the screen inputs that qualified it).
#[derive(Message)]
#[rtype(result = "()")]
pub struct UniverseChanged(pub BTreeSet<Symbol>, pub Vec<ScreenInput>);

/// Selects the minute still waiting for scores with the scores there are
/// (a symbol without a candle in it keeps its last score). A backtest
/// sends it once the whole node is idle after a minute, so that the
/// selection never waits for the next minute's `Closes`, whose arrival
/// against that minute's scores depends on scheduling.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Settle;

/// Connects the selector to the trading actors: it ticks the executor
/// with each closed minute and hands each selection to the signal actor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ConnectTrading(pub Tracked<SignalActor>, pub Tracked<ExecutorActor>);

/// The selector.
pub struct SelectorActor {
    /// Shared with the selections handed to the trading actors; written
    /// in place once they have let go of it (copied only while one still
    /// holds it).
    windows: Arc<ReturnWindows>,
    min_overlap: usize,
    top: TopConfig,
    universe: BTreeSet<Symbol>,
    scores: BTreeMap<Symbol, SymbolScore>,
    store: Tracked<EventStore>,
    state: SharedState,
    ids: EventIds,
    stat: Arc<ActorStat>,
    /// The minute whose scores are awaited, and when its candles were routed.
    pending: Option<(i64, Instant)>,
    /// Market times (ms) each symbol was traded at, recent first.
    last_traded: BTreeMap<Symbol, Vec<i64>>,
    /// The trading actors, once connected.
    trading: Option<ConnectTrading>,
}

impl SelectorActor {
    /// A selector.
    #[must_use]
    pub fn new(
        window: usize,
        min_overlap: usize,
        top: TopConfig,
        store: Tracked<EventStore>,
        state: SharedState,
        stat: Arc<ActorStat>,
    ) -> Self {
        Self {
            windows: Arc::new(ReturnWindows::new(window)),
            min_overlap,
            top,
            universe: BTreeSet::new(),
            scores: BTreeMap::new(),
            store,
            state,
            ids: EventIds::new(super::telemetry::unique_run_id()),
            stat,
            pending: None,
            last_traded: BTreeMap::new(),
            trading: None,
        }
    }

    /// Selects once every universe symbol has scored the pending minute
    /// (or, with `force`, with whatever scores there are), and records the
    /// pipeline latency from the minute's routing to the selection.
    fn try_select(&mut self, force: bool) {
        let Some((minute, routed_at)) = self.pending else {
            return;
        };
        if self.universe.is_empty() {
            // Nothing to select: the venue still fills against the minute.
            self.pending = None;
            self.close_minute(minute);
            return;
        }
        let complete = self
            .universe
            .iter()
            .all(|s| self.scores.get(s).is_some_and(|v| v.open_time >= minute));
        if !complete && !force {
            return;
        }
        self.pending = None;
        self.close_minute(minute);
        self.select(minute, routed_at);
        metrics::histogram!("qtrade_pipeline_latency_seconds")
            .record(routed_at.elapsed().as_secs_f64());
        let complete = if complete { "true" } else { "false" };
        metrics::counter!("qtrade_selections_total", "complete" => complete).increment(1);
    }

    /// Tells the executor the minute closed: the venue fills against it
    /// before anything is decided on it (entries placed on it are booked
    /// with the next), and the position actor then manages the positions
    /// on it. Sent once every universe symbol has scored the minute (or it
    /// is selected as it stands), so the board holds the minute's rows
    /// (its ATR) when they do.
    fn close_minute(&self, minute: i64) {
        if let Some(ConnectTrading(_, executor)) = &self.trading {
            executor.send(MinuteClosed { open_time: minute });
        }
    }

    fn select(&mut self, minute: i64, routed_at: Instant) {
        let scores: BTreeMap<Symbol, f64> = self
            .scores
            .iter()
            .filter(|(s, _)| self.universe.contains(*s))
            .map(|(s, v)| (s.clone(), v.score))
            .collect();
        let overlap = self.min_overlap;
        // Decay runs on market time (the minute being selected), so an
        // accelerated market decays at its own pace. Only trades booked
        // before this minute count: one booked on it may or may not have
        // arrived yet, and a backtest selects before it books the minute.
        let since: BTreeMap<Symbol, f64> = self
            .last_traded
            .iter()
            .filter_map(|(s, times)| {
                let t = times.iter().find(|&&t| t < minute)?;
                Some((s.clone(), (minute - t) as f64 / 60_000.0))
            })
            .collect();
        let sel = select_top(
            &scores,
            &since,
            |a, b| self.windows.correlation(a, b, overlap),
            &self.top,
        );
        let regime = market_regime(self.scores.values().map(|s| &s.regime));
        let mut pairs = Vec::new();
        for (i, a) in sel.picks.iter().enumerate() {
            for b in &sel.picks[i + 1..] {
                pairs.push(Pair {
                    a: a.symbol.to_string(),
                    b: b.symbol.to_string(),
                    rho: self.windows.correlation(&a.symbol, &b.symbol, overlap),
                });
            }
        }
        {
            let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
            st.scores = scores.iter().map(|(s, v)| (s.to_string(), *v)).collect();
            st.top = sel.picks.iter().map(|p| p.symbol.to_string()).collect();
            st.top_correlations = pairs;
            st.regime = regime;
            st.selections += 1;
        }
        let event = TopFiveSelected {
            picks: sel.picks,
            skipped: sel.skipped,
            scores: self
                .scores
                .values()
                .filter(|s| self.universe.contains(&s.symbol))
                .cloned()
                .collect(),
            market_regime: regime,
        };
        let now = now_ms();
        let top: Vec<Symbol> = event.picks.iter().map(|p| p.symbol.clone()).collect();
        // Stamped with the market minute it selects on.
        let ev = self
            .ids
            .event(SignalEvent::from(event), now, Some(minute), None);
        let cause = ev.meta.id;
        self.store.send(Append(ev));
        if let Some(ConnectTrading(signal, _)) = &self.trading {
            signal.send(Selection {
                open_time: minute,
                top,
                scores: Arc::new(
                    self.scores
                        .iter()
                        .filter(|(s, _)| self.universe.contains(*s))
                        .map(|(s, v)| (s.clone(), v.clone()))
                        .collect(),
                ),
                windows: Arc::clone(&self.windows),
                min_overlap: self.min_overlap,
                cause,
                routed_at,
            });
        }
        self.stat.set_state(format!(
            "universe {} scored {}",
            self.universe.len(),
            scores.len()
        ));
    }
}

impl Actor for SelectorActor {
    type Context = Context<Self>;
}

impl Supervised for SelectorActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
    }
}

impl Handler<Closes> for SelectorActor {
    type Result = ();

    fn handle(&mut self, msg: Closes, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            // A minute still waiting for scores when the next one closes is
            // selected as it stands (and counted incomplete).
            self.try_select(true);
            let windows = Arc::make_mut(&mut self.windows);
            for (s, t, c) in &msg.closes {
                windows.push(s, *t, *c);
            }
            if !msg.live {
                return;
            }
            self.pending = Some((msg.open_time, msg.routed_at));
            self.try_select(false);
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<ScoreUpdate> for SelectorActor {
    type Result = ();

    fn handle(&mut self, msg: ScoreUpdate, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            self.scores.insert(msg.0.symbol.clone(), msg.0);
            self.try_select(false);
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<Traded> for SelectorActor {
    type Result = ();

    fn handle(&mut self, msg: Traded, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            let times = self.last_traded.entry(msg.0).or_default();
            times.insert(0, msg.1);
            // The latest and the one before it are all a selection needs.
            times.truncate(2);
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<Settle> for SelectorActor {
    type Result = ();

    fn handle(&mut self, _: Settle, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.try_select(true)).is_none() {
            ctx.stop();
        }
    }
}

impl Handler<ConnectTrading> for SelectorActor {
    type Result = ();

    fn handle(&mut self, msg: ConnectTrading, _: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        stat.run(|| self.trading = Some(msg));
    }
}

impl Handler<UniverseChanged> for SelectorActor {
    type Result = ();

    fn handle(&mut self, msg: UniverseChanged, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            self.scores.retain(|s, _| msg.0.contains(s));
            let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
            st.universe = msg.0.iter().map(ToString::to_string).collect();
            st.screen = msg.1;
            self.universe = msg.0;
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

//! SelectorActor: correlation windows of 1m returns, the latest score of
//! every universe symbol, and the diversified top five, published as a
//! `TopFiveSelected` event and into the node state.

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

/// The closes of one market minute: (symbol, open time, close).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Closes(pub Vec<(Symbol, i64, f64)>);

/// A symbol's new score.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ScoreUpdate(pub SymbolScore);

/// The qualified set changed (with the screen inputs that qualified it).
#[derive(Message)]
#[rtype(result = "()")]
pub struct UniverseChanged(pub BTreeSet<Symbol>, pub Vec<ScreenInput>);

/// The selector.
pub struct SelectorActor {
    windows: ReturnWindows,
    min_overlap: usize,
    top: TopConfig,
    universe: BTreeSet<Symbol>,
    scores: BTreeMap<Symbol, SymbolScore>,
    store: Tracked<EventStore>,
    state: SharedState,
    ids: EventIds,
    stat: Arc<ActorStat>,
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
            windows: ReturnWindows::new(window),
            min_overlap,
            top,
            universe: BTreeSet::new(),
            scores: BTreeMap::new(),
            store,
            state,
            ids: EventIds::new(now_ms()),
            stat,
        }
    }

    fn select(&mut self) {
        let scores: BTreeMap<Symbol, f64> = self
            .scores
            .iter()
            .filter(|(s, _)| self.universe.contains(*s))
            .map(|(s, v)| (s.clone(), v.score))
            .collect();
        let overlap = self.min_overlap;
        let sel = select_top(
            &scores,
            &BTreeMap::new(),
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
        let ev = self.ids.event(SignalEvent::from(event), now, None, None);
        self.store.send(Append(ev));
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
            for (s, t, c) in &msg.0 {
                self.windows.push(s, *t, *c);
            }
            if !self.universe.is_empty() {
                self.select();
            }
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
        });
        if ok.is_none() {
            ctx.stop();
        }
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

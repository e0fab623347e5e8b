//! UniverseActor: screens every contract on an interval and spawns or
//! stops one supervised [`SymbolActor`] per qualified symbol.

use super::hub::{GetScreenInputs, MarketDataHub, Route};
use super::selector::UniverseChanged;
use super::symbol::{SymbolActor, SymbolDeps};
use super::telemetry::{ActorStat, Registry, Tracked};
use actix::{
    Actor, ActorContext, ActorFutureExt, ArbiterHandle, AsyncContext, Context, Handler, Message,
    Supervised, Supervisor, WrapFuture,
};
use quantumtrade::market::Symbol;
use quantumtrade::node::universe::diff;
use quantumtrade::selection::screen::{ScreenConfig, ScreenInput, qualified};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// The screen inputs of every contract, fetched from the hub.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Screened(pub Vec<ScreenInput>);

/// The universe actor.
pub struct UniverseActor {
    screen: ScreenConfig,
    deps: SymbolDeps,
    /// Re-screen period (`None`: screens are sent in, [`Screened`], as a
    /// backtest sends them on its simulated clock).
    every: Option<Duration>,
    hub: Tracked<MarketDataHub>,
    registry: Arc<Registry>,
    /// Threads the symbol actors are spread over, round robin.
    arbiters: Vec<ArbiterHandle>,
    spawned: usize,
    symbols: BTreeMap<Symbol, Tracked<SymbolActor>>,
    stat: Arc<ActorStat>,
}

impl UniverseActor {
    /// A universe actor; it polls the hub for screens every `every`
    /// (`None`: it takes the screens it is sent).
    ///
    /// # Panics
    /// When `arbiters` is empty.
    #[must_use]
    pub fn new(
        screen: ScreenConfig,
        deps: SymbolDeps,
        every: Option<Duration>,
        hub: Tracked<MarketDataHub>,
        registry: Arc<Registry>,
        arbiters: Vec<ArbiterHandle>,
        stat: Arc<ActorStat>,
    ) -> Self {
        assert!(!arbiters.is_empty(), "no arbiter for the symbol actors");
        Self {
            screen,
            deps,
            every,
            hub,
            registry,
            arbiters,
            spawned: 0,
            symbols: BTreeMap::new(),
            stat,
        }
    }

    fn poll(&self, ctx: &mut Context<Self>) {
        let hub = self.hub.clone();
        ctx.spawn(
            async move { hub.ask(GetScreenInputs).await }
                .into_actor(self)
                .map(|res, act, ctx| {
                    if let Ok(v) = res {
                        act.stat.enqueued();
                        ctx.notify(Screened(v));
                    }
                }),
        );
    }

    fn apply(&mut self, inputs: Vec<ScreenInput>) {
        let now: BTreeSet<Symbol> = qualified(&inputs, &self.screen).into_iter().collect();
        let old: BTreeSet<Symbol> = self.symbols.keys().cloned().collect();
        let d = diff(&old, &now);
        for s in d.removed {
            self.hub.send(Route(s.clone(), None));
            if let Some(t) = self.symbols.remove(&s) {
                self.registry.remove(t.stat.name());
            }
            self.deps.board.remove(&s);
        }
        for s in d.added {
            let stat = self.registry.register(
                format!("symbol:{s}"),
                "SymbolActor",
                Some(s.to_string()),
                self.deps.capacity,
            );
            // Its start-up (the backfill and first score) is the node's
            // work in progress until done (SymbolActor::started).
            let held = stat.hold();
            let (sym, deps, st) = (s.clone(), self.deps.clone(), Arc::clone(&stat));
            let arbiter = &self.arbiters[self.spawned % self.arbiters.len()];
            self.spawned += 1;
            let addr = Supervisor::start_in_arbiter(arbiter, move |_| {
                SymbolActor::new(sym, deps, st).holding(held)
            });
            let t = Tracked { addr, stat };
            self.hub.send(Route(s.clone(), Some(t.clone())));
            self.symbols.insert(s, t);
        }
        self.stat.set_state(format!("qualified {}", now.len()));
        metrics::gauge!("qtrade_universe_size")
            .set(f64::from(u32::try_from(now.len()).unwrap_or(u32::MAX)));
        self.deps.selector.send(UniverseChanged(now, inputs));
    }
}

impl Actor for UniverseActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(every) = self.every {
            self.poll(ctx);
            ctx.run_interval(every, |act, ctx| act.poll(ctx));
        }
    }
}

impl Supervised for UniverseActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
    }
}

impl Handler<Screened> for UniverseActor {
    type Result = ();

    fn handle(&mut self, msg: Screened, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.apply(msg.0)).is_none() {
            ctx.stop();
        }
    }
}

//! UniverseActor: screens every contract on an interval and spawns or
//! stops one supervised [`SymbolActor`] per qualified symbol.

use super::hub::{GetScreenInputs, MarketDataHub, Route, SharedHistory};
use super::selector::{SelectorActor, UniverseChanged};
use super::symbol::SymbolActor;
use super::telemetry::{ActorStat, Registry, Tracked};
use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Context, Handler, Message, Supervised,
    Supervisor, WrapFuture,
};
use quantumtrade::market::Symbol;
use quantumtrade::node::symbol::SymbolConfig;
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
    symbol_cfg: SymbolConfig,
    capacity: usize,
    every: Duration,
    hub: Tracked<MarketDataHub>,
    selector: Tracked<SelectorActor>,
    history: SharedHistory,
    registry: Arc<Registry>,
    symbols: BTreeMap<Symbol, Tracked<SymbolActor>>,
    stat: Arc<ActorStat>,
}

impl UniverseActor {
    /// A universe actor.
    #[expect(clippy::too_many_arguments, reason = "wiring, called once")]
    #[must_use]
    pub fn new(
        screen: ScreenConfig,
        symbol_cfg: SymbolConfig,
        capacity: usize,
        every: Duration,
        hub: Tracked<MarketDataHub>,
        selector: Tracked<SelectorActor>,
        history: SharedHistory,
        registry: Arc<Registry>,
        stat: Arc<ActorStat>,
    ) -> Self {
        Self {
            screen,
            symbol_cfg,
            capacity,
            every,
            hub,
            selector,
            history,
            registry,
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
        }
        for s in d.added {
            let stat = self.registry.register(
                format!("symbol:{s}"),
                "SymbolActor",
                Some(s.to_string()),
                self.capacity,
            );
            let (sym, cfg, hist, sel, st, cap) = (
                s.clone(),
                self.symbol_cfg,
                Arc::clone(&self.history),
                self.selector.clone(),
                Arc::clone(&stat),
                self.capacity,
            );
            let addr = Supervisor::start(move |_| SymbolActor::new(sym, cfg, hist, sel, st, cap));
            let t = Tracked { addr, stat };
            self.hub.send(Route(s.clone(), Some(t.clone())));
            self.symbols.insert(s, t);
        }
        self.stat.set_state(format!("qualified {}", now.len()));
        metrics::gauge!("qtrade_universe_size")
            .set(f64::from(u32::try_from(now.len()).unwrap_or(u32::MAX)));
        self.selector.send(UniverseChanged(now, inputs));
    }
}

impl Actor for UniverseActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.poll(ctx);
        ctx.run_interval(self.every, |act, ctx| act.poll(ctx));
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

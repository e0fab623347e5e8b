//! SymbolActor: one per qualified symbol, a shell around
//! [`SymbolAnalyzer`]; backfills from the hub's history at start and after
//! every restart, so its buffers are never empty.

use super::hub::{History, SharedHistory};
use super::selector::{ScoreUpdate, SelectorActor};
use super::telemetry::{ActorStat, Tracked};
use actix::{Actor, ActorContext, Context, Handler, Message, Supervised};
use quantumtrade::market::{Candle, Interval, Symbol};
use quantumtrade::node::symbol::{SymbolAnalyzer, SymbolConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A closed 1m candle of the actor's symbol.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CandleClosed(pub Candle);

/// Test-only fault hook: armed (debug builds only) by the environment
/// variable `QTRADE_FAULT_ONCE`; the first symbol actor to handle a live
/// candle after it is armed panics once.
static FAULT_ARMED: AtomicBool = AtomicBool::new(false);

/// Arms the fault hook from the environment (debug builds only).
pub fn arm_fault_hook_from_env() {
    if cfg!(debug_assertions) && std::env::var_os("QTRADE_FAULT_ONCE").is_some() {
        FAULT_ARMED.store(true, Ordering::SeqCst);
    }
}

/// The per-symbol actor.
pub struct SymbolActor {
    analyzer: SymbolAnalyzer,
    cfg: SymbolConfig,
    history: SharedHistory,
    selector: Tracked<SelectorActor>,
    stat: Arc<ActorStat>,
    capacity: usize,
}

impl SymbolActor {
    /// An actor for `symbol`.
    #[must_use]
    pub fn new(
        symbol: Symbol,
        cfg: SymbolConfig,
        history: SharedHistory,
        selector: Tracked<SelectorActor>,
        stat: Arc<ActorStat>,
        capacity: usize,
    ) -> Self {
        Self {
            analyzer: SymbolAnalyzer::new(symbol, cfg),
            cfg,
            history,
            selector,
            stat,
            capacity,
        }
    }

    fn publish(&self) {
        if let Some(s) = self.analyzer.last() {
            self.selector.send(ScoreUpdate(s.clone()));
            let h1 = self
                .analyzer
                .buffers()
                .ring(Interval::H1)
                .map_or(0, |r| r.len());
            self.stat.set_state(format!(
                "candles {} h1 {} score {:.1} {:?}",
                self.analyzer.candles(),
                h1,
                s.score,
                s.regime
            ));
        }
    }
}

impl Actor for SymbolActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.capacity);
        if self.analyzer.candles() == 0 {
            let h = History::of(&self.history, self.analyzer.symbol());
            self.analyzer.backfill(&h);
            self.publish();
        }
    }
}

impl Supervised for SymbolActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        // Rebuild from the history rather than trust state a panic left.
        self.analyzer = SymbolAnalyzer::new(self.analyzer.symbol().clone(), self.cfg);
    }
}

impl Handler<CandleClosed> for SymbolActor {
    type Result = ();

    fn handle(&mut self, msg: CandleClosed, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| {
            if FAULT_ARMED.swap(false, Ordering::SeqCst) {
                panic!("fault hook: {} fails once", self.analyzer.symbol());
            }
            self.analyzer.on_candle(&msg.0).is_some()
        });
        match ok {
            None => ctx.stop(),
            Some(true) => self.publish(),
            Some(false) => {}
        }
    }
}

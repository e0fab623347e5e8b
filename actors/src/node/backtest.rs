//! The node on a simulated clock: `qtrade backtest --engine actors`. The
//! same actors a live node runs (hub, universe, symbol actors, indicator
//! batches, selector, signal, risk, position and the paper executor with
//! the simulated exchange's fill model), fed recorded files by the hub's
//! [`super::replay_feed`] in lockstep: a minute is released only when the
//! whole node is done with the one before, so the run is deterministic and
//! as fast as the machine allows.
//!
//! Left out, as they decide nothing: the HTTP endpoints, the metrics
//! exporter, the alert actor and the state snapshots. The universe takes
//! its screens from the feed (on replayed time) instead of polling on a
//! wall-clock timer. The timers left do not decide: the indicator actor's
//! batch timer sends the battery jobs it holds (their results are only
//! checked against the streaming rows the decisions read; a batch in
//! flight is waited for, jobs still held are not), and the position actor
//! revalues `/state` at venue marks a replay does not have. The event store is a real sled store in `store_dir`,
//! its trading commits neither flushed nor fsynced
//! ([`super::journal::Journal::without_sync`]); the orders, fills and
//! positions of the report are read back from it.

use super::config::NodeConfig;
use super::hub::{HubSource, StartReplay};
use super::replay_feed::{Progress, ReplayEnd, ReplaySettings};
use super::store::EventStore;
use super::telemetry::{Registry, Tracked};
use super::{Pipeline, PipelineParts, start_pipeline, state};
use actix::Supervisor;
use anyhow::Context as _;
use quantumtrade::events::codec::decode;
use quantumtrade::events::{Event, Payload};
use quantumtrade::exchange::binance::filters::SymbolRules;
use quantumtrade::market::instrument::Instrument;
use quantumtrade::market::{Candle, Symbol};
use quantumtrade::node::battery_batch::CpuBackend;
use quantumtrade::trading::book::PositionBook;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

/// What a backtest replays.
pub struct BacktestInput {
    /// Each symbol's candles in the backtested range.
    pub series: Vec<(Symbol, Vec<Candle>)>,
    /// The contracts the simulator lists for the whole files.
    pub listed: BTreeMap<Symbol, Instrument>,
    /// Their exchange rules.
    pub rules: BTreeMap<Symbol, SymbolRules>,
    /// Relative spread of the replayed book.
    pub spread: f64,
    /// Starting cash.
    pub cash: f64,
    /// Progress, in candles.
    pub progress: Progress,
    /// Whether the symbol actors send their closed windows to the batched
    /// battery, which checks the streaming rows and decides nothing
    /// (`--battery-checks`; it costs most of a backtest's CPU).
    pub battery_checks: bool,
}

/// What the node did.
pub struct BacktestRun {
    /// What the feed recorded (equity per live minute, last candles).
    pub end: ReplayEnd,
    /// The trading events of the store, in sequence.
    pub events: Vec<Event>,
    /// The position actor's book at the end.
    pub book: PositionBook,
}

/// Runs the node over `input` with `cfg` (its `[trading]` on the paper
/// venue, whatever it names, with `input.cash`), its store in `store_dir`.
///
/// # Errors
/// Start-up failures (the store, snapshots), a replay that stops (an
/// actor that failed beyond restart), a store that cannot be read back.
pub fn run(
    cfg: &NodeConfig,
    input: BacktestInput,
    store_dir: &Path,
) -> anyhow::Result<BacktestRun> {
    let mut cfg = cfg.clone();
    cfg.trading.enabled = true;
    cfg.trading.venue = "paper".into();
    cfg.trading.cash = input.cash;
    let cash = input.cash;
    let registry = Arc::new(Registry::default());
    let cap = cfg.node.mailbox_capacity;
    let store_stat = registry.register("event-store".into(), "EventStore", None, cap);
    let store = EventStore::open_scratch(store_dir, Arc::clone(&store_stat))?;
    registry.set_dead_letters(store.dead_letters());
    let events_tree = store.events_tree();
    let journal = store.journal()?.without_sync();
    let book_journal = journal.clone();
    let sys = actix::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    });
    let end = sys.block_on(async move {
        let state = state::SharedState::default();
        let store = Tracked {
            addr: Supervisor::start(move |ctx: &mut actix::Context<_>| {
                ctx.set_mailbox_capacity(cap);
                store
            }),
            stat: store_stat,
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let settings = ReplaySettings {
            series: Arc::new(input.series),
            listed: Arc::new(input.listed),
            warmup_minutes: cfg.market.warmup_minutes,
            rescreen_minutes: cfg.universe.rescreen_minutes as usize,
            spread: input.spread,
            funding_rate: cfg.trading.engine.funding_rate,
            max_spread: cfg.screen.max_spread,
            rules: Arc::new(RwLock::new(input.rules)),
            registry: Arc::clone(&registry),
            state: Arc::clone(&state),
            progress: input.progress,
            done: Arc::new(Mutex::new(Some(tx))),
        };
        let pipeline = start_pipeline(PipelineParts {
            cfg: cfg.clone(),
            registry: Arc::clone(&registry),
            store,
            journal,
            state,
            market: HubSource::Replay(settings),
            backend: Mutex::new(Some(Box::new(CpuBackend))),
            battery_checks: input.battery_checks,
            // The feed sends the screens, on replayed time.
            rescreen: None,
        })
        .await?;
        // The risk actor held to the end, as `qtrade run` holds it.
        let Pipeline {
            hub,
            universe,
            arbiters,
            risk: _risk,
            ..
        } = pipeline;
        hub.send(StartReplay(universe));
        let end = rx
            .await
            .map_err(|_| anyhow::anyhow!("the replay stopped: the market-data hub failed"))?
            .map_err(anyhow::Error::msg)?;
        for a in &arbiters {
            a.stop();
        }
        anyhow::Ok(end)
    })?;
    // The trading events only: the rest (a selection a minute, with every
    // score) would hold the whole run in memory for nothing.
    let mut events = Vec::new();
    for kv in &events_tree {
        let (_, v) = kv.context("cannot read the event store")?;
        let e = decode(&v).context("an event does not decode")?;
        if matches!(e.payload, Payload::Trade(_)) {
            events.push(e);
        }
    }
    // No book stored: no minute was traded.
    let (book, _): (PositionBook, Option<i64>) = book_journal
        .load(super::position::BOOK_CORE)?
        .unwrap_or_else(|| (PositionBook::new(cash), None));
    Ok(BacktestRun { end, events, book })
}

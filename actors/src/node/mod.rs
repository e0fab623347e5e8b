//! The node: actix actors, each a thin shell around the pure logic in
//! `quantumtrade::node` and `quantumtrade::selection`, supervised, counted,
//! and served over HTTP.
//!
//! - [`config`]: the typed configuration.
//! - [`telemetry`]: per-actor statistics and metrics.
//! - [`hub`]: MarketDataHub (synthetic market or venue feed, history, routing).
//! - [`binance_feed`]: the hub's feed from a Binance-compatible venue.
//! - [`replay_feed`]: the hub's feed from recorded files, in lockstep (a
//!   backtest; [`backtest`] runs the node on it).
//! - [`universe`]: UniverseActor (screening, symbol actor lifecycle).
//! - [`symbol`]: SymbolActor (per-symbol analysis).
//! - [`indicator`] and [`dispatcher`]: IndicatorActor (batches battery
//!   jobs) and GpuDispatcher (runs them on the compute backend).
//! - [`board`]: what each symbol last computed, for `/symbols`.
//! - [`selector`]: SelectorActor (correlation, top five).
//! - [`store`]: EventStore (sled, bincode, sequence keys).
//! - [`state`] and [`http`]: `/state` and the endpoints.
//! - [`alert`]: AlertActor (process and actor samples, alert rules).
//! - [`signal`], [`risk`], [`position`], [`executor`]: the trading actors,
//!   one per core of `quantumtrade::trading`, committing to the
//!   [`journal`] before they act ([`trading`]: what they share).

pub mod alert;
pub mod backtest;
pub mod binance_feed;
pub mod board;
pub mod config;
pub mod dispatcher;
pub mod executor;
pub mod http;
pub mod hub;
pub mod indicator;
pub mod journal;
pub mod position;
pub mod replay_feed;
pub mod risk;
pub mod selector;
pub mod signal;
pub mod state;
pub mod store;
pub mod symbol;
pub mod telemetry;
pub mod trading;
pub mod universe;

use actix::Supervisor;
use anyhow::Context as _;
use config::NodeConfig;
use dispatcher::GpuDispatcher;
use hub::{History, MarketDataHub};
use indicator::IndicatorActor;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use quantumtrade::events::{EventIds, SystemEvent};
use quantumtrade::node::battery_batch::{BatteryBackend, CpuBackend};
use selector::SelectorActor;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use store::{Append, EventStore, Flush};
use symbol::SymbolDeps;
use telemetry::{Registry, Tracked, now_ms};
use universe::UniverseActor;

/// Every histogram the node records and its buckets (metrics' histograms
/// have none unless given; shared/STACK.md).
const HISTOGRAM_BUCKETS: &[(&str, &[f64])] = &[
    ("qtrade_actor_handle_seconds", telemetry::HANDLE_BUCKETS),
    (
        "qtrade_pipeline_latency_seconds",
        selector::PIPELINE_BUCKETS,
    ),
    ("qtrade_dispatcher_batch_seconds", dispatcher::BATCH_BUCKETS),
    ("qtrade_dispatcher_queue_seconds", dispatcher::BATCH_BUCKETS),
    (
        "qtrade_dispatcher_kernel_seconds",
        dispatcher::BATCH_BUCKETS,
    ),
    (
        "qtrade_dispatcher_transfer_seconds",
        dispatcher::BATCH_BUCKETS,
    ),
    ("qtrade_tick_to_order_seconds", trading::TRADE_BUCKETS),
    ("qtrade_order_ack_seconds", trading::ACK_BUCKETS),
    ("qtrade_order_fill_seconds", trading::FILL_BUCKETS),
    ("qtrade_order_slippage_bps", trading::SLIPPAGE_BUCKETS),
    (
        "qtrade_dispatcher_batch_jobs",
        &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0],
    ),
];

/// Runs the node until SIGINT or SIGTERM; prints `listening on http://ADDR`
/// on stdout once the endpoints are up.
///
/// # Errors
/// Start-up failures: the store, the listen address, the metrics recorder.
pub fn run(cfg: NodeConfig) -> anyhow::Result<()> {
    let mut prom = PrometheusBuilder::new();
    for &(name, buckets) in HISTOGRAM_BUCKETS {
        prom = prom
            .set_buckets_for_metric(Matcher::Full(name.into()), buckets)
            .context("bad histogram buckets")?;
    }
    let prom = prom
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    telemetry::describe_metrics();
    let setting = cfg
        .backend_setting()
        .map_err(anyhow::Error::msg)
        .context("invalid config")?;
    let chosen = crate::gpu::backend_choice::choose(setting).with_context(|| {
        format!(
            "indicators.backend = {:?} needs a usable CUDA GPU",
            cfg.indicators.backend
        )
    })?;
    chosen.announce();
    // The dispatcher's thread takes the backend; a restarted dispatcher
    // (the factory called again) gets the CPU.
    let backend = std::sync::Mutex::new(Some(chosen.backend));
    let listener = std::net::TcpListener::bind(cfg.node.listen)
        .with_context(|| format!("cannot listen on {}", cfg.node.listen))?;
    listener
        .set_nonblocking(true)
        .context("cannot set the listener non-blocking")?;
    let local = listener.local_addr().context("no local address")?;
    let registry = Arc::new(Registry::default());
    let cap = cfg.node.mailbox_capacity;
    let store_stat = registry.register("event-store".into(), "EventStore", None, cap);
    let store = EventStore::open(&cfg.node.data_dir, Arc::clone(&store_stat))?;
    registry.set_dead_letters(store.dead_letters());
    let (events_tree, dead_letters_tree) = (store.events_tree(), store.dead_letters_tree());
    let journal = store.journal()?;
    let node_url = cfg.node.data_dir.join(store::NODE_URL_FILE);
    let manager: state::SharedManager = Arc::new(std::sync::Mutex::new(
        quantumtrade::node::state_manager::StateManager::new(
            cfg.state.history,
            serde_json::to_value(&cfg).context("config is not serializable")?,
        ),
    ));
    let admin_token: Option<Arc<str>> = cfg.admin_token().map(Into::into);
    symbol::arm_fault_hook_from_env();

    let sys = actix::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    });
    sys.block_on(async move {
        let state = state::SharedState::default();
        let store = Tracked {
            addr: Supervisor::start(move |ctx: &mut actix::Context<_>| {
                ctx.set_mailbox_capacity(cap);
                store
            }),
            stat: store_stat,
        };
        let mut ids = EventIds::new(telemetry::unique_run_id());
        store.send(Append(ids.event(
            SystemEvent::NodeStarted {
                version: env!("CARGO_PKG_VERSION").into(),
                venue: "synthetic".into(),
            },
            now_ms(),
            None,
            None,
        )));
        let every = Duration::from_millis(cfg.step_ms()) * cfg.universe.rescreen_minutes;
        let market = hub::source_of(&cfg.market);
        let Pipeline {
            hub: hub_handle,
            universe,
            risk,
            board,
            gauges,
            arbiters,
        } = start_pipeline(PipelineParts {
            cfg: cfg.clone(),
            registry: Arc::clone(&registry),
            store: store.clone(),
            journal,
            state: Arc::clone(&state),
            market,
            backend,
            battery_checks: true,
            rescreen: Some(every),
        })
        .await?;

        for kind in telemetry::ERROR_KINDS {
            metrics::counter!("qtrade_errors_total", "kind" => kind).absolute(0);
        }
        let alert_stat = registry.register("alerts".into(), "AlertActor", None, cap);
        let (acfg, areg, asto, ast) = (
            cfg.alerts,
            Arc::clone(&registry),
            store.clone(),
            Arc::clone(&alert_stat),
        );
        let _alerts = Supervisor::start(move |_| alert::AlertActor::new(acfg, areg, asto, gauges, ast));
        // A state snapshot each re-screen period.
        let (snap_state, snap_manager, snap_registry) =
            (Arc::clone(&state), Arc::clone(&manager), Arc::clone(&registry));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                state::take_snapshot(&snap_state, &snap_manager, &snap_registry, now_ms());
            }
        });
        let app = http::router(http::AppState {
            registry: Arc::clone(&registry),
            state,
            board,
            prom: prom.clone(),
            events: events_tree,
            dead_letters: dead_letters_tree,
            manager,
            admin_token,
            risk,
        });
        let listener = tokio::net::TcpListener::from_std(listener).context("cannot adopt the listener")?;
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("qtrade: error: http server: {e}");
            }
        });
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                prom.run_upkeep();
            }
        });
        // `qtrade events` reads the store through this node while it runs.
        if let Err(e) = std::fs::write(&node_url, format!("http://{local}\n")) {
            eprintln!("qtrade: cannot write {}: {e}", node_url.display());
        }
        let shutdown = shutdown_signal();
        println!("listening on http://{local}");
        eprintln!(
            "qtrade: node running on the {} market; endpoints /healthz /metrics /actors /state",
            venue_name(cfg.market.venue)
        );

        let reason = shutdown.await;
        // Stop the source, let every mailbox empty, then flush.
        hub_handle.send(hub::StopMarket);
        let waited = std::time::Instant::now();
        let left = loop {
            let depth = registry.total_depth();
            if depth == 0 || waited.elapsed() > DRAIN_TIMEOUT {
                break depth;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        eprintln!(
            "qtrade: {reason}: market stopped, mailboxes drained in {} ms ({left} messages left); flushing the event store",
            waited.elapsed().as_millis()
        );
        store.send(Append(ids.event(
            SystemEvent::NodeStopping { reason: reason.into() },
            now_ms(),
            None,
            None,
        )));
        drop(universe);
        for a in &arbiters {
            a.stop();
        }
        match store.ask(Flush).await {
            Ok(Ok(seq)) => eprintln!("qtrade: event store flushed ({seq} events)"),
            Ok(Err(e)) => eprintln!("qtrade: error: flush failed: {e}"),
            Err(e) => eprintln!("qtrade: error: event store gone: {e}"),
        }
        let _ = std::fs::remove_file(&node_url);
        anyhow::Ok(())
    })
}

/// What differs between the node's runs (`qtrade run`, a backtest) in the
/// actors [`start_pipeline`] starts.
struct PipelineParts {
    cfg: NodeConfig,
    registry: Arc<Registry>,
    store: Tracked<EventStore>,
    journal: journal::Journal,
    state: state::SharedState,
    /// Where the hub's minutes come from.
    market: hub::HubSource,
    /// The dispatcher's backend, taken by its first start (a restarted
    /// dispatcher, the factory called again, gets the CPU).
    backend: std::sync::Mutex<Option<Box<dyn BatteryBackend>>>,
    /// Whether symbol actors send their closed windows to the batched
    /// battery (which checks the streaming rows and decides nothing).
    battery_checks: bool,
    /// The universe's re-screen period on the wall clock (none: the feed
    /// sends the screens).
    rescreen: Option<Duration>,
}

/// The running pipeline, as its caller needs it.
struct Pipeline {
    hub: Tracked<MarketDataHub>,
    universe: Tracked<UniverseActor>,
    /// The risk actor when trading is enabled (the kill switch's address).
    risk: Option<Tracked<risk::RiskActor>>,
    board: board::SharedBoard,
    gauges: Arc<trading::TradingGauges>,
    /// The symbol actors' threads (stopped at the end).
    arbiters: Vec<actix::Arbiter>,
}

/// Starts the actors every run of the node has, wired to each other: the
/// selector, the market-data hub over `market`, the battery (dispatcher and
/// indicator actor), the trading actors when `[trading]` is enabled and
/// the universe with its symbol actors. One wiring for `qtrade run` and
/// `qtrade backtest`, so a backtest runs the node that trades.
async fn start_pipeline(p: PipelineParts) -> anyhow::Result<Pipeline> {
    let PipelineParts {
        cfg,
        registry,
        store,
        journal,
        state,
        market,
        backend,
        battery_checks,
        rescreen,
    } = p;
    let cap = cfg.node.mailbox_capacity;
    let sel_stat = registry.register("selector".into(), "SelectorActor", None, cap);
    let (st, sto, ss, top, sc) = (
        Arc::clone(&state),
        store,
        Arc::clone(&sel_stat),
        cfg.top,
        cfg.selector.clone(),
    );
    let selector = Tracked {
        addr: Supervisor::start(move |ctx: &mut actix::Context<_>| {
            ctx.set_mailbox_capacity(cap);
            SelectorActor::new(sc.correlation_window, sc.min_overlap, top, sto, st, ss)
        }),
        stat: sel_stat,
    };
    let history = History::shared(cfg.market.history_minutes);
    // The synthetic market's timer (a venue feed or a replay has none).
    let step = Duration::from_millis(cfg.step_ms());
    let hub_stat = registry.register("market-data-hub".into(), "MarketDataHub", None, cap);
    // Exchange rules: the synthetic instruments' or the replayed files' now;
    // a venue's when its feed has read exchangeInfo.
    let rules = market.rules();
    let marks = market.marks();
    let (h, sel, hs, warm) = (
        Arc::clone(&history),
        selector.clone(),
        Arc::clone(&hub_stat),
        cfg.market.warmup_minutes,
    );
    let readings = hub::ReadingSettings {
        paper_funding_rate: cfg.trading.engine.funding_rate,
        max_spread: cfg.screen.max_spread,
    };
    let hub = Tracked {
        addr: Supervisor::start(move |ctx: &mut actix::Context<_>| {
            ctx.set_mailbox_capacity(cap);
            MarketDataHub::new(market, h, warm, sel, hs, step, readings)
        }),
        stat: hub_stat,
    };
    let disp_stat = registry.register("gpu-dispatcher".into(), "GpuDispatcher", None, cap);
    let ds = Arc::clone(&disp_stat);
    let dispatcher = Tracked {
        addr: actix::SyncArbiter::start(1, move || {
            let b = backend.lock().ok().and_then(|mut b| b.take());
            GpuDispatcher::new(b.unwrap_or_else(|| Box::new(CpuBackend)), Arc::clone(&ds))
        }),
        stat: disp_stat,
    };
    let ind_stat = registry.register("indicators".into(), "IndicatorActor", None, cap);
    let (is, batch_every, max_batch) = (
        Arc::clone(&ind_stat),
        Duration::from_millis(cfg.indicators.batch_ms),
        cfg.indicators.max_batch,
    );
    let indicators = Tracked {
        addr: Supervisor::start(move |ctx: &mut actix::Context<_>| {
            ctx.set_mailbox_capacity(cap);
            IndicatorActor::new(dispatcher, batch_every, max_batch, is)
        }),
        stat: ind_stat,
    };
    let board = Arc::new(board::Board::default());
    let gauges = Arc::new(trading::TradingGauges::default());
    let risk = if cfg.trading.enabled {
        let t = TradingParts {
            cfg: cfg.trading.clone(),
            journal,
            history: Arc::clone(&history),
            board: Arc::clone(&board),
            rules,
            marks,
            state,
            selector: selector.clone(),
            registry: Arc::clone(&registry),
            capacity: cap,
            gauges: Arc::clone(&gauges),
        };
        Some(
            start_trading(t)
                .await
                .context("cannot start the trading actors")?,
        )
    } else {
        None
    };
    let deps = SymbolDeps {
        cfg: cfg.symbol,
        breakout: cfg.breakout.clone(),
        history,
        selector,
        indicators,
        battery_checks,
        board: Arc::clone(&board),
        backoff: cfg.supervision,
        capacity: cap,
    };
    let threads = match cfg.indicators.symbol_threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        n => n,
    };
    let arbiters: Vec<actix::Arbiter> = (0..threads).map(|_| actix::Arbiter::new()).collect();
    let handles = arbiters.iter().map(actix::Arbiter::handle).collect();
    let uni_stat = registry.register("universe".into(), "UniverseActor", None, cap);
    let (reg, us, screen, uhub) = (
        Arc::clone(&registry),
        Arc::clone(&uni_stat),
        cfg.screen,
        hub.clone(),
    );
    let universe = Tracked {
        addr: Supervisor::start(move |_| {
            UniverseActor::new(screen, deps, rescreen, uhub, reg, handles, us)
        }),
        stat: uni_stat,
    };
    Ok(Pipeline {
        hub,
        universe,
        risk,
        board,
        gauges,
        arbiters,
    })
}

/// What the trading actors are built from.
struct TradingParts {
    cfg: config::TradingSection,
    journal: journal::Journal,
    history: hub::SharedHistory,
    board: board::SharedBoard,
    rules: trading::SharedRules,
    marks: trading::SharedMarks,
    state: state::SharedState,
    selector: Tracked<SelectorActor>,
    registry: Arc<Registry>,
    capacity: usize,
    gauges: Arc<trading::TradingGauges>,
}

/// Starts the executor, risk, signal and position actors (each supervised
/// and restored from the journal), connects them to each other and to the
/// selector; returns the risk actor (the kill switch's address).
async fn start_trading(t: TradingParts) -> anyhow::Result<Tracked<risk::RiskActor>> {
    let ids: trading::SharedIds = Arc::new(std::sync::Mutex::new(EventIds::new(
        telemetry::unique_run_id(),
    )));
    let reg =
        |name: &str, kind: &'static str| t.registry.register(name.into(), kind, None, t.capacity);
    let engine = &t.cfg.engine;
    // Built here so that a bad snapshot stops the start with its reason;
    // restarts after a panic reload the journal in `restarting`.
    let mut executor = executor::ExecutorActor::new(
        engine.fill_model(),
        t.journal.clone(),
        Arc::clone(&t.history),
        Arc::clone(&t.rules),
        Arc::clone(&t.state),
        Arc::clone(&ids),
        Arc::clone(&t.gauges),
        reg("executor", "ExecutorActor"),
    )?;
    let mut book_positions = position::stored_positions(&t.journal)?;
    // The live venue is asked what it holds; each difference is named.
    let mut live_differences = Vec::new();
    if t.cfg.venue == "binance" {
        let stored = executor::ExecutorActor::stored_live_orders(&t.journal)?;
        let mut live = executor::LiveVenue::connect(
            executor::LiveSettings {
                rest_url: t.cfg.rest_url.clone(),
                credentials_file: t.cfg.credentials_file.clone(),
                fee_rate: engine.fee_rate,
                rules: Arc::clone(&t.rules),
            },
            stored,
        )
        .await?;
        let (recovered, diffs) = live.reconcile(&book_positions).await;
        // What the position actor holds once these fills reach it.
        book_positions =
            quantumtrade::trading::live_orders::positions_after(&book_positions, &recovered);
        executor = executor.with_live(live);
        executor.commit_recovered(recovered)?;
        live_differences = diffs;
    }
    let venue_positions = executor.venue_positions();
    let executor = supervised(executor, executor::ExecutorActor::stat, t.capacity);
    let mut risk = risk::RiskActor::new(
        engine.risk_desk(),
        t.cfg.cash,
        risk::RiskInputs {
            history: Arc::clone(&t.history),
            board: Arc::clone(&t.board),
            rules: Arc::clone(&t.rules),
            returns_window: t.cfg.returns_window,
            gauges: Arc::clone(&t.gauges),
        },
        t.journal.clone(),
        Arc::clone(&t.state),
        Arc::clone(&ids),
        executor.clone(),
        reg("risk", "RiskActor"),
    )?;
    // Reconcile before trading: the book must hold what the venue holds.
    // A kill between the venue's commit and the book's can leave them
    // apart; then nothing is entered until an operator has looked.
    if !live_differences.is_empty() {
        let why = format!("reconciliation: {}", live_differences.join("; "));
        eprintln!("qtrade: error: {why}; entries halted until POST /resume");
        risk.halt_at_start(&why);
    } else if !same_positions(&venue_positions, &book_positions) {
        let why = format!(
            "reconciliation: venue holds {venue_positions:?}, book holds {book_positions:?}"
        );
        eprintln!("qtrade: error: {why}; entries halted until POST /resume");
        risk.halt_at_start(&why);
    }
    let risk = supervised(risk, risk::RiskActor::stat, t.capacity);
    let signal = signal::SignalActor::new(
        engine.signal_desk(),
        Arc::clone(&t.history),
        t.cfg.returns_window,
        t.journal.clone(),
        Arc::clone(&ids),
        risk.clone(),
        reg("signal", "SignalActor"),
    )?;
    let signal = supervised(signal, signal::SignalActor::stat, t.capacity);
    let position = position::PositionActor::new(
        t.cfg.cash,
        engine.management.clone(),
        engine.funding_rate,
        t.journal,
        t.board,
        Arc::clone(&t.state),
        ids,
        position::PositionLinks {
            executor: executor.clone(),
            risk: risk.clone(),
            signal: signal.clone(),
            selector: t.selector.clone(),
            marks: t.marks,
        },
        reg("positions", "PositionActor"),
    )?;
    let position = supervised(position, position::PositionActor::stat, t.capacity);
    executor.send(executor::ConnectPosition(position.clone()));
    risk.send(risk::ConnectPositions(position));
    t.selector.send(selector::ConnectTrading(signal, executor));
    Ok(risk)
}

/// Whether two signed position maps agree (quantities to 1e-9 relative).
fn same_positions(
    a: &BTreeMap<quantumtrade::market::Symbol, f64>,
    b: &BTreeMap<quantumtrade::market::Symbol, f64>,
) -> bool {
    a.len() == b.len()
        && a.iter().all(|(s, q)| {
            b.get(s)
                .is_some_and(|r| (q - r).abs() <= 1e-9 * q.abs().max(r.abs()).max(1.0))
        })
}

/// Starts `actor` under a supervisor with a bounded mailbox, tracked.
fn supervised<A>(actor: A, stat: fn(&A) -> Arc<telemetry::ActorStat>, capacity: usize) -> Tracked<A>
where
    A: actix::Actor<Context = actix::Context<A>> + actix::Supervised,
{
    let s = stat(&actor);
    Tracked {
        addr: Supervisor::start(move |ctx: &mut actix::Context<A>| {
            ctx.set_mailbox_capacity(capacity);
            actor
        }),
        stat: s,
    }
}

/// Longest wait for the mailboxes to empty on shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Registers the SIGINT and SIGTERM handlers now (so that a signal that
/// comes right after `listening on` is caught) and returns a future that
/// waits for either; it yields which.
fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => tokio::select! {
                    _ = int.recv() => "SIGINT",
                    _ = term.recv() => "SIGTERM",
                },
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                    "SIGINT"
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// How the start-up line names the market.
const fn venue_name(v: config::Venue) -> &'static str {
    match v {
        config::Venue::Synthetic => "synthetic",
        config::Venue::Binance => "binance venue's",
    }
}

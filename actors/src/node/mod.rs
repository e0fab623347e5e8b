//! The node: actix actors, each a thin shell around the pure logic in
//! `quantumtrade::node` and `quantumtrade::selection`, supervised, counted,
//! and served over HTTP.
//!
//! - [`config`]: the typed configuration.
//! - [`telemetry`]: per-actor statistics and metrics.
//! - [`hub`]: MarketDataHub (synthetic market, history, routing).
//! - [`universe`]: UniverseActor (screening, symbol actor lifecycle).
//! - [`symbol`]: SymbolActor (per-symbol analysis).
//! - [`indicator`] and [`dispatcher`]: IndicatorActor (batches battery
//!   jobs) and GpuDispatcher (runs them on the compute backend).
//! - [`board`]: what each symbol last computed, for `/symbols`.
//! - [`selector`]: SelectorActor (correlation, top five).
//! - [`store`]: EventStore (sled, bincode, sequence keys).
//! - [`state`] and [`http`]: `/state` and the endpoints.

pub mod board;
pub mod config;
pub mod dispatcher;
pub mod http;
pub mod hub;
pub mod indicator;
pub mod selector;
pub mod state;
pub mod store;
pub mod symbol;
pub mod telemetry;
pub mod universe;

use actix::Supervisor;
use anyhow::Context as _;
use config::NodeConfig;
use dispatcher::GpuDispatcher;
use hub::{History, MarketDataHub};
use indicator::IndicatorActor;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use quantumtrade::events::{EventIds, SystemEvent};
use quantumtrade::market::synthetic::{SyntheticConfig, SyntheticMarket};
use quantumtrade::node::battery_batch::CpuBackend;
use selector::SelectorActor;
use std::sync::Arc;
use std::time::Duration;
use store::{Append, EventStore, Flush};
use symbol::SymbolDeps;
use telemetry::{Registry, Tracked, now_ms};
use universe::UniverseActor;

/// Runs the node until SIGINT or SIGTERM; prints `listening on http://ADDR`
/// on stdout once the endpoints are up.
///
/// # Errors
/// Start-up failures: the store, the listen address, the metrics recorder.
pub fn run(cfg: NodeConfig) -> anyhow::Result<()> {
    let prom = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("qtrade_actor_handle_seconds".into()),
            telemetry::HANDLE_BUCKETS,
        )
        .context("bad histogram buckets")?
        .set_buckets_for_metric(
            Matcher::Full("qtrade_pipeline_latency_seconds".into()),
            selector::PIPELINE_BUCKETS,
        )
        .context("bad histogram buckets")?
        .set_buckets_for_metric(
            Matcher::Full("qtrade_dispatcher_batch_seconds".into()),
            dispatcher::BATCH_BUCKETS,
        )
        .context("bad histogram buckets")?
        .set_buckets_for_metric(
            Matcher::Full("qtrade_dispatcher_batch_jobs".into()),
            &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0],
        )
        .context("bad histogram buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
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
            addr: Supervisor::start(move |_| store),
            stat: store_stat,
        };
        let mut ids = EventIds::new(now_ms());
        store.send(Append(ids.event(
            SystemEvent::NodeStarted {
                version: env!("CARGO_PKG_VERSION").into(),
                venue: "synthetic".into(),
            },
            now_ms(),
            None,
            None,
        )));
        let sel_stat = registry.register("selector".into(), "SelectorActor", None, cap);
        let (st, sto, ss, top, sc) = (
            Arc::clone(&state),
            store.clone(),
            Arc::clone(&sel_stat),
            cfg.top,
            cfg.selector.clone(),
        );
        let selector = Tracked {
            addr: Supervisor::start(move |_| {
                SelectorActor::new(sc.correlation_window, sc.min_overlap, top, sto, st, ss)
            }),
            stat: sel_stat,
        };
        let history = History::shared(cfg.market.history_minutes);
        let step = Duration::from_millis(cfg.step_ms());
        let hub_stat = registry.register("market-data-hub".into(), "MarketDataHub", None, cap);
        let market = SyntheticMarket::new(SyntheticConfig {
            seed: cfg.market.seed,
            symbols: cfg.market.symbols,
            sectors: cfg.market.sectors,
            trades_per_minute: cfg.market.trades_per_minute,
            ..SyntheticConfig::default()
        });
        let (h, sel, hs, warm) = (
            Arc::clone(&history),
            selector.clone(),
            Arc::clone(&hub_stat),
            cfg.market.warmup_minutes,
        );
        let hub = Tracked {
            addr: Supervisor::start(move |_| MarketDataHub::new(market, h, warm, sel, hs, step)),
            stat: hub_stat,
        };
        let hub_handle = hub.clone();
        let disp_stat = registry.register("gpu-dispatcher".into(), "GpuDispatcher", None, cap);
        let ds = Arc::clone(&disp_stat);
        let dispatcher = Tracked {
            addr: actix::SyncArbiter::start(1, move || {
                GpuDispatcher::new(Box::new(CpuBackend), Arc::clone(&ds))
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
            addr: Supervisor::start(move |_| {
                IndicatorActor::new(dispatcher, batch_every, max_batch, is)
            }),
            stat: ind_stat,
        };
        let board = Arc::new(board::Board::default());
        let deps = SymbolDeps {
            cfg: cfg.symbol,
            breakout: cfg.breakout.clone(),
            history,
            selector,
            indicators,
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
        let every = step * cfg.universe.rescreen_minutes;
        let (reg, us, screen) = (Arc::clone(&registry), Arc::clone(&uni_stat), cfg.screen);
        let universe = Supervisor::start(move |_| {
            UniverseActor::new(screen, deps, every, hub, reg, handles, us)
        });

        let app = http::router(http::AppState {
            registry: Arc::clone(&registry),
            state,
            board,
            prom: prom.clone(),
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
        println!("listening on http://{local}");
        eprintln!("qtrade: node running on the synthetic market; endpoints /healthz /metrics /actors /state");

        let reason = shutdown_signal().await;
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
        anyhow::Ok(())
    })
}

/// Longest wait for the mailboxes to empty on shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Waits for SIGINT or SIGTERM; returns which.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

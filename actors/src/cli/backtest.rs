//! `qtrade backtest`: replays kline files through a strategy on a
//! simulated clock and writes DIR/report.json and DIR/report.html.
//!
//! `--strategy ema_cross` is the reference strategy (rules in
//! `quantumtrade::backtest::ema_cross`); every symbol trades `--qty` on one
//! account that starts with `--cash`. `--strategy node` runs the node's
//! decisions (per-symbol analysis, universe, top five, signals, risk, paper
//! fills) with the knobs of `--config` (default config/default.toml), the
//! node's own: `--engine actors` (default) runs the node itself on a
//! simulated clock ([`crate::node::backtest`]), `--engine core` the pure
//! cores it wraps (`quantumtrade::backtest::node_replay`), the reference;
//! both report through `quantumtrade::backtest::ledger`. Replayed files
//! carry no exchange rules: each symbol trades
//! under the rules `qtrade sim-exchange --data` lists for the same file
//! (`market::replay::instrument_of`: the tick is the finest decimal of its
//! prices, the step follows the price level, 5 USDT minimum notional), and
//! fills as the simulator fills (`trading::paper_venue`).

use crate::node::backtest::{BacktestInput, BacktestRun};
use crate::node::config::NodeConfig;
use anyhow::{Context, bail};
use quantumtrade::backtest::ema_cross::{EmaCrossConfig, EmaCrossResult, run as run_ema};
use quantumtrade::backtest::ledger::Ledger;
use quantumtrade::backtest::node_replay::{ReplayConfig, replay};
use quantumtrade::backtest::report::{Report, SymbolRun, ema_cross_report};
use quantumtrade::events::summary::utc_ms;
use quantumtrade::events::{Payload, TradeEvent};
use quantumtrade::exchange::sim::config::SimConfig;
use quantumtrade::market::Candle;
use quantumtrade::market::Symbol;
use quantumtrade::market::aggregate::detect_interval;
use quantumtrade::market::instrument::{ContractStatus, Instrument};
use quantumtrade::market::kline_csv::{minute_files, read_klines_path};
use quantumtrade::market::replay::instrument_of;
use quantumtrade::trading::paper::rules_of;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Symbols whose trades are drawn on their price in the HTML page.
const PRICE_CHARTS: usize = 4;

/// The strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// The node's decisions: analysis, selection, signals, risk, paper fills.
    Node,
    /// The reference EMA(10)/EMA(30) cross.
    #[value(name = "ema_cross")]
    EmaCross,
}

/// What runs the node strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The real node (its actors) on a simulated clock, in lockstep.
    Actors,
    /// The pure cores the actors wrap, driven one minute at a time: the
    /// reference the actor run is checked against.
    Core,
}

/// Arguments of `qtrade backtest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kline CSV files, or directories whose `*-1m.csv[.gz]` files are taken.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Node config (for `--strategy node`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Strategy.
    #[arg(long, value_enum, default_value_t = Strategy::Node)]
    pub strategy: Strategy,
    /// What runs `--strategy node`: the node's actors, or the pure cores.
    #[arg(long, value_enum, default_value_t = Engine::Actors)]
    pub engine: Engine,
    /// `--engine actors`: also run the batched indicator battery on every
    /// closed 5m/15m/1h window and check it against the streaming values,
    /// as the live node does (it decides nothing, and costs CPU).
    #[arg(long)]
    pub battery_checks: bool,
    /// Quantity per entry (ema_cross).
    #[arg(long, default_value_t = 1.0)]
    pub qty: f64,
    /// Starting cash of the account.
    #[arg(long, default_value_t = 1_000_000.0)]
    pub cash: f64,
    /// First candle (open time at or after): ms since the epoch or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "T", value_parser = super::time_arg::parse_time)]
    pub from: Option<i64>,
    /// Last candle (open time before): ms since the epoch or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "T", value_parser = super::time_arg::parse_time)]
    pub to: Option<i64>,
    /// Spread of the replayed book, basis points (`--strategy node`): the
    /// signals read the book `qtrade sim-exchange --data` serves for the
    /// same files, so this is its `replay_spread_bps` [default: the
    /// simulator's].
    #[arg(long, value_name = "BPS", default_value_t = SimConfig::default().replay_spread_bps)]
    pub replay_spread_bps: f64,
    /// Report directory [default: reports/RUN-ID, the UTC start time and strategy].
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

/// The kline files a path names.
fn files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    minute_files(path).with_context(|| format!("cannot list {}", path.display()))
}

/// The symbol a file holds: its name up to the first `-`, `_` or `.`, in
/// upper case (`BTCUSDT-1m.csv.gz` and `btcusdt_1m.input.csv.gz` both hold
/// BTCUSDT).
fn symbol_of(p: &Path) -> String {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    name.split(['-', '_', '.'])
        .next()
        .unwrap_or(name)
        .to_ascii_uppercase()
}

/// Runs the command.
///
/// # Errors
/// Bad arguments, unreadable or invalid files, no candles, a report that
/// cannot be written.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if !(args.qty > 0.0 && args.cash > 0.0) {
        bail!("--qty and --cash must be positive");
    }
    if !(0.0..=1000.0).contains(&args.replay_spread_bps) {
        bail!("--replay-spread-bps must be in [0, 1000]");
    }
    let mut paths = Vec::new();
    for p in &args.data {
        paths.extend(files(p)?);
    }
    if paths.is_empty() {
        bail!("no kline files in the given --data paths");
    }
    let bar = super::progress::bar(paths.len() as u64, "files", "reading");
    let mut series: Vec<(String, Vec<Candle>)> = Vec::with_capacity(paths.len());
    // The contracts `qtrade sim-exchange` would list for the whole files
    // (the node strategy reads their book), before the time range cuts them.
    let mut listed = BTreeMap::new();
    for p in &paths {
        let mut c = read_klines_path(p)?;
        if args.strategy == Strategy::Node
            && let Ok(sym) = Symbol::new(&symbol_of(p))
        {
            let contract = instrument_of(&sym, &c);
            listed.insert(sym, contract);
        }
        c.retain(|k| {
            args.from.is_none_or(|f| k.open_time >= f) && args.to.is_none_or(|t| k.open_time < t)
        });
        if !c.is_empty() {
            series.push((symbol_of(p), c));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if series.is_empty() {
        bail!("no candles in the given files and time range");
    }
    if args.strategy == Strategy::Node {
        return run_node(args, &series, listed);
    }
    let minutes = detect_interval(&series[0].1).map_or(1, |i| i.millis() / 60_000);
    let cfg = EmaCrossConfig {
        qty: args.qty,
        cash: args.cash,
        ..EmaCrossConfig::default()
    };
    let start = Instant::now();
    let results: Vec<EmaCrossResult> = series.par_iter().map(|(_, c)| run_ema(c, &cfg)).collect();
    let elapsed = start.elapsed().as_secs_f64();
    let runs: Vec<SymbolRun<'_>> = series
        .iter()
        .zip(&results)
        .map(|((s, c), r)| SymbolRun {
            symbol: s.clone(),
            candles: c,
            result: r,
        })
        .collect();
    let report = ema_cross_report(
        &runs,
        cfg.fee_rate,
        args.cash,
        525_600.0 / minutes as f64,
        elapsed,
    );

    let dir = write_report(args, &report, &series)?;
    let m = &report.metrics;
    println!(
        "ema_cross: {} symbols, {} candles in {:.3} s ({:.0} candles/s)",
        report.symbols.len(),
        report.candles,
        report.elapsed_s,
        report.candles_per_second
    );
    println!(
        "final equity {:.2} (return {:+.4}%), {} closed trades, win rate {:.3}, profit factor {:.3}, max drawdown {:.4}%, Sharpe {:.3}, fees {:.2}",
        m.final_equity,
        m.total_return * 100.0,
        m.trades,
        m.win_rate,
        m.profit_factor,
        m.max_drawdown * 100.0,
        m.sharpe,
        m.fees
    );
    println!("report: {}", dir.display());
    Ok(())
}

/// Writes report.json and report.html; returns the directory.
fn write_report(
    args: &Args,
    report: &Report,
    series: &[(String, Vec<Candle>)],
) -> anyhow::Result<PathBuf> {
    let dir = args.report.clone().unwrap_or_else(|| {
        let id = utc_ms(crate::node::telemetry::now_ms())
            .replace(['-', ':'], "")
            .replace('.', "");
        PathBuf::from("reports").join(format!("{id}-{}", report.strategy))
    });
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = serde_json::to_string(report).context("cannot encode the report")?;
    std::fs::write(dir.join("report.json"), json)
        .with_context(|| format!("cannot write {}", dir.join("report.json").display()))?;
    let mut by_trades: Vec<&(String, Vec<Candle>)> = series.iter().collect();
    by_trades.sort_by_key(|(s, _)| {
        std::cmp::Reverse(report.trades.iter().filter(|t| &t.symbol == s).count())
    });
    let prices: Vec<(String, &[Candle])> = by_trades
        .iter()
        .take(PRICE_CHARTS)
        .map(|(s, c)| (s.clone(), c.as_slice()))
        .collect();
    let html = crate::report::render(report, &prices)?;
    std::fs::write(dir.join("report.html"), html)
        .with_context(|| format!("cannot write {}", dir.join("report.html").display()))?;
    Ok(dir)
}

/// `--strategy node`.
fn run_node(
    args: &Args,
    series: &[(String, Vec<Candle>)],
    listed: BTreeMap<Symbol, Instrument>,
) -> anyhow::Result<()> {
    let cfg = match &args.config {
        Some(p) => NodeConfig::load(p)?,
        None if Path::new("config/default.toml").exists() => {
            NodeConfig::load(Path::new("config/default.toml"))?
        }
        None => NodeConfig::default(),
    };
    let mut symbols = Vec::with_capacity(series.len());
    let mut rules = BTreeMap::new();
    for (name, candles) in series {
        let sym = Symbol::new(name).with_context(|| format!("file symbol {name:?}"))?;
        // The rules the simulator lists for the same (whole) files, so a
        // node trading it and this backtest round orders and fills alike.
        let instrument = Instrument {
            status: ContractStatus::Trading,
            ..listed
                .get(&sym)
                .cloned()
                .unwrap_or_else(|| instrument_of(&sym, candles))
        };
        rules.insert(
            sym.clone(),
            rules_of(&instrument).context("instrument rules")?,
        );
        symbols.push((sym, candles.clone()));
    }
    let replay_cfg = ReplayConfig {
        symbol: cfg.symbol,
        breakout: cfg.breakout.clone(),
        top: cfg.top,
        correlation_window: cfg.selector.correlation_window,
        min_overlap: cfg.selector.min_overlap,
        paper: cfg.trading.engine.clone(),
        returns_window: cfg.trading.returns_window,
        cash: args.cash,
        // The node trades after its warm-up; so does its backtest.
        warmup_minutes: cfg.market.warmup_minutes,
        replay_spread: args.replay_spread_bps / 10_000.0,
        max_spread: cfg.screen.max_spread,
    };
    let total: u64 = series.iter().map(|(_, c)| c.len() as u64).sum();
    let bar = super::progress::bar(total, "candles", "replaying");
    let start = Instant::now();
    let report = match args.engine {
        Engine::Core => {
            let (r, last) = replay(&symbols, listed, replay_cfg, rules, |n| bar.inc(n));
            let elapsed = start.elapsed().as_secs_f64();
            r.report(&last, total, elapsed)
        }
        Engine::Actors => {
            let progress = bar.clone();
            let input = BacktestInput {
                series: symbols,
                listed,
                rules,
                spread: replay_cfg.replay_spread,
                cash: args.cash,
                progress: Arc::new(move |n| progress.inc(n)),
                battery_checks: args.battery_checks,
            };
            let store = StoreDir::new()?;
            let run = crate::node::backtest::run(&cfg, input, &store.0)?;
            let elapsed = start.elapsed().as_secs_f64();
            actor_report(&run, series, elapsed)
        }
    };
    bar.finish_and_clear();
    let dir = write_report(args, &report, series)?;
    let m = &report.metrics;
    println!(
        "node ({}): {} symbols, {} candles in {:.3} s ({:.0} candles/s)",
        match args.engine {
            Engine::Actors => "actors",
            Engine::Core => "core",
        },
        report.symbols.len(),
        report.candles,
        report.elapsed_s,
        report.candles_per_second
    );
    println!(
        "final equity {:.2} (return {:+.4}%), {} trades ({} closed), max drawdown {:.4}%, fees {:.2}",
        m.final_equity,
        m.total_return * 100.0,
        report.trades.len(),
        m.trades,
        m.max_drawdown * 100.0,
        m.fees
    );
    println!("report: {}", dir.display());
    Ok(())
}

/// The report of an actor run, built as the core replay builds its own
/// ([`Ledger`]): each live minute's trading events from the node's store
/// (stamped with the minute they were decided or booked on), then its
/// equity from the node's state; open positions from the position actor's
/// last book.
fn actor_report(run: &BacktestRun, series: &[(String, Vec<Candle>)], elapsed: f64) -> Report {
    let mut by_minute: BTreeMap<i64, Vec<&TradeEvent>> = BTreeMap::new();
    for e in &run.events {
        if let Payload::Trade(t) = &e.payload {
            by_minute.entry(e.meta.venue_ts).or_default().push(t);
        }
    }
    let mut ledger = Ledger::new();
    for &(t, equity, in_market) in &run.end.equity {
        if let Some(events) = by_minute.get(&t) {
            ledger.on_events(t, events.iter().copied());
        }
        ledger.close_minute(t, equity, in_market);
    }
    // In symbol order, as the core lists its analysers.
    let mut symbols: Vec<String> = series.iter().map(|(s, _)| s.clone()).collect();
    symbols.sort();
    ledger.report(&run.book, &run.end.last, symbols, run.end.candles, elapsed)
}

/// A scratch directory for the actor run's event store, removed on drop.
struct StoreDir(PathBuf);

impl StoreDir {
    fn new() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p =
            std::env::temp_dir().join(format!("qtrade-backtest-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).with_context(|| format!("cannot create {}", p.display()))?;
        Ok(Self(p))
    }
}

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

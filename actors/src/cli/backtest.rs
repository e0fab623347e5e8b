//! `qtrade backtest`: replays kline files through a strategy on a
//! simulated clock and writes DIR/report.json and DIR/report.html.
//!
//! `--strategy ema_cross` is the reference strategy (rules in
//! `quantumtrade::backtest::ema_cross`); every symbol trades `--qty` on one
//! account that starts with `--cash`. `--strategy node` (the full pipeline)
//! needs the trading actors, which are not built yet: it is refused with a
//! message rather than run as something else.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quantumtrade::backtest::ema_cross::{EmaCrossConfig, EmaCrossResult, run as run_ema};
use quantumtrade::backtest::report::{SymbolRun, ema_cross_report};
use quantumtrade::events::summary::utc_ms;
use quantumtrade::market::Candle;
use quantumtrade::market::aggregate::detect_interval;
use quantumtrade::market::kline_csv::read_klines_path;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Symbols whose trades are drawn on their price in the HTML page.
const PRICE_CHARTS: usize = 4;

/// The strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// The full node pipeline (not built yet).
    Node,
    /// The reference EMA(10)/EMA(30) cross.
    #[value(name = "ema_cross")]
    EmaCross,
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
    /// Quantity per entry (ema_cross).
    #[arg(long, default_value_t = 1.0)]
    pub qty: f64,
    /// Starting cash of the account.
    #[arg(long, default_value_t = 1_000_000.0)]
    pub cash: f64,
    /// First candle (open time at or after): ms since the epoch or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "T", value_parser = parse_time)]
    pub from: Option<i64>,
    /// Last candle (open time before): ms since the epoch or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "T", value_parser = parse_time)]
    pub to: Option<i64>,
    /// Report directory [default: reports/RUN-ID, the UTC start time and strategy].
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

/// Milliseconds, or a UTC date `YYYY-MM-DD` at midnight.
fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let bad = || format!("{s:?} is neither milliseconds nor YYYY-MM-DD");
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from civil (H. Hinnant), the inverse of utc_ms's date part.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days * 86_400_000)
}

/// The kline files a path names.
fn files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("-1m.csv") || n.ends_with("-1m.csv.gz"))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The symbol a file holds: its name up to the first `-` or `.`.
fn symbol_of(p: &Path) -> String {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    name.split(['-', '.']).next().unwrap_or(name).to_owned()
}

/// Runs the command.
///
/// # Errors
/// Bad arguments, unreadable or invalid files, no candles, a report that
/// cannot be written.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.strategy == Strategy::Node {
        bail!(
            "--strategy node needs the trading pipeline (signals, risk, execution), which is not built yet; use --strategy ema_cross"
        );
    }
    if !(args.qty > 0.0 && args.cash > 0.0) {
        bail!("--qty and --cash must be positive");
    }
    let mut paths = Vec::new();
    for p in &args.data {
        paths.extend(files(p)?);
    }
    if paths.is_empty() {
        bail!("no kline files in the given --data paths");
    }
    let bar = ProgressBar::new(paths.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("reading");
    let mut series: Vec<(String, Vec<Candle>)> = Vec::with_capacity(paths.len());
    for p in &paths {
        let mut c = read_klines_path(p)?;
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
    let report = ema_cross_report(&runs, args.cash, 525_600.0 / minutes as f64, elapsed);

    let dir = args.report.clone().unwrap_or_else(|| {
        let id = utc_ms(crate::node::telemetry::now_ms())
            .replace(['-', ':'], "")
            .replace(".", "");
        PathBuf::from("reports").join(format!("{id}-ema_cross"))
    });
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = serde_json::to_string(&report).context("cannot encode the report")?;
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
    let html = crate::report::render(&report, &prices)?;
    std::fs::write(dir.join("report.html"), html)
        .with_context(|| format!("cannot write {}", dir.join("report.html").display()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_milliseconds() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("2021-05-19"), Ok(1_621_382_400_000));
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(
            utc_ms(parse_time("2024-02-29").unwrap()),
            "2024-02-29T00:00:00.000Z"
        );
        assert!(parse_time("2021-13-01").is_err());
        assert!(parse_time("yesterday").is_err());
    }
}

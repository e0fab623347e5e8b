//! `qtrade fetch`: historical klines from the Binance REST API (or the
//! simulator) into Binance-layout CSV files, one per symbol
//! (`<OUT>/<SYMBOL>-<interval>.csv`).
//!
//! Steps per symbol:
//! 1. If the file exists, cut a last line left incomplete by a killed run,
//!    read its last open time and continue one interval after it; a new
//!    file starts with the header.
//! 2. Page through `GET /fapi/v1/klines` (`startTime` = next open time,
//!    `endTime` = end − 1 ms), every request through the client's rate
//!    limiter, appending only closed bars in `[start, end)` that follow the
//!    last one written, so no bar is written twice.
//! 3. Flush after every page, so a killed run loses at most that page.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use indicatif::ProgressBar;
use quantumtrade::exchange::binance::stream_name::KlineInterval;
use quantumtrade::market::kline_csv::{read_klines_from, write_klines};
use quantumtrade::market::{Candle, Interval};
use quantumtrade_actors::venue::binance::{REST_BASE, RestClient};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `qtrade fetch`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Symbols, comma separated (e.g. BTCUSDT,ETHUSDT).
    #[arg(long, value_delimiter = ',', required = true)]
    pub symbols: Vec<String>,
    /// Kline interval (1m, 5m, 15m, 1h, ...).
    #[arg(long, default_value = "1m")]
    pub interval: Interval,
    /// First open time: a UTC date (YYYY-MM-DD) or epoch milliseconds.
    #[arg(long, value_parser = super::time_arg::parse_time)]
    pub start: i64,
    /// End, exclusive: a UTC date (YYYY-MM-DD) or epoch milliseconds.
    #[arg(long, value_parser = super::time_arg::parse_time)]
    pub end: i64,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// REST base URL (for the simulator: `http://127.0.0.1:PORT`).
    #[arg(long, default_value = REST_BASE)]
    pub base_url: String,
    /// Klines per request (1..=1500; 1000 costs weight 5, 1500 weight 10).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1500))]
    pub page: u32,
}

/// Step 1: cuts an incomplete last line and returns the last open time
/// in the file, `None` for a missing or empty file.
fn resume_point(path: &Path) -> anyhow::Result<Option<i64>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot repair {}", path.display()))?;
        f.set_len(complete as u64)
            .with_context(|| format!("cannot repair {}", path.display()))?;
    }
    let candles = read_klines_from(&bytes[..complete], &path.display().to_string())
        .with_context(|| format!("cannot resume {}", path.display()))?;
    Ok(candles.last().map(|c| c.open_time))
}

/// Appends `candles` to `path` (header first when the file is empty).
fn append(path: &Path, candles: &[Candle], interval: Interval) -> anyhow::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let empty = f.metadata().map(|m| m.len() == 0).unwrap_or(true);
    let mut buf = Vec::new();
    write_klines(&mut buf, candles, interval)?;
    let body = if empty {
        &buf[..]
    } else {
        let header_end = buf.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        &buf[header_end..]
    };
    f.write_all(body)
        .and_then(|()| f.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Fetches one symbol (steps 1–3); returns the bars written.
async fn fetch_symbol(
    rest: &RestClient,
    symbol: &str,
    args: &Args,
    path: &Path,
    bar: &ProgressBar,
) -> anyhow::Result<u64> {
    let step = args.interval.millis();
    let first = args.interval.bucket_start(args.start + step - 1);
    let mut next = match resume_point(path)? {
        Some(last) => (last + step).max(first),
        None => first,
    };
    bar.inc(u64::try_from((next - first) / step).unwrap_or(0));
    let mut written = 0;
    while next < args.end {
        let rows = rest
            .klines(
                symbol,
                KlineInterval::from(args.interval),
                Some(next),
                Some(args.end - 1),
                args.page,
            )
            .await
            .with_context(|| format!("klines of {symbol} from {next}"))?;
        let now = rest.venue_now_ms();
        let candles: Vec<Candle> = rows
            .iter()
            // A live venue includes the forming bar; it is not history yet.
            .filter(|k| k.open_time >= next && k.open_time < args.end && k.close_time < now)
            .map(quantumtrade::exchange::binance::rest::RestKline::to_candle)
            .collect();
        let Some(last) = candles.last() else {
            break;
        };
        let last = last.open_time;
        append(path, &candles, args.interval)?;
        written += candles.len() as u64;
        bar.inc(u64::try_from((last + step - next) / step).unwrap_or(0));
        next = last + step;
    }
    Ok(written)
}

/// Runs `qtrade fetch`.
///
/// # Errors
/// Bad arguments, an unreachable venue, a venue error, or an unwritable
/// output.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.end <= args.start {
        bail!("--end must be after --start");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        let rest = RestClient::new(&args.base_url, None).context("cannot build the HTTP client")?;
        rest.sync_time()
            .await
            .with_context(|| format!("cannot reach {}", args.base_url))?;
        // Loads the venue's real limits into the limiter.
        rest.exchange_info()
            .await
            .context("cannot read exchangeInfo")?;
        let per_symbol = u64::try_from(
            (args.end
                - args
                    .interval
                    .bucket_start(args.start + args.interval.millis() - 1))
            .div_euclid(args.interval.millis()),
        )
        .unwrap_or(0);
        let bar = super::progress::bar(per_symbol * args.symbols.len() as u64, "bars", "fetching");
        let mut total = 0;
        for s in &args.symbols {
            let symbol = s.trim().to_ascii_uppercase();
            bar.set_message(symbol.clone());
            let path = args.out.join(format!("{symbol}-{}.csv", args.interval));
            total += fetch_symbol(&rest, &symbol, args, &path, &bar).await?;
        }
        bar.finish_and_clear();
        eprintln!(
            "fetched {total} bars of {} symbols into {}",
            args.symbols.len(),
            args.out.display()
        );
        Ok(())
    })
}

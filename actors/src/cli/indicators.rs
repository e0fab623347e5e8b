//! `qtrade indicators`: the indicator battery over a kline CSV file, printed
//! as CSV, exactly as shared/INDICATORS.md specifies.
//!
//! Steps:
//! 1. Read and validate the whole file ([`read_klines_path`], gzip or not);
//!    the first bad row refuses the file.
//! 2. Pick the timeframe: `--timeframe`, else the input's own interval
//!    ([`detect_interval`]); refuse a timeframe shorter than the input's
//!    interval or not a multiple of it ([`check_target`]). A one-candle file
//!    with no `--timeframe` is computed as it is; a longer one whose smallest
//!    gap is no interval needs `--timeframe`.
//! 3. Aggregate to that timeframe ([`aggregate`], UTC buckets).
//! 4. Compute the battery in batch ([`compute`]); with `--device gpu`, the
//!    kernel's columns on the GPU ([`CudaBackend::table`]) when one is
//!    usable, else everything on the CPU with the reason on stderr.
//! 5. Only then write anything: the CSV ([`write_table`]) to stdout or
//!    `--output`, so bad input never yields a partial table.

use crate::gpu::cuda_backend::CudaBackend;
use anyhow::{Context, bail};
use clap::ValueEnum;
use quantumtrade::indicators::battery::compute;
use quantumtrade::indicators::table_csv::write_table;
use quantumtrade::market::aggregate::{aggregate, check_target, detect_interval, smallest_gap_ms};
use quantumtrade::market::kline_csv::read_klines_path;
use quantumtrade::market::{Interval, OhlcvSeries};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;

/// Arguments of `qtrade indicators`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Klines in the Binance CSV layout, with or without header; `.gz` is read
    /// as gzip.
    #[arg(long, value_name = "FILE")]
    pub candles: PathBuf,
    /// Timeframe to aggregate to and compute on: 1m 3m 5m 15m 30m 1h 2h 4h
    /// 6h 8h 12h 1d [default: the input's own interval].
    #[arg(long, value_name = "TF")]
    pub timeframe: Option<Interval>,
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
    /// Write the CSV to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Where the battery is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// The CPU.
    Cpu,
    /// A GPU where one is present; the CPU otherwise, with a note on stderr.
    Gpu,
}

/// Runs the command.
///
/// # Errors
/// An unreadable or invalid candle file, a file with no candles, a timeframe
/// the input cannot be aggregated to, or a failed write.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let file = args.candles.display().to_string();
    let candles = read_klines_path(&args.candles).context("cannot read candles")?;
    if candles.is_empty() {
        bail!("{file}: no candles");
    }
    let timeframe = match args.timeframe {
        Some(tf) => {
            check_target(&candles, tf).with_context(|| file.clone())?;
            Some(tf)
        }
        None if candles.len() == 1 => None,
        None => match detect_interval(&candles) {
            Some(own) => Some(own),
            None => bail!(
                "{file}: cannot tell the input's interval: the smallest gap between open times is {} ms, \
                 not one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d; pass --timeframe",
                smallest_gap_ms(&candles).unwrap_or_default()
            ),
        },
    };
    let rows = match timeframe {
        Some(tf) => aggregate(&candles, tf),
        None => candles,
    };
    let table = match args.device {
        Device::Cpu => compute(&OhlcvSeries::from(rows.as_slice())),
        Device::Gpu => match CudaBackend::new().and_then(|gpu| gpu.table(&rows)) {
            Ok(table) => table,
            Err(e) => {
                eprintln!("qtrade: no usable GPU ({e}); computing on the CPU");
                compute(&OhlcvSeries::from(rows.as_slice()))
            }
        },
    };
    match &args.output {
        Some(path) => {
            let out =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            write_table(BufWriter::with_capacity(1 << 16, out), &table)
                .with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let stdout = io::stdout().lock();
            match write_table(BufWriter::with_capacity(1 << 16, stdout), &table) {
                // A reader that stops early (`| head`) is not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to stdout"),
            }
        }
    }
}

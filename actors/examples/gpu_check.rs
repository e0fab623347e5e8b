//! The GPU device check of the battery (kernels/README.md, "Device check"):
//! every column GPU against CPU on fresh random and on real candles, batch
//! throughput against the CPU backend and the device-memory floor, and the
//! live per-tick latency of `BatteryBackend::run` for 400 symbols. Prints a
//! Markdown table and writes `DIR/gpu_check.md` and `DIR/gpu_check.json`
//! (rewritten after every step, so a run cut short still leaves a report).
//!
//! `cargo run --release -p quantumtrade-actors --example gpu_check -- --out DIR [--quick]`
//!
//! `--dry-run` puts a CPU stand-in in the GPU's place, so that every step
//! of the check runs on a machine without a GPU (actors/tests/gpu_check.rs);
//! its report says that no GPU was measured.
//!
//! Exit codes: 0 every correctness check passed (the performance goals are
//! reported, not judged); 1 a check failed or a step errored; 2 CUDA is not
//! usable on this machine (nothing measured).

use anyhow::Context as _;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use quantumtrade::events::summary::utc_ms;
use quantumtrade::indicators::battery::{Column, Table, compute};
use quantumtrade::market::kline_csv::{minute_files, read_klines_path};
use quantumtrade::market::random_walk::random_walk;
use quantumtrade::market::{Candle, Interval, OhlcvSeries, Symbol};
use quantumtrade::node::battery_batch::{BatteryBackend, BatteryJob, BatteryResult, CpuBackend};
use quantumtrade::node::battery_layout::{KERNEL_COLUMNS, PackedBatch};
use quantumtrade::node::gpu_check::{
    Agreement, BatchThroughput, BatchTimings, CorrectnessCase, DeviceInfo, GpuCheckReport,
    LatencySummary, MemoryFloor, TickLatency, TickPhases, copy_bandwidth,
};
use quantumtrade_actors::gpu::cuda_backend::{BATCH_TASKS, BatchKernel, CudaBackend};
use quantumtrade_actors::gpu::guard::{GpuError, Libraries};
use quantumtrade_actors::gpu::resident::GROUPS as LIVE_GROUPS;
use rayon::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Arguments.
#[derive(Debug, Parser)]
#[command(about = "GPU battery check: correctness, batch throughput, live tick latency")]
struct Args {
    /// Directory for gpu_check.md and gpu_check.json.
    #[arg(long, default_value = "gpu-report")]
    out: PathBuf,
    /// Smoke run: small sizes, a few seconds.
    #[arg(long)]
    quick: bool,
    /// Seed of the random inputs (default: fresh, from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Symbols of the batch and of the tick (default 400; quick 64).
    #[arg(long)]
    symbols: Option<usize>,
    /// Candles per symbol of the batch (default 10000; quick 2000).
    #[arg(long)]
    candles: Option<usize>,
    /// Candles in each tick job's window (the node's ring: 500).
    #[arg(long, default_value_t = 500)]
    window: usize,
    /// Measured ticks (default 200; quick 30).
    #[arg(long)]
    ticks: Option<usize>,
    /// Timed repeats of the batch (default 5; quick 2).
    #[arg(long)]
    repeats: Option<usize>,
    /// Runs every step on a CPU stand-in instead of the GPU: checks the
    /// check itself on a machine without one (its numbers say nothing
    /// about a GPU, and the report says so).
    #[arg(long)]
    dry_run: bool,
    /// Directory of real 1m klines (`*-1m.csv[.gz]`); default the first of
    /// shared/data/klines, ../shared/data/klines, tests/data/klines.
    #[arg(long)]
    klines: Option<PathBuf>,
}

/// The sizes of one run.
struct Plan {
    symbols: usize,
    candles: usize,
    window: usize,
    ticks: usize,
    warmup: usize,
    repeats: usize,
    kline_files: usize,
    bandwidth_bytes: usize,
}

impl Plan {
    fn of(a: &Args) -> Self {
        let (symbols, candles, ticks, warmup, repeats, kline_files, bandwidth_bytes) = if a.quick {
            (64, 2_000, 30, 5, 2, 8, 256 << 20)
        } else {
            (400, 10_000, 200, 20, 5, usize::MAX, 1 << 30)
        };
        Self {
            symbols: a.symbols.unwrap_or(symbols),
            candles: a.candles.unwrap_or(candles),
            window: a.window.max(1),
            ticks: a.ticks.unwrap_or(ticks).max(1),
            warmup,
            repeats: a.repeats.unwrap_or(repeats).max(1),
            kline_files,
            bandwidth_bytes,
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.dry_run {
        return finish(run(&args, &mut DryRun(CpuBackend), None));
    }
    // cudarc panics where libcuda or libnvrtc is missing: ask first.
    let libs = Libraries::detect();
    if let Err(e) = libs.require_all() {
        eprintln!("gpu_check: CUDA is not usable here: {e} ({libs}); nothing was measured");
        return ExitCode::from(2);
    }
    let t0 = Instant::now();
    match CudaBackend::new() {
        Ok(mut gpu) => finish(run(&args, &mut gpu, Some(t0.elapsed().as_secs_f64()))),
        Err(e @ GpuError::Compile { .. }) => {
            eprintln!("gpu_check: the battery kernel does not compile: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("gpu_check: CUDA is not usable here: {e}; nothing was measured");
            ExitCode::from(2)
        }
    }
}

fn finish(report: anyhow::Result<GpuCheckReport>) -> ExitCode {
    match report {
        Ok(report) => {
            print!("{}", report.markdown());
            if report.checks_passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("gpu_check: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// What the check measures: the CUDA backend through its public API and
/// the device check's hooks, or (`--dry-run`) a CPU stand-in.
trait Device {
    fn info(&self) -> Result<DeviceInfo, GpuError>;
    fn table(&self, candles: &[Candle]) -> Result<Table, GpuError>;
    fn timed_batch(&self, batch: &PackedBatch) -> Result<(Vec<f64>, BatchTimings), GpuError>;
    /// The batch through `kernel` rather than the backend's own (`None`:
    /// the device has no choice of kernels, as the dry run's stand-in).
    fn timed_batch_with(
        &self,
        batch: &PackedBatch,
        kernel: BatchKernel,
    ) -> Option<Result<(Vec<f64>, BatchTimings), GpuError>>;
    fn copy_bandwidth(&self, bytes: usize, repeats: u32) -> Result<f64, GpuError>;
    fn backend(&mut self) -> &mut dyn BatteryBackend;
    /// Launches only the first `n` live groups; false where the device
    /// cannot (the dry run's stand-in).
    fn set_live_groups(&mut self, n: u32) -> bool;
}

impl Device for CudaBackend {
    fn info(&self) -> Result<DeviceInfo, GpuError> {
        self.device_info()
    }
    fn table(&self, candles: &[Candle]) -> Result<Table, GpuError> {
        CudaBackend::table(self, candles)
    }
    fn timed_batch(&self, batch: &PackedBatch) -> Result<(Vec<f64>, BatchTimings), GpuError> {
        CudaBackend::timed_batch(self, batch)
    }
    fn timed_batch_with(
        &self,
        batch: &PackedBatch,
        kernel: BatchKernel,
    ) -> Option<Result<(Vec<f64>, BatchTimings), GpuError>> {
        Some(CudaBackend::timed_batch_with(self, batch, kernel))
    }
    fn copy_bandwidth(&self, bytes: usize, repeats: u32) -> Result<f64, GpuError> {
        CudaBackend::copy_bandwidth(self, bytes, repeats)
    }
    fn backend(&mut self) -> &mut dyn BatteryBackend {
        self
    }
    fn set_live_groups(&mut self, n: u32) -> bool {
        CudaBackend::set_live_groups(self, n);
        true
    }
}

/// The CPU in the GPU's place: the battery of every series written into
/// the kernel's output layout, host copies for the bandwidth.
struct DryRun(CpuBackend);

impl Device for DryRun {
    fn timed_batch_with(
        &self,
        _: &PackedBatch,
        _: BatchKernel,
    ) -> Option<Result<(Vec<f64>, BatchTimings), GpuError>> {
        None
    }
    fn info(&self) -> Result<DeviceInfo, GpuError> {
        Ok(DeviceInfo {
            name: "CPU stand-in (--dry-run: no GPU was measured)".to_owned(),
            arch: "none".to_owned(),
            ..DeviceInfo::default()
        })
    }
    fn table(&self, candles: &[Candle]) -> Result<Table, GpuError> {
        Ok(compute(&OhlcvSeries::from(candles)))
    }
    fn timed_batch(&self, batch: &PackedBatch) -> Result<(Vec<f64>, BatchTimings), GpuError> {
        let t0 = Instant::now();
        // Candles back from the packed arrays: the kernel gets no opens.
        let tables: Vec<Table> = (0..batch.symbols())
            .into_par_iter()
            .map(|s| {
                let candles: Vec<Candle> = batch
                    .range(s)
                    .map(|i| {
                        let (h, l, c, v) =
                            (batch.high[i], batch.low[i], batch.close[i], batch.volume[i]);
                        Candle::ohlcv(batch.open_time[i], c, h, l, c, v)
                    })
                    .collect();
                compute(&OhlcvSeries::from(candles.as_slice()))
            })
            .collect();
        let mut out = vec![f64::NAN; batch.output_len()];
        for (s, t) in tables.iter().enumerate() {
            for &c in KERNEL_COLUMNS {
                let r = batch.range(s);
                let at = batch.output_index(c, s, 0);
                out[at..at + r.len()].copy_from_slice(t.column(c));
            }
        }
        let wall_s = t0.elapsed().as_secs_f64();
        Ok((
            out,
            BatchTimings {
                kernel_s: wall_s,
                wall_s,
                ..BatchTimings::default()
            },
        ))
    }
    fn copy_bandwidth(&self, bytes: usize, repeats: u32) -> Result<f64, GpuError> {
        let src = vec![1u8; bytes];
        let mut dst = vec![0u8; bytes];
        let t0 = Instant::now();
        for _ in 0..repeats {
            dst.copy_from_slice(std::hint::black_box(&src));
        }
        let seconds = t0.elapsed().as_secs_f64();
        std::hint::black_box(&dst);
        Ok(copy_bandwidth(bytes as u64 * u64::from(repeats), seconds))
    }
    fn backend(&mut self) -> &mut dyn BatteryBackend {
        &mut self.0
    }
    fn set_live_groups(&mut self, _: u32) -> bool {
        false
    }
}

/// Every step; `open_s`: how long opening the device took.
fn run(args: &Args, gpu: &mut dyn Device, open_s: Option<f64>) -> anyhow::Result<GpuCheckReport> {
    let plan = Plan::of(args);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    // The CUDA backend counts its fallbacks to the CPU here; a tick that
    // fell back must not pass for a GPU figure.
    let recorder = PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    metrics::set_global_recorder(recorder).context("installing the metrics recorder")?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let klines_dir = args.klines.clone().or_else(default_klines_dir);
    let mut report = GpuCheckReport {
        date_utc: utc_ms(now_ms),
        mode: format!(
            "{}{}",
            if args.quick { "quick" } else { "full" },
            if args.dry_run {
                ", dry run on the CPU"
            } else {
                ""
            }
        ),
        seed,
        klines_dir: klines_dir.as_ref().map(|d| d.display().to_string()),
        open_s,
        ..GpuCheckReport::default()
    };
    eprintln!(
        "gpu_check: {} mode, seed {seed}, {} symbols × {} candles, {} ticks of window {}, rayon threads {}",
        report.mode,
        plan.symbols,
        plan.candles,
        plan.ticks,
        plan.window,
        rayon::current_num_threads()
    );
    step(&args.out, &mut report, "device", &mut |r| {
        r.device = gpu.info()?;
        eprintln!("gpu_check: device {:?}", r.device);
        Ok(())
    });
    step(&args.out, &mut report, "real candles", &mut |r| {
        let dir = klines_dir
            .as_deref()
            .context("no klines directory found (pass --klines)")?;
        real_candles(gpu, dir, plan.kline_files, r)
    });
    step(&args.out, &mut report, "ragged edge lengths", &mut |r| {
        ragged_edges(gpu, seed, r)
    });
    step(&args.out, &mut report, "batch throughput", &mut |r| {
        batch_throughput(gpu, &plan, seed, r)
    });
    step(&args.out, &mut report, "live tick", &mut |r| {
        live_tick(gpu, &plan, seed, &metrics, r)
    });
    Ok(report)
}

/// Runs one step of the check: an error or a panic is recorded in the
/// report and the next step still runs; the report is written after each.
fn step(
    out: &Path,
    report: &mut GpuCheckReport,
    name: &str,
    f: &mut dyn FnMut(&mut GpuCheckReport) -> anyhow::Result<()>,
) {
    let t0 = Instant::now();
    eprintln!("gpu_check: {name} ...");
    match catch_unwind(AssertUnwindSafe(|| f(report))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => report.errors.push(format!("{name}: {e:#}")),
        Err(panic) => report
            .errors
            .push(format!("{name}: panicked: {}", panic_text(&*panic))),
    }
    eprintln!(
        "gpu_check: {name} done in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    if let Err(e) = write_report(out, report) {
        eprintln!("gpu_check: cannot write the report: {e:#}");
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

fn write_report(dir: &Path, report: &GpuCheckReport) -> anyhow::Result<()> {
    std::fs::write(dir.join("gpu_check.md"), report.markdown())?;
    std::fs::write(
        dir.join("gpu_check.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    Ok(())
}

fn default_klines_dir() -> Option<PathBuf> {
    [
        "shared/data/klines",
        "../shared/data/klines",
        "tests/data/klines",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_dir())
}

fn bar(len: usize, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

fn cpu_tables(series: &[Vec<Candle>]) -> Vec<Table> {
    series
        .par_iter()
        .map(|c| compute(&OhlcvSeries::from(c.as_slice())))
        .collect()
}

/// Every kernel column of every series of `batch` against the CPU's table.
fn compare_batch(batch: &PackedBatch, out: &[f64], cpu: &[Table], what: &'static str) -> Agreement {
    let pb = bar(batch.symbols(), what);
    let a = (0..batch.symbols())
        .into_par_iter()
        .map(|s| {
            let mut a = Agreement::default();
            for &c in KERNEL_COLUMNS {
                a.compare(c, s, cpu[s].column(c), batch.column(out, c, s));
            }
            pb.inc(1);
            a
        })
        .reduce(Agreement::default, |a, b| a.merged(&b));
    pb.finish_and_clear();
    a
}

fn case(name: String, series: &[Vec<Candle>], agreement: Agreement) -> CorrectnessCase {
    CorrectnessCase {
        name,
        series: series.len(),
        candles: series.iter().map(Vec::len).sum(),
        agreement,
    }
}

fn real_candles(
    gpu: &dyn Device,
    dir: &Path,
    max_files: usize,
    r: &mut GpuCheckReport,
) -> anyhow::Result<()> {
    let mut files = minute_files(dir).with_context(|| format!("reading {}", dir.display()))?;
    files.truncate(max_files);
    anyhow::ensure!(!files.is_empty(), "no *-1m.csv[.gz] in {}", dir.display());
    let series: Vec<Vec<Candle>> = files
        .par_iter()
        .map(|p| read_klines_path(p).with_context(|| format!("reading {}", p.display())))
        .collect::<anyhow::Result<_>>()?;
    let cpu = cpu_tables(&series);
    // The public path of `qtrade indicators --device gpu`, one series at a
    // time, every column (the table merges in any CPU-only columns).
    let mut one = Agreement::default();
    let few = series.len().min(4);
    for (s, candles) in series.iter().take(few).enumerate() {
        let t = gpu.table(candles)?;
        for &c in Column::ALL {
            one.compare(c, s, cpu[s].column(c), t.column(c));
        }
    }
    r.correctness.push(case(
        format!("real 1m candles, `CudaBackend::table` ({few} files)"),
        &series[..few],
        one,
    ));
    let batch = PackedBatch::pack(series.iter().map(Vec::as_slice));
    let (out, _) = gpu.timed_batch(&batch)?;
    let a = compare_batch(&batch, &out, &cpu, "real candles");
    r.correctness.push(case(
        format!("real 1m candles, one ragged batch ({} files)", series.len()),
        &series,
        a,
    ));
    Ok(())
}

/// Lengths around every indicator's warm-up, empty and one-candle series
/// among them, in one ragged batch.
fn ragged_edges(gpu: &dyn Device, seed: u64, r: &mut GpuCheckReport) -> anyhow::Result<()> {
    const LENGTHS: &[usize] = &[
        0, 1, 2, 3, 5, 8, 9, 10, 13, 14, 15, 19, 20, 21, 22, 26, 27, 28, 33, 34, 35, 40, 50, 64,
        100, 129, 333, 0, 1000,
    ];
    let series: Vec<Vec<Candle>> = LENGTHS
        .iter()
        .enumerate()
        .map(|(s, &n)| random_walk(seed ^ 0x5eed, s as u64, n, 0))
        .collect();
    let cpu = cpu_tables(&series);
    let batch = PackedBatch::pack(series.iter().map(Vec::as_slice));
    let (out, _) = gpu.timed_batch(&batch)?;
    let a = compare_batch(&batch, &out, &cpu, "ragged edges");
    r.correctness.push(case(
        format!(
            "random walk, ragged lengths 0..{}",
            LENGTHS.iter().max().unwrap_or(&0)
        ),
        &series,
        a,
    ));
    Ok(())
}

fn median_by<T: Copy>(mut v: Vec<T>, key: impl Fn(&T) -> f64) -> T {
    v.sort_by(|a, b| key(a).total_cmp(&key(b)));
    v[v.len() / 2]
}

fn batch_throughput(
    gpu: &dyn Device,
    plan: &Plan,
    seed: u64,
    r: &mut GpuCheckReport,
) -> anyhow::Result<()> {
    let series: Vec<Vec<Candle>> = (0..plan.symbols as u64)
        .into_par_iter()
        .map(|s| random_walk(seed, s, plan.candles, 0))
        .collect();
    let bandwidth = gpu.copy_bandwidth(plan.bandwidth_bytes, 20)?;
    eprintln!(
        "gpu_check: device copy bandwidth {:.0} GB/s",
        bandwidth / 1e9
    );
    // CPU: the battery of every series (what the CPU backend computes per
    // job), same inputs.
    let mut cpu = Vec::new();
    let mut cpu_s = Vec::new();
    let pb = bar(plan.repeats, "CPU batch");
    for _ in 0..plan.repeats {
        let t0 = Instant::now();
        cpu = cpu_tables(&series);
        cpu_s.push(t0.elapsed().as_secs_f64());
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut pack_s = Vec::new();
    let mut batch = PackedBatch::default();
    for _ in 0..plan.repeats {
        let t0 = Instant::now();
        batch = PackedBatch::pack(series.iter().map(Vec::as_slice));
        pack_s.push(t0.elapsed().as_secs_f64());
    }
    // One untimed launch first: module load and first-touch allocations.
    let (mut out, _) = gpu.timed_batch(&batch)?;
    let mut timings: Vec<BatchTimings> = Vec::new();
    let pb = bar(plan.repeats, "GPU batch");
    for _ in 0..plan.repeats {
        let (o, t) = gpu.timed_batch(&batch)?;
        out = o;
        timings.push(t);
        pb.inc(1);
    }
    pb.finish_and_clear();
    // The other batch kernel on the same batch, for comparison (its
    // numbers checked against the CPU too).
    let per_series_kernel_s =
        match kernel_median(gpu, &batch, BatchKernel::PerSeries, plan.repeats)? {
            Some((o, kernel_s)) => {
                let a = compare_batch(&batch, &o, &cpu, "per-series batch");
                r.correctness.push(case(
                    "random walk, the timed batch, one thread per series".to_owned(),
                    &series,
                    a,
                ));
                Some(kernel_s)
            }
            None => None,
        };
    // The grouped kernel with its first 1, 2, … tasks.
    let mut task_prefix_kernel_s = Vec::new();
    for tasks in 1..=BATCH_TASKS {
        let prefix = BatchKernel::GroupedFirst(tasks);
        match kernel_median(gpu, &batch, prefix, plan.repeats)? {
            Some((_, kernel_s)) => task_prefix_kernel_s.push(kernel_s),
            None => break,
        }
    }
    let b = BatchThroughput {
        per_series_kernel_s,
        task_prefix_kernel_s,
        symbols: plan.symbols,
        candles_per_symbol: plan.candles,
        cpu_s: median_by(cpu_s, |s| *s),
        cpu_threads: rayon::current_num_threads(),
        pack_s: median_by(pack_s, |s| *s),
        gpu: median_by(timings, |t| t.kernel_s),
        repeats: plan.repeats,
        floor: MemoryFloor::of_batch(&batch),
        bandwidth_bytes_per_s: bandwidth,
    };
    eprintln!(
        "gpu_check: CPU {:.4} s, GPU kernel {:.4} s, floor {:.6} s",
        b.cpu_s,
        b.gpu.kernel_s,
        b.floor_s()
    );
    r.batch = Some(b);
    let a = compare_batch(&batch, &out, &cpu, "random batch");
    r.correctness.push(case(
        format!(
            "random walk, the timed batch ({} × {})",
            plan.symbols, plan.candles
        ),
        &series,
        a,
    ));
    Ok(())
}

/// `batch` through `kernel` `repeats` times: the first run's output and
/// the median kernel seconds (none where the device has no such kernel).
fn kernel_median(
    gpu: &dyn Device,
    batch: &PackedBatch,
    kernel: BatchKernel,
    repeats: usize,
) -> anyhow::Result<Option<(Vec<f64>, f64)>> {
    let mut first = None;
    let mut kernel_s = Vec::new();
    for _ in 0..repeats.max(1) {
        let Some(run) = gpu.timed_batch_with(batch, kernel) else {
            return Ok(None);
        };
        let (out, t) = run?;
        first.get_or_insert(out);
        kernel_s.push(t.kernel_s);
    }
    Ok(first.map(|out| (out, median_by(kernel_s, |s| *s))))
}

/// `qtrade_errors_total{kind="cuda_batch"}` as rendered now (0 when never
/// counted).
fn cuda_fallbacks(metrics: &PrometheusHandle) -> u64 {
    metrics
        .render()
        .lines()
        .filter(|l| l.starts_with("qtrade_errors_total{") && l.contains("kind=\"cuda_batch\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

fn live_tick(
    gpu: &mut dyn Device,
    plan: &Plan,
    seed: u64,
    metrics: &PrometheusHandle,
    r: &mut GpuCheckReport,
) -> anyhow::Result<()> {
    let ticks = plan.warmup + plan.ticks;
    // Each symbol's history: the first window, then one candle per tick.
    let history: Vec<Vec<Candle>> = (0..plan.symbols as u64)
        .into_par_iter()
        .map(|s| random_walk(seed ^ 0x71c, s, plan.window + ticks, 0))
        .collect();
    let mut jobs: Vec<BatteryJob> = history
        .iter()
        .enumerate()
        .map(|(s, h)| {
            Ok(BatteryJob {
                symbol: Symbol::new(&format!("S{s}USDT"))?,
                timeframe: Interval::M1,
                candles: h[..plan.window - 1].to_vec(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut cpu_backend = CpuBackend;
    let fallbacks_before = cuda_fallbacks(metrics);
    let (mut gpu_s, mut cpu_s) = (Vec::new(), Vec::new());
    let (mut up_s, mut kernel_s, mut down_s) = (Vec::new(), Vec::new(), Vec::new());
    let mut rows = Agreement::default();
    let pb = bar(ticks, "ticks");
    for tick in 0..ticks {
        // The new closed candle of every symbol; the window slides once
        // full, as the node's ring does.
        for (job, h) in jobs.iter_mut().zip(&history) {
            if job.candles.len() == plan.window {
                job.candles.remove(0);
            }
            job.candles.push(h[plan.window - 1 + tick]);
        }
        let t0 = Instant::now();
        let got = gpu.backend().run(&jobs);
        let g = t0.elapsed().as_secs_f64();
        let phases = gpu.backend().device_times();
        let t0 = Instant::now();
        let want = cpu_backend.run(&jobs);
        let c = t0.elapsed().as_secs_f64();
        if tick >= plan.warmup {
            gpu_s.push(g);
            cpu_s.push(c);
            if let Some(p) = phases {
                up_s.push(p.upload_s);
                kernel_s.push(p.kernel_s);
                down_s.push(p.download_s);
            }
        }
        // Rows of the first tick, the first measured and the last.
        if tick == 0 || tick == plan.warmup || tick + 1 == ticks {
            compare_rows(&want, &got, &mut rows)?;
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let fallbacks = cuda_fallbacks(metrics).saturating_sub(fallbacks_before);
    let device = match (
        LatencySummary::of_seconds(&up_s),
        LatencySummary::of_seconds(&kernel_s),
        LatencySummary::of_seconds(&down_s),
    ) {
        (Some(upload), Some(kernel), Some(download)) => Some(TickPhases {
            upload,
            kernel,
            download,
        }),
        _ => None,
    };
    // The last tick again with only the first n groups launched (nothing
    // new goes up: the kernels alone), then every group again.
    let mut group_prefix_kernel_s = Vec::new();
    if gpu.set_live_groups(1) {
        for n in 1..=LIVE_GROUPS {
            gpu.set_live_groups(n);
            let mut k = Vec::new();
            for _ in 0..plan.repeats.max(5) {
                gpu.backend().run(&jobs);
                if let Some(p) = gpu.backend().device_times() {
                    k.push(p.kernel_s);
                }
            }
            if !k.is_empty() {
                group_prefix_kernel_s.push(median_by(k, |s| *s));
            }
        }
        gpu.set_live_groups(LIVE_GROUPS);
    }
    r.tick = Some(TickLatency {
        device,
        group_prefix_kernel_s,
        symbols: plan.symbols,
        window: plan.window,
        warmup: plan.warmup,
        gpu: LatencySummary::of_seconds(&gpu_s).context("no measured ticks")?,
        cpu: LatencySummary::of_seconds(&cpu_s).context("no measured ticks")?,
        cuda_fallbacks: fallbacks,
    });
    let window_series: Vec<Vec<Candle>> = jobs.iter().map(|j| j.candles.clone()).collect();
    r.correctness.push(case(
        format!(
            "live tick rows, `BatteryBackend::run` (3 ticks × {} symbols, last rows)",
            plan.symbols
        ),
        &window_series,
        rows,
    ));
    Ok(())
}

/// The rows the GPU returned against the CPU's, job by job (each row is
/// one cell per column).
fn compare_rows(
    cpu: &[BatteryResult],
    gpu: &[BatteryResult],
    into: &mut Agreement,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        cpu.len() == gpu.len(),
        "the CUDA backend returned {} results for {} jobs",
        gpu.len(),
        cpu.len()
    );
    for (s, (c, g)) in cpu.iter().zip(gpu).enumerate() {
        anyhow::ensure!(
            (&c.symbol, c.open_time, c.window) == (&g.symbol, g.open_time, g.window),
            "result {s}: the CUDA backend answered {} at {} (window {}) for {} at {} (window {})",
            g.symbol,
            g.open_time,
            g.window,
            c.symbol,
            c.open_time,
            c.window
        );
        for &col in Column::ALL {
            let i = col as usize;
            into.compare(col, s, &c.row[i..=i], &g.row[i..=i]);
        }
    }
    Ok(())
}

//! The arithmetic and the report of the GPU device check
//! (`actors/examples/gpu_check.rs`, `scripts/gpu_check.sh`): how far the
//! GPU's battery columns are from the CPU's, the bytes a batch must move
//! through device memory at least, latency percentiles, and the report in
//! Markdown and JSON. Pure, so tested here without a device; the example
//! only measures and fills it in.
//!
//! Agreement (shared/INDICATORS.md, Tolerance): a cell agrees when both
//! sides are NaN, when both are the same infinity, or when
//! `|gpu - cpu| / max(|gpu|, |cpu|, 1) <= 1e-9` (relative above 1, absolute
//! below). NaN against a number is a mismatch either way.

use crate::indicators::battery::{COLUMN_COUNT, Column};
use crate::node::battery_layout::PackedBatch;
use serde::Serialize;
use std::fmt::Write as _;

/// Largest [`relative_error`] at which two cells still agree.
pub const TOLERANCE: f64 = 1e-9;

/// Bytes per candle the kernel reads: the i64 open time and four f64
/// inputs (high, low, close, volume) of [`PackedBatch`].
pub const INPUT_BYTES_PER_CANDLE: u64 = 8 + 4 * 8;

/// Bytes per candle the kernel writes: every column as f64.
pub const OUTPUT_BYTES_PER_CANDLE: u64 = COLUMN_COUNT as u64 * 8;

/// `|gpu - cpu| / max(|gpu|, |cpu|, 1)`; `Some(0.0)` when both are NaN or
/// equal (infinities included), `None` when only one is NaN or the two
/// differ and one is infinite (they cannot agree).
#[must_use]
pub fn relative_error(cpu: f64, gpu: f64) -> Option<f64> {
    if cpu.is_nan() || gpu.is_nan() {
        return (cpu.is_nan() && gpu.is_nan()).then_some(0.0);
    }
    if cpu == gpu {
        return Some(0.0);
    }
    if !cpu.is_finite() || !gpu.is_finite() {
        return None;
    }
    Some((gpu - cpu).abs() / cpu.abs().max(gpu.abs()).max(1.0))
}

/// One compared cell: where it is and both values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// Series (symbol) index in the case.
    pub series: usize,
    /// Candle index in the series.
    pub index: usize,
    /// The CPU's value (`null` in JSON for NaN).
    pub cpu: f64,
    /// The GPU's value.
    pub gpu: f64,
    /// Its [`relative_error`]; infinite when they cannot agree (NaN
    /// against a number).
    pub relative_error: f64,
}

/// How one column of the GPU agrees with the CPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnAgreement {
    /// Column name (shared/INDICATORS.md).
    pub column: &'static str,
    /// Cells compared.
    pub compared: u64,
    /// Cells where exactly one side is NaN (or a length differed).
    pub nan_mismatches: u64,
    /// Numeric cells beyond [`TOLERANCE`].
    pub over_tolerance: u64,
    /// Largest relative error over the cells where both are numbers.
    pub max_relative_error: f64,
    /// The worst cell: a NaN mismatch before any numeric one.
    pub worst: Option<Cell>,
}

impl ColumnAgreement {
    fn new(column: Column) -> Self {
        Self {
            column: column.name(),
            compared: 0,
            nan_mismatches: 0,
            over_tolerance: 0,
            max_relative_error: 0.0,
            worst: None,
        }
    }

    /// Cells that disagree.
    #[must_use]
    pub fn mismatches(&self) -> u64 {
        self.nan_mismatches + self.over_tolerance
    }

    fn badness(&self) -> f64 {
        self.worst.map_or(0.0, |c| c.relative_error)
    }

    fn note(&mut self, cell: Cell) {
        if self
            .worst
            .is_none_or(|w| cell.relative_error > w.relative_error)
        {
            self.worst = Some(cell);
        }
    }

    fn merge(&mut self, other: &Self) {
        self.compared += other.compared;
        self.nan_mismatches += other.nan_mismatches;
        self.over_tolerance += other.over_tolerance;
        self.max_relative_error = self.max_relative_error.max(other.max_relative_error);
        if let Some(w) = other.worst {
            self.note(w);
        }
    }
}

/// GPU against CPU over every column of many series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// One entry per battery column, in [`Column::ALL`] order.
    pub columns: Vec<ColumnAgreement>,
}

impl Default for Agreement {
    fn default() -> Self {
        Self {
            columns: Column::ALL
                .iter()
                .map(|&c| ColumnAgreement::new(c))
                .collect(),
        }
    }
}

impl Agreement {
    /// Compares column `column` of series `series` cell by cell. Cells
    /// present on one side only count as NaN mismatches.
    pub fn compare(&mut self, column: Column, series: usize, cpu: &[f64], gpu: &[f64]) {
        let col = &mut self.columns[column as usize];
        for (index, (&c, &g)) in cpu.iter().zip(gpu).enumerate() {
            col.compared += 1;
            let cell = |relative_error| Cell {
                series,
                index,
                cpu: c,
                gpu: g,
                relative_error,
            };
            match relative_error(c, g) {
                None => {
                    col.nan_mismatches += 1;
                    col.note(cell(f64::INFINITY));
                }
                Some(r) => {
                    col.max_relative_error = col.max_relative_error.max(r);
                    if r > TOLERANCE {
                        col.over_tolerance += 1;
                    }
                    if r > 0.0 {
                        col.note(cell(r));
                    }
                }
            }
        }
        let extra = cpu.len().abs_diff(gpu.len()) as u64;
        if extra > 0 {
            col.compared += extra;
            col.nan_mismatches += extra;
            let index = cpu.len().min(gpu.len());
            let value = |v: &[f64]| v.get(index).copied().unwrap_or(f64::NAN);
            col.note(Cell {
                series,
                index,
                cpu: value(cpu),
                gpu: value(gpu),
                relative_error: f64::INFINITY,
            });
        }
    }

    /// Adds `other`'s counts (for a parallel reduction over series).
    #[must_use]
    pub fn merged(mut self, other: &Self) -> Self {
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.merge(b);
        }
        self
    }

    /// Cells compared over all columns.
    #[must_use]
    pub fn compared(&self) -> u64 {
        self.columns.iter().map(|c| c.compared).sum()
    }

    /// Cells that disagree over all columns.
    #[must_use]
    pub fn mismatches(&self) -> u64 {
        self.columns.iter().map(ColumnAgreement::mismatches).sum()
    }

    /// The column with the most mismatches, ties broken by its worst cell;
    /// `None` when no cell differs at all.
    #[must_use]
    pub fn worst_column(&self) -> Option<&ColumnAgreement> {
        self.columns
            .iter()
            .filter(|c| c.worst.is_some())
            .max_by(|a, b| {
                a.mismatches()
                    .cmp(&b.mismatches())
                    .then(a.badness().total_cmp(&b.badness()))
            })
    }

    /// Names of the columns with at least one mismatch.
    #[must_use]
    pub fn failing_columns(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter(|c| c.mismatches() > 0)
            .map(|c| c.column)
            .collect()
    }

    /// True when cells were compared and all agree.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.compared() > 0 && self.mismatches() == 0
    }
}

/// The least device-memory traffic of one batch: inputs read once,
/// outputs written once, in [`PackedBatch`]'s layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryFloor {
    /// Series in the batch.
    pub symbols: usize,
    /// Candles in the batch, all series together.
    pub candles: usize,
    /// Bytes read: the inputs and the `symbols + 1` i64 offsets.
    pub bytes_read: u64,
    /// Bytes written: every column of every candle.
    pub bytes_written: u64,
}

impl MemoryFloor {
    /// The floor of `symbols` series holding `candles` candles in all.
    #[must_use]
    pub fn of_shape(symbols: usize, candles: usize) -> Self {
        Self {
            symbols,
            candles,
            bytes_read: candles as u64 * INPUT_BYTES_PER_CANDLE + (symbols as u64 + 1) * 8,
            bytes_written: candles as u64 * OUTPUT_BYTES_PER_CANDLE,
        }
    }

    /// The floor of `batch`, from the sizes of its actual arrays.
    #[must_use]
    pub fn of_batch(batch: &PackedBatch) -> Self {
        let bytes = |n: usize, of: usize| (n * of) as u64;
        let f64s = batch.high.len() + batch.low.len() + batch.close.len() + batch.volume.len();
        Self {
            symbols: batch.symbols(),
            candles: batch.total(),
            bytes_read: bytes(batch.open_time.len() + batch.offsets.len(), 8) + bytes(f64s, 8),
            bytes_written: bytes(batch.output_len(), 8),
        }
    }

    /// Bytes moved in all.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes_read + self.bytes_written
    }

    /// Seconds the traffic takes at `bytes_per_second`.
    #[must_use]
    #[expect(clippy::cast_precision_loss, reason = "byte counts far below 2^53")]
    pub fn seconds_at(&self, bytes_per_second: f64) -> f64 {
        self.bytes() as f64 / bytes_per_second
    }
}

/// Device bandwidth of a device-to-device copy of `bytes_copied` bytes that
/// took `seconds`: each byte is read once and written once.
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "byte counts far below 2^53")]
pub fn copy_bandwidth(bytes_copied: u64, seconds: f64) -> f64 {
    2.0 * bytes_copied as f64 / seconds
}

/// Percentiles of a set of durations, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Number of samples.
    pub samples: usize,
    /// Median (nearest rank).
    pub p50_us: f64,
    /// 99th percentile (nearest rank).
    pub p99_us: f64,
    /// Largest sample.
    pub max_us: f64,
    /// Mean.
    pub mean_us: f64,
}

impl LatencySummary {
    /// The summary of `seconds` (any order); `None` when empty.
    #[must_use]
    #[expect(clippy::cast_precision_loss, reason = "sample counts are small")]
    pub fn of_seconds(seconds: &[f64]) -> Option<Self> {
        if seconds.is_empty() {
            return None;
        }
        let mut us: Vec<f64> = seconds.iter().map(|s| s * 1e6).collect();
        us.sort_by(f64::total_cmp);
        Some(Self {
            samples: us.len(),
            p50_us: nearest_rank(&us, 0.50),
            p99_us: nearest_rank(&us, 0.99),
            max_us: us[us.len() - 1],
            mean_us: us.iter().sum::<f64>() / us.len() as f64,
        })
    }
}

/// The `p` quantile of sorted, non-empty `v` by nearest rank: the smallest
/// sample with at least `p` of them at or below it.
#[must_use]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "a rank within the slice"
)]
pub fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The device the check ran on, as the driver reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    /// Device name ("NVIDIA H200").
    pub name: String,
    /// Compute capability as an architecture ("sm_90").
    pub arch: String,
    /// Streaming multiprocessors.
    pub multiprocessors: i32,
    /// Device memory in bytes.
    pub memory_bytes: u64,
    /// The CUDA version the driver supports ("12.8"), when it says.
    pub driver_cuda_version: Option<String>,
    /// NVRTC's version ("12.9"), when it says.
    pub nvrtc_version: Option<String>,
}

/// `cuDriverGetVersion`'s number (1000 × major + 10 × minor) as text.
#[must_use]
pub fn cuda_version_text(v: i32) -> String {
    format!("{}.{}", v / 1000, v % 1000 / 10)
}

/// Where the time of one batch went on the device (CUDA events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BatchTimings {
    /// Host to device: the input arrays and the offsets.
    pub upload_s: f64,
    /// The kernel alone.
    pub kernel_s: f64,
    /// Device to host: the output buffer.
    pub download_s: f64,
    /// Host wall time of the whole call: allocating and zeroing the
    /// output, upload, kernel, download.
    pub wall_s: f64,
}

/// One correctness comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrectnessCase {
    /// What was compared ("random walk, batch").
    pub name: String,
    /// Series compared.
    pub series: usize,
    /// Candles in all.
    pub candles: usize,
    /// The comparison.
    pub agreement: Agreement,
}

/// Batch throughput against the CPU and the memory floor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchThroughput {
    /// Symbols in the batch.
    pub symbols: usize,
    /// Candles per symbol.
    pub candles_per_symbol: usize,
    /// CPU (rayon) seconds for the whole batch, median of the repeats.
    pub cpu_s: f64,
    /// Rayon threads the CPU used.
    pub cpu_threads: usize,
    /// Seconds to pack the batch on the host (once per batch on the GPU
    /// path).
    pub pack_s: f64,
    /// GPU timings, median kernel time of the repeats (the backend's
    /// batch kernel: one thread per series and indicator group).
    pub gpu: BatchTimings,
    /// Median kernel seconds of the other batch kernel, one thread per
    /// series (the whole battery each), on the same batch.
    pub per_series_kernel_s: Option<f64>,
    /// Median kernel seconds of the batch kernel launched with only its
    /// first 1, 2, … tasks (indicator groups, then CCI's stretches): the
    /// tasks run side by side, so each is the slowest task's time so far,
    /// and where it jumps names the task that bounds the batch. Empty
    /// where not measured (a dry run).
    pub task_prefix_kernel_s: Vec<f64>,
    /// Repeats behind each median.
    pub repeats: usize,
    /// The batch's memory floor.
    pub floor: MemoryFloor,
    /// Device bandwidth measured in the same run (bytes/s).
    pub bandwidth_bytes_per_s: f64,
}

impl BatchThroughput {
    /// Seconds of the memory floor at the measured bandwidth.
    #[must_use]
    pub fn floor_s(&self) -> f64 {
        self.floor.seconds_at(self.bandwidth_bytes_per_s)
    }

    /// Kernel time over the floor's time.
    #[must_use]
    pub fn kernel_over_floor(&self) -> f64 {
        self.gpu.kernel_s / self.floor_s()
    }

    /// The goal: the kernel within 3× of the memory floor.
    #[must_use]
    pub fn goal_met(&self) -> bool {
        self.kernel_over_floor() <= 3.0
    }

    /// Host-to-host GPU seconds: pack, upload, kernel, download.
    #[must_use]
    pub fn gpu_end_to_end_s(&self) -> f64 {
        self.pack_s + self.gpu.wall_s
    }

    #[expect(clippy::cast_precision_loss, reason = "candle counts far below 2^53")]
    fn per_second(&self, seconds: f64) -> f64 {
        (self.symbols * self.candles_per_symbol) as f64 / seconds
    }
}

/// Device time of the live ticks by phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TickPhases {
    /// Copies up (the staged integers and candle values).
    pub upload: LatencySummary,
    /// The scatter and rows kernels.
    pub kernel: LatencySummary,
    /// The copy of the rows down.
    pub download: LatencySummary,
}

/// Latency of the live tick: every symbol gets one new candle and the
/// backend returns the latest row of each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TickLatency {
    /// Symbols (jobs) per tick.
    pub symbols: usize,
    /// Candles in each job's window.
    pub window: usize,
    /// Ticks run before measuring.
    pub warmup: usize,
    /// `BatteryBackend::run` of the CUDA backend, transfers included.
    pub gpu: LatencySummary,
    /// The same ticks on the CPU backend.
    pub cpu: LatencySummary,
    /// Where the CUDA ticks spent device time (CUDA events of each phase,
    /// `BatteryBackend::device_times`): copies up, kernels, copy down; the
    /// rest of `gpu` is the host's (planning, staging, waiting). None where
    /// not measured (a dry run).
    pub device: Option<TickPhases>,
    /// Median kernel seconds of a tick with only the first 1, 2, … indicator
    /// groups launched (the groups run side by side: each is the slowest
    /// group's time so far; a jump at n names group n − 1). Empty where
    /// not measured.
    pub group_prefix_kernel_s: Vec<f64>,
    /// Times the CUDA backend fell back to the CPU during the ticks
    /// (`qtrade_errors_total{kind="cuda_batch"}`); any makes `gpu` a CPU
    /// figure.
    pub cuda_fallbacks: u64,
}

impl TickLatency {
    /// The latency goal of a live tick.
    pub const GOAL_US: f64 = 200.0;

    /// Median under [`Self::GOAL_US`] with no fallback.
    #[must_use]
    pub fn p50_goal_met(&self) -> bool {
        self.cuda_fallbacks == 0 && self.gpu.p50_us <= Self::GOAL_US
    }

    /// 99th percentile under [`Self::GOAL_US`] with no fallback.
    #[must_use]
    pub fn p99_goal_met(&self) -> bool {
        self.cuda_fallbacks == 0 && self.gpu.p99_us <= Self::GOAL_US
    }
}

/// The whole device check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GpuCheckReport {
    /// When it ran (UTC, ISO 8601).
    pub date_utc: String,
    /// "quick" or "full".
    pub mode: String,
    /// The seed of the random inputs (fresh unless given).
    pub seed: u64,
    /// Where the real candles came from.
    pub klines_dir: Option<String>,
    /// The device.
    pub device: DeviceInfo,
    /// Seconds `CudaBackend::new` took: NVRTC compile and module load
    /// (none in a dry run).
    pub open_s: Option<f64>,
    /// Correctness cases.
    pub correctness: Vec<CorrectnessCase>,
    /// Batch throughput, when it ran.
    pub batch: Option<BatchThroughput>,
    /// Live tick latency, when it ran.
    pub tick: Option<TickLatency>,
    /// Steps that failed, with why.
    pub errors: Vec<String>,
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**NOT met**" }
}

fn duration(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

impl GpuCheckReport {
    /// True when every correctness case ran and passed and no step failed
    /// (the performance goals are reported, not judged here).
    #[must_use]
    pub fn checks_passed(&self) -> bool {
        self.errors.is_empty()
            && !self.correctness.is_empty()
            && self.correctness.iter().all(|c| c.agreement.passed())
            && self.tick.as_ref().is_none_or(|t| t.cuda_fallbacks == 0)
    }

    /// The report as Markdown.
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let d = &self.device;
        let _ = writeln!(m, "# GPU check: {}\n", d.name);
        let _ = writeln!(
            m,
            "- date: {}; mode: {}; seed: {}\n- device: {} ({}, {} SMs, {:.1} GiB); driver supports CUDA {}; NVRTC {}\n- real candles: {}\n",
            self.date_utc,
            self.mode,
            self.seed,
            d.name,
            d.arch,
            d.multiprocessors,
            d.memory_bytes as f64 / f64::from(1u32 << 30),
            d.driver_cuda_version.as_deref().unwrap_or("unknown"),
            d.nvrtc_version.as_deref().unwrap_or("unknown"),
            self.klines_dir.as_deref().unwrap_or("none found"),
        );
        if let Some(s) = self.open_s {
            let _ = writeln!(
                m,
                "`CudaBackend::new` (NVRTC compile, module load): {}\n",
                duration(s)
            );
        }
        self.correctness_markdown(&mut m);
        self.batch_markdown(&mut m);
        self.tick_markdown(&mut m);
        if !self.errors.is_empty() {
            let _ = writeln!(m, "## Errors\n");
            for e in &self.errors {
                let _ = writeln!(m, "- {}", e.replace('\n', " "));
            }
            m.push('\n');
        }
        let _ = writeln!(
            m,
            "Overall: correctness {}.",
            if self.checks_passed() {
                "PASSED"
            } else {
                "FAILED"
            }
        );
        m
    }

    fn correctness_markdown(&self, m: &mut String) {
        let _ = writeln!(
            m,
            "## Correctness: GPU against CPU, every column\n\nA cell agrees when both are NaN, or `|gpu - cpu| / max(|gpu|, |cpu|, 1) <= {TOLERANCE:e}`.\n\n| case | series | candles | cells | mismatches | worst column | its max rel. error | worst cell (series, candle: cpu / gpu) | result |\n|---|---:|---:|---:|---:|---|---:|---|---|"
        );
        for c in &self.correctness {
            let a = &c.agreement;
            let (col, rel, cell) = a.worst_column().map_or_else(
                || ("none".to_owned(), "0".to_owned(), "-".to_owned()),
                |w| {
                    let cell = w.worst.map_or_else(
                        || "-".to_owned(),
                        |x| format!("{}, {}: {:e} / {:e}", x.series, x.index, x.cpu, x.gpu),
                    );
                    (
                        w.column.to_owned(),
                        format!("{:.2e}", w.max_relative_error),
                        cell,
                    )
                },
            );
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} | {col} | {rel} | {cell} | {} |",
                c.name,
                c.series,
                c.candles,
                a.compared(),
                a.mismatches(),
                if a.passed() { "pass" } else { "**FAIL**" }
            );
        }
        for c in &self.correctness {
            let failing = c.agreement.failing_columns();
            if !failing.is_empty() {
                let _ = writeln!(m, "\n{}: failing columns: {}", c.name, failing.join(", "));
            }
        }
        m.push('\n');
    }

    fn batch_markdown(&self, m: &mut String) {
        let Some(b) = &self.batch else { return };
        #[expect(clippy::cast_precision_loss, reason = "byte counts far below 2^53")]
        let gb = |bytes: u64| bytes as f64 / 1e9;
        let _ = writeln!(
            m,
            "## Batch throughput: {} symbols × {} candles (median of {})\n\n| what | time | candles/s | × memory floor |\n|---|---:|---:|---:|",
            b.symbols, b.candles_per_symbol, b.repeats
        );
        let floor = b.floor_s();
        let row = |m: &mut String, what: &str, s: f64| {
            let _ = writeln!(
                m,
                "| {what} | {} | {:.3e} | {:.1} |",
                duration(s),
                b.per_second(s),
                s / floor
            );
        };
        row(
            m,
            &format!("CPU backend (rayon, {} threads)", b.cpu_threads),
            b.cpu_s,
        );
        row(
            m,
            "GPU kernel (a thread per series and group)",
            b.gpu.kernel_s,
        );
        if let Some(k) = b.per_series_kernel_s {
            row(m, "GPU kernel, a thread per series", k);
        }
        row(m, "GPU upload", b.gpu.upload_s);
        row(m, "GPU download", b.gpu.download_s);
        row(
            m,
            "GPU pack + upload + kernel + download",
            b.gpu_end_to_end_s(),
        );
        row(
            m,
            &format!(
                "memory floor: {:.3} GB read + {:.3} GB written at {:.0} GB/s (device copy)",
                gb(b.floor.bytes_read),
                gb(b.floor.bytes_written),
                b.bandwidth_bytes_per_s / 1e9
            ),
            floor,
        );
        let _ = writeln!(
            m,
            "\nGoal, kernel within 3× of the memory floor: {} ({:.1}×). GPU end to end vs CPU: {:.2}× the CPU's speed.\n",
            yes_no(b.goal_met()),
            b.kernel_over_floor(),
            b.cpu_s / b.gpu_end_to_end_s()
        );
        if !b.task_prefix_kernel_s.is_empty() {
            let _ = writeln!(
                m,
                "The batch kernel with only its first n tasks (each the slowest task so far: a jump at n names task n − 1 in kernels/battery.cu):\n\n| n | kernel | × memory floor |\n|---:|---:|---:|"
            );
            for (i, &s) in b.task_prefix_kernel_s.iter().enumerate() {
                let _ = writeln!(m, "| {} | {} | {:.1} |", i + 1, duration(s), s / floor);
            }
            m.push('\n');
        }
    }

    fn tick_markdown(&self, m: &mut String) {
        let Some(t) = &self.tick else { return };
        let _ = writeln!(
            m,
            "## Live tick: {} symbols, one new 1m candle each, window {} (after {} warm-up ticks)\n\n| backend | ticks | p50 | p99 | max | mean |\n|---|---:|---:|---:|---:|---:|",
            t.symbols, t.window, t.warmup
        );
        let mut rows = vec![
            ("CUDA (`BatteryBackend::run`, transfers included)", &t.gpu),
            ("CPU (`CpuBackend`)", &t.cpu),
        ];
        if let Some(d) = &t.device {
            rows.extend([
                ("of the CUDA tick: copies up (events)", &d.upload),
                ("of the CUDA tick: kernels (events)", &d.kernel),
                ("of the CUDA tick: copy down (events)", &d.download),
            ]);
        }
        for (name, l) in rows {
            let _ = writeln!(
                m,
                "| {name} | {} | {} | {} | {} | {} |",
                l.samples,
                duration(l.p50_us * 1e-6),
                duration(l.p99_us * 1e-6),
                duration(l.max_us * 1e-6),
                duration(l.mean_us * 1e-6)
            );
        }
        let _ = writeln!(
            m,
            "\nGoal, tick under {} µs: p50 {}, p99 {}. CUDA fallbacks to the CPU during the ticks: {}.\n",
            TickLatency::GOAL_US,
            yes_no(t.p50_goal_met()),
            yes_no(t.p99_goal_met()),
            t.cuda_fallbacks
        );
        if !t.group_prefix_kernel_s.is_empty() {
            let _ = writeln!(
                m,
                "A tick's kernels with only the first n indicator groups (each the slowest group so far: a jump at n names group n − 1 in kernels/battery.cu):\n\n| n | kernels |\n|---:|---:|"
            );
            for (i, &s) in t.group_prefix_kernel_s.iter().enumerate() {
                let _ = writeln!(m, "| {} | {} |", i + 1, duration(s));
            }
            m.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::random_walk::random_walk;

    #[test]
    fn relative_error_scales_above_one_and_is_absolute_below() {
        assert_eq!(relative_error(1e6, 1e6 + 1.0), Some(1.0 / (1e6 + 1.0)));
        assert_eq!(relative_error(0.0, 1e-10), Some(1e-10));
        assert_eq!(relative_error(-2.0, -2.0), Some(0.0));
        assert_eq!(relative_error(f64::NAN, f64::NAN), Some(0.0));
        assert_eq!(relative_error(f64::NAN, 1.0), None);
        assert_eq!(relative_error(1.0, f64::NAN), None);
        assert_eq!(relative_error(f64::INFINITY, f64::INFINITY), Some(0.0));
        assert_eq!(relative_error(f64::INFINITY, 1.0), None);
        assert_eq!(relative_error(f64::INFINITY, f64::NEG_INFINITY), None);
    }

    #[test]
    fn agreement_counts_nan_and_tolerance_mismatches_and_names_the_worst_column() {
        let mut a = Agreement::default();
        let cpu = [f64::NAN, 1.0, 100.0, 5.0];
        a.compare(Column::Rsi14, 0, &cpu, &[f64::NAN, 1.0, 100.0, 5.0]);
        assert!(a.passed());
        assert_eq!(a.worst_column(), None);
        // Within tolerance: recorded as the worst cell, not a mismatch.
        a.compare(
            Column::Ema20,
            1,
            &cpu,
            &[f64::NAN, 1.0, 100.0 * (1.0 + 5e-10), 5.0],
        );
        assert!(a.passed());
        assert_eq!(a.worst_column().unwrap().column, "ema_20");
        a.compare(Column::Obv, 2, &cpu, &[0.0, 1.0, 100.0 * (1.0 + 2e-9), 5.0]);
        a.compare(Column::Macd, 3, &cpu, &[f64::NAN, 1.0 + 1e-6, 100.0, 5.0]);
        assert!(!a.passed());
        assert_eq!(a.mismatches(), 3);
        assert_eq!(a.compared(), 16);
        assert_eq!(a.failing_columns(), vec!["macd", "obv"]);
        let obv = &a.columns[Column::Obv as usize];
        assert_eq!((obv.nan_mismatches, obv.over_tolerance), (1, 1));
        // The NaN mismatch is obv's worst cell; obv has the most mismatches.
        let worst = a.worst_column().unwrap();
        assert_eq!(worst.column, "obv");
        let cell = worst.worst.unwrap();
        assert_eq!((cell.series, cell.index), (2, 0));
        assert!(cell.cpu.is_nan() && cell.gpu == 0.0 && cell.relative_error.is_infinite());
        assert!(obv.max_relative_error > 1.9e-9 && obv.max_relative_error < 2.1e-9);
    }

    #[test]
    fn missing_cells_are_mismatches_and_merging_adds_up() {
        let mut a = Agreement::default();
        a.compare(Column::Sma20, 0, &[1.0, 2.0, 3.0], &[1.0]);
        assert_eq!(a.columns[Column::Sma20 as usize].nan_mismatches, 2);
        assert_eq!(a.compared(), 3);
        let mut b = Agreement::default();
        b.compare(Column::Sma20, 5, &[1.0], &[1.0]);
        b.compare(Column::Adx14, 6, &[1.0], &[2.0]);
        let m = a.merged(&b);
        assert_eq!((m.compared(), m.mismatches()), (5, 3));
        assert_eq!(m.worst_column().unwrap().column, "sma_20");
        assert!(
            !Agreement::default().passed(),
            "nothing compared is no pass"
        );
    }

    #[test]
    fn the_memory_floor_counts_inputs_once_and_every_output_cell() {
        let f = MemoryFloor::of_shape(400, 400 * 10_000);
        assert_eq!(f.bytes_read, 4_000_000 * 40 + 401 * 8);
        assert_eq!(f.bytes_written, 4_000_000 * 34 * 8);
        assert_eq!(f.bytes(), 1_248_003_208);
        assert!((f.seconds_at(1e12) - 1.248_003_208e-3).abs() < 1e-15);
        // The arithmetic matches the arrays a real batch holds.
        let a = random_walk(1, 0, 37, 0);
        let b = random_walk(1, 1, 5, 0);
        let p = PackedBatch::pack([a.as_slice(), &[], b.as_slice()]);
        assert_eq!(MemoryFloor::of_batch(&p), MemoryFloor::of_shape(3, 42));
        assert_eq!(copy_bandwidth(1_000, 1e-6), 2e9);
    }

    #[test]
    fn latency_percentiles_are_nearest_rank() {
        let s: Vec<f64> = (1..=200).rev().map(|i| f64::from(i) * 1e-6).collect();
        let l = LatencySummary::of_seconds(&s).unwrap();
        assert_eq!(l.samples, 200);
        assert!((l.p50_us - 100.0).abs() < 1e-9, "{l:?}");
        assert!((l.p99_us - 198.0).abs() < 1e-9, "{l:?}");
        assert!((l.max_us - 200.0).abs() < 1e-9);
        assert!((l.mean_us - 100.5).abs() < 1e-9);
        assert_eq!(nearest_rank(&[7.0], 0.99), 7.0);
        assert_eq!(LatencySummary::of_seconds(&[]), None);
        assert_eq!(cuda_version_text(12080), "12.8");
        assert_eq!(cuda_version_text(13000), "13.0");
    }

    fn report() -> GpuCheckReport {
        let mut bad = Agreement::default();
        bad.compare(Column::Psar, 3, &[1.0, 2.0], &[1.0, 2.5]);
        let mut good = Agreement::default();
        good.compare(Column::Rsi14, 0, &[1.0], &[1.0]);
        let lat = |p50_us, p99_us| LatencySummary {
            samples: 200,
            p50_us,
            p99_us,
            max_us: p99_us,
            mean_us: p50_us,
        };
        GpuCheckReport {
            date_utc: "2026-12-03T09:00:00.000Z".into(),
            mode: "full".into(),
            seed: 7,
            klines_dir: None,
            open_s: Some(1.25),
            device: DeviceInfo {
                name: "NVIDIA H200".into(),
                arch: "sm_90".into(),
                multiprocessors: 132,
                memory_bytes: 150_000_000_000,
                driver_cuda_version: Some("12.8".into()),
                nvrtc_version: None,
            },
            correctness: vec![
                CorrectnessCase {
                    name: "random walk, batch".into(),
                    series: 400,
                    candles: 4_000_000,
                    agreement: good,
                },
                CorrectnessCase {
                    name: "real candles, batch".into(),
                    series: 1,
                    candles: 2,
                    agreement: bad,
                },
            ],
            batch: Some(BatchThroughput {
                per_series_kernel_s: Some(0.02),
                task_prefix_kernel_s: vec![0.0005, 0.0005, 0.0015],
                symbols: 400,
                candles_per_symbol: 10_000,
                cpu_s: 0.04,
                cpu_threads: 16,
                pack_s: 0.01,
                gpu: BatchTimings {
                    upload_s: 0.001,
                    kernel_s: 0.002,
                    download_s: 0.003,
                    wall_s: 0.007,
                },
                repeats: 5,
                floor: MemoryFloor::of_shape(400, 4_000_000),
                bandwidth_bytes_per_s: 1.248_003_208e12,
            }),
            tick: Some(TickLatency {
                symbols: 400,
                window: 500,
                warmup: 20,
                gpu: lat(150.0, 250.0),
                cpu: lat(900.0, 1500.0),
                device: Some(TickPhases {
                    upload: lat(10.0, 20.0),
                    kernel: lat(90.0, 120.0),
                    download: lat(8.0, 9.0),
                }),
                group_prefix_kernel_s: vec![4e-5, 9e-5],
                cuda_fallbacks: 0,
            }),
            errors: Vec::new(),
        }
    }

    #[test]
    fn the_report_states_results_goals_and_the_worst_column() {
        let r = report();
        let b = r.batch.as_ref().unwrap();
        assert!((b.floor_s() - 1e-3).abs() < 1e-12);
        assert!((b.kernel_over_floor() - 2.0).abs() < 1e-9);
        assert!(b.goal_met());
        let t = r.tick.as_ref().unwrap();
        assert!(t.p50_goal_met() && !t.p99_goal_met());
        assert!(!r.checks_passed(), "a failing case fails the check");
        let md = r.markdown();
        for want in [
            "# GPU check: NVIDIA H200",
            "driver supports CUDA 12.8; NVRTC unknown",
            "`CudaBackend::new` (NVRTC compile, module load): 1.250 s",
            "| random walk, batch | 400 | 4000000 | 1 | 0 | none | 0 | - | pass |",
            "| real candles, batch | 1 | 2 | 2 | 1 | psar | 2.00e-1 | 3, 1: 2e0 / 2.5e0 | **FAIL** |",
            "real candles, batch: failing columns: psar",
            "| GPU kernel (a thread per series and group) | 2.000 ms | 2.000e9 | 2.0 |",
            "| GPU kernel, a thread per series | 20.000 ms | 2.000e8 | 20.0 |",
            "at 1248 GB/s (device copy) | 1.000 ms | 4.000e9 | 1.0 |",
            "Goal, kernel within 3× of the memory floor: **met** (2.0×)",
            "| 3 | 1.500 ms | 1.5 |",
            "| CUDA (`BatteryBackend::run`, transfers included) | 200 | 150.0 µs | 250.0 µs |",
            "Goal, tick under 200 µs: p50 **met**, p99 **NOT met**",
            "| of the CUDA tick: kernels (events) | 200 | 90.0 µs | 120.0 µs |",
            "| 2 | 90.0 µs |",
            "Overall: correctness FAILED.",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["device"]["arch"], "sm_90");
        assert_eq!(json["batch"]["floor"]["bytes_written"], 1_088_000_000_u64);
        assert_eq!(
            json["correctness"][1]["agreement"]["columns"][Column::Psar as usize]["over_tolerance"],
            1
        );
    }

    #[test]
    fn errors_and_fallbacks_fail_the_check() {
        let mut r = report();
        r.correctness.pop();
        assert!(r.checks_passed());
        r.tick.as_mut().unwrap().cuda_fallbacks = 1;
        assert!(!r.checks_passed());
        assert!(!r.tick.as_ref().unwrap().p50_goal_met());
        r.tick = None;
        assert!(r.checks_passed());
        r.errors.push("tick: driver error".into());
        assert!(!r.checks_passed());
        assert!(r.markdown().contains("## Errors\n\n- tick: driver error"));
    }
}

//! The batched battery: many symbols' candle windows computed in one call,
//! the work the node's GPU dispatcher hands to its backend. The CPU backend
//! (rayon, one window per task) lives here; the CUDA backend implements the
//! same [`BatteryBackend`] trait.
//!
//! A window starts mid-history, so indicators with memory (EMAs, Wilder
//! smoothing, cumulative lines, stop-and-reverse paths) differ from the
//! streaming battery that has seen every candle. The columns in
//! [`WINDOW_EXACT`] depend only on the last few candles, so for them the
//! batch and streaming values must agree: [`mismatches`] is the check the
//! node runs on every batch result, which is how a wrong GPU kernel shows
//! up in production rather than in a trade.

use crate::indicators::battery::{COLUMN_COUNT, Column, ColumnSet, Row, compute_selected};
use crate::market::{Candle, Interval, OhlcvSeries, Symbol};
use rayon::prelude::*;

/// One symbol's closed candles of one timeframe, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct BatteryJob {
    /// Symbol.
    pub symbol: Symbol,
    /// Timeframe of the candles.
    pub timeframe: Interval,
    /// The candles; the result is the battery at the last one.
    pub candles: Vec<Candle>,
}

impl BatteryJob {
    /// Open time of the last candle (`i64::MIN` for an empty job).
    #[must_use]
    pub fn open_time(&self) -> i64 {
        self.candles.last().map_or(i64::MIN, |c| c.open_time)
    }
}

/// The battery at a job's last candle.
#[derive(Debug, Clone, PartialEq)]
pub struct BatteryResult {
    /// Symbol.
    pub symbol: Symbol,
    /// Timeframe.
    pub timeframe: Interval,
    /// Open time of the candle the row belongs to.
    pub open_time: i64,
    /// Every column (NaN where undefined, and for an empty job).
    pub row: Row,
    /// Candles in the job's window.
    pub window: usize,
}

/// Where a device backend's last batch spent its time, and what it moved.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeviceTimes {
    /// Host to device copies, seconds.
    pub upload_s: f64,
    /// Kernels, seconds.
    pub kernel_s: f64,
    /// Device to host copies, seconds.
    pub download_s: f64,
    /// Bytes sent to the device.
    pub bytes_up: usize,
    /// Bytes read back.
    pub bytes_down: usize,
}

/// A way to compute many jobs at once.
pub trait BatteryBackend: Send {
    /// Short name shown on the node's endpoints ("cpu", "cuda").
    fn name(&self) -> &'static str;

    /// Computes every job; results in job order.
    fn run(&mut self, jobs: &[BatteryJob]) -> Vec<BatteryResult>;

    /// The device times of the last [`Self::run`], for a backend with a
    /// device (none for the CPU: its whole batch is compute).
    fn device_times(&self) -> Option<DeviceTimes> {
        None
    }
}

/// The CPU backend: the batch battery, one job per rayon task.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

impl BatteryBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn run(&mut self, jobs: &[BatteryJob]) -> Vec<BatteryResult> {
        jobs.par_iter().map(compute_job).collect()
    }
}

/// One job on the calling thread.
#[must_use]
pub fn compute_job(job: &BatteryJob) -> BatteryResult {
    let row = if job.candles.is_empty() {
        [f64::NAN; COLUMN_COUNT]
    } else {
        let table = compute_selected(&OhlcvSeries::from(job.candles.as_slice()), ColumnSet::ALL);
        table.row(table.len() - 1)
    };
    BatteryResult {
        symbol: job.symbol.clone(),
        timeframe: job.timeframe,
        open_time: job.open_time(),
        row,
        window: job.candles.len(),
    }
}

/// Columns whose value depends only on a bounded number of recent candles
/// (at most 21 here), so a window of that many candles gives the streaming
/// value.
pub const WINDOW_EXACT: &[Column] = &[
    Column::Willr14,
    Column::Cci20,
    Column::Sma20,
    Column::Alma9,
    Column::BbUpper,
    Column::BbMiddle,
    Column::BbLower,
    Column::BbPercentB,
    Column::BbWidth,
    Column::Cmf20,
    Column::Mfi14,
];

/// Candles a window needs for every [`WINDOW_EXACT`] column to be exact.
pub const WINDOW_EXACT_MIN_CANDLES: usize = 21;

/// The [`WINDOW_EXACT`] columns where `batch` and `streaming` disagree by
/// more than 1e-9 relative (NaN agrees only with NaN).
#[must_use]
pub fn mismatches(streaming: &Row, batch: &Row) -> Vec<Column> {
    WINDOW_EXACT
        .iter()
        .copied()
        .filter(|&c| {
            let (a, b) = (streaming[c as usize], batch[c as usize]);
            if a.is_nan() || b.is_nan() {
                return a.is_nan() != b.is_nan();
            }
            (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::battery::BatteryStream;
    use crate::market::random_walk::random_walk;
    use proptest::prelude::*;

    fn job(candles: &[Candle]) -> BatteryJob {
        BatteryJob {
            symbol: Symbol::new("AUSDT").unwrap(),
            timeframe: Interval::M1,
            candles: candles.to_vec(),
        }
    }

    #[test]
    fn cpu_backend_equals_one_job_at_a_time_in_order() {
        let jobs: Vec<BatteryJob> = (0..6)
            .map(|s| job(&random_walk(3, s, 300 + 50 * s as usize, 0)))
            .collect();
        let out = CpuBackend.run(&jobs);
        assert_eq!(out.len(), jobs.len());
        for (j, r) in jobs.iter().zip(&out) {
            let one = compute_job(j);
            assert_eq!(r.open_time, j.open_time());
            assert!(mismatches(&one.row, &r.row).is_empty());
            // Same inputs, same code: bit-identical, every column.
            assert!(
                one.row
                    .iter()
                    .zip(&r.row)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
    }

    #[test]
    fn an_empty_job_is_all_nan() {
        let r = compute_job(&job(&[]));
        assert!(r.row.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_changed_value_is_reported() {
        let c = random_walk(5, 1, 200, 0);
        let r = compute_job(&job(&c)).row;
        let mut bad = r;
        bad[Column::Cci20 as usize] *= 1.0 + 1e-6;
        assert_eq!(mismatches(&r, &bad), vec![Column::Cci20]);
        bad[Column::Willr14 as usize] = f64::NAN;
        assert_eq!(mismatches(&r, &bad).len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The contract of [`WINDOW_EXACT`]: a short window's batch value
        /// equals the streaming value after the whole history.
        #[test]
        fn window_exact_columns_match_streaming(
            seed in any::<u64>(), history in 30usize..600, window in WINDOW_EXACT_MIN_CANDLES..80,
        ) {
            let c = random_walk(seed, 0, history, 0);
            let mut stream = BatteryStream::new();
            let mut last = [f64::NAN; COLUMN_COUNT];
            for k in &c {
                last = stream.update(k);
            }
            let w = window.min(history);
            let batch = compute_job(&job(&c[history - w..])).row;
            prop_assert!(mismatches(&last, &batch).is_empty(), "{:?}", mismatches(&last, &batch));
        }
    }
}

//! The host side of the GPU battery's memory layout (kernels/battery.cu):
//! many symbols' candles packed back to back in structure-of-arrays form,
//! an offsets array for the ragged histories, and the column-major output
//! read back into rows. Pure bookkeeping, so it is tested without a device.
//!
//! Layout: symbol `s` owns candles `offsets[s]..offsets[s + 1]` of every
//! input array; the kernel writes column `c` of that symbol's candle `t` at
//! `out[c * total + offsets[s] + t]`, `total` being the candle count of the
//! whole batch.

use crate::indicators::battery::{COLUMN_COUNT, Column, ColumnSet, Row};
use crate::market::Candle;

/// The columns the battery kernel computes; the others are the CPU's.
pub const KERNEL_COLUMNS: &[Column] = &[
    Column::Rsi14,
    Column::StochRsiK,
    Column::StochRsiD,
    Column::Willr14,
    Column::Cci20,
    Column::Macd,
    Column::MacdSignal,
    Column::MacdHist,
    Column::Ema20,
    Column::Sma20,
    Column::Alma9,
    Column::Vidya14,
    Column::T35,
    Column::Supertrend,
    Column::SupertrendDir,
    Column::Psar,
    Column::PlusDi14,
    Column::MinusDi14,
    Column::Adx14,
    Column::BbUpper,
    Column::BbMiddle,
    Column::BbLower,
    Column::BbPercentB,
    Column::BbWidth,
    Column::KcUpper,
    Column::KcMiddle,
    Column::KcLower,
    Column::Atr14,
    Column::Natr14,
    Column::Vwap,
    Column::Ad,
    Column::Cmf20,
    Column::Obv,
    Column::Mfi14,
];

/// The columns the kernel leaves to the CPU.
#[must_use]
pub fn cpu_only_columns() -> ColumnSet {
    let rest: Vec<Column> = Column::ALL
        .iter()
        .copied()
        .filter(|c| !KERNEL_COLUMNS.contains(c))
        .collect();
    ColumnSet::from_columns(&rest)
}

/// One row from both halves: the [`KERNEL_COLUMNS`] from `kernel`, every
/// other column from `cpu`.
#[must_use]
pub fn merge_row(kernel: &Row, cpu: &Row) -> Row {
    let mut row = *cpu;
    for &c in KERNEL_COLUMNS {
        row[c as usize] = kernel[c as usize];
    }
    row
}

/// A batch of candle series in the kernel's input layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackedBatch {
    /// `symbols + 1` entries: where each symbol's candles start, then the
    /// total.
    pub offsets: Vec<i64>,
    /// Open times (ms since the Unix epoch) of every candle, symbol after
    /// symbol.
    pub open_time: Vec<i64>,
    /// Highs, same order.
    pub high: Vec<f64>,
    /// Lows, same order.
    pub low: Vec<f64>,
    /// Closes, same order.
    pub close: Vec<f64>,
    /// Base volumes, same order.
    pub volume: Vec<f64>,
}

impl PackedBatch {
    /// Packs `series` (each oldest first) in order.
    #[must_use]
    pub fn pack<'a>(series: impl IntoIterator<Item = &'a [Candle]>) -> Self {
        let mut b = Self {
            offsets: vec![0],
            ..Self::default()
        };
        for candles in series {
            for c in candles {
                b.open_time.push(c.open_time);
                b.high.push(c.high);
                b.low.push(c.low);
                b.close.push(c.close);
                b.volume.push(c.volume);
            }
            b.offsets.push(b.total_i64());
        }
        b
    }

    /// Number of series.
    #[must_use]
    pub fn symbols(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Candles in the whole batch.
    #[must_use]
    pub fn total(&self) -> usize {
        self.close.len()
    }

    fn total_i64(&self) -> i64 {
        i64::try_from(self.close.len()).expect("a batch holds fewer than 2^63 candles")
    }

    /// Candle range of series `s` in the input arrays.
    ///
    /// # Panics
    /// When `s >= self.symbols()`.
    #[must_use]
    pub fn range(&self, s: usize) -> std::ops::Range<usize> {
        let at = |i: usize| usize::try_from(self.offsets[i]).expect("offsets are non-negative");
        at(s)..at(s + 1)
    }

    /// Length of the output buffer: every column of every candle.
    #[must_use]
    pub fn output_len(&self) -> usize {
        COLUMN_COUNT * self.total()
    }

    /// Index of column `c`, candle `t` of series `s` in the output buffer.
    ///
    /// # Panics
    /// When `s` is out of range.
    #[must_use]
    pub fn output_index(&self, c: Column, s: usize, t: usize) -> usize {
        c as usize * self.total() + self.range(s).start + t
    }

    /// The row of series `s` at its last candle, from the kernel's output
    /// (`None` for an empty series).
    ///
    /// # Panics
    /// When `out` is shorter than [`Self::output_len`] or `s` is out of
    /// range.
    #[must_use]
    pub fn last_row(&self, out: &[f64], s: usize) -> Option<Row> {
        let r = self.range(s);
        let t = r.len().checked_sub(1)?;
        Some(std::array::from_fn(|c| {
            out[self.output_index(Column::ALL[c], s, t)]
        }))
    }

    /// Column `c` of series `s` over all its candles.
    ///
    /// # Panics
    /// As [`Self::last_row`].
    #[must_use]
    pub fn column<'o>(&self, out: &'o [f64], c: Column, s: usize) -> &'o [f64] {
        let r = self.range(s);
        let base = c as usize * self.total();
        &out[base + r.start..base + r.end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::random_walk::random_walk;

    #[test]
    fn ragged_series_pack_back_to_back() {
        let a = random_walk(1, 0, 3, 0);
        let b: Vec<Candle> = Vec::new();
        let c = random_walk(1, 1, 5, 0);
        let p = PackedBatch::pack([a.as_slice(), b.as_slice(), c.as_slice()]);
        assert_eq!(p.offsets, vec![0, 3, 3, 8]);
        assert_eq!((p.symbols(), p.total()), (3, 8));
        assert_eq!(p.range(1), 3..3);
        assert_eq!(p.range(2), 3..8);
        assert_eq!(p.close[3], c[0].close);
        assert_eq!(p.open_time[3], c[0].open_time);
        assert_eq!(p.volume[7], c[4].volume);
        assert_eq!(p.output_len(), 8 * COLUMN_COUNT);
        assert_eq!(p.output_index(Column::Rsi14, 2, 1), 4);
        assert_eq!(p.output_index(Column::StochRsiK, 0, 2), 8 + 2);
    }

    #[test]
    fn last_rows_and_columns_read_the_right_cells() {
        let a = random_walk(2, 0, 4, 0);
        let c = random_walk(2, 1, 2, 0);
        let p = PackedBatch::pack([a.as_slice(), &[], c.as_slice()]);
        // Each cell holds its own index, so a wrong read shows.
        #[expect(clippy::cast_precision_loss, reason = "small indices")]
        let out: Vec<f64> = (0..p.output_len()).map(|i| i as f64).collect();
        assert_eq!(p.last_row(&out, 1), None);
        let row = p.last_row(&out, 2).unwrap();
        for (ci, &col) in Column::ALL.iter().enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "small indices")]
            let want = (ci * 6 + 5) as f64;
            assert_eq!(row[ci], want, "{col:?}");
        }
        assert_eq!(p.column(&out, Column::Obv, 0), &out[32 * 6..32 * 6 + 4]);
    }

    #[test]
    fn kernel_columns_are_distinct_and_in_order() {
        assert!(KERNEL_COLUMNS.windows(2).all(|w| w[0] < w[1]));
        let cpu = cpu_only_columns();
        for &c in Column::ALL {
            assert_eq!(cpu.contains(c), !KERNEL_COLUMNS.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn a_merged_row_takes_each_column_from_its_side() {
        let kernel = [1.0; COLUMN_COUNT];
        let cpu = [2.0; COLUMN_COUNT];
        let row = merge_row(&kernel, &cpu);
        for &c in Column::ALL {
            let want = if KERNEL_COLUMNS.contains(&c) {
                1.0
            } else {
                2.0
            };
            assert_eq!(row[c as usize], want, "{c:?}");
        }
    }
}

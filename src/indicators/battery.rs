//! The battery: every column of the `qtrade indicators` contract
//! (shared/INDICATORS.md), in batch over a whole series and streaming one
//! candle at a time, with one column order for both.

use crate::indicators::or_nan;
use crate::indicators::trend::{ema::Ema, ema::ema, sma::Sma, sma::sma};
use crate::indicators::volatility::atr::{Atr, atr};
use crate::market::{Candle, OhlcvSeries};

macro_rules! columns {
    ($($variant:ident => $name:literal,)*) => {
        /// One output column of the battery, in output order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(usize)]
        pub enum Column {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        /// Column names in output order (the CSV header after `open_time`).
        pub const COLUMNS: &[&str] = &[$($name,)*];

        impl Column {
            /// Every column in output order.
            pub const ALL: &[Column] = &[$(Column::$variant,)*];

            /// The column's CSV name.
            #[must_use]
            pub fn name(self) -> &'static str {
                COLUMNS[self as usize]
            }
        }
    };
}

columns! {
    Rsi14 => "rsi_14",
    StochRsiK => "stochrsi_k",
    StochRsiD => "stochrsi_d",
    Willr14 => "willr_14",
    Cci20 => "cci_20",
    Macd => "macd",
    MacdSignal => "macd_signal",
    MacdHist => "macd_hist",
    Ema20 => "ema_20",
    Sma20 => "sma_20",
    Alma9 => "alma_9",
    Vidya14 => "vidya_14",
    T35 => "t3_5",
    Supertrend => "supertrend",
    SupertrendDir => "supertrend_dir",
    Psar => "psar",
    PlusDi14 => "plus_di_14",
    MinusDi14 => "minus_di_14",
    Adx14 => "adx_14",
    BbUpper => "bb_upper",
    BbMiddle => "bb_middle",
    BbLower => "bb_lower",
    BbPercentB => "bb_percent_b",
    BbWidth => "bb_width",
    KcUpper => "kc_upper",
    KcMiddle => "kc_middle",
    KcLower => "kc_lower",
    Atr14 => "atr_14",
    Natr14 => "natr_14",
    Vwap => "vwap",
    Ad => "ad",
    Cmf20 => "cmf_20",
    Obv => "obv",
    Mfi14 => "mfi_14",
}

/// Number of battery columns.
pub const COLUMN_COUNT: usize = COLUMNS.len();

/// One row of the battery: a value per column, NaN where empty.
pub type Row = [f64; COLUMN_COUNT];

/// The battery over a whole series, column-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Open time of each row.
    pub open_time: Vec<i64>,
    /// One vector per column, in [`Column`] order.
    pub columns: Vec<Vec<f64>>,
}

impl Table {
    /// The values of one column.
    #[must_use]
    pub fn column(&self, c: Column) -> &[f64] {
        &self.columns[c as usize]
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.open_time.len()
    }

    /// True when there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.open_time.is_empty()
    }

    /// Row `i` across every column.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    #[must_use]
    pub fn row(&self, i: usize) -> Row {
        std::array::from_fn(|c| self.columns[c][i])
    }
}

/// A set of battery columns (a bit per [`Column`]), for callers that need
/// only some: shared inputs (RSI for StochRSI, ATR for Keltner) are still
/// computed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnSet(u64);

impl ColumnSet {
    /// Every column.
    pub const ALL: ColumnSet = ColumnSet((1u64 << COLUMN_COUNT) - 1);

    /// The set of `columns`.
    #[must_use]
    pub fn from_columns(columns: &[Column]) -> Self {
        Self(columns.iter().fold(0, |m, &c| m | 1u64 << c as usize))
    }

    /// True when `c` is in the set.
    #[inline]
    #[must_use]
    pub fn contains(self, c: Column) -> bool {
        self.0 & (1u64 << c as usize) != 0
    }

    /// True when any of `cs` is in the set.
    #[inline]
    #[must_use]
    pub fn any(self, cs: &[Column]) -> bool {
        cs.iter().any(|&c| self.contains(c))
    }
}

/// Computes every column over `s` with the batch forms.
#[must_use]
pub fn compute(s: &OhlcvSeries) -> Table {
    compute_selected(s, ColumnSet::ALL)
}

/// Computes the columns in `want` over `s`; the others stay NaN.
#[must_use]
pub fn compute_selected(s: &OhlcvSeries, want: ColumnSet) -> Table {
    let n = s.len();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); COLUMN_COUNT];
    let mut put = |c: Column, v: Vec<f64>| columns[c as usize] = v;
    if want.contains(Column::Ema20) {
        put(Column::Ema20, ema(&s.close, 20));
    }
    if want.contains(Column::Sma20) {
        put(Column::Sma20, sma(&s.close, 20));
    }
    if want.contains(Column::Atr14) {
        put(Column::Atr14, atr(&s.high, &s.low, &s.close, 14));
    }
    for col in &mut columns {
        if col.is_empty() {
            *col = vec![f64::NAN; n];
        }
    }
    Table {
        open_time: s.open_time.clone(),
        columns,
    }
}

/// The battery's streaming form: one candle in, one [`Row`] out.
#[derive(Debug, Clone)]
pub struct BatteryStream {
    ema20: Ema,
    sma20: Sma,
    atr14: Atr,
}

impl Default for BatteryStream {
    fn default() -> Self {
        Self::new()
    }
}

impl BatteryStream {
    /// A battery with no candles seen.
    #[must_use]
    pub fn new() -> Self {
        Self {
            ema20: Ema::new(20),
            sma20: Sma::new(20),
            atr14: Atr::new(14),
        }
    }

    /// Feeds one closed candle; returns every column's value at it.
    pub fn update(&mut self, c: &Candle) -> Row {
        let mut row = [f64::NAN; COLUMN_COUNT];
        row[Column::Ema20 as usize] = or_nan(self.ema20.update(c.close));
        row[Column::Sma20 as usize] = or_nan(self.sma20.update(c.close));
        row[Column::Atr14 as usize] = or_nan(self.atr14.update(c.high, c.low, c.close));
        row
    }
}

//! The battery: every column of the `qtrade indicators` contract
//! (shared/INDICATORS.md), in batch over a whole series and streaming one
//! candle at a time, with one column order for both.

use crate::indicators::momentum::cci::{Cci, cci};
use crate::indicators::momentum::macd::{Macd, MacdParams, macd};
use crate::indicators::momentum::mfi::{Mfi, mfi};
use crate::indicators::momentum::rsi::{Rsi, rsi};
use crate::indicators::momentum::stochrsi::{StochRsi, StochRsiParams, stochrsi_from_rsi};
use crate::indicators::momentum::willr::{WillR, willr};
use crate::indicators::or_nan;
use crate::indicators::trend::alma::{Alma, alma};
use crate::indicators::trend::dmi::{Dmi, dmi};
use crate::indicators::trend::psar::{Psar, psar};
use crate::indicators::trend::supertrend::{Supertrend, SupertrendParams, supertrend_from_atr};
use crate::indicators::trend::t3::{T3, t3};
use crate::indicators::trend::vidya::{Vidya, vidya};
use crate::indicators::trend::{ema::Ema, ema::ema, sma::Sma, sma::sma};
use crate::indicators::volatility::atr::{Atr, atr, natr_from_atr, natr_value};
use crate::indicators::volatility::bollinger::{Bollinger, bollinger, bollinger_bands};
use crate::indicators::volatility::keltner::{KeltnerParams, keltner_from};
use crate::indicators::volume::{
    ad::Ad, ad::ad, cmf::Cmf, cmf::cmf, obv::Obv, obv::obv, vwap::Vwap, vwap::vwap,
};
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
    // Indicators with several outputs compute them together; keep only the
    // wanted ones so a subset's table says exactly what was asked.
    let mut put = |c: Column, v: Vec<f64>| {
        if want.contains(c) {
            columns[c as usize] = v;
        }
    };
    let (h, l, c, v) = (&s.high, &s.low, &s.close, &s.volume);
    if want.any(&[Column::Rsi14, Column::StochRsiK, Column::StochRsiD]) {
        let rsi14 = rsi(c, 14);
        if want.any(&[Column::StochRsiK, Column::StochRsiD]) {
            let out = stochrsi_from_rsi(&rsi14, StochRsiParams::default());
            put(Column::StochRsiK, out.k);
            put(Column::StochRsiD, out.d);
        }
        put(Column::Rsi14, rsi14);
    }
    if want.contains(Column::Willr14) {
        put(Column::Willr14, willr(h, l, c, 14));
    }
    if want.contains(Column::Cci20) {
        put(Column::Cci20, cci(h, l, c, 20));
    }
    if want.any(&[Column::Macd, Column::MacdSignal, Column::MacdHist]) {
        let out = macd(c, MacdParams::default());
        put(Column::Macd, out.macd);
        put(Column::MacdSignal, out.signal);
        put(Column::MacdHist, out.hist);
    }
    if want.contains(Column::Mfi14) {
        put(Column::Mfi14, mfi(h, l, c, v, 14));
    }
    let kc = [Column::KcUpper, Column::KcMiddle, Column::KcLower];
    let ema20 = want
        .any(&[
            Column::Ema20,
            Column::KcUpper,
            Column::KcMiddle,
            Column::KcLower,
        ])
        .then(|| ema(c, 20));
    let atr10 = want
        .any(&[
            Column::Supertrend,
            Column::SupertrendDir,
            Column::KcUpper,
            Column::KcMiddle,
            Column::KcLower,
        ])
        .then(|| atr(h, l, c, 10));
    let atr14 = want
        .any(&[Column::Atr14, Column::Natr14])
        .then(|| atr(h, l, c, 14));
    if want.contains(Column::Sma20) {
        put(Column::Sma20, sma(c, 20));
    }
    if want.contains(Column::Alma9) {
        put(Column::Alma9, alma(c, 9, 0.85, 6.0));
    }
    if want.contains(Column::Vidya14) {
        put(Column::Vidya14, vidya(c, 14, 9));
    }
    if want.contains(Column::T35) {
        put(Column::T35, t3(c, 5, 0.7));
    }
    if want.contains(Column::Psar) {
        put(Column::Psar, psar(h, l, 0.02, 0.2));
    }
    if want.any(&[Column::PlusDi14, Column::MinusDi14, Column::Adx14]) {
        let d = dmi(h, l, c, 14);
        put(Column::PlusDi14, d.plus_di);
        put(Column::MinusDi14, d.minus_di);
        put(Column::Adx14, d.adx);
    }
    if let Some(atr10) = &atr10 {
        if want.any(&[Column::Supertrend, Column::SupertrendDir]) {
            let st = supertrend_from_atr(h, l, c, atr10, SupertrendParams::default().multiplier);
            put(Column::Supertrend, st.value);
            put(Column::SupertrendDir, st.dir);
        }
        if let (Some(ema20), true) = (&ema20, want.any(&kc)) {
            let k = keltner_from(ema20, atr10, KeltnerParams::default().multiplier);
            put(Column::KcUpper, k.upper);
            put(Column::KcMiddle, k.middle);
            put(Column::KcLower, k.lower);
        }
    }
    if want.any(&[Column::BbPercentB, Column::BbWidth]) {
        let b = bollinger(c, 20, 2.0);
        put(Column::BbUpper, b.upper);
        put(Column::BbMiddle, b.middle);
        put(Column::BbLower, b.lower);
        put(Column::BbPercentB, b.percent_b);
        put(Column::BbWidth, b.width);
    } else if want.any(&[Column::BbUpper, Column::BbMiddle, Column::BbLower]) {
        // Bands alone skip two divisions per candle.
        let b = bollinger_bands(c, 20, 2.0);
        put(Column::BbUpper, b.upper);
        put(Column::BbMiddle, b.middle);
        put(Column::BbLower, b.lower);
    }
    if let Some(atr14) = atr14 {
        if want.contains(Column::Natr14) {
            put(Column::Natr14, natr_from_atr(&atr14, c));
        }
        put(Column::Atr14, atr14);
    }
    if let Some(ema20) = ema20 {
        put(Column::Ema20, ema20);
    }
    if want.contains(Column::Vwap) {
        put(Column::Vwap, vwap(&s.open_time, h, l, c, v));
    }
    if want.contains(Column::Ad) {
        put(Column::Ad, ad(h, l, c, v));
    }
    if want.contains(Column::Cmf20) {
        put(Column::Cmf20, cmf(h, l, c, v, 20));
    }
    if want.contains(Column::Obv) {
        put(Column::Obv, obv(c, v));
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
    rsi14: Rsi,
    stochrsi: StochRsi,
    willr14: WillR,
    cci20: Cci,
    macd: Macd,
    mfi14: Mfi,
    ema20: Ema,
    sma20: Sma,
    alma9: Alma,
    vidya14: Vidya,
    t3: T3,
    psar: Psar,
    dmi14: Dmi,
    atr10: Atr,
    atr14: Atr,
    supertrend: Supertrend,
    bollinger: Bollinger,
    vwap: Vwap,
    ad: Ad,
    cmf20: Cmf,
    obv: Obv,
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
            rsi14: Rsi::new(14),
            stochrsi: StochRsi::new(StochRsiParams::default()),
            willr14: WillR::new(14),
            cci20: Cci::new(20),
            macd: Macd::new(MacdParams::default()),
            mfi14: Mfi::new(14),
            ema20: Ema::new(20),
            sma20: Sma::new(20),
            alma9: Alma::new(9, 0.85, 6.0),
            vidya14: Vidya::new(14, 9),
            t3: T3::new(5, 0.7),
            psar: Psar::new(0.02, 0.2),
            dmi14: Dmi::new(14),
            atr10: Atr::new(10),
            atr14: Atr::new(14),
            supertrend: Supertrend::new(SupertrendParams::default()),
            bollinger: Bollinger::new(20, 2.0),
            vwap: Vwap::new(),
            ad: Ad::new(),
            cmf20: Cmf::new(20),
            obv: Obv::new(),
        }
    }

    /// Feeds one closed candle; returns every column's value at it.
    pub fn update(&mut self, c: &Candle) -> Row {
        let mut row = [f64::NAN; COLUMN_COUNT];
        let mut set = |col: Column, v: Option<f64>| row[col as usize] = or_nan(v);
        let rsi14 = self.rsi14.update(c.close);
        set(Column::Rsi14, rsi14);
        let srsi = rsi14.and_then(|r| self.stochrsi.update_with_rsi(r));
        set(Column::StochRsiK, srsi.map(|x| x.k));
        set(Column::StochRsiD, srsi.map(|x| x.d));
        set(Column::Willr14, self.willr14.update(c.high, c.low, c.close));
        set(Column::Cci20, self.cci20.update(c.high, c.low, c.close));
        let m = self.macd.update(c.close);
        set(Column::Macd, m.map(|x| x.macd));
        set(Column::MacdSignal, m.map(|x| x.signal));
        set(Column::MacdHist, m.map(|x| x.hist));
        set(
            Column::Mfi14,
            self.mfi14.update(c.high, c.low, c.close, c.volume),
        );
        let ema20 = self.ema20.update(c.close);
        set(Column::Ema20, ema20);
        set(Column::Sma20, self.sma20.update(c.close));
        set(Column::Alma9, self.alma9.update(c.close));
        set(Column::Vidya14, self.vidya14.update(c.close));
        set(Column::T35, self.t3.update(c.close));
        set(Column::Psar, self.psar.update(c.high, c.low));
        let d = self.dmi14.update(c.high, c.low, c.close);
        set(Column::PlusDi14, d.map(|x| x.plus_di));
        set(Column::MinusDi14, d.map(|x| x.minus_di));
        set(Column::Adx14, d.and_then(|x| x.adx));
        let atr10 = self.atr10.update(c.high, c.low, c.close);
        let st = atr10.and_then(|a| self.supertrend.update_with_atr(c.high, c.low, c.close, a));
        set(Column::Supertrend, st.map(|x| x.value));
        set(Column::SupertrendDir, st.map(|x| x.dir));
        let bb = self.bollinger.update(c.close);
        set(Column::BbUpper, bb.map(|x| x.upper));
        set(Column::BbMiddle, bb.map(|x| x.middle));
        set(Column::BbLower, bb.map(|x| x.lower));
        set(Column::BbPercentB, bb.map(|x| x.percent_b));
        set(Column::BbWidth, bb.map(|x| x.width));
        let kc = ema20.zip(atr10);
        let m = KeltnerParams::default().multiplier;
        set(Column::KcUpper, kc.map(|(e, a)| e + m * a));
        set(Column::KcMiddle, kc.map(|(e, _)| e));
        set(Column::KcLower, kc.map(|(e, a)| e - m * a));
        let atr14 = self.atr14.update(c.high, c.low, c.close);
        set(Column::Atr14, atr14);
        set(Column::Natr14, atr14.map(|a| natr_value(a, c.close)));
        set(
            Column::Vwap,
            self.vwap
                .update(c.open_time, c.high, c.low, c.close, c.volume),
        );
        set(Column::Ad, self.ad.update(c.high, c.low, c.close, c.volume));
        set(
            Column::Cmf20,
            self.cmf20.update(c.high, c.low, c.close, c.volume),
        );
        set(Column::Obv, self.obv.update(c.close, c.volume));
        row
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, candles};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every column: the streaming battery equals the batch battery.
        #[test]
        fn streaming_equals_batch(c in candles(400)) {
            let table = compute(&OhlcvSeries::from(c.as_slice()));
            let mut stream = BatteryStream::new();
            let rows: Vec<Row> = c.iter().map(|k| stream.update(k)).collect();
            for &col in Column::ALL {
                let streamed: Vec<f64> = rows.iter().map(|r| r[col as usize]).collect();
                assert_columns_agree(col.name(), &streamed, table.column(col));
            }
        }

        /// A subset computes exactly those columns and leaves the rest empty.
        #[test]
        fn subsets_match_the_full_table(c in candles(120), mask in 0u64..(1u64 << COLUMN_COUNT)) {
            let s = OhlcvSeries::from(c.as_slice());
            let full = compute(&s);
            let want = ColumnSet(mask);
            let part = compute_selected(&s, want);
            for &col in Column::ALL {
                if want.contains(col) {
                    assert_columns_agree(col.name(), part.column(col), full.column(col));
                } else {
                    prop_assert!(part.column(col).iter().all(|v| v.is_nan()));
                }
            }
        }
    }
}

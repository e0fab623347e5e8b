//! Keltner channels: middle = TA-Lib EMA(close, 20); upper/lower =
//! middle ± 2·TA-Lib ATR(10). Defined where both are (from index 19 with
//! the default periods).

use crate::indicators::trend::ema::{Ema, ema};
use crate::indicators::volatility::atr::{Atr, atr};

/// Keltner parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeltnerParams {
    /// EMA period of the middle line.
    pub ema_period: usize,
    /// ATR period of the band width.
    pub atr_period: usize,
    /// ATR multiple.
    pub multiplier: f64,
}

impl Default for KeltnerParams {
    fn default() -> Self {
        Self {
            ema_period: 20,
            atr_period: 10,
            multiplier: 2.0,
        }
    }
}

/// One candle's channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeltnerValue {
    /// middle + m·ATR.
    pub upper: f64,
    /// The EMA.
    pub middle: f64,
    /// middle − m·ATR.
    pub lower: f64,
}

/// Batch output.
#[derive(Debug, Clone, PartialEq)]
pub struct KeltnerOutput {
    /// Upper line.
    pub upper: Vec<f64>,
    /// Middle line.
    pub middle: Vec<f64>,
    /// Lower line.
    pub lower: Vec<f64>,
}

/// Streaming Keltner channels.
#[derive(Debug, Clone)]
pub struct Keltner {
    ema: Ema,
    atr: Atr,
    multiplier: f64,
}

impl Keltner {
    /// New channels.
    ///
    /// # Panics
    /// When a period is 0.
    #[must_use]
    pub fn new(p: KeltnerParams) -> Self {
        Self {
            ema: Ema::new(p.ema_period),
            atr: Atr::new(p.atr_period),
            multiplier: p.multiplier,
        }
    }

    /// Feeds one candle.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<KeltnerValue> {
        let middle = self.ema.update(close);
        let atr = self.atr.update(high, low, close);
        let (middle, atr) = (middle?, atr?);
        Some(KeltnerValue {
            upper: middle + self.multiplier * atr,
            middle,
            lower: middle - self.multiplier * atr,
        })
    }
}

/// Batch Keltner channels from already computed EMA and ATR columns.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn keltner_from(ema: &[f64], atr: &[f64], multiplier: f64) -> KeltnerOutput {
    assert_eq!(ema.len(), atr.len());
    let n = ema.len();
    let mut out = KeltnerOutput {
        upper: vec![f64::NAN; n],
        middle: vec![f64::NAN; n],
        lower: vec![f64::NAN; n],
    };
    for i in 0..n {
        let (m, a) = (ema[i], atr[i]);
        if !m.is_nan() && !a.is_nan() {
            out.upper[i] = m + multiplier * a;
            out.middle[i] = m;
            out.lower[i] = m - multiplier * a;
        }
    }
    out
}

/// Batch Keltner channels.
///
/// # Panics
/// When a period is 0 or the slices differ in length.
#[must_use]
pub fn keltner(high: &[f64], low: &[f64], close: &[f64], p: KeltnerParams) -> KeltnerOutput {
    keltner_from(
        &ema(close, p.ema_period),
        &atr(high, low, close, p.atr_period),
        p.multiplier,
    )
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    #[test]
    fn first_defined_where_both_are() {
        let c: Vec<f64> = (0..30).map(|i| 10.0 + f64::from(i)).collect();
        let out = keltner(&c, &c, &c, KeltnerParams::default());
        assert!(out.middle[18].is_nan());
        assert!(!out.middle[19].is_nan());
        // Highs = lows = closes rising by 1: every true range is 1.
        assert!((out.upper[19] - out.middle[19] - 2.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300)) {
            let mut st = Keltner::new(KeltnerParams::default());
            let rows: Vec<Option<KeltnerValue>> = (0..s.len()).map(|i| st.update(s.high[i], s.low[i], s.close[i])).collect();
            let b = keltner(&s.high, &s.low, &s.close, KeltnerParams::default());
            let col = |f: fn(&KeltnerValue) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("upper", &col(|v| v.upper), &b.upper);
            assert_columns_agree("middle", &col(|v| v.middle), &b.middle);
            assert_columns_agree("lower", &col(|v| v.lower), &b.lower);
        }
    }
}

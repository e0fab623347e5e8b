//! Bollinger bands, as TA-Lib's `BBANDS(close, 20, 2, 2, SMA)`, plus %b and
//! width.
//!
//! middle = SMA(period); σ = population standard deviation of the window
//! around that SMA; upper/lower = middle ± k·σ. First defined at index
//! `period − 1`. A window of equal closes has σ = 0 exactly (even though the
//! running-sum SMA may differ from the closes in the last bit), so the bands
//! coincide there and %b is empty.
//!
//! σ comes from shifted rolling sums (see `RollingVariance`), accurate where
//! a running sum of squares would cancel: TA-Lib 0.8.1 reports the true σ of
//! tiny jitters at 5e4 ± 1e-9, and so does this.

use crate::indicators::trend::sma::{Sma, sma};
use crate::indicators::window::Window;

/// One candle's Bollinger values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerValue {
    /// middle + k·σ.
    pub upper: f64,
    /// The SMA.
    pub middle: f64,
    /// middle − k·σ.
    pub lower: f64,
    /// (close − lower) / (upper − lower); NaN when the bands coincide.
    pub percent_b: f64,
    /// (upper − lower) / middle; NaN when middle = 0.
    pub width: f64,
}

/// Batch output: one vector per value.
#[derive(Debug, Clone, PartialEq)]
pub struct BollingerOutput {
    /// Upper band.
    pub upper: Vec<f64>,
    /// Middle band (SMA).
    pub middle: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
    /// %b.
    pub percent_b: Vec<f64>,
    /// Band width.
    pub width: Vec<f64>,
}

#[inline]
fn value(close: f64, middle: f64, sd: f64, k: f64) -> BollingerValue {
    let dev = k * sd;
    let (upper, lower) = (middle + dev, middle - dev);
    BollingerValue {
        upper,
        middle,
        lower,
        percent_b: ratio_b(close, upper, lower),
        width: ratio_width(upper, middle, lower),
    }
}

/// %b: (close − lower) / (upper − lower); NaN when the bands coincide.
#[inline]
fn ratio_b(close: f64, upper: f64, lower: f64) -> f64 {
    if upper == lower {
        f64::NAN
    } else {
        (close - lower) / (upper - lower)
    }
}

/// Width: (upper − lower) / middle; NaN when middle = 0.
#[inline]
fn ratio_width(upper: f64, middle: f64, lower: f64) -> f64 {
    if middle == 0.0 {
        f64::NAN
    } else {
        (upper - lower) / middle
    }
}

/// Rolling population variance by shifted sums: S1 = Σ(x − K) and
/// S2 = Σ(x − K)² over the window, with the shift K re-anchored to the
/// newest value (and both sums recomputed exactly) every `period` candles.
///
/// Why: a running Σx² cancels catastrophically at prices like 60,000 (TA-Lib
/// 0.8.1 reports the true σ of ±1e-9 jitters there), a two-pass σ costs
/// O(period) per candle, and shifted sums are O(1) amortised with errors
/// bounded by the window's own range. A window of equal closes (a run of
/// `period` equal values) has σ = 0 exactly, so the bands coincide and %b is
/// empty, as in TA-Lib.
#[derive(Debug, Clone)]
struct RollingVariance {
    window: Window,
    shift: f64,
    s1: f64,
    s2: f64,
    seen: usize,
    equal_run: usize,
}

impl RollingVariance {
    fn new(period: usize) -> Self {
        Self {
            window: Window::new(period),
            shift: 0.0,
            s1: 0.0,
            s2: 0.0,
            seen: 0,
            equal_run: 0,
        }
    }

    /// Adds `x`; returns σ once the window is full.
    #[inline]
    fn push(&mut self, x: f64) -> Option<f64> {
        self.equal_run = if self.window.last() == Some(x) {
            self.equal_run + 1
        } else {
            1
        };
        let old = self.window.push(x);
        let period = self.window.capacity();
        if self.seen.is_multiple_of(period) {
            self.shift = x;
            self.s1 = 0.0;
            self.s2 = 0.0;
            for v in self.window.iter() {
                let d = v - x;
                self.s1 += d;
                self.s2 += d * d;
            }
        } else {
            let d = x - self.shift;
            self.s1 += d;
            self.s2 += d * d;
            if let Some(o) = old {
                let d = o - self.shift;
                self.s1 -= d;
                self.s2 -= d * d;
            }
        }
        self.seen += 1;
        if !self.window.is_full() {
            return None;
        }
        Some(shifted_sd(self.s1, self.s2, period, self.equal_run))
    }
}

/// σ from the shifted sums of a full window; 0 for a run of `period` equal
/// values.
#[inline]
fn shifted_sd(s1: f64, s2: f64, period: usize, equal_run: usize) -> f64 {
    if equal_run >= period {
        return 0.0;
    }
    // Multiplying by 1/n instead of dividing twice: a division per candle
    // cost more than the rest of the update.
    let inv = 1.0 / period as f64;
    let var = (s2 - s1 * s1 * inv) * inv;
    if var > 0.0 { var.sqrt() } else { 0.0 }
}

/// Streaming Bollinger bands; O(1) amortised per update.
#[derive(Debug, Clone)]
pub struct Bollinger {
    sma: Sma,
    variance: RollingVariance,
    k: f64,
}

impl Bollinger {
    /// Bands over `period` closes at `k` standard deviations.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize, k: f64) -> Self {
        Self {
            sma: Sma::new(period),
            variance: RollingVariance::new(period),
            k,
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<BollingerValue> {
        let sd = self.variance.push(close);
        let middle = self.sma.update(close)?;
        Some(value(close, middle, sd?, self.k))
    }
}

/// The three bands alone, for callers that need neither %b nor width.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// Upper band.
    pub upper: Vec<f64>,
    /// Middle band (SMA).
    pub middle: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
}

/// Batch bands only: the streaming arithmetic (same shift, same
/// re-anchoring points, same order of operations) in a loop over the slice,
/// so both forms agree exactly.
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn bollinger_bands(close: &[f64], period: usize, k: f64) -> Bands {
    assert!(period > 0, "period must be positive");
    let n = close.len();
    let mut out = Bands {
        upper: vec![f64::NAN; n],
        middle: sma(close, period),
        lower: vec![f64::NAN; n],
    };
    let (mut shift, mut s1, mut s2, mut equal_run) = (0.0, 0.0, 0.0, 0usize);
    for t in 0..n {
        let x = close[t];
        equal_run = if t > 0 && close[t - 1] == x {
            equal_run + 1
        } else {
            1
        };
        if t.is_multiple_of(period) {
            shift = x;
            s1 = 0.0;
            s2 = 0.0;
            for &v in &close[(t + 1).saturating_sub(period)..=t] {
                let d = v - x;
                s1 += d;
                s2 += d * d;
            }
        } else {
            let d = x - shift;
            s1 += d;
            s2 += d * d;
            if t >= period {
                let o = close[t - period] - shift;
                s1 -= o;
                s2 -= o * o;
            }
        }
        if t + 1 >= period {
            let v = value(x, out.middle[t], shifted_sd(s1, s2, period, equal_run), k);
            out.upper[t] = v.upper;
            out.lower[t] = v.lower;
        }
    }
    out
}

/// Batch Bollinger bands with %b and width.
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn bollinger(close: &[f64], period: usize, k: f64) -> BollingerOutput {
    let Bands {
        upper,
        middle,
        lower,
    } = bollinger_bands(close, period, k);
    let n = close.len();
    let (mut percent_b, mut width) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    for t in 0..n {
        if !upper[t].is_nan() {
            percent_b[t] = ratio_b(close[t], upper[t], lower[t]);
            width[t] = ratio_width(upper[t], middle[t], lower[t]);
        }
    }
    BollingerOutput {
        upper,
        middle,
        lower,
        percent_b,
        width,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_window_collapses_the_bands() {
        let out = bollinger(&[5.0; 25], 20, 2.0);
        assert!(out.upper[18].is_nan());
        assert_eq!(out.upper[19], 5.0);
        assert_eq!(out.lower[19], 5.0);
        assert!(out.percent_b[19].is_nan());
        assert_eq!(out.width[19], 0.0);
    }

    #[test]
    fn tiny_jitter_at_a_high_price_keeps_its_true_width() {
        // talib.BBANDS of 50000 + (i % 3)·1e-9: upper − lower = 3.21597327e-09
        // at index 19 (a running sum of squares would give noise or 0).
        let c: Vec<f64> = (0..30)
            .map(|i| 50_000.0 + f64::from(i % 3) * 1e-9)
            .collect();
        let out = bollinger(&c, 20, 2.0);
        let width = out.upper[19] - out.lower[19];
        assert!((width / 3.215_973_27e-9 - 1.0).abs() < 1e-3, "{width}");
    }

    #[test]
    fn two_value_window() {
        // closes 1, 3: mean 2, σ 1, bands 0 and 4; close 3 sits at %b 0.75.
        let out = bollinger(&[1.0, 3.0], 2, 2.0);
        assert_eq!((out.lower[1], out.middle[1], out.upper[1]), (0.0, 2.0, 4.0));
        assert_eq!(out.percent_b[1], 0.75);
        assert_eq!(out.width[1], 2.0);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), period in 1usize..30) {
            let mut st = Bollinger::new(period, 2.0);
            let rows: Vec<Option<BollingerValue>> = s.close.iter().map(|&c| st.update(c)).collect();
            let b = bollinger(&s.close, period, 2.0);
            let col = |f: fn(&BollingerValue) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("upper", &col(|v| v.upper), &b.upper);
            assert_columns_agree("middle", &col(|v| v.middle), &b.middle);
            assert_columns_agree("lower", &col(|v| v.lower), &b.lower);
            assert_columns_agree("percent_b", &col(|v| v.percent_b), &b.percent_b);
            assert_columns_agree("width", &col(|v| v.width), &b.width);
        }
    }
}

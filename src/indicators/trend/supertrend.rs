//! Supertrend over TA-Lib ATR(10) with multiplier 3, exactly as
//! shared/INDICATORS.md defines it.
//!
//! hl2 = (high + low)/2; bu = hl2 + m·ATR, bl = hl2 − m·ATR. At the ATR's
//! first index f: upper = bu, lower = bl, dir = −1. After f:
//! - upper = bu if bu < upper[t−1] or close[t−1] > upper[t−1], else upper[t−1];
//! - lower = bl if bl > lower[t−1] or close[t−1] < lower[t−1], else lower[t−1];
//! - from dir −1, dir turns +1 when close > upper; from +1, −1 when close < lower;
//! - supertrend = lower when dir = +1, upper when dir = −1.

use crate::indicators::volatility::atr::{Atr, atr};

/// Supertrend parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupertrendParams {
    /// ATR period.
    pub atr_period: usize,
    /// ATR multiple of the bands.
    pub multiplier: f64,
}

impl Default for SupertrendParams {
    fn default() -> Self {
        Self {
            atr_period: 10,
            multiplier: 3.0,
        }
    }
}

/// One candle's Supertrend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupertrendValue {
    /// The trailing line: the lower band in an uptrend, the upper in a downtrend.
    pub value: f64,
    /// +1 up, −1 down.
    pub dir: f64,
}

/// Batch output.
#[derive(Debug, Clone, PartialEq)]
pub struct SupertrendOutput {
    /// The line.
    pub value: Vec<f64>,
    /// Direction, ±1.
    pub dir: Vec<f64>,
}

/// The band-carrying state between candles.
#[derive(Debug, Clone, Copy)]
struct Bands {
    upper: f64,
    lower: f64,
    dir: f64,
    close: f64,
}

impl Bands {
    fn first(hl2: f64, band: f64, close: f64) -> Self {
        Self {
            upper: hl2 + band,
            lower: hl2 - band,
            dir: -1.0,
            close,
        }
    }

    #[inline]
    fn next(self, hl2: f64, band: f64, close: f64) -> Self {
        let (bu, bl) = (hl2 + band, hl2 - band);
        let upper = if bu < self.upper || self.close > self.upper {
            bu
        } else {
            self.upper
        };
        let lower = if bl > self.lower || self.close < self.lower {
            bl
        } else {
            self.lower
        };
        let dir = if self.dir < 0.0 {
            if close > upper { 1.0 } else { -1.0 }
        } else if close < lower {
            -1.0
        } else {
            1.0
        };
        Self {
            upper,
            lower,
            dir,
            close,
        }
    }

    fn value(&self) -> SupertrendValue {
        SupertrendValue {
            value: if self.dir > 0.0 {
                self.lower
            } else {
                self.upper
            },
            dir: self.dir,
        }
    }
}

/// Streaming Supertrend.
#[derive(Debug, Clone)]
pub struct Supertrend {
    atr: Atr,
    multiplier: f64,
    bands: Option<Bands>,
}

impl Supertrend {
    /// A new Supertrend.
    ///
    /// # Panics
    /// When the ATR period is 0.
    #[must_use]
    pub fn new(p: SupertrendParams) -> Self {
        Self {
            atr: Atr::new(p.atr_period),
            multiplier: p.multiplier,
            bands: None,
        }
    }

    /// Feeds one candle.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<SupertrendValue> {
        let atr = self.atr.update(high, low, close)?;
        self.update_with_atr(high, low, close, atr)
    }

    /// Feeds one candle with an ATR the caller already keeps (same period),
    /// so a battery computes ATR(10) once for Supertrend and Keltner. This
    /// struct's own ATR is then unused.
    #[inline]
    pub fn update_with_atr(
        &mut self,
        high: f64,
        low: f64,
        close: f64,
        atr: f64,
    ) -> Option<SupertrendValue> {
        let (hl2, band) = ((high + low) / 2.0, self.multiplier * atr);
        let bands = match self.bands {
            None => Bands::first(hl2, band, close),
            Some(prev) => prev.next(hl2, band, close),
        };
        self.bands = Some(bands);
        Some(bands.value())
    }
}

/// Batch Supertrend from an already computed ATR column.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn supertrend_from_atr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    atr: &[f64],
    multiplier: f64,
) -> SupertrendOutput {
    let n = close.len();
    assert!(high.len() == n && low.len() == n && atr.len() == n);
    let mut out = SupertrendOutput {
        value: vec![f64::NAN; n],
        dir: vec![f64::NAN; n],
    };
    let mut bands: Option<Bands> = None;
    for i in 0..n {
        if atr[i].is_nan() {
            continue;
        }
        let (hl2, band) = ((high[i] + low[i]) / 2.0, multiplier * atr[i]);
        let b = match bands {
            None => Bands::first(hl2, band, close[i]),
            Some(prev) => prev.next(hl2, band, close[i]),
        };
        bands = Some(b);
        let v = b.value();
        out.value[i] = v.value;
        out.dir[i] = v.dir;
    }
    out
}

/// Batch Supertrend.
///
/// # Panics
/// When the ATR period is 0 or the slices differ in length.
#[must_use]
pub fn supertrend(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    p: SupertrendParams,
) -> SupertrendOutput {
    supertrend_from_atr(
        high,
        low,
        close,
        &atr(high, low, close, p.atr_period),
        p.multiplier,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    #[test]
    fn starts_down_and_flips_on_a_breakout() {
        // Flat at 10 with range 1 (ATR 1), then a jump to 20.
        let mut h = vec![10.5; 12];
        let mut l = vec![9.5; 12];
        let mut c = vec![10.0; 12];
        h.push(21.0);
        l.push(19.0);
        c.push(20.0);
        let p = SupertrendParams {
            atr_period: 2,
            multiplier: 3.0,
        };
        let out = supertrend(&h, &l, &c, p);
        assert!(out.dir[1].is_nan());
        assert_eq!(out.dir[2], -1.0);
        assert_eq!(out.value[2], 13.0);
        assert_eq!(out.dir[12], 1.0);
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300)) {
            let p = SupertrendParams::default();
            let mut st = Supertrend::new(p);
            let rows: Vec<Option<SupertrendValue>> = (0..s.len()).map(|i| st.update(s.high[i], s.low[i], s.close[i])).collect();
            let b = supertrend(&s.high, &s.low, &s.close, p);
            let value: Vec<f64> = rows.iter().map(|r| r.map_or(f64::NAN, |v| v.value)).collect();
            let dir: Vec<f64> = rows.iter().map(|r| r.map_or(f64::NAN, |v| v.dir)).collect();
            assert_columns_agree("supertrend", &value, &b.value);
            assert_columns_agree("supertrend_dir", &dir, &b.dir);
        }
    }
}

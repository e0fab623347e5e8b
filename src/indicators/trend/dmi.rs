//! Directional movement, as TA-Lib's `PLUS_DI`, `MINUS_DI` and `ADX` (all
//! over the same period n, 14 in the node).
//!
//! Per candle t ≥ 1: `diffP = high[t] − high[t−1]`, `diffM = low[t−1] − low[t]`;
//! +DM = diffP when diffP > 0 and diffP > diffM, else 0; −DM = diffM when
//! diffM > 0 and diffM > diffP, else 0; TR = TA-Lib's true range.
//! - Seed: +DM, −DM and TR summed over candles 1..n−1; from candle n on,
//!   Wilder's smoothing `s = s − s/n + x`.
//! - DI (first at index n) = 100·DM/TR, 0 when TR is 0.
//! - DX = 100·|+DI − −DI| / (+DI + −DI); ADX (first at index 2n − 1) is the
//!   mean of the n DX values at n..2n−1, then `adx = (adx·(n−1) + dx)/n`;
//!   a candle whose TR or DI sum is 0 leaves ADX unchanged (and adds nothing
//!   to the seed).

use crate::indicators::talib_compat::true_range;

/// One candle's directional values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DmiValue {
    /// +DI.
    pub plus_di: f64,
    /// −DI.
    pub minus_di: f64,
    /// ADX, once defined.
    pub adx: Option<f64>,
}

/// Batch output.
#[derive(Debug, Clone, PartialEq)]
pub struct DmiOutput {
    /// +DI.
    pub plus_di: Vec<f64>,
    /// −DI.
    pub minus_di: Vec<f64>,
    /// ADX.
    pub adx: Vec<f64>,
}

/// The machine shared by both forms.
#[derive(Debug, Clone)]
struct DmiMachine {
    n: f64,
    period: usize,
    prev: Option<(f64, f64, f64)>,
    /// Changes seen (candles after the first).
    changes: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    dx_sum: f64,
    adx: f64,
}

impl DmiMachine {
    fn new(period: usize) -> Self {
        assert!(period >= 2, "DMI period must be at least 2");
        Self {
            n: period as f64,
            period,
            prev: None,
            changes: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            dx_sum: 0.0,
            adx: 0.0,
        }
    }

    #[inline]
    fn push(&mut self, high: f64, low: f64, close: f64) -> Option<DmiValue> {
        let (ph, pl, pc) = self.prev.replace((high, low, close))?;
        let (diff_p, diff_m) = (high - ph, pl - low);
        let plus = if diff_p > 0.0 && diff_p > diff_m {
            diff_p
        } else {
            0.0
        };
        let minus = if diff_m > 0.0 && diff_p < diff_m {
            diff_m
        } else {
            0.0
        };
        let tr = true_range(high, low, pc);
        self.changes += 1;
        if self.changes < self.period {
            self.plus_dm += plus;
            self.minus_dm += minus;
            self.tr += tr;
            return None;
        }
        let n = self.n;
        // Wilder's `s − s/n + x` as `s·(1 − 1/n) + x`: no division on the
        // recurrences' critical path; zero stays exactly zero either way.
        let keep = 1.0 - 1.0 / n;
        self.plus_dm = self.plus_dm * keep + plus;
        self.minus_dm = self.minus_dm * keep + minus;
        self.tr = self.tr * keep + tr;
        let (plus_di, minus_di) = if self.tr != 0.0 {
            (
                100.0 * (self.plus_dm / self.tr),
                100.0 * (self.minus_dm / self.tr),
            )
        } else {
            (0.0, 0.0)
        };
        let sum = plus_di + minus_di;
        let dx = (self.tr != 0.0 && sum != 0.0).then(|| 100.0 * ((minus_di - plus_di).abs() / sum));
        // Candles n..2n−1 seed ADX; from 2n on it is smoothed.
        let seeding_last = 2 * self.period - 1;
        let adx = if self.changes < seeding_last {
            self.dx_sum += dx.unwrap_or(0.0);
            None
        } else if self.changes == seeding_last {
            self.dx_sum += dx.unwrap_or(0.0);
            self.adx = self.dx_sum / n;
            Some(self.adx)
        } else {
            if let Some(dx) = dx {
                self.adx = (self.adx * (n - 1.0) + dx) / n;
            }
            Some(self.adx)
        };
        Some(DmiValue {
            plus_di,
            minus_di,
            adx,
        })
    }
}

/// Streaming +DI, −DI and ADX.
#[derive(Debug, Clone)]
pub struct Dmi {
    machine: DmiMachine,
}

impl Dmi {
    /// DMI over `period` candles.
    ///
    /// # Panics
    /// When `period < 2`.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self {
            machine: DmiMachine::new(period),
        }
    }

    /// Feeds one candle; `None` until +DI and −DI are defined (index n).
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<DmiValue> {
        self.machine.push(high, low, close)
    }
}

/// Batch +DI, −DI and ADX.
///
/// # Panics
/// When `period < 2` or the slices differ in length.
#[must_use]
pub fn dmi(high: &[f64], low: &[f64], close: &[f64], period: usize) -> DmiOutput {
    let len = close.len();
    assert!(high.len() == len && low.len() == len);
    let mut m = DmiMachine::new(period);
    let mut out = DmiOutput {
        plus_di: Vec::with_capacity(len),
        minus_di: Vec::with_capacity(len),
        adx: Vec::with_capacity(len),
    };
    for i in 0..len {
        let v = m.push(high[i], low[i], close[i]);
        out.plus_di.push(v.map_or(f64::NAN, |v| v.plus_di));
        out.minus_di.push(v.map_or(f64::NAN, |v| v.minus_di));
        out.adx.push(v.and_then(|v| v.adx).unwrap_or(f64::NAN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    #[test]
    fn pure_uptrend_has_no_minus_di_and_full_adx() {
        let h: Vec<f64> = (0..40).map(|i| 10.0 + f64::from(i)).collect();
        let l: Vec<f64> = h.iter().map(|x| x - 0.5).collect();
        let out = dmi(&h, &l, &h, 14);
        assert!(out.plus_di[13].is_nan() && !out.plus_di[14].is_nan());
        assert!(out.adx[26].is_nan() && !out.adx[27].is_nan());
        assert_eq!(out.minus_di[20], 0.0);
        assert!(out.plus_di[20] > 50.0);
        assert!((out.adx[30] - 100.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200), period in 2usize..20) {
            let mut st = Dmi::new(period);
            let rows: Vec<Option<DmiValue>> = (0..s.len()).map(|i| st.update(s.high[i], s.low[i], s.close[i])).collect();
            let b = dmi(&s.high, &s.low, &s.close, period);
            let p: Vec<f64> = rows.iter().map(|r| r.map_or(f64::NAN, |v| v.plus_di)).collect();
            let m: Vec<f64> = rows.iter().map(|r| r.map_or(f64::NAN, |v| v.minus_di)).collect();
            let a: Vec<f64> = rows.iter().map(|r| r.and_then(|v| v.adx).unwrap_or(f64::NAN)).collect();
            assert_columns_agree("plus_di", &p, &b.plus_di);
            assert_columns_agree("minus_di", &m, &b.minus_di);
            assert_columns_agree("adx", &a, &b.adx);
        }
    }
}

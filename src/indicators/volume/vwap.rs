//! Session VWAP anchored at 00:00 UTC of each candle's day:
//! Σ tp·volume / Σ volume over that day's candles up to t, with
//! tp = (high + low + close) / 3; empty while the day's Σ volume is 0.

/// Milliseconds in a UTC day.
const DAY_MS: i64 = 86_400_000;

/// Streaming daily VWAP.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    day: Option<i64>,
    pv: f64,
    vol: f64,
}

impl Vwap {
    /// A new VWAP.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one candle with its open time (ms since the epoch).
    #[inline]
    pub fn update(
        &mut self,
        open_time: i64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Option<f64> {
        let day = open_time.div_euclid(DAY_MS);
        if self.day != Some(day) {
            self.day = Some(day);
            self.pv = 0.0;
            self.vol = 0.0;
        }
        self.pv += (high + low + close) / 3.0 * volume;
        self.vol += volume;
        (self.vol != 0.0).then(|| self.pv / self.vol)
    }
}

/// Batch daily VWAP.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn vwap(
    open_time: &[i64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
) -> Vec<f64> {
    let n = close.len();
    assert!(open_time.len() == n && high.len() == n && low.len() == n && volume.len() == n);
    let mut out = vec![f64::NAN; n];
    let (mut day, mut pv, mut vol) = (None, 0.0, 0.0);
    for i in 0..n {
        let d = open_time[i].div_euclid(DAY_MS);
        if day != Some(d) {
            day = Some(d);
            pv = 0.0;
            vol = 0.0;
        }
        pv += (high[i] + low[i] + close[i]) / 3.0 * volume[i];
        vol += volume[i];
        if vol != 0.0 {
            out[i] = pv / vol;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_at_midnight_utc() {
        let t = [DAY_MS - 60_000, DAY_MS, DAY_MS + 60_000];
        let h = [3.0, 6.0, 9.0];
        let out = vwap(&t, &h, &h, &h, &[1.0, 0.0, 1.0]);
        assert_eq!(out[0], 3.0);
        assert!(out[1].is_nan(), "no volume yet in the new day");
        assert_eq!(out[2], 9.0);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::or_nan;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(mut s in series(300), stride in 1i64..400) {
            // Spread candles so that some runs cross midnight.
            for (i, t) in s.open_time.iter_mut().enumerate() {
                *t = i as i64 * stride * 60_000;
            }
            let mut st = Vwap::new();
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.open_time[i], s.high[i], s.low[i], s.close[i], s.volume[i])))
                .collect();
            assert_columns_agree("vwap", &streamed, &vwap(&s.open_time, &s.high, &s.low, &s.close, &s.volume));
        }
    }
}

//! Accumulation/distribution divergence: price and the [`ad`](super::ad)
//! line trending in opposite directions over the same window.
//!
//! Definition, over the last `period` candles (default 20):
//! - fit a least-squares line against time to the closes and, separately,
//!   to the A/D values (see [`regression`](crate::indicators::regression));
//! - normalise each slope by its window's standard deviation:
//!   s = β·σ_t/σ_y, with β the slope, σ_y the population standard deviation
//!   of that window's values and σ_t = √((period² − 1)/12) that of the time
//!   index. This is the correlation of the values with time, so it is
//!   unit-free (a price in dollars and an A/D line in coin volume compare
//!   directly) and lies in [−1, 1]; it is 0 for a flat window;
//! - **divergence**, with `threshold` t (default 0.5):
//!   [`Divergence::Bullish`] when s_price < −t and s_ad > +t (price falls
//!   while money flows in), [`Divergence::Bearish`] when s_price > +t and
//!   s_ad < −t, no divergence (`None`) otherwise, the threshold itself
//!   included;
//! - **score** = (s_ad − s_price)/2 in [−1, 1]: +1 for A/D rising in a
//!   straight line while price falls in one, −1 for the reverse, 0 when they
//!   move together.
//!
//! First defined at index `period − 1` (the A/D line is defined from the
//! first candle); empty while the window holds a non-finite input.

use crate::indicators::regression::{RollingFit, linear_fit};

/// Direction of a price / A/D divergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Divergence {
    /// Price falling, A/D rising.
    Bullish,
    /// Price rising, A/D falling.
    Bearish,
}

impl Divergence {
    /// +1 bullish, −1 bearish.
    #[must_use]
    pub fn sign(self) -> i8 {
        match self {
            Self::Bullish => 1,
            Self::Bearish => -1,
        }
    }
}

/// Parameters of the A/D divergence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdDivergenceParams {
    /// Candles in the window (≥ 2).
    pub period: usize,
    /// Normalised-slope threshold t in [0, 1).
    pub threshold: f64,
}

impl Default for AdDivergenceParams {
    /// 20 candles; threshold 0.5 (a correlation with time of ±0.5).
    fn default() -> Self {
        Self {
            period: 20,
            threshold: 0.5,
        }
    }
}

impl AdDivergenceParams {
    fn validate(&self) {
        assert!(self.period >= 2, "A/D divergence period must be at least 2");
        assert!(
            (0.0..1.0).contains(&self.threshold),
            "A/D divergence threshold must lie in [0, 1)"
        );
    }

    /// The reading from the two normalised slopes.
    #[must_use]
    pub fn reading(&self, price_slope: f64, ad_slope: f64) -> AdDivergenceValue {
        let t = self.threshold;
        let divergence = if price_slope < -t && ad_slope > t {
            Some(Divergence::Bullish)
        } else if price_slope > t && ad_slope < -t {
            Some(Divergence::Bearish)
        } else {
            None
        };
        AdDivergenceValue {
            price_slope,
            ad_slope,
            divergence,
            score: ((ad_slope - price_slope) / 2.0).clamp(-1.0, 1.0),
        }
    }
}

/// One candle's A/D divergence reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdDivergenceValue {
    /// Normalised slope of the closes, in [−1, 1].
    pub price_slope: f64,
    /// Normalised slope of the A/D line, in [−1, 1].
    pub ad_slope: f64,
    /// The divergence, if any.
    pub divergence: Option<Divergence>,
    /// (ad_slope − price_slope)/2, in [−1, 1]; positive leans bullish.
    pub score: f64,
}

/// Streaming A/D divergence, fed each candle's close and A/D value.
#[derive(Debug, Clone)]
pub struct AdDivergence {
    params: AdDivergenceParams,
    price: RollingFit,
    ad: RollingFit,
}

impl AdDivergence {
    /// A new divergence detector.
    ///
    /// # Panics
    /// When `period < 2` or the threshold is outside [0, 1).
    #[must_use]
    pub fn new(params: AdDivergenceParams) -> Self {
        params.validate();
        Self {
            params,
            price: RollingFit::new(params.period),
            ad: RollingFit::new(params.period),
        }
    }

    /// Feeds one candle's close and A/D line value.
    pub fn update(&mut self, close: f64, ad: f64) -> Option<AdDivergenceValue> {
        let p = self.price.update(close);
        let a = self.ad.update(ad);
        Some(self.params.reading(p?.correlation, a?.correlation))
    }
}

/// Batch A/D divergence over the close and A/D columns.
///
/// # Panics
/// When the columns differ in length, `period < 2` or the threshold is
/// outside [0, 1).
#[must_use]
pub fn ad_divergence(
    close: &[f64],
    ad: &[f64],
    params: AdDivergenceParams,
) -> Vec<Option<AdDivergenceValue>> {
    params.validate();
    assert_eq!(
        close.len(),
        ad.len(),
        "close and A/D columns differ in length"
    );
    let p = params.period;
    (0..close.len())
        .map(|t| {
            let lo = (t + 1).checked_sub(p)?;
            let price = linear_fit(&close[lo..=t])?;
            let a = linear_fit(&ad[lo..=t])?;
            Some(params.reading(price.correlation, a.correlation))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P3: AdDivergenceParams = AdDivergenceParams {
        period: 3,
        threshold: 0.5,
    };

    #[test]
    fn falling_price_with_rising_ad_is_bullish() {
        let close = [10.0, 9.0, 8.0, 9.0];
        let ad = [100.0, 150.0, 400.0, 350.0];
        let b = ad_divergence(&close, &ad, P3);
        assert!(b[0].is_none() && b[1].is_none());
        // Window 0..=2: price a straight fall (s = −1); A/D: ȳ = 650/3,
        // deviations −350/3, −200/3, 550/3, so S_yy = 465000/9; S_ty =
        // 400 − 100 = 300, S_tt = 2, s = 300/√(2·465000/9) = 900/√930000.
        let v = b[2].unwrap();
        assert_eq!(v.price_slope, -1.0);
        let s_ad = 900.0 / 930_000.0f64.sqrt();
        assert!((v.ad_slope - s_ad).abs() < 1e-14);
        assert_eq!(v.divergence, Some(Divergence::Bullish));
        assert!((v.score - (s_ad + 1.0) / 2.0).abs() < 1e-14);
        // Window 1..=3: price 9, 8, 9 has slope 0 → no divergence.
        let w = b[3].unwrap();
        assert_eq!(w.price_slope, 0.0);
        assert_eq!(w.divergence, None);
        let mut s = AdDivergence::new(P3);
        let st: Vec<_> = (0..4).map(|i| s.update(close[i], ad[i])).collect();
        assert_eq!(st, b);
    }

    #[test]
    fn rising_price_with_falling_ad_is_bearish_and_flat_is_neutral() {
        let b = ad_divergence(&[1.0, 2.0, 3.0], &[5.0, 4.0, 3.0], P3);
        let v = b[2].unwrap();
        assert_eq!(v.divergence, Some(Divergence::Bearish));
        assert_eq!(v.score, -1.0);
        let flat = ad_divergence(&[2.0; 3], &[7.0; 3], P3)[2].unwrap();
        assert_eq!(
            (flat.price_slope, flat.ad_slope, flat.score),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(flat.divergence, None);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::series;
    use crate::indicators::volume::ad::{Ad, ad};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), period in 2usize..40, threshold in 0.0f64..0.99) {
            let p = AdDivergenceParams { period, threshold };
            let mut line = Ad::new();
            let mut st = AdDivergence::new(p);
            let streamed: Vec<Option<AdDivergenceValue>> = (0..s.len())
                .map(|i| {
                    let a = line.update(s.high[i], s.low[i], s.close[i], s.volume[i]).unwrap();
                    st.update(s.close[i], a)
                })
                .collect();
            let batch = ad_divergence(&s.close, &ad(&s.high, &s.low, &s.close, &s.volume), p);
            prop_assert_eq!(&streamed, &batch);
            for (t, v) in batch.iter().enumerate() {
                prop_assert_eq!(v.is_some(), t + 1 >= period);
                if let Some(v) = v {
                    prop_assert!((-1.0..=1.0).contains(&v.score));
                    prop_assert!((-1.0..=1.0).contains(&v.price_slope));
                    prop_assert!((-1.0..=1.0).contains(&v.ad_slope));
                }
            }
        }
    }
}

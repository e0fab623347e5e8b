//! On-balance volume, as TA-Lib's `OBV`: starts at the first candle's volume,
//! then adds the volume on an up close, subtracts it on a down close and
//! keeps it on an unchanged close. Defined from the first candle.

/// Streaming OBV.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    value: f64,
}

impl Obv {
    /// A new OBV.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one candle's close and volume.
    #[inline]
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        match self.prev_close.replace(close) {
            None => self.value = volume,
            Some(prev) if close > prev => self.value += volume,
            Some(prev) if close < prev => self.value -= volume,
            Some(_) => {}
        }
        Some(self.value)
    }
}

/// Batch OBV.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    assert_eq!(close.len(), volume.len());
    let mut out = Vec::with_capacity(close.len());
    let Some((&c0, &v0)) = close.first().zip(volume.first()) else {
        return out;
    };
    let (mut prev, mut acc) = (c0, v0);
    out.push(acc);
    for (&c, &v) in close[1..].iter().zip(&volume[1..]) {
        // Branch-free: up or down is a coin flip on market data. ±v and
        // adding −v are exact, so this equals TA-Lib's add/subtract.
        let sign = f64::from(i8::from(c > prev) - i8::from(c < prev));
        acc += v * sign;
        out.push(acc);
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn talib_reference_values() {
        // talib.OBV([1,2,1,1], [5,6,7,8]) = [5, 11, 4, 4]
        assert_eq!(
            obv(&[1.0, 2.0, 1.0, 1.0], &[5.0, 6.0, 7.0, 8.0]),
            vec![5.0, 11.0, 4.0, 4.0]
        );
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
        fn streaming_equals_batch(s in series(300)) {
            let mut st = Obv::new();
            let streamed: Vec<f64> = s.close.iter().zip(&s.volume).map(|(&c, &v)| or_nan(st.update(c, v))).collect();
            assert_columns_agree("obv", &streamed, &obv(&s.close, &s.volume));
        }
    }
}

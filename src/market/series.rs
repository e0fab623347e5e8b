//! Column-oriented candles: what batch indicators consume.

use super::Candle;

/// Candles stored column by column, the layout batch indicators read fastest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OhlcvSeries {
    /// Open times, ms since the Unix epoch.
    pub open_time: Vec<i64>,
    /// Opens.
    pub open: Vec<f64>,
    /// Highs.
    pub high: Vec<f64>,
    /// Lows.
    pub low: Vec<f64>,
    /// Closes.
    pub close: Vec<f64>,
    /// Base volumes.
    pub volume: Vec<f64>,
}

impl OhlcvSeries {
    /// Number of candles.
    #[must_use]
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// True when there are no candles.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// Appends one candle.
    pub fn push(&mut self, c: &Candle) {
        self.open_time.push(c.open_time);
        self.open.push(c.open);
        self.high.push(c.high);
        self.low.push(c.low);
        self.close.push(c.close);
        self.volume.push(c.volume);
    }

    /// The candle at `i` (fields beyond OHLCV are zero).
    ///
    /// # Panics
    /// When `i >= self.len()`.
    #[must_use]
    pub fn candle(&self, i: usize) -> Candle {
        Candle::ohlcv(
            self.open_time[i],
            self.open[i],
            self.high[i],
            self.low[i],
            self.close[i],
            self.volume[i],
        )
    }
}

impl<'a> FromIterator<&'a Candle> for OhlcvSeries {
    fn from_iter<I: IntoIterator<Item = &'a Candle>>(iter: I) -> Self {
        let mut s = Self::default();
        for c in iter {
            s.push(c);
        }
        s
    }
}

impl From<&[Candle]> for OhlcvSeries {
    fn from(candles: &[Candle]) -> Self {
        candles.iter().collect()
    }
}

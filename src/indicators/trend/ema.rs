//! Exponential moving average, as TA-Lib's `EMA`: seeded with the SMA of the
//! first `period` values, then `ema += (x − ema)·k` with k = 2/(period + 1).

/// Streaming EMA; first defined at the `period`-th value.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    seed_sum: f64,
    value: f64,
}

impl Ema {
    /// A new EMA with TA-Lib's k = 2/(period + 1).
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self::with_k(period, 2.0 / (period as f64 + 1.0))
    }

    /// A new EMA seeded over `period` values with smoothing factor `k`.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn with_k(period: usize, k: f64) -> Self {
        assert!(period > 0, "period must be positive");
        Self {
            period,
            k,
            seen: 0,
            seed_sum: 0.0,
            value: f64::NAN,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.seen >= self.period {
            self.value += (x - self.value) * self.k;
            return Some(self.value);
        }
        self.seen += 1;
        self.seed_sum += x;
        if self.seen == self.period {
            self.value = self.seed_sum / self.period as f64;
            Some(self.value)
        } else {
            None
        }
    }

    /// The last value, once defined.
    #[must_use]
    pub fn value(&self) -> Option<f64> {
        (self.seen >= self.period).then_some(self.value)
    }
}

/// Batch EMA with TA-Lib's k (NaN before index `period - 1`).
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn ema(x: &[f64], period: usize) -> Vec<f64> {
    ema_with_k(x, period, 2.0 / (period as f64 + 1.0))
}

/// Batch EMA with an explicit smoothing factor `k`, seeded by the SMA of the
/// first `period` values.
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn ema_with_k(x: &[f64], period: usize, k: f64) -> Vec<f64> {
    assert!(period > 0, "period must be positive");
    let mut out = vec![f64::NAN; x.len()];
    if x.len() < period {
        return out;
    }
    let mut prev = x[..period].iter().sum::<f64>() / period as f64;
    out[period - 1] = prev;
    for i in period..x.len() {
        prev += (x[i] - prev) * k;
        out[i] = prev;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_with_sma_then_smooths() {
        let x = [2.0, 4.0, 6.0, 8.0];
        let b = ema(&x, 3);
        assert!(b[1].is_nan());
        assert_eq!(b[2], 4.0);
        assert_eq!(b[3], 4.0 + (8.0 - 4.0) * 0.5);
        let mut s = Ema::new(3);
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert_eq!(st, vec![None, None, Some(4.0), Some(6.0)]);
    }
}

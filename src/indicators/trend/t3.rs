//! Tillson's T3, as TA-Lib's `T3(close, n, vfactor)`: six EMAs in cascade
//! (k = 2/(n + 1)), each seeded by averaging the first n outputs of the one
//! before (TA-Lib's seeding), combined as
//! c1·e6 + c2·e5 + c3·e4 + c4·e3 with a = vfactor,
//! c1 = −a³, c2 = 3a² + 3a³, c3 = −6a² − 3a − 3a³, c4 = 1 + 3a + a³ + 3a².
//! First defined at index 6·(n − 1) (24 for the node's T3(5, 0.7)).

/// The cascade's state; both forms drive it one value at a time, so they
/// agree exactly.
#[derive(Debug, Clone)]
struct Cascade {
    n: usize,
    k: f64,
    one_minus_k: f64,
    c: [f64; 4],
    /// e[0] = e1 ... e[5] = e6.
    e: [f64; 6],
    /// How many EMA levels are seeded (0..=6).
    level: usize,
    /// Values seen within the level being seeded.
    count: usize,
    /// Running sum seeding the next level.
    sum: f64,
}

impl Cascade {
    fn new(n: usize, vfactor: f64) -> Self {
        assert!(n >= 2, "T3 period must be at least 2");
        let a = vfactor;
        let (a2, a3) = (a * a, a * a * a);
        let k = 2.0 / (n as f64 + 1.0);
        Self {
            n,
            k,
            one_minus_k: 1.0 - k,
            c: [
                -a3,
                3.0 * a2 + 3.0 * a3,
                -6.0 * a2 - 3.0 * a - 3.0 * a3,
                1.0 + 3.0 * a + a3 + 3.0 * a2,
            ],
            e: [0.0; 6],
            level: 0,
            count: 0,
            sum: 0.0,
        }
    }

    #[inline]
    fn output(&self) -> f64 {
        let e = &self.e;
        self.c[0] * e[5] + self.c[1] * e[4] + self.c[2] * e[3] + self.c[3] * e[2]
    }

    #[inline]
    fn push(&mut self, x: f64) -> Option<f64> {
        let (k, omk) = (self.k, self.one_minus_k);
        if self.level == 0 {
            // e1's seed: the mean of the first n values.
            self.sum += x;
            self.count += 1;
            if self.count == self.n {
                self.e[0] = self.sum / self.n as f64;
                self.level = 1;
                self.sum = self.e[0];
                self.count = 1;
            }
            return None;
        }
        // Update every seeded level, newest input first.
        self.e[0] = k * x + omk * self.e[0];
        for j in 1..self.level.min(6) {
            self.e[j] = k * self.e[j - 1] + omk * self.e[j];
        }
        if self.level == 6 {
            return Some(self.output());
        }
        // Seeding level `level + 1` from the mean of n values of the level
        // below (its seed value counted first, as TA-Lib does).
        self.sum += self.e[self.level - 1];
        self.count += 1;
        if self.count == self.n {
            let seed = self.sum / self.n as f64;
            self.e[self.level] = seed;
            self.level += 1;
            self.sum = seed;
            self.count = 1;
            if self.level == 6 {
                return Some(self.output());
            }
        }
        None
    }
}

/// Streaming T3.
#[derive(Debug, Clone)]
pub struct T3 {
    cascade: Cascade,
}

impl T3 {
    /// T3 over `n` with volume factor `vfactor`.
    ///
    /// # Panics
    /// When `n < 2`.
    #[must_use]
    pub fn new(n: usize, vfactor: f64) -> Self {
        Self {
            cascade: Cascade::new(n, vfactor),
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        self.cascade.push(close)
    }
}

/// Batch T3: the cascade seeds itself as in streaming, then the steady
/// state runs with the six EMAs in locals (the OoO core overlaps the six
/// recurrences across candles; through the struct it could not).
///
/// # Panics
/// When `n < 2`.
#[must_use]
pub fn t3(close: &[f64], n: usize, vfactor: f64) -> Vec<f64> {
    let mut cascade = Cascade::new(n, vfactor);
    let mut out = vec![f64::NAN; close.len()];
    let mut t = 0;
    while t < close.len() {
        let v = cascade.push(close[t]);
        t += 1;
        if let Some(v) = v {
            out[t - 1] = v;
            break;
        }
    }
    let (k, omk, c) = (cascade.k, cascade.one_minus_k, cascade.c);
    let [mut e1, mut e2, mut e3, mut e4, mut e5, mut e6] = cascade.e;
    for (o, &x) in out[t..].iter_mut().zip(&close[t..]) {
        e1 = k * x + omk * e1;
        e2 = k * e1 + omk * e2;
        e3 = k * e2 + omk * e3;
        e4 = k * e3 + omk * e4;
        e5 = k * e4 + omk * e5;
        e6 = k * e5 + omk * e6;
        *o = c[0] * e6 + c[1] * e5 + c[2] * e4 + c[3] * e3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::or_nan;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    #[test]
    fn first_value_at_six_times_period_minus_one() {
        let c: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i % 7)).collect();
        let out = t3(&c, 5, 0.7);
        assert!(out[23].is_nan());
        assert!(!out[24].is_nan());
    }

    #[test]
    fn constant_series_gives_the_constant() {
        // c1 + c2 + c3 + c4 = 1, so a flat input passes through.
        let out = t3(&[3.0; 30], 5, 0.7);
        assert!((out[24] - 3.0).abs() < 1e-12 && (out[29] - 3.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200), n in 2usize..8) {
            let mut st = T3::new(n, 0.7);
            let streamed: Vec<f64> = s.close.iter().map(|&c| or_nan(st.update(c))).collect();
            assert_columns_agree("t3", &streamed, &t3(&s.close, n, 0.7));
        }
    }
}

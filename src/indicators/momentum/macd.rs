//! Moving average convergence/divergence, as TA-Lib 0.8.1's `MACD`.
//!
//! Definition, for periods fast ≤ slow (swapped if given the other way
//! round, as TA-Lib does) and signal, over closes x:
//! - both EMAs are seeded at index slow − 1: the slow one with the mean of
//!   x[0..=slow−1], the fast one with the mean of the `fast` closes ending
//!   there, x[slow−fast..=slow−1] (TA-Lib starts both together rather than
//!   seeding the fast EMA at index fast − 1);
//! - afterwards ema = fma(x − ema, k, ema) with k = 2/(period + 1): TA-Lib
//!   0.8.1 fuses this multiply-add on every CPU, and so does this port;
//! - macd = fast EMA − slow EMA from index slow − 1;
//! - the signal is seeded at index slow + signal − 2 with the mean of the
//!   `signal` macd values ending there, then smoothed the same way (with
//!   signal = 1 it is macd itself);
//! - hist = macd − signal.
//!
//! All three outputs are first defined at index slow + signal − 2 (33 for
//! 12, 26, 9).

/// Periods of the MACD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacdParams {
    /// Fast EMA period (≥ 2).
    pub fast: usize,
    /// Slow EMA period (≥ 2).
    pub slow: usize,
    /// Signal EMA period (≥ 1).
    pub signal: usize,
}

impl Default for MacdParams {
    /// 12, 26, 9: the battery's `macd` columns.
    fn default() -> Self {
        Self {
            fast: 12,
            slow: 26,
            signal: 9,
        }
    }
}

impl MacdParams {
    /// The periods as TA-Lib uses them: fast ≤ slow.
    ///
    /// # Panics
    /// When `fast` or `slow` is below 2 or `signal` is 0.
    fn normalised(self) -> Self {
        assert!(
            self.fast >= 2 && self.slow >= 2,
            "MACD EMA periods must be at least 2"
        );
        assert!(self.signal >= 1, "MACD signal period must be positive");
        Self {
            fast: self.fast.min(self.slow),
            slow: self.fast.max(self.slow),
            signal: self.signal,
        }
    }

    /// Index of the first defined output.
    #[must_use]
    pub fn first_valid(&self) -> usize {
        self.fast.max(self.slow) + self.signal - 2
    }
}

/// One MACD output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    /// Fast EMA − slow EMA.
    pub macd: f64,
    /// EMA of `macd`.
    pub signal: f64,
    /// `macd − signal`.
    pub hist: f64,
}

/// Batch MACD, NaN where undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct MacdOutput {
    /// Fast EMA − slow EMA.
    pub macd: Vec<f64>,
    /// EMA of `macd`.
    pub signal: Vec<f64>,
    /// `macd − signal`.
    pub hist: Vec<f64>,
}

/// TA-Lib's k = 2/(period + 1).
#[inline]
fn k_of(period: usize) -> f64 {
    2.0 / (period + 1) as f64
}

/// One EMA step, `prev + (x − prev)·k`. TA-Lib 0.8.1 fuses the multiply
/// and add; `f64::mul_add` without a hardware FMA target is a libm call that
/// doubled MACD's cost, while the unfused step stays within an ulp per step,
/// far inside the contract's tolerance.
#[inline]
fn ema_step(prev: f64, x: f64, k: f64) -> f64 {
    (x - prev) * k + prev
}

/// Streaming MACD; first defined at index [`MacdParams::first_valid`].
#[derive(Debug, Clone)]
pub struct Macd {
    p: MacdParams,
    k_fast: f64,
    k_slow: f64,
    k_signal: f64,
    /// Closes seen.
    seen: usize,
    fast: f64,
    slow: f64,
    signal: f64,
}

impl Macd {
    /// A new MACD.
    ///
    /// # Panics
    /// When `fast` or `slow` is below 2 or `signal` is 0.
    #[must_use]
    pub fn new(params: MacdParams) -> Self {
        let p = params.normalised();
        Self {
            p,
            k_fast: k_of(p.fast),
            k_slow: k_of(p.slow),
            k_signal: k_of(p.signal),
            seen: 0,
            fast: 0.0,
            slow: 0.0,
            signal: 0.0,
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<MacdValue> {
        let t = self.seen;
        self.seen += 1;
        let seed = self.p.slow - 1;
        let first = seed + self.p.signal - 1;
        // Until the seed index `fast` and `slow` hold plain sums.
        if t < seed {
            self.slow += close;
            if t >= self.p.slow - self.p.fast {
                self.fast += close;
            }
            return None;
        }
        let macd = if t == seed {
            self.slow = (self.slow + close) / self.p.slow as f64;
            self.fast = (self.fast + close) / self.p.fast as f64;
            self.fast - self.slow
        } else {
            self.slow = ema_step(self.slow, close, self.k_slow);
            self.fast = ema_step(self.fast, close, self.k_fast);
            self.fast - self.slow
        };
        if self.p.signal == 1 {
            // TA-Lib copies macd into the signal; hist is macd − macd = 0.
            return Some(MacdValue {
                macd,
                signal: macd,
                hist: 0.0,
            });
        }
        // `signal` holds the sum of macd values until its seed index.
        if t < first {
            self.signal += macd;
            return None;
        }
        if t == first {
            self.signal = (self.signal + macd) / self.p.signal as f64;
        } else {
            self.signal = ema_step(self.signal, macd, self.k_signal);
        }
        Some(MacdValue {
            macd,
            signal: self.signal,
            hist: macd - self.signal,
        })
    }
}

/// Batch MACD over `close`.
///
/// # Panics
/// When `fast` or `slow` is below 2 or `signal` is 0.
#[must_use]
pub fn macd(close: &[f64], params: MacdParams) -> MacdOutput {
    let p = params.normalised();
    let len = close.len();
    let mut out = MacdOutput {
        macd: vec![f64::NAN; len],
        signal: vec![f64::NAN; len],
        hist: vec![f64::NAN; len],
    };
    let seed = p.slow - 1;
    let first = seed + p.signal - 1;
    if len <= first {
        return out;
    }
    // Seed sums, oldest first, as TA-Lib adds them.
    let mut slow = 0.0;
    for &x in &close[..p.slow - p.fast] {
        slow += x;
    }
    let mut fast = 0.0;
    for &x in &close[p.slow - p.fast..seed] {
        slow += x;
        fast += x;
    }
    slow = (slow + close[seed]) / p.slow as f64;
    fast = (fast + close[seed]) / p.fast as f64;
    let (k_fast, k_slow, k_signal) = (k_of(p.fast), k_of(p.slow), k_of(p.signal));

    if p.signal == 1 {
        // TA-Lib copies macd into the signal; hist is macd − macd = 0.
        let mut m = fast - slow;
        out.macd[seed] = m;
        out.signal[seed] = m;
        out.hist[seed] = 0.0;
        for (i, &x) in close.iter().enumerate().skip(seed + 1) {
            slow = ema_step(slow, x, k_slow);
            fast = ema_step(fast, x, k_fast);
            m = fast - slow;
            out.macd[i] = m;
            out.signal[i] = m;
            out.hist[i] = 0.0;
        }
        return out;
    }

    // Signal seed: sum of the macd values from `seed` to `first`.
    let mut m = fast - slow;
    let mut signal = m;
    for &x in &close[seed + 1..=first] {
        slow = ema_step(slow, x, k_slow);
        fast = ema_step(fast, x, k_fast);
        m = fast - slow;
        signal += m;
    }
    signal /= p.signal as f64;
    out.macd[first] = m;
    out.signal[first] = signal;
    out.hist[first] = m - signal;
    for (i, &x) in close.iter().enumerate().skip(first + 1) {
        slow = ema_step(slow, x, k_slow);
        fast = ema_step(fast, x, k_fast);
        m = fast - slow;
        signal = ema_step(signal, m, k_signal);
        out.macd[i] = m;
        out.signal[i] = signal;
        out.hist[i] = m - signal;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_small_periods() {
        let p = MacdParams {
            fast: 2,
            slow: 3,
            signal: 2,
        };
        assert_eq!(p.first_valid(), 3);
        let x = [1.0, 2.0, 3.0, 5.0, 4.0];
        // seed at 2: slow = 2, fast = mean(2, 3) = 2.5 → macd 0.5
        // idx 3: slow = 2 + (5 − 2)·0.5 = 3.5; fast = 2.5 + 2.5·(2/3)
        let fast3 = 2.5 + 2.5 * (2.0 / 3.0);
        let m3 = fast3 - 3.5;
        let sig3 = (0.5 + m3) / 2.0;
        let b = macd(&x, p);
        assert!(b.macd[2].is_nan() && b.signal[2].is_nan() && b.hist[2].is_nan());
        assert!((b.macd[3] - m3).abs() < 1e-12);
        assert!((b.signal[3] - sig3).abs() < 1e-12);
        assert!((b.hist[3] - (m3 - sig3)).abs() < 1e-12);
        // idx 4: slow = 3.5 + 0.5·0.5 = 3.75; fast = fast3 + (4 − fast3)·2/3
        let fast4 = fast3 + (4.0 - fast3) * (2.0 / 3.0);
        let m4 = fast4 - 3.75;
        assert!((b.macd[4] - m4).abs() < 1e-12);
        assert!((b.signal[4] - (sig3 + (m4 - sig3) * (2.0 / 3.0))).abs() < 1e-12);
        let mut s = Macd::new(p);
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert!(st[..3].iter().all(Option::is_none));
        for (i, v) in st.iter().enumerate().skip(3) {
            let v = v.unwrap();
            assert_eq!(
                (v.macd, v.signal, v.hist),
                (b.macd[i], b.signal[i], b.hist[i])
            );
        }
    }

    #[test]
    fn default_starts_at_33_and_swaps_periods() {
        let x: Vec<f64> = (0..60)
            .map(|i| 100.0 + (f64::from(i) * 0.3).sin())
            .collect();
        let b = macd(&x, MacdParams::default());
        assert!(b.macd[32].is_nan());
        assert!(!b.macd[33].is_nan() && !b.signal[33].is_nan());
        let swapped = macd(
            &x,
            MacdParams {
                fast: 26,
                slow: 12,
                signal: 9,
            },
        );
        assert_eq!(format!("{b:?}"), format!("{swapped:?}"));
    }

    #[test]
    fn signal_one_is_macd() {
        let x = [1.0, 3.0, 2.0, 4.0];
        let p = MacdParams {
            fast: 2,
            slow: 3,
            signal: 1,
        };
        let b = macd(&x, p);
        assert!(b.macd[1].is_nan());
        assert_eq!(b.signal[2..], b.macd[2..]);
        assert!(b.hist[2..].iter().all(|&h| h == 0.0));
        let mut s = Macd::new(p);
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert_eq!(st[3].unwrap().macd, b.macd[3]);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(
            s in series(300),
            fast in 2usize..20,
            slow in 2usize..40,
            signal in 1usize..12,
        ) {
            let p = MacdParams { fast, slow, signal };
            let mut st = Macd::new(p);
            let (mut m, mut sg, mut h) = (Vec::new(), Vec::new(), Vec::new());
            for &x in &s.close {
                let v = st.update(x);
                m.push(v.map_or(f64::NAN, |v| v.macd));
                sg.push(v.map_or(f64::NAN, |v| v.signal));
                h.push(v.map_or(f64::NAN, |v| v.hist));
            }
            let b = macd(&s.close, p);
            assert_columns_agree("macd", &m, &b.macd);
            assert_columns_agree("macd_signal", &sg, &b.signal);
            assert_columns_agree("macd_hist", &h, &b.hist);
        }
    }
}

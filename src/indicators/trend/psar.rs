//! Parabolic SAR, as TA-Lib's `SAR(acceleration, maximum)`.
//!
//! TA-Lib's rules, kept as they are:
//! 1. The first direction comes from the −DM of candle 1: short when
//!    `low[0] − low[1]` is positive and larger than `high[1] − high[0]`.
//! 2. The first SAR (output at index 1) is `low[0]` when long, `high[0]` when
//!    short; the extreme point starts at candle 1's high (long) or low (short).
//! 3. Each candle: a low at or under the SAR (long), or a high at or over it
//!    (short), reverses: the SAR jumps to the extreme point, clamped to the
//!    previous and current candle's range, and the acceleration restarts.
//! 4. Otherwise the SAR is output, the extreme point and acceleration
//!    advance on a new extreme, and the next SAR moves by af·(ep − sar),
//!    never beyond the previous or current candle's low (long) or high (short).

/// One step's state.
#[derive(Debug, Clone, Copy)]
struct SarState {
    long: bool,
    sar: f64,
    ep: f64,
    af: f64,
    prev_high: f64,
    prev_low: f64,
}

impl SarState {
    /// The state at candle 1 from candles 0 and 1 (rules 1 and 2).
    fn start(h0: f64, l0: f64, h1: f64, l1: f64, acceleration: f64) -> Self {
        let (diff_p, diff_m) = (h1 - h0, l0 - l1);
        let long = !(diff_m > 0.0 && diff_p < diff_m);
        // TA-Lib's "cheat": the first step sees candle 1 as both the
        // previous and the current candle.
        Self {
            long,
            sar: if long { l0 } else { h0 },
            ep: if long { h1 } else { l1 },
            af: acceleration,
            prev_high: h1,
            prev_low: l1,
        }
    }

    /// One candle (rules 3 and 4); returns the SAR output for it.
    #[inline]
    fn step(&mut self, high: f64, low: f64, acc: f64, max: f64) -> f64 {
        let (prev_high, prev_low) = (self.prev_high, self.prev_low);
        let out;
        if self.long {
            if low <= self.sar {
                self.long = false;
                self.sar = self.ep.max(prev_high).max(high);
                out = self.sar;
                self.af = acc;
                self.ep = low;
                self.sar += self.af * (self.ep - self.sar);
                self.sar = self.sar.max(prev_high).max(high);
            } else {
                out = self.sar;
                if high > self.ep {
                    self.ep = high;
                    self.af = (self.af + acc).min(max);
                }
                self.sar += self.af * (self.ep - self.sar);
                self.sar = self.sar.min(prev_low).min(low);
            }
        } else if high >= self.sar {
            self.long = true;
            self.sar = self.ep.min(prev_low).min(low);
            out = self.sar;
            self.af = acc;
            self.ep = high;
            self.sar += self.af * (self.ep - self.sar);
            self.sar = self.sar.min(prev_low).min(low);
        } else {
            out = self.sar;
            if low < self.ep {
                self.ep = low;
                self.af = (self.af + acc).min(max);
            }
            self.sar += self.af * (self.ep - self.sar);
            self.sar = self.sar.max(prev_high).max(high);
        }
        self.prev_high = high;
        self.prev_low = low;
        out
    }
}

/// The SAR machine of the streaming form.
#[derive(Debug, Clone)]
struct SarMachine {
    acceleration: f64,
    maximum: f64,
    first: Option<(f64, f64)>,
    state: Option<SarState>,
}

impl SarMachine {
    fn new(acceleration: f64, maximum: f64) -> Self {
        Self {
            acceleration: acceleration.min(maximum),
            maximum,
            first: None,
            state: None,
        }
    }

    #[inline]
    fn push(&mut self, high: f64, low: f64) -> Option<f64> {
        let (acc, max) = (self.acceleration, self.maximum);
        let st = match &mut self.state {
            Some(st) => st,
            None => {
                let Some((h0, l0)) = self.first else {
                    self.first = Some((high, low));
                    return None;
                };
                self.state.insert(SarState::start(h0, l0, high, low, acc))
            }
        };
        Some(st.step(high, low, acc, max))
    }
}

/// Streaming Parabolic SAR.
#[derive(Debug, Clone)]
pub struct Psar {
    machine: SarMachine,
}

impl Psar {
    /// SAR with `acceleration` step and `maximum` factor (0.02, 0.2 in the node).
    #[must_use]
    pub fn new(acceleration: f64, maximum: f64) -> Self {
        Self {
            machine: SarMachine::new(acceleration, maximum),
        }
    }

    /// Feeds one candle's high and low.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64) -> Option<f64> {
        self.machine.push(high, low)
    }
}

/// Batch Parabolic SAR (NaN at index 0): the streaming step in a loop with
/// the state in locals.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn psar(high: &[f64], low: &[f64], acceleration: f64, maximum: f64) -> Vec<f64> {
    assert_eq!(high.len(), low.len());
    let mut out = vec![f64::NAN; high.len()];
    if high.len() < 2 {
        return out;
    }
    let acc = acceleration.min(maximum);
    let mut st = SarState::start(high[0], low[0], high[1], low[1], acc);
    for i in 1..high.len() {
        out[i] = st.step(high[i], low[i], acc, maximum);
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
    fn rising_market_trails_below_the_lows() {
        let h: Vec<f64> = (0..20).map(|i| 10.0 + f64::from(i)).collect();
        let l: Vec<f64> = h.iter().map(|x| x - 1.0).collect();
        let out = psar(&h, &l, 0.02, 0.2);
        assert!(out[0].is_nan());
        assert_eq!(out[1], l[0]);
        for i in 1..20 {
            assert!(out[i] <= l[i], "{i}: {} > {}", out[i], l[i]);
        }
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200)) {
            let mut st = Psar::new(0.02, 0.2);
            let streamed: Vec<f64> = (0..s.len()).map(|i| or_nan(st.update(s.high[i], s.low[i]))).collect();
            assert_columns_agree("psar", &streamed, &psar(&s.high, &s.low, 0.02, 0.2));
        }
    }
}

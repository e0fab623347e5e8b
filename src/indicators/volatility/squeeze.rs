//! Bollinger squeeze and expansion flags, read from the Bollinger band-width
//! column ([`BollingerOutput::width`](super::bollinger::BollingerOutput)).
//!
//! Definition, with w_t the band width and parameters `lookback` N (default
//! 120), `sma_period` p (default 20), `factor` k (default 1.5) and
//! `expansion_window` M (default 20):
//! - **squeeze** at t: w_t is the lowest of the last N widths
//!   w_{t−N+1} … w_t, ties included (w_t ≤ each of them), so a run of equal
//!   widths is a squeeze throughout;
//! - **expansion** at t: w_t > k·SMA_p(w)_t, the SMA over the last p widths
//!   with w_t included (summed oldest first, divided by p), *and* a squeeze
//!   was flagged at some s with 1 ≤ t − s ≤ M. It is a level test: every
//!   candle meeting it in those M candles is flagged, not only the first.
//!   A squeeze at t itself does not arm an expansion at t.
//!
//! Both flags are defined once the last max(N, p) widths are all defined;
//! a NaN width (Bollinger warm-up, or a zero middle band) yields `None` and
//! restarts the count and forgets any earlier squeeze. With Bollinger
//! period b the flags are first defined at index b − 1 + max(N, p) − 1.
//!
//! Cost: O(max(N, p)) per update (a scan of the window for the minimum and
//! the SMA).

use crate::indicators::window::Window;

/// Parameters of the squeeze flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SqueezeParams {
    /// N: widths a squeeze must be the lowest of (≥ 1).
    pub lookback: usize,
    /// p: SMA period of the width for the expansion test (≥ 1).
    pub sma_period: usize,
    /// k: expansion when the width exceeds k times its SMA.
    pub factor: f64,
    /// M: candles after a squeeze during which an expansion counts (≥ 1).
    pub expansion_window: usize,
}

impl Default for SqueezeParams {
    /// Lowest of 120; expansion above 1.5 × SMA(20) within 20 candles.
    fn default() -> Self {
        Self {
            lookback: 120,
            sma_period: 20,
            factor: 1.5,
            expansion_window: 20,
        }
    }
}

impl SqueezeParams {
    /// Widths needed before the flags are defined: max(N, p).
    #[must_use]
    pub fn warm_up(&self) -> usize {
        self.lookback.max(self.sma_period)
    }

    fn validate(&self) {
        assert!(
            self.lookback > 0 && self.sma_period > 0 && self.expansion_window > 0,
            "squeeze windows must be positive"
        );
        assert!(self.factor.is_finite(), "squeeze factor must be finite");
    }

    /// Flags from the last `warm_up()` widths (oldest first, finite) and
    /// whether a squeeze lies within the expansion window.
    fn flags(&self, len: usize, get: impl Fn(usize) -> f64, armed: bool) -> SqueezeFlags {
        let w = get(len - 1);
        let squeeze = (len - self.lookback..len).all(|i| w <= get(i));
        let sum: f64 = (len - self.sma_period..len).map(&get).sum();
        let sma = sum / self.sma_period as f64;
        SqueezeFlags {
            squeeze,
            expansion: armed && w > self.factor * sma,
        }
    }
}

/// One candle's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqueezeFlags {
    /// The width is the lowest of the last N.
    pub squeeze: bool,
    /// The width broke above k·SMA within M candles after a squeeze.
    pub expansion: bool,
}

/// Streaming squeeze flags, fed the band-width column.
#[derive(Debug, Clone)]
pub struct Squeeze {
    params: SqueezeParams,
    window: Window,
    /// Candles since the last squeeze, if one happened since the last reset.
    since_squeeze: Option<usize>,
}

impl Squeeze {
    /// New flags.
    ///
    /// # Panics
    /// When a window is 0 or the factor is not finite.
    #[must_use]
    pub fn new(params: SqueezeParams) -> Self {
        params.validate();
        Self {
            params,
            window: Window::new(params.warm_up()),
            since_squeeze: None,
        }
    }

    /// Feeds one band width (NaN where it is undefined).
    pub fn update(&mut self, width: f64) -> Option<SqueezeFlags> {
        if !width.is_finite() {
            self.window.clear();
            self.since_squeeze = None;
            return None;
        }
        self.window.push(width);
        if !self.window.is_full() {
            return None;
        }
        if let Some(k) = &mut self.since_squeeze {
            *k = k.saturating_add(1);
        }
        let armed = self
            .since_squeeze
            .is_some_and(|k| k <= self.params.expansion_window);
        let w = &self.window;
        let flags = self.params.flags(w.len(), |i| w.get(i), armed);
        if flags.squeeze {
            self.since_squeeze = Some(0);
        }
        Some(flags)
    }
}

/// Batch squeeze flags over a band-width column (`None` where the streaming
/// form is).
///
/// # Panics
/// When a window is 0 or the factor is not finite.
#[must_use]
pub fn squeeze(width: &[f64], params: SqueezeParams) -> Vec<Option<SqueezeFlags>> {
    params.validate();
    let need = params.warm_up();
    let mut out = vec![None; width.len()];
    let mut run_start = 0;
    let mut last_squeeze: Option<usize> = None;
    for t in 0..width.len() {
        if !width[t].is_finite() {
            run_start = t + 1;
            last_squeeze = None;
            continue;
        }
        if t + 1 - run_start < need {
            continue;
        }
        let lo = t + 1 - need;
        let armed = last_squeeze.is_some_and(|s| t - s <= params.expansion_window);
        let flags = params.flags(need, |i| width[lo + i], armed);
        if flags.squeeze {
            last_squeeze = Some(t);
        }
        out[t] = Some(flags);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: SqueezeParams = SqueezeParams {
        lookback: 3,
        sma_period: 2,
        factor: 1.5,
        expansion_window: 2,
    };

    fn flags(squeeze: bool, expansion: bool) -> Option<SqueezeFlags> {
        Some(SqueezeFlags { squeeze, expansion })
    }

    #[test]
    fn squeeze_then_expansion_by_hand() {
        // t=2: 1 is the low of [3, 2, 1] → squeeze.
        // t=3: 2 > 1.5·1.5? no (SMA(2) = 1.5, 2 ≤ 2.25).
        // t=4: 5 > 1.5·3.5 = 5.25? no.
        // t=5: 9 > 1.5·7 = 10.5? no — and the squeeze is now 3 candles back.
        let w = [3.0, 2.0, 1.0, 2.0, 5.0, 9.0];
        let b = squeeze(&w, P);
        assert_eq!(
            b,
            vec![
                None,
                None,
                flags(true, false),
                flags(false, false),
                flags(false, false),
                flags(false, false)
            ]
        );
        // t=3: 4 > 1.5·2.5 = 3.75 → expansion, one candle after the squeeze;
        // t=4: 8 > 1.5·6 = 9? no; t=5: 20 > 1.5·14 = 21? no.
        // t=6: 1 is the low → squeeze; t=7: 9 > 1.5·5 → expansion.
        let w = [3.0, 2.0, 1.0, 4.0, 8.0, 20.0, 1.0, 9.0];
        let b = squeeze(&w, P);
        assert_eq!(b[3], flags(false, true));
        assert_eq!(b[6], flags(true, false));
        assert_eq!(b[7], flags(false, true));
        let mut s = Squeeze::new(P);
        let st: Vec<_> = w.iter().map(|&x| s.update(x)).collect();
        assert_eq!(st, b);
    }

    #[test]
    fn expansion_window_closes() {
        // Squeeze at t=2; the break at t=5 is 3 candles later (M = 2).
        let w = [3.0, 2.0, 1.0, 1.1, 1.2, 10.0];
        let b = squeeze(&w, P);
        assert_eq!(b[5], flags(false, false));
        let wide = SqueezeParams {
            expansion_window: 3,
            ..P
        };
        assert_eq!(squeeze(&w, wide)[5], flags(false, true));
    }

    #[test]
    fn nan_restarts_and_ties_squeeze() {
        let w = [1.0, 1.0, 1.0, f64::NAN, 1.0, 1.0, 1.0];
        let b = squeeze(&w, P);
        assert_eq!(b[2], flags(true, false));
        assert!(b[3..6].iter().all(Option::is_none));
        assert_eq!(b[6], flags(true, false));
        let mut s = Squeeze::new(P);
        let st: Vec<_> = w.iter().map(|&x| s.update(x)).collect();
        assert_eq!(st, b);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::series;
    use crate::indicators::volatility::bollinger::{Bollinger, bollinger};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(
            s in series(300),
            bb in 2usize..25,
            lookback in 1usize..60,
            sma_period in 1usize..30,
            factor in 0.5f64..2.5,
            expansion_window in 1usize..30,
        ) {
            let p = SqueezeParams { lookback, sma_period, factor, expansion_window };
            let mut boll = Bollinger::new(bb, 2.0);
            let mut st = Squeeze::new(p);
            let streamed: Vec<Option<SqueezeFlags>> = s.close.iter()
                .map(|&c| st.update(boll.update(c).map_or(f64::NAN, |v| v.width)))
                .collect();
            let width = bollinger(&s.close, bb, 2.0).width;
            let batch = squeeze(&width, p);
            prop_assert_eq!(&streamed, &batch);
            let first = bb - 1 + p.warm_up() - 1;
            for (t, f) in batch.iter().enumerate() {
                prop_assert_eq!(f.is_some(), t >= first);
                if let Some(f) = f {
                    // With N ≥ p the lowest of the last N never exceeds its
                    // own SMA (factor kept clear of 1 against rounding).
                    if f.squeeze && lookback >= sma_period && factor >= 1.01 {
                        prop_assert!(!f.expansion);
                    }
                }
            }
        }
    }
}

//! Price velocity: momentum (rate of change), acceleration (change of the
//! rate of change) and a 0–100 composite velocity score.

use crate::indicators::window::Window;

/// One velocity reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VelocityReading {
    /// Momentum: rate of change over `period` candles, as a fraction
    /// (close / close[t − period] − 1).
    pub momentum: f64,
    /// Acceleration: this candle's momentum minus the previous candle's.
    pub acceleration: f64,
    /// Composite score on 0–100, direction-blind: how fast price moves
    /// relative to its own noise (see [`Velocity`]).
    pub score: f64,
}

/// Streaming price velocity over `period` candles.
///
/// The score normalises momentum by the symbol's own one-candle return
/// noise, so a quiet coin and a wild one are comparable:
/// `z = momentum / (σ₁·√period)`, σ₁ the standard deviation of one-candle
/// returns over the last `noise_window` candles; `za` likewise for
/// acceleration in the direction of the move. Then
/// `score = 100·(0.7·tanh(|z|/2) + 0.3·tanh(max(0, za)))`: a 2σ move scores
/// about 53 from momentum alone, and acceleration in the move's direction
/// adds up to 30. First defined once `period + 1` closes and a non-zero noise
/// estimate exist (the score is 0 when σ₁ = 0).
#[derive(Debug, Clone)]
pub struct Velocity {
    period: usize,
    closes: Window,
    returns: Window,
    prev_momentum: Option<f64>,
}

impl Velocity {
    /// Velocity over `period` candles with noise measured over
    /// `noise_window` one-candle returns.
    ///
    /// # Panics
    /// When `period` is 0 or `noise_window` < 2.
    #[must_use]
    pub fn new(period: usize, noise_window: usize) -> Self {
        assert!(period > 0 && noise_window >= 2, "invalid velocity windows");
        Self {
            period,
            closes: Window::new(period + 1),
            returns: Window::new(noise_window),
            prev_momentum: None,
        }
    }

    /// Feeds one close.
    pub fn update(&mut self, close: f64) -> Option<VelocityReading> {
        if let Some(prev) = self.closes.last()
            && prev > 0.0
        {
            self.returns.push(close / prev - 1.0);
        }
        self.closes.push(close);
        if !self.closes.is_full() {
            return None;
        }
        let base = self.closes.get(0);
        if base <= 0.0 {
            return None;
        }
        let momentum = close / base - 1.0;
        let acceleration = self.prev_momentum.map_or(0.0, |p| momentum - p);
        self.prev_momentum = Some(momentum);
        let n = self.returns.len() as f64;
        let mean = self.returns.iter().sum::<f64>() / n;
        let var = self.returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let scale = var.sqrt() * (self.period as f64).sqrt();
        let score = if scale > 0.0 {
            let z = momentum / scale;
            let za = acceleration * momentum.signum() / scale;
            100.0 * (0.7 * (z.abs() / 2.0).tanh() + 0.3 * za.max(0.0).tanh())
        } else {
            0.0
        };
        Some(VelocityReading {
            momentum,
            acceleration,
            score,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn momentum_and_acceleration() {
        let mut v = Velocity::new(2, 10);
        assert!(v.update(100.0).is_none());
        assert!(v.update(101.0).is_none());
        let a = v.update(102.0).unwrap();
        assert!((a.momentum - 0.02).abs() < 1e-12);
        assert_eq!(a.acceleration, 0.0);
        let b = v.update(104.0).unwrap();
        assert!((b.momentum - (104.0 / 101.0 - 1.0)).abs() < 1e-12);
        assert!((b.acceleration - (b.momentum - a.momentum)).abs() < 1e-15);
    }

    #[test]
    fn a_fast_move_outscores_noise() {
        let mut quiet = Velocity::new(10, 30);
        let mut fast = Velocity::new(10, 30);
        let mut last = (None, None);
        for i in 0..60 {
            let wiggle = if i % 2 == 0 { 0.001 } else { -0.001 };
            last.0 = quiet.update(100.0 * (1.0 + wiggle));
            let trend = if i >= 50 {
                1.0 + 0.01 * (i - 49) as f64
            } else {
                1.0 + wiggle
            };
            last.1 = fast.update(100.0 * trend);
        }
        assert!(last.1.unwrap().score > 80.0, "{:?}", last.1);
        assert!(last.0.unwrap().score < 20.0, "{:?}", last.0);
    }

    proptest! {
        #[test]
        fn score_in_range(c in crate::indicators::proptest_support::candles(200)) {
            let mut v = Velocity::new(10, 30);
            for k in &c {
                if let Some(r) = v.update(k.close) {
                    prop_assert!((0.0..=100.0).contains(&r.score));
                }
            }
        }
    }
}

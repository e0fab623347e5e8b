//! A synthetic open interest for markets that have none of their own (the
//! synthetic market, in the node and in the simulated exchange): the
//! contracts held open, driven by the traded volume.
//!
//! Model: each minute 0.4% of the open contracts close (a position lives
//! about 250 minutes, four hours, on average) and the minute's volume opens
//! new ones: `oi ← (1 − 0.004)·oi + volume`, starting at the steady state
//! of the first minute, `volume / 0.004`. Open interest so rises while
//! trading is heavier than usual and falls while it is lighter; over a
//! window of `n` minutes it changes by about `n · 0.004 · (recent / usual
//! volume − 1)`.
//!
//! A replay of recorded klines has no open interest: it stays unknown
//! there.

/// Share of the open contracts that close each minute.
pub const CLOSE_SHARE: f64 = 0.004;

/// One symbol's synthetic open interest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticOpenInterest {
    value: f64,
}

impl Default for SyntheticOpenInterest {
    fn default() -> Self {
        Self::new()
    }
}

impl SyntheticOpenInterest {
    /// Before the first minute: unknown.
    #[must_use]
    pub fn new() -> Self {
        Self { value: f64::NAN }
    }

    /// The open interest now, contracts (NaN before the first minute).
    #[must_use]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Takes one minute's traded volume (negative or non-finite counts as
    /// none); returns the open interest after it.
    pub fn update(&mut self, volume: f64) -> f64 {
        let volume = if volume.is_finite() {
            volume.max(0.0)
        } else {
            0.0
        };
        self.value = if self.value.is_nan() {
            volume / CLOSE_SHARE
        } else {
            (1.0 - CLOSE_SHARE) * self.value + volume
        };
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_volume_keeps_it_and_heavier_volume_raises_it() {
        let mut oi = SyntheticOpenInterest::new();
        assert!(oi.value().is_nan());
        assert_eq!(oi.update(10.0), 2500.0);
        assert!((oi.update(10.0) - 2500.0).abs() < 1e-9, "steady state");
        let before = oi.value();
        for _ in 0..20 {
            oi.update(20.0);
        }
        let change = oi.value() / before - 1.0;
        // About 20 · 0.004 · (20/10 − 1) = 8%.
        assert!((0.07..0.08).contains(&change), "{change}");
        for _ in 0..2000 {
            oi.update(f64::NAN);
        }
        assert!(oi.value() >= 0.0 && oi.value() < 1.0);
    }
}

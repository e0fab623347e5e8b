//! Exponential backoff with optional jitter: how long a supervisor waits
//! before a failed actor handles messages again, and how long a connection
//! waits before it reconnects.
//!
//! The delay after the n-th consecutive failure is `base · 2^(n−1)`, capped
//! at `max`; a run of `reset_after_ms` without a failure forgets the earlier
//! ones, so an actor that fails once a day is not punished for last week.
//! Jitter (a fraction `j` in 0..1) scales the delay by a factor drawn
//! uniformly from `[1 − j, 1]`, from a seeded generator so a run is
//! reproducible; it spreads reconnects of many clients apart.

use crate::market::random_walk::SplitMix64;
use serde::{Deserialize, Serialize};

/// Backoff knobs; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffConfig {
    /// Delay after the first failure, ms.
    pub base_ms: u64,
    /// Longest delay, ms.
    pub max_ms: u64,
    /// A quiet spell this long (ms) resets the failure count.
    pub reset_after_ms: u64,
    /// Jitter fraction, 0 (none) to 1.
    pub jitter: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base_ms: 100,
            max_ms: 30_000,
            reset_after_ms: 60_000,
            jitter: 0.0,
        }
    }
}

/// Backoff state: consecutive failures and when the last one was.
#[derive(Debug, Clone)]
pub struct Backoff {
    cfg: BackoffConfig,
    failures: u32,
    last_failure_ms: Option<i64>,
    rng: SplitMix64,
}

impl Backoff {
    /// No failures yet; `seed` drives the jitter.
    #[must_use]
    pub fn new(cfg: BackoffConfig, seed: u64) -> Self {
        Self {
            cfg,
            failures: 0,
            last_failure_ms: None,
            rng: SplitMix64::new(seed),
        }
    }

    /// Consecutive failures counted now.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure at `now_ms`; returns how long to wait, ms.
    pub fn failure(&mut self, now_ms: i64) -> u64 {
        let quiet = self
            .last_failure_ms
            .is_some_and(|t| now_ms.saturating_sub(t) >= self.cfg.reset_after_ms as i64);
        if quiet {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        self.last_failure_ms = Some(now_ms);
        let doubling = self.failures.saturating_sub(1).min(63);
        let raw = self
            .cfg
            .base_ms
            .saturating_mul(1u64.checked_shl(doubling).unwrap_or(u64::MAX));
        let capped = raw.min(self.cfg.max_ms);
        let j = self.cfg.jitter.clamp(0.0, 1.0);
        if j == 0.0 {
            return capped;
        }
        let u = self.rng.next_f64();
        // Truncation is the intent: whole milliseconds.
        ((capped as f64) * (1.0 - j * u)) as u64
    }

    /// Records a success: the next failure starts from `base` again.
    pub fn success(&mut self) {
        self.failures = 0;
        self.last_failure_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_then_caps_then_resets_after_quiet() {
        let cfg = BackoffConfig {
            base_ms: 100,
            max_ms: 1_000,
            reset_after_ms: 10_000,
            jitter: 0.0,
        };
        let mut b = Backoff::new(cfg, 1);
        let delays: Vec<u64> = (0..6).map(|i| b.failure(i * 10)).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(b.failure(50 + 10_000), 100, "a quiet spell resets");
        b.failure(20_100);
        b.success();
        assert_eq!(b.failure(20_200), 100);
    }

    proptest! {
        #[test]
        fn delays_stay_within_jitter_band_and_cap(
            base in 1u64..5_000, max in 1u64..100_000, jitter in 0.0f64..=1.0,
            gaps in proptest::collection::vec(0i64..200_000, 1..40), seed in any::<u64>(),
        ) {
            let cfg = BackoffConfig { base_ms: base, max_ms: max, reset_after_ms: 60_000, jitter };
            let mut b = Backoff::new(cfg, seed);
            let mut reference = Backoff::new(BackoffConfig { jitter: 0.0, ..cfg }, seed);
            let mut now = 0;
            for g in gaps {
                now += g;
                let d = b.failure(now);
                let full = reference.failure(now);
                prop_assert!(full <= max);
                prop_assert!(d <= full);
                prop_assert!(d as f64 >= (full as f64) * (1.0 - jitter) - 1.0);
                prop_assert_eq!(b.failures(), reference.failures());
            }
        }
    }
}

//! IP request-weight accounting (PROTOCOL.md §4.1 weights, §8.2 limits).
//!
//! Rules, as the simulator applies them:
//! 1. Weight is counted per fixed wall-clock minute (the `1M` of
//!    `X-MBX-USED-WEIGHT-1M`); the count resets at each minute boundary.
//! 2. Every request is charged its endpoint weight, rejected ones included.
//! 3. A request that takes the count over the limit is answered 429 with
//!    `-1003` and `Retry-After` = seconds to the end of the minute.

/// One window of the weight counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightLimiter {
    limit: u32,
    window_start_ms: i64,
    used: u32,
}

/// The outcome of charging one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// Weight used in the current minute, this request included.
    pub used: u32,
    /// `Some(seconds)` when the limit is broken: answer 429 with this
    /// `Retry-After`.
    pub retry_after_s: Option<u64>,
}

const MINUTE_MS: i64 = 60_000;

impl WeightLimiter {
    /// A limiter allowing `limit` weight per minute.
    #[must_use]
    pub const fn new(limit: u32) -> Self {
        Self {
            limit,
            window_start_ms: i64::MIN,
            used: 0,
        }
    }

    /// The limit per minute.
    #[must_use]
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// Charges `weight` at wall time `now_ms` (rules 1–3).
    pub fn charge(&mut self, now_ms: i64, weight: u32) -> Charge {
        let window = now_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        if window != self.window_start_ms {
            self.window_start_ms = window;
            self.used = 0;
        }
        self.used = self.used.saturating_add(weight);
        let retry_after_s = (self.used > self.limit).then(|| {
            let left_ms = window + MINUTE_MS - now_ms;
            u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1)
        });
        Charge {
            used: self.used,
            retry_after_s,
        }
    }
}

/// Order counts of the account (§8.2): `X-MBX-ORDER-COUNT-10S` and
/// `X-MBX-ORDER-COUNT-1M`, each over fixed wall-clock windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderCounter {
    window_10s: i64,
    count_10s: u32,
    window_1m: i64,
    count_1m: u32,
}

impl OrderCounter {
    /// Counts one order at `now_ms`; returns the 10-second and one-minute
    /// counts, this order included.
    pub fn count(&mut self, now_ms: i64) -> (u32, u32) {
        let w10 = now_ms.div_euclid(10_000);
        if w10 != self.window_10s {
            self.window_10s = w10;
            self.count_10s = 0;
        }
        let w1m = now_ms.div_euclid(MINUTE_MS);
        if w1m != self.window_1m {
            self.window_1m = w1m;
            self.count_1m = 0;
        }
        self.count_10s += 1;
        self.count_1m += 1;
        (self.count_10s, self.count_1m)
    }
}

/// `GET /fapi/v1/klines` weight by `limit` (§4.1): `[1,100)` → 1,
/// `[100,500)` → 2, `[500,1000]` → 5, above → 10.
#[must_use]
pub const fn klines_weight(limit: u32) -> u32 {
    match limit {
        0..100 => 1,
        100..500 => 2,
        500..=1000 => 5,
        _ => 10,
    }
}

/// `GET /fapi/v1/depth` weight by `limit` (§4.1): 5/10/20/50 → 2, 100 → 5,
/// 500 → 10, 1000 → 20.
#[must_use]
pub const fn depth_weight(limit: u32) -> u32 {
    match limit {
        0..=50 => 2,
        51..=100 => 5,
        101..=500 => 10,
        _ => 20,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_minute_and_resets() {
        let mut l = WeightLimiter::new(10);
        assert_eq!(l.charge(60_000, 4).used, 4);
        assert_eq!(l.charge(60_500, 6).used, 10);
        let c = l.charge(61_000, 1);
        assert_eq!(c.used, 11);
        assert_eq!(c.retry_after_s, Some(59));
        let c = l.charge(120_000, 1);
        assert_eq!((c.used, c.retry_after_s), (1, None));
    }

    #[test]
    fn order_counts_reset_per_window() {
        let mut c = OrderCounter::default();
        assert_eq!(c.count(60_000), (1, 1));
        assert_eq!(c.count(69_999), (2, 2));
        assert_eq!(c.count(70_000), (1, 3));
        assert_eq!(c.count(120_000), (1, 1));
    }

    #[test]
    fn weights_follow_the_table() {
        assert_eq!(
            [1, 99, 100, 499, 500, 1000, 1001, 1500].map(klines_weight),
            [1, 1, 2, 2, 5, 5, 10, 10]
        );
        assert_eq!(
            [5, 10, 20, 50, 100, 500, 1000].map(depth_weight),
            [2, 2, 2, 2, 5, 10, 20]
        );
    }
}

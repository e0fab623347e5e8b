//! The client's REST rate limiter: request weight and order counts per
//! window, kept below the venue's limits so that a 429 is rare and a 418
//! (IP ban) never happens (PROTOCOL.md §4.1 weights, §8.2 limits).
//!
//! Rules, in the order [`RateLimiter`] applies them:
//! 1. Limits come from `exchangeInfo.rateLimits` ([`RateLimiter::from_rate_limits`]),
//!    or the documented defaults: REQUEST_WEIGHT 2400 per minute, ORDERS
//!    1200 per minute (§8.2).
//! 2. Windows are fixed and aligned to the epoch, as the venue counts
//!    them (`X-MBX-USED-WEIGHT-1M` is the count of the current minute).
//!    `now_ms` should be the venue's time (local time plus the measured
//!    offset).
//! 3. A request's cost is reserved before it is sent; when the reservation
//!    would take a window over its limit the caller is told to wait until
//!    that window ends, never to send.
//! 4. When a window rolls over, requests still in flight are counted in the
//!    new window too: the venue may receive them after the boundary.
//! 5. Each response's `X-MBX-USED-WEIGHT-<n><u>` / `X-MBX-ORDER-COUNT-<n><u>`
//!    headers resynchronise the count upwards (other processes on the same
//!    IP or account also spend it); a header is ignored when the request was
//!    reserved in an earlier window than the current one.
//! 6. A 429 stops every request until its `Retry-After` (or the end of the
//!    current minute when absent), so that no request is sent into a limit
//!    already broken, which is what turns 429s into a 418 ban. A 418 stops
//!    every request until the ban ends.

use super::rest::{RateLimit, RateLimitType};

/// One minute in milliseconds.
const MINUTE_MS: i64 = 60_000;

/// Documented default IP weight per minute (§8.2).
pub const DEFAULT_WEIGHT_PER_MINUTE: u32 = 2400;
/// Documented default order count per minute (§8.2).
pub const DEFAULT_ORDERS_PER_MINUTE: u32 = 1200;
/// Wait after a 418 that carries no `Retry-After`: the shortest documented
/// ban (§8.2, "2 minutes up to 3 days").
pub const DEFAULT_BAN_MS: i64 = 2 * MINUTE_MS;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitKind {
    /// IP request weight (`X-MBX-USED-WEIGHT-*`).
    Weight,
    /// Account order count (`X-MBX-ORDER-COUNT-*`).
    Orders,
}

/// The cost of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// IP weight (§4.1, §6.1).
    pub weight: u32,
    /// Orders counted against the ORDERS limits (0 for non-order requests).
    pub orders: u32,
}

impl Cost {
    /// A request of `weight` that places no order.
    #[must_use]
    pub const fn weight(weight: u32) -> Self {
        Self { weight, orders: 0 }
    }

    fn of(self, kind: LimitKind) -> u32 {
        match kind {
            LimitKind::Weight => self.weight,
            LimitKind::Orders => self.orders,
        }
    }
}

/// One counted window.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bucket {
    kind: LimitKind,
    window_ms: i64,
    limit: u32,
    window_start: i64,
    used: u32,
    /// Reserved and not yet answered (rule 4).
    in_flight: u32,
}

impl Bucket {
    fn roll(&mut self, now_ms: i64) {
        let start = now_ms.div_euclid(self.window_ms) * self.window_ms;
        if start > self.window_start {
            self.window_start = start;
            self.used = self.in_flight;
        }
    }

    fn window_end(&self) -> i64 {
        self.window_start + self.window_ms
    }
}

/// Proof of a reservation, handed back with the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    cost: Cost,
    /// Window start of each bucket at reservation time, in bucket order.
    windows: Vec<i64>,
}

impl Permit {
    /// The reserved cost.
    #[must_use]
    pub const fn cost(&self) -> Cost {
        self.cost
    }
}

/// Why a request may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Throttle {
    /// A window is full: try again at `until_ms`.
    #[error("rate limit window full until {until_ms}")]
    WindowFull {
        /// When the window ends.
        until_ms: i64,
    },
    /// The venue answered 429 or 418: nothing may be sent before `until_ms`.
    #[error("venue asked to stop until {until_ms}")]
    Stopped {
        /// End of the `Retry-After` or ban.
        until_ms: i64,
    },
    /// The cost is above a limit on its own and can never be sent.
    #[error("request cost {cost} exceeds the limit {limit}")]
    TooCostly {
        /// The cost on the offending limit.
        cost: u32,
        /// That limit.
        limit: u32,
    },
}

impl Throttle {
    /// When to try again, `None` for [`Throttle::TooCostly`].
    #[must_use]
    pub const fn retry_at(&self) -> Option<i64> {
        match self {
            Self::WindowFull { until_ms } | Self::Stopped { until_ms } => Some(*until_ms),
            Self::TooCostly { .. } => None,
        }
    }
}

/// A usage header of a response, parsed: which counter, over which window,
/// and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageHeader {
    /// Weight or orders.
    pub kind: LimitKind,
    /// Window length in ms (`1M` = 60 000).
    pub window_ms: i64,
    /// The venue's count in the current window.
    pub used: u32,
}

impl UsageHeader {
    /// Parses `X-MBX-USED-WEIGHT-<n><u>` or `X-MBX-ORDER-COUNT-<n><u>` (name
    /// case-insensitive, units `S`, `M`, `H`, `D`); `None` for other headers
    /// or unparsable values.
    #[must_use]
    pub fn parse(name: &str, value: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        let (kind, window) = if let Some(w) = upper.strip_prefix("X-MBX-USED-WEIGHT-") {
            (LimitKind::Weight, w)
        } else if let Some(w) = upper.strip_prefix("X-MBX-ORDER-COUNT-") {
            (LimitKind::Orders, w)
        } else {
            return None;
        };
        let unit_ms = match window.chars().last()? {
            'S' => 1_000,
            'M' => MINUTE_MS,
            'H' => 60 * MINUTE_MS,
            'D' => 24 * 60 * MINUTE_MS,
            _ => return None,
        };
        let n: i64 = window[..window.len() - 1].parse().ok()?;
        let used = value.trim().parse().ok()?;
        (n > 0).then_some(Self {
            kind,
            window_ms: n * unit_ms,
            used,
        })
    }
}

/// Weight and order-count limiter for one IP and account (rules in the
/// module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimiter {
    buckets: Vec<Bucket>,
    stopped_until: i64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(&[
            (LimitKind::Weight, MINUTE_MS, DEFAULT_WEIGHT_PER_MINUTE),
            (LimitKind::Orders, MINUTE_MS, DEFAULT_ORDERS_PER_MINUTE),
        ])
    }
}

impl RateLimiter {
    /// A limiter for `(kind, window_ms, limit)` triples; windows of zero or
    /// negative length are ignored.
    #[must_use]
    pub fn new(limits: &[(LimitKind, i64, u32)]) -> Self {
        Self {
            buckets: limits
                .iter()
                .filter(|(_, w, _)| *w > 0)
                .map(|&(kind, window_ms, limit)| Bucket {
                    kind,
                    window_ms,
                    limit,
                    window_start: i64::MIN,
                    used: 0,
                    in_flight: 0,
                })
                .collect(),
            stopped_until: i64::MIN,
        }
    }

    /// The limits of `exchangeInfo.rateLimits` (rule 1); the defaults when
    /// it lists no REQUEST_WEIGHT or ORDERS limit.
    #[must_use]
    pub fn from_rate_limits(limits: &[RateLimit]) -> Self {
        let mut triples: Vec<(LimitKind, i64, u32)> = limits
            .iter()
            .filter_map(|l| {
                let kind = match l.rate_limit_type {
                    RateLimitType::RequestWeight => LimitKind::Weight,
                    RateLimitType::Orders => LimitKind::Orders,
                    RateLimitType::RawRequests | RateLimitType::Unknown => return None,
                };
                Some((kind, l.window_ms(), l.limit))
            })
            .collect();
        for (kind, limit) in [
            (LimitKind::Weight, DEFAULT_WEIGHT_PER_MINUTE),
            (LimitKind::Orders, DEFAULT_ORDERS_PER_MINUTE),
        ] {
            if !triples.iter().any(|t| t.0 == kind) {
                triples.push((kind, MINUTE_MS, limit));
            }
        }
        Self::new(&triples)
    }

    /// Replaces the limits (e.g. after `exchangeInfo`), keeping the counts
    /// of windows that stay and any stop in force.
    pub fn set_limits(&mut self, limits: &[RateLimit]) {
        let mut next = Self::from_rate_limits(limits);
        for b in &mut next.buckets {
            if let Some(old) = self
                .buckets
                .iter()
                .find(|o| o.kind == b.kind && o.window_ms == b.window_ms)
            {
                b.window_start = old.window_start;
                b.used = old.used;
                b.in_flight = old.in_flight;
            }
        }
        next.stopped_until = self.stopped_until;
        *self = next;
    }

    /// The limit of `kind` over `window_ms`, if tracked.
    #[must_use]
    pub fn limit(&self, kind: LimitKind, window_ms: i64) -> Option<u32> {
        self.bucket(kind, window_ms).map(|b| b.limit)
    }

    /// The count of `kind` over `window_ms` as of `now_ms` (reserved
    /// requests included).
    #[must_use]
    pub fn used(&self, kind: LimitKind, window_ms: i64, now_ms: i64) -> Option<u32> {
        self.bucket(kind, window_ms).map(|b| {
            let mut b = b.clone();
            b.roll(now_ms);
            b.used
        })
    }

    /// Until when the venue told us to stop (rule 6); `None` when not
    /// stopped at `now_ms`.
    #[must_use]
    pub fn stopped_until(&self, now_ms: i64) -> Option<i64> {
        (self.stopped_until > now_ms).then_some(self.stopped_until)
    }

    fn bucket(&self, kind: LimitKind, window_ms: i64) -> Option<&Bucket> {
        self.buckets
            .iter()
            .find(|b| b.kind == kind && b.window_ms == window_ms)
    }

    /// Reserves `cost` at `now_ms` (rules 3–4, 6).
    ///
    /// # Errors
    /// [`Throttle`] when the request must wait (or can never be sent); the
    /// limiter is then unchanged.
    pub fn try_acquire(&mut self, now_ms: i64, cost: Cost) -> Result<Permit, Throttle> {
        if self.stopped_until > now_ms {
            return Err(Throttle::Stopped {
                until_ms: self.stopped_until,
            });
        }
        let mut wait_until = None::<i64>;
        for b in &mut self.buckets {
            b.roll(now_ms);
            let c = cost.of(b.kind);
            if c > b.limit {
                return Err(Throttle::TooCostly {
                    cost: c,
                    limit: b.limit,
                });
            }
            if b.used.saturating_add(c) > b.limit {
                let end = b.window_end();
                wait_until = Some(wait_until.map_or(end, |w| w.max(end)));
            }
        }
        if let Some(until_ms) = wait_until {
            return Err(Throttle::WindowFull { until_ms });
        }
        let mut windows = Vec::with_capacity(self.buckets.len());
        for b in &mut self.buckets {
            let c = cost.of(b.kind);
            b.used += c;
            b.in_flight += c;
            windows.push(b.window_start);
        }
        Ok(Permit { cost, windows })
    }

    /// Settles a permit with its response's usage headers at `now_ms`
    /// (rules 4–5). Call it for every permit, also when the request failed
    /// (with no headers).
    pub fn complete(&mut self, permit: Permit, now_ms: i64, headers: &[UsageHeader]) {
        for (b, window) in self.buckets.iter_mut().zip(&permit.windows) {
            b.roll(now_ms);
            let c = permit.cost.of(b.kind);
            b.in_flight = b.in_flight.saturating_sub(c);
            if *window != b.window_start {
                continue;
            }
            if let Some(h) = headers
                .iter()
                .find(|h| h.kind == b.kind && h.window_ms == b.window_ms)
            {
                // The venue's count includes this request; ours may also
                // hold requests it has not seen yet, so only ever raise.
                b.used = b.used.max(h.used.saturating_add(b.in_flight));
            }
        }
    }

    /// A 429 at `now_ms` (rule 6): stop until `Retry-After`, or the end of
    /// the current minute when absent.
    pub fn on_too_many_requests(&mut self, now_ms: i64, retry_after_s: Option<u64>) {
        let until = retry_after_s.map_or_else(
            || now_ms.div_euclid(MINUTE_MS) * MINUTE_MS + MINUTE_MS,
            |s| now_ms.saturating_add(secs_to_ms(s)),
        );
        self.stop_until(until);
    }

    /// A 418 at `now_ms` (rule 6): stop until the ban ends (`Retry-After`,
    /// or [`DEFAULT_BAN_MS`] when absent).
    pub fn on_banned(&mut self, now_ms: i64, retry_after_s: Option<u64>) {
        let until = now_ms.saturating_add(retry_after_s.map_or(DEFAULT_BAN_MS, secs_to_ms));
        self.stop_until(until);
    }

    fn stop_until(&mut self, until_ms: i64) {
        self.stopped_until = self.stopped_until.max(until_ms);
    }
}

fn secs_to_ms(s: u64) -> i64 {
    i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX)
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

    fn weight_only(limit: u32) -> RateLimiter {
        RateLimiter::new(&[(LimitKind::Weight, MINUTE_MS, limit)])
    }

    #[test]
    fn waits_for_the_next_window_rather_than_exceeding() {
        let mut l = weight_only(10);
        let p1 = l.try_acquire(60_000, Cost::weight(6)).unwrap();
        assert_eq!(
            l.try_acquire(60_100, Cost::weight(5)),
            Err(Throttle::WindowFull { until_ms: 120_000 })
        );
        l.complete(p1, 60_200, &[]);
        let _p = l.try_acquire(60_300, Cost::weight(4)).unwrap();
        assert_eq!(l.used(LimitKind::Weight, MINUTE_MS, 60_300), Some(10));
        assert!(l.try_acquire(120_000, Cost::weight(5)).is_ok());
    }

    #[test]
    fn headers_raise_the_count_only_in_the_same_window() {
        let mut l = weight_only(100);
        let p = l.try_acquire(60_000, Cost::weight(1)).unwrap();
        let h = UsageHeader::parse("x-mbx-used-weight-1m", "90").unwrap();
        l.complete(p, 60_010, &[h]);
        assert_eq!(l.used(LimitKind::Weight, MINUTE_MS, 60_010), Some(90));
        let p = l.try_acquire(60_020, Cost::weight(1)).unwrap();
        // Answered after the roll: the old window's header is ignored.
        l.complete(p, 120_001, &[h]);
        assert_eq!(l.used(LimitKind::Weight, MINUTE_MS, 120_001), Some(1));
        // A lower header never lowers the count.
        let p = l.try_acquire(120_002, Cost::weight(1)).unwrap();
        let low = UsageHeader::parse("X-MBX-USED-WEIGHT-1M", "0").unwrap();
        l.complete(p, 120_003, &[low]);
        assert_eq!(l.used(LimitKind::Weight, MINUTE_MS, 120_003), Some(2));
    }

    #[test]
    fn in_flight_requests_count_in_the_next_window() {
        let mut l = weight_only(10);
        let p = l.try_acquire(59_990, Cost::weight(8)).unwrap();
        assert!(l.try_acquire(60_001, Cost::weight(3)).is_err());
        l.complete(p, 60_050, &[]);
        assert!(l.try_acquire(60_060, Cost::weight(3)).is_err());
        assert!(l.try_acquire(120_000, Cost::weight(10)).is_ok());
    }

    #[test]
    fn too_many_requests_stops_everything_until_retry_after() {
        let mut l = weight_only(100);
        l.on_too_many_requests(10_000, Some(7));
        assert_eq!(
            l.try_acquire(16_999, Cost::weight(1)),
            Err(Throttle::Stopped { until_ms: 17_000 })
        );
        assert!(l.try_acquire(17_000, Cost::weight(1)).is_ok());
        l.on_too_many_requests(70_500, None);
        assert_eq!(l.stopped_until(70_600), Some(120_000));
        l.on_banned(80_000, None);
        assert_eq!(l.stopped_until(80_000), Some(80_000 + DEFAULT_BAN_MS));
        // A shorter later stop does not shorten a ban.
        l.on_too_many_requests(81_000, Some(1));
        assert_eq!(l.stopped_until(81_000), Some(80_000 + DEFAULT_BAN_MS));
    }

    #[test]
    fn too_costly_and_order_limits() {
        let mut l = RateLimiter::new(&[
            (LimitKind::Weight, MINUTE_MS, 10),
            (LimitKind::Orders, 10_000, 2),
        ]);
        assert_eq!(
            l.try_acquire(0, Cost::weight(11)),
            Err(Throttle::TooCostly {
                cost: 11,
                limit: 10
            })
        );
        let order = Cost {
            weight: 0,
            orders: 1,
        };
        l.try_acquire(0, order).unwrap();
        l.try_acquire(1, order).unwrap();
        assert_eq!(
            l.try_acquire(2, order),
            Err(Throttle::WindowFull { until_ms: 10_000 })
        );
        assert!(l.try_acquire(2, Cost::weight(1)).is_ok());
    }

    #[test]
    fn headers_parse() {
        assert_eq!(
            UsageHeader::parse("X-MBX-ORDER-COUNT-10S", "3"),
            Some(UsageHeader {
                kind: LimitKind::Orders,
                window_ms: 10_000,
                used: 3
            })
        );
        assert_eq!(UsageHeader::parse("x-mbx-used-weight-1m", "x"), None);
        assert_eq!(UsageHeader::parse("x-mbx-used-weight-0m", "1"), None);
        assert_eq!(UsageHeader::parse("content-type", "1"), None);
    }

    #[test]
    fn limits_from_exchange_info_sample() {
        let text = include_str!("../../../tests/data/binance/samples/rest_exchangeInfo.json");
        let info: super::super::rest::ExchangeInfo = serde_json::from_str(text).unwrap();
        let l = RateLimiter::from_rate_limits(&info.rate_limits);
        assert_eq!(l.limit(LimitKind::Weight, MINUTE_MS), Some(2400));
        assert_eq!(l.limit(LimitKind::Orders, MINUTE_MS), Some(1200));
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

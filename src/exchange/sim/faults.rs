//! Fault injection: the misbehaviour a real venue shows, on command (the
//! admin endpoint) or on a schedule (config), so that clients' back-off,
//! ban avoidance, timeouts, reject handling and reconnects can be tested.
//!
//! A fault lasts for `count` requests, or `duration_ms`, or both (whichever
//! ends first; neither = one request). Kinds:
//! - `rate_limit`: HTTP 429, code -1003, `Retry-After`;
//! - `ban`: HTTP 418, code -1003 "IP banned until …", `Retry-After`;
//! - `slow`: the request waits `delay_ms` before it is handled;
//! - `reject_orders`: new orders get HTTP 400, code -2010;
//! - `drop_streams`: every WebSocket connection is closed (once per fault);
//! - `depth_gap`: the diff depth events of the next `count` market batches
//!   are lost on the wire (one batch by default), so clients see `pu`
//!   break the chain (PROTOCOL.md §2.6 step 5).
//!
//! Pure: the server passes wall-clock milliseconds in.

use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 answers.
    RateLimit,
    /// 418 answers.
    Ban,
    /// Delayed answers.
    Slow,
    /// New orders rejected.
    RejectOrders,
    /// WebSocket connections closed.
    DropStreams,
    /// Diff depth events lost.
    DepthGap,
}

impl FaultKind {
    /// Parses `rate_limit`, `ban`, `slow`, `reject_orders`, `drop_streams`,
    /// `depth_gap`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "rate_limit" | "429" => Self::RateLimit,
            "ban" | "418" => Self::Ban,
            "slow" => Self::Slow,
            "reject_orders" => Self::RejectOrders,
            "drop_streams" => Self::DropStreams,
            "depth_gap" => Self::DepthGap,
            _ => return None,
        })
    }
}

/// One fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultOrder {
    /// What.
    pub kind: FaultKind,
    /// For this many affected requests.
    #[serde(default)]
    pub count: Option<u32>,
    /// For this many milliseconds.
    #[serde(default)]
    pub duration_ms: Option<i64>,
    /// Delay of `slow`, ms.
    #[serde(default)]
    pub delay_ms: u64,
}

/// A fault injected every `every_ms` (config `[[faults]]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFault {
    /// Period, ms.
    pub every_ms: i64,
    /// What.
    pub kind: FaultKind,
    /// For this many affected requests.
    #[serde(default)]
    pub count: Option<u32>,
    /// For this many milliseconds.
    #[serde(default)]
    pub duration_ms: Option<i64>,
    /// Delay of `slow`, ms.
    #[serde(default)]
    pub delay_ms: u64,
}

impl ScheduledFault {
    /// The fault it injects.
    #[must_use]
    pub fn order(&self) -> FaultOrder {
        FaultOrder {
            kind: self.kind,
            count: self.count,
            duration_ms: self.duration_ms,
            delay_ms: self.delay_ms,
        }
    }
}

/// An active fault.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActiveFault {
    /// The fault.
    pub order: FaultOrder,
    /// Requests left (None: unlimited until `until_ms`).
    pub left: Option<u32>,
    /// End, wall ms (None: until `left` runs out).
    pub until_ms: Option<i64>,
}

/// What a request gets instead of (or before) its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultEffect {
    /// Answer this instead.
    Reply {
        /// HTTP status.
        status: u16,
        /// Binance error body.
        body: String,
        /// `Retry-After` seconds.
        retry_after_s: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Delay(u64),
}

/// The active faults and the schedule.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    active: Vec<ActiveFault>,
    schedule: Vec<(ScheduledFault, i64)>,
    drops: u64,
}

impl Faults {
    /// Faults with a schedule starting at `now_ms` (the first of each at
    /// `now_ms + every_ms`).
    #[must_use]
    pub fn with_schedule(schedule: &[ScheduledFault], now_ms: i64) -> Self {
        Self {
            active: Vec::new(),
            schedule: schedule
                .iter()
                .map(|s| (*s, now_ms + s.every_ms.max(1)))
                .collect(),
            drops: 0,
        }
    }

    /// Injects a fault now.
    pub fn inject(&mut self, order: FaultOrder, now_ms: i64) {
        if order.kind == FaultKind::DropStreams {
            self.drops += 1;
            return;
        }
        let left = match (order.count, order.duration_ms) {
            (None, None) => Some(1),
            (c, _) => c,
        };
        self.active.push(ActiveFault {
            order,
            left,
            until_ms: order.duration_ms.map(|d| now_ms + d),
        });
    }

    /// Ends every active fault.
    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// How many stream drops were ordered so far (connections compare it
    /// with the value they saw when they opened).
    #[must_use]
    pub fn drops(&self) -> u64 {
        self.drops
    }

    /// Injects the scheduled faults that are due at `now_ms`.
    pub fn tick(&mut self, now_ms: i64) {
        let mut due = Vec::new();
        for (s, next) in &mut self.schedule {
            while *next <= now_ms {
                due.push(s.order());
                *next += s.every_ms.max(1);
            }
        }
        for o in due {
            self.inject(o, now_ms);
        }
    }

    /// The active faults at `now_ms`.
    #[must_use]
    pub fn active(&mut self, now_ms: i64) -> Vec<ActiveFault> {
        self.expire(now_ms);
        self.active.clone()
    }

    fn expire(&mut self, now_ms: i64) {
        self.active
            .retain(|f| f.left != Some(0) && f.until_ms.is_none_or(|u| now_ms < u));
    }

    /// What a REST request at `now_ms` gets (`new_order`: it places an
    /// order); consumes one request of the first matching fault.
    pub fn on_request(&mut self, now_ms: i64, new_order: bool) -> Option<FaultEffect> {
        self.expire(now_ms);
        let i = self.active.iter().position(|f| match f.order.kind {
            FaultKind::RejectOrders => new_order,
            FaultKind::DepthGap => false,
            _ => true,
        })?;
        let f = &mut self.active[i];
        if let Some(left) = &mut f.left {
            *left -= 1;
        }
        let retry = f.until_ms.map_or(1, |u| {
            u64::try_from((u - now_ms + 999) / 1000).unwrap_or(1).max(1)
        });
        let body =
            |code: i64, msg: String| serde_json::json!({ "code": code, "msg": msg }).to_string();
        Some(match f.order.kind {
            FaultKind::RateLimit => FaultEffect::Reply {
                status: 429,
                body: body(
                    -1003,
                    "Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.".into(),
                ),
                retry_after_s: Some(retry),
            },
            FaultKind::Ban => FaultEffect::Reply {
                status: 418,
                body: body(
                    -1003,
                    format!(
                        "Way too many requests; IP(127.0.0.1) banned until {}. Please use the websocket for live updates to avoid bans.",
                        now_ms + i64::try_from(retry).unwrap_or(1) * 1000
                    ),
                ),
                retry_after_s: Some(retry),
            },
            FaultKind::Slow => FaultEffect::Delay(f.order.delay_ms),
            FaultKind::RejectOrders => FaultEffect::Reply {
                status: 400,
                body: body(-2010, "Order would immediately trigger.".into()),
                retry_after_s: None,
            },
            FaultKind::DropStreams | FaultKind::DepthGap => return None,
        })
    }

    /// True when the market batch published at `now_ms` loses its diff
    /// depth events (consumes one batch of the first `depth_gap` fault).
    pub fn take_depth_gap(&mut self, now_ms: i64) -> bool {
        self.expire(now_ms);
        let Some(f) = self
            .active
            .iter_mut()
            .find(|f| f.order.kind == FaultKind::DepthGap)
        else {
            return false;
        };
        if let Some(left) = &mut f.left {
            *left -= 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(kind: FaultKind, count: Option<u32>, duration_ms: Option<i64>) -> FaultOrder {
        FaultOrder {
            kind,
            count,
            duration_ms,
            delay_ms: 250,
        }
    }

    #[test]
    fn counts_and_durations_end_faults() {
        let mut f = Faults::default();
        f.inject(order(FaultKind::RateLimit, Some(2), None), 0);
        for _ in 0..2 {
            assert!(matches!(
                f.on_request(10, false),
                Some(FaultEffect::Reply { status: 429, .. })
            ));
        }
        assert_eq!(f.on_request(10, false), None);
        f.inject(order(FaultKind::Ban, None, Some(5_000)), 100);
        let Some(FaultEffect::Reply {
            status,
            body,
            retry_after_s,
        }) = f.on_request(1_100, false)
        else {
            panic!("banned");
        };
        assert_eq!((status, retry_after_s), (418, Some(4)));
        assert!(body.contains("\"code\":-1003") && body.contains("banned until"));
        assert!(f.on_request(4_000, false).is_some());
        assert_eq!(f.on_request(5_100, false), None, "the ban ended");
        f.inject(order(FaultKind::Slow, None, None), 0);
        assert_eq!(f.on_request(0, false), Some(FaultEffect::Delay(250)));
        assert_eq!(f.on_request(0, false), None, "one request by default");
    }

    #[test]
    fn order_rejects_touch_only_new_orders_and_drops_count() {
        let mut f = Faults::default();
        f.inject(order(FaultKind::RejectOrders, Some(1), None), 0);
        assert_eq!(f.on_request(0, false), None);
        assert!(matches!(
            f.on_request(0, true),
            Some(FaultEffect::Reply { status: 400, .. })
        ));
        assert_eq!(f.drops(), 0);
        f.inject(order(FaultKind::DropStreams, None, None), 0);
        assert_eq!(f.drops(), 1);
        assert!(f.active(0).is_empty());
    }

    #[test]
    fn depth_gaps_count_batches_and_leave_requests_alone() {
        let mut f = Faults::default();
        assert!(!f.take_depth_gap(0));
        f.inject(order(FaultKind::DepthGap, Some(2), None), 0);
        assert_eq!(f.on_request(0, true), None, "requests are not affected");
        assert!(f.take_depth_gap(1));
        assert!(f.take_depth_gap(2));
        assert!(!f.take_depth_gap(3), "two batches only");
        assert_eq!(FaultKind::parse("depth_gap"), Some(FaultKind::DepthGap));
    }

    #[test]
    fn the_schedule_injects_on_time() {
        let s = ScheduledFault {
            every_ms: 1_000,
            kind: FaultKind::RateLimit,
            count: Some(1),
            duration_ms: None,
            delay_ms: 0,
        };
        let mut f = Faults::with_schedule(&[s], 0);
        f.tick(999);
        assert_eq!(f.on_request(999, false), None);
        f.tick(2_000);
        assert_eq!(f.active(2_000).len(), 2, "two periods passed");
        let parsed: ScheduledFault =
            serde_json::from_str(r#"{"every_ms": 500, "kind": "drop_streams"}"#).unwrap();
        assert_eq!(parsed.order().kind, FaultKind::DropStreams);
        assert!(serde_json::from_str::<ScheduledFault>(r#"{"every_ms": 1, "kind": "x"}"#).is_err());
        assert_eq!(FaultKind::parse("429"), Some(FaultKind::RateLimit));
    }
}

//! Property tests of the REST rate limiter against a model of the venue's
//! fixed-window weight counter: whatever the request weights, the gaps
//! between them, the network latency both ways and the (possibly inflated)
//! usage headers, the venue never counts more than the limit in a window,
//! so it never answers 429.

use proptest::prelude::*;
use quantumtrade::exchange::binance::rate_limit::{
    Cost, LimitKind, Permit, RateLimiter, Throttle, UsageHeader,
};
use std::collections::BTreeMap;

const MINUTE_MS: i64 = 60_000;

/// One step of a scenario.
#[derive(Debug, Clone)]
struct Step {
    /// Time since the previous step, ms.
    gap_ms: i64,
    /// Weight of the request sent at this step.
    weight: u32,
    /// Client → venue latency, ms.
    up_ms: i64,
    /// Venue → client latency, ms.
    down_ms: i64,
    /// Extra weight the header reports (another process on the IP, or a
    /// header that is simply wrong upwards).
    header_bump: u32,
    /// Whether the answer carries the usage header at all.
    with_header: bool,
}

fn step(limit: u32) -> impl Strategy<Value = Step> {
    (
        prop_oneof![0..50i64, 0..5_000i64, 0..70_000i64],
        1..=limit,
        0..3_000i64,
        0..3_000i64,
        prop_oneof![Just(0u32), 0..10u32],
        any::<bool>(),
    )
        .prop_map(
            |(gap_ms, weight, up_ms, down_ms, header_bump, with_header)| Step {
                gap_ms,
                weight,
                up_ms,
                down_ms,
                header_bump,
                with_header,
            },
        )
}

enum Pending {
    Arrive {
        id: usize,
        weight: u32,
        down_ms: i64,
        bump: u32,
        with_header: bool,
    },
    Answer {
        id: usize,
        header: Option<UsageHeader>,
    },
}

/// The venue: weight counted per fixed minute of arrival time.
#[derive(Default)]
struct Venue {
    used: BTreeMap<i64, u32>,
}

impl Venue {
    fn charge(&mut self, at: i64, weight: u32) -> u32 {
        let w = self.used.entry(at.div_euclid(MINUTE_MS)).or_insert(0);
        *w += weight;
        *w
    }
}

fn run(limit: u32, start: i64, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut limiter = RateLimiter::new(&[(LimitKind::Weight, MINUTE_MS, limit)]);
    let mut venue = Venue::default();
    // (time, sequence) -> event: a deterministic event queue.
    let mut queue: BTreeMap<(i64, usize), Pending> = BTreeMap::new();
    let mut permits: BTreeMap<usize, Permit> = BTreeMap::new();
    let mut seq = 0usize;
    let mut now = start;
    let mut sent = 0usize;
    for s in steps {
        now += s.gap_ms;
        // Deliver everything due by `now`, in time order.
        while let Some(entry) = queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((t, _), ev) = entry.remove_entry();
            match ev {
                Pending::Arrive {
                    id,
                    weight,
                    down_ms,
                    bump,
                    with_header,
                } => {
                    let used = venue.charge(t, weight);
                    prop_assert!(
                        used <= limit,
                        "venue counted {used} > {limit} in minute {}",
                        t.div_euclid(MINUTE_MS)
                    );
                    let header = with_header.then_some(UsageHeader {
                        kind: LimitKind::Weight,
                        window_ms: MINUTE_MS,
                        used: used + bump,
                    });
                    seq += 1;
                    queue.insert((t + down_ms, seq), Pending::Answer { id, header });
                }
                Pending::Answer { id, header } => {
                    let permit = permits.remove(&id).expect("one answer per permit");
                    let headers: Vec<UsageHeader> = header.into_iter().collect();
                    limiter.complete(permit, t, &headers);
                }
            }
        }
        match limiter.try_acquire(now, Cost::weight(s.weight)) {
            Ok(permit) => {
                sent += 1;
                permits.insert(sent, permit);
                seq += 1;
                queue.insert(
                    (now + s.up_ms, seq),
                    Pending::Arrive {
                        id: sent,
                        weight: s.weight,
                        down_ms: s.down_ms,
                        bump: s.header_bump,
                        with_header: s.with_header,
                    },
                );
            }
            Err(Throttle::WindowFull { until_ms } | Throttle::Stopped { until_ms }) => {
                prop_assert!(until_ms > now);
            }
            Err(e @ Throttle::TooCostly { .. }) => {
                return Err(TestCaseError::fail(format!("weight <= limit yet {e}")));
            }
        }
    }
    // Drain: every request still arrives within the limit.
    for ((t, _), ev) in std::mem::take(&mut queue) {
        if let Pending::Arrive { weight, .. } = ev {
            let used = venue.charge(t, weight);
            prop_assert!(used <= limit, "venue counted {used} > {limit} at the end");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn venue_never_counts_more_than_the_limit(
        (limit, steps) in (1u32..60).prop_flat_map(|l| (Just(l), prop::collection::vec(step(l), 1..200))),
        start in 0i64..10 * MINUTE_MS,
    ) {
        run(limit, start, &steps)?;
    }

    #[test]
    fn a_stop_holds_every_request_until_it_ends(
        now in 0i64..1_000_000,
        retry_after_s in prop::option::of(0u64..300),
        probes in prop::collection::vec(0i64..400_000, 1..50),
    ) {
        let mut limiter = RateLimiter::default();
        limiter.on_too_many_requests(now, retry_after_s);
        let until = limiter.stopped_until(now).unwrap_or(now);
        for p in probes {
            let at = now + p;
            let r = limiter.try_acquire(at, Cost::weight(1));
            prop_assert_eq!(r.is_ok(), at >= until, "at {} until {}", at, until);
        }
    }
}

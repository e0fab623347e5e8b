//! Property tests of `KlineContinuity`: a venue's closed candles (with the
//! odd hole of its own) delivered through a live stream that drops,
//! repeats and disconnects, plus paged REST backfill, come out exactly
//! once each, in order, with nothing skipped that the venue has.

use proptest::prelude::*;
use quantumtrade::exchange::binance::kline_continuity::KlineContinuity;
use quantumtrade::market::Candle;

const M: i64 = 60_000;

#[derive(Debug, Clone)]
enum Op {
    /// The next venue candle closes; the stream delivers it unless dropped.
    Close { dropped: bool },
    /// The stream repeats a candle `back` positions before the newest.
    Repeat { back: usize },
    /// The connection drops (and is re-established at once).
    Disconnect,
    /// The client runs one REST backfill page if it needs one.
    Backfill,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => prop::bool::weighted(0.3).prop_map(|dropped| Op::Close { dropped }),
        2 => (0usize..5).prop_map(|back| Op::Repeat { back }),
        1 => Just(Op::Disconnect),
        3 => Just(Op::Backfill),
    ]
}

fn candle(open_time: i64) -> Candle {
    #[allow(clippy::cast_precision_loss, reason = "small test indices")]
    let p = 1.0 + (open_time / M) as f64;
    Candle::ohlcv(open_time, p, p, p, p, 1.0)
}

/// The venue's REST answer: closed candles in `[start, end]`, at most
/// `limit`, and whether that was everything in range.
fn rest(venue: &[i64], closed: usize, start: i64, end: i64, limit: usize) -> (Vec<Candle>, bool) {
    let rows: Vec<Candle> = venue[..closed]
        .iter()
        .copied()
        .filter(|&t| t >= start && t <= end)
        .take(limit)
        .map(candle)
        .collect();
    let exhaustive = rows.len() < limit;
    (rows, exhaustive)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_venue_candle_once_in_order(
        holes in prop::collection::vec(prop::bool::weighted(0.05), 300..360),
        ops in prop::collection::vec(op(), 1..250),
        limit in 1usize..6,
    ) {
        // The venue's candles: minute i exists unless it is a hole.
        let venue: Vec<i64> = holes
            .iter()
            .enumerate()
            .filter(|(_, h)| !**h)
            .map(|(i, _)| i64::try_from(i).unwrap() * M)
            .collect();
        let mut k = KlineContinuity::new(M);
        let mut closed = 0usize;
        let mut out: Vec<i64> = Vec::new();
        let emit = |v: Vec<Candle>, out: &mut Vec<i64>| out.extend(v.iter().map(|c| c.open_time));
        for op in ops {
            match op {
                Op::Close { dropped } => {
                    if closed == venue.len() {
                        continue;
                    }
                    closed += 1;
                    if !dropped {
                        emit(k.on_live(candle(venue[closed - 1])), &mut out);
                    }
                }
                Op::Repeat { back } => {
                    if closed > back {
                        emit(k.on_live(candle(venue[closed - 1 - back])), &mut out);
                    }
                }
                Op::Disconnect => k.on_disconnect(),
                Op::Backfill => {
                    if let Some(r) = k.backfill_range() {
                        let (rows, exhaustive) = rest(&venue, closed, r.start_ms, r.end_ms, limit);
                        emit(k.on_backfill(&rows, exhaustive), &mut out);
                    }
                }
            }
        }
        // Settle: one more candle arrives live (a dropped last candle is
        // only detectable by a later one), then backfill until fresh
        // (bounded: each page makes progress).
        if closed < venue.len() {
            closed += 1;
            emit(k.on_live(candle(venue[closed - 1])), &mut out);
        }
        for _ in 0..=venue.len() {
            let Some(r) = k.backfill_range() else { break };
            let (rows, exhaustive) = rest(&venue, closed, r.start_ms, r.end_ms, limit);
            emit(k.on_backfill(&rows, exhaustive), &mut out);
        }
        prop_assert!(k.is_fresh());
        // Exactly the venue's candles from the first emitted one to the
        // newest closed one, each once, in order.
        if let Some(&first) = out.first() {
            let from = venue.iter().position(|&t| t == first).unwrap();
            prop_assert_eq!(&out[..], &venue[from..closed]);
        }
    }
}

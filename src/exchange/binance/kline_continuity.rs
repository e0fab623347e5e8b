//! No lost and no doubled closed candle across reconnects: the closed
//! klines of one symbol and interval, from the live stream and from REST
//! backfill, merged into one gap-free, duplicate-free sequence.
//!
//! Rules, as [`KlineContinuity`] applies them (PROTOCOL.md §2.5 kline
//! `x`, §4.3 REST klines keyed by open time):
//! 1. Candles are keyed by open time; one at or before the last emitted
//!    one is a duplicate and is dropped (counted).
//! 2. A live candle that follows the last emitted one by exactly one
//!    interval is emitted at once.
//! 3. A live candle further ahead reveals a gap: it is held back and the
//!    sequence becomes stale until REST backfill covers the gap.
//! 4. A disconnect makes the sequence stale as well: candles may have
//!    closed while nobody listened. The first live candle of the new
//!    connection bounds what may be missing: if it directly follows the
//!    last one nothing is, otherwise it is held (rule 3) and the range
//!    between is backfilled. Backfill ranges thus always end before a
//!    closed candle, so REST answers hold closed bars only and no clock
//!    is needed to tell a forming bar from a closed one.
//! 5. Backfill emits REST candles in order, then the held live ones that
//!    now follow. A hole the venue itself cannot fill (an exhaustive REST
//!    answer without it) is skipped and counted, so one missing candle on
//!    the venue does not stall the symbol forever.
//! 6. The sequence is fresh again once nothing is held back behind a
//!    hole.

use crate::market::Candle;
use std::collections::BTreeMap;

/// The REST range still to fetch: `startTime = start_ms`, `endTime =
/// end_ms` (both inclusive open times). Every bar in it has closed: it
/// ends before a closed live candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillRange {
    /// First open time wanted.
    pub start_ms: i64,
    /// Last open time wanted.
    pub end_ms: i64,
}

/// Tallies of what the merge dropped or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContinuityStats {
    /// Candles dropped as duplicates (rule 1).
    pub duplicates: u64,
    /// Candles emitted from REST backfill.
    pub backfilled: u64,
    /// Intervals skipped because the venue had no candle for them (rule 5).
    pub unfillable: u64,
    /// Gaps detected in the live stream (rule 3).
    pub gaps: u64,
}

/// The merge state of one symbol and interval (rules in the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct KlineContinuity {
    interval_ms: i64,
    last: Option<i64>,
    stale: bool,
    held: BTreeMap<i64, Candle>,
    stats: ContinuityStats,
}

impl KlineContinuity {
    /// An empty sequence of `interval_ms` candles; the first live candle
    /// starts it.
    ///
    /// # Panics
    /// When `interval_ms` is not positive (a broken invariant of the
    /// caller: intervals come from [`crate::market::Interval`]).
    #[must_use]
    pub fn new(interval_ms: i64) -> Self {
        assert!(interval_ms > 0, "interval must be positive");
        Self {
            interval_ms,
            last: None,
            stale: false,
            held: BTreeMap::new(),
            stats: ContinuityStats::default(),
        }
    }

    /// A sequence that continues after the candle opening at
    /// `last_open_ms` (e.g. the last one stored); stale until backfilled.
    #[must_use]
    pub fn resume_after(interval_ms: i64, last_open_ms: i64) -> Self {
        let mut s = Self::new(interval_ms);
        s.last = Some(last_open_ms);
        s.stale = true;
        s
    }

    /// Open time of the last emitted candle.
    #[must_use]
    pub fn last_open_ms(&self) -> Option<i64> {
        self.last
    }

    /// True when every candle up to the last one received is emitted
    /// (rule 6).
    #[must_use]
    pub fn is_fresh(&self) -> bool {
        !self.stale
    }

    /// What was dropped or skipped so far.
    #[must_use]
    pub fn stats(&self) -> ContinuityStats {
        self.stats
    }

    /// A closed candle from the live stream; returns the candles to emit,
    /// in order (rules 1–3).
    pub fn on_live(&mut self, candle: Candle) -> Vec<Candle> {
        let t = candle.open_time;
        let Some(last) = self.last else {
            self.last = Some(t);
            return vec![candle];
        };
        if t <= last || self.held.contains_key(&t) {
            self.stats.duplicates += 1;
            return Vec::new();
        }
        if t == last + self.interval_ms {
            // Nothing is missing before it; held candles may now follow.
            let mut out = vec![candle];
            let mut last = t;
            while let Some(entry) = self.held.first_entry() {
                if *entry.key() != last + self.interval_ms {
                    break;
                }
                last = *entry.key();
                out.push(entry.remove());
            }
            self.last = Some(last);
            self.stale = !self.held.is_empty();
            return out;
        }
        if !self.stale {
            self.stats.gaps += 1;
            self.stale = true;
        }
        self.held.insert(t, candle);
        Vec::new()
    }

    /// The live stream was lost (rule 4).
    pub fn on_disconnect(&mut self) {
        if self.last.is_some() {
            self.stale = true;
        }
    }

    /// The REST range to fetch next: from one interval after the last
    /// emitted candle up to just before the first held one. `None` when
    /// fresh, and while stale with nothing held: the first live candle of
    /// the new connection bounds the range (rule 4).
    #[must_use]
    pub fn backfill_range(&self) -> Option<BackfillRange> {
        let last = self.last?;
        let first = *self.held.keys().next()?;
        Some(BackfillRange {
            start_ms: last + self.interval_ms,
            end_ms: first - 1,
        })
    }

    /// The REST answer for [`Self::backfill_range`]: `candles` ascending or
    /// not, `exhaustive` when the venue returned fewer rows than asked for
    /// (so it has nothing more in the range). Returns the candles to emit,
    /// in order (rules 5–6).
    pub fn on_backfill(&mut self, candles: &[Candle], exhaustive: bool) -> Vec<Candle> {
        let mut rest: Vec<&Candle> = candles.iter().collect();
        rest.sort_by_key(|c| c.open_time);
        let mut out = Vec::new();
        for c in rest {
            match self.last {
                Some(last) if c.open_time <= last => self.stats.duplicates += 1,
                Some(last) => {
                    // REST is the venue's record: a hole inside one answer
                    // is a hole on the venue.
                    self.stats.unfillable +=
                        u64::try_from((c.open_time - last) / self.interval_ms - 1).unwrap_or(0);
                    self.emit_rest(c, &mut out);
                }
                None => self.emit_rest(c, &mut out),
            }
        }
        let Some(mut last) = self.last else {
            self.stale = false;
            return out;
        };
        // Held live candles the backfill made redundant.
        while let Some((&t, _)) = self.held.first_key_value() {
            if t > last {
                break;
            }
            self.held.pop_first();
            self.stats.duplicates += 1;
        }
        if exhaustive && let Some(&first) = self.held.keys().next() {
            // The venue has nothing between `last` and the first held
            // candle: skip that hole (rule 5). Holes further on are not
            // covered by this answer.
            self.stats.unfillable +=
                u64::try_from((first - last) / self.interval_ms - 1).unwrap_or(0);
            last = first - self.interval_ms;
        }
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() != last + self.interval_ms {
                break;
            }
            last = *entry.key();
            out.push(entry.remove());
        }
        self.last = Some(last);
        self.stale = !self.held.is_empty();
        out
    }

    fn emit_rest(&mut self, c: &Candle, out: &mut Vec<Candle>) {
        self.last = Some(c.open_time);
        self.stats.backfilled += 1;
        out.push(*c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn c(i: i64) -> Candle {
        #[allow(clippy::cast_precision_loss, reason = "small test indices")]
        let p = 100.0 + i as f64;
        Candle::ohlcv(i * M, p, p, p, p, 1.0)
    }

    fn opens(v: &[Candle]) -> Vec<i64> {
        v.iter().map(|c| c.open_time / M).collect()
    }

    #[test]
    fn contiguous_live_candles_pass_and_duplicates_drop() {
        let mut k = KlineContinuity::new(M);
        assert_eq!(opens(&k.on_live(c(1))), [1]);
        assert_eq!(opens(&k.on_live(c(2))), [2]);
        assert!(k.on_live(c(2)).is_empty());
        assert!(k.on_live(c(1)).is_empty());
        assert_eq!(k.stats().duplicates, 2);
        assert!(k.is_fresh());
        assert_eq!(k.backfill_range(), None);
    }

    #[test]
    fn a_gap_holds_live_candles_until_backfilled() {
        let mut k = KlineContinuity::new(M);
        k.on_live(c(1));
        assert!(k.on_live(c(4)).is_empty());
        assert!(k.on_live(c(5)).is_empty());
        assert!(!k.is_fresh());
        assert_eq!(
            k.backfill_range(),
            Some(BackfillRange {
                start_ms: 2 * M,
                end_ms: 4 * M - 1
            })
        );
        let out = k.on_backfill(&[c(3), c(2)], true);
        assert_eq!(opens(&out), [2, 3, 4, 5]);
        assert!(k.is_fresh());
        assert_eq!(opens(&k.on_live(c(6))), [6]);
        assert_eq!(k.stats().gaps, 1);
        assert_eq!(k.stats().backfilled, 2);
    }

    #[test]
    fn a_reconnect_waits_for_a_live_anchor_then_backfills() {
        let mut k = KlineContinuity::new(M);
        k.on_live(c(1));
        k.on_disconnect();
        assert!(!k.is_fresh());
        // Nothing bounds the hole yet.
        assert_eq!(k.backfill_range(), None);
        // The new connection's first candle is 4: 2 and 3 may be missing.
        assert!(k.on_live(c(4)).is_empty());
        assert_eq!(
            k.backfill_range(),
            Some(BackfillRange {
                start_ms: 2 * M,
                end_ms: 4 * M - 1
            })
        );
        let out = k.on_backfill(&[c(2), c(3), c(4)], true);
        assert_eq!(opens(&out), [2, 3, 4]);
        assert!(k.is_fresh());
        assert_eq!(k.stats().duplicates, 1);
        // A reconnect that missed nothing is fresh at its first candle.
        k.on_disconnect();
        assert_eq!(opens(&k.on_live(c(5))), [5]);
        assert!(k.is_fresh());
    }

    #[test]
    fn partial_pages_keep_it_stale_and_unfillable_holes_are_skipped() {
        let mut k = KlineContinuity::resume_after(M, 0);
        k.on_live(c(10));
        let out = k.on_backfill(&[c(1), c(2)], false);
        assert_eq!(opens(&out), [1, 2]);
        assert!(!k.is_fresh());
        assert_eq!(k.backfill_range().unwrap().start_ms, 3 * M);
        // The venue has nothing for 7..=9.
        let out = k.on_backfill(&[c(3), c(4), c(5), c(6)], true);
        assert_eq!(opens(&out), [3, 4, 5, 6, 10]);
        assert_eq!(k.stats().unfillable, 3);
        assert!(k.is_fresh());
    }
}

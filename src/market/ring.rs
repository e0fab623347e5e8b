//! Fixed-capacity candle buffers: the recent history a symbol actor keeps
//! per timeframe, fed from 1m candles.

use super::aggregate::Aggregator;
use super::{Candle, Interval, OhlcvSeries};
use std::collections::VecDeque;

/// The newest `capacity` candles, oldest first; pushing onto a full ring
/// drops the oldest.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleRing {
    buf: VecDeque<Candle>,
    capacity: usize,
}

impl CandleRing {
    /// An empty ring holding at most `capacity` candles.
    ///
    /// # Panics
    /// When `capacity` is 0: a ring that can hold nothing is a configuration
    /// bug.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "a candle ring needs a capacity of at least 1");
        Self {
            buf: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Appends `c` as the newest candle; returns the oldest one when the
    /// ring was full and dropped it.
    pub fn push(&mut self, c: Candle) -> Option<Candle> {
        let evicted = if self.buf.len() == self.capacity {
            self.buf.pop_front()
        } else {
            None
        };
        self.buf.push_back(c);
        evicted
    }

    /// Replaces the newest candle with `c` (a forming candle's update) and
    /// returns the old one; pushes `c` when the ring is empty (returns
    /// `None`).
    pub fn replace_last(&mut self, c: Candle) -> Option<Candle> {
        match self.buf.back_mut() {
            Some(last) => Some(std::mem::replace(last, c)),
            None => {
                self.buf.push_back(c);
                None
            }
        }
    }

    /// Number of candles held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when no candle is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// True when the ring holds `capacity` candles.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.buf.len() == self.capacity
    }

    /// The most candles the ring holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The newest candle.
    #[must_use]
    pub fn last(&self) -> Option<&Candle> {
        self.buf.back()
    }

    /// The `i`-th candle, oldest first.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&Candle> {
        self.buf.get(i)
    }

    /// The candles, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Candle> + ExactSizeIterator {
        self.buf.iter()
    }

    /// The candles as two slices, oldest first: the first slice, then the
    /// second (possibly empty), without copying.
    #[must_use]
    pub fn as_slices(&self) -> (&[Candle], &[Candle]) {
        self.buf.as_slices()
    }

    /// The candles as one slice, oldest first, rearranging the storage in
    /// place when it wraps around (no allocation).
    pub fn make_contiguous(&mut self) -> &[Candle] {
        self.buf.make_contiguous()
    }

    /// The candles, oldest first, as a column-oriented series for batch
    /// indicator calls.
    #[must_use]
    pub fn to_series(&self) -> OhlcvSeries {
        self.buf.iter().collect()
    }

    /// The candles, oldest first, copied into a vector.
    #[must_use]
    pub fn to_vec(&self) -> Vec<Candle> {
        self.buf.iter().copied().collect()
    }

    /// Drops every candle.
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

impl<'a> IntoIterator for &'a CandleRing {
    type Item = &'a Candle;
    type IntoIter = std::collections::vec_deque::Iter<'a, Candle>;
    fn into_iter(self) -> Self::IntoIter {
        self.buf.iter()
    }
}

/// A set of the timeframes of [`TimeframeBuffers`]: which ones closed a
/// candle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TimeframeSet(u8);

impl TimeframeSet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    fn bit(tf: Interval) -> u8 {
        TimeframeBuffers::TIMEFRAMES
            .iter()
            .position(|&t| t == tf)
            .map_or(0, |i| 1 << i)
    }

    /// Adds `tf` (a no-op for intervals outside
    /// [`TimeframeBuffers::TIMEFRAMES`]).
    pub fn insert(&mut self, tf: Interval) {
        self.0 |= Self::bit(tf);
    }

    /// True when `tf` is in the set.
    #[must_use]
    pub fn contains(self, tf: Interval) -> bool {
        self.0 & Self::bit(tf) != 0
    }

    /// True when no timeframe is in the set.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The timeframes in the set, shortest first.
    pub fn iter(self) -> impl Iterator<Item = Interval> {
        TimeframeBuffers::TIMEFRAMES
            .into_iter()
            .filter(move |&tf| self.contains(tf))
    }
}

/// The closed candles of one symbol at 1m, 5m, 15m and 1h, each in a
/// [`CandleRing`], fed from 1m candles only: the higher timeframes are
/// aggregated as they arrive (rules in [`aggregate`](super::aggregate)).
///
/// A higher-timeframe candle closes as soon as the last 1m candle of its
/// bucket arrives, when a 1m candle of a later bucket arrives (the bucket had
/// a gap at its end), or on [`on_time`](Self::on_time) once its bucket has
/// ended (no more 1m candles are coming, say in a quiet market).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeframeBuffers {
    m1: CandleRing,
    /// Rings and aggregators for 5m, 15m, 1h, in that order.
    higher: [(Aggregator, CandleRing); 3],
    last_open_time: Option<i64>,
}

impl TimeframeBuffers {
    /// The timeframes held, shortest first.
    pub const TIMEFRAMES: [Interval; 4] = [Interval::M1, Interval::M5, Interval::M15, Interval::H1];

    /// Buffers keeping the newest `capacity` closed candles of every
    /// timeframe.
    ///
    /// # Panics
    /// When `capacity` is 0.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let tf = |i| (Aggregator::new(i), CandleRing::new(capacity));
        Self {
            m1: CandleRing::new(capacity),
            higher: [tf(Interval::M5), tf(Interval::M15), tf(Interval::H1)],
            last_open_time: None,
        }
    }

    /// Takes one closed 1m candle; returns the timeframes that closed a
    /// candle (1m always, unless the candle is ignored). A candle whose open
    /// time is not after the previous one's is ignored (empty set).
    pub fn push(&mut self, c: &Candle) -> TimeframeSet {
        let mut closed = TimeframeSet::EMPTY;
        if self.last_open_time.is_some_and(|t| c.open_time <= t) {
            return closed;
        }
        self.last_open_time = Some(c.open_time);
        self.m1.push(*c);
        closed.insert(Interval::M1);
        let end = c.open_time + Interval::M1.millis();
        for (agg, ring) in &mut self.higher {
            let mut any = false;
            for k in agg.push(c).into_iter().chain(agg.on_time(end)) {
                ring.push(k);
                any = true;
            }
            if any {
                closed.insert(agg.interval());
            }
        }
        closed
    }

    /// Closes every forming higher-timeframe candle whose bucket has ended
    /// by `now_ms`; returns the timeframes that closed one.
    pub fn on_time(&mut self, now_ms: i64) -> TimeframeSet {
        let mut closed = TimeframeSet::EMPTY;
        for (agg, ring) in &mut self.higher {
            if let Some(k) = agg.on_time(now_ms) {
                ring.push(k);
                closed.insert(agg.interval());
            }
        }
        closed
    }

    /// The ring of closed candles of `tf`; `None` for a timeframe not in
    /// [`TIMEFRAMES`](Self::TIMEFRAMES).
    #[must_use]
    pub fn ring(&self, tf: Interval) -> Option<&CandleRing> {
        if tf == Interval::M1 {
            return Some(&self.m1);
        }
        self.higher
            .iter()
            .find(|(a, _)| a.interval() == tf)
            .map(|(_, r)| r)
    }

    /// The forming (not yet closed) candle of `tf`, if any; always `None`
    /// for 1m, whose candles arrive closed.
    #[must_use]
    pub fn forming(&self, tf: Interval) -> Option<&Candle> {
        self.higher
            .iter()
            .find(|(a, _)| a.interval() == tf)
            .and_then(|(a, _)| a.forming())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn at(t: i64) -> Candle {
        Candle::ohlcv(t, 1.0, 2.0, 0.5, 1.5, 1.0)
    }

    #[test]
    fn ring_keeps_the_newest() {
        let mut r = CandleRing::new(3);
        assert!(r.is_empty() && r.last().is_none());
        for i in 0..3 {
            assert!(r.push(at(i)).is_none());
        }
        assert!(r.is_full());
        assert_eq!(r.push(at(3)).unwrap().open_time, 0);
        assert_eq!(r.len(), 3);
        assert_eq!(r.capacity(), 3);
        let times: Vec<i64> = r.iter().map(|c| c.open_time).collect();
        assert_eq!(times, [1, 2, 3]);
        assert_eq!(r.get(0).unwrap().open_time, 1);
        assert_eq!(r.last().unwrap().open_time, 3);
        assert_eq!(r.to_series().open_time, [1, 2, 3]);
        let (a, b) = r.as_slices();
        assert_eq!(a.len() + b.len(), 3);
        let flat: Vec<i64> = r.make_contiguous().iter().map(|c| c.open_time).collect();
        assert_eq!(flat, [1, 2, 3]);
        assert_eq!(r.to_vec().len(), 3);
        assert_eq!((&r).into_iter().count(), 3);
    }

    #[test]
    fn replace_last_updates_a_forming_candle() {
        let mut r = CandleRing::new(2);
        assert!(r.replace_last(at(0)).is_none());
        assert_eq!(r.len(), 1);
        let mut newer = at(0);
        newer.close = 1.9;
        assert_eq!(r.replace_last(newer).unwrap().close, 1.5);
        assert_eq!(r.len(), 1);
        assert_eq!(r.last().unwrap().close, 1.9);
        r.clear();
        assert!(r.is_empty());
    }

    #[test]
    #[should_panic(expected = "capacity")]
    fn zero_capacity_is_refused() {
        let _ = CandleRing::new(0);
    }

    #[test]
    fn buffers_close_each_timeframe_on_its_last_minute() {
        let mut b = TimeframeBuffers::new(10);
        for m in 0..4 {
            let closed = b.push(&at(m * MIN));
            assert_eq!(closed.iter().collect::<Vec<_>>(), [Interval::M1]);
        }
        assert_eq!(b.forming(Interval::M5).unwrap().open_time, 0);
        let closed = b.push(&at(4 * MIN));
        assert!(closed.contains(Interval::M1) && closed.contains(Interval::M5));
        assert!(!closed.contains(Interval::M15));
        assert!(b.forming(Interval::M5).is_none());
        assert_eq!(b.ring(Interval::M5).unwrap().last().unwrap().volume, 5.0);
        for m in 5..60 {
            let closed = b.push(&at(m * MIN));
            assert_eq!(closed.contains(Interval::H1), m == 59);
            assert_eq!(closed.contains(Interval::M15), m % 15 == 14);
        }
        assert_eq!(b.ring(Interval::H1).unwrap().len(), 1);
        assert_eq!(b.ring(Interval::M15).unwrap().len(), 4);
        assert_eq!(b.ring(Interval::M5).unwrap().len(), 10);
        assert_eq!(b.ring(Interval::M1).unwrap().len(), 10);
        assert!(b.ring(Interval::H4).is_none());
        assert!(b.forming(Interval::M1).is_none());
    }

    #[test]
    fn buffers_close_on_a_gap_and_on_time() {
        let mut b = TimeframeBuffers::new(10);
        b.push(&at(0));
        b.push(&at(MIN));
        // Stale candle: ignored.
        assert!(b.push(&at(MIN)).is_empty());
        // Jump to 7m: the 0m..5m bucket closes with its two candles.
        let closed = b.push(&at(7 * MIN));
        assert!(closed.contains(Interval::M5));
        assert_eq!(b.ring(Interval::M5).unwrap().last().unwrap().volume, 2.0);
        assert!(b.on_time(10 * MIN - 1).is_empty());
        let closed = b.on_time(10 * MIN);
        assert_eq!(closed.iter().collect::<Vec<_>>(), [Interval::M5]);
        assert_eq!(b.ring(Interval::M5).unwrap().len(), 2);
        let closed = b.on_time(60 * MIN);
        assert!(closed.contains(Interval::M15) && closed.contains(Interval::H1));
        assert!(!closed.contains(Interval::M5));
    }

    #[test]
    fn timeframe_set_ignores_foreign_intervals() {
        let mut s = TimeframeSet::default();
        s.insert(Interval::D1);
        assert!(s.is_empty() && !s.contains(Interval::D1));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::market::aggregate::aggregate;
    use proptest::prelude::*;

    proptest! {
        /// A ring never holds more than its capacity and always holds the
        /// newest candles, in order.
        #[test]
        fn ring_keeps_the_newest_within_capacity(cap in 1usize..20, n in 0usize..100) {
            let mut r = CandleRing::new(cap);
            for i in 0..n {
                r.push(Candle::ohlcv(i as i64, 1.0, 1.0, 1.0, 1.0, 0.0));
                prop_assert!(r.len() <= cap);
            }
            let want: Vec<i64> = (n.saturating_sub(cap)..n).map(|i| i as i64).collect();
            let got: Vec<i64> = r.iter().map(|c| c.open_time).collect();
            prop_assert_eq!(got, want);
        }

        /// The rings hold the newest closed candles of batch aggregation.
        #[test]
        fn buffers_match_batch(
            cs in crate::indicators::proptest_support::candles(300),
            cap in 1usize..30,
        ) {
            let cs: Vec<Candle> = cs
                .into_iter()
                .map(|c| Candle { open_time: Interval::M1.bucket_start(c.open_time), ..c })
                .collect();
            let mut b = TimeframeBuffers::new(cap);
            for c in &cs {
                b.push(c);
            }
            for tf in TimeframeBuffers::TIMEFRAMES {
                let all = aggregate(&cs, tf);
                // The last bucket is closed only when its last minute came.
                let closed = match (all.last(), cs.last()) {
                    (Some(k), Some(c)) if c.open_time + 60_000 < k.open_time + tf.millis() => {
                        &all[..all.len() - 1]
                    }
                    _ => &all[..],
                };
                let want = &closed[closed.len().saturating_sub(cap)..];
                prop_assert_eq!(b.ring(tf).unwrap().to_vec(), want.to_vec());
            }
        }
    }
}

//! Timeframe aggregation: shorter candles into longer ones, UTC-aligned.
//!
//! # Rules
//!
//! 1. A candle belongs to the bucket [`Interval::bucket_start`]`(open_time)`
//!    of the target interval: buckets are aligned to whole multiples of the
//!    interval since the Unix epoch (UTC), so a `1h` candle always opens on
//!    the hour and a `1d` candle at 00:00 UTC.
//! 2. Within a bucket: `open` = the first candle's open, `high` = the maximum
//!    high, `low` = the minimum low, `close` = the last candle's close;
//!    `volume`, `quote_volume`, `trades`, `taker_buy_volume` and
//!    `taker_buy_quote_volume` are sums, added oldest first.
//! 3. The aggregated candle's `open_time` is the bucket start, whatever the
//!    open time of its first input candle.
//! 4. Every bucket holding at least one input candle is a row, including the
//!    last one when it is only partly filled; a bucket holding none (a gap in
//!    the input) is no row.
//! 5. Input open times must be strictly increasing (what
//!    [`read_klines`](super::kline_csv::read_klines) guarantees). The
//!    streaming [`Aggregator`] ignores a candle that is not after the last one
//!    it took, or that falls in a bucket it already closed.
//!
//! The batch [`aggregate`] and the streaming [`Aggregator`] apply the same
//! rules in the same order and give bit-identical candles.

use super::{Candle, Interval};

/// Why a series cannot be aggregated to a target interval.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// The target is shorter than the input's own interval.
    #[error("timeframe {to} is shorter than the input's interval ({})", describe_ms(*input_ms))]
    ShorterThanInput {
        /// The input's interval, ms.
        input_ms: i64,
        /// The requested target.
        to: Interval,
    },
    /// The target is not a whole multiple of the input's own interval.
    #[error("timeframe {to} is not a multiple of the input's interval ({})", describe_ms(*input_ms))]
    NotAMultiple {
        /// The input's interval, ms.
        input_ms: i64,
        /// The requested target.
        to: Interval,
    },
}

/// `5m`-style name when `ms` is an interval, else `N ms`.
fn describe_ms(ms: i64) -> String {
    Interval::from_millis(ms).map_or_else(|| format!("{ms} ms"), |i| i.as_str().to_string())
}

/// Folds `c` into `acc`, which holds the earlier candles of the same bucket.
#[inline]
fn merge(acc: &mut Candle, c: &Candle) {
    acc.high = acc.high.max(c.high);
    acc.low = acc.low.min(c.low);
    acc.close = c.close;
    acc.volume += c.volume;
    acc.quote_volume += c.quote_volume;
    acc.trades += c.trades;
    acc.taker_buy_volume += c.taker_buy_volume;
    acc.taker_buy_quote_volume += c.taker_buy_quote_volume;
}

/// The first candle of a bucket, re-timed to the bucket start.
#[inline]
fn start_bucket(c: &Candle, to: Interval) -> Candle {
    Candle {
        open_time: to.bucket_start(c.open_time),
        ..*c
    }
}

/// Aggregates `candles` (open times strictly increasing) into `to` candles,
/// one per non-empty bucket, by the [module rules](self).
#[must_use]
pub fn aggregate(candles: &[Candle], to: Interval) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for c in candles {
        match out.last_mut() {
            Some(acc) if acc.open_time == to.bucket_start(c.open_time) => merge(acc, c),
            _ => out.push(start_bucket(c, to)),
        }
    }
    out
}

/// The smallest positive gap between consecutive open times, in ms; `None`
/// with fewer than two candles or no positive gap.
#[must_use]
pub fn smallest_gap_ms(candles: &[Candle]) -> Option<i64> {
    candles
        .windows(2)
        .map(|w| w[1].open_time - w[0].open_time)
        .filter(|&d| d > 0)
        .min()
}

/// The input's own interval: its [`smallest_gap_ms`] when that is the length
/// of an [`Interval`]; `None` otherwise (fewer than two candles included).
#[must_use]
pub fn detect_interval(candles: &[Candle]) -> Option<Interval> {
    smallest_gap_ms(candles).and_then(Interval::from_millis)
}

/// Checks that `candles` can be aggregated to `to`: `to` must be at least
/// the input's own interval ([`smallest_gap_ms`]) and a whole multiple of it.
/// A series with fewer than two candles can go to any interval.
///
/// # Errors
/// [`AggregateError`] saying which condition fails.
pub fn check_target(candles: &[Candle], to: Interval) -> Result<(), AggregateError> {
    let Some(input_ms) = smallest_gap_ms(candles) else {
        return Ok(());
    };
    if to.millis() < input_ms {
        Err(AggregateError::ShorterThanInput { input_ms, to })
    } else if to.millis() % input_ms != 0 {
        Err(AggregateError::NotAMultiple { input_ms, to })
    } else {
        Ok(())
    }
}

/// Streaming aggregation: shorter (typically `1m`) candles in, one forming
/// `to` candle at a time, closed candles out; the same rules and numbers as
/// [`aggregate`].
///
/// A bucket closes either when a candle of a later bucket arrives
/// ([`push`](Self::push)) or when the clock passes the bucket's end
/// ([`on_time`](Self::on_time)), whichever comes first. Live feeds need the
/// second: the first candle of the next bucket may come late, or not at all
/// when nothing trades.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregator {
    to: Interval,
    forming: Option<Candle>,
    last_open_time: Option<i64>,
    /// End of the last bucket closed; candles opening before it are late.
    closed_until: i64,
}

impl Aggregator {
    /// An aggregator into `to` candles, with nothing forming.
    #[must_use]
    pub fn new(to: Interval) -> Self {
        Self {
            to,
            forming: None,
            last_open_time: None,
            closed_until: i64::MIN,
        }
    }

    /// The target interval.
    #[must_use]
    pub fn interval(&self) -> Interval {
        self.to
    }

    /// The candle of the current, not yet closed, bucket (open time = bucket
    /// start), if any candle of it has arrived.
    #[must_use]
    pub fn forming(&self) -> Option<&Candle> {
        self.forming.as_ref()
    }

    /// Takes one input candle. Returns the previous bucket's candle when `c`
    /// starts a new bucket, else `None`. A candle not after the last one
    /// taken, or in a bucket already closed, is ignored (returns `None`).
    pub fn push(&mut self, c: &Candle) -> Option<Candle> {
        if self.last_open_time.is_some_and(|t| c.open_time <= t) || c.open_time < self.closed_until
        {
            return None;
        }
        self.last_open_time = Some(c.open_time);
        let bucket = self.to.bucket_start(c.open_time);
        match &mut self.forming {
            Some(acc) if acc.open_time == bucket => {
                merge(acc, c);
                None
            }
            _ => {
                let closed = self.forming.replace(start_bucket(c, self.to));
                if let Some(k) = &closed {
                    self.closed_until = k.open_time + self.to.millis();
                }
                closed
            }
        }
    }

    /// Closes and returns the forming candle when its bucket has ended by
    /// `now_ms` (`now_ms >= bucket start + interval`); later candles of that
    /// bucket are then ignored. `None` when nothing is forming or the bucket
    /// is still open.
    pub fn on_time(&mut self, now_ms: i64) -> Option<Candle> {
        let end = self.forming?.open_time + self.to.millis();
        if now_ms < end {
            return None;
        }
        self.closed_until = end;
        self.forming.take()
    }

    /// Closes and returns the forming candle whatever the time (end of a
    /// replay, shutdown).
    pub fn flush(&mut self) -> Option<Candle> {
        let c = self.forming.take()?;
        self.closed_until = c.open_time + self.to.millis();
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn c(t: i64, o: f64, h: f64, l: f64, cl: f64, v: f64) -> Candle {
        Candle {
            trades: 2,
            quote_volume: v * 10.0,
            taker_buy_volume: v / 2.0,
            taker_buy_quote_volume: v * 5.0,
            ..Candle::ohlcv(t, o, h, l, cl, v)
        }
    }

    #[test]
    fn batch_follows_the_rules() {
        let input = [
            c(MIN, 10.0, 12.0, 9.0, 11.0, 1.0),
            c(2 * MIN, 11.0, 15.0, 10.0, 14.0, 2.0),
            c(4 * MIN, 14.0, 14.0, 8.0, 9.0, 3.0),
            c(5 * MIN, 9.0, 10.0, 9.0, 10.0, 4.0),
            // gap: bucket 10m..15m empty
            c(17 * MIN, 10.0, 11.0, 10.0, 11.0, 5.0),
        ];
        let out = aggregate(&input, Interval::M5);
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[0],
            Candle {
                open_time: 0,
                open: 10.0,
                high: 15.0,
                low: 8.0,
                close: 9.0,
                volume: 6.0,
                quote_volume: 60.0,
                trades: 6,
                taker_buy_volume: 3.0,
                taker_buy_quote_volume: 30.0,
            }
        );
        assert_eq!(out[1].open_time, 5 * MIN);
        assert_eq!(out[1].volume, 4.0);
        assert_eq!(out[2].open_time, 15 * MIN);
        assert_eq!(out[2].close, 11.0);
    }

    #[test]
    fn streaming_closes_on_new_bucket_and_on_time() {
        let mut a = Aggregator::new(Interval::M5);
        assert_eq!(a.interval(), Interval::M5);
        assert!(a.on_time(i64::MAX).is_none());
        assert!(a.push(&c(0, 1.0, 2.0, 1.0, 2.0, 1.0)).is_none());
        assert!(a.push(&c(4 * MIN, 2.0, 3.0, 2.0, 3.0, 1.0)).is_none());
        assert_eq!(a.forming().unwrap().close, 3.0);
        assert!(a.on_time(5 * MIN - 1).is_none());
        let closed = a.on_time(5 * MIN).unwrap();
        assert_eq!(
            (closed.open_time, closed.high, closed.volume),
            (0, 3.0, 2.0)
        );
        assert!(a.forming().is_none());
        // A late candle of the closed bucket is ignored.
        assert!(a.push(&c(4 * MIN + 1, 2.0, 3.0, 2.0, 3.0, 1.0)).is_none());
        assert!(a.forming().is_none());
        assert!(a.push(&c(6 * MIN, 5.0, 5.0, 5.0, 5.0, 1.0)).is_none());
        let closed = a.push(&c(10 * MIN, 6.0, 6.0, 6.0, 6.0, 1.0)).unwrap();
        assert_eq!(closed.open_time, 5 * MIN);
        // Not increasing: ignored.
        assert!(a.push(&c(10 * MIN, 7.0, 7.0, 7.0, 7.0, 1.0)).is_none());
        assert_eq!(a.forming().unwrap().close, 6.0);
        assert_eq!(a.flush().unwrap().open_time, 10 * MIN);
        assert!(a.flush().is_none());
    }

    #[test]
    fn detects_the_input_interval() {
        let at = |ts: &[i64]| -> Vec<Candle> {
            ts.iter()
                .map(|&t| Candle::ohlcv(t, 1.0, 1.0, 1.0, 1.0, 0.0))
                .collect()
        };
        assert_eq!(detect_interval(&at(&[])), None);
        assert_eq!(detect_interval(&at(&[0])), None);
        assert_eq!(
            detect_interval(&at(&[0, 5 * MIN, 10 * MIN, 30 * MIN])),
            Some(Interval::M5)
        );
        assert_eq!(detect_interval(&at(&[0, 2 * MIN])), None);
        assert_eq!(smallest_gap_ms(&at(&[0, 2 * MIN])), Some(2 * MIN));
    }

    #[test]
    fn target_must_be_a_longer_multiple() {
        let five: Vec<Candle> = (0..3)
            .map(|i| Candle::ohlcv(i * 5 * MIN, 1.0, 1.0, 1.0, 1.0, 0.0))
            .collect();
        assert!(check_target(&five, Interval::M5).is_ok());
        assert!(check_target(&five, Interval::H1).is_ok());
        let e = check_target(&five, Interval::M1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "timeframe 1m is shorter than the input's interval (5m)"
        );
        let e = check_target(&five, Interval::M3).unwrap_err();
        assert!(matches!(e, AggregateError::ShorterThanInput { .. }));
        let three: Vec<Candle> = (0..3)
            .map(|i| Candle::ohlcv(i * 3 * MIN, 1.0, 1.0, 1.0, 1.0, 0.0))
            .collect();
        let e = check_target(&three, Interval::M5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "timeframe 5m is not a multiple of the input's interval (3m)"
        );
        assert!(check_target(&five[..1], Interval::M1).is_ok());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::candles;
    use proptest::prelude::*;

    /// Random 1m candles on minute boundaries with random gaps: each candle
    /// is kept or dropped.
    fn gappy(max_len: usize) -> impl Strategy<Value = Vec<Candle>> {
        (
            candles(max_len),
            prop::collection::vec(prop::bool::weighted(0.7), max_len),
            0i64..1440,
        )
            .prop_map(|(cs, keep, shift)| {
                cs.into_iter()
                    .zip(keep)
                    .filter(|(_, k)| *k)
                    .map(|(c, _)| Candle {
                        open_time: Interval::M1.bucket_start(c.open_time) + shift * 60_000,
                        trades: (c.volume as u64) % 7,
                        quote_volume: c.volume * c.close,
                        taker_buy_volume: c.volume / 3.0,
                        taker_buy_quote_volume: c.volume * c.close / 3.0,
                        ..c
                    })
                    .collect()
            })
    }

    fn interval() -> impl Strategy<Value = Interval> {
        prop::sample::select(Interval::ALL.to_vec())
    }

    fn stream(candles: &[Candle], to: Interval) -> Vec<Candle> {
        let mut a = Aggregator::new(to);
        let mut out: Vec<Candle> = candles.iter().filter_map(|c| a.push(c)).collect();
        out.extend(a.flush());
        out
    }

    fn sums_agree(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    proptest! {
        /// Streaming gives the batch candles, bit for bit.
        #[test]
        fn streaming_equals_batch(cs in gappy(400), to in interval()) {
            prop_assert_eq!(stream(&cs, to), aggregate(&cs, to));
        }

        /// Closing on time (after each candle's end) changes nothing when
        /// the candles come in order.
        #[test]
        fn closing_on_time_equals_batch(cs in gappy(300), to in interval()) {
            let mut a = Aggregator::new(to);
            let mut out = Vec::new();
            for c in &cs {
                out.extend(a.push(c));
                out.extend(a.on_time(c.open_time + 60_000));
            }
            out.extend(a.flush());
            prop_assert_eq!(out, aggregate(&cs, to));
        }

        /// 1m -> 5m -> 1h equals 1m -> 1h (sums up to rounding).
        #[test]
        fn aggregation_composes(cs in gappy(600)) {
            let two_step = aggregate(&aggregate(&cs, Interval::M5), Interval::H1);
            let direct = aggregate(&cs, Interval::H1);
            prop_assert_eq!(two_step.len(), direct.len());
            for (a, b) in two_step.iter().zip(&direct) {
                prop_assert_eq!(
                    (a.open_time, a.open, a.high, a.low, a.close, a.trades),
                    (b.open_time, b.open, b.high, b.low, b.close, b.trades)
                );
                prop_assert!(sums_agree(a.volume, b.volume));
                prop_assert!(sums_agree(a.quote_volume, b.quote_volume));
                prop_assert!(sums_agree(a.taker_buy_volume, b.taker_buy_volume));
                prop_assert!(sums_agree(a.taker_buy_quote_volume, b.taker_buy_quote_volume));
            }
        }

        /// Aggregating to the input's own interval is the identity: 1m input
        /// to 1m, any aggregated series to its own timeframe again, and any
        /// aligned series to its detected interval.
        #[test]
        fn own_interval_is_identity(cs in gappy(300), to in interval()) {
            prop_assert_eq!(aggregate(&cs, Interval::M1), cs.clone());
            let agg = aggregate(&cs, to);
            prop_assert_eq!(aggregate(&agg, to), agg.clone());
            if let Some(own) = detect_interval(&agg) {
                prop_assert!(own >= to);
                if agg.iter().all(|c| c.open_time % own.millis() == 0) {
                    prop_assert_eq!(aggregate(&agg, own), agg.clone());
                }
            }
        }

        /// Every output candle opens on its bucket boundary and the buckets
        /// are strictly increasing.
        #[test]
        fn buckets_are_aligned(cs in gappy(300), to in interval()) {
            let out = aggregate(&cs, to);
            for w in out.windows(2) {
                prop_assert!(w[0].open_time < w[1].open_time);
            }
            for c in &out {
                prop_assert_eq!(c.open_time % to.millis(), 0);
            }
            let mut buckets: Vec<i64> = cs.iter().map(|c| to.bucket_start(c.open_time)).collect();
            buckets.dedup();
            prop_assert_eq!(buckets.len(), out.len());
        }
    }
}

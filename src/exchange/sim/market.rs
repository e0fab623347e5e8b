//! The simulated exchange's market: the synthetic market or a kline
//! replay ([`MinuteSource`]) stepped minute by minute, one-minute history
//! per symbol for `/fapi/v1/klines`, trade and book update ids, and the
//! stream events each closed minute produces.
//!
//! The order book is synthetic: [`BOOK_LEVELS`] levels per side around the
//! best bid and ask. Each closed minute moves it once (one update id), and
//! the diff depth streams carry exactly the levels that changed, so a
//! client following PROTOCOL.md §2.6 from a `GET /fapi/v1/depth` snapshot
//! ends with the same book the REST endpoint serves. Building those events
//! is the costliest part of a minute, so they are made only when asked for
//! ([`SimMarket::set_depth_streams`]).

use super::config::SimConfig;
use super::stream::{self, StreamEvent};
use crate::market::aggregate::aggregate;
use crate::market::open_interest::SyntheticOpenInterest;
use crate::market::replay::ReplayMarket;
use crate::market::synthetic::{
    BookTicker, SymbolMinute, SymbolProfile, SyntheticConfig, SyntheticMarket, SyntheticTrade,
    Ticker24h,
};
use crate::market::{Candle, Interval};
use std::collections::BTreeMap;

/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// One day in minutes.
const DAY_MINUTES: usize = 1440;
/// Levels per side of the simulated book; `GET /fapi/v1/depth` serves at
/// most this many, and the diff streams cover all of them.
pub const BOOK_LEVELS: usize = 100;
/// The diff depth streams served per symbol (§2.4: same payload, the
/// update speed is not simulated).
const DEPTH_STREAMS: [&str; 3] = ["@depth", "@depth@100ms", "@depth@500ms"];

/// A closed kline of any interval, with the trade ids it spans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimKline {
    /// The candle (open time = bucket start).
    pub candle: Candle,
    /// Close time: open time + interval − 1 ms.
    pub close_time: i64,
    /// First trade id in the kline.
    pub first_trade_id: i64,
    /// Last trade id in the kline.
    pub last_trade_id: i64,
}

/// Per-symbol state the synthetic market does not keep.
#[derive(Debug, Clone)]
struct SymbolState {
    /// Closed one-minute candles, contiguous, the first at a UTC midnight.
    candles: Vec<Candle>,
    /// First and last trade id of each candle in `candles`.
    trade_ids: Vec<(i64, i64)>,
    book: BookTicker,
    book_update_id: i64,
    next_trade_id: i64,
    next_agg_id: i64,
    last_trade: Option<SyntheticTrade>,
    /// The synthetic open interest (unknown in a replay: recorded klines
    /// have none).
    open_interest: SyntheticOpenInterest,
    price_decimals: usize,
    qty_decimals: usize,
    /// Decimals of kline volumes: the quantity's, or more for a replay
    /// whose recorded volumes are finer than its step.
    volume_decimals: usize,
}

/// Where the minutes come from, chosen when the exchange starts.
#[derive(Debug, Clone)]
pub enum MinuteSource {
    /// The synthetic market, generated from a seed.
    Synthetic(SyntheticMarket),
    /// Recorded one-minute klines, replayed.
    Replay(ReplayMarket),
}

impl MinuteSource {
    /// The universe, in symbol order.
    #[must_use]
    pub fn profiles(&self) -> &[SymbolProfile] {
        match self {
            Self::Synthetic(m) => m.profiles(),
            Self::Replay(m) => m.profiles(),
        }
    }

    /// Open time of the next minute.
    #[must_use]
    pub fn next_open_time(&self) -> i64 {
        match self {
            Self::Synthetic(m) => m.next_open_time(),
            Self::Replay(m) => m.next_open_time(),
        }
    }

    /// The next minute of every symbol that has one.
    pub fn step(&mut self) -> Vec<SymbolMinute> {
        match self {
            Self::Synthetic(m) => m.step(),
            Self::Replay(m) => m.step(),
        }
    }

    /// Rolling 24h statistics of symbol `i`.
    #[must_use]
    pub fn ticker_24h(&self, i: usize) -> Ticker24h {
        match self {
            Self::Synthetic(m) => m.ticker_24h(i),
            Self::Replay(m) => m.ticker_24h(i),
        }
    }
}

/// The market the simulated exchange serves.
#[derive(Debug, Clone)]
pub struct SimMarket {
    source: MinuteSource,
    states: Vec<SymbolState>,
    by_name: BTreeMap<String, usize>,
    max_history: usize,
    onboard_ms: i64,
    /// Whether closed minutes emit diff depth events (they cost the most
    /// to build; the server turns them on while someone subscribes).
    depth_streams: bool,
}

/// Decimals needed to write multiples of `step` (`0.001` → 3, `1` → 0).
#[must_use]
pub fn decimals_of(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) || step >= 1.0 {
        return 0;
    }
    // Steps are powers of ten; rounding absorbs the float error of log10.
    usize::try_from((-step.log10()).round() as i64)
        .unwrap_or(0)
        .min(12)
}

/// `x` written with `decimals` decimals, as Binance writes decimals.
#[must_use]
pub fn fixed(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

/// `x` as a client reads it from the simulator: written with `decimals`
/// decimals ([`fixed`]) and parsed back.
///
/// Without text where that is exact (a backtest asks this of every book it
/// replays, every minute): the written decimal is `x · 10^d` rounded to an
/// integer `r`, over `10^d`, and reading it back is the correctly rounded
/// quotient, which f64 division of the exact `r` and `10^d` also gives.
/// Near a half, where the product's own rounding could pick the other
/// integer, and for values too large for an exact `r`, it writes the text.
#[must_use]
pub fn served(x: f64, decimals: usize) -> f64 {
    let text = || fixed(x, decimals).parse::<f64>().unwrap_or(f64::NAN);
    if !x.is_finite() || decimals > 15 {
        return text();
    }
    let mut p = 1.0_f64;
    for _ in 0..decimals {
        p *= 10.0;
    }
    let y = x * p;
    if y.abs() >= 2f64.powi(52)
        || ((y - y.floor()) - 0.5).abs() <= 4.0 * f64::EPSILON * y.abs().max(1.0)
    {
        return text();
    }
    y.round() / p
}

impl SimMarket {
    /// A market whose one-minute history runs from a UTC midnight at least
    /// `config.history_minutes` before `now_ms` up to the last minute closed
    /// at `now_ms` (simulated time).
    ///
    /// # Panics
    /// When `config` is invalid (see [`SimConfig::validate`]).
    #[must_use]
    pub fn new(config: &SimConfig, now_ms: i64) -> Self {
        let history_ms = i64::try_from(config.history_minutes).unwrap_or(i64::MAX / 2) * MINUTE_MS;
        let start_ms = Interval::D1.bucket_start(now_ms - history_ms);
        let source = MinuteSource::Synthetic(SyntheticMarket::new(SyntheticConfig {
            seed: config.seed,
            symbols: config.symbols,
            sectors: config.sectors,
            start_ms,
            trades_per_minute: config.trades_per_minute,
        }));
        Self::over(source, config, start_ms, now_ms)
    }

    /// A market replaying `replay` from its first recorded minute, with
    /// every minute closed by `now_ms` (simulated time) in the history.
    #[must_use]
    pub fn replay(replay: ReplayMarket, config: &SimConfig, now_ms: i64) -> Self {
        let start_ms = replay.first_ms();
        Self::over(MinuteSource::Replay(replay), config, start_ms, now_ms)
    }

    fn over(source: MinuteSource, config: &SimConfig, start_ms: i64, now_ms: i64) -> Self {
        let mut by_name = BTreeMap::new();
        let states = source
            .profiles()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                by_name.insert(p.instrument.symbol.as_str().to_string(), i);
                let qty_decimals = decimals_of(p.instrument.step_size);
                let volume_decimals = match &source {
                    MinuteSource::Synthetic(_) => qty_decimals,
                    MinuteSource::Replay(r) => r.volume_decimals(i).max(qty_decimals),
                };
                SymbolState {
                    candles: Vec::new(),
                    trade_ids: Vec::new(),
                    book: BookTicker {
                        bid: 0.0,
                        bid_qty: 0.0,
                        ask: 0.0,
                        ask_qty: 0.0,
                    },
                    book_update_id: 1_000_000,
                    next_trade_id: 1,
                    next_agg_id: 1,
                    last_trade: None,
                    open_interest: SyntheticOpenInterest::new(),
                    price_decimals: decimals_of(p.instrument.tick_size),
                    qty_decimals,
                    volume_decimals,
                }
            })
            .collect();
        let mut market = Self {
            source,
            states,
            by_name,
            max_history: config.max_history_minutes,
            onboard_ms: start_ms,
            depth_streams: false,
        };
        market.advance_to(now_ms, false);
        market
    }

    /// The universe, in symbol order.
    #[must_use]
    pub fn profiles(&self) -> &[SymbolProfile] {
        self.source.profiles()
    }

    /// Index of an upper-case symbol.
    #[must_use]
    pub fn index_of(&self, symbol: &str) -> Option<usize> {
        self.by_name.get(symbol).copied()
    }

    /// Listing time reported in `exchangeInfo` (the first history minute).
    #[must_use]
    pub fn onboard_ms(&self) -> i64 {
        self.onboard_ms
    }

    /// Every minute before this time (ms) is closed and in the history.
    #[must_use]
    pub fn closed_until_ms(&self) -> i64 {
        self.source.next_open_time()
    }

    /// Decimals of symbol `i`'s prices.
    #[must_use]
    pub fn price_decimals(&self, i: usize) -> usize {
        self.states[i].price_decimals
    }

    /// Decimals of symbol `i`'s quantities.
    #[must_use]
    pub fn qty_decimals(&self, i: usize) -> usize {
        self.states[i].qty_decimals
    }

    /// Turns the diff depth events of [`Self::advance_to`] on or off (off
    /// at start). Update ids advance either way, so a stream turned on
    /// later still chains on the REST `lastUpdateId`.
    pub fn set_depth_streams(&mut self, on: bool) {
        self.depth_streams = on;
    }

    /// Decimals of symbol `i`'s kline volumes.
    #[must_use]
    pub fn volume_decimals(&self, i: usize) -> usize {
        self.states[i].volume_decimals
    }

    /// Closes every minute that ends at or before `now_ms` (simulated time).
    /// With `emit`, returns the stream events of those minutes in time
    /// order: per symbol its aggTrades, its bookTicker, then a kline event
    /// per interval (closed, `x: true`, when the minute ends the interval's
    /// bar; the forming bar, `x: false`, otherwise).
    pub fn advance_to(&mut self, now_ms: i64, emit: bool) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        while self.source.next_open_time() + MINUTE_MS <= now_ms {
            let minutes = self.source.step();
            for m in minutes {
                let st = &mut self.states[m.index];
                let first = st.next_trade_id;
                let n = i64::try_from(m.trades.len()).unwrap_or(0);
                st.next_trade_id += n;
                st.candles.push(m.kline);
                st.trade_ids.push((first, first + n - 1));
                let previous_book = st.book;
                st.book = m.book;
                st.book_update_id += 1;
                st.last_trade = m.trades.last().copied().or(st.last_trade);
                if matches!(self.source, MinuteSource::Synthetic(_)) {
                    st.open_interest.update(m.kline.volume);
                }
                if st.candles.len() > self.max_history + DAY_MINUTES {
                    // Whole days, so the history still starts at midnight.
                    st.candles.drain(..DAY_MINUTES);
                    st.trade_ids.drain(..DAY_MINUTES);
                }
                if emit {
                    self.emit_minute(m.index, &m.trades, first, &mut events);
                    if self.depth_streams {
                        self.emit_depth_diff(m.index, &previous_book, &mut events);
                    }
                } else {
                    self.states[m.index].next_agg_id += n;
                }
            }
        }
        events
    }

    fn emit_minute(
        &mut self,
        i: usize,
        trades: &[SyntheticTrade],
        first_trade_id: i64,
        out: &mut Vec<StreamEvent>,
    ) {
        let symbol = self.source.profiles()[i]
            .instrument
            .symbol
            .as_str()
            .to_string();
        let lower = symbol.to_ascii_lowercase();
        let (pd, qd) = (self.states[i].price_decimals, self.states[i].qty_decimals);
        let vd = self.states[i].volume_decimals;
        for (trade_id, t) in (first_trade_id..).zip(trades) {
            let st = &mut self.states[i];
            let agg_id = st.next_agg_id;
            st.next_agg_id += 1;
            out.push(StreamEvent::new(
                format!("{lower}@aggTrade"),
                stream::agg_trade_json(&symbol, agg_id, trade_id, t, pd, qd),
            ));
        }
        let st = &self.states[i];
        let Some(&last) = st.candles.last() else {
            return;
        };
        let close_ms = last.open_time + MINUTE_MS;
        out.push(StreamEvent::new(
            format!("{lower}@bookTicker"),
            stream::book_ticker_json(&symbol, st.book_update_id, close_ms, &st.book, pd, qd),
        ));
        for interval in Interval::ALL {
            let Some(k) = self.forming(i, interval) else {
                continue;
            };
            let closed = k.close_time + 1 == close_ms;
            out.push(StreamEvent::new(
                format!("{lower}@kline_{}", interval.as_str()),
                stream::kline_json(&symbol, interval, &k, closed, close_ms, pd, vd),
            ));
        }
    }

    /// The diff depth event of symbol `i` from `previous` to the current
    /// book: the levels whose quantity changed, `"0"` for those gone
    /// (§2.5 `depthUpdate`); `pu` chains it to the previous update id.
    fn emit_depth_diff(&self, i: usize, previous: &BookTicker, out: &mut Vec<StreamEvent>) {
        let st = &self.states[i];
        let Some(last) = st.candles.last() else {
            return;
        };
        let close_ms = last.open_time + MINUTE_MS;
        let (pd, qd) = (st.price_decimals, st.qty_decimals);
        let text = |levels: Vec<DepthLevel>| -> BTreeMap<String, String> {
            levels
                .into_iter()
                .map(|(p, q)| (fixed(p, pd), fixed(q, qd)))
                .collect()
        };
        let (old_b, old_a) = self.depth_of(i, previous, BOOK_LEVELS);
        let (new_b, new_a) = self.depth_of(i, &st.book, BOOK_LEVELS);
        let diff = |old: BTreeMap<String, String>, new: BTreeMap<String, String>| {
            let zero = fixed(0.0, qd);
            let mut changes: Vec<[String; 2]> = new
                .iter()
                .filter(|(p, q)| old.get(*p) != Some(*q))
                .map(|(p, q)| [p.clone(), q.clone()])
                .collect();
            changes.extend(
                old.keys()
                    .filter(|p| !new.contains_key(*p))
                    .map(|p| [p.clone(), zero.clone()]),
            );
            changes
        };
        let bids = diff(text(old_b), text(new_b));
        let asks = diff(text(old_a), text(new_a));
        let symbol = self.source.profiles()[i].instrument.symbol.as_str();
        let u = st.book_update_id;
        let json = serde_json::json!({
            "e": "depthUpdate", "E": close_ms, "T": close_ms, "s": symbol,
            "U": u, "u": u, "pu": u - 1, "b": bids, "a": asks,
        })
        .to_string();
        let lower = symbol.to_ascii_lowercase();
        for suffix in DEPTH_STREAMS {
            out.push(StreamEvent::new(format!("{lower}{suffix}"), json.clone()));
        }
    }

    /// Index in `candles` of the minute opening at `t` (clamped to the
    /// history).
    fn minute_index(st: &SymbolState, t: i64) -> usize {
        let Some(first) = st.candles.first() else {
            return 0;
        };
        let i = usize::try_from((t - first.open_time).div_euclid(MINUTE_MS)).unwrap_or(0);
        i.min(st.candles.len())
    }

    /// The `interval` bar that contains the last closed minute, aggregated
    /// from the minutes so far.
    fn forming(&self, i: usize, interval: Interval) -> Option<SimKline> {
        let st = &self.states[i];
        let last = st.candles.last()?;
        let bucket = interval.bucket_start(last.open_time);
        let lo = Self::minute_index(st, bucket);
        Some(Self::bar(st, interval, bucket, lo, st.candles.len()))
    }

    fn bar(st: &SymbolState, interval: Interval, bucket: i64, lo: usize, hi: usize) -> SimKline {
        let candle = aggregate(&st.candles[lo..hi], interval)
            .first()
            .copied()
            .unwrap_or_else(|| Candle::ohlcv(bucket, 0.0, 0.0, 0.0, 0.0, 0.0));
        SimKline {
            candle,
            close_time: bucket + interval.millis() - 1,
            first_trade_id: st.trade_ids[lo].0,
            last_trade_id: st.trade_ids[hi - 1].1,
        }
    }

    /// Closed klines of symbol `i` by Binance's selection rules (§4.3):
    /// bars are keyed by open time, `start_ms` and `end_ms` inclusive;
    /// with `start_ms`, the oldest `limit` bars from it; without, the most
    /// recent `limit` bars up to `end_ms` (or now). Only closed bars are
    /// returned (the forming one is not).
    #[must_use]
    pub fn klines(
        &self,
        i: usize,
        interval: Interval,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: usize,
    ) -> Vec<SimKline> {
        let st = &self.states[i];
        let (Some(first), Some(last)) = (st.candles.first(), st.candles.last()) else {
            return Vec::new();
        };
        let step = interval.millis();
        let first_bucket = interval.bucket_start(first.open_time);
        let last_bucket = interval.bucket_start(last.open_time + MINUTE_MS) - step;
        let mut lo = first_bucket;
        let mut hi = last_bucket;
        if let Some(s) = start_ms {
            let b = interval.bucket_start(s);
            lo = lo.max(if b < s { b + step } else { b });
        }
        if let Some(e) = end_ms {
            hi = hi.min(interval.bucket_start(e));
        }
        if lo > hi || limit == 0 {
            return Vec::new();
        }
        let available = usize::try_from((hi - lo) / step + 1).unwrap_or(0);
        let count = available.min(limit);
        let from = if start_ms.is_some() {
            lo
        } else {
            hi - i64::try_from(count - 1).unwrap_or(0) * step
        };
        (0..count)
            .map(|k| {
                let b = from + i64::try_from(k).unwrap_or(0) * step;
                let a = Self::minute_index(st, b);
                let z = Self::minute_index(st, b + step);
                Self::bar(st, interval, b, a, z)
            })
            .collect()
    }

    /// Open interest of symbol `i`, contracts: the synthetic model's
    /// ([`crate::market::open_interest`]); NaN in a replay.
    #[must_use]
    pub fn open_interest(&self, i: usize) -> f64 {
        self.states[i].open_interest.value()
    }

    /// Best bid and ask of symbol `i` and the book update id.
    #[must_use]
    pub fn book(&self, i: usize) -> (BookTicker, i64) {
        (self.states[i].book, self.states[i].book_update_id)
    }

    /// The last closed one-minute candle of symbol `i`.
    #[must_use]
    pub fn last_candle(&self, i: usize) -> Option<&Candle> {
        self.states[i].candles.last()
    }

    /// Mark price of symbol `i`: the book's mid (as `premiumIndex` reports).
    #[must_use]
    pub fn mark_price(&self, i: usize) -> f64 {
        let b = &self.states[i].book;
        f64::midpoint(b.bid, b.ask)
    }

    /// Last trade price of symbol `i` (the contract price of
    /// `workingType=CONTRACT_PRICE`).
    #[must_use]
    pub fn last_price(&self, i: usize) -> f64 {
        self.states[i]
            .last_trade
            .map_or_else(|| self.mark_price(i), |t| t.price)
    }

    /// Rolling 24h statistics of symbol `i`.
    #[must_use]
    pub fn ticker_24h(&self, i: usize) -> Ticker24hView {
        let st = &self.states[i];
        let t = self.source.ticker_24h(i);
        let n = st.trade_ids.len();
        let first_id = st.trade_ids[n.saturating_sub(DAY_MINUTES)..]
            .first()
            .map_or(0, |ids| ids.0);
        let last_id = st.next_trade_id - 1;
        Ticker24hView {
            stats: t,
            last_qty: st.last_trade.map_or(0.0, |tr| tr.qty),
            first_id,
            last_id,
        }
    }

    /// The top `levels` (at most [`BOOK_LEVELS`]) per side of symbol `i`'s
    /// synthetic order book: around the best bid and ask, one tick apart,
    /// sizes growing away from the touch.
    #[must_use]
    pub fn depth(&self, i: usize, levels: usize) -> (Vec<DepthLevel>, Vec<DepthLevel>) {
        self.depth_of(i, &self.states[i].book, levels.min(BOOK_LEVELS))
    }

    fn depth_of(
        &self,
        i: usize,
        book: &BookTicker,
        levels: usize,
    ) -> (Vec<DepthLevel>, Vec<DepthLevel>) {
        let p = &self.source.profiles()[i].instrument;
        let side = |touch: f64, qty: f64, dir: f64| {
            (0..levels)
                .map(|k| {
                    let kf = k as f64;
                    let price = touch + dir * kf * p.tick_size;
                    let size =
                        (qty * (1.0 + 0.37 * kf) / p.step_size).round().max(1.0) * p.step_size;
                    (price, size)
                })
                .filter(|(price, _)| *price > 0.0)
                .collect::<Vec<_>>()
        };
        (
            side(book.bid, book.bid_qty, -1.0),
            side(book.ask, book.ask_qty, 1.0),
        )
    }
}

/// One book level: price and quantity.
pub type DepthLevel = (f64, f64);

/// What `/fapi/v1/ticker/24hr` reports for one symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ticker24hView {
    /// Prices and volumes over the window.
    pub stats: Ticker24h,
    /// Quantity of the last trade.
    pub last_qty: f64,
    /// First trade id in the window.
    pub first_id: i64,
    /// Last trade id.
    pub last_id: i64,
}

#[cfg(test)]
mod served_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// What `served` computes is what the text round trip gives, bit
        /// for bit, for book-like values (computed prices and sizes).
        #[test]
        fn served_equals_the_text_round_trip(x in 0.0f64..1e7, d in 0usize..9) {
            let text: f64 = fixed(x, d).parse().unwrap();
            prop_assert_eq!(served(x, d).to_bits(), text.to_bits(), "{} to {}", x, d);
        }

        /// Halves and values on the grid, where rounding is closest to a tie.
        #[test]
        fn served_equals_the_text_round_trip_at_halves(units in 0u64..100_000_000, d in 0usize..9) {
            let x = (units as f64 + 0.5) / 10f64.powi(d as i32);
            let text: f64 = fixed(x, d).parse().unwrap();
            prop_assert_eq!(served(x, d).to_bits(), text.to_bits(), "{} to {}", x, d);
            let x = units as f64 / 10f64.powi(d as i32 + 1);
            let text: f64 = fixed(x, d).parse().unwrap();
            prop_assert_eq!(served(x, d).to_bits(), text.to_bits(), "{} to {}", x, d);
        }

        #[test]
        fn served_equals_the_text_round_trip_for_any_value(bits in any::<u64>(), d in 0usize..13) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            let text: f64 = fixed(x, d).parse().unwrap();
            prop_assert_eq!(served(x, d).to_bits(), text.to_bits(), "{} to {}", x, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn small() -> SimConfig {
        SimConfig {
            symbols: 3,
            history_minutes: 180,
            max_history_minutes: 180 + 1440,
            ..SimConfig::default()
        }
    }

    const NOW: i64 = 1_767_312_000_000 + 5 * 3_600_000 + 17 * MINUTE_MS + 1234;

    #[test]
    fn history_starts_at_midnight_and_ends_at_now() {
        let m = SimMarket::new(&small(), NOW);
        assert_eq!(m.closed_until_ms(), NOW - 1234);
        let all = m.klines(0, Interval::M1, None, None, 100_000);
        assert_eq!(all[0].candle.open_time % 86_400_000, 0);
        assert_eq!(all.last().unwrap().close_time, NOW - 1234 - 1);
        assert!(
            all.windows(2)
                .all(|w| w[1].candle.open_time == w[0].candle.open_time + MINUTE_MS)
        );
    }

    #[test]
    fn kline_selection_rules() {
        let m = SimMarket::new(&small(), NOW);
        let h = Interval::H1.millis();
        let recent = m.klines(0, Interval::H1, None, None, 2);
        assert_eq!(recent.len(), 2);
        // 05:17 now: the last closed hour opened at 04:00.
        assert_eq!(recent[1].candle.open_time, NOW - 1234 - 17 * MINUTE_MS - h);
        let day = Interval::D1.bucket_start(NOW);
        let from = m.klines(0, Interval::H1, Some(day + 1), None, 3);
        assert_eq!(from[0].candle.open_time, day + h);
        assert_eq!(from.len(), 3);
        let upto = m.klines(0, Interval::H1, None, Some(day + 2 * h), 10);
        assert_eq!(upto.last().unwrap().candle.open_time, day + 2 * h);
        let both = m.klines(0, Interval::H1, Some(day), Some(day + h), 10);
        assert_eq!(both.len(), 2);
        let hour = &both[0];
        let minutes = m.klines(0, Interval::M1, Some(day), Some(day + h - 1), 100);
        assert_eq!(minutes.len(), 60);
        assert_eq!(hour.candle.open, minutes[0].candle.open);
        assert_eq!(hour.candle.close, minutes[59].candle.close);
        assert_eq!(hour.first_trade_id, minutes[0].first_trade_id);
        assert_eq!(hour.last_trade_id, minutes[59].last_trade_id);
    }

    #[test]
    fn advancing_emits_closed_klines_once_per_bar() {
        let mut m = SimMarket::new(&small(), NOW - 1234);
        let ev = m.advance_to(NOW - 1234 + 3 * MINUTE_MS, true);
        assert!(
            !ev.iter().any(|e| e.stream.contains("@depth")),
            "depth streams are off until asked for"
        );
        let closed_1m = ev
            .iter()
            .filter(|e| e.stream == "syn000usdt@kline_1m" && e.json.contains("\"x\":true"))
            .count();
        assert_eq!(closed_1m, 3);
        assert!(ev.iter().any(|e| e.stream == "syn001usdt@bookTicker"));
        assert!(ev.iter().any(|e| e.stream == "syn002usdt@aggTrade"));
    }

    /// Replays `minutes` of diff events of symbol `sym` on the REST book
    /// taken before them and returns it with the book REST serves after.
    fn replay_depth(seed: u64, sym: usize, minutes: i64) -> (Book, Book) {
        let config = SimConfig { seed, ..small() };
        let mut m = SimMarket::new(&config, NOW - 1234);
        m.set_depth_streams(true);
        let (pd, qd) = (m.price_decimals(sym), m.qty_decimals(sym));
        let text = |levels: Vec<DepthLevel>| -> Side {
            levels
                .into_iter()
                .map(|(p, q)| (fixed(p, pd), fixed(q, qd)))
                .collect()
        };
        let (b, a) = m.depth(sym, 1000);
        assert_eq!((b.len(), a.len()), (BOOK_LEVELS, BOOK_LEVELS));
        let (mut bids, mut asks) = (text(b), text(a));
        let mut last_u = m.book(sym).1;
        let ev = m.advance_to(NOW - 1234 + minutes * MINUTE_MS, true);
        let stream = format!("syn{sym:03}usdt@depth@100ms");
        let diffs: Vec<Value> = ev
            .iter()
            .filter(|e| e.stream == stream)
            .map(|e| serde_json::from_str(&e.json).unwrap())
            .collect();
        assert_eq!(diffs.len(), usize::try_from(minutes).unwrap());
        let apply = |side: &mut Side, levels: &Value| {
            for l in levels.as_array().unwrap() {
                let (p, q) = (l[0].as_str().unwrap(), l[1].as_str().unwrap());
                if q.parse::<f64>().unwrap() == 0.0 {
                    side.remove(p);
                } else {
                    side.insert(p.to_string(), q.to_string());
                }
            }
        };
        for d in &diffs {
            assert_eq!(d["pu"].as_i64(), Some(last_u), "chained by pu");
            assert_eq!(d["U"].as_i64(), Some(last_u + 1));
            last_u = d["u"].as_i64().unwrap();
            apply(&mut bids, &d["b"]);
            apply(&mut asks, &d["a"]);
        }
        assert_eq!(last_u, m.book(sym).1, "REST lastUpdateId = last u");
        let (b, a) = m.depth(sym, 1000);
        ((bids, asks), (text(b), text(a)))
    }

    type Side = BTreeMap<String, String>;
    type Book = (Side, Side);

    #[test]
    fn depth_diffs_rebuild_the_rest_book() {
        let (replayed, served) = replay_depth(7, 0, 5);
        assert_eq!(replayed, served);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

        /// Any seed, symbol and run length: snapshot + diffs = REST book.
        #[test]
        fn depth_diffs_rebuild_any_book(seed in 0u64..1_000, sym in 0usize..3, minutes in 1i64..20) {
            let (replayed, served) = replay_depth(seed, sym, minutes);
            proptest::prop_assert_eq!(replayed, served);
        }
    }

    #[test]
    fn decimals_of_steps() {
        assert_eq!(decimals_of(0.001), 3);
        assert_eq!(decimals_of(1.0), 0);
        assert_eq!(decimals_of(0.000_01), 5);
        assert_eq!(fixed(1.5, 2), "1.50");
    }
}

//! A market replayed from recorded one-minute klines: the same minute-by-
//! minute interface as [`super::synthetic::SyntheticMarket`] (profiles,
//! `step`, rolling 24h tickers), so the simulated exchange can serve either.
//!
//! Rules, per symbol (one kline series each):
//! 1. The symbol is listed (`PENDING_TRADING` before) from its first candle
//!    and trades until its last; afterwards it is reported as `SETTLING`
//!    and closes no more minutes.
//! 2. A minute missing inside the series is replayed as a flat candle at
//!    the previous close with zero volume, as Binance reports a minute
//!    without trades.
//! 3. Each minute with volume yields four trades tracing
//!    open → high → low → close (open → low → high → close for a rising
//!    candle), splitting the volume evenly; the book ticker sits around the
//!    close, `spread` apart, on the tick grid.
//! 4. The tick size is the finest decimal the recorded prices use (at
//!    most 8 decimals); the step size follows the price level as on Binance
//!    (0.001 for BTC-sized prices, 1 for sub-dollar coins); min notional 5.
//!
//! Reading the files is the caller's job; [`symbol_of_file`] names the
//! symbol of a Binance-layout file name.

use super::instrument::{ContractStatus, Instrument};
use super::synthetic::{BookTicker, SymbolMinute, SymbolProfile, SyntheticTrade, Ticker24h};
use super::{Candle, Symbol};
use crate::exchange::sim::fill_model::touch_around;
use std::collections::VecDeque;

const MINUTE_MS: i64 = 60_000;
const DAY_MINUTES: usize = 1440;
/// Finest tick derived from recorded prices (Binance writes 8 decimals).
const MAX_DECIMALS: usize = 8;

/// One symbol's recorded one-minute klines, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySeries {
    /// The contract.
    pub symbol: Symbol,
    /// Its closed one-minute candles, strictly increasing open times.
    pub candles: Vec<Candle>,
}

/// Why recorded klines cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// No series, or only empty ones.
    #[error("no one-minute klines to replay")]
    Empty,
    /// The same symbol twice.
    #[error("{0}: more than one series")]
    DuplicateSymbol(String),
    /// An open time that is not on a minute, or not after the previous one.
    #[error("{symbol}: candle {index} opens at {open_time}, not a minute after the previous one")]
    NotOneMinute {
        /// The symbol.
        symbol: String,
        /// 0-based index of the candle in the series.
        index: usize,
        /// Its open time (ms).
        open_time: i64,
    },
}

/// The symbol of a Binance-layout kline file name and whether it holds
/// one-minute klines: `BTCUSDT-1m.csv`, `BTCUSDT-1m.csv.gz`,
/// `BTCUSDT-1m-2024-01.csv` → `(BTCUSDT, true)`; `ETHUSDT-5m.csv.gz` →
/// `(ETHUSDT, false)`. `None` when the name is not `<SYMBOL>-<interval>…`
/// with a `.csv` or `.csv.gz` extension.
#[must_use]
pub fn symbol_of_file(name: &str) -> Option<(Symbol, bool)> {
    let stem = name
        .strip_suffix(".csv.gz")
        .or_else(|| name.strip_suffix(".csv"))?;
    let (symbol, rest) = stem.split_once('-')?;
    let interval = rest.split('-').next()?;
    if interval.is_empty() {
        return None;
    }
    let symbol = Symbol::new(&symbol.to_ascii_uppercase()).ok()?;
    Some((symbol, interval == "1m"))
}

/// Decimals `x` needs when written in shortest form (`49321.12` → 2),
/// capped at [`MAX_DECIMALS`] (the cap is all callers use).
///
/// The fewest decimals `d` for which some decimal with `d` digits after the
/// point reads back as `x`: that decimal is `x` rounded to `d` digits, `r /
/// 10^d` with `r` an integer, and reading it back is the correctly rounded
/// quotient, which f64 division of the exact `r` and `10^d` also gives. So
/// no text is written (a replay asks this of every price it loads); values
/// too large for that exactness take the text path.
fn decimals_in(x: f64) -> usize {
    if !x.is_finite() {
        return shortest_decimals(x).min(MAX_DECIMALS);
    }
    let mut p = 1.0_f64;
    for d in 0..=MAX_DECIMALS {
        let y = x * p;
        if y.abs() >= 2f64.powi(52) {
            return shortest_decimals(x).min(MAX_DECIMALS);
        }
        // The product's rounding can move it across a half: try both
        // neighbours of its nearest integer too.
        let r = y.round();
        if [r, r - 1.0, r + 1.0].iter().any(|k| k / p == x) {
            return d;
        }
        p *= 10.0;
    }
    MAX_DECIMALS
}

/// Decimals of `x` in Rust's shortest round-trip text (the definition
/// [`decimals_in`] computes without text).
fn shortest_decimals(x: f64) -> usize {
    let text = format!("{x}");
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// The instrument the simulator lists for a replayed series (rule 4): the
/// tick is the finest decimal the prices use, the step follows the price
/// level, min notional 5; listed `PENDING_TRADING` until its first minute.
/// A backtest over the same files trades under the same rules.
#[must_use]
pub fn instrument_of(symbol: &Symbol, candles: &[Candle]) -> Instrument {
    let decimals = candles
        .iter()
        .flat_map(|c| [c.open, c.high, c.low, c.close])
        .map(decimals_in)
        .max()
        .unwrap_or(0);
    let price = candles
        .iter()
        .map(|c| c.close)
        .find(|p| *p > 0.0)
        .unwrap_or(1.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "decimals <= 8; log10 of a positive finite price is small"
    )]
    let (tick, step) = (
        10f64.powi(-(decimals as i32)),
        10f64.powi((1 - price.log10().floor() as i32).clamp(-3, 0)),
    );
    Instrument {
        symbol: symbol.clone(),
        tick_size: tick,
        step_size: step,
        min_notional: 5.0,
        status: ContractStatus::PendingTrading,
    }
}

/// Quote volume of `c`: recorded, or volume × close when the file has 0.
fn quote_volume(c: &Candle) -> f64 {
    if c.quote_volume > 0.0 {
        c.quote_volume
    } else {
        c.volume * c.close
    }
}

#[derive(Debug, Clone)]
struct Replayed {
    candles: Vec<Candle>,
    /// Index of the next recorded candle to replay.
    cursor: usize,
    /// The last minute replayed (for gap fills and the ticker).
    last: Option<Candle>,
    day: VecDeque<Candle>,
}

/// Recorded klines replayed minute by minute on a common clock.
#[derive(Debug, Clone)]
pub struct ReplayMarket {
    profiles: Vec<SymbolProfile>,
    volume_decimals: Vec<usize>,
    series: Vec<Replayed>,
    first_ms: i64,
    end_ms: i64,
    next_open: i64,
}

impl ReplayMarket {
    /// A replay of `series` (sorted by symbol here) with the book `spread`
    /// (fraction of price); the first minute is the earliest candle.
    ///
    /// # Errors
    /// [`ReplayError`] for no candles, a duplicate symbol or an open time
    /// off the one-minute grid.
    pub fn new(mut series: Vec<ReplaySeries>, spread: f64) -> Result<Self, ReplayError> {
        series.retain(|s| !s.candles.is_empty());
        if series.is_empty() {
            return Err(ReplayError::Empty);
        }
        series.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        if let Some(w) = series.windows(2).find(|w| w[0].symbol == w[1].symbol) {
            return Err(ReplayError::DuplicateSymbol(w[0].symbol.as_str().into()));
        }
        for s in &series {
            let mut previous: Option<i64> = None;
            for (index, c) in s.candles.iter().enumerate() {
                let off_grid = c.open_time.rem_euclid(MINUTE_MS) != 0;
                if off_grid || previous.is_some_and(|p| c.open_time <= p) {
                    return Err(ReplayError::NotOneMinute {
                        symbol: s.symbol.as_str().into(),
                        index,
                        open_time: c.open_time,
                    });
                }
                previous = Some(c.open_time);
            }
        }
        let first_ms = series
            .iter()
            .map(|s| s.candles[0].open_time)
            .min()
            .ok_or(ReplayError::Empty)?;
        let end_ms = series
            .iter()
            .filter_map(|s| s.candles.last())
            .map(|c| c.open_time + MINUTE_MS)
            .max()
            .ok_or(ReplayError::Empty)?;
        let profiles = series
            .iter()
            .map(|s| {
                let day = &s.candles[..s.candles.len().min(DAY_MINUTES)];
                #[expect(clippy::cast_precision_loss, reason = "at most 1440 minutes")]
                let per_day = day.iter().map(quote_volume).sum::<f64>() * DAY_MINUTES as f64
                    / day.len() as f64;
                SymbolProfile {
                    instrument: instrument_of(&s.symbol, &s.candles),
                    sector: 0,
                    quote_volume_24h: per_day,
                    spread,
                    beta_market: 0.0,
                    beta_sector: 0.0,
                    idio_vol: 0.0,
                }
            })
            .collect();
        let volume_decimals = series
            .iter()
            .map(|s| {
                s.candles
                    .iter()
                    .flat_map(|c| [c.volume, c.taker_buy_volume])
                    .map(decimals_in)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let series = series
            .into_iter()
            .map(|s| Replayed {
                candles: s.candles,
                cursor: 0,
                last: None,
                day: VecDeque::with_capacity(DAY_MINUTES + 1),
            })
            .collect();
        Ok(Self {
            profiles,
            volume_decimals,
            series,
            first_ms,
            end_ms,
            next_open: first_ms,
        })
    }

    /// The universe, in symbol order, with each contract's current status.
    #[must_use]
    pub fn profiles(&self) -> &[SymbolProfile] {
        &self.profiles
    }

    /// Decimals the recorded volumes of symbol `i` use (at most 8), so
    /// replayed klines write them back exactly.
    ///
    /// # Panics
    /// When `i` is out of range.
    #[must_use]
    pub fn volume_decimals(&self, i: usize) -> usize {
        self.volume_decimals[i]
    }

    /// Open time of the earliest recorded minute.
    #[must_use]
    pub fn first_ms(&self) -> i64 {
        self.first_ms
    }

    /// Open time of the first recorded minute of the symbol listed last.
    #[must_use]
    pub fn last_listing_ms(&self) -> i64 {
        self.series
            .iter()
            .map(|s| s.candles[0].open_time)
            .max()
            .unwrap_or(self.first_ms)
    }

    /// Close time (exclusive) of the latest recorded minute.
    #[must_use]
    pub fn end_ms(&self) -> i64 {
        self.end_ms
    }

    /// Open time of the next minute to be replayed.
    #[must_use]
    pub fn next_open_time(&self) -> i64 {
        self.next_open
    }

    /// Replays the next minute of every listed symbol, in symbol order
    /// (rules 1–3); symbols not yet listed or past their data yield none.
    pub fn step(&mut self) -> Vec<SymbolMinute> {
        let t = self.next_open;
        self.next_open += MINUTE_MS;
        let mut out = Vec::new();
        for (i, (p, s)) in self.profiles.iter_mut().zip(&mut self.series).enumerate() {
            let (first, last) = (s.candles[0].open_time, s.candles[s.candles.len() - 1]);
            if t < first {
                continue;
            }
            if t > last.open_time {
                p.instrument.status = ContractStatus::Settling;
                continue;
            }
            p.instrument.status = ContractStatus::Trading;
            let kline = match s.candles.get(s.cursor) {
                Some(c) if c.open_time == t => {
                    s.cursor += 1;
                    *c
                }
                // Rule 2: a gap inside the series.
                _ => {
                    let close = s.last.map_or(s.candles[s.cursor].open, |c| c.close);
                    Candle::ohlcv(t, close, close, close, close, 0.0)
                }
            };
            s.last = Some(kline);
            s.day.push_back(kline);
            if s.day.len() > DAY_MINUTES {
                s.day.pop_front();
            }
            out.push(SymbolMinute {
                index: i,
                trades: trades_of(&kline),
                book: book_of(&kline, &p.instrument, p.spread),
                kline,
            });
        }
        out
    }

    /// Rolling 24h statistics of symbol `index` over the minutes replayed;
    /// while less than a day has been replayed, volumes are scaled up to a
    /// day so screening works from the first minutes.
    ///
    /// # Panics
    /// When `index` is out of range.
    #[must_use]
    pub fn ticker_24h(&self, index: usize) -> Ticker24h {
        let s = &self.series[index];
        let price = self.last_price(index);
        Ticker24h {
            last_price: price,
            open_price: s.day.front().map_or(price, |c| c.open),
            high: s.day.iter().map(|c| c.high).fold(price, f64::max),
            low: s.day.iter().map(|c| c.low).fold(price, f64::min),
            volume: s.day.iter().map(|c| c.volume).sum::<f64>() * self.day_scale(index),
            quote_volume: self.quote_volume_24h(index),
        }
    }

    /// The last price [`Self::ticker_24h`] reports for symbol `index`.
    ///
    /// # Panics
    /// When `index` is out of range.
    #[must_use]
    pub fn last_price(&self, index: usize) -> f64 {
        let s = &self.series[index];
        s.last.map_or(s.candles[0].open, |c| c.close)
    }

    /// The 24h quote volume [`Self::ticker_24h`] reports for symbol
    /// `index`, alone: all a screen reads of it (one pass over the day, not
    /// five).
    ///
    /// # Panics
    /// When `index` is out of range.
    #[must_use]
    pub fn quote_volume_24h(&self, index: usize) -> f64 {
        self.series[index].day.iter().map(quote_volume).sum::<f64>() * self.day_scale(index)
    }

    /// What scales the replayed minutes of the day up to a whole day.
    fn day_scale(&self, index: usize) -> f64 {
        let n = self.series[index].day.len();
        #[expect(clippy::cast_precision_loss, reason = "at most 1440 minutes")]
        if n == 0 {
            0.0
        } else {
            DAY_MINUTES as f64 / n as f64
        }
    }
}

/// Rule 3: four trades tracing the candle (none without volume).
fn trades_of(c: &Candle) -> Vec<SyntheticTrade> {
    if c.volume <= 0.0 {
        return Vec::new();
    }
    let path = if c.close >= c.open {
        [c.open, c.low, c.high, c.close]
    } else {
        [c.open, c.high, c.low, c.close]
    };
    (0..4i64)
        .zip(path)
        .map(|(k, price)| SyntheticTrade {
            time: c.open_time + k * 15_000 + 7_500,
            price,
            qty: c.volume / 4.0,
            // Up moves are led by taking buyers, down moves by taking sellers.
            buyer_is_maker: c.close < c.open,
        })
        .collect()
}

/// Rule 3: the book around the close of `c`, `spread` (fraction of the
/// price) apart on the tick grid of `ins`, volume/20 (at least one step) on
/// each side. The simulated exchange serves it after the minute of `c`; the
/// backtest reads the same book.
#[must_use]
pub fn book_of(c: &Candle, ins: &Instrument, spread: f64) -> BookTicker {
    let (bid, ask) = touch_around(c.close, spread, ins.tick_size);
    let qty = (c.volume / 20.0).max(ins.step_size);
    BookTicker {
        bid,
        bid_qty: qty,
        ask,
        ask_qty: qty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_620_950_400_000;

    proptest! {
        /// Prices as exchanges write them: an integer over a power of ten.
        #[test]
        fn decimals_in_equals_the_shortest_text_for_written_prices(
            units in 0u64..10_000_000_000, d in 0u32..12,
        ) {
            let x = units as f64 / 10f64.powi(d as i32);
            prop_assert_eq!(decimals_in(x), shortest_decimals(x).min(MAX_DECIMALS), "{}", x);
        }

        /// Any finite value, computed prices with float noise included.
        #[test]
        fn decimals_in_equals_the_shortest_text_for_any_value(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            prop_assert_eq!(decimals_in(x), shortest_decimals(x).min(MAX_DECIMALS), "{}", x);
        }

        #[test]
        fn decimals_in_equals_the_shortest_text_for_sums(a in 0.0f64..1e6, b in 0.0f64..1.0) {
            let x = a + b * 0.1;
            prop_assert_eq!(decimals_in(x), shortest_decimals(x).min(MAX_DECIMALS), "{}", x);
        }
    }

    fn series(symbol: &str, start: i64, closes: &[f64]) -> ReplaySeries {
        ReplaySeries {
            symbol: Symbol::new(symbol).unwrap(),
            candles: closes
                .iter()
                .enumerate()
                .map(|(k, &c)| {
                    let t = start + i64::try_from(k).unwrap() * MINUTE_MS;
                    Candle::ohlcv(t, c, c + 0.5, c - 0.25, c, 10.0)
                })
                .collect(),
        }
    }

    #[test]
    fn file_names() {
        let (s, one) = symbol_of_file("BTCUSDT-1m.csv.gz").unwrap();
        assert_eq!((s.as_str(), one), ("BTCUSDT", true));
        assert!(symbol_of_file("ETHUSDT-1m-2024-01.csv").unwrap().1);
        assert!(!symbol_of_file("ETHUSDT-5m.csv").unwrap().1);
        assert_eq!(symbol_of_file("README.md"), None);
        assert_eq!(symbol_of_file("nodash.csv"), None);
    }

    #[test]
    fn replays_listing_gaps_and_delisting() {
        let mut a = series("AAAUSDT", T0, &[100.0, 101.0, 102.0]);
        a.candles.remove(1);
        let b = series("BBBUSDT", T0 + MINUTE_MS, &[5.0]);
        let mut m = ReplayMarket::new(vec![b, a], 0.0).unwrap();
        assert_eq!(m.profiles()[0].instrument.symbol.as_str(), "AAAUSDT");
        assert_eq!(m.profiles()[0].instrument.tick_size, 0.01);
        assert_eq!((m.first_ms(), m.last_listing_ms()), (T0, T0 + MINUTE_MS));
        assert_eq!(m.end_ms(), T0 + 3 * MINUTE_MS);
        let first = m.step();
        assert_eq!(first.len(), 1);
        assert_eq!(
            m.profiles()[1].instrument.status,
            ContractStatus::PendingTrading
        );
        let second = m.step();
        assert_eq!(second.len(), 2);
        // The gap is a flat minute at the previous close, without trades.
        assert_eq!(second[0].kline.close, 100.0);
        assert_eq!(second[0].kline.volume, 0.0);
        assert!(second[0].trades.is_empty());
        let third = m.step();
        assert_eq!(third.len(), 1);
        assert_eq!(third[0].kline.close, 102.0);
        assert_eq!(m.profiles()[1].instrument.status, ContractStatus::Settling);
        assert_eq!(third[0].trades.last().unwrap().price, 102.0);
        assert_eq!(third[0].book.bid, 102.0);
        assert!((third[0].book.ask - 102.01).abs() < 1e-9);
        assert!(m.step().is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(
            ReplayMarket::new(Vec::new(), 0.0).unwrap_err(),
            ReplayError::Empty
        );
        let mut bad = series("AAAUSDT", T0, &[1.0, 2.0]);
        bad.candles[1].open_time += 1;
        assert!(matches!(
            ReplayMarket::new(vec![bad], 0.0),
            Err(ReplayError::NotOneMinute { index: 1, .. })
        ));
        let a = series("AAAUSDT", T0, &[1.0]);
        assert!(matches!(
            ReplayMarket::new(vec![a.clone(), a], 0.0),
            Err(ReplayError::DuplicateSymbol(_))
        ));
    }

    #[test]
    fn ticker_scales_a_partial_day() {
        let mut m = ReplayMarket::new(vec![series("AAAUSDT", T0, &[100.0, 100.0])], 0.0).unwrap();
        m.step();
        let t = m.ticker_24h(0);
        assert!((t.quote_volume - 1440.0 * 1000.0).abs() < 1e-6);
        assert_eq!(t.last_price, 100.0);
    }
}

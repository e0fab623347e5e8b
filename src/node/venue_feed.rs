//! The node's market data from a Binance-compatible venue, free of I/O:
//! which contracts to follow ([`followed_symbols`]), the universe's screen
//! inputs from the venue's 24h and book tickers ([`screen_inputs`]), and
//! the closed klines of all followed symbols grouped into whole minutes
//! ([`MinuteAssembler`]), as the synthetic market delivers them, and what
//! the venue reads at a minute's close for the signals ([`venue_readings`]).

use crate::exchange::binance::rest::{
    BookTickerSnapshot, ContractStatus as VenueStatus, ContractType, ExchangeInfo, PremiumIndex,
    Ticker24hStats,
};
use crate::market::instrument::ContractStatus;
use crate::market::{Candle, Symbol};
use crate::selection::screen::ScreenInput;
use crate::signals::inputs::{BookQuote, VenueReadings};
use std::collections::BTreeMap;

const MINUTE_MS: i64 = 60_000;

/// The venue's contract status as the screen knows it: pre-delivery and
/// delivery states are settling; unknown ones are closed.
#[must_use]
pub fn contract_status(s: VenueStatus) -> ContractStatus {
    match s {
        VenueStatus::Trading => ContractStatus::Trading,
        VenueStatus::PendingTrading => ContractStatus::PendingTrading,
        VenueStatus::PreDelivering
        | VenueStatus::Delivering
        | VenueStatus::PreSettle
        | VenueStatus::Settling => ContractStatus::Settling,
        VenueStatus::Delivered | VenueStatus::Close | VenueStatus::Unknown => ContractStatus::Close,
    }
}

/// USDT-quoted perpetual contracts of `info` (the node trades no others),
/// in symbol order, with their status; symbols that are not valid
/// [`Symbol`]s are left out.
#[must_use]
pub fn contracts(info: &ExchangeInfo) -> Vec<(Symbol, ContractStatus)> {
    let mut out: Vec<(Symbol, ContractStatus)> = info
        .symbols
        .iter()
        .filter(|s| s.contract_type == ContractType::Perpetual && s.quote_asset == "USDT")
        .filter_map(|s| {
            Some((
                Symbol::new(s.symbol.as_str()).ok()?,
                contract_status(s.status),
            ))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The contracts whose klines the node follows: those trading now.
#[must_use]
pub fn followed_symbols(info: &ExchangeInfo) -> Vec<Symbol> {
    contracts(info)
        .into_iter()
        .filter(|(_, s)| *s == ContractStatus::Trading)
        .map(|(s, _)| s)
        .collect()
}

/// Screen inputs of every contract of `info` from the venue's 24h tickers
/// and book tickers; a contract without a ticker has no volume, one
/// without a book has NaN bid and ask (the screen rejects both).
#[must_use]
pub fn screen_inputs(
    info: &ExchangeInfo,
    tickers: &[Ticker24hStats],
    books: &[BookTickerSnapshot],
) -> Vec<ScreenInput> {
    let tickers: BTreeMap<&str, &Ticker24hStats> =
        tickers.iter().map(|t| (t.symbol.as_str(), t)).collect();
    let books: BTreeMap<&str, &BookTickerSnapshot> =
        books.iter().map(|b| (b.symbol.as_str(), b)).collect();
    contracts(info)
        .into_iter()
        .map(|(symbol, status)| {
            let t = tickers.get(symbol.as_str());
            let b = books.get(symbol.as_str());
            ScreenInput {
                quote_volume_24h: t.map_or(0.0, |t| t.quote_volume),
                last_price: t.map_or(f64::NAN, |t| t.last_price),
                bid: b.map_or(f64::NAN, |b| b.bid_price),
                ask: b.map_or(f64::NAN, |b| b.ask_price),
                status,
                symbol,
            }
        })
        .collect()
}

/// The signals' readings of `symbols` from the venue's book tickers and
/// premium index (`lastFundingRate`); a symbol missing from one has that
/// part unknown. Open interest and the spread scale are not read here.
#[must_use]
pub fn venue_readings(
    symbols: &[Symbol],
    books: &[BookTickerSnapshot],
    premium: &[PremiumIndex],
) -> BTreeMap<Symbol, VenueReadings> {
    let books: BTreeMap<&str, &BookTickerSnapshot> =
        books.iter().map(|b| (b.symbol.as_str(), b)).collect();
    let funding: BTreeMap<&str, f64> = premium
        .iter()
        .map(|p| (p.symbol.as_str(), p.last_funding_rate))
        .collect();
    symbols
        .iter()
        .map(|s| {
            let book = books.get(s.as_str()).map(|b| BookQuote {
                bid: b.bid_price,
                bid_size: b.bid_qty,
                ask: b.ask_price,
                ask_size: b.ask_qty,
            });
            let funding_rate = funding.get(s.as_str()).copied().unwrap_or(f64::NAN);
            (
                s.clone(),
                VenueReadings {
                    book,
                    funding_rate,
                    ..VenueReadings::unknown()
                },
            )
        })
        .collect()
}

/// The open times (first, last; inclusive) of the minutes missing between
/// the last minute delivered and the live minute `next`, if any.
#[must_use]
pub fn missing_minutes(last: Option<i64>, next: i64) -> Option<(i64, i64)> {
    let first = last? + MINUTE_MS;
    (first < next).then_some((first, next - MINUTE_MS))
}

/// One minute's closed klines, in symbol order.
pub type MinuteCandles = (i64, Vec<(Symbol, Candle)>);

/// Groups closed one-minute klines that arrive one symbol at a time into
/// whole minutes.
///
/// Rules:
/// 1. A minute is complete when every followed symbol has closed it; it is
///    then released with every older minute still held.
/// 2. A minute is also released once any symbol closes a minute two or
///    more minutes later (a silent symbol does not hold the others back).
/// 3. A kline of a minute already released, or a second one for the same
///    symbol and minute, is dropped (and counted).
#[derive(Debug, Clone)]
pub struct MinuteAssembler {
    expected: usize,
    pending: BTreeMap<i64, BTreeMap<Symbol, Candle>>,
    released_until: Option<i64>,
    dropped: u64,
}

impl MinuteAssembler {
    /// An assembler for `expected` followed symbols.
    #[must_use]
    pub fn new(expected: usize) -> Self {
        Self {
            expected,
            pending: BTreeMap::new(),
            released_until: None,
            dropped: 0,
        }
    }

    /// Klines dropped by rule 3.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Takes one closed kline; returns the minutes it completes or
    /// releases, oldest first.
    pub fn push(&mut self, symbol: Symbol, candle: Candle) -> Vec<MinuteCandles> {
        let t = candle.open_time;
        if self.released_until.is_some_and(|r| t <= r) {
            self.dropped += 1;
            return Vec::new();
        }
        let minute = self.pending.entry(t).or_default();
        if minute.insert(symbol, candle).is_some() {
            self.dropped += 1;
        }
        let complete = minute.len() >= self.expected;
        let newest = self.pending.keys().next_back().copied().unwrap_or(t);
        // Rule 2: everything at least two minutes older than the newest.
        let mut until = newest - 2 * MINUTE_MS;
        if complete {
            until = until.max(t);
        }
        let keep = self.pending.split_off(&(until + 1));
        let released = std::mem::replace(&mut self.pending, keep);
        if let Some((&last, _)) = released.iter().next_back() {
            self.released_until = Some(last);
        }
        released
            .into_iter()
            .map(|(t, m)| (t, m.into_iter().collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(t: i64) -> Candle {
        Candle::ohlcv(t * MINUTE_MS, 1.0, 1.0, 1.0, 1.0, 1.0)
    }

    fn s(name: &str) -> Symbol {
        Symbol::new(name).unwrap()
    }

    #[test]
    fn readings_from_the_recorded_book_ticker_and_premium_index() {
        let sample = |name: &str| {
            std::fs::read_to_string(format!(
                "{}/tests/data/binance/samples/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let book: BookTickerSnapshot =
            serde_json::from_str(&sample("rest_ticker_bookTicker.json")).unwrap();
        let premium: PremiumIndex =
            serde_json::from_str(&sample("rest_premiumIndex.json")).unwrap();
        let (a, b) = (s(book.symbol.as_str()), s("ZZZUSDT"));
        let r = venue_readings(
            &[a.clone(), b.clone()],
            std::slice::from_ref(&book),
            &[premium],
        );
        let q = r[&a].book.unwrap();
        assert_eq!((q.bid, q.bid_size), (book.bid_price, book.bid_qty));
        assert_eq!((q.ask, q.ask_size), (book.ask_price, book.ask_qty));
        assert_eq!(r[&a].funding_rate, 0.000_382_46);
        assert!(r[&a].open_interest.is_nan());
        assert!(r[&b].book.is_none() && r[&b].funding_rate.is_nan());
    }

    #[test]
    fn missing_minutes_between_warm_up_and_live() {
        assert_eq!(missing_minutes(None, 5 * MINUTE_MS), None);
        assert_eq!(missing_minutes(Some(4 * MINUTE_MS), 5 * MINUTE_MS), None);
        assert_eq!(missing_minutes(Some(5 * MINUTE_MS), 5 * MINUTE_MS), None);
        assert_eq!(
            missing_minutes(Some(MINUTE_MS), 5 * MINUTE_MS),
            Some((2 * MINUTE_MS, 4 * MINUTE_MS))
        );
    }

    #[test]
    fn complete_minutes_are_released_in_order() {
        let mut a = MinuteAssembler::new(2);
        assert!(a.push(s("AUSDT"), c(1)).is_empty());
        assert!(a.push(s("AUSDT"), c(2)).is_empty());
        let out = a.push(s("BUSDT"), c(1));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, MINUTE_MS);
        assert_eq!(out[0].1.len(), 2);
        // Minute 2 completes: released alone.
        let out = a.push(s("BUSDT"), c(2));
        assert_eq!(out.iter().map(|m| m.0).collect::<Vec<_>>(), [2 * MINUTE_MS]);
    }

    #[test]
    fn a_silent_symbol_does_not_hold_minutes_back_and_late_klines_are_dropped() {
        let mut a = MinuteAssembler::new(2);
        assert!(a.push(s("AUSDT"), c(1)).is_empty());
        assert!(a.push(s("AUSDT"), c(2)).is_empty());
        let out = a.push(s("AUSDT"), c(3));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1.len(), 1);
        assert!(a.push(s("BUSDT"), c(1)).is_empty());
        assert_eq!(a.dropped(), 1);
        assert_eq!(a.push(s("BUSDT"), c(2)).len(), 1);
    }
}

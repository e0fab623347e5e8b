//! The MarketDataHub's feed from a Binance USDⓈ-M compatible venue
//! (`[market] venue = "binance"`): a task that talks to the venue and hands
//! the hub whole minutes and screen inputs, the same shapes the synthetic
//! market produces. The decisions are in `quantumtrade::node::venue_feed`.
//!
//! Steps:
//! 1. Load the contracts from `exchangeInfo`; follow the trading USDT
//!    perpetuals.
//! 2. Screen inputs from the 24h tickers and book tickers, and the mark
//!    prices (`premiumIndex`, which values the positions on `/state`),
//!    refreshed every `screen_refresh_ms`.
//! 3. Warm the history from REST klines (the last `warmup_minutes` closed
//!    one-minute bars of each followed symbol), delivered minute by minute
//!    as warm-up (analysed, not traded on), as the synthetic warm-up is.
//! 4. Follow the closed one-minute klines through [`MarketStream`] (which
//!    reconnects and fills gaps from REST), grouped into whole minutes by
//!    [`MinuteAssembler`], delivered live. Minutes between the last
//!    one delivered and the first live one (closed during the warm-up) are
//!    fetched from REST and delivered first; minutes already delivered are
//!    skipped.
//! 5. Right after a live minute closes, read the book tickers and the
//!    premium index of all symbols (PROTOCOL.md §4.1: weight 5 + 10 a
//!    minute of the 2,400 allowed) and hand the followed symbols' book,
//!    sizes and `lastFundingRate` to the hub with the minute, for the
//!    signals, with each symbol's latest open interest (step 6). Minutes
//!    fetched after the fact (warm-up, catch-up) carry none: the venue's
//!    book then is not theirs. A failed read is reported and the minute
//!    goes without.
//! 6. Poll `openInterest` (§4.1: weight 1, one symbol a request) for the
//!    followed symbols in turn, one request a second: 60 of the 2,400 a
//!    minute whatever the number of symbols, so with more than 60 symbols
//!    a symbol's reading is up to that many seconds old. A symbol the
//!    venue has none for stays unknown (the first failure is reported).
//!
//! A failed start-up step is retried after a pause (the venue may not be
//! up yet); the task ends when the hub is gone.

use super::hub::{FeedMinute, FeedScreen, MarketDataHub};
use super::telemetry::Tracked;
use super::trading::{SharedMarks, SharedRules};
use anyhow::Context as _;
use quantumtrade::exchange::binance::filters::SymbolRules;
use quantumtrade::exchange::binance::stream_name::{KlineInterval, StreamName};
use quantumtrade::market::{Candle, Symbol};
use quantumtrade::node::venue_feed::{
    MinuteAssembler, followed_symbols, missing_minutes, screen_inputs, venue_readings,
};
use quantumtrade::signals::inputs::VenueReadings;
use quantumtrade_actors::venue::binance::{
    MarketStream, MarketStreamConfig, RestClient, StreamUpdate,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;

/// Pause before a failed start-up step is tried again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Time between two open-interest requests (step 6).
const OPEN_INTEREST_PACE: Duration = Duration::from_secs(1);

/// The latest open interest read per symbol (step 6).
type SharedOpenInterest = Arc<Mutex<BTreeMap<Symbol, f64>>>;

/// Where the feed connects and how much it fetches.
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// REST base.
    pub rest_url: String,
    /// WebSocket base.
    pub ws_url: String,
    /// Closed one-minute bars fetched per symbol before following live.
    pub warmup_minutes: usize,
    /// Wall-clock time between screen-input refreshes.
    pub screen_refresh: Duration,
    /// Where the contracts' exchange rules go (the trading actors size
    /// orders with them).
    pub rules: SharedRules,
    /// Where the mark prices go.
    pub marks: SharedMarks,
}

/// Runs the feed until the hub is gone (steps in the module doc).
pub async fn run(settings: FeedSettings, hub: Tracked<MarketDataHub>) {
    let rest = loop {
        match RestClient::new(&settings.rest_url, None) {
            Ok(r) => break r,
            Err(e) => {
                eprintln!("qtrade: market feed: cannot build the REST client: {e}");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    };
    let symbols = loop {
        match start(&rest, &hub, &settings).await {
            Ok(s) => break s,
            Err(e) if hub.addr.connected() => {
                eprintln!("qtrade: market feed: {e:#}; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(_) => return,
        }
    };
    // Ends with this task, also when the hub cancels it (StopMarket).
    let _refresh = AbortOnDrop(tokio::spawn(refresh_screen(
        rest.clone(),
        hub.clone(),
        settings.screen_refresh,
        std::sync::Arc::clone(&settings.marks),
    )));
    let open_interest = SharedOpenInterest::default();
    let _poll = AbortOnDrop(tokio::spawn(poll_open_interest(
        rest.clone(),
        symbols.clone(),
        Arc::clone(&open_interest),
    )));
    let last = match warm(&rest, &hub, &symbols, settings.warmup_minutes).await {
        Ok(last) => last,
        Err(e) => {
            eprintln!("qtrade: market feed: warm-up: {e:#}");
            None
        }
    };
    follow(&settings, rest, &hub, &symbols, last, &open_interest).await;
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Steps 1 and 2: the followed symbols, with a first screen delivered.
async fn start(
    rest: &RestClient,
    hub: &Tracked<MarketDataHub>,
    settings: &FeedSettings,
) -> anyhow::Result<Vec<Symbol>> {
    let rules = &settings.rules;
    let info = rest.exchange_info().await.context("exchangeInfo")?;
    let symbols = followed_symbols(&info);
    {
        let mut r = rules
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in &info.symbols {
            // A contract whose filters do not make rules is not traded.
            if let (Ok(sym), Ok(rule)) = (
                Symbol::new(s.symbol.as_str()),
                SymbolRules::from_filters(&s.filters),
            ) {
                r.insert(sym, rule);
            }
        }
    }
    let tickers = rest.tickers_24h().await.context("24h tickers")?;
    let books = rest.book_tickers().await.context("book tickers")?;
    hub.ask(FeedScreen(screen_inputs(&info, &tickers, &books)))
        .await
        .context("the hub is gone")?;
    refresh_marks(rest, &settings.marks).await;
    Ok(symbols)
}

/// Reads every symbol's mark price into `marks`; a failure is reported and
/// the previous marks kept (retried with the next refresh).
async fn refresh_marks(rest: &RestClient, marks: &SharedMarks) {
    match rest.premium_indexes().await {
        Ok(rows) => {
            let fresh: BTreeMap<Symbol, f64> = rows
                .iter()
                .filter(|r| r.mark_price.is_finite() && r.mark_price > 0.0)
                .filter_map(|r| Some((Symbol::new(r.symbol.as_str()).ok()?, r.mark_price)))
                .collect();
            *marks
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        }
        Err(e) => eprintln!("qtrade: market feed: mark prices: {e}"),
    }
}

/// Step 2, repeated; failures are reported and retried at the next period.
async fn refresh_screen(
    rest: RestClient,
    hub: Tracked<MarketDataHub>,
    every: Duration,
    marks: SharedMarks,
) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        refresh_marks(&rest, &marks).await;
        let got = async {
            let info = rest.exchange_info().await.context("exchangeInfo")?;
            let tickers = rest.tickers_24h().await.context("24h tickers")?;
            let books = rest.book_tickers().await.context("book tickers")?;
            anyhow::Ok(screen_inputs(&info, &tickers, &books))
        }
        .await;
        match got {
            Ok(inputs) => {
                if hub.ask(FeedScreen(inputs)).await.is_err() {
                    return;
                }
            }
            Err(e) => eprintln!("qtrade: market feed: screen refresh: {e:#}"),
        }
    }
}

/// The closed one-minute klines of `symbols` from REST (the last `limit`
/// closed bars, or those opening in `range`), grouped by minute.
async fn fetch_minutes(
    rest: &RestClient,
    symbols: &[Symbol],
    range: Option<(i64, i64)>,
    limit: u32,
) -> anyhow::Result<BTreeMap<i64, Vec<(Symbol, Candle)>>> {
    let mut by_minute: BTreeMap<i64, Vec<(Symbol, Candle)>> = BTreeMap::new();
    let now = rest.venue_now_ms();
    let (start, end) = range.map_or((None, None), |(a, b)| (Some(a), Some(b)));
    for s in symbols {
        let rows = rest
            .klines(s.as_str(), KlineInterval::M1, start, end, limit)
            .await
            .with_context(|| format!("klines of {}", s.as_str()))?;
        // Only closed bars: the venue's last row may still be forming.
        for k in rows.iter().filter(|k| k.close_time < now) {
            by_minute
                .entry(k.open_time)
                .or_default()
                .push((s.clone(), k.to_candle()));
        }
    }
    Ok(by_minute)
}

/// Hands `minutes` to the hub in time order; returns the last open time.
async fn deliver(
    hub: &Tracked<MarketDataHub>,
    minutes: BTreeMap<i64, Vec<(Symbol, Candle)>>,
    live: bool,
) -> anyhow::Result<Option<i64>> {
    let mut last = None;
    for (open_time, candles) in minutes {
        let minute = FeedMinute {
            open_time,
            candles,
            live,
            readings: BTreeMap::new(),
        };
        hub.ask(minute).await.context("the hub is gone")?;
        last = Some(open_time);
    }
    Ok(last)
}

/// Step 3: returns the last minute delivered.
async fn warm(
    rest: &RestClient,
    hub: &Tracked<MarketDataHub>,
    symbols: &[Symbol],
    minutes: usize,
) -> anyhow::Result<Option<i64>> {
    if minutes == 0 {
        return Ok(None);
    }
    let limit = u32::try_from(minutes.min(1500)).unwrap_or(1500);
    let got = fetch_minutes(rest, symbols, None, limit).await?;
    deliver(hub, got, false).await
}

/// Step 4, until the hub is gone.
async fn follow(
    settings: &FeedSettings,
    rest: RestClient,
    hub: &Tracked<MarketDataHub>,
    symbols: &[Symbol],
    mut last: Option<i64>,
    open_interest: &SharedOpenInterest,
) {
    let streams = symbols
        .iter()
        .map(|s| StreamName::Kline(s.as_str().to_string(), KlineInterval::M1))
        .collect();
    let config = MarketStreamConfig::new(&settings.ws_url, streams);
    let (_commands, commands_rx) = mpsc::channel(1);
    let (tx, mut rx) = mpsc::channel(4096);
    let rest_for_gaps = rest.clone();
    let _stream = AbortOnDrop(tokio::spawn(
        MarketStream::new(config, rest).run(commands_rx, tx),
    ));
    let mut assembler = MinuteAssembler::new(symbols.len());
    while let Some(update) = rx.recv().await {
        let StreamUpdate::ClosedKline {
            symbol,
            interval: KlineInterval::M1,
            candle,
            ..
        } = update
        else {
            continue;
        };
        let Ok(symbol) = Symbol::new(&symbol) else {
            continue;
        };
        if !hub.addr.connected() {
            break;
        }
        for (open_time, candles) in assembler.push(symbol, candle) {
            match catch_up(&rest_for_gaps, hub, symbols, last, open_time).await {
                Ok(Some(caught)) => last = Some(caught),
                Ok(None) => {}
                Err(e) if hub.addr.connected() => {
                    eprintln!("qtrade: market feed: catching up: {e:#}");
                }
                Err(_) => break,
            }
            if last.is_some_and(|l| open_time <= l) {
                // Already delivered by the warm-up or a catch-up.
                continue;
            }
            let minute = FeedMinute {
                open_time,
                candles,
                live: true,
                readings: read_venue(&rest_for_gaps, symbols, open_interest).await,
            };
            if hub.ask(minute).await.is_err() {
                break;
            }
            last = Some(open_time);
        }
    }
}

/// Step 5: the followed symbols' book and funding now, with their latest
/// open interest (none when the venue does not answer).
async fn read_venue(
    rest: &RestClient,
    symbols: &[Symbol],
    open_interest: &SharedOpenInterest,
) -> BTreeMap<Symbol, VenueReadings> {
    let got = async {
        let books = rest.book_tickers().await.context("book tickers")?;
        let premium = rest.premium_indexes().await.context("premium index")?;
        anyhow::Ok(venue_readings(symbols, &books, &premium))
    }
    .await;
    let mut readings = got.unwrap_or_else(|e| {
        eprintln!("qtrade: market feed: venue readings: {e:#}");
        BTreeMap::new()
    });
    let oi = open_interest.lock().unwrap_or_else(PoisonError::into_inner);
    for s in symbols {
        let r = readings
            .entry(s.clone())
            .or_insert_with(VenueReadings::unknown);
        r.open_interest = oi.get(s).copied().unwrap_or(f64::NAN);
    }
    readings
}

/// Step 6, until aborted.
async fn poll_open_interest(rest: RestClient, symbols: Vec<Symbol>, out: SharedOpenInterest) {
    let mut tick = tokio::time::interval(OPEN_INTEREST_PACE);
    let mut reported = false;
    for s in symbols.iter().cycle() {
        tick.tick().await;
        match rest.open_interest(s.as_str()).await {
            Ok(oi) => {
                out.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(s.clone(), oi.open_interest);
            }
            Err(e) if !reported => {
                eprintln!("qtrade: market feed: open interest of {}: {e}", s.as_str());
                reported = true;
            }
            Err(_) => {}
        }
    }
}

/// The minutes between the last one delivered and the live `next` (those
/// closed while the warm-up ran, or lost between two live minutes), fetched
/// from REST and delivered with routing; returns the last one delivered.
async fn catch_up(
    rest: &RestClient,
    hub: &Tracked<MarketDataHub>,
    symbols: &[Symbol],
    last: Option<i64>,
    next: i64,
) -> anyhow::Result<Option<i64>> {
    let Some(range) = missing_minutes(last, next) else {
        return Ok(None);
    };
    let got = fetch_minutes(rest, symbols, Some(range), 1500).await?;
    deliver(hub, got, true).await
}

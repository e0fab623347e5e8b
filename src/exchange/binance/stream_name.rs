//! Market stream names and the WebSocket route that carries each one
//! (PROTOCOL.md §2.1, §2.4, §7.2).
//!
//! Since 2026-03-05 the host `wss://fstream.binance.com` is split into
//! `/public` (book data), `/market` (everything else) and `/private` (user
//! data); the unrouted legacy URLs were decommissioned on 2026-04-23
//! (§0). A stream requested on the wrong route pushes nothing and no error
//! is documented, so the route is derived from the stream, never chosen by
//! hand.

use crate::market::Interval;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Production WebSocket host for USDⓈ-M market and user streams.
pub const WS_BASE: &str = "wss://fstream.binance.com";
/// Testnet WebSocket host (PROTOCOL.md §1).
pub const WS_BASE_TESTNET: &str = "wss://fstream.binancefuture.com";
/// Production REST base.
pub const REST_BASE: &str = "https://fapi.binance.com";
/// Testnet REST base.
pub const REST_BASE_TESTNET: &str = "https://demo-fapi.binance.com";
/// Most streams one connection may carry (1024 since 2025-07-02, §2.2).
pub const MAX_STREAMS_PER_CONNECTION: usize = 1024;

/// A kline interval as USDⓈ-M streams and `/fapi/v1/klines` accept it
/// (PROTOCOL.md §1: `1m … 1M`; `1s` is treated as unsupported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KlineInterval {
    /// 1 minute.
    #[serde(rename = "1m")]
    M1,
    /// 3 minutes.
    #[serde(rename = "3m")]
    M3,
    /// 5 minutes.
    #[serde(rename = "5m")]
    M5,
    /// 15 minutes.
    #[serde(rename = "15m")]
    M15,
    /// 30 minutes.
    #[serde(rename = "30m")]
    M30,
    /// 1 hour.
    #[serde(rename = "1h")]
    H1,
    /// 2 hours.
    #[serde(rename = "2h")]
    H2,
    /// 4 hours.
    #[serde(rename = "4h")]
    H4,
    /// 6 hours.
    #[serde(rename = "6h")]
    H6,
    /// 8 hours.
    #[serde(rename = "8h")]
    H8,
    /// 12 hours.
    #[serde(rename = "12h")]
    H12,
    /// 1 day.
    #[serde(rename = "1d")]
    D1,
    /// 3 days.
    #[serde(rename = "3d")]
    D3,
    /// 1 week.
    #[serde(rename = "1w")]
    W1,
    /// 1 calendar month.
    #[serde(rename = "1M")]
    Month1,
}

impl KlineInterval {
    /// The wire name (`1m`, `1M`, ...): the core's name where the core has
    /// the interval.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::D3 => "3d",
            Self::W1 => "1w",
            Self::Month1 => "1M",
            other => match other.to_market() {
                Some(i) => i.as_str(),
                None => "",
            },
        }
    }

    /// The core's interval, for the ones the core models (1m … 1d).
    #[must_use]
    pub const fn to_market(self) -> Option<Interval> {
        Some(match self {
            Self::M1 => Interval::M1,
            Self::M3 => Interval::M3,
            Self::M5 => Interval::M5,
            Self::M15 => Interval::M15,
            Self::M30 => Interval::M30,
            Self::H1 => Interval::H1,
            Self::H2 => Interval::H2,
            Self::H4 => Interval::H4,
            Self::H6 => Interval::H6,
            Self::H8 => Interval::H8,
            Self::H12 => Interval::H12,
            Self::D1 => Interval::D1,
            Self::D3 | Self::W1 | Self::Month1 => return None,
        })
    }
}

impl From<Interval> for KlineInterval {
    fn from(i: Interval) -> Self {
        match i {
            Interval::M1 => Self::M1,
            Interval::M3 => Self::M3,
            Interval::M5 => Self::M5,
            Interval::M15 => Self::M15,
            Interval::M30 => Self::M30,
            Interval::H1 => Self::H1,
            Interval::H2 => Self::H2,
            Interval::H4 => Self::H4,
            Interval::H6 => Self::H6,
            Interval::H8 => Self::H8,
            Interval::H12 => Self::H12,
            Interval::D1 => Self::D1,
        }
    }
}

impl fmt::Display for KlineInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which path of the split WebSocket host carries a stream (PROTOCOL.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// High-frequency book data: book tickers and depth.
    Public,
    /// All other market data: trades, klines, tickers, mark price.
    Market,
    /// User data (listenKey streams).
    Private,
}

impl Route {
    /// The path segment: `public`, `market` or `private`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Market => "market",
            Self::Private => "private",
        }
    }
}

/// Update speed of a diff or partial depth stream (§2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepthSpeed {
    /// Default 250 ms (no suffix).
    Ms250,
    /// `@500ms`.
    Ms500,
    /// `@100ms`.
    Ms100,
}

impl DepthSpeed {
    const fn suffix(self) -> &'static str {
        match self {
            Self::Ms250 => "",
            Self::Ms500 => "@500ms",
            Self::Ms100 => "@100ms",
        }
    }
}

/// Levels of a partial book depth stream: 5, 10 or 20 (§2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepthLevels {
    /// Top 5.
    L5,
    /// Top 10.
    L10,
    /// Top 20.
    L20,
}

impl DepthLevels {
    const fn count(self) -> u8 {
        match self {
            Self::L5 => 5,
            Self::L10 => 10,
            Self::L20 => 20,
        }
    }
}

/// A market stream this node may subscribe to (the catalogue of §2.4).
/// Symbols are stored upper-case as payloads carry them; [`fmt::Display`]
/// writes the lower-case stream name Binance expects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamName {
    /// `<symbol>@aggTrade`.
    AggTrade(String),
    /// `<symbol>@kline_<interval>`.
    Kline(String, KlineInterval),
    /// `<symbol>@bookTicker`.
    BookTicker(String),
    /// `!bookTicker`.
    AllBookTickers,
    /// `<symbol>@ticker`.
    Ticker(String),
    /// `!ticker@arr` (only symbols that changed).
    AllTickers,
    /// `<symbol>@miniTicker`.
    MiniTicker(String),
    /// `!miniTicker@arr`.
    AllMiniTickers,
    /// `<symbol>@markPrice` (3 s) or `@markPrice@1s`.
    MarkPrice {
        /// Symbol.
        symbol: String,
        /// True for the 1-second variant.
        every_second: bool,
    },
    /// `!markPrice@arr` (3 s) or `!markPrice@arr@1s`.
    AllMarkPrices {
        /// True for the 1-second variant.
        every_second: bool,
    },
    /// `<symbol>@depth[@500ms|@100ms]`: diff depth for a local book (§2.6).
    DiffDepth(String, DepthSpeed),
    /// `<symbol>@depth<N>[@500ms|@100ms]`: top-N snapshot in `depthUpdate` form.
    PartialDepth(String, DepthLevels, DepthSpeed),
}

impl StreamName {
    /// The route that carries this stream (§2.1 table): book tickers and
    /// depth on `/public`, the rest on `/market`.
    #[must_use]
    pub const fn route(&self) -> Route {
        match self {
            Self::BookTicker(_)
            | Self::AllBookTickers
            | Self::DiffDepth(..)
            | Self::PartialDepth(..) => Route::Public,
            Self::AggTrade(_)
            | Self::Kline(..)
            | Self::Ticker(_)
            | Self::AllTickers
            | Self::MiniTicker(_)
            | Self::AllMiniTickers
            | Self::MarkPrice { .. }
            | Self::AllMarkPrices { .. } => Route::Market,
        }
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lc = |s: &str| s.to_lowercase();
        match self {
            Self::AggTrade(s) => write!(f, "{}@aggTrade", lc(s)),
            Self::Kline(s, i) => write!(f, "{}@kline_{}", lc(s), i.as_str()),
            Self::BookTicker(s) => write!(f, "{}@bookTicker", lc(s)),
            Self::AllBookTickers => f.write_str("!bookTicker"),
            Self::Ticker(s) => write!(f, "{}@ticker", lc(s)),
            Self::AllTickers => f.write_str("!ticker@arr"),
            Self::MiniTicker(s) => write!(f, "{}@miniTicker", lc(s)),
            Self::AllMiniTickers => f.write_str("!miniTicker@arr"),
            Self::MarkPrice {
                symbol,
                every_second,
            } => write!(
                f,
                "{}@markPrice{}",
                lc(symbol),
                if *every_second { "@1s" } else { "" }
            ),
            Self::AllMarkPrices { every_second } => write!(
                f,
                "!markPrice@arr{}",
                if *every_second { "@1s" } else { "" }
            ),
            Self::DiffDepth(s, speed) => write!(f, "{}@depth{}", lc(s), speed.suffix()),
            Self::PartialDepth(s, n, speed) => {
                write!(f, "{}@depth{}{}", lc(s), n.count(), speed.suffix())
            }
        }
    }
}

/// Why a set of streams cannot share one connection URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamUrlError {
    /// No streams given.
    #[error("no streams to connect to")]
    Empty,
    /// Streams of different routes in one connection (the wrong route pushes nothing).
    #[error("streams of routes /{0} and /{1} cannot share a connection")]
    MixedRoutes(&'static str, &'static str),
    /// More than [`MAX_STREAMS_PER_CONNECTION`] streams.
    #[error("{0} streams exceed the {MAX_STREAMS_PER_CONNECTION} per connection")]
    TooMany(usize),
}

/// The combined-mode URL `<base>/<route>/stream?streams=<s1>/<s2>` for
/// streams that all share one route (§2.1); every payload then arrives in
/// the `{"stream":…,"data":…}` envelope.
///
/// # Errors
/// [`StreamUrlError`] for an empty list, mixed routes or too many streams.
pub fn combined_url(base: &str, streams: &[StreamName]) -> Result<String, StreamUrlError> {
    let route = common_route(streams)?;
    let names: Vec<String> = streams.iter().map(ToString::to_string).collect();
    Ok(format!(
        "{base}/{}/stream?streams={}",
        route.as_str(),
        names.join("/")
    ))
}

/// The raw-mode URL `<base>/<route>/ws/<s1>/<s2>` (§2.1); payloads arrive
/// unwrapped.
///
/// # Errors
/// [`StreamUrlError`] for an empty list, mixed routes or too many streams.
pub fn raw_url(base: &str, streams: &[StreamName]) -> Result<String, StreamUrlError> {
    let route = common_route(streams)?;
    let names: Vec<String> = streams.iter().map(ToString::to_string).collect();
    Ok(format!("{base}/{}/ws/{}", route.as_str(), names.join("/")))
}

/// The user-data URL `<base>/private/ws/<listenKey>` (§7.2).
#[must_use]
pub fn user_data_url(base: &str, listen_key: &str) -> String {
    format!("{base}/{}/ws/{listen_key}", Route::Private.as_str())
}

fn common_route(streams: &[StreamName]) -> Result<Route, StreamUrlError> {
    let first = streams.first().ok_or(StreamUrlError::Empty)?.route();
    if streams.len() > MAX_STREAMS_PER_CONNECTION {
        return Err(StreamUrlError::TooMany(streams.len()));
    }
    if let Some(other) = streams.iter().map(StreamName::route).find(|r| *r != first) {
        return Err(StreamUrlError::MixedRoutes(first.as_str(), other.as_str()));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_and_routed() {
        let k = StreamName::Kline("BTCUSDT".into(), KlineInterval::M1);
        assert_eq!(k.to_string(), "btcusdt@kline_1m");
        assert_eq!(k.route(), Route::Market);
        let d = StreamName::DiffDepth("BTCUSDT".into(), DepthSpeed::Ms100);
        assert_eq!(d.to_string(), "btcusdt@depth@100ms");
        assert_eq!(d.route(), Route::Public);
        let p = StreamName::PartialDepth("ETHUSDT".into(), DepthLevels::L20, DepthSpeed::Ms250);
        assert_eq!(p.to_string(), "ethusdt@depth20");
        assert_eq!(
            StreamName::BookTicker("BNBUSDT".into()).route(),
            Route::Public
        );
        assert_eq!(
            StreamName::AllMarkPrices { every_second: true }.to_string(),
            "!markPrice@arr@1s"
        );
        assert_eq!(StreamName::AllTickers.route(), Route::Market);
    }

    #[test]
    fn urls_follow_the_split_host() {
        let s = [
            StreamName::AggTrade("BTCUSDT".into()),
            StreamName::Kline("BTCUSDT".into(), KlineInterval::H1),
        ];
        assert_eq!(
            combined_url(WS_BASE, &s).unwrap(),
            "wss://fstream.binance.com/market/stream?streams=btcusdt@aggTrade/btcusdt@kline_1h"
        );
        assert_eq!(
            raw_url(WS_BASE, &s[..1]).unwrap(),
            "wss://fstream.binance.com/market/ws/btcusdt@aggTrade"
        );
        let mixed = [
            StreamName::AggTrade("BTCUSDT".into()),
            StreamName::BookTicker("BTCUSDT".into()),
        ];
        assert_eq!(
            combined_url(WS_BASE, &mixed),
            Err(StreamUrlError::MixedRoutes("market", "public"))
        );
        assert_eq!(combined_url(WS_BASE, &[]), Err(StreamUrlError::Empty));
        assert_eq!(
            user_data_url(WS_BASE, "abc"),
            "wss://fstream.binance.com/private/ws/abc"
        );
    }

    #[test]
    fn intervals_map_to_the_core() {
        assert_eq!(KlineInterval::H4.to_market(), Some(Interval::H4));
        assert_eq!(KlineInterval::W1.to_market(), None);
        assert_eq!(KlineInterval::from(Interval::M15), KlineInterval::M15);
        let i: KlineInterval = serde_json::from_str("\"1M\"").unwrap();
        assert_eq!(i, KlineInterval::Month1);
    }
}

//! REST answers of the simulated exchange: public market data
//! (PROTOCOL.md §4) with Binance's error bodies (§3, §8.1) and weights
//! (§4.1).
//!
//! Steps for each request:
//! 1. Route by method and path; an unknown route is a 404.
//! 2. Decode the query string (`application/x-www-form-urlencoded`).
//! 3. Charge the endpoint weight (§4.1; by `limit` for klines and depth,
//!    by the presence of `symbol` for tickers and premium index).
//! 4. Over the minute's limit: 429 with `-1003` and `Retry-After` (§8.2).
//! 5. Validate parameters: `-1102` missing mandatory, `-1100` illegal
//!    characters in a number, `-1121` unknown symbol, `-1120` bad
//!    interval, `-1130` value out of range — all HTTP 400.
//! 6. Answer in Binance's shapes (§4.2–4.4): prices and quantities as
//!    decimal strings, times and ids as integers.
//! 7. Open interest (`/fapi/v1/openInterest`, `symbol` mandatory, weight 1)
//!    is the synthetic market's model
//!    ([`crate::market::open_interest`]); a replay of recorded klines has
//!    none, and answers 400 `-1121` as for a symbol without one (a
//!    request error: clients do not retry it).

use super::market::{SimMarket, fixed};
use super::weight::{depth_weight, klines_weight};
use crate::market::Interval;
use crate::market::instrument::ContractStatus;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Decoded query parameters; the first occurrence of a name wins.
pub type Params = BTreeMap<String, String>;

/// A REST endpoint the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /fapi/v1/ping`.
    Ping,
    /// `GET /fapi/v1/time`.
    Time,
    /// `GET /fapi/v1/exchangeInfo`.
    ExchangeInfo,
    /// `GET /fapi/v1/klines`.
    Klines,
    /// `GET /fapi/v1/ticker/24hr`.
    Ticker24h,
    /// `GET /fapi/v1/ticker/bookTicker`.
    BookTicker,
    /// `GET /fapi/v1/depth`.
    Depth,
    /// `GET /fapi/v1/premiumIndex`.
    PremiumIndex,
    /// `GET /fapi/v1/openInterest`.
    OpenInterest,
}

impl Endpoint {
    /// The endpoint for a method and path (step 1).
    #[must_use]
    pub fn route(method: &str, path: &str) -> Option<Self> {
        if method != "GET" {
            return None;
        }
        Some(match path {
            "/fapi/v1/ping" => Self::Ping,
            "/fapi/v1/time" => Self::Time,
            "/fapi/v1/exchangeInfo" => Self::ExchangeInfo,
            "/fapi/v1/klines" => Self::Klines,
            "/fapi/v1/ticker/24hr" => Self::Ticker24h,
            "/fapi/v1/ticker/bookTicker" => Self::BookTicker,
            "/fapi/v1/depth" => Self::Depth,
            "/fapi/v1/premiumIndex" => Self::PremiumIndex,
            "/fapi/v1/openInterest" => Self::OpenInterest,
            _ => return None,
        })
    }

    /// IP weight of one call (step 3, §4.1).
    #[must_use]
    pub fn weight(self, params: &Params) -> u32 {
        let limit = |default: u32| {
            params
                .get("limit")
                .and_then(|l| l.parse::<u32>().ok())
                .unwrap_or(default)
        };
        let one_or_all = |one, all| {
            if params.contains_key("symbol") {
                one
            } else {
                all
            }
        };
        match self {
            Self::Ping | Self::Time | Self::ExchangeInfo | Self::OpenInterest => 1,
            Self::Klines => klines_weight(limit(500)),
            Self::Depth => depth_weight(limit(500)),
            Self::Ticker24h => one_or_all(1, 40),
            Self::BookTicker => one_or_all(2, 5),
            Self::PremiumIndex => one_or_all(1, 10),
        }
    }
}

/// A Binance error answer: HTTP status and the `{code, msg}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    /// HTTP status.
    pub status: u16,
    /// Binance error code (negative).
    pub code: i64,
    /// Message.
    pub msg: String,
}

impl RestError {
    /// A 400 with `code` and `msg`.
    #[must_use]
    pub fn bad_request(code: i64, msg: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            msg: msg.into(),
        }
    }

    /// The JSON body.
    #[must_use]
    pub fn body(&self) -> String {
        json!({ "code": self.code, "msg": self.msg }).to_string()
    }
}

/// `-1102`: a mandatory parameter is missing or empty.
#[must_use]
pub fn mandatory(name: &str) -> RestError {
    RestError::bad_request(
        -1102,
        format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
    )
}

/// `-1100`: a number parameter holds other characters.
#[must_use]
pub fn illegal_number(name: &str) -> RestError {
    RestError::bad_request(
        -1100,
        format!(
            "Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
        ),
    )
}

/// `-1130`: a parameter's value is not valid.
#[must_use]
pub fn not_valid(name: &str) -> RestError {
    RestError::bad_request(
        -1130,
        format!("Data sent for parameter '{name}' is not valid."),
    )
}

/// Decodes an `application/x-www-form-urlencoded` string (step 2); the
/// first occurrence of a name wins.
#[must_use]
pub fn decode_query(query: &str) -> Params {
    let mut out = Params::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(percent_decode(k))
            .or_insert_with(|| percent_decode(v));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn opt_i64(params: &Params, name: &str) -> Result<Option<i64>, RestError> {
    match params.get(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| illegal_number(name)),
    }
}

fn symbol_index(market: &SimMarket, params: &Params) -> Result<Option<usize>, RestError> {
    match params.get("symbol") {
        None => Ok(None),
        Some(s) if s.is_empty() => Err(mandatory("symbol")),
        Some(s) => market
            .index_of(s)
            .map(Some)
            .ok_or_else(|| RestError::bad_request(-1121, "Invalid symbol.")),
    }
}

fn required_symbol(market: &SimMarket, params: &Params) -> Result<usize, RestError> {
    symbol_index(market, params)?.ok_or_else(|| mandatory("symbol"))
}

/// One symbol, or every symbol when `symbol` is absent.
fn one_or_all(
    market: &SimMarket,
    params: &Params,
    f: impl Fn(usize) -> Value,
) -> Result<Value, RestError> {
    Ok(match symbol_index(market, params)? {
        Some(i) => f(i),
        None => Value::Array((0..market.profiles().len()).map(f).collect()),
    })
}

/// Answers a validated market-data request (steps 5–6). `now_ms` is the
/// simulated time.
///
/// # Errors
/// The Binance error to answer.
pub fn answer(
    market: &SimMarket,
    endpoint: Endpoint,
    params: &Params,
    now_ms: i64,
    weight_limit: u32,
    order_limit: u32,
) -> Result<Value, RestError> {
    match endpoint {
        Endpoint::Ping => Ok(json!({})),
        Endpoint::Time => Ok(json!({ "serverTime": now_ms })),
        Endpoint::ExchangeInfo => Ok(exchange_info(market, now_ms, weight_limit, order_limit)),
        Endpoint::Klines => klines(market, params),
        Endpoint::Ticker24h => one_or_all(market, params, |i| ticker_24h(market, i, now_ms)),
        Endpoint::BookTicker => one_or_all(market, params, |i| book_ticker(market, i, now_ms)),
        Endpoint::PremiumIndex => one_or_all(market, params, |i| premium_index(market, i, now_ms)),
        Endpoint::Depth => depth(market, params, now_ms),
        Endpoint::OpenInterest => open_interest(market, params, now_ms),
    }
}

fn klines(market: &SimMarket, params: &Params) -> Result<Value, RestError> {
    let i = required_symbol(market, params)?;
    let interval = match params.get("interval").map(String::as_str) {
        None | Some("") => return Err(mandatory("interval")),
        Some(s) => s
            .parse::<Interval>()
            .map_err(|_| RestError::bad_request(-1120, "Invalid interval."))?,
    };
    let start = opt_i64(params, "startTime")?;
    let end = opt_i64(params, "endTime")?;
    let limit = match opt_i64(params, "limit")? {
        None => 500,
        Some(l) if (1..=1500).contains(&l) => usize::try_from(l).unwrap_or(500),
        Some(_) => return Err(not_valid("limit")),
    };
    let (pd, qd) = (market.price_decimals(i), market.volume_decimals(i));
    let rows = market
        .klines(i, interval, start, end, limit)
        .iter()
        .map(|k| {
            let c = &k.candle;
            json!([
                c.open_time,
                fixed(c.open, pd),
                fixed(c.high, pd),
                fixed(c.low, pd),
                fixed(c.close, pd),
                fixed(c.volume, qd),
                k.close_time,
                fixed(c.quote_volume, 4),
                c.trades,
                fixed(c.taker_buy_volume, qd),
                fixed(c.taker_buy_quote_volume, 4),
                "0"
            ])
        })
        .collect();
    Ok(Value::Array(rows))
}

fn status_name(s: ContractStatus) -> &'static str {
    match s {
        ContractStatus::Trading => "TRADING",
        ContractStatus::PendingTrading => "PENDING_TRADING",
        ContractStatus::Settling => "SETTLING",
        ContractStatus::Close => "CLOSE",
    }
}

/// The `filters` array of symbol `i` in `exchangeInfo` (§4.2); the
/// account checks orders against the same filters.
#[must_use]
pub fn symbol_filters(market: &SimMarket, i: usize) -> Value {
    let ins = &market.profiles()[i].instrument;
    let (pd, qd) = (market.price_decimals(i), market.qty_decimals(i));
    json!([
        { "filterType": "PRICE_FILTER", "minPrice": fixed(ins.tick_size, pd),
          "maxPrice": fixed(ins.tick_size * 1e9, pd), "tickSize": fixed(ins.tick_size, pd) },
        { "filterType": "LOT_SIZE", "minQty": fixed(ins.step_size, qd),
          "maxQty": fixed(ins.step_size * 1e8, qd), "stepSize": fixed(ins.step_size, qd) },
        { "filterType": "MARKET_LOT_SIZE", "minQty": fixed(ins.step_size, qd),
          "maxQty": fixed(ins.step_size * 1e7, qd), "stepSize": fixed(ins.step_size, qd) },
        { "filterType": "MAX_NUM_ORDERS", "limit": 200 },
        { "filterType": "MIN_NOTIONAL", "notional": fixed(ins.min_notional, 1) },
        { "filterType": "PERCENT_PRICE", "multiplierUp": "1.0500",
          "multiplierDown": "0.9500", "multiplierDecimal": "4" },
    ])
}

fn exchange_info(market: &SimMarket, now_ms: i64, weight_limit: u32, order_limit: u32) -> Value {
    let symbols: Vec<Value> = market
        .profiles()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ins = &p.instrument;
            let (pd, qd) = (market.price_decimals(i), market.qty_decimals(i));
            let name = ins.symbol.as_str();
            let base = name.strip_suffix("USDT").unwrap_or(name);
            json!({
                "symbol": name, "pair": name, "contractType": "PERPETUAL",
                "deliveryDate": 4_133_404_800_000_i64, "onboardDate": market.onboard_ms(),
                "status": status_name(ins.status),
                "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
                "baseAsset": base, "quoteAsset": "USDT", "marginAsset": "USDT",
                "pricePrecision": pd, "quantityPrecision": qd,
                "baseAssetPrecision": 8, "quotePrecision": 8,
                "underlyingType": "COIN", "underlyingSubType": ["SYNTHETIC"],
                "settlePlan": 0, "triggerProtect": "0.0500",
                "filters": symbol_filters(market, i),
                "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                               "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
                "liquidationFee": "0.012500", "marketTakeBound": "0.05",
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_limit },
            { "rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": order_limit },
        ],
        "exchangeFilters": [],
        "assets": [
            { "asset": "USDT", "marginAvailable": true, "autoAssetExchange": "-10000" },
        ],
        "symbols": symbols,
    })
}

fn ticker_24h(market: &SimMarket, i: usize, now_ms: i64) -> Value {
    let t = market.ticker_24h(i);
    let s = &t.stats;
    let (pd, qd) = (market.price_decimals(i), market.qty_decimals(i));
    let change = s.last_price - s.open_price;
    let pct = if s.open_price > 0.0 {
        100.0 * change / s.open_price
    } else {
        0.0
    };
    let wavg = if s.volume > 0.0 {
        s.quote_volume / s.volume
    } else {
        s.last_price
    };
    json!({
        "symbol": market.profiles()[i].instrument.symbol.as_str(),
        "priceChange": fixed(change, pd), "priceChangePercent": fixed(pct, 3),
        "weightedAvgPrice": fixed(wavg, pd), "lastPrice": fixed(s.last_price, pd),
        "lastQty": fixed(t.last_qty, qd), "openPrice": fixed(s.open_price, pd),
        "highPrice": fixed(s.high, pd), "lowPrice": fixed(s.low, pd),
        "volume": fixed(s.volume, qd), "quoteVolume": fixed(s.quote_volume, 4),
        "openTime": now_ms - 86_400_000, "closeTime": now_ms,
        "firstId": t.first_id, "lastId": t.last_id,
        "count": (t.last_id - t.first_id + 1).max(0),
    })
}

fn book_ticker(market: &SimMarket, i: usize, now_ms: i64) -> Value {
    let (b, u) = market.book(i);
    let (pd, qd) = (market.price_decimals(i), market.qty_decimals(i));
    json!({
        "symbol": market.profiles()[i].instrument.symbol.as_str(),
        "bidPrice": fixed(b.bid, pd), "bidQty": fixed(b.bid_qty, qd),
        "askPrice": fixed(b.ask, pd), "askQty": fixed(b.ask_qty, qd),
        "time": now_ms, "lastUpdateId": u,
    })
}

/// Funding every 8 hours at 00:00, 08:00 and 16:00 UTC.
pub const FUNDING_PERIOD_MS: i64 = 8 * 3_600_000;
/// The funding rate every symbol pays at each funding time (longs pay
/// shorts when positive), as `premiumIndex` reports it.
pub const FUNDING_RATE: f64 = 0.0001;

fn premium_index(market: &SimMarket, i: usize, now_ms: i64) -> Value {
    let (b, _) = market.book(i);
    let pd = market.price_decimals(i);
    let mid = f64::midpoint(b.bid, b.ask);
    json!({
        "symbol": market.profiles()[i].instrument.symbol.as_str(),
        "markPrice": fixed(mid, pd), "indexPrice": fixed(mid, pd),
        "estimatedSettlePrice": fixed(mid, pd),
        "lastFundingRate": format!("{FUNDING_RATE:.8}"), "interestRate": "0.00010000",
        "nextFundingTime": (now_ms.div_euclid(FUNDING_PERIOD_MS) + 1) * FUNDING_PERIOD_MS,
        "time": now_ms,
    })
}

/// Step 7.
fn open_interest(market: &SimMarket, params: &Params, now_ms: i64) -> Result<Value, RestError> {
    let i = required_symbol(market, params)?;
    let oi = market.open_interest(i);
    if !oi.is_finite() {
        return Err(RestError::bad_request(
            -1121,
            "Invalid symbol: no open interest in a replay of recorded klines.",
        ));
    }
    Ok(json!({
        "openInterest": fixed(oi, market.qty_decimals(i)),
        "symbol": market.profiles()[i].instrument.symbol.as_str(),
        "time": now_ms,
    }))
}

fn depth(market: &SimMarket, params: &Params, now_ms: i64) -> Result<Value, RestError> {
    let i = required_symbol(market, params)?;
    let limit = match opt_i64(params, "limit")? {
        None => 500,
        Some(l @ (5 | 10 | 20 | 50 | 100 | 500 | 1000)) => usize::try_from(l).unwrap_or(500),
        Some(_) => return Err(not_valid("limit")),
    };
    let (pd, qd) = (market.price_decimals(i), market.qty_decimals(i));
    let (bids, asks) = market.depth(i, limit);
    let side = |levels: Vec<(f64, f64)>| {
        levels
            .into_iter()
            .map(|(p, q)| json!([fixed(p, pd), fixed(q, qd)]))
            .collect::<Vec<_>>()
    };
    let (_, u) = market.book(i);
    Ok(json!({
        "lastUpdateId": u, "E": now_ms, "T": now_ms,
        "bids": side(bids), "asks": side(asks),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let p = decode_query("symbol=BTC%55SDT&limit=5&limit=7&x=a+b&flag");
        assert_eq!(p["symbol"], "BTCUSDT");
        assert_eq!(p["limit"], "5");
        assert_eq!(p["x"], "a b");
        assert_eq!(p["flag"], "");
        assert_eq!(decode_query("a=%4")["a"], "%4");
    }

    #[test]
    fn weights_by_params() {
        let p = decode_query("symbol=X&limit=1000");
        assert_eq!(Endpoint::Klines.weight(&p), 5);
        assert_eq!(Endpoint::Depth.weight(&p), 20);
        assert_eq!(Endpoint::Ticker24h.weight(&p), 1);
        assert_eq!(Endpoint::Ticker24h.weight(&Params::new()), 40);
        assert_eq!(Endpoint::Klines.weight(&Params::new()), 5);
        assert_eq!(Endpoint::OpenInterest.weight(&p), 1);
        assert_eq!(
            Endpoint::route("GET", "/fapi/v1/openInterest"),
            Some(Endpoint::OpenInterest)
        );
    }
}

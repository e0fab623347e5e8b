//! Market stream payloads and the live control messages of the
//! WebSocket market streams (PROTOCOL.md §2.3–2.5).
//!
//! Prices and volumes that only feed indicators are `f64` (read from
//! Binance's decimal strings); depth levels keep exchange precision
//! ([`Price`], [`Quantity`]) because the local book is keyed by price.
//! Unknown fields are ignored and fields added after 2025 (`nq`, `ap`) are
//! optional, as §0 asks of clients.

use super::decimal::{Price, Quantity, f64_str, opt_f64_str};
use super::order::VenueSymbol;
use super::stream_name::KlineInterval;
use crate::market::Candle;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `aggTrade`: trades aggregated by price and taker side within 100 ms.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AggTrade {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Aggregate trade id.
    #[serde(rename = "a")]
    pub agg_trade_id: i64,
    /// Price.
    #[serde(rename = "p", deserialize_with = "f64_str")]
    pub price: f64,
    /// Quantity of all market trades, RPI included.
    #[serde(rename = "q", deserialize_with = "f64_str")]
    pub quantity: f64,
    /// Quantity without RPI trades (since 2025-12-31; absent before).
    #[serde(rename = "nq", default, deserialize_with = "opt_f64_str")]
    pub non_rpi_quantity: Option<f64>,
    /// First trade id.
    #[serde(rename = "f")]
    pub first_trade_id: i64,
    /// Last trade id.
    #[serde(rename = "l")]
    pub last_trade_id: i64,
    /// Trade time (ms).
    #[serde(rename = "T")]
    pub trade_time: i64,
    /// True when the buyer is the maker (the taker sold).
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// The `k` object of a `kline` event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Kline {
    /// Open time (ms).
    #[serde(rename = "t")]
    pub open_time: i64,
    /// Close time (ms): open time + interval − 1 ms.
    #[serde(rename = "T")]
    pub close_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Interval.
    #[serde(rename = "i")]
    pub interval: KlineInterval,
    /// First trade id.
    #[serde(rename = "f")]
    pub first_trade_id: i64,
    /// Last trade id.
    #[serde(rename = "L")]
    pub last_trade_id: i64,
    /// Open price.
    #[serde(rename = "o", deserialize_with = "f64_str")]
    pub open: f64,
    /// Close price (last price while the bar is open).
    #[serde(rename = "c", deserialize_with = "f64_str")]
    pub close: f64,
    /// High price.
    #[serde(rename = "h", deserialize_with = "f64_str")]
    pub high: f64,
    /// Low price.
    #[serde(rename = "l", deserialize_with = "f64_str")]
    pub low: f64,
    /// Base-asset volume.
    #[serde(rename = "v", deserialize_with = "f64_str")]
    pub volume: f64,
    /// Number of trades.
    #[serde(rename = "n")]
    pub trades: u64,
    /// True on the bar's closing update (`x`); false while it is open.
    #[serde(rename = "x")]
    pub is_closed: bool,
    /// Quote-asset volume.
    #[serde(rename = "q", deserialize_with = "f64_str")]
    pub quote_volume: f64,
    /// Taker buy base-asset volume.
    #[serde(rename = "V", deserialize_with = "f64_str")]
    pub taker_buy_volume: f64,
    /// Taker buy quote-asset volume.
    #[serde(rename = "Q", deserialize_with = "f64_str")]
    pub taker_buy_quote_volume: f64,
}

impl Kline {
    /// The core's candle.
    #[must_use]
    pub fn to_candle(&self) -> Candle {
        Candle {
            open_time: self.open_time,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            quote_volume: self.quote_volume,
            trades: self.trades,
            taker_buy_volume: self.taker_buy_volume,
            taker_buy_quote_volume: self.taker_buy_quote_volume,
        }
    }
}

/// `kline` event: the open bar every 250 ms, `k.x = true` on its close.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KlineEvent {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// The bar.
    #[serde(rename = "k")]
    pub kline: Kline,
}

/// `bookTicker`: best bid and ask (RPI orders excluded).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BookTicker {
    /// Order-book update id.
    #[serde(rename = "u")]
    pub update_id: i64,
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Best bid price.
    #[serde(rename = "b", deserialize_with = "f64_str")]
    pub bid_price: f64,
    /// Best bid quantity.
    #[serde(rename = "B", deserialize_with = "f64_str")]
    pub bid_qty: f64,
    /// Best ask price.
    #[serde(rename = "a", deserialize_with = "f64_str")]
    pub ask_price: f64,
    /// Best ask quantity.
    #[serde(rename = "A", deserialize_with = "f64_str")]
    pub ask_qty: f64,
}

/// `markPriceUpdate` (one element of `!markPrice@arr` too).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MarkPriceUpdate {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Mark price.
    #[serde(rename = "p", deserialize_with = "f64_str")]
    pub mark_price: f64,
    /// Mark price moving average (since 2026-03-16).
    #[serde(rename = "ap", default, deserialize_with = "opt_f64_str")]
    pub mark_price_avg: Option<f64>,
    /// Index price.
    #[serde(rename = "i", deserialize_with = "f64_str")]
    pub index_price: f64,
    /// Estimated settle price (meaningful only in the hour before settlement).
    #[serde(rename = "P", deserialize_with = "f64_str")]
    pub estimated_settle_price: f64,
    /// Current funding rate.
    #[serde(rename = "r", deserialize_with = "f64_str")]
    pub funding_rate: f64,
    /// Next funding time (ms).
    #[serde(rename = "T")]
    pub next_funding_time: i64,
}

/// `24hrTicker`: rolling 24 h statistics (one element of `!ticker@arr` too).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ticker24h {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Price change.
    #[serde(rename = "p", deserialize_with = "f64_str")]
    pub price_change: f64,
    /// Price change percent.
    #[serde(rename = "P", deserialize_with = "f64_str")]
    pub price_change_percent: f64,
    /// Weighted average price.
    #[serde(rename = "w", deserialize_with = "f64_str")]
    pub weighted_avg_price: f64,
    /// Last price.
    #[serde(rename = "c", deserialize_with = "f64_str")]
    pub last_price: f64,
    /// Last quantity.
    #[serde(rename = "Q", deserialize_with = "f64_str")]
    pub last_qty: f64,
    /// Open price.
    #[serde(rename = "o", deserialize_with = "f64_str")]
    pub open: f64,
    /// High price.
    #[serde(rename = "h", deserialize_with = "f64_str")]
    pub high: f64,
    /// Low price.
    #[serde(rename = "l", deserialize_with = "f64_str")]
    pub low: f64,
    /// Base-asset volume.
    #[serde(rename = "v", deserialize_with = "f64_str")]
    pub volume: f64,
    /// Quote-asset volume.
    #[serde(rename = "q", deserialize_with = "f64_str")]
    pub quote_volume: f64,
    /// Statistics open time (ms).
    #[serde(rename = "O")]
    pub open_time: i64,
    /// Statistics close time (ms).
    #[serde(rename = "C")]
    pub close_time: i64,
    /// First trade id.
    #[serde(rename = "F")]
    pub first_trade_id: i64,
    /// Last trade id.
    #[serde(rename = "L")]
    pub last_trade_id: i64,
    /// Number of trades.
    #[serde(rename = "n")]
    pub trades: u64,
}

/// `24hrMiniTicker` (one element of `!miniTicker@arr` too).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MiniTicker24h {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Close (last) price.
    #[serde(rename = "c", deserialize_with = "f64_str")]
    pub close: f64,
    /// Open price.
    #[serde(rename = "o", deserialize_with = "f64_str")]
    pub open: f64,
    /// High price.
    #[serde(rename = "h", deserialize_with = "f64_str")]
    pub high: f64,
    /// Low price.
    #[serde(rename = "l", deserialize_with = "f64_str")]
    pub low: f64,
    /// Base-asset volume.
    #[serde(rename = "v", deserialize_with = "f64_str")]
    pub volume: f64,
    /// Quote-asset volume.
    #[serde(rename = "q", deserialize_with = "f64_str")]
    pub quote_volume: f64,
}

/// One price level `[price, qty]`; the quantity is the absolute level size
/// and zero removes the level (§2.5, §2.6 step 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(from = "(Price, Quantity)", into = "(Price, Quantity)")]
pub struct Level {
    /// Price.
    pub price: Price,
    /// Absolute quantity at that price.
    pub qty: Quantity,
}

impl From<(Price, Quantity)> for Level {
    fn from((price, qty): (Price, Quantity)) -> Self {
        Self { price, qty }
    }
}

impl From<Level> for (Price, Quantity) {
    fn from(l: Level) -> Self {
        (l.price, l.qty)
    }
}

/// `depthUpdate`: diff depth and partial depth share this shape on futures
/// (§2.5). `pu` is the previous event's `u` on this stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DepthUpdate {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// First update id in this event.
    #[serde(rename = "U")]
    pub first_update_id: i64,
    /// Final update id in this event.
    #[serde(rename = "u")]
    pub final_update_id: i64,
    /// Final update id of the previous event on this stream.
    #[serde(rename = "pu")]
    pub prev_final_update_id: i64,
    /// Bid levels (order not guaranteed).
    #[serde(rename = "b")]
    pub bids: Vec<Level>,
    /// Ask levels (order not guaranteed).
    #[serde(rename = "a")]
    pub asks: Vec<Level>,
}

/// Every market stream payload this client understands.
#[derive(Debug, Clone, PartialEq)]
pub enum MarketEvent {
    /// `<symbol>@aggTrade`.
    AggTrade(AggTrade),
    /// `<symbol>@kline_<i>`.
    Kline(KlineEvent),
    /// `<symbol>@bookTicker` / `!bookTicker`.
    BookTicker(BookTicker),
    /// `<symbol>@ticker`.
    Ticker(Ticker24h),
    /// `!ticker@arr`: only the symbols that changed.
    Tickers(Vec<Ticker24h>),
    /// `<symbol>@miniTicker`.
    MiniTicker(MiniTicker24h),
    /// `!miniTicker@arr`.
    MiniTickers(Vec<MiniTicker24h>),
    /// `<symbol>@markPrice[@1s]`.
    MarkPrice(MarkPriceUpdate),
    /// `!markPrice@arr[@1s]`: a bare JSON array.
    MarkPrices(Vec<MarkPriceUpdate>),
    /// `<symbol>@depth…`: diff or partial depth.
    Depth(DepthUpdate),
}

/// The id of a control request, echoed in its reply. The docs say unsigned
/// integer; the official SDK sends strings, so both are kept (§2.3, §11 item 7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// Numeric id.
    Number(u64),
    /// Text id.
    Text(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// A live control request on a market connection (§2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ControlRequestWire", into = "ControlRequestWire")]
pub enum ControlRequest {
    /// `SUBSCRIBE` the given stream names.
    Subscribe {
        /// Stream names (lower-case symbols).
        streams: Vec<String>,
        /// Request id.
        id: RequestId,
    },
    /// `UNSUBSCRIBE` the given stream names.
    Unsubscribe {
        /// Stream names.
        streams: Vec<String>,
        /// Request id.
        id: RequestId,
    },
    /// `LIST_SUBSCRIPTIONS`.
    ListSubscriptions {
        /// Request id.
        id: RequestId,
    },
    /// `SET_PROPERTY ["combined", value]`: switch the envelope on or off.
    SetCombined {
        /// New value of `combined`.
        value: bool,
        /// Request id.
        id: RequestId,
    },
    /// `GET_PROPERTY ["combined"]`.
    GetCombined {
        /// Request id.
        id: RequestId,
    },
}

impl ControlRequest {
    /// The request id.
    #[must_use]
    pub fn id(&self) -> &RequestId {
        match self {
            Self::Subscribe { id, .. }
            | Self::Unsubscribe { id, .. }
            | Self::ListSubscriptions { id }
            | Self::SetCombined { id, .. }
            | Self::GetCombined { id } => id,
        }
    }

    /// The JSON text frame to send.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serialising plain strings, bools and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Control method names (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Method {
    Subscribe,
    Unsubscribe,
    ListSubscriptions,
    SetProperty,
    GetProperty,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ControlRequestWire {
    method: Method,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    params: Option<Vec<serde_json::Value>>,
    id: RequestId,
}

/// Why a control request is not one this client models.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid control request: {0}")]
pub struct InvalidControlRequest(String);

impl TryFrom<ControlRequestWire> for ControlRequest {
    type Error = InvalidControlRequest;

    fn try_from(w: ControlRequestWire) -> Result<Self, Self::Error> {
        let params = w.params.unwrap_or_default();
        let names = |params: Vec<serde_json::Value>| {
            params
                .into_iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => Ok(s),
                    other => Err(InvalidControlRequest(format!(
                        "stream name must be a string, got {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let property = |params: &[serde_json::Value]| match params.first() {
            Some(serde_json::Value::String(p)) if p == "combined" => Ok(()),
            other => Err(InvalidControlRequest(format!("unknown property {other:?}"))),
        };
        Ok(match w.method {
            Method::Subscribe => Self::Subscribe {
                streams: names(params)?,
                id: w.id,
            },
            Method::Unsubscribe => Self::Unsubscribe {
                streams: names(params)?,
                id: w.id,
            },
            Method::ListSubscriptions => Self::ListSubscriptions { id: w.id },
            Method::SetProperty => {
                property(&params)?;
                match params.get(1) {
                    Some(serde_json::Value::Bool(value)) => Self::SetCombined {
                        value: *value,
                        id: w.id,
                    },
                    _ => return Err(InvalidControlRequest("expected Boolean value".into())),
                }
            }
            Method::GetProperty => {
                property(&params)?;
                Self::GetCombined { id: w.id }
            }
        })
    }
}

impl From<ControlRequest> for ControlRequestWire {
    fn from(r: ControlRequest) -> Self {
        let s = |v: Vec<String>| Some(v.into_iter().map(serde_json::Value::String).collect());
        match r {
            ControlRequest::Subscribe { streams, id } => Self {
                method: Method::Subscribe,
                params: s(streams),
                id,
            },
            ControlRequest::Unsubscribe { streams, id } => Self {
                method: Method::Unsubscribe,
                params: s(streams),
                id,
            },
            ControlRequest::ListSubscriptions { id } => Self {
                method: Method::ListSubscriptions,
                params: None,
                id,
            },
            ControlRequest::SetCombined { value, id } => Self {
                method: Method::SetProperty,
                params: Some(vec!["combined".into(), serde_json::Value::Bool(value)]),
                id,
            },
            ControlRequest::GetCombined { id } => Self {
                method: Method::GetProperty,
                params: Some(vec!["combined".into()]),
                id,
            },
        }
    }
}

/// The `result` of a control reply: `null` for SUBSCRIBE, UNSUBSCRIBE and
/// SET_PROPERTY, the stream list for LIST_SUBSCRIPTIONS, a bool for
/// GET_PROPERTY.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ControlResult {
    /// `null`: acknowledged.
    Ack,
    /// The current subscriptions.
    Streams(Vec<String>),
    /// A property value.
    Property(bool),
}

/// A successful control reply `{"result":…,"id":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlReply {
    /// The result.
    pub result: ControlResult,
    /// The id of the request it answers.
    pub id: RequestId,
}

/// A control error `{"code":…,"msg":…}`. Codes are small and non-negative
/// here (0 unknown property, 1 bad value type, 2 invalid request, 3 invalid
/// JSON), unlike REST's negative codes (§2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlError {
    /// Code.
    pub code: i64,
    /// Message.
    pub msg: String,
    /// The request id, when the server echoes it (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_requests_round_trip() {
        let r = ControlRequest::Subscribe {
            streams: vec!["btcusdt@aggTrade".into(), "btcusdt@depth".into()],
            id: RequestId::Number(1),
        };
        assert_eq!(
            r.to_json(),
            r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}"#
        );
        let back: ControlRequest = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
        let g = ControlRequest::GetCombined {
            id: RequestId::Text("a1".into()),
        };
        assert_eq!(
            g.to_json(),
            r#"{"method":"GET_PROPERTY","params":["combined"],"id":"a1"}"#
        );
        let l = ControlRequest::ListSubscriptions {
            id: RequestId::Number(3),
        };
        assert_eq!(l.to_json(), r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#);
        assert!(
            serde_json::from_str::<ControlRequest>(
                r#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":5}"#
            )
            .is_err()
        );
    }

    #[test]
    fn replies_are_typed() {
        let r: ControlReply = serde_json::from_str(r#"{"result":null,"id":1}"#).unwrap();
        assert_eq!(r.result, ControlResult::Ack);
        let r: ControlReply = serde_json::from_str(r#"{"result":["a@b"],"id":3}"#).unwrap();
        assert_eq!(r.result, ControlResult::Streams(vec!["a@b".into()]));
        let r: ControlReply = serde_json::from_str(r#"{"result":true,"id":2}"#).unwrap();
        assert_eq!(r.result, ControlResult::Property(true));
    }
}

//! The total WebSocket message parser: any bytes in, a typed message or a
//! classified error out, never a panic (ARCHITECTURE.md "Bad input is
//! expected"). A [`MalformedCounter`] tallies rejects by kind for metrics.
//!
//! Recognised shapes (PROTOCOL.md §2.1, §2.3, §2.5, §7):
//! - the combined envelope `{"stream": "<name>", "data": <payload>}`;
//! - an object with an event type `e` (market or user event);
//! - a bare JSON array of `markPriceUpdate`, `24hrTicker` or
//!   `24hrMiniTicker` objects (`!…@arr` streams);
//! - a control reply `{"result": …, "id": …}` or error `{"code": …, "msg": …}`.
//!
//! The high-rate market events (kline, bookTicker, aggTrade, markPrice,
//! depth) in the exact form Binance sends them take a fast path that
//! deserializes straight from the bytes; anything that path does not
//! accept goes through the general `Value` path, which classifies every
//! input. Both give the same answer wherever the fast one answers (a
//! property test checks it).

use super::user_data::{
    AccountConfigUpdate, AccountUpdate, AlgoUpdate, ListenKeyExpired, MarginCall, OrderTradeUpdate,
    TradeLite, UserEvent,
};
use super::ws::{
    AggTrade, BookTicker, ControlError, ControlReply, DepthUpdate, KlineEvent, MarkPriceUpdate,
    MarketEvent, MiniTicker24h, Ticker24h,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A parsed WebSocket text frame.
#[derive(Debug, Clone, PartialEq)]
pub struct WsMessage {
    /// The stream name from the combined envelope; `None` in raw mode.
    pub stream: Option<String>,
    /// The payload.
    pub body: WsBody,
}

/// The payload of a [`WsMessage`].
#[derive(Debug, Clone, PartialEq)]
pub enum WsBody {
    /// A market stream event.
    Market(MarketEvent),
    /// A user data stream event (boxed: order updates are large and rare
    /// next to market data).
    User(Box<UserEvent>),
    /// A control reply.
    Reply(ControlReply),
    /// A control error.
    Error(ControlError),
}

impl WsBody {
    fn user(e: UserEvent) -> Self {
        Self::User(Box::new(e))
    }
}

/// Every message kind the parser knows, for counting and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// `aggTrade`.
    AggTrade,
    /// `kline`.
    Kline,
    /// `bookTicker`.
    BookTicker,
    /// `24hrTicker` (single or array).
    Ticker,
    /// `24hrMiniTicker` (single or array).
    MiniTicker,
    /// `markPriceUpdate` (single or array).
    MarkPrice,
    /// `depthUpdate`.
    Depth,
    /// `ORDER_TRADE_UPDATE`.
    OrderTradeUpdate,
    /// `ALGO_UPDATE`.
    AlgoUpdate,
    /// `ACCOUNT_UPDATE`.
    AccountUpdate,
    /// `MARGIN_CALL`.
    MarginCall,
    /// `TRADE_LITE`.
    TradeLite,
    /// `ACCOUNT_CONFIG_UPDATE`.
    AccountConfigUpdate,
    /// `listenKeyExpired`.
    ListenKeyExpired,
    /// `{"result", "id"}`.
    ControlReply,
    /// `{"code", "msg"}`.
    ControlError,
}

impl EventKind {
    /// The kind for a wire event type `e`.
    #[must_use]
    pub fn from_event_type(e: &str) -> Option<Self> {
        Some(match e {
            "aggTrade" => Self::AggTrade,
            "kline" => Self::Kline,
            "bookTicker" => Self::BookTicker,
            "24hrTicker" => Self::Ticker,
            "24hrMiniTicker" => Self::MiniTicker,
            "markPriceUpdate" => Self::MarkPrice,
            "depthUpdate" => Self::Depth,
            "ORDER_TRADE_UPDATE" => Self::OrderTradeUpdate,
            "ALGO_UPDATE" => Self::AlgoUpdate,
            "ACCOUNT_UPDATE" => Self::AccountUpdate,
            "MARGIN_CALL" => Self::MarginCall,
            "TRADE_LITE" => Self::TradeLite,
            "ACCOUNT_CONFIG_UPDATE" => Self::AccountConfigUpdate,
            "listenKeyExpired" => Self::ListenKeyExpired,
            _ => return None,
        })
    }

    /// A stable name for metrics labels.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AggTrade => "aggTrade",
            Self::Kline => "kline",
            Self::BookTicker => "bookTicker",
            Self::Ticker => "24hrTicker",
            Self::MiniTicker => "24hrMiniTicker",
            Self::MarkPrice => "markPriceUpdate",
            Self::Depth => "depthUpdate",
            Self::OrderTradeUpdate => "ORDER_TRADE_UPDATE",
            Self::AlgoUpdate => "ALGO_UPDATE",
            Self::AccountUpdate => "ACCOUNT_UPDATE",
            Self::MarginCall => "MARGIN_CALL",
            Self::TradeLite => "TRADE_LITE",
            Self::AccountConfigUpdate => "ACCOUNT_CONFIG_UPDATE",
            Self::ListenKeyExpired => "listenKeyExpired",
            Self::ControlReply => "control_reply",
            Self::ControlError => "control_error",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a frame is not a message this client understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON (or not UTF-8, or nested too deep).
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// JSON, but none of the recognised shapes.
    #[error("unexpected message shape: {0}")]
    UnexpectedShape(&'static str),
    /// An event type `e` this client does not model (e.g. `forceOrder`).
    #[error("unknown event type {0:?}")]
    UnknownEvent(String),
    /// A known event whose fields are missing or malformed.
    #[error("invalid {kind} payload: {reason}")]
    InvalidPayload {
        /// The event kind.
        kind: EventKind,
        /// The deserialiser's complaint.
        reason: String,
    },
}

/// Coarse class of a [`ParseError`], the key of [`MalformedCounter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MalformedKind {
    /// [`ParseError::InvalidJson`].
    InvalidJson,
    /// [`ParseError::UnexpectedShape`].
    UnexpectedShape,
    /// [`ParseError::UnknownEvent`].
    UnknownEvent,
    /// [`ParseError::InvalidPayload`] for one event kind.
    InvalidPayload(EventKind),
}

impl fmt::Display for MalformedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson => f.write_str("invalid_json"),
            Self::UnexpectedShape => f.write_str("unexpected_shape"),
            Self::UnknownEvent => f.write_str("unknown_event"),
            Self::InvalidPayload(k) => write!(f, "invalid_payload:{k}"),
        }
    }
}

impl ParseError {
    /// The counter key of this error.
    #[must_use]
    pub const fn kind(&self) -> MalformedKind {
        match self {
            Self::InvalidJson(_) => MalformedKind::InvalidJson,
            Self::UnexpectedShape(_) => MalformedKind::UnexpectedShape,
            Self::UnknownEvent(_) => MalformedKind::UnknownEvent,
            Self::InvalidPayload { kind, .. } => MalformedKind::InvalidPayload(*kind),
        }
    }
}

/// Bad-message tallies by kind, in a stable order for metrics export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MalformedCounter {
    counts: BTreeMap<MalformedKind, u64>,
}

impl MalformedCounter {
    /// An empty counter.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one error and returns its kind.
    pub fn record(&mut self, err: &ParseError) -> MalformedKind {
        let kind = err.kind();
        *self.counts.entry(kind).or_insert(0) += 1;
        kind
    }

    /// Parses a frame, counting it when it is bad.
    ///
    /// # Errors
    /// The [`ParseError`] of [`parse_ws_message`], after counting it.
    pub fn parse(&mut self, bytes: &[u8]) -> Result<WsMessage, ParseError> {
        parse_ws_message(bytes).inspect_err(|e| {
            self.record(e);
        })
    }

    /// Count for one kind.
    #[must_use]
    pub fn count(&self, kind: MalformedKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// Count over all kinds.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Every non-zero count, in kind order.
    pub fn iter(&self) -> impl Iterator<Item = (MalformedKind, u64)> + '_ {
        self.counts.iter().map(|(k, v)| (*k, *v))
    }
}

fn typed<T: DeserializeOwned>(kind: EventKind, v: Value) -> Result<T, ParseError> {
    serde_json::from_value(v).map_err(|e| ParseError::InvalidPayload {
        kind,
        reason: e.to_string(),
    })
}

fn event(e: &str, v: Value) -> Result<WsBody, ParseError> {
    let kind = EventKind::from_event_type(e).ok_or_else(|| {
        // Bound what we keep from hostile input.
        ParseError::UnknownEvent(e.chars().take(64).collect())
    })?;
    use EventKind as K;
    Ok(match kind {
        K::AggTrade => WsBody::Market(MarketEvent::AggTrade(typed::<AggTrade>(kind, v)?)),
        K::Kline => WsBody::Market(MarketEvent::Kline(typed::<KlineEvent>(kind, v)?)),
        K::BookTicker => WsBody::Market(MarketEvent::BookTicker(typed::<BookTicker>(kind, v)?)),
        K::Ticker => WsBody::Market(MarketEvent::Ticker(typed::<Ticker24h>(kind, v)?)),
        K::MiniTicker => WsBody::Market(MarketEvent::MiniTicker(typed::<MiniTicker24h>(kind, v)?)),
        K::MarkPrice => WsBody::Market(MarketEvent::MarkPrice(typed::<MarkPriceUpdate>(kind, v)?)),
        K::Depth => WsBody::Market(MarketEvent::Depth(typed::<DepthUpdate>(kind, v)?)),
        K::OrderTradeUpdate => WsBody::user(UserEvent::OrderTradeUpdate(
            typed::<OrderTradeUpdate>(kind, v)?,
        )),
        K::AlgoUpdate => WsBody::user(UserEvent::AlgoUpdate(typed::<AlgoUpdate>(kind, v)?)),
        K::AccountUpdate => {
            WsBody::user(UserEvent::AccountUpdate(typed::<AccountUpdate>(kind, v)?))
        }
        K::MarginCall => WsBody::user(UserEvent::MarginCall(typed::<MarginCall>(kind, v)?)),
        K::TradeLite => WsBody::user(UserEvent::TradeLite(typed::<TradeLite>(kind, v)?)),
        K::AccountConfigUpdate => WsBody::user(UserEvent::AccountConfigUpdate(typed::<
            AccountConfigUpdate,
        >(kind, v)?)),
        K::ListenKeyExpired => WsBody::user(UserEvent::ListenKeyExpired(
            typed::<ListenKeyExpired>(kind, v)?,
        )),
        K::ControlReply | K::ControlError => {
            return Err(ParseError::UnexpectedShape(
                "control message with an event type",
            ));
        }
    })
}

fn array(items: Vec<Value>) -> Result<WsBody, ParseError> {
    let e = match items.first() {
        None => return Err(ParseError::UnexpectedShape("empty array")),
        Some(Value::Object(first)) => match first.get("e") {
            Some(Value::String(e)) => e.clone(),
            _ => {
                return Err(ParseError::UnexpectedShape(
                    "array element without event type",
                ));
            }
        },
        Some(_) => return Err(ParseError::UnexpectedShape("array of non-objects")),
    };
    let v = Value::Array(items);
    match EventKind::from_event_type(&e) {
        Some(kind @ EventKind::MarkPrice) => {
            Ok(WsBody::Market(MarketEvent::MarkPrices(typed(kind, v)?)))
        }
        Some(kind @ EventKind::Ticker) => Ok(WsBody::Market(MarketEvent::Tickers(typed(kind, v)?))),
        Some(kind @ EventKind::MiniTicker) => {
            Ok(WsBody::Market(MarketEvent::MiniTickers(typed(kind, v)?)))
        }
        Some(_) => Err(ParseError::UnexpectedShape(
            "array of a non-array event type",
        )),
        None => Err(ParseError::UnknownEvent(e.chars().take(64).collect())),
    }
}

fn body(v: Value) -> Result<WsBody, ParseError> {
    match v {
        Value::Array(items) => array(items),
        Value::Object(map) => {
            if let Some(e) = map.get("e") {
                let Value::String(e) = e else {
                    return Err(ParseError::UnexpectedShape("event type is not a string"));
                };
                let e = e.clone();
                return event(&e, Value::Object(map));
            }
            if map.contains_key("result") && map.contains_key("id") {
                return Ok(WsBody::Reply(typed(
                    EventKind::ControlReply,
                    Value::Object(map),
                )?));
            }
            if map.contains_key("code") && map.contains_key("msg") {
                return Ok(WsBody::Error(typed(
                    EventKind::ControlError,
                    Value::Object(map),
                )?));
            }
            Err(ParseError::UnexpectedShape("object without event type"))
        }
        _ => Err(ParseError::UnexpectedShape("not an object or array")),
    }
}

/// The combined envelope, for the fast path: exactly `stream` and `data`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Combined<T> {
    stream: String,
    data: T,
}

/// The event type of a frame in the exact compact shape Binance sends,
/// `{"stream":"<name>","data":{"e":"<type>",…` or `{"e":"<type>",…`, when
/// `"e":` occurs once and nothing is escaped (so no other key can decode
/// to `e` and win in the general path); with whether it is combined.
fn sniff(bytes: &[u8]) -> Option<(&[u8], bool)> {
    const KEY: &[u8] = br#""e":"#;
    if bytes.contains(&b'\\') || bytes.windows(KEY.len()).filter(|w| *w == KEY).count() != 1 {
        return None;
    }
    let (rest, combined) = if let Some(r) = bytes.strip_prefix(br#"{"stream":""#) {
        let end = r.iter().position(|&b| b == b'"')?;
        (r[end..].strip_prefix(br#"","data":{"e":""#)?, true)
    } else {
        (bytes.strip_prefix(br#"{"e":""#)?, false)
    };
    let end = rest.iter().position(|&b| b == b'"')?;
    Some((&rest[..end], combined))
}

fn direct<T: DeserializeOwned>(bytes: &[u8], combined: bool) -> Option<(Option<String>, T)> {
    if combined {
        let c: Combined<T> = serde_json::from_slice(bytes).ok()?;
        Some((Some(c.stream), c.data))
    } else {
        Some((None, serde_json::from_slice(bytes).ok()?))
    }
}

/// The fast path (module doc): `None` hands the frame to the general one.
fn parse_hot(bytes: &[u8]) -> Option<WsMessage> {
    let (e, combined) = sniff(bytes)?;
    let (stream, event) = match e {
        b"kline" => direct(bytes, combined).map(|(s, v)| (s, MarketEvent::Kline(v)))?,
        b"bookTicker" => direct(bytes, combined).map(|(s, v)| (s, MarketEvent::BookTicker(v)))?,
        b"aggTrade" => direct(bytes, combined).map(|(s, v)| (s, MarketEvent::AggTrade(v)))?,
        b"markPriceUpdate" => {
            direct(bytes, combined).map(|(s, v)| (s, MarketEvent::MarkPrice(v)))?
        }
        b"depthUpdate" => direct(bytes, combined).map(|(s, v)| (s, MarketEvent::Depth(v)))?,
        _ => return None,
    };
    Some(WsMessage {
        stream,
        body: WsBody::Market(event),
    })
}

/// Parses one WebSocket text frame. Total: any input gives `Ok` or `Err`,
/// never a panic, and every `f64` in an `Ok` is finite.
///
/// # Errors
/// [`ParseError`] classifying why the frame was rejected.
pub fn parse_ws_message(bytes: &[u8]) -> Result<WsMessage, ParseError> {
    if let Some(m) = parse_hot(bytes) {
        return Ok(m);
    }
    parse_general(bytes)
}

/// The general path: every shape, every error classified.
fn parse_general(bytes: &[u8]) -> Result<WsMessage, ParseError> {
    // serde_json bounds nesting (128 levels), so hostile depth is an error.
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
    if let Value::Object(map) = &v
        && map.len() == 2
        && let (Some(Value::String(stream)), Some(_)) = (map.get("stream"), map.get("data"))
    {
        let stream = stream.clone();
        let Value::Object(mut map) = v else {
            return Err(ParseError::UnexpectedShape("envelope"));
        };
        let data = map.remove("data").unwrap_or(Value::Null);
        return Ok(WsMessage {
            stream: Some(stream),
            body: body(data)?,
        });
    }
    Ok(WsMessage {
        stream: None,
        body: body(v)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_errors() {
        let mut c = MalformedCounter::new();
        assert!(c.parse(b"not json").is_err());
        assert!(c.parse(b"[]").is_err());
        assert!(c.parse(b"42").is_err());
        assert!(c.parse(br#"{"e":"forceOrder","E":1}"#).is_err());
        assert!(c.parse(br#"{"e":"kline","E":1}"#).is_err());
        assert!(
            c.parse(br#"{"e":"aggTrade","E":1,"s":"X","a":1,"p":"NaN","q":"1","f":1,"l":1,"T":1,"m":true}"#)
                .is_err()
        );
        assert_eq!(c.count(MalformedKind::InvalidJson), 1);
        assert_eq!(c.count(MalformedKind::UnexpectedShape), 2);
        assert_eq!(c.count(MalformedKind::UnknownEvent), 1);
        assert_eq!(c.count(MalformedKind::InvalidPayload(EventKind::Kline)), 1);
        assert_eq!(
            c.count(MalformedKind::InvalidPayload(EventKind::AggTrade)),
            1
        );
        assert_eq!(c.total(), 6);
    }

    mod hot_path {
        use super::super::{parse_general, parse_hot};
        use proptest::prelude::*;

        fn sample(name: &str) -> Vec<u8> {
            let path = format!(
                "{}/tests/data/binance/samples/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            compact(&std::fs::read(path).unwrap())
        }

        /// Whitespace outside strings removed, key order kept (as the
        /// venue sends frames; `Value` would sort the keys).
        fn compact(pretty: &[u8]) -> Vec<u8> {
            let mut out = Vec::with_capacity(pretty.len());
            let (mut in_str, mut escaped) = (false, false);
            for &b in pretty {
                if in_str {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_str = false;
                    }
                } else if b == b'"' {
                    in_str = true;
                } else if b.is_ascii_whitespace() {
                    continue;
                }
                out.push(b);
            }
            out
        }

        fn frames() -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            for name in [
                "ws_kline.json",
                "ws_bookTicker.json",
                "ws_aggTrade.json",
                "ws_markPrice.json",
                "ws_depth_diff.json",
                "ws_depth_partial.json",
            ] {
                let raw = sample(name);
                let mut c = br#"{"stream":"btcusdt@x","data":"#.to_vec();
                c.extend_from_slice(&raw);
                c.push(b'}');
                out.push(raw);
                out.push(c);
            }
            out.push(sample("ws_combined_kline.json"));
            out
        }

        #[test]
        fn samples_take_the_hot_path() {
            for f in frames() {
                let hot = parse_hot(&f);
                assert!(hot.is_some(), "{}", String::from_utf8_lossy(&f));
                assert_eq!(hot, parse_general(&f).ok());
            }
        }

        #[test]
        fn ambiguous_frames_take_the_general_path() {
            let k = r#""E":1,"s":"X","k":{"t":0,"T":59999,"s":"X","i":"1m","f":1,"L":2,"o":"1","c":"1","h":"1","l":"1","v":"1","n":1,"x":true,"q":"1","V":"1","Q":"1","B":"0"}"#;
            for f in [
                // A second `e` (the general path keeps the last one).
                format!(r#"{{"e":"kline",{k},"e":"bookTicker"}}"#),
                // An escaped key that decodes to `e`.
                format!(r#"{{"e":"kline",{k},"\u0065":"bookTicker"}}"#),
                // A third envelope key, and the envelope in another order.
                format!(r#"{{"stream":"x","data":{{"e":"kline",{k}}},"extra":1}}"#),
                format!(r#"{{"data":{{"e":"kline",{k}}},"stream":"x"}}"#),
            ] {
                assert_eq!(parse_hot(f.as_bytes()), None, "{f}");
            }
            let plain = format!(r#"{{"e":"kline",{k}}}"#);
            assert!(parse_hot(plain.as_bytes()).is_some());
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Wherever the hot path answers, the general path gives the
            /// same message.
            #[test]
            fn hot_path_agrees_with_the_general_path(
                pick in 0usize..13,
                edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b"\"e:,{}[]0123456789.-\\aEkxtrue ".to_vec())), 0..4),
            ) {
                let mut f = frames()[pick % frames().len()].clone();
                for (at, op, byte) in edits {
                    let i = at.index(f.len().max(1)).min(f.len());
                    match op {
                        0 if i < f.len() => f[i] = byte,
                        1 => f.insert(i, byte),
                        _ if i < f.len() => { f.remove(i); }
                        _ => {}
                    }
                }
                if let Some(hot) = parse_hot(&f) {
                    prop_assert_eq!(Some(hot), parse_general(&f).ok(), "{}", String::from_utf8_lossy(&f));
                }
            }
        }
    }

    #[test]
    fn unwraps_the_combined_envelope() {
        let m = parse_ws_message(br#"{"stream":"x@y","data":{"result":null,"id":7}}"#).unwrap();
        assert_eq!(m.stream.as_deref(), Some("x@y"));
        assert!(matches!(m.body, WsBody::Reply(_)));
    }
}

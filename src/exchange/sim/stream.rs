//! WebSocket market streams of the simulated exchange: the payloads it
//! pushes (PROTOCOL.md §2.5) and one connection's subscriptions and control
//! messages (§2.1, §2.3).
//!
//! Rules a connection follows:
//! 1. The route is fixed by the URL: book tickers and depth on `/public`,
//!    the rest on `/market`; a stream of the other route may be subscribed
//!    but pushes nothing (§2.1).
//! 2. `/ws/...` connections start with `combined = false`, `/stream?streams=`
//!    ones with `combined = true`; combined frames are wrapped as
//!    `{"stream":..,"data":..}`, and `SET_PROPERTY combined` switches it
//!    (§2.3).
//! 3. Control replies echo the request id as sent, number or string (§2.3,
//!    §11 item 7); errors use the small positive codes of §2.3.
//! 4. At most 1024 streams per connection (§2.2).

use super::market::{SimKline, fixed};
use crate::exchange::binance::Route;
use crate::market::Interval;
use crate::market::synthetic::{BookTicker, SyntheticTrade};
use serde_json::{Value, json};

/// Most streams one connection may carry (§2.2).
pub const MAX_STREAMS: usize = 1024;

/// One payload for one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// Lower-case stream name, e.g. `syn000usdt@kline_1m`.
    pub stream: String,
    /// The route that carries it.
    pub route: Route,
    /// The raw (unwrapped) JSON payload.
    pub json: String,
}

impl StreamEvent {
    /// An event for `stream`, its route derived from the name.
    #[must_use]
    pub fn new(stream: String, json: String) -> Self {
        let route = route_of(&stream);
        Self {
            stream,
            route,
            json,
        }
    }
}

/// The route that carries a stream name (§2.1 table).
#[must_use]
pub fn route_of(stream: &str) -> Route {
    if stream.ends_with("@bookTicker")
        || stream == "!bookTicker"
        || stream.contains("@depth")
        || stream.contains("@rpiDepth")
    {
        Route::Public
    } else {
        Route::Market
    }
}

/// `aggTrade` payload for one trade (§2.5).
#[must_use]
pub fn agg_trade_json(
    symbol: &str,
    agg_id: i64,
    trade_id: i64,
    t: &SyntheticTrade,
    price_decimals: usize,
    qty_decimals: usize,
) -> String {
    let q = fixed(t.qty, qty_decimals);
    json!({
        "e": "aggTrade", "E": t.time, "s": symbol, "a": agg_id,
        "p": fixed(t.price, price_decimals), "q": q, "nq": q,
        "f": trade_id, "l": trade_id, "T": t.time, "m": t.buyer_is_maker,
    })
    .to_string()
}

/// `bookTicker` payload (§2.5).
#[must_use]
pub fn book_ticker_json(
    symbol: &str,
    update_id: i64,
    time: i64,
    b: &BookTicker,
    price_decimals: usize,
    qty_decimals: usize,
) -> String {
    json!({
        "e": "bookTicker", "u": update_id, "E": time, "T": time, "s": symbol,
        "b": fixed(b.bid, price_decimals), "B": fixed(b.bid_qty, qty_decimals),
        "a": fixed(b.ask, price_decimals), "A": fixed(b.ask_qty, qty_decimals),
    })
    .to_string()
}

/// `kline` payload (§2.5); `closed` is the `x` flag.
#[must_use]
pub fn kline_json(
    symbol: &str,
    interval: Interval,
    k: &SimKline,
    closed: bool,
    event_time: i64,
    price_decimals: usize,
    qty_decimals: usize,
) -> String {
    let c = &k.candle;
    json!({
        "e": "kline", "E": event_time, "s": symbol,
        "k": {
            "t": c.open_time, "T": k.close_time, "s": symbol, "i": interval.as_str(),
            "f": k.first_trade_id, "L": k.last_trade_id,
            "o": fixed(c.open, price_decimals), "c": fixed(c.close, price_decimals),
            "h": fixed(c.high, price_decimals), "l": fixed(c.low, price_decimals),
            "v": fixed(c.volume, qty_decimals), "n": c.trades, "x": closed,
            "q": fixed(c.quote_volume, 4), "V": fixed(c.taker_buy_volume, qty_decimals),
            "Q": fixed(c.taker_buy_quote_volume, 4), "B": "0",
        }
    })
    .to_string()
}

/// One WebSocket connection's subscriptions and properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSession {
    route: Route,
    combined: bool,
    /// In subscription order, without duplicates.
    streams: Vec<String>,
}

impl StreamSession {
    /// A connection on `route` subscribed to `streams` from its URL
    /// (rule 2 sets `combined`). Names beyond [`MAX_STREAMS`] are dropped.
    #[must_use]
    pub fn new(route: Route, combined: bool, streams: &[&str]) -> Self {
        let mut s = Self {
            route,
            combined,
            streams: Vec::new(),
        };
        for name in streams.iter().filter(|n| !n.is_empty()) {
            s.add(name);
        }
        s
    }

    fn add(&mut self, name: &str) -> bool {
        if self.streams.iter().any(|s| s == name) {
            return true;
        }
        if self.streams.len() >= MAX_STREAMS {
            return false;
        }
        self.streams.push(name.to_string());
        true
    }

    /// Current subscriptions, in subscription order.
    #[must_use]
    pub fn streams(&self) -> &[String] {
        &self.streams
    }

    /// Whether frames are wrapped in the combined envelope.
    #[must_use]
    pub fn combined(&self) -> bool {
        self.combined
    }

    /// The text frame for `ev` on this connection, or `None` when not
    /// subscribed or on the other route (rule 1).
    #[must_use]
    pub fn frame_for(&self, ev: &StreamEvent) -> Option<String> {
        if ev.route != self.route || !self.streams.contains(&ev.stream) {
            return None;
        }
        Some(if self.combined {
            format!("{{\"stream\":\"{}\",\"data\":{}}}", ev.stream, ev.json)
        } else {
            ev.json.clone()
        })
    }

    /// Handles one control text frame and returns the reply frame (§2.3).
    pub fn handle_control(&mut self, text: &str) -> String {
        match self.control(text) {
            Ok((result, id)) => json!({ "result": result, "id": id }).to_string(),
            Err((code, msg, id)) => match id {
                Some(id) => json!({ "code": code, "msg": msg, "id": id }).to_string(),
                None => json!({ "code": code, "msg": msg }).to_string(),
            },
        }
    }

    #[allow(
        clippy::type_complexity,
        reason = "the error tuple is local to this parser"
    )]
    fn control(&mut self, text: &str) -> Result<(Value, Value), (i64, String, Option<Value>)> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            (
                3,
                format!(
                    "Invalid JSON: expected value at line {} column {}",
                    e.line(),
                    e.column()
                ),
                None,
            )
        })?;
        let invalid = |msg: &str, id: Option<Value>| (2, format!("Invalid request: {msg}"), id);
        let Some(obj) = v.as_object() else {
            return Err(invalid("expected an object", None));
        };
        let id = match obj.get("id") {
            Some(id @ Value::String(_)) => id.clone(),
            Some(id @ Value::Number(n)) if n.is_u64() => id.clone(),
            _ => {
                return Err(invalid("request ID must be an unsigned integer", None));
            }
        };
        let Some(method) = obj.get("method").and_then(Value::as_str) else {
            return Err(invalid("missing field `method`", Some(id)));
        };
        let params = match obj.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(invalid("params must be an array", Some(id))),
        };
        let names = |params: &[Value]| -> Option<Vec<String>> {
            params
                .iter()
                .map(|p| p.as_str().map(str::to_string))
                .collect()
        };
        match method {
            "SUBSCRIBE" => {
                let Some(list) = names(&params) else {
                    return Err(invalid("stream names must be strings", Some(id)));
                };
                if self.streams.len() + list.len() > MAX_STREAMS
                    && !list.iter().all(|n| self.streams.contains(n))
                {
                    return Err(invalid("too many streams", Some(id)));
                }
                for n in &list {
                    self.add(n);
                }
                Ok((Value::Null, id))
            }
            "UNSUBSCRIBE" => {
                let Some(list) = names(&params) else {
                    return Err(invalid("stream names must be strings", Some(id)));
                };
                self.streams.retain(|s| !list.contains(s));
                Ok((Value::Null, id))
            }
            "LIST_SUBSCRIPTIONS" => {
                if !params.is_empty() {
                    return Err(invalid("too many parameters", Some(id)));
                }
                Ok((json!(self.streams), id))
            }
            "SET_PROPERTY" | "GET_PROPERTY" => {
                match params.first() {
                    Some(Value::String(p)) if p == "combined" => {}
                    Some(Value::String(_)) => {
                        return Err((0, "Unknown property".into(), Some(id)));
                    }
                    _ => {
                        return Err(invalid("property name must be a string", Some(id)));
                    }
                }
                if method == "GET_PROPERTY" {
                    if params.len() > 1 {
                        return Err(invalid("too many parameters", Some(id)));
                    }
                    return Ok((Value::Bool(self.combined), id));
                }
                match params.get(1) {
                    Some(Value::Bool(b)) if params.len() == 2 => {
                        self.combined = *b;
                        Ok((Value::Null, id))
                    }
                    Some(Value::Bool(_)) => Err(invalid("too many parameters", Some(id))),
                    _ => Err((1, "Invalid value type: expected Boolean".into(), Some(id))),
                }
            }
            other => Err(invalid(
                &format!(
                    "unknown variant {other}, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, \
                     `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"
                ),
                Some(id),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::binance::parse::{WsBody, parse_ws_message};
    use crate::exchange::binance::ws::ControlResult;

    #[test]
    fn subscribe_list_unsubscribe() {
        let mut s = StreamSession::new(Route::Market, true, &["a@kline_1m"]);
        assert_eq!(
            s.handle_control(r#"{"method":"SUBSCRIBE","params":["b@aggTrade"],"id":1}"#),
            r#"{"id":1,"result":null}"#
        );
        let reply = s.handle_control(r#"{"method":"LIST_SUBSCRIPTIONS","id":"x7"}"#);
        let msg = parse_ws_message(reply.as_bytes()).unwrap();
        let WsBody::Reply(r) = msg.body else {
            panic!("{reply}")
        };
        assert_eq!(
            r.result,
            ControlResult::Streams(vec!["a@kline_1m".into(), "b@aggTrade".into()])
        );
        s.handle_control(r#"{"method":"UNSUBSCRIBE","params":["a@kline_1m"],"id":2}"#);
        assert_eq!(s.streams(), ["b@aggTrade"]);
    }

    #[test]
    fn errors_use_the_documented_codes() {
        let mut s = StreamSession::new(Route::Market, false, &[]);
        let code = |r: String| serde_json::from_str::<Value>(&r).unwrap()["code"].as_i64();
        assert_eq!(code(s.handle_control("{nope")), Some(3));
        assert_eq!(code(s.handle_control(r#"{"method":"X","id":1}"#)), Some(2));
        assert_eq!(
            code(s.handle_control(r#"{"method":"SUBSCRIBE","params":[]}"#)),
            Some(2)
        );
        assert_eq!(
            code(s.handle_control(r#"{"method":"GET_PROPERTY","params":["foo"],"id":1}"#)),
            Some(0)
        );
        assert_eq!(
            code(s.handle_control(r#"{"method":"SET_PROPERTY","params":["combined",1],"id":1}"#)),
            Some(1)
        );
        s.handle_control(r#"{"method":"SET_PROPERTY","params":["combined",true],"id":1}"#);
        assert!(s.combined());
    }

    #[test]
    fn frames_respect_route_and_envelope() {
        let kline = StreamEvent::new("a@kline_1m".into(), "{}".into());
        let book = StreamEvent::new("a@bookTicker".into(), "{}".into());
        let s = StreamSession::new(Route::Market, true, &["a@kline_1m", "a@bookTicker"]);
        assert_eq!(
            s.frame_for(&kline).unwrap(),
            r#"{"stream":"a@kline_1m","data":{}}"#
        );
        assert_eq!(s.frame_for(&book), None);
        let p = StreamSession::new(Route::Public, false, &["a@bookTicker"]);
        assert_eq!(p.frame_for(&book).unwrap(), "{}");
    }
}

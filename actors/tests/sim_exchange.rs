//! End-to-end tests of `qtrade sim-exchange`: the real binary on a free
//! loopback port, spoken to with reqwest and tokio-tungstenite, every
//! answer parsed back with the core's Binance types (client/simulator
//! parity).

mod sim_support;

use futures_util::SinkExt;
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::rest::{
    BookTickerSnapshot, DepthSnapshot, ExchangeInfo, PremiumIndex, RestKline, ServerTime,
    Ticker24hStats,
};
use quantumtrade::exchange::binance::ws::{ControlResult, MarketEvent, RequestId};
use quantumtrade::exchange::binance::{ApiError, ErrorCode};
use sim_support::{Sim, Ws};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Longest wait for any one expected event.
const WAIT: Duration = Duration::from_secs(10);

fn used_weight(resp: &reqwest::Response) -> u32 {
    resp.headers()["x-mbx-used-weight-1m"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn assert_valid_candles(rows: &[RestKline], interval_ms: i64, server_time: i64) {
    for k in rows {
        assert_eq!(k.open_time % interval_ms, 0, "{k:?}");
        assert_eq!(k.close_time, k.open_time + interval_ms - 1, "{k:?}");
        assert!(k.close_time < server_time, "not closed: {k:?}");
        assert!(k.low > 0.0 && k.low <= k.open.min(k.close), "{k:?}");
        assert!(k.high >= k.open.max(k.close), "{k:?}");
        assert!(k.volume >= k.taker_buy_volume && k.trades > 0, "{k:?}");
    }
    assert!(
        rows.windows(2)
            .all(|w| w[1].open_time == w[0].open_time + interval_ms),
        "not consecutive"
    );
}

#[tokio::test]
async fn market_data_parses_with_the_client_types() {
    let sim = Sim::start("");
    let _: serde_json::Value = sim.get_json("/fapi/v1/ping").await;
    let time: ServerTime = sim.get_json("/fapi/v1/time").await;
    let info: ExchangeInfo = sim.get_json("/fapi/v1/exchangeInfo").await;
    assert_eq!(info.symbols.len(), 5);
    assert!(info.rate_limits.iter().any(|r| r.limit == 2400));
    for s in &info.symbols {
        s.rules().unwrap();
    }
    let sym = info.symbols[0].symbol.as_str().to_string();

    // Most recent, then from startTime, then a closed range, then up to endTime.
    let recent: Vec<RestKline> = sim
        .get_json(&format!(
            "/fapi/v1/klines?symbol={sym}&interval=1m&limit=10"
        ))
        .await;
    assert_eq!(recent.len(), 10);
    assert_valid_candles(&recent, 60_000, time.server_time + 60_000);
    let t2 = recent[2].open_time;
    let from: Vec<RestKline> = sim
        .get_json(&format!(
            "/fapi/v1/klines?symbol={sym}&interval=1m&startTime={t2}&limit=3"
        ))
        .await;
    assert_eq!(from, recent[2..5]);
    let range: Vec<RestKline> = sim
        .get_json(&format!(
            "/fapi/v1/klines?symbol={sym}&interval=1m&startTime={t2}&endTime={}",
            t2 + 4 * 60_000
        ))
        .await;
    assert_eq!(range, recent[2..7]);
    let upto: Vec<RestKline> = sim
        .get_json(&format!(
            "/fapi/v1/klines?symbol={sym}&interval=1m&endTime={}&limit=4",
            t2 + 30_000
        ))
        .await;
    assert_eq!(upto.last().unwrap().open_time, t2);
    assert_eq!(upto.len(), 4);
    let now: ServerTime = sim.get_json("/fapi/v1/time").await;
    let fives: Vec<RestKline> = sim
        .get_json(&format!(
            "/fapi/v1/klines?symbol={sym}&interval=5m&limit=40"
        ))
        .await;
    assert_eq!(fives.len(), 40);
    assert_valid_candles(&fives, 300_000, now.server_time + 60_000);
    let hours: Vec<RestKline> = sim
        .get_json(&format!(
            "/fapi/v1/klines?symbol={sym}&interval=1h&limit=1500"
        ))
        .await;
    assert!(hours.len() >= 4);
    assert_valid_candles(&hours, 3_600_000, now.server_time + 60_000);

    let one: Ticker24hStats = sim
        .get_json(&format!("/fapi/v1/ticker/24hr?symbol={sym}"))
        .await;
    assert_eq!(one.symbol.as_str(), sym);
    assert!(one.quote_volume > 0.0 && one.high_price >= one.low_price);
    let all: Vec<Ticker24hStats> = sim.get_json("/fapi/v1/ticker/24hr").await;
    assert_eq!(all.len(), 5);
    let book: BookTickerSnapshot = sim
        .get_json(&format!("/fapi/v1/ticker/bookTicker?symbol={sym}"))
        .await;
    assert!(book.bid_price < book.ask_price);
    let books: Vec<BookTickerSnapshot> = sim.get_json("/fapi/v1/ticker/bookTicker").await;
    assert_eq!(books.len(), 5);
    let depth: DepthSnapshot = sim
        .get_json(&format!("/fapi/v1/depth?symbol={sym}&limit=10"))
        .await;
    assert_eq!((depth.bids.len(), depth.asks.len()), (10, 10));
    assert!(depth.bids[0].price < depth.asks[0].price);
    let mark: PremiumIndex = sim
        .get_json(&format!("/fapi/v1/premiumIndex?symbol={sym}"))
        .await;
    assert!(mark.mark_price > 0.0 && mark.next_funding_time > mark.time);
    let marks: Vec<PremiumIndex> = sim.get_json("/fapi/v1/premiumIndex").await;
    assert_eq!(marks.len(), 5);
}

#[tokio::test]
async fn errors_weights_and_rate_limit() {
    let sim = Sim::start("weight_limit_per_minute = 60\n");
    let cases = [
        (
            "/fapi/v1/klines?symbol=NOPEUSDT&interval=1m",
            ErrorCode::BadSymbol,
        ),
        (
            "/fapi/v1/klines?symbol=SYN000USDT&interval=7m",
            ErrorCode::BadInterval,
        ),
        (
            "/fapi/v1/klines?interval=1m",
            ErrorCode::MandatoryParamMissing,
        ),
        ("/fapi/v1/ticker/24hr?symbol=nope", ErrorCode::BadSymbol),
    ];
    let mut last_weight = 0;
    for (path, code) in cases {
        let resp = sim.get(path).await;
        assert_eq!(resp.status(), 400, "{path}");
        let w = used_weight(&resp);
        assert!(
            w > last_weight,
            "weight did not grow: {w} after {last_weight}"
        );
        last_weight = w;
        let err = ApiError::from_body(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(err.code, code, "{path}");
    }
    // Unless the minute turned meanwhile, 40 more breaks the limit of 60.
    let resp = sim.get("/fapi/v1/ticker/24hr").await;
    if used_weight(&resp) > 60 {
        assert_eq!(resp.status(), 429);
        let retry: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry));
        let err = ApiError::from_body(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(err.code, ErrorCode::TooManyRequests);
    }
}

/// The next text frame, waiting at most [`WAIT`].
async fn next_text(ws: &mut Ws) -> String {
    sim_support::next_text(ws, WAIT).await
}

#[tokio::test]
async fn combined_kline_stream_and_live_subscribe() {
    let sim = Sim::start("");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/market/stream?streams=syn000usdt@kline_1m",
        sim.addr
    ))
    .await
    .unwrap();

    let mut closed = Vec::new();
    while closed.len() < 2 {
        let text = next_text(&mut ws).await;
        let msg = parse_ws_message(text.as_bytes()).unwrap();
        assert_eq!(msg.stream.as_deref(), Some("syn000usdt@kline_1m"));
        let WsBody::Market(MarketEvent::Kline(ev)) = msg.body else {
            panic!("not a kline: {text}");
        };
        assert_eq!(ev.symbol.as_str(), "SYN000USDT");
        if ev.kline.is_closed {
            assert_eq!(ev.kline.close_time, ev.kline.open_time + 59_999);
            closed.push(ev.kline.open_time);
        }
    }
    assert_eq!(closed[1], closed[0] + 60_000);

    ws.send(Message::text(
        r#"{"method":"SUBSCRIBE","params":["syn001usdt@aggTrade"],"id":1}"#,
    ))
    .await
    .unwrap();
    ws.send(Message::text(
        r#"{"method":"LIST_SUBSCRIPTIONS","id":"list"}"#,
    ))
    .await
    .unwrap();
    let mut replies = Vec::new();
    let mut agg_trades = 0;
    while replies.len() < 2 || agg_trades == 0 {
        let text = next_text(&mut ws).await;
        match parse_ws_message(text.as_bytes()).unwrap().body {
            WsBody::Reply(r) => replies.push(r),
            WsBody::Market(MarketEvent::AggTrade(t)) => {
                assert_eq!(t.symbol.as_str(), "SYN001USDT");
                agg_trades += 1;
            }
            WsBody::Market(MarketEvent::Kline(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(replies[0].id, RequestId::Number(1));
    assert_eq!(replies[0].result, ControlResult::Ack);
    assert_eq!(replies[1].id, RequestId::Text("list".into()));
    assert_eq!(
        replies[1].result,
        ControlResult::Streams(vec![
            "syn000usdt@kline_1m".into(),
            "syn001usdt@aggTrade".into()
        ])
    );
}

#[tokio::test]
async fn raw_public_book_ticker() {
    let sim = Sim::start("");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/public/ws/syn002usdt@bookTicker",
        sim.addr
    ))
    .await
    .unwrap();
    let text = next_text(&mut ws).await;
    let msg = parse_ws_message(text.as_bytes()).unwrap();
    assert_eq!(msg.stream, None);
    let WsBody::Market(MarketEvent::BookTicker(b)) = msg.body else {
        panic!("not a bookTicker: {text}");
    };
    assert_eq!(b.symbol.as_str(), "SYN002USDT");
    assert!(b.bid_price < b.ask_price);
}

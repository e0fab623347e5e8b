//! `qtrade sim-exchange --data tests/data/klines`: the real binary
//! replaying the shipped kline CSVs. REST klines are the CSV rows, the
//! kline stream closes the next CSV candle, and a MARKET order fills at the
//! replayed price.

mod sim_support;

use quantumtrade::exchange::binance::filters::{OrderKind, SymbolRules};
use quantumtrade::exchange::binance::order::{ClientOrderId, OrderStatus, Side};
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::request::{NewOrder, NewOrderType, ResponseType};
use quantumtrade::exchange::binance::rest::{ExchangeInfo, RestKline};
use quantumtrade::exchange::binance::ws::{KlineEvent, MarketEvent};
use quantumtrade::market::Candle;
use quantumtrade::market::kline_csv::read_klines_path;
use quantumtrade_actors::venue::binance::{Credentials, RestClient};
use sim_support::{Sim, Ws};
use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const SYMBOLS: [&str; 4] = ["ADAUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT"];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/klines")
}

fn csv(symbol: &str) -> Vec<Candle> {
    read_klines_path(&data_dir().join(format!("{symbol}-1m.csv"))).unwrap()
}

fn replay(config: &str, account: Option<(&str, &str)>) -> Sim {
    let dir = data_dir();
    let dir = dir.to_str().unwrap();
    let mut args = vec!["--data", dir];
    if let Some((key, secret)) = account {
        args.extend(["--api-key", key, "--api-secret", secret]);
    }
    Sim::launch(config, &args, &[], 1)
}

fn same(rest: &RestKline, c: &Candle) -> bool {
    rest.open_time == c.open_time
        && rest.close_time == c.open_time + 59_999
        && (rest.open, rest.high, rest.low, rest.close, rest.volume)
            == (c.open, c.high, c.low, c.close, c.volume)
}

/// The whole data as history (start at its end): every REST kline is the
/// CSV row, and the served contracts are the files.
#[tokio::test]
async fn rest_klines_are_the_csv_rows() {
    let end = csv("BTCUSDT").last().unwrap().open_time + 60_000;
    let sim = replay(&format!("replay_start_ms = {end}\n"), None);
    let info: ExchangeInfo = sim.get_json("/fapi/v1/exchangeInfo").await;
    let names: Vec<&str> = info.symbols.iter().map(|s| s.symbol.as_str()).collect();
    assert_eq!(names, SYMBOLS);
    for s in &info.symbols {
        let rules = s.rules().unwrap();
        // Every recorded price is on the derived tick grid.
        let tick = rules.price.tick_size.to_f64();
        for c in csv(s.symbol.as_str()) {
            let k = c.close / tick;
            assert!(
                (k - k.round()).abs() < 1e-6,
                "{} {}",
                s.symbol.as_str(),
                c.close
            );
        }
    }
    for symbol in SYMBOLS {
        let rows: Vec<RestKline> = sim
            .get_json(&format!(
                "/fapi/v1/klines?symbol={symbol}&interval=1m&limit=1500"
            ))
            .await;
        let want = csv(symbol);
        assert_eq!(rows.len(), want.len(), "{symbol}");
        for (r, c) in rows.iter().zip(&want) {
            assert!(same(r, c), "{symbol}: {r:?} vs {c:?}");
        }
    }
}

/// At 600x from an hour into the data, the stream closes the CSV's next
/// candles in order, after the last one REST already served.
#[tokio::test]
async fn kline_stream_closes_the_next_csv_candles() {
    let sim = replay("replay_speed = 600.0\nreplay_warmup_minutes = 60\n", None);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/market/stream?streams=ethusdt@kline_1m",
        sim.addr
    ))
    .await
    .unwrap();
    let before: Vec<RestKline> = sim
        .get_json("/fapi/v1/klines?symbol=ETHUSDT&interval=1m&limit=1500")
        .await;
    let want = csv("ETHUSDT");
    assert!(
        before.len() >= 60 && before.len() < want.len(),
        "{}",
        before.len()
    );
    let mut closed = Vec::new();
    while closed.len() < 3 {
        let ev = next_kline(&mut ws).await;
        if ev.kline.is_closed {
            closed.push(ev.kline);
        }
    }
    assert!(closed[0].open_time > before.last().unwrap().open_time);
    for (k, pair) in closed.windows(2).enumerate() {
        assert_eq!(pair[1].open_time, pair[0].open_time + 60_000, "{k}");
    }
    for k in &closed {
        let c = want
            .iter()
            .find(|c| c.open_time == k.open_time)
            .expect("a CSV row");
        assert_eq!(
            (k.open, k.high, k.low, k.close, k.volume),
            (c.open, c.high, c.low, c.close, c.volume)
        );
    }
}

/// The next kline event on a kline stream (panics on any other text).
async fn next_kline(ws: &mut Ws) -> KlineEvent {
    let text = sim_support::next_text(ws, WAIT).await;
    let WsBody::Market(MarketEvent::Kline(ev)) = parse_ws_message(text.as_bytes()).unwrap().body
    else {
        panic!("not a kline: {text}");
    };
    ev
}

/// A signed client of the replaying simulator `sim` and BTCUSDT's rules
/// as its exchangeInfo lists them.
async fn btc_trader(sim: &Sim, key: &str, secret: &str) -> (RestClient, SymbolRules) {
    let signed =
        RestClient::new(&sim.http(), Some(Credentials::new(key, secret).unwrap())).unwrap();
    let info = signed.exchange_info().await.unwrap();
    let rules = info
        .symbols
        .iter()
        .find(|s| s.symbol.as_str() == "BTCUSDT")
        .unwrap()
        .rules()
        .unwrap();
    (signed, rules)
}

/// Sends a BTCUSDT MARKET order of 0.01 (rounded to the step) and returns
/// its average fill price; asserts it filled.
async fn market_fill(signed: &RestClient, rules: &SymbolRules, side: Side, id: &str) -> f64 {
    let order = NewOrder {
        symbol: "BTCUSDT".into(),
        side,
        position_side: None,
        order_type: NewOrderType::Market,
        quantity: rules.round_qty(0.01, OrderKind::Market).unwrap(),
        reduce_only: false,
        client_order_id: ClientOrderId::new(id).unwrap(),
        response_type: ResponseType::Result,
    };
    let filled = signed.new_order(&order).await.unwrap();
    assert_eq!(filled.status, OrderStatus::Filled);
    filled.avg_price.expect("an average price").to_f64()
}

/// With the replay at its end, no spread and no slippage, a MARKET SELL
/// fills at the last recorded close.
#[tokio::test]
async fn a_market_order_fills_at_the_replayed_price() {
    let (key, secret) = ("k".repeat(64), "s".repeat(64));
    let last = *csv("BTCUSDT").last().unwrap();
    let end = last.open_time + 60_000;
    let sim = replay(
        &format!("replay_start_ms = {end}\nreplay_spread_bps = 0.0\nslippage_bps = 0.0\n"),
        Some((&key, &secret)),
    );
    let (signed, rules) = btc_trader(&sim, &key, &secret).await;
    let avg = market_fill(&signed, &rules, Side::Sell, "replay-market-1").await;
    assert!((avg - last.close).abs() < 1e-6, "{avg} vs {}", last.close);
}

/// Latency: the simulator holds a MARKET order 1.1 s of wall time (66 s
/// of market time at 60x) before it fills; sent right after a minute
/// closes, it fills at the touch the *next* close left, and the
/// backtest's venue with `latency_ms = 66000` fills it at that same
/// price, not at the decision minute's touch.
#[tokio::test]
async fn a_slow_market_order_fills_where_the_backtest_venue_fills_it() {
    use quantumtrade::market::Symbol;
    use quantumtrade::risk::sizing::PositionSide;
    use quantumtrade::trading::event::{OrderRequest, TradeEvent};
    use quantumtrade::trading::paper_venue::{FillModel, PaperVenue};
    use std::collections::BTreeMap;

    let want = csv("BTCUSDT");
    let model = FillModel {
        fee_rate: 0.0004,
        slippage_bps: 1.0,
        spread_bps: 2.0,
        latency_ms: 66_000,
    };
    let instant = FillModel {
        latency_ms: 0,
        ..model
    };
    // The tick the simulator derives for the data (checked below).
    let tick = 0.01;
    // A stretch where each close's touch differs from the next one's, so
    // a fill that ignored the latency would show.
    let moves = |i: usize| {
        (i..i + 8).all(|j| {
            let a = instant.market_price(PositionSide::Long, want[j].close, tick);
            let b = instant.market_price(PositionSide::Long, want[j + 1].close, tick);
            (a - b).abs() > tick / 2.0
        })
    };
    let start = (60..want.len() - 10)
        .find(|&i| moves(i))
        .expect("a moving stretch");
    let (key, secret) = ("k".repeat(64), "s".repeat(64));
    let sim = replay(
        &format!(
            "replay_speed = 60.0\nreplay_start_ms = {}\nreplay_spread_bps = 2.0\n\
             slippage_bps = 1.0\ntaker_fee_rate = 0.0004\nlatency_ms = 1100\n",
            want[start].open_time
        ),
        Some((&key, &secret)),
    );
    let (signed, rules) = btc_trader(&sim, &key, &secret).await;
    assert!((rules.price.tick_size.to_f64() - tick).abs() < 1e-12);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/market/stream?streams=btcusdt@kline_1m",
        sim.addr
    ))
    .await
    .unwrap();
    let decided = loop {
        let ev = next_kline(&mut ws).await;
        if ev.kline.is_closed {
            break ev.kline;
        }
    };
    let got = market_fill(&signed, &rules, Side::Buy, "replay-slow-1").await;

    let m = want
        .iter()
        .position(|c| c.open_time == decided.open_time)
        .expect("a CSV minute");
    assert!(
        (start..start + 8).contains(&m),
        "the first close heard ({m}) is in the stretch from {start}"
    );
    let s = Symbol::new("BTCUSDT").unwrap();
    let mut venue = PaperVenue::new(model);
    let entry = OrderRequest::entry(
        s.clone(),
        PositionSide::Long,
        rules.round_qty(0.01, OrderKind::Market).unwrap().to_f64(),
        want[m].close,
        want[m].close / 2.0,
        want[m].open_time,
    );
    venue.submit(&entry, Some(&rules)).unwrap();
    let mut backtest = None;
    for c in &want[m + 1..m + 3] {
        let ev = venue.on_candles(c.open_time, &BTreeMap::from([(s.clone(), *c)]));
        if let Some(TradeEvent::OrderFilled(f)) = ev.first() {
            backtest = Some(f.price);
            break;
        }
    }
    let backtest = backtest.expect("the backtest venue filled it");
    assert!(
        (got - backtest).abs() < 1e-9,
        "simulator {got} vs backtest {backtest}"
    );
    let unslowed = instant.market_price(PositionSide::Long, want[m].close, tick);
    assert!(
        (got - unslowed).abs() > tick / 2.0,
        "the latency moved the fill: {got} vs {unslowed} without it"
    );
}

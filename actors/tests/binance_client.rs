//! End-to-end tests of the Binance clients against the real
//! `qtrade sim-exchange` over loopback: every market REST route through
//! `RestClient`, 429 handling, klines on a combined stream, live
//! subscribe, and no lost or doubled closed candle while the simulator
//! keeps dropping the connection.

mod sim_support;

use quantumtrade::exchange::binance::ErrorCode;
use quantumtrade::exchange::binance::decimal::RoundingMode;
use quantumtrade::exchange::binance::filters::OrderKind;
use quantumtrade::exchange::binance::order::{ClientOrderId, OrderStatus, Side};
use quantumtrade::exchange::binance::request::{
    LimitTimeInForce, NewOrder, NewOrderType, OrderRef, ResponseType,
};
use quantumtrade::exchange::binance::stream_name::{KlineInterval, StreamName};
use quantumtrade::exchange::binance::ws::MarketEvent;
use quantumtrade_actors::venue::binance::market_stream::KlineSource;
use quantumtrade_actors::venue::binance::rest::RestError;
use quantumtrade_actors::venue::binance::{
    Credentials, MarketStream, MarketStreamConfig, RestClient, StreamCommand, StreamUpdate,
};
use sim_support::Sim;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

const M: i64 = 60_000;
/// Longest wait for any one expected update.
const WAIT: Duration = Duration::from_secs(20);

fn kline(symbol: &str) -> StreamName {
    StreamName::Kline(symbol.to_string(), KlineInterval::M1)
}

#[tokio::test]
async fn every_market_route_round_trips_through_the_client() {
    let sim = Sim::start("");
    let rest = RestClient::new(&sim.http(), None).unwrap();
    rest.ping().await.unwrap();
    let t = rest.server_time().await.unwrap();
    assert!(t.server_time > 1_700_000_000_000);
    rest.sync_time().await.unwrap();
    let info = rest.exchange_info().await.unwrap();
    assert_eq!(info.symbols.len(), 5);
    let sym = info.symbols[0].symbol.as_str().to_string();

    let rows = rest
        .klines(&sym, KlineInterval::M1, None, None, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    assert!(
        rows.windows(2)
            .all(|w| w[1].open_time == w[0].open_time + M)
    );
    let from = (rows[0].open_time - 60 * M).div_euclid(5 * M) * 5 * M;
    let page = rest
        .klines(&sym, KlineInterval::M5, Some(from), Some(from + 20 * M), 3)
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
    assert!(page.iter().all(|k| k.close_time == k.open_time + 5 * M - 1));

    assert_eq!(rest.ticker_24h(&sym).await.unwrap().symbol.as_str(), sym);
    assert_eq!(rest.tickers_24h().await.unwrap().len(), 5);
    let bt = rest.book_ticker(&sym).await.unwrap();
    assert!(bt.bid_price < bt.ask_price, "{bt:?}");
    assert_eq!(rest.book_tickers().await.unwrap().len(), 5);
    let depth = rest.depth(&sym, 10).await.unwrap();
    assert!(!depth.bids.is_empty() && !depth.asks.is_empty());
    assert_eq!(rest.premium_index(&sym).await.unwrap().symbol.as_str(), sym);
    assert_eq!(rest.premium_indexes().await.unwrap().len(), 5);

    // Binance error bodies come back typed.
    let e = rest
        .klines("NOPEUSDT", KlineInterval::M1, None, None, 5)
        .await
        .unwrap_err();
    assert_eq!(
        e.api_error().map(|a| a.code),
        Some(ErrorCode::BadSymbol),
        "{e}"
    );
    // Signed calls need credentials.
    assert!(matches!(
        rest.account().await,
        Err(RestError::NoCredentials { .. })
    ));
    assert_eq!(rest.stats().rate_limited.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn signed_account_calls_round_trip_through_the_simulated_account() {
    let (key, secret) = ("k".repeat(64), "s".repeat(64));
    let sim = Sim::start_with_account("", &key, &secret);
    let signed =
        RestClient::new(&sim.http(), Some(Credentials::new(&key, &secret).unwrap())).unwrap();
    let account = signed.account().await.unwrap();
    assert!(account.totals.total_wallet_balance > 0.0, "{account:?}");
    signed.position_risk().await.unwrap();
    assert!(!format!("{signed:?}").contains(&secret));
    // A resting LIMIT buy well below the market, then its cancel, on the
    // exchange's grids.
    let info = signed.exchange_info().await.unwrap();
    let sym = &info.symbols[0];
    let rules = sym.rules().unwrap();
    let mark = signed
        .premium_index(sym.symbol.as_str())
        .await
        .unwrap()
        .mark_price;
    let price = rules.round_price(mark * 0.9, RoundingMode::Down).unwrap();
    let min_notional = rules.min_notional.map_or(5.0, |d| d.to_f64());
    let qty = rules
        .round_qty(2.0 * min_notional / (mark * 0.9), OrderKind::Limit)
        .unwrap();
    let id = ClientOrderId::new("client-e2e-1").unwrap();
    let order = NewOrder {
        symbol: sym.symbol.as_str().to_string(),
        side: Side::Buy,
        position_side: None,
        order_type: NewOrderType::Limit {
            price,
            time_in_force: LimitTimeInForce::Gtc,
        },
        quantity: qty,
        reduce_only: false,
        client_order_id: id.clone(),
        response_type: ResponseType::Ack,
    };
    let placed = signed.new_order(&order).await.unwrap();
    assert_eq!(placed.client_order_id, id);
    assert_eq!(placed.status, OrderStatus::New);
    let cancelled = signed
        .cancel_order(sym.symbol.as_str(), &OrderRef::Client(id))
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    // A wrong secret is refused with a typed error.
    let wrong = RestClient::new(
        &sim.http(),
        Some(Credentials::new(&key, &"t".repeat(64)).unwrap()),
    )
    .unwrap();
    let e = wrong.account().await.unwrap_err();
    assert_eq!(
        e.api_error().map(|a| a.code),
        Some(ErrorCode::InvalidSignature),
        "{e}"
    );
}

#[tokio::test]
async fn a_burst_stops_at_the_first_429_and_resumes_after_retry_after() {
    // A limit the client does not know (it never loads exchangeInfo):
    // only the venue's 429 can stop it.
    let sim = Sim::start("weight_limit_per_minute = 60\n");
    let rest = RestClient::new(&sim.http(), None).unwrap();
    let sym = "SYN000USDT";
    // 24 requests of weight 5 = 120 against 60 per minute: at most 12 fit
    // a window, so the burst is answered 429 once (also when it straddles
    // a minute boundary: then the second window holds the 429), waits for
    // the next window, and the remaining ones fit it.
    for i in 0..24 {
        let d = rest.depth(sym, 100).await;
        assert!(d.is_ok(), "request {i}: {:?}", d.err());
    }
    let s = rest.stats();
    // Sequential requests: after the 429 nothing is sent until
    // Retry-After, so there is no second one, and never a ban.
    assert_eq!(s.rate_limited.load(Ordering::Relaxed), 1);
    assert_eq!(s.banned.load(Ordering::Relaxed), 0);
    assert_eq!(s.sent.load(Ordering::Relaxed), 25);
}

#[tokio::test]
async fn the_limiter_learns_the_venue_limits_and_waits_instead_of_429() {
    let sim = Sim::start("weight_limit_per_minute = 40\n");
    let rest = RestClient::new(&sim.http(), None).unwrap();
    let minute = || quantumtrade_actors::venue::wall_ms().div_euclid(M);
    let first_minute = minute();
    rest.exchange_info().await.unwrap();
    // 1 + 10 × 5 = 51 > 40: the limiter must wait for a new window.
    for _ in 0..10 {
        rest.depth("SYN001USDT", 100).await.unwrap();
    }
    let s = rest.stats();
    assert_eq!(s.rate_limited.load(Ordering::Relaxed), 0);
    // A burst that straddled a minute boundary may have fitted two windows.
    let straddled = minute() != first_minute && s.waits.load(Ordering::Relaxed) == 0;
    assert!(s.waits.load(Ordering::Relaxed) >= 1 || straddled);
}

/// Collects updates until `done` says so (or the wait for one runs out).
async fn collect(
    rx: &mut mpsc::Receiver<StreamUpdate>,
    mut done: impl FnMut(&[StreamUpdate]) -> bool,
) -> Vec<StreamUpdate> {
    let mut got = Vec::new();
    while !done(&got) {
        match timeout(WAIT, rx.recv()).await {
            Ok(Some(u)) => got.push(u),
            Ok(None) => panic!("stream ended"),
            Err(_) => panic!("no update for {WAIT:?}; got {} so far", got.len()),
        }
    }
    got
}

fn closed_of(got: &[StreamUpdate], symbol: &str) -> Vec<(i64, KlineSource)> {
    got.iter()
        .filter_map(|u| match u {
            StreamUpdate::ClosedKline {
                symbol: s,
                candle,
                source,
                ..
            } if s == symbol => Some((candle.open_time, *source)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn klines_arrive_on_a_combined_stream_and_live_subscribe_adds_one() {
    let sim = Sim::start("");
    let rest = RestClient::new(&sim.http(), None).unwrap();
    let config = MarketStreamConfig::new(&sim.ws(), vec![kline("SYN000USDT"), kline("SYN001USDT")]);
    let (cmd_tx, cmd_rx) = mpsc::channel(8);
    let (tx, mut rx) = mpsc::channel(1024);
    tokio::spawn(MarketStream::new(config, rest.clone()).run(cmd_rx, tx));
    let got = collect(&mut rx, |g| {
        closed_of(g, "SYN000USDT").len() >= 5 && closed_of(g, "SYN001USDT").len() >= 5
    })
    .await;
    assert!(matches!(got[0], StreamUpdate::Connected { connection: 1 }));
    for s in ["SYN000USDT", "SYN001USDT"] {
        let opens: Vec<i64> = closed_of(&got, s).iter().map(|x| x.0).collect();
        assert!(opens.windows(2).all(|w| w[1] == w[0] + M), "{s}: {opens:?}");
    }
    cmd_tx
        .send(StreamCommand::Subscribe(vec![kline("SYN002USDT")]))
        .await
        .unwrap();
    collect(&mut rx, |g| closed_of(g, "SYN002USDT").len() >= 3).await;

    // Book tickers live on /public: a second connection.
    let config =
        MarketStreamConfig::new(&sim.ws(), vec![StreamName::BookTicker("SYN000USDT".into())]);
    let (_cmd_tx2, cmd_rx2) = mpsc::channel(8);
    let (tx2, mut rx2) = mpsc::channel(1024);
    tokio::spawn(MarketStream::new(config, rest).run(cmd_rx2, tx2));
    collect(&mut rx2, |g| {
        g.iter()
            .any(|u| matches!(u, StreamUpdate::Market(MarketEvent::BookTicker(b)) if b.symbol.as_str() == "SYN000USDT"))
    })
    .await;
}

#[tokio::test]
async fn repeated_drops_lose_no_closed_candle_and_double_none() {
    // The simulator cuts every connection 1.5 s after it opens while ten
    // candles close per second per symbol.
    let sim = Sim::start("ws_drop_after_ms = 1500\n");
    let rest = RestClient::new(&sim.http(), None).unwrap();
    let symbols = ["SYN000USDT", "SYN001USDT", "SYN002USDT"];
    let mut config = MarketStreamConfig::new(&sim.ws(), symbols.iter().map(|s| kline(s)).collect());
    config.backoff.base_ms = 100;
    config.backoff.max_ms = 800;
    config.seed = 11;
    let (_cmd_tx, cmd_rx) = mpsc::channel(8);
    let (tx, mut rx) = mpsc::channel(4096);
    tokio::spawn(MarketStream::new(config, rest.clone()).run(cmd_rx, tx));
    // About 20 s of wall time: stop after the 12th connection.
    let got = collect(&mut rx, |g| {
        g.iter()
            .filter(|u| matches!(u, StreamUpdate::Connected { .. }))
            .count()
            >= 12
    })
    .await;
    let reconnects = got
        .iter()
        .filter(|u| matches!(u, StreamUpdate::Disconnected { .. }))
        .count();
    assert!(reconnects >= 11, "{reconnects} disconnects");
    let mut backfilled = 0;
    for s in symbols {
        let seen = closed_of(&got, s);
        let opens: Vec<i64> = seen.iter().map(|x| x.0).collect();
        assert!(opens.len() > 100, "{s}: only {} candles", opens.len());
        let bad: Vec<_> = opens.windows(2).filter(|w| w[1] != w[0] + M).collect();
        assert!(bad.is_empty(), "{s}: gap or duplicate at {bad:?}");
        let from_rest = seen.iter().filter(|x| x.1 == KlineSource::Backfill).count();
        eprintln!(
            "{s}: {} closed candles over {reconnects} reconnects, {from_rest} from backfill",
            opens.len()
        );
        backfilled += from_rest;
        // The candles are the venue's: compare with its REST record.
        let first = opens[0];
        let truth = rest
            .klines(s, KlineInterval::M1, Some(first), Some(first + 99 * M), 100)
            .await
            .unwrap();
        let ours: BTreeMap<i64, f64> = got
            .iter()
            .filter_map(|u| match u {
                StreamUpdate::ClosedKline { symbol, candle, .. } if symbol == s => {
                    Some((candle.open_time, candle.close))
                }
                _ => None,
            })
            .collect();
        for k in truth {
            assert_eq!(
                ours.get(&k.open_time),
                Some(&k.close),
                "{s} at {}",
                k.open_time
            );
        }
    }
    // The drops did open gaps, and backfill closed them.
    assert!(backfilled > 0, "no candle came from backfill");
}

#[tokio::test]
async fn connections_are_replaced_at_the_age_limit_without_losing_candles() {
    let sim = Sim::start("");
    let rest = RestClient::new(&sim.http(), None).unwrap();
    let mut config = MarketStreamConfig::new(&sim.ws(), vec![kline("SYN003USDT")]);
    // Stands in for the 23 h 30 min default (the venue cuts at 24 h).
    config.max_connection_age = Duration::from_millis(1200);
    config.backoff.base_ms = 50;
    let (_cmd_tx, cmd_rx) = mpsc::channel(8);
    let (tx, mut rx) = mpsc::channel(4096);
    tokio::spawn(MarketStream::new(config, rest).run(cmd_rx, tx));
    let got = collect(&mut rx, |g| {
        g.iter()
            .filter(|u| matches!(u, StreamUpdate::Connected { .. }))
            .count()
            >= 4
    })
    .await;
    let aged = got
        .iter()
        .filter(|u| matches!(u, StreamUpdate::Disconnected { reason, .. } if reason == "connection age limit"))
        .count();
    assert_eq!(aged, 3);
    let opens: Vec<i64> = closed_of(&got, "SYN003USDT").iter().map(|x| x.0).collect();
    assert!(opens.len() > 20, "{}", opens.len());
    assert!(opens.windows(2).all(|w| w[1] == w[0] + M), "{opens:?}");
}

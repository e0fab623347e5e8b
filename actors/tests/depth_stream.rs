//! The depth client against the real `qtrade sim-exchange` binary over
//! loopback: the local book built from the diff stream and a REST snapshot
//! equals the simulator's REST depth at the same update id; a lost diff
//! (the `depth_gap` fault) breaks the `pu` chain, forces a resync, and the
//! book is right again; so after a dropped connection.

mod sim_support;

use quantumtrade::exchange::binance::depth_book::ResyncReason;
use quantumtrade_actors::venue::binance::RestClient;
use quantumtrade_actors::venue::binance::depth_stream::{
    DepthHandle, DepthStream, DepthStreamConfig, DepthStreamUpdate,
};
use sim_support::Sim;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

const TOKEN: &str = "depth-admin-token";
const SYMBOL: &str = "SYN001USDT";
/// Longest wait for any one expected update.
const WAIT: Duration = Duration::from_secs(20);

/// Five symbols at 120× (a book update every half second per symbol).
fn start() -> Sim {
    Sim::launch(
        "symbols = 5\nhistory_minutes = 240\nmax_history_minutes = 1680\nspeed = 120.0\n",
        &[],
        &[("QTRADE_SIM_ADMIN_TOKEN", TOKEN)],
        1,
    )
}

async fn admin(sim: &Sim, query: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/admin/faults{query}", sim.http()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn until(
    rx: &mut mpsc::Receiver<DepthStreamUpdate>,
    what: &str,
    pred: impl Fn(&DepthStreamUpdate) -> bool,
) -> DepthStreamUpdate {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
            .expect("stream ended");
        if pred(&u) {
            return u;
        }
    }
}

/// Compares the whole local book with `GET /fapi/v1/depth?limit=1000`
/// taken at the same update id (the two race the simulator's clock, so
/// it tries until they meet).
async fn assert_book_matches_rest(handle: &DepthHandle, rest: &RestClient) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let before = handle.top(10_000);
        let snap = rest.depth(SYMBOL, 1000).await.unwrap();
        let after = handle.top(10_000);
        if before.synced
            && before.connected
            && before == after
            && before.last_update_id == Some(snap.last_update_id)
        {
            let bids: Vec<_> = snap.bids.iter().map(|l| (l.price, l.qty)).collect();
            let asks: Vec<_> = snap.asks.iter().map(|l| (l.price, l.qty)).collect();
            assert!(!bids.is_empty() && !asks.is_empty());
            assert_eq!(before.bids, bids, "bids at {}", snap.last_update_id);
            assert_eq!(before.asks, asks, "asks at {}", snap.last_update_id);
            assert_eq!(handle.best_bid(), bids.first().copied());
            assert_eq!(handle.best_ask(), asks.first().copied());
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "book never met REST: local {:?}, rest {}",
            after.last_update_id,
            snap.last_update_id
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_local_book_follows_the_stream_and_resyncs_after_a_gap() {
    let sim = start();
    let rest = RestClient::new(&sim.http(), None).unwrap();
    let mut config = DepthStreamConfig::new(&sim.ws(), SYMBOL);
    config.seed = 3;
    // A fixed pause before reconnecting, so the disconnected book is seen.
    config.backoff = quantumtrade::node::backoff::BackoffConfig {
        base_ms: 1_500,
        max_ms: 1_500,
        reset_after_ms: 60_000,
        jitter: 0.0,
    };
    let stream = DepthStream::new(config, rest.clone());
    let handle = stream.handle();
    let (tx, mut rx) = mpsc::channel(1024);
    tokio::spawn(stream.run(tx));

    until(&mut rx, "the first sync", |u| {
        matches!(u, DepthStreamUpdate::Synced { .. })
    })
    .await;
    for _ in 0..3 {
        until(&mut rx, "an update", |u| {
            matches!(u, DepthStreamUpdate::Updated { .. })
        })
        .await;
    }
    assert_book_matches_rest(&handle, &rest).await;
    assert_eq!(handle.stats().resyncs.load(Ordering::Relaxed), 0);
    let (bid, ask) = (handle.best_bid().unwrap(), handle.best_ask().unwrap());
    assert!(bid.0 < ask.0, "crossed book {bid:?} {ask:?}");

    // One batch of diffs lost on the wire: the next one does not chain.
    admin(&sim, "?kind=depth_gap&count=1").await;
    let resync = until(&mut rx, "the resync", |u| {
        matches!(u, DepthStreamUpdate::Resync { .. })
    })
    .await;
    assert!(
        matches!(
            resync,
            DepthStreamUpdate::Resync {
                reason: ResyncReason::Gap { .. }
            }
        ),
        "{resync:?}"
    );
    until(&mut rx, "the resync's snapshot", |u| {
        matches!(u, DepthStreamUpdate::Synced { .. })
    })
    .await;
    until(&mut rx, "an update after the resync", |u| {
        matches!(u, DepthStreamUpdate::Updated { .. })
    })
    .await;
    assert!(handle.stats().resyncs.load(Ordering::Relaxed) >= 1);
    assert_book_matches_rest(&handle, &rest).await;

    // A dropped connection: reconnected, and the book is right again
    // (chained on, or resynced when diffs were missed meanwhile).
    admin(&sim, "?kind=drop_streams").await;
    until(&mut rx, "the disconnect", |u| {
        matches!(u, DepthStreamUpdate::Disconnected { connection: 1 })
    })
    .await;
    assert!(!handle.is_live() && !handle.top(5).connected);
    assert_eq!(handle.best_bid(), None, "a stale book is not offered");
    until(&mut rx, "the reconnect", |u| {
        matches!(u, DepthStreamUpdate::Connected { connection: 2 })
    })
    .await;
    until(&mut rx, "an update after the reconnect", |u| {
        matches!(u, DepthStreamUpdate::Updated { .. })
    })
    .await;
    assert_book_matches_rest(&handle, &rest).await;
    assert!(handle.is_live());
    assert_eq!(handle.stats().malformed.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn a_live_subscribe_turns_the_simulators_depth_diffs_on() {
    use futures_util::{SinkExt, StreamExt};
    use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
    use quantumtrade::exchange::binance::ws::MarketEvent;
    use tokio_tungstenite::tungstenite::Message;

    let sim = start();
    // A connection without depth streams: the simulator builds no diffs.
    let url = format!("{}/public/ws/syn000usdt@bookTicker", sim.ws());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let sub = r#"{"method":"SUBSCRIBE","params":["syn000usdt@depth@500ms"],"id":1}"#;
    ws.send(Message::text(sub)).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last_u = None;
    let mut chained = 0;
    while chained < 2 {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("no depth diff after SUBSCRIBE")
            .unwrap()
            .unwrap();
        let Message::Text(t) = frame else { continue };
        let Ok(msg) = parse_ws_message(t.as_bytes()) else {
            panic!("bad frame {t}")
        };
        if let WsBody::Market(MarketEvent::Depth(d)) = msg.body {
            assert_eq!(d.symbol.as_str(), "SYN000USDT");
            if let Some(u) = last_u {
                assert_eq!(d.prev_final_update_id, u, "pu chains on u");
                chained += 1;
            }
            last_u = Some(d.final_update_id);
        }
    }
}

//! The market stream client against a scripted WebSocket server: bad
//! frames are counted by kind in `qtrade_ws_bad_messages_total` and
//! dropped without disturbing the good ones, and a server ping is answered
//! with a pong carrying its payload (PROTOCOL.md §2.2).

use futures_util::{SinkExt, StreamExt};
use metrics_exporter_prometheus::PrometheusBuilder;
use quantumtrade::exchange::binance::stream_name::{KlineInterval, StreamName};
use quantumtrade_actors::venue::binance::{
    MarketStream, MarketStreamConfig, RestClient, StreamUpdate,
};
use serde_json::json;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const M: i64 = 60_000;
const T0: i64 = 1_767_312_000_000;

fn closed_kline(open: i64, closed: bool) -> String {
    json!({
        "stream": "btcusdt@kline_1m",
        "data": {
            "e": "kline", "E": open + M, "s": "BTCUSDT",
            "k": {
                "t": open, "T": open + M - 1, "s": "BTCUSDT", "i": "1m",
                "f": 1, "L": 2, "o": "1.0", "c": "1.5", "h": "2.0", "l": "0.5",
                "v": "10", "n": 2, "x": closed, "q": "15", "V": "5", "Q": "7.5", "B": "0"
            }
        }
    })
    .to_string()
}

#[tokio::test]
async fn bad_frames_are_counted_and_dropped_and_pings_answered() {
    let prom = PrometheusBuilder::new().install_recorder().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (pong_tx, pong_rx) = oneshot::channel::<Vec<u8>>();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let frames = [
            Message::text("{not json"),
            Message::text(r#"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1}}"#),
            Message::text(r#"{"e":"forceOrder","E":1}"#),
            Message::Ping(b"hb-42".to_vec().into()),
            Message::text(closed_kline(T0, true)),
            Message::text(closed_kline(T0 + M, false)),
            Message::text(closed_kline(T0 + M, true)),
        ];
        for f in frames {
            ws.send(f).await.unwrap();
        }
        let mut pong_tx = Some(pong_tx);
        while let Some(Ok(msg)) = ws.next().await {
            if let (Message::Pong(p), Some(tx)) = (msg, pong_tx.take()) {
                let _ = tx.send(p.to_vec());
            }
        }
    });
    // The REST side is never called: nothing is missing.
    let rest = RestClient::new("http://127.0.0.1:9", None).unwrap();
    let config = MarketStreamConfig::new(
        &format!("ws://{addr}"),
        vec![StreamName::Kline("BTCUSDT".into(), KlineInterval::M1)],
    );
    let (_cmd_tx, cmd_rx) = mpsc::channel(1);
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(MarketStream::new(config, rest).run(cmd_rx, tx));
    let mut closed = Vec::new();
    let mut forming = 0;
    while closed.len() < 2 {
        match timeout(Duration::from_secs(10), rx.recv()).await.unwrap() {
            Some(StreamUpdate::ClosedKline { candle, .. }) => closed.push(candle.open_time),
            Some(StreamUpdate::FormingKline { .. }) => forming += 1,
            Some(_) => {}
            None => panic!("stream ended"),
        }
    }
    assert_eq!(closed, [T0, T0 + M]);
    assert_eq!(forming, 1);
    let pong = timeout(Duration::from_secs(10), pong_rx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pong, b"hb-42");
    let text = prom.render();
    for kind in ["invalid_json", "invalid_payload:kline", "unknown_event"] {
        let line = format!("qtrade_ws_bad_messages_total{{kind=\"{kind}\"}} 1");
        assert!(text.contains(&line), "missing {line} in\n{text}");
    }
}

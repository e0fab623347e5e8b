//! The user data stream client against the real `qtrade sim-exchange`
//! binary over loopback: order and account updates of an order placed
//! through the REST client, listen key keepalive and renewal after expiry,
//! and a fill missed during a dropped connection reported once by the
//! reconciliation that follows the reconnect.

mod sim_support;

use quantumtrade::exchange::binance::filters::OrderKind;
use quantumtrade::exchange::binance::order::{
    ClientOrderId, ExecutionType, OrderId, OrderStatus, Side,
};
use quantumtrade::exchange::binance::request::{NewOrder, NewOrderType, ResponseType};
use quantumtrade::node::backoff::BackoffConfig;
use quantumtrade_actors::venue::binance::user_stream::{
    RenewReason, UserStream, UserStreamConfig, UserStreamStats, UserStreamUpdate,
};
use quantumtrade_actors::venue::binance::{Credentials, RestClient};
use sim_support::{SMALL_MARKET, Sim};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

const KEY: &str = "userStreamKey0123456789abcdef";
const SECRET: &str = "userStreamSecret0123456789abcdefgh";
const TOKEN: &str = "user-stream-admin-token";
/// Longest wait for any one expected update.
const WAIT: Duration = Duration::from_secs(20);

/// The binary with this file's account, the admin token and `extra`
/// config lines (the account adds two banner lines).
fn start(extra: &str) -> Sim {
    Sim::launch(
        &format!("{SMALL_MARKET}{extra}"),
        &["--api-key", KEY, "--api-secret", SECRET],
        &[("QTRADE_SIM_ADMIN_TOKEN", TOKEN)],
        3,
    )
}

fn rest(sim: &Sim) -> RestClient {
    RestClient::new(&sim.http(), Some(Credentials::new(KEY, SECRET).unwrap())).unwrap()
}

/// The updates of a running stream, every one kept for later checks.
struct Recorder {
    rx: mpsc::Receiver<UserStreamUpdate>,
    all: Vec<UserStreamUpdate>,
    stats: Arc<UserStreamStats>,
}

impl Recorder {
    fn spawn(config: UserStreamConfig, rest: RestClient) -> Self {
        let stream = UserStream::new(config, rest);
        let stats = stream.stats();
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(stream.run(tx));
        Self {
            rx,
            all: Vec::new(),
            stats,
        }
    }

    /// The first update from now on that `pred` accepts.
    async fn until(
        &mut self,
        what: &str,
        pred: impl Fn(&UserStreamUpdate) -> bool,
    ) -> UserStreamUpdate {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let u = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}; got {:#?}", self.all))
                .expect("stream ended");
            self.all.push(u.clone());
            if pred(&u) {
                return u;
            }
        }
    }

    /// Everything that arrives within `d`.
    async fn drain_for(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(u)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.all.push(u);
        }
    }

    /// Every fill delivered, from the stream or a reconciliation, as
    /// (order id, trade id); duplicates included.
    fn fills(&self) -> Vec<(OrderId, i64)> {
        let mut out = Vec::new();
        for u in &self.all {
            match u {
                UserStreamUpdate::Order(o) if o.order.execution_type == ExecutionType::Trade => {
                    out.push((o.order.order_id, o.order.trade_id));
                }
                UserStreamUpdate::Reconciled(r) => {
                    out.extend(r.missed_fills.iter().map(|t| (t.order_id, t.id)));
                }
                _ => {}
            }
        }
        out
    }
}

fn config(sim: &Sim, symbol: &str) -> UserStreamConfig {
    let mut c = UserStreamConfig::new(&sim.ws());
    c.seed = 5;
    c.symbols = vec![symbol.to_string()];
    c
}

/// Symbol 1 and a MARKET quantity worth about 150 USDT.
async fn terms(rest: &RestClient) -> (String, quantumtrade::exchange::binance::Quantity) {
    let info = rest.exchange_info().await.unwrap();
    let s = &info.symbols[1];
    let sym = s.symbol.as_str().to_string();
    let mark = rest.premium_index(&sym).await.unwrap();
    let qty = s
        .rules()
        .unwrap()
        .round_qty(150.0 / mark.mark_price, OrderKind::Market)
        .unwrap();
    (sym, qty)
}

async fn market(
    rest: &RestClient,
    symbol: &str,
    qty: quantumtrade::exchange::binance::Quantity,
    id: &str,
) -> OrderId {
    let order = NewOrder {
        symbol: symbol.to_string(),
        side: Side::Buy,
        position_side: None,
        order_type: NewOrderType::Market,
        quantity: qty,
        reduce_only: false,
        client_order_id: ClientOrderId::new(id).unwrap(),
        response_type: ResponseType::Result,
    };
    rest.new_order(&order).await.unwrap().order_id
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

fn is_reconciled(connection: u64) -> impl Fn(&UserStreamUpdate) -> bool {
    move |u| matches!(u, UserStreamUpdate::Reconciled(r) if r.connection == connection)
}

#[tokio::test]
async fn an_order_placed_over_rest_arrives_on_the_user_stream() {
    let sim = start("");
    let rest = rest(&sim);
    let (sym, qty) = terms(&rest).await;
    let mut rec = Recorder::spawn(config(&sim, &sym), rest.clone());
    let UserStreamUpdate::Reconciled(first) = rec.until("reconciliation", is_reconciled(1)).await
    else {
        unreachable!()
    };
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(first.missed_fills.is_empty() && first.open_orders.is_empty());
    assert!(first.balances.iter().any(|b| b.asset == "USDT"));

    let order_id = market(&rest, &sym, qty, "us-a-1").await;
    let filled = rec
        .until("the fill", |u| {
            matches!(u, UserStreamUpdate::Order(o)
                if o.order.order_id == order_id && o.order.status == OrderStatus::Filled)
        })
        .await;
    let UserStreamUpdate::Order(o) = filled else {
        unreachable!()
    };
    assert_eq!(o.order.client_order_id.as_str(), "us-a-1");
    assert_eq!(o.order.execution_type, ExecutionType::Trade);
    assert!((o.order.cum_filled_qty.to_f64() - qty.to_f64()).abs() < 1e-9);
    let account = rec
        .until("the account update", |u| {
            matches!(u, UserStreamUpdate::Account(a)
                if a.data.positions.iter().any(|p| p.symbol.as_str() == sym))
        })
        .await;
    let UserStreamUpdate::Account(a) = account else {
        unreachable!()
    };
    let p = a.data.positions.iter().find(|p| p.symbol.as_str() == sym);
    assert!((p.unwrap().position_amt.to_f64() - qty.to_f64()).abs() < 1e-9);
    assert!(a.data.balances.iter().any(|b| b.asset == "USDT"));
    assert_eq!(rec.stats.malformed.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn keepalives_hold_a_short_lived_key() {
    // Keys live 3 s here; keepalives every 300 ms must keep the first one.
    let sim = start("listen_key_validity_ms = 3000\n");
    let rest = rest(&sim);
    let (sym, _) = terms(&rest).await;
    let mut c = config(&sim, &sym);
    c.keepalive_every = Duration::from_millis(300);
    let mut rec = Recorder::spawn(c, rest);
    rec.until("reconciliation", is_reconciled(1)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while rec.stats.keepalives_ok.load(Ordering::Relaxed) < 15 {
        assert!(tokio::time::Instant::now() < deadline, "keepalives stalled");
        rec.drain_for(Duration::from_millis(100)).await;
    }
    assert_eq!(rec.stats.keepalives_failed.load(Ordering::Relaxed), 0);
    assert_eq!(
        rec.stats.renewals.load(Ordering::Relaxed),
        0,
        "{:#?}",
        rec.all
    );
    assert_eq!(rec.stats.connections.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn an_expired_key_is_renewed_and_events_continue() {
    // Keys live 4 s and the client's keepalive is far off: the key expires.
    let sim = start("listen_key_validity_ms = 4000\n");
    let rest = rest(&sim);
    let (sym, qty) = terms(&rest).await;
    let mut rec = Recorder::spawn(config(&sim, &sym), rest.clone());
    rec.until("reconciliation", is_reconciled(1)).await;
    rec.until("the renewal", |u| {
        matches!(
            u,
            UserStreamUpdate::ListenKeyRenewed {
                reason: RenewReason::Expired
            }
        )
    })
    .await;
    rec.until("the reconnect's reconciliation", is_reconciled(2))
        .await;
    let order_id = market(&rest, &sym, qty, "us-b-1").await;
    // The fill comes on the new key; should that key lapse first, the next
    // reconciliation reports it instead. Either way exactly once.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !rec.fills().iter().any(|(o, _)| *o == order_id) {
        assert!(tokio::time::Instant::now() < deadline, "{:#?}", rec.all);
        rec.drain_for(Duration::from_millis(100)).await;
    }
    rec.drain_for(Duration::from_millis(500)).await;
    let fills = rec.fills();
    let unique: BTreeSet<_> = fills.iter().collect();
    assert_eq!(unique.len(), fills.len(), "a fill delivered twice");
    assert!(rec.stats.renewals.load(Ordering::Relaxed) >= 1);
}

#[tokio::test]
async fn a_fill_missed_while_disconnected_is_reconciled_once() {
    let sim = start("");
    let rest = rest(&sim);
    let (sym, qty) = terms(&rest).await;
    let mut c = config(&sim, &sym);
    // A long, fixed pause before reconnecting: the second order fills
    // while no connection is open.
    c.backoff = BackoffConfig {
        base_ms: 3_000,
        max_ms: 3_000,
        reset_after_ms: 60_000,
        jitter: 0.0,
    };
    let mut rec = Recorder::spawn(c, rest.clone());
    rec.until("reconciliation", is_reconciled(1)).await;
    let seen = market(&rest, &sym, qty, "us-c-1").await;
    rec.until("the first fill", |u| {
        matches!(u, UserStreamUpdate::Order(o)
            if o.order.order_id == seen && o.order.status == OrderStatus::Filled)
    })
    .await;

    admin(&sim, "?kind=drop_streams").await;
    rec.until("the disconnect", |u| {
        matches!(u, UserStreamUpdate::Disconnected { connection: 1, .. })
    })
    .await;
    let missed = market(&rest, &sym, qty, "us-c-2").await;
    let UserStreamUpdate::Reconciled(r) = rec
        .until("the reconnect's reconciliation", is_reconciled(2))
        .await
    else {
        unreachable!()
    };
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.since_ms.is_some());
    let orders: BTreeSet<OrderId> = r.missed_fills.iter().map(|t| t.order_id).collect();
    assert_eq!(orders, BTreeSet::from([missed]), "{:#?}", r.missed_fills);
    let missed_qty: f64 = r.missed_fills.iter().map(|t| t.qty.to_f64()).sum();
    assert!((missed_qty - qty.to_f64()).abs() < 1e-9);
    assert!(r.positions.iter().any(|p| p.symbol.as_str() == sym));

    // Nothing arrives twice, and the stream keeps delivering.
    let third = market(&rest, &sym, qty, "us-c-3").await;
    rec.until("the third fill", |u| {
        matches!(u, UserStreamUpdate::Order(o)
            if o.order.order_id == third && o.order.status == OrderStatus::Filled)
    })
    .await;
    rec.drain_for(Duration::from_millis(500)).await;
    let fills = rec.fills();
    let unique: BTreeSet<_> = fills.iter().collect();
    assert_eq!(
        unique.len(),
        fills.len(),
        "a fill delivered twice: {fills:?}"
    );
    let orders: BTreeSet<OrderId> = fills.iter().map(|(o, _)| *o).collect();
    assert_eq!(orders, BTreeSet::from([seen, missed, third]));
    let streamed_missed = rec.all.iter().any(|u| {
        matches!(u, UserStreamUpdate::Order(o)
            if o.order.order_id == missed && o.order.execution_type == ExecutionType::Trade)
    });
    assert!(!streamed_missed, "the missed fill came on the stream too");
}

/// A recorded sample from `tests/data/binance/samples`.
fn sample(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/binance/samples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A loopback venue whose REST side answers the listen key and empty
/// reconciliation queries, and whose WebSocket sends `frames` then idles.
async fn loopback_venue(frames: Vec<String>) -> (String, String) {
    use axum::response::IntoResponse;
    async fn rest(req: axum::extract::Request) -> axum::response::Response {
        match req.uri().path() {
            "/fapi/v1/listenKey" => r#"{"listenKey":"loopbackKey"}"#.into_response(),
            "/fapi/v1/openOrders"
            | "/fapi/v3/positionRisk"
            | "/fapi/v3/balance"
            | "/fapi/v1/userTrades" => "[]".into_response(),
            _ => (axum::http::StatusCode::NOT_FOUND, "").into_response(),
        }
    }
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_addr = http.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(http, axum::Router::new().fallback(rest)).await;
    });
    let ws = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_addr = ws.local_addr().unwrap();
    tokio::spawn(async move {
        use futures_util::{SinkExt, StreamExt};
        while let Ok((tcp, _)) = ws.accept().await {
            let frames = frames.clone();
            tokio::spawn(async move {
                let Ok(mut conn) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                for f in frames {
                    let msg = tokio_tungstenite::tungstenite::Message::text(f);
                    if conn.send(msg).await.is_err() {
                        return;
                    }
                }
                while let Some(Ok(_)) = conn.next().await {}
            });
        }
    });
    (format!("http://{http_addr}"), format!("ws://{ws_addr}"))
}

#[tokio::test]
async fn bad_frames_are_counted_and_dropped_and_replays_suppressed() {
    let order = sample("user_ORDER_TRADE_UPDATE.json");
    let frames = vec![
        "not json at all".to_string(),
        r#"{"e":"ORDER_TRADE_UPDATE","E":1}"#.to_string(),
        order.clone(),
        order,
        sample("user_ACCOUNT_UPDATE.json"),
    ];
    let (http, ws) = loopback_venue(frames).await;
    let rest = RestClient::new(&http, Some(Credentials::new(KEY, SECRET).unwrap())).unwrap();
    let mut c = UserStreamConfig::new(&ws);
    c.seed = 9;
    let mut rec = Recorder::spawn(c, rest);
    let UserStreamUpdate::Reconciled(r) = rec.until("reconciliation", is_reconciled(1)).await
    else {
        unreachable!()
    };
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    rec.until("the account update", |u| {
        matches!(u, UserStreamUpdate::Account(_))
    })
    .await;
    rec.drain_for(Duration::from_millis(300)).await;
    let orders = rec
        .all
        .iter()
        .filter(|u| matches!(u, UserStreamUpdate::Order(_)))
        .count();
    assert_eq!(orders, 1, "the replayed order update was delivered");
    assert_eq!(rec.stats.malformed.load(Ordering::Relaxed), 2);
    assert_eq!(rec.stats.duplicates.load(Ordering::Relaxed), 1);
    assert_eq!(rec.stats.connections.load(Ordering::Relaxed), 1);
}

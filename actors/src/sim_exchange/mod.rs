//! The `qtrade sim-exchange` server: an axum/tokio shell around the pure
//! [`SimExchange`] core.
//!
//! One address serves REST under `/fapi/...` and the WebSocket market
//! routes `/market` and `/public`, raw (`/<route>/ws/<s1>/<s2>`) and
//! combined (`/<route>/stream?streams=<s1>/<s2>`) (PROTOCOL.md §2.1). A
//! timer advances the simulated clock; each closed minute's stream events
//! go to every connection through a broadcast channel and each connection
//! keeps what its [`StreamSession`] subscribes to. Diff depth events, the
//! costliest to build, are made only while a connection subscribes to a
//! depth stream.
//!
//! The account's endpoints take the API key header and the raw body as
//! well; trading requests wait the configured latency first. User-data
//! events go through a second broadcast channel to the `/private`
//! connections (§7.2: `/private/ws/<listenKey>`,
//! `/private/ws?listenKey=<key>&events=A/B`, or `/private/stream?...`,
//! which wraps each event as `{"stream":<listenKey>,"data":...}`).

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use quantumtrade::exchange::binance::Route;
use quantumtrade::exchange::sim::faults::{FaultEffect, FaultKind, FaultOrder, Faults};
use quantumtrade::exchange::sim::{
    AccountEndpoint, RestRequest, SimExchange, StreamEvent, StreamSession, UserFrame,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

/// Batches of stream events kept for slow connections before they lag.
const EVENT_BACKLOG: usize = 1024;
/// Server ping period (§2.2: every 3 minutes).
const PING_EVERY: Duration = Duration::from_secs(180);
/// Largest request body read (form-encoded order parameters are small).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// State shared by the handlers and the market timer.
struct Shared {
    exchange: Mutex<SimExchange>,
    events: broadcast::Sender<Arc<Vec<StreamEvent>>>,
    user: broadcast::Sender<Arc<Vec<UserFrame>>>,
    latency: Duration,
    /// Injected and scheduled faults.
    faults: Mutex<Faults>,
    /// Stream drops ordered so far: connections close when it moves.
    drops: tokio::sync::watch::Sender<u64>,
    /// Market connections subscribed to a depth stream: the core builds
    /// diff depth events only while there is one.
    depth_subscribers: Arc<AtomicUsize>,
    /// Bearer token of the `/admin` endpoints (`QTRADE_SIM_ADMIN_TOKEN`);
    /// none: they answer 403.
    admin_token: Option<String>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, SimExchange> {
        // The core never panics while holding the lock on valid input; if
        // it did, its state is still the last consistent one.
        self.exchange.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells the connections how many drops were ordered.
    fn publish_drops(&self) {
        let n = self.faults().drops();
        self.drops.send_if_modified(|v| {
            let changed = *v != n;
            *v = n;
            changed
        });
    }

    fn publish_user(&self, frames: Vec<UserFrame>) {
        if !frames.is_empty() {
            // No connection left is not an error: the frames are dropped.
            let _ = self.user.send(Arc::new(frames));
        }
    }
}

/// Wall-clock milliseconds since the epoch.
#[must_use]
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Serves `exchange` on `listener` until the process ends.
///
/// # Errors
/// When the listener fails.
pub async fn serve(listener: TcpListener, exchange: SimExchange) -> anyhow::Result<()> {
    let speed = exchange.config().speed;
    let latency = Duration::from_millis(exchange.config().latency_ms);
    let (events, _) = broadcast::channel(EVENT_BACKLOG);
    let (user, _) = broadcast::channel(EVENT_BACKLOG);
    let faults = Faults::with_schedule(&exchange.config().faults, wall_ms());
    let shared = Arc::new(Shared {
        exchange: Mutex::new(exchange),
        events,
        user,
        latency,
        faults: Mutex::new(faults),
        drops: tokio::sync::watch::channel(0).0,
        depth_subscribers: Arc::new(AtomicUsize::new(0)),
        admin_token: std::env::var("QTRADE_SIM_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
    });
    tokio::spawn(advance_market(shared.clone(), speed));
    let app = Router::new().fallback(handle).with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("sim-exchange server failed")
}

/// Advances the market a few times per simulated minute and broadcasts
/// the events when anyone listens.
async fn advance_market(shared: Arc<Shared>, speed: f64) {
    // A quarter of a simulated minute, between 10 and 250 ms of wall time.
    let tick_ms = (15_000.0 / speed).clamp(10.0, 250.0);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(tick_ms / 1000.0));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        shared.faults().tick(wall_ms());
        shared.publish_drops();
        let emit = shared.events.receiver_count() > 0;
        let (mut batch, frames) = {
            let mut x = shared.lock();
            x.set_depth_streams(shared.depth_subscribers.load(Ordering::Relaxed) > 0);
            let batch = x.advance(wall_ms(), emit);
            (batch, x.take_user_frames())
        };
        // A `depth_gap` fault: this batch's diff depth events are lost, as
        // if the venue's stream skipped them.
        let is_depth = |e: &StreamEvent| e.stream.contains("@depth");
        if batch.iter().any(is_depth) && shared.faults().take_depth_gap(wall_ms()) {
            batch.retain(|e| !is_depth(e));
        }
        shared.publish_user(frames);
        if emit && !batch.is_empty() {
            // No receiver left is not an error: the events are dropped.
            let _ = shared.events.send(Arc::new(batch));
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/market") || path.starts_with("/public") {
        return websocket(shared, req);
    }
    if path.starts_with("/private") {
        return private_websocket(shared, req);
    }
    if path.starts_with("/admin/") {
        return admin(&shared, req).await;
    }
    let method = req.method().as_str().to_string();
    let path = path.to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let api_key = req
        .headers()
        .get("x-mbx-apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    if AccountEndpoint::route(&method, &path).is_some_and(AccountEndpoint::is_trading)
        && !shared.latency.is_zero()
    {
        tokio::time::sleep(shared.latency).await;
    }
    let new_order = AccountEndpoint::route(&method, &path) == Some(AccountEndpoint::NewOrder);
    let effect = shared.faults().on_request(wall_ms(), new_order);
    match effect {
        Some(FaultEffect::Delay(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultEffect::Reply {
            status,
            body,
            retry_after_s,
        }) => return json_reply(status, body, retry_after_s),
        None => {}
    }
    let (reply, frames) = {
        let mut x = shared.lock();
        let reply = x.request(&RestRequest {
            method: &method,
            path: &path,
            query: &query,
            body: &body,
            api_key: api_key.as_deref(),
            wall_ms: wall_ms(),
        });
        (reply, x.take_user_frames())
    };
    shared.publish_user(frames);
    let mut resp = json_reply(reply.status, reply.body, reply.retry_after_s);
    let h = resp.headers_mut();
    if let Some(w) = reply.used_weight {
        h.insert("x-mbx-used-weight-1m", HeaderValue::from(w));
    }
    if let Some((c10, c1m)) = reply.order_count {
        h.insert("x-mbx-order-count-10s", HeaderValue::from(c10));
        h.insert("x-mbx-order-count-1m", HeaderValue::from(c1m));
    }
    resp
}

/// `/admin/faults`: `GET` lists the active faults, `POST ?kind=K[&count=N]
/// [&duration_ms=D][&delay_ms=M]` injects one, `DELETE` clears them; every
/// call needs `Authorization: Bearer $QTRADE_SIM_ADMIN_TOKEN` (403 when the
/// server has no token, 401 for a missing or wrong one).
async fn admin(shared: &Shared, req: Request) -> Response {
    let Some(token) = &shared.admin_token else {
        return plain(
            StatusCode::FORBIDDEN,
            "admin endpoints are off: set QTRADE_SIM_ADMIN_TOKEN",
        );
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given != Some(token.as_str()) {
        return plain(StatusCode::UNAUTHORIZED, "bad or missing bearer token");
    }
    if req.uri().path() == "/admin/clock" {
        return clock(shared, &req);
    }
    if req.uri().path() != "/admin/faults" {
        return plain(StatusCode::NOT_FOUND, "unknown admin endpoint");
    }
    let now = wall_ms();
    match req.method().as_str() {
        "GET" => {
            let active = shared.faults().active(now);
            axum::Json(active).into_response()
        }
        "DELETE" => {
            shared.faults().clear();
            plain(StatusCode::OK, "cleared")
        }
        "POST" => {
            let q =
                quantumtrade::exchange::sim::rest::decode_query(req.uri().query().unwrap_or(""));
            let Some(kind) = q.get("kind").and_then(|k| FaultKind::parse(k)) else {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "kind must be rate_limit, ban, slow, reject_orders, drop_streams or depth_gap",
                );
            };
            let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
            let order = FaultOrder {
                kind,
                count: num("count").and_then(|c| u32::try_from(c).ok()),
                duration_ms: num("duration_ms"),
                delay_ms: num("delay_ms")
                    .and_then(|d| u64::try_from(d).ok())
                    .unwrap_or(0),
            };
            shared.faults().inject(order, now);
            shared.publish_drops();
            plain(StatusCode::OK, "injected")
        }
        _ => plain(StatusCode::METHOD_NOT_ALLOWED, "GET, POST or DELETE"),
    }
}

/// `/admin/clock`: `GET` reads the simulated clock (`now_ms`, `held`);
/// `POST ?run=true|false` lets it run or holds it (`replay_hold` starts a
/// replay held).
fn clock(shared: &Shared, req: &Request) -> Response {
    let now = wall_ms();
    let mut ex = shared.lock();
    match req.method().as_str() {
        "GET" => {}
        "POST" => {
            let q =
                quantumtrade::exchange::sim::rest::decode_query(req.uri().query().unwrap_or(""));
            match q.get("run").map(String::as_str) {
                Some("true") => ex.set_clock_running(true, now),
                Some("false") => ex.set_clock_running(false, now),
                _ => return plain(StatusCode::BAD_REQUEST, "run must be true or false"),
            }
        }
        _ => return plain(StatusCode::METHOD_NOT_ALLOWED, "GET or POST"),
    }
    axum::Json(serde_json::json!({
        "now_ms": ex.now(now),
        "held": ex.clock().held(),
    }))
    .into_response()
}

/// A JSON answer with its status and, for 429 and 418, `Retry-After`.
fn json_reply(status: u16, body: String, retry_after_s: Option<u64>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(s) = retry_after_s {
        h.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    resp
}

/// A `/private` target: the listen key, the `events=` filter (empty: all)
/// and whether payloads are wrapped (`/stream`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PrivateTarget {
    listen_key: String,
    events: Vec<String>,
    combined: bool,
}

fn parse_private_target(path: &str, query: Option<&str>) -> Option<PrivateTarget> {
    let rest = path.strip_prefix("/private")?;
    let q = query
        .map(quantumtrade::exchange::sim::rest::decode_query)
        .unwrap_or_default();
    let events: Vec<String> = q
        .get("events")
        .map(|e| {
            e.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let (combined, key) = match rest {
        "/ws" | "/ws/" => (false, q.get("listenKey")?.clone()),
        "/stream" | "/stream/" => (true, q.get("listenKey")?.clone()),
        _ => (false, rest.strip_prefix("/ws/")?.to_string()),
    };
    (!key.is_empty()).then_some(PrivateTarget {
        listen_key: key,
        events,
        combined,
    })
}

/// The 101 answer to a WebSocket handshake, or `None` when the request
/// is not one.
fn switching_protocols(req: &Request) -> Option<Response> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = req.headers().get(header::SEC_WEBSOCKET_KEY)?;
    if !upgrade {
        return None;
    }
    let accept = derive_accept_key(key.as_bytes());
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    Some(resp)
}

/// A user-data connection: an unknown or expired listen key is refused
/// with `-1125` before the upgrade.
fn private_websocket(shared: Arc<Shared>, mut req: Request) -> Response {
    let Some(target) = parse_private_target(req.uri().path(), req.uri().query()) else {
        return plain(StatusCode::NOT_FOUND, "unknown private route");
    };
    if !shared
        .lock()
        .listen_key_valid(&target.listen_key, wall_ms())
    {
        let body = r#"{"code":-1125,"msg":"This listenKey does not exist."}"#;
        return (StatusCode::BAD_REQUEST, body).into_response();
    }
    let Some(resp) = switching_protocols(&req) else {
        return plain(StatusCode::BAD_REQUEST, "websocket upgrade expected");
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let rx = shared.user.subscribe();
    let mut drops = shared.drops.subscribe();
    drops.mark_unchanged();
    tokio::spawn(async move {
        // A failed upgrade only ends this connection.
        if let Ok(upgraded) = on_upgrade.await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            run_private(ws, target, rx, drops).await;
        }
    });
    resp
}

/// One user-data connection: the frames of its key (and events filter)
/// out, a ping every 3 minutes; incoming messages are ignored. A
/// `drop_streams` fault closes it like the market connections.
async fn run_private<S>(
    ws: WebSocketStream<S>,
    target: PrivateTarget,
    mut rx: broadcast::Receiver<Arc<Vec<UserFrame>>>,
    mut drops: tokio::sync::watch::Receiver<u64>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            _ = drops.changed() => break,
            msg = stream.next() => match msg {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            batch = rx.recv() => match batch {
                Ok(batch) => {
                    for f in batch.iter().filter(|f| {
                        f.listen_key == target.listen_key
                            && (target.events.is_empty() || target.events.contains(&f.event_type)
                                || f.event_type == "listenKeyExpired")
                    }) {
                        let text = if target.combined {
                            format!(r#"{{"stream":"{}","data":{}}}"#, f.listen_key, f.payload)
                        } else {
                            f.payload.clone()
                        };
                        if sink.send(Message::text(text)).await.is_err() {
                            return;
                        }
                    }
                }
                // A lost order event would leave the client wrong about its
                // orders: drop the connection so it reconciles over REST.
                Err(_) => break,
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
}

/// The route, the `combined` flag and the URL's streams of a WebSocket
/// path, or `None` when the path is not a stream route.
fn parse_ws_target(path: &str, query: Option<&str>) -> Option<(Route, bool, Vec<String>)> {
    let (route, rest) = if let Some(r) = path.strip_prefix("/market") {
        (Route::Market, r)
    } else {
        (Route::Public, path.strip_prefix("/public")?)
    };
    if rest == "/ws" || rest == "/ws/" {
        return Some((route, false, Vec::new()));
    }
    if let Some(streams) = rest.strip_prefix("/ws/") {
        return Some((
            route,
            false,
            streams.split('/').map(str::to_string).collect(),
        ));
    }
    if rest == "/stream" || rest == "/stream/" {
        let streams = query
            .map(quantumtrade::exchange::sim::rest::decode_query)
            .and_then(|q| q.get("streams").cloned())
            .unwrap_or_default();
        return Some((
            route,
            true,
            streams
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ));
    }
    None
}

fn plain(status: StatusCode, msg: &'static str) -> Response {
    (status, msg).into_response()
}

/// Answers the WebSocket handshake by hand (RFC 6455 §4.2.2) so that the
/// connection runs on the same tungstenite as the clients and tests.
fn websocket(shared: Arc<Shared>, mut req: Request) -> Response {
    let Some((route, combined, streams)) = parse_ws_target(req.uri().path(), req.uri().query())
    else {
        return plain(StatusCode::NOT_FOUND, "unknown stream route");
    };
    let Some(resp) = switching_protocols(&req) else {
        return plain(StatusCode::BAD_REQUEST, "websocket upgrade expected");
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let names: Vec<&str> = streams.iter().map(String::as_str).collect();
    let session = StreamSession::new(route, combined, &names);
    let rx = shared.events.subscribe();
    let drop_after = match shared.lock().config().ws_drop_after_ms {
        0 => None,
        ms => Some(Duration::from_millis(ms)),
    };
    let mut drops = shared.drops.subscribe();
    drops.mark_unchanged();
    let depth = DepthInterest::new(shared.depth_subscribers.clone(), &session);
    tokio::spawn(async move {
        // A failed upgrade only ends this connection.
        if let Ok(upgraded) = on_upgrade.await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            run_connection(ws, session, rx, drop_after, drops, depth).await;
        }
    });
    resp
}

/// Counts one connection among the depth subscribers while its session
/// holds a depth stream (until dropped).
struct DepthInterest {
    count: Arc<AtomicUsize>,
    on: bool,
}

impl DepthInterest {
    fn new(count: Arc<AtomicUsize>, session: &StreamSession) -> Self {
        let mut d = Self { count, on: false };
        d.update(session);
        d
    }

    fn update(&mut self, session: &StreamSession) {
        let wants = session.streams().iter().any(|s| s.contains("@depth"));
        if wants != self.on {
            if wants {
                self.count.fetch_add(1, Ordering::Relaxed);
            } else {
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            self.on = wants;
        }
    }
}

impl Drop for DepthInterest {
    fn drop(&mut self) {
        if self.on {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// One market connection: control messages in, subscribed events out,
/// a ping every 3 minutes. Ends on close, error, when the connection
/// lags so far behind that events were lost, or `drop_after` after it
/// opened (fault injection).
async fn run_connection<S>(
    ws: WebSocketStream<S>,
    mut session: StreamSession,
    mut rx: broadcast::Receiver<Arc<Vec<StreamEvent>>>,
    drop_after: Option<Duration>,
    mut drops: tokio::sync::watch::Receiver<u64>,
    mut depth: DepthInterest,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    // Far future when fault injection is off.
    let drop_at = tokio::time::sleep(drop_after.unwrap_or(Duration::from_secs(86_400 * 365)));
    tokio::pin!(drop_at);
    loop {
        tokio::select! {
            () = &mut drop_at => break,
            // A `drop_streams` fault: close (an ended channel too).
            _ = drops.changed() => break,
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let reply = session.handle_control(t.as_str());
                    depth.update(&session);
                    if sink.send(Message::text(reply)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            batch = rx.recv() => match batch {
                Ok(batch) => {
                    let mut sent = false;
                    for ev in batch.iter() {
                        if let Some(frame) = session.frame_for(ev) {
                            if sink.feed(Message::text(frame)).await.is_err() {
                                return;
                            }
                            sent = true;
                        }
                    }
                    if sent && sink.flush().await.is_err() {
                        break;
                    }
                }
                // Lost events would be a silent gap: drop the connection
                // so the client reconnects and backfills from REST.
                Err(_) => break,
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_targets() {
        assert_eq!(
            parse_ws_target("/market/ws/a@kline_1m/b@aggTrade", None),
            Some((
                Route::Market,
                false,
                vec!["a@kline_1m".into(), "b@aggTrade".into()]
            ))
        );
        assert_eq!(
            parse_ws_target("/public/stream", Some("streams=a@bookTicker/b@bookTicker")),
            Some((
                Route::Public,
                true,
                vec!["a@bookTicker".into(), "b@bookTicker".into()]
            ))
        );
        assert_eq!(
            parse_ws_target("/market/stream", None),
            Some((Route::Market, true, vec![]))
        );
        assert_eq!(parse_ws_target("/market/other", None), None);
        assert_eq!(parse_ws_target("/privatex", None), None);
    }

    #[test]
    fn private_targets() {
        let t = parse_private_target("/private/ws/abc", None).unwrap();
        assert_eq!((t.listen_key.as_str(), t.combined), ("abc", false));
        let t = parse_private_target(
            "/private/ws",
            Some("listenKey=k&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE"),
        )
        .unwrap();
        assert_eq!(t.events, vec!["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"]);
        assert!(
            parse_private_target("/private/stream", Some("listenKey=k"))
                .unwrap()
                .combined
        );
        assert_eq!(parse_private_target("/private/ws", None), None);
        assert_eq!(parse_private_target("/private/other", None), None);
    }
}

//! The user data stream client: one `/private` connection on a listen key
//! kept alive, renewed and reconnected, with every update delivered once
//! and a REST reconciliation after each (re)connect.
//!
//! Rules (PROTOCOL.md §7):
//! 1. `POST /fapi/v1/listenKey` gets the key (§7.1); the connection is
//!    `<base>/private/ws/<listenKey>` (§7.2).
//! 2. `PUT /fapi/v1/listenKey` every [`UserStreamConfig::keepalive_every`]
//!    (default 30 minutes, at most 50, inside the 60-minute validity); a
//!    PUT that fails for a transient reason is retried after a minute. A
//!    `-1125`
//!    answer means the key is gone: a new one is made and the stream
//!    reconnects on it.
//! 3. A `listenKeyExpired` event does the same (the venue keeps the socket
//!    open but sends nothing more on it, §7.1).
//! 4. A lost connection is reopened after a jittered exponential backoff
//!    ([`Backoff`]); a connection is replaced before the venue's 24-hour
//!    cut. A refused connection drops the key (POST returns the active key
//!    again, or a new one).
//! 5. After every connect, open orders, positions, balances and the fills
//!    since the last event seen (minus a margin) are fetched over REST and
//!    reported as one [`Reconciliation`]; fills the stream never delivered
//!    are listed as missed ([`UserSync`]).
//! 6. Each frame goes through the typed parser; a bad one is counted by
//!    kind (`qtrade_user_stream_bad_messages_total{kind}`) and dropped.
//!    Events seen before (replays, fills learnt from REST) are dropped.
//!
//! Metrics: `qtrade_user_stream_bad_messages_total{kind}`,
//! `qtrade_user_stream_connections_total`,
//! `qtrade_user_stream_keepalives_total{result}`,
//! `qtrade_user_stream_renewals_total`,
//! `qtrade_user_stream_duplicates_total`. The listen key is a credential of
//! sorts: it is never logged.

use super::rest::{RestClient, RestError};
use crate::venue::wall_ms;
use futures_util::{SinkExt, StreamExt};
use quantumtrade::exchange::binance::error::ErrorCode;
use quantumtrade::exchange::binance::parse::{MalformedCounter, WsBody};
use quantumtrade::exchange::binance::rest::{Balance, OrderResponse, PositionRiskV3, UserTrade};
use quantumtrade::exchange::binance::stream_name::user_data_url;
use quantumtrade::exchange::binance::user_data::{
    AccountUpdate, AlgoUpdate, OrderTradeUpdate, UserEvent,
};
use quantumtrade::exchange::binance::user_sync::{UserSync, Verdict};
use quantumtrade::node::backoff::{Backoff, BackoffConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Default keepalive period (PROTOCOL.md §7.1: "well before expiry, e.g.
/// every 30 min").
pub const DEFAULT_KEEPALIVE_EVERY: Duration = Duration::from_secs(30 * 60);
/// Longest keepalive period used: it must end inside the 60-minute
/// validity with room for a retry.
pub const MAX_KEEPALIVE_EVERY: Duration = Duration::from_secs(50 * 60);
/// Wait before a keepalive that failed for a transient reason is retried.
const KEEPALIVE_RETRY: Duration = Duration::from_secs(60);

/// Settings of the user data stream.
#[derive(Debug, Clone)]
pub struct UserStreamConfig {
    /// WebSocket base, e.g. `wss://fstream.binance.com` or
    /// `ws://127.0.0.1:<port>` for the simulator.
    pub ws_base: String,
    /// Keepalive period (rule 2); at most [`MAX_KEEPALIVE_EVERY`] (longer
    /// values are cut to it).
    pub keepalive_every: Duration,
    /// Reconnect backoff.
    pub backoff: BackoffConfig,
    /// Seed of the backoff jitter.
    pub seed: u64,
    /// Age at which a connection is replaced (the venue cuts at 24 h).
    pub max_connection_age: Duration,
    /// Silence after which a connection is taken as dead (the venue pings
    /// every 3 minutes).
    pub idle_timeout: Duration,
    /// Symbols whose fills are reconciled even before an event names them.
    pub symbols: Vec<String>,
    /// Event keys remembered for duplicate suppression.
    pub dedup_capacity: usize,
}

impl UserStreamConfig {
    /// Defaults at `ws_base`: keepalive every 30 minutes, backoff 250 ms
    /// doubling to 30 s with 50 % jitter, replacement after 23 h 30 min,
    /// 10 minutes of silence.
    #[must_use]
    pub fn new(ws_base: &str) -> Self {
        Self {
            ws_base: ws_base.trim_end_matches('/').to_string(),
            keepalive_every: DEFAULT_KEEPALIVE_EVERY,
            backoff: super::market_stream::RECONNECT_BACKOFF,
            seed: u64::try_from(wall_ms()).unwrap_or(11),
            max_connection_age: super::market_stream::MAX_CONNECTION_AGE,
            idle_timeout: super::market_stream::IDLE_TIMEOUT,
            symbols: Vec::new(),
            dedup_capacity: quantumtrade::exchange::binance::user_sync::DEFAULT_CAPACITY,
        }
    }
}

/// Why the listen key was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewReason {
    /// The venue pushed `listenKeyExpired` (rule 3).
    Expired,
    /// A keepalive was answered `-1125` (rule 2).
    KeepaliveRejected,
    /// The connection was refused on the old key (rule 4).
    ConnectRefused,
}

/// What REST said after a (re)connect (rule 5).
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// The connection it follows.
    pub connection: u64,
    /// Start of the fills window (`None`: the venue's recent window).
    pub since_ms: Option<i64>,
    /// Every open order.
    pub open_orders: Vec<OrderResponse>,
    /// Positions (`GET /fapi/v3/positionRisk`).
    pub positions: Vec<PositionRiskV3>,
    /// Balances (`GET /fapi/v3/balance`).
    pub balances: Vec<Balance>,
    /// Fills the stream did not deliver, in time order.
    pub missed_fills: Vec<UserTrade>,
    /// Queries that failed (the rest of the report still holds).
    pub errors: Vec<String>,
}

/// What the user stream reports.
#[derive(Debug, Clone, PartialEq)]
pub enum UserStreamUpdate {
    /// A connection is open (`connection` counts from 1).
    Connected {
        /// Connection number.
        connection: u64,
    },
    /// A connection ended; a new one follows.
    Disconnected {
        /// Connection number.
        connection: u64,
        /// Why.
        reason: String,
    },
    /// The listen key was replaced.
    ListenKeyRenewed {
        /// Why.
        reason: RenewReason,
    },
    /// `ORDER_TRADE_UPDATE`.
    Order(Box<OrderTradeUpdate>),
    /// `ALGO_UPDATE`.
    Algo(Box<AlgoUpdate>),
    /// `ACCOUNT_UPDATE`.
    Account(Box<AccountUpdate>),
    /// Any other user event (margin call, trade lite, config update).
    Other(Box<UserEvent>),
    /// The REST state after a (re)connect.
    Reconciled(Box<Reconciliation>),
}

/// Counters of the stream, shared with whoever holds a clone.
#[derive(Debug, Default)]
pub struct UserStreamStats {
    /// Connections opened.
    pub connections: AtomicU64,
    /// Keepalives the venue accepted.
    pub keepalives_ok: AtomicU64,
    /// Keepalives that failed.
    pub keepalives_failed: AtomicU64,
    /// Listen keys replaced.
    pub renewals: AtomicU64,
    /// Frames that did not parse.
    pub malformed: AtomicU64,
    /// Duplicate events dropped.
    pub duplicates: AtomicU64,
}

/// Why a connection ended.
enum End {
    /// Lost: reconnect after the backoff.
    Lost(String),
    /// Replaced on purpose (age limit): reconnect at once on the same key.
    Replace(String),
    /// The key is gone: make a new one and reconnect at once.
    Renew(RenewReason),
    /// The consumer is gone.
    Stop,
}

/// What a keepalive led to.
enum Keepalive {
    /// Accepted.
    Done,
    /// Failed for a transient reason: try again soon.
    Retry,
    /// The key is gone.
    End(End),
}

/// The user data stream task (rules in the module doc).
pub struct UserStream {
    config: UserStreamConfig,
    rest: RestClient,
    sync: UserSync,
    bad: MalformedCounter,
    stats: Arc<UserStreamStats>,
}

impl UserStream {
    /// A stream over `config`, using `rest` (with credentials) for the
    /// listen key and reconciliation.
    #[must_use]
    pub fn new(config: UserStreamConfig, rest: RestClient) -> Self {
        let mut sync = UserSync::new(config.dedup_capacity);
        sync.watch(config.symbols.iter().cloned());
        Self {
            config,
            rest,
            sync,
            bad: MalformedCounter::new(),
            stats: Arc::new(UserStreamStats::default()),
        }
    }

    /// The counters (live while the stream runs).
    #[must_use]
    pub fn stats(&self) -> Arc<UserStreamStats> {
        self.stats.clone()
    }

    /// Runs until `out` is closed.
    pub async fn run(mut self, out: mpsc::Sender<UserStreamUpdate>) {
        let mut backoff = Backoff::new(self.config.backoff, self.config.seed);
        let mut connection = 0u64;
        let mut key: Option<String> = None;
        loop {
            if out.is_closed() {
                return;
            }
            let k = match &key {
                Some(k) => k.clone(),
                None => match self.rest.listen_key_start().await {
                    Ok(k) => {
                        key = Some(k.clone());
                        k
                    }
                    Err(e) => {
                        log_line(&format!("user stream: listen key: {e}"));
                        sleep_ms(backoff.failure(wall_ms())).await;
                        continue;
                    }
                },
            };
            crate::venue::install_crypto_provider();
            let url = user_data_url(&self.config.ws_base, &k);
            let ws = match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((ws, _)) => ws,
                Err(e) => {
                    // Rule 4: a refused handshake (400) means the key is
                    // gone; anything else is the network. Never log the URL.
                    log_line(&format!("user stream: connect failed: {}", redact(&e, &k)));
                    let refused = matches!(
                        &e,
                        tokio_tungstenite::tungstenite::Error::Http(r) if r.status().is_client_error()
                    );
                    if refused {
                        key = None;
                        self.stats.renewals.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!("qtrade_user_stream_renewals_total").increment(1);
                        let renewed = UserStreamUpdate::ListenKeyRenewed {
                            reason: RenewReason::ConnectRefused,
                        };
                        if out.send(renewed).await.is_err() {
                            return;
                        }
                    }
                    sleep_ms(backoff.failure(wall_ms())).await;
                    continue;
                }
            };
            connection += 1;
            self.stats.connections.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("qtrade_user_stream_connections_total").increment(1);
            if out
                .send(UserStreamUpdate::Connected { connection })
                .await
                .is_err()
            {
                return;
            }
            let opened = wall_ms();
            let end = self.serve(ws, connection, &out).await;
            if wall_ms() - opened
                > i64::try_from(self.config.backoff.reset_after_ms).unwrap_or(i64::MAX)
            {
                backoff.success();
            }
            let (reason, wait) = match end {
                End::Stop => return,
                End::Lost(r) => (r, backoff.failure(wall_ms())),
                End::Replace(r) => (r, 0),
                End::Renew(why) => {
                    key = None;
                    self.stats.renewals.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("qtrade_user_stream_renewals_total").increment(1);
                    let renewed = UserStreamUpdate::ListenKeyRenewed { reason: why };
                    if out.send(renewed).await.is_err() {
                        return;
                    }
                    (format!("listen key renewed ({why:?})"), 0)
                }
            };
            if out
                .send(UserStreamUpdate::Disconnected { connection, reason })
                .await
                .is_err()
            {
                return;
            }
            sleep_ms(wait).await;
        }
    }

    async fn serve<S>(
        &mut self,
        ws: tokio_tungstenite::WebSocketStream<S>,
        connection: u64,
        out: &mpsc::Sender<UserStreamUpdate>,
    ) -> End
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = ws.split();
        // Rule 5: frames wait in the socket while REST answers; events in
        // both are told apart by the dedup.
        let report = self.reconcile(connection).await;
        if out
            .send(UserStreamUpdate::Reconciled(Box::new(report)))
            .await
            .is_err()
        {
            return End::Stop;
        }
        let every = self
            .config
            .keepalive_every
            .clamp(Duration::from_millis(10), MAX_KEEPALIVE_EVERY);
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let age = tokio::time::sleep(self.config.max_connection_age);
        tokio::pin!(age);
        loop {
            tokio::select! {
                frame = tokio::time::timeout(self.config.idle_timeout, stream.next()) => {
                    let frame = match frame {
                        Err(_) => return End::Lost("idle timeout".into()),
                        Ok(None) => return End::Lost("closed by the server".into()),
                        Ok(Some(Err(e))) => return End::Lost(format!("read failed: {e}")),
                        Ok(Some(Ok(f))) => f,
                    };
                    let bytes = match &frame {
                        Message::Text(t) => t.as_bytes(),
                        Message::Binary(b) => &b[..],
                        Message::Ping(p) => {
                            if let Err(e) = sink.send(Message::Pong(p.clone())).await {
                                return End::Lost(format!("send failed: {e}"));
                            }
                            continue;
                        }
                        Message::Close(_) => return End::Lost("close frame".into()),
                        Message::Pong(_) | Message::Frame(_) => continue,
                    };
                    if let Some(end) = self.on_frame(bytes, out).await {
                        let _ = sink.close().await;
                        return end;
                    }
                }
                _ = keepalive.tick() => match self.keepalive().await {
                    Keepalive::Done => {}
                    Keepalive::Retry => keepalive.reset_after(KEEPALIVE_RETRY.min(every)),
                    Keepalive::End(end) => {
                        let _ = sink.close().await;
                        return end;
                    }
                },
                () = &mut age => {
                    let _ = sink.close().await;
                    return End::Replace("connection age limit".into());
                }
            }
        }
    }

    /// Handles one data frame (rules 3, 6); `Some` ends the connection.
    async fn on_frame(
        &mut self,
        bytes: &[u8],
        out: &mpsc::Sender<UserStreamUpdate>,
    ) -> Option<End> {
        let msg = match self.bad.parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("qtrade_user_stream_bad_messages_total", "kind" => e.kind().to_string())
                    .increment(1);
                log_line(&format!("user stream: bad frame dropped: {e}"));
                return None;
            }
        };
        let WsBody::User(ev) = msg.body else {
            // Market data or control replies do not belong here.
            return None;
        };
        match self.sync.on_event(&ev) {
            Verdict::Renew => Some(End::Renew(RenewReason::Expired)),
            Verdict::Duplicate => {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("qtrade_user_stream_duplicates_total").increment(1);
                None
            }
            Verdict::Deliver => {
                let update = match *ev {
                    UserEvent::OrderTradeUpdate(u) => UserStreamUpdate::Order(Box::new(u)),
                    UserEvent::AlgoUpdate(u) => UserStreamUpdate::Algo(Box::new(u)),
                    UserEvent::AccountUpdate(u) => UserStreamUpdate::Account(Box::new(u)),
                    other => UserStreamUpdate::Other(Box::new(other)),
                };
                out.send(update).await.is_err().then_some(End::Stop)
            }
        }
    }

    /// Rule 2.
    async fn keepalive(&mut self) -> Keepalive {
        match self.rest.listen_key_keepalive().await {
            Ok(_) => {
                self.stats.keepalives_ok.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("qtrade_user_stream_keepalives_total", "result" => "ok")
                    .increment(1);
                Keepalive::Done
            }
            Err(e) => {
                self.stats.keepalives_failed.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("qtrade_user_stream_keepalives_total", "result" => "error")
                    .increment(1);
                let gone = e
                    .api_error()
                    .is_some_and(|a| a.code == ErrorCode::InvalidListenKey);
                if gone {
                    Keepalive::End(End::Renew(RenewReason::KeepaliveRejected))
                } else {
                    log_line(&format!("user stream: keepalive failed: {e}"));
                    Keepalive::Retry
                }
            }
        }
    }

    /// Rule 5.
    async fn reconcile(&mut self, connection: u64) -> Reconciliation {
        let mut errors = Vec::new();
        let since_ms = self.sync.reconcile_since_ms();
        let open_orders = noted(self.rest.open_orders().await, &mut errors).unwrap_or_default();
        let positions = noted(self.rest.position_risk().await, &mut errors).unwrap_or_default();
        let balances = noted(self.rest.balances().await, &mut errors).unwrap_or_default();
        let mut symbols: Vec<String> = self.sync.symbols().iter().cloned().collect();
        for o in &open_orders {
            symbols.push(o.symbol.as_str().to_string());
        }
        for p in &positions {
            symbols.push(p.symbol.as_str().to_string());
        }
        symbols.sort_unstable();
        symbols.dedup();
        let mut trades = Vec::new();
        for s in &symbols {
            if let Some(t) = noted(self.rest.user_trades(s, since_ms).await, &mut errors) {
                trades.extend(t);
            }
        }
        self.sync.watch(symbols);
        let missed_fills = self.sync.missed_fills(trades);
        Reconciliation {
            connection,
            since_ms,
            open_orders,
            positions,
            balances,
            missed_fills,
            errors,
        }
    }

    /// Bad frames counted so far, by kind.
    #[must_use]
    pub fn bad_messages(&self) -> &MalformedCounter {
        &self.bad
    }
}

/// The value, or `None` with the error noted.
fn noted<T>(r: Result<T, RestError>, errors: &mut Vec<String>) -> Option<T> {
    r.map_err(|e| errors.push(e.to_string())).ok()
}

/// The error text without the listen key (it may sit in a URL).
fn redact(e: &impl std::fmt::Display, key: &str) -> String {
    e.to_string().replace(key, "<listenKey>")
}

async fn sleep_ms(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Logs one line on stderr (the node's logging is not wired to this
/// library yet).
fn log_line(line: &str) {
    eprintln!("qtrade: {line}");
}

//! The depth client: one symbol's local order book kept from the diff
//! depth stream and REST snapshots, following PROTOCOL.md §2.6 through the
//! pure [`DepthBook`].
//!
//! Rules:
//! 1. Subscribe `<symbol>@depth@100ms` (by default) on the `/public` route
//!    (§2.1) and hand every event to the book, which buffers them until a
//!    snapshot is loaded.
//! 2. When the book asks for a snapshot (start, a `pu` gap, a snapshot
//!    behind the stream), fetch `GET /fapi/v1/depth?limit=1000` once at a
//!    time; a failed fetch is retried after a pause. Every request after
//!    the first counts as a resync.
//! 3. A lost connection is reopened after a jittered exponential backoff;
//!    the book is kept, and the first event of the new connection either
//!    chains on (`pu` = last `u`: nothing was missed) or triggers a resync.
//!    A connection is replaced before the venue's 24-hour cut.
//! 4. A frame that does not parse is counted by kind
//!    (`qtrade_depth_bad_messages_total{kind}`) and dropped; events of
//!    other symbols are ignored.
//!
//! The book is read through a [`DepthHandle`] (best bid and ask, top N,
//! counters); while disconnected its best bid and ask read as `None`, as
//! the book may be stale. Metrics: `qtrade_depth_resyncs_total`,
//! `qtrade_depth_snapshots_total`, `qtrade_depth_bad_messages_total{kind}`.

use super::rest::RestClient;
use crate::venue::wall_ms;
use futures_util::{SinkExt, StreamExt};
use quantumtrade::exchange::binance::decimal::{Price, Quantity};
use quantumtrade::exchange::binance::depth_book::{DepthAction, DepthBook, ResyncReason};
use quantumtrade::exchange::binance::parse::{MalformedCounter, WsBody};
use quantumtrade::exchange::binance::rest::DepthSnapshot;
use quantumtrade::exchange::binance::stream_name::{DepthSpeed, StreamName, combined_url};
use quantumtrade::exchange::binance::ws::MarketEvent;
use quantumtrade::node::backoff::{Backoff, BackoffConfig};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Pause before a failed snapshot is asked again.
const SNAPSHOT_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Settings of one depth stream.
#[derive(Debug, Clone)]
pub struct DepthStreamConfig {
    /// WebSocket base, e.g. `wss://fstream.binance.com`.
    pub ws_base: String,
    /// Symbol (upper case, as REST wants it).
    pub symbol: String,
    /// Stream update speed.
    pub speed: DepthSpeed,
    /// `limit` of the REST snapshot (5, 10, 20, 50, 100, 500 or 1000).
    pub snapshot_limit: u32,
    /// Events buffered at most while a snapshot is awaited.
    pub max_buffer: usize,
    /// Reconnect backoff.
    pub backoff: BackoffConfig,
    /// Seed of the backoff jitter.
    pub seed: u64,
    /// Age at which a connection is replaced (the venue cuts at 24 h).
    pub max_connection_age: Duration,
    /// Silence after which a connection is taken as dead.
    pub idle_timeout: Duration,
}

impl DepthStreamConfig {
    /// Defaults for `symbol` at `ws_base`: `@depth@100ms`, snapshots of
    /// 1000 levels, backoff 250 ms doubling to 30 s with 50 % jitter,
    /// replacement after 23 h 30 min, 10 minutes of silence.
    #[must_use]
    pub fn new(ws_base: &str, symbol: &str) -> Self {
        Self {
            ws_base: ws_base.trim_end_matches('/').to_string(),
            symbol: symbol.to_ascii_uppercase(),
            speed: DepthSpeed::Ms100,
            snapshot_limit: 1000,
            max_buffer: quantumtrade::exchange::binance::depth_book::DEFAULT_MAX_BUFFER,
            backoff: super::market_stream::RECONNECT_BACKOFF,
            seed: u64::try_from(wall_ms()).unwrap_or(13),
            max_connection_age: super::market_stream::MAX_CONNECTION_AGE,
            idle_timeout: super::market_stream::IDLE_TIMEOUT,
        }
    }
}

/// What the depth stream reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthStreamUpdate {
    /// A connection is open (counts from 1).
    Connected {
        /// Connection number.
        connection: u64,
    },
    /// A connection ended; a new one follows after the backoff.
    Disconnected {
        /// Connection number.
        connection: u64,
    },
    /// The book needs a new snapshot (its content is not usable until
    /// [`DepthStreamUpdate::Synced`]).
    Resync {
        /// Why.
        reason: ResyncReason,
    },
    /// A snapshot was loaded and the buffered events replayed.
    Synced {
        /// The snapshot's `lastUpdateId`.
        last_update_id: i64,
    },
    /// An event was applied.
    Updated {
        /// The book's last update id.
        last_update_id: i64,
    },
}

/// Counters of one depth stream.
#[derive(Debug, Default)]
pub struct DepthStats {
    /// True while a connection is open.
    pub connected: AtomicBool,
    /// Connections opened.
    pub connections: AtomicU64,
    /// Snapshots requested after the first (rule 2).
    pub resyncs: AtomicU64,
    /// Snapshots loaded.
    pub snapshots: AtomicU64,
    /// Events applied.
    pub applied: AtomicU64,
    /// Frames that did not parse.
    pub malformed: AtomicU64,
}

/// The book at one moment, best levels first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthView {
    /// True when the book follows the stream (a snapshot is loaded and no
    /// break was seen).
    pub synced: bool,
    /// True while the stream is connected (otherwise the book may be
    /// stale).
    pub connected: bool,
    /// The book's last update id.
    pub last_update_id: Option<i64>,
    /// Bids, best (highest) first.
    pub bids: Vec<(Price, Quantity)>,
    /// Asks, best (lowest) first.
    pub asks: Vec<(Price, Quantity)>,
}

/// A reader of the book a [`DepthStream`] keeps. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DepthHandle {
    book: Arc<Mutex<DepthBook>>,
    stats: Arc<DepthStats>,
}

impl DepthHandle {
    fn book(&self) -> std::sync::MutexGuard<'_, DepthBook> {
        // DepthBook does not panic; a poisoned lock still holds a
        // consistent book.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when the book is synced and its stream connected.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.stats.connected.load(Ordering::Relaxed) && self.book().is_synced()
    }

    /// Best bid, when live.
    #[must_use]
    pub fn best_bid(&self) -> Option<(Price, Quantity)> {
        let live = self.stats.connected.load(Ordering::Relaxed);
        let b = self.book();
        (live && b.is_synced())
            .then(|| b.book().best_bid())
            .flatten()
    }

    /// Best ask, when live.
    #[must_use]
    pub fn best_ask(&self) -> Option<(Price, Quantity)> {
        let live = self.stats.connected.load(Ordering::Relaxed);
        let b = self.book();
        (live && b.is_synced())
            .then(|| b.book().best_ask())
            .flatten()
    }

    /// The top `n` levels per side, with the update id they reflect.
    #[must_use]
    pub fn top(&self, n: usize) -> DepthView {
        let connected = self.stats.connected.load(Ordering::Relaxed);
        let b = self.book();
        DepthView {
            synced: b.is_synced(),
            connected,
            last_update_id: b.last_update_id(),
            bids: b.book().top_bids(n),
            asks: b.book().top_asks(n),
        }
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &DepthStats {
        &self.stats
    }
}

/// Why a connection ended.
enum End {
    Lost,
    Replace,
    Stop,
}

/// The depth stream task (rules in the module doc).
pub struct DepthStream {
    config: DepthStreamConfig,
    rest: RestClient,
    handle: DepthHandle,
    bad: MalformedCounter,
    fetching: bool,
}

impl DepthStream {
    /// A stream over `config`, fetching snapshots through `rest`.
    #[must_use]
    pub fn new(config: DepthStreamConfig, rest: RestClient) -> Self {
        let handle = DepthHandle {
            book: Arc::new(Mutex::new(DepthBook::new(config.max_buffer))),
            stats: Arc::new(DepthStats::default()),
        };
        Self {
            config,
            rest,
            handle,
            bad: MalformedCounter::new(),
            fetching: false,
        }
    }

    /// A reader of the book.
    #[must_use]
    pub fn handle(&self) -> DepthHandle {
        self.handle.clone()
    }

    /// Runs until `out` is closed.
    pub async fn run(mut self, out: mpsc::Sender<DepthStreamUpdate>) {
        let name = StreamName::DiffDepth(self.config.symbol.clone(), self.config.speed);
        let url = match combined_url(&self.config.ws_base, &[name]) {
            Ok(u) => u,
            Err(e) => {
                log_line(&format!("depth stream: {e}"));
                return;
            }
        };
        let mut backoff = Backoff::new(self.config.backoff, self.config.seed);
        let mut connection = 0u64;
        let (snap_tx, mut snap_rx) = mpsc::channel::<Result<DepthSnapshot, String>>(4);
        loop {
            if out.is_closed() {
                return;
            }
            crate::venue::install_crypto_provider();
            let end = match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((ws, _)) => {
                    connection += 1;
                    self.handle
                        .stats
                        .connections
                        .fetch_add(1, Ordering::Relaxed);
                    self.handle.stats.connected.store(true, Ordering::Relaxed);
                    if out
                        .send(DepthStreamUpdate::Connected { connection })
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let opened = wall_ms();
                    let end = self.serve(ws, &out, &snap_tx, &mut snap_rx).await;
                    self.handle.stats.connected.store(false, Ordering::Relaxed);
                    if wall_ms() - opened
                        > i64::try_from(self.config.backoff.reset_after_ms).unwrap_or(i64::MAX)
                    {
                        backoff.success();
                    }
                    if matches!(end, End::Stop)
                        || out
                            .send(DepthStreamUpdate::Disconnected { connection })
                            .await
                            .is_err()
                    {
                        return;
                    }
                    end
                }
                Err(e) => {
                    log_line(&format!("depth stream: connect failed: {e}"));
                    End::Lost
                }
            };
            if matches!(end, End::Lost) {
                tokio::time::sleep(Duration::from_millis(backoff.failure(wall_ms()))).await;
            }
        }
    }

    async fn serve<S>(
        &mut self,
        ws: tokio_tungstenite::WebSocketStream<S>,
        out: &mpsc::Sender<DepthStreamUpdate>,
        snap_tx: &mpsc::Sender<Result<DepthSnapshot, String>>,
        snap_rx: &mut mpsc::Receiver<Result<DepthSnapshot, String>>,
    ) -> End
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = ws.split();
        let age = tokio::time::sleep(self.config.max_connection_age);
        tokio::pin!(age);
        loop {
            tokio::select! {
                frame = tokio::time::timeout(self.config.idle_timeout, stream.next()) => {
                    let frame = match frame {
                        Ok(Some(Ok(f))) => f,
                        Err(_) | Ok(None | Some(Err(_))) => return End::Lost,
                    };
                    let bytes = match &frame {
                        Message::Text(t) => t.as_bytes(),
                        Message::Binary(b) => &b[..],
                        Message::Ping(p) => {
                            if sink.send(Message::Pong(p.clone())).await.is_err() {
                                return End::Lost;
                            }
                            continue;
                        }
                        Message::Close(_) => return End::Lost,
                        Message::Pong(_) | Message::Frame(_) => continue,
                    };
                    if !self.on_frame(bytes, out, snap_tx).await {
                        return End::Stop;
                    }
                }
                Some(snap) = snap_rx.recv() => {
                    if !self.on_snapshot(snap, out, snap_tx).await {
                        return End::Stop;
                    }
                }
                () = &mut age => {
                    let _ = sink.close().await;
                    return End::Replace;
                }
            }
        }
    }

    /// Rules 1 and 4; false when the consumer is gone.
    async fn on_frame(
        &mut self,
        bytes: &[u8],
        out: &mpsc::Sender<DepthStreamUpdate>,
        snap_tx: &mpsc::Sender<Result<DepthSnapshot, String>>,
    ) -> bool {
        let msg = match self.bad.parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.handle.stats.malformed.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("qtrade_depth_bad_messages_total", "kind" => e.kind().to_string())
                    .increment(1);
                return true;
            }
        };
        let WsBody::Market(MarketEvent::Depth(ev)) = msg.body else {
            return true;
        };
        if !ev.symbol.as_str().eq_ignore_ascii_case(&self.config.symbol) {
            return true;
        }
        let action = self.handle.book().on_update(ev);
        self.on_action(action, out, snap_tx).await
    }

    async fn on_snapshot(
        &mut self,
        snap: Result<DepthSnapshot, String>,
        out: &mpsc::Sender<DepthStreamUpdate>,
        snap_tx: &mpsc::Sender<Result<DepthSnapshot, String>>,
    ) -> bool {
        self.fetching = false;
        match snap {
            Ok(s) => {
                self.handle.stats.snapshots.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("qtrade_depth_snapshots_total").increment(1);
                let action = self.handle.book().on_snapshot(&s);
                self.on_action(action, out, snap_tx).await
            }
            Err(e) => {
                log_line(&format!("depth stream: snapshot failed: {e}"));
                self.fetch(snap_tx, SNAPSHOT_RETRY_PAUSE);
                true
            }
        }
    }

    async fn on_action(
        &mut self,
        action: DepthAction,
        out: &mpsc::Sender<DepthStreamUpdate>,
        snap_tx: &mpsc::Sender<Result<DepthSnapshot, String>>,
    ) -> bool {
        let update = match action {
            DepthAction::FetchSnapshot(reason) => {
                if reason != ResyncReason::Start {
                    self.handle.stats.resyncs.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("qtrade_depth_resyncs_total").increment(1);
                }
                self.fetch(snap_tx, Duration::ZERO);
                DepthStreamUpdate::Resync { reason }
            }
            DepthAction::Synced { last_update_id, .. } => {
                DepthStreamUpdate::Synced { last_update_id }
            }
            DepthAction::Applied { final_update_id } => {
                self.handle.stats.applied.fetch_add(1, Ordering::Relaxed);
                DepthStreamUpdate::Updated {
                    last_update_id: final_update_id,
                }
            }
            DepthAction::Buffered
            | DepthAction::DroppedStale { .. }
            | DepthAction::SnapshotIgnored => return true,
        };
        out.send(update).await.is_ok()
    }

    /// Rule 2: one snapshot request at a time; the book keeps asking
    /// while its answer is not usable.
    fn fetch(&mut self, snap_tx: &mpsc::Sender<Result<DepthSnapshot, String>>, pause: Duration) {
        if self.fetching {
            return;
        }
        self.fetching = true;
        let rest = self.rest.clone();
        let tx = snap_tx.clone();
        let symbol = self.config.symbol.clone();
        let limit = self.config.snapshot_limit;
        tokio::spawn(async move {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let r = rest.depth(&symbol, limit).await.map_err(|e| e.to_string());
            // The stream may be gone; nothing to do then.
            let _ = tx.send(r).await;
        });
    }

    /// Bad frames counted so far, by kind.
    #[must_use]
    pub fn bad_messages(&self) -> &MalformedCounter {
        &self.bad
    }
}

/// Logs one line on stderr (the node's logging is not wired to this
/// library yet).
fn log_line(line: &str) {
    eprintln!("qtrade: {line}");
}

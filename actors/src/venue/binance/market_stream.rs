//! The WebSocket market client: one combined-stream connection on one
//! route, kept alive, and closed klines delivered exactly once, in order.
//!
//! Rules (PROTOCOL.md §2):
//! 1. Streams of one route share a connection
//!    `<base>/<route>/stream?streams=a/b` (§2.1): klines, mark prices and
//!    tickers on `/market`, book tickers and depth on `/public`.
//! 2. Every outgoing message (control requests and pongs) passes a pacer
//!    of 5 per fixed second, half the venue's 10 incoming messages per
//!    second (§2.2), so a burst of subscriptions never gets us cut off.
//! 3. A server ping is answered with a pong carrying its payload (§2.2);
//!    a connection silent for [`MarketStreamConfig::idle_timeout`] is
//!    taken as dead.
//! 4. A lost connection is reopened after a jittered exponential backoff
//!    ([`Backoff`]); a connection is replaced before the venue's 24-hour
//!    cut ([`MarketStreamConfig::max_connection_age`]). The new connection
//!    carries every current subscription in its URL.
//! 5. Closed klines go through one [`KlineContinuity`] per symbol and
//!    interval: after a reconnect or a gap, the missing ones are fetched
//!    from REST klines before later ones are passed on; duplicates are
//!    dropped.
//! 6. A frame that does not parse is counted by kind
//!    (`qtrade_ws_bad_messages_total{kind}`) and dropped.
//!
//! Metrics: `qtrade_ws_bad_messages_total{kind}`, `qtrade_ws_connections_total`,
//! `qtrade_ws_klines_backfilled_total`, `qtrade_ws_backfill_failures_total`.

use super::rest::RestClient;
use crate::venue::wall_ms;
use futures_util::{SinkExt, StreamExt};
use quantumtrade::exchange::binance::kline_continuity::{BackfillRange, KlineContinuity};
use quantumtrade::exchange::binance::parse::{MalformedCounter, WsBody};
use quantumtrade::exchange::binance::rate_limit::{Cost, LimitKind, RateLimiter};
use quantumtrade::exchange::binance::stream_name::{KlineInterval, StreamName, combined_url};
use quantumtrade::exchange::binance::ws::{ControlRequest, MarketEvent, RequestId};
use quantumtrade::market::Candle;
use quantumtrade::node::backoff::{Backoff, BackoffConfig};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Most stream names in one SUBSCRIBE request.
const NAMES_PER_CONTROL: usize = 100;
/// Outgoing messages per fixed second (rule 2).
const OUTGOING_PER_SECOND: u32 = 5;
/// Klines per backfill page (weight 10 above 1000, §4.1).
const BACKFILL_PAGE: u32 = 1000;
/// Pause before a failed backfill page is asked again.
const BACKFILL_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Reconnect backoff of every venue WebSocket (market, depth, user data).
pub const RECONNECT_BACKOFF: BackoffConfig = BackoffConfig {
    base_ms: 250,
    max_ms: 30_000,
    reset_after_ms: 60_000,
    jitter: 0.5,
};

/// A venue WebSocket is replaced after this long, before Binance's 24-hour
/// limit closes it.
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(23 * 3600 + 1800);

/// A venue WebSocket silent for this long is reconnected.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// Settings of one market connection.
#[derive(Debug, Clone)]
pub struct MarketStreamConfig {
    /// WebSocket base, e.g. `wss://fstream.binance.com` or
    /// `ws://127.0.0.1:<port>` for the simulator.
    pub ws_base: String,
    /// Streams at start; all of one route.
    pub streams: Vec<StreamName>,
    /// Reconnect backoff.
    pub backoff: BackoffConfig,
    /// Seed of the backoff jitter.
    pub seed: u64,
    /// Age at which a connection is replaced (the venue cuts at 24 h).
    pub max_connection_age: Duration,
    /// Silence after which a connection is taken as dead (the venue pings
    /// every 3 minutes).
    pub idle_timeout: Duration,
}

impl MarketStreamConfig {
    /// Defaults for `streams` at `ws_base`: backoff 250 ms doubling to
    /// 30 s with 50 % jitter, replacement after 23 h 30 min, 10 minutes of
    /// silence.
    #[must_use]
    pub fn new(ws_base: &str, streams: Vec<StreamName>) -> Self {
        Self {
            ws_base: ws_base.trim_end_matches('/').to_string(),
            streams,
            backoff: RECONNECT_BACKOFF,
            seed: u64::try_from(wall_ms()).unwrap_or(7),
            max_connection_age: MAX_CONNECTION_AGE,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

/// A change asked of a running stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamCommand {
    /// Add streams (sent as `SUBSCRIBE`).
    Subscribe(Vec<StreamName>),
    /// Remove streams (sent as `UNSUBSCRIBE`).
    Unsubscribe(Vec<StreamName>),
}

/// Where a closed kline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlineSource {
    /// The live stream.
    Live,
    /// REST backfill after a gap or reconnect.
    Backfill,
}

/// What the stream reports.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamUpdate {
    /// A connection is open (`connection` counts from 1).
    Connected {
        /// Connection number.
        connection: u64,
    },
    /// A connection ended; a new one follows after the backoff.
    Disconnected {
        /// Connection number.
        connection: u64,
        /// Why.
        reason: String,
    },
    /// A market event other than a kline (klines come as
    /// [`StreamUpdate::ClosedKline`] or [`StreamUpdate::FormingKline`]).
    Market(MarketEvent),
    /// A bar still forming (`x = false`).
    FormingKline {
        /// Symbol (upper case).
        symbol: String,
        /// Interval.
        interval: KlineInterval,
        /// The bar so far.
        candle: Candle,
    },
    /// A closed bar: once each, in open-time order per symbol and interval.
    ClosedKline {
        /// Symbol (upper case).
        symbol: String,
        /// Interval.
        interval: KlineInterval,
        /// The bar.
        candle: Candle,
        /// Live or backfilled.
        source: KlineSource,
    },
    /// The symbol's closed klines are continuous again after a gap.
    Fresh {
        /// Symbol (upper case).
        symbol: String,
        /// Interval.
        interval: KlineInterval,
    },
}

type Key = (String, KlineInterval);

/// A backfill page's answer.
struct BackfillDone {
    key: Key,
    result: Result<(Vec<Candle>, bool), String>,
}

/// The market stream task (rules in the module doc).
pub struct MarketStream {
    config: MarketStreamConfig,
    rest: RestClient,
    streams: BTreeSet<StreamName>,
    continuity: BTreeMap<Key, KlineContinuity>,
    backfilling: BTreeSet<Key>,
    bad: MalformedCounter,
    next_id: u64,
}

/// Why a connection ended.
enum End {
    Closed(String),
    /// The consumer is gone: stop for good.
    Stop,
}

impl MarketStream {
    /// A stream over `config`, backfilling through `rest`.
    #[must_use]
    pub fn new(config: MarketStreamConfig, rest: RestClient) -> Self {
        let streams = config.streams.iter().cloned().collect();
        Self {
            config,
            rest,
            streams,
            continuity: BTreeMap::new(),
            backfilling: BTreeSet::new(),
            bad: MalformedCounter::new(),
            next_id: 1,
        }
    }

    /// Runs until `out` is closed: connects, reconnects, and reports on
    /// `out`; applies `commands` as they come.
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<StreamCommand>,
        out: mpsc::Sender<StreamUpdate>,
    ) {
        let mut backoff = Backoff::new(self.config.backoff, self.config.seed);
        let mut connection = 0u64;
        let (bf_tx, mut bf_rx) = mpsc::channel::<BackfillDone>(64);
        loop {
            if out.is_closed() {
                return;
            }
            if self.streams.is_empty() {
                match commands.recv().await {
                    Some(c) => self.apply_local(&c),
                    None => return,
                }
                continue;
            }
            let names: Vec<StreamName> = self.streams.iter().cloned().collect();
            let url = match combined_url(&self.config.ws_base, &names) {
                Ok(u) => u,
                Err(e) => {
                    log_line(&format!("market stream: {e}"));
                    return;
                }
            };
            crate::venue::install_crypto_provider();
            let mut was_open = false;
            let end = match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((ws, _)) => {
                    was_open = true;
                    connection += 1;
                    metrics::counter!("qtrade_ws_connections_total").increment(1);
                    if out
                        .send(StreamUpdate::Connected { connection })
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let opened = wall_ms();
                    let end = self
                        .serve(ws, &mut commands, &out, &bf_tx, &mut bf_rx)
                        .await;
                    if wall_ms() - opened
                        > i64::try_from(self.config.backoff.reset_after_ms).unwrap_or(i64::MAX)
                    {
                        backoff.success();
                    }
                    end
                }
                Err(e) => End::Closed(format!("connect failed: {e}")),
            };
            let reason = match end {
                End::Stop => return,
                End::Closed(r) => r,
            };
            for k in self.continuity.values_mut() {
                k.on_disconnect();
            }
            if was_open
                && out
                    .send(StreamUpdate::Disconnected { connection, reason })
                    .await
                    .is_err()
            {
                return;
            }
            let wait = backoff.failure(wall_ms());
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }

    /// Subscriptions changed while disconnected: the next URL carries them.
    fn apply_local(&mut self, c: &StreamCommand) {
        match c {
            StreamCommand::Subscribe(s) => self.streams.extend(s.iter().cloned()),
            StreamCommand::Unsubscribe(s) => {
                for n in s {
                    self.streams.remove(n);
                }
            }
        }
    }

    fn control(&mut self, c: &StreamCommand) -> Vec<String> {
        let mut out = Vec::new();
        let (names, subscribe) = match c {
            StreamCommand::Subscribe(s) => (s, true),
            StreamCommand::Unsubscribe(s) => (s, false),
        };
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        for chunk in names.chunks(NAMES_PER_CONTROL) {
            let id = RequestId::Number(self.next_id);
            self.next_id += 1;
            let req = if subscribe {
                ControlRequest::Subscribe {
                    streams: chunk.to_vec(),
                    id,
                }
            } else {
                ControlRequest::Unsubscribe {
                    streams: chunk.to_vec(),
                    id,
                }
            };
            out.push(req.to_json());
        }
        out
    }

    async fn serve<S>(
        &mut self,
        ws: tokio_tungstenite::WebSocketStream<S>,
        commands: &mut mpsc::Receiver<StreamCommand>,
        out: &mpsc::Sender<StreamUpdate>,
        bf_tx: &mpsc::Sender<BackfillDone>,
        bf_rx: &mut mpsc::Receiver<BackfillDone>,
    ) -> End
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = ws.split();
        let mut pacer = RateLimiter::new(&[(LimitKind::Weight, 1_000, OUTGOING_PER_SECOND)]);
        let mut outbox: VecDeque<Message> = VecDeque::new();
        let age = tokio::time::sleep(self.config.max_connection_age);
        tokio::pin!(age);
        let mut commands_open = true;
        loop {
            // Rule 2: send what the pacer allows now; otherwise wake when
            // the window ends.
            let mut next_send = None;
            while let Some(msg) = outbox.front() {
                let _ = msg;
                match pacer.try_acquire(wall_ms(), Cost::weight(1)) {
                    Ok(p) => {
                        pacer.complete(p, wall_ms(), &[]);
                        let Some(m) = outbox.pop_front() else { break };
                        if let Err(e) = sink.send(m).await {
                            return End::Closed(format!("send failed: {e}"));
                        }
                    }
                    Err(t) => {
                        next_send = t.retry_at();
                        break;
                    }
                }
            }
            let pace_wait = next_send.map_or(Duration::from_secs(3600), |t| {
                Duration::from_millis(u64::try_from(t - wall_ms()).unwrap_or(0).max(1))
            });
            tokio::select! {
                frame = tokio::time::timeout(self.config.idle_timeout, stream.next()) => {
                    let frame = match frame {
                        Err(_) => return End::Closed("idle timeout".into()),
                        Ok(None) => return End::Closed("closed by the server".into()),
                        Ok(Some(Err(e))) => return End::Closed(format!("read failed: {e}")),
                        Ok(Some(Ok(f))) => f,
                    };
                    match frame {
                        Message::Text(t) => {
                            if !self.on_text(t.as_bytes(), out, bf_tx).await {
                                return End::Stop;
                            }
                        }
                        Message::Binary(b) => {
                            if !self.on_text(&b, out, bf_tx).await {
                                return End::Stop;
                            }
                        }
                        // Rule 3: pongs jump the queue; a late pong is a
                        // disconnect, a paced one is not.
                        Message::Ping(p) => outbox.push_front(Message::Pong(p)),
                        Message::Close(_) => return End::Closed("close frame".into()),
                        Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
                cmd = commands.recv(), if commands_open => match cmd {
                    Some(c) => {
                        self.apply_local(&c);
                        for text in self.control(&c) {
                            outbox.push_back(Message::text(text));
                        }
                    }
                    None => commands_open = false,
                },
                done = bf_rx.recv() => {
                    if let Some(done) = done
                        && !self.on_backfill(done, out, bf_tx).await
                    {
                        return End::Stop;
                    }
                }
                () = &mut age => {
                    let _ = sink.close().await;
                    return End::Closed("connection age limit".into());
                }
                () = tokio::time::sleep(pace_wait), if next_send.is_some() => {}
            }
        }
    }

    /// Handles one data frame; false when the consumer is gone.
    async fn on_text(
        &mut self,
        bytes: &[u8],
        out: &mpsc::Sender<StreamUpdate>,
        bf_tx: &mpsc::Sender<BackfillDone>,
    ) -> bool {
        let msg = match self.bad.parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                // Rule 6.
                metrics::counter!("qtrade_ws_bad_messages_total", "kind" => e.kind().to_string())
                    .increment(1);
                return true;
            }
        };
        let event = match msg.body {
            WsBody::Market(ev) => ev,
            // Control replies and errors need no action: subscriptions are
            // re-sent in the URL of every new connection.
            WsBody::Reply(_) | WsBody::Error(_) | WsBody::User(_) => return true,
        };
        let MarketEvent::Kline(k) = event else {
            return out.send(StreamUpdate::Market(event)).await.is_ok();
        };
        let symbol = k.kline.symbol.as_str().to_string();
        let interval = k.kline.interval;
        let candle = k.kline.to_candle();
        if !k.kline.is_closed {
            return out
                .send(StreamUpdate::FormingKline {
                    symbol,
                    interval,
                    candle,
                })
                .await
                .is_ok();
        }
        let key = (symbol, interval);
        let cont = self
            .continuity
            .entry(key.clone())
            .or_insert_with(|| KlineContinuity::new(interval_ms(interval)));
        let was_fresh = cont.is_fresh();
        let emitted = cont.on_live(candle);
        let fresh = cont.is_fresh();
        if !fresh {
            self.start_backfill(&key, bf_tx);
        }
        self.emit(&key, emitted, KlineSource::Live, !was_fresh && fresh, out)
            .await
    }

    async fn emit(
        &self,
        key: &Key,
        candles: Vec<Candle>,
        source: KlineSource,
        became_fresh: bool,
        out: &mpsc::Sender<StreamUpdate>,
    ) -> bool {
        if source == KlineSource::Backfill && !candles.is_empty() {
            metrics::counter!("qtrade_ws_klines_backfilled_total").increment(candles.len() as u64);
        }
        for candle in candles {
            let u = StreamUpdate::ClosedKline {
                symbol: key.0.clone(),
                interval: key.1,
                candle,
                source,
            };
            if out.send(u).await.is_err() {
                return false;
            }
        }
        if became_fresh {
            let u = StreamUpdate::Fresh {
                symbol: key.0.clone(),
                interval: key.1,
            };
            return out.send(u).await.is_ok();
        }
        true
    }

    /// Starts one REST page for `key` unless one is running or none is
    /// needed (rule 5).
    fn start_backfill(&mut self, key: &Key, bf_tx: &mpsc::Sender<BackfillDone>) {
        if self.backfilling.contains(key) {
            return;
        }
        let Some(range) = self
            .continuity
            .get(key)
            .and_then(KlineContinuity::backfill_range)
        else {
            return;
        };
        self.backfilling.insert(key.clone());
        let rest = self.rest.clone();
        let tx = bf_tx.clone();
        let key = key.clone();
        tokio::spawn(async move {
            let result = fetch_page(&rest, &key, range).await;
            if result.is_err() {
                // The page is asked again when this answer arrives: pause
                // first rather than hammer a failing venue.
                tokio::time::sleep(BACKFILL_RETRY_PAUSE).await;
            }
            // The stream may be gone; nothing to do then.
            let _ = tx.send(BackfillDone { key, result }).await;
        });
    }

    async fn on_backfill(
        &mut self,
        done: BackfillDone,
        out: &mpsc::Sender<StreamUpdate>,
        bf_tx: &mpsc::Sender<BackfillDone>,
    ) -> bool {
        self.backfilling.remove(&done.key);
        let Some(cont) = self.continuity.get_mut(&done.key) else {
            return true;
        };
        let was_fresh = cont.is_fresh();
        let emitted = match done.result {
            Ok((rows, exhaustive)) => cont.on_backfill(&rows, exhaustive),
            Err(e) => {
                metrics::counter!("qtrade_ws_backfill_failures_total").increment(1);
                log_line(&format!("backfill {} failed: {e}", done.key.0));
                Vec::new()
            }
        };
        let fresh = cont.is_fresh();
        if !fresh {
            self.start_backfill(&done.key, bf_tx);
        }
        self.emit(
            &done.key,
            emitted,
            KlineSource::Backfill,
            !was_fresh && fresh,
            out,
        )
        .await
    }

    /// Bad frames counted so far, by kind.
    #[must_use]
    pub fn bad_messages(&self) -> &MalformedCounter {
        &self.bad
    }
}

/// Interval length in ms (every kline interval maps to one; 1M is taken
/// as 31 days only to keep the type total, it is never subscribed).
fn interval_ms(i: KlineInterval) -> i64 {
    i.to_market().map_or(31 * 86_400_000, |m| m.millis())
}

/// One REST page of klines for `range` and whether the answer was
/// exhaustive. The range ends before a closed live candle, so every bar in
/// it has closed.
async fn fetch_page(
    rest: &RestClient,
    key: &Key,
    range: BackfillRange,
) -> Result<(Vec<Candle>, bool), String> {
    let rows = rest
        .klines(
            &key.0,
            key.1,
            Some(range.start_ms),
            Some(range.end_ms),
            BACKFILL_PAGE,
        )
        .await
        .map_err(|e| e.to_string())?;
    let exhaustive = rows.len() < BACKFILL_PAGE as usize;
    let candles = rows
        .iter()
        .filter(|k| k.open_time >= range.start_ms && k.open_time <= range.end_ms)
        .map(quantumtrade::exchange::binance::rest::RestKline::to_candle)
        .collect();
    Ok((candles, exhaustive))
}

/// Logs one line on stderr (the node's logging is not wired to this
/// library yet).
fn log_line(line: &str) {
    eprintln!("qtrade: {line}");
}

//! Per-actor statistics: mailbox depth (counted by the senders, since actix
//! keeps its own count private), messages handled, handling time, restarts;
//! mirrored into Prometheus metrics and listed on `/actors`. A message
//! that cannot be delivered (mailbox full or closed) becomes a dead letter.

use super::store::{Append, DeadLetterLog};
use actix::dev::ToEnvelope;
use actix::prelude::SendError;
use actix::{Actor, Addr, Handler, Message};
use quantumtrade::events::{DeadLetter, DeadLetterReason};
use serde::Serialize;
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Handling-time samples kept per actor for the p50/p99 on `/actors`.
const SAMPLES: usize = 1024;

/// Histogram buckets of `qtrade_actor_handle_seconds`.
pub const HANDLE_BUCKETS: &[f64] = &[
    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5, 1.0,
];

/// Gives every metric the node exports its help text (`# HELP`), once the
/// recorder is installed.
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        "qtrade_pipeline_latency_seconds",
        Unit::Seconds,
        "From the hub routing a minute's closed candles to the selector publishing the top five from every universe symbol's score of that minute."
    );
    describe_histogram!(
        "qtrade_tick_to_order_seconds",
        Unit::Seconds,
        "From the hub routing a minute's closed candles to the executor committing (fsync) the order decided on that minute."
    );
    describe_histogram!(
        "qtrade_order_ack_seconds",
        Unit::Seconds,
        "From the executor writing an order (journal commit) to the venue acknowledging it, by venue; the paper venue accepts at submit, so this is its commit alone."
    );
    describe_histogram!(
        "qtrade_order_fill_seconds",
        Unit::Seconds,
        "From the executor writing an order to its fill being booked, by venue; the paper venue fills at the next minute's open, so about one minute of market time (a minute of wall time at speed 1)."
    );
    describe_histogram!(
        "qtrade_order_slippage_bps",
        "Fill price against the order's decision price (a fired stop or take-profit: its trigger), basis points, positive when worse for us, by venue."
    );
    describe_counter!(
        "qtrade_orders_total",
        "Orders the executor committed and sent, by venue."
    );
    describe_counter!("qtrade_fills_total", "Fills the executor booked, by venue.");
    describe_counter!(
        "qtrade_entry_signals_total",
        "Ranked entry signals the signal actor handed to the risk actor."
    );
    describe_counter!(
        "qtrade_entries_total",
        "Entry signals the risk actor gated, by decision (approved or rejected)."
    );
    describe_counter!(
        "qtrade_risk_halts_total",
        "Halts the risk actor raised (daily loss, drawdown, kill switch, reconciliation), by whether they flatten."
    );
    describe_counter!(
        "qtrade_journal_commits_total",
        "Trading journal commits (events and core snapshots written, flushed and fsynced before acting)."
    );
    describe_gauge!(
        "qtrade_portfolio_var",
        "One-day VaR of the open positions (worst of historical and parametric, 95% and 99%), USDT."
    );
    describe_gauge!(
        "qtrade_portfolio_var_limit",
        "The VaR limit: max_var_fraction times equity, USDT."
    );
    describe_counter!(
        "qtrade_rest_requests_total",
        "REST requests sent to the venue, by path."
    );
    describe_counter!(
        "qtrade_rest_rate_limited_total",
        "REST answers 429/418 from the venue (the limiter then waits Retry-After)."
    );
    describe_counter!(
        "qtrade_rest_limiter_waits_total",
        "Times the REST weight limiter held a request back to stay under the venue's limits."
    );
    describe_counter!(
        "qtrade_ws_connections_total",
        "Market WebSocket connections opened (first and reconnects)."
    );
    describe_counter!(
        "qtrade_ws_bad_messages_total",
        "Market WebSocket frames that did not parse, by kind; counted and dropped."
    );
    describe_counter!(
        "qtrade_ws_klines_backfilled_total",
        "Closed klines fetched over REST to fill a gap after a reconnect."
    );
    describe_counter!(
        "qtrade_ws_backfill_failures_total",
        "Gap fills over REST that failed (retried)."
    );
    describe_counter!(
        "qtrade_depth_snapshots_total",
        "Order-book REST snapshots taken by the depth client."
    );
    describe_counter!(
        "qtrade_depth_resyncs_total",
        "Order-book resyncs after a broken pu/u chain or a reconnect."
    );
    describe_counter!(
        "qtrade_depth_bad_messages_total",
        "Depth frames that did not parse; counted and dropped."
    );
    describe_counter!(
        "qtrade_user_stream_connections_total",
        "User-data stream connections opened."
    );
    describe_counter!(
        "qtrade_user_stream_bad_messages_total",
        "User-data frames that did not parse, by kind; counted and dropped."
    );
    describe_counter!(
        "qtrade_user_stream_duplicates_total",
        "User-data updates dropped as already delivered (stream or catch-up query)."
    );
    describe_counter!(
        "qtrade_user_stream_keepalives_total",
        "listenKey keepalives sent."
    );
    describe_counter!(
        "qtrade_user_stream_renewals_total",
        "listenKeys renewed (expired or refused)."
    );
    describe_counter!(
        "qtrade_selections_total",
        "Top-five selections, by whether every universe symbol had scored the minute (complete) or the next minute forced it."
    );
    describe_counter!(
        "qtrade_battery_check_total",
        "Batched battery results checked against the streaming values on the window-exact columns, by result (match or mismatch)."
    );
    describe_histogram!(
        "qtrade_dispatcher_batch_seconds",
        Unit::Seconds,
        "Time the GPU dispatcher's backend took for one batch of battery jobs."
    );
    describe_histogram!(
        "qtrade_dispatcher_batch_jobs",
        "Battery jobs per batch the GPU dispatcher ran."
    );
    describe_histogram!(
        "qtrade_dispatcher_queue_seconds",
        Unit::Seconds,
        "Wait of a batch's oldest battery job from its submission to the dispatcher starting the batch."
    );
    describe_histogram!(
        "qtrade_dispatcher_kernel_seconds",
        Unit::Seconds,
        "Kernel time of one batch on the GPU dispatcher's device (device backends only)."
    );
    describe_histogram!(
        "qtrade_dispatcher_transfer_seconds",
        Unit::Seconds,
        "Copy time of one batch between host and device, by direction (up, down; device backends only)."
    );
    describe_counter!(
        "qtrade_dispatcher_transfer_bytes_total",
        "Bytes copied between host and device by the GPU dispatcher, by direction (up, down)."
    );
    describe_gauge!(
        "qtrade_actor_mailbox_depth",
        "Messages sent to an actor and not yet handled."
    );
    describe_gauge!(
        "qtrade_actor_mailbox_capacity",
        "Mailbox capacity of an actor; a send to a full mailbox is a dead letter."
    );
    describe_counter!(
        "qtrade_actor_messages_handled_total",
        "Messages an actor handled."
    );
    describe_histogram!(
        "qtrade_actor_handle_seconds",
        Unit::Seconds,
        "Time an actor took to handle one message."
    );
    describe_counter!(
        "qtrade_actor_restarts_total",
        "Restarts of an actor after a failure."
    );
    describe_counter!(
        "qtrade_dead_letters_total",
        "Messages that could not be delivered to an actor (mailbox full or closed)."
    );
    describe_counter!(
        "qtrade_errors_total",
        "Errors by kind (dead letters, failed store writes)."
    );
    describe_gauge!(
        "qtrade_process_cpu_percent",
        "Process CPU use between two samples, percent of one core."
    );
    describe_gauge!(
        "qtrade_process_rss_bytes",
        Unit::Bytes,
        "Resident memory of the process."
    );
    describe_counter!("qtrade_alerts_total", "Alerts fired, by rule.");
    describe_gauge!("qtrade_universe_size", "Symbols in the qualified universe.");
}

/// Milliseconds since the epoch, wall clock.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A run id for an [`quantumtrade::events::EventIds`] source: the current
/// time in ms, but never one this process handed out before, so that the
/// node's several id sources (node, selector, alerts, trading) never mint
/// the same event id even when they start within one millisecond.
#[must_use]
pub fn unique_run_id() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(i64::MIN);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now_ms().max(last.saturating_add(1));
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// The statistics of one actor.
#[derive(Debug)]
pub struct ActorStat {
    name: String,
    kind: &'static str,
    symbol: Option<String>,
    capacity: usize,
    depth: AtomicI64,
    handled: AtomicU64,
    restarts: AtomicU64,
    last_activity_ms: AtomicI64,
    state: Mutex<String>,
    samples: Mutex<VecDeque<u64>>,
    dead_letters: DeadLetterSink,
    errors: Arc<AtomicU64>,
    outstanding: Arc<Outstanding>,
}

/// The node's work in progress, over all actors: messages sent and not
/// yet fully handled (counted up when sent, down when the handler has
/// returned, so a message sent from inside a handler is counted before the
/// one that caused it is taken off), plus work held outside a mailbox
/// ([`ActorStat::hold`]). One counter, so that it reads zero only when the
/// whole node has nothing left to do: the lockstep of a backtest
/// ([`Registry::idle`]) releases the next minute then.
#[derive(Debug, Default)]
pub struct Outstanding {
    count: AtomicI64,
    idle: tokio::sync::Notify,
}

impl Outstanding {
    fn up(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    fn down(&self) {
        if self.count.fetch_sub(1, Ordering::SeqCst) <= 1 {
            self.idle.notify_one();
        }
    }
}

/// Work in progress counted by [`ActorStat::hold`]; dropping it ends it.
#[derive(Debug)]
pub struct Held(Arc<Outstanding>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.down();
    }
}

/// Where dead letters go: the store's `dead_letters` tree once it is open.
type DeadLetterSink = Arc<OnceLock<Arc<DeadLetterLog>>>;

/// One actor as `/actors` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ActorView {
    /// Unique name.
    pub name: String,
    /// Actor type.
    pub kind: &'static str,
    /// Symbol, for per-symbol actors.
    pub symbol: Option<String>,
    /// Messages sent and not yet handled.
    pub mailbox_depth: i64,
    /// Mailbox capacity (back-pressure threshold).
    pub mailbox_capacity: usize,
    /// Messages handled.
    pub handled: u64,
    /// Median handling time of the recent messages, µs.
    pub handle_p50_us: u64,
    /// 99th percentile handling time of the recent messages, µs.
    pub handle_p99_us: u64,
    /// Restarts after a failure.
    pub restarts: u64,
    /// Wall-clock ms of the last handled message (0 before any).
    pub last_activity_ms: i64,
    /// A one-line summary of the actor's state.
    pub state: String,
}

impl ActorStat {
    /// The actor's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Restarts so far.
    #[must_use]
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Records a message meant for this actor that could not be delivered:
    /// takes it back off the depth count, counts it in
    /// `qtrade_dead_letters_total{target}` and appends it to the
    /// dead-letter tree (when the store is open).
    pub fn dead_letter(&self, message: String, reason: DeadLetterReason) {
        self.depth.fetch_sub(1, Ordering::Relaxed);
        self.outstanding.down();
        self.error("dead_letter");
        metrics::counter!("qtrade_dead_letters_total", "target" => self.name.clone()).increment(1);
        let letter = DeadLetter {
            target: self.name.clone(),
            message,
            reason,
            ts: now_ms(),
        };
        match self.dead_letters.get() {
            Some(log) => {
                if let Err(e) = log.record(&letter) {
                    eprintln!("qtrade: cannot record dead letter {letter}: {e}");
                }
            }
            None => eprintln!("qtrade: dead letter before the store opened: {letter}"),
        }
    }

    /// Counts work this actor does outside its mailbox (a batch in flight,
    /// an actor starting up) as the node's work in progress until the
    /// returned guard is dropped (also when the future or actor holding it
    /// is dropped by a restart, so nothing waits for work that is gone).
    #[must_use]
    pub fn hold(&self) -> Held {
        self.outstanding.up();
        Held(Arc::clone(&self.outstanding))
    }

    /// Records a message put into the mailbox.
    pub fn enqueued(&self) {
        self.outstanding.up();
        let d = self.depth.fetch_add(1, Ordering::Relaxed) + 1;
        #[expect(clippy::cast_precision_loss, reason = "a gauge of a small count")]
        metrics::gauge!("qtrade_actor_mailbox_depth", "actor" => self.name.clone()).set(d as f64);
    }

    /// Runs one message's work: takes it off the depth count, times it, and
    /// catches a panic. `None` means the work panicked: the caller stops the
    /// actor so its supervisor restarts it.
    pub fn run<R>(&self, work: impl FnOnce() -> R) -> Option<R> {
        let d = (self.depth.fetch_sub(1, Ordering::Relaxed) - 1).max(0);
        if d == 0 {
            self.depth.fetch_max(0, Ordering::Relaxed);
        }
        let start = Instant::now();
        let out = catch_unwind(AssertUnwindSafe(work)).ok();
        // After the work: what it sent is counted already.
        self.outstanding.down();
        let took = start.elapsed();
        self.handled.fetch_add(1, Ordering::Relaxed);
        self.last_activity_ms.store(now_ms(), Ordering::Relaxed);
        {
            let mut s = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
            if s.len() == SAMPLES {
                s.pop_front();
            }
            s.push_back(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        }
        let label = ("actor", self.name.clone());
        #[expect(clippy::cast_precision_loss, reason = "a gauge of a small count")]
        metrics::gauge!("qtrade_actor_mailbox_depth", std::slice::from_ref(&label)).set(d as f64);
        metrics::counter!(
            "qtrade_actor_messages_handled_total",
            std::slice::from_ref(&label)
        )
        .increment(1);
        metrics::histogram!("qtrade_actor_handle_seconds", &[label]).record(took.as_secs_f64());
        out
    }

    /// Counts an error of `kind` (`qtrade_errors_total{kind}`, and the
    /// node-wide count the error-rate alert reads).
    pub fn error(&self, kind: &'static str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("qtrade_errors_total", "kind" => kind).increment(1);
    }

    /// Records a restart.
    pub fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("qtrade_actor_restarts_total", "actor" => self.name.clone()).increment(1);
    }

    /// Sets the state summary.
    pub fn set_state(&self, s: String) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = s;
    }

    /// A snapshot for `/actors`.
    #[must_use]
    pub fn view(&self) -> ActorView {
        let mut s: Vec<u64> = self
            .samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        s.sort_unstable();
        let q = |p: usize| {
            s.get((s.len().saturating_sub(1)) * p / 100)
                .copied()
                .unwrap_or(0)
        };
        ActorView {
            name: self.name.clone(),
            kind: self.kind,
            symbol: self.symbol.clone(),
            mailbox_depth: self.depth.load(Ordering::Relaxed).max(0),
            mailbox_capacity: self.capacity,
            handled: self.handled.load(Ordering::Relaxed),
            handle_p50_us: q(50),
            handle_p99_us: q(99),
            restarts: self.restarts(),
            last_activity_ms: self.last_activity_ms.load(Ordering::Relaxed),
            state: self
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

/// Every actor's statistics, by name.
#[derive(Debug, Default)]
pub struct Registry {
    actors: Mutex<BTreeMap<String, Arc<ActorStat>>>,
    dead_letters: DeadLetterSink,
    errors: Arc<AtomicU64>,
    outstanding: Arc<Outstanding>,
}

/// The kinds of `qtrade_errors_total`, exported at 0 from the start so
/// that rules over it see a series.
pub const ERROR_KINDS: [&str; 2] = ["dead_letter", "store_append"];

impl Registry {
    /// Errors counted so far ([`ActorStat::error`]).
    #[must_use]
    pub fn errors_total(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Sends every actor's dead letters to `log` from now on (first call
    /// wins).
    pub fn set_dead_letters(&self, log: Arc<DeadLetterLog>) {
        let _ = self.dead_letters.set(log);
    }

    /// Registers an actor (or returns the statistics it already has).
    pub fn register(
        &self,
        name: String,
        kind: &'static str,
        symbol: Option<String>,
        capacity: usize,
    ) -> Arc<ActorStat> {
        let mut map = self.actors.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(name.clone()).or_insert_with(|| {
            metrics::counter!("qtrade_actor_restarts_total", "actor" => name.clone()).absolute(0);
            #[expect(clippy::cast_precision_loss, reason = "a gauge of a small count")]
            metrics::gauge!("qtrade_actor_mailbox_capacity", "actor" => name.clone())
                .set(capacity as f64);
            Arc::new(ActorStat {
                name,
                kind,
                symbol,
                capacity,
                depth: AtomicI64::new(0),
                handled: AtomicU64::new(0),
                restarts: AtomicU64::new(0),
                last_activity_ms: AtomicI64::new(0),
                state: Mutex::new(String::new()),
                samples: Mutex::new(VecDeque::new()),
                dead_letters: Arc::clone(&self.dead_letters),
                errors: Arc::clone(&self.errors),
                outstanding: Arc::clone(&self.outstanding),
            })
        }))
    }

    /// Forgets a stopped actor.
    pub fn remove(&self, name: &str) {
        self.actors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        metrics::gauge!("qtrade_actor_mailbox_depth", "actor" => name.to_owned()).set(0.0);
    }

    /// Messages sent to any actor and not yet handled.
    #[must_use]
    pub fn total_depth(&self) -> i64 {
        self.actors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|s| s.depth.load(Ordering::Relaxed).max(0))
            .sum()
    }

    /// The node's work in progress ([`Outstanding`]).
    #[must_use]
    pub fn outstanding(&self) -> i64 {
        self.outstanding.count.load(Ordering::SeqCst)
    }

    /// Waits until the whole node is idle: every message sent handled and
    /// no held work left ([`Outstanding`]). Woken by the counter reaching
    /// zero, never by a timer.
    pub async fn idle(&self) {
        loop {
            let woken = self.outstanding.idle.notified();
            if self.outstanding() <= 0 {
                return;
            }
            woken.await;
        }
    }

    /// Every actor, by name.
    #[must_use]
    pub fn views(&self) -> Vec<ActorView> {
        self.actors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|s| s.view())
            .collect()
    }
}

/// Runs one message's work under `stat` ([`ActorStat::run`]) and stops the
/// actor when the work panicked, so that its supervisor restarts it.
pub fn run_or_stop<A>(stat: Arc<ActorStat>, ctx: &mut actix::Context<A>, work: impl FnOnce())
where
    A: Actor<Context = actix::Context<A>>,
{
    if stat.run(work).is_none() {
        actix::ActorContext::stop(ctx);
    }
}

/// An actor's address with its statistics: sending counts the mailbox depth.
#[derive(Debug)]
pub struct Tracked<A: Actor> {
    /// The address.
    pub addr: Addr<A>,
    /// The actor's statistics.
    pub stat: Arc<ActorStat>,
}

impl<A: Actor> Clone for Tracked<A> {
    fn clone(&self) -> Self {
        Self {
            addr: self.addr.clone(),
            stat: Arc::clone(&self.stat),
        }
    }
}

impl<A: Actor> Tracked<A> {
    /// Sends without waiting for the outcome. A message the actor cannot
    /// take (mailbox at capacity, or the actor stopped) becomes a dead
    /// letter ([`ActorStat::dead_letter`]).
    pub fn send<M>(&self, msg: M)
    where
        A: Handler<M>,
        M: Message + Send + 'static,
        M::Result: Send,
        A::Context: ToEnvelope<A, M>,
    {
        self.stat.enqueued();
        let (msg, reason) = match self.addr.try_send(msg) {
            Ok(()) => return,
            Err(SendError::Full(m)) => (m, DeadLetterReason::MailboxFull),
            Err(SendError::Closed(m)) => (m, DeadLetterReason::MailboxClosed),
        };
        self.stat.dead_letter(describe(&msg), reason);
    }

    /// Sends and waits for the reply.
    ///
    /// # Errors
    /// When the actor is gone.
    pub async fn ask<M>(&self, msg: M) -> Result<M::Result, actix::MailboxError>
    where
        A: Handler<M>,
        M: Message + Send + 'static,
        M::Result: Send,
        A::Context: ToEnvelope<A, M>,
    {
        self.stat.enqueued();
        self.addr.send(msg).await
    }
}

/// A one-line description of an undelivered message: its type (without
/// the module path) and, for an event-store append, the event it carried.
fn describe<M: Any>(msg: &M) -> String {
    let any: &dyn Any = msg;
    if let Some(Append(e)) = any.downcast_ref::<Append>() {
        return format!("Append({} {} {})", e.kind(), e.payload.variant(), e.meta.id);
    }
    let name = std::any::type_name::<M>();
    name.rsplit("::").next().unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_node_is_idle_only_once_sent_work_is_handled_and_held_work_released() {
        let reg = Arc::new(Registry::default());
        let a = reg.register("a".into(), "A", None, 8);
        let b = reg.register("b".into(), "B", None, 8);
        reg.idle().await;
        a.enqueued();
        assert_eq!(reg.outstanding(), 1);
        // A handler that sends on: the work moves, it never drops to zero.
        a.run(|| {
            b.enqueued();
            assert_eq!(reg.outstanding(), 2);
        });
        assert_eq!(reg.outstanding(), 1);
        let held = b.hold();
        b.run(|| ());
        assert_eq!(reg.outstanding(), 1);
        let waiter = tokio::spawn({
            let reg = Arc::clone(&reg);
            async move { reg.idle().await }
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished(), "idle while a batch is held");
        drop(held);
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("idle once the held work is released")
            .unwrap();
        assert_eq!(reg.outstanding(), 0);
        // A dead letter ends the work its send started.
        a.enqueued();
        a.dead_letter("Ping".into(), DeadLetterReason::MailboxClosed);
        assert_eq!(reg.outstanding(), 0);
    }

    #[test]
    fn run_ids_never_repeat_across_threads() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..2_000).map(|_| unique_run_id()).collect::<Vec<_>>()))
            .collect();
        let mut all: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}

//! IndicatorActor: gathers battery jobs from the symbol actors and submits
//! them to the [`GpuDispatcher`] in batches (every symbol's 5m candle closes
//! in the same minute, so one batch carries them all), then hands each
//! result back to the symbol that asked.

use super::dispatcher::{GpuDispatcher, RunBatch};
use super::telemetry::{ActorStat, Tracked};
use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Context, Handler, Message, Recipient,
    WrapFuture,
};
use quantumtrade::node::battery_batch::{BatteryJob, BatteryResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A batch result for a symbol actor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct BatteryComputed(pub BatteryResult);

/// Where a result goes: the symbol actor's recipient and its statistics
/// (so its mailbox depth counts the message).
#[derive(Clone)]
pub struct ReplyTo {
    /// The recipient.
    pub recipient: Recipient<BatteryComputed>,
    /// Its statistics.
    pub stat: Arc<ActorStat>,
}

/// A job to batch.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Submit(pub BatteryJob, pub ReplyTo);

/// The indicator actor.
pub struct IndicatorActor {
    dispatcher: Tracked<GpuDispatcher>,
    every: Duration,
    max_batch: usize,
    /// Jobs waiting, with when each was submitted.
    pending: Vec<(BatteryJob, ReplyTo, Instant)>,
    in_flight: bool,
    stat: Arc<ActorStat>,
    submitted: u64,
}

impl IndicatorActor {
    /// Flushes every `every`, or at once when `max_batch` jobs wait.
    #[must_use]
    pub fn new(
        dispatcher: Tracked<GpuDispatcher>,
        every: Duration,
        max_batch: usize,
        stat: Arc<ActorStat>,
    ) -> Self {
        Self {
            dispatcher,
            every,
            max_batch: max_batch.max(1),
            pending: Vec::new(),
            in_flight: false,
            stat,
            submitted: 0,
        }
    }

    /// Sends the waiting jobs as one batch (one batch in flight at a time,
    /// so a slow device backs jobs up here, visibly, not in its mailbox).
    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.in_flight || self.pending.is_empty() {
            return;
        }
        let take = self.pending.len().min(self.max_batch);
        let batch: Vec<(BatteryJob, ReplyTo, Instant)> = self.pending.drain(..take).collect();
        let oldest = batch.iter().map(|b| b.2).min().unwrap_or_else(Instant::now);
        let (jobs, replies): (Vec<BatteryJob>, Vec<ReplyTo>) =
            batch.into_iter().map(|(j, r, _)| (j, r)).unzip();
        self.in_flight = true;
        // Work in progress until the results are sent back.
        let held = self.stat.hold();
        self.submitted += jobs.len() as u64;
        let dispatcher = self.dispatcher.clone();
        ctx.spawn(
            async move { dispatcher.ask(RunBatch(jobs, oldest)).await }
                .into_actor(self)
                .map(move |res, act, ctx| {
                    act.in_flight = false;
                    match res {
                        Ok(results) if results.len() == replies.len() => {
                            for (r, to) in results.into_iter().zip(replies) {
                                to.stat.enqueued();
                                to.recipient.do_send(BatteryComputed(r));
                            }
                        }
                        _ => {
                            metrics::counter!("qtrade_errors_total", "kind" => "battery_batch_lost")
                                .increment(replies.len() as u64);
                        }
                    }
                    act.stat.set_state(format!(
                        "submitted {} waiting {}",
                        act.submitted,
                        act.pending.len()
                    ));
                    if act.pending.len() >= act.max_batch {
                        act.flush(ctx);
                    }
                    // Released after the results are sent (counted there).
                    drop(held);
                }),
        );
    }
}

impl Actor for IndicatorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.every, |act, ctx| act.flush(ctx));
    }
}

impl actix::Supervised for IndicatorActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        self.in_flight = false;
    }
}

impl Handler<Submit> for IndicatorActor {
    type Result = ();

    fn handle(&mut self, msg: Submit, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        // Flushed inside the handled work, so a batch it starts is held
        // before this message stops being work in progress.
        let ok = stat.run(|| {
            self.pending.push((msg.0, msg.1, Instant::now()));
            if self.pending.len() >= self.max_batch {
                self.flush(ctx);
            }
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::dispatcher::GpuDispatcher;
    use crate::node::telemetry::Registry;
    use quantumtrade::market::random_walk::random_walk;
    use quantumtrade::market::{Interval, Symbol};
    use quantumtrade::node::battery_batch::{BatteryBackend, CpuBackend};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The CPU backend, noting the size of every batch it is given.
    struct Recording(Arc<Mutex<Vec<usize>>>);

    impl BatteryBackend for Recording {
        fn name(&self) -> &'static str {
            "cpu"
        }

        fn run(&mut self, jobs: &[BatteryJob]) -> Vec<BatteryResult> {
            self.0.lock().unwrap().push(jobs.len());
            CpuBackend.run(jobs)
        }
    }

    /// A symbol actor's stand-in: counts the results it is sent.
    struct Sink(Arc<AtomicUsize>);

    impl Actor for Sink {
        type Context = Context<Self>;
    }

    impl Handler<BatteryComputed> for Sink {
        type Result = ();

        fn handle(&mut self, _: BatteryComputed, _: &mut Context<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Submits `jobs` jobs to an indicator actor flushing every `every` or
    /// at `max_batch`; returns the batch sizes the dispatcher ran once every
    /// result came back (panics after 10 s).
    fn batches(jobs: usize, every: Duration, max_batch: usize) -> Vec<usize> {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let got = Arc::new(AtomicUsize::new(0));
        let (s, g) = (Arc::clone(&sizes), Arc::clone(&got));
        actix::System::new().block_on(async move {
            let registry = Registry::default();
            let ds = registry.register("dispatcher".into(), "GpuDispatcher", None, 64);
            let ds2 = Arc::clone(&ds);
            let dispatcher = Tracked {
                addr: actix::SyncArbiter::start(1, move || {
                    GpuDispatcher::new(Box::new(Recording(Arc::clone(&s))), Arc::clone(&ds2))
                }),
                stat: ds,
            };
            let is = registry.register("indicators".into(), "IndicatorActor", None, 64);
            let indicators = IndicatorActor::new(dispatcher, every, max_batch, is).start();
            let reply = ReplyTo {
                recipient: Sink(Arc::clone(&g)).start().recipient(),
                stat: registry.register("sink".into(), "SymbolActor", None, 64),
            };
            for k in 0..jobs {
                let job = BatteryJob {
                    symbol: Symbol::new(&format!("S{k}USDT")).unwrap(),
                    timeframe: Interval::M5,
                    candles: random_walk(3, k as u64, 40, 0),
                };
                indicators.send(Submit(job, reply.clone())).await.unwrap();
            }
            for _ in 0..1000 {
                if g.load(Ordering::SeqCst) == jobs {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        assert_eq!(got.load(Ordering::SeqCst), jobs, "every result came back");
        sizes.lock().unwrap().clone()
    }

    #[test]
    fn a_full_batch_goes_at_once_and_the_rest_when_the_window_ends() {
        // A window far longer than the ten submissions take: the first
        // four go as soon as they wait, the last two with the window.
        let sizes = batches(10, Duration::from_millis(500), 4);
        assert_eq!(sizes.iter().sum::<usize>(), 10, "{sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 4), "{sizes:?}");
        assert_eq!(sizes[0], 4, "{sizes:?}");
        assert!(sizes.len() >= 3, "{sizes:?}");
    }

    #[test]
    fn a_lone_job_goes_when_the_window_ends() {
        assert_eq!(batches(1, Duration::from_millis(20), 512), vec![1]);
    }
}

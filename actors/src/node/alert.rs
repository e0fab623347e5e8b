//! AlertActor: every `alerts.sample_seconds` samples the process (CPU and
//! resident memory from `/proc/self`) and the actors (fullest mailbox,
//! slowest p99, restarts, errors), exports the process gauges, and hands
//! the sample to [`AlertRules`]; each alert fired is appended to the event
//! store, logged on stderr and counted in `qtrade_alerts_total{rule}`.

use super::store::{Append, EventStore};
use super::telemetry::{ActorStat, Registry, Tracked, now_ms};
use super::trading::TradingGauges;
use actix::{Actor, ActorContext, AsyncContext, Context, Supervised};
use quantumtrade::events::EventIds;
use quantumtrade::node::alert_rules::{AlertConfig, AlertRules, Measurements, Rule};
use quantumtrade::node::process_stats::{cpu_percent, cpu_ticks, rss_bytes};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The alert actor.
pub struct AlertActor {
    rules: AlertRules,
    every: Duration,
    registry: Arc<Registry>,
    store: Tracked<EventStore>,
    gauges: Arc<TradingGauges>,
    ids: EventIds,
    stat: Arc<ActorStat>,
    last_cpu: Option<(Instant, u64)>,
}

impl AlertActor {
    /// An alert actor with thresholds `cfg`.
    #[must_use]
    pub fn new(
        cfg: AlertConfig,
        registry: Arc<Registry>,
        store: Tracked<EventStore>,
        gauges: Arc<TradingGauges>,
        stat: Arc<ActorStat>,
    ) -> Self {
        for rule in Rule::ALL {
            metrics::counter!("qtrade_alerts_total", "rule" => rule.as_str()).absolute(0);
        }
        Self {
            rules: AlertRules::new(cfg),
            every: Duration::from_secs_f64(cfg.sample_seconds),
            registry,
            store,
            gauges,
            ids: EventIds::new(super::telemetry::unique_run_id()),
            stat,
            last_cpu: None,
        }
    }

    /// One sample of the process and the actors.
    fn measure(&mut self) -> Measurements {
        let now = Instant::now();
        let ticks = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| cpu_ticks(&s));
        let cpu = match (ticks, self.last_cpu) {
            (Some(t), Some((at, before))) => {
                cpu_percent(t.saturating_sub(before), (now - at).as_secs_f64())
            }
            _ => None,
        };
        if let Some(t) = ticks {
            self.last_cpu = Some((now, t));
        }
        #[expect(clippy::cast_precision_loss, reason = "bytes as a gauge")]
        let rss = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| rss_bytes(&s))
            .map(|b| b as f64);
        if let Some(c) = cpu {
            metrics::gauge!("qtrade_process_cpu_percent").set(c);
        }
        if let Some(r) = rss {
            metrics::gauge!("qtrade_process_rss_bytes").set(r);
        }
        let mut m = Measurements {
            ts_ms: now_ms(),
            cpu_percent: cpu,
            rss_bytes: rss,
            errors_total: self.registry.errors_total(),
            order_latency_p95_ms: self.gauges.order_latency_p95_ms(),
            var_ratio: self.gauges.var_ratio(),
            ..Measurements::default()
        };
        for v in self.registry.views() {
            m.restarts_total += v.restarts;
            if v.mailbox_capacity > 0 {
                #[expect(clippy::cast_precision_loss, reason = "small counts")]
                let f = v.mailbox_depth as f64 / v.mailbox_capacity as f64;
                if m.mailbox.as_ref().is_none_or(|(_, w)| f > *w) {
                    m.mailbox = Some((v.name.clone(), f));
                }
            }
            #[expect(clippy::cast_precision_loss, reason = "µs of one message")]
            let ms = v.handle_p99_us as f64 / 1000.0;
            if m.latency.as_ref().is_none_or(|(_, w)| ms > *w) {
                m.latency = Some((v.name, ms));
            }
        }
        m
    }

    fn sample(&mut self) {
        let m = self.measure();
        let fired = self.rules.evaluate(&m);
        for f in &fired {
            eprintln!(
                "qtrade: alert {} ({:?}): {}",
                f.rule, f.alert.severity, f.alert.message
            );
            metrics::counter!("qtrade_alerts_total", "rule" => f.rule.as_str()).increment(1);
            let ev = self.ids.event(f.alert.clone(), m.ts_ms, None, None);
            self.store.send(Append(ev));
        }
        self.stat.set_state(format!(
            "cpu {} rss {} active {}",
            m.cpu_percent.map_or("-".into(), |c| format!("{c:.1}%")),
            m.rss_bytes
                .map_or("-".into(), |r| format!("{:.0}MiB", r / 1_048_576.0)),
            Rule::ALL
                .iter()
                .filter(|r| self.rules.is_active(**r))
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        self.stat.enqueued();
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.sample()).is_none() {
            ctx.stop();
        }
    }
}

impl Actor for AlertActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.tick(ctx);
        ctx.run_interval(self.every, |act, ctx| act.tick(ctx));
    }
}

impl Supervised for AlertActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
    }
}

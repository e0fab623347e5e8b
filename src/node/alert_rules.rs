//! The node's alert rules: a snapshot of measurements (CPU, memory,
//! mailboxes, restarts, latency, errors) checked against thresholds, with
//! hysteresis: a rule fires once when its value goes over its threshold and
//! fires again only after the value came back to `clear_ratio` × threshold
//! or below. Pure: the alert actor samples, this decides.

use crate::events::{Alert, AlertKind, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// Thresholds; every one is a config key (`[alerts]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertConfig {
    /// Seconds between two samples of the process and its actors.
    pub sample_seconds: f64,
    /// Process CPU use, percent of one core, over which `cpu` fires.
    pub cpu_percent: f64,
    /// Resident memory, bytes, over which `memory` fires.
    pub memory_bytes: f64,
    /// Fraction of an actor's mailbox capacity over which `mailbox` fires.
    pub mailbox_fraction: f64,
    /// Actor restarts within `window_seconds` over which `restarts` fires.
    pub restarts: f64,
    /// 99th-percentile message handling time of the slowest actor, ms,
    /// over which `latency` fires.
    pub latency_ms: f64,
    /// Errors per minute (averaged over `window_seconds`) over which
    /// `error_rate` fires.
    pub errors_per_minute: f64,
    /// p95 of the recent orders' signal-to-order latency over this (ms)
    /// raises PERFORMANCE_DEGRADATION.
    pub order_latency_ms: f64,
    /// The window of the `restarts` and `error_rate` rules, seconds.
    pub window_seconds: f64,
    /// Hysteresis: a fired rule clears when its value is at or below this
    /// fraction of its threshold (0..=1).
    pub clear_ratio: f64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            sample_seconds: 5.0,
            cpu_percent: 80.0,
            memory_bytes: 2.0 * 1024.0 * 1024.0 * 1024.0,
            mailbox_fraction: 0.8,
            restarts: 2.0,
            latency_ms: 50.0,
            errors_per_minute: 10.0,
            order_latency_ms: 1000.0,
            window_seconds: 300.0,
            clear_ratio: 0.9,
        }
    }
}

impl AlertConfig {
    /// The problems with these values (empty when valid).
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let positive = [
            ("sample_seconds", self.sample_seconds),
            ("window_seconds", self.window_seconds),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                p.push(format!("alerts.{k} must be > 0"));
            }
        }
        let non_negative = [
            ("cpu_percent", self.cpu_percent),
            ("memory_bytes", self.memory_bytes),
            ("mailbox_fraction", self.mailbox_fraction),
            ("restarts", self.restarts),
            ("latency_ms", self.latency_ms),
            ("errors_per_minute", self.errors_per_minute),
            ("order_latency_ms", self.order_latency_ms),
        ];
        for (k, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                p.push(format!("alerts.{k} must be >= 0"));
            }
        }
        if !(0.0..=1.0).contains(&self.clear_ratio) {
            p.push("alerts.clear_ratio must be within 0..=1".to_owned());
        }
        p
    }
}

/// One rule (the `rule` label of `qtrade_alerts_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// Process CPU use.
    Cpu,
    /// Resident memory.
    Memory,
    /// Fullest mailbox relative to its capacity.
    Mailbox,
    /// Actor restarts in the window.
    Restarts,
    /// Slowest actor's p99 handling time.
    Latency,
    /// Errors per minute over the window.
    ErrorRate,
    /// p95 signal-to-order latency (PERFORMANCE_DEGRADATION).
    OrderLatency,
    /// Portfolio one-day VaR over its limit (RISK_LIMIT_BREACH, critical):
    /// the value is VaR / limit, the threshold 1.
    Var,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 8] = [
        Self::Cpu,
        Self::Memory,
        Self::Mailbox,
        Self::Restarts,
        Self::Latency,
        Self::ErrorRate,
        Self::OrderLatency,
        Self::Var,
    ];

    /// Lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Mailbox => "mailbox",
            Self::Restarts => "restarts",
            Self::Latency => "latency",
            Self::ErrorRate => "error_rate",
            Self::OrderLatency => "order_latency",
            Self::Var => "var",
        }
    }

    fn kind(self) -> AlertKind {
        match self {
            Self::Cpu => AlertKind::HighCpu,
            Self::Memory => AlertKind::HighMemory,
            Self::Mailbox => AlertKind::MailboxBacklog,
            Self::Restarts => AlertKind::ActorFailure,
            Self::Latency => AlertKind::PerformanceDegradation,
            Self::ErrorRate => AlertKind::ErrorRate,
            Self::OrderLatency => AlertKind::PerformanceDegradation,
            Self::Var => AlertKind::RiskLimitBreach,
        }
    }

    fn threshold(self, c: &AlertConfig) -> f64 {
        match self {
            Self::Cpu => c.cpu_percent,
            Self::Memory => c.memory_bytes,
            Self::Mailbox => c.mailbox_fraction,
            Self::Restarts => c.restarts,
            Self::Latency => c.latency_ms,
            Self::ErrorRate => c.errors_per_minute,
            Self::OrderLatency => c.order_latency_ms,
            Self::Var => 1.0,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sample of what the rules look at. `None`: not measured this time
/// (the rule keeps its state).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    /// Time of the sample, ms.
    pub ts_ms: i64,
    /// Process CPU use, percent of one core.
    pub cpu_percent: Option<f64>,
    /// Resident memory, bytes.
    pub rss_bytes: Option<f64>,
    /// The fullest mailbox: actor name and depth / capacity.
    pub mailbox: Option<(String, f64)>,
    /// Restarts of all actors so far (a counter).
    pub restarts_total: u64,
    /// The slowest actor: name and its p99 handling time, ms.
    pub latency: Option<(String, f64)>,
    /// p95 of the recent orders' signal-to-order latency, ms.
    pub order_latency_p95_ms: Option<f64>,
    /// Portfolio one-day VaR as a fraction of its limit.
    pub var_ratio: Option<f64>,
    /// Errors so far (a counter).
    pub errors_total: u64,
}

/// A fired alert and the rule that fired it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The rule.
    pub rule: Rule,
    /// The alert.
    pub alert: Alert,
}

/// The rules' state: which are active, and recent counter samples.
#[derive(Debug, Clone)]
pub struct AlertRules {
    cfg: AlertConfig,
    active: BTreeMap<Rule, bool>,
    counters: VecDeque<(i64, u64, u64)>,
}

impl AlertRules {
    /// Rules with thresholds `cfg`, none active.
    #[must_use]
    pub fn new(cfg: AlertConfig) -> Self {
        Self {
            cfg,
            active: BTreeMap::new(),
            counters: VecDeque::new(),
        }
    }

    /// Whether `rule` has fired and not cleared.
    #[must_use]
    pub fn is_active(&self, rule: Rule) -> bool {
        self.active.get(&rule).copied().unwrap_or(false)
    }

    /// Increase of (restarts, errors) over the window ending at `m`, and
    /// the window's length in minutes.
    fn increases(&mut self, m: &Measurements) -> (f64, f64, f64) {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a window of seconds in ms fits"
        )]
        let window_ms = (self.cfg.window_seconds * 1000.0) as i64;
        self.counters
            .push_back((m.ts_ms, m.restarts_total, m.errors_total));
        // Keep one sample at or before the window's start as the base.
        while self.counters.len() > 1 && self.counters[1].0 <= m.ts_ms - window_ms {
            self.counters.pop_front();
        }
        let (t0, r0, e0) = self.counters[0];
        #[expect(clippy::cast_precision_loss, reason = "counts and ms are small")]
        let out = (
            m.restarts_total.saturating_sub(r0) as f64,
            m.errors_total.saturating_sub(e0) as f64,
            ((m.ts_ms - t0) as f64 / 60_000.0).max(self.cfg.window_seconds / 60.0),
        );
        out
    }

    /// Checks one sample; returns the rules that fire now (went over their
    /// threshold while not active).
    pub fn evaluate(&mut self, m: &Measurements) -> Vec<Fired> {
        let (restarts, errors, minutes) = self.increases(m);
        let values: [(Rule, Option<f64>, String); 8] = [
            (Rule::Cpu, m.cpu_percent, "process".to_owned()),
            (Rule::Memory, m.rss_bytes, "process".to_owned()),
            (
                Rule::Mailbox,
                m.mailbox.as_ref().map(|(_, f)| *f),
                m.mailbox
                    .as_ref()
                    .map(|(a, _)| a.clone())
                    .unwrap_or_default(),
            ),
            (Rule::Restarts, Some(restarts), "actors".to_owned()),
            (
                Rule::Latency,
                m.latency.as_ref().map(|(_, l)| *l),
                m.latency
                    .as_ref()
                    .map(|(a, _)| a.clone())
                    .unwrap_or_default(),
            ),
            (Rule::ErrorRate, Some(errors / minutes), "node".to_owned()),
            (
                Rule::OrderLatency,
                m.order_latency_p95_ms,
                "orders (p95 ms)".to_owned(),
            ),
            (Rule::Var, m.var_ratio, "portfolio VaR / limit".to_owned()),
        ];
        let mut fired = Vec::new();
        for (rule, value, subject) in values {
            let Some(v) = value else { continue };
            let threshold = rule.threshold(&self.cfg);
            let active = self.active.entry(rule).or_insert(false);
            if !*active && v > threshold {
                *active = true;
                fired.push(Fired {
                    rule,
                    alert: Alert {
                        kind: rule.kind(),
                        severity: if matches!(rule, Rule::Restarts | Rule::Var) {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        value: v,
                        threshold,
                        message: format!("{rule} {subject}: {v:.3} > {threshold}"),
                    },
                });
            } else if *active && v <= threshold * self.cfg.clear_ratio {
                *active = false;
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slow_orders_and_a_var_breach_raise_their_seed_alerts() {
        let mut r = AlertRules::new(AlertConfig::default());
        let m = |lat: f64, var: f64| Measurements {
            ts_ms: 0,
            order_latency_p95_ms: Some(lat),
            var_ratio: Some(var),
            ..Measurements::default()
        };
        assert!(r.evaluate(&m(900.0, 0.9)).is_empty());
        let f = r.evaluate(&m(1200.0, 1.3));
        let kinds: Vec<(Rule, AlertKind, Severity)> = f
            .iter()
            .map(|f| (f.rule, f.alert.kind, f.alert.severity))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    Rule::OrderLatency,
                    AlertKind::PerformanceDegradation,
                    Severity::Warning
                ),
                (Rule::Var, AlertKind::RiskLimitBreach, Severity::Critical),
            ]
        );
        // Once until they clear.
        assert!(r.evaluate(&m(1500.0, 2.0)).is_empty());
    }

    fn cpu(ts: i64, v: f64) -> Measurements {
        Measurements {
            ts_ms: ts,
            cpu_percent: Some(v),
            ..Measurements::default()
        }
    }

    #[test]
    fn fires_once_until_it_clears() {
        let mut r = AlertRules::new(AlertConfig::default());
        assert!(r.evaluate(&cpu(0, 50.0)).is_empty());
        let f = r.evaluate(&cpu(1, 91.0));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, Rule::Cpu);
        assert_eq!(f[0].alert.kind, AlertKind::HighCpu);
        assert_eq!(f[0].alert.threshold, 80.0);
        assert!(r.evaluate(&cpu(2, 95.0)).is_empty());
        // 75 is under 80 but above the clear level 72: still active.
        assert!(r.evaluate(&cpu(3, 75.0)).is_empty());
        assert!(r.evaluate(&cpu(4, 85.0)).is_empty());
        assert!(r.evaluate(&cpu(5, 70.0)).is_empty());
        assert!(!r.is_active(Rule::Cpu));
        assert_eq!(r.evaluate(&cpu(6, 81.0)).len(), 1);
    }

    #[test]
    fn restarts_and_errors_count_within_the_window() {
        let cfg = AlertConfig {
            restarts: 2.0,
            errors_per_minute: 1.0,
            window_seconds: 60.0,
            ..AlertConfig::default()
        };
        let mut r = AlertRules::new(cfg);
        let at = |ts: i64, restarts: u64, errors: u64| Measurements {
            ts_ms: ts,
            restarts_total: restarts,
            errors_total: errors,
            ..Measurements::default()
        };
        assert!(r.evaluate(&at(0, 0, 0)).is_empty());
        assert!(r.evaluate(&at(10_000, 2, 1)).is_empty());
        let f = r.evaluate(&at(20_000, 3, 2));
        let rules: Vec<Rule> = f.iter().map(|f| f.rule).collect();
        assert_eq!(rules, [Rule::Restarts, Rule::ErrorRate]);
        assert_eq!(f[0].alert.severity, Severity::Critical);
        // Two minutes later nothing happened in the window: both clear.
        assert!(r.evaluate(&at(140_000, 3, 2)).is_empty());
        assert!(!r.is_active(Rule::Restarts) && !r.is_active(Rule::ErrorRate));
    }

    #[test]
    fn shipped_defaults_are_valid() {
        assert!(AlertConfig::default().problems().is_empty());
        let bad = AlertConfig {
            clear_ratio: 2.0,
            sample_seconds: 0.0,
            ..AlertConfig::default()
        };
        assert_eq!(bad.problems().len(), 2);
    }

    proptest! {
        /// Over any series, a rule fires exactly when its value is over
        /// the threshold and it has not fired since the value last came
        /// down to the clear level.
        #[test]
        fn hysteresis(values in prop::collection::vec(0.0f64..120.0, 0..80), ratio in 0.0f64..=1.0) {
            let cfg = AlertConfig { clear_ratio: ratio, ..AlertConfig::default() };
            let mut r = AlertRules::new(cfg);
            let mut armed = true;
            for (i, v) in values.into_iter().enumerate() {
                let fired = r.evaluate(&cpu(i64::try_from(i).unwrap(), v));
                let expect_fire = armed && v > cfg.cpu_percent;
                prop_assert_eq!(fired.len(), usize::from(expect_fire));
                if expect_fire {
                    armed = false;
                    prop_assert!(fired[0].alert.value > cfg.cpu_percent);
                } else if !armed && v <= cfg.cpu_percent * ratio {
                    armed = true;
                }
                prop_assert_eq!(r.is_active(Rule::Cpu), !armed);
            }
        }
    }
}

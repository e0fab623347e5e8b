//! Alerts for operators: an event, a log line and a metric each.

use serde::{Deserialize, Serialize};

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

/// What an alert is about (the seed's alert types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlertKind {
    /// CPU use over its threshold.
    HighCpu,
    /// Memory use over its threshold.
    HighMemory,
    /// A latency (pipeline or order) over its threshold.
    PerformanceDegradation,
    /// A risk limit was breached.
    RiskLimitBreach,
    /// Market data stale or a connection lost.
    DataFeed,
    /// An actor keeps failing.
    ActorFailure,
    /// A mailbox filled up to a large fraction of its capacity.
    MailboxBacklog,
    /// Errors (failed sends, failed writes) came too fast.
    ErrorRate,
}

/// An alert: which threshold was crossed, by what value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// What.
    pub kind: AlertKind,
    /// How urgent.
    pub severity: Severity,
    /// The measured value.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
    /// One line for humans.
    pub message: String,
}

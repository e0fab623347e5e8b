//! Typed events: everything the node decides or observes, as one struct per
//! event grouped in families, each with an id, the venue's time, our time
//! and the id of what caused it.
//!
//! Events are appended to the event store (sequence-numbered, bincode) before
//! subscribers act on the ones that matter; [`codec`] is that encoding.

pub mod alert;
pub mod codec;
pub mod dead_letter;
pub mod market;
pub mod signal;
pub mod summary;
pub mod system;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::trading::event::TradeEvent;
pub use alert::{Alert, AlertKind, Severity};
pub use dead_letter::{DeadLetter, DeadLetterReason};
pub use market::MarketEvent;
pub use signal::SignalEvent;
pub use system::SystemEvent;

/// A unique event id: the node's start time and a per-run counter, so ids
/// from different runs never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId {
    /// Run id (start time of the node, ms).
    pub run: i64,
    /// Counter within the run.
    pub n: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.run, self.n)
    }
}

/// Header every event carries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventMeta {
    /// This event's id.
    pub id: EventId,
    /// The venue's time of what happened, ms (our time when the venue gives none).
    pub venue_ts: i64,
    /// Our (node clock) time when the event was made, ms.
    pub ts: i64,
    /// The event that caused this one, if any.
    pub cause: Option<EventId>,
}

/// The family of an event: what `qtrade events --kind` filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    /// Market data and universe changes.
    Market,
    /// Scores, regimes, selections and trading signals.
    Signal,
    /// Orders, fills and positions.
    Trade,
    /// Risk decisions and limits.
    Risk,
    /// Node lifecycle, actor restarts.
    System,
    /// Alerts for operators.
    Alert,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 6] = [
        Self::Market,
        Self::Signal,
        Self::Trade,
        Self::Risk,
        Self::System,
        Self::Alert,
    ];

    /// Lower-case name, as used on the command line and in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Market => "market",
            Self::Signal => "signal",
            Self::Trade => "trade",
            Self::Risk => "risk",
            Self::System => "system",
            Self::Alert => "alert",
        }
    }
}

/// Why a text is not an event kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind {0:?}: expected one of market, signal, trade, risk, system, alert")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for EventKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event's payload, by family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Payload {
    /// See [`MarketEvent`].
    Market(MarketEvent),
    /// See [`SignalEvent`].
    Signal(SignalEvent),
    /// See [`SystemEvent`].
    System(SystemEvent),
    /// See [`Alert`].
    Alert(Alert),
    /// Orders, fills, positions and risk decisions: see [`TradeEvent`].
    Trade(TradeEvent),
}

impl Payload {
    /// The family.
    #[must_use]
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Market(_) => EventKind::Market,
            Self::Signal(_) => EventKind::Signal,
            Self::System(_) => EventKind::System,
            Self::Alert(_) => EventKind::Alert,
            Self::Trade(t) if t.is_risk() => EventKind::Risk,
            Self::Trade(_) => EventKind::Trade,
        }
    }

    /// Every [`Payload::variant`] name: these and the trade family's
    /// ([`TradeEvent::VARIANTS`]); see [`Payload::variants`].
    pub const VARIANTS: [&'static str; 8] = [
        "CandleClosed",
        "UniverseChanged",
        "MessageRejected",
        "TopFiveSelected",
        "NodeStarted",
        "NodeStopping",
        "ActorRestarted",
        "Alert",
    ];

    /// Every [`Payload::variant`] name, the trade family's included.
    pub fn variants() -> impl Iterator<Item = &'static str> {
        Self::VARIANTS.into_iter().chain(TradeEvent::VARIANTS)
    }

    /// The name of the event's own type within its family
    /// (`CandleClosed`, `TopFiveSelected`, `NodeStarted`, `Alert`, ...):
    /// what `qtrade events --kind` also accepts.
    #[must_use]
    pub fn variant(&self) -> &'static str {
        match self {
            Self::Market(MarketEvent::CandleClosed(_)) => "CandleClosed",
            Self::Market(MarketEvent::UniverseChanged(_)) => "UniverseChanged",
            Self::Market(MarketEvent::MessageRejected(_)) => "MessageRejected",
            Self::Signal(SignalEvent::TopFiveSelected(_)) => "TopFiveSelected",
            Self::System(SystemEvent::NodeStarted { .. }) => "NodeStarted",
            Self::System(SystemEvent::NodeStopping { .. }) => "NodeStopping",
            Self::System(SystemEvent::ActorRestarted { .. }) => "ActorRestarted",
            Self::Alert(_) => "Alert",
            Self::Trade(t) => t.variant(),
        }
    }
}

impl From<MarketEvent> for Payload {
    fn from(e: MarketEvent) -> Self {
        Self::Market(e)
    }
}

impl From<SignalEvent> for Payload {
    fn from(e: SignalEvent) -> Self {
        Self::Signal(e)
    }
}

impl From<SystemEvent> for Payload {
    fn from(e: SystemEvent) -> Self {
        Self::System(e)
    }
}

impl From<TradeEvent> for Payload {
    fn from(e: TradeEvent) -> Self {
        Self::Trade(e)
    }
}

impl From<Alert> for Payload {
    fn from(e: Alert) -> Self {
        Self::Alert(e)
    }
}

/// An event: header and payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Ids and times.
    pub meta: EventMeta,
    /// What happened.
    pub payload: Payload,
}

impl Event {
    /// The event's family.
    #[must_use]
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }
}

/// Makes event ids for one run.
#[derive(Debug, Clone)]
pub struct EventIds {
    run: i64,
    next: u64,
}

impl EventIds {
    /// Ids for the run that started at `run_start_ms`.
    #[must_use]
    pub fn new(run_start_ms: i64) -> Self {
        Self {
            run: run_start_ms,
            next: 0,
        }
    }

    /// Wraps `payload` into an event stamped `now_ms` (venue time too, when
    /// `venue_ts` is `None`), caused by `cause`.
    pub fn event(
        &mut self,
        payload: impl Into<Payload>,
        now_ms: i64,
        venue_ts: Option<i64>,
        cause: Option<EventId>,
    ) -> Event {
        let id = EventId {
            run: self.run,
            n: self.next,
        };
        self.next += 1;
        Event {
            meta: EventMeta {
                id,
                venue_ts: venue_ts.unwrap_or(now_ms),
                ts: now_ms,
                cause,
            },
            payload: payload.into(),
        }
    }
}

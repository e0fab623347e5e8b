//! System events: node lifecycle and supervision.

use serde::{Deserialize, Serialize};

/// System event family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SystemEvent {
    /// The node started.
    NodeStarted {
        /// Version of the binary.
        version: String,
        /// Venue it runs against (`synthetic`, `binance`, ...).
        venue: String,
    },
    /// The node is shutting down.
    NodeStopping {
        /// Why (signal, command).
        reason: String,
    },
    /// A supervised actor failed and was restarted.
    ActorRestarted {
        /// Actor name.
        actor: String,
        /// Restarts so far, this one included.
        restarts: u64,
        /// What failed.
        reason: String,
    },
}

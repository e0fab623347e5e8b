//! Dead letters: messages a subscriber could not receive (its mailbox was
//! full or closed), kept in the event store's `dead_letters` tree so that a
//! lost event is visible after the fact.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a message could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeadLetterReason {
    /// The target's mailbox was at capacity (back-pressure).
    MailboxFull,
    /// The target had stopped: its mailbox was closed.
    MailboxClosed,
}

impl DeadLetterReason {
    /// Lower-case name, as printed and exported.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MailboxFull => "mailbox_full",
            Self::MailboxClosed => "mailbox_closed",
        }
    }
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One undelivered message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Name of the actor it was meant for (as listed on `/actors`).
    pub target: String,
    /// What it was: the message type, and the event it carried if any.
    pub message: String,
    /// Why it was not delivered.
    pub reason: DeadLetterReason,
    /// Our (node clock) time of the failed send, ms.
    pub ts: i64,
}

impl fmt::Display for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {} ({})", self.message, self.target, self.reason)
    }
}

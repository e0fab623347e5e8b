//! A local order book kept from the diff depth stream, with the venue's
//! sequencing rules (PROTOCOL.md §2.6, "Local order book procedure"):
//!
//! 1. Open `<symbol>@depth` on `/public` and buffer events
//!    ([`DepthBook::on_update`] while no snapshot is loaded; the first one
//!    asks for a snapshot with [`DepthAction::FetchSnapshot`]).
//! 2. Fetch `GET /fapi/v1/depth?limit=1000` → `lastUpdateId` and hand it to
//!    [`DepthBook::on_snapshot`].
//! 3. Drop events with `u < lastUpdateId`.
//! 4. The first applied event must satisfy `U <= lastUpdateId <= u`; if the
//!    oldest kept event already starts after `lastUpdateId` the snapshot is
//!    behind the stream: fetch another one.
//! 5. Afterwards each event's `pu` must equal the previous event's `u`;
//!    otherwise restart from step 2 (the book is cleared and the breaking
//!    event becomes the first buffered one).
//! 6. Apply absolute quantities; quantity 0 removes the level; removing an
//!    unknown level is normal.
//!
//! One rule of ours, not Binance's: once live, an event whose `u` is not
//! after the last applied `u` is a replay and is dropped as stale instead of
//! forcing a resync (its updates are already in the book).
//!
//! Partial depth streams (`@depth<N>`) carry whole top-N books and need none
//! of this.

use super::decimal::{Price, Quantity};
use super::rest::DepthSnapshot;
use super::ws::{DepthUpdate, Level};
use std::collections::{BTreeMap, VecDeque};

/// Default bound on events buffered while waiting for a snapshot.
pub const DEFAULT_MAX_BUFFER: usize = 4096;

/// Why the book needs a (new) REST snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResyncReason {
    /// First event seen: the book has never been synced (step 1).
    Start,
    /// Step 5 broke: `pu` did not chain to the previous `u`.
    Gap {
        /// The previous event's `u`.
        expected_pu: i64,
        /// The `pu` received.
        got_pu: i64,
    },
    /// Step 4 failed: the first event after the snapshot starts after it
    /// (`U > lastUpdateId`), so events between them are missing.
    SnapshotBehind {
        /// The snapshot's `lastUpdateId`.
        last_update_id: i64,
        /// `U` of the first event that should have bridged it.
        first_update_id: i64,
    },
}

/// What the caller must do, or what happened, after one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepthAction {
    /// Fetch `GET /fapi/v1/depth` and pass it to [`DepthBook::on_snapshot`];
    /// events keep being buffered meanwhile.
    FetchSnapshot(ResyncReason),
    /// Event buffered while a snapshot is awaited.
    Buffered,
    /// Event applied to the book.
    Applied {
        /// The event's `u`, now the book's last update id.
        final_update_id: i64,
    },
    /// Event older than the book, dropped (step 3, or a replay once live).
    DroppedStale {
        /// The event's `u`.
        final_update_id: i64,
    },
    /// Snapshot loaded and buffered events replayed.
    Synced {
        /// The snapshot's `lastUpdateId`.
        last_update_id: i64,
        /// Buffered events applied.
        applied: usize,
        /// Buffered events dropped as older than the snapshot.
        dropped: usize,
    },
    /// A snapshot arrived while none was awaited (late reply); ignored.
    SnapshotIgnored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No usable book; events are buffered. `requested` once a snapshot was asked for.
    AwaitingSnapshot { requested: bool },
    /// Snapshot loaded, no event applied yet (step 4 pending).
    AwaitingFirst { last_update_id: i64 },
    /// In sync; `last_u` is the last applied event's `u` (step 5).
    Live { last_u: i64 },
}

/// Bids and asks keyed by exact price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderBook {
    bids: BTreeMap<Price, Quantity>,
    asks: BTreeMap<Price, Quantity>,
}

impl OrderBook {
    fn apply(side: &mut BTreeMap<Price, Quantity>, levels: &[Level]) {
        for l in levels {
            // Step 6: absolute quantities; zero removes (unknown levels too).
            if l.qty.is_zero() {
                side.remove(&l.price);
            } else {
                side.insert(l.price, l.qty);
            }
        }
    }

    fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Best (highest) bid.
    #[must_use]
    pub fn best_bid(&self) -> Option<(Price, Quantity)> {
        self.bids.iter().next_back().map(|(p, q)| (*p, *q))
    }

    /// Best (lowest) ask.
    #[must_use]
    pub fn best_ask(&self) -> Option<(Price, Quantity)> {
        self.asks.iter().next().map(|(p, q)| (*p, *q))
    }

    /// Up to `n` bids, best first.
    #[must_use]
    pub fn top_bids(&self, n: usize) -> Vec<(Price, Quantity)> {
        self.bids
            .iter()
            .rev()
            .take(n)
            .map(|(p, q)| (*p, *q))
            .collect()
    }

    /// Up to `n` asks, best first.
    #[must_use]
    pub fn top_asks(&self, n: usize) -> Vec<(Price, Quantity)> {
        self.asks.iter().take(n).map(|(p, q)| (*p, *q)).collect()
    }

    /// Number of bid and ask levels.
    #[must_use]
    pub fn depth(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }
}

/// One symbol's local book plus the §2.6 sequencer. Pure: it never fetches;
/// it tells the caller when to.
#[derive(Debug, Clone)]
pub struct DepthBook {
    state: State,
    buffer: VecDeque<DepthUpdate>,
    max_buffer: usize,
    book: OrderBook,
}

impl Default for DepthBook {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BUFFER)
    }
}

impl DepthBook {
    /// An empty, unsynced book buffering at most `max_buffer` events (the
    /// oldest are dropped beyond it; step 4 then asks for a newer snapshot
    /// if that lost anything needed).
    #[must_use]
    pub fn new(max_buffer: usize) -> Self {
        Self {
            state: State::AwaitingSnapshot { requested: false },
            buffer: VecDeque::new(),
            max_buffer: max_buffer.max(1),
            book: OrderBook::default(),
        }
    }

    /// The book. Only meaningful when [`DepthBook::is_synced`].
    #[must_use]
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// True when the book reflects the stream (a snapshot is loaded and no
    /// break has been seen since).
    #[must_use]
    pub fn is_synced(&self) -> bool {
        !matches!(self.state, State::AwaitingSnapshot { .. })
    }

    /// The `u` of the last applied event (or the snapshot id before any).
    #[must_use]
    pub fn last_update_id(&self) -> Option<i64> {
        match self.state {
            State::AwaitingSnapshot { .. } => None,
            State::AwaitingFirst { last_update_id } => Some(last_update_id),
            State::Live { last_u } => Some(last_u),
        }
    }

    /// Events buffered while waiting for a snapshot.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    fn buffer_push(&mut self, ev: DepthUpdate) {
        if self.buffer.len() >= self.max_buffer {
            self.buffer.pop_front();
        }
        self.buffer.push_back(ev);
    }

    fn resync(&mut self, ev: DepthUpdate, reason: ResyncReason) -> DepthAction {
        self.book.clear();
        self.buffer.clear();
        self.buffer_push(ev);
        self.state = State::AwaitingSnapshot { requested: true };
        DepthAction::FetchSnapshot(reason)
    }

    fn apply(&mut self, ev: &DepthUpdate) -> DepthAction {
        OrderBook::apply(&mut self.book.bids, &ev.bids);
        OrderBook::apply(&mut self.book.asks, &ev.asks);
        self.state = State::Live {
            last_u: ev.final_update_id,
        };
        DepthAction::Applied {
            final_update_id: ev.final_update_id,
        }
    }

    /// One diff-depth event from the stream.
    pub fn on_update(&mut self, ev: DepthUpdate) -> DepthAction {
        match self.state {
            State::AwaitingSnapshot { requested } => {
                // Step 1: buffer; ask for the snapshot once.
                self.buffer_push(ev);
                if requested {
                    DepthAction::Buffered
                } else {
                    self.state = State::AwaitingSnapshot { requested: true };
                    DepthAction::FetchSnapshot(ResyncReason::Start)
                }
            }
            State::AwaitingFirst { last_update_id } => {
                // Step 3: drop events older than the snapshot.
                if ev.final_update_id < last_update_id {
                    return DepthAction::DroppedStale {
                        final_update_id: ev.final_update_id,
                    };
                }
                // Step 4: the first applied event must bridge the snapshot.
                if ev.first_update_id <= last_update_id {
                    self.apply(&ev)
                } else {
                    let reason = ResyncReason::SnapshotBehind {
                        last_update_id,
                        first_update_id: ev.first_update_id,
                    };
                    self.resync(ev, reason)
                }
            }
            State::Live { last_u } => {
                // Our rule: a replayed event is already in the book.
                if ev.final_update_id <= last_u {
                    return DepthAction::DroppedStale {
                        final_update_id: ev.final_update_id,
                    };
                }
                // Step 5: pu must chain to the previous u.
                if ev.prev_final_update_id == last_u {
                    self.apply(&ev)
                } else {
                    let reason = ResyncReason::Gap {
                        expected_pu: last_u,
                        got_pu: ev.prev_final_update_id,
                    };
                    self.resync(ev, reason)
                }
            }
        }
    }

    /// The REST snapshot asked for by [`DepthAction::FetchSnapshot`]: loads
    /// it and replays the buffered events through steps 3–5.
    pub fn on_snapshot(&mut self, snap: &DepthSnapshot) -> DepthAction {
        if !matches!(self.state, State::AwaitingSnapshot { requested: true }) {
            return DepthAction::SnapshotIgnored;
        }
        self.book.clear();
        OrderBook::apply(&mut self.book.bids, &snap.bids);
        OrderBook::apply(&mut self.book.asks, &snap.asks);
        self.state = State::AwaitingFirst {
            last_update_id: snap.last_update_id,
        };
        let mut applied = 0;
        let mut dropped = 0;
        let mut pending: VecDeque<DepthUpdate> = std::mem::take(&mut self.buffer);
        while let Some(ev) = pending.pop_front() {
            match self.on_update(ev) {
                DepthAction::Applied { .. } => applied += 1,
                DepthAction::DroppedStale { .. } => dropped += 1,
                DepthAction::FetchSnapshot(reason) => {
                    // `resync` buffered the breaking event; the later ones
                    // wait behind it for the next snapshot.
                    for rest in pending {
                        self.buffer_push(rest);
                    }
                    return DepthAction::FetchSnapshot(reason);
                }
                DepthAction::Buffered
                | DepthAction::Synced { .. }
                | DepthAction::SnapshotIgnored => {}
            }
        }
        DepthAction::Synced {
            last_update_id: snap.last_update_id,
            applied,
            dropped,
        }
    }
}

//! Exactly-once user data across reconnects: which stream events were
//! already delivered, since when to ask REST what a gap may have hidden,
//! and which REST fills the stream never delivered (PROTOCOL.md §7).
//!
//! Rules:
//! 1. Every delivered event leaves a key: a fill is its order id and trade
//!    id; any other order update is its order id, status, execution type
//!    and transaction time; an algo update its algo id, status and
//!    transaction time; an account update its times, reason and a
//!    fingerprint of its content (several fills of one match may share a
//!    time);
//!    the rest their event time and type. An event whose key was seen is a
//!    duplicate and is dropped (a replay after reconnect, or a fill first
//!    learnt from REST).
//! 2. The newest event time `E` seen is where reconciliation starts (the
//!    docs order events by `E`, §7.2); a margin covers clock skew between
//!    event and trade times. Fills already seen are filtered out anyway.
//! 3. A REST fill (`GET /fapi/v1/userTrades`) whose order id and trade id
//!    were not seen is a missed fill: reported once and remembered, so the
//!    stream cannot deliver it again.
//! 4. Memory is bounded: the oldest keys are forgotten beyond the capacity
//!    (a replay older than that many events is not expected).
//! 5. `listenKeyExpired` is never a duplicate: it asks for a new key.

use super::order::{AlgoId, AlgoStatus, ExecutionType, OrderId, OrderStatus};
use super::rest::UserTrade;
use super::user_data::{AccountUpdateReason, UserEvent};
use std::collections::{BTreeSet, HashSet, VecDeque};

/// Default number of event keys remembered.
pub const DEFAULT_CAPACITY: usize = 65_536;
/// Reconciliation looks this far before the newest event time (rule 2).
pub const RECONCILE_MARGIN_MS: i64 = 60_000;

/// The identity of one delivered update (rule 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKey {
    /// A fill: order id and trade id (stream `ORDER_TRADE_UPDATE` with
    /// `x = TRADE`, or a REST user trade).
    Fill {
        /// Order id.
        order_id: OrderId,
        /// Trade id.
        trade_id: i64,
    },
    /// A non-fill order update.
    Order {
        /// Order id.
        order_id: OrderId,
        /// Status after the update.
        status: OrderStatus,
        /// Execution type.
        execution_type: ExecutionType,
        /// Transaction time.
        transaction_time: i64,
    },
    /// An algo-order update.
    Algo {
        /// Algo id.
        algo_id: AlgoId,
        /// Status after the update.
        status: AlgoStatus,
        /// Transaction time.
        transaction_time: i64,
    },
    /// An account update.
    Account {
        /// Transaction time.
        transaction_time: i64,
        /// Event time.
        event_time: i64,
        /// Reason.
        reason: AccountUpdateReason,
        /// Hash of the balances and positions it reports.
        fingerprint: u64,
    },
    /// `TRADE_LITE` (the same fill as an `ORDER_TRADE_UPDATE`, a separate
    /// event type).
    TradeLite {
        /// Order id.
        order_id: OrderId,
        /// Trade id.
        trade_id: i64,
    },
    /// Other events: type tag and event time.
    Other {
        /// Event type.
        kind: &'static str,
        /// Event time.
        event_time: i64,
    },
}

impl EventKey {
    /// The key of a stream event; `None` for `listenKeyExpired` (rule 5).
    #[must_use]
    pub fn of(ev: &UserEvent) -> Option<Self> {
        Some(match ev {
            UserEvent::OrderTradeUpdate(u) => {
                let o = &u.order;
                if o.execution_type == ExecutionType::Trade && o.trade_id != 0 {
                    Self::Fill {
                        order_id: o.order_id,
                        trade_id: o.trade_id,
                    }
                } else {
                    Self::Order {
                        order_id: o.order_id,
                        status: o.status,
                        execution_type: o.execution_type,
                        transaction_time: u.transaction_time,
                    }
                }
            }
            UserEvent::AlgoUpdate(a) => Self::Algo {
                algo_id: a.order.algo_id,
                status: a.order.status,
                transaction_time: a.transaction_time,
            },
            UserEvent::AccountUpdate(a) => Self::Account {
                transaction_time: a.transaction_time,
                event_time: a.event_time,
                reason: a.data.reason,
                fingerprint: fingerprint(&format!("{:?}", a.data)),
            },
            UserEvent::TradeLite(t) => Self::TradeLite {
                order_id: t.order_id,
                trade_id: t.trade_id,
            },
            UserEvent::MarginCall(m) => Self::Other {
                kind: "MARGIN_CALL",
                event_time: m.event_time,
            },
            UserEvent::AccountConfigUpdate(c) => Self::Other {
                kind: "ACCOUNT_CONFIG_UPDATE",
                event_time: c.event_time,
            },
            UserEvent::ListenKeyExpired(_) => return None,
        })
    }

    /// The key of a REST fill.
    #[must_use]
    pub fn of_trade(t: &UserTrade) -> Self {
        Self::Fill {
            order_id: t.order_id,
            trade_id: t.id,
        }
    }
}

/// A stable hash of `text` (FNV-1a: the same in every process).
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A bounded set of keys that forgets the oldest first (rule 4).
#[derive(Debug, Clone)]
pub struct SeenKeys {
    set: HashSet<EventKey>,
    order: VecDeque<EventKey>,
    capacity: usize,
}

impl SeenKeys {
    /// An empty set remembering at most `capacity` keys (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `key`; true when it was not known.
    pub fn insert(&mut self, key: EventKey) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(key.clone());
        self.order.push_back(key);
        true
    }

    /// True when `key` is remembered.
    #[must_use]
    pub fn contains(&self, key: &EventKey) -> bool {
        self.set.contains(key)
    }

    /// Keys remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nothing is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What to do with one stream event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// New: pass it on.
    Deliver,
    /// Seen before: drop it (rule 1).
    Duplicate,
    /// The listen key expired: get a new one and reconnect (rule 5).
    Renew,
}

/// The user stream's delivery bookkeeping (rules in the module doc).
#[derive(Debug, Clone)]
pub struct UserSync {
    seen: SeenKeys,
    last_event_ms: Option<i64>,
    symbols: BTreeSet<String>,
    duplicates: u64,
}

impl Default for UserSync {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl UserSync {
    /// Nothing seen yet; at most `capacity` keys remembered.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: SeenKeys::new(capacity),
            last_event_ms: None,
            symbols: BTreeSet::new(),
            duplicates: 0,
        }
    }

    /// Adds symbols whose fills reconciliation must ask for (the venue's
    /// `userTrades` takes one symbol per call).
    pub fn watch(&mut self, symbols: impl IntoIterator<Item = String>) {
        self.symbols.extend(symbols);
    }

    /// Judges one stream event and records it (rules 1, 2, 5).
    pub fn on_event(&mut self, ev: &UserEvent) -> Verdict {
        let Some(key) = EventKey::of(ev) else {
            return Verdict::Renew;
        };
        self.last_event_ms = Some(
            self.last_event_ms
                .map_or(ev.event_time(), |t| t.max(ev.event_time())),
        );
        if let UserEvent::OrderTradeUpdate(u) = ev {
            self.symbols.insert(u.order.symbol.as_str().to_string());
        }
        if self.seen.insert(key) {
            Verdict::Deliver
        } else {
            self.duplicates += 1;
            Verdict::Duplicate
        }
    }

    /// Start time of the reconciliation query (rule 2): `None` before any
    /// event (then the venue's default window is asked).
    #[must_use]
    pub fn reconcile_since_ms(&self) -> Option<i64> {
        self.last_event_ms.map(|t| t - RECONCILE_MARGIN_MS)
    }

    /// The newest event time seen.
    #[must_use]
    pub fn last_event_ms(&self) -> Option<i64> {
        self.last_event_ms
    }

    /// Symbols to reconcile fills of, in order.
    #[must_use]
    pub fn symbols(&self) -> &BTreeSet<String> {
        &self.symbols
    }

    /// Duplicates dropped so far.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Rule 3: the fills in `trades` not delivered before, in time order,
    /// each remembered so that neither the stream nor a later
    /// reconciliation delivers it again.
    pub fn missed_fills(&mut self, trades: Vec<UserTrade>) -> Vec<UserTrade> {
        let mut trades = trades;
        trades.sort_by_key(|t| (t.time, t.id));
        trades
            .into_iter()
            .filter(|t| self.seen.insert(EventKey::of_trade(t)))
            .inspect(|t| {
                self.last_event_ms = Some(self.last_event_ms.map_or(t.time, |e| e.max(t.time)));
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::binance::parse::{WsBody, parse_ws_message};
    use proptest::prelude::*;

    fn order_event(order_id: i64, trade_id: i64, time: i64) -> UserEvent {
        let (x, status, t) = if trade_id == 0 {
            ("NEW", "NEW", 0)
        } else {
            ("TRADE", "PARTIALLY_FILLED", trade_id)
        };
        let json = format!(
            r#"{{"e":"ORDER_TRADE_UPDATE","E":{time},"T":{time},"o":{{"s":"BTCUSDT","c":"c1","S":"BUY","o":"LIMIT","f":"GTC","q":"1","p":"10","ap":"0","sp":"0","x":"{x}","X":"{status}","i":{order_id},"l":"0","z":"0","L":"0","T":{time},"t":{t},"ps":"BOTH"}}}}"#
        );
        match parse_ws_message(json.as_bytes()).unwrap().body {
            WsBody::User(u) => *u,
            other => panic!("not a user event: {other:?}"),
        }
    }

    fn trade(order_id: i64, id: i64, time: i64) -> UserTrade {
        serde_json::from_str(&format!(
            r#"{{"symbol":"BTCUSDT","id":{id},"orderId":{order_id},"side":"BUY","price":"10","qty":"1","time":{time}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn replays_and_reconciled_fills_are_not_delivered_twice() {
        let mut s = UserSync::default();
        assert_eq!(s.reconcile_since_ms(), None);
        assert_eq!(s.on_event(&order_event(1, 0, 100)), Verdict::Deliver);
        assert_eq!(s.on_event(&order_event(1, 5, 200)), Verdict::Deliver);
        assert_eq!(s.on_event(&order_event(1, 5, 200)), Verdict::Duplicate);
        assert_eq!(s.reconcile_since_ms(), Some(200 - RECONCILE_MARGIN_MS));
        assert!(s.symbols().contains("BTCUSDT"));
        let missed = s.missed_fills(vec![trade(1, 6, 300), trade(1, 5, 200)]);
        assert_eq!(missed.iter().map(|t| t.id).collect::<Vec<_>>(), vec![6]);
        assert_eq!(s.on_event(&order_event(1, 6, 300)), Verdict::Duplicate);
        assert!(s.missed_fills(vec![trade(1, 6, 300)]).is_empty());
        assert_eq!(s.duplicates(), 2);
        assert_eq!(s.last_event_ms(), Some(300));
    }

    #[test]
    fn capacity_forgets_the_oldest() {
        let mut k = SeenKeys::new(2);
        let key = |t| EventKey::Fill {
            order_id: OrderId(1),
            trade_id: t,
        };
        assert!(k.insert(key(1)) && k.insert(key(2)) && k.insert(key(3)));
        assert_eq!(k.len(), 2);
        assert!(!k.contains(&key(1)) && k.contains(&key(3)));
    }

    proptest! {
        /// Fills arrive on the stream (replayed at random) or only over
        /// REST; each one comes out exactly once, whichever way first.
        #[test]
        fn every_fill_exactly_once(
            fills in proptest::collection::btree_set((1i64..5, 1i64..50), 1..40),
            routes in proptest::collection::vec(0u8..4, 40),
        ) {
            let fills: Vec<(i64, i64)> = fills.into_iter().collect();
            let mut s = UserSync::new(1_000);
            let mut delivered: Vec<(i64, i64)> = Vec::new();
            for (i, &(order, tid)) in fills.iter().enumerate() {
                let ev = order_event(order, tid, tid * 10);
                match routes[i % routes.len()] {
                    // Streamed once.
                    0 => if s.on_event(&ev) == Verdict::Deliver { delivered.push((order, tid)); },
                    // Streamed, then replayed after a reconnect.
                    1 => for _ in 0..2 {
                        if s.on_event(&ev) == Verdict::Deliver { delivered.push((order, tid)); }
                    },
                    // Missed by the stream: only the final reconciliation
                    // below sees it.
                    2 => {}
                    // Missed, reconciled, and then replayed by the stream.
                    _ => {
                        for t in s.missed_fills(vec![trade(order, tid, tid * 10)]) {
                            delivered.push((t.order_id.0, t.id));
                        }
                        if s.on_event(&ev) == Verdict::Deliver { delivered.push((order, tid)); }
                    }
                }
            }
            // Reconciliation returns everything in its window, seen or not.
            let all: Vec<UserTrade> = fills.iter().map(|&(o, t)| trade(o, t, t * 10)).collect();
            for t in s.missed_fills(all) {
                delivered.push((t.order_id.0, t.id));
            }
            delivered.sort_unstable();
            prop_assert_eq!(delivered, fills);
        }
    }
}

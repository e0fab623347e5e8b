//! The order state machine.
//!
//! ```text
//! PendingNew ──ack──▶ New ──fill──▶ PartiallyFilled ──fill──▶ Filled
//!     │                │  ╲                 │
//!     │                │   cancel/expire    cancel/expire
//!     ▼                ▼         ▼          ▼
//!  Rejected        Canceled / Expired (terminal, like Filled and Rejected)
//! ```
//!
//! Venues report out of order and more than once (a TRADE before the NEW
//! acknowledgement, the same trade from the user stream and from a REST
//! query after a reconnect), so the machine is forgiving where that is safe
//! and strict where it is not:
//! - a fill is keyed by its trade id and applied once; a fill before the
//!   acknowledgement implies it;
//! - a terminal state absorbs every later event (reported as ignored);
//! - a fill that would exceed the order's quantity, or a rejection after the
//!   acknowledgement, is an error: the venue and the node disagree, and the
//!   executor must reconcile rather than guess.
//!
//! Client order ids are derived from the decision (signal sequence number
//! and attempt), so a retried submission reuses the id and the venue's
//! duplicate check (-4116 on Binance) stops a double order.

use crate::market::Symbol;
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderState {
    /// Sent, not yet acknowledged.
    PendingNew,
    /// Acknowledged, nothing filled.
    New,
    /// Some filled.
    PartiallyFilled,
    /// All filled.
    Filled,
    /// Cancelled (by us or the venue), possibly after partial fills.
    Canceled,
    /// Refused by the venue.
    Rejected,
    /// Expired (IOC/FOK remainder, GTX that would take).
    Expired,
}

impl OrderState {
    /// Whether nothing more can happen to the order.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Canceled | Self::Rejected | Self::Expired
        )
    }
}

/// What the venue (or a timer) says happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderEvent {
    /// The venue acknowledged the order.
    Acked {
        /// Venue order id.
        order_id: i64,
        /// When, ms.
        at: i64,
    },
    /// A fill.
    Fill {
        /// Venue trade id (the idempotency key).
        trade_id: i64,
        /// Quantity filled by this trade.
        qty: f64,
        /// Its price.
        price: f64,
        /// Its fee, in the quote asset.
        fee: f64,
        /// When, ms.
        at: i64,
    },
    /// The venue cancelled the order.
    Canceled {
        /// When, ms.
        at: i64,
    },
    /// The venue refused the order.
    Rejected {
        /// Venue error code.
        code: i64,
        /// Venue message.
        reason: String,
        /// When, ms.
        at: i64,
    },
    /// The venue expired the order.
    Expired {
        /// When, ms.
        at: i64,
    },
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Applied {
    /// The state changed (or a fill was added).
    Changed(OrderState),
    /// Already known (a duplicate fill, or an event after a terminal state).
    Ignored,
}

/// The venue and the order disagree.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    /// Fills would exceed the order quantity.
    #[error("order {client_id}: fill of {fill} would bring {filled} over {qty}")]
    Overfill {
        /// The order.
        client_id: String,
        /// Quantity already filled.
        filled: f64,
        /// The fill.
        fill: f64,
        /// The order quantity.
        qty: f64,
    },
    /// A rejection for an order the venue had acknowledged.
    #[error("order {0}: rejected after it was acknowledged")]
    RejectAfterAck(String),
    /// A fill with a non-positive quantity or price.
    #[error("order {0}: malformed fill")]
    BadFill(String),
}

/// An order the executor manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedOrder {
    /// Our id (idempotency key at the venue).
    pub client_id: String,
    /// Symbol.
    pub symbol: Symbol,
    /// Buy (long) or sell (short).
    pub side: PositionSide,
    /// Quantity ordered.
    pub qty: f64,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Price the decision was made at (the slippage reference).
    pub decision_price: f64,
    /// State.
    pub state: OrderState,
    /// Venue order id once acknowledged.
    pub order_id: Option<i64>,
    /// Quantity filled.
    pub filled: f64,
    /// Σ qty·price of the fills.
    pub notional: f64,
    /// Fees paid.
    pub fees: f64,
    /// Trade ids applied.
    pub trades: BTreeSet<i64>,
    /// When the order was sent, ms.
    pub sent_at: i64,
    /// When it was acknowledged, ms.
    pub acked_at: Option<i64>,
    /// When it first filled, ms.
    pub first_fill_at: Option<i64>,
    /// When it reached a terminal state, ms.
    pub done_at: Option<i64>,
    /// The venue's rejection, if any.
    pub rejection: Option<(i64, String)>,
}

/// The client order id of a decision's attempt: `qt-<seq>-<attempt>`, at
/// most 36 characters of `[.A-Z:/a-z0-9_-]`, as Binance accepts.
#[must_use]
pub fn client_order_id(signal_seq: u64, attempt: u32) -> String {
    format!("qt-{signal_seq}-{attempt}")
}

impl ManagedOrder {
    /// A new order, sent at `sent_at`.
    #[must_use]
    pub fn new(
        client_id: String,
        symbol: Symbol,
        side: PositionSide,
        qty: f64,
        reduce_only: bool,
        decision_price: f64,
        sent_at: i64,
    ) -> Self {
        Self {
            client_id,
            symbol,
            side,
            qty,
            reduce_only,
            decision_price,
            state: OrderState::PendingNew,
            order_id: None,
            filled: 0.0,
            notional: 0.0,
            fees: 0.0,
            trades: BTreeSet::new(),
            sent_at,
            acked_at: None,
            first_fill_at: None,
            done_at: None,
            rejection: None,
        }
    }

    /// Average fill price (NaN before any fill).
    #[must_use]
    pub fn avg_price(&self) -> f64 {
        if self.filled > 0.0 {
            self.notional / self.filled
        } else {
            f64::NAN
        }
    }

    /// Slippage against the decision price in basis points, positive when
    /// it cost us (bought higher or sold lower); NaN before any fill.
    #[must_use]
    pub fn slippage_bps(&self) -> f64 {
        self.side.sign() * (self.avg_price() - self.decision_price) / self.decision_price * 1e4
    }

    /// Quantity still open.
    #[must_use]
    pub fn remaining(&self) -> f64 {
        (self.qty - self.filled).max(0.0)
    }

    /// Whether the order has waited for its acknowledgement longer than
    /// `timeout_ms` at `now_ms`: the executor must then query the venue
    /// (the order may exist there) before it sends anything else for it.
    #[must_use]
    pub fn ack_overdue(&self, now_ms: i64, timeout_ms: i64) -> bool {
        self.state == OrderState::PendingNew && now_ms - self.sent_at > timeout_ms
    }

    fn finish(&mut self, state: OrderState, at: i64) -> Applied {
        self.state = state;
        self.done_at = Some(at);
        Applied::Changed(state)
    }

    /// Applies one event.
    ///
    /// # Errors
    /// [`OrderError`] when the event contradicts the order (the order is
    /// left unchanged).
    pub fn apply(&mut self, ev: &OrderEvent) -> Result<Applied, OrderError> {
        if self.state.is_terminal() {
            // A late fill for a cancelled order is still real money: the
            // venue filled before it cancelled. Count it if new.
            let late_fill = matches!(ev, OrderEvent::Fill { trade_id, .. }
                if self.state == OrderState::Canceled && !self.trades.contains(trade_id));
            if !late_fill {
                return Ok(Applied::Ignored);
            }
        }
        match ev {
            OrderEvent::Acked { order_id, at } => {
                if self.state != OrderState::PendingNew {
                    return Ok(Applied::Ignored);
                }
                self.order_id = Some(*order_id);
                self.acked_at = Some(*at);
                self.state = OrderState::New;
                Ok(Applied::Changed(OrderState::New))
            }
            OrderEvent::Fill {
                trade_id,
                qty,
                price,
                fee,
                at,
            } => {
                if self.trades.contains(trade_id) {
                    return Ok(Applied::Ignored);
                }
                if !(*qty > 0.0 && *price > 0.0 && fee.is_finite()) {
                    return Err(OrderError::BadFill(self.client_id.clone()));
                }
                let tolerance = 1e-9 * self.qty;
                if self.filled + qty > self.qty + tolerance {
                    return Err(OrderError::Overfill {
                        client_id: self.client_id.clone(),
                        filled: self.filled,
                        fill: *qty,
                        qty: self.qty,
                    });
                }
                self.trades.insert(*trade_id);
                self.filled += qty;
                self.notional += qty * price;
                self.fees += fee;
                self.acked_at.get_or_insert(*at);
                self.first_fill_at.get_or_insert(*at);
                if self.state == OrderState::Canceled {
                    return Ok(Applied::Changed(OrderState::Canceled));
                }
                if self.filled >= self.qty - tolerance {
                    Ok(self.finish(OrderState::Filled, *at))
                } else {
                    self.state = OrderState::PartiallyFilled;
                    Ok(Applied::Changed(OrderState::PartiallyFilled))
                }
            }
            OrderEvent::Canceled { at } => Ok(self.finish(OrderState::Canceled, *at)),
            OrderEvent::Expired { at } => Ok(self.finish(OrderState::Expired, *at)),
            OrderEvent::Rejected { code, reason, at } => {
                if self.state != OrderState::PendingNew {
                    return Err(OrderError::RejectAfterAck(self.client_id.clone()));
                }
                self.rejection = Some((*code, reason.clone()));
                Ok(self.finish(OrderState::Rejected, *at))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn order(qty: f64) -> ManagedOrder {
        ManagedOrder::new(
            client_order_id(42, 0),
            Symbol::new("BTCUSDT").unwrap(),
            PositionSide::Long,
            qty,
            false,
            100.0,
            1_000,
        )
    }

    fn fill(trade_id: i64, qty: f64, price: f64) -> OrderEvent {
        OrderEvent::Fill {
            trade_id,
            qty,
            price,
            fee: qty * price * 0.0004,
            at: 2_000 + trade_id,
        }
    }

    #[test]
    fn fills_partially_then_fully_and_measures_slippage() {
        let mut o = order(2.0);
        assert_eq!(
            o.apply(&OrderEvent::Acked {
                order_id: 7,
                at: 1_050
            }),
            Ok(Applied::Changed(OrderState::New))
        );
        assert_eq!(
            o.apply(&fill(1, 0.5, 100.2)),
            Ok(Applied::Changed(OrderState::PartiallyFilled))
        );
        assert_eq!(
            o.apply(&fill(1, 0.5, 100.2)),
            Ok(Applied::Ignored),
            "same trade twice"
        );
        assert_eq!(
            o.apply(&fill(2, 1.5, 100.1)),
            Ok(Applied::Changed(OrderState::Filled))
        );
        assert!((o.avg_price() - 100.125).abs() < 1e-12);
        assert!((o.slippage_bps() - 12.5).abs() < 1e-9);
        assert_eq!(
            o.apply(&OrderEvent::Canceled { at: 9_000 }),
            Ok(Applied::Ignored)
        );
        assert_eq!(o.done_at, Some(2_002));
        assert_eq!(client_order_id(42, 0), "qt-42-0");
    }

    #[test]
    fn contradictions_are_errors_and_change_nothing() {
        let mut o = order(1.0);
        o.apply(&fill(1, 0.6, 100.0)).unwrap();
        assert_eq!(o.acked_at, Some(2_001), "a fill implies the ack");
        let before = o.clone();
        assert!(matches!(
            o.apply(&fill(2, 0.6, 100.0)),
            Err(OrderError::Overfill { .. })
        ));
        assert!(matches!(
            o.apply(&OrderEvent::Rejected {
                code: -2019,
                reason: "margin".into(),
                at: 3
            }),
            Err(OrderError::RejectAfterAck(_))
        ));
        assert!(matches!(
            o.apply(&fill(3, 0.0, 100.0)),
            Err(OrderError::BadFill(_))
        ));
        assert_eq!(o, before);
        let mut r = order(1.0);
        assert!(r.ack_overdue(7_000, 5_000));
        r.apply(&OrderEvent::Rejected {
            code: -2019,
            reason: "margin".into(),
            at: 1_100,
        })
        .unwrap();
        assert_eq!(r.state, OrderState::Rejected);
        assert!(!r.ack_overdue(7_000, 5_000));
    }

    #[test]
    fn a_fill_after_a_cancel_still_counts() {
        let mut o = order(1.0);
        o.apply(&OrderEvent::Acked {
            order_id: 1,
            at: 1_010,
        })
        .unwrap();
        o.apply(&OrderEvent::Canceled { at: 1_500 }).unwrap();
        assert_eq!(
            o.apply(&fill(9, 0.4, 99.0)),
            Ok(Applied::Changed(OrderState::Canceled))
        );
        assert_eq!(o.filled, 0.4);
        assert_eq!(o.apply(&fill(9, 0.4, 99.0)), Ok(Applied::Ignored));
    }

    fn event() -> impl Strategy<Value = OrderEvent> {
        prop_oneof![
            (0i64..5).prop_map(|id| OrderEvent::Acked {
                order_id: id,
                at: 1_100
            }),
            (0i64..8, 0.01f64..1.5, 90.0f64..110.0).prop_map(|(t, q, p)| fill(t, q, p)),
            Just(OrderEvent::Canceled { at: 5_000 }),
            Just(OrderEvent::Expired { at: 5_000 }),
            Just(OrderEvent::Rejected {
                code: -2010,
                reason: "x".into(),
                at: 1_200
            }),
        ]
    }

    proptest! {
        #[test]
        fn invariants_hold_for_any_event_sequence(
            qty in 0.1f64..3.0, events in proptest::collection::vec(event(), 0..30),
        ) {
            let mut o = order(qty);
            let mut terminal_at: Option<OrderState> = None;
            for ev in &events {
                let before = o.clone();
                match o.apply(ev) {
                    Ok(_) => {}
                    Err(_) => prop_assert_eq!(&o, &before),
                }
                prop_assert!(o.filled <= o.qty * (1.0 + 1e-9));
                prop_assert_eq!(!o.trades.is_empty(), o.filled > 0.0);
                let full = o.filled >= o.qty * (1.0 - 1e-9);
                if o.state == OrderState::Filled {
                    prop_assert!(full);
                }
                if full {
                    prop_assert!(matches!(
                        o.state,
                        OrderState::Filled | OrderState::Canceled | OrderState::Expired
                    ));
                }
                if o.state == OrderState::Rejected {
                    prop_assert_eq!(o.filled, 0.0);
                }
                if let Some(t) = terminal_at {
                    prop_assert_eq!(o.state, t, "a terminal state is final");
                }
                if o.state.is_terminal() {
                    terminal_at = Some(o.state);
                }
            }
        }
    }
}

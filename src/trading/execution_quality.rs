//! How well orders executed: the wall time from an order written (committed,
//! then sent) to the venue's acknowledgement and to its fill, and the fill's
//! slippage against the price the order was decided at.
//!
//! Pure: the executor tells it when each order was written and hands it the
//! events it committed, with the instant they were booked; it answers with
//! the measures to record. Orders the venue placed itself (a fired stop or
//! take-profit) have no write time: only their slippage (against the
//! trigger price) is measured.

use super::event::TradeEvent;
use crate::risk::sizing::PositionSide;
use std::collections::BTreeMap;
use std::time::Instant;

/// The slippage of a fill at `fill_price` against `decision_price`, in
/// basis points of the decision price; positive is worse for us (a buy
/// above, a sell below the decision). `None` without a positive decision
/// price.
#[must_use]
pub fn slippage_bps(side: PositionSide, decision_price: f64, fill_price: f64) -> Option<f64> {
    (decision_price > 0.0 && decision_price.is_finite() && fill_price.is_finite())
        .then(|| side.sign() * (fill_price - decision_price) / decision_price * 1e4)
}

/// An order sent and not yet filled or cancelled.
#[derive(Debug, Clone, Copy)]
struct Pending {
    side: PositionSide,
    decision_price: f64,
    /// When the order was written (`None`: placed by the venue itself).
    written: Option<Instant>,
    acked: bool,
}

/// What one fill measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillMeasure {
    /// Seconds from the order written to the fill booked (none for orders
    /// the venue placed itself).
    pub fill_seconds: Option<f64>,
    /// Slippage against the decision price, basis points (positive: worse).
    pub slippage_bps: Option<f64>,
}

/// The orders in flight and their timings.
#[derive(Debug, Clone, Default)]
pub struct ExecutionQuality {
    pending: BTreeMap<String, Pending>,
}

impl ExecutionQuality {
    /// Nothing in flight.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The order `client_id` (on `side`, decided at `decision_price`) was
    /// written at `at` and is now on its way to the venue.
    pub fn written(
        &mut self,
        client_id: &str,
        side: PositionSide,
        decision_price: f64,
        at: Instant,
    ) {
        self.pending.insert(
            client_id.to_owned(),
            Pending {
                side,
                decision_price,
                written: Some(at),
                acked: false,
            },
        );
    }

    /// The venue acknowledged `client_id` at `now`: seconds since it was
    /// written, the first time only.
    pub fn acked(&mut self, client_id: &str, now: Instant) -> Option<f64> {
        let p = self.pending.get_mut(client_id)?;
        if p.acked {
            return None;
        }
        p.acked = true;
        p.written
            .map(|w| now.saturating_duration_since(w).as_secs_f64())
    }

    /// A committed event, booked at `now`: a fill of a known order is
    /// measured (and the order forgotten); an order the venue placed itself
    /// is remembered for its fill; a cancel forgets.
    pub fn on_event(&mut self, e: &TradeEvent, now: Instant) -> Option<FillMeasure> {
        match e {
            TradeEvent::OrderPlaced(o) => {
                self.pending.entry(o.client_id.clone()).or_insert(Pending {
                    side: o.side,
                    decision_price: o.decision_price,
                    written: None,
                    acked: true,
                });
                None
            }
            TradeEvent::OrderFilled(f) => {
                let p = self.pending.remove(&f.client_id)?;
                Some(FillMeasure {
                    fill_seconds: p
                        .written
                        .map(|w| now.saturating_duration_since(w).as_secs_f64()),
                    slippage_bps: slippage_bps(p.side, p.decision_price, f.price),
                })
            }
            TradeEvent::OrderCanceled { client_id, .. } => {
                self.pending.remove(client_id);
                None
            }
            _ => None,
        }
    }

    /// Orders in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::order::ManagedOrder;
    use crate::market::Symbol;
    use crate::trading::event::Fill;
    use std::time::Duration;

    fn fill(id: &str, side: PositionSide, price: f64) -> TradeEvent {
        TradeEvent::OrderFilled(Fill {
            client_id: id.into(),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side,
            qty: 1.0,
            price,
            fee: 0.0,
            at: 0,
            reduce_only: false,
            stop: None,
        })
    }

    #[test]
    fn slippage_is_positive_when_the_fill_is_worse_for_us() {
        let buy = slippage_bps(PositionSide::Long, 100.0, 100.1).unwrap();
        assert!((buy - 10.0).abs() < 1e-9, "{buy}");
        let sell = slippage_bps(PositionSide::Short, 100.0, 100.1).unwrap();
        assert!((sell + 10.0).abs() < 1e-9, "{sell}");
        let sell_worse = slippage_bps(PositionSide::Short, 100.0, 99.8).unwrap();
        assert!((sell_worse - 20.0).abs() < 1e-9, "{sell_worse}");
        let buy_better = slippage_bps(PositionSide::Long, 100.0, 99.95).unwrap();
        assert!((buy_better + 5.0).abs() < 1e-9, "{buy_better}");
        assert_eq!(slippage_bps(PositionSide::Long, 0.0, 1.0), None);
    }

    #[test]
    fn an_order_is_timed_from_its_write_to_its_ack_and_fill() {
        let t0 = Instant::now();
        let mut q = ExecutionQuality::new();
        q.written("qt-1-0", PositionSide::Short, 200.0, t0);
        let ack = q.acked("qt-1-0", t0 + Duration::from_millis(30)).unwrap();
        assert!((ack - 0.03).abs() < 1e-9);
        // Acknowledged once.
        assert_eq!(q.acked("qt-1-0", t0 + Duration::from_millis(40)), None);
        let m = q
            .on_event(
                &fill("qt-1-0", PositionSide::Short, 199.0),
                t0 + Duration::from_secs(60),
            )
            .unwrap();
        assert_eq!(m.fill_seconds, Some(60.0));
        assert!((m.slippage_bps.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(q.in_flight(), 0);
        // A fill of an order not known here measures nothing.
        assert_eq!(
            q.on_event(&fill("qt-2-0", PositionSide::Long, 1.0), t0),
            None
        );
    }

    #[test]
    fn a_venue_placed_order_has_slippage_only_and_a_cancel_forgets() {
        let t0 = Instant::now();
        let mut q = ExecutionQuality::new();
        let s = Symbol::new("ETHUSDT").unwrap();
        let stop = ManagedOrder::new("qs-3".into(), s, PositionSide::Short, 1.0, true, 90.0, 0);
        assert_eq!(q.on_event(&TradeEvent::OrderPlaced(stop), t0), None);
        let m = q
            .on_event(&fill("qs-3", PositionSide::Short, 89.91), t0)
            .unwrap();
        assert_eq!(m.fill_seconds, None);
        assert!((m.slippage_bps.unwrap() - 10.0).abs() < 1e-6);
        q.written("qt-4-0", PositionSide::Long, 10.0, t0);
        q.on_event(
            &TradeEvent::OrderCanceled {
                client_id: "qt-4-0".into(),
                symbol: Symbol::new("ETHUSDT").unwrap(),
                reason: "flatten".into(),
            },
            t0,
        );
        assert_eq!(q.in_flight(), 0);
    }
}

//! The paper venue as journaled before latency was modelled: a working
//! order held the price it would fill at, levels were in force at once and
//! the model had no latency. Read so that a node upgraded with positions
//! or orders open restarts on them (a zero latency: what it ran with).

use super::{FillModel, MINUTE_MS, PaperVenue, Working};
use crate::execution::order::ManagedOrder;
use crate::market::Symbol;
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fill model without latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct FillModelV1 {
    fee_rate: f64,
    slippage_bps: f64,
    spread_bps: f64,
}

/// A working order with its fill price decided when it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WorkingV1 {
    order: ManagedOrder,
    price: f64,
    stop: Option<f64>,
    take_profit: Option<f64>,
}

/// The venue without latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PaperVenueV1 {
    model: FillModelV1,
    working: Vec<WorkingV1>,
    positions: BTreeMap<Symbol, (PositionSide, f64)>,
    stops: BTreeMap<Symbol, f64>,
    targets: BTreeMap<Symbol, f64>,
    ticks: BTreeMap<Symbol, f64>,
    seq: u64,
    trade_id: i64,
}

impl From<PaperVenueV1> for PaperVenue {
    /// A working order fills at its decision's close, which its stored
    /// price was taken from under the same model: it fills at that price.
    fn from(v: PaperVenueV1) -> Self {
        let model = FillModel {
            fee_rate: v.model.fee_rate,
            slippage_bps: v.model.slippage_bps,
            spread_bps: v.model.spread_bps,
            latency_ms: 0,
        };
        Self {
            model,
            working: v
                .working
                .into_iter()
                .map(|w| Working {
                    arrives: w.order.sent_at + MINUTE_MS,
                    close: w.order.decision_price,
                    order: w.order,
                    stop: w.stop,
                    take_profit: w.take_profit,
                })
                .collect(),
            positions: v.positions,
            stops: v.stops,
            targets: v.targets,
            ticks: v.ticks,
            seq: v.seq,
            trade_id: v.trade_id,
            pending: Vec::new(),
            clock: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trading::event::{OrderRequest, TradeEvent};

    /// A V1 venue with one working entry, encoded as a node journaled it.
    #[test]
    fn a_venue_journaled_before_latency_restarts_on_its_orders_and_positions() {
        let s = Symbol::new("BTCUSDT").unwrap();
        let model = FillModelV1 {
            fee_rate: 0.0004,
            slippage_bps: 1.0,
            spread_bps: 2.0,
        };
        let now = FillModel {
            fee_rate: 0.0004,
            slippage_bps: 1.0,
            spread_bps: 2.0,
            latency_ms: 0,
        };
        let req = OrderRequest::entry(s.clone(), PositionSide::Long, 2.0, 100.0, 95.0, 0);
        let order = ManagedOrder::new("qt-1-0".into(), s.clone(), req.side, 2.0, false, 100.0, 0);
        let v1 = PaperVenueV1 {
            model,
            working: vec![WorkingV1 {
                order,
                price: now.market_price(PositionSide::Long, 100.0, 0.01),
                stop: Some(95.0),
                take_profit: None,
            }],
            positions: BTreeMap::new(),
            stops: BTreeMap::new(),
            targets: BTreeMap::new(),
            ticks: BTreeMap::from([(s.clone(), 0.01)]),
            seq: 1,
            trade_id: 0,
        };
        let bytes = bincode::serde::encode_to_vec(&v1, bincode::config::standard()).unwrap();
        let mut v = PaperVenue::decode_snapshot(&bytes).unwrap();
        assert_eq!(v.model(), &now);
        let candle = crate::market::Candle::ohlcv(60_000, 101.0, 102.0, 100.0, 101.5, 1.0);
        let ev = v.on_candles(60_000, &BTreeMap::from([(s.clone(), candle)]));
        let TradeEvent::OrderFilled(f) = &ev[0] else {
            panic!("{ev:?}")
        };
        // The price V1 stored: the decision close's ask, slipped, on the tick.
        assert!((f.price - 100.03).abs() < 1e-9, "{}", f.price);
        assert_eq!(v.open_orders()[0].stop_price, Some(95.0));
        // The current form is read as itself.
        let again = bincode::serde::encode_to_vec(&v, bincode::config::standard()).unwrap();
        assert_eq!(PaperVenue::decode_snapshot(&again).unwrap(), v);
        assert!(PaperVenue::decode_snapshot(&bytes[..bytes.len() - 1]).is_err());
    }
}

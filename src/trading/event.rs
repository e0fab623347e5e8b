//! What the trading cores exchange and record: order requests, fills and
//! the trade events the node appends to its store before acting on them.

use crate::execution::order::ManagedOrder;
use crate::market::Symbol;
use crate::portfolio::position::Position;
use crate::risk::limits::{Rejection, RiskAction};
use crate::risk::sizing::PositionSide;
use crate::signals::ranker::RankedSignal;
use serde::{Deserialize, Serialize};

/// An order the risk desk approved or the position book asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Symbol.
    pub symbol: Symbol,
    /// Buy (long) or sell (short).
    pub side: PositionSide,
    /// Quantity.
    pub qty: f64,
    /// Price the decision was made at (the slippage reference).
    pub decision_price: f64,
    /// Exits are reduce-only: they never open or flip a position.
    pub reduce_only: bool,
    /// The protective stop of the position an entry opens (none for exits).
    pub stop: Option<f64>,
    /// The take-profit of the position an entry opens, if any.
    pub take_profit: Option<f64>,
    /// Market time of the decision, ms.
    pub at: i64,
}

impl OrderRequest {
    /// An entry: `qty` of `symbol` on `side`, protected by `stop`.
    #[must_use]
    pub fn entry(
        symbol: Symbol,
        side: PositionSide,
        qty: f64,
        price: f64,
        stop: f64,
        at: i64,
    ) -> Self {
        Self {
            symbol,
            side,
            qty,
            decision_price: price,
            reduce_only: false,
            stop: Some(stop),
            take_profit: None,
            at,
        }
    }

    /// The same entry with a take-profit at `price`.
    #[must_use]
    pub fn with_take_profit(mut self, price: f64) -> Self {
        self.take_profit = Some(price);
        self
    }

    /// A reduce-only exit of `qty` against a position on `position_side`.
    #[must_use]
    pub fn exit(
        symbol: Symbol,
        position_side: PositionSide,
        qty: f64,
        price: f64,
        at: i64,
    ) -> Self {
        Self {
            symbol,
            side: position_side.opposite(),
            qty,
            decision_price: price,
            reduce_only: true,
            stop: None,
            take_profit: None,
            at,
        }
    }
}

/// One execution of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Our id of the order.
    pub client_id: String,
    /// Symbol.
    pub symbol: Symbol,
    /// Direction of the fill.
    pub side: PositionSide,
    /// Quantity.
    pub qty: f64,
    /// Price (slippage included).
    pub price: f64,
    /// Fee paid.
    pub fee: f64,
    /// When, ms (market time).
    pub at: i64,
    /// The order was reduce-only.
    pub reduce_only: bool,
    /// The protective stop of the position an entry opens (none otherwise).
    pub stop: Option<f64>,
}

/// What the trading cores did: every event is appended to the store
/// (and flushed) before the node acts on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TradeEvent {
    /// A ranked entry signal, with every input.
    EntrySignal(RankedSignal),
    /// The gate refused an entry.
    EntryRejected {
        /// Symbol.
        symbol: Symbol,
        /// Why.
        rejection: Rejection,
    },
    /// An order was sent to the venue (acknowledged for the paper venue).
    OrderPlaced(ManagedOrder),
    /// An order filled.
    OrderFilled(Fill),
    /// An order ended without filling (a reduce-only order with nothing
    /// left to reduce, or a cancel on flatten).
    OrderCanceled {
        /// Our id.
        client_id: String,
        /// Symbol.
        symbol: Symbol,
        /// Why.
        reason: String,
    },
    /// A position opened.
    PositionOpened(Position),
    /// A position's stop moved (the venue's stop order with it).
    StopMoved {
        /// Symbol.
        symbol: Symbol,
        /// New stop.
        stop: f64,
    },
    /// A position closed, with its net PnL.
    PositionClosed {
        /// Symbol.
        symbol: Symbol,
        /// Realized − fees + funding.
        pnl: f64,
    },
    /// A funding payment on an open position (positive: received).
    Funding {
        /// Symbol.
        symbol: Symbol,
        /// Amount, USDT.
        amount: f64,
        /// Funding time, ms.
        at: i64,
    },
    /// The risk state halted entries or flattened.
    Risk(RiskAction),
    /// An operator resumed trading after a halt.
    Resumed {
        /// Who, as given.
        by: String,
    },
    /// A managed exit decided on a position, with what decided it (the
    /// reduce-only order it sends follows). Stops and take-profits fire at
    /// the venue and show as the fills of their orders; a flatten is the
    /// `RiskAction` that caused it.
    ExitSignal {
        /// Symbol.
        symbol: Symbol,
        /// The position's side.
        side: PositionSide,
        /// Quantity to close.
        qty: f64,
        /// The R multiple (profit in initial stop distances) whose partial
        /// exit this is.
        r: f64,
        /// The minute's close it was decided on.
        price: f64,
        /// The minute's high and low (what reached the R level).
        high: f64,
        /// See `high`.
        low: f64,
        /// The position's entry price and its stop after this minute's
        /// management (a partial exit at 1R also moves it to break-even).
        entry: f64,
        /// See `entry`.
        stop: f64,
    },
}

impl TradeEvent {
    /// The variant's name (what `qtrade events --kind` accepts).
    #[must_use]
    pub fn variant(&self) -> &'static str {
        match self {
            Self::EntrySignal(_) => "EntrySignal",
            Self::EntryRejected { .. } => "EntryRejected",
            Self::OrderPlaced(_) => "OrderPlaced",
            Self::OrderFilled(_) => "OrderFilled",
            Self::OrderCanceled { .. } => "OrderCanceled",
            Self::PositionOpened(_) => "PositionOpened",
            Self::StopMoved { .. } => "StopMoved",
            Self::PositionClosed { .. } => "PositionClosed",
            Self::Funding { .. } => "Funding",
            Self::Risk(_) => "RiskAction",
            Self::Resumed { .. } => "Resumed",
            Self::ExitSignal { .. } => "ExitSignal",
        }
    }

    /// Every variant name.
    pub const VARIANTS: [&'static str; 12] = [
        "EntrySignal",
        "EntryRejected",
        "OrderPlaced",
        "OrderFilled",
        "OrderCanceled",
        "PositionOpened",
        "StopMoved",
        "PositionClosed",
        "Funding",
        "RiskAction",
        "Resumed",
        "ExitSignal",
    ];

    /// Risk decisions belong to the risk family; the rest to trade.
    #[must_use]
    pub fn is_risk(&self) -> bool {
        matches!(
            self,
            Self::EntryRejected { .. } | Self::Risk(_) | Self::Resumed { .. }
        )
    }
}

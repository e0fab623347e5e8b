//! Order vocabulary shared by REST responses and user-data events: the
//! enums of PROTOCOL.md §1 ("Enums (common-definition)") and §6–7, plus the
//! venue symbol and order-id newtypes.
//!
//! Enums that Binance documents as open-ended (order types, execution
//! types, reasons) carry an `Unknown` variant so a new value is logged by
//! the caller, not a parse failure of the whole message.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A symbol exactly as the venue writes it (`BTCUSDT`). Since 2025-10-09
/// symbols may contain non-ASCII characters (PROTOCOL.md §1), so this type
/// accepts any text; [`crate::market::Symbol`] is the validated domain form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VenueSymbol(pub String);

impl VenueSymbol {
    /// Wraps a venue symbol.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The symbol text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The validated domain symbol, when the venue symbol is plain ASCII.
    ///
    /// # Errors
    /// [`crate::market::symbol::InvalidSymbol`] for symbols the core does not trade.
    pub fn to_symbol(&self) -> Result<crate::market::Symbol, crate::market::symbol::InvalidSymbol> {
        crate::market::Symbol::new(&self.0)
    }
}

impl fmt::Display for VenueSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for VenueSymbol {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for VenueSymbol {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The venue's order id (`orderId`, `i`); increments per symbol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct OrderId(pub i64);

/// The venue's id of a conditional (algo) order (`algoId`, `aid`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct AlgoId(pub i64);

/// A client order id (`newClientOrderId`, `clientOrderId`, `c`, `clientAlgoId`):
/// `^[\.A-Z\:/a-z0-9_-]{1,36}$` when we choose it (PROTOCOL.md §6.2); the
/// venue's own (`autoclose-…`, `adl_autoclose`) are kept as received.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(pub String);

/// Why a text is not a client order id we may send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid client order id {0:?}: expected 1 to 36 of A-Z a-z 0-9 . : / _ -")]
pub struct InvalidClientOrderId(pub String);

impl ClientOrderId {
    /// Validates an id we generate against the venue's regex
    /// `^[\.A-Z\:/a-z0-9_-]{1,36}$` (PROTOCOL.md §6.2; longer → `-4015`).
    ///
    /// # Errors
    /// [`InvalidClientOrderId`] when empty, longer than 36 or with other characters.
    pub fn new(s: &str) -> Result<Self, InvalidClientOrderId> {
        let ok = (1..=36).contains(&s.len())
            && s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-')
            });
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(InvalidClientOrderId(s.to_string()))
        }
    }

    /// The id text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the venue's liquidation / ADL / settlement orders
    /// (`autoclose-…`, `adl_autoclose`, `settlement_autoclose-…`, PROTOCOL.md §7.3).
    #[must_use]
    pub fn is_venue_autoclose(&self) -> bool {
        self.0.starts_with("autoclose-")
            || self.0 == "adl_autoclose"
            || self.0.starts_with("settlement_autoclose-")
    }
}

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }
}

/// Position side: `BOTH` in one-way mode, `LONG`/`SHORT` in hedge mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionSide {
    /// One-way mode.
    Both,
    /// Hedge-mode long leg.
    Long,
    /// Hedge-mode short leg.
    Short,
}

impl PositionSide {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Both => "BOTH",
            Self::Long => "LONG",
            Self::Short => "SHORT",
        }
    }
}

/// Order type (PROTOCOL.md §1, §7.3). Since 2025-12-09 only `LIMIT` and
/// `MARKET` go to `/fapi/v1/order`; the conditional types go to
/// `/fapi/v1/algoOrder` (§0, §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// Limit order.
    Limit,
    /// Market order.
    Market,
    /// Stop-limit (algo).
    Stop,
    /// Stop-market (algo).
    StopMarket,
    /// Take-profit limit (algo).
    TakeProfit,
    /// Take-profit market (algo).
    TakeProfitMarket,
    /// Trailing stop (algo).
    TrailingStopMarket,
    /// The venue's liquidation order (user stream only).
    Liquidation,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

impl OrderType {
    /// True for the conditional types that must go through the algo
    /// endpoint since 2025-12-09 (`-4120` otherwise, PROTOCOL.md §0).
    #[must_use]
    pub const fn is_conditional(self) -> bool {
        matches!(
            self,
            Self::Stop
                | Self::StopMarket
                | Self::TakeProfit
                | Self::TakeProfitMarket
                | Self::TrailingStopMarket
        )
    }
}

/// Order status (PROTOCOL.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted, resting.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled.
    Canceled,
    /// Rejected.
    Rejected,
    /// Expired (IOC/FOK/GTX/GTD remainder, ...).
    Expired,
    /// Expired by self-trade prevention in the matching engine.
    ExpiredInMatch,
}

impl OrderStatus {
    /// True when the order can no longer fill.
    #[must_use]
    pub const fn is_final(self) -> bool {
        !matches!(self, Self::New | Self::PartiallyFilled)
    }
}

/// Time in force (PROTOCOL.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeInForce {
    /// Good till cancel (one year).
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
    /// Post-only (good till crossing).
    Gtx,
    /// Good till date.
    Gtd,
    /// Retail price improvement (since 2025-11-18).
    Rpi,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Trigger price source of conditional orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkingType {
    /// Mark price.
    MarkPrice,
    /// Last contract price (default).
    ContractPrice,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Price-match mode (PROTOCOL.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PriceMatch {
    /// No price match.
    None,
    /// Opponent best.
    Opponent,
    /// Opponent 5th level.
    #[serde(rename = "OPPONENT_5")]
    Opponent5,
    /// Opponent 10th level.
    #[serde(rename = "OPPONENT_10")]
    Opponent10,
    /// Opponent 20th level.
    #[serde(rename = "OPPONENT_20")]
    Opponent20,
    /// Own-side best.
    Queue,
    /// Own-side 5th level.
    #[serde(rename = "QUEUE_5")]
    Queue5,
    /// Own-side 10th level.
    #[serde(rename = "QUEUE_10")]
    Queue10,
    /// Own-side 20th level.
    #[serde(rename = "QUEUE_20")]
    Queue20,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Self-trade prevention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SelfTradePrevention {
    /// No prevention.
    None,
    /// Expire the taker.
    ExpireTaker,
    /// Expire both.
    ExpireBoth,
    /// Expire the maker.
    ExpireMaker,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Execution type of an `ORDER_TRADE_UPDATE` (`x`, PROTOCOL.md §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionType {
    /// Order accepted.
    New,
    /// Order cancelled.
    Canceled,
    /// Liquidation execution.
    Calculated,
    /// Order expired.
    Expired,
    /// A fill.
    Trade,
    /// Order modified.
    Amendment,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Status of a conditional (algo) order (PROTOCOL.md §6.4, §7.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlgoStatus {
    /// Waiting for its trigger.
    New,
    /// Cancelled before triggering.
    Canceled,
    /// Trigger hit, order being placed.
    Triggering,
    /// Order placed in the matching engine.
    Triggered,
    /// Done.
    Finished,
    /// Rejected (reason in `rm`).
    Rejected,
    /// Expired.
    Expired,
    /// A value this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Margin type as the position endpoints and `ACCOUNT_UPDATE` write it:
/// lowercase `isolated`/`cross`, while requests and `MARGIN_CALL` use
/// `ISOLATED`/`CROSSED` (PROTOCOL.md §11 item 12). All spellings are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MarginType {
    /// Isolated margin.
    #[serde(rename = "ISOLATED", alias = "isolated")]
    Isolated,
    /// Cross margin.
    #[serde(
        rename = "CROSSED",
        alias = "cross",
        alias = "crossed",
        alias = "CROSS"
    )]
    Crossed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_order_ids_follow_the_regex() {
        assert!(ClientOrderId::new("qt-1.a:b/c_D").is_ok());
        assert!(ClientOrderId::new("").is_err());
        assert!(ClientOrderId::new(&"x".repeat(37)).is_err());
        assert!(ClientOrderId::new("a b").is_err());
        assert!(ClientOrderId("autoclose-123".into()).is_venue_autoclose());
    }

    #[test]
    fn enums_read_wire_names() {
        let t: OrderType = serde_json::from_str("\"TAKE_PROFIT_MARKET\"").unwrap();
        assert!(t.is_conditional());
        let t: OrderType = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
        assert_eq!(t, OrderType::Unknown);
        let m: MarginType = serde_json::from_str("\"cross\"").unwrap();
        assert_eq!(m, MarginType::Crossed);
        let p: PriceMatch = serde_json::from_str("\"OPPONENT_5\"").unwrap();
        assert_eq!(p, PriceMatch::Opponent5);
        assert!(OrderStatus::ExpiredInMatch.is_final());
    }
}

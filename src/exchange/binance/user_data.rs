//! User data stream events (PROTOCOL.md §7): order and algo-order updates,
//! balance and position changes, margin calls, configuration changes and
//! the listenKey expiry notice.
//!
//! Prices and quantities of orders keep exchange precision; balances and
//! PnL are `f64`. Fields the docs added over time (`V`, `pm`, `gtd`, `er`,
//! ...) default when absent.

use super::decimal::{Decimal, Price, Quantity, f64_str, opt_decimal, opt_f64_str};
use super::order::VenueSymbol;
use super::order::{
    AlgoId, AlgoStatus, ClientOrderId, ExecutionType, MarginType, OrderId, OrderStatus, OrderType,
    PositionSide, PriceMatch, SelfTradePrevention, Side, TimeInForce, WorkingType,
};
use serde::{Deserialize, Deserializer};

/// Why an order expired (`er`, PROTOCOL.md §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExpiryReason {
    /// `0`: none.
    #[default]
    None,
    /// `1`: self-trade prevention.
    SelfTradePrevention,
    /// `2`: IOC remainder cancelled.
    IocRemainder,
    /// `3`: IOC remainder cancelled by self-trade prevention.
    IocRemainderStp,
    /// `4`: cancelled by a higher-priority reduce-only order, or would reverse the position.
    ReduceOnlyPriority,
    /// `5`: expired at account liquidation.
    AccountLiquidation,
    /// `6`: GTE condition unsatisfied.
    GteConditionUnsatisfied,
    /// `7`: symbol delisted.
    SymbolDelisted,
    /// `8`: initial order expired after its stop order triggered.
    StopTriggered,
    /// `9`: MARKET order not fully filled, remainder cancelled.
    MarketRemainder,
    /// A code this client does not know.
    Other(i64),
}

impl ExpiryReason {
    /// From the numeric code.
    #[must_use]
    pub const fn from_code(code: i64) -> Self {
        match code {
            0 => Self::None,
            1 => Self::SelfTradePrevention,
            2 => Self::IocRemainder,
            3 => Self::IocRemainderStp,
            4 => Self::ReduceOnlyPriority,
            5 => Self::AccountLiquidation,
            6 => Self::GteConditionUnsatisfied,
            7 => Self::SymbolDelisted,
            8 => Self::StopTriggered,
            9 => Self::MarketRemainder,
            other => Self::Other(other),
        }
    }
}

impl<'de> Deserialize<'de> for ExpiryReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::decimal::i64_lenient(d).map(Self::from_code)
    }
}

/// The `o` object of `ORDER_TRADE_UPDATE` (PROTOCOL.md §7.3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderUpdate {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Client order id (venue ids `autoclose-…`/`adl_autoclose` for liquidation/ADL).
    #[serde(rename = "c")]
    pub client_order_id: ClientOrderId,
    /// Side.
    #[serde(rename = "S")]
    pub side: Side,
    /// Order type.
    #[serde(rename = "o")]
    pub order_type: OrderType,
    /// Time in force.
    #[serde(rename = "f")]
    pub time_in_force: TimeInForce,
    /// Original quantity.
    #[serde(rename = "q")]
    pub orig_qty: Quantity,
    /// Original price.
    #[serde(rename = "p")]
    pub price: Price,
    /// Average fill price.
    #[serde(rename = "ap")]
    pub avg_price: Price,
    /// Stop price.
    #[serde(rename = "sp", default)]
    pub stop_price: Price,
    /// Execution type of this update.
    #[serde(rename = "x")]
    pub execution_type: ExecutionType,
    /// Order status after this update.
    #[serde(rename = "X")]
    pub status: OrderStatus,
    /// Order id.
    #[serde(rename = "i")]
    pub order_id: OrderId,
    /// Quantity of the last fill.
    #[serde(rename = "l")]
    pub last_filled_qty: Quantity,
    /// Cumulative filled quantity.
    #[serde(rename = "z")]
    pub cum_filled_qty: Quantity,
    /// Price of the last fill.
    #[serde(rename = "L")]
    pub last_filled_price: Price,
    /// Commission asset (absent when no commission was charged).
    #[serde(rename = "N", default)]
    pub commission_asset: Option<String>,
    /// Commission of the last fill.
    #[serde(rename = "n", default, deserialize_with = "opt_f64_str")]
    pub commission: Option<f64>,
    /// Trade time (ms).
    #[serde(rename = "T")]
    pub trade_time: i64,
    /// Trade id (`0` when no trade).
    #[serde(rename = "t", default)]
    pub trade_id: i64,
    /// Bids notional.
    #[serde(rename = "b", default, deserialize_with = "opt_f64_str")]
    pub bids_notional: Option<f64>,
    /// Asks notional.
    #[serde(rename = "a", default, deserialize_with = "opt_f64_str")]
    pub asks_notional: Option<f64>,
    /// True when this fill was on the maker side.
    #[serde(rename = "m", default)]
    pub is_maker: bool,
    /// Reduce-only.
    #[serde(rename = "R", default)]
    pub reduce_only: bool,
    /// Stop price working type.
    #[serde(rename = "wt", default)]
    pub working_type: Option<WorkingType>,
    /// Original order type.
    #[serde(rename = "ot", default)]
    pub orig_type: Option<OrderType>,
    /// Position side.
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
    /// Close-all (conditional).
    #[serde(rename = "cp", default)]
    pub close_position: bool,
    /// Activation price (trailing stop only).
    #[serde(rename = "AP", default, deserialize_with = "opt_decimal")]
    pub activation_price: Option<Decimal>,
    /// Callback rate (trailing stop only).
    #[serde(rename = "cr", default, deserialize_with = "opt_decimal")]
    pub callback_rate: Option<Decimal>,
    /// Price protection.
    #[serde(rename = "pP", default)]
    pub price_protect: bool,
    /// Realised profit of this trade.
    #[serde(rename = "rp", default, deserialize_with = "opt_f64_str")]
    pub realized_profit: Option<f64>,
    /// Self-trade prevention mode.
    #[serde(rename = "V", default)]
    pub stp_mode: Option<SelfTradePrevention>,
    /// Price match mode.
    #[serde(rename = "pm", default)]
    pub price_match: Option<PriceMatch>,
    /// GTD auto-cancel time (`0` when none).
    #[serde(rename = "gtd", default)]
    pub good_till_date: i64,
    /// Expiry reason (since 2025-10-23).
    #[serde(rename = "er", default)]
    pub expiry_reason: ExpiryReason,
}

/// `ORDER_TRADE_UPDATE`: an order was accepted, filled, cancelled, expired
/// or amended.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderTradeUpdate {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// The order.
    #[serde(rename = "o")]
    pub order: OrderUpdate,
}

/// The `o` object of `ALGO_UPDATE` (PROTOCOL.md §7.5).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlgoOrderUpdate {
    /// Client algo id.
    #[serde(rename = "caid")]
    pub client_algo_id: ClientOrderId,
    /// Algo id.
    #[serde(rename = "aid")]
    pub algo_id: AlgoId,
    /// Algo type (`CONDITIONAL`).
    #[serde(rename = "at")]
    pub algo_type: String,
    /// Order type.
    #[serde(rename = "o")]
    pub order_type: OrderType,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Side.
    #[serde(rename = "S")]
    pub side: Side,
    /// Position side.
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
    /// Time in force.
    #[serde(rename = "f")]
    pub time_in_force: TimeInForce,
    /// Quantity.
    #[serde(rename = "q", default, deserialize_with = "opt_decimal")]
    pub quantity: Option<Decimal>,
    /// Algo status.
    #[serde(rename = "X")]
    pub status: AlgoStatus,
    /// Matching-engine order id once triggered (`""` before).
    #[serde(rename = "ai", default)]
    pub actual_order_id: String,
    /// Average fill price.
    #[serde(rename = "ap", default, deserialize_with = "opt_decimal")]
    pub avg_price: Option<Decimal>,
    /// Executed quantity.
    #[serde(rename = "aq", default, deserialize_with = "opt_decimal")]
    pub executed_qty: Option<Decimal>,
    /// Actual order type (`"0"` before trigger in the sample).
    #[serde(rename = "act", default)]
    pub actual_order_type: String,
    /// Trigger price.
    #[serde(rename = "tp", default, deserialize_with = "opt_decimal")]
    pub trigger_price: Option<Decimal>,
    /// Limit price.
    #[serde(rename = "p", default, deserialize_with = "opt_decimal")]
    pub price: Option<Decimal>,
    /// Self-trade prevention mode.
    #[serde(rename = "V", default)]
    pub stp_mode: Option<SelfTradePrevention>,
    /// Working type.
    #[serde(rename = "wt", default)]
    pub working_type: Option<WorkingType>,
    /// Price match.
    #[serde(rename = "pm", default)]
    pub price_match: Option<PriceMatch>,
    /// Close-all.
    #[serde(rename = "cp", default)]
    pub close_position: bool,
    /// Price protection.
    #[serde(rename = "pP", default)]
    pub price_protect: bool,
    /// Reduce-only.
    #[serde(rename = "R", default)]
    pub reduce_only: bool,
    /// Trigger time (ms, `0` before trigger).
    #[serde(rename = "tt", default)]
    pub trigger_time: i64,
    /// GTD time.
    #[serde(rename = "gtd", default)]
    pub good_till_date: i64,
    /// Failure reason text.
    #[serde(rename = "rm", default)]
    pub reason: Option<String>,
}

impl AlgoOrderUpdate {
    /// The matching-engine order id, once the algo order has triggered.
    #[must_use]
    pub fn matching_order_id(&self) -> Option<OrderId> {
        self.actual_order_id.parse().ok().map(OrderId)
    }
}

/// `ALGO_UPDATE`: a conditional order changed state (since 2025-12-09).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlgoUpdate {
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// The algo order.
    #[serde(rename = "o")]
    pub order: AlgoOrderUpdate,
}

/// Why an `ACCOUNT_UPDATE` was pushed (`a.m`, §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountUpdateReason {
    /// Deposit.
    Deposit,
    /// Withdrawal.
    Withdraw,
    /// An order fill.
    Order,
    /// Funding fee.
    FundingFee,
    /// Rejected withdrawal.
    WithdrawReject,
    /// Adjustment.
    Adjustment,
    /// Insurance clear.
    InsuranceClear,
    /// Admin deposit.
    AdminDeposit,
    /// Admin withdrawal.
    AdminWithdraw,
    /// Margin transfer.
    MarginTransfer,
    /// Margin type change.
    MarginTypeChange,
    /// Asset transfer.
    AssetTransfer,
    /// Options premium fee.
    OptionsPremiumFee,
    /// Options settle profit.
    OptionsSettleProfit,
    /// Auto-exchange.
    AutoExchange,
    /// Coin-swap deposit.
    CoinSwapDeposit,
    /// Coin-swap withdrawal.
    CoinSwapWithdraw,
    /// A reason this client does not know.
    #[serde(other)]
    Unknown,
}

/// One balance in `ACCOUNT_UPDATE.a.B`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BalanceUpdate {
    /// Asset.
    #[serde(rename = "a")]
    pub asset: String,
    /// Wallet balance.
    #[serde(rename = "wb", deserialize_with = "f64_str")]
    pub wallet_balance: f64,
    /// Cross wallet balance.
    #[serde(rename = "cw", deserialize_with = "f64_str")]
    pub cross_wallet_balance: f64,
    /// Balance change except PnL and commission.
    #[serde(rename = "bc", default, deserialize_with = "opt_f64_str")]
    pub balance_change: Option<f64>,
}

/// One position in `ACCOUNT_UPDATE.a.P` (only changed positions are listed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PositionUpdate {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Position amount: positive long, negative short.
    #[serde(rename = "pa")]
    pub position_amt: Decimal,
    /// Entry price.
    #[serde(rename = "ep", deserialize_with = "f64_str")]
    pub entry_price: f64,
    /// Break-even price.
    #[serde(rename = "bep", default, deserialize_with = "opt_f64_str")]
    pub break_even_price: Option<f64>,
    /// Pre-fee accumulated realised PnL.
    #[serde(rename = "cr", default, deserialize_with = "opt_f64_str")]
    pub accumulated_realized: Option<f64>,
    /// Unrealised PnL.
    #[serde(rename = "up", deserialize_with = "f64_str")]
    pub unrealized_pnl: f64,
    /// Margin type.
    #[serde(rename = "mt")]
    pub margin_type: MarginType,
    /// Isolated wallet.
    #[serde(rename = "iw", default, deserialize_with = "opt_f64_str")]
    pub isolated_wallet: Option<f64>,
    /// Position side.
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
}

/// The `a` object of `ACCOUNT_UPDATE`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountUpdateData {
    /// Reason.
    #[serde(rename = "m")]
    pub reason: AccountUpdateReason,
    /// Changed balances.
    #[serde(rename = "B", default)]
    pub balances: Vec<BalanceUpdate>,
    /// Changed positions (absent for a cross-margin funding fee).
    #[serde(rename = "P", default)]
    pub positions: Vec<PositionUpdate>,
}

/// `ACCOUNT_UPDATE`: balances or positions actually changed (never for an
/// unfilled order placed or cancelled, §7.4).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountUpdate {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// The change.
    #[serde(rename = "a")]
    pub data: AccountUpdateData,
}

/// One position in a `MARGIN_CALL`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MarginCallPosition {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Position side.
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
    /// Position amount.
    #[serde(rename = "pa")]
    pub position_amt: Decimal,
    /// Margin type.
    #[serde(rename = "mt")]
    pub margin_type: MarginType,
    /// Isolated wallet.
    #[serde(rename = "iw", default, deserialize_with = "opt_f64_str")]
    pub isolated_wallet: Option<f64>,
    /// Mark price.
    #[serde(rename = "mp", deserialize_with = "f64_str")]
    pub mark_price: f64,
    /// Unrealised PnL.
    #[serde(rename = "up", deserialize_with = "f64_str")]
    pub unrealized_pnl: f64,
    /// Maintenance margin required.
    #[serde(rename = "mm", deserialize_with = "f64_str")]
    pub maint_margin: f64,
}

/// `MARGIN_CALL`: informational; liquidation may already be under way.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MarginCall {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Cross wallet balance (cross margin calls only).
    #[serde(rename = "cw", default, deserialize_with = "opt_f64_str")]
    pub cross_wallet_balance: Option<f64>,
    /// Positions at risk.
    #[serde(rename = "p")]
    pub positions: Vec<MarginCallPosition>,
}

/// `TRADE_LITE`: the low-latency fill notice.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TradeLite {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// Original quantity.
    #[serde(rename = "q")]
    pub orig_qty: Quantity,
    /// Original price.
    #[serde(rename = "p")]
    pub price: Price,
    /// Maker side.
    #[serde(rename = "m")]
    pub is_maker: bool,
    /// Client order id.
    #[serde(rename = "c")]
    pub client_order_id: ClientOrderId,
    /// Side.
    #[serde(rename = "S")]
    pub side: Side,
    /// Last fill price.
    #[serde(rename = "L")]
    pub last_filled_price: Price,
    /// Last fill quantity.
    #[serde(rename = "l")]
    pub last_filled_qty: Quantity,
    /// Trade id.
    #[serde(rename = "t")]
    pub trade_id: i64,
    /// Order id.
    #[serde(rename = "i")]
    pub order_id: OrderId,
}

/// Leverage change of `ACCOUNT_CONFIG_UPDATE.ac`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LeverageConfig {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: VenueSymbol,
    /// New leverage.
    #[serde(rename = "l")]
    pub leverage: u32,
}

/// Multi-assets mode change of `ACCOUNT_CONFIG_UPDATE.ai`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MultiAssetsConfig {
    /// Multi-assets mode on.
    #[serde(rename = "j")]
    pub multi_assets: bool,
}

/// `ACCOUNT_CONFIG_UPDATE`: leverage or multi-assets mode changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountConfigUpdate {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// Leverage change, if that is what changed.
    #[serde(rename = "ac", default)]
    pub leverage: Option<LeverageConfig>,
    /// Multi-assets change, if that is what changed.
    #[serde(rename = "ai", default)]
    pub multi_assets: Option<MultiAssetsConfig>,
}

/// `listenKeyExpired`: no more user events on this key; POST a new one
/// (the socket itself stays open, §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListenKeyExpired {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: i64,
    /// The expired key.
    #[serde(rename = "listenKey", default)]
    pub listen_key: Option<String>,
}

/// Every user data event this client understands.
#[derive(Debug, Clone, PartialEq)]
pub enum UserEvent {
    /// `ORDER_TRADE_UPDATE`.
    OrderTradeUpdate(OrderTradeUpdate),
    /// `ALGO_UPDATE`.
    AlgoUpdate(AlgoUpdate),
    /// `ACCOUNT_UPDATE`.
    AccountUpdate(AccountUpdate),
    /// `MARGIN_CALL`.
    MarginCall(MarginCall),
    /// `TRADE_LITE`.
    TradeLite(TradeLite),
    /// `ACCOUNT_CONFIG_UPDATE`.
    AccountConfigUpdate(AccountConfigUpdate),
    /// `listenKeyExpired`.
    ListenKeyExpired(ListenKeyExpired),
}

impl UserEvent {
    /// The event time `E` (ms); the docs recommend ordering by it across
    /// event types (§7.2).
    #[must_use]
    pub const fn event_time(&self) -> i64 {
        match self {
            Self::OrderTradeUpdate(e) => e.event_time,
            Self::AlgoUpdate(e) => e.event_time,
            Self::AccountUpdate(e) => e.event_time,
            Self::MarginCall(e) => e.event_time,
            Self::TradeLite(e) => e.event_time,
            Self::AccountConfigUpdate(e) => e.event_time,
            Self::ListenKeyExpired(e) => e.event_time,
        }
    }
}

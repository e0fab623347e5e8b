//! Where fills happen and when triggers fire: the simulator's fill model
//! (PROTOCOL.md §6.3 for the trigger rules).
//!
//! 1. A MARKET order fills at the touch (ask for BUY, bid for SELL) moved
//!    by the slippage away from the taker, then rounded to the tick away
//!    from the taker (a taker never gets a price better than the touch).
//! 2. A LIMIT order crosses when a BUY is at or above the ask, a SELL at or
//!    below the bid; it then fills at the touch, not at its limit.
//! 3. A resting LIMIT fills at its own price once the market trades
//!    through it: a minute whose low is below a BUY's price, or whose high
//!    is above a SELL's (touching is not enough: the queue ahead of it
//!    would take those trades).
//! 4. STOP / STOP_MARKET: BUY fires when the price reaches ≥ trigger, SELL
//!    when ≤. TAKE_PROFIT / TAKE_PROFIT_MARKET: BUY when ≤, SELL when ≥.
//! 5. TRAILING_STOP_MARKET: a SELL activates when the highest price since
//!    placement reaches the activation price (at once without one) and
//!    fires when the latest price falls to highest × (1 − rate); a BUY
//!    mirrors it with the lowest price.

use crate::exchange::binance::order::{OrderType, Side};

/// Prices on the tick grid are f64 here: comparisons allow this fraction
/// of a tick.
const TICK_EPS: f64 = 1e-6;

/// Rule 1: the price a MARKET order fills at.
#[must_use]
pub fn market_fill_price(side: Side, bid: f64, ask: f64, slippage_bps: f64, tick: f64) -> f64 {
    let slip = slippage_bps / 10_000.0;
    match side {
        Side::Buy => to_tick(ask * (1.0 + slip), tick, f64::ceil),
        Side::Sell => to_tick(bid * (1.0 - slip), tick, f64::floor),
    }
}

/// Rounds `x` down (`floor`) or up (`ceil`) to a multiple of `tick`,
/// treating values within a millionth of a tick as on the grid (a zero
/// tick leaves `x` as it is).
#[must_use]
pub fn to_tick(x: f64, tick: f64, round: fn(f64) -> f64) -> f64 {
    if tick > 0.0 {
        // Nudge toward the grid first so 7833.0000001 ticks stays 7833.
        let k = x / tick;
        let nearest = k.round();
        let k = if (k - nearest).abs() < TICK_EPS {
            nearest
        } else {
            round(k)
        };
        k * tick
    } else {
        x
    }
}

/// The touch (bid, ask) a replayed minute leaves: around its `close`,
/// `spread` (a fraction: 0.0002 = 2 bps) apart, on the `tick` grid, at
/// least one tick wide and never below one tick. The simulator's replayed
/// book and the paper venue both quote with it, so a backtest fills where
/// the simulator would.
#[must_use]
pub fn touch_around(close: f64, spread: f64, tick: f64) -> (f64, f64) {
    let half = close * spread / 2.0;
    let bid = to_tick(close - half, tick, f64::floor).max(tick);
    let ask = to_tick(close + half, tick, f64::ceil).max(bid + tick);
    (bid, ask)
}

/// Rule 2: whether a LIMIT at `price` takes liquidity now.
#[must_use]
pub fn limit_crosses(side: Side, price: f64, bid: f64, ask: f64, tick: f64) -> bool {
    let eps = tick * TICK_EPS;
    match side {
        Side::Buy => price + eps >= ask,
        Side::Sell => price - eps <= bid,
    }
}

/// Rule 2: the price a crossing LIMIT fills at.
#[must_use]
pub fn taker_limit_price(side: Side, bid: f64, ask: f64) -> f64 {
    match side {
        Side::Buy => ask,
        Side::Sell => bid,
    }
}

/// Rule 3: whether a minute with this `low`/`high` fills a resting order.
#[must_use]
pub fn traded_through(side: Side, price: f64, low: f64, high: f64) -> bool {
    match side {
        Side::Buy => low < price,
        Side::Sell => high > price,
    }
}

/// Rule 4 over a price range (`low == high` for a single price).
#[must_use]
pub fn fires(order_type: OrderType, side: Side, trigger: f64, low: f64, high: f64) -> bool {
    let stop = matches!(order_type, OrderType::Stop | OrderType::StopMarket);
    match (stop, side) {
        (true, Side::Buy) | (false, Side::Sell) => high >= trigger,
        (true, Side::Sell) | (false, Side::Buy) => low <= trigger,
    }
}

/// Rule 5 for one minute: takes the best price seen since activation
/// (`None` before), the activation price, the callback `rate` (0.01 = 1 %)
/// and the minute's range and last price; returns the new best price and
/// whether the order fires.
#[must_use]
pub fn trail(
    side: Side,
    extreme: Option<f64>,
    activation: Option<f64>,
    rate: f64,
    low: f64,
    high: f64,
    last: f64,
) -> (Option<f64>, bool) {
    match side {
        Side::Sell => {
            if extreme.is_none() && activation.is_some_and(|a| high < a) {
                return (None, false);
            }
            let best = extreme.map_or(high, |e| e.max(high));
            (Some(best), last <= best * (1.0 - rate))
        }
        Side::Buy => {
            if extreme.is_none() && activation.is_some_and(|a| low > a) {
                return (None, false);
            }
            let best = extreme.map_or(low, |e| e.min(low));
            (Some(best), last >= best * (1.0 + rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_fills_at_the_touch_plus_slippage_on_the_grid() {
        let buy = market_fill_price(Side::Buy, 99.0, 100.0, 10.0, 0.01);
        assert!((buy - 100.10).abs() < 1e-9, "{buy}");
        let sell = market_fill_price(Side::Sell, 99.0, 100.0, 10.0, 0.01);
        assert!((sell - 98.90).abs() < 1e-9, "{sell}");
        // Rounded away from the taker.
        let buy = market_fill_price(Side::Buy, 0.7832, 0.7833, 1.0, 0.0001);
        assert!((buy - 0.7834).abs() < 1e-12, "{buy}");
        // No slippage: exactly the touch, despite f64 noise.
        let buy = market_fill_price(Side::Buy, 0.0, 0.7833000000000001, 0.0, 0.0001);
        assert!((buy - 0.7833).abs() < 1e-12, "{buy}");
    }

    #[test]
    fn crossing_and_trading_through() {
        assert!(limit_crosses(Side::Buy, 100.0, 99.9, 100.0, 0.1));
        assert!(!limit_crosses(Side::Buy, 99.9, 99.9, 100.0, 0.1));
        assert!(limit_crosses(Side::Sell, 99.9, 99.9, 100.0, 0.1));
        assert!(
            !traded_through(Side::Buy, 99.0, 99.0, 101.0),
            "a touch is not a fill"
        );
        assert!(traded_through(Side::Buy, 99.0, 98.9, 101.0));
        assert!(traded_through(Side::Sell, 101.0, 99.0, 101.1));
    }

    #[test]
    fn trigger_directions() {
        assert!(fires(OrderType::StopMarket, Side::Sell, 95.0, 94.9, 100.0));
        assert!(!fires(OrderType::StopMarket, Side::Sell, 95.0, 95.1, 100.0));
        assert!(fires(OrderType::Stop, Side::Buy, 105.0, 100.0, 105.0));
        assert!(fires(
            OrderType::TakeProfitMarket,
            Side::Sell,
            105.0,
            100.0,
            105.0
        ));
        assert!(fires(OrderType::TakeProfit, Side::Buy, 95.0, 95.0, 100.0));
        assert!(!fires(OrderType::TakeProfit, Side::Buy, 95.0, 96.0, 100.0));
    }

    #[test]
    fn trailing_stop_follows_the_extreme() {
        // Not active until the high reaches 110.
        assert_eq!(
            trail(Side::Sell, None, Some(110.0), 0.01, 99.0, 105.0, 104.0),
            (None, false)
        );
        let (e, f) = trail(Side::Sell, None, Some(110.0), 0.01, 105.0, 112.0, 111.0);
        assert_eq!((e, f), (Some(112.0), false));
        // 1 % below 112 is 110.88.
        let (e, f) = trail(Side::Sell, e, Some(110.0), 0.01, 110.0, 111.0, 110.9);
        assert_eq!((e, f), (Some(112.0), false));
        let (_, f) = trail(Side::Sell, e, Some(110.0), 0.01, 110.0, 111.0, 110.8);
        assert!(f);
        // BUY mirrors it; no activation price: active at once.
        let (e, f) = trail(Side::Buy, None, None, 0.02, 100.0, 101.0, 101.0);
        assert_eq!((e, f), (Some(100.0), false));
        let (_, f) = trail(Side::Buy, e, None, 0.02, 101.0, 102.5, 102.0);
        assert!(f);
    }
}

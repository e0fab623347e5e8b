//! The factor score's market inputs ([`MarketInputs`]) as the node and the
//! backtest read them, one way for both:
//!
//! 1. From candles, over the last [`FLOW_WINDOW`] closed one-minute
//!    candles ([`CandleFlow`]): the taker-buy ratio Σ taker-buy volume /
//!    Σ volume, the trade-flow imbalance (2·Σ taker-buy − Σ volume) /
//!    Σ volume (the same evidence on [−1, 1]), the price change from the
//!    oldest candle's open to the latest close, and the open-interest
//!    change over the same candles (latest reading over the oldest, when
//!    both are known). Without volume the flow is unknown (NaN).
//! 2. From the venue at the candle's close ([`VenueReadings`]): the best
//!    bid and ask with their sizes (relative spread (ask − bid)/mid), the
//!    latest funding rate and the open interest. The node reads them from
//!    its market (the synthetic book; a venue's book tickers and premium
//!    index); the backtest uses the book the simulated exchange serves when
//!    it replays the same files and the paper funding rate the simulator
//!    also reports.
//! 3. The spread's quality scale is the screen's spread limit.
//!
//! Velocity is left to the signal desk (it reads it from the returns it
//! already holds). Anything unknown stays NaN: no evidence.

use super::factors::MarketInputs;
use crate::indicators::window::Window;
use crate::market::Candle;
use crate::selection::screen::relative_spread;
use serde::{Deserialize, Serialize};

/// One-minute candles in the flow window (the smart-money index reads the
/// same window).
pub const FLOW_WINDOW: usize = 20;

/// Best bid and ask with their sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BookQuote {
    /// Best bid price.
    pub bid: f64,
    /// Quantity at the best bid.
    pub bid_size: f64,
    /// Best ask price.
    pub ask: f64,
    /// Quantity at the best ask.
    pub ask_size: f64,
}

impl From<crate::market::synthetic::BookTicker> for BookQuote {
    fn from(b: crate::market::synthetic::BookTicker) -> Self {
        Self {
            bid: b.bid,
            bid_size: b.bid_qty,
            ask: b.ask,
            ask_size: b.ask_qty,
        }
    }
}

/// What the venue says about one symbol beyond its candles, read at a
/// candle's close.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VenueReadings {
    /// The latest book ticker, when one is known.
    pub book: Option<BookQuote>,
    /// Latest funding rate (0.0001 = 0.01% per funding period), NaN when
    /// unknown.
    pub funding_rate: f64,
    /// Open interest, contracts, NaN when unknown.
    pub open_interest: f64,
    /// The screen's spread limit: the scale of the spread's quality.
    pub max_spread: f64,
}

impl VenueReadings {
    /// Nothing known.
    #[must_use]
    pub fn unknown() -> Self {
        Self {
            book: None,
            funding_rate: f64::NAN,
            open_interest: f64::NAN,
            max_spread: f64::NAN,
        }
    }
}

impl Default for VenueReadings {
    fn default() -> Self {
        Self::unknown()
    }
}

/// Taker-buy volume over volume, in [0, 1]; NaN without volume.
#[must_use]
pub fn taker_buy_ratio(taker_buy: f64, volume: f64) -> f64 {
    if volume > 0.0 && taker_buy.is_finite() && volume.is_finite() {
        (taker_buy / volume).clamp(0.0, 1.0)
    } else {
        f64::NAN
    }
}

/// Taker-buy minus taker-sell volume over volume, (2·buy − volume)/volume,
/// in [−1, 1]; NaN without volume.
#[must_use]
pub fn trade_flow_imbalance(taker_buy: f64, volume: f64) -> f64 {
    2.0 * taker_buy_ratio(taker_buy, volume) - 1.0
}

/// `to / from − 1`, NaN unless both are positive and finite.
fn change(from: f64, to: f64) -> f64 {
    if from > 0.0 && to > 0.0 && from.is_finite() && to.is_finite() {
        to / from - 1.0
    } else {
        f64::NAN
    }
}

/// What the candle flow window read at one candle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowReading {
    /// Taker-buy ratio over the window.
    pub taker_buy_ratio: f64,
    /// Trade-flow imbalance over the window.
    pub trade_flow_imbalance: f64,
    /// Oldest open to latest close.
    pub price_change: f64,
    /// Open-interest change over the window.
    pub oi_change: f64,
}

/// The last [`FLOW_WINDOW`] candles' taker flow, opens and open-interest
/// readings (rule 1).
#[derive(Debug, Clone)]
pub struct CandleFlow {
    taker_buy: Window,
    volume: Window,
    open: Window,
    open_interest: Window,
}

impl Default for CandleFlow {
    fn default() -> Self {
        Self::new()
    }
}

impl CandleFlow {
    /// An empty window.
    #[must_use]
    pub fn new() -> Self {
        Self {
            taker_buy: Window::new(FLOW_WINDOW),
            volume: Window::new(FLOW_WINDOW),
            open: Window::new(FLOW_WINDOW),
            open_interest: Window::new(FLOW_WINDOW),
        }
    }

    /// Takes one closed candle and the open interest at its close (NaN
    /// when unknown); returns the window's reading.
    pub fn update(&mut self, c: &Candle, open_interest: f64) -> FlowReading {
        self.taker_buy.push(c.taker_buy_volume);
        self.volume.push(c.volume);
        self.open.push(c.open);
        self.open_interest.push(open_interest);
        // Sums over the window, in order, so the node and the backtest add
        // the same numbers the same way.
        let buy: f64 = self.taker_buy.iter().sum();
        let vol: f64 = self.volume.iter().sum();
        FlowReading {
            taker_buy_ratio: taker_buy_ratio(buy, vol),
            trade_flow_imbalance: trade_flow_imbalance(buy, vol),
            price_change: change(self.open.get(0), c.close),
            oi_change: change(self.open_interest.get(0), open_interest),
        }
    }
}

/// The factor inputs from a flow reading and the venue's readings
/// (velocity unknown: the desk fills it).
#[must_use]
pub fn market_inputs(flow: &FlowReading, venue: &VenueReadings) -> MarketInputs {
    let book = venue.book;
    let spread = book
        .and_then(|b| relative_spread(b.bid, b.ask))
        .unwrap_or(f64::NAN);
    let size = |v: f64| {
        if v.is_finite() && v >= 0.0 {
            v
        } else {
            f64::NAN
        }
    };
    MarketInputs {
        velocity: f64::NAN,
        funding_rate: venue.funding_rate,
        oi_change: flow.oi_change,
        price_change: flow.price_change,
        taker_buy_ratio: flow.taker_buy_ratio,
        bid_size: book.map_or(f64::NAN, |b| size(b.bid_size)),
        ask_size: book.map_or(f64::NAN, |b| size(b.ask_size)),
        trade_flow_imbalance: flow.trade_flow_imbalance,
        spread,
        max_spread: venue.max_spread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn candle(t: i64, open: f64, close: f64, volume: f64, buy: f64) -> Candle {
        let mut c = Candle::ohlcv(
            t * 60_000,
            open,
            open.max(close),
            open.min(close),
            close,
            volume,
        );
        c.taker_buy_volume = buy;
        c
    }

    #[test]
    fn the_window_reads_flow_price_and_open_interest_changes() {
        let mut f = CandleFlow::new();
        let r = f.update(&candle(0, 100.0, 101.0, 10.0, 7.0), 1000.0);
        assert!((r.taker_buy_ratio - 0.7).abs() < 1e-12);
        assert!((r.trade_flow_imbalance - 0.4).abs() < 1e-12);
        assert!((r.price_change - 0.01).abs() < 1e-12);
        assert_eq!(r.oi_change, 0.0);
        let r = f.update(&candle(1, 101.0, 99.0, 30.0, 3.0), 1100.0);
        assert!((r.taker_buy_ratio - 10.0 / 40.0).abs() < 1e-12);
        assert!((r.trade_flow_imbalance + 0.5).abs() < 1e-12);
        assert!((r.price_change + 0.01).abs() < 1e-12);
        assert!((r.oi_change - 0.1).abs() < 1e-12);
        for t in 2..=FLOW_WINDOW as i64 {
            f.update(&candle(t, 99.0, 99.0, 0.0, 0.0), f64::NAN);
        }
        // The first two candles left the window: no volume, no flow; the
        // oldest open-interest reading is unknown.
        let r = f.update(&candle(21, 99.0, 99.0, 0.0, 0.0), 1200.0);
        assert!(r.taker_buy_ratio.is_nan() && r.trade_flow_imbalance.is_nan());
        assert_eq!(r.price_change, 0.0);
        assert!(r.oi_change.is_nan());
    }

    #[test]
    fn the_book_makes_spread_and_sizes() {
        let flow = FlowReading {
            taker_buy_ratio: 0.5,
            trade_flow_imbalance: 0.0,
            price_change: 0.0,
            oi_change: f64::NAN,
        };
        let venue = VenueReadings {
            book: Some(BookQuote {
                bid: 99.99,
                bid_size: 3.0,
                ask: 100.01,
                ask_size: 1.0,
            }),
            funding_rate: 0.0001,
            max_spread: 0.0005,
            ..VenueReadings::unknown()
        };
        let m = market_inputs(&flow, &venue);
        assert!((m.spread - 0.0002).abs() < 1e-12);
        assert_eq!((m.bid_size, m.ask_size), (3.0, 1.0));
        assert_eq!((m.funding_rate, m.max_spread), (0.0001, 0.0005));
        assert!(m.velocity.is_nan() && m.oi_change.is_nan());
        let none = market_inputs(&flow, &VenueReadings::unknown());
        assert!(none.spread.is_nan() && none.bid_size.is_nan() && none.funding_rate.is_nan());
    }

    proptest! {
        #[test]
        fn flow_stays_in_range_and_is_unknown_without_volume(
            volume in 0.0f64..1e9, share in 0.0f64..=1.0,
        ) {
            let buy = volume * share;
            let (r, i) = (taker_buy_ratio(buy, volume), trade_flow_imbalance(buy, volume));
            if volume > 0.0 {
                prop_assert!((0.0..=1.0).contains(&r), "{r}");
                prop_assert!((-1.0..=1.0).contains(&i), "{i}");
                prop_assert!((i - (2.0 * buy - volume) / volume).abs() < 1e-9);
            } else {
                prop_assert!(r.is_nan() && i.is_nan());
            }
            prop_assert!(taker_buy_ratio(0.0, 0.0).is_nan());
            prop_assert!(trade_flow_imbalance(buy, 0.0).is_nan());
        }

        #[test]
        fn windowed_flow_stays_in_range(
            bars in proptest::collection::vec((1.0f64..1e5, 0.0f64..1e6, 0.0f64..=1.0), 1..60),
        ) {
            let mut f = CandleFlow::new();
            for (k, (price, volume, share)) in bars.iter().enumerate() {
                let c = candle(k as i64, *price, *price, *volume, volume * share);
                let r = f.update(&c, f64::NAN);
                if r.taker_buy_ratio.is_nan() {
                    prop_assert!(r.trade_flow_imbalance.is_nan());
                } else {
                    prop_assert!((0.0..=1.0).contains(&r.taker_buy_ratio), "{r:?}");
                    prop_assert!((-1.0..=1.0).contains(&r.trade_flow_imbalance), "{r:?}");
                }
                prop_assert!(r.price_change.is_finite() && r.price_change > -1.0);
            }
        }
    }
}

//! What the four trading actors share: one event-id source (so causes chain
//! across actors), the latency buckets, the venue's mark prices, and the
//! position and order views `/state` shows.
//!
//! `/state` values positions at the mark: with `[market] venue = "binance"`
//! the venue's mark price (`premiumIndex` `markPrice`, read with every
//! screen refresh), in paper mode over the synthetic market the last
//! one-minute close (the synthetic market has no mark price).

use quantumtrade::events::EventIds;
use quantumtrade::exchange::binance::filters::SymbolRules;
use quantumtrade::market::Symbol;
use quantumtrade::portfolio::position::Position;
use quantumtrade::trading::book::PositionBook;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Exchange rules per symbol, shared: filled at start for the synthetic
/// market, by the feed from exchangeInfo for a venue.
pub type SharedRules = Arc<std::sync::RwLock<std::collections::BTreeMap<Symbol, SymbolRules>>>;

/// The venue's mark prices by symbol (`premiumIndex` `markPrice`), written
/// by the market feed with each screen refresh; empty over the synthetic
/// market.
pub type SharedMarks = Arc<std::sync::RwLock<BTreeMap<Symbol, f64>>>;

/// Event ids shared by the trading actors (ids stay unique across them).
pub type SharedIds = Arc<Mutex<EventIds>>;

/// Buckets of `qtrade_tick_to_order_seconds`.
pub const TRADE_BUCKETS: &[f64] = &[
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// Buckets of `qtrade_order_ack_seconds` (order written to the venue's
/// acknowledgement: the fsync alone for the paper venue, a REST round trip
/// for a live one).
pub const ACK_BUCKETS: &[f64] = &[
    1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets of `qtrade_order_fill_seconds`: up to minutes, since the paper
/// venue fills at the next minute's open.
pub const FILL_BUCKETS: &[f64] = &[
    1e-3, 1e-2, 5e-2, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 90.0, 120.0, 300.0,
];

/// Buckets of `qtrade_order_slippage_bps` (negative: better than decided).
pub const SLIPPAGE_BUCKETS: &[f64] = &[
    -100.0, -50.0, -20.0, -10.0, -5.0, -2.0, -1.0, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
];

/// An open position as `/state` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PositionView {
    /// Symbol.
    pub symbol: Symbol,
    /// `LONG` or `SHORT`.
    pub side: &'static str,
    /// Open quantity.
    pub qty: f64,
    /// Average entry price.
    pub entry_price: f64,
    /// The protective stop.
    pub stop: f64,
    /// The mark the PnL is at: the venue's mark price with `[market]
    /// venue = "binance"`, else the last one-minute close.
    pub mark: f64,
    /// Unrealized price PnL at the mark.
    pub unrealized_pnl: f64,
    /// Realized − fees + funding so far.
    pub realized_net: f64,
}

impl PositionView {
    /// The view of `p` at `mark`.
    #[must_use]
    pub fn of(p: &Position, mark: f64) -> Self {
        Self {
            symbol: p.symbol.clone(),
            side: p.side.as_str(),
            qty: p.qty,
            entry_price: p.entry,
            stop: p.stop,
            mark,
            unrealized_pnl: p.unrealized(mark),
            realized_net: p.realized - p.fees + p.funding,
        }
    }
}

/// The positions of `book` as `/state` shows them and the equity, each
/// position valued at its mark: the venue's mark price when `venue_marks`
/// holds one, else the last close the book saw, else its entry.
#[must_use]
pub fn marked_views(
    book: &PositionBook,
    venue_marks: &BTreeMap<Symbol, f64>,
) -> (Vec<PositionView>, f64) {
    let views: Vec<PositionView> = book
        .positions()
        .values()
        .map(|p| {
            let mark = venue_marks
                .get(&p.symbol)
                .copied()
                .filter(|m| m.is_finite() && *m > 0.0)
                .or_else(|| book.mark(&p.symbol))
                .unwrap_or(p.entry);
            PositionView::of(p, mark)
        })
        .collect();
    let equity = book.cash() + views.iter().map(|v| v.unrealized_pnl).sum::<f64>();
    (views, equity)
}

/// What the alert actor reads from the trading actors: the p95 of the
/// recent orders' signal-to-order latency and the portfolio VaR as a
/// fraction of its limit (NaN until measured).
#[derive(Debug)]
pub struct TradingGauges {
    order_latency_p95_ms: AtomicU64,
    var_ratio: AtomicU64,
}

impl Default for TradingGauges {
    fn default() -> Self {
        Self {
            order_latency_p95_ms: AtomicU64::new(f64::NAN.to_bits()),
            var_ratio: AtomicU64::new(f64::NAN.to_bits()),
        }
    }
}

impl TradingGauges {
    /// Sets the order latency p95, ms.
    pub fn set_order_latency_p95_ms(&self, v: f64) {
        self.order_latency_p95_ms
            .store(v.to_bits(), Ordering::Relaxed);
    }

    /// Sets VaR / limit.
    pub fn set_var_ratio(&self, v: f64) {
        self.var_ratio.store(v.to_bits(), Ordering::Relaxed);
    }

    /// The order latency p95, ms, once measured.
    #[must_use]
    pub fn order_latency_p95_ms(&self) -> Option<f64> {
        Some(f64::from_bits(
            self.order_latency_p95_ms.load(Ordering::Relaxed),
        ))
        .filter(|v| v.is_finite())
    }

    /// VaR / limit, once measured.
    #[must_use]
    pub fn var_ratio(&self) -> Option<f64> {
        Some(f64::from_bits(self.var_ratio.load(Ordering::Relaxed))).filter(|v| v.is_finite())
    }
}

/// The 95th percentile of `samples` (nearest rank), if any.
#[must_use]
pub fn p95(samples: &std::collections::VecDeque<f64>) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = samples.iter().copied().collect();
    v.sort_by(f64::total_cmp);
    let rank = (0.95 * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantumtrade::market::Candle;
    use quantumtrade::risk::sizing::PositionSide;
    use quantumtrade::trading::event::Fill;

    /// A book long 2 BTCUSDT from 100 whose last close was 101.
    fn book() -> (PositionBook, Symbol) {
        let s = Symbol::new("BTCUSDT").unwrap();
        let mut b = PositionBook::new(1_000.0);
        b.on_fill(&Fill {
            client_id: "qt-1-0".into(),
            symbol: s.clone(),
            side: PositionSide::Long,
            qty: 2.0,
            price: 100.0,
            fee: 0.0,
            at: 0,
            reduce_only: false,
            stop: Some(90.0),
        });
        b.mark_candles(&BTreeMap::from([(
            s.clone(),
            Candle::ohlcv(0, 100.0, 101.0, 99.0, 101.0, 1.0),
        )]));
        (b, s)
    }

    #[test]
    fn positions_are_valued_at_the_venue_mark_when_there_is_one() {
        let (b, s) = book();
        let (views, equity) = marked_views(&b, &BTreeMap::from([(s.clone(), 105.0)]));
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].mark, 105.0);
        assert!((views[0].unrealized_pnl - 10.0).abs() < 1e-9);
        assert!((equity - (b.cash() + 10.0)).abs() < 1e-9);
        // Without a venue mark (the synthetic market): the last close.
        let (views, equity) = marked_views(&b, &BTreeMap::new());
        assert_eq!(views[0].mark, 101.0);
        assert!((views[0].unrealized_pnl - 2.0).abs() < 1e-9);
        assert!((equity - b.equity()).abs() < 1e-9);
        // Another symbol's mark is not this one's.
        let other = Symbol::new("ETHUSDT").unwrap();
        assert_eq!(
            marked_views(&b, &BTreeMap::from([(other, 5.0)])).0[0].mark,
            101.0
        );
    }
}

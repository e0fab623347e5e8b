//! One symbol's analysis on every closed 1m candle: candle buffers for
//! 1m/5m/15m/1h, the streaming battery per timeframe, ATR percentile,
//! velocity and volume surge, folded into score components and a regime,
//! and the factor score's market inputs ([`crate::signals::inputs`]): the
//! candles' taker flow and the venue's readings at each candle's close.

use crate::analysis::breakout::{BreakoutSettings, BreakoutTracker};
use crate::analysis::composite::{
    CompositeSignals, market_structure, momentum_convergence, rsi_convergence, smart_money_index,
    supertrend_confluence, volatility_breakout,
};
use crate::analysis::velocity::Velocity;
use crate::analysis::volume_surge::VolumeSurge;
use crate::events::signal::SymbolScore;
use crate::indicators::battery::{BatteryStream, Column, Row};
use crate::indicators::volatility::atr_percentile::{
    AtrPercentile, AtrPercentileParams, AtrPercentileValue,
};
use crate::indicators::window::Window;
use crate::market::ring::{TimeframeBuffers, TimeframeSet};
use crate::market::{Candle, Interval, Symbol};
use crate::selection::regime::{RegimeConfig, detect};
use crate::selection::score::{Components, score};
use crate::signals::inputs::{CandleFlow, FLOW_WINDOW, VenueReadings, market_inputs};
use serde::{Deserialize, Serialize};

/// Knobs of the per-symbol analysis; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SymbolConfig {
    /// Closed candles kept per timeframe.
    pub buffer_capacity: usize,
    /// 1m ATR values the ATR percentile ranks against (30 days = 43,200).
    pub atr_history: usize,
    /// ATR values needed before the percentile reads.
    pub atr_min_history: usize,
    /// Velocity period, in 1m candles.
    pub velocity_period: usize,
    /// Velocity noise window, in 1m candles.
    pub velocity_noise_window: usize,
    /// Volume SMA period of the surge detector.
    pub volume_period: usize,
    /// Regime thresholds.
    pub regime: RegimeConfig,
}

impl Default for SymbolConfig {
    fn default() -> Self {
        Self {
            buffer_capacity: 500,
            atr_history: 43_200,
            atr_min_history: 30,
            velocity_period: 10,
            velocity_noise_window: 30,
            volume_period: 20,
            regime: RegimeConfig::default(),
        }
    }
}

/// The analysis state of one symbol.
#[derive(Debug, Clone)]
pub struct SymbolAnalyzer {
    symbol: Symbol,
    cfg: SymbolConfig,
    buffers: TimeframeBuffers,
    /// Battery per timeframe, in [`TimeframeBuffers::TIMEFRAMES`] order.
    batteries: [BatteryStream; 4],
    /// Latest row per timeframe.
    rows: [Option<Row>; 4],
    atr_pct: AtrPercentile,
    /// Open time of the last candle whose ATR `atr_pct` took, and its
    /// reading: a rebuilt analyzer keeps both (see [`SymbolAnalyzer::rebuilt`]).
    atr_until: i64,
    atr_last: Option<AtrPercentileValue>,
    velocity: Velocity,
    surge: VolumeSurge,
    breakout: BreakoutTracker,
    model: BreakoutSettings,
    /// Latest 5m breakout features (with the 5m close they were taken at).
    features: Option<crate::analysis::breakout::BreakoutFeatures>,
    flow: FlowWindows,
    inputs: CandleFlow,
    last: Option<SymbolScore>,
    candles: u64,
    closed: TimeframeSet,
}

/// The 1m A/D window the smart-money index reads (its taker-buy ratio is
/// the flow window's, [`CandleFlow`]).
#[derive(Debug, Clone)]
struct FlowWindows {
    ad_delta: Window,
    last_ad: f64,
}

impl FlowWindows {
    fn new() -> Self {
        Self {
            ad_delta: Window::new(FLOW_WINDOW),
            last_ad: f64::NAN,
        }
    }

    /// The A/D slope over its typical change (their sum over the sum of
    /// absolute changes: in [−1, 1]), NaN while undefined.
    fn update(&mut self, ad: f64) -> f64 {
        if !self.last_ad.is_nan() && !ad.is_nan() {
            self.ad_delta.push(ad - self.last_ad);
        }
        self.last_ad = ad;
        let abs: f64 = self.ad_delta.iter().map(f64::abs).sum();
        if abs > 0.0 {
            self.ad_delta.iter().sum::<f64>() / abs
        } else {
            f64::NAN
        }
    }
}

impl SymbolAnalyzer {
    /// An analyzer that has seen no candle.
    ///
    /// # Panics
    /// When a config value is out of range (zero capacity, min history above
    /// history).
    #[must_use]
    pub fn new(symbol: Symbol, cfg: SymbolConfig, model: BreakoutSettings) -> Self {
        Self {
            breakout: BreakoutTracker::new(model.analysis),
            model,
            features: None,
            flow: FlowWindows::new(),
            inputs: CandleFlow::new(),
            symbol,
            cfg,
            buffers: TimeframeBuffers::new(cfg.buffer_capacity),
            batteries: Default::default(),
            rows: [None; 4],
            atr_until: i64::MIN,
            atr_last: None,
            atr_pct: AtrPercentile::new(AtrPercentileParams {
                window: cfg.atr_history,
                min_history: cfg.atr_min_history,
            }),
            velocity: Velocity::new(cfg.velocity_period, cfg.velocity_noise_window),
            surge: VolumeSurge::new(cfg.volume_period),
            last: None,
            candles: 0,
            closed: TimeframeSet::default(),
        }
    }

    /// A fresh analyzer for a restart: everything is rebuilt by a backfill
    /// of recent candles, except the ATR percentile's history, which spans
    /// far more (30 days) than any backfill and is carried over. Replayed
    /// candles up to the last one it took do not feed it again.
    #[must_use]
    pub fn rebuilt(&self) -> Self {
        let mut fresh = Self::new(self.symbol.clone(), self.cfg, self.model.clone());
        fresh.atr_pct = self.atr_pct.clone();
        fresh.atr_until = self.atr_until;
        fresh.atr_last = self.atr_last;
        fresh
    }

    /// The symbol.
    #[must_use]
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Closed 1m candles taken.
    #[must_use]
    pub fn candles(&self) -> u64 {
        self.candles
    }

    /// The buffers.
    #[must_use]
    pub fn buffers(&self) -> &TimeframeBuffers {
        &self.buffers
    }

    /// The latest battery row of `tf` (one of the four timeframes).
    #[must_use]
    pub fn row(&self, tf: Interval) -> Option<&Row> {
        let i = TimeframeBuffers::TIMEFRAMES.iter().position(|&t| t == tf)?;
        self.rows[i].as_ref()
    }

    /// The timeframes the latest taken candle closed.
    #[must_use]
    pub fn last_closed(&self) -> TimeframeSet {
        self.closed
    }

    /// The latest score, once a candle has been taken.
    #[must_use]
    pub fn last(&self) -> Option<&SymbolScore> {
        self.last.as_ref()
    }

    /// Takes one closed 1m candle without venue readings (a backfill, or a
    /// market that has none); see [`SymbolAnalyzer::on_candle_with`].
    pub fn on_candle(&mut self, c: &Candle) -> Option<&SymbolScore> {
        self.on_candle_with(c, &VenueReadings::unknown())
    }

    /// Takes one closed 1m candle and what the venue read at its close;
    /// returns the updated score, or `None` for an out-of-order candle
    /// (ignored).
    pub fn on_candle_with(&mut self, c: &Candle, venue: &VenueReadings) -> Option<&SymbolScore> {
        let closed = self.buffers.push(c);
        if closed.is_empty() {
            return None;
        }
        self.closed = closed;
        self.candles += 1;
        for (i, tf) in TimeframeBuffers::TIMEFRAMES.into_iter().enumerate() {
            if closed.contains(tf)
                && let Some(k) = self.buffers.ring(tf).and_then(|r| r.last())
            {
                self.rows[i] = Some(self.batteries[i].update(k));
            }
        }
        if closed.contains(Interval::M5)
            && let (Some(k), Some(r5)) = (
                self.buffers.ring(Interval::M5).and_then(|r| r.last()),
                self.rows[1],
            )
        {
            self.features =
                self.breakout
                    .update(k, r5[Column::Atr14 as usize], r5[Column::BbWidth as usize]);
        }
        let row = self.rows[0].expect("1m row exists once a 1m candle closed");
        let atr = if c.open_time > self.atr_until {
            self.atr_until = c.open_time;
            self.atr_last = self.atr_pct.update(row[Column::Atr14 as usize]);
            self.atr_last
        } else {
            // A rebuild replaying candles the carried-over ATR history
            // already holds: only the last one's reading is ever published,
            // and it is the one kept.
            self.atr_last
        };
        let vel = self.velocity.update(c.close);
        let vol = self.surge.update(c.volume);
        let adx = row[Column::Adx14 as usize];
        let components = Components {
            volatility: atr.map_or(f64::NAN, |a| a.score),
            momentum: vel.map_or(f64::NAN, |v| v.score),
            volume: vol.map_or(f64::NAN, |v| v.score),
            trend: adx,
        };
        let regime = detect(
            adx,
            atr.map_or(f64::NAN, |a| a.percentile),
            &self.cfg.regime,
        );
        let flow = self.inputs.update(c, venue.open_interest);
        let signals = self.signals(
            c,
            &row,
            vel.map_or(f64::NAN, |v| v.momentum),
            flow.taker_buy_ratio,
        );
        self.last = Some(SymbolScore {
            symbol: self.symbol.clone(),
            open_time: c.open_time,
            regime,
            components,
            score: score(&components, regime),
            signals,
            inputs: market_inputs(&flow, venue),
        });
        self.last.as_ref()
    }

    /// The composite signals at the 1m candle `c` whose battery row is
    /// `row`, with the flow window's taker-buy `ratio`.
    fn signals(&mut self, c: &Candle, row: &Row, momentum: f64, ratio: f64) -> CompositeSignals {
        let col =
            |tf: usize, column: Column| self.rows[tf].map_or(f64::NAN, |r| r[column as usize]);
        let rsi_convergence = rsi_convergence(&[
            row[Column::Rsi14 as usize],
            col(1, Column::Rsi14),
            col(2, Column::Rsi14),
            col(3, Column::Rsi14),
        ]);
        let supertrend_confluence = supertrend_confluence([
            col(1, Column::SupertrendDir),
            col(2, Column::SupertrendDir),
            col(3, Column::SupertrendDir),
        ]);
        let pivots = self.breakout.pivots();
        let highs: Vec<f64> = pivots.swing_highs().iter().map(|p| p.price).collect();
        let lows: Vec<f64> = pivots.swing_lows().iter().map(|p| p.price).collect();
        let market_structure = market_structure(&highs, &lows, c.close, col(1, Column::Adx14));
        let (momentum_convergence, momentum_reading) = momentum_convergence(&[
            col(1, Column::Rsi14) - 50.0,
            col(1, Column::StochRsiK) - 50.0,
            col(1, Column::MacdHist),
            col(1, Column::Willr14) + 50.0,
            col(1, Column::Cci20),
        ]);
        let volatility_breakout = self.features.map(|f| {
            let horizon = u32::try_from(self.model.analysis.horizon * 5).unwrap_or(u32::MAX);
            volatility_breakout(
                f.probability(&self.model.model),
                f.support_distance_atr,
                f.resistance_distance_atr,
                momentum,
                horizon,
            )
        });
        let slope_z = self.flow.update(row[Column::Ad as usize]);
        CompositeSignals {
            rsi_convergence,
            supertrend_confluence,
            market_structure,
            momentum_convergence,
            momentum: momentum_reading,
            volatility_breakout,
            smart_money: smart_money_index(ratio, slope_z),
        }
    }

    /// Feeds a history of closed 1m candles (a backfill); returns the score
    /// after the last.
    pub fn backfill<'a>(
        &mut self,
        candles: impl IntoIterator<Item = &'a Candle>,
    ) -> Option<&SymbolScore> {
        for c in candles {
            self.on_candle(c);
        }
        self.last.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::synthetic::{SyntheticConfig, SyntheticMarket};

    fn history(minutes: usize) -> Vec<Candle> {
        let mut m = SyntheticMarket::new(SyntheticConfig::default());
        (0..minutes).map(|_| m.step()[0].kline).collect()
    }

    #[test]
    fn scores_after_warm_up_and_feeds_every_timeframe() {
        let h = history(180);
        let mut a = SymbolAnalyzer::new(
            Symbol::new("AUSDT").unwrap(),
            SymbolConfig::default(),
            BreakoutSettings::default(),
        );
        let s = a.backfill(&h).cloned().unwrap();
        assert!((0.0..=100.0).contains(&s.score), "{s:?}");
        assert!(s.components.volatility.is_finite());
        assert!(s.components.momentum.is_finite());
        assert!(s.components.volume.is_finite());
        assert!(s.components.trend.is_finite());
        assert_eq!(a.candles(), 180);
        assert_eq!(a.buffers().ring(Interval::H1).unwrap().len(), 3);
        assert!(a.row(Interval::M15).is_some());
        assert_eq!(s.open_time, h[179].open_time);
        assert!(s.signals.volatility_breakout.is_some(), "{:?}", s.signals);
        assert!((-1.0..=1.0).contains(&s.signals.smart_money));
        assert!((-1.0..=1.0).contains(&s.signals.momentum_convergence));
    }

    #[test]
    fn a_rebuild_from_a_short_backfill_keeps_the_long_atr_history() {
        let h = history(900);
        let sym = Symbol::new("AUSDT").unwrap();
        let cfg = SymbolConfig {
            atr_history: 800,
            buffer_capacity: 200,
            ..SymbolConfig::default()
        };
        let mut a = SymbolAnalyzer::new(sym.clone(), cfg, BreakoutSettings::default());
        a.backfill(&h[..850]);
        // The restart sees only the last 600 candles (as the hub keeps), and
        // two more arrive after it.
        let mut b = a.rebuilt();
        b.backfill(&h[250..850]);
        a.backfill(&h[850..]);
        b.backfill(&h[850..]);
        let (sa, sb) = (a.last().unwrap(), b.last().unwrap());
        // Rolling sums restarted 250 candles later differ in the last bits
        // only; everything else is the same value.
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(1.0);
        let (ca, cb) = (sa.components, sb.components);
        assert!(close(ca.volatility, cb.volatility), "{ca:?} {cb:?}");
        assert!(close(ca.momentum, cb.momentum) && close(ca.volume, cb.volume));
        assert!(close(ca.trend, cb.trend) && close(sa.score, sb.score));
        assert_eq!(sa.regime, sb.regime);
        // Without the carry-over, the percentile ranks against less history.
        let mut c = SymbolAnalyzer::new(sym, cfg, BreakoutSettings::default());
        c.backfill(&h[250..]);
        assert_ne!(
            c.last().unwrap().components.volatility,
            sa.components.volatility
        );
    }

    #[test]
    fn the_score_carries_the_candle_flow_and_the_venue_readings() {
        let mut m = SyntheticMarket::new(SyntheticConfig::default());
        let mut a = SymbolAnalyzer::new(
            Symbol::new("AUSDT").unwrap(),
            SymbolConfig::default(),
            BreakoutSettings::default(),
        );
        let mut minutes = Vec::new();
        for k in 0..40 {
            let s = m.step().swap_remove(0);
            let venue = VenueReadings {
                book: Some(s.book.into()),
                funding_rate: 0.0001,
                open_interest: 1000.0 + f64::from(k),
                max_spread: 0.0005,
            };
            a.on_candle_with(&s.kline, &venue);
            minutes.push(s);
        }
        let i = a.last().unwrap().inputs;
        let window = &minutes[40 - FLOW_WINDOW..];
        let buy: f64 = window.iter().map(|s| s.kline.taker_buy_volume).sum();
        let vol: f64 = window.iter().map(|s| s.kline.volume).sum();
        assert!((i.taker_buy_ratio - buy / vol).abs() < 1e-12, "{i:?}");
        assert!((i.trade_flow_imbalance - (2.0 * buy - vol) / vol).abs() < 1e-12);
        let (first, last) = (window[0].kline, &minutes[39]);
        assert!((i.price_change - (last.kline.close / first.open - 1.0)).abs() < 1e-12);
        assert!((i.oi_change - (1039.0 / 1020.0 - 1.0)).abs() < 1e-12);
        let b = last.book;
        assert!((i.spread - (b.ask - b.bid) / f64::midpoint(b.ask, b.bid)).abs() < 1e-15);
        assert_eq!((i.bid_size, i.ask_size), (b.bid_qty, b.ask_qty));
        assert_eq!((i.funding_rate, i.max_spread), (0.0001, 0.0005));
        assert!(i.velocity.is_nan(), "the desk's");
        // The smart-money index reads the same taker-buy ratio.
        let mut plain = SymbolAnalyzer::new(
            Symbol::new("AUSDT").unwrap(),
            SymbolConfig::default(),
            BreakoutSettings::default(),
        );
        let plain = plain
            .backfill(minutes.iter().map(|s| &s.kline))
            .unwrap()
            .clone();
        assert_eq!(plain.signals, a.last().unwrap().signals);
        assert_eq!(plain.inputs.taker_buy_ratio, i.taker_buy_ratio);
        assert!(plain.inputs.spread.is_nan() && plain.inputs.funding_rate.is_nan());
    }

    #[test]
    fn a_rebuilt_analyzer_equals_the_original() {
        let h = history(120);
        let sym = Symbol::new("AUSDT").unwrap();
        let mut a = SymbolAnalyzer::new(
            sym.clone(),
            SymbolConfig::default(),
            BreakoutSettings::default(),
        );
        a.backfill(&h[..60]);
        a.backfill(&h[60..]);
        let mut b = SymbolAnalyzer::new(sym, SymbolConfig::default(), BreakoutSettings::default());
        b.backfill(&h);
        assert_eq!(a.last(), b.last());
        assert!(a.on_candle(&h[0]).is_none(), "old candles are ignored");
    }
}

//! Breakout potential: where the nearest support and resistance are, how
//! long price has been coiled in a range, and the features and labels the
//! logistic breakout model is fitted on.

use super::logistic::LogisticModel;
use super::pivots::Pivots;
use crate::indicators::volume::volume_profile::{VolumeProfile, VolumeProfileParams};
use crate::indicators::window::Window;
use crate::market::Candle;
use serde::{Deserialize, Serialize};

/// Knobs of the breakout analysis; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakoutConfig {
    /// Candles each side that confirm a swing pivot.
    pub pivot_k: usize,
    /// Swing pivots of each kind kept as support/resistance candidates.
    pub pivot_keep: usize,
    /// A range at most this many ATRs tall counts as consolidation.
    pub range_atrs: f64,
    /// Longest consolidation counted, in candles.
    pub max_consolidation: usize,
    /// Bollinger widths kept for the width percentile.
    pub width_history: usize,
    /// Label horizon: candles ahead the move is measured over.
    pub horizon: usize,
    /// Label threshold: a move of at least this many ATRs is a breakout.
    pub move_atrs: f64,
    /// Candles in the volume profile whose POC and value-area edges count
    /// as support and resistance beside the pivots.
    pub profile_window: usize,
    /// Price bins of that profile.
    pub profile_bins: usize,
}

impl Default for BreakoutConfig {
    fn default() -> Self {
        Self {
            pivot_k: 3,
            pivot_keep: 12,
            range_atrs: 3.0,
            max_consolidation: 240,
            width_history: 240,
            horizon: 12,
            move_atrs: 2.0,
            profile_window: 240,
            profile_bins: 24,
        }
    }
}

/// The breakout model a node runs: the analysis knobs, the fitted
/// coefficients and the fit's reported quality (`qtrade fit-breakout`
/// writes all three as the `[breakout]` config section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakoutSettings {
    /// Pivot, consolidation and label knobs.
    pub analysis: BreakoutConfig,
    /// Coefficients, in [`FEATURE_NAMES`] order.
    pub model: LogisticModel,
    /// How the fit that produced `model` went, when it came from one.
    pub fit: Option<FitSummary>,
}

impl Default for BreakoutSettings {
    /// A neutral model (every probability 0.5) until one is fitted.
    fn default() -> Self {
        Self {
            analysis: BreakoutConfig::default(),
            model: LogisticModel {
                intercept: 0.0,
                coefficients: vec![0.0; FEATURE_NAMES.len()],
            },
            fit: None,
        }
    }
}

/// Where a fitted model came from and how well it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSummary {
    /// Candle files (symbols) fitted on.
    pub symbols: usize,
    /// Timeframe of the candles, e.g. "5m".
    pub timeframe: String,
    /// Fraction of each symbol's candles (the earliest) used for training.
    pub train_fraction: f64,
    /// L2 penalty.
    pub l2: f64,
    /// Quality on the training part.
    pub train: super::logistic::FitQuality,
    /// Quality on the held-out part.
    pub test: super::logistic::FitQuality,
}

/// Names of [`BreakoutFeatures::as_vec`]'s entries, in order.
pub const FEATURE_NAMES: [&str; 5] = [
    "support_distance_atr",
    "resistance_distance_atr",
    "consolidation_log",
    "width_percentile",
    "volume_ratio_log",
];

/// The model's inputs at one candle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BreakoutFeatures {
    /// Nearest support below the close among the swing lows and the volume
    /// profile's POC and value-area edges, if any.
    pub support: Option<f64>,
    /// Nearest resistance above the close among the swing highs and the
    /// volume profile's POC and value-area edges, if any.
    pub resistance: Option<f64>,
    /// (close − support) / ATR, capped at 10 (10 when there is no support).
    pub support_distance_atr: f64,
    /// (resistance − close) / ATR, capped at 10 (10 when there is none).
    pub resistance_distance_atr: f64,
    /// Consecutive latest candles whose combined range is within
    /// `range_atrs` ATRs.
    pub consolidation: usize,
    /// Percentile (0–1) of the current Bollinger width among the last
    /// `width_history` widths: low = squeezed.
    pub width_percentile: f64,
    /// ln(volume / mean of the previous 20 volumes), 0 while undefined.
    pub volume_ratio_log: f64,
}

impl BreakoutFeatures {
    /// The model's feature vector, in [`FEATURE_NAMES`] order.
    #[must_use]
    pub fn as_vec(&self) -> Vec<f64> {
        vec![
            self.support_distance_atr,
            self.resistance_distance_atr,
            (self.consolidation as f64).ln_1p(),
            self.width_percentile,
            self.volume_ratio_log,
        ]
    }

    /// Breakout probability under `model`.
    ///
    /// # Panics
    /// When the model was fitted on a different number of features.
    #[must_use]
    pub fn probability(&self, model: &LogisticModel) -> f64 {
        model.predict(&self.as_vec())
    }
}

/// Streaming breakout analysis over one timeframe's candles.
#[derive(Debug, Clone)]
pub struct BreakoutTracker {
    cfg: BreakoutConfig,
    pivots: Pivots,
    highs: Window,
    lows: Window,
    widths: Window,
    volumes: Window,
    profile: VolumeProfile,
}

impl BreakoutTracker {
    /// A tracker with no candles seen.
    ///
    /// # Panics
    /// When a window in `cfg` is 0.
    #[must_use]
    pub fn new(cfg: BreakoutConfig) -> Self {
        Self {
            cfg,
            pivots: Pivots::new(cfg.pivot_k, cfg.pivot_keep),
            highs: Window::new(cfg.max_consolidation),
            lows: Window::new(cfg.max_consolidation),
            widths: Window::new(cfg.width_history),
            volumes: Window::new(20),
            profile: VolumeProfile::new(VolumeProfileParams {
                window: cfg.profile_window,
                bins: cfg.profile_bins,
                ..VolumeProfileParams::default()
            }),
        }
    }

    /// The swing pivots seen so far.
    #[must_use]
    pub fn pivots(&self) -> &Pivots {
        &self.pivots
    }

    /// Feeds one closed candle with the battery's ATR and Bollinger width at
    /// it; `None` while either is undefined.
    pub fn update(&mut self, c: &Candle, atr: f64, bb_width: f64) -> Option<BreakoutFeatures> {
        self.pivots.update(c.high, c.low);
        let levels = self
            .profile
            .update(c.high, c.low, c.close, c.volume)
            .map(|p| p.levels);
        self.highs.push(c.high);
        self.lows.push(c.low);
        let volume_ratio_log = if self.volumes.is_full() {
            let avg = self.volumes.iter().sum::<f64>() / self.volumes.len() as f64;
            if avg > 0.0 && c.volume > 0.0 {
                (c.volume / avg).ln()
            } else {
                0.0
            }
        } else {
            0.0
        };
        self.volumes.push(c.volume);
        if atr.is_nan() || atr <= 0.0 || bb_width.is_nan() {
            return None;
        }
        self.widths.push(bb_width);
        let below = self.widths.iter().filter(|&w| w <= bb_width).count();
        let width_percentile = below as f64 / self.widths.len() as f64;
        // Walk back from the newest candle while the range stays tight.
        let (mut hi, mut lo, mut consolidation) = (f64::MIN, f64::MAX, 0);
        for i in (0..self.highs.len()).rev() {
            hi = hi.max(self.highs.get(i));
            lo = lo.min(self.lows.get(i));
            if hi - lo > self.cfg.range_atrs * atr {
                break;
            }
            consolidation += 1;
        }
        // Nearest level on each side among the swing pivots and the volume
        // profile's POC and value-area edges (NaN without a profile: it
        // passes neither side's filter).
        let profile = levels.map_or([f64::NAN; 3], |l| {
            [l.poc, l.value_area_high, l.value_area_low]
        });
        let support = self
            .pivots
            .support(c.close)
            .into_iter()
            .chain(profile.iter().copied().filter(|&v| v < c.close))
            .fold(None, |best: Option<f64>, v| {
                Some(best.map_or(v, |b| b.max(v)))
            });
        let resistance = self
            .pivots
            .resistance(c.close)
            .into_iter()
            .chain(profile.iter().copied().filter(|&v| v > c.close))
            .fold(None, |best: Option<f64>, v| {
                Some(best.map_or(v, |b| b.min(v)))
            });
        Some(BreakoutFeatures {
            support,
            resistance,
            support_distance_atr: support.map_or(10.0, |s| ((c.close - s) / atr).min(10.0)),
            resistance_distance_atr: resistance.map_or(10.0, |r| ((r - c.close) / atr).min(10.0)),
            consolidation,
            width_percentile,
            volume_ratio_log,
        })
    }
}

/// Builds a training set from one symbol's candles and its battery ATR and
/// Bollinger width columns: the features at t, labelled true when
/// `|close[t + horizon] − close[t]| ≥ move_atrs·ATR[t]`. Candles without a
/// full horizon ahead are not labelled.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn training_set(
    candles: &[Candle],
    atr: &[f64],
    bb_width: &[f64],
    cfg: BreakoutConfig,
) -> (Vec<Vec<f64>>, Vec<bool>) {
    assert!(candles.len() == atr.len() && atr.len() == bb_width.len());
    let mut tracker = BreakoutTracker::new(cfg);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (t, c) in candles.iter().enumerate() {
        let Some(f) = tracker.update(c, atr[t], bb_width[t]) else {
            continue;
        };
        if let Some(ahead) = candles.get(t + cfg.horizon) {
            xs.push(f.as_vec());
            ys.push((ahead.close - c.close).abs() >= cfg.move_atrs * atr[t]);
        }
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tight_range_counts_as_consolidation() {
        let mut t = BreakoutTracker::new(BreakoutConfig::default());
        let mut last = None;
        for i in 0..50 {
            let wiggle = if i % 2 == 0 { 0.1 } else { -0.1 };
            let c = Candle::ohlcv(
                i * 60_000,
                100.0,
                100.2 + wiggle,
                99.8 + wiggle,
                100.0 + wiggle,
                10.0,
            );
            last = t.update(&c, 0.5, 0.01);
        }
        let f = last.unwrap();
        assert_eq!(f.consolidation, 50);
        assert_eq!(f.width_percentile, 1.0);
        // A candle taller than the allowed range ends consolidation.
        let f = t
            .update(
                &Candle::ohlcv(50 * 60_000, 100.0, 105.0, 100.0, 104.0, 50.0),
                0.5,
                0.01,
            )
            .unwrap();
        assert_eq!(f.consolidation, 0);
        assert!(f.volume_ratio_log > 1.0);
    }

    #[test]
    fn labels_look_ahead_by_the_horizon() {
        let candles: Vec<Candle> = (0..40)
            .map(|i| {
                let p = if i < 30 { 100.0 } else { 110.0 };
                Candle::ohlcv(i * 60_000, p, p + 0.5, p - 0.5, p, 1.0)
            })
            .collect();
        let atr = vec![1.0; 40];
        let width = vec![0.02; 40];
        let cfg = BreakoutConfig {
            horizon: 5,
            ..BreakoutConfig::default()
        };
        let (xs, ys) = training_set(&candles, &atr, &width, cfg);
        assert_eq!(xs.len(), 35);
        // t = 25..=29 see the jump to 110 five candles ahead.
        assert_eq!(ys.iter().filter(|&&y| y).count(), 5);
        assert!(ys[25..30].iter().all(|&y| y));
    }
}

/// A fitted breakout model with its quality in and out of sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakoutFit {
    /// Coefficients, in [`FEATURE_NAMES`] order.
    pub model: super::logistic::LogisticModel,
    /// Quality on the training part (the first `train_fraction` of each
    /// symbol's candles).
    pub train: super::logistic::FitQuality,
    /// Quality on the held-out rest, which the fit never saw.
    pub test: super::logistic::FitQuality,
}

/// Fits the breakout model on several symbols' candles (one timeframe).
/// Each symbol's series is split in time: the first `train_fraction` trains,
/// the rest tests, so the reported test quality is out of sample.
///
/// # Errors
/// [`super::logistic::FitError`] when there is too little data or the fit
/// fails.
pub fn fit_breakout(
    series: &[Vec<Candle>],
    cfg: BreakoutConfig,
    train_fraction: f64,
    l2: f64,
) -> Result<BreakoutFit, super::logistic::FitError> {
    use crate::indicators::battery::{Column, ColumnSet, compute_selected};
    use crate::market::OhlcvSeries;
    let want = ColumnSet::from_columns(&[Column::Atr14, Column::BbWidth]);
    let (mut train_x, mut train_y, mut test_x, mut test_y) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for candles in series {
        let table = compute_selected(&OhlcvSeries::from(candles.as_slice()), want);
        let (xs, ys) = training_set(
            candles,
            table.column(Column::Atr14),
            table.column(Column::BbWidth),
            cfg,
        );
        let cut = (xs.len() as f64 * train_fraction.clamp(0.0, 1.0)) as usize;
        // Samples whose label window crosses the cut would leak the test
        // period into training: drop the horizon's worth before the cut.
        let train_end = cut.saturating_sub(cfg.horizon);
        train_x.extend_from_slice(&xs[..train_end]);
        train_y.extend_from_slice(&ys[..train_end]);
        test_x.extend_from_slice(&xs[cut..]);
        test_y.extend_from_slice(&ys[cut..]);
    }
    let (model, train) = super::logistic::fit(&train_x, &train_y, l2)?;
    if test_x.is_empty() {
        return Err(super::logistic::FitError::BadData(
            "no held-out samples".into(),
        ));
    }
    let probs: Vec<f64> = test_x.iter().map(|x| model.predict(x)).collect();
    let test = super::logistic::quality(&probs, &test_y, train.iterations);
    Ok(BreakoutFit { model, train, test })
}

#[cfg(test)]
mod fit_tests {
    use super::*;
    use crate::market::random_walk::random_walk;

    #[test]
    fn fits_and_reports_out_of_sample_quality() {
        let series: Vec<Vec<Candle>> = (0..4).map(|s| random_walk(9, s, 3000, 0)).collect();
        let fit = fit_breakout(&series, BreakoutConfig::default(), 0.7, 1.0).unwrap();
        assert_eq!(fit.model.coefficients.len(), FEATURE_NAMES.len());
        assert!(fit.train.samples > fit.test.samples && fit.test.samples > 0);
        assert!((0.0..=1.0).contains(&fit.test.auc));
        // A random walk has no breakout structure a model could learn
        // beyond chance; the held-out AUC must say so.
        assert!((fit.test.auc - 0.5).abs() < 0.1, "{:?}", fit.test);
    }
}

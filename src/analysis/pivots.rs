//! Swing pivots (fractals) and the support and resistance they give.

use crate::indicators::window::Window;
use std::collections::VecDeque;

/// A confirmed swing point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pivot {
    /// Index of the pivot candle (count of candles fed before it).
    pub index: usize,
    /// Its price: the high for a swing high, the low for a swing low.
    pub price: f64,
}

/// Streaming swing-pivot finder.
///
/// A swing high is a candle whose high is strictly above the highs of the
/// `k` candles before it and at least the highs of the `k` after it (ties go
/// to the earlier candle); swing lows mirror that. A pivot is confirmed `k`
/// candles after it happens. The last `keep` pivots of each kind are kept.
#[derive(Debug, Clone)]
pub struct Pivots {
    k: usize,
    keep: usize,
    highs: Window,
    lows: Window,
    seen: usize,
    swing_highs: VecDeque<Pivot>,
    swing_lows: VecDeque<Pivot>,
}

impl Pivots {
    /// Pivots with `k` candles each side, keeping `keep` of each kind.
    ///
    /// # Panics
    /// When `k` or `keep` is 0.
    #[must_use]
    pub fn new(k: usize, keep: usize) -> Self {
        assert!(k > 0 && keep > 0, "invalid pivot parameters");
        Self {
            k,
            keep,
            highs: Window::new(2 * k + 1),
            lows: Window::new(2 * k + 1),
            seen: 0,
            swing_highs: VecDeque::with_capacity(keep),
            swing_lows: VecDeque::with_capacity(keep),
        }
    }

    /// Feeds one candle's high and low.
    pub fn update(&mut self, high: f64, low: f64) {
        self.highs.push(high);
        self.lows.push(low);
        self.seen += 1;
        if !self.highs.is_full() {
            return;
        }
        let k = self.k;
        let index = self.seen - 1 - k;
        let (mh, ml) = (self.highs.get(k), self.lows.get(k));
        let high_pivot = (0..k).all(|i| self.highs.get(i) < mh)
            && (k + 1..=2 * k).all(|i| self.highs.get(i) <= mh);
        let low_pivot = (0..k).all(|i| self.lows.get(i) > ml)
            && (k + 1..=2 * k).all(|i| self.lows.get(i) >= ml);
        if high_pivot {
            push_bounded(&mut self.swing_highs, Pivot { index, price: mh }, self.keep);
        }
        if low_pivot {
            push_bounded(&mut self.swing_lows, Pivot { index, price: ml }, self.keep);
        }
    }

    /// Confirmed swing highs, oldest first.
    #[must_use]
    pub fn swing_highs(&self) -> &VecDeque<Pivot> {
        &self.swing_highs
    }

    /// Confirmed swing lows, oldest first.
    #[must_use]
    pub fn swing_lows(&self) -> &VecDeque<Pivot> {
        &self.swing_lows
    }

    /// Nearest support below `price`: the highest swing low under it.
    #[must_use]
    pub fn support(&self, price: f64) -> Option<f64> {
        self.swing_lows
            .iter()
            .map(|p| p.price)
            .filter(|&p| p < price)
            .reduce(f64::max)
    }

    /// Nearest resistance above `price`: the lowest swing high over it.
    #[must_use]
    pub fn resistance(&self, price: f64) -> Option<f64> {
        self.swing_highs
            .iter()
            .map(|p| p.price)
            .filter(|&p| p > price)
            .reduce(f64::min)
    }
}

fn push_bounded(q: &mut VecDeque<Pivot>, p: Pivot, keep: usize) {
    if q.len() == keep {
        q.pop_front();
    }
    q.push_back(p);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_peak_and_trough_after_confirmation() {
        let highs = [1.0, 2.0, 5.0, 2.0, 1.0, 3.0, 4.0];
        let lows = [0.5, 1.5, 4.0, 1.0, 0.2, 2.0, 3.0];
        let mut p = Pivots::new(2, 5);
        for (h, l) in highs.iter().zip(&lows) {
            p.update(*h, *l);
        }
        assert_eq!(
            p.swing_highs().iter().copied().collect::<Vec<_>>(),
            vec![Pivot {
                index: 2,
                price: 5.0
            }]
        );
        assert_eq!(
            p.swing_lows().iter().copied().collect::<Vec<_>>(),
            vec![Pivot {
                index: 4,
                price: 0.2
            }]
        );
        assert_eq!(p.resistance(3.0), Some(5.0));
        assert_eq!(p.support(3.0), Some(0.2));
        assert_eq!(p.support(0.1), None);
    }

    #[test]
    fn keeps_only_the_newest() {
        let mut p = Pivots::new(1, 2);
        for i in 0..30 {
            let h = if i % 3 == 1 { 10.0 + i as f64 } else { 1.0 };
            p.update(h, 0.5);
        }
        assert_eq!(p.swing_highs().len(), 2);
        assert!(p.swing_highs()[0].index < p.swing_highs()[1].index);
    }
}

//! Rolling correlation of one-minute log returns between symbols.

use crate::market::Symbol;
use std::collections::{BTreeMap, VecDeque};

/// The last `window` one-minute log returns of every symbol, keyed by the
/// open time of the candle that ended each return, so two symbols are
/// compared only on minutes both have.
#[derive(Debug, Clone)]
pub struct ReturnWindows {
    window: usize,
    series: BTreeMap<Symbol, Returns>,
}

#[derive(Debug, Clone, Default)]
struct Returns {
    last: Option<(i64, f64)>,
    points: VecDeque<(i64, f64)>,
}

impl ReturnWindows {
    /// Keeps `window` returns per symbol.
    ///
    /// # Panics
    /// When `window` < 2.
    #[must_use]
    pub fn new(window: usize) -> Self {
        assert!(window >= 2, "a correlation needs at least two returns");
        Self {
            window,
            series: BTreeMap::new(),
        }
    }

    /// Records a closed one-minute candle's close. Non-positive or
    /// non-finite closes are ignored (no log return exists).
    pub fn push(&mut self, symbol: &Symbol, open_time: i64, close: f64) {
        if !(close > 0.0 && close.is_finite()) {
            return;
        }
        let r = self.series.entry(symbol.clone()).or_default();
        if let Some((t, prev)) = r.last {
            if open_time <= t {
                return;
            }
            r.points.push_back((open_time, (close / prev).ln()));
            if r.points.len() > self.window {
                r.points.pop_front();
            }
        }
        r.last = Some((open_time, close));
    }

    /// Forgets a symbol (it left the universe).
    pub fn remove(&mut self, symbol: &Symbol) {
        self.series.remove(symbol);
    }

    /// Pearson correlation of the two symbols' returns over the minutes both
    /// have; `None` with fewer than `min_overlap` common minutes or when
    /// either side is constant.
    #[must_use]
    pub fn correlation(&self, a: &Symbol, b: &Symbol, min_overlap: usize) -> Option<f64> {
        let (ra, rb) = (self.series.get(a)?, self.series.get(b)?);
        let (mut i, mut j) = (0, 0);
        let (mut xs, mut ys) = (
            Vec::with_capacity(self.window),
            Vec::with_capacity(self.window),
        );
        while i < ra.points.len() && j < rb.points.len() {
            let (ta, xa) = ra.points[i];
            let (tb, xb) = rb.points[j];
            match ta.cmp(&tb) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    xs.push(xa);
                    ys.push(xb);
                    i += 1;
                    j += 1;
                }
            }
        }
        if xs.len() < min_overlap.max(2) {
            return None;
        }
        pearson(&xs, &ys)
    }
}

/// Pearson correlation of two equal-length samples; `None` when either is
/// constant or they differ in length.
#[must_use]
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn identical_and_mirrored_moves() {
        let mut w = ReturnWindows::new(50);
        let (a, b, c) = (sym("AUSDT"), sym("BUSDT"), sym("CUSDT"));
        let mut p = 100.0;
        for t in 0..60 {
            p *= if t % 3 == 0 { 1.01 } else { 0.995 };
            w.push(&a, t * 60_000, p);
            w.push(&b, t * 60_000, p * 2.0);
            w.push(&c, t * 60_000, 1e4 / p);
        }
        assert!((w.correlation(&a, &b, 10).unwrap() - 1.0).abs() < 1e-9);
        assert!((w.correlation(&a, &c, 10).unwrap() + 1.0).abs() < 1e-9);
        assert_eq!(w.correlation(&a, &sym("DUSDT"), 10), None);
    }

    #[test]
    fn only_common_minutes_count() {
        let mut w = ReturnWindows::new(10);
        let (a, b) = (sym("AUSDT"), sym("BUSDT"));
        for t in 0..5 {
            w.push(&a, t, 1.0 + t as f64);
        }
        for t in 100..105 {
            w.push(&b, t, 1.0 + t as f64);
        }
        assert_eq!(w.correlation(&a, &b, 2), None);
    }

    proptest! {
        #[test]
        fn pearson_is_bounded_and_symmetric(v in prop::collection::vec((-1f64..1.0, -1f64..1.0), 2..100)) {
            let (x, y): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
            if let Some(r) = pearson(&x, &y) {
                prop_assert!((-1.0..=1.0).contains(&r));
                prop_assert!((r - pearson(&y, &x).unwrap()).abs() < 1e-12);
            }
        }
    }
}

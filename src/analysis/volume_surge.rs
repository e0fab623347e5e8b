//! Volume surge: current volume against its 20-period average.

use crate::indicators::window::Window;

/// Volume above this multiple of its average is a surge (200%).
pub const SURGE_RATIO: f64 = 2.0;

/// One volume-surge reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurgeReading {
    /// Current volume over the SMA of the previous `period` volumes.
    pub ratio: f64,
    /// Score on 0–100: `100·min(ratio, 4)/4`, so an average candle scores
    /// 25 and a surge (ratio > 2) scores above 50.
    pub score: f64,
    /// True when `ratio` > [`SURGE_RATIO`].
    pub surge: bool,
}

/// Streaming volume surge. The average excludes the current candle, so a
/// surge does not dilute its own baseline. First defined once `period`
/// earlier volumes exist; `None` while their average is 0.
#[derive(Debug, Clone)]
pub struct VolumeSurge {
    history: Window,
    sum: f64,
}

impl VolumeSurge {
    /// Surge against the previous `period` volumes (20 in the node).
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self {
            history: Window::new(period),
            sum: 0.0,
        }
    }

    /// Feeds one candle's volume.
    pub fn update(&mut self, volume: f64) -> Option<SurgeReading> {
        let reading = if self.history.is_full() {
            let avg = self.sum / self.history.len() as f64;
            (avg > 0.0).then(|| {
                let ratio = volume / avg;
                SurgeReading {
                    ratio,
                    score: 100.0 * ratio.min(4.0) / 4.0,
                    surge: ratio > SURGE_RATIO,
                }
            })
        } else {
            None
        };
        self.sum += volume;
        if let Some(old) = self.history.push(volume) {
            self.sum -= old;
        }
        // Re-sum occasionally would be needed for drift only over millions of
        // updates; volumes are non-negative so cancellation stays small.
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triple_volume_is_a_surge() {
        let mut s = VolumeSurge::new(20);
        for _ in 0..20 {
            assert!(s.update(10.0).is_none());
        }
        let r = s.update(30.0).unwrap();
        assert_eq!(r.ratio, 3.0);
        assert_eq!(r.score, 75.0);
        assert!(r.surge);
        let calm = s.update(10.0).unwrap();
        assert!(!calm.surge && calm.ratio < 1.0);
    }

    #[test]
    fn zero_baseline_is_undefined() {
        let mut s = VolumeSurge::new(3);
        for _ in 0..3 {
            s.update(0.0);
        }
        assert!(s.update(5.0).is_none());
    }
}

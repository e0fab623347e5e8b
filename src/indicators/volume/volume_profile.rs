//! Volume profile: how the volume of the last `window` candles is spread
//! over price, with its point of control and value area.
//!
//! Definition, over a window of candles (default 240) and `bins` B
//! (default 24):
//! - **span**: L = min low, H = max high of the window; bin width
//!   w = (H − L)/B; edges e_k = L + k·w for k < B and e_B = H exactly, bin k
//!   covering [e_k, e_{k+1}];
//! - **distribution**: a candle with high h > low l puts
//!   volume · (overlap / (h − l)) in every bin it overlaps, overlap =
//!   min(h, e_{k+1}) − max(l, e_k); a zero-range candle (h ≤ l) puts all its
//!   volume in the bin of its close, bin(p) = ⌊(p − L)/w⌋ clamped to
//!   [0, B − 1] (so p = H falls in the top bin);
//! - **point of control** (POC): the centre (e_k + e_{k+1})/2 of the bin
//!   with the most volume, the lowest such bin on ties;
//! - **value area** at fraction f (default 0.70) of the distribution's
//!   total V: start with the POC bin; while the area holds less than f·V,
//!   add the neighbouring bin (the one just above or just below the area)
//!   with the larger volume, the one **below on a tie** (matching the POC's
//!   lowest-price rule), the only one left at an end of the range.
//!   **Value-area low / high** are the lower edge of the area's lowest bin
//!   and the upper edge of its highest bin: the price range holding ≥ f·V.
//!
//! Empty (`None` / NaN) until `window` candles have been fed, and when the
//! window's volume sums to 0, its span H − L is 0, or a value is not
//! finite.
//!
//! Cost: the span moves with every candle, so the streaming form rebuilds
//! the distribution from its window on each update: O(window · bins) in the
//! worst case (every candle spanning every bin), O(window + bins) when
//! candles are narrow; about 6,000 overlap steps for the defaults. It
//! allocates nothing after construction.

use crate::indicators::window::Window;

/// Parameters of the volume profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeProfileParams {
    /// Candles in the window (≥ 1).
    pub window: usize,
    /// Price bins (≥ 1).
    pub bins: usize,
    /// Value-area fraction f of the total volume, in (0, 1].
    pub value_area: f64,
}

impl Default for VolumeProfileParams {
    /// 240 candles, 24 bins, a 70% value area.
    fn default() -> Self {
        Self {
            window: 240,
            bins: 24,
            value_area: 0.70,
        }
    }
}

impl VolumeProfileParams {
    fn validate(&self) {
        assert!(
            self.window > 0 && self.bins > 0,
            "volume profile window and bins must be positive"
        );
        assert!(
            self.value_area > 0.0 && self.value_area <= 1.0,
            "value-area fraction must lie in (0, 1]"
        );
    }
}

/// The profile's key prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileLevels {
    /// Point of control: centre of the highest-volume bin.
    pub poc: f64,
    /// Upper edge of the value area.
    pub value_area_high: f64,
    /// Lower edge of the value area.
    pub value_area_low: f64,
}

/// One window's profile: key prices and the distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// POC and value area.
    pub levels: ProfileLevels,
    /// The B + 1 bin edges, ascending, from min low to max high.
    pub edges: Vec<f64>,
    /// Volume in each of the B bins.
    pub volumes: Vec<f64>,
}

impl Profile {
    fn with_bins(bins: usize) -> Self {
        Self {
            levels: ProfileLevels {
                poc: f64::NAN,
                value_area_high: f64::NAN,
                value_area_low: f64::NAN,
            },
            edges: vec![0.0; bins + 1],
            volumes: vec![0.0; bins],
        }
    }

    /// Rebuilds `self` from `n` candles, `candle(i)` = (high, low, close,
    /// volume) oldest first; false when the profile is empty (see the
    /// module docs), leaving `self` unspecified.
    fn rebuild(
        &mut self,
        n: usize,
        candle: impl Fn(usize) -> (f64, f64, f64, f64),
        value_area: f64,
    ) -> bool {
        let bins = self.volumes.len();
        let (mut lo, mut hi, mut vol) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for i in 0..n {
            let (h, l, c, v) = candle(i);
            if !(h.is_finite() && l.is_finite() && c.is_finite() && v.is_finite()) {
                return false;
            }
            lo = lo.min(l);
            hi = hi.max(h);
            vol += v;
        }
        if vol == 0.0 || hi <= lo {
            return false;
        }
        let width = (hi - lo) / bins as f64;
        for (k, e) in self.edges.iter_mut().enumerate() {
            *e = lo + k as f64 * width;
        }
        self.edges[bins] = hi;
        let bin_of = |p: f64| (((p - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        self.volumes.fill(0.0);
        for i in 0..n {
            let (h, l, c, v) = candle(i);
            if v == 0.0 {
                continue;
            }
            if h <= l {
                self.volumes[bin_of(c)] += v;
                continue;
            }
            // ⌊·⌋ may land one bin off the edges' own rounding: widen by one
            // and let the overlap test decide.
            let first = bin_of(l).saturating_sub(1);
            let last = (bin_of(h) + 1).min(bins - 1);
            for k in first..=last {
                let overlap = h.min(self.edges[k + 1]) - l.max(self.edges[k]);
                if overlap > 0.0 {
                    self.volumes[k] += v * (overlap / (h - l));
                }
            }
        }
        self.levels = levels(&self.edges, &self.volumes, value_area);
        true
    }
}

/// POC and value area of a distribution (see the module docs).
fn levels(edges: &[f64], volumes: &[f64], value_area: f64) -> ProfileLevels {
    let mut poc = 0;
    for (k, &v) in volumes.iter().enumerate() {
        if v > volumes[poc] {
            poc = k;
        }
    }
    let total: f64 = volumes.iter().sum();
    let target = value_area * total;
    let (mut lo, mut hi, mut acc) = (poc, poc, volumes[poc]);
    while acc < target {
        let above = volumes.get(hi + 1).copied();
        let below = lo.checked_sub(1).map(|k| volumes[k]);
        match (below, above) {
            (Some(b), Some(a)) if a > b => {
                hi += 1;
                acc += a;
            }
            (Some(b), _) => {
                lo -= 1;
                acc += b;
            }
            (None, Some(a)) => {
                hi += 1;
                acc += a;
            }
            (None, None) => break,
        }
    }
    ProfileLevels {
        poc: (edges[poc] + edges[poc + 1]) / 2.0,
        value_area_high: edges[hi + 1],
        value_area_low: edges[lo],
    }
}

/// The profile of the given candles taken as one window (columns of equal
/// length); `None` when it is empty (zero volume, zero span, a non-finite
/// value, or no candles).
///
/// # Panics
/// When the columns differ in length, `bins` is 0 or `value_area` is
/// outside (0, 1].
#[must_use]
pub fn profile(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    bins: usize,
    value_area: f64,
) -> Option<Profile> {
    let n = close.len();
    assert!(high.len() == n && low.len() == n && volume.len() == n);
    VolumeProfileParams {
        window: n.max(1),
        bins,
        value_area,
    }
    .validate();
    let mut p = Profile::with_bins(bins);
    p.rebuild(n, |i| (high[i], low[i], close[i], volume[i]), value_area)
        .then_some(p)
}

/// Streaming volume profile over the last `window` candles.
#[derive(Debug, Clone)]
pub struct VolumeProfile {
    params: VolumeProfileParams,
    high: Window,
    low: Window,
    close: Window,
    volume: Window,
    profile: Profile,
}

impl VolumeProfile {
    /// A new volume profile.
    ///
    /// # Panics
    /// When `window` or `bins` is 0, or `value_area` is outside (0, 1].
    #[must_use]
    pub fn new(params: VolumeProfileParams) -> Self {
        params.validate();
        Self {
            params,
            high: Window::new(params.window),
            low: Window::new(params.window),
            close: Window::new(params.window),
            volume: Window::new(params.window),
            profile: Profile::with_bins(params.bins),
        }
    }

    /// Feeds one candle; the profile of the last `window` candles, borrowed
    /// until the next update.
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<&Profile> {
        self.high.push(high);
        self.low.push(low);
        self.close.push(close);
        self.volume.push(volume);
        if !self.volume.is_full() {
            return None;
        }
        let (h, l, c, v) = (&self.high, &self.low, &self.close, &self.volume);
        let n = v.len();
        self.profile
            .rebuild(
                n,
                |i| (h.get(i), l.get(i), c.get(i), v.get(i)),
                self.params.value_area,
            )
            .then_some(&self.profile)
    }
}

/// Batch output: the key prices as columns.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeProfileOutput {
    /// Points of control.
    pub poc: Vec<f64>,
    /// Value-area highs.
    pub value_area_high: Vec<f64>,
    /// Value-area lows.
    pub value_area_low: Vec<f64>,
}

/// Batch volume profile: entry t profiles candles t + 1 − window ..= t (NaN
/// where the streaming form gives `None`). For the distribution of one
/// window call [`profile`] on its slices.
///
/// # Panics
/// When the columns differ in length, `window` or `bins` is 0, or
/// `value_area` is outside (0, 1].
#[must_use]
pub fn volume_profile(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    params: VolumeProfileParams,
) -> VolumeProfileOutput {
    params.validate();
    let n = close.len();
    assert!(high.len() == n && low.len() == n && volume.len() == n);
    let mut out = VolumeProfileOutput {
        poc: vec![f64::NAN; n],
        value_area_high: vec![f64::NAN; n],
        value_area_low: vec![f64::NAN; n],
    };
    let mut p = Profile::with_bins(params.bins);
    for t in params.window.saturating_sub(1)..n {
        let lo = t + 1 - params.window;
        let get = |i: usize| (high[lo + i], low[lo + i], close[lo + i], volume[lo + i]);
        if p.rebuild(params.window, get, params.value_area) {
            out.poc[t] = p.levels.poc;
            out.value_area_high[t] = p.levels.value_area_high;
            out.value_area_low[t] = p.levels.value_area_low;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: VolumeProfileParams = VolumeProfileParams {
        window: 2,
        bins: 4,
        value_area: 0.7,
    };

    fn levels(poc: f64, value_area_low: f64, value_area_high: f64) -> ProfileLevels {
        ProfileLevels {
            poc,
            value_area_high,
            value_area_low,
        }
    }

    #[test]
    fn rolling_profile_by_hand() {
        // A: [0, 4] × 8; B: a zero-range candle at 2.5 × 3; C: [2, 3] × 6.
        let h = [4.0, 2.5, 3.0];
        let l = [0.0, 2.5, 2.0];
        let c = [2.0, 2.5, 3.0];
        let v = [8.0, 3.0, 6.0];
        let mut s = VolumeProfile::new(P);
        assert!(s.update(h[0], l[0], c[0], v[0]).is_none());
        // A, B over [0, 4], width 1: A gives 2 per bin, B's 3 goes to bin 2:
        // [2, 2, 5, 2], total 11, target 7.7. POC bin 2 (centre 2.5);
        // neighbours tie 2 / 2 → take below (bin 1, 7), tie again → bin 0
        // (9 ≥ 7.7): value area [0, 3].
        let p = s.update(h[1], l[1], c[1], v[1]).unwrap();
        assert_eq!(p.edges, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(p.volumes, vec![2.0, 2.0, 5.0, 2.0]);
        assert_eq!(p.levels, levels(2.5, 0.0, 3.0));
        // B, C over [2, 3], width 0.25: C gives 1.5 per bin, B's 3 to bin 2:
        // [1.5, 1.5, 4.5, 1.5], target 6.3 → bins 2, 1, 0 (ties go below):
        // value area [2, 2.75], POC 2.625.
        let p = s.update(h[2], l[2], c[2], v[2]).unwrap();
        assert_eq!(p.volumes, vec![1.5, 1.5, 4.5, 1.5]);
        assert_eq!(p.levels, levels(2.625, 2.0, 2.75));
        let b = volume_profile(&h, &l, &c, &v, P);
        assert!(b.poc[0].is_nan());
        assert_eq!(
            (b.poc[1], b.value_area_low[1], b.value_area_high[1]),
            (2.5, 0.0, 3.0)
        );
        assert_eq!(
            (b.poc[2], b.value_area_low[2], b.value_area_high[2]),
            (2.625, 2.0, 2.75)
        );
    }

    #[test]
    fn larger_neighbour_wins_and_poc_ties_go_low() {
        // [0, 4] × 4 → 1 per bin; 2 at 2.5 (bin 2); 1 at 3.5 (bin 3):
        // [1, 1, 3, 2], total 7, target 4.9: POC bin 2, then above (2 > 1)
        // → 5: value area [2, 4].
        let p = profile(
            &[4.0, 2.5, 3.5],
            &[0.0, 2.5, 3.5],
            &[1.0, 2.5, 3.5],
            &[4.0, 2.0, 1.0],
            4,
            0.7,
        )
        .unwrap();
        assert_eq!(p.volumes, vec![1.0, 1.0, 3.0, 2.0]);
        assert_eq!(p.levels, levels(2.5, 2.0, 4.0));
        // One candle evenly over four bins: POC is the lowest bin; the area
        // can only grow upwards: bins 0..=2 (3 ≥ 2.8).
        let p = profile(&[4.0], &[0.0], &[1.0], &[4.0], 4, 0.7).unwrap();
        assert_eq!(p.levels, levels(0.5, 0.0, 3.0));
        // The top price falls in the top bin.
        let p = profile(&[4.0, 4.0], &[0.0, 4.0], &[0.0, 4.0], &[0.0, 1.0], 4, 0.7).unwrap();
        assert_eq!(p.volumes, vec![0.0, 0.0, 0.0, 1.0]);
        assert_eq!(p.levels, levels(3.5, 3.0, 4.0));
    }

    #[test]
    fn empty_profiles() {
        // No volume.
        assert!(profile(&[2.0], &[1.0], &[1.5], &[0.0], 4, 0.7).is_none());
        // No span.
        assert!(profile(&[2.0, 2.0], &[2.0, 2.0], &[2.0, 2.0], &[1.0, 1.0], 4, 0.7).is_none());
        // No candles.
        assert!(profile(&[], &[], &[], &[], 4, 0.7).is_none());
        let b = volume_profile(&[2.0; 3], &[1.0; 3], &[1.5; 3], &[0.0; 3], P);
        assert!(b.poc.iter().all(|v| v.is_nan()));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200), window in 1usize..40, bins in 1usize..30, value_area in 0.05f64..=1.0) {
            let p = VolumeProfileParams { window, bins, value_area };
            let mut st = VolumeProfile::new(p);
            let mut rows: Vec<Option<ProfileLevels>> = Vec::with_capacity(s.len());
            for t in 0..s.len() {
                let got = st.update(s.high[t], s.low[t], s.close[t], s.volume[t]);
                rows.push(got.map(|q| q.levels));
                let Some(q) = got else { continue };
                let lo = t + 1 - window;
                let total_in: f64 = s.volume[lo..=t].iter().sum();
                let total: f64 = q.volumes.iter().sum();
                prop_assert!((total - total_in).abs() <= 1e-9 * total_in);
                prop_assert!(q.edges.windows(2).all(|e| e[0] <= e[1]));
                let (first, last) = (q.edges[0], q.edges[bins]);
                let lv = q.levels;
                prop_assert!(first <= lv.value_area_low && lv.value_area_low < lv.poc);
                prop_assert!(lv.poc < lv.value_area_high && lv.value_area_high <= last);
                // The area's bins hold at least the fraction asked for.
                let in_area: f64 = (0..bins)
                    .filter(|&k| q.edges[k] >= lv.value_area_low && q.edges[k + 1] <= lv.value_area_high)
                    .map(|k| q.volumes[k])
                    .sum();
                prop_assert!(in_area >= value_area * total * (1.0 - 1e-12));
                // The POC bin holds the most volume.
                let k = (0..bins).find(|&k| (q.edges[k] + q.edges[k + 1]) / 2.0 == lv.poc).unwrap();
                prop_assert!(q.volumes.iter().all(|&v| v <= q.volumes[k]));
                // And the one-window batch form agrees.
                let one = profile(&s.high[lo..=t], &s.low[lo..=t], &s.close[lo..=t], &s.volume[lo..=t], bins, value_area).unwrap();
                prop_assert_eq!(&one, q);
            }
            let b = volume_profile(&s.high, &s.low, &s.close, &s.volume, p);
            let col = |f: fn(&ProfileLevels) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("poc", &col(|v| v.poc), &b.poc);
            assert_columns_agree("value_area_high", &col(|v| v.value_area_high), &b.value_area_high);
            assert_columns_agree("value_area_low", &col(|v| v.value_area_low), &b.value_area_low);
        }
    }
}

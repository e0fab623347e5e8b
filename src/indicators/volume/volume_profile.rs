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
//! Cost: a from-scratch build spreads every candle of the window over the
//! bins, O(window · bins) in the worst case, about 6,000 overlap steps for
//! the defaults. The streaming form (and the batch form, which runs it)
//! builds from scratch only when the span changes: while the window's min
//! low and max high stay put, the edges are the same numbers, so it takes
//! the candle that left out of the bins and puts the new one in, O(bins).
//! Its volumes then differ from a rebuild's by rounding only (bounded, and
//! a rebuild every `window` slides keeps the bound small); its levels are
//! the rebuild's exactly, because whenever a choice behind them (the POC,
//! each step of the value area) is closer than that bound could flip, it
//! rebuilds instead. It allocates nothing after construction.

use std::collections::VecDeque;

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

/// One candle as the profile reads it: (high, low, close, volume).
type Hlcv = (f64, f64, f64, f64);

/// What a window's candles span, from one pass over them; `None` when the
/// profile is empty (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    /// Min low.
    lo: f64,
    /// Max high.
    hi: f64,
    /// Σ |volume|: the magnitude rounding errors in the bins scale with.
    scale: f64,
}

impl Span {
    fn of(candles: impl Iterator<Item = Hlcv>) -> Option<Self> {
        let (mut lo, mut hi, mut vol, mut scale) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0.0);
        for (h, l, c, v) in candles {
            if !(h.is_finite() && l.is_finite() && c.is_finite() && v.is_finite()) {
                return None;
            }
            lo = lo.min(l);
            hi = hi.max(h);
            vol += v;
            scale += v.abs();
        }
        (vol != 0.0 && hi > lo).then_some(Self { lo, hi, scale })
    }
}

/// Adds (or, with `remove`, subtracts) one candle's share of volume to
/// each bin it overlaps, as the module docs define it; `edges` must be the
/// ones [`Profile::fill`] set for the span starting at `lo`, `width` apart.
/// Removing computes the very shares adding did, so a slide subtracts what
/// a fill added.
fn spread(edges: &[f64], volumes: &mut [f64], lo: f64, width: f64, candle: Hlcv, remove: bool) {
    let (h, l, c, v) = candle;
    if v == 0.0 {
        return;
    }
    let bins = volumes.len();
    let bin_of = |p: f64| (((p - lo) / width).floor().max(0.0) as usize).min(bins - 1);
    let mut put = |k: usize, share: f64| {
        if remove {
            volumes[k] -= share;
        } else {
            volumes[k] += share;
        }
    };
    if h <= l {
        put(bin_of(c), v);
        return;
    }
    // ⌊·⌋ may land one bin off the edges' own rounding: widen by one and
    // let the overlap test decide.
    let first = bin_of(l).saturating_sub(1);
    let last = (bin_of(h) + 1).min(bins - 1);
    for k in first..=last {
        let overlap = h.min(edges[k + 1]) - l.max(edges[k]);
        if overlap > 0.0 {
            put(k, v * (overlap / (h - l)));
        }
    }
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

    /// Bin width for `span`.
    fn width(&self, span: &Span) -> f64 {
        (span.hi - span.lo) / self.volumes.len() as f64
    }

    /// Builds `self` from scratch from the window's `candles` (oldest first),
    /// whose span is `span`.
    fn fill(&mut self, span: &Span, candles: impl Iterator<Item = Hlcv>, value_area: f64) {
        let bins = self.volumes.len();
        let width = self.width(span);
        for (k, e) in self.edges.iter_mut().enumerate() {
            *e = span.lo + k as f64 * width;
        }
        self.edges[bins] = span.hi;
        self.volumes.fill(0.0);
        for candle in candles {
            spread(
                &self.edges,
                &mut self.volumes,
                span.lo,
                width,
                candle,
                false,
            );
        }
        self.levels = levels(&self.edges, &self.volumes, value_area).0;
    }
}

/// POC and value area of a distribution (see the module docs), and the
/// smallest gap between two quantities that any choice behind them compared
/// (0 on a tie): volumes each off by less than a quarter of that gap over
/// the number of bins lead to the same choices, so the same levels.
fn levels(edges: &[f64], volumes: &[f64], value_area: f64) -> (ProfileLevels, f64) {
    let (mut poc, mut runner_up) = (0, f64::NEG_INFINITY);
    for (k, &v) in volumes.iter().enumerate().skip(1) {
        if v > volumes[poc] {
            runner_up = volumes[poc];
            poc = k;
        } else {
            runner_up = runner_up.max(v);
        }
    }
    let mut margin = volumes[poc] - runner_up;
    let total: f64 = volumes.iter().sum();
    let target = value_area * total;
    let (mut lo, mut hi, mut acc) = (poc, poc, volumes[poc]);
    loop {
        margin = margin.min((acc - target).abs());
        if acc >= target {
            break;
        }
        let above = volumes.get(hi + 1).copied();
        let below = lo.checked_sub(1).map(|k| volumes[k]);
        match (below, above) {
            (Some(b), Some(a)) if a > b => {
                margin = margin.min(a - b);
                hi += 1;
                acc += a;
            }
            (Some(b), above) => {
                if let Some(a) = above {
                    margin = margin.min(b - a);
                }
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
    let levels = ProfileLevels {
        poc: (edges[poc] + edges[poc + 1]) / 2.0,
        value_area_high: edges[hi + 1],
        value_area_low: edges[lo],
    };
    (levels, margin)
}

/// The profile of the given candles taken as one window (columns of equal
/// length), built from scratch; `None` when it is empty (zero volume, zero
/// span, a non-finite value, or no candles).
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
    let candles = || (0..n).map(|i| (high[i], low[i], close[i], volume[i]));
    let span = Span::of(candles())?;
    let mut p = Profile::with_bins(bins);
    p.fill(&span, candles(), value_area);
    Some(p)
}

/// How the distribution a [`VolumeProfile`] holds was arrived at.
#[derive(Debug, Clone, Copy)]
struct Held {
    /// The span its edges were set for.
    span: Span,
    /// Slides since the last fill.
    slides: usize,
    /// Bound on how far any bin may be from the exact sum of its shares.
    error: f64,
}

/// Streaming volume profile over the last `window` candles.
#[derive(Debug, Clone)]
pub struct VolumeProfile {
    params: VolumeProfileParams,
    candles: VecDeque<Hlcv>,
    profile: Profile,
    /// Set while `profile` holds the distribution of the current window.
    held: Option<Held>,
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
            candles: VecDeque::with_capacity(params.window),
            profile: Profile::with_bins(params.bins),
            held: None,
        }
    }

    /// Feeds one candle; the profile of the last `window` candles, borrowed
    /// until the next update.
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<&Profile> {
        let window = self.params.window;
        let left = if self.candles.len() == window {
            self.candles.pop_front()
        } else {
            None
        };
        let candle = (high, low, close, volume);
        self.candles.push_back(candle);
        if self.candles.len() < window {
            return None;
        }
        let Some(span) = Span::of(self.candles.iter().copied()) else {
            self.held = None;
            return None;
        };
        let value_area = self.params.value_area;
        // A rebuild's own bins are off the exact sums by up to n·ε·scale.
        let rebuild_error = window as f64 * f64::EPSILON * span.scale;
        if let (Some(held), Some(left)) = (self.held.as_mut(), left)
            && held.span.lo == span.lo
            && held.span.hi == span.hi
            && held.slides < window
            && span.scale.is_finite()
        {
            let p = &mut self.profile;
            let width = p.width(&span);
            spread(&p.edges, &mut p.volumes, span.lo, width, left, true);
            spread(&p.edges, &mut p.volumes, span.lo, width, candle, false);
            // Each of the two roundings per bin is at most ε times what the
            // bin held, itself at most the window's scale before or after.
            held.error += 2.0 * f64::EPSILON * held.span.scale.max(span.scale);
            held.span = span;
            held.slides += 1;
            let (levels, margin) = levels(&p.edges, &p.volumes, value_area);
            let apart = held.error + rebuild_error;
            if margin > 4.0 * p.volumes.len() as f64 * apart {
                p.levels = levels;
                return Some(&self.profile);
            }
        }
        self.profile
            .fill(&span, self.candles.iter().copied(), value_area);
        self.held = Some(Held {
            span,
            slides: 0,
            error: rebuild_error,
        });
        Some(&self.profile)
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
/// where the streaming form gives `None`). It runs [`VolumeProfile`] over
/// the columns, so the two agree exactly. For the distribution of one
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
    let mut streaming = VolumeProfile::new(params);
    for t in 0..n {
        if let Some(p) = streaming.update(high[t], low[t], close[t], volume[t]) {
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
    fn a_steady_span_slides_instead_of_rebuilding() {
        // A spike, then a sawtooth whose every 10 candles span [95, 102.5]:
        // once the spike has left, updates slide (no fill) and still give
        // the from-scratch profile's levels.
        let p = VolumeProfileParams {
            window: 10,
            bins: 6,
            value_area: 0.7,
        };
        let mut candles = vec![(112.0, 88.0, 100.0, 5.0)];
        candles.extend((0..30).map(|i| {
            let l = 95.0 + f64::from(i % 7);
            (l + 1.5, l, l + 0.5, 1.0 + f64::from(i % 5) * 3.7)
        }));
        let mut s = VolumeProfile::new(p);
        let mut slid = 0;
        for (t, &(h, l, c, v)) in candles.iter().enumerate() {
            let got = s.update(h, l, c, v).map(|q| q.levels);
            if t + 1 < p.window {
                continue;
            }
            let w = &candles[t + 1 - p.window..=t];
            let col = |f: fn(&Hlcv) -> f64| w.iter().map(f).collect::<Vec<_>>();
            let one = profile(
                &col(|x| x.0),
                &col(|x| x.1),
                &col(|x| x.2),
                &col(|x| x.3),
                6,
                0.7,
            );
            assert_eq!(got, one.map(|q| q.levels), "t = {t}");
            if s.held.is_some_and(|h| h.slides > 0) {
                slid += 1;
            }
        }
        // t = 10..=30: a fill when the span shrinks, then slides but for a
        // refill every `window` slides.
        assert!(slid >= 15, "slid {slid} times");
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

    /// `got` has `rebuilt`'s edges and levels exactly and its volumes
    /// within 1e-9 of the window's volume `scale`.
    fn assert_matches_rebuild(
        got: &Profile,
        rebuilt: &Profile,
        scale: f64,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(&got.edges, &rebuilt.edges);
        prop_assert_eq!(got.levels, rebuilt.levels);
        for (a, b) in got.volumes.iter().zip(&rebuilt.volumes) {
            prop_assert!(
                (a - b).abs() <= 1e-9 * scale,
                "{:?} vs {:?}",
                got.volumes,
                rebuilt.volumes
            );
        }
        Ok(())
    }

    /// Candles inside a band whose edges a few spikes touch, so that the
    /// window's span often stays put and the streaming form slides: prices
    /// on a 0.25 grid (ties between bins happen), volumes with zeros.
    fn banded(max_len: usize) -> impl Strategy<Value = Vec<Hlcv>> {
        let candle = (
            0u8..40,
            0u8..8,
            0u8..4,
            prop_oneof![3 => 0.0f64..1000.0, 1 => Just(0.0), 1 => Just(1.0)],
            prop::bool::weighted(0.08),
        );
        prop::collection::vec(candle, 0..max_len).prop_map(|cs| {
            cs.into_iter()
                .map(|(low, range, close, volume, spike)| {
                    if spike {
                        return (112.0, 88.0, 100.0, volume);
                    }
                    let l = 90.0 + f64::from(low) * 0.5;
                    let h = l + f64::from(range) * 0.25;
                    (h, l, l + (h - l) * f64::from(close) / 4.0, volume)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn incremental_equals_rebuild(cs in banded(300), window in 1usize..60, bins in 1usize..30, value_area in 0.05f64..=1.0) {
            let p = VolumeProfileParams { window, bins, value_area };
            let mut st = VolumeProfile::new(p);
            let col = |f: fn(&Hlcv) -> f64| cs.iter().map(f).collect::<Vec<_>>();
            let (h, l, c, v) = (col(|x| x.0), col(|x| x.1), col(|x| x.2), col(|x| x.3));
            for t in 0..cs.len() {
                let got = st.update(h[t], l[t], c[t], v[t]).cloned();
                let lo = (t + 1).saturating_sub(window);
                let rebuilt = (t + 1 >= window).then(|| profile(&h[lo..=t], &l[lo..=t], &c[lo..=t], &v[lo..=t], bins, value_area)).flatten();
                prop_assert_eq!(got.is_some(), rebuilt.is_some());
                if let (Some(got), Some(rebuilt)) = (got, rebuilt) {
                    let scale: f64 = v[lo..=t].iter().map(|x| x.abs()).sum();
                    assert_matches_rebuild(&got, &rebuilt, scale)?;
                }
            }
        }

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
                // And the one-window batch form (built from scratch) agrees:
                // the same edges and levels, volumes up to rounding.
                let one = profile(&s.high[lo..=t], &s.low[lo..=t], &s.close[lo..=t], &s.volume[lo..=t], bins, value_area).unwrap();
                assert_matches_rebuild(q, &one, total_in)?;
            }
            let b = volume_profile(&s.high, &s.low, &s.close, &s.volume, p);
            let col = |f: fn(&ProfileLevels) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("poc", &col(|v| v.poc), &b.poc);
            assert_columns_agree("value_area_high", &col(|v| v.value_area_high), &b.value_area_high);
            assert_columns_agree("value_area_low", &col(|v| v.value_area_low), &b.value_area_low);
        }
    }
}

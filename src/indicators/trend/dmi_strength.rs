//! DMI trend strength: how strong a trend ADX reports, and which way the
//! directional indicators point.
//!
//! Strength by ADX: below `moderate` (20) weak, below `strong` (40) moderate,
//! otherwise strong. Direction: up when +DI > −DI, down when −DI > +DI, none
//! when equal. Undefined (None) where ADX or a DI is.

use crate::indicators::trend::dmi::DmiValue;

/// How strong the trend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrendStrength {
    /// ADX below the moderate threshold.
    Weak,
    /// ADX between the thresholds.
    Moderate,
    /// ADX at or above the strong threshold.
    Strong,
}

/// Which way the directional indicators point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendDirection {
    /// +DI above −DI.
    Up,
    /// −DI above +DI.
    Down,
    /// Equal.
    Flat,
}

/// ADX thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrengthThresholds {
    /// ADX at or above this is at least moderate.
    pub moderate: f64,
    /// ADX at or above this is strong.
    pub strong: f64,
}

impl Default for StrengthThresholds {
    fn default() -> Self {
        Self {
            moderate: 20.0,
            strong: 40.0,
        }
    }
}

impl StrengthThresholds {
    /// Classifies one candle's +DI, −DI and ADX.
    #[must_use]
    pub fn classify(
        &self,
        plus_di: f64,
        minus_di: f64,
        adx: f64,
    ) -> Option<(TrendStrength, TrendDirection)> {
        if adx.is_nan() || plus_di.is_nan() || minus_di.is_nan() {
            return None;
        }
        let strength = if adx >= self.strong {
            TrendStrength::Strong
        } else if adx >= self.moderate {
            TrendStrength::Moderate
        } else {
            TrendStrength::Weak
        };
        let direction = match plus_di.partial_cmp(&minus_di) {
            Some(std::cmp::Ordering::Greater) => TrendDirection::Up,
            Some(std::cmp::Ordering::Less) => TrendDirection::Down,
            _ => TrendDirection::Flat,
        };
        Some((strength, direction))
    }

    /// Classifies a streaming [`DmiValue`].
    #[must_use]
    pub fn classify_value(&self, v: &DmiValue) -> Option<(TrendStrength, TrendDirection)> {
        self.classify(v.plus_di, v.minus_di, v.adx.unwrap_or(f64::NAN))
    }
}

/// Batch classification over DMI columns.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn dmi_strength(
    plus_di: &[f64],
    minus_di: &[f64],
    adx: &[f64],
    thresholds: StrengthThresholds,
) -> Vec<Option<(TrendStrength, TrendDirection)>> {
    assert!(plus_di.len() == minus_di.len() && minus_di.len() == adx.len());
    (0..adx.len())
        .map(|i| thresholds.classify(plus_di[i], minus_di[i], adx[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::proptest_support::series;
    use crate::indicators::trend::dmi::{Dmi, dmi};
    use proptest::prelude::*;

    #[test]
    fn thresholds_and_direction() {
        let t = StrengthThresholds::default();
        assert_eq!(
            t.classify(30.0, 10.0, 45.0),
            Some((TrendStrength::Strong, TrendDirection::Up))
        );
        assert_eq!(
            t.classify(10.0, 30.0, 20.0),
            Some((TrendStrength::Moderate, TrendDirection::Down))
        );
        assert_eq!(
            t.classify(10.0, 10.0, 19.9),
            Some((TrendStrength::Weak, TrendDirection::Flat))
        );
        assert_eq!(t.classify(10.0, 10.0, f64::NAN), None);
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200)) {
            let t = StrengthThresholds::default();
            let b = dmi(&s.high, &s.low, &s.close, 14);
            let batch = dmi_strength(&b.plus_di, &b.minus_di, &b.adx, t);
            let mut st = Dmi::new(14);
            for (i, want) in batch.iter().enumerate() {
                let streamed = st.update(s.high[i], s.low[i], s.close[i]).and_then(|v| t.classify_value(&v));
                prop_assert_eq!(&streamed, want);
            }
        }
    }
}

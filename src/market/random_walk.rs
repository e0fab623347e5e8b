//! Deterministic random-walk candles for benchmarks and tests.
//!
//! Reproducible bit for bit in any language with IEEE doubles and 64-bit
//! wrapping integers (SplitMix64, no transcendental functions), so a peer
//! benchmark in Python (benches/compare_talib.py) times TA-Lib on exactly the
//! candles our benchmarks use.

use super::{Candle, OhlcvSeries};

/// SplitMix64: a tiny, well-mixed generator; one `u64` of state.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// `n` one-minute candles of symbol number `symbol` for `seed`, starting at
/// `start_ms`: close moves ±0.2% per candle, wicks up to 0.3% beyond the
/// body, volume in [1, 101).
#[must_use]
pub fn random_walk(seed: u64, symbol: u64, n: usize, start_ms: i64) -> Vec<Candle> {
    let mut rng = SplitMix64::new(seed.wrapping_mul(1_000_003).wrapping_add(symbol));
    let mut prev = 10.0 + symbol as f64;
    (0..n)
        .map(|i| {
            let (u1, u2, u3, u4) = (
                rng.next_f64(),
                rng.next_f64(),
                rng.next_f64(),
                rng.next_f64(),
            );
            let open = prev;
            let close = prev * (1.0 + (u1 - 0.5) * 0.004);
            let range = close * u2 * 0.003;
            let high = open.max(close) + range * u3;
            let low = open.min(close) - range * (1.0 - u3);
            prev = close;
            Candle::ohlcv(
                start_ms + i as i64 * 60_000,
                open,
                high,
                low,
                close,
                1.0 + u4 * 100.0,
            )
        })
        .collect()
}

/// [`random_walk`] as a column-oriented series.
#[must_use]
pub fn random_walk_series(seed: u64, symbol: u64, n: usize, start_ms: i64) -> OhlcvSeries {
    OhlcvSeries::from(random_walk(seed, symbol, n, start_ms).as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_vector() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn walk_is_valid_and_deterministic() {
        let a = random_walk(7, 3, 500, 0);
        assert_eq!(a, random_walk(7, 3, 500, 0));
        for c in &a {
            assert!(c.low <= c.open.min(c.close) && c.high >= c.open.max(c.close));
            assert!(c.volume >= 1.0);
        }
    }
}

#[cfg(test)]
mod cross_language {
    use super::*;

    /// Values printed by benches/compare_talib.py's generator for seed 7,
    /// symbol 3: the two implementations stay bit-identical.
    #[test]
    fn matches_python_generator() {
        let w = random_walk(7, 3, 500, 0);
        assert_eq!(w[0].close, 13.011358484640345);
        assert_eq!(w[499].close, 13.34121806823743);
        assert_eq!(w[10].high, 12.970016449501605);
        assert_eq!(w[499].volume, 61.85554247737641);
    }
}

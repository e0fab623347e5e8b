//! Kline intervals (timeframes), UTC-aligned.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A kline interval from one minute to one day, as Binance names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Interval {
    /// 1 minute.
    M1,
    /// 3 minutes.
    M3,
    /// 5 minutes.
    M5,
    /// 15 minutes.
    M15,
    /// 30 minutes.
    M30,
    /// 1 hour.
    H1,
    /// 2 hours.
    H2,
    /// 4 hours.
    H4,
    /// 6 hours.
    H6,
    /// 8 hours.
    H8,
    /// 12 hours.
    H12,
    /// 1 day.
    D1,
}

/// Why a text is not an interval.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interval {0:?}: expected one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d")]
pub struct UnknownInterval(pub String);

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 12] = [
        Self::M1,
        Self::M3,
        Self::M5,
        Self::M15,
        Self::M30,
        Self::H1,
        Self::H2,
        Self::H4,
        Self::H6,
        Self::H8,
        Self::H12,
        Self::D1,
    ];

    /// Length in milliseconds.
    #[must_use]
    pub const fn millis(self) -> i64 {
        const MIN: i64 = 60_000;
        match self {
            Self::M1 => MIN,
            Self::M3 => 3 * MIN,
            Self::M5 => 5 * MIN,
            Self::M15 => 15 * MIN,
            Self::M30 => 30 * MIN,
            Self::H1 => 60 * MIN,
            Self::H2 => 120 * MIN,
            Self::H4 => 240 * MIN,
            Self::H6 => 360 * MIN,
            Self::H8 => 480 * MIN,
            Self::H12 => 720 * MIN,
            Self::D1 => 1440 * MIN,
        }
    }

    /// Binance's name: `1m`, `1h`, `1d`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M3 => "3m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::M30 => "30m",
            Self::H1 => "1h",
            Self::H2 => "2h",
            Self::H4 => "4h",
            Self::H6 => "6h",
            Self::H8 => "8h",
            Self::H12 => "12h",
            Self::D1 => "1d",
        }
    }

    /// Start of the bucket holding `ts_ms`: the greatest multiple of the
    /// interval since the Unix epoch that is not after it (UTC alignment).
    #[must_use]
    pub const fn bucket_start(self, ts_ms: i64) -> i64 {
        ts_ms.div_euclid(self.millis()) * self.millis()
    }

    /// The interval whose length is exactly `ms`, if any.
    #[must_use]
    pub fn from_millis(ms: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.millis() == ms)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Interval {
    type Err = UnknownInterval;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| UnknownInterval(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for i in Interval::ALL {
            assert_eq!(i.as_str().parse::<Interval>().unwrap(), i);
            assert_eq!(Interval::from_millis(i.millis()), Some(i));
        }
        assert!("2m".parse::<Interval>().is_err());
    }

    #[test]
    fn buckets_align_to_utc_multiples() {
        assert_eq!(Interval::H1.bucket_start(3_600_000 + 59_999), 3_600_000);
        assert_eq!(Interval::M5.bucket_start(-1), -300_000);
        assert_eq!(
            Interval::D1.bucket_start(86_400_000 * 3 + 5),
            86_400_000 * 3
        );
    }
}

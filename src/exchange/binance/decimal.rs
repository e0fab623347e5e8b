//! Exchange-precision numbers: Binance sends prices, quantities and balances
//! as JSON strings holding decimals (`"0.0010"`, PROTOCOL.md §1). [`Decimal`]
//! keeps them exact; [`Price`] and [`Quantity`] are the newtypes that go back
//! to the venue. The serde adapters at the bottom read the same strings into
//! `f64` for market data that only feeds indicators.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Most fractional digits a [`Decimal`] holds (Binance uses at most 8).
pub const MAX_SCALE: u32 = 18;

/// Largest mantissa magnitude (exclusive): 10^20, so that any two decimals
/// rescaled to [`MAX_SCALE`] still fit an `i128`.
const MAX_MANTISSA: i128 = 100_000_000_000_000_000_000;

/// An exact decimal `mantissa × 10^-scale`, always normalised (no trailing
/// fractional zeros), so equal values compare and hash equal.
///
/// Bounds: at most [`MAX_SCALE`] fractional digits and a mantissa below 10^20
/// in magnitude; parsing or arithmetic beyond that is an error, never a
/// silent rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// Why a text or a calculation is not a [`Decimal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text is not `[-]digits[.digits]`.
    #[error("not a decimal number: {0:?}")]
    Syntax(String),
    /// More than [`MAX_SCALE`] fractional digits or a mantissa of 10^20 or more.
    #[error("decimal out of range: {0:?}")]
    OutOfRange(String),
    /// An arithmetic result left the representable range.
    #[error("decimal arithmetic overflow")]
    Overflow,
    /// Division by a zero step.
    #[error("division by zero")]
    DivisionByZero,
    /// A float that is NaN or infinite.
    #[error("not a finite number: {0}")]
    NotFinite(String),
}

const fn pow10(exp: u32) -> i128 {
    let mut v: i128 = 1;
    let mut i = 0;
    while i < exp {
        v *= 10;
        i += 1;
    }
    v
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// Builds `mantissa × 10^-scale`, normalised.
    ///
    /// # Errors
    /// [`DecimalError::OutOfRange`] when `scale > MAX_SCALE` or the normalised
    /// mantissa is 10^20 or more in magnitude.
    pub fn new(mantissa: i128, scale: u32) -> Result<Self, DecimalError> {
        let d = Self { mantissa, scale }.normalised();
        if d.scale > MAX_SCALE || d.mantissa.abs() >= MAX_MANTISSA {
            return Err(DecimalError::OutOfRange(format!("{mantissa}e-{scale}")));
        }
        Ok(d)
    }

    /// An integer value.
    ///
    /// # Errors
    /// [`DecimalError::OutOfRange`] at 10^20 or more in magnitude.
    pub fn from_int(v: i64) -> Result<Self, DecimalError> {
        Self::new(i128::from(v), 0)
    }

    /// The shortest decimal that prints as `v` does (Rust's `Display` for
    /// `f64` is the shortest text that reads back to the same float).
    ///
    /// # Errors
    /// [`DecimalError::NotFinite`] for NaN or infinities, and range errors.
    pub fn from_f64(v: f64) -> Result<Self, DecimalError> {
        if !v.is_finite() {
            return Err(DecimalError::NotFinite(v.to_string()));
        }
        let text = format!("{v}");
        match text.parse::<Decimal>() {
            Ok(d) => Ok(d),
            // Too many fractional digits (tiny values): cut at MAX_SCALE.
            Err(DecimalError::OutOfRange(_)) if v.abs() < 1.0 => {
                format!("{v:.18}").parse::<Decimal>()
            }
            Err(e) => Err(e),
        }
    }

    fn normalised(mut self) -> Self {
        if self.mantissa == 0 {
            return Self::ZERO;
        }
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    /// The mantissa (value × 10^scale).
    #[must_use]
    pub const fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// Number of fractional digits after normalisation (`0.0010` → 3).
    #[must_use]
    pub const fn scale(self) -> u32 {
        self.scale
    }

    /// True for zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// True below zero.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The nearest `f64`.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "mantissas are below 10^20; f64 is the documented lossy view"
    )]
    pub fn to_f64(self) -> f64 {
        // Every integer scale ≤ 18 is exact in f64 up to 10^22.
        self.mantissa as f64 / pow10(self.scale) as f64
    }

    /// The mantissa at a larger scale (exact; `scale >= self.scale`).
    fn mantissa_at(self, scale: u32) -> i128 {
        // Bounded: |mantissa| < 10^20 and scale − self.scale ≤ 18, so < 10^38.
        self.mantissa * pow10(scale - self.scale)
    }

    fn common(a: Self, b: Self) -> (i128, i128, u32) {
        let s = a.scale.max(b.scale);
        (a.mantissa_at(s), b.mantissa_at(s), s)
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] outside the representable range.
    pub fn checked_add(self, other: Self) -> Result<Self, DecimalError> {
        let (a, b, s) = Self::common(self, other);
        Self::new(a + b, s).map_err(|_| DecimalError::Overflow)
    }

    /// `self − other`.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] outside the representable range.
    pub fn checked_sub(self, other: Self) -> Result<Self, DecimalError> {
        let (a, b, s) = Self::common(self, other);
        Self::new(a - b, s).map_err(|_| DecimalError::Overflow)
    }

    /// `self × other`, truncated toward zero at [`MAX_SCALE`] digits.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] outside the representable range.
    pub fn checked_mul(self, other: Self) -> Result<Self, DecimalError> {
        let m = self
            .mantissa
            .checked_mul(other.mantissa)
            .ok_or(DecimalError::Overflow)?;
        let mut d = Self {
            mantissa: m,
            scale: self.scale + other.scale,
        }
        .normalised();
        if d.scale > MAX_SCALE {
            d.mantissa /= pow10(d.scale - MAX_SCALE);
            d.scale = MAX_SCALE;
        }
        Self::new(d.mantissa, d.scale).map_err(|_| DecimalError::Overflow)
    }

    /// The multiple of `step` counted from `origin` nearest to `self` in the
    /// direction `mode`: `origin + k × step` for integer `k`.
    ///
    /// # Errors
    /// [`DecimalError::DivisionByZero`] for a zero or negative step, and
    /// [`DecimalError::Overflow`].
    pub fn round_to_step(
        self,
        origin: Self,
        step: Self,
        mode: RoundingMode,
    ) -> Result<Self, DecimalError> {
        if step.mantissa <= 0 {
            return Err(DecimalError::DivisionByZero);
        }
        let offset = self.checked_sub(origin)?;
        let (a, t, s) = Self::common(offset, step);
        let floor = a.div_euclid(t);
        let rem = a.rem_euclid(t);
        let k = match mode {
            RoundingMode::Down => floor,
            RoundingMode::Up => floor + i128::from(rem != 0),
            RoundingMode::Nearest => floor + i128::from(rem >= t - rem),
        };
        let steps = Self::new(k.checked_mul(t).ok_or(DecimalError::Overflow)?, s)
            .map_err(|_| DecimalError::Overflow)?;
        origin.checked_add(steps)
    }

    /// True when `self − origin` is a whole number of `step`s (a zero step
    /// disables the check, as Binance's filters do).
    #[must_use]
    pub fn is_step_aligned(self, origin: Self, step: Self) -> bool {
        if step.mantissa <= 0 {
            return true;
        }
        match self.checked_sub(origin) {
            Ok(offset) => {
                let (a, t, _) = Self::common(offset, step);
                a.rem_euclid(t) == 0
            }
            Err(_) => false,
        }
    }
}

/// Which way [`Decimal::round_to_step`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundingMode {
    /// Toward minus infinity (quantities: never more than asked).
    Down,
    /// Toward plus infinity.
    Up,
    /// To the nearest step, half away from the origin.
    Nearest,
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b, _) = Self::common(*self, *other);
        a.cmp(&b)
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    /// Reads `[-|+]digits[.digits]` (at least one digit); no exponent, no
    /// spaces, as Binance writes numbers.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let (neg, body) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let mut mantissa: i128 = 0;
        let mut scale: u32 = 0;
        let mut seen_dot = false;
        let mut digits = 0usize;
        for &b in body {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    mantissa = mantissa
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(i128::from(b - b'0')))
                        .ok_or_else(|| DecimalError::OutOfRange(s.to_string()))?;
                    if seen_dot {
                        scale += 1;
                    }
                    // Keep parsing bounded even for absurdly long inputs.
                    if scale > MAX_SCALE + 20 {
                        return Err(DecimalError::OutOfRange(s.to_string()));
                    }
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => return Err(DecimalError::Syntax(s.to_string())),
            }
        }
        if digits == 0 {
            return Err(DecimalError::Syntax(s.to_string()));
        }
        if neg {
            mantissa = -mantissa;
        }
        Self::new(mantissa, scale).map_err(|_| DecimalError::OutOfRange(s.to_string()))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.mantissa);
        }
        let p = pow10(self.scale);
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let abs = self.mantissa.unsigned_abs();
        let p = p.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / p,
            abs % p,
            width = self.scale as usize
        )
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct DecimalVisitor;

impl de::Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number as a string or a JSON number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Decimal::from_int(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Decimal::new(i128::from(v), 0).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Decimal::from_f64(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

macro_rules! precision_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Decimal);

        impl $name {
            /// The exact decimal value.
            #[must_use]
            pub const fn value(self) -> Decimal {
                self.0
            }

            /// The nearest `f64`, for statistics and logs.
            #[must_use]
            pub fn to_f64(self) -> f64 {
                self.0.to_f64()
            }

            /// True for zero.
            #[must_use]
            pub const fn is_zero(self) -> bool {
                self.0.is_zero()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = DecimalError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl From<Decimal> for $name {
            fn from(d: Decimal) -> Self {
                Self(d)
            }
        }
    };
}

precision_newtype!(
    /// A price in exchange precision, as sent to or received from the venue.
    Price
);
precision_newtype!(
    /// A base-asset quantity in exchange precision, as sent to or received
    /// from the venue (position amounts, which carry a sign, use [`Decimal`]).
    Quantity
);

/// Reads a float the way Binance writes it: a decimal string (or, leniently,
/// a JSON number). Rejects `NaN`, `inf` and anything not `[-+]digits[.digits]`
/// with an optional exponent, so the parser never yields a non-finite value.
///
/// # Errors
/// A deserialisation error naming the bad text.
pub(crate) fn parse_f64_text(v: &str) -> Result<f64, String> {
    let ok_chars = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && v.bytes().any(|b| b.is_ascii_digit());
    if !ok_chars {
        return Err(format!("not a decimal number: {v:?}"));
    }
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(format!("not a finite decimal number: {v:?}")),
    }
}

struct F64Visitor;

impl de::Visitor<'_> for F64Visitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number as a string or a JSON number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_f64_text(v).map_err(E::custom)
    }

    #[allow(clippy::cast_precision_loss, reason = "JSON integers read as floats")]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    #[allow(clippy::cast_precision_loss, reason = "JSON integers read as floats")]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(E::custom("not a finite number"))
        }
    }
}

/// Serde adapter: `"0.001"` → `0.001_f64` (`#[serde(deserialize_with = "f64_str")]`).
pub(crate) fn f64_str<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(F64Visitor)
}

/// Serde adapter for optional decimal strings where Binance writes an empty
/// string or `null` for "absent" (`"callbackRate": ""`).
pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = Option<Decimal>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal string, an empty string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.is_empty() {
                Ok(None)
            } else {
                v.parse().map(Some).map_err(E::custom)
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            DecimalVisitor.visit_i64(v).map(Some)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            DecimalVisitor.visit_u64(v).map(Some)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            DecimalVisitor.visit_f64(v).map(Some)
        }
    }
    d.deserialize_any(V)
}

/// Serde adapter for integers Binance sometimes writes as strings
/// (`openInterestHist.timestamp`, PROTOCOL.md §11 item 6): accepts both.
pub(crate) fn i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or an integer string")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(E::custom)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            v.parse().map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// Serde adapter for booleans Binance sometimes writes as strings
/// (`isAutoAddMargin: "false"` in positionRisk v2, PROTOCOL.md §6.5).
pub(crate) fn bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean or \"true\"/\"false\"")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(E::custom(format!("not a boolean: {v:?}"))),
            }
        }
    }
    d.deserialize_any(V)
}

/// A float read from a Binance decimal string, for places where a field
/// adapter cannot be attached (elements of the REST kline array).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub(crate) struct StrF64(pub f64);

impl<'de> Deserialize<'de> for StrF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64_str(d).map(Self)
    }
}

/// Serde adapter for an optional float string (absent, `null` or `""` → `None`).
pub(crate) fn opt_f64_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    opt_decimal(d).map(|o| o.map(Decimal::to_f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(d("0.0010"), d("0.001"));
        assert_eq!(d("0.0010").scale(), 3);
        assert_eq!(d("-1.000").to_string(), "-1");
        assert_eq!(d("7403.90").to_string(), "7403.9");
        assert_eq!(d("0").to_string(), "0");
        assert_eq!(d("-0.05").to_string(), "-0.05");
        assert!("".parse::<Decimal>().is_err());
        assert!(".".parse::<Decimal>().is_err());
        assert!("1e5".parse::<Decimal>().is_err());
        assert!("NaN".parse::<Decimal>().is_err());
        assert!("1.2.3".parse::<Decimal>().is_err());
        assert!("0.0000000000000000001".parse::<Decimal>().is_err());
        assert!("100000000000000000000".parse::<Decimal>().is_err());
    }

    #[test]
    fn orders_across_scales() {
        assert!(d("0.1") > d("0.09"));
        assert!(d("-1") < d("0.0001"));
        assert_eq!(d("2.50").cmp(&d("2.5")), Ordering::Equal);
    }

    #[test]
    fn rounds_to_step_from_origin() {
        let tick = d("0.5");
        let min = d("0.1");
        // Grid: 0.1, 0.6, 1.1, ...
        assert_eq!(
            d("1.0")
                .round_to_step(min, tick, RoundingMode::Down)
                .unwrap(),
            d("0.6")
        );
        assert_eq!(
            d("1.0").round_to_step(min, tick, RoundingMode::Up).unwrap(),
            d("1.1")
        );
        assert_eq!(
            d("0.85")
                .round_to_step(min, tick, RoundingMode::Nearest)
                .unwrap(),
            d("1.1")
        );
        assert!(d("1.6").is_step_aligned(min, tick));
        assert!(!d("1.5").is_step_aligned(min, tick));
        assert!(d("1.55").is_step_aligned(min, Decimal::ZERO));
    }

    #[test]
    fn multiplies_exactly() {
        assert_eq!(d("1.5").checked_mul(d("2.25")).unwrap(), d("3.375"));
        assert!(d("99999999999").checked_mul(d("99999999999")).is_err());
    }

    #[test]
    fn float_texts() {
        assert_eq!(parse_f64_text("0.001"), Ok(0.001));
        assert!(parse_f64_text("NaN").is_err());
        assert!(parse_f64_text("inf").is_err());
        assert!(parse_f64_text("1e999").is_err());
        assert!(parse_f64_text("").is_err());
        assert_eq!(Decimal::from_f64(0.1).unwrap(), d("0.1"));
        assert_eq!(Decimal::from_f64(1e-7).unwrap(), d("0.0000001"));
    }
}

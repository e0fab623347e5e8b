//! Numbers as text: the shortest text that reads back to the same `f64`,
//! used wherever the project writes numbers for people or other programs
//! (indicator tables, kline files).

use std::fmt::Write as _;

/// A fixed buffer for one `{:e}` rendering; the longest `f64` in that form
/// (`-2.2250738585072014e-308`) takes 24 bytes.
struct ExpBuf {
    bytes: [u8; 32],
    len: usize,
}

impl std::fmt::Write for ExpBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends `v` to `out` as the shortest text that reads back to the same
/// `f64`: the shorter of Rust's `{}` and `{:e}` renderings (both round-trip),
/// the plain one on a tie; nothing for NaN (an empty CSV cell).
///
/// `1.0` is `1`, `-1.0` is `-1`, `0.001` is `1e-3`, `123.25` stays `123.25`.
pub fn push_value(out: &mut String, v: f64) {
    if v.is_nan() {
        return;
    }
    let start = out.len();
    // Writing to a String cannot fail.
    let _ = write!(out, "{v}");
    let mut exp = ExpBuf {
        bytes: [0; 32],
        len: 0,
    };
    if write!(exp, "{v:e}").is_ok() && exp.len < out.len() - start {
        out.truncate(start);
        // The buffer holds only what `{:e}` wrote: ASCII.
        out.push_str(std::str::from_utf8(&exp.bytes[..exp.len]).unwrap_or_default());
    }
}

/// `v` as [`push_value`] writes it.
#[must_use]
pub fn format_value(v: f64) -> String {
    let mut s = String::new();
    push_value(&mut s, v);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_of_plain_and_exponent() {
        let cases = [
            (1.0, "1"),
            (-1.0, "-1"),
            (0.0, "0"),
            (-0.0, "-0"),
            (123.25, "123.25"),
            (0.001, "1e-3"),
            (0.0123, "0.0123"),
            (100_000.0, "1e5"),
            (120.0, "120"),
            (1e-9, "1e-9"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5e300"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (-f64::MAX, "-1.7976931348623157e308"),
            (f64::NAN, ""),
        ];
        for (v, want) in cases {
            assert_eq!(format_value(v), want, "{v:?}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every finite or infinite value reads back exactly, no longer than
        /// either rendering.
        #[test]
        fn round_trips_shortest(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            let s = format_value(v);
            if v.is_nan() {
                prop_assert!(s.is_empty());
            } else {
                let back: f64 = s.parse().unwrap();
                prop_assert_eq!(back.to_bits(), v.to_bits());
                let (plain, exp) = (format!("{v}"), format!("{v:e}"));
                prop_assert!(s.len() <= plain.len() && s.len() <= exp.len());
            }
        }
    }
}

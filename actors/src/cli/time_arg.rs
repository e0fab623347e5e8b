//! A time on the command line: milliseconds since the epoch, or a UTC date
//! `YYYY-MM-DD` meaning its midnight (`--from`, `--to`, `--start`, `--end`).

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` (UTC midnight) or epoch milliseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!(
            "{s:?} is neither YYYY-MM-DD nor epoch milliseconds"
        ));
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>()) else {
        return Err(format!("{s:?} is not a date YYYY-MM-DD"));
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(format!("{s:?} is not a valid date"));
    }
    Ok(days_from_civil(y, m, d) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantumtrade::events::summary::utc_ms;

    #[test]
    fn dates_and_milliseconds() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("2021-05-19"), Ok(1_621_382_400_000));
        assert_eq!(parse_time("2024-01-01"), Ok(1_704_067_200_000));
        assert_eq!(parse_time("2024-03-01"), Ok(1_709_251_200_000));
        assert_eq!(
            utc_ms(parse_time("2024-02-29").unwrap()),
            "2024-02-29T00:00:00.000Z"
        );
        assert_eq!(parse_time("1704067200000"), Ok(1_704_067_200_000));
        assert!(parse_time("2024-13-01").is_err());
        assert!(parse_time("yesterday").is_err());
    }
}

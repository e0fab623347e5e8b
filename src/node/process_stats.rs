//! The process's CPU time and resident memory, read from the text of
//! `/proc/self/stat` and `/proc/self/status` (Linux), and CPU use between
//! two readings. Parsing only: the caller reads the files.

/// Clock ticks per second of `/proc` CPU times (`sysconf(_SC_CLK_TCK)`,
/// 100 on every Linux architecture the node runs on).
pub const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU time of the process, in clock ticks, from the text
/// of `/proc/self/stat` (fields 14 and 15, counted after the `comm` field,
/// which may itself hold spaces and parentheses).
#[must_use]
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    // After `comm`: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Resident set size in bytes, from the `VmRSS:` line of
/// `/proc/self/status` (given in kB).
#[must_use]
pub fn rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU use in percent of one core between two readings `ticks` apart
/// over `wall_seconds` (over 100 when several cores are busy).
#[must_use]
pub fn cpu_percent(ticks: u64, wall_seconds: f64) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "tick counts are small")]
    let busy = ticks as f64 / CLOCK_TICKS_PER_SECOND;
    (wall_seconds > 0.0).then(|| busy / wall_seconds * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_text() {
        let stat = "4242 (q trade) (x)) S 1 4242 4242 0 -1 4194560 1510 0 0 0 250 31 0 0 20 0 5 0 1234 123456 789 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(281));
        assert_eq!(cpu_ticks("garbage"), None);
        let status = "Name:\tqtrade\nVmPeak:\t  100 kB\nVmRSS:\t   2048 kB\nThreads:\t5\n";
        assert_eq!(rss_bytes(status), Some(2048 * 1024));
        assert_eq!(rss_bytes("Name: x\n"), None);
        assert_eq!(cpu_percent(50, 1.0), Some(50.0));
        assert_eq!(cpu_percent(50, 0.0), None);
    }

    #[test]
    fn reads_this_process() {
        if let (Ok(stat), Ok(status)) = (
            std::fs::read_to_string("/proc/self/stat"),
            std::fs::read_to_string("/proc/self/status"),
        ) {
            assert!(cpu_ticks(&stat).is_some());
            assert!(rss_bytes(&status).unwrap() > 0);
        }
    }
}

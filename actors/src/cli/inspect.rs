//! `qtrade inspect`: asks a running node for `/actors` and prints one
//! aligned row per actor: name, kind, symbol, mailbox depth/capacity,
//! messages handled, p50/p99 handling time, restarts, last activity, state.

use super::http_client;
use crate::node::telemetry::now_ms;
use anyhow::{Context as _, bail};
use clap::Parser;
use serde::Deserialize;

/// Arguments of `qtrade inspect`.
#[derive(Debug, Parser)]
pub struct Args {
    /// The node's base URL (its `node.listen` address).
    #[arg(long, default_value = "http://127.0.0.1:9898")]
    pub url: String,
}

/// One actor as `/actors` lists it.
#[derive(Debug, Deserialize)]
struct Actor {
    name: String,
    kind: String,
    symbol: Option<String>,
    mailbox_depth: i64,
    mailbox_capacity: usize,
    handled: u64,
    handle_p50_us: u64,
    handle_p99_us: u64,
    restarts: u64,
    last_activity_ms: i64,
    state: String,
}

/// Runs `qtrade inspect`.
///
/// # Errors
/// No node at the URL, or an answer that is not the actor list.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let url = format!("{}/actors", args.url.trim_end_matches('/'));
    let r =
        http_client::get(&url).with_context(|| format!("cannot reach a node at {}", args.url))?;
    if r.status != 200 {
        bail!("{url} answered {}", r.status);
    }
    let actors: Vec<Actor> =
        serde_json::from_slice(&r.body).with_context(|| format!("{url} is not an actor list"))?;
    print!("{}", table(&actors, now_ms()));
    Ok(())
}

/// How long ago `ms` was, at `now` (`-` for never).
fn ago(ms: i64, now: i64) -> String {
    if ms <= 0 {
        return "-".to_owned();
    }
    let d = (now - ms).max(0);
    if d < 1000 {
        format!("{d}ms ago")
    } else if d < 120_000 {
        format!("{:.1}s ago", d as f64 / 1000.0)
    } else {
        format!("{}m ago", d / 60_000)
    }
}

/// The aligned table: text columns left-aligned, numbers right-aligned,
/// the state last and unpadded.
fn table(actors: &[Actor], now: i64) -> String {
    const HEAD: [&str; 10] = [
        "NAME", "KIND", "SYMBOL", "MAILBOX", "HANDLED", "P50_US", "P99_US", "RESTARTS", "LAST",
        "STATE",
    ];
    const RIGHT: [bool; 10] = [
        false, false, false, true, true, true, true, true, true, false,
    ];
    let mut rows: Vec<[String; 10]> = vec![HEAD.map(str::to_owned)];
    for a in actors {
        rows.push([
            a.name.clone(),
            a.kind.clone(),
            a.symbol.clone().unwrap_or_else(|| "-".into()),
            format!("{}/{}", a.mailbox_depth, a.mailbox_capacity),
            a.handled.to_string(),
            a.handle_p50_us.to_string(),
            a.handle_p99_us.to_string(),
            a.restarts.to_string(),
            ago(a.last_activity_ms, now),
            a.state.clone(),
        ]);
    }
    let mut width = [0usize; 10];
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else if RIGHT[i] {
                line.push_str(&format!("{c:>w$}  ", w = width[i]));
            } else {
                line.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_align() {
        let a = |name: &str, symbol: Option<&str>, handled: u64, last: i64| Actor {
            name: name.into(),
            kind: "SymbolActor".into(),
            symbol: symbol.map(Into::into),
            mailbox_depth: 0,
            mailbox_capacity: 1024,
            handled,
            handle_p50_us: 12,
            handle_p99_us: 340,
            restarts: 0,
            last_activity_ms: last,
            state: "ok".into(),
        };
        let t = table(
            &[
                a("symbol:BTCUSDT", Some("BTCUSDT"), 5, 9_500),
                a("x", None, 123_456, 0),
            ],
            10_000,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("NAME            KIND"));
        assert!(lines[1].contains(" BTCUSDT "));
        assert!(lines[1].contains("500ms ago"));
        assert!(lines[2].contains(" - "));
        // Columns line up: HANDLED ends at the same place on every line.
        let end = lines[0].find("HANDLED").unwrap() + "HANDLED".len();
        assert_eq!(&lines[2][end - 6..end], "123456");
        assert_eq!(&lines[1][end - 1..end], "5");
    }
}

//! `qtrade events`: prints the node's event store (`DATA_DIR/events.sled`,
//! tree `events`, or `dead_letters` with `--dead-letters`) one line per
//! record, in sequence order.
//!
//! # Reading a store a node holds
//!
//! sled takes an exclusive lock on its directory and has no read-only
//! mode, so a second process cannot open the store of a running node. The
//! node therefore writes its address to `DATA_DIR/node.url` while it runs
//! and serves the raw records on `GET /store/events?after=SEQ` (and
//! `/store/dead_letters`), in the frame format of
//! [`quantumtrade::events::codec::frames`]. This command asks that node
//! first when `node.url` exists and otherwise opens the store itself, only
//! for the time of one read, so that a node can start meanwhile (a node
//! that finds the lock held retries for a few seconds). With
//! `--follow` it repeats the read every [`POLL`], printing what is new; a
//! store found locked after the first read (a node starting, another
//! reader) is waited for with a note on stderr. When the store is locked
//! and no node answers, the command fails with one line naming both.

use super::http_client;
use crate::node::store::{DEAD_LETTERS_TREE, EVENTS_TREE, NODE_URL_FILE, STORE_DIR};
use anyhow::{Context as _, bail};
use clap::Parser;
use quantumtrade::events::codec::{decode, decode_dead_letter, frames, key};
use quantumtrade::events::summary::utc_ms;
use quantumtrade::events::{Event, EventKind, Payload};
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often `--follow` looks for new records.
pub const POLL: Duration = Duration::from_millis(300);

/// Arguments of `qtrade events`.
#[derive(Debug, Parser)]
pub struct Args {
    /// The node's data directory (`node.data_dir`), holding `events.sled`.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Keep waiting for new records and print them as they come.
    #[arg(long)]
    pub follow: bool,
    /// Only events of this family (market, signal, trade, risk, system,
    /// alert) or of this exact type (e.g. TopFiveSelected, NodeStarted).
    #[arg(long, conflicts_with = "dead_letters")]
    pub kind: Option<String>,
    /// One JSON object per line: `seq`, `ts` (ms), `kind`, `event` (the
    /// type), `id`, `venue_ts`, `cause` and the event's own fields (a field
    /// whose name clashes with one of those is prefixed `<kind>_`).
    #[arg(long)]
    pub json: bool,
    /// List the dead letters (messages a subscriber could not receive)
    /// instead of the events.
    #[arg(long)]
    pub dead_letters: bool,
}

/// Which records to print.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    All,
    Kind(EventKind),
    Variant(String),
}

impl Filter {
    fn parse(text: Option<&str>) -> anyhow::Result<Self> {
        let Some(t) = text else {
            return Ok(Self::All);
        };
        if let Ok(k) = t.parse::<EventKind>() {
            return Ok(Self::Kind(k));
        }
        if let Some(v) = Payload::variants().find(|v| *v == t) {
            return Ok(Self::Variant(v.to_owned()));
        }
        bail!(
            "unknown event kind {t:?}: expected a family (market, signal, trade, risk, system, alert) or a type ({})",
            Payload::variants().collect::<Vec<_>>().join(", ")
        )
    }

    fn keeps(&self, e: &Event) -> bool {
        match self {
            Self::All => true,
            Self::Kind(k) => e.kind() == *k,
            Self::Variant(v) => e.payload.variant() == v,
        }
    }
}

/// Runs `qtrade events`.
///
/// # Errors
/// A data directory without a store, a store that is locked with no node
/// answering, an unknown `--kind`, a corrupt record.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let filter = Filter::parse(args.kind.as_deref())?;
    let dir = &args.data_dir;
    if !dir.is_dir() {
        bail!("data dir {} does not exist", dir.display());
    }
    let store = dir.join(STORE_DIR);
    if !store.is_dir() {
        bail!(
            "no event store in {} (expected {}; is it a node's --data-dir?)",
            dir.display(),
            store.display()
        );
    }
    let tree = if args.dead_letters {
        DEAD_LETTERS_TREE
    } else {
        EVENTS_TREE
    };
    let mut after = None;
    let mut first = true;
    let stdout = io::stdout();
    loop {
        let records = match read(dir, tree, after) {
            Ok(r) => r,
            // Following, a store briefly locked by another reader or by a
            // node starting up is waited for, not fatal.
            Err(e) if args.follow && !first => {
                eprintln!("qtrade: waiting: {}", super::one_line(&e.to_string()));
                std::thread::sleep(POLL);
                continue;
            }
            Err(e) => return Err(e),
        };
        first = false;
        let mut out = stdout.lock();
        for (seq, bytes) in records {
            after = Some(seq);
            let line = if args.dead_letters {
                let l = decode_dead_letter(&bytes).with_context(|| format!("dead letter {seq}"))?;
                if args.json {
                    json!({
                        "seq": seq, "ts": l.ts, "target": l.target,
                        "reason": l.reason.as_str(), "message": l.message,
                    })
                    .to_string()
                } else {
                    format!(
                        "{seq} {} {} {} {}",
                        utc_ms(l.ts),
                        l.target,
                        l.reason,
                        l.message
                    )
                }
            } else {
                let e = decode(&bytes).with_context(|| format!("event {seq}"))?;
                if !filter.keeps(&e) {
                    continue;
                }
                if args.json {
                    json_line(seq, &e).to_string()
                } else {
                    format!("{seq} {} {} {}", utc_ms(e.meta.ts), e.kind(), e.summary())
                }
            };
            if let Err(err) = writeln!(out, "{line}") {
                return closed_pipe(err);
            }
        }
        if let Err(err) = out.flush() {
            return closed_pipe(err);
        }
        drop(out);
        if !args.follow {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}

/// A reader that went away (`| head`) ends the command quietly.
fn closed_pipe(err: io::Error) -> anyhow::Result<()> {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(err).context("cannot write to stdout")
    }
}

/// Store records: sequence number and encoded value.
type Records = Vec<(u64, Vec<u8>)>;

/// The records of `tree` after sequence number `after`: from the running
/// node that `node.url` names, else from the store itself.
fn read(dir: &Path, tree: &str, after: Option<u64>) -> anyhow::Result<Records> {
    let url_file = dir.join(NODE_URL_FILE);
    let node = std::fs::read_to_string(&url_file).ok();
    if let Some(base) = &node
        && let Some(records) = read_from_node(base.trim(), tree, after)?
    {
        return Ok(records);
    }
    let path = dir.join(STORE_DIR);
    let db = match sled::open(&path) {
        Ok(db) => db,
        Err(e) => {
            let why = match &node {
                Some(url) => format!("the node at {} does not answer", url.trim()),
                None => format!("no running node ({} absent)", url_file.display()),
            };
            bail!(
                "cannot open the event store {} ({e}), and {why}; is another process holding it?",
                path.display()
            );
        }
    };
    if !db
        .tree_names()
        .iter()
        .any(|n| n.as_ref() == tree.as_bytes())
    {
        return Ok(Vec::new());
    }
    let t = db
        .open_tree(tree)
        .with_context(|| format!("cannot open tree {tree}"))?;
    let range = match after {
        Some(a) => t.range(key(a.saturating_add(1))..),
        None => t.iter(),
    };
    let mut out = Vec::new();
    for kv in range {
        let (k, v) = kv.with_context(|| format!("cannot read tree {tree}"))?;
        let seq = quantumtrade::events::codec::seq_of(&k)?;
        if after.is_some_and(|a| seq <= a) {
            continue;
        }
        out.push((seq, v.to_vec()));
    }
    Ok(out)
}

/// The records of `tree` after `after` from the node at `base`, page by
/// page until an empty page; `None` when the node does not answer (it may
/// have stopped without removing `node.url`).
fn read_from_node(
    base: &str,
    tree: &str,
    mut after: Option<u64>,
) -> anyhow::Result<Option<Records>> {
    let mut out = Vec::new();
    loop {
        let url = format!(
            "{}/store/{tree}{}",
            base.trim_end_matches('/'),
            after.map_or(String::new(), |a| format!("?after={a}"))
        );
        let body = match http_client::get(&url) {
            Ok(r) if r.status == 200 => r.body,
            _ if out.is_empty() => return Ok(None),
            Ok(r) => bail!("{url} answered {}", r.status),
            Err(e) => return Err(e),
        };
        let page = frames(&body).with_context(|| format!("bad records from {url}"))?;
        let Some(&(last, _)) = page.last() else {
            return Ok(Some(out));
        };
        out.extend(page.into_iter().map(|(s, v)| (s, v.to_vec())));
        after = Some(last);
    }
}

/// The JSON line of event `seq`.
fn json_line(seq: u64, e: &Event) -> Value {
    let kind = e.kind();
    let variant = e.payload.variant();
    let mut obj = Map::new();
    obj.insert("seq".into(), json!(seq));
    obj.insert("ts".into(), json!(e.meta.ts));
    obj.insert("kind".into(), json!(kind.as_str()));
    obj.insert("event".into(), json!(variant));
    obj.insert("id".into(), json!(e.meta.id.to_string()));
    obj.insert("venue_ts".into(), json!(e.meta.venue_ts));
    obj.insert(
        "cause".into(),
        e.meta.cause.map_or(Value::Null, |c| json!(c.to_string())),
    );
    // `{"Family": {"Variant": fields}}` or `{"Family": fields}`.
    let mut fields = serde_json::to_value(&e.payload).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut fields
        && m.len() == 1
    {
        fields = m.values_mut().next().map(Value::take).unwrap_or_default();
    }
    if let Value::Object(m) = &mut fields
        && m.len() == 1
        && m.contains_key(variant)
    {
        fields = m.remove(variant).unwrap_or_default();
    }
    match fields {
        Value::Object(m) => {
            for (k, v) in m {
                let k = if obj.contains_key(&k) {
                    format!("{kind}_{k}")
                } else {
                    k
                };
                obj.insert(k, v);
            }
        }
        Value::Null => {}
        other => {
            obj.insert("value".into(), other);
        }
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantumtrade::events::{Alert, AlertKind, EventIds, Severity, SystemEvent};

    #[test]
    fn kinds_and_types_filter() {
        assert_eq!(
            Filter::parse(Some("system")).unwrap(),
            Filter::Kind(EventKind::System)
        );
        assert_eq!(
            Filter::parse(Some("NodeStarted")).unwrap(),
            Filter::Variant("NodeStarted".into())
        );
        assert!(Filter::parse(Some("nodestarted")).is_err());
        assert_eq!(Filter::parse(None).unwrap(), Filter::All);
    }

    #[test]
    fn json_lines_flatten_the_fields() {
        let mut ids = EventIds::new(9);
        let e = ids.event(
            SystemEvent::NodeStarted {
                version: "1".into(),
                venue: "synthetic".into(),
            },
            100,
            None,
            None,
        );
        let v = json_line(3, &e);
        assert_eq!(v["seq"], 3);
        assert_eq!(v["kind"], "system");
        assert_eq!(v["event"], "NodeStarted");
        assert_eq!(v["venue"], "synthetic");
        assert_eq!(v["id"], "9-0");
        let a = ids.event(
            Alert {
                kind: AlertKind::HighCpu,
                severity: Severity::Warning,
                value: 90.0,
                threshold: 80.0,
                message: "cpu".into(),
            },
            101,
            None,
            Some(e.meta.id),
        );
        let v = json_line(4, &a);
        assert_eq!(v["kind"], "alert");
        assert_eq!(v["alert_kind"], "HighCpu");
        assert_eq!(v["threshold"], 80.0);
        assert_eq!(v["cause"], "9-0");
    }
}

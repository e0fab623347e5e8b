//! End-to-end test of `qtrade inspect` against a running node.

mod support;

use std::collections::BTreeSet;
use support::{Node, qtrade, wait_for};

fn actors(url: &str) -> Vec<serde_json::Value> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::get(format!("{url}/actors"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
}

#[test]
fn one_row_per_actor() {
    // One screen at start, none after: the actor set stays put.
    let node = Node::start("[universe]\nrescreen_minutes = 100000\n", &[]);
    wait_for("symbol actors", || {
        actors(&node.url)
            .iter()
            .any(|a| a["kind"] == "SymbolActor")
            .then_some(())
    });
    let out = qtrade(&["inspect", "--url", &node.url], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = actors(&node.url);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("NAME "), "{text}");
    assert_eq!(lines.len() - 1, listed.len(), "{text}");
    let names: BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let expected: BTreeSet<&str> = listed.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, expected);
    let hub = lines
        .iter()
        .find(|l| l.starts_with("market-data-hub "))
        .unwrap();
    assert!(
        hub.contains("MarketDataHub") && hub.contains("/1024"),
        "{hub}"
    );
    // The KIND column starts at the same offset on every line.
    let col = lines[0].find("KIND").unwrap();
    for l in &lines[1..] {
        assert!(l[..col].ends_with("  "), "{l}");
    }
}

#[test]
fn no_node_is_one_error_line() {
    let out = qtrade(&["inspect", "--url", "http://127.0.0.1:1"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot reach a node at http://127.0.0.1:1"),
        "{err}"
    );
}

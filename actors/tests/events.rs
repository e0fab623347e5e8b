//! End-to-end tests of `qtrade events`: a real node writes its store, the
//! command reads it back while the node runs (through the node) and after
//! it stopped (straight from sled).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use support::{Node, TempDir, json_events, qtrade, wait_for};

#[test]
fn events_of_a_node_read_back_in_order_and_filter() {
    let mut node = Node::start("", &[]);
    let data = node.data_dir();
    // While the node runs (and holds sled's lock) the command reads
    // through it.
    let live = wait_for("a few selections", || {
        let v = json_events(&data, &[]);
        (v.iter().filter(|e| e["event"] == "TopFiveSelected").count() >= 3).then_some(v)
    });
    assert_eq!(live[0]["event"], "NodeStarted");

    // --follow prints what is already there and then what comes.
    let mut follow = Command::new(env!("CARGO_BIN_EXE_qtrade"))
        .args(["events", "--follow", "--kind", "signal", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while seen.len() < live.len() + 3 {
        let line = lines.next().expect("follow ended").unwrap();
        let seq: u64 = line.split(' ').next().unwrap().parse().unwrap();
        assert!(line.contains(" signal TopFiveSelected "), "{line}");
        seen.push(seq);
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let _ = follow.kill();
    let _ = follow.wait();

    assert!(node.stop(), "node exited with an error");
    assert!(!data.join("node.url").exists());

    // After the node stopped the command opens the store itself.
    let all = json_events(&data, &[]);
    assert!(all.len() > live.len());
    let seqs: Vec<u64> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for e in &all {
        assert!(e["ts"].as_i64().unwrap() > 0);
        assert!(e["kind"].is_string() && e["event"].is_string());
    }
    assert_eq!(all.last().unwrap()["event"], "NodeStopping");
    assert_eq!(all.last().unwrap()["reason"], "SIGTERM");
    let top = all
        .iter()
        .find(|e| e["event"] == "TopFiveSelected")
        .unwrap();
    assert!(top["picks"].is_array() && top["market_regime"].is_string());

    let system = json_events(&data, &["--kind", "system"]);
    let names: Vec<&str> = system
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["NodeStarted", "NodeStopping"]);
    let signal = json_events(&data, &["--kind", "TopFiveSelected"]);
    assert_eq!(signal.len(), all.len() - 2);
    assert!(signal.iter().all(|e| e["kind"] == "signal"));

    // Plain form: `seq ts kind summary`, one line per event.
    let out = qtrade(&["events"], Some(&data));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), all.len());
    let first: Vec<&str> = text.lines().next().unwrap().splitn(4, ' ').collect();
    assert_eq!(first[0], "0");
    assert!(first[1].ends_with('Z'));
    assert_eq!(first[2], "system");
    assert!(first[3].starts_with("NodeStarted "));

    // The dead-letter tree is there and empty on a healthy run.
    let out = qtrade(&["events", "--dead-letters", "--json"], Some(&data));
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let empty = TempDir::new("no-store");
    for (args, needle) in [
        (vec!["events"], "no event store in"),
        (vec!["events", "--kind", "bogus"], "unknown event kind"),
    ] {
        let out = qtrade(&args, Some(&empty.0));
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let out = qtrade(&["events"], Some(&empty.0.join("missing")));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_flooded_mailbox_leaves_dead_letters() {
    // One message of room: the hub's warm-up closes overflow the selector.
    let mut node = Node::start("[node]\nmailbox_capacity = 1\n", &[]);
    let data = node.data_dir();
    wait_for("dead letters", || {
        let out = qtrade(&["events", "--dead-letters"], Some(&data));
        (out.status.success() && !out.stdout.is_empty()).then_some(())
    });
    assert!(node.stop());
    let out = qtrade(&["events", "--dead-letters", "--json"], Some(&data));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let letters: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!letters.is_empty());
    let seqs: Vec<u64> = letters.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert!(
        letters.iter().any(|l| l["target"] == "selector"
            && l["reason"] == "mailbox_full"
            && l["message"] == "Closes"),
        "{letters:?}"
    );
    let out = qtrade(&["events", "--dead-letters"], Some(&data));
    let first = String::from_utf8(out.stdout).unwrap();
    let first = first.lines().next().unwrap();
    assert!(
        first.starts_with("0 ") && first.contains(" mailbox_full "),
        "{first}"
    );
}

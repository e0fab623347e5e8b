//! Alerts end to end: the node's own rules fire into the event store and
//! metrics, and config/alerts.yml (the Prometheus rules) is valid and only
//! names metrics the node exports.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use support::{Node, qtrade, wait_for};

fn alerts_yml() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/alerts.yml")
}

/// `GET url` with the CLI-free blocking path: reqwest on a small runtime.
fn get(url: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}

#[test]
fn promtool_accepts_the_rules() {
    let Ok(out) = Command::new("promtool")
        .args(["check", "rules"])
        .arg(alerts_yml())
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is missing: CI must install it (see .ci/run)"
        );
        println!("skipped: promtool is not on PATH (set CI=1 to make this an error)");
        return;
    };
    assert!(
        out.status.success(),
        "promtool check rules failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rules_fire_once_and_name_exported_metrics() {
    // Memory over 0 bytes fires on the first sample; nothing else can.
    let mut node = Node::start(
        "[alerts]\nsample_seconds = 0.2\nmemory_bytes = 0.0\ncpu_percent = 1e9\nlatency_ms = 1e9\n",
        &[],
    );
    // (CPU use needs two samples.)
    let metrics = wait_for("the memory alert and a CPU reading", || {
        let m = get(&format!("{}/metrics", node.url));
        (m.contains("qtrade_alerts_total{rule=\"memory\"} 1")
            && m.contains("\nqtrade_process_cpu_percent "))
        .then_some(m)
    });

    // Every metric config/alerts.yml names is exported.
    let exported: BTreeSet<&str> = metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap())
        .collect();
    let rules = std::fs::read_to_string(alerts_yml()).unwrap();
    let mut named = BTreeSet::new();
    for line in rules
        .lines()
        .filter(|l| l.trim_start().starts_with("expr:"))
    {
        for w in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if w.starts_with("qtrade_") {
                named.insert(w.to_owned());
            }
        }
    }
    assert!(named.len() >= 6, "{named:?}");
    for n in &named {
        assert!(exported.contains(n.as_str()), "{n} is not on /metrics");
    }

    // The exposition passes promtool's lint (help texts, counter names).
    if let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(metrics.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool check metrics:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Samples go on, but the alert fired once.
    let samples = |m: &str| -> u64 {
        let line = m
            .lines()
            .find(|l| l.starts_with("qtrade_actor_messages_handled_total{actor=\"alerts\"}"))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let first = samples(&metrics);
    wait_for("more samples", || {
        (samples(&get(&format!("{}/metrics", node.url))) > first + 2).then_some(())
    });
    assert!(node.stop());
    let out = qtrade(
        &["events", "--json", "--kind", "alert"],
        Some(&node.data_dir()),
    );
    assert!(out.status.success());
    let alerts: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["alert_kind"], "HighMemory");
    assert_eq!(alerts[0]["threshold"], 0.0);
    assert!(alerts[0]["value"].as_f64().unwrap() > 0.0);
}

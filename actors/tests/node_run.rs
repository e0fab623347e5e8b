//! End-to-end tests of `qtrade run`: the real node on the accelerated
//! synthetic market, on a free loopback port, checked only through its own
//! endpoints (`/state`, `/actors`, `/metrics`, `/symbols/{symbol}`).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Longest wait for the node to reach a state the test needs.
const WAIT: Duration = Duration::from_secs(120);

/// The test market: 60 contracts, 10 one-minute candles a second, one
/// screen at start (so the universe holds still while the test reads it).
const CONFIG: &str = r#"
[node]
speed = 600.0
[market]
symbols = 60
warmup_minutes = 150
[universe]
rescreen_minutes = 1000000
[selector]
correlation_window = 120
min_overlap = 30
[supervision]
base_ms = 50
"#;

/// A running `qtrade run`, killed on drop.
struct Node {
    child: Child,
    dir: PathBuf,
    url: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Node {
    fn start(env: &[(&str, &str)]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("qtrade-node-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("node.toml");
        std::fs::write(&config, CONFIG).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtrade"));
        cmd.args(["run", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env_remove("QTRADE_FAULT_ONCE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let stderr = child.stderr.take().unwrap();
        let (etx, erx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[node {n}] {line}");
                let _ = etx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the node did not print its address");
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim()
            .to_owned();
        Self {
            child,
            dir,
            url,
            stderr: erx,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    async fn json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// Polls `path` until `done` holds, for at most [`WAIT`].
    async fn wait_for(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let v = self.json(path).await;
            if done(&v) {
                return v;
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}: {v}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("{k} is not a number in {v}"))
}

/// Parses Prometheus text exposition (format 0.0.4): every sample line is
/// `name{labels} value`, every `# TYPE` names a known type. Returns the
/// samples by metric name (labels kept as text).
fn parse_prometheus(text: &str) -> BTreeMap<String, Vec<(String, f64)>> {
    let mut out: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            let (name, ty) = (parts.next(), parts.next());
            assert!(name.is_some(), "line {}: {line}", i + 1);
            assert!(
                matches!(
                    ty,
                    Some("counter" | "gauge" | "histogram" | "summary" | "untyped")
                ),
                "line {}: bad type in {line}",
                i + 1
            );
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("line {}: no value in {line}", i + 1));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("line {}: bad value in {line}", i + 1)),
        };
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => {
                assert!(
                    l.ends_with('}'),
                    "line {}: unclosed labels in {line}",
                    i + 1
                );
                (n, l.trim_end_matches('}').to_owned())
            }
            None => (series, String::new()),
        };
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "line {}: bad metric name in {line}",
            i + 1
        );
        out.entry(name.to_owned())
            .or_default()
            .push((labels, value));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_screens_scores_and_selects_a_diversified_top_five() {
    let node = Node::start(&[]);
    assert_eq!(node.get("/healthz").await.text().await.unwrap(), "ok");
    let state = node
        .wait_for("/state", "three selections of five", |s| {
            s["selections"].as_u64().unwrap_or(0) >= 3
                && s["top"].as_array().map(Vec::len) == Some(5)
        })
        .await;

    // The screen: the universe is exactly the contracts that pass every
    // filter of the config (built-in defaults: $50M, 0.05%, trading).
    let universe: BTreeSet<String> = state["universe"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let screen = state["screen"].as_array().unwrap();
    assert_eq!(screen.len(), 60, "every contract is screened");
    let mut passing = BTreeSet::new();
    for c in screen {
        let (bid, ask) = (f(c, "bid"), f(c, "ask"));
        let spread = (ask - bid) / ((ask + bid) / 2.0);
        let ok = c["status"] == "Trading"
            && f(c, "quote_volume_24h") > 50_000_000.0
            && spread < 0.0005
            && f(c, "last_price") >= 0.0001;
        if ok {
            passing.insert(c["symbol"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(universe, passing);
    assert!(
        universe.len() >= 10 && universe.len() < 60,
        "a screen that filters: {} of 60",
        universe.len()
    );
    assert!(
        screen.iter().any(|c| c["status"] != "Trading"),
        "the market has non-trading contracts to screen out"
    );

    // The top five: best first, the first is the best score, and every
    // pair's |correlation| is known and below 0.7.
    let top: Vec<&str> = state["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let scores = state["scores"].as_object().unwrap();
    let score = |s: &str| scores[s].as_f64().unwrap();
    assert!(top.iter().all(|s| universe.contains(*s)));
    assert!(
        top.windows(2).all(|w| score(w[0]) >= score(w[1])),
        "{top:?}"
    );
    let best = universe
        .iter()
        .map(|s| score(s))
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(score(top[0]), best);
    let pairs = state["top_correlations"].as_array().unwrap();
    assert_eq!(pairs.len(), 10);
    for p in pairs {
        let rho = p["rho"]
            .as_f64()
            .unwrap_or_else(|| panic!("correlation unknown: {p}"));
        assert!(rho.abs() < 0.7, "{p}");
    }
    assert!(matches!(
        state["regime"].as_str(),
        Some("Trending" | "Ranging" | "Volatile" | "Default")
    ));

    // One SymbolActor per qualified symbol, and every other actor listed
    // with the documented fields.
    let actors = node.json("/actors").await;
    let actors = actors.as_array().unwrap();
    let symbol_actors: BTreeSet<String> = actors
        .iter()
        .filter(|a| a["kind"] == "SymbolActor")
        .map(|a| a["symbol"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(symbol_actors, universe);
    assert_eq!(
        actors.iter().filter(|a| a["kind"] == "SymbolActor").count(),
        universe.len()
    );
    let kinds: BTreeSet<&str> = actors.iter().map(|a| a["kind"].as_str().unwrap()).collect();
    for k in [
        "MarketDataHub",
        "UniverseActor",
        "SymbolActor",
        "IndicatorActor",
        "GpuDispatcher",
        "SelectorActor",
        "EventStore",
    ] {
        assert!(kinds.contains(k), "no {k} on /actors: {kinds:?}");
    }
    for a in actors {
        for key in [
            "name",
            "kind",
            "symbol",
            "mailbox_depth",
            "mailbox_capacity",
            "handled",
            "handle_p50_us",
            "handle_p99_us",
            "restarts",
            "last_activity_ms",
            "state",
        ] {
            assert!(a.get(key).is_some(), "{key} missing in {a}");
        }
        assert_eq!(a["restarts"], 0, "{a}");
    }

    // The batched battery ran and agreed with the streaming one.
    let detail = node
        .wait_for(&format!("/symbols/{}", top[0]), "a checked batch", |d| {
            d["batch_checked"].as_u64().unwrap_or(0) > 0
        })
        .await;
    assert_eq!(detail["batch_mismatched"], 0, "{}", detail["batch"]);
    let last = detail["minutes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["signals"]["rsi_convergence"]["direction"].is_string());
    assert!(last["row"]["rsi_14"].is_number());
    assert_eq!(node.get("/symbols/NOPEUSDT").await.status(), 404);

    // /metrics is Prometheus text with the per-actor and pipeline series.
    let metrics = parse_prometheus(&node.get("/metrics").await.text().await.unwrap());
    for name in [
        "qtrade_actor_mailbox_depth",
        "qtrade_actor_messages_handled_total",
        "qtrade_actor_handle_seconds_bucket",
        "qtrade_actor_restarts_total",
        "qtrade_pipeline_latency_seconds_bucket",
        "qtrade_pipeline_latency_seconds_count",
        "qtrade_battery_check_total",
        "qtrade_dispatcher_batch_jobs_count",
        "qtrade_dispatcher_queue_seconds_bucket",
        "qtrade_universe_size",
    ] {
        assert!(metrics.contains_key(name), "{name} not on /metrics");
    }
    let count = metrics["qtrade_pipeline_latency_seconds_count"][0].1;
    assert!(count >= 3.0, "selections timed: {count}");
    let dead: f64 = metrics
        .get("qtrade_dead_letters_total")
        .map_or(0.0, |v| v.iter().map(|(_, x)| x).sum());
    assert_eq!(dead, 0.0, "no message was undeliverable");
    let universe_size = metrics["qtrade_universe_size"][0].1;
    assert_eq!(universe_size as usize, universe.len());

    // SIGTERM: a clean stop that flushes the store.
    let pid = node.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let mut node = node;
    let exit = node.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let lines: Vec<String> = node.stderr.try_iter().collect();
    assert!(
        lines.iter().any(|l| l.contains("event store flushed")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("(0 messages left)")),
        "mailboxes drained before the flush: {lines:?}"
    );
}

/// The faulted symbol's minutes, by open time; asserts that a minute seen
/// twice (before the fault and again from the rebuilt state) is identical.
fn minutes_by_time(detail: &Value) -> BTreeMap<i64, Value> {
    let mut out: BTreeMap<i64, Value> = BTreeMap::new();
    for m in detail["minutes"].as_array().unwrap() {
        let t = m["open_time"].as_i64().unwrap();
        if let Some(old) = out.get(&t) {
            assert_eq!(
                old, m,
                "minute {t} recomputed differently after the restart"
            );
        }
        out.insert(t, m.clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_symbol_actor_is_restarted_and_recomputes_the_same_values() {
    const FAULT_AT: usize = 5;
    let faulted = Node::start(&[("QTRADE_FAULT_ONCE", "any@5")]);
    let clean = Node::start(&[]);
    let actors = faulted
        .wait_for("/actors", "a restarted symbol actor", |a| {
            a.as_array()
                .unwrap()
                .iter()
                .any(|x| x["restarts"].as_u64() == Some(1))
        })
        .await;
    let restarted: Vec<&Value> = actors
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["restarts"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(
        restarted.len(),
        1,
        "exactly one actor failed: {restarted:?}"
    );
    assert_eq!(restarted[0]["kind"], "SymbolActor");
    assert_eq!(restarted[0]["restarts"], 1);
    let sym = restarted[0]["symbol"].as_str().unwrap().to_owned();
    let path = format!("/symbols/{sym}");

    // Let the restarted actor handle 30 more minutes, then compare every
    // minute both nodes computed.
    let enough = |d: &Value| minutes_by_time(d).len() > FAULT_AT + 30;
    let after = minutes_by_time(
        &faulted
            .wait_for(&path, "30 minutes after the fault", enough)
            .await,
    );
    let cutoff = *after.keys().nth(FAULT_AT + 1).unwrap();
    let last = *after.keys().last().unwrap();
    let reference = minutes_by_time(
        &clean
            .wait_for(&path, "the clean run to reach the same minute", |d| {
                d["minutes"]
                    .as_array()
                    .and_then(|m| m.last())
                    .and_then(|m| m["open_time"].as_i64())
                    .is_some_and(|t| t >= last)
            })
            .await,
    );
    let mut compared_after = 0;
    for (t, m) in &after {
        if let Some(r) = reference.get(t) {
            assert_eq!(m, r, "{sym} at {t}: faulted run differs from the clean run");
            if *t > cutoff {
                compared_after += 1;
            }
        }
    }
    assert!(
        compared_after >= 20,
        "only {compared_after} minutes after the restart to compare"
    );

    let metrics = parse_prometheus(&faulted.get("/metrics").await.text().await.unwrap());
    let restarts: f64 = metrics["qtrade_actor_restarts_total"]
        .iter()
        .filter(|(l, _)| l.contains(&sym))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(restarts, 1.0);
    let node_alive = faulted.json("/state").await;
    assert!(node_alive["selections"].as_u64().unwrap() > 0);
    let lines: Vec<String> = faulted.stderr.try_iter().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("restarting after a failure")),
        "{lines:?}"
    );
}

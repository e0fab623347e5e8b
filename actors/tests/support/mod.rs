//! A running `qtrade run` for end-to-end tests: the real binary on a free
//! loopback port with a small, fast synthetic market and its own data
//! directory, stopped with SIGTERM (so it flushes) or killed on drop.

#![allow(dead_code, reason = "each test file uses a part")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Longest wait for anything a test waits for.
pub const WAIT: Duration = Duration::from_secs(60);

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory named after `name`.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("qtrade-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running node.
pub struct Node {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its data directory (holds the config and `events.sled`).
    pub dir: TempDir,
}

impl Node {
    /// Starts a node with `extra` config TOML appended to a small market,
    /// and `env` set; waits for `listening on`.
    pub fn start(extra: &str, env: &[(&str, &str)]) -> Self {
        Self::start_with(
            &format!("[market]\nsymbols = 30\nwarmup_minutes = 120\n\n{extra}"),
            env,
        )
    }

    /// Starts a node on the whole `config` (its own `[market]`), with `env`
    /// set; waits for `listening on`.
    pub fn start_with(config: &str, env: &[(&str, &str)]) -> Self {
        let dir = TempDir::new("node");
        std::fs::write(dir.0.join("node.toml"), config).unwrap();
        let (child, url) = spawn(&dir.0, env);
        Self {
            child: Some(child),
            url,
            dir,
        }
    }

    /// Starts the node again on the same config and data directory (after
    /// [`Node::stop`] or [`Node::kill9`]).
    pub fn restart(&mut self, env: &[(&str, &str)]) {
        assert!(self.child.is_none(), "the node is still running");
        let (child, url) = spawn(&self.dir.0, env);
        self.child = Some(child);
        self.url = url;
    }

    /// Kills the node with SIGKILL (no flush, no goodbye) and reaps it.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        let _ = child.wait();
    }

    /// The data directory the node writes its store to.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.0.join("data")
    }

    /// Sends SIGTERM and waits for the node to exit; returns whether it
    /// exited successfully.
    pub fn stop(&mut self) -> bool {
        let child = self.child.as_mut().unwrap();
        let st = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let ok = child.wait().unwrap().success();
        self.child = None;
        ok
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Spawns `qtrade run` on `dir/node.toml` and `dir/data`; returns the
/// child and its URL once it prints `listening on`.
fn spawn(dir: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtrade"));
    cmd.args([
        "run",
        "--listen",
        "127.0.0.1:0",
        "--speed",
        "600",
        "--config",
    ])
    .arg(dir.join("node.toml"))
    .arg("--data-dir")
    .arg(dir.join("data"))
    .env_remove("QTRADE_ADMIN_TOKEN")
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

/// Runs one future to completion on a fresh current-thread runtime (the
/// tests' HTTP calls).
pub fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

impl Node {
    /// `GET /state`.
    pub fn state(&self) -> serde_json::Value {
        block(async {
            reqwest::get(format!("{}/state", self.url))
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    /// `GET /metrics`: the Prometheus text.
    pub fn metrics(&self) -> String {
        block(async {
            reqwest::get(format!("{}/metrics", self.url))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    }

    /// `POST path` with the bearer `token` when given: status and JSON body.
    pub fn post(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        block(async {
            let mut r = reqwest::Client::new().post(format!("{}{path}", self.url));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(serde_json::Value::Null))
        })
    }

    /// Every stored event, as `qtrade events --json` prints it.
    pub fn events(&self) -> Vec<serde_json::Value> {
        json_events(&self.data_dir(), &[])
    }
}

/// +1 for a long side, −1 for a short one (`/state` writes `long`, the
/// events `Long`); anything else fails the test.
pub fn side_sign(v: &serde_json::Value) -> f64 {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("long") => 1.0,
        Some("short") => -1.0,
        _ => panic!("not a side: {v}"),
    }
}

/// The positions `/state` shows: symbol → signed quantity.
pub fn positions_from_state(s: &serde_json::Value) -> std::collections::BTreeMap<String, f64> {
    s["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["symbol"].as_str().unwrap().to_owned(),
                side_sign(&p["side"]) * p["qty"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Two position maps with the same symbols and quantities (to 1e-6).
pub fn same_positions(
    a: &std::collections::BTreeMap<String, f64>,
    b: &std::collections::BTreeMap<String, f64>,
) -> bool {
    a.len() == b.len()
        && a.iter().all(|(s, q)| {
            b.get(s)
                .is_some_and(|r| (q - r).abs() <= 1e-6 * q.abs().max(1.0))
        })
}

/// Runs `qtrade ARGS` to completion.
pub fn qtrade(args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtrade"));
    cmd.args(args);
    if let Some(d) = data_dir {
        cmd.arg("--data-dir").arg(d);
    }
    cmd.output().unwrap()
}

/// The JSON lines of `qtrade events --json EXTRA` on the data directory
/// `dir`.
pub fn json_events(dir: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["events", "--json"];
    args.extend_from_slice(extra);
    let out = qtrade(&args, Some(dir));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Calls `probe` until it returns `Some`, failing the test after [`WAIT`].
pub fn wait_for<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    wait_for_within(WAIT, what, probe)
}

/// Calls `probe` until it returns `Some`, failing the test after `limit`.
pub fn wait_for_within<T>(limit: Duration, what: &str, probe: impl FnMut() -> Option<T>) -> T {
    wait_for_within_or(limit, probe).unwrap_or_else(|| panic!("gave up waiting for {what}"))
}

/// Calls `probe` until it returns `Some`, or `None` after `limit` (the
/// caller says what it saw).
pub fn wait_for_within_or<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The sample count of histogram `name` with `venue="VENUE"` in the
/// Prometheus text `metrics` (0 when absent).
pub fn histogram_count(metrics: &str, name: &str, venue: &str) -> u64 {
    let prefix = format!("{name}_count{{venue=\"{venue}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |v| v.trim().parse::<f64>().unwrap() as u64)
}

/// The three order-execution histograms (ack, fill, slippage) each hold a
/// sample for `venue` on the node's `/metrics`.
pub fn execution_measured(node: &Node, venue: &str) -> Option<()> {
    let m = node.metrics();
    [
        "qtrade_order_ack_seconds",
        "qtrade_order_fill_seconds",
        "qtrade_order_slippage_bps",
    ]
    .iter()
    .all(|n| histogram_count(&m, n, venue) > 0)
    .then_some(())
}

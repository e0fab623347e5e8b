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
        let dir = TempDir::new("node");
        let config = dir.0.join("node.toml");
        std::fs::write(
            &config,
            format!("[market]\nsymbols = 30\nwarmup_minutes = 120\n\n{extra}"),
        )
        .unwrap();
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
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < WAIT, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

//! A running `qtrade sim-exchange` for the client tests: the real binary
//! on a free loopback port, killed on drop.

#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A running simulator.
pub struct Sim {
    child: Child,
    config: PathBuf,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

impl Sim {
    /// Starts the binary with a small market running at 600× (ten
    /// one-minute candles per second) plus `extra` config lines.
    pub fn start(extra: &str) -> Self {
        Self::start_with(extra, &[], &[])
    }

    /// As [`Sim::start`], with an account for `key` and `secret`.
    pub fn start_with_account(extra: &str, key: &str, secret: &str) -> Self {
        Self::start_with(extra, &["--api-key", key, "--api-secret", secret], &[])
    }

    /// As [`Sim::start`], with environment variables set.
    pub fn start_with_env(extra: &str, env: &[(&str, &str)]) -> Self {
        Self::start_with(extra, &[], env)
    }

    fn start_with(extra: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let config =
            std::env::temp_dir().join(format!("qtrade-client-sim-{}-{n}.toml", std::process::id()));
        std::fs::write(
            &config,
            format!(
                "symbols = 5\nhistory_minutes = 240\nmax_history_minutes = 1680\nspeed = 600.0\n{extra}"
            ),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_qtrade"))
            .args(["sim-exchange", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("sim-exchange did not start");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(addr.starts_with("127.0.0.1:"), "unexpected banner {line:?}");
        Self {
            child,
            config,
            addr,
        }
    }

    /// REST base.
    pub fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// WebSocket base.
    pub fn ws(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

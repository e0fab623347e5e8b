//! A running `qtrade sim-exchange` for the client tests: the real binary
//! on a free loopback port, killed on drop.

#![allow(dead_code, reason = "each test binary uses a part of it")]

use futures_util::StreamExt as _;
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
    /// The first lines the binary printed (the address line first).
    pub banner: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// A small market at 600× (ten one-minute candles per second).
pub const SMALL_MARKET: &str =
    "symbols = 5\nhistory_minutes = 240\nmax_history_minutes = 1680\nspeed = 600.0\n";

impl Sim {
    /// Starts the binary on [`SMALL_MARKET`] plus `extra` config lines.
    pub fn start(extra: &str) -> Self {
        Self::launch(&format!("{SMALL_MARKET}{extra}"), &[], &[], 1)
    }

    /// As [`Sim::start`], with an account for `key` and `secret`.
    pub fn start_with_account(extra: &str, key: &str, secret: &str) -> Self {
        Self::launch(
            &format!("{SMALL_MARKET}{extra}"),
            &["--api-key", key, "--api-secret", secret],
            &[],
            1,
        )
    }

    /// As [`Sim::start`], with environment variables set.
    pub fn start_with_env(extra: &str, env: &[(&str, &str)]) -> Self {
        Self::launch(&format!("{SMALL_MARKET}{extra}"), &[], env, 1)
    }

    /// Starts the binary on port 0 with the whole `config`, extra `args`
    /// and `env`, and keeps the first `banner_lines` lines it prints (the
    /// first one holds the bound address).
    pub fn launch(config: &str, args: &[&str], env: &[(&str, &str)], banner_lines: usize) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("qtrade-sim-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_qtrade"))
            .args(["sim-exchange", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
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
            let banner: Vec<String> = lines
                .by_ref()
                .take(banner_lines.max(1))
                .map_while(Result::ok)
                .collect();
            let _ = tx.send(banner);
            // Keep draining so the server never writes into a closed pipe.
            for _ in lines {}
        });
        let banner = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("sim-exchange did not start");
        let first = banner.first().cloned().unwrap_or_default();
        let addr = first
            .trim()
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            addr.starts_with("127.0.0.1:"),
            "unexpected banner {first:?}"
        );
        Self {
            child,
            config: path,
            addr,
            banner: banner.join("\n"),
        }
    }

    /// `http://ADDR` + `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// A plain GET.
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        reqwest::get(self.url(path_and_query)).await.unwrap()
    }

    /// A GET that must answer 200 with `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path_and_query: &str) -> T {
        let resp = self.get(path_and_query).await;
        assert_eq!(resp.status(), 200, "{path_and_query}");
        let text = resp.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path_and_query}: {e}: {text}"))
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

/// A client WebSocket to the simulator.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame on `ws` (other frames skipped); panics when none
/// comes within `wait` or the stream ends.
pub async fn next_text(ws: &mut Ws, wait: Duration) -> String {
    loop {
        let msg = tokio::time::timeout(wait, ws.next())
            .await
            .expect("no frame in time")
            .expect("stream ended")
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return t.as_str().to_string();
        }
    }
}

//! `qtrade run` with `[market] venue = "binance"` against the real
//! `qtrade sim-exchange --data tests/data/klines` on loopback (accelerated
//! replay): the node loads the replayed contracts, screens them, warms its
//! history from REST klines, follows the closed klines of the stream, and
//! stops cleanly on SIGTERM. Checked only through the node's endpoints.

mod sim_support;

use serde_json::Value;
use sim_support::Sim;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The simulator's admin token (fault injection).
const TOKEN: &str = "test-admin-token";

/// Longest wait for the node to reach a state the test needs.
const WAIT: Duration = Duration::from_secs(120);

/// 360 recorded minutes: 150 of history, the rest replayed at 240x (a
/// minute closes every 0.25 s, about 50 s of live market).
const SIM_CONFIG: &str = "replay_speed = 240.0\nreplay_warmup_minutes = 150\n";

fn node_config(sim: &Sim) -> String {
    format!(
        r#"
[node]
speed = 240.0
[market]
venue = "binance"
rest_url = "{}"
ws_url = "{}"
warmup_minutes = 150
screen_refresh_ms = 1000
[universe]
rescreen_minutes = 5
[selector]
correlation_window = 120
min_overlap = 30
"#,
        sim.http(),
        sim.ws()
    )
}

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
    fn start(config: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("qtrade-node-venue-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_qtrade"))
            .args(["run", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env_remove("QTRADE_FAULT_ONCE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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
        let stderr = child.stderr.take().unwrap();
        let (etx, erx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[node] {line}");
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

    async fn json(&self, path: &str) -> Value {
        let r = reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
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
            assert!(start.elapsed() < WAIT, "no {what} in {WAIT:?}: {v}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The latest minute any symbol actor has seen.
fn last_open_time(symbols: &Value) -> i64 {
    symbols
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["open_time"].as_i64())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_follows_a_replayed_binance_venue() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/klines");
    let sim = Sim::launch(
        SIM_CONFIG,
        &["--data", dir.to_str().unwrap()],
        &[("QTRADE_SIM_ADMIN_TOKEN", TOKEN)],
        1,
    );
    // The node's start-up requests (exchangeInfo, two tickers, four kline
    // histories) each wait 400 ms: about 11 replayed minutes close during
    // the warm-up, which the node must catch up before following live.
    let slow = reqwest::Client::new()
        .post(format!(
            "{}/admin/faults?kind=slow&count=7&delay_ms=400",
            sim.http()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(slow.status().is_success(), "{}", slow.status());
    let node = Node::start(&node_config(&sim));

    let state = node
        .wait_for("/state", "universe and selections", |s| {
            s["universe"].as_array().is_some_and(|u| !u.is_empty())
                && s["selections"].as_u64().unwrap_or(0) >= 2
        })
        .await;
    let universe: Vec<&str> = state["universe"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Only the replayed contracts exist on this venue.
    for s in &universe {
        assert!(
            ["ADAUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT"].contains(s),
            "{universe:?}"
        );
    }
    let first = last_open_time(
        &node
            .wait_for("/symbols", "a symbol's minute", |v| last_open_time(v) > 0)
            .await,
    );
    // The recorded window: 2021-05-13 21:00 to 2021-05-14 03:00 UTC.
    assert!(
        (1_620_939_600_000..1_620_961_200_000).contains(&first),
        "{first}"
    );
    let later = node
        .wait_for("/symbols", "a later candle", |v| last_open_time(v) > first)
        .await;
    assert_eq!((last_open_time(&later) - first) % 60_000, 0);
    // The signals' inputs of a live minute come from the venue: the book
    // tickers the simulator serves (its replayed book), the premium
    // index's funding rate and the candles' taker flow; a replay has no
    // open interest.
    let detail = node
        .wait_for(&format!("/symbols/{}", universe[0]), "venue inputs", |d| {
            d["minutes"]
                .as_array()
                .and_then(|m| m.last())
                .is_some_and(|m| m["inputs"]["spread"].is_number())
        })
        .await;
    let inputs = &detail["minutes"].as_array().unwrap().last().unwrap()["inputs"];
    let num = |k: &str| inputs[k].as_f64().unwrap_or(f64::NAN);
    assert!(num("spread") > 0.0 && num("max_spread") > 0.0, "{inputs}");
    assert!(num("bid_size") > 0.0 && num("ask_size") > 0.0, "{inputs}");
    assert_eq!(num("funding_rate"), 0.0001, "{inputs}");
    assert!((0.0..=1.0).contains(&num("taker_buy_ratio")), "{inputs}");
    assert!(
        (-1.0..=1.0).contains(&num("trade_flow_imbalance")),
        "{inputs}"
    );
    assert!(inputs["oi_change"].is_null(), "{inputs}");
    // No minute lost between the REST warm-up and the live stream: the hub
    // delivered every minute from its first to its last once.
    let actors = node.json("/actors").await;
    let hub = actors
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "market-data-hub")
        .expect("the hub in /actors");
    let state = hub["state"].as_str().unwrap();
    let number = |after: &str, until: char| -> i64 {
        let rest = &state[state.find(after).unwrap_or_else(|| panic!("{state}")) + after.len()..];
        rest[..rest.find(until).unwrap_or(rest.len())]
            .parse()
            .unwrap()
    };
    let (minutes, last, first_open) = (
        number("minute ", ' '),
        number("opened ", ','),
        number("first ", ')'),
    );
    assert!(minutes > 150, "{state}");
    assert_eq!((last - first_open) / 60_000 + 1, minutes, "{state}");

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
        lines.iter().any(|l| l.contains("binance venue")),
        "{lines:?}"
    );
}

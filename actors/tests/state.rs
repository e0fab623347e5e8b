//! End-to-end tests of the state snapshots: `GET /state/snapshots` and the
//! bearer-token protected `POST /state/rollback/{id}` on a real node.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::Node;

/// Snapshot every market minute (0.1 s at speed 600), keep three.
const FAST: &str = "[universe]\nrescreen_minutes = 1\n\n[state]\nhistory = 3\n";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn snapshots(c: &reqwest::Client, node: &Node) -> Value {
    c.get(format!("{}/state/snapshots", node.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn rollback(
    c: &reqwest::Client,
    node: &Node,
    id: u64,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = c.post(format!("{}/state/rollback/{id}", node.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

#[test]
fn snapshots_are_bounded_and_rollback_needs_the_token() {
    let node = Node::start(FAST, &[("QTRADE_ADMIN_TOKEN", "s3cret")]);
    let c = reqwest::Client::new();
    rt().block_on(async {
        // Wait until the history has wrapped (more snapshots taken than kept).
        let start = std::time::Instant::now();
        let list = loop {
            assert!(start.elapsed() < support::WAIT, "history never wrapped");
            let v = snapshots(&c, &node).await;
            let s = v["snapshots"].as_array().unwrap().clone();
            assert!(s.len() <= 3, "{v}");
            assert_eq!(v["history"], 3);
            if s.first().is_some_and(|f| f["id"].as_u64().unwrap() >= 2) {
                break s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let ids: Vec<u64> = list.iter().map(|s| s["id"].as_u64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        let target = &list[0];
        let id = ids[0];

        assert_eq!(
            rollback(&c, &node, id, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            rollback(&c, &node, id, Some("wrong")).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (st, body) = rollback(&c, &node, 0, Some("s3cret")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("unknown snapshot 0")
        );

        let (st, body) = rollback(&c, &node, id, Some("s3cret")).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(
            body["market"]["universe"].as_array().unwrap().len() as u64,
            target["universe"].as_u64().unwrap()
        );
        assert_eq!(body["market"]["top"], target["top"]);
        assert_eq!(body["market"]["regime"], target["regime"]);
        assert!(body["system"]["actors"]["SymbolActor"].as_u64().unwrap() > 0);
        // The config is there, without the secret.
        assert_eq!(body["config"]["state"]["history"], 3);
        assert!(body["config"]["node"].get("admin_token").is_none());
    });
}

#[test]
fn config_token_works_and_no_token_disables_rollback() {
    let c = reqwest::Client::new();
    let node = Node::start(
        &format!("{FAST}\n[node]\nadmin_token = \"from-config\"\n"),
        &[],
    );
    rt().block_on(async {
        let id = wait_for_snapshot(&c, &node).await;
        assert_eq!(
            rollback(&c, &node, id, Some("from-config")).await.0,
            StatusCode::OK
        );
    });
    drop(node);
    let node = Node::start(FAST, &[]);
    rt().block_on(async {
        let id = wait_for_snapshot(&c, &node).await;
        let (st, body) = rollback(&c, &node, id, Some("anything")).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert!(body["error"].as_str().unwrap().contains("disabled"));
    });
}

async fn wait_for_snapshot(c: &reqwest::Client, node: &Node) -> u64 {
    let start = std::time::Instant::now();
    loop {
        let v = snapshots(c, node).await;
        if let Some(id) = v["snapshots"].as_array().unwrap().last() {
            return id["id"].as_u64().unwrap();
        }
        assert!(start.elapsed() < support::WAIT, "no snapshot");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

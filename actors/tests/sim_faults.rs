//! Fault injection in `qtrade sim-exchange`, on command through the
//! token-protected `/admin/faults` endpoint and on a schedule from config:
//! 429 and 418 answers with Binance's bodies and `Retry-After`, order
//! rejects, slow answers and dropped WebSocket connections.

mod sim_support;

use futures_util::StreamExt;
use sim_support::Sim;
use std::time::Duration;

const TOKEN: &str = "test-admin-token";

async fn admin(
    sim: &Sim,
    method: reqwest::Method,
    query: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut r =
        reqwest::Client::new().request(method, format!("{}/admin/faults{query}", sim.http()));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

async fn time(sim: &Sim) -> reqwest::Response {
    reqwest::get(format!("{}/fapi/v1/time", sim.http()))
        .await
        .unwrap()
}

#[tokio::test]
async fn faults_on_command_need_the_token_and_behave_like_binance() {
    let sim = Sim::start_with_env("", &[("QTRADE_SIM_ADMIN_TOKEN", TOKEN)]);
    assert_eq!(
        admin(&sim, reqwest::Method::POST, "?kind=ban", None)
            .await
            .status(),
        401
    );
    assert_eq!(
        admin(&sim, reqwest::Method::POST, "?kind=ban", Some("wrong"))
            .await
            .status(),
        401
    );
    assert_eq!(
        admin(&sim, reqwest::Method::POST, "?kind=nope", Some(TOKEN))
            .await
            .status(),
        400
    );

    assert!(
        admin(
            &sim,
            reqwest::Method::POST,
            "?kind=rate_limit&count=2",
            Some(TOKEN)
        )
        .await
        .status()
        .is_success()
    );
    for _ in 0..2 {
        let r = time(&sim).await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().get("retry-after").is_some());
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], -1003);
    }
    assert_eq!(
        time(&sim).await.status(),
        200,
        "the fault ended after 2 requests"
    );

    assert!(
        admin(
            &sim,
            reqwest::Method::POST,
            "?kind=ban&duration_ms=60000",
            Some(TOKEN)
        )
        .await
        .status()
        .is_success()
    );
    let r = time(&sim).await;
    assert_eq!(r.status(), 418);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["msg"].as_str().unwrap().contains("banned until"));
    let listed: serde_json::Value = admin(&sim, reqwest::Method::GET, "", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        admin(&sim, reqwest::Method::DELETE, "", Some(TOKEN))
            .await
            .status()
            .is_success()
    );
    assert_eq!(time(&sim).await.status(), 200, "cleared");

    assert!(
        admin(
            &sim,
            reqwest::Method::POST,
            "?kind=slow&delay_ms=200",
            Some(TOKEN)
        )
        .await
        .status()
        .is_success()
    );
    assert_eq!(time(&sim).await.status(), 200, "slow, but answered");
    let listed: serde_json::Value = admin(&sim, reqwest::Method::GET, "", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed.as_array().unwrap().is_empty(),
        "one slow request consumed it"
    );
}

#[tokio::test]
async fn without_a_token_the_admin_endpoint_is_off() {
    let sim = Sim::start("");
    assert_eq!(
        admin(&sim, reqwest::Method::POST, "?kind=ban", Some(TOKEN))
            .await
            .status(),
        403
    );
    assert_eq!(time(&sim).await.status(), 200);
}

#[tokio::test]
async fn a_drop_closes_every_stream_and_a_schedule_repeats_faults() {
    let sim = Sim::start_with_env("", &[("QTRADE_SIM_ADMIN_TOKEN", TOKEN)]);
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}/market/ws/syn000usdt@kline_1m", sim.ws()))
            .await
            .unwrap();
    assert!(ws.next().await.is_some(), "the stream is live");
    assert!(
        admin(
            &sim,
            reqwest::Method::POST,
            "?kind=drop_streams",
            Some(TOKEN)
        )
        .await
        .status()
        .is_success()
    );
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => break,
                Some(Ok(m)) if m.is_close() => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the connection was closed");

    let scheduled = Sim::start("[[faults]]\nevery_ms = 200\nkind = \"rate_limit\"\ncount = 1000\n");
    let mut limited = false;
    for _ in 0..50 {
        if time(&scheduled).await.status() == 429 {
            limited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(limited, "the scheduled fault came");
}

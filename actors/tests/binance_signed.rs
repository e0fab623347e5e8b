//! Signed REST calls against a small venue that checks them as Binance
//! does (PROTOCOL.md §5): API key header, HMAC over the raw query, and the
//! timestamp rule. Its clock runs 10 s ahead of ours, so the first signed
//! request is refused with -1021; the client must measure the offset and
//! retry once. (main's `qtrade sim-exchange` has no signed endpoints yet.)

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quantumtrade::exchange::binance::ErrorCode;
use quantumtrade::exchange::binance::sign::{
    API_KEY_HEADER, ApiSecret, DEFAULT_RECV_WINDOW_MS, timestamp_accepted, verify,
};
use quantumtrade_actors::venue::binance::{Credentials, RestClient};
use quantumtrade_actors::venue::wall_ms;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
const AHEAD_MS: i64 = 10_000;

#[derive(Default)]
struct Seen {
    time: AtomicU32,
    signed: AtomicU32,
    refused_timestamp: AtomicU32,
}

fn error(code: i64, msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        format!(r#"{{"code":{code},"msg":"{msg}"}}"#),
    )
        .into_response()
}

async fn venue(State(seen): State<Arc<Seen>>, req: Request) -> Response {
    let now = wall_ms() + AHEAD_MS;
    match req.uri().path() {
        "/fapi/v1/time" => {
            seen.time.fetch_add(1, Ordering::Relaxed);
            format!(r#"{{"serverTime":{now}}}"#).into_response()
        }
        "/fapi/v3/positionRisk" => {
            seen.signed.fetch_add(1, Ordering::Relaxed);
            if req
                .headers()
                .get(API_KEY_HEADER)
                .and_then(|v| v.to_str().ok())
                != Some(KEY)
            {
                return error(-2015, "Invalid API-key, IP, or permissions for action.");
            }
            let query = req.uri().query().unwrap_or("");
            let Some((signed, sig)) = query.rsplit_once("&signature=") else {
                return error(-1102, "Mandatory parameter 'signature' was not sent.");
            };
            if !verify(&ApiSecret::new(SECRET), signed, "", sig) {
                return error(-1022, "Signature for this request is not valid.");
            }
            let field = |name: &str| {
                signed
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                    .and_then(|v| v.parse::<i64>().ok())
            };
            let ts = field("timestamp").unwrap_or(0);
            let window = field("recvWindow").map_or(DEFAULT_RECV_WINDOW_MS, |w| w as u64);
            if !timestamp_accepted(ts, now, window) {
                seen.refused_timestamp.fetch_add(1, Ordering::Relaxed);
                return error(
                    -1021,
                    "Timestamp for this request is outside of the recvWindow.",
                );
            }
            "[]".into_response()
        }
        _ => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

async fn start() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new().fallback(venue).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn a_clock_behind_the_venue_is_resynced_after_minus_1021() {
    let (base, seen) = start().await;
    let rest = RestClient::new(&base, Some(Credentials::new(KEY, SECRET).unwrap())).unwrap();
    let positions = rest.position_risk().await.unwrap();
    assert!(positions.is_empty());
    assert_eq!(seen.refused_timestamp.load(Ordering::Relaxed), 1);
    assert_eq!(seen.time.load(Ordering::Relaxed), 1);
    assert_eq!(seen.signed.load(Ordering::Relaxed), 2);
    let offset = rest.time_offset_ms();
    assert!(
        (AHEAD_MS - 1_000..=AHEAD_MS + 1_000).contains(&offset),
        "{offset}"
    );
    // Now in sync: no more refusals.
    rest.position_risk().await.unwrap();
    assert_eq!(seen.refused_timestamp.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_wrong_secret_gets_a_typed_invalid_signature() {
    let (base, _) = start().await;
    let wrong = Credentials::new(KEY, &SECRET.replace('2', "3")).unwrap();
    let rest = RestClient::new(&base, Some(wrong)).unwrap();
    rest.sync_time().await.unwrap();
    let e = rest.position_risk().await.unwrap_err();
    assert_eq!(
        e.api_error().map(|a| a.code),
        Some(ErrorCode::InvalidSignature),
        "{e}"
    );
    assert!(!e.to_string().contains(SECRET));
}

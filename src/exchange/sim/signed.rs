//! The account's REST endpoints (PROTOCOL.md §6, §7.1): routes, weights,
//! and the checks of SIGNED and USER_STREAM requests (§3, §5).
//!
//! Checks, in order, for each request:
//! 1. `X-MBX-APIKEY` missing → `-2014` "API-key format invalid."; not the
//!    account's key → `-2015` (both HTTP 401). USER_STREAM endpoints stop
//!    here.
//! 2. `timestamp` missing → `-1102`; not a number → `-1100`;
//!    `signature` missing → `-1102`.
//! 3. `recvWindow` above 60000 → `-1130` (the spot cap, §5 step 4).
//! 4. `timestamp ≥ serverTime + 1000` → `-1021` "…ahead of the server's
//!    time."; older than `recvWindow` (default 5000) → `-1021` "…outside of
//!    the recvWindow."
//! 5. The signature, hex, case-insensitive, over the raw query string then
//!    the raw body, each without its `signature=` pair (§5, §12) → `-1022`.
//!
//! The timestamp is checked against the wall clock: the simulated market
//! may run faster than real time, the client's clock does not.

use super::rest::{Params, RestError, illegal_number, mandatory, not_valid};
use crate::exchange::binance::sign::{ApiSecret, timestamp_accepted, verify};

/// Largest `recvWindow` accepted (step 3).
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;

/// An account endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountEndpoint {
    /// `POST /fapi/v1/order`.
    NewOrder,
    /// `GET /fapi/v1/order`.
    QueryOrder,
    /// `DELETE /fapi/v1/order`.
    CancelOrder,
    /// `GET /fapi/v1/openOrder` (one open order).
    OpenOrder,
    /// `GET /fapi/v1/openOrders`.
    OpenOrders,
    /// `GET /fapi/v1/allOrders`.
    AllOrders,
    /// `DELETE /fapi/v1/allOpenOrders`.
    CancelAllOpenOrders,
    /// `POST /fapi/v1/algoOrder`.
    NewAlgoOrder,
    /// `GET /fapi/v1/algoOrder`.
    QueryAlgoOrder,
    /// `DELETE /fapi/v1/algoOrder`.
    CancelAlgoOrder,
    /// `GET /fapi/v1/openAlgoOrders`.
    OpenAlgoOrders,
    /// `GET /fapi/v1/allAlgoOrders`.
    AllAlgoOrders,
    /// `DELETE /fapi/v1/algoOpenOrders`.
    CancelAllAlgoOrders,
    /// `GET /fapi/v1/userTrades`.
    UserTrades,
    /// `GET /fapi/v1/income`.
    Income,
    /// `GET /fapi/v2/positionRisk`.
    PositionRiskV2,
    /// `GET /fapi/v3/positionRisk`.
    PositionRiskV3,
    /// `GET /fapi/v2/account`.
    AccountV2,
    /// `GET /fapi/v3/account`.
    AccountV3,
    /// `GET /fapi/v2/balance`.
    BalanceV2,
    /// `GET /fapi/v3/balance`.
    BalanceV3,
    /// `POST /fapi/v1/leverage`.
    Leverage,
    /// `POST /fapi/v1/marginType`.
    MarginType,
    /// `GET /fapi/v1/positionSide/dual`.
    PositionMode,
    /// `POST /fapi/v1/positionSide/dual`.
    SetPositionMode,
    /// `POST /fapi/v1/listenKey`.
    ListenKeyStart,
    /// `PUT /fapi/v1/listenKey`.
    ListenKeyKeepalive,
    /// `DELETE /fapi/v1/listenKey`.
    ListenKeyClose,
}

impl AccountEndpoint {
    /// The endpoint for a method and path.
    #[must_use]
    pub fn route(method: &str, path: &str) -> Option<Self> {
        Some(match (method, path) {
            ("POST", "/fapi/v1/order") => Self::NewOrder,
            ("GET", "/fapi/v1/order") => Self::QueryOrder,
            ("DELETE", "/fapi/v1/order") => Self::CancelOrder,
            ("GET", "/fapi/v1/openOrder") => Self::OpenOrder,
            ("GET", "/fapi/v1/openOrders") => Self::OpenOrders,
            ("GET", "/fapi/v1/allOrders") => Self::AllOrders,
            ("DELETE", "/fapi/v1/allOpenOrders") => Self::CancelAllOpenOrders,
            ("POST", "/fapi/v1/algoOrder") => Self::NewAlgoOrder,
            ("GET", "/fapi/v1/algoOrder") => Self::QueryAlgoOrder,
            ("DELETE", "/fapi/v1/algoOrder") => Self::CancelAlgoOrder,
            ("GET", "/fapi/v1/openAlgoOrders") => Self::OpenAlgoOrders,
            ("GET", "/fapi/v1/allAlgoOrders") => Self::AllAlgoOrders,
            ("DELETE", "/fapi/v1/algoOpenOrders") => Self::CancelAllAlgoOrders,
            ("GET", "/fapi/v1/userTrades") => Self::UserTrades,
            ("GET", "/fapi/v1/income") => Self::Income,
            ("GET", "/fapi/v2/positionRisk") => Self::PositionRiskV2,
            ("GET", "/fapi/v3/positionRisk") => Self::PositionRiskV3,
            ("GET", "/fapi/v2/account") => Self::AccountV2,
            ("GET", "/fapi/v3/account") => Self::AccountV3,
            ("GET", "/fapi/v2/balance") => Self::BalanceV2,
            ("GET", "/fapi/v3/balance") => Self::BalanceV3,
            ("POST", "/fapi/v1/leverage") => Self::Leverage,
            ("POST", "/fapi/v1/marginType") => Self::MarginType,
            ("GET", "/fapi/v1/positionSide/dual") => Self::PositionMode,
            ("POST", "/fapi/v1/positionSide/dual") => Self::SetPositionMode,
            ("POST", "/fapi/v1/listenKey") => Self::ListenKeyStart,
            ("PUT", "/fapi/v1/listenKey") => Self::ListenKeyKeepalive,
            ("DELETE", "/fapi/v1/listenKey") => Self::ListenKeyClose,
            _ => return None,
        })
    }

    /// IP weight (§6.1; `userTrades` 5 and `income` 30 from the docs' pages).
    #[must_use]
    pub fn weight(self, params: &Params) -> u32 {
        let with_symbol = params.get("symbol").is_some_and(|s| !s.is_empty());
        match self {
            Self::NewOrder | Self::NewAlgoOrder => 0,
            Self::OpenOrders | Self::OpenAlgoOrders => {
                if with_symbol {
                    1
                } else {
                    40
                }
            }
            Self::AllOrders
            | Self::AllAlgoOrders
            | Self::UserTrades
            | Self::PositionRiskV2
            | Self::PositionRiskV3
            | Self::AccountV2
            | Self::AccountV3
            | Self::BalanceV2
            | Self::BalanceV3 => 5,
            Self::Income | Self::PositionMode => 30,
            Self::QueryOrder
            | Self::OpenOrder
            | Self::SetPositionMode
            | Self::CancelOrder
            | Self::CancelAllOpenOrders
            | Self::QueryAlgoOrder
            | Self::CancelAlgoOrder
            | Self::CancelAllAlgoOrders
            | Self::Leverage
            | Self::MarginType
            | Self::ListenKeyStart
            | Self::ListenKeyKeepalive
            | Self::ListenKeyClose => 1,
        }
    }

    /// USER_STREAM endpoints need the API key but no signature (§7.1).
    #[must_use]
    pub const fn is_user_stream(self) -> bool {
        matches!(
            self,
            Self::ListenKeyStart | Self::ListenKeyKeepalive | Self::ListenKeyClose
        )
    }

    /// Endpoints that reach the matching engine: they count against the
    /// order limits (`POST /fapi/v1/order` only) and wait the configured
    /// latency.
    #[must_use]
    pub const fn is_trading(self) -> bool {
        matches!(
            self,
            Self::NewOrder
                | Self::CancelOrder
                | Self::CancelAllOpenOrders
                | Self::NewAlgoOrder
                | Self::CancelAlgoOrder
                | Self::CancelAllAlgoOrders
        )
    }
}

/// The account's API key and secret.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    secret: ApiSecret,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

impl Credentials {
    /// Key and secret of the simulated account.
    #[must_use]
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            secret: ApiSecret::new(secret),
        }
    }
}

/// The raw parts of a request the checks need.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// `X-MBX-APIKEY` header.
    pub api_key: Option<&'a str>,
    /// Raw query string (without `?`).
    pub query: &'a str,
    /// Raw `application/x-www-form-urlencoded` body.
    pub body: &'a str,
}

fn unauthorized(code: i64, msg: &str) -> RestError {
    RestError {
        status: 401,
        code,
        msg: msg.to_string(),
    }
}

/// `raw` without its `signature=` pair(s), as it was signed.
fn strip_signature(raw: &str) -> String {
    raw.split('&')
        .filter(|p| !p.starts_with("signature="))
        .collect::<Vec<_>>()
        .join("&")
}

/// Step 1.
///
/// # Errors
/// `-2014` / `-2015`.
pub fn check_api_key(creds: Option<&Credentials>, header: Option<&str>) -> Result<(), RestError> {
    let Some(key) = header.filter(|k| !k.is_empty()) else {
        return Err(unauthorized(-2014, "API-key format invalid."));
    };
    match creds {
        Some(c) if c.api_key == key => Ok(()),
        _ => Err(unauthorized(
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        )),
    }
}

/// Steps 1–5 for a SIGNED request; `params` are the decoded query and body
/// (the query wins, §3); `server_ms` is the wall-clock time.
///
/// # Errors
/// The Binance error of the first failed step.
pub fn check_signed(
    creds: Option<&Credentials>,
    raw: RawRequest<'_>,
    params: &Params,
    server_ms: i64,
) -> Result<(), RestError> {
    check_api_key(creds, raw.api_key)?;
    let Some(creds) = creds else {
        return Err(unauthorized(
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    };
    let ts = match params.get("timestamp").map(String::as_str) {
        None | Some("") => return Err(mandatory("timestamp")),
        Some(t) => t.parse::<i64>().map_err(|_| illegal_number("timestamp"))?,
    };
    let signature = match params.get("signature").map(String::as_str) {
        None | Some("") => return Err(mandatory("signature")),
        Some(s) => s,
    };
    let window = match params.get("recvWindow").map(String::as_str) {
        None | Some("") => 5_000,
        Some(w) => w.parse::<u64>().map_err(|_| illegal_number("recvWindow"))?,
    };
    if window > MAX_RECV_WINDOW_MS {
        return Err(not_valid("recvWindow"));
    }
    if !timestamp_accepted(ts, server_ms, window) {
        let msg = if ts >= server_ms.saturating_add(1000) {
            "Timestamp for this request was 1000ms ahead of the server's time."
        } else {
            "Timestamp for this request is outside of the recvWindow."
        };
        return Err(RestError::bad_request(-1021, msg));
    }
    let query = strip_signature(raw.query);
    let body = strip_signature(raw.body);
    if !verify(&creds.secret, &query, &body, signature) {
        return Err(RestError::bad_request(
            -1022,
            "Signature for this request is not valid.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::binance::sign::sign;
    use crate::exchange::sim::rest::decode_query;

    const KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
    const SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
    const TOTAL: &str = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    const NOW: i64 = 1_591_702_613_943;

    fn check(query: &str, body: &str, key: Option<&str>, now: i64) -> Result<(), i64> {
        let creds = Credentials::new(KEY, SECRET);
        let mut params = decode_query(body);
        params.extend(decode_query(query));
        check_signed(
            Some(&creds),
            RawRequest {
                api_key: key,
                query,
                body,
            },
            &params,
            now,
        )
        .map_err(|e| e.code)
    }

    #[test]
    fn protocol_vector_is_accepted_in_query_or_body() {
        let q = format!(
            "{TOTAL}&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
        );
        assert_eq!(check(&q, "", Some(KEY), NOW), Ok(()));
        assert_eq!(check("", &q, Some(KEY), NOW + 10), Ok(()));
        // Upper-case hex is the same signature.
        let upper = format!(
            "{TOTAL}&signature={}",
            "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9".to_uppercase()
        );
        assert_eq!(check(&upper, "", Some(KEY), NOW), Ok(()));
    }

    #[test]
    fn mixed_query_and_body() {
        let query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
        let body = "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943";
        let s = sign(&ApiSecret::new(SECRET), &format!("{query}{body}"));
        assert_eq!(
            s,
            "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4"
        );
        let body = format!("{body}&signature={s}");
        assert_eq!(check(query, &body, Some(KEY), NOW), Ok(()));
    }

    #[test]
    fn each_failure_has_its_code() {
        let s = sign(&ApiSecret::new(SECRET), TOTAL);
        let good = format!("{TOTAL}&signature={s}");
        assert_eq!(check(&good, "", None, NOW), Err(-2014));
        assert_eq!(check(&good, "", Some("other"), NOW), Err(-2015));
        let tampered = good.replace("quantity=1", "quantity=2");
        assert_eq!(check(&tampered, "", Some(KEY), NOW), Err(-1022));
        assert_eq!(check(&good, "", Some(KEY), NOW + 5_001), Err(-1021));
        assert_eq!(check(&good, "", Some(KEY), NOW - 1_000), Err(-1021));
        assert_eq!(check(TOTAL, "", Some(KEY), NOW), Err(-1102));
        let no_ts = "symbol=X&signature=00";
        assert_eq!(check(no_ts, "", Some(KEY), NOW), Err(-1102));
        let big = "recvWindow=60001&timestamp=1591702613943&signature=00";
        assert_eq!(check(big, "", Some(KEY), NOW), Err(-1130));
    }

    #[test]
    fn weights_and_routes() {
        let e = AccountEndpoint::route("GET", "/fapi/v1/openOrders").unwrap();
        assert_eq!(e.weight(&Params::new()), 40);
        assert_eq!(e.weight(&decode_query("symbol=A")), 1);
        assert_eq!(
            AccountEndpoint::route("POST", "/fapi/v1/order")
                .unwrap()
                .weight(&Params::new()),
            0
        );
        assert!(
            AccountEndpoint::route("PUT", "/fapi/v1/listenKey").is_some_and(|e| e.is_user_stream())
        );
        assert!(AccountEndpoint::route("PATCH", "/fapi/v1/order").is_none());
    }
}

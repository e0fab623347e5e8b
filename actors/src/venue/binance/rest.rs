//! The Binance USDⓈ-M REST client: typed market-data calls, thin signed
//! calls, and the venue's rules enforced on every request.
//!
//! Steps of every request ([`RestClient::send`]):
//! 1. Reserve its weight (and order count) in the shared
//!    [`RateLimiter`], waiting while a window is full or the venue told
//!    us to stop (PROTOCOL.md §8.2).
//! 2. Signed requests get `recvWindow`, `timestamp` (local time plus the
//!    measured server offset) and `signature` last (§5).
//! 3. Usage headers of the answer resynchronise the limiter; a 429 stops
//!    every request until `Retry-After` and is retried after it (a few
//!    times), a 418 stops everything until the ban ends and is returned.
//! 4. An error body becomes a typed [`RestFailure`] (§3, §8.1); a `-1021`
//!    on a signed request resynchronises the server time and is retried
//!    once.
//!
//! Metrics: `qtrade_rest_requests_total{path}`,
//! `qtrade_rest_rate_limited_total{status}` (429, 418),
//! `qtrade_rest_limiter_waits_total`. Keys and secrets never reach them.

use super::credentials::Credentials;
use crate::venue::{install_crypto_provider, wall_ms};
use quantumtrade::exchange::binance::error::{ApiError, ErrorCode, RestFailure};
use quantumtrade::exchange::binance::rate_limit::Permit;
use quantumtrade::exchange::binance::rate_limit::{
    Cost, RateLimiter, Throttle, UsageHeader, depth_weight, klines_weight,
};
use quantumtrade::exchange::binance::request::{
    Endpoint, HttpMethod, NewOrder, OrderRef, Security, order_ref_params,
};
use quantumtrade::exchange::binance::rest::{
    AccountV3, Balance, BookTickerSnapshot, DepthSnapshot, ExchangeInfo, ListenKeyResponse,
    OpenInterest, OrderResponse, PositionRiskV3, PremiumIndex, RestKline, ServerTime,
    Ticker24hStats, UserTrade,
};
use quantumtrade::exchange::binance::sign::{
    API_KEY_HEADER, DEFAULT_RECV_WINDOW_MS, encode_params, signed_query,
};
use quantumtrade::exchange::binance::stream_name::KlineInterval;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How many 429s one call waits out before giving up.
const MAX_RATE_LIMITED_RETRIES: u32 = 3;
/// Per-request timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a REST call failed.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The venue answered with an error status (typed Binance error when
    /// the body holds one).
    #[error("{path}: {failure}")]
    Venue {
        /// The endpoint path.
        path: &'static str,
        /// What the venue said.
        failure: RestFailure,
    },
    /// No answer: connection, TLS or timeout.
    #[error("{path}: transport: {source}")]
    Transport {
        /// The endpoint path.
        path: &'static str,
        /// The HTTP client's error.
        source: reqwest::Error,
    },
    /// A 2xx answer that is not the expected JSON.
    #[error("{path}: cannot decode the answer: {reason}")]
    Decode {
        /// The endpoint path.
        path: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
    /// The request costs more than a whole rate-limit window.
    #[error("{path}: {throttle}")]
    TooCostly {
        /// The endpoint path.
        path: &'static str,
        /// The limiter's answer.
        throttle: Throttle,
    },
    /// A signed endpoint was called without credentials.
    #[error("{path}: signed endpoint needs API credentials")]
    NoCredentials {
        /// The endpoint path.
        path: &'static str,
    },
}

impl RestError {
    /// The Binance error body, when the venue sent one.
    #[must_use]
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Venue {
                failure: RestFailure::Api { error, .. },
                ..
            } => Some(error),
            _ => None,
        }
    }
}

/// Counters of what the client did, for tests and metrics.
#[derive(Debug, Default)]
pub struct RestStats {
    /// Requests sent.
    pub sent: AtomicU64,
    /// 429 answers received.
    pub rate_limited: AtomicU64,
    /// 418 answers received.
    pub banned: AtomicU64,
    /// Times a request waited in the limiter.
    pub waits: AtomicU64,
}

/// The REST client. Cheap to clone: clones share the HTTP pool, the rate
/// limiter, the server-time offset and the counters.
#[derive(Clone)]
pub struct RestClient {
    http: reqwest::Client,
    base: Arc<str>,
    limiter: Arc<Mutex<RateLimiter>>,
    offset_ms: Arc<AtomicI64>,
    credentials: Option<Arc<Credentials>>,
    stats: Arc<RestStats>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// A client of the REST API at `base` (e.g. `https://fapi.binance.com`,
    /// or `http://127.0.0.1:<port>` for the simulator) with the documented
    /// default limits until [`Self::exchange_info`] loads the real ones.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (TLS setup).
    pub fn new(base: &str, credentials: Option<Credentials>) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').into(),
            limiter: Arc::new(Mutex::new(RateLimiter::default())),
            offset_ms: Arc::new(AtomicI64::new(0)),
            credentials: credentials.map(Arc::new),
            stats: Arc::new(RestStats::default()),
        })
    }

    /// Replaces the limiter (e.g. limits known in advance).
    #[must_use]
    pub fn with_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Arc::new(Mutex::new(limiter));
        self
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &RestStats {
        &self.stats
    }

    /// The REST base URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Estimated venue time now: local time plus the measured offset.
    #[must_use]
    pub fn venue_now_ms(&self) -> i64 {
        wall_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// The measured offset venue − local, ms.
    #[must_use]
    pub fn time_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        // The limiter's methods do not panic; a poisoned lock still holds
        // consistent counts.
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Step 1: waits until the limiter grants `cost`.
    async fn acquire(&self, path: &'static str, cost: Cost) -> Result<Permit, RestError> {
        loop {
            let now = self.venue_now_ms();
            let result = self.limiter().try_acquire(now, cost);
            match result {
                Ok(p) => return Ok(p),
                Err(throttle @ Throttle::TooCostly { .. }) => {
                    return Err(RestError::TooCostly { path, throttle });
                }
                Err(t) => {
                    self.stats.waits.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("qtrade_rest_limiter_waits_total").increment(1);
                    let until = t.retry_at().unwrap_or(now + 1000);
                    let ms = u64::try_from(until - now).unwrap_or(0).max(1);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
            }
        }
    }

    /// Sends one request through steps 1–4 and returns the 2xx body.
    ///
    /// # Errors
    /// [`RestError`] for a venue error, a transport failure, an impossible
    /// cost or missing credentials.
    pub async fn send(
        &self,
        endpoint: Endpoint,
        params: &[(&str, &str)],
        cost: Cost,
    ) -> Result<Vec<u8>, RestError> {
        let path = endpoint.path;
        let signed = matches!(endpoint.security, Security::Signed);
        let needs_key = !matches!(endpoint.security, Security::None);
        if needs_key && self.credentials.is_none() {
            return Err(RestError::NoCredentials { path });
        }
        let mut rate_limited = 0;
        let mut resynced = false;
        loop {
            let permit = self.acquire(path, cost).await?;
            let query = match (&self.credentials, signed) {
                (Some(c), true) => signed_query(
                    c.secret(),
                    params,
                    Some(DEFAULT_RECV_WINDOW_MS),
                    self.venue_now_ms(),
                ),
                _ => encode_params(params),
            };
            let url = if query.is_empty() {
                format!("{}{path}", self.base)
            } else {
                format!("{}{path}?{query}", self.base)
            };
            let method = match endpoint.method {
                HttpMethod::Get => reqwest::Method::GET,
                HttpMethod::Post => reqwest::Method::POST,
                HttpMethod::Put => reqwest::Method::PUT,
                HttpMethod::Delete => reqwest::Method::DELETE,
            };
            let mut req = self.http.request(method, url);
            if let (Some(c), true) = (&self.credentials, needs_key) {
                req = req.header(API_KEY_HEADER, c.key().header_value());
            }
            self.stats.sent.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("qtrade_rest_requests_total", "path" => path).increment(1);
            let resp = match req.send().await {
                Ok(r) => r,
                Err(source) => {
                    self.limiter().complete(permit, self.venue_now_ms(), &[]);
                    return Err(RestError::Transport { path, source });
                }
            };
            let status = resp.status().as_u16();
            let usage: Vec<UsageHeader> = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| UsageHeader::parse(k.as_str(), v.to_str().ok()?))
                .collect();
            let retry_after_s = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let now = self.venue_now_ms();
            {
                let mut limiter = self.limiter();
                limiter.complete(permit, now, &usage);
                match status {
                    429 => limiter.on_too_many_requests(now, retry_after_s),
                    418 => limiter.on_banned(now, retry_after_s),
                    _ => {}
                }
            }
            let body = resp
                .bytes()
                .await
                .map_err(|source| RestError::Transport { path, source })?;
            if (200..300).contains(&status) {
                return Ok(body.to_vec());
            }
            let failure = RestFailure::from_response(status, &body, retry_after_s);
            match &failure {
                RestFailure::RateLimited { .. } => {
                    self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("qtrade_rest_rate_limited_total", "status" => "429")
                        .increment(1);
                    rate_limited += 1;
                    if rate_limited <= MAX_RATE_LIMITED_RETRIES {
                        // The limiter holds every request until Retry-After.
                        continue;
                    }
                }
                RestFailure::IpBanned { .. } => {
                    self.stats.banned.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("qtrade_rest_rate_limited_total", "status" => "418")
                        .increment(1);
                }
                RestFailure::Api { error, .. }
                    if signed && !resynced && error.code == ErrorCode::InvalidTimestamp =>
                {
                    resynced = true;
                    // Boxed: sync_time sends through this function too.
                    Box::pin(self.sync_time()).await?;
                    continue;
                }
                _ => {}
            }
            return Err(RestError::Venue { path, failure });
        }
    }

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        params: &[(&str, &str)],
        cost: Cost,
    ) -> Result<T, RestError> {
        let body = self.send(endpoint, params, cost).await?;
        serde_json::from_slice(&body).map_err(|e| RestError::Decode {
            path: endpoint.path,
            reason: e.to_string(),
        })
    }

    /// `GET /fapi/v1/ping` (weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn ping(&self) -> Result<(), RestError> {
        const PING: Endpoint = Endpoint {
            method: HttpMethod::Get,
            path: "/fapi/v1/ping",
            security: Security::None,
        };
        self.send(PING, &[], Cost::weight(1)).await.map(|_| ())
    }

    /// `GET /fapi/v1/time` (weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn server_time(&self) -> Result<ServerTime, RestError> {
        self.get(Endpoint::TIME, &[], Cost::weight(1)).await
    }

    /// Measures the venue − local offset from `/fapi/v1/time`, taking the
    /// venue's time as of the middle of the round trip; returns it.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn sync_time(&self) -> Result<i64, RestError> {
        let before = wall_ms();
        let t = self.server_time().await?;
        let after = wall_ms();
        let offset = t.server_time - (before + after) / 2;
        self.offset_ms.store(offset, Ordering::Relaxed);
        Ok(offset)
    }

    /// `GET /fapi/v1/exchangeInfo` (weight 1); its rate limits replace the
    /// limiter's.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn exchange_info(&self) -> Result<ExchangeInfo, RestError> {
        let info: ExchangeInfo = self
            .get(Endpoint::EXCHANGE_INFO, &[], Cost::weight(1))
            .await?;
        self.limiter().set_limits(&info.rate_limits);
        Ok(info)
    }

    /// `GET /fapi/v1/klines`: closed and forming bars of `symbol` with open
    /// time in `[start, end]`, at most `limit` (1..=1500; weight by limit).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn klines(
        &self,
        symbol: &str,
        interval: KlineInterval,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RestKline>, RestError> {
        let limit_s = limit.to_string();
        let start_s = start_ms.map(|v| v.to_string());
        let end_s = end_ms.map(|v| v.to_string());
        let mut p = vec![
            ("symbol", symbol),
            ("interval", interval.as_str()),
            ("limit", limit_s.as_str()),
        ];
        if let Some(s) = &start_s {
            p.push(("startTime", s));
        }
        if let Some(e) = &end_s {
            p.push(("endTime", e));
        }
        self.get(Endpoint::KLINES, &p, Cost::weight(klines_weight(limit)))
            .await
    }

    /// `GET /fapi/v1/ticker/24hr` for one symbol (weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn ticker_24h(&self, symbol: &str) -> Result<Ticker24hStats, RestError> {
        self.get(
            Endpoint::TICKER_24HR,
            &[("symbol", symbol)],
            Cost::weight(1),
        )
        .await
    }

    /// `GET /fapi/v1/ticker/24hr` for every symbol (weight 40).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn tickers_24h(&self) -> Result<Vec<Ticker24hStats>, RestError> {
        self.get(Endpoint::TICKER_24HR, &[], Cost::weight(40)).await
    }

    /// `GET /fapi/v1/ticker/bookTicker` for one symbol (weight 2).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn book_ticker(&self, symbol: &str) -> Result<BookTickerSnapshot, RestError> {
        self.get(
            Endpoint::BOOK_TICKER,
            &[("symbol", symbol)],
            Cost::weight(2),
        )
        .await
    }

    /// `GET /fapi/v1/ticker/bookTicker` for every symbol (weight 5).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn book_tickers(&self) -> Result<Vec<BookTickerSnapshot>, RestError> {
        self.get(Endpoint::BOOK_TICKER, &[], Cost::weight(5)).await
    }

    /// `GET /fapi/v1/depth` (`limit` ∈ 5, 10, 20, 50, 100, 500, 1000;
    /// weight by limit).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn depth(&self, symbol: &str, limit: u32) -> Result<DepthSnapshot, RestError> {
        let l = limit.to_string();
        self.get(
            Endpoint::DEPTH,
            &[("symbol", symbol), ("limit", &l)],
            Cost::weight(depth_weight(limit)),
        )
        .await
    }

    /// `GET /fapi/v1/premiumIndex` for one symbol (weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn premium_index(&self, symbol: &str) -> Result<PremiumIndex, RestError> {
        self.get(
            Endpoint::PREMIUM_INDEX,
            &[("symbol", symbol)],
            Cost::weight(1),
        )
        .await
    }

    /// `GET /fapi/v1/openInterest` for one symbol (weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn open_interest(&self, symbol: &str) -> Result<OpenInterest, RestError> {
        self.get(
            Endpoint::OPEN_INTEREST,
            &[("symbol", symbol)],
            Cost::weight(1),
        )
        .await
    }

    /// `GET /fapi/v1/premiumIndex` for every symbol (weight 10).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn premium_indexes(&self) -> Result<Vec<PremiumIndex>, RestError> {
        self.get(Endpoint::PREMIUM_INDEX, &[], Cost::weight(10))
            .await
    }

    /// `GET /fapi/v3/account` (signed, weight 5).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn account(&self) -> Result<AccountV3, RestError> {
        self.get(Endpoint::ACCOUNT_V3, &[], Cost::weight(5)).await
    }

    /// `GET /fapi/v3/positionRisk` (signed, weight 5).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn position_risk(&self) -> Result<Vec<PositionRiskV3>, RestError> {
        self.get(Endpoint::POSITION_RISK_V3, &[], Cost::weight(5))
            .await
    }

    /// `POST /fapi/v1/order` (signed; IP weight 0, one order on the order
    /// counters, §6.1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn new_order(&self, order: &NewOrder) -> Result<OrderResponse, RestError> {
        let params = order.params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.get(
            Endpoint::NEW_ORDER,
            &pairs,
            Cost {
                weight: 0,
                orders: 1,
            },
        )
        .await
    }

    /// `DELETE /fapi/v1/order` (signed, weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn cancel_order(
        &self,
        symbol: &str,
        order: &OrderRef,
    ) -> Result<OrderResponse, RestError> {
        let params = order_ref_params(symbol, order);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.get(Endpoint::CANCEL_ORDER, &pairs, Cost::weight(1))
            .await
    }

    /// `GET /fapi/v1/openOrders` for every symbol (signed, weight 40).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn open_orders(&self) -> Result<Vec<OrderResponse>, RestError> {
        self.get(Endpoint::OPEN_ORDERS, &[], Cost::weight(40)).await
    }

    /// `GET /fapi/v1/userTrades` of `symbol`, from `start_ms` when given
    /// (signed, weight 5; at most 1000 rows).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn user_trades(
        &self,
        symbol: &str,
        start_ms: Option<i64>,
    ) -> Result<Vec<UserTrade>, RestError> {
        let start = start_ms.map(|t| t.to_string());
        let mut params = vec![("symbol", symbol), ("limit", "1000")];
        if let Some(s) = &start {
            params.push(("startTime", s));
        }
        self.get(Endpoint::USER_TRADES, &params, Cost::weight(5))
            .await
    }

    /// `GET /fapi/v3/balance` (signed, weight 5).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn balances(&self) -> Result<Vec<Balance>, RestError> {
        self.get(Endpoint::BALANCE_V3, &[], Cost::weight(5)).await
    }

    /// `POST /fapi/v1/listenKey` (API key, weight 1): a new key, or the
    /// active one extended (PROTOCOL.md §7.1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn listen_key_start(&self) -> Result<String, RestError> {
        let r: ListenKeyResponse = self
            .get(Endpoint::LISTEN_KEY_START, &[], Cost::weight(1))
            .await?;
        Ok(r.listen_key)
    }

    /// `PUT /fapi/v1/listenKey` (API key, weight 1): extends the active key
    /// by 60 minutes; `-1125` when it no longer exists.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn listen_key_keepalive(&self) -> Result<String, RestError> {
        let r: ListenKeyResponse = self
            .get(Endpoint::LISTEN_KEY_KEEPALIVE, &[], Cost::weight(1))
            .await?;
        Ok(r.listen_key)
    }

    /// `DELETE /fapi/v1/listenKey` (API key, weight 1).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn listen_key_close(&self) -> Result<(), RestError> {
        self.send(Endpoint::LISTEN_KEY_CLOSE, &[], Cost::weight(1))
            .await
            .map(drop)
    }
}

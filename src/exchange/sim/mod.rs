//! The pure core of the simulated Binance USDⓈ-M exchange served by
//! `qtrade sim-exchange`: everything but the sockets.
//!
//! [`SimExchange`] owns the market, the simulated clock and the weight
//! counter. The server shell hands it each REST request (method, path, raw
//! query, wall time) and gets back the status, body and headers to send;
//! on a timer it calls [`SimExchange::advance`] and fans the returned
//! stream events out to the WebSocket connections, each filtered by its
//! [`StreamSession`].
//!
//! Modules:
//! - [`config`]: the `--config` settings and their validation.
//! - [`market`]: the synthetic market, one-minute history, trade and book ids.
//! - [`rest`]: routing, parameter checks and Binance-shaped answers.
//! - [`stream`]: stream payloads and one connection's subscriptions.
//! - [`weight`]: IP request-weight accounting.
//!
//! This slice serves public market data only: signed endpoints, the user
//! data stream, CSV replay and fault injection come later.

pub mod config;
pub mod market;
pub mod rest;
pub mod stream;
pub mod weight;

pub use config::{InvalidSimConfig, SimConfig};
pub use market::SimMarket;
pub use rest::{Endpoint, RestError};
pub use stream::{StreamEvent, StreamSession};
pub use weight::WeightLimiter;

/// The simulated clock: simulated time runs `speed` times faster than the
/// wall clock from a common origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimClock {
    wall_origin_ms: i64,
    sim_origin_ms: i64,
    speed: f64,
}

impl SimClock {
    /// A clock reading `sim_origin_ms` at wall time `wall_origin_ms`.
    #[must_use]
    pub const fn new(wall_origin_ms: i64, sim_origin_ms: i64, speed: f64) -> Self {
        Self {
            wall_origin_ms,
            sim_origin_ms,
            speed,
        }
    }

    /// Simulated time at wall time `wall_ms`.
    #[must_use]
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "elapsed wall milliseconds times the speed stay far below 2^53"
    )]
    pub fn now(&self, wall_ms: i64) -> i64 {
        self.sim_origin_ms + ((wall_ms - self.wall_origin_ms) as f64 * self.speed) as i64
    }
}

/// What to send back for one REST request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestReply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// `X-MBX-USED-WEIGHT-1M` value; `None` for unknown routes.
    pub used_weight: Option<u32>,
    /// `Retry-After` seconds on a 429.
    pub retry_after_s: Option<u64>,
}

/// The simulated exchange: market, clock and rate limits.
#[derive(Debug, Clone)]
pub struct SimExchange {
    config: SimConfig,
    clock: SimClock,
    market: SimMarket,
    weights: WeightLimiter,
}

impl SimExchange {
    /// An exchange whose simulated clock starts at the wall time `wall_ms`,
    /// with history generated up to it.
    ///
    /// # Errors
    /// [`InvalidSimConfig`] when the config does not validate.
    pub fn new(config: SimConfig, wall_ms: i64) -> Result<Self, InvalidSimConfig> {
        config.validate()?;
        let market = SimMarket::new(&config, wall_ms);
        Ok(Self {
            clock: SimClock::new(wall_ms, wall_ms, config.speed),
            weights: WeightLimiter::new(config.weight_limit_per_minute),
            market,
            config,
        })
    }

    /// The market.
    #[must_use]
    pub fn market(&self) -> &SimMarket {
        &self.market
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Simulated time at wall time `wall_ms`.
    #[must_use]
    pub fn now(&self, wall_ms: i64) -> i64 {
        self.clock.now(wall_ms)
    }

    /// Closes every minute that ended by the simulated time of `wall_ms`;
    /// with `emit`, returns their stream events (skip them when nobody
    /// listens).
    pub fn advance(&mut self, wall_ms: i64, emit: bool) -> Vec<StreamEvent> {
        let now = self.clock.now(wall_ms);
        self.market.advance_to(now, emit)
    }

    /// Answers one REST request (steps in [`rest`]).
    pub fn rest(&mut self, method: &str, path: &str, query: &str, wall_ms: i64) -> RestReply {
        let Some(endpoint) = Endpoint::route(method, path) else {
            return RestReply {
                status: 404,
                body: RestError {
                    status: 404,
                    code: -1000,
                    msg: format!("Unknown endpoint {method} {path}."),
                }
                .body(),
                used_weight: None,
                retry_after_s: None,
            };
        };
        let params = rest::decode_query(query);
        let charge = self.weights.charge(wall_ms, endpoint.weight(&params));
        if let Some(retry) = charge.retry_after_s {
            let e = RestError {
                status: 429,
                code: -1003,
                msg: format!(
                    "Too many requests; current limit is {} requests per minute. Please use \
                     the websocket for live updates to avoid polling the API.",
                    self.weights.limit()
                ),
            };
            return RestReply {
                status: e.status,
                body: e.body(),
                used_weight: Some(charge.used),
                retry_after_s: Some(retry),
            };
        }
        let now = self.clock.now(wall_ms);
        let (status, body) = match rest::answer(
            &self.market,
            endpoint,
            &params,
            now,
            self.config.weight_limit_per_minute,
            self.config.order_limit_per_minute,
        ) {
            Ok(v) => (200, v.to_string()),
            Err(e) => (e.status, e.body()),
        };
        RestReply {
            status,
            body,
            used_weight: Some(charge.used),
            retry_after_s: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::binance::rest::{ExchangeInfo, RestKline, Ticker24hStats};
    use crate::exchange::binance::{ApiError, ErrorCode};

    const WALL: i64 = 1_767_312_000_000 + 3 * 3_600_000 + 500;

    fn exchange() -> SimExchange {
        let config = SimConfig {
            symbols: 4,
            history_minutes: 120,
            max_history_minutes: 120 + 1440,
            weight_limit_per_minute: 50,
            ..SimConfig::default()
        };
        SimExchange::new(config, WALL).unwrap()
    }

    #[test]
    fn exchange_info_parses_with_the_client_types() {
        let mut x = exchange();
        let r = x.rest("GET", "/fapi/v1/exchangeInfo", "", WALL);
        assert_eq!(r.status, 200);
        let info: ExchangeInfo = serde_json::from_str(&r.body).unwrap();
        assert_eq!(info.symbols.len(), 4);
        for s in &info.symbols {
            let rules = s.rules().unwrap();
            assert!(rules.price.tick_size.to_f64() > 0.0, "{s:?}");
        }
    }

    #[test]
    fn klines_and_tickers_parse() {
        let mut x = exchange();
        let r = x.rest(
            "GET",
            "/fapi/v1/klines",
            "symbol=SYN001USDT&interval=5m&limit=3",
            WALL,
        );
        let rows: Vec<RestKline> = serde_json::from_str(&r.body).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|k| k.close_time == k.open_time + 299_999));
        let r = x.rest("GET", "/fapi/v1/ticker/24hr", "", WALL);
        let all: Vec<Ticker24hStats> = serde_json::from_str(&r.body).unwrap();
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn errors_and_weights() {
        let mut x = exchange();
        let r = x.rest("GET", "/fapi/v1/klines", "symbol=NOPE&interval=1m", WALL);
        assert_eq!(r.status, 400);
        let e = ApiError::from_body(r.body.as_bytes()).unwrap();
        assert_eq!(e.code, ErrorCode::BadSymbol);
        let r = x.rest(
            "GET",
            "/fapi/v1/klines",
            "symbol=SYN000USDT&interval=7m",
            WALL,
        );
        assert_eq!(
            ApiError::from_body(r.body.as_bytes()).unwrap().code.code(),
            -1120
        );
        let r = x.rest("GET", "/fapi/v1/klines", "interval=1m", WALL);
        assert_eq!(
            ApiError::from_body(r.body.as_bytes()).unwrap().code.code(),
            -1102
        );
        assert_eq!(r.used_weight, Some(15));
        // 15 used; 40 more breaks the limit of 50.
        let r = x.rest("GET", "/fapi/v1/ticker/24hr", "", WALL);
        assert_eq!(r.status, 429);
        assert_eq!(r.retry_after_s, Some(60));
        assert_eq!(x.rest("GET", "/nope", "", WALL).status, 404);
    }

    #[test]
    fn clock_runs_at_speed() {
        let c = SimClock::new(1_000, 5_000, 60.0);
        assert_eq!(c.now(2_000), 65_000);
    }
}

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
//! Trading requests go through [`SimExchange::request`] with the API key
//! header and the raw body; the user-data events they and the market's
//! steps produce are collected for the `/private` connections with
//! [`SimExchange::take_user_frames`].
//!
//! Modules:
//! - [`config`]: the `--config` settings and their validation.
//! - [`market`]: the minute source (synthetic or replay), one-minute history,
//!   trade and book ids.
//! - [`rest`]: routing, parameter checks and Binance-shaped answers.
//! - [`stream`]: stream payloads and one connection's subscriptions.
//! - [`weight`]: IP request-weight and order-count accounting.
//! - [`signed`]: account endpoints, API key and signature checks.
//! - [`account`]: order entry, matching, algo orders, account answers.
//! - [`fill_model`]: fill prices and trigger rules.
//! - `params`: account parameters read with Binance's error codes.
//! - [`orders`]: orders, algo orders, trades and their Binance shapes.
//! - [`ledger`]: wallet, positions, realized/unrealized PnL, incomes.
//! - [`user_stream`]: the listen key and user-data frames.
//!
//! The market is the synthetic one ([`SimExchange::new`]) or recorded
//! klines replayed ([`SimExchange::replay`], `crate::market::replay`).

pub mod account;
pub mod config;
pub mod faults;
pub mod fill_model;
pub mod ledger;
pub mod market;
pub mod orders;
mod params;
pub mod rest;
pub mod signed;
pub mod stream;
pub mod user_stream;
pub mod weight;

pub use account::{Account, AccountSettings};
pub use config::{InvalidSimConfig, SimConfig};
pub use ledger::Ledger;
pub use market::SimMarket;
pub use rest::{Endpoint, RestError};
pub use signed::{AccountEndpoint, Credentials, RawRequest};
pub use stream::{StreamEvent, StreamSession};
pub use user_stream::{UserFrame, UserStream};
pub use weight::{OrderCounter, WeightLimiter};

/// The simulated clock: simulated time runs `speed` times faster than the
/// wall clock from a common origin, unless it is held: then it stands
/// still until released (a test lets a node warm up on a replay before the
/// replayed market moves).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimClock {
    wall_origin_ms: i64,
    sim_origin_ms: i64,
    speed: f64,
    held: bool,
}

impl SimClock {
    /// A clock reading `sim_origin_ms` at wall time `wall_origin_ms`.
    #[must_use]
    pub const fn new(wall_origin_ms: i64, sim_origin_ms: i64, speed: f64) -> Self {
        Self {
            wall_origin_ms,
            sim_origin_ms,
            speed,
            held: false,
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
        if self.held {
            return self.sim_origin_ms;
        }
        self.sim_origin_ms + ((wall_ms - self.wall_origin_ms) as f64 * self.speed) as i64
    }

    /// Whether the clock stands still.
    #[must_use]
    pub const fn held(&self) -> bool {
        self.held
    }

    /// Stops the clock at its reading at wall time `wall_ms` (`run` false),
    /// or lets it run on from there (`run` true).
    pub fn set_running(&mut self, run: bool, wall_ms: i64) {
        if run != self.held {
            return;
        }
        if run {
            self.wall_origin_ms = wall_ms;
        } else {
            self.sim_origin_ms = self.now(wall_ms);
        }
        self.held = !run;
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
    /// `X-MBX-ORDER-COUNT-10S` and `-1M` of an order request.
    pub order_count: Option<(u32, u32)>,
}

/// One REST request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct RestRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path.
    pub path: &'a str,
    /// Raw query string (without `?`).
    pub query: &'a str,
    /// Raw `application/x-www-form-urlencoded` body.
    pub body: &'a str,
    /// `X-MBX-APIKEY` header.
    pub api_key: Option<&'a str>,
    /// Wall-clock time of arrival (ms).
    pub wall_ms: i64,
}

/// The simulated exchange: market, clock, rate limits and the account.
#[derive(Debug, Clone)]
pub struct SimExchange {
    config: SimConfig,
    clock: SimClock,
    market: SimMarket,
    weights: WeightLimiter,
    account: Account,
    credentials: Option<Credentials>,
    user_stream: UserStream,
    order_counter: OrderCounter,
    user_frames: Vec<UserFrame>,
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
        let clock = SimClock::new(wall_ms, wall_ms, config.speed);
        Ok(Self::over(market, clock, config))
    }

    /// An exchange replaying `replay`: its simulated clock reads the replay
    /// start (`replay_start_ms`, or the first recorded minute of the symbol
    /// listed last plus `replay_warmup_minutes`, capped at the data's end) at the wall time
    /// `wall_ms` and runs at `replay_speed`; the recorded minutes before
    /// the start are history.
    ///
    /// # Errors
    /// [`InvalidSimConfig`] when the config does not validate or the start
    /// lies outside the data.
    pub fn replay(
        config: SimConfig,
        replay: crate::market::replay::ReplayMarket,
        wall_ms: i64,
    ) -> Result<Self, InvalidSimConfig> {
        config.validate()?;
        let (first, end) = (replay.first_ms(), replay.end_ms());
        let warmup = i64::try_from(config.replay_warmup_minutes).unwrap_or(i64::MAX / 2);
        let start = match config.replay_start_ms {
            Some(s) if !(first..=end).contains(&s) => {
                return Err(InvalidSimConfig(vec![format!(
                    "replay_start_ms {s} is outside the data [{first}, {end}]"
                )]));
            }
            Some(s) => s,
            // Every symbol gets its warm-up: files of other periods (an old
            // pair next to recent ones) must not start the replay years early.
            None => replay
                .last_listing_ms()
                .saturating_add(warmup.saturating_mul(market::MINUTE_MS))
                .min(end),
        };
        let market = SimMarket::replay(replay, &config, start);
        let mut clock = SimClock::new(wall_ms, start, config.replay_speed);
        if config.replay_hold {
            clock.set_running(false, wall_ms);
        }
        Ok(Self::over(market, clock, config))
    }

    fn over(market: SimMarket, clock: SimClock, config: SimConfig) -> Self {
        let account = Account::new(
            &market,
            AccountSettings {
                initial_balance: config.initial_balance_usdt,
                maker_fee_rate: config.maker_fee_rate,
                taker_fee_rate: config.taker_fee_rate,
                slippage_bps: config.slippage_bps,
                default_leverage: config.default_leverage,
            },
        );
        Self {
            clock,
            weights: WeightLimiter::new(config.weight_limit_per_minute),
            account,
            credentials: None,
            user_stream: UserStream::new(config.seed).with_validity(config.listen_key_validity_ms),
            order_counter: OrderCounter::default(),
            user_frames: Vec::new(),
            market,
            config,
        }
    }

    /// The same exchange with an account reachable by `credentials`
    /// (without, every account endpoint answers `-2015`).
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The account.
    #[must_use]
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// True when `key` is the active listen key at wall time `wall_ms`.
    #[must_use]
    pub fn listen_key_valid(&self, key: &str, wall_ms: i64) -> bool {
        self.user_stream.active_key(wall_ms) == Some(key)
    }

    /// Takes the user-data frames produced since the last call, in order.
    pub fn take_user_frames(&mut self) -> Vec<UserFrame> {
        std::mem::take(&mut self.user_frames)
    }

    /// Moves the account's new events to the frames of the active listen
    /// key (dropped when no key is active: nobody can be listening).
    fn collect_user_events(&mut self, wall_ms: i64) {
        let events = self.account.take_events();
        let Some(key) = self.user_stream.active_key(wall_ms) else {
            return;
        };
        for e in events {
            self.user_frames.push(UserFrame {
                listen_key: key.to_string(),
                event_type: e["e"].as_str().unwrap_or_default().to_string(),
                payload: e.to_string(),
            });
        }
    }

    /// Turns the diff depth events on or off ([`SimMarket::set_depth_streams`]).
    pub fn set_depth_streams(&mut self, on: bool) {
        self.market.set_depth_streams(on);
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

    /// The clock (to read whether it is held).
    #[must_use]
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Holds the simulated clock (`run` false) or lets it run (`run` true)
    /// from wall time `wall_ms` (see [`SimClock::set_running`]).
    pub fn set_clock_running(&mut self, run: bool, wall_ms: i64) {
        self.clock.set_running(run, wall_ms);
    }

    /// Closes every minute that ended by the simulated time of `wall_ms`;
    /// with `emit`, returns their stream events (skip them when nobody
    /// listens).
    /// Steps minute by minute so that resting and conditional orders see
    /// each minute's trades, settles funding at 00:00, 08:00 and 16:00 UTC,
    /// and expires the listen key when due.
    pub fn advance(&mut self, wall_ms: i64, emit: bool) -> Vec<StreamEvent> {
        let now = self.clock.now(wall_ms);
        let mut events = Vec::new();
        while self.market.closed_until_ms() + market::MINUTE_MS <= now {
            let close = self.market.closed_until_ms() + market::MINUTE_MS;
            events.extend(self.market.advance_to(close, emit));
            for i in self.account.watched_symbols() {
                self.account.on_minute(&self.market, i, close);
            }
            if close.rem_euclid(rest::FUNDING_PERIOD_MS) == 0 {
                self.account
                    .settle_funding(&self.market, rest::FUNDING_RATE, close);
            }
        }
        self.collect_user_events(wall_ms);
        if let Some(frame) = self.user_stream.expire(wall_ms, now) {
            self.user_frames.push(frame);
        }
        events
    }

    /// Answers one public REST request (steps in [`rest`]).
    pub fn rest(&mut self, method: &str, path: &str, query: &str, wall_ms: i64) -> RestReply {
        self.request(&RestRequest {
            method,
            path,
            query,
            body: "",
            api_key: None,
            wall_ms,
        })
    }

    /// Answers one REST request: public market data (steps in [`rest`]) or
    /// an account endpoint (checks in [`signed`], answers in [`account`]).
    pub fn request(&mut self, req: &RestRequest<'_>) -> RestReply {
        let (method, path, query, wall_ms) = (req.method, req.path, req.query, req.wall_ms);
        if let Some(endpoint) = AccountEndpoint::route(method, path) {
            let reply = self.account_request(endpoint, req);
            self.collect_user_events(wall_ms);
            return reply;
        }
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
                order_count: None,
            };
        };
        let params = rest::decode_query(query);
        let charge = self.weights.charge(wall_ms, endpoint.weight(&params));
        if let Some(retry) = charge.retry_after_s {
            return self.too_many_requests(charge.used, retry);
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
            order_count: None,
        }
    }

    fn too_many_requests(&self, used: u32, retry: u64) -> RestReply {
        let e = RestError {
            status: 429,
            code: -1003,
            msg: format!(
                "Too many requests; current limit is {} requests per minute. Please use \
                 the websocket for live updates to avoid polling the API.",
                self.weights.limit()
            ),
        };
        RestReply {
            status: e.status,
            body: e.body(),
            used_weight: Some(used),
            retry_after_s: Some(retry),
            order_count: None,
        }
    }

    /// Steps for an account endpoint: weight, checks ([`signed`]), the
    /// order count of a new order, then the answer.
    fn account_request(&mut self, endpoint: AccountEndpoint, req: &RestRequest<'_>) -> RestReply {
        // §3: parameters may be in the query and the body; the query wins.
        let mut params = rest::decode_query(req.body);
        params.extend(rest::decode_query(req.query));
        let charge = self.weights.charge(req.wall_ms, endpoint.weight(&params));
        if let Some(retry) = charge.retry_after_s {
            return self.too_many_requests(charge.used, retry);
        }
        let reply = |status: u16, body: String, order_count| RestReply {
            status,
            body,
            used_weight: Some(charge.used),
            retry_after_s: None,
            order_count,
        };
        let raw = RawRequest {
            api_key: req.api_key,
            query: req.query,
            body: req.body,
        };
        let checked = if endpoint.is_user_stream() {
            signed::check_api_key(self.credentials.as_ref(), req.api_key)
        } else {
            signed::check_signed(self.credentials.as_ref(), raw, &params, req.wall_ms)
        };
        if let Err(e) = checked {
            return reply(e.status, e.body(), None);
        }
        let mut order_count = None;
        if endpoint == AccountEndpoint::NewOrder {
            let counts = self.order_counter.count(req.wall_ms);
            order_count = Some(counts);
            if counts.1 > self.config.order_limit_per_minute {
                let e = RestError {
                    status: 429,
                    code: -1015,
                    msg: format!(
                        "Too many new orders; current limit is {} orders per MINUTE.",
                        self.config.order_limit_per_minute
                    ),
                };
                return reply(e.status, e.body(), order_count);
            }
        }
        let now = self.clock.now(req.wall_ms);
        let (m, a) = (&self.market, &mut self.account);
        let answer = match endpoint {
            AccountEndpoint::NewOrder => a.new_order(m, &params, now),
            AccountEndpoint::QueryOrder => a.query_order(m, &params),
            AccountEndpoint::CancelOrder => a.cancel_order(m, &params, now),
            AccountEndpoint::OpenOrder => a.open_order(m, &params),
            AccountEndpoint::OpenOrders => a.open_orders(m, &params),
            AccountEndpoint::AllOrders => a.all_orders(m, &params),
            AccountEndpoint::CancelAllOpenOrders => a.cancel_all(m, &params, now),
            AccountEndpoint::NewAlgoOrder => a.new_algo_order(m, &params, now),
            AccountEndpoint::QueryAlgoOrder => a.query_algo(&params),
            AccountEndpoint::CancelAlgoOrder => a.cancel_algo(&params, now),
            AccountEndpoint::OpenAlgoOrders => a.open_algo_orders(m, &params),
            AccountEndpoint::AllAlgoOrders => a.all_algo_orders(m, &params),
            AccountEndpoint::CancelAllAlgoOrders => a.cancel_all_algo(m, &params, now),
            AccountEndpoint::UserTrades => a.user_trades(m, &params),
            AccountEndpoint::Income => a.income(m, &params),
            AccountEndpoint::PositionRiskV2 => a.position_risk(m, &params, false),
            AccountEndpoint::PositionRiskV3 => a.position_risk(m, &params, true),
            AccountEndpoint::AccountV2 => Ok(a.account(m, false, now)),
            AccountEndpoint::AccountV3 => Ok(a.account(m, true, now)),
            AccountEndpoint::BalanceV2 | AccountEndpoint::BalanceV3 => Ok(a.balance(m, now)),
            AccountEndpoint::Leverage => a.set_leverage(m, &params, now),
            AccountEndpoint::MarginType => a.set_margin_type(m, &params),
            AccountEndpoint::PositionMode => Ok(serde_json::json!({ "dualSidePosition": false })),
            AccountEndpoint::SetPositionMode => Account::set_position_mode(&params),
            AccountEndpoint::ListenKeyStart => Ok(self.user_stream.start(req.wall_ms)),
            AccountEndpoint::ListenKeyKeepalive => self.user_stream.keepalive(req.wall_ms),
            AccountEndpoint::ListenKeyClose => Ok(self.user_stream.close()),
        };
        match answer {
            Ok(v) => reply(200, v.to_string(), order_count),
            Err(e) => reply(e.status, e.body(), order_count),
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
    fn open_interest_follows_the_model_and_a_replay_has_none() {
        use crate::exchange::binance::rest::OpenInterest;
        use crate::market::Candle;
        use crate::market::replay::{ReplayMarket, ReplaySeries};
        let mut x = exchange();
        let r = x.rest("GET", "/fapi/v1/openInterest", "symbol=SYN001USDT", WALL);
        assert_eq!(r.status, 200, "{}", r.body);
        let oi: OpenInterest = serde_json::from_str(&r.body).unwrap();
        assert_eq!(oi.symbol.as_str(), "SYN001USDT");
        assert!(oi.open_interest > 0.0, "{oi:?}");
        assert_eq!(r.used_weight, Some(1));
        let r = x.rest("GET", "/fapi/v1/openInterest", "", WALL);
        assert_eq!(
            ApiError::from_body(r.body.as_bytes()).unwrap().code.code(),
            -1102
        );
        let t0 = WALL - WALL.rem_euclid(60_000) - 300 * 60_000;
        let candles = (0..300)
            .map(|k| Candle::ohlcv(t0 + k * 60_000, 10.0, 10.5, 9.5, 10.0, 5.0))
            .collect();
        let series = ReplaySeries {
            symbol: crate::market::Symbol::new("AAAUSDT").unwrap(),
            candles,
        };
        let config = SimConfig {
            replay_start_ms: Some(t0 + 200 * 60_000),
            ..SimConfig::default()
        };
        let mut x = SimExchange::replay(
            config,
            ReplayMarket::new(vec![series], 0.0002).unwrap(),
            WALL,
        )
        .unwrap();
        let r = x.rest("GET", "/fapi/v1/openInterest", "symbol=AAAUSDT", WALL);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            ApiError::from_body(r.body.as_bytes()).unwrap().code,
            ErrorCode::BadSymbol
        );
    }

    #[test]
    fn clock_runs_at_speed() {
        let c = SimClock::new(1_000, 5_000, 60.0);
        assert_eq!(c.now(2_000), 65_000);
    }

    #[test]
    fn a_held_clock_stands_still_and_runs_on_from_where_it_stood() {
        let mut c = SimClock::new(1_000, 5_000, 60.0);
        c.set_running(false, 2_000);
        assert!(c.held());
        assert_eq!((c.now(2_000), c.now(9_000)), (65_000, 65_000));
        c.set_running(false, 9_500);
        assert_eq!(c.now(10_000), 65_000, "holding twice changes nothing");
        c.set_running(true, 10_000);
        assert!(!c.held());
        assert_eq!(c.now(11_000), 125_000);
        c.set_running(true, 12_000);
        assert_eq!(c.now(12_000), 185_000, "running twice changes nothing");
    }
}

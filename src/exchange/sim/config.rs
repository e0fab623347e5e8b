//! Settings of the simulated exchange, as the `--config` TOML file gives
//! them. Every key has a default; unknown keys are rejected and every
//! invalid value is reported at once by [`SimConfig::validate`].

use serde::Deserialize;

/// Settings of the simulated exchange.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of the synthetic market: the same seed gives the same market.
    pub seed: u64,
    /// Number of contracts (`SYN000USDT`, `SYN001USDT`, ...).
    pub symbols: usize,
    /// Number of sectors (factor groups) of the synthetic market.
    pub sectors: usize,
    /// Trades generated per symbol per minute.
    pub trades_per_minute: usize,
    /// Market speed: simulated seconds per wall-clock second (60 = one
    /// one-minute candle per second).
    pub speed: f64,
    /// One-minute candles generated before the server starts, so that
    /// `/fapi/v1/klines` answers at once. History starts at a UTC midnight,
    /// so it may hold up to a day more than this.
    pub history_minutes: usize,
    /// Most one-minute candles kept per symbol; older days are dropped.
    pub max_history_minutes: usize,
    /// IP request weight allowed per minute (`REQUEST_WEIGHT`, §8.2).
    pub weight_limit_per_minute: u32,
    /// Order count allowed per minute, as `exchangeInfo` reports it.
    pub order_limit_per_minute: u32,
    /// Fault injection: close every WebSocket connection this many
    /// wall-clock milliseconds after it opened (0 = never), so clients'
    /// reconnect and backfill paths can be tested.
    pub ws_drop_after_ms: u64,
    /// Wall-clock validity of a listen key after creation or keepalive, ms
    /// (Binance: 60 minutes, PROTOCOL.md §7.1); shorter values let tests
    /// watch a key expire.
    pub listen_key_validity_ms: i64,
    /// USDT wallet balance the simulated account starts with.
    pub initial_balance_usdt: f64,
    /// Fee rate of fills that make liquidity (resting LIMIT orders).
    pub maker_fee_rate: f64,
    /// Fee rate of fills that take liquidity (MARKET, marketable LIMIT).
    pub taker_fee_rate: f64,
    /// Slippage of MARKET fills beyond the touch, in basis points.
    pub slippage_bps: f64,
    /// Wall-clock delay before the server handles a trading request (ms).
    pub latency_ms: u64,
    /// Leverage of a symbol before `POST /fapi/v1/leverage` changes it.
    pub default_leverage: u32,
    /// Faults injected on a schedule (`[[faults]]` tables: `every_ms`,
    /// `kind`, and `count`, `duration_ms`, `delay_ms` as needed; see
    /// [`super::faults`]).
    pub faults: Vec<super::faults::ScheduledFault>,
    /// Kline replay (`--data DIR`) speed: replayed seconds per wall-clock
    /// second (1 = real time, 600 = a minute closes every 0.1 s). `speed`
    /// is the synthetic market's.
    pub replay_speed: f64,
    /// Kline replay: open time (ms) of the first minute served live; the
    /// recorded minutes before it are history. Default: the first minute
    /// of the symbol listed last plus `replay_warmup_minutes`, capped at
    /// the data's end.
    pub replay_start_ms: Option<i64>,
    /// Kline replay: minutes of history before the default start (capped
    /// by the data).
    pub replay_warmup_minutes: usize,
    /// Kline replay: quoted spread around each minute's close, in basis
    /// points (at least one tick).
    pub replay_spread_bps: f64,
    /// Kline replay: start with the clock held at the start until an
    /// operator runs it (`POST /admin/clock?run=true`), so a client can
    /// warm up before the first replayed minute closes.
    pub replay_hold: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            symbols: 150,
            sectors: 8,
            trades_per_minute: 8,
            speed: 60.0,
            history_minutes: 2 * 1440,
            max_history_minutes: 4 * 1440,
            weight_limit_per_minute: 2400,
            order_limit_per_minute: 1200,
            ws_drop_after_ms: 0,
            listen_key_validity_ms: 3_600_000,
            initial_balance_usdt: 10_000.0,
            maker_fee_rate: 0.0002,
            taker_fee_rate: 0.0005,
            slippage_bps: 1.0,
            latency_ms: 0,
            default_leverage: 20,
            faults: Vec::new(),
            replay_speed: 1.0,
            replay_start_ms: None,
            replay_warmup_minutes: 1440,
            replay_spread_bps: 2.0,
            replay_hold: false,
        }
    }
}

/// Why a [`SimConfig`] cannot be used: every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sim-exchange config: {}", .0.join("; "))]
pub struct InvalidSimConfig(pub Vec<String>);

impl SimConfig {
    /// Checks every value and reports all problems at once.
    ///
    /// # Errors
    /// [`InvalidSimConfig`] listing each invalid key.
    pub fn validate(&self) -> Result<(), InvalidSimConfig> {
        let mut errs = Vec::new();
        if self.symbols == 0 || self.symbols > 1000 {
            errs.push(format!("symbols must be 1..=1000, got {}", self.symbols));
        }
        if self.sectors == 0 {
            errs.push("sectors must be at least 1".to_string());
        }
        if self.trades_per_minute == 0 {
            errs.push("trades_per_minute must be at least 1".to_string());
        }
        if !(self.speed.is_finite() && self.speed > 0.0 && self.speed <= 100_000.0) {
            errs.push(format!("speed must be in (0, 100000], got {}", self.speed));
        }
        if self.history_minutes == 0 {
            errs.push("history_minutes must be at least 1".to_string());
        }
        if self.max_history_minutes < self.history_minutes + 1440 {
            errs.push(format!(
                "max_history_minutes ({}) must be at least history_minutes + 1440 ({})",
                self.max_history_minutes,
                self.history_minutes + 1440
            ));
        }
        if !(1_000..=86_400_000).contains(&self.listen_key_validity_ms) {
            errs.push(format!(
                "listen_key_validity_ms must be 1000..=86400000, got {}",
                self.listen_key_validity_ms
            ));
        }
        if self.weight_limit_per_minute == 0 {
            errs.push("weight_limit_per_minute must be at least 1".to_string());
        }
        if !(self.initial_balance_usdt.is_finite() && self.initial_balance_usdt >= 0.0) {
            errs.push(format!(
                "initial_balance_usdt must be a finite amount >= 0, got {}",
                self.initial_balance_usdt
            ));
        }
        for (name, rate) in [
            ("maker_fee_rate", self.maker_fee_rate),
            ("taker_fee_rate", self.taker_fee_rate),
        ] {
            if !(rate.is_finite() && (-0.01..=0.01).contains(&rate)) {
                errs.push(format!("{name} must be in [-0.01, 0.01], got {rate}"));
            }
        }
        if !(self.slippage_bps.is_finite() && (0.0..=1000.0).contains(&self.slippage_bps)) {
            errs.push(format!(
                "slippage_bps must be in [0, 1000], got {}",
                self.slippage_bps
            ));
        }
        if self.latency_ms > 10_000 {
            errs.push(format!(
                "latency_ms must be at most 10000, got {}",
                self.latency_ms
            ));
        }
        if !(1..=125).contains(&self.default_leverage) {
            errs.push(format!(
                "default_leverage must be 1..=125, got {}",
                self.default_leverage
            ));
        }
        if !(self.replay_speed.is_finite()
            && self.replay_speed > 0.0
            && self.replay_speed <= 100_000.0)
        {
            errs.push(format!(
                "replay_speed must be in (0, 100000], got {}",
                self.replay_speed
            ));
        }
        if !(self.replay_spread_bps.is_finite() && (0.0..=1000.0).contains(&self.replay_spread_bps))
        {
            errs.push(format!(
                "replay_spread_bps must be in [0, 1000], got {}",
                self.replay_spread_bps
            ));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(InvalidSimConfig(errs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert_eq!(SimConfig::default().validate(), Ok(()));
    }

    #[test]
    fn all_errors_are_reported() {
        let c = SimConfig {
            symbols: 0,
            speed: -1.0,
            ..SimConfig::default()
        };
        let e = c.validate().unwrap_err();
        assert_eq!(e.0.len(), 2, "{e}");
    }
}

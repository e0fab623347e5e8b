//! The node's configuration: typed, with defaults, unknown keys rejected;
//! every key is documented in config/default.toml.

use crate::gpu::backend_choice::BackendSetting;
use anyhow::Context as _;
use quantumtrade::analysis::breakout::{BreakoutSettings, FEATURE_NAMES};
use quantumtrade::node::alert_rules::AlertConfig;
use quantumtrade::node::backoff::BackoffConfig;
use quantumtrade::node::symbol::SymbolConfig;
use quantumtrade::selection::screen::ScreenConfig;
use quantumtrade::selection::top::TopConfig;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Process-level settings.
    pub node: NodeSection,
    /// The market: synthetic, or a Binance-compatible venue.
    pub market: MarketSection,
    /// Universe re-screening.
    pub universe: UniverseSection,
    /// Screen thresholds.
    pub screen: ScreenConfig,
    /// Per-symbol analysis.
    pub symbol: SymbolConfig,
    /// Correlation and selection.
    pub selector: SelectorSection,
    /// Top-five selection.
    pub top: TopConfig,
    /// The breakout model (`qtrade fit-breakout` writes this section).
    pub breakout: BreakoutSettings,
    /// Restart backoff of supervised actors.
    pub supervision: BackoffConfig,
    /// Batched battery: IndicatorActor and GpuDispatcher.
    pub indicators: IndicatorsSection,
    /// State snapshots.
    pub state: StateSection,
    /// Alert thresholds.
    pub alerts: AlertConfig,
    /// Trading: signals, risk, positions, execution.
    pub trading: TradingSection,
}

/// `[trading]`: the trading actors and their cores (`[trading.engine]`
/// holds sizing, limits, ranking, management, fees, slippage and funding).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TradingSection {
    /// Run the trading actors (false: the node analyses and selects only).
    pub enabled: bool,
    /// Where orders go: "paper" (the in-process fill model; the default)
    /// or "binance" (a Binance-compatible REST venue at `rest_url`).
    pub venue: String,
    /// REST base of the live venue (`venue = "binance"`).
    pub rest_url: String,
    /// File holding the live venue's API key and secret (mode 0600);
    /// unset: from `QTRADE_BINANCE_API_KEY` / `QTRADE_BINANCE_API_SECRET`.
    pub credentials_file: Option<PathBuf>,
    /// Starting cash of the paper account, USDT.
    pub cash: f64,
    /// 1m returns per symbol for VaR and the risk estimates.
    pub returns_window: usize,
    /// The cores' knobs.
    pub engine: quantumtrade::trading::paper::PaperConfig,
}

impl Default for TradingSection {
    fn default() -> Self {
        Self {
            enabled: true,
            venue: "paper".into(),
            rest_url: quantumtrade_actors::venue::binance::REST_BASE.into(),
            credentials_file: None,
            cash: 100_000.0,
            returns_window: 240,
            engine: quantumtrade::trading::paper::PaperConfig::default(),
        }
    }
}

/// `[indicators]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndicatorsSection {
    /// Compute backend of the GPU dispatcher: "cpu" (rayon), "auto" (CUDA
    /// when usable, else the CPU) or "cuda" (refuse to start without CUDA).
    pub backend: String,
    /// The IndicatorActor submits what waits every this many ms.
    pub batch_ms: u64,
    /// Or at once when this many jobs wait.
    pub max_batch: usize,
    /// Symbol-actor arbiters (threads); 0 = one per CPU core.
    pub symbol_threads: usize,
}

impl Default for IndicatorsSection {
    fn default() -> Self {
        Self {
            backend: "cpu".into(),
            batch_ms: 20,
            max_batch: 512,
            symbol_threads: 0,
        }
    }
}

/// `[node]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSection {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Event-store directory.
    pub data_dir: PathBuf,
    /// Market speed: 60 = one 1m candle per second.
    pub speed: f64,
    /// Mailbox capacity of every actor.
    pub mailbox_capacity: usize,
    /// Bearer token of the state-changing endpoints (`POST /state/...`);
    /// `QTRADE_ADMIN_TOKEN` overrides it; with neither those endpoints
    /// answer 403. Never serialized.
    #[serde(skip_serializing)]
    pub admin_token: Option<String>,
}

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9898)),
            data_dir: PathBuf::from("data"),
            speed: 60.0,
            mailbox_capacity: 1024,
            admin_token: None,
        }
    }
}

/// `[market] venue`: where the node's market data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Venue {
    /// The in-process synthetic market, stepped at `node.speed`.
    Synthetic,
    /// A Binance USDⓈ-M compatible venue at `rest_url` / `ws_url`.
    Binance,
}

/// `[market]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketSection {
    /// Where market data comes from.
    pub venue: Venue,
    /// REST base of the `binance` venue.
    pub rest_url: String,
    /// WebSocket base of the `binance` venue (routes such as `/market`
    /// are appended).
    pub ws_url: String,
    /// `binance` venue: wall-clock ms between refreshes of the 24h and
    /// book tickers the universe screens.
    pub screen_refresh_ms: u64,
    /// Seed of the synthetic market.
    pub seed: u64,
    /// Contracts.
    pub symbols: usize,
    /// Sectors (factor groups).
    pub sectors: usize,
    /// Trades per symbol per minute.
    pub trades_per_minute: usize,
    /// Minutes generated (synthetic) or fetched from REST klines (binance,
    /// at most 1500) before the node starts, so buffers are not empty.
    pub warmup_minutes: usize,
    /// Closed 1m candles kept per symbol for backfills.
    pub history_minutes: usize,
}

impl Default for MarketSection {
    fn default() -> Self {
        Self {
            venue: Venue::Synthetic,
            rest_url: quantumtrade_actors::venue::binance::REST_BASE.into(),
            ws_url: quantumtrade_actors::venue::binance::WS_BASE.into(),
            screen_refresh_ms: 60_000,
            seed: 7,
            symbols: 150,
            sectors: 8,
            trades_per_minute: 8,
            warmup_minutes: 240,
            history_minutes: 1440,
        }
    }
}

/// `[universe]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UniverseSection {
    /// Re-screen every this many market minutes.
    pub rescreen_minutes: u32,
}

impl Default for UniverseSection {
    fn default() -> Self {
        Self {
            rescreen_minutes: 5,
        }
    }
}

/// `[selector]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelectorSection {
    /// 1m log returns per symbol in the correlation window.
    pub correlation_window: usize,
    /// Common minutes needed before a correlation counts.
    pub min_overlap: usize,
}

impl Default for SelectorSection {
    fn default() -> Self {
        Self {
            correlation_window: 120,
            min_overlap: 30,
        }
    }
}

/// `[state]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSection {
    /// Snapshots kept (one per re-screen); older ones are dropped.
    pub history: usize,
}

impl Default for StateSection {
    fn default() -> Self {
        Self { history: 32 }
    }
}

impl NodeConfig {
    /// The admin bearer token: `QTRADE_ADMIN_TOKEN` when set and not
    /// empty, else `node.admin_token` when not empty.
    #[must_use]
    pub fn admin_token(&self) -> Option<String> {
        std::env::var("QTRADE_ADMIN_TOKEN")
            .ok()
            .or_else(|| self.node.admin_token.clone())
            .filter(|t| !t.is_empty())
    }

    /// Reads `path`.
    ///
    /// # Errors
    /// An unreadable file, bad TOML, an unknown key or a bad value.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let cfg: Self =
            toml::from_str(&text).with_context(|| format!("bad config {}", path.display()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the values, reporting every problem at once.
    ///
    /// # Errors
    /// The list of problems.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut errs = Vec::new();
        if !(self.node.speed.is_finite() && self.node.speed > 0.0) {
            errs.push("node.speed must be > 0".to_owned());
        }
        if self.node.mailbox_capacity == 0 {
            errs.push("node.mailbox_capacity must be > 0".to_owned());
        }
        if self.market.symbols == 0 || self.market.sectors == 0 {
            errs.push("market.symbols and market.sectors must be > 0".to_owned());
        }
        if self.market.venue == Venue::Binance {
            for (key, url, schemes) in [
                (
                    "market.rest_url",
                    &self.market.rest_url,
                    ["http://", "https://"],
                ),
                ("market.ws_url", &self.market.ws_url, ["ws://", "wss://"]),
            ] {
                if !schemes.iter().any(|p| url.starts_with(p)) {
                    errs.push(format!(
                        "{key} must start with {}: {url:?}",
                        schemes.join(" or ")
                    ));
                }
            }
            if self.market.warmup_minutes > 1500 {
                errs.push(
                    "market.warmup_minutes must be <= 1500 with venue = \"binance\"".to_owned(),
                );
            }
            if self.market.screen_refresh_ms == 0 {
                errs.push("market.screen_refresh_ms must be > 0".to_owned());
            }
        }
        if self.market.history_minutes == 0 {
            errs.push("market.history_minutes must be > 0".to_owned());
        }
        if self.universe.rescreen_minutes == 0 {
            errs.push("universe.rescreen_minutes must be > 0".to_owned());
        }
        errs.extend(self.alerts.problems());
        if self.state.history == 0 {
            errs.push("state.history must be > 0".to_owned());
        }
        if self.selector.correlation_window < 2 {
            errs.push("selector.correlation_window must be >= 2".to_owned());
        }
        let s = &self.symbol;
        if s.buffer_capacity == 0
            || s.atr_min_history == 0
            || s.atr_min_history > s.atr_history
            || s.velocity_period == 0
            || s.volume_period == 0
        {
            errs.push(
                "symbol: buffer_capacity, periods > 0 and 1 <= atr_min_history <= atr_history"
                    .to_owned(),
            );
        }
        if self.breakout.model.coefficients.len() != FEATURE_NAMES.len() {
            errs.push(format!(
                "breakout.model.coefficients needs {} values ({})",
                FEATURE_NAMES.len(),
                FEATURE_NAMES.join(", ")
            ));
        }
        if let Err(e) = self.backend_setting() {
            errs.push(e);
        }
        if self.indicators.batch_ms == 0 {
            errs.push("indicators.batch_ms must be > 0".to_owned());
        }
        let t = &self.trading;
        if t.venue != "paper" && t.venue != "binance" {
            errs.push(format!(
                "trading.venue = {:?}: expected \"paper\" or \"binance\"",
                t.venue
            ));
        }
        if t.venue == "binance"
            && !(t.rest_url.starts_with("http://") || t.rest_url.starts_with("https://"))
        {
            errs.push(format!(
                "trading.rest_url = {:?}: expected an http(s) URL",
                t.rest_url
            ));
        }
        if !(t.cash.is_finite() && t.cash > 0.0) {
            errs.push("trading.cash must be > 0".to_owned());
        }
        if t.returns_window < 2 {
            errs.push("trading.returns_window must be >= 2".to_owned());
        }
        if self.supervision.base_ms == 0 || self.supervision.max_ms < self.supervision.base_ms {
            errs.push("supervision: 0 < base_ms <= max_ms".to_owned());
        }
        if errs.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid config: {}", errs.join("; "))
        }
    }

    /// `[indicators] backend`, parsed.
    ///
    /// # Errors
    /// An unknown value, named with the accepted ones.
    pub fn backend_setting(&self) -> Result<BackendSetting, String> {
        self.indicators.backend.parse()
    }

    /// Wall-clock milliseconds per market minute.
    #[must_use]
    pub fn step_ms(&self) -> u64 {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "validated positive"
        )]
        let ms = (60_000.0 / self.node.speed).round().max(1.0) as u64;
        ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `qtrade run` with no arguments reads config/default.toml: it must
    /// load, validate and carry a fitted breakout model.
    #[test]
    fn the_default_config_loads_with_a_fitted_model() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/default.toml");
        let cfg = NodeConfig::load(&path).unwrap();
        let fit = cfg.breakout.fit.expect("default.toml has a fitted model");
        assert!(fit.test.samples > 0 && fit.test.auc > 0.5, "{fit:?}");
        assert_eq!(cfg.indicators.backend, "cpu");
        assert_eq!(cfg.node.listen.ip().to_string(), "127.0.0.1");
    }

    #[test]
    fn bad_values_are_all_reported() {
        let cfg: NodeConfig = toml::from_str(
            "[node]\nspeed = 0.0\n[indicators]\nbackend = \"opencl\"\n[breakout.model]\nintercept = 0.0\ncoefficients = [1.0]\n",
        )
        .unwrap();
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("node.speed"), "{e}");
        assert!(e.contains("indicators.backend"), "{e}");
        assert!(e.contains("breakout.model.coefficients"), "{e}");
        assert!(toml::from_str::<NodeConfig>("[node]\nnope = 1\n").is_err());
    }

    #[test]
    fn the_trading_venue_is_paper_or_binance_with_an_http_url() {
        let parse = |t: &str| toml::from_str::<NodeConfig>(t).unwrap().validate();
        let e = parse("[trading]\nvenue = \"kraken\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("trading.venue"), "{e}");
        let e = parse("[trading]\nvenue = \"binance\"\nrest_url = \"fapi.binance.com\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("trading.rest_url"), "{e}");
        parse("[trading]\nvenue = \"binance\"\nrest_url = \"http://127.0.0.1:9\"\ncredentials_file = \"/x\"\n")
            .unwrap();
    }

    #[test]
    fn live_config_trades_on_binance_with_the_fitted_model() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        let live = NodeConfig::load(&dir.join("live.toml")).unwrap();
        let shipped = NodeConfig::load(&dir.join("default.toml")).unwrap();
        assert_eq!(live.market.venue, Venue::Binance);
        assert_eq!(live.trading.venue, "binance");
        assert!(live.trading.rest_url.starts_with("https://"));
        assert!(
            live.trading.credentials_file.is_none(),
            "keys come from the environment"
        );
        assert!(
            live.node.admin_token.is_none(),
            "the token comes from the environment"
        );
        assert!(live.node.listen.ip().is_loopback());
        assert_eq!(
            serde_json::to_value(&live.breakout).unwrap(),
            serde_json::to_value(&shipped.breakout).unwrap()
        );
    }

    #[test]
    fn shipped_config_is_the_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/default.toml");
        let mut shipped = NodeConfig::load(&path).unwrap();
        // The one section that differs on purpose: the shipped model is
        // fitted (see the_default_config_loads_with_a_fitted_model).
        shipped.breakout = NodeConfig::default().breakout;
        assert_eq!(
            serde_json::to_value(&shipped).unwrap(),
            serde_json::to_value(NodeConfig::default()).unwrap()
        );
    }

    #[test]
    fn bad_alert_and_state_values_are_reported_together() {
        let mut cfg = NodeConfig::default();
        cfg.state.history = 0;
        cfg.alerts.clear_ratio = 3.0;
        let err = cfg.validate().unwrap_err().to_string();
        assert!(
            err.contains("state.history") && err.contains("alerts.clear_ratio"),
            "{err}"
        );
    }

    #[test]
    fn the_binance_venue_checks_its_urls() {
        let cfg: NodeConfig = toml::from_str(
            "[market]\nvenue = \"binance\"\nrest_url = \"127.0.0.1:1\"\nws_url = \"ws://127.0.0.1:1\"\n",
        )
        .unwrap();
        let e = cfg.validate().unwrap_err().to_string();
        assert!(
            e.contains("market.rest_url") && !e.contains("market.ws_url"),
            "{e}"
        );
        assert!(toml::from_str::<NodeConfig>("[market]\nvenue = \"kraken\"\n").is_err());
    }

    #[test]
    fn the_admin_token_is_never_serialized() {
        let mut cfg = NodeConfig::default();
        cfg.node.admin_token = Some("s3cret".into());
        assert!(!serde_json::to_string(&cfg).unwrap().contains("s3cret"));
    }
}

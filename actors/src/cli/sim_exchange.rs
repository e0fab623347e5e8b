//! `qtrade sim-exchange`: a Binance USDⓈ-M compatible exchange on
//! loopback, serving a synthetic market or, with `--data DIR`, recorded
//! one-minute klines replayed (see `quantumtrade::exchange::sim`).

use crate::sim_exchange::{serve, wall_ms};
use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use quantumtrade::exchange::sim::{Credentials, SimConfig, SimExchange};
use quantumtrade::market::kline_csv::read_klines_path;
use quantumtrade::market::replay::{ReplayMarket, ReplaySeries, symbol_of_file};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Arguments of `qtrade sim-exchange`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Address to serve REST and WebSocket on (port 0 picks a free port;
    /// the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// TOML settings (keys in config/sim-exchange.toml); defaults otherwise.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// API key of the simulated account.
    #[arg(long, env = "QTRADE_SIM_API_KEY", requires = "api_secret")]
    pub api_key: Option<String>,
    /// API secret of the simulated account.
    #[arg(long, env = "QTRADE_SIM_API_SECRET", requires = "api_key")]
    pub api_secret: Option<String>,
    /// Directory of kline CSV files to replay instead of the synthetic market.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `abcd…wxyz` for long secrets, `****` for short ones.
fn masked(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 12 {
        return "****".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

fn load_config(path: Option<&PathBuf>) -> anyhow::Result<SimConfig> {
    let Some(path) = path else {
        return Ok(SimConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    let config: SimConfig =
        toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    config.validate()?;
    Ok(config)
}

/// Reads every one-minute kline file of `dir` (`<SYMBOL>-1m*.csv[.gz]`;
/// several files of one symbol are joined in name order; files of other
/// intervals are skipped) into a replay.
fn load_replay(dir: &Path, config: &SimConfig) -> anyhow::Result<ReplayMarket> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read --data directory {}", dir.display()))?;
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if let Some(name) = entry.file_name().to_str() {
            files.insert(name.to_string(), entry.path());
        }
    }
    let mut by_symbol: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for (name, path) in &files {
        let Some((symbol, one_minute)) = symbol_of_file(name) else {
            continue;
        };
        if !one_minute {
            continue;
        }
        // Errors name the file and the line (kline_csv).
        let candles = read_klines_path(path)?;
        by_symbol.entry(symbol).or_default().extend(candles);
    }
    if by_symbol.is_empty() {
        bail!(
            "--data {}: no one-minute kline files (<SYMBOL>-1m*.csv or .csv.gz)",
            dir.display()
        );
    }
    let series = by_symbol
        .into_iter()
        .map(|(symbol, candles)| ReplaySeries { symbol, candles })
        .collect();
    ReplayMarket::new(series, config.replay_spread_bps / 10_000.0)
        .with_context(|| format!("--data {}", dir.display()))
}

/// Runs the simulated exchange until interrupted.
///
/// # Errors
/// Invalid config, unreadable or invalid `--data` files, an unusable
/// address, or a server failure.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = load_config(args.config.as_ref())?;
    let replay = args
        .data
        .as_deref()
        .map(|dir| load_replay(dir, &config))
        .transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr().context("no local address")?;
        let balance = config.initial_balance_usdt;
        let mut banner = format!(
            "sim-exchange listening on http://{addr}\n\
             streams: ws://{addr}/market/stream?streams=... and ws://{addr}/public/stream?streams=...\n"
        );
        let mut exchange = match replay {
            Some(replay) => {
                banner.push_str(&format!(
                    "market: replay of {} symbols, minutes {}..{} at {}x\n",
                    replay.profiles().len(),
                    replay.first_ms(),
                    replay.end_ms(),
                    config.replay_speed
                ));
                SimExchange::replay(config, replay, wall_ms())?
            }
            None => SimExchange::new(config, wall_ms())?,
        };
        if let (Some(key), Some(secret)) = (&args.api_key, &args.api_secret) {
            // The key is shown masked; the secret never is.
            banner.push_str(&format!(
                "account: api key {} (secret not shown), {balance} USDT; \
                 user data: ws://{addr}/private/ws/<listenKey>\n",
                masked(key),
            ));
            exchange = exchange.with_credentials(Credentials::new(key.as_str(), secret.as_str()));
        } else {
            banner.push_str(
                "account: none (start with --api-key and --api-secret to trade)\n",
            );
        }
        // The banner is informational: a closed stdout must not stop the server.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
        drop(out);
        serve(listener, exchange).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_is_the_default() {
        let text = include_str!("../../../config/sim-exchange.toml");
        let c: SimConfig = toml::from_str(text).unwrap();
        assert_eq!(c, SimConfig::default());
        assert!(toml::from_str::<SimConfig>("speeed = 1.0").is_err());
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(masked("abc"), "****");
        assert_eq!(masked("0123456789abcdef"), "0123…cdef");
    }
}

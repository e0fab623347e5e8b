//! `qtrade run`: the node, offline on the synthetic market by default.

use crate::node::{self, config::NodeConfig};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Arguments of `qtrade run`; every flag overrides its config key.
#[derive(Debug, Parser)]
pub struct Args {
    /// Config file (default config/default.toml; built-in defaults when
    /// that file is absent).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// HTTP listen address (`node.listen`, default 127.0.0.1:9898; port 0
    /// picks a free port, printed on stdout).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Market speed (`node.speed`): 60 = one 1m candle per second.
    #[arg(long)]
    pub speed: Option<f64>,
    /// Event-store directory (`node.data_dir`, default ./data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Runs the node.
///
/// # Errors
/// A bad config or a start-up failure.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut cfg = match &args.config {
        Some(p) => NodeConfig::load(p)?,
        None => {
            let p = PathBuf::from("config/default.toml");
            if p.exists() {
                NodeConfig::load(&p)?
            } else {
                NodeConfig::default()
            }
        }
    };
    if let Some(l) = args.listen {
        cfg.node.listen = l;
    }
    if let Some(s) = args.speed {
        cfg.node.speed = s;
    }
    if let Some(d) = &args.data_dir {
        cfg.node.data_dir.clone_from(d);
    }
    cfg.validate()?;
    node::run(cfg)
}

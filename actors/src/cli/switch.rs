//! `qtrade halt` and `qtrade resume`: the kill switch of a running node.
//! `halt` cancels every working entry, closes every position and refuses
//! entries until `resume`; the halt is stored, so it survives a restart.
//! The admin token comes from `QTRADE_ADMIN_TOKEN` (never a flag: command
//! lines are visible to every user of the machine).

use super::http_client;
use crate::node::store::NODE_URL_FILE;
use anyhow::{Context as _, bail};
use clap::Parser;
use std::path::PathBuf;

/// Arguments of `qtrade halt` and `qtrade resume`.
#[derive(Debug, Parser)]
pub struct Args {
    /// The node's base URL; by default read from DATA_DIR/node.url.
    #[arg(long, conflicts_with = "data_dir")]
    pub url: Option<String>,
    /// The node's data directory (`node.data_dir`), whose `node.url` names
    /// the running node.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Who is pulling the switch (recorded in the event log).
    #[arg(long, default_value = "operator")]
    pub by: String,
    /// The admin token (the node's `node.admin_token`).
    #[arg(
        long = "token-from-env",
        env = "QTRADE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub token: String,
}

/// Posts `/halt` (`halt = true`) or `/resume` and prints the node's answer.
///
/// # Errors
/// No node, a refused token, or the node failing to commit the switch.
pub fn run(args: &Args, halt: bool) -> anyhow::Result<()> {
    let base = match &args.url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let f = args.data_dir.join(NODE_URL_FILE);
            std::fs::read_to_string(&f)
                .with_context(|| format!("no running node: cannot read {}", f.display()))?
                .trim()
                .to_owned()
        }
    };
    let token = std::env::var("QTRADE_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .context("set QTRADE_ADMIN_TOKEN to the node's admin token")?;
    let path = if halt { "halt" } else { "resume" };
    let by: String = args
        .by
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.@".contains(*c))
        .collect();
    let url = format!("{base}/{path}?by={by}");
    let r = http_client::post(&url, Some(&token))
        .with_context(|| format!("cannot reach a node at {base}"))?;
    let body = String::from_utf8_lossy(&r.body);
    match r.status {
        200 => {
            println!("{}", body.trim());
            Ok(())
        }
        401 => bail!("{base} refused the token (401)"),
        s => bail!("{base}/{path} answered {s}: {}", body.trim()),
    }
}

//! Command-line parsing and dispatch: one module per subcommand, each with
//! its clap `Args` and a `run` returning `anyhow::Result`.
//!
//! Every failure ends the process with one line on stderr
//! (`qtrade: error: ...`) and a non-zero status: 2 for a command line clap
//! refuses, 1 for anything else.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod backtest;
pub mod events;
pub mod fetch;
pub mod fit_breakout;
pub mod http_client;
pub mod indicators;
pub mod inspect;
pub mod kernels;
pub mod progress;
pub mod run;
pub mod sim_exchange;
pub mod switch;
pub mod time_arg;

/// The QuantumTrade trading node and its tools.
#[derive(Debug, Parser)]
#[command(name = "qtrade", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `qtrade`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the indicator battery over a kline CSV file and print it as CSV.
    Indicators(indicators::Args),
    /// Serve a Binance USDⓈ-M compatible exchange (synthetic market) on loopback.
    SimExchange(sim_exchange::Args),
    /// Run the node (offline on the synthetic market by default).
    Run(run::Args),
    /// Fit the breakout model on kline files and store it in a config file.
    FitBreakout(fit_breakout::Args),
    /// Download historical klines into Binance-layout CSV files (resumable).
    Fetch(fetch::Args),
    /// Replay kline files through a strategy and write a JSON and HTML report.
    Backtest(backtest::Args),
    /// Print the node's event store (or its dead letters), one line per record.
    Events(events::Args),
    /// Print a running node's actors as a table (from its /actors endpoint).
    Inspect(inspect::Args),
    /// Compile the CUDA kernels to PTX with NVRTC and print their sizes.
    Kernels(kernels::Args),
    /// Kill switch: cancel entries, close every position and halt trading
    /// (token from QTRADE_ADMIN_TOKEN); the halt survives restarts.
    Halt(switch::Args),
    /// Resume trading after a halt (token from QTRADE_ADMIN_TOKEN).
    Resume(switch::Args),
}

/// Parses the command line, runs the subcommand and turns its outcome into
/// the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprintln!("qtrade: {}", one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        Command::Indicators(args) => indicators::run(&args),
        Command::SimExchange(args) => sim_exchange::run(&args),
        Command::Run(args) => run::run(&args),
        Command::FitBreakout(args) => fit_breakout::run(&args),
        Command::Fetch(args) => fetch::run(&args),
        Command::Backtest(args) => backtest::run(&args),
        Command::Events(args) => events::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Kernels(args) => kernels::run(&args),
        Command::Halt(args) => switch::run(&args, true),
        Command::Resume(args) => switch::run(&args, false),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qtrade: error: {}", one_line(&chain_message(&e)));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by `: `, skipping a cause whose text the
/// message already ends with (errors such as `KlineCsvError::Io` print their
/// source themselves).
fn chain_message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.is_empty() {
            msg = text;
        } else if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
    }
    msg
}

/// A (clap or error chain) message on one line: the lines before clap's
/// `Usage:` / `For more information` trailer, trimmed and joined by spaces.
fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_fold_to_one_line() {
        let msg = "error: the following required arguments were not provided:\n  --candles <FILE>\n\nUsage: qtrade indicators --candles <FILE>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(msg),
            "error: the following required arguments were not provided: --candles <FILE>"
        );
    }

    #[test]
    fn repeated_causes_print_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(quantumtrade::market::kline_csv::KlineCsvError::Io {
            file: "f.csv".into(),
            source: io,
        })
        .context("cannot read candles");
        assert_eq!(chain_message(&e), "cannot read candles: f.csv: gone");
    }

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! `qtrade fit-breakout`: fits the breakout-probability model on kline CSV
//! files and stores its coefficients, with the fit's quality, as the
//! `[breakout]` section of a node config file.
//!
//! Each file is one symbol; candles are aggregated to `--timeframe` (the
//! node's breakout analysis runs on 5m). Each symbol's candles are split in
//! time: the earliest `--train-fraction` trains, the rest is held out, so
//! the reported test quality is out of sample. The config file keeps every
//! other line (comments included); only its `[breakout...]` tables are
//! replaced.

use anyhow::{Context, bail};
use quantumtrade::analysis::breakout::{
    BreakoutConfig, BreakoutSettings, FEATURE_NAMES, FitSummary, fit_breakout,
};
use quantumtrade::market::aggregate::{aggregate, check_target};
use quantumtrade::market::kline_csv::read_klines_path;
use quantumtrade::market::{Candle, Interval};
use std::path::{Path, PathBuf};

/// Arguments of `qtrade fit-breakout`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kline CSV files (one symbol each), or directories whose files named
    /// `*-<timeframe>.csv[.gz]` or `*-1m.csv[.gz]` are taken.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Timeframe to fit on.
    #[arg(long, default_value = "5m", value_name = "TF")]
    pub timeframe: Interval,
    /// Fraction of each symbol's candles (the earliest) used for training.
    #[arg(long, default_value_t = 0.7)]
    pub train_fraction: f64,
    /// L2 penalty of the logistic fit.
    #[arg(long, default_value_t = 1.0)]
    pub l2: f64,
    /// Config file whose `[breakout]` section is replaced.
    #[arg(long, default_value = "config/default.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// Print the section instead of writing the config file.
    #[arg(long)]
    pub dry_run: bool,
}

/// The files a path names: itself, or a directory's kline files for `tf`
/// (preferring the timeframe's own file over a 1m one of the same symbol).
fn candle_files(path: &Path, tf: Interval) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut by_symbol = std::collections::BTreeMap::new();
    for entry in
        std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
    {
        let p = entry?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let stem = name.trim_end_matches(".gz").trim_end_matches(".csv");
        let Some((symbol, interval)) = stem.rsplit_once('-') else {
            continue;
        };
        let own = interval == tf.as_str();
        if own || interval == "1m" {
            let slot = by_symbol
                .entry(symbol.to_owned())
                .or_insert((false, p.clone()));
            if own && !slot.0 {
                *slot = (true, p);
            }
        }
    }
    Ok(by_symbol.into_values().map(|(_, p)| p).collect())
}

/// Replaces the `[breakout]` tables of a TOML text (every table whose
/// header starts `[breakout` up to the next other table) with `section`,
/// appended at the end; every other line stays as it was.
fn replace_section(text: &str, section: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            skipping = t.starts_with("[breakout]") || t.starts_with("[breakout.");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(section);
    out
}

/// Runs the command.
///
/// # Errors
/// Unreadable or invalid files, too little data, a failed fit, or a config
/// file that cannot be read, parsed or written.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if !(0.05..=0.95).contains(&args.train_fraction) {
        bail!("--train-fraction must be within 0.05..0.95");
    }
    let mut files = Vec::new();
    for p in &args.paths {
        files.extend(candle_files(p, args.timeframe)?);
    }
    if files.is_empty() {
        bail!("no kline files found in the given paths");
    }
    let bar = super::progress::bar(files.len() as u64, "files", "reading");
    let mut series: Vec<Vec<Candle>> = Vec::with_capacity(files.len());
    for f in &files {
        let candles = read_klines_path(f)?;
        check_target(&candles, args.timeframe).with_context(|| f.display().to_string())?;
        series.push(aggregate(&candles, args.timeframe));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let analysis = BreakoutConfig::default();
    let fit = fit_breakout(&series, analysis, args.train_fraction, args.l2)
        .context("the breakout fit failed")?;
    eprintln!(
        "qtrade: fitted on {} files ({} train / {} held-out samples, {})",
        files.len(),
        fit.train.samples,
        fit.test.samples,
        args.timeframe
    );
    for (name, q) in [("train", &fit.train), ("held-out", &fit.test)] {
        eprintln!(
            "  {name:>8}: AUC {:.4}  log loss {:.4} (base rate {:.4}: {:.4})  Brier {:.4}",
            q.auc, q.log_loss, q.base_rate, q.base_log_loss, q.brier
        );
    }
    for (n, c) in FEATURE_NAMES.iter().zip(&fit.model.coefficients) {
        eprintln!("  {n:>24} {c:+.6}");
    }
    eprintln!("  {:>24} {:+.6}", "intercept", fit.model.intercept);
    let settings = BreakoutSettings {
        analysis,
        model: fit.model,
        fit: Some(FitSummary {
            symbols: files.len(),
            timeframe: args.timeframe.as_str().to_owned(),
            train_fraction: args.train_fraction,
            l2: args.l2,
            train: fit.train,
            test: fit.test,
        }),
    };
    #[derive(serde::Serialize)]
    struct Wrapper<'a> {
        breakout: &'a BreakoutSettings,
    }
    let body = toml::to_string(&Wrapper {
        breakout: &settings,
    })
    .context("cannot write the section as TOML")?;
    // The comment goes inside the first table so that a refit, which drops
    // the [breakout...] tables, drops it too.
    let (first, rest) = body.split_once('\n').unwrap_or((&body, ""));
    let section = format!(
        "{first}\n# Breakout model, written by `qtrade fit-breakout` (features: {}).\n# Refit: qtrade fit-breakout --config <this file> <kline files or dirs>\n{rest}",
        FEATURE_NAMES.join(", "),
    );
    if args.dry_run {
        print!("{section}");
        return Ok(());
    }
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read config {}", args.config.display()))?;
    let new = replace_section(&text, &section);
    // The result must still be a valid node config before it replaces one.
    let cfg: crate::node::config::NodeConfig =
        toml::from_str(&new).context("the updated config does not parse")?;
    cfg.validate()?;
    let tmp = args.config.with_extension("toml.tmp");
    std::fs::write(&tmp, &new).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.config)
        .with_context(|| format!("cannot replace {}", args.config.display()))?;
    eprintln!("qtrade: wrote [breakout] to {}", args.config.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_breakout_tables() {
        let text = "# head\n[node]\nspeed = 1.0\n\n[breakout.model]\nintercept = 0.0\n\n[breakout.fit.train]\nauc = 0.5\n[top]\ncount = 5\n";
        let out = replace_section(text, "[breakout.model]\nintercept = 1.0\n");
        assert_eq!(
            out,
            "# head\n[node]\nspeed = 1.0\n\n[top]\ncount = 5\n\n[breakout.model]\nintercept = 1.0\n"
        );
        let again = replace_section(&out, "[breakout.model]\nintercept = 2.0\n");
        assert!(again.contains("intercept = 2.0") && !again.contains("intercept = 1.0"));
        assert_eq!(replace_section("", "[breakout]\n"), "[breakout]\n");
    }
}

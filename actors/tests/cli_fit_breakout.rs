//! `qtrade fit-breakout` end to end: fits on the shipped real candle files,
//! rewrites only the `[breakout]` tables of a config copy, and the node's
//! config loader accepts the result.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn qtrade(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qtrade"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn fits_and_stores_the_model_with_its_quality() {
    let dir = std::env::temp_dir().join(format!("qtrade-fit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("node.toml");
    let original = std::fs::read_to_string(repo().join("config/default.toml")).unwrap();
    std::fs::write(&config, &original).unwrap();
    let golden = repo().join("tests/data/golden");
    let inputs: Vec<String> = ["btcusdt_1m", "bttusdt_1m", "brdbtc_1m"]
        .iter()
        .map(|n| {
            golden
                .join(format!("{n}.input.csv.gz"))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["fit-breakout", "--timeframe", "5m", "--config"];
    let cfg = config.display().to_string();
    args.push(&cfg);
    args.extend(inputs.iter().map(String::as_str));
    let out = qtrade(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("held-out: AUC"), "{stderr}");

    let text = std::fs::read_to_string(&config).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    let b = &v["breakout"];
    let coefficients = b["model"]["coefficients"].as_array().unwrap();
    assert_eq!(coefficients.len(), 5);
    assert!(
        coefficients
            .iter()
            .all(|c| c.as_float().unwrap().is_finite())
    );
    assert_eq!(b["fit"]["symbols"].as_integer(), Some(3));
    assert_eq!(b["fit"]["timeframe"].as_str(), Some("5m"));
    let test = &b["fit"]["test"];
    assert!(test["samples"].as_integer().unwrap() > 100);
    let auc = test["auc"].as_float().unwrap();
    assert!((0.0..=1.0).contains(&auc));
    // Everything outside [breakout] is kept, comments included.
    let before_breakout = original.split("\n# Breakout model").next().unwrap();
    assert!(text.starts_with(before_breakout.trim_end()));
    // A second fit replaces the section rather than adding one.
    let out = qtrade(&args);
    assert!(out.status.success());
    let again = std::fs::read_to_string(&config).unwrap();
    assert_eq!(again.matches("[breakout.model]").count(), 1);
    assert_eq!(again, text, "the same data gives the same fit");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_candle_file_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("qtrade-fit-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("BAD-1m.csv");
    let good =
        std::fs::read_to_string(repo().join("tests/data/sample/BTCUSDT-1m-sample.csv")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines[7] = "not,a,kline";
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let config = dir.join("node.toml");
    std::fs::write(&config, "").unwrap();
    let out = qtrade(&[
        "fit-breakout",
        "--config",
        &config.display().to_string(),
        &bad.display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("BAD-1m.csv") && stderr.contains("line 8"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "",
        "config untouched"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

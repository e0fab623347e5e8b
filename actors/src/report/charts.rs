//! The report's charts, drawn by plotters into SVG strings. Text uses a
//! DejaVu Sans compiled into the binary (ab_glyph), so charts render the
//! same on a machine with no fonts installed.

use anyhow::anyhow;
use plotters::prelude::*;
use plotters::style::FontStyle;
use quantumtrade::backtest::report::ReportTrade;
use quantumtrade::events::summary::utc_ms;
use quantumtrade::market::Candle;
use std::collections::BTreeMap;
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const W: u32 = 960;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; failing to parse it is a build defect.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Turns plotters' error into anyhow's.
fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("chart: {e:?}")
}

fn day(ms: &i64) -> String {
    utc_ms(*ms)[..16].replace('T', " ")
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 1.0, hi + 1.0)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

/// Equity (top) and drawdown (bottom, percent) over time.
///
/// # Errors
/// A drawing failure.
pub fn equity_and_drawdown(
    equity: &[(i64, f64)],
    drawdown: &[(i64, f64)],
) -> anyhow::Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (top, bottom) = root.split_vertically(320);
        let (t0, t1) = (
            equity.first().map_or(0, |e| e.0),
            equity
                .last()
                .map_or(1, |e| e.0)
                .max(equity.first().map_or(0, |e| e.0) + 1),
        );
        let (lo, hi) = range(equity.iter().map(|e| e.1));
        let mut c = ChartBuilder::on(&top)
            .caption("Equity", ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(80)
            .build_cartesian_2d(t0..t1, lo..hi)
            .map_err(err)?;
        c.configure_mesh()
            .x_labels(6)
            .x_label_formatter(&day)
            .draw()
            .map_err(err)?;
        c.draw_series(LineSeries::new(equity.iter().copied(), &BLUE))
            .map_err(err)?;
        let worst = drawdown.iter().map(|d| d.1).fold(0.0, f64::max) * 100.0;
        let mut d = ChartBuilder::on(&bottom)
            .caption("Drawdown, %", ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(80)
            .build_cartesian_2d(t0..t1, -(worst.max(0.01) * 1.05)..0.0)
            .map_err(err)?;
        d.configure_mesh()
            .x_labels(6)
            .x_label_formatter(&day)
            .draw()
            .map_err(err)?;
        d.draw_series(AreaSeries::new(
            drawdown.iter().map(|&(t, v)| (t, -v * 100.0)),
            0.0,
            RED.mix(0.3),
        ))
        .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Net PnL per symbol as bars (green up, red down).
///
/// # Errors
/// A drawing failure.
pub fn pnl_by_symbol(pnl: &BTreeMap<String, f64>) -> anyhow::Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let names: Vec<&String> = pnl.keys().collect();
        let (lo, hi) = range(pnl.values().copied().chain([0.0]));
        let n = names.len().max(1);
        let mut c = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..n as f64, lo..hi)
            .map_err(err)?;
        c.configure_mesh()
            .x_labels(n.min(40))
            .x_label_formatter(&|x| {
                names
                    .get(x.floor() as usize)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            })
            .disable_x_mesh()
            .draw()
            .map_err(err)?;
        c.draw_series(pnl.values().enumerate().map(|(i, &v)| {
            let colour = if v >= 0.0 { GREEN } else { RED };
            Rectangle::new(
                [(i as f64 + 0.1, 0.0), (i as f64 + 0.9, v)],
                colour.filled(),
            )
        }))
        .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Closes of a symbol with its entries (green triangles) and exits (red
/// circles).
///
/// # Errors
/// A drawing failure.
pub fn trades_on_price(candles: &[Candle], trades: &[&ReportTrade]) -> anyhow::Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let t0 = candles.first().map_or(0, |c| c.open_time);
        let t1 = candles.last().map_or(1, |c| c.open_time).max(t0 + 1);
        let (lo, hi) = range(candles.iter().map(|c| c.close));
        let mut c = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(80)
            .build_cartesian_2d(t0..t1, lo..hi)
            .map_err(err)?;
        c.configure_mesh()
            .x_labels(6)
            .x_label_formatter(&day)
            .draw()
            .map_err(err)?;
        // A long history is thinned to at most ~4 points per pixel column.
        let step = (candles.len() / (W as usize * 4)).max(1);
        c.draw_series(LineSeries::new(
            candles.iter().step_by(step).map(|k| (k.open_time, k.close)),
            &BLACK.mix(0.7),
        ))
        .map_err(err)?;
        c.draw_series(
            trades
                .iter()
                .map(|t| TriangleMarker::new((t.entry_time, t.entry_price), 5, GREEN.filled())),
        )
        .map_err(err)?;
        c.draw_series(
            trades
                .iter()
                .filter_map(|t| Some(Circle::new((t.exit_time?, t.exit_price?), 4, RED.filled()))),
        )
        .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

//! The report's charts, drawn by plotters into SVG strings. Text uses a
//! DejaVu Sans compiled into the binary (ab_glyph), so charts render the
//! same on a machine with no fonts installed.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
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

/// A chart with time (ms) across and `y` up, the report's margins and a
/// date-labelled mesh drawn.
type TimeChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordi64, RangedCoordf64>>;

fn time_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: Option<(&str, u32)>,
    x: std::ops::Range<i64>,
    y: std::ops::Range<f64>,
) -> anyhow::Result<TimeChart<'a, 'b>> {
    let mut builder = ChartBuilder::on(area);
    if let Some((text, size)) = caption {
        builder.caption(text, ("sans-serif", size));
    }
    let mut c = builder
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    c.configure_mesh()
        .x_labels(6)
        .x_label_formatter(&day)
        .draw()
        .map_err(err)?;
    Ok(c)
}

/// The time span of a series, at least 1 ms wide.
fn span(first: Option<i64>, last: Option<i64>) -> std::ops::Range<i64> {
    let t0 = first.unwrap_or(0);
    t0..last.unwrap_or(1).max(t0 + 1)
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
        let x = span(equity.first().map(|e| e.0), equity.last().map(|e| e.0));
        let (lo, hi) = range(equity.iter().map(|e| e.1));
        let mut c = time_chart(&top, Some(("Equity", 16)), x.clone(), lo..hi)?;
        c.draw_series(LineSeries::new(equity.iter().copied(), &BLUE))
            .map_err(err)?;
        let worst = drawdown.iter().map(|d| d.1).fold(0.0, f64::max) * 100.0;
        let mut d = time_chart(
            &bottom,
            Some(("Drawdown, %", 14)),
            x,
            -(worst.max(0.01) * 1.05)..0.0,
        )?;
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
        let x = span(
            candles.first().map(|c| c.open_time),
            candles.last().map(|c| c.open_time),
        );
        let (lo, hi) = range(candles.iter().map(|c| c.close));
        let mut c = time_chart(&root, None, x, lo..hi)?;
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

//! The backtest report as one self-contained HTML page: the metrics, the
//! charts ([`charts`], SVG drawn with plotters, inlined) and the trades.

pub mod charts;

use quantumtrade::backtest::report::Report;
use quantumtrade::events::summary::utc_ms;
use quantumtrade::market::Candle;
use std::fmt::Write as _;

/// Trades listed in the page's table (all of them are in report.json).
const TRADE_ROWS: usize = 500;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v.is_infinite() {
        "∞".into()
    } else {
        format!("{v:.4}")
    }
}

/// Renders the page; `prices` are the candles of the symbols whose trades
/// are drawn on price (at most a few: one chart each).
///
/// # Errors
/// A chart that plotters cannot draw.
pub fn render(report: &Report, prices: &[(String, &[Candle])]) -> anyhow::Result<String> {
    let m = &report.metrics;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>qtrade backtest: {}</title>\
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}\
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}th{{background:#f3f3f3}}\
.chart{{margin:1em 0}}</style></head><body><h1>Backtest: {} on {} symbol(s)</h1>\
<p>{} candles replayed in {:.3} s ({:.0} candles/s).</p><h2>Metrics</h2><table>",
        esc(&report.strategy),
        esc(&report.strategy),
        report.symbols.len(),
        report.candles,
        report.elapsed_s,
        report.candles_per_second
    );
    let rows: [(&str, String); 17] = [
        ("initial equity", num(m.initial_equity)),
        ("final equity", num(m.final_equity)),
        ("total return", num(m.total_return)),
        ("annualized return", num(m.annualized_return)),
        ("Sharpe", num(m.sharpe)),
        ("Sortino", num(m.sortino)),
        ("Calmar", num(m.calmar)),
        ("max drawdown", num(m.max_drawdown)),
        (
            "max drawdown duration",
            format!("{:.1} h", m.max_drawdown_duration_ms as f64 / 3.6e6),
        ),
        ("closed trades", m.trades.to_string()),
        ("win rate", num(m.win_rate)),
        ("profit factor", num(m.profit_factor)),
        ("average trade", num(m.average_trade)),
        ("exposure", num(m.exposure)),
        ("turnover", num(m.turnover)),
        ("fees", num(m.fees)),
        ("funding", num(m.funding)),
    ];
    for (k, v) in rows {
        let _ = write!(html, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    html.push_str("</table><h2>Equity and drawdown</h2><div class=\"chart\">");
    html.push_str(&charts::equity_and_drawdown(
        &report.equity,
        &report.drawdown,
    )?);
    html.push_str("</div><h2>PnL by symbol</h2><div class=\"chart\">");
    html.push_str(&charts::pnl_by_symbol(&report.pnl_by_symbol)?);
    html.push_str("</div>");
    for (sym, candles) in prices {
        let _ = write!(
            html,
            "<h2>Trades on price: {}</h2><div class=\"chart\">",
            esc(sym)
        );
        let trades: Vec<_> = report.trades.iter().filter(|t| &t.symbol == sym).collect();
        html.push_str(&charts::trades_on_price(candles, &trades)?);
        html.push_str("</div>");
    }
    let _ = write!(
        html,
        "<h2>Trades</h2><p>{} trades{}.</p><table><tr><th>symbol</th><th>side</th><th>qty</th>\
<th>entry time</th><th>entry price</th><th>exit time</th><th>exit price</th><th>pnl</th><th>fees</th></tr>",
        report.trades.len(),
        if report.trades.len() > TRADE_ROWS {
            format!(", the first {TRADE_ROWS} listed (all are in report.json)")
        } else {
            String::new()
        }
    );
    for t in report.trades.iter().take(TRADE_ROWS) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.symbol),
            t.side,
            t.qty,
            utc_ms(t.entry_time),
            t.entry_price,
            t.exit_time.map_or("open".into(), utc_ms),
            t.exit_price.map_or("–".into(), |p| p.to_string()),
            num(t.pnl),
            num(t.fees)
        );
    }
    html.push_str("</table></body></html>\n");
    Ok(html)
}

//! The risk desk: enforced, not reported. It sizes every entry signal from
//! its ATR stop, fits it into the portfolio's one-day VaR budget, checks it
//! against the limits ([`RiskState::check_entry`]) and turns it into an
//! order request or a rejection; equity updates may halt entries or
//! flatten; the kill switch halts and flattens until an operator resumes.
//! The RiskActor is its shell.

use super::event::OrderRequest;
use crate::exchange::binance::filters::{OrderKind, SymbolRules};
use crate::market::Symbol;
use crate::risk::limits::{
    EntryRequest, OpenPosition, Rejection, RiskAction, RiskDecision, RiskLimits, RiskState,
};
use crate::risk::sizing::{PositionSide, SizingConfig, size_position};
use crate::risk::var;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The share of the VaR budget an entry is fitted to.
pub const VAR_HEADROOM: f64 = 0.9;

/// The desk's knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskDeskConfig {
    /// Sizing.
    pub sizing: SizingConfig,
    /// Limits.
    pub limits: RiskLimits,
    /// VaR horizon in 1m periods (1,440 = one day).
    pub var_horizon_minutes: f64,
    /// Take-profit this many R (stop distances) from the entry, held at the
    /// venue with the stop; 0: none.
    pub take_profit_r: f64,
}

/// What the gate needs to know about the market and the book.
pub struct GateInput<'a> {
    /// Market time, ms.
    pub at: i64,
    /// Equity now.
    pub equity: f64,
    /// The entry's decision price (the last close).
    pub price: f64,
    /// The symbol's ATR (stop distance).
    pub atr: f64,
    /// The symbol's exchange rules.
    pub rules: &'a SymbolRules,
    /// Open positions at their marks.
    pub open: &'a [OpenPosition],
    /// Recent 1m returns per symbol (VaR).
    pub returns: &'a BTreeMap<Symbol, &'a [f64]>,
    /// Correlation of two symbols' returns, when known.
    pub correlation: &'a dyn Fn(&Symbol, &Symbol) -> Option<f64>,
}

/// The gate's answer to one entry signal.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryDecision {
    /// Send this order.
    Order(OrderRequest),
    /// Do not enter.
    Rejected(Rejection),
}

/// The desk's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskDesk {
    cfg: RiskDeskConfig,
    state: RiskState,
}

impl RiskDesk {
    /// A desk starting at `equity` at `now_ms`.
    #[must_use]
    pub fn new(cfg: RiskDeskConfig, equity: f64, now_ms: i64) -> Self {
        Self {
            cfg,
            state: RiskState::new(equity, now_ms),
        }
    }

    /// The risk state (halt, peak, day).
    #[must_use]
    pub fn state(&self) -> &RiskState {
        &self.state
    }

    /// Whether entries are halted.
    #[must_use]
    pub fn halted(&self) -> bool {
        self.state.halt.is_some()
    }

    /// Takes equity; a crossed limit halts entries or flattens.
    pub fn on_equity(&mut self, at: i64, equity: f64) -> Option<RiskAction> {
        self.state.on_equity(at, equity, &self.cfg.limits)
    }

    /// The kill switch.
    pub fn kill(&mut self, by: &str) -> RiskAction {
        self.state.kill(by)
    }

    /// An operator's reset.
    pub fn resume(&mut self, equity: f64) {
        self.state.resume(equity);
    }

    /// Sizes and gates one entry of `symbol` on `side`.
    #[must_use]
    pub fn gate(&self, symbol: &Symbol, side: PositionSide, g: &GateInput<'_>) -> EntryDecision {
        let sized = match size_position(side, g.equity, g.price, g.atr, &self.cfg.sizing, g.rules) {
            Ok(s) => s,
            Err(e) => {
                // Halts still say why they refused, whatever the sizing says.
                if let Some(h) = &self.state.halt {
                    return EntryDecision::Rejected(Rejection::Halted(h.clone()));
                }
                return EntryDecision::Rejected(Rejection::Unsized {
                    reason: e.to_string(),
                });
            }
        };
        // Fit the entry into the VaR budget first: VaR grows with the
        // entry's notional, so scale it by budget / VaR once and check
        // again (the gate still refuses what does not fit, e.g. when the
        // open positions alone use the budget). The fit aims at
        // VAR_HEADROOM of the budget: a book sized to the last dollar of
        // it would cross the limit, and raise the critical
        // RISK_LIMIT_BREACH alert, on the next small move.
        let budget = self.cfg.limits.max_var_fraction * g.equity;
        let mut notional = sized.notional;
        let mut var_with_entry = self.var_with(g.open, symbol, side, notional, g.returns);
        if var_with_entry > budget && var_with_entry.is_finite() {
            notional *= VAR_HEADROOM * budget / var_with_entry;
            var_with_entry = self.var_with(g.open, symbol, side, notional, g.returns);
        }
        let correlations = g
            .open
            .iter()
            .map(|p| {
                (
                    p.symbol.clone(),
                    (g.correlation)(symbol, &p.symbol).unwrap_or(f64::NAN),
                )
            })
            .collect();
        let req = EntryRequest {
            symbol: symbol.clone(),
            side,
            notional,
            var_with_entry,
            correlations,
        };
        let decision = match self
            .state
            .check_entry(&req, g.open, g.equity, &self.cfg.limits)
        {
            RiskDecision::Approve if notional < sized.notional => RiskDecision::Resize {
                notional,
                by: "var".into(),
            },
            d => d,
        };
        let qty = match decision {
            RiskDecision::Approve => sized.qty,
            RiskDecision::Resize { notional, by } => {
                let q = g
                    .rules
                    .round_qty(notional / g.price, OrderKind::Market)
                    .map(|q| q.value().to_f64())
                    .unwrap_or(0.0);
                let min = g.rules.min_notional.map_or(0.0, |d| d.to_f64());
                if q <= 0.0 || q * g.price < min {
                    return EntryDecision::Rejected(Rejection::TooSmall { by });
                }
                q
            }
            RiskDecision::Reject(r) => return EntryDecision::Rejected(r),
        };
        let order = OrderRequest::entry(symbol.clone(), side, qty, g.price, sized.stop, g.at);
        let r = self.cfg.take_profit_r;
        EntryDecision::Order(if r > 0.0 {
            order.with_take_profit(g.price + side.sign() * r * (g.price - sized.stop).abs())
        } else {
            order
        })
    }

    /// One-day VaR (worst of the four) of the open positions alone (0 when
    /// flat).
    #[must_use]
    pub fn portfolio_var(&self, open: &[OpenPosition], returns: &BTreeMap<Symbol, &[f64]>) -> f64 {
        let (exposures, series) = exposures(open, returns);
        if exposures.is_empty() {
            return 0.0;
        }
        var::portfolio(&exposures, &series, self.cfg.var_horizon_minutes)
            .map_or(f64::NAN, |v| v.worst())
    }

    /// The VaR limit at `equity`, money.
    #[must_use]
    pub fn var_limit(&self, equity: f64) -> f64 {
        self.cfg.limits.max_var_fraction * equity
    }

    /// One-day portfolio VaR (worst of the four) with the entry added.
    fn var_with(
        &self,
        open: &[OpenPosition],
        s: &Symbol,
        side: PositionSide,
        notional: f64,
        returns: &BTreeMap<Symbol, &[f64]>,
    ) -> f64 {
        let (mut exposures, mut series) = exposures(open, returns);
        let Some(&r) = returns.get(s) else {
            return f64::NAN;
        };
        exposures.push(side.sign() * notional);
        series.push(r);
        var::portfolio(&exposures, &series, self.cfg.var_horizon_minutes)
            .map_or(f64::NAN, |v| v.worst())
    }
}

/// Signed notionals of the open positions whose returns are known, and
/// those returns (VaR's inputs).
fn exposures<'a>(
    open: &[OpenPosition],
    returns: &BTreeMap<Symbol, &'a [f64]>,
) -> (Vec<f64>, Vec<&'a [f64]>) {
    open.iter()
        .filter_map(|p| {
            returns
                .get(&p.symbol)
                .map(|&r| (p.side.sign() * p.notional, r))
        })
        .unzip()
}

//! The entry gate and the halts. Pure: the RiskActor feeds it equity, the
//! open positions and each proposed entry (with the portfolio VaR and the
//! correlations it would have), and acts on what comes out.
//!
//! Entry checks, in order (the first failure rejects):
//! 1. not halted (daily loss, drawdown or kill switch);
//! 2. no position already open in the symbol, and fewer than
//!    `max_open_positions` open;
//! 3. |correlation| with every open position below `max_abs_correlation`;
//! 4. portfolio VaR (one day, the worst of historical/parametric at 95/99%)
//!    with the entry at most `max_var_fraction` of equity;
//! 5. gross exposure (Σ|notional|) at most `max_gross_exposure`·equity and
//!    |net exposure| at most `max_net_exposure`·equity: an entry that would
//!    go over is resized to the room left, or rejected when no room is left.
//!
//! Halts: equity below the day's starting equity by `daily_loss_limit` (UTC
//! days) halts entries; below the peak by `max_drawdown` halts and flattens;
//! the kill switch halts and flattens. A halt stays until an operator
//! resumes (the state is serialisable so the node persists it across
//! restarts).

use super::sizing::PositionSide;
use crate::market::Symbol;
use serde::{Deserialize, Serialize};

/// Limits; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskLimits {
    /// Most positions open at once.
    pub max_open_positions: usize,
    /// Σ|notional| at most this times equity.
    pub max_gross_exposure: f64,
    /// |Σ signed notional| at most this times equity.
    pub max_net_exposure: f64,
    /// One-day portfolio VaR at most this fraction of equity.
    pub max_var_fraction: f64,
    /// |correlation| of a new position with an open one below this.
    pub max_abs_correlation: f64,
    /// Loss from the UTC day's starting equity that halts entries.
    pub daily_loss_limit: f64,
    /// Drawdown from peak equity that halts and flattens.
    pub max_drawdown: f64,
}

impl Default for RiskLimits {
    fn default() -> Self {
        Self {
            max_open_positions: 5,
            max_gross_exposure: 3.0,
            max_net_exposure: 2.0,
            max_var_fraction: 0.02,
            max_abs_correlation: 0.7,
            daily_loss_limit: 0.03,
            max_drawdown: 0.10,
        }
    }
}

/// An open position as the gate sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenPosition {
    /// Symbol.
    pub symbol: Symbol,
    /// Side.
    pub side: PositionSide,
    /// Notional at the mark price (positive).
    pub notional: f64,
}

/// A proposed entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryRequest {
    /// Symbol.
    pub symbol: Symbol,
    /// Side.
    pub side: PositionSide,
    /// Notional the sizing gave (positive).
    pub notional: f64,
    /// One-day portfolio VaR with this entry added (money).
    pub var_with_entry: f64,
    /// Correlation with each open position (symbol, ρ; NaN when unknown).
    pub correlations: Vec<(Symbol, f64)>,
}

/// Why trading halted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HaltReason {
    /// The day's loss reached the limit.
    DailyLoss {
        /// Loss as a fraction of the day's starting equity.
        loss: f64,
        /// The limit.
        limit: f64,
    },
    /// Drawdown from the peak reached the limit.
    Drawdown {
        /// Drawdown as a fraction of peak equity.
        drawdown: f64,
        /// The limit.
        limit: f64,
    },
    /// An operator pulled the kill switch.
    KillSwitch {
        /// Who or what, as given.
        by: String,
    },
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rejection {
    /// Trading is halted.
    Halted(HaltReason),
    /// A position in the symbol is already open.
    AlreadyOpen,
    /// `max_open_positions` are open.
    MaxPositions(usize),
    /// Too correlated with an open position.
    Correlation {
        /// The open position.
        with: Symbol,
        /// Their correlation.
        rho: f64,
    },
    /// VaR with the entry over the limit.
    Var {
        /// VaR with the entry, money.
        var: f64,
        /// The limit, money.
        limit: f64,
    },
    /// Resized (by the named limit) below what the exchange accepts.
    TooSmall {
        /// The limit that shrank it ("var", "gross", "net").
        by: String,
    },
    /// The sizing could not size it (no ATR yet, below the exchange's
    /// minimums, a stop off the price grid).
    Unsized {
        /// The sizing's error, as text.
        reason: String,
    },
    /// No exposure room left.
    Exposure {
        /// Which ("gross" or "net").
        which: String,
    },
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RiskDecision {
    /// Go ahead as sized.
    Approve,
    /// Go ahead with this smaller notional.
    Resize {
        /// The notional allowed.
        notional: f64,
        /// Which exposure limit bound it.
        by: String,
    },
    /// Do not enter.
    Reject(Rejection),
}

/// What the actor must do after an equity update or a kill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RiskAction {
    /// Stop opening positions (existing ones stay).
    HaltEntries(HaltReason),
    /// Stop opening positions, cancel every order and close every position.
    Flatten(HaltReason),
}

/// The gate's memory: halt, peak equity and the day's starting equity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskState {
    /// The active halt, if any.
    pub halt: Option<HaltReason>,
    /// Highest equity seen.
    pub peak_equity: f64,
    /// UTC day (days since the epoch) of `day_start_equity`.
    pub day: i64,
    /// Equity at the first update of `day`.
    pub day_start_equity: f64,
}

const DAY_MS: i64 = 86_400_000;

impl RiskState {
    /// A state starting at `equity`, at `now_ms`.
    #[must_use]
    pub fn new(equity: f64, now_ms: i64) -> Self {
        Self {
            halt: None,
            peak_equity: equity,
            day: now_ms.div_euclid(DAY_MS),
            day_start_equity: equity,
        }
    }

    /// Takes the current equity; returns a halt when a limit is crossed (once:
    /// an active halt is not raised again).
    pub fn on_equity(
        &mut self,
        now_ms: i64,
        equity: f64,
        limits: &RiskLimits,
    ) -> Option<RiskAction> {
        let day = now_ms.div_euclid(DAY_MS);
        if day != self.day {
            self.day = day;
            self.day_start_equity = equity;
        }
        self.peak_equity = self.peak_equity.max(equity);
        let drawdown = 1.0 - equity / self.peak_equity;
        let loss = 1.0 - equity / self.day_start_equity;
        let escalate = !matches!(
            self.halt,
            Some(HaltReason::Drawdown { .. } | HaltReason::KillSwitch { .. })
        );
        if drawdown >= limits.max_drawdown && escalate {
            let r = HaltReason::Drawdown {
                drawdown,
                limit: limits.max_drawdown,
            };
            self.halt = Some(r.clone());
            return Some(RiskAction::Flatten(r));
        }
        if loss >= limits.daily_loss_limit && self.halt.is_none() {
            let r = HaltReason::DailyLoss {
                loss,
                limit: limits.daily_loss_limit,
            };
            self.halt = Some(r.clone());
            return Some(RiskAction::HaltEntries(r));
        }
        None
    }

    /// The kill switch: halt and flatten.
    pub fn kill(&mut self, by: &str) -> RiskAction {
        let r = HaltReason::KillSwitch { by: by.to_owned() };
        self.halt = Some(r.clone());
        RiskAction::Flatten(r)
    }

    /// An operator's reset: entries allowed again; the peak restarts at
    /// `equity` so the same drawdown does not halt again at once.
    pub fn resume(&mut self, equity: f64) {
        self.halt = None;
        self.peak_equity = equity;
        self.day_start_equity = equity;
    }

    /// Checks an entry against the limits.
    #[must_use]
    pub fn check_entry(
        &self,
        req: &EntryRequest,
        open: &[OpenPosition],
        equity: f64,
        limits: &RiskLimits,
    ) -> RiskDecision {
        if let Some(h) = &self.halt {
            return RiskDecision::Reject(Rejection::Halted(h.clone()));
        }
        if open.iter().any(|p| p.symbol == req.symbol) {
            return RiskDecision::Reject(Rejection::AlreadyOpen);
        }
        if open.len() >= limits.max_open_positions {
            return RiskDecision::Reject(Rejection::MaxPositions(limits.max_open_positions));
        }
        for (s, rho) in &req.correlations {
            // An unknown correlation is not known to be safe.
            if rho.is_nan() || rho.abs() >= limits.max_abs_correlation {
                return RiskDecision::Reject(Rejection::Correlation {
                    with: s.clone(),
                    rho: *rho,
                });
            }
        }
        let var_limit = limits.max_var_fraction * equity;
        // A NaN VaR (unknown) is refused like one over the limit.
        if req.var_with_entry.is_nan() || req.var_with_entry > var_limit {
            return RiskDecision::Reject(Rejection::Var {
                var: req.var_with_entry,
                limit: var_limit,
            });
        }
        let gross: f64 = open.iter().map(|p| p.notional.abs()).sum();
        let net: f64 = open.iter().map(|p| p.side.sign() * p.notional.abs()).sum();
        let gross_room = limits.max_gross_exposure * equity - gross;
        let s = req.side.sign();
        // Room on the net side in the entry's direction.
        let net_room = limits.max_net_exposure * equity - s * net;
        let (room, by) = if gross_room <= net_room {
            (gross_room, "gross")
        } else {
            (net_room, "net")
        };
        if room <= 0.0 {
            return RiskDecision::Reject(Rejection::Exposure { which: by.into() });
        }
        if req.notional > room {
            return RiskDecision::Resize {
                notional: room,
                by: by.into(),
            };
        }
        RiskDecision::Approve
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    fn req(s: &str, notional: f64) -> EntryRequest {
        EntryRequest {
            symbol: sym(s),
            side: PositionSide::Long,
            notional,
            var_with_entry: 10.0,
            correlations: Vec::new(),
        }
    }

    fn pos(s: &str, side: PositionSide, notional: f64) -> OpenPosition {
        OpenPosition {
            symbol: sym(s),
            side,
            notional,
        }
    }

    #[test]
    fn each_entry_limit_rejects_when_breached() {
        let l = RiskLimits::default();
        let st = RiskState::new(10_000.0, 0);
        assert_eq!(
            st.check_entry(&req("AUSDT", 1_000.0), &[], 10_000.0, &l),
            RiskDecision::Approve
        );
        let open: Vec<OpenPosition> = ["BUSDT", "CUSDT", "DUSDT", "EUSDT", "FUSDT"]
            .iter()
            .map(|s| pos(s, PositionSide::Long, 100.0))
            .collect();
        assert_eq!(
            st.check_entry(&req("AUSDT", 100.0), &open, 10_000.0, &l),
            RiskDecision::Reject(Rejection::MaxPositions(5))
        );
        assert_eq!(
            st.check_entry(&req("BUSDT", 100.0), &open[..1], 10_000.0, &l),
            RiskDecision::Reject(Rejection::AlreadyOpen)
        );
        let mut r = req("AUSDT", 100.0);
        r.correlations = vec![(sym("BUSDT"), -0.75)];
        assert!(matches!(
            st.check_entry(&r, &open[..1], 10_000.0, &l),
            RiskDecision::Reject(Rejection::Correlation { .. })
        ));
        let mut r = req("AUSDT", 100.0);
        r.var_with_entry = 201.0;
        assert!(matches!(
            st.check_entry(&r, &[], 10_000.0, &l),
            RiskDecision::Reject(Rejection::Var { .. })
        ));
        // Net room: 2x equity long already used by 19,500 long: 500 left.
        let big = [pos("BUSDT", PositionSide::Long, 19_500.0)];
        assert_eq!(
            st.check_entry(&req("AUSDT", 1_000.0), &big, 10_000.0, &l),
            RiskDecision::Resize {
                notional: 500.0,
                by: "net".into()
            }
        );
        let full = [pos("BUSDT", PositionSide::Long, 20_000.0)];
        assert!(matches!(
            st.check_entry(&req("AUSDT", 1.0), &full, 10_000.0, &l),
            RiskDecision::Reject(Rejection::Exposure { .. })
        ));
        // A short next to it still has room (net shrinks), up to gross.
        let mut short = req("AUSDT", 15_000.0);
        short.side = PositionSide::Short;
        assert_eq!(
            st.check_entry(&short, &full, 10_000.0, &l),
            RiskDecision::Resize {
                notional: 10_000.0,
                by: "gross".into()
            }
        );
    }

    #[test]
    fn daily_loss_halts_entries_and_drawdown_flattens_until_resumed() {
        let l = RiskLimits::default();
        let mut st = RiskState::new(10_000.0, 0);
        assert_eq!(st.on_equity(1_000, 9_800.0, &l), None);
        let a = st.on_equity(2_000, 9_650.0, &l);
        assert!(matches!(
            a,
            Some(RiskAction::HaltEntries(HaltReason::DailyLoss { .. }))
        ));
        assert!(matches!(
            st.check_entry(&req("AUSDT", 10.0), &[], 9_650.0, &l),
            RiskDecision::Reject(Rejection::Halted(_))
        ));
        // A new day does not lift a halt: only an operator does.
        assert_eq!(st.on_equity(DAY_MS + 1, 9_700.0, &l), None);
        assert!(st.halt.is_some());
        let a = st.on_equity(DAY_MS + 2, 8_900.0, &l);
        assert!(matches!(
            a,
            Some(RiskAction::Flatten(HaltReason::Drawdown { .. }))
        ));
        assert_eq!(st.on_equity(DAY_MS + 3, 8_800.0, &l), None, "raised once");
        st.resume(8_800.0);
        assert_eq!(
            st.check_entry(&req("AUSDT", 10.0), &[], 8_800.0, &l),
            RiskDecision::Approve
        );
        assert!(matches!(
            st.kill("operator"),
            RiskAction::Flatten(HaltReason::KillSwitch { .. })
        ));
        let saved = serde_json::to_string(&st).unwrap();
        let back: RiskState = serde_json::from_str(&saved).unwrap();
        assert_eq!(
            back.halt, st.halt,
            "a halt survives a restart through the store"
        );
    }

    proptest! {
        #[test]
        fn an_allowed_entry_never_breaks_exposure_or_count(
            open in proptest::collection::vec((any::<bool>(), 1.0f64..8_000.0), 0..7),
            long in any::<bool>(), notional in 1.0f64..40_000.0, equity in 1_000.0f64..50_000.0,
        ) {
            let l = RiskLimits::default();
            let st = RiskState::new(equity, 0);
            let open: Vec<OpenPosition> = open.iter().enumerate().map(|(i, (lg, n))| OpenPosition {
                symbol: sym(&format!("S{i}USDT")),
                side: if *lg { PositionSide::Long } else { PositionSide::Short },
                notional: *n,
            }).collect();
            let mut r = req("AUSDT", notional);
            r.side = if long { PositionSide::Long } else { PositionSide::Short };
            r.var_with_entry = 0.0;
            let allowed = match st.check_entry(&r, &open, equity, &l) {
                RiskDecision::Approve => Some(notional),
                RiskDecision::Resize { notional, .. } => Some(notional),
                RiskDecision::Reject(_) => None,
            };
            if let Some(n) = allowed {
                prop_assert!(open.len() < l.max_open_positions);
                let gross: f64 = open.iter().map(|p| p.notional).sum::<f64>() + n;
                let net: f64 = open.iter().map(|p| p.side.sign() * p.notional).sum::<f64>() + r.side.sign() * n;
                prop_assert!(gross <= l.max_gross_exposure * equity * (1.0 + 1e-12));
                prop_assert!(net.abs() <= l.max_net_exposure * equity * (1.0 + 1e-12)
                    || net.abs() < (net - r.side.sign() * n).abs(), "an entry never worsens a breached net");
                prop_assert!(n > 0.0 && n <= notional);
            }
        }
    }
}

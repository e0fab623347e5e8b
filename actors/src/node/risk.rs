//! RiskActor: the shell around the [`RiskDesk`]. Entry signals become
//! orders only through it; equity updates may halt entries or flatten; the
//! kill switch (`POST /halt`, `qtrade halt`) halts and flattens until an
//! operator resumes (`POST /resume`, `qtrade resume`). The desk's state is
//! committed with every decision, so a halt survives a restart.

use super::board::SharedBoard;
use super::executor::{CancelEntries, ExecutorActor, Submit};
use super::hub::{History, SharedHistory};
use super::journal::Journal;
use super::position::{Flatten, PositionActor};
use super::state::SharedState;
use super::telemetry::{ActorStat, Tracked, now_ms, run_or_stop};
use super::trading::{SharedIds, SharedRules, TradingGauges};
use actix::{Actor, Context, Handler, Message, Supervised};
use quantumtrade::events::{Event, EventId, TradeEvent};
use quantumtrade::indicators::battery::Column;
use quantumtrade::market::{Interval, Symbol};
use quantumtrade::risk::limits::{OpenPosition, RiskAction};
use quantumtrade::risk::sizing::PositionSide;
use quantumtrade::selection::correlation::ReturnWindows;
use quantumtrade::trading::risk_desk::{EntryDecision, GateInput, RiskDesk, RiskDeskConfig};
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

/// The journal key of the desk's snapshot.
const CORE: &str = "risk";

/// Minutes an approved entry counts as in flight without showing up as a
/// position (after that the symbol may be entered again).
const IN_FLIGHT_MINUTES: i64 = 5;

/// The book's equity and open positions after a minute.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Portfolio {
    /// Market time, ms.
    pub at: i64,
    /// Equity.
    pub equity: f64,
    /// Open positions at their marks.
    pub open: Vec<OpenPosition>,
}

/// An entry signal to gate.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Entry {
    /// Symbol.
    pub symbol: Symbol,
    /// Side.
    pub side: PositionSide,
    /// Market time of the selection, ms.
    pub at: i64,
    /// The 1m return windows of the selection (correlations).
    pub windows: Arc<ReturnWindows>,
    /// Common minutes a correlation needs.
    pub min_overlap: usize,
    /// The `EntrySignal` event.
    pub cause: EventId,
    /// When the minute was routed.
    pub routed_at: Instant,
}

/// The kill switch: halt and flatten.
#[derive(Message)]
#[rtype(result = "Result<(), String>")]
pub struct Kill {
    /// Who pulled it.
    pub by: String,
}

/// An operator's reset after a halt.
#[derive(Message)]
#[rtype(result = "Result<(), String>")]
pub struct Resume {
    /// Who.
    pub by: String,
}

/// Tells the risk actor where flatten goes.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ConnectPositions(pub Tracked<PositionActor>);

/// What the risk actor reads but does not own.
pub struct RiskInputs {
    /// 1m candles (prices, returns for VaR).
    pub history: SharedHistory,
    /// Indicator values (ATR for the stop).
    pub board: SharedBoard,
    /// Exchange rules per symbol.
    pub rules: SharedRules,
    /// 1m returns in the VaR window.
    pub returns_window: usize,
    /// Where the VaR ratio goes for the alert rules.
    pub gauges: Arc<TradingGauges>,
}

/// The risk actor.
pub struct RiskActor {
    desk: RiskDesk,
    inputs: RiskInputs,
    journal: Journal,
    state: SharedState,
    ids: SharedIds,
    executor: Tracked<ExecutorActor>,
    positions: Option<Tracked<PositionActor>>,
    portfolio: Option<Portfolio>,
    /// Approved entries not yet seen open: symbol → market time.
    in_flight: BTreeMap<Symbol, i64>,
    stat: Arc<ActorStat>,
}

impl RiskActor {
    /// A risk actor with `cash` of equity, or the desk the journal holds
    /// (with its halt).
    ///
    /// # Errors
    /// A snapshot that does not decode.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: RiskDeskConfig,
        cash: f64,
        inputs: RiskInputs,
        journal: Journal,
        state: SharedState,
        ids: SharedIds,
        executor: Tracked<ExecutorActor>,
        stat: Arc<ActorStat>,
    ) -> anyhow::Result<Self> {
        let desk = journal
            .load(CORE)?
            .unwrap_or_else(|| RiskDesk::new(cfg, cash, now_ms()));
        let me = Self {
            desk,
            inputs,
            journal,
            state,
            ids,
            executor,
            positions: None,
            portfolio: None,
            in_flight: BTreeMap::new(),
            stat,
        };
        me.publish();
        Ok(me)
    }

    /// Halts entries before the actor starts (start-up reconciliation
    /// found the venue and the book disagreeing); returns whether it was
    /// committed.
    pub fn halt_at_start(&mut self, why: &str) -> bool {
        let action = self.desk.kill(why);
        let ev = self.stamp(TradeEvent::Risk(action), now_ms(), None);
        let ok = self.commit(&[ev]).is_ok();
        self.publish();
        ok
    }

    fn publish(&self) {
        let halt = self.desk.state().halt.clone();
        self.stat.set_state(match &halt {
            Some(h) => format!("halted: {h:?}"),
            None => "trading".into(),
        });
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .halted = halt;
    }

    fn stamp(&self, e: TradeEvent, venue_ts: i64, cause: Option<EventId>) -> Event {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .event(e, now_ms(), Some(venue_ts), cause)
    }

    fn commit(&mut self, events: &[Event]) -> Result<(), String> {
        self.journal.commit(events, CORE, &self.desk).map_err(|e| {
            self.stat.error("journal");
            if let Ok(Some(d)) = self.journal.load(CORE) {
                self.desk = d;
            }
            format!("{e:#}")
        })
    }

    /// Commits a halt or flatten, then acts on it.
    fn act(&mut self, action: RiskAction, at: i64) -> Result<(), String> {
        let flatten = matches!(action, RiskAction::Flatten(_));
        metrics::counter!("qtrade_risk_halts_total", "flatten" => if flatten { "true" } else { "false" })
            .increment(1);
        let ev = self.stamp(TradeEvent::Risk(action), at, None);
        let id = ev.meta.id;
        self.commit(&[ev])?;
        if flatten {
            self.executor.send(CancelEntries(at));
            if let Some(p) = &self.positions {
                p.send(Flatten {
                    at,
                    cause: Some(id),
                });
            }
        }
        self.publish();
        Ok(())
    }

    fn on_portfolio(&mut self, p: Portfolio) {
        self.in_flight.retain(|s, t| {
            !p.open.iter().any(|o| &o.symbol == s) && p.at - *t < IN_FLIGHT_MINUTES * 60_000
        });
        self.measure_var(&p);
        let before = self.desk.state().clone();
        let action = self.desk.on_equity(p.at, p.equity);
        let at = p.at;
        self.portfolio = Some(p);
        match action {
            Some(a) => {
                if let Err(e) = self.act(a, at) {
                    eprintln!("qtrade: error: risk: {e}");
                }
            }
            // A new peak or a new day is kept; an unchanged state needs no
            // fsync.
            None if *self.desk.state() != before => {
                if let Err(e) = self.commit(&[]) {
                    eprintln!("qtrade: error: risk: {e}");
                }
            }
            None => {}
        }
    }

    /// The open positions' one-day VaR against its limit: into `/state`, a
    /// gauge, and the alert rules (RISK_LIMIT_BREACH above the limit).
    fn measure_var(&self, p: &Portfolio) {
        let owned: BTreeMap<Symbol, Vec<f64>> = p
            .open
            .iter()
            .map(|o| (o.symbol.clone(), self.returns_of(&o.symbol).0))
            .collect();
        let returns: BTreeMap<Symbol, &[f64]> = owned
            .iter()
            .map(|(s, v)| (s.clone(), v.as_slice()))
            .collect();
        let var = self.desk.portfolio_var(&p.open, &returns);
        let limit = self.desk.var_limit(p.equity);
        metrics::gauge!("qtrade_portfolio_var").set(var);
        metrics::gauge!("qtrade_portfolio_var_limit").set(limit);
        if limit > 0.0 {
            self.inputs.gauges.set_var_ratio(var / limit);
        }
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        st.var_1d = Some(var);
        st.var_limit = Some(limit);
    }

    /// Simple 1m returns of `s` over the VaR window, and its last close.
    fn returns_of(&self, s: &Symbol) -> (Vec<f64>, Option<f64>) {
        let closes = History::closes(&self.inputs.history, s, self.inputs.returns_window + 1);
        let r = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        (r, closes.last().copied())
    }

    fn on_entry(&mut self, e: &Entry) {
        let open: Vec<OpenPosition> = self
            .portfolio
            .as_ref()
            .map(|p| p.open.clone())
            .unwrap_or_default();
        if self.in_flight.contains_key(&e.symbol) || open.iter().any(|p| p.symbol == e.symbol) {
            return;
        }
        let Some(rules) = self
            .inputs
            .rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&e.symbol)
            .cloned()
        else {
            return;
        };
        let mut owned: BTreeMap<Symbol, Vec<f64>> = BTreeMap::new();
        let (r, last) = self.returns_of(&e.symbol);
        owned.insert(e.symbol.clone(), r);
        for p in &open {
            owned.insert(p.symbol.clone(), self.returns_of(&p.symbol).0);
        }
        let returns: BTreeMap<Symbol, &[f64]> = owned
            .iter()
            .map(|(s, v)| (s.clone(), v.as_slice()))
            .collect();
        let equity = self
            .portfolio
            .as_ref()
            .map_or_else(|| self.desk.state().peak_equity, |p| p.equity);
        let (windows, overlap) = (Arc::clone(&e.windows), e.min_overlap);
        let corr = move |a: &Symbol, b: &Symbol| windows.correlation(a, b, overlap);
        let decision = self.desk.gate(
            &e.symbol,
            e.side,
            &GateInput {
                at: e.at,
                equity,
                price: last.unwrap_or(f64::NAN),
                atr: self
                    .inputs
                    .board
                    .value(&e.symbol, Interval::M5, Column::Atr14)
                    .unwrap_or(f64::NAN),
                rules: &rules,
                open: &open,
                returns: &returns,
                correlation: &corr,
            },
        );
        match decision {
            EntryDecision::Order(request) => {
                self.in_flight.insert(e.symbol.clone(), e.at);
                metrics::counter!("qtrade_entries_total", "decision" => "approved").increment(1);
                self.executor.send(Submit {
                    request,
                    cause: Some(e.cause),
                    routed_at: Some(e.routed_at),
                });
            }
            EntryDecision::Rejected(rejection) => {
                metrics::counter!("qtrade_entries_total", "decision" => "rejected").increment(1);
                let ev = self.stamp(
                    TradeEvent::EntryRejected {
                        symbol: e.symbol.clone(),
                        rejection,
                    },
                    e.at,
                    Some(e.cause),
                );
                if let Err(err) = self.commit(&[ev]) {
                    eprintln!("qtrade: error: risk: {err}");
                }
            }
        }
    }
}

impl RiskActor {
    /// The actor's statistics.
    #[must_use]
    pub fn stat(&self) -> Arc<ActorStat> {
        Arc::clone(&self.stat)
    }
}

impl Actor for RiskActor {
    type Context = Context<Self>;
}

impl Supervised for RiskActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        if let Ok(Some(d)) = self.journal.load(CORE) {
            self.desk = d;
        }
    }
}

impl Handler<Portfolio> for RiskActor {
    type Result = ();

    fn handle(&mut self, msg: Portfolio, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || self.on_portfolio(msg));
    }
}

impl Handler<Entry> for RiskActor {
    type Result = ();

    fn handle(&mut self, msg: Entry, ctx: &mut Context<Self>) {
        run_or_stop(self.stat(), ctx, || self.on_entry(&msg));
    }
}

impl Handler<Kill> for RiskActor {
    type Result = Result<(), String>;

    fn handle(&mut self, msg: Kill, _: &mut Context<Self>) -> Self::Result {
        let stat = Arc::clone(&self.stat);
        stat.run(|| {
            let at = self.portfolio.as_ref().map_or_else(now_ms, |p| p.at);
            let action = self.desk.kill(&msg.by);
            self.act(action, at)
        })
        .unwrap_or_else(|| Err("the risk actor failed".into()))
    }
}

impl Handler<Resume> for RiskActor {
    type Result = Result<(), String>;

    fn handle(&mut self, msg: Resume, _: &mut Context<Self>) -> Self::Result {
        let stat = Arc::clone(&self.stat);
        stat.run(|| {
            let (at, equity) = self.portfolio.as_ref().map_or_else(
                || (now_ms(), self.desk.state().peak_equity),
                |p| (p.at, p.equity),
            );
            self.desk.resume(equity);
            let ev = self.stamp(TradeEvent::Resumed { by: msg.by }, at, None);
            self.commit(&[ev])?;
            self.publish();
            Ok(())
        })
        .unwrap_or_else(|| Err("the risk actor failed".into()))
    }
}

impl Handler<ConnectPositions> for RiskActor {
    type Result = ();

    fn handle(&mut self, msg: ConnectPositions, _: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        stat.run(|| self.positions = Some(msg.0));
    }
}

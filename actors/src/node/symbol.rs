//! SymbolActor: one per qualified symbol, a shell around
//! [`SymbolAnalyzer`]. It backfills from the hub's history (candles and
//! the market's readings at their close) at start and after every restart
//! (after a backoff pause), so its buffers are never empty; submits its closed 5m/15m/1h windows to the IndicatorActor for
//! the batched battery and checks what comes back against its streaming
//! values; publishes its score to the selector and the board.

use super::board::{Minute, SharedBoard, TimedRow};
use super::hub::{History, SharedHistory};
use super::indicator::{BatteryComputed, IndicatorActor, ReplyTo, Submit};
use super::selector::{ScoreUpdate, SelectorActor};
use super::telemetry::{ActorStat, Held, Tracked, now_ms};
use actix::{Actor, ActorContext, AsyncContext, Context, Handler, Message, Supervised};
use quantumtrade::analysis::breakout::BreakoutSettings;
use quantumtrade::market::ring::TimeframeBuffers;
use quantumtrade::market::{Candle, Interval, Symbol};
use quantumtrade::node::backoff::{Backoff, BackoffConfig};
use quantumtrade::node::battery_batch::{BatteryJob, WINDOW_EXACT_MIN_CANDLES, mismatches};
use quantumtrade::node::symbol::{SymbolAnalyzer, SymbolConfig};
use quantumtrade::signals::inputs::VenueReadings;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A closed 1m candle of the actor's symbol, with what the market read at
/// its close (the signals' book, funding and open interest).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CandleClosed(pub Candle, pub VenueReadings);

/// What every symbol actor is built from (one clone per actor).
#[derive(Clone)]
pub struct SymbolDeps {
    /// Analysis knobs.
    pub cfg: SymbolConfig,
    /// The breakout model.
    pub breakout: BreakoutSettings,
    /// Recent 1m candles, for backfills.
    pub history: SharedHistory,
    /// Where scores go.
    pub selector: Tracked<SelectorActor>,
    /// Where battery jobs go.
    pub indicators: Tracked<IndicatorActor>,
    /// Whether closed 5m/15m/1h windows go to the batched battery, whose
    /// results are checked against the streaming rows (a check: the
    /// decisions read the streaming rows). A backtest may leave it out.
    pub battery_checks: bool,
    /// Where the endpoints read the symbol.
    pub board: SharedBoard,
    /// Restart pauses.
    pub backoff: BackoffConfig,
    /// Mailbox capacity.
    pub capacity: usize,
}

/// Test-only fault hook, read once from `QTRADE_FAULT_ONCE` (debug builds
/// only): `SYMBOL@N` makes that symbol's actor panic on its N-th live
/// candle, once; `SYMBOL` means `SYMBOL@1`, `any` any symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FaultSpec {
    symbol: Option<String>,
    candle: u64,
}

static FAULT: OnceLock<Option<FaultSpec>> = OnceLock::new();
static FAULT_FIRED: AtomicBool = AtomicBool::new(false);

fn parse_fault(v: &str) -> Option<FaultSpec> {
    let (sym, n) = v.split_once('@').unwrap_or((v, "1"));
    let candle = n.trim().parse().ok().filter(|&n| n > 0)?;
    let symbol = match sym.trim() {
        "" => return None,
        "any" => None,
        s => Some(s.to_owned()),
    };
    Some(FaultSpec { symbol, candle })
}

/// Arms the fault hook from the environment (debug builds only).
pub fn arm_fault_hook_from_env() {
    let spec = if cfg!(debug_assertions) {
        std::env::var("QTRADE_FAULT_ONCE")
            .ok()
            .and_then(|v| parse_fault(&v))
    } else {
        None
    };
    let _ = FAULT.set(spec);
}

fn fault_due(symbol: &Symbol, live: u64) -> bool {
    let Some(Some(spec)) = FAULT.get() else {
        return false;
    };
    spec.symbol.as_deref().is_none_or(|s| s == symbol.as_str())
        && live == spec.candle
        && !FAULT_FIRED.swap(true, Ordering::SeqCst)
}

/// The per-symbol actor.
pub struct SymbolActor {
    analyzer: SymbolAnalyzer,
    deps: SymbolDeps,
    stat: Arc<ActorStat>,
    backoff: Backoff,
    pause: Option<Duration>,
    /// Live candles handled (survives restarts: it is the actor's age).
    live: u64,
    /// The first start, counted as the node's work in progress until done.
    held: Option<Held>,
}

impl SymbolActor {
    /// An actor for `symbol`.
    #[must_use]
    pub fn new(symbol: Symbol, deps: SymbolDeps, stat: Arc<ActorStat>) -> Self {
        let seed = symbol.as_str().bytes().fold(0u64, |h, b| {
            h.wrapping_mul(0x100_0000_01b3).wrapping_add(u64::from(b))
        });
        Self {
            analyzer: SymbolAnalyzer::new(symbol, deps.cfg, deps.breakout.clone()),
            backoff: Backoff::new(deps.backoff, seed),
            deps,
            stat,
            pause: None,
            live: 0,
            held: None,
        }
    }

    /// The actor, its start-up counted as work in progress by `held`
    /// (dropped once it has backfilled and published).
    #[must_use]
    pub fn holding(mut self, held: Held) -> Self {
        self.held = Some(held);
        self
    }

    /// Publishes the latest rows (of the timeframes the last candle
    /// closed; of every timeframe after a backfill, `all_rows`) and score;
    /// submits the closed higher timeframes' windows for the batched
    /// battery.
    ///
    /// The rows go to the board before the score goes to the selector: the
    /// selector closes the minute at the executor once every score is in,
    /// and the trading actors then read this minute's ATR from the board.
    fn publish(&self, ctx: &mut Context<Self>, all_rows: bool) {
        let Some(s) = self.analyzer.last() else {
            return;
        };
        let sym = self.analyzer.symbol();
        let closed = self.analyzer.last_closed();
        let buffers = self.analyzer.buffers();
        let rows: Vec<Interval> = if all_rows {
            TimeframeBuffers::TIMEFRAMES.to_vec()
        } else {
            closed.iter().collect()
        };
        self.deps.board.update(sym, |v| {
            for &tf in &rows {
                if let (Some(row), Some(k)) = (
                    self.analyzer.row(tf),
                    buffers.ring(tf).and_then(|r| r.last()),
                ) {
                    v.streaming.insert(
                        tf,
                        TimedRow {
                            open_time: k.open_time,
                            row: *row,
                        },
                    );
                }
            }
        });
        if let Some(row) = self.analyzer.row(Interval::M1) {
            self.deps.board.push_minute(
                sym,
                Minute {
                    score: s.clone(),
                    row: *row,
                },
            );
        }
        self.deps.selector.send(ScoreUpdate(s.clone()));
        let batched = closed
            .iter()
            .filter(|&tf| tf != Interval::M1 && self.deps.battery_checks);
        for tf in batched {
            if let Some(ring) = buffers.ring(tf) {
                self.deps.indicators.send(Submit(
                    BatteryJob {
                        symbol: sym.clone(),
                        timeframe: tf,
                        candles: ring.to_vec(),
                    },
                    ReplyTo {
                        recipient: ctx.address().recipient(),
                        stat: Arc::clone(&self.stat),
                    },
                ));
            }
        }
        let h1 = buffers.ring(Interval::H1).map_or(0, |r| r.len());
        self.stat.set_state(format!(
            "candles {} h1 {} score {:.1} {:?}",
            self.analyzer.candles(),
            h1,
            s.score,
            s.regime
        ));
    }

    /// Checks a batch result against the streaming row of the same candle.
    fn check(&self, r: &quantumtrade::node::battery_batch::BatteryResult) {
        let sym = self.analyzer.symbol();
        let streaming = self.analyzer.row(r.timeframe).copied();
        let open = self
            .analyzer
            .buffers()
            .ring(r.timeframe)
            .and_then(|x| x.last())
            .map(|k| k.open_time);
        self.deps.board.update(sym, |v| {
            v.batch.insert(
                r.timeframe,
                TimedRow {
                    open_time: r.open_time,
                    row: r.row,
                },
            );
            let (Some(row), Some(open)) = (streaming, open) else {
                return;
            };
            if open != r.open_time || r.window < WINDOW_EXACT_MIN_CANDLES {
                return;
            }
            v.batch_checked += 1;
            let bad = mismatches(&row, &r.row);
            let result = if bad.is_empty() { "match" } else { "mismatch" };
            metrics::counter!("qtrade_battery_check_total", "result" => result).increment(1);
            if !bad.is_empty() {
                v.batch_mismatched += 1;
                eprintln!(
                    "qtrade: battery check: {sym} {} at {}: batch and streaming differ in {bad:?}",
                    r.timeframe, r.open_time
                );
            }
        });
    }
}

impl Actor for SymbolActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.deps.capacity);
        if let Some(d) = self.pause.take() {
            // Candles keep arriving during the pause; they queue, and the
            // backfill below makes the ones it already covers no-ops.
            ctx.wait(actix::fut::wrap_future(tokio::time::sleep(d)));
        }
        if self.analyzer.candles() == 0 {
            // With the readings the live candles carried: a restarted actor
            // recomputes what it had (open-interest windows included).
            let h = History::with_readings(&self.deps.history, self.analyzer.symbol());
            for (c, r) in &h {
                self.analyzer.on_candle_with(c, r);
            }
            self.publish(ctx, true);
        }
        self.held = None;
    }
}

impl Supervised for SymbolActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        let ms = self.backoff.failure(now_ms());
        self.pause = Some(Duration::from_millis(ms));
        eprintln!(
            "qtrade: {} restarting after a failure (pause {ms} ms, failure {} in a row)",
            self.stat.name(),
            self.backoff.failures()
        );
        // Rebuild from the history rather than trust state a panic left;
        // only the 30-day ATR history, longer than any backfill, carries over.
        self.analyzer = self.analyzer.rebuilt();
    }
}

impl Handler<CandleClosed> for SymbolActor {
    type Result = ();

    fn handle(&mut self, msg: CandleClosed, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        self.live += 1;
        let live = self.live;
        // Published inside the handled work: what it sends is the node's
        // work in progress before this message stops being (a backtest's
        // lockstep must not see the node idle in between).
        let ok = stat.run(|| {
            if fault_due(self.analyzer.symbol(), live) {
                panic!("fault hook: {} fails once", self.analyzer.symbol());
            }
            if self.analyzer.on_candle_with(&msg.0, &msg.1).is_some() {
                self.publish(ctx, false);
            }
        });
        if ok.is_none() {
            metrics::counter!("qtrade_errors_total", "kind" => "actor_panic").increment(1);
            ctx.stop();
        }
    }
}

impl Handler<BatteryComputed> for SymbolActor {
    type Result = ();

    fn handle(&mut self, msg: BatteryComputed, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.check(&msg.0)).is_none() {
            ctx.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse() {
        assert_eq!(
            parse_fault("BTCUSDT@3"),
            Some(FaultSpec {
                symbol: Some("BTCUSDT".into()),
                candle: 3
            })
        );
        assert_eq!(parse_fault("any").unwrap().symbol, None);
        assert_eq!(parse_fault("ETHUSDT").unwrap().candle, 1);
        assert_eq!(parse_fault("X@0"), None);
        assert_eq!(parse_fault("@2"), None);
    }
}

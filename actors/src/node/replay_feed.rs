//! The MarketDataHub's feed from recorded kline files (`qtrade backtest
//! --engine actors`): the real node replays them on a simulated clock, in
//! lockstep, as fast as the machine allows. The same files and config give
//! the same trades, every time.
//!
//! Steps:
//! 1. The minutes are the open times of the files' candles (a symbol
//!    without a candle in a minute is absent from it), as the pure-core
//!    replay (`quantumtrade::backtest::node_replay`) takes them. (The
//!    simulator serves a flat, volume-less candle in such a gap instead,
//!    so on gapped files a node trading it may differ from both engines.)
//! 2. The first `warmup_minutes` go to the hub as warm-up (analysed, not
//!    traded on), the rest live; each with what the node would read from
//!    `qtrade sim-exchange --data` replaying the same files at the close
//!    (`node_replay::served_readings`: its book, the paper funding rate, no
//!    open interest).
//! 3. Screens: after the warm-up and every `rescreen_minutes` minutes of
//!    replayed time, the universe is sent the screen inputs the simulator
//!    would serve then (its 24h tickers and book tickers of
//!    `market::replay::ReplayMarket`, stepped along), as the live feed's
//!    screen refresh and the universe's poll would bring them.
//! 4. Lockstep: after handing a minute over, the feed waits until the whole
//!    node is idle ([`Registry::idle`]: every message sent handled, every
//!    symbol actor started, no battery batch in flight). Then a live
//!    minute's selection is settled ([`Settle`]: a symbol without a candle
//!    in it does not hold it to the next minute) and the node waits idle
//!    again, so every order decided on a minute's close has reached the
//!    executor before the next minute closes (the paper venue fills it
//!    then). The equity at each live minute's close is read from the
//!    node's state. No timer decides anything.
//! 5. At the end the feed hands what it recorded to whoever started the
//!    backtest ([`ReplayEnd`]).

use super::hub::{FeedMinute, MarketDataHub};
use super::selector::{SelectorActor, Settle};
use super::state::SharedState;
use super::telemetry::{Registry, Tracked};
use super::trading::SharedRules;
use super::universe::{Screened, UniverseActor};
use quantumtrade::backtest::node_replay::served_readings;
use quantumtrade::exchange::sim::market::{decimals_of, served};
use quantumtrade::market::instrument::Instrument;
use quantumtrade::market::replay::{ReplayMarket, ReplaySeries, book_of};
use quantumtrade::market::{Candle, Symbol};
use quantumtrade::selection::screen::ScreenInput;
use quantumtrade::signals::inputs::VenueReadings;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;

/// Longest wait for the node to settle a minute. It decides nothing: a
/// node still busy after it has lost work (a message dropped by a stopped
/// actor) and would wait forever, so the backtest fails, saying so.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// Waits until the node is idle ([`Registry::idle`]), or fails after
/// [`SETTLE_LIMIT`].
async fn settled(registry: &Registry, what: &str, minute: i64) -> Result<(), String> {
    tokio::time::timeout(SETTLE_LIMIT, registry.idle())
        .await
        .map_err(|_| {
            format!(
                "the node did not settle {what} of minute {minute} within {} s ({} messages or jobs outstanding)",
                SETTLE_LIMIT.as_secs(),
                registry.outstanding()
            )
        })
}

/// Called with the candles of each minute replayed (a progress bar).
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// What the replay recorded.
#[derive(Debug, Clone, Default)]
pub struct ReplayEnd {
    /// (open time, equity, a position open) at each live minute's close.
    pub equity: Vec<(i64, f64, bool)>,
    /// The last candle of each symbol.
    pub last: BTreeMap<Symbol, Candle>,
    /// Candles replayed.
    pub candles: u64,
}

/// Where the replay's end (or why it stopped) goes, taken once.
pub type EndSlot = Arc<Mutex<Option<oneshot::Sender<Result<ReplayEnd, String>>>>>;

/// The replay's files and knobs.
#[derive(Clone)]
pub struct ReplaySettings {
    /// Each symbol's candles (in the backtested time range).
    pub series: Arc<Vec<(Symbol, Vec<Candle>)>>,
    /// The contracts the simulator lists for the whole files (their tick
    /// and step shape the book).
    pub listed: Arc<BTreeMap<Symbol, Instrument>>,
    /// Minutes of warm-up before the first live minute.
    pub warmup_minutes: usize,
    /// Replayed minutes between two screens.
    pub rescreen_minutes: usize,
    /// Relative spread of the replayed book (`replay_spread_bps` / 10,000).
    pub spread: f64,
    /// The paper funding rate (the simulator's premium index reports it).
    pub funding_rate: f64,
    /// The screen's spread limit.
    pub max_spread: f64,
    /// The listed contracts' exchange rules, for the trading actors.
    pub rules: SharedRules,
    /// Every actor's statistics: the lockstep waits on them.
    pub registry: Arc<Registry>,
    /// The node's state: equity and positions at each minute's close.
    pub state: SharedState,
    /// Progress, in candles.
    pub progress: Progress,
    /// Where the end goes (taken by the first run: a restarted hub does
    /// not replay again, and the backtest then fails as the sender drops).
    pub done: EndSlot,
}

impl std::fmt::Debug for ReplaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaySettings")
            .field("symbols", &self.series.len())
            .field("warmup_minutes", &self.warmup_minutes)
            .field("rescreen_minutes", &self.rescreen_minutes)
            .finish_non_exhaustive()
    }
}

/// Where the feed sends screens and settles selections.
pub struct ReplayLinks {
    /// The hub (minutes).
    pub hub: Tracked<MarketDataHub>,
    /// The universe (screens).
    pub universe: Tracked<UniverseActor>,
    /// The selector (settled selections).
    pub selector: Tracked<SelectorActor>,
}

/// Runs the replay (steps in the module doc) and hands its end over.
pub async fn run(settings: ReplaySettings, links: ReplayLinks) {
    let Some(done) = settings
        .done
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return;
    };
    let end = replay(&settings, &links).await;
    let _ = done.send(end);
}

/// The screen inputs the simulator serves after the minutes `market` has
/// stepped through (`last`: each symbol's last minute there, gaps filled as
/// the simulator fills them): its 24h quote volume and last price, and the
/// book tickers of the contracts it lists for the whole files (`listed`),
/// written to the tick.
fn screen_inputs(
    market: &ReplayMarket,
    last: &BTreeMap<usize, Candle>,
    listed: &BTreeMap<Symbol, Instrument>,
    spread: f64,
) -> Vec<ScreenInput> {
    market
        .profiles()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ins = listed.get(&p.instrument.symbol).unwrap_or(&p.instrument);
            let served = |x: f64| served(x, decimals_of(ins.tick_size));
            let (bid, ask) = last.get(&i).map_or((f64::NAN, f64::NAN), |c| {
                let b = book_of(c, ins, spread);
                (served(b.bid), served(b.ask))
            });
            ScreenInput {
                symbol: p.instrument.symbol.clone(),
                status: p.instrument.status,
                quote_volume_24h: market.quote_volume_24h(i),
                bid,
                ask,
                last_price: market.last_price(i),
            }
        })
        .collect()
}

/// Steps 1 to 4.
async fn replay(s: &ReplaySettings, links: &ReplayLinks) -> Result<ReplayEnd, String> {
    let mut market = ReplayMarket::new(
        s.series
            .iter()
            .map(|(symbol, candles)| ReplaySeries {
                symbol: symbol.clone(),
                candles: candles.clone(),
            })
            .collect(),
        s.spread,
    )
    .map_err(|e| format!("the replayed files: {e}"))?;
    let mut stepped: BTreeMap<usize, Candle> = BTreeMap::new();
    let mut times: Vec<i64> = s
        .series
        .iter()
        .flat_map(|(_, c)| c.iter().map(|k| k.open_time))
        .collect();
    times.sort_unstable();
    times.dedup();
    let rescreen = s.rescreen_minutes.max(1);
    let mut cursor = vec![0usize; s.series.len()];
    let mut end = ReplayEnd::default();
    for (k, &t) in times.iter().enumerate() {
        let live = k >= s.warmup_minutes;
        if live && (k - s.warmup_minutes).is_multiple_of(rescreen) {
            links.universe.send(Screened(screen_inputs(
                &market, &stepped, &s.listed, s.spread,
            )));
            settled(&s.registry, "the screen", t).await?;
        }
        while market.next_open_time() <= t {
            for m in market.step() {
                stepped.insert(m.index, m.kline);
            }
        }
        let mut candles = Vec::new();
        let mut readings: BTreeMap<Symbol, VenueReadings> = BTreeMap::new();
        for (i, (sym, series)) in s.series.iter().enumerate() {
            while cursor[i] < series.len() && series[cursor[i]].open_time < t {
                cursor[i] += 1;
            }
            if let Some(c) = series.get(cursor[i]).filter(|c| c.open_time == t) {
                candles.push((sym.clone(), *c));
                readings.insert(
                    sym.clone(),
                    served_readings(c, s.listed.get(sym), s.spread, s.funding_rate, s.max_spread),
                );
                end.last.insert(sym.clone(), *c);
                cursor[i] += 1;
            }
        }
        candles.sort_by(|a, b| a.0.cmp(&b.0));
        let n = candles.len() as u64;
        links
            .hub
            .ask(FeedMinute {
                open_time: t,
                candles,
                live,
                readings,
            })
            .await
            .map_err(|_| "the hub is gone".to_owned())?;
        settled(&s.registry, "the candles", t).await?;
        if live {
            links.selector.send(Settle);
            settled(&s.registry, "the selection", t).await?;
            let st = s.state.read().unwrap_or_else(PoisonError::into_inner);
            end.equity
                .push((t, st.equity.unwrap_or(f64::NAN), !st.positions.is_empty()));
        }
        end.candles += n;
        (s.progress)(n);
    }
    Ok(end)
}

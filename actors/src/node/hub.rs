//! MarketDataHub: steps the synthetic market on a timer, or takes whole
//! minutes from a venue feed ([`super::binance_feed`]); keeps the recent 1m
//! history for backfills, routes closed candles to the symbol actors and
//! returns to the selector, and answers the universe's screen requests.
//!
//! A backtest's hub takes its minutes from recorded files
//! ([`super::replay_feed`]), in lockstep with the node.
//!
//! Each routed candle goes with what the market read at its close
//! ([`VenueReadings`], the signals' book, funding and open interest): the
//! synthetic market's book of the minute, the paper funding rate and the
//! synthetic open interest ([`quantumtrade::market::open_interest`]); a
//! venue's book tickers and premium index read by the feed right after the
//! minute closed, and its latest open interest.

use super::binance_feed::{self, FeedSettings};
use super::config::{MarketSection, Venue};
use super::replay_feed::{self, ReplayLinks, ReplaySettings};
use super::selector::{Closes, SelectorActor};
use super::symbol::{CandleClosed, SymbolActor};
use super::telemetry::{ActorStat, Tracked};
use super::trading::{SharedMarks, SharedRules};
use super::universe::UniverseActor;
use actix::{
    Actor, ActorContext, AsyncContext, Context, Handler, Message, SpawnHandle, Supervised,
};
use quantumtrade::market::open_interest::SyntheticOpenInterest;
use quantumtrade::market::synthetic::{BookTicker, SyntheticConfig, SyntheticMarket};
use quantumtrade::market::{Candle, Symbol};
use quantumtrade::selection::screen::ScreenInput;
use quantumtrade::signals::inputs::{BookQuote, VenueReadings};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The recent closed 1m candles of every symbol with what the market read
/// at each one's close, shared with the symbol actors for their backfill
/// (a restarted actor so rebuilds the same windows of venue readings).
#[derive(Debug, Default)]
pub struct History {
    cap: usize,
    candles: BTreeMap<Symbol, VecDeque<Candle>>,
    /// The readings of the same candles, in lockstep with `candles`.
    readings: BTreeMap<Symbol, VecDeque<VenueReadings>>,
}

/// A shared [`History`].
pub type SharedHistory = Arc<RwLock<History>>;

impl History {
    /// Keeps `cap` candles per symbol.
    #[must_use]
    pub fn shared(cap: usize) -> SharedHistory {
        Arc::new(RwLock::new(Self {
            cap,
            candles: BTreeMap::new(),
            readings: BTreeMap::new(),
        }))
    }

    fn push(&mut self, s: &Symbol, c: Candle, r: VenueReadings) {
        let q = self.candles.entry(s.clone()).or_default();
        q.push_back(c);
        if q.len() > self.cap {
            q.pop_front();
        }
        let q = self.readings.entry(s.clone()).or_default();
        q.push_back(r);
        if q.len() > self.cap {
            q.pop_front();
        }
    }

    /// The candle of `s` that opened at `open_time`, if it is held.
    #[must_use]
    pub fn candle_at(h: &SharedHistory, s: &Symbol, open_time: i64) -> Option<Candle> {
        let h = h.read().unwrap_or_else(PoisonError::into_inner);
        let q = h.candles.get(s)?;
        q.iter()
            .rev()
            .find(|c| c.open_time <= open_time)
            .filter(|c| c.open_time == open_time)
            .copied()
    }

    /// The last `n` simple 1m returns of `s`, oldest first.
    #[must_use]
    pub fn returns(h: &SharedHistory, s: &Symbol, n: usize) -> Vec<f64> {
        Self::closes(h, s, n + 1)
            .windows(2)
            .map(|w| w[1] / w[0] - 1.0)
            .collect()
    }

    /// The last `n` closes of `s`, oldest first.
    #[must_use]
    pub fn closes(h: &SharedHistory, s: &Symbol, n: usize) -> Vec<f64> {
        let h = h.read().unwrap_or_else(PoisonError::into_inner);
        h.candles.get(s).map_or_else(Vec::new, |q| {
            q.iter()
                .skip(q.len().saturating_sub(n))
                .map(|c| c.close)
                .collect()
        })
    }

    /// The stored candles of `s` with their readings, oldest first.
    #[must_use]
    pub fn with_readings(h: &SharedHistory, s: &Symbol) -> Vec<(Candle, VenueReadings)> {
        let h = h.read().unwrap_or_else(PoisonError::into_inner);
        match (h.candles.get(s), h.readings.get(s)) {
            (Some(c), Some(r)) => c.iter().copied().zip(r.iter().copied()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Routes a symbol's candles to an actor (`None`: stop routing).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Route(pub Symbol, pub Option<Tracked<SymbolActor>>);

/// Stops stepping the market (the first step of a graceful shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopMarket;

/// Asks for the screen inputs of every contract.
#[derive(Message)]
#[rtype(result = "Vec<ScreenInput>")]
pub struct GetScreenInputs;

/// One closed minute from the venue feed: the candles of every symbol
/// that closed it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FeedMinute {
    /// Open time of the minute, ms.
    pub open_time: i64,
    /// (symbol, candle), in symbol order.
    pub candles: Vec<(Symbol, Candle)>,
    /// A live minute (false: warm-up history, which is not traded on).
    pub live: bool,
    /// What the venue read at the minute's close, per symbol (none for
    /// minutes fetched after the fact).
    pub readings: BTreeMap<Symbol, VenueReadings>,
}

/// Fresh screen inputs of every contract from the venue feed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FeedScreen(pub Vec<ScreenInput>);

/// Where the hub's minutes come from.
pub enum HubSource {
    /// The in-process synthetic market, stepped on a timer.
    Synthetic(SyntheticMarket),
    /// A Binance-compatible venue, followed by a feed task.
    Binance(FeedSettings),
    /// Recorded kline files replayed on a simulated clock (a backtest),
    /// started by [`StartReplay`].
    Replay(ReplaySettings),
}

/// Starts the replay of a [`HubSource::Replay`] hub, once the universe it
/// sends screens to is up.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StartReplay(pub Tracked<UniverseActor>);

impl HubSource {
    /// The exchange rules the trading actors size orders with: the
    /// synthetic instruments' at once; a venue's once its feed has read
    /// exchangeInfo (until then entries wait for them).
    #[must_use]
    pub fn rules(&self) -> SharedRules {
        match self {
            Self::Synthetic(m) => Arc::new(RwLock::new(
                m.profiles()
                    .iter()
                    .filter_map(|p| {
                        let r = quantumtrade::trading::paper::rules_of(&p.instrument).ok()?;
                        Some((p.instrument.symbol.clone(), r))
                    })
                    .collect(),
            )),
            Self::Binance(f) => Arc::clone(&f.rules),
            Self::Replay(r) => Arc::clone(&r.rules),
        }
    }

    /// The venue's mark prices, written by the feed (none over the
    /// synthetic market: positions are marked at the last close).
    #[must_use]
    pub fn marks(&self) -> SharedMarks {
        match self {
            Self::Synthetic(_) | Self::Replay(_) => SharedMarks::default(),
            Self::Binance(f) => Arc::clone(&f.marks),
        }
    }
}

/// The hub's source as `[market]` configures it.
#[must_use]
pub fn source_of(m: &MarketSection) -> HubSource {
    match m.venue {
        Venue::Synthetic => HubSource::Synthetic(SyntheticMarket::new(SyntheticConfig {
            seed: m.seed,
            symbols: m.symbols,
            sectors: m.sectors,
            trades_per_minute: m.trades_per_minute,
            ..SyntheticConfig::default()
        })),
        Venue::Binance => HubSource::Binance(FeedSettings {
            rest_url: m.rest_url.clone(),
            ws_url: m.ws_url.clone(),
            warmup_minutes: m.warmup_minutes,
            screen_refresh: Duration::from_millis(m.screen_refresh_ms),
            rules: SharedRules::default(),
            marks: SharedMarks::default(),
        }),
    }
}

/// What the hub adds to the market's readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadingSettings {
    /// The funding rate of the synthetic market (the paper book's, which
    /// it charges).
    pub paper_funding_rate: f64,
    /// The screen's spread limit (the spread's quality scale).
    pub max_spread: f64,
}

/// The market-data hub.
pub struct MarketDataHub {
    source: HubSource,
    settings: ReadingSettings,
    /// The synthetic market's open interest per symbol.
    open_interest: BTreeMap<Symbol, SyntheticOpenInterest>,
    books: Vec<BookTicker>,
    /// The venue feed's latest screen inputs.
    screen: Vec<ScreenInput>,
    feed: Option<actix::prelude::SpawnHandle>,
    history: SharedHistory,
    warmup: usize,
    routes: BTreeMap<Symbol, Tracked<SymbolActor>>,
    selector: Tracked<SelectorActor>,
    stat: Arc<ActorStat>,
    step: Duration,
    minutes: u64,
    /// Open time of the first minute delivered.
    first_open: Option<i64>,
    timer: Option<SpawnHandle>,
}

impl MarketDataHub {
    /// A hub over `source`.
    #[must_use]
    pub fn new(
        source: HubSource,
        history: SharedHistory,
        warmup: usize,
        selector: Tracked<SelectorActor>,
        stat: Arc<ActorStat>,
        step: Duration,
        settings: ReadingSettings,
    ) -> Self {
        Self {
            source,
            settings,
            open_interest: BTreeMap::new(),
            books: Vec::new(),
            screen: Vec::new(),
            feed: None,
            history,
            warmup,
            routes: BTreeMap::new(),
            selector,
            stat,
            step,
            minutes: 0,
            first_open: None,
            timer: None,
        }
    }

    fn step_market(&mut self, live: bool) {
        let HubSource::Synthetic(market) = &mut self.source else {
            return;
        };
        let minutes = market.step();
        let profiles = market.profiles();
        self.books.clear();
        self.books.extend(minutes.iter().map(|m| m.book));
        let open_time = minutes.first().map_or(0, |m| m.kline.open_time);
        let candles = minutes
            .iter()
            .map(|m| (profiles[m.index].instrument.symbol.clone(), m.kline))
            .collect();
        let readings = minutes
            .iter()
            .map(|m| {
                let symbol = profiles[m.index].instrument.symbol.clone();
                let oi = self
                    .open_interest
                    .entry(symbol.clone())
                    .or_default()
                    .update(m.kline.volume);
                (
                    symbol,
                    VenueReadings {
                        book: Some(BookQuote::from(m.book)),
                        funding_rate: self.settings.paper_funding_rate,
                        open_interest: oi,
                        max_spread: f64::NAN,
                    },
                )
            })
            .collect();
        self.deliver(open_time, candles, live, &readings);
    }

    /// Keeps one minute's candles with each symbol's `readings` in the
    /// history, routes them to the symbol actors and sends the closes to
    /// the selector, saying whether the minute is `live` (warm-up minutes
    /// are analysed, not traded on).
    ///
    /// Warm-up minutes are routed too: a symbol actor started during the
    /// warm-up backfilled only the history there was, and must not miss
    /// the rest (a candle its backfill already took is a no-op).
    fn deliver(
        &mut self,
        open_time: i64,
        candles: Vec<(Symbol, Candle)>,
        live: bool,
        readings: &BTreeMap<Symbol, VenueReadings>,
    ) {
        let mut closes = Vec::with_capacity(candles.len());
        let mut with_readings = Vec::with_capacity(candles.len());
        {
            let mut h = self.history.write().unwrap_or_else(PoisonError::into_inner);
            for (sym, c) in candles {
                let venue = VenueReadings {
                    max_spread: self.settings.max_spread,
                    ..readings
                        .get(&sym)
                        .copied()
                        .unwrap_or_else(VenueReadings::unknown)
                };
                h.push(&sym, c, venue);
                closes.push((sym.clone(), c.open_time, c.close));
                with_readings.push((sym, c, venue));
            }
        }
        let routed_at = Instant::now();
        for (sym, c, venue) in with_readings {
            if let Some(t) = self.routes.get(&sym) {
                t.send(CandleClosed(c, venue));
            }
        }
        self.minutes += 1;
        self.selector.send(Closes {
            open_time,
            closes,
            live,
            routed_at,
        });
        let first = *self.first_open.get_or_insert(open_time);
        self.stat.set_state(format!(
            "minute {} (opened {open_time}, first {first}) routes {}",
            self.minutes,
            self.routes.len()
        ));
    }
}

impl Actor for MarketDataHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let HubSource::Binance(settings) = &self.source {
            let hub = Tracked {
                addr: ctx.address(),
                stat: Arc::clone(&self.stat),
            };
            let feed = binance_feed::run(settings.clone(), hub);
            self.feed = Some(ctx.spawn(actix::fut::wrap_future(feed)));
            return;
        }
        if let HubSource::Replay(_) = &self.source {
            // Waits for StartReplay.
            return;
        }
        while self.minutes < self.warmup as u64 {
            self.step_market(false);
        }
        self.timer = Some(ctx.run_interval(self.step, |act, ctx| {
            act.stat.enqueued();
            let stat = Arc::clone(&act.stat);
            if stat.run(|| act.step_market(true)).is_none() {
                ctx.stop();
            }
        }));
    }
}

impl Supervised for MarketDataHub {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.stat.restarted();
        // The restarted context drops its futures; `started` spawns a new feed.
        self.feed = None;
    }
}

impl Handler<Route> for MarketDataHub {
    type Result = ();

    fn handle(&mut self, msg: Route, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        let ok = stat.run(|| match msg.1 {
            Some(t) => {
                self.routes.insert(msg.0, t);
            }
            None => {
                self.routes.remove(&msg.0);
            }
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<GetScreenInputs> for MarketDataHub {
    type Result = Vec<ScreenInput>;

    fn handle(&mut self, _: GetScreenInputs, ctx: &mut Context<Self>) -> Vec<ScreenInput> {
        let stat = Arc::clone(&self.stat);
        let out = stat.run(|| match &self.source {
            HubSource::Binance(_) | HubSource::Replay(_) => self.screen.clone(),
            HubSource::Synthetic(market) => market
                .profiles()
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let t = market.ticker_24h(i);
                    let (bid, ask) = self
                        .books
                        .get(i)
                        .map_or((f64::NAN, f64::NAN), |b| (b.bid, b.ask));
                    ScreenInput {
                        symbol: p.instrument.symbol.clone(),
                        status: p.instrument.status,
                        quote_volume_24h: t.quote_volume,
                        bid,
                        ask,
                        last_price: t.last_price,
                    }
                })
                .collect(),
        });
        out.unwrap_or_else(|| {
            ctx.stop();
            Vec::new()
        })
    }
}

impl Handler<StopMarket> for MarketDataHub {
    type Result = ();

    fn handle(&mut self, _: StopMarket, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        stat.run(|| ());
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        if let Some(f) = self.feed.take() {
            ctx.cancel_future(f);
        }
        self.stat
            .set_state(format!("stopped at minute {}", self.minutes));
    }
}

impl Handler<FeedMinute> for MarketDataHub {
    type Result = ();

    fn handle(&mut self, msg: FeedMinute, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        // After StopMarket the feed is cancelled; a minute already on its
        // way is dropped so the shutdown drain sees no new work.
        let live = self.feed.is_some();
        let ok = stat.run(|| {
            if live {
                self.deliver(msg.open_time, msg.candles, msg.live, &msg.readings);
            }
        });
        if ok.is_none() {
            ctx.stop();
        }
    }
}

impl Handler<StartReplay> for MarketDataHub {
    type Result = ();

    fn handle(&mut self, msg: StartReplay, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        stat.run(|| ());
        let HubSource::Replay(settings) = &self.source else {
            return;
        };
        let links = ReplayLinks {
            hub: Tracked {
                addr: ctx.address(),
                stat: Arc::clone(&self.stat),
            },
            universe: msg.0,
            selector: self.selector.clone(),
        };
        let feed = replay_feed::run(settings.clone(), links);
        self.feed = Some(ctx.spawn(actix::fut::wrap_future(feed)));
    }
}

impl Handler<FeedScreen> for MarketDataHub {
    type Result = ();

    fn handle(&mut self, msg: FeedScreen, ctx: &mut Context<Self>) {
        let stat = Arc::clone(&self.stat);
        if stat.run(|| self.screen = msg.0).is_none() {
            ctx.stop();
        }
    }
}

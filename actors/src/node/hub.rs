//! MarketDataHub: steps the synthetic market on a timer, keeps the recent
//! 1m history for backfills, routes closed candles to the symbol actors and
//! returns to the selector, and answers the universe's screen requests.

use super::selector::{Closes, SelectorActor};
use super::symbol::{CandleClosed, SymbolActor};
use super::telemetry::{ActorStat, Tracked};
use actix::{
    Actor, ActorContext, AsyncContext, Context, Handler, Message, SpawnHandle, Supervised,
};
use quantumtrade::market::synthetic::{BookTicker, SyntheticMarket};
use quantumtrade::market::{Candle, Symbol};
use quantumtrade::selection::screen::ScreenInput;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The recent closed 1m candles of every symbol, shared with the symbol
/// actors for their backfill.
#[derive(Debug, Default)]
pub struct History {
    cap: usize,
    candles: BTreeMap<Symbol, VecDeque<Candle>>,
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
        }))
    }

    fn push(&mut self, s: &Symbol, c: Candle) {
        let q = self.candles.entry(s.clone()).or_default();
        q.push_back(c);
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

    /// The stored candles of `s`, oldest first.
    #[must_use]
    pub fn of(h: &SharedHistory, s: &Symbol) -> Vec<Candle> {
        h.read()
            .unwrap_or_else(PoisonError::into_inner)
            .candles
            .get(s)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
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

/// The market-data hub.
pub struct MarketDataHub {
    market: SyntheticMarket,
    books: Vec<BookTicker>,
    history: SharedHistory,
    warmup: usize,
    routes: BTreeMap<Symbol, Tracked<SymbolActor>>,
    selector: Tracked<SelectorActor>,
    stat: Arc<ActorStat>,
    step: Duration,
    minutes: u64,
    timer: Option<SpawnHandle>,
}

impl MarketDataHub {
    /// A hub over `market`.
    #[must_use]
    pub fn new(
        market: SyntheticMarket,
        history: SharedHistory,
        warmup: usize,
        selector: Tracked<SelectorActor>,
        stat: Arc<ActorStat>,
        step: Duration,
    ) -> Self {
        Self {
            market,
            books: Vec::new(),
            history,
            warmup,
            routes: BTreeMap::new(),
            selector,
            stat,
            step,
            minutes: 0,
            timer: None,
        }
    }

    fn step_market(&mut self, route: bool) {
        let minutes = self.market.step();
        let profiles = self.market.profiles();
        let mut closes = Vec::with_capacity(minutes.len());
        self.books.clear();
        {
            let mut h = self.history.write().unwrap_or_else(PoisonError::into_inner);
            for m in &minutes {
                let sym = &profiles[m.index].instrument.symbol;
                h.push(sym, m.kline);
                closes.push((sym.clone(), m.kline.open_time, m.kline.close));
            }
        }
        let routed_at = Instant::now();
        for m in &minutes {
            self.books.push(m.book);
            if route && let Some(t) = self.routes.get(&profiles[m.index].instrument.symbol) {
                t.send(CandleClosed(m.kline));
            }
        }
        self.minutes += 1;
        let open_time = minutes.first().map_or(0, |m| m.kline.open_time);
        self.selector.send(Closes {
            open_time,
            closes,
            routed_at,
        });
        self.stat.set_state(format!(
            "minute {} routes {}",
            self.minutes,
            self.routes.len()
        ));
    }
}

impl Actor for MarketDataHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
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
        let out = stat.run(|| {
            self.market
                .profiles()
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let t = self.market.ticker_24h(i);
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
                .collect()
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
        self.stat
            .set_state(format!("stopped at minute {}", self.minutes));
    }
}

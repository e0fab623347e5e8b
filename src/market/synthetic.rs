//! A synthetic USDT-perpetual market, deterministic from a seed: the offline
//! venue that `qtrade run` trades by default, built to exercise every
//! decision the node makes.
//!
//! Model, per one-minute step:
//! - **Returns** follow a factor model: `r = β_m·f_m + β_s·f_sector + σ_i·ε`,
//!   with one market factor, one factor per sector and idiosyncratic noise.
//!   Sector loadings differ by sector, so pairwise correlations of 1-minute
//!   returns range from about 0 (low-loading sectors, different sectors) to
//!   above 0.9 (the high-loading sector).
//! - **Volatility clusters**: each symbol's variance follows a GARCH(1,1)
//!   recursion on its own returns.
//! - **Regimes** switch as a Markov chain (trending, ranging, volatile): a
//!   trend adds drift to the market factor, ranging pulls prices back to an
//!   anchor, volatile triples factor volatility.
//! - **Volume** per minute is the symbol's 24h quote-volume target / 1440,
//!   scaled by lognormal noise, by |return| (activity follows moves) and by
//!   occasional surges (3–8× for 5–30 minutes).
//! - **Universe**: 24h quote-volume targets are lognormal (median $84M, so
//!   about a third fall below $50M), spreads lognormal around 2 bps with a
//!   tail above 5 bps (0.05%), tick sizes set by price, and a few contracts
//!   in a non-trading status.
//!
//! Each minute yields trades (which make the candle), a book ticker and the
//! closed kline; [`SyntheticMarket::ticker_24h`] rolls 24h statistics.

use super::instrument::{ContractStatus, Instrument};
use super::random_walk::SplitMix64;
use super::{Candle, Symbol};
use std::collections::VecDeque;

/// Knobs of the synthetic market.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    /// Seed: the same seed gives the same market, minute by minute.
    pub seed: u64,
    /// Number of contracts.
    pub symbols: usize,
    /// Number of sectors (factor groups).
    pub sectors: usize,
    /// Open time of the first minute, ms since the epoch.
    pub start_ms: i64,
    /// Trades generated per symbol per minute (at least 1).
    pub trades_per_minute: usize,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            symbols: 150,
            sectors: 8,
            // 2026-01-01T00:00:00Z
            start_ms: 1_767_225_600_000,
            trades_per_minute: 8,
        }
    }
}

/// Market-wide regime of the synthetic market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyntheticRegime {
    /// Persistent drift up or down.
    Trending,
    /// Mean reversion to an anchor.
    Ranging,
    /// High volatility.
    Volatile,
}

/// One contract of the synthetic universe and its static traits.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolProfile {
    /// Precision and status as exchange info would report them.
    pub instrument: Instrument,
    /// Sector (factor group) index.
    pub sector: usize,
    /// Target 24h quote volume, USDT.
    pub quote_volume_24h: f64,
    /// Quoted spread as a fraction of price (0.0005 = 0.05%).
    pub spread: f64,
    /// Loading on the market factor.
    pub beta_market: f64,
    /// Loading on its sector factor.
    pub beta_sector: f64,
    /// Idiosyncratic volatility per minute.
    pub idio_vol: f64,
}

/// A trade print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticTrade {
    /// Trade time, ms.
    pub time: i64,
    /// Price.
    pub price: f64,
    /// Base quantity.
    pub qty: f64,
    /// True when the buyer was the maker (a taker sell).
    pub buyer_is_maker: bool,
}

/// Best bid and ask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookTicker {
    /// Best bid price.
    pub bid: f64,
    /// Quantity at the best bid.
    pub bid_qty: f64,
    /// Best ask price.
    pub ask: f64,
    /// Quantity at the best ask.
    pub ask_qty: f64,
}

/// Rolling 24h statistics of one symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ticker24h {
    /// Last price.
    pub last_price: f64,
    /// Price 24h ago (or at the start).
    pub open_price: f64,
    /// Highest price over the window.
    pub high: f64,
    /// Lowest price over the window.
    pub low: f64,
    /// Base volume over the window.
    pub volume: f64,
    /// Quote volume over the window.
    pub quote_volume: f64,
}

/// Everything one symbol produced in one minute.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolMinute {
    /// Index into [`SyntheticMarket::profiles`].
    pub index: usize,
    /// Trades of the minute, in time order.
    pub trades: Vec<SyntheticTrade>,
    /// Book at the end of the minute.
    pub book: BookTicker,
    /// The closed one-minute kline.
    pub kline: Candle,
}

/// Minutes in the 24h window.
const DAY_MINUTES: usize = 1440;

#[derive(Debug, Clone)]
struct SymbolState {
    price: f64,
    anchor: f64,
    variance: f64,
    surge_left: u32,
    surge_factor: f64,
    /// Closed klines of the last 24h, for the rolling ticker.
    day: VecDeque<Candle>,
}

/// The synthetic market: call [`SyntheticMarket::step`] once per minute.
#[derive(Debug, Clone)]
pub struct SyntheticMarket {
    config: SyntheticConfig,
    rng: SplitMix64,
    profiles: Vec<SymbolProfile>,
    states: Vec<SymbolState>,
    regime: SyntheticRegime,
    trend_sign: f64,
    minute: i64,
}

/// Standard normal draw (Box–Muller; one value per call keeps state simple).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.next_f64().max(1e-300);
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A tick size giving about five significant digits at `price`.
fn tick_for(price: f64) -> f64 {
    10f64.powi(price.log10().floor() as i32 - 4)
}

/// Rounds `x` to a multiple of `step`.
fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

impl SyntheticMarket {
    /// A market with its universe drawn from `config.seed`.
    ///
    /// # Panics
    /// When `config.symbols` or `config.sectors` is 0.
    #[must_use]
    pub fn new(config: SyntheticConfig) -> Self {
        assert!(config.symbols > 0 && config.sectors > 0, "empty market");
        let mut rng = SplitMix64::new(config.seed);
        let mut profiles = Vec::with_capacity(config.symbols);
        let mut states = Vec::with_capacity(config.symbols);
        for i in 0..config.symbols {
            let sector = i % config.sectors;
            // Sector 0 moves almost as one (correlations above 0.9); the last
            // sector is nearly idiosyncratic (correlations near 0).
            let beta_sector = match sector {
                0 => 3.0,
                s if s + 1 == config.sectors => 0.1,
                s => 0.4 + 0.25 * s as f64,
            };
            let beta_market = if sector + 1 == config.sectors {
                0.05
            } else {
                0.5 + rng.next_f64()
            };
            let idio_vol = if sector == 0 {
                0.0002
            } else {
                0.0006 + 0.0008 * rng.next_f64()
            };
            let price = 10f64.powf(-3.0 + 7.0 * rng.next_f64());
            let quote_volume_24h = 84e6 * (1.2 * normal(&mut rng)).exp();
            let spread = (0.0002 * (0.8 * normal(&mut rng)).exp()).max(tick_for(price) / price);
            let status = match rng.next_f64() {
                u if u < 0.03 => ContractStatus::Settling,
                u if u < 0.06 => ContractStatus::PendingTrading,
                _ => ContractStatus::Trading,
            };
            let symbol =
                Symbol::new(&format!("SYN{i:03}USDT")).expect("generated symbols are valid");
            let tick = tick_for(price);
            profiles.push(SymbolProfile {
                instrument: Instrument {
                    symbol,
                    tick_size: tick,
                    // Binance-like: 0.001 for BTC-sized prices, 1 for sub-dollar coins.
                    step_size: 10f64.powi((1 - price.log10().floor() as i32).clamp(-3, 0)),
                    min_notional: 5.0,
                    status,
                },
                sector,
                quote_volume_24h,
                spread,
                beta_market,
                beta_sector,
                idio_vol,
            });
            states.push(SymbolState {
                price: round_to(price, tick),
                anchor: price,
                variance: 1.0,
                surge_left: 0,
                surge_factor: 1.0,
                day: VecDeque::with_capacity(DAY_MINUTES + 1),
            });
        }
        Self {
            config,
            rng,
            profiles,
            states,
            regime: SyntheticRegime::Ranging,
            trend_sign: 1.0,
            minute: 0,
        }
    }

    /// The universe, in symbol order.
    #[must_use]
    pub fn profiles(&self) -> &[SymbolProfile] {
        &self.profiles
    }

    /// The current market regime.
    #[must_use]
    pub fn regime(&self) -> SyntheticRegime {
        self.regime
    }

    /// Open time of the next minute to be generated.
    #[must_use]
    pub fn next_open_time(&self) -> i64 {
        self.config.start_ms + self.minute * 60_000
    }

    fn switch_regime(&mut self) {
        // About one switch every four hours.
        if self.rng.next_f64() < 1.0 / 240.0 {
            self.regime = match (self.rng.next_f64() * 3.0) as u32 {
                0 => SyntheticRegime::Trending,
                1 => SyntheticRegime::Ranging,
                _ => SyntheticRegime::Volatile,
            };
            self.trend_sign = if self.rng.next_f64() < 0.5 { -1.0 } else { 1.0 };
        }
    }

    /// Generates the next minute for every symbol, in symbol order.
    pub fn step(&mut self) -> Vec<SymbolMinute> {
        self.switch_regime();
        let open_time = self.next_open_time();
        self.minute += 1;
        let (factor_vol, drift) = match self.regime {
            SyntheticRegime::Trending => (0.0008, 0.00015 * self.trend_sign),
            SyntheticRegime::Ranging => (0.0006, 0.0),
            SyntheticRegime::Volatile => (0.0024, 0.0),
        };
        let market = drift + factor_vol * normal(&mut self.rng);
        let sectors: Vec<f64> = (0..self.config.sectors)
            .map(|_| factor_vol * normal(&mut self.rng))
            .collect();
        let mut out = Vec::with_capacity(self.profiles.len());
        for i in 0..self.profiles.len() {
            let minute = self.symbol_minute(i, open_time, market, sectors[self.profiles[i].sector]);
            out.push(minute);
        }
        out
    }

    fn symbol_minute(
        &mut self,
        i: usize,
        open_time: i64,
        market: f64,
        sector: f64,
    ) -> SymbolMinute {
        let p = &self.profiles[i];
        let st = &mut self.states[i];
        let rng = &mut self.rng;
        // GARCH(1,1) on the unit-variance scale: long-run variance 1.
        let z = normal(rng);
        let vol_scale = st.variance.sqrt();
        let mut ret = p.beta_market * market + p.beta_sector * sector + p.idio_vol * vol_scale * z;
        if self.regime == SyntheticRegime::Ranging {
            ret += 0.02 * (st.anchor / st.price).ln();
        }
        st.variance = 0.05 + 0.10 * z * z * st.variance + 0.85 * st.variance;
        if st.surge_left == 0 && rng.next_f64() < 1.0 / 2000.0 {
            st.surge_left = 5 + (rng.next_f64() * 25.0) as u32;
            st.surge_factor = 3.0 + 5.0 * rng.next_f64();
        }
        let surge = if st.surge_left > 0 {
            st.surge_left -= 1;
            st.surge_factor
        } else {
            1.0
        };
        let tick = p.instrument.tick_size;
        let open = st.price;
        let close = round_to((open * ret.exp()).max(tick), tick);
        let activity = 1.0 + 200.0 * ret.abs();
        let quote_target =
            p.quote_volume_24h / DAY_MINUTES as f64 * surge * activity * (0.5 * normal(rng)).exp();
        let n = self.config.trades_per_minute.max(1);
        let mut trades = Vec::with_capacity(n);
        let (mut high, mut low) = (open.max(close), open.min(close));
        for k in 0..n {
            // A bridge from open to close with noise, so trades make the candle.
            let frac = (k + 1) as f64 / n as f64;
            let noise = open * p.idio_vol * vol_scale * normal(rng) * 0.5;
            let price = if k + 1 == n {
                close
            } else {
                round_to((open + (close - open) * frac + noise).max(tick), tick)
            };
            high = high.max(price);
            low = low.min(price);
            let qty = quote_target / n as f64 / price * (0.5 + rng.next_f64());
            trades.push(SyntheticTrade {
                time: open_time + ((k as f64 + 0.5) / n as f64 * 60_000.0) as i64,
                price,
                qty,
                buyer_is_maker: rng.next_f64() < 0.5 - ret.signum() * 0.1,
            });
        }
        let volume: f64 = trades.iter().map(|t| t.qty).sum();
        let quote_volume: f64 = trades.iter().map(|t| t.qty * t.price).sum();
        let taker_buy: Vec<&SyntheticTrade> = trades.iter().filter(|t| !t.buyer_is_maker).collect();
        let kline = Candle {
            open_time,
            open,
            high,
            low,
            close,
            volume,
            quote_volume,
            trades: n as u64,
            taker_buy_volume: taker_buy.iter().map(|t| t.qty).sum(),
            taker_buy_quote_volume: taker_buy.iter().map(|t| t.qty * t.price).sum(),
        };
        let half = (close * p.spread / 2.0).max(tick / 2.0);
        let bid = round_to(close - half, tick).max(tick);
        let ask = round_to(close + half, tick).max(bid + tick);
        let depth_qty = p.quote_volume_24h / 1e4 / close;
        let book = BookTicker {
            bid,
            bid_qty: depth_qty * (0.5 + rng.next_f64()),
            ask,
            ask_qty: depth_qty * (0.5 + rng.next_f64()),
        };
        st.price = close;
        st.day.push_back(kline);
        if st.day.len() > DAY_MINUTES {
            st.day.pop_front();
        }
        SymbolMinute {
            index: i,
            trades,
            book,
            kline,
        }
    }

    /// Rolling 24h statistics of symbol `index`. While less than a day has
    /// been generated, the missing minutes count at the symbol's target
    /// volume, so screening works from the first minute.
    ///
    /// # Panics
    /// When `index` is out of range.
    #[must_use]
    pub fn ticker_24h(&self, index: usize) -> Ticker24h {
        let st = &self.states[index];
        let p = &self.profiles[index];
        let missing = DAY_MINUTES - st.day.len();
        let per_minute = p.quote_volume_24h / DAY_MINUTES as f64;
        let quote_volume =
            st.day.iter().map(|c| c.quote_volume).sum::<f64>() + missing as f64 * per_minute;
        let volume =
            st.day.iter().map(|c| c.volume).sum::<f64>() + missing as f64 * per_minute / st.price;
        Ticker24h {
            last_price: st.price,
            open_price: st.day.front().map_or(st.price, |c| c.open),
            high: st.day.iter().map(|c| c.high).fold(st.price, f64::max),
            low: st.day.iter().map(|c| c.low).fold(st.price, f64::min),
            volume,
            quote_volume,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_returns(closes: &[f64]) -> Vec<f64> {
        closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
    }

    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    #[test]
    fn same_seed_same_market() {
        let mut a = SyntheticMarket::new(SyntheticConfig::default());
        let mut b = SyntheticMarket::new(SyntheticConfig::default());
        for _ in 0..20 {
            assert_eq!(a.step(), b.step());
        }
    }

    #[test]
    fn universe_has_the_shapes_screening_needs() {
        let m = SyntheticMarket::new(SyntheticConfig::default());
        let p = m.profiles();
        let below = p.iter().filter(|s| s.quote_volume_24h < 50e6).count();
        let wide = p.iter().filter(|s| s.spread >= 0.0005).count();
        let halted = p
            .iter()
            .filter(|s| s.instrument.status != ContractStatus::Trading)
            .count();
        assert!((30..=75).contains(&below), "{below} of 150 below $50M");
        assert!(wide >= 3, "{wide} with spread >= 0.05%");
        assert!(halted >= 1, "no non-trading contract");
        for (s, st) in p.iter().zip(&m.states) {
            let step_notional = s.instrument.step_size * st.price;
            assert!(
                (1e-4..1e3).contains(&step_notional),
                "{s:?} at {}",
                st.price
            );
            assert!(s.instrument.tick_size <= st.price * 1e-3, "{s:?}");
        }
    }

    #[test]
    fn candles_are_valid_and_books_are_uncrossed() {
        let mut m = SyntheticMarket::new(SyntheticConfig::default());
        for _ in 0..60 {
            for s in m.step() {
                let k = s.kline;
                assert!(
                    k.low <= k.open.min(k.close) && k.high >= k.open.max(k.close),
                    "{k:?}"
                );
                assert!(k.low > 0.0 && k.volume > 0.0);
                assert!(s.book.bid < s.book.ask);
                assert_eq!(s.trades.last().unwrap().price, k.close);
            }
        }
    }

    #[test]
    fn correlations_span_zero_to_above_point_nine() {
        let mut m = SyntheticMarket::new(SyntheticConfig::default());
        let n = m.profiles().len();
        let mut closes = vec![Vec::new(); n];
        for _ in 0..1500 {
            for s in m.step() {
                closes[s.index].push(s.kline.close);
            }
        }
        let r: Vec<Vec<f64>> = closes.iter().map(|c| log_returns(c)).collect();
        let sectors = m.config.sectors;
        // Two symbols of sector 0, and two of the last sector.
        let high = correlation(&r[0], &r[sectors]);
        let low = correlation(&r[sectors - 1], &r[2 * sectors - 1]);
        assert!(high > 0.9, "sector-0 correlation {high}");
        assert!(low.abs() < 0.2, "idiosyncratic correlation {low}");
    }

    #[test]
    fn ticker_counts_target_volume_before_a_day_has_passed() {
        let mut m = SyntheticMarket::new(SyntheticConfig::default());
        let fresh = m.ticker_24h(5);
        assert!(
            (fresh.quote_volume - m.profiles()[5].quote_volume_24h).abs()
                < 1e-3 * fresh.quote_volume
        );
        m.step();
        let later = m.ticker_24h(5);
        assert!(later.quote_volume > 0.0 && later.high >= later.low);
    }
}

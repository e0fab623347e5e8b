//! Symbol filters from `exchangeInfo` and the order checks they imply
//! (PROTOCOL.md §4.2 "Filters", §8.1 codes -4002…-4024, -4164).
//!
//! [`SymbolRules`] turns a raw `f64` price or quantity into the exchange
//! precision the venue accepts, and checks a finished order against every
//! filter so a reject is caught before it costs a request. Each violation
//! names the error code the venue would answer, so the simulated exchange
//! can reuse the same checks.

use super::decimal::{Decimal, DecimalError, Price, Quantity, RoundingMode, i64_lenient};
use super::order::Side;
use serde::Deserialize;

/// `PRICE_FILTER`: applies to `price` and `stopPrice`; each part is
/// disabled when zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceFilter {
    /// Lowest price (0 = no minimum).
    pub min_price: Decimal,
    /// Highest price (0 = no maximum).
    pub max_price: Decimal,
    /// Price grid step from `min_price` (0 = no grid).
    pub tick_size: Decimal,
}

/// `LOT_SIZE` / `MARKET_LOT_SIZE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotSize {
    /// Smallest quantity.
    pub min_qty: Decimal,
    /// Largest quantity.
    pub max_qty: Decimal,
    /// Quantity grid step from `min_qty`.
    pub step_size: Decimal,
}

/// `PERCENT_PRICE`: limit prices must stay within a band around the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PercentPrice {
    /// BUY: `price <= mark × multiplier_up`.
    pub multiplier_up: Decimal,
    /// SELL: `price >= mark × multiplier_down`.
    pub multiplier_down: Decimal,
    /// Number of decimals of the multipliers (a number on the filters page,
    /// a string in the sample, §11 item 4).
    #[serde(default, deserialize_with = "i64_lenient")]
    pub multiplier_decimal: i64,
}

/// `MIN_NOTIONAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct MinNotional {
    /// `price × qty` must be at least this (mark price for MARKET orders).
    pub notional: Decimal,
}

/// `MAX_NUM_ORDERS` / `MAX_NUM_ALGO_ORDERS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct MaxNumOrders {
    /// Most open orders.
    pub limit: u32,
}

/// One entry of a symbol's `filters` array, tagged by `filterType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SymbolFilter {
    /// `PRICE_FILTER`.
    PriceFilter(PriceFilter),
    /// `LOT_SIZE`.
    LotSize(LotSize),
    /// `MARKET_LOT_SIZE`.
    MarketLotSize(LotSize),
    /// `MAX_NUM_ORDERS`.
    MaxNumOrders(MaxNumOrders),
    /// `MAX_NUM_ALGO_ORDERS` (removed from exchangeInfo on 2025-12-29).
    MaxNumAlgoOrders(MaxNumOrders),
    /// `MIN_NOTIONAL`.
    MinNotional(MinNotional),
    /// `PERCENT_PRICE`.
    PercentPrice(PercentPrice),
    /// A filter this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// Which quantity filter applies: `LOT_SIZE` for LIMIT, `MARKET_LOT_SIZE`
/// for MARKET (§12 checklist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// A limit order.
    Limit,
    /// A market order.
    Market,
}

/// An order that one of the symbol's filters rejects, with the code the
/// venue answers (§8.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterViolation {
    /// `-4013`: price below `minPrice`.
    #[error("price {price} below minimum {min} (-4013)")]
    PriceBelowMin {
        /// Offending price.
        price: Decimal,
        /// Minimum.
        min: Decimal,
    },
    /// `-4002`: price above `maxPrice`.
    #[error("price {price} above maximum {max} (-4002)")]
    PriceAboveMax {
        /// Offending price.
        price: Decimal,
        /// Maximum.
        max: Decimal,
    },
    /// `-4014`: `(price − minPrice) % tickSize ≠ 0`.
    #[error("price {price} not on the {tick} tick grid (-4014)")]
    PriceOffTick {
        /// Offending price.
        price: Decimal,
        /// Tick size.
        tick: Decimal,
    },
    /// `-4003`: quantity zero or negative.
    #[error("quantity {qty} must be positive (-4003)")]
    QtyNotPositive {
        /// Offending quantity.
        qty: Decimal,
    },
    /// `-4004`: quantity below `minQty`.
    #[error("quantity {qty} below minimum {min} (-4004)")]
    QtyBelowMin {
        /// Offending quantity.
        qty: Decimal,
        /// Minimum.
        min: Decimal,
    },
    /// `-4005`: quantity above `maxQty`.
    #[error("quantity {qty} above maximum {max} (-4005)")]
    QtyAboveMax {
        /// Offending quantity.
        qty: Decimal,
        /// Maximum.
        max: Decimal,
    },
    /// `-4023`: `(qty − minQty) % stepSize ≠ 0`.
    #[error("quantity {qty} not on the {step} step grid (-4023)")]
    QtyOffStep {
        /// Offending quantity.
        qty: Decimal,
        /// Step size.
        step: Decimal,
    },
    /// `-4164`: notional below `MIN_NOTIONAL` (reduce-only orders are exempt).
    #[error("notional {notional} below minimum {min} (-4164)")]
    NotionalBelowMin {
        /// `price × qty`.
        notional: Decimal,
        /// Minimum.
        min: Decimal,
    },
    /// `-4016`: BUY price above `mark × multiplierUp`.
    #[error("buy price {price} above {limit} (mark × multiplierUp) (-4016)")]
    PriceAbovePercentBand {
        /// Offending price.
        price: Decimal,
        /// Band limit.
        limit: Decimal,
    },
    /// `-4024`: SELL price below `mark × multiplierDown`.
    #[error("sell price {price} below {limit} (mark × multiplierDown) (-4024)")]
    PriceBelowPercentBand {
        /// Offending price.
        price: Decimal,
        /// Band limit.
        limit: Decimal,
    },
    /// A raw value could not be brought to exchange precision.
    #[error("cannot represent value in exchange precision: {0}")]
    Precision(#[from] DecimalError),
}

impl FilterViolation {
    /// The Binance error code the venue answers for this violation
    /// (`-1111` BAD_PRECISION for unrepresentable values).
    #[must_use]
    pub const fn code(&self) -> i64 {
        match self {
            Self::PriceBelowMin { .. } => -4013,
            Self::PriceAboveMax { .. } => -4002,
            Self::PriceOffTick { .. } => -4014,
            Self::QtyNotPositive { .. } => -4003,
            Self::QtyBelowMin { .. } => -4004,
            Self::QtyAboveMax { .. } => -4005,
            Self::QtyOffStep { .. } => -4023,
            Self::NotionalBelowMin { .. } => -4164,
            Self::PriceAbovePercentBand { .. } => -4016,
            Self::PriceBelowPercentBand { .. } => -4024,
            Self::Precision(_) => -1111,
        }
    }
}

/// Why a symbol's filters cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// `PRICE_FILTER` is missing.
    #[error("symbol has no PRICE_FILTER")]
    MissingPriceFilter,
    /// `LOT_SIZE` is missing.
    #[error("symbol has no LOT_SIZE filter")]
    MissingLotSize,
}

/// The trading rules of one symbol, gathered from its `filters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolRules {
    /// `PRICE_FILTER`.
    pub price: PriceFilter,
    /// `LOT_SIZE`.
    pub lot: LotSize,
    /// `MARKET_LOT_SIZE` (falls back to `LOT_SIZE` when absent).
    pub market_lot: Option<LotSize>,
    /// `MIN_NOTIONAL`.
    pub min_notional: Option<Decimal>,
    /// `PERCENT_PRICE`.
    pub percent_price: Option<PercentPrice>,
    /// `MAX_NUM_ORDERS`.
    pub max_num_orders: Option<u32>,
}

impl SymbolRules {
    /// Gathers the rules from a symbol's filter list.
    ///
    /// # Errors
    /// [`RulesError`] when `PRICE_FILTER` or `LOT_SIZE` is missing.
    pub fn from_filters(filters: &[SymbolFilter]) -> Result<Self, RulesError> {
        let mut price = None;
        let mut lot = None;
        let mut rules = Self {
            price: PriceFilter {
                min_price: Decimal::ZERO,
                max_price: Decimal::ZERO,
                tick_size: Decimal::ZERO,
            },
            lot: LotSize {
                min_qty: Decimal::ZERO,
                max_qty: Decimal::ZERO,
                step_size: Decimal::ZERO,
            },
            market_lot: None,
            min_notional: None,
            percent_price: None,
            max_num_orders: None,
        };
        for f in filters {
            match *f {
                SymbolFilter::PriceFilter(p) => price = Some(p),
                SymbolFilter::LotSize(l) => lot = Some(l),
                SymbolFilter::MarketLotSize(l) => rules.market_lot = Some(l),
                SymbolFilter::MinNotional(n) => rules.min_notional = Some(n.notional),
                SymbolFilter::PercentPrice(p) => rules.percent_price = Some(p),
                SymbolFilter::MaxNumOrders(m) => rules.max_num_orders = Some(m.limit),
                SymbolFilter::MaxNumAlgoOrders(_) | SymbolFilter::Unknown => {}
            }
        }
        rules.price = price.ok_or(RulesError::MissingPriceFilter)?;
        rules.lot = lot.ok_or(RulesError::MissingLotSize)?;
        Ok(rules)
    }

    fn lot_for(&self, kind: OrderKind) -> LotSize {
        match kind {
            OrderKind::Limit => self.lot,
            OrderKind::Market => self.market_lot.unwrap_or(self.lot),
        }
    }

    /// Brings a raw price onto the tick grid `minPrice + k × tickSize`
    /// (rounding `mode`), then checks it against `PRICE_FILTER`.
    ///
    /// # Errors
    /// [`FilterViolation`] when the rounded price is out of range or not
    /// representable.
    pub fn round_price(&self, raw: f64, mode: RoundingMode) -> Result<Price, FilterViolation> {
        let d = Decimal::from_f64(raw)?;
        let p = &self.price;
        let rounded = if p.tick_size.is_zero() {
            d
        } else {
            d.round_to_step(p.min_price, p.tick_size, mode)?
        };
        let price = Price(rounded);
        self.check_price(price)?;
        Ok(price)
    }

    /// Brings a raw quantity down onto the step grid `minQty + k × stepSize`
    /// (never more than asked, but for a float's hair: within a millionth
    /// of a step under a grid point is that point), then checks it against
    /// the lot filter.
    ///
    /// # Errors
    /// [`FilterViolation`] when the rounded quantity is out of range.
    pub fn round_qty(&self, raw: f64, kind: OrderKind) -> Result<Quantity, FilterViolation> {
        let d = Decimal::from_f64(raw)?;
        let lot = self.lot_for(kind);
        let rounded = if lot.step_size.is_zero() || d < lot.min_qty {
            d
        } else {
            // A quantity a float sum left a hair under a step (0.1599…92
            // for 0.16) is that step: rounding it down would leave one step
            // of the position behind.
            let up = d.round_to_step(lot.min_qty, lot.step_size, RoundingMode::Up)?;
            if (up.to_f64() - raw).abs() <= lot.step_size.to_f64() * 1e-6 {
                up
            } else {
                d.round_to_step(lot.min_qty, lot.step_size, RoundingMode::Down)?
            }
        };
        let qty = Quantity(rounded);
        self.check_qty(qty, kind)?;
        Ok(qty)
    }

    /// `PRICE_FILTER` (§4.2): `price >= minPrice`, `price <= maxPrice`,
    /// `(price − minPrice) % tickSize == 0`, each part disabled when zero.
    ///
    /// # Errors
    /// The first [`FilterViolation`] found.
    pub fn check_price(&self, price: Price) -> Result<(), FilterViolation> {
        let p = &self.price;
        let v = price.value();
        if !p.min_price.is_zero() && v < p.min_price {
            return Err(FilterViolation::PriceBelowMin {
                price: v,
                min: p.min_price,
            });
        }
        if !p.max_price.is_zero() && v > p.max_price {
            return Err(FilterViolation::PriceAboveMax {
                price: v,
                max: p.max_price,
            });
        }
        if !v.is_step_aligned(p.min_price, p.tick_size) {
            return Err(FilterViolation::PriceOffTick {
                price: v,
                tick: p.tick_size,
            });
        }
        Ok(())
    }

    /// `LOT_SIZE` / `MARKET_LOT_SIZE` (§4.2): `minQty <= qty <= maxQty`,
    /// `(qty − minQty) % stepSize == 0`.
    ///
    /// # Errors
    /// The first [`FilterViolation`] found.
    pub fn check_qty(&self, qty: Quantity, kind: OrderKind) -> Result<(), FilterViolation> {
        let lot = self.lot_for(kind);
        let q = qty.value();
        if q <= Decimal::ZERO {
            return Err(FilterViolation::QtyNotPositive { qty: q });
        }
        if q < lot.min_qty {
            return Err(FilterViolation::QtyBelowMin {
                qty: q,
                min: lot.min_qty,
            });
        }
        if !lot.max_qty.is_zero() && q > lot.max_qty {
            return Err(FilterViolation::QtyAboveMax {
                qty: q,
                max: lot.max_qty,
            });
        }
        if !q.is_step_aligned(lot.min_qty, lot.step_size) {
            return Err(FilterViolation::QtyOffStep {
                qty: q,
                step: lot.step_size,
            });
        }
        Ok(())
    }

    /// `MIN_NOTIONAL` (§4.2): `price × qty >= notional`; pass the mark price
    /// for MARKET orders; reduce-only orders are exempt (`-4164` text).
    ///
    /// # Errors
    /// [`FilterViolation::NotionalBelowMin`], or a precision error.
    pub fn check_notional(
        &self,
        price: Price,
        qty: Quantity,
        reduce_only: bool,
    ) -> Result<(), FilterViolation> {
        let Some(min) = self.min_notional else {
            return Ok(());
        };
        if reduce_only {
            return Ok(());
        }
        let notional = price.value().checked_mul(qty.value())?;
        if notional < min {
            return Err(FilterViolation::NotionalBelowMin { notional, min });
        }
        Ok(())
    }

    /// `PERCENT_PRICE` (§4.2): BUY `price <= mark × multiplierUp`, SELL
    /// `price >= mark × multiplierDown`.
    ///
    /// # Errors
    /// [`FilterViolation::PriceAbovePercentBand`] /
    /// [`FilterViolation::PriceBelowPercentBand`], or a precision error.
    pub fn check_percent_price(
        &self,
        side: Side,
        price: Price,
        mark: Price,
    ) -> Result<(), FilterViolation> {
        let Some(pp) = self.percent_price else {
            return Ok(());
        };
        let v = price.value();
        match side {
            Side::Buy => {
                let limit = mark.value().checked_mul(pp.multiplier_up)?;
                if v > limit {
                    return Err(FilterViolation::PriceAbovePercentBand { price: v, limit });
                }
            }
            Side::Sell => {
                let limit = mark.value().checked_mul(pp.multiplier_down)?;
                if v < limit {
                    return Err(FilterViolation::PriceBelowPercentBand { price: v, limit });
                }
            }
        }
        Ok(())
    }

    /// Every check for a LIMIT order: price, lot size, minimum notional,
    /// and the percent band when a mark price is known.
    ///
    /// # Errors
    /// The first [`FilterViolation`] found, in that order.
    pub fn check_limit_order(
        &self,
        side: Side,
        price: Price,
        qty: Quantity,
        mark: Option<Price>,
        reduce_only: bool,
    ) -> Result<(), FilterViolation> {
        self.check_price(price)?;
        self.check_qty(qty, OrderKind::Limit)?;
        self.check_notional(price, qty, reduce_only)?;
        if let Some(mark) = mark {
            self.check_percent_price(side, price, mark)?;
        }
        Ok(())
    }

    /// Every check for a MARKET order: market lot size and the minimum
    /// notional at the mark price.
    ///
    /// # Errors
    /// The first [`FilterViolation`] found.
    pub fn check_market_order(
        &self,
        qty: Quantity,
        mark: Price,
        reduce_only: bool,
    ) -> Result<(), FilterViolation> {
        self.check_qty(qty, OrderKind::Market)?;
        self.check_notional(mark, qty, reduce_only)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn rules() -> SymbolRules {
        let filters: Vec<SymbolFilter> = serde_json::from_str(
            r#"[
            {"filterType":"PRICE_FILTER","maxPrice":"300","minPrice":"0.0001","tickSize":"0.0001"},
            {"filterType":"LOT_SIZE","maxQty":"10000000","minQty":"1","stepSize":"1"},
            {"filterType":"MARKET_LOT_SIZE","maxQty":"590119","minQty":"1","stepSize":"1"},
            {"filterType":"MAX_NUM_ORDERS","limit":200},
            {"filterType":"MIN_NOTIONAL","notional":"5.0"},
            {"filterType":"PERCENT_PRICE","multiplierUp":"1.1500","multiplierDown":"0.8500","multiplierDecimal":"4"},
            {"filterType":"SOMETHING_NEW","x":1}
            ]"#,
        )
        .unwrap();
        SymbolRules::from_filters(&filters).unwrap()
    }

    #[test]
    fn rounds_prices_and_quantities() {
        let r = rules();
        assert_eq!(
            r.round_price(0.123_456, RoundingMode::Down).unwrap(),
            Price(d("0.1234"))
        );
        assert_eq!(
            r.round_price(0.123_456, RoundingMode::Up).unwrap(),
            Price(d("0.1235"))
        );
        assert_eq!(
            r.round_qty(41.9, OrderKind::Limit).unwrap(),
            Quantity(d("41"))
        );
        // A float sum a hair under a step is that step, not one less.
        assert_eq!(
            r.round_qty(42.0 - 1e-12, OrderKind::Limit).unwrap(),
            Quantity(d("42"))
        );
        assert_eq!(
            r.round_qty(0.5, OrderKind::Limit),
            Err(FilterViolation::QtyBelowMin {
                qty: d("0.5"),
                min: d("1")
            })
        );
        assert_eq!(
            r.round_qty(600_000.0, OrderKind::Market)
                .unwrap_err()
                .code(),
            -4005
        );
        assert_eq!(
            r.round_price(301.0, RoundingMode::Down).unwrap_err().code(),
            -4002
        );
    }

    #[test]
    fn checks_each_filter() {
        let r = rules();
        assert_eq!(
            r.check_price(Price(d("0.12345"))).unwrap_err().code(),
            -4014
        );
        assert_eq!(
            r.check_price(Price(d("0.00005"))).unwrap_err().code(),
            -4013
        );
        assert_eq!(
            r.check_qty(Quantity(d("1.5")), OrderKind::Limit)
                .unwrap_err()
                .code(),
            -4023
        );
        assert_eq!(
            r.check_qty(Quantity(d("0")), OrderKind::Limit)
                .unwrap_err()
                .code(),
            -4003
        );
        // 0.1 × 40 = 4 < 5.0
        let e = r.check_notional(Price(d("0.1")), Quantity(d("40")), false);
        assert_eq!(e.unwrap_err().code(), -4164);
        assert!(
            r.check_notional(Price(d("0.1")), Quantity(d("40")), true)
                .is_ok()
        );
        assert!(
            r.check_notional(Price(d("0.1")), Quantity(d("50")), false)
                .is_ok()
        );
        let mark = Price(d("1"));
        assert_eq!(
            r.check_percent_price(Side::Buy, Price(d("1.16")), mark)
                .unwrap_err()
                .code(),
            -4016
        );
        assert!(
            r.check_percent_price(Side::Buy, Price(d("1.15")), mark)
                .is_ok()
        );
        assert_eq!(
            r.check_percent_price(Side::Sell, Price(d("0.84")), mark)
                .unwrap_err()
                .code(),
            -4024
        );
        assert!(
            r.check_limit_order(
                Side::Buy,
                Price(d("1.0")),
                Quantity(d("10")),
                Some(mark),
                false
            )
            .is_ok()
        );
        assert!(r.check_market_order(Quantity(d("10")), mark, false).is_ok());
    }

    #[test]
    fn missing_filters_are_errors() {
        assert_eq!(
            SymbolRules::from_filters(&[]),
            Err(RulesError::MissingPriceFilter)
        );
    }
}

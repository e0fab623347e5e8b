//! The simulated account's books: wallet balance, one-way positions and
//! income records, accounted as Binance accounts USDT-margined perpetuals
//! (PROTOCOL.md §6.5, §7.4).
//!
//! Rules, per fill of signed quantity `q` (BUY positive) at price `p`:
//! 1. A fill on a flat position, or in the position's direction, raises it;
//!    the entry price becomes the quantity-weighted average of the old
//!    entry and `p`.
//! 2. A fill against the position reduces it first: realized PnL is
//!    `closed × (p − entry)` for a long and `closed × (entry − p)` for a
//!    short; the entry price is unchanged.
//! 3. What is left of the fill after the position reached zero opens the
//!    other way at `p`; a position that reaches zero has entry 0.
//! 4. Realized PnL is added to and the commission deducted from the wallet
//!    balance, each recorded as an income (`REALIZED_PNL`, `COMMISSION`).
//! 5. Unrealized PnL is `amount × (mark − entry)`, never booked.
//!
//! Quantities are exact [`Decimal`]s so a position is exactly the signed
//! sum of its fills; money is `f64`.

use crate::exchange::binance::Decimal;
use crate::exchange::binance::order::{MarginType, Side};
use std::collections::BTreeMap;

/// One symbol's position (one-way mode: `positionSide` `BOTH`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Signed amount: positive long, negative short.
    pub amount: Decimal,
    /// Average entry price (0 when flat).
    pub entry_price: f64,
    /// Realized PnL accumulated before fees (`cr` in `ACCOUNT_UPDATE`).
    pub accumulated_realized: f64,
    /// Leverage (1–125).
    pub leverage: u32,
    /// Margin type.
    pub margin_type: MarginType,
    /// Time of the last change (simulated ms).
    pub update_time: i64,
}

impl Position {
    fn flat(leverage: u32) -> Self {
        Self {
            amount: Decimal::ZERO,
            entry_price: 0.0,
            accumulated_realized: 0.0,
            leverage,
            margin_type: MarginType::Crossed,
            update_time: 0,
        }
    }

    /// The amount as `f64`.
    #[must_use]
    pub fn amount_f64(&self) -> f64 {
        self.amount.to_f64()
    }

    /// Rule 5: unrealized PnL at `mark`.
    #[must_use]
    pub fn unrealized(&self, mark: f64) -> f64 {
        if self.amount.is_zero() {
            0.0
        } else {
            self.amount_f64() * (mark - self.entry_price)
        }
    }

    /// Initial margin the position holds at `mark`: notional / leverage.
    #[must_use]
    pub fn initial_margin(&self, mark: f64) -> f64 {
        (self.amount_f64() * mark).abs() / f64::from(self.leverage.max(1))
    }

    /// Margin set aside for an isolated position: entry notional / leverage
    /// (0 for cross).
    #[must_use]
    pub fn isolated_wallet(&self) -> f64 {
        match self.margin_type {
            MarginType::Isolated => {
                (self.amount_f64() * self.entry_price).abs() / f64::from(self.leverage.max(1))
            }
            MarginType::Crossed => 0.0,
        }
    }
}

/// Kind of an income record (`GET /fapi/v1/income` `incomeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncomeType {
    /// Realized PnL of a reducing fill.
    RealizedPnl,
    /// Trading fee.
    Commission,
    /// Funding fee.
    FundingFee,
}

impl IncomeType {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RealizedPnl => "REALIZED_PNL",
            Self::Commission => "COMMISSION",
            Self::FundingFee => "FUNDING_FEE",
        }
    }
}

/// One income record.
#[derive(Debug, Clone, PartialEq)]
pub struct Income {
    /// Symbol.
    pub symbol: String,
    /// Kind.
    pub kind: IncomeType,
    /// Signed amount in USDT.
    pub amount: f64,
    /// Simulated time (ms).
    pub time: i64,
    /// Transaction id.
    pub tran_id: i64,
    /// Trade id the record comes from (0 when none).
    pub trade_id: i64,
}

/// What one fill did to the books.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillEffect {
    /// Realized PnL (rule 2; 0 for an increasing fill).
    pub realized_pnl: f64,
    /// Commission deducted.
    pub commission: f64,
    /// The position after the fill.
    pub position: Position,
}

/// Why a ledger operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The fill quantity is zero or negative.
    #[error("fill quantity must be positive")]
    NonPositiveQty,
    /// Quantities outgrew exact decimal arithmetic.
    #[error("quantity arithmetic overflow")]
    Overflow,
}

/// Wallet, positions and incomes of the one simulated account.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    initial_balance: f64,
    wallet: f64,
    default_leverage: u32,
    positions: BTreeMap<String, Position>,
    incomes: Vec<Income>,
    next_tran_id: i64,
}

impl Ledger {
    /// A ledger holding `balance` USDT and no position; new symbols start
    /// at `default_leverage`, cross margin.
    #[must_use]
    pub fn new(balance: f64, default_leverage: u32) -> Self {
        Self {
            initial_balance: balance,
            wallet: balance,
            default_leverage: default_leverage.clamp(1, 125),
            positions: BTreeMap::new(),
            incomes: Vec::new(),
            next_tran_id: 1,
        }
    }

    /// The balance the account started with.
    #[must_use]
    pub fn initial_balance(&self) -> f64 {
        self.initial_balance
    }

    /// Wallet balance: initial + realized PnL − commissions (+ funding).
    #[must_use]
    pub fn wallet(&self) -> f64 {
        self.wallet
    }

    /// The position of `symbol` (flat with the default settings when never
    /// traded).
    #[must_use]
    pub fn position(&self, symbol: &str) -> Position {
        self.positions
            .get(symbol)
            .copied()
            .unwrap_or_else(|| Position::flat(self.default_leverage))
    }

    /// Symbols with a position record (traded or configured), in order.
    pub fn positions(&self) -> impl Iterator<Item = (&str, &Position)> {
        self.positions.iter().map(|(s, p)| (s.as_str(), p))
    }

    /// Every income record, oldest first.
    #[must_use]
    pub fn incomes(&self) -> &[Income] {
        &self.incomes
    }

    fn entry(&mut self, symbol: &str) -> &mut Position {
        let leverage = self.default_leverage;
        self.positions
            .entry(symbol.to_string())
            .or_insert_with(|| Position::flat(leverage))
    }

    /// Sets the leverage of `symbol` (1–125, checked by the caller).
    pub fn set_leverage(&mut self, symbol: &str, leverage: u32) {
        self.entry(symbol).leverage = leverage;
    }

    /// Sets the margin type of `symbol`.
    pub fn set_margin_type(&mut self, symbol: &str, margin_type: MarginType) {
        self.entry(symbol).margin_type = margin_type;
    }

    fn record(&mut self, symbol: &str, kind: IncomeType, amount: f64, time: i64, trade_id: i64) {
        self.incomes.push(Income {
            symbol: symbol.to_string(),
            kind,
            amount,
            time,
            tran_id: self.next_tran_id,
            trade_id,
        });
        self.next_tran_id += 1;
    }

    /// Books one fill (rules 1–4).
    ///
    /// # Errors
    /// [`LedgerError`] for a non-positive quantity or decimal overflow;
    /// the books are unchanged then.
    #[allow(
        clippy::too_many_arguments,
        reason = "a fill is exactly these facts; a struct would only rename them"
    )]
    pub fn apply_fill(
        &mut self,
        symbol: &str,
        side: Side,
        qty: Decimal,
        price: f64,
        commission: f64,
        time: i64,
        trade_id: i64,
    ) -> Result<FillEffect, LedgerError> {
        if qty <= Decimal::ZERO {
            return Err(LedgerError::NonPositiveQty);
        }
        let signed = match side {
            Side::Buy => qty,
            Side::Sell => Decimal::ZERO
                .checked_sub(qty)
                .map_err(|_| LedgerError::Overflow)?,
        };
        let pos = self.position(symbol);
        let new_amount = pos
            .amount
            .checked_add(signed)
            .map_err(|_| LedgerError::Overflow)?;
        let old = pos.amount_f64();
        let q = signed.to_f64();
        let mut next = pos;
        let mut realized = 0.0;
        if pos.amount.is_zero() || old.signum() == q.signum() {
            // Rule 1.
            let total = old.abs() + q.abs();
            next.entry_price = (old.abs() * pos.entry_price + q.abs() * price) / total;
        } else {
            // Rules 2 and 3.
            let closed = q.abs().min(old.abs());
            realized = closed * (price - pos.entry_price) * old.signum();
            if new_amount.is_zero() {
                next.entry_price = 0.0;
            } else if new_amount.is_negative() != pos.amount.is_negative() {
                next.entry_price = price;
            }
        }
        next.amount = new_amount;
        next.accumulated_realized += realized;
        next.update_time = time;
        *self.entry(symbol) = next;
        // Rule 4.
        self.wallet += realized - commission;
        if realized != 0.0 {
            self.record(symbol, IncomeType::RealizedPnl, realized, time, trade_id);
        }
        if commission != 0.0 {
            self.record(symbol, IncomeType::Commission, -commission, time, trade_id);
        }
        Ok(FillEffect {
            realized_pnl: realized,
            commission,
            position: next,
        })
    }

    /// Books a funding payment of `amount` (positive received, negative
    /// paid) on `symbol`.
    pub fn apply_funding(&mut self, symbol: &str, amount: f64, time: i64) {
        self.wallet += amount;
        self.record(symbol, IncomeType::FundingFee, amount, time, 0);
    }

    /// Unrealized PnL of every position, each at the mark `mark_of` gives.
    pub fn unrealized(&self, mut mark_of: impl FnMut(&str) -> f64) -> f64 {
        self.positions
            .iter()
            .filter(|(_, p)| !p.amount.is_zero())
            .map(|(s, p)| p.unrealized(mark_of(s)))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn increase_reduce_flip_close() {
        let mut l = Ledger::new(1000.0, 20);
        l.apply_fill("X", Side::Buy, d("1"), 100.0, 0.1, 1, 1)
            .unwrap();
        let e = l
            .apply_fill("X", Side::Buy, d("3"), 120.0, 0.0, 2, 2)
            .unwrap();
        assert_eq!(e.position.amount, d("4"));
        assert!((e.position.entry_price - 115.0).abs() < 1e-12);
        let e = l
            .apply_fill("X", Side::Sell, d("1"), 125.0, 0.0, 3, 3)
            .unwrap();
        assert!((e.realized_pnl - 10.0).abs() < 1e-12);
        assert!((e.position.entry_price - 115.0).abs() < 1e-12);
        // Flip: 3 long closed at 105 (−30), 2 short opened at 105.
        let e = l
            .apply_fill("X", Side::Sell, d("5"), 105.0, 0.0, 4, 4)
            .unwrap();
        assert!((e.realized_pnl + 30.0).abs() < 1e-12);
        assert_eq!(e.position.amount, d("-2"));
        assert!((e.position.entry_price - 105.0).abs() < 1e-12);
        let e = l
            .apply_fill("X", Side::Buy, d("2"), 100.0, 0.0, 5, 5)
            .unwrap();
        assert!((e.realized_pnl - 10.0).abs() < 1e-12);
        assert!(e.position.amount.is_zero());
        assert_eq!(e.position.unrealized(1e6), 0.0);
        assert!((l.wallet() - (1000.0 - 0.1 + 10.0 - 30.0 + 10.0)).abs() < 1e-9);
        let kinds: Vec<_> = l.incomes().iter().map(|i| i.kind).collect();
        assert_eq!(kinds[0], IncomeType::Commission);
        assert_eq!(kinds.len(), 4);
    }

    #[test]
    fn zero_fill_is_refused() {
        let mut l = Ledger::new(10.0, 20);
        assert_eq!(
            l.apply_fill("X", Side::Buy, Decimal::ZERO, 1.0, 0.0, 0, 0),
            Err(LedgerError::NonPositiveQty)
        );
        assert_eq!(l.wallet(), 10.0);
    }
}

//! Property tests of the simulated account's accounting
//! (`exchange::sim::ledger`): for any sequence of fills,
//! - the wallet is the initial balance plus realized PnL minus commissions,
//!   as the income records list them;
//! - wallet + unrealized PnL at any mark equals the initial balance minus
//!   commissions plus the mark-to-market value of every fill,
//!   `Σ qᵢ × (mark − pᵢ)` (cash is conserved);
//! - the position is exactly the signed sum of the fills;
//! - a position closed to zero has no unrealized PnL and entry 0.

use proptest::prelude::*;
use quantumtrade::exchange::binance::Decimal;
use quantumtrade::exchange::binance::order::Side;
use quantumtrade::exchange::sim::ledger::{IncomeType, Ledger};

/// A fill: side, quantity in lots of 0.001, price in cents, fee rate in
/// tenths of a basis point.
fn fill() -> impl Strategy<Value = (bool, i64, i64, u32)> {
    (
        any::<bool>(),
        1_i64..5_000,
        1_000_i64..10_000_000,
        0_u32..10,
    )
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale.max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn accounting_conserves_cash(
        fills in prop::collection::vec(fill(), 1..40),
        mark_cents in 1_000_i64..10_000_000,
    ) {
        let initial = 50_000.0;
        let mut l = Ledger::new(initial, 20);
        let mut signed_sum = Decimal::ZERO;
        let mut fees = 0.0;
        let mut fills_value = Vec::new();
        let mut scale = initial;
        for (t, (buy, lots, cents, fee_tenths_bp)) in fills.into_iter().enumerate() {
            let qty = Decimal::new(i128::from(lots), 3).unwrap();
            let price = cents as f64 / 100.0;
            let fee = qty.to_f64() * price * f64::from(fee_tenths_bp) * 1e-5;
            let side = if buy { Side::Buy } else { Side::Sell };
            let t = i64::try_from(t).unwrap();
            l.apply_fill("X", side, qty, price, fee, t, t).unwrap();
            signed_sum = if buy {
                signed_sum.checked_add(qty).unwrap()
            } else {
                signed_sum.checked_sub(qty).unwrap()
            };
            fees += fee;
            let q = if buy { qty.to_f64() } else { -qty.to_f64() };
            fills_value.push((q, price));
            scale += qty.to_f64() * price;
        }
        let pos = l.position("X");
        // Exactly the signed sum: decimals, not floats.
        prop_assert_eq!(pos.amount, signed_sum);

        let realized: f64 = l.incomes().iter()
            .filter(|i| i.kind == IncomeType::RealizedPnl).map(|i| i.amount).sum();
        let commissions: f64 = l.incomes().iter()
            .filter(|i| i.kind == IncomeType::Commission).map(|i| i.amount).sum();
        prop_assert!(close(commissions, -fees, scale));
        prop_assert!(close(l.wallet(), initial + realized + commissions, scale),
            "wallet {} vs {}", l.wallet(), initial + realized + commissions);

        let mark = mark_cents as f64 / 100.0;
        let mtm: f64 = fills_value.iter().map(|(q, p)| q * (mark - p)).sum();
        let equity = l.wallet() + pos.unrealized(mark);
        prop_assert!(close(equity, initial - fees + mtm, scale * 10.0),
            "equity {} vs {}", equity, initial - fees + mtm);
    }

    #[test]
    fn closing_fully_leaves_nothing_unrealized(
        fills in prop::collection::vec(fill(), 1..20),
        close_cents in 1_000_i64..10_000_000,
        mark_cents in 1_000_i64..10_000_000,
    ) {
        let mut l = Ledger::new(1_000.0, 10);
        for (buy, lots, cents, _) in fills {
            let qty = Decimal::new(i128::from(lots), 3).unwrap();
            let side = if buy { Side::Buy } else { Side::Sell };
            l.apply_fill("X", side, qty, cents as f64 / 100.0, 0.0, 0, 0).unwrap();
        }
        let amount = l.position("X").amount;
        if !amount.is_zero() {
            let (side, qty) = if amount.is_negative() {
                (Side::Buy, Decimal::ZERO.checked_sub(amount).unwrap())
            } else {
                (Side::Sell, amount)
            };
            l.apply_fill("X", side, qty, close_cents as f64 / 100.0, 0.0, 1, 1).unwrap();
        }
        let pos = l.position("X");
        prop_assert!(pos.amount.is_zero());
        prop_assert_eq!(pos.entry_price, 0.0);
        prop_assert_eq!(pos.unrealized(mark_cents as f64 / 100.0), 0.0);
    }
}

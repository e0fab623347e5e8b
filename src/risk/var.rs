//! Value at risk: the loss a position or portfolio should not exceed over a
//! horizon with a given confidence, as a positive fraction of its value.
//!
//! - Historical: the empirical (1 − c) quantile of the returns, sign-flipped:
//!   sort ascending, take the value at index ⌈(1 − c)·n⌉ − 1.
//! - Parametric (normal): −(μ + z₁₋c·σ), z the standard normal quantile.
//!
//! Both floor at 0 (a series that never loses has no VaR). The node's
//! returns are one-minute log returns; a one-day VaR scales them by the
//! square-root-of-time rule (μ·T, σ·√T; the historical quantile by √T),
//! which assumes independent minutes: it understates fat tails and
//! clustering, which is why both measures are kept and the larger one is
//! enforced.

/// The standard normal quantile (inverse CDF) at `p` in (0, 1), by
/// Acklam's rational approximation (relative error 1.15e-9) refined with
/// one Halley step on the CDF.
///
/// # Panics
/// When `p` is not in (0, 1).
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "normal_quantile needs 0 < p < 1, got {p}"
    );
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let e = 0.5 * erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Complementary error function: the Maclaurin series of erf below 2
/// (erfc ≥ 0.0047 there, so 1 − erf keeps ~13 digits), the continued
/// fraction of erfc (modified Lentz) from 2 up, where it converges fast and
/// keeps full relative precision in the tail.
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
        let (mut term, mut sum, x2) = (x, x, x * x);
        for n in 1..200 {
            term *= -x2 / f64::from(n);
            let add = term / f64::from(2 * n + 1);
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        return 1.0 - sum * std::f64::consts::FRAC_2_SQRT_PI;
    }
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
    let tiny = 1e-300;
    let mut f = x;
    let (mut c, mut d) = (x, 0.0);
    for k in 1..500 {
        let a = f64::from(k) / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// Historical VaR of `returns` at confidence `c` (e.g. 0.95); `None` for no
/// finite returns.
#[must_use]
pub fn historical(returns: &[f64], c: f64) -> Option<f64> {
    let mut r: Vec<f64> = returns.iter().copied().filter(|v| v.is_finite()).collect();
    if r.is_empty() {
        return None;
    }
    r.sort_by(f64::total_cmp);
    let n = r.len() as f64;
    // The small slack keeps (1 − 0.95)·100 = 5.000000000000004 at 5.
    let k = (((1.0 - c) * n - 1e-9).ceil() as usize).clamp(1, r.len()) - 1;
    Some((-r[k]).max(0.0))
}

/// Parametric (normal) VaR from a mean and standard deviation of returns.
#[must_use]
pub fn parametric(mean: f64, std: f64, c: f64) -> f64 {
    (-(mean + normal_quantile(1.0 - c) * std)).max(0.0)
}

/// Mean and sample standard deviation; `None` below two finite values.
#[must_use]
pub fn mean_std(returns: &[f64]) -> Option<(f64, f64)> {
    let r: Vec<f64> = returns.iter().copied().filter(|v| v.is_finite()).collect();
    if r.len() < 2 {
        return None;
    }
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((mean, var.sqrt()))
}

/// A portfolio's VaR over `horizon` periods, both ways, in money.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PortfolioVar {
    /// Historical VaR at 95%.
    pub historical_95: f64,
    /// Historical VaR at 99%.
    pub historical_99: f64,
    /// Parametric VaR at 95%.
    pub parametric_95: f64,
    /// Parametric VaR at 99%.
    pub parametric_99: f64,
}

impl PortfolioVar {
    /// The largest of the four: what a limit is checked against.
    #[must_use]
    pub fn worst(&self) -> f64 {
        self.historical_95
            .max(self.historical_99)
            .max(self.parametric_95)
            .max(self.parametric_99)
    }
}

/// Portfolio VaR in money: `exposures` are signed notionals (long > 0);
/// `returns[i]` are position i's per-period returns, aligned in time (the
/// shortest series sets the window, newest last). The portfolio's return
/// series is Σ exposureᵢ·rᵢ,t; a `horizon` of T periods scales it by √T
/// (and the parametric mean by T). `None` with fewer than two common
/// periods.
///
/// # Panics
/// When `exposures` and `returns` differ in length.
#[must_use]
pub fn portfolio(exposures: &[f64], returns: &[&[f64]], horizon: f64) -> Option<PortfolioVar> {
    assert_eq!(
        exposures.len(),
        returns.len(),
        "one return series per position"
    );
    if exposures.is_empty() {
        return Some(PortfolioVar {
            historical_95: 0.0,
            historical_99: 0.0,
            parametric_95: 0.0,
            parametric_99: 0.0,
        });
    }
    let n = returns.iter().map(|r| r.len()).min()?;
    if n < 2 {
        return None;
    }
    let pnl: Vec<f64> = (0..n)
        .map(|t| {
            exposures
                .iter()
                .zip(returns)
                .map(|(e, r)| e * r[r.len() - n + t])
                .sum()
        })
        .collect();
    let (mean, std) = mean_std(&pnl)?;
    let root = horizon.sqrt();
    Some(PortfolioVar {
        historical_95: historical(&pnl, 0.95)? * root,
        historical_99: historical(&pnl, 0.99)? * root,
        parametric_95: parametric(mean * horizon, std * root, 0.95),
        parametric_99: parametric(mean * horizon, std * root, 0.99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normal_quantiles_match_tables() {
        assert!((normal_quantile(0.05) + 1.644_853_626_951_472_2).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326_347_874_040_840_8).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!(normal_quantile(0.5).abs() < 1e-15);
        assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
    }

    #[test]
    fn historical_takes_the_documented_order_statistic() {
        let r: Vec<f64> = (1..=100).map(|i| f64::from(i) / 100.0 - 0.5).collect();
        // 5% of 100 = 5th smallest = index 4: -0.45.
        assert_eq!(historical(&r, 0.95), Some(0.45));
        assert_eq!(historical(&r, 0.99), Some(0.49));
        assert_eq!(historical(&[0.01, 0.02], 0.99), Some(0.0));
        assert_eq!(historical(&[f64::NAN], 0.95), None);
    }

    #[test]
    fn parametric_normal_var() {
        let v = parametric(0.0, 0.02, 0.99);
        assert!((v - 0.02 * 2.326_347_874_040_840_8).abs() < 1e-12);
        assert_eq!(parametric(1.0, 0.01, 0.95), 0.0);
    }

    #[test]
    fn hedged_positions_have_less_var() {
        let a: Vec<f64> = (0..500)
            .map(|i| ((i * 37 % 101) as f64 - 50.0) / 5000.0)
            .collect();
        let single = portfolio(&[1000.0], &[&a], 1.0).unwrap();
        let hedged = portfolio(&[1000.0, -1000.0], &[&a, &a], 1.0).unwrap();
        assert!(single.worst() > 5.0);
        assert!(hedged.worst() < 1e-9);
        let day = portfolio(&[1000.0], &[&a], 1440.0).unwrap();
        assert!((day.historical_95 / single.historical_95 - 1440f64.sqrt()).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn quantile_inverts_the_cdf(p in 1e-12f64..(1.0 - 1e-12)) {
            let x = normal_quantile(p);
            let back = 0.5 * erfc(-x / std::f64::consts::SQRT_2);
            prop_assert!((back - p).abs() <= 1e-10 * p, "{p} {back}");
            prop_assert!((normal_quantile(1.0 - p) + x).abs() < 1e-7 * x.abs().max(1.0));
        }

        #[test]
        fn var_is_monotone_in_confidence_and_scales_with_size(
            r in proptest::collection::vec(-0.1f64..0.1, 2..300), k in 0.1f64..10.0,
        ) {
            let h95 = historical(&r, 0.95).unwrap();
            let h99 = historical(&r, 0.99).unwrap();
            prop_assert!(h99 >= h95 && h95 >= 0.0);
            let a = portfolio(&[1.0], &[&r], 1.0).unwrap();
            let b = portfolio(&[k], &[&r], 1.0).unwrap();
            prop_assert!((b.historical_99 - k * a.historical_99).abs() <= 1e-9 * (1.0 + b.historical_99));
            prop_assert!((b.parametric_95 - k * a.parametric_95).abs() <= 1e-9 * (1.0 + b.parametric_95));
            prop_assert!(a.parametric_99 >= a.parametric_95);
        }
    }
}

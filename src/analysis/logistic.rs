//! Logistic regression: the breakout-probability model, and its fitting by
//! Newton's method (iteratively reweighted least squares) with an L2 penalty.

use serde::{Deserialize, Serialize};

/// A fitted logistic model: `p = σ(intercept + Σ coefficients[i]·x[i])`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Intercept.
    pub intercept: f64,
    /// One coefficient per feature.
    pub coefficients: Vec<f64>,
}

/// How well a model fits its data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitQuality {
    /// Number of samples.
    pub samples: usize,
    /// Fraction of positive samples.
    pub base_rate: f64,
    /// Mean log loss (lower is better; the base-rate model's is given beside).
    pub log_loss: f64,
    /// Log loss of always predicting the base rate.
    pub base_log_loss: f64,
    /// Brier score (mean squared error of the probabilities).
    pub brier: f64,
    /// Area under the ROC curve (0.5 = no skill).
    pub auc: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

/// Why fitting failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// No samples, or features of different lengths.
    #[error("bad training data: {0}")]
    BadData(String),
    /// The Newton system was singular.
    #[error("the fit did not converge (singular system)")]
    Singular,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl LogisticModel {
    /// The probability for one feature vector.
    ///
    /// # Panics
    /// When `x` has a different length than the coefficients.
    #[must_use]
    pub fn predict(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.coefficients.len(), "feature count");
        sigmoid(
            self.intercept
                + x.iter()
                    .zip(&self.coefficients)
                    .map(|(a, b)| a * b)
                    .sum::<f64>(),
        )
    }
}

/// Solves `a·x = b` in place by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (offset, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (dst, src) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *dst -= f * src;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// Fits a model to `xs` (one feature vector per sample) and labels `ys`,
/// with L2 penalty `l2` on the coefficients (not the intercept).
///
/// # Errors
/// [`FitError::BadData`] for empty or ragged data, [`FitError::Singular`]
/// when Newton's system cannot be solved.
pub fn fit(xs: &[Vec<f64>], ys: &[bool], l2: f64) -> Result<(LogisticModel, FitQuality), FitError> {
    let n = xs.len();
    if n == 0 || n != ys.len() {
        return Err(FitError::BadData(format!(
            "{n} feature rows for {} labels",
            ys.len()
        )));
    }
    let d = xs[0].len();
    if xs
        .iter()
        .any(|x| x.len() != d || x.iter().any(|v| !v.is_finite()))
    {
        return Err(FitError::BadData(
            "ragged or non-finite feature rows".into(),
        ));
    }
    // w[0] is the intercept.
    let mut w = vec![0.0; d + 1];
    let mut iterations = 0;
    for _ in 0..50 {
        iterations += 1;
        let mut grad = vec![0.0; d + 1];
        let mut hess = vec![vec![0.0; d + 1]; d + 1];
        for (x, &y) in xs.iter().zip(ys) {
            let z = w[0] + x.iter().zip(&w[1..]).map(|(a, b)| a * b).sum::<f64>();
            let p = sigmoid(z);
            let r = p - f64::from(u8::from(y));
            let s = (p * (1.0 - p)).max(1e-12);
            let row = std::iter::once(1.0)
                .chain(x.iter().copied())
                .collect::<Vec<_>>();
            for i in 0..=d {
                grad[i] += r * row[i];
                for j in 0..=d {
                    hess[i][j] += s * row[i] * row[j];
                }
            }
        }
        for i in 1..=d {
            grad[i] += l2 * w[i];
            hess[i][i] += l2;
        }
        let step = solve(hess, grad).ok_or(FitError::Singular)?;
        let mut max_step: f64 = 0.0;
        for (wi, si) in w.iter_mut().zip(&step) {
            *wi -= si;
            max_step = max_step.max(si.abs());
        }
        if max_step < 1e-10 {
            break;
        }
    }
    let model = LogisticModel {
        intercept: w[0],
        coefficients: w[1..].to_vec(),
    };
    let probs: Vec<f64> = xs.iter().map(|x| model.predict(x)).collect();
    Ok((model, quality(&probs, ys, iterations)))
}

/// Quality of probabilities `probs` against labels `ys`.
#[must_use]
pub fn quality(probs: &[f64], ys: &[bool], iterations: usize) -> FitQuality {
    let n = probs.len().max(1) as f64;
    let clamp = |p: f64| p.clamp(1e-15, 1.0 - 1e-15);
    let ll = |p: f64, y: bool| {
        if y {
            -clamp(p).ln()
        } else {
            -(1.0 - clamp(p)).ln()
        }
    };
    let base_rate = ys.iter().filter(|&&y| y).count() as f64 / n;
    FitQuality {
        samples: probs.len(),
        base_rate,
        log_loss: probs.iter().zip(ys).map(|(&p, &y)| ll(p, y)).sum::<f64>() / n,
        base_log_loss: ys.iter().map(|&y| ll(base_rate, y)).sum::<f64>() / n,
        brier: probs
            .iter()
            .zip(ys)
            .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
            .sum::<f64>()
            / n,
        auc: auc(probs, ys),
        iterations,
    }
}

/// Area under the ROC curve by ranks (ties share their average rank).
#[must_use]
pub fn auc(probs: &[f64], ys: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..probs.len()).collect();
    idx.sort_by(|&a, &b| probs[a].total_cmp(&probs[b]));
    let mut ranks = vec![0.0; probs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && probs[idx[j + 1]] == probs[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = avg;
        }
        i = j + 1;
    }
    let pos = ys.iter().filter(|&&y| y).count() as f64;
    let neg = ys.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(ys)
        .filter(|(_, y)| **y)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::random_walk::SplitMix64;

    #[test]
    fn recovers_known_coefficients() {
        let mut rng = SplitMix64::new(3);
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let x = vec![rng.next_f64() * 4.0 - 2.0, rng.next_f64() * 4.0 - 2.0];
            let p = sigmoid(-0.5 + 1.5 * x[0] - 1.0 * x[1]);
            ys.push(rng.next_f64() < p);
            xs.push(x);
        }
        let (m, q) = fit(&xs, &ys, 0.0).unwrap();
        assert!((m.intercept + 0.5).abs() < 0.1, "{m:?}");
        assert!((m.coefficients[0] - 1.5).abs() < 0.1, "{m:?}");
        assert!((m.coefficients[1] + 1.0).abs() < 0.1, "{m:?}");
        assert!(q.log_loss < q.base_log_loss && q.auc > 0.75, "{q:?}");
    }

    #[test]
    fn auc_of_perfect_and_reversed_rankings() {
        let ys = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &ys), 1.0);
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &ys), 0.0);
        assert_eq!(auc(&[0.5; 4], &ys), 0.5);
    }

    #[test]
    fn refuses_bad_data() {
        assert!(fit(&[], &[], 0.0).is_err());
        assert!(fit(&[vec![1.0], vec![1.0, 2.0]], &[true, false], 0.0).is_err());
    }
}

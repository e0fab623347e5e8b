//! Universe changes between two screens.

use crate::market::Symbol;
use crate::selection::regime::Regime;
use std::collections::{BTreeMap, BTreeSet};

/// Symbols that entered and left the qualified set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UniverseDiff {
    /// Newly qualified, in symbol order.
    pub added: Vec<Symbol>,
    /// No longer qualified, in symbol order.
    pub removed: Vec<Symbol>,
}

/// What changed from `old` to `new`.
#[must_use]
pub fn diff(old: &BTreeSet<Symbol>, new: &BTreeSet<Symbol>) -> UniverseDiff {
    UniverseDiff {
        added: new.difference(old).cloned().collect(),
        removed: old.difference(new).cloned().collect(),
    }
}

/// The market regime: the most common regime among the symbols, ties broken
/// by [`Regime`] order; [`Regime::Default`] for no symbols.
#[must_use]
pub fn market_regime<'a>(regimes: impl IntoIterator<Item = &'a Regime>) -> Regime {
    let mut counts: BTreeMap<Regime, usize> = BTreeMap::new();
    for r in regimes {
        *counts.entry(*r).or_default() += 1;
    }
    counts
        .into_iter()
        .fold(None, |best: Option<(Regime, usize)>, (r, n)| match best {
            Some((_, m)) if m >= n => best,
            _ => Some((r, n)),
        })
        .map_or(Regime::Default, |(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(xs: &[&str]) -> BTreeSet<Symbol> {
        xs.iter().map(|s| Symbol::new(s).unwrap()).collect()
    }

    #[test]
    fn diff_lists_entries_and_exits() {
        let d = diff(&set(&["AUSDT", "BUSDT"]), &set(&["BUSDT", "CUSDT"]));
        assert_eq!(d.added, vec![Symbol::new("CUSDT").unwrap()]);
        assert_eq!(d.removed, vec![Symbol::new("AUSDT").unwrap()]);
        assert_eq!(
            diff(&set(&["AUSDT"]), &set(&["AUSDT"])),
            UniverseDiff::default()
        );
    }

    #[test]
    fn market_regime_is_the_majority() {
        use Regime::{Default, Ranging, Trending};
        assert_eq!(market_regime(&[Trending, Ranging, Trending]), Trending);
        assert_eq!(market_regime(&[]), Default);
        // Tie: the first in Regime order.
        assert_eq!(market_regime(&[Ranging, Trending]), Trending);
    }
}

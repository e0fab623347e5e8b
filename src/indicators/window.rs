//! A fixed-capacity sliding window of `f64`, the building block of every
//! windowed streaming indicator.

/// The last `capacity` values pushed, oldest first, in a ring that never
/// reallocates after construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    buf: Box<[f64]>,
    head: usize,
    len: usize,
}

impl Window {
    /// An empty window holding at most `capacity` values.
    ///
    /// # Panics
    /// When `capacity` is 0.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "window capacity must be positive");
        Self {
            buf: vec![0.0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    /// Pushes `v`; returns the value that fell out when the window was full.
    ///
    /// Until the window is full, values sit at `buf[..len]` with `head` at 0;
    /// after that `head` marks the oldest. No `%` anywhere: an integer
    /// division per access made windowed indicators several times slower.
    #[inline]
    pub fn push(&mut self, v: f64) -> Option<f64> {
        let cap = self.buf.len();
        if self.len < cap {
            self.buf[self.len] = v;
            self.len += 1;
            None
        } else {
            let old = std::mem::replace(&mut self.buf[self.head], v);
            self.head += 1;
            if self.head == cap {
                self.head = 0;
            }
            Some(old)
        }
    }

    /// Number of values held.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been pushed.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the window holds `capacity` values.
    #[inline]
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Maximum number of values.
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The `i`-th value, 0 = oldest.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    #[inline]
    #[must_use]
    pub fn get(&self, i: usize) -> f64 {
        assert!(i < self.len, "window index out of range");
        let idx = self.head + i;
        let cap = self.buf.len();
        self.buf[if idx >= cap { idx - cap } else { idx }]
    }

    /// The newest value, if any.
    #[inline]
    #[must_use]
    pub fn last(&self) -> Option<f64> {
        (self.len > 0).then(|| self.get(self.len - 1))
    }

    /// Values oldest first, as two contiguous runs (the second may be empty).
    #[inline]
    #[must_use]
    pub fn as_slices(&self) -> (&[f64], &[f64]) {
        if self.len < self.buf.len() {
            (&self.buf[..self.len], &[])
        } else {
            let (older, newer) = self.buf.split_at(self.head);
            (newer, older)
        }
    }

    /// Values oldest first.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let (a, b) = self.as_slices();
        a.iter().chain(b).copied()
    }

    /// Empties the window.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_first() {
        let mut w = Window::new(3);
        assert_eq!(w.push(1.0), None);
        assert_eq!(w.push(2.0), None);
        assert_eq!(w.push(3.0), None);
        assert!(w.is_full());
        assert_eq!(w.push(4.0), Some(1.0));
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        assert_eq!(w.last(), Some(4.0));
        assert_eq!(w.get(0), 2.0);
        assert_eq!(w.as_slices(), (&[2.0, 3.0][..], &[4.0][..]));
        for v in 5..9 {
            w.push(f64::from(v));
        }
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![6.0, 7.0, 8.0]);
        assert_eq!((w.get(0), w.get(2)), (6.0, 8.0));
    }
}

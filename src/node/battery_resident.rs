//! Resident histories for the live battery on a device: each (symbol,
//! timeframe) keeps its candle window in a slot of the device's candle
//! buffers between batches, so a batch uploads only the candles a slot
//! lacks (one per tick when the window slid by one) and reads back only the
//! last row of each job. This module is the host's bookkeeping: which slot
//! holds what, where each new candle goes, and where each job's window
//! starts; the CUDA backend executes the plan (`actors/src/gpu/resident.rs`)
//! and `tests/kernels_host.rs` executes it on the CPU.
//!
//! A slot holds up to `capacity` candles. A window that slid forward is
//! found in its slot by the open time of its first candle; its new candles
//! are appended after the slot's last one. When they do not fit, or the
//! window is not the slot's continued (a gap filled, a candle revised at
//! the end, a window that starts before the slot's), the whole window is
//! uploaded again at the start of the slot: at capacity twice the window,
//! once every window's length of ticks.
//!
//! Closed candles are final: a slot is trusted when the window's first
//! candle's open time is in it and its candle at the slot's end is the
//! slot's last candle, equal in every field. An inserted or removed candle
//! shifts that candle and is caught; a closed candle revised in place in
//! the middle of a window would not be (the market data hub never does).

use crate::market::{Candle, Interval, Symbol};
use crate::node::battery_batch::BatteryJob;
use rustc_hash::FxHashMap;

/// One candle to upload: its place in the slot-major buffers and where it
/// comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload {
    /// Index in the device buffers (slot × capacity + position).
    pub dst: usize,
    /// The job it comes from.
    pub job: usize,
    /// Its index among the job's candles.
    pub candle: usize,
}

/// What a batch needs done on the device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResidentPlan {
    /// Candles to write into the buffers, in job order.
    pub uploads: Vec<Upload>,
    /// Per job: the buffer index of its first candle and its length (0:
    /// nothing on the device for it, see `elsewhere`).
    pub ranges: Vec<(usize, usize)>,
    /// Jobs the device does not compute: a window longer than a slot, a
    /// second job for a key already in the batch, or more keys than slots.
    /// The caller computes them on the CPU.
    pub elsewhere: Vec<usize>,
}

impl ResidentPlan {
    /// Candles uploaded.
    #[must_use]
    pub fn uploaded(&self) -> usize {
        self.uploads.len()
    }

    /// The plan as the kernels take it (kernels/battery.cu,
    /// `scatter_candles_kernel` and `battery_rows_kernel`), packed into one
    /// integer and one float buffer so a batch is two copies up.
    #[must_use]
    pub fn staging(&self, jobs: &[BatteryJob]) -> Staging {
        let n = self.uploads.len();
        let mut ints = Vec::with_capacity(2 * jobs.len() + 2 * n);
        ints.extend(self.ranges.iter().map(|r| as_i64(r.0)));
        ints.extend(self.ranges.iter().map(|r| as_i64(r.1)));
        ints.extend(self.uploads.iter().map(|u| as_i64(u.dst)));
        let mut values = vec![0.0; 4 * n];
        for (i, u) in self.uploads.iter().enumerate() {
            let c = &jobs[u.job].candles[u.candle];
            ints.push(c.open_time);
            values[i] = c.high;
            values[n + i] = c.low;
            values[2 * n + i] = c.close;
            values[3 * n + i] = c.volume;
        }
        Staging {
            jobs: jobs.len(),
            count: n,
            ints,
            values,
        }
    }
}

/// A buffer index or length as the kernels' `long long`.
fn as_i64(v: usize) -> i64 {
    i64::try_from(v).expect("device buffers hold fewer than 2^63 candles")
}

/// A plan packed for the device: what goes up for one batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Staging {
    /// Jobs in the batch.
    pub jobs: usize,
    /// New candles.
    pub count: usize,
    /// Per job the buffer index of its window's first candle, then per job
    /// its length (0: not on the device), then per new candle its buffer
    /// index, then its open time.
    pub ints: Vec<i64>,
    /// High, low, close and volume of the new candles, one column after
    /// the other (`4 × count`).
    pub values: Vec<f64>,
}

impl Staging {
    /// Where each part lies in [`Self::ints`]: begin, len, dst, time.
    #[must_use]
    pub fn parts(&self) -> [std::ops::Range<usize>; 4] {
        let (j, n) = (self.jobs, self.count);
        [0..j, j..2 * j, 2 * j..2 * j + n, 2 * j + n..2 * j + 2 * n]
    }

    /// Bytes this batch sends to the device.
    #[must_use]
    pub fn bytes_up(&self) -> usize {
        8 * (self.ints.len() + self.values.len())
    }
}

/// A slot's content as the host knows it.
#[derive(Debug, Clone)]
struct Slot {
    key: (Symbol, Interval),
    /// Open times of the candles at positions `0..times.len()`.
    times: Vec<i64>,
    /// Position of the current window's first candle.
    start: usize,
    /// The candle at the last position.
    last: Candle,
    /// Batch number of its last use (eviction: least recently used).
    used: u64,
}

/// The host's map of the device's resident histories.
#[derive(Debug, Clone)]
pub struct ResidentLayout {
    capacity: usize,
    slots: Vec<Option<Slot>>,
    /// The slot of each resident key, by timeframe then symbol, so that a
    /// job's key is looked up by reference (a tick plans hundreds of jobs:
    /// no key is cloned or hashed twice for it).
    index: FxHashMap<Interval, FxHashMap<Symbol, usize>>,
    batch: u64,
}

impl ResidentLayout {
    /// `slots` slots of `capacity` candles each (the device buffers hold
    /// `slots × capacity` candles).
    #[must_use]
    pub fn new(slots: usize, capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            slots: vec![None; slots],
            index: FxHashMap::default(),
            batch: 0,
        }
    }

    /// Candles per slot.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Slots.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Candles the device buffers hold.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len() * self.capacity
    }

    /// Whether the buffers hold nothing (no slots).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The size (slots, capacity) the buffers should grow to before `jobs`
    /// run, when they are too small: a window longer than a slot, or more
    /// keys (resident and new) than slots. Each grows to at least twice its
    /// need, so growth is rare; slots stop at `max_slots` (beyond it the
    /// least recently used key is evicted). None: the layout fits.
    #[must_use]
    pub fn wanted(&self, jobs: &[BatteryJob], max_slots: usize) -> Option<(usize, usize)> {
        let longest = jobs.iter().map(|j| j.candles.len()).max().unwrap_or(0);
        let new_keys: std::collections::HashSet<(&Symbol, Interval)> = jobs
            .iter()
            .filter(|j| !j.candles.is_empty() && self.slot_of(&j.symbol, j.timeframe).is_none())
            .map(|j| (&j.symbol, j.timeframe))
            .collect();
        let resident: usize = self.index.values().map(FxHashMap::len).sum();
        let keys = (resident + new_keys.len()).min(max_slots.max(1));
        let capacity = if longest > self.capacity {
            2 * longest
        } else {
            self.capacity
        };
        let slots = if keys > self.slots.len() {
            (2 * keys).min(max_slots.max(1))
        } else {
            self.slots.len()
        };
        (capacity != self.capacity || slots != self.slots.len()).then_some((slots, capacity))
    }

    /// Forgets every slot (after a failed device call: the buffers' content
    /// is no longer known, so every window is uploaded whole next time).
    pub fn forget(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
        self.index.clear();
    }

    /// The plan for `jobs`, and the layout updated as if it ran.
    pub fn plan(&mut self, jobs: &[BatteryJob]) -> ResidentPlan {
        self.batch += 1;
        let mut plan = ResidentPlan {
            ranges: vec![(0, 0); jobs.len()],
            ..ResidentPlan::default()
        };
        for (j, job) in jobs.iter().enumerate() {
            let n = job.candles.len();
            if n == 0 {
                continue;
            }
            let resident = self.slot_of(&job.symbol, job.timeframe);
            // A second window for a key (its slot already used in this
            // batch) would overwrite the first's before the kernel reads it.
            let again = resident
                .is_some_and(|s| self.slots[s].as_ref().is_some_and(|s| s.used == self.batch));
            if n > self.capacity || again {
                plan.elsewhere.push(j);
                continue;
            }
            let Some(s) = resident.or_else(|| self.new_slot(&job.symbol, job.timeframe)) else {
                plan.elsewhere.push(j);
                continue;
            };
            let base = s * self.capacity;
            let slot = self.slots[s].as_mut().expect("a key's slot is filled");
            slot.used = self.batch;
            let first = match continued(slot, &job.candles) {
                Some((start, kept)) if slot.times.len() + (n - kept) <= self.capacity => {
                    slot.start = start;
                    kept
                }
                _ => {
                    slot.times.clear();
                    slot.start = 0;
                    0
                }
            };
            let at = slot.times.len();
            for (k, c) in job.candles.iter().enumerate().skip(first) {
                plan.uploads.push(Upload {
                    dst: base + at + (k - first),
                    job: j,
                    candle: k,
                });
                slot.times.push(c.open_time);
            }
            slot.last = *job.candles.last().expect("n > 0");
            plan.ranges[j] = (base + slot.start, n);
        }
        plan
    }

    /// The slot `symbol` and `timeframe` hold, if any.
    fn slot_of(&self, symbol: &Symbol, timeframe: Interval) -> Option<usize> {
        self.index.get(&timeframe)?.get(symbol).copied()
    }

    /// A slot for a key that has none: a free one, or the least recently
    /// used one not used in this batch; none when every slot is in this
    /// batch.
    fn new_slot(&mut self, symbol: &Symbol, timeframe: Interval) -> Option<usize> {
        let s = match self.slots.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                let (s, old) = self
                    .slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
                    .filter(|(_, s)| s.used < self.batch)
                    .min_by_key(|(_, s)| s.used)?;
                let (old_symbol, old_timeframe) = &old.key;
                if let Some(m) = self.index.get_mut(old_timeframe) {
                    m.remove(old_symbol);
                }
                s
            }
        };
        self.index
            .entry(timeframe)
            .or_default()
            .insert(symbol.clone(), s);
        self.slots[s] = Some(Slot {
            key: (symbol.clone(), timeframe),
            times: Vec::new(),
            start: 0,
            last: Candle::ohlcv(i64::MIN, 0.0, 0.0, 0.0, 0.0, 0.0),
            used: self.batch,
        });
        Some(s)
    }
}

/// Where `candles` continue what `slot` holds: the position of their first
/// candle and how many of them the slot already has; none when they do not
/// continue it.
fn continued(slot: &Slot, candles: &[Candle]) -> Option<(usize, usize)> {
    let window = &slot.times[slot.start..];
    let first = candles.first()?.open_time;
    // A live window slid by one candle (or not at all): look there first,
    // as a search through a cold slot costs a cache miss a step.
    let d = match (window.get(1), window.first()) {
        (Some(&t), _) if t == first => 1,
        (_, Some(&t)) if t == first => 0,
        _ => window.binary_search(&first).ok()?,
    };
    let kept = window.len() - d;
    // The slot's last candle must be the window's candle at that place.
    (kept <= candles.len() && candles[kept - 1] == slot.last).then_some((slot.start + d, kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn candle(t: i64, x: f64) -> Candle {
        Candle::ohlcv(t * 60_000, x, x + 1.0, x - 1.0, x + 0.5, 10.0 + x)
    }

    fn job(sym: &str, candles: &[Candle]) -> BatteryJob {
        BatteryJob {
            symbol: Symbol::new(sym).unwrap(),
            timeframe: Interval::M1,
            candles: candles.to_vec(),
        }
    }

    /// Executes `plan` on host buffers (what the device does), then checks
    /// that every job's range holds its window.
    fn execute(buf: &mut [Option<Candle>], jobs: &[BatteryJob], plan: &ResidentPlan) {
        for u in &plan.uploads {
            buf[u.dst] = Some(jobs[u.job].candles[u.candle]);
        }
        for (j, job) in jobs.iter().enumerate() {
            if plan.elsewhere.contains(&j) || job.candles.is_empty() {
                continue;
            }
            let (at, n) = plan.ranges[j];
            let held: Vec<Candle> = buf[at..at + n].iter().map(|c| c.unwrap()).collect();
            assert_eq!(held, job.candles, "job {j}");
        }
    }

    #[test]
    fn a_sliding_window_uploads_one_candle_a_tick_and_wraps_once_a_window() {
        let all: Vec<Candle> = (0..100).map(|t| candle(t, t as f64)).collect();
        let mut layout = ResidentLayout::new(2, 20);
        let mut buf = vec![None; layout.len()];
        let mut uploads = Vec::new();
        for t in 10..60 {
            let jobs = [job("BTCUSDT", &all[t - 10..t])];
            let plan = layout.plan(&jobs);
            execute(&mut buf, &jobs, &plan);
            uploads.push(plan.uploaded());
        }
        // The first tick uploads the window; then one candle a tick, but
        // a whole window when the slot is full (after 10 appends here).
        assert_eq!(uploads[0], 10);
        assert_eq!(uploads[1..=10], [1; 10]);
        assert_eq!(uploads[11], 10);
        let whole = uploads.iter().filter(|&&u| u == 10).count();
        assert_eq!(whole, 5, "{uploads:?}");
    }

    #[test]
    fn a_revised_last_candle_or_a_filled_gap_uploads_the_window_again() {
        let mut all: Vec<Candle> = (0..30).map(|t| candle(t, t as f64)).collect();
        let mut layout = ResidentLayout::new(1, 64);
        let mut buf = vec![None; layout.len()];
        let jobs = [job("ETHUSDT", &all[0..10])];
        execute(&mut buf, &jobs, &layout.plan(&jobs));
        all[9].close += 1.0;
        let jobs = [job("ETHUSDT", &all[1..11])];
        let plan = layout.plan(&jobs);
        assert_eq!(plan.uploaded(), 10, "the slot's last candle changed");
        execute(&mut buf, &jobs, &plan);
        // A window with a candle inserted in the middle (a filled gap).
        let mut gapped = all[2..12].to_vec();
        gapped.insert(
            5,
            Candle::ohlcv(gapped[4].open_time + 1, 1.0, 1.0, 1.0, 1.0, 1.0),
        );
        let jobs = [job("ETHUSDT", &gapped)];
        let plan = layout.plan(&jobs);
        assert_eq!(plan.uploaded(), gapped.len());
        execute(&mut buf, &jobs, &plan);
    }

    #[test]
    fn keys_beyond_the_slots_and_repeats_go_elsewhere() {
        let all: Vec<Candle> = (0..10).map(|t| candle(t, t as f64)).collect();
        let mut layout = ResidentLayout::new(2, 8);
        let mut buf = vec![None; layout.len()];
        let jobs = [
            job("AUSDT", &all[0..5]),
            job("BUSDT", &all[0..5]),
            job("CUSDT", &all[0..5]),
            job("AUSDT", &all[1..6]),
            job("DUSDT", &all[0..9]),
        ];
        let plan = layout.plan(&jobs);
        assert_eq!(plan.elsewhere, vec![2, 3, 4]);
        execute(&mut buf, &jobs, &plan);
        // Next batch: C takes the least recently used slot (A's), B keeps
        // its own and uploads one candle.
        let jobs = [job("CUSDT", &all[0..5]), job("BUSDT", &all[1..6])];
        let plan = layout.plan(&jobs);
        assert!(plan.elsewhere.is_empty(), "{plan:?}");
        assert_eq!(plan.uploaded(), 6);
        execute(&mut buf, &jobs, &plan);
        // After a failed device call nothing is trusted.
        layout.forget();
        let plan = layout.plan(&jobs);
        assert_eq!(plan.uploaded(), 10);
    }

    #[test]
    fn staging_packs_ranges_then_new_candles() {
        let all: Vec<Candle> = (0..10).map(|t| candle(t, t as f64)).collect();
        let mut layout = ResidentLayout::new(2, 8);
        let jobs = [job("AUSDT", &all[..3]), job("BUSDT", &all[..2])];
        let st = layout.plan(&jobs).staging(&jobs);
        let [begin, len, dst, time] = st.parts();
        assert_eq!(st.ints[begin], [0, 8]);
        assert_eq!(st.ints[len], [3, 2]);
        assert_eq!(st.ints[dst], [0, 1, 2, 8, 9]);
        let times: Vec<i64> = [0, 1, 2, 0, 1].iter().map(|&t| all[t].open_time).collect();
        assert_eq!(st.ints[time], times[..]);
        assert_eq!(st.values.len(), 20);
        assert_eq!(st.values[2 * 5 + 3], all[0].close, "B's first close");
        assert_eq!(st.bytes_up(), 8 * (14 + 20));
    }

    #[test]
    fn the_buffers_grow_to_twice_what_a_batch_needs_and_stop_at_the_cap() {
        let all: Vec<Candle> = (0..100).map(|t| candle(t, t as f64)).collect();
        let mut layout = ResidentLayout::new(0, 1);
        let jobs = [job("AUSDT", &all[..30]), job("BUSDT", &all[..10])];
        assert_eq!(layout.wanted(&jobs, 64), Some((4, 60)));
        layout = ResidentLayout::new(4, 60);
        assert_eq!(layout.wanted(&jobs, 64), None);
        layout.plan(&jobs);
        // Three more keys: five in all, past the four slots.
        let more = [
            job("CUSDT", &all[..5]),
            job("DUSDT", &all[..5]),
            job("EUSDT", &all[..5]),
        ];
        assert_eq!(layout.wanted(&more, 64), Some((10, 60)));
        assert_eq!(layout.wanted(&more, 6), Some((6, 60)));
        assert_eq!(layout.wanted(&more, 4), None, "at the cap: evict instead");
    }

    /// One step of a random schedule: which key ticks, by how many candles
    /// its window slides, and whether its window length changes.
    fn step() -> impl Strategy<Value = (usize, usize, usize, bool)> {
        (0usize..6, 0usize..4, 1usize..24, any::<bool>())
    }

    proptest! {
        /// Over any schedule of sliding, growing, shrinking, revised and
        /// restarted windows for more keys than slots, every job the plan
        /// puts on the device finds exactly its window there.
        #[test]
        fn every_planned_range_holds_its_window(
            steps in proptest::collection::vec(proptest::collection::vec(step(), 1..5), 1..40),
            slots in 1usize..5,
            capacity in 8usize..40,
        ) {
            let syms = ["AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT", "FUSDT"];
            let series: Vec<Vec<Candle>> = (0..syms.len())
                .map(|k| (0..400i64).map(|t| candle(t, (t * 7) as f64 + (k * 13) as f64)).collect())
                .collect();
            let mut end = [30usize; 6];
            let mut layout = ResidentLayout::new(slots, capacity);
            let mut buf = vec![None; layout.len()];
            for batch in steps {
                let jobs: Vec<BatteryJob> = batch
                    .iter()
                    .map(|&(k, slide, len, revise)| {
                        end[k] = (end[k] + slide).min(399);
                        let from = end[k].saturating_sub(len);
                        let mut w = series[k][from..end[k]].to_vec();
                        if let Some(c) = w.last_mut().filter(|_| revise) {
                            c.volume += 1.0;
                        }
                        job(syms[k], &w)
                    })
                    .collect();
                let plan = layout.plan(&jobs);
                for u in &plan.uploads {
                    prop_assert!(u.dst < layout.len());
                }
                execute(&mut buf, &jobs, &plan);
            }
        }
    }
}

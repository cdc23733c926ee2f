//! The document frequencies of a stream's story features, for IDF, in
//! memory bounded by the window.
//!
//! A feature keeps its count while it keeps appearing; one not seen within
//! the window is forgotten (counts as never seen), so the table holds the
//! features of the window and not every word, name and number the stream
//! ever met. Forgetting is part of the answer ([`DocFrequencies::get`] takes
//! the window's floor); dropping a forgotten entry is not, and happens a few
//! entries per new feature, so no call pays for a whole pass.

use std::collections::hash_map::Entry as Slot;

use crate::hash::Map;

/// One feature: copy groups counted, and the window key it was last seen at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) count: u32,
    pub(crate) last: i64,
}

/// Feature -> copy groups carrying it, with forgetting (see the module).
#[derive(Clone, Debug, Default)]
pub(crate) struct DocFrequencies {
    map: Map<u64, Entry>,
    /// Every key of `map` once, in no meaningful order: the sweep's path.
    order: Vec<u64>,
    /// Where the sweep resumes in `order`.
    cursor: usize,
    /// The N of IDF: copy groups (and warm-up articles) counted.
    pub(crate) n: u64,
}

impl DocFrequencies {
    /// Copy groups carrying `k`; 0 when it was last seen below `floor`.
    pub(crate) fn get(&self, k: u64, floor: i64) -> u32 {
        match self.map.get(&k) {
            Some(e) if e.last >= floor => e.count,
            _ => 0,
        }
    }

    /// Counts one copy group carrying `keys` (distinct), seen at window key
    /// `at`; a feature forgotten at `floor` starts again from one. Then
    /// drops two forgotten entries' worth of sweep per new entry, which keeps
    /// the table within about twice the features of the window.
    pub(crate) fn count(&mut self, keys: impl IntoIterator<Item = u64>, at: i64, floor: i64) {
        self.n += 1;
        let mut added = 0;
        for k in keys {
            match self.map.entry(k) {
                Slot::Occupied(mut e) => {
                    let e = e.get_mut();
                    e.count = if e.last < floor { 1 } else { e.count + 1 };
                    e.last = e.last.max(at);
                }
                Slot::Vacant(e) => {
                    e.insert(Entry { count: 1, last: at });
                    self.order.push(k);
                    added += 1;
                }
            }
        }
        if floor != i64::MIN {
            self.sweep(2 * added, floor);
        }
    }

    /// Visits `steps` entries from the cursor, dropping those last seen
    /// below `floor`.
    fn sweep(&mut self, mut steps: usize, floor: i64) {
        while steps > 0 && !self.order.is_empty() {
            if self.cursor >= self.order.len() {
                self.cursor = 0;
            }
            let k = self.order[self.cursor];
            if self.map.get(&k).map_or(true, |e| e.last < floor) {
                self.map.remove(&k);
                self.order.swap_remove(self.cursor);
            } else {
                self.cursor += 1;
            }
            steps -= 1;
        }
    }

    /// Entries held, forgotten ones not yet dropped included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The features not forgotten at `floor`, ascending by key.
    pub(crate) fn entries(&self, floor: i64) -> Vec<(u64, Entry)> {
        let mut out: Vec<(u64, Entry)> = self
            .map
            .iter()
            .filter(|e| e.1.last >= floor)
            .map(|(&k, &e)| (k, e))
            .collect();
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// A table holding `entries` (distinct keys) after `n` groups counted.
    pub(crate) fn from_entries(entries: impl IntoIterator<Item = (u64, Entry)>, n: u64) -> Self {
        let map: Map<u64, Entry> = entries.into_iter().collect();
        let mut order: Vec<u64> = map.keys().copied().collect();
        order.sort_unstable();
        DocFrequencies {
            map,
            order,
            cursor: 0,
            n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_not_seen_within_the_window_are_forgotten() {
        let mut df = DocFrequencies::default();
        df.count([1, 2], 0, i64::MIN);
        df.count([1], 5, i64::MIN);
        assert_eq!((df.get(1, 0), df.get(2, 0), df.n), (2, 1, 2));
        // Feature 2 was last seen at 0: forgotten from floor 1 on.
        assert_eq!((df.get(1, 3), df.get(2, 3)), (2, 0));
        // Seen again after it was forgotten: it starts from one.
        df.count([2], 9, 3);
        assert_eq!(df.get(2, 3), 1);
    }

    #[test]
    fn the_table_stays_within_the_window() {
        // Every group brings 10 features never seen before and 5 common
        // ones; a window of 100 groups.
        let mut df = DocFrequencies::default();
        for g in 0..10_000u64 {
            let fresh = (0..10).map(|i| 1_000 + g * 10 + i);
            let floor = g as i64 - 100;
            df.count((0..5).chain(fresh), g as i64, floor);
            assert!(df.len() <= 2 * 100 * 10 + 5 + 20, "{} at {g}", df.len());
            assert_eq!(df.get(0, floor), g as u32 + 1);
        }
        assert_eq!(df.order.len(), df.len());
    }
}

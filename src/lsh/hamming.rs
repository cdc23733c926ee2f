//! All fingerprints within Hamming distance `k`, by permuted tables
//! (Manku, Jain, Das Sarma 2007).
//!
//! The 64 bits are cut into `k + 1` blocks. Two fingerprints that differ in
//! at most `k` bits agree exactly on at least one block (pigeonhole), so one
//! table per block, keyed by that block, finds every such pair: a query looks
//! up its own key in each table and checks the few fingerprints there with
//! one popcount each. For 1M fingerprints and `k = 3`, keys are 16 bits and a
//! bucket holds about 15 entries.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::hash::KeyHasher;

/// Largest distance the index accepts: beyond it blocks get so short that a
/// key matches a large share of the collection and the index stops paying.
pub const MAX_DISTANCE: u32 = 12;

/// The `k + 1` blocks: `(shift, width)` of each, covering all 64 bits.
fn blocks(k: u32) -> Vec<(u32, u32)> {
    let n = k + 1;
    (0..n)
        .map(|i| {
            let start = 64 * i / n;
            let end = 64 * (i + 1) / n;
            (start, end - start)
        })
        .collect()
}

#[inline]
fn key(fp: u64, (shift, width): (u32, u32)) -> u64 {
    if width == 64 {
        fp
    } else {
        (fp >> shift) & ((1u64 << width) - 1)
    }
}

fn check_distance(k: u32) -> Result<()> {
    if k > MAX_DISTANCE {
        return Err(Error::config(
            "max_distance",
            format!("{k} is over {MAX_DISTANCE}; use MinHash for looser similarity"),
        ));
    }
    Ok(())
}

type Table = HashMap<u64, Vec<u32>, BuildHasherDefault<KeyHasher>>;

/// An incremental index of 64-bit fingerprints for Hamming-distance queries.
///
/// # Example
/// ```
/// use storyhash::lsh::HammingIndex;
/// let mut index = HammingIndex::new(3)?;
/// let a = index.insert(0b1011);
/// let b = index.insert(0b1011 ^ (1 << 40) ^ (1 << 9));
/// index.insert(u64::MAX);
/// assert_eq!(index.query(0b1011), vec![(a, 0), (b, 2)]);
/// index.remove(b)?;
/// assert_eq!(index.query(0b1011), vec![(a, 0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct HammingIndex {
    max_distance: u32,
    blocks: Vec<(u32, u32)>,
    tables: Vec<Table>,
    fingerprints: Vec<u64>,
    live: Vec<bool>,
    len: usize,
}

impl HammingIndex {
    /// An empty index answering "within `max_distance` bits".
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `max_distance` is over [`MAX_DISTANCE`].
    pub fn new(max_distance: u32) -> Result<Self> {
        check_distance(max_distance)?;
        let blocks = blocks(max_distance);
        Ok(HammingIndex {
            max_distance,
            tables: blocks.iter().map(|_| Table::default()).collect(),
            blocks,
            fingerprints: Vec::new(),
            live: Vec::new(),
            len: 0,
        })
    }

    /// The distance queries answer up to.
    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    /// Number of tables (one per block, `max_distance + 1`).
    pub fn tables(&self) -> usize {
        self.tables.len()
    }

    /// Fingerprints in the index.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a fingerprint; returns its id (ids count up from 0 and are never reused).
    ///
    /// # Panics
    /// After `u32::MAX` insertions.
    pub fn insert(&mut self, fp: u64) -> u32 {
        let id = u32::try_from(self.fingerprints.len()).expect("fewer than 2^32 insertions");
        for (table, &b) in self.tables.iter_mut().zip(&self.blocks) {
            table.entry(key(fp, b)).or_default().push(id);
        }
        self.fingerprints.push(fp);
        self.live.push(true);
        self.len += 1;
        id
    }

    /// Removes the fingerprint with this id.
    ///
    /// # Errors
    /// [`Error::UnknownId`] when no live fingerprint has this id.
    pub fn remove(&mut self, id: u32) -> Result<()> {
        if !self.live.get(id as usize).copied().unwrap_or(false) {
            return Err(Error::UnknownId(id.to_string()));
        }
        let fp = self.fingerprints[id as usize];
        for (table, &b) in self.tables.iter_mut().zip(&self.blocks) {
            let k = key(fp, b);
            if let Some(list) = table.get_mut(&k) {
                list.retain(|&d| d != id);
                if list.is_empty() {
                    table.remove(&k);
                }
            }
        }
        self.live[id as usize] = false;
        self.len -= 1;
        Ok(())
    }

    /// The fingerprint of an id, if it is live.
    pub fn get(&self, id: u32) -> Option<u64> {
        self.live
            .get(id as usize)
            .copied()
            .unwrap_or(false)
            .then(|| self.fingerprints[id as usize])
    }

    /// Every live fingerprint within `max_distance` of `fp`, as `(id,
    /// distance)` ordered by distance then id.
    pub fn query(&self, fp: u64) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        for (t, (table, &b)) in self.tables.iter().zip(&self.blocks).enumerate() {
            let Some(list) = table.get(&key(fp, b)) else {
                continue;
            };
            for &id in list {
                let other = self.fingerprints[id as usize];
                let d = (fp ^ other).count_ones();
                // Report each match from the first block it agrees on.
                let first = self.blocks[..t]
                    .iter()
                    .all(|&e| key(fp, e) != key(other, e));
                if d <= self.max_distance && first {
                    out.push((id, d));
                }
            }
        }
        out.sort_unstable_by_key(|&(id, d)| (d, id));
        out
    }
}

/// Every pair `(a, b, distance)` with `a < b` of `fingerprints` within
/// `max_distance` bits, sorted; the tables are built and scanned in parallel.
///
/// # Errors
/// [`Error::InvalidConfig`] when `max_distance` is over [`MAX_DISTANCE`].
///
/// # Example
/// ```
/// use storyhash::lsh::pairs_within;
/// let pairs = pairs_within(&[0, 1, 3, u64::MAX], 1)?;
/// assert_eq!(pairs, vec![(0, 1, 1), (1, 2, 1)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pairs_within(fingerprints: &[u64], max_distance: u32) -> Result<Vec<(u32, u32, u32)>> {
    check_distance(max_distance)?;
    let blocks = blocks(max_distance);
    let mut out: Vec<(u32, u32, u32)> = Vec::new();
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(fingerprints.len());
    for (t, &b) in blocks.iter().enumerate() {
        keyed.clear();
        keyed.par_extend(
            fingerprints
                .par_iter()
                .enumerate()
                .map(|(i, &fp)| (key(fp, b), i as u32)),
        );
        keyed.par_sort_unstable();
        let mut runs = Vec::new();
        let mut i = 0;
        while i < keyed.len() {
            let mut j = i + 1;
            while j < keyed.len() && keyed[j].0 == keyed[i].0 {
                j += 1;
            }
            if j - i >= 2 {
                runs.push(i..j);
            }
            i = j;
        }
        let earlier = &blocks[..t];
        let found: Vec<(u32, u32, u32)> = runs
            .par_iter()
            .flat_map_iter(|r| {
                let run = &keyed[r.clone()];
                run.iter().enumerate().flat_map(move |(x, &(_, a))| {
                    run[x + 1..].iter().filter_map(move |&(_, b)| {
                        let (fa, fb) = (fingerprints[a as usize], fingerprints[b as usize]);
                        let d = (fa ^ fb).count_ones();
                        let first = earlier.iter().all(|&e| key(fa, e) != key(fb, e));
                        (d <= max_distance && first).then_some((a.min(b), a.max(b), d))
                    })
                })
            })
            .collect();
        out.extend(found);
    }
    out.par_sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_all_bits() {
        for k in 0..=MAX_DISTANCE {
            let b = blocks(k);
            assert_eq!(b.len() as u32, k + 1);
            assert_eq!(b.iter().map(|x| x.1).sum::<u32>(), 64);
            assert_eq!(b[0].0, 0);
        }
        assert!(HammingIndex::new(MAX_DISTANCE + 1).is_err());
    }
}

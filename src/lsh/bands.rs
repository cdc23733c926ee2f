//! Band keys and candidate generation over MinHash signatures.
//!
//! Batch use ([`candidate_edges`]) works one band at a time: every document's
//! key for that band is packed with its id into one `u64` (`key << 32 | doc`),
//! the vector is sorted in parallel, and each run of equal keys (a bucket) is
//! expanded into pairs in parallel. Memory is one `u64` per document plus the
//! verified edges, never the candidate pairs: each pair is verified as soon as
//! it is found and only kept when it passes. A pair that shares several bands
//! is verified only in the first band it shares (its earlier bands are compared
//! directly), so duplicates cost a slot comparison, not a verification.
//!
//! Buckets larger than `max_bucket` (a template or boilerplate shared by
//! hundreds of documents) are not expanded into all pairs: members are sorted
//! by their key in the *next* band and each is compared with its `max_bucket`
//! following neighbours, which keeps the work linear and still pairs the
//! documents that agree beyond the shared part. Such buckets are counted.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::LshParams;

/// Key of band `band` of a signature: xxh3 of the band's slots, seeded by the band.
#[inline]
pub(crate) fn band_key(slots: &[u32], params: LshParams, band: usize) -> u32 {
    let r = params.rows();
    let mut buf = [0u8; 4 * 64];
    let chunk = &slots[band * r..(band + 1) * r];
    if r <= 64 {
        for (dst, v) in buf.chunks_exact_mut(4).zip(chunk) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        (xxh3_64_with_seed(&buf[..4 * r], band as u64) >> 32) as u32
    } else {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
        (xxh3_64_with_seed(&bytes, band as u64) >> 32) as u32
    }
}

/// Work counters of one candidate generation run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CandidateStats {
    /// Distinct candidate pairs verified.
    pub candidates: u64,
    /// Pairs that passed verification.
    pub verified: u64,
    /// Buckets larger than `max_bucket`, compared by sliding window only.
    pub capped_buckets: u64,
    /// Documents in those buckets (summed over bands).
    pub capped_members: u64,
    /// Largest bucket seen.
    pub largest_bucket: u64,
}

impl CandidateStats {
    fn merge(mut self, o: CandidateStats) -> Self {
        self.candidates += o.candidates;
        self.verified += o.verified;
        self.capped_buckets += o.capped_buckets;
        self.capped_members += o.capped_members;
        self.largest_bucket = self.largest_bucket.max(o.largest_bucket);
        self
    }
}

/// A verified pair `(a, b, score)` with `a < b`.
pub(crate) type Edge = (u32, u32, f32);

/// Every pair of `docs` that shares a band and passes `verify`, sorted and
/// without repeats, with counters. `slots` is the flat `n x k` signature matrix;
/// only the documents listed in `docs` take part.
pub(crate) fn candidate_edges<V>(
    slots: &[u32],
    k: usize,
    docs: &[u32],
    params: LshParams,
    max_bucket: usize,
    verify: V,
) -> (Vec<Edge>, CandidateStats)
where
    V: Fn(u32, u32) -> Option<f32> + Sync,
{
    let sig = |d: u32| &slots[d as usize * k..(d as usize + 1) * k];
    let r = params.rows();
    let mut edges: Vec<Edge> = Vec::new();
    let mut stats = CandidateStats::default();
    let mut keys: Vec<u64> = Vec::with_capacity(docs.len());
    for band in 0..params.bands() {
        keys.clear();
        keys.par_extend(
            docs.par_iter()
                .map(|&d| (u64::from(band_key(sig(d), params, band)) << 32) | u64::from(d)),
        );
        keys.par_sort_unstable();
        let buckets = bucket_ranges(&keys);
        let first_shared = |a: u32, b: u32| {
            let (sa, sb) = (sig(a), sig(b));
            (0..band).all(|t| sa[t * r..(t + 1) * r] != sb[t * r..(t + 1) * r])
        };
        let (band_edges, band_stats) = buckets
            .par_iter()
            .map(|range| {
                let members: Vec<u32> = keys[range.clone()].iter().map(|&x| x as u32).collect();
                let mut out = Vec::new();
                let mut st = CandidateStats {
                    largest_bucket: members.len() as u64,
                    ..Default::default()
                };
                let mut check = |a: u32, b: u32, out: &mut Vec<Edge>| {
                    if first_shared(a, b) {
                        st.candidates += 1;
                        if let Some(score) = verify(a, b) {
                            st.verified += 1;
                            out.push((a.min(b), a.max(b), score));
                        }
                    }
                };
                if members.len() <= max_bucket {
                    for (i, &a) in members.iter().enumerate() {
                        for &b in &members[i + 1..] {
                            check(a, b, &mut out);
                        }
                    }
                } else {
                    st.capped_buckets = 1;
                    st.capped_members = members.len() as u64;
                    let next = (band + 1) % params.bands();
                    let mut order: Vec<(u32, u32)> = members
                        .iter()
                        .map(|&d| (band_key(sig(d), params, next), d))
                        .collect();
                    order.sort_unstable();
                    for i in 0..order.len() {
                        for j in i + 1..order.len().min(i + 1 + max_bucket) {
                            check(order[i].1, order[j].1, &mut out);
                        }
                    }
                }
                (out, st)
            })
            .reduce(
                || (Vec::new(), CandidateStats::default()),
                |(mut e1, s1), (e2, s2)| {
                    e1.extend(e2);
                    (e1, s1.merge(s2))
                },
            );
        edges.extend(band_edges);
        stats = stats.merge(band_stats);
    }
    // A band-key collision between different slots can let one pair through
    // in two bands; sorting and deduplicating makes the output canonical.
    edges.par_sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
    edges.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
    (edges, stats)
}

/// Ranges of runs of at least two equal keys (high 32 bits) in sorted `keys`.
fn bucket_ranges(keys: &[u64]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i] >> 32 != keys[start] >> 32 {
            if i - start >= 2 {
                out.push(start..i);
            }
            start = i;
        }
    }
    out
}

/// A hasher for keys that are already uniform hashes: passes them through.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v) | (u64::from(v) << 32);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// End of a bucket's chain.
const NONE: u32 = u32::MAX;

/// Band tables for incremental insert, remove and query.
///
/// Each band maps a key to the most recently inserted document with it, and
/// a per-band `next` array chains the bucket's earlier documents: no
/// allocation per bucket, about 14 bytes a document a band.
#[derive(Clone, Debug, Default)]
pub(crate) struct BandTables {
    heads: Vec<HashMap<u32, u32, BuildHasherDefault<KeyHasher>>>,
    next: Vec<Vec<u32>>,
}

impl BandTables {
    pub(crate) fn new(bands: usize) -> Self {
        BandTables {
            heads: (0..bands).map(|_| HashMap::default()).collect(),
            next: vec![Vec::new(); bands],
        }
    }

    /// Tables holding `docs` (ascending), built one band per task.
    pub(crate) fn build(slots: &[u32], k: usize, docs: &[u32], params: LshParams) -> Self {
        let n = docs.last().map_or(0, |&d| d as usize + 1);
        let (heads, next) = (0..params.bands())
            .into_par_iter()
            .map(|band| {
                let mut heads: HashMap<u32, u32, BuildHasherDefault<KeyHasher>> =
                    HashMap::with_capacity_and_hasher(docs.len(), Default::default());
                let mut next = vec![NONE; n];
                for &d in docs {
                    let sig = &slots[d as usize * k..(d as usize + 1) * k];
                    let prev = heads.insert(band_key(sig, params, band), d);
                    next[d as usize] = prev.unwrap_or(NONE);
                }
                (heads, next)
            })
            .unzip();
        BandTables { heads, next }
    }

    pub(crate) fn insert(&mut self, slots: &[u32], params: LshParams, doc: u32) {
        for (band, (heads, next)) in self.heads.iter_mut().zip(&mut self.next).enumerate() {
            if next.len() <= doc as usize {
                next.resize(doc as usize + 1, NONE);
            }
            let prev = heads.insert(band_key(slots, params, band), doc);
            next[doc as usize] = prev.unwrap_or(NONE);
        }
    }

    pub(crate) fn remove(&mut self, slots: &[u32], params: LshParams, doc: u32) {
        for (band, (heads, next)) in self.heads.iter_mut().zip(&mut self.next).enumerate() {
            let key = band_key(slots, params, band);
            let Some(&head) = heads.get(&key) else {
                continue;
            };
            let after = next[doc as usize];
            if head == doc {
                if after == NONE {
                    heads.remove(&key);
                } else {
                    heads.insert(key, after);
                }
            } else {
                let mut cur = head;
                while cur != NONE && next[cur as usize] != doc {
                    cur = next[cur as usize];
                }
                if cur != NONE {
                    next[cur as usize] = after;
                }
            }
            next[doc as usize] = NONE;
        }
    }

    /// Documents sharing at least one band with `slots`, each once, ascending.
    pub(crate) fn candidates(&self, slots: &[u32], params: LshParams) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for (band, (heads, next)) in self.heads.iter().zip(&self.next).enumerate() {
            let mut cur = heads
                .get(&band_key(slots, params, band))
                .copied()
                .unwrap_or(NONE);
            while cur != NONE {
                out.push(cur);
                cur = next[cur as usize];
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        let keys = [
            1u64 << 32,
            (1 << 32) | 5,
            2 << 32,
            (3 << 32) | 1,
            (3 << 32) | 2,
            (3 << 32) | 9,
        ];
        assert_eq!(bucket_ranges(&keys), vec![0..2, 3..6]);
        assert!(bucket_ranges(&[]).is_empty());
    }

    #[test]
    fn finds_pairs_sharing_a_band_once() {
        // Three 8-slot signatures: 0 and 1 share both bands, 2 shares none.
        let slots = [
            1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9,
        ];
        let p = LshParams::new(2, 4, 8).unwrap();
        let (edges, st) = candidate_edges(&slots, 8, &[0, 1, 2], p, 10, |_, _| Some(1.0));
        assert_eq!(edges, vec![(0, 1, 1.0)]);
        assert_eq!(st.candidates, 1);
    }

    #[test]
    fn capped_buckets_stay_linear() {
        // 50 identical signatures in one bucket, window 5.
        let slots: Vec<u32> = (0..50).flat_map(|_| [7u32; 8]).collect();
        let docs: Vec<u32> = (0..50).collect();
        let p = LshParams::new(2, 4, 8).unwrap();
        let (edges, st) = candidate_edges(&slots, 8, &docs, p, 5, |_, _| Some(1.0));
        assert_eq!(st.capped_buckets, 2); // one per band
        assert!(edges.len() <= 50 * 5);
        // Consecutive members are still linked, so the group stays whole.
        assert!(edges.len() >= 49);
    }

    #[test]
    fn tables_insert_query_remove() {
        let p = LshParams::new(2, 2, 4).unwrap();
        let mut t = BandTables::new(2);
        t.insert(&[1, 2, 3, 4], p, 0);
        t.insert(&[1, 2, 9, 9], p, 1);
        t.insert(&[1, 2, 3, 4], p, 2);
        assert_eq!(t.candidates(&[1, 2, 0, 0], p), vec![0, 1, 2]);
        t.remove(&[1, 2, 3, 4], p, 0); // from the middle of a chain
        assert_eq!(t.candidates(&[1, 2, 3, 4], p), vec![1, 2]);
        t.remove(&[1, 2, 3, 4], p, 2); // the head
        assert_eq!(t.candidates(&[1, 2, 3, 4], p), vec![1]);
        t.remove(&[1, 2, 9, 9], p, 1);
        assert!(t.candidates(&[1, 2, 3, 4], p).is_empty());
        // A parallel build equals inserting one by one.
        let slots = [1, 2, 3, 4, 1, 2, 9, 9, 5, 5, 3, 4];
        let built = BandTables::build(&slots, 4, &[0, 1, 2], p);
        for q in [[1, 2, 0, 0], [0, 0, 3, 4], [5, 5, 0, 0]] {
            let mut one = BandTables::new(2);
            for d in 0..3u32 {
                one.insert(&slots[d as usize * 4..d as usize * 4 + 4], p, d);
            }
            assert_eq!(built.candidates(&q, p), one.candidates(&q, p));
        }
    }
}

//! Band keys and candidate generation over MinHash signatures.
//!
//! Batch use ([`candidate_edges`]) works one band at a time: every document's
//! key for that band is packed with its id into one `u64` (`key << 32 | doc`),
//! the vector is grouped by the keys' top bits in one counting pass and each
//! small group sorted (keys are uniform hashes, so this is a linear-time
//! sort), and each run of equal keys (a bucket) is expanded into pairs. Keys
//! are computed sixteen bands at a time, reading each signature once per
//! group; the bands of a group are then processed in parallel, each on one
//! thread. Memory is sixteen `u32` keys and a `u64` per band in flight per
//! document, plus the verified edges, never the candidate pairs: each pair is
//! verified as soon as
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
    let chunk = &slots[band * r..(band + 1) * r];
    let seed = band as u64;
    // Short bands (the usual case) hash a fixed-size array: with a length
    // known at compile time the copy and xxh3's length dispatch disappear.
    let h = match *chunk {
        [a] => xxh3_64_with_seed(&a.to_le_bytes(), seed),
        [a, b] => xxh3_64_with_seed(&(u64::from(a) | u64::from(b) << 32).to_le_bytes(), seed),
        _ if r <= 64 => {
            let mut buf = [0u8; 4 * 64];
            for (dst, v) in buf.chunks_exact_mut(4).zip(chunk) {
                dst.copy_from_slice(&v.to_le_bytes());
            }
            xxh3_64_with_seed(&buf[..4 * r], seed)
        }
        _ => {
            let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
            xxh3_64_with_seed(&bytes, seed)
        }
    };
    (h >> 32) as u32
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
    let bits = directory_bits(docs.len());
    let first_shared = |a: u32, b: u32, band: usize| {
        let (sa, sb) = (sig(a), sig(b));
        // Element by element: a slice `!=` calls `memcmp` for a few bytes.
        (0..band).all(|t| {
            let (x, y) = (&sa[t * r..(t + 1) * r], &sb[t * r..(t + 1) * r]);
            x.iter().zip(y).any(|(p, q)| p != q)
        })
    };
    // One band's candidate pairs, verified. Bands run in parallel, each on one
    // thread: a band's grouping and sorting are serial passes, and there are
    // far more bands than threads.
    let one_band = |band: usize, band_keys: Vec<u32>| {
        let (mut keys, dir) = grouped_band(&band_keys, docs, bits);
        drop(band_keys);
        for run in dir.windows(2) {
            keys[run[0] as usize..run[1] as usize].sort_unstable();
        }
        let mut out = Vec::new();
        let mut st = CandidateStats::default();
        let check = |a: u32, b: u32, st: &mut CandidateStats, out: &mut Vec<Edge>| {
            if first_shared(a, b, band) {
                st.candidates += 1;
                if let Some(score) = verify(a, b) {
                    st.verified += 1;
                    out.push((a.min(b), a.max(b), score));
                }
            }
        };
        let mut order: Vec<(u32, u32)> = Vec::new();
        for range in bucket_ranges(&keys) {
            let members = &keys[range];
            st.largest_bucket = st.largest_bucket.max(members.len() as u64);
            if members.len() <= max_bucket {
                for (i, &a) in members.iter().enumerate() {
                    for &b in &members[i + 1..] {
                        check(a as u32, b as u32, &mut st, &mut out);
                    }
                }
            } else {
                st.capped_buckets += 1;
                st.capped_members += members.len() as u64;
                let next = (band + 1) % params.bands();
                order.clear();
                order.extend(
                    members
                        .iter()
                        .map(|&x| (band_key(sig(x as u32), params, next), x as u32)),
                );
                order.sort_unstable();
                for i in 0..order.len() {
                    for j in i + 1..order.len().min(i + 1 + max_bucket) {
                        check(order[i].1, order[j].1, &mut st, &mut out);
                    }
                }
            }
        }
        (out, st)
    };
    for group in band_groups(params, BAND_GROUP) {
        let keys = band_keys(slots, k, docs, params, group.clone());
        let (band_edges, band_stats) = group
            .zip(keys)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(band, band_keys)| one_band(band, band_keys))
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

/// Top-bit count of the run directory for `n` packed words: 16 to 32 words
/// (two to four cache lines) per run.
fn directory_bits(n: usize) -> u32 {
    (usize::BITS - n.leading_zeros())
        .saturating_sub(5)
        .clamp(1, 24)
}

/// Bands whose keys [`candidate_edges`] computes together: few enough that
/// their keys (4 bytes a document a band) stay a small share of its memory,
/// enough that the signatures are read only a few times.
const BAND_GROUP: usize = 16;

/// The keys of `bands` of every document in `docs`, band-major:
/// `keys[b][i]` is the key in band `bands.start + b` of `docs[i]`.
///
/// Computed in parallel chunks of documents, each reading its signatures once
/// in order and writing one short run per band. Computing one band at a time
/// instead reads a few bytes of every signature per band, a page apart, and
/// was the slowest step of loading a large index.
fn band_keys(
    slots: &[u32],
    k: usize,
    docs: &[u32],
    params: LshParams,
    bands: std::ops::Range<usize>,
) -> Vec<Vec<u32>> {
    const CHUNK: usize = 2048;
    let mut keys: Vec<Vec<u32>> = vec![vec![0; docs.len()]; bands.len()];
    let mut chunks: Vec<Vec<&mut [u32]>> = docs.chunks(CHUNK).map(|_| Vec::new()).collect();
    for band in &mut keys {
        for (parts, part) in chunks.iter_mut().zip(band.chunks_mut(CHUNK)) {
            parts.push(part);
        }
    }
    chunks
        .into_par_iter()
        .zip(docs.par_chunks(CHUNK))
        .for_each(|(mut parts, docs)| {
            for (i, &d) in docs.iter().enumerate() {
                let sig = &slots[d as usize * k..(d as usize + 1) * k];
                for (band, part) in bands.clone().zip(&mut parts) {
                    part[i] = band_key(sig, params, band);
                }
            }
        });
    keys
}

/// The band numbers in groups of `size`.
fn band_groups(params: LshParams, size: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let n = params.bands();
    (0..n)
        .step_by(size)
        .map(move |start| start..(start + size).min(n))
}

/// The words `(key << 32) | doc` of one band, grouped by the keys' top
/// `bits` bits, and the run directory: the words whose key starts with `p`
/// are `words[dir[p]..dir[p + 1]]`, in the order of `docs`.
///
/// Band keys are uniform hashes, so one counting pass spreads the words into
/// runs of about 16: linear time, where a comparison sort of a million words
/// per band would dominate loading an index.
fn grouped_band(keys: &[u32], docs: &[u32], bits: u32) -> (Vec<u64>, Vec<u32>) {
    let shift = 32 - bits;
    let mut dir = vec![0u32; (1 << bits) + 1];
    for &key in keys {
        dir[(key >> shift) as usize + 1] += 1;
    }
    for p in 1..dir.len() {
        dir[p] += dir[p - 1];
    }
    let mut fill = dir.clone();
    let mut words = vec![0u64; keys.len()];
    for (&key, &d) in keys.iter().zip(docs) {
        let at = &mut fill[(key >> shift) as usize];
        words[*at as usize] = (u64::from(key) << 32) | u64::from(d);
        *at += 1;
    }
    (words, dir)
}

/// One band of [`BandTables`]: the sorted words of the documents present at
/// the last build, and chains for documents inserted since.
#[derive(Clone, Debug, Default)]
struct Band {
    /// `(key << 32) | doc`, grouped into runs; see [`grouped_band`].
    words: Vec<u64>,
    /// Run directory over `words`.
    dir: Vec<u32>,
    /// Key -> the most recently inserted later document with it.
    heads: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    /// The next (earlier) document of a later document's bucket, by
    /// `doc - base_end`.
    next: Vec<u32>,
}

/// Band tables for incremental insert, remove and query.
///
/// The documents present when the tables are built (a loaded snapshot, a
/// large batch) sit in one sorted array of packed `(key, doc)` words per band
/// with a small directory on the keys' top bits: built in linear time, about
/// 8.5 bytes a document a band, and a lookup reads one or two cache lines.
/// Documents inserted later go to a hash map of bucket heads per band with a
/// `next` array chaining each bucket's earlier members, so an insert costs
/// one map update per band. Removing a built document sets a bit; removing a
/// later one unlinks it from its chains.
#[derive(Clone, Debug, Default)]
pub(crate) struct BandTables {
    bands: Vec<Band>,
    /// Top-bit count of every band's directory.
    bits: u32,
    /// Documents below this number were indexed by the last build.
    base_end: u32,
    /// Built documents removed since, one bit each.
    dead: Vec<u64>,
}

impl BandTables {
    pub(crate) fn new(params: LshParams) -> Self {
        Self::build(&[], 0, &[], params)
    }

    /// Tables holding `docs` (ascending), built one band per task; documents
    /// inserted later must be numbered above the last of `docs`.
    pub(crate) fn build(slots: &[u32], k: usize, docs: &[u32], params: LshParams) -> Self {
        let base_end = docs.last().map_or(0, |&d| d + 1);
        let bits = directory_bits(docs.len());
        // All bands' keys at once (4 bytes a document a band, freed as each
        // band is grouped): loading reads the signatures only once.
        let bands = band_keys(slots, k, docs, params, 0..params.bands())
            .into_par_iter()
            .map(|keys| {
                let (words, dir) = grouped_band(&keys, docs, bits);
                Band {
                    words,
                    dir,
                    ..Band::default()
                }
            })
            .collect();
        BandTables {
            bands,
            bits,
            base_end,
            dead: vec![0; (base_end as usize).div_ceil(64)],
        }
    }

    pub(crate) fn insert(&mut self, slots: &[u32], params: LshParams, doc: u32) {
        assert!(doc >= self.base_end, "documents are numbered in order");
        let at = (doc - self.base_end) as usize;
        for (band, b) in self.bands.iter_mut().enumerate() {
            if b.next.len() <= at {
                b.next.resize(at + 1, NONE);
            }
            let prev = b.heads.insert(band_key(slots, params, band), doc);
            b.next[at] = prev.unwrap_or(NONE);
        }
    }

    pub(crate) fn remove(&mut self, slots: &[u32], params: LshParams, doc: u32) {
        if doc < self.base_end {
            self.dead[doc as usize / 64] |= 1 << (doc % 64);
            return;
        }
        let base = self.base_end;
        let link = |d: u32| (d - base) as usize;
        for (band, b) in self.bands.iter_mut().enumerate() {
            let key = band_key(slots, params, band);
            let Some(&head) = b.heads.get(&key) else {
                continue;
            };
            let after = b.next[link(doc)];
            if head == doc {
                if after == NONE {
                    b.heads.remove(&key);
                } else {
                    b.heads.insert(key, after);
                }
            } else {
                let mut cur = head;
                while cur != NONE && b.next[link(cur)] != doc {
                    cur = b.next[link(cur)];
                }
                if cur != NONE {
                    b.next[link(cur)] = after;
                }
            }
            b.next[link(doc)] = NONE;
        }
    }

    /// Documents sharing at least one band with `slots`, each once, ascending.
    pub(crate) fn candidates(&self, slots: &[u32], params: LshParams) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let shift = 32 - self.bits;
        for (band, b) in self.bands.iter().enumerate() {
            let key = band_key(slots, params, band);
            let p = (key >> shift) as usize;
            let run = &b.words[b.dir[p] as usize..b.dir[p + 1] as usize];
            for &w in run {
                let d = w as u32;
                if (w >> 32) as u32 == key && self.dead[d as usize / 64] & (1 << (d % 64)) == 0 {
                    out.push(d);
                }
            }
            let mut cur = b.heads.get(&key).copied().unwrap_or(NONE);
            while cur != NONE {
                out.push(cur);
                cur = b.next[(cur - self.base_end) as usize];
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
        let mut t = BandTables::new(p);
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
            let mut one = BandTables::new(p);
            for d in 0..3u32 {
                one.insert(&slots[d as usize * 4..d as usize * 4 + 4], p, d);
            }
            assert_eq!(built.candidates(&q, p), one.candidates(&q, p));
        }
    }

    #[test]
    fn built_and_inserted_documents_answer_like_brute_force() {
        // Random 8-slot signatures over a small alphabet so that bands are
        // often shared; build over some, insert the rest, remove a few of
        // each, and compare every query with a brute-force scan.
        let p = LshParams::new(4, 2, 8).unwrap();
        let mut x = 11u64;
        let mut next = || {
            x = crate::sketch::mix64(x);
            (x % 4) as u32
        };
        let n = 3000u32;
        let slots: Vec<u32> = (0..n * 8).map(|_| next()).collect();
        let sig = |d: u32| &slots[d as usize * 8..d as usize * 8 + 8];
        let built: Vec<u32> = (0..2000).filter(|d| d % 7 != 3).collect();
        let mut t = BandTables::build(&slots, 8, &built, p);
        let mut live: Vec<bool> = (0..n).map(|d| d < 2000 && d % 7 != 3).collect();
        for d in 2000..n {
            t.insert(sig(d), p, d);
            live[d as usize] = true;
        }
        for d in (0..n).filter(|d| d % 5 == 0) {
            if live[d as usize] {
                t.remove(sig(d), p, d);
                live[d as usize] = false;
            }
        }
        for q in (0..n).step_by(37) {
            let expected: Vec<u32> = (0..n)
                .filter(|&d| live[d as usize])
                .filter(|&d| (0..4).any(|b| sig(d)[2 * b..2 * b + 2] == sig(q)[2 * b..2 * b + 2]))
                .collect();
            assert_eq!(t.candidates(sig(q), p), expected, "query {q}");
        }
    }
}

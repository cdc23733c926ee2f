//! Band keys, the pairing rule inside a bucket, and candidate generation
//! over MinHash signatures.
//!
//! A band's key is 64 bits: for bands of one or two rows it is the slots
//! themselves, passed through a bijective mixer (equal keys mean equal
//! slots, never a hash collision); longer bands are hashed with xxh3-64.
//!
//! **The pairing rule** ([`Window`]): the members of a bucket (documents
//! with one key in one band) are put in *bucket order*, by the top 32 bits
//! of their key in the next band and then by document, and each is paired
//! with the `cap` members before it. A bucket of at most `cap + 1` members
//! gives all its pairs; a larger one (a template or boilerplate shared by
//! hundreds of documents) gives a linear number, and the next-band order
//! puts the documents that also agree beyond the shared band side by side.
//! A candidate pair is a pair that some band gives; each is verified once.
//!
//! Two drivers apply the rule, and must give the same candidates:
//! - an engine sorts [`BandRow`]s by `(band, key, next, doc)` and streams
//!   them through a [`BucketPairer`], whose memory is the window however
//!   large the bucket and however it is cut into batches; it then keeps
//!   distinct pairs;
//! - one process ([`candidate_edges`]) works a few bands at a time: keys
//!   computed reading each signature once, grouped by their top bits in a
//!   counting pass (keys are uniform, so that is a linear-time sort), each
//!   bucket paired by the same [`Window`] and each pair verified as soon as
//!   it is found, unless an earlier band surely gave it already (equal slots
//!   there, in a bucket small enough to give all its pairs).

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::LshParams;
use crate::error::{Error, Result};
use crate::hash::{deal_by_top_bits, mix64, KeyHasher};

/// Key of band `band` of a signature.
///
/// One or two rows: the slots themselves (`a` or `a << 32 | b`), mixed by a
/// bijection so that the key's bits are uniform. Longer bands: xxh3-64 of
/// the slots' little-endian bytes, seeded by the band.
#[inline]
pub fn band_key(slots: &[u32], params: LshParams, band: usize) -> u64 {
    let r = params.rows();
    let chunk = &slots[band * r..(band + 1) * r];
    let seed = band as u64;
    // Short bands (the usual case) hash a fixed-size array: with a length
    // known at compile time the copy and xxh3's length dispatch disappear.
    match *chunk {
        [a] => mix64(u64::from(a)),
        [a, b] => mix64(u64::from(a) << 32 | u64::from(b)),
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
    }
}

/// The bucket-order key of a signature in band `band`: the top 32 bits of
/// its key in the next band (cyclically).
#[inline]
pub fn next_key(slots: &[u32], params: LshParams, band: usize) -> u32 {
    (band_key(slots, params, (band + 1) % params.bands()) >> 32) as u32
}

/// One document in one band: what an engine shuffles to find candidates.
/// Rows sort by `(band, key, next, doc)`, which is bucket order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BandRow {
    /// The band.
    pub band: u32,
    /// The document's key in that band ([`band_key`]).
    pub key: u64,
    /// Its bucket-order key ([`next_key`]).
    pub next: u32,
    /// The document.
    pub doc: u64,
}

impl Ord for BandRow {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.band, self.key, self.next, self.doc).cmp(&(o.band, o.key, o.next, o.doc))
    }
}

impl PartialOrd for BandRow {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl BandRow {
    fn bucket(&self) -> (u32, u64) {
        (self.band, self.key)
    }
}

/// The pairing rule: each member of a bucket, pushed in bucket order, is
/// paired with the (at most) `cap` members pushed before it.
#[derive(Clone, Debug)]
pub(crate) struct Window<T> {
    cap: usize,
    recent: VecDeque<T>,
}

impl<T: Copy> Window<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Window {
            cap,
            recent: VecDeque::with_capacity(cap.min(1 << 16)),
        }
    }

    /// Starts a new bucket.
    pub(crate) fn clear(&mut self) {
        self.recent.clear();
    }

    /// Adds the next member: `emit(earlier, member)` for each pair it makes.
    pub(crate) fn push(&mut self, member: T, mut emit: impl FnMut(T, T)) {
        for &earlier in &self.recent {
            emit(earlier, member);
        }
        if self.recent.len() == self.cap {
            self.recent.pop_front();
        }
        self.recent.push_back(member);
    }
}

/// Pairs buckets of [`BandRow`]s that arrive sorted, in batches of any size:
/// the streaming form of the pairing rule for an engine's sorted partitions.
/// Memory is the window (`cap` documents), however large a bucket and
/// however it is cut across batches.
///
/// # Example
/// ```
/// use storyhash::lsh::{BandRow, BucketPairer};
/// let row = |key, doc| BandRow { band: 0, key, next: 0, doc };
/// let mut pairer = BucketPairer::new(2);
/// let mut pairs = Vec::new();
/// // One bucket of four documents cut across two batches, then a lone one.
/// pairer.push(&[row(7, 1), row(7, 2)], |a, b| pairs.push((a, b)))?;
/// pairer.push(&[row(7, 3), row(7, 4), row(9, 5)], |a, b| pairs.push((a, b)))?;
/// assert_eq!(pairs, [(1, 2), (1, 3), (2, 3), (2, 4), (3, 4)]);
/// assert_eq!(pairer.finish().largest_bucket, 4);
/// # Ok::<(), storyhash::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BucketPairer {
    window: Window<u64>,
    last: Option<BandRow>,
    size: u64,
    stats: CandidateStats,
}

impl BucketPairer {
    /// A pairer with window `cap` ([`CopyConfig::max_bucket`](crate::CopyConfig)).
    pub fn new(cap: usize) -> Self {
        BucketPairer {
            window: Window::new(cap.max(1)),
            last: None,
            size: 0,
            stats: CandidateStats::default(),
        }
    }

    /// Takes the next rows (in order, continuing the previous batch) and
    /// emits each pair `(a, b)` as `(smaller doc, larger doc)`. A pair that
    /// two bands give is emitted twice: keep distinct pairs.
    ///
    /// # Errors
    /// [`Error::BadBatch`] when a row is out of order; the pairer is then
    /// left as it was before that row.
    pub fn push(&mut self, rows: &[BandRow], mut emit: impl FnMut(u64, u64)) -> Result<()> {
        for row in rows {
            match self.last {
                Some(last) if *row < last => {
                    return Err(Error::BadBatch {
                        stage: "bucket pairs",
                        reason: format!("rows are not sorted: {row:?} after {last:?}"),
                    })
                }
                Some(last) if last.bucket() == row.bucket() => self.size += 1,
                _ => {
                    self.end_bucket();
                    self.window.clear();
                    self.size = 1;
                }
            }
            self.window.push(row.doc, |a, b| emit(a.min(b), a.max(b)));
            self.last = Some(*row);
        }
        Ok(())
    }

    fn end_bucket(&mut self) {
        if self.size >= 2 {
            self.stats.note_bucket(self.size, self.window.cap);
        }
    }

    /// Ends the last bucket; the counters of every bucket seen.
    pub fn finish(mut self) -> CandidateStats {
        self.end_bucket();
        self.stats
    }
}

/// The band rows of documents `docs` (one per document with a signature,
/// in order) whose signatures are `slots` (`num_perm` each), appended to `out`.
pub fn band_rows(
    slots: &[u32],
    num_perm: usize,
    docs: &[u64],
    params: LshParams,
    out: &mut Vec<BandRow>,
) {
    out.reserve(docs.len() * params.bands());
    for (i, &doc) in docs.iter().enumerate() {
        let sig = &slots[i * num_perm..(i + 1) * num_perm];
        let keys: Vec<u64> = (0..params.bands())
            .map(|b| band_key(sig, params, b))
            .collect();
        for (band, &key) in keys.iter().enumerate() {
            out.push(BandRow {
                band: band as u32,
                key,
                next: (keys[(band + 1) % keys.len()] >> 32) as u32,
                doc,
            });
        }
    }
}

/// Work counters of one candidate generation run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CandidateStats {
    /// Candidate pairs verified (a pair two bands give is verified once,
    /// except now and then when both buckets were capped).
    pub candidates: u64,
    /// Pairs that passed verification.
    pub verified: u64,
    /// Buckets larger than `max_bucket + 1`, paired by window only.
    pub capped_buckets: u64,
    /// Documents in those buckets (summed over bands).
    pub capped_members: u64,
    /// Largest bucket seen.
    pub largest_bucket: u64,
}

impl CandidateStats {
    /// Counters of two runs together.
    pub fn merge(mut self, o: CandidateStats) -> Self {
        self.candidates += o.candidates;
        self.verified += o.verified;
        self.capped_buckets += o.capped_buckets;
        self.capped_members += o.capped_members;
        self.largest_bucket = self.largest_bucket.max(o.largest_bucket);
        self
    }

    fn note_bucket(&mut self, size: u64, cap: usize) {
        self.largest_bucket = self.largest_bucket.max(size);
        if size > cap as u64 + 1 {
            self.capped_buckets += 1;
            self.capped_members += size;
        }
    }
}

/// A verified pair `(a, b, score)` with `a < b`.
pub(crate) type Edge = (u32, u32, f32);

/// The multi-member buckets of one band, members in bucket order.
struct BandBuckets {
    band: usize,
    /// Members, bucket after bucket.
    members: Vec<u32>,
    /// End of each bucket in `members`.
    ends: Vec<u32>,
    /// Documents in buckets too large to give all their pairs, one bit each
    /// (`None`: there is no such bucket).
    capped: Option<Vec<u64>>,
}

/// Every candidate pair of `docs` (ascending document numbers) that
/// passes `verify`, sorted and without repeats, with counters. `slots` is
/// the flat signature matrix, `num_perm` slots per document; `cap` the
/// window of the pairing rule.
pub(crate) fn candidate_edges<V>(
    slots: &[u32],
    num_perm: usize,
    docs: &[u32],
    params: LshParams,
    cap: usize,
    verify: V,
) -> (Vec<Edge>, CandidateStats)
where
    V: Fn(u32, u32) -> Option<f32> + Sync,
{
    let k = num_perm;
    let sig = |d: u32| &slots[d as usize * k..(d as usize + 1) * k];
    let r = params.rows();
    let n = docs.last().map_or(0, |&d| d as usize + 1);
    let bits = directory_bits(docs.len());
    let mut stats = CandidateStats::default();
    let mut edges: Vec<Edge> = Vec::new();
    // The capped-bucket bits of every band paired so far.
    let mut capped: Vec<Option<Vec<u64>>> = Vec::with_capacity(params.bands());
    // The first bands' slots of every signature, side by side: the check
    // that an earlier band gave a pair mostly ends in one of those bands,
    // and then reads one cache line a document instead of its signature.
    let head_bands = (HEAD / r).min(params.bands());
    let mut head = vec![0u32; n * HEAD];
    const PART: usize = 1024;
    head.par_chunks_mut(HEAD * PART)
        .enumerate()
        .for_each(|(c, part)| {
            for (i, h) in part.chunks_exact_mut(HEAD).enumerate() {
                let d = c * PART + i;
                h[..head_bands * r].copy_from_slice(&slots[d * k..d * k + head_bands * r]);
            }
        });
    for group in band_groups(params, BAND_GROUP) {
        let keys = band_keys(slots, k, docs, params, group.clone());
        // Every band of the group bucketed (in parallel, a band per task)
        // before any is paired: pairing a band needs to know which of its
        // documents were in capped buckets of the earlier bands.
        let bucketed: Vec<(BandBuckets, CandidateStats)> = group
            .zip(keys)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(band, keys)| {
                bucket_band(band, &keys, docs, n, bits, cap, |d| {
                    next_key(sig(d), params, band)
                })
            })
            .collect();
        let mut group_buckets = Vec::with_capacity(bucketed.len());
        for (b, st) in bucketed {
            stats = stats.merge(st);
            capped.push(b.capped.clone());
            group_buckets.push(b);
        }
        let earlier = &capped;
        let is_capped = |t: usize, d: u32| {
            earlier[t]
                .as_ref()
                .is_some_and(|bits| bits[d as usize / 64] >> (d % 64) & 1 == 1)
        };
        // Whether an earlier band surely gave the pair already: their slots
        // agree there, and its bucket was small enough to give all pairs.
        let given_before = |a: u32, b: u32, band: usize| {
            let agree = |sa: &[u32], sb: &[u32], t: usize| {
                // Element by element: a slice `==` calls `memcmp` for a few bytes.
                sa[t * r..(t + 1) * r]
                    .iter()
                    .zip(&sb[t * r..(t + 1) * r])
                    .all(|(p, q)| p == q)
                    && !is_capped(t, a)
            };
            let near = band.min(head_bands);
            let (ha, hb) = (
                &head[a as usize * HEAD..(a as usize + 1) * HEAD],
                &head[b as usize * HEAD..(b as usize + 1) * HEAD],
            );
            (0..near).any(|t| agree(ha, hb, t)) || {
                let (sa, sb) = (sig(a), sig(b));
                (near..band).any(|t| agree(sa, sb, t))
            }
        };
        let (found, st) = group_buckets
            .par_iter()
            .map(|b| {
                let mut out = Vec::new();
                let mut st = CandidateStats::default();
                let mut window = Window::new(cap);
                let mut start = 0;
                for &end in &b.ends {
                    window.clear();
                    for &m in &b.members[start as usize..end as usize] {
                        window.push(m, |x, y| {
                            let (x, y) = (x.min(y), x.max(y));
                            if given_before(x, y, b.band) {
                                return;
                            }
                            st.candidates += 1;
                            if let Some(score) = verify(x, y) {
                                st.verified += 1;
                                out.push((x, y, score));
                            }
                        });
                    }
                    start = end;
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
        edges.extend(found);
        stats = stats.merge(st);
    }
    // Two capped buckets can give one pair twice; sorting and deduplicating
    // makes the output canonical.
    edges.par_sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
    edges.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
    (edges, stats)
}

/// The buckets of band `band` with two or more members, in bucket order:
/// `keys[i]` is the key of `docs[i]`, `n` bounds the document numbers,
/// `next(d)` gives a document's bucket-order key (computed only for the
/// members of buckets too large to give all their pairs).
fn bucket_band(
    band: usize,
    keys: &[u64],
    docs: &[u32],
    n: usize,
    bits: u32,
    cap: usize,
    next: impl Fn(u32) -> u32,
) -> (BandBuckets, CandidateStats) {
    // `(top 32 bits of the key) << 32 | position`, grouped by top bits in
    // one counting pass, each small group sorted.
    let (mut words, dir) = grouped_band(keys, bits, |i| i as u32);
    for run in dir.windows(2) {
        words[run[0] as usize..run[1] as usize].sort_unstable();
    }
    let mut out = BandBuckets {
        band,
        members: Vec::new(),
        ends: Vec::new(),
        capped: None,
    };
    let mut stats = CandidateStats::default();
    let mut bucket: Vec<(u64, u32)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut j = i + 1;
        while j < words.len() && words[j] >> 32 == words[i] >> 32 {
            j += 1;
        }
        if j - i >= 2 {
            // Equal top bits: split by the full key (positions ascend, so
            // each bucket's documents do too).
            bucket.clear();
            bucket.extend(words[i..j].iter().map(|&w| {
                let at = w as u32 as usize;
                (keys[at], docs[at])
            }));
            bucket.sort_unstable();
            for run in bucket.chunk_by(|x, y| x.0 == y.0).filter(|r| r.len() >= 2) {
                stats.note_bucket(run.len() as u64, cap);
                let start = out.members.len();
                out.members.extend(run.iter().map(|e| e.1));
                if run.len() > cap + 1 {
                    let members = &mut out.members[start..];
                    members.sort_unstable_by_key(|&d| (next(d), d));
                    let capped = out.capped.get_or_insert_with(|| vec![0; n.div_ceil(64)]);
                    for &d in members.iter() {
                        capped[d as usize / 64] |= 1 << (d % 64);
                    }
                }
                out.ends.push(out.members.len() as u32);
            }
        }
        i = j;
    }
    (out, stats)
}

/// Slots of each signature that [`candidate_edges`] keeps in a compact
/// array for its check of earlier bands: one 64-byte cache line.
const HEAD: usize = 16;

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
/// their keys (8 bytes a document a band) stay a small share of its memory,
/// enough that the signatures are read only a few times.
const BAND_GROUP: usize = 8;

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
) -> Vec<Vec<u64>> {
    const CHUNK: usize = 2048;
    let mut keys: Vec<Vec<u64>> = vec![vec![0; docs.len()]; bands.len()];
    let mut chunks: Vec<Vec<&mut [u64]>> = docs.chunks(CHUNK).map(|_| Vec::new()).collect();
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

/// The words `(top 32 bits of key) << 32 | tag(i)` of one band, `keys[i]`
/// being the key of its `i`-th document, grouped by the keys' top `bits`
/// bits, and the run directory: the words whose key starts with `p` are
/// `words[dir[p]..dir[p + 1]]`, in the order of `keys`.
///
/// Band keys are uniform, so dealing the words by their top bits
/// ([`deal_by_top_bits`]) spreads them into runs of about 16: linear time,
/// where a comparison sort of a million words per band would dominate
/// loading an index.
fn grouped_band(keys: &[u64], bits: u32, tag: impl Fn(usize) -> u32) -> (Vec<u64>, Vec<u32>) {
    let mut words = vec![0u64; keys.len()];
    let mut dir = Vec::new();
    deal_by_top_bits(
        keys.len(),
        bits,
        |i| keys[i],
        |i| (keys[i] >> 32) << 32 | u64::from(tag(i)),
        &mut dir,
        &mut words,
    );
    (words, dir)
}

/// One band of [`BandTables`]: the sorted words of the documents present at
/// the last build, and chains for documents inserted since.
#[derive(Clone, Debug, Default)]
struct Band {
    /// `(top 32 bits of key) << 32 | doc`, grouped into runs; see [`grouped_band`].
    words: Vec<u64>,
    /// Run directory over `words`.
    dir: Vec<u32>,
    /// Key -> the most recently inserted later document with it.
    heads: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// The next (earlier) document of a later document's bucket, by
    /// `doc - base_end`.
    next: Vec<u32>,
}

/// Band tables for incremental insert, remove and query.
///
/// The documents present when the tables are built (a loaded snapshot, a
/// large batch) sit in one array of packed `(top of key, doc)` words per band
/// with a small directory on the keys' top bits: built in linear time, about
/// 8.5 bytes a document a band, and a lookup reads one or two cache lines.
/// A built document is a candidate when the top 32 bits of its key match
/// (once in four billion unrelated documents that is a chance match, which
/// verification then turns down).
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
        // All bands' keys at once (8 bytes a document a band, freed as each
        // band is grouped): loading reads the signatures only once.
        let bands = band_keys(slots, k, docs, params, 0..params.bands())
            .into_par_iter()
            .map(|keys| {
                let (words, dir) = grouped_band(&keys, bits, |i| docs[i]);
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
        let shift = 64 - self.bits;
        for (band, b) in self.bands.iter().enumerate() {
            let key = band_key(slots, params, band);
            let p = (key >> shift) as usize;
            let run = &b.words[b.dir[p] as usize..b.dir[p + 1] as usize];
            for &w in run {
                let d = w as u32;
                if w >> 32 == key >> 32 && self.dead[d as usize / 64] & (1 << (d % 64)) == 0 {
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

    /// The engine's way: band rows, sorted, cut into batches, through the
    /// streaming pairer, distinct pairs kept, then verified.
    fn engine_edges(
        slots: &[u32],
        k: usize,
        docs: &[u32],
        p: LshParams,
        cap: usize,
        cuts: &[usize],
        verify: impl Fn(u32, u32) -> Option<f32>,
    ) -> Vec<Edge> {
        let keys: Vec<u64> = docs.iter().map(|&d| u64::from(d)).collect();
        let sigs: Vec<u32> = docs
            .iter()
            .flat_map(|&d| slots[d as usize * k..(d as usize + 1) * k].iter().copied())
            .collect();
        let mut rows = Vec::new();
        band_rows(&sigs, k, &keys, p, &mut rows);
        rows.sort_unstable();
        let mut pairer = BucketPairer::new(cap);
        let mut pairs = Vec::new();
        let mut start = 0;
        for &cut in cuts.iter().chain([&rows.len()]) {
            let cut = cut.clamp(start, rows.len());
            pairer
                .push(&rows[start..cut], |a, b| pairs.push((a as u32, b as u32)))
                .unwrap();
            start = cut;
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
            .into_iter()
            .filter_map(|(a, b)| verify(a, b).map(|s| (a, b, s)))
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn in_memory_candidates_equal_the_engine_way(
            seed in proptest::prelude::any::<u64>(),
            n in 2usize..260,
            cap in 1usize..7,
            alphabet in 1u64..4,
            rows in 1usize..4,
            cuts in proptest::collection::vec(0usize..2000, 0..6),
        ) {
            // Small alphabets make buckets of every size, capped ones included.
            let k = 12;
            let p = LshParams::new(k / rows, rows, k).unwrap();
            let mut x = seed;
            let slots: Vec<u32> = (0..n * k)
                .map(|_| {
                    x = mix64(x.wrapping_add(1));
                    (x % alphabet) as u32
                })
                .collect();
            let docs: Vec<u32> = (0..n as u32).filter(|d| d % 5 != 3).collect();
            let mut cuts = cuts;
            cuts.sort_unstable();
            let verify = |a: u32, b: u32| ((a * 7 + b) % 3 != 0).then_some(0.5);
            let (edges, _) = candidate_edges(&slots, k, &docs, p, cap, verify);
            proptest::prop_assert_eq!(edges, engine_edges(&slots, k, &docs, p, cap, &cuts, verify));
        }
    }

    #[test]
    fn unsorted_rows_are_refused() {
        let row = |key, doc| BandRow {
            band: 0,
            key,
            next: 0,
            doc,
        };
        let mut pairer = BucketPairer::new(4);
        pairer.push(&[row(5, 1)], |_, _| {}).unwrap();
        let e = pairer.push(&[row(4, 2)], |_, _| {}).unwrap_err();
        assert!(e.to_string().contains("not sorted"), "{e}");
    }

    #[test]
    fn two_row_keys_are_the_slots() {
        // Equal keys exactly when the slots are equal: no chance collision.
        let p = LshParams::new(1, 2, 2).unwrap();
        let mut keys: Vec<u64> = (0..2000u32)
            .flat_map(|a| [band_key(&[a, 1], p, 0), band_key(&[1, a], p, 0)])
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 3999); // [1, 1] is counted twice
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
            x = mix64(x);
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

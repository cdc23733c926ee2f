//! MinHash signatures (Broder 1997), by one permutation hashing with optimal
//! densification (Li, Owen, Zhang 2012; Shrivastava 2017) or, as the
//! reference, by `k` independent hash functions.
//!
//! One permutation hashing: each shingle's 64-bit hash picks a bin from its
//! high 32 bits and competes in that bin with its low 32 bits; a bin keeps the
//! smallest. Bins that no shingle reached borrow the value of a non-empty bin
//! chosen by a seeded probe sequence of their own (optimal densification), which
//! keeps the estimator unbiased for short documents. Slots are 32-bit: a
//! chance match of two different minima has probability 2^-32, far below the
//! estimator's own noise, and a signature costs 4 bytes a slot.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    containment_from_jaccard, jaccard_std_error, matching_share, Estimate, Sketch, SketchParams,
    EXACT_SHINGLES, FACT_SAMPLE,
};
use crate::config::{Limits, OversizePolicy, Scheme, SketchConfig};
use crate::error::{Error, Result};
use crate::hash::{fast_range, mix64};
use crate::text::{
    count_distinct, truncate_to_boundary, DistinctScratch, ShingleScratch, Shingler,
    NORMALIZER_VERSION,
};

/// A MinHash signature: `k` slots, the number of distinct shingles it was
/// made from, and the parameters that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    params: SketchParams,
    slots: Vec<u32>,
    shingles: u32,
}

impl Signature {
    /// The parameters this signature was made with.
    pub fn params(&self) -> &SketchParams {
        &self.params
    }

    /// The slot values.
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// Number of distinct shingles of the document.
    pub fn shingle_count(&self) -> u32 {
        self.shingles
    }

    /// Estimated Jaccard similarity of the two documents' shingle sets.
    ///
    /// # Errors
    /// [`Error::IncompatibleSignatures`] when the signatures were made with
    /// different parameters.
    ///
    /// # Example
    /// ```
    /// use storyhash::{Config, MinHasher};
    /// let signer = MinHasher::new(&Config::default().sketch)?;
    /// let a = signer.sign("the quick brown fox jumps over the lazy dog")?;
    /// assert!((a.jaccard(&a)?.value - 1.0).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn jaccard(&self, other: &Signature) -> Result<Estimate> {
        self.params.check_compatible(&other.params)?;
        let value = matching_share(&self.slots, &other.slots);
        Ok(Estimate {
            value,
            std_error: jaccard_std_error(value, self.slots.len()),
        })
    }

    /// Estimated containment of the smaller document's shingles in the larger
    /// one's: near 1 for a truncated or boilerplate-wrapped copy even when its
    /// Jaccard similarity is low.
    ///
    /// It is derived from the Jaccard estimate and the two exact shingle
    /// counts, so its standard error grows with the size ratio, as
    /// `(|A| + |B|) / min(|A|, |B|)`: it is sharp for documents within a factor
    /// of about four of each other (a copy truncated to a quarter) and loose for
    /// a short brief against a long feature. The value is clamped to `[0, 1]`.
    ///
    /// # Errors
    /// [`Error::IncompatibleSignatures`] as for [`jaccard`](Self::jaccard).
    pub fn containment(&self, other: &Signature) -> Result<Estimate> {
        let j = self.jaccard(other)?;
        Ok(containment_from_jaccard(j, self.shingles, other.shingles))
    }
}

/// Signs documents with MinHash.
///
/// `MinHasher` is `Send + Sync` and cheap to share; batch methods run on the
/// rayon thread pool and return exactly what the serial calls would, in input
/// order.
///
/// # Example
/// ```
/// use storyhash::{Config, MinHasher};
/// let signer = MinHasher::new(&Config::default().sketch)?;
/// let a = signer.sign("Barack Obama and Vladimir Putin met at the G20 summit in Hangzhou on Monday.")?;
/// let b = signer.sign("BARACK OBAMA and Vladimir Putin met at the G20 summit in Hangzhou on Monday!")?;
/// assert_eq!(a, b); // normalisation removes case and punctuation differences
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MinHasher {
    params: SketchParams,
    shingler: Shingler,
    limits: Limits,
    /// Per-slot `(a, b)` pairs of the classic scheme, flattened.
    slot_seeds: Vec<u64>,
    /// The densification probes' first hits, built on first need.
    first_hits: std::sync::OnceLock<Vec<u32>>,
}

/// Densification probes each empty bin up to this many times per slot
/// before falling back to the next filled bin.
const PROBES_PER_SLOT: u64 = 64;

/// Largest signature for which sparse documents are densified through the
/// first-hit table (`num_perm^2` entries of 4 bytes: 1 MiB at 512).
const FIRST_HIT_TABLE_MAX: usize = 512;

/// Reusable buffers for signing, one per thread in batch work.
#[derive(Default, Debug)]
pub(crate) struct SignScratch {
    shingle: ShingleScratch,
    hashes: Vec<u64>,
    distinct: DistinctScratch,
    bins: Vec<u64>,
}

/// What signing one document found besides its slots.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignOutcome {
    /// Distinct shingles.
    pub(crate) shingles: u32,
    /// Whether the text was cut to the size limit first.
    pub(crate) truncated: bool,
    /// The distinct shingle hashes, ascending, of a short document (at most
    /// [`EXACT_SHINGLES`]); empty otherwise.
    pub(crate) exact: Vec<u64>,
}

impl SignScratch {
    /// The bottom-`k` sample of the distinct fact hashes of the last signed
    /// text (ascending), and the number of distinct facts.
    pub(crate) fn fact_sample(&mut self, k: usize) -> (&[u32], u32) {
        self.shingle.fact_sample(k)
    }
}

impl MinHasher {
    /// A signer for `config`, with the default [`Limits`].
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `config` does not validate.
    pub fn new(config: &SketchConfig) -> Result<Self> {
        Self::with_limits(config, &Limits::default())
    }

    /// A signer for `config` that applies `limits` to each document.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `config` does not validate.
    pub fn with_limits(config: &SketchConfig, limits: &Limits) -> Result<Self> {
        config.validate()?;
        let k = config.num_perm;
        // Classic scheme: (a, b) for each slot, 1 <= a < p and 0 <= b < p.
        let slot_seeds = match config.scheme {
            Scheme::Classic => (0..2 * k as u64)
                .map(|i| {
                    let v = mix64(config.seed ^ mix64(i.wrapping_add(0x243F_6A88_85A3_08D3)))
                        & ((1 << 61) - 1);
                    if i % 2 == 0 {
                        v.max(1)
                    } else {
                        v
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(MinHasher {
            params: SketchParams {
                scheme: config.scheme,
                num_perm: k as u32,
                seed: config.seed,
                normalizer: NORMALIZER_VERSION,
                shingling: config.shingling,
            },
            shingler: Shingler::new(config.shingling, config.seed),
            limits: limits.clone(),
            slot_seeds,
            first_hits: std::sync::OnceLock::new(),
        })
    }

    /// The parameters every signature of this signer carries.
    pub fn params(&self) -> &SketchParams {
        &self.params
    }

    /// Number of slots `k`.
    pub fn num_perm(&self) -> usize {
        self.params.num_perm as usize
    }

    /// Signs one document.
    ///
    /// # Errors
    /// [`Error::EmptyDocument`] when the text has no words;
    /// [`Error::DocumentTooLarge`] when it is over the size limit and the policy
    /// is [`OversizePolicy::Reject`].
    pub fn sign(&self, text: &str) -> Result<Signature> {
        let mut slots = vec![0; self.num_perm()];
        let outcome = self.sign_into(text, &mut SignScratch::default(), &mut slots)?;
        Ok(self.signature(slots, outcome.shingles))
    }

    /// Signs many documents in parallel. The result is in input order and
    /// identical to calling [`sign`](Self::sign) on each, for any number of threads.
    pub fn sign_batch<T: AsRef<str> + Sync>(&self, texts: &[T]) -> Vec<Result<Signature>> {
        texts
            .par_iter()
            .enumerate()
            .map_init(SignScratch::default, |scratch, (i, text)| {
                let mut slots = vec![0; self.num_perm()];
                self.sign_into(text.as_ref(), scratch, &mut slots)
                    .map(|o| self.signature(slots, o.shingles))
                    .map_err(|e| e.at_index(i))
            })
            .collect()
    }

    /// Signs a set given directly as 64-bit shingle hashes (repeats and order
    /// do not matter). Useful to sign features other than text shingles.
    ///
    /// # Errors
    /// [`Error::EmptyDocument`] when `shingles` is empty.
    pub fn sign_shingles(&self, shingles: &[u64]) -> Result<Signature> {
        if shingles.is_empty() {
            return Err(Error::EmptyDocument { index: None });
        }
        let mut scratch = SignScratch::default();
        let mut slots = vec![0; self.num_perm()];
        self.fill(shingles, &mut scratch.bins, &mut slots);
        let distinct = count_distinct(shingles, &mut scratch.distinct);
        Ok(self.signature(slots, distinct))
    }

    fn signature(&self, slots: Vec<u32>, shingles: u32) -> Signature {
        Signature {
            params: self.params,
            slots,
            shingles,
        }
    }

    /// Signs `text` into `slots` (of length `k`), the allocation-free core of
    /// every signing path.
    pub(crate) fn sign_into(
        &self,
        text: &str,
        scratch: &mut SignScratch,
        slots: &mut [u32],
    ) -> Result<SignOutcome> {
        let limit = self.limits.max_document_bytes;
        let truncated = text.len() > limit;
        if truncated && self.limits.oversize == OversizePolicy::Reject {
            return Err(Error::DocumentTooLarge {
                index: None,
                bytes: text.len(),
                limit,
            });
        }
        let text = truncate_to_boundary(text, limit);
        self.shingler
            .shingles_into(text, &mut scratch.shingle, &mut scratch.hashes)?;
        self.fill(&scratch.hashes, &mut scratch.bins, slots);
        let shingles = count_distinct(&scratch.hashes, &mut scratch.distinct);
        let exact = if shingles <= EXACT_SHINGLES {
            let mut set = scratch.hashes.clone();
            set.sort_unstable();
            set.dedup();
            set
        } else {
            Vec::new()
        };
        Ok(SignOutcome {
            shingles,
            truncated,
            exact,
        })
    }

    /// The sketch of one document, and whether its text was truncated.
    pub(crate) fn sketch(&self, text: &str, scratch: &mut SignScratch) -> Result<(Sketch, bool)> {
        let mut slots = vec![0; self.num_perm()];
        let outcome = self.sign_into(text, scratch, &mut slots)?;
        let (facts, fact_count) = scratch.fact_sample(FACT_SAMPLE);
        let sketch = Sketch {
            slots,
            shingles: outcome.shingles,
            facts: facts.to_vec(),
            fact_count,
            exact: outcome.exact,
        };
        Ok((sketch, outcome.truncated))
    }

    fn fill(&self, hashes: &[u64], bins: &mut Vec<u64>, slots: &mut [u32]) {
        match self.params.scheme {
            Scheme::Classic => self.classic(hashes, slots),
            _ => self.one_permutation(hashes, bins, slots),
        }
    }

    /// `k` hash functions from the universal family `(a x + b) mod p` with the
    /// Mersenne prime `p = 2^61 - 1` (Carter and Wegman 1979), the construction
    /// the MinHash literature and datasketch use; `a` and `b` come from the seed.
    fn classic(&self, hashes: &[u64], slots: &mut [u32]) {
        const P: u64 = (1 << 61) - 1;
        slots.fill(u32::MAX);
        for &h in hashes {
            let x = (h & P) + (h >> 61);
            for (slot, ab) in slots.iter_mut().zip(self.slot_seeds.chunks_exact(2)) {
                let (a, b) = (ab[0], ab[1]);
                let prod = u128::from(a) * u128::from(x) + u128::from(b);
                let lo = (prod as u64) & P;
                let hi = (prod >> 61) as u64;
                let mut v = lo + (hi & P) + (hi >> 61);
                while v >= P {
                    v -= P;
                }
                *slot = (*slot).min((v >> 29) as u32);
            }
        }
    }

    fn one_permutation(&self, hashes: &[u64], bins: &mut Vec<u64>, slots: &mut [u32]) {
        const EMPTY: u64 = u64::MAX;
        let k = slots.len();
        bins.clear();
        bins.resize(k, EMPTY);
        for &h in hashes {
            // Branch-free: whether a value beats its bin's minimum is a coin
            // flip early on, and mispredicted branches cost more than a store.
            let bin = &mut bins[fast_range(h, k)];
            *bin = (*bin).min(h & 0xFFFF_FFFF);
        }
        let filled = bins.iter().filter(|&&b| b != EMPTY).count();
        // Probing costs about `k / filled` steps per empty bin; the first-hit
        // table costs `filled`. The same result either way.
        if filled * filled < k && k <= FIRST_HIT_TABLE_MAX {
            let hits = self
                .first_hits
                .get_or_init(|| first_hits(self.params.seed, k));
            let full: Vec<usize> = (0..k).filter(|&b| bins[b] != EMPTY).collect();
            for (j, slot) in slots.iter_mut().enumerate() {
                *slot = if bins[j] != EMPTY {
                    bins[j] as u32
                } else {
                    let row = &hits[j * k..(j + 1) * k];
                    let (attempt, src) = full
                        .iter()
                        .map(|&b| (row[b], b))
                        .min()
                        .expect("a document with shingles fills a bin");
                    if attempt == u32::MAX {
                        bins[fallback(bins, j)] as u32
                    } else {
                        bins[src] as u32
                    }
                };
            }
            return;
        }
        for (j, slot) in slots.iter_mut().enumerate() {
            if bins[j] != EMPTY {
                *slot = bins[j] as u32;
                continue;
            }
            // Optimal densification: probe bins with a hash sequence of this
            // bin's own until a non-empty one is found. The sequence depends on
            // (seed, j, attempt) only, so two documents borrow from the same bin
            // whenever both have it filled: that is what keeps the estimate unbiased.
            let mut attempt = 0u64;
            *slot = loop {
                attempt += 1;
                let src = probe(self.params.seed, j, attempt, k);
                if bins[src] != EMPTY {
                    break bins[src] as u32;
                }
                if attempt > PROBES_PER_SLOT * k as u64 {
                    // Astronomically unlikely: fall back to the next filled bin.
                    break bins[fallback(bins, j)] as u32;
                }
            };
        }
    }
}

/// The bin that attempt `attempt` of empty bin `j` probes.
#[inline]
fn probe(seed: u64, j: usize, attempt: u64, k: usize) -> usize {
    fast_range(mix64(seed ^ mix64(((j as u64) << 32) | attempt)), k)
}

/// The next filled bin after `j`, cyclically (`j` itself if none).
fn fallback(bins: &[u64], j: usize) -> usize {
    let k = bins.len();
    (1..k)
        .map(|d| (j + d) % k)
        .find(|&i| bins[i] != u64::MAX)
        .unwrap_or(j)
}

/// For every bin `j` and bin `b`, the first attempt (within the probe
/// limit) at which `j`'s probe sequence reaches `b`; `u32::MAX` when it
/// does not. An empty bin then borrows from the filled bin it reaches first:
/// what probing finds, in `filled` steps instead of about `k / filled`.
fn first_hits(seed: u64, k: usize) -> Vec<u32> {
    let mut hits = vec![u32::MAX; k * k];
    for j in 0..k {
        let row = &mut hits[j * k..(j + 1) * k];
        let mut missing = k;
        let mut attempt = 0u64;
        while missing > 0 && attempt <= PROBES_PER_SLOT * k as u64 {
            attempt += 1;
            let b = probe(seed, j, attempt, k);
            if row[b] == u32::MAX {
                row[b] = attempt as u32;
                missing -= 1;
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn signers() -> Vec<MinHasher> {
        [Scheme::OnePermutation, Scheme::Classic]
            .into_iter()
            .map(|s| MinHasher::new(&Config::default().with_scheme(s).sketch).unwrap())
            .collect()
    }

    #[test]
    fn identical_text_identical_signature() {
        for s in signers() {
            let a = s.sign("One two three four five six seven.").unwrap();
            let b = s.sign("one two three four five six seven").unwrap();
            assert_eq!(a, b);
            assert_eq!(a.shingle_count(), 3);
        }
    }

    #[test]
    fn incompatible_signatures_are_refused() {
        let a = MinHasher::new(&Config::default().sketch).unwrap();
        let b = MinHasher::new(&Config::default().with_seed(7).sketch).unwrap();
        let c = MinHasher::new(&Config::default().with_scheme(Scheme::Classic).sketch).unwrap();
        let d = MinHasher::new(&Config::default().with_num_perm(64).sketch).unwrap();
        let text = "a b c d e f g";
        let sa = a.sign(text).unwrap();
        for (other, what) in [(b, "seed"), (c, "scheme"), (d, "num_perm")] {
            match sa.jaccard(&other.sign(text).unwrap()) {
                Err(Error::IncompatibleSignatures { what: w, .. }) => assert_eq!(w, what),
                r => panic!("{what}: {r:?}"),
            }
        }
    }

    #[test]
    fn single_shingle_fills_every_slot_by_densification() {
        let s = &signers()[0];
        let sig = s.sign_shingles(&[42]).unwrap();
        assert!(sig.slots().iter().all(|&v| v == sig.slots()[0]));
        assert_eq!(sig, s.sign_shingles(&[42, 42, 42]).unwrap());
    }

    #[test]
    fn sparse_densification_equals_probing() {
        // Every pattern of a few filled bins: the first-hit table and the
        // probe loop borrow the same values.
        let signer = &signers()[0];
        let k = signer.num_perm();
        let mut x = 5u64;
        for case in 0..400 {
            let filled = 1 + case % 11;
            let mut bins = vec![u64::MAX; k];
            for _ in 0..filled {
                x = mix64(x);
                bins[fast_range(x, k)] = x >> 40;
            }
            let hashes: Vec<u64> = (0..k as u64)
                .filter(|&b| bins[b as usize] != u64::MAX)
                .map(|b| ((b * (1 << 32) / k as u64 + 1) << 32) | bins[b as usize])
                .collect();
            let mut table = vec![0u32; k];
            let mut scratch = Vec::new();
            signer.one_permutation(&hashes, &mut scratch, &mut table);
            assert_eq!(
                &scratch, &bins,
                "case {case}: the hashes fill the intended bins"
            );
            // The probe loop, written out.
            let probed: Vec<u32> = (0..k)
                .map(|j| {
                    if bins[j] != u64::MAX {
                        return bins[j] as u32;
                    }
                    (1..)
                        .map(|a| probe(signer.params.seed, j, a, k))
                        .find(|&b| bins[b] != u64::MAX)
                        .map(|b| bins[b] as u32)
                        .unwrap()
                })
                .collect();
            assert_eq!(table, probed, "case {case}");
        }
    }

    #[test]
    fn oversize_policy() {
        let config = Config::default();
        let limits = Limits {
            max_document_bytes: 64,
            oversize: OversizePolicy::Reject,
            ..Limits::default()
        };
        let s = MinHasher::with_limits(&config.sketch, &limits).unwrap();
        let long = "word ".repeat(100);
        assert!(matches!(
            s.sign(&long),
            Err(Error::DocumentTooLarge {
                bytes: 500,
                limit: 64,
                ..
            })
        ));
        let limits = Limits {
            oversize: OversizePolicy::Truncate,
            ..limits
        };
        let s = MinHasher::with_limits(&config.sketch, &limits).unwrap();
        let mut scratch = SignScratch::default();
        let mut slots = vec![0; 128];
        let o = s.sign_into(&long, &mut scratch, &mut slots).unwrap();
        assert!(o.truncated);
    }

    #[test]
    fn batch_reports_index_of_empty_documents() {
        let s = &signers()[0];
        let out = s.sign_batch(&["a b c", "", "d e f"]);
        assert!(out[0].is_ok() && out[2].is_ok());
        assert!(matches!(
            out[1],
            Err(Error::EmptyDocument { index: Some(1) })
        ));
    }
}

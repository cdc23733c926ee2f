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
    containment_from_jaccard, fast_range, jaccard_std_error, matching_share, mix64, Estimate,
    SketchParams,
};
use crate::config::{Limits, OversizePolicy, Scheme, SketchConfig};
use crate::error::{Error, Result};
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
}

/// Reusable buffers for signing, one per thread in batch work.
#[derive(Default, Debug)]
pub(crate) struct SignScratch {
    shingle: ShingleScratch,
    hashes: Vec<u64>,
    distinct: DistinctScratch,
    bins: Vec<u64>,
}

/// What signing one document found besides its slots.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SignOutcome {
    /// Distinct shingles.
    pub(crate) shingles: u32,
    /// Whether the text was cut to the size limit first.
    pub(crate) truncated: bool,
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
        Ok(SignOutcome {
            shingles: count_distinct(&scratch.hashes, &mut scratch.distinct),
            truncated,
        })
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
        let seed = self.params.seed;
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
                let probe = mix64(seed ^ mix64(((j as u64) << 32) | attempt));
                let src = fast_range(probe, k);
                if bins[src] != EMPTY {
                    break bins[src] as u32;
                }
                if attempt > 64 * k as u64 {
                    // Astronomically unlikely: fall back to the next filled bin.
                    let src = (1..k)
                        .map(|d| (j + d) % k)
                        .find(|&i| bins[i] != EMPTY)
                        .unwrap_or(j);
                    break bins[src] as u32;
                }
            };
        }
    }
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
    fn oversize_policy() {
        let config = Config::default();
        let limits = Limits {
            max_document_bytes: 64,
            oversize: OversizePolicy::Reject,
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

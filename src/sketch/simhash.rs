//! SimHash fingerprints (Charikar 2002): one 64-bit word per document.
//!
//! Every shingle's 64-bit hash votes on each bit position: +w where the bit is
//! set, -w where it is not, `w` being the shingle's weight (its count, or any
//! caller weight such as IDF). The fingerprint keeps the sign of each sum.
//! Two fingerprints differ in each bit with probability `theta / pi`, `theta`
//! the angle between the two weighted shingle vectors, so the Hamming distance
//! `d` estimates the cosine similarity as `cos(pi * d / 64)`
//! ([`similarity_of_distance`]).
//!
//! Eight bytes a document instead of 512: the price is that the estimate is
//! coarse (one bit is 1.6% of the angle) and that, for sets, cosine is
//! stricter than containment: a copy truncated to half its length has cosine
//! 0.71 with its original, 25 differing bits away. SimHash with the small
//! distances its index can search (Manku, Jain, Das Sarma 2007: at most 3 of
//! 64 bits) finds near-exact duplicates, not edited copies.

use rayon::prelude::*;

use crate::config::{Limits, OversizePolicy, SketchConfig};
use crate::error::{Error, Result};
use crate::text::{truncate_to_boundary, ShingleScratch, Shingler};

/// Computes SimHash fingerprints over the same shingles as [`MinHasher`](crate::MinHasher).
///
/// # Example
/// ```
/// use storyhash::{Config, SimHasher};
/// use storyhash::sketch::hamming_distance;
/// let s = SimHasher::new(&Config::default().sketch)?;
/// let a = s.fingerprint("Rescue teams searched the rubble in Port Elling through the night.")?;
/// let b = s.fingerprint("RESCUE teams searched the rubble in Port Elling, through the night!")?;
/// assert_eq!(hamming_distance(a, b), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SimHasher {
    shingler: Shingler,
    limits: Limits,
    seed: u64,
}

impl SimHasher {
    /// A fingerprinter using the shingling and seed of `config`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `config` does not validate.
    pub fn new(config: &SketchConfig) -> Result<Self> {
        Self::with_limits(config, &Limits::default())
    }

    /// As [`new`](Self::new), applying `limits` to each document.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `config` does not validate.
    pub fn with_limits(config: &SketchConfig, limits: &Limits) -> Result<Self> {
        config.validate()?;
        Ok(SimHasher {
            shingler: Shingler::new(config.shingling, config.seed),
            limits: limits.clone(),
            seed: config.seed,
        })
    }

    /// The fingerprint of `text`, each shingle weighted by its count.
    ///
    /// # Errors
    /// [`Error::EmptyDocument`] for a text without words;
    /// [`Error::DocumentTooLarge`] as for [`MinHasher::sign`](crate::MinHasher::sign).
    pub fn fingerprint(&self, text: &str) -> Result<u64> {
        let mut scratch = ShingleScratch::default();
        let mut hashes = Vec::new();
        self.fingerprint_into(text, &mut scratch, &mut hashes)
    }

    /// Fingerprints many texts in parallel; in input order, equal to the serial result.
    pub fn fingerprint_batch<T: AsRef<str> + Sync>(&self, texts: &[T]) -> Vec<Result<u64>> {
        texts
            .par_iter()
            .enumerate()
            .map_init(
                || (ShingleScratch::default(), Vec::new()),
                |(scratch, hashes), (i, t)| {
                    self.fingerprint_into(t.as_ref(), scratch, hashes)
                        .map_err(|e| e.at_index(i))
                },
            )
            .collect()
    }

    /// The fingerprint of weighted features given as `(hash, weight)`, for
    /// example shingles weighted by IDF. Order does not matter; a repeated hash
    /// adds its weights. The hashes are re-mixed with the seed first, so any
    /// 64-bit keys will do.
    ///
    /// # Errors
    /// [`Error::EmptyDocument`] when `features` is empty.
    pub fn fingerprint_weighted(&self, features: &[(u64, f32)]) -> Result<u64> {
        if features.is_empty() {
            return Err(Error::EmptyDocument { index: None });
        }
        let mut acc = [0f64; 64];
        for &(h, w) in features {
            add(&mut acc, crate::hash::mix64(h ^ self.seed), f64::from(w));
        }
        Ok(sign_bits(&acc))
    }

    pub(crate) fn fingerprint_into(
        &self,
        text: &str,
        scratch: &mut ShingleScratch,
        hashes: &mut Vec<u64>,
    ) -> Result<u64> {
        let limit = self.limits.max_document_bytes;
        if text.len() > limit && self.limits.oversize == OversizePolicy::Reject {
            return Err(Error::DocumentTooLarge {
                index: None,
                bytes: text.len(),
                limit,
            });
        }
        self.shingler
            .shingles_into(truncate_to_boundary(text, limit), scratch, hashes)?;
        Ok(fingerprint_of(hashes))
    }
}

/// Byte value `v` spread into eight one-byte counters: byte `j` of
/// `SPREAD[v]` is bit `j` of `v`.
static SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut v = 0;
    while v < 256 {
        let mut j = 0;
        while j < 8 {
            t[v] |= (((v >> j) & 1) as u64) << (8 * j);
            j += 1;
        }
        v += 1;
    }
    t
};

/// Unit-weight SimHash of shingle hashes (already uniform 64-bit values).
///
/// The 64 per-bit counts are kept as one-byte lanes, eight to a word: each
/// byte of a hash adds its table entry to one word, eight additions a hash
/// with no branch, and the lanes are emptied into wide totals before they can
/// overflow. A bit of the fingerprint is set when more than half the hashes
/// have it set, which is the sign of the +1/-1 sum of the definition.
pub(crate) fn fingerprint_of(hashes: &[u64]) -> u64 {
    let mut totals = [0u32; 64];
    let mut lanes = [0u64; 8];
    for chunk in hashes.chunks(255) {
        for &h in chunk {
            for (k, lane) in lanes.iter_mut().enumerate() {
                *lane += SPREAD[((h >> (8 * k)) & 0xFF) as usize];
            }
        }
        for (k, lane) in lanes.iter_mut().enumerate() {
            for j in 0..8 {
                totals[8 * k + j] += ((*lane >> (8 * j)) & 0xFF) as u32;
            }
            *lane = 0;
        }
    }
    let n = hashes.len() as u64;
    totals.iter().enumerate().fold(0u64, |fp, (bit, &c)| {
        fp | (u64::from(2 * u64::from(c) > n) << bit)
    })
}

fn add(acc: &mut [f64; 64], h: u64, w: f64) {
    for (bit, a) in acc.iter_mut().enumerate() {
        *a += if (h >> bit) & 1 == 1 { w } else { -w };
    }
}

fn sign_bits(acc: &[f64; 64]) -> u64 {
    acc.iter()
        .enumerate()
        .fold(0u64, |fp, (bit, &a)| fp | (u64::from(a > 0.0) << bit))
}

/// Number of differing bits.
#[inline]
pub fn hamming_distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The cosine similarity a Hamming distance between two 64-bit SimHash
/// fingerprints corresponds to: `cos(pi * d / 64)`.
///
/// | distance | 0 | 1 | 2 | 3 | 4 | 6 | 8 | 12 | 16 |
/// |---|---|---|---|---|---|---|---|---|---|
/// | cosine | 1.000 | 0.999 | 0.995 | 0.989 | 0.981 | 0.957 | 0.924 | 0.831 | 0.707 |
///
/// For two sets of equal size the cosine equals the containment, and Jaccard
/// is `c / (2 - c)`: distance 3 is about Jaccard 0.98, distance 8 about 0.86.
pub fn similarity_of_distance(distance: u32) -> f64 {
    (std::f64::consts::PI * f64::from(distance.min(64)) / 64.0).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The +1/-1 sum of the definition, the oracle for the bit-sliced version.
    fn naive(hashes: &[u64]) -> u64 {
        let mut acc = [0i64; 64];
        for &h in hashes {
            for (bit, a) in acc.iter_mut().enumerate() {
                *a += if (h >> bit) & 1 == 1 { 1 } else { -1 };
            }
        }
        acc.iter()
            .enumerate()
            .fold(0, |fp, (bit, &a)| fp | (u64::from(a > 0) << bit))
    }

    proptest::proptest! {
        #[test]
        fn bit_sliced_counts_equal_the_definition(v in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..600)) {
            proptest::prop_assert_eq!(fingerprint_of(&v), naive(&v));
        }

        #[test]
        fn bit_sliced_counts_with_ties(v in proptest::collection::vec(0u64..8, 0..40)) {
            proptest::prop_assert_eq!(fingerprint_of(&v), naive(&v));
        }
    }

    #[test]
    fn distance_table() {
        let cases = [(0, 1.0), (3, 0.989), (8, 0.924), (16, 0.707), (32, 0.0)];
        for (d, c) in cases {
            assert!((similarity_of_distance(d) - c).abs() < 1e-3, "{d}");
        }
    }

    #[test]
    fn empty_and_weighted() {
        let s = SimHasher::new(&Config::default().sketch).unwrap();
        assert!(matches!(
            s.fingerprint(" .. "),
            Err(Error::EmptyDocument { .. })
        ));
        assert!(s.fingerprint_weighted(&[]).is_err());
        let a = s.fingerprint_weighted(&[(1, 1.0), (2, 5.0)]).unwrap();
        let b = s
            .fingerprint_weighted(&[(2, 2.0), (1, 1.0), (2, 3.0)])
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn similar_texts_are_close() {
        let s = SimHasher::new(&Config::default().sketch).unwrap();
        let base: String = (0..300).map(|i| format!("w{} ", i * 7919 % 1000)).collect();
        let edited = base.replacen("w", "x", 3);
        let other: String = (0..300)
            .map(|i| format!("v{} ", i * 104_729 % 1000))
            .collect();
        let (a, b, c) = (
            s.fingerprint(&base).unwrap(),
            s.fingerprint(&edited).unwrap(),
            s.fingerprint(&other).unwrap(),
        );
        assert!(hamming_distance(a, b) <= 8, "{}", hamming_distance(a, b));
        assert!(hamming_distance(a, c) >= 16, "{}", hamming_distance(a, c));
    }
}

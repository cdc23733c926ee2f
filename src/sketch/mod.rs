//! Signatures: MinHash ([`MinHasher`]) and SimHash ([`SimHasher`]), and the
//! estimators that compare them.

mod minhash;
mod simhash;
mod sketches;

pub use minhash::{MinHasher, Signature};
pub use simhash::{hamming_distance, similarity_of_distance, SimHasher};
pub use sketches::{Columns, Sketch, SketchRef, Sketches, EXACT_SHINGLES, FACT_SAMPLE};

pub(crate) use minhash::SignScratch;

use serde::{Deserialize, Serialize};

use crate::config::{Scheme, Shingling};
use crate::error::{Error, Result};

/// Everything a signature's values depend on. Two signatures can be compared
/// only when their parameters are equal; [`SketchParams::check_compatible`]
/// says which one differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SketchParams {
    /// MinHash construction.
    pub scheme: Scheme,
    /// Number of slots.
    pub num_perm: u32,
    /// Seed of every hash.
    pub seed: u64,
    /// [`NORMALIZER_VERSION`](crate::text::NORMALIZER_VERSION) of the text pipeline.
    pub normalizer: u16,
    /// How the text was cut into shingles.
    pub shingling: Shingling,
}

impl SketchParams {
    /// Checks that signatures made with `self` and `other` can be compared.
    ///
    /// # Errors
    /// [`Error::IncompatibleSignatures`] naming the first parameter that differs.
    pub fn check_compatible(&self, other: &SketchParams) -> Result<()> {
        fn differ(what: &'static str, l: impl ToString, r: impl ToString) -> Result<()> {
            Err(Error::IncompatibleSignatures {
                what,
                left: l.to_string(),
                right: r.to_string(),
            })
        }
        if self.scheme != other.scheme {
            return differ("scheme", self.scheme, other.scheme);
        }
        if self.num_perm != other.num_perm {
            return differ("num_perm", self.num_perm, other.num_perm);
        }
        if self.seed != other.seed {
            return differ("seed", self.seed, other.seed);
        }
        if self.normalizer != other.normalizer {
            return differ("normalizer", self.normalizer, other.normalizer);
        }
        if self.shingling != other.shingling {
            return differ("shingling", self.shingling, other.shingling);
        }
        Ok(())
    }
}

/// An estimated similarity with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate, in `[0, 1]`.
    pub value: f64,
    /// Its standard error: the true value lies within about two of these of
    /// `value` 95% of the time.
    pub std_error: f64,
}

/// Share of equal slots: the MinHash estimate of Jaccard similarity.
#[inline]
pub(crate) fn matching_share(a: &[u32], b: &[u32]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

/// Standard error of a MinHash Jaccard estimate `j` with `k` slots.
#[inline]
pub(crate) fn jaccard_std_error(j: f64, k: usize) -> f64 {
    (j * (1.0 - j) / k as f64).sqrt()
}

/// Containment of the smaller set in the larger, from their Jaccard
/// similarity and sizes: `|A ∩ B| = J (|A| + |B|) / (1 + J)`, divided by
/// `min(|A|, |B|)`, with its standard error by the delta method.
///
/// The map from `J` to containment is concave, so plugging in a noisy `J`
/// underestimates on average; the second-order term of its Taylor expansion,
/// `s J (1 - J) / (k (1 + J)^3)` with `s = (|A| + |B|) / min(|A|, |B|)`, is added
/// back (`k` slots, taken from `j`'s standard error).
pub(crate) fn containment_from_jaccard(j: Estimate, size_a: u32, size_b: u32) -> Estimate {
    let (a, b) = (f64::from(size_a), f64::from(size_b));
    let small = a.min(b).max(1.0);
    let scale = (a + b) / small;
    let jv = j.value;
    let plain = jv * scale / (1.0 + jv);
    let correction = scale * j.std_error * j.std_error / (1.0 + jv).powi(3);
    let value = (plain + correction).min(1.0);
    let slope = scale / ((1.0 + jv) * (1.0 + jv));
    Estimate {
        value,
        std_error: (j.std_error * slope).min(1.0),
    }
}

impl SketchRef<'_> {
    /// How far the two documents' facts agree (`None`: fewer than
    /// `min_facts` can be judged): the estimated share of the facts of the
    /// document with fewer of them that the other one also has.
    pub fn facts_with(&self, other: &SketchRef<'_>, min_facts: u32) -> Option<f64> {
        fact_agreement(
            self.facts,
            self.fact_count,
            other.facts,
            other.fact_count,
            min_facts as usize,
        )
    }

    /// Jaccard similarity and containment (of the smaller document in the
    /// larger) of the two documents' shingle sets: exact when both are short
    /// enough to carry their sets ([`EXACT_SHINGLES`]), estimated from the
    /// signatures otherwise.
    pub fn similarity(&self, other: &SketchRef<'_>) -> (Estimate, Estimate) {
        if !self.exact.is_empty() && !other.exact.is_empty() {
            let both = sorted_intersection(self.exact, other.exact) as f64;
            let (a, b) = (self.exact.len() as f64, other.exact.len() as f64);
            let exact = |value: f64| Estimate {
                value,
                std_error: 0.0,
            };
            return (exact(both / (a + b - both)), exact(both / a.min(b)));
        }
        let j = matching_share(self.slots, other.slots);
        let je = Estimate {
            value: j,
            std_error: jaccard_std_error(j, self.slots.len()),
        };
        (
            je,
            containment_from_jaccard(je, self.shingles, other.shingles),
        )
    }
}

/// Number of values two ascending, distinct slices share.
fn sorted_intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// How far the facts (names, numbers) of two documents agree: the estimated
/// share of the facts of the document with fewer of them that the other one
/// also has, from their bottom-`k` samples (ascending, distinct; `count` is the
/// number of distinct facts, of which the sample holds the smallest
/// `min(count, k)`).
///
/// Only the sample elements at or below the other sample's largest value are
/// judged (there, membership in the sample equals membership in the set).
/// `None` when fewer than `min_facts` can be judged: short or lower-case
/// texts carry no fact evidence, and a headline written in title case next to
/// one in sentence case must not count as a contradiction.
pub(crate) fn fact_agreement(
    a: &[u32],
    a_count: u32,
    b: &[u32],
    b_count: u32,
    min_facts: usize,
) -> Option<f64> {
    let (x, y, y_count) = if (a_count, a) <= (b_count, b) {
        (a, b, b_count)
    } else {
        (b, a, a_count)
    };
    let bound = if y.len() as u32 == y_count {
        u32::MAX
    } else {
        *y.last()?
    };
    let (mut seen, mut hit) = (0usize, 0usize);
    let mut j = 0;
    for &v in x.iter().take_while(|&&v| v <= bound) {
        seen += 1;
        while j < y.len() && y[j] < v {
            j += 1;
        }
        if j < y.len() && y[j] == v {
            hit += 1;
        }
    }
    (seen >= min_facts.max(1)).then(|| hit as f64 / seen as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_of_subset() {
        // A has 50 shingles inside B's 100: J = 0.5, containment 1.
        let j = Estimate {
            value: 0.5,
            std_error: 0.04,
        };
        let c = containment_from_jaccard(j, 50, 100);
        assert!((c.value - 1.0).abs() < 1e-12);
        assert!(c.std_error > 0.0);
        // Identical sets.
        let j = Estimate {
            value: 1.0,
            std_error: 0.0,
        };
        assert!((containment_from_jaccard(j, 80, 80).value - 1.0).abs() < 1e-12);
    }

    #[test]
    fn fact_agreement_cases() {
        // Exact (full) samples.
        assert_eq!(
            fact_agreement(&[1, 2, 3, 4], 4, &[1, 2, 3, 4, 9], 5, 3),
            Some(1.0)
        );
        assert_eq!(
            fact_agreement(&[1, 2, 3, 4, 9], 5, &[1, 2, 3, 4], 4, 3),
            Some(1.0)
        );
        assert_eq!(
            fact_agreement(&[1, 2, 3, 4], 4, &[1, 2, 7, 8], 4, 3),
            Some(0.5)
        );
        // Too few facts on the smaller side: no evidence either way.
        assert_eq!(fact_agreement(&[1, 2], 2, &[5, 6, 7, 8, 9], 5, 3), None);
        // Truncated sample of b: only a's values up to b's largest sampled value count.
        assert_eq!(
            fact_agreement(&[1, 2, 3, 50], 4, &[1, 2, 3, 10], 100, 3),
            Some(1.0)
        );
    }
}

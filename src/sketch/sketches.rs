//! A document's *sketch*: everything the copy tier compares two documents
//! by, computed once when the document is signed. One name for one idea: a
//! [`Sketch`] is one document's, a [`SketchRef`] borrows one, and
//! [`Sketches`] holds a batch of them column by column.
//!
//! A sketch holds
//! - the MinHash signature slots (`num_perm` of them, 32 bits each);
//! - the number of distinct shingles;
//! - a bottom-[`FACT_SAMPLE`] sample of the document's facts (names, numbers)
//!   and their distinct count;
//! - for a short document (at most [`EXACT_SHINGLES`] distinct shingles),
//!   its distinct shingle hashes themselves (64 bits each, ascending).
//!
//! Why the exact set: a document with very few shingles fills its slots with
//! copies of very few values, so one chance 32-bit match between two such
//! documents makes most of their slots agree. Two one-word articles would
//! then look identical about once in four billion pairs, which a corpus of a
//! million headlines meets a hundred times. With both exact sets at hand, two
//! short documents are compared exactly instead, and nothing is estimated.

use serde::{Deserialize, Serialize};

use crate::persist::{le_words, put_le};

/// Facts (names, numbers) kept per document: a bottom-k sample of their hashes.
pub const FACT_SAMPLE: usize = 32;

/// Documents with at most this many distinct shingles keep them in their
/// sketch, and two such documents are compared exactly. Above it, a chance
/// match of one 32-bit slot value moves the estimate by a few slots at most,
/// and it takes several independent ones (each 2^-32) to reach a threshold.
pub const EXACT_SHINGLES: u32 = 32;

/// A borrowed view of one document's sketch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SketchRef<'a> {
    /// Signature slots (`num_perm` values; empty for SimHash batches).
    pub slots: &'a [u32],
    /// Distinct shingles (0 for a document without words).
    pub shingles: u32,
    /// The fact sample, ascending: the `min(fact_count, FACT_SAMPLE)`
    /// smallest distinct fact hashes.
    pub facts: &'a [u32],
    /// Distinct facts.
    pub fact_count: u32,
    /// The distinct shingle hashes, ascending, when there are at most
    /// [`EXACT_SHINGLES`]; empty otherwise.
    pub exact: &'a [u64],
}

/// One document's sketch, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sketch {
    /// Signature slots.
    pub slots: Vec<u32>,
    /// Distinct shingles.
    pub shingles: u32,
    /// The fact sample, ascending.
    pub facts: Vec<u32>,
    /// Distinct facts.
    pub fact_count: u32,
    /// The exact shingle set of a short document (see [`SketchRef::exact`]).
    pub exact: Vec<u64>,
}

impl Sketch {
    /// Reads a sketch written by [`SketchRef::to_bytes`].
    ///
    /// # Errors
    /// [`Error::BadBatch`](crate::Error::BadBatch) when the bytes are not a
    /// whole, consistent sketch.
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<Sketch> {
        let bad = |reason: &str| crate::Error::BadBatch {
            stage: "sketch bytes",
            reason: reason.to_owned(),
        };
        let u32_at = |at: usize| -> crate::Result<u32> {
            let b = bytes.get(at..at + 4).ok_or_else(|| bad("cut short"))?;
            Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
        };
        let u16_at = |at: usize| -> crate::Result<usize> {
            let b = bytes.get(at..at + 2).ok_or_else(|| bad("cut short"))?;
            Ok(usize::from(u16::from_le_bytes(
                b.try_into().expect("2 bytes"),
            )))
        };
        let (k, shingles, fact_count) = (u32_at(0)? as usize, u32_at(4)?, u32_at(8)?);
        let (f, e) = (u16_at(12)?, u16_at(14)?);
        if k > 4096 || f > FACT_SAMPLE || e > EXACT_SHINGLES as usize {
            return Err(bad("lengths out of range"));
        }
        if bytes.len() != 16 + 4 * (k + f) + 8 * e {
            return Err(bad("length does not match its header"));
        }
        let words = |from: usize, n: usize| {
            le_words(&bytes[from..from + 4 * n], u32::from_le_bytes).collect()
        };
        let exact: Vec<u64> = le_words(&bytes[16 + 4 * (k + f)..], u64::from_le_bytes).collect();
        let facts: Vec<u32> = words(16 + 4 * k, f);
        if !exact.is_empty()
            && (exact.len() != shingles as usize || exact.windows(2).any(|w| w[0] >= w[1]))
        {
            return Err(bad("exact set disagrees with its count"));
        }
        if facts.windows(2).any(|w| w[0] >= w[1]) || facts.len() as u32 > fact_count {
            return Err(bad("fact sample is not ascending or larger than its count"));
        }
        Ok(Sketch {
            slots: words(16, k),
            shingles,
            facts,
            fact_count,
            exact,
        })
    }

    /// A borrowed view.
    pub fn as_ref(&self) -> SketchRef<'_> {
        SketchRef {
            slots: &self.slots,
            shingles: self.shingles,
            facts: &self.facts,
            fact_count: self.fact_count,
            exact: &self.exact,
        }
    }
}

/* One sketch as bytes (an engine's binary column), little-endian:
u32 num_perm, u32 shingles, u32 fact_count, u16 facts in the sample,
u16 exact hashes, then the slots (u32 each), the fact sample (u32 each),
the exact set (u64 each). */

impl SketchRef<'_> {
    /// The sketch as bytes, for an engine to carry in a binary column
    /// ([`Sketch::from_bytes`] reads them back).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            16 + 4 * (self.slots.len() + self.facts.len()) + 8 * self.exact.len(),
        );
        let counts = [self.slots.len() as u32, self.shingles, self.fact_count];
        put_le(&mut out, counts, u32::to_le_bytes);
        let lengths = [self.facts.len() as u16, self.exact.len() as u16];
        put_le(&mut out, lengths, u16::to_le_bytes);
        put_le(
            &mut out,
            self.slots.iter().chain(self.facts).copied(),
            u32::to_le_bytes,
        );
        put_le(&mut out, self.exact.iter().copied(), u64::to_le_bytes);
        out
    }

    /// An owned copy.
    pub fn to_owned(&self) -> Sketch {
        Sketch {
            slots: self.slots.to_vec(),
            shingles: self.shingles,
            facts: self.facts.to_vec(),
            fact_count: self.fact_count,
            exact: self.exact.to_vec(),
        }
    }
}

/// Sketches of a batch of documents, column by column: `num_perm` slots per
/// document in one array, and so on. Documents are numbered from 0 in the
/// order they were pushed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sketches {
    num_perm: usize,
    slots: Vec<u32>,
    shingles: Vec<u32>,
    /// `FACT_SAMPLE` values per document, the first `min(count, FACT_SAMPLE)` used.
    facts: Vec<u32>,
    fact_counts: Vec<u32>,
    /// End of each document's exact set in `exact`.
    exact_ends: Vec<u32>,
    exact: Vec<u64>,
}

/// The raw columns of [`Sketches`], borrowed.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    /// Signature slots, `num_perm` per document.
    pub slots: &'a [u32],
    /// Distinct shingle counts.
    pub shingles: &'a [u32],
    /// Fact samples, [`FACT_SAMPLE`] per document, zero-padded.
    pub facts: &'a [u32],
    /// Distinct fact counts.
    pub fact_counts: &'a [u32],
    /// End of each document's exact set in `exact`.
    pub exact_ends: &'a [u32],
    /// The exact sets, end to end.
    pub exact: &'a [u64],
}

/// Why raw columns do not make a [`Sketches`].
fn bad(reason: String) -> crate::Error {
    crate::Error::CorruptSnapshot(format!("sketch columns: {reason}"))
}

impl Sketches {
    /// An empty batch of `num_perm`-slot sketches.
    pub fn new(num_perm: usize) -> Self {
        Sketches {
            num_perm,
            ..Default::default()
        }
    }

    /// `n` empty sketches (no words), to be filled in place by [`Self::rows_mut`].
    pub(crate) fn zeroed(num_perm: usize, n: usize) -> Self {
        Sketches {
            num_perm,
            slots: vec![0; n * num_perm],
            shingles: vec![0; n],
            facts: vec![0; n * FACT_SAMPLE],
            fact_counts: vec![0; n],
            exact_ends: vec![0; n],
            exact: Vec::new(),
        }
    }

    /// Slots per document.
    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.shingles.len()
    }

    /// True when there is no document.
    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty()
    }

    /// Document `d`'s sketch.
    ///
    /// # Panics
    /// When `d` is not below [`len`](Self::len).
    pub fn get(&self, d: usize) -> SketchRef<'_> {
        let k = self.num_perm;
        let facts = (self.fact_counts[d] as usize).min(FACT_SAMPLE);
        let start = if d == 0 { 0 } else { self.exact_ends[d - 1] };
        SketchRef {
            slots: &self.slots[d * k..(d + 1) * k],
            shingles: self.shingles[d],
            facts: &self.facts[d * FACT_SAMPLE..d * FACT_SAMPLE + facts],
            fact_count: self.fact_counts[d],
            exact: &self.exact[start as usize..self.exact_ends[d] as usize],
        }
    }

    /// Appends one sketch; returns its number.
    ///
    /// # Panics
    /// When its slot count is not [`num_perm`](Self::num_perm).
    pub fn push(&mut self, s: SketchRef<'_>) -> usize {
        assert_eq!(s.slots.len(), self.num_perm, "slot count");
        let d = self.len();
        self.slots.extend_from_slice(s.slots);
        self.shingles.push(s.shingles);
        let start = self.facts.len();
        self.facts.resize(start + FACT_SAMPLE, 0);
        let facts = s.facts.len().min(FACT_SAMPLE);
        self.facts[start..start + facts].copy_from_slice(&s.facts[..facts]);
        self.fact_counts.push(s.fact_count);
        self.exact.extend_from_slice(s.exact);
        self.exact_ends.push(self.exact.len() as u32);
        d
    }

    /// Appends every sketch of `other`, in order.
    ///
    /// # Panics
    /// When the slot counts differ.
    pub fn extend(&mut self, other: &Sketches) {
        for d in 0..other.len() {
            self.push(other.get(d));
        }
    }

    /// The sketches of documents `docs` of `self`, in that order.
    pub fn select(&self, docs: impl IntoIterator<Item = usize>) -> Sketches {
        let mut out = Sketches::new(self.num_perm);
        for d in docs {
            out.push(self.get(d));
        }
        out
    }

    /// The flat slot array (`num_perm` per document, document-major).
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// The distinct shingle count of every document.
    pub fn shingle_counts(&self) -> &[u32] {
        &self.shingles
    }

    /// The raw columns, for a format or an engine.
    pub fn columns(&self) -> Columns<'_> {
        Columns {
            slots: &self.slots,
            shingles: &self.shingles,
            facts: &self.facts,
            fact_counts: &self.fact_counts,
            exact_ends: &self.exact_ends,
            exact: &self.exact,
        }
    }

    /// Sketches from raw columns laid out as [`columns`](Self::columns)
    /// gives them, checked for consistency.
    ///
    /// # Errors
    /// [`Error::CorruptSnapshot`](crate::Error::CorruptSnapshot) naming the
    /// column that does not fit.
    pub fn from_columns(
        num_perm: usize,
        slots: Vec<u32>,
        shingles: Vec<u32>,
        facts: Vec<u32>,
        fact_counts: Vec<u32>,
        exact_ends: Vec<u32>,
        exact: Vec<u64>,
    ) -> crate::Result<Self> {
        let n = shingles.len();
        if Some(slots.len()) != n.checked_mul(num_perm) {
            return Err(bad(format!("{} slots for {n} documents", slots.len())));
        }
        if Some(facts.len()) != n.checked_mul(FACT_SAMPLE) || fact_counts.len() != n {
            return Err(bad(format!("fact columns do not hold {n} documents")));
        }
        if exact_ends.len() != n
            || exact_ends.windows(2).any(|w| w[0] > w[1])
            || exact_ends.last().map_or(0, |&e| e as usize) != exact.len()
        {
            return Err(bad("exact set ends are not increasing to the end".into()));
        }
        let mut start = 0;
        for (d, &end) in exact_ends.iter().enumerate() {
            let set = &exact[start as usize..end as usize];
            let ok = if set.is_empty() {
                shingles[d] > EXACT_SHINGLES || shingles[d] == 0
            } else {
                set.len() == shingles[d] as usize && set.windows(2).all(|w| w[0] < w[1])
            };
            if !ok {
                return Err(bad(format!(
                    "document {d}: exact set disagrees with its count"
                )));
            }
            start = end;
        }
        Ok(Sketches {
            num_perm,
            slots,
            shingles,
            facts,
            fact_counts,
            exact_ends,
            exact,
        })
    }

    /// Mutable per-document rows of the fixed-width columns, for filling in
    /// parallel: `(slots, shingle count, fact sample, fact count)`.
    pub(crate) fn rows_mut(
        &mut self,
    ) -> impl rayon::iter::IndexedParallelIterator<Item = (&mut [u32], &mut u32, &mut [u32], &mut u32)>
    {
        use rayon::prelude::*;
        // `chunks_mut(0)` panics: a SimHash batch has no slots.
        let k = self.num_perm.max(1);
        let n = self.shingles.len();
        let slots: Vec<&mut [u32]> = if self.num_perm == 0 {
            (0..n).map(|_| <&mut [u32]>::default()).collect()
        } else {
            self.slots.chunks_mut(k).collect()
        };
        slots
            .into_par_iter()
            .zip(self.shingles.par_iter_mut())
            .zip(self.facts.par_chunks_mut(FACT_SAMPLE))
            .zip(self.fact_counts.par_iter_mut())
            .map(|(((s, c), f), fc)| (s, c, f, fc))
    }

    /// Copies sketch `from` to `to` (all but the exact set, which
    /// [`set_exact`](Self::set_exact) sets).
    pub(crate) fn copy_row(&mut self, from: usize, to: usize) {
        let k = self.num_perm;
        self.slots.copy_within(from * k..(from + 1) * k, to * k);
        self.shingles[to] = self.shingles[from];
        let f = FACT_SAMPLE;
        self.facts.copy_within(from * f..(from + 1) * f, to * f);
        self.fact_counts[to] = self.fact_counts[from];
    }

    /// Sets sketch `to` to `s` (all but the exact set, which
    /// [`set_exact`](Self::set_exact) sets).
    pub(crate) fn set_row(&mut self, to: usize, s: SketchRef<'_>) {
        let k = self.num_perm;
        self.slots[to * k..(to + 1) * k].copy_from_slice(s.slots);
        self.shingles[to] = s.shingles;
        let facts = &mut self.facts[to * FACT_SAMPLE..(to + 1) * FACT_SAMPLE];
        facts.fill(0);
        facts[..s.facts.len()].copy_from_slice(s.facts);
        self.fact_counts[to] = s.fact_count;
    }

    /// The sketches `rows[i]` (a sketch's part and its number there), in
    /// that order: each copied once, the rows in parallel.
    pub(crate) fn gather(num_perm: usize, rows: &[(&Sketches, usize)]) -> Sketches {
        use rayon::prelude::*;
        let mut out = Sketches::zeroed(num_perm, rows.len());
        out.rows_mut().zip(rows.par_iter()).for_each(
            |((slots, count, facts, fact_count), &(part, d))| {
                let s = part.get(d);
                slots.copy_from_slice(s.slots);
                *count = s.shingles;
                facts[..s.facts.len()].copy_from_slice(s.facts);
                *fact_count = s.fact_count;
            },
        );
        for (end, &(part, d)) in out.exact_ends.iter_mut().zip(rows) {
            out.exact.extend_from_slice(part.get(d).exact);
            *end = out.exact.len() as u32;
        }
        out
    }

    /// Sets the exact sets after [`rows_mut`](Self::rows_mut) filled the
    /// rest: one per document, empty for a document without one.
    pub(crate) fn set_exact(&mut self, sets: impl IntoIterator<Item = Vec<u64>>) {
        self.exact.clear();
        for (end, set) in self.exact_ends.iter_mut().zip(sets) {
            self.exact.extend_from_slice(&set);
            *end = self.exact.len() as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Gathering rows from parts gives what selecting them from all the
        /// sketches in one gives, whatever the order and the cut.
        #[test]
        fn gather_equals_select(
            exact_sizes in proptest::collection::vec(0usize..4, 1..40),
            seed: u64,
            cut in 0usize..40,
        ) {
            let n = exact_sizes.len();
            let sketch = |d: usize| Sketch {
                slots: vec![d as u32 * 3, 7, d as u32],
                shingles: if exact_sizes[d] == 0 { 50 } else { exact_sizes[d] as u32 },
                facts: vec![d as u32; d % 5],
                fact_count: (d % 5) as u32,
                exact: (0..exact_sizes[d] as u64).map(|x| x * 10 + d as u64).collect(),
            };
            let (mut all, mut head, mut tail) = (Sketches::new(3), Sketches::new(3), Sketches::new(3));
            let cut = cut.min(n);
            for d in 0..n {
                all.push(sketch(d).as_ref());
                let part = if d < cut { &mut head } else { &mut tail };
                part.push(sketch(d).as_ref());
            }
            // A permutation from the seed: sort positions by a hash of them.
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&d| xxhash_rust::xxh3::xxh3_64_with_seed(&d.to_le_bytes(), seed));
            let rows: Vec<(&Sketches, usize)> = order
                .iter()
                .map(|&d| if d < cut { (&head, d) } else { (&tail, d - cut) })
                .collect();
            proptest::prop_assert_eq!(Sketches::gather(3, &rows), all.select(order));
        }
    }

    #[test]
    fn push_get_select_and_columns_round_trip() {
        let mut s = Sketches::new(4);
        let a = Sketch {
            slots: vec![1, 2, 3, 4],
            shingles: 2,
            facts: vec![5, 9],
            fact_count: 2,
            exact: vec![10, 20],
        };
        let b = Sketch {
            slots: vec![7; 4],
            shingles: 40,
            facts: (0..32).collect(),
            fact_count: 90,
            exact: vec![],
        };
        s.push(a.as_ref());
        s.push(b.as_ref());
        assert_eq!(s.get(0).to_owned(), a);
        assert_eq!(s.get(1).to_owned(), b);
        assert_eq!(s.select([1, 0]).get(0).to_owned(), b);
        let c = s.columns();
        let back = Sketches::from_columns(
            4,
            c.slots.to_vec(),
            c.shingles.to_vec(),
            c.facts.to_vec(),
            c.fact_counts.to_vec(),
            c.exact_ends.to_vec(),
            c.exact.to_vec(),
        )
        .unwrap();
        assert_eq!(back, s);
        for d in [0, 1] {
            let bytes = s.get(d).to_bytes();
            assert_eq!(Sketch::from_bytes(&bytes).unwrap().as_ref(), s.get(d));
            for cut in 0..bytes.len() {
                assert!(Sketch::from_bytes(&bytes[..cut]).is_err(), "cut {cut}");
            }
        }
        // A short document must carry its exact set.
        let broken = Sketches::from_columns(
            4,
            vec![0; 4],
            vec![3],
            vec![0; 32],
            vec![0],
            vec![0],
            vec![],
        );
        assert!(broken.is_err());
    }
}

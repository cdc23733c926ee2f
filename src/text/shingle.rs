//! Shingles: overlapping word n-grams or character n-grams, each hashed once.
//!
//! A word shingle's hash is xxh3 (with the configured seed) of the
//! little-endian bytes of its words' xxh3 hashes. Hashing each word once and
//! each shingle over a fixed 8-bytes-per-word buffer keeps the cost linear in
//! the text and independent of word length. A document with fewer words than
//! the shingle size gets one shingle of all its words, so short texts (a
//! headline, a one-line brief) still have a signature.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::Shingling;
use crate::error::{Error, Result};
use crate::text::normalize::normalize_into;
use crate::text::tokenize::{for_each_token, token_hashes, TokenScratch};

/// Domain separation between word hashes and shingle hashes made with one seed.
const SHINGLE_DOMAIN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Cuts text into shingles and hashes them.
///
/// # Example
/// ```
/// use storyhash::{text::Shingler, Shingling, DEFAULT_SEED};
/// let shingler = Shingler::new(Shingling::Words(3), DEFAULT_SEED);
/// let hashes = shingler.shingles("One two three four.")?;
/// assert_eq!(hashes.len(), 2); // "one two three", "two three four"
/// assert_eq!(hashes, shingler.shingles("ONE  two, three; four")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Shingler {
    shingling: Shingling,
    seed: u64,
}

/// Reusable buffers for shingling, one per thread in batch work.
#[derive(Default, Debug)]
pub(crate) struct ShingleScratch {
    tokens: TokenScratch,
    /// The word hashes of the last text.
    word_hashes: Vec<u64>,
    normalized: String,
    /// High 32 bits of the word hashes of the fact tokens of the last text, in order.
    pub(crate) facts: Vec<u32>,
}

impl ShingleScratch {
    /// The bottom-`k` sample of the distinct fact hashes of the last text
    /// (ascending), and the number of distinct facts.
    pub(crate) fn fact_sample(&mut self, k: usize) -> (&[u32], u32) {
        let f = &mut self.facts;
        f.sort_unstable();
        f.dedup();
        let distinct = f.len() as u32;
        (&f[..f.len().min(k)], distinct)
    }
}

impl Shingler {
    /// A shingler for `shingling`, hashing with `seed`.
    pub fn new(shingling: Shingling, seed: u64) -> Self {
        Shingler { shingling, seed }
    }

    /// The shingle hashes of `text`, in document order, repeats included.
    ///
    /// # Errors
    /// [`Error::EmptyDocument`] when the text has no words.
    pub fn shingles(&self, text: &str) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        self.shingles_into(text, &mut ShingleScratch::default(), &mut out)?;
        Ok(out)
    }

    pub(crate) fn shingles_into(
        &self,
        text: &str,
        scratch: &mut ShingleScratch,
        out: &mut Vec<u64>,
    ) -> Result<()> {
        out.clear();
        match self.shingling {
            Shingling::Words(w) => self.word_shingles(text, usize::from(w), scratch, out),
            Shingling::Chars(n) => self.char_shingles(text, usize::from(n), scratch, out),
        }
        if out.is_empty() {
            return Err(Error::EmptyDocument { index: None });
        }
        Ok(())
    }

    fn word_shingles(&self, text: &str, w: usize, s: &mut ShingleScratch, out: &mut Vec<u64>) {
        let seed = self.seed;
        let words = &mut s.word_hashes;
        token_hashes(text, seed, &mut s.tokens, words, &mut s.facts);
        if words.is_empty() {
            return;
        }
        let shingle_seed = seed ^ SHINGLE_DOMAIN;
        let w = w.min(words.len());
        out.reserve(words.len() + 1 - w);
        // Each shingle is xxh3 of the little-endian bytes of its words'
        // hashes. The default width gets a fixed-size buffer: with the length
        // known at compile time xxh3 is inlined without its length dispatch
        // (the same hash, about a third less time).
        if w == 5 {
            out.extend(
                words
                    .windows(5)
                    .map(|win| xxh3_64_with_seed(&le_bytes::<5, 40>(win), shingle_seed)),
            );
        } else {
            let mut buf = Vec::with_capacity(8 * w);
            out.extend(words.windows(w).map(|win| {
                buf.clear();
                buf.extend(win.iter().flat_map(|h| h.to_le_bytes()));
                xxh3_64_with_seed(&buf, shingle_seed)
            }));
        }
    }

    fn char_shingles(&self, text: &str, n: usize, s: &mut ShingleScratch, out: &mut Vec<u64>) {
        let seed = self.seed;
        let facts = &mut s.facts;
        facts.clear();
        for_each_token(text, &mut s.tokens, |t, fact| {
            if fact {
                facts.push((xxh3_64_with_seed(t, seed) >> 32) as u32);
            }
        });
        normalize_into(text, &mut s.normalized);
        let t = s.normalized.as_str();
        if t.is_empty() || !t.chars().any(char::is_alphanumeric) {
            return;
        }
        let seed = self.seed ^ SHINGLE_DOMAIN;
        let starts: Vec<usize> = t.char_indices().map(|(i, _)| i).chain([t.len()]).collect();
        let chars = starts.len() - 1;
        let n = n.min(chars);
        out.extend(
            starts
                .windows(n + 1)
                .map(|w| xxh3_64_with_seed(&t.as_bytes()[w[0]..w[n]], seed)),
        );
    }
}

/// The little-endian bytes of `W` words (`B` is `8 * W`).
#[inline(always)]
fn le_bytes<const W: usize, const B: usize>(words: &[u64]) -> [u8; B] {
    let mut out = [0u8; B];
    for (dst, h) in out.chunks_exact_mut(8).zip(&words[..W]) {
        dst.copy_from_slice(&h.to_le_bytes());
    }
    out
}

/// Working space of [`count_distinct`].
#[derive(Default, Debug)]
pub(crate) struct DistinctScratch {
    table: Vec<u8>,
    suspects: Vec<u64>,
}

/// Number of distinct values in `hashes`, using `scratch` as working space.
///
/// A table of at least twelve bytes per value marks, without branches, every
/// value whose entry was already taken: the repeats and a few chance
/// collisions. Only those suspects are sorted to count the real repeats
/// exactly, so a typical article costs two passes and a sort of a few dozen
/// values. A byte per entry rather than a bit: with bits, nearby values often
/// share a word, and each read-modify-write then waits for the one before it.
pub(crate) fn count_distinct(hashes: &[u64], scratch: &mut DistinctScratch) -> u32 {
    let n = hashes.len();
    let entries = (n * 12).next_power_of_two().max(1024);
    let mask = entries as u64 - 1;
    let DistinctScratch { table, suspects } = scratch;
    table.clear();
    table.resize(entries, 0);
    suspects.clear();
    suspects.resize(n, 0);
    // Bit 0: taken once; bit 1: taken again.
    for &h in hashes {
        let e = &mut table[(h & mask) as usize];
        *e |= 1 | (*e << 1);
    }
    let mut len = 0;
    for &h in hashes {
        suspects[len] = h;
        len += usize::from(table[(h & mask) as usize] >> 1 & 1);
    }
    let suspects = &mut suspects[..len];
    suspects.sort_unstable();
    let repeats = suspects.windows(2).filter(|w| w[0] == w[1]).count();
    (n - repeats) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_SEED;

    #[test]
    fn every_width_hashes_by_the_definition() {
        // xxh3 of the little-endian bytes of the words' xxh3 hashes, for the
        // fixed-size path (width 5) and the general one alike.
        let text = "Firefighters in Lanmore battled a blaze at the old Corran mill for six hours";
        let seed = 42;
        let words: Vec<u64> = crate::text::tokenize(text)
            .iter()
            .map(|t| xxh3_64_with_seed(t.as_bytes(), seed))
            .collect();
        for w in [1u8, 2, 3, 5, 7] {
            let expected: Vec<u64> = words
                .windows(usize::from(w))
                .map(|win| {
                    let bytes: Vec<u8> = win.iter().flat_map(|h| h.to_le_bytes()).collect();
                    xxh3_64_with_seed(&bytes, seed ^ SHINGLE_DOMAIN)
                })
                .collect();
            let got = Shingler::new(Shingling::Words(w), seed)
                .shingles(text)
                .unwrap();
            assert_eq!(got, expected, "width {w}");
        }
    }

    #[test]
    fn word_shingle_counts() {
        let s = Shingler::new(Shingling::Words(5), DEFAULT_SEED);
        let cases: &[(&str, &str, usize)] = &[
            ("one word", "hello", 1),
            ("four words", "a b c d", 1),
            ("five words", "a b c d e", 1),
            ("six words", "a b c d e f", 2),
            ("repeats kept", "a a a a a a a", 3),
        ];
        for (name, text, n) in cases {
            assert_eq!(s.shingles(text).unwrap().len(), *n, "case {name:?}");
        }
    }

    #[test]
    fn empty_documents_are_typed_errors() {
        for shingling in [Shingling::Words(5), Shingling::Chars(4)] {
            let s = Shingler::new(shingling, DEFAULT_SEED);
            for text in ["", "   ", "\n\t", "... --- !!!", "🔥🔥"] {
                assert!(
                    matches!(s.shingles(text), Err(Error::EmptyDocument { .. })),
                    "{shingling} {text:?}"
                );
            }
        }
    }

    #[test]
    fn char_shingles() {
        let s = Shingler::new(Shingling::Chars(3), DEFAULT_SEED);
        assert_eq!(s.shingles("abcd").unwrap().len(), 2);
        assert_eq!(s.shingles("ab").unwrap().len(), 1);
        assert_eq!(s.shingles("ABCD").unwrap(), s.shingles("abcd").unwrap());
    }

    #[test]
    fn seed_changes_hashes() {
        let a = Shingler::new(Shingling::Words(2), 1)
            .shingles("a b c")
            .unwrap();
        let b = Shingler::new(Shingling::Words(2), 2)
            .shingles("a b c")
            .unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn distinct_count() {
        let mut t = DistinctScratch::default();
        assert_eq!(count_distinct(&[], &mut t), 0);
        assert_eq!(count_distinct(&[0, 0, 5, 5, 7], &mut t), 3);
        let many: Vec<u64> = (0..1000u64).map(|i| i % 300).collect();
        assert_eq!(count_distinct(&many, &mut t), 300);
        let spread: Vec<u64> = (0..5000u64)
            .map(|i| (i % 2100).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        assert_eq!(count_distinct(&spread, &mut t), 2100);
    }

    proptest::proptest! {
        #[test]
        fn distinct_count_matches_a_set(v in proptest::collection::vec(0u64..2000, 0..3000)) {
            let exact = v.iter().collect::<std::collections::HashSet<_>>().len() as u32;
            proptest::prop_assert_eq!(count_distinct(&v, &mut DistinctScratch::default()), exact);
        }
    }
}

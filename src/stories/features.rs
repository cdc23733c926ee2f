//! Story features: what independent write-ups of one event share even when
//! they share no sentence.
//!
//! Each document (title and body as separate fields) becomes a sparse bag of
//! weighted features:
//!
//! - content words: normalised tokens of three or more bytes that are not
//!   function words of any of several languages ([`stopwords`](super::stopwords));
//! - names: capitalised words that do not start a sentence ("Putin",
//!   "Hangzhou"), and entity runs of two or more of them in a row
//!   ("Vladimir Putin", "Port Elling"), joined;
//! - numbers, canonicalised (thousands separators removed: "300,000" and
//!   "300000" are one feature).
//!
//! Title features weigh [`StoryConfig::title_weight`](crate::StoryConfig)
//! times a body feature, names, entity runs and numbers
//! [`StoryConfig::fact_weight`](crate::StoryConfig) times a word. The
//! corpus-level IDF weighting happens in [`super::cluster`].

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::hash::Set;
use crate::text::{for_each_token, TokenScratch};

const WORD: u64 = 0x5744_5f57_4f52_4431;
const ENTITY: u64 = 0x5744_5f45_4e54_4954;
const NUMBER: u64 = 0x5744_5f4e_554d_4245;

/// Turns article fields into feature bags.
#[derive(Clone, Debug)]
pub(crate) struct FeatureExtractor {
    seed: u64,
    title_weight: f32,
    fact_weight: f32,
    stop: Set<u64>,
}

/// Reusable buffers for feature extraction.
#[derive(Default, Debug)]
pub(crate) struct FeatureScratch {
    tokens: TokenScratch,
    run: Vec<u8>,
    number: Vec<u8>,
}

impl FeatureExtractor {
    pub(crate) fn new(seed: u64, title_weight: f32, fact_weight: f32) -> Self {
        let stop = super::stopwords::stop_words()
            .into_iter()
            .map(|w| xxh3_64_with_seed(w.as_bytes(), seed ^ WORD))
            .collect();
        FeatureExtractor {
            seed,
            title_weight,
            fact_weight,
            stop,
        }
    }

    /// The features of one article as `(key, raw weight)`, sorted by key,
    /// each key once.
    pub(crate) fn extract(
        &self,
        title: Option<&str>,
        text: &str,
        scratch: &mut FeatureScratch,
        out: &mut Vec<(u64, f32)>,
    ) {
        self.extract_named(title, text, scratch, out, |_, _| {});
    }

    /// As [`extract`](Self::extract), also calling `name(key, bytes)` with
    /// the normalised text of each feature occurrence (a word, an entity run
    /// such as `vladimir putin`, a canonical number): how a story is labelled.
    pub(crate) fn extract_named(
        &self,
        title: Option<&str>,
        text: &str,
        scratch: &mut FeatureScratch,
        out: &mut Vec<(u64, f32)>,
        mut name: impl FnMut(u64, &[u8]),
    ) {
        out.clear();
        if let Some(t) = title {
            self.field(t, self.title_weight, scratch, out, &mut name);
        }
        self.field(text, 1.0, scratch, out, &mut name);
        out.sort_unstable_by_key(|e| e.0);
        let mut w = 0;
        for r in 0..out.len() {
            if w > 0 && out[w - 1].0 == out[r].0 {
                out[w - 1].1 += out[r].1;
            } else {
                out[w] = out[r];
                w += 1;
            }
        }
        out.truncate(w);
    }

    fn field(
        &self,
        text: &str,
        weight: f32,
        s: &mut FeatureScratch,
        out: &mut Vec<(u64, f32)>,
        name: &mut impl FnMut(u64, &[u8]),
    ) {
        let seed = self.seed;
        let fact_weight = weight * self.fact_weight;
        let (run, number) = (&mut s.run, &mut s.number);
        run.clear();
        let mut run_words = 0;
        let flush = |run: &mut Vec<u8>,
                     run_words: &mut usize,
                     out: &mut Vec<(u64, f32)>,
                     name: &mut dyn FnMut(u64, &[u8])| {
            if *run_words >= 2 {
                let h = xxh3_64_with_seed(run, seed ^ ENTITY);
                name(h, run);
                out.push((h, fact_weight));
            }
            run.clear();
            *run_words = 0;
        };
        for_each_token(text, &mut s.tokens, |t, fact| {
            let numeric = t.iter().any(u8::is_ascii_digit);
            if fact && !numeric {
                if run_words > 0 {
                    run.push(b' ');
                }
                run.extend_from_slice(strip_possessive(t));
                run_words += 1;
            } else {
                flush(run, &mut run_words, out, name);
            }
            if numeric {
                // "300,000" and "300000" are one number.
                number.clear();
                for (i, &c) in t.iter().enumerate() {
                    let between_digits = i > 0
                        && t[i - 1].is_ascii_digit()
                        && t.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if !(c == b',' && between_digits) {
                        number.push(c);
                    }
                }
                let h = xxh3_64_with_seed(number, seed ^ NUMBER);
                name(h, number);
                out.push((h, fact_weight));
            } else {
                let word = strip_possessive(t);
                if word.len() >= 3 {
                    let h = xxh3_64_with_seed(word, seed ^ WORD);
                    if !self.stop.contains(&h) {
                        name(h, word);
                        out.push((h, if fact { fact_weight } else { weight }));
                    }
                }
            }
        });
        flush(run, &mut run_words, out, name);
    }
}

fn strip_possessive(t: &[u8]) -> &[u8] {
    t.strip_suffix(b"'s").unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(title: Option<&str>, text: &str) -> Vec<(u64, f32)> {
        let fx = FeatureExtractor::new(1, 2.0, 2.0);
        let mut out = Vec::new();
        fx.extract(title, text, &mut FeatureScratch::default(), &mut out);
        out
    }

    #[test]
    fn stop_words_and_short_words_are_dropped() {
        assert!(keys(None, "the and of a to is was were it").is_empty());
        assert!(keys(None, "der das und le la les el los").is_empty());
        assert_eq!(keys(None, "summit summit").len(), 1);
        assert_eq!(keys(None, "summit summit")[0].1, 2.0);
    }

    #[test]
    fn numbers_are_canonical() {
        assert_eq!(keys(None, "killed 300,000"), keys(None, "killed 300000"));
    }

    #[test]
    fn entity_runs_and_weights() {
        // "met Vladimir Putin": met (word), vladimir, putin (words), "vladimir putin" (run).
        let k = keys(None, "They met Vladimir Putin today");
        assert_eq!(k.len(), 5); // met, vladimir, putin, today, and the run
        let facts = k.iter().filter(|e| e.1 == 2.0).count();
        assert_eq!(facts, 3); // the two names and the run
                              // Title features weigh twice as much.
        let t = keys(Some("summit"), "summit");
        assert_eq!(t, vec![(t[0].0, 3.0)]);
    }

    #[test]
    fn possessive_is_the_name() {
        assert_eq!(keys(None, "Putin's"), keys(None, "Putin"));
    }
}

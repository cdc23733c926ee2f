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
//!   ("Vladimir Putin", "Port Elling"), joined, at half a name's weight;
//! - numbers, canonicalised (thousands separators removed: "300,000" and
//!   "300000" are one feature).
//!
//! Title features weigh [`StoryConfig::title_weight`](crate::StoryConfig)
//! times a body feature, names and numbers
//! [`StoryConfig::fact_weight`](crate::StoryConfig) times a word (entity
//! runs half that). The
//! corpus-level IDF weighting happens in [`super::cluster`].

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::stopwords::LANGUAGES;
use crate::hash::{sort_by_hash, BucketScratch, Map};
use crate::persist::{le_words, put_le};
use crate::text::{ascii_tokens, for_each_token, TokenScratch};

const WORD: u64 = 0x5744_5f57_4f52_4431;
const ENTITY: u64 = 0x5744_5f45_4e54_4954;
const NUMBER: u64 = 0x5744_5f4e_554d_4245;

/// Turns article fields into feature bags.
#[derive(Clone, Debug)]
pub(crate) struct FeatureExtractor {
    seed: u64,
    title_weight: f32,
    fact_weight: f32,
    stop: StopWords,
}

/// Stop word hashes and the languages each belongs to.
#[derive(Clone, Debug)]
struct StopWords {
    /// One bit per value of a hash's low [`FILTER_BITS`] bits, set for those
    /// of stop words: half of the words of a text are not stop words, and
    /// almost all of them are told so by this one bit.
    filter: Vec<u64>,
    languages: Map<u64, u32>,
}

/// 2^18 bits (32 KiB), for some 9,000 stop words: 1 word in 30 that is not
/// one passes the filter.
const FILTER_BITS: u32 = 18;

impl StopWords {
    fn new(words: impl Iterator<Item = (u64, u32)>) -> Self {
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        let languages: Map<u64, u32> = words.collect();
        for &h in languages.keys() {
            let (word, bit) = Self::filter_bit(h);
            filter[word] |= bit;
        }
        StopWords { filter, languages }
    }

    /// The word of the filter and the bit in it that stand for hash `h`.
    #[inline]
    fn filter_bit(h: u64) -> (usize, u64) {
        let bit = h & ((1 << FILTER_BITS) - 1);
        ((bit >> 6) as usize, 1 << (bit & 63))
    }

    /// Whether the filter lets hash `h` through to the map.
    #[inline]
    fn may_hold(&self, h: u64) -> bool {
        let (word, bit) = Self::filter_bit(h);
        self.filter[word] & bit != 0
    }

    /// The languages of the stop word of hash `h`, `None` for a word that
    /// is not one.
    #[inline]
    fn get(&self, h: u64) -> Option<u32> {
        if !self.may_hold(h) {
            return None;
        }
        self.languages.get(&h).copied()
    }
}

/// Reusable buffers for feature extraction.
#[derive(Default, Debug)]
pub(crate) struct FeatureScratch {
    tokens: TokenScratch,
    run: Vec<u8>,
    number: Vec<u8>,
    /// Stop words of each language met in the current document.
    hits: LanguageHits,
    /// The number occurrences of the current document: key and range of
    /// their canonical text in `number_text`.
    numbers: Vec<(u64, u32, u32)>,
    number_text: Vec<u8>,
    /// Buffers for sorting a document's occurrences by key.
    sort: BucketScratch<(u64, f32)>,
}

impl FeatureScratch {
    /// The numbers of the last document extracted.
    pub(crate) fn numbers(&self) -> Numbers {
        Numbers::from_occurrences(
            self.numbers
                .iter()
                .map(|&(k, a, b)| (k, &self.number_text[a as usize..b as usize])),
        )
    }
}

/// The language of a document that [`detect`] could not tell.
pub(crate) const UNKNOWN_LANGUAGE: u8 = LANGUAGES.len() as u8;

/// Stop words a document needs of one language to be taken as written in it.
const MIN_HITS: u32 = 3;

/// A document's language: the one whose stop words it uses most (at least
/// [`MIN_HITS`] of them; ties to the earlier in [`LANGUAGES`]), else its
/// script's main language for scripts that stop words miss (Chinese and
/// Japanese are written without spaces), else [`UNKNOWN_LANGUAGE`].
fn detect(hits: &[u32; LANGUAGES.len()], title: Option<&str>, text: &str) -> u8 {
    let (best, &count) = hits
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|e| *e.1)
        .expect("languages");
    if count >= MIN_HITS {
        return best as u8;
    }
    let code = |c: &str| LANGUAGES.iter().position(|l| *l == c).expect("a language") as u8;
    let letters = title
        .into_iter()
        .chain([text])
        .flat_map(str::chars)
        .filter(|c| !c.is_ascii());
    let mut han = false;
    for c in letters.take(2000) {
        match c {
            '\u{3040}'..='\u{30ff}' => return code("ja"),
            '\u{ac00}'..='\u{d7af}' | '\u{1100}'..='\u{11ff}' => return code("ko"),
            '\u{4e00}'..='\u{9fff}' => han = true,
            '\u{0600}'..='\u{06ff}' => return code("ar"),
            '\u{0400}'..='\u{04ff}' => return code("ru"),
            '\u{0370}'..='\u{03ff}' => return code("el"),
            '\u{0590}'..='\u{05ff}' => return code("he"),
            '\u{0900}'..='\u{097f}' => return code("hi"),
            _ => {}
        }
    }
    if han {
        code("zh")
    } else {
        UNKNOWN_LANGUAGE
    }
}

impl FeatureExtractor {
    pub(crate) fn new(seed: u64, title_weight: f32, fact_weight: f32) -> Self {
        let stop = StopWords::new(
            super::stopwords::stop_words()
                .iter()
                .map(|(w, langs)| (xxh3_64_with_seed(w.as_bytes(), seed ^ WORD), *langs)),
        );
        FeatureExtractor {
            seed,
            title_weight,
            fact_weight,
            stop,
        }
    }

    /// The features of one article as `(key, raw weight)`, sorted by key,
    /// each key once, and the document's language (see [`detect`]) and the
    /// numbers it states.
    pub(crate) fn extract_story(
        &self,
        title: Option<&str>,
        text: &str,
        scratch: &mut FeatureScratch,
        out: &mut Vec<(u64, f32)>,
    ) -> (u8, Numbers) {
        let language = self.extract_named(title, text, scratch, out, |_, _| {});
        (language, scratch.numbers())
    }

    /// As [`extract_story`](Self::extract_story), also calling `name(key, bytes)` with
    /// the normalised text of each feature occurrence (a word, an entity run
    /// such as `vladimir putin`, a canonical number): how a story is
    /// labelled. Returns the document's language (see [`detect`]).
    pub(crate) fn extract_named(
        &self,
        title: Option<&str>,
        text: &str,
        scratch: &mut FeatureScratch,
        out: &mut Vec<(u64, f32)>,
        mut name: impl FnMut(u64, &[u8]),
    ) -> u8 {
        out.clear();
        scratch.hits = LanguageHits::default();
        scratch.numbers.clear();
        scratch.number_text.clear();
        if let Some(t) = title.filter(|t| !is_dateline(t, &mut scratch.tokens)) {
            self.field(t, self.title_weight, scratch, out, &mut name);
        }
        self.field(text, 1.0, scratch, out, &mut name);
        sort_by_hash(out, |e| e.0, |&k| k, &mut scratch.sort);
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
        detect(&scratch.hits.totals(), title, text)
    }

    fn field(
        &self,
        text: &str,
        weight: f32,
        s: &mut FeatureScratch,
        out: &mut Vec<(u64, f32)>,
        name: &mut impl FnMut(u64, &[u8]),
    ) {
        let FeatureScratch {
            tokens,
            run,
            number,
            hits,
            numbers,
            number_text,
            sort: _,
        } = s;
        let mut field = Field {
            fx: self,
            weight,
            fact_weight: weight * self.fact_weight,
            run,
            run_words: 0,
            number,
            hits,
            numbers,
            number_text,
            out,
            name,
        };
        field.run.clear();
        match ascii_tokens(text, tokens) {
            Ok(t) => {
                let mut facts = t.facts.iter().peekable();
                let mut digits = t.digits.iter().peekable();
                for (i, &(start, end)) in t.spans.iter().enumerate() {
                    let fact = facts.next_if_eq(&&(i as u32)).is_some();
                    let numeric = digits.next_if_eq(&&(i as u32)).is_some();
                    let token = &t.lower[start as usize..end as usize];
                    field.token(token, fact, numeric);
                }
            }
            Err(other) => other.for_each(|t, fact| {
                let numeric = t.iter().any(u8::is_ascii_digit);
                field.token(t, fact, numeric)
            }),
        }
        field.flush();
    }
}

/// The weight of an entity run ("puerto rico") against one of its names:
/// its names are features already, each at the fact weight, so the run
/// adds only the evidence that they stand together. At the full weight a
/// two-word name counted three times and one shared place or person
/// outweighed what two reports of different events say differently.
const RUN_SHARE: f32 = 0.5;

/// One field of a document being turned into features.
struct Field<'a, N> {
    fx: &'a FeatureExtractor,
    weight: f32,
    fact_weight: f32,
    /// The entity run so far, its words joined by spaces.
    run: &'a mut Vec<u8>,
    run_words: usize,
    number: &'a mut Vec<u8>,
    hits: &'a mut LanguageHits,
    numbers: &'a mut Vec<(u64, u32, u32)>,
    number_text: &'a mut Vec<u8>,
    out: &'a mut Vec<(u64, f32)>,
    name: &'a mut N,
}

impl<N: FnMut(u64, &[u8])> Field<'_, N> {
    /// Takes the next token `t` (lower-cased), its fact flag and whether it
    /// holds a digit.
    fn token(&mut self, t: &[u8], fact: bool, numeric: bool) {
        let seed = self.fx.seed;
        if fact && !numeric {
            if self.run_words > 0 {
                self.run.push(b' ');
            }
            self.run.extend_from_slice(strip_possessive(t));
            self.run_words += 1;
        } else {
            self.flush();
        }
        if numeric {
            // "300,000" and "300000" are one number.
            self.number.clear();
            for (i, &c) in t.iter().enumerate() {
                let between_digits = i > 0
                    && t[i - 1].is_ascii_digit()
                    && t.get(i + 1).is_some_and(u8::is_ascii_digit);
                if !(c == b',' && between_digits) {
                    self.number.push(c);
                }
            }
            let h = xxh3_64_with_seed(self.number, seed ^ NUMBER);
            (self.name)(h, self.number);
            let at = self.number_text.len() as u32;
            self.number_text.extend_from_slice(self.number);
            self.numbers.push((h, at, self.number_text.len() as u32));
            self.out.push((h, self.fact_weight));
            return;
        }
        let word = strip_possessive(t);
        let h = xxh3_64_with_seed(word, seed ^ WORD);
        match self.fx.stop.get(h) {
            Some(langs) => self.hits.add(langs),
            None if word.len() >= 3 => {
                (self.name)(h, word);
                let w = if fact { self.fact_weight } else { self.weight };
                self.out.push((h, w));
            }
            // Short words are not features; short function words ("de",
            // "la", "и") tell the language all the same.
            None => {}
        }
    }

    /// Ends the entity run so far: a run of two or more names is a feature.
    fn flush(&mut self) {
        if self.run_words >= 2 {
            let h = xxh3_64_with_seed(self.run, self.fx.seed ^ ENTITY);
            (self.name)(h, self.run);
            self.out.push((h, self.fact_weight * RUN_SHARE));
        }
        self.run.clear();
        self.run_words = 0;
    }
}

/// Words of a title that only dates or stamps it: "Friday, June 7, 2013",
/// "Last Updated: 10:42 AM GMT".
const DATELINE_WORDS: &str = "monday tuesday wednesday thursday friday saturday sunday mon tue \
tues wed thu thur thurs fri sat sun january february march april may june july august september \
october november december jan feb mar apr jun jul aug sep sept oct nov dec last updated update \
published posted modified am pm a.m p.m gmt utc et est edt cet bst pst pdt st nd rd th on at";

/// Whether a title holds nothing but a date or a time stamp (every token a
/// number or a [`DATELINE_WORDS`] word): such a title names no event and
/// is not weighed, where a real title weighs
/// [`StoryConfig::title_weight`](crate::StoryConfig) times the body.
fn is_dateline(title: &str, tokens: &mut TokenScratch) -> bool {
    !opens_with_plain_word(title) && every_token_dates(title, tokens)
}

/// Whether `title` opens with a word that dates nothing, told without
/// tokenising it (most titles do): a first word of ASCII letters between
/// ASCII punctuation is the title's first token, or its letters are.
fn opens_with_plain_word(title: &str) -> bool {
    let first = title.split_ascii_whitespace().next().unwrap_or_default();
    let word = first.trim_matches(|c: char| c.is_ascii_punctuation());
    !word.is_empty()
        && word.bytes().all(|b| b.is_ascii_alphabetic())
        && !is_date_word(word.as_bytes())
}

/// Whether every token of `title` is a number or a [`DATELINE_WORDS`] word
/// (and there is one).
fn every_token_dates(title: &str, tokens: &mut TokenScratch) -> bool {
    let mut words = 0;
    let mut dateline = true;
    for_each_token(title, tokens, |t, _| {
        words += 1;
        dateline = dateline && (t.iter().any(u8::is_ascii_digit) || is_date_word(t));
    });
    words > 0 && dateline
}

/// Whether `w` is one of the [`DATELINE_WORDS`], in any ASCII case (tokens
/// come lower-cased; a title's first word as written).
fn is_date_word(w: &[u8]) -> bool {
    DATELINE_WORDS
        .split_ascii_whitespace()
        .any(|d| d.as_bytes().eq_ignore_ascii_case(w))
}

/// Stop words met of each language, counted eight languages to a word in
/// byte lanes: a stop word's languages (one bit each) are spread one byte
/// of bits at a time into eight lanes of 0 or 1 and added with one addition,
/// where a counter per language takes an addition per language. The lanes
/// are emptied into the totals before any can overflow.
#[derive(Clone, Copy, Debug, Default)]
struct LanguageHits {
    lanes: [u64; LANE_WORDS],
    /// Stop words added since the lanes were last emptied.
    pending: u32,
    totals: [u32; LANGUAGES.len()],
}

const LANE_WORDS: usize = LANGUAGES.len().div_ceil(8);

impl LanguageHits {
    /// Counts one stop word of languages `langs` (bit `i` for `LANGUAGES[i]`).
    #[inline]
    fn add(&mut self, langs: u32) {
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            *lane += spread_bits((langs >> (8 * k)) as u8);
        }
        self.pending += 1;
        if self.pending == u32::from(u8::MAX) {
            self.empty_lanes();
        }
    }

    fn empty_lanes(&mut self) {
        for (i, total) in self.totals.iter_mut().enumerate() {
            *total += ((self.lanes[i / 8] >> (8 * (i % 8))) & 0xff) as u32;
        }
        self.lanes = [0; LANE_WORDS];
        self.pending = 0;
    }

    /// The stop words counted of each language.
    fn totals(&mut self) -> [u32; LANGUAGES.len()] {
        self.empty_lanes();
        self.totals
    }
}

/// The bits of `b` as eight bytes of 0 or 1, bit `i` in byte `i`.
#[inline]
fn spread_bits(b: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Byte i keeps bit i of its copy of b (0 or 2^i); adding 0x7f carries
    // into the byte's top bit exactly when that bit was set.
    let kept = (u64::from(b) * ONES) & 0x8040_2010_0804_0201;
    ((kept + 0x7f7f_7f7f_7f7f_7f7f) >> 7) & ONES
}

/// The numbers a story document states: two reports about similar events
/// (two elections of one country, two earthquakes of one region) share
/// every name but not their years, magnitudes and tolls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Numbers {
    /// Years mentioned (1900 to 2099), ascending.
    years: Vec<u16>,
    /// Every number feature, ascending.
    all: Vec<u64>,
    /// The most repeated numbers of two or more digits that are not years.
    top: Vec<u64>,
}

/// Numbers per document that [`Numbers::conflicts`] requires found in the
/// other document.
const TOP_NUMBERS: usize = 4;

/// Years a document may name for them to date its event: one that names
/// more tells a history (an obituary, a retrospective).
const MAX_YEARS: usize = 2;

impl Numbers {
    /// The numbers of the feature occurrences `(key, text)` of a document
    /// (as [`FeatureExtractor::extract_named`] reports them; numbers are the
    /// ones holding a digit).
    pub(crate) fn from_occurrences<'a>(
        occurrences: impl IntoIterator<Item = (u64, &'a [u8])>,
    ) -> Self {
        let mut counts: Vec<(u64, u32, bool)> = Vec::new();
        let mut years = Vec::new();
        for (key, text) in occurrences {
            if !text.iter().any(u8::is_ascii_digit) {
                continue;
            }
            let digits = text.iter().all(u8::is_ascii_digit);
            if digits && text.len() == 4 && (text.starts_with(b"19") || text.starts_with(b"20")) {
                years.push(
                    std::str::from_utf8(text)
                        .ok()
                        .and_then(|y| y.parse().ok())
                        .unwrap_or(0),
                );
                continue;
            }
            // A decade ("1950s", "70s") names an era, as a history does,
            // not a measure of the event.
            let several =
                text.iter().filter(|c| c.is_ascii_digit()).count() >= 2 && !is_decade(text);
            counts.push((key, 1, several));
        }
        years.sort_unstable();
        years.dedup();
        counts.sort_unstable_by_key(|e| e.0);
        let mut merged: Vec<(u64, u32, bool)> = Vec::new();
        for c in counts {
            match merged.last_mut() {
                Some(last) if last.0 == c.0 => last.1 += 1,
                _ => merged.push(c),
            }
        }
        let all = merged.iter().map(|e| e.0).collect();
        let mut top: Vec<(u64, u32, bool)> = merged.into_iter().filter(|e| e.2).collect();
        top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(TOP_NUMBERS);
        Numbers {
            years,
            all,
            top: top.into_iter().map(|e| e.0).collect(),
        }
    }

    /// The numbers as bytes, for an engine to carry in a binary column:
    /// little-endian counts (u16 years, u32 numbers, u16 top numbers), then
    /// the years (u16), the numbers and the top numbers (u64).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(8 + 2 * self.years.len() + 8 * (self.all.len() + self.top.len()));
        out.extend_from_slice(&(self.years.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.all.len() as u32).to_le_bytes());
        out.extend_from_slice(&(self.top.len() as u16).to_le_bytes());
        put_le(&mut out, self.years.iter().copied(), u16::to_le_bytes);
        put_le(
            &mut out,
            self.all.iter().chain(&self.top).copied(),
            u64::to_le_bytes,
        );
        out
    }

    /// Reads numbers written by [`to_bytes`](Self::to_bytes).
    ///
    /// # Errors
    /// [`Error::BadBatch`](crate::Error::BadBatch) when the bytes are not
    /// whole and sorted as written.
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<Numbers> {
        let bad = || crate::Error::BadBatch {
            stage: "numbers bytes",
            reason: "not the bytes of a document's numbers".to_owned(),
        };
        let head = bytes.get(..8).ok_or_else(bad)?;
        let years = usize::from(u16::from_le_bytes([head[0], head[1]]));
        let all = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
        let top = usize::from(u16::from_le_bytes([head[6], head[7]]));
        if top > TOP_NUMBERS || bytes.len() != 8 + 2 * years + 8 * (all + top) {
            return Err(bad());
        }
        let y: Vec<u16> = le_words(&bytes[8..8 + 2 * years], u16::from_le_bytes).collect();
        let keys: Vec<u64> = le_words(&bytes[8 + 2 * years..], u64::from_le_bytes).collect();
        let (a, t) = keys.split_at(all);
        if y.windows(2).any(|w| w[0] >= w[1]) || a.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad());
        }
        Ok(Numbers {
            years: y,
            all: a.to_vec(),
            top: t.to_vec(),
        })
    }

    /// How many kinds of conflict the two documents show: both name one or
    /// two years and none in common (more tell a history, not the date of
    /// an event); both repeat numbers and neither's are found in
    /// the other at all. Each is evidence of two different events.
    pub(crate) fn conflicts(&self, other: &Numbers) -> u32 {
        let [years, numbers] = self.conflict_kinds(other);
        u32::from(years) + u32::from(numbers)
    }

    /// Which conflicts [`conflicts`](Self::conflicts) counts: of years, of
    /// numbers.
    pub(crate) fn conflict_kinds(&self, other: &Numbers) -> [bool; 2] {
        let dated = |n: &Numbers| (1..=MAX_YEARS).contains(&n.years.len());
        let years = dated(self)
            && dated(other)
            && !self
                .years
                .iter()
                .any(|y| other.years.binary_search(y).is_ok());
        let misses = |a: &Numbers, b: &Numbers| {
            a.top.len() >= 2 && !a.top.iter().any(|k| b.all.binary_search(k).is_ok())
        };
        [years, misses(self, other) && misses(other, self)]
    }

    /// The years stated, ascending.
    pub(crate) fn years(&self) -> &[u16] {
        &self.years
    }

    /// The feature keys of the most repeated numbers that are not years.
    pub(crate) fn top(&self) -> &[u64] {
        &self.top
    }
}

/// Whether token `t` is a decade: two or more digits ending in 0, then "s".
fn is_decade(t: &[u8]) -> bool {
    t.strip_suffix(b"s")
        .is_some_and(|d| d.len() >= 2 && d.ends_with(b"0") && d.iter().all(u8::is_ascii_digit))
}

fn strip_possessive(t: &[u8]) -> &[u8] {
    t.strip_suffix(b"'s").unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn language_hits_count_as_one_counter_per_language(
            words in proptest::collection::vec(0u32..(1 << LANGUAGES.len()), 0..700),
        ) {
            let mut hits = LanguageHits::default();
            let mut expected = [0u32; LANGUAGES.len()];
            for &langs in &words {
                hits.add(langs);
                for (i, e) in expected.iter_mut().enumerate() {
                    *e += langs >> i & 1;
                }
            }
            proptest::prop_assert_eq!(hits.totals(), expected);
        }
    }

    fn keys(title: Option<&str>, text: &str) -> Vec<(u64, f32)> {
        let fx = FeatureExtractor::new(1, 2.0, 2.0);
        let mut out = Vec::new();
        fx.extract_story(title, text, &mut FeatureScratch::default(), &mut out);
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
        let mut weights: Vec<f32> = k.iter().map(|e| e.1).collect();
        weights.sort_by(f32::total_cmp);
        // met, today and the run (half a name's weight); the two names.
        assert_eq!(weights, [1.0, 1.0, 1.0, 2.0, 2.0]);
        // Title features weigh twice as much.
        let t = keys(Some("summit"), "summit");
        assert_eq!(t, vec![(t[0].0, 3.0)]);
    }

    #[test]
    fn conflicting_years_and_numbers() {
        let fx = FeatureExtractor::new(1, 2.0, 2.0);
        let numbers = |text: &str| {
            let mut occ = Vec::new();
            let mut out = Vec::new();
            fx.extract_named(
                None,
                text,
                &mut FeatureScratch::default(),
                &mut out,
                |k, t| occ.push((k, t.to_vec())),
            );
            Numbers::from_occurrences(occ.iter().map(|(k, t)| (*k, t.as_slice())))
        };
        let a = numbers(
            "The 2008 election: 95 percent turnout, 95 percent for Berdymukhamedov, 3,000 booths.",
        );
        let b = numbers(
            "The 2013 election: 61 percent turnout, 61 percent for Berdymukhamedov, 2,600 booths.",
        );
        let c = numbers("In the 2008 vote 95 percent of 3000 booths reported.");
        assert_eq!(a.conflicts(&b), 2);
        assert_eq!(Numbers::from_bytes(&a.to_bytes()).unwrap(), a);
        assert!(Numbers::from_bytes(&a.to_bytes()[1..]).is_err());
        assert_eq!(a.conflicts(&c), 0);
        assert_eq!(a.conflicts(&numbers("No numbers here at all.")), 0);
        // Three years or more tell a history, which dates no event.
        let history = numbers("Elected in 1996, re-elected in 2001, he retired in 2006.");
        let recent = numbers("The 2013 election was called for June.");
        assert_eq!(history.conflict_kinds(&recent), [false, false]);
        let two = numbers("Elected in 1996 and re-elected in 2001.");
        assert_eq!(two.conflict_kinds(&recent), [true, false]);
        // Decades name eras: two portraits of one life do not conflict by
        // them, where two tolls do.
        let fifties = numbers("The pin-up of the 1950s, famous in the 1950s and 1960s.");
        let seventies = numbers("Rediscovered in the 70s, in the 70s and the 80s.");
        assert_eq!(fifties.conflict_kinds(&seventies), [false, false]);
        let tolls = numbers("The quake killed 68; 68 were found later, 31 missing.");
        let other = numbers("The quake killed 51; 51 were found later, 704 missing.");
        assert_eq!(tolls.conflict_kinds(&other), [false, true]);
    }

    proptest::proptest! {
        #[test]
        fn the_plain_first_word_shortcut_agrees_with_tokenising(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Friday", "JUNE", "7,", "2013", "a.m.", "(Quake", "quake's", "_on",
                    "\"Updated\"", "—", "Été", "no\u{a0}more", "'", "at:", "12:30", "-",
                ]),
                0..5,
            ),
        ) {
            let title = words.join(" ");
            let mut tokens = TokenScratch::default();
            let tokenised = every_token_dates(&title, &mut tokens);
            proptest::prop_assert_eq!(is_dateline(&title, &mut tokens), tokenised, "{:?}", title);
            if opens_with_plain_word(&title) {
                proptest::prop_assert!(!tokenised, "{:?}", title);
            }
        }
    }

    #[test]
    fn a_dateline_title_is_not_weighed() {
        for title in [
            "Friday, June 7, 2013",
            "MONDAY, MAY 23, 2005",
            "Last Updated: 10:42 AM GMT, 12/03/2026",
        ] {
            assert_eq!(
                keys(Some(title), "Quake hits Aceh"),
                keys(None, "Quake hits Aceh"),
                "{title}"
            );
        }
        // A title with one word of its own is a title.
        let t = keys(Some("Quake on Friday, June 7"), "Quake hits Aceh");
        assert_ne!(t, keys(None, "Quake hits Aceh"));
    }

    #[test]
    fn the_filter_passes_every_stop_word_and_few_others() {
        let fx = FeatureExtractor::new(7, 2.0, 2.0);
        for (w, langs) in super::super::stopwords::stop_words() {
            let h = xxh3_64_with_seed(w.as_bytes(), 7 ^ WORD);
            assert_eq!(fx.stop.get(h), Some(*langs), "{w}");
        }
        let passed = (0..100_000u64)
            .map(|i| xxh3_64_with_seed(&i.to_le_bytes(), 7 ^ WORD))
            .filter(|&h| fx.stop.may_hold(h))
            .count();
        assert!(
            passed < 5_000,
            "{passed} of 100,000 other words pass the filter"
        );
    }

    #[test]
    fn possessive_is_the_name() {
        assert_eq!(keys(None, "Putin's"), keys(None, "Putin"));
    }
}

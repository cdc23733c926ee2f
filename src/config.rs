//! Every knob of both tiers, with validated defaults.
//!
//! [`Config`] is plain data: construct it with [`Config::default`] and change
//! fields or use the `with_*` setters. It is checked once, by
//! [`Config::validate`], when a [`Clusterer`](crate::Clusterer), a signer or an
//! index is built from it, so a bad value fails early with
//! [`Error::InvalidConfig`] naming the field.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The fixed default seed. Every hash in the crate is derived from
/// [`SketchConfig::seed`], so the same input gives the same output everywhere.
pub const DEFAULT_SEED: u64 = 0x5354_4f52_5948_4153; // "STORYHAS"

/// How a document is cut into shingles before it is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Shingling {
    /// Overlapping runs of `n` normalised words (the default, `n = 5`).
    ///
    /// A document with fewer than `n` words gets one shingle made of all its words.
    Words(u8),
    /// Overlapping runs of `n` characters of the normalised text.
    Chars(u8),
}

impl std::fmt::Display for Shingling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shingling::Words(n) => write!(f, "words({n})"),
            Shingling::Chars(n) => write!(f, "chars({n})"),
        }
    }
}

/// Which MinHash construction fills the signature slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Scheme {
    /// One permutation hashing with optimal densification (Shrivastava 2017):
    /// one hash per shingle, `O(shingles + k)` per document. The default.
    OnePermutation,
    /// `k` independent hash functions (Broder 1997): `O(shingles * k)`, the reference.
    Classic,
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scheme::OnePermutation => f.write_str("one-permutation"),
            Scheme::Classic => f.write_str("classic"),
        }
    }
}

/// Parameters of the text pipeline and the MinHash signatures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SketchConfig {
    /// Seed of every hash function. Default [`DEFAULT_SEED`].
    pub seed: u64,
    /// Number of signature slots `k`. Default 128. Range 8..=4096.
    pub num_perm: usize,
    /// MinHash construction. Default [`Scheme::OnePermutation`].
    pub scheme: Scheme,
    /// Shingles. Default [`Shingling::Words(5)`](Shingling::Words).
    pub shingling: Shingling,
}

impl Default for SketchConfig {
    fn default() -> Self {
        SketchConfig {
            seed: DEFAULT_SEED,
            num_perm: 128,
            scheme: Scheme::OnePermutation,
            shingling: Shingling::Words(5),
        }
    }
}

impl SketchConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if !(8..=4096).contains(&self.num_perm) {
            return Err(Error::config(
                "sketch.num_perm",
                format!("{} is outside 8..=4096", self.num_perm),
            ));
        }
        match self.shingling {
            Shingling::Words(n) if !(1..=16).contains(&n) => Err(Error::config(
                "sketch.shingling",
                format!("word shingles of {n} words; use 1..=16"),
            )),
            Shingling::Chars(n) if !(1..=32).contains(&n) => Err(Error::config(
                "sketch.shingling",
                format!("character shingles of {n} characters; use 1..=32"),
            )),
            _ => Ok(()),
        }
    }
}

/// What happens to a document larger than [`Limits::max_document_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OversizePolicy {
    /// Sign only the first `max_document_bytes` (cut at a character boundary) and
    /// count the document in the result's warnings. The default: a 50 MB page is
    /// almost always a scraping accident, and its head is what identifies it.
    Truncate,
    /// Refuse the document with [`Error::DocumentTooLarge`].
    Reject,
}

/// Bounds that keep memory and time predictable on hostile input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Limits {
    /// Largest document, in bytes of UTF-8, that is signed whole. Default 4 MiB.
    pub max_document_bytes: usize,
    /// What to do with a larger one. Default [`OversizePolicy::Truncate`].
    pub oversize: OversizePolicy,
    /// In a [`Stream`](crate::Stream), an article dated more than this many
    /// days after the newest date seen so far is taken as undated (and
    /// counted in [`StreamStats::future_dates`](crate::StreamStats)): one
    /// misdated article must not move the window past every other. A real
    /// stream can pause for weeks, so the limit is generous. Default 366.
    pub max_days_ahead: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 4 << 20,
            oversize: OversizePolicy::Truncate,
            max_days_ahead: 366,
        }
    }
}

/// Parameters of the copy tier: candidate generation and verification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CopyConfig {
    /// Jaccard similarity (exact for two short documents, estimated
    /// otherwise) at or above which two documents are copies. Default 0.3.
    pub jaccard: f64,
    /// Estimated containment of the smaller document in the larger at or above
    /// which two documents are copies (a truncated or boilerplate-wrapped version).
    /// Default 0.5.
    pub containment: f64,
    /// Containment is trusted only when the smaller document has at least this
    /// many distinct shingles: a three-line brief is contained in many articles.
    /// Default 30.
    pub min_containment_shingles: u32,
    /// Jaccard similarity the LSH banding is tuned for. It is lower than
    /// [`jaccard`](Self::jaccard) because a truncated copy with high containment
    /// can have a low Jaccard similarity, and every candidate is verified anyway.
    /// Default 0.2.
    pub candidate_threshold: f64,
    /// Explicit `(bands, rows)`; derived from
    /// [`candidate_threshold`](Self::candidate_threshold) when `None`.
    /// Default `None`.
    pub bands: Option<(usize, usize)>,
    /// The window of the pairing rule: each member of a bucket (documents
    /// sharing a band) is paired with the `max_bucket` members before it in
    /// bucket order, so a bucket of more than `max_bucket + 1` members (a
    /// template, boilerplate) gives a linear number of pairs, not all of them,
    /// and is counted in the report. Default 64.
    pub max_bucket: usize,
    /// Guard against chaining: every member of a copy group must reach this
    /// share of the thresholds against the group's representative (its
    /// longest version), not only against the neighbour it was linked through.
    /// A connected component that fails is split by leader clustering.
    /// Default 0.5; 1 makes every member verify against the representative in full.
    pub drift: f64,
    /// Share of the facts (numbers, and capitalised words that do not start a
    /// sentence: names, places, tickers) of one document that must appear in
    /// the other for a pair to count as copies. Syndicated copies keep their
    /// facts; templated reports about different events share wording but not
    /// facts. Default 0.7.
    pub facts: f64,
    /// The fact test applies only when at least this many facts can be
    /// compared; shorter texts are judged on wording alone. Default 4.
    pub min_facts: u32,
    /// Use 64-bit SimHash fingerprints within this many differing bits
    /// instead of MinHash signatures (8 bytes an article instead of 512; finds
    /// near-exact copies only, see the README). The fact test still applies.
    /// Default `None`: MinHash.
    pub simhash: Option<u32>,
}

impl Default for CopyConfig {
    fn default() -> Self {
        CopyConfig {
            jaccard: 0.3,
            containment: 0.5,
            min_containment_shingles: 30,
            candidate_threshold: 0.2,
            bands: None,
            max_bucket: 64,
            drift: 0.5,
            facts: 0.7,
            min_facts: 4,
            simhash: None,
        }
    }
}

impl CopyConfig {
    /// The LSH banding: [`bands`](Self::bands) when given, otherwise the
    /// optimum for [`candidate_threshold`](Self::candidate_threshold).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the banding does not fit `num_perm` slots.
    pub fn lsh_params(&self, num_perm: usize) -> Result<crate::lsh::LshParams> {
        match self.bands {
            Some((b, r)) => crate::lsh::LshParams::new(b, r, num_perm),
            None => crate::lsh::LshParams::optimal(
                self.candidate_threshold,
                num_perm,
                crate::lsh::RECALL_WEIGHT,
            ),
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self, num_perm: usize) -> Result<()> {
        unit_interval("copies.jaccard", self.jaccard)?;
        unit_interval("copies.containment", self.containment)?;
        unit_interval("copies.candidate_threshold", self.candidate_threshold)?;
        unit_interval("copies.drift", self.drift)?;
        unit_interval("copies.facts", self.facts)?;
        if self.max_bucket < 2 {
            return Err(Error::config("copies.max_bucket", "must be at least 2"));
        }
        if let Some((b, r)) = self.bands {
            crate::lsh::LshParams::new(b, r, num_perm)?;
        }
        if let Some(k) = self.simhash {
            if k > crate::lsh::MAX_DISTANCE {
                return Err(Error::config(
                    "copies.simhash",
                    format!("{k} bits is over {}", crate::lsh::MAX_DISTANCE),
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn unit_interval(field: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(Error::config(field, format!("{v} is outside (0, 1]")))
    }
}

/// Parameters of the story tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StoryConfig {
    /// Build stories at all; when false every copy group is its own story.
    /// Default true.
    pub enabled: bool,
    /// Average-link threshold on the TF-IDF cosine similarity: two stories
    /// merge when the mean similarity over all their cross pairs of copy
    /// groups reaches it. A copy group the averages leave alone then joins
    /// the story its strongest link goes to when that link reaches 1.2 times
    /// the threshold and twice its strongest link into any other story.
    /// Default 0.17.
    pub threshold: f64,
    /// The evidence a similarity needs: a pair's cosine is scaled by `n /
    /// (n + evidence)`, `n` being how many shared features carry it (the
    /// square of the sum of their products over the sum of the squares).
    /// Two short texts that share one name or one place ("Puerto Rico": two
    /// words and their run) have a high cosine and little evidence of one
    /// event; reports of one event share a dozen weighted features. 0 turns
    /// it off. Default 1.5.
    pub evidence: f64,
    /// Weight of a title feature relative to the same feature in the body.
    /// Default 2.
    pub title_weight: f64,
    /// Weight of names (capitalised words that do not start a sentence), entity
    /// runs and numbers relative to a content word. Default 2.
    pub fact_weight: f64,
    /// Candidate pairs are drawn from each document's this many heaviest
    /// features. Default 24.
    pub top_terms: usize,
    /// A pair is a candidate when the two documents share at least this many
    /// of their heaviest features. Default 2: one shared word is a topic, two
    /// (a name and a place, a name and a number) begin to be an event.
    pub min_shared_terms: usize,
    /// A key term posted by more than this many documents within one time
    /// bucket (or among the undated ones) is too common to propose pairs (it
    /// is still used to score them). Default 100.
    pub max_posting: usize,
    /// Past the [`time_grace_days`](Self::time_grace_days), similarity of two
    /// dated articles is halved for every this many days between them, down
    /// to [`time_floor`](Self::time_floor); 0 turns dates off. Default 30.
    pub half_life_days: f64,
    /// Two dated articles up to this many days apart are not discounted at
    /// all: the coverage of one event (the report, the reactions, the first
    /// follow-ups) runs over its first week. Default 7.
    pub time_grace_days: u32,
    /// The least the time factor falls to. Default 0.8, above what one kind
    /// of conflicting numbers leaves ([`conflict_penalty`](Self::conflict_penalty)):
    /// time apart is weaker evidence of two events than a different toll or
    /// year (one story's follow-ups come weeks and months later), and no
    /// veto, so far apart two articles still share a story when their
    /// similarity is at least `threshold / time_floor` (a trial or a recount
    /// months later).
    pub time_floor: f64,
    /// Two dated articles further apart than this many days are never
    /// compared (it is also the width of the blocking's time buckets).
    /// Default 90: follow-ups come within months.
    pub horizon_days: u32,
    /// Share of the similarity of two documents taken off for each kind of
    /// conflict in the numbers they state: both name one or two years and
    /// none in common; both repeat numbers and neither's appear in the other at all.
    /// Reports of two similar events (two elections of one country, two
    /// earthquakes in one region) share their names, not their numbers.
    /// Default 0.3.
    pub conflict_penalty: f64,
    /// Local scaling (Zelnik-Manor and Perona 2004): each document's
    /// *density* is its similarity to its this-many-th most similar
    /// candidate. Coverage of a long-running story (a nomination's hearings,
    /// vote and boycott; a summit called off and revived) makes every
    /// document look similar to many others; a pair then has to stand out
    /// against its documents' neighbourhoods to count. 0 turns it off.
    /// Default 2.
    pub density_rank: usize,
    /// A pair's similarity is scaled by `min(1, density_scale / sqrt(d_a *
    /// d_b))`, `d` being the two documents' densities: only neighbourhoods
    /// denser than this are discounted, so a pair of isolated documents keeps
    /// its similarity. Default 0.5.
    pub density_scale: f64,
}

impl Default for StoryConfig {
    fn default() -> Self {
        StoryConfig {
            enabled: true,
            threshold: 0.17,
            evidence: 1.5,
            title_weight: 2.0,
            fact_weight: 2.0,
            top_terms: 24,
            min_shared_terms: 2,
            max_posting: 100,
            half_life_days: 30.0,
            time_grace_days: 7,
            time_floor: 0.8,
            horizon_days: 90,
            conflict_penalty: 0.3,
            density_rank: 2,
            density_scale: 0.5,
        }
    }
}

impl StoryConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        unit_interval("stories.threshold", self.threshold)?;
        for (field, v) in [
            ("stories.title_weight", self.title_weight),
            ("stories.fact_weight", self.fact_weight),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                return Err(Error::config(field, format!("{v} is outside (0, 100]")));
            }
        }
        if self.top_terms == 0 {
            return Err(Error::config("stories.top_terms", "must be at least 1"));
        }
        if self.max_posting < 2 {
            return Err(Error::config("stories.max_posting", "must be at least 2"));
        }
        if !(self.conflict_penalty.is_finite() && (0.0..1.0).contains(&self.conflict_penalty)) {
            return Err(Error::config(
                "stories.conflict_penalty",
                format!("{} is outside [0, 1)", self.conflict_penalty),
            ));
        }
        if !(self.evidence.is_finite() && (0.0..=100.0).contains(&self.evidence)) {
            return Err(Error::config(
                "stories.evidence",
                format!("{} is outside [0, 100]", self.evidence),
            ));
        }
        unit_interval("stories.density_scale", self.density_scale)?;
        unit_interval("stories.time_floor", self.time_floor)?;
        if self.horizon_days == 0 || self.horizon_days > 1 << 20 {
            return Err(Error::config(
                "stories.horizon_days",
                format!("{} is outside 1..=2^20", self.horizon_days),
            ));
        }
        if !(self.half_life_days.is_finite() && self.half_life_days >= 0.0) {
            return Err(Error::config(
                "stories.half_life_days",
                format!(
                    "{} is not a non-negative number of days",
                    self.half_life_days
                ),
            ));
        }
        Ok(())
    }
}

/// The whole configuration: text pipeline, signatures, both tiers and limits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Config {
    /// Text pipeline and MinHash parameters.
    pub sketch: SketchConfig,
    /// Copy tier.
    pub copies: CopyConfig,
    /// Story tier.
    pub stories: StoryConfig,
    /// Input bounds.
    pub limits: Limits,
}

impl Config {
    /// Checks every field of every part.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.sketch.validate()?;
        self.copies.validate(self.sketch.num_perm)?;
        self.stories.validate()?;
        if self.limits.max_document_bytes < 64 {
            return Err(Error::config(
                "limits.max_document_bytes",
                "must be at least 64 bytes",
            ));
        }
        Ok(())
    }

    /// Sets [`SketchConfig::seed`].
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.sketch.seed = seed;
        self
    }

    /// Sets [`SketchConfig::num_perm`].
    pub fn with_num_perm(mut self, k: usize) -> Self {
        self.sketch.num_perm = k;
        self
    }

    /// Sets [`SketchConfig::scheme`].
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.sketch.scheme = scheme;
        self
    }

    /// Sets [`SketchConfig::shingling`].
    pub fn with_shingling(mut self, shingling: Shingling) -> Self {
        self.sketch.shingling = shingling;
        self
    }

    /// Sets [`StoryConfig::threshold`].
    pub fn with_story_threshold(mut self, threshold: f64) -> Self {
        self.stories.threshold = threshold;
        self
    }

    /// Sets [`CopyConfig::jaccard`] and [`CopyConfig::containment`].
    pub fn with_copy_thresholds(mut self, jaccard: f64, containment: f64) -> Self {
        self.copies.jaccard = jaccard;
        self.copies.containment = containment;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn missing_fields_take_their_defaults() {
        // A configuration stored before a field existed still reads.
        let c: Config = serde_json::from_str(r#"{"stories": {"threshold": 0.3}}"#).unwrap();
        assert_eq!(c.stories.threshold, 0.3);
        assert_eq!(c.copies, CopyConfig::default());
    }

    /// Every `Default ...` written in this file's field docs is the value
    /// `Config::default()` has, so the docs cannot drift from the code.
    #[test]
    fn documented_defaults_are_the_defaults() {
        let defaults = serde_json::to_value(Config::default()).unwrap();
        let section = |name: &str| match name {
            "SketchConfig" => Some("sketch"),
            "Limits" => Some("limits"),
            "CopyConfig" => Some("copies"),
            "StoryConfig" => Some("stories"),
            _ => None,
        };
        let mut current = None;
        let mut doc = String::new();
        let mut checked = 0;
        for line in include_str!("config.rs").lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("pub struct ") {
                current = section(name.trim_end_matches(" {"));
                doc.clear();
            } else if let Some(d) = line.strip_prefix("///") {
                doc.push_str(d);
                doc.push(' ');
            } else if let (Some(sec), Some(field)) = (current, line.strip_prefix("pub ")) {
                let Some((field, _)) = field.split_once(':') else {
                    continue;
                };
                let actual = &defaults[sec][field];
                let said = doc
                    .split("Default ")
                    .nth(1)
                    .unwrap_or_else(|| panic!("{sec}.{field}: no documented default"));
                let said = said.split_whitespace().next().unwrap();
                let said = said.trim_end_matches(['.', ';', ':', ',']);
                let expected = match said {
                    "[`DEFAULT_SEED`]" => serde_json::json!(DEFAULT_SEED),
                    "`None`" => serde_json::Value::Null,
                    "4" if field == "max_document_bytes" => serde_json::json!(4 << 20),
                    s if s.starts_with("[`") => {
                        // `[`Kind::Variant`]` or `[`Kind::Variant(n)`](...)`.
                        let v = s.trim_start_matches("[`").split('`').next().unwrap();
                        let v = v.split("::").nth(1).unwrap();
                        match v.split_once('(') {
                            Some((variant, n)) => serde_json::json!({
                                variant: n.trim_end_matches(')').parse::<u64>().unwrap()
                            }),
                            None => serde_json::json!(v),
                        }
                    }
                    s => serde_json::from_str(s).unwrap_or_else(|_| panic!("{sec}.{field}: {s}")),
                };
                let same = match (actual.as_f64(), expected.as_f64()) {
                    (Some(a), Some(e)) => (a - e).abs() < 1e-12,
                    _ => *actual == expected,
                };
                assert!(same, "{sec}.{field}: documented {said}, actual {actual}");
                checked += 1;
                doc.clear();
            } else if line == "}" {
                current = None;
            } else if !line.starts_with("#[") {
                doc.clear();
            }
        }
        assert!(checked >= 20, "only {checked} fields checked");
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases: Vec<(Config, &str)> = vec![
            (Config::default().with_num_perm(0), "sketch.num_perm"),
            (Config::default().with_num_perm(5000), "sketch.num_perm"),
            (
                Config::default().with_shingling(Shingling::Words(0)),
                "sketch.shingling",
            ),
            (
                Config::default().with_copy_thresholds(1.5, 0.8),
                "copies.jaccard",
            ),
            (
                Config::default().with_copy_thresholds(0.5, f64::NAN),
                "copies.containment",
            ),
        ];
        for (config, field) in cases {
            match config.validate() {
                Err(Error::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected InvalidConfig, got {other:?}"),
            }
        }
    }

    #[test]
    fn bands_must_fit_the_signature() {
        let mut c = Config::default();
        c.copies.bands = Some((40, 4));
        assert!(matches!(c.validate(), Err(Error::InvalidConfig { .. })));
        c.copies.bands = Some((32, 4));
        c.validate().unwrap();
    }
}

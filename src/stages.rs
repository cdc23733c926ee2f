//! Stage kernels: the pipeline cut at its shuffles, one pure function per
//! stage, so that any engine (Spark, Ray, a hand-rolled MapReduce) can run it
//! and get exactly what [`Clusterer::cluster`](crate::Clusterer::cluster)
//! gives in one process.
//!
//! Every kernel is deterministic, keeps no state between calls and does no
//! I/O. Documents are named by a global 64-bit id, `doc`, chosen by the
//! driver; **every tie-break uses it**, so a driver must number documents in
//! the byte order of their string ids (their rank among all ids) to
//! reproduce the batch result, which numbers them that way itself.
//!
//! The stages, in data-flow order, and what crosses each shuffle:
//!
//! | # | stage | kernel | grouped by (the shuffle before it) |
//! |---|---|---|---|
//! | 1 | sign: text and date to a sketch | [`Stages::sign`] | none (map) |
//! | 2 | collapse identical texts: the smallest `doc` stands for all | [`first_of_each_text`] | content hash |
//! | 3 | band rows of the documents left | [`Stages::band_rows`] | none (map) |
//! | 4 | bucket pairs over rows sorted by `(band, key, next, doc)` | [`BucketPairer`] | `(band, key)`, sorted |
//! | 5 | verify each distinct pair with both sketches | [`Stages::verify`] | pair, joined with sketches |
//! | 6 | connected components of the verified pairs | [`components`] | (global: union-find or large/small star) |
//! | 7 | copy groups of one component (drift guard) | [`Stages::copy_groups`] | component |
//! | 8 | story features of each copy group's representative | [`Stages::features`] | none (map) |
//! | 9 | document frequency of each feature, and of each `(language, feature)` | (count) | feature |
//! | 10 | weighting and key terms | [`Stages::weigh`], [`Stages::key_terms`] | none (map, with the frequencies) |
//! | 11 | postings and key pairs | [`Stages::postings`], [`Stages::key_pairs`] | `(term, time bucket)` |
//! | 12 | pairs sharing enough key terms, scored; each document's density; the pairs rescaled by it | [`Stages::similarity`], [`Stages::density`], [`Stages::locally_scaled`] | pair (count), joined with vectors; then by document |
//! | 13 | components of pairs at or above the threshold | [`components`] | (global) |
//! | 14 | average linkage of one component | [`Stages::stories`] | component |
//!
//! Then every document takes its copy group's representative (through
//! stage 2 for a collapsed text), every representative its story, and both
//! are named by the smallest string id among their members. The
//! equivalence test (`tests/stages.rs`) drives these kernels over random
//! partitions, in random order, and compares with `Clusterer::cluster`
//! exactly.

use std::collections::hash_map::Entry;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128;

use crate::article::Day;
use crate::config::Config;
use crate::copies::{self, Verdict, Verifier};
use crate::error::{Error, Result};
use crate::hash::Map;
use crate::sketch::{MinHasher, SignScratch, SketchRef, Sketches, FACT_SAMPLE};
use crate::stories::block::{pairs_of_key, Blocking};
use crate::stories::{self, FeatureExtractor, FeatureScratch, TimePrior};
use crate::text::truncate_to_boundary;

pub use crate::lsh::{band_key, next_key, BandRow, BucketPairer, CandidateStats, LshParams};
pub use crate::stories::block::{Posting, UNDATED};
pub use crate::stories::Numbers;

/// One document handed to [`Stages::sign`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Doc<'a> {
    /// The global document id.
    pub doc: u64,
    /// The body text.
    pub text: &'a str,
    /// The date, as given (see [`Day::parse`]).
    pub date: Option<&'a str>,
}

/// What stage 8 finds in one story document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoryFeatures {
    /// `(feature, raw weight)`, sorted by feature.
    pub bag: Vec<(u64, f32)>,
    /// The numbers it states.
    pub numbers: Numbers,
    /// Its language, as a number ([`language_code`] names it): document
    /// frequencies are counted by `(language, feature)` as well as by
    /// feature. A document whose language could not be told has number
    /// `LANGUAGES`, and its features are counted by feature only.
    pub language: u8,
}

/// The ISO 639-1 code of a language number of [`StoryFeatures::language`]
/// (`und` when it could not be told).
pub fn language_code(language: u8) -> &'static str {
    stories::LANGUAGES
        .get(usize::from(language))
        .copied()
        .unwrap_or("und")
}

/// What [`Stages::sign`] makes of a batch of documents, column by column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signed {
    /// The global document ids, in input order.
    pub docs: Vec<u64>,
    /// Their sketches (a document without words has a sketch of zero
    /// shingles: it is compared with nothing).
    pub sketches: Sketches,
    /// xxh3-128 of each text as signed (after the size limit): identical
    /// texts are collapsed before any pair is compared.
    pub content: Vec<u128>,
    /// Each document's day, when its date was readable.
    pub days: Vec<Option<Day>>,
    /// Text length in bytes.
    pub lengths: Vec<u64>,
    /// Documents without words.
    pub empty: usize,
    /// Documents signed on the first [`Limits::max_document_bytes`](crate::Limits) only.
    pub truncated: usize,
    /// Unreadable dates: `(position in the batch, the date as given)`.
    pub bad_dates: Vec<(usize, String)>,
}

impl Signed {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

/// Pieces signed one after another, their documents numbered across them
/// in order: what a [`Batch`](crate::Batch) signs as articles arrive. The
/// pieces stay apart until [`gather`](Self::gather) puts every document in
/// its final order, so each sketch is copied once.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignedParts {
    parts: Vec<Signed>,
    /// The number of documents up to the end of each piece.
    ends: Vec<usize>,
}

impl SignedParts {
    /// Number of documents.
    pub(crate) fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Adds a piece after the others.
    pub(crate) fn push(&mut self, piece: Signed) {
        self.ends.push(self.len() + piece.len());
        self.parts.push(piece);
    }

    /// The number of the first document of piece `p`.
    fn start(&self, p: usize) -> usize {
        p.checked_sub(1).map_or(0, |q| self.ends[q])
    }

    /// The piece holding document `d`, and `d`'s number in it.
    fn locate(&self, d: usize) -> (&Signed, usize) {
        let p = self.ends.partition_point(|&end| end <= d);
        (&self.parts[p], d - self.start(p))
    }

    /// The content hash of document `d`.
    pub(crate) fn content(&self, d: usize) -> u128 {
        let (part, i) = self.locate(d);
        part.content[i]
    }

    /// The sketch of document `d`.
    pub(crate) fn sketch(&self, d: usize) -> SketchRef<'_> {
        let (part, i) = self.locate(d);
        part.sketches.get(i)
    }

    /// Every document, in the order `order` (a permutation of `0..len`):
    /// document `i` of the result is document `order[i]`, positions in
    /// `bad_dates` follow, and `docs` become `0..len`.
    pub(crate) fn gather(self, order: &[u32], num_perm: usize) -> Signed {
        let rows: Vec<(&Signed, usize)> = order.iter().map(|&d| self.locate(d as usize)).collect();
        let sketch_rows: Vec<(&Sketches, usize)> =
            rows.iter().map(|&(part, i)| (&part.sketches, i)).collect();
        let mut rank = vec![0u32; order.len()];
        for (i, &d) in order.iter().enumerate() {
            rank[d as usize] = i as u32;
        }
        let mut bad_dates: Vec<(usize, String)> = Vec::new();
        for (p, part) in self.parts.iter().enumerate() {
            let start = self.start(p);
            bad_dates.extend(
                part.bad_dates
                    .iter()
                    .map(|(d, date)| (rank[start + d] as usize, date.clone())),
            );
        }
        bad_dates.sort_unstable();
        Signed {
            docs: (0..order.len() as u64).collect(),
            sketches: Sketches::gather(num_perm, &sketch_rows),
            content: rows.iter().map(|&(part, i)| part.content[i]).collect(),
            days: rows.iter().map(|&(part, i)| part.days[i]).collect(),
            lengths: rows.iter().map(|&(part, i)| part.lengths[i]).collect(),
            empty: self.parts.iter().map(|p| p.empty).sum(),
            truncated: self.parts.iter().map(|p| p.truncated).sum(),
            bad_dates,
        }
    }
}

/// The stage kernels of one configuration.
///
/// # Example
/// The copy tier of three documents, driven stage by stage in one process
/// as an engine would across many:
/// ```
/// use storyhash::stages::{components, Doc, Stages};
/// use storyhash::Config;
///
/// let stages = Stages::new(&Config::default())?;
/// let wire = "Rescue teams searched through the night for survivors after a strong \
///             earthquake struck the coastal town of Port Elling on Tuesday, officials said.";
/// let copy = format!("By Staff Reporter. {wire} Subscribe for more.");
/// let docs = [
///     Doc { doc: 0, text: wire, date: None },
///     Doc { doc: 1, text: &copy, date: None },
///     Doc { doc: 2, text: "The council approved the budget for parks and libraries.", date: None },
/// ];
/// let signed = stages.sign(&docs)?;
/// let mut rows = Vec::new();
/// stages.band_rows(&signed.docs, &signed.sketches, &mut rows);
/// rows.sort_unstable();
/// let mut pairs = Vec::new();
/// let mut pairer = stages.bucket_pairer();
/// pairer.push(&rows, |a, b| pairs.push((a, b)))?;
/// pairs.sort_unstable();
/// pairs.dedup();
/// let edges: Vec<(u64, u64)> = pairs
///     .into_iter()
///     .filter(|&(a, b)| {
///         let v = stages.verify(signed.sketches.get(a as usize), signed.sketches.get(b as usize));
///         v.score.is_some()
///     })
///     .collect();
/// assert_eq!(edges, [(0, 1)]);
/// assert_eq!(components(&edges), [(0, 0), (1, 0)]);
/// # Ok::<(), storyhash::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Stages {
    config: Config,
    signer: MinHasher,
    lsh: LshParams,
    blocking: Blocking,
    prior: TimePrior,
    features: FeatureExtractor,
}

impl Stages {
    /// The kernels of `config`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn new(config: &Config) -> Result<Self> {
        config.validate()?;
        let s = &config.stories;
        Ok(Stages {
            config: config.clone(),
            signer: MinHasher::with_limits(&config.sketch, &config.limits)?,
            lsh: config.copies.lsh_params(config.sketch.num_perm)?,
            blocking: Blocking::new(s),
            prior: TimePrior::new(s),
            features: FeatureExtractor::new(
                config.sketch.seed,
                s.title_weight as f32,
                s.fact_weight as f32,
            ),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The banding of the copy tier.
    pub fn lsh_params(&self) -> LshParams {
        self.lsh
    }

    /// Stage 1: signs a batch of documents, in parallel.
    ///
    /// # Errors
    /// [`Error::DocumentTooLarge`] (with the position in `docs`) when a text
    /// is over the size limit and the limits say to reject it.
    pub fn sign(&self, docs: &[Doc<'_>]) -> Result<Signed> {
        sign(
            &self.signer,
            self.config.limits.max_document_bytes,
            docs.len(),
            |i| (docs[i].doc, docs[i].text, docs[i].date),
            &(),
            None,
        )
    }

    /// Stage 3: the band rows of `docs` (one per sketch of `sketches`, in
    /// order), appended to `out`. Documents without words get none.
    ///
    /// # Panics
    /// When `docs` and `sketches` differ in length.
    pub fn band_rows(&self, docs: &[u64], sketches: &Sketches, out: &mut Vec<BandRow>) {
        assert_eq!(docs.len(), sketches.len(), "one id per sketch");
        let signed: Vec<usize> = (0..docs.len())
            .filter(|&i| sketches.get(i).shingles > 0)
            .collect();
        let ids: Vec<u64> = signed.iter().map(|&i| docs[i]).collect();
        let k = sketches.num_perm();
        let slots: Vec<u32> = signed
            .iter()
            .flat_map(|&i| sketches.get(i).slots.iter().copied())
            .collect();
        crate::lsh::band_rows(&slots, k, &ids, self.lsh, out);
    }

    /// Stage 4: a pairer for band rows sorted by `(band, key, next, doc)`.
    pub fn bucket_pairer(&self) -> BucketPairer {
        BucketPairer::new(self.config.copies.max_bucket)
    }

    /// Stage 5: whether two documents are copies, and why.
    pub fn verify(&self, a: SketchRef<'_>, b: SketchRef<'_>) -> Verdict {
        Verifier {
            config: &self.config.copies,
        }
        .judge(a, b, 1.0)
    }

    /// Stage 7: the copy groups of one connected component of verified
    /// pairs: `(doc, representative, similarity to it)` for each of
    /// `members`, whose sketches are `sketches` (in the same order); `edges`
    /// are the verified pairs among them.
    ///
    /// # Errors
    /// [`Error::BadBatch`] when a member repeats, the lengths differ, or an
    /// edge names a document that is not a member.
    pub fn copy_groups(
        &self,
        members: &[u64],
        sketches: &Sketches,
        edges: &[(u64, u64)],
    ) -> Result<Vec<(u64, u64, f32)>> {
        let stage = "copy groups";
        let (order, local) = local_numbers(stage, members, sketches.len(), edges)?;
        let verifier = Verifier {
            config: &self.config.copies,
        };
        let sketch = |l: u32| sketches.get(order[l as usize]);
        let adjacency = copies::Adjacency::new(order.len(), &local);
        let all: Vec<u32> = (0..order.len() as u32).collect();
        Ok(copies::group_component(
            &all,
            |l| sketch(l).shingles,
            |l| adjacency.of(l),
            |r, m| verifier.close(sketch(r), sketch(m)),
        )
        .into_iter()
        .map(|a| {
            (
                members[order[a.member as usize]],
                members[order[a.representative as usize]],
                a.score,
            )
        })
        .collect())
    }

    /// Stage 8: the story features of a document (its title and text, each
    /// cut to the size limit).
    pub fn features(&self, title: Option<&str>, text: &str) -> StoryFeatures {
        let limit = self.config.limits.max_document_bytes;
        let mut out = Vec::new();
        let (language, numbers) = self.features.extract_story(
            title.map(|t| truncate_to_boundary(t, limit)),
            truncate_to_boundary(text, limit),
            &mut FeatureScratch::default(),
            &mut out,
        );
        StoryFeatures {
            bag: out,
            numbers,
            language,
        }
    }

    /// Stage 10: a feature bag as a unit TF-IDF vector, from document
    /// frequencies counted over the whole input (stage 9): `df_language(f)`
    /// of the `n_language` story documents of the bag's language carry
    /// feature `f`, `df(f)` of all `n` (see [`StoryFeatures::language`]).
    pub fn weigh(
        &self,
        bag: &[(u64, f32)],
        df_language: impl Fn(u64) -> u32,
        n_language: u64,
        df: impl Fn(u64) -> u32,
        n: u64,
    ) -> Vec<(u64, f32)> {
        stories::weigh(bag, |k| {
            stories::batch_idf(df_language(k), n_language, df(k), n)
        })
    }

    /// Stage 10: the key terms of a vector (its heaviest features), ascending.
    pub fn key_terms(&self, vector: &[(u64, f32)]) -> Vec<u64> {
        stories::top_terms(vector, self.blocking.top_terms())
    }

    /// Stage 11: the postings of a story document with key `terms` and `day`,
    /// appended to `out`. Group them by [`Posting::key`] and run
    /// [`Stages::key_pairs`] on each group.
    pub fn postings(&self, doc: u64, terms: &[u64], day: Option<Day>, out: &mut Vec<Posting>) {
        self.blocking.postings(doc, terms, day, out);
    }

    /// Stage 11: the pairs one key's postings give: every pair with at least one member at home;
    /// whether the key was expanded (a key too common gives nothing).
    pub fn key_pairs(&self, members: &[Posting], emit: impl FnMut(u64, u64)) -> bool {
        pairs_of_key(&self.blocking, members, emit)
    }

    /// Stage 12: how many keys a pair must meet under to be a candidate.
    pub fn min_shared_terms(&self) -> usize {
        self.blocking.min_shared()
    }

    /// Stage 12: the story similarity of two documents from their vectors,
    /// days and numbers: cosine, discounted by the time prior (0 beyond its
    /// horizon) and by conflicting numbers.
    pub fn similarity(
        &self,
        a: (&[(u64, f32)], Option<Day>, &Numbers),
        b: (&[(u64, f32)], Option<Day>, &Numbers),
    ) -> f64 {
        fn side<'a>(x: (&'a [(u64, f32)], Option<Day>, &'a Numbers)) -> stories::Side<'a> {
            stories::Side {
                vector: x.0,
                day: x.1,
                numbers: x.2,
            }
        }
        stories::pair_similarity(
            &self.prior,
            stories::PairRule::new(&self.config.stories),
            side(a),
            side(b),
        )
    }

    /// Stage 12, then: a document's density, from the similarities of all
    /// its scored pairs (reordered): the `density_rank`-th highest.
    pub fn density(&self, sims: &mut [f64]) -> f64 {
        stories::density(sims, self.config.stories.density_rank)
    }

    /// Stage 12, last: a pair's similarity discounted by its two documents'
    /// densities (local scaling, see [`StoryConfig::density_scale`](crate::StoryConfig)).
    pub fn locally_scaled(&self, similarity: f64, density_a: f64, density_b: f64) -> f64 {
        stories::locally_scaled(
            similarity,
            density_a,
            density_b,
            self.config.stories.density_scale,
        )
    }

    /// Stage 13: the story threshold (components are taken over the pairs
    /// at or above it).
    pub fn story_threshold(&self) -> f64 {
        self.config.stories.threshold
    }

    /// Stage 14: average linkage of one component, then each document it
    /// leaves alone joined to the story of its clear strongest link (see
    /// [`StoryConfig::threshold`](crate::StoryConfig)): `(doc, story)` for each
    /// of `members`, a story named by its smallest `doc`. `sims` are the
    /// scored candidate pairs among them (positive similarity only).
    ///
    /// # Errors
    /// [`Error::BadBatch`] when a member repeats or a pair names a document
    /// that is not a member.
    pub fn stories(&self, members: &[u64], sims: &[(u64, u64, f64)]) -> Result<Vec<(u64, u64)>> {
        let pairs: Vec<(u64, u64)> = sims.iter().map(|e| (e.0, e.1)).collect();
        let (order, local) = local_numbers("stories", members, members.len(), &pairs)?;
        let local_sims: Vec<(u32, u32, f64)> = local
            .iter()
            .zip(sims)
            .map(|(&(a, b), e)| (a.min(b), a.max(b), e.2))
            .collect();
        let (labels, _) = stories::link(order.len(), &local_sims, self.story_threshold());
        Ok(labels
            .iter()
            .enumerate()
            .map(|(l, &c)| (members[order[l]], members[order[c as usize]]))
            .collect())
    }
}

/// Positions of the members in ascending id order, and the edges in those
/// local numbers.
type Local = (Vec<usize>, Vec<(u32, u32)>);

/// The [`Local`] numbering of `members` and `edges`.
fn local_numbers(
    stage: &'static str,
    members: &[u64],
    len: usize,
    edges: &[(u64, u64)],
) -> Result<Local> {
    let bad = |reason: String| Error::BadBatch { stage, reason };
    if members.len() != len {
        return Err(bad(format!("{} members but {len} sketches", members.len())));
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_unstable_by_key(|&i| members[i]);
    let sorted: Vec<u64> = order.iter().map(|&i| members[i]).collect();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!("document {} is listed twice", w[0])));
    }
    let local = |d: u64| {
        sorted
            .binary_search(&d)
            .map(|l| l as u32)
            .map_err(|_| bad(format!("pair names document {d}, not a member")))
    };
    let edges = edges
        .iter()
        .map(|&(a, b)| Ok((local(a)?, local(b)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok((order, edges))
}

/// Stage 2: for each document of a signed batch, the document whose text it
/// repeats: the smallest `doc` among those with the same content hash (and
/// words), itself when it is the first. An engine groups by content hash.
///
/// # Example
/// ```
/// use storyhash::stages::first_of_each_text;
/// assert_eq!(first_of_each_text(&[5, 9, 2], &[7, 7, 1], &[3, 3, 3]), [(5, 5), (9, 5), (2, 2)]);
/// ```
pub fn first_of_each_text(docs: &[u64], content: &[u128], shingles: &[u32]) -> Vec<(u64, u64)> {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_unstable_by_key(|&i| docs[i]);
    let mut first: std::collections::HashMap<u128, u64> = std::collections::HashMap::new();
    let mut out = vec![(0, 0); docs.len()];
    for i in order {
        let d = docs[i];
        let f = if shingles[i] > 0 {
            *first.entry(content[i]).or_insert(d)
        } else {
            d
        };
        out[i] = (d, f);
    }
    out
}

/// Stages 6 and 13: connected components of `edges`: `(doc, component)` for
/// every document with an edge, the component named by its smallest
/// document, sorted by document.
///
/// # Example
/// ```
/// use storyhash::stages::components;
/// assert_eq!(components(&[(9, 4), (4, 7), (1, 2)]), [(1, 1), (2, 1), (4, 4), (7, 4), (9, 4)]);
/// ```
pub fn components(edges: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut docs: Vec<u64> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
    docs.par_sort_unstable();
    docs.dedup();
    let local = |d: u64| docs.binary_search(&d).expect("listed") as u32;
    let pairs: Vec<(u32, u32)> = edges.iter().map(|&(a, b)| (local(a), local(b))).collect();
    let mut out = Vec::with_capacity(docs.len());
    for members in copies::components(docs.len(), &pairs) {
        let root = docs[members[0] as usize];
        out.extend(members.iter().map(|&m| (docs[m as usize], root)));
    }
    out.sort_unstable();
    out
}

/// Texts signed before, for [`sign`] to copy a repeat's sketch from
/// instead of signing it again: what they gave, and a document of each
/// text among them by the low 64 bits of its content hash (the full hash
/// is compared: of two texts that share only the low bits, one is found
/// and the other signed each time).
pub(crate) struct Earlier<'a> {
    pub(crate) signed: &'a SignedParts,
    pub(crate) seen: &'a mut Map<u64, u32>,
}

/// Where a document's sketch comes from when its text was signed before.
#[derive(Clone, Copy)]
enum Repeat {
    /// Not a repeat: signed.
    No,
    /// The text of an earlier document of this call.
    Here(u32),
    /// The text of a document of [`Earlier`].
    Earlier(u32),
}

/// Signs `n` documents, `get(i)` giving the `i`-th `(doc, text, date)`,
/// telling `progress` of each one done.
///
/// A text within the size limit that repeats one signed before (in this
/// call, or in `earlier`, which then learns the new texts) is not signed
/// again: signing is a function of the text, so its sketch is copied.
/// Syndicated news repeats whole texts often (wire copy republished as
/// it is).
pub(crate) fn sign<'a>(
    signer: &MinHasher,
    limit: usize,
    n: usize,
    get: impl Fn(usize) -> (u64, &'a str, Option<&'a str>) + Sync,
    progress: &dyn crate::batch::Progress,
    mut earlier: Option<Earlier<'_>>,
) -> Result<Signed> {
    let content: Vec<u128> = (0..n)
        .into_par_iter()
        .map(|i| xxh3_128(truncate_to_boundary(get(i).1, limit).as_bytes()))
        .collect();
    // A text over the limit is not matched: how it is signed (truncated or
    // refused) is its own.
    let mut here: Map<u64, u32> = Map::default();
    let repeat: Vec<Repeat> = (0..n)
        .map(|i| {
            let c = content[i];
            if get(i).1.len() > limit {
                return Repeat::No;
            }
            if let Some(e) = &earlier {
                if let Some(&d) = e.seen.get(&(c as u64)) {
                    if e.signed.content(d as usize) == c {
                        return Repeat::Earlier(d);
                    }
                }
            }
            match here.entry(c as u64) {
                Entry::Occupied(e) if content[*e.get() as usize] == c => Repeat::Here(*e.get()),
                Entry::Occupied(_) => Repeat::No,
                Entry::Vacant(e) => {
                    e.insert(i as u32);
                    Repeat::No
                }
            }
        })
        .collect();
    let mut sketches = Sketches::zeroed(signer.num_perm(), n);
    type Row = (Vec<u64>, Result<Option<Day>, String>, u8);
    // 0: signed, 1: signed after truncation, 2: empty, 3: a repeat.
    let rows: Vec<Result<Row>> = sketches
        .rows_mut()
        .enumerate()
        .map_init(
            SignScratch::default,
            |scratch, (i, (slots, count, facts, fact_count))| {
                let (_, text, date) = get(i);
                let day = match date.map(Day::parse).transpose() {
                    Ok(day) => Ok(day),
                    Err(_) => Err(date.unwrap_or_default().to_owned()),
                };
                progress.advance(1);
                if !matches!(repeat[i], Repeat::No) {
                    return Ok((Vec::new(), day, 3));
                }
                match signer.sign_into(text, scratch, slots) {
                    Ok(o) => {
                        *count = o.shingles;
                        let (sample, distinct) = scratch.fact_sample(FACT_SAMPLE);
                        facts[..sample.len()].copy_from_slice(sample);
                        *fact_count = distinct;
                        Ok((o.exact, day, u8::from(o.truncated)))
                    }
                    Err(Error::EmptyDocument { .. }) => Ok((Vec::new(), day, 2)),
                    Err(e) => Err(e.at_index(i)),
                }
            },
        )
        .collect();
    let mut out = Signed {
        docs: (0..n).map(|i| get(i).0).collect(),
        lengths: (0..n).map(|i| get(i).1.len() as u64).collect(),
        ..Signed::default()
    };
    let mut exact: Vec<Vec<u64>> = Vec::with_capacity(n);
    for (i, row) in rows.into_iter().enumerate() {
        let (set, day, status) = row?;
        let (set, status) = match (repeat[i], earlier.as_ref()) {
            (Repeat::Here(d), _) => {
                sketches.copy_row(d as usize, i);
                let set = exact[d as usize].clone();
                (set, 2 * u8::from(sketches.get(i).shingles == 0))
            }
            (Repeat::Earlier(d), Some(e)) => {
                let from = e.signed.sketch(d as usize);
                sketches.set_row(i, from);
                (from.exact.to_vec(), 2 * u8::from(from.shingles == 0))
            }
            _ => (set, status),
        };
        exact.push(set);
        match day {
            Ok(day) => out.days.push(day),
            Err(date) => {
                out.days.push(None);
                out.bad_dates.push((i, date));
            }
        }
        match status {
            1 => out.truncated += 1,
            2 => out.empty += 1,
            _ => {}
        }
    }
    if let Some(e) = earlier.as_mut() {
        let base = e.signed.len() as u32;
        e.seen.extend(here.into_iter().map(|(c, d)| (c, base + d)));
    }
    out.content = content;
    sketches.set_exact(exact);
    out.sketches = sketches;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Limits, SketchConfig};

    /// Texts that repeat: plain, short (an exact set), without words, and
    /// over the size limit (whose repeats are signed again).
    const POOL: [&str; 6] = [
        "Rescue teams searched through the night after the quake struck Port Elling, officials said on Tuesday.",
        "Budget approved by 12 votes.",
        "... --- ...",
        "The council met again on Monday and Mayor Ana Ruiz said the vote would wait.",
        "Budget approved by 12 votes, the Finance Committee said in a statement late on Friday evening.",
        "",
    ];

    fn doc(pick: usize) -> (u64, &'static str, Option<&'static str>) {
        let date = [Some("2024-05-01"), None, Some("not a date")][pick % 3];
        (pick as u64 * 7, POOL[pick % POOL.len()], date)
    }

    proptest::proptest! {
        /// Signing copies a repeated text's sketch instead of signing it
        /// again, within one call and from earlier calls: the same as each
        /// document signed alone.
        #[test]
        fn repeats_are_signed_as_if_alone(
            picks in proptest::collection::vec(0usize..18, 0..24),
            cut in 0usize..24,
            cut2 in 0usize..24,
        ) {
            let limits = Limits { max_document_bytes: 80, ..Limits::default() };
            let signer = MinHasher::with_limits(&SketchConfig::default(), &limits).unwrap();
            let limit = limits.max_document_bytes;
            let docs: Vec<_> = picks.iter().map(|&p| doc(p)).collect();
            let alone = |i: usize| sign(&signer, limit, 1, |_| docs[i], &(), None).unwrap();
            let mut each = SignedParts::default();
            for i in 0..docs.len() {
                each.push(alone(i));
            }
            let in_order: Vec<u32> = (0..docs.len() as u32).collect();
            let expected = each.gather(&in_order, signer.num_perm());
            let whole = sign(&signer, limit, docs.len(), |i| docs[i], &(), None).unwrap();
            proptest::prop_assert_eq!(&Signed { docs: expected.docs.clone(), ..whole }, &expected);
            // In three calls, each copying from those before.
            let mut cuts = [0, cut.min(docs.len()), cut2.min(docs.len()), docs.len()];
            cuts.sort_unstable();
            let mut seen = Map::default();
            let mut pieces = SignedParts::default();
            for piece in cuts.windows(2) {
                let at = |i: usize| docs[piece[0] + i];
                let earlier = Earlier { signed: &pieces, seen: &mut seen };
                let signed = sign(&signer, limit, piece[1] - piece[0], at, &(), Some(earlier)).unwrap();
                pieces.push(signed);
            }
            proptest::prop_assert_eq!(&pieces.gather(&in_order, signer.num_perm()), &expected);
        }
    }
}

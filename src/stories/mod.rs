//! The story tier: every outlet's article about one event, above the copy
//! groups. Stages, in data-flow order:
//!
//! | stage | module | what it does |
//! |---|---|---|
//! | features | [`features`] | content words, names and entity runs, numbers, title |
//! | weighting | [`weight`] | TF-IDF unit vectors, key terms, the time prior |
//! | blocking | [`block`] | candidate pairs sharing key terms within the horizon |
//! | linkage | [`link`](mod@link) | average linkage, one connected component at a time; then each article it leaves alone joins the story of its clear strongest link |

pub(crate) mod block;
mod features;
pub(crate) mod link;
mod stopwords;
pub(crate) mod weight;

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::article::Day;
use crate::config::StoryConfig;
use crate::copies::components;
use crate::hash::Map;

pub use features::Numbers;
pub(crate) use features::{FeatureExtractor, FeatureScratch};
pub(crate) use link::{dot_terms, link, pairs_by_item, Dot, DotTable, Numbered};
pub(crate) use stopwords::LANGUAGES;
use weight::weigh_tagged;
pub(crate) use weight::{
    batch_idf, log_tf, top_terms, weigh, weigh_stream, BatchIdf, TimePrior, Vector,
};

use block::{candidate_pairs, Blocking};

/// One document of the story tier (a copy group's representative).
#[derive(Clone, Copy, Debug)]
pub(crate) struct StoryDoc<'a> {
    pub(crate) title: Option<&'a str>,
    pub(crate) text: &'a str,
    pub(crate) day: Option<Day>,
}

/// Counters of one story clustering run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoryStats {
    /// Documents clustered (one per copy group).
    pub documents: u64,
    /// Candidate pairs from key-term blocking.
    pub candidates: u64,
    /// Candidate pairs with a positive similarity.
    pub linked: u64,
    /// Blocking keys (a term in a time span) too common to expand: a word
    /// every article of the span uses is not evidence of one event.
    pub skipped_terms: u64,
    /// Merges made by the clustering.
    pub merges: u64,
}

/// A story document as the similarity sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Side<'a> {
    pub(crate) vector: &'a [(u64, f32)],
    pub(crate) day: Option<Day>,
    pub(crate) numbers: &'a Numbers,
}

/// The similarity of two story documents: the cosine of their vectors,
/// discounted by how few features carry it (see
/// [`StoryConfig::evidence`](crate::StoryConfig)), by the time prior (0
/// beyond the horizon) and by `rule.penalty` for each kind of conflict in
/// the numbers they state.
pub(crate) fn pair_similarity(prior: &TimePrior, rule: PairRule, a: Side<'_>, b: Side<'_>) -> f64 {
    discounted(prior, rule, (a.day, a.numbers), (b.day, b.numbers), || {
        dot_terms(a.vector, b.vector)
    })
}

/// What discounts a pair's cosine besides time: the share taken off for
/// each kind of conflicting numbers, and the evidence a cosine needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PairRule {
    pub(crate) penalty: f64,
    pub(crate) evidence: f64,
}

impl PairRule {
    pub(crate) fn new(config: &StoryConfig) -> Self {
        PairRule {
            penalty: config.conflict_penalty,
            evidence: config.evidence,
        }
    }
}

/// As [`pair_similarity`], for documents of `(day, numbers)`, the cosine
/// worked out by `cosine` (not called beyond the horizon).
pub(crate) fn discounted(
    prior: &TimePrior,
    rule: PairRule,
    a: (Option<Day>, &Numbers),
    b: (Option<Day>, &Numbers),
    cosine: impl FnOnce() -> Dot,
) -> f64 {
    if let (Some(x), Some(y), Some(h)) = (a.0, b.0, prior.horizon()) {
        if x.days().abs_diff(y.days()) > h {
            return 0.0;
        }
    }
    cosine().evidenced(rule.evidence)
        * prior.between(a.0, b.0)
        * conflict_factor(rule.penalty, a.1.conflicts(b.1))
}

/// What `conflicts` kinds of conflicting numbers leave of a similarity,
/// each taking `penalty` of it.
pub(crate) fn conflict_factor(penalty: f64, conflicts: u32) -> f64 {
    (1.0 - penalty).powi(conflicts as i32)
}

/// Each document's density: the `rank`-th highest similarity among its
/// scored pairs (0 with fewer pairs); `sims` are pairs of `0..n`.
pub(crate) fn densities(n: usize, sims: &[(u32, u32, f64)], rank: usize) -> Vec<f64> {
    if rank == 0 {
        return vec![0.0; n];
    }
    pairs_by_item(n, sims).map_init(Vec::new, |v: &mut Vec<f64>, pairs| {
        v.clear();
        v.extend(pairs.iter().map(|p| p.1));
        density(v, rank)
    })
}

/// The `rank`-th highest of `sims` (reordering them), 0 when there are fewer.
pub(crate) fn density(sims: &mut [f64], rank: usize) -> f64 {
    if rank == 0 || sims.len() < rank {
        return 0.0;
    }
    let (_, kth, _) = sims.select_nth_unstable_by(rank - 1, |x, y| y.total_cmp(x));
    *kth
}

/// A pair's similarity discounted by its documents' densities `da`, `db`:
/// `s * min(1, scale / sqrt(da * db))`.
pub(crate) fn locally_scaled(s: f64, da: f64, db: f64, scale: f64) -> f64 {
    let g = (da * db).sqrt();
    if g > scale {
        s * scale / g
    } else {
        s
    }
}

/// A story document's weighed vector and the numbers it states.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) vector: Vector,
    /// `vector` by the batch's feature numbers (see [`DotTable`]).
    pub(crate) numbered: Numbered,
    pub(crate) numbers: Numbers,
}

/// [`link()`] (average linkage, then leftovers joined) on each connected
/// component of the pairs at or above `threshold` of `sims` (pairs of
/// `0..n`); the label of each document (the smallest document of its
/// cluster) and the number of merges and joins.
pub(crate) fn link_components(
    n: usize,
    sims: &[(u32, u32, f64)],
    threshold: f64,
) -> (Vec<u32>, u64) {
    let strong: Vec<(u32, u32)> = sims
        .iter()
        .filter(|e| e.2 >= threshold)
        .map(|e| (e.0, e.1))
        .collect();
    let parts = components(n, &strong);
    // Each pair goes to the component of its ends (when both are in one),
    // numbered within it: members ascend, so local numbers keep the
    // document order.
    let mut part_of = vec![u32::MAX; n];
    let mut local = vec![0u32; n];
    for (p, members) in parts.iter().enumerate() {
        for (i, &m) in members.iter().enumerate() {
            part_of[m as usize] = p as u32;
            local[m as usize] = i as u32;
        }
    }
    let mut local_sims: Vec<Vec<(u32, u32, f64)>> = vec![Vec::new(); parts.len()];
    for &(a, b, s) in sims {
        let p = part_of[a as usize];
        if p != u32::MAX && p == part_of[b as usize] {
            local_sims[p as usize].push((local[a as usize], local[b as usize], s));
        }
    }
    let results: Vec<(Vec<u32>, u64)> = parts
        .par_iter()
        .zip(local_sims)
        .map(|(members, sims)| link(members.len(), &sims, threshold))
        .collect();
    let mut labels: Vec<u32> = (0..n as u32).collect();
    let mut merges = 0;
    for (members, (local, m)) in parts.iter().zip(results) {
        merges += m;
        for (i, &l) in local.iter().enumerate() {
            labels[members[i] as usize] = members[l as usize];
        }
    }
    (labels, merges)
}

/// The stories of a batch of story documents.
pub(crate) struct Stories {
    /// Each document's story: the smallest document index in it.
    pub(crate) labels: Vec<u32>,
    /// Each document's average similarity to the other documents of its
    /// story (pairs not proposed count as 0); 1 when alone.
    pub(crate) similarity: Vec<f32>,
    pub(crate) stats: StoryStats,
    /// Wall time of each part, in order.
    pub(crate) timings: Timings,
}

/// Wall times of named parts of a stage, in order.
pub(crate) type Timings = Vec<(&'static str, Duration)>;

/// A stopwatch that records the time of each part of a stage as it ends.
pub(crate) struct Laps {
    timings: Timings,
    last: Instant,
}

impl Laps {
    pub(crate) fn start() -> Self {
        Laps {
            timings: Timings::new(),
            last: Instant::now(),
        }
    }

    /// Records the time since the last lap (or the start) under `name`.
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.timings.push((name, now - self.last));
        self.last = now;
    }
}

/// Each document's average similarity to the others with its label.
fn within_similarity(labels: &[u32], sims: &[(u32, u32, f64)]) -> Vec<f32> {
    let mut size = vec![0u32; labels.len()];
    for &l in labels {
        size[l as usize] += 1;
    }
    let mut sum = vec![0f64; labels.len()];
    for &(a, b, s) in sims {
        if labels[a as usize] == labels[b as usize] {
            sum[a as usize] += s;
            sum[b as usize] += s;
        }
    }
    labels
        .iter()
        .zip(sum)
        .map(|(&l, s)| match size[l as usize] {
            1 => 1.0,
            k => (s / f64::from(k - 1)) as f32,
        })
        .collect()
}

/// The candidate pairs the blocking proposes among `profiles` (dated
/// `days`), with their similarity before local scaling, those above 0:
/// `(a, b, similarity)` with `a < b`. Counts the candidates, the pairs kept
/// and the keys too common to expand into `stats`; laps `blocking`. Each
/// profile's vector is let go once its key terms are taken (the pairs are
/// scored by feature number).
pub(crate) fn scored_pairs(
    profiles: &mut [Profile],
    days: &[Option<Day>],
    config: &StoryConfig,
    stats: &mut StoryStats,
    laps: &mut Laps,
) -> Vec<(u32, u32, f64)> {
    let blocking = Blocking::new(config);
    let terms: Vec<Vec<u64>> = profiles
        .par_iter_mut()
        .map(|p| {
            let terms = top_terms(&p.vector, blocking.top_terms());
            // From here on the vector is read by feature number only.
            p.vector = Vector::new();
            terms
        })
        .collect();
    let (pairs, skipped) = candidate_pairs(&blocking, &terms, days);
    stats.skipped_terms = skipped;
    stats.candidates = pairs.len() as u64;
    laps.lap("blocking");
    let prior = TimePrior::new(config);
    let rule = PairRule::new(config);
    let features = profiles
        .par_iter()
        .filter_map(|p| p.numbered.iter().map(|e| e.0 as usize + 1).max())
        .max()
        .unwrap_or(0);
    let side = |x: u32| (days[x as usize], &profiles[x as usize].numbers);
    // Pairs come grouped by their first document: it is held in a table
    // once for all its partners.
    let sims: Vec<(u32, u32, f64)> = pairs
        .par_chunk_by(|x, y| x.0 == y.0)
        .map_init(
            || DotTable::new(features),
            |table, run| {
                let a = run[0].0;
                table.load(&profiles[a as usize].numbered);
                run.iter()
                    .filter_map(|&(x, y)| {
                        let s = discounted(&prior, rule, side(x), side(y), || {
                            table.dot(&profiles[y as usize].numbered)
                        });
                        (s > 0.0).then_some((x, y, s))
                    })
                    .collect::<Vec<_>>()
            },
        )
        .flatten_iter()
        .collect();
    stats.linked = sims.len() as u64;
    sims
}

/// `sims` each discounted by its documents' densities ([`locally_scaled`]).
fn locally_scaled_pairs(
    sims: Vec<(u32, u32, f64)>,
    density: &[f64],
    config: &StoryConfig,
) -> Vec<(u32, u32, f64)> {
    sims.into_iter()
        .map(|(a, b, s)| {
            let scaled = locally_scaled(
                s,
                density[a as usize],
                density[b as usize],
                config.density_scale,
            );
            (a, b, scaled)
        })
        .collect()
}

/// Clusters `docs` (in id order).
pub(crate) fn cluster_stories(docs: &[StoryDoc<'_>], config: &StoryConfig, seed: u64) -> Stories {
    let n = docs.len();
    let mut stats = StoryStats {
        documents: n as u64,
        ..Default::default()
    };
    if n < 2 {
        return Stories {
            labels: (0..n as u32).collect(),
            similarity: vec![1.0; n],
            stats,
            timings: Timings::new(),
        };
    }
    let mut laps = Laps::start();
    let (mut profiles, _) = profiles_named(docs, config, seed, false, &mut laps);
    let days: Vec<Option<Day>> = docs.iter().map(|d| d.day).collect();
    let sims = scored_pairs(&mut profiles, &days, config, &mut stats, &mut laps);
    let density = densities(n, &sims, config.density_rank);
    let sims = locally_scaled_pairs(sims, &density, config);
    laps.lap("similarity");
    let (labels, merges) = link_components(n, &sims, config.threshold);
    stats.merges = merges;
    let similarity = within_similarity(&labels, &sims);
    laps.lap("linkage");
    Stories {
        similarity,
        labels,
        stats,
        timings: laps.timings,
    }
}

/// The unit TF-IDF vectors of `docs` (IDF over `docs` themselves, see
/// [`BatchIdf`]), the numbers each states and its language.
#[cfg(test)]
pub(crate) fn profiles(docs: &[StoryDoc<'_>], config: &StoryConfig, seed: u64) -> Vec<Profile> {
    profiles_named(docs, config, seed, false, &mut Laps::start()).0
}

/// As [`profiles`], and with `names`, the text of each feature (the first
/// met): what a story is labelled and explained with. Laps `features` and
/// `weighting`.
pub(crate) fn profiles_named(
    docs: &[StoryDoc<'_>],
    config: &StoryConfig,
    seed: u64,
    names: bool,
    laps: &mut Laps,
) -> (Vec<Profile>, Map<u64, String>) {
    let fx = FeatureExtractor::new(seed, config.title_weight as f32, config.fact_weight as f32);
    type Bag = (Vector, Numbers, u8, Vec<(u64, Vec<u8>)>);
    let bags: Vec<Bag> = docs
        .par_iter()
        .map_init(
            || (FeatureScratch::default(), Vector::new()),
            |(scratch, out), d| {
                let mut seen: Vec<(u64, Vec<u8>)> = Vec::new();
                let language = fx.extract_named(d.title, d.text, scratch, out, |k, t| {
                    if names {
                        seen.push((k, t.to_vec()));
                    }
                });
                // Occurrences are collected in one buffer per thread; a bag
                // keeps only its distinct features (about half), at their size.
                (out.as_slice().to_vec(), scratch.numbers(), language, seen)
            },
        )
        .collect();
    laps.lap("features");
    let idf = BatchIdf::count(bags.iter().map(|b| (b.2, b.0.as_slice())));
    let mut named: Map<u64, String> = Map::default();
    for (_, _, _, seen) in &bags {
        for (k, t) in seen {
            named
                .entry(*k)
                .or_insert_with(|| String::from_utf8_lossy(t).into_owned());
        }
    }
    let profiles = bags
        .into_par_iter()
        .map(|(mut vector, numbers, language, _)| {
            let numbers_of_features = weigh_tagged(&mut vector, |k| idf.numbered_idf(language, k));
            let numbered = numbers_of_features
                .into_iter()
                .zip(&vector)
                .map(|(i, e)| (i, e.1))
                .collect();
            Profile {
                vector,
                numbered,
                numbers,
            }
        })
        .collect();
    laps.lap("weighting");
    (profiles, named)
}

#[cfg(test)]
mod corpus_tests {
    use super::*;
    use crate::io::{read_input, ReadOptions};
    use std::collections::HashMap;

    /// Share of gold same-story pairs that key-term blocking proposes, on the
    /// labelled corpora in `../shared` (skipped when absent).
    #[test]
    fn candidate_recall_on_labelled_corpora() {
        for (corpus, floor) in [("ecbplus", 0.85), ("allsides_roundups", 0.60)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/corpora")
                .join(corpus)
                .join("docs.jsonl");
            if !path.exists() {
                eprintln!("skipped: {} is not available", path.display());
                continue;
            }
            let (articles, _) = read_input(&path, &ReadOptions::default()).unwrap();
            let gold: Vec<String> = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["story"].to_string())
                .collect();
            let docs: Vec<StoryDoc<'_>> = articles
                .iter()
                .map(|a| StoryDoc {
                    title: a.title.as_deref(),
                    text: &a.text,
                    day: None,
                })
                .collect();
            let config = StoryConfig::default();
            let profiles = profiles(&docs, &config, crate::DEFAULT_SEED);
            let blocking = Blocking::new(&config);
            let terms: Vec<Vec<u64>> = profiles
                .iter()
                .map(|p| top_terms(&p.vector, config.top_terms))
                .collect();
            let (pairs, _) = candidate_pairs(&blocking, &terms, &vec![None; docs.len()]);
            let same = |&(a, b): &(u32, u32)| gold[a as usize] == gold[b as usize];
            let found = pairs.iter().filter(|p| same(p)).count();
            let mut sizes: HashMap<&str, u64> = HashMap::new();
            for g in &gold {
                *sizes.entry(g).or_default() += 1;
            }
            let total: u64 = sizes.values().map(|&c| c * (c - 1) / 2).sum();
            let recall = found as f64 / total as f64;
            eprintln!(
                "{corpus}: {} candidate pairs, {found} of {total} gold pairs (recall {recall:.3})",
                pairs.len()
            );
            assert!(recall >= floor, "{corpus}: candidate recall {recall}");
        }
    }
}

#[cfg(test)]
mod lee_tests {
    use super::*;
    use std::collections::HashMap;

    /// Rank correlation of the story similarity with the human similarity
    /// ratings of Lee et al. (2005), IDF fitted on the Lee background corpus
    /// plus the 50 rated documents (skipped when `../shared` is absent).
    #[test]
    fn similarity_ranks_like_humans_on_lee50() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
        let (Ok(docs50), Ok(background), Ok(pairs)) = (
            std::fs::read_to_string(dir.join("lee50/docs.jsonl")),
            std::fs::read_to_string(dir.join("lee_background/docs.jsonl")),
            std::fs::read_to_string(dir.join("lee50/pairs.tsv")),
        ) else {
            eprintln!("skipped: ../shared/corpora/lee50 is not available");
            return;
        };
        let parse = |s: &str| -> Vec<(String, String)> {
            s.lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    (
                        v["id"].as_str().unwrap().to_owned(),
                        v["text"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let mut all = parse(&docs50);
        let rated = all.len();
        all.extend(parse(&background));
        let docs: Vec<StoryDoc<'_>> = all
            .iter()
            .map(|(_, t)| StoryDoc {
                title: None,
                text: t,
                day: None,
            })
            .collect();
        let vectors: Vec<Vector> = profiles(&docs, &StoryConfig::default(), crate::DEFAULT_SEED)
            .into_iter()
            .map(|p| p.vector)
            .collect();
        let index: HashMap<&str, usize> = all[..rated]
            .iter()
            .enumerate()
            .map(|(i, d)| (d.0.as_str(), i))
            .collect();
        let mut ours = Vec::new();
        let mut human = Vec::new();
        for line in pairs.lines().filter(|l| !l.starts_with("id1")) {
            let f: Vec<&str> = line.split('\t').collect();
            let (a, b) = (index[f[0]], index[f[1]]);
            ours.push(dot_terms(&vectors[a], &vectors[b]).sum);
            human.push(f[2].parse::<f64>().unwrap());
        }
        let rho = spearman(&ours, &human);
        let r = pearson(&ours, &human);
        eprintln!(
            "lee50: correlation with human ratings over {} pairs: Pearson {r:.3}, Spearman {rho:.3}",
            ours.len()
        );
        // Floors a little under the measured values (Pearson 0.60, Spearman
        // 0.30; most pairs are unrelated and tie near 0, which caps the rank
        // correlation): a regression in the features fails here.
        assert!(r > 0.5 && rho > 0.25, "lee50: Pearson {r}, Spearman {rho}");
    }

    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i + 1;
            while j < idx.len() && v[idx[j]] == v[idx[i]] {
                j += 1;
            }
            for &k in &idx[i..j] {
                r[k] = (i + j - 1) as f64 / 2.0;
            }
            i = j;
        }
        r
    }

    fn spearman(a: &[f64], b: &[f64]) -> f64 {
        pearson(&ranks(a), &ranks(b))
    }

    fn pearson(ra: &[f64], rb: &[f64]) -> f64 {
        let n = ra.len() as f64;
        let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
        let cov: f64 = ra.iter().zip(rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }
}

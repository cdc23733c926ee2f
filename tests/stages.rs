//! The contract every engine driver is held to: the stage kernels of
//! `storyhash::stages`, run over random partitions with every shuffle
//! simulated (rows grouped by the stage's key, the groups fed in random
//! order, sorted partitions cut into batches of random sizes so that buckets
//! span batches), give exactly the `(id, copy group, story)` table of
//! `Clusterer::cluster`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use proptest::prelude::*;
use storyhash::stages::{
    components, first_of_each_text, BandRow, Doc, Posting, Signed, Stages, StoryFeatures,
};
use storyhash::{Article, Clusterer, Config, Day};

use common::{generated, sample, shared, Rng};

/// `(id, copy group id, story id)` of every article, sorted by id.
type Table = Vec<(String, String, String)>;

fn batch_table(articles: &[Article], config: &Config) -> Table {
    let result = Clusterer::new(config.clone())
        .unwrap()
        .cluster(articles)
        .unwrap();
    let mut t: Table = (0..articles.len())
        .map(|i| {
            (
                articles[i].id.clone(),
                result.copy_group_of(i).id().to_owned(),
                result.story_of(i).id().to_owned(),
            )
        })
        .collect();
    t.sort();
    t
}

fn shuffle<T>(v: &mut [T], r: &mut Rng) {
    for i in (1..v.len()).rev() {
        v.swap(i, r.below(i as u64 + 1) as usize);
    }
}

/// Rows grouped by `key` (the shuffle), groups in random order, rows in
/// each group in random order.
fn grouped<T, K: Ord>(rows: Vec<T>, key: impl Fn(&T) -> K, r: &mut Rng) -> Vec<Vec<T>> {
    let mut groups: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    let mut groups: Vec<Vec<T>> = groups.into_values().collect();
    for g in &mut groups {
        shuffle(g, r);
    }
    shuffle(&mut groups, r);
    groups
}

/// Where each document's sketch and day live: the join side of stages 5 and 12.
struct Store<'a> {
    signed: &'a [Signed],
    at: HashMap<u64, (usize, usize)>,
}

impl Store<'_> {
    fn sketches(&self, docs: &[u64]) -> storyhash::sketch::Sketches {
        let mut out = storyhash::sketch::Sketches::new(self.signed[0].sketches.num_perm());
        for d in docs {
            let (p, i) = self.at[d];
            out.push(self.signed[p].sketches.get(i));
        }
        out
    }

    fn day(&self, d: u64) -> Option<Day> {
        let (p, i) = self.at[&d];
        self.signed[p].days[i]
    }
}

/// The whole pipeline through the stage kernels, as an engine runs it on
/// `parts` partitions.
fn engine(articles: &[Article], config: &Config, parts: usize, seed: u64) -> Table {
    let stages = Stages::new(config).unwrap();
    let mut r = Rng(seed);
    let n = articles.len();
    // Global ids: each article's rank among the ids (a sort by id).
    let mut by_rank: Vec<usize> = (0..n).collect();
    by_rank.sort_by(|&a, &b| articles[a].id.cmp(&articles[b].id));
    let mut doc_of = vec![0u64; n];
    for (rank, &i) in by_rank.iter().enumerate() {
        doc_of[i] = rank as u64;
    }
    let article = |d: u64| &articles[by_rank[d as usize]];

    // 1. Sign, partition by partition.
    let mut partitions: Vec<Vec<usize>> = vec![Vec::new(); parts];
    let mut input: Vec<usize> = (0..n).collect();
    shuffle(&mut input, &mut r);
    for i in input {
        partitions[r.below(parts as u64) as usize].push(i);
    }
    let signed: Vec<Signed> = partitions
        .iter()
        .map(|p| {
            let docs: Vec<Doc<'_>> = p
                .iter()
                .map(|&i| Doc {
                    doc: doc_of[i],
                    text: &articles[i].text,
                    date: articles[i].date.as_deref(),
                })
                .collect();
            stages.sign(&docs).unwrap()
        })
        .collect();
    let mut at = HashMap::new();
    for (p, s) in signed.iter().enumerate() {
        for (i, &d) in s.docs.iter().enumerate() {
            at.insert(d, (p, i));
        }
    }
    let store = Store {
        signed: &signed,
        at,
    };

    // 2. Identical texts: grouped by content hash, the first stands for all.
    let rows: Vec<(u64, u128, u32)> = signed
        .iter()
        .flat_map(|s| (0..s.len()).map(|i| (s.docs[i], s.content[i], s.sketches.get(i).shingles)))
        .collect();
    let mut first: HashMap<u64, u64> = HashMap::new();
    for group in grouped(rows, |row| row.1, &mut r) {
        let docs: Vec<u64> = group.iter().map(|g| g.0).collect();
        let content: Vec<u128> = group.iter().map(|g| g.1).collect();
        let shingles: Vec<u32> = group.iter().map(|g| g.2).collect();
        first.extend(first_of_each_text(&docs, &content, &shingles));
    }

    // 3. Band rows of the documents left, partition by partition.
    let mut rows: Vec<BandRow> = Vec::new();
    for s in &signed {
        let keep: Vec<usize> = (0..s.len())
            .filter(|&i| first[&s.docs[i]] == s.docs[i])
            .collect();
        let docs: Vec<u64> = keep.iter().map(|&i| s.docs[i]).collect();
        stages.band_rows(&docs, &s.sketches.select(keep.iter().copied()), &mut rows);
    }

    // 4. Range-partitioned by (band, key), sorted, cut into batches.
    rows.sort_unstable();
    let mut cuts: Vec<usize> = (0..parts)
        .map(|_| r.below(rows.len() as u64 + 1) as usize)
        .collect();
    cuts.sort_unstable();
    for c in &mut cuts {
        // A range partitioner keeps one key in one partition.
        while *c > 0
            && *c < rows.len()
            && (rows[*c].band, rows[*c].key) == (rows[*c - 1].band, rows[*c - 1].key)
        {
            *c += 1;
        }
    }
    cuts.push(rows.len());
    let mut ranges = Vec::new();
    let mut start = 0;
    for &c in &cuts {
        let c = c.max(start);
        ranges.push(start..c);
        start = c;
    }
    shuffle(&mut ranges, &mut r);
    let mut pairs: Vec<(u64, u64)> = Vec::new();
    for range in ranges {
        let part = &rows[range];
        let mut pairer = stages.bucket_pairer();
        let mut at = 0;
        while at < part.len() {
            let len = 1 + r.below(64) as usize;
            let end = (at + len).min(part.len());
            pairer
                .push(&part[at..end], |a, b| pairs.push((a, b)))
                .unwrap();
            at = end;
        }
        pairer.finish();
    }
    pairs.sort_unstable();
    pairs.dedup();

    // 5. Each distinct pair verified with both sketches.
    let edges: Vec<(u64, u64)> = pairs
        .into_iter()
        .filter(|&(a, b)| {
            let s = store.sketches(&[a, b]);
            stages.verify(s.get(0), s.get(1)).score.is_some()
        })
        .collect();

    // 6 and 7. Components, then the copy groups of each.
    let component: HashMap<u64, u64> = components(&edges).into_iter().collect();
    let edge_rows: Vec<(u64, u64, u64)> =
        edges.iter().map(|&(a, b)| (component[&a], a, b)).collect();
    let mut representative: HashMap<u64, u64> = HashMap::new();
    let mut members_of: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (&d, &c) in &component {
        members_of.entry(c).or_default().push(d);
    }
    for group in grouped(edge_rows, |e| e.0, &mut r) {
        let c = group[0].0;
        let mut members = members_of[&c].clone();
        shuffle(&mut members, &mut r);
        let edges: Vec<(u64, u64)> = group.iter().map(|e| (e.1, e.2)).collect();
        for (d, rep, _) in stages
            .copy_groups(&members, &store.sketches(&members), &edges)
            .unwrap()
        {
            representative.insert(d, rep);
        }
    }
    let rep_of = |d: u64| {
        let f = first[&d];
        representative.get(&f).copied().unwrap_or(f)
    };

    // 8 to 14. Stories over the representatives.
    let mut reps: Vec<u64> = (0..n as u64).map(rep_of).collect();
    reps.sort_unstable();
    reps.dedup();
    let mut story: HashMap<u64, u64> = reps.iter().map(|&d| (d, d)).collect();
    if config.stories.enabled && reps.len() >= 2 {
        let features: HashMap<u64, StoryFeatures> = reps
            .iter()
            .map(|&d| {
                let a = article(d);
                (d, stages.features(a.title.as_deref(), &a.text))
            })
            .collect();
        // 9. Document frequencies, by feature and by (language, feature):
        // partial counts per partition, summed.
        let mut df: HashMap<u64, u32> = HashMap::new();
        let mut df_lang: HashMap<(u8, u64), u32> = HashMap::new();
        let mut n_lang: HashMap<u8, u64> = HashMap::new();
        for chunk in reps.chunks(1 + reps.len() / parts) {
            let mut partial: HashMap<(u8, u64), u32> = HashMap::new();
            for d in chunk {
                let f = &features[d];
                *n_lang.entry(f.language).or_default() += 1;
                for &(k, _) in &f.bag {
                    *partial.entry((f.language, k)).or_default() += 1;
                }
            }
            for ((lang, k), c) in partial {
                *df.entry(k).or_default() += c;
                *df_lang.entry((lang, k)).or_default() += c;
            }
        }
        // 10. Weights and key terms; 11. postings, grouped by key.
        let total = reps.len() as u64;
        let known = |lang: u8| storyhash::stages::language_code(lang) != "und";
        let vectors: HashMap<u64, Vec<(u64, f32)>> = reps
            .iter()
            .map(|&d| {
                let f = &features[&d];
                let lang = f.language;
                let v = stages.weigh(
                    &f.bag,
                    |k| {
                        if known(lang) {
                            df_lang.get(&(lang, k)).copied().unwrap_or(0)
                        } else {
                            0
                        }
                    },
                    n_lang[&lang],
                    |k| df.get(&k).copied().unwrap_or(0),
                    total,
                );
                (d, v)
            })
            .collect();
        let mut postings: Vec<Posting> = Vec::new();
        for &d in &reps {
            stages.postings(
                d,
                &stages.key_terms(&vectors[&d]),
                store.day(d),
                &mut postings,
            );
        }
        let mut candidates: Vec<(u64, u64)> = Vec::new();
        for group in grouped(postings, |p| p.key(), &mut r) {
            stages.key_pairs(&group, |a, b| candidates.push((a, b)));
        }
        // 12. Pairs meeting under enough keys, scored.
        let mut counts: HashMap<(u64, u64), usize> = HashMap::new();
        for p in candidates {
            *counts.entry(p).or_default() += 1;
        }
        let scored: Vec<(u64, u64, f64)> = counts
            .into_iter()
            .filter(|&(_, c)| c >= stages.min_shared_terms())
            .filter_map(|((a, b), _)| {
                let s = stages.similarity(
                    (&vectors[&a], store.day(a), &features[&a].numbers),
                    (&vectors[&b], store.day(b), &features[&b].numbers),
                );
                (s > 0.0).then_some((a, b, s))
            })
            .collect();
        // Each document's density from its pairs (grouped by document), then
        // every pair rescaled by its two documents' densities.
        let by_doc: Vec<(u64, f64)> = scored
            .iter()
            .flat_map(|&(a, b, s)| [(a, s), (b, s)])
            .collect();
        let density: HashMap<u64, f64> = grouped(by_doc, |e| e.0, &mut r)
            .into_iter()
            .map(|g| {
                let mut sims: Vec<f64> = g.iter().map(|e| e.1).collect();
                (g[0].0, stages.density(&mut sims))
            })
            .collect();
        let sims: Vec<(u64, u64, f64)> = scored
            .into_iter()
            .map(|(a, b, s)| (a, b, stages.locally_scaled(s, density[&a], density[&b])))
            .collect();
        // 13. Components of the strong pairs; 14. average linkage in each.
        let strong: Vec<(u64, u64)> = sims
            .iter()
            .filter(|e| e.2 >= stages.story_threshold())
            .map(|e| (e.0, e.1))
            .collect();
        let part_of: HashMap<u64, u64> = components(&strong).into_iter().collect();
        let inside: Vec<(u64, u64, u64, f64)> = sims
            .iter()
            .filter_map(|&(a, b, s)| {
                let (pa, pb) = (part_of.get(&a)?, part_of.get(&b)?);
                (pa == pb).then_some((*pa, a, b, s))
            })
            .collect();
        let mut members_of: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (&d, &c) in &part_of {
            members_of.entry(c).or_default().push(d);
        }
        for group in grouped(inside, |e| e.0, &mut r) {
            let mut members = members_of[&group[0].0].clone();
            shuffle(&mut members, &mut r);
            let sims: Vec<(u64, u64, f64)> = group.iter().map(|e| (e.1, e.2, e.3)).collect();
            for (d, s) in stages.stories(&members, &sims).unwrap() {
                story.insert(d, s);
            }
        }
    }

    // Names: the smallest id among each group's and each story's members.
    let mut copy_name: HashMap<u64, &str> = HashMap::new();
    let mut story_name: HashMap<u64, &str> = HashMap::new();
    for d in 0..n as u64 {
        let rep = rep_of(d);
        let id = article(d).id.as_str();
        let c = copy_name.entry(rep).or_insert(id);
        *c = (*c).min(id);
        let s = story_name.entry(story[&rep]).or_insert(id);
        *s = (*s).min(id);
    }
    let mut t: Table = (0..n as u64)
        .map(|d| {
            let rep = rep_of(d);
            (
                article(d).id.clone(),
                copy_name[&rep].to_owned(),
                story_name[&story[&rep]].to_owned(),
            )
        })
        .collect();
    t.sort();
    t
}

/// The corpora the contract is checked on, with their batch tables.
fn corpora() -> &'static [(String, Vec<Article>, Table)] {
    static CORPORA: OnceLock<Vec<(String, Vec<Article>, Table)>> = OnceLock::new();
    CORPORA.get_or_init(|| {
        let mut out: Vec<(String, Vec<Article>)> = vec![
            ("sample".into(), sample().0),
            ("generated 5k, 10% templated".into(), generated(5, 5000, 10)),
        ];
        for corpus in ["ecbplus", "allsides_roundups"] {
            if let Some(p) = shared(&format!("corpora/{corpus}/docs.jsonl")) {
                out.push((
                    corpus.into(),
                    storyhash::io::read_input(&p, &Default::default())
                        .unwrap()
                        .0,
                ));
            }
        }
        out.into_iter()
            .map(|(name, a)| {
                let t = batch_table(&a, &Config::default());
                (name, a, t)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn kernels_over_partitions_give_the_batch_table(
        corpus in 0usize..5,
        parts in 1usize..16,
        seed in any::<u64>(),
    ) {
        let all = corpora();
        let (name, articles, expected) = &all[corpus % all.len()];
        let got = engine(articles, &Config::default(), parts, seed);
        let wrong: Vec<_> = got.iter().zip(expected).filter(|(g, e)| g != e).take(5).collect();
        prop_assert!(wrong.is_empty(), "{}, {} partitions, seed {}: {:?}", name, parts, seed, wrong);
    }
}

#[test]
fn every_corpus_at_one_and_fifteen_partitions() {
    for (name, articles, expected) in corpora() {
        for parts in [1, 15] {
            let got = engine(articles, &Config::default(), parts, 7);
            assert!(got == *expected, "{name} at {parts} partitions");
        }
    }
}

#[test]
fn without_stories_too() {
    let articles = generated(11, 1500, 5);
    let mut config = Config::default();
    config.stories.enabled = false;
    let expected = batch_table(&articles, &config);
    assert_eq!(engine(&articles, &config, 4, 3), expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The same articles in any order give the same table.
    #[test]
    fn input_order_does_not_matter(seed in any::<u64>(), n in 1usize..400) {
        let mut articles = generated(seed, n, 4);
        let expected = batch_table(&articles, &Config::default());
        shuffle(&mut articles, &mut Rng(seed ^ 1));
        prop_assert_eq!(batch_table(&articles, &Config::default()), expected);
    }
}

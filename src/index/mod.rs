//! An incremental copy index: insert and remove articles one at a time or in
//! batches, and ask which indexed articles a text is a copy of. Its snapshot
//! format lives in [`format`].

mod format;
mod ids;

use std::collections::HashMap;

use rayon::prelude::*;

use crate::article::Article;
use crate::config::Config;
use crate::copies::{Verdict, Verifier};
use crate::error::{Error, Result};
use crate::lsh::{BandTables, LshParams};
use crate::sketch::{MinHasher, SignScratch, Sketch, SketchRef, Sketches};

pub(crate) use format::{read_body, write_body, Owned, Parts};
use ids::IdMap;

/// An indexed article similar to a query.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// The indexed article's id.
    pub id: String,
    /// Estimated Jaccard similarity of the two shingle sets.
    pub jaccard: f64,
    /// Estimated containment of the smaller document in the larger.
    pub containment: f64,
    /// Estimated share of the facts (names, numbers) of the document with
    /// fewer of them found in the other; `None` when too few to judge.
    pub facts: Option<f64>,
    /// Whether the pair passes the copy tier's verification.
    pub is_copy: bool,
}

/// An index of article sketches for incremental near-duplicate search.
///
/// It uses the copy tier's configuration (signatures, banding, verification)
/// so that a query answers "which indexed articles would the batch
/// [`Clusterer`](crate::Clusterer) call copies of this text?".
///
/// # Example
/// ```
/// use storyhash::{Article, Config, CopyIndex};
/// let mut index = CopyIndex::new(&Config::default())?;
/// let wire = "Firefighters in Lanmore battled a blaze at the old Corran textile mill \
///             for six hours on Sunday before bringing it under control, the county fire service said.";
/// index.insert(&Article::new("wire-1", wire))?;
/// index.insert(&Article::new("other", "Parliament passed the revised farm subsidy bill by 212 votes to 190."))?;
/// let hits = index.query(&format!("LANMORE (Staff) - {wire} More to follow."), 5)?;
/// assert_eq!(hits[0].id, "wire-1");
/// assert!(hits[0].is_copy);
/// index.remove("wire-1")?;
/// assert!(index.query(wire, 5)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CopyIndex {
    config: Config,
    signer: MinHasher,
    lsh: LshParams,
    sketches: Sketches,
    ids: Vec<String>,
    live: Vec<bool>,
    by_id: IdMap,
    tables: BandTables,
}

impl CopyIndex {
    /// An empty index for `config`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn new(config: &Config) -> Result<Self> {
        config.validate()?;
        let signer = MinHasher::with_limits(&config.sketch, &config.limits)?;
        let lsh = config.copies.lsh_params(config.sketch.num_perm)?;
        Ok(CopyIndex {
            config: config.clone(),
            sketches: Sketches::new(signer.num_perm()),
            signer,
            lsh,
            ids: Vec::new(),
            live: Vec::new(),
            by_id: IdMap::default(),
            tables: BandTables::new(lsh),
        })
    }

    /// The configuration the index was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            config: &self.config,
            sketches: &self.sketches,
            live: &self.live,
            ids: &self.ids,
        }
    }

    pub(crate) fn from_parts(p: Owned) -> Result<Self> {
        let mut index = CopyIndex::new(&p.config)?;
        index.sketches = p.sketches;
        index.ids = p.ids;
        index.live = p.live;
        index.build_lookups()?;
        Ok(index)
    }

    /// Keeps documents `kept` (ascending), numbered from 0 in that order;
    /// the live ones among them stay indexed.
    pub(crate) fn retain(&mut self, kept: &[u32]) {
        self.sketches = self.sketches.select(kept.iter().map(|&d| d as usize));
        self.ids = kept
            .iter()
            .map(|&d| std::mem::take(&mut self.ids[d as usize]))
            .collect();
        self.live = kept.iter().map(|&d| self.live[d as usize]).collect();
        self.build_lookups()
            .expect("live ids of an index are distinct");
    }

    /// The id map and the band tables of the live documents.
    fn build_lookups(&mut self) -> Result<()> {
        let live_docs = live_docs(&self.live);
        let ids = &self.ids;
        // The id map (one thread) and the band tables (the others) are
        // independent: build them side by side.
        let (by_id, tables) = rayon::join(
            || {
                let mut by_id = IdMap::with_capacity(live_docs.len());
                for &d in &live_docs {
                    if by_id.insert(ids, d).is_some() {
                        let id = &ids[d as usize];
                        return Err(Error::CorruptSnapshot(format!("id {id:?} is live twice")));
                    }
                }
                Ok(by_id)
            },
            || {
                BandTables::build(
                    self.sketches.slots(),
                    self.sketches.num_perm(),
                    &live_docs,
                    self.lsh,
                )
            },
        );
        self.by_id = by_id?;
        self.tables = tables;
        Ok(())
    }

    /// Number of articles in the index.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when the index holds no article.
    pub fn is_empty(&self) -> bool {
        self.by_id.len() == 0
    }

    /// Whether an article with this id is indexed.
    pub fn contains(&self, id: &str) -> bool {
        self.doc(id).is_some()
    }

    pub(crate) fn sketch(&self, text: &str, scratch: &mut SignScratch) -> Result<Sketch> {
        Ok(self.signer.sketch(text, scratch)?.0)
    }

    /// Adds a sketch under a new id; returns its document number.
    pub(crate) fn add(&mut self, id: String, s: &Sketch) -> u32 {
        let d = self.push(id, s);
        self.tables.insert(&s.slots, self.lsh, d);
        d
    }

    /// Adds a sketch under a new id without banding it.
    fn push(&mut self, id: String, s: &Sketch) -> u32 {
        let d = self.sketches.push(s.as_ref()) as u32;
        self.ids.push(id);
        self.live.push(true);
        self.by_id.insert(&self.ids, d);
        d
    }

    /// The document number of a live id.
    pub(crate) fn doc(&self, id: &str) -> Option<u32> {
        self.by_id.get(&self.ids, id)
    }

    /// The id of a document number (live or removed).
    pub(crate) fn id(&self, d: u32) -> &str {
        &self.ids[d as usize]
    }

    /// Whether a document number is still indexed.
    pub(crate) fn is_live(&self, d: u32) -> bool {
        self.live[d as usize]
    }

    /// The sketch of a document number (kept after removal).
    pub(crate) fn sketch_of(&self, d: u32) -> SketchRef<'_> {
        self.sketches.get(d as usize)
    }

    /// Document numbers ever added, removed ones included.
    pub(crate) fn docs_ever(&self) -> usize {
        self.ids.len()
    }

    /// The verifier of the copy tier.
    pub(crate) fn verifier(&self) -> Verifier<'_> {
        Verifier {
            config: &self.config.copies,
        }
    }

    /// Live documents sharing a band with `s` that verify as its copies,
    /// with their scores, by document number.
    pub(crate) fn copies_of(&self, s: &Sketch) -> Vec<(u32, f32)> {
        self.judged(s)
            .filter_map(|(d, v)| v.score.map(|x| (d, x)))
            .collect()
    }

    /// Every live document sharing a band with `s`, with its verdict.
    fn judged<'a>(&'a self, s: &'a Sketch) -> impl Iterator<Item = (u32, Verdict)> + 'a {
        let verifier = self.verifier();
        self.tables
            .candidates(&s.slots, self.lsh)
            .into_iter()
            .filter(|&d| self.live[d as usize])
            .map(move |d| (d, verifier.judge(s.as_ref(), self.sketch_of(d), 1.0)))
    }

    /// Removes a live document by number.
    pub(crate) fn remove_doc(&mut self, d: u32) {
        if !self.live[d as usize] {
            return;
        }
        self.by_id.remove(&self.ids, &self.ids[d as usize]);
        self.tables
            .remove(self.sketches.get(d as usize).slots, self.lsh, d);
        self.live[d as usize] = false;
    }

    /// Adds one article.
    ///
    /// # Errors
    /// [`Error::DuplicateId`] when the id is already indexed (nothing changes);
    /// [`Error::EmptyDocument`] or [`Error::DocumentTooLarge`] as for signing.
    pub fn insert(&mut self, article: &Article) -> Result<()> {
        if let Some(d) = self.doc(&article.id) {
            return Err(Error::DuplicateId {
                id: article.id.clone(),
                first: d as usize,
                second: self.ids.len(),
            });
        }
        let s = self.sketch(&article.text, &mut SignScratch::default())?;
        self.add(article.id.clone(), &s);
        Ok(())
    }

    /// Adds many articles, signing them in parallel. All or nothing: when any
    /// article is refused, none is added and the error names the first one.
    ///
    /// # Errors
    /// As [`insert`](Self::insert), with the position in `articles`.
    pub fn insert_batch(&mut self, articles: &[Article]) -> Result<()> {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(articles.len());
        for (i, a) in articles.iter().enumerate() {
            if let Some(d) = self.doc(&a.id) {
                return Err(Error::DuplicateId {
                    id: a.id.clone(),
                    first: d as usize,
                    second: i,
                });
            }
            if let Some(first) = seen.insert(&a.id, i) {
                return Err(Error::DuplicateId {
                    id: a.id.clone(),
                    first,
                    second: i,
                });
            }
        }
        let sketches: Vec<Result<Sketch>> = articles
            .par_iter()
            .enumerate()
            .map_init(SignScratch::default, |scratch, (i, a)| {
                self.sketch(&a.text, scratch).map_err(|e| e.at_index(i))
            })
            .collect();
        let sketches: Vec<Sketch> = sketches.into_iter().collect::<Result<_>>()?;
        // A batch larger than the index: rebuild the band tables in one
        // linear pass rather than update them article by article.
        let rebuild = articles.len() > self.len();
        for (a, s) in articles.iter().zip(sketches) {
            if rebuild {
                self.push(a.id.clone(), &s);
            } else {
                self.add(a.id.clone(), &s);
            }
        }
        if rebuild {
            let docs = live_docs(&self.live);
            self.tables = BandTables::build(
                self.sketches.slots(),
                self.sketches.num_perm(),
                &docs,
                self.lsh,
            );
        }
        Ok(())
    }

    /// Removes an article.
    ///
    /// # Errors
    /// [`Error::UnknownId`] when no article has this id.
    pub fn remove(&mut self, id: &str) -> Result<()> {
        let d = self
            .doc(id)
            .ok_or_else(|| Error::UnknownId(id.to_owned()))?;
        self.remove_doc(d);
        Ok(())
    }

    /// The indexed articles that share a band with `text`, best first: copies
    /// before non-copies, then by decreasing similarity (the larger of Jaccard
    /// and containment), then by id. At most `top_k` are returned.
    ///
    /// # Errors
    /// As for signing `text`.
    pub fn query(&self, text: &str, top_k: usize) -> Result<Vec<Match>> {
        let q = self.sketch(text, &mut SignScratch::default())?;
        let mut out: Vec<Match> = self
            .judged(&q)
            .map(|(d, v)| Match {
                id: self.ids[d as usize].clone(),
                jaccard: v.jaccard,
                containment: v.containment,
                facts: v.facts,
                is_copy: v.score.is_some(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.is_copy
                .cmp(&a.is_copy)
                .then(
                    b.jaccard
                        .max(b.containment)
                        .total_cmp(&a.jaccard.max(a.containment)),
                )
                .then(a.id.cmp(&b.id))
        });
        out.truncate(top_k);
        Ok(out)
    }
}

/// The numbers of the live documents, ascending.
fn live_docs(live: &[bool]) -> Vec<u32> {
    (0..live.len() as u32)
        .filter(|&d| live[d as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded word generator for test texts.
    fn text(seed: u64, words: usize) -> String {
        let mut x = seed;
        (0..words)
            .map(|_| {
                x = crate::hash::mix64(x.wrapping_add(1));
                format!("w{}", x % 5000)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn batch_insert_is_atomic() {
        let mut idx = CopyIndex::new(&Config::default()).unwrap();
        let batch = vec![
            Article::new("a", text(1, 100)),
            Article::new("b", ""),
            Article::new("c", text(3, 100)),
        ];
        assert!(matches!(
            idx.insert_batch(&batch),
            Err(Error::EmptyDocument { index: Some(1) })
        ));
        assert!(idx.is_empty());
        let dup = vec![
            Article::new("a", text(1, 100)),
            Article::new("a", text(2, 100)),
        ];
        assert!(matches!(
            idx.insert_batch(&dup),
            Err(Error::DuplicateId { .. })
        ));
        assert!(idx.is_empty());
    }

    #[test]
    fn random_operations_match_a_model() {
        // Replay a seeded sequence of inserts, removes and queries against a
        // plain model: the set of live ids, and exact copies that must be found.
        let mut idx = CopyIndex::new(&Config::default()).unwrap();
        let mut model: HashMap<String, u64> = HashMap::new();
        let mut x = 7u64;
        for step in 0..400 {
            x = crate::hash::mix64(x);
            let seed = x % 60;
            let id = format!("doc{seed}");
            match x % 3 {
                0 | 1 => {
                    let r = idx.insert(&Article::new(id.clone(), text(seed, 80)));
                    if let std::collections::hash_map::Entry::Vacant(e) = model.entry(id) {
                        r.unwrap();
                        e.insert(seed);
                    } else {
                        assert!(matches!(r, Err(Error::DuplicateId { .. })), "step {step}");
                    }
                }
                _ => {
                    let r = idx.remove(&id);
                    assert_eq!(r.is_ok(), model.remove(&id).is_some(), "step {step}");
                }
            }
            assert_eq!(idx.len(), model.len());
            let probe = x % 60;
            let hits = idx.query(&text(probe, 80), 3).unwrap();
            let expected = model.contains_key(&format!("doc{probe}"));
            assert_eq!(
                hits.first().map(|m| m.id.clone()),
                expected.then(|| format!("doc{probe}")),
                "step {step}"
            );
        }
    }
}

//! The copy tier: verified candidate pairs joined into copy groups without
//! chaining drift.
//!
//! Every candidate pair from the band index is verified on its sketches: it
//! is an edge when the Jaccard similarity reaches [`CopyConfig::jaccard`], or
//! when the containment of the smaller document in the larger reaches
//! [`CopyConfig::containment`] and the smaller one is long enough for
//! containment to mean something; and, in both cases, when their facts
//! (names, numbers) agree.
//!
//! Joining edges by connected components alone lets a chain A ~ B ~ C ~ ...
//! drift from one article to an unrelated one. Instead, within each connected
//! component ([`group_component`]), documents are visited longest first (the
//! most complete version is the best representative: truncated copies are
//! contained in it; ties go to the smaller document id) and each joins the
//! group of the best-scoring *representative* it verifies against directly,
//! or starts a group of its own. Only representatives reachable through the
//! document's own edges are tried, so the cost stays proportional to the
//! edges.
//!
//! Identical texts are collapsed before any pair is looked at: the first of
//! them (smallest id) stands for all, and the others join its group at the
//! end with its score. A flood of one text copied ten thousand times costs a
//! sort, not fifty million verifications.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::CopyConfig;
use crate::lsh::{candidate_edges, CandidateStats, Edge, LshParams};
use crate::sketch::{SketchRef, Sketches};

/// Decides whether a pair of documents are copies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Verifier<'a> {
    pub(crate) config: &'a CopyConfig,
}

/// The outcome of verifying one pair of documents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Jaccard similarity of the shingle sets (exact for two short
    /// documents, estimated otherwise).
    pub jaccard: f64,
    /// Containment of the smaller document's shingles in the larger's.
    pub containment: f64,
    /// Share of the facts of the document with fewer of them found in the
    /// other; `None` when too few to judge.
    pub facts: Option<f64>,
    /// The similarity that decided, when the pair passes.
    pub score: Option<f32>,
    /// Why the pair passed or failed.
    pub rule: Rule,
}

/// Which part of the copy test decided a [`Verdict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Rule {
    /// Passed on Jaccard similarity, facts agreeing or too few to judge.
    Jaccard,
    /// Passed on containment (a truncated or wrapped copy), facts agreeing
    /// or too few to judge.
    Containment,
    /// Shared wording, but the facts disagree: a templated report about
    /// another event.
    FactsDisagree,
    /// Not enough shared wording.
    TooDifferent,
}

/// Why a document is in its copy group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Basis {
    /// It is the group's representative (its longest version).
    Representative,
    /// Its text is identical to another member's.
    Identical,
    /// Its Jaccard similarity to the representative passed.
    Jaccard,
    /// Its containment in (or of) the representative passed: a truncated or
    /// wrapped version.
    Containment,
    /// Its SimHash fingerprint is near the representative's.
    Fingerprint,
}

impl Basis {
    /// A short label: `representative`, `identical`, `jaccard`, `containment`, `simhash`.
    pub fn label(self) -> &'static str {
        match self {
            Basis::Representative => "representative",
            Basis::Identical => "identical",
            Basis::Jaccard => "jaccard",
            Basis::Containment => "containment",
            Basis::Fingerprint => "simhash",
        }
    }
}

impl Verifier<'_> {
    /// The pair's similarity when it passes, `None` otherwise.
    pub(crate) fn score(&self, a: SketchRef<'_>, b: SketchRef<'_>) -> Option<f32> {
        self.judge(a, b, 1.0).score
    }

    /// Whether a member stays close enough to its group's representative:
    /// the same test with every threshold scaled by [`CopyConfig::drift`];
    /// the similarity and the part of the test that passed.
    pub(crate) fn close(&self, rep: SketchRef<'_>, m: SketchRef<'_>) -> Option<(f32, Basis)> {
        let v = self.judge(rep, m, self.config.drift);
        let basis = match v.rule {
            Rule::Containment => Basis::Containment,
            _ => Basis::Jaccard,
        };
        v.score.map(|s| (s, basis))
    }

    /// The copy test with every threshold scaled by `scale`.
    pub(crate) fn judge(&self, a: SketchRef<'_>, b: SketchRef<'_>, scale: f64) -> Verdict {
        let cfg = self.config;
        let (j, c) = a.similarity(&b);
        let (j, c) = (j.value, c.value);
        let facts = a.facts_with(&b, cfg.min_facts);
        let small = a.shingles.min(b.shingles);
        let wording = if j >= cfg.jaccard * scale {
            Some((j, Rule::Jaccard))
        } else if small >= cfg.min_containment_shingles && c >= cfg.containment * scale {
            Some((c, Rule::Containment))
        } else {
            None
        };
        // Shared wording is not enough: copies keep their names and numbers,
        // templated reports about different events do not.
        let (score, rule) = match wording {
            Some((x, rule)) if facts_hold(cfg, facts, scale) => (Some(x as f32), rule),
            Some(_) => (None, Rule::FactsDisagree),
            None => (None, Rule::TooDifferent),
        };
        Verdict {
            jaccard: j,
            containment: c,
            facts,
            score,
            rule,
        }
    }
}

/// The fact test of both copy paths: passes when the facts cannot be judged
/// or when at least `facts * scale` of them agree.
fn facts_hold(config: &CopyConfig, facts: Option<f64>, scale: f64) -> bool {
    facts.map_or(true, |f| f >= config.facts * scale)
}

/// Copy groups of a batch: for each document, its group's representative.
#[derive(Clone, Debug)]
pub(crate) struct CopyGroups {
    /// Representative of each document (itself for a representative).
    pub(crate) representative: Vec<u32>,
    /// Similarity of each document to its representative (1 for itself).
    pub(crate) score: Vec<f32>,
    /// Why each document is in its group.
    pub(crate) basis: Vec<Basis>,
    pub(crate) stats: CandidateStats,
    /// Documents whose text repeats an earlier document's exactly.
    pub(crate) duplicates: u64,
}

/// For each document, the first document (by number) with the same
/// `content` hash among those with words, itself when it is the first.
/// Documents without words (`shingles == 0`) stand alone.
pub(crate) fn first_of_identical(content: &[u128], shingles: &[u32]) -> Vec<u32> {
    let mut order: Vec<(u128, u32)> = (0..content.len() as u32)
        .filter(|&d| shingles[d as usize] > 0)
        .map(|d| (content[d as usize], d))
        .collect();
    order.par_sort_unstable();
    let mut first: Vec<u32> = (0..content.len() as u32).collect();
    for run in order.chunk_by(|x, y| x.0 == y.0) {
        for &(_, d) in &run[1..] {
            first[d as usize] = run[0].1;
        }
    }
    first
}

/// Finds, verifies and groups the copies among the documents that have a
/// signature; `content` is each document's text hash (identical texts are
/// collapsed first), and document numbers are in id order (ties go to the
/// smaller number).
pub(crate) fn find_copy_groups(
    sketches: &Sketches,
    content: &[u128],
    params: LshParams,
    config: &CopyConfig,
) -> CopyGroups {
    let verifier = Verifier { config };
    let first = first_of_identical(content, sketches.shingle_counts());
    let docs: Vec<u32> = (0..sketches.len() as u32)
        .filter(|&d| sketches.get(d as usize).shingles > 0 && first[d as usize] == d)
        .collect();
    let (edges, stats) = candidate_edges(
        sketches.slots(),
        sketches.num_perm(),
        &docs,
        params,
        config.max_bucket,
        |a, b| verifier.score(sketches.get(a as usize), sketches.get(b as usize)),
    );
    let (mut representative, mut score, mut basis) =
        group_without_chaining(sketches.len(), &edges, sketches.shingle_counts(), |a, b| {
            verifier.close(sketches.get(a as usize), sketches.get(b as usize))
        });
    let mut duplicates = 0;
    for (d, &f) in first.iter().enumerate() {
        if f as usize != d {
            representative[d] = representative[f as usize];
            score[d] = score[f as usize];
            basis[d] = Basis::Identical;
            duplicates += 1;
        }
    }
    CopyGroups {
        representative,
        score,
        basis,
        stats,
        duplicates,
    }
}

/// Copy groups by SimHash: pairs within `max_distance` bits whose facts
/// agree, grouped like the MinHash path (members within twice the distance of
/// their representative). `fingerprints[d]` is `None` for a document without
/// words; `facts` holds the fact samples (`sizes` the shingle counts).
pub(crate) fn find_copy_groups_simhash(
    fingerprints: &[Option<u64>],
    facts: &Sketches,
    max_distance: u32,
    config: &CopyConfig,
) -> CopyGroups {
    // Documents without words get a fingerprint no real one is near.
    let fps: Vec<u64> = fingerprints.iter().map(|f| f.unwrap_or(0)).collect();
    let facts_ok = |a: u32, b: u32, scale: f64| {
        let fa = facts
            .get(a as usize)
            .facts_with(&facts.get(b as usize), config.min_facts);
        facts_hold(config, fa, scale)
    };
    let pairs = crate::lsh::pairs_within(&fps, max_distance).unwrap_or_default();
    let mut stats = CandidateStats {
        candidates: pairs.len() as u64,
        ..Default::default()
    };
    let edges: Vec<Edge> = pairs
        .into_iter()
        .filter(|&(a, b, _)| {
            fingerprints[a as usize].is_some() && fingerprints[b as usize].is_some()
        })
        .filter(|&(a, b, _)| facts_ok(a, b, 1.0))
        .map(|(a, b, d)| (a, b, crate::sketch::similarity_of_distance(d) as f32))
        .collect();
    stats.verified = edges.len() as u64;
    let loose = (2 * max_distance).min(64);
    let (representative, score, basis) =
        group_without_chaining(fps.len(), &edges, facts.shingle_counts(), |a, b| {
            let d = (fps[a as usize] ^ fps[b as usize]).count_ones();
            (d <= loose && facts_ok(a, b, config.drift)).then(|| {
                (
                    crate::sketch::similarity_of_distance(d) as f32,
                    Basis::Fingerprint,
                )
            })
        });
    CopyGroups {
        representative,
        score,
        basis,
        stats,
        duplicates: 0,
    }
}

/// The connected components of `edges` over documents `0..n` that have at
/// least one edge, each as its members in ascending order; components in
/// the order of their smallest member.
pub(crate) fn components(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(n);
    let mut linked = vec![false; n];
    for &(a, b) in edges {
        uf.union(a, b);
        linked[a as usize] = true;
        linked[b as usize] = true;
    }
    let mut components: Vec<Vec<u32>> = Vec::new();
    let mut slot_of_root = vec![u32::MAX; n];
    for d in (0..n as u32).filter(|&d| linked[d as usize]) {
        let root = uf.find(d) as usize;
        if slot_of_root[root] == u32::MAX {
            slot_of_root[root] = components.len() as u32;
            components.push(Vec::new());
        }
        components[slot_of_root[root] as usize].push(d);
    }
    components
}

/// Leader clustering inside each connected component of `edges`, in
/// parallel: each document's representative, similarity to it, and basis.
pub(crate) fn group_without_chaining<V>(
    n: usize,
    edges: &[Edge],
    size: &[u32],
    close: V,
) -> (Vec<u32>, Vec<f32>, Vec<Basis>)
where
    V: Fn(u32, u32) -> Option<(f32, Basis)> + Sync,
{
    let pairs: Vec<(u32, u32)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
    let adjacency = Adjacency::new(n, &pairs);
    let assignments: Vec<Vec<Assignment>> = components(n, &pairs)
        .into_par_iter()
        .map(|members| group_component(&members, |d| size[d as usize], |d| adjacency.of(d), &close))
        .collect();
    let mut representative: Vec<u32> = (0..n as u32).collect();
    let mut score = vec![1.0f32; n];
    let mut basis = vec![Basis::Representative; n];
    for a in assignments.into_iter().flatten() {
        representative[a.member as usize] = a.representative;
        score[a.member as usize] = a.score;
        basis[a.member as usize] = a.basis;
    }
    (representative, score, basis)
}

/// Neighbour lists of a graph, in compressed rows.
pub(crate) struct Adjacency {
    offsets: Vec<u32>,
    adj: Vec<u32>,
}

impl Adjacency {
    pub(crate) fn new(n: usize, edges: &[(u32, u32)]) -> Self {
        let mut offsets = vec![0u32; n + 1];
        for &(a, b) in edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 1..=n {
            offsets[i] += offsets[i - 1];
        }
        let mut fill = offsets.clone();
        let mut adj = vec![0u32; edges.len() * 2];
        for &(a, b) in edges {
            adj[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
            adj[fill[b as usize] as usize] = a;
            fill[b as usize] += 1;
        }
        Adjacency { offsets, adj }
    }

    pub(crate) fn of(&self, d: u32) -> &[u32] {
        &self.adj[self.offsets[d as usize] as usize..self.offsets[d as usize + 1] as usize]
    }
}

/// A member's place in its copy group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Assignment {
    pub(crate) member: u32,
    pub(crate) representative: u32,
    /// Similarity to the representative (1 for itself).
    pub(crate) score: f32,
    pub(crate) basis: Basis,
}

/// The copy groups of one connected component: an [`Assignment`] for each
/// of `members` (document numbers in id order).
///
/// Members are visited by decreasing `size` (ties: smaller number first); each
/// joins the best representative among those of its already visited
/// neighbours that `close` accepts against it directly, or becomes a
/// representative. The common case, where every member is close to the
/// longest version, is checked first.
pub(crate) fn group_component<'n>(
    members: &[u32],
    size: impl Fn(u32) -> u32,
    neighbours: impl Fn(u32) -> &'n [u32],
    close: impl Fn(u32, u32) -> Option<(f32, Basis)>,
) -> Vec<Assignment> {
    let mut order = members.to_vec();
    order.sort_by(|&a, &b| size(b).cmp(&size(a)).then(a.cmp(&b)));
    let rep = order[0];
    let alone = |m: u32| Assignment {
        member: m,
        representative: m,
        score: 1.0,
        basis: Basis::Representative,
    };
    let direct: Option<Vec<Assignment>> = order
        .iter()
        .map(|&m| {
            if m == rep {
                Some(alone(m))
            } else {
                close(rep, m).map(|(score, basis)| Assignment {
                    member: m,
                    representative: rep,
                    score,
                    basis,
                })
            }
        })
        .collect();
    if let Some(all) = direct {
        return all;
    }
    // Drift: split by leader clustering, each member joining the closest
    // representative among those its own edges reach.
    let mut representative_of: std::collections::HashMap<u32, u32> =
        std::collections::HashMap::with_capacity(order.len());
    let mut out = Vec::with_capacity(order.len());
    for &m in &order {
        let mut tried: Vec<u32> = neighbours(m)
            .iter()
            .filter_map(|x| representative_of.get(x).copied())
            .collect();
        tried.sort_unstable();
        tried.dedup();
        let best = tried
            .iter()
            .filter_map(|&l| close(l, m).map(|s| (s, l)))
            .max_by(|x, y| x.0 .0.total_cmp(&y.0 .0).then(y.1.cmp(&x.1)));
        let a = match best {
            Some(((score, basis), l)) => Assignment {
                member: m,
                representative: l,
                score,
                basis,
            },
            None => alone(m),
        };
        representative_of.insert(m, a.representative);
        out.push(a);
    }
    out
}

/// Union-find with path halving and union by size (Tarjan 1975).
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_is_split_at_the_representative() {
        // 0 ~ 1 ~ 2 ~ 3 in a chain; only neighbours verify. Sizes make 0 the
        // first representative: 1 joins it, 2 does not verify against 0 and
        // starts a group, 3 joins 2.
        let edges = [(0, 1, 0.9), (1, 2, 0.9), (2, 3, 0.9)];
        let verify = |a: u32, b: u32| (a.abs_diff(b) == 1).then_some((0.9, Basis::Jaccard));
        let (rep, _, _) = group_without_chaining(4, &edges, &[40, 30, 20, 10], verify);
        assert_eq!(rep, vec![0, 0, 2, 2]);
    }

    #[test]
    fn star_stays_whole() {
        let edges = [(0, 1, 0.9), (0, 2, 0.9), (0, 3, 0.9)];
        let (rep, _, basis) = group_without_chaining(5, &edges, &[9, 1, 1, 1, 1], |_, _| {
            Some((0.9, Basis::Jaccard))
        });
        assert_eq!(basis[0], Basis::Representative);
        assert_eq!(basis[1], Basis::Jaccard);
        assert_eq!(rep, vec![0, 0, 0, 0, 4]);
    }

    #[test]
    fn union_find_and_components() {
        let mut uf = UnionFind::new(5);
        uf.union(0, 1);
        uf.union(3, 4);
        uf.union(1, 4);
        assert_eq!(uf.find(0), uf.find(3));
        assert_ne!(uf.find(2), uf.find(0));
        assert_eq!(
            components(7, &[(5, 6), (0, 3), (3, 1)]),
            vec![vec![0, 1, 3], vec![5, 6]]
        );
    }

    #[test]
    fn identical_texts_point_to_the_first() {
        let content = [7u128, 9, 7, 7, 9, 1];
        let shingles = [3, 3, 3, 0, 3, 3];
        assert_eq!(
            first_of_identical(&content, &shingles),
            vec![0, 1, 0, 3, 1, 5]
        );
    }
}

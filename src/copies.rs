//! The copy tier: verified candidate pairs joined into copy groups without
//! chaining drift.
//!
//! Every candidate pair from the band index is verified on its signatures: it
//! is an edge when the estimated Jaccard similarity reaches
//! [`CopyConfig::jaccard`], or when the estimated containment of the smaller
//! document in the larger reaches [`CopyConfig::containment`] and the smaller
//! one is long enough for containment to mean something.
//!
//! Joining edges by connected components alone lets a chain A ~ B ~ C ~ ...
//! drift from one article to an unrelated one. Instead, within each connected
//! component, documents are visited longest first (the most complete version
//! is the best representative: truncated copies are contained in it) and each
//! joins the group of the best-scoring *representative* it verifies against
//! directly, or starts a group of its own. Only representatives reachable
//! through the document's own edges are tried, so the cost stays proportional
//! to the edges.

use rayon::prelude::*;

use crate::config::CopyConfig;
use crate::lsh::candidate_edges;
use crate::lsh::{CandidateStats, LshParams};
use crate::sketch::{
    containment_from_jaccard, fact_agreement, jaccard_std_error, matching_share, Estimate,
};

/// Facts (names, numbers) kept per document: a bottom-k sample of their hashes.
pub(crate) const FACT_SAMPLE: usize = 32;

/// Flat signatures of a batch: `k` slots per document, its distinct shingle
/// count (0 for a document without a signature) and its fact sample.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignatureMatrix {
    pub(crate) k: usize,
    pub(crate) slots: Vec<u32>,
    pub(crate) shingles: Vec<u32>,
    /// `FACT_SAMPLE` values per document, the first `min(count, FACT_SAMPLE)` used.
    pub(crate) facts: Vec<u32>,
    /// Distinct facts per document.
    pub(crate) fact_counts: Vec<u32>,
}

/// One document's sketch: signature slots, distinct shingle count and facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SketchRef<'a> {
    pub(crate) slots: &'a [u32],
    pub(crate) shingles: u32,
    pub(crate) facts: &'a [u32],
    pub(crate) fact_count: u32,
}

impl SketchRef<'_> {
    /// How far the two documents' facts agree (`None`: too few to judge).
    pub(crate) fn facts_with(&self, other: &SketchRef<'_>, min_facts: u32) -> Option<f64> {
        fact_agreement(
            self.facts,
            self.fact_count,
            other.facts,
            other.fact_count,
            min_facts as usize,
        )
    }

    /// Estimated Jaccard and containment (of the smaller in the larger).
    pub(crate) fn similarity(&self, other: &SketchRef<'_>) -> (f64, Estimate) {
        let j = matching_share(self.slots, other.slots);
        let je = Estimate {
            value: j,
            std_error: jaccard_std_error(j, self.slots.len()),
        };
        (
            j,
            containment_from_jaccard(je, self.shingles, other.shingles),
        )
    }
}

impl SignatureMatrix {
    pub(crate) fn with_capacity(k: usize, n: usize) -> Self {
        SignatureMatrix {
            k,
            slots: vec![0; n * k],
            shingles: vec![0; n],
            facts: vec![0; n * FACT_SAMPLE],
            fact_counts: vec![0; n],
        }
    }

    /// Appends one document's sketch; returns its index.
    pub(crate) fn push(
        &mut self,
        slots: &[u32],
        shingles: u32,
        facts: &[u32],
        fact_count: u32,
    ) -> u32 {
        let d = self.len() as u32;
        self.slots.extend_from_slice(slots);
        self.shingles.push(shingles);
        let start = self.facts.len();
        self.facts.resize(start + FACT_SAMPLE, 0);
        self.facts[start..start + facts.len()].copy_from_slice(facts);
        self.fact_counts.push(fact_count);
        d
    }

    pub(crate) fn get(&self, d: u32) -> SketchRef<'_> {
        let i = d as usize;
        let len = (self.fact_counts[i] as usize).min(FACT_SAMPLE);
        SketchRef {
            slots: &self.slots[i * self.k..(i + 1) * self.k],
            shingles: self.shingles[i],
            facts: &self.facts[i * FACT_SAMPLE..i * FACT_SAMPLE + len],
            fact_count: self.fact_counts[i],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.shingles.len()
    }
}

/// Decides whether a pair of documents are copies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Verifier<'a> {
    pub(crate) config: &'a CopyConfig,
}

/// The outcome of verifying one pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) jaccard: f64,
    pub(crate) containment: f64,
    pub(crate) facts: Option<f64>,
    /// The similarity that decided, when the pair passes.
    pub(crate) score: Option<f32>,
}

impl Verifier<'_> {
    /// The pair's similarity when it passes, `None` otherwise.
    pub(crate) fn score(&self, a: SketchRef<'_>, b: SketchRef<'_>) -> Option<f32> {
        self.judge(a, b, 1.0).score
    }

    /// Whether a member stays close enough to its group's representative:
    /// the same test with every threshold scaled by [`CopyConfig::drift`].
    pub(crate) fn close(&self, rep: SketchRef<'_>, m: SketchRef<'_>) -> Option<f32> {
        self.judge(rep, m, self.config.drift).score
    }

    pub(crate) fn judge(&self, a: SketchRef<'_>, b: SketchRef<'_>, scale: f64) -> Verdict {
        let cfg = self.config;
        let (j, c) = a.similarity(&b);
        let facts = a.facts_with(&b, cfg.min_facts);
        let small = a.shingles.min(b.shingles);
        let wording = if j >= cfg.jaccard * scale {
            Some(j)
        } else if small >= cfg.min_containment_shingles && c.value >= cfg.containment * scale {
            Some(c.value)
        } else {
            None
        };
        // Shared wording is not enough: copies keep their names and numbers,
        // templated reports about different events do not.
        let score = wording
            .filter(|_| facts_hold(cfg, facts, scale))
            .map(|x| x as f32);
        Verdict {
            jaccard: j,
            containment: c.value,
            facts,
            score,
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
    pub(crate) leader: Vec<u32>,
    /// Similarity of each document to its representative (1 for itself).
    pub(crate) score: Vec<f32>,
    pub(crate) stats: CandidateStats,
}

/// Finds, verifies and groups the copies among the documents that have a signature.
pub(crate) fn find_copy_groups(
    matrix: &SignatureMatrix,
    params: LshParams,
    config: &CopyConfig,
) -> CopyGroups {
    let verifier = Verifier { config };
    let docs: Vec<u32> = (0..matrix.len() as u32)
        .filter(|&d| matrix.shingles[d as usize] > 0)
        .collect();
    let (edges, stats) = candidate_edges(
        &matrix.slots,
        matrix.k,
        &docs,
        params,
        config.max_bucket,
        |a, b| verifier.score(matrix.get(a), matrix.get(b)),
    );
    let (leader, score) = group_without_chaining(matrix.len(), &edges, &matrix.shingles, |a, b| {
        verifier.close(matrix.get(a), matrix.get(b))
    });
    CopyGroups {
        leader,
        score,
        stats,
    }
}

/// Copy groups by SimHash: pairs within `max_distance` bits whose facts
/// agree, grouped like the MinHash path (members within twice the distance of
/// their representative). `fingerprints[d]` is `None` for a document without words.
pub(crate) fn find_copy_groups_simhash(
    fingerprints: &[Option<u64>],
    sizes: &[u32],
    facts: &SignatureMatrix,
    max_distance: u32,
    config: &CopyConfig,
) -> CopyGroups {
    // Documents without words get a fingerprint no real one is near.
    let fps: Vec<u64> = fingerprints.iter().map(|f| f.unwrap_or(0)).collect();
    let facts_ok = |a: u32, b: u32, scale: f64| {
        let fa = facts.get(a).facts_with(&facts.get(b), config.min_facts);
        facts_hold(config, fa, scale)
    };
    let pairs = crate::lsh::pairs_within(&fps, max_distance).unwrap_or_default();
    let mut stats = CandidateStats {
        candidates: pairs.len() as u64,
        ..Default::default()
    };
    let edges: Vec<(u32, u32, f32)> = pairs
        .into_iter()
        .filter(|&(a, b, _)| {
            fingerprints[a as usize].is_some() && fingerprints[b as usize].is_some()
        })
        .filter(|&(a, b, _)| facts_ok(a, b, 1.0))
        .map(|(a, b, d)| (a, b, crate::sketch::similarity_of_distance(d) as f32))
        .collect();
    stats.verified = edges.len() as u64;
    let loose = (2 * max_distance).min(64);
    let (leader, score) = group_without_chaining(fps.len(), &edges, sizes, |a, b| {
        let d = (fps[a as usize] ^ fps[b as usize]).count_ones();
        (d <= loose && facts_ok(a, b, config.drift))
            .then(|| crate::sketch::similarity_of_distance(d) as f32)
    });
    CopyGroups {
        leader,
        score,
        stats,
    }
}

/// Leader clustering inside each connected component of `edges`.
///
/// Documents are visited by decreasing `size` (ties: smaller index first); each
/// joins the best representative among those of its already visited
/// neighbours that `verify` accepts against it directly, or becomes a
/// representative. Deterministic and independent of thread count.
pub(crate) fn group_without_chaining<V>(
    n: usize,
    edges: &[(u32, u32, f32)],
    size: &[u32],
    close: V,
) -> (Vec<u32>, Vec<f32>)
where
    V: Fn(u32, u32) -> Option<f32> + Sync,
{
    let mut uf = UnionFind::new(n);
    for &(a, b, _) in edges {
        uf.union(a, b);
    }
    // Adjacency in CSR form.
    let mut degree = vec![0u32; n + 1];
    for &(a, b, _) in edges {
        degree[a as usize + 1] += 1;
        degree[b as usize + 1] += 1;
    }
    for i in 1..=n {
        degree[i] += degree[i - 1];
    }
    let offsets = degree;
    let mut fill = offsets.clone();
    let mut adj = vec![0u32; edges.len() * 2];
    for &(a, b, _) in edges {
        adj[fill[a as usize] as usize] = b;
        fill[a as usize] += 1;
        adj[fill[b as usize] as usize] = a;
        fill[b as usize] += 1;
    }
    let neighbours = |d: u32| &adj[offsets[d as usize] as usize..offsets[d as usize + 1] as usize];

    // Components with two or more members, members in visiting order.
    let mut components: Vec<Vec<u32>> = Vec::new();
    let mut slot_of_root = vec![u32::MAX; n];
    for d in 0..n as u32 {
        if offsets[d as usize] == offsets[d as usize + 1] {
            continue;
        }
        let root = uf.find(d) as usize;
        if slot_of_root[root] == u32::MAX {
            slot_of_root[root] = components.len() as u32;
            components.push(Vec::new());
        }
        components[slot_of_root[root] as usize].push(d);
    }

    let assignments: Vec<Vec<(u32, u32, f32)>> = components
        .par_iter_mut()
        .map(|members| {
            members.sort_by(|&a, &b| size[b as usize].cmp(&size[a as usize]).then(a.cmp(&b)));
            // The common case: every member is close enough to the component's
            // longest version, and the component is one group.
            let rep = members[0];
            let direct: Option<Vec<(u32, u32, f32)>> = members
                .iter()
                .map(|&m| {
                    if m == rep {
                        Some((m, m, 1.0))
                    } else {
                        close(rep, m).map(|s| (m, rep, s))
                    }
                })
                .collect();
            if let Some(all) = direct {
                return all;
            }
            // Drift: split by leader clustering, each member joining the
            // closest representative among those its own edges reach.
            let mut leader_of: std::collections::HashMap<u32, u32> =
                std::collections::HashMap::with_capacity(members.len());
            let mut out = Vec::with_capacity(members.len());
            for &m in members.iter() {
                let mut tried: Vec<u32> = neighbours(m)
                    .iter()
                    .filter_map(|x| leader_of.get(x).copied())
                    .collect();
                tried.sort_unstable();
                tried.dedup();
                let best = tried
                    .iter()
                    .filter_map(|&l| close(l, m).map(|s| (s, l)))
                    .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
                let (l, s) = match best {
                    Some((s, l)) => (l, s),
                    None => (m, 1.0),
                };
                leader_of.insert(m, l);
                out.push((m, l, s));
            }
            out
        })
        .collect();

    let mut leader: Vec<u32> = (0..n as u32).collect();
    let mut score = vec![1.0f32; n];
    for (m, l, s) in assignments.into_iter().flatten() {
        leader[m as usize] = l;
        score[m as usize] = s;
    }
    (leader, score)
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
        let verify = |a: u32, b: u32| (a.abs_diff(b) == 1).then_some(0.9);
        let (leader, _) = group_without_chaining(4, &edges, &[40, 30, 20, 10], verify);
        assert_eq!(leader, vec![0, 0, 2, 2]);
    }

    #[test]
    fn star_stays_whole() {
        let edges = [(0, 1, 0.9), (0, 2, 0.9), (0, 3, 0.9)];
        let (leader, _) = group_without_chaining(5, &edges, &[9, 1, 1, 1, 1], |_, _| Some(0.9));
        assert_eq!(leader, vec![0, 0, 0, 0, 4]);
    }

    #[test]
    fn union_find() {
        let mut uf = UnionFind::new(5);
        uf.union(0, 1);
        uf.union(3, 4);
        uf.union(1, 4);
        assert_eq!(uf.find(0), uf.find(3));
        assert_ne!(uf.find(2), uf.find(0));
    }
}

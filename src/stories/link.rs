//! Average-link agglomerative clustering over a sparse similarity graph
//! (Sokal and Michener 1958), one connected component at a time, then the
//! items it leaves alone joined to the story of their clear strongest link
//! ([`link()`]).
//!
//! Two clusters merge when the *mean* similarity over all their cross pairs
//! reaches the threshold, a pair the blocking did not propose counting as 0.
//! One strong bridge between two large clusters is therefore not enough to
//! merge them: the chaining that single linkage (connected components)
//! suffers is ruled out by construction. A merge needs at least one pair at
//! or above the threshold between the two clusters (a mean cannot exceed its
//! largest term), so clusters never cross the components of the graph of
//! such pairs, and each component is clustered on its own.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::hash::Map;

/// A story keeps at most this many centroid terms (the heaviest). A story of
/// a few dozen copy groups has far fewer; the cap bounds memory for the rare
/// long-running one.
pub(crate) const MAX_CENTROID_TERMS: usize = 1024;

/// A sum of unit vectors, sorted by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Centroid(pub(crate) Vec<(u64, f32)>);

impl Centroid {
    /// [`dot_terms`] with a sparse vector sorted by key.
    pub(crate) fn dot_terms(&self, v: &[(u64, f32)]) -> Dot {
        dot_terms(&self.0, v)
    }

    /// Adds a sparse vector sorted by key.
    pub(crate) fn add(&mut self, v: &[(u64, f32)]) {
        let a = std::mem::take(&mut self.0);
        let mut out = Vec::with_capacity(a.len() + v.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < v.len() {
            let next = match (a.get(i), v.get(j)) {
                (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                    Ordering::Less => {
                        i += 1;
                        *x
                    }
                    Ordering::Greater => {
                        j += 1;
                        *y
                    }
                    Ordering::Equal => {
                        i += 1;
                        j += 1;
                        (x.0, x.1 + y.1)
                    }
                },
                (Some(x), None) => {
                    i += 1;
                    *x
                }
                (None, Some(y)) => {
                    j += 1;
                    *y
                }
                (None, None) => unreachable!("the loop runs while one side has entries"),
            };
            out.push(next);
        }
        self.0 = out;
        self.cap();
    }

    /// The sum of sparse vectors sorted by key, in one pass: every entry
    /// gathered, ordered by key (the vectors' order kept within a key), and
    /// each key's run added up.
    pub(crate) fn sum<'a>(vectors: impl Iterator<Item = &'a [(u64, f32)]>) -> Self {
        let mut all: Vec<(u64, f32)> = vectors.flatten().copied().collect();
        all.sort_by_key(|e| e.0);
        let mut out: Vec<(u64, f32)> = Vec::with_capacity(all.len());
        for (k, w) in all {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 += w,
                _ => out.push((k, w)),
            }
        }
        let mut c = Centroid(out);
        c.cap();
        c
    }

    /// Keeps the [`MAX_CENTROID_TERMS`] heaviest terms.
    fn cap(&mut self) {
        let out = &mut self.0;
        if out.len() > MAX_CENTROID_TERMS {
            out.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            out.truncate(MAX_CENTROID_TERMS);
            out.sort_unstable_by_key(|e| e.0);
        }
    }
}

/// A dot product of two weighted vectors, with the sum of the squares of
/// its terms (the products of the shared features' weights): from the two,
/// how many features carry it ([`Dot::carriers`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Dot {
    pub(crate) sum: f64,
    pub(crate) squares: f64,
}

impl std::ops::Add for Dot {
    type Output = Dot;
    fn add(self, other: Dot) -> Dot {
        Dot {
            sum: self.sum + other.sum,
            squares: self.squares + other.squares,
        }
    }
}

impl Dot {
    /// The product with one more term `p` added (to the sum, and its
    /// square to the squares): the one way both dot products accumulate.
    #[inline]
    fn with_term(self, p: f64) -> Dot {
        Dot {
            sum: self.sum + p,
            squares: self.squares + p * p,
        }
    }

    /// The effective number of terms that make the product,
    /// `sum^2 / squares`: `n` for `n` equal terms, near 1 when one term
    /// outweighs the rest, 0 for none.
    pub(crate) fn carriers(self) -> f64 {
        if self.squares > 0.0 {
            self.sum * self.sum / self.squares
        } else {
            0.0
        }
    }

    /// The product discounted by the `evidence` it needs:
    /// `sum * evidence_factor(evidence)`.
    pub(crate) fn evidenced(self, evidence: f64) -> f64 {
        self.sum * self.evidence_factor(evidence)
    }

    /// The share of the product that `evidence` leaves:
    /// `carriers / (carriers + evidence)` (1 when `evidence` is 0).
    pub(crate) fn evidence_factor(self, evidence: f64) -> f64 {
        let s2 = self.sum * self.sum;
        if evidence == 0.0 {
            1.0
        } else if s2 > 0.0 {
            s2 / (s2 + evidence * self.squares)
        } else {
            0.0
        }
    }
}

/// The dot product of two sparse vectors sorted by key, with the squares
/// of its terms, each summed in key order.
pub(crate) fn dot_terms(a: &[(u64, f32)], b: &[(u64, f32)]) -> Dot {
    let (mut i, mut j) = (0, 0);
    let mut d = Dot::default();
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                d = d.with_term(f64::from(a[i].1) * f64::from(b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    d
}

/// A sparse vector whose features are numbered `0..features` (the batch's
/// feature numbers), as `(number, weight)` in the order of its keys.
pub(crate) type Numbered = Vec<(u32, f32)>;

/// One vector held densely, by feature number, for many dot products against
/// it: each is one load per entry of the other vector, with no branch and no
/// key to compare, where a merge of two sorted lists takes a branch per
/// entry of both that the processor cannot predict. Every entry adds its
/// product (`+0.0` for a feature the held vector lacks) in the other
/// vector's key order, so the sums are the ones [`dot_terms`] gives, to the bit.
#[derive(Debug)]
pub(crate) struct DotTable {
    /// Held weights by feature number, as `f64` (each product of two `f32`
    /// is exact in `f64` either way; held so, a product takes one
    /// conversion, not two). The length is a power of two, so that a
    /// number masked to it needs no bounds check.
    weights: Vec<f64>,
    held: Vec<u32>,
}

impl DotTable {
    /// A table for vectors of features numbered below `features`.
    pub(crate) fn new(features: usize) -> Self {
        DotTable {
            weights: vec![0.0; features.next_power_of_two()],
            held: Vec::new(),
        }
    }

    /// The mask that takes a feature number to its place in the table: the
    /// number itself, for every feature below the table's `features`.
    #[inline]
    fn mask(&self) -> usize {
        self.weights.len() - 1
    }

    /// Holds `v`, replacing the last vector.
    pub(crate) fn load(&mut self, v: &[(u32, f32)]) {
        let mask = self.mask();
        for &i in &self.held {
            self.weights[i as usize & mask] = 0.0;
        }
        self.held.clear();
        for &(i, w) in v {
            self.weights[i as usize & mask] = f64::from(w);
            self.held.push(i);
        }
    }

    /// The dot product of the held vector with `v`, with the squares of
    /// its terms ([`dot_terms`] to the bit: a feature the held vector lacks
    /// adds `+0.0` to both sums).
    pub(crate) fn dot(&self, v: &[(u32, f32)]) -> Dot {
        let mask = self.mask();
        v.iter().fold(Dot::default(), |d, &(i, w)| {
            d.with_term(self.weights[i as usize & mask] * f64::from(w))
        })
    }
}

/// A merge candidate in the heap: highest average first, then smallest
/// labels (each cluster's smallest member), so that ties are broken the same
/// whichever cluster holds the links.
#[derive(PartialEq)]
struct Candidate {
    avg: f64,
    /// The smaller of the two clusters' labels, then the larger.
    labels: (u32, u32),
    /// The two clusters (the members holding their links).
    x: u32,
    y: u32,
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.avg
            .total_cmp(&other.avg)
            .then(other.labels.cmp(&self.labels))
            .then(other.x.cmp(&self.x))
            .then(other.y.cmp(&self.y))
    }
}

/// Values grouped by item of `0..n`, in one array: gathered in two counting
/// passes, not pushed to a `Vec` per item.
pub(crate) struct ByItem<T> {
    /// Item `x`'s values are `values[starts[x]..starts[x + 1]]`.
    starts: Vec<usize>,
    values: Vec<T>,
}

impl<T: Copy + Default> ByItem<T> {
    /// The `(item, value)` entries that `entries()` gives (it is called
    /// twice, and must give the same both times), each item's values in
    /// that order.
    pub(crate) fn new<I: Iterator<Item = (usize, T)>>(n: usize, entries: impl Fn() -> I) -> Self {
        let mut starts = vec![0usize; n + 1];
        for (x, _) in entries() {
            starts[x + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut values = vec![T::default(); starts[n]];
        for (x, v) in entries() {
            values[next[x]] = v;
            next[x] += 1;
        }
        ByItem { starts, values }
    }
}

impl<T> ByItem<T> {
    /// Item `x`'s values.
    pub(crate) fn of(&self, x: usize) -> &[T] {
        &self.values[self.starts[x]..self.starts[x + 1]]
    }
}

impl<T: Sync> ByItem<T> {
    /// `f` of each item's values, items in parallel.
    pub(crate) fn map<R: Send>(&self, f: impl Fn(&[T]) -> R + Sync + Send) -> Vec<R> {
        self.map_init(|| (), |(), values| f(values))
    }

    /// `f` of each item's values, items in parallel, with a scratch value
    /// that `init` makes for each of rayon's work splits, not for each item.
    pub(crate) fn map_init<S, R: Send>(
        &self,
        init: impl Fn() -> S + Sync + Send,
        f: impl Fn(&mut S, &[T]) -> R + Sync + Send,
    ) -> Vec<R> {
        (0..self.starts.len() - 1)
            .into_par_iter()
            .with_min_len(1024)
            .map_init(init, |s, x| f(s, self.of(x)))
            .collect()
    }
}

/// The pairs of each item of `0..n` of `sims`: pair `(a, b, s)` as `(b, s)`
/// for `a` and `(a, s)` for `b`, each item's in the order of `sims`.
pub(crate) fn pairs_by_item(n: usize, sims: &[(u32, u32, f64)]) -> ByItem<(u32, f64)> {
    ByItem::new(n, || {
        sims.iter()
            .flat_map(|&(a, b, s)| [(a as usize, (b, s)), (b as usize, (a, s))])
    })
}

/// How far a leftover's strongest link into a story must reach, as a
/// multiple of the linkage threshold, for it to join that story
/// ([`link()`]). A link just at the threshold is the borderline case the
/// averages settle; a leftover joins on a clearer one.
const LEFTOVER_REACH: f64 = 1.2;

/// How many times its strongest link into any other story a leftover's
/// strongest link into a story must be for it to join that story
/// ([`link()`]): one story clearly, not the nearer of two.
const LEFTOVER_MARGIN: f64 = 2.0;

/// The stories of items `0..n` under `sims`: [`average_link`] at
/// `threshold`, then each item it leaves alone joins the story of two or
/// more items its strongest link goes to, when that link reaches
/// [`LEFTOVER_REACH`] times the threshold and [`LEFTOVER_MARGIN`] times its
/// strongest link into any other such story.
///
/// Average linkage counts a pair the blocking never proposed as 0, so one
/// report strongly linked to one member of a story of ten, and to no other,
/// averages a tenth of that link and stays alone, the more surely the larger
/// the story. A leftover joins at most one story and no two stories merge
/// through it, so this cannot chain; and its link is above the threshold,
/// so it stays within its component of such links. Returns the label of
/// each item (the smallest index in its story) and the number of merges and
/// joins.
pub(crate) fn link(n: usize, sims: &[(u32, u32, f64)], threshold: f64) -> (Vec<u32>, u64) {
    let reach = threshold * LEFTOVER_REACH;
    let (mut labels, mut merges) = average_link(n, sims, threshold);
    let mut size = vec![0u32; n];
    for &l in &labels {
        size[l as usize] += 1;
    }
    // Each leftover's strongest link into each story of two or more: the
    // best story and the runner-up's strongest link.
    let mut best: Vec<(f64, u32, f64)> = vec![(0.0, u32::MAX, 0.0); n];
    for &(a, b, s) in sims {
        for (x, y) in [(a, b), (b, a)] {
            let story = labels[y as usize];
            if size[labels[x as usize] as usize] != 1 || size[story as usize] < 2 {
                continue;
            }
            let (top, top_story, second) = &mut best[x as usize];
            if *top_story == story {
                *top = top.max(s);
            } else if s > *top || (s == *top && story < *top_story) {
                *second = second.max(*top);
                (*top, *top_story) = (s, story);
            } else {
                *second = second.max(s);
            }
        }
    }
    let averaged = merges;
    for (x, &(top, story, second)) in best.iter().enumerate() {
        if story != u32::MAX && top >= reach && top >= LEFTOVER_MARGIN * second {
            labels[x] = story;
            merges += 1;
        }
    }
    if merges > averaged {
        // A story's label is its smallest member, which a leftover may be.
        let mut smallest: Vec<u32> = (0..n as u32).collect();
        for (x, &l) in labels.iter().enumerate() {
            smallest[l as usize] = smallest[l as usize].min(x as u32);
        }
        for l in &mut labels {
            *l = smallest[*l as usize];
        }
    }
    (labels, merges)
}

/// Sparse average-link agglomerative clustering. Returns the label of each
/// item (smallest index in its cluster) and the number of merges.
pub(crate) fn average_link(n: usize, sims: &[(u32, u32, f64)], threshold: f64) -> (Vec<u32>, u64) {
    // Sum of similarities between clusters, keyed by cluster: a cluster is
    // named by the member holding its links. Each item's map is built from
    // its pairs (in the order of `sims`), items in parallel.
    let mut links: Vec<Map<u32, f64>> = pairs_by_item(n, sims).map(|pairs| {
        let mut map = Map::with_capacity_and_hasher(pairs.len(), Default::default());
        map.extend(pairs.iter().copied());
        map
    });
    // The label of each cluster: its smallest member.
    let mut label: Vec<u32> = (0..n as u32).collect();
    let candidate = |label: &[u32], avg: f64, x: u32, y: u32| {
        let (lx, ly) = (label[x as usize], label[y as usize]);
        Candidate {
            avg,
            labels: (lx.min(ly), lx.max(ly)),
            x,
            y,
        }
    };
    // Built whole (the pop order is the entries' total order, however built).
    let mut heap: BinaryHeap<Candidate> = sims
        .iter()
        .filter(|e| e.2 >= threshold)
        .map(|&(a, b, s)| candidate(&label, s, a, b))
        .collect();
    let mut size = vec![1u32; n];
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut merges = 0;
    while let Some(entry) = heap.pop() {
        let Candidate { avg, x, y, .. } = entry;
        if parent[x as usize] != x || parent[y as usize] != y {
            continue; // one side was merged away since this entry was pushed
        }
        if candidate(&label, avg, x, y).labels != entry.labels {
            // A side's label fell since: an entry with the new one was
            // pushed then.
            continue;
        }
        let Some(&sum) = links[x as usize].get(&y) else {
            continue;
        };
        let current = sum / (f64::from(size[x as usize]) * f64::from(size[y as usize]));
        if current != avg {
            // Stale. A pair's average rises only when one side takes in a
            // cluster linked to the other, and an entry with the new value
            // is pushed then; it falls when one side grows otherwise, and is
            // pushed again here, once it comes up: a stale entry is never
            // below the true value, so the heap still pops the best pair.
            if current < avg && current >= threshold {
                heap.push(candidate(&label, current, x, y));
            }
            continue;
        }
        // The cluster with more links takes in the other, whose links are
        // moved: a large cluster's links are not moved again at every merge
        // (each link moves about log(size) times, not once per merge).
        let (keep, gone) = if links[x as usize].len() >= links[y as usize].len() {
            (x, y)
        } else {
            (y, x)
        };
        parent[gone as usize] = keep;
        size[keep as usize] += size[gone as usize];
        let relabelled = label[gone as usize] < label[keep as usize];
        label[keep as usize] = label[keep as usize].min(label[gone as usize]);
        merges += 1;
        let gone_links = std::mem::take(&mut links[gone as usize]);
        links[keep as usize].remove(&gone);
        for (c, s) in gone_links {
            if c == keep {
                continue;
            }
            let sum = links[keep as usize].entry(c).or_insert(0.0);
            *sum += s;
            let sum = *sum;
            let lc = &mut links[c as usize];
            lc.remove(&gone);
            *lc.entry(keep).or_insert(0.0) += s;
            // The neighbours of `gone` may now be closer to the merged
            // cluster; those of `keep` alone are farther (see above).
            let avg = sum / (f64::from(size[keep as usize]) * f64::from(size[c as usize]));
            if avg >= threshold && !relabelled {
                heap.push(candidate(&label, avg, keep, c));
            }
        }
        if relabelled {
            // Every pair of the merged cluster gets an entry with its new
            // label. A cluster's label falls about log(size) times as it
            // grows (when it takes in a smaller member than any it has).
            for (&c, &sum) in &links[keep as usize] {
                let avg = sum / (f64::from(size[keep as usize]) * f64::from(size[c as usize]));
                if avg >= threshold {
                    heap.push(candidate(&label, avg, keep, c));
                }
            }
        }
    }
    // Resolve labels.
    let labels = (0..n as u32)
        .map(|i| {
            let mut r = i;
            while parent[r as usize] != r {
                r = parent[r as usize];
            }
            label[r as usize]
        })
        .collect();
    (labels, merges)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_held_vector_dots_as_the_merge_does(
            vectors in proptest::collection::vec(
                proptest::collection::btree_map(0u64..40, 0.01f32..1.0, 0..30),
                1..8,
            ),
            shuffle in 0u64..1000,
        ) {
            let vectors: Vec<Vec<(u64, f32)>> =
                vectors.into_iter().map(|m| m.into_iter().collect()).collect();
            // Numbers in any order of the keys: a bijection of 0..40.
            let number = |k: u64| ((k * 7 + shuffle) % 40) as u32;
            let numbered: Vec<Numbered> = vectors
                .iter()
                .map(|v| v.iter().map(|&(k, w)| (number(k), w)).collect())
                .collect();
            let mut table = DotTable::new(40);
            for (a, na) in vectors.iter().zip(&numbered) {
                table.load(na);
                for (b, nb) in vectors.iter().zip(&numbered) {
                    let (held, merged) = (table.dot(nb), dot_terms(a, b));
                    proptest::prop_assert_eq!(held.sum.to_bits(), merged.sum.to_bits());
                    proptest::prop_assert_eq!(held.squares.to_bits(), merged.squares.to_bits());
                }
            }
        }
    }

    #[test]
    fn evidence_counts_the_features_that_carry_a_product() {
        let one = dot_terms(&[(1, 0.5), (2, 0.5)], &[(1, 0.8), (3, 0.6)]);
        assert_eq!(one.carriers(), 1.0);
        assert_eq!(one.evidence_factor(1.5), 1.0 / 2.5);
        let v: Vec<(u64, f32)> = (0..4).map(|k| (k, 0.5)).collect();
        let four = dot_terms(&v, &v);
        assert_eq!(four.carriers(), 4.0);
        assert_eq!(four.evidence_factor(1.0), 4.0 / 5.0);
        // Off, and nothing shared.
        assert_eq!(one.evidence_factor(0.0), 1.0);
        let none = dot_terms(&[(1, 1.0)], &[(2, 1.0)]);
        assert_eq!((none.carriers(), none.evidence_factor(1.5)), (0.0, 0.0));
    }

    #[test]
    fn centroid_sums_and_dots() {
        let mut c = Centroid::default();
        c.add(&[(1, 0.6), (3, 0.8)]);
        c.add(&[(2, 1.0), (3, 1.0)]);
        assert_eq!(c.0, vec![(1, 0.6), (2, 1.0), (3, 1.8)]);
        assert!((c.dot_terms(&[(3, 1.0), (4, 5.0)]).sum - 1.8).abs() < 1e-6);
        // The dot with a sum is the sum of the dots: average linkage in one product.
        let (a, b) = ([(1u64, 0.6f32), (3, 0.8)], [(2u64, 1.0f32), (3, 1.0)]);
        let v = [(1u64, 0.5f32), (3, 0.5)];
        let direct =
            Centroid(a.to_vec()).dot_terms(&v).sum + Centroid(b.to_vec()).dot_terms(&v).sum;
        assert!((c.dot_terms(&v).sum - direct).abs() < 1e-6);
    }

    #[test]
    fn a_centroid_summed_at_once_equals_one_added_vector_by_vector() {
        let vectors: Vec<Vec<(u64, f32)>> = (0..5u64)
            .map(|i| {
                (0..30)
                    .map(|k| (k * (i + 1) % 37, 0.1 + k as f32 / 50.0))
                    .collect()
            })
            .map(|mut v: Vec<(u64, f32)>| {
                v.sort_by_key(|e| e.0);
                v.dedup_by_key(|e| e.0);
                v
            })
            .collect();
        let mut one_by_one = Centroid::default();
        for v in &vectors {
            one_by_one.add(v);
        }
        let at_once = Centroid::sum(vectors.iter().map(|v| v.as_slice()));
        assert_eq!(
            at_once.0.iter().map(|e| e.0).collect::<Vec<_>>(),
            one_by_one.0.iter().map(|e| e.0).collect::<Vec<_>>()
        );
        for (a, b) in at_once.0.iter().zip(&one_by_one.0) {
            assert!((a.1 - b.1).abs() < 1e-5, "{a:?} {b:?}");
        }
    }

    #[test]
    fn centroid_is_capped_to_the_heaviest_terms() {
        let mut c = Centroid::default();
        let v: Vec<(u64, f32)> = (0..MAX_CENTROID_TERMS as u64 + 10)
            .map(|k| (k, k as f32))
            .collect();
        c.add(&v);
        assert_eq!(c.0.len(), MAX_CENTROID_TERMS);
        assert_eq!(c.0[0].0, 10);
        assert!(c.0.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn average_link_does_not_chain() {
        // Two tight triangles joined by one strong bridge (2-3): single
        // linkage would merge all six; average linkage keeps two clusters.
        let mut sims = vec![];
        for &(a, b) in &[(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)] {
            sims.push((a, b, 0.9));
        }
        sims.push((2, 3, 0.9));
        let (labels, merges) = average_link(6, &sims, 0.5);
        assert_eq!(labels, vec![0, 0, 0, 3, 3, 3]);
        assert_eq!(merges, 4);
    }

    /// Average linkage the slow way: every step scores every pair of
    /// clusters from the item pairs across them and merges the best (ties:
    /// smallest ids), while it reaches `threshold`.
    fn average_link_by_rescoring(
        n: usize,
        sims: &[(u32, u32, f64)],
        threshold: f64,
    ) -> (Vec<u32>, u64) {
        let mut label: Vec<u32> = (0..n as u32).collect();
        let mut merges = 0;
        loop {
            let ids: std::collections::BTreeSet<u32> = label.iter().copied().collect();
            let size = |c: u32| label.iter().filter(|&&l| l == c).count() as f64;
            let mut best: Option<(f64, u32, u32)> = None;
            for &a in &ids {
                for &b in ids.range(a + 1..) {
                    let sum: f64 = sims
                        .iter()
                        .filter(|&&(x, y, _)| {
                            let (x, y) = (label[x as usize], label[y as usize]);
                            (x, y) == (a, b) || (x, y) == (b, a)
                        })
                        .map(|e| e.2)
                        .sum();
                    let avg = sum / (size(a) * size(b));
                    if avg >= threshold && best.map_or(true, |(s, _, _)| avg > s) {
                        best = Some((avg, a, b));
                    }
                }
            }
            let Some((_, a, b)) = best else {
                return (label, merges);
            };
            for l in &mut label {
                if *l == b {
                    *l = a;
                }
            }
            merges += 1;
        }
    }

    proptest::proptest! {
        #[test]
        fn average_link_merges_as_rescoring_every_step_does(
            n in 2usize..12,
            pairs in proptest::collection::btree_map((0u32..12, 0u32..12), 0u32..=8, 0..40),
            threshold in proptest::sample::select(vec![0.125, 0.25, 0.375, 0.5]),
        ) {
            // Eighths: every sum is exact, so ties are ties both ways.
            let sims: Vec<(u32, u32, f64)> = pairs
                .into_iter()
                .filter(|&((a, b), s)| a < b && (b as usize) < n && s > 0)
                .map(|((a, b), s)| (a, b, f64::from(s) / 8.0))
                .collect();
            proptest::prop_assert_eq!(
                average_link(n, &sims, threshold),
                average_link_by_rescoring(n, &sims, threshold)
            );
        }
    }

    /// A tight story of three (0, 1, 2) and two more (4, 5, 6), and
    /// `extra` links of item 3.
    fn two_stories_and(extra: &[(u32, u32, f64)]) -> Vec<(u32, u32, f64)> {
        let mut sims = vec![];
        for (a, b) in [(0, 1), (0, 2), (1, 2), (4, 5), (4, 6), (5, 6)] {
            sims.push((a, b, 0.9));
        }
        sims.extend_from_slice(extra);
        sims.sort_by_key(|e| (e.0, e.1));
        sims
    }

    #[test]
    fn a_leftover_joins_the_story_of_its_clear_strongest_link() {
        // 3's one link averages 0.5 / 3 with the story of 0: alone.
        let sims = two_stories_and(&[(0, 3, 0.5)]);
        assert_eq!(average_link(7, &sims, 0.3).0, [0, 0, 0, 3, 4, 4, 4]);
        assert_eq!(link(7, &sims, 0.3), (vec![0, 0, 0, 0, 4, 4, 4], 5));
        // Not when the link is borderline (under 1.2 x 0.3) ...
        let sims = two_stories_and(&[(0, 3, 0.35)]);
        assert_eq!(link(7, &sims, 0.3).0, [0, 0, 0, 3, 4, 4, 4]);
        // ... nor when the other story is nearly as close (0.5 < 2 x 0.3).
        let sims = two_stories_and(&[(0, 3, 0.5), (3, 5, 0.3)]);
        assert_eq!(link(7, &sims, 0.3).0, [0, 0, 0, 3, 4, 4, 4]);
        // A link to another leftover does not count against it.
        let sims = two_stories_and(&[(0, 3, 0.5), (3, 7, 0.29)]);
        assert_eq!(link(8, &sims, 0.3).0, [0, 0, 0, 0, 4, 4, 4, 7]);
        // A leftover smaller than every member names the story.
        let sims = two_stories_and(&[(3, 4, 0.5)]);
        assert_eq!(link(7, &sims, 0.3).0, [0, 0, 0, 3, 3, 3, 3]);
    }

    proptest::proptest! {
        /// `link` changes average linkage's stories only by adding items it
        /// left alone to stories of two or more, each to one.
        #[test]
        fn link_only_adds_leftovers_to_stories(
            n in 2usize..12,
            pairs in proptest::collection::btree_map((0u32..12, 0u32..12), 1u32..=8, 0..40),
        ) {
            let sims: Vec<(u32, u32, f64)> = pairs
                .into_iter()
                .filter(|&((a, b), _)| a < b && (b as usize) < n)
                .map(|((a, b), s)| (a, b, f64::from(s) / 8.0))
                .collect();
            let (before, _) = average_link(n, &sims, 0.375);
            let (after, _) = link(n, &sims, 0.375);
            let size =
                |labels: &[u32], x: usize| labels.iter().filter(|&&l| l == labels[x]).count();
            for x in 0..n {
                for y in 0..n {
                    if before[x] == before[y] {
                        proptest::prop_assert_eq!(after[x], after[y]);
                    } else if after[x] == after[y] {
                        // Joined: one of them was alone.
                        proptest::prop_assert!(size(&before, x) == 1 || size(&before, y) == 1);
                    }
                }
                // Labels are the smallest member.
                proptest::prop_assert!(after[x] as usize <= x);
                proptest::prop_assert_eq!(after[after[x] as usize], after[x]);
            }
        }
    }

    #[test]
    fn average_link_merges_when_the_mean_is_high() {
        let sims = vec![(0, 1, 0.8), (0, 2, 0.6), (1, 2, 0.5)];
        let (labels, _) = average_link(3, &sims, 0.5);
        assert_eq!(labels, vec![0, 0, 0]);
        let (labels, _) = average_link(3, &sims, 0.7);
        assert_eq!(labels, vec![0, 0, 2]);
    }
}

//! Incremental story state: TF-IDF vectors weighed on arrival and the summed
//! vectors (centroids) that give a story's average linkage in one dot product.

use std::cmp::Ordering;

use super::NO_DAY;
use crate::stories::{top_terms, weigh, Frequencies, TimePrior};

/// A story keeps at most this many centroid terms (the heaviest). A story of
/// a few dozen copy groups has far fewer; the cap bounds memory for the rare
/// long-running one.
pub(crate) const MAX_CENTROID_TERMS: usize = 1024;

/// A sum of unit vectors, sorted by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Centroid(pub(crate) Vec<(u64, f32)>);

impl Centroid {
    /// Dot product with a sparse vector sorted by key.
    pub(crate) fn dot(&self, v: &[(u64, f32)]) -> f64 {
        crate::stories::dot(&self.0, v)
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
        if out.len() > MAX_CENTROID_TERMS {
            out.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            out.truncate(MAX_CENTROID_TERMS);
            out.sort_unstable_by_key(|e| e.0);
        }
        self.0 = out;
    }
}

/// One article's features, weighed when it starts a copy group.
#[derive(Clone, Debug)]
pub(crate) struct Weighed {
    /// Every feature key (for the document frequencies).
    pub(crate) raw_keys: Vec<(u64, f32)>,
    /// Unit TF-IDF vector, sorted by key.
    pub(crate) vector: Vec<(u64, f32)>,
    /// The heaviest keys, for candidate stories.
    pub(crate) top: Vec<u64>,
}

impl Weighed {
    /// Weighs a bag (sorted by key, raw counts) with `df(key)` copy groups
    /// carrying each feature out of `n`, this article counted in both, as
    /// frequencies known so far ([`Frequencies::SoFar`]).
    pub(crate) fn new(
        bag: Vec<(u64, f32)>,
        df: impl Fn(u64) -> u32,
        n: u64,
        top_terms_wanted: usize,
    ) -> Self {
        let vector = weigh(&bag, df, n, Frequencies::SoFar);
        let top = top_terms(&vector, top_terms_wanted);
        Weighed {
            raw_keys: bag,
            vector,
            top,
        }
    }
}

/// A story of the stream.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoryState {
    /// First article: the story's name.
    pub(crate) first: u32,
    /// Itself, or the story it was merged into.
    pub(crate) parent: u32,
    /// Copy groups summed into the centroid.
    pub(crate) size: u32,
    /// Latest date of its articles (`NO_DAY` when none is dated).
    pub(crate) last_day: i64,
    /// Latest window key of its articles.
    pub(crate) last_key: i64,
    /// Frozen by the window: takes no more articles.
    pub(crate) frozen: bool,
    /// Sum of its copy groups' unit vectors (empty once frozen or merged).
    pub(crate) centroid: Centroid,
    /// Key terms it is listed under, sorted.
    pub(crate) terms: Vec<u64>,
}

impl Default for StoryState {
    fn default() -> Self {
        StoryState {
            first: 0,
            parent: 0,
            size: 0,
            last_day: NO_DAY,
            last_key: i64::MIN,
            frozen: false,
            centroid: Centroid::default(),
            terms: Vec::new(),
        }
    }
}

impl StoryState {
    /// A story of one copy group, started by document `first`.
    pub(crate) fn new(first: u32, me: u32, w: &Weighed) -> Self {
        StoryState {
            first,
            parent: me,
            size: 1,
            centroid: Centroid(w.vector.clone()),
            ..StoryState::default()
        }
    }

    pub(crate) fn absorb_vector(&mut self, w: &Weighed) {
        self.centroid.add(&w.vector);
        self.size += 1;
    }

    pub(crate) fn absorb_story(&mut self, other: StoryState) {
        self.centroid.add(&other.centroid.0);
        self.size += other.size;
    }
}

/// The time prior's factor between two stream days; 1 when either is undated.
pub(crate) fn decay(prior: &TimePrior, day: i64, other: i64) -> f64 {
    if day == NO_DAY || other == NO_DAY {
        1.0
    } else {
        prior.factor(u32::try_from(day.abs_diff(other)).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centroid_sums_and_dots() {
        let mut c = Centroid::default();
        c.add(&[(1, 0.6), (3, 0.8)]);
        c.add(&[(2, 1.0), (3, 1.0)]);
        assert_eq!(c.0, vec![(1, 0.6), (2, 1.0), (3, 1.8)]);
        assert!((c.dot(&[(3, 1.0), (4, 5.0)]) - 1.8).abs() < 1e-6);
        // The dot with a sum is the sum of the dots: average linkage in one product.
        let (a, b) = ([(1u64, 0.6f32), (3, 0.8)], [(2u64, 1.0f32), (3, 1.0)]);
        let v = [(1u64, 0.5f32), (3, 0.5)];
        let direct = Centroid(a.to_vec()).dot(&v) + Centroid(b.to_vec()).dot(&v);
        assert!((c.dot(&v) - direct).abs() < 1e-6);
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
    fn decay_of_undated_days_is_one() {
        let prior = TimePrior::new(&crate::StoryConfig::default());
        assert_eq!(decay(&prior, 10, 3), prior.factor(7));
        assert_eq!(decay(&prior, NO_DAY, 3), 1.0);
    }
}

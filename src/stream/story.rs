//! Incremental story state: TF-IDF vectors weighed on arrival and the summed
//! vectors (centroids) that give a story's average linkage in one dot product.

use super::NO_DAY;
pub(crate) use crate::stories::link::Centroid;
use crate::stories::{stream_idf, top_terms, weigh, TimePrior};

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
    /// frequencies known so far (see [`stream_idf`]).
    pub(crate) fn new(
        bag: Vec<(u64, f32)>,
        df: impl Fn(u64) -> u32,
        n: u64,
        top_terms_wanted: usize,
    ) -> Self {
        let vector = weigh(&bag, |k| stream_idf(df(k), n));
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
    fn decay_of_undated_days_is_one() {
        let prior = TimePrior::new(&crate::StoryConfig::default());
        assert_eq!(decay(&prior, 10, 3), prior.factor(7));
        assert_eq!(decay(&prior, NO_DAY, 3), 1.0);
    }
}

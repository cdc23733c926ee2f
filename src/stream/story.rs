//! Incremental story state: TF-IDF vectors weighed on arrival, the summed
//! vectors (centroids) that give a story's average linkage in one dot
//! product, and the members a young story keeps to be re-cut.

use super::NO_DAY;
use crate::article::Day;
pub(crate) use crate::stories::link::Centroid;
use crate::stories::{
    link, log_tf, pair_similarity, top_terms, weigh_stream, Numbers, PairRule, Side, TimePrior,
    Vector,
};

/// A story no copy group has joined while this many others were started is
/// settled (its members let go): what re-cuts keep stays bounded in a stream
/// without a window.
pub(crate) const RECUT_HORIZON: u64 = 1 << 16;

/// A story of at most this many copy groups keeps each group's features
/// and is weighed and clustered again (average linkage over its groups, as
/// a batch clusters) whenever a group joins it; a larger one is settled and
/// only grows.
pub(crate) const MAX_MEMBERS: usize = 64;

/// One article's features, weighed when it starts a copy group.
#[derive(Clone, Debug)]
pub(crate) struct Weighed {
    /// Every feature with its term frequency (see [`log_tf`]).
    pub(crate) tf: Vec<(u64, f32)>,
    /// Unit TF-IDF vector, sorted by key.
    pub(crate) vector: Vec<(u64, f32)>,
    /// The same of the features another copy group carries too: what it is
    /// compared with (see [`weigh_stream`]).
    pub(crate) shared: Vec<(u64, f32)>,
    /// The heaviest keys, for candidate stories.
    pub(crate) top: Vec<u64>,
    /// The numbers and years it states.
    pub(crate) numbers: Numbers,
}

impl Weighed {
    /// Weighs a bag (sorted by key, raw counts) with `df(key)` copy groups
    /// carrying each feature out of `n`, this article counted in both, as
    /// frequencies known so far (see [`weigh_stream`]).
    pub(crate) fn new(
        bag: Vec<(u64, f32)>,
        numbers: Numbers,
        df: impl Fn(u64) -> u32,
        n: u64,
        top_terms_wanted: usize,
    ) -> Self {
        let tf = log_tf(&bag);
        let (vector, shared) = weigh_stream(&tf, df, n);
        let top = top_terms(&vector, top_terms_wanted);
        Weighed {
            tf,
            vector,
            shared,
            top,
            numbers,
        }
    }
}

/// A copy group of a story that may still be re-cut: what the story keeps
/// of it to weigh and cluster its groups again.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Member {
    /// The copy group (a root: a copy group merge settles the story).
    pub(crate) group: u32,
    /// Day of the group's first article (`NO_DAY` when undated).
    pub(crate) day: i64,
    /// Latest window key of the group's articles.
    pub(crate) last_key: i64,
    /// Latest day of the group's articles.
    pub(crate) last_day: i64,
    /// Its first article's features with their term frequencies (see
    /// [`log_tf`]), sorted by key.
    pub(crate) tf: Vec<(u64, f32)>,
    /// Its key terms as weighed on arrival.
    pub(crate) top: Vec<u64>,
    /// The numbers and years it states.
    pub(crate) numbers: Numbers,
}

impl Member {
    /// Copy group `group`'s first article, weighed as `w`, dated `day`,
    /// arrived at window key `key`.
    pub(crate) fn new(group: u32, day: i64, key: i64, w: &Weighed) -> Self {
        Self::of(
            group,
            day,
            key,
            w.tf.clone(),
            w.top.clone(),
            w.numbers.clone(),
        )
    }

    /// As [`new`](Self::new), taking the features of `w` (its unit vector
    /// comes back with it).
    pub(crate) fn take(group: u32, day: i64, key: i64, w: Weighed) -> (Self, Vector) {
        let member = Self::of(group, day, key, w.tf, w.top, w.numbers);
        (member, w.vector)
    }

    fn of(group: u32, day: i64, key: i64, tf: Vector, top: Vec<u64>, numbers: Numbers) -> Self {
        Member {
            group,
            day,
            last_key: key,
            last_day: day,
            tf,
            top,
            numbers,
        }
    }
}

/// The similarity of two members, each with its vector, as the batch scores
/// a pair of documents ([`pair_similarity`]): the cosine, discounted by how
/// few features carry it, by the time prior (0 beyond its horizon), and by
/// the penalty for each kind of conflict in the numbers they state.
fn member_similarity<'a>(
    prior: &TimePrior,
    rule: PairRule,
    a: (&'a Member, &'a [(u64, f32)]),
    b: (&'a Member, &'a [(u64, f32)]),
) -> f64 {
    // A stream's days are a `Day`'s, widened; `NO_DAY` does not fit back.
    let side = |(m, vector): (&'a Member, &'a [(u64, f32)])| Side {
        vector,
        day: i32::try_from(m.day).ok().map(Day::from_days),
        numbers: &m.numbers,
    };
    pair_similarity(prior, rule, side(a), side(b))
}

/// Average linkage (as the batch clusters) over `members`, each with its
/// vector, at `threshold`: the parts they fall into, as indices into
/// `members` in ascending order, the parts in order of their first index.
pub(crate) fn recut(
    prior: &TimePrior,
    rule: PairRule,
    threshold: f64,
    members: &[(&Member, Vector)],
) -> Vec<Vec<u32>> {
    let n = members.len();
    let mut sims = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, a) in members.iter().enumerate() {
        for (j, b) in members.iter().enumerate().skip(i + 1) {
            let s = member_similarity(prior, rule, (a.0, &a.1), (b.0, &b.1));
            if s > 0.0 {
                sims.push((i as u32, j as u32, s));
            }
        }
    }
    let (labels, _) = link(n, &sims, threshold);
    let mut parts: Vec<Vec<u32>> = Vec::new();
    let mut part_of = vec![u32::MAX; n];
    for (i, &l) in labels.iter().enumerate() {
        let l = l as usize;
        if part_of[l] == u32::MAX {
            part_of[l] = parts.len() as u32;
            parts.push(Vec::new());
        }
        parts[part_of[l] as usize].push(i as u32);
    }
    parts
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
    /// Its copy groups, while it may be re-cut (at most [`MAX_MEMBERS`];
    /// empty once settled, frozen or merged away).
    pub(crate) members: Vec<Member>,
    /// Grown past [`MAX_MEMBERS`], joined by a copy group merge or quiet
    /// for [`RECUT_HORIZON`] copy groups: never re-cut again.
    pub(crate) settled: bool,
    /// Copy groups started before its last join (or re-cut).
    pub(crate) joined: u64,
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
            members: Vec::new(),
            settled: false,
            joined: 0,
        }
    }
}

impl StoryState {
    /// A story of one copy group `member` with unit vector `vector`,
    /// started by document `first`.
    pub(crate) fn new(first: u32, me: u32, member: Member, vector: Vector) -> Self {
        StoryState {
            first,
            parent: me,
            size: 1,
            centroid: Centroid(vector),
            members: vec![member],
            ..StoryState::default()
        }
    }

    /// A story of re-cut `members` (at least one), each with its vector,
    /// started by document `first`: its centroid, size and activity from
    /// theirs.
    pub(crate) fn of_members(first: u32, me: u32, members: Vec<(Member, Vector)>) -> Self {
        let mut st = StoryState {
            first,
            parent: me,
            size: members.len() as u32,
            centroid: Centroid::sum(members.iter().map(|e| e.1.as_slice())),
            ..StoryState::default()
        };
        for (m, _) in &members {
            st.last_key = st.last_key.max(m.last_key);
            st.last_day = st.last_day.max(m.last_day);
        }
        st.members = members.into_iter().map(|e| e.0).collect();
        st
    }

    /// Adds copy group `member` with unit vector `vector` (kept as a member
    /// while the story may be re-cut).
    pub(crate) fn absorb(&mut self, member: Member, vector: &[(u64, f32)]) {
        self.centroid.add(vector);
        self.size += 1;
        if !self.settled {
            self.members.push(member);
            self.settle_if_large();
        }
    }

    pub(crate) fn absorb_story(&mut self, other: StoryState) {
        self.centroid.add(&other.centroid.0);
        self.size += other.size;
        self.settled |= other.settled;
        self.members.extend(other.members);
        self.settle_if_large();
    }

    /// Stops re-cutting (its members are let go).
    pub(crate) fn settle(&mut self) {
        self.settled = true;
        self.members = Vec::new();
    }

    fn settle_if_large(&mut self) {
        if self.settled || self.members.len() > MAX_MEMBERS {
            self.settle();
        }
    }

    /// Whether it may be re-cut when copy groups number `clock`, stories
    /// quiet for `horizon` groups being settled.
    pub(crate) fn recuttable(&self, clock: u64, horizon: u64) -> bool {
        !self.settled && !self.frozen && self.joined + horizon > clock
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
    fn members_beyond_the_horizon_are_not_similar() {
        let config = crate::StoryConfig::default();
        let prior = TimePrior::new(&config);
        let member = |day: i64| Member {
            group: 0,
            day,
            last_key: day,
            last_day: day,
            tf: vec![(1, 1.0)],
            top: vec![1],
            numbers: Numbers::default(),
        };
        let v = [(1u64, 1.0f32)];
        // One feature carries the cosine: no evidence discount, to see time alone.
        let rule = PairRule {
            penalty: 0.3,
            evidence: 0.0,
        };
        let sim = |a: i64, b: i64| {
            member_similarity(&prior, rule, (&member(a), &v[..]), (&member(b), &v[..]))
        };
        let h = i64::from(config.horizon_days);
        assert_eq!(sim(0, 0), 1.0);
        assert!(sim(0, h) > 0.0);
        assert_eq!(sim(0, h + 1), 0.0);
        assert_eq!(sim(NO_DAY, h + 1), 1.0);
    }

    #[test]
    fn decay_of_undated_days_is_one() {
        let prior = TimePrior::new(&crate::StoryConfig::default());
        assert_eq!(decay(&prior, 10, 3), prior.factor(7));
        assert_eq!(decay(&prior, NO_DAY, 3), 1.0);
    }
}

//! Candidate pairs of the story tier: documents that share at least
//! [`min_shared_terms`](crate::StoryConfig::min_shared_terms) of their key
//! terms (heaviest features) within the time prior's horizon.
//!
//! Each document posts its key terms under *keys* `(term, time bucket)`:
//! - a dated document under its own bucket (`day / width`, the width being
//!   the time prior's horizon) as a *home* member, and under the bucket
//!   before and under the undated bucket as a *visitor*;
//! - an undated document under the undated bucket, at home.
//!
//! A key gives the pairs of its members of which at least one is at home.
//! So two documents sharing a term meet under exactly one key: dated ones in
//! the same or adjacent buckets (at most two horizons apart), an undated one
//! with anyone. A key with more than
//! [`max_posting`](crate::StoryConfig::max_posting) members names a topic,
//! not an event (a word every article of a fortnight uses), and gives
//! nothing. At archive scale this keeps every key's list to one fortnight's
//! news, where a list per term would hold years of it.
//!
//! An engine shuffles [`Posting`]s by key and runs [`pairs_of_key`] on each
//! key's members; one process does the same counting document by document,
//! in memory linear in the postings.

use rayon::prelude::*;

use super::link::ByItem;
use super::weight::TimePrior;
use crate::article::Day;
use crate::config::StoryConfig;
use crate::hash::{sort_by_hash, BucketScratch};

/// The time bucket of undated documents.
pub const UNDATED: i32 = i32::MIN;

/// One key term of one document, posted under a time bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Posting {
    /// The term (a feature key).
    pub term: u64,
    /// The time bucket ([`UNDATED`] for the undated bucket).
    pub bucket: i32,
    /// The document.
    pub doc: u64,
    /// Whether the document lives in this bucket (or visits it).
    pub home: bool,
}

impl Posting {
    /// The key postings are grouped by.
    pub fn key(&self) -> (u64, i32) {
        (self.term, self.bucket)
    }
}

/// The blocking rule of one configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Blocking {
    /// Bucket width in days (`None`: time does not decay, one bucket).
    width: Option<u32>,
    cap: usize,
    min_shared: usize,
    top_terms: usize,
}

impl Blocking {
    /// The blocking rule of `config`.
    pub(crate) fn new(config: &StoryConfig) -> Self {
        Blocking {
            width: TimePrior::new(config).horizon(),
            cap: config.max_posting,
            min_shared: config.min_shared_terms.max(1),
            top_terms: config.top_terms,
        }
    }

    /// Key terms per document.
    pub(crate) fn top_terms(&self) -> usize {
        self.top_terms
    }

    /// Shared key terms a candidate pair needs.
    pub(crate) fn min_shared(&self) -> usize {
        self.min_shared
    }

    /// Appends the postings of document `doc` with key `terms` and `day`.
    pub(crate) fn postings(
        &self,
        doc: u64,
        terms: &[u64],
        day: Option<Day>,
        out: &mut Vec<Posting>,
    ) {
        out.extend(self.posted(terms, day).map(|(term, bucket, home)| Posting {
            term,
            bucket,
            doc,
            home,
        }));
    }

    /// Each of `terms` (of a document of `day`) under each bucket it is
    /// posted under, bucket by bucket: `(term, bucket, home)`.
    fn posted<'t>(
        &self,
        terms: &'t [u64],
        day: Option<Day>,
    ) -> impl Iterator<Item = (u64, i32, bool)> + 't {
        let (buckets, count) = self.buckets(day);
        buckets
            .into_iter()
            .take(count)
            .flat_map(move |(bucket, home)| terms.iter().map(move |&term| (term, bucket, home)))
    }

    /// The buckets a document of `day` is posted under, as `(bucket, home)`:
    /// the first `count` of the array. A dated document (with a time
    /// horizon) is at home in its own time bucket and visits the one before
    /// and the undated one; any other is at home with the undated.
    fn buckets(&self, day: Option<Day>) -> ([(i32, bool); 3], usize) {
        match (day, self.width) {
            (Some(day), Some(width)) => {
                // Above the undated bucket and the one before it, whatever
                // the day (a `Day` holds any `i32`).
                let bucket = day.days().div_euclid(width as i32).max(UNDATED + 2);
                ([(bucket, true), (bucket - 1, false), (UNDATED, false)], 3)
            }
            _ => ([(UNDATED, true), (UNDATED, false), (UNDATED, false)], 1),
        }
    }

    /// The bucket a document of `day` is at home in (see
    /// [`buckets`](Self::buckets)).
    fn home(&self, day: Option<Day>) -> i32 {
        self.buckets(day).0[0].0
    }

    /// Whether a key's members are few enough to give pairs.
    pub(crate) fn expands(&self, members: usize) -> bool {
        members <= self.cap
    }
}

/// The pairs one key gives: every pair of `members` (the postings of one
/// key) with at least one at home, as `(smaller doc, larger doc)`; nothing
/// when the key has more members than `max_posting`. Returns
/// whether the key was expanded.
pub(crate) fn pairs_of_key(
    blocking: &Blocking,
    members: &[Posting],
    mut emit: impl FnMut(u64, u64),
) -> bool {
    if !blocking.expands(members.len()) {
        return false;
    }
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
            if (a.home || b.home) && a.doc != b.doc {
                emit(a.doc.min(b.doc), a.doc.max(b.doc));
            }
        }
    }
    true
}

/// Candidate pairs of documents `0..terms.len()` with key `terms` and
/// `days`, ascending, and the number of keys too common to expand.
///
/// Shared terms are counted document by document (each against the later
/// documents it meets under its keys), so memory stays linear in the
/// postings and the pairs kept.
pub(crate) fn candidate_pairs(
    blocking: &Blocking,
    terms: &[Vec<u64>],
    days: &[Option<Day>],
) -> (Vec<(u32, u32)>, u64) {
    // The postings, documents in parallel (in document order), each in
    // half a [`Posting`]'s size: whether a document is at home under a
    // bucket is told again from its day below.
    let mut postings: Vec<Slot> = terms
        .par_iter()
        .zip(days)
        .enumerate()
        .flat_map_iter(|(d, (t, &day))| {
            blocking.posted(t, day).map(move |(term, bucket, _)| Slot {
                term,
                bucket,
                doc: d as u32,
            })
        })
        .collect();
    group_by_key(&mut postings);
    // Each expanded key's members, `doc << 1 | home`, in document order (a
    // quarter of a posting's size: the counting below reads them over and
    // over).
    let mut members: Vec<u64> = Vec::new();
    let mut lists: Vec<std::ops::Range<usize>> = Vec::new();
    let mut skipped = 0;
    for run in postings.chunk_by(|a, b| a.key() == b.key()) {
        if !blocking.expands(run.len()) {
            skipped += 1;
            continue;
        }
        if run.len() < 2 {
            continue;
        }
        let start = members.len();
        members.extend(run.iter().map(|p| {
            let home = blocking.home(days[p.doc as usize]) == p.bucket;
            u64::from(p.doc) << 1 | u64::from(home)
        }));
        lists.push(start..members.len());
    }
    drop(postings);
    // Each document's usable keys, `(key number, at home)`, in key order.
    let keys = ByItem::new(terms.len(), || {
        lists.iter().enumerate().flat_map(|(key, list)| {
            members[list.clone()]
                .iter()
                .map(move |&m| ((m >> 1) as usize, (key as u32, m & 1 == 1)))
        })
    });
    let min_shared = blocking.min_shared as u32;
    // A document's later partners are counted in one array per thread (the
    // keys they share), not gathered and sorted: the lists hold up to `cap`
    // documents each and most partners share one key only.
    let scratch = || (vec![0u32; terms.len()], Vec::new());
    let pairs = (0..terms.len())
        .into_par_iter()
        .map_init(scratch, |(shared, met), d| {
            for &(key, home) in keys.of(d) {
                let list = &members[lists[key as usize].clone()];
                for &o in &list[list.partition_point(|&o| o >> 1 <= d as u64)..] {
                    if home || o & 1 == 1 {
                        let count = &mut shared[(o >> 1) as usize];
                        if *count == 0 {
                            met.push((o >> 1) as u32);
                        }
                        *count += 1;
                    }
                }
            }
            let mut partners: Vec<(u32, u32)> = Vec::new();
            for o in met.drain(..) {
                if std::mem::take(&mut shared[o as usize]) >= min_shared {
                    partners.push((d as u32, o));
                }
            }
            partners.sort_unstable();
            partners
        })
        .flatten_iter()
        .collect();
    (pairs, skipped)
}

/// One key term of one document under a time bucket, as
/// [`candidate_pairs`] sorts them: a [`Posting`] without its home flag.
#[derive(Clone, Copy, Debug)]
struct Slot {
    term: u64,
    bucket: i32,
    doc: u32,
}

impl Slot {
    fn key(&self) -> (u64, i32) {
        (self.term, self.bucket)
    }
}

/// Groups `postings` by key, each key's in the order given (postings are
/// made document by document, so each key's members stay in document
/// order). Terms are uniform hashes ([`sort_by_hash`]).
fn group_by_key(postings: &mut [Slot]) {
    sort_by_hash(postings, Slot::key, |k| k.0, &mut BucketScratch::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's way: postings grouped by key, each key's pairs, then
    /// pairs counted and kept with enough shared terms.
    fn by_keys(blocking: &Blocking, terms: &[Vec<u64>], days: &[Option<Day>]) -> Vec<(u32, u32)> {
        let mut postings = Vec::new();
        for (d, (t, &day)) in terms.iter().zip(days).enumerate() {
            let before = postings.len();
            blocking.postings(d as u64, t, day, &mut postings);
            // Each term at home under exactly one bucket.
            let made = &postings[before..];
            assert_eq!(made.iter().filter(|p| p.home).count(), t.len());
        }
        postings.sort_unstable();
        let mut pairs = Vec::new();
        for run in postings.chunk_by(|a, b| a.key() == b.key()) {
            pairs_of_key(blocking, run, |a, b| pairs.push((a as u32, b as u32)));
        }
        pairs.sort_unstable();
        pairs
            .chunk_by(|a, b| a == b)
            .filter(|run| run.len() >= blocking.min_shared())
            .map(|run| run[0])
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn document_by_document_equals_key_by_key(
            docs in proptest::collection::vec(
                (proptest::collection::btree_set(0u64..12, 0..6), proptest::option::of(0i32..120)),
                0..80,
            ),
            cap in 2usize..30,
        ) {
            let config = StoryConfig { max_posting: cap, ..StoryConfig::default() };
            let blocking = Blocking::new(&config);
            let terms: Vec<Vec<u64>> = docs.iter().map(|d| d.0.iter().copied().collect()).collect();
            let days: Vec<Option<Day>> = docs.iter().map(|d| d.1.map(Day::from_days)).collect();
            let (pairs, _) = candidate_pairs(&blocking, &terms, &days);
            proptest::prop_assert_eq!(pairs, by_keys(&blocking, &terms, &days));
        }
    }

    #[test]
    fn a_day_at_the_end_of_the_range_is_neither_undated_nor_an_overflow() {
        // With a one-day horizon the earliest day's bucket would be the
        // undated one, and the bucket before it past the end of `i32`.
        let config = StoryConfig {
            horizon_days: 1,
            ..StoryConfig::default()
        };
        let blocking = Blocking::new(&config);
        let terms = vec![vec![1, 2]; 3];
        let days = [Some(i32::MIN), Some(0), None].map(|d| d.map(Day::from_days));
        let (pairs, _) = candidate_pairs(&blocking, &terms, &days);
        assert_eq!(pairs, vec![(0, 2), (1, 2)]);
    }

    #[test]
    fn dated_documents_meet_within_two_horizons_undated_ones_always() {
        let config = StoryConfig::default();
        let blocking = Blocking::new(&config);
        let h = TimePrior::new(&config).horizon().unwrap() as i32;
        let terms = vec![vec![1, 2]; 4];
        let days = [Some(0), Some(h - 1), Some(3 * h), None].map(|d| d.map(Day::from_days));
        let (pairs, _) = candidate_pairs(&blocking, &terms, &days);
        assert_eq!(pairs, vec![(0, 1), (0, 3), (1, 3), (2, 3)]);
    }
}

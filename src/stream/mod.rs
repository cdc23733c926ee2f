//! A live news stream: add articles as they arrive and get their copy group
//! and story at once, with a time window after which old articles leave the
//! index and quiet stories are frozen.
//!
//! [`Stream`] keeps the copy tier's [`CopyIndex`] and, above it, incremental
//! story state:
//!
//! - **Copy groups.** A new article joins the group of the best verified copy
//!   whose representative (the group's longest version) it stays close to, with the
//!   same verification and drift guard as the batch
//!   [`Clusterer`](crate::Clusterer). When it verifies against two groups
//!   whose representatives are close to each other, the groups merge.
//! - **Stories.** An article that starts a new copy group is weighed as a
//!   TF-IDF vector (IDF over the copy groups seen so far, as though at
//!   least 100 had been seen; under a window, a
//!   feature no group has carried inside the window is forgotten) and joins the story
//!   whose *average* similarity to it (the batch tier's average linkage,
//!   computed against the story's summed vectors, over the features another
//!   group carries too) reaches
//!   [`StoryConfig::threshold`](crate::StoryConfig), candidates found through
//!   the stories' key terms. When the article makes two stories' average
//!   linkage reach the threshold, they merge.
//! - **Re-cuts.** A greedy stream decides each article once, with what it
//!   has seen so far: the first reports of a second, similar event (the
//!   next election of one country) join the first event's story while
//!   their shared names are all it knows. So while the stories an article
//!   reaches hold at most 64 copy groups together, each keeps its groups'
//!   features, and every join weighs them again with the frequencies known
//!   now and clusters them anew as the batch does (average linkage over
//!   pairs, the time prior, conflicting numbers and years as evidence
//!   against): a story can split, and stories can merge. A larger story is
//!   settled and only grows.
//!
//! Ids are stable: a copy group and a story are named by their first article
//! and keep that name as they grow. A merge keeps the older name and is
//! reported as an [`Event`], never a silent rename: afterwards the absorbed
//! name's articles answer with the kept one. A re-cut reports the copy
//! groups that moved to another story ([`Event::GroupsMoved`]); a story
//! split off is named by its first article, like any story, and
//! [`settle`] replays all of it into each article's final story.
//!
//! Under a [`Window`] memory stays bounded: once half of the stored articles
//! have left the window, the stream compacts (amortised: at most once per
//! doubling of the stored articles), keeping only the live articles, the
//! groups and stories they belong to, and the first article and
//! representative that name each kept group and story. Compaction changes
//! no answer.
//!
//! Everything is sequential and deterministic: the same articles in the same
//! order give the same assignments, and a snapshot taken halfway
//! ([`Stream::save`]) continues exactly as the uninterrupted stream would.

mod df;
mod format;
mod story;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::article::Article;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::hash::Map;
use crate::index::CopyIndex;
use crate::sketch::{SignScratch, Sketch};
use crate::stories::{FeatureExtractor, FeatureScratch, Numbers, PairRule, TimePrior};
use crate::text::truncate_to_boundary;

use crate::stories::{weigh_stream, Vector};
use df::DocFrequencies;
pub(crate) use story::StoryState;
use story::{recut, Centroid, Member, Weighed, MAX_MEMBERS, RECUT_HORIZON};

/// A new copy group is scored against at most this many candidate stories,
/// those sharing the most key terms with it: one article names one event,
/// and a long tail of stories sharing two common terms only costs time.
const MAX_CANDIDATE_STORIES: usize = 16;

/// Fewer document numbers than this are never compacted: not worth a pause.
const COMPACT_AT_LEAST: usize = 64;

/// An article without a usable date.
pub(crate) const NO_DAY: i64 = i64::MIN;

/// An article's day as the stream keeps it (`NO_DAY` when undated or
/// unreadable), and whether its date was unreadable.
fn day_of(article: &Article) -> (i64, bool) {
    match article.day() {
        Ok(day) => (day.map_or(NO_DAY, |d| i64::from(d.days())), false),
        Err(_) => (NO_DAY, true),
    }
}

/// How long articles stay in a [`Stream`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Window {
    /// Nothing ever leaves.
    Unbounded,
    /// Articles dated more than this many days before the latest date seen
    /// leave the index; a story without an article in that span is frozen.
    /// An undated article counts as dated on the latest date seen when it
    /// arrives.
    Days(u32),
    /// Only the most recent this many articles (by arrival) stay; a story
    /// that none of them joined is frozen.
    Articles(u64),
}

/// Something that changed besides the new article's own assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The article linked two copy groups: `absorbed`'s articles now belong
    /// to `kept` (the older of the two).
    CopyGroupsMerged {
        /// The surviving copy group id.
        kept: String,
        /// The copy group id that no longer exists.
        absorbed: String,
    },
    /// The article linked two stories: `absorbed`'s articles now belong to
    /// `kept` (the older of the two).
    StoriesMerged {
        /// The surviving story id.
        kept: String,
        /// The story id that no longer exists.
        absorbed: String,
    },
    /// Clustering the stories an article reached again with it (while
    /// they hold at most 64 copy groups together, as a batch clusters
    /// them) moved `copy_groups` from story `from` to story `to`: a story
    /// split off (named by its first article, like any story) or another
    /// story of the re-cut.
    GroupsMoved {
        /// The story the copy groups left (it keeps its name).
        from: String,
        /// The story they joined.
        to: String,
        /// The copy groups that moved, by id.
        copy_groups: Vec<String>,
    },
    /// A story went quiet for longer than the window: it takes no more
    /// articles (a later article on the event starts a new story).
    StoryFrozen {
        /// The frozen story's id.
        story: String,
    },
}

/// Where a new article went.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The article's id.
    pub id: String,
    /// Its copy group's id (the group's first article).
    pub copy: String,
    /// Its story's id (the story's first article).
    pub story: String,
    /// Similarity to the copy group's representative (1 when it starts the group).
    pub copy_score: f32,
    /// Average similarity to the story's copy groups (1 when it starts the
    /// story; the story's when it joined an existing copy group).
    pub story_score: f64,
    /// Whether the article started a copy group.
    pub new_copy_group: bool,
    /// Whether the article started a story.
    pub new_story: bool,
    /// Merges and freezes this article caused, in the order they happened.
    pub events: Vec<Event>,
}

/// Renames, in place, each assignment's copy group and story by the merges
/// and moves reported after it (in this slice), so that every article
/// carries the names its group has at the end: the final grouping of a
/// replayed stream, evicted articles included.
///
/// # Example
/// ```
/// use storyhash::{settle, Assignment, Event};
/// let a = |id: &str, story: &str, events: Vec<Event>| Assignment {
///     id: id.into(), copy: id.into(), story: story.into(), copy_score: 1.0,
///     story_score: 1.0, new_copy_group: true, new_story: id == story, events,
/// };
/// let mut log = vec![
///     a("x", "x", vec![]),
///     a("y", "y", vec![]),
///     a("z", "x", vec![Event::StoriesMerged { kept: "x".into(), absorbed: "y".into() }]),
/// ];
/// settle(&mut log);
/// assert_eq!(log[1].story, "x");
/// ```
pub fn settle(assignments: &mut [Assignment]) {
    // Copy groups only merge: renames resolved at the end. Stories merge and
    // split, so each copy group's story is followed as the events come: a
    // story is a slot of groups (stale entries are skipped on a move), and
    // a merge moves the smaller slot's groups into the larger.
    let mut copy: HashMap<String, String> = HashMap::new();
    let mut slots = Slots::default();
    for a in assignments.iter() {
        for e in &a.events {
            match e {
                Event::CopyGroupsMerged { kept, absorbed } => {
                    copy.insert(absorbed.clone(), kept.clone());
                    slots.group.remove(absorbed);
                }
                Event::StoriesMerged { kept, absorbed } => slots.merge(kept, absorbed),
                Event::GroupsMoved {
                    to, copy_groups, ..
                } => {
                    let to = slots.slot(to);
                    for g in copy_groups {
                        slots.place(g, to);
                    }
                }
                Event::StoryFrozen { .. } => {}
            }
        }
        let to = slots.slot(&a.story);
        slots.place(&a.copy, to);
    }
    for a in assignments {
        while let Some(next) = copy.get(a.copy.as_str()) {
            a.copy.clone_from(next);
        }
        if let Some(&at) = slots.group.get(&a.copy) {
            a.story.clone_from(&slots.name[at]);
        }
    }
}

/// Stories as slots of copy groups, for [`settle`].
#[derive(Default)]
struct Slots {
    /// Each story's slot.
    of: HashMap<String, usize>,
    /// Each slot's story and groups (some since moved on).
    name: Vec<String>,
    groups: Vec<Vec<String>>,
    /// Each copy group's slot.
    group: HashMap<String, usize>,
}

impl Slots {
    fn new_slot(&mut self, story: &str) -> usize {
        self.name.push(story.to_owned());
        self.groups.push(Vec::new());
        self.of.insert(story.to_owned(), self.name.len() - 1);
        self.name.len() - 1
    }

    fn slot(&mut self, story: &str) -> usize {
        match self.of.get(story) {
            Some(&at) => at,
            None => self.new_slot(story),
        }
    }

    fn place(&mut self, group: &str, at: usize) {
        if self.group.get(group) != Some(&at) {
            self.group.insert(group.to_owned(), at);
            self.groups[at].push(group.to_owned());
        }
    }

    fn merge(&mut self, kept: &str, absorbed: &str) {
        let Some(gone) = self.of.remove(absorbed) else {
            return;
        };
        let keep = self.slot(kept);
        let (big, small) = if self.groups[keep].len() >= self.groups[gone].len() {
            (keep, gone)
        } else {
            (gone, keep)
        };
        for g in std::mem::take(&mut self.groups[small]) {
            if self.group.get(&g) == Some(&small) {
                self.group.insert(g.clone(), big);
                self.groups[big].push(g);
            }
        }
        self.name[big] = kept.to_owned();
        self.of.insert(kept.to_owned(), big);
    }
}

/// Counters of a stream's life so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStats {
    /// Articles added.
    pub added: u64,
    /// Articles that left through the window.
    pub evicted: u64,
    /// Articles removed by the caller.
    pub removed: u64,
    /// Copy groups started.
    pub copy_groups: u64,
    /// Stories started.
    pub stories: u64,
    /// Copy group merges.
    pub copy_merges: u64,
    /// Story merges.
    pub story_merges: u64,
    /// Story splits (each counts one new story in `stories` too).
    pub story_splits: u64,
    /// Stories frozen by the window.
    pub frozen: u64,
    /// Articles whose date could not be read, taken as undated.
    pub bad_dates: u64,
    /// Articles dated too far after the newest date seen, taken as undated.
    pub future_dates: u64,
}

/// A copy group of the stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Group {
    /// First article: the group's name.
    pub(crate) first: u32,
    /// Longest version: what new members are verified against.
    pub(crate) representative: u32,
    /// Story (resolve with `Stream::story_root`).
    pub(crate) story: u32,
    /// Itself, or the group it was merged into.
    pub(crate) parent: u32,
}

/// An incremental copy-and-story clusterer for articles that arrive over time.
///
/// # Example
/// ```
/// use storyhash::{Article, Config, Stream, Window};
/// let mut stream = Stream::new(&Config::default(), Window::Days(30))?;
/// let wire = "Firefighters in Lanmore battled a blaze at the old Corran textile mill \
///             for six hours on Sunday before bringing it under control, the county fire service said.";
/// let first = stream.add(&Article::new("wire", wire).with_date("2026-03-01"))?;
/// assert!(first.new_copy_group && first.new_story);
/// let copy = stream.add(&Article::new("site", format!("LANMORE - {wire} Subscribe now."))
///     .with_date("2026-03-01"))?;
/// assert_eq!((copy.copy.as_str(), copy.story.as_str()), ("wire", "wire"));
/// assert_eq!(stream.story_of("site"), Some("wire"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Stream {
    pub(crate) index: CopyIndex,
    pub(crate) window: Window,
    features: FeatureExtractor,
    prior: TimePrior,
    /// Copy group of each document number (resolve with `group_root`).
    pub(crate) doc_group: Vec<u32>,
    /// Window key of each document number: its day, or its arrival number.
    pub(crate) doc_key: Vec<i64>,
    /// Date of each document number (`NO_DAY` when undated).
    pub(crate) doc_day: Vec<i64>,
    pub(crate) groups: Vec<Group>,
    pub(crate) stories: Vec<StoryState>,
    /// Copy groups that carry each feature, for IDF.
    pub(crate) df: DocFrequencies,
    /// Document numbers in use after the last compaction.
    compacted: usize,
    /// Key term -> stories listing it.
    postings: Map<u64, Posting>,
    /// The latest day seen (`NO_DAY` before any dated article).
    pub(crate) latest_day: i64,
    pub(crate) stats: StreamStats,
    /// Live documents by window key, oldest first.
    evict: BinaryHeap<Reverse<(i64, u32)>>,
    /// Active stories by last window key (stale entries are skipped).
    freeze: BinaryHeap<Reverse<(i64, u32)>>,
    /// Stories that keep members, by their last join, oldest first (stale
    /// entries are skipped): the ones past [`RECUT_HORIZON`] are settled.
    recent: VecDeque<(u64, u32)>,
    /// [`RECUT_HORIZON`] (smaller in tests).
    recut_horizon: u64,
}

/// The stories listing one key term: `active` of them count, the rest of
/// `stories` were frozen or merged away since and are dropped lazily.
#[derive(Clone, Debug, Default)]
struct Posting {
    active: u32,
    stories: Vec<u32>,
}

/// The stories a new copy group scores against.
#[derive(Default)]
struct Choice {
    /// The story it joins, with its average similarity.
    best: Option<(u32, f64)>,
    /// The stories the join merges into it.
    merges: Vec<u32>,
    /// The other stories it reaches the threshold with, best first.
    others: Vec<u32>,
}

/// Stories clustered again with a new copy group: the `stories` involved
/// (roots), and the `parts` their groups and the new one (numbered
/// `groups.len()`) fall into, each sorted, oldest group first.
struct Recut {
    stories: Vec<u32>,
    parts: Vec<Vec<u32>>,
    /// Each group's unit vector (every feature) weighed again.
    vectors: Vec<(u32, Vector)>,
}

/// What adding an article would do, decided before anything changes.
struct Plan {
    /// Join this copy group (root) with this score, merging these others.
    join: Option<(u32, f32)>,
    merge_groups: Vec<u32>,
    /// The new representative when the article is longer than the group's.
    lead: bool,
    /// For a new copy group: its weighed features and story decision.
    weighed: Option<Weighed>,
    story: Option<(u32, f64)>,
    merge_stories: Vec<u32>,
    /// For a new copy group joining stories that may be re-cut: how.
    recut: Option<Recut>,
}

impl Stream {
    /// An empty stream for `config` with `window`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field, or `window` when it
    /// is zero.
    pub fn new(config: &Config, window: Window) -> Result<Self> {
        Self::with_index(CopyIndex::new(config)?, window)
    }

    pub(crate) fn with_index(index: CopyIndex, window: Window) -> Result<Self> {
        if matches!(window, Window::Days(0) | Window::Articles(0)) {
            return Err(Error::config("window", "must be at least 1"));
        }
        let c = index.config();
        let features = FeatureExtractor::new(
            c.sketch.seed,
            c.stories.title_weight as f32,
            c.stories.fact_weight as f32,
        );
        let prior = TimePrior::new(&c.stories);
        Ok(Stream {
            prior,
            index,
            window,
            features,
            doc_group: Vec::new(),
            doc_key: Vec::new(),
            doc_day: Vec::new(),
            groups: Vec::new(),
            stories: Vec::new(),
            df: DocFrequencies::default(),
            compacted: 0,
            postings: Map::default(),
            latest_day: NO_DAY,
            stats: StreamStats::default(),
            evict: BinaryHeap::new(),
            freeze: BinaryHeap::new(),
            recent: VecDeque::new(),
            recut_horizon: RECUT_HORIZON,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.index.config()
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Counters so far.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Articles in the window (added, not yet evicted or removed).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no article is in the window.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The copy group id of an article in the window.
    pub fn copy_group_of(&self, id: &str) -> Option<&str> {
        let d = self.index.doc(id)?;
        let g = self.group_root(self.doc_group[d as usize]);
        Some(self.index.id(self.groups[g as usize].first))
    }

    /// The story id of an article in the window.
    pub fn story_of(&self, id: &str) -> Option<&str> {
        let d = self.index.doc(id)?;
        let s = self.story_of_group(self.doc_group[d as usize]);
        Some(self.index.id(self.stories[s as usize].first))
    }

    /// Adds one article and returns where it went.
    ///
    /// # Errors
    /// [`Error::DuplicateId`] when an article with this id is in the window;
    /// [`Error::EmptyDocument`] or [`Error::DocumentTooLarge`] as for signing.
    /// On error nothing changes.
    pub fn add(&mut self, article: &Article) -> Result<Assignment> {
        self.check_new_id(&article.id, 0, None)?;
        let sketch = self
            .index
            .sketch(&article.text, &mut SignScratch::default())?;
        Ok(self.apply(article, &sketch))
    }

    /// Adds articles in order, signing them in parallel. The result equals
    /// adding them one by one. All or nothing: when any article is refused,
    /// none is added and the error names the first one.
    ///
    /// # Errors
    /// As [`add`](Self::add), with the position in `articles`.
    pub fn add_batch(&mut self, articles: &[Article]) -> Result<Vec<Assignment>> {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(articles.len());
        for (i, a) in articles.iter().enumerate() {
            self.check_new_id(&a.id, i, seen.insert(&a.id, i))?;
        }
        let sketches: Vec<Result<Sketch>> = articles
            .par_iter()
            .enumerate()
            .map_init(SignScratch::default, |scratch, (i, a)| {
                self.index
                    .sketch(&a.text, scratch)
                    .map_err(|e| e.at_index(i))
            })
            .collect();
        let sketches: Vec<Sketch> = sketches.into_iter().collect::<Result<_>>()?;
        Ok(articles
            .iter()
            .zip(&sketches)
            .map(|(a, s)| self.apply(a, s))
            .collect())
    }

    /// Counts `articles` in the document frequencies of the story tier
    /// without adding them: a stream started cold weighs every word as rare
    /// until it has seen enough articles, and a day or two of past articles
    /// fixes that. Features are extracted in parallel.
    pub fn warm_up(&mut self, articles: &[Article]) {
        let bags: Vec<Vec<(u64, f32)>> = articles
            .par_iter()
            .map_init(FeatureScratch::default, |scratch, a| self.bag(a, scratch).0)
            .collect();
        let floor = self.cutoff().unwrap_or(i64::MIN);
        for (a, bag) in articles.iter().zip(bags) {
            let at = self.key_for(day_of(a).0);
            self.df.count(bag.into_iter().map(|e| e.0), at, floor);
        }
    }

    /// Where `article` would go if it were added now, without adding it (the
    /// window is not advanced).
    ///
    /// # Errors
    /// As for signing the article.
    pub fn query(&self, article: &Article) -> Result<Assignment> {
        let sketch = self
            .index
            .sketch(&article.text, &mut SignScratch::default())?;
        let (mut day, _) = day_of(article);
        if self.too_far_ahead(day) {
            day = NO_DAY;
        }
        let latest = if day != NO_DAY {
            self.latest_day.max(day)
        } else {
            self.latest_day
        };
        let plan = self.plan(article, &sketch, day, self.cutoff_at(latest));
        // The names `add` would give: a merge keeps the older group's and
        // the older story's name.
        let new_name = article.id.clone();
        let me = self.groups.len() as u32;
        let (copy, copy_score, story, story_score) = match (plan.join, plan.story) {
            (Some((g, score)), _) => {
                let groups = || std::iter::once(g).chain(plan.merge_groups.iter().copied());
                let oldest = groups().min_by_key(|&x| self.groups[x as usize].first);
                let copy = self.group_name(oldest.unwrap_or(g)).to_owned();
                let story = self.oldest_story_name(groups().map(|x| self.story_of_group(x)));
                (copy, score, story, 1.0)
            }
            (None, Some((s, score))) => {
                let story = match &plan.recut {
                    // The part it falls in is named by its oldest group.
                    Some(r) => {
                        let part = r.parts.iter().find(|p| p.contains(&me));
                        match part.map(|p| p[0]).filter(|&g| g != me) {
                            Some(g) => self.group_name(g).to_owned(),
                            None => new_name.clone(),
                        }
                    }
                    None => {
                        let stories = std::iter::once(s).chain(plan.merge_stories.iter().copied());
                        self.oldest_story_name(stories)
                    }
                };
                (new_name, 1.0, story, score)
            }
            (None, None) => (new_name.clone(), 1.0, new_name, 1.0),
        };
        let new_story = plan.join.is_none() && story == article.id;
        Ok(Assignment {
            id: article.id.clone(),
            copy,
            story,
            copy_score,
            story_score,
            new_copy_group: plan.join.is_none(),
            new_story,
            events: Vec::new(),
        })
    }

    /// Removes an article from the window (its copy group and story keep
    /// their names; what it added to the story's statistics stays).
    ///
    /// # Errors
    /// [`Error::UnknownId`] when no article in the window has this id.
    pub fn remove(&mut self, id: &str) -> Result<()> {
        let d = self
            .index
            .doc(id)
            .ok_or_else(|| Error::UnknownId(id.to_owned()))?;
        self.index.remove_doc(d);
        self.stats.removed += 1;
        Ok(())
    }

    fn check_new_id(&self, id: &str, at: usize, earlier: Option<usize>) -> Result<()> {
        if let Some(d) = self.index.doc(id) {
            return Err(Error::DuplicateId {
                id: id.to_owned(),
                first: d as usize,
                second: at,
            });
        }
        if let Some(first) = earlier {
            return Err(Error::DuplicateId {
                id: id.to_owned(),
                first,
                second: at,
            });
        }
        Ok(())
    }

    pub(crate) fn group_root(&self, mut g: u32) -> u32 {
        while self.groups[g as usize].parent != g {
            g = self.groups[g as usize].parent;
        }
        g
    }

    pub(crate) fn story_root(&self, mut s: u32) -> u32 {
        while self.stories[s as usize].parent != s {
            s = self.stories[s as usize].parent;
        }
        s
    }

    fn story_of_group(&self, g: u32) -> u32 {
        self.story_root(self.groups[self.group_root(g) as usize].story)
    }

    fn group_name(&self, g: u32) -> &str {
        self.index.id(self.groups[g as usize].first)
    }

    fn story_name(&self, s: u32) -> &str {
        self.index.id(self.stories[s as usize].first)
    }

    /// The name of the oldest of `stories` (not empty): the one a merge of
    /// them keeps.
    fn oldest_story_name(&self, stories: impl Iterator<Item = u32>) -> String {
        let oldest = stories.min_by_key(|&s| self.stories[s as usize].first);
        self.story_name(oldest.expect("at least one story"))
            .to_owned()
    }

    /// Whether `day` is further after the newest date seen than the limits
    /// allow (see [`Limits::max_days_ahead`](crate::Limits)).
    fn too_far_ahead(&self, day: i64) -> bool {
        day != NO_DAY
            && self.latest_day != NO_DAY
            && day - self.latest_day > i64::from(self.config().limits.max_days_ahead)
    }

    /// The window key of an article arriving now.
    fn key_for(&self, day: i64) -> i64 {
        match self.window {
            Window::Articles(_) => self.stats.added as i64,
            _ if day != NO_DAY => day,
            _ => self.latest_day.max(0),
        }
    }

    /// Keys below this have left the window.
    fn cutoff(&self) -> Option<i64> {
        self.cutoff_at(self.latest_day)
    }

    /// The cutoff once the latest day seen is `latest` (and the next article arrives).
    fn cutoff_at(&self, latest: i64) -> Option<i64> {
        match self.window {
            Window::Unbounded => None,
            Window::Days(n) => (latest != NO_DAY).then(|| latest - i64::from(n)),
            // The arriving article is number `added`; it and the `n - 1` before it stay.
            // Saturating: a window larger than every count keeps everything.
            Window::Articles(n) => {
                Some(i64::try_from(n).map_or(i64::MIN, |n| self.stats.added as i64 + 1 - n))
            }
        }
    }

    /// Evicts old articles and freezes quiet stories.
    fn expire(&mut self, events: &mut Vec<Event>) {
        self.settle_quiet();
        let Some(cutoff) = self.cutoff() else {
            return;
        };
        while let Some(&Reverse((key, d))) = self.evict.peek() {
            if key >= cutoff {
                break;
            }
            self.evict.pop();
            if self.index.is_live(d) {
                self.index.remove_doc(d);
                self.stats.evicted += 1;
            }
        }
        while let Some(&Reverse((key, s))) = self.freeze.peek() {
            if key >= cutoff {
                break;
            }
            self.freeze.pop();
            let st = &self.stories[s as usize];
            if st.parent != s || st.frozen || st.last_key != key {
                continue; // merged away, already frozen, or a stale entry
            }
            self.unpost(s);
            let st = &mut self.stories[s as usize];
            st.frozen = true;
            st.centroid = Centroid::default();
            st.members = Vec::new();
            self.stats.frozen += 1;
            events.push(Event::StoryFrozen {
                story: self.story_name(s).to_owned(),
            });
        }
        if self.should_compact() {
            self.compact();
        }
    }

    /// Lets the members of stories past [`RECUT_HORIZON`] go (no re-cut
    /// takes them already: this only frees their memory).
    fn settle_quiet(&mut self) {
        let clock = self.stats.copy_groups;
        while let Some(&(at, s)) = self.recent.front() {
            if at + self.recut_horizon > clock {
                break;
            }
            self.recent.pop_front();
            let st = &mut self.stories[s as usize];
            if st.joined == at && !st.settled {
                st.settle();
            }
        }
    }

    /// Records that story `s` was joined or re-cut now.
    fn mark_joined(&mut self, s: u32) {
        let clock = self.stats.copy_groups;
        let st = &mut self.stories[s as usize];
        st.joined = clock;
        if !st.members.is_empty() {
            self.recent.push_back((clock, s));
        }
    }

    /// Decides the copy group and (for a new group) the story of an article.
    /// Documents and stories with a window key below `cutoff` are ignored (a
    /// query sees the window as the article would find it).
    fn plan(&self, article: &Article, sketch: &Sketch, day: i64, cutoff: Option<i64>) -> Plan {
        let floor = cutoff.unwrap_or(i64::MIN);
        let verifier = self.index.verifier();
        let me = sketch.as_ref();
        // Best verified score per copy group touched.
        let mut touched: Vec<(u32, f32)> = self
            .index
            .copies_of(sketch)
            .into_iter()
            .filter(|&(d, _)| self.doc_key[d as usize] >= floor)
            .map(|(d, s)| (self.group_root(self.doc_group[d as usize]), s))
            .collect();
        touched.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        touched.dedup_by_key(|e| e.0);
        // Join the group whose representative the article stays closest to.
        let join = touched
            .iter()
            .filter_map(|&(g, _)| {
                let representative = self.index.sketch_of(self.groups[g as usize].representative);
                verifier.close(representative, me).map(|(s, _)| (g, s))
            })
            .max_by(|a, b| {
                a.1.total_cmp(&b.1).then(
                    self.groups[b.0 as usize]
                        .first
                        .cmp(&self.groups[a.0 as usize].first),
                )
            });
        if let Some((target, score)) = join {
            // The joined group's representative is its longest version, the article
            // itself when it is longer; another group touched merges in when
            // its representative stays close to that one.
            let old = self
                .index
                .sketch_of(self.groups[target as usize].representative);
            let lead = me.shingles > old.shingles;
            let representative = if lead { me } else { old };
            let merge_groups = touched
                .iter()
                .map(|e| e.0)
                .filter(|&g| g != target)
                .filter(|&g| {
                    let other = self.index.sketch_of(self.groups[g as usize].representative);
                    verifier.close(representative, other).is_some()
                })
                .collect();
            return Plan {
                join: Some((target, score)),
                merge_groups,
                lead,
                weighed: None,
                story: None,
                merge_stories: Vec::new(),
                recut: None,
            };
        }
        let weighed = self.weigh(article, floor);
        let choice = self.choose_story(&weighed, day, floor);
        let recut = self.recut_of(&choice, &weighed, day, floor);
        Plan {
            join: None,
            merge_groups: Vec::new(),
            lead: false,
            weighed: Some(weighed),
            story: choice.best,
            merge_stories: choice.merges,
            recut,
        }
    }

    /// How the stories a new copy group reaches are clustered again with
    /// it: the one it joins and the ones the join merges, then the others it
    /// reaches, best first, while their groups number at most
    /// [`MAX_MEMBERS`]. Every group is weighed again with the frequencies
    /// known now (features last seen below `floor` forgotten). `None` when
    /// it joins no story, or when the joined and merged ones are settled or
    /// too many.
    fn recut_of(&self, choice: &Choice, w: &Weighed, day: i64, floor: i64) -> Option<Recut> {
        let (best, _) = choice.best?;
        let mut stories: Vec<u32> = std::iter::once(best)
            .chain(choice.merges.iter().copied())
            .collect();
        let size = |s: u32| self.stories[s as usize].members.len();
        let mut count = 1 + stories.iter().map(|&s| size(s)).sum::<usize>();
        let clock = self.stats.copy_groups;
        let recuttable = |s: u32| self.stories[s as usize].recuttable(clock, self.recut_horizon);
        if count > MAX_MEMBERS || !stories.iter().all(|&s| recuttable(s)) {
            return None;
        }
        for &s in &choice.others {
            if recuttable(s) && count + size(s) <= MAX_MEMBERS {
                stories.push(s);
                count += size(s);
            }
        }
        let me = self.groups.len() as u32;
        let mine = Member::new(me, day, 0, w);
        // The frequencies as `weigh` counts them: the article included.
        let own = |k: u64| u32::from(w.tf.binary_search_by_key(&k, |e| e.0).is_ok());
        let df = |k: u64| self.df.get(k, floor) + own(k);
        let mut members: Vec<(&Member, Vector, Vector)> = stories
            .iter()
            .flat_map(|&s| &self.stories[s as usize].members)
            .map(|m| {
                let (all, shared) = weigh_stream(&m.tf, df, self.df.n + 1);
                (m, all, shared)
            })
            .collect();
        members.push((&mine, w.vector.clone(), w.shared.clone()));
        // Oldest group first (the article's own is the newest).
        let first = |m: &Member| {
            self.groups
                .get(m.group as usize)
                .map_or(u32::MAX, |g| g.first)
        };
        members.sort_by_key(|m| first(m.0));
        let compared: Vec<(&Member, Vector)> = members
            .iter_mut()
            .map(|m| (m.0, std::mem::take(&mut m.2)))
            .collect();
        let cfg = &self.config().stories;
        let parts = recut(&self.prior, PairRule::new(cfg), cfg.threshold, &compared)
            .into_iter()
            .map(|p| p.into_iter().map(|i| members[i as usize].0.group).collect())
            .collect();
        stories.sort_unstable();
        Some(Recut {
            stories,
            parts,
            vectors: members.into_iter().map(|m| (m.0.group, m.1)).collect(),
        })
    }

    /// The article's TF-IDF vector, counting it in the document frequencies
    /// (features last seen below `floor` are forgotten).
    fn weigh(&self, article: &Article, floor: i64) -> Weighed {
        let (bag, numbers) = self.bag(article, &mut FeatureScratch::default());
        Weighed::new(
            bag,
            numbers,
            |k| self.df.get(k, floor) + 1,
            self.df.n + 1,
            self.config().stories.top_terms,
        )
    }

    /// An article's story features, sorted by key.
    fn bag(&self, article: &Article, scratch: &mut FeatureScratch) -> (Vec<(u64, f32)>, Numbers) {
        let limit = self.config().limits.max_document_bytes;
        let mut bag = Vec::new();
        let (_, numbers) = self.features.extract_story(
            article
                .title
                .as_deref()
                .map(|t| truncate_to_boundary(t, limit)),
            truncate_to_boundary(&article.text, limit),
            scratch,
            &mut bag,
        );
        (bag, numbers)
    }

    /// The story a new copy group joins, and the stories the join merges
    /// into it.
    fn choose_story(&self, w: &Weighed, day: i64, floor: i64) -> Choice {
        let cfg = &self.config().stories;
        if !cfg.enabled {
            return Choice::default();
        }
        let live = |s: u32| self.is_active(s) && self.stories[s as usize].last_key >= floor;
        let mut shared: Map<u32, u32> = Map::default();
        for t in &w.top {
            if let Some(list) = self.postings.get(t) {
                if list.active as usize <= cfg.max_posting {
                    for &s in list.stories.iter().filter(|&&s| live(s)) {
                        *shared.entry(s).or_insert(0) += 1;
                    }
                }
            }
        }
        let min_shared = cfg.min_shared_terms.max(1) as u32;
        let mut candidates: Vec<(u32, u32)> = shared
            .into_iter()
            .filter(|&(_, n)| n >= min_shared)
            .collect();
        if candidates.len() > MAX_CANDIDATE_STORIES {
            // The stories sharing the most key terms, the most recent first.
            candidates.sort_unstable_by(|a, b| {
                let (x, y) = (&self.stories[a.0 as usize], &self.stories[b.0 as usize]);
                b.1.cmp(&a.1)
                    .then(y.last_key.cmp(&x.last_key))
                    .then(a.0.cmp(&b.0))
            });
            candidates.truncate(MAX_CANDIDATE_STORIES);
        }
        let mut scored: Vec<(u32, f64)> = candidates
            .into_iter()
            .map(|(s, _)| {
                let st = &self.stories[s as usize];
                // Scored as the batch scores a pair, the story's members
                // summed: their cosines, discounted by how few shared
                // features carry them together.
                let d = st.centroid.dot_terms(&w.shared);
                let avg = d.evidenced(cfg.evidence) / f64::from(st.size)
                    * story::decay(&self.prior, day, st.last_day);
                (s, avg)
            })
            .filter(|&(_, avg)| avg >= cfg.threshold)
            .collect();
        // Best first; ties to the older story.
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1).then(
                self.stories[a.0 as usize]
                    .first
                    .cmp(&self.stories[b.0 as usize].first),
            )
        });
        let Some(&(best, score)) = scored.first() else {
            return Choice::default();
        };
        // Average linkage between (best + the article) and each other candidate.
        let b = &self.stories[best as usize];
        let joined_day = b.last_day.max(day);
        let merges: Vec<u32> = scored[1..]
            .iter()
            .filter(|&&(s, _)| {
                let o = &self.stories[s as usize];
                let d = b.centroid.dot_terms(&o.centroid.0) + o.centroid.dot_terms(&w.shared);
                let avg = d.evidenced(cfg.evidence) / (f64::from(b.size + 1) * f64::from(o.size))
                    * story::decay(&self.prior, joined_day, o.last_day);
                avg >= cfg.threshold
            })
            .map(|&(s, _)| s)
            .collect();
        let others = scored[1..]
            .iter()
            .map(|e| e.0)
            .filter(|s| !merges.contains(s))
            .collect();
        Choice {
            best: Some((best, score)),
            merges,
            others,
        }
    }

    /// Applies a plan: the only place the state changes when an article is added.
    fn apply(&mut self, article: &Article, sketch: &Sketch) -> Assignment {
        let mut events = Vec::new();
        let (mut day, bad_date) = day_of(article);
        self.stats.bad_dates += u64::from(bad_date);
        if self.too_far_ahead(day) {
            day = NO_DAY;
            self.stats.future_dates += 1;
        }
        if day != NO_DAY && day > self.latest_day {
            self.latest_day = day;
        }
        self.expire(&mut events);
        let plan = self.plan(article, sketch, day, self.cutoff());
        let key = self.key_for(day);
        let d = self.index.add(article.id.clone(), sketch);
        debug_assert_eq!(d as usize, self.doc_group.len());
        self.stats.added += 1;
        self.doc_key.push(key);
        self.doc_day.push(day);
        if self.window != Window::Unbounded {
            self.evict.push(Reverse((key, d)));
        }
        let (group, copy_score, story, story_score) = match plan.join {
            Some((g, score)) => {
                if plan.lead {
                    self.groups[g as usize].representative = d;
                }
                for &other in &plan.merge_groups {
                    self.merge_groups(g, other, &mut events);
                }
                let g = self.group_root(g);
                let s = self.story_of_group(g);
                if let Some(m) = self.stories[s as usize]
                    .members
                    .iter_mut()
                    .find(|m| m.group == g)
                {
                    m.last_key = m.last_key.max(key);
                    m.last_day = m.last_day.max(day);
                }
                (g, score, s, 1.0)
            }
            None => {
                let g = self.groups.len() as u32;
                self.stats.copy_groups += 1;
                let w = plan.weighed.expect("a new copy group is weighed");
                let floor = self.cutoff().unwrap_or(i64::MIN);
                self.df.count(w.tf.iter().map(|e| e.0), key, floor);
                let top = w.top.clone();
                let (member, vector) = Member::take(g, day, key, w);
                self.groups.push(Group {
                    first: d,
                    representative: d,
                    story: u32::MAX,
                    parent: g,
                });
                let (s, score) = match (plan.story, plan.recut) {
                    (Some((_, score)), Some(r)) => {
                        (self.apply_recut(r, member, &mut events), score)
                    }
                    (Some((s, score)), None) => {
                        self.stories[s as usize].absorb(member, &vector);
                        self.post(s, &top);
                        for &other in &plan.merge_stories {
                            self.merge_stories(s, other, &mut events);
                        }
                        (self.story_root(s), score)
                    }
                    (None, _) => {
                        let s = self.stories.len() as u32;
                        self.stats.stories += 1;
                        self.stories.push(StoryState::new(d, s, member, vector));
                        self.post(s, &top);
                        (s, 1.0)
                    }
                };
                self.groups[g as usize].story = s;
                self.mark_joined(s);
                (g, 1.0, s, score)
            }
        };
        self.doc_group.push(group);
        self.touch_story(story, key, day);
        let new_copy_group = plan.join.is_none();
        Assignment {
            id: article.id.clone(),
            copy: self.group_name(group).to_owned(),
            story: self.story_name(story).to_owned(),
            copy_score,
            story_score,
            new_copy_group,
            new_story: new_copy_group && self.stories[story as usize].first == d,
            events,
        }
    }

    /// Records activity on a story for the window and the time decay.
    /// The freeze queue holds an entry for every active story's current
    /// last key; one is pushed only when that key advances.
    fn touch_story(&mut self, s: u32, key: i64, day: i64) {
        let st = &mut self.stories[s as usize];
        st.last_day = st.last_day.max(day);
        if key > st.last_key {
            st.last_key = key;
            if self.window != Window::Unbounded {
                self.freeze.push(Reverse((key, s)));
            }
        }
    }

    fn merge_groups(&mut self, a: u32, b: u32, events: &mut Vec<Event>) {
        let (a, b) = (self.group_root(a), self.group_root(b));
        if a == b {
            return;
        }
        let (sa, sb) = (self.story_of_group(a), self.story_of_group(b));
        let older = |x: u32, y: u32, s: &Self| {
            if s.groups[x as usize].first <= s.groups[y as usize].first {
                (x, y)
            } else {
                (y, x)
            }
        };
        let (kept, gone) = older(a, b, self);
        let la = self.groups[a as usize].representative;
        let lb = self.groups[b as usize].representative;
        let longer = if self.index.sketch_of(lb).shingles > self.index.sketch_of(la).shingles {
            lb
        } else {
            la
        };
        self.groups[gone as usize].parent = kept;
        self.groups[kept as usize].representative = longer;
        self.stats.copy_merges += 1;
        events.push(Event::CopyGroupsMerged {
            kept: self.group_name(kept).to_owned(),
            absorbed: self.group_name(gone).to_owned(),
        });
        if sa != sb {
            self.merge_stories(sa, sb, events);
        }
        let s = self.story_of_group(kept);
        self.groups[kept as usize].story = s;
        // Its members now name a group merged away: re-cutting it would
        // have to keep the two together.
        self.stories[s as usize].settle();
    }

    /// Applies a re-cut with the new copy group's `member`: each part
    /// becomes a story named by its oldest group, in the slot of the story
    /// involved that had that name, else in a new slot (a part split off, or
    /// the article alone). Reports the groups that moved to a story other
    /// than the one their old story's first article went to, then each story
    /// no part is named by as merged into the story its first article went
    /// to. Returns the new group's story.
    fn apply_recut(&mut self, r: Recut, member: Member, events: &mut Vec<Event>) -> u32 {
        let me = member.group;
        let mut member = Some(member);
        let mut vectors: Map<u32, Vector> = r.vectors.into_iter().collect();
        let mut pool: Map<u32, (u32, Member)> = Map::default();
        let mut part_of: Map<u32, usize> = Map::default();
        for (i, part) in r.parts.iter().enumerate() {
            part_of.extend(part.iter().map(|&g| (g, i)));
        }
        // The part each story's first article fell in.
        let mut dest: Map<u32, usize> = Map::default();
        for &s in &r.stories {
            // Out of its posting lists at once: its slot may be posted again.
            for t in &self.stories[s as usize].terms {
                if let Some(list) = self.postings.get_mut(t) {
                    list.stories.retain(|&x| x != s);
                }
            }
            self.unpost(s);
            let first = self.stories[s as usize].first;
            for m in std::mem::take(&mut self.stories[s as usize].members) {
                if self.groups[m.group as usize].first == first {
                    dest.insert(s, part_of[&m.group]);
                }
                pool.insert(m.group, (s, m));
            }
        }
        let mut slots = Vec::with_capacity(r.parts.len());
        for part in &r.parts {
            let first = self.groups[part[0] as usize].first;
            let reused = r
                .stories
                .iter()
                .copied()
                .find(|&s| self.stories[s as usize].first == first);
            slots.push(reused.unwrap_or_else(|| {
                self.stories.push(StoryState::default());
                self.stats.stories += 1;
                self.stats.story_splits += u64::from(part[0] != me);
                self.stories.len() as u32 - 1
            }));
        }
        let mut moves = Vec::new();
        let mut new_story = u32::MAX;
        for (i, part) in r.parts.iter().enumerate() {
            let at = slots[i];
            let first = self.groups[part[0] as usize].first;
            let mut members = Vec::with_capacity(part.len());
            for &g in part {
                self.groups[g as usize].story = at;
                let vector = vectors.remove(&g).expect("every group is weighed");
                if g == me {
                    members.push((member.take().expect("one new group"), vector));
                    new_story = at;
                } else {
                    let (from, m) = pool
                        .remove(&g)
                        .expect("a part's groups come from its stories");
                    if dest[&from] != i {
                        moves.push((from, i, g));
                    }
                    members.push((m, vector));
                }
            }
            let terms = member_terms(members.iter().map(|e| &e.0));
            let st = StoryState::of_members(first, at, members);
            if self.window != Window::Unbounded {
                self.freeze.push(Reverse((st.last_key, at)));
            }
            self.stories[at as usize] = st;
            self.post(at, &terms);
            if at != new_story {
                self.mark_joined(at);
            }
        }
        moves.sort_unstable();
        for run in moves.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (from, to) = (run[0].0, slots[run[0].1]);
            events.push(Event::GroupsMoved {
                from: self.story_name(from).to_owned(),
                to: self.story_name(to).to_owned(),
                copy_groups: run
                    .iter()
                    .map(|e| self.group_name(e.2).to_owned())
                    .collect(),
            });
        }
        for &s in &r.stories {
            if slots.contains(&s) {
                continue;
            }
            let kept = slots[dest[&s]];
            let first = self.stories[s as usize].first;
            self.stories[s as usize] = StoryState {
                first,
                parent: kept,
                ..StoryState::default()
            };
            self.stats.story_merges += 1;
            events.push(Event::StoriesMerged {
                kept: self.story_name(kept).to_owned(),
                absorbed: self.story_name(s).to_owned(),
            });
        }
        new_story
    }

    fn merge_stories(&mut self, a: u32, b: u32, events: &mut Vec<Event>) {
        let (a, b) = (self.story_root(a), self.story_root(b));
        if a == b {
            return;
        }
        let (kept, gone) = if self.stories[a as usize].first <= self.stories[b as usize].first {
            (a, b)
        } else {
            (b, a)
        };
        self.unpost(gone);
        let mut absorbed = std::mem::take(&mut self.stories[gone as usize]);
        self.stories[gone as usize] = StoryState {
            first: absorbed.first,
            parent: kept,
            ..StoryState::default()
        };
        let terms = std::mem::take(&mut absorbed.terms);
        let (key, day) = (absorbed.last_key, absorbed.last_day);
        self.stories[kept as usize].absorb_story(absorbed);
        self.post(kept, &terms);
        self.touch_story(kept, key, day);
        self.stats.story_merges += 1;
        events.push(Event::StoriesMerged {
            kept: self.story_name(kept).to_owned(),
            absorbed: self.story_name(gone).to_owned(),
        });
    }

    /// Lists story `s` under the `terms` it does not list yet.
    fn post(&mut self, s: u32, terms: &[u64]) {
        for &t in terms {
            let st = &mut self.stories[s as usize];
            if let Err(at) = st.terms.binary_search(&t) {
                st.terms.insert(at, t);
                let list = self.postings.entry(t).or_default();
                list.active += 1;
                list.stories.push(s);
            }
        }
    }

    /// Takes story `s` out of the posting counts; its entries are dropped
    /// lazily, the next time a short enough list is read.
    fn unpost(&mut self, s: u32) {
        let stories = &self.stories;
        let active = |x: u32| {
            let st = &stories[x as usize];
            x != s && st.parent == x && !st.frozen
        };
        for t in &stories[s as usize].terms {
            if let Some(list) = self.postings.get_mut(t) {
                list.active -= 1;
                if list.active == 0 {
                    self.postings.remove(t);
                } else if list.stories.len() > 2 * list.active as usize + 16 {
                    list.stories.retain(|&x| active(x));
                }
            }
        }
    }

    fn is_active(&self, s: u32) -> bool {
        let st = &self.stories[s as usize];
        st.parent == s && !st.frozen
    }

    /// Whether enough documents have left the window since the last
    /// compaction to pay for the next: when the document numbers in use have
    /// doubled and at least half are out of the window. The work of one
    /// compaction is then spread over as many adds as it reclaims.
    fn should_compact(&self) -> bool {
        let n = self.doc_group.len();
        n >= COMPACT_AT_LEAST && n >= 2 * self.compacted && 2 * (n - self.index.len()) >= n
    }

    /// Drops what articles that left the window leave behind: their
    /// sketches, ids and band entries, the copy groups without an article in
    /// the window and the frozen stories none of the others belongs to. A
    /// group's or story's name and a group's representative stay while the
    /// group or story does. Everything is numbered again in the same order,
    /// so every tie-break (older first) and so every output is unchanged.
    pub(crate) fn compact(&mut self) {
        let (n, groups, stories) = (self.doc_group.len(), self.groups.len(), self.stories.len());
        let mut keep_group = vec![false; groups];
        for d in 0..n as u32 {
            if self.index.is_live(d) {
                keep_group[self.group_root(self.doc_group[d as usize]) as usize] = true;
            }
        }
        let mut keep_story: Vec<bool> = (0..stories as u32).map(|s| self.is_active(s)).collect();
        for g in 0..groups as u32 {
            if keep_group[g as usize] {
                keep_story[self.story_of_group(g) as usize] = true;
            }
        }
        // The groups a story may be re-cut into stay while it is active.
        for st in &self.stories {
            for m in &st.members {
                keep_group[m.group as usize] = true;
            }
        }
        // The group of a story's first article stays with the story (that
        // article's group is in the story: nothing more to keep).
        for (story, _) in self.stories.iter().zip(&keep_story).filter(|e| *e.1) {
            let d = story.first as usize;
            keep_group[self.group_root(self.doc_group[d]) as usize] = true;
        }
        let mut keep_doc: Vec<bool> = (0..n as u32).map(|d| self.index.is_live(d)).collect();
        for (g, _) in keep_group.iter().enumerate().filter(|e| *e.1) {
            keep_doc[self.groups[g].first as usize] = true;
            keep_doc[self.groups[g].representative as usize] = true;
        }
        for (s, _) in keep_story.iter().enumerate().filter(|e| *e.1) {
            keep_doc[self.stories[s].first as usize] = true;
        }
        let doc_map = renumbering(&keep_doc);
        let group_map = renumbering(&keep_group);
        let story_map = renumbering(&keep_story);

        let kept_docs: Vec<u32> = (0..n as u32).filter(|&d| keep_doc[d as usize]).collect();
        let doc_group = kept_docs
            .iter()
            .map(|&d| group_map[self.group_root(self.doc_group[d as usize]) as usize])
            .collect();
        let mut new_groups = Vec::with_capacity(kept_docs.len());
        for g in (0..groups as u32).filter(|&g| keep_group[g as usize]) {
            let old = self.groups[g as usize];
            new_groups.push(Group {
                first: doc_map[old.first as usize],
                representative: doc_map[old.representative as usize],
                story: story_map[self.story_of_group(g) as usize],
                parent: group_map[g as usize],
            });
        }
        let mut new_stories = Vec::new();
        for s in (0..stories).filter(|&s| keep_story[s]) {
            let mut st = std::mem::take(&mut self.stories[s]);
            st.first = doc_map[st.first as usize];
            st.parent = story_map[s];
            for m in &mut st.members {
                m.group = group_map[m.group as usize];
            }
            new_stories.push(st);
        }
        let select = |v: &[i64]| kept_docs.iter().map(|&d| v[d as usize]).collect();
        self.doc_key = select(&self.doc_key);
        self.doc_day = select(&self.doc_day);
        self.doc_group = doc_group;
        self.groups = new_groups;
        self.stories = new_stories;
        self.index.retain(&kept_docs);
        self.compacted = kept_docs.len();
        self.renumber_derived(&doc_map, &story_map);
    }

    /// The postings and the window heaps after a compaction, their entries
    /// renumbered in place (no hashing): entries of documents and stories
    /// that left, were merged away or frozen go.
    fn renumber_derived(&mut self, doc_map: &[u32], story_map: &[u32]) {
        let stories = &self.stories;
        let active = |s: u32| s != u32::MAX && !stories[s as usize].frozen;
        for list in self.postings.values_mut() {
            list.stories.retain_mut(|s| {
                *s = story_map[*s as usize];
                active(*s)
            });
        }
        let index = &self.index;
        let mut evict = std::mem::take(&mut self.evict).into_vec();
        evict.retain_mut(|Reverse((_, d))| {
            *d = doc_map[*d as usize];
            *d != u32::MAX && index.is_live(*d)
        });
        self.evict = evict.into();
        let mut freeze = std::mem::take(&mut self.freeze).into_vec();
        freeze.retain_mut(|Reverse((key, s))| {
            *s = story_map[*s as usize];
            active(*s) && stories[*s as usize].last_key == *key
        });
        self.freeze = freeze.into();
        self.recent.retain_mut(|(at, s)| {
            *s = story_map[*s as usize];
            *s != u32::MAX && stories[*s as usize].joined == *at
        });
    }

    /// Rebuilds the derived indexes (postings, window heaps) from the state.
    pub(crate) fn rebuild(&mut self) {
        self.postings.clear();
        self.evict.clear();
        self.freeze.clear();
        let mut recent: Vec<(u64, u32)> = (0..self.stories.len() as u32)
            .filter(|&s| !self.stories[s as usize].members.is_empty())
            .map(|s| (self.stories[s as usize].joined, s))
            .collect();
        recent.sort_unstable();
        self.recent = recent.into();
        for s in 0..self.stories.len() as u32 {
            let st = &self.stories[s as usize];
            if st.parent == s && !st.frozen {
                for &t in &st.terms {
                    let list = self.postings.entry(t).or_default();
                    list.active += 1;
                    list.stories.push(s);
                }
                if self.window != Window::Unbounded {
                    self.freeze.push(Reverse((st.last_key, s)));
                }
            }
        }
        if self.window != Window::Unbounded {
            for d in 0..self.doc_key.len() as u32 {
                if self.index.is_live(d) {
                    self.evict.push(Reverse((self.doc_key[d as usize], d)));
                }
            }
        }
    }
}

/// The key terms of a story of `members`, sorted.
fn member_terms<'a>(members: impl Iterator<Item = &'a Member>) -> Vec<u64> {
    let mut terms: Vec<u64> = members.flat_map(|m| m.top.iter().copied()).collect();
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// The new number of every kept entry (in the same order), `u32::MAX` for
/// the others.
fn renumbering(keep: &[bool]) -> Vec<u32> {
    let mut next = 0;
    keep.iter()
        .map(|&k| {
            if k {
                next += 1;
                next - 1
            } else {
                u32::MAX
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

//! The result of a batch: [`Clustering`], a hierarchy story -> copy group ->
//! article, and the [`Report`] of how it was made.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::batch::Record;
use crate::copies::Basis;
use crate::lsh::{CandidateStats, LshParams};
use crate::stories::StoryStats;

/// What happened during one [`Clusterer::cluster`](crate::Clusterer::cluster) call.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Articles in the batch.
    pub documents: usize,
    /// Articles without words, left alone.
    pub empty: usize,
    /// Articles over the size limit that were signed truncated.
    pub truncated: usize,
    /// Articles whose date could not be read (see [`Day::parse`](crate::Day::parse)),
    /// treated as undated.
    pub bad_dates: usize,
    /// The first few unreadable dates, with their article ids.
    pub bad_date_examples: Vec<(String, String)>,
    /// Articles whose text repeats another article's exactly: collapsed
    /// into that one before any pair was compared.
    pub duplicates: usize,
    /// The banding used.
    pub lsh: LshParams,
    /// Candidate generation counters of the copy tier.
    pub candidates: CandidateStats,
    /// Counters of the story tier.
    pub stories: StoryStats,
    /// Wall time of each stage, in order.
    pub timings: Vec<(&'static str, Duration)>,
    /// Wall time of each part of the `stories` stage, in order: `features`,
    /// `weighting`, `blocking`, `similarity`, `linkage` (empty when the
    /// story tier is off).
    pub story_timings: Vec<(&'static str, Duration)>,
}

impl Report {
    pub(crate) fn stage(&mut self, name: &'static str, since: Instant) {
        self.timings.push((name, since.elapsed()));
    }
}

/// Each document's place in its copy group and story, by id-order number
/// (document `i` is the article with the `i`-th smallest id).
#[derive(Clone, Debug, Default)]
pub(crate) struct Placement {
    /// The input position of each document.
    pub(crate) position: Vec<u32>,
    /// The representative of its copy group.
    pub(crate) representative: Vec<u32>,
    /// Similarity to it.
    pub(crate) score: Vec<f32>,
    /// Why it is in the group.
    pub(crate) basis: Vec<Basis>,
    /// For each representative (other documents: unused), the
    /// representative of its story and its similarity to the story.
    pub(crate) story: Vec<(u32, f32)>,
}

/// One member of a copy group.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Position of the article in the input.
    pub index: usize,
    /// The article's id.
    pub id: String,
    /// Similarity to the group's representative: Jaccard, or containment
    /// for a truncated or wrapped copy, as [`basis`](Self::basis) says; 1
    /// for the representative and an identical text.
    pub similarity: f32,
    /// Why the article is in the group.
    pub basis: Basis,
}

/// Syndicated and lightly edited versions of one article.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyGroup {
    id: String,
    representative: usize,
    members: Vec<Member>,
    story: usize,
    story_similarity: f32,
}

impl CopyGroup {
    /// The group's id: the smallest member id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Members, by id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Input position of the representative (the longest version), which every
    /// other member was verified against.
    pub fn representative(&self) -> usize {
        self.representative
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Average story similarity of this group's representative to the other
    /// groups of its story (a pair the blocking did not propose counts as 0,
    /// as in the average linkage that built the story); 1 when it is alone.
    pub fn story_similarity(&self) -> f32 {
        self.story_similarity
    }

    /// Always false: a group has at least one member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// Every outlet's article about one event: one or more copy groups.
#[derive(Clone, Debug, PartialEq)]
pub struct Story {
    id: String,
    copy_groups: Vec<usize>,
}

impl Story {
    /// The story's id: the smallest member id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A story with access to its copy groups.
#[derive(Clone, Copy, Debug)]
pub struct StoryView<'a> {
    clustering: &'a Clustering,
    story: &'a Story,
}

impl<'a> StoryView<'a> {
    /// The story's id: the smallest member id.
    pub fn id(&self) -> &'a str {
        &self.story.id
    }

    /// Its copy groups, ordered by id.
    pub fn copy_groups(&self) -> impl Iterator<Item = &'a CopyGroup> + 'a {
        let groups = &self.clustering.copy_groups;
        self.story.copy_groups.iter().map(move |&g| &groups[g])
    }

    /// Number of articles in the story.
    pub fn len(&self) -> usize {
        self.copy_groups().map(CopyGroup::len).sum()
    }

    /// Always false: a story has at least one article.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The result of [`Clusterer::cluster`](crate::Clusterer::cluster): a hierarchy story -> copy group -> article.
///
/// Canonical: members are sorted by id, groups and stories by their id (the
/// smallest member id), so equal inputs give equal results.
#[derive(Clone, Debug)]
pub struct Clustering {
    copy_groups: Vec<CopyGroup>,
    stories: Vec<Story>,
    copy_of: Vec<u32>,
    /// Each article's place among its group's members.
    member_at: Vec<u32>,
    story_of: Vec<u32>,
    report: Report,
}

impl Clustering {
    /// Builds the canonical structure from each document's place.
    pub(crate) fn assemble<R: Record>(articles: &[R], placed: &Placement, report: Report) -> Self {
        let Placement {
            position,
            representative,
            score,
            basis,
            story,
        } = placed;
        let n = articles.len();
        let id = |d: u32| articles[position[d as usize] as usize].id();
        // Documents by representative, each group's members in id order: one
        // sort instead of a map of vectors.
        let mut order: Vec<u64> = (0..n)
            .map(|d| u64::from(representative[d]) << 32 | d as u64)
            .collect();
        order.par_sort_unstable();
        // Groups ordered by their smallest member, which is each run's first.
        let mut copy_groups: Vec<(u32, u32, CopyGroup)> = order
            .par_chunk_by(|a, b| a >> 32 == b >> 32)
            .map(|run| {
                let rep = (run[0] >> 32) as u32;
                let first = run[0] as u32;
                let members = run
                    .iter()
                    .map(|&x| {
                        let d = x as u32;
                        Member {
                            index: position[d as usize] as usize,
                            id: id(d).to_owned(),
                            similarity: score[d as usize],
                            basis: basis[d as usize],
                        }
                    })
                    .collect();
                let group = CopyGroup {
                    id: id(first).to_owned(),
                    representative: position[rep as usize] as usize,
                    members,
                    story: 0,
                    story_similarity: story[rep as usize].1,
                };
                (first, rep, group)
            })
            .collect();
        copy_groups.par_sort_unstable_by_key(|g| g.0);
        let story_label: Vec<u32> = copy_groups
            .iter()
            .map(|&(_, rep, _)| story[rep as usize].0)
            .collect();
        let mut copy_groups: Vec<CopyGroup> = copy_groups.into_iter().map(|g| g.2).collect();
        let mut copy_of = vec![0u32; n];
        let mut member_at = vec![0u32; n];
        for (g, group) in copy_groups.iter().enumerate() {
            for (at, m) in group.members.iter().enumerate() {
                copy_of[m.index] = g as u32;
                member_at[m.index] = at as u32;
            }
        }
        // Stories: groups are in id order, so a story's first group holds its
        // smallest member id, and stories in the order of their first group
        // are in id order.
        let mut story_at = vec![u32::MAX; n];
        let mut stories: Vec<Story> = Vec::new();
        for (g, &label) in story_label.iter().enumerate() {
            let at = &mut story_at[label as usize];
            if *at == u32::MAX {
                *at = stories.len() as u32;
                stories.push(Story {
                    id: copy_groups[g].id.clone(),
                    copy_groups: Vec::new(),
                });
            }
            stories[*at as usize].copy_groups.push(g);
        }
        let mut story_of = vec![0u32; n];
        for (s, story) in stories.iter().enumerate() {
            for &g in &story.copy_groups {
                copy_groups[g].story = s;
                for m in &copy_groups[g].members {
                    story_of[m.index] = s as u32;
                }
            }
        }
        Clustering {
            copy_groups,
            stories,
            copy_of,
            member_at,
            story_of,
            report,
        }
    }

    pub(crate) fn finish(mut self, start: Instant) -> Self {
        self.report.stage("assemble", start);
        self
    }

    /// Stories, ordered by id.
    pub fn stories(&self) -> impl Iterator<Item = StoryView<'_>> + '_ {
        self.stories.iter().map(move |story| StoryView {
            clustering: self,
            story,
        })
    }

    /// Copy groups, ordered by id.
    pub fn copy_groups(&self) -> &[CopyGroup] {
        &self.copy_groups
    }

    /// The copy group of the article at input position `index`.
    ///
    /// # Panics
    /// When `index` is not a position of the input.
    pub fn copy_group_of(&self, index: usize) -> &CopyGroup {
        &self.copy_groups[self.copy_of[index] as usize]
    }

    /// The article at input position `index` as a member of its copy group:
    /// its similarity to the representative and why it is in the group.
    ///
    /// # Panics
    /// When `index` is not a position of the input.
    pub fn member(&self, index: usize) -> &Member {
        &self.copy_group_of(index).members[self.member_at[index] as usize]
    }

    /// The story of the article at input position `index`.
    ///
    /// # Panics
    /// When `index` is not a position of the input.
    pub fn story_of(&self, index: usize) -> StoryView<'_> {
        StoryView {
            clustering: self,
            story: &self.stories[self.story_of[index] as usize],
        }
    }

    /// Number of input articles.
    pub fn len(&self) -> usize {
        self.copy_of.len()
    }

    /// True for an empty input.
    pub fn is_empty(&self) -> bool {
        self.copy_of.is_empty()
    }

    /// What happened: counts and stage timings.
    pub fn report(&self) -> &Report {
        &self.report
    }
}

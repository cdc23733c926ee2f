//! The front door: [`Clusterer`] turns a batch of articles into copy groups
//! and stories, and [`Clustering`] is what it returns.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::article::Article;
use crate::config::Config;
use crate::copies::{find_copy_groups, find_copy_groups_simhash, SignatureMatrix, FACT_SAMPLE};
use crate::error::{Error, Result};
use crate::lsh::{CandidateStats, LshParams};
use crate::sketch::{MinHasher, SignScratch, SimHasher};
use crate::stories::{cluster_stories, parse_day, StoryDoc, StoryStats};
use crate::text::truncate_to_boundary;
use crate::text::ShingleScratch;

/// Groups articles into copy groups and stories.
///
/// Build it once from a [`Config`] (validated here) and call
/// [`cluster`](Self::cluster) on as many batches as you like. It is
/// `Send + Sync`; the work inside a call runs on the rayon thread pool and the
/// result does not depend on the number of threads.
///
/// # Example
/// ```
/// use storyhash::{Article, Clusterer, Config};
/// let wire = "Rescue teams searched through the night for survivors after a strong \
///             earthquake struck the coastal town of Port Elling on Tuesday, officials said.";
/// let articles = vec![
///     Article::new("a", wire),
///     Article::new("b", format!("By Staff Reporter. {wire} Subscribe for more.")),
///     Article::new("c", "The city council approved the new budget for parks and libraries."),
/// ];
/// let result = Clusterer::new(Config::default())?.cluster(&articles)?;
/// assert_eq!(result.copy_group_of(0).id(), "a");
/// assert_eq!(result.copy_group_of(1).id(), "a");
/// assert_eq!(result.copy_group_of(2).id(), "c");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Clusterer {
    config: Config,
    signer: MinHasher,
    lsh: LshParams,
}

impl Clusterer {
    /// A clusterer for `config`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let signer = MinHasher::with_limits(&config.sketch, &config.limits)?;
        let lsh = config.copies.lsh_params(config.sketch.num_perm)?;
        Ok(Clusterer {
            config,
            signer,
            lsh,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The LSH banding of the copy tier.
    pub fn lsh_params(&self) -> LshParams {
        self.lsh
    }

    /// The signer of the copy tier.
    pub fn signer(&self) -> &MinHasher {
        &self.signer
    }

    /// Clusters `articles`.
    ///
    /// Articles without words (empty, or only punctuation) cannot be compared;
    /// each stays alone in its own copy group and story and is counted in
    /// [`Report::empty`].
    ///
    /// # Errors
    /// [`Error::DuplicateId`] when two articles share an id;
    /// [`Error::DocumentTooLarge`] for an oversized article when the limits
    /// say to reject it.
    pub fn cluster(&self, articles: &[Article]) -> Result<Clustering> {
        let mut report = Report {
            documents: articles.len(),
            lsh: self.lsh,
            ..Report::default()
        };
        let start = Instant::now();
        check_unique_ids(articles)?;
        if articles.len() > u32::MAX as usize - 1 {
            return Err(Error::config(
                "articles",
                "more than 2^32 - 2 articles in one batch",
            ));
        }
        report.stage("check ids", start);

        let groups = match self.config.copies.simhash {
            None => {
                let start = Instant::now();
                let matrix = self.sign_all(articles, &mut report)?;
                report.stage("sign", start);
                let start = Instant::now();
                let groups = find_copy_groups(&matrix, self.lsh, &self.config.copies);
                report.stage("copy groups", start);
                groups
            }
            Some(k) => {
                let start = Instant::now();
                let (fps, sizes, facts) = self.fingerprint_all(articles, &mut report)?;
                report.stage("fingerprint", start);
                let start = Instant::now();
                let groups = find_copy_groups_simhash(&fps, &sizes, &facts, k, &self.config.copies);
                report.stage("copy groups", start);
                groups
            }
        };
        report.candidates = groups.stats;

        let start = Instant::now();
        let story_of_leader = self.stories(articles, &groups.leader, &mut report);
        report.stage("stories", start);

        let start = Instant::now();
        let result = Clustering::assemble(
            articles,
            &groups.leader,
            &groups.score,
            &story_of_leader,
            report,
        );
        Ok(result.finish(start))
    }

    /// Story label (a representative's index) of each copy group's
    /// representative, indexed by representative.
    fn stories(
        &self,
        articles: &[Article],
        leader: &[u32],
        report: &mut Report,
    ) -> HashMap<u32, u32> {
        let mut leaders: Vec<u32> = leader.to_vec();
        leaders.sort_unstable();
        leaders.dedup();
        if !self.config.stories.enabled {
            return leaders.iter().map(|&l| (l, l)).collect();
        }
        let docs: Vec<StoryDoc<'_>> = leaders
            .iter()
            .map(|&l| {
                let a = &articles[l as usize];
                // The same size limit as the copy tier: a 50 MB page is scored on its head.
                let limit = self.config.limits.max_document_bytes;
                StoryDoc {
                    title: a.title.as_deref().map(|t| truncate_to_boundary(t, limit)),
                    text: truncate_to_boundary(&a.text, limit),
                    day: a.date.as_deref().and_then(parse_day),
                }
            })
            .collect();
        let (labels, stats) = cluster_stories(&docs, &self.config.stories, self.config.sketch.seed);
        report.stories = stats;
        leaders
            .iter()
            .zip(labels)
            .map(|(&l, label)| (l, leaders[label as usize]))
            .collect()
    }

    /// SimHash fingerprints (`None` for a document without words), shingle
    /// counts and fact samples of every article.
    fn fingerprint_all(
        &self,
        articles: &[Article],
        report: &mut Report,
    ) -> Result<(Vec<Option<u64>>, Vec<u32>, SignatureMatrix)> {
        let n = articles.len();
        let mut facts = SignatureMatrix::with_capacity(0, n);
        let mut sizes = vec![0u32; n];
        let simhasher = SimHasher::with_limits(&self.config.sketch, &self.config.limits)?;
        let limit = self.config.limits.max_document_bytes;
        let fps: Vec<Result<Option<u64>>> = facts
            .facts
            .par_chunks_mut(FACT_SAMPLE)
            .zip(facts.fact_counts.par_iter_mut())
            .zip(sizes.par_iter_mut())
            .zip(articles.par_iter())
            .enumerate()
            .map_init(
                || (ShingleScratch::default(), Vec::new()),
                |(scratch, hashes), (i, (((fact_slots, fact_count), size), a))| match simhasher
                    .fingerprint_into(&a.text, scratch, hashes)
                {
                    Ok(fp) => {
                        *size = hashes.len() as u32;
                        let (sample, distinct) = scratch.fact_sample(FACT_SAMPLE);
                        fact_slots[..sample.len()].copy_from_slice(sample);
                        *fact_count = distinct;
                        Ok(Some(fp))
                    }
                    Err(Error::EmptyDocument { .. }) => Ok(None),
                    Err(e) => Err(e.at_index(i)),
                },
            )
            .collect();
        let fps = fps.into_iter().collect::<Result<Vec<_>>>()?;
        report.empty += fps.iter().filter(|f| f.is_none()).count();
        report.truncated += articles.iter().filter(|a| a.text.len() > limit).count();
        Ok((fps, sizes, facts))
    }

    fn sign_all(&self, articles: &[Article], report: &mut Report) -> Result<SignatureMatrix> {
        let k = self.signer.num_perm();
        let n = articles.len();
        let mut matrix = SignatureMatrix::with_capacity(k, n);
        // 0: signed, 1: signed after truncation, 2: empty.
        let status: Vec<Result<u8>> = matrix
            .slots
            .par_chunks_mut(k)
            .zip(matrix.shingles.par_iter_mut())
            .zip(matrix.facts.par_chunks_mut(FACT_SAMPLE))
            .zip(matrix.fact_counts.par_iter_mut())
            .zip(articles.par_iter())
            .enumerate()
            .map_init(
                SignScratch::default,
                |scratch, (i, ((((slots, count), facts), fact_count), a))| match self
                    .signer
                    .sign_into(&a.text, scratch, slots)
                {
                    Ok(o) => {
                        *count = o.shingles;
                        let (sample, distinct) = scratch.fact_sample(FACT_SAMPLE);
                        facts[..sample.len()].copy_from_slice(sample);
                        *fact_count = distinct;
                        Ok(u8::from(o.truncated))
                    }
                    Err(Error::EmptyDocument { .. }) => Ok(2),
                    Err(e) => Err(e.at_index(i)),
                },
            )
            .collect();
        for s in status {
            match s? {
                1 => report.truncated += 1,
                2 => report.empty += 1,
                _ => {}
            }
        }
        Ok(matrix)
    }
}

fn check_unique_ids(articles: &[Article]) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(articles.len());
    for (i, a) in articles.iter().enumerate() {
        if let Some(&first) = seen.get(a.id.as_str()) {
            return Err(Error::DuplicateId {
                id: a.id.clone(),
                first,
                second: i,
            });
        }
        seen.insert(&a.id, i);
    }
    Ok(())
}

/// What happened during one [`Clusterer::cluster`] call.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Articles in the batch.
    pub documents: usize,
    /// Articles without words, left alone.
    pub empty: usize,
    /// Articles over the size limit that were signed truncated.
    pub truncated: usize,
    /// The banding used.
    pub lsh: LshParams,
    /// Candidate generation counters of the copy tier.
    pub candidates: CandidateStats,
    /// Counters of the story tier.
    pub stories: StoryStats,
    /// Wall time of each stage, in order.
    pub timings: Vec<(&'static str, Duration)>,
}

impl Report {
    fn stage(&mut self, name: &'static str, since: Instant) {
        self.timings.push((name, since.elapsed()));
    }
}

/// One member of a copy group.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Position of the article in the input.
    pub index: usize,
    /// The article's id.
    pub id: String,
    /// Estimated similarity to the group's representative (Jaccard, or
    /// containment for a truncated or wrapped copy); 1 for the representative.
    pub similarity: f32,
}

/// Syndicated and lightly edited versions of one article.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyGroup {
    id: String,
    representative: usize,
    members: Vec<Member>,
    story: usize,
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

/// The result of [`Clusterer::cluster`]: a hierarchy story -> copy group -> article.
///
/// Canonical: members are sorted by id, groups and stories by their id (the
/// smallest member id), so equal inputs give equal results.
#[derive(Clone, Debug)]
pub struct Clustering {
    copy_groups: Vec<CopyGroup>,
    stories: Vec<Story>,
    copy_of: Vec<u32>,
    story_of: Vec<u32>,
    report: Report,
}

impl Clustering {
    /// Builds the canonical structure from each article's copy representative
    /// and each representative's story label.
    fn assemble(
        articles: &[Article],
        leader: &[u32],
        score: &[f32],
        story_of_leader: &HashMap<u32, u32>,
        report: Report,
    ) -> Self {
        let n = articles.len();
        let id = |i: usize| articles[i].id.as_str();
        // Group members by representative: documents in representative
        // order, cut into runs (one sort instead of a map of vectors).
        let mut order: Vec<u64> = (0..n)
            .map(|i| u64::from(leader[i]) << 32 | i as u64)
            .collect();
        order.par_sort_unstable();
        let mut copy_groups: Vec<CopyGroup> = order
            .chunk_by(|a, b| a >> 32 == b >> 32)
            .map(|run| {
                let l = run[0] >> 32;
                let mut members: Vec<usize> = run.iter().map(|&x| x as u32 as usize).collect();
                members.sort_by(|&a, &b| id(a).cmp(id(b)));
                CopyGroup {
                    id: id(members[0]).to_owned(),
                    representative: l as usize,
                    members: members
                        .into_iter()
                        .map(|i| Member {
                            index: i,
                            id: id(i).to_owned(),
                            similarity: score[i],
                        })
                        .collect(),
                    story: 0,
                }
            })
            .collect();
        copy_groups.sort_by(|a, b| a.id.cmp(&b.id));
        let mut copy_of = vec![0u32; n];
        for (g, group) in copy_groups.iter().enumerate() {
            for m in &group.members {
                copy_of[m.index] = g as u32;
            }
        }
        // Stories: copy groups by story label; groups are already in id order,
        // so each story's first group holds its smallest member id.
        let mut by_label: HashMap<u32, Vec<usize>> = HashMap::new();
        for (g, group) in copy_groups.iter().enumerate() {
            let label = story_of_leader[&(group.representative as u32)];
            by_label.entry(label).or_default().push(g);
        }
        let mut stories: Vec<Story> = by_label
            .into_values()
            .map(|groups| Story {
                id: copy_groups[groups[0]].id.clone(),
                copy_groups: groups,
            })
            .collect();
        stories.sort_by(|a, b| a.id.cmp(&b.id));
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
            story_of,
            report,
        }
    }

    fn finish(mut self, start: Instant) -> Self {
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

//! The batch front door: [`Clusterer`] turns a batch of articles into copy
//! groups and stories, in one process, through the same stage functions an
//! engine runs (see [`stages`](crate::stages)).

use std::collections::HashMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::article::Article;
use crate::clustering::{Clustering, Placement, Report};
use crate::config::Config;
use crate::copies::{find_copy_groups, find_copy_groups_simhash, CopyGroups};
use crate::error::{Error, Result};
use crate::lsh::LshParams;
use crate::sketch::{MinHasher, SimHasher, Sketches, FACT_SAMPLE};
use crate::stages::{sign, Signed};
use crate::stories::{cluster_stories, StoryDoc};
use crate::text::{truncate_to_boundary, ShingleScratch};

/// Unreadable dates kept as examples in the [`Report`].
const BAD_DATE_EXAMPLES: usize = 5;

/// What the batch reads of an article: its id, text, title and date. An
/// [`Article`] is one; a binding can implement it over columns it does not
/// own (texts borrowed from an Arrow buffer), so that nothing is copied.
pub trait Record: Sync {
    /// The id, unique within a batch.
    fn id(&self) -> &str;
    /// The body text.
    fn text(&self) -> &str;
    /// The headline, if any.
    fn title(&self) -> Option<&str>;
    /// The date, as given (see [`Day::parse`](crate::Day::parse)).
    fn date(&self) -> Option<&str>;
}

impl Record for Article {
    fn id(&self) -> &str {
        &self.id
    }
    fn text(&self) -> &str {
        &self.text
    }
    fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
    fn date(&self) -> Option<&str> {
        self.date.as_deref()
    }
}

/// Told how a batch is going, for progress bars: each stage as it starts,
/// and the items done in the counted ones. Every method does nothing by
/// default; `()` reports nothing.
pub trait Progress: Sync {
    /// A stage starts, with `total` items to do (0: not counted).
    fn stage(&self, name: &'static str, total: u64) {
        let _ = (name, total);
    }

    /// `n` more items of the current stage are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
}

impl Progress for () {}

/// Groups articles into copy groups and stories.
///
/// Build it once from a [`Config`] (validated here) and call
/// [`cluster`](Self::cluster) on as many batches as you like. It is
/// `Send + Sync`; the work inside a call runs on the rayon thread pool. The
/// result depends on neither the number of threads nor the order of the
/// articles: they are processed in the order of their ids, and every
/// tie-break goes to the smaller id.
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
    /// [`Report::empty`]. An unreadable date is counted in
    /// [`Report::bad_dates`] and the article treated as undated.
    ///
    /// # Errors
    /// [`Error::DuplicateId`] when two articles share an id;
    /// [`Error::DocumentTooLarge`] for an oversized article when the limits
    /// say to reject it.
    pub fn cluster<R: Record>(&self, articles: &[R]) -> Result<Clustering> {
        self.cluster_with(articles, &())
    }

    /// Clusters `articles` as [`cluster`](Self::cluster) does, telling
    /// `progress` how it goes: the stages `order ids`, `sign` (counted by
    /// article), `copy groups`, `stories` and `assemble`.
    ///
    /// # Errors
    /// As [`cluster`](Self::cluster).
    pub fn cluster_with<R: Record>(
        &self,
        articles: &[R],
        progress: &dyn Progress,
    ) -> Result<Clustering> {
        let mut report = Report {
            documents: articles.len(),
            lsh: self.lsh,
            ..Report::default()
        };
        let start = Instant::now();
        progress.stage("order ids", 0);
        if articles.len() > u32::MAX as usize - 1 {
            return Err(Error::config(
                "articles",
                "more than 2^32 - 2 articles in one batch",
            ));
        }
        // Work in id order: document `i` is the article with the `i`-th
        // smallest id, so every tie-break below is by id, whatever the
        // input order.
        let order = id_order(articles)?;
        let article = |i: u32| &articles[order[i as usize] as usize];
        report.stage("order ids", start);

        let (groups, days) = match self.config.copies.simhash {
            None => {
                let start = Instant::now();
                progress.stage("sign", articles.len() as u64);
                let signed = sign(
                    &self.signer,
                    self.config.limits.max_document_bytes,
                    articles.len(),
                    |i| {
                        let a = article(i as u32);
                        (i as u64, a.text(), a.date())
                    },
                    progress,
                )?;
                note_signing(&signed, &mut report, |i| article(i as u32).id());
                report.stage("sign", start);
                let start = Instant::now();
                progress.stage("copy groups", 0);
                let groups = find_copy_groups(
                    &signed.sketches,
                    &signed.content,
                    self.lsh,
                    &self.config.copies,
                );
                report.stage("copy groups", start);
                (groups, signed.days)
            }
            Some(k) => {
                let start = Instant::now();
                progress.stage("sign", 0);
                let (fps, facts) = self.fingerprint_all(articles.len(), &article, &mut report)?;
                let mut bad_dates = Vec::new();
                let days = (0..articles.len() as u32)
                    .map(|i| {
                        let date = article(i).date()?;
                        crate::Day::parse(date)
                            .map_err(|_| bad_dates.push((i as usize, date.to_owned())))
                            .ok()
                    })
                    .collect();
                note_bad_dates(&bad_dates, &mut report, |i| article(i as u32).id());
                report.stage("fingerprint", start);
                let start = Instant::now();
                progress.stage("copy groups", 0);
                let groups = find_copy_groups_simhash(&fps, &facts, k, &self.config.copies);
                report.stage("copy groups", start);
                (groups, days)
            }
        };
        report.candidates = groups.stats;
        report.duplicates = groups.duplicates as usize;

        let start = Instant::now();
        progress.stage("stories", 0);
        let story_of = self.stories(&groups, &days, &article, &mut report);
        report.stage("stories", start);

        // Back to input positions.
        let start = Instant::now();
        progress.stage("assemble", 0);
        let n = articles.len();
        let mut placed = Placement {
            representative: vec![0; n],
            score: vec![0.0; n],
            basis: vec![crate::copies::Basis::Representative; n],
        };
        for i in 0..n {
            let at = order[i] as usize;
            placed.representative[at] = order[groups.representative[i] as usize];
            placed.score[at] = groups.score[i];
            placed.basis[at] = groups.basis[i];
        }
        let story_of_representative: HashMap<u32, (u32, f32)> = story_of
            .into_iter()
            .map(|(r, s, sim)| (order[r as usize], (order[s as usize], sim)))
            .collect();
        let result = Clustering::assemble(articles, &placed, &story_of_representative, report);
        Ok(result.finish(start))
    }

    /// The story (a representative) of each copy group's representative, in
    /// id-order numbers, and its average similarity to the rest of the story.
    fn stories<'a, R: Record + 'a>(
        &self,
        groups: &CopyGroups,
        days: &[Option<crate::Day>],
        article: &(impl Fn(u32) -> &'a R + Sync),
        report: &mut Report,
    ) -> Vec<(u32, u32, f32)> {
        let mut reps: Vec<u32> = groups.representative.clone();
        reps.par_sort_unstable();
        reps.dedup();
        if !self.config.stories.enabled {
            return reps.iter().map(|&r| (r, r, 1.0)).collect();
        }
        // The same size limit as the copy tier: a 50 MB page is scored on its head.
        let limit = self.config.limits.max_document_bytes;
        let docs: Vec<StoryDoc<'_>> = reps
            .iter()
            .map(|&r| {
                let a = article(r);
                StoryDoc {
                    title: a.title().map(|t| truncate_to_boundary(t, limit)),
                    text: truncate_to_boundary(a.text(), limit),
                    day: days[r as usize],
                }
            })
            .collect();
        let stories = cluster_stories(&docs, &self.config.stories, self.config.sketch.seed);
        report.stories = stories.stats;
        reps.iter()
            .zip(stories.labels)
            .zip(stories.similarity)
            .map(|((&r, label), sim)| (r, reps[label as usize], sim))
            .collect()
    }

    /// SimHash fingerprints (`None` for a document without words), and the
    /// fact samples and shingle counts, in id order.
    fn fingerprint_all<'a, R: Record + 'a>(
        &self,
        n: usize,
        article: &(impl Fn(u32) -> &'a R + Sync),
        report: &mut Report,
    ) -> Result<(Vec<Option<u64>>, Sketches)> {
        let mut facts = Sketches::zeroed(0, n);
        let simhasher = SimHasher::with_limits(&self.config.sketch, &self.config.limits)?;
        let limit = self.config.limits.max_document_bytes;
        let fps: Vec<Result<Option<u64>>> = facts
            .rows_mut()
            .enumerate()
            .map_init(
                || (ShingleScratch::default(), Vec::new()),
                |(scratch, hashes), (i, (_, size, fact_slots, fact_count))| match simhasher
                    .fingerprint_into(article(i as u32).text(), scratch, hashes)
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
        report.truncated += (0..n as u32)
            .filter(|&i| article(i).text().len() > limit)
            .count();
        Ok((fps, facts))
    }
}

/// Counts what signing found in the report; `id(i)` names document `i`.
fn note_signing<'a>(signed: &Signed, report: &mut Report, id: impl Fn(usize) -> &'a str) {
    report.empty += signed.empty;
    report.truncated += signed.truncated;
    note_bad_dates(&signed.bad_dates, report, id);
}

/// Counts unreadable dates `(document, date)` in the report, with examples.
fn note_bad_dates<'a>(
    bad_dates: &[(usize, String)],
    report: &mut Report,
    id: impl Fn(usize) -> &'a str,
) {
    report.bad_dates += bad_dates.len();
    let mut examples: Vec<(String, String)> = bad_dates
        .iter()
        .map(|(i, date)| (id(*i).to_owned(), date.clone()))
        .take(BAD_DATE_EXAMPLES)
        .collect();
    report.bad_date_examples.append(&mut examples);
}

/// Input positions sorted by id (byte order).
///
/// # Errors
/// [`Error::DuplicateId`] naming the first two positions of a repeated id.
fn id_order<R: Record>(articles: &[R]) -> Result<Vec<u32>> {
    let mut order: Vec<u32> = (0..articles.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
        articles[a as usize]
            .id()
            .cmp(articles[b as usize].id())
            .then(a.cmp(&b))
    });
    if let Some(w) = order
        .windows(2)
        .find(|w| articles[w[0] as usize].id() == articles[w[1] as usize].id())
    {
        return Err(Error::DuplicateId {
            id: articles[w[0] as usize].id().to_owned(),
            first: w[0] as usize,
            second: w[1] as usize,
        });
    }
    Ok(order)
}

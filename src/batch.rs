//! The batch front door: [`Clusterer`] turns a batch of articles into copy
//! groups and stories, in one process, through the same stage functions an
//! engine runs (see [`stages`](crate::stages)).

use std::time::Instant;

use rayon::prelude::*;

use crate::article::Article;
use crate::clustering::{Clustering, Placement, Report};
use crate::config::Config;
use crate::copies::{find_copy_groups, find_copy_groups_simhash, CopyGroups};
use crate::error::{Error, Result};
use crate::hash::Map;
use crate::lsh::LshParams;
use crate::sketch::{MinHasher, SimHasher, Sketches, FACT_SAMPLE};
use crate::stages::{sign, Earlier, Signed, SignedParts};
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
        self.run(articles, None, progress)
    }

    /// A batch to [`push`](Batch::push) articles into as they are read,
    /// each piece signed at once.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            clusterer: self,
            articles: Vec::new(),
            texts_back: true,
            signed: SignedParts::default(),
            seen: Map::default(),
        }
    }

    /// Clusters `articles`, whose MinHash signatures are `presigned` when
    /// given, in input order.
    fn run<R: Record>(
        &self,
        articles: &[R],
        presigned: Option<SignedParts>,
        progress: &dyn Progress,
    ) -> Result<Clustering> {
        let copies = self.copy_tier(articles, presigned, progress)?;
        self.story_tier(articles, copies, progress)
    }

    /// The copy groups of `articles` (see [`run`](Self::run)).
    fn copy_tier<R: Record>(
        &self,
        articles: &[R],
        presigned: Option<SignedParts>,
        progress: &dyn Progress,
    ) -> Result<CopyTier> {
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
                let signed = match presigned {
                    Some(parts) => {
                        progress.stage("order signatures", 0);
                        let signed = parts.gather(&order, self.signer.num_perm());
                        report.stage("order signatures", start);
                        signed
                    }
                    None => {
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
                            None,
                        )
                        .map_err(|e| e.map_index(|i| order[i] as usize))?;
                        report.stage("sign", start);
                        signed
                    }
                };
                note_signing(&signed, &mut report, |i| article(i as u32).id());
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
        Ok(CopyTier {
            order,
            groups,
            days,
            report,
        })
    }

    /// The stories above the copy groups of `articles`, and the result.
    fn story_tier<R: Record>(
        &self,
        articles: &[R],
        copies: CopyTier,
        progress: &dyn Progress,
    ) -> Result<Clustering> {
        let CopyTier {
            order,
            groups,
            days,
            mut report,
        } = copies;
        let article = |i: u32| &articles[order[i as usize] as usize];
        let start = Instant::now();
        progress.stage("stories", 0);
        let story_of = self.stories(&groups, &days, &article, &mut report);
        report.stage("stories", start);

        // Back to input positions.
        let start = Instant::now();
        progress.stage("assemble", 0);
        let mut story = vec![(0, 0.0); articles.len()];
        for (r, s, sim) in story_of {
            story[r as usize] = (s, sim);
        }
        let placed = Placement {
            position: order,
            representative: groups.representative,
            score: groups.score,
            basis: groups.basis,
            story,
        };
        let result = Clustering::assemble(articles, &placed, report);
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
        report.story_timings = stories.timings;
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

/// What the copy tier found, for the story tier.
struct CopyTier {
    /// Input position of each document (documents in id order).
    order: Vec<u32>,
    groups: CopyGroups,
    days: Vec<Option<crate::Day>>,
    report: Report,
}

/// Articles signed as they arrive and clustered at the end: made by
/// [`Clusterer::batch`]. Each [`push`](Self::push) signs its articles at
/// once on the thread pool, so that signing overlaps the reading of the next
/// piece (as with [`read_jsonl_with`](crate::io::read_jsonl_with)), and the
/// texts are signed while they are still in the cache.
/// [`finish`](Self::finish) gives what [`Clusterer::cluster`] gives for every
/// article pushed, in push order.
///
/// # Example
/// ```
/// use storyhash::{Article, Clusterer, Config};
/// let wire = "Rescue teams searched through the night for survivors after a strong \
///             earthquake struck the coastal town of Port Elling on Tuesday, officials said.";
/// let clusterer = Clusterer::new(Config::default())?;
/// let mut batch = clusterer.batch();
/// batch.push(vec![Article::new("b", format!("By Staff Reporter. {wire}"))])?;
/// batch.push(vec![Article::new("a", wire), Article::new("c", "Budget approved.")])?;
/// let (articles, result) = batch.finish(&())?;
/// assert_eq!(articles[0].id, "b");
/// assert_eq!(result.copy_group_of(0).id(), "a");
/// assert_eq!(result.copy_group_of(2).id(), "c");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Batch<'c> {
    clusterer: &'c Clusterer,
    articles: Vec<Article>,
    /// Whether [`finish`](Self::finish) gives the texts back (see
    /// [`without_texts`](Self::without_texts)).
    texts_back: bool,
    /// The MinHash signatures of the articles, in input order, a piece a
    /// push (none with SimHash, whose fingerprints are made at the end).
    signed: SignedParts,
    /// A document of each distinct text in `signed`, by the low bits of its
    /// content hash: a text pushed again is not signed again.
    seen: Map<u64, u32>,
}

impl Batch<'_> {
    /// Adds `articles` after those pushed before, signing them now.
    ///
    /// # Errors
    /// [`Error::DocumentTooLarge`] (with its position among all the articles
    /// pushed) for an oversized article when the limits say to reject it;
    /// nothing of this push is kept then.
    pub fn push(&mut self, articles: Vec<Article>) -> Result<()> {
        let start = self.articles.len();
        let config = &self.clusterer.config;
        if config.copies.simhash.is_none() {
            let signed = sign(
                &self.clusterer.signer,
                config.limits.max_document_bytes,
                articles.len(),
                |i| ((start + i) as u64, articles[i].text(), articles[i].date()),
                &(),
                Some(Earlier {
                    signed: &self.signed,
                    seen: &mut self.seen,
                }),
            )
            .map_err(|e| e.map_index(|i| start + i))?;
            self.signed.push(signed);
        }
        let mut articles = articles;
        // The story tier reads texts and titles, SimHash fingerprints at the end.
        if !self.texts_back && !config.stories.enabled && config.copies.simhash.is_none() {
            articles.iter_mut().for_each(let_go);
        }
        self.articles.extend(articles);
        Ok(())
    }

    /// Lets go of each article's text and title as soon as nothing reads it
    /// any more, for a caller who needs only the ids back: the articles
    /// [`finish`](Self::finish) gives back then have empty texts and no
    /// titles. With MinHash and the story tier off, a text goes once it is
    /// signed, so that memory holds one chunk of text rather than all of it;
    /// with the story tier on, the texts of all but each copy group's
    /// representative go once the copy groups are found, before the story
    /// tier builds its vectors.
    pub fn without_texts(mut self) -> Self {
        self.texts_back = false;
        self
    }

    /// The articles pushed so far, in push order.
    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    /// Clusters every article pushed, telling `progress` how it goes as
    /// [`Clusterer::cluster_with`] does (the signing is done: its stage is
    /// `order signatures`); gives the articles back with the result.
    ///
    /// # Errors
    /// As [`Clusterer::cluster`].
    pub fn finish(mut self, progress: &dyn Progress) -> Result<(Vec<Article>, Clustering)> {
        let clusterer = self.clusterer;
        let presigned = Some(self.signed).filter(|_| clusterer.config.copies.simhash.is_none());
        let copies = clusterer.copy_tier(&self.articles, presigned, progress)?;
        if !self.texts_back {
            // The story tier reads each copy group's representative only.
            for (d, &rep) in copies.groups.representative.iter().enumerate() {
                if rep as usize != d {
                    let_go(&mut self.articles[copies.order[d] as usize]);
                }
            }
        }
        let result = clusterer.story_tier(&self.articles, copies, progress)?;
        if !self.texts_back {
            self.articles.iter_mut().for_each(let_go);
        }
        Ok((self.articles, result))
    }
}

/// Drops an article's text and title.
fn let_go(article: &mut Article) {
    article.text = String::new();
    article.title = None;
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

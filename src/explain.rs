//! Why two articles are, or are not, copies and one story; and what a story
//! is about. For people checking a clustering: every figure here is the one
//! the decision used, recomputed from the same functions.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::article::{Article, Day};
use crate::batch::Clusterer;
use crate::clustering::Clustering;
use crate::copies::{Rule, Verdict, Verifier};
use crate::error::{Error, Result};
use crate::hash::Map;
use crate::sketch::SignScratch;
use crate::stories::block::{Blocking, Posting};
use crate::stories::{
    conflict_factor, densities, discounted, dot_terms, locally_scaled, profiles_named,
    scored_pairs, top_terms, Laps, Numbers, PairRule, Profile, StoryDoc, StoryStats, TimePrior,
    Vector,
};
use crate::text::{facts, truncate_to_boundary, Shingler};

/// Why two articles are, or are not, copies and one story.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The two articles' ids.
    pub ids: [String; 2],
    /// The copy tier's view.
    pub copies: CopyReasons,
    /// The story tier's view.
    pub story: StoryReasons,
}

/// The copy test of two articles.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct CopyReasons {
    /// Whether the clustering put them in one copy group.
    pub same_group: bool,
    /// Their copy groups' ids.
    pub groups: [String; 2],
    /// Distinct shingles of each.
    pub shingles: [u32; 2],
    /// The verdict of the copy test, as the clustering computed it (from the
    /// signatures; exact for two short documents).
    pub verdict: Verdict,
    /// Jaccard similarity of the exact shingle sets.
    pub exact_jaccard: f64,
    /// Containment of the smaller exact shingle set in the larger.
    pub exact_containment: f64,
    /// Facts (names, numbers) both texts have.
    pub facts_shared: Vec<String>,
    /// Facts only the first, and only the second, has.
    pub facts_only: [Vec<String>; 2],
    /// Which rule decided, in words.
    pub decision: String,
}

/// The story test of two articles: of their copy groups' representatives.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct StoryReasons {
    /// Whether the clustering put them in one story.
    pub same_story: bool,
    /// Their stories' ids.
    pub stories: [String; 2],
    /// The ids of the representatives compared (the longest version of
    /// each one's copy group).
    pub representatives: [String; 2],
    /// Cosine similarity of the representatives' TF-IDF vectors.
    pub cosine: f64,
    /// How many shared features carry the cosine: the square of the sum of
    /// their products over the sum of the squares.
    pub carriers: f64,
    /// What that leaves of the cosine: `carriers / (carriers + evidence)`
    /// (see [`StoryConfig::evidence`](crate::StoryConfig)).
    pub evidence_factor: f64,
    /// Days between them, when both are dated.
    pub days_apart: Option<u32>,
    /// The time prior's factor for that span (1 when undated).
    pub time_factor: f64,
    /// Kinds of conflict in the numbers the two state (one or two years
    /// each, none in common; repeated numbers the other never states), each
    /// taking [`StoryConfig::conflict_penalty`](crate::StoryConfig) off.
    pub number_conflicts: u32,
    /// Those conflicts in words: the years, or the repeated numbers, each
    /// states (`years 2008 / 2013`).
    pub conflicts: Vec<String>,
    /// What the conflicts leave of the similarity: `(1 - conflict_penalty)`
    /// to the power of [`number_conflicts`](Self::number_conflicts).
    pub conflict_factor: f64,
    /// Each representative's density: its similarity to its
    /// [`density_rank`](crate::StoryConfig::density_rank)-th most similar
    /// candidate (0 with fewer).
    pub densities: [f64; 2],
    /// The local scaling of the pair by those densities:
    /// `min(1, density_scale / sqrt(da * db))`.
    pub density_factor: f64,
    /// The story similarity average linkage weighs the pair by: cosine
    /// times the evidence, time, conflict and density factors (0 beyond the
    /// horizon).
    pub similarity: f64,
    /// The story threshold.
    pub threshold: f64,
    /// Key terms (heaviest features) both have.
    pub shared_key_terms: Vec<String>,
    /// Whether the blocking proposed the pair (enough shared key terms
    /// under keys not too common).
    pub proposed: bool,
    /// The features that contribute most to the cosine, with their share.
    pub top_shared_terms: Vec<(String, f64)>,
    /// Which rule decided, in words.
    pub decision: String,
}

/// Story features of some documents: weighed vectors with IDF over the
/// representatives of a clustering, and the text of each feature.
struct Named {
    vectors: HashMap<usize, Vector>,
    numbers: HashMap<usize, Numbers>,
    names: Map<u64, String>,
}

impl Named {
    /// The vectors and numbers of `profiles`, those of `reps` in order.
    fn new(
        reps: &[usize],
        profiles: impl IntoIterator<Item = Profile>,
        names: Map<u64, String>,
    ) -> Self {
        let mut vectors = HashMap::with_capacity(reps.len());
        let mut numbers = HashMap::with_capacity(reps.len());
        for (&r, p) in reps.iter().zip(profiles) {
            vectors.insert(r, p.vector);
            numbers.insert(r, p.numbers);
        }
        Named {
            vectors,
            numbers,
            names,
        }
    }
}

impl Clusterer {
    /// The story vectors of `reps` (input positions), IDF over all of them,
    /// with the surface text of their features.
    fn named(&self, articles: &[Article], reps: &[usize]) -> Named {
        let (profiles, names) = self.named_profiles(&self.story_docs(articles, reps));
        Named::new(reps, profiles, names)
    }

    /// The profiles of `docs` as the batch weighs them, with the surface
    /// text of their features.
    fn named_profiles(&self, docs: &[StoryDoc<'_>]) -> (Vec<Profile>, Map<u64, String>) {
        profiles_named(
            docs,
            &self.config().stories,
            self.config().sketch.seed,
            true,
            &mut Laps::start(),
        )
    }

    /// The story documents of `reps` (input positions), as the batch
    /// clusters them.
    fn story_docs<'a>(&self, articles: &'a [Article], reps: &[usize]) -> Vec<StoryDoc<'a>> {
        let limit = self.config().limits.max_document_bytes;
        reps.iter()
            .map(|&r| {
                let a = &articles[r];
                StoryDoc {
                    title: a.title.as_deref().map(|t| truncate_to_boundary(t, limit)),
                    text: truncate_to_boundary(&a.text, limit),
                    day: a.day().ok().flatten(),
                }
            })
            .collect()
    }

    /// The density the batch's local scaling gives each of `profiles` (of
    /// documents dated `days`), from every pair it scores. Lets go of the
    /// profiles' vectors, as the batch does.
    fn densities(&self, profiles: &mut [Profile], days: &[Option<Day>]) -> Vec<f64> {
        let cfg = &self.config().stories;
        let (mut stats, mut laps) = (StoryStats::default(), Laps::start());
        let sims = scored_pairs(profiles, days, cfg, &mut stats, &mut laps);
        densities(profiles.len(), &sims, cfg.density_rank)
    }

    /// What each story of `clustering` (in [`Clustering::stories`] order)
    /// is about: its `k` heaviest terms (words, names, numbers), from the
    /// summed TF-IDF vectors of its copy groups' representatives.
    pub fn story_terms(
        &self,
        articles: &[Article],
        clustering: &Clustering,
        k: usize,
    ) -> Vec<Vec<String>> {
        let reps: Vec<usize> = clustering
            .copy_groups()
            .iter()
            .map(|g| g.representative())
            .collect();
        let named = self.named(articles, &reps);
        clustering
            .stories()
            .map(|story| {
                let mut sum: Map<u64, f32> = Map::default();
                for g in story.copy_groups() {
                    for &(key, w) in &named.vectors[&g.representative()] {
                        *sum.entry(key).or_default() += w;
                    }
                }
                let mut terms: Vec<(u64, f32)> = sum.into_iter().collect();
                terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                terms
                    .iter()
                    .filter_map(|(key, _)| named.names.get(key).cloned())
                    .take(k)
                    .collect()
            })
            .collect()
    }

    /// Why the articles at positions `a` and `b` of `articles` are, or are
    /// not, copies and one story, in the clustering of all of `articles`.
    ///
    /// # Errors
    /// As [`cluster`](Self::cluster); [`Error::InvalidConfig`] when `a` or
    /// `b` is not a position of `articles`.
    pub fn explain(&self, articles: &[Article], a: usize, b: usize) -> Result<Explanation> {
        if a.max(b) >= articles.len() {
            return Err(Error::config("explain", "position out of range"));
        }
        let clustering = self.cluster(articles)?;
        let copies = self.copy_reasons(articles, &clustering, a, b)?;
        let story = self.story_reasons(articles, &clustering, a, b);
        Ok(Explanation {
            ids: [articles[a].id.clone(), articles[b].id.clone()],
            copies,
            story,
        })
    }

    fn copy_reasons(
        &self,
        articles: &[Article],
        clustering: &Clustering,
        a: usize,
        b: usize,
    ) -> Result<CopyReasons> {
        let cfg = &self.config().copies;
        let (x, y) = (&articles[a], &articles[b]);
        let mut scratch = SignScratch::default();
        let sketch = |t: &str, s: &mut SignScratch| -> Result<crate::sketch::Sketch> {
            match self.signer().sketch(t, s) {
                Ok((sk, _)) => Ok(sk),
                Err(Error::EmptyDocument { .. }) => Ok(crate::sketch::Sketch::default()),
                Err(e) => Err(e),
            }
        };
        let (sx, sy) = (
            sketch(&x.text, &mut scratch)?,
            sketch(&y.text, &mut scratch)?,
        );
        let verdict = Verifier { config: cfg }.judge(sx.as_ref(), sy.as_ref(), 1.0);
        let limit = self.config().limits.max_document_bytes;
        let shingler = Shingler::new(self.config().sketch.shingling, self.config().sketch.seed);
        let set = |t: &str| -> HashSet<u64> {
            shingler
                .shingles(truncate_to_boundary(t, limit))
                .unwrap_or_default()
                .into_iter()
                .collect()
        };
        let (ex, ey) = (set(&x.text), set(&y.text));
        let both = ex.intersection(&ey).count() as f64;
        let union = (ex.len() + ey.len()) as f64 - both;
        let small = ex.len().min(ey.len()).max(1) as f64;
        let (fx, fy): (BTreeSet<String>, BTreeSet<String>) = (
            facts(&x.text).into_iter().collect(),
            facts(&y.text).into_iter().collect(),
        );
        let (gx, gy) = (clustering.copy_group_of(a), clustering.copy_group_of(b));
        let same_group = gx.id() == gy.id();
        let decision = copy_decision(
            cfg,
            &verdict,
            same_group,
            [clustering.member(a).basis, clustering.member(b).basis],
        );
        Ok(CopyReasons {
            same_group,
            groups: [gx.id().to_owned(), gy.id().to_owned()],
            shingles: [sx.shingles, sy.shingles],
            verdict,
            exact_jaccard: if union > 0.0 { both / union } else { 0.0 },
            exact_containment: both / small,
            facts_shared: fx.intersection(&fy).cloned().collect(),
            facts_only: [
                fx.difference(&fy).cloned().collect(),
                fy.difference(&fx).cloned().collect(),
            ],
            decision,
        })
    }

    fn story_reasons(
        &self,
        articles: &[Article],
        clustering: &Clustering,
        a: usize,
        b: usize,
    ) -> StoryReasons {
        let cfg = &self.config().stories;
        let (ra, rb) = (
            clustering.copy_group_of(a).representative(),
            clustering.copy_group_of(b).representative(),
        );
        let reps: Vec<usize> = clustering
            .copy_groups()
            .iter()
            .map(|g| g.representative())
            .collect();
        let docs = self.story_docs(articles, &reps);
        let (mut profiles, names) = self.named_profiles(&docs);
        let named = Named::new(&reps, profiles.iter().cloned(), names);
        let days: Vec<Option<Day>> = docs.iter().map(|d| d.day).collect();
        let density = self.densities(&mut profiles, &days);
        let density_of = |r: usize| {
            reps.iter()
                .position(|&x| x == r)
                .map_or(0.0, |i| density[i])
        };
        let densities = [density_of(ra), density_of(rb)];
        let (va, vb) = (&named.vectors[&ra], &named.vectors[&rb]);
        let day = |r: usize| articles[r].day().ok().flatten();
        let (da, db) = (day(ra), day(rb));
        let prior = TimePrior::new(cfg);
        let terms = dot_terms(va, vb);
        let cosine = terms.sum;
        let density_factor = locally_scaled(1.0, densities[0], densities[1], cfg.density_scale);
        let (na, nb) = (&named.numbers[&ra], &named.numbers[&rb]);
        let similarity =
            density_factor * discounted(&prior, PairRule::new(cfg), (da, na), (db, nb), || terms);
        let numbers = |n: &Numbers| {
            let top: Vec<&str> = n
                .top()
                .iter()
                .filter_map(|k| named.names.get(k).map(String::as_str))
                .collect();
            top.join(", ")
        };
        let years = |n: &Numbers| {
            let y: Vec<String> = n.years().iter().map(u16::to_string).collect();
            y.join(", ")
        };
        let [year_conflict, number_conflict] = na.conflict_kinds(nb);
        let conflicts = u32::from(year_conflict) + u32::from(number_conflict);
        let mut conflict_words = Vec::new();
        if year_conflict {
            conflict_words.push(format!("years {} / {}", years(na), years(nb)));
        }
        if number_conflict {
            conflict_words.push(format!("numbers {} / {}", numbers(na), numbers(nb)));
        }
        let blocking = Blocking::new(cfg);
        let (ta, tb) = (
            top_terms(va, blocking.top_terms()),
            top_terms(vb, blocking.top_terms()),
        );
        let shared: Vec<u64> = ta.iter().filter(|t| tb.contains(t)).copied().collect();
        let proposed = ra != rb && meets(&blocking, &named, &reps, articles, (ra, rb));
        let mut contributions: Vec<(String, f64)> = va
            .iter()
            .filter_map(|&(k, w)| {
                let other = vb.iter().find(|e| e.0 == k)?.1;
                let name = named.names.get(&k)?.clone();
                Some((
                    name,
                    f64::from(w) * f64::from(other) / cosine.max(f64::MIN_POSITIVE),
                ))
            })
            .collect();
        contributions.sort_by(|x, y| y.1.total_cmp(&x.1));
        contributions.truncate(10);
        let name = |k: &u64| named.names.get(k).cloned().unwrap_or_default();
        let same_story = clustering.story_of(a).id() == clustering.story_of(b).id();
        let days_apart = match (da, db) {
            (Some(x), Some(y)) => Some(x.days().abs_diff(y.days())),
            _ => None,
        };
        let decision = story_decision(
            cfg.threshold,
            ra == rb,
            same_story,
            proposed,
            similarity,
            shared.len(),
            blocking.min_shared(),
            days_apart.zip(prior.horizon()),
        );
        StoryReasons {
            same_story,
            stories: [
                clustering.story_of(a).id().to_owned(),
                clustering.story_of(b).id().to_owned(),
            ],
            representatives: [articles[ra].id.clone(), articles[rb].id.clone()],
            cosine,
            carriers: terms.carriers(),
            evidence_factor: terms.evidence_factor(cfg.evidence),
            days_apart,
            time_factor: prior.between(da, db),
            number_conflicts: conflicts,
            conflicts: conflict_words,
            conflict_factor: conflict_factor(cfg.conflict_penalty, conflicts),
            densities,
            density_factor,
            similarity,
            threshold: cfg.threshold,
            shared_key_terms: shared.iter().map(name).collect(),
            proposed,
            top_shared_terms: contributions,
            decision,
        }
    }
}

/// Whether the blocking meets the two representatives under enough keys
/// that are not too common.
fn meets(
    blocking: &Blocking,
    named: &Named,
    reps: &[usize],
    articles: &[Article],
    (ra, rb): (usize, usize),
) -> bool {
    let mut postings: Vec<Posting> = Vec::new();
    for &r in reps {
        let terms = top_terms(&named.vectors[&r], blocking.top_terms());
        blocking.postings(
            r as u64,
            &terms,
            articles[r].day().ok().flatten(),
            &mut postings,
        );
    }
    postings.sort_unstable();
    let mut count = 0;
    for run in postings.chunk_by(|x, y| x.key() == y.key()) {
        let at = |r: usize| run.iter().find(|p| p.doc == r as u64);
        if let (Some(x), Some(y)) = (at(ra), at(rb)) {
            if (x.home || y.home) && blocking.expands(run.len()) {
                count += 1;
            }
        }
    }
    count >= blocking.min_shared()
}

fn copy_decision(
    cfg: &crate::CopyConfig,
    v: &Verdict,
    same_group: bool,
    basis: [crate::Basis; 2],
) -> String {
    let facts = match v.facts {
        Some(f) => format!("{:.0}% of the facts agree", 100.0 * f),
        None => "too few facts to compare".to_owned(),
    };
    if same_group && basis.contains(&crate::Basis::Identical) {
        return "copies: one text repeats another exactly".to_owned();
    }
    let test = match v.rule {
        Rule::Jaccard => format!(
            "copies by wording: Jaccard {:.2} >= {}, and {facts}",
            v.jaccard, cfg.jaccard
        ),
        Rule::Containment => format!(
            "copies by wording: containment {:.2} >= {} (a truncated or wrapped version), and {facts}",
            v.containment, cfg.containment
        ),
        Rule::FactsDisagree => format!(
            "not copies: they share wording (Jaccard {:.2}, containment {:.2}) but only {facts} \
             (< {:.0}%): reports of different events written from one template",
            v.jaccard,
            v.containment,
            100.0 * cfg.facts
        ),
        _ => format!(
            "not copies: too little shared wording (Jaccard {:.2} < {}, containment {:.2} < {} or \
             the shorter has fewer than {} shingles)",
            v.jaccard, cfg.jaccard, v.containment, cfg.containment, cfg.min_containment_shingles
        ),
    };
    match (v.score.is_some(), same_group) {
        (true, true) | (false, false) => test,
        (true, false) => format!(
            "{test}; but in different groups: each stays with the representative (longest \
             version) it is closest to, and the drift guard keeps a member within half the \
             thresholds of its representative"
        ),
        (false, true) => format!("{test}; but in one group through other members, each close to the group's representative"),
    }
}

/// The other way two articles come to share a story (a leftover of the
/// averages joining on its strongest link: `stories::link`).
const LEFTOVER: &str = ", or one of them, left alone by the averages, joined the story on its \
                        strongest link";

#[allow(clippy::too_many_arguments)]
fn story_decision(
    threshold: f64,
    same_group: bool,
    same_story: bool,
    proposed: bool,
    similarity: f64,
    shared: usize,
    min_shared: usize,
    apart: Option<(u32, u32)>,
) -> String {
    if same_group {
        return "one story: they are in one copy group".to_owned();
    }
    let beyond = apart.filter(|&(days, horizon)| days > 2 * horizon);
    match (same_story, proposed) {
        (true, true) if similarity >= threshold => format!(
            "one story: similarity {similarity:.3} >= {threshold}, and the average over their \
             stories' pairs reached it{LEFTOVER}"
        ),
        (true, true) => format!(
            "one story through other articles: their own similarity is {similarity:.3}, but the \
             average over all pairs of the two stories reached {threshold}{LEFTOVER}"
        ),
        (true, false) => {
            let why = match beyond {
                Some((days, horizon)) => {
                    format!("{days} days apart, beyond the horizon of {horizon} days")
                }
                None => format!(
                    "they share {shared} key terms under keys not too common, {min_shared} needed"
                ),
            };
            format!(
                "one story through other articles: they were never compared ({why}), so their \
                 pair counts 0, but the average over all pairs of the two stories reached \
                 {threshold}{LEFTOVER}"
            )
        }
        (false, false) => match beyond {
            Some((days, horizon)) => format!(
                "different stories: {days} days apart, beyond the time prior's horizon of {horizon} \
                 days, so never compared"
            ),
            None => format!(
                "different stories: never compared, they share {shared} key terms under keys not \
                 too common (at least {min_shared} needed)"
            ),
        },
        (false, true) if similarity < threshold => format!(
            "different stories: similarity {similarity:.3} < {threshold}"
        ),
        (false, true) => format!(
            "different stories: similar ({similarity:.3} >= {threshold}), but the average over \
             all pairs of their two stories stayed under {threshold}, so one bridge did not merge \
             them"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn explains_a_copy_a_rewrite_and_an_unrelated_article() {
        let wire = "Firefighters battled a blaze at the old Corran textile mill in Lanmore for six \
                    hours on Sunday before bringing it under control, the county fire service said. \
                    About 90 firefighters and 18 engines attended at the height of the fire.";
        let articles = vec![
            Article::new("a", wire),
            Article::new("b", format!("LANMORE (Wire) - {wire} Subscribe for more.")),
            Article::new(
                "c",
                "A fire at the Corran mill in Lanmore kept 90 firefighters busy on Sunday; the \
                 county fire service said 18 engines attended the Corran blaze.",
            ),
            Article::new(
                "d",
                "Parliament passed the revised farm subsidy bill by 212 votes to 190.",
            ),
        ];
        let c = Clusterer::new(Config::default()).unwrap();
        let e = c.explain(&articles, 0, 1).unwrap();
        assert!(
            e.copies.same_group && e.copies.decision.starts_with("copies"),
            "{e:?}"
        );
        assert!(e.copies.exact_containment > 0.9);
        assert!(e.copies.facts_shared.contains(&"corran".to_owned()));
        let e = c.explain(&articles, 0, 2).unwrap();
        assert!(!e.copies.same_group && e.copies.decision.starts_with("not copies"));
        assert!(e.story.same_story, "{:?}", e.story);
        assert!(e
            .story
            .top_shared_terms
            .iter()
            .any(|t| t.0.contains("corran")));
        let e = c.explain(&articles, 0, 3).unwrap();
        assert!(!e.story.same_story && e.story.decision.starts_with("different stories"));
        let labels = c.story_terms(&articles, &c.cluster(&articles).unwrap(), 3);
        assert!(
            labels
                .iter()
                .any(|l| l.iter().any(|t| t.contains("corran"))),
            "{labels:?}"
        );
    }
}

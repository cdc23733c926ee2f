//! The story tier on the sample, on the five summit seeds among 1,282
//! distractors, and on the labelled corpora (skipped when `../shared` is absent).

mod common;

use std::collections::{HashMap, HashSet};

use storyhash::eval::{score, Scores};
use storyhash::io::{read_input, read_txt_dir};
use storyhash::{Article, Clusterer, Clustering, Config};

use common::{sample, shared};

/// The batch clustering of `articles` with the default configuration.
fn cluster(articles: &[Article]) -> Clustering {
    Clusterer::new(Config::default())
        .unwrap()
        .cluster(articles)
        .unwrap()
}

fn stories(r: &Clustering) -> Vec<String> {
    (0..r.len())
        .map(|i| r.story_of(i).id().to_owned())
        .collect()
}

/// Articles of a labelled corpus with their gold story (articles without one
/// are each their own story).
fn labelled(corpus: &str) -> Option<(Vec<Article>, Vec<String>)> {
    let path = shared(&format!("corpora/{corpus}/docs.jsonl"))?;
    let (articles, _) = read_input(&path, &Default::default()).unwrap();
    let gold = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .zip(&articles)
        .map(|(l, a)| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["story"]
                .as_str()
                .map_or_else(|| format!("alone:{}", a.id), str::to_owned)
        })
        .collect();
    Some((articles, gold))
}

#[test]
fn sample_stories_match_the_gold_events() {
    let (articles, gold, _) = sample();
    let result = cluster(&articles);
    let s = score(&stories(&result), &gold);
    assert_eq!((s.pair_precision, s.pair_recall), (1.0, 1.0), "{s:?}");
}

#[test]
fn seeds_form_one_story_among_distractors() {
    let Some(seed_dir) = shared("seeds") else {
        return;
    };
    let (Some(lee), Some(ecb)) = (labelled("lee_background"), labelled("ecbplus")) else {
        return;
    };
    let (mut articles, _) = read_txt_dir(&seed_dir, &Default::default()).unwrap();
    articles.sort_by(|a, b| a.id.cmp(&b.id));
    let seeds: Vec<String> = articles.iter().map(|a| a.id.clone()).collect();
    articles.extend(lee.0);
    articles.extend(ecb.0);
    let result = cluster(&articles);
    let story = result.story_of(0).id().to_owned();
    for (i, seed) in seeds.iter().enumerate() {
        assert_eq!(
            result.story_of(i).id(),
            story,
            "seed {seed} is in another story"
        );
    }
    let copy: Vec<&str> = (0..5).map(|i| result.copy_group_of(i).id()).collect();
    assert_eq!(copy[0], copy[4], "000 and 004 are copies");
    assert_eq!(
        copy[..4].iter().collect::<HashSet<_>>().len(),
        4,
        "{copy:?}"
    );
    let joined: Vec<&str> = (5..articles.len())
        .filter(|&i| result.story_of(i).id() == story)
        .map(|i| articles[i].id.as_str())
        .collect();
    assert!(
        joined.is_empty(),
        "unrelated articles joined the seed story: {joined:?}"
    );
}

#[test]
fn ecbplus_events_with_default_configuration() {
    let Some((articles, gold)) = labelled("ecbplus") else {
        return;
    };
    let result = cluster(&articles);
    let predicted = stories(&result);
    let s = score(&predicted, &gold);
    // Share of topics whose two sibling events (e.g. two different earthquakes)
    // have at least one story in common.
    let topic = |g: &str| g.split('_').next().unwrap_or(g).to_owned();
    let mut events_of_story: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (p, g) in predicted.iter().zip(&gold) {
        events_of_story.entry(p).or_default().insert(g);
    }
    let mut merged_topics = HashSet::new();
    for events in events_of_story.values() {
        let topics: Vec<String> = events.iter().map(|e| topic(e)).collect();
        for t in &topics {
            if topics.iter().filter(|x| *x == t).count() > 1 {
                merged_topics.insert(t.clone());
            }
        }
    }
    let all_topics: HashSet<String> = gold.iter().map(|g| topic(g)).collect();
    eprintln!(
        "ecbplus: B3 P {:.3} R {:.3} F1 {:.3}, pairwise P {:.3} R {:.3} F1 {:.3}, {} stories, sibling events merged in {}/{} topics",
        s.bcubed_precision, s.bcubed_recall, s.bcubed_f1, s.pair_precision, s.pair_recall, s.pair_f1,
        s.predicted_clusters, merged_topics.len(), all_topics.len()
    );
    assert!(s.bcubed_f1 >= 0.90, "{s:?}");
    assert!(s.pair_f1 >= 0.85, "{s:?}");
}

/// Coverage of one event runs for days and weeks: ECB+ given such dates
/// (each event starting on its own day, the two similar events of a topic
/// more than a year apart, each article an exponential number of days
/// after its event's start, mean 7, so that about a third of the pairs of
/// one event are more than a week apart) still forms its events. A time
/// prior that discounts from day one splits them (B3 F1 about 0.70).
#[test]
fn ecbplus_events_covered_over_weeks_stay_together() {
    // Exponential, mean 7 days (cut at 60).
    let s = dated_ecbplus(500, |rng| (-7.0 * (1.0 - rng.unit()).ln()).min(60.0) as i32);
    let Some(s) = s else { return };
    eprintln!(
        "ecbplus dated over weeks: B3 P {:.3} R {:.3} F1 {:.3}",
        s.bcubed_precision, s.bcubed_recall, s.bcubed_f1
    );
    assert!(s.bcubed_f1 >= 0.90 && s.bcubed_precision >= 0.97, "{s:?}");
}

/// As above, with most of an event's coverage in its first days and a fifth
/// of it follow-ups any day of the next three months (trials, recounts):
/// about a third of the pairs of one event are more than a week apart and a
/// fifth more than a month. A time prior that lets time take more than one
/// conflict's share off, or compares articles at most 60 days apart, splits
/// them (B3 F1 about 0.83).
#[test]
fn ecbplus_events_followed_up_for_months_stay_together() {
    let s = dated_ecbplus(500, |rng| {
        if rng.unit() < 0.2 {
            rng.below(90) as i32
        } else {
            (-2.0 * (1.0 - rng.unit()).ln()).min(60.0) as i32
        }
    });
    let Some(s) = s else { return };
    eprintln!(
        "ecbplus followed up for months: B3 P {:.3} R {:.3} F1 {:.3}",
        s.bcubed_precision, s.bcubed_recall, s.bcubed_f1
    );
    assert!(s.bcubed_f1 >= 0.88 && s.bcubed_precision >= 0.97, "{s:?}");
}

/// The hardest spread: every article any day of its event's first three
/// months (a story covered every few days, with no burst), the two similar
/// events of a topic only 60 days apart, so that their coverage overlaps.
/// Time apart must not split the events nor join the similar ones: B3 F1
/// 0.917 (precision 0.987) with the time factor's floor of 0.8 and the
/// leftovers of the averages joined, 0.904 without them, 0.877 with the
/// floor of 0.7 it had before.
#[test]
fn ecbplus_events_covered_evenly_for_three_months_stay_together() {
    let s = dated_ecbplus(60, |rng| rng.below(90) as i32);
    let Some(s) = s else { return };
    eprintln!(
        "ecbplus covered evenly for three months: B3 P {:.3} R {:.3} F1 {:.3}",
        s.bcubed_precision, s.bcubed_recall, s.bcubed_f1
    );
    assert!(s.bcubed_f1 >= 0.89 && s.bcubed_precision >= 0.97, "{s:?}");
}

/// ECB+ clustered with dates: each topic's first event starts on a random
/// day of eight years, its similar event `sibling_gap` days later, and each
/// article comes `offset` days after its event's start. The score against
/// the gold events, or `None` without `../shared`.
fn dated_ecbplus(
    sibling_gap: i32,
    mut offset: impl FnMut(&mut common::Rng) -> i32,
) -> Option<Scores> {
    let (mut articles, gold) = labelled("ecbplus")?;
    let mut rng = common::Rng(7);
    let mut start: HashMap<&str, i32> = HashMap::new();
    for (a, g) in articles.iter_mut().zip(&gold) {
        let topic = g.split('_').next().unwrap_or(g);
        let sibling = i32::from(g.ends_with("ecbplus"));
        let topic_start = *start
            .entry(topic)
            .or_insert_with(|| 14_610 + rng.below(3_000) as i32);
        let day = topic_start + sibling * sibling_gap + offset(&mut rng);
        a.date = Some(storyhash::Day::from_days(day).to_string());
    }
    Some(score(&stories(&cluster(&articles)), &gold))
}

#[test]
fn allsides_roundups_pairwise() {
    let Some((articles, gold)) = labelled("allsides_roundups") else {
        return;
    };
    let result = cluster(&articles);
    let s = score(&stories(&result), &gold);
    eprintln!(
        "allsides_roundups: pairwise P {:.3} R {:.3} F1 {:.3}, B3 P {:.3} R {:.3} F1 {:.3}",
        s.pair_precision,
        s.pair_recall,
        s.pair_f1,
        s.bcubed_precision,
        s.bcubed_recall,
        s.bcubed_f1
    );
    // A floor under the measured figures, so that a regression fails.
    assert!(s.bcubed_f1 >= 0.68 && s.pair_recall >= 0.55, "{s:?}");
}

/// `explain` reports the similarity average linkage used: each copy
/// group's story similarity is the mean of its pairs with the story's other
/// groups (a pair never proposed counting 0), so the pairs `explain` gives
/// must average to it, the evidence discount, local scaling and number
/// conflicts included. Checks
/// stories of two and three groups, at most `limit` of them; returns how
/// many, and of their pairs how many local scaling discounted and how many
/// had conflicting numbers.
fn explained_pairs_agree(
    articles: &[Article],
    config: Config,
    limit: usize,
) -> (usize, usize, usize) {
    let clusterer = Clusterer::new(config).unwrap();
    let result = clusterer.cluster(articles).unwrap();
    let (mut checked, mut scaled, mut conflicting) = (0, 0, 0);
    for story in result.stories() {
        let groups: Vec<_> = story.copy_groups().collect();
        if !(2..=3).contains(&groups.len()) {
            continue;
        }
        let mut sums = vec![0.0; groups.len()];
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let (a, b) = (groups[i].representative(), groups[j].representative());
                let s = clusterer.explain(articles, a, b).unwrap().story;
                let product = s.cosine
                    * s.evidence_factor
                    * s.time_factor
                    * s.conflict_factor
                    * s.density_factor;
                assert!((product - s.similarity).abs() < 1e-9, "{s:?}");
                assert_eq!(s.conflicts.len() as u32, s.number_conflicts, "{s:?}");
                // A pair the blocking never proposed counts 0, and says so.
                assert!(s.proposed || s.decision.contains("never compared"), "{s:?}");
                let used = if s.proposed { s.similarity } else { 0.0 };
                sums[i] += used;
                sums[j] += used;
                scaled += usize::from(s.density_factor < 1.0);
                conflicting += usize::from(s.number_conflicts > 0);
            }
        }
        for (g, sum) in groups.iter().zip(sums) {
            let mean = sum / (groups.len() - 1) as f64;
            assert!(
                (mean - f64::from(g.story_similarity())).abs() < 1e-5,
                "story {}: pairs explained average {mean}, the linkage's {}",
                story.id(),
                g.story_similarity()
            );
        }
        checked += 1;
        if checked == limit {
            break;
        }
    }
    (checked, scaled, conflicting)
}

#[test]
fn explain_gives_the_similarity_the_linkage_used() {
    let (articles, _, _) = sample();
    let (checked, _, _) = explained_pairs_agree(&articles, Config::default(), usize::MAX);
    assert!(checked >= 3, "{checked} stories of two or three groups");
    // ECB+ has pairs with conflicting numbers; with a lower density scale,
    // local scaling discounts some of them.
    let Some((articles, _)) = labelled("ecbplus") else {
        return;
    };
    let mut config = Config::default();
    config.stories.density_scale = 0.2;
    let (checked, scaled, conflicting) = explained_pairs_agree(&articles, config, 15);
    assert!(
        checked >= 10 && scaled >= 1 && conflicting >= 1,
        "{checked} checked, {scaled} scaled, {conflicting} with conflicts"
    );
}

/// The summit seeds form one story although not every pair of them was
/// compared: `explain` says so of those pairs rather than quoting a
/// similarity the linkage never used.
#[test]
fn explain_names_the_pairs_never_compared() {
    let Some(dir) = shared("seeds") else {
        return;
    };
    let (articles, _) = read_txt_dir(&dir, &Default::default()).unwrap();
    let clusterer = Clusterer::new(Config::default()).unwrap();
    let mut never = 0;
    for a in 0..articles.len() {
        for b in a + 1..articles.len() {
            let s = clusterer.explain(&articles, a, b).unwrap().story;
            assert!(s.same_story, "{s:?}");
            if !s.proposed && s.representatives[0] != s.representatives[1] {
                assert!(s.decision.contains("never compared"), "{s:?}");
                never += 1;
            }
        }
    }
    assert!(never >= 1, "every pair of the seeds was compared");
}

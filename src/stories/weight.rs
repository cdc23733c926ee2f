//! TF-IDF weighting, key terms and the time prior: the one home of how a
//! story document is weighed and how time discounts a similarity, used by
//! the batch tier and the stream alike.

use super::features::UNKNOWN_LANGUAGE;
use crate::article::Day;
use crate::config::StoryConfig;
use crate::hash::Map;

/// Sparse vectors: `(feature key, weight)`, sorted by key.
pub(crate) type Vector = Vec<(u64, f32)>;

/// The IDF of a finished batch, within each document's language.
///
/// A batch that mixes languages makes every word of a minority language
/// rare overall, so that two unrelated German articles would look alike
/// through their everyday German words. So a feature is weighed by its
/// frequency among the documents of the same language, `ln(n_lang /
/// df_lang)`, when at least two of them carry it; else by its frequency over
/// the whole batch, `ln(n / df)`, when at least two documents do (names and
/// numbers shared across languages); a feature only one document carries
/// cannot link two and is dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct BatchIdf {
    /// Each feature's frequencies, found with one lookup.
    features: Map<u64, Frequency>,
    /// `(language, feature)` frequencies of the features that documents of
    /// more than one language carry (names and numbers shared across
    /// languages): the few [`Frequency`] cannot hold.
    mixed: Map<(u8, u64), u32>,
    documents: u64,
    documents_by_language: Vec<u64>,
}

/// How many documents carry a feature, in all and in its language.
#[derive(Clone, Copy, Debug, Default)]
struct Frequency {
    /// Documents that carry it.
    all: u32,
    /// Documents of `language` that carry it (0: none of a known language).
    in_language: u32,
    language: u8,
    /// Carried by documents of two or more languages: see [`BatchIdf::mixed`].
    mixed: bool,
    /// The feature's number: its place in the order features were first met.
    number: u32,
    /// The IDF in a document of `language` and in any other, 0 for none (a
    /// [`batch_idf`] is never 0); for a feature not `mixed`, worked out once
    /// all are counted, and kept here so that a lookup finds it.
    idf: [f32; 2],
}

impl BatchIdf {
    /// Counts the features of each `(language, bag)`.
    pub(crate) fn count<'a>(docs: impl Iterator<Item = (u8, &'a [(u64, f32)])>) -> Self {
        let mut idf = BatchIdf {
            documents_by_language: vec![0; UNKNOWN_LANGUAGE as usize + 1],
            ..BatchIdf::default()
        };
        for (lang, bag) in docs {
            idf.documents += 1;
            idf.documents_by_language[usize::from(lang)] += 1;
            for &(k, _) in bag {
                let next = idf.features.len() as u32;
                let f = idf.features.entry(k).or_insert(Frequency {
                    number: next,
                    ..Frequency::default()
                });
                f.all += 1;
                if lang == UNKNOWN_LANGUAGE {
                    continue;
                }
                if f.in_language == 0 && !f.mixed {
                    (f.language, f.in_language) = (lang, 1);
                } else if f.language == lang && !f.mixed {
                    f.in_language += 1;
                } else {
                    if !f.mixed {
                        f.mixed = true;
                        idf.mixed.insert((f.language, k), f.in_language);
                    }
                    *idf.mixed.entry((lang, k)).or_default() += 1;
                }
            }
        }
        // Each IDF once per feature, not once per document carrying it.
        for f in idf.features.values_mut().filter(|f| !f.mixed) {
            let n_language = idf.documents_by_language[usize::from(f.language)];
            let own = batch_idf(f.in_language, n_language, f.all, idf.documents);
            let other = batch_idf(0, 0, f.all, idf.documents);
            f.idf = [own.unwrap_or(0.0), other.unwrap_or(0.0)];
        }
        idf
    }

    /// The IDF of feature `key` in a document of `lang`, and the feature's
    /// number: features are numbered `0..` in the order first counted.
    pub(crate) fn numbered_idf(&self, lang: u8, key: u64) -> Option<(f32, u32)> {
        let f = self.features.get(&key)?;
        let idf = if f.mixed {
            let in_language = self.mixed.get(&(lang, key)).copied().unwrap_or(0);
            let n_language = self.documents_by_language[usize::from(lang)];
            batch_idf(in_language, n_language, f.all, self.documents)?
        } else {
            let [own, other] = f.idf;
            let idf = if f.language == lang { own } else { other };
            (idf > 0.0).then_some(idf)?
        };
        Some((idf, f.number))
    }
}

/// The batch IDF rule of [`BatchIdf`] from its counts: `df_lang` of the
/// `n_lang` documents of the language, `df` of all `n`.
pub(crate) fn batch_idf(df_lang: u32, n_lang: u64, df: u32, n: u64) -> Option<f32> {
    let idf = if df_lang >= 2 {
        (n_lang as f32 / df_lang as f32).ln()
    } else if df >= 2 {
        (n as f32 / df as f32).ln()
    } else {
        return None;
    };
    (idf > 0.0).then_some(idf)
}

/// A stream weighs as though it had seen at least this many documents:
/// with fewer, every frequency is a handful and every feature weighs about
/// the same (the first article of a stream, alone with itself, had no
/// feature with any weight, so no later article could ever join it). A
/// corpus of 100 copy groups is what the first day of a small newsroom
/// brings; from then on the prior is gone.
pub(crate) const MIN_STREAM_DOCS: u64 = 100;

/// The IDF of a stream, from the frequencies so far (this document
/// included): `ln((max(n, MIN_STREAM_DOCS) + 1) / max(df, 2))`, for a feature
/// already shared the batch's value, and for one only this document has so
/// far the weight it will have once one more document shares it (the first
/// report of an event is the first to name it).
pub(crate) fn stream_idf(df: u32, n: u64) -> Option<f32> {
    let n = n.max(MIN_STREAM_DOCS);
    let idf = ((n as f32 + 1.0) / df.max(2) as f32).ln();
    (idf > 0.0).then_some(idf)
}

/// The part of a bag's weights that does not change with the document
/// frequencies: `1 + ln(raw weight)` for each feature.
pub(crate) fn log_tf(bag: &[(u64, f32)]) -> Vector {
    bag.iter().map(|&(k, w)| (k, 1.0 + w.ln())).collect()
}

/// A stream's two unit vectors of one bag, given as [`log_tf`], with
/// `df(key)` copy groups out of `n` carrying each feature: every feature
/// weighed by [`stream_idf`] (what a story sums), and only those at least
/// two groups carry, by the same IDF (what a comparison uses: the batch
/// drops a feature of one document too, as it links the document to
/// nothing and would only dilute its similarities).
pub(crate) fn weigh_stream(tf: &[(u64, f32)], df: impl Fn(u64) -> u32, n: u64) -> (Vector, Vector) {
    let mut all = Vec::with_capacity(tf.len());
    let mut shared = Vec::with_capacity(tf.len());
    for &(k, t) in tf {
        let d = df(k);
        if let Some(idf) = stream_idf(d, n) {
            all.push((k, t * idf));
            if d >= 2 {
                shared.push((k, t * idf));
            }
        }
    }
    normalize(&mut all);
    normalize(&mut shared);
    (all, shared)
}

/// Scales a vector to unit length (an empty or zero one stays as it is).
fn normalize(v: &mut Vector) {
    let norm = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
    if norm > 0.0 {
        for e in v.iter_mut() {
            e.1 /= norm;
        }
    }
}

/// A bag of raw feature weights (sorted by key) as a unit TF-IDF vector:
/// `(1 + ln tf) * idf(key)`, features without an IDF dropped.
pub(crate) fn weigh(bag: &[(u64, f32)], idf: impl Fn(u64) -> Option<f32>) -> Vector {
    let mut v = bag.to_vec();
    weigh_tagged(&mut v, |k| Some((idf(k)?, ())));
    v
}

/// As [`weigh`], in place (the bag becomes the vector), `idf` also giving a
/// tag for each feature it keeps (the feature's number), returned in the
/// vector's order.
pub(crate) fn weigh_tagged<T>(bag: &mut Vector, idf: impl Fn(u64) -> Option<(f32, T)>) -> Vec<T> {
    let mut tags = Vec::with_capacity(bag.len());
    bag.retain_mut(|e| match idf(e.0) {
        Some((idf, tag)) => {
            tags.push(tag);
            e.1 = (1.0 + e.1.ln()) * idf;
            true
        }
        None => false,
    });
    normalize(bag);
    tags
}

/// The `k` heaviest keys of a vector (ties: smaller key), ascending.
pub(crate) fn top_terms(v: &[(u64, f32)], k: usize) -> Vec<u64> {
    let mut t: Vec<&(u64, f32)> = v.iter().collect();
    if t.len() > k && k > 0 {
        // Keys are distinct, so the order is total and the first k are one set.
        t.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    t.truncate(k);
    let mut keys: Vec<u64> = t.into_iter().map(|e| e.0).collect();
    keys.sort_unstable();
    keys
}

/// How much time apart discounts the similarity of two dated articles: none
/// within a grace period, then a half-life down to a floor, and a horizon
/// beyond which they are never compared.
///
/// Coverage of one event runs for weeks (the report, reactions, follow-ups,
/// trials, recounts): in real corpora a third of the pairs of one story are
/// more than a week apart, and a discount that starts on day one splits
/// them. Two reports of similar events are usually months apart; follow-up
/// events of one long-running story, weeks. So the factor is 1 for the
/// `grace` days of an event's own coverage, then halves every `half_life`
/// days, as the news cycle moves on, but never falls below `floor`: far
/// apart, two articles still join a story when what they say is close
/// enough (a cosine of at least `threshold / floor`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TimePrior {
    half_life: f64,
    grace: u32,
    floor: f64,
    horizon: u32,
}

impl TimePrior {
    pub(crate) fn new(config: &StoryConfig) -> Self {
        TimePrior {
            half_life: config.half_life_days,
            grace: config.time_grace_days,
            floor: config.time_floor,
            horizon: config.horizon_days,
        }
    }

    /// The factor for two articles `days` apart: `max(floor, 0.5^((days -
    /// grace) / half_life))`, 1 within the grace period and when the
    /// half-life is 0 (no decay).
    pub(crate) fn factor(&self, days: u32) -> f64 {
        let past = days.saturating_sub(self.grace);
        if self.half_life <= 0.0 || past == 0 {
            1.0
        } else {
            0.5f64
                .powf(f64::from(past) / self.half_life)
                .max(self.floor)
        }
    }

    /// The factor between two optional days: 1 unless both are dated.
    pub(crate) fn between(&self, a: Option<Day>, b: Option<Day>) -> f64 {
        match (a, b) {
            (Some(a), Some(b)) => self.factor(a.days().abs_diff(b.days())),
            _ => 1.0,
        }
    }

    /// The span, in days, beyond which two dated articles are never
    /// compared; `None` when time does not count.
    pub(crate) fn horizon(&self) -> Option<u32> {
        (self.half_life > 0.0).then_some(self.horizon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn batch_idf_counts_as_two_plain_tables(
            docs in proptest::collection::vec(
                (
                    proptest::prop_oneof![0u8..3, proptest::strategy::Just(UNKNOWN_LANGUAGE)],
                    proptest::collection::btree_set(0u64..12, 0..8),
                ),
                0..40,
            ),
        ) {
            let bags: Vec<(u8, Vec<(u64, f32)>)> = docs
                .iter()
                .map(|(l, keys)| (*l, keys.iter().map(|&k| (k, 1.0)).collect()))
                .collect();
            let idf = BatchIdf::count(bags.iter().map(|(l, b)| (*l, b.as_slice())));
            let mut all = std::collections::HashMap::new();
            let mut by_language = std::collections::HashMap::new();
            let mut n_language = std::collections::HashMap::new();
            for (l, keys) in &docs {
                *n_language.entry(*l).or_insert(0u64) += 1;
                for &k in keys {
                    *all.entry(k).or_insert(0u32) += 1;
                    if *l != UNKNOWN_LANGUAGE {
                        *by_language.entry((*l, k)).or_insert(0u32) += 1;
                    }
                }
            }
            for l in [0, 1, 2, UNKNOWN_LANGUAGE] {
                for k in 0..12 {
                    let expected = batch_idf(
                        by_language.get(&(l, k)).copied().unwrap_or(0),
                        n_language.get(&l).copied().unwrap_or(0),
                        all.get(&k).copied().unwrap_or(0),
                        docs.len() as u64,
                    );
                    proptest::prop_assert_eq!(idf.numbered_idf(l, k).map(|e| e.0), expected, "language {} key {}", l, k);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn top_terms_are_the_heaviest_by_weight_then_key(
            v in proptest::collection::btree_map(0u64..60, 0u8..6, 0..40),
            k in 0usize..12,
        ) {
            // Few distinct weights: many ties, broken by the smaller key.
            let v: Vec<(u64, f32)> = v.into_iter().map(|(key, w)| (key, f32::from(w))).collect();
            let mut sorted = v.clone();
            sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut expected: Vec<u64> = sorted.iter().take(k).map(|e| e.0).collect();
            expected.sort_unstable();
            proptest::prop_assert_eq!(top_terms(&v, k), expected);
        }
    }

    #[test]
    fn unit_vectors_and_rare_terms_weigh_more() {
        let bag = [(1, 1.0), (2, 1.0), (3, 1.0)];
        let df = |k| match k {
            1 => 50,
            2 => 2,
            _ => 1,
        };
        let v = weigh(&bag, |k| batch_idf(0, 0, df(k), 100));
        assert_eq!(v.len(), 2, "a feature of one document is dropped");
        let norm: f32 = v.iter().map(|e| e.1 * e.1).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(v[1].1 > v[0].1);
        let s = weigh(&bag, |k| stream_idf(df(k), 100));
        assert_eq!(s.len(), 3, "a stream keeps it, weighed as if shared once");
        assert_eq!(top_terms(&s, 1), vec![2]);
        // Within its language a common word weighs little even when rare overall.
        assert!(batch_idf(40, 50, 40, 1000).unwrap() < batch_idf(0, 50, 40, 1000).unwrap());
    }

    #[test]
    fn a_stream_weighs_every_feature_and_compares_the_shared_ones() {
        let bag = vec![(1u64, 1.0f32), (2, 3.0), (3, 2.0), (4, 1.0)];
        let df = |k: u64| [0, 1, 4, 2, 201][k as usize];
        let (all, shared) = weigh_stream(&log_tf(&bag), df, 200);
        // The whole vector is the one `weigh` gives, to the bit.
        let plain = weigh(&bag, |k| stream_idf(df(k), 200));
        assert_eq!(all, plain);
        // The compared one leaves out the feature only this group has (key
        // 1) and the one every group has (key 4, no IDF), and is a unit
        // vector in the same proportions.
        assert_eq!(shared.iter().map(|e| e.0).collect::<Vec<_>>(), vec![2, 3]);
        let norm: f32 = shared.iter().map(|e| e.1 * e.1).sum();
        assert!((norm - 1.0).abs() < 1e-6);
        let ratio = |v: &Vector| v[v.len() - 2].1 / v[v.len() - 1].1;
        let in_all = all[1].1 / all[2].1;
        assert!((ratio(&shared) - in_all).abs() < 1e-6);
    }

    #[test]
    fn time_prior_waits_a_grace_period_then_halves_to_a_floor_and_has_a_horizon() {
        let config = StoryConfig {
            half_life_days: 10.0,
            time_grace_days: 5,
            time_floor: 0.25,
            ..StoryConfig::default()
        };
        let p = TimePrior::new(&config);
        assert_eq!(p.factor(0), 1.0);
        assert_eq!(p.factor(5), 1.0);
        assert!(p.factor(6) < 1.0);
        assert!((p.factor(15) - 0.5).abs() < 1e-12);
        assert!((p.factor(25) - 0.25).abs() < 1e-12);
        assert_eq!(p.factor(365), config.time_floor);
        assert_eq!(p.factor(u32::MAX), config.time_floor);
        assert_eq!(p.horizon(), Some(config.horizon_days));
        assert_eq!(p.between(None, Some(Day::from_days(400))), 1.0);
        let off = TimePrior::new(&StoryConfig {
            half_life_days: 0.0,
            ..config
        });
        assert_eq!((off.factor(1000), off.horizon()), (1.0, None));
    }
}

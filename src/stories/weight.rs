//! TF-IDF weighting, key terms and the time prior: the one home of how a
//! story document is weighed and how time discounts a similarity, used by
//! the batch tier and the stream alike.

use crate::article::Day;
use crate::config::StoryConfig;

/// Sparse vectors: `(feature key, weight)`, sorted by key.
pub(crate) type Vector = Vec<(u64, f32)>;

/// How document frequencies are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frequencies {
    /// Counted over a whole batch: a feature only one document has cannot
    /// link two and is dropped, and IDF is `ln(n / df)`.
    Final,
    /// Counted so far in a stream, this document included: IDF is
    /// `ln((n + 1) / max(df, 2))`, for a feature already shared the batch's
    /// value, and for one only this document has so far the weight it will
    /// have once one more document shares it (the first report of an event is
    /// the first to name it).
    SoFar,
}

/// A bag of raw feature weights (sorted by key) as a unit TF-IDF vector:
/// `(1 + ln tf) * idf`, with `df(key)` documents out of `n` carrying a feature.
pub(crate) fn weigh(
    bag: &[(u64, f32)],
    df: impl Fn(u64) -> u32,
    n: u64,
    frequencies: Frequencies,
) -> Vector {
    let n = n as f32;
    let mut v: Vector = bag
        .iter()
        .filter_map(|&(k, tf)| {
            let idf = match frequencies {
                Frequencies::Final => {
                    let d = df(k);
                    if d < 2 {
                        return None;
                    }
                    (n / d as f32).ln()
                }
                Frequencies::SoFar => ((n + 1.0) / df(k).max(2) as f32).ln(),
            };
            (idf > 0.0).then(|| (k, (1.0 + tf.ln()) * idf))
        })
        .collect();
    let norm = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
    if norm > 0.0 {
        for e in &mut v {
            e.1 /= norm;
        }
    }
    v
}

/// The `k` heaviest keys of a vector (ties: smaller key), ascending.
pub(crate) fn top_terms(v: &[(u64, f32)], k: usize) -> Vec<u64> {
    let mut t: Vec<&(u64, f32)> = v.iter().collect();
    t.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    t.truncate(k);
    let mut keys: Vec<u64> = t.into_iter().map(|e| e.0).collect();
    keys.sort_unstable();
    keys
}

/// How much time apart discounts the similarity of two dated articles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TimePrior {
    half_life: f64,
    threshold: f64,
}

impl TimePrior {
    pub(crate) fn new(config: &StoryConfig) -> Self {
        TimePrior {
            half_life: config.half_life_days,
            threshold: config.threshold,
        }
    }

    /// The factor for two articles `days` apart: `0.5^(days / half_life)`,
    /// 1 when the half-life is 0 (no decay).
    pub(crate) fn factor(&self, days: u32) -> f64 {
        if self.half_life <= 0.0 {
            1.0
        } else {
            0.5f64.powf(f64::from(days) / self.half_life)
        }
    }

    /// The factor between two optional days: 1 unless both are dated.
    pub(crate) fn between(&self, a: Option<Day>, b: Option<Day>) -> f64 {
        match (a, b) {
            (Some(a), Some(b)) => self.factor(a.days().abs_diff(b.days())),
            _ => 1.0,
        }
    }

    /// The span, in days, beyond which even identical articles fall under
    /// the story threshold: pairs further apart are never proposed.
    /// `None` when time does not decay.
    pub(crate) fn horizon(&self) -> Option<u32> {
        (self.half_life > 0.0).then(|| {
            let days = self.half_life * (1.0 / self.threshold).log2();
            days.ceil().clamp(1.0, f64::from(u32::MAX / 4)) as u32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_vectors_and_rare_terms_weigh_more() {
        let bag = [(1, 1.0), (2, 1.0), (3, 1.0)];
        let df = |k| match k {
            1 => 50,
            2 => 2,
            _ => 1,
        };
        let v = weigh(&bag, df, 100, Frequencies::Final);
        assert_eq!(v.len(), 2, "a feature of one document is dropped");
        let norm: f32 = v.iter().map(|e| e.1 * e.1).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(v[1].1 > v[0].1);
        let s = weigh(&bag, df, 100, Frequencies::SoFar);
        assert_eq!(s.len(), 3, "a stream keeps it, weighed as if shared once");
        assert_eq!(top_terms(&s, 1), vec![2]);
    }

    #[test]
    fn time_prior_halves_and_has_a_horizon() {
        let config = StoryConfig::default();
        let p = TimePrior::new(&config);
        assert_eq!(p.factor(0), 1.0);
        assert!((p.factor(config.half_life_days as u32) - 0.5).abs() < 1e-12);
        let h = p.horizon().unwrap();
        assert!(p.factor(h) <= config.threshold && p.factor(h - 1) > config.threshold);
        assert_eq!(p.between(None, Some(Day::from_days(400))), 1.0);
        let off = TimePrior::new(&StoryConfig {
            half_life_days: 0.0,
            ..config
        });
        assert_eq!((off.factor(1000), off.horizon()), (1.0, None));
    }
}

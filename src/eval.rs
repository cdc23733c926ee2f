//! Scoring a clustering against gold labels: pairwise precision, recall and
//! F1, B-cubed precision, recall and F1 (Bagga & Baldwin 1998), and the
//! adjusted Rand index (Hubert & Arabie 1985).
//!
//! Labels are any hashable values, one per item, in the same order for the
//! prediction and the gold standard. All counts are computed from the
//! contingency table, so the cost is linear in the number of items.

use std::collections::HashMap;
use std::hash::Hash;

/// Scores of one clustering against gold labels.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Items scored.
    pub items: usize,
    /// Clusters predicted.
    pub predicted_clusters: usize,
    /// Gold clusters.
    pub gold_clusters: usize,
    /// Share of predicted same-cluster pairs that are gold same-cluster pairs
    /// (1 when no pair is predicted).
    pub pair_precision: f64,
    /// Share of gold same-cluster pairs that are predicted (1 when there is none).
    pub pair_recall: f64,
    /// Harmonic mean of the two.
    pub pair_f1: f64,
    /// B-cubed precision: mean over items of the share of its predicted cluster
    /// that shares its gold label.
    pub bcubed_precision: f64,
    /// B-cubed recall: mean over items of the share of its gold cluster that is
    /// in its predicted cluster.
    pub bcubed_recall: f64,
    /// Harmonic mean of the two.
    pub bcubed_f1: f64,
    /// Adjusted Rand index: 1 for identical partitions, about 0 for random ones.
    pub ari: f64,
}

/// Scores `predicted` against `gold` (one label per item, same order).
///
/// # Panics
/// When the two slices differ in length.
///
/// # Example
/// ```
/// use storyhash::eval::score;
/// let s = score(&[1, 1, 2, 2], &["a", "a", "b", "b"]);
/// assert!((s.pair_f1 - 1.0).abs() < 1e-12 && (s.ari - 1.0).abs() < 1e-12);
/// let s = score(&[1, 1, 1, 1], &["a", "a", "b", "b"]);
/// assert!((s.pair_precision - 1.0 / 3.0).abs() < 1e-12);
/// assert!((s.pair_recall - 1.0).abs() < 1e-12);
/// ```
pub fn score<P: Hash + Eq, G: Hash + Eq>(predicted: &[P], gold: &[G]) -> Scores {
    assert_eq!(
        predicted.len(),
        gold.len(),
        "one label per item on both sides"
    );
    let n = predicted.len();
    let p_ids = dense(predicted);
    let g_ids = dense(gold);
    let mut cells: HashMap<(u32, u32), u64> = HashMap::new();
    let mut p_sizes = vec![0u64; p_ids.iter().map(|&x| x as usize + 1).max().unwrap_or(0)];
    let mut g_sizes = vec![0u64; g_ids.iter().map(|&x| x as usize + 1).max().unwrap_or(0)];
    for (&p, &g) in p_ids.iter().zip(&g_ids) {
        *cells.entry((p, g)).or_default() += 1;
        p_sizes[p as usize] += 1;
        g_sizes[g as usize] += 1;
    }
    let pairs = |c: u64| (c * c.saturating_sub(1) / 2) as f64;
    let both: f64 = cells.values().map(|&c| pairs(c)).sum();
    let pred: f64 = p_sizes.iter().map(|&c| pairs(c)).sum();
    let gold_pairs: f64 = g_sizes.iter().map(|&c| pairs(c)).sum();
    let pair_precision = if pred > 0.0 { both / pred } else { 1.0 };
    let pair_recall = if gold_pairs > 0.0 {
        both / gold_pairs
    } else {
        1.0
    };

    let (mut bp, mut br) = (0.0, 0.0);
    for (&(p, g), &c) in &cells {
        let c = c as f64;
        bp += c * c / p_sizes[p as usize] as f64;
        br += c * c / g_sizes[g as usize] as f64;
    }
    let (bcubed_precision, bcubed_recall) = if n > 0 {
        (bp / n as f64, br / n as f64)
    } else {
        (1.0, 1.0)
    };

    let total = pairs(n as u64);
    let expected = if total > 0.0 {
        pred * gold_pairs / total
    } else {
        0.0
    };
    let max = (pred + gold_pairs) / 2.0;
    let ari = if (max - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (both - expected) / (max - expected)
    };
    Scores {
        items: n,
        predicted_clusters: p_sizes.len(),
        gold_clusters: g_sizes.len(),
        pair_precision,
        pair_recall,
        pair_f1: f1(pair_precision, pair_recall),
        bcubed_precision,
        bcubed_recall,
        bcubed_f1: f1(bcubed_precision, bcubed_recall),
        ari,
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

fn dense<T: Hash + Eq>(labels: &[T]) -> Vec<u32> {
    let mut ids: HashMap<&T, u32> = HashMap::new();
    labels
        .iter()
        .map(|l| {
            let next = ids.len() as u32;
            *ids.entry(l).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all pairs, the oracle for the contingency-table version.
    fn naive(p: &[u32], g: &[u32]) -> (f64, f64, f64, f64) {
        let n = p.len();
        let (mut tp, mut pp, mut gp) = (0.0, 0.0, 0.0);
        let (mut bp, mut br) = (0.0, 0.0);
        for i in 0..n {
            let (mut same_p, mut same_g, mut same_both) = (0.0, 0.0, 0.0);
            for j in 0..n {
                let sp = p[i] == p[j];
                let sg = g[i] == g[j];
                same_p += f64::from(u8::from(sp));
                same_g += f64::from(u8::from(sg));
                same_both += f64::from(u8::from(sp && sg));
                if j > i {
                    pp += f64::from(u8::from(sp));
                    gp += f64::from(u8::from(sg));
                    tp += f64::from(u8::from(sp && sg));
                }
            }
            bp += same_both / same_p;
            br += same_both / same_g;
        }
        let prec = if pp > 0.0 { tp / pp } else { 1.0 };
        let rec = if gp > 0.0 { tp / gp } else { 1.0 };
        (prec, rec, bp / n as f64, br / n as f64)
    }

    proptest::proptest! {
        #[test]
        fn matches_brute_force(labels in proptest::collection::vec((0u32..5, 0u32..5), 1..40)) {
            let (p, g): (Vec<u32>, Vec<u32>) = labels.into_iter().unzip();
            let s = score(&p, &g);
            let (pp, pr, bp, br) = naive(&p, &g);
            proptest::prop_assert!((s.pair_precision - pp).abs() < 1e-9);
            proptest::prop_assert!((s.pair_recall - pr).abs() < 1e-9);
            proptest::prop_assert!((s.bcubed_precision - bp).abs() < 1e-9);
            proptest::prop_assert!((s.bcubed_recall - br).abs() < 1e-9);
            proptest::prop_assert!(s.ari <= 1.0 + 1e-9);
        }
    }

    #[test]
    fn ari_of_known_case() {
        // sklearn.metrics.adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
        let s = score(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((s.ari - 0.571_428_571_428_571_5).abs() < 1e-12, "{}", s.ari);
    }
}

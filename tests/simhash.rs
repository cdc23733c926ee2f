//! SimHash fingerprints and the Hamming index against brute force.

mod common;

use proptest::prelude::*;
use storyhash::lsh::{pairs_within, HammingIndex};
use storyhash::sketch::hamming_distance;
use storyhash::{Config, SimHasher};

use common::Rng;

/// Random fingerprints with planted near neighbours (up to 7 flipped bits).
fn fingerprints(seed: u64, n: usize) -> Vec<u64> {
    let mut r = Rng(seed);
    let mut out: Vec<u64> = Vec::with_capacity(n);
    while out.len() < n {
        if !out.is_empty() && r.below(2) == 0 {
            let mut fp = out[r.below(out.len() as u64) as usize];
            for _ in 0..r.below(8) {
                fp ^= 1 << r.below(64);
            }
            out.push(fp);
        } else {
            out.push(r.next());
        }
    }
    out
}

fn brute_force(fps: &[u64], q: u64, k: u32, live: &[bool]) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = fps
        .iter()
        .enumerate()
        .filter(|&(i, _)| live[i])
        .map(|(i, &f)| (i as u32, hamming_distance(q, f)))
        .filter(|&(_, d)| d <= k)
        .collect();
    v.sort_unstable_by_key(|&(i, d)| (d, i));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn index_queries_equal_brute_force(seed in any::<u64>(), k in 0u32..=6, n in 1usize..300) {
        let fps = fingerprints(seed, n);
        let mut index = HammingIndex::new(k).unwrap();
        for &f in &fps {
            index.insert(f);
        }
        // Remove a seeded third, then query every fingerprint and a few strangers.
        let mut live = vec![true; n];
        let mut r = Rng(seed ^ 1);
        for (i, l) in live.iter_mut().enumerate() {
            if r.below(3) == 0 {
                index.remove(i as u32).unwrap();
                *l = false;
            }
        }
        prop_assert_eq!(index.len(), live.iter().filter(|&&l| l).count());
        for q in fps.iter().copied().chain((0..5).map(|_| r.next())) {
            prop_assert_eq!(index.query(q), brute_force(&fps, q, k, &live));
        }
    }

    #[test]
    fn all_pairs_equal_brute_force(seed in any::<u64>(), k in 0u32..=6, n in 0usize..250) {
        let fps = fingerprints(seed, n);
        let mut expected = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                let d = hamming_distance(fps[a], fps[b]);
                if d <= k {
                    expected.push((a as u32, b as u32, d));
                }
            }
        }
        prop_assert_eq!(pairs_within(&fps, k).unwrap(), expected);
    }

    #[test]
    fn fingerprint_ignores_feature_order(
        features in proptest::collection::vec((any::<u64>(), 0.1f32..10.0), 1..100),
        seed in any::<u64>(),
    ) {
        let s = SimHasher::new(&Config::default().sketch).unwrap();
        let mut shuffled = features.clone();
        let mut r = Rng(seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, r.below(i as u64 + 1) as usize);
        }
        prop_assert_eq!(s.fingerprint_weighted(&features).unwrap(), s.fingerprint_weighted(&shuffled).unwrap());
    }

    #[test]
    fn identical_input_has_distance_zero(text in "[a-zA-Z ,.]{1,300}") {
        let s = SimHasher::new(&Config::default().sketch).unwrap();
        if let Ok(a) = s.fingerprint(&text) {
            prop_assert_eq!(hamming_distance(a, s.fingerprint(&text).unwrap()), 0);
            prop_assert_eq!(hamming_distance(a, s.fingerprint(&text.to_uppercase()).unwrap()), 0);
        }
    }
}

#[test]
fn batch_equals_serial() {
    let s = SimHasher::new(&Config::default().sketch).unwrap();
    let mut r = Rng(3);
    let texts: Vec<String> = (0..200).map(|_| common::article(&mut r, 120)).collect();
    let serial: Vec<u64> = texts.iter().map(|t| s.fingerprint(t).unwrap()).collect();
    let batch: Vec<u64> = s
        .fingerprint_batch(&texts)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(serial, batch);
}

//! Property tests against naive oracles: normalisation, signatures and estimators.

mod common;

use std::collections::HashSet;

use proptest::prelude::*;
use storyhash::text::normalize;
use storyhash::{Config, MinHasher, Scheme};

use common::Rng;

fn signers() -> Vec<MinHasher> {
    [Scheme::OnePermutation, Scheme::Classic]
        .into_iter()
        .map(|s| MinHasher::new(&Config::default().with_scheme(s).sketch).unwrap())
        .collect()
}

proptest! {
    #[test]
    fn normalization_is_idempotent(s in "\\PC{0,60}") {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn normalization_is_idempotent_on_tricky_text(
        s in "[a-zA-ZßẞİıςΣ\\u{0300}-\\u{036F}\\u{200B}-\\u{200F}\\u{FF01}-\\u{FF5E}ﬁ…“”‘’—– \\t\\n.,'0-9]{0,40}"
    ) {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn signature_ignores_order_and_repetition(
        set in proptest::collection::vec(any::<u64>(), 1..300),
        seed in any::<u64>(),
    ) {
        let mut shuffled = set.clone();
        let mut r = Rng(seed);
        for i in (1..shuffled.len()).rev() {
            let j = r.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        shuffled.extend_from_slice(&set[..set.len() / 2]);
        for s in signers() {
            prop_assert_eq!(s.sign_shingles(&set).unwrap(), s.sign_shingles(&shuffled).unwrap());
        }
    }

    #[test]
    fn similarity_is_symmetric_and_one_on_identical_input(
        a in "[a-z ]{1,200}",
        b in "[a-z ]{1,200}",
    ) {
        for s in signers() {
            let (Ok(x), Ok(y)) = (s.sign(&a), s.sign(&b)) else { continue };
            prop_assert_eq!(x.jaccard(&y).unwrap(), y.jaccard(&x).unwrap());
            prop_assert_eq!(x.containment(&y).unwrap(), y.containment(&x).unwrap());
            prop_assert_eq!(x.jaccard(&x).unwrap().value, 1.0);
            prop_assert_eq!(x.containment(&x).unwrap().value, 1.0);
        }
    }

    #[test]
    fn batch_signing_equals_serial_signing(
        texts in proptest::collection::vec("[a-zA-Z .,]{0,120}", 0..40),
        threads in 1usize..4,
    ) {
        let s = &signers()[0];
        let serial: Vec<_> = texts.iter().map(|t| s.sign(t).ok()).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let parallel: Vec<_> = pool.install(|| s.sign_batch(&texts)).into_iter().map(Result::ok).collect();
        prop_assert_eq!(serial, parallel);
    }
}

/// Random set pairs with a known overlap: `inter` shared values, and `only_a`
/// and `only_b` values on each side.
fn set_pair(r: &mut Rng, inter: usize, only_a: usize, only_b: usize) -> (Vec<u64>, Vec<u64>) {
    let shared: Vec<u64> = (0..inter).map(|_| r.next()).collect();
    let mut a = shared.clone();
    let mut b = shared;
    a.extend((0..only_a).map(|_| r.next()));
    b.extend((0..only_b).map(|_| r.next()));
    (a, b)
}

/// Over many pairs with known overlap, both schemes' Jaccard and containment
/// estimates are unbiased (mean error below 0.01) and every error stays within
/// four standard errors of the true value. Deterministic: fixed seeds.
#[test]
fn estimators_are_unbiased_within_four_standard_errors() {
    const TRIALS: usize = 600;
    for s in signers() {
        let k = s.num_perm() as f64;
        let mut r = Rng(0x5EED);
        let (mut j_err, mut c_err) = (0.0, 0.0);
        for trial in 0..TRIALS {
            // Containment is judged where it is used: the larger document at
            // most four times the smaller (a copy truncated to a quarter). With
            // more disparity the estimate's standard error grows as
            // (|A| + |B|) / |A| and clamping at 1 biases it low near 1.
            let small = 20 + r.below(800) as usize;
            let large = small + r.below(3 * small as u64 + 1) as usize;
            let inter = (small as f64 * r.unit()) as usize;
            let (a, b) = set_pair(&mut r, inter, small - inter, large - inter);
            let exact_j = inter as f64 / (small + large - inter) as f64;
            let exact_c = inter as f64 / small as f64;
            let (sa, sb) = (s.sign_shingles(&a).unwrap(), s.sign_shingles(&b).unwrap());
            assert_eq!(
                HashSet::<u64>::from_iter(a.iter().copied()).len() as u32,
                sa.shingle_count()
            );
            let j = sa.jaccard(&sb).unwrap().value;
            let c = sa.containment(&sb).unwrap().value;
            let se_j = (exact_j * (1.0 - exact_j) / k).sqrt();
            let se_c = se_j * (small + large) as f64 / small as f64 / (1.0 + exact_j).powi(2);
            assert!(
                (j - exact_j).abs() <= 4.0 * se_j + 1e-9,
                "{:?} trial {trial}: J {j} vs {exact_j} (se {se_j})",
                s.params().scheme
            );
            assert!(
                (c - exact_c).abs() <= 4.0 * se_c + 1e-9,
                "{:?} trial {trial}: C {c} vs {exact_c} (se {se_c})",
                s.params().scheme
            );
            j_err += j - exact_j;
            c_err += c - exact_c;
        }
        let (mj, mc) = (j_err / TRIALS as f64, c_err / TRIALS as f64);
        assert!(
            mj.abs() < 0.01,
            "{:?}: mean Jaccard error {mj}",
            s.params().scheme
        );
        assert!(
            mc.abs() < 0.01,
            "{:?}: mean containment error {mc}",
            s.params().scheme
        );
    }
}

//! The ground floor: hashing helpers every stage uses.
//!
//! Everything that reaches output or disk is hashed with xxh3 and a fixed
//! seed (see [`SketchConfig::seed`](crate::SketchConfig)); the helpers here
//! mix and map such hashes, group and sort items by them in linear time
//! (their top bits are uniform), and hash maps whose keys are already
//! uniform hashes skip hashing them again.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are already uniform hashes: passes them through.
///
/// Only for maps whose iteration order never reaches output; their keys come
/// from xxh3, so they are spread without a second hash.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, v: u32) {
        // Small dense numbers: a multiplication by an odd constant spreads
        // them over the high bits too, which the table's tag bytes use (with
        // them all zero, every probe compared every entry of a group).
        self.0 = u64::from(v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A map keyed by uniform hashes (or small dense numbers, see `write_u32`).
pub(crate) type Map<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// The SplitMix64 finaliser: a fast bijective mixer for deriving per-slot
/// seeds and densification probes from one seed.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Maps the high 32 bits of `h` onto `0..n` without a division (Lemire 2019).
#[inline]
pub(crate) fn fast_range(h: u64, n: usize) -> usize {
    (((h >> 32) * n as u64) >> 32) as usize
}

/// Deals items `0..n` into `2^bits` buckets by the top `bits` bits of their
/// keys (`key(i)`), keeping their order within a bucket: writes `value(i)`
/// of each into `out` (`n` long), bucket after bucket, and sets `dir` to
/// where each bucket starts (`2^bits + 1` entries: bucket `p` is
/// `out[dir[p]..dir[p + 1]]`). One counting pass and one placing pass: on
/// uniform keys a linear-time grouping, where a comparison sort takes
/// `n log n` branches the processor cannot predict. `n` must fit in `u32`.
pub(crate) fn deal_by_top_bits<V>(
    n: usize,
    bits: u32,
    key: impl Fn(usize) -> u64,
    value: impl Fn(usize) -> V,
    dir: &mut Vec<u32>,
    out: &mut [V],
) {
    let bucket = |i: usize| key(i).checked_shr(64 - bits).unwrap_or(0) as usize;
    dir.clear();
    dir.resize((1 << bits) + 1, 0);
    for i in 0..n {
        dir[bucket(i) + 1] += 1;
    }
    let mut sum = 0;
    for start in dir.iter_mut() {
        sum += *start;
        *start = sum;
    }
    // Each bucket's next free place, from its start; once all are placed,
    // each holds its bucket's end, the next bucket's start.
    for i in 0..n {
        let at = &mut dir[bucket(i)];
        out[*at as usize] = value(i);
        *at += 1;
    }
    let buckets = dir.len() - 1;
    dir.copy_within(..buckets, 1);
    dir[0] = 0;
}

/// Buffers [`sort_by_hash`] reuses from call to call.
#[derive(Debug)]
pub(crate) struct BucketScratch<T> {
    dir: Vec<u32>,
    moved: Vec<T>,
}

impl<T> Default for BucketScratch<T> {
    fn default() -> Self {
        BucketScratch {
            dir: Vec::new(),
            moved: Vec::new(),
        }
    }
}

/// Sorts `items` stably by `key`, whose order starts with `hash(key)`, a
/// uniform hash: they are dealt into buckets by the hash's top bits
/// ([`deal_by_top_bits`]), half as many buckets as items or up to as many,
/// and each bucket, of one to three items mostly, is sorted on its own.
/// Linear on uniform hashes; a bucket that crafted keys fill is sorted by
/// comparison, so never worse than `n log n`.
pub(crate) fn sort_by_hash<T: Copy, K: Ord>(
    items: &mut [T],
    key: impl Fn(&T) -> K,
    hash: impl Fn(&K) -> u64,
    scratch: &mut BucketScratch<T>,
) {
    let n = items.len();
    if n < 64 || u32::try_from(n).is_err() {
        items.sort_by_key(key);
        return;
    }
    let BucketScratch { dir, moved } = scratch;
    moved.clear();
    moved.extend_from_slice(items);
    // n / 2 < 2^bits <= n.
    deal_by_top_bits(
        n,
        n.ilog2(),
        |i| hash(&key(&moved[i])),
        |i| moved[i],
        dir,
        items,
    );
    for run in dir.windows(2) {
        match &mut items[run[0] as usize..run[1] as usize] {
            [] | [_] => {}
            [a, b] => {
                if key(a) > key(b) {
                    std::mem::swap(a, b);
                }
            }
            bucket => bucket.sort_by_key(&key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn dealing_groups_by_top_bits_in_input_order(
            keys in proptest::collection::vec(proptest::num::u64::ANY, 0..200),
            bits in 0u32..6,
        ) {
            let mut dir = Vec::new();
            let mut out = vec![0usize; keys.len()];
            deal_by_top_bits(keys.len(), bits, |i| keys[i], |i| i, &mut dir, &mut out);
            // The stable grouping a sort by top bits gives.
            let top = |i: usize| keys[i].checked_shr(64 - bits).unwrap_or(0);
            let mut expected: Vec<usize> = (0..keys.len()).collect();
            expected.sort_by_key(|&i| top(i));
            proptest::prop_assert_eq!(&out, &expected);
            proptest::prop_assert_eq!(dir.len(), (1 << bits) + 1);
            for (p, run) in dir.windows(2).enumerate() {
                let bucket = &out[run[0] as usize..run[1] as usize];
                proptest::prop_assert!(bucket.iter().all(|&i| top(i) == p as u64));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn sort_by_hash_is_a_stable_sort_by_key(
            pool in proptest::collection::vec(proptest::num::u64::ANY, 1..40),
            picks in proptest::collection::vec((0usize..40, -2i32..2), 0..400),
            crowd in 0usize..400,
        ) {
            // Few distinct hashes, each with a few second parts: keys repeat,
            // and equal keys must keep their order. Some hashes crowded into
            // one bucket, as crafted input would.
            let mut items: Vec<(u64, i32, usize)> = picks
                .iter()
                .enumerate()
                .map(|(i, &(t, second))| {
                    let h = pool[t % pool.len()];
                    (if i < crowd { h >> 20 } else { h }, second, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|e| (e.0, e.1));
            let mut scratch = BucketScratch::default();
            sort_by_hash(&mut items, |e| (e.0, e.1), |k| k.0, &mut scratch);
            proptest::prop_assert_eq!(items, expected);
        }
    }

    #[test]
    fn fast_range_stays_in_range() {
        for n in [1, 7, 128, 1000] {
            for h in [0, 1, u64::MAX, 0x8000_0000_0000_0000, 12345678901234] {
                assert!(fast_range(h, n) < n);
            }
        }
    }

    #[test]
    fn mix64_is_a_bijection_on_a_sample() {
        let mut seen: Vec<u64> = (0..10_000u64).map(mix64).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10_000);
    }
}

//! The ground floor: hashing helpers every stage uses.
//!
//! Everything that reaches output or disk is hashed with xxh3 and a fixed
//! seed (see [`SketchConfig::seed`](crate::SketchConfig)); the helpers here
//! mix and map such hashes, and hash maps whose keys are already uniform
//! hashes skip hashing them again.

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

/// Buffers [`sort_by_hash`] reuses from call to call.
#[derive(Debug)]
pub(crate) struct BucketScratch<T> {
    ends: Vec<u32>,
    moved: Vec<T>,
}

impl<T> Default for BucketScratch<T> {
    fn default() -> Self {
        BucketScratch {
            ends: Vec::new(),
            moved: Vec::new(),
        }
    }
}

/// Sorts `items` by `key`, a uniform hash (items with equal keys in an
/// unspecified but deterministic order): one pass deals them into buckets
/// by the key's top bits, half as many buckets as items or up to as many,
/// and each bucket, of one to three items mostly, is sorted on its own. Linear on
/// uniform keys, where a comparison sort takes `n log n` branches the
/// processor cannot predict; a bucket that crafted keys fill is sorted by
/// comparison, so never worse than `n log n`.
pub(crate) fn sort_by_hash<T: Copy>(
    items: &mut [T],
    key: impl Fn(&T) -> u64,
    scratch: &mut BucketScratch<T>,
) {
    let n = items.len();
    if n < 64 {
        items.sort_unstable_by_key(key);
        return;
    }
    // 2^bits buckets, n / 2 < 2^bits <= n.
    let bits = n.ilog2();
    let bucket = |item: &T| (key(item) >> (64 - bits)) as usize;
    let BucketScratch { ends, moved } = scratch;
    ends.clear();
    ends.resize((1 << bits) + 1, 0);
    for item in items.iter() {
        ends[bucket(item) + 1] += 1;
    }
    let mut sum = 0;
    for end in ends.iter_mut() {
        sum += *end;
        *end = sum;
    }
    // Each bucket's next free place, from its start: after the deal, each
    // holds the bucket's end.
    moved.clear();
    moved.extend_from_slice(items);
    for item in moved.iter() {
        let at = &mut ends[bucket(item)];
        items[*at as usize] = *item;
        *at += 1;
    }
    let mut start = 0;
    for &end in &ends[..1 << bits] {
        let run = &mut items[start..end as usize];
        match run {
            [] | [_] => {}
            [a, b] => {
                if key(a) > key(b) {
                    std::mem::swap(a, b);
                }
            }
            _ => run.sort_unstable_by_key(&key),
        }
        start = end as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn sort_by_hash_sorts_as_a_comparison_sort_does(
            keys in proptest::collection::vec(proptest::num::u64::ANY, 0..400),
            crowd in 0usize..400,
        ) {
            // Some keys crowded into one bucket, as crafted input would.
            let mut items: Vec<(u64, usize)> = keys
                .iter()
                .enumerate()
                .map(|(i, &k)| (if i < crowd { k >> 20 } else { k }, i))
                .collect();
            let mut expected = items.clone();
            expected.sort_unstable();
            let mut scratch = BucketScratch::default();
            sort_by_hash(&mut items, |e| e.0, &mut scratch);
            // Equal keys may come in any order: compare as sorted by both.
            proptest::prop_assert!(items.windows(2).all(|w| w[0].0 <= w[1].0));
            items.sort_unstable();
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

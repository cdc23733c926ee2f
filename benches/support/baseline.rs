//! The minimal straight-line pipeline the issues and the README compare with:
//! split on non-alphanumeric bytes, lower-case, xxh3 per word and per 5-word
//! shingle, one permutation into 128 bins (no densification, no shingle
//! count), and for grouping 32 bands of 4 rows joined by union-find. No
//! Unicode, no verification, no guard against chaining.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The 128 one-permutation bins of `text`; `words` is working space.
pub(crate) fn sign(text: &str, words: &mut Vec<u64>) -> [u32; 128] {
    words.clear();
    let mut buf = Vec::new();
    for w in text
        .as_bytes()
        .split(|c| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        buf.clear();
        buf.extend(w.iter().map(u8::to_ascii_lowercase));
        words.push(xxh3_64_with_seed(&buf, 1));
    }
    let mut bins = [u32::MAX; 128];
    let mut b = [0u8; 40];
    for win in words.windows(5) {
        for (i, h) in win.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&h.to_le_bytes());
        }
        let h = xxh3_64_with_seed(&b, 2);
        let j = (((h >> 32) * 128) >> 32) as usize;
        bins[j] = bins[j].min(h as u32);
    }
    bins
}

/// Group labels of `texts`: signed in parallel, 32 bands of 4 rows, each
/// band's `(key, document)` pairs sorted in parallel, documents with equal
/// keys joined.
pub(crate) fn copy_groups<T: AsRef<str> + Sync>(texts: &[T]) -> Vec<u32> {
    let sigs: Vec<[u32; 128]> = texts
        .par_iter()
        .map_init(Vec::new, |words, t| sign(t.as_ref(), words))
        .collect();
    let mut parent: Vec<u32> = (0..texts.len() as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for band in 0..32 {
        let mut keys: Vec<(u64, u32)> = sigs
            .par_iter()
            .enumerate()
            .map(|(d, s)| {
                let mut b = [0u8; 16];
                for (i, v) in s[band * 4..band * 4 + 4].iter().enumerate() {
                    b[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
                }
                (xxh3_64_with_seed(&b, band as u64), d as u32)
            })
            .collect();
        keys.par_sort_unstable();
        for w in keys.windows(2) {
            if w[0].0 == w[1].0 {
                let (a, b) = (root(&mut parent, w[0].1), root(&mut parent, w[1].1));
                parent[a.max(b) as usize] = a.min(b);
            }
        }
    }
    (0..texts.len() as u32)
        .map(|d| root(&mut parent, d))
        .collect()
}

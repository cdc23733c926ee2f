//! Deterministic news-like text for the benches: sentences of the bundled
//! sample corpus recombined by a seeded generator into articles of a chosen
//! size, with syndicated versions (boilerplate, truncation, edits).
#![allow(dead_code)]

use storyhash::Article;

const SAMPLE: &str = include_str!("../../examples/data/sample.jsonl");

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn sentences() -> Vec<String> {
    SAMPLE
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .flat_map(|v| {
            v["text"]
                .as_str()
                .unwrap_or_default()
                .split(". ")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|s| s.len() > 30)
        .collect()
}

/// `n` articles of about `bytes` bytes each. Words of each sentence are
/// shuffled a little per article so that articles are distinct at the shingle
/// level, as different news articles are.
pub(crate) fn articles(n: usize, bytes: usize, seed: u64) -> Vec<String> {
    let pool = sentences();
    let mut r = Rng(seed);
    (0..n)
        .map(|_| {
            let mut text = String::with_capacity(bytes + 200);
            while text.len() < bytes {
                let s = &pool[r.below(pool.len())];
                let mut words: Vec<&str> = s.split(' ').collect();
                for _ in 0..3 {
                    let (i, j) = (r.below(words.len()), r.below(words.len()));
                    words.swap(i, j);
                }
                text.push_str(&words.join(" "));
                text.push_str(if r.below(4) == 0 { ".\n\n" } else { ". " });
            }
            text
        })
        .collect()
}

/// A corpus of `n` articles in which about a third of the stories have
/// between one and four syndicated versions.
pub(crate) fn corpus(n: usize, seed: u64) -> Vec<Article> {
    let mut r = Rng(seed ^ 0xABCD);
    let originals = articles(n, 4000, seed);
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        let text = &originals[i];
        i += 1;
        out.push(Article::new(format!("{i}"), text.clone()));
        if r.below(3) == 0 {
            for v in 0..1 + r.below(4) {
                if out.len() == n {
                    break;
                }
                let version = match r.below(3) {
                    0 => format!(
                        "By Wire Staff | Updated today\n\n{text}\n\nSubscribe for more news."
                    ),
                    1 => text[..text.len() * 6 / 10].to_owned(),
                    _ => text.replacen(" the ", " a ", 8),
                };
                out.push(Article::new(format!("{i}v{v}"), version));
            }
        }
    }
    out
}

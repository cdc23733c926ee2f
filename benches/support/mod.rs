//! Deterministic news-like text for the benches: sentences of the bundled
//! sample corpus recombined by a seeded generator into articles of a chosen
//! size, with syndicated versions (boilerplate, truncation, edits).
#![allow(dead_code)]

use storyhash::Article;

const SAMPLE: &str = include_str!("../../examples/data/sample.jsonl");

#[path = "../../tests/common/rng.rs"]
mod rng;
pub(crate) use rng::Rng;

/// A uniform index below `n`.
fn pick(r: &mut Rng, n: usize) -> usize {
    r.below(n as u64) as usize
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
                let s = &pool[pick(&mut r, pool.len())];
                let mut words: Vec<&str> = s.split(' ').collect();
                for _ in 0..3 {
                    let (i, j) = (pick(&mut r, words.len()), pick(&mut r, words.len()));
                    words.swap(i, j);
                }
                text.push_str(&words.join(" "));
                text.push_str(if pick(&mut r, 4) == 0 { ".\n\n" } else { ". " });
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
        if pick(&mut r, 3) == 0 {
            for v in 0..1 + pick(&mut r, 4) {
                if out.len() == n {
                    break;
                }
                let version = match pick(&mut r, 3) {
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

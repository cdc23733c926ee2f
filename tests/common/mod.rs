//! Helpers shared by the integration tests: the bundled sample corpus, the
//! real corpora in `../shared` (skipped when absent) and a seeded generator of
//! near-duplicate articles with known edits.
#![allow(dead_code)]

use std::path::PathBuf;

use storyhash::io::{read_input, ReadOptions};
use storyhash::Article;

pub(crate) fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled sample and its gold labels: (articles, story per article, copy group per article).
pub(crate) fn sample() -> (Vec<Article>, Vec<String>, Vec<String>) {
    let path = manifest().join("examples/data/sample.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut stories = Vec::new();
    let mut copies = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        stories.push(v["story"].as_str().unwrap().to_owned());
        copies.push(v["copy"].as_str().unwrap().to_owned());
    }
    let (articles, _) = read_input(&path, ReadOptions::default()).unwrap();
    (articles, stories, copies)
}

/// `../shared/<rel>` next to the checkout, when it exists.
pub(crate) fn shared(rel: &str) -> Option<PathBuf> {
    let p = manifest().join("..").join("shared").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is not available", p.display());
        None
    }
}

#[path = "rng.rs"]
mod rng;
pub(crate) use rng::Rng;

const SYLLABLES: &[&str] = &[
    "ka", "lo", "ren", "tis", "mar", "vo", "del", "sun", "ha", "bri", "te", "gon", "ul", "pe",
    "ras", "mi", "dor", "cal", "en", "fa",
];

/// A pseudo-word from a Zipf-like vocabulary of about 20,000 words.
fn word(r: &mut Rng) -> String {
    let rank = (20_000f64.powf(r.unit())) as u64;
    let mut x = rank.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    let mut w = String::new();
    for _ in 0..(2 + rank % 3) {
        w.push_str(SYLLABLES[(x % SYLLABLES.len() as u64) as usize]);
        x /= SYLLABLES.len() as u64;
    }
    if rank % 11 == 0 {
        // Some names and numbers, so that texts carry facts.
        let mut c = w.chars();
        let first = c.next().unwrap().to_ascii_uppercase();
        return format!("{first}{}", c.as_str());
    }
    if rank % 13 == 0 {
        return format!("{}", rank * 7 % 1000);
    }
    w
}

/// An article of about `words` words in sentences and paragraphs.
pub(crate) fn article(r: &mut Rng, words: usize) -> String {
    let mut out = String::new();
    for i in 0..words {
        let w = word(r);
        if i > 0 {
            out.push(if i % 60 == 0 { '\n' } else { ' ' });
        }
        out.push_str(&w);
        if r.below(12) == 0 {
            out.push('.');
        }
    }
    out.push('.');
    out
}

/// One more text for a seeded corpus: one time in `one_in`, an edited
/// version of one of `texts`; otherwise a new article of `min_words` to
/// `min_words + 199` words.
pub(crate) fn new_or_version(
    r: &mut Rng,
    texts: &[String],
    one_in: u64,
    min_words: usize,
) -> String {
    if !texts.is_empty() && r.below(one_in) == 0 {
        let j = r.below(texts.len() as u64) as usize;
        version(r, &texts[j]).0
    } else {
        let words = min_words + r.below(200) as usize;
        article(r, words)
    }
}

/// A syndicated version of `text`: any of boilerplate, truncation, word substitutions.
pub(crate) fn version(r: &mut Rng, text: &str) -> (String, &'static str) {
    let words: Vec<&str> = text.split(' ').collect();
    match r.below(4) {
        0 => (
            format!("By Staff Reporter | Published today\n{text}\nSubscribe to our newsletter for more."),
            "boilerplate",
        ),
        1 => {
            let keep = words.len() * (5 + r.below(5) as usize) / 10;
            (words[..keep].join(" "), "truncate")
        }
        2 => {
            let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
            let n = w.len() / 40;
            for _ in 0..n {
                let i = r.below(w.len() as u64) as usize;
                w[i] = "changed".to_owned();
            }
            (w.join(" "), "wordsub")
        }
        _ => (text.to_owned(), "exact"),
    }
}

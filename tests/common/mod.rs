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
    let (articles, _) = read_input(&path, &ReadOptions::default()).unwrap();
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

/// `n` seeded articles `a0`, `a1`, ... from [`new_or_version`]: one in
/// `one_in` an edited version of an earlier one.
pub(crate) fn articles_with_versions(
    seed: u64,
    n: usize,
    one_in: u64,
    min_words: usize,
) -> Vec<Article> {
    let mut r = Rng(seed);
    let mut texts = Vec::new();
    (0..n)
        .map(|i| {
            let t = new_or_version(&mut r, &texts, one_in, min_words);
            texts.push(t.clone());
            Article::new(format!("a{i}"), t)
        })
        .collect()
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

/// A made-up name: a capitalised pseudo-word.
fn name(r: &mut Rng) -> String {
    let mut w = String::new();
    for _ in 0..2 + r.below(2) {
        w.push_str(SYLLABLES[r.below(SYLLABLES.len() as u64) as usize]);
    }
    let mut c = w.chars();
    let first = c.next().unwrap().to_ascii_uppercase();
    format!("{first}{}", c.as_str())
}

/// A templated wire report of one of a few families (market close, match
/// result, weather, court brief): reports of one family about different
/// events share most of their wording and differ in their names and
/// numbers, the usual source of false copy merges.
pub(crate) fn templated(r: &mut Rng) -> String {
    let (a, b, c) = (name(r), name(r), name(r));
    let (x, y, z) = (r.below(900) + 10, r.below(90) + 1, r.below(9000) + 100);
    let body = match r.below(4) {
        0 => format!(
            "Shares in {a} {b} closed {y} cents higher at {x} dollars on Tuesday on the {c} exchange. \
             Trading volume reached {z} thousand shares, above the average of the past month, \
             dealers said. Analysts at {c} said the company remained on track to meet its targets \
             for the year and kept their rating on the stock unchanged."
        ),
        1 => format!(
            "{a} beat {b} by {y} points to {x} in front of a crowd of {z} at {c} Park on Saturday. \
             The home side led at the break and never looked back, the coach said after the match. \
             The result lifts {a} to third place in the table with four games left to play this season."
        ),
        2 => format!(
            "The weather service in {a} expects rain across the {b} region on Monday with highs of {y} \
             degrees and winds of up to {x} kilometres an hour near {c}. Drivers were told to take care \
             on coastal roads, and the warning stays in place until {z} on Tuesday evening."
        ),
        _ => format!(
            "A court in {a} sentenced {b} {c} to {y} months in prison on Thursday for fraud worth {x} \
             thousand dollars. The judge said the offences had caused real harm to {z} customers and \
             ordered the money to be repaid within a year of the release from custody."
        ),
    };
    let words = 20 + r.below(40) as usize;
    format!("{body}\n{}", article(r, words))
}

/// A seeded corpus of `n` articles with gold copy groups: new articles,
/// templated reports (one in `templated_one_in`) and syndicated versions
/// (one in four) of earlier ones; some dated within a few months. Ids are
/// given in a scrambled order.
pub(crate) fn generated(seed: u64, n: usize, templated_one_in: u64) -> Vec<storyhash::Article> {
    let mut r = Rng(seed);
    let mut texts: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for i in 0..n {
        let text = if !texts.is_empty() && r.below(4) == 0 {
            let j = r.below(texts.len() as u64) as usize;
            version(&mut r, &texts[j]).0
        } else if r.below(templated_one_in) == 0 {
            templated(&mut r)
        } else {
            let words = 80 + r.below(300) as usize;
            article(&mut r, words)
        };
        texts.push(text.clone());
        let id = format!("g{:08x}", (i as u32).wrapping_mul(0x9E37_79B9));
        let mut a = storyhash::Article::new(id, text);
        if r.below(3) > 0 {
            a = a.with_date(format!("2024-{:02}-{:02}", 1 + r.below(4), 1 + r.below(28)));
        }
        if r.below(2) == 0 {
            a = a.with_title(article(&mut r, 6));
        }
        out.push(a);
    }
    out
}

/// `good` (a whole snapshot) with a little damage in its body, sealed again
/// with a valid checksum, as a buggy writer or a deliberate edit would leave
/// it, and where the damage starts: a changed bit, a zeroed or saturated
/// byte, random bytes, or a little-endian word (a length, a count, a
/// number) set small or moved by one. The magic number and the version,
/// checked first, are left alone.
pub(crate) fn damaged(good: &[u8], r: &mut Rng) -> (Vec<u8>, usize) {
    let body = good.len() - 8;
    let mut bytes = good[..body].to_vec();
    // A third of the time in the first kilobytes (headers, the stored
    // configuration), a third in the last (ids, a stream's state): the
    // bulk arrays in between fill most of the bytes.
    let len = body - 12;
    let at = 12
        + match r.below(3) {
            0 => r.below(len as u64) as usize,
            1 => r.below(len.min(2048) as u64) as usize,
            _ => len - 1 - r.below(len.min(4096) as u64) as usize,
        };
    let end = (at + 4).min(body);
    let mut word = [0u8; 4];
    word[..end - at].copy_from_slice(&bytes[at..end]);
    let word = u32::from_le_bytes(word);
    let patch = match r.below(6) {
        0 => word ^ 1 << r.below(8),
        1 => word & !0xFF,
        2 => word | 0xFF,
        3 => r.next() as u32,
        4 => r.below(70) as u32,
        _ => word.wrapping_add(if r.below(2) == 0 { 1 } else { u32::MAX }),
    };
    bytes[at..end].copy_from_slice(&patch.to_le_bytes()[..end - at]);
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    (bytes, at)
}

/// Loads 2,000 damaged versions of `good` (see [`damaged`]) with `load`,
/// which says whether the snapshot was accepted (and then exercises what it
/// loaded); panics naming the round and the place of any damage that made
/// it panic, and when no damage was refused or none accepted.
pub(crate) fn survives_damage(good: &[u8], seed: u64, load: impl Fn(&[u8]) -> bool) {
    let mut r = Rng(seed);
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..2000 {
        let (bytes, at) = damaged(good, &mut r);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(&bytes))) {
            Ok(true) => accepted += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("round {round}: damage at byte {at} panicked"),
        }
    }
    // Most damage is caught by the checks on load; some (a weight, a
    // counter, a slot) leaves a different but valid snapshot.
    assert!(
        refused > 0 && accepted > 0,
        "{refused} refused, {accepted} accepted"
    );
}

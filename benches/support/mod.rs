//! Deterministic news-like text for the benches: sentences of the bundled
//! sample corpus recombined by a seeded generator into articles of a chosen
//! size, with syndicated versions (boilerplate, truncation, edits).
#![allow(dead_code)]

use storyhash::Article;

const SAMPLE: &str = include_str!("../../examples/data/sample.jsonl");

pub(crate) mod baseline;

/// The number in the environment variable `name`, or `default`.
pub(crate) fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of `/proc/self/status` (`VmHWM:` peak resident memory, `VmRSS:`
/// current) in MiB; Linux only, 0 elsewhere.
pub(crate) fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Times `a` and `b` in alternation, `rounds` times: the median seconds of
/// each and the median of their per-round ratio `a / b`. On a shared machine
/// the load drifts between two criterion benchmarks run one after the other;
/// within a round both see the same load.
pub(crate) fn alternate(
    rounds: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (f64, f64, f64) {
    let [ta, tb] = alternate_all(rounds, [&mut timed(&mut a), &mut timed(&mut b)]);
    let ratios = ta.iter().zip(&tb).map(|(x, y)| x / y).collect();
    (median(ta), median(tb), median(ratios))
}

/// `f` as a run that reports its wall time.
pub(crate) fn timed(f: &mut impl FnMut()) -> impl FnMut() -> f64 + '_ {
    move || {
        let start = std::time::Instant::now();
        f();
        start.elapsed().as_secs_f64()
    }
}

/// Runs each of `runs` once a round, in turn, `rounds` times; each reports
/// the seconds it took (its wall time, or a time it measured itself). The
/// times of each run, by round.
pub(crate) fn alternate_all<const N: usize>(
    rounds: usize,
    mut runs: [&mut dyn FnMut() -> f64; N],
) -> [Vec<f64>; N] {
    let mut times: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(rounds));
    for _ in 0..rounds {
        for (run, t) in runs.iter_mut().zip(&mut times) {
            t.push(run());
        }
    }
    times
}

/// The median of `v` (the upper one of an even count).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

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

/// Syllables of the made-up names, places and terms mixed into articles.
const SYLLABLES: [&str; 48] = [
    "ka", "lo", "mer", "dan", "vi", "sol", "tre", "ba", "nor", "qui", "ha", "zen", "pe", "rid",
    "mon", "ta", "gul", "fe", "sar", "ith", "bo", "lan", "cro", "vel", "dus", "mi", "tor", "an",
    "chel", "ru", "wen", "os", "pra", "lim", "ne", "gar", "fol", "ser", "do", "kri", "as", "bel",
    "tu", "ven", "ori", "pas", "hol", "ma",
];

/// A made-up word from a vocabulary of about 113,000.
fn made_up(r: &mut Rng) -> String {
    let n = 2 + pick(r, 2);
    (0..n)
        .map(|_| SYLLABLES[pick(r, SYLLABLES.len())])
        .collect()
}

/// `n` articles of about `bytes` bytes each: sentences of the sample with a
/// few words swapped and about one word in three replaced by a made-up one
/// (the names, places, numbers and terms that make each news article its
/// own). Without those, a million articles drawn from a few hundred
/// sentences would all be near-copies of each other: two unrelated news
/// articles share almost no five-word shingle, and neither do these.
pub(crate) fn articles(n: usize, bytes: usize, seed: u64) -> Vec<String> {
    let pool = sentences();
    let mut r = Rng(seed);
    (0..n)
        .map(|_| {
            let mut text = String::with_capacity(bytes + 200);
            while text.len() < bytes {
                let s = &pool[pick(&mut r, pool.len())];
                let mut words: Vec<String> = s
                    .split(' ')
                    .map(|w| {
                        if pick(&mut r, 3) == 0 {
                            made_up(&mut r)
                        } else {
                            w.to_owned()
                        }
                    })
                    .collect();
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

//! Text to signature: tokenising, shingling and MinHash signing of ~4 KB
//! news-like articles, both schemes, one thread and all threads, against the
//! minimal straight-line baseline of `support/baseline.rs`. Besides
//! criterion's figures it prints, on every run (whatever the filter), the
//! default scheme and the baseline timed in alternation and their ratio.

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use storyhash::text::{normalize, tokenize, Shingler};
use storyhash::{Config, MinHasher, Scheme, Shingling, DEFAULT_SEED};
use support::baseline;

fn bench(c: &mut Criterion) {
    let docs = support::articles(2000, 4000, 42);
    let bytes: usize = docs.iter().map(String::len).sum();
    let one = &docs[0];

    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("tokenize", |b| b.iter(|| tokenize(black_box(one)).len()));
    // Typographic quotes and dashes, as much real news has them: such a text
    // is folded to ASCII before the fast path reads it.
    let typographic = one.replace(", ", "\u{2019} ").replace(". ", " \u{2014} ");
    assert_ne!(&typographic, one, "the article has commas and full stops");
    g.bench_function("normalize typographic", |b| {
        b.iter(|| normalize(black_box(&typographic)).len())
    });
    g.bench_function("tokenize typographic", |b| {
        b.iter(|| tokenize(black_box(&typographic)).len())
    });
    // A script other than Latin: each letter is checked for NFKC and folded.
    let cyrillic: String = one
        .chars()
        .map(|c| match c {
            'a'..='z' => char::from_u32(0x430 + c as u32 - 'a' as u32).unwrap_or(c),
            'A'..='Z' => char::from_u32(0x410 + c as u32 - 'A' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    g.bench_function("normalize cyrillic", |b| {
        b.iter(|| normalize(black_box(&cyrillic)).len())
    });
    g.bench_function("tokenize cyrillic", |b| {
        b.iter(|| tokenize(black_box(&cyrillic)).len())
    });
    let sh = Shingler::new(Shingling::Words(5), DEFAULT_SEED);
    g.bench_function("shingle words(5)", |b| {
        b.iter(|| sh.shingles(black_box(one)).unwrap().len())
    });
    g.finish();

    let mut g = c.benchmark_group("sign one article");
    g.throughput(Throughput::Bytes(one.len() as u64));
    for scheme in [Scheme::OnePermutation, Scheme::Classic] {
        let s = MinHasher::new(&Config::default().with_scheme(scheme).sketch).unwrap();
        g.bench_function(scheme.to_string(), |b| {
            b.iter(|| s.sign(black_box(one)).unwrap())
        });
    }
    let mut words = Vec::new();
    g.bench_function("baseline", |b| {
        b.iter(|| baseline::sign(black_box(one), &mut words))
    });
    g.finish();

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("sign 2000 articles");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs.len() as u64));
    for scheme in [Scheme::OnePermutation, Scheme::Classic] {
        let s = MinHasher::new(&Config::default().with_scheme(scheme).sketch).unwrap();
        for t in [1, threads] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap();
            g.bench_with_input(
                BenchmarkId::new(scheme.to_string(), format!("{t} threads")),
                &t,
                |b, _| b.iter(|| pool.install(|| s.sign_batch(black_box(&docs))).len()),
            );
        }
    }
    g.bench_function("baseline/1 thread", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| baseline::sign(d, &mut words)[0])
                .fold(0, u32::wrapping_add)
        })
    });
    g.finish();

    interleaved(&docs, threads);

    let mut g = c.benchmark_group("sign 2000 articles (bytes)");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    let s = MinHasher::new(&Config::default().sketch).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    g.bench_function("one-permutation/1 thread", |b| {
        b.iter(|| pool.install(|| s.sign_batch(&docs)).len())
    });
    g.finish();
}

/// The default scheme and the baseline timed in alternation (see
/// [`support::alternate`]), on one thread and on all; prints median
/// throughputs and the median time ratio.
fn interleaved(docs: &[String], threads: usize) {
    const ROUNDS: usize = 15;
    let s = MinHasher::new(&Config::default().sketch).unwrap();
    for t in [1, threads] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        let (ours, base, ratio) = support::alternate(
            ROUNDS,
            || {
                black_box(pool.install(|| s.sign_batch(docs)).len());
            },
            || {
                black_box(pool.install(|| {
                    docs.par_iter()
                        .map_init(Vec::new, |w, d| baseline::sign(d, w)[0])
                        .count()
                }));
            },
        );
        let rate = |secs: f64| docs.len() as f64 / secs / 1000.0;
        println!(
            "interleaved, {t} thread(s), {ROUNDS} rounds: one-permutation {:.1}k articles/s ({:.1}k per thread), baseline {:.1}k/s; time ratio {ratio:.3}",
            rate(ours),
            rate(ours) / t as f64,
            rate(base),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

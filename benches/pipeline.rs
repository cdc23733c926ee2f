//! Text to copy groups on a generated corpus, and the incremental index; and
//! texts in memory to copy groups on a large corpus, side by side with the
//! minimal straight-line pipeline of `support/baseline.rs`.
//!
//! The large corpus is the JSON Lines file named by `STORYHASH_BENCH_CORPUS`
//! (for example the comparison harness's 100k corpus, see the README), or
//! else `STORYHASH_BENCH_DOCS` generated articles (default 100,000). Besides
//! criterion's figures it prints both timed in alternation, with their ratio.

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use storyhash::io::{read_input, ReadOptions};
use storyhash::{Article, Clusterer, Config, CopyIndex};
use support::baseline;

fn large_corpus() -> Vec<Article> {
    if let Some(path) = std::env::var_os("STORYHASH_BENCH_CORPUS") {
        return read_input(Path::new(&path), &ReadOptions::default())
            .expect("STORYHASH_BENCH_CORPUS names a JSON Lines corpus")
            .0;
    }
    support::corpus(support::env_count("STORYHASH_BENCH_DOCS", 100_000), 11)
}

fn bench(c: &mut Criterion) {
    let corpus = support::corpus(10_000, 7);
    let clusterer = Clusterer::new(Config::default()).unwrap();
    // A cheap check that the corpus has copies for the pipeline to find.
    let groups = clusterer.cluster(&corpus).unwrap();
    assert!(groups.copy_groups().len() < corpus.len() * 9 / 10);

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("cluster 10k articles");
    g.sample_size(10);
    g.throughput(Throughput::Elements(corpus.len() as u64));
    for t in [1, threads] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        g.bench_function(format!("{t} threads"), |b| {
            b.iter(|| pool.install(|| clusterer.cluster(black_box(&corpus)).unwrap().len()))
        });
    }
    g.finish();

    let mut index = CopyIndex::new(&Config::default()).unwrap();
    index.insert_batch(&corpus).unwrap();
    let probe = &corpus[corpus.len() / 2].text;
    let mut g = c.benchmark_group("copy index of 10k articles");
    g.bench_function("query top 10", |b| {
        b.iter(|| index.query(black_box(probe), 10).unwrap().len())
    });
    g.finish();
    drop(index);

    // Texts in memory to copy groups, all threads, the copy tier alone.
    let corpus = large_corpus();
    let texts: Vec<&str> = corpus.iter().map(|a| a.text.as_str()).collect();
    let mut config = Config::default();
    config.stories.enabled = false;
    let clusterer = Clusterer::new(config).unwrap();
    let mut g = c.benchmark_group(format!(
        "copy groups of {} articles in memory",
        corpus.len()
    ));
    g.sample_size(10);
    g.throughput(Throughput::Elements(corpus.len() as u64));
    g.bench_function("storyhash", |b| {
        b.iter(|| clusterer.cluster(black_box(&corpus)).unwrap().len())
    });
    g.bench_function("baseline", |b| {
        b.iter(|| baseline::copy_groups(black_box(&texts)).len())
    });
    g.finish();
    // The same two, timed in alternation: the ratio the README quotes.
    const ROUNDS: usize = 7;
    let (ours, base, ratio) = support::alternate(
        ROUNDS,
        || {
            black_box(clusterer.cluster(&corpus).unwrap().len());
        },
        || {
            black_box(baseline::copy_groups(&texts).len());
        },
    );
    println!(
        "interleaved, {} articles, {ROUNDS} rounds: storyhash {ours:.3} s, baseline {base:.3} s; time ratio {ratio:.3}",
        corpus.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

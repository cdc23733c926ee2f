//! SimHash: fingerprinting against MinHash signing on the same articles, and
//! Hamming-index queries among 1M fingerprints.
#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use storyhash::lsh::{pairs_within, HammingIndex};
use storyhash::{Config, MinHasher, SimHasher};

fn bench(c: &mut Criterion) {
    let docs = support::articles(2000, 4000, 42);
    let config = Config::default();
    let sim = SimHasher::new(&config.sketch).unwrap();
    let min = MinHasher::new(&config.sketch).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    let mut g = c.benchmark_group("2000 articles, 1 thread");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("simhash fingerprint", |b| {
        b.iter(|| {
            pool.install(|| sim.fingerprint_batch(black_box(&docs)))
                .len()
        })
    });
    g.bench_function("minhash sign (one permutation)", |b| {
        b.iter(|| pool.install(|| min.sign_batch(black_box(&docs))).len())
    });
    g.finish();

    // 1M fingerprints; queries are stored fingerprints with a few bits flipped.
    let mut r = support::Rng(9);
    let fps: Vec<u64> = (0..1_000_000).map(|_| r.next()).collect();
    let queries: Vec<u64> = (0..1000)
        .map(|i| fps[i * 997] ^ (1 << (i % 64)) ^ (1 << ((i * 7) % 64)))
        .collect();
    let mut g = c.benchmark_group("hamming index of 1M fingerprints");
    for k in [1u32, 2, 3, 6] {
        let mut index = HammingIndex::new(k).unwrap();
        for &f in &fps {
            index.insert(f);
        }
        let mut i = 0;
        g.bench_with_input(BenchmarkId::new("query", format!("k={k}")), &k, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                index.query(black_box(queries[i])).len()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("all pairs within 3 bits");
    g.sample_size(10);
    let sample = &fps[..100_000];
    g.throughput(Throughput::Elements(sample.len() as u64));
    g.bench_function("100k fingerprints", |b| {
        b.iter(|| pairs_within(black_box(sample), 3).unwrap().len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

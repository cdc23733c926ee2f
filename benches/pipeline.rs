//! Text to copy groups on a generated corpus, and the incremental index.

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use storyhash::{Clusterer, Config, CopyIndex};

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
}

criterion_group!(benches, bench);
criterion_main!(benches);

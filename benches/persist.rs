//! Snapshots of a 1M-article copy index: encode, decode, save and load, in
//! bytes per second; and adding one article to the loaded index (with its
//! query), whose p50 and p99 are printed.
#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use storyhash::{Article, Config, CopyIndex};

fn bench(c: &mut Criterion) {
    let n = support::env_count("STORYHASH_BENCH_DOCS", 1_000_000);
    // Short distinct articles: the snapshot's size depends on the number of
    // signatures, not on text length.
    let texts = support::articles(n, 300, 5);
    let articles: Vec<Article> = texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| Article::new(i.to_string(), t))
        .collect();
    let mut index = CopyIndex::new(&Config::default()).unwrap();
    index.insert_batch(&articles).unwrap();
    drop(articles);
    let bytes = index.to_bytes();
    let path = std::env::temp_dir().join(format!("storyhash-bench-{}.snap", std::process::id()));

    let mut g = c.benchmark_group(format!("snapshot of {n} articles"));
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("encode", |b| b.iter(|| index.to_bytes().len()));
    g.bench_function("decode", |b| {
        b.iter(|| CopyIndex::from_bytes(black_box(&bytes)).unwrap().len())
    });
    g.bench_function("save", |b| b.iter(|| index.save(&path).unwrap()));
    g.bench_function("load", |b| b.iter(|| CopyIndex::load(&path).unwrap().len()));
    g.finish();
    let _ = std::fs::remove_file(&path);

    // One new article at a time into the full index: insert and ask for its copies.
    let new = support::articles(2000, 4000, 77);
    let mut times: Vec<f64> = new
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let start = Instant::now();
            index
                .insert(&Article::new(format!("new{i}"), t.clone()))
                .unwrap();
            black_box(index.query(t, 5).unwrap());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    eprintln!(
        "insert + query one ~4 KB article into a {n}-article index: p50 {:.1} us, p99 {:.1} us (2000 articles)",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The streaming API at scale: save and load of a stream snapshot holding
//! `STORYHASH_BENCH_STREAM_DOCS` articles (default 1M), in bytes per second,
//! and adding one ~4 KB article to that stream and getting its copy group and
//! story back, whose p50 and p99 are printed.
#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use storyhash::{Article, Config, Stream, Window};

fn bench(c: &mut Criterion) {
    let n = support::env_count("STORYHASH_BENCH_STREAM_DOCS", 1_000_000);
    // Short distinct articles, dated over a year: the index and the story
    // state grow with the number of articles, not with their length.
    let articles: Vec<Article> = support::articles(n, 300, 5)
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let day = i * 365 / n.max(1);
            Article::new(i.to_string(), t).with_date(format!(
                "2025-{:02}-{:02}",
                1 + day / 31 % 12,
                1 + day % 28
            ))
        })
        .collect();
    let start = Instant::now();
    let mut stream = Stream::new(&Config::default(), Window::Unbounded).unwrap();
    stream.add_batch(&articles).unwrap();
    eprintln!(
        "built a {n}-article stream in {:.1?}: {:?}",
        start.elapsed(),
        stream.stats()
    );
    drop(articles);
    let bytes = stream.to_bytes();
    let path = std::env::temp_dir().join(format!(
        "storyhash-bench-stream-{}.snap",
        std::process::id()
    ));

    let mut g = c.benchmark_group(format!("stream snapshot of {n} articles"));
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("save", |b| b.iter(|| stream.save(&path).unwrap()));
    g.bench_function("load", |b| b.iter(|| Stream::load(&path).unwrap().len()));
    g.finish();
    let _ = std::fs::remove_file(&path);

    // One new article at a time: originals and their syndicated versions.
    let new = support::corpus(2000, 77);
    let mut times: Vec<f64> = new
        .into_iter()
        .map(|a| {
            let a = Article {
                id: format!("new{}", a.id),
                date: Some("2025-12-28".to_owned()),
                ..a
            };
            let start = Instant::now();
            black_box(stream.add(&a).unwrap());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    eprintln!(
        "add one ~4 KB article to a {n}-article stream, copy group and story back: \
         p50 {:.1} us, p99 {:.1} us (2000 articles)",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Text to copy groups on a generated corpus, and the incremental index; and
//! texts in memory to copy groups on a large corpus, side by side with the
//! minimal straight-line pipeline of `support/baseline.rs`.
//!
//! The large corpus is the JSON Lines file named by `STORYHASH_BENCH_CORPUS`
//! (for example the comparison harness's 100k corpus, see the README), or
//! else `STORYHASH_BENCH_DOCS` generated articles (default 100,000). Besides
//! criterion's figures it prints both timed in alternation, with their ratio;
//! with a corpus file it then times the whole job in alternation with the
//! native limit probe and the `storyhash` command (see [`whole_job`]).

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod support;

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::io::Write;

use storyhash::io::{read_input, read_jsonl_with, ReadOptions};
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
    if let Some(path) = std::env::var_os("STORYHASH_BENCH_CORPUS") {
        drop(texts);
        drop(corpus);
        whole_job(&clusterer, Path::new(&path));
    }
}

/// The whole job on the corpus file, timed in alternation with the native
/// limit probe's in-memory pipeline (`STORYHASH_BENCH_PROBE`, the built
/// `limit-probe` of `../shared/bench/limit`) and with the `storyhash`
/// command as a process (`STORYHASH_BENCH_BIN`) when they are given: the
/// command's time, the same job inside this process (file read in chunks,
/// each signed as it arrives, copy groups, one JSON line per article written
/// to a sink), and texts already in memory, each with its ratio to the
/// probe. `STORYHASH_BENCH_ROUNDS` rounds (default 3), all threads.
fn whole_job(clusterer: &Clusterer, path: &Path) {
    let threads = rayon::current_num_threads();
    let rounds = support::env_count("STORYHASH_BENCH_ROUNDS", 3);
    let mut from_file = || {
        let mut batch = clusterer.batch().without_texts();
        let file = std::fs::File::open(path).unwrap();
        read_jsonl_with(file, path, &ReadOptions::default(), |a| batch.push(a)).unwrap();
        let (articles, r) = batch.finish(&()).unwrap();
        let mut out = std::io::BufWriter::new(std::io::sink());
        for (i, a) in articles.iter().enumerate() {
            let line = (&a.id, r.copy_group_of(i).id(), r.member(i).similarity);
            serde_json::to_writer(&mut out, &line).unwrap();
            out.write_all(b"\n").unwrap();
        }
        black_box(r.len());
    };
    let corpus = read_input(path, &ReadOptions::default()).unwrap().0;
    let mut in_memory = || {
        black_box(clusterer.cluster(&corpus).unwrap().len());
    };
    let nan = || -> Box<dyn FnMut() -> f64> { Box::new(|| f64::NAN) };
    let mut process = match std::env::var_os("STORYHASH_BENCH_BIN") {
        None => nan(),
        Some(bin) => Box::new(move || {
            let start = std::time::Instant::now();
            let status = std::process::Command::new(&bin)
                .args(["--threads", &threads.to_string(), "cluster", "--no-stories"])
                .args(["--format", "jsonl", "--quiet"])
                .arg(path)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{} failed", bin.to_string_lossy());
            start.elapsed().as_secs_f64()
        }),
    };
    let mut probe = match std::env::var_os("STORYHASH_BENCH_PROBE") {
        None => nan(),
        Some(bin) => Box::new(move || {
            let json =
                std::env::temp_dir().join(format!("storyhash-probe-{}.json", std::process::id()));
            let status = std::process::Command::new(&bin)
                .arg("--corpus")
                .arg(path)
                .args([
                    "--reps",
                    "1",
                    "--only",
                    "pipe32x,lsh",
                    "--bands",
                    "32",
                    "--rows",
                    "4",
                ])
                .args(["--threads", &threads.to_string(), "--json"])
                .arg(&json)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{} failed", bin.to_string_lossy());
            let out: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
            let _ = std::fs::remove_file(&json);
            // Its in-memory pipeline: signing and banding, at this thread count.
            out["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["threads"].as_u64() == Some(threads as u64))
                .map(|r| r["median_s"].as_f64().unwrap())
                .sum()
        }),
    };
    let [process, file, memory, limit] = support::alternate_all(
        rounds,
        [
            &mut *process,
            &mut support::timed(&mut from_file),
            &mut support::timed(&mut in_memory),
            &mut *probe,
        ],
    );
    let show = |name: &str, t: &[f64]| {
        let ratios: Vec<f64> = t.iter().zip(&limit).map(|(x, l)| x / l).collect();
        println!(
            "  {name:<34} median {:.3} s, ratio to the limit probe {:.3} (rounds {})",
            support::median(t.to_vec()),
            support::median(ratios),
            t.iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    };
    println!(
        "whole job on {} ({} articles), {rounds} rounds in alternation, {threads} threads:",
        path.display(),
        corpus.len()
    );
    show("limit probe (pipe32x + lsh)", &limit);
    show("storyhash command (process)", &process);
    show("file to copy groups, in process", &file);
    show("texts in memory to copy groups", &memory);
}

criterion_group!(benches, bench);
criterion_main!(benches);

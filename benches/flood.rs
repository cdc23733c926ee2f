//! A flood of exact duplicates: `STORYHASH_BENCH_FLOOD_TEXTS` one-word texts
//! (default 5,000), each copied `STORYHASH_BENCH_FLOOD_COPIES` times
//! (default 200), interleaved, clustered in one batch. Checks that every
//! copy joined its text's group and no two texts share one, and prints the
//! time and the peak resident memory. Verifying every pair inside each group
//! would be 99.5M verifications; identical texts are collapsed first.
#![allow(missing_docs)]

mod support;

use std::collections::HashMap;
use std::time::Instant;

use storyhash::{Article, Clusterer, Config};
use support::status_mib;

fn main() {
    let texts = support::env_count("STORYHASH_BENCH_FLOOD_TEXTS", 5_000);
    let copies = support::env_count("STORYHASH_BENCH_FLOOD_COPIES", 200);
    let articles: Vec<Article> = (0..texts * copies)
        .map(|i| Article::new(i.to_string(), format!("w{}", i % texts)))
        .collect();
    let before = status_mib("VmRSS:");
    let clusterer = Clusterer::new(Config::default()).unwrap();
    let start = Instant::now();
    let clustering = clusterer.cluster(&articles).unwrap();
    let elapsed = start.elapsed();

    let mut group_of_text: HashMap<usize, &str> = HashMap::new();
    for i in 0..articles.len() {
        let group = clustering.copy_group_of(i).id();
        let first = *group_of_text.entry(i % texts).or_insert(group);
        assert_eq!(first, group, "article {i} left its text's copy group");
    }
    assert_eq!(
        clustering.copy_groups().len(),
        texts,
        "two texts share a copy group"
    );
    eprintln!(
        "{} articles ({texts} texts x {copies} copies): clustered in {elapsed:.2?}, \
         {texts} copy groups of {copies}; peak RSS {:.0} MiB ({:.0} MiB before clustering)",
        articles.len(),
        status_mib("VmHWM:"),
        before
    );
}

//! Clusters a JSON Lines corpus and prints its stories, copy groups and
//! articles: the library's batch API in a few lines. (The `storyhash`
//! command in `cli/` is the full tool.)
//!
//! ```text
//! cargo run --release --example cluster [CORPUS.jsonl]
//! ```

mod common;

use std::path::PathBuf;

use storyhash::io::{read_input, ReadOptions};
use storyhash::{Clusterer, Config};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample.jsonl");

fn main() -> std::process::ExitCode {
    common::finish("cluster", run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // # Step 1: read the articles (the bundled sample when no path is given).
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from(SAMPLE), PathBuf::from);
    let (articles, _) = read_input(&path, &ReadOptions::default())?;

    // # Step 2: cluster them with the default configuration.
    let clusterer = Clusterer::new(Config::default())?;
    let result = clusterer.cluster(&articles)?;

    // # Step 3: print story -> copy group -> article, with what each story is about.
    let terms = clusterer.story_terms(&articles, &result, 5);
    for (story, terms) in result.stories().zip(terms) {
        println!("story {} [{}]", story.id(), terms.join(", "));
        for group in story.copy_groups() {
            println!("  copy group {}", group.id());
            for m in group.members() {
                let title = articles[m.index].title.as_deref().unwrap_or("");
                println!(
                    "    {} ({} {:.2}) {title}",
                    m.id,
                    m.basis.label(),
                    m.similarity
                );
            }
        }
    }
    let r = result.report();
    eprintln!(
        "{} articles, {} copy groups, {} stories",
        r.documents,
        result.copy_groups().len(),
        result.stories().count()
    );
    Ok(())
}

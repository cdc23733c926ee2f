//! Groups news articles into stories and copy groups.
//!
//! ```text
//! cargo run --release --example cluster                      # the bundled sample corpus, as a tree
//! cargo run --release --example cluster -- [OPTIONS] INPUT... # .jsonl files, .txt directories, or -
//! ```
//!
//! Options:
//!   --jsonl                 one JSON line per input article, in input order:
//!                           {"id": "...", "copy": "<copy group id>", "story": "<story id>"}
//!   --threads N             worker threads (default: all cores)
//!   --jaccard X             copy threshold on Jaccard similarity
//!   --containment X         copy threshold on containment
//!   --drift X               share of the thresholds every member keeps against its group's
//!                           representative
//!   --simhash K             copy tier on 64-bit SimHash fingerprints within K bits instead of MinHash
//!   --story-threshold X     average-link cosine threshold of the story tier
//!   --no-stories            copy groups only (each is its own story)
//!   --facts X               share of names and numbers copies must share
//!   --candidate-threshold X LSH tuning point
//!   --bands B,R             explicit LSH banding
//!   --skip-bad              skip malformed JSON lines (counted on stderr) instead of failing
//!   --lossy                 replace invalid UTF-8 instead of failing
//!   --show-lsh              print the banding's S-curve on stderr
//!   --quiet                 no summary on stderr

mod common;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use storyhash::io::{read_inputs, ReadOptions};
use storyhash::{Article, Clusterer, Clustering, Config};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample.jsonl");

struct Args {
    inputs: Vec<PathBuf>,
    jsonl: bool,
    threads: Option<usize>,
    config: Config,
    read: ReadOptions,
    show_lsh: bool,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        inputs: Vec::new(),
        jsonl: false,
        threads: None,
        config: Config::default(),
        read: ReadOptions::default(),
        show_lsh: false,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    let number = |flag: &str, v: Option<String>| -> Result<f64, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse()
            .map_err(|_| format!("{flag}: {v:?} is not a number"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--jsonl" => args.jsonl = true,
            "--quiet" => args.quiet = true,
            "--show-lsh" => args.show_lsh = true,
            "--skip-bad" => args.read.skip_bad = true,
            "--lossy" => args.read.lossy_utf8 = true,
            "--threads" => {
                let n = number(&a, it.next())?;
                if n < 1.0 || n.fract() != 0.0 {
                    return Err(format!("--threads: {n} is not a positive whole number"));
                }
                args.threads = Some(n as usize);
            }
            "--simhash" => {
                let k = number(&a, it.next())?;
                if k < 0.0 || k.fract() != 0.0 {
                    return Err(format!("--simhash: {k} is not a whole number of bits"));
                }
                args.config.copies.simhash = Some(k as u32);
            }
            "--story-threshold" => args.config.stories.threshold = number(&a, it.next())?,
            "--no-stories" => args.config.stories.enabled = false,
            "--facts" => args.config.copies.facts = number(&a, it.next())?,
            "--drift" => args.config.copies.drift = number(&a, it.next())?,
            "--jaccard" => args.config.copies.jaccard = number(&a, it.next())?,
            "--containment" => args.config.copies.containment = number(&a, it.next())?,
            "--candidate-threshold" => {
                args.config.copies.candidate_threshold = number(&a, it.next())?
            }
            "--bands" => {
                let v = it.next().ok_or("--bands needs B,R")?;
                let (b, r) = v.split_once(',').ok_or("--bands needs B,R")?;
                let parse = |s: &str| {
                    s.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("--bands: bad value {v:?}"))
                };
                args.config.copies.bands = Some((parse(b)?, parse(r)?));
            }
            "-h" | "--help" => {
                let d = Config::default();
                return Err(format!(
                    "{}\n\nDefaults: --jaccard {} --containment {} --drift {} --story-threshold {} \
                     --facts {} --candidate-threshold {}",
                    common::usage(include_str!("cluster.rs")),
                    d.copies.jaccard,
                    d.copies.containment,
                    d.copies.drift,
                    d.stories.threshold,
                    d.copies.facts,
                    d.copies.candidate_threshold
                ));
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s} (see --help)")),
            _ => args.inputs.push(PathBuf::from(a)),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    common::finish("cluster", run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    let clusterer = Clusterer::new(args.config.clone())?;
    if args.show_lsh {
        eprintln!("{:#}", clusterer.lsh_params());
    }

    // # Step 1: read the articles.
    let start = Instant::now();
    let inputs = if args.inputs.is_empty() {
        vec![PathBuf::from(SAMPLE)]
    } else {
        args.inputs.clone()
    };
    let (articles, read_report) = read_inputs(&inputs, args.read)?;
    let read_time = start.elapsed();
    const SHOWN: usize = 20;
    for (path, line, reason) in read_report.skipped.iter().take(SHOWN) {
        eprintln!("cluster: skipped {}:{line}: {reason}", path.display());
    }
    if read_report.skipped.len() > SHOWN {
        eprintln!(
            "cluster: ... and {} more skipped lines",
            read_report.skipped.len() - SHOWN
        );
    }

    // # Step 2: cluster them.
    let result = clusterer.cluster(&articles)?;

    // # Step 3: write the result.
    let start = Instant::now();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    if args.jsonl {
        write_jsonl(&mut out, &articles, &result)?;
    } else {
        write_tree(&mut out, &articles, &result)?;
    }
    out.flush()?;
    let write_time = start.elapsed();

    if !args.quiet {
        let r = result.report();
        let multi = result.copy_groups().iter().filter(|g| g.len() > 1).count();
        eprintln!(
            "cluster: {} articles ({} empty, {} truncated, {} skipped, {} repaired, {} unreadable dates, {} identical texts) -> {} copy groups ({} with copies), {} stories",
            r.documents,
            r.empty,
            r.truncated,
            read_report.skipped.len(),
            read_report.lossy,
            r.bad_dates,
            r.duplicates,
            result.copy_groups().len(),
            multi,
            result.stories().count(),
        );
        eprintln!(
            "cluster: lsh {}; {} candidate pairs, {} verified, {} oversized buckets ({} members, largest {})",
            r.lsh,
            r.candidates.candidates,
            r.candidates.verified,
            r.candidates.capped_buckets,
            r.candidates.capped_members,
            r.candidates.largest_bucket
        );
        let mut stages = format!("read {:.3}s", read_time.as_secs_f64());
        for (name, t) in &r.timings {
            stages.push_str(&format!(", {name} {:.3}s", t.as_secs_f64()));
        }
        stages.push_str(&format!(", write {:.3}s", write_time.as_secs_f64()));
        eprintln!(
            "cluster: stories: {} copy groups, {} candidate pairs, {} linked, {} merges, {} terms too common",
            r.stories.documents, r.stories.candidates, r.stories.linked, r.stories.merges, r.stories.skipped_terms
        );
        eprintln!("cluster: {stages}");
    }
    Ok(())
}

fn write_jsonl(
    out: &mut impl Write,
    articles: &[Article],
    result: &Clustering,
) -> std::io::Result<()> {
    for (i, a) in articles.iter().enumerate() {
        let line = serde_json::json!({
            "id": a.id,
            "copy": result.copy_group_of(i).id(),
            "story": result.story_of(i).id(),
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn write_tree(
    out: &mut impl Write,
    articles: &[Article],
    result: &Clustering,
) -> std::io::Result<()> {
    for story in result.stories() {
        writeln!(out, "story {} ({} articles)", story.id(), story.len())?;
        for group in story.copy_groups() {
            writeln!(
                out,
                "  copy group {} ({} articles)",
                group.id(),
                group.len()
            )?;
            for m in group.members() {
                let a = &articles[m.index];
                let label = a.title.clone().unwrap_or_else(|| first_words(&a.text, 10));
                let outlet = a.source.as_deref().unwrap_or("-");
                writeln!(
                    out,
                    "    [{}] {:.2} {} | {}",
                    m.id, m.similarity, outlet, label
                )?;
            }
        }
    }
    Ok(())
}

fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().take(n + 1).collect();
    if words.len() > n {
        format!("{} ...", words[..n].join(" "))
    } else {
        words.join(" ")
    }
}

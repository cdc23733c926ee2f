//! Replays a dated corpus through the streaming API in time order, prints
//! each article's copy group and story as it arrives, snapshots and restarts
//! halfway, and checks that the restarted run assigns exactly as an
//! uninterrupted one. Ends with how the stream's final groups compare with a
//! batch `cluster` run over the same articles.
//!
//! ```text
//! cargo run --release --example stream                         # the bundled sample corpus
//! cargo run --release --example stream -- [OPTIONS] INPUT...   # .jsonl files, .txt directories, or -
//! ```
//!
//! Options:
//!   --window-days N       articles older than N days before the latest leave (default 30)
//!   --window-articles N   only the latest N articles stay
//!   --unbounded           nothing leaves
//!   --story-threshold X   average-link cosine threshold of the story tier
//!   --jsonl               final assignments, one JSON line per input article in input order,
//!                         as `cluster --jsonl` writes them (merges applied), instead of the live log
//!   --quiet               neither live log nor summary
//!   --input-order         replay in input order instead of by date
//!
//! Articles are replayed by date, undated ones first, ties in input order.

mod common;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use storyhash::eval::score;
use storyhash::io::{read_inputs, ReadOptions};
use storyhash::{settle, Article, Assignment, Clusterer, Config, Event, Stream, Window};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample.jsonl");

struct Args {
    inputs: Vec<PathBuf>,
    window: Window,
    config: Config,
    jsonl: bool,
    quiet: bool,
    input_order: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        inputs: Vec::new(),
        window: Window::Days(30),
        config: Config::default(),
        jsonl: false,
        quiet: false,
        input_order: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut next = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--window-days" => {
                let v = next()?;
                args.window = Window::Days(v.parse().map_err(|_| format!("{a}: bad value {v:?}"))?)
            }
            "--window-articles" => {
                let v = next()?;
                args.window =
                    Window::Articles(v.parse().map_err(|_| format!("{a}: bad value {v:?}"))?)
            }
            "--unbounded" => args.window = Window::Unbounded,
            "--story-threshold" => {
                let v = next()?;
                args.config.stories.threshold =
                    v.parse().map_err(|_| format!("{a}: bad value {v:?}"))?
            }
            "--jsonl" => args.jsonl = true,
            "--quiet" => args.quiet = true,
            "--input-order" => args.input_order = true,
            "-h" | "--help" => return Err(usage(include_str!("stream.rs"))),
            s if s.starts_with("--") => return Err(format!("unknown option {s} (see --help)")),
            _ => args.inputs.push(PathBuf::from(a)),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    common::finish("stream", run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = parse_args()?;
    if args.inputs.is_empty() {
        args.inputs.push(PathBuf::from(SAMPLE));
    }
    let (articles, _) = read_inputs(&args.inputs, &ReadOptions::default())?;
    let order = if args.input_order {
        (0..articles.len()).collect()
    } else {
        arrival_order(&articles)
    };
    let log = !args.quiet && !args.jsonl;

    // The uninterrupted run.
    let start = Instant::now();
    let mut stream = Stream::new(&args.config, args.window)?;
    let mut live = Vec::with_capacity(order.len());
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for &i in &order {
        let a = stream.add(&articles[i])?;
        if log {
            print_assignment(&mut out, &articles[i], &a)?;
        }
        live.push(a);
    }
    let elapsed = start.elapsed();

    // The same replay, stopped halfway, saved, loaded and continued.
    let half = order.len() / 2;
    let mut first = Stream::new(&args.config, args.window)?;
    let mut restarted: Vec<Assignment> = Vec::with_capacity(order.len());
    for &i in &order[..half] {
        restarted.push(first.add(&articles[i])?);
    }
    let path = std::env::temp_dir().join(format!("storyhash-stream-{}.snap", std::process::id()));
    first.save(&path)?;
    drop(first);
    let mut second = Stream::load_with_config(&path, &args.config)?;
    let snapshot_bytes = std::fs::metadata(&path)?.len();
    std::fs::remove_file(&path)?;
    for &i in &order[half..] {
        restarted.push(second.add(&articles[i])?);
    }
    let same = live.iter().zip(&restarted).filter(|(a, b)| a == b).count();
    if same != live.len() {
        return Err(format!(
            "restart after {half} articles changed {} of {} assignments",
            live.len() - same,
            live.len()
        )
        .into());
    }

    // Final groups: each arrival's assignment with later merges applied.
    let (copies, stories) = final_labels(&articles, &order, &live);
    if args.jsonl {
        for (i, a) in articles.iter().enumerate() {
            let line = serde_json::json!({"id": a.id, "copy": copies[i], "story": stories[i]});
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    if args.quiet {
        return Ok(());
    }
    let batch = Clusterer::new(args.config.clone())?.cluster(&articles)?;
    let batch_copy: Vec<&str> = (0..articles.len())
        .map(|i| batch.copy_group_of(i).id())
        .collect();
    let batch_story: Vec<&str> = (0..articles.len())
        .map(|i| batch.story_of(i).id())
        .collect();
    let st = stream.stats();
    eprintln!(
        "stream: {} articles in {:.2?} ({:.1} us each), window {:?}: {} copy groups, {} stories, \
         {} copy merges, {} story merges, {} story splits, {} frozen, {} evicted",
        articles.len(),
        elapsed,
        elapsed.as_secs_f64() * 1e6 / articles.len().max(1) as f64,
        args.window,
        st.copy_groups - st.copy_merges,
        st.stories - st.story_merges,
        st.copy_merges,
        st.story_merges,
        st.story_splits,
        st.frozen,
        st.evicted
    );
    eprintln!(
        "restart: snapshot after {half} articles ({snapshot_bytes} bytes), reloaded: \
         {same} of {} assignments identical to the uninterrupted run",
        live.len()
    );
    for (level, s, b) in [
        ("copy", &copies, &batch_copy),
        ("story", &stories, &batch_story),
    ] {
        let sc = score(s, b);
        eprintln!(
            "stream vs batch {level:<5}: pairwise P {:.3} R {:.3} F1 {:.3}, B3 F1 {:.3}, ARI {:.3}",
            sc.pair_precision, sc.pair_recall, sc.pair_f1, sc.bcubed_f1, sc.ari
        );
    }
    Ok(())
}

/// Article indices by date (undated first), ties in input order.
fn arrival_order(articles: &[Article]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.sort_by_key(|&i| {
        articles[i]
            .date
            .as_deref()
            .map(|d| d.get(..10).unwrap_or(d))
    });
    order
}

fn print_assignment(
    out: &mut impl Write,
    article: &Article,
    a: &Assignment,
) -> std::io::Result<()> {
    let mark = match (a.new_copy_group, a.new_story) {
        (true, true) => "new story".to_owned(),
        (true, false) => format!("joins story (avg sim {:.2})", a.story_score),
        (false, _) => format!("copy (sim {:.2})", a.copy_score),
    };
    writeln!(
        out,
        "{:<10} {:<24} copy {:<24} story {:<24} {mark}",
        article.date.as_deref().unwrap_or("-"),
        a.id,
        a.copy,
        a.story
    )?;
    for e in &a.events {
        match e {
            Event::CopyGroupsMerged { kept, absorbed } => {
                writeln!(out, "           ! copy group {absorbed} merged into {kept}")?
            }
            Event::StoriesMerged { kept, absorbed } => {
                writeln!(out, "           ! story {absorbed} merged into {kept}")?
            }
            Event::GroupsMoved {
                from,
                to,
                copy_groups,
            } => writeln!(
                out,
                "           ! copy groups {} moved from story {from} to {to}",
                copy_groups.join(", ")
            )?,
            Event::StoryFrozen { story } => writeln!(out, "           ! story {story} frozen")?,
            _ => writeln!(out, "           ! {e:?}")?,
        }
    }
    Ok(())
}

/// Each article's copy group and story at the end of the replay, in input
/// order: its assignment on arrival, renamed by every later merge.
fn final_labels(
    articles: &[Article],
    order: &[usize],
    assignments: &[Assignment],
) -> (Vec<String>, Vec<String>) {
    let mut settled = assignments.to_vec();
    settle(&mut settled);
    let mut copies = vec![String::new(); articles.len()];
    let mut stories = vec![String::new(); articles.len()];
    for (&i, a) in order.iter().zip(settled) {
        copies[i] = a.copy;
        stories[i] = a.story;
    }
    (copies, stories)
}

/// An example's usage text: the `//!` lines its source starts with.
fn usage(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

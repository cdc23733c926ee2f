//! `cluster` and `explain`: what was grouped, and why.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use storyhash::{Article, Clusterer, Clustering, Day, Progress};

use crate::args::{ClusterArgs, ExplainArgs, Format};
use crate::input;
use crate::Failure;

/// Progress bars for the stages of a batch.
pub(crate) struct Bars {
    quiet: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub(crate) fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            current: Mutex::new(None),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = self.current.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn stage(&self, name: &'static str, total: u64) {
        let mut current = self.current.lock().expect("not poisoned");
        if let Some(bar) = current.take() {
            bar.finish_and_clear();
        }
        *current = Some(input::bar(total, name, self.quiet));
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = self.current.lock().expect("not poisoned").as_ref() {
            bar.inc(n);
        }
    }
}

/// An error writing standard output, said as such.
pub(crate) fn stdout_error(e: std::io::Error) -> Failure {
    format!("writing standard output: {e}").into()
}

static STDOUT: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();

/// Takes hold of standard output before anything else is opened.
///
/// The standard library's `Stdout` reports writes to a closed descriptor as
/// done (it swallows `EBADF`), so `storyhash cluster x.jsonl >&-` would lose
/// everything and exit 0. Output goes through a duplicate of the descriptor
/// instead: duplicating a closed one fails here, and a write that fails later
/// (a full disk, a closed pipe) is an error.
///
/// # Errors
/// When standard output is closed.
#[cfg(unix)]
pub(crate) fn claim_stdout() -> Result<(), Failure> {
    use std::os::fd::AsFd;
    if closed_at_start() {
        return Err(
            "standard output is closed (or is /dev/null opened for reading and \
                    writing, which is what a closed one becomes: to discard the output, open \
                    /dev/null for writing only, as `> /dev/null` does)"
                .into(),
        );
    }
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| format!("standard output: {e}"))?;
    let _ = STDOUT.set(std::fs::File::from(fd));
    Ok(())
}

/// Whether standard output was closed when the program started. The Rust
/// runtime opens `/dev/null` (read-write) on a standard descriptor it finds
/// closed, so that nothing else lands there; a shell's `> /dev/null` opens it
/// write-only. On Linux the two are told apart by the descriptor's flags;
/// `/dev/null` opened read-write on purpose (Python's `subprocess.DEVNULL`)
/// looks the same, and is refused with a message that says so.
#[cfg(unix)]
fn closed_at_start() -> bool {
    let target = std::fs::read_link("/proc/self/fd/1");
    let Ok(info) = std::fs::read_to_string("/proc/self/fdinfo/1") else {
        return false;
    };
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok());
    // O_ACCMODE is 3, O_RDWR 2.
    target.is_ok_and(|t| t == Path::new("/dev/null")) && flags.is_some_and(|f| f & 3 == 2)
}

/// Elsewhere the standard library's handle is used as it is.
#[cfg(not(unix))]
pub(crate) fn claim_stdout() -> Result<(), Failure> {
    Ok(())
}

/// Standard output, for writing.
pub(crate) fn stdout() -> Box<dyn Write> {
    match STDOUT.get() {
        Some(f) => Box::new(f),
        None => Box::new(std::io::stdout()),
    }
}

pub(crate) fn cluster(a: &ClusterArgs) -> Result<(), Failure> {
    let start = Instant::now();
    let clusterer = Clusterer::new(a.tune.config())?;
    // Each chunk is signed as soon as it is read; only the tree prints texts.
    let mut batch = clusterer.batch();
    if a.format != Format::Tree {
        batch = batch.without_texts();
    }
    let read_report = input::read_each(
        &a.input.inputs,
        &a.input.fields.read_options(),
        a.quiet,
        |articles| batch.push(articles),
    )?;
    let read_time = start.elapsed();
    let bars = Bars::new(a.quiet);
    let (articles, result) = batch.finish(&bars)?;
    bars.finish();
    let write_start = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, stdout());
    match a.format {
        Format::Tree => {
            let terms = clusterer.story_terms(&articles, &result, a.terms);
            write_tree(&mut out, &articles, &result, &terms)
        }
        Format::Jsonl => write_jsonl(&mut out, &articles, &result),
        Format::Csv => write_csv(&mut out, &articles, &result),
    }
    .and_then(|()| out.flush())
    .map_err(stdout_error)?;
    drop(out);
    if !a.quiet {
        summary(
            &result,
            &read_report,
            a.verbose,
            read_time,
            write_start,
            start,
        );
    }
    // The process ends next: handing every text and id back to the
    // allocator one by one would take longer than writing the output.
    std::mem::forget((articles, result));
    Ok(())
}

fn summary(
    result: &Clustering,
    read: &storyhash::io::ReadReport,
    verbose: bool,
    read_time: std::time::Duration,
    write_start: Instant,
    start: Instant,
) {
    let r = result.report();
    let with_copies = result.copy_groups().iter().filter(|g| g.len() > 1).count();
    let mut notes = Vec::new();
    for (count, what) in [
        (read.skipped.len(), "malformed lines skipped"),
        (read.lossy as usize, "lines with invalid UTF-8 repaired"),
        (r.empty, "articles without words"),
        (r.truncated, "articles cut to the size limit"),
        (r.bad_dates, "unreadable dates (taken as undated)"),
        (r.duplicates, "identical texts"),
    ] {
        if count > 0 {
            notes.push(format!("{count} {what}"));
        }
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    eprintln!(
        "storyhash: {} articles -> {} copy groups ({with_copies} with copies), {} stories in {:.2}s{notes}",
        r.documents,
        result.copy_groups().len(),
        result.stories().count(),
        start.elapsed().as_secs_f64(),
    );
    if !verbose {
        return;
    }
    for (path, line, reason) in read.skipped.iter().take(20) {
        eprintln!("  skipped {}:{line}: {reason}", path.display());
    }
    for (id, date) in &r.bad_date_examples {
        eprintln!("  unreadable date {date:?} of article {id}");
    }
    let c = r.candidates;
    eprintln!(
        "  copies: {}; {} candidate pairs, {} verified; {} buckets over the window ({} members, largest {})",
        r.lsh, c.candidates, c.verified, c.capped_buckets, c.capped_members, c.largest_bucket
    );
    let s = r.stories;
    eprintln!(
        "  stories: {} copy groups, {} candidate pairs, {} linked, {} merges, {} keys too common",
        s.documents, s.candidates, s.linked, s.merges, s.skipped_terms
    );
    // MinHash signs each chunk as it is read; SimHash fingerprints later.
    let read = if r
        .timings
        .iter()
        .any(|(name, _)| *name == "order signatures")
    {
        "read and sign"
    } else {
        "read"
    };
    let mut stages = format!("{read} {:.3}s", read_time.as_secs_f64());
    for (name, t) in &r.timings {
        stages.push_str(&format!(", {name} {:.3}s", t.as_secs_f64()));
    }
    stages.push_str(&format!(
        ", write {:.3}s",
        write_start.elapsed().as_secs_f64()
    ));
    eprintln!("  time: {stages}");
    if !r.story_timings.is_empty() {
        let parts: Vec<String> = r
            .story_timings
            .iter()
            .map(|(name, t)| format!("{name} {:.3}s", t.as_secs_f64()))
            .collect();
        eprintln!("  story time: {}", parts.join(", "));
    }
}

/// One line of `--format jsonl`, keys in this order.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    copy: &'a str,
    story: &'a str,
    basis: &'a str,
    copy_similarity: f32,
    story_similarity: f32,
}

fn line<'a>(articles: &'a [Article], r: &'a Clustering, i: usize) -> Line<'a> {
    let g = r.copy_group_of(i);
    let m = r.member(i);
    Line {
        id: &articles[i].id,
        copy: g.id(),
        story: r.story_of(i).id(),
        basis: m.basis.label(),
        copy_similarity: m.similarity,
        story_similarity: g.story_similarity(),
    }
}

/// Writes lines `0..n`, `format(i, buf)` appending line `i` to `buf`:
/// blocks of lines are formatted in parallel, a few blocks at a time, and
/// written in order.
fn write_lines(
    out: &mut impl Write,
    n: usize,
    format: impl Fn(usize, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    const BLOCK: usize = 2048;
    const AT_ONCE: usize = 16;
    let starts: Vec<usize> = (0..n).step_by(BLOCK).collect();
    for window in starts.chunks(AT_ONCE) {
        let blocks: Vec<std::io::Result<Vec<u8>>> = window
            .par_iter()
            .map(|&start| {
                let mut buf = Vec::new();
                for i in start..(start + BLOCK).min(n) {
                    format(i, &mut buf)?;
                }
                Ok(buf)
            })
            .collect();
        for block in blocks {
            out.write_all(&block?)?;
        }
    }
    Ok(())
}

fn write_jsonl(out: &mut impl Write, articles: &[Article], r: &Clustering) -> std::io::Result<()> {
    write_lines(out, articles.len(), |i, buf| {
        serde_json::to_writer(&mut *buf, &line(articles, r, i))?;
        buf.push(b'\n');
        Ok(())
    })
}

/// A CSV field, quoted when it must be.
fn csv(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

fn write_csv(out: &mut impl Write, articles: &[Article], r: &Clustering) -> std::io::Result<()> {
    writeln!(out, "id,copy,story,basis,copy_similarity,story_similarity")?;
    write_lines(out, articles.len(), |i, buf| {
        let l = line(articles, r, i);
        writeln!(
            buf,
            "{},{},{},{},{:.4},{:.4}",
            csv(l.id),
            csv(l.copy),
            csv(l.story),
            l.basis,
            l.copy_similarity,
            l.story_similarity
        )
    })
}

/// The first `n` words of a text.
pub(crate) fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().take(n + 1).collect();
    if words.len() > n {
        format!("{} ...", words[..n].join(" "))
    } else {
        words.join(" ")
    }
}

/// The span of the dates of `members`, or `undated`.
pub(crate) fn date_span(articles: &[Article], members: impl Iterator<Item = usize>) -> String {
    let days: Vec<Day> = members
        .filter_map(|i| articles[i].day().ok().flatten())
        .collect();
    match (days.iter().min(), days.iter().max()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "undated".to_owned(),
    }
}

/// A member's score, labelled.
pub(crate) fn score_label(m: &storyhash::Member) -> String {
    match m.basis {
        storyhash::Basis::Representative => "representative".to_owned(),
        storyhash::Basis::Identical => "identical".to_owned(),
        b => format!("{} {:.2}", b.label(), m.similarity),
    }
}

fn write_tree(
    out: &mut impl Write,
    articles: &[Article],
    r: &Clustering,
    terms: &[Vec<String>],
) -> std::io::Result<()> {
    let mut stories: Vec<(storyhash::StoryView<'_>, &Vec<String>)> =
        r.stories().zip(terms).collect();
    stories.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.id().cmp(b.0.id())));
    for (story, terms) in stories {
        let groups: Vec<_> = story.copy_groups().collect();
        let members = groups
            .iter()
            .flat_map(|g| g.members().iter().map(|m| m.index));
        writeln!(
            out,
            "story {}: {} article{} in {} copy group{}, {} [{}]",
            story.id(),
            story.len(),
            if story.len() == 1 { "" } else { "s" },
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            date_span(articles, members),
            terms.join(", ")
        )?;
        for g in &groups {
            let similarity = if groups.len() > 1 {
                format!(", story similarity {:.2}", g.story_similarity())
            } else {
                String::new()
            };
            writeln!(
                out,
                "  copy group {} ({} article{}{similarity})",
                g.id(),
                g.len(),
                if g.len() == 1 { "" } else { "s" }
            )?;
            for m in g.members() {
                let a = &articles[m.index];
                let label = a.title.clone().unwrap_or_else(|| first_words(&a.text, 10));
                writeln!(
                    out,
                    "    {}  {} | {}  ({})",
                    m.id,
                    a.source.as_deref().unwrap_or("-"),
                    label,
                    score_label(m)
                )?;
            }
        }
    }
    Ok(())
}

pub(crate) fn explain(a: &ExplainArgs) -> Result<(), Failure> {
    let clusterer = Clusterer::new(a.tune.config())?;
    let (articles, _) = input::read(&a.inputs, &Default::default(), true)?;
    let find = |id: &str| {
        articles
            .iter()
            .position(|x| x.id == id)
            .ok_or_else(|| format!("no article with id {id:?} in the input"))
    };
    let (i, j) = (find(&a.first)?, find(&a.second)?);
    let e = clusterer.explain(&articles, i, j)?;
    let mut out = BufWriter::new(stdout());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &e)?;
        writeln!(out).map_err(stdout_error)?;
    } else {
        let stories = &clusterer.config().stories;
        write_explanation(&mut out, &articles, [i, j], &e, stories).map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

fn write_explanation(
    out: &mut impl Write,
    articles: &[Article],
    at: [usize; 2],
    e: &storyhash::Explanation,
    stories: &storyhash::StoryConfig,
) -> std::io::Result<()> {
    for (which, &i) in ["first ", "second"].iter().zip(&at) {
        let x = &articles[i];
        writeln!(
            out,
            "{which} {}  {} | {}",
            x.id,
            x.source.as_deref().unwrap_or("-"),
            x.title.clone().unwrap_or_else(|| first_words(&x.text, 12))
        )?;
    }
    let c = &e.copies;
    let v = &c.verdict;
    writeln!(out, "\ncopies: {}", c.decision)?;
    writeln!(
        out,
        "  shingles       {} and {}",
        c.shingles[0], c.shingles[1]
    )?;
    writeln!(
        out,
        "  Jaccard        {:.3} as compared, {:.3} exact",
        v.jaccard, c.exact_jaccard
    )?;
    writeln!(
        out,
        "  containment    {:.3} as compared, {:.3} exact",
        v.containment, c.exact_containment
    )?;
    let facts = v.facts.map_or("too few to judge".to_owned(), |f| {
        format!("{:.0}% agree", 100.0 * f)
    });
    writeln!(out, "  facts          {facts}")?;
    writeln!(out, "    shared       {}", list(&c.facts_shared))?;
    writeln!(out, "    only first   {}", list(&c.facts_only[0]))?;
    writeln!(out, "    only second  {}", list(&c.facts_only[1]))?;
    let same = |same: bool, ids: &[String; 2]| {
        if same {
            format!("both in {}", ids[0])
        } else {
            format!("{} and {}", ids[0], ids[1])
        }
    };
    writeln!(out, "  copy groups    {}", same(c.same_group, &c.groups))?;
    let s = &e.story;
    writeln!(out, "\nstory: {}", s.decision)?;
    if s.representatives[0] == s.representatives[1] {
        writeln!(
            out,
            "  compared       both are represented by {}",
            s.representatives[0]
        )?;
        return writeln!(out, "  stories        {}", same(s.same_story, &s.stories));
    }
    writeln!(
        out,
        "  compared       the representatives {} and {}",
        s.representatives[0], s.representatives[1]
    )?;
    let apart = s
        .days_apart
        .map_or("undated".to_owned(), |d| format!("{d} days apart"));
    writeln!(
        out,
        "  similarity     cosine {:.3} x evidence {:.3} ({:.1} features carry it) x time factor {:.3} \
         ({apart}) x conflicts {:.3} x density {:.3} = {:.3}; threshold {}",
        s.cosine,
        s.evidence_factor,
        s.carriers,
        s.time_factor,
        s.conflict_factor,
        s.density_factor,
        s.similarity,
        s.threshold
    )?;
    if !s.conflicts.is_empty() {
        writeln!(out, "  conflicts      {}", s.conflicts.join("; "))?;
    }
    writeln!(
        out,
        "  densities      {:.3} and {:.3} (each one's similarity to its candidate of rank {}; \
         a pair is scaled down where the geometric mean of its two passes {})",
        s.densities[0], s.densities[1], stories.density_rank, stories.density_scale
    )?;
    writeln!(
        out,
        "  key terms      shared: {}; proposed by blocking: {}",
        list(&s.shared_key_terms),
        if s.proposed { "yes" } else { "no" }
    )?;
    let top: Vec<String> = s
        .top_shared_terms
        .iter()
        .map(|(t, w)| format!("{t} {:.0}%", 100.0 * w))
        .collect();
    writeln!(out, "  cosine from    {}", list(&top))?;
    writeln!(out, "  stories        {}", same(s.same_story, &s.stories))
}

/// At most this many items of a list are printed.
const LIST: usize = 24;

fn list(items: &[String]) -> String {
    match items.len() {
        0 => "-".to_owned(),
        n if n > LIST => format!("{} (and {} more)", items[..LIST].join(", "), n - LIST),
        _ => items.join(", "),
    }
}

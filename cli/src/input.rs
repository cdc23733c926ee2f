//! Reading the input, with a progress bar by bytes when stderr is a terminal.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use storyhash::io::{read_jsonl_with, read_txt_dir, ReadOptions, ReadReport};
use storyhash::{Article, Error};

/// A reader that moves a progress bar by the bytes it reads.
struct Counted<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// A bar on stderr, drawn only when stderr is a terminal and `quiet` is off.
pub(crate) fn bar(total: u64, what: &str, quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    let template = if total == 0 {
        "{spinner} {msg} {elapsed}"
    } else {
        "{msg:>12} [{bar:30}] {percent:>3}% {eta}"
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    if total == 0 {
        bar.enable_steady_tick(Duration::from_millis(120));
    }
    bar
}

/// Reads every input in order: JSON Lines files, `.txt` directories, `-`.
pub(crate) fn read(
    inputs: &[PathBuf],
    options: &ReadOptions,
    quiet: bool,
) -> Result<(Vec<Article>, ReadReport), Error> {
    let mut all = Vec::new();
    let report = read_each(inputs, options, quiet, |articles| {
        all.extend(articles);
        Ok(())
    })?;
    Ok((all, report))
}

/// Reads every input in order, handing the articles to `each` a chunk at a
/// time while the next chunk is read.
pub(crate) fn read_each(
    inputs: &[PathBuf],
    options: &ReadOptions,
    quiet: bool,
    mut each: impl FnMut(Vec<Article>) -> Result<(), Error> + Send,
) -> Result<ReadReport, Error> {
    let mut report = ReadReport::default();
    for input in inputs {
        let r = read_one(input, options, quiet, &mut each)?;
        report.skipped.extend(r.skipped);
        report.lossy += r.lossy;
        report.ignored_files += r.ignored_files;
    }
    Ok(report)
}

fn read_one(
    input: &Path,
    options: &ReadOptions,
    quiet: bool,
    mut each: impl FnMut(Vec<Article>) -> Result<(), Error> + Send,
) -> Result<ReadReport, Error> {
    let io = |source| Error::Io {
        path: input.to_owned(),
        source,
    };
    if input == Path::new("-") {
        return read_jsonl_with(std::io::stdin(), input, options, each);
    }
    let meta = std::fs::metadata(input).map_err(io)?;
    if meta.is_dir() {
        let (articles, report) = read_txt_dir(input, options)?;
        each(articles)?;
        return Ok(report);
    }
    let bar = bar(meta.len(), "read", quiet);
    let reader = Counted {
        inner: File::open(input).map_err(io)?,
        bar: bar.clone(),
    };
    let read = read_jsonl_with(reader, input, options, each);
    bar.finish_and_clear();
    read
}

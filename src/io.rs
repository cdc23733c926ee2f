//! Reading articles from JSON Lines files, standard input and directories of
//! `.txt` files, with errors that name the file and line.
//!
//! Policies, all documented and tested:
//! - a line that is not a JSON object with `id` and `text` is an error naming
//!   the file and line, or, with [`ReadOptions::skip_bad`], skipped and counted;
//! - invalid UTF-8 is an error naming the line, or, with
//!   [`ReadOptions::lossy_utf8`], replaced by U+FFFD and counted;
//! - blank lines are ignored; an empty file holds no articles; a UTF-8
//!   byte-order mark at the start of the input is skipped;
//! - the JSON fields holding the id, text, title, date and outlet are named
//!   by [`ReadOptions::fields`] (`id`, `text`, ... by default);
//! - in a directory, files not ending in `.txt` are ignored and counted.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::article::{Article, Fields};
use crate::error::{Error, Result};

/// How strict the readers are, and which fields they read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Skip malformed lines (counted in [`ReadReport::skipped`]) instead of failing.
    pub skip_bad: bool,
    /// Replace invalid UTF-8 with U+FFFD (counted) instead of failing.
    pub lossy_utf8: bool,
    /// The names of the JSON fields of an article.
    pub fields: Fields,
}

/// The UTF-8 byte-order mark some editors put at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a reader saw besides the articles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Malformed lines skipped, as `(file, line, reason)`.
    pub skipped: Vec<(PathBuf, u64, String)>,
    /// Lines or files whose invalid UTF-8 was replaced.
    pub lossy: u64,
    /// Directory entries ignored (not `.txt`).
    pub ignored_files: u64,
}

impl ReadReport {
    fn merge(&mut self, o: ReadReport) {
        self.skipped.extend(o.skipped);
        self.lossy += o.lossy;
        self.ignored_files += o.ignored_files;
    }
}

/// Bytes of JSON Lines parsed at a time: peak memory while reading is the
/// articles themselves plus a chunk or two, not the whole file twice, and a
/// chunk's texts are still in the cache when [`read_jsonl_with`]'s caller
/// works on them.
const CHUNK: usize = 8 << 20;

/// Reads articles from `input`: a `.jsonl` file, a directory of `.txt` files,
/// or `-` for JSON Lines on standard input.
///
/// # Errors
/// [`Error::Io`] when the input cannot be read; [`Error::BadRecord`] for a bad
/// line, unless `options` says to skip or repair it.
pub fn read_input(input: &Path, options: &ReadOptions) -> Result<(Vec<Article>, ReadReport)> {
    let io = |source| Error::Io {
        path: input.to_owned(),
        source,
    };
    if input == Path::new("-") {
        return read_jsonl(std::io::stdin().lock(), input, options);
    }
    let meta = fs::metadata(input).map_err(io)?;
    if meta.is_dir() {
        read_txt_dir(input, options)
    } else {
        read_jsonl(fs::File::open(input).map_err(io)?, input, options)
    }
}

/// Reads JSON Lines from `reader` in chunks of a few megabytes, each parsed in
/// parallel; `path` names the source in errors.
///
/// # Errors
/// [`Error::Io`] when reading fails; [`Error::BadRecord`] for the first bad
/// line, unless `options` says otherwise.
pub fn read_jsonl(
    reader: impl Read,
    path: &Path,
    options: &ReadOptions,
) -> Result<(Vec<Article>, ReadReport)> {
    read_jsonl_in_chunks(reader, path, options, CHUNK)
}

fn read_jsonl_in_chunks(
    reader: impl Read,
    path: &Path,
    options: &ReadOptions,
    chunk: usize,
) -> Result<(Vec<Article>, ReadReport)> {
    let mut chunker = Chunker::new(reader, chunk);
    let mut parser = LineParser::new(path, options);
    let mut articles = Vec::new();
    let mut buf = Chunk::default();
    while chunker.fill(&mut buf).map_err(|e| parser.io(e))? {
        articles.extend(parser.parse(buf.bytes())?);
    }
    Ok((articles, parser.report))
}

/// Reads JSON Lines from `reader` as [`read_jsonl`] does, handing the
/// articles to `each` a chunk at a time, in file order, while the next chunk
/// is read on another thread and parsed beside `each` in the rayon pool: a
/// caller that signs each chunk as it comes overlaps its work with the
/// reading and the parsing (the workers that finish their share of one
/// take up the other), and its texts are still in the cache.
///
/// # Errors
/// As [`read_jsonl`], and the first error `each` returns (reading stops
/// there).
pub fn read_jsonl_with<R: Read + Send + 'static>(
    reader: R,
    path: &Path,
    options: &ReadOptions,
    each: impl FnMut(Vec<Article>) -> Result<()> + Send,
) -> Result<ReadReport> {
    read_jsonl_with_chunks(reader, path, options, CHUNK, each)
}

fn read_jsonl_with_chunks<R: Read + Send + 'static>(
    reader: R,
    path: &Path,
    options: &ReadOptions,
    chunk: usize,
    mut each: impl FnMut(Vec<Article>) -> Result<()> + Send,
) -> Result<ReadReport> {
    use std::sync::mpsc;
    let mut parser = LineParser::new(path, options);
    // Two buffers go round: the reader fills one while the other is parsed.
    let (full_tx, full) = mpsc::sync_channel::<std::io::Result<Chunk>>(1);
    let (empty, empty_rx) = mpsc::channel::<Chunk>();
    // Not scoped: after an error the reader may be blocked on a pipe that
    // stays open, and nothing should wait for it. It ends at the end of the
    // input or at its next send, once `full` is gone.
    std::thread::spawn(move || {
        let mut chunker = Chunker::new(reader, chunk);
        loop {
            let mut buf = empty_rx.try_recv().unwrap_or_default();
            match chunker.fill(&mut buf) {
                Ok(true) if full_tx.send(Ok(buf)).is_ok() => {}
                Ok(_) => return,
                Err(e) => {
                    let _ = full_tx.send(Err(e));
                    return;
                }
            }
        }
    });
    // The articles of the chunk before, parsed and not yet handed over.
    let mut parsed: Option<Vec<Article>> = None;
    for buf in full {
        let buf = buf.map_err(|e| parser.io(e))?;
        let (next, handed) = match parsed.take() {
            None => (parser.parse(buf.bytes()), Ok(())),
            Some(articles) => rayon::join(|| parser.parse(buf.bytes()), || each(articles)),
        };
        // The earlier chunk's error first, as if one were done after the other.
        handed?;
        parsed = Some(next?);
        // The reader may be gone already: then the buffer is simply dropped.
        let _ = empty.send(buf);
    }
    if let Some(articles) = parsed {
        each(articles)?;
    }
    Ok(parser.report)
}

/// A buffer of whole lines that [`Chunker::fill`] fills again and again.
///
/// The space past the lines stays initialised between fills, so reading
/// into it needs no zeroing first: `Read::read_to_end` zeroes the spare
/// capacity of a `Vec` before every read for a reader without its own
/// `read_buf` (one that wraps a file to count its bytes, as the command's
/// progress bar does): a third of the reading thread's time in a profile
/// of the command on 100k generated articles.
#[derive(Default, Debug)]
struct Chunk {
    /// Initialised bytes; the lines are the first `len`.
    space: Vec<u8>,
    len: usize,
}

impl Chunk {
    /// The lines.
    fn bytes(&self) -> &[u8] {
        &self.space[..self.len]
    }

    /// Puts `bytes` after the lines.
    fn append(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.space[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Room for `more` bytes past the lines (zeroed only when it grows).
    fn reserve(&mut self, more: usize) {
        if self.space.len() < self.len + more {
            self.space.resize(self.len + more, 0);
        }
    }
}

/// Cuts JSON Lines input into chunks of whole lines, about `chunk` bytes
/// each (more when one line is longer), skipping a byte-order mark at the
/// start.
struct Chunker<R> {
    reader: R,
    chunk: usize,
    /// Bytes read after the last line break of the chunk handed out last.
    carry: Vec<u8>,
    at_start: bool,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    fn new(reader: R, chunk: usize) -> Self {
        Chunker {
            reader,
            chunk: chunk.max(1),
            carry: Vec::new(),
            at_start: true,
            eof: false,
        }
    }

    /// Puts the next chunk into `buf` (its space reused); false when the
    /// input is exhausted. Interrupted reads are retried.
    fn fill(&mut self, buf: &mut Chunk) -> std::io::Result<bool> {
        buf.len = 0;
        buf.append(&self.carry);
        self.carry.clear();
        let cut = loop {
            if self.eof {
                break buf.len;
            }
            let before = buf.len;
            buf.reserve(self.chunk);
            // Up to `chunk` bytes; fewer means the end of the input.
            let want = buf.len + self.chunk;
            while buf.len < want {
                match self.reader.read(&mut buf.space[buf.len..want]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => buf.len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.at_start && (buf.len >= BOM.len() || self.eof) {
                if buf.bytes().starts_with(BOM) {
                    buf.space.copy_within(BOM.len()..buf.len, 0);
                    buf.len -= BOM.len();
                }
                self.at_start = false;
            }
            // Only the new bytes can hold a line break (a few more after a
            // mark was removed).
            let from = before.saturating_sub(BOM.len()).min(buf.len);
            if let Some(i) = buf.bytes()[from..].iter().rposition(|&b| b == b'\n') {
                break from + i + 1;
            }
        };
        self.carry.extend_from_slice(&buf.bytes()[cut..]);
        buf.len = cut;
        Ok(buf.len > 0)
    }
}

/// Parses chunks of whole lines in order, numbering lines across them.
struct LineParser<'a> {
    path: &'a Path,
    options: &'a ReadOptions,
    next_line: u64,
    report: ReadReport,
}

impl<'a> LineParser<'a> {
    fn new(path: &'a Path, options: &'a ReadOptions) -> Self {
        LineParser {
            path,
            options,
            next_line: 1,
            report: ReadReport::default(),
        }
    }

    fn parse(&mut self, chunk: &[u8]) -> Result<Vec<Article>> {
        let (articles, report, breaks) =
            parse_lines(chunk, self.next_line, self.path, self.options)?;
        self.next_line += breaks;
        self.report.merge(report);
        Ok(articles)
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.path.to_owned(),
            source,
        }
    }
}

/// Parses JSON Lines bytes (one article a line); `path` names them in errors.
///
/// Lines are parsed in parallel; the articles come back in file order.
///
/// # Errors
/// [`Error::BadRecord`] for the first bad line, unless `options` says otherwise.
pub fn parse_jsonl(
    bytes: &[u8],
    path: &Path,
    options: &ReadOptions,
) -> Result<(Vec<Article>, ReadReport)> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    parse_lines(bytes, 1, path, options).map(|(a, r, _)| (a, r))
}

/// The articles of the lines in `bytes`, numbered from `first_line`, a
/// report, and the number of line breaks in `bytes`.
fn parse_lines(
    bytes: &[u8],
    first_line: u64,
    path: &Path,
    options: &ReadOptions,
) -> Result<(Vec<Article>, ReadReport, u64)> {
    // Each non-blank line: its number and byte range (without a `\r`).
    let mut lines: Vec<(u64, usize, usize)> = Vec::new();
    let mut start = 0;
    let mut line = first_line;
    for end in memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]) {
        let l = &bytes[start..end];
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if !l.iter().all(u8::is_ascii_whitespace) {
            lines.push((line, start, start + l.len()));
        }
        line += 1;
        start = end + 1;
    }
    let breaks = line - first_line - 1;
    // The value stream reads the default field names only.
    let stream = options.fields == Fields::default();
    let parsed: Vec<(u64, Parsed)> = lines
        .par_chunks(LINE_GROUP)
        .flat_map_iter(|group| parse_group(bytes, group, stream, options))
        .collect();
    let mut articles = Vec::with_capacity(parsed.len());
    let mut report = ReadReport::default();
    for (line, r) in parsed {
        match r {
            Ok((a, lossy)) => {
                report.lossy += u64::from(lossy);
                articles.push(a);
            }
            Err(reason) if options.skip_bad => report.skipped.push((path.to_owned(), line, reason)),
            Err(reason) => {
                return Err(Error::BadRecord {
                    path: path.to_owned(),
                    line,
                    reason,
                })
            }
        }
    }
    Ok((articles, report, breaks))
}

/// An article and whether its line was valid UTF-8 only after repair, or
/// why the line is not an article.
type Parsed = std::result::Result<(Article, bool), String>;

/// Lines [`parse_group`] reads with one JSON reader.
const LINE_GROUP: usize = 32;

/// The articles of `lines` (number and byte range in `bytes`, in order). With
/// `stream` (the default field names) they are read by one JSON reader in
/// turn, else each alone. The one reader's buffer for strings with escapes,
/// which every news text has, then grows once rather than once a line. Each
/// value must end on its own line with only white space after it there (so
/// the next value starts on a later line). When anything is amiss (invalid
/// UTF-8, a bad record, two values on a line, one across two) the rest of
/// the group from that line on is read line by line, so that each line gets
/// the answer and the error [`parse_line`] gives.
fn parse_group(
    bytes: &[u8],
    lines: &[(u64, usize, usize)],
    stream: bool,
    options: &ReadOptions,
) -> Vec<(u64, Parsed)> {
    let mut out = Vec::with_capacity(lines.len());
    // Lines `from..` one at a time, after those already read.
    let by_line = |from: usize, mut out: Vec<(u64, Parsed)>| {
        out.extend(
            lines[from..]
                .iter()
                .map(|&(no, start, end)| (no, parse_line(&bytes[start..end], options))),
        );
        out
    };
    if !stream {
        return by_line(0, out);
    }
    let (Some(&(_, base, _)), Some(&(_, _, last))) = (lines.first(), lines.last()) else {
        return out;
    };
    let Ok(span) = std::str::from_utf8(&bytes[base..last]) else {
        return by_line(0, out);
    };
    let mut values = serde_json::Deserializer::from_str(span).into_iter::<Article>();
    for (k, &(no, _, end)) in lines.iter().enumerate() {
        // The value ends on this line, and only white space follows it there
        // (it starts past the line before, which ended the same way; so it
        // is this line's record and nothing else). After the last line's
        // value, then, nothing is left.
        let alone = |at: usize| {
            at <= end
                && bytes[at..end]
                    .iter()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        };
        match values.next() {
            Some(Ok(a)) if alone(base + values.byte_offset()) => out.push((no, Ok((a, false)))),
            // The lines before were read right: this one and those after
            // are read alone.
            _ => return by_line(k, out),
        }
    }
    out
}

fn parse_line(line: &[u8], options: &ReadOptions) -> Parsed {
    match std::str::from_utf8(line) {
        Ok(s) => options.fields.parse(s).map(|a| (a, false)),
        Err(_) if options.lossy_utf8 => {
            let s = String::from_utf8_lossy(line);
            options.fields.parse(&s).map(|a| (a, true))
        }
        Err(e) => Err(format!(
            "invalid UTF-8 at byte {} of the line",
            e.valid_up_to()
        )),
    }
}

/// Reads every `.txt` file in `dir` (not recursive) as one article whose id is
/// the file name without extension; files are taken in name order.
///
/// # Errors
/// [`Error::Io`] when the directory or a file cannot be read;
/// [`Error::BadRecord`] (line 0) for a file that is not UTF-8, unless
/// `options.lossy_utf8`.
pub fn read_txt_dir(dir: &Path, options: &ReadOptions) -> Result<(Vec<Article>, ReadReport)> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut report = ReadReport::default();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "txt") {
            paths.push(path);
        } else {
            report.ignored_files += 1;
        }
    }
    paths.sort();
    let mut articles = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = fs::read(&path).map_err(io(&path))?;
        let bytes = match bytes.strip_prefix(BOM) {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) if options.lossy_utf8 => {
                report.lossy += 1;
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
            Err(e) => {
                return Err(Error::BadRecord {
                    path,
                    line: 0,
                    reason: format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                })
            }
        };
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        articles.push(Article::new(id, text));
    }
    Ok((articles, report))
}

/// Reads several inputs in order, as [`read_input`] does each.
///
/// # Errors
/// As [`read_input`].
pub fn read_inputs(
    inputs: &[PathBuf],
    options: &ReadOptions,
) -> Result<(Vec<Article>, ReadReport)> {
    let mut all = Vec::new();
    let mut report = ReadReport::default();
    for input in inputs {
        let (a, r) = read_input(input, options)?;
        all.extend(a);
        report.merge(r);
    }
    Ok((all, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::any;

    fn p() -> &'static Path {
        Path::new("in.jsonl")
    }

    #[test]
    fn reads_records_and_names_bad_lines() {
        let ok = b"{\"id\":\"a\",\"text\":\"x\"}\n\n{\"id\":7,\"text\":\"y\",\"title\":\"T\"}\r\n";
        let (a, _) = parse_jsonl(ok, p(), &ReadOptions::default()).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].id, "7");
        assert_eq!(a[1].title.as_deref(), Some("T"));

        let cases: &[(&[u8], u64, &str)] = &[
            (
                b"{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"te",
                2,
                "EOF",
            ),
            (b"{\"id\":\"a\"}", 1, "missing field `text`"),
            (b"{\"id\":null,\"text\":\"x\"}", 1, "string or an integer"),
            (b"[1,2]", 1, "not a valid article"),
            (b"{\"id\":\"a\",\"text\":\"\xff\"}", 1, "invalid UTF-8"),
        ];
        for (input, line, needle) in cases {
            match parse_jsonl(input, p(), &ReadOptions::default()) {
                Err(Error::BadRecord {
                    line: l, reason, ..
                }) => {
                    assert_eq!(l, *line);
                    assert!(reason.contains(needle), "{reason}");
                }
                other => panic!("{needle}: {other:?}"),
            }
        }
    }

    /// `input` read in chunks of `chunk` bytes both ways: all at once, and
    /// handed over chunk by chunk from the reading thread.
    fn read_both(input: &[u8], chunk: usize) -> [Result<(Vec<Article>, ReadReport)>; 2] {
        read_both_from(|| std::io::Cursor::new(input.to_vec()), chunk)
    }

    /// As [`read_both`], each way from a fresh `reader()`.
    fn read_both_from<R: Read + Send + 'static>(
        reader: impl Fn() -> R,
        chunk: usize,
    ) -> [Result<(Vec<Article>, ReadReport)>; 2] {
        let options = ReadOptions::default();
        let serial = read_jsonl_in_chunks(reader(), p(), &options, chunk);
        let mut all = Vec::new();
        let handed = read_jsonl_with_chunks(reader(), p(), &options, chunk, |a| {
            all.extend(a);
            Ok(())
        })
        .map(|r| (all, r));
        [serial, handed]
    }

    #[test]
    fn chunked_reading_keeps_line_numbers() {
        // Lines longer and shorter than nothing in particular: the reader must
        // join chunks and count lines across them.
        let mut input = Vec::new();
        for i in 0..2000 {
            input.extend_from_slice(
                format!("{{\"id\":{i},\"text\":\"{}\"}}\n", "x ".repeat(i % 50)).as_bytes(),
            );
        }
        let good = input.len();
        input.extend_from_slice(b"{\"id\":\"bad\"}\n");
        for chunk in [1, 7, 100, 4096, CHUNK] {
            for r in read_both(&input, chunk) {
                assert!(
                    matches!(r, Err(Error::BadRecord { line: 2001, .. })),
                    "chunk {chunk}"
                );
            }
            for r in read_both(&input[..good], chunk) {
                let (a, _) = r.unwrap();
                assert_eq!(a.len(), 2000, "chunk {chunk}");
                assert_eq!(a[1999].id, "1999");
                assert_eq!(a[77].text, "x ".repeat(27));
            }
        }
    }

    #[test]
    fn an_error_of_the_receiver_stops_the_reading() {
        let input: Vec<u8> = (0..1000)
            .flat_map(|i| format!("{{\"id\":{i},\"text\":\"t\"}}\n").into_bytes())
            .collect();
        let mut chunks = 0;
        let r = read_jsonl_with_chunks(
            std::io::Cursor::new(input),
            p(),
            &ReadOptions::default(),
            64,
            |_| {
                chunks += 1;
                Err(Error::config("test", "stop"))
            },
        );
        assert!(matches!(r, Err(Error::InvalidConfig { .. })), "{r:?}");
        assert_eq!(chunks, 1);
    }

    #[test]
    fn errors_come_in_file_order_though_a_chunk_is_parsed_beside_the_one_before() {
        // The next chunk is parsed while the receiver takes the one before:
        // the receiver's error on a chunk comes first, a bad line after it
        // second, and every chunk before the bad line is handed over.
        let input =
            b"{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}\n{\"id\":\"c\"}\n";
        let read = |fail_on: usize| {
            let mut handed = Vec::new();
            let r = read_jsonl_with_chunks(
                std::io::Cursor::new(input.to_vec()),
                p(),
                &ReadOptions::default(),
                1,
                |a| {
                    handed.extend(a.into_iter().map(|a| a.id));
                    if handed.len() == fail_on {
                        return Err(Error::config("test", "stop"));
                    }
                    Ok(())
                },
            );
            (r, handed)
        };
        let (r, handed) = read(2);
        assert!(matches!(r, Err(Error::InvalidConfig { .. })), "{r:?}");
        assert_eq!(handed, ["a", "b"]);
        let (r, handed) = read(0);
        assert!(matches!(r, Err(Error::BadRecord { line: 3, .. })), "{r:?}");
        assert_eq!(handed, ["a", "b"]);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let input = b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}\n";
        for chunk in [1, 2, 3, 7, CHUNK] {
            for r in read_both(input, chunk) {
                let (a, r) = r.unwrap();
                assert_eq!(a.len(), 2, "chunk {chunk}");
                assert!(r.skipped.is_empty());
            }
        }
        assert_eq!(
            parse_jsonl(input, p(), &ReadOptions::default())
                .unwrap()
                .0
                .len(),
            2
        );
    }

    /// A reader that hands out a few bytes at a time and is interrupted
    /// now and then, as a pipe or a socket may be.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        calls: usize,
        /// Reads hand out at most `1..=step` bytes.
        step: usize,
    }

    impl Trickle {
        fn with_step(bytes: &[u8], step: usize) -> Self {
            Trickle {
                bytes: bytes.to_vec(),
                at: 0,
                calls: 0,
                step: step.max(1),
            }
        }
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls % 5 == 0 {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let rest = &self.bytes[self.at..];
            let n = (self.calls % self.step + 1).min(out.len()).min(rest.len());
            out[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn short_and_interrupted_reads_give_the_same_articles() {
        let mut input = b"\xEF\xBB\xBF".to_vec();
        for i in 0..50 {
            input.extend_from_slice(
                format!("{{\"id\":\"{i}\",\"text\":\"{}\"}}\n", "w ".repeat(i)).as_bytes(),
            );
        }
        let (want, _) = parse_jsonl(&input, p(), &ReadOptions::default()).unwrap();
        assert_eq!(want.len(), 50);
        for chunk in [1, 3, 64, CHUNK] {
            for got in trickled(&input, 4, chunk) {
                assert_eq!(got, want, "chunk {chunk}");
            }
        }
    }

    /// `input` read through a [`Trickle`] of `step` in chunks of `chunk`
    /// bytes both ways ([`read_both_from`]).
    fn trickled(input: &[u8], step: usize, chunk: usize) -> [Vec<Article>; 2] {
        read_both_from(|| Trickle::with_step(input, step), chunk).map(|r| r.unwrap().0)
    }

    proptest::proptest! {
        /// Any cut of any input into chunks and reads gives the articles
        /// of the whole input read at once.
        #[test]
        fn chunks_and_short_reads_change_nothing(
            bom in any::<bool>(),
            lines in proptest::collection::vec(("[a-zé \\n\"]{0,40}", 0u8..3), 0..30),
            chunk in 1usize..80,
            step in 1usize..200,
        ) {
            let mut input = Vec::new();
            if bom {
                input.extend_from_slice(BOM);
            }
            for (i, (text, end)) in lines.iter().enumerate() {
                let record = serde_json::json!({"id": i, "text": text});
                input.extend_from_slice(record.to_string().as_bytes());
                input.extend_from_slice([&b"\n"[..], b"\r\n", b"\n\n"][usize::from(*end)]);
            }
            let (want, _) = parse_jsonl(&input, p(), &ReadOptions::default()).unwrap();
            for got in trickled(&input, step, chunk) {
                proptest::prop_assert_eq!(&got, &want);
            }
        }
    }

    /// `input` read one line at a time with [`parse_line`]: what the
    /// readers must give however they group lines.
    fn line_by_line(input: &[u8], options: &ReadOptions) -> Result<(Vec<Article>, ReadReport)> {
        let mut articles = Vec::new();
        let mut report = ReadReport::default();
        for (i, line) in input.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let no = i as u64 + 1;
            match parse_line(line, options) {
                Ok((a, lossy)) => {
                    report.lossy += u64::from(lossy);
                    articles.push(a);
                }
                Err(reason) if options.skip_bad => {
                    report.skipped.push((p().to_owned(), no, reason))
                }
                Err(reason) => {
                    return Err(Error::BadRecord {
                        path: p().to_owned(),
                        line: no,
                        reason,
                    })
                }
            }
        }
        Ok((articles, report))
    }

    proptest::proptest! {
        /// Lines read a group at a time give, line for line, the articles,
        /// skipped lines and errors of lines read one at a time: also for two
        /// records on a line, one record across two lines, trailing junk, a
        /// form feed (white space to the line filter, not to JSON), invalid
        /// UTF-8, and groups cut anywhere.
        #[test]
        fn grouped_lines_read_as_lines_alone(
            picks in proptest::collection::vec((0usize..10, any::<bool>()), 0..100),
            skip_bad in any::<bool>(),
            lossy_utf8 in any::<bool>(),
        ) {
            let mut input = Vec::new();
            for (i, &(pick, crlf)) in picks.iter().enumerate() {
                let line = match pick {
                    0 | 1 => format!("{{\"id\":{i},\"text\":\"para\\n{i} \\\"q\\\"\"}}"),
                    2 => format!("{{\"id\":{i},\"text\":\"x\"}} {{\"id\":\"{i}b\",\"text\":\"y\"}}"),
                    3 => format!("{{\"id\":{i},"),
                    4 => "\"text\":\"z\"}".to_owned(),
                    5 => format!("{{\"id\":{i},\"text\":\"x\"}} \t "),
                    6 => format!("{{\"id\":{i},\"text\":\"x\"}} junk"),
                    7 => ["", "  ", "\u{c}"][i % 3].to_owned(),
                    8 => format!("{{\"id\":{i},\"text\":\"\u{1}\"}}"),
                    _ => "[1]".to_owned(),
                };
                let mut line = line.into_bytes();
                if pick == 8 {
                    // Invalid UTF-8 inside the text.
                    let at = line.iter().position(|&b| b == 1).expect("marker");
                    line[at] = 0xff;
                }
                input.extend_from_slice(&line);
                input.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            let options = ReadOptions { skip_bad, lossy_utf8, ..ReadOptions::default() };
            let want = format!("{:?}", line_by_line(&input, &options));
            proptest::prop_assert_eq!(format!("{:?}", parse_jsonl(&input, p(), &options)), want);
        }
    }

    #[test]
    fn other_field_names_are_read_even_where_the_default_ones_are_present() {
        // Records that the default names read too, differently: only the
        // configured names may be used.
        let mut input = Vec::new();
        for i in 0..40 {
            input.extend_from_slice(
                format!(
                    "{{\"id\":{i},\"text\":\"teaser\",\"key\":\"k{i}\",\"body\":\"full {i}\"}}\n"
                )
                .as_bytes(),
            );
        }
        let options = ReadOptions {
            fields: Fields {
                id: "key".into(),
                text: "body".into(),
                ..Fields::default()
            },
            ..ReadOptions::default()
        };
        let (articles, _) = parse_jsonl(&input, p(), &options).unwrap();
        assert_eq!(articles.len(), 40);
        for (i, a) in articles.iter().enumerate() {
            assert_eq!(
                (a.id.as_str(), a.text.as_str()),
                (format!("k{i}").as_str(), format!("full {i}").as_str())
            );
        }
    }

    #[test]
    fn skip_bad_and_lossy() {
        let input =
            b"{\"id\":\"a\",\"text\":\"x\"}\nnot json\n{\"id\":\"b\",\"text\":\"\xffok\"}\n";
        let opts = ReadOptions {
            skip_bad: true,
            lossy_utf8: true,
            ..ReadOptions::default()
        };
        let (a, r) = parse_jsonl(input, p(), &opts).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].text, "\u{FFFD}ok");
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].1, 2);
        assert_eq!(r.lossy, 1);
    }
}

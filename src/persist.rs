//! The snapshot envelope shared by every saved structure: magic number,
//! format version, a body written by the structure that owns the format,
//! and a checksum; atomic writes.
//!
//! The formats themselves live beside what they store: a [`CopyIndex`]'s in
//! `src/index/format.rs` (format version
//! [`CopyIndex::FORMAT_VERSION`](crate::CopyIndex::FORMAT_VERSION)), a
//! [`Stream`](crate::Stream)'s in `src/stream/format.rs` (the index body,
//! then the stream state).
//!
//! Writes are atomic: a temporary file of its own in the same directory
//! (a unique name per call, so two threads or processes saving to one path
//! never write into each other's file), synced, then renamed over the
//! target, so a crash mid-save never destroys the previous snapshot and a
//! reader only ever sees a whole file. A temporary file left behind by a
//! process that died mid-save is removed by the next save to that path.
//! Loading checks the magic number and version first and the checksum over
//! everything, so a corrupt, truncated or foreign file is a typed error,
//! never a panic or an unbounded allocation.
//!
//! [`CopyIndex`]: crate::CopyIndex

/* Envelope. All integers little-endian.

offset  size   field
0       8      magic "STORYHSH"
8       4      format version
12      B      body, written and read by the format's owner
12+B    8      xxh3-64 (seed 0) of every byte before it

Bodies are read in order, in pieces of 1 MiB, hashed on the way; bulk
arrays are raw little-endian words rather than serde sequences, so saving and
loading run at memory speed. The codec for small headers (postcard) is
private to the formats: bincode is unmaintained (RUSTSEC-2025-0141), see the
README. */

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::Xxh3;

use crate::config::Config;
use crate::error::{Error, Result};

/// First eight bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"STORYHSH";

/// Bytes converted or read per piece while saving and loading.
pub(crate) const PIECE: usize = 1 << 20;

/// Appends `xs` as raw little-endian words (`le` is e.g. `u32::to_le_bytes`).
pub(crate) fn put_le<T: Copy, const N: usize>(
    out: &mut Vec<u8>,
    xs: impl IntoIterator<Item = T>,
    le: fn(T) -> [u8; N],
) {
    for x in xs {
        out.extend_from_slice(&le(x));
    }
}

/// Raw little-endian words of `bytes` (`from` is e.g. `u32::from_le_bytes`);
/// a trailing partial word is ignored, callers pass whole words.
pub(crate) fn le_words<'a, T: 'a, const N: usize>(
    bytes: &'a [u8],
    from: fn([u8; N]) -> T,
) -> impl Iterator<Item = T> + 'a {
    bytes
        .chunks_exact(N)
        .map(move |c| from(c.try_into().expect("chunks of N bytes")))
}

/// Writes a body through to `w`, hashing every byte on the way.
pub(crate) struct Sink<W> {
    w: W,
    hasher: Xxh3,
    piece: Vec<u8>,
}

impl<W: Write> Sink<W> {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.w.write_all(bytes)
    }

    /// `xs` as raw little-endian words, converted a piece at a time.
    pub(crate) fn words<T: Copy, const N: usize>(
        &mut self,
        xs: &[T],
        le: fn(T) -> [u8; N],
    ) -> io::Result<()> {
        for chunk in xs.chunks(PIECE / N) {
            self.piece.clear();
            put_le(&mut self.piece, chunk.iter().copied(), le);
            self.hasher.update(&self.piece);
            self.w.write_all(&self.piece)?;
        }
        Ok(())
    }
}

/// A snapshot of format `version` with the body `body` writes, to `w`.
pub(crate) fn encode<W: Write>(
    w: W,
    version: u32,
    body: impl FnOnce(&mut Sink<W>) -> io::Result<()>,
) -> io::Result<W> {
    let mut out = Sink {
        w,
        hasher: Xxh3::new(),
        piece: Vec::new(),
    };
    out.bytes(MAGIC)?;
    out.bytes(&version.to_le_bytes())?;
    body(&mut out)?;
    let sum = out.hasher.digest();
    out.w.write_all(&sum.to_le_bytes())?;
    Ok(out.w)
}

pub(crate) fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptSnapshot(reason.into())
}

/// The body of a snapshot, read in order and hashed on the way.
pub(crate) struct Source<'p, R> {
    r: R,
    /// Body bytes not read yet.
    left: u64,
    hasher: Xxh3,
    piece: Vec<u8>,
    path: Option<&'p Path>,
}

impl<R: Read> Source<'_, R> {
    /// Body bytes not read yet.
    pub(crate) fn left(&self) -> u64 {
        self.left
    }

    pub(crate) fn read(&mut self, len: usize) -> Result<&[u8]> {
        if len as u64 > self.left {
            return Err(corrupt("a section runs past the end of the file"));
        }
        // Appended without zeroing the space first; fewer bytes than asked
        // means the file ended early.
        self.piece.clear();
        match (&mut self.r).take(len as u64).read_to_end(&mut self.piece) {
            Ok(got) if got == len => {}
            Ok(_) => {
                let cut = io::Error::from(io::ErrorKind::UnexpectedEof);
                return Err(read_error(self.path, cut));
            }
            Err(source) => return Err(read_error(self.path, source)),
        }
        self.left -= len as u64;
        self.hasher.update(&self.piece);
        Ok(&self.piece)
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let step = PIECE.min(len - out.len());
            out.extend_from_slice(self.read(step)?);
        }
        Ok(out)
    }

    /// `count` raw little-endian words (`from` is e.g. `u32::from_le_bytes`).
    pub(crate) fn words<T, const N: usize>(
        &mut self,
        count: usize,
        from: fn([u8; N]) -> T,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let step = (PIECE / N).min(count - out.len());
            out.extend(le_words(self.read(step * N)?, from));
        }
        Ok(out)
    }

    /// Reads the rest of the body and the stored checksum; whether they agree.
    fn checksum_matches(&mut self) -> Result<bool> {
        while self.left > 0 {
            let step = PIECE.min(usize::try_from(self.left).unwrap_or(PIECE));
            self.read(step)?;
        }
        let body_sum = self.hasher.digest();
        self.left = 8;
        let stored = u64::from_le_bytes(self.read(8)?.try_into().expect("8 bytes"));
        Ok(body_sum == stored)
    }
}

/// A failed read: of the file at `path`, or of bytes in memory (which
/// cannot fail).
fn read_error(path: Option<&Path>, source: io::Error) -> Error {
    match path {
        Some(path) => Error::Io {
            path: path.to_owned(),
            source,
        },
        None => corrupt(format!("read: {source}")),
    }
}

/// Decodes a snapshot held in memory whose version is one of `versions`
/// (the first is the caller's own, named in errors) with `body(source, version)`.
pub(crate) fn decode_bytes<'b, T>(
    bytes: &'b [u8],
    versions: &[u32],
    body: impl FnOnce(&mut Source<'_, &'b [u8]>, u32) -> Result<T>,
) -> Result<T> {
    decode_from(bytes, bytes.len() as u64, None, versions, body)
}

/// Loads a snapshot file whose version is one of `versions` with
/// `body(source, version)`, reading it in pieces.
pub(crate) fn decode_file<T>(
    path: &Path,
    versions: &[u32],
    body: impl FnOnce(&mut Source<'_, File>, u32) -> Result<T>,
) -> Result<T> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    decode_from(file, total, Some(path), versions, body)
}

/// Decodes `total` bytes read from `r`.
///
/// The magic number and the format version are checked first. Everything
/// after them is read once, in order, hashed as it goes; a problem found in
/// it is reported only after the checksum, so a damaged file is reported as
/// damaged rather than by whatever its damage happens to look like. The body
/// parser checks every length it reads against the bytes left before it
/// allocates anything.
fn decode_from<'p, R: Read, T>(
    mut r: R,
    total: u64,
    path: Option<&'p Path>,
    versions: &[u32],
    body: impl FnOnce(&mut Source<'p, R>, u32) -> Result<T>,
) -> Result<T> {
    let mut prefix = [0u8; 12];
    // The first 12 bytes, or as many as there are.
    let mut got = 0;
    while got < prefix.len() {
        match r.read(&mut prefix[got..]) {
            Ok(0) => break,
            Ok(more) => got += more,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(path, e)),
        }
    }
    if got < 8 || &prefix[..8] != MAGIC {
        return Err(Error::BadMagic);
    }
    if total < 20 || got < 12 {
        return Err(corrupt(format!(
            "{total} bytes is shorter than any snapshot"
        )));
    }
    let version = u32::from_le_bytes(prefix[8..12].try_into().expect("4 bytes"));
    if !versions.contains(&version) {
        return Err(Error::UnsupportedVersion {
            expected: versions.first().copied().unwrap_or(0),
            found: version,
        });
    }
    let mut hasher = Xxh3::new();
    hasher.update(&prefix);
    let mut src = Source {
        r,
        left: total - 8 - 12,
        hasher,
        piece: Vec::new(),
        path,
    };
    let parsed = body(&mut src, version);
    let unread = src.left;
    if !src.checksum_matches()? {
        return Err(corrupt("checksum mismatch (the file was damaged or cut)"));
    }
    let parsed = parsed?;
    if unread != 0 {
        return Err(corrupt(format!(
            "{unread} unread bytes before the checksum"
        )));
    }
    Ok(parsed)
}

/// Refuses a snapshot made with another configuration than the one required.
pub(crate) fn require_config(stored: &Config, wanted: &Config) -> Result<()> {
    if stored != wanted {
        return Err(Error::SnapshotMismatch(
            "the snapshot was made with another configuration".to_owned(),
        ));
    }
    Ok(())
}

/// Temporary files made by this process, numbered so that two saves never
/// share one.
static SAVES: AtomicU64 = AtomicU64::new(0);

/// Writes a file atomically with `write`: a temporary file of its own
/// beside `path`, synced, then renamed over it. Temporary files that dead
/// processes left beside `path` are removed afterwards.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(BufWriter<File>) -> io::Result<BufWriter<File>>,
) -> Result<()> {
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| Error::Io { path: p, source }
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = temp_prefix(path);
    let tmp: PathBuf = dir.join(format!(
        "{prefix}{}-{}",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    ));
    // Removes the temporary file however this returns (an error, a panic in `write`).
    struct Cleanup<'a>(&'a Path, bool);
    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            if self.1 {
                let _ = fs::remove_file(self.0);
            }
        }
    }
    let mut cleanup = Cleanup(&tmp, true);
    let f = File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    let f = write(BufWriter::with_capacity(PIECE, f)).map_err(io(&tmp))?;
    let f = f.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io(path))?;
    cleanup.1 = false;
    remove_orphans(dir, &prefix);
    Ok(())
}

/// The start of the temporary file names of saves to `path`.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".to_owned());
    format!(".{name}.tmp-")
}

/// Removes the temporary files named `{prefix}{pid}-{n}` in `dir` whose
/// process is gone (a save killed before its rename). A process that is
/// still running may be writing its file, so its files are left alone;
/// where processes cannot be looked up (not Linux), a file is taken for an
/// orphan after a day.
fn remove_orphans(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != me && process_is_gone(pid, &entry) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn process_is_gone(pid: u32, entry: &fs::DirEntry) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return !proc.join(pid.to_string()).exists();
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 24 * 3600)
}

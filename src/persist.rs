//! Snapshots of a [`CopyIndex`]: a versioned, checksummed binary file that
//! loads back into an index answering every query as before.
//!
//! Writes are atomic (a temporary file in the same directory, synced, then
//! renamed over the target), so a crash mid-save never destroys the previous
//! snapshot. Loading checks the magic number, the format version, the
//! checksum and every length against the file size before allocating, so a
//! corrupt, truncated or foreign file is a typed error, never a panic or an
//! unbounded allocation.

/* Format, version 1. All integers little-endian.

offset  size          field
0       8             magic "STORYHSH"
8       4             format version (1)
12      4             header length H (at most 64 KiB)
16      H             header: postcard of `Header` (the full Config, the
                      normaliser version, document count n, slots k, fact
                      sample size f, byte length of the id section)
16+H    n*k*4         signature slots, u32, document-major
        n*4           distinct shingle counts, u32
        n*f*4         fact samples, u32
        n*4           distinct fact counts, u32
        n             live flags, u8 (0 removed, 1 live)
        I             ids: postcard of Vec<String>, n entries
end-8   8             xxh3-64 (seed 0) of every byte before it

Bulk arrays are raw little-endian words rather than serde sequences, so
saving and loading run at memory speed; both stream the file in pieces of
1 MiB (hashing on the way), never holding it whole beside the index. The
codec (postcard) is private to this module: bincode is unmaintained
(RUSTSEC-2025-0141), see the README.
The band tables are not stored: they are rebuilt from the slots. */

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::config::Config;
use crate::copies::{SignatureMatrix, FACT_SAMPLE};
use crate::error::{Error, Result};
use crate::index::CopyIndex;
use crate::text::NORMALIZER_VERSION;

/// First eight bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"STORYHSH";
/// The format version of [`CopyIndex`] snapshots this build writes.
pub const FORMAT_VERSION: u32 = 1;
/// The format version of [`Stream`](crate::Stream) snapshots: version 1's
/// sections followed by the stream state. A `CopyIndex` loads the index part
/// of either; a `Stream` needs version 2.
pub const STREAM_FORMAT_VERSION: u32 = 2;
const MAX_HEADER: usize = 64 << 10;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Header {
    config: Config,
    normalizer: u16,
    docs: u64,
    num_perm: u32,
    fact_sample: u32,
    ids_bytes: u64,
}

/// The parts of an index a snapshot holds, borrowed for writing.
pub(crate) struct Parts<'a> {
    pub(crate) config: &'a Config,
    pub(crate) matrix: &'a SignatureMatrix,
    pub(crate) live: &'a [bool],
    pub(crate) ids: &'a [String],
}

/// The parts read back from a snapshot.
pub(crate) struct Owned {
    pub(crate) config: Config,
    pub(crate) matrix: SignatureMatrix,
    pub(crate) live: Vec<bool>,
    pub(crate) ids: Vec<String>,
}

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

/// Writes through to `w`, hashing every byte on the way.
struct Sink<W> {
    w: W,
    hasher: Xxh3,
    piece: Vec<u8>,
}

impl<W: Write> Sink<W> {
    fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.w.write_all(bytes)
    }

    /// `xs` as raw little-endian words, converted a piece at a time.
    fn words<T: Copy, const N: usize>(&mut self, xs: &[T], le: fn(T) -> [u8; N]) -> io::Result<()> {
        for chunk in xs.chunks(PIECE / N) {
            self.piece.clear();
            put_le(&mut self.piece, chunk.iter().copied(), le);
            self.hasher.update(&self.piece);
            self.w.write_all(&self.piece)?;
        }
        Ok(())
    }
}

/// The index parts, then (version 2) a stream section, as snapshot bytes.
pub(crate) fn encode_with(p: &Parts<'_>, stream: Option<&[u8]>) -> Vec<u8> {
    let m = p.matrix;
    let size = 32
        + 4 * (m.slots.len() + m.shingles.len() + m.facts.len() + m.fact_counts.len())
        + p.live.len()
        + stream.map_or(0, <[u8]>::len);
    encode_to(p, stream, Vec::with_capacity(size)).expect("writing to memory cannot fail")
}

/// Writes the index parts, then (version 2) a stream section, to `w`, a
/// piece at a time: saving never holds the whole file in memory.
pub(crate) fn encode_to<W: Write>(p: &Parts<'_>, stream: Option<&[u8]>, w: W) -> io::Result<W> {
    let m = p.matrix;
    let ids = postcard::to_allocvec(p.ids).expect("a Vec<String> always serialises");
    let header = Header {
        config: p.config.clone(),
        normalizer: NORMALIZER_VERSION,
        docs: p.live.len() as u64,
        num_perm: p.config.sketch.num_perm as u32,
        fact_sample: FACT_SAMPLE as u32,
        ids_bytes: ids.len() as u64,
    };
    let header = postcard::to_allocvec(&header).expect("the header always serialises");
    let version = if stream.is_some() {
        STREAM_FORMAT_VERSION
    } else {
        FORMAT_VERSION
    };
    let mut out = Sink {
        w,
        hasher: Xxh3::new(),
        piece: Vec::new(),
    };
    out.bytes(MAGIC)?;
    out.bytes(&version.to_le_bytes())?;
    out.bytes(&(header.len() as u32).to_le_bytes())?;
    out.bytes(&header)?;
    for words in [&m.slots, &m.shingles, &m.facts, &m.fact_counts] {
        out.words(words, u32::to_le_bytes)?;
    }
    out.words(p.live, |l| [u8::from(l)])?;
    out.bytes(&ids)?;
    if let Some(section) = stream {
        out.bytes(&(section.len() as u64).to_le_bytes())?;
        out.bytes(section)?;
    }
    let sum = out.hasher.digest();
    out.w.write_all(&sum.to_le_bytes())?;
    Ok(out.w)
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptSnapshot(reason.into())
}

/// Bytes read per call while loading; sections are converted piece by piece,
/// so a load never holds the whole file in memory beside its arrays.
const PIECE: usize = 1 << 20;

/// The body of a snapshot (everything before the checksum), read in order
/// and hashed on the way.
struct Source<'p, R> {
    r: R,
    /// Body bytes not read yet.
    left: u64,
    hasher: Xxh3,
    piece: Vec<u8>,
    path: Option<&'p Path>,
}

impl<R: Read> Source<'_, R> {
    fn read(&mut self, len: usize) -> Result<&[u8]> {
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

    fn bytes(&mut self, len: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let step = PIECE.min(len - out.len());
            out.extend_from_slice(self.read(step)?);
        }
        Ok(out)
    }

    /// `count` raw little-endian words (`from` is e.g. `u32::from_le_bytes`).
    fn words<T, const N: usize>(&mut self, count: usize, from: fn([u8; N]) -> T) -> Result<Vec<T>> {
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

/// Decodes a whole snapshot: the index parts and, in a version 2 file, the
/// stream section.
pub(crate) fn decode_bytes(bytes: &[u8]) -> Result<(Owned, Option<Vec<u8>>)> {
    decode_from(bytes, bytes.len() as u64, None)
}

/// Loads a snapshot file: the index parts and, in a version 2 file, the
/// stream section.
pub(crate) fn decode_file(path: &Path) -> Result<(Owned, Option<Vec<u8>>)> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    decode_from(file, total, Some(path))
}

/// Decodes `total` bytes read from `r`.
///
/// The magic number and the format version are checked first. Everything
/// after them is read once, in order, hashed as it goes; a problem found in
/// it is reported only after the checksum, so a damaged file is reported as
/// damaged rather than by whatever its damage happens to look like. Every
/// length read from the file is checked against `total` before anything is
/// allocated.
fn decode_from<R: Read>(
    mut r: R,
    total: u64,
    path: Option<&Path>,
) -> Result<(Owned, Option<Vec<u8>>)> {
    let mut prefix = [0u8; 16];
    // The first 16 bytes, or as many as there are.
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
    if total < 24 || got < 16 {
        return Err(corrupt(format!(
            "{total} bytes is shorter than any snapshot"
        )));
    }
    let version = u32::from_le_bytes(prefix[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION && version != STREAM_FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            expected: STREAM_FORMAT_VERSION,
            found: version,
        });
    }
    let mut hasher = Xxh3::new();
    hasher.update(&prefix);
    let mut src = Source {
        r,
        left: total - 8 - 16,
        hasher,
        piece: Vec::new(),
        path,
    };
    let header_len = u32::from_le_bytes(prefix[12..16].try_into().expect("4 bytes")) as usize;
    let parsed = decode_sections(&mut src, version, header_len, total - 8);
    if !src.checksum_matches()? {
        return Err(corrupt("checksum mismatch (the file was damaged or cut)"));
    }
    parsed
}

/// Everything after the first 16 bytes of a snapshot whose body is
/// `body_len` bytes long.
fn decode_sections<R: Read>(
    src: &mut Source<'_, R>,
    version: u32,
    header_len: usize,
    body_len: u64,
) -> Result<(Owned, Option<Vec<u8>>)> {
    if header_len > MAX_HEADER || 16 + header_len as u64 > body_len {
        return Err(corrupt(format!(
            "header length {header_len} is out of bounds"
        )));
    }
    let header: Header =
        postcard::from_bytes(src.read(header_len)?).map_err(|e| corrupt(format!("header: {e}")))?;
    if header.normalizer != NORMALIZER_VERSION {
        return Err(Error::SnapshotMismatch(format!(
            "made with normaliser version {}, this build has {NORMALIZER_VERSION}",
            header.normalizer
        )));
    }
    header
        .config
        .validate()
        .map_err(|e| corrupt(format!("stored configuration: {e}")))?;
    let k = header.num_perm as usize;
    let f = header.fact_sample as usize;
    if k != header.config.sketch.num_perm || f != FACT_SAMPLE {
        return Err(corrupt(
            "slot or fact sample sizes disagree with the configuration",
        ));
    }
    // Every length is checked against the bytes present before anything is allocated.
    let n = usize::try_from(header.docs).map_err(|_| corrupt("document count overflows"))?;
    let per_doc = 4 * (k + 1 + f + 1) + 1;
    let ids_bytes =
        usize::try_from(header.ids_bytes).map_err(|_| corrupt("id length overflows"))?;
    let expected = n
        .checked_mul(per_doc)
        .and_then(|x| x.checked_add(ids_bytes))
        .and_then(|x| x.checked_add(16 + header_len))
        .ok_or_else(|| corrupt("section lengths overflow"))? as u64;
    let stream_len = if version == STREAM_FORMAT_VERSION {
        let Some(left) = body_len.checked_sub(expected + 8) else {
            return Err(corrupt("the stream section length is missing"));
        };
        Some(left)
    } else if expected != body_len {
        return Err(corrupt(format!(
            "sections need {expected} bytes, the file has {body_len}"
        )));
    } else {
        None
    };
    let matrix = SignatureMatrix {
        k,
        slots: src.words(n * k, u32::from_le_bytes)?,
        shingles: src.words(n, u32::from_le_bytes)?,
        facts: src.words(n * f, u32::from_le_bytes)?,
        fact_counts: src.words(n, u32::from_le_bytes)?,
    };
    let live: Vec<bool> = src
        .bytes(n)?
        .into_iter()
        .map(|b| match b {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(corrupt(format!("live flag {other} is neither 0 nor 1"))),
        })
        .collect::<Result<_>>()?;
    let ids: Vec<String> =
        postcard::from_bytes(&src.bytes(ids_bytes)?).map_err(|e| corrupt(format!("ids: {e}")))?;
    if ids.len() != n {
        return Err(corrupt(format!("{} ids for {n} documents", ids.len())));
    }
    let stream = match stream_len {
        Some(left) => {
            let len = u64::from_le_bytes(src.read(8)?.try_into().expect("8 bytes"));
            if len != left {
                return Err(corrupt(format!(
                    "stream section of {len} bytes does not fit the {left} bytes left"
                )));
            }
            Some(src.bytes(len as usize)?)
        }
        None => None,
    };
    Ok((
        Owned {
            config: header.config,
            matrix,
            live,
            ids,
        },
        stream,
    ))
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

/// Writes a file atomically with `write`: a temporary file beside `path`,
/// synced, then renamed over it.
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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".to_owned());
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let f = File::create(&tmp).map_err(io(&tmp))?;
        let f = write(BufWriter::with_capacity(PIECE, f)).map_err(io(&tmp))?;
        let f = f.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
        f.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, path).map_err(io(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

impl CopyIndex {
    /// The index as snapshot bytes (see the module docs for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_with(&self.parts(), None)
    }

    /// Saves a snapshot to `path`, atomically.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when it cannot be written.
    ///
    /// # Example
    /// ```
    /// use storyhash::{Article, Config, CopyIndex};
    /// let mut index = CopyIndex::new(&Config::default())?;
    /// index.insert(&Article::new("a", "Parliament passed the revised farm subsidy bill by 212 votes to 190."))?;
    /// let path = std::env::temp_dir().join(format!("storyhash-doc-{}.snap", std::process::id()));
    /// index.save(&path)?;
    /// let back = CopyIndex::load(&path)?;
    /// assert!(back.contains("a"));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w| encode_to(&self.parts(), None, w))
    }

    /// An index from snapshot bytes, with the configuration stored in them.
    ///
    /// # Errors
    /// [`Error::BadMagic`], [`Error::UnsupportedVersion`],
    /// [`Error::CorruptSnapshot`] or [`Error::SnapshotMismatch`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_parts(decode_bytes(bytes)?.0)
    }

    /// Loads a snapshot from `path`, reading it in pieces: the file is
    /// never held in memory whole beside the index.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, or any error of [`from_bytes`](Self::from_bytes).
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_parts(decode_file(path)?.0)
    }

    /// Loads a snapshot that must have been made with `config`.
    ///
    /// # Errors
    /// [`Error::SnapshotMismatch`] when the stored configuration differs, or
    /// any error of [`load`](Self::load).
    pub fn load_with_config(path: &Path, config: &Config) -> Result<Self> {
        let index = Self::load(path)?;
        require_config(index.config(), config)?;
        Ok(index)
    }
}

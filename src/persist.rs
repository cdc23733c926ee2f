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
saving and loading run at memory speed. The codec (postcard) is private to
this module: bincode is unmaintained (RUSTSEC-2025-0141), see the README.
The band tables are not stored: they are rebuilt from the slots. */

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

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

/// Reads raw little-endian words (`from` is e.g. `u32::from_le_bytes`); a
/// trailing partial word is ignored, callers pass whole words.
pub(crate) fn get_le<T, const N: usize>(bytes: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| from(c.try_into().expect("chunks of N bytes")))
        .collect()
}

pub(crate) fn encode(p: &Parts<'_>) -> Vec<u8> {
    encode_with(p, None)
}

/// Encodes the index parts, then (version 2) a stream section.
pub(crate) fn encode_with(p: &Parts<'_>, stream: Option<&[u8]>) -> Vec<u8> {
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
    let mut out = Vec::with_capacity(
        24 + header.len()
            + 4 * (m.slots.len() + m.shingles.len() + m.facts.len() + m.fact_counts.len())
            + p.live.len()
            + ids.len(),
    );
    out.extend_from_slice(MAGIC);
    let version = if stream.is_some() {
        STREAM_FORMAT_VERSION
    } else {
        FORMAT_VERSION
    };
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    for words in [&m.slots, &m.shingles, &m.facts, &m.fact_counts] {
        put_le(&mut out, words.iter().copied(), u32::to_le_bytes);
    }
    out.extend(p.live.iter().map(|&l| u8::from(l)));
    out.extend_from_slice(&ids);
    if let Some(section) = stream {
        out.extend_from_slice(&(section.len() as u64).to_le_bytes());
        out.extend_from_slice(section);
    }
    let sum = xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptSnapshot(reason.into())
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Owned> {
    decode_with(bytes).map(|(owned, _)| owned)
}

/// Decodes the index parts and, in a version 2 file, returns the stream section.
pub(crate) fn decode_with(bytes: &[u8]) -> Result<(Owned, Option<&[u8]>)> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(Error::BadMagic);
    }
    if bytes.len() < 24 {
        return Err(corrupt(format!(
            "{} bytes is shorter than any snapshot",
            bytes.len()
        )));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION && version != STREAM_FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            expected: STREAM_FORMAT_VERSION,
            found: version,
        });
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let stored = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
    if xxh3_64(body) != stored {
        return Err(corrupt("checksum mismatch (the file was damaged or cut)"));
    }
    let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    if header_len > MAX_HEADER || 16 + header_len > body.len() {
        return Err(corrupt(format!(
            "header length {header_len} is out of bounds"
        )));
    }
    let header: Header = postcard::from_bytes(&body[16..16 + header_len])
        .map_err(|e| corrupt(format!("header: {e}")))?;
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
        .ok_or_else(|| corrupt("section lengths overflow"))?;
    let stream = if version == STREAM_FORMAT_VERSION {
        let tail = body
            .get(expected..expected.saturating_add(8))
            .ok_or_else(|| corrupt("the stream section length is missing"))?;
        let len = u64::from_le_bytes(tail.try_into().expect("8 bytes"));
        let start = expected + 8;
        if usize::try_from(len).ok() != body.len().checked_sub(start) {
            return Err(corrupt(format!(
                "stream section of {len} bytes does not fit the {} bytes left",
                body.len().saturating_sub(start)
            )));
        }
        Some(&body[start..])
    } else if expected != body.len() {
        return Err(corrupt(format!(
            "sections need {expected} bytes, the file has {}",
            body.len()
        )));
    } else {
        None
    };
    let mut at = 16 + header_len;
    let mut take = |len: usize| {
        let s = &body[at..at + len];
        at += len;
        s
    };
    let matrix = SignatureMatrix {
        k,
        slots: get_le(take(4 * n * k), u32::from_le_bytes),
        shingles: get_le(take(4 * n), u32::from_le_bytes),
        facts: get_le(take(4 * n * f), u32::from_le_bytes),
        fact_counts: get_le(take(4 * n), u32::from_le_bytes),
    };
    let live: Vec<bool> = take(n)
        .iter()
        .map(|&b| match b {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(corrupt(format!("live flag {other} is neither 0 nor 1"))),
        })
        .collect::<Result<_>>()?;
    let ids: Vec<String> =
        postcard::from_bytes(take(ids_bytes)).map_err(|e| corrupt(format!("ids: {e}")))?;
    if ids.len() != n {
        return Err(corrupt(format!("{} ids for {n} documents", ids.len())));
    }
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

/// Reads a whole snapshot file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced,
/// then renamed over it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
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
        encode(&self.parts())
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
        write_atomic(path, &self.to_bytes())
    }

    /// An index from snapshot bytes, with the configuration stored in them.
    ///
    /// # Errors
    /// [`Error::BadMagic`], [`Error::UnsupportedVersion`],
    /// [`Error::CorruptSnapshot`] or [`Error::SnapshotMismatch`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_parts(decode(bytes)?)
    }

    /// Loads a snapshot from `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, or any error of [`from_bytes`](Self::from_bytes).
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_bytes(&read_file(path)?)
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

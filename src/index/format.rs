//! The snapshot format of a [`CopyIndex`], inside the shared envelope of
//! [`persist`](crate::persist).

/* Body, format version 3 (version 1 lacked the exact sets; it is refused).
All integers little-endian.

size          field
4             header length H (at most 64 KiB)
H             header: postcard of `Header` (the full Config as JSON, so
              that a field added later with its default still reads; the
              normaliser version, document count n, slots k, fact sample
              size f, exact hashes E, byte length I of the id section)
n*k*4         signature slots, u32, document-major
n*4           distinct shingle counts, u32
n*f*4         fact samples, u32
n*4           distinct fact counts, u32
n*4           end of each document's exact set, u32
E*8           exact shingle sets of short documents, u64, end to end
n             live flags, u8 (0 removed, 1 live)
I             ids: postcard of Vec<String>, n entries

The band tables are not stored: they are rebuilt from the slots. */

use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::CopyIndex;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::persist::{corrupt, decode_bytes, decode_file, encode, require_config, write_atomic};
use crate::persist::{Sink, Source};
use crate::sketch::{Sketches, FACT_SAMPLE};
use crate::text::NORMALIZER_VERSION;

const MAX_HEADER: usize = 64 << 10;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Header {
    /// The configuration, as JSON: self-describing, so that fields added
    /// later (with their defaults) do not break older snapshots.
    config: Vec<u8>,
    normalizer: u16,
    docs: u64,
    num_perm: u32,
    fact_sample: u32,
    exact: u64,
    ids_bytes: u64,
}

/// The parts of an index a snapshot holds, borrowed for writing.
pub(crate) struct Parts<'a> {
    pub(crate) config: &'a Config,
    pub(crate) sketches: &'a Sketches,
    pub(crate) live: &'a [bool],
    pub(crate) ids: &'a [String],
}

/// The parts read back from a snapshot.
pub(crate) struct Owned {
    pub(crate) config: Config,
    pub(crate) sketches: Sketches,
    pub(crate) live: Vec<bool>,
    pub(crate) ids: Vec<String>,
}

/// Writes the index body.
pub(crate) fn write_body<W: Write>(out: &mut Sink<W>, p: &Parts<'_>) -> io::Result<()> {
    let ids = postcard::to_allocvec(p.ids).expect("a Vec<String> always serialises");
    let c = p.sketches.columns();
    let header = Header {
        config: serde_json::to_vec(p.config).expect("a Config always serialises"),
        normalizer: NORMALIZER_VERSION,
        docs: p.live.len() as u64,
        num_perm: p.config.sketch.num_perm as u32,
        fact_sample: FACT_SAMPLE as u32,
        exact: c.exact.len() as u64,
        ids_bytes: ids.len() as u64,
    };
    let header = postcard::to_allocvec(&header).expect("the header always serialises");
    out.bytes(&(header.len() as u32).to_le_bytes())?;
    out.bytes(&header)?;
    for words in [c.slots, c.shingles, c.facts, c.fact_counts, c.exact_ends] {
        out.words(words, u32::to_le_bytes)?;
    }
    out.words(c.exact, u64::to_le_bytes)?;
    out.words(p.live, |l| [u8::from(l)])?;
    out.bytes(&ids)
}

/// Reads the index body, checking every length against the bytes left
/// before anything is allocated.
pub(crate) fn read_body<R: Read>(src: &mut Source<'_, R>) -> Result<Owned> {
    let header_len = u32::from_le_bytes(src.read(4)?.try_into().expect("4 bytes")) as usize;
    if header_len > MAX_HEADER || header_len as u64 > src.left() {
        return Err(corrupt(format!(
            "header length {header_len} is out of bounds"
        )));
    }
    let header: Header =
        postcard::from_bytes(src.read(header_len)?).map_err(|e| corrupt(format!("header: {e}")))?;
    let config: Config = serde_json::from_slice(&header.config)
        .map_err(|e| corrupt(format!("stored configuration: {e}")))?;
    if header.normalizer != NORMALIZER_VERSION {
        return Err(Error::SnapshotMismatch(format!(
            "made with normaliser version {}, this build has {NORMALIZER_VERSION}",
            header.normalizer
        )));
    }
    config
        .validate()
        .map_err(|e| corrupt(format!("stored configuration: {e}")))?;
    let k = header.num_perm as usize;
    let f = header.fact_sample as usize;
    if k != config.sketch.num_perm || f != FACT_SAMPLE {
        return Err(corrupt(
            "slot or fact sample sizes disagree with the configuration",
        ));
    }
    let too_long = || corrupt("section lengths overflow");
    let n = usize::try_from(header.docs).map_err(|_| too_long())?;
    let e = usize::try_from(header.exact).map_err(|_| too_long())?;
    let ids_bytes = usize::try_from(header.ids_bytes).map_err(|_| too_long())?;
    let per_doc = 4 * (k + 1 + f + 1 + 1) + 1;
    let needed = n
        .checked_mul(per_doc)
        .and_then(|x| x.checked_add(e.checked_mul(8)?))
        .and_then(|x| x.checked_add(ids_bytes))
        .ok_or_else(too_long)? as u64;
    if needed > src.left() {
        return Err(corrupt(format!(
            "sections need {needed} bytes, {} are left",
            src.left()
        )));
    }
    let sketches = Sketches::from_columns(
        k,
        src.words(n * k, u32::from_le_bytes)?,
        src.words(n, u32::from_le_bytes)?,
        src.words(n * f, u32::from_le_bytes)?,
        src.words(n, u32::from_le_bytes)?,
        src.words(n, u32::from_le_bytes)?,
        src.words(e, u64::from_le_bytes)?,
    )?;
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
    Ok(Owned {
        config,
        sketches,
        live,
        ids,
    })
}

/// The index part of a snapshot: all of an index snapshot, the first part
/// of a stream snapshot (whose state is read past, checksummed).
fn read_index_part<R: Read>(src: &mut Source<'_, R>, version: u32) -> Result<Owned> {
    let owned = read_body(src)?;
    if version == crate::Stream::FORMAT_VERSION {
        while src.left() > 0 {
            src.read(src.left().min(crate::persist::PIECE as u64) as usize)?;
        }
    }
    Ok(owned)
}

impl CopyIndex {
    /// The snapshot format version this build writes.
    pub const FORMAT_VERSION: u32 = 3;

    /// Versions it reads: its own, and the index part of a
    /// [`Stream`](crate::Stream) snapshot.
    const READS: [u32; 2] = [Self::FORMAT_VERSION, crate::Stream::FORMAT_VERSION];

    /// The index as snapshot bytes (see `src/index/format.rs` for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(Vec::new(), Self::FORMAT_VERSION, |out| {
            write_body(out, &self.parts())
        })
        .expect("writing to memory cannot fail")
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
        write_atomic(path, |w| {
            encode(w, Self::FORMAT_VERSION, |out| {
                write_body(out, &self.parts())
            })
        })
    }

    /// An index from snapshot bytes, with the configuration stored in them.
    ///
    /// # Errors
    /// [`Error::BadMagic`], [`Error::UnsupportedVersion`],
    /// [`Error::CorruptSnapshot`] or [`Error::SnapshotMismatch`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_parts(decode_bytes(bytes, &Self::READS, read_index_part)?)
    }

    /// Loads a snapshot from `path`, reading it in pieces: the file is
    /// never held in memory whole beside the index.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, or any error of [`from_bytes`](Self::from_bytes).
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_parts(decode_file(path, &Self::READS, read_index_part)?)
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

//! The crate's one error type.

use std::path::PathBuf;

/// A specialised `Result` for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `storyhash`.
///
/// Each variant names the problem and, where there is one, the place (document
/// index, file and line, configuration field). The enum is `#[non_exhaustive]`
/// so that new cases can be added without a breaking release.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range or inconsistent with another one.
    #[error("invalid configuration: {field}: {reason}")]
    InvalidConfig {
        /// The offending field, as named in [`Config`](crate::Config).
        field: &'static str,
        /// Why the value is rejected.
        reason: String,
    },

    /// A document produced no tokens at all (empty, whitespace or punctuation only).
    ///
    /// Such a document has no signature: an empty sketch would compare as
    /// "identical" to every other empty document, which is never what a caller wants.
    #[error("document {} has no words to sign", display_index(*.index))]
    EmptyDocument {
        /// Position of the document in the batch, when it came from one.
        index: Option<usize>,
    },

    /// A document is larger than [`Limits::max_document_bytes`](crate::Limits) and
    /// the configured policy is to reject it.
    #[error("document {} is {bytes} bytes, over the limit of {limit}", display_index(*.index))]
    DocumentTooLarge {
        /// Position of the document in the batch, when it came from one.
        index: Option<usize>,
        /// Size of the document in bytes.
        bytes: usize,
        /// The configured limit.
        limit: usize,
    },

    /// Two signatures made with different parameters were compared.
    #[error("incompatible signatures: {what} differs ({left} vs {right})")]
    IncompatibleSignatures {
        /// Which parameter differs (`scheme`, `seed`, `num_perm`, `normalizer`, `shingling`).
        what: &'static str,
        /// The left-hand value.
        left: String,
        /// The right-hand value.
        right: String,
    },

    /// Two articles in one batch carry the same id.
    #[error("duplicate article id {id:?} at positions {first} and {second}")]
    DuplicateId {
        /// The repeated id.
        id: String,
        /// Position of its first occurrence.
        first: usize,
        /// Position of the repeat.
        second: usize,
    },

    /// An id was not found in an index.
    #[error("unknown document id {0:?}")]
    UnknownId(String),

    /// A line of a JSON Lines input could not be read as an article.
    #[error("{}:{line}: {reason}", path.display())]
    BadRecord {
        /// The file (or `-` for standard input).
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line.
        reason: String,
    },

    /// The bytes are not a storyhash snapshot: the magic number is missing.
    #[error("not a storyhash snapshot (the file does not start with the magic bytes)")]
    BadMagic,

    /// The snapshot was written in a format version this build cannot read.
    #[error(
        "snapshot format version {found} is not supported (this build reads version {expected}{})",
        version_hint(*found, *expected)
    )]
    UnsupportedVersion {
        /// The version this build reads.
        expected: u32,
        /// The version found in the file.
        found: u32,
    },

    /// The snapshot is damaged: truncated, a checksum mismatch, or an
    /// inconsistent length or field.
    #[error("corrupt snapshot: {0}")]
    CorruptSnapshot(String),

    /// The snapshot was made with another configuration or normaliser than
    /// the one required, so its signatures cannot be compared with new ones.
    #[error("snapshot does not match: {0}")]
    SnapshotMismatch(String),

    /// A batch handed to a stage kernel breaks the stage's contract: columns
    /// of different lengths, rows out of order, an id seen twice.
    #[error("{stage}: {reason}")]
    BadBatch {
        /// The stage, as named in [`stages`](crate::stages).
        stage: &'static str,
        /// What is wrong with the batch.
        reason: String,
    },

    /// An I/O error, with the file it concerns.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn version_hint(found: u32, expected: u32) -> &'static str {
    if found < expected {
        "; the file was written by an older storyhash, whose signatures lacked what this one \
         compares: rebuild it from the articles"
    } else {
        ""
    }
}

fn display_index(index: Option<usize>) -> String {
    match index {
        Some(i) => format!("#{i}"),
        None => "(single)".to_owned(),
    }
}

impl Error {
    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }

    /// Renumbers the batch position of a per-document error.
    pub(crate) fn map_index(self, f: impl FnOnce(usize) -> usize) -> Self {
        match self {
            Error::EmptyDocument { index: Some(i) }
            | Error::DocumentTooLarge { index: Some(i), .. } => self.at_index(f(i)),
            other => other,
        }
    }

    /// Attaches a batch position to a per-document error.
    pub(crate) fn at_index(self, i: usize) -> Self {
        match self {
            Error::EmptyDocument { .. } => Error::EmptyDocument { index: Some(i) },
            Error::DocumentTooLarge { bytes, limit, .. } => Error::DocumentTooLarge {
                index: Some(i),
                bytes,
                limit,
            },
            other => other,
        }
    }
}

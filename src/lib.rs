//! # storyhash
//!
//! Finds syndicated copies and rewritten versions of news articles and
//! groups them, at two levels:
//!
//! - **copy groups**: syndicated and lightly edited versions of one article
//!   (wire copy republished, wrapped in site boilerplate, truncated,
//!   re-headlined, a few words changed);
//! - **stories**: every outlet's article about one event.
//!
//! The pipeline follows the modules, in data-flow order:
//!
//! | stage | module | what it does |
//! |---|---|---|
//! | input | [`Article`], [`Day`], [`io`] | the record and its date; JSON Lines and `.txt` directories, errors naming file and line; JSON Lines handed over a chunk at a time as it is read |
//! | text | [`text`] | Unicode normalisation, UAX #29 tokens (ASCII fast path), facts (names, numbers), word or character shingles hashed with xxh3 |
//! | sketches | [`sketch`] | MinHash by one permutation hashing with optimal densification (default) or `k` hash functions; a document's [`Sketch`] (slots, counts, facts, the exact set of a short text); Jaccard and containment, exact or estimated; 64-bit SimHash |
//! | candidates | [`lsh`] | banding chosen from a threshold, 64-bit band keys, the pairing rule inside a bucket, incremental band tables; permuted Hamming tables for SimHash |
//! | copies | [`Verdict`] | every candidate verified on wording *and* facts, groups built without chaining drift, identical texts collapsed first |
//! | stories | [`StoryStats`] | TF-IDF features (words, names, numbers, titles), blocking on key terms within time, average-link clustering per component |
//! | engines | [`stages`] | the pipeline cut at its shuffles: one pure kernel per stage, for Spark, Ray or any engine |
//! | batch | [`Clusterer`], [`Batch`], [`Clustering`] | one process over the same stages, or signed piece by piece as it is read; the result model |
//! | incremental | [`CopyIndex`], [`Stream`] | insert, remove, query; a live stream with a time window; snapshots |
//! | evaluation | [`eval`] | pairwise and B-cubed precision/recall/F1, adjusted Rand index |
//!
//! Everything is deterministic: hashes are xxh3 with seeds derived from
//! [`SketchConfig::seed`], parallel work gives the serial result, the input
//! order does not matter (documents are taken in id order, ties go to the
//! smaller id), and output is canonical (members sorted, groups named by their
//! smallest member id).
//!
//! # Example
//!
//! ```
//! use storyhash::{Article, Clusterer, Config};
//!
//! let wire = "Rescue teams searched through the night for survivors after a strong \
//!             earthquake struck the coastal town of Port Elling on Tuesday, officials said. \
//!             At least 23 people were killed and 140 injured.";
//! let articles = vec![
//!     Article::new("wire", wire).with_source("Northern Wire"),
//!     Article::new("copy", format!("By Staff | Daily Meridian\n{wire}\nSubscribe for more.")),
//!     Article::new("other", "The city council approved next year's budget for parks and libraries."),
//! ];
//! let clusterer = Clusterer::new(Config::default())?;
//! let result = clusterer.cluster(&articles)?;
//! for story in result.stories() {
//!     for group in story.copy_groups() {
//!         let ids: Vec<&str> = group.members().iter().map(|m| m.id.as_str()).collect();
//!         println!("story {} / copy group {}: {ids:?}", story.id(), group.id());
//!     }
//! }
//! assert_eq!(result.copy_group_of(0).id(), result.copy_group_of(1).id());
//! assert_ne!(result.copy_group_of(0).id(), result.copy_group_of(2).id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! None: the crate has no optional parts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod article;
mod batch;
mod clustering;
mod config;
mod copies;
mod error;
pub mod eval;
mod explain;
mod hash;
mod index;
pub mod io;
pub mod lsh;
pub mod persist;
pub mod sketch;
pub mod stages;
mod stories;
mod stream;
pub mod text;

pub use article::{Article, BadDate, Day, Fields};
pub use batch::{Batch, Clusterer, Progress, Record};
pub use clustering::{Clustering, CopyGroup, Member, Report, Story, StoryView};
pub use config::{
    Config, CopyConfig, Limits, OversizePolicy, Scheme, Shingling, SketchConfig, StoryConfig,
    DEFAULT_SEED,
};
pub use copies::{Basis, Rule, Verdict};
pub use error::{Error, Result};
pub use explain::{CopyReasons, Explanation, StoryReasons};
pub use index::{CopyIndex, Match};
pub use sketch::{Estimate, MinHasher, Signature, SimHasher, Sketch, SketchParams, SketchRef};
pub use stories::StoryStats;
pub use stream::{settle, Assignment, Event, Stream, StreamStats, Window};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    /// The public types can be shared across threads.
    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<crate::Clusterer>();
        check::<crate::Clustering>();
        check::<crate::CopyIndex>();
        check::<crate::MinHasher>();
        check::<crate::Signature>();
        check::<crate::Config>();
        check::<crate::Error>();
        check::<crate::text::Shingler>();
        check::<crate::stages::Stages>();
        check::<crate::sketch::Sketches>();
        check::<crate::Stream>();
    }
}

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
//! | text | [`text`] | Unicode normalisation, UAX #29 tokens (ASCII fast path), facts (names, numbers), word or character shingles hashed with xxh3 |
//! | signatures | [`sketch`] | MinHash by one permutation hashing with optimal densification (default) or `k` hash functions; Jaccard and containment estimates with standard errors; 64-bit SimHash |
//! | candidates | [`lsh`] | banding chosen from a threshold, a parallel sort-based all-pairs pass, incremental band tables; permuted Hamming tables for SimHash |
//! | copies | [`Clusterer`], [`CopyIndex`] | every candidate verified on wording *and* facts, groups built without chaining drift |
//! | stories | [`Clusterer`] | TF-IDF features (words, names, numbers, titles), key-term blocking, average-link clustering over copy groups |
//! | evaluation | [`eval`] | pairwise and B-cubed precision/recall/F1, adjusted Rand index |
//! | input | [`io`] | JSON Lines and `.txt` directories, errors naming file and line |
//!
//! Everything is deterministic: hashes are xxh3 with seeds derived from
//! [`SketchConfig::seed`], parallel work gives the serial result, and output is
//! canonical (members sorted, groups named by their smallest member id).
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
mod cluster;
mod config;
mod copies;
mod error;
pub mod eval;
mod ids;
mod index;
pub mod io;
pub mod lsh;
pub mod persist;
pub mod sketch;
mod stories;
mod stream;
pub mod text;

pub use article::Article;
pub use cluster::{Clusterer, Clustering, CopyGroup, Member, Report, Story, StoryView};
pub use config::{
    Config, CopyConfig, Limits, OversizePolicy, Scheme, Shingling, SketchConfig, StoryConfig,
    DEFAULT_SEED,
};
pub use error::{Error, Result};
pub use index::{CopyIndex, Match};
pub use sketch::{Estimate, MinHasher, Signature, SimHasher, SketchParams};
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
    }
}

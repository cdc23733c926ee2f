//! storyhash: find syndicated copies and rewritten versions of news articles.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod article;
mod cluster;
mod config;
mod copies;
mod error;
pub mod eval;
mod index;
pub mod io;
pub mod lsh;
pub mod sketch;
pub mod text;

pub use article::Article;
pub use cluster::{Clusterer, Clustering, CopyGroup, Member, Report, Story, StoryView};
pub use config::{
    Config, CopyConfig, Limits, OversizePolicy, Scheme, Shingling, SketchConfig, DEFAULT_SEED,
};
pub use error::{Error, Result};
pub use index::{CopyIndex, Match};
pub use sketch::{Estimate, MinHasher, Signature, SketchParams};

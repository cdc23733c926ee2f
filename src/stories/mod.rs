//! The story tier: every outlet's article about one event, above the copy groups.

mod cluster;
mod features;
mod stopwords;

pub use cluster::StoryStats;

pub(crate) use cluster::{cluster_stories, dot, parse_day, StoryDoc};
pub(crate) use features::{FeatureExtractor, FeatureScratch};

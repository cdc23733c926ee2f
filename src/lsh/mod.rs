//! Locality-sensitive hashing over MinHash signatures: choosing the banding
//! and finding the pairs that share a band.

mod bands;
mod params;

pub use bands::CandidateStats;
pub use params::{LshParams, RECALL_WEIGHT};

pub(crate) use bands::{candidate_edges, BandTables, KeyHasher};

//! Candidate search: LSH banding over MinHash signatures (choosing the
//! banding, finding the pairs that share a band) and permuted tables over
//! SimHash fingerprints.

mod bands;
mod hamming;
mod params;

pub use bands::CandidateStats;
pub use hamming::{pairs_within, HammingIndex, MAX_DISTANCE};
pub use params::{LshParams, RECALL_WEIGHT};

pub(crate) use bands::{candidate_edges, BandTables, KeyHasher};

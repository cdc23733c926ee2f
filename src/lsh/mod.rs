//! Candidate search: LSH banding over MinHash signatures (choosing the
//! banding, band keys, the pairing rule inside a bucket, finding the pairs
//! that share a band) and permuted tables over SimHash fingerprints.

mod bands;
mod hamming;
mod params;

pub use bands::{band_key, band_rows, next_key, BandRow, BucketPairer, CandidateStats};
pub use hamming::{pairs_within, HammingIndex, MAX_DISTANCE};
pub use params::{LshParams, RECALL_WEIGHT};

pub(crate) use bands::{candidate_edges, BandTables, Edge};

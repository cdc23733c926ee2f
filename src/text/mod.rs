//! The text pipeline: raw article text to normalised tokens to shingle hashes.

mod normalize;
mod shingle;
mod tokenize;

pub use normalize::{normalize, normalize_into, NORMALIZER_VERSION};
pub use shingle::Shingler;
pub use tokenize::{facts, tokenize};

pub(crate) use shingle::{count_distinct, DistinctScratch, ShingleScratch};
pub(crate) use tokenize::{ascii_tokens, for_each_token, TokenScratch};

/// Cuts `text` to at most `max` bytes at a character boundary.
pub(crate) fn truncate_to_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

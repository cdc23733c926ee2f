//! Helpers shared by the examples.

/// An example's usage text: the `//!` lines its source starts with.
pub(crate) fn usage(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

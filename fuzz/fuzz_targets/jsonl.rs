//! The JSON Lines reader, then clustering whatever it accepts.
#![no_main]

use std::path::Path;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use storyhash::io::{parse_jsonl, ReadOptions};
use storyhash::{Clusterer, Config};

fuzz_target!(|data: &[u8]| {
    let mut options = ReadOptions::default();
    options.skip_bad = data.first().is_some_and(|b| b & 1 == 1);
    options.lossy_utf8 = data.first().is_some_and(|b| b & 2 == 2);
    if let Ok((articles, _)) = parse_jsonl(data, Path::new("fuzz.jsonl"), &options) {
        static CLUSTERER: OnceLock<Clusterer> = OnceLock::new();
        let _ = CLUSTERER
            .get_or_init(|| Clusterer::new(Config::default()).unwrap())
            .cluster(&articles);
    }
});

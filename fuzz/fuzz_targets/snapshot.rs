//! Snapshot decoding of arbitrary bytes, raw and behind a valid magic and
//! version, as a copy index and as a stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storyhash::persist::MAGIC;
use storyhash::{CopyIndex, Stream};

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = CopyIndex::from_bytes(data) {
        let _ = index.query("fuzzing a loaded index", 3);
    }
    for version in [CopyIndex::FORMAT_VERSION, Stream::FORMAT_VERSION] {
        let mut framed = MAGIC.to_vec();
        framed.extend_from_slice(&version.to_le_bytes());
        framed.extend_from_slice(data);
        let _ = CopyIndex::from_bytes(&framed);
        if let Ok(mut stream) = Stream::from_bytes(&framed) {
            let _ = stream.add(&storyhash::Article::new("fuzz", "fuzzing a loaded stream"));
        }
    }
});

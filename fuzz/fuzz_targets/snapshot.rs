//! Snapshot decoding of arbitrary bytes, raw and behind a valid magic and version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storyhash::persist::{FORMAT_VERSION, MAGIC};
use storyhash::CopyIndex;

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = CopyIndex::from_bytes(data) {
        let _ = index.query("fuzzing a loaded index", 3);
    }
    let mut framed = MAGIC.to_vec();
    framed.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    framed.extend_from_slice(data);
    let _ = CopyIndex::from_bytes(&framed);
});

//! Normaliser, tokeniser, shingler and both signers on arbitrary text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use storyhash::text::{facts, normalize, tokenize, Shingler};
use storyhash::{Config, MinHasher, Scheme, Shingling, SimHasher, DEFAULT_SEED};

/// Signers built once: their tables are built on first use, not per input.
fn signers() -> &'static [MinHasher; 2] {
    static S: OnceLock<[MinHasher; 2]> = OnceLock::new();
    S.get_or_init(|| {
        [Scheme::OnePermutation, Scheme::Classic]
            .map(|scheme| MinHasher::new(&Config::default().with_scheme(scheme).sketch).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = normalize(&text);
    assert_eq!(normalize(&once), once, "normalisation must be idempotent");
    let _ = tokenize(&text);
    let _ = facts(&text);
    for shingling in [Shingling::Words(5), Shingling::Chars(4)] {
        let _ = Shingler::new(shingling, DEFAULT_SEED).shingles(&text);
    }
    for signer in signers() {
        if let Ok(s) = signer.sign(&text) {
            assert_eq!(s.jaccard(&s).unwrap().value, 1.0);
        }
    }
    let _ = SimHasher::new(&Config::default().sketch)
        .unwrap()
        .fingerprint(&text);
});

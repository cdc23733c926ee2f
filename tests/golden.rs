//! Golden vectors: fixed texts to fixed shingle hashes and signature values.
//! Any change to normalisation, tokenisation, hashing or slot layout fails
//! here; such a change must also bump `NORMALIZER_VERSION` or the format
//! version, and these vectors are then regenerated on purpose.

use storyhash::text::{tokenize, Shingler, NORMALIZER_VERSION};
use storyhash::{Config, MinHasher, Scheme, Shingling, DEFAULT_SEED};
use xxhash_rust::xxh3::xxh3_64;

const TEXTS: [&str; 3] = [
    "Barack Obama and Vladimir Putin met at the G20 summit in Hangzhou, China, on Monday.",
    "“Café au lait” costs €3,50 in Zürich — ＦＵＬＬＷＩＤＴＨ text, 習近平 and emoji 🔥.",
    "Short.",
];

fn slots_checksum(slots: &[u32]) -> u64 {
    let bytes: Vec<u8> = slots.iter().flat_map(|v| v.to_le_bytes()).collect();
    xxh3_64(&bytes)
}

#[test]
fn normalizer_version() {
    assert_eq!(NORMALIZER_VERSION, 1);
}

#[test]
fn tokens() {
    assert_eq!(
        tokenize(TEXTS[1]),
        [
            "café",
            "au",
            "lait",
            "costs",
            "3,50",
            "in",
            "zürich",
            "fullwidth",
            "text",
            "習近",
            "近平",
            "and",
            "emoji"
        ]
    );
}

#[test]
fn shingle_hashes() {
    let words = Shingler::new(Shingling::Words(5), DEFAULT_SEED);
    let chars = Shingler::new(Shingling::Chars(4), DEFAULT_SEED);
    let got: Vec<Vec<u64>> = TEXTS
        .iter()
        .flat_map(|t| [words.shingles(t).unwrap(), chars.shingles(t).unwrap()])
        .map(|v| v.into_iter().take(3).collect())
        .collect();
    if std::env::var_os("PRINT_GOLDEN").is_some() {
        for g in &got {
            let v: Vec<String> = g.iter().map(|x| format!("{x:#018x}")).collect();
            println!("GOLDEN_S &[{}],", v.join(", "));
        }
    }
    assert_eq!(got, GOLDEN_SHINGLES);
}

#[test]
fn signatures() {
    let mut got = Vec::new();
    for scheme in [Scheme::OnePermutation, Scheme::Classic] {
        let signer = MinHasher::new(&Config::default().with_scheme(scheme).sketch).unwrap();
        for t in TEXTS {
            let s = signer.sign(t).unwrap();
            got.push((
                s.shingle_count(),
                s.slots()[..4].to_vec(),
                slots_checksum(s.slots()),
            ));
        }
    }
    if std::env::var_os("PRINT_GOLDEN").is_some() {
        for (n, head, sum) in &got {
            let v: Vec<String> = head.iter().map(|x| format!("{x:#010x}")).collect();
            println!("GOLDEN_G ({n}, vec![{}], {sum:#018x}),", v.join(", "));
        }
    }
    assert_eq!(got, golden_signatures());
}

const GOLDEN_SHINGLES: [&[u64]; 6] = [
    &[0xe766b1758031463a, 0x4965c2eac0778a67, 0x6636df97e0654fe6],
    &[0xa11065fe14b4a70f, 0xc005245d19195e93, 0x2f69cfb487b1ed74],
    &[0x63522df14cbd099f, 0xc226c9d1db059874, 0x0b26d91ae4f762fb],
    &[0xfadc97a9905c8000, 0x4039b9e2f6faa9b3, 0x6f544730c200087f],
    &[0x82b7a09bb65ba915],
    &[0xba64ec8e796f811b, 0x7464f353ed338a25, 0x7a92cd44a0a9e6b9],
];

fn golden_signatures() -> Vec<(u32, Vec<u32>, u64)> {
    vec![
        (
            11,
            vec![0x27b175df, 0x62c3863b, 0xa3a11ca6, 0x62c3863b],
            0xb002cc2893429873,
        ),
        (
            9,
            vec![0xba664909, 0x520b76f3, 0x84ef1e31, 0x1bb63fab],
            0xb13e02fa3d93fb2b,
        ),
        (
            1,
            vec![0xb65ba915, 0xb65ba915, 0xb65ba915, 0xb65ba915],
            0xe0009cee9ab8f47e,
        ),
        (
            11,
            vec![0x1a49eb41, 0x04d11ead, 0x07fe8f47, 0x11f79f4e],
            0xaf51498b40e05d12,
        ),
        (
            9,
            vec![0x20102572, 0x053b037e, 0x27619bf0, 0x041d42f7],
            0x051f5851b4f1ca70,
        ),
        (
            1,
            vec![0x670653be, 0x5d053053, 0x517feaf0, 0x4d2d2114],
            0x844c38e71a4b1e18,
        ),
    ]
}

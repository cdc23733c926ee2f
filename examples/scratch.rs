use storyhash::{Config, MinHasher};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let text = std::fs::read_to_string(&path).unwrap();
    let docs: Vec<String> = text
        .lines()
        .take(n)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    if std::env::var_os("LOAD").is_some() {
        println!("{}", docs.len());
        return;
    }
    let s = MinHasher::new(&Config::default().sketch).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut acc = 0u64;
    if std::env::var_os("BASE").is_some() {
        let mut words: Vec<u64> = Vec::new();
        let mut buf = Vec::new();
        for d in &docs {
            words.clear();
            for w in d
                .as_bytes()
                .split(|c| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                buf.clear();
                buf.extend(w.iter().map(u8::to_ascii_lowercase));
                words.push(xxhash_rust::xxh3::xxh3_64_with_seed(&buf, 1));
            }
            let mut bins = [u64::MAX; 128];
            let mut b = [0u8; 40];
            for win in words.windows(5) {
                for (i, h) in win.iter().enumerate() {
                    b[i * 8..i * 8 + 8].copy_from_slice(&h.to_le_bytes());
                }
                let h = xxhash_rust::xxh3::xxh3_64_with_seed(&b, 2);
                let j = (((h >> 32) * 128) >> 32) as usize;
                bins[j] = bins[j].min(h & 0xFFFF_FFFF);
            }
            acc += bins[0];
        }
    } else {
        let out = pool.install(|| s.sign_batch(&docs));
        acc += out.len() as u64;
    }
    println!("{acc}");
}

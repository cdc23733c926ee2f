//! A stream that runs long under a window: `STORYHASH_BENCH_WINDOW_ADDS`
//! adds (default 1M) of ~4 KB articles, a third of them with syndicated
//! versions, to a stream with `Window::Articles(STORYHASH_BENCH_WINDOW)`
//! (default 10,000). Prints the latency of one add (p50, p99, p99.9, max)
//! and, after a tenth of the adds and at the end, the peak and current
//! resident memory and the snapshot size: under a window none of them may
//! grow with the adds.
#![allow(missing_docs)]

mod support;

use std::hint::black_box;
use std::time::Instant;

use storyhash::{Config, Stream, Window};
use support::status_mib;

fn main() {
    let adds = support::env_count("STORYHASH_BENCH_WINDOW_ADDS", 1_000_000);
    let window = support::env_count("STORYHASH_BENCH_WINDOW", 10_000);
    let mut stream = Stream::new(&Config::default(), Window::Articles(window as u64)).unwrap();
    let mut micros: Vec<f64> = Vec::with_capacity(adds);
    let mut chunk = 0u64;
    let start = Instant::now();
    'adds: loop {
        // Generated ten thousand at a time: the input never sits in memory whole.
        for mut a in support::corpus(10_000, 1_000 + chunk) {
            let i = micros.len();
            a.id = format!("{chunk}-{}", a.id);
            a.date = Some(format!(
                "2025-{:02}-{:02}",
                1 + i / 30_000 % 12,
                1 + i / 1_000 % 28
            ));
            let t = Instant::now();
            black_box(stream.add(&a).unwrap());
            micros.push(t.elapsed().as_secs_f64() * 1e6);
            if micros.len() == adds / 10 || micros.len() == adds {
                // The snapshot first, so both peaks include encoding one.
                let snapshot = stream.to_bytes().len() as f64 / (1 << 20) as f64;
                let (peak, now) = (status_mib("VmHWM:"), status_mib("VmRSS:"));
                eprintln!(
                    "after {} adds ({:.0?}): peak RSS {peak:.0} MiB, RSS {now:.0} MiB, \
                     snapshot {snapshot:.1} MiB, {} articles in the window",
                    micros.len(),
                    start.elapsed(),
                    stream.len()
                );
            }
            if micros.len() == adds {
                break 'adds;
            }
        }
        chunk += 1;
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    eprintln!(
        "add latency over {adds} adds, window {window}: p50 {:.0} us, p99 {:.0} us, \
         p99.9 {:.0} us, max {:.0} us; {:?}",
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0),
        stream.stats()
    );
}

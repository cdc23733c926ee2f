//! The streaming API: agreement with the batch clusterer, the summit seeds
//! among distractors, restarts from snapshots, the committed format-version-2
//! golden file, and damaged snapshots.

mod common;

use std::collections::HashSet;

use proptest::prelude::*;
use storyhash::eval::score;
use storyhash::io::{read_input, read_txt_dir};
use storyhash::{settle, Article, Assignment, Clusterer, Config, CopyIndex, Error, Stream, Window};

use common::{article, new_or_version, sample, shared, version, Rng};

/// Each article's final copy group and story (merges applied).
fn final_labels(assignments: &[Assignment]) -> (Vec<String>, Vec<String>) {
    let mut settled = assignments.to_vec();
    settle(&mut settled);
    settled.into_iter().map(|a| (a.copy, a.story)).unzip()
}

/// The sample with its gold labels, in date order (input order on ties).
fn sample_by_date() -> (Vec<Article>, Vec<String>, Vec<String>) {
    let (articles, stories, copies) = sample();
    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.sort_by_key(|&i| articles[i].date.clone());
    let pick = |v: &Vec<String>| order.iter().map(|&i| v[i].clone()).collect();
    (
        order.iter().map(|&i| articles[i].clone()).collect(),
        pick(&stories),
        pick(&copies),
    )
}

#[test]
fn the_sample_streams_into_its_gold_groups() {
    let (articles, gold_story, gold_copy) = sample_by_date();
    let mut stream = Stream::new(&Config::default(), Window::Days(30)).unwrap();
    let out = stream.add_batch(&articles).unwrap();
    let (copies, stories) = final_labels(&out);
    let c = score(&copies, &gold_copy);
    let s = score(&stories, &gold_story);
    assert_eq!((c.pair_precision, c.pair_recall), (1.0, 1.0), "{c:?}");
    // Stories arrive one copy group at a time and are never re-cut: no two
    // events may share a story, but a story may split where the batch
    // clusterer, seeing everything at once, keeps it whole (the sample's
    // first story, met while the stream's word frequencies are still flat).
    assert_eq!(s.pair_precision, 1.0, "{s:?}");
    assert!(s.pair_recall >= 0.9, "{s:?}");
}

#[test]
fn stream_copy_groups_equal_the_batch_ones_on_generated_versions() {
    // Originals with edited versions (truncated, wrapped, reworded), shuffled.
    let mut r = Rng(5);
    let mut articles = Vec::new();
    for i in 0..120 {
        let words = 80 + r.below(300) as usize;
        let text = article(&mut r, words);
        for v in 0..r.below(4) {
            let (edited, _) = version(&mut r, &text);
            articles.push(Article::new(format!("v{i}-{v}"), edited));
        }
        articles.push(Article::new(format!("o{i}"), text));
    }
    for i in (1..articles.len()).rev() {
        articles.swap(i, r.below(i as u64 + 1) as usize);
    }
    let config = Config::default();
    let batch = Clusterer::new(config.clone())
        .unwrap()
        .cluster(&articles)
        .unwrap();
    let batch_copy: Vec<&str> = (0..articles.len())
        .map(|i| batch.copy_group_of(i).id())
        .collect();
    let mut stream = Stream::new(&config, Window::Unbounded).unwrap();
    let (copies, _) = final_labels(&stream.add_batch(&articles).unwrap());
    let s = score(&copies, &batch_copy);
    assert!(s.pair_f1 >= 0.99, "{s:?}");
}

#[test]
fn seeds_form_one_story_in_a_stream_among_distractors() {
    let Some(seed_dir) = shared("seeds") else {
        return;
    };
    let (Some(lee), Some(ecb)) = (
        shared("corpora/lee_background/docs.jsonl"),
        shared("corpora/ecbplus/docs.jsonl"),
    ) else {
        return;
    };
    let (mut seeds, _) = read_txt_dir(&seed_dir, &Default::default()).unwrap();
    seeds.sort_by(|a, b| a.id.cmp(&b.id));
    let (mut articles, _) = read_input(&lee, &Default::default()).unwrap();
    articles.extend(read_input(&ecb, &Default::default()).unwrap().0);
    // The seeds arrive in the middle of the distractors, one by one.
    let half = articles.len() / 2;
    let mut stream = Stream::new(&Config::default(), Window::Unbounded).unwrap();
    let mut out = stream.add_batch(&articles[..half]).unwrap();
    out.extend(stream.add_batch(&seeds).unwrap());
    out.extend(stream.add_batch(&articles[half..]).unwrap());
    let (copies, stories) = final_labels(&out);
    let seed_at = half..half + seeds.len();
    let story = &stories[half];
    for i in seed_at.clone() {
        assert_eq!(&stories[i], story, "seed {} is in another story", out[i].id);
    }
    let copy: Vec<&String> = copies[seed_at.clone()].iter().collect();
    assert_eq!(copy[0], copy[4], "000 and 004 are copies");
    assert_eq!(
        copy[..4].iter().collect::<HashSet<_>>().len(),
        4,
        "{copy:?}"
    );
    let intruders: Vec<&str> = (0..out.len())
        .filter(|i| !seed_at.contains(i) && &stories[*i] == story)
        .map(|i| out[i].id.as_str())
        .collect();
    assert!(intruders.is_empty(), "{intruders:?}");
}

/// A seeded stream of articles: new texts, edited versions of earlier ones,
/// dated over a few weeks.
fn replay(seed: u64, n: usize) -> Vec<Article> {
    let mut r = Rng(seed);
    let mut texts: Vec<String> = Vec::new();
    (0..n)
        .map(|i| {
            let t = new_or_version(&mut r, &texts, 3, 40);
            texts.push(t.clone());
            let day = 1 + i * 28 / n.max(1);
            Article::new(format!("d{i}"), t).with_date(format!("2026-02-{day:02}"))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn a_restart_from_a_snapshot_changes_no_assignment(
        seed in any::<u64>(),
        n in 2usize..80,
        cut in 0.0f64..1.0,
        window in prop_oneof![
            Just(Window::Unbounded),
            (1u32..10).prop_map(Window::Days),
            (1u64..30).prop_map(Window::Articles),
        ],
    ) {
        let articles = replay(seed, n);
        let config = Config::default();
        let mut whole = Stream::new(&config, window).unwrap();
        let expected = whole.add_batch(&articles).unwrap();
        let at = ((n as f64) * cut) as usize;
        let mut first = Stream::new(&config, window).unwrap();
        let mut got = first.add_batch(&articles[..at]).unwrap();
        let bytes = first.to_bytes();
        let mut second = Stream::from_bytes(&bytes).unwrap();
        // Canonical: a loaded stream saves to the same bytes.
        prop_assert_eq!(second.to_bytes(), bytes);
        for a in &articles[at..] {
            // A query names the copy group and story as adding would,
            // merges included (they keep the older name).
            let asked = second.query(a).unwrap();
            let added = second.clone().add(a).unwrap();
            prop_assert_eq!((asked.copy, asked.story), (added.copy, added.story));
            got.push(second.add(a).unwrap());
        }
        prop_assert_eq!(got, expected);
        prop_assert_eq!(second.stats(), whole.stats());
    }
}

fn golden_stream() -> Stream {
    let (articles, _, _) = sample_by_date();
    let mut s = Stream::new(&Config::default(), Window::Days(20)).unwrap();
    s.add_batch(&articles[..30]).unwrap();
    s.remove(&articles[27].id).unwrap();
    s
}

#[test]
fn golden_v2_snapshot_is_refused_with_the_reason() {
    let path = common::manifest().join("tests/data/v2/stream.snap");
    let e = Stream::load(&path).unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnsupportedVersion {
                expected: Stream::FORMAT_VERSION,
                found: 2
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("older storyhash"), "{e}");
}

#[test]
fn golden_v8_snapshot_still_loads() {
    let path = common::manifest().join("tests/data/v8/stream.snap");
    if std::env::var_os("STORYHASH_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        golden_stream().save(&path).unwrap();
    }
    let mut loaded = Stream::load(&path).expect("format version 8 snapshots must stay readable");
    let mut fresh = golden_stream();
    assert_eq!(loaded.stats(), fresh.stats());
    assert_eq!(loaded.to_bytes(), std::fs::read(&path).unwrap());
    let (articles, _, _) = sample_by_date();
    for a in &articles[30..] {
        assert_eq!(loaded.add(a).unwrap(), fresh.add(a).unwrap(), "{}", a.id);
    }
    // The index part of a stream snapshot loads as a copy index.
    let index = CopyIndex::load(&path).unwrap();
    assert_eq!(index.len(), golden_stream().len());
}

/// A snapshot of an older format loads, saves back as it loaded, and
/// continues with the same copy groups as a fresh stream (its stories may
/// differ: see the versions below).
fn older_snapshot_continues(version: u32) {
    let path = common::manifest().join(format!("tests/data/v{version}/stream.snap"));
    let mut loaded = Stream::load(&path)
        .unwrap_or_else(|e| panic!("format version {version} snapshots must stay readable: {e}"));
    let mut fresh = golden_stream();
    // The copy tier's counters; the story ones are the older build's.
    let copies = |s: &Stream| {
        let st = s.stats();
        (
            st.added,
            st.copy_groups,
            st.copy_merges,
            st.evicted,
            st.removed,
        )
    };
    assert_eq!(copies(&loaded), copies(&fresh));
    let resaved = Stream::from_bytes(&loaded.to_bytes()).unwrap();
    assert_eq!(resaved.to_bytes(), loaded.to_bytes());
    let (articles, _, _) = sample_by_date();
    for a in &articles[30..] {
        let (got, want) = (loaded.add(a).unwrap(), fresh.add(a).unwrap());
        assert_eq!(got.copy, want.copy, "{}", a.id);
    }
}

/// Version 7 has version 8's bytes, but its stories were built without the
/// evidence discount, and its stored configuration does not name it: it
/// loads with the discount off, and goes on as it was built.
#[test]
fn golden_v7_snapshot_still_loads() {
    older_snapshot_continues(7);
    let path = common::manifest().join("tests/data/v7/stream.snap");
    let loaded = Stream::load(&path).unwrap();
    assert_eq!(loaded.config().stories.evidence, 0.0);
    assert_eq!(golden_stream().config().stories.evidence, 1.5);
}

/// Version 6 has version 7's bytes, but its story vectors were extracted
/// with entity runs at a name's full weight (and its top numbers counted
/// decades).
#[test]
fn golden_v6_snapshot_still_loads() {
    older_snapshot_continues(6);
}

/// Version 5 did not store the stories' members: its stories are settled
/// (never re-cut).
#[test]
fn golden_v5_snapshot_still_loads() {
    older_snapshot_continues(5);
}

/// Version 4 did not store the feature keys of copy groups either: the
/// document frequencies of groups that left before the save stay counted.
#[test]
fn golden_v4_snapshot_still_loads() {
    older_snapshot_continues(4);
}

#[test]
fn damaged_stream_snapshots_are_typed_errors() {
    let good = golden_stream().to_bytes();
    let mut r = Rng(3);
    for _ in 0..300 {
        let cut = r.below(good.len() as u64) as usize;
        let mut flipped = good.clone();
        let at = r.below(good.len() as u64) as usize;
        flipped[at] ^= 1 << r.below(8);
        for (bytes, what) in [(&good[..cut], "cut"), (&flipped[..], "flipped")] {
            match Stream::from_bytes(bytes) {
                Err(
                    Error::BadMagic | Error::UnsupportedVersion { .. } | Error::CorruptSnapshot(_),
                ) => {}
                other => panic!("{what} at {cut}/{at}: {:?}", other.map(|s| s.len())),
            }
        }
    }
    // A copy index snapshot has no stream state.
    let index = CopyIndex::new(&Config::default()).unwrap();
    assert!(matches!(
        Stream::from_bytes(&index.to_bytes()),
        Err(Error::SnapshotMismatch(_))
    ));
}

/// Damage under a valid checksum (see [`common::damaged`]): loading gives
/// a typed error, or a stream that answers for every article, adds, and
/// saves again; never a panic.
#[test]
fn damage_under_a_valid_checksum_is_an_error_or_a_working_stream() {
    let (articles, _, _) = sample_by_date();
    common::survives_damage(&golden_stream().to_bytes(), 11, |bytes| {
        let Ok(mut s) = Stream::from_bytes(bytes) else {
            return false;
        };
        for a in &articles {
            s.copy_group_of(&a.id);
            s.story_of(&a.id);
        }
        for a in &articles[30..] {
            let _ = s.query(a);
            let _ = s.add(a);
        }
        Stream::from_bytes(&s.to_bytes()).unwrap();
        true
    });
}

/// Window arithmetic: a window larger than any count keeps everything, and
/// one article dated far ahead does not push every other out.
#[test]
fn huge_windows_and_far_future_dates_keep_the_window() {
    let (articles, _, _) = sample_by_date();
    for window in [
        Window::Articles(u64::MAX),
        Window::Articles(1 << 63),
        Window::Days(u32::MAX),
    ] {
        let mut s = Stream::new(&Config::default(), window).unwrap();
        s.add_batch(&articles).unwrap();
        assert_eq!(s.len(), articles.len(), "{window:?}");
        assert_eq!(s.stats().evicted, 0);
    }
    let mut s = Stream::new(&Config::default(), Window::Days(7)).unwrap();
    s.add_batch(&articles[..20]).unwrap();
    let before = s.len();
    let last = articles[19].date.clone().unwrap();
    let year: i32 = last[..4].parse().unwrap();
    let far = Article::new("far", "A report misdated years ahead by a broken feed.")
        .with_date(format!("{}{}", year + 5, &last[4..]));
    s.add(&far).unwrap();
    assert_eq!(s.len(), before + 1, "the window did not move");
    assert_eq!(s.stats().future_dates, 1);
    let absurd = Article::new("absurd", "Dated at the end of time.").with_date("9999-12-31");
    s.add(&absurd).unwrap();
    assert_eq!((s.len(), s.stats().bad_dates), (before + 2, 1));
}

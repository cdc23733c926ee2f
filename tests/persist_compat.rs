//! Snapshots: round trips, the committed golden files (format version 3
//! loads; version 1, from before exact sets, is refused with a typed error
//! that says why), and damaged or foreign input.

mod common;

use std::path::PathBuf;

use proptest::prelude::*;
use storyhash::persist::MAGIC;
use storyhash::Stream;
use storyhash::{Article, Config, CopyIndex, Error};

use common::{articles_with_versions, new_or_version, sample, version, Rng};

fn golden_path() -> PathBuf {
    common::manifest().join("tests/data/v3/copy_index.snap")
}

/// The index the golden file was made from: the first 12 sample articles,
/// the fourth removed.
fn golden_index() -> CopyIndex {
    let (articles, _, _) = sample();
    let mut index = CopyIndex::new(&Config::default()).unwrap();
    index.insert_batch(&articles[..12]).unwrap();
    index.remove(&articles[3].id).unwrap();
    index
}

#[test]
fn golden_v1_snapshot_is_refused_with_the_reason() {
    let path = common::manifest().join("tests/data/v1/copy_index.snap");
    let e = CopyIndex::load(&path).unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnsupportedVersion {
                expected: 3,
                found: 1
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("rebuild it from the articles"),
        "{e}"
    );
}

#[test]
fn golden_v3_snapshot_still_loads() {
    let path = golden_path();
    if std::env::var_os("STORYHASH_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        golden_index().save(&path).unwrap();
    }
    let loaded = CopyIndex::load(&path).expect("format version 3 snapshots must stay readable");
    let (articles, _, _) = sample();
    assert_eq!(loaded.len(), 11);
    assert!(!loaded.contains(&articles[3].id));
    // It answers exactly as a freshly built index does.
    let fresh = golden_index();
    for a in &articles[..15] {
        assert_eq!(
            loaded.query(&a.text, 5).unwrap(),
            fresh.query(&a.text, 5).unwrap(),
            "{}",
            a.id
        );
    }
    // And writing it again gives the same bytes: the format is canonical.
    assert_eq!(loaded.to_bytes(), std::fs::read(&path).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn save_then_load_answers_every_query_identically(seed in any::<u64>(), ops in 1usize..60) {
        let mut r = Rng(seed);
        let mut index = CopyIndex::new(&Config::default()).unwrap();
        let mut texts: Vec<String> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for i in 0..ops {
            if !ids.is_empty() && r.below(4) == 0 {
                let j = r.below(ids.len() as u64) as usize;
                let _ = index.remove(&ids[j]);
            } else {
                let t = new_or_version(&mut r, &texts, 2, 60);
                index.insert(&Article::new(format!("d{i}"), t.clone())).unwrap();
                ids.push(format!("d{i}"));
                texts.push(t);
            }
        }
        let bytes = index.to_bytes();
        let back = CopyIndex::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.len(), index.len());
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        for t in &texts {
            prop_assert_eq!(back.query(t, 10).unwrap(), index.query(t, 10).unwrap());
        }
        // The file written piece by piece holds the same bytes, and the
        // index read back from it keeps answering like the original as both
        // go on inserting and removing (the loaded tables are built in bulk,
        // the original's one article at a time).
        let path = std::env::temp_dir().join(format!("storyhash-rt-{}-{seed}.snap", std::process::id()));
        index.save(&path).unwrap();
        prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let mut back = CopyIndex::load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for i in 0..ops / 2 {
            let j = r.below(texts.len() as u64) as usize;
            if r.below(3) == 0 {
                let id = &ids[r.below(ids.len() as u64) as usize];
                prop_assert_eq!(back.remove(id).is_ok(), index.remove(id).is_ok());
            } else {
                let a = Article::new(format!("later{i}"), version(&mut r, &texts[j]).0);
                index.insert(&a).unwrap();
                back.insert(&a).unwrap();
                texts.push(a.text);
            }
        }
        for t in &texts {
            prop_assert_eq!(back.query(t, 10).unwrap(), index.query(t, 10).unwrap());
        }
    }
}

#[test]
fn damaged_and_foreign_input_is_a_typed_error() {
    let good = golden_index().to_bytes();
    // Every damaged input is also written to a file: loading it, which
    // reads in pieces, must give the same error as decoding the bytes.
    let path = std::env::temp_dir().join(format!("storyhash-damaged-{}.snap", std::process::id()));
    let check = |bytes: &[u8], what: &str| {
        let err = match CopyIndex::from_bytes(bytes) {
            Err(
                e
                @ (Error::BadMagic | Error::UnsupportedVersion { .. } | Error::CorruptSnapshot(_)),
            ) => e,
            other => panic!(
                "{what}: expected a snapshot error, got {:?}",
                other.map(|i| i.len())
            ),
        };
        std::fs::write(&path, bytes).unwrap();
        let loaded = CopyIndex::load(&path).map(|i| i.len());
        assert_eq!(
            loaded.map_err(|e| e.to_string()),
            Err(err.to_string()),
            "{what}: load and from_bytes disagree"
        );
    };
    check(&[], "empty");
    check(b"STORYHSH", "magic only");
    check(
        b"{\"id\": \"a\", \"text\": \"not a snapshot\"}",
        "foreign JSON",
    );
    let mut r = Rng(99);
    let random: Vec<u8> = (0..5000).map(|_| r.next() as u8).collect();
    check(&random, "random bytes");
    let mut random_with_magic = MAGIC.to_vec();
    random_with_magic.extend(CopyIndex::FORMAT_VERSION.to_le_bytes());
    random_with_magic.extend(&random);
    check(
        &random_with_magic,
        "random bytes behind a valid magic and version",
    );
    for _ in 0..300 {
        let cut = r.below(good.len() as u64) as usize;
        check(&good[..cut], &format!("cut at {cut}"));
        let mut flipped = good.clone();
        let at = r.below(good.len() as u64) as usize;
        flipped[at] ^= 1 << r.below(8);
        check(&flipped, &format!("bit flipped at {at}"));
    }
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&(Stream::FORMAT_VERSION + 1).to_le_bytes());
    let newest = Stream::FORMAT_VERSION + 1;
    assert!(matches!(
        CopyIndex::from_bytes(&newer),
        Err(Error::UnsupportedVersion { expected: 3, found }) if found == newest
    ));
    // An index labelled as a stream snapshot is damaged, not silently read.
    let mut relabelled = good.clone();
    relabelled[8..12].copy_from_slice(&Stream::FORMAT_VERSION.to_le_bytes());
    check(&relabelled, "an index body labelled as a stream snapshot");
    std::fs::remove_file(&path).unwrap();
}

/// Damage under a valid checksum (see [`common::damaged`]): loading gives
/// a typed error, or an index that answers for every article, takes more,
/// and saves again; never a panic.
#[test]
fn damage_under_a_valid_checksum_is_an_error_or_a_working_index() {
    let (articles, _, _) = sample();
    common::survives_damage(&golden_index().to_bytes(), 12, |bytes| {
        let Ok(mut index) = CopyIndex::from_bytes(bytes) else {
            return false;
        };
        for a in &articles {
            index.contains(&a.id);
            let _ = index.query(&a.text, 3);
        }
        let _ = index.insert_batch(&articles[12..20]);
        let _ = index.remove(&articles[0].id);
        CopyIndex::from_bytes(&index.to_bytes()).unwrap();
        true
    });
}

#[test]
fn saving_is_atomic_and_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("storyhash-persist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("index.snap");
    let index = golden_index();
    index.save(&path).unwrap();
    index.save(&path).unwrap(); // over an existing snapshot
    assert_eq!(CopyIndex::load(&path).unwrap().len(), index.len());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    let missing = dir.join("no/such/dir/index.snap");
    match index.save(&missing) {
        Err(Error::Io { path, .. }) => assert!(path.starts_with(&dir)),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    // A snapshot loaded with another configuration is refused.
    let other = Config::default().with_seed(7);
    assert!(matches!(
        CopyIndex::load_with_config(&path, &other),
        Err(Error::SnapshotMismatch(_))
    ));
    CopyIndex::load_with_config(&path, &Config::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Saves from two threads and from two processes to one path while a third
/// thread loads: every save succeeds and every load finds a whole snapshot.
#[test]
fn concurrent_saves_to_one_path_never_corrupt_it() {
    const ROUNDS: usize = 200;
    let (articles, _, _) = sample();
    let child = std::env::var_os("STORYHASH_SAVE_CHILD");
    let index_of = |n: usize| {
        let mut i = CopyIndex::new(&Config::default()).unwrap();
        i.insert_batch(&articles[..n]).unwrap();
        i
    };
    if let Some(path) = child {
        // A child process: save its own index over and over.
        let n: usize = std::env::var("STORYHASH_SAVE_SIZE")
            .unwrap()
            .parse()
            .unwrap();
        let index = index_of(n);
        for _ in 0..ROUNDS {
            index.save(std::path::Path::new(&path)).unwrap();
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.snap");
    let (a, b) = (index_of(20), index_of(35));
    a.save(&path).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let loads = std::thread::scope(|s| {
        let loader = s.spawn(|| {
            let mut loads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let len = CopyIndex::load(&path).expect("a whole snapshot").len();
                assert!([20, 35, 40, 50].contains(&len), "{len} articles");
                loads += 1;
            }
            loads
        });
        // Two threads of this process...
        let saver = |index: &CopyIndex| {
            for _ in 0..ROUNDS {
                index.save(&path).expect("a save succeeds");
            }
        };
        let (ta, tb) = (s.spawn(move || saver(&a)), s.spawn(move || saver(&b)));
        ta.join().unwrap();
        tb.join().unwrap();
        // ... then two processes.
        let children: Vec<_> = [40, 50]
            .iter()
            .map(|n| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "concurrent_saves_to_one_path_never_corrupt_it",
                        "--test-threads",
                        "1",
                    ])
                    .env("STORYHASH_SAVE_CHILD", &path)
                    .env("STORYHASH_SAVE_SIZE", n.to_string())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "a child's saves failed");
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        loader.join().unwrap()
    });
    assert!(loads > 10, "only {loads} loads");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "temporary files left: {left:?}");
}

/// A process killed during saves leaves the previous snapshot whole, and the
/// next save removes the temporary files it left.
#[test]
fn kill_during_save_keeps_the_old_snapshot_and_the_next_save_cleans_up() {
    if let Some(path) = std::env::var_os("STORYHASH_KILL_CHILD") {
        let index = CopyIndex::load(std::path::Path::new(&path)).unwrap();
        loop {
            index.save(std::path::Path::new(&path)).unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.snap");
    let articles = articles_with_versions(5, 6000, 5, 300);
    let mut r = Rng(5); // when to kill
    let mut index = CopyIndex::new(&Config::default()).unwrap();
    index.insert_batch(&articles).unwrap();
    index.save(&path).unwrap();
    let mut orphans = 0;
    for round in 0..20u64 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kill_during_save_keeps_the_old_snapshot_and_the_next_save_cleans_up",
            ])
            .env("STORYHASH_KILL_CHILD", &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150 + r.below(250) + round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert_eq!(CopyIndex::load(&path).unwrap().len(), 6000, "round {round}");
        orphans += std::fs::read_dir(dir.path()).unwrap().count() - 1;
    }
    assert!(orphans > 0, "no kill landed during a save");
    index.save(&path).unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "left behind: {left:?}");
}

/// A save that runs into a file-size limit (`ulimit -f`, as a full disk
/// would) returns an I/O error naming the file, removes its temporary file
/// and leaves the old snapshot whole.
#[cfg(unix)]
#[test]
fn a_save_past_a_file_size_limit_fails_and_keeps_the_old_snapshot() {
    const NAME: &str = "a_save_past_a_file_size_limit_fails_and_keeps_the_old_snapshot";
    let articles = articles_with_versions(11, 3000, 5, 300);
    let index_of = |n: usize| {
        let mut i = CopyIndex::new(&Config::default()).unwrap();
        i.insert_batch(&articles[..n]).unwrap();
        i
    };
    if let Some(path) = std::env::var_os("STORYHASH_FSIZE_CHILD") {
        // The child, limited to a few hundred KB a file: a save over 1 MB fails.
        match index_of(3000).save(std::path::Path::new(&path)) {
            Err(Error::Io { path: named, .. }) => {
                assert!(named.to_string_lossy().contains("small.snap"), "{named:?}");
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.snap");
    index_of(20).save(&path).unwrap();
    let kept = std::fs::read(&path).unwrap();
    assert!(kept.len() < 100_000, "{} bytes", kept.len());
    // SIGXFSZ ignored, so writing past the limit is an EFBIG error; the
    // limit is in blocks of 512 or 1024 bytes depending on the shell.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 400 && exec "$0" --exact "$1" --nocapture"#)
        .arg(std::env::current_exe().unwrap())
        .arg(NAME)
        .env("STORYHASH_FSIZE_CHILD", &path)
        .status()
        .unwrap();
    assert!(status.success(), "the limited save did not fail cleanly");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        kept,
        "the old snapshot changed"
    );
    assert_eq!(CopyIndex::load(&path).unwrap().len(), 20);
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(left, 1, "a temporary file was left behind");
}

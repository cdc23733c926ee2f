//! Every kind of bad input a caller can hand the crate gets a correct answer or
//! a typed error naming the problem and where; nothing accepted is lost.

use std::path::Path;

use storyhash::io::{parse_jsonl, read_input, ReadOptions};
use storyhash::lsh::HammingIndex;
use storyhash::{
    Article, Clusterer, Config, CopyIndex, Error, MinHasher, OversizePolicy, SimHasher,
};

fn p() -> &'static Path {
    Path::new("input.jsonl")
}

#[test]
fn empty_whitespace_and_punctuation_only_documents() {
    let config = Config::default();
    let signer = MinHasher::new(&config.sketch).unwrap();
    let simhasher = SimHasher::new(&config.sketch).unwrap();
    for text in ["", "   \n\t", "... -- !!", "🔥🔥🔥", "\u{200B}\u{FEFF}"] {
        assert!(
            matches!(signer.sign(text), Err(Error::EmptyDocument { index: None })),
            "{text:?}"
        );
        assert!(
            matches!(
                simhasher.fingerprint(text),
                Err(Error::EmptyDocument { .. })
            ),
            "{text:?}"
        );
    }
    // In a batch they stay alone, counted, and the rest is clustered.
    let text =
        "Firefighters battled a blaze at the Corran mill in Lanmore for six hours on Sunday.";
    let articles = vec![
        Article::new("a", text),
        Article::new("b", ""),
        Article::new("c", text),
    ];
    let r = Clusterer::new(config).unwrap().cluster(&articles).unwrap();
    assert_eq!(r.report().empty, 1);
    assert_eq!(r.copy_group_of(0).id(), r.copy_group_of(2).id());
    assert_eq!(r.copy_group_of(1).id(), "b");
}

#[test]
fn malformed_json_lines_name_file_and_line() {
    let input = b"{\"id\":\"a\",\"text\":\"one\"}\n{\"id\":\"b\",\"text\":\"two\"\n{\"id\":\"c\",\"text\":\"three\"}\n";
    match parse_jsonl(input, p(), &ReadOptions::default()) {
        Err(Error::BadRecord { path, line, .. }) => {
            assert_eq!(line, 2);
            assert_eq!(path, p());
        }
        other => panic!("{other:?}"),
    }
    let mut opts = ReadOptions::default();
    opts.skip_bad = true;
    let (articles, report) = parse_jsonl(input, p(), &opts).unwrap();
    assert_eq!(
        articles.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["a", "c"]
    );
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].1, 2);
}

#[test]
fn a_file_cut_mid_line_keeps_every_complete_line() {
    let input =
        b"{\"id\":\"a\",\"text\":\"one\"}\n{\"id\":\"b\",\"text\":\"two\"}\n{\"id\":\"c\",\"te";
    assert!(matches!(
        parse_jsonl(input, p(), &ReadOptions::default()),
        Err(Error::BadRecord { line: 3, .. })
    ));
    let mut opts = ReadOptions::default();
    opts.skip_bad = true;
    let (articles, report) = parse_jsonl(input, p(), &opts).unwrap();
    assert_eq!(articles.len(), 2);
    assert_eq!(report.skipped[0].1, 3);
}

#[test]
fn invalid_utf8_is_refused_or_repaired_and_counted() {
    let input = b"{\"id\":\"a\",\"text\":\"caf\xe9 au lait\"}\n";
    assert!(matches!(
        parse_jsonl(input, p(), &ReadOptions::default()),
        Err(Error::BadRecord { line: 1, ref reason, .. }) if reason.contains("UTF-8")
    ));
    let mut opts = ReadOptions::default();
    opts.lossy_utf8 = true;
    let (articles, report) = parse_jsonl(input, p(), &opts).unwrap();
    assert_eq!(articles[0].text, "caf\u{FFFD} au lait");
    assert_eq!(report.lossy, 1);
}

#[test]
fn empty_files_and_directories_with_other_files() {
    let dir = std::env::temp_dir().join(format!("storyhash-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, b"").unwrap();
    let (articles, _) = read_input(&empty, &ReadOptions::default()).unwrap();
    assert!(articles.is_empty());
    assert!(Clusterer::new(Config::default())
        .unwrap()
        .cluster(&articles)
        .unwrap()
        .is_empty());

    let texts = dir.join("texts");
    std::fs::create_dir_all(&texts).unwrap();
    std::fs::write(texts.join("one.txt"), "A story about Lanmore.").unwrap();
    std::fs::write(texts.join("image.png"), [0x89, b'P', b'N', b'G', 0, 0xff]).unwrap();
    std::fs::write(texts.join("latin1.txt"), [b'c', b'a', b'f', 0xe9]).unwrap();
    match read_input(&texts, &ReadOptions::default()) {
        Err(Error::BadRecord { path, .. }) => assert!(path.ends_with("latin1.txt")),
        other => panic!("{other:?}"),
    }
    let mut opts = ReadOptions::default();
    opts.lossy_utf8 = true;
    let (articles, report) = read_input(&texts, &opts).unwrap();
    assert_eq!(articles.len(), 2);
    assert_eq!(report.ignored_files, 1);
    assert_eq!(report.lossy, 1);
    match read_input(&dir.join("missing.jsonl"), &ReadOptions::default()) {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("missing.jsonl")),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duplicate_ids_are_refused_with_both_positions() {
    let articles = vec![
        Article::new("x", "one two three"),
        Article::new("x", "four five six"),
    ];
    match Clusterer::new(Config::default())
        .unwrap()
        .cluster(&articles)
    {
        Err(Error::DuplicateId { id, first, second }) => {
            assert_eq!((id.as_str(), first, second), ("x", 0, 1))
        }
        other => panic!("{other:?}"),
    }
    let mut index = CopyIndex::new(&Config::default()).unwrap();
    index.insert(&articles[0]).unwrap();
    assert!(matches!(
        index.insert(&articles[1]),
        Err(Error::DuplicateId { .. })
    ));
    assert_eq!(index.len(), 1);
}

#[test]
fn huge_documents_are_truncated_or_rejected_as_configured() {
    let huge = "Lanmore mill fire report with many words. ".repeat(200_000); // 8.6 MB
    let mut config = Config::default();
    config.limits.max_document_bytes = 1 << 20;
    config.limits.oversize = OversizePolicy::Truncate;
    let articles = vec![
        Article::new("huge", huge.clone()),
        Article::new("small", "a short note on the weather"),
    ];
    let r = Clusterer::new(config.clone())
        .unwrap()
        .cluster(&articles)
        .unwrap();
    assert_eq!(r.report().truncated, 1);
    assert_eq!(r.len(), 2);
    config.limits.oversize = OversizePolicy::Reject;
    match Clusterer::new(config.clone()).unwrap().cluster(&articles) {
        Err(Error::DocumentTooLarge {
            index,
            bytes,
            limit,
        }) => {
            assert_eq!((index, bytes, limit), (Some(0), huge.len(), 1 << 20));
        }
        other => panic!("{other:?}"),
    }
    // The position named is the input position, whatever the id order, and
    // counts every article pushed into a batch before.
    let clusterer = Clusterer::new(config).unwrap();
    let later = vec![
        Article::new("small", "a short note on the weather"),
        Article::new("a-huge", huge.clone()),
    ];
    let index = |r: Result<_, Error>| match r {
        Err(Error::DocumentTooLarge { index, .. }) => index,
        other => panic!("{other:?}"),
    };
    assert_eq!(index(clusterer.cluster(&later).map(|_| ())), Some(1));
    let mut batch = clusterer.batch();
    batch.push(articles[1..].to_vec()).unwrap();
    assert_eq!(index(batch.push(later)), Some(2));
    assert_eq!(
        batch.articles().len(),
        1,
        "nothing of a refused push is kept"
    );
}

#[test]
fn invalid_parameters_name_the_field() {
    let mut cases: Vec<(Config, &str)> = Vec::new();
    cases.push((Config::default().with_num_perm(0), "sketch.num_perm"));
    cases.push((
        Config::default().with_copy_thresholds(f64::NAN, 0.5),
        "copies.jaccard",
    ));
    cases.push((
        Config::default().with_story_threshold(0.0),
        "stories.threshold",
    ));
    let mut c = Config::default();
    c.copies.bands = Some((100, 4));
    cases.push((c, "copies.bands"));
    let mut c = Config::default();
    c.copies.simhash = Some(40);
    cases.push((c, "copies.simhash"));
    let mut c = Config::default();
    c.stories.half_life_days = -1.0;
    cases.push((c, "stories.half_life_days"));
    let mut c = Config::default();
    c.limits.max_document_bytes = 0;
    cases.push((c, "limits.max_document_bytes"));
    for (config, field) in cases {
        for result in [
            Clusterer::new(config.clone()).map(|_| ()),
            CopyIndex::new(&config).map(|_| ()),
        ] {
            match result {
                Err(Error::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
    assert!(matches!(
        HammingIndex::new(13),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn html_remnants_and_mojibake_are_just_text() {
    let texts = [
        "<p>Firefighters&nbsp;battled a blaze</p><script>var x = 1;</script>",
        "CafÃ© au lait costs â‚¬3 in ZÃ¼rich",
        "\u{0}\u{1}control\u{7f} characters\u{85}",
    ];
    let signer = MinHasher::new(&Config::default().sketch).unwrap();
    for t in texts {
        let s = signer.sign(t).unwrap();
        assert!(s.shingle_count() > 0);
    }
}

/// An unreadable date is counted, with an example, whichever copy test runs.
#[test]
fn unreadable_dates_are_counted_with_minhash_and_simhash() {
    let articles = [
        Article::new("a", "The council met on Tuesday to vote on the budget.")
            .with_date("2024-02-30"),
        Article::new("b", "Flooding closed the river road for a second day.")
            .with_date("2024-03-01"),
    ];
    let mut simhash = Config::default();
    simhash.copies.simhash = Some(3);
    for config in [Config::default(), simhash] {
        let report = Clusterer::new(config)
            .unwrap()
            .cluster(&articles)
            .unwrap()
            .report()
            .clone();
        assert_eq!(report.bad_dates, 1);
        assert_eq!(
            report.bad_date_examples,
            [("a".to_owned(), "2024-02-30".to_owned())]
        );
    }
}

use proptest::prelude::Strategy as _;

use super::*;

/// A seeded generator of lower-case words for test texts.
fn words(seed: u64, n: usize) -> String {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = crate::hash::mix64(x.wrapping_add(1));
            (0..6)
                .map(|i| char::from(b'a' + ((x >> (i * 8)) % 26) as u8))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn article(id: &str, text: String, date: &str) -> Article {
    Article::new(id, text).with_date(date)
}

#[test]
fn copies_join_and_ids_are_stable() {
    let mut s = Stream::new(&Config::default(), Window::Unbounded).unwrap();
    let a = s.add(&article("a", words(1, 120), "2026-01-01")).unwrap();
    assert!(a.new_copy_group && a.new_story);
    let b = s
        .add(&article(
            "b",
            format!("PREFIX {} SUFFIX", words(1, 120)),
            "2026-01-01",
        ))
        .unwrap();
    assert_eq!((b.copy.as_str(), b.story.as_str()), ("a", "a"));
    assert!(!b.new_copy_group && b.copy_score > 0.5);
    let c = s.add(&article("c", words(2, 120), "2026-01-02")).unwrap();
    assert_eq!(c.copy, "c");
    assert_eq!(s.copy_group_of("b"), Some("a"));
    assert_eq!(s.story_of("c"), Some("c"));
    assert_eq!(s.len(), 3);
    assert_eq!(s.stats().copy_groups, 2);
}

#[test]
fn errors_change_nothing() {
    let mut s = Stream::new(&Config::default(), Window::Unbounded).unwrap();
    s.add(&article("a", words(1, 50), "2026-01-01")).unwrap();
    assert!(matches!(
        s.add(&article("a", words(2, 50), "2026-01-01")),
        Err(Error::DuplicateId { .. })
    ));
    assert!(matches!(
        s.add(&Article::new("e", "  ... ")),
        Err(Error::EmptyDocument { .. })
    ));
    let batch = vec![Article::new("x", words(3, 50)), Article::new("y", "")];
    assert!(matches!(
        s.add_batch(&batch),
        Err(Error::EmptyDocument { index: Some(1) })
    ));
    assert_eq!(s.len(), 1);
    assert_eq!(s.stats().added, 1);
    assert!(matches!(
        Stream::new(&Config::default(), Window::Days(0)),
        Err(Error::InvalidConfig {
            field: "window",
            ..
        })
    ));
    assert!(matches!(s.remove("nope"), Err(Error::UnknownId(_))));
}

/// Common words, as every article has: drawn from a small vocabulary.
fn filler(seed: u64, n: usize) -> String {
    let vocab = [
        "weather",
        "morning",
        "local",
        "council",
        "week",
        "report",
        "public",
        "river",
        "government",
        "water",
        "residents",
        "service",
        "county",
        "area",
        "night",
        "road",
    ];
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = crate::hash::mix64(x.wrapping_add(1));
            vocab[(x % vocab.len() as u64) as usize]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Articles about invented events: each event has its own names and
/// numbers, each outlet its own sentences around them.
fn event_article(event: u64, outlet: u64) -> Article {
    let names = ["Aldren", "Besh", "Corvale", "Dunmar", "Eskel", "Farrow"];
    let (n1, n2) = (
        names[(event % 6) as usize],
        names[((event + 2) % 6) as usize],
    );
    let (people, homes) = (100 + event, 300 + event);
    let (r1, r2) = (
        filler(outlet * 1000 + event, 15),
        filler(outlet * 2000 + event, 15),
    );
    let text = match outlet {
        0 => format!(
            "{r1} Officials in Port {n1}{event} said {people} people were moved after the {n2} \
             dam cracked. {r2} Mayor Ilse {n1}{event} said {homes} homes were flooded near {n2}ville."
        ),
        1 => format!(
            "{r1} The {n2} dam gave way and {people} residents of Port {n1}{event} left, according \
             to Mayor Ilse {n1}{event}. {r2} About {homes} houses near {n2}ville stood under water."
        ),
        _ => format!(
            "{r1} When cracks opened in the {n2} dam, {people} people fled Port {n1}{event}. {r2} \
             Ilse {n1}{event}, the mayor, counted {homes} flooded homes around {n2}ville."
        ),
    };
    Article::new(format!("e{event}-o{outlet}"), text)
        .with_title(format!("{n2} dam cracks near Port {n1}{event}"))
        .with_date("2026-02-01")
}

/// An unbounded stream warmed up with past articles in the styles of
/// [`event_article`]: they teach it which words are common.
fn warmed_stream() -> Stream {
    warmed_stream_with(Window::Unbounded)
}

/// As [`warmed_stream`], with `window`.
fn warmed_stream_with(window: Window) -> Stream {
    warmed_stream_configured(&Config::default(), window)
}

/// As [`warmed_stream`], with `config` and `window`.
fn warmed_stream_configured(config: &Config, window: Window) -> Stream {
    let mut s = Stream::new(config, window).unwrap();
    let past: Vec<Article> = (10..40)
        .flat_map(|e| (0..3).map(move |o| event_article(e, o)))
        .collect();
    s.warm_up(&past);
    s
}

#[test]
fn rewrites_of_one_event_share_a_story() {
    let mut s = warmed_stream();
    for outlet in 0..3 {
        for event in 0..4 {
            let a = s.add(&event_article(event, outlet)).unwrap();
            assert!(a.new_copy_group, "{a:?}");
        }
    }
    for event in 0..4 {
        for outlet in 0..3 {
            assert_eq!(
                s.story_of(&format!("e{event}-o{outlet}")),
                Some(format!("e{event}-o0").as_str()),
                "event {event} outlet {outlet}"
            );
        }
    }
}

#[test]
fn batch_equals_one_by_one_and_query_changes_nothing() {
    let articles: Vec<Article> = (0..3)
        .flat_map(|o| (0..4).map(move |e| event_article(e, o)))
        .collect();
    let mut one = Stream::new(&Config::default(), Window::Articles(6)).unwrap();
    one.warm_up(&articles);
    let mut singles = Vec::new();
    for a in &articles {
        let preview = one.query(a).unwrap();
        let got = one.add(a).unwrap();
        assert_eq!(
            (preview.copy, preview.story),
            (got.copy.clone(), got.story.clone())
        );
        singles.push(got);
    }
    let mut batch = Stream::new(&Config::default(), Window::Articles(6)).unwrap();
    batch.warm_up(&articles);
    assert_eq!(batch.add_batch(&articles).unwrap(), singles);
    assert_eq!(one.len(), 6);
}

#[test]
fn the_window_evicts_and_freezes() {
    let mut s = Stream::new(&Config::default(), Window::Days(3)).unwrap();
    s.add(&article("old", words(1, 100), "2026-01-01")).unwrap();
    s.add(&article("mid", words(2, 100), "2026-01-03")).unwrap();
    let late = s
        .add(&article("late", words(3, 100), "2026-01-06"))
        .unwrap();
    // 2026-01-01 is more than 3 days before 2026-01-06: evicted, its story frozen.
    assert_eq!(
        late.events,
        vec![Event::StoryFrozen {
            story: "old".to_owned()
        }]
    );
    assert_eq!(s.story_of("old"), None);
    assert_eq!(s.story_of("mid"), Some("mid"));
    // A copy of the evicted article starts afresh.
    let again = s
        .add(&article("old-copy", words(1, 100), "2026-01-06"))
        .unwrap();
    assert!(again.new_copy_group && again.new_story);
    assert_eq!(s.stats().evicted, 1);
    assert_eq!(s.stats().frozen, 1);
}

#[test]
fn a_bridge_merges_copy_groups_and_reports_it() {
    // a and b are two halves of one long wire text; c contains both.
    let mut s = Stream::new(&Config::default(), Window::Unbounded).unwrap();
    let (h1, h2) = (words(10, 150), words(11, 150));
    s.add(&Article::new("a", h1.clone())).unwrap();
    s.add(&Article::new("b", h2.clone())).unwrap();
    let c = s.add(&Article::new("c", format!("{h1} {h2}"))).unwrap();
    assert_eq!(c.copy, "a");
    assert_eq!(
        c.events,
        vec![
            Event::CopyGroupsMerged {
                kept: "a".into(),
                absorbed: "b".into()
            },
            Event::StoriesMerged {
                kept: "a".into(),
                absorbed: "b".into()
            }
        ]
    );
    assert_eq!(s.copy_group_of("b"), Some("a"));
    assert_eq!(s.story_of("b"), Some("a"));
}

/// A stream's day: events over three weeks, each told by three outlets,
/// wire copies of some (wrapped in outlet text), and fresh one-off articles.
fn workload(n: u64) -> Vec<Article> {
    let mut x = 7u64;
    (0..n)
        .map(|i| {
            x = crate::hash::mix64(x.wrapping_add(i));
            let day = format!("2026-03-{:02}", 1 + i * 21 / n);
            let mut a = match x % 4 {
                0 | 1 => event_article(i / 9, x / 4 % 3),
                2 => {
                    let mut a = event_article(i / 9, 0);
                    a.text = format!("{} Subscribe to our newsletter.", a.text);
                    a
                }
                _ => Article::new("", words(x, 80)),
            };
            a.id = format!("a{i}");
            a.with_date(day)
        })
        .collect()
}

#[test]
fn compaction_changes_no_answer() {
    let articles = workload(400);
    for window in [Window::Articles(40), Window::Days(3), Window::Unbounded] {
        let mut compacted = Stream::new(&Config::default(), window).unwrap();
        let mut plain = compacted.clone();
        plain.compacted = usize::MAX / 2; // never compacts
        for (i, a) in articles.iter().enumerate() {
            let got = compacted.add(a).unwrap();
            assert_eq!(got, plain.add(a).unwrap(), "{window:?} {}", a.id);
            if i % 5 == 4 {
                let gone = &articles[i - 3].id;
                assert_eq!(compacted.remove(gone).is_ok(), plain.remove(gone).is_ok());
            }
            if i % 7 == 0 {
                compacted.compact();
                assert!(compacted.doc_group.len() <= plain.doc_group.len());
            }
        }
        assert_eq!(compacted.stats(), plain.stats());
        for a in &articles {
            assert_eq!(compacted.copy_group_of(&a.id), plain.copy_group_of(&a.id));
            assert_eq!(compacted.story_of(&a.id), plain.story_of(&a.id));
        }
        if window != Window::Unbounded {
            assert!(
                compacted.doc_group.len() < plain.doc_group.len() / 2,
                "{window:?}"
            );
        }
        // A snapshot of the compacted stream continues as the plain one.
        let mut loaded = Stream::from_bytes(&compacted.to_bytes()).unwrap();
        for a in workload(60).iter_mut() {
            a.id = format!("more-{}", a.id);
            assert_eq!(loaded.add(a).unwrap(), plain.add(a).unwrap(), "{window:?}");
        }
    }
}

#[test]
fn a_window_bounds_memory() {
    // Every article brings about 80 words never seen before.
    let sizes = |adds: u64| {
        let mut s = Stream::new(&Config::default(), Window::Articles(50)).unwrap();
        for i in 0..adds {
            let a = Article::new(format!("a{i}"), words(i, 80));
            s.add(&a).unwrap();
        }
        assert_eq!(s.len(), 50);
        (
            s.doc_group.len(),
            s.groups.len(),
            s.stories.len(),
            s.df.len(),
            s.to_bytes().len(),
        )
    };
    let (short, long) = (sizes(2_000), sizes(6_000));
    for (what, a, b) in [
        ("documents", short.0, long.0),
        ("groups", short.1, long.1),
        ("stories", short.2, long.2),
        ("features", short.3, long.3),
    ] {
        assert!(b <= 2 * COMPACT_AT_LEAST.max(a), "{what}: {a} then {b}");
    }
    assert!(long.3 <= 3 * 50 * 80, "features: {}", long.3);
    // What is saved is the window, whatever came before.
    assert!(long.4 < 200 * 50 * 80, "snapshot of {} bytes", long.4);
    assert!(long.4 <= 2 * short.4, "{short:?} {long:?}");
}

/// Reports of two similar events, as two elections of one country: the
/// same names and places, other years and figures.
fn sibling_article(event: u64, outlet: u64) -> Article {
    let (year, turnout, seats, rival, issue) = [
        (2008, 61, 125, "Tarrow Halvin", "boycott recount protest"),
        (
            2013,
            87,
            450,
            "Quillan Mordex",
            "landslide observers celebration",
        ),
    ][event as usize];
    let (r1, r2) = (
        filler(outlet * 7 + event, 12),
        filler(outlet * 11 + event, 12),
    );
    let text = match outlet % 3 {
        0 => format!(
            "{r1} Voters in Ardenmoor chose a new Velmar assembly in the {year} election, with \
             turnout at {turnout} percent. {r2} President Oskar Brannoch said the {seats} seats \
             were won fairly against {rival}; {turnout} percent is a record ({issue})."
        ),
        1 => format!(
            "{r1} The {year} Velmar assembly election in Ardenmoor drew {turnout} percent of \
             voters. {r2} Oskar Brannoch, the president, beat {rival} for {seats} seats \
             and the {turnout} percent turnout ({issue})."
        ),
        _ => format!(
            "{r1} Ardenmoor elected the {seats} members of the Velmar assembly in {year}; \
             {turnout} percent turned out. {r2} Brannoch, Ardenmoor's president Oskar, hailed \
             {turnout} percent and the {seats} seats; {rival} spoke of a {issue}."
        ),
    };
    Article::new(format!("s{event}-o{outlet}"), text)
        .with_title(format!("Ardenmoor votes for the Velmar assembly in {year}"))
}

#[test]
fn a_story_joined_too_early_is_re_cut_and_settle_follows() {
    // Without the evidence discount (and at the threshold that went with
    // it) the first reports of the two sibling events, alike but for their
    // numbers, join one story while their names are all the stream knows.
    let mut config = Config::default();
    config.stories.evidence = 0.0;
    config.stories.threshold = 0.21;
    let mut s = warmed_stream_configured(&config, Window::Unbounded);
    // The two events arrive interleaved, as a stream sees them.
    let articles: Vec<Article> = (0..6)
        .flat_map(|o| (0..2).map(move |e| sibling_article(e, o)))
        .collect();
    let mut log = Vec::new();
    for a in &articles {
        let preview = s.query(a).unwrap();
        let got = s.add(a).unwrap();
        assert_eq!(
            (&preview.copy, &preview.story, preview.new_story),
            (&got.copy, &got.story, got.new_story),
            "{}",
            a.id
        );
        log.push(got);
    }
    let moved = log
        .iter()
        .flat_map(|a| &a.events)
        .filter(|e| matches!(e, Event::GroupsMoved { .. }))
        .count();
    assert!(moved > 0 && s.stats().story_splits > 0, "{log:#?}");
    // Each event is one story at the end, the two apart.
    for o in 0..6 {
        for e in 0..2 {
            let id = format!("s{e}-o{o}");
            assert_eq!(s.story_of(&id), s.story_of(&format!("s{e}-o0")), "{id}");
        }
    }
    assert_ne!(s.story_of("s0-o0"), s.story_of("s1-o0"));
    // Settling the log gives every article the story the stream holds now.
    settle(&mut log);
    for a in &log {
        assert_eq!(Some(a.story.as_str()), s.story_of(&a.id), "{}", a.id);
    }
}

#[test]
fn quiet_stories_let_their_members_go() {
    // Unrelated articles: each starts a story no later one joins.
    let articles: Vec<Article> = (0..40)
        .map(|i| Article::new(format!("a{i}"), words(100 + i, 80)))
        .collect();
    let run = |horizon: u64| {
        let mut s = Stream::new(&Config::default(), Window::Unbounded).unwrap();
        s.recut_horizon = horizon;
        let mut kept = 0;
        for a in &articles {
            let preview = s.query(a).unwrap();
            let got = s.add(a).unwrap();
            assert_eq!((&preview.copy, &preview.story), (&got.copy, &got.story));
            kept = kept.max(s.stories.iter().filter(|st| !st.members.is_empty()).count());
        }
        (kept, s)
    };
    let (kept_all, _) = run(RECUT_HORIZON);
    let (kept, s) = run(8);
    // With a horizon of 8 copy groups, at most 8 stories hold members
    // between adds (the ninth is let go at the start of the next); without
    // it every story does.
    assert_eq!((kept, kept_all), (9, 40));
    // A snapshot keeps what is left, and continues as the stream does.
    let mut loaded = Stream::from_bytes(&s.to_bytes()).unwrap();
    loaded.recut_horizon = 8;
    let mut original = s;
    let next = Article::new("next", words(100, 80));
    assert_eq!(loaded.add(&next).unwrap(), original.add(&next).unwrap());
}

#[test]
fn a_cold_stream_lets_later_rewrites_join_its_first_article() {
    // No warm-up: the first article is weighed against itself alone.
    let mut s = Stream::new(&Config::default(), Window::Unbounded).unwrap();
    let first = s.add(&event_article(0, 0)).unwrap();
    assert!(first.new_story);
    for outlet in 1..3 {
        let a = s.add(&event_article(0, outlet)).unwrap();
        assert!(a.new_copy_group, "{a:?}");
        assert_eq!(a.story, first.id, "outlet {outlet}");
    }
}

/// `items` in an order drawn from `seed`.
fn shuffled<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut x = seed;
    for i in (1..items.len()).rev() {
        x = crate::hash::mix64(x.wrapping_add(1));
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
    items
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Re-cuts under any arrival order and window: two sibling events, a
    /// third event and wire copies of some articles, interleaved at random
    /// and dated over a few weeks in arrival order (so that windows evict
    /// and freeze while stories are re-cut). At every step a query answers
    /// as the add does; a stream restarted from a snapshot at any point
    /// goes on as the original; settling the log gives every article still
    /// in the window the story the stream holds at the end.
    #[test]
    fn any_arrival_order_keeps_query_restart_and_settle_in_step(
        seed in proptest::prelude::any::<u64>(),
        outlets in 2u64..6,
        cut in 0.0f64..=1.0,
        window in proptest::prop_oneof![
            proptest::prelude::Just(Window::Unbounded),
            (1u32..15).prop_map(Window::Days),
            (2u64..25).prop_map(Window::Articles),
        ],
    ) {
        let mut articles = Vec::new();
        for o in 0..outlets {
            for a in [sibling_article(0, o), sibling_article(1, o), event_article(3, o)] {
                if crate::hash::mix64(seed ^ o.wrapping_mul(31) ^ a.text.len() as u64) % 3 == 0 {
                    let mut copy = a.clone();
                    copy.id = format!("{}-copy", a.id);
                    copy.text = format!("By a staff writer. {} Subscribe for more.", a.text);
                    articles.push(copy);
                }
                articles.push(a);
            }
        }
        let n = articles.len();
        let articles: Vec<Article> = shuffled(articles, seed)
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.with_date(format!("2026-03-{:02}", 1 + i * 24 / n)))
            .collect();
        let at = ((n as f64) * cut) as usize;
        let mut s = warmed_stream_with(window);
        let mut snapshot = None;
        let mut log = Vec::new();
        for (i, a) in articles.iter().enumerate() {
            if i == at {
                snapshot = Some(s.to_bytes());
            }
            let asked = s.query(a).unwrap();
            let got = s.add(a).unwrap();
            proptest::prop_assert_eq!(
                (&asked.copy, &asked.story, asked.new_story),
                (&got.copy, &got.story, got.new_story)
            );
            log.push(got);
        }
        let snapshot = snapshot.unwrap_or_else(|| s.to_bytes());
        let mut restarted = Stream::from_bytes(&snapshot).unwrap();
        for (a, expected) in articles[at..].iter().zip(&log[at..]) {
            proptest::prop_assert_eq!(&restarted.add(a).unwrap(), expected);
        }
        proptest::prop_assert_eq!(restarted.to_bytes(), s.to_bytes());
        settle(&mut log);
        for a in &log {
            if let Some(story) = s.story_of(&a.id) {
                proptest::prop_assert_eq!(a.story.as_str(), story, "{}", a.id);
            }
        }
    }
}

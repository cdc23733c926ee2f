//! `storyhash report` on ECB+ opened in headless Chromium: the page renders
//! the stories, the search box filters them, it loads nothing from outside,
//! and a screenshot shows the page's parts. Skipped cleanly without
//! Chromium (Debian's `chromium` package; CI installs it) or without
//! `../shared`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Chromium, headless, with nothing that reaches the network.
fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The DOM after the page's script ran.
fn dom(chromium: &Path, profile: &Path, url: &str) -> String {
    let out = headless(chromium, profile)
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Counts of (stories, hidden stories) in a dumped DOM.
fn stories(dom: &str) -> (usize, usize) {
    let sections: Vec<&str> = dom.split("<section class=\"story\"").skip(1).collect();
    let hidden = sections
        .iter()
        .filter(|s| s.split('>').next().unwrap().contains("hidden"))
        .count();
    (sections.len(), hidden)
}

#[test]
fn the_report_renders_filters_and_loads_nothing_from_outside() {
    let Some(chromium) = chromium() else {
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/ecbplus");
    if !corpus.exists() {
        eprintln!("skipped: {} is not available", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .arg("report")
        .arg(corpus.join("docs.jsonl"))
        .arg("-o")
        .arg(&html)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no attribute or rule that fetches anything.
    for needle in [
        "src=",
        "<link",
        "url(",
        "@import",
        "href=\"http",
        "href=http",
    ] {
        assert!(!page.contains(needle), "the page holds {needle:?}");
    }
    let profile = dir.path().join("profile");
    let url = format!("file://{}", html.display());

    // Every story is rendered, none hidden before a search.
    let all = dom(&chromium, &profile, &url);
    let (total, hidden) = stories(&all);
    assert!(total > 80, "{total} stories rendered");
    assert_eq!(hidden, 0);
    assert!(all.contains(&format!("{total} of {total} stories")));

    // A search (given in the address) hides the stories that do not match.
    let found = dom(&chromium, &profile, &format!("{url}#q=turkmen"));
    let (total2, hidden2) = stories(&found);
    assert_eq!(total2, total);
    let shown = total - hidden2;
    assert!((1..10).contains(&shown), "{shown} stories match 'turkmen'");
    for section in found.split("<section class=\"story\"").skip(1) {
        let head = section.split('>').next().unwrap();
        assert_eq!(!head.contains("hidden"), head.contains("turkmen"), "{head}");
    }
    assert!(found.contains(&format!("{shown} of {total} stories")));

    // A screenshot of the story holding a known wire copy: the header band,
    // a story heading and the passages it shares with its representative.
    let shot = dir.path().join("shot.png");
    let out = headless(&chromium, &profile)
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,1400")
        .arg(format!("{url}#q=29_9ecbplus"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixel = |x: u32, y: u32| {
        let at = (y * info.width + x) as usize * channels;
        (buf[at], buf[at + 1], buf[at + 2])
    };
    let near = |p: (u8, u8, u8), q: (u8, u8, u8)| {
        p.0.abs_diff(q.0) < 24 && p.1.abs_diff(q.1) < 24 && p.2.abs_diff(q.2) < 24
    };
    let count = |color: (u8, u8, u8), rows: std::ops::Range<u32>| {
        rows.flat_map(|y| (0..info.width).map(move |x| (x, y)))
            .filter(|&(x, y)| near(pixel(x, y), color))
            .count()
    };
    let header = count((0x1f, 0x29, 0x37), 0..40);
    assert!(
        header > info.width as usize * 20,
        "header band: {header} pixels"
    );
    let body = 80..info.height;
    let headings = count((0x0b, 0x3d, 0x91), body.clone());
    assert!(headings > 200, "story heading: {headings} pixels");
    let marks = count((0xff, 0xd2, 0x4d), body.clone());
    assert!(marks > 2000, "shared passages highlighted: {marks} pixels");
    let text = body
        .flat_map(|y| (0..info.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = pixel(x, y);
            p.0 < 90 && p.1 < 90 && p.2 < 90
        })
        .count();
    assert!(text > 5000, "dark text pixels: {text}");
}

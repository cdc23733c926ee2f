//! The `storyhash` command as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use storyhash::Config;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_storyhash"))
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/sample.jsonl")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout).unwrap()
}

/// The `[default: X]` that `--help` prints for `--option`.
fn help_default(help: &str, option: &str) -> String {
    let at = help
        .find(&format!("--{option} "))
        .unwrap_or_else(|| panic!("--{option} is not in the help"));
    let rest = &help[at..];
    let d = rest.find("[default: ").expect("a default") + "[default: ".len();
    rest[d..rest[d..].find(']').unwrap() + d].to_owned()
}

#[test]
fn every_default_in_the_help_is_the_library_default() {
    let c = Config::default();
    let f = storyhash::Fields::default();
    for sub in ["cluster", "report", "explain", "follow"] {
        let help = stdout(bin().args([sub, "--help"]));
        let numbers = [
            ("jaccard", c.copies.jaccard),
            ("containment", c.copies.containment),
            ("facts", c.copies.facts),
            ("drift", c.copies.drift),
            ("candidate-threshold", c.copies.candidate_threshold),
            ("story-threshold", c.stories.threshold),
            ("half-life", c.stories.half_life_days),
            ("time-grace", f64::from(c.stories.time_grace_days)),
            ("conflict-penalty", c.stories.conflict_penalty),
        ];
        for (option, value) in numbers {
            let shown: f64 = help_default(&help, option).parse().unwrap();
            assert_eq!(shown, value, "{sub} --{option}");
        }
        if sub != "explain" {
            for (option, value) in [
                ("id-field", &f.id),
                ("text-field", &f.text),
                ("date-field", &f.date),
            ] {
                assert_eq!(&help_default(&help, option), value, "{sub} --{option}");
            }
        }
    }
}

#[test]
fn jsonl_and_csv_write_every_article_with_labelled_scores() {
    let out = stdout(
        bin()
            .args(["cluster", "--quiet", "--format", "jsonl"])
            .arg(sample()),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 56);
    // Keys in the documented order.
    assert!(lines[0].starts_with("{\"id\":"), "{}", lines[0]);
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(lines[0])
            .unwrap()
            .keys()
            .cloned()
            .collect();
    assert_eq!(keys.len(), 6);
    let order = [
        "\"id\"",
        "\"copy\"",
        "\"story\"",
        "\"basis\"",
        "\"copy_similarity\"",
        "\"story_similarity\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| lines[0].find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{}", lines[0]);
    let csv = stdout(
        bin()
            .args(["cluster", "--quiet", "--format", "csv"])
            .arg(sample()),
    );
    assert_eq!(csv.lines().count(), 57);
    assert!(csv.starts_with("id,copy,story,basis,copy_similarity,story_similarity\n"));
}

#[test]
fn the_tree_shows_stories_by_size_with_terms_and_labelled_scores() {
    let out = stdout(bin().arg("cluster").arg(sample()));
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("story ") && first.contains("articles in") && first.contains('['),
        "{first}"
    );
    assert!(
        out.contains("(representative)") && out.contains("(jaccard 0."),
        "{out}"
    );
    let sizes: Vec<usize> = out
        .lines()
        .filter(|l| l.starts_with("story "))
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
}

#[test]
fn a_closed_or_full_stdout_is_an_error() {
    for redirect in [">&-", "> /dev/full"] {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("exec \"$0\" cluster --quiet \"$1\" {redirect}"))
            .arg(env!("CARGO_BIN_EXE_storyhash"))
            .arg(sample())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            !status.status.success(),
            "{redirect}: exit {}",
            status.status
        );
        let err = String::from_utf8_lossy(&status.stderr);
        assert!(err.contains("standard output"), "{redirect}: {err}");
    }
}

#[test]
fn a_byte_order_mark_and_other_field_names_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.jsonl");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(sample()).unwrap());
    std::fs::write(&bom, bytes).unwrap();
    for extra in [&[][..], &["--skip-bad"][..]] {
        let out = stdout(
            bin()
                .args(["cluster", "--quiet", "--format", "jsonl"])
                .args(extra)
                .arg(&bom),
        );
        assert_eq!(out.lines().count(), 56, "{extra:?}");
    }
    let content = dir.path().join("content.jsonl");
    std::fs::write(
        &content,
        "{\"uid\":1,\"content\":\"Rain fell.\"}\n{\"uid\":2,\"content\":\"Snow fell.\"}\n",
    )
    .unwrap();
    let out = stdout(
        bin()
            .args([
                "cluster",
                "--quiet",
                "--format",
                "jsonl",
                "--id-field",
                "uid",
                "--text-field",
                "content",
            ])
            .arg(&content),
    );
    assert_eq!(out.lines().count(), 2);
    let err = bin()
        .args(["cluster", "--quiet"])
        .arg(&content)
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("missing field `id`"));
    // A usage error exits 2.
    assert_eq!(
        bin()
            .args(["cluster", "--no-such-option"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn explain_names_the_rule_that_decided() {
    let out = stdout(
        bin()
            .args(["explain", "quake-karsk-01", "quake-karsk-02", "--input"])
            .arg(sample()),
    );
    assert!(out.contains("copies: copies by wording"), "{out}");
    let out = stdout(
        bin()
            .args(["explain", "quake-karsk-01", "quake-karsk-05", "--input"])
            .arg(sample()),
    );
    assert!(
        out.contains("copies: not copies") && out.contains("story: one story"),
        "{out}"
    );
    let json = stdout(
        bin()
            .args([
                "explain",
                "--json",
                "quake-karsk-01",
                "norland-rates-01",
                "--input",
            ])
            .arg(sample()),
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["story"]["same_story"], false);
    let missing = bin()
        .args(["explain", "nope", "quake-karsk-01", "--input"])
        .arg(sample())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn eval_scores_an_output_against_the_gold_labels() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    std::fs::write(
        &out,
        stdout(
            bin()
                .args(["cluster", "--quiet", "--format", "jsonl"])
                .arg(sample()),
        ),
    )
    .unwrap();
    let table = stdout(bin().arg("eval").arg(&out).arg(sample()));
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[1].starts_with("copy ") && rows[2].starts_with("story "),
        "{table}"
    );
    // The sample is clustered exactly: every F1 is 1.
    for row in &rows[1..] {
        assert!(
            row.contains("1.0000  1.0000  1.0000 |  1.0000  1.0000  1.0000"),
            "{row}"
        );
    }
}

/// `storyhash follow ARGS` fed `input` on standard input.
fn follow(args: &[&std::ffi::OsStr], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = bin()
        .arg("follow")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn follow_answers_each_article_and_resumes_from_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.snap");
    let lines: Vec<String> = std::fs::read_to_string(sample())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let feed = |part: &[String], resume: bool| -> String {
        let mut args = vec![
            "--window".as_ref(),
            "unbounded".as_ref(),
            "--snapshot".as_ref(),
        ];
        args.push(snap.as_os_str());
        if resume {
            args.push("--resume".as_ref());
        }
        let out = follow(&args, (part.join("\n") + "\n").as_bytes());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let whole = {
        let other = tempfile::tempdir().unwrap();
        let w = other.path().join("w.snap");
        let args = [
            "--window".as_ref(),
            "unbounded".as_ref(),
            "--snapshot".as_ref(),
            w.as_os_str(),
        ];
        String::from_utf8(follow(&args, (lines.join("\n") + "\n").as_bytes()).stdout).unwrap()
    };
    let first = feed(&lines[..30], false);
    let second = feed(&lines[30..], true);
    assert_eq!(first + &second, whole);
    let articles = whole
        .lines()
        .filter(|l| l.contains("\"kind\":\"article\""))
        .count();
    assert_eq!(articles, 56);
}

/// `follow` reads lines as `cluster` does: a bad line is named by its
/// number, `--lossy` repairs invalid UTF-8, `--skip-bad` goes on past it.
#[test]
fn follow_names_a_bad_line_and_repairs_or_skips_it_on_request() {
    let mut input = b"{\"id\":\"a\",\"text\":\"The dam held overnight.\"}\r\n\n".to_vec();
    input.extend(b"{\"id\":\"b\",\"text\":\"Bad \xff byte in the text.\"}\n");
    input.extend(b"{\"id\":\"c\",\"text\":\"Water levels fell by noon.\"}\n");
    let run = |flags: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["--window".as_ref(), "unbounded".as_ref()];
        args.extend(flags.iter().map(std::ffi::OsStr::new));
        let out = follow(&args, &input);
        let ids: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                (v["kind"] == "article").then(|| v["id"].as_str().unwrap().to_owned())
            })
            .collect();
        (
            out.status.success(),
            ids,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, ids, err) = run(&[]);
    assert!(!ok && ids == ["a"], "{ids:?}");
    assert!(err.contains("-:3: invalid UTF-8"), "{err}");
    let (ok, ids, _) = run(&["--lossy"]);
    assert!(ok && ids == ["a", "b", "c"], "{ids:?}");
    let (ok, ids, err) = run(&["--skip-bad"]);
    assert!(ok && ids == ["a", "c"], "{ids:?}");
    assert!(err.contains("skipped -:3"), "{err}");
}

#[test]
fn the_readme_shows_what_the_tool_prints_for_the_sample() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let block = readme
        .split("<!-- sample-output -->\n```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the README's sample output block");
    let out = stdout(bin().args(["cluster", "--quiet"]).arg(sample()));
    let printed: Vec<&str> = out.lines().take(block.lines().count()).collect();
    assert_eq!(block.lines().collect::<Vec<_>>(), printed);
}

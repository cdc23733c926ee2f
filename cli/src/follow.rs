//! `follow`: a live stream on standard input, one JSON line per article as it
//! arrives, each answered at once with its copy group and story, and with
//! the merges and freezes it caused.

use std::io::{BufRead, BufWriter, Write};

use serde::Serialize;
use storyhash::{Assignment, Event, Fields, Stream};

use crate::args::FollowArgs;
use crate::output::{stdout, stdout_error};
use crate::Failure;

/// One line of output: an assignment, or an event it caused.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Out<'a> {
    Article {
        id: &'a str,
        copy: &'a str,
        story: &'a str,
        new_copy_group: bool,
        new_story: bool,
        copy_similarity: f32,
        story_similarity: f64,
    },
    CopyGroupsMerged {
        kept: &'a str,
        absorbed: &'a str,
    },
    StoriesMerged {
        kept: &'a str,
        absorbed: &'a str,
    },
    StoryFrozen {
        story: &'a str,
    },
}

fn write_assignment(out: &mut impl Write, a: &Assignment) -> std::io::Result<()> {
    let mut line = |o: &Out<'_>| -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, o)?;
        out.write_all(b"\n")
    };
    line(&Out::Article {
        id: &a.id,
        copy: &a.copy,
        story: &a.story,
        new_copy_group: a.new_copy_group,
        new_story: a.new_story,
        copy_similarity: a.copy_score,
        story_similarity: a.story_score,
    })?;
    for e in &a.events {
        line(&match e {
            Event::CopyGroupsMerged { kept, absorbed } => Out::CopyGroupsMerged { kept, absorbed },
            Event::StoriesMerged { kept, absorbed } => Out::StoriesMerged { kept, absorbed },
            Event::StoryFrozen { story } => Out::StoryFrozen { story },
            _ => continue,
        })?;
    }
    Ok(())
}

pub(crate) fn run(a: &FollowArgs) -> Result<(), Failure> {
    let config = a.tune.config();
    let mut stream = match &a.snapshot {
        Some(path) if a.resume && path.exists() => {
            let s = Stream::load_with_config(path, &config)?;
            eprintln!(
                "storyhash: resumed {} ({} articles seen)",
                path.display(),
                s.stats().added
            );
            s
        }
        _ => Stream::new(&config, a.window)?,
    };
    let fields = Fields {
        id: a.id_field.clone(),
        text: a.text_field.clone(),
        title: a.title_field.clone(),
        date: a.date_field.clone(),
        ..Fields::default()
    };
    let save = |stream: &Stream| -> Result<(), Failure> {
        if let Some(path) = &a.snapshot {
            stream.save(path)?;
        }
        Ok(())
    };
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(stdout());
    let mut since_save = 0u64;
    let mut result = Ok(());
    for (no, line) in stdin.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                result = Err(format!("standard input: {e}").into());
                break;
            }
        };
        let line = if no == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        };
        if line.trim().is_empty() {
            continue;
        }
        let added = fields
            .parse(line)
            .map_err(|e| Failure::from(format!("-:{}: {e}", no + 1)))
            .and_then(|article| stream.add(&article).map_err(Failure::from));
        match added {
            Ok(assignment) => {
                // Each article is answered as it arrives.
                if let Err(e) = write_assignment(&mut out, &assignment).and_then(|()| out.flush()) {
                    result = Err(stdout_error(e));
                    break;
                }
            }
            Err(e) if a.skip_bad => eprintln!("storyhash: skipped {e}"),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        since_save += 1;
        if since_save >= a.every {
            save(&stream)?;
            since_save = 0;
        }
    }
    // What was accepted is saved even when the input or the output failed.
    save(&stream)?;
    result
}

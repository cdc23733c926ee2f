//! `follow`: a live stream on standard input, one JSON line per article as it
//! arrives, each answered at once with its copy group and story, and with
//! the merges and freezes it caused.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use storyhash::io::parse_jsonl;
use storyhash::{Assignment, Error, Event, Stream};

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
    GroupsMoved {
        from: &'a str,
        to: &'a str,
        copy_groups: &'a [String],
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
            Event::GroupsMoved {
                from,
                to,
                copy_groups,
            } => Out::GroupsMoved {
                from,
                to,
                copy_groups,
            },
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
    // Each line is read as the batch reader reads it (field names, BOM,
    // `\r\n`, invalid UTF-8 refused or repaired); a bad line is reported here.
    let mut options = a.fields.read_options();
    options.skip_bad = false;
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
    for (no, line) in stdin.split(b'\n').enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                result = Err(format!("standard input: {e}").into());
                break;
            }
        };
        let added: Result<Vec<Assignment>, Failure> =
            match parse_jsonl(&line, Path::new("-"), &options) {
                Ok((articles, _)) => articles
                    .iter()
                    .map(|article| stream.add(article).map_err(Failure::from))
                    .collect(),
                Err(Error::BadRecord { reason, .. }) => {
                    Err(format!("-:{}: {reason}", no + 1).into())
                }
                Err(e) => Err(e.into()),
            };
        match added {
            Ok(assignments) => {
                since_save += assignments.len() as u64;
                // Each article is answered as it arrives.
                let written = assignments
                    .iter()
                    .try_for_each(|assignment| write_assignment(&mut out, assignment))
                    .and_then(|()| out.flush());
                if let Err(e) = written {
                    result = Err(stdout_error(e));
                    break;
                }
            }
            Err(e) if a.fields.skip_bad => eprintln!("storyhash: skipped {e}"),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        if since_save >= a.every {
            save(&stream)?;
            since_save = 0;
        }
    }
    // What was accepted is saved even when the input or the output failed.
    save(&stream)?;
    result
}

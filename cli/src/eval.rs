//! `eval`: a clustering output scored against gold labels (pairwise and
//! B-cubed precision, recall and F1, adjusted Rand index), at either level.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde_json::Value;
use storyhash::eval::{score, Scores};

use crate::args::{EvalArgs, Level};
use crate::output::{stdout, stdout_error};
use crate::Failure;

fn read_lines(path: &Path) -> Result<Vec<Value>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1).into())
        })
        .collect()
}

fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Gold labels by id; an article without one is a cluster of its own.
fn gold(docs: &[Value], field: &str, path: &Path) -> Result<HashMap<String, String>, Failure> {
    let mut out = HashMap::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let id = id_of(d).ok_or_else(|| format!("{}:{}: no id", path.display(), i + 1))?;
        let label = match d.get(field) {
            Some(Value::Null) | None => format!("\u{0}alone:{id}"),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        out.insert(id, label);
    }
    Ok(out)
}

pub(crate) fn run(a: &EvalArgs) -> Result<(), Failure> {
    let docs = read_lines(&a.gold)?;
    let out = read_lines(&a.output)?;
    let has_copy = docs
        .iter()
        .any(|d| d.get(&a.gold_copy_field).is_some_and(|v| !v.is_null()));
    let levels: Vec<(&str, &str)> = match a.level {
        Level::Copy => vec![(
            "copy",
            if has_copy {
                &a.gold_copy_field
            } else {
                &a.gold_field
            },
        )],
        Level::Story => vec![("story", &a.gold_field)],
        Level::Both => vec![
            (
                "copy",
                if has_copy {
                    &a.gold_copy_field
                } else {
                    &a.gold_field
                },
            ),
            ("story", &a.gold_field),
        ],
    };
    let mut w = std::io::BufWriter::new(stdout());
    writeln!(
        w,
        "{:<6} {:>7} {:>8} {:>8} | {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} | {:>6}",
        "level",
        "items",
        "pred",
        "gold",
        "pair P",
        "pair R",
        "pair F1",
        "B3 P",
        "B3 R",
        "B3 F1",
        "ARI"
    )
    .map_err(stdout_error)?;
    for (level, field) in levels {
        let truth_by_id = gold(&docs, field, &a.gold)?;
        let mut pred = Vec::with_capacity(out.len());
        let mut truth = Vec::with_capacity(out.len());
        for (i, o) in out.iter().enumerate() {
            let at = || format!("{}:{}", a.output.display(), i + 1);
            let id = id_of(o).ok_or_else(|| format!("{}: no id", at()))?;
            let g = truth_by_id
                .get(&id)
                .ok_or_else(|| format!("{}: id {id:?} is not in the corpus", at()))?;
            let p = o
                .get(level)
                .ok_or_else(|| format!("{}: no {level:?} field", at()))?;
            pred.push(p.to_string());
            truth.push(g.clone());
        }
        row(&mut w, level, &score(&pred, &truth)).map_err(stdout_error)?;
    }
    w.flush().map_err(stdout_error)
}

fn row(w: &mut impl Write, level: &str, s: &Scores) -> std::io::Result<()> {
    writeln!(
        w,
        "{:<6} {:>7} {:>8} {:>8} | {:>7.4} {:>7.4} {:>7.4} | {:>7.4} {:>7.4} {:>7.4} | {:>6.4}",
        level,
        s.items,
        s.predicted_clusters,
        s.gold_clusters,
        s.pair_precision,
        s.pair_recall,
        s.pair_f1,
        s.bcubed_precision,
        s.bcubed_recall,
        s.bcubed_f1,
        s.ari
    )
}

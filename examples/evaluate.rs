//! Scores a `cluster --jsonl` output against a labelled JSON Lines corpus.
//!
//! ```text
//! cargo run --release --example cluster -- --jsonl corpus.jsonl > out.jsonl
//! cargo run --release --example evaluate -- out.jsonl corpus.jsonl [--level copy|story] [--gold FIELD]
//! ```
//!
//! `--level` picks the predicted field (`copy` or `story`, default: both);
//! `--gold` the corpus field holding the gold label (default `story`).
//! Articles whose gold label is null or missing each count as a cluster of their own.

use std::collections::HashMap;
use std::process::ExitCode;

use serde_json::Value;
use storyhash::eval::{score, Scores};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evaluate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_lines(path: &str) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("{path}:{}: {e}", i + 1)))
        .collect()
}

fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn run() -> Result<(), String> {
    let mut positional = Vec::new();
    let mut level: Option<String> = None;
    let mut gold_field = "story".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--level" => level = Some(args.next().ok_or("--level needs copy or story")?),
            "--gold" => gold_field = args.next().ok_or("--gold needs a field name")?,
            _ => positional.push(a),
        }
    }
    let [output, corpus] = positional.as_slice() else {
        return Err(
            "usage: evaluate OUTPUT.jsonl CORPUS.jsonl [--level copy|story] [--gold FIELD]".into(),
        );
    };
    let gold_docs = read_lines(corpus)?;
    let mut gold: HashMap<String, String> = HashMap::new();
    for (i, d) in gold_docs.iter().enumerate() {
        let id = id_of(d).ok_or(format!("{corpus}:{}: no id", i + 1))?;
        let label = match d.get(&gold_field) {
            Some(Value::Null) | None => format!("\u{0}alone:{id}"),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        gold.insert(id, label);
    }
    let out = read_lines(output)?;
    let levels: Vec<&str> = match level.as_deref() {
        Some(l @ ("copy" | "story")) => vec![l],
        Some(l) => return Err(format!("--level: {l:?} is not copy or story")),
        None => vec!["copy", "story"],
    };
    println!(
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
    );
    for lvl in levels {
        let mut pred = Vec::new();
        let mut truth = Vec::new();
        for (i, o) in out.iter().enumerate() {
            let id = id_of(o).ok_or(format!("{output}:{}: no id", i + 1))?;
            let g = gold
                .get(&id)
                .ok_or(format!("{output}:{}: id {id:?} not in the corpus", i + 1))?;
            let p = o
                .get(lvl)
                .ok_or(format!("{output}:{}: no {lvl:?} field", i + 1))?;
            pred.push(p.to_string());
            truth.push(g.clone());
        }
        print_row(lvl, &score(&pred, &truth));
    }
    Ok(())
}

fn print_row(level: &str, s: &Scores) {
    println!(
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
    );
}

//! `storyhash`: groups news articles into copy groups and stories, says why,
//! and shows it.
//!
//! Exit codes: 0 success; 1 an error (bad input, an unreadable file, a
//! closed or full output); 2 a usage error.

mod args;
mod eval;
mod follow;
mod input;
mod output;
mod report;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// What a subcommand can fail with: its message is printed after `storyhash: `.
type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = output::claim_stdout() {
        let _ = writeln!(std::io::stderr(), "storyhash: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(n) = cli.threads {
        if let Err(e) = rayon_threads(n) {
            eprintln!("storyhash: {e}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Cluster(a) => output::cluster(&a),
        Command::Explain(a) => output::explain(&a),
        Command::Report(a) => report::run(&a),
        Command::Follow(a) => follow::run(&a),
        Command::Eval(a) => eval::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // If stderr itself is gone there is nobody to tell.
            let _ = writeln!(std::io::stderr(), "storyhash: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sets the number of worker threads of the library's parallel stages.
fn rayon_threads(n: usize) -> Result<(), String> {
    if n == 0 {
        return Err("--threads must be at least 1".into());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| e.to_string())
}

//! The command line. Every default shown by `--help` is read from
//! `storyhash::Config::default()`, never typed here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use storyhash::io::ReadOptions;
use storyhash::{Config, Fields};

/// The library's defaults, the one source of every default below.
fn d() -> Config {
    Config::default()
}

/// Groups news articles into copy groups (syndicated and lightly edited
/// versions of one article) and stories (every outlet's article about one
/// event), and says why.
#[derive(Parser, Debug)]
#[command(name = "storyhash", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Worker threads (default: one per core).
    #[arg(long, global = true)]
    pub(crate) threads: Option<usize>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Cluster articles and print the stories, their copy groups and articles.
    Cluster(ClusterArgs),
    /// Why two articles are, or are not, copies and one story.
    Explain(ExplainArgs),
    /// Write one self-contained HTML page to look at a clustering.
    Report(ReportArgs),
    /// Follow a stream of articles on standard input (JSON Lines as they
    /// arrive) and print where each goes, with merge and freeze events.
    Follow(FollowArgs),
    /// Score a `cluster --format jsonl` output against gold labels.
    Eval(EvalArgs),
}

/// How to read the input.
#[derive(Args, Debug, Clone)]
pub(crate) struct InputArgs {
    /// JSON Lines files, directories of `.txt` files, or `-` for JSON Lines
    /// on standard input.
    #[arg(required = true)]
    pub(crate) inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) fields: FieldArgs,
}

/// How to read one JSON line: field names and what to do with bad lines.
#[derive(Args, Debug, Clone)]
pub(crate) struct FieldArgs {
    /// JSON field holding the id (a string or an integer).
    #[arg(long, default_value_t = Fields::default().id, value_name = "NAME")]
    pub(crate) id_field: String,
    /// JSON field holding the text (e.g. `content` or `body`).
    #[arg(long, default_value_t = Fields::default().text, value_name = "NAME")]
    pub(crate) text_field: String,
    /// JSON field holding the headline.
    #[arg(long, default_value_t = Fields::default().title, value_name = "NAME")]
    pub(crate) title_field: String,
    /// JSON field holding the date (ISO 8601, RFC 2822, or Unix seconds).
    #[arg(long, default_value_t = Fields::default().date, value_name = "NAME")]
    pub(crate) date_field: String,
    /// JSON field holding the outlet.
    #[arg(long, default_value_t = Fields::default().source, value_name = "NAME")]
    pub(crate) source_field: String,
    /// Skip malformed lines (counted) instead of stopping at the first.
    #[arg(long)]
    pub(crate) skip_bad: bool,
    /// Replace invalid UTF-8 (counted) instead of refusing the line.
    #[arg(long)]
    pub(crate) lossy: bool,
}

impl FieldArgs {
    pub(crate) fn read_options(&self) -> ReadOptions {
        let mut o = ReadOptions::default();
        o.skip_bad = self.skip_bad;
        o.lossy_utf8 = self.lossy;
        o.fields = Fields {
            id: self.id_field.clone(),
            text: self.text_field.clone(),
            title: self.title_field.clone(),
            date: self.date_field.clone(),
            source: self.source_field.clone(),
        };
        o
    }
}

/// The thresholds of both tiers.
#[derive(Args, Debug, Clone)]
pub(crate) struct TuneArgs {
    /// Copies: Jaccard similarity at or above which two texts are copies.
    #[arg(long, default_value_t = d().copies.jaccard, value_name = "X")]
    pub(crate) jaccard: f64,
    /// Copies: containment of the smaller text in the larger at or above
    /// which two texts are copies (a truncated or wrapped version).
    #[arg(long, default_value_t = d().copies.containment, value_name = "X")]
    pub(crate) containment: f64,
    /// Copies: share of the facts (names, numbers) two copies must share.
    #[arg(long, default_value_t = d().copies.facts, value_name = "X")]
    pub(crate) facts: f64,
    /// Copies: share of each threshold every member keeps against its
    /// group's representative.
    #[arg(long, default_value_t = d().copies.drift, value_name = "X")]
    pub(crate) drift: f64,
    /// Copies: the Jaccard similarity the LSH banding is tuned for.
    #[arg(long, default_value_t = d().copies.candidate_threshold, value_name = "X")]
    pub(crate) candidate_threshold: f64,
    /// Copies: an explicit banding, `BANDS,ROWS`.
    #[arg(long, value_name = "B,R", value_parser = bands)]
    pub(crate) bands: Option<(usize, usize)>,
    /// Copies: compare 64-bit SimHash fingerprints within K bits instead of
    /// MinHash signatures (near-exact copies only).
    #[arg(long, value_name = "K")]
    pub(crate) simhash: Option<u32>,
    /// Stories: the average-link threshold on story similarity.
    #[arg(long, default_value_t = d().stories.threshold, value_name = "X")]
    pub(crate) story_threshold: f64,
    /// Stories: the evidence a similarity needs: each pair's cosine is
    /// scaled by n / (n + X), n being how many shared features carry it (0:
    /// off).
    #[arg(long, default_value_t = d().stories.evidence, value_name = "X")]
    pub(crate) evidence: f64,
    /// Stories: days apart within which two dated articles are not
    /// discounted (one event's own coverage).
    #[arg(long, default_value_t = d().stories.time_grace_days, value_name = "DAYS")]
    pub(crate) time_grace: u32,
    /// Stories: past the grace period, days over which the similarity of two
    /// dated articles halves (0: dates do not count).
    #[arg(long, default_value_t = d().stories.half_life_days, value_name = "DAYS")]
    pub(crate) half_life: f64,
    /// Stories: the least the time factor falls to.
    #[arg(long, default_value_t = d().stories.time_floor, value_name = "X")]
    pub(crate) time_floor: f64,
    /// Stories: dated articles further apart than this are never compared.
    #[arg(long, default_value_t = d().stories.horizon_days, value_name = "DAYS")]
    pub(crate) horizon: u32,
    /// Stories: share of the similarity taken off for each kind of conflict
    /// in the numbers two articles state (years, repeated numbers).
    #[arg(long, default_value_t = d().stories.conflict_penalty, value_name = "X")]
    pub(crate) conflict_penalty: f64,
    /// Stories: local scaling, the rank of the neighbour that gives each
    /// document's density (0: off).
    #[arg(long, default_value_t = d().stories.density_rank, value_name = "K")]
    pub(crate) density_rank: usize,
    /// Stories: only neighbourhoods denser than this are discounted.
    #[arg(long, default_value_t = d().stories.density_scale, value_name = "X")]
    pub(crate) density_scale: f64,
    /// Copy groups only (each is its own story).
    #[arg(long)]
    pub(crate) no_stories: bool,
}

fn bands(s: &str) -> Result<(usize, usize), String> {
    let (b, r) = s.split_once(',').ok_or("expected BANDS,ROWS")?;
    let num = |x: &str| x.trim().parse::<usize>().map_err(|e| format!("{x:?}: {e}"));
    Ok((num(b)?, num(r)?))
}

impl TuneArgs {
    pub(crate) fn config(&self) -> Config {
        let mut c = Config::default();
        c.copies.jaccard = self.jaccard;
        c.copies.containment = self.containment;
        c.copies.facts = self.facts;
        c.copies.drift = self.drift;
        c.copies.candidate_threshold = self.candidate_threshold;
        c.copies.bands = self.bands;
        c.copies.simhash = self.simhash;
        c.stories.threshold = self.story_threshold;
        c.stories.evidence = self.evidence;
        c.stories.half_life_days = self.half_life;
        c.stories.time_grace_days = self.time_grace;
        c.stories.time_floor = self.time_floor;
        c.stories.horizon_days = self.horizon;
        c.stories.conflict_penalty = self.conflict_penalty;
        c.stories.density_rank = self.density_rank;
        c.stories.density_scale = self.density_scale;
        c.stories.enabled = !self.no_stories;
        c
    }
}

/// What to print.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Stories by size, each with its terms and dates, its copy groups and
    /// articles with their scores.
    Tree,
    /// One JSON object per input article, in input order: `id`, `copy`,
    /// `story`, `basis`, `copy_similarity`, `story_similarity`.
    Jsonl,
    /// The same as CSV, with a header line.
    Csv,
}

#[derive(Args, Debug)]
pub(crate) struct ClusterArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) tune: TuneArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Tree)]
    pub(crate) format: Format,
    /// Terms shown per story in the tree.
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub(crate) terms: usize,
    /// No summary or progress on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Details on stderr: stage times, candidate counts, skipped lines.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// The first article's id.
    pub(crate) first: String,
    /// The second article's id.
    pub(crate) second: String,
    /// The corpus the two articles are clustered in (JSON Lines files, `.txt`
    /// directories, `-`).
    #[arg(long = "input", required = true, num_args = 1..)]
    pub(crate) inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) tune: TuneArgs,
    /// Print the explanation as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) tune: TuneArgs,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// The page's title.
    #[arg(long, default_value = "storyhash report")]
    pub(crate) title: String,
}

#[derive(Args, Debug)]
pub(crate) struct FollowArgs {
    /// What stays in the window: `7d` (days before the latest date seen),
    /// `10000` (the last articles), or `unbounded`.
    #[arg(long, default_value = "30d", value_parser = window)]
    pub(crate) window: storyhash::Window,
    /// Save the stream here on exit and every `--every` articles.
    #[arg(long, value_name = "PATH")]
    pub(crate) snapshot: Option<PathBuf>,
    /// Save the snapshot every this many articles.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub(crate) every: u64,
    /// Start from the snapshot (when it exists) instead of an empty stream.
    #[arg(long, requires = "snapshot")]
    pub(crate) resume: bool,
    #[command(flatten)]
    pub(crate) tune: TuneArgs,
    #[command(flatten)]
    pub(crate) fields: FieldArgs,
}

fn window(s: &str) -> Result<storyhash::Window, String> {
    if s == "unbounded" {
        return Ok(storyhash::Window::Unbounded);
    }
    if let Some(days) = s.strip_suffix('d') {
        let n: u32 = days.parse().map_err(|e| format!("{s:?}: {e}"))?;
        return Ok(storyhash::Window::Days(n));
    }
    let n: u64 = s
        .parse()
        .map_err(|_| format!("{s:?}: expected DAYSd, a number of articles, or unbounded"))?;
    Ok(storyhash::Window::Articles(n))
}

/// Which grouping to score.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Copy groups.
    Copy,
    /// Stories.
    Story,
    /// Both.
    Both,
}

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// A `cluster --format jsonl` output.
    pub(crate) output: PathBuf,
    /// The labelled corpus (JSON Lines with the gold field).
    pub(crate) gold: PathBuf,
    /// Which grouping to score.
    #[arg(long, value_enum, default_value_t = Level::Both)]
    pub(crate) level: Level,
    /// The corpus field holding the gold story label (copy groups are scored
    /// against `--gold-copy-field` when the corpus has it, else this one).
    #[arg(long, default_value = "story", value_name = "NAME")]
    pub(crate) gold_field: String,
    /// The corpus field holding gold copy groups.
    #[arg(long, default_value = "copy", value_name = "NAME")]
    pub(crate) gold_copy_field: String,
}

//! What the user typed: the clap definitions. Doc comments here are the `--help` text.
//! [`crate::config::Config`] turns these raw flags into validated settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::check::cache::DEFAULT_CACHE_MAX_AGE;
use crate::config::{
    DEFAULT_CONCURRENCY, DEFAULT_HOST_INTERVAL_MS, DEFAULT_MAX_BODY, DEFAULT_PER_HOST,
    DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS,
};
use crate::report::publish::OutputFormat;

/// citecheck: do the pages a document cites still stand, and do they still say what it quotes?
///
/// With no subcommand, `run` is assumed. One run is one observation of the web: record it,
/// and check again later before you call a link dead for good.
#[derive(Debug, Parser)]
#[command(name = "citecheck", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// The command to run (default: run).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for the default `run` command.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The subcommands (contract.md).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline: check every cited URL, archive each page, extract its article
    /// text, locate every quote; write links.csv and report.csv.
    Run(RunArgs),
    /// Links only (no archive, no quotes): the fast mode for CI.
    Check(RunArgs),
    /// Quotes only, against what is already in the archive; never touches the network.
    Verify(RunArgs),
    /// Read a document (a PDF, HTML, Markdown, or text from a slide deck or PDF) and write its
    /// cited URLs and its quotations, each with the URL it cites, as CSV.
    Ingest(IngestArgs),
    /// Print the main article text of one HTML page (a file, a URL, or - for stdin).
    Text(TextArgs),
    /// Render report.html again from links.csv, report.csv and the archive (no network).
    Report(ReportArgs),
}

/// Options shared by `run`, `check` and `verify`.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// The cited URLs (CSV with a `url` column, optional `id`).
    #[arg(long, value_name = "FILE", default_value = "sources.csv")]
    pub sources: PathBuf,
    /// The quotations to locate (CSV with a `quote` column; optional `id`, `theme`, `source`).
    #[arg(long, value_name = "FILE", default_value = "quotes.csv")]
    pub quotes: PathBuf,
    /// Where pages, WARC files and extracted text are kept.
    #[arg(long, value_name = "DIR", default_value = "archive")]
    pub archive: PathBuf,
    /// One row per quote (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "report.csv")]
    pub report: PathBuf,
    /// One row per row of the sources file (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "links.csv")]
    pub links: PathBuf,
    /// Rewrite the URL of every request ('REGEX REPLACEMENT', split at the first space;
    /// repeatable; first matching rule wins). Anchor patterns (`^https://www\.x\.nl/`) and
    /// write `${1}x`, not `$1x`. Reports keep the URLs as cited.
    #[arg(long, value_name = "'REGEX REPLACEMENT'")]
    pub remap: Vec<String>,
    /// Seconds per request attempt, from connect to the last body byte.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub timeout: f64,
    /// Retries for timeouts, connection errors, 429 and 5xx (Retry-After is honoured).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    pub retries: u32,
    /// Requests in flight in total.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Requests in flight per host.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PER_HOST)]
    pub per_host: usize,
    /// Minimum gap between request starts to one host, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_HOST_INTERVAL_MS)]
    pub host_interval: u64,
    /// Largest body read per response, in bytes; the rest is cut (and said in `error`).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// No network at all: every quote is located in the archive's copies.
    #[arg(long)]
    pub offline: bool,
    /// Which findings make the exit code 1: comma-separated link statuses and quote
    /// verdicts, `default`, `none`, or `all`.
    #[arg(long, value_name = "LIST", default_value = "default")]
    pub fail_on: String,
    /// The User-Agent header sent with every request.
    #[arg(long, value_name = "STRING")]
    pub user_agent: Option<String>,
    /// Refuse private addresses too, for lists anyone can edit (CI on pull requests): RFC 1918,
    /// loopback, unique local (fc00::/7) and CGNAT (100.64/10), on every redirect hop and
    /// after name resolution. Loopback stays reachable through an explicit --remap rule.
    /// Link-local and cloud metadata addresses are refused always.
    #[arg(long)]
    pub exclude_private: bool,
    /// Do not ask the web archive for copies of dead links.
    #[arg(long)]
    pub no_rescue: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Continue an interrupted run: rows already in --links (and, in `run`, pages already in
    /// the archive) are kept as they are, not fetched again.
    #[arg(long)]
    pub resume: bool,
    /// Do not probe made-up paths to find hosts that answer every path with 200: one in each
    /// cited folder (per host and folder) and, for folders named like an id or a date, one
    /// made-up folder beside it (per section).
    #[arg(long)]
    pub no_probe: bool,
    /// Check only the part K of N of the sources (1-based), split by a hash of the host so
    /// that one host's politeness is kept in one shard (see docs/scaling.md).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    // --- CI integration and output formats (report/publish.rs, check/cache.rs, check/accept.rs)
    /// Also render the whole run (links, quotes and a summary) as json, markdown or junit, on
    /// stdout or in --output. csv adds nothing: links.csv and report.csv are always written.
    /// Under GITHUB_ACTIONS=true, problems are also printed as ::error/::warning annotations
    /// (on stderr when stdout carries data), and the Markdown summary is appended to
    /// $GITHUB_STEP_SUMMARY when that is set.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "csv")]
    pub format: OutputFormat,
    /// Where --format writes (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Remember links found ok or redirected in this file (JSON Lines, one URL a line) and,
    /// in `check`, do not fetch them again within --cache-max-age (links.csv says
    /// `cached = true`). Failures are never cached. `run` refreshes the file but always fetches.
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// How long a cached result stays good: 90s, 30m, 12h, 7d, 2w.
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_CACHE_MAX_AGE)]
    pub cache_max_age: String,
    /// HTTP statuses that count as a live page, e.g. 200..=299,403 for hosts that answer
    /// robots with 403. The list replaces the default (any 2xx): a status in it makes the link
    /// ok (or redirected), a 2xx outside it broken. Redirect loops, timeouts and connection
    /// failures are never accepted.
    #[arg(long, value_name = "CODES")]
    pub accept: Option<String>,

    // --- The editor's report (report/html.rs, report/rerender.rs)
    /// Also write the editor's report: one self-contained HTML page (after the CSVs).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Options of `ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The document to read: a PDF, an HTML or Markdown page, or plain UTF-8 text (the kind
    /// is told by the file's first bytes and its extension).
    pub document: PathBuf,
    /// Replace existing output files (without it, `ingest` refuses and writes nothing).
    #[arg(long)]
    pub force: bool,
    /// Where the cited URLs go (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "sources.csv")]
    pub sources_out: PathBuf,
    /// Where the quotations go (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "quotes.csv")]
    pub quotes_out: PathBuf,
}

/// Options of `text`.
#[derive(Debug, Args)]
pub struct TextArgs {
    /// An HTML file, an http(s) URL, or `-` for stdin (the default).
    #[arg(default_value = "-")]
    pub input: String,
    /// Print the text and the metadata (title, date, author) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait when INPUT is a URL.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub timeout: f64,
    /// Rewrite the URL before fetching (as in `run`).
    #[arg(long, value_name = "'REGEX REPLACEMENT'")]
    pub remap: Vec<String>,
}

/// Options of `report` (the HTML page made again from files).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The links.csv of a run.
    #[arg(long, value_name = "FILE", default_value = "links.csv")]
    pub links: PathBuf,
    /// The report.csv of a run.
    #[arg(long, value_name = "FILE", default_value = "report.csv")]
    pub report: PathBuf,
    /// The archive folder whose texts the report's offsets refer to.
    #[arg(long, value_name = "DIR", default_value = "archive")]
    pub archive: PathBuf,
    /// Where the page goes (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub html: PathBuf,
}

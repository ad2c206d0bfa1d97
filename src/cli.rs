//! What the user typed: the clap definitions. Doc comments here are the `--help` text.
//! [`RunArgs::resolve`] turns these raw flags into the validated settings of
//! [`crate::config::Config`]; nothing below this module sees a flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use std::time::Duration;

use crate::check::accept::AcceptStatus;
use crate::check::cache::{CacheSettings, DEFAULT_CACHE_MAX_AGE, parse_max_age};
use crate::config::{
    ArchiveAccess, Config, DEFAULT_CONCURRENCY, DEFAULT_HOST_INTERVAL_MS, DEFAULT_MAX_BODY,
    DEFAULT_PER_HOST, DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS, DEFAULT_WARC_MAX_SIZE, FailOn,
    FetchSettings, MAX_CONCURRENCY, MAX_RETRIES, MAX_TIMEOUT, Mode, OutputFormat, Publish, Remap,
    Shard, default_user_agent, timeout_from_secs,
};
use crate::error::{Error, Result};

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

/// The subcommands (README.md). Each takes only its own options: `check` has no archive or
/// quotes, `verify` no network.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline: check every cited URL, archive each page, extract its article
    /// text, locate every quote; write links.csv and report.csv.
    Run(RunArgs),
    /// Links only (no archive, no quotes): the fast mode for CI.
    Check(CheckArgs),
    /// Quotes only, against what is already in the archive; never touches the network and
    /// never writes into the archive (unless --repair).
    Verify(VerifyArgs),
    /// Read a document (a PDF, HTML, Markdown, or text from a slide deck or PDF) and write its
    /// cited URLs and its quotations, each with the URL it cites, as CSV.
    Ingest(IngestArgs),
    /// Print the main article text of one HTML page (a file, a URL, or - for stdin).
    Text(TextArgs),
    /// Render report.html again from links.csv, report.csv and the archive (no network).
    Report(ReportArgs),
    /// Print a shell completion script (e.g. `citecheck completions bash >
    /// /etc/bash_completion.d/citecheck`).
    Completions(CompletionsArgs),
    /// Print the manual page (roff; `citecheck man | man -l -`), or write one page per
    /// command into a folder with --dir.
    Man(ManArgs),
    /// Merge the outputs of `--shard K/N` runs (links CSVs and archive folders) into one
    /// links.csv in source order and one archive; then `verify` on it gives one report.
    Merge(MergeArgs),
    /// Pack the archive's captures as one WACZ file (Web Archive Collection Zipped, spec
    /// 1.1.1), which ReplayWeb.page opens in a browser: the WARC files, the index, a list of
    /// the cited pages with the quotes found in each, and the SHA-256 of every file.
    Pack(PackArgs),
}

/// Options of `pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The archive folder to pack.
    #[arg(long, value_name = "DIR", default_value = "archive")]
    pub archive: PathBuf,
    /// The run's report.csv: each page of the package lists the quotes found in it
    /// [default: report.csv, left out when it is missing; a file named here must exist].
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Where the package goes (written beside it first, then renamed).
    #[arg(long, value_name = "FILE.wacz")]
    pub output: PathBuf,
}

/// Options of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' outputs, in any order: their links CSV files and their archive folders.
    #[arg(value_name = "SHARD_OUTPUT", required = true)]
    pub shards: Vec<PathBuf>,
    /// The sources file the shards read: it gives the rows their order.
    #[arg(long, value_name = "FILE", default_value = "sources.csv")]
    pub sources: PathBuf,
    /// Where the merged links go (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "links.csv")]
    pub links: PathBuf,
    /// The merged archive: a new folder (or one without a manifest yet).
    #[arg(long, value_name = "DIR", default_value = "archive")]
    pub archive: PathBuf,
}

/// `--sources`: read by `run`, `check` and `verify`.
#[derive(Debug, Args, Clone)]
pub struct SourcesArgs {
    /// What to check instead of --sources: files (CSV with a `url`, `link`, `href` or `uri`
    /// column; HTML; Markdown; plain text or lists of URLs; PDF), globs (`'docs/**/*.md'`),
    /// http(s) URLs of pages whose links are checked, and `-` for stdin. Each row's id is
    /// FILE:LINE (a CSV keeps its ids).
    #[arg(value_name = "INPUTS")]
    pub inputs: Vec<String>,
    /// The cited URLs (CSV with a `url` column, optional `id`).
    #[arg(long, value_name = "FILE", default_value = "sources.csv")]
    pub sources: PathBuf,
}

/// The quote stage's files: `run` and `verify`.
#[derive(Debug, Args, Clone)]
pub struct QuoteFileArgs {
    /// The quotations to locate (CSV with a `quote` column; optional `id`, `theme`, `source`)
    /// [default: quotes.csv; `run` goes on without quotes when that is missing, but not when
    /// a file named here is].
    #[arg(long, value_name = "FILE")]
    pub quotes: Option<PathBuf>,
    /// Where pages, WARC files and extracted text are kept.
    #[arg(long, value_name = "DIR", default_value = "archive")]
    pub archive: PathBuf,
    /// One row per quote (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "report.csv")]
    pub report: PathBuf,
    /// Also pack the archive as one WACZ file after the run, with the quotes of the report
    /// in its list of pages (as `citecheck pack` does).
    #[arg(long, value_name = "FILE")]
    pub wacz: Option<PathBuf>,
}

/// How requests are made: `run` and `check` (the commands that use the network).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Requests")]
pub struct NetworkArgs {
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
    /// Body bytes held in the whole run at once (read, and not yet judged, extracted and
    /// archived; `run` counts each body byte three times) [default: 32MiB]; a read waits
    /// while they are spent, so memory is bounded on big pages. A body larger than this
    /// still proceeds, alone. Suffixes as for --warc-max-size.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub body_budget: Option<u64>,
    /// The User-Agent header sent with every request.
    #[arg(long, value_name = "STRING")]
    pub user_agent: Option<String>,
    /// Refuse private addresses too, for lists anyone can edit (CI on pull requests): RFC 1918,
    /// loopback, unique local (fc00::/7) and CGNAT (100.64/10), on every redirect hop and
    /// after name resolution. Loopback stays reachable through an explicit --remap rule.
    /// Link-local and cloud metadata addresses are refused always.
    #[arg(long)]
    pub exclude_private: bool,
}

impl Default for NetworkArgs {
    /// The defaults the command line gives (a unit test holds the two together).
    fn default() -> Self {
        NetworkArgs {
            remap: Vec::new(),
            timeout: DEFAULT_TIMEOUT_SECS,
            retries: DEFAULT_RETRIES,
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
            host_interval: DEFAULT_HOST_INTERVAL_MS,
            max_body: DEFAULT_MAX_BODY,
            body_budget: None,
            user_agent: None,
            exclude_private: false,
        }
    }
}

/// How links are judged and kept: `run` and `check`.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Link checking")]
pub struct LinkArgs {
    /// One row per row of the sources file (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "links.csv")]
    pub links: PathBuf,
    /// Do not ask the web archive for copies of dead links (`run` asks by default).
    #[arg(long)]
    pub no_rescue: bool,
    /// Ask the web archive for copies of dead links in `check` too (`check` does not by
    /// default: it is the fast CI mode). Look-ups are rate-capped, honour 429, and stop for
    /// the run after a few consecutive connection failures to the archive.
    #[arg(long, conflicts_with = "no_rescue")]
    pub rescue: bool,
    /// Stop after this long (90s, 10m, 2h): no new request is started, requests in flight
    /// are abandoned, and the rows finished so far are written (exit code 1 with findings,
    /// else 3; `--resume` continues). SIGINT, SIGTERM and SIGHUP stop a run the same way.
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,
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
}

impl Default for LinkArgs {
    fn default() -> Self {
        LinkArgs {
            links: PathBuf::from("links.csv"),
            no_rescue: false,
            rescue: false,
            deadline: None,
            resume: false,
            no_probe: false,
            shard: None,
            cache: None,
            cache_max_age: DEFAULT_CACHE_MAX_AGE.into(),
            accept: None,
        }
    }
}

/// What a run prints and how it ends: `run`, `check` and `verify`.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Which findings make the exit code 1: comma-separated link statuses and quote
    /// verdicts, `default`, `none`, or `all`.
    #[arg(long, value_name = "LIST", default_value = "default")]
    pub fail_on: String,
    /// Write links.csv and report.csv without the formula guard: by default a text cell that
    /// starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so that a
    /// spreadsheet shows it as text instead of running it (a page title such as
    /// `=HYPERLINK(…)`). For machine consumers; JSON output is never altered.
    #[arg(long)]
    pub raw_csv: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
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
    /// Also write the editor's report: one self-contained HTML page (after the CSVs).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl Default for OutputArgs {
    fn default() -> Self {
        OutputArgs {
            fail_on: "default".into(),
            raw_csv: false,
            no_progress: false,
            format: OutputFormat::Csv,
            output: None,
            html: None,
        }
    }
}

/// `--screenshots` and the browser it takes: `run` only (`verify` writes nothing into the
/// archive).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Screenshots")]
pub struct ShotArgs {
    /// After the report, take a picture of each located quote in its archived page (never the
    /// live one) with headless Chromium: the passage marked, scripts off, no network (every
    /// request the page makes is answered from the archive or refused). Each PNG is kept in
    /// archive/shots/ and as a WARC resource record (urn:screenshot:URL#QUOTE-ID); --html
    /// shows it beside the passage. Without Chromium the run says so once and goes on.
    #[arg(long)]
    pub screenshots: bool,
    /// The Chromium (or Chrome) executable for --screenshots [default: the first of
    /// chromium, chromium-browser, google-chrome on PATH].
    #[arg(long, value_name = "PATH", env = "CITECHECK_CHROMIUM")]
    pub chromium: Option<PathBuf>,
}

/// Options of `run` (and of `citecheck` with no subcommand).
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The sources file.
    #[command(flatten)]
    pub sources: SourcesArgs,
    /// The quotes, the archive and the report.
    #[command(flatten)]
    pub files: QuoteFileArgs,
    /// Start a new WARC file when the next page would take the open one past this size
    /// [default: 1GiB]; suffixes KB, MB, GB (powers of 1000) and KiB, MiB, GiB (of 1024). A
    /// page's records are never split over two files.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub warc_max_size: Option<u64>,
    /// No network at all: every quote is located in the archive's copies (as `verify` does,
    /// but a run may repair the archive: see `verify --repair`).
    #[arg(long)]
    pub offline: bool,
    /// Pictures of the located quotes.
    #[command(flatten)]
    pub shots: ShotArgs,
    /// How links are judged and where links.csv goes.
    #[command(flatten)]
    pub links: LinkArgs,
    /// How requests are made.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// What the run prints and when it fails.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of `check`: links only, so no quotes, archive or report.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// The sources file.
    #[command(flatten)]
    pub sources: SourcesArgs,
    /// Refused with a hint (checking links needs the network): kept out of --help.
    #[arg(long, hide = true)]
    pub offline: bool,
    /// How links are judged and where links.csv goes.
    #[command(flatten)]
    pub links: LinkArgs,
    /// How requests are made.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// What the run prints and when it fails.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of `verify`: the archive and the quotes, no network.
#[derive(Debug, Args, Clone)]
pub struct VerifyArgs {
    /// The sources file.
    #[command(flatten)]
    pub sources: SourcesArgs,
    /// The quotes, the archive and the report.
    #[command(flatten)]
    pub files: QuoteFileArgs,
    /// The links.csv of the run that filled the archive: shown in --html beside the quotes.
    #[arg(long, value_name = "FILE", default_value = "links.csv")]
    pub links: PathBuf,
    /// Also repair what a stopped run left in the archive, as `run` does: recover unfinished
    /// WARC files (`*.warc.gz.open`), cut a torn last manifest line, and write again the
    /// texts that differ from their WARC record. Without it, verify writes nothing into the
    /// archive but its lock (if that is missing).
    #[arg(long, conflicts_with = "no_lock")]
    pub repair: bool,
    /// Read the archive without taking its lock (for an archive you may not write to, whose
    /// folder has no `.lock`): make sure no `citecheck run` writes to it meanwhile.
    #[arg(long)]
    pub no_lock: bool,
    /// What the run prints and when it fails.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl QuoteFileArgs {
    /// The quotes file: `--quotes`, else quotes.csv.
    pub fn quotes_file(&self) -> PathBuf {
        self.quotes
            .clone()
            .unwrap_or_else(|| PathBuf::from("quotes.csv"))
    }
}

/// Options of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Options of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write citecheck.1 and one page per command (citecheck-run.1, …) into this folder
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
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
    /// Print the page's whole visible text instead of its article text (what `run`
    /// searches when a quote is in no article text); with `--json`, also the regions
    /// (comments, sidebar, table…) as character ranges.
    #[arg(long)]
    pub page: bool,
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

/// The option groups of one of `run`, `check`, `verify`; a group the command does not take
/// has its defaults (never read by that command's stages).
struct Parts<'a> {
    mode: Mode,
    sources: &'a SourcesArgs,
    files: Option<&'a QuoteFileArgs>,
    links: LinkArgs,
    network: Option<&'a NetworkArgs>,
    output: &'a OutputArgs,
    warc_max_size: Option<u64>,
    offline: bool,
    archive_access: ArchiveAccess,
    shots: Option<&'a ShotArgs>,
}

impl RunArgs {
    /// Validates the flags of `run` into the settings the stages use.
    pub fn resolve(&self) -> Result<Config> {
        resolve(Parts {
            mode: Mode::Run,
            sources: &self.sources,
            files: Some(&self.files),
            links: self.links.clone(),
            network: Some(&self.network),
            output: &self.output,
            warc_max_size: self.warc_max_size,
            offline: self.offline,
            archive_access: ArchiveAccess::Repair,
            shots: Some(&self.shots),
        })
    }
}

impl CheckArgs {
    /// Validates the flags of `check` into the settings the stages use.
    pub fn resolve(&self) -> Result<Config> {
        // `check` is the network: with --offline it would have to fetch (and did: DNS and
        // web-archive look-ups) or report nothing. Say so instead.
        if self.offline {
            return Err(Error::Usage(
                "check --offline: checking links needs the network; use `verify` (or \
                 `run --offline`) to locate quotes in the archive without it"
                    .into(),
            ));
        }
        resolve(Parts {
            mode: Mode::Check,
            sources: &self.sources,
            files: None,
            links: self.links.clone(),
            network: Some(&self.network),
            output: &self.output,
            warc_max_size: None,
            offline: false,
            archive_access: ArchiveAccess::Repair,
            shots: None,
        })
    }
}

impl VerifyArgs {
    /// Validates the flags of `verify` into the settings the stages use.
    pub fn resolve(&self) -> Result<Config> {
        resolve(Parts {
            mode: Mode::Verify,
            sources: &self.sources,
            files: Some(&self.files),
            links: LinkArgs {
                links: self.links.clone(),
                ..LinkArgs::default()
            },
            network: None,
            output: &self.output,
            warc_max_size: None,
            offline: true,
            archive_access: if self.repair {
                ArchiveAccess::Repair
            } else {
                ArchiveAccess::ReadOnly {
                    lock: !self.no_lock,
                }
            },
            shots: None,
        })
    }
}

/// The settings of `run`, `check` or `verify` from their option groups.
fn resolve(parts: Parts<'_>) -> Result<Config> {
    let Parts {
        mode,
        sources,
        files,
        links,
        network,
        output,
        warc_max_size,
        offline,
        archive_access,
        shots,
    } = parts;
    let default_network = NetworkArgs::default();
    let net = network.unwrap_or(&default_network);
    let default_files = QuoteFileArgs {
        quotes: None,
        archive: PathBuf::from("archive"),
        report: PathBuf::from("report.csv"),
        wacz: None,
    };
    let files = files.unwrap_or(&default_files);
    let timeout = timeout_from_secs(net.timeout)?;
    if Duration::from_millis(net.host_interval) > MAX_TIMEOUT {
        return Err(Error::Usage(format!(
            "--host-interval must be at most {} ms, not {}",
            MAX_TIMEOUT.as_millis(),
            net.host_interval
        )));
    }
    if net.concurrency == 0 || net.per_host == 0 {
        return Err(Error::Usage(
            "--concurrency and --per-host must be at least 1".into(),
        ));
    }
    // tokio's semaphores panic above usize::MAX >> 3 permits; no run needs this many.
    if net.concurrency > MAX_CONCURRENCY {
        return Err(Error::Usage(format!(
            "--concurrency must be at most {MAX_CONCURRENCY}, not {}",
            net.concurrency
        )));
    }
    if net.retries > MAX_RETRIES {
        return Err(Error::Usage(format!(
            "--retries must be at most {MAX_RETRIES}, not {}",
            net.retries
        )));
    }
    if net.max_body == 0 {
        return Err(Error::Usage("--max-body must be at least 1".into()));
    }
    if net.body_budget == Some(0) {
        return Err(Error::Usage("--body-budget must be at least 1".into()));
    }
    Ok(Config {
        mode,
        sources: sources.sources.clone(),
        input_args: sources.inputs.clone(),
        input: std::sync::Arc::new(crate::input::InputSet::sources_file(&sources.sources)),
        quotes: files.quotes_file(),
        quotes_given: files.quotes.is_some(),
        archive: files.archive.clone(),
        report: files.report.clone(),
        links: links.links.clone(),
        fetch: FetchSettings {
            remap: Remap::parse(&net.remap)?,
            timeout,
            retries: net.retries,
            concurrency: net.concurrency,
            per_host: net.per_host.min(net.concurrency),
            host_interval: Duration::from_millis(net.host_interval),
            exclude_private: net.exclude_private,
            user_agent: net.user_agent.clone().unwrap_or_else(default_user_agent),
            body_budget: net
                .body_budget
                .map_or(crate::config::DEFAULT_BODY_BUDGET, |b| {
                    usize::try_from(b).unwrap_or(usize::MAX)
                }),
        },
        max_body: net.max_body,
        raw_csv: output.raw_csv,
        warc_max_size: warc_max_size.unwrap_or(DEFAULT_WARC_MAX_SIZE),
        offline: offline || mode == Mode::Verify,
        archive_access,
        rescue: match mode {
            Mode::Check => links.rescue,
            _ => !links.no_rescue,
        },
        deadline: match &links.deadline {
            Some(text) => Some(
                std::time::Instant::now()
                    + parse_max_age(text)
                        .map_err(|e| Error::Usage(e.replace("--cache-max-age", "--deadline")))?,
            ),
            None => None,
        },
        probe: !links.no_probe,
        resume: links.resume,
        fail_on: FailOn::parse(&output.fail_on)?,
        progress: !output.no_progress,
        shard: links.shard.as_deref().map(Shard::parse).transpose()?,
        publish: Publish::for_command(
            mode,
            offline,
            output.format,
            output.output.clone(),
            &links.links,
            &files.report,
        )
        .map_err(Error::Usage)?,
        cache: match &links.cache {
            Some(path) => Some(CacheSettings {
                path: path.clone(),
                max_age: parse_max_age(&links.cache_max_age).map_err(Error::Usage)?,
            }),
            None => None,
        },
        accept: links
            .accept
            .as_deref()
            .map(AcceptStatus::parse)
            .transpose()
            .map_err(Error::Usage)?,
        screenshots: shots
            .filter(|s| s.screenshots)
            .map(|s| crate::archive::shots::ShotSettings {
                chromium: s.chromium.clone(),
                timeout: crate::archive::shots::SHOT_TIMEOUT,
            }),
    })
}

/// `citecheck completions SHELL`: the completion script for `shell`, generated from the
/// same definitions as `--help`.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "citecheck", out);
}

/// `citecheck man`: the main manual page (roff), listing every command.
pub fn write_man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let command = <Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(command).render(out)
}

/// `citecheck man --dir DIR`: `citecheck.1` and one page per command (`citecheck-run.1`, …).
pub fn write_man_pages(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), dir)
}

/// A size in bytes: a number with an optional suffix `B`, `KB`/`MB`/`GB`/`TB` (powers of
/// 1000) or `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024), case-insensitive, spaces allowed.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use e.g. 500MB or 1GiB)"
            ));
        }
    };
    let number = number.replace('_', "");
    let value = if number.contains('.') {
        let x: f64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size"))?;
        let bytes = x * factor as f64;
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(format!("{text:?} is too large"));
        }
        bytes.round() as u64
    } else {
        number
            .parse::<u64>()
            .map_err(|_| format!("{text:?} is not a size"))?
            .checked_mul(factor)
            .ok_or_else(|| format!("{text:?} is too large"))?
    };
    if value == 0 {
        return Err("the size must be at least 1 byte".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_args(network: NetworkArgs) -> CheckArgs {
        CheckArgs {
            sources: SourcesArgs {
                inputs: Vec::new(),
                sources: "sources.csv".into(),
            },
            offline: false,
            links: LinkArgs::default(),
            network,
            output: OutputArgs::default(),
        }
    }

    #[test]
    fn absurd_timeouts_are_usage_errors_not_panics() {
        for timeout in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 86_401.0] {
            let args = check_args(NetworkArgs {
                timeout,
                ..NetworkArgs::default()
            });
            assert!(args.resolve().is_err(), "{timeout}");
        }
        let net = NetworkArgs {
            timeout: 0.5,
            ..NetworkArgs::default()
        };
        let config = check_args(net.clone()).resolve().unwrap();
        assert_eq!(config.fetch.timeout, Duration::from_millis(500));
        for bad in [
            NetworkArgs {
                host_interval: u64::MAX,
                ..net.clone()
            },
            NetworkArgs {
                concurrency: usize::MAX,
                ..net.clone()
            },
            NetworkArgs {
                retries: u32::MAX,
                ..net.clone()
            },
        ] {
            assert!(check_args(bad.clone()).resolve().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn check_offline_is_a_usage_error() {
        let args = CheckArgs {
            offline: true,
            ..check_args(NetworkArgs::default())
        };
        assert!(args.resolve().is_err());
        let Some(Command::Run(run)) = Cli::parse_from(["citecheck", "run", "--offline"]).command
        else {
            panic!("not run");
        };
        assert!(run.resolve().unwrap().offline);
        let Some(Command::Verify(verify)) = Cli::parse_from(["citecheck", "verify"]).command else {
            panic!("not verify");
        };
        let config = verify.resolve().unwrap();
        assert!(config.offline);
        assert_eq!(
            config.archive_access,
            ArchiveAccess::ReadOnly { lock: true }
        );
    }

    /// The hand-written `Default`s are what the command line gives when nothing is typed.
    #[test]
    fn group_defaults_are_the_command_line_defaults() {
        let Some(Command::Run(run)) = Cli::parse_from(["citecheck", "run"]).command else {
            panic!("not run");
        };
        assert_eq!(
            format!("{:?}", run.network),
            format!("{:?}", NetworkArgs::default())
        );
        assert_eq!(
            format!("{:?}", run.links),
            format!("{:?}", LinkArgs::default())
        );
        assert_eq!(
            format!("{:?}", run.output),
            format!("{:?}", OutputArgs::default())
        );
        // And `citecheck` alone is `run` with the same settings.
        let bare = Cli::parse_from(["citecheck"]);
        assert!(bare.command.is_none());
        assert_eq!(format!("{:?}", bare.run), format!("{run:?}"));
    }

    /// Each command refuses the options of the others.
    #[test]
    fn commands_take_only_their_own_options() {
        for line in [
            &["citecheck", "verify", "--timeout", "5"][..],
            &["citecheck", "verify", "--remap", "a b"],
            &["citecheck", "verify", "--shard", "1/2"],
            &["citecheck", "check", "--quotes", "x.csv"],
            &["citecheck", "check", "--archive", "a"],
            &["citecheck", "check", "--report", "r.csv"],
            &["citecheck", "check", "--warc-max-size", "1MB"],
            &["citecheck", "verify", "--repair", "--no-lock"],
            &["citecheck", "check", "--wacz", "out.wacz"],
            &["citecheck", "pack"],
            &["citecheck", "pack", "--output", "a.wacz", "--timeout", "5"],
        ] {
            assert!(Cli::try_parse_from(line).is_err(), "{line:?}");
        }
        for line in [
            &["citecheck", "--timeout", "5", "--quotes", "q.csv"][..],
            &["citecheck", "check", "--timeout", "5", "--links", "l.csv"],
            &[
                "citecheck",
                "verify",
                "--report",
                "r.csv",
                "--html",
                "r.html",
            ],
            &["citecheck", "verify", "--no-lock", "--links", "l.csv"],
            &["citecheck", "run", "--offline", "--warc-max-size", "1MB"],
            &["citecheck", "run", "--wacz", "out.wacz"],
            &["citecheck", "verify", "--no-lock", "--wacz", "out.wacz"],
            &["citecheck", "pack", "--archive", "a", "--output", "a.wacz"],
        ] {
            assert!(Cli::try_parse_from(line).is_ok(), "{line:?}");
        }
    }

    #[test]
    fn sizes_with_and_without_units() {
        for (text, want) in [
            ("1", 1),
            ("1048576", 1 << 20),
            ("1GiB", 1 << 30),
            ("1 gib", 1 << 30),
            ("500MB", 500_000_000),
            ("500mb", 500_000_000),
            ("64KiB", 65_536),
            ("2k", 2_000),
            ("1.5MiB", 1_572_864),
            ("10_000", 10_000),
            ("7B", 7),
        ] {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "0",
            "0MB",
            "MB",
            "1XB",
            "-1",
            "1.2.3MB",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}

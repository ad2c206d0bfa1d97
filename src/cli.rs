//! What the user typed: the clap definitions. Doc comments here are the `--help` text.
//! [`RunArgs::resolve`] turns these raw flags into the validated settings of
//! [`crate::config::Config`]; nothing below this module sees a flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use std::time::Duration;

use crate::check::accept::AcceptStatus;
use crate::check::cache::{CacheSettings, DEFAULT_CACHE_MAX_AGE, parse_max_age};
use crate::config::{
    Config, DEFAULT_CONCURRENCY, DEFAULT_HOST_INTERVAL_MS, DEFAULT_MAX_BODY, DEFAULT_PER_HOST,
    DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS, DEFAULT_WARC_MAX_SIZE, FailOn, FetchSettings,
    MAX_CONCURRENCY, MAX_RETRIES, MAX_TIMEOUT, Mode, OutputFormat, Publish, Remap, Shard,
    default_user_agent, timeout_from_secs,
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

/// The subcommands (README.md).
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
    /// Body bytes held in the whole run at once (read, and not yet judged, extracted and
    /// archived; `run` counts each body byte three times) [default: 32MiB]; a read waits
    /// while they are spent, so memory is bounded on big pages. A body larger than this
    /// still proceeds, alone. Suffixes as for --warc-max-size.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub body_budget: Option<u64>,
    /// Start a new WARC file when the next page would take the open one past this size
    /// [default: 1GiB]; suffixes KB, MB, GB (powers of 1000) and KiB, MiB, GiB (of 1024). A
    /// page's records are never split over two files.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub warc_max_size: Option<u64>,
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
    /// Write links.csv and report.csv without the formula guard: by default a text cell that
    /// starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so that a
    /// spreadsheet shows it as text instead of running it (a page title such as
    /// `=HYPERLINK(…)`). For machine consumers; JSON output is never altered.
    #[arg(long)]
    pub raw_csv: bool,
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

impl RunArgs {
    /// Validates the flags of `run`/`check`/`verify` into the settings the stages use.
    pub fn resolve(&self, mode: Mode) -> Result<Config> {
        // `check` is the network: with --offline it would have to fetch (and did: DNS and
        // web-archive look-ups) or report nothing. Say so instead.
        if mode == Mode::Check && self.offline {
            return Err(Error::Usage(
                "check --offline: checking links needs the network; use `verify` (or \
                 `run --offline`) to locate quotes in the archive without it"
                    .into(),
            ));
        }
        let timeout = timeout_from_secs(self.timeout)?;
        if Duration::from_millis(self.host_interval) > MAX_TIMEOUT {
            return Err(Error::Usage(format!(
                "--host-interval must be at most {} ms, not {}",
                MAX_TIMEOUT.as_millis(),
                self.host_interval
            )));
        }
        if self.concurrency == 0 || self.per_host == 0 {
            return Err(Error::Usage(
                "--concurrency and --per-host must be at least 1".into(),
            ));
        }
        // tokio's semaphores panic above usize::MAX >> 3 permits; no run needs this many.
        if self.concurrency > MAX_CONCURRENCY {
            return Err(Error::Usage(format!(
                "--concurrency must be at most {MAX_CONCURRENCY}, not {}",
                self.concurrency
            )));
        }
        if self.retries > MAX_RETRIES {
            return Err(Error::Usage(format!(
                "--retries must be at most {MAX_RETRIES}, not {}",
                self.retries
            )));
        }
        if self.max_body == 0 {
            return Err(Error::Usage("--max-body must be at least 1".into()));
        }
        if self.body_budget == Some(0) {
            return Err(Error::Usage("--body-budget must be at least 1".into()));
        }
        Ok(Config {
            mode,
            sources: self.sources.clone(),
            quotes: self.quotes.clone(),
            archive: self.archive.clone(),
            report: self.report.clone(),
            links: self.links.clone(),
            fetch: FetchSettings {
                remap: Remap::parse(&self.remap)?,
                timeout,
                retries: self.retries,
                concurrency: self.concurrency,
                per_host: self.per_host.min(self.concurrency),
                host_interval: Duration::from_millis(self.host_interval),
                exclude_private: self.exclude_private,
                user_agent: self.user_agent.clone().unwrap_or_else(default_user_agent),
                body_budget: self
                    .body_budget
                    .map_or(crate::config::DEFAULT_BODY_BUDGET, |b| {
                        usize::try_from(b).unwrap_or(usize::MAX)
                    }),
            },
            max_body: self.max_body,
            raw_csv: self.raw_csv,
            warc_max_size: self.warc_max_size.unwrap_or(DEFAULT_WARC_MAX_SIZE),
            offline: self.offline || mode == Mode::Verify,
            rescue: !self.no_rescue,
            probe: !self.no_probe,
            resume: self.resume,
            fail_on: FailOn::parse(&self.fail_on)?,
            progress: !self.no_progress,
            shard: self.shard.as_deref().map(Shard::parse).transpose()?,
            publish: Publish::for_command(
                mode,
                self.offline,
                self.format,
                self.output.clone(),
                &self.links,
                &self.report,
            )
            .map_err(Error::Usage)?,
            cache: match &self.cache {
                Some(path) => Some(CacheSettings {
                    path: path.clone(),
                    max_age: parse_max_age(&self.cache_max_age).map_err(Error::Usage)?,
                }),
                None => None,
            },
            accept: self
                .accept
                .as_deref()
                .map(AcceptStatus::parse)
                .transpose()
                .map_err(Error::Usage)?,
        })
    }
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

    #[test]
    fn absurd_timeouts_are_usage_errors_not_panics() {
        for timeout in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 86_401.0] {
            let args = RunArgs {
                timeout,
                concurrency: 1,
                per_host: 1,
                max_body: 1,
                fail_on: "default".into(),
                ..RunArgs::default()
            };
            assert!(args.resolve(Mode::Check).is_err(), "{timeout}");
        }
        let args = RunArgs {
            timeout: 0.5,
            concurrency: 1,
            per_host: 1,
            max_body: 1,
            fail_on: "default".into(),
            ..RunArgs::default()
        };
        let config = args.resolve(Mode::Check).unwrap();
        assert_eq!(config.fetch.timeout, Duration::from_millis(500));
        for bad in [
            RunArgs {
                host_interval: u64::MAX,
                ..args.clone()
            },
            RunArgs {
                concurrency: usize::MAX,
                ..args.clone()
            },
            RunArgs {
                retries: u32::MAX,
                ..args.clone()
            },
        ] {
            assert!(bad.resolve(Mode::Check).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn check_offline_is_a_usage_error() {
        let args = RunArgs {
            timeout: 1.0,
            concurrency: 1,
            per_host: 1,
            max_body: 1,
            fail_on: "default".into(),
            offline: true,
            ..RunArgs::default()
        };
        assert!(args.resolve(Mode::Check).is_err());
        assert!(args.resolve(Mode::Run).unwrap().offline);
        assert!(args.resolve(Mode::Verify).unwrap().offline);
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

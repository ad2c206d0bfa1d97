//! Resolved settings: [`Config`] holds the flags of `run`/`check`/`verify` once validated
//! (durations, non-zero limits, compiled `--remap` rules, `--fail-on` names) so that the
//! stages never see an unchecked value. The command line resolves into it
//! (`crate::cli::RunArgs::resolve` and its peers); this module never imports the flags. Each layer gets its
//! own part ([`Config::fetch`] for the HTTP layer). Every `DEFAULT_*` lives here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::archive::store::ArchiveAccess;
use crate::check::LinkStatus;
use crate::check::accept::AcceptStatus;
use crate::check::cache::CacheSettings;
use crate::error::{Error, Result};
pub use crate::http::Remap;
pub use crate::http::body::MAX_DECODED_BODY;
pub use crate::http::fetch::FetchSettings;
use crate::locate::Verdict;

/// Seconds per request attempt.
pub const DEFAULT_TIMEOUT_SECS: f64 = 20.0;
/// Retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 2;
/// Requests in flight in total.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// Requests in flight per host.
pub const DEFAULT_PER_HOST: usize = 4;
/// Minimum gap between request starts to one host.
pub const DEFAULT_HOST_INTERVAL_MS: u64 = 100;
/// Body cap per response (raw bytes on the wire), 10 MiB as in docs/links.md §7.
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// `--warc-max-size`: a run starts a new WARC file before one would grow past this (1 GiB,
/// the size the WARC spec's annex suggests).
pub const DEFAULT_WARC_MAX_SIZE: u64 = 1 << 30;
/// Body bytes in flight in a run (read, and not yet judged, extracted and archived): memory
/// is bounded by bytes, not by the number of pages (docs/links.md §7). Far above what
/// normal pages need at the default concurrency (32 × 256 KiB).
pub const DEFAULT_BODY_BUDGET: usize = 32 * 1024 * 1024;
/// In `check` mode only the head of a page is needed (title, soft-404 signals).
pub const CHECK_MODE_BODY: usize = 256 * 1024;
/// Most requests in flight `--concurrency` accepts.
pub const MAX_CONCURRENCY: usize = 10_000;
/// Most retries `--retries` accepts (each waits up to a minute).
pub const MAX_RETRIES: u32 = 100;
/// Longest `--timeout` (and `--host-interval`) accepted: a day.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Which stages a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Links, archive, text, quotes.
    Run,
    /// Links only.
    Check,
    /// Quotes from the archive only.
    Verify,
}

/// Validated settings for `run`, `check` and `verify`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which stages run.
    pub mode: Mode,
    /// The cited URLs.
    pub sources: PathBuf,
    /// The `[INPUTS]...` as given (empty: the sources file).
    pub input_args: Vec<String>,
    /// Where the rows come from: the sources file, or the inputs once read (the pipeline
    /// reads them before the first stage, fetching the pages among them).
    pub input: std::sync::Arc<crate::input::InputSet>,
    /// The quotations.
    pub quotes: PathBuf,
    /// `--quotes` was given: the file must exist (else `run` goes on without quotes).
    pub quotes_given: bool,
    /// The archive folder.
    pub archive: PathBuf,
    /// Where report.csv goes (`-` = stdout).
    pub report: PathBuf,
    /// Where links.csv goes (`-` = stdout).
    pub links: PathBuf,
    /// The HTTP layer's settings: `--remap`, `--timeout`, `--retries`, `--concurrency`,
    /// `--per-host`, `--host-interval`, `--exclude-private`, `--user-agent`.
    pub fetch: FetchSettings,
    /// Raw body cap per response.
    pub max_body: usize,
    /// Largest WARC file a run writes before it starts the next (a capture is never split).
    pub warc_max_size: u64,
    /// No network at all.
    pub offline: bool,
    /// What reading the archive (`verify`, `run --offline`) may change in it.
    pub archive_access: ArchiveAccess,
    /// Ask the web archive for copies of dead links.
    pub rescue: bool,
    /// Probe each cited folder for a host that answers every path.
    pub probe: bool,
    /// Keep the rows an interrupted run already wrote.
    pub resume: bool,
    /// `--deadline`: when the link stream stops starting requests and writes what it has.
    pub deadline: Option<std::time::Instant>,
    /// What makes the exit code 1.
    pub fail_on: FailOn,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// This process's part of the sources: (k, n), 0-based k.
    pub shard: Option<Shard>,
    /// `--format`/`--output`, and whether stdout carries data.
    pub publish: Publish,
    /// `--raw-csv`: CSV cells are written as they are, without the formula guard.
    pub raw_csv: bool,
    /// `--cache`/`--cache-max-age`.
    pub cache: Option<CacheSettings>,
    /// `--accept`: the HTTP statuses that count as live (default: any 2xx).
    pub accept: Option<AcceptStatus>,
    /// `--screenshots` (`run`): a picture of each located quote in its archived page.
    pub screenshots: Option<crate::archive::shots::ShotSettings>,
}

/// The combined rendering `--format` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Nothing beyond links.csv and report.csv.
    #[default]
    Csv,
    /// One JSON document (docs/report.schema.json).
    Json,
    /// A summary table and a table of problems.
    Markdown,
    /// JUnit XML for GitLab and Jenkins.
    Junit,
}

/// Resolved output settings of a run.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    /// The `--format` rendering.
    pub format: OutputFormat,
    /// Where it goes (`None`: stdout).
    pub output: Option<PathBuf>,
    /// Whether stdout carries data in this run (annotations then go to stderr).
    pub stdout_has_data: bool,
}

impl Publish {
    /// Checks `--format`/`--output` against `--links -`/`--report -`: only one data stream
    /// may go to stdout. `links_to_stdout`/`report_to_stdout` say whether this command writes
    /// that file and it is `-`.
    pub fn resolve(
        format: OutputFormat,
        output: Option<PathBuf>,
        links_to_stdout: bool,
        report_to_stdout: bool,
    ) -> std::result::Result<Publish, String> {
        let output = output.filter(|p| p.as_os_str() != "-");
        if links_to_stdout && report_to_stdout {
            // Two CSVs with different columns, one after the other, parse as neither.
            return Err(
                "--links - and --report - would both write a CSV to stdout; send one to a file"
                    .into(),
            );
        }
        if format == OutputFormat::Csv && output.is_some() {
            return Err("--output needs --format json, markdown or junit".into());
        }
        let format_to_stdout = format != OutputFormat::Csv && output.is_none();
        if format_to_stdout && (links_to_stdout || report_to_stdout) {
            return Err(format!(
                "--format {} writes to stdout, and so does {}; give --output FILE",
                format.name(),
                if links_to_stdout {
                    "--links -"
                } else {
                    "--report -"
                }
            ));
        }
        Ok(Publish {
            format,
            output,
            stdout_has_data: format_to_stdout || links_to_stdout || report_to_stdout,
        })
    }

    /// The settings for a command: which CSV files it writes decides what stdout carries.
    pub fn for_command(
        mode: Mode,
        _offline: bool,
        format: OutputFormat,
        output: Option<PathBuf>,
        links: &Path,
        report: &Path,
    ) -> std::result::Result<Publish, String> {
        // Every command writes links.csv (`verify` and `run --offline` from the archive), so
        // `--links -` always takes stdout; `_offline` no longer changes that.
        let writes_links = true;
        let writes_report = mode != Mode::Check;
        Publish::resolve(
            format,
            output,
            writes_links && links.as_os_str() == "-",
            writes_report && report.as_os_str() == "-",
        )
    }
}

impl OutputFormat {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Markdown => "markdown",
            Self::Junit => "junit",
        }
    }
}

/// One part of a sharded run (`--shard K/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index of this shard.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(value: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard '{value}': expected K/N with 1 <= K <= N, e.g. 2/8"
            ))
        };
        let (k, n) = value.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// Whether a URL with this host belongs to this shard. The hash is FNV-1a of the host
    /// without `www.`, stable across machines and versions, so every process of a sharded
    /// run agrees, and one host's requests stay in one process (its politeness holds).
    pub fn holds(&self, host: &str) -> bool {
        let host = host.trim_start_matches("www.").to_ascii_lowercase();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in host.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash % self.count == self.index
    }
}

/// Validates `--timeout`: a positive number of seconds up to [`MAX_TIMEOUT`].
pub fn timeout_from_secs(secs: f64) -> Result<Duration> {
    // try_from: `Duration::from_secs_f64(1e300)` panics (found while hardening).
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT)
        .ok_or_else(|| {
            Error::Usage(format!(
                "--timeout must be a positive number of seconds up to {}, not {secs:?}",
                MAX_TIMEOUT.as_secs(),
            ))
        })
}

/// The User-Agent sent when none is given.
pub fn default_user_agent() -> String {
    format!(
        "citecheck/{} (+https://github.com/citecheck/citecheck)",
        env!("CARGO_PKG_VERSION")
    )
}

/// The findings that make the exit code 1: link statuses and quote verdicts, as types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailOn {
    /// `input`: rows of the sources or quotes file skipped as malformed.
    input: bool,
    links: BTreeSet<LinkStatus>,
    verdicts: BTreeSet<Verdict>,
}

/// Every quote verdict, in the order `--fail-on` lists them.
pub const QUOTE_VERDICTS: [Verdict; 5] = Verdict::ALL;

/// Link statuses and quote verdicts that fail a run by default (contract: not `blocked`).
pub const DEFAULT_FAIL_ON: &[&str] = &[
    "broken",
    "timeout",
    "unreachable",
    "soft_404",
    "invalid",
    "misattributed",
    "source_unavailable",
    "not_found",
    "input",
];

/// Every name `--fail-on` accepts.
pub const FAIL_ON_NAMES: &[&str] = &[
    "ok",
    "redirected",
    "broken",
    "timeout",
    "unreachable",
    "soft_404",
    "blocked",
    "invalid",
    "duplicate",
    "verified",
    "approximate",
    "misattributed",
    "source_unavailable",
    "not_found",
    "input",
];

impl FailOn {
    /// Parses a comma-separated list; `default`, `none` and `all` are shorthands, and
    /// `default,blocked` adds to the default set.
    pub fn parse(list: &str) -> Result<FailOn> {
        let mut names = BTreeSet::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "default" => names.extend(DEFAULT_FAIL_ON.iter().map(|s| s.to_string())),
                "none" => {}
                "all" => names.extend(
                    FAIL_ON_NAMES
                        .iter()
                        .filter(|n| !matches!(**n, "ok" | "redirected" | "verified"))
                        .map(|s| s.to_string()),
                ),
                name if FAIL_ON_NAMES.contains(&name) => {
                    names.insert(name.to_string());
                }
                other => {
                    return Err(Error::Usage(format!(
                        "--fail-on: unknown name '{other}'; expected some of: default, none, all, {}",
                        FAIL_ON_NAMES.join(", ")
                    )));
                }
            }
        }
        Ok(FailOn {
            input: names.contains("input"),
            links: LinkStatus::ALL
                .into_iter()
                .filter(|s| names.contains(s.as_str()))
                .collect(),
            verdicts: QUOTE_VERDICTS
                .into_iter()
                .filter(|v| names.contains(v.as_str()))
                .collect(),
        })
    }

    /// Whether a link with this status fails the run.
    pub fn fails_link(&self, status: LinkStatus) -> bool {
        self.links.contains(&status)
    }

    /// Whether a malformed (skipped) row of an input file fails the run.
    pub fn fails_input(&self) -> bool {
        self.input
    }

    /// Whether a quote with this verdict fails the run.
    pub fn fails_verdict(&self, verdict: Verdict) -> bool {
        self.verdicts.contains(&verdict)
    }

    /// The names this set holds, in `FAIL_ON_NAMES` order (statuses, verdicts, `input`).
    pub fn names(&self) -> Vec<&'static str> {
        LinkStatus::ALL
            .into_iter()
            .filter(|s| self.fails_link(*s))
            .map(LinkStatus::as_str)
            .chain(
                Verdict::ALL
                    .into_iter()
                    .filter(|v| self.fails_verdict(*v))
                    .map(Verdict::as_str),
            )
            .chain(self.input.then_some("input"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_by_host_and_cover_everything() {
        assert!(
            Shard::parse("0/3").is_err()
                && Shard::parse("4/3").is_err()
                && Shard::parse("x").is_err()
        );
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for host in [
            "www.overheidvannu.nl",
            "rijksoverheid.nl",
            "a.b.c",
            "127.0.0.1",
        ] {
            assert_eq!(shards.iter().filter(|s| s.holds(host)).count(), 1, "{host}");
        }
        let s = shards[0];
        assert_eq!(s.holds("www.x.nl"), s.holds("x.nl"));
    }

    #[test]
    fn fail_on_default_excludes_blocked() {
        let f = FailOn::parse("default").unwrap();
        assert!(f.fails_link(LinkStatus::Broken) && f.fails_verdict(Verdict::NotFound));
        assert!(!f.fails_link(LinkStatus::Blocked) && !f.fails_verdict(Verdict::Approximate));
        let f = FailOn::parse("default,blocked").unwrap();
        assert!(f.fails_link(LinkStatus::Blocked));
        assert!(f.names().contains(&"blocked") && f.names().contains(&"not_found"));
        assert!(f.fails_input());
        let f = FailOn::parse("none").unwrap();
        assert!(!f.fails_link(LinkStatus::Broken) && !f.fails_input());
        assert!(f.names().is_empty());
        assert!(!FailOn::parse("broken").unwrap().fails_input());
        assert!(FailOn::parse("all").unwrap().fails_input());
        assert!(FailOn::parse("brokn").is_err());
    }

    #[test]
    fn fail_on_is_typed_and_its_names_are_the_types_names() {
        let names: Vec<&str> = LinkStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .chain(QUOTE_VERDICTS.iter().map(|v| v.as_str()))
            .chain(std::iter::once("input"))
            .collect();
        assert_eq!(names, FAIL_ON_NAMES);
        let f = FailOn::parse("default").unwrap();
        assert!(f.fails_link(LinkStatus::Soft404) && !f.fails_link(LinkStatus::Blocked));
        assert!(f.fails_verdict(Verdict::NotFound) && !f.fails_verdict(Verdict::Approximate));
        let f = FailOn::parse("all").unwrap();
        assert!(!f.fails_link(LinkStatus::Ok) && !f.fails_verdict(Verdict::Verified));
        assert!(f.fails_link(LinkStatus::Duplicate) && f.fails_verdict(Verdict::Approximate));
    }
}

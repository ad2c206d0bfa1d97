//! Resolved settings: [`Config::from_args`] validates the raw flags of [`crate::cli::RunArgs`]
//! once (durations, non-zero limits, compiled `--remap` rules, `--fail-on` names) so that the
//! stages never see an unchecked value. Every `DEFAULT_*` lives here.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::check::accept::AcceptStatus;
use crate::check::cache::{CacheSettings, parse_max_age};
use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::report::publish::Publish;

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
/// Body cap per response (raw bytes on the wire), 10 MiB as in links.md §7.
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// `--warc-max-size`: a run starts a new WARC file before one would grow past this (1 GiB,
/// the size the WARC spec's annex suggests).
pub const DEFAULT_WARC_MAX_SIZE: u64 = 1 << 30;
/// Cap on a decompressed body: a gzip bomb stops here.
pub const MAX_DECODED_BODY: usize = 50 * 1024 * 1024;
/// In `check` mode only the head of a page is needed (title, soft-404 signals).
pub const CHECK_MODE_BODY: usize = 256 * 1024;
/// Redirect hops followed before a link is `broken` (lychee's default).
pub const MAX_REDIRECTS: usize = 10;
/// Most requests in flight `--concurrency` accepts.
pub const MAX_CONCURRENCY: usize = 10_000;
/// Most retries `--retries` accepts (each waits up to a minute).
pub const MAX_RETRIES: u32 = 100;
/// Longest `--timeout` (and `--host-interval`) accepted: a day.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// Longest wait a `Retry-After` may ask for before we give up on the URL.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

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
    /// The quotations.
    pub quotes: PathBuf,
    /// The archive folder.
    pub archive: PathBuf,
    /// Where report.csv goes (`-` = stdout).
    pub report: PathBuf,
    /// Where links.csv goes (`-` = stdout).
    pub links: PathBuf,
    /// URL rewriting applied to every request.
    pub remap: Remap,
    /// Per attempt, connect to last byte.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Requests in flight in total.
    pub concurrency: usize,
    /// Requests in flight per host.
    pub per_host: usize,
    /// Minimum gap between request starts to one host.
    pub host_interval: Duration,
    /// Raw body cap per response.
    pub max_body: usize,
    /// Largest WARC file a run writes before it starts the next (a capture is never split).
    pub warc_max_size: u64,
    /// No network at all.
    pub offline: bool,
    /// Refuse private, loopback, ULA and CGNAT addresses (loopback only via `--remap`).
    pub exclude_private: bool,
    /// Ask the web archive for copies of dead links.
    pub rescue: bool,
    /// Probe each cited folder for a host that answers every path.
    pub probe: bool,
    /// Keep the rows an interrupted run already wrote.
    pub resume: bool,
    /// What makes the exit code 1.
    pub fail_on: FailOn,
    /// Sent with every request.
    pub user_agent: String,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// This process's part of the sources: (k, n), 0-based k.
    pub shard: Option<Shard>,
    /// `--format`/`--output`, and whether stdout carries data.
    pub publish: Publish,
    /// `--cache`/`--cache-max-age`.
    pub cache: Option<CacheSettings>,
    /// `--accept`: the HTTP statuses that count as live (default: any 2xx).
    pub accept: Option<AcceptStatus>,
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

/// The User-Agent sent when none is given.
pub fn default_user_agent() -> String {
    format!(
        "citecheck/{} (+https://github.com/citecheck/citecheck)",
        env!("CARGO_PKG_VERSION")
    )
}

impl Config {
    /// Validates the flags of `run`/`check`/`verify`.
    pub fn from_args(mode: Mode, args: &RunArgs) -> Result<Config> {
        // `check` is the network: with --offline it would have to fetch (and did: DNS and
        // web-archive look-ups) or report nothing. Say so instead.
        if mode == Mode::Check && args.offline {
            return Err(Error::Usage(
                "check --offline: checking links needs the network; use `verify` (or \
                 `run --offline`) to locate quotes in the archive without it"
                    .into(),
            ));
        }
        // try_from: `Duration::from_secs_f64(1e300)` panics (found while hardening).
        let timeout = Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--timeout must be a positive number of seconds up to {}, not {:?}",
                    MAX_TIMEOUT.as_secs(),
                    args.timeout
                ))
            })?;
        if Duration::from_millis(args.host_interval) > MAX_TIMEOUT {
            return Err(Error::Usage(format!(
                "--host-interval must be at most {} ms, not {}",
                MAX_TIMEOUT.as_millis(),
                args.host_interval
            )));
        }
        if args.concurrency == 0 || args.per_host == 0 {
            return Err(Error::Usage(
                "--concurrency and --per-host must be at least 1".into(),
            ));
        }
        // tokio's semaphores panic above usize::MAX >> 3 permits; no run needs this many.
        if args.concurrency > MAX_CONCURRENCY {
            return Err(Error::Usage(format!(
                "--concurrency must be at most {MAX_CONCURRENCY}, not {}",
                args.concurrency
            )));
        }
        if args.retries > MAX_RETRIES {
            return Err(Error::Usage(format!(
                "--retries must be at most {MAX_RETRIES}, not {}",
                args.retries
            )));
        }
        if args.max_body == 0 {
            return Err(Error::Usage("--max-body must be at least 1".into()));
        }
        Ok(Config {
            mode,
            sources: args.sources.clone(),
            quotes: args.quotes.clone(),
            archive: args.archive.clone(),
            report: args.report.clone(),
            links: args.links.clone(),
            remap: Remap::parse(&args.remap)?,
            timeout,
            retries: args.retries,
            concurrency: args.concurrency,
            per_host: args.per_host.min(args.concurrency),
            host_interval: Duration::from_millis(args.host_interval),
            max_body: args.max_body,
            warc_max_size: args.warc_max_size.unwrap_or(DEFAULT_WARC_MAX_SIZE),
            offline: args.offline || mode == Mode::Verify,
            exclude_private: args.exclude_private,
            rescue: !args.no_rescue,
            probe: !args.no_probe,
            resume: args.resume,
            fail_on: FailOn::parse(&args.fail_on)?,
            user_agent: args.user_agent.clone().unwrap_or_else(default_user_agent),
            progress: !args.no_progress,
            shard: args.shard.as_deref().map(Shard::parse).transpose()?,
            publish: Publish::for_command(
                mode,
                args.offline,
                args.format,
                args.output.clone(),
                &args.links,
                &args.report,
            )
            .map_err(Error::Usage)?,
            cache: match &args.cache {
                Some(path) => Some(CacheSettings {
                    path: path.clone(),
                    max_age: parse_max_age(&args.cache_max_age).map_err(Error::Usage)?,
                }),
                None => None,
            },
            accept: args
                .accept
                .as_deref()
                .map(AcceptStatus::parse)
                .transpose()
                .map_err(Error::Usage)?,
        })
    }
}

/// `--remap` rules: tried in order, the first whose pattern matches rewrites the URL
/// (`replace_all`, as lychee does).
#[derive(Debug, Clone, Default)]
pub struct Remap {
    rules: Vec<(Regex, String)>,
}

impl Remap {
    /// Parses `'REGEX REPLACEMENT'` values, split at the first space.
    pub fn parse(values: &[String]) -> Result<Remap> {
        let mut rules = Vec::with_capacity(values.len());
        for value in values {
            let Some((pattern, replacement)) = value.trim().split_once(' ') else {
                return Err(Error::Usage(format!(
                    "--remap '{value}': expected 'REGEX REPLACEMENT' separated by one space"
                )));
            };
            let regex = Regex::new(pattern)
                .map_err(|e| Error::Usage(format!("--remap '{value}': invalid regex: {e}")))?;
            rules.push((regex, replacement.trim().to_string()));
        }
        Ok(Remap { rules })
    }

    /// The URL to request for `url`; unchanged when no rule matches.
    pub fn apply(&self, url: &str) -> String {
        for (regex, replacement) in &self.rules {
            if regex.is_match(url) {
                return regex.replace_all(url, replacement.as_str()).into_owned();
            }
        }
        url.to_string()
    }

    /// Whether any rule is set.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The findings that make the exit code 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailOn {
    names: BTreeSet<String>,
}

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
        Ok(FailOn { names })
    }

    /// Whether a finding with this status or verdict name fails the run.
    pub fn fails(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remap_first_matching_rule_wins_and_keeps_groups() {
        let remap = Remap::parse(&[
            r"^https://www\.overheidvannu\.nl/(.*) http://127.0.0.1:8080/${1}".to_string(),
            r"^https://www\. http://other/".to_string(),
        ])
        .unwrap();
        assert_eq!(
            remap.apply("https://www.overheidvannu.nl/actueel/a?b=1"),
            "http://127.0.0.1:8080/actueel/a?b=1"
        );
        assert_eq!(
            remap.apply("https://www.example.org/"),
            "http://other/example.org/"
        );
        assert_eq!(remap.apply("http://x.nl/"), "http://x.nl/");
    }

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
            assert!(Config::from_args(Mode::Check, &args).is_err(), "{timeout}");
        }
        let args = RunArgs {
            timeout: 0.5,
            concurrency: 1,
            per_host: 1,
            max_body: 1,
            fail_on: "default".into(),
            ..RunArgs::default()
        };
        let config = Config::from_args(Mode::Check, &args).unwrap();
        assert_eq!(config.timeout, Duration::from_millis(500));
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
            assert!(Config::from_args(Mode::Check, &bad).is_err(), "{bad:?}");
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
        assert!(Config::from_args(Mode::Check, &args).is_err());
        assert!(Config::from_args(Mode::Run, &args).unwrap().offline);
        assert!(Config::from_args(Mode::Verify, &args).unwrap().offline);
    }

    #[test]
    fn remap_without_space_is_a_usage_error() {
        assert!(Remap::parse(&["^https://x".to_string()]).is_err());
        assert!(Remap::parse(&["(unclosed x".to_string()]).is_err());
    }

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
        assert!(f.fails("broken") && f.fails("not_found"));
        assert!(!f.fails("blocked") && !f.fails("approximate"));
        let f = FailOn::parse("default,blocked").unwrap();
        assert!(f.fails("blocked"));
        let f = FailOn::parse("none").unwrap();
        assert!(!f.fails("broken"));
        assert!(FailOn::parse("brokn").is_err());
    }
}

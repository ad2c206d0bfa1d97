//! The order of stages per command. Each stage is one bounded stream
//! (`buffer_unordered`), results are re-ordered by row before they are written, and one
//! item's failure is a value in its row while the run goes on.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use futures::StreamExt;
use futures::stream;

use crate::check::{self, LinkRecord, LinkStatus, Page};
use crate::cli::{Cli, Command};
use crate::config::{CHECK_MODE_BODY, Config, Mode};
use crate::error::{Error, Result};
use crate::http::{FetchOutcome, Fetcher, build_client};
use crate::input::url::{duplicate_key, parse_cited};
use crate::input::{Source, SourceReader};
use crate::report::links::LinkCsvWriter;
use crate::report::open_output;

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Something `--fail-on` names was found.
    pub findings: bool,
}

impl Outcome {
    /// 0 clean, 1 findings.
    pub fn exit_code(self) -> u8 {
        u8::from(self.findings)
    }
}

/// Runs the command the user asked for.
pub async fn execute(cli: Cli) -> Result<Outcome> {
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    match command {
        Command::Run(args) => {
            let config = Config::from_args(Mode::Run, &args)?;
            crate::progress::enable(config.progress);
            check_links(&config).await
        }
        Command::Check(args) => {
            let config = Config::from_args(Mode::Check, &args)?;
            crate::progress::enable(config.progress);
            check_links(&config).await
        }
        Command::Verify(_) | Command::Ingest(_) | Command::Text(_) => {
            Err(Error::Usage("not yet available".into()))
        }
    }
}

/// What the check stage hands on per sources row.
pub struct Checked {
    /// The links.csv row.
    pub record: LinkRecord,
    /// The decoded live page, when it is the cited page.
    pub page: Option<Page>,
    /// Every exchange made (for the archive).
    pub outcome: Option<FetchOutcome>,
}

/// Work for one sources row.
enum Job {
    Fetch(Source, url::Url),
    Ready(LinkRecord),
    Duplicate(Source, usize),
}

/// `check` (and the first stage of `run`): every row of the sources file to a links.csv row.
pub async fn check_links(config: &Config) -> Result<Outcome> {
    let mut reader = SourceReader::open(&config.sources)?;
    let client = build_client(config.timeout)?;
    let body_limit = if config.mode == Mode::Check {
        config.max_body.min(CHECK_MODE_BODY)
    } else {
        config.max_body
    };
    let cap_is_users = body_limit == config.max_body;
    let fetcher = Fetcher::new(client, config, body_limit);
    let out = open_output(&config.links)?;
    let mut writer = LinkCsvWriter::new(out).map_err(|e| csv_error(&config.links, e))?;
    let bar = crate::progress::stage_bar("check", None);

    // Rows are read lazily: `buffer_unordered` pulls the next one when a slot frees up.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let jobs = std::iter::from_fn(move || {
        loop {
            match reader.next_source() {
                Err(e) => {
                    tracing::error!("{e}");
                    return None;
                }
                Ok(None) => return None,
                Ok(Some(Err(problem))) => {
                    tracing::warn!("{problem}");
                    continue;
                }
                Ok(Some(Ok(source))) => {
                    let job = match parse_cited(&source.url) {
                        Err(invalid) => Job::Ready(check::invalid_record(
                            &source,
                            invalid.reason,
                            &invalid.message,
                        )),
                        Ok(url) => match seen.get(&duplicate_key(&url)) {
                            Some(&first) => Job::Duplicate(source, first),
                            None => {
                                seen.insert(duplicate_key(&url), source.index);
                                Job::Fetch(source, url)
                            }
                        },
                    };
                    return Some(job);
                }
            }
        }
    });
    let fetcher = &fetcher;
    let mut results = stream::iter(jobs)
        .map(|job| async move {
            match job {
                Job::Ready(record) => Done::Row(Box::new(Checked {
                    record,
                    page: None,
                    outcome: None,
                })),
                Job::Duplicate(source, first) => Done::Duplicate(source, first),
                Job::Fetch(source, url) => {
                    let outcome = fetcher.fetch(&url).await;
                    let (record, page) =
                        check::judge(&source, &url, &outcome, cap_is_users, body_limit);
                    Done::Row(Box::new(Checked {
                        record,
                        page,
                        outcome: Some(outcome),
                    }))
                }
            }
        })
        .buffer_unordered(config.concurrency.saturating_mul(4).max(1));

    let mut originals: HashMap<usize, LinkRecord> = HashMap::new();
    let mut waiting_dups: HashMap<usize, Vec<Source>> = HashMap::new();
    let mut counts: HashMap<LinkStatus, usize> = HashMap::new();
    let mut emit =
        |writer: &mut LinkCsvWriter<Box<dyn Write + Send>>, record: LinkRecord| -> Result<()> {
            if let Some(status) = record.status {
                *counts.entry(status).or_default() += 1;
            }
            bar.inc(1);
            writer.push(record).map_err(|e| csv_error(&config.links, e))
        };
    while let Some(done) = results.next().await {
        match done {
            Done::Duplicate(source, first) => match originals.get(&first) {
                Some(original) => emit(&mut writer, check::duplicate_record(&source, original))?,
                None => waiting_dups.entry(first).or_default().push(source),
            },
            Done::Row(checked) => {
                let record = checked.record;
                let index = record.index;
                let brief = LinkRecord {
                    id: record.id.clone(),
                    http_status: record.http_status,
                    final_url: record.final_url.clone(),
                    redirects: record.redirects,
                    title: record.title.clone(),
                    ..LinkRecord::default()
                };
                emit(&mut writer, record)?;
                for source in waiting_dups.remove(&index).unwrap_or_default() {
                    emit(&mut writer, check::duplicate_record(&source, &brief))?;
                }
                originals.insert(index, brief);
            }
        }
    }
    writer.finish().map_err(|e| csv_error(&config.links, e))?;
    bar.finish_and_clear();
    let total: usize = counts.values().sum();
    let summary: Vec<String> = LinkStatus::ALL
        .iter()
        .filter_map(|s| counts.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    eprintln!(
        "{total} links: {}",
        if summary.is_empty() {
            "none".to_string()
        } else {
            summary.join(", ")
        }
    );
    let findings = counts.keys().any(|s| config.fail_on.fails(s.as_str()));
    Ok(Outcome { findings })
}

enum Done {
    Row(Box<Checked>),
    Duplicate(Source, usize),
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let source = match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    };
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

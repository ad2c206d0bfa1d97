//! The order of stages per command. Each stage is one bounded stream
//! (`buffer_unordered`), results are re-ordered by row before they are written, and one
//! item's failure is a value in its row while the run goes on.
//!
//! `run`:    sources ─▶ fetch ─▶ judge ─▶ extract ─▶ archive ─▶ links.csv
//!                                                       └──▶ texts ─▶ locate ─▶ report.csv
//! `check`:  sources ─▶ fetch (first 256 KiB) ─▶ judge ─▶ links.csv
//! `verify`: sources + archive/manifest.jsonl ─▶ texts ─▶ locate ─▶ report.csv

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use futures::StreamExt;
use futures::stream;

use crate::archive::session::{ArchiveHandle, ArchiveSession, Capture, spawn_writer};
use crate::archive::store::ArchiveStore;
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
            run(&config).await
        }
        Command::Check(args) => {
            let config = Config::from_args(Mode::Check, &args)?;
            crate::progress::enable(config.progress);
            let (outcome, _) = check_links(&config, None).await?;
            Ok(outcome)
        }
        Command::Verify(args) => {
            let config = Config::from_args(Mode::Verify, &args)?;
            run(&config).await
        }
        Command::Ingest(_) | Command::Text(_) => Err(Error::Usage("not yet available".into())),
    }
}

/// A cited page as the quote stage sees it.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// Position in the sources file.
    pub index: usize,
    /// The URL as cited.
    pub url: String,
    /// Its duplicate key (claimed `source` columns are matched on it).
    pub key: String,
    /// The archived article text, when it could be had.
    pub text: Option<String>,
    /// Where the text came from when not the live page (a web-archive snapshot).
    pub via: Option<String>,
}

/// `run` (and `verify`, `run --offline`): links, archive, texts, quotes.
async fn run(config: &Config) -> Result<Outcome> {
    let (link_outcome, sources) = if config.offline {
        (Outcome::default(), archived_texts(config)?)
    } else {
        let session =
            ArchiveSession::open(&config.archive, &config.user_agent).map_err(|source| {
                Error::Write {
                    path: config.archive.clone(),
                    source,
                }
            })?;
        let (handle, writer) = spawn_writer(session);
        let result = check_links(config, Some(handle)).await;
        let finished = writer.join().map_err(|_| Error::Write {
            path: config.archive.clone(),
            source: std::io::Error::other("the archive writer panicked"),
        })?;
        let path = finished.map_err(|source| Error::Write {
            path: config.archive.clone(),
            source,
        })?;
        tracing::info!("archived to {}", path.display());
        result?
    };
    let quote_outcome = locate_quotes(config, &sources).await?;
    Ok(Outcome {
        findings: link_outcome.findings || quote_outcome.findings,
    })
}

/// The latest archived text of every cited URL (for `verify` and `--offline`).
fn archived_texts(config: &Config) -> Result<Vec<SourceText>> {
    if !config
        .archive
        .join(crate::archive::store::MANIFEST_FILE)
        .exists()
    {
        return Err(Error::Input {
            path: config.archive.clone(),
            reason: "no manifest.jsonl: run `citecheck run` first to fill the archive".into(),
        });
    }
    let store = ArchiveStore::open(&config.archive).map_err(|source| Error::Read {
        path: config.archive.clone(),
        source,
    })?;
    for warning in store.warnings() {
        tracing::warn!("archive: {warning}");
    }
    let mut reader = SourceReader::open(&config.sources)?;
    let mut texts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while let Some(item) = reader.next_source()? {
        let Ok(source) = item else { continue };
        let Ok(url) = parse_cited(&source.url) else {
            continue;
        };
        let key = duplicate_key(&url);
        if !seen.insert(key.clone()) {
            continue;
        }
        let entry = store.latest(&source.url);
        let text =
            entry
                .and_then(|e| e.text_path.as_deref())
                .and_then(|p| match store.read_text(p) {
                    Ok(text) => Some(text),
                    Err(e) => {
                        tracing::warn!("archive: cannot read {p}: {e}");
                        None
                    }
                });
        if entry.is_none() {
            tracing::warn!(
                "{}:{}: {} is not in the archive",
                config.sources.display(),
                source.line,
                source.url
            );
        }
        let via = entry
            .filter(|e| e.source == "wayback")
            .map(|e| e.final_url.clone());
        texts.push(SourceText {
            index: source.index,
            url: source.url,
            key,
            text,
            via,
        });
    }
    Ok(texts)
}

/// Placeholder until the quote stage lands.
async fn locate_quotes(_config: &Config, _sources: &[SourceText]) -> Result<Outcome> {
    Ok(Outcome::default())
}

/// What the check stage hands on per sources row.
struct Checked {
    record: LinkRecord,
    source_text: Option<SourceText>,
}

/// Work for one sources row.
enum Job {
    Fetch(Source, url::Url),
    Ready(LinkRecord),
    Duplicate(Source, usize),
}

enum Done {
    Row(Box<Checked>),
    Duplicate(Source, usize),
}

/// The shared, read-only parts of the check stage.
struct CheckContext {
    fetcher: Fetcher,
    archive: Option<ArchiveHandle>,
    cap_is_users: bool,
}

impl CheckContext {
    /// Fetches, judges and (in `run`) extracts and archives one cited URL.
    async fn check_one(&self, source: Source, url: url::Url) -> Checked {
        let outcome = self.fetcher.fetch(&url).await;
        let (mut record, page) = check::judge(
            &source,
            &url,
            &outcome,
            self.cap_is_users,
            self.fetcher.body_limit(),
        );
        let Some(archive) = &self.archive else {
            return Checked {
                record,
                source_text: None,
            };
        };
        let article = match page {
            Some(page) => extract_page(page, record.final_url.clone()).await,
            None => None,
        };
        let text = article.as_ref().map(|a| a.text.clone());
        let capture = capture_of(&source, &outcome, &record, article);
        match archive.record(capture).await {
            Ok(archived) => {
                record.changed = archived
                    .text_changed
                    .map(|c| c.to_string())
                    .unwrap_or_default();
            }
            Err(e) => {
                tracing::error!("archive: {}: {e}", source.url);
                let note = format!("not archived: {e}");
                record.error = if record.error.is_empty() {
                    note
                } else {
                    format!("{}; {note}", record.error)
                };
            }
        }
        let source_text = SourceText {
            index: source.index,
            key: duplicate_key(&url),
            url: source.url,
            text,
            via: None,
        };
        Checked {
            record,
            source_text: Some(source_text),
        }
    }
}

/// Extracts the article text off the async threads (the DOM is `!Send` and CPU-bound).
async fn extract_page(page: Page, url: String) -> Option<crate::extract::Article> {
    tokio::task::spawn_blocking(move || {
        if page.is_html {
            crate::extract::extract_article(&page.text, Some(&url))
        } else {
            crate::extract::Article {
                text: page.text,
                ..Default::default()
            }
        }
    })
    .await
    .ok()
}

fn capture_of(
    source: &Source,
    outcome: &FetchOutcome,
    record: &LinkRecord,
    article: Option<crate::extract::Article>,
) -> Capture {
    let (text, title, published) = match article {
        Some(a) => (
            Some(a.text),
            a.title
                .or_else(|| Some(record.title.clone()).filter(|t| !t.is_empty())),
            a.published,
        ),
        None => (
            None,
            Some(record.title.clone()).filter(|t| !t.is_empty()),
            None,
        ),
    };
    Capture {
        cited_url: source.url.clone(),
        origin: "live",
        exchanges: outcome.exchanges.clone(),
        last: outcome.last,
        final_url: outcome.final_url.clone(),
        text,
        title,
        published,
        memento_datetime: None,
    }
}

/// `check` (and the first stage of `run`): every row of the sources file to a links.csv
/// row, written in input order as results come in. In `run`, each page is also extracted and
/// archived, and the texts are returned for the quote stage.
async fn check_links(
    config: &Config,
    archive: Option<ArchiveHandle>,
) -> Result<(Outcome, Vec<SourceText>)> {
    let mut reader = SourceReader::open(&config.sources)?;
    let client = build_client(config.timeout)?;
    let body_limit = if config.mode == Mode::Check {
        config.max_body.min(CHECK_MODE_BODY)
    } else {
        config.max_body
    };
    let context = CheckContext {
        fetcher: Fetcher::new(client, config, body_limit),
        archive,
        cap_is_users: body_limit == config.max_body,
    };
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
    let context = &context;
    let mut results = stream::iter(jobs)
        .map(|job| async move {
            match job {
                Job::Ready(record) => Done::Row(Box::new(Checked {
                    record,
                    source_text: None,
                })),
                Job::Duplicate(source, first) => Done::Duplicate(source, first),
                Job::Fetch(source, url) => {
                    Done::Row(Box::new(context.check_one(source, url).await))
                }
            }
        })
        .buffer_unordered(config.concurrency.saturating_mul(4).max(1));

    let mut originals: HashMap<usize, LinkRecord> = HashMap::new();
    let mut waiting_dups: HashMap<usize, Vec<Source>> = HashMap::new();
    let mut counts: HashMap<LinkStatus, usize> = HashMap::new();
    let mut texts = Vec::new();
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
                let Checked {
                    record,
                    source_text,
                } = *checked;
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
                texts.extend(source_text);
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
    texts.sort_by_key(|t: &SourceText| t.index);
    Ok((Outcome { findings }, texts))
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

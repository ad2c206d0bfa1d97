//! The link stream (`check`, and the first stage of `run`): every sources row to a
//! links.csv row, in input order, with duplicates, the cache and `--resume`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use futures::StreamExt;
use futures::stream;

use crate::archive::session::ArchiveHandle;
use crate::archive::store::ArchiveStore;
use crate::check::cache::LinkCache;
use crate::check::probe::ProbeCache;
use crate::check::{self, LinkRecord, LinkStatus};
use crate::config::{CHECK_MODE_BODY, Config, Mode};
use crate::error::{Error, Result};
use crate::http::{Fetcher, build_client};
use crate::input::url::{duplicate_key, parse_cited};
use crate::input::{Source, SourceReader};
use crate::report::links::LinkCsvWriter;
use crate::report::open_output;

use super::archived::archived_source;
use super::page::{CheckContext, Checked};
use super::quotes::QuoteStage;
use super::{Outcome, csv_error};
use crate::locate::SourceText;

/// Budget bytes per body byte in `run` (docs/links.md §7): the body, its decoded text and
/// the texts extracted from it; the parse itself is counted in what the budget leaves free.
const RUN_CHARGE: usize = 3;

/// Work for one sources row.
enum Job {
    Fetch(Source, url::Url),
    Ready(LinkRecord),
    Duplicate(Source, usize),
    /// A row an interrupted run already wrote (`--resume`).
    Resumed(Source, url::Url, Box<LinkRecord>),
}

enum Done {
    Row(Box<Checked>),
    Duplicate(Source, usize),
}

/// `check` (and the first stage of `run`): every row of the sources file to a links.csv
/// row, written in input order as results come in. In `run`, each page is also extracted and
/// archived, and the texts are returned for the quote stage. The rows are returned too, in
/// input order, for the combined renderings.
pub(super) async fn check_links(
    config: &Config,
    archive: Option<ArchiveHandle>,
    resumed_archive: Option<ArchiveStore>,
    quotes: Option<std::sync::Arc<QuoteStage>>,
) -> Result<(Outcome, Vec<SourceText>, Vec<LinkRecord>)> {
    let mut reader = SourceReader::open(&config.sources)?;
    let mut resumed = if config.resume {
        resumable_rows(&config.links)
    } else {
        HashMap::new()
    };
    // --cache: `check` reuses fresh ok/redirected rows; `run` must fetch every page for the
    // archive, so it only refreshes the file (check/cache.rs).
    let mut cache = match &config.cache {
        Some(settings) => Some(
            LinkCache::load(&settings.path, settings.max_age, jiff::Timestamp::now()).map_err(
                |source| Error::Read {
                    path: settings.path.clone(),
                    source,
                },
            )?,
        ),
        None => None,
    };
    let reusable = cache.as_ref().filter(|_| config.mode == Mode::Check);
    let client = build_client(config.fetch.timeout)?;
    let body_limit = if config.mode == Mode::Check {
        config.max_body.min(CHECK_MODE_BODY)
    } else {
        config.max_body
    };
    let context = CheckContext {
        fetcher: Fetcher::new(client, &config.fetch, body_limit).charging(
            if config.mode == Mode::Run {
                RUN_CHARGE
            } else {
                1
            },
        ),
        archive,
        cap_is_users: body_limit == config.max_body,
        rescue: config.rescue,
        probe: config.probe,
        probes: ProbeCache::default(),
        accept: config.accept.clone(),
        quotes: quotes.clone(),
    };
    let out = open_output(&config.links)?;
    let mut writer =
        LinkCsvWriter::with_guard(out, !config.raw_csv).map_err(|e| csv_error(&config.links, e))?;
    let bar = crate::progress::stage_bar("check", None);

    // Rows are read lazily: `buffer_unordered` pulls the next one when a slot frees up.
    // The duplicate table holds only URLs the file names more than once (a first pass finds
    // them): each row's `repeats` flag says whether its answer must be kept for later rows.
    let repeats = crate::input::repeats::Repeats::scan(&config.sources);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let shard = config.shard;
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
                    if let (Some(shard), Ok(url)) = (shard, parse_cited(&source.url))
                        && !shard.holds(url.host_str().unwrap_or(""))
                    {
                        continue;
                    }
                    let job = match parse_cited(&source.url) {
                        Err(invalid) => (
                            Job::Ready(check::invalid_record(
                                &source,
                                invalid.reason,
                                &invalid.message,
                            )),
                            false,
                        ),
                        Ok(url) => match seen.get(&duplicate_key(&url)) {
                            Some(&first) => (Job::Duplicate(source, first), false),
                            None => {
                                let key = duplicate_key(&url);
                                let repeated = repeats.may_repeat(&key);
                                if repeated {
                                    seen.insert(key, source.index);
                                }
                                let earlier = resumed
                                    .remove(&source.index)
                                    .filter(|r| r.url == source.url && r.id == source.id);
                                let job = match (
                                    earlier,
                                    reusable.and_then(|c| c.reuse(&source, &url)),
                                ) {
                                    (Some(record), _) => {
                                        Job::Resumed(source, url, Box::new(record))
                                    }
                                    (None, Some(record)) => Job::Ready(record),
                                    (None, None) => Job::Fetch(source, url),
                                };
                                (job, repeated)
                            }
                        },
                    };
                    return Some(job);
                }
            }
        }
    });
    let context = &context;
    let resumed_archive = &resumed_archive;
    let quotes = &quotes;
    let mut results = stream::iter(jobs)
        .map(|(job, repeated)| async move {
            let done = match job {
                Job::Ready(record) => Done::Row(Box::new(Checked {
                    record,
                    source_text: None,
                })),
                Job::Duplicate(source, first) => Done::Duplicate(source, first),
                Job::Resumed(source, url, record) => {
                    let mut record = *record;
                    record.index = source.index;
                    record.line = source.line;
                    let source_text = resumed_archive.as_ref().map(|store| {
                        archived_source(
                            store,
                            &source,
                            store.latest(&source.url),
                            duplicate_key(&url),
                            quotes.as_deref(),
                        )
                    });
                    Done::Row(Box::new(Checked {
                        record,
                        source_text,
                    }))
                }
                Job::Fetch(source, url) => {
                    Done::Row(Box::new(context.check_one(source, url).await))
                }
            };
            (done, repeated)
        })
        .buffer_unordered(config.fetch.concurrency.saturating_mul(4).max(1));

    let mut originals: HashMap<usize, check::Original> = HashMap::new();
    let mut waiting_dups: HashMap<usize, Vec<Source>> = HashMap::new();
    let mut counts: HashMap<LinkStatus, usize> = HashMap::new();
    let mut texts = Vec::new();
    let mut records = Vec::new();
    // Rows are kept only for what needs them all at the end: --format, CI annotations, the
    // cache (which the job reader borrows until the stream ends).
    let keep_rows = crate::report::publish::wants_rows(&config.publish) || config.cache.is_some();
    let mut emit =
        |writer: &mut LinkCsvWriter<Box<dyn Write + Send>>, record: LinkRecord| -> Result<()> {
            if let Some(status) = record.status {
                *counts.entry(status).or_default() += 1;
            }
            bar.inc(1);
            if keep_rows {
                records.push(record.clone());
            }
            writer.push(record).map_err(|e| csv_error(&config.links, e))
        };
    // Ctrl-C: stop taking rows, keep what is done. links.csv keeps the rows finished so far
    // (in order), the archive writer commits what it has and closes its WARC file, and the
    // run ends with exit code 2; `--resume` continues from there.
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let done = tokio::select! {
            done = results.next() => done,
            _ = &mut ctrl_c => {
                interrupted = true;
                None
            }
        };
        let Some((done, repeated)) = done else { break };
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
                let brief = check::Original::from(&record);
                emit(&mut writer, record)?;
                for source in waiting_dups.remove(&index).unwrap_or_default() {
                    emit(&mut writer, check::duplicate_record(&source, &brief))?;
                }
                if repeated {
                    originals.insert(index, brief);
                }
                // Only what the quote stage's end needs (claimed or hit sources).
                texts.extend(source_text.filter(|t| quotes.as_ref().is_some_and(|q| q.wants(t))));
            }
        }
    }
    if interrupted {
        writer.drop_held();
    }
    writer.finish().map_err(|e| csv_error(&config.links, e))?;
    bar.finish_and_clear();
    drop(results);
    let budget = context.fetcher.budget();
    tracing::info!(
        "body bytes in flight: at most {} (budget {})",
        budget.peak(),
        budget.total()
    );
    if interrupted {
        return Err(Error::Interrupted(format!(
            "{} holds the rows checked so far; `--resume` continues from there",
            config.links.display()
        )));
    }
    records.sort_by_key(|r| r.index);
    if let (Some(cache), Some(settings)) = (cache.as_mut(), &config.cache) {
        records.iter().for_each(|r| cache.observe(r));
        cache.save().map_err(|source| Error::Write {
            path: settings.path.clone(),
            source,
        })?;
    }
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
    let findings = counts.keys().any(|s| config.fail_on.fails_link(*s));
    texts.sort_by_key(|t: &SourceText| t.index);
    Ok((Outcome { findings }, texts, records))
}

/// The rows an interrupted run wrote to links.csv, by position: only complete rows of
/// fetched links (a duplicate or invalid row is cheap to redo), and not the last line when the
/// file does not end in a newline (the run died while writing it).
fn resumable_rows(links: &Path) -> HashMap<usize, LinkRecord> {
    if links.as_os_str() == "-" {
        return HashMap::new();
    }
    let Ok(bytes) = std::fs::read(links) else {
        return HashMap::new();
    };
    let mut rows = match crate::report::rerender::read_links(links) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("--resume: {e}; starting afresh");
            return HashMap::new();
        }
    };
    if !bytes.ends_with(b"\n") {
        rows.pop();
    }
    let kept: HashMap<usize, LinkRecord> = rows
        .into_iter()
        .filter(|r| {
            r.status
                .is_some_and(|s| !matches!(s, LinkStatus::Duplicate | LinkStatus::Invalid))
        })
        .map(|r| (r.index, r))
        .collect();
    eprintln!("--resume: {} rows of {} kept", kept.len(), links.display());
    kept
}

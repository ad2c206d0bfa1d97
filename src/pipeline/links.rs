//! The link stream (`check`, and the first stage of `run`): every sources row to a
//! links.csv row, in input order, with duplicates, the cache and `--resume`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

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
use crate::input::Source;
use crate::input::url::{duplicate_key, parse_cited};
use crate::report::links::LinkCsvWriter;
use crate::report::open_output;
use crate::report::publish::Publisher;

use super::archived::archived_source;
use super::page::{CheckContext, Checked};
use super::quotes::QuoteStage;
use super::{Outcome, csv_error, link_outcome};
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
/// archived, and the texts are returned for the quote stage. Each row also goes to
/// `publisher` (the combined renderings) and the cache as it is written, in input order.
pub(super) async fn check_links(
    config: &Config,
    archive: Option<ArchiveHandle>,
    resumed_archive: Option<ArchiveStore>,
    quotes: Option<std::sync::Arc<QuoteStage>>,
    publisher: &mut Option<Publisher>,
) -> Result<(Outcome, Vec<SourceText>)> {
    let mut reader = config.input.open()?;
    // The duplicate table holds only URLs the inputs name more than once (a first pass finds
    // them; it also counts the rows, for the progress bar, and the malformed ones).
    let shard = config.shard;
    let repeats = crate::input::repeats::Repeats::scan_inputs(&config.input, &|url| {
        shard.is_none_or(|s| s.holds(url.host_str().unwrap_or("")))
    });
    if let Some(reason) = repeats.all_malformed() {
        return Err(Error::Input {
            path: config.input.name(),
            reason,
        });
    }
    let mut resumed = if config.resume {
        ResumedRows::open(&config.links)
    } else {
        None
    };
    // --cache: `check` reuses fresh ok/redirected rows; `run` must fetch every page for the
    // archive, so it only refreshes the file (check/cache.rs).
    // Behind a lock: the job reader looks rows up while the written rows update it.
    let cache = match &config.cache {
        Some(settings) => Some(Mutex::new(
            LinkCache::load(
                &settings.path,
                settings.max_age,
                jiff::Timestamp::now(),
                config.mode == Mode::Check,
            )
            .map_err(|source| Error::Read {
                path: settings.path.clone(),
                source,
            })?,
        )),
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
        wayback: crate::archive::wayback::LookupGuard::default(),
        probe: config.probe,
        probes: ProbeCache::default(),
        accept: config.accept.clone(),
        quotes: quotes.clone(),
    };
    let out = open_output(&config.links)?;
    let mut writer =
        LinkCsvWriter::with_guard(out, !config.raw_csv).map_err(|e| csv_error(&config.links, e))?;
    let bar = crate::progress::stage_bar("check", repeats.rows().map(|n| n as u64));

    // Rows are read lazily: `buffer_unordered` pulls the next one when a slot frees up.
    // Each row's `repeats` flag says whether its answer must be kept for later rows.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let problems = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let found_problems = problems.clone();
    let reused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reused_rows = reused.clone();
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
                    found_problems
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(problem);
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
                                invalid.reason.into(),
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
                                    .as_mut()
                                    .and_then(|r| r.take(source.index))
                                    .filter(|r| r.url == source.url && r.id == source.id);
                                if earlier.is_some() {
                                    reused_rows.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                                let job = match (
                                    earlier,
                                    reusable.and_then(|c| lock(c).reuse(&source, &url)),
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
                    record.file = source.file.clone();
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
    // No row is kept: each goes to links.csv, the publisher and the cache as it is written.
    let cache_ref = cache.as_ref();
    let mut written = |record: &LinkRecord| {
        if let Some(p) = publisher.as_mut() {
            p.link(record);
        }
        if let Some(cache) = cache_ref {
            lock(cache).observe(record);
        }
    };
    let mut emit =
        |writer: &mut LinkCsvWriter<Box<dyn Write + Send>>, record: LinkRecord| -> Result<()> {
            *counts.entry(record.status).or_default() += 1;
            bar.inc(1);
            writer
                .push_then(record, &mut written)
                .map_err(|e| csv_error(&config.links, e))
        };
    // A stop (SIGINT, SIGTERM, SIGHUP, --deadline): no new row is started, the rows in
    // flight are abandoned, links.csv keeps the rows finished so far (in order, a prefix of
    // the sources, as `--resume` expects), and the archive writer commits what it has and
    // closes its WARC file. links.csv is flushed at least every second meanwhile, so that
    // even a `kill -9` leaves the rows finished until a second before.
    let listener = super::stop::listen(config.deadline);
    let mut stopped = None;
    let mut flush = tokio::time::interval(std::time::Duration::from_secs(1));
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let done = tokio::select! {
            done = results.next() => done,
            cause = listener.stopped() => {
                stopped = Some(cause);
                None
            }
            _ = flush.tick() => {
                writer.flush().map_err(|e| csv_error(&config.links, e.into()))?;
                if let Some(cache) = cache_ref {
                    lock(cache).flush();
                }
                continue;
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
    drop(listener);
    if stopped.is_some() {
        writer.drop_held();
    }
    let written_rows = writer.written();
    writer
        .finish_then(&mut written)
        .map_err(|e| csv_error(&config.links, e))?;
    bar.finish_and_clear();
    drop(results);
    let budget = context.fetcher.budget();
    tracing::info!(
        "body bytes in flight: at most {} (budget {})",
        budget.peak(),
        budget.total()
    );
    if config.resume {
        resumed_done(&reused, &config.links);
    }
    // Malformed rows: findings of their own (`--fail-on input`), each located.
    let problems = std::mem::take(&mut *problems.lock().unwrap_or_else(|e| e.into_inner()));
    crate::report::publish::annotate_problems(config, &problems, config.fail_on.fails_input())?;
    if let Some(cause) = stopped {
        eprintln!(
            "citecheck: {cause}: {} holds the {written_rows} rows checked so far; `--resume` continues from there",
            config.links.display()
        );
    }
    if let (Some(cache), Some(settings)) = (cache, &config.cache) {
        let cache = cache
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.finish().map_err(|source| Error::Write {
            path: settings.path.clone(),
            source,
        })?;
    }
    if let Some(p) = publisher.as_mut() {
        p.skipped_rows(problems.len());
    }
    let outcome = link_outcome(config, &counts, "", problems.len(), stopped.is_some());
    texts.sort_by_key(|t: &SourceText| t.index);
    Ok((outcome, texts))
}

/// The cache behind its lock (a panic elsewhere leaves it usable: it is only a cache).
fn lock(cache: &Mutex<LinkCache>) -> std::sync::MutexGuard<'_, LinkCache> {
    cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The rows an interrupted run wrote to links.csv, streamed (`--resume`): the old file is
/// moved aside (`.links.csv.resume` beside it) before the new links.csv is begun, then read
/// one row at a time as the sources pass, so only the next row is held. Only complete rows
/// of fetched links are reused (a duplicate or invalid row is cheap to redo), and not the
/// last line when the file does not end in a newline (the run died while writing it).
struct ResumedRows {
    rows: crate::report::rerender::LinkRows,
    /// A row read ahead of the source asked for.
    pending: Option<LinkRecord>,
}

impl ResumedRows {
    fn open(links: &Path) -> Option<ResumedRows> {
        if links.as_os_str() == "-" {
            return None;
        }
        let aside = aside_path(links);
        if !links.is_file() {
            // A resumed run that stopped before it began its links.csv left only the file
            // set aside: read that.
            return aside
                .is_file()
                .then(|| crate::report::rerender::LinkRows::open(&aside, true).ok())
                .flatten()
                .map(|rows| ResumedRows {
                    rows,
                    pending: None,
                });
        }
        if let Err(e) = std::fs::rename(links, &aside) {
            tracing::warn!(
                "--resume: cannot move {} aside: {e}; starting afresh",
                links.display()
            );
            return None;
        }
        match crate::report::rerender::LinkRows::open(&aside, true) {
            Ok(rows) => Some(ResumedRows {
                rows,
                pending: None,
            }),
            Err(e) => {
                tracing::warn!("--resume: {e}; starting afresh");
                None
            }
        }
    }

    /// The earlier row at `index`, if it can be reused. Indexes are asked in rising order.
    fn take(&mut self, index: usize) -> Option<LinkRecord> {
        loop {
            let row = match self.pending.take() {
                Some(row) => row,
                None => self.rows.next()?,
            };
            if row.index < index {
                continue;
            }
            if row.index > index {
                self.pending = Some(row);
                return None;
            }
            // A row `verify` wrote from the archive was never fetched: fetch it now.
            return Some(row).filter(|r| {
                r.checked_from == crate::check::CheckedFrom::Live
                    && !matches!(r.status, LinkStatus::Duplicate | LinkStatus::Invalid)
            });
        }
    }
}

/// Where `--resume` keeps the earlier links.csv while it reads it.
fn aside_path(links: &Path) -> std::path::PathBuf {
    let name = links
        .file_name()
        .map_or_else(|| "links.csv".into(), |n| n.to_string_lossy().into_owned());
    links.with_file_name(format!(".{name}.resume"))
}

/// After the stream: removes the earlier links.csv set aside by `--resume` (its rows are
/// in the new file now; after a stop, rows of it not reached yet are checked again next
/// time) and says how many of its rows were kept.
fn resumed_done(reused: &std::sync::atomic::AtomicUsize, links: &Path) {
    let aside = aside_path(links);
    if !aside.exists() {
        return;
    }
    if let Err(e) = std::fs::remove_file(&aside) {
        tracing::warn!("cannot remove {}: {e}", aside.display());
    }
    eprintln!(
        "--resume: {} rows of {} kept",
        reused.load(std::sync::atomic::Ordering::Relaxed),
        links.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::links::LinkCsvWriter;

    fn row(index: usize, status: LinkStatus) -> LinkRecord {
        LinkRecord {
            index,
            id: format!("S{index}"),
            url: format!("https://a.nl/{index}"),
            http_status: Some(200),
            fetched_at: "2026-01-02T03:04:05Z".into(),
            ..LinkRecord::new(status)
        }
    }

    #[test]
    fn resumed_rows_stream_from_the_file_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let links = dir.path().join("links.csv");
        let mut out = Vec::new();
        {
            let mut w = LinkCsvWriter::new(&mut out).unwrap();
            for (i, status) in [
                LinkStatus::Ok,
                LinkStatus::Duplicate,
                LinkStatus::Broken,
                LinkStatus::Invalid,
                LinkStatus::Ok,
                LinkStatus::Ok,
            ]
            .into_iter()
            .enumerate()
            {
                w.push(row(i, status)).unwrap();
            }
            w.finish().unwrap();
        }
        // The run died while writing row 5.
        let text = String::from_utf8(out).unwrap();
        let cut = &text[..text.trim_end().len() - 3];
        std::fs::write(&links, cut).unwrap();

        let mut resumed = ResumedRows::open(&links).unwrap();
        assert!(!links.exists(), "moved aside");
        assert!(aside_path(&links).exists());
        assert_eq!(resumed.take(0).map(|r| r.id), Some("S0".into()));
        // A duplicate and an invalid row are redone; rows are skipped in passing.
        assert!(resumed.take(1).is_none());
        let broken = resumed.take(2).unwrap();
        assert_eq!(broken.status, LinkStatus::Broken);
        assert_eq!(broken.fetched_at, "2026-01-02T03:04:05Z");
        assert!(resumed.take(3).is_none());
        // Asked past a row: the row is held for later, not lost.
        assert!(resumed.take(4).is_some());
        assert!(resumed.take(5).is_none(), "the torn last row is not reused");

        // Started again before the new links.csv was begun: the aside file is read.
        assert!(ResumedRows::open(&links).is_some());
        let counter = std::sync::atomic::AtomicUsize::new(2);
        resumed_done(&counter, &links);
        assert!(!aside_path(&links).exists());
    }
}

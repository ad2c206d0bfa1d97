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
use std::time::Duration;

use futures::StreamExt;
use futures::stream;

use crate::archive::CaptureOrigin;
use crate::archive::session::{ArchiveHandle, ArchiveSession, Capture, spawn_writer};
use crate::archive::store::ArchiveStore;
use crate::archive::wayback;
use crate::check::accept::AcceptStatus;
use crate::check::cache::LinkCache;
use crate::check::probe::{ProbeCache, ProbeResult};
use crate::check::{self, LinkRecord, LinkStatus, Page};
use crate::cli::{Cli, Command, IngestArgs, RunArgs, TextArgs};
use crate::config::MAX_DECODED_BODY;
use crate::config::{CHECK_MODE_BODY, Config, Mode};
use crate::error::{Error, Result};
use crate::http::body::{decode_content, decode_text};
use crate::http::{FetchOutcome, FetchSettings, Fetcher, Remap, build_client};
use crate::input::url::{duplicate_key, parse_cited};
use crate::input::{Quote, Source, SourceReader, read_quotes};
use crate::locate::speaker::{Attribution, attribute};
use crate::locate::{Finding, QuoteSet, SourceHit, Verdict, prune_hits};
use crate::report::links::LinkCsvWriter;
use crate::report::open_output;
use crate::report::quotes::QuoteRow;
use crate::report::rerender::{ReportFiles, RunFiles};

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
    // `--html`: the editor's page is made from the CSVs once they are written.
    let html_after = match &command {
        Command::Run(args) => html_after_run(Mode::Run, args),
        Command::Check(args) => html_after_run(Mode::Check, args),
        Command::Verify(args) => html_after_run(Mode::Verify, args),
        _ => None,
    };
    let outcome = match command {
        Command::Run(args) => {
            let config = args.resolve(Mode::Run)?;
            crate::progress::enable(config.progress);
            run(&config).await
        }
        Command::Check(args) => {
            let config = args.resolve(Mode::Check)?;
            crate::progress::enable(config.progress);
            let (outcome, _, links) = check_links(&config, None, None, None).await?;
            crate::report::publish::publish_run(&config, Some(links), None)?;
            Ok(outcome)
        }
        Command::Verify(args) => {
            let config = args.resolve(Mode::Verify)?;
            run(&config).await
        }
        Command::Ingest(args) => ingest(&args),
        Command::Text(args) => text(&args).await,
        Command::Report(args) => {
            let files = ReportFiles {
                links: args.links,
                report: args.report,
                archive: args.archive,
                html: args.html,
            };
            crate::report::rerender::report_command(&files).map(|()| Outcome::default())
        }
    }?;
    if let Some((mode, run_files, files)) = html_after {
        crate::report::rerender::write_after_run(mode, &run_files, &files)?;
    }
    Ok(outcome)
}

/// `--html`: what the editor's page is made from once a run's CSVs are written.
fn html_after_run(mode: Mode, args: &RunArgs) -> Option<(Mode, RunFiles, ReportFiles)> {
    let html = args.html.clone()?;
    let run_files = RunFiles {
        sources: args.sources.clone(),
        quotes: args.quotes.clone(),
    };
    let files = ReportFiles {
        links: args.links.clone(),
        report: args.report.clone(),
        archive: args.archive.clone(),
        html,
    };
    Some((mode, run_files, files))
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
    /// Whether its article text could be had (it was scanned for the quotes as it passed).
    pub available: bool,
    /// Where the text came from when not the live page (a web-archive snapshot).
    pub via: Option<String>,
    /// The archived text file (relative to the archive folder).
    pub text_path: Option<String>,
    /// The page's headline, for the speaker of interviews and portraits.
    pub title: Option<String>,
    /// The archived page text file (the whole visible page), when one was kept.
    pub page_text_path: Option<String>,
}

/// `run` (and `verify`, `run --offline`): links, archive, texts, quotes.
async fn run(config: &Config) -> Result<Outcome> {
    // Input files that cannot be used at all are said before the archive is opened or a
    // single request is made (hardening: fail fast on a bad file in CI).
    if !config.offline {
        SourceReader::open(&config.sources)?;
    }
    // The quotes are read first: every text is scanned for them as soon as it is had.
    let stage = QuoteStage::open(config)?;
    let (link_outcome, sources, links) = if config.offline {
        let started = std::time::Instant::now();
        let texts = archived_texts(config, stage.as_deref())?;
        tracing::info!(
            "stage read+scan archived texts: {:.2} s",
            started.elapsed().as_secs_f64()
        );
        (Outcome::default(), texts, None)
    } else {
        // Opened before this run's WARC file exists: opening repairs what a crashed run left,
        // and must not touch the file this run is writing.
        let resumed_archive = if config.resume {
            Some(
                ArchiveStore::open(&config.archive).map_err(|source| Error::Read {
                    path: config.archive.clone(),
                    source,
                })?,
            )
        } else {
            None
        };
        let session = ArchiveSession::open(
            &config.archive,
            &config.fetch.user_agent,
            config.warc_max_size,
        )
        .map_err(|source| Error::Write {
            path: config.archive.clone(),
            source,
        })?;
        let (handle, writer) = spawn_writer(session);
        let started = std::time::Instant::now();
        let result = check_links(config, Some(handle), resumed_archive, stage.clone()).await;
        tracing::info!(
            "stage check+extract+archive: {:.2} s",
            started.elapsed().as_secs_f64()
        );
        let finished = writer.join().map_err(|_| Error::Write {
            path: config.archive.clone(),
            source: std::io::Error::other("the archive writer panicked"),
        })?;
        let path = finished.map_err(|source| Error::Write {
            path: config.archive.clone(),
            source,
        })?;
        tracing::info!("archived to {}", path.display());
        let (outcome, texts, links) = result?;
        (outcome, texts, Some(links))
    };
    let (quote_outcome, quotes) = match stage {
        Some(stage) => {
            let started = std::time::Instant::now();
            let located = locate_quotes(config, stage, &sources).await?;
            tracing::info!("stage locate: {:.2} s", started.elapsed().as_secs_f64());
            located
        }
        None => (Outcome::default(), None),
    };
    crate::report::publish::publish_run(config, links, quotes)?;
    Ok(Outcome {
        findings: link_outcome.findings || quote_outcome.findings,
    })
}

/// The latest archived text of every cited URL (for `verify` and `--offline`), each scanned
/// for the quotes as it is read and then dropped: memory does not grow with the texts.
fn archived_texts(config: &Config, quotes: Option<&QuoteStage>) -> Result<Vec<SourceText>> {
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
    // Keys are remembered only for URLs the file names more than once.
    let repeats = crate::input::repeats::Repeats::scan(&config.sources);
    let mut seen = std::collections::HashSet::new();
    while let Some(item) = reader.next_source()? {
        let Ok(source) = item else { continue };
        let Ok(url) = parse_cited(&source.url) else {
            continue;
        };
        let key = duplicate_key(&url);
        if repeats.may_repeat(&key) && !seen.insert(key.clone()) {
            continue;
        }
        if store.latest(&source.url).is_none() {
            tracing::warn!(
                "{}:{}: {} is not in the archive",
                config.sources.display(),
                source.line,
                source.url
            );
        }
        let text = archived_source(&store, &source, key, quotes);
        if quotes.is_some_and(|q| q.wants(&text)) {
            texts.push(text);
        }
    }
    Ok(texts)
}

/// A cited page as the archive holds it (its latest capture): the text is read, checked,
/// scanned for the quotes and dropped. Used by `verify` and for rows kept by `--resume`.
fn archived_source(
    store: &ArchiveStore,
    source: &Source,
    key: String,
    quotes: Option<&QuoteStage>,
) -> SourceText {
    let entry = store.latest(&source.url);
    let text = entry.as_ref().and_then(|e| stored_text(store, e));
    if let (Some(stage), Some(text)) = (quotes, &text) {
        stage.scan(source.index, text);
    }
    // Older archives have no page text: their pages get no page fallback.
    let page = entry
        .as_ref()
        .filter(|_| text.is_some() && quotes.is_some())
        .and_then(|e| stored_page_text(store, e));
    if let (Some(stage), Some(page), Some(text)) = (quotes, &page, &text) {
        stage.scan_page(source.index, page, text);
    }
    SourceText {
        index: source.index,
        url: source.url.clone(),
        key,
        available: text.is_some(),
        via: entry
            .as_ref()
            .filter(|e| e.source == CaptureOrigin::Wayback.as_str())
            .map(|e| e.final_url.replacen("id_/", "/", 1)),
        title: entry.as_ref().and_then(|e| e.title.clone()),
        page_text_path: entry
            .as_ref()
            .filter(|_| page.is_some())
            .and_then(|e| e.page_text_path.clone()),
        text_path: entry.and_then(|e| e.text_path),
    }
}

/// The archived page text of a capture with its regions (from the manifest), checked
/// against the manifest's hash; a page text that is missing or differs is extracted again
/// from the WARC (with its regions) and rewritten. `None` for captures without one.
fn stored_page_text(
    store: &ArchiveStore,
    entry: &crate::archive::ManifestEntry,
) -> Option<crate::extract::PageText> {
    let rel = entry.page_text_path.as_deref()?;
    match store.read_text(rel) {
        Ok(text)
            if entry
                .page_text_sha256
                .as_deref()
                .is_none_or(|h| h == crate::archive::store::sha256_hex(text.as_bytes())) =>
        {
            let regions = entry
                .page_regions
                .as_deref()
                .map(crate::extract::parse_regions)
                .unwrap_or_default();
            return Some(crate::extract::PageText { text, regions });
        }
        Ok(_) => tracing::warn!(
            "archive: {rel} does not match its manifest hash; extracting it again from the WARC"
        ),
        Err(e) => {
            tracing::warn!("archive: cannot read {rel} ({e}); extracting it again from the WARC")
        }
    }
    let page = texts_from_warc(store, entry)?.1?;
    if let Err(e) = store.write_page_text(&entry.cited_url, &page.text) {
        tracing::warn!("archive: cannot rewrite {rel}: {e}");
    }
    Some(page)
}

/// The archived text of a capture, checked against the manifest's hash. A text that is
/// missing or differs (a crash took it back, or someone edited it) is extracted again from
/// the page in the WARC file and rewritten, so offsets always refer to the file on disk.
fn stored_text(store: &ArchiveStore, entry: &crate::archive::ManifestEntry) -> Option<String> {
    let rel = entry.text_path.as_deref()?;
    match store.read_text(rel) {
        Ok(text)
            if entry
                .text_sha256
                .as_deref()
                .is_none_or(|h| h == crate::archive::store::sha256_hex(text.as_bytes())) =>
        {
            return Some(text);
        }
        Ok(_) => tracing::warn!(
            "archive: {rel} does not match its manifest hash; extracting it again from the WARC"
        ),
        Err(e) => {
            tracing::warn!("archive: cannot read {rel} ({e}); extracting it again from the WARC")
        }
    }
    let text = texts_from_warc(store, entry)?.0;
    if let Err(e) = store.write_text(&entry.cited_url, &text) {
        tracing::warn!("archive: cannot rewrite {rel}: {e}");
    }
    Some(text)
}

/// Extracts a capture's article text and page text (none for a plain-text page) from the
/// response stored in the WARC file.
fn texts_from_warc(
    store: &ArchiveStore,
    entry: &crate::archive::ManifestEntry,
) -> Option<(String, Option<crate::extract::PageText>)> {
    let original = store.original(entry);
    let path = match store.warc_path(&original.warc_file) {
        Ok(path) => path,
        Err(e) => {
            tracing::warn!("archive: {e}");
            return None;
        }
    };
    let record = crate::archive::read_record_at(&path, original.offset, original.length).ok()?;
    let split = memchr::memmem::find(&record.block, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&record.block[..split]);
    let body = &record.block[split + 4..];
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let bytes = decode_content(
        header("content-encoding").as_deref(),
        body,
        MAX_DECODED_BODY,
    )
    .ok()?;
    let content_type = header("content-type");
    let (html, _) = decode_text(&bytes, content_type.as_deref());
    if content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("text/plain"))
    {
        return Some((html, None));
    }
    let (article, page) = crate::extract::extract_with_page(&html, Some(&entry.cited_url));
    Some((article.text, Some(page)))
}

/// The quote stage: every row of the quotes file located in the texts, written to
/// The quote stage while the sources stream past: the quotes, indexed once, and the best
/// hits per quote so far. Each source's text is scanned as soon as it is had (extracted,
/// rescued, or read from the archive) and then dropped, so memory grows with the quotes and
/// their hits, not with the number of pages (docs/matching.md; bench/pipeline-profile.md).
pub struct QuoteStage {
    quotes: Vec<Quote>,
    set: QuoteSet,
    hits: std::sync::Mutex<Vec<Vec<SourceHit>>>,
    /// Duplicate keys of the sources the quotes claim.
    claimed: std::collections::HashSet<String>,
    /// Sources (rows) whose text gave a hit.
    hit_sources: std::sync::Mutex<std::collections::HashSet<usize>>,
    /// The best hits per quote in the page texts (the fallback), with the region each
    /// stood in.
    page_hits: std::sync::Mutex<Vec<Vec<(SourceHit, crate::extract::Region)>>>,
    /// Source texts scanned: none means no quote could be found anywhere.
    scanned: std::sync::atomic::AtomicUsize,
}

impl QuoteStage {
    /// Reads the quotes file. In `run`, a missing file means there is no quote to locate.
    fn open(config: &Config) -> Result<Option<std::sync::Arc<QuoteStage>>> {
        if config.mode == Mode::Check {
            return Ok(None);
        }
        if config.mode == Mode::Run && !config.quotes.exists() {
            tracing::warn!(
                "{}: not found; no quotes to locate, report.csv not written",
                config.quotes.display()
            );
            return Ok(None);
        }
        let (quotes, problems) = read_quotes(&config.quotes)?;
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        let texts: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        let set = QuoteSet::new(&texts);
        let hits = std::sync::Mutex::new(vec![Vec::new(); quotes.len()]);
        let page_hits = std::sync::Mutex::new(vec![Vec::new(); quotes.len()]);
        let claimed = quotes
            .iter()
            .filter_map(|q| q.source.as_deref().and_then(|s| parse_cited(s).ok()))
            .map(|u| duplicate_key(&u))
            .collect();
        Ok(Some(std::sync::Arc::new(QuoteStage {
            quotes,
            set,
            hits,
            page_hits,
            claimed,
            hit_sources: std::sync::Mutex::default(),
            scanned: std::sync::atomic::AtomicUsize::new(0),
        })))
    }

    /// Whether the quote stage's end needs this source: a quote claims it, or its text gave
    /// a hit (scanned before). Only those are kept, so memory does not grow with the pages.
    fn wants(&self, source: &SourceText) -> bool {
        self.claimed.contains(&source.key)
            || self
                .hit_sources
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&source.index)
    }

    /// Scans one source's text (`source` = its row in the sources file) and keeps the hits
    /// that can still matter.
    pub fn scan(&self, source: usize, text: &str) {
        self.scanned
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = self.set.scan(source, text);
        if found.is_empty() {
            return;
        }
        self.hit_sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(source);
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        for (quote, hit) in found {
            if let Some(list) = hits.get_mut(quote) {
                list.push(hit);
                prune_hits(list);
            }
        }
    }

    /// Scans one source's page text (the fallback for quotes no article text holds) and
    /// keeps the hits that can still matter, each with the region it stood in. Only the
    /// blocks outside the article text (`article`, scanned already) are read: a quote the
    /// article holds is found there, and the rest is usually a small part of the page.
    pub fn scan_page(&self, source: usize, page: &crate::extract::PageText, article: &str) {
        let outside = page.outside(article);
        let found = self.set.scan(source, &outside.text);
        if found.is_empty() {
            return;
        }
        self.hit_sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(source);
        let mut hits = self.page_hits.lock().unwrap_or_else(|e| e.into_inner());
        for (quote, hit) in found {
            if let Some(list) = hits.get_mut(quote) {
                let mut hit = hit;
                (hit.start, hit.end) = outside.page_span(hit.start, hit.end);
                let region = page.region_at(hit.start, hit.end);
                list.push((hit, region));
                // Pruned as `prune_hits` prunes the article hits: every match, and the
                // best-scoring misses.
                let best_miss = list
                    .iter()
                    .filter(|(h, _)| !h.is_match)
                    .map(|(h, _)| h.score)
                    .fold(f64::NEG_INFINITY, f64::max);
                list.retain(|(h, _)| h.is_match || h.score >= best_miss);
            }
        }
    }
}

/// The note of a `not_found` quote when not one source text could be had.
const NOTHING_READ: &str = "no source text could be read (every cited page failed: see links.csv), so nothing was searched";

/// The quote stage's end: every quote's hits turned into its verdict, written to report.csv
/// in input order.
async fn locate_quotes(
    config: &Config,
    stage: std::sync::Arc<QuoteStage>,
    sources: &[SourceText],
) -> Result<(Outcome, Option<Vec<QuoteRow>>)> {
    let bar = crate::progress::stage_bar("locate", Some(stage.quotes.len() as u64));
    let sources = sources.to_vec();
    let archive = config.archive.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let by_index: HashMap<usize, &SourceText> = sources.iter().map(|s| (s.index, s)).collect();
        let mut by_key: HashMap<String, usize> =
            sources.iter().map(|s| (s.key.clone(), s.index)).collect();
        // A claimed source that is not among the cited URLs was never fetched: it counts as a
        // source that could not be had (ids past every row of the sources file).
        let mut next_extra = usize::MAX / 2;
        for quote in &stage.quotes {
            if let Some(claimed) = quote.source.as_deref().and_then(|s| parse_cited(s).ok()) {
                by_key.entry(duplicate_key(&claimed)).or_insert_with(|| {
                    next_extra += 1;
                    next_extra
                });
            }
        }
        let available = |i: usize| by_index.get(&i).is_some_and(|s| s.available);
        let nothing_read = stage.scanned.load(std::sync::atomic::Ordering::Relaxed) == 0;
        let mut hits = std::mem::take(&mut *stage.hits.lock().unwrap_or_else(|e| e.into_inner()));
        let mut page_hits =
            std::mem::take(&mut *stage.page_hits.lock().unwrap_or_else(|e| e.into_inner()));
        stage
            .quotes
            .iter()
            .enumerate()
            .map(|(q, quote)| {
                let claimed = quote
                    .source
                    .as_deref()
                    .and_then(|s| parse_cited(s).ok())
                    .and_then(|u| by_key.get(&duplicate_key(&u)).copied());
                let found = hits.get_mut(q).map(std::mem::take).unwrap_or_default();
                let mut finding = stage.set.finish(q, found, claimed, &available);
                let page = page_hits.get_mut(q).map(std::mem::take).unwrap_or_default();
                let region = page_fallback(&stage.set, q, &mut finding, page, claimed, &available);
                if nothing_read && finding.verdict == Verdict::NotFound && finding.note.is_empty() {
                    finding.note = NOTHING_READ.into();
                }
                bar.inc(1);
                // The winner's text, read back from the archive, for the speaker.
                let text = finding
                    .source
                    .and_then(|i| by_index.get(&i))
                    .and_then(|s| match region {
                        Some(_) => s.page_text_path.as_deref(),
                        None => s.text_path.as_deref(),
                    })
                    .and_then(|p| crate::report::rerender::archive_file(&archive, p))
                    .and_then(|p| std::fs::read_to_string(p).ok());
                if let (Some(_), Some(page)) = (region, &text) {
                    fit_to_page_text(&mut finding, &quote.text, page);
                }
                quote_row(quote, &finding, region, &by_index, text.as_deref())
            })
            .collect::<Vec<QuoteRow>>()
    })
    .await
    .map_err(|e| Error::Write {
        path: config.report.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let out = open_output(&config.report)?;
    crate::report::quotes::write_csv(out, &rows).map_err(|e| csv_error(&config.report, e))?;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for verdict in [
        Verdict::Verified,
        Verdict::Approximate,
        Verdict::Misattributed,
        Verdict::SourceUnavailable,
        Verdict::NotFound,
    ] {
        let n = rows
            .iter()
            .filter(|r| r.verdict == verdict.as_str())
            .count();
        if n > 0 {
            counts.push((verdict.as_str(), n));
        }
    }
    let summary: Vec<String> = counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
    eprintln!(
        "{} quotes: {}",
        rows.len(),
        if summary.is_empty() {
            "none".into()
        } else {
            summary.join(", ")
        }
    );
    let findings = counts.iter().any(|(v, _)| config.fail_on.fails(v));
    Ok((Outcome { findings }, Some(rows)))
}

/// The page-text fallback (contract: `region`): when no article text gave the quote a
/// match (`not_found`, `source_unavailable`), the page texts' hits decide instead, with the
/// same rules, and the finding then says where on the page it stood. A match in any article
/// text always stands: a teaser in one page's sidebar never takes a quote from the page
/// whose article holds it. Returns the region of the reported page hit, `None` when the
/// article finding stands.
fn page_fallback(
    set: &QuoteSet,
    quote: usize,
    finding: &mut Finding,
    page: Vec<(SourceHit, crate::extract::Region)>,
    claimed: Option<usize>,
    available: &dyn Fn(usize) -> bool,
) -> Option<crate::extract::Region> {
    if !matches!(
        finding.verdict,
        Verdict::NotFound | Verdict::SourceUnavailable
    ) || !page.iter().any(|(h, _)| h.is_match)
    {
        return None;
    }
    let regions: HashMap<usize, crate::extract::Region> =
        page.iter().map(|(h, r)| (h.source, *r)).collect();
    let hits = page.into_iter().map(|(h, _)| h).collect();
    let on_page = set.finish(quote, hits, claimed, available);
    if !matches!(
        on_page.verdict,
        Verdict::Verified | Verdict::Approximate | Verdict::Misattributed
    ) {
        return None;
    }
    let region = on_page
        .source
        .and_then(|s| regions.get(&s).copied())
        .unwrap_or(crate::extract::Region::Body);
    let mut note = page_note(region);
    if !on_page.note.is_empty() {
        note = format!("{note}; {}", on_page.note);
    }
    *finding = on_page;
    finding.note = note;
    Some(region)
}

/// Makes a page hit's span, words and context those of the page text file itself: a hit
/// found across two blocks outside the article text (with an article block between them on
/// the page) is searched again in the whole page text.
fn fit_to_page_text(finding: &mut Finding, quote: &str, page: &str) {
    let span: String = page
        .chars()
        .skip(finding.start)
        .take(finding.end.saturating_sub(finding.start))
        .collect();
    if span == finding.matched_text {
        return;
    }
    let set = QuoteSet::new(&[quote]);
    if let Some((_, hit)) = set.scan(0, page).into_iter().find(|(_, h)| h.is_match) {
        if finding.verdict != Verdict::Misattributed {
            finding.verdict = if hit.verified {
                Verdict::Verified
            } else {
                Verdict::Approximate
            };
        }
        finding.score = hit.score;
        finding.start = hit.start;
        finding.end = hit.end;
        finding.matched_text = hit.matched_text;
        finding.context = hit.context;
        finding.differences = hit.differences;
        finding.omitted = hit.omitted;
        finding.attribution_gaps = hit.attribution_gaps;
    } else {
        finding.matched_text = span;
    }
}

/// The note of a quote found in a page text outside its article text.
fn page_note(region: crate::extract::Region) -> String {
    match region {
        crate::extract::Region::Body => "found in the page text, not in its article text \
             (a part of the page the article extraction left out)"
            .into(),
        r => format!(
            "found in the page's {}, not in its article text",
            r.describe()
        ),
    }
}

/// One report.csv row from a finding (`region`: where on the page a page-text hit stood;
/// `None` for an article hit).
fn quote_row(
    quote: &Quote,
    finding: &Finding,
    region: Option<crate::extract::Region>,
    sources: &HashMap<usize, &SourceText>,
    text: Option<&str>,
) -> QuoteRow {
    let source = finding.source.and_then(|i| sources.get(&i)).copied();
    let name = |i: &usize| sources.get(i).map(|s| s.url.clone());
    let found = matches!(
        finding.verdict,
        Verdict::Verified | Verdict::Approximate | Verdict::Misattributed
    );
    let attribution = match (found, text) {
        (true, Some(text)) => attribute(
            text,
            source.and_then(|s| s.title.as_deref()),
            finding.start,
            finding.end,
        ),
        _ => Attribution::default(),
    };
    let note = match attribution.note {
        Some(why) if finding.note.is_empty() => why,
        Some(why) => format!("{}; {why}", finding.note),
        None => finding.note.clone(),
    };
    let speaker = attribution.speaker;
    QuoteRow {
        id: quote.id.clone(),
        theme: quote.theme.clone(),
        quote: quote.text.clone(),
        verdict: finding.verdict.as_str().to_string(),
        source_url: source
            .filter(|_| found)
            .map(|s| s.url.clone())
            .unwrap_or_default(),
        score: found.then_some(finding.score),
        start: found.then_some(finding.start),
        end: found.then_some(finding.end),
        matched_text: if found {
            finding.matched_text.clone()
        } else {
            String::new()
        },
        context: if found {
            finding.context.clone()
        } else {
            String::new()
        },
        speaker: speaker.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        speaker_confidence: speaker
            .as_ref()
            .map(|s| s.confidence.to_string())
            .unwrap_or_default(),
        speaker_role: speaker.and_then(|s| s.role).unwrap_or_default(),
        claimed_source: quote.source.clone().unwrap_or_default(),
        note,
        via: source
            .filter(|_| found)
            .and_then(|s| s.via.clone())
            .unwrap_or_default(),
        differences: finding.differences.clone(),
        omitted: finding.omitted.clone(),
        also_found_in: finding
            .also_found_in
            .iter()
            .filter_map(name)
            .collect::<Vec<_>>()
            .join(" "),
        best_score: (!found && finding.best_score > 0.0).then_some(finding.best_score),
        best_source: if found {
            String::new()
        } else {
            finding
                .best_source
                .as_ref()
                .and_then(name)
                .unwrap_or_default()
        },
        text_path: source
            .filter(|_| found)
            .and_then(|s| match region {
                Some(_) => s.page_text_path.clone(),
                None => s.text_path.clone(),
            })
            .unwrap_or_default(),
        region: match (found, region) {
            (false, _) => String::new(),
            (true, None) => "article".into(),
            (true, Some(_)) => "page".into(),
        },
        line: quote.line,
    }
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
    /// A row an interrupted run already wrote (`--resume`).
    Resumed(Source, url::Url, Box<LinkRecord>),
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
    rescue: bool,
    probe: bool,
    probes: ProbeCache,
    accept: Option<AcceptStatus>,
    /// In `run`: the quotes each page's text is scanned for.
    quotes: Option<std::sync::Arc<QuoteStage>>,
}

/// A dead link's copy from the web archive.
struct Rescued {
    archived_url: String,
    text_path: Option<String>,
    title: Option<String>,
    text: Option<String>,
    /// The snapshot's page text (scanned as the fallback) and its file.
    page: Option<crate::extract::PageText>,
    page_text_path: Option<String>,
    note: Option<String>,
}

impl CheckContext {
    /// Fetches, judges and (in `run`) extracts and archives one cited URL; for a dead link,
    /// asks the web archive for a copy.
    async fn check_one(&self, source: Source, url: url::Url) -> Checked {
        let outcome = std::sync::Arc::new(self.fetcher.fetch(&url).await);
        // Decoding and judging a page is CPU work: off the thread that polls every fetch
        // (it ran there before, and that thread was the limit of `check`: bench/profile.md).
        let (cap_is_users, body_limit) = (self.cap_is_users, self.fetcher.body_limit());
        let judged = {
            let (source, url, outcome) = (source.clone(), url.clone(), outcome.clone());
            crate::cpu::run(move || check::judge(&source, &url, &outcome, cap_is_users, body_limit))
                .await
        };
        let (mut record, mut page) = judged.unwrap_or_else(|| {
            let mut record = check::invalid_record(
                &source,
                "internal",
                "internal error while reading the response (a bug: please report it)",
            );
            record.status = Some(LinkStatus::Unreachable);
            record.final_url = outcome.final_url.clone();
            (record, None)
        });
        // --accept: re-judged by the final HTTP status (check/accept.rs); an accepted 403's
        // page is read like any live page.
        if let Some(accept) = &self.accept {
            accept.apply(&mut record);
        }
        page = page.filter(|_| record.status.is_some_and(LinkStatus::is_live));
        if let Some(html) = page
            .as_ref()
            .filter(|p| p.is_html && self.probe)
            .map(|p| p.text.as_str())
            && self
                .answers_everything(&url, &record, outcome.hops.len(), html)
                .await
        {
            {
                record.status = Some(LinkStatus::Soft404);
                record.reason = "probe_match".into();
                record.error =
                    "soft 404: a made-up path in the same folder answers with the same page".into();
                page = None;
            }
        }
        let (article, page_text) = match page {
            Some(page) if self.archive.is_some() => {
                extract_page(page, record.final_url.clone()).await
            }
            _ => (None, None),
        };
        let mut text = article.as_ref().map(|a| a.text.clone());
        let mut title = article
            .as_ref()
            .and_then(|a| a.title.clone())
            .or_else(|| Some(record.title.clone()))
            .filter(|t| !t.is_empty());
        // The page text is scanned only where the article text is.
        let mut page_text = page_text.filter(|_| text.is_some());
        let mut scanned_page = self.quotes.as_ref().and(page_text.clone());
        let (mut text_path, mut page_text_path) = (None, None);
        if let Some(archive) = &self.archive {
            let capture = capture_of(&source, &outcome, &record, article, page_text.take());
            (text_path, page_text_path) = self.keep(archive, capture, &mut record).await;
        }
        let mut via = None;
        if self.rescue && record.status.is_some_and(LinkStatus::wants_rescue) {
            let rescued = self.rescue(&source, &url).await;
            if let Some(rescued) = rescued {
                record.archived_url = rescued.archived_url.clone();
                // A dead page's own title is the error page's; the snapshot's is the article's.
                if let Some(title) = rescued.title.filter(|_| rescued.text.is_some()) {
                    record.title = title;
                }
                if let Some(note) = rescued.note {
                    append_error(&mut record, &note);
                }
                if rescued.text.is_some() {
                    title = Some(record.title.clone()).filter(|t| !t.is_empty());
                    text = rescued.text;
                    via = Some(rescued.archived_url);
                    text_path = rescued.text_path;
                    scanned_page = rescued.page;
                    page_text_path = rescued.page_text_path;
                }
            }
        }
        let available = text.is_some();
        if let (Some(stage), Some(text)) = (&self.quotes, text) {
            scan_off_thread(stage.clone(), source.index, text, scanned_page).await;
        }
        let source_text = self.archive.as_ref().map(|_| SourceText {
            index: source.index,
            key: duplicate_key(&url),
            url: source.url.clone(),
            available,
            via,
            text_path,
            title,
            page_text_path,
        });
        Checked {
            record,
            source_text,
        }
    }

    /// Archives a capture; a failure is said in the row, the run goes on.
    /// Returns the paths of the text file and the page text file written, if any.
    async fn keep(
        &self,
        archive: &ArchiveHandle,
        capture: Capture,
        record: &mut LinkRecord,
    ) -> (Option<String>, Option<String>) {
        let is_main = capture.origin == CaptureOrigin::Live && capture.last.is_some();
        match archive.record(capture).await {
            Ok(archived) => {
                if is_main {
                    record.changed = archived
                        .text_changed
                        .map(|c| c.to_string())
                        .unwrap_or_default();
                }
                (archived.text_path, archived.page_text_path)
            }
            Err(e) => {
                tracing::error!("archive: {}: {e}", record.url);
                append_error(record, &format!("not archived: {e}"));
                (None, None)
            }
        }
    }

    /// Archives the exchanges of a probe or a web-archive look-up (evidence, not a page).
    async fn keep_lookup(&self, url: &url::Url, outcome: &FetchOutcome) {
        if let Some(archive) = &self.archive
            && let Err(e) = archive.record(capture_of_exchanges(url, outcome)).await
        {
            tracing::warn!("archive: {url}: {e}");
        }
    }

    /// The random-URL probe: does this folder answer every path with this page?
    async fn answers_everything(
        &self,
        url: &url::Url,
        record: &LinkRecord,
        hops: usize,
        html: &str,
    ) -> bool {
        let Some(probe_url) = check::probe::probe_url(url) else {
            return false;
        };
        let final_url = record.final_url.as_str();
        // `/nieuws/3161/<any slug>` may be the article 3161 itself: a soft 404 needs a
        // made-up sibling folder to match as well. That probe goes first: it is shared by the
        // whole section, while the folder's own probe would cost a request per article on
        // sites with one folder per article, and both must match anyway.
        if let Some((sibling_url, key)) = check::probe::sibling_folder_probe(url) {
            let cell = self.probes.cell(&key);
            let sibling = cell.get_or_init(|| self.probe_once(&sibling_url)).await;
            if !check::probe::is_probe_match(sibling, final_url, hops, html) {
                return false;
            }
        }
        let cell = self.probes.cell(&check::probe::folder_key(url));
        let result = cell.get_or_init(|| self.probe_once(&probe_url)).await;
        check::probe::is_probe_match(result, final_url, hops, html)
    }

    /// Fetches one made-up URL (archived as a look-up) and says what the host did with it.
    async fn probe_once(&self, probe_url: &url::Url) -> ProbeResult {
        let outcome = self.fetcher.fetch(probe_url).await;
        self.keep_lookup(probe_url, &outcome).await;
        match outcome.last_exchange() {
            Some(ex) if (200..300).contains(&ex.status) => {
                let (text, _) = decode_text(&decoded_body(ex), ex.header("content-type"));
                ProbeResult::AnswersEverything {
                    final_url: outcome.final_url.clone(),
                    hops: outcome.hops.len(),
                    shingles: check::probe::shingles(&text),
                }
            }
            Some(ex) if (400..500).contains(&ex.status) => ProbeResult::Honest,
            _ => ProbeResult::Unknown,
        }
    }

    /// Asks the web archive for the snapshot closest to the citation; in `run`, fetches and
    /// archives its original bytes and extracts its text.
    async fn rescue(&self, source: &Source, url: &url::Url) -> Option<Rescued> {
        let timestamp = wayback::citation_timestamp(url);
        let api = wayback::availability_url(&source.url, timestamp.as_deref());
        let lookup = self.fetcher.fetch(&api).await;
        self.keep_lookup(&api, &lookup).await;
        let snapshot = match lookup.last_exchange() {
            Some(ex) if ex.status == 200 => {
                match wayback::parse_availability(&decoded_body(ex), &source.url) {
                    Ok(Some(snapshot)) => snapshot,
                    Ok(None) => return None,
                    Err(e) => return Some(Rescued::failed(format!("web archive: {e}"))),
                }
            }
            Some(ex) => {
                return Some(Rescued::failed(format!(
                    "web archive look-up: HTTP {}",
                    ex.status
                )));
            }
            None => {
                let why = lookup
                    .failure
                    .as_ref()
                    .map_or("no answer".to_string(), ToString::to_string);
                return Some(Rescued::failed(format!(
                    "web archive look-up failed: {why}"
                )));
            }
        };
        let mut rescued = Rescued {
            archived_url: snapshot.archived_url.clone(),
            text_path: None,
            title: None,
            text: None,
            page: None,
            page_text_path: None,
            note: None,
        };
        let Some(archive) = &self.archive else {
            return Some(rescued);
        };
        let raw = url::Url::parse(&snapshot.raw_url).ok()?;
        let outcome = self.fetcher.fetch(&raw).await;
        let (judged, page) = check::judge(
            source,
            &raw,
            &outcome,
            self.cap_is_users,
            self.fetcher.body_limit(),
        );
        rescued.title = Some(judged.title.clone()).filter(|t| !t.is_empty());
        let (article, page_text) = match (judged.status, page) {
            (Some(status), Some(page)) if status.is_live() => {
                extract_page(page, source.url.clone()).await
            }
            (status, _) => {
                rescued.archived_url.clear();
                rescued.note = Some(format!(
                    "web archive snapshot {} not usable ({}{})",
                    snapshot.archived_url,
                    status.map_or("no answer", LinkStatus::as_str),
                    if judged.error.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", judged.error)
                    }
                ));
                (None, None)
            }
        };
        rescued.text = article.as_ref().map(|a| a.text.clone());
        rescued.page = page_text.clone().filter(|_| rescued.text.is_some());
        let mut capture = capture_of(source, &outcome, &judged, article, page_text);
        capture.origin = CaptureOrigin::Wayback;
        capture.memento_datetime = snapshot.memento_datetime();
        if capture.text.is_none() {
            capture.last = None;
        }
        let mut scratch = judged;
        (rescued.text_path, rescued.page_text_path) =
            self.keep(archive, capture, &mut scratch).await;
        Some(rescued)
    }
}

impl Rescued {
    fn failed(note: String) -> Rescued {
        Rescued {
            archived_url: String::new(),
            text_path: None,
            title: None,
            text: None,
            page: None,
            page_text_path: None,
            note: Some(note),
        }
    }
}

fn append_error(record: &mut LinkRecord, note: &str) {
    if record.error.is_empty() {
        record.error = note.to_string();
    } else {
        record.error = format!("{}; {note}", record.error);
    }
}

/// The body of an exchange with its content encoding undone (empty when it cannot be).
fn decoded_body(exchange: &crate::wire::Exchange) -> Vec<u8> {
    decode_content(
        exchange.header("content-encoding"),
        &exchange.wire.body,
        MAX_DECODED_BODY,
    )
    .unwrap_or_default()
}

/// A capture of exchanges that are evidence but no cited page (probes, archive look-ups):
/// WARC records only, no manifest line.
fn capture_of_exchanges(url: &url::Url, outcome: &FetchOutcome) -> Capture {
    Capture {
        cited_url: url.to_string(),
        origin: CaptureOrigin::Lookup,
        exchanges: outcome.exchanges.clone(),
        last: None,
        final_url: outcome.final_url.clone(),
        text: None,
        page: None,
        title: None,
        published: None,
        memento_datetime: None,
    }
}

/// Scans a text (and the page text, the fallback) for the quotes on a blocking thread (CPU
/// work), then drops them.
async fn scan_off_thread(
    stage: std::sync::Arc<QuoteStage>,
    source: usize,
    text: String,
    page: Option<crate::extract::PageText>,
) {
    let _ = crate::cpu::run(move || {
        stage.scan(source, &text);
        if let Some(page) = &page {
            stage.scan_page(source, page, &text);
        }
    })
    .await;
}

/// Extracts the article text and the whole page text (one parse) off the async threads
/// (the DOM is `!Send` and CPU-bound). A plain-text page is its own article text and has
/// no page text.
async fn extract_page(
    page: Page,
    url: String,
) -> (
    Option<crate::extract::Article>,
    Option<crate::extract::PageText>,
) {
    crate::cpu::run(move || {
        if page.is_html {
            let (article, page) = crate::extract::extract_with_page(&page.text, Some(&url));
            (Some(article), Some(page))
        } else {
            let article = crate::extract::Article {
                text: page.text,
                ..Default::default()
            };
            (Some(article), None)
        }
    })
    .await
    .unwrap_or((None, None))
}

fn capture_of(
    source: &Source,
    outcome: &FetchOutcome,
    record: &LinkRecord,
    article: Option<crate::extract::Article>,
    page: Option<crate::extract::PageText>,
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
        origin: CaptureOrigin::Live,
        exchanges: outcome.exchanges.clone(),
        last: outcome.last,
        final_url: outcome.final_url.clone(),
        text,
        page,
        title,
        published,
        memento_datetime: None,
    }
}

/// `check` (and the first stage of `run`): every row of the sources file to a links.csv
/// row, written in input order as results come in. In `run`, each page is also extracted and
/// archived, and the texts are returned for the quote stage. The rows are returned too, in
/// input order, for the combined renderings.
async fn check_links(
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
        fetcher: Fetcher::new(client, &config.fetch, body_limit),
        archive,
        cap_is_users: body_limit == config.max_body,
        rescue: config.rescue,
        probe: config.probe,
        probes: ProbeCache::default(),
        accept: config.accept.clone(),
        quotes: quotes.clone(),
    };
    let out = open_output(&config.links)?;
    let mut writer = LinkCsvWriter::new(out).map_err(|e| csv_error(&config.links, e))?;
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
                        archived_source(store, &source, duplicate_key(&url), quotes.as_deref())
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

/// `ingest`: a document's cited URLs and quotations to `sources.csv` and `quotes.csv`.
/// Both files are written only when the document could be read, each atomically, and
/// neither replaces an existing file unless `--force` is given.
fn ingest(args: &IngestArgs) -> Result<Outcome> {
    let stdout = |p: &Path| p.as_os_str() == "-";
    if stdout(&args.sources_out) && stdout(&args.quotes_out) {
        return Err(Error::Usage(
            "--sources-out - and --quotes-out - both write to stdout; send one of them to a \
             file"
                .into(),
        ));
    }
    if !args.force {
        let existing: Vec<String> = [&args.sources_out, &args.quotes_out]
            .into_iter()
            .filter(|p| !stdout(p) && p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Error::Usage(format!(
                "{} already exist{}; ingest does not replace files unless given --force \
                 (nothing was written)",
                existing.join(" and "),
                if existing.len() == 1 { "s" } else { "" }
            )));
        }
    }
    let bytes = std::fs::read(&args.document).map_err(|source| Error::Read {
        path: args.document.clone(),
        source,
    })?;
    let document =
        crate::input::document::ingest_file(&args.document, &bytes).map_err(|e| Error::Input {
            path: args.document.clone(),
            reason: e.to_string(),
        })?;
    let name = args.document.display();
    for warning in &document.warnings {
        tracing::warn!("{name}: {warning}");
    }
    for skipped in &document.skipped {
        eprintln!("{name}: skipped {skipped}");
    }
    for (line, reason) in &document.unpaired {
        eprintln!("{name}:{line}: {reason}");
    }
    let mut sources = csv::Writer::from_writer(Vec::new());
    let mut quotes = csv::Writer::from_writer(Vec::new());
    let rendered: csv::Result<()> = (|| {
        sources.write_record(["id", "url", "line"])?;
        let cited = document
            .urls
            .iter()
            .filter(|u| u.role == crate::input::document::UrlRole::Citation);
        for (i, url) in cited.enumerate() {
            sources.write_record([format!("S{}", i + 1), url.url.clone(), url.line.to_string()])?;
        }
        quotes.write_record(["id", "theme", "quote", "source", "pairing", "line"])?;
        for (i, quote) in document.quotes.iter().enumerate() {
            quotes.write_record([
                format!("Q{}", i + 1),
                quote.theme.clone().unwrap_or_default(),
                quote.text.clone(),
                quote.source.clone().unwrap_or_default(),
                quote
                    .pairing
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                quote.line.to_string(),
            ])?;
        }
        Ok(())
    })();
    rendered.map_err(|e| csv_error(&args.sources_out, e))?;
    let sources = sources.into_inner().map_err(|e| Error::Write {
        path: args.sources_out.clone(),
        source: e.into_error(),
    })?;
    let quotes = quotes.into_inner().map_err(|e| Error::Write {
        path: args.quotes_out.clone(),
        source: e.into_error(),
    })?;
    write_atomically(&args.sources_out, &sources)?;
    write_atomically(&args.quotes_out, &quotes)?;
    let paired = document
        .quotes
        .iter()
        .filter(|q| q.source.is_some())
        .count();
    eprintln!(
        "{name}: {}; {paired} of {} quotations paired with a source; wrote {} and {}",
        document.summary(),
        document.quotes.len(),
        args.sources_out.display(),
        args.quotes_out.display()
    );
    Ok(Outcome::default())
}

/// Writes a whole file through a temporary file in the same folder, then renames it, so a
/// reader never sees half a file; `-` writes to stdout.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        return out.write_all(bytes).and_then(|_| out.flush()).map_err(fail);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// `text`: the main article text of one page (a file, a URL, or stdin).
async fn text(args: &TextArgs) -> Result<Outcome> {
    let input = args.input.as_str();
    let (bytes, content_type, url) = if input == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|source| {
            Error::Read {
                path: "-".into(),
                source,
            }
        })?;
        (bytes, None, None)
    } else if input.starts_with("http://") || input.starts_with("https://") {
        fetch_one(args, input).await?
    } else {
        let bytes = std::fs::read(input).map_err(|source| Error::Read {
            path: input.into(),
            source,
        })?;
        (bytes, None, None)
    };
    let (html, _) = decode_text(&bytes, content_type.as_deref());
    let json = |value: serde_json::Result<String>| {
        value.map(|j| j + "\n").map_err(|e| Error::Write {
            path: "-".into(),
            source: e.into(),
        })
    };
    let out = match (args.page, args.json) {
        (true, true) => {
            let (article, page) = crate::extract::extract_with_page(&html, url.as_deref());
            json(serde_json::to_string_pretty(&serde_json::json!({
                "title": article.title,
                "text": page.text,
                "regions": page.regions,
            })))?
        }
        (true, false) => format!("{}\n", crate::extract::page_text(&html).text),
        (false, true) => json(serde_json::to_string_pretty(
            &crate::extract::extract_article(&html, url.as_deref()),
        ))?,
        (false, false) => format!(
            "{}\n",
            crate::extract::extract_article(&html, url.as_deref()).text
        ),
    };
    write_atomically(Path::new("-"), out.as_bytes())?;
    Ok(Outcome::default())
}

/// Fetches one page for `text URL`, with the same client, remap and caps as a run.
async fn fetch_one(
    args: &TextArgs,
    input: &str,
) -> Result<(Vec<u8>, Option<String>, Option<String>)> {
    let settings = FetchSettings {
        remap: Remap::parse(&args.remap)?,
        timeout: crate::config::timeout_from_secs(args.timeout)?,
        retries: crate::config::DEFAULT_RETRIES,
        concurrency: 1,
        per_host: 1,
        // One request: no gap to keep.
        host_interval: Duration::ZERO,
        exclude_private: false,
        user_agent: crate::config::default_user_agent(),
    };
    let max_body = crate::config::DEFAULT_MAX_BODY;
    let url = parse_cited(input).map_err(|e| Error::Usage(format!("{input}: {}", e.message)))?;
    let fetcher = Fetcher::new(build_client(settings.timeout)?, &settings, max_body);
    let outcome = fetcher.fetch(&url).await;
    let source = Source {
        index: 0,
        id: "1".into(),
        url: input.into(),
        line: 0,
    };
    let (record, page) = check::judge(&source, &url, &outcome, true, max_body);
    match page.filter(|_| record.status.is_some_and(LinkStatus::is_live)) {
        Some(page) => Ok((
            page.text.into_bytes(),
            Some("text/html; charset=utf-8".into()),
            Some(record.final_url),
        )),
        None => Err(Error::Input {
            path: input.into(),
            reason: format!("{}: {}", record.status_str(), record.error),
        }),
    }
}

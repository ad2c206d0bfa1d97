//! The archived-source reader (`verify`, `run --offline`, `--resume`): the latest archived
//! article text and page text of each cited URL, from the text files or, failing those,
//! from the WARC records themselves.

use std::collections::HashMap;

use crate::archive::CaptureOrigin;
use crate::archive::ManifestEntry;
use crate::archive::store::ArchiveStore;
use crate::check::{self, CheckedFrom, LinkRecord, LinkStatus, Reason};
use crate::config::Config;
use crate::config::MAX_DECODED_BODY;
use crate::error::{Error, Result};
use crate::http::body::{decode_content, decode_text};
use crate::input::Source;
use crate::input::url::{duplicate_key, parse_cited};
use crate::report::links::LinkCsvWriter;
use crate::report::open_output;
use crate::report::publish::Publisher;

use super::quotes::QuoteStage;
use super::{Outcome, csv_error, link_outcome};
use crate::locate::SourceText;

/// The latest archived text of every cited URL (for `verify` and `--offline`), each scanned
/// for the quotes as it is read and then dropped: memory does not grow with the texts. The
/// links are reported from the same captures: links.csv gets one row per input row, marked
/// `checked_from = archive` with the capture's date (the rows are also returned when the
/// renderings need them).
pub(super) fn archived_texts(
    config: &Config,
    quotes: Option<&QuoteStage>,
    publisher: &mut Option<Publisher>,
) -> Result<(Outcome, Vec<SourceText>)> {
    let store = open_archive(config)?;
    let mut reader = config.input.open()?;
    let mut texts = Vec::new();
    let out = open_output(&config.links)?;
    let mut writer =
        LinkCsvWriter::with_guard(out, !config.raw_csv).map_err(|e| csv_error(&config.links, e))?;
    let mut counts: HashMap<LinkStatus, usize> = HashMap::new();
    // Each row goes to the publisher as it is written (none is kept).
    let mut written = |record: &LinkRecord| {
        if let Some(p) = publisher.as_mut() {
            p.link(record);
        }
    };
    let mut emit = |record: LinkRecord| -> Result<()> {
        *counts.entry(record.status).or_default() += 1;
        writer
            .push_then(record, &mut written)
            .map_err(|e| csv_error(&config.links, e))
    };
    // Keys are remembered only for URLs the file names more than once.
    let repeats = crate::input::repeats::Repeats::scan_inputs(&config.input, &|_| true);
    let mut seen: HashMap<String, check::Original> = HashMap::new();
    let mut skipped = 0;
    while let Some(item) = reader.next_source()? {
        let source = match item {
            Ok(source) => source,
            Err(problem) => {
                tracing::warn!("{problem}");
                skipped += 1;
                continue;
            }
        };
        let url = match parse_cited(&source.url) {
            Ok(url) => url,
            Err(invalid) => {
                let mut record =
                    check::invalid_record(&source, invalid.reason.into(), &invalid.message);
                record.checked_from = CheckedFrom::Archive;
                emit(record)?;
                continue;
            }
        };
        let key = duplicate_key(&url);
        if let Some(original) = seen.get(&key) {
            let mut record = check::duplicate_record(&source, original);
            record.checked_from = CheckedFrom::Archive;
            emit(record)?;
            continue;
        }
        let entry = store.latest(&source.url);
        let record = archived_link(&source, entry.as_ref());
        if repeats.may_repeat(&key) {
            seen.insert(key.clone(), check::Original::from(&record));
        }
        emit(record)?;
        if entry.is_none() {
            tracing::warn!(
                "{}:{}: {} is not in the archive",
                source
                    .file
                    .as_deref()
                    .map_or_else(|| config.input.name().display().to_string(), str::to_string),
                source.line,
                source.url
            );
        }
        let text = archived_source(&store, &source, entry, key, quotes);
        if quotes.is_some_and(|q| q.wants(&text)) {
            texts.push(text);
        }
    }
    writer
        .finish_then(&mut written)
        .map_err(|e| csv_error(&config.links, e))?;
    if let Some(p) = publisher.as_mut() {
        p.skipped_rows(skipped);
    }
    let outcome = link_outcome(config, &counts, " (from the archive)", skipped, false);
    Ok((outcome, texts))
}

/// A links.csv row from the archive's latest capture of a URL: the status the link had
/// when it was captured (older archives: judged from the stored HTTP status), its HTTP
/// status, final URL, title and date. A URL the archive holds no capture of is
/// `unreachable` (`not_archived`): offline, nothing can be said of it.
fn archived_link(source: &Source, entry: Option<&ManifestEntry>) -> LinkRecord {
    let mut record = LinkRecord {
        checked_from: CheckedFrom::Archive,
        ..LinkRecord::of_source(source, LinkStatus::Unreachable)
    };
    let Some(e) = entry else {
        record.reason = Some(Reason::NotArchived);
        record.error = "no capture of this URL in the archive (offline: no request made)".into();
        return record;
    };
    let wayback = e.source == CaptureOrigin::Wayback.as_str();
    let stored = e.link_status.as_deref().and_then(LinkStatus::from_name);
    let status = stored.unwrap_or(match e.http_status {
        _ if wayback => LinkStatus::Broken,
        200..=299 if e.request_urls.len() > 1 => LinkStatus::Redirected,
        200..=299 => LinkStatus::Ok,
        403 | 429 => LinkStatus::Blocked,
        _ => LinkStatus::Broken,
    });
    record.status = status;
    // To the second, as a live row's `fetched_at`.
    let date = e
        .fetched_at
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| t.round(jiff::Unit::Second).ok())
        .map_or_else(|| e.fetched_at.clone(), |t| t.to_string());
    record.capture_date = date.clone();
    record.fetched_at = date;
    record.title = e.title.clone().unwrap_or_default();
    if wayback {
        record.archived_url = e.final_url.replacen("id_/", "/", 1);
        record.reason = Some(Reason::ArchivedCopy);
        record.error = format!(
            "{} when last checked; the archive holds the web archive's copy of {}",
            status.as_str(),
            e.memento_datetime.as_deref().unwrap_or(&e.fetched_at)
        );
    } else {
        record.http_status = Some(e.http_status);
        record.final_url = e.final_url.clone();
        record.redirects = e.request_urls.len().saturating_sub(1);
        if !status.is_live() {
            record.error = format!("HTTP {} in the archived capture", e.http_status);
        }
    }
    record
}

/// Opens the archive for `verify` and `run --offline`, with a message that says what is
/// wrong: no such folder, a folder no run has used, a run still writing to it (the lock is
/// taken before the manifest is looked for), or a folder whose runs archived nothing yet
/// (then every quote is `source_unavailable`, as the run that left it said).
fn open_archive(config: &Config) -> Result<ArchiveStore> {
    let dir = &config.archive;
    let missing = |reason: String| Error::Input {
        path: dir.clone(),
        reason,
    };
    if !dir.is_dir() {
        return Err(missing(
            "no such folder: nothing has been archived there (`citecheck run` archives the \
             cited pages; --archive names the folder of an earlier run)"
                .into(),
        ));
    }
    let manifest = dir.join(crate::archive::store::MANIFEST_FILE);
    // A folder a run has opened has its lock file, even when the run archived nothing.
    let used = dir.join(crate::archive::store::LOCK_FILE).exists() || manifest.exists();
    if !used {
        return Err(missing(
            "not a citecheck archive (no manifest.jsonl, no .lock): --archive names the \
             folder a `citecheck run` wrote"
                .into(),
        ));
    }
    let store =
        ArchiveStore::open_as(dir, config.archive_access).map_err(|source| Error::Read {
            path: dir.clone(),
            source: explain_denied(source),
        })?;
    for warning in store.warnings() {
        tracing::warn!("archive: {warning}");
    }
    if !manifest.exists() {
        tracing::warn!(
            "archive: {}: no page has been archived here yet (no manifest.jsonl): the runs that \
             used this folder could fetch none of the cited pages (links.csv says why), so every \
             quote is source_unavailable",
            dir.display()
        );
    }
    Ok(store)
}

/// A bare "Permission denied" names no file and no way out: say what reading needs.
fn explain_denied(source: std::io::Error) -> std::io::Error {
    if source.kind() != std::io::ErrorKind::PermissionDenied || source.get_ref().is_some() {
        return source;
    }
    std::io::Error::new(
        source.kind(),
        format!(
            "{source}: reading the archive needs read access to its folder, manifest.jsonl, \
             .lock, text/ and the WARC files (verify writes nothing there)"
        ),
    )
}

/// A cited page as the archive holds it (`entry`, its latest capture): the text is read, checked,
/// scanned for the quotes and dropped. Used by `verify` and for rows kept by `--resume`.
pub(super) fn archived_source(
    store: &ArchiveStore,
    source: &Source,
    entry: Option<crate::archive::ManifestEntry>,
    key: String,
    quotes: Option<&QuoteStage>,
) -> SourceText {
    let text = entry.as_ref().and_then(|e| {
        let (text, unsaved) = stored_text(store, e)?;
        if let (true, Some(stage), Some(rel)) = (unsaved, quotes, e.text_path.as_deref()) {
            stage.keep_unsaved(rel, &text);
        }
        Some(text)
    });
    if let (Some(stage), Some(text)) = (quotes, &text) {
        stage.scan(source.index, text);
    }
    // Older archives have no page text: their pages get no page fallback.
    let page = entry
        .as_ref()
        .filter(|_| text.is_some() && quotes.is_some())
        .and_then(|e| stored_page_text(store, e));
    if let (Some(stage), Some((page, on_disk)), Some(text), Some(e)) =
        (quotes, &page, &text, &entry)
        && stage.scan_page(source.index, page, text)
        && !on_disk
        && let Some(rel) = e.page_text_path.as_deref()
    {
        // A hit the report may name: its file is written now (most page texts have none).
        let unsaved = rewrite(store, rel, |store| {
            store.write_page_text(&e.cited_url, &page.text)
        });
        if unsaved {
            stage.keep_unsaved(rel, &page.text);
        }
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
        link: match (&entry, &text) {
            (None, _) => "no capture in the archive".into(),
            // A capture that never had a text (a 404, a 410): what the link was, as its
            // links.csv row from the archive says, not a read failure.
            (Some(e), None) if e.text_path.is_none() => format!(
                "{} in the archived capture of {}",
                archived_link(source, Some(e)).outcome_in_words(),
                e.fetched_at
            ),
            (Some(_), None) => "its archived text could not be read".into(),
            (Some(e), Some(_)) => format!("archived capture of {}", e.fetched_at),
        },
        text_path: entry.and_then(|e| e.text_path),
    }
}

/// The archived page text of a capture with its regions (from the manifest), and whether
/// its file holds it. The file is written only for pages whose page text gave a hit, so it
/// is usually missing (or from another capture of the same URL): the text is then read from
/// its `urn:pagetext:` record, or, failing that, extracted again from the page in the WARC.
/// `None` for captures without one.
fn stored_page_text(
    store: &ArchiveStore,
    entry: &crate::archive::ManifestEntry,
) -> Option<(crate::extract::PageText, bool)> {
    let rel = entry.page_text_path.as_deref()?;
    let regions = || {
        entry
            .page_regions
            .as_deref()
            .map(crate::extract::parse_regions)
            .unwrap_or_default()
    };
    let sha = |text: &str| crate::archive::store::sha256_hex(text.as_bytes());
    match store.read_text(rel) {
        Ok(text)
            if entry
                .page_text_sha256
                .as_deref()
                .is_none_or(|h| h == sha(&text)) =>
        {
            let regions = regions();
            return Some((crate::extract::PageText { text, regions }, true));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("archive: cannot read {rel} ({e}); reading its WARC record"),
    }
    match crate::archive::history::page_text_of(store.dir(), entry) {
        Ok(text)
            if entry
                .page_text_sha256
                .as_deref()
                .is_none_or(|h| h == sha(&text)) =>
        {
            let regions = regions();
            return Some((crate::extract::PageText { text, regions }, false));
        }
        Ok(_) => tracing::warn!(
            "archive: the page text record of {} does not match its manifest hash; \
             extracting it again from the WARC",
            entry.cited_url
        ),
        Err(e) => tracing::warn!(
            "archive: cannot read the page text record of {} ({e}); extracting it again \
             from the WARC",
            entry.cited_url
        ),
    }
    let page = texts_from_warc(store, entry)?.1?;
    Some((page, false))
}

/// The archived text of a capture, checked against the manifest's hash. A text that is
/// missing or differs (a crash took it back, or someone edited it) is extracted again from
/// the page in the WARC file and rewritten, so offsets always refer to the file on disk;
/// `true` beside a text that could not be rewritten (a read-only `verify`).
fn stored_text(
    store: &ArchiveStore,
    entry: &crate::archive::ManifestEntry,
) -> Option<(String, bool)> {
    let rel = entry.text_path.as_deref()?;
    match store.read_text(rel) {
        Ok(text)
            if entry
                .text_sha256
                .as_deref()
                .is_none_or(|h| h == crate::archive::store::sha256_hex(text.as_bytes())) =>
        {
            return Some((text, false));
        }
        Ok(_) => tracing::warn!(
            "archive: {rel} does not match its manifest hash; extracting it again from the WARC"
        ),
        Err(e) => {
            tracing::warn!("archive: cannot read {rel} ({e}); extracting it again from the WARC")
        }
    }
    let text = texts_from_warc(store, entry)?.0;
    let unsaved = rewrite(store, rel, |store| {
        store.write_text(&entry.cited_url, &text)
    });
    Some((text, unsaved))
}

/// Writes a text extracted again from the WARC back to its file, unless the archive is
/// read-only (`verify` without `--repair`): then the file stays as it is, the report's
/// offsets refer to the text extracted again (kept in memory), and this returns `true`.
fn rewrite(
    store: &ArchiveStore,
    rel: &str,
    write: impl FnOnce(&ArchiveStore) -> std::io::Result<crate::archive::store::TextFile>,
) -> bool {
    if store.is_read_only() {
        tracing::warn!(
            "archive: {rel} left as it is (read-only verify): the report's offsets refer to \
             the text extracted again; `citecheck verify --repair` writes it back"
        );
        return true;
    }
    if let Err(e) = write(store) {
        tracing::warn!("archive: cannot rewrite {rel}: {e}");
    }
    false
}

/// A stored HTTP response: its `Content-Type` and its body with content encodings undone.
pub(super) struct StoredResponse {
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Reads the HTTP response in a WARC `response` record's block.
pub(super) fn stored_response(block: &[u8]) -> Option<StoredResponse> {
    let split = memchr::memmem::find(block, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&block[..split]);
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let body = decode_content(
        header("content-encoding").as_deref(),
        &block[split + 4..],
        MAX_DECODED_BODY,
    )
    .ok()?;
    Some(StoredResponse {
        content_type: header("content-type"),
        body,
    })
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
    let StoredResponse { content_type, body } = stored_response(&record.block)?;
    let (html, _) = decode_text(&body, content_type.as_deref());
    if content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("text/plain"))
    {
        return Some((html, None));
    }
    let (article, page) = crate::extract::extract_with_page(&html, Some(&entry.cited_url));
    Some((article.text, Some(page)))
}

//! The archived-source reader (`verify`, `run --offline`, `--resume`): the latest archived
//! article text and page text of each cited URL, from the text files or, failing those,
//! from the WARC records themselves.

use std::collections::HashMap;

use crate::archive::CaptureOrigin;
use crate::archive::ManifestEntry;
use crate::archive::store::ArchiveStore;
use crate::check::{self, CheckedFrom, LinkRecord, LinkStatus};
use crate::config::Config;
use crate::config::MAX_DECODED_BODY;
use crate::error::{Error, Result};
use crate::http::body::{decode_content, decode_text};
use crate::input::Source;
use crate::input::url::{duplicate_key, parse_cited};
use crate::report::links::LinkCsvWriter;
use crate::report::open_output;

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
) -> Result<(Outcome, Vec<SourceText>, Vec<LinkRecord>)> {
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
    let mut reader = config.input.open()?;
    let mut texts = Vec::new();
    let out = open_output(&config.links)?;
    let mut writer =
        LinkCsvWriter::with_guard(out, !config.raw_csv).map_err(|e| csv_error(&config.links, e))?;
    let keep_rows = crate::report::publish::wants_rows(&config.publish);
    let mut records = Vec::new();
    let mut counts: HashMap<LinkStatus, usize> = HashMap::new();
    let mut emit = |record: LinkRecord| -> Result<()> {
        if let Some(status) = record.status {
            *counts.entry(status).or_default() += 1;
        }
        if keep_rows {
            records.push(record.clone());
        }
        writer.push(record).map_err(|e| csv_error(&config.links, e))
    };
    // Keys are remembered only for URLs the file names more than once.
    let repeats = crate::input::repeats::Repeats::scan_inputs(&config.input);
    let mut seen: HashMap<String, check::Original> = HashMap::new();
    while let Some(item) = reader.next_source()? {
        let source = match item {
            Ok(source) => source,
            Err(problem) => {
                tracing::warn!("{problem}");
                continue;
            }
        };
        let url = match parse_cited(&source.url) {
            Ok(url) => url,
            Err(invalid) => {
                let mut record = check::invalid_record(&source, invalid.reason, &invalid.message);
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
                config.sources.display(),
                source.line,
                source.url
            );
        }
        let text = archived_source(&store, &source, entry, key, quotes);
        if quotes.is_some_and(|q| q.wants(&text)) {
            texts.push(text);
        }
    }
    writer.finish().map_err(|e| csv_error(&config.links, e))?;
    let outcome = link_outcome(config, &counts, " (from the archive)");
    Ok((outcome, texts, records))
}

/// A links.csv row from the archive's latest capture of a URL: the status the link had
/// when it was captured (older archives: judged from the stored HTTP status), its HTTP
/// status, final URL, title and date. A URL the archive holds no capture of is
/// `unreachable` (`not_archived`): offline, nothing can be said of it.
fn archived_link(source: &Source, entry: Option<&ManifestEntry>) -> LinkRecord {
    let mut record = LinkRecord {
        index: source.index,
        line: source.line,
        file: source.file.clone(),
        id: source.id.clone(),
        url: source.url.clone(),
        checked_from: CheckedFrom::Archive,
        ..LinkRecord::default()
    };
    let Some(e) = entry else {
        record.status = Some(LinkStatus::Unreachable);
        record.reason = "not_archived".into();
        record.error = "no capture of this URL in the archive (offline: no request made)".into();
        return record;
    };
    let wayback = e.source == CaptureOrigin::Wayback.as_str();
    let stored = e
        .link_status
        .as_deref()
        .and_then(|s| LinkStatus::ALL.into_iter().find(|x| x.as_str() == s));
    let status = stored.unwrap_or(match e.http_status {
        _ if wayback => LinkStatus::Broken,
        200..=299 if e.request_urls.len() > 1 => LinkStatus::Redirected,
        200..=299 => LinkStatus::Ok,
        403 | 429 => LinkStatus::Blocked,
        _ => LinkStatus::Broken,
    });
    record.status = Some(status);
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
        record.reason = "archived_copy".into();
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

/// A cited page as the archive holds it (`entry`, its latest capture): the text is read, checked,
/// scanned for the quotes and dropped. Used by `verify` and for rows kept by `--resume`.
pub(super) fn archived_source(
    store: &ArchiveStore,
    source: &Source,
    entry: Option<crate::archive::ManifestEntry>,
    key: String,
    quotes: Option<&QuoteStage>,
) -> SourceText {
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
        link: match (&entry, &text) {
            (None, _) => "no capture in the archive".into(),
            (Some(_), None) => "its archived text could not be read".into(),
            (Some(e), Some(_)) => format!("archived capture of {}", e.fetched_at),
        },
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

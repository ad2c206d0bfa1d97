//! The archived-source reader (`verify`, `run --offline`, `--resume`): the latest archived
//! article text and page text of each cited URL, from the text files or, failing those,
//! from the WARC records themselves.

use crate::archive::CaptureOrigin;
use crate::archive::store::ArchiveStore;
use crate::config::Config;
use crate::config::MAX_DECODED_BODY;
use crate::error::{Error, Result};
use crate::http::body::{decode_content, decode_text};
use crate::input::Source;
use crate::input::url::{duplicate_key, parse_cited};

use super::quotes::QuoteStage;
use crate::locate::SourceText;

/// The latest archived text of every cited URL (for `verify` and `--offline`), each scanned
/// for the quotes as it is read and then dropped: memory does not grow with the texts.
pub(super) fn archived_texts(
    config: &Config,
    quotes: Option<&QuoteStage>,
) -> Result<Vec<SourceText>> {
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
    // Keys are remembered only for URLs the file names more than once.
    let repeats = crate::input::repeats::Repeats::scan_inputs(&config.input);
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
        let entry = store.latest(&source.url);
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
    Ok(texts)
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

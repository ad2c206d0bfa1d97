//! `run --screenshots`: after report.csv, a picture of each located quote in its archived
//! page (`archive::shots` renders it), kept as `archive/shots/*.png`, as a WARC `resource`
//! record `urn:screenshot:<cited URL>#<quote id>` (a new WARC file of the run, indexed), and
//! as a line of `archive/shots/shots.jsonl` that report.html reads.
//!
//! Nothing here fails the run but the archive itself: no Chromium is one notice, and a page
//! that cannot be rendered (its passage not in its markup, a browser that hangs or crashes)
//! is one note in the summary line.

use std::sync::Arc;
use std::time::Instant;

use crate::archive::ManifestEntry;
use crate::archive::session::ArchiveSession;
use crate::archive::shots::{
    Browser, Lookup, Served, ShotEntry, ShotSettings, append_entries, find_browser, mark_passage,
    quote_id, shoot, shot_uri,
};
use crate::archive::store::{ArchiveStore, write_shot_file};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::body::decode_text;
use crate::report::quotes::QuoteRow;

/// Takes the pictures of the located quotes among `rows` (report.csv's rows, in order).
pub(super) fn take_shots<'a>(
    config: &Config,
    settings: &ShotSettings,
    rows: impl Iterator<Item = &'a QuoteRow>,
) -> Result<()> {
    let located: Vec<(&QuoteRow, String)> = rows
        .enumerate()
        .filter(|(_, r)| {
            r.start.is_some() && !r.source_url.is_empty() && !r.matched_text.is_empty()
        })
        .map(|(i, r)| (r, quote_id(&r.id, i)))
        .collect();
    if located.is_empty() {
        return Ok(());
    }
    let browser = match find_browser(settings.chromium.as_deref()) {
        Ok(browser) => browser,
        Err(why) => {
            eprintln!("screenshots: no Chromium found ({why}); run goes on without pictures");
            return Ok(());
        }
    };
    let dir = &config.archive;
    let write_error = |source| Error::Write {
        path: dir.clone(),
        source,
    };
    let store = Arc::new(ArchiveStore::open(dir).map_err(|source| Error::Read {
        path: dir.clone(),
        source,
    })?);
    let archive = store.clone();
    let lookup: Lookup = Arc::new(move |url: &str| served_from_archive(&archive, url));
    let started = Instant::now();
    let mut session: Option<ArchiveSession> = None;
    let mut taken = 0;
    let mut notes = Vec::new();
    let bar = crate::progress::stage_bar("screenshots", Some(located.len() as u64));
    for (row, id) in &located {
        bar.inc(1);
        let one = Instant::now();
        let picture = picture_of(&store, &browser, settings, row, lookup.clone());
        let (picture, capture, rendered_from) = match picture {
            Ok(p) => p,
            Err(why) => {
                tracing::warn!("screenshots: {id} ({}): {why}", row.source_url);
                notes.push(format!("{id}: {why}"));
                continue;
            }
        };
        if !picture.refused.is_empty() {
            tracing::info!(
                "screenshots: {id}: refused {} request(s) the archive does not hold: {}",
                picture.refused.len(),
                picture.refused.join(", ")
            );
        }
        let file = write_shot_file(dir, &row.source_url, id, &picture.png).map_err(write_error)?;
        let session = match session.as_mut() {
            Some(s) => s,
            None => session.insert(
                ArchiveSession::open(dir, &config.fetch.user_agent, config.warc_max_size)
                    .map_err(write_error)?,
            ),
        };
        let now = jiff::Timestamp::now();
        let reference = session
            .append_resource(
                &shot_uri(&row.source_url, id),
                "image/png",
                &picture.png,
                Some(&rendered_from),
                now,
            )
            .map_err(write_error)?;
        session.sync().map_err(write_error)?;
        let entry = ShotEntry {
            cited_url: row.source_url.clone(),
            quote_id: id.clone(),
            path: file.rel_path,
            sha256: file.sha256,
            record_id: reference.record_id,
            warc_file: reference.warc_file,
            offset: reference.offset,
            length: reference.length,
            rendered_from,
            capture_fetched_at: capture.fetched_at.clone(),
            taken_at: reference.warc_date,
        };
        append_entries(dir, &[entry]).map_err(write_error)?;
        let (w, h) = crate::archive::shots::png_size(&picture.png).unwrap_or_default();
        tracing::info!(
            "screenshots: {id} in {:.2} s ({w}x{h}, {} bytes)",
            one.elapsed().as_secs_f64(),
            picture.png.len()
        );
        taken += 1;
    }
    bar.finish_and_clear();
    if let Some(session) = session {
        session.finish().map_err(write_error)?;
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("; none for {}", notes.join("; "))
    };
    eprintln!(
        "screenshots: {taken} of {} located quotes in {:.1} s ({}){notes}",
        located.len(),
        started.elapsed().as_secs_f64(),
        dir.join(crate::archive::store::SHOTS_DIR).display()
    );
    Ok(())
}

/// The picture of one quote, the latest capture of its page and the response record it was
/// rendered from (the capture's own, or for a revisit the earlier one with the same body);
/// the error is the note.
fn picture_of(
    store: &ArchiveStore,
    browser: &Browser,
    settings: &ShotSettings,
    row: &QuoteRow,
    lookup: Lookup,
) -> std::result::Result<(crate::archive::shots::Picture, ManifestEntry, String), String> {
    let latest = store
        .latest(&row.source_url)
        .ok_or("the page is not in the archive")?;
    let capture = store.original(&latest);
    let (page_url, served) =
        archived_response(store, &capture).ok_or("its archived response cannot be read")?;
    if !served.content_type.to_ascii_lowercase().contains("html") {
        return Err(format!("not an HTML page ({})", served.content_type));
    }
    let (html, _) = decode_text(&served.body, Some(&served.content_type));
    let marked = mark_passage(&html, &row.matched_text)
        .ok_or("the passage's words are not in the page's markup")?;
    let picture = shoot(browser, &page_url, marked, lookup, settings.timeout)?;
    Ok((picture, latest, capture.record_id))
}

/// A capture's response as stored: the URL it was requested at (`WARC-Target-URI`), its
/// `Content-Type` and its body with content encodings undone.
fn archived_response(store: &ArchiveStore, capture: &ManifestEntry) -> Option<(String, Served)> {
    let path = store.warc_path(&capture.warc_file).ok()?;
    let record = crate::archive::read_record_at(&path, capture.offset, capture.length).ok()?;
    let url = record.header("WARC-Target-URI")?.to_string();
    let response = super::archived::stored_response(&record.block)?;
    let content_type = response
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    Some((
        url,
        Served {
            content_type,
            body: response.body,
        },
    ))
}

/// A sub-request answered from the archive: the latest capture of that URL (or of its
/// `https` twin, since pages are served over plain HTTP), else nothing (refused).
fn served_from_archive(store: &ArchiveStore, url: &str) -> Option<Served> {
    let twin = url
        .strip_prefix("http://")
        .map(|rest| format!("https://{rest}"));
    [Some(url.to_string()), twin]
        .into_iter()
        .flatten()
        .find_map(|u| store.latest(&u))
        .and_then(|latest| archived_response(store, &store.original(&latest)))
        .map(|(_, served)| served)
}

//! Earlier captures: for each cited URL whose article text changed at its latest capture
//! (`text_changed`), the capture before it and its text, read back from the WARC (the text
//! file under `text/` holds only the latest text; every capture's text stays in its
//! `urn:text:` resource record, docs/archive.md §4).

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::files;
use super::store::{MANIFEST_FILE, ManifestEntry, each_manifest_line, url_key};

/// Largest earlier text read back; a bigger record is no article text.
const MAX_TEXT_BYTES: u64 = 20 * 1024 * 1024;

/// Members after a capture's response searched for its text record before a whole scan.
const NEARBY_MEMBERS: usize = 4;

/// Where a manifest line is: byte offset and length (no newline).
type Line = (u64, usize);

/// Per URL: the line before the latest with a text, the latest, and whether it says changed.
type LastTwo = (Option<Line>, Line, bool);

/// The two last captures with a text of a cited URL whose text changed between them.
#[derive(Debug, Clone)]
pub struct Change {
    /// The capture before the latest one.
    pub before: ManifestEntry,
    /// The latest capture (`text_changed` = true).
    pub now: ManifestEntry,
}

/// Every cited URL (by [`url_key`]) whose latest capture with a text has `text_changed` =
/// true, with the capture before it. No manifest: empty.
///
/// Memory follows the changed URLs, not the manifest: a first pass finds the URLs with any
/// line that says its text changed (a cheap byte search skips the others unparsed), a
/// second follows the last two captures of those URLs only (skipped when there are none),
/// and only their lines are parsed again at the end.
pub fn changed_pages(dir: &Path) -> io::Result<HashMap<String, Change>> {
    let path = dir.join(MANIFEST_FILE);
    let said_changed = memchr::memmem::Finder::new(b"text_changed");
    let mut lines: HashMap<String, Option<LastTwo>> = HashMap::new();
    let first = each_manifest_line(&path, |_, line| {
        if said_changed.find(line).is_some()
            && let Ok(entry) = serde_json::from_slice::<ManifestEntry>(line)
            && entry.text_record_id.is_some()
            && entry.text_changed == Some(true)
        {
            lines.insert(url_key(&entry.cited_url), None);
        }
        Ok(())
    });
    match first {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        other => other?,
    }
    if lines.is_empty() {
        return Ok(HashMap::new());
    }
    each_manifest_line(&path, |offset, line| {
        let Ok(entry) = serde_json::from_slice::<ManifestEntry>(line) else {
            return Ok(());
        };
        if entry.text_record_id.is_none() {
            return Ok(());
        }
        if let Some(last) = lines.get_mut(&url_key(&entry.cited_url)) {
            let at = (offset, line.len());
            let changed = entry.text_changed == Some(true);
            *last = Some(match *last {
                Some((_, now, _)) => (Some(now), at, changed),
                None => (None, at, changed),
            });
        }
        Ok(())
    })?;
    let mut file = files::open_read(&path)?;
    let mut read = |(offset, len): Line| -> io::Result<ManifestEntry> {
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes)?;
        serde_json::from_slice(&bytes).map_err(io::Error::other)
    };
    let mut out = HashMap::new();
    for (key, last) in lines {
        if let Some((Some(before), now, true)) = last {
            out.insert(
                key,
                Change {
                    before: read(before)?,
                    now: read(now)?,
                },
            );
        }
    }
    Ok(out)
}

/// The article text of `entry`, read from its `urn:text:` record in the WARC file the
/// manifest names (found by a scan of that file in bounded memory, then read at its offset).
pub fn text_of(dir: &Path, entry: &ManifestEntry) -> io::Result<String> {
    let Some(id) = entry.text_record_id.as_deref() else {
        return Err(io::Error::other("the capture has no text record"));
    };
    record_text(dir, entry, id)
}

/// The page text of `entry`, read from its `urn:pagetext:` record as [`text_of`] reads the
/// article text: its file is written only when a hit needs it.
pub fn page_text_of(dir: &Path, entry: &ManifestEntry) -> io::Result<String> {
    let Some(id) = entry.page_text_record_id.as_deref() else {
        return Err(io::Error::other("the capture has no page text record"));
    };
    if let Some((offset, length)) = entry.page_text_at {
        let record = super::warc::read_record_at(&warc_path(dir, entry)?, offset, length)?;
        if record.record_id() == Some(super::warc::bare_id(id)) {
            return text_of_record(record);
        }
    }
    record_text(dir, entry, id)
}

/// The WARC file `entry` names, inside the archive folder `dir`.
fn warc_path(dir: &Path, entry: &ManifestEntry) -> io::Result<std::path::PathBuf> {
    super::paths::inside_archive(dir, &entry.warc_file)
        .filter(|_| !entry.warc_file.contains('/'))
        .ok_or_else(|| io::Error::other("WARC file name leaves the archive folder"))
}

/// The text of the resource record `id` of `entry`'s capture (written after its final
/// response, in the same WARC file).
fn record_text(dir: &Path, entry: &ManifestEntry, id: &str) -> io::Result<String> {
    let id = super::warc::bare_id(id);
    let path = warc_path(dir, entry)?;
    // The text records are written right after the capture's final response (or revisit):
    // the members that follow it are read first, and the whole file scanned only if the
    // record is not among them.
    let size = files::open_read(&path)?.metadata()?.len();
    let mut next = entry.offset.saturating_add(entry.length);
    for _ in 0..NEARBY_MEMBERS {
        if next >= size {
            break;
        }
        let Ok(record) = super::warc::read_record_at(&path, next, size - next) else {
            break;
        };
        if record.record_id() == Some(id) {
            return text_of_record(record);
        }
        next = record.offset.saturating_add(record.length.max(1));
    }
    let mut at = None;
    super::warc::scan_records(&path, |rec| {
        if at.is_none()
            && rec
                .header("WARC-Record-ID")
                .is_some_and(|r| super::warc::bare_id(r) == id)
        {
            at = Some((rec.offset, rec.length));
        }
        Ok(())
    })?;
    let (offset, length) =
        at.ok_or_else(|| io::Error::other(format!("text record {id} not in {}", entry.warc_file)))?;
    text_of_record(super::warc::read_record_at(&path, offset, length)?)
}

/// The text a `urn:text:` record holds.
fn text_of_record(record: super::warc::WarcRecord) -> io::Result<String> {
    if record.block.len() as u64 > MAX_TEXT_BYTES {
        return Err(io::Error::other("text record too large"));
    }
    String::from_utf8(record.block).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(url: &str, at: &str, text: bool, changed: Option<bool>) -> String {
        let mut v = serde_json::json!({
            "cited_url": url, "final_url": url, "source": "live", "request_urls": [url],
            "fetched_at": at, "http_status": 200, "body_sha256": "", "payload_digest": "",
            "warc_file": "a.warc.gz", "offset": 0, "length": 0, "record_id": at,
        });
        if text {
            v["text_record_id"] = format!("t-{at}").into();
        }
        if let Some(c) = changed {
            v["text_changed"] = c.into();
        }
        v.to_string()
    }

    #[test]
    fn only_pages_whose_latest_text_changed_come_back_with_the_capture_before() {
        let dir = tempfile::tempdir().unwrap();
        assert!(changed_pages(dir.path()).unwrap().is_empty(), "no manifest");
        let lines = [
            line("https://a.nl/x", "2026-11-01T00:00:00Z", true, None),
            line("https://b.nl/y", "2026-11-01T00:00:01Z", true, None),
            line("https://a.nl/x", "2026-11-20T00:00:00Z", true, Some(true)),
            line("https://b.nl/y", "2026-11-20T00:00:01Z", true, Some(true)),
            // A capture without a text (a failed extraction) does not count.
            line("https://a.nl/x", "2026-12-01T00:00:00Z", false, None),
            line("https://b.nl/y", "2026-12-07T00:00:01Z", true, Some(false)),
            "{torn".to_string(),
        ];
        std::fs::write(dir.path().join(MANIFEST_FILE), lines.join("\n")).unwrap();
        let pages = changed_pages(dir.path()).unwrap();
        assert_eq!(pages.len(), 1, "{pages:?}");
        let a = &pages[&url_key("https://a.nl/x")];
        assert_eq!(a.before.fetched_at, "2026-11-01T00:00:00Z");
        assert_eq!(a.now.fetched_at, "2026-11-20T00:00:00Z");
    }

    #[test]
    fn a_warc_name_outside_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut entry: ManifestEntry =
            serde_json::from_str(&line("https://a.nl/x", "2026-11-01T00:00:00Z", true, None))
                .unwrap();
        entry.warc_file = "../elders.warc.gz".into();
        assert!(text_of(dir.path(), &entry).is_err());
    }
}

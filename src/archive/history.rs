//! Earlier captures: for each cited URL whose article text changed at its latest capture
//! (`text_changed`), the capture before it and its text, read back from the WARC (the text
//! file under `text/` holds only the latest text; every capture's text stays in its
//! `urn:text:` resource record, docs/archive.md §4).

use std::collections::HashMap;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::Path;

use super::files;
use super::store::{MANIFEST_FILE, ManifestEntry, url_key};

/// Largest earlier text read back; a bigger record is no article text.
const MAX_TEXT_BYTES: u64 = 20 * 1024 * 1024;

/// The two last captures with a text of a cited URL whose text changed between them.
#[derive(Debug, Clone)]
pub struct Change {
    /// The capture before the latest one.
    pub before: ManifestEntry,
    /// The latest capture (`text_changed` = true).
    pub now: ManifestEntry,
}

/// Every cited URL (by [`url_key`]) whose latest capture with a text has `text_changed` =
/// true, with the capture before it. One pass over `manifest.jsonl` keeping two line
/// positions per URL; only the changed URLs' lines are parsed again. No manifest: empty.
pub fn changed_pages(dir: &Path) -> io::Result<HashMap<String, Change>> {
    let path = dir.join(MANIFEST_FILE);
    let file = match files::open_read(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e),
    };
    // Per URL: (line before, latest line, whether the latest says the text changed).
    let mut lines: HashMap<String, (Option<(u64, usize)>, (u64, usize), bool)> = HashMap::new();
    let mut offset = 0u64;
    for line in io::BufReader::new(file).split(b'\n') {
        let line = line?;
        let at = (offset, line.len());
        offset += line.len() as u64 + 1;
        let Ok(entry) = serde_json::from_slice::<ManifestEntry>(&line) else {
            continue;
        };
        if entry.text_record_id.is_none() {
            continue;
        }
        let changed = entry.text_changed == Some(true);
        lines
            .entry(url_key(&entry.cited_url))
            .and_modify(|(before, now, c)| {
                *before = Some(*now);
                *now = at;
                *c = changed;
            })
            .or_insert((None, at, changed));
    }
    let mut file = files::open_read(&path)?;
    let mut read = |(offset, len): (u64, usize)| -> io::Result<ManifestEntry> {
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes)?;
        serde_json::from_slice(&bytes).map_err(io::Error::other)
    };
    let mut out = HashMap::new();
    for (key, (before, now, changed)) in lines {
        if let (true, Some(before)) = (changed, before) {
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
    let id = id.trim_start_matches('<').trim_end_matches('>');
    let path = super::paths::inside_archive(dir, &entry.warc_file)
        .filter(|_| !entry.warc_file.contains('/'))
        .ok_or_else(|| io::Error::other("WARC file name leaves the archive folder"))?;
    let mut at = None;
    super::warc::scan_records(&path, |rec| {
        if at.is_none()
            && rec
                .header("WARC-Record-ID")
                .is_some_and(|r| r.trim_start_matches('<').trim_end_matches('>') == id)
        {
            at = Some((rec.offset, rec.length));
        }
        Ok(())
    })?;
    let (offset, length) =
        at.ok_or_else(|| io::Error::other(format!("text record {id} not in {}", entry.warc_file)))?;
    let record = super::warc::read_record_at(&path, offset, length)?;
    if record.block.len() as u64 > MAX_TEXT_BYTES {
        return Err(io::Error::other("text record too large"));
    }
    String::from_utf8(record.block).map_err(io::Error::other)
}

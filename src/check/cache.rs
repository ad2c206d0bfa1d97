//! `--cache FILE`: links found `ok` or `redirected` within `--cache-max-age` are not fetched
//! again; their previous row is reused and marked `cached = true` in links.csv.
//!
//! The file is JSON Lines, one object per line:
//!
//! ```json
//! {"url":"https://www.x.nl/a","status":"ok","http_status":200,"final_url":"https://www.x.nl/a",
//!  "redirects":0,"title":"…","error":"","reason":"","redirect_chain":"","attempts":1,
//!  "content_type":"text/html","fetched_at":"2025-05-01T10:00:00Z","checked_at":"2025-05-01T10:00:00Z"}
//! ```
//!
//! Lines are keyed by the URL's duplicate key (fragment dropped, host lower-cased: the same
//! rule that finds duplicates), and the last line for a key wins. Memory does not grow with
//! the number of URLs:
//!
//! - The run appends a line for each row as it is written to links.csv (flushed with it, at
//!   least every second), so a killed run keeps what it learnt. A failure is appended too,
//!   with its status: it hides the URL's earlier line, since failures are never cached.
//! - At the end the file is compacted: sorted by key in runs of 4 MB spilled to temporary
//!   files and merged, one line per key, expired entries and failures dropped, written to a
//!   temporary file beside it and renamed over it (a run killed meanwhile leaves the file as
//!   it was, appended lines included).
//! - `check` looks entries up in a compacted copy made the same way when the cache is opened
//!   (an anonymous temporary file, gone when closed), through an index of one key per
//!   16 KB block of it: about 2.5 bytes per cached URL.
//!
//! A reader that keeps the last line per URL, as the reader before this one did, reads the
//! appended file right: a failure's line has a status that is never reused.
//!
//! A reused row keeps its first `checked_at`, so a link is fetched again once its entry is
//! older than the maximum age however many runs reused it. A line that cannot be read is
//! skipped with a warning.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{LinkRecord, LinkStatus, Reason};
use crate::external_sort::ExternalSort;
use crate::input::Source;
use crate::input::url::{duplicate_key, parse_cited};

/// `--cache-max-age` when not given.
pub const DEFAULT_CACHE_MAX_AGE: &str = "1d";

/// `--cache FILE` with `--cache-max-age`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    /// The cache file.
    pub path: PathBuf,
    /// How long an entry stays good.
    pub max_age: Duration,
}

/// Parses `90s`, `30m`, `12h`, `7d`, `2w` (a bare number is seconds).
pub fn parse_max_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        format!("--cache-max-age: '{text}' is not a duration such as 30m, 12h or 7d")
    })?;
    let seconds_per = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        other => {
            return Err(format!(
                "--cache-max-age: unknown unit '{other}' in '{text}'; use s, m, h, d or w"
            ));
        }
    };
    n.checked_mul(seconds_per)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("--cache-max-age: '{text}' is too long"))
}

/// One line of the cache file: the reusable fields of a links.csv row and when it was checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The URL as first cited.
    pub url: String,
    /// `ok` or `redirected`.
    pub status: String,
    /// Last HTTP status received.
    pub http_status: Option<u16>,
    /// Where redirects ended.
    pub final_url: String,
    /// Redirect hops followed.
    pub redirects: usize,
    /// The page's title.
    #[serde(default)]
    pub title: String,
    /// Notes on a live page (e.g. `not HTML (application/pdf)`).
    #[serde(default)]
    pub error: String,
    /// Machine-readable reason (e.g. `accepted`).
    #[serde(default)]
    pub reason: String,
    /// Each hop.
    #[serde(default)]
    pub redirect_chain: String,
    /// Requests made when it was checked.
    #[serde(default)]
    pub attempts: u32,
    /// The final response's media type.
    #[serde(default)]
    pub content_type: String,
    /// When the first request began (as in links.csv).
    #[serde(default)]
    pub fetched_at: String,
    /// When the result was recorded (RFC 3339 UTC); the age is measured from here.
    pub checked_at: String,
}

impl CacheEntry {
    /// The line a row appends: a live row's entry, or a failure's (its status, which is
    /// never reused, hides the URL's earlier entry until the file is compacted).
    fn noted(record: &LinkRecord, now: Timestamp) -> CacheEntry {
        let checked_at = record
            .fetched_at
            .parse::<Timestamp>()
            .unwrap_or(now)
            .to_string();
        CacheEntry {
            url: record.url.clone(),
            status: record.status.as_str().to_string(),
            http_status: record.http_status,
            final_url: record.final_url.clone(),
            redirects: record.redirects,
            title: record.title.clone(),
            error: record.error.clone(),
            reason: record.reason_str().to_string(),
            redirect_chain: record.redirect_chain.clone(),
            attempts: record.attempts,
            content_type: record.content_type.clone(),
            fetched_at: record.fetched_at.clone(),
            checked_at,
        }
    }

    /// The links.csv row for `source`, from this entry.
    pub fn record_for(&self, source: &Source) -> Option<LinkRecord> {
        let status = LinkStatus::from_name(&self.status).filter(|s| s.is_live())?;
        Some(LinkRecord {
            http_status: self.http_status,
            final_url: self.final_url.clone(),
            redirects: self.redirects,
            title: self.title.clone(),
            error: self.error.clone(),
            // A name this version does not know (another version's cache) is left out.
            reason: Reason::from_name(&self.reason),
            redirect_chain: self.redirect_chain.clone(),
            attempts: self.attempts,
            content_type: self.content_type.clone(),
            fetched_at: self.fetched_at.clone(),
            cached: true,
            ..LinkRecord::of_source(source, status)
        })
    }

    fn age(&self, now: Timestamp) -> Option<Duration> {
        let checked = self.checked_at.parse::<Timestamp>().ok()?;
        let span = now.duration_since(checked);
        // A time in the future (clock skew between machines sharing a cache) is age zero.
        Some(Duration::try_from(span).unwrap_or(Duration::ZERO))
    }
}

/// Bytes of sort records held in memory before a sorted run is spilled to a temporary file.
const SORT_BYTES: usize = 4 << 20;

/// Bytes of the look-up copy per index entry: a look-up reads one such block.
const BLOCK_BYTES: u64 = 16 << 10;

/// The cache of one run: the file it appends to, and (for `check`) the entries it may reuse.
#[derive(Debug)]
pub struct LinkCache {
    path: PathBuf,
    dir: PathBuf,
    max_age: Duration,
    now: Timestamp,
    /// The entries fresh when the cache was opened, sorted by key (`check` only).
    lookup: Option<Lookup>,
    /// The cache file, opened for appending (and reading, for the compaction at the end).
    log: BufWriter<File>,
    /// The first error appending to the file, reported when the run ends.
    failed: Option<io::Error>,
}

impl LinkCache {
    /// Opens the cache file for appending (an absent file is an empty cache). With `lookups`
    /// (`check`), its fresh entries are also compacted into a sorted copy for [`reuse`].
    /// `now` is the run's clock.
    ///
    /// [`reuse`]: LinkCache::reuse
    pub fn load(
        path: &Path,
        max_age: Duration,
        now: Timestamp,
        lookups: bool,
    ) -> io::Result<LinkCache> {
        LinkCache::load_with(path, max_age, now, lookups, SORT_BYTES)
    }

    fn load_with(
        path: &Path,
        max_age: Duration,
        now: Timestamp,
        lookups: bool,
        sort_bytes: usize,
    ) -> io::Result<LinkCache> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let lookup = if lookups {
            Some(Lookup::build(&file, path, &dir, max_age, now, sort_bytes)?)
        } else {
            None
        };
        // A run killed while writing a line left it without its line break: end it, so that
        // only that line is lost, not the next one too.
        let len = file.metadata()?.len();
        let mut last = [b'\n'];
        if len > 0 {
            file.read_exact_at(&mut last, len - 1)?;
        }
        let mut log = BufWriter::new(file);
        if last[0] != b'\n' {
            log.write_all(b"\n")?;
        }
        Ok(LinkCache {
            path: path.to_path_buf(),
            dir,
            max_age,
            now,
            lookup,
            log,
            failed: None,
        })
    }

    /// The reused row for a cited URL, when the cache held a fresh live result for it when
    /// it was opened. An error reading the copy is a miss (the link is fetched).
    pub fn reuse(&mut self, source: &Source, url: &url::Url) -> Option<LinkRecord> {
        let key = duplicate_key(url);
        let line = match self.lookup.as_mut()?.get(&key) {
            Ok(line) => line?,
            Err(e) => {
                tracing::warn!("{}: look-up copy unreadable: {e}", self.path.display());
                return None;
            }
        };
        serde_json::from_str::<CacheEntry>(&line)
            .ok()?
            .record_for(source)
    }

    /// Takes note of a row of this run: appends its line (a live result to keep, or a
    /// failure that hides the URL's earlier entry). Reused, duplicate and invalid rows
    /// change nothing.
    pub fn observe(&mut self, record: &LinkRecord) {
        if record.cached || matches!(record.status, LinkStatus::Duplicate | LinkStatus::Invalid) {
            return;
        }
        if self.failed.is_some() || key_of(&record.url).is_none() {
            return;
        }
        let entry = CacheEntry::noted(record, self.now);
        // A struct of strings and numbers always serialises.
        let Ok(mut line) = serde_json::to_string(&entry) else {
            return;
        };
        line.push('\n');
        // One write per line: a flush never splits a line unless it is longer than the buffer.
        if let Err(e) = self.log.write_all(line.as_bytes()) {
            self.failed = Some(e);
        }
    }

    /// Writes the appended lines out (called with links.csv's flush).
    pub fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(e) = self.log.flush()
        {
            self.failed = Some(e);
        }
    }

    /// Compacts the file: one line per URL (the last), sorted by key, expired entries and
    /// failures dropped; written to a temporary file beside it, then renamed over it.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut file = self.log.into_inner().map_err(|e| e.into_error())?;
        file.seek(io::SeekFrom::Start(0))?;
        let mut out = tempfile::NamedTempFile::new_in(&self.dir)?;
        crate::archive::files::set_default_mode(out.as_file())?;
        {
            let mut w = BufWriter::new(out.as_file_mut());
            compact(
                BufReader::new(&file),
                &self.path,
                &self.dir,
                self.max_age,
                self.now,
                SORT_BYTES,
                |_, line| {
                    w.write_all(line)?;
                    w.write_all(b"\n")
                },
            )?;
            w.flush()?;
        }
        out.as_file().sync_all()?;
        out.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// A compacted copy of the cache's fresh entries, one `key<TAB>line` a line in key order,
/// with the first key of every block of about [`BLOCK_BYTES`].
#[derive(Debug)]
struct Lookup {
    file: File,
    /// First key of each block and where the block begins; it ends where the next begins.
    blocks: Vec<(String, u64)>,
    len: u64,
    buf: Vec<u8>,
}

impl Lookup {
    fn build(
        source: &File,
        name: &Path,
        dir: &Path,
        max_age: Duration,
        now: Timestamp,
        sort_bytes: usize,
    ) -> io::Result<Lookup> {
        let file = tempfile::tempfile_in(dir)?;
        let mut blocks = Vec::new();
        let mut len = 0u64;
        let mut block_start = None::<u64>;
        {
            let mut w = BufWriter::new(&file);
            compact(
                BufReader::new(source),
                name,
                dir,
                max_age,
                now,
                sort_bytes,
                |key, line| {
                    if block_start.is_none_or(|start| len - start >= BLOCK_BYTES) {
                        blocks.push((String::from_utf8_lossy(key).into_owned(), len));
                        block_start = Some(len);
                    }
                    w.write_all(key)?;
                    w.write_all(b"\t")?;
                    w.write_all(line)?;
                    w.write_all(b"\n")?;
                    len += (key.len() + line.len() + 2) as u64;
                    Ok(())
                },
            )?;
            w.flush()?;
        }
        blocks.shrink_to_fit();
        Ok(Lookup {
            file,
            blocks,
            len,
            buf: Vec::new(),
        })
    }

    /// The line kept for `key`, if any: one block read and scanned.
    fn get(&mut self, key: &str) -> io::Result<Option<String>> {
        let next = self
            .blocks
            .partition_point(|(first, _)| first.as_str() <= key);
        let Some(block) = next.checked_sub(1) else {
            return Ok(None);
        };
        let start = self.blocks[block].1;
        let end = self.blocks.get(next).map_or(self.len, |b| b.1);
        self.buf.resize((end - start) as usize, 0);
        self.file.read_exact_at(&mut self.buf, start)?;
        for record in self.buf.split(|&b| b == b'\n') {
            let Some(tab) = memchr::memchr(b'\t', record) else {
                continue;
            };
            match record[..tab].cmp(key.as_bytes()) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => {
                    return Ok(String::from_utf8(record[tab + 1..].to_vec()).ok());
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        Ok(None)
    }
}

/// Reads cache lines and calls `keep(key, line)` once per URL key, in key order, with the
/// last line written for that key, when it is a live entry within `max_age`. Memory: the
/// sort's `sort_bytes` and one buffered reader per spilled run.
fn compact(
    source: impl BufRead,
    name: &Path,
    dir: &Path,
    max_age: Duration,
    now: Timestamp,
    sort_bytes: usize,
    mut keep: impl FnMut(&[u8], &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut sorter = ExternalSort::new(dir, sort_bytes);
    for (seq, line) in source.split(b'\n').enumerate() {
        let line = line?;
        let n = seq + 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            tracing::warn!("{}:{n}: not UTF-8; line ignored", name.display());
            continue;
        };
        let entry = match serde_json::from_str::<CacheEntry>(text) {
            Ok(entry) => entry,
            Err(e) => {
                tracing::warn!("{}:{n}: {e}; line ignored", name.display());
                continue;
            }
        };
        // A key is a parsed URL: never a tab or line break in it.
        let Some(key) = key_of(&entry.url) else {
            continue;
        };
        let Some(age) = entry.age(now) else {
            tracing::warn!(
                "{}:{n}: unreadable checked_at '{}'; line ignored",
                name.display(),
                entry.checked_at
            );
            continue;
        };
        let live = LinkStatus::from_name(&entry.status).is_some_and(|s| s.is_live());
        let kept = if live && age <= max_age { b'k' } else { b'd' };
        // key, then the line's number (later lines sort after), then whether it is kept.
        let mut record = Vec::with_capacity(key.len() + text.len() + 20);
        record.extend_from_slice(key.as_bytes());
        record.extend_from_slice(format!("\t{seq:016x}\t").as_bytes());
        record.push(kept);
        record.extend_from_slice(text.as_bytes());
        sorter.push(record)?;
    }
    let mut last: Option<Vec<u8>> = None;
    let mut emit = |record: &[u8]| -> io::Result<()> {
        let (key, rest) = split_record(record);
        // `rest` is the 16 digits, a tab, the flag and the line.
        match rest.get(17..) {
            Some([b'k', line @ ..]) => keep(key, line),
            _ => Ok(()),
        }
    };
    sorter.finish(|record| {
        if let Some(previous) = last.as_deref()
            && split_record(previous).0 != split_record(&record).0
        {
            emit(previous)?;
        }
        last = Some(record);
        Ok(())
    })?;
    match last {
        Some(previous) => emit(&previous),
        None => Ok(()),
    }
}

/// A sort record's key and the rest after its tab.
fn split_record(record: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'\t', record) {
        Some(tab) => (&record[..tab], &record[tab + 1..]),
        None => (record, &[]),
    }
}

fn key_of(url: &str) -> Option<String> {
    parse_cited(url).ok().map(|u| duplicate_key(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(index: usize, url: &str) -> Source {
        Source {
            index,
            id: format!("S{}", index + 1),
            url: url.into(),
            line: index + 2,
            file: None,
        }
    }

    fn live(url: &str, fetched_at: &str) -> LinkRecord {
        LinkRecord {
            url: url.into(),
            http_status: Some(200),
            final_url: url.into(),
            title: "Samen werken".into(),
            attempts: 1,
            content_type: "text/html".into(),
            fetched_at: fetched_at.into(),
            ..LinkRecord::new(LinkStatus::Ok)
        }
    }

    fn hour() -> Duration {
        Duration::from_secs(3600)
    }

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    fn reused(cache: &mut LinkCache, url: &str) -> Option<LinkRecord> {
        cache.reuse(&source(0, url), &parse_cited(url).unwrap())
    }

    /// The URLs of the file's lines, in order.
    fn urls_in(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<CacheEntry>(l).unwrap().url)
            .collect()
    }

    /// Compacts `text` (the lines of a cache file) with the sort limited to `sort_bytes`.
    fn compacted(text: &str, now: Timestamp, sort_bytes: usize) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        compact(
            text.as_bytes(),
            Path::new("c.jsonl"),
            dir.path(),
            hour(),
            now,
            sort_bytes,
            |key, line| {
                out.push((
                    String::from_utf8(key.to_vec()).unwrap(),
                    String::from_utf8(line.to_vec()).unwrap(),
                ));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the spilled runs leave no file"
        );
        out
    }

    fn line_of(record: &LinkRecord, now: Timestamp) -> String {
        serde_json::to_string(&CacheEntry::noted(record, now)).unwrap()
    }

    #[test]
    fn max_age_units() {
        assert_eq!(parse_max_age("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_max_age("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_max_age("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_max_age("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_max_age("2w").unwrap(), Duration::from_secs(1_209_600));
        assert_eq!(parse_max_age("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_max_age("0").unwrap(), Duration::ZERO);
        for bad in ["", "d", "1y", "-1d", "1.5h", "99999999999999999999w"] {
            assert!(parse_max_age(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fresh_live_rows_are_reused_and_failures_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/cache.jsonl");
        let t0 = at("2025-05-01T10:00:00Z");
        let mut cache = LinkCache::load(&path, hour(), t0, true).unwrap();
        cache.observe(&live("https://www.x.nl/a", "2025-05-01T10:00:00Z"));
        let mut broken = live("https://www.x.nl/b", "2025-05-01T10:00:00Z");
        broken.status = LinkStatus::Broken;
        cache.observe(&broken);
        cache.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["status"], "ok");
        assert_eq!(line["checked_at"], "2025-05-01T10:00:00Z");
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            1
        );

        // 30 minutes later: reused, with this run's id and line, marked cached.
        let t1 = at("2025-05-01T10:30:00Z");
        let mut cache = LinkCache::load(&path, hour(), t1, true).unwrap();
        let url = parse_cited("https://WWW.x.nl/a#top").unwrap();
        let row = cache
            .reuse(&source(4, "https://WWW.x.nl/a#top"), &url)
            .unwrap();
        assert_eq!(
            (row.index, row.line, row.id.as_str()),
            (4, 6, "S5"),
            "{row:?}"
        );
        assert!(row.cached);
        assert_eq!(row.status, LinkStatus::Ok);
        assert_eq!(row.title, "Samen werken");
        assert!(reused(&mut cache, "https://www.x.nl/b").is_none());

        // Reuse does not renew the entry: two hours after the check it is gone.
        cache.observe(&row);
        cache.finish().unwrap();
        let t2 = at("2025-05-01T12:00:01Z");
        let mut cache = LinkCache::load(&path, hour(), t2, true).unwrap();
        assert!(reused(&mut cache, "https://www.x.nl/a").is_none());
        cache.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn a_link_that_broke_is_dropped_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let t0 = at("2025-05-01T10:00:00Z");
        let mut cache = LinkCache::load(&path, Duration::from_secs(60), t0, true).unwrap();
        cache.observe(&live("https://www.x.nl/a", "2025-05-01T10:00:00Z"));
        cache.finish().unwrap();
        let t1 = at("2025-05-01T10:00:30Z");
        let mut cache = LinkCache::load(&path, Duration::from_secs(60), t1, true).unwrap();
        let mut broken = live("https://www.x.nl/a", "2025-05-01T10:00:30Z");
        broken.status = LinkStatus::Timeout;
        cache.observe(&broken);
        cache.flush();
        // Before the compaction, the failure's line hides the entry: for this reader...
        let mut again = LinkCache::load(&path, Duration::from_secs(60), t1, true).unwrap();
        assert!(reused(&mut again, "https://www.x.nl/a").is_none());
        // ...and for one that keeps the last line per URL (the reader before this one).
        let text = std::fs::read_to_string(&path).unwrap();
        let last: CacheEntry = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last.status, "timeout");
        assert!(last.record_for(&source(0, "https://www.x.nl/a")).is_none());
        drop(again);
        cache.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn unreadable_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let t0 = at("2025-05-01T10:00:00Z");
        let good = line_of(&live("https://www.x.nl/a", "2025-05-01T09:59:00Z"), t0);
        let mut bytes = format!("{{not json\n{good}\n").into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n"); // not UTF-8
        bytes.extend_from_slice(
            good.replace("2025-05-01T09:59:00Z", "gisteren")
                .replace("/a", "/b")
                .as_bytes(),
        );
        std::fs::write(&path, bytes).unwrap();
        let mut cache = LinkCache::load(&path, hour(), t0, true).unwrap();
        assert!(reused(&mut cache, "https://www.x.nl/a").is_some());
        assert!(reused(&mut cache, "https://www.x.nl/b").is_none());
        cache.finish().unwrap();
        assert_eq!(urls_in(&path), ["https://www.x.nl/a"]);
    }

    /// A run killed after its lines were flushed: no compaction, yet the next run reuses
    /// them, and a line the kill cut short costs only itself.
    #[test]
    fn a_killed_run_keeps_the_lines_it_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let t0 = at("2025-05-01T10:00:00Z");
        let mut cache = LinkCache::load(&path, hour(), t0, false).unwrap();
        for i in 0..3 {
            cache.observe(&live(
                &format!("https://www.x.nl/{i}"),
                "2025-05-01T10:00:00Z",
            ));
        }
        cache.flush();
        std::mem::forget(cache); // no drop, no finish: as after SIGKILL
        // The kill cut a fourth line short.
        let cut = line_of(&live("https://www.x.nl/3", "2025-05-01T10:00:00Z"), t0);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(&cut.as_bytes()[..40]).unwrap();
        drop(file);

        let t1 = at("2025-05-01T10:10:00Z");
        let mut cache = LinkCache::load(&path, hour(), t1, true).unwrap();
        for i in 0..3 {
            assert!(reused(&mut cache, &format!("https://www.x.nl/{i}")).is_some());
        }
        assert!(reused(&mut cache, "https://www.x.nl/3").is_none());
        cache.observe(&live("https://www.x.nl/4", "2025-05-01T10:10:00Z"));
        cache.finish().unwrap();
        assert_eq!(
            urls_in(&path),
            (0..5)
                .filter(|&i| i != 3)
                .map(|i| format!("https://www.x.nl/{i}"))
                .collect::<Vec<_>>()
        );
    }

    /// The sort spills many runs (and merges them early past
    /// [`MERGE_WAYS`](crate::external_sort::MERGE_WAYS)) and gives what
    /// a table of every line would: the last line per key, in key order, live and fresh.
    #[test]
    fn compaction_in_small_runs_keeps_the_last_line_per_key() {
        let now = at("2025-05-01T10:00:00Z");
        let mut text = String::new();
        let mut model = std::collections::BTreeMap::new();
        for i in 0..3000u32 {
            let n = (i * 7919) % 1000;
            let mut record = live(&format!("https://www.x.nl/p/{n}"), "2025-05-01T09:30:00Z");
            record.title = format!("versie {i}");
            match i % 5 {
                0 => record.status = LinkStatus::Broken,
                1 => record.fetched_at = "2025-04-01T09:00:00Z".into(),
                _ => {}
            }
            let kept = i % 5 >= 2;
            text.push_str(&line_of(&record, now));
            text.push('\n');
            model.insert(
                format!("https://www.x.nl/p/{n}"),
                kept.then(|| line_of(&record, now)),
            );
        }
        let want: Vec<(String, String)> = model
            .into_iter()
            .filter_map(|(k, line)| Some((k, line?)))
            .collect();
        assert!(want.len() > 100 && want.len() < 1000, "{}", want.len());
        assert_eq!(compacted(&text, now, 1 << 30), want);
        // About 30 lines per run: 100 runs, merged into one at 64.
        assert_eq!(compacted(&text, now, 10_000), want);
    }

    /// Every key is found across blocks, and none that is absent (before the first key,
    /// between two, after the last); the index holds one key per block, not per URL.
    #[test]
    fn lookups_read_one_block_and_the_index_stays_small() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let now = at("2025-05-01T10:00:00Z");
        let mut text = String::new();
        for i in (0..4000).step_by(2) {
            let url = format!("https://www.x.nl/n/{i:05}");
            text.push_str(&line_of(&live(&url, "2025-05-01T09:59:00Z"), now));
            text.push('\n');
        }
        std::fs::write(&path, &text).unwrap();
        let mut cache = LinkCache::load_with(&path, hour(), now, true, 50_000).unwrap();
        let lookup = cache.lookup.as_ref().unwrap();
        assert!(lookup.len > 20 * BLOCK_BYTES, "{}", lookup.len);
        assert!(
            lookup.blocks.len() <= (lookup.len / BLOCK_BYTES + 1) as usize,
            "{} blocks",
            lookup.blocks.len()
        );
        for i in 0..4000 {
            let url = format!("https://www.x.nl/n/{i:05}");
            let row = reused(&mut cache, &url);
            assert_eq!(row.is_some(), i % 2 == 0, "{url}");
            if let Some(row) = row {
                assert_eq!(row.url, url);
            }
        }
        for absent in ["https://www.x.nl/a", "https://www.x.nl/z", "https://a.nl/"] {
            assert!(reused(&mut cache, absent).is_none(), "{absent}");
        }
    }
}

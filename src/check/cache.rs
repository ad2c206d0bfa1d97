//! `--cache FILE`: links found `ok` or `redirected` within `--cache-max-age` are not fetched
//! again; their previous row is reused and marked `cached = true` in links.csv.
//!
//! Takes the cache file (may be absent) and the rows of a run; returns the rows to reuse and,
//! at the end, writes the file again atomically (temporary file in the same folder, then
//! rename), so a killed run leaves the old cache whole.
//!
//! The file is JSON Lines, one object per URL:
//!
//! ```json
//! {"url":"https://www.x.nl/a","status":"ok","http_status":200,"final_url":"https://www.x.nl/a",
//!  "redirects":0,"title":"…","error":"","reason":"","redirect_chain":"","attempts":1,
//!  "content_type":"text/html","fetched_at":"2025-05-01T10:00:00Z","checked_at":"2025-05-01T10:00:00Z"}
//! ```
//!
//! Lines are keyed by the URL's duplicate key (fragment dropped, host lower-cased: the same
//! rule that finds duplicates). Failures are never cached: a broken link is fetched every run
//! until it is fixed. A reused row keeps its first `checked_at`, so a link is fetched again
//! once its entry is older than the maximum age however many runs reused it; expired entries
//! are dropped when the file is written. A line that cannot be read is skipped with a warning.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{LinkRecord, LinkStatus, Reason};
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
    /// An entry for a live row (`None` for any other status: failures are never cached).
    pub fn of(record: &LinkRecord, now: Timestamp) -> Option<CacheEntry> {
        let status = Some(record.status).filter(|s| s.is_live())?;
        let checked_at = record
            .fetched_at
            .parse::<Timestamp>()
            .unwrap_or(now)
            .to_string();
        Some(CacheEntry {
            url: record.url.clone(),
            status: status.as_str().to_string(),
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
        })
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

/// The cache of one run: what was read, and what this run learnt.
#[derive(Debug)]
pub struct LinkCache {
    path: PathBuf,
    max_age: Duration,
    now: Timestamp,
    entries: HashMap<String, CacheEntry>,
    /// Keys whose entry may be reused in this run (fresh when read).
    fresh: std::collections::HashSet<String>,
}

impl LinkCache {
    /// Reads the cache file; an absent file is an empty cache. `now` is the run's clock.
    pub fn load(path: &Path, max_age: Duration, now: Timestamp) -> std::io::Result<LinkCache> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let mut cache = LinkCache {
            path: path.to_path_buf(),
            max_age,
            now,
            entries: HashMap::new(),
            fresh: Default::default(),
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let entry = match serde_json::from_str::<CacheEntry>(line) {
                Ok(entry) => entry,
                Err(e) => {
                    tracing::warn!("{}:{}: {e}; line ignored", path.display(), n + 1);
                    continue;
                }
            };
            let Some(key) = key_of(&entry.url) else {
                continue;
            };
            let Some(age) = entry.age(now) else {
                tracing::warn!(
                    "{}:{}: unreadable checked_at '{}'; line ignored",
                    path.display(),
                    n + 1,
                    entry.checked_at
                );
                continue;
            };
            if age <= max_age {
                cache.fresh.insert(key.clone());
                cache.entries.insert(key, entry);
            }
        }
        Ok(cache)
    }

    /// The reused row for a cited URL, when the cache holds a fresh live result for it.
    pub fn reuse(&self, source: &Source, url: &url::Url) -> Option<LinkRecord> {
        let key = duplicate_key(url);
        if !self.fresh.contains(&key) {
            return None;
        }
        self.entries.get(&key)?.record_for(source)
    }

    /// Takes note of a row of this run: a fresh live result is stored, a failure removes the
    /// URL's entry. Reused, duplicate and invalid rows change nothing.
    pub fn observe(&mut self, record: &LinkRecord) {
        if record.cached || matches!(record.status, LinkStatus::Duplicate | LinkStatus::Invalid) {
            return;
        }
        let Some(key) = key_of(&record.url) else {
            return;
        };
        match CacheEntry::of(record, self.now) {
            Some(entry) => {
                self.entries.insert(key, entry);
            }
            None => {
                self.entries.remove(&key);
            }
        }
    }

    /// The file's lines, sorted by URL so that the file diffs well.
    pub fn to_jsonl(&self) -> String {
        let mut entries: Vec<&CacheEntry> = self
            .entries
            .values()
            .filter(|e| e.age(self.now).is_some_and(|age| age <= self.max_age))
            .collect();
        entries.sort_by(|a, b| a.url.cmp(&b.url));
        let mut out = String::new();
        for entry in entries {
            // A struct of strings and numbers always serialises.
            if let Ok(line) = serde_json::to_string(entry) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Writes the cache file atomically (temporary file beside it, then rename).
    pub fn save(&self) -> std::io::Result<()> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        let mut file = tempfile::NamedTempFile::new_in(&dir)?;
        crate::archive::files::set_default_mode(file.as_file())?;
        file.write_all(self.to_jsonl().as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
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
        let t0: Timestamp = "2025-05-01T10:00:00Z".parse().unwrap();
        let mut cache = LinkCache::load(&path, Duration::from_secs(3600), t0).unwrap();
        cache.observe(&live("https://www.x.nl/a", "2025-05-01T10:00:00Z"));
        let mut broken = live("https://www.x.nl/b", "2025-05-01T10:00:00Z");
        broken.status = LinkStatus::Broken;
        cache.observe(&broken);
        cache.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["status"], "ok");
        assert_eq!(line["checked_at"], "2025-05-01T10:00:00Z");

        // 30 minutes later: reused, with this run's id and line, marked cached.
        let t1: Timestamp = "2025-05-01T10:30:00Z".parse().unwrap();
        let mut cache = LinkCache::load(&path, Duration::from_secs(3600), t1).unwrap();
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
        let b = parse_cited("https://www.x.nl/b").unwrap();
        assert!(cache.reuse(&source(0, "https://www.x.nl/b"), &b).is_none());

        // Reuse does not renew the entry: two hours after the check it is gone.
        cache.observe(&row);
        cache.save().unwrap();
        let t2: Timestamp = "2025-05-01T12:00:01Z".parse().unwrap();
        let cache = LinkCache::load(&path, Duration::from_secs(3600), t2).unwrap();
        assert!(
            cache
                .reuse(&source(0, "https://www.x.nl/a"), &url)
                .is_none()
        );
        assert_eq!(cache.to_jsonl(), "");
    }

    #[test]
    fn a_link_that_broke_is_dropped_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let t0: Timestamp = "2025-05-01T10:00:00Z".parse().unwrap();
        let mut cache = LinkCache::load(&path, Duration::from_secs(60), t0).unwrap();
        cache.observe(&live("https://www.x.nl/a", "2025-05-01T10:00:00Z"));
        cache.save().unwrap();
        let t1: Timestamp = "2025-05-01T10:05:00Z".parse().unwrap();
        let mut cache = LinkCache::load(&path, Duration::from_secs(60), t1).unwrap();
        let mut broken = live("https://www.x.nl/a", "2025-05-01T10:05:00Z");
        broken.status = LinkStatus::Timeout;
        cache.observe(&broken);
        assert_eq!(cache.to_jsonl(), "");
    }

    #[test]
    fn unreadable_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let t0: Timestamp = "2025-05-01T10:00:00Z".parse().unwrap();
        let good = serde_json::to_string(
            &CacheEntry::of(&live("https://www.x.nl/a", "2025-05-01T09:59:00Z"), t0).unwrap(),
        )
        .unwrap();
        std::fs::write(
            &path,
            format!(
                "{{not json\n{good}\n{}\n",
                good.replace("2025-05-01T09:59:00Z", "gisteren")
            ),
        )
        .unwrap();
        let cache = LinkCache::load(&path, Duration::from_secs(3600), t0).unwrap();
        let url = parse_cited("https://www.x.nl/a").unwrap();
        assert!(
            cache
                .reuse(&source(0, "https://www.x.nl/a"), &url)
                .is_some()
        );
    }
}

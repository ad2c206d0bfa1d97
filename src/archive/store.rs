//! The archive folder as a whole: extracted texts under `text/` and `manifest.jsonl`.
//!
//! [`ArchiveStore::open`] creates the folder, recovers `.warc.gz.open` files left by a
//! crashed run, and loads the manifest (a torn last line is dropped with a warning). It then
//! takes extracted texts ([`ArchiveStore::write_text`], atomic) and manifest entries
//! ([`ArchiveStore::append_manifest`], one line per capture), and answers "what is the
//! latest capture of this cited URL" for revisits, `text_changed` and offline verification.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cdxj::percent_decode;
use super::warc::{OPEN_SUFFIX, RecordRef, Recovery, recover_open_file};

/// File name of the manifest inside the archive folder.
pub const MANIFEST_FILE: &str = "manifest.jsonl";
/// Folder of the extracted texts inside the archive folder.
pub const TEXT_DIR: &str = "text";

/// Longest text file name (slug, `-`, hash, `.txt`).
const MAX_FILE_NAME: usize = 80;
/// Hex digits of the URL hash in a text file name (64 bits: collisions are negligible).
const HASH_HEX: usize = 16;

/// One capture of one cited URL: one line of `manifest.jsonl`. Later lines for the same
/// cited URL are later captures; [`ArchiveStore::latest`] returns the last one.
/// Unknown fields are ignored and missing optional fields default, so the format can grow.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The URL as cited in the sources file (the key; compared after [`url_key`]).
    pub cited_url: String,
    /// The URL of the last hop (after redirects, before `--remap` is undone: as requested).
    pub final_url: String,
    /// `"live"` or `"wayback"`.
    pub source: String,
    /// Every URL requested for this capture, in order (each redirect hop, after `--remap`).
    pub request_urls: Vec<String>,
    /// When the capture began, RFC 3339 UTC (the final response's `WARC-Date`).
    pub fetched_at: String,
    /// HTTP status of the final response.
    pub http_status: u16,
    /// SHA-256 (lowercase hex) of the final response body as stored (encoded).
    pub body_sha256: String,
    /// `WARC-Payload-Digest` of the final response (`sha1:<BASE32>`), as in the CDXJ.
    pub payload_digest: String,
    /// WARC file (name only, in the archive folder) holding the final response or revisit.
    pub warc_file: String,
    /// Offset of that record's gzip member.
    pub offset: u64,
    /// Compressed length of that member.
    pub length: u64,
    /// `WARC-Record-ID` (`urn:uuid:…`) of that record.
    pub record_id: String,
    /// When the record is a revisit: the record id of the original response, which holds
    /// the body (look it up with [`ArchiveStore::find_record`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisit_of: Option<String>,
    /// `urn:uuid:…` of the `urn:text:` resource record holding the text, if written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_record_id: Option<String>,
    /// Text file, relative to the archive folder (`text/<slug>-<hash>.txt`), when a text
    /// was extracted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_path: Option<String>,
    /// SHA-256 (lowercase hex) of the text file's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sha256: Option<String>,
    /// Whether the text differs from the previous capture's; `None` for the first capture
    /// (or when either has no text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_changed: Option<bool>,
    /// The page title, decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Publication date found in the page, if any (as found, or ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// For wayback captures: the snapshot's date (`Memento-Datetime`, or the 14-digit
    /// timestamp converted to RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memento_datetime: Option<String>,
    /// The body was cut at the size cap (`WARC-Truncated: length`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Extractor version that produced the text, so texts can be re-extracted from the
    /// WARC when it changes.
    #[serde(default)]
    pub extractor: String,
}

impl ManifestEntry {
    /// The record this entry points at, as a [`RecordRef`] for
    /// [`WarcWriter::write_revisit`](super::warc::WarcWriter::write_revisit) (use it on
    /// [`ArchiveStore::original`], so a revisit refers to a response, not to a revisit).
    /// The manifest keeps no block digest, so `block_digest` is empty; `target_uri` is the
    /// last requested URL and `warc_date` is `fetched_at`.
    pub fn record_ref(&self) -> RecordRef {
        RecordRef {
            record_id: self.record_id.clone(),
            warc_file: self.warc_file.clone(),
            offset: self.offset,
            length: self.length,
            payload_digest: self.payload_digest.clone(),
            block_digest: String::new(),
            warc_date: self.fetched_at.clone(),
            target_uri: self
                .request_urls
                .last()
                .cloned()
                .unwrap_or_else(|| self.final_url.clone()),
        }
    }
}

/// A text file written by [`ArchiveStore::write_text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextFile {
    /// Path relative to the archive folder, with `/` (`text/<slug>-<hash>.txt`): what the
    /// manifest stores.
    pub rel_path: String,
    /// Full path.
    pub path: PathBuf,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

/// The archive folder: texts, manifest, and the latest capture per cited URL.
#[derive(Debug)]
pub struct ArchiveStore {
    dir: PathBuf,
    entries: Vec<ManifestEntry>,
    /// url_key(cited_url) → index in `entries` of its latest capture.
    latest: HashMap<String, usize>,
    /// url_key in order of first appearance, for [`ArchiveStore::latest_all`].
    order: Vec<String>,
    manifest: Option<File>,
    warnings: Vec<String>,
    recoveries: Vec<Recovery>,
}

impl ArchiveStore {
    /// Opens (creating if needed) the archive folder and its `text/` folder, recovers every
    /// `*.warc.gz.open` file (see [`recover_open_file`]; call this before creating this
    /// run's writer), and loads `manifest.jsonl`. Lines that do not parse are skipped with a
    /// warning; a torn last line (no newline: a crash mid-write) is also cut off the file so
    /// the next append starts on a fresh line. Only I/O failures are errors.
    pub fn open(dir: &Path) -> io::Result<ArchiveStore> {
        std::fs::create_dir_all(dir.join(TEXT_DIR))?;
        let mut store = ArchiveStore {
            dir: dir.to_path_buf(),
            entries: Vec::new(),
            latest: HashMap::new(),
            order: Vec::new(),
            manifest: None,
            warnings: Vec::new(),
            recoveries: Vec::new(),
        };
        let mut open_files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(&format!(".warc.gz{OPEN_SUFFIX}")))
            })
            .collect();
        open_files.sort();
        for path in open_files {
            match recover_open_file(&path) {
                Ok(r) => {
                    if r.bytes_dropped > 0 || r.final_path.is_none() {
                        store.warnings.push(format!(
                            "{}: kept {} records ({} bytes), dropped {} bytes: {}",
                            path.display(),
                            r.records_kept,
                            r.bytes_kept,
                            r.bytes_dropped,
                            r.reason.as_deref().unwrap_or("no complete record")
                        ));
                    }
                    store.recoveries.push(r);
                }
                Err(e) => store
                    .warnings
                    .push(format!("{}: not recovered: {e}", path.display())),
            }
        }
        store.load_manifest()?;
        Ok(store)
    }

    fn load_manifest(&mut self) -> io::Result<()> {
        let path = self.dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let complete_len = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => 0,
        };
        for (n, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<ManifestEntry>(line) {
                Ok(entry) => self.index_entry(entry),
                Err(e) => self.warnings.push(format!(
                    "{}:{}: skipped unreadable line: {e}",
                    path.display(),
                    n + 1
                )),
            }
        }
        let tail = &bytes[complete_len..];
        if !tail.is_empty() {
            // A line without its newline: a crash mid-append (or a hand edit).
            match serde_json::from_slice::<ManifestEntry>(tail) {
                Ok(entry) => {
                    self.index_entry(entry);
                    let mut f = OpenOptions::new().append(true).open(&path)?;
                    f.write_all(b"\n")?;
                    f.sync_data()?;
                }
                Err(e) => {
                    self.warnings.push(format!(
                        "{}: ignored torn last line ({} bytes): {e}",
                        path.display(),
                        tail.len()
                    ));
                    let f = OpenOptions::new().write(true).open(&path)?;
                    f.set_len(complete_len as u64)?;
                    f.sync_data()?;
                }
            }
        }
        Ok(())
    }

    fn index_entry(&mut self, entry: ManifestEntry) {
        let key = url_key(&entry.cited_url);
        if !self.latest.contains_key(&key) {
            self.order.push(key.clone());
        }
        self.latest.insert(key, self.entries.len());
        self.entries.push(entry);
    }

    /// The archive folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a WARC file named in the manifest. Refuses a name that is not a plain
    /// file name in the archive folder (a manifest edited by hand or by a pull request must
    /// not make us read files elsewhere).
    pub fn warc_path(&self, warc_file: &str) -> io::Result<PathBuf> {
        let name = Path::new(warc_file);
        let mut components = name.components();
        match (components.next(), components.next()) {
            (Some(std::path::Component::Normal(_)), None) => Ok(self.dir.join(name)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("WARC file name {warc_file:?} leaves the archive folder"),
            )),
        }
    }

    /// Problems met by [`ArchiveStore::open`] (recovered WARCs, skipped manifest lines), for
    /// the caller to log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// What [`ArchiveStore::open`] did with `.open` WARC files.
    pub fn recoveries(&self) -> &[Recovery] {
        &self.recoveries
    }

    /// Where the text of `cited_url` is kept: `<dir>/text/<slug>-<hash>.txt`. The hash is
    /// the first 16 hex digits of SHA-256 of [`url_key`] (so URLs differing only in query
    /// get different files, and the same URL written differently gets the same one); the
    /// slug is host + last path segment in `[a-z0-9-]` only, so the name can never leave
    /// `text/`; the whole file name is at most 80 ASCII characters.
    pub fn text_path(&self, cited_url: &str) -> PathBuf {
        self.dir.join(TEXT_DIR).join(text_file_name(cited_url))
    }

    /// Writes the text of `cited_url` atomically (temp file in `text/`, fsync, rename) and
    /// returns its paths and SHA-256. The bytes are written exactly as given: report offsets
    /// point into them.
    pub fn write_text(&self, cited_url: &str, text: &str) -> io::Result<TextFile> {
        let name = text_file_name(cited_url);
        let text_dir = self.dir.join(TEXT_DIR);
        let path = text_dir.join(&name);
        let mut tmp = tempfile::NamedTempFile::new_in(&text_dir)?;
        // Written whole and renamed: a reader never sees half a file. Not fsynced one by one
        // (that would cost one disk flush per page); the manifest's `text_sha256` lets a
        // reader detect a text that a power cut took back.
        tmp.write_all(text.as_bytes())?;
        tmp.flush()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(TextFile {
            rel_path: format!("{TEXT_DIR}/{name}"),
            path,
            sha256: sha256_hex(text.as_bytes()),
        })
    }

    /// Reads a stored text back (`rel_path` as in the manifest). Refuses paths that would
    /// leave the archive folder.
    pub fn read_text(&self, rel_path: &str) -> io::Result<String> {
        let rel = Path::new(rel_path);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("text path {rel_path:?} leaves the archive folder"),
            ));
        }
        std::fs::read_to_string(self.dir.join(rel))
    }

    /// Appends one manifest line with a single write, then flushes and fsyncs it. A crash
    /// can at worst leave a torn last line, which [`ArchiveStore::open`] drops.
    pub fn append_manifest(&mut self, entry: &ManifestEntry) -> io::Result<()> {
        self.append_manifest_batch(std::slice::from_ref(entry))
    }

    /// Appends several manifest lines with one write and one fsync (group commit).
    pub fn append_manifest_batch(&mut self, entries: &[ManifestEntry]) -> io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut line = Vec::new();
        for entry in entries {
            line.extend(serde_json::to_vec(entry).map_err(io::Error::other)?);
            line.push(b'\n');
        }
        if self.manifest.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(MANIFEST_FILE))?;
            self.manifest = Some(f);
        }
        if let Some(f) = self.manifest.as_mut() {
            f.write_all(&line)?;
            f.flush()?;
            f.sync_data()?;
        }
        for entry in entries {
            self.index_entry(entry.clone());
        }
        Ok(())
    }

    /// The latest capture of `cited_url` (compared after [`url_key`]).
    pub fn latest(&self, cited_url: &str) -> Option<&ManifestEntry> {
        self.latest
            .get(&url_key(cited_url))
            .and_then(|&i| self.entries.get(i))
    }

    /// The latest capture of every cited URL, in order of first capture.
    pub fn latest_all(&self) -> Vec<&ManifestEntry> {
        self.order
            .iter()
            .filter_map(|k| self.latest.get(k).and_then(|&i| self.entries.get(i)))
            .collect()
    }

    /// Every manifest entry, in file order.
    pub fn entries(&self) -> &[ManifestEntry] {
        &self.entries
    }

    /// The entry whose record is `record_id` (with or without `<>`), e.g. the original
    /// response of a revisit (`revisit_of`).
    pub fn find_record(&self, record_id: &str) -> Option<&ManifestEntry> {
        let id = record_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        self.entries.iter().rev().find(|e| e.record_id == id)
    }

    /// The capture that holds the body of `entry`: `entry` itself, or for a revisit the
    /// original response it refers to (when that is in the manifest; else `entry`).
    pub fn original<'a>(&'a self, entry: &'a ManifestEntry) -> &'a ManifestEntry {
        entry
            .revisit_of
            .as_deref()
            .and_then(|id| self.find_record(id))
            .unwrap_or(entry)
    }

    /// Whether `text_sha256` differs from the latest capture's text of `cited_url`; `None`
    /// when there is no earlier capture with a text (for [`ManifestEntry::text_changed`]).
    pub fn text_changed(&self, cited_url: &str, text_sha256: &str) -> Option<bool> {
        let prev = self.latest(cited_url)?.text_sha256.as_deref()?;
        Some(prev != text_sha256)
    }
}

/// The normalised form of a URL used as the key of the manifest and of text file names:
/// parsed by `url` (scheme and host lowercased, default port dropped, dot segments resolved,
/// unsafe characters percent-encoded) with the fragment dropped. A string that does not
/// parse is only trimmed.
pub fn url_key(url: &str) -> String {
    let trimmed = url.trim();
    match url::Url::parse(trimmed) {
        Ok(mut u) => {
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => trimmed.to_string(),
    }
}

/// `<slug>-<hash>.txt`, at most [`MAX_FILE_NAME`] ASCII characters from `[a-z0-9-.]`.
fn text_file_name(cited_url: &str) -> String {
    let key = url_key(cited_url);
    let hash = sha256_hex(key.as_bytes());
    let hash = hash.get(..HASH_HEX).unwrap_or(&hash);
    let (host, last) = match url::Url::parse(&key) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("").to_string();
            let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
            let last = u
                .path_segments()
                .and_then(|mut s| s.rfind(|seg| !seg.is_empty()))
                .unwrap_or("");
            // Decoded so that `%C3%A9` becomes one `-` in the slug, not `c3-a9`.
            let last = String::from_utf8_lossy(&percent_decode(last.as_bytes())).into_owned();
            (host, last)
        }
        Err(_) => (String::new(), key.clone()),
    };
    let max_slug = MAX_FILE_NAME - 1 - HASH_HEX - ".txt".len();
    let mut slug = slugify(&format!("{host} {last}"));
    slug.truncate(max_slug); // ASCII only, so any index is a char boundary
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "page" } else { slug };
    format!("{slug}-{hash}.txt")
}

/// Lowercase ASCII letters and digits kept; everything else (including `.`, `/`, `%` and
/// non-ASCII) becomes a single `-`.
fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out
}

/// SHA-256 of bytes as lowercase hex (text and body hashes in the manifest).
pub fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(Sha256::digest(bytes).as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cited: &str, text_sha: &str, record_id: &str) -> ManifestEntry {
        ManifestEntry {
            cited_url: cited.into(),
            final_url: cited.into(),
            source: "live".into(),
            request_urls: vec![cited.into()],
            fetched_at: "2026-01-05T10:00:00.000000Z".into(),
            http_status: 200,
            body_sha256: "00".repeat(32),
            payload_digest: "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ".into(),
            warc_file: "citecheck-20260105100000-00000.warc.gz".into(),
            offset: 100,
            length: 50,
            record_id: record_id.into(),
            revisit_of: None,
            text_record_id: None,
            text_path: Some("text/x.txt".into()),
            text_sha256: Some(text_sha.into()),
            text_changed: None,
            title: Some("Samenwerken tussen overheden".into()),
            published: None,
            memento_datetime: None,
            truncated: false,
            extractor: "citecheck-extract/1".into(),
        }
    }

    fn name_of(p: &Path) -> String {
        p.file_name().unwrap().to_str().unwrap().to_string()
    }

    #[test]
    fn text_path_is_readable_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArchiveStore::open(dir.path()).unwrap();
        let p =
            store.text_path("https://www.overheidvannu.nl/actueel/nieuws/2020/11/02/samen-werken");
        assert_eq!(p.parent().unwrap(), dir.path().join("text"));
        let name = name_of(&p);
        assert!(name.starts_with("overheidvannu-nl-samen-werken-"), "{name}");
        assert!(name.ends_with(".txt"));
        // Same URL spelled differently (host case, fragment, default port) → same file.
        assert_eq!(
            p,
            store.text_path(
                "https://WWW.overheidvannu.nl:443/actueel/nieuws/2020/11/02/samen-werken#top"
            )
        );
    }

    #[test]
    fn text_path_is_safe() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArchiveStore::open(dir.path()).unwrap();
        let long = format!(
            "https://example.org/{}?q={}",
            "a".repeat(5000),
            "b".repeat(3000)
        );
        let nasty = [
            "../../etc/passwd",
            "https://example.org/../../etc/passwd",
            "https://example.org/%2e%2e/%2e%2e/etc/passwd",
            "https://example.org/a/..%2F..%2F..%2Fetc%2Fpasswd",
            "file:///etc/passwd",
            "..\\..\\windows\\system32",
            "",
            "   ",
            "https://例え.テスト/ページ/ünïcödé",
            "https://example.org/\u{202e}gnp.exe",
            long.as_str(),
        ];
        for url in nasty {
            let p = store.text_path(url);
            assert_eq!(p.parent().unwrap(), dir.path().join("text"), "{url:?}");
            let name = name_of(&p);
            assert!(name.len() <= 80, "{url:?} → {name}");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'),
                "{url:?} → {name}"
            );
            assert!(!name.starts_with('.') && !name.starts_with('-'), "{name}");
            assert_eq!(name.matches('.').count(), 1, "{name}");
            // Writing really lands inside text/.
            let t = store.write_text(url, "x").unwrap();
            assert!(t.path.starts_with(dir.path().join("text")));
            assert!(t.path.exists());
        }
        assert!(name_of(&store.text_path(&long)).starts_with("example-org-aaaa"));
        assert!(name_of(&store.text_path("https://例え.テスト/ページ")).starts_with("xn-"));
        assert!(
            name_of(&store.text_path("https://example.org/caf%C3%A9-r%C3%A9sum%C3%A9"))
                .starts_with("example-org-caf-r-sum-")
        );
    }

    #[test]
    fn text_paths_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArchiveStore::open(dir.path()).unwrap();
        let urls = [
            "https://example.org/nieuws?id=1",
            "https://example.org/nieuws?id=2",
            "https://example.org/nieuws?id=1&x=",
            "https://example.org/nieuws",
            "http://example.org/nieuws",
            "https://example.org/nieuws/",
            "https://example.org/NIEUWS",
        ];
        let names: std::collections::HashSet<_> = urls.iter().map(|u| store.text_path(u)).collect();
        assert_eq!(names.len(), urls.len());
    }

    #[test]
    fn write_text_round_trip_and_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArchiveStore::open(dir.path()).unwrap();
        let text = "Gemeenten en provincies werken samen.\n‘Dat is nodig,’ zegt de minister.\n";
        let t = store.write_text("https://example.nl/a", text).unwrap();
        assert_eq!(std::fs::read_to_string(&t.path).unwrap(), text);
        assert_eq!(t.sha256, sha256_hex(text.as_bytes()));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(store.read_text(&t.rel_path).unwrap(), text);
        assert!(store.read_text("../manifest.jsonl").is_err());
        assert!(store.read_text("/etc/passwd").is_err());
        // Overwrite is atomic and leaves no temp files.
        store.write_text("https://example.nl/a", "nieuw").unwrap();
        assert_eq!(std::fs::read_to_string(&t.path).unwrap(), "nieuw");
        assert_eq!(
            std::fs::read_dir(dir.path().join("text")).unwrap().count(),
            1
        );
    }

    #[test]
    fn manifest_append_reload_latest() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = ArchiveStore::open(dir.path()).unwrap();
            store
                .append_manifest(&entry("https://a.nl/x", "aa", "urn:uuid:1"))
                .unwrap();
            store
                .append_manifest(&entry("https://b.nl/y", "bb", "urn:uuid:2"))
                .unwrap();
            assert_eq!(store.text_changed("https://a.nl/x", "aa"), Some(false));
            assert_eq!(store.text_changed("https://a.nl/x", "cc"), Some(true));
            assert_eq!(store.text_changed("https://c.nl/", "cc"), None);
            let mut e = entry("https://a.nl/x", "cc", "urn:uuid:3");
            e.text_changed = Some(true);
            store.append_manifest(&e).unwrap();
        }
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert!(store.warnings().is_empty(), "{:?}", store.warnings());
        assert_eq!(store.entries().len(), 3);
        assert_eq!(
            store.latest("https://A.nl/x#frag").unwrap().record_id,
            "urn:uuid:3"
        );
        let all: Vec<_> = store
            .latest_all()
            .iter()
            .map(|e| e.record_id.as_str())
            .collect();
        assert_eq!(all, ["urn:uuid:3", "urn:uuid:2"]);
        assert_eq!(
            store.find_record("<urn:uuid:2>").unwrap().cited_url,
            "https://b.nl/y"
        );
        assert!(store.latest("https://a.nl/other").is_none());
    }

    #[test]
    fn manifest_torn_last_line_is_ignored_and_cut() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = ArchiveStore::open(dir.path()).unwrap();
            store
                .append_manifest(&entry("https://a.nl/x", "aa", "urn:uuid:1"))
                .unwrap();
            store
                .append_manifest(&entry("https://a.nl/x", "bb", "urn:uuid:2"))
                .unwrap();
        }
        let path = dir.path().join(MANIFEST_FILE);
        let full = std::fs::read(&path).unwrap();
        let first_line_len = full.iter().position(|&b| b == b'\n').unwrap() + 1;
        // Cut the second line in the middle: a crash mid-append.
        let cut = first_line_len + (full.len() - first_line_len) / 2;
        std::fs::write(&path, &full[..cut]).unwrap();

        let mut store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.entries().len(), 1);
        assert_eq!(
            store.latest("https://a.nl/x").unwrap().record_id,
            "urn:uuid:1"
        );
        assert_eq!(store.warnings().len(), 1);
        assert!(
            store.warnings()[0].contains("torn last line"),
            "{:?}",
            store.warnings()
        );
        assert_eq!(std::fs::read(&path).unwrap().len(), first_line_len);
        // The next append starts on a clean line.
        store
            .append_manifest(&entry("https://a.nl/x", "cc", "urn:uuid:3"))
            .unwrap();
        drop(store);
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert!(store.warnings().is_empty(), "{:?}", store.warnings());
        assert_eq!(store.entries().len(), 2);
        assert_eq!(
            store.latest("https://a.nl/x").unwrap().record_id,
            "urn:uuid:3"
        );
    }

    #[test]
    fn manifest_complete_line_without_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let line = serde_json::to_string(&entry("https://a.nl/x", "aa", "urn:uuid:1")).unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), format!("\n{line}")).unwrap();
        let mut store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.entries().len(), 1);
        assert!(store.warnings().is_empty());
        store
            .append_manifest(&entry("https://b.nl/", "bb", "urn:uuid:2"))
            .unwrap();
        drop(store);
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.entries().len(), 2);
        assert!(store.warnings().is_empty());
    }

    #[test]
    fn manifest_bad_middle_line_is_skipped_with_warning() {
        let dir = tempfile::tempdir().unwrap();
        let a = serde_json::to_string(&entry("https://a.nl/x", "aa", "urn:uuid:1")).unwrap();
        let b = serde_json::to_string(&entry("https://b.nl/", "bb", "urn:uuid:2")).unwrap();
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            format!("{a}\n{{not json\n{b}\n"),
        )
        .unwrap();
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.entries().len(), 2);
        assert_eq!(store.warnings().len(), 1);
        assert!(
            store.warnings()[0].contains(":2:"),
            "{:?}",
            store.warnings()
        );
    }

    #[test]
    fn manifest_skips_none_fields_and_reads_unknown_ones() {
        let e = entry("https://a.nl/x", "aa", "urn:uuid:1");
        let json = serde_json::to_string(&e).unwrap();
        assert!(!json.contains("revisit_of"));
        assert!(!json.contains("truncated"));
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["future_field"] = 3.into();
        let back: ManifestEntry = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }

    proptest::proptest! {
        #[test]
        fn any_url_gives_a_safe_text_name(url in "\\PC{0,300}", path in "(https?://[a-zA-Z0-9.-]{1,20}/)?[\\PC/.%?&#]{0,200}") {
            for u in [url.as_str(), path.as_str()] {
                let name = text_file_name(u);
                proptest::prop_assert!(name.len() <= MAX_FILE_NAME);
                proptest::prop_assert!(name.ends_with(".txt"));
                proptest::prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
                proptest::prop_assert_eq!(name.matches('.').count(), 1);
                proptest::prop_assert!(!name.starts_with('-'));
                let _ = crate::archive::cdxj::surt(u);
            }
        }
    }

    #[test]
    fn warc_paths_stay_in_the_archive_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(
            store.warc_path("citecheck-1.warc.gz").unwrap(),
            dir.path().join("citecheck-1.warc.gz")
        );
        for bad in ["../x.warc.gz", "/etc/passwd", "a/b.warc.gz", "", ".", ".."] {
            assert!(store.warc_path(bad).is_err(), "{bad}");
        }
    }
}

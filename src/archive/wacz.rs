//! WACZ 1.1.1 packages of the archive folder (docs/archive.md §9): one zip file that
//! ReplayWeb.page opens in a browser, with no server.
//!
//! ```text
//! archive/<warc>.warc.gz   the WARC files as they are (stored: they are gzip already)
//! indexes/index.cdxj       the archive's index.cdxj; `filename` names a file in archive/
//! pages/pages.jsonl        a header line, then the latest capture of each cited URL
//! datapackage.json         every file above with its sha256 and size
//! datapackage-digest.json  the sha256 of datapackage.json
//! ```
//!
//! Everything streams: files go into the zip in 1 MiB chunks and are hashed on the way, the
//! manifest is read a line at a time (by the store when it opens, which indexes each URL's
//! latest line, then once to write the pages), so memory is bounded by the number of cited
//! URLs (the store's slot of each), not by the size of the archive. The zip is written to a
//! temporary file beside the target and renamed over it when complete.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::cdxj::INDEX_FILE;
use super::files;
use super::store::{
    ArchiveAccess, ArchiveStore, MANIFEST_FILE, ManifestEntry, each_manifest_line, url_key,
};

/// The WACZ version written into `datapackage.json`.
pub const WACZ_VERSION: &str = "1.1.1";
/// Path of the index inside the package.
pub const INDEX_PATH: &str = "indexes/index.cdxj";
/// Path of the pages list inside the package.
pub const PAGES_PATH: &str = "pages/pages.jsonl";
/// Bytes copied at a time.
const CHUNK: usize = 1 << 20;
/// Above this size an entry needs ZIP64 fields.
const ZIP32_LIMIT: u64 = u32::MAX as u64;

/// A quote found in a cited page, as report.csv gives it: added to its page in
/// pages.jsonl (the WACZ spec allows extra fields).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PageQuote {
    /// The quote's id in quotes.csv.
    pub id: String,
    /// The quotation as the document gives it.
    pub quote: String,
    /// Its verdict (`verified`, `approximate`, …).
    pub verdict: String,
    /// Character offsets into the archived text (end exclusive), when located.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    /// See `start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    /// The source's own words.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub matched_text: String,
}

/// What goes into a package besides the archive folder.
#[derive(Debug, Default)]
pub struct PackOptions {
    /// The package's title (`datapackage.json` and the pages list).
    pub title: String,
    /// The software that made it, with its version.
    pub software: String,
    /// Quotes per cited URL (keyed by [`url_key`]); empty when no report was at hand.
    pub quotes: HashMap<String, Vec<PageQuote>>,
    /// Take the archive folder's lock (shared), so no run writes while it is packed.
    pub lock: bool,
}

/// What a package holds, for the message at its end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Packed {
    /// WARC files packed.
    pub warc_files: usize,
    /// Pages in pages.jsonl (one per cited URL).
    pub pages: usize,
    /// Of those, pages with at least one quote.
    pub pages_with_quotes: usize,
    /// Lines of the index.
    pub index_lines: usize,
    /// Size of the package file.
    pub bytes: u64,
    /// Problems that did not stop the package (a page in an unfinished WARC file, an index
    /// line naming a file not packed).
    pub warnings: Vec<String>,
}

/// One file of the package, as `datapackage.json` lists it.
#[derive(Debug, Serialize)]
struct Resource {
    name: String,
    path: String,
    hash: String,
    bytes: u64,
}

/// The header line of pages.jsonl.
#[derive(Serialize)]
struct PagesHeader<'a> {
    format: &'static str,
    id: &'static str,
    title: &'a str,
}

/// One line of pages.jsonl: the spec's `url`, `ts`, `title` (and `id`), then ours.
#[derive(Serialize)]
struct Page<'a> {
    id: &'a str,
    url: &'a str,
    ts: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    /// The URL as cited (the record's URL differs after `--remap` or for a web-archive copy).
    cited_url: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    quotes: &'a [PageQuote],
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// `sha256:<hex>` and the byte count of everything written.
    fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", HEXLOWER.encode(&self.hasher.finalize())),
            self.bytes,
        )
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// The package being written: the zip, its entries' options and the resources so far.
struct Package<W: Write + io::Seek> {
    zip: ZipWriter<W>,
    modified: zip::DateTime,
    mode: u32,
    resources: Vec<Resource>,
}

impl<W: Write + io::Seek> Package<W> {
    fn options(&self, method: CompressionMethod, size: u64) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(self.modified)
            .unix_permissions(self.mode)
            .large_file(size >= ZIP32_LIMIT)
    }

    /// Starts an entry at `path`; `size` is what it will hold when known (else 0: small).
    fn start(&mut self, path: &str, method: CompressionMethod, size: u64) -> io::Result<()> {
        let options = self.options(method, size);
        self.zip.start_file(path, options).map_err(zip_error)
    }

    /// Writes one entry with `fill`, hashing what it writes, and lists it as a resource.
    fn entry(
        &mut self,
        path: &str,
        method: CompressionMethod,
        size: u64,
        fill: impl FnOnce(&mut Hashing<&mut ZipWriter<W>>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.start(path, method, size)?;
        let mut out = Hashing::new(&mut self.zip);
        fill(&mut out)?;
        let (hash, bytes) = out.finish();
        self.resources.push(Resource {
            name: path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase(),
            path: path.to_string(),
            hash,
            bytes,
        });
        Ok(())
    }
}

/// Copies `from` into `out` in chunks.
fn copy_chunks(mut from: impl Read, out: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
    }
}

/// The closed WARC files of the archive folder (`*.warc.gz`, `*.warc`), sorted by name.
fn warc_files(dir: &Path) -> io::Result<Vec<(String, u64)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !(name.ends_with(".warc.gz") || name.ends_with(".warc")) {
            continue;
        }
        let meta = entry.metadata()?;
        if meta.file_type().is_symlink() {
            return Err(files::symlink_refused(&entry.path()));
        }
        if meta.is_file() {
            found.push((name, meta.len()));
        }
    }
    found.sort();
    Ok(found)
}

/// Reads `manifest.jsonl` a line at a time, handing each entry that parses to `each` with
/// the byte offset of its line. A line that does not parse (a torn last line) is skipped.
fn each_manifest_entry(
    path: &Path,
    mut each: impl FnMut(u64, ManifestEntry) -> io::Result<()>,
) -> io::Result<()> {
    each_manifest_line(path, |at, line| {
        match serde_json::from_slice::<ManifestEntry>(line) {
            Ok(entry) => each(at, entry),
            Err(_) => Ok(()),
        }
    })
}

/// The `filename` of a CDXJ line, and the line with that name made a plain file name (the
/// package's index names files relative to `archive/`, as the spec and replay tools read
/// it). Lines without JSON are returned unchanged, with no name.
fn index_line_for_package(line: &str) -> (String, Option<String>) {
    let Some(json_at) = line.find('{') else {
        return (line.to_string(), None);
    };
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&line[json_at..]) else {
        return (line.to_string(), None);
    };
    let Some(name) = value.get("filename").and_then(|v| v.as_str()) else {
        return (line.to_string(), None);
    };
    let plain = name.rsplit('/').next().unwrap_or(name).to_string();
    if plain == name {
        return (line.to_string(), Some(plain));
    }
    value["filename"] = serde_json::Value::String(plain.clone());
    (format!("{}{value}", &line[..json_at]), Some(plain))
}

/// RFC 3339 in whole seconds, UTC, with `Z` (as py-wacz reads `created`).
fn rfc3339_seconds(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A zip entry's time (UTC, two-second steps); 1980-01-01 if out of the zip range.
fn zip_time(ts: jiff::Timestamp) -> zip::DateTime {
    let text = ts.strftime("%Y %m %d %H %M %S").to_string();
    let parts: Vec<u16> = text.split(' ').filter_map(|p| p.parse().ok()).collect();
    let byte = |i: usize| {
        parts
            .get(i)
            .and_then(|&v| u8::try_from(v).ok())
            .unwrap_or(0)
    };
    zip::DateTime::from_date_and_time(
        parts.first().copied().unwrap_or(1980),
        byte(1),
        byte(2),
        byte(3),
        byte(4),
        byte(5),
    )
    .unwrap_or_default()
}

/// Writes a WACZ package of the archive folder `dir` to `output` (atomically: a temporary
/// file beside it, renamed when complete).
pub fn pack(dir: &Path, output: &Path, options: &PackOptions) -> io::Result<Packed> {
    // Opened as `verify` opens it: the shared lock, and nothing written.
    let store = ArchiveStore::open_as(dir, ArchiveAccess::ReadOnly { lock: options.lock })?;
    let mut packed = Packed {
        warnings: store.warnings().to_vec(),
        ..Packed::default()
    };
    let manifest = dir.join(MANIFEST_FILE);
    if !manifest.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} has no {MANIFEST_FILE}: no run has archived anything there yet",
                dir.display()
            ),
        ));
    }
    let index = dir.join(INDEX_FILE);
    if !index.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} has no {INDEX_FILE}; `citecheck run --offline` on it writes one",
                dir.display()
            ),
        ));
    }
    let warcs = warc_files(dir)?;
    let packed_names: HashSet<&str> = warcs.iter().map(|(n, _)| n.as_str()).collect();

    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".citecheck-pack-")
        .suffix(".wacz.tmp")
        .tempfile_in(&parent)?;
    files::set_default_mode(tmp.as_file())?;
    let now = jiff::Timestamp::now();
    let modified = zip_time(now);
    let mut package = Package {
        zip: ZipWriter::new(io::BufWriter::with_capacity(
            CHUNK,
            tmp.as_file().try_clone()?,
        )),
        modified,
        mode: files::default_file_mode(),
        resources: Vec::new(),
    };

    // The WARC files, stored as they are.
    for (name, size) in &warcs {
        let file = files::open_read(&dir.join(name))?;
        package.entry(
            &format!("archive/{name}"),
            CompressionMethod::Stored,
            *size,
            |out| copy_chunks(file, out),
        )?;
        packed.warc_files += 1;
    }

    // The index, a line at a time.
    let index_size = std::fs::metadata(&index)?.len();
    let mut unpacked_lines = 0usize;
    let mut index_lines = 0usize;
    package.entry(INDEX_PATH, CompressionMethod::Deflated, index_size, |out| {
        let reader = BufReader::with_capacity(1 << 16, files::open_read(&index)?);
        for line in reader.lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let (line, name) = index_line_for_package(&line);
            if name.is_some_and(|n| !packed_names.contains(n.as_str())) {
                unpacked_lines += 1;
            }
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            index_lines += 1;
        }
        Ok(())
    })?;
    packed.index_lines = index_lines;
    if unpacked_lines > 0 {
        packed.warnings.push(format!(
            "{unpacked_lines} lines of {} name a WARC file that is not packed (unfinished or \
             missing); replay will not find those records",
            index.display()
        ));
    }

    // One page per cited URL, in the order of their latest captures: the store's index
    // (loaded when it was opened) says which line is a URL's latest.
    let title = options.title.as_str();
    let mut pages = 0usize;
    let mut with_quotes = 0usize;
    let mut not_packed = 0usize;
    package.entry(PAGES_PATH, CompressionMethod::Deflated, 0, |out| {
        let header = PagesHeader {
            format: "json-pages-1.0",
            id: "pages",
            title,
        };
        serde_json::to_writer(&mut *out, &header)?;
        out.write_all(b"\n")?;
        each_manifest_entry(&manifest, |offset, entry| {
            if !store.is_latest_line(&entry.cited_url, offset) {
                return Ok(());
            }
            let key = url_key(&entry.cited_url);
            if !packed_names.contains(entry.warc_file.as_str()) {
                not_packed += 1;
                return Ok(());
            }
            let quotes = options.quotes.get(&key).map_or(&[][..], Vec::as_slice);
            let record = entry.record_ref();
            let page = Page {
                id: entry.record_id.trim_start_matches("urn:uuid:"),
                url: &record.target_uri,
                ts: &entry.fetched_at,
                title: entry.title.as_deref().filter(|t| !t.is_empty()),
                cited_url: &entry.cited_url,
                status: entry.http_status,
                quotes,
            };
            serde_json::to_writer(&mut *out, &page)?;
            out.write_all(b"\n")?;
            pages += 1;
            if !quotes.is_empty() {
                with_quotes += 1;
            }
            Ok(())
        })
    })?;
    packed.pages = pages;
    packed.pages_with_quotes = with_quotes;
    if not_packed > 0 {
        packed.warnings.push(format!(
            "{not_packed} cited pages were left out of {PAGES_PATH}: their latest capture is \
             in an unfinished WARC file (`citecheck verify --repair` finishes it)"
        ));
    }

    // datapackage.json, then its digest.
    let datapackage = serde_json::json!({
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "created": rfc3339_seconds(now),
        "software": options.software,
        "resources": package.resources,
    });
    let bytes = serde_json::to_vec_pretty(&datapackage).map_err(io::Error::other)?;
    let digest = format!("sha256:{}", HEXLOWER.encode(&Sha256::digest(&bytes)));
    package.start("datapackage.json", CompressionMethod::Deflated, 0)?;
    package.zip.write_all(&bytes)?;
    let digest_file = serde_json::json!({
        "path": "datapackage.json",
        "hash": digest,
    });
    let bytes = serde_json::to_vec_pretty(&digest_file).map_err(io::Error::other)?;
    package.start("datapackage-digest.json", CompressionMethod::Deflated, 0)?;
    package.zip.write_all(&bytes)?;
    let mut out = package.zip.finish().map_err(zip_error)?;
    out.flush()?;
    drop(out);
    tmp.as_file().sync_all()?;
    packed.bytes = tmp.as_file().metadata()?.len();
    tmp.persist(output).map_err(|e| e.error)?;
    drop(store);
    Ok(packed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lines_name_files_relative_to_archive() {
        let line = r#"nl,x)/ 20201102000000 {"url": "https://x.nl/", "offset": "0", "filename": "a.warc.gz"}"#;
        let (same, name) = index_line_for_package(line);
        assert_eq!(same, line, "a plain name is kept byte for byte");
        assert_eq!(name.as_deref(), Some("a.warc.gz"));
        let nested =
            r#"nl,x)/ 20201102000000 {"url": "https://x.nl/", "filename": "shard/b.warc.gz"}"#;
        let (fixed, name) = index_line_for_package(nested);
        assert_eq!(name.as_deref(), Some("b.warc.gz"));
        assert!(fixed.starts_with("nl,x)/ 20201102000000 {"), "{fixed}");
        assert!(fixed.contains(r#""filename":"b.warc.gz""#), "{fixed}");
        assert_eq!(index_line_for_package("no json").1, None);
    }

    #[test]
    fn hashing_writer_hashes_what_passes() {
        let mut out = Hashing::new(Vec::new());
        out.write_all(b"abc").unwrap();
        let (hash, bytes) = out.finish();
        assert_eq!(bytes, 3);
        assert_eq!(
            hash,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// An archive of 20 cited pages in several WARC files (one page captured twice): one
    /// page each, every WARC file stored byte for byte; with the last file left unfinished,
    /// its pages and index lines are left out, and said.
    #[test]
    fn packs_every_page_once_and_leaves_out_an_unfinished_file() {
        use crate::archive::session::ArchiveSession;
        use crate::archive::session::tests::capture;
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        let mut session = ArchiveSession::open(&archive, "citecheck-test", 30_000).unwrap();
        for i in (0..20).chain([3]) {
            session.record(capture(i)).unwrap();
        }
        let mut files = session.finished_files().to_vec();
        files.push(session.finish().unwrap());
        assert!(files.len() >= 3, "{files:?}");
        let quotes: HashMap<String, Vec<PageQuote>> = [(
            url_key("https://example.nl/nieuws/3"),
            vec![PageQuote {
                id: "Q1".into(),
                quote: "werkt samen".into(),
                verdict: "verified".into(),
                start: Some(12),
                end: Some(23),
                matched_text: "werkt samen".into(),
            }],
        )]
        .into();
        let options = PackOptions {
            title: "test".into(),
            software: "citecheck-test".into(),
            quotes,
            lock: true,
        };
        let out = dir.path().join("a.wacz");
        let packed = pack(&archive, &out, &options).unwrap();
        assert_eq!(packed.warc_files, files.len());
        assert_eq!(packed.pages, 20, "the page captured twice is one page");
        assert_eq!(packed.pages_with_quotes, 1);
        assert!(packed.warnings.is_empty(), "{:?}", packed.warnings);
        let index = std::fs::read_to_string(archive.join(INDEX_FILE)).unwrap();
        assert_eq!(packed.index_lines, index.lines().count());

        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        for path in &files {
            let name = path.file_name().unwrap().to_str().unwrap();
            let mut entry = zip.by_name(&format!("archive/{name}")).unwrap();
            assert_eq!(entry.compression(), CompressionMethod::Stored);
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            assert!(bytes == std::fs::read(path).unwrap(), "{name}");
        }
        let mut pages = String::new();
        zip.by_name(PAGES_PATH)
            .unwrap()
            .read_to_string(&mut pages)
            .unwrap();
        let lines: Vec<serde_json::Value> = pages
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["format"], "json-pages-1.0");
        let third: Vec<&serde_json::Value> = lines[1..]
            .iter()
            .filter(|p| p["cited_url"] == "https://example.nl/nieuws/3")
            .collect();
        assert_eq!(third.len(), 1);
        assert_eq!(third[0]["quotes"][0]["id"], "Q1");
        assert!(
            lines[1..]
                .iter()
                .filter(|p| p["cited_url"] != "https://example.nl/nieuws/3")
                .all(|p| p.get("quotes").is_none())
        );

        // The last file as a crashed run leaves it: read-only packing does not repair it.
        let last = files.last().unwrap();
        let mut open = last.clone().into_os_string();
        open.push(".open");
        std::fs::rename(last, &open).unwrap();
        let packed = pack(&archive, &out, &options).unwrap();
        assert_eq!(packed.warc_files, files.len() - 1);
        assert!(packed.pages < 20, "{packed:?}");
        assert!(
            packed
                .warnings
                .iter()
                .any(|w| w.contains("unfinished WARC file")),
            "{:?}",
            packed.warnings
        );
        assert!(
            packed.warnings.iter().any(|w| w.contains("not packed")),
            "{:?}",
            packed.warnings
        );
        assert!(std::path::Path::new(&open).exists(), "left as it was");
    }

    #[test]
    fn created_is_whole_seconds_in_utc() {
        let ts: jiff::Timestamp = "2026-12-07T01:53:26.123456Z".parse().unwrap();
        assert_eq!(rfc3339_seconds(ts), "2026-12-07T01:53:26Z");
    }
}

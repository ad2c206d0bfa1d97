//! The archive folder as a whole: extracted texts under `text/` and `manifest.jsonl`.
//!
//! [`ArchiveStore::open`] creates the folder, recovers `.warc.gz.open` files left by a
//! crashed run, and loads the manifest (a torn last line is dropped with a warning). It then
//! takes extracted texts ([`ArchiveStore::write_text`], atomic) and manifest entries
//! ([`ArchiveStore::append_manifest`], one line per capture), and answers "what is the
//! latest capture of this cited URL" for revisits, `text_changed` and offline verification.
//!
//! Memory stays flat in the number of captures: the store keeps no entry in memory, only
//! where each cited URL's latest line is in `manifest.jsonl` (a slot of 32 bytes in the
//! `slot_table`, found by a 64-bit hash of [`url_key`]: about 45 bytes per URL in all). A
//! lookup reads that one line back and compares its key, so a hash collision costs a read,
//! never a wrong answer.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cdxj::{INDEX_FILE, IndexLines, final_file_name, index_line, percent_decode};
use super::files;
use super::slot_table::SlotTable;
use super::warc::{OPEN_SUFFIX, RecordRef, Recovery, recover_open_file_with};

/// File name of the manifest inside the archive folder.
pub const MANIFEST_FILE: &str = "manifest.jsonl";
/// Folder of the extracted texts inside the archive folder.
pub const TEXT_DIR: &str = "text";
/// Folder of the screenshots of located quotes, under the archive folder.
pub const SHOTS_DIR: &str = "shots";

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
    /// `urn:uuid:…` of the `urn:pagetext:` resource record holding the page text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_text_record_id: Option<String>,
    /// Where that record's gzip member is in `warc_file` (offset, compressed length): the
    /// page text is read from there when it has no file. Absent in older archives (the
    /// record is then looked for after the response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_text_at: Option<(u64, u64)>,
    /// The page's whole visible text file (`text/<slug>-<hash>.page.txt`), where the
    /// report's offsets for a page-text hit point. Written only for pages whose page text
    /// gave a hit (the others keep it in their record only); absent in archives written
    /// before page texts were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_text_path: Option<String>,
    /// SHA-256 (lowercase hex) of the page text file's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_text_sha256: Option<String>,
    /// Regions of the page text other than its body, `start-end name` joined by `,`
    /// (character offsets; see `extract::parse_regions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_regions: Option<String>,
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
    /// The cited link's status when this capture was made (`ok`, `broken`, …; for a
    /// web-archive copy, the status of the dead link it stands in for), so that `verify`
    /// can report links from the archive. Absent in archives written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_status: Option<String>,
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

/// Where one manifest line is in `manifest.jsonl`: byte offset and length (no newline),
/// and the low 32 bits of the hash of its `record_id` (confirmed on reading: a collision
/// costs a read). 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LineRef {
    offset: u64,
    len: u32,
    record: u32,
}

/// No line (a line is never empty: blank lines are skipped).
const NO_LINE: LineRef = LineRef {
    offset: 0,
    len: 0,
    record: 0,
};

/// What the store keeps per cited URL (32 bytes): where its latest line is, and for a
/// revisit, where the original response's line is (when it is the URL's earlier capture,
/// as revisits written by [`ArchiveSession`](super::session::ArchiveSession) always are;
/// else [`NO_LINE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    latest: LineRef,
    original: LineRef,
}

/// A slot: in the store's own [`SlotTable`], or in the one it shares with the store it was
/// made from ([`ArchiveStore::share_index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotId {
    Own(u32),
    Shared(u32),
}

/// Calls `each` with every line of the manifest at `path` (without its `\n`; a torn last
/// line as it is) and the byte offset where the line starts, read a buffer at a time: for
/// the readers that scan the whole manifest (`pack`, the earlier captures).
pub(super) fn each_manifest_line(
    path: &Path,
    mut each: impl FnMut(u64, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut reader = io::BufReader::with_capacity(1 << 16, files::open_read(path)?);
    let mut line = Vec::new();
    let mut offset = 0u64;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(());
        }
        let at = offset;
        offset += read as u64;
        each(at, line.strip_suffix(b"\n").unwrap_or(&line))?;
    }
}

/// A 64-bit hash of a string (the same within one process; never written to disk).
pub(super) fn hash64(s: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// What opening the archive may change in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveAccess {
    /// `run` (and `verify --repair`): create the folder, take the lock exclusively, recover
    /// `.open` WARC files, cut a torn last manifest line, write texts again.
    Repair,
    /// `verify`: read only. Nothing in the folder is opened for writing, except the lock
    /// file when it is missing (`lock`; taken shared, so verifies can run side by side but
    /// not beside a run).
    ReadOnly {
        /// Take the folder's lock (`verify --no-lock` does not).
        lock: bool,
    },
}

/// The archive folder: texts, manifest, and the latest capture per cited URL.
#[derive(Debug)]
pub struct ArchiveStore {
    dir: PathBuf,
    /// [`hash64`] of url_key(cited_url) → that URL's slot (URLs that share a hash each
    /// have their own).
    slots: SlotTable<Slot>,
    /// The table of the store this one was made from, as it stood then
    /// ([`ArchiveStore::share_index`]); `slots` holds what was indexed since, and comes first.
    shared: Option<std::sync::Arc<SlotTable<Slot>>>,
    /// Manifest lines indexed (loaded and appended).
    count: usize,
    /// The hash of keys and record ids ([`hash64`]; tests force collisions with another).
    hash: fn(&str) -> u64,
    /// Appends (opened on the first append).
    manifest: Option<File>,
    /// Reads lines back (opened on the first read).
    reader: Mutex<Option<File>>,
    warnings: Vec<String>,
    recoveries: Vec<Recovery>,
    /// `.lock`, held while the store is open: exclusively by a run (a second run on the same
    /// folder would take this run's open WARC for a crashed one and "repair" it), shared by a
    /// read-only `verify`; `None` under `verify --no-lock`.
    _lock: Option<std::sync::Arc<File>>,
    /// Opened read-only: every write method fails, nothing is repaired.
    read_only: bool,
}

/// The lock file in the archive folder.
pub const LOCK_FILE: &str = ".lock";

/// Holds the archive folder's lock (as a run's store does) until dropped: a run keeps it
/// between its stages, so that no other run takes the folder while none of its stores is
/// open (the screenshots are written after the captures' writer has finished).
pub fn hold_lock(dir: &Path) -> io::Result<std::sync::Arc<File>> {
    lock_folder(dir)
}

/// Takes the archive folder's lock for this process. Stores of one process share it (`run
/// --resume` opens a second, read-only view of the archive it writes); another process
/// that holds it makes this a `WouldBlock` error.
fn lock_folder(dir: &Path) -> io::Result<std::sync::Arc<File>> {
    use std::sync::{Arc, LazyLock, Weak};
    static HELD: LazyLock<Mutex<HashMap<PathBuf, Weak<File>>>> = LazyLock::new(Default::default);
    let key = dir.canonicalize()?;
    let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(lock) = held.get(&key).and_then(Weak::upgrade) {
        return Ok(lock);
    }
    let file = files::open_nofollow(
        OpenOptions::new().create(true).truncate(false).write(true),
        &key.join(LOCK_FILE),
    )?;
    match try_lock_briefly(|| file.try_lock()) {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "another citecheck run is using this archive folder (its .lock is held); \
                 wait for it to finish or give another --archive",
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    let lock = Arc::new(file);
    held.retain(|_, weak| weak.strong_count() > 0);
    held.insert(key, Arc::downgrade(&lock));
    Ok(lock)
}

/// Tries a lock a few times over 200 ms before it counts as held. A child process started
/// by this one (Chromium, a test's command) holds a copy of every open descriptor between
/// its fork and its exec, and with it the lock of a store just closed: only for that moment.
fn try_lock_briefly(
    mut try_lock: impl FnMut() -> Result<(), std::fs::TryLockError>,
) -> Result<(), std::fs::TryLockError> {
    for _ in 0..10 {
        match try_lock() {
            Err(std::fs::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            done => return done,
        }
    }
    try_lock()
}

/// Takes the archive folder's lock shared, for a read-only `verify`: the `.lock` a run left
/// is opened for reading only (a lock needs no write access), and only a missing one is
/// created. A run holding it (exclusively) makes this a `WouldBlock` error that says so; a
/// folder this user may not write to and that has no `.lock` says how to go on.
fn lock_folder_shared(dir: &Path) -> io::Result<std::sync::Arc<File>> {
    let path = dir.join(LOCK_FILE);
    let file = match files::open_read(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let created = files::open_nofollow(
                OpenOptions::new().create(true).truncate(false).write(true),
                &path,
            );
            match created {
                Ok(file) => file,
                Err(e) if is_read_only(&e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "cannot create the lock file {} ({e}): the archive folder is \
                             read-only here and has no .lock; `citecheck verify --no-lock` \
                             reads it without one (make sure no `citecheck run` writes to it \
                             meanwhile)",
                            path.display()
                        ),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Err(e) if is_read_only(&e) => {
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot open the lock file {} for reading ({e}); `citecheck verify \
                     --no-lock` reads the archive without it",
                    path.display()
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    match try_lock_briefly(|| file.try_lock_shared()) {
        Ok(()) => Ok(std::sync::Arc::new(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            "a citecheck run is writing to this archive folder (its .lock is held): verify \
             once that run has finished, so that it reads a complete archive",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// An error that means "you may not write (or read) here", not "something broke".
fn is_read_only(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    )
}

/// The unfinished WARC files (`*.warc.gz.open`) in the archive folder, sorted.
fn open_warc_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
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
    Ok(open_files)
}

/// Refuses an archive folder in which `text/`, the manifest, the index, the lock or a WARC
/// file is a symlink ([`files`]): before anything in it is read or written.
fn refuse_symlinks(dir: &Path) -> io::Result<()> {
    for name in [TEXT_DIR, SHOTS_DIR, MANIFEST_FILE, INDEX_FILE, LOCK_FILE] {
        files::refuse_symlink(&dir.join(name))?;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries.filter_map(Result::ok) {
        let warc = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.contains(".warc"));
        if warc && entry.file_type()?.is_symlink() {
            return Err(files::symlink_refused(&entry.path()));
        }
    }
    Ok(())
}

impl ArchiveStore {
    /// Opens (creating if needed) the archive folder and its `text/` folder, recovers every
    /// `*.warc.gz.open` file (see [`recover_open_file`](super::warc::recover_open_file); call this before creating this
    /// run's writer), and loads `manifest.jsonl`. Lines that do not parse are skipped with a
    /// warning; a torn last line (no newline: a crash mid-write) is also cut off the file so
    /// the next append starts on a fresh line. Only I/O failures are errors.
    pub fn open(dir: &Path) -> io::Result<ArchiveStore> {
        ArchiveStore::open_with(dir, hash64)
    }

    /// Opens the archive folder as `access` allows: [`ArchiveAccess::Repair`] is
    /// [`ArchiveStore::open`]; [`ArchiveAccess::ReadOnly`] opens nothing for writing (but a
    /// missing lock file), leaves `.open` files and a torn manifest line as they are (with a
    /// warning), and refuses every write.
    pub fn open_as(dir: &Path, access: ArchiveAccess) -> io::Result<ArchiveStore> {
        match access {
            ArchiveAccess::Repair => ArchiveStore::open_with(dir, hash64),
            ArchiveAccess::ReadOnly { lock } => ArchiveStore::open_read_only(dir, lock, hash64),
        }
    }

    fn open_read_only(dir: &Path, lock: bool, hash: fn(&str) -> u64) -> io::Result<ArchiveStore> {
        refuse_symlinks(dir)?;
        let lock = if lock {
            Some(lock_folder_shared(dir)?)
        } else {
            None
        };
        let mut store = ArchiveStore::empty(dir, hash, lock, true);
        let open_files = open_warc_files(dir)?;
        if !open_files.is_empty() {
            store.warnings.push(format!(
                "{} unfinished WARC file(s) left by a stopped run ({}): not recovered by a \
                 read-only verify; their pages are read from their text files. `citecheck \
                 verify --repair` or the next `citecheck run` recovers them",
                open_files.len(),
                open_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        store.load_manifest()?;
        Ok(store)
    }

    /// A store with nothing loaded yet.
    fn empty(
        dir: &Path,
        hash: fn(&str) -> u64,
        lock: Option<std::sync::Arc<File>>,
        read_only: bool,
    ) -> ArchiveStore {
        ArchiveStore {
            dir: dir.to_path_buf(),
            slots: SlotTable::new(),
            shared: None,
            count: 0,
            hash,
            manifest: None,
            reader: Mutex::new(None),
            warnings: Vec::new(),
            recoveries: Vec::new(),
            _lock: lock,
            read_only,
        }
    }

    /// Opened read-only ([`ArchiveAccess::ReadOnly`]): nothing may be written or repaired.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The error every write method returns on a read-only store.
    fn refuse_write(&self) -> io::Result<()> {
        if self.read_only {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the archive was opened read-only (verify without --repair)",
            ));
        }
        Ok(())
    }

    fn open_with(dir: &Path, hash: fn(&str) -> u64) -> io::Result<ArchiveStore> {
        refuse_symlinks(dir)?;
        std::fs::create_dir_all(dir.join(TEXT_DIR))?;
        let lock = lock_folder(dir)?;
        let mut store = ArchiveStore::empty(dir, hash, Some(lock), false);
        for path in open_warc_files(dir)? {
            store.recover(&path)?;
        }
        store.load_manifest()?;
        Ok(store)
    }

    /// Recovers one `.open` file left by a crashed run ([`recover_open_file_with`]) and adds
    /// the records it kept to `index.cdxj` (the crashed run's index lines died with it), in
    /// one streaming pass over that file: the time is the damaged file's, whatever the size
    /// of the rest of the archive (and the memory bounded, whatever the file's size). A file
    /// that cannot be recovered is a warning; only I/O failures of the index are errors.
    fn recover(&mut self, path: &Path) -> io::Result<()> {
        let started = std::time::Instant::now();
        let mut lines = IndexLines::new(&self.dir);
        let name = final_file_name(path);
        let recovered = recover_open_file_with(path, |rec| match index_line(&rec, &name) {
            Some(line) => lines.push(line),
            None => Ok(()),
        });
        match recovered {
            Ok(r) => {
                if r.bytes_dropped > 0 || r.final_path.is_none() {
                    self.warnings.push(format!(
                        "{}: kept {} records ({} bytes), dropped {} bytes: {}",
                        path.display(),
                        r.records_kept,
                        r.bytes_kept,
                        r.bytes_dropped,
                        r.reason.as_deref().unwrap_or("no complete record")
                    ));
                }
                if r.final_path.is_some() {
                    lines.finish()?;
                }
                tracing::info!(
                    "archive: recovered {} ({} records, {} bytes kept) in {:.2} s",
                    path.display(),
                    r.records_kept,
                    r.bytes_kept,
                    started.elapsed().as_secs_f64()
                );
                self.recoveries.push(r);
            }
            Err(e) => self
                .warnings
                .push(format!("{}: not recovered: {e}", path.display())),
        }
        Ok(())
    }

    /// Reads `manifest.jsonl` line by line (never whole) and indexes every entry.
    fn load_manifest(&mut self) -> io::Result<()> {
        let path = self.dir.join(MANIFEST_FILE);
        let file = match files::open_read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut lines = io::BufReader::with_capacity(1 << 16, file);
        let mut line = Vec::new();
        let mut offset = 0u64;
        let mut n = 0usize;
        loop {
            line.clear();
            let read = lines.read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            n += 1;
            let start = offset;
            offset += read as u64;
            let complete = line.last() == Some(&b'\n');
            let body = if complete {
                &line[..line.len() - 1]
            } else {
                &line[..]
            };
            if complete && body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = serde_json::from_slice::<ManifestEntry>(body);
            let at = LineRef {
                offset: start,
                len: u32::try_from(body.len()).unwrap_or(u32::MAX),
                record: 0,
            };
            if complete {
                match parsed {
                    Ok(entry) => self.index_entry(&entry, at),
                    Err(e) => self.warnings.push(format!(
                        "{}:{n}: skipped unreadable line: {e}",
                        path.display()
                    )),
                }
                continue;
            }
            // A line without its newline: a crash mid-append (or a hand edit).
            if self.read_only {
                match parsed {
                    Ok(entry) => self.index_entry(&entry, at),
                    Err(e) => self.warnings.push(format!(
                        "{}: ignored torn last line ({} bytes; left as it is: `verify --repair` \
                         or the next run cuts it): {e}",
                        path.display(),
                        body.len()
                    )),
                }
                continue;
            }
            match parsed {
                Ok(entry) => {
                    self.index_entry(&entry, at);
                    let mut f = files::open_nofollow(OpenOptions::new().append(true), &path)?;
                    f.write_all(b"\n")?;
                    f.sync_data()?;
                }
                Err(e) => {
                    self.warnings.push(format!(
                        "{}: ignored torn last line ({} bytes): {e}",
                        path.display(),
                        body.len()
                    ));
                    let f = files::open_nofollow(OpenOptions::new().write(true), &path)?;
                    f.set_len(start)?;
                    f.sync_data()?;
                }
            }
        }
        Ok(())
    }

    /// Notes that `entry` (at `at` in the manifest) is now the latest capture of its URL.
    fn index_entry(&mut self, entry: &ManifestEntry, at: LineRef) {
        let key = url_key(&entry.cited_url);
        let hash = (self.hash)(&key);
        let existing = self.find_slot(hash, &key);
        let previous = existing.and_then(|id| self.slot(id));
        let original = entry
            .revisit_of
            .as_deref()
            .and_then(|id| {
                let prev = previous?;
                let id = self.record_hash(id);
                [prev.latest, prev.original]
                    .into_iter()
                    .find(|line| line.len > 0 && line.record == id)
            })
            .unwrap_or(NO_LINE);
        let slot = Slot {
            latest: LineRef {
                record: self.record_hash(&entry.record_id),
                ..at
            },
            original,
        };
        match existing {
            Some(SlotId::Own(at)) => self.slots.set(at, slot),
            // A URL of the shared table gets a slot of its own, found first from now on.
            Some(SlotId::Shared(_)) | None => {
                // Past 2^32 URLs a slot is not kept: that URL's next capture is a full one.
                let _ = self.slots.push(hash, slot);
            }
        }
        self.count += 1;
    }

    /// The 32 bits of a record id's hash that a [`LineRef`] keeps.
    fn record_hash(&self, record_id: &str) -> u32 {
        // Truncation intended: the low 32 bits only pick a line, reading it confirms it.
        (self.hash)(super::warc::bare_id(record_id)) as u32
    }

    fn slot(&self, id: SlotId) -> Option<Slot> {
        match id {
            SlotId::Own(at) => self.slots.get(at),
            SlotId::Shared(at) => self.shared.as_ref()?.get(at),
        }
    }

    /// The slot of the URL whose [`url_key`] is `key`: found by hash, confirmed by reading
    /// the slot's line back and comparing keys; the own table first.
    fn find_slot(&self, hash: u64, key: &str) -> Option<SlotId> {
        let holds = |slot: &Slot| {
            self.read_line(slot.latest)
                .is_ok_and(|e| url_key(&e.cited_url) == key)
        };
        self.slots
            .find(hash, holds)
            .map(SlotId::Own)
            .or_else(|| self.shared.as_ref()?.find(hash, holds).map(SlotId::Shared))
    }

    /// A second store over the same folder (its lock shared) for the writer of a run that
    /// goes on with this archive (`run --resume`): both answer from one table of the URLs
    /// indexed so far instead of two copies of it. This store keeps answering as before;
    /// the new one indexes what it appends in a table of its own, looked at first.
    pub fn share_index(&mut self) -> io::Result<ArchiveStore> {
        if self.read_only {
            return Err(io::Error::other("a read-only archive store has no writer"));
        }
        let shared = match (&self.shared, self.slots.is_empty()) {
            (None, _) => std::sync::Arc::new(std::mem::replace(&mut self.slots, SlotTable::new())),
            (Some(shared), true) => shared.clone(),
            (Some(_), false) => {
                return Err(io::Error::other(
                    "the archive store's index is shared already",
                ));
            }
        };
        self.shared = Some(shared.clone());
        let mut store = ArchiveStore::empty(&self.dir, self.hash, self._lock.clone(), false);
        store.shared = Some(shared);
        store.count = self.count;
        Ok(store)
    }

    /// Reads and parses one manifest line.
    fn read_line(&self, at: LineRef) -> io::Result<ManifestEntry> {
        let mut reader = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        if reader.is_none() {
            *reader = Some(files::open_read(&self.dir.join(MANIFEST_FILE))?);
        }
        let Some(file) = reader.as_mut() else {
            return Err(io::Error::other("manifest reader not open"));
        };
        file.seek(SeekFrom::Start(at.offset))?;
        let mut bytes = vec![0; at.len as usize];
        file.read_exact(&mut bytes)?;
        serde_json::from_slice(&bytes).map_err(io::Error::other)
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
    #[cfg(test)]
    pub fn recoveries(&self) -> &[Recovery] {
        &self.recoveries
    }

    /// Where the text of `cited_url` is kept: `<dir>/text/<slug>-<hash>.txt`. The hash is
    /// the first 16 hex digits of SHA-256 of [`url_key`] (so URLs differing only in query
    /// get different files, and the same URL written differently gets the same one); the
    /// slug is host + last path segment in `[a-z0-9-]` only, so the name can never leave
    /// `text/`; the whole file name is at most 80 ASCII characters.
    #[cfg(test)]
    pub fn text_path(&self, cited_url: &str) -> PathBuf {
        self.dir.join(TEXT_DIR).join(text_file_name(cited_url))
    }

    /// Writes the text of `cited_url` atomically (temp file in `text/`, fsync, rename) and
    /// returns its paths and SHA-256. The bytes are written exactly as given: report offsets
    /// point into them.
    pub fn write_text(&self, cited_url: &str, text: &str) -> io::Result<TextFile> {
        self.refuse_write()?;
        write_text_file(&self.dir, cited_url, text)
    }

    /// Writes the page text of `cited_url` atomically (see [`write_page_text_file`]).
    pub fn write_page_text(&self, cited_url: &str, text: &str) -> io::Result<TextFile> {
        self.refuse_write()?;
        write_page_text_file(&self.dir, cited_url, text)
    }

    /// Reads a stored text back (`rel_path` as in the manifest). Refuses paths that would
    /// leave the archive folder.
    pub fn read_text(&self, rel_path: &str) -> io::Result<String> {
        // A plain relative path, and no symlink followed on the way (files::open_inside).
        let mut text = String::new();
        files::open_inside(&self.dir, Path::new(rel_path))?.read_to_string(&mut text)?;
        Ok(text)
    }

    /// Appends one manifest line with a single write, then flushes and fsyncs it. A crash
    /// can at worst leave a torn last line, which [`ArchiveStore::open`] drops.
    #[cfg(test)]
    pub fn append_manifest(&mut self, entry: &ManifestEntry) -> io::Result<()> {
        self.append_manifest_batch(std::slice::from_ref(entry))
    }

    /// Appends several manifest lines with one write and one fsync (group commit).
    pub fn append_manifest_batch(&mut self, entries: &[ManifestEntry]) -> io::Result<()> {
        self.refuse_write()?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut line = Vec::new();
        let mut lens = Vec::with_capacity(entries.len());
        for entry in entries {
            let json = serde_json::to_vec(entry).map_err(io::Error::other)?;
            lens.push(json.len());
            line.extend(json);
            line.push(b'\n');
        }
        if self.manifest.is_none() {
            let f = files::open_nofollow(
                OpenOptions::new().create(true).append(true),
                &self.dir.join(MANIFEST_FILE),
            )?;
            self.manifest = Some(f);
        }
        let Some(f) = self.manifest.as_mut() else {
            return Err(io::Error::other("manifest not open"));
        };
        // Appends land at the end: where the end is now is where the first line starts.
        let mut offset = f.metadata()?.len();
        f.write_all(&line)?;
        f.flush()?;
        f.sync_data()?;
        for (entry, len) in entries.iter().zip(lens) {
            let at = LineRef {
                offset,
                len: u32::try_from(len).unwrap_or(u32::MAX),
                record: 0,
            };
            offset += len as u64 + 1;
            self.index_entry(entry, at);
        }
        Ok(())
    }

    /// The latest capture of `cited_url` (compared after [`url_key`]), read back from the
    /// manifest. A line that cannot be read back is said once in the log and counts as no
    /// capture.
    pub fn latest(&self, cited_url: &str) -> Option<ManifestEntry> {
        let key = url_key(cited_url);
        let slot = self.slot(self.find_slot((self.hash)(&key), &key)?)?;
        self.read_logged(slot.latest)
    }

    /// Whether the manifest line at byte `offset`, a capture of `cited_url`, is that URL's
    /// latest. Compares offsets only: no line is read back (a slot whose latest line starts
    /// at `offset` can only be this line's URL's).
    pub fn is_latest_line(&self, cited_url: &str, offset: u64) -> bool {
        let key = url_key(cited_url);
        let hash = (self.hash)(&key);
        if self
            .slots
            .find(hash, |slot| slot.latest.offset == offset)
            .is_some()
        {
            return true;
        }
        // A shared slot counts unless this store has since indexed a later line of the URL.
        self.shared.as_ref().is_some_and(|shared| {
            shared
                .find(hash, |slot| slot.latest.offset == offset)
                .is_some()
                && !matches!(self.find_slot(hash, &key), Some(SlotId::Own(_)))
        })
    }

    fn read_logged(&self, at: LineRef) -> Option<ManifestEntry> {
        match self.read_line(at) {
            Ok(entry) => Some(entry),
            Err(e) => {
                tracing::warn!(
                    "archive: {} at byte {}: {e}",
                    self.dir.join(MANIFEST_FILE).display(),
                    at.offset
                );
                None
            }
        }
    }

    /// Number of manifest entries indexed (loaded and appended).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.count
    }

    /// The last entry whose record is `record_id` (with or without `<>`), e.g. the
    /// original response of a revisit (`revisit_of`). Scans `manifest.jsonl`: for the rare
    /// look-up [`ArchiveStore::original`] cannot answer from its index.
    pub fn find_record(&self, record_id: &str) -> Option<ManifestEntry> {
        let id = super::warc::bare_id(record_id);
        let file = files::open_read(&self.dir.join(MANIFEST_FILE)).ok()?;
        let mut found = None;
        for line in io::BufReader::new(file).split(b'\n') {
            let Ok(line) = line else { break };
            // Cheap filter before parsing: the id must stand in the line.
            if memchr::memmem::find(&line, id.as_bytes()).is_none() {
                continue;
            }
            if let Ok(entry) = serde_json::from_slice::<ManifestEntry>(&line)
                && entry.record_id == id
            {
                found = Some(entry);
            }
        }
        found
    }

    /// The capture that holds the body of `entry`: `entry` itself, or for a revisit the
    /// original response it refers to (when that is in the manifest; else `entry`).
    pub fn original(&self, entry: &ManifestEntry) -> ManifestEntry {
        let Some(id) = entry.revisit_of.as_deref().map(super::warc::bare_id) else {
            return entry.clone();
        };
        let key = url_key(&entry.cited_url);
        let indexed = self
            .find_slot((self.hash)(&key), &key)
            .and_then(|s| self.slot(s))
            .and_then(|slot| {
                let hash = self.record_hash(id);
                [slot.latest, slot.original]
                    .into_iter()
                    .find(|line| line.len > 0 && line.record == hash)
            })
            .and_then(|at| self.read_line(at).ok())
            .filter(|e| e.record_id == id);
        indexed
            .or_else(|| self.find_record(id))
            .unwrap_or_else(|| entry.clone())
    }

    /// Whether `text_sha256` differs from the latest capture's text of `cited_url`; `None`
    /// when there is no earlier capture with a text (for [`ManifestEntry::text_changed`]).
    #[cfg(test)]
    pub fn text_changed(&self, cited_url: &str, text_sha256: &str) -> Option<bool> {
        let prev = self.latest(cited_url)?.text_sha256?;
        Some(prev != text_sha256)
    }
}

/// Writes the page text of `cited_url` as `text/<slug>-<hash>.page.txt` (the hash of the
/// article text's name; the slug cut 5 characters earlier, so it too is at most 80
/// characters), as [`write_text_file`] does.
pub fn write_page_text_file(dir: &Path, cited_url: &str, text: &str) -> io::Result<TextFile> {
    write_named_text(dir, &file_name_with(cited_url, ".page.txt"), text)
}

/// The page text file of `cited_url` as [`write_page_text_file`] would write it, named and
/// hashed but not written: most page texts never give a reported hit, and they stay in
/// their `urn:pagetext:` record only (the file is written when a hit needs it).
pub fn page_text_file(dir: &Path, cited_url: &str, text: &str) -> TextFile {
    let name = file_name_with(cited_url, ".page.txt");
    TextFile {
        rel_path: format!("{TEXT_DIR}/{name}"),
        path: dir.join(TEXT_DIR).join(name),
        sha256: sha256_hex(text.as_bytes()),
    }
}

/// [`ArchiveStore::write_text`] for the archive folder `dir` (which must hold `text/`): any
/// thread can write texts while one thread owns the store.
pub fn write_text_file(dir: &Path, cited_url: &str, text: &str) -> io::Result<TextFile> {
    write_named_text(dir, &text_file_name(cited_url), text)
}

/// Writes `text` as `<dir>/text/<name>` (see [`write_text_file`]).
fn write_named_text(dir: &Path, name: &str, text: &str) -> io::Result<TextFile> {
    write_named(dir, TEXT_DIR, name, text.as_bytes())
}

/// Writes a screenshot of the quote `quote_id` in `cited_url` as
/// `<dir>/shots/<slug>-<hash>.<quote slug>-<quote hash>.png` (the text file's name, with the
/// quote's id after it), as [`write_text_file`] writes texts; creates `shots/`.
pub fn write_shot_file(
    dir: &Path,
    cited_url: &str,
    quote_id: &str,
    png: &[u8],
) -> io::Result<TextFile> {
    let folder = dir.join(SHOTS_DIR);
    files::refuse_symlink(&folder)?;
    std::fs::create_dir_all(&folder)?;
    write_named(dir, SHOTS_DIR, &shot_file_name(cited_url, quote_id), png)
}

/// The file name of a quote's screenshot (see [`write_shot_file`]): the id's slug is cut to
/// 16 characters and 8 hex digits of its hash keep ids apart that slug alike (`Q1`, `q1`).
pub fn shot_file_name(cited_url: &str, quote_id: &str) -> String {
    let mut id = slugify(quote_id);
    id.truncate(16);
    let id = id.trim_matches('-');
    let hash = sha256_hex(quote_id.as_bytes());
    let hash = hash.get(..8).unwrap_or(&hash);
    file_name_with(cited_url, &format!(".{id}-{hash}.png"))
}

/// Writes `bytes` as `<dir>/<folder>/<name>`.
fn write_named(dir: &Path, folder: &str, name: &str, bytes: &[u8]) -> io::Result<TextFile> {
    let text_dir = dir.join(folder);
    let path = text_dir.join(name);
    // The rename replaces a symlink at `path` rather than writing through it; a symlinked
    // `text/` would put the file elsewhere.
    files::refuse_symlink(&text_dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&text_dir)?;
    files::set_default_mode(tmp.as_file())?;
    // Written whole and renamed: a reader never sees half a file. Not fsynced one by one
    // (that would cost one disk flush per page); the manifest's `text_sha256` lets a
    // reader detect a text that a power cut took back.
    tmp.write_all(bytes)?;
    tmp.flush()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(TextFile {
        rel_path: format!("{folder}/{name}"),
        path,
        sha256: sha256_hex(bytes),
    })
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
    file_name_with(cited_url, ".txt")
}

/// `<slug>-<hash><suffix>`, at most [`MAX_FILE_NAME`] characters (see [`text_file_name`]).
fn file_name_with(cited_url: &str, suffix: &str) -> String {
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
    let max_slug = MAX_FILE_NAME - 1 - HASH_HEX - suffix.len();
    let mut slug = slugify(&format!("{host} {last}"));
    slug.truncate(max_slug); // ASCII only, so any index is a char boundary
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "page" } else { slug };
    format!("{slug}-{hash}{suffix}")
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
            page_text_record_id: None,
            page_text_at: None,
            page_text_path: None,
            page_text_sha256: None,
            page_regions: None,
            text_changed: None,
            title: Some("Samenwerken tussen overheden".into()),
            published: None,
            memento_datetime: None,
            link_status: None,
            truncated: false,
            extractor: "citecheck-extract/1".into(),
        }
    }

    fn name_of(p: &Path) -> String {
        p.file_name().unwrap().to_str().unwrap().to_string()
    }

    #[test]
    fn another_process_holding_the_folder_lock_is_refused_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        // Another open file description on the lock file stands for another process.
        let other = File::create(dir.path().join(LOCK_FILE)).unwrap();
        other.lock().unwrap();
        let Err(e) = ArchiveStore::open(dir.path()) else {
            panic!("the store opened while another holder has the lock");
        };
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert!(e.to_string().contains("another citecheck run"), "{e}");
        other.unlock().unwrap();
        // Two stores of this process share the lock; it goes when both are closed.
        let first = ArchiveStore::open(dir.path()).unwrap();
        let second = ArchiveStore::open(dir.path()).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(first);
        drop(second);
        other.try_lock().unwrap();
    }

    #[test]
    fn a_read_only_store_changes_nothing_and_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        // A complete line, then a torn one that parses (no newline yet).
        let line = serde_json::to_string(&entry("https://a.nl/x", "aa", "<urn:uuid:1>")).unwrap();
        let torn = serde_json::to_string(&entry("https://a.nl/y", "bb", "<urn:uuid:2>")).unwrap();
        let manifest = format!("{line}\n{torn}");
        std::fs::write(dir.path().join(MANIFEST_FILE), &manifest).unwrap();
        std::fs::write(dir.path().join("c-1.warc.gz.open"), b"half a record").unwrap();
        let access = ArchiveAccess::ReadOnly { lock: false };
        let store = ArchiveStore::open_as(dir.path(), access).unwrap();
        assert!(store.is_read_only());
        assert!(
            store.latest("https://a.nl/y").is_some(),
            "the torn line is read"
        );
        assert!(store.warnings()[0].contains("unfinished WARC file(s)"));
        let refused = store.write_text("https://a.nl/x", "t").unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
        let mut store = store;
        assert!(
            store
                .append_manifest(&entry("https://a.nl/z", "cc", "<u3>"))
                .is_err()
        );
        // Nothing was created, cut or recovered; no lock was taken.
        assert_eq!(
            std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap(),
            manifest
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| name_of(&e.unwrap().path()))
            .collect();
        names.sort();
        assert_eq!(names, ["c-1.warc.gz.open", MANIFEST_FILE]);
        // With the lock: taken shared, beside another reader but not beside a run.
        let access = ArchiveAccess::ReadOnly { lock: true };
        let first = ArchiveStore::open_as(dir.path(), access).unwrap();
        let second = ArchiveStore::open_as(dir.path(), access).unwrap();
        let run = File::open(dir.path().join(LOCK_FILE)).unwrap();
        assert!(matches!(
            run.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop((first, second));
        run.lock().unwrap();
        let Err(e) = ArchiveStore::open_as(dir.path(), access) else {
            panic!("opened beside a run");
        };
        assert!(e.to_string().contains("a citecheck run is writing"), "{e}");
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
        assert_eq!(store.len(), 3);
        assert_eq!(
            store.latest("https://A.nl/x#frag").unwrap().record_id,
            "urn:uuid:3"
        );
        assert_eq!(
            store.find_record("<urn:uuid:2>").unwrap().cited_url,
            "https://b.nl/y"
        );
        assert!(store.latest("https://a.nl/other").is_none());
    }

    /// Every key and record id hashes alike: each look-up must still find its own URL.
    fn same_hash(_: &str) -> u64 {
        7
    }

    fn assert_latest(store: &ArchiveStore) {
        let id = |url: &str| store.latest(url).map(|e| e.record_id);
        assert_eq!(id("https://a.nl/x").as_deref(), Some("urn:uuid:4"));
        assert_eq!(id("https://b.nl/y").as_deref(), Some("urn:uuid:2"));
        assert_eq!(id("https://c.nl/z").as_deref(), Some("urn:uuid:5"));
        assert_eq!(id("https://d.nl/"), None);
        // The same answer by line offset alone, as `pack` asks: only the latest lines.
        assert_eq!(
            latest_by_offset(store),
            ["urn:uuid:2", "urn:uuid:4", "urn:uuid:5"]
        );
    }

    /// The record ids of the manifest lines `store` says are their URL's latest, asked by
    /// line offset ([`ArchiveStore::is_latest_line`]).
    fn latest_by_offset(store: &ArchiveStore) -> Vec<String> {
        let mut latest = Vec::new();
        each_manifest_line(&store.dir().join(MANIFEST_FILE), |offset, line| {
            let entry: ManifestEntry = serde_json::from_slice(line).unwrap();
            if store.is_latest_line(&entry.cited_url, offset) {
                latest.push(entry.record_id);
            }
            Ok(())
        })
        .unwrap();
        latest
    }

    #[test]
    fn hash_collisions_never_give_another_urls_capture() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = ArchiveStore::open_with(dir.path(), same_hash).unwrap();
            for (url, id) in [
                ("https://a.nl/x", "urn:uuid:1"),
                ("https://b.nl/y", "urn:uuid:2"),
                ("https://c.nl/z", "urn:uuid:3"),
                ("https://a.nl/x", "urn:uuid:4"),
                ("https://c.nl/z", "urn:uuid:5"),
            ] {
                store.append_manifest(&entry(url, "aa", id)).unwrap();
            }
            assert_latest(&store);
            assert_eq!(store.len(), 5);
        }
        for hash in [same_hash as fn(&str) -> u64, hash64] {
            let store = ArchiveStore::open_with(dir.path(), hash).unwrap();
            assert_latest(&store);
            // One slot per URL, whatever the hash, of 32 bytes.
            assert_eq!(store.slots.len(), 3);
            assert_eq!(std::mem::size_of::<Slot>(), 32);
        }
    }

    /// `run --resume`: the writer's store shares the first store's table. The first keeps
    /// answering as the archive stood; the writer sees its own appends first, resolves a
    /// revisit's original from the shared slots, and the folder reads the same when opened
    /// again. With colliding hashes too.
    #[test]
    fn a_shared_index_answers_for_both_stores() {
        for hash in [hash64 as fn(&str) -> u64, same_hash] {
            let dir = tempfile::tempdir().unwrap();
            let first = entry("https://a.nl/x", "aa", "urn:uuid:1");
            {
                let mut store = ArchiveStore::open_with(dir.path(), hash).unwrap();
                store.append_manifest(&first).unwrap();
                store
                    .append_manifest(&entry("https://b.nl/y", "bb", "urn:uuid:2"))
                    .unwrap();
            }
            let mut kept = ArchiveStore::open_with(dir.path(), hash).unwrap();
            let mut writer = kept.share_index().unwrap();
            assert_eq!(
                kept.slots.len() + writer.slots.len(),
                0,
                "one table, shared"
            );
            let mut revisit = entry("https://a.nl/x", "aa", "urn:uuid:3");
            revisit.revisit_of = Some("urn:uuid:1".into());
            writer.append_manifest(&revisit).unwrap();
            writer
                .append_manifest(&entry("https://c.nl/z", "cc", "urn:uuid:4"))
                .unwrap();
            assert_eq!(writer.slots.len(), 2);
            let id = |store: &ArchiveStore, url: &str| store.latest(url).map(|e| e.record_id);
            assert_eq!(id(&kept, "https://a.nl/x").as_deref(), Some("urn:uuid:1"));
            assert_eq!(id(&kept, "https://c.nl/z"), None);
            assert_eq!(id(&writer, "https://a.nl/x").as_deref(), Some("urn:uuid:3"));
            assert_eq!(id(&writer, "https://b.nl/y").as_deref(), Some("urn:uuid:2"));
            assert_eq!(id(&writer, "https://c.nl/z").as_deref(), Some("urn:uuid:4"));
            let latest = writer.latest("https://a.nl/x").unwrap();
            assert_eq!(writer.original(&latest), first);
            // By offset, as `pack` asks: the first capture of a.nl/x is no longer the latest.
            assert_eq!(
                latest_by_offset(&writer),
                ["urn:uuid:2", "urn:uuid:3", "urn:uuid:4"]
            );
            assert!(kept.share_index().is_ok(), "shared again: still one table");
            drop((kept, writer));
            let store = ArchiveStore::open_with(dir.path(), hash).unwrap();
            assert_eq!(id(&store, "https://a.nl/x").as_deref(), Some("urn:uuid:3"));
            assert_eq!(store.slots.len(), 3);
        }
    }

    #[test]
    fn revisits_resolve_to_their_original_from_the_index_and_after_reload() {
        let dir = tempfile::tempdir().unwrap();
        let revisit = |id: &str, of: &str| {
            let mut e = entry("https://a.nl/x", "aa", id);
            e.revisit_of = Some(of.into());
            e.offset = 900;
            e
        };
        for hash in [hash64 as fn(&str) -> u64, same_hash] {
            let dir = tempfile::tempdir().unwrap();
            let mut store = ArchiveStore::open_with(dir.path(), hash).unwrap();
            let first = entry("https://a.nl/x", "aa", "urn:uuid:1");
            store.append_manifest(&first).unwrap();
            store
                .append_manifest(&entry("https://b.nl/y", "bb", "urn:uuid:9"))
                .unwrap();
            store
                .append_manifest(&revisit("urn:uuid:2", "urn:uuid:1"))
                .unwrap();
            // A second revisit names the original with angle brackets (as a header would).
            store
                .append_manifest(&revisit("urn:uuid:3", "<urn:uuid:1>"))
                .unwrap();
            let latest = store.latest("https://a.nl/x").unwrap();
            assert_eq!(latest.record_id, "urn:uuid:3");
            assert_eq!(store.original(&latest), first);
            drop(store);
            let store = ArchiveStore::open_with(dir.path(), hash).unwrap();
            let latest = store.latest("https://a.nl/x").unwrap();
            assert_eq!(store.original(&latest), first);
            // Not a revisit: itself.
            let b = store.latest("https://b.nl/y").unwrap();
            assert_eq!(store.original(&b), b);
        }
        // A revisit of a record the index does not tie to its URL: found by a scan.
        let mut store = ArchiveStore::open(dir.path()).unwrap();
        let other = entry("https://b.nl/y", "bb", "urn:uuid:7");
        store.append_manifest(&other).unwrap();
        let odd = revisit("urn:uuid:8", "urn:uuid:7");
        store.append_manifest(&odd).unwrap();
        assert_eq!(store.original(&odd), other);
        // An original that is nowhere: the revisit itself.
        let lost = revisit("urn:uuid:10", "urn:uuid:404");
        assert_eq!(store.original(&lost), lost);
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
        assert_eq!(store.len(), 1);
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
        assert_eq!(store.len(), 2);
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
        assert_eq!(store.len(), 1);
        assert!(store.warnings().is_empty());
        store
            .append_manifest(&entry("https://b.nl/", "bb", "urn:uuid:2"))
            .unwrap();
        assert_eq!(
            store.latest("https://b.nl/").unwrap().record_id,
            "urn:uuid:2"
        );
        drop(store);
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.len(), 2);
        assert!(store.warnings().is_empty());
        assert_eq!(
            store.latest("https://a.nl/x").unwrap().record_id,
            "urn:uuid:1"
        );
        assert_eq!(
            store.latest("https://b.nl/").unwrap().record_id,
            "urn:uuid:2"
        );
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
        assert_eq!(store.len(), 2);
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

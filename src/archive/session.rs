//! One run's archive writer: owns the run's WARC file and the archive folder, and turns each
//! captured URL (every exchange, the extracted text) into records, a text file, a manifest
//! line and CDXJ lines. It is synchronous and lives on one thread ([`spawn_writer`]); the
//! fetch tasks send it complete captures over a bounded channel and wait for the answer.
//!
//! The CPU work of a capture ([`prepare`]: serialising and gzipping its records, SHA-1 and
//! SHA-256 digests, writing its text file) runs for the fetch task on the CPU pool
//! ([`crate::cpu`]), in parallel; the writer thread only decides revisits, appends the bytes, and commits.
//!
//! Rotation: when a capture's records would take the open WARC file past the run's size
//! limit, the writer finishes that file and starts the next one first, so every capture (its
//! request/response pairs, revisits, text and page text records) lies whole in one file. Records name
//! their file's `warcinfo`, so a capture prepared for the previous file is built again for
//! the new one (rare: only those in flight at the switch).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio::sync::{mpsc, oneshot};

use super::cdxj::{IndexLines, cdxj_line, mime_of};
use super::store::{
    ArchiveStore, ManifestEntry, TextFile, page_text_file, sha256_hex, write_page_text_file,
    write_text_file,
};
use super::warc::{PreparedExchange, PreparedText, RecordMaker, WarcWriter, warc_date};
use crate::wire::Exchange;

/// Version tag of the text extraction; a change means stored texts may be re-extracted.
pub const EXTRACTOR_VERSION: &str = concat!("citecheck-extract/", env!("CARGO_PKG_VERSION"));

/// Everything learned about one cited URL that the archive keeps.
#[derive(Debug)]
pub struct Capture {
    /// The URL as cited.
    pub cited_url: String,
    /// The live page, a web-archive snapshot, or a look-up (no manifest line).
    pub origin: super::CaptureOrigin,
    /// Every exchange, in order.
    pub exchanges: Vec<Exchange>,
    /// The final response among them.
    pub last: Option<usize>,
    /// The last logical URL.
    pub final_url: String,
    /// The extracted article text, when the page is the cited page.
    pub text: Option<String>,
    /// The page's whole visible text and its regions (kept beside the article text).
    pub page: Option<crate::extract::PageText>,
    /// The page text gave a hit the report may name: its file is written with the
    /// capture. Otherwise it is kept in its WARC record only, and its file is written
    /// when a later read needs it (see `ManifestEntry::page_text_path`).
    pub keep_page_file: bool,
    /// Page title.
    pub title: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// For a web-archive snapshot: its date.
    pub memento_datetime: Option<String>,
    /// The cited link's status (for a web-archive snapshot: the dead link's).
    pub link_status: Option<String>,
}

/// What the archive answers for a capture.
#[derive(Debug, Clone, Default)]
pub struct Archived {
    /// Path of the text file, relative to the archive folder.
    pub text_path: Option<String>,
    /// Path of the page text file, relative to the archive folder (written only when the
    /// capture asked for it: [`Capture::keep_page_file`]).
    pub page_text_path: Option<String>,
    /// Whether the text differs from the previous capture's (`None` for a first capture).
    pub text_changed: Option<bool>,
}

/// The record maker of the open WARC file, shared with the fetch tasks and replaced when
/// the writer starts a new file.
type SharedMaker = Arc<RwLock<Arc<RecordMaker>>>;

/// The archive of one run.
pub struct ArchiveSession {
    store: ArchiveStore,
    warc: WarcWriter,
    cdxj: IndexLines,
    /// The `warcinfo` fields of every file of the run.
    info: Vec<(&'static str, String)>,
    /// A new file starts before a capture would take the open one past this many bytes.
    max_file_size: u64,
    maker: SharedMaker,
    /// The files finished so far (rotated out), in order.
    finished: Vec<PathBuf>,
}

impl ArchiveSession {
    /// Opens the folder (repairing what a crashed run left) and starts this run's WARC file.
    /// A new file starts whenever the next capture would take the open one past
    /// `max_file_size` bytes (a capture larger than that gets a file of its own).
    pub fn open(dir: &Path, user_agent: &str, max_file_size: u64) -> io::Result<ArchiveSession> {
        ArchiveSession::with_store(ArchiveStore::open(dir)?, user_agent, max_file_size)
    }

    /// [`ArchiveSession::open`] with a store opened already: `run --resume` opens the
    /// archive first for the rows it keeps and gives the writer a store that shares its
    /// index ([`ArchiveStore::share_index`]). The store's warnings are logged here.
    pub fn with_store(
        store: ArchiveStore,
        user_agent: &str,
        max_file_size: u64,
    ) -> io::Result<ArchiveSession> {
        for warning in store.warnings() {
            tracing::warn!("archive: {warning}");
        }
        let dir = store.dir().to_path_buf();
        let dir = dir.as_path();
        let info = vec![
            (
                "software",
                format!("citecheck/{}", env!("CARGO_PKG_VERSION")),
            ),
            ("format", "WARC File Format 1.1".to_string()),
            ("http-header-user-agent", user_agent.to_string()),
            (
                "description",
                "pages cited by a document, captured by citecheck".to_string(),
            ),
        ];
        let warc = new_warc(dir, &info)?;
        let maker = Arc::new(RwLock::new(Arc::new(warc.maker().clone())));
        Ok(ArchiveSession {
            store,
            warc,
            cdxj: IndexLines::new(dir),
            info,
            max_file_size,
            maker,
            finished: Vec::new(),
        })
    }

    /// Finishes the open WARC file and starts the next. The order keeps a crash anywhere in
    /// between harmless: the file is made durable, then the index lines of its records are
    /// merged into `index.cdxj` (a crash after that leaves a whole `.open` file, which the
    /// next run renames and indexes again, the same lines), then it is renamed.
    fn rotate(&mut self) -> io::Result<()> {
        self.warc.sync()?;
        let dir = self.store.dir().to_path_buf();
        std::mem::replace(&mut self.cdxj, IndexLines::new(&dir)).finish()?;
        let next = new_warc(&dir, &self.info)?;
        *self.maker.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next.maker().clone());
        let old = std::mem::replace(&mut self.warc, next);
        let bytes = old.bytes_written();
        let path = old.finish()?;
        tracing::info!(
            "archive: {} is full ({bytes} bytes); continuing in {}",
            path.display(),
            self.warc.file_name()
        );
        self.finished.push(path);
        Ok(())
    }

    /// The folder's store (latest captures, texts).
    pub fn store(&self) -> &ArchiveStore {
        &self.store
    }

    /// What builds this run's records off the writer thread (for the open file).
    #[cfg(test)]
    pub fn maker(&self) -> &RecordMaker {
        self.warc.maker()
    }

    /// The files this run has written and finished so far (before the open one).
    #[cfg(test)]
    pub fn finished_files(&self) -> &[PathBuf] {
        &self.finished
    }

    /// Writes one capture and commits it at once (see [`prepare`],
    /// [`ArchiveSession::stage`] and [`ArchiveSession::commit`], which the writer thread
    /// uses to batch).
    #[cfg(test)]
    pub fn record(&mut self, capture: Capture) -> io::Result<Archived> {
        let prepared = prepare(self.warc.maker(), self.store.dir(), capture)?;
        let (entry, archived) = self.stage(prepared)?;
        self.commit(entry.into_iter().collect())?;
        Ok(archived)
    }

    /// Appends one prepared capture's records: each exchange (the final one as a `revisit`
    /// when its payload equals the previous capture's), then the text's resource record.
    /// Returns the manifest line to [`commit`](ArchiveSession::commit) once the records are
    /// on disk.
    pub fn stage(
        &mut self,
        mut capture: PreparedCapture,
    ) -> io::Result<(Option<ManifestEntry>, Archived)> {
        if self.warc.holds_records()
            && self
                .warc
                .bytes_written()
                .saturating_add(capture.member_bytes())
                > self.max_file_size
        {
            self.rotate()?;
        }
        if capture.warcinfo_id != self.warc.maker().warcinfo_id() {
            capture = capture.remake(self.warc.maker())?;
        }
        let latest = self.store.latest(&capture.cited_url);
        let previous = latest.as_ref().map(|e| self.store.original(e));
        let mut final_ref = None;
        let mut request_urls = Vec::new();
        for (i, (exchange, status, mime)) in capture.exchanges.into_iter().enumerate() {
            request_urls.push(exchange.exchange.request_url.clone());
            let is_final = Some(i) == capture.last;
            let same_payload = previous.as_ref().filter(|p| {
                is_final && p.revisit_of.is_none() && p.payload_digest == exchange.payload_digest
            });
            let (reference, revisit_of) = match same_payload {
                Some(prev) => {
                    let target = prev.record_ref();
                    let (r, _) = self.warc.append_revisit(
                        exchange,
                        &target,
                        &target.target_uri,
                        &target.warc_date,
                    )?;
                    self.cdxj
                        .push(cdxj_line(&r, "warc/revisit", Some(status)))?;
                    (r, Some(prev.record_id.clone()))
                }
                None => {
                    let (r, _) = self.warc.append_exchange(exchange)?;
                    self.cdxj.push(cdxj_line(&r, &mime, Some(status)))?;
                    (r, None)
                }
            };
            if is_final {
                final_ref = Some((reference, revisit_of, status));
            }
        }
        let Some((reference, revisit_of, http_status)) = final_ref else {
            return Ok((None, Archived::default()));
        };
        let mut entry = ManifestEntry {
            cited_url: capture.cited_url,
            final_url: capture.final_url,
            source: capture.origin.to_string(),
            request_urls,
            fetched_at: warc_date(capture.date),
            http_status,
            body_sha256: capture.body_sha256,
            payload_digest: reference.payload_digest.clone(),
            warc_file: reference.warc_file.clone(),
            offset: reference.offset,
            length: reference.length,
            record_id: reference.record_id.clone(),
            revisit_of,
            text_record_id: None,
            text_path: None,
            text_sha256: None,
            page_text_record_id: None,
            page_text_at: None,
            page_text_path: None,
            page_text_sha256: None,
            page_regions: None,
            text_changed: None,
            title: capture.title,
            published: capture.published,
            memento_datetime: capture.memento_datetime,
            link_status: capture.link_status,
            truncated: capture.truncated,
            extractor: EXTRACTOR_VERSION.to_string(),
        };
        let mut archived = Archived::default();
        if let Some((record, file)) = capture.text {
            let text_ref = self.warc.append_text(record)?;
            self.cdxj.push(cdxj_line(&text_ref, "text/plain", None))?;
            entry.text_changed = latest
                .as_ref()
                .and_then(|e| e.text_sha256.as_deref())
                .map(|prev| prev != file.sha256);
            entry.text_record_id = Some(text_ref.record_id);
            entry.text_path = Some(file.rel_path.clone());
            entry.text_sha256 = Some(file.sha256);
            archived.text_path = Some(file.rel_path);
            archived.text_changed = entry.text_changed;
        }
        if let Some((record, file, regions)) = capture.page {
            let page_ref = self.warc.append_text(record)?;
            self.cdxj.push(cdxj_line(&page_ref, "text/plain", None))?;
            entry.page_text_at = Some((page_ref.offset, page_ref.length));
            entry.page_text_record_id = Some(page_ref.record_id);
            entry.page_text_path = Some(file.rel_path.clone());
            entry.page_text_sha256 = Some(file.sha256);
            entry.page_regions = Some(regions);
            archived.page_text_path = Some(file.rel_path);
        }
        Ok((Some(entry), archived))
    }

    /// Makes staged captures durable: one fsync of the WARC file, then their manifest lines
    /// in one write and one fsync. A manifest line never points at a record not on disk.
    pub fn commit(&mut self, entries: Vec<ManifestEntry>) -> io::Result<()> {
        self.warc.sync()?;
        self.store.append_manifest_batch(&entries)
    }

    /// Appends one binary `resource` record (a screenshot, see [`RecordMaker::resource`])
    /// and its index line, starting a new file first when it would take the open one past
    /// the size limit. Not yet durable: [`ArchiveSession::sync`] before pointing at it.
    pub fn append_resource(
        &mut self,
        target_uri: &str,
        content_type: &str,
        block: &[u8],
        refers_to: Option<&str>,
        date: jiff::Timestamp,
    ) -> io::Result<super::warc::RecordRef> {
        let mut record =
            self.warc
                .maker()
                .resource(target_uri, content_type, block, refers_to, date);
        if self.warc.holds_records()
            && self
                .warc
                .bytes_written()
                .saturating_add(record.member_bytes())
                > self.max_file_size
        {
            self.rotate()?;
            record = self
                .warc
                .maker()
                .resource(target_uri, content_type, block, refers_to, date);
        }
        let reference = self.warc.append_text(record)?;
        self.cdxj.push(cdxj_line(&reference, content_type, None))?;
        Ok(reference)
    }

    /// Makes the records appended so far durable (one fsync), before a line names them.
    pub fn sync(&mut self) -> io::Result<()> {
        self.warc.sync()
    }

    /// Merges this run's lines into `index.cdxj` and closes the WARC file (durable first, as
    /// in a rotation); returns the last file's path.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        self.warc.sync()?;
        self.cdxj.finish()?;
        self.warc.finish()
    }
}

/// Creates the next WARC file of a run, with its `warcinfo` fields.
fn new_warc(dir: &Path, info: &[(&'static str, String)]) -> io::Result<WarcWriter> {
    let fields: Vec<(&str, &str)> = info.iter().map(|(k, v)| (*k, v.as_str())).collect();
    WarcWriter::create(dir, &fields)
}

/// A capture whose records are built and whose text file is written ([`prepare`]): what
/// the writer thread still has to do is append and commit.
#[derive(Debug)]
pub struct PreparedCapture {
    /// The `warcinfo` of the file its records were made for.
    warcinfo_id: String,
    cited_url: String,
    origin: &'static str,
    /// Each exchange's records, with its HTTP status and MIME type (for the CDXJ line).
    exchanges: Vec<(PreparedExchange, u16, String)>,
    last: Option<usize>,
    final_url: String,
    /// When the final exchange began (now, when there is none).
    date: jiff::Timestamp,
    /// SHA-256 of the final response's body as stored.
    body_sha256: String,
    truncated: bool,
    /// The text's resource record (referring to the final response) and its file.
    text: Option<(PreparedText, TextFile)>,
    /// The page text's resource record, its file and its regions line.
    page: Option<(PreparedText, TextFile, String)>,
    title: Option<String>,
    published: Option<String>,
    memento_datetime: Option<String>,
    link_status: Option<String>,
}

impl PreparedCapture {
    /// Bytes its records take in the file (a revisit takes less than the response).
    fn member_bytes(&self) -> u64 {
        let exchanges: u64 = self
            .exchanges
            .iter()
            .map(|(e, _, _)| e.member_bytes())
            .sum();
        exchanges
            + self.text.as_ref().map_or(0, |(t, _)| t.member_bytes())
            + self.page.as_ref().map_or(0, |(t, _, _)| t.member_bytes())
    }

    /// The same records made again by `maker` (another file's), under the same ids.
    fn remake(mut self, maker: &RecordMaker) -> io::Result<PreparedCapture> {
        self.exchanges = self
            .exchanges
            .into_iter()
            .map(|(e, status, mime)| Ok((maker.remake(e)?, status, mime)))
            .collect::<io::Result<_>>()?;
        let refers_to = self
            .last
            .and_then(|i| self.exchanges.get(i))
            .map(|(e, _, _)| e.record_id.clone());
        // Each text is read back from its own record (a page text may have no file).
        if let Some((record, file)) = self.text.take() {
            let text = record.text()?;
            let record = maker.remake_text(record, &self.cited_url, &text, refers_to.as_deref())?;
            self.text = Some((record, file));
        }
        if let Some((record, file, regions)) = self.page.take() {
            let text = record.text()?;
            let record = maker.remake_text(record, &self.cited_url, &text, refers_to.as_deref())?;
            self.page = Some((record, file, regions));
        }
        self.warcinfo_id = maker.warcinfo_id().to_string();
        Ok(self)
    }
}

/// The CPU and file work of one capture, for any thread: gzip members and digests of every
/// record, and the text file (written whole and renamed, as
/// [`ArchiveStore::write_text`] does) under the archive folder `dir`.
pub fn prepare(maker: &RecordMaker, dir: &Path, capture: Capture) -> io::Result<PreparedCapture> {
    let last = capture.last.and_then(|i| capture.exchanges.get(i));
    let date = last
        .map(|e| e.wire.date)
        .unwrap_or_else(jiff::Timestamp::now);
    let body_sha256 = last.map(|e| sha256_hex(&e.wire.body)).unwrap_or_default();
    let truncated = last.is_some_and(|e| e.wire.truncated);
    let mut exchanges = Vec::with_capacity(capture.exchanges.len());
    for exchange in capture.exchanges {
        let mime = mime_of(
            exchange
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        );
        let status = exchange.status;
        exchanges.push((maker.exchange(exchange.wire)?, status, mime));
    }
    let final_id = capture
        .last
        .and_then(|i| exchanges.get(i))
        .map(|(e, _, _)| e.record_id.clone());
    let text = match (&capture.text, &final_id) {
        (Some(text), Some(id)) => {
            let record = maker.text(&capture.cited_url, text, Some(id), date)?;
            let file = write_text_file(dir, &capture.cited_url, text)?;
            Some((record, file))
        }
        _ => None,
    };
    // The page text only beside an article text: it is the fallback for the same page. Its
    // file only when its text gave a hit: a second file per page cost more than the rest
    // of the page text (docs/scaling.md).
    let page = match (&capture.page, &final_id, &text) {
        (Some(page), Some(id), Some(_)) => {
            let record = maker.page_text(&capture.cited_url, &page.text, Some(id), date)?;
            let file = if capture.keep_page_file {
                write_page_text_file(dir, &capture.cited_url, &page.text)?
            } else {
                page_text_file(dir, &capture.cited_url, &page.text)
            };
            Some((record, file, page.regions_line()))
        }
        _ => None,
    };
    Ok(PreparedCapture {
        warcinfo_id: maker.warcinfo_id().to_string(),
        cited_url: capture.cited_url,
        origin: capture.origin.as_str(),
        exchanges,
        last: capture.last,
        final_url: capture.final_url,
        date,
        body_sha256,
        truncated,
        text,
        page,
        title: capture.title,
        published: capture.published,
        memento_datetime: capture.memento_datetime,
        link_status: capture.link_status,
    })
}

/// Captures committed together at most.
const MAX_BATCH: usize = 64;

/// A request to the writer thread.
type Job = (PreparedCapture, oneshot::Sender<io::Result<Archived>>);

/// The handle fetch tasks use to archive captures.
#[derive(Clone)]
pub struct ArchiveHandle {
    jobs: mpsc::Sender<Job>,
    maker: SharedMaker,
    dir: Arc<Path>,
}

impl ArchiveHandle {
    /// Archives a capture: builds its records on the CPU pool ([`prepare`]), then has
    /// the writer thread append them, and waits for them to be on disk.
    pub async fn record(&self, capture: Capture) -> io::Result<Archived> {
        let maker = self.maker.read().unwrap_or_else(|e| e.into_inner()).clone();
        let dir = self.dir.clone();
        let prepared = crate::cpu::run(move || prepare(&maker, &dir, capture))
            .await
            .ok_or_else(|| io::Error::other("preparing archive records failed"))??;
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send((prepared, tx))
            .await
            .map_err(|_| io::Error::other("the archive writer has stopped"))?;
        rx.await
            .map_err(|_| io::Error::other("the archive writer has stopped"))?
    }
}

/// Starts the writer thread. Drop every handle, then join the thread to finish the WARC.
pub fn spawn_writer(
    session: ArchiveSession,
) -> (ArchiveHandle, std::thread::JoinHandle<io::Result<PathBuf>>) {
    let (tx, mut rx) = mpsc::channel::<Job>(MAX_BATCH);
    let handle = ArchiveHandle {
        jobs: tx,
        maker: session.maker.clone(),
        dir: Arc::from(session.store().dir()),
    };
    let thread = std::thread::spawn(move || {
        let mut session = session;
        // Group commit: take whatever captures are waiting (up to a batch), write their
        // records, then make them durable with one fsync each for the WARC and the manifest.
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let mut staged = Vec::with_capacity(batch.len());
            let mut entries = Vec::new();
            for (capture, reply) in batch {
                match session.stage(capture) {
                    Ok((entry, archived)) => {
                        entries.extend(entry);
                        staged.push((reply, Ok(archived)));
                    }
                    Err(e) => staged.push((reply, Err(e))),
                }
            }
            let committed = session.commit(entries);
            for (reply, result) in staged {
                let result = match (&committed, result) {
                    (Err(e), Ok(_)) => Err(io::Error::new(e.kind(), e.to_string())),
                    (_, result) => result,
                };
                let _ = reply.send(result);
            }
        }
        session.finish()
    });
    (handle, thread)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::archive::cdxj::INDEX_FILE;
    use crate::archive::warc::tests::{exchange, noise};
    use crate::archive::warc::{read_record_at, read_records};

    /// A capture of `https://example.nl/nieuws/<i>` (also for the WACZ tests).
    pub(crate) fn capture(i: u64) -> Capture {
        let url = format!("https://example.nl/nieuws/{i}");
        let wire = exchange(
            &url,
            "HTTP/1.1 200 OK",
            "content-type: text/html\r\n",
            &noise(4000, i + 1),
        );
        Capture {
            cited_url: url.clone(),
            origin: crate::archive::CaptureOrigin::Live,
            exchanges: vec![Exchange {
                wire,
                status: 200,
                headers: [(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("text/html"),
                )]
                .into_iter()
                .collect(),
            }],
            last: Some(0),
            final_url: url,
            text: Some(format!(
                "Artikel {i}: de gemeente werkt samen met de provincie."
            )),
            page: Some(crate::extract::PageText {
                text: format!(
                    "Menu\n\nArtikel {i}: de gemeente werkt samen met de provincie.\n\nLees ook"
                ),
                regions: Vec::new(),
            }),
            keep_page_file: false,
            title: None,
            published: None,
            memento_datetime: None,
            link_status: None,
        }
    }

    /// Small files: the run writes several, each with its own warcinfo, each capture whole in
    /// one of them; the manifest and the index point at the right file; a capture prepared
    /// for a file that was finished before it was staged is made again for the new one.
    #[test]
    fn rotation_keeps_captures_whole_and_points_at_the_right_file() {
        const MAX: u64 = 30_000;
        let dir = tempfile::tempdir().unwrap();
        let mut session = ArchiveSession::open(dir.path(), "citecheck-test", MAX).unwrap();
        let stale = prepare(session.maker(), dir.path(), capture(99)).unwrap();
        for i in 0..20 {
            session.record(capture(i)).unwrap();
        }
        let (entry, _) = session.stage(stale).unwrap();
        session.commit(entry.into_iter().collect()).unwrap();
        let mut files = session.finished_files().to_vec();
        files.push(session.finish().unwrap());
        assert!(files.len() >= 4, "{files:?}");

        let mut file_of_record = std::collections::HashMap::new();
        for path in &files {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(std::fs::metadata(path).unwrap().len() <= MAX, "{name}");
            let recs = read_records(path).unwrap();
            assert!(recs.torn_tail.is_none());
            let info = &recs.records[0];
            assert_eq!(info.warc_type(), "warcinfo");
            assert_eq!(info.header("WARC-Filename"), Some(name));
            let info_id = info.header("WARC-Record-ID").unwrap();
            let ids: Vec<&str> = recs.records.iter().filter_map(|r| r.record_id()).collect();
            for rec in &recs.records[1..] {
                assert_eq!(rec.header("WARC-Warcinfo-ID"), Some(info_id), "{name}");
                // A request's response and a text's response are in the same file.
                for link in ["WARC-Concurrent-To", "WARC-Refers-To"] {
                    if let Some(to) = rec.header(link) {
                        assert!(
                            ids.contains(&to.trim_matches(['<', '>'])),
                            "{name}: {link} {to}"
                        );
                    }
                }
                file_of_record.insert(rec.record_id().unwrap().to_string(), name.to_string());
            }
        }
        let store = ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.len(), 21);
        for i in (0..20).chain([99]) {
            let e = store
                .latest(&format!("https://example.nl/nieuws/{i}"))
                .unwrap();
            assert_eq!(file_of_record[&e.record_id], e.warc_file);
            let rec = read_record_at(&dir.path().join(&e.warc_file), e.offset, e.length).unwrap();
            assert_eq!(rec.record_id(), Some(e.record_id.as_str()));
            let text = file_of_record[e.text_record_id.as_deref().unwrap()].clone();
            assert_eq!(text, e.warc_file);
            let page = file_of_record[e.page_text_record_id.as_deref().unwrap()].clone();
            assert_eq!(page, e.warc_file);
        }
        // The stale capture landed in a later file than the one it was made for.
        let stale_file = &store
            .latest("https://example.nl/nieuws/99")
            .unwrap()
            .warc_file;
        assert_ne!(stale_file, files[0].file_name().unwrap().to_str().unwrap());
        // Its page text had no file (no hit asked for one): it was made again from its own
        // record, and reads back whole from the new file.
        let stale = store.latest("https://example.nl/nieuws/99").unwrap();
        assert!(
            !dir.path()
                .join(stale.page_text_path.as_deref().unwrap())
                .exists()
        );
        assert_eq!(
            crate::archive::history::page_text_of(dir.path(), &stale).unwrap(),
            capture(99).page.unwrap().text
        );
        // Three index lines (response, text, page text) per capture, each naming the file
        // that holds it.
        let index = std::fs::read_to_string(dir.path().join(INDEX_FILE)).unwrap();
        assert_eq!(index.lines().count(), 63);
        for line in index.lines() {
            let json: serde_json::Value =
                serde_json::from_str(&line[line.find('{').unwrap()..]).unwrap();
            let file = json["filename"].as_str().unwrap();
            let offset: u64 = json["offset"].as_str().unwrap().parse().unwrap();
            let length: u64 = json["length"].as_str().unwrap().parse().unwrap();
            let rec = read_record_at(&dir.path().join(file), offset, length).unwrap();
            assert_eq!(file_of_record[rec.record_id().unwrap()], file);
        }
    }
}

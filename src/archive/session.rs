//! One run's archive writer: owns the run's WARC file and the archive folder, and turns each
//! captured URL (every exchange, the extracted text) into records, a text file, a manifest
//! line and CDXJ lines. It is synchronous and lives on one thread ([`spawn_writer`]); the
//! fetch tasks send it complete captures over a bounded channel and wait for the answer.
//!
//! The CPU work of a capture ([`prepare`]: serialising and gzipping its records, SHA-1 and
//! SHA-256 digests, writing its text file) runs for the fetch task on the CPU pool
//! ([`crate::cpu`]), in parallel; the writer thread only decides revisits, appends the bytes, and commits.

use std::io;
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

use super::cdxj::{IndexLines, cdxj_line, mime_of};
use super::store::{
    ArchiveStore, ManifestEntry, TextFile, sha256_hex, write_page_text_file, write_text_file,
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
    /// Page title.
    pub title: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// For a web-archive snapshot: its date.
    pub memento_datetime: Option<String>,
}

/// What the archive answers for a capture.
#[derive(Debug, Clone, Default)]
pub struct Archived {
    /// Path of the text file, relative to the archive folder.
    pub text_path: Option<String>,
    /// Path of the page text file, relative to the archive folder.
    pub page_text_path: Option<String>,
    /// Whether the text differs from the previous capture's (`None` for a first capture).
    pub text_changed: Option<bool>,
}

/// The archive of one run.
pub struct ArchiveSession {
    store: ArchiveStore,
    warc: WarcWriter,
    cdxj: IndexLines,
}

impl ArchiveSession {
    /// Opens the folder (repairing what a crashed run left) and starts this run's WARC file.
    pub fn open(dir: &Path, user_agent: &str) -> io::Result<ArchiveSession> {
        let store = ArchiveStore::open(dir)?;
        for warning in store.warnings() {
            tracing::warn!("archive: {warning}");
        }
        let software = format!("citecheck/{}", env!("CARGO_PKG_VERSION"));
        let warc = WarcWriter::create(
            dir,
            &[
                ("software", software.as_str()),
                ("format", "WARC File Format 1.1"),
                ("http-header-user-agent", user_agent),
                (
                    "description",
                    "pages cited by a document, captured by citecheck",
                ),
            ],
        )?;
        Ok(ArchiveSession {
            store,
            warc,
            cdxj: IndexLines::new(dir),
        })
    }

    /// The folder's store (latest captures, texts).
    pub fn store(&self) -> &ArchiveStore {
        &self.store
    }

    /// What builds this run's records off the writer thread.
    pub fn maker(&self) -> &RecordMaker {
        self.warc.maker()
    }

    /// Writes one capture and commits it at once (see [`prepare`],
    /// [`ArchiveSession::stage`] and [`ArchiveSession::commit`], which the writer thread
    /// uses to batch).
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
        capture: PreparedCapture,
    ) -> io::Result<(Option<ManifestEntry>, Archived)> {
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
            page_text_path: None,
            page_text_sha256: None,
            page_regions: None,
            text_changed: None,
            title: capture.title,
            published: capture.published,
            memento_datetime: capture.memento_datetime,
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

    /// Closes the WARC file and merges this run's lines into `index.cdxj`.
    pub fn finish(self) -> io::Result<PathBuf> {
        let path = self.warc.finish()?;
        self.cdxj.finish()?;
        Ok(path)
    }
}

/// A capture whose records are built and whose text file is written ([`prepare`]): what
/// the writer thread still has to do is append and commit.
#[derive(Debug)]
pub struct PreparedCapture {
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
    // The page text only beside an article text: it is the fallback for the same page.
    let page = match (&capture.page, &final_id, &text) {
        (Some(page), Some(id), Some(_)) => {
            let record = maker.page_text(&capture.cited_url, &page.text, Some(id), date)?;
            let file = write_page_text_file(dir, &capture.cited_url, &page.text)?;
            Some((record, file, page.regions_line()))
        }
        _ => None,
    };
    Ok(PreparedCapture {
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
    maker: std::sync::Arc<RecordMaker>,
    dir: std::sync::Arc<Path>,
}

impl ArchiveHandle {
    /// Archives a capture: builds its records on the CPU pool ([`prepare`]), then has
    /// the writer thread append them, and waits for them to be on disk.
    pub async fn record(&self, capture: Capture) -> io::Result<Archived> {
        let (maker, dir) = (self.maker.clone(), self.dir.clone());
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
        maker: std::sync::Arc::new(session.maker().clone()),
        dir: std::sync::Arc::from(session.store().dir()),
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

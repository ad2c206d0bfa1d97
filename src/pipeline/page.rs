//! The page checker: one cited URL fetched, judged, probed, extracted, captured to the
//! archive and, when dead, rescued from the web archive.

use crate::archive::CaptureOrigin;
use crate::archive::session::{ArchiveHandle, Capture};
use crate::archive::wayback;
use crate::check::accept::AcceptStatus;
use crate::check::probe::{ProbeCache, ProbeResult};
use crate::check::{self, LinkRecord, LinkStatus, Page};
use crate::config::MAX_DECODED_BODY;
use crate::http::body::{decode_content, decode_text};
use crate::http::{FetchOutcome, Fetcher};
use crate::input::Source;
use crate::input::url::duplicate_key;

use std::sync::Arc;

use super::quotes::QuoteStage;
use crate::locate::SourceText;

/// What the check stage hands on per sources row.
pub(super) struct Checked {
    pub(super) record: LinkRecord,
    pub(super) source_text: Option<SourceText>,
}

/// The shared, read-only parts of the check stage.
pub(super) struct CheckContext {
    pub(super) fetcher: Fetcher,
    pub(super) archive: Option<ArchiveHandle>,
    pub(super) cap_is_users: bool,
    pub(super) rescue: bool,
    /// The rate cap and circuit breaker of the web-archive look-ups.
    pub(super) wayback: wayback::LookupGuard,
    pub(super) probe: bool,
    pub(super) probes: ProbeCache,
    pub(super) accept: Option<AcceptStatus>,
    /// In `run`: the quotes each page's text is scanned for.
    pub(super) quotes: Option<std::sync::Arc<QuoteStage>>,
}

/// A dead link's copy from the web archive.
struct Rescued {
    archived_url: String,
    text_path: Option<String>,
    title: Option<String>,
    /// The snapshot gave an article text (scanned for the quotes already).
    has_text: bool,
    /// The snapshot's page text file (written only when its text gave a hit).
    page_text_path: Option<String>,
    note: Option<String>,
}

impl CheckContext {
    /// Fetches, judges and (in `run`) extracts and archives one cited URL; for a dead link,
    /// asks the web archive for a copy.
    pub(super) async fn check_one(&self, source: Source, url: url::Url) -> Checked {
        // This link's share of the byte budget: held until its bytes (body, texts, records)
        // are gone: once it is archived and scanned (docs/links.md §7).
        let ticket = self.fetcher.budget().ticket();
        let outcome = std::sync::Arc::new(self.fetcher.fetch_charged(&url, &ticket).await);
        // Decoding and judging a page is CPU work: off the thread that polls every fetch
        // (it ran there before, and that thread was the limit of `check`: bench/profile.md).
        let (cap_is_users, body_limit) = (self.cap_is_users, self.fetcher.body_limit());
        let judged = {
            let (source, url, outcome) = (source.clone(), url.clone(), outcome.clone());
            crate::cpu::run(move || check::judge(&source, &url, &outcome, cap_is_users, body_limit))
                .await
        };
        let (mut record, mut page) = judged.unwrap_or_else(|| {
            let mut record = check::invalid_record(
                &source,
                check::Reason::Internal,
                "internal error while reading the response (a bug: please report it)",
            );
            record.status = LinkStatus::Unreachable;
            record.final_url = outcome.final_url.clone();
            (record, None)
        });
        // --accept: re-judged by the final HTTP status (check/accept.rs); an accepted 403's
        // page is read like any live page.
        if let Some(accept) = &self.accept {
            accept.apply(&mut record);
        }
        page = page.filter(|_| record.status.is_live());
        if let Some(html) = page
            .as_ref()
            .filter(|p| p.is_html && self.probe)
            .map(|p| p.text.as_str())
            // The page's bytes stay charged meanwhile: the probe never waits for budget.
            && self
                .answers_everything(&url, &record, outcome.hops.len(), html)
                .await
        {
            {
                record.status = LinkStatus::Soft404;
                record.reason = Some(check::Reason::ProbeMatch);
                record.error =
                    "soft 404: a made-up path in the same folder answers with the same page".into();
                page = None;
            }
        }
        let (article, page_text) = match page {
            Some(page) if self.archive.is_some() => {
                extract_page(page, record.final_url.clone()).await
            }
            _ => (None, None),
        };
        let mut title = article
            .as_ref()
            .and_then(|a| a.title.clone())
            .or_else(|| Some(record.title.clone()))
            .filter(|t| !t.is_empty());
        // The page text is scanned only where the article text is.
        let page_text = page_text.filter(|_| article.is_some());
        // The live page's texts are scanned first and then archived, so that neither is
        // copied (a big page's texts are each nearly its size).
        let available = article.is_some();
        let (article, page_text, page_hit) = self.scan(source.index, article, page_text).await;
        let (mut text_path, mut page_text_path) = (None, None);
        if let Some(archive) = &self.archive {
            // The outcome is had alone by now (`judge` is done with it): its exchanges move
            // into the capture rather than being copied.
            let outcome = std::sync::Arc::try_unwrap(outcome).unwrap_or_else(|o| (*o).clone());
            let mut capture = capture_of(&source, outcome, &record, article, page_text);
            capture.keep_page_file = page_hit;
            (text_path, page_text_path) = self.keep(archive, capture, &mut record).await;
        }
        // The page is archived (and, dead, has no text): its bytes go back before a rescue,
        // which charges a ticket of its own.
        drop(ticket);
        let mut via = None;
        let mut rescued_text = false;
        if self.rescue && record.status.wants_rescue() {
            let rescued = self.rescue(&source, &url, record.status).await;
            if let Some(rescued) = rescued {
                record.archived_url = rescued.archived_url.clone();
                // A dead page's own title is the error page's; the snapshot's is the article's.
                if let Some(title) = rescued.title.filter(|_| rescued.has_text) {
                    record.title = title;
                }
                if let Some(note) = rescued.note {
                    append_error(&mut record, &note);
                }
                if rescued.has_text {
                    title = Some(record.title.clone()).filter(|t| !t.is_empty());
                    rescued_text = true;
                    via = Some(rescued.archived_url);
                    text_path = rescued.text_path;
                    page_text_path = rescued.page_text_path;
                }
            }
        }
        let available = available || rescued_text;
        let link = record.outcome_in_words();
        let source_text = self.archive.as_ref().map(|_| SourceText {
            index: source.index,
            key: duplicate_key(&url),
            url: source.url.clone(),
            available,
            via,
            text_path,
            title,
            page_text_path,
            link,
        });
        Checked {
            record,
            source_text,
        }
    }

    /// Scans a page's texts for the quotes (in `run` and `check` with quotes), before they
    /// are archived, so that neither is copied; `true` beside them when the page text gave a
    /// hit (its file is then written with the capture).
    async fn scan(
        &self,
        source: usize,
        article: Option<crate::extract::Article>,
        page_text: Option<crate::extract::PageText>,
    ) -> (
        Option<crate::extract::Article>,
        Option<crate::extract::PageText>,
        bool,
    ) {
        match (&self.quotes, article) {
            (Some(stage), Some(mut article)) => {
                let text = Arc::new(std::mem::take(&mut article.text));
                let page_text = page_text.map(Arc::new);
                let page_hit =
                    scan_off_thread(stage.clone(), source, text.clone(), page_text.clone()).await;
                // Had alone again once the scan is over (also when it panicked).
                article.text = Arc::unwrap_or_clone(text);
                (Some(article), page_text.map(Arc::unwrap_or_clone), page_hit)
            }
            (_, article) => (article, page_text, false),
        }
    }

    /// Archives a capture; a failure is said in the row, the run goes on.
    /// Returns the paths of the text file and the page text file written, if any.
    async fn keep(
        &self,
        archive: &ArchiveHandle,
        capture: Capture,
        record: &mut LinkRecord,
    ) -> (Option<String>, Option<String>) {
        let is_main = capture.origin == CaptureOrigin::Live && capture.last.is_some();
        match archive.record(capture).await {
            Ok(archived) => {
                if is_main {
                    record.changed = archived.text_changed;
                }
                (archived.text_path, archived.page_text_path)
            }
            Err(e) => {
                tracing::error!("archive: {}: {e}", record.url);
                append_error(record, &format!("not archived: {e}"));
                (None, None)
            }
        }
    }

    /// Archives the exchanges of a probe or a web-archive look-up (evidence, not a page).
    async fn keep_lookup(&self, url: &url::Url, outcome: &FetchOutcome) {
        if let Some(archive) = &self.archive
            && let Err(e) = archive.record(capture_of_exchanges(url, outcome)).await
        {
            tracing::warn!("archive: {url}: {e}");
        }
    }

    /// The random-URL probe: does this folder answer every path with this page?
    async fn answers_everything(
        &self,
        url: &url::Url,
        record: &LinkRecord,
        hops: usize,
        html: &str,
    ) -> bool {
        let Some(probe_url) = check::probe::probe_url(url) else {
            return false;
        };
        let final_url = record.final_url.as_str();
        // `/nieuws/3161/<any slug>` may be the article 3161 itself: a soft 404 needs a
        // made-up sibling folder to match as well. That probe goes first: it is shared by the
        // whole section, while the folder's own probe would cost a request per article on
        // sites with one folder per article, and both must match anyway.
        if let Some((sibling_url, key)) = check::probe::sibling_folder_probe(url) {
            let cell = self.probes.cell(&key);
            let sibling = cell.get_or_init(|| self.probe_once(&sibling_url)).await;
            if !check::probe::is_probe_match(sibling, final_url, hops, html) {
                return false;
            }
        }
        let cell = self.probes.cell(&check::probe::folder_key(url));
        let result = cell.get_or_init(|| self.probe_once(&probe_url)).await;
        check::probe::is_probe_match(result, final_url, hops, html)
    }

    /// Fetches one made-up URL (archived as a look-up) and says what the host did with it.
    async fn probe_once(&self, probe_url: &url::Url) -> ProbeResult {
        // The link that probes holds its page's bytes meanwhile: the probe must not wait.
        let ticket = self.fetcher.budget().evidence_ticket();
        let outcome = self.fetcher.fetch_urgent(probe_url, &ticket).await;
        self.keep_lookup(probe_url, &outcome).await;
        match outcome.last_exchange() {
            Some(ex) if (200..300).contains(&ex.status) => {
                let (text, _) = decode_text(&decoded_body(ex), ex.header("content-type"));
                ProbeResult::AnswersEverything {
                    final_url: outcome.final_url.clone(),
                    hops: outcome.hops.len(),
                    shingles: check::probe::shingles(&text),
                }
            }
            Some(ex) if (400..500).contains(&ex.status) => ProbeResult::Honest,
            _ => ProbeResult::Unknown,
        }
    }

    /// Asks the web archive for the snapshot closest to the citation; in `run`, fetches and
    /// archives its original bytes and extracts its text.
    async fn rescue(
        &self,
        source: &Source,
        url: &url::Url,
        link_status: LinkStatus,
    ) -> Option<Rescued> {
        let timestamp = wayback::citation_timestamp(url);
        let api = wayback::availability_url(&source.url, timestamp.as_deref());
        if let Err(why) = self.wayback.admit().await {
            return Some(Rescued::failed(why));
        }
        let ticket = self.fetcher.budget().ticket();
        let lookup = self.fetcher.fetch_charged(&api, &ticket).await;
        self.wayback.observe(lookup_end(&lookup));
        self.keep_lookup(&api, &lookup).await;
        let snapshot = match lookup.last_exchange() {
            Some(ex) if ex.status == 200 => {
                match wayback::parse_availability(&decoded_body(ex), &source.url) {
                    Ok(Some(snapshot)) => snapshot,
                    Ok(None) => return None,
                    Err(e) => return Some(Rescued::failed(format!("web archive: {e}"))),
                }
            }
            Some(ex) => {
                return Some(Rescued::failed(format!(
                    "web archive look-up: HTTP {}",
                    ex.status
                )));
            }
            None => {
                let why = lookup
                    .failure
                    .as_ref()
                    .map_or("no answer".to_string(), ToString::to_string);
                return Some(Rescued::failed(format!(
                    "web archive look-up failed: {why}"
                )));
            }
        };
        let mut rescued = Rescued {
            archived_url: snapshot.archived_url.clone(),
            text_path: None,
            title: None,
            has_text: false,
            page_text_path: None,
            note: None,
        };
        let Some(archive) = &self.archive else {
            return Some(rescued);
        };
        let raw = url::Url::parse(&snapshot.raw_url).ok()?;
        let outcome = self.fetcher.fetch_charged(&raw, &ticket).await;
        let (judged, page) = check::judge(
            source,
            &raw,
            &outcome,
            self.cap_is_users,
            self.fetcher.body_limit(),
        );
        rescued.title = Some(judged.title.clone()).filter(|t| !t.is_empty());
        let (article, page_text) = match (judged.status, page) {
            (status, Some(page)) if status.is_live() => {
                extract_page(page, source.url.clone()).await
            }
            (status, _) => {
                rescued.archived_url.clear();
                rescued.note = Some(format!(
                    "web archive snapshot {} not usable ({}{})",
                    snapshot.archived_url,
                    status.as_str(),
                    if judged.error.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", judged.error)
                    }
                ));
                (None, None)
            }
        };
        rescued.has_text = article.is_some();
        let page_text = page_text.filter(|_| article.is_some());
        let (article, page_text, page_hit) = self.scan(source.index, article, page_text).await;
        let mut capture = capture_of(source, outcome, &judged, article, page_text);
        capture.keep_page_file = page_hit;
        capture.origin = CaptureOrigin::Wayback;
        capture.memento_datetime = snapshot.memento_datetime();
        capture.link_status = Some(link_status.as_str().to_string());
        if capture.text.is_none() {
            capture.last = None;
        }
        let mut scratch = judged;
        (rescued.text_path, rescued.page_text_path) =
            self.keep(archive, capture, &mut scratch).await;
        Some(rescued)
    }
}

impl Rescued {
    fn failed(note: String) -> Rescued {
        Rescued {
            archived_url: String::new(),
            text_path: None,
            title: None,
            has_text: false,
            page_text_path: None,
            note: Some(note),
        }
    }
}

/// How a web-archive look-up ended, for the guard.
fn lookup_end(lookup: &FetchOutcome) -> wayback::LookupEnd {
    use crate::http::TransportError;
    use crate::http::fetch::Failure;
    if let Some(ex) = lookup.last_exchange() {
        return wayback::LookupEnd::Answer {
            status: ex.status,
            retry_after: crate::http::fetch::retry_after(&ex.headers),
        };
    }
    match &lookup.failure {
        Some(Failure::Transport(
            TransportError::Dns(_)
            | TransportError::Connect(_)
            | TransportError::Tls(_)
            | TransportError::Timeout(_),
        )) => wayback::LookupEnd::Unreachable,
        Some(Failure::RetryAfterTooLong(wait)) => wayback::LookupEnd::AskedToWait(*wait),
        _ => wayback::LookupEnd::Other,
    }
}

fn append_error(record: &mut LinkRecord, note: &str) {
    if record.error.is_empty() {
        record.error = note.to_string();
    } else {
        record.error = format!("{}; {note}", record.error);
    }
}

/// The body of an exchange with its content encoding undone (empty when it cannot be).
fn decoded_body(exchange: &crate::wire::Exchange) -> Vec<u8> {
    decode_content(
        exchange.header("content-encoding"),
        &exchange.wire.body,
        MAX_DECODED_BODY,
    )
    .unwrap_or_default()
}

/// A capture of exchanges that are evidence but no cited page (probes, archive look-ups):
/// WARC records only, no manifest line.
fn capture_of_exchanges(url: &url::Url, outcome: &FetchOutcome) -> Capture {
    Capture {
        cited_url: url.to_string(),
        origin: CaptureOrigin::Lookup,
        exchanges: outcome.exchanges.clone(),
        last: None,
        final_url: outcome.final_url.clone(),
        text: None,
        page: None,
        keep_page_file: false,
        title: None,
        published: None,
        memento_datetime: None,
        link_status: None,
    }
}

/// Scans a text (and the page text, the fallback) for the quotes on a blocking thread (CPU
/// work); `true` when a page-text hit was kept. Shared, not copied: a big page's texts are
/// each nearly its size.
async fn scan_off_thread(
    stage: Arc<QuoteStage>,
    source: usize,
    text: Arc<String>,
    page: Option<Arc<crate::extract::PageText>>,
) -> bool {
    crate::cpu::run(move || {
        stage.scan(source, &text);
        page.is_some_and(|page| stage.scan_page(source, &page, &text))
    })
    .await
    .unwrap_or(false)
}

/// Extracts the article text and the whole page text (one parse) off the async threads
/// (the DOM is `!Send` and CPU-bound). A plain-text page is its own article text and has
/// no page text.
async fn extract_page(
    page: Page,
    url: String,
) -> (
    Option<crate::extract::Article>,
    Option<crate::extract::PageText>,
) {
    crate::cpu::run(move || {
        if page.is_html && page_text_off() {
            let article = crate::extract::extract_article(&page.text, Some(&url));
            (Some(article), None)
        } else if page.is_html {
            let (article, page) = crate::extract::extract_with_page(&page.text, Some(&url));
            (Some(article), Some(page))
        } else {
            let article = crate::extract::Article {
                text: page.text,
                ..Default::default()
            };
            (Some(article), None)
        }
    })
    .await
    .unwrap_or((None, None))
}

/// `CITECHECK_BENCH_NO_PAGE_TEXT=1` in a build with the `bench-hooks` feature, for
/// benchmarks only: no page text is made, archived or searched, so that `bench/pipeline.sh`
/// can measure what the page-text fallback costs a run. Not an option, and compiled out of
/// every other build: verdicts then depend on the article text alone.
#[cfg(feature = "bench-hooks")]
fn page_text_off() -> bool {
    static OFF: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        std::env::var_os("CITECHECK_BENCH_NO_PAGE_TEXT").is_some_and(|v| v == "1")
    });
    *OFF
}

#[cfg(not(feature = "bench-hooks"))]
fn page_text_off() -> bool {
    false
}

fn capture_of(
    source: &Source,
    outcome: FetchOutcome,
    record: &LinkRecord,
    article: Option<crate::extract::Article>,
    page: Option<crate::extract::PageText>,
) -> Capture {
    let (text, title, published) = match article {
        Some(a) => (
            Some(a.text),
            a.title
                .or_else(|| Some(record.title.clone()).filter(|t| !t.is_empty())),
            a.published,
        ),
        None => (
            None,
            Some(record.title.clone()).filter(|t| !t.is_empty()),
            None,
        ),
    };
    Capture {
        cited_url: source.url.clone(),
        origin: CaptureOrigin::Live,
        exchanges: outcome.exchanges,
        last: outcome.last,
        final_url: outcome.final_url,
        text,
        page,
        keep_page_file: false,
        title,
        published,
        memento_datetime: None,
        link_status: Some(record.status.as_str().to_string()),
    }
}

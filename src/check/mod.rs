//! Check stage: from a cited URL to a `links.csv` row. The outcome of following a URL
//! ([`crate::http::FetchOutcome`]) is judged in the order of docs/links.md §1: invalid, duplicate,
//! unreachable, timeout, blocked, broken, soft 404, redirected, ok. A failed link is a value
//! ([`LinkStatus`]), never an error.

pub mod accept;
pub mod cache;
pub mod challenge;
pub mod probe;
pub mod soft404;

use serde::Serialize;
use url::Url;

use crate::http::body::{MAX_DECODED_BODY, decode_content_borrowed, decode_text, looks_binary};
use crate::http::fetch::Failure;
use crate::http::{FetchOutcome, TransportError};
use crate::input::Source;
use crate::input::url::UrlProblem;

crate::names::named_enum! {
    /// The contract's link statuses, in the order summaries list them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum LinkStatus {
        /// 2xx with no redirect.
        Ok = "ok",
        /// 2xx after one or more redirects.
        Redirected = "redirected",
        /// 4xx/5xx after retries, a redirect loop, or too many redirects.
        Broken = "broken",
        /// No answer within the timeout, after retries.
        Timeout = "timeout",
        /// DNS, connection or TLS failure.
        Unreachable = "unreachable",
        /// 2xx, but a not-found page or a redirect to the home page.
        Soft404 = "soft_404",
        /// The server refuses automated access.
        Blocked = "blocked",
        /// Not an absolute http(s) URL.
        Invalid = "invalid",
        /// The same URL as an earlier row; not fetched again.
        Duplicate = "duplicate",
    }
}

crate::names::named_enum! {
    /// Why a link got its status: `links.csv`'s `reason` column (empty when nothing needs
    /// saying, as for a plain `ok`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Reason {
        /// No complete answer within the timeout.
        Timeout = "timeout",
        /// The name did not resolve.
        Dns = "dns",
        /// The TCP connection failed.
        Connect = "connect",
        /// The TLS handshake or certificate failed.
        Tls = "tls",
        /// We refused to contact the address (link-local, metadata, `--exclude-private`).
        ForbiddenAddress = "forbidden_address",
        /// The connection broke or the answer was not HTTP.
        Protocol = "protocol",
        /// A redirect led back to a URL already visited.
        RedirectLoop = "redirect_loop",
        /// More redirects than we follow.
        TooManyRedirects = "too_many_redirects",
        /// A redirect to something that cannot be followed.
        BadRedirect = "bad_redirect",
        /// A 3xx without `Location`.
        NoLocation = "no_location",
        /// `--remap` made something that is not a URL.
        Remap = "remap",
        /// HTTP 429, or a `Retry-After` longer than we wait.
        RateLimited = "rate_limited",
        /// A bot challenge page.
        Challenge = "challenge",
        /// HTTP 403.
        Forbidden = "forbidden",
        /// HTTP 404.
        NotFound = "not_found",
        /// HTTP 410.
        Gone = "gone",
        /// HTTP 5xx.
        ServerError = "server_error",
        /// Another HTTP 4xx.
        ClientError = "client_error",
        /// A final status that is neither 2xx nor an error (1xx, an unfollowed 3xx).
        UnexpectedStatus = "unexpected_status",
        /// Soft 404: redirects took a deep link to the site's home page.
        RedirectToRoot = "redirect_to_root",
        /// Soft 404: redirects ended on an error page's URL.
        ErrorUrl = "error_url",
        /// Soft 404: the title or first heading says the page was not found.
        NotFoundTitle = "not_found_title",
        /// Soft 404: a made-up path in the same folder answers with the same page.
        ProbeMatch = "probe_match",
        /// Invalid: not an absolute URL.
        NotAbsolute = "not_absolute",
        /// Invalid: not http or https.
        Scheme = "scheme",
        /// A bug while reading the response.
        Internal = "internal",
        /// `--accept` took the final HTTP status as fine.
        Accepted = "accepted",
        /// `--accept` does not list this 2xx status.
        NotAccepted = "not_accepted",
        /// Offline (`verify`, `run --offline`): the archive holds no capture of the URL.
        NotArchived = "not_archived",
        /// Offline: the archive's capture is the web archive's copy of a dead link.
        ArchivedCopy = "archived_copy",
    }
}

impl From<UrlProblem> for Reason {
    fn from(problem: UrlProblem) -> Reason {
        match problem {
            UrlProblem::NotAbsolute => Reason::NotAbsolute,
            UrlProblem::Scheme => Reason::Scheme,
        }
    }
}

impl From<&TransportError> for Reason {
    fn from(error: &TransportError) -> Reason {
        match error {
            TransportError::Timeout(_) => Reason::Timeout,
            TransportError::Dns(_) => Reason::Dns,
            TransportError::Connect(_) => Reason::Connect,
            TransportError::Tls(_) => Reason::Tls,
            TransportError::Forbidden(_) => Reason::ForbiddenAddress,
            TransportError::Other(_) => Reason::Protocol,
        }
    }
}

impl LinkStatus {
    /// Whether the live page is the cited page (its text can be a source).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Ok | Self::Redirected)
    }

    /// Whether the web archive should be asked for a copy.
    pub fn wants_rescue(self) -> bool {
        matches!(
            self,
            Self::Broken | Self::Blocked | Self::Timeout | Self::Unreachable | Self::Soft404
        )
    }
}

/// One `links.csv` row.
#[derive(Debug, Clone, Serialize)]
pub struct LinkRecord {
    /// Position in the sources file (0-based).
    #[serde(skip)]
    pub index: usize,
    /// Line of the row in the sources file (for annotations).
    #[serde(skip)]
    pub line: usize,
    /// The input the row came from when it is not the sources file (for annotations).
    #[serde(skip)]
    pub file: Option<std::sync::Arc<str>>,
    /// The source's id.
    pub id: String,
    /// The URL as cited.
    pub url: String,
    /// The status.
    pub status: LinkStatus,
    /// Last HTTP status received.
    pub http_status: Option<u16>,
    /// Where redirects ended (logical URL).
    pub final_url: String,
    /// Redirect hops followed.
    pub redirects: usize,
    /// The web-archive snapshot found for a dead link.
    pub archived_url: String,
    /// The page's title.
    pub title: String,
    /// A readable sentence on what went wrong.
    pub error: String,
    /// A short machine-readable reason (`not_found`, `redirect_loop`, `challenge`, …).
    pub reason: Option<Reason>,
    /// Each hop: `301 https://a/x -> 200 https://a/y/`.
    pub redirect_chain: String,
    /// Requests made.
    pub attempts: u32,
    /// The final response's media type.
    pub content_type: String,
    /// When the first request began (RFC 3339 UTC).
    pub fetched_at: String,
    /// For a duplicate: the id of the row it repeats.
    pub duplicate_of: String,
    /// Whether the archived text changed since the previous capture (`run` only; `None`
    /// when there is no earlier capture to compare with).
    pub changed: Option<bool>,
    /// Whether the row was reused from `--cache` instead of fetched.
    pub cached: bool,
    /// Where the row's answer comes from: this run's request, or (`verify`, `run
    /// --offline`) the archive's latest capture of the URL.
    pub checked_from: CheckedFrom,
    /// For a row from the archive: when that capture was made (RFC 3339 UTC); empty when
    /// the archive holds none.
    pub capture_date: String,
}

crate::names::named_enum! {
    /// Where a links.csv row's answer comes from: its `checked_from` column.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub enum CheckedFrom {
        /// A request made by this run (or `--cache`, which says so in `cached`).
        #[default]
        Live = "live",
        /// The archive's latest capture (no request made).
        Archive = "archive",
    }
}

impl LinkRecord {
    /// A row with this status and every other column empty, to fill in.
    pub fn new(status: LinkStatus) -> LinkRecord {
        LinkRecord {
            index: 0,
            line: 0,
            file: None,
            id: String::new(),
            url: String::new(),
            status,
            http_status: None,
            final_url: String::new(),
            redirects: 0,
            archived_url: String::new(),
            title: String::new(),
            error: String::new(),
            reason: None,
            redirect_chain: String::new(),
            attempts: 0,
            content_type: String::new(),
            fetched_at: String::new(),
            duplicate_of: String::new(),
            changed: None,
            cached: false,
            checked_from: CheckedFrom::Live,
            capture_date: String::new(),
        }
    }

    /// A row for `source` with this status, every other column empty.
    pub fn of_source(source: &Source, status: LinkStatus) -> LinkRecord {
        LinkRecord {
            index: source.index,
            line: source.line,
            file: source.file.clone(),
            id: source.id.clone(),
            url: source.url.clone(),
            ..LinkRecord::new(status)
        }
    }

    /// The status name.
    pub fn status_str(&self) -> &'static str {
        self.status.as_str()
    }

    /// The reason's name, empty when there is none.
    pub fn reason_str(&self) -> &'static str {
        self.reason.map_or("", Reason::as_str)
    }
}

/// The final page of a followed URL, decoded, for the stages after `check`.
#[derive(Debug, Clone)]
pub struct Page {
    /// The decoded HTML (or plain text).
    pub text: String,
    /// Whether it is HTML (else plain text).
    pub is_html: bool,
}

/// A row for a URL that is not fetchable.
pub fn invalid_record(source: &Source, reason: Reason, message: &str) -> LinkRecord {
    LinkRecord {
        error: message.to_string(),
        reason: Some(reason),
        ..LinkRecord::of_source(source, LinkStatus::Invalid)
    }
}

/// What a later duplicate row copies from the row it repeats: kept for every row of a run,
/// so it is small (boxed strings, no empty columns).
#[derive(Debug, Clone)]
pub struct Original {
    id: Box<str>,
    http_status: Option<u16>,
    final_url: Box<str>,
    redirects: usize,
    title: Box<str>,
}

impl From<&LinkRecord> for Original {
    fn from(r: &LinkRecord) -> Self {
        Original {
            id: r.id.as_str().into(),
            http_status: r.http_status,
            final_url: r.final_url.as_str().into(),
            redirects: r.redirects,
            title: r.title.as_str().into(),
        }
    }
}

/// A row for a repeated URL: the original's answer, marked `duplicate`.
pub fn duplicate_record(source: &Source, original: &Original) -> LinkRecord {
    LinkRecord {
        http_status: original.http_status,
        final_url: original.final_url.to_string(),
        redirects: original.redirects,
        title: original.title.to_string(),
        duplicate_of: original.id.to_string(),
        error: format!("same URL as row {} (not fetched again)", original.id),
        ..LinkRecord::of_source(source, LinkStatus::Duplicate)
    }
}

/// Judges a followed URL (docs/links.md §1) and returns its record and decoded page (for any
/// verdict; callers keep live pages only). `body_limit` is what the fetcher read at most, and
/// `cap_is_users` says whether hitting it means the user's `--max-body` (an error to report)
/// or only the quick read of `check` mode.
pub fn judge(
    source: &Source,
    cited: &Url,
    outcome: &FetchOutcome,
    cap_is_users: bool,
    body_limit: usize,
) -> (LinkRecord, Option<Page>) {
    // Every way out below sets the status; `unreachable` is the one for no answer at all.
    let mut record = LinkRecord {
        final_url: outcome.final_url.clone(),
        redirects: outcome.hops.len().saturating_sub(1),
        redirect_chain: outcome.redirect_chain(),
        attempts: outcome.attempts,
        fetched_at: outcome
            .exchanges
            .first()
            .map(|e| {
                e.wire
                    .date
                    .round(jiff::Unit::Second)
                    .unwrap_or(e.wire.date)
                    .to_string()
            })
            .unwrap_or_default(),
        ..LinkRecord::of_source(source, LinkStatus::Unreachable)
    };
    let last_any = outcome.exchanges.last();
    record.http_status = last_any.map(|e| e.status);
    // What the server saw at the URL that gave this answer: redirect hops before it are
    // not retries.
    let attempts = || {
        let n = outcome.last_url_attempts;
        if n > 1 {
            format!(" after {n} attempts")
        } else {
            String::new()
        }
    };

    if let Some(failure) = &outcome.failure {
        let (status, reason, error) = match failure {
            Failure::Transport(e) => {
                let status = match e {
                    TransportError::Timeout(_) => LinkStatus::Timeout,
                    _ => LinkStatus::Unreachable,
                };
                (status, Reason::from(e), format!("{e}{}", attempts()))
            }
            Failure::RedirectLoop(url) => (
                LinkStatus::Broken,
                Reason::RedirectLoop,
                format!("redirect loop via {url}"),
            ),
            Failure::TooManyRedirects => (
                LinkStatus::Broken,
                Reason::TooManyRedirects,
                format!("more than {} redirects", crate::http::fetch::MAX_REDIRECTS),
            ),
            Failure::BadRedirect(location) => (
                LinkStatus::Broken,
                Reason::BadRedirect,
                format!(
                    "redirect to a location that cannot be followed: '{}'",
                    truncate(location, 200)
                ),
            ),
            Failure::NoLocation => (
                LinkStatus::Broken,
                Reason::NoLocation,
                format!(
                    "HTTP {} redirect without a Location header",
                    record.http_status.unwrap_or(0)
                ),
            ),
            Failure::Remap(message) => (LinkStatus::Invalid, Reason::Remap, message.clone()),
            Failure::RetryAfterTooLong(wait) => {
                let status = if record.http_status == Some(429) {
                    LinkStatus::Blocked
                } else {
                    LinkStatus::Broken
                };
                (
                    status,
                    Reason::RateLimited,
                    format!(
                        "HTTP {} with Retry-After {} s (more than we wait)",
                        record.http_status.unwrap_or(0),
                        wait.as_secs()
                    ),
                )
            }
        };
        record.status = status;
        record.reason = Some(reason);
        record.error = error;
        return (record, None);
    }

    let Some(last) = outcome.last_exchange() else {
        record.status = LinkStatus::Unreachable;
        record.error = "no response".into();
        return (record, None);
    };
    let status = last.status;
    let content_type = last.header("content-type").unwrap_or("").to_string();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    record.content_type = media.clone();

    // Decode the body once: title, challenge and soft-404 signals, and the text stages need it.
    let mut notes = Vec::new();
    if last.wire.truncated && cap_is_users {
        notes.push(format!(
            "body larger than {} bytes; only that much was read and archived",
            body_limit
        ));
    }
    let decoded = match decode_content_borrowed(
        last.header("content-encoding"),
        &last.wire.body,
        MAX_DECODED_BODY,
    ) {
        Ok(bytes) => Some(bytes),
        Err(e) if last.wire.truncated => {
            // A cut compressed stream cannot be decoded to the end; say what we have.
            notes.push(format!("{e} (body was cut at the size cap)"));
            None
        }
        Err(e) => {
            notes.push(format!("{e}; raw bytes kept"));
            None
        }
    };
    let is_html = media.is_empty() || media.contains("html") || media == "application/xml";
    let is_text = media.starts_with("text/") || is_html;
    // What the bytes are, whatever the header says: a PDF served as text/html must not
    // reach the HTML extractor.
    // NUL bytes alone count only when no type was declared (pages with a stray NUL exist).
    let sniffed = decoded
        .as_deref()
        .filter(|_| is_text)
        .and_then(sniff_binary)
        .filter(|sniffed| *sniffed != "binary data" || media.is_empty());
    let page = decoded.as_ref().and_then(|bytes| {
        if !is_text || sniffed.is_some() {
            return None;
        }
        let (text, _) = decode_text(bytes, Some(&content_type));
        let is_html = media != "text/plain";
        Some(Page { text, is_html })
    });
    if !is_text || sniffed.is_some() {
        notes.push(format!("not HTML ({})", sniffed.unwrap_or(&media)));
    }
    let title = page
        .as_ref()
        .filter(|p| p.is_html)
        .and_then(|p| crate::extract::page_title(&p.text));
    record.title = title.clone().unwrap_or_default();
    let html = page.as_ref().map_or("", |p| p.text.as_str());

    let (link_status, reason, error) = if let Some(signal) =
        challenge::challenge_signal(&last.headers, status, title.as_deref(), html)
    {
        (
            LinkStatus::Blocked,
            Some(Reason::Challenge),
            format!("bot challenge ({signal}); the page may well exist"),
        )
    } else if status == 403 {
        (
            LinkStatus::Blocked,
            Some(Reason::Forbidden),
            format!("HTTP 403 Forbidden{}; the page may well exist", attempts()),
        )
    } else if status == 429 {
        (
            LinkStatus::Blocked,
            Some(Reason::RateLimited),
            format!("HTTP 429 Too Many Requests{}", attempts()),
        )
    } else if status >= 400 {
        let reason = match status {
            404 => Reason::NotFound,
            410 => Reason::Gone,
            500..=599 => Reason::ServerError,
            _ => Reason::ClientError,
        };
        (
            LinkStatus::Broken,
            Some(reason),
            format!("HTTP {status} {}{}", reason_phrase(status), attempts()),
        )
    } else if !(200..300).contains(&status) {
        (
            LinkStatus::Broken,
            Some(Reason::UnexpectedStatus),
            format!("unexpected HTTP {status} {}", reason_phrase(status)),
        )
    } else {
        let final_url = if outcome.final_url == cited.as_str() {
            cited.clone()
        } else {
            Url::parse(&outcome.final_url).unwrap_or_else(|_| cited.clone())
        };
        let heading = page
            .as_ref()
            .filter(|p| p.is_html)
            .and_then(|p| first_heading(&p.text));
        match soft404::soft_404_signal(
            cited,
            &final_url,
            outcome.hops.len(),
            title.as_deref(),
            heading.as_deref(),
        ) {
            Some((reason, message)) => (LinkStatus::Soft404, Some(reason), message),
            None if outcome.hops.len() > 1 => (LinkStatus::Redirected, None, String::new()),
            None => (LinkStatus::Ok, None, String::new()),
        }
    };
    record.status = link_status;
    record.reason = reason;
    if !error.is_empty() {
        notes.insert(0, error);
    }
    record.error = notes.join("; ");
    // The page goes back whatever the verdict: `--accept` may still make a 403 live, and
    // the caller keeps the text of live links only.
    (record, page)
}

/// The media type of a body that is plainly not text, by its first bytes (the signatures
/// of the WHATWG MIME sniffing standard for the common cases), or `binary data` for NUL
/// bytes in its head that no UTF-16 BOM explains.
pub fn sniff_binary(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b\x08", "application/gzip"),
    ];
    if let Some((_, media)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return Some(media);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Some("image/webp");
    }
    (looks_binary(bytes) && encoding_rs::Encoding::for_bom(bytes).is_none())
        .then_some("binary data")
}

fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

/// The text of the first `<h1>`, tags stripped (a cheap scan: no DOM needed for this).
pub fn first_heading(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = memchr::memmem::find(lower.as_bytes(), b"<h1")?;
    let open_end = start + memchr::memchr(b'>', &lower.as_bytes()[start..])? + 1;
    let close = open_end + memchr::memmem::find(&lower.as_bytes()[open_end..], b"</h1")?;
    let inner = html.get(open_end..close)?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = html_escape::decode_html_entities(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

impl LinkRecord {
    /// The link's outcome in a few words (`broken: HTTP 404 (not_found)`), for the note of a
    /// quote whose claimed source could not be read.
    pub(crate) fn outcome_in_words(&self) -> String {
        let mut out = self.status.as_str().to_string();
        if let Some(code) = self.http_status {
            out.push_str(&format!(": HTTP {code}"));
        }
        if let Some(reason) = self.reason {
            out.push_str(&format!(" ({reason})"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_heading_strips_tags_and_entities() {
        assert_eq!(
            first_heading("<html><H1 class=x>Pagina <em>niet</em>&nbsp;gevonden</H1>").as_deref(),
            Some("Pagina niet gevonden")
        );
        assert_eq!(first_heading("<p>geen kop</p>"), None);
    }

    #[test]
    fn binary_bodies_are_sniffed_whatever_their_header() {
        assert_eq!(
            sniff_binary(b"%PDF-1.7\n%\xe2\xe3"),
            Some("application/pdf")
        );
        assert_eq!(
            sniff_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(sniff_binary(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_binary(b"<html>\0</html>"), Some("binary data"));
        // UTF-16 HTML has NUL bytes, but its BOM says what they are.
        assert_eq!(sniff_binary(b"\xff\xfe<\0h\0t\0m\0l\0>\0"), None);
        assert_eq!(sniff_binary(b"<!DOCTYPE html><title>x</title>"), None);
        assert_eq!(sniff_binary(b""), None);
    }

    #[test]
    fn transport_errors_name_their_reason() {
        let forbidden = TransportError::Forbidden("refused".into());
        assert_eq!(Reason::from(&forbidden).as_str(), "forbidden_address");
        let timeout = TransportError::Timeout(std::time::Duration::from_secs(1));
        assert_eq!(Reason::from(&timeout), Reason::Timeout);
        assert_eq!(
            Reason::from(&TransportError::Other("x".into())).as_str(),
            "protocol"
        );
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.as_str()), Some(r));
        }
        for p in UrlProblem::ALL {
            assert_eq!(Reason::from(p).as_str(), p.as_str());
        }
    }

    #[test]
    fn status_names_round_trip_with_fail_on() {
        for s in LinkStatus::ALL {
            assert!(crate::config::FAIL_ON_NAMES.contains(&s.as_str()));
        }
    }
}

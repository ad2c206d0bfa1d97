//! ARCHIVE stage, after the quotes are located: a picture of each located quote in its
//! archived page (`run --screenshots`, docs/archive.md §10).
//!
//! Only the archived copy is rendered, never the live page. The archived response body, with
//! the quote's words wrapped in `<mark>` ([`mark_passage`]), is served by a small HTTP
//! server on 127.0.0.1, port 0 ([`LocalServer`]), which is also headless Chromium's only
//! proxy: every request the page makes reaches it, and it answers from the archive (a URL
//! the archive holds) or refuses (404; 403 for `CONNECT`, so no TLS tunnel is ever opened).
//! Chromium's own host resolver maps every other name to nothing, so what does not go
//! through the proxy fails too. The page's scripts never run: the fresh profile's settings
//! turn JavaScript off and every response carries `Content-Security-Policy: script-src
//! 'none'`. (`--blink-settings=scriptEnabled=false` would do it too, but with it Chromium
//! 156's headless `--screenshot` writes no file.)
//!
//! Headless `--screenshot` paints the viewport as if the document were not scrolled, so a
//! fragment (`#citecheck-quote`, or a `#:~:text=` fragment) scrolls the page but the picture
//! shows an empty viewport. The injected style makes `<body>` the scrolling box instead of
//! the document; the fragment then scrolls the body, and the picture shows the passage.
//!
//! A missing, hung or crashing Chromium is a note: [`shoot`] returns why, and the run goes on.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Where the screenshots' lines are kept, under the archive folder.
pub const SHOTS_MANIFEST: &str = "shots/shots.jsonl";

/// How long one Chromium may take for one picture before it is killed.
pub const SHOT_TIMEOUT: Duration = Duration::from_secs(45);

/// The browsers looked up on `PATH`, in order.
pub const BROWSER_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The viewport of every picture, in CSS pixels.
pub const WINDOW_SIZE: (u32, u32) = (1280, 900);

/// The id of the first `<mark>`, the fragment Chromium is sent to.
const ANCHOR: &str = "citecheck-quote";

/// Bytes of a request head the server reads at most.
const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// The first 8 bytes of every PNG file.
pub const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Where the browser is and how long a picture may take.
#[derive(Debug, Clone)]
pub struct ShotSettings {
    /// `--chromium` (or `CITECHECK_CHROMIUM`); else looked up on `PATH`.
    pub chromium: Option<PathBuf>,
    /// Per picture; Chromium is killed after it.
    pub timeout: Duration,
}

/// A Chromium (or Chrome) executable.
#[derive(Debug, Clone)]
pub struct Browser {
    /// Its path.
    pub path: PathBuf,
}

/// The browser to use: `explicit` when given (it must be an executable file), else the
/// first of [`BROWSER_NAMES`] on `PATH`. The error says why there is none, for the notice.
pub fn find_browser(explicit: Option<&Path>) -> Result<Browser, String> {
    if let Some(path) = explicit {
        return if is_executable(path) {
            Ok(Browser {
                path: path.to_path_buf(),
            })
        } else {
            Err(format!("{} is not an executable file", path.display()))
        };
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for name in BROWSER_NAMES {
        for dir in &dirs {
            let path = dir.join(name);
            if is_executable(&path) {
                return Ok(Browser { path });
            }
        }
    }
    Err(format!(
        "none of {} is on PATH; --chromium PATH or CITECHECK_CHROMIUM names one",
        BROWSER_NAMES.join(", ")
    ))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One line of `shots/shots.jsonl`: a picture, where its record is, and what it shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShotEntry {
    /// The page's URL as cited (`source_url` in report.csv).
    pub cited_url: String,
    /// The quote's id (its `id`, or `row<N>` for a quote without one).
    pub quote_id: String,
    /// The PNG file, relative to the archive folder (`shots/….png`).
    pub path: String,
    /// SHA-256 of the PNG, lowercase hex.
    pub sha256: String,
    /// Its `resource` record (`urn:screenshot:<cited URL>#<quote id>`).
    pub record_id: String,
    /// The WARC file that holds it.
    pub warc_file: String,
    /// Offset of its gzip member.
    pub offset: u64,
    /// Length of its gzip member.
    pub length: u64,
    /// The response record the picture was rendered from.
    pub rendered_from: String,
    /// When that capture was made (the manifest's `fetched_at`).
    pub capture_fetched_at: String,
    /// When the picture was taken.
    pub taken_at: String,
}

/// The id a quote's picture goes by: its `id`, or `row<N>` (1-based, in report.csv's order)
/// for a quote without one.
pub fn quote_id(id: &str, index: usize) -> String {
    let id = id.trim();
    if id.is_empty() {
        format!("row{}", index + 1)
    } else {
        id.to_string()
    }
}

/// The `WARC-Target-URI` of a quote's picture.
pub fn shot_uri(cited_url: &str, quote_id: &str) -> String {
    format!("urn:screenshot:{cited_url}#{quote_id}")
}

/// Appends lines to `shots/shots.jsonl` (whole lines, one write, after the records they
/// name are durable).
pub fn append_entries(dir: &Path, entries: &[ShotEntry]) -> io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut buf, entry).map_err(io::Error::other)?;
        buf.push(b'\n');
    }
    let path = dir.join(SHOTS_MANIFEST);
    let mut file =
        super::files::open_nofollow(std::fs::OpenOptions::new().create(true).append(true), &path)?;
    super::files::set_default_mode(&file)?;
    file.write_all(&buf)?;
    file.sync_data()
}

/// The latest picture per (cited URL key, quote id) in `shots/shots.jsonl`; lines that do
/// not parse (a torn last line) are skipped. No file: no pictures.
pub fn latest_entries(
    dir: &Path,
) -> io::Result<std::collections::HashMap<(String, String), ShotEntry>> {
    let mut out = std::collections::HashMap::new();
    let file = match super::files::open_inside(dir, Path::new(SHOTS_MANIFEST)) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        if let Ok(entry) = serde_json::from_slice::<ShotEntry>(&line) {
            let key = (
                super::store::url_key(&entry.cited_url),
                entry.quote_id.clone(),
            );
            out.insert(key, entry);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The passage in the markup

/// A run of text between tags: its byte range in the page.
struct Segment {
    start: usize,
    end: usize,
}

/// A word of the page's visible text: its letters and digits, lowercased, and its bytes in
/// the markup.
struct PageWord {
    key: String,
    start: usize,
    end: usize,
}

/// Elements whose content is not text a reader sees (or not markup at all).
const NOT_TEXT: [&str; 10] = [
    "script", "style", "title", "textarea", "noscript", "template", "xmp", "iframe", "noembed",
    "noframes",
];

/// The text runs of `html` between its tags, leaving out comments and the content of
/// [`NOT_TEXT`] elements. A forgiving scan, not a parse: it only has to find words.
fn text_segments(html: &str) -> Vec<Segment> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|k| i + k) {
        let next = b.get(lt + 1).copied().unwrap_or(0);
        if !(next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?')) {
            i = lt + 1;
            continue;
        }
        if lt > text_start {
            out.push(Segment {
                start: text_start,
                end: lt,
            });
        }
        let end = if b[lt..].starts_with(b"<!--") {
            memchr::memmem::find(&b[lt + 4..], b"-->").map_or(b.len(), |k| lt + 4 + k + 3)
        } else {
            tag_end(b, lt)
        };
        let mut resume = end;
        if next.is_ascii_alphabetic() {
            let name: String = b[lt + 1..end]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase() as char)
                .collect();
            if NOT_TEXT.contains(&name.as_str()) {
                let close = format!("</{name}");
                resume = find_ignore_case(&b[end..], close.as_bytes()).map_or(b.len(), |k| end + k);
            }
        }
        text_start = resume;
        i = resume.max(lt + 1);
    }
    if b.len() > text_start {
        out.push(Segment {
            start: text_start,
            end: b.len(),
        });
    }
    out
}

/// The byte after the `>` that ends the tag starting at `lt` (quoted attribute values may
/// hold `>`), or the end of the page.
fn tag_end(b: &[u8], lt: usize) -> usize {
    let mut quote = None;
    for (k, &c) in b.iter().enumerate().skip(lt + 1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return k + 1,
            _ => {}
        }
    }
    b.len()
}

fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The words of the page's text, with character references decoded (`&eacute;` is part of
/// its word) and soft hyphens ignored.
fn page_words(html: &str, segments: &[Segment]) -> Vec<PageWord> {
    let mut words = Vec::new();
    for seg in segments {
        let raw = &html[seg.start..seg.end];
        let mut current: Option<PageWord> = None;
        let mut pos = 0;
        while pos < raw.len() {
            let (chars, len) = if raw.as_bytes()[pos] == b'&' {
                match crate::extract::text_reference(&raw.as_bytes()[pos + 1..]) {
                    Some((chars, used)) => (chars, used + 1),
                    None => ([Some('&'), None], 1),
                }
            } else {
                let c = raw[pos..].chars().next().unwrap_or(' ');
                ([Some(c), None], c.len_utf8())
            };
            let (start, end) = (seg.start + pos, seg.start + pos + len);
            for c in chars.into_iter().flatten() {
                if c == '\u{ad}' {
                    continue;
                }
                if c.is_alphanumeric() {
                    let word = current.get_or_insert_with(|| PageWord {
                        key: String::new(),
                        start,
                        end,
                    });
                    word.key.extend(c.to_lowercase());
                    word.end = end;
                } else if let Some(word) = current.take() {
                    words.push(word);
                }
            }
            pos += len;
        }
        words.extend(current);
    }
    words
}

/// The words of a quote's matched text, as [`page_words`] reads the page's.
fn text_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\u{ad}')
        .map(|w| {
            w.chars()
                .filter(|&c| c != '\u{ad}')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Where the quote's words stand in the page's words: the whole run, or else a run that
/// begins with its first words and ends with its last (the text between may differ a little
/// from the markup's, e.g. where the extractor joined a hyphenated word).
fn find_words(page: &[PageWord], quote: &[String]) -> Option<(usize, usize)> {
    let n = quote.len();
    if n == 0 || page.len() < n.min(2) {
        return None;
    }
    let same = |i: usize, words: &[String]| {
        words
            .iter()
            .enumerate()
            .all(|(k, w)| page.get(i + k).is_some_and(|p| &p.key == w))
    };
    if let Some(i) = (0..page.len()).find(|&i| same(i, quote)) {
        return Some((i, i + n - 1));
    }
    if n < 4 {
        return None;
    }
    let k = (n / 2).min(4);
    let (head, tail) = (&quote[..k], &quote[n - k..]);
    for i in (0..page.len()).filter(|&i| same(i, head)) {
        let last = (i + 2 * n + 8).min(page.len());
        if let Some(j) = (i + k..last).find(|&j| same(j, tail)) {
            return Some((i, j + k - 1));
        }
    }
    None
}

/// The style the page gets: a highlight no page style hides, and `<body>` as the scrolling
/// box (see the module's note) with the passage a third of the way down.
const MARK_STYLE: &str = "<style>\
html:root{overflow:hidden!important;height:100%!important}\
html:root>body{height:100%!important;overflow:auto!important;box-sizing:border-box!important}\
mark.citecheck-quote{background:#ffe500!important;color:#000!important;\
outline:3px solid #d40000!important;outline-offset:1px!important}\
#citecheck-quote{scroll-margin-top:30vh!important}</style>";

/// `html` with the words of `matched` wrapped in `<mark class="citecheck-quote">` (in every
/// text run they cross; the first has `id="citecheck-quote"`) and [`MARK_STYLE`] after the
/// page; `None` when the words are not in the page's text.
pub fn mark_passage(html: &str, matched: &str) -> Option<String> {
    let segments = text_segments(html);
    let words = page_words(html, &segments);
    let (first, last) = find_words(&words, &text_words(matched))?;
    let (from, to) = (words[first].start, words[last].end);
    let mut out = String::with_capacity(html.len() + 512);
    let mut copied = 0;
    let mut anchored = false;
    for seg in &segments {
        let (s, e) = (seg.start.max(from), seg.end.min(to));
        if s >= e || html[s..e].trim().is_empty() {
            continue;
        }
        out.push_str(&html[copied..s]);
        if anchored {
            out.push_str("<mark class=\"citecheck-quote\">");
        } else {
            out.push_str("<mark class=\"citecheck-quote\" id=\"citecheck-quote\">");
            anchored = true;
        }
        out.push_str(&html[s..e]);
        out.push_str("</mark>");
        copied = e;
    }
    out.push_str(&html[copied..]);
    out.push_str(MARK_STYLE);
    Some(without_refresh(&out))
}

/// `html` with every `<meta http-equiv="refresh">` made inert: Chromium follows one even
/// with scripts off, and the picture would show the page it leads to (refused) instead.
fn without_refresh(html: &str) -> String {
    static REFRESH: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)(<meta\b[^>]*?)\bhttp-equiv(\s*=\s*["']?\s*refresh)"#).ok()
    });
    match REFRESH.as_ref() {
        Some(re) => re
            .replace_all(html, "${1}data-citecheck-inert${2}")
            .into_owned(),
        None => html.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The local server

/// A response the archive holds, as the server sends it.
#[derive(Debug, Clone)]
pub struct Served {
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its body, content encodings undone.
    pub body: Vec<u8>,
}

/// Answers a sub-request from the archive: `None` refuses it.
pub type Lookup = Arc<dyn Fn(&str) -> Option<Served> + Send + Sync>;

/// The server one picture is taken through: the page at its URL, the archive for the rest,
/// and a log of every request it refused.
struct LocalServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    refused: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    fn start(page_url: String, page: Vec<u8>, lookup: Lookup) -> io::Result<LocalServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let page = Arc::new((page_url, page));
        let (stop2, refused2) = (stop.clone(), refused.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (page, lookup, refused) =
                            (page.clone(), lookup.clone(), refused2.clone());
                        // One thread per connection: Chromium opens several at once.
                        std::thread::spawn(move || {
                            let _ = answer(stream, &page.0, &page.1, &lookup, &refused);
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(LocalServer {
            addr,
            stop,
            refused,
            thread: Some(thread),
        })
    }

    /// The requests refused so far.
    fn refused(&self) -> Vec<String> {
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one connection (one request, then `Connection: close`).
fn answer(
    mut stream: TcpStream,
    page_url: &str,
    page: &[u8],
    lookup: &Lookup,
    refused: &Mutex<Vec<String>>,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut reader = BufReader::new(stream.try_clone()?).take(MAX_REQUEST_HEAD as u64);
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let blank = line == b"\r\n" || line == b"\n";
        head.extend_from_slice(&line);
        if blank {
            break;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let refuse = |what: String| {
        tracing::debug!("screenshots: refused {what}");
        refused.lock().unwrap_or_else(|e| e.into_inner()).push(what);
    };
    if method.eq_ignore_ascii_case("CONNECT") {
        refuse(format!("CONNECT {target}"));
        return respond(&mut stream, "403 Forbidden", "text/plain", b"", method);
    }
    let url = if target.starts_with("http://") || target.starts_with("https://") {
        target.to_string()
    } else {
        let host = lines
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim().eq_ignore_ascii_case("host").then(|| v.trim())
            })
            .unwrap_or("");
        format!("http://{host}{target}")
    };
    let is_page = super::store::url_key(&url) == super::store::url_key(page_url);
    if is_page {
        return respond(
            &mut stream,
            "200 OK",
            "text/html; charset=utf-8",
            page,
            method,
        );
    }
    let found = matches!(method, "GET" | "HEAD")
        .then(|| lookup(&url))
        .flatten();
    match found {
        Some(served) => respond(
            &mut stream,
            "200 OK",
            &served.content_type,
            &served.body,
            method,
        ),
        None => {
            refuse(format!("{method} {url}"));
            respond(&mut stream, "404 Not Found", "text/plain", b"", method)
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    method: &str,
) -> io::Result<()> {
    let content_type: String = content_type.chars().filter(|c| !c.is_control()).collect();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Content-Security-Policy: script-src 'none'; object-src 'none'\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

// ---------------------------------------------------------------------------------------------
// Chromium

/// What one picture took.
#[derive(Debug)]
pub struct Picture {
    /// The PNG.
    pub png: Vec<u8>,
    /// Requests the page made that were refused (not in the archive, or `CONNECT`).
    pub refused: Vec<String>,
}

/// Renders `marked_html` (see [`mark_passage`]) as the page at `page_url` in headless
/// Chromium, through a [`LocalServer`] that answers every other request with `lookup`, and
/// returns the viewport as a PNG. The error is a note: why there is no picture.
pub fn shoot(
    browser: &Browser,
    page_url: &str,
    marked_html: String,
    lookup: Lookup,
    timeout: Duration,
) -> Result<Picture, String> {
    // Served over plain HTTP through the proxy (a `CONNECT` is refused), under the page's
    // own host and path so that its relative links resolve as they did.
    let mut url = url::Url::parse(page_url).map_err(|e| format!("{page_url}: {e}"))?;
    if url.scheme() == "https" {
        let _ = url.set_scheme("http");
    }
    url.set_fragment(Some(ANCHOR));
    let server = LocalServer::start(url.to_string(), marked_html.into_bytes(), lookup)
        .map_err(|e| format!("cannot start the local server: {e}"))?;
    let profile = tempfile::Builder::new()
        .prefix("citecheck-chromium-")
        .tempdir()
        .map_err(|e| format!("cannot make a profile folder: {e}"))?;
    // JavaScript off in the profile's settings (content setting 2 = block).
    let prefs = profile.path().join("Default");
    std::fs::create_dir_all(&prefs)
        .and_then(|()| {
            std::fs::write(
                prefs.join("Preferences"),
                br#"{"profile":{"default_content_setting_values":{"javascript":2}}}"#,
            )
        })
        .map_err(|e| format!("cannot write the profile's settings: {e}"))?;
    let out = profile.path().join("shot.png");
    let log = std::fs::File::create(profile.path().join("chromium.log"))
        .map_err(|e| format!("cannot make the log file: {e}"))?;
    let mut command = Command::new(&browser.path);
    command
        .args(chromium_args(
            server.addr,
            profile.path(),
            &out,
            running_as_root(),
        ))
        .arg(url.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    // Its own process group, so that a hung browser is killed with all its helpers.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", browser.path.display()))?;
    let _running = Running::register(child.id());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                kill_group(&mut child);
                return Err(format!(
                    "Chromium did not finish within {} s and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => {
                kill_group(&mut child);
                return Err(format!("cannot wait for Chromium: {e}"));
            }
        }
    };
    let refused = server.refused();
    drop(server);
    if !status.success() {
        return Err(format!("Chromium failed ({status})"));
    }
    let png = std::fs::read(&out).map_err(|_| "Chromium wrote no picture".to_string())?;
    if !png.starts_with(PNG_SIGNATURE) {
        return Err("Chromium wrote a file that is no PNG".into());
    }
    Ok(Picture { png, refused })
}

/// The command line: headless, a fresh profile, no GPU, every request through the local
/// server (loopback included: Chromium bypasses proxies for it unless told `<-loopback>`),
/// every name unresolvable, and none of the browser's own background traffic.
fn chromium_args(proxy: SocketAddr, profile: &Path, out: &Path, root: bool) -> Vec<String> {
    let mut args = vec![
        "--headless".to_string(),
        "--disable-gpu".into(),
        format!("--user-data-dir={}", profile.display()),
        format!("--proxy-server=http://{proxy}"),
        "--proxy-bypass-list=<-loopback>".into(),
        format!(
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {}",
            proxy.ip()
        ),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-extensions".into(),
        "--disable-default-apps".into(),
        "--disable-domain-reliability".into(),
        "--no-pings".into(),
        "--mute-audio".into(),
        "--hide-scrollbars".into(),
        format!("--window-size={},{}", WINDOW_SIZE.0, WINDOW_SIZE.1),
        format!("--screenshot={}", out.display()),
    ];
    // Chromium refuses to start its sandbox as root (containers, CI).
    if root {
        args.push("--no-sandbox".into());
    }
    args
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The process group of the browser at work, for [`stop_running_browser`].
static RUNNING: Mutex<Option<u32>> = Mutex::new(None);

/// Registers a browser's process group while it works; unregisters on drop.
struct Running;

impl Running {
    fn register(pid: u32) -> Running {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(pid);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Kills the browser at work, if any, with its helpers: for a run that exits at once on a
/// signal (its own process group does not get the terminal's Ctrl-C).
pub fn stop_running_browser() {
    if let Some(pid) = *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) {
        kill_group_of(pid);
    }
}

fn kill_group_of(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Kills a browser and its helpers (its process group), then reaps it.
fn kill_group(child: &mut std::process::Child) {
    kill_group_of(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Width and height of a PNG from its header, when it is one.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if !png.starts_with(PNG_SIGNATURE) || png.get(12..16) != Some(b"IHDR") {
        return None;
    }
    let w = u32::from_be_bytes(png.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(png.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_words_across_inline_tags_and_references() {
        let html = "<html><head><title>Zegt de wethouder</title><script>var s = 'zegt de wethouder';</script></head>\
<body><p>Intro.</p><p>&ldquo;We <em>gaan</em> caf&eacute; samen&shy;werken,&rdquo; zegt de wethouder.</p></body></html>";
        let out = mark_passage(html, "We gaan café samenwerken, zegt de").unwrap();
        // Two runs of text, two marks; the first is the anchor; the script is untouched.
        assert_eq!(out.matches("<mark class=\"citecheck-quote\"").count(), 3);
        assert!(out.contains(
            "<p>&ldquo;<mark class=\"citecheck-quote\" id=\"citecheck-quote\">We </mark><em>"
        ));
        assert!(out.contains("<em><mark class=\"citecheck-quote\">gaan</mark></em>"));
        assert!(out.contains("zegt de</mark> wethouder."));
        assert!(out.contains("var s = 'zegt de wethouder';"));
        assert!(out.ends_with("</style>"));
        assert!(mark_passage(html, "niet op deze pagina te vinden").is_none());
    }

    #[test]
    fn a_passage_that_differs_inside_is_marked_from_its_first_to_its_last_words() {
        let html =
            "<p>De raad besluit morgen over het nieuwe plan voor de wijk, en niet eerder.</p>";
        let out = mark_passage(
            html,
            "De raad besluit morgen over het oude plan voor de wijk",
        )
        .unwrap();
        assert!(out.starts_with("<p><mark class=\"citecheck-quote\" id=\"citecheck-quote\">De raad besluit morgen over het nieuwe plan voor de wijk</mark>, en niet"));
    }

    #[test]
    fn a_meta_refresh_is_made_inert() {
        let html =
            "<head><META content=\"0;url=/elders\" HTTP-EQUIV = 'Refresh'></head><p>de wijk</p>";
        let out = mark_passage(html, "de wijk").unwrap();
        assert!(
            out.contains("<META content=\"0;url=/elders\" data-citecheck-inert = 'Refresh'>"),
            "{out}"
        );
        assert!(!out.to_lowercase().contains("http-equiv"));
    }

    #[test]
    fn comments_and_attributes_are_not_text() {
        let html = "<!-- de wijk --><a title=\"de wijk > de stad\" href=\"/x\">naar</a> de wijk";
        let out = mark_passage(html, "de wijk").unwrap();
        assert!(out.starts_with(
            "<!-- de wijk --><a title=\"de wijk > de stad\" href=\"/x\">naar</a> <mark"
        ));
    }

    #[test]
    fn shot_uri_and_png_size() {
        assert_eq!(
            shot_uri("https://a.nl/x", "Q1"),
            "urn:screenshot:https://a.nl/x#Q1"
        );
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&1280u32.to_be_bytes());
        png.extend_from_slice(&900u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((1280, 900)));
        assert_eq!(png_size(b"GIF89a"), None);
    }

    fn fake_browser(dir: &Path, script: &str) -> Browser {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("fake-chromium");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Browser { path }
    }

    fn no_archive() -> Lookup {
        Arc::new(|_: &str| None)
    }

    /// A browser that hangs is killed at the timeout, and one that crashes or writes no
    /// picture is a note: never an error of the run, never a wait past the timeout.
    #[test]
    fn a_hung_or_crashing_browser_is_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let hung = fake_browser(dir.path(), "sleep 30");
        let started = Instant::now();
        let why = shoot(
            &hung,
            "https://a.nl/x",
            "<p>x</p>".into(),
            no_archive(),
            Duration::from_millis(500),
        )
        .unwrap_err();
        assert!(why.contains("did not finish within"), "{why}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let crashing = fake_browser(dir.path(), "exit 3");
        let why = shoot(
            &crashing,
            "https://a.nl/x",
            "<p>x</p>".into(),
            no_archive(),
            SHOT_TIMEOUT,
        )
        .unwrap_err();
        assert!(why.contains("Chromium failed"), "{why}");
        let silent = fake_browser(dir.path(), "exit 0");
        let why = shoot(
            &silent,
            "https://a.nl/x",
            "<p>x</p>".into(),
            no_archive(),
            SHOT_TIMEOUT,
        )
        .unwrap_err();
        assert_eq!(why, "Chromium wrote no picture");
        assert!(find_browser(Some(&dir.path().join("nothing"))).is_err());
        assert!(find_browser(Some(&hung.path)).is_ok());
    }

    /// The server answers the page at its URL, an archived URL from the archive, and refuses
    /// the rest (and every `CONNECT`), logging what it refused.
    #[test]
    fn the_server_serves_the_page_and_the_archive_and_refuses_the_rest() {
        let lookup: Lookup = Arc::new(|url: &str| {
            (url == "http://a.nl/plaatje.png").then(|| Served {
                content_type: "image/png".into(),
                body: b"PNG".to_vec(),
            })
        });
        let server =
            LocalServer::start("http://a.nl/x".into(), b"<p>pagina</p>".to_vec(), lookup).unwrap();
        let ask = |request: &str| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(request.as_bytes()).unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).unwrap();
            answer
        };
        let page = ask("GET http://a.nl/x HTTP/1.1\r\nHost: a.nl\r\n\r\n");
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("script-src 'none'") && page.ends_with("<p>pagina</p>"));
        let image = ask("GET /plaatje.png HTTP/1.1\r\nHost: a.nl\r\n\r\n");
        assert!(image.starts_with("HTTP/1.1 200 OK") && image.ends_with("PNG"));
        let other = ask("GET http://elders.example/x.png HTTP/1.1\r\n\r\n");
        assert!(other.starts_with("HTTP/1.1 404"));
        let tunnel = ask("CONNECT elders.example:443 HTTP/1.1\r\n\r\n");
        assert!(tunnel.starts_with("HTTP/1.1 403"));
        assert_eq!(
            server.refused(),
            [
                "GET http://elders.example/x.png",
                "CONNECT elders.example:443"
            ]
        );
    }
}

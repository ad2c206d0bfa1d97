//! The fixture site: an axum server on 127.0.0.1:0, run on its own thread and runtime so a
//! blocking `Command::output()` in the test never starves it. It serves our own pages (see
//! `tests/fixtures/site/routes.tsv`) plus routes for every link status, and counts hits.

#![allow(dead_code)]

pub mod cmd;
pub mod faults;
pub mod json_schema;
pub mod xml;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Where the fixtures live.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[derive(Clone, Default)]
struct Shared {
    hits: Arc<Mutex<HashMap<String, usize>>>,
    pages: Arc<HashMap<String, (PathBuf, Option<String>)>>,
    /// Which edition `/veranderd` serves (see [`FixtureSite::next_edition`]).
    edition: Arc<std::sync::atomic::AtomicUsize>,
}

/// A running fixture site. Dropping it stops the server.
pub struct FixtureSite {
    pub addr: SocketAddr,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A small article page in the overheidvannu.nl style, our own text.
pub fn article_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{title} | Overheid van Nu</title></head>\
<body><div class=\"cookie-bar\">Wij gebruiken cookies om de site te verbeteren. <a href=\"/cookies\">Meer informatie</a></div>\
<header><nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/actueel\">Actueel</a></li><li><a href=\"/themas\">Thema's</a></li></ul></nav></header>\
<main><article><h1>{title}</h1><p class=\"meta\">Nieuwsbericht | 02-11-2020</p>{body}</article>\
<aside><h2>Gerelateerde artikelen</h2><ul><li><a href=\"/a\">Samen werken aan de wijk</a></li></ul></aside></main>\
<footer><p>Overheid van Nu is een platform van de rijksoverheid.</p></footer></body></html>"
    )
}

impl FixtureSite {
    /// Starts the server.
    pub fn start() -> FixtureSite {
        let mut pages = HashMap::new();
        let routes = fixtures().join("site/routes.tsv");
        if let Ok(text) = std::fs::read_to_string(&routes) {
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split('\t').collect();
                if cols.len() >= 2 {
                    let ct = cols
                        .get(2)
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string);
                    pages.insert(
                        cols[0].to_string(),
                        (fixtures().join("site").join(cols[1]), ct),
                    );
                }
            }
        }
        let shared = Shared {
            hits: Default::default(),
            pages: Arc::new(pages),
            edition: Default::default(),
        };
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = Router::new().fallback(route).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        FixtureSite {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// From now on `/veranderd` serves its second edition: a word changed near one quote,
    /// another quote's sentence gone (a page edited between two runs).
    pub fn next_edition(&self) {
        self.shared
            .edition
            .store(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `--remap` rule that sends the cited site here.
    pub fn remap(&self) -> String {
        format!(r"^https?://www\.overheidvannu\.nl/ {}/", self.base())
    }

    /// The `--remap` rule that sends the web archive here.
    pub fn remap_archive(&self) -> String {
        format!(
            r"^https?://(web\.)?archive\.org/ {}/wayback-host/",
            self.base()
        )
    }

    /// `--remap` arguments for both the cited site and the web archive: no test may reach
    /// any other address.
    pub fn remap_args(&self) -> [String; 4] {
        [
            "--remap".into(),
            self.remap(),
            "--remap".into(),
            self.remap_archive(),
        ]
    }

    /// Requests seen for a path (with query).
    pub fn hits(&self, path: &str) -> usize {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests for paths that start with `prefix`.
    pub fn hits_under(&self, prefix: &str) -> usize {
        let hits = self.shared.hits.lock().unwrap();
        hits.iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// All requests seen.
    pub fn total_hits(&self) -> usize {
        self.shared.hits.lock().unwrap().values().sum()
    }

    /// A port with nothing listening.
    pub fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }
}

impl Drop for FixtureSite {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Hanging routes would hold graceful shutdown; the thread is detached instead.
        let _ = self.thread.take();
    }
}

/// The page `--screenshots` is tested on (our own text): its quotes sit below the first
/// screen, and it asks for an image on another host, an image on its own host that the
/// archive does not hold, and (from a script, which must never run) one more.
pub fn picture_page() -> String {
    let filler = "<p>De gemeenteraad van Veenwolde sprak dinsdagavond lang over de toekomst \
                  van het oude postkantoor aan de Brink. Omwonenden vulden de publieke tribune \
                  en de koffie was al voor achten op.</p>"
        .repeat(6);
    article_page(
        "Een nieuw dak voor het dorpshuis",
        &format!(
            "<style>body{{font-family:sans-serif;max-width:46em;margin:1em auto;\
             line-height:1.5;color:#222}} h1{{color:#0b3d6b}}</style>\
             <img src=\"http://elders.example/foto.png\" alt=\"foto\" width=\"320\" height=\"120\">\
             {filler}<p>Na de stemming was de opluchting groot. &lsquo;Dit dorp heeft \
             laten zien dat het zijn eigen huis kan dragen,&rsquo; zegt voorzitter Ilse \
             Brinkman van de dorpsraad. Zij bedankt de vrijwilligers die de plannen tekenden.</p>\
             <img src=\"/beeld/foto.png\" alt=\"\" width=\"320\" height=\"60\">\
             <script>new Image().src = '/beeld/script-ran.png';</script>\
             <p>Wethouder Joost Hamer belooft dat de gemeente het dak betaalt. &lsquo;Het \
             geld staat klaar en de aannemer kan in maart beginnen,&rsquo; aldus Hamer.</p>"
        ),
    )
}

/// Words for [`big_page`].
const BIG_PAGE_WORDS: &[&str] = &[
    "de",
    "raad",
    "gemeente",
    "wethouder",
    "bespreekt",
    "het",
    "budget",
    "voor",
    "wonen",
    "werk",
    "in",
    "wijk",
    "provincie",
    "samen",
    "met",
    "bewoners",
    "plan",
    "nieuwe",
    "school",
    "zorg",
    "volgend",
    "jaar",
    "besluit",
    "regio",
    "afspraken",
    "over",
    "energie",
];

/// Page `n` of the big pages (`/groot/<n>`): an article of about `bytes` bytes of varied
/// Dutch-like paragraphs, each numbered (`Alinea <i> van verslag <n>: …`), our own text.
pub fn big_page(n: u64, bytes: usize) -> String {
    let mut body = String::with_capacity(bytes + 1024);
    let mut state = n
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut i = 0;
    while body.len() < bytes {
        body.push_str(&format!("<p>Alinea {i} van verslag {n}:"));
        for _ in 0..24 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            body.push(' ');
            body.push_str(BIG_PAGE_WORDS[(state >> 33) as usize % BIG_PAGE_WORDS.len()]);
        }
        body.push_str(".</p>");
        i += 1;
    }
    article_page(&format!("Verslag {n} van de raadsvergadering"), &body)
}

/// Size of the big pages.
pub const BIG_PAGE_BYTES: usize = 1_500_000;

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn redirect(status: StatusCode, to: &str) -> Response {
    (
        status,
        [(header::LOCATION, HeaderValue::from_str(to).unwrap())],
        "",
    )
        .into_response()
}

async fn route(State(state): State<Shared>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let count = {
        let mut hits = state.hits.lock().unwrap();
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    if let Some((file, ct)) = state.pages.get(&path) {
        let bytes = std::fs::read(file).unwrap();
        let mut headers = HeaderMap::new();
        let ct = ct.clone().unwrap_or_else(|| "text/html".to_string());
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&ct).unwrap());
        if path == "/beveiligd" {
            headers.insert("cf-mitigated", HeaderValue::from_static("challenge"));
            return (StatusCode::FORBIDDEN, headers, bytes).into_response();
        }
        return (StatusCode::OK, headers, bytes).into_response();
    }
    let ok_body = || {
        article_page(
            "Samenwerken begint bij elkaar kennen",
            "<p>Gemeenten en provincies zoeken elkaar vaker op. &lsquo;Het begint met een kop koffie,&rsquo; zegt projectleider Anne Verbeek.</p>",
        )
    };
    if let Some(response) = wayback_route(&path).await {
        return response;
    }
    if path == "/veranderd" {
        let second = state.edition.load(std::sync::atomic::Ordering::SeqCst) > 0;
        let (day, gone) = if second {
            ("woensdag", "")
        } else {
            (
                "dinsdag",
                "<p>De provincie trekt het geld voor de veerpont volgend jaar helemaal terug.</p>",
            )
        };
        return html(
            StatusCode::OK,
            article_page(
                "De brug over de Lek gaat langer dicht",
                &format!(
                    "<p>Het college besloot op {day} dat de brug over de Lek een half jaar \
                     langer dicht blijft dan gepland. Fietsers nemen zolang de veerpont.</p>\
                     <p>&lsquo;Wij doen dit met pijn in het hart,&rsquo; zegt wethouder Mirjam \
                     Kooistra. Zij wijst op de slechte staat van de pijlers en op de drukte bij \
                     het veer in de spits.</p>{gone}<p>Het werk aan de brug begint in het \
                     voorjaar en duurt naar verwachting tot de zomer van het jaar daarop. Het \
                     college houdt bewoners op de hoogte via de website en een nieuwsbrief.</p>"
                ),
            ),
        );
    }
    if path == "/beeld" {
        return html(StatusCode::OK, picture_page());
    }
    if let Some(name) = path.strip_prefix("/region/") {
        // Pages for the page-text fallback (tests/fixtures/region): a quote in the
        // comments, in a table, and in a teaser of another page.
        let file = fixtures().join("region").join(format!("{name}.html"));
        if name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            && let Ok(page) = std::fs::read_to_string(file)
        {
            return html(StatusCode::OK, page);
        }
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(response) = faults::fault_route(&path, &host).await {
        return response;
    }
    if let Some(n) = path
        .strip_prefix("/groot/")
        .and_then(|n| n.parse::<u64>().ok())
    {
        // Big pages: even ones with a Content-Length, odd ones chunked (length unknown
        // until the end), in pieces of 64 KiB.
        let page = big_page(n, BIG_PAGE_BYTES).into_bytes();
        if n % 2 == 0 {
            return html(StatusCode::OK, String::from_utf8(page).unwrap());
        }
        let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
            page.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::from_stream(futures::stream::iter(pieces)),
        )
            .into_response();
    }
    if let Some(name) = path.strip_prefix("/groot-peilt-traag/") {
        // Big pages (with a length) in a folder whose soft-404 probe (any other name) is
        // answered after 1.5 s: each page holds its bytes while it waits for the probe.
        if let Ok(n) = name.parse::<u64>() {
            return html(StatusCode::OK, big_page(n, BIG_PAGE_BYTES));
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        return html(StatusCode::NOT_FOUND, "<p>Niet gevonden</p>".into());
    }
    if let Some(n) = path.strip_prefix("/slow/") {
        // Many distinct, slowish pages: for runs that are killed part-way.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let body = format!(
            "<p>Artikel {n} over samenwerking tussen gemeente en provincie.</p><p>{}</p>",
            "Een alinea met tekst over de wijk en haar bewoners. ".repeat(40)
        );
        return html(StatusCode::OK, article_page(&format!("Artikel {n}"), &body));
    }
    if let Some(name) = path.strip_prefix("/traag/") {
        // A host that takes a second per page, numbered articles in one folder (and an
        // honest 404, as slowly, for any other name): for runs stopped part-way.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        return if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            html(
                StatusCode::OK,
                article_page(
                    &format!("Wijkbericht {name}"),
                    "<p>De wijkraad vergaderde over de nieuwe speeltuin en de bomen langs de singel.</p>",
                ),
            )
        } else {
            html(StatusCode::NOT_FOUND, "<p>Niet gevonden</p>".into())
        };
    }
    if path.starts_with("/wayback-busy/") {
        // A web archive that rate-limits us for an hour.
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "3600")],
            "rate limited",
        )
            .into_response();
    }
    if let Some(n) = path.strip_prefix("/big/") {
        // Large downloads for a run killed with a big open WARC file: /big/<n> is 4 MB of
        // data, /big/stall never answers (the run waits there until it is killed).
        let Ok(n) = n.parse::<u8>() else {
            tokio::time::sleep(Duration::from_secs(120)).await;
            return html(StatusCode::OK, ok_body());
        };
        let line: Vec<u8> = format!("regel {n:03} van een groot databestand;\n").into_bytes();
        let body: Vec<u8> = line.iter().copied().cycle().take(4 << 20).collect();
        return ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response();
    }
    if let Some(rest) = path.strip_prefix("/id/") {
        // Routed by the number, the slug ignored (as many news sites do); other paths 404.
        let id = rest.split('/').next().unwrap_or("");
        return if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && rest.contains('/') {
            html(
                StatusCode::OK,
                article_page(
                    &format!("Regiodeal {id} van start"),
                    &format!(
                        "<p>De regiodeal met nummer {id} brengt gemeenten en provincie samen rond wonen en werk.</p><p>Het Rijk draagt bij en de regio zelf ook.</p>"
                    ),
                ),
            )
        } else {
            html(StatusCode::NOT_FOUND, "<p>Niet gevonden</p>".into())
        };
    }
    if let Some(rest) = path.strip_prefix("/catchall/") {
        // A host that answers 200 to every path, with one real article among them.
        return if rest == "echt-artikel" {
            html(
                StatusCode::OK,
                article_page(
                    "Wijkteams leren van elkaar",
                    "<p>In vier gemeenten delen wijkteams hun ervaringen met buurtbudgetten. &lsquo;We kijken eerst wat er al is,&rsquo; zegt coördinator Sanne Mulder.</p><p>De teams spreken elkaar elk kwartaal.</p>",
                ),
            )
        } else {
            html(
                StatusCode::OK,
                article_page(
                    "Welkom bij Overheid van Nu",
                    "<p>Op dit platform vindt u verhalen over vernieuwing bij de overheid.</p><p>Bekijk de nieuwste artikelen of zoek op thema.</p>",
                ),
            )
        };
    }
    match path.as_str() {
        "/ok" | "/" => html(StatusCode::OK, ok_body()),
        "/moved" => redirect(StatusCode::MOVED_PERMANENTLY, "/ok"),
        "/moved-to-missing" => redirect(StatusCode::MOVED_PERMANENTLY, "/missing"),
        "/moved-absolute" => redirect(StatusCode::FOUND, "https://www.overheidvannu.nl/ok"),
        "/chain/1" => redirect(StatusCode::MOVED_PERMANENTLY, "/chain/2"),
        "/chain/2" => redirect(StatusCode::FOUND, "3"),
        "/chain/3" => redirect(StatusCode::TEMPORARY_REDIRECT, "https://www.overheidvannu.nl/ok"),
        "/loop/a" => redirect(StatusCode::FOUND, "/loop/b"),
        "/loop/b" => redirect(StatusCode::FOUND, "/loop/a"),
        "/missing" => html(StatusCode::NOT_FOUND, article_page("Niet gevonden", "<p>Deze pagina bestaat niet.</p>")),
        "/gone" => html(StatusCode::GONE, "<p>Weg</p>".into()),
        "/flaky" if count == 1 => html(StatusCode::INTERNAL_SERVER_ERROR, "<p>Storing</p>".into()),
        "/flaky" => html(StatusCode::OK, ok_body()),
        "/always-500" => html(StatusCode::SERVICE_UNAVAILABLE, "<p>Onderhoud</p>".into()),
        "/busy" if count == 1 => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "rustig aan").into_response(),
        "/busy" => html(StatusCode::OK, ok_body()),
        "/always-429" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "rustig aan").into_response(),
        "/forbidden" => html(StatusCode::FORBIDDEN, "<p>Geen toegang</p>".into()),
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            html(StatusCode::OK, ok_body())
        }
        "/cp1252" => {
            let mut page = b"<html><head><meta charset=\"windows-1252\"><title>\x91Lieving\xebrveld\x92: de wijk waar bijna alles mag</title></head><body><p>Caf\xe9</p></body></html>".to_vec();
            page.extend_from_slice(b"\n");
            ([(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
        "/gzip" => {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(article_page("Ingepakt artikel", "<p>Dit artikel kwam gecomprimeerd.</p>").as_bytes()).unwrap();
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_ENCODING, "gzip")],
                enc.finish().unwrap(),
            )
                .into_response()
        }
        "/chunked" => {
            let parts: Vec<Result<String, std::io::Error>> = vec![
                Ok("<html><head><title>In stukjes</title></head><body>".into()),
                Ok("<main><article><p>Een artikel dat in delen kwam.</p></article></main>".into()),
                Ok("</body></html>".into()),
            ];
            let body = Body::from_stream(futures::stream::iter(parts));
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
        "/huge" => {
            let mut body = String::from("<html><head><title>Heel groot</title></head><body>");
            while body.len() < 3_000_000 {
                body.push_str("<p>Een zin die telkens terugkomt in dit enorme document.</p>");
            }
            html(StatusCode::OK, body)
        }
        "/pdf" => ([(header::CONTENT_TYPE, "application/pdf")], b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec()).into_response(),
        "/to-home" => redirect(StatusCode::MOVED_PERMANENTLY, "https://www.overheidvannu.nl/"),
        "/not-found-200" => html(StatusCode::OK, article_page("Pagina niet gevonden", "<p>De pagina die u zocht bestaat niet (meer).</p>")),
        "/challenge" => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html"), (header::HeaderName::from_static("cf-mitigated"), "challenge")],
            "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
        )
            .into_response(),
        _ => html(StatusCode::NOT_FOUND, article_page("Pagina niet gevonden", "<p>Helaas.</p>")),
    }
}

/// An article that is gone from the live site but kept by the (fake) web archive.
pub const RESCUED_ARTICLE: &str = "<p>De gemeente Zuiderveen liet inwoners meebeslissen over de begroting.</p>\
<p>&lsquo;Wie goed luistert, hoort ook wat er niet gezegd wordt,&rsquo; zegt directeur Karin Smit. Zij leidde het project twee jaar.</p>\
<p>Het experiment krijgt in 2021 een vervolg.</p>";

/// The fake web archive, reached through `--remap` (see [`FixtureSite::remap_archive`]):
/// the availability API and `id_` snapshots.
async fn wayback_route(path: &str) -> Option<Response> {
    if let Some(query) = path.strip_prefix("/wayback-host/wayback/available?") {
        let cited = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        if cited.contains("archief-traag") {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        let body = if cited.contains("met-kopie") || cited.contains("archief-ook-weg") {
            format!(
                r#"{{"url": "{cited}", "archived_snapshots": {{"closest": {{"status": "200", "available": true, "url": "http://web.archive.org/web/20201102093015/{cited}", "timestamp": "20201102093015"}}}}}}"#
            )
        } else {
            format!(r#"{{"url": "{cited}", "archived_snapshots": {{}}}}"#)
        };
        return Some(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    let rest = path.strip_prefix("/wayback-host/web/20201102093015id_/")?;
    Some(if rest.contains("archief-ook-weg") {
        html(
            StatusCode::OK,
            article_page(
                "Pagina niet gevonden",
                "<p>Deze pagina bestaat niet meer.</p>",
            ),
        )
    } else {
        html(
            StatusCode::OK,
            article_page("Zuiderveen luistert naar inwoners", RESCUED_ARTICLE),
        )
    })
}

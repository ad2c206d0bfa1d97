//! Hostile servers for the hardening tests (issue "Hardening: hostile servers, bad input,
//! crashes mid-run, and safe defaults"), on 127.0.0.1 only.
//!
//! - [`fault_route`]: faults axum can produce, served by the fixture site under `/fault/…`
//!   (an endless body, a gzip bomb, a slow drip, lying charsets, binary bodies, redirect
//!   chains and redirects to schemes or addresses we must not follow).
//! - [`RawFaultServer`]: faults below HTTP that only raw TCP can produce (a connection closed
//!   mid-body, a `Content-Length` larger than the body, malformed heads, garbage where TLS was
//!   expected, an HTTP/2-only server).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Redirect hops of `/fault/redirect/N` before the chain ends (docs/links.md allows 10).
pub const REDIRECT_CHAIN: usize = 50;
/// The gzip bomb inflates to this many MiB, above `MAX_DECODED_BODY` (50 MiB).
pub const BOMB_MIB: usize = 64;

/// A Dutch page in windows-1252 whose header says UTF-8.
pub fn lying_charset_page() -> Vec<u8> {
    let text = "<!DOCTYPE html><html><head><title>Beëdigde tolken en één loket</title></head>\
<body><main><article><h1>Beëdigde tolken en één loket</h1>\
<p>De gemeente opent één loket voor beëdigde tolken. ‘Dat scheelt wachttijd,’ zegt de wethouder.</p>\
<p>Café-eigenaren in de wijk reageren positief op het plan van de coördinator.</p>\
</article></main></body></html>";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// A page whose bytes are not UTF-8 at all, with no charset anywhere: stray continuation
/// bytes, a truncated sequence at the end, an overlong encoding and a lone surrogate.
pub fn invalid_utf8_page() -> Vec<u8> {
    let mut page = b"<html><head><title>Kapotte \xff\xfe tekens</title></head><body><p>Een \xc3\x28 zin \xed\xa0\x80 met \xc0\xaf fouten.</p>".to_vec();
    page.extend_from_slice(b"<p>Nog een alinea.</p></body></html>\xe2\x82");
    page
}

/// The first bytes of a real PNG (signature and IHDR chunk) and some of its data.
pub fn png_bytes() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa".to_vec();
    png.extend(std::iter::repeat_n(0x5a, 300));
    png
}

/// The head of a PDF file.
pub const PDF_BYTES: &[u8] =
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n<html><title>Geen pagina</title></html>\n";

fn redirect_to(status: StatusCode, to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (status, [(header::LOCATION, location)], "").into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `n` concatenated gzip members of 1 MiB of zeros each: a small body that inflates to
/// `n` MiB (MultiGzDecoder reads every member, as a browser would).
fn gzip_bomb(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; 1024 * 1024]).unwrap();
    let member = enc.finish().unwrap();
    member.repeat(n)
}

/// The `/fault/…` routes of the fixture site; `None` for any other path. `host` is the
/// request's `Host` (the site's own address, for a redirect to it that no `--remap` rule
/// produced).
pub async fn fault_route(path: &str, host: &str) -> Option<Response> {
    let rest = path.strip_prefix("/fault/")?;
    if let Some(n) = rest.strip_prefix("redirect/") {
        let n: usize = n.parse().unwrap_or(0);
        return Some(if n < REDIRECT_CHAIN {
            redirect_to(StatusCode::FOUND, &format!("/fault/redirect/{}", n + 1))
        } else {
            (StatusCode::OK, "end of the chain").into_response()
        });
    }
    Some(match rest {
        "endless" => {
            let chunk = Bytes::from(
                "<p>Deze pagina houdt nooit op met praten over de wijk.</p>\n".repeat(100),
            );
            let body = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                Body::from_stream(body),
            )
                .into_response()
        }
        "gzip-bomb" => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            gzip_bomb(BOMB_MIB),
        )
            .into_response(),
        "drip" => {
            // One byte every 200 ms, forever: never idle long enough for an idle timeout.
            let body = futures::stream::unfold(0usize, |n| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let byte = if n == 0 {
                    Bytes::from_static(b"<")
                } else {
                    Bytes::from_static(b"p")
                };
                Some((Ok::<_, std::io::Error>(byte), n + 1))
            });
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                Body::from_stream(body),
            )
                .into_response()
        }
        "lying-charset" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            lying_charset_page(),
        )
            .into_response(),
        "invalid-utf8" => {
            ([(header::CONTENT_TYPE, "text/html")], invalid_utf8_page()).into_response()
        }
        // 100,000 nested elements: the HTML parser's cost grows with the square of the depth.
        "deep-nesting" => {
            let n = 100_000;
            let page = format!(
                "<!DOCTYPE html><html><head><title>Diep genest</title></head><body>{}<article><p>Onder honderdduizend lagen staat nog een zin over de wijkraad.</p></article>{}</body></html>",
                "<div>".repeat(n),
                "</div>".repeat(n)
            );
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
        }
        "png" => ([(header::CONTENT_TYPE, "image/png")], png_bytes()).into_response(),
        "pdf" => (
            [(header::CONTENT_TYPE, "application/pdf")],
            PDF_BYTES.to_vec(),
        )
            .into_response(),
        // The server lies: a PDF labelled as HTML must still not reach the HTML extractor.
        "pdf-as-html" => {
            ([(header::CONTENT_TYPE, "text/html")], PDF_BYTES.to_vec()).into_response()
        }
        // Raw UTF-8 in the Location header, as many servers send it.
        "utf8-location" => match HeaderValue::from_bytes("/catchall/café-ü".as_bytes()) {
            Ok(location) => (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
                "",
            )
                .into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        "to-file" => redirect_to(StatusCode::FOUND, "file:///etc/passwd"),
        "to-ftp" => redirect_to(
            StatusCode::MOVED_PERMANENTLY,
            "ftp://ftp.overheidvannu.nl/pub/rapport.pdf",
        ),
        "to-javascript" => redirect_to(StatusCode::FOUND, "javascript:alert(1)"),
        "to-metadata" => redirect_to(
            StatusCode::FOUND,
            "http://169.254.169.254/latest/meta-data/",
        ),
        // To this very server by its loopback address, not through a --remap rule.
        "to-loopback" => redirect_to(StatusCode::FOUND, &format!("http://{host}/ok")),
        _ => return None,
    })
}

/// A raw TCP server on 127.0.0.1:0 answering by request path with bytes no HTTP library
/// would send. Runs on its own thread and runtime (see [`super::FixtureSite`]).
pub struct RawFaultServer {
    /// Where it listens.
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The paths [`RawFaultServer`] answers, and how.
pub const RAW_FAULTS: &[(&str, &str)] = &[
    (
        "/closed-mid-body",
        "chunked body cut off by closing the connection",
    ),
    (
        "/short-body",
        "Content-Length: 5000 but 1200 bytes, then the connection closes",
    ),
    ("/header-without-colon", "a header line without a colon"),
    ("/status-abc", "status line `HTTP/1.1 abc`"),
    (
        "/h2-only",
        "HTTP/2 SETTINGS + GOAWAY(PROTOCOL_ERROR), as an h2c prior-knowledge server",
    ),
];

impl RawFaultServer {
    /// Starts the server.
    pub fn start() -> RawFaultServer {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stop_rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            counter.fetch_add(1, Ordering::SeqCst);
                            tokio::spawn(serve_raw(stream));
                        }
                    }
                }
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        RawFaultServer {
            addr,
            connections,
            stop: Some(stop_tx),
        }
    }

    /// The `--remap` rule that sends `https://kapot.example/…` here over plain HTTP.
    pub fn remap(&self) -> String {
        format!(r"^https?://kapot\.example/ http://{}/", self.addr)
    }

    /// The `--remap` rule that sends `https://tls.example/…` here as `https://`: this server
    /// answers the TLS handshake with garbage.
    pub fn remap_tls(&self) -> String {
        format!(r"^https?://tls\.example/ https://{}/", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for RawFaultServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Reads the request head (or a TLS ClientHello) and answers with the fault for its path.
async fn serve_raw(mut stream: tokio::net::TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            head.extend_from_slice(&buf[..n]);
            // A TLS record starts with 0x16 (handshake): no HTTP head will come.
            if head.first() == Some(&0x16) || head.windows(4).any(|w| w == b"\r\n\r\n") {
                return Ok(());
            }
            if head.len() > 64 * 1024 {
                return Ok(());
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), read_head)
        .await
        .is_err()
    {
        return;
    }
    if head.first() == Some(&0x16) {
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nnot TLS :-)")
            .await;
        let _ = stream.shutdown().await;
        return;
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let html = "<!DOCTYPE html><html><head><title>Half verhaal</title></head><body><p>".to_string()
        + &"Een alinea over de samenwerking tussen gemeente en provincie. ".repeat(60);
    match path.as_str() {
        "/closed-mid-body" => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await;
            let chunk = &html.as_bytes()[..1000];
            let _ = stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await;
            let _ = stream.write_all(chunk).await;
            let _ = stream.write_all(b"\r\n400\r\n").await;
            let _ = stream.write_all(&html.as_bytes()[..200]).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // Closed in the middle of a chunk.
        }
        "/short-body" => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5000\r\n\r\n")
                .await;
            let _ = stream.write_all(&html.as_bytes()[..1200]).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = stream.shutdown().await;
        }
        "/header-without-colon" => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type text/html\r\nContent-Length: 5\r\n\r\nhallo",
                )
                .await;
        }
        "/status-abc" => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 abc\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhallo",
                )
                .await;
        }
        "/h2-only" => {
            // What an h2c prior-knowledge server sends to a client that did not open with the
            // HTTP/2 preface: its SETTINGS frame, then GOAWAY with PROTOCOL_ERROR (RFC 9113).
            let settings = [0, 0, 0, 0x04, 0, 0, 0, 0, 0];
            let goaway = [0, 0, 8, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
            let _ = stream.write_all(&settings).await;
            let _ = stream.write_all(&goaway).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        _ => {
            let _ = stream
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    }
    let _ = stream.shutdown().await;
}

//! Wire-level exchange types: what the HTTP layer produces and the WARC writer consumes.
//!
//! A leaf module (it imports nothing from the crate) so that [`crate::http`] and
//! [`crate::archive`] both depend on it and not on each other.
//!
//! - [`RawExchange`]: one request/response as bytes, the way a WARC `request` and `response`
//!   record store them.
//! - [`Exchange`]: a [`RawExchange`] plus the parsed status and headers the checks read.

use reqwest::header::HeaderMap;

/// One HTTP exchange as it went over the wire (one redirect hop = one exchange).
#[derive(Clone, Debug)]
pub struct RawExchange {
    /// The URL actually requested (after `--remap`); becomes `WARC-Target-URI`.
    pub request_url: String,
    /// `GET /p?q HTTP/1.1\r\nHost: ..\r\n<headers>\r\n\r\n`, as rebuilt by the fetcher.
    pub request_head: Vec<u8>,
    /// `HTTP/1.1 200 OK\r\n<headers>\r\n\r\n`; `Transfer-Encoding` already renamed to
    /// `X-Orig-Transfer-Encoding` and `Content-Length` set to the stored body length.
    pub response_head: Vec<u8>,
    /// Entity body as received: Content-Encoding kept, chunking removed.
    pub body: Vec<u8>,
    /// The body was cut at a size cap: the record gets `WARC-Truncated: length`.
    pub truncated: bool,
    /// Peer address, for `WARC-IP-Address`.
    pub peer_ip: Option<std::net::IpAddr>,
    /// When the exchange began (`WARC-Date` of both records).
    pub date: jiff::Timestamp,
}

/// One completed HTTP request/response: the bytes a WARC record stores (`wire`: request
/// and response heads as stored, body with its content encoding, truncation, peer, date)
/// plus the parsed status and headers the checks read.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What goes into the WARC file.
    pub wire: RawExchange,
    /// HTTP status code.
    pub status: u16,
    /// Response headers as received.
    pub headers: HeaderMap,
}

impl Exchange {
    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

//! Fetching one cited URL: GET (never HEAD), redirects followed by hand up to
//! [`MAX_REDIRECTS`] hops with `--remap` applied to every hop, retries with backoff for
//! timeouts, connection errors, 429 and 5xx (honouring `Retry-After`), a per-attempt timeout
//! from connect to the last body byte, and a body cap. Every exchange is kept (with the bytes
//! needed for a WARC record) so the caller can archive each hop and each retried attempt.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{self, HeaderMap};
use url::Url;

use super::budget::{ByteBudget, Ticket};
use super::client::{AddressPolicy, ResolveError, build_client_with};
use super::gate::{HostGates, HostSignal, Slots};
use super::remap::Remap;
use crate::wire::{Exchange, RawExchange};

/// Redirect hops followed before a link is `broken` (lychee's default).
pub const MAX_REDIRECTS: usize = 10;
/// Longest wait a `Retry-After` may ask for before we give up on the URL.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// The `Accept` header: browser-like values avoid some false 403s (docs/links.md §2).
pub const ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
/// Dutch first: the cited sites serve Dutch pages.
pub const ACCEPT_LANGUAGE: &str = "nl,en;q=0.8";
/// Only what we decode ourselves.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// A request that got no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// The name did not resolve.
    Dns(String),
    /// TCP connection failed (refused, reset, unreachable).
    Connect(String),
    /// TLS handshake or certificate failure.
    Tls(String),
    /// We refused to contact the address (link-local, metadata service; private ranges with
    /// `--exclude-private`), before any connection was made.
    Forbidden(String),
    /// Anything else: connection closed mid-body, malformed response.
    Other(String),
}

impl TransportError {
    fn retryable(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Connect(_) | Self::Other(_))
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Timeout(d) => write!(f, "no complete answer within {} s", d.as_secs_f64()),
            Self::Dns(m)
            | Self::Connect(m)
            | Self::Tls(m)
            | Self::Forbidden(m)
            | Self::Other(m) => f.write_str(m),
        }
    }
}

/// Why following a URL stopped without a final page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No HTTP answer.
    Transport(TransportError),
    /// A redirect led back to a URL already visited.
    RedirectLoop(String),
    /// More than [`MAX_REDIRECTS`] hops.
    TooManyRedirects,
    /// A redirect to something we cannot follow (`file:`, `javascript:`, garbage).
    BadRedirect(String),
    /// A 3xx without `Location`.
    NoLocation,
    /// `--remap` produced something that is not a URL.
    Remap(String),
    /// The server asked us to wait longer than we will.
    RetryAfterTooLong(Duration),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "{e}"),
            Self::RedirectLoop(url) => write!(f, "redirect loop via {url}"),
            Self::TooManyRedirects => write!(f, "more than {MAX_REDIRECTS} redirects"),
            Self::BadRedirect(location) => {
                write!(f, "redirect to '{location}', which cannot be followed")
            }
            Self::NoLocation => f.write_str("redirect without a Location header"),
            Self::Remap(message) => f.write_str(message),
            Self::RetryAfterTooLong(wait) => write!(f, "asked to retry after {} s", wait.as_secs()),
        }
    }
}

/// One request in the redirect chain: its status and the URL as the reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// HTTP status.
    pub status: u16,
    /// The logical (un-remapped) URL.
    pub url: String,
}

/// Everything learned from following one cited URL.
#[derive(Debug, Clone)]
pub struct FetchOutcome {
    /// Each hop's final status and logical URL.
    pub hops: Vec<Hop>,
    /// The last logical URL requested.
    pub final_url: String,
    /// Every exchange made, in order: retried attempts, redirect hops, the final page.
    pub exchanges: Vec<Exchange>,
    /// The final non-redirect response (an index into `exchanges`).
    pub last: Option<usize>,
    /// Why it stopped early, if it did.
    pub failure: Option<Failure>,
    /// Requests made in all.
    pub attempts: u32,
    /// Requests made to the last URL requested (1 + its retries): what an error's "after N
    /// attempts" counts, so that redirect hops before it are not taken for retries.
    pub last_url_attempts: u32,
}

impl FetchOutcome {
    /// The final response, if one came.
    pub fn last_exchange(&self) -> Option<&Exchange> {
        self.last.and_then(|i| self.exchanges.get(i))
    }

    /// `301 https://a/x -> 200 https://a/y/`
    pub fn redirect_chain(&self) -> String {
        if self.hops.len() < 2 {
            return String::new();
        }
        self.hops
            .iter()
            .map(|h| format!("{} {}", h.status, h.url))
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

/// What the fetcher needs to know: the HTTP layer's own settings, resolved from the command
/// line by [`crate::config`] (the fetcher never sees a flag).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// URL rewriting applied to every request and redirect hop.
    pub remap: Remap,
    /// Per attempt, connect to last byte.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Requests in flight in total.
    pub concurrency: usize,
    /// Requests in flight per host.
    pub per_host: usize,
    /// Minimum gap between request starts to one host.
    pub host_interval: Duration,
    /// Refuse private, loopback, ULA and CGNAT addresses (loopback only via `--remap`).
    pub exclude_private: bool,
    /// Sent with every request.
    pub user_agent: String,
    /// Body bytes in flight in the whole run (docs/links.md §7); one body larger than this
    /// still proceeds, alone.
    pub body_budget: usize,
}

/// Bytes a read charges at a time when the length is not known in advance.
const GROW_STEP: usize = 64 * 1024;

/// Fetches URLs with the run's client, politeness and limits.
pub struct Fetcher {
    client: reqwest::Client,
    /// With `--exclude-private`: clients whose resolvers refuse private addresses, one for
    /// plain requests and one (loopback allowed) for `--remap`ped ones, or why they could
    /// not be built (then every request fails with that reason rather than go unguarded).
    guarded: Option<Result<(reqwest::Client, reqwest::Client), String>>,
    gates: HostGates,
    global: Slots,
    remap: Remap,
    timeout: Duration,
    retries: u32,
    body_limit: usize,
    user_agent: String,
    budget: ByteBudget,
    /// Budget bytes charged per body byte read (see [`Fetcher::charging`]).
    charge_factor: usize,
}

impl Fetcher {
    /// A fetcher for a run; `body_limit` is the raw bytes read per response. `client` serves
    /// every request unless `settings.exclude_private` is set: then the fetcher builds its own
    /// guarded clients (see [`AddressPolicy`]).
    pub fn new(client: reqwest::Client, settings: &FetchSettings, body_limit: usize) -> Fetcher {
        let guarded = settings.exclude_private.then(|| {
            let strict = build_client_with(settings.timeout, AddressPolicy::ExcludePrivate);
            let remapped =
                build_client_with(settings.timeout, AddressPolicy::ExcludePrivateButLoopback);
            strict
                .and_then(|s| Ok((s, remapped?)))
                .map_err(|e| e.to_string())
        });
        Fetcher {
            client,
            guarded,
            gates: HostGates::new(settings.per_host, settings.host_interval),
            global: Slots::new(settings.concurrency),
            remap: settings.remap.clone(),
            timeout: settings.timeout,
            retries: settings.retries,
            body_limit,
            user_agent: settings.user_agent.clone(),
            budget: ByteBudget::new(settings.body_budget),
            charge_factor: 1,
        }
    }

    /// Charges `factor` budget bytes per body byte read: in `run` a body is also decoded,
    /// parsed, extracted and archived while its link holds the ticket, and those copies
    /// scale with it, so the budget counts them at the read, before any is made.
    pub fn charging(mut self, factor: usize) -> Fetcher {
        self.charge_factor = factor.max(1);
        self
    }

    /// The run's budget of body bytes in flight: one [`Ticket`] per checked link.
    pub fn budget(&self) -> &ByteBudget {
        &self.budget
    }

    /// The raw bytes read per response.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Follows `cited` to its final page (docs/links.md §3), its bodies charged to a
    /// ticket of its own that is given back on return: for a single fetch.
    pub async fn fetch(&self, cited: &Url) -> FetchOutcome {
        self.fetch_with(cited, false, &self.budget.ticket()).await
    }

    /// [`Fetcher::fetch_charged`] ahead of the ordinary requests queued for the same host
    /// and for the global slots: for requests that finished rows wait for (soft-404 probes).
    pub async fn fetch_urgent(&self, cited: &Url, ticket: &Ticket) -> FetchOutcome {
        self.fetch_with(cited, true, ticket).await
    }

    /// Follows `cited` to its final page (docs/links.md §3), its bodies charged to `ticket`,
    /// which the caller keeps until it is done with them.
    pub async fn fetch_charged(&self, cited: &Url, ticket: &Ticket) -> FetchOutcome {
        self.fetch_with(cited, false, ticket).await
    }

    async fn fetch_with(&self, cited: &Url, urgent: bool, ticket: &Ticket) -> FetchOutcome {
        let mut logical = cited.clone();
        logical.set_fragment(None);
        let mut outcome = FetchOutcome {
            hops: Vec::new(),
            final_url: logical.to_string(),
            exchanges: Vec::new(),
            last: None,
            failure: None,
            attempts: 0,
            last_url_attempts: 0,
        };
        let mut seen = HashSet::new();
        seen.insert(logical.to_string());
        for hop in 0..=MAX_REDIRECTS {
            outcome.final_url = logical.to_string();
            let wire = self.remap.apply(logical.as_str());
            // Only a URL an explicit --remap rule produced may reach loopback under
            // --exclude-private; a redirect hop to loopback may not.
            let remapped = wire != logical.as_str();
            let parsed = if remapped {
                Url::parse(&wire)
            } else {
                // Unchanged: no need to parse it again (a parse is a real share of the CPU
                // per URL in `check`).
                Ok(logical.clone())
            };
            let wire = match parsed {
                Ok(u) if matches!(u.scheme(), "http" | "https") => u,
                _ => {
                    outcome.failure = Some(Failure::Remap(format!(
                        "--remap turned {logical} into '{wire}', which is not an http(s) URL"
                    )));
                    return outcome;
                }
            };
            let status = match self
                .get_with_retries(&wire, remapped, urgent, &mut outcome, ticket)
                .await
            {
                Ok(status) => status,
                Err(failure) => {
                    outcome.failure = Some(failure);
                    return outcome;
                }
            };
            outcome.hops.push(Hop {
                status,
                url: logical.to_string(),
            });
            let index = outcome.exchanges.len() - 1;
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                outcome.last = Some(index);
                return outcome;
            }
            // As bytes: servers send raw UTF-8 in Location (`/café`), which `to_str` refuses;
            // browsers read it as UTF-8 and `join` percent-encodes it.
            let location = outcome.exchanges[index]
                .headers
                .get(header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let Some(location) = location else {
                outcome.last = Some(index);
                outcome.failure = Some(Failure::NoLocation);
                return outcome;
            };
            let next = match logical.join(location.trim()) {
                Ok(mut next) if matches!(next.scheme(), "http" | "https") => {
                    next.set_fragment(None);
                    next
                }
                _ => {
                    outcome.failure = Some(Failure::BadRedirect(location));
                    return outcome;
                }
            };
            if hop == MAX_REDIRECTS {
                outcome.failure = Some(Failure::TooManyRedirects);
                return outcome;
            }
            if !seen.insert(next.to_string()) {
                outcome.failure = Some(Failure::RedirectLoop(next.to_string()));
                outcome.final_url = next.to_string();
                return outcome;
            }
            logical = next;
        }
        outcome.failure = Some(Failure::TooManyRedirects);
        outcome
    }

    /// One hop with retries. Each response (also retried ones) is pushed to `outcome`.
    async fn get_with_retries(
        &self,
        wire: &Url,
        remapped: bool,
        urgent: bool,
        outcome: &mut FetchOutcome,
        ticket: &Ticket,
    ) -> Result<u16, Failure> {
        let host_key = format!(
            "{}:{}",
            wire.host_str().unwrap_or(""),
            wire.port_or_known_default().unwrap_or(0)
        );
        let gate = self.gates.gate(&host_key);
        let mut retry = 0;
        outcome.last_url_attempts = 0;
        // Budget reserved for the next attempt (see `send`); given back if none reads it.
        let mut prepaid = Charged { ticket, bytes: 0 };
        loop {
            let result = {
                // Bytes this link holds from an earlier hop keep others out meanwhile: the turn
                // comes, since no one holds a turn while it waits for budget (`charge`).
                let mut turn = Some((gate.enter(urgent).await, self.global.acquire(urgent).await));
                outcome.attempts += 1;
                outcome.last_url_attempts += 1;
                self.attempt(wire, remapped, ticket, &mut turn, &mut prepaid.bytes)
                    .await
            };
            let result = match result {
                // The answer was let go while its bytes were reserved: the same request again,
                // not a retry.
                Ok(None) => {
                    outcome.attempts -= 1;
                    outcome.last_url_attempts -= 1;
                    continue;
                }
                Ok(Some(exchange)) => Ok(exchange),
                Err(e) => Err(e),
            };
            match result {
                Ok(exchange) => {
                    let status = exchange.status;
                    let retry_after = retry_after(&exchange.headers);
                    let signal = match status {
                        429 => HostSignal::RateLimited,
                        500..=599 => HostSignal::ServerError,
                        _ => HostSignal::Fine,
                    };
                    gate.observe(signal, retry_after.filter(|d| *d <= MAX_RETRY_WAIT));
                    outcome.exchanges.push(exchange);
                    let retryable = status == 429 || (500..=599).contains(&status);
                    if !retryable || retry >= self.retries {
                        return Ok(status);
                    }
                    retry += 1;
                    let wait = match retry_after {
                        Some(wait) if wait > MAX_RETRY_WAIT => {
                            return Err(Failure::RetryAfterTooLong(wait));
                        }
                        Some(wait) => wait,
                        None => backoff_delay(retry),
                    };
                    tokio::time::sleep(wait).await;
                }
                Err(error) => {
                    if !error.retryable() || retry >= self.retries {
                        return Err(Failure::Transport(error));
                    }
                    retry += 1;
                    tokio::time::sleep(backoff_delay(retry)).await;
                }
            }
        }
    }

    /// One GET, bounded in time from connect to the last body byte. An address the policy
    /// refuses is refused here when the URL names it, and by the client's resolver when a
    /// name resolves to it: either way before a connection is made.
    async fn attempt<T>(
        &self,
        wire: &Url,
        remapped: bool,
        ticket: &Ticket,
        turn: &mut Option<T>,
        prepaid: &mut usize,
    ) -> Result<Option<Exchange>, TransportError> {
        let (client, policy) = match &self.guarded {
            None => (&self.client, AddressPolicy::Public),
            Some(Ok((strict, _))) if !remapped => (strict, AddressPolicy::ExcludePrivate),
            Some(Ok((_, lenient))) => (lenient, AddressPolicy::ExcludePrivateButLoopback),
            Some(Err(e)) => {
                return Err(TransportError::Other(format!(
                    "cannot set up the HTTP client: {e}"
                )));
            }
        };
        if let Some(ip) = literal_ip(wire)
            && let Some(why) = policy.refusal(ip)
        {
            return Err(TransportError::Forbidden(format!(
                "refused to contact {ip}: {why}"
            )));
        }
        self.send(client, wire, ticket, turn, prepaid).await
    }

    /// The request and its body, within `timeout` from connect to the last byte; time spent
    /// waiting for the byte budget does not count. `turn` is the host's turn and the request
    /// slot, given up for others when the read must wait for budget.
    ///
    /// A stated length that the budget cannot take now is not waited for with the answer
    /// unread (a server closes it after a while: nginx after a minute, and a deep queue of
    /// big pages waits longer): the answer is let go, the bytes are waited for and reserved
    /// in `prepaid`, and `None` says to send the request again when the turn comes.
    async fn send<T>(
        &self,
        client: &reqwest::Client,
        wire: &Url,
        ticket: &Ticket,
        turn: &mut Option<T>,
        prepaid: &mut usize,
    ) -> Result<Option<Exchange>, TransportError> {
        let started = jiff::Timestamp::now();
        let mut deadline = tokio::time::Instant::now() + self.timeout;
        let timed_out = || TransportError::Timeout(self.timeout);
        let headers = [
            (header::USER_AGENT, self.user_agent.as_str()),
            (header::ACCEPT, ACCEPT),
            (header::ACCEPT_LANGUAGE, ACCEPT_LANGUAGE),
            (header::ACCEPT_ENCODING, ACCEPT_ENCODING),
        ];
        let mut request = client.get(wire.clone());
        for (name, value) in &headers {
            request = request.header(name, *value);
        }
        let mut response = tokio::time::timeout_at(deadline, request.send())
            .await
            .map_err(|_| timed_out())?
            .map_err(classify)?;
        let status = response.status().as_u16();
        let peer_ip = response.remote_addr().map(|a| a.ip());
        let response_headers = response.headers().clone();
        // A stated length is charged (and allocated) at once; else the body is charged as
        // it grows. Either way the read waits while the budget is spent.
        let stated = response.content_length().map(|n| {
            usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(self.body_limit)
        });
        let mut reserved = stated.unwrap_or(0);
        let need = reserved * self.charge_factor;
        if need > *prepaid && !ticket.try_grow(need - *prepaid) {
            drop(response);
            *turn = None;
            ticket.grow(need - *prepaid).await;
            *prepaid = need;
            return Ok(None);
        }
        // Given back if the read fails: the body is dropped, and a retry charges afresh.
        ticket.shrink(prepaid.saturating_sub(need));
        *prepaid = 0;
        let mut charged = Charged {
            ticket,
            bytes: need,
        };
        let mut body = Vec::with_capacity(reserved);
        let mut truncated = false;
        loop {
            let chunk = tokio::time::timeout_at(deadline, response.chunk())
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| body_error(e, body.len()))?;
            let Some(chunk) = chunk else { break };
            let room = self.body_limit.saturating_sub(body.len());
            let take = chunk.len().min(room);
            let needed = body.len() + take;
            if needed > reserved {
                let step = (needed - reserved)
                    .max(GROW_STEP)
                    .min(self.body_limit - reserved);
                deadline += charge(ticket, step * self.charge_factor, turn).await;
                charged.bytes += step * self.charge_factor;
                reserved += step;
            }
            body.extend_from_slice(&chunk[..take]);
            if take < chunk.len() {
                truncated = true;
                break;
            }
        }
        charged.bytes = 0;
        Ok(Some(Exchange {
            wire: RawExchange {
                request_url: wire.to_string(),
                request_head: request_head(wire, &headers),
                response_head: response_head(status, &response_headers, body.len()),
                body,
                truncated,
                peer_ip,
                date: started,
            },
            status,
            headers: response_headers,
        }))
    }
}

/// What one read charged to its ticket, given back when dropped (the read failed) unless
/// cleared first (the body is kept).
struct Charged<'a> {
    ticket: &'a Ticket,
    bytes: usize,
}

impl Drop for Charged<'_> {
    fn drop(&mut self) {
        self.ticket.shrink(self.bytes);
    }
}

/// Charges `bytes` to `ticket`; returns how long that waited. A read that must wait gives up
/// its host's turn and request slot (`turn`) meanwhile: holding them, it would keep every
/// other request to the host (a soft-404 probe that links holding bytes wait for, say)
/// from starting until budget came back.
async fn charge<T>(ticket: &Ticket, bytes: usize, turn: &mut Option<T>) -> Duration {
    if ticket.try_grow(bytes) {
        return Duration::ZERO;
    }
    *turn = None;
    ticket.grow(bytes).await
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// The request as sent: reqwest does not expose its bytes, so rebuild them from what we set
/// (every header is set explicitly per request for this reason).
fn request_head(url: &Url, headers: &[(header::HeaderName, &str)]) -> Vec<u8> {
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    };
    let mut head = format!("GET {target} HTTP/1.1\r\nhost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The response head as stored: hyper has removed the chunked framing, so
/// `Transfer-Encoding` becomes `X-Orig-Transfer-Encoding` and `Content-Length` states the
/// stored length (browsertrix-crawler's convention; pywb#584).
fn response_head(status: u16, headers: &HeaderMap, body_len: usize) -> Vec<u8> {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n").into_bytes();
    let dechunked = headers.contains_key(header::TRANSFER_ENCODING);
    for (name, value) in headers {
        if name == header::TRANSFER_ENCODING {
            head.extend_from_slice(b"x-orig-transfer-encoding");
        } else if name == header::CONTENT_LENGTH && dechunked {
            continue;
        } else {
            head.extend_from_slice(name.as_str().as_bytes());
        }
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if dechunked || !headers.contains_key(header::CONTENT_LENGTH) {
        head.extend_from_slice(format!("content-length: {body_len}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Wait before retry `n` (from 1) when the server gave no `Retry-After`:
/// 1 s × 2^(n−1), ±25 % jitter so that many clients do not return in step.
pub fn backoff_delay(n: u32) -> Duration {
    let base = backoff_base(n);
    let jitter = rand::rng().random_range(0.75..=1.25);
    base.mul_f64(jitter).min(MAX_RETRY_WAIT)
}

/// The schedule without jitter.
pub fn backoff_base(n: u32) -> Duration {
    Duration::from_secs(1) * 2u32.saturating_pow(n.saturating_sub(1).min(16))
}

/// `Retry-After` as delta-seconds or an HTTP-date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A failure while reading the body, after the head came: the server closed the connection
/// early (a `Content-Length` larger than the body, a chunked body cut off) or broke the
/// framing. Say how far it got.
fn body_error(error: reqwest::Error, received: usize) -> TransportError {
    match classify(error) {
        TransportError::Other(detail) => TransportError::Other(format!(
            "connection closed before the body was complete ({received} bytes received; {})",
            detail.trim_start_matches("transfer failed: ")
        )),
        other => other,
    }
}

/// Sorts a reqwest error into what the reports can say about it.
fn classify(error: reqwest::Error) -> TransportError {
    let chain = ErrorChain::of(&error);
    classify_typed(&error, &chain).unwrap_or_else(|| classify_by_text(&error, &chain))
}

/// The texts of an error and its sources, each said once (wrappers often repeat the message
/// of what they wrap).
struct ErrorChain {
    texts: Vec<String>,
}

impl ErrorChain {
    fn of(error: &(dyn std::error::Error + 'static)) -> ErrorChain {
        let mut texts: Vec<String> = Vec::new();
        for e in sources(error) {
            let text = e.to_string();
            if !texts.iter().any(|c| c.contains(&text)) {
                texts.push(text);
            }
        }
        ErrorChain { texts }
    }

    /// Everything, joined.
    fn detail(&self) -> String {
        self.texts.join(": ")
    }

    /// The innermost text: usually the most specific.
    fn last(&self) -> String {
        self.texts.last().cloned().unwrap_or_default()
    }
}

/// An error and its sources, outermost first.
fn sources<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// The rustls error in `e`, also when it travels inside `io::Error`s (tokio-rustls wraps it
/// so, and hyper-rustls may wrap that again; `io::Error::source` skips the wrapped error
/// itself, so look with `get_ref`).
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut e: &(dyn std::error::Error + 'static) = e;
    loop {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        e = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

/// The message of a response hyper could not parse: an HTTP/2-only server answers our
/// HTTP/1.1 request with binary frames, which hyper reads as a bad version.
fn malformed(parse_error: &str) -> TransportError {
    if parse_error
        .to_lowercase()
        .contains("invalid http version parsed")
    {
        return TransportError::Other(
            "malformed HTTP response: the server did not answer in HTTP/1.1 (an HTTP/2-only \
             server? citecheck speaks HTTP/1.1 only)"
                .into(),
        );
    }
    TransportError::Other(format!("malformed HTTP response: {parse_error}"))
}

/// Classes found by the type of an error in the source chain: our resolver's
/// [`ResolveError`], hyper's parse errors, rustls's errors, and `io::ErrorKind`s. In the
/// order of precedence; `None` when no known type is in the chain.
fn classify_typed(
    error: &(dyn std::error::Error + 'static),
    chain: &ErrorChain,
) -> Option<TransportError> {
    if let Some(resolve) = sources(error).find_map(|e| e.downcast_ref::<ResolveError>()) {
        return Some(match resolve {
            ResolveError::Refused { .. } => TransportError::Forbidden(resolve.to_string()),
            _ => TransportError::Dns(format!("DNS lookup failed ({})", resolve.detail())),
        });
    }
    if let Some(parse) = sources(error)
        .filter_map(|e| e.downcast_ref::<hyper::Error>())
        .find(|h| h.is_parse())
    {
        return Some(malformed(&parse.to_string()));
    }
    if sources(error).any(|e| rustls_error(e).is_some()) {
        return Some(TransportError::Tls(format!(
            "TLS failure: {}",
            chain.last()
        )));
    }
    let io_kind = |kind: std::io::ErrorKind| {
        sources(error)
            .filter_map(|e| e.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == kind)
    };
    if io_kind(std::io::ErrorKind::ConnectionRefused) {
        return Some(TransportError::Connect("connection refused".into()));
    }
    if io_kind(std::io::ErrorKind::TimedOut) {
        return Some(TransportError::Other("timed out".into()));
    }
    None
}

/// The last resort, for errors whose types are hidden (boxed by a layer in between): the
/// words the libraries use.
fn classify_by_text(error: &reqwest::Error, chain: &ErrorChain) -> TransportError {
    let detail = chain.detail();
    let lower = detail.to_lowercase();
    if let Some(refusal) = chain
        .texts
        .iter()
        .find(|c| c.contains("resolves only to refused addresses"))
    {
        return TransportError::Forbidden(refusal.trim_start_matches("dns error: ").to_string());
    }
    if lower.contains("dns error") {
        let what = chain
            .texts
            .iter()
            .rev()
            .find(|c| c.contains("dns error") || c.contains("resolve") || c.contains("lookup"))
            .cloned()
            .unwrap_or(detail.clone());
        return TransportError::Dns(format!(
            "DNS lookup failed ({})",
            what.trim_start_matches("dns error: ")
        ));
    }
    if let Some(parse) = chain
        .texts
        .iter()
        .find(|c| c.ends_with(" parsed") || c.contains("message head is too large"))
    {
        return malformed(parse);
    }
    // rustls says "corrupt message", "peer is incompatible", "fatal alert" and the like.
    const TLS_WORDS: &[&str] = &[
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "unexpected message",
        "peer is incompatible",
        "peer misbehaved",
        "fatal alert",
    ];
    if TLS_WORDS.iter().any(|w| lower.contains(w)) {
        return TransportError::Tls(format!("TLS failure: {}", chain.last()));
    }
    if lower.contains("connection refused") {
        return TransportError::Connect("connection refused".into());
    }
    if error.is_timeout() {
        return TransportError::Other("timed out".into());
    }
    if error.is_connect() {
        return TransportError::Connect(format!("connection failed: {}", chain.last()));
    }
    TransportError::Other(format!("transfer failed: {}", chain.last()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_jitters_within_a_quarter() {
        assert_eq!(backoff_base(1), Duration::from_secs(1));
        assert_eq!(backoff_base(3), Duration::from_secs(4));
        for n in 1..5 {
            let d = backoff_delay(n).as_secs_f64();
            let b = backoff_base(n).as_secs_f64();
            assert!(d >= b * 0.75 && d <= b * 1.25, "{n}: {d}");
        }
        assert_eq!(backoff_delay(30), MAX_RETRY_WAIT);
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(
            header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(110) && d <= Duration::from_secs(120));
        h.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn stored_head_renames_chunking_and_states_the_length() {
        let mut h = HeaderMap::new();
        h.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        h.insert(header::CONTENT_TYPE, "text/html".parse().unwrap());
        let head = String::from_utf8(response_head(200, &h, 42)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(head.contains("x-orig-transfer-encoding: chunked\r\n"));
        assert!(head.contains("content-length: 42\r\n"));
        assert!(!head.to_lowercase().contains("\r\ntransfer-encoding"));
        assert!(head.ends_with("\r\n\r\n"));
    }

    #[test]
    fn request_head_names_path_query_and_port() {
        let url = Url::parse("http://127.0.0.1:8080/a%E2%80%98b?x=1").unwrap();
        let head = String::from_utf8(request_head(&url, &[(header::ACCEPT, "*/*")])).unwrap();
        assert_eq!(
            head,
            "GET /a%E2%80%98b?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\naccept: */*\r\n\r\n"
        );
    }

    /// A real reqwest error for `url` from `client`, with whether its class was found by type.
    async fn transport_error(client: &reqwest::Client, url: &str) -> (TransportError, bool) {
        let error = client.get(url).send().await.expect_err("must fail");
        let chain = ErrorChain::of(&error);
        let typed = classify_typed(&error, &chain).is_some();
        (classify(error), typed)
    }

    /// A server on 127.0.0.1 that answers every connection with `answer` and closes it.
    async fn answering(answer: &'static [u8]) -> std::net::SocketAddr {
        answering_counted(answer).await.0
    }

    /// [`answering`], with the count of connections it took.
    async fn answering_counted(
        answer: &'static [u8],
    ) -> (
        std::net::SocketAddr,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = asked.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // One task per connection: an answer the client let go unread must not hold
                // up the next request.
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket.write_all(answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        (addr, asked)
    }

    fn client(policy: AddressPolicy) -> reqwest::Client {
        build_client_with(Duration::from_secs(5), policy).unwrap()
    }

    #[tokio::test]
    async fn a_big_answer_is_let_go_while_its_bytes_are_waited_for_then_asked_again() {
        // Another link holds most of the budget. The page's stated length does not fit: its
        // answer is not held open meanwhile (a server closes it after a while, and the
        // retries ran out for links queued behind many big pages), but let go, the bytes
        // are reserved when they come back, and the page is asked for again, whole.
        let body = "<p>Een lange alinea.</p>".repeat(2_000);
        let answer: &'static [u8] = Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
            .into_boxed_slice(),
        );
        let (addr, asked) = answering_counted(answer).await;
        let settings = budget_settings(0);
        let fetcher = std::sync::Arc::new(
            Fetcher::new(client(AddressPolicy::Public), &settings, 1 << 20).charging(2),
        );
        let other = fetcher.budget().ticket();
        assert!(other.try_grow(90_000));
        let page = {
            let fetcher = fetcher.clone();
            tokio::spawn(async move {
                let ticket = fetcher.budget().ticket();
                let url = Url::parse(&format!("http://{addr}/lang")).unwrap();
                let outcome = fetcher.fetch_charged(&url, &ticket).await;
                (outcome, ticket.bytes())
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!page.is_finished());
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        drop(other);
        let (outcome, held) = tokio::time::timeout(Duration::from_secs(5), page)
            .await
            .expect("never asked again")
            .unwrap();
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        assert_eq!(outcome.attempts, 1, "the second request is no retry");
        let last = outcome.last_exchange().unwrap();
        assert_eq!(last.wire.body.len(), body.len());
        assert_eq!(held, 2 * body.len());
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(
            fetcher.budget().peak(),
            2 * body.len(),
            "never both at once"
        );
    }

    /// Settings for the byte-budget tests: a budget of 100,000 bytes, two requests at once.
    fn budget_settings(retries: u32) -> FetchSettings {
        FetchSettings {
            remap: Remap::default(),
            timeout: Duration::from_secs(5),
            retries,
            concurrency: 2,
            per_host: 2,
            host_interval: Duration::ZERO,
            exclude_private: false,
            user_agent: "citecheck-test".into(),
            body_budget: 100_000,
        }
    }

    #[tokio::test]
    async fn a_failed_read_gives_its_charge_back_before_the_retry() {
        // A stated length of 5,000 bytes and 1,200 sent before the connection closes, on
        // every attempt: nothing is kept, so nothing may stay charged (a second 10 MiB
        // page's worth stayed charged per failed attempt before, issue #18).
        let addr = answering(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5000\r\n\r\n\
              <p>Een alinea die halverwege ophoudt",
        )
        .await;
        let settings = budget_settings(1);
        let fetcher = Fetcher::new(client(AddressPolicy::Public), &settings, 1 << 20).charging(3);
        let ticket = fetcher.budget().ticket();
        let url = Url::parse(&format!("http://{addr}/half")).unwrap();
        let outcome = fetcher.fetch_charged(&url, &ticket).await;
        assert!(outcome.failure.is_some(), "{:?}", outcome.failure);
        assert_eq!(outcome.attempts, 2);
        assert_eq!(ticket.bytes(), 0);
        assert_eq!(
            fetcher.budget().peak(),
            15_000,
            "one attempt's charge at a time"
        );
    }

    #[tokio::test]
    async fn refused_connection_is_a_connect_error_found_by_type() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/");
        let (error, typed) = transport_error(&client(AddressPolicy::Public), &url).await;
        assert_eq!(error, TransportError::Connect("connection refused".into()));
        assert!(typed && error.retryable());
    }

    #[tokio::test]
    async fn resolver_refusal_is_forbidden_and_found_by_type() {
        let addr = answering(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        let url = format!("http://localhost:{}/", addr.port());
        let (error, typed) = transport_error(&client(AddressPolicy::ExcludePrivate), &url).await;
        assert!(typed, "{error:?}");
        match &error {
            TransportError::Forbidden(m) => {
                assert!(
                    m.starts_with("localhost resolves only to refused addresses: "),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn reserved_name_is_a_dns_error_found_by_type() {
        let (error, typed) =
            transport_error(&client(AddressPolicy::Public), "http://nowhere.invalid/").await;
        assert!(typed);
        assert_eq!(
            error,
            TransportError::Dns(
                "DNS lookup failed (nowhere.invalid is a reserved .invalid name)".into()
            )
        );
    }

    #[tokio::test]
    async fn unparsable_answers_are_malformed_responses_found_by_type() {
        let addr = answering(b"HTTP/9.1 200 OK\r\n\r\n").await;
        let (error, typed) =
            transport_error(&client(AddressPolicy::Public), &format!("http://{addr}/")).await;
        assert!(typed);
        match &error {
            TransportError::Other(m) => assert!(m.contains("did not answer in HTTP/1.1"), "{m}"),
            other => panic!("{other:?}"),
        }
        let addr = answering(b"HTTP/1.1 2x0 OK\r\n\r\n").await;
        let (error, typed) =
            transport_error(&client(AddressPolicy::Public), &format!("http://{addr}/")).await;
        assert!(typed);
        match &error {
            TransportError::Other(m) => assert!(m.starts_with("malformed HTTP response: "), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn tls_to_a_plain_http_server_is_a_tls_error_found_by_type() {
        let addr = answering(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
        let (error, typed) =
            transport_error(&client(AddressPolicy::Public), &format!("https://{addr}/")).await;
        assert!(typed, "{error:?}");
        assert!(matches!(&error, TransportError::Tls(m) if m.starts_with("TLS failure: ")));
        assert!(!error.retryable());
    }

    /// A wrapper with a source, as the layers between reqwest and the cause are.
    #[derive(Debug)]
    struct Wrapped(&'static str, Box<dyn std::error::Error + Send + Sync>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.1)
        }
    }

    #[test]
    fn typed_classes_are_found_deep_in_the_chain() {
        let classify = |e: Wrapped| {
            let chain = ErrorChain::of(&e);
            classify_typed(&e, &chain)
        };
        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        assert_eq!(
            classify(Wrapped("client error (Connect)", Box::new(timed_out))),
            Some(TransportError::Other("timed out".into()))
        );
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::General("bad record".into()),
        );
        assert_eq!(
            classify(Wrapped("client error (Connect)", Box::new(tls))),
            Some(TransportError::Tls(
                "TLS failure: unexpected error: bad record".into()
            ))
        );
        let lookup = ResolveError::Lookup("failed to lookup address information".into());
        assert_eq!(
            classify(Wrapped("dns error", Box::new(lookup))),
            Some(TransportError::Dns(
                "DNS lookup failed (failed to lookup address information)".into()
            ))
        );
        let other = std::io::Error::other("something else");
        assert_eq!(classify(Wrapped("client error", Box::new(other))), None);
    }
}

//! Rescue from the web archive (docs/archive.md §7): ask the Internet Archive's availability API
//! for the snapshot closest to when the page was cited, then fetch the snapshot's original
//! bytes (the `id_` form: no banner, no rewritten links). This file builds the URLs and reads
//! the answers; the fetching goes through the run's fetcher (so `--remap`, retries and
//! politeness apply).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

/// Consecutive look-ups that could not reach the web archive (DNS, connection, TLS,
/// timeout) after which a run stops asking it.
pub const BREAKER_FAILURES: u32 = 3;
/// Least time between two look-up starts (at most 4 a second): the archive rate-limits.
pub const LOOKUP_INTERVAL: Duration = Duration::from_millis(250);
/// A 429 without `Retry-After` pauses the look-ups this long.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(30);
/// An archive that asks for a longer pause than this is not asked again in this run.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(300);

/// How one look-up ended, as the guard needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupEnd {
    /// An HTTP answer (after the fetcher's retries), with its `Retry-After`.
    Answer {
        /// The status code.
        status: u16,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
    /// The archive could not be reached: DNS, connection, TLS or timeout.
    Unreachable,
    /// The archive asked for a pause longer than the fetcher waits.
    AskedToWait(Duration),
    /// Anything else (a bad redirect, a protocol error): says nothing about the host.
    Other,
}

/// The run's web-archive look-ups behind a rate cap and a circuit breaker: at most one start
/// per [`LOOKUP_INTERVAL`], a pause after a 429 (its `Retry-After`, else [`DEFAULT_PAUSE`]),
/// and no more look-ups after [`BREAKER_FAILURES`] consecutive unreachable ones or a pause
/// longer than [`LONGEST_PAUSE`]. The trip is said once on stderr.
#[derive(Debug)]
pub struct LookupGuard {
    interval: Duration,
    state: Mutex<GuardState>,
}

#[derive(Debug)]
struct GuardState {
    next_start: Instant,
    failures: u32,
    /// Why look-ups stopped, once they have.
    tripped: Option<String>,
}

impl Default for LookupGuard {
    fn default() -> Self {
        LookupGuard::new(LOOKUP_INTERVAL)
    }
}

impl LookupGuard {
    /// A guard that starts at most one look-up per `interval`.
    pub fn new(interval: Duration) -> LookupGuard {
        LookupGuard {
            interval,
            state: Mutex::new(GuardState {
                next_start: Instant::now(),
                failures: 0,
                tripped: None,
            }),
        }
    }

    /// Waits for this look-up's turn; `Err` (why) when look-ups have stopped for the run.
    pub async fn admit(&self) -> Result<(), String> {
        loop {
            let wait_until = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(why) = &state.tripped {
                    return Err(why.clone());
                }
                let now = Instant::now();
                if state.next_start <= now {
                    state.next_start = now + self.interval;
                    return Ok(());
                }
                state.next_start
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Takes in how a look-up ended.
    pub fn observe(&self, end: LookupEnd) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let pause = match end {
            LookupEnd::Unreachable => {
                state.failures += 1;
                let failures = state.failures;
                if failures >= BREAKER_FAILURES {
                    trip(
                        &mut state,
                        format!("the web archive could not be reached {failures} times in a row"),
                    );
                }
                return;
            }
            LookupEnd::Other => return,
            LookupEnd::Answer {
                status: 429,
                retry_after,
            } => retry_after.unwrap_or(DEFAULT_PAUSE),
            LookupEnd::Answer { .. } => {
                state.failures = 0;
                return;
            }
            LookupEnd::AskedToWait(wait) => wait,
        };
        state.failures = 0;
        if pause > LONGEST_PAUSE {
            trip(
                &mut state,
                format!(
                    "the web archive asks to wait {} s (rate limit)",
                    pause.as_secs()
                ),
            );
        } else {
            state.next_start = state.next_start.max(Instant::now() + pause);
        }
    }
}

fn trip(state: &mut GuardState, why: String) {
    if state.tripped.is_none() {
        eprintln!("citecheck: {why}; no more web-archive look-ups in this run");
        state.tripped = Some(format!("web archive not asked: {why} earlier in this run"));
    }
}

/// The availability API endpoint.
pub const AVAILABILITY_API: &str = "https://archive.org/wayback/available";

/// A snapshot the availability API offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// 14-digit timestamp.
    pub timestamp: String,
    /// `https://web.archive.org/web/<ts>/<url>`: what `archived_url` shows.
    pub archived_url: String,
    /// `https://web.archive.org/web/<ts>id_/<url>`: the original bytes.
    pub raw_url: String,
}

impl Snapshot {
    /// The snapshot's date as RFC 3339 (`Memento-Datetime` equivalent).
    pub fn memento_datetime(&self) -> Option<String> {
        let t = &self.timestamp;
        if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(format!(
            "{}-{}-{}T{}:{}:{}Z",
            &t[0..4],
            &t[4..6],
            &t[6..8],
            &t[8..10],
            &t[10..12],
            &t[12..14]
        ))
    }
}

/// The date a citation most likely refers to: `/yyyy/mm/dd/` in the URL's path (as on
/// overheidvannu.nl), as a Wayback timestamp prefix. `None`: ask for the most recent capture.
pub fn citation_timestamp(cited: &Url) -> Option<String> {
    let segments: Vec<&str> = cited.path_segments()?.collect();
    segments.windows(3).find_map(|w| {
        let (y, m, d) = (w[0], w[1], w[2]);
        let ok = y.len() == 4
            && m.len() == 2
            && d.len() == 2
            && [y, m, d]
                .iter()
                .all(|s| s.bytes().all(|b| b.is_ascii_digit()))
            && (1990..=2100).contains(&y.parse::<u32>().ok()?)
            && (1..=12).contains(&m.parse::<u32>().ok()?)
            && (1..=31).contains(&d.parse::<u32>().ok()?);
        ok.then(|| format!("{y}{m}{d}"))
    })
}

/// The availability API URL for a cited URL. The cited URL is percent-encoded as one query
/// value, so its own `?`, `&` and `%E2%80%98` survive the trip.
pub fn availability_url(cited: &str, timestamp: Option<&str>) -> Url {
    let mut url = Url::parse(AVAILABILITY_API).expect("constant URL");
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("url", cited);
        if let Some(ts) = timestamp {
            query.append_pair("timestamp", ts);
        }
    }
    url
}

/// Reads the API's answer: the closest snapshot if it is available with a 2xx status.
/// `"archived_snapshots": {}` (none), a non-2xx capture, or a body that is not the API's JSON
/// all give `None` with a reason.
pub fn parse_availability(body: &[u8], cited: &str) -> Result<Option<Snapshot>, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("the web archive's answer is not JSON: {e}"))?;
    let Some(closest) = value
        .get("archived_snapshots")
        .and_then(|s| s.get("closest"))
    else {
        return Ok(None);
    };
    let available = closest
        .get("available")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let status = closest.get("status").and_then(|v| v.as_str()).unwrap_or("");
    let timestamp = closest
        .get("timestamp")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if !available
        || !status.starts_with('2')
        || timestamp.len() != 14
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(None);
    }
    Ok(Some(Snapshot {
        timestamp: timestamp.to_string(),
        archived_url: format!("https://web.archive.org/web/{timestamp}/{cited}"),
        raw_url: format!("https://web.archive.org/web/{timestamp}id_/{cited}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_breaker_opens_after_consecutive_unreachable_look_ups() {
        let guard = LookupGuard::new(Duration::ZERO);
        for _ in 0..BREAKER_FAILURES - 1 {
            assert!(guard.admit().await.is_ok());
            guard.observe(LookupEnd::Unreachable);
        }
        // An answer in between resets the count.
        guard.observe(LookupEnd::Answer {
            status: 200,
            retry_after: None,
        });
        for _ in 0..BREAKER_FAILURES - 1 {
            guard.observe(LookupEnd::Unreachable);
        }
        assert!(guard.admit().await.is_ok());
        guard.observe(LookupEnd::Unreachable);
        let why = guard.admit().await.unwrap_err();
        assert!(why.contains("could not be reached 3 times"), "{why}");
    }

    #[tokio::test]
    async fn look_ups_are_spaced_and_paused_by_429() {
        let guard = LookupGuard::new(Duration::from_millis(40));
        let t0 = Instant::now();
        for _ in 0..3 {
            guard.admit().await.unwrap();
        }
        assert!(t0.elapsed() >= Duration::from_millis(80));
        guard.observe(LookupEnd::Answer {
            status: 429,
            retry_after: Some(Duration::from_millis(300)),
        });
        let t1 = Instant::now();
        guard.admit().await.unwrap();
        assert!(t1.elapsed() >= Duration::from_millis(250));
        guard.observe(LookupEnd::AskedToWait(Duration::from_secs(3600)));
        assert!(
            guard
                .admit()
                .await
                .unwrap_err()
                .contains("asks to wait 3600 s")
        );
    }

    #[test]
    fn timestamp_from_dated_paths_only() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            citation_timestamp(&u(
                "https://www.overheidvannu.nl/actueel/artikelen/2020/11/02/x"
            ))
            .as_deref(),
            Some("20201102")
        );
        assert_eq!(citation_timestamp(&u("https://x.nl/2020/13/02/x")), None);
        assert_eq!(citation_timestamp(&u("https://x.nl/nieuws/artikel")), None);
    }

    #[test]
    fn availability_url_keeps_the_cited_url_intact() {
        let cited = "https://www.overheidvannu.nl/a/%E2%80%98b%E2%80%99?x=1&y=2";
        let url = availability_url(cited, Some("20201102"));
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("url".to_string(), cited.to_string()));
        assert_eq!(pairs[1], ("timestamp".to_string(), "20201102".to_string()));
    }

    #[test]
    fn parses_snapshots_and_their_absence() {
        let cited = "https://www.overheidvannu.nl/x";
        let body = br#"{"url": "x", "archived_snapshots": {"closest": {"status": "200", "available": true,
            "url": "http://web.archive.org/web/20201102093015/https://www.overheidvannu.nl/x", "timestamp": "20201102093015"}}}"#;
        let snap = parse_availability(body, cited).unwrap().unwrap();
        assert_eq!(
            snap.raw_url,
            "https://web.archive.org/web/20201102093015id_/https://www.overheidvannu.nl/x"
        );
        assert_eq!(
            snap.memento_datetime().as_deref(),
            Some("2020-11-02T09:30:15Z")
        );
        assert_eq!(
            parse_availability(br#"{"archived_snapshots": {}}"#, cited).unwrap(),
            None
        );
        let not_ok = br#"{"archived_snapshots": {"closest": {"status": "404", "available": true, "timestamp": "20201102093015"}}}"#;
        assert_eq!(parse_availability(not_ok, cited).unwrap(), None);
        assert!(parse_availability(b"<html>", cited).is_err());
    }
}

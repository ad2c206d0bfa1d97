//! Per-host politeness: at most `per_host` requests in flight to one host, a minimum gap
//! between request starts, and a host-wide pause after 429/503 so every queued request to an
//! overloaded host waits, not just the one that was told to (docs/links.md §5, §4).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// All host gates of a run, keyed by the host:port actually requested (after remap).
pub struct HostGates {
    per_host: usize,
    interval: Duration,
    gates: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// One host's gate.
pub struct HostGate {
    slots: Arc<Semaphore>,
    interval: Duration,
    timing: Mutex<Timing>,
}

struct Timing {
    next_start: Instant,
    not_before: Instant,
    backoff_429: Duration,
    backoff_5xx: Duration,
}

/// How a response should change the host's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSignal {
    /// 2xx/3xx/4xx: back to normal.
    Fine,
    /// 429: slow down, doubling from 500 ms to 30 s.
    RateLimited,
    /// 5xx: slow down a little, +200 ms up to 10 s.
    ServerError,
}

impl HostGates {
    /// Gates with these limits.
    pub fn new(per_host: usize, interval: Duration) -> HostGates {
        HostGates {
            per_host: per_host.max(1),
            interval,
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// The gate for `host_key` (created on first use).
    pub fn gate(&self, host_key: &str) -> Arc<HostGate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(host_key.to_string())
            .or_insert_with(|| {
                Arc::new(HostGate {
                    slots: Arc::new(Semaphore::new(self.per_host)),
                    interval: self.interval,
                    timing: Mutex::new(Timing {
                        next_start: Instant::now(),
                        not_before: Instant::now(),
                        backoff_429: Duration::ZERO,
                        backoff_5xx: Duration::ZERO,
                    }),
                })
            })
            .clone()
    }
}

impl HostGate {
    /// Waits for a slot and for the host's pace; the permit frees the slot when dropped.
    pub async fn enter(&self) -> OwnedSemaphorePermit {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        loop {
            let wait_until = {
                let mut t = self.timing.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let earliest = t.next_start.max(t.not_before);
                if earliest <= now {
                    t.next_start = now + self.interval;
                    None
                } else {
                    Some(earliest)
                }
            };
            match wait_until {
                None => return permit,
                Some(when) => tokio::time::sleep_until(when).await,
            }
        }
    }

    /// Adjusts the host's pace after a response (lychee 0.23+ does the same).
    pub fn observe(&self, signal: HostSignal, retry_after: Option<Duration>) {
        let mut t = self.timing.lock().unwrap_or_else(|e| e.into_inner());
        let pause = match signal {
            HostSignal::Fine => {
                t.backoff_429 = Duration::ZERO;
                t.backoff_5xx = Duration::ZERO;
                return;
            }
            HostSignal::RateLimited => {
                t.backoff_429 = (t.backoff_429 * 2)
                    .max(Duration::from_millis(500))
                    .min(Duration::from_secs(30));
                t.backoff_429
            }
            HostSignal::ServerError => {
                t.backoff_5xx =
                    (t.backoff_5xx + Duration::from_millis(200)).min(Duration::from_secs(10));
                t.backoff_5xx
            }
        };
        let pause = retry_after.map_or(pause, |r| r.max(pause));
        t.not_before = t.not_before.max(Instant::now() + pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn interval_spaces_request_starts() {
        let gates = HostGates::new(4, Duration::from_millis(50));
        let gate = gates.gate("a:80");
        let t0 = Instant::now();
        for _ in 0..3 {
            drop(gate.enter().await);
        }
        assert!(t0.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn rate_limit_pauses_the_whole_host() {
        let gates = HostGates::new(4, Duration::ZERO);
        let gate = gates.gate("a:80");
        gate.observe(HostSignal::RateLimited, Some(Duration::from_millis(300)));
        let t0 = Instant::now();
        drop(gates.gate("a:80").enter().await);
        assert!(t0.elapsed() >= Duration::from_millis(250));
        // Another host is not slowed.
        let t1 = Instant::now();
        drop(gates.gate("b:80").enter().await);
        assert!(t1.elapsed() < Duration::from_millis(200));
    }
}

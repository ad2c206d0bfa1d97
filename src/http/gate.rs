//! Per-host politeness: at most `per_host` requests in flight to one host, a minimum gap
//! between request starts, and a host-wide pause after 429/503 so every queued request to an
//! overloaded host waits, not just the one that was told to (docs/links.md §5, §4).
//!
//! Slots have two lanes ([`Slots`]): an urgent request (a soft-404 probe that finished rows
//! wait for) goes before every ordinary request queued for the same slots, so that one probe
//! is never stuck behind a hundred page requests to its host.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Counting slots with a priority lane: an urgent taker is served before the ordinary
/// takers already waiting (ordinary takers that get a slot while an urgent one waits hand it
/// on and queue again once the urgent one has its slot).
pub struct Slots {
    sem: Arc<Semaphore>,
    urgent: AtomicUsize,
    yielded: Notify,
}

/// Marks an urgent taker as waiting; dropping it (slot had, or the wait abandoned) lets the
/// ordinary takers that stood aside queue again.
struct UrgentMark<'a>(&'a Slots);

impl Drop for UrgentMark<'_> {
    fn drop(&mut self) {
        self.0.urgent.fetch_sub(1, Ordering::SeqCst);
        self.0.yielded.notify_waiters();
    }
}

impl Slots {
    /// `n` slots (at least one).
    pub fn new(n: usize) -> Slots {
        Slots {
            sem: Arc::new(Semaphore::new(n.max(1))),
            urgent: AtomicUsize::new(0),
            yielded: Notify::new(),
        }
    }

    /// Waits for a slot; `urgent` goes before the ordinary takers already waiting.
    pub async fn acquire(&self, urgent: bool) -> OwnedSemaphorePermit {
        if urgent {
            self.urgent.fetch_add(1, Ordering::SeqCst);
            let _mark = UrgentMark(self);
            return self.take().await;
        }
        loop {
            let permit = self.take().await;
            // Registered before the check, so an urgent taker finishing in between still
            // wakes this one (`notify_waiters` reaches every `Notified` created before it).
            let notified = self.yielded.notified();
            if self.urgent.load(Ordering::SeqCst) == 0 {
                return permit;
            }
            drop(permit);
            notified.await;
        }
    }

    async fn take(&self) -> OwnedSemaphorePermit {
        self.sem
            .clone()
            .acquire_owned()
            .await
            .expect("slot semaphores are never closed")
    }
}

/// All host gates of a run, keyed by the host:port actually requested (after remap).
pub struct HostGates {
    per_host: usize,
    interval: Duration,
    gates: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// One host's gate.
pub struct HostGate {
    slots: Slots,
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
                    slots: Slots::new(self.per_host),
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
    /// `urgent`: before the ordinary requests queued for this host.
    pub async fn enter(&self, urgent: bool) -> OwnedSemaphorePermit {
        let permit = self.slots.acquire(urgent).await;
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
            drop(gate.enter(false).await);
        }
        assert!(t0.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn rate_limit_pauses_the_whole_host() {
        let gates = HostGates::new(4, Duration::ZERO);
        let gate = gates.gate("a:80");
        gate.observe(HostSignal::RateLimited, Some(Duration::from_millis(300)));
        let t0 = Instant::now();
        drop(gates.gate("a:80").enter(false).await);
        assert!(t0.elapsed() >= Duration::from_millis(250));
        // Another host is not slowed.
        let t1 = Instant::now();
        drop(gates.gate("b:80").enter(false).await);
        assert!(t1.elapsed() < Duration::from_millis(200));
    }

    #[tokio::test]
    async fn an_urgent_taker_goes_before_the_queue() {
        let slots = Arc::new(Slots::new(1));
        let first = slots.acquire(false).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, urgent) in [("a", false), ("b", false), ("c", false), ("probe", true)] {
            let (slots, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = slots.acquire(urgent).await;
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            // Queued in this order.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(order.first(), Some(&"probe"), "{order:?}");
        assert_eq!(order.len(), 4);
    }

    #[tokio::test]
    async fn an_abandoned_urgent_wait_does_not_hold_the_others() {
        let slots = Arc::new(Slots::new(1));
        let first = slots.acquire(false).await;
        let urgent = {
            let slots = slots.clone();
            tokio::spawn(async move { drop(slots.acquire(true).await) })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        urgent.abort();
        let _ = urgent.await;
        drop(first);
        let got = tokio::time::timeout(Duration::from_secs(2), slots.acquire(false)).await;
        assert!(got.is_ok());
    }
}

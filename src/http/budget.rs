//! A global budget of body bytes in flight (docs/links.md §7): memory is bounded by the
//! bytes of the pages being read and worked on, not by how many pages are in flight.
//!
//! Each checked link gets a [`Ticket`]; reading a body charges it ([`Ticket::grow`]), and
//! the bytes go back when the ticket is dropped, once the page is judged, extracted and
//! archived. A read waits while the budget is spent, with three ways out so that it can
//! never deadlock:
//!
//! - the bytes fit;
//! - nothing is charged at all: a single body larger than the whole budget proceeds alone;
//! - every other ticket that holds bytes is itself blocked here, waiting for budget: then
//!   nothing else could ever free bytes, and this holder reads on to the end of its body
//!   (the budget is then exceeded by at most that one body). A new reader (holding
//!   nothing) never takes this way: it waits for bytes to come back.
//!
//! A holder that is busy elsewhere (judged, extracted, archived, or waiting for a soft-404
//! probe or a request slot) is never overtaken: none of those waits needs budget (probes
//! are charged to tickets that never wait, and a read gives up its request slot before it
//! waits here), so it will give its bytes back. Letting a reader in beside a slow holder
//! was how a second 10 MiB page got into `run` while the first waited for its probe.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// The budget shared by every fetch of a run.
#[derive(Clone)]
pub struct ByteBudget {
    shared: Arc<Shared>,
}

struct Shared {
    total: usize,
    state: Mutex<State>,
    /// Woken whenever bytes are given back.
    changed: Notify,
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    /// Bytes charged to live tickets.
    used: usize,
    /// The most `used` has been.
    peak: usize,
    /// Tickets holding bytes.
    holders: usize,
    /// Of those, the ones blocked in [`Ticket::grow`].
    blocked: usize,
}

/// One checked link's share of the budget. Every fetch made for the link (the page, its
/// redirect hops) charges the same ticket; dropping it gives the bytes back.
pub struct Ticket {
    shared: Arc<Shared>,
    own: Mutex<Own>,
}

#[derive(Default)]
struct Own {
    /// Charged without ever waiting ([`ByteBudget::evidence_ticket`]).
    never_waits: bool,
    bytes: usize,
    /// Waiting in [`Ticket::grow`] now.
    blocked: bool,
}

impl ByteBudget {
    /// A budget of `total` bytes (at least 1).
    pub fn new(total: usize) -> ByteBudget {
        ByteBudget {
            shared: Arc::new(Shared {
                total: total.max(1),
                state: Mutex::new(State::default()),
                changed: Notify::new(),
            }),
        }
    }

    /// The budget's size in bytes.
    pub fn total(&self) -> usize {
        self.shared.total
    }

    /// Bytes charged now.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.shared.lock().used
    }

    /// The most bytes charged at once so far.
    pub fn peak(&self) -> usize {
        self.shared.lock().peak
    }

    /// A ticket that holds nothing yet.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            shared: self.shared.clone(),
            own: Mutex::new(Own::default()),
        }
    }

    /// A ticket whose reads are charged but never wait: for the fetches a link makes while
    /// it holds bytes and waits for them (soft-404 probes: one per folder, mostly small
    /// error pages). Charged, they still hold other reads back.
    pub fn evidence_ticket(&self) -> Ticket {
        Ticket {
            shared: self.shared.clone(),
            own: Mutex::new(Own {
                never_waits: true,
                ..Own::default()
            }),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ticket {
    fn own(&self) -> MutexGuard<'_, Own> {
        self.own.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes this ticket holds.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.own().bytes
    }

    /// Charges `more` bytes if that needs no wait; says whether it did.
    pub fn try_grow(&self, more: usize) -> bool {
        let mut state = self.shared.lock();
        let mut own = self.own();
        if more > 0 && !grantable(&state, &own, more, self.shared.total) {
            return false;
        }
        self.charge(&mut state, &mut own, more);
        true
    }

    /// Adds `more` charged bytes (granted, not blocked).
    fn charge(&self, state: &mut State, own: &mut Own, more: usize) {
        if more == 0 {
            return;
        }
        if own.bytes == 0 {
            state.holders += 1;
        }
        own.bytes += more;
        state.used += more;
        state.peak = state.peak.max(state.used);
        if state.used > self.shared.total {
            tracing::debug!(
                "body budget: {} of {} bytes charged ({more} more to a ticket now holding {}; \
                 {} holders, {} blocked, never waits: {})",
                state.used,
                self.shared.total,
                own.bytes,
                state.holders,
                state.blocked,
                own.never_waits
            );
        }
    }

    /// Gives `less` of this ticket's bytes back (at most what it holds): for a read that
    /// failed, whose body is gone; its retry charges afresh.
    pub fn shrink(&self, less: usize) {
        let mut state = self.shared.lock();
        let mut own = self.own();
        release(&self.shared, &mut state, &mut own, less);
    }

    /// Charges `more` bytes, waiting while the budget is spent; returns how long it waited
    /// (a fetch does not count that against its timeout).
    pub async fn grow(&self, more: usize) -> Duration {
        if more == 0 {
            return Duration::ZERO;
        }
        let started = tokio::time::Instant::now();
        let mut guard = Unblock {
            ticket: self,
            armed: false,
        };
        loop {
            let notified = {
                let mut state = self.shared.lock();
                let mut own = self.own();
                if grantable(&state, &own, more, self.shared.total) {
                    unblock(&mut state, &mut own);
                    guard.armed = false;
                    self.charge(&mut state, &mut own, more);
                    return started.elapsed();
                }
                if !own.blocked {
                    // (Never the last holder not blocked: that one was granted above.)
                    own.blocked = true;
                    state.blocked += usize::from(own.bytes > 0);
                    guard.armed = true;
                }
                // Made under the lock that every change is announced under: no wake-up
                // can fall between the check above and the wait below.
                self.shared.changed.notified()
            };
            notified.await;
        }
    }
}

/// Takes a ticket out of the blocked count.
fn unblock(state: &mut State, own: &mut Own) {
    if own.blocked {
        own.blocked = false;
        state.blocked -= usize::from(own.bytes > 0);
    }
}

/// Unblocks a ticket whose [`Ticket::grow`] was given up (its future dropped) while it
/// waited: counted as blocked for ever, it would let other holders overtake it.
struct Unblock<'a> {
    ticket: &'a Ticket,
    armed: bool,
}

impl Drop for Unblock<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.ticket.shared.lock();
            unblock(&mut state, &mut self.ticket.own());
        }
    }
}

/// Whether `more` bytes may be charged to `own` now (the module comment's three rules).
fn grantable(state: &State, own: &Own, more: usize, total: usize) -> bool {
    if own.never_waits || state.used.saturating_add(more) <= total || state.used == 0 {
        return true;
    }
    if own.bytes == 0 {
        return false;
    }
    // Other holders not blocked here: any of them will give bytes back.
    let others = state.holders - 1;
    let others_blocked = state.blocked - usize::from(own.blocked);
    others == others_blocked
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let own = self.own.get_mut().unwrap_or_else(|e| e.into_inner());
        if own.bytes == 0 {
            return;
        }
        let bytes = own.bytes;
        release(&self.shared, &mut self.shared.lock(), own, bytes);
    }
}

/// Gives `less` of a ticket's bytes back (at most what it holds) and wakes the waiters; a
/// ticket left with none is no longer a holder (nor a blocked one).
fn release(shared: &Shared, state: &mut State, own: &mut Own, less: usize) {
    let less = less.min(own.bytes);
    if less == 0 {
        return;
    }
    own.bytes -= less;
    state.used -= less;
    if own.bytes == 0 {
        state.holders -= 1;
        if own.blocked {
            state.blocked -= 1;
        }
    }
    shared.changed.notify_waiters();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `future` once: `Some` if it finished.
    fn now<F: Future>(future: F) -> Option<F::Output> {
        futures::FutureExt::now_or_never(future)
    }

    #[test]
    fn charges_within_the_budget_and_gives_back_on_drop() {
        let budget = ByteBudget::new(100);
        let a = budget.ticket();
        assert!(now(a.grow(60)).is_some());
        let b = budget.ticket();
        assert!(now(b.grow(40)).is_some());
        assert_eq!((budget.used(), a.bytes(), b.bytes()), (100, 60, 40));
        drop(a);
        assert_eq!(budget.used(), 40);
        drop(b);
        assert_eq!((budget.used(), budget.peak()), (0, 100));
        assert_eq!(
            *budget.shared.lock(),
            State {
                peak: 100,
                ..State::default()
            }
        );
    }

    #[tokio::test]
    async fn a_read_waits_until_bytes_come_back() {
        let budget = ByteBudget::new(100);
        let a = budget.ticket();
        a.grow(80).await;
        let b = budget.ticket();
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move {
                let b = b;
                b.grow(50).await;
                (b.bytes(), budget.used())
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "50 more bytes do not fit beside 80 of 100"
        );
        assert_eq!(budget.used(), 80);
        drop(a);
        assert_eq!(waiter.await.unwrap(), (50, 50));
    }

    #[test]
    fn try_grow_charges_only_what_needs_no_wait() {
        let budget = ByteBudget::new(100);
        let a = budget.ticket();
        assert!(a.try_grow(70));
        let b = budget.ticket();
        assert!(!b.try_grow(40));
        assert_eq!((budget.used(), b.bytes()), (70, 0));
        assert!(b.try_grow(30));
        // `a` is the only other holder and runs: `b` waits for it.
        assert!(!b.try_grow(1));
    }

    #[test]
    fn evidence_is_charged_but_never_waits() {
        let budget = ByteBudget::new(100);
        let page = budget.ticket();
        assert!(now(page.grow(100)).is_some());
        let probe = budget.evidence_ticket();
        assert!(now(probe.grow(30)).is_some());
        assert_eq!(budget.used(), 130);
        let other = budget.ticket();
        assert!(now(other.grow(1)).is_none(), "the probe's bytes count");
    }

    #[test]
    fn a_body_larger_than_the_budget_proceeds_alone() {
        let budget = ByteBudget::new(100);
        let big = budget.ticket();
        assert!(now(big.grow(1_000)).is_some(), "nothing else is charged");
        let other = budget.ticket();
        assert!(
            now(other.grow(1)).is_none(),
            "the big body must finish first"
        );
        drop(big);
        assert!(now(other.grow(1)).is_some());
    }

    #[tokio::test]
    async fn holders_that_all_wait_for_more_do_not_deadlock() {
        // Two bodies of unknown length each hold half the budget and need more: neither can
        // free anything until it has read to the end, so one must be let through.
        let budget = ByteBudget::new(100);
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let ticket = budget.ticket();
                tokio::spawn(async move {
                    ticket.grow(50).await;
                    tokio::task::yield_now().await;
                    ticket.grow(30).await;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticket.bytes()
                })
            })
            .collect();
        let done = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(tasks))
            .await
            .expect("deadlock: every holder waits for budget");
        assert!(done.into_iter().all(|r| r.unwrap() == 80));
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test]
    async fn a_busy_holder_is_never_overtaken_however_long_it_takes() {
        // The first link holds the whole budget while it is extracted or waits for its
        // soft-404 probe (2 s here): a new reader waits for it however long that takes,
        // since that work needs no budget and will give the bytes back (issue #18: a second
        // 10 MiB page was let in after a second's grace).
        let budget = ByteBudget::new(100);
        let first = budget.ticket();
        first.grow(100).await;
        let second = {
            let ticket = budget.ticket();
            tokio::spawn(async move {
                ticket.grow(10).await;
                ticket.bytes()
            })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(!second.is_finished(), "let in beside a busy holder");
        assert_eq!(budget.used(), 100);
        drop(first);
        let got = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("never woken");
        assert_eq!(got.unwrap(), 10);
        assert_eq!(budget.peak(), 100);
    }

    #[test]
    fn a_failed_read_gives_its_bytes_back() {
        let budget = ByteBudget::new(100);
        let page = budget.ticket();
        assert!(page.try_grow(90));
        let other = budget.ticket();
        assert!(!other.try_grow(90));
        // The read failed (the server closed the connection while the link waited): its
        // retry must not be charged on top of the lost body.
        page.shrink(90);
        assert_eq!((budget.used(), page.bytes()), (0, 0));
        assert_eq!(budget.shared.lock().holders, 0);
        assert!(other.try_grow(90));
        assert!(!page.try_grow(90), "the retry waits like any other read");
    }

    #[tokio::test]
    async fn a_given_up_wait_does_not_stay_blocked() {
        let budget = ByteBudget::new(100);
        let (a, b) = (budget.ticket(), budget.ticket());
        a.grow(60).await;
        b.grow(40).await;
        // `b` gives up a wait (its fetch was dropped): it must not stay counted as blocked,
        // or `a`, the other holder, would read on past the budget while `b` still runs.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), b.grow(10))
                .await
                .is_err()
        );
        assert_eq!(budget.shared.lock().blocked, 0);
        assert!(now(a.grow(10)).is_none(), "`b` runs: `a` waits for it");
    }

    #[tokio::test]
    async fn many_readers_never_hold_more_than_the_budget_plus_one_overdraft() {
        let budget = ByteBudget::new(1_000);
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let (budget, most) = (budget.clone(), most.clone());
                tokio::spawn(async move {
                    let ticket = budget.ticket();
                    for _ in 0..(5 + i % 7) {
                        ticket.grow(64).await;
                        most.fetch_max(budget.used(), std::sync::atomic::Ordering::SeqCst);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(tasks))
            .await
            .expect("deadlock");
        let most = most.load(std::sync::atomic::Ordering::SeqCst);
        // When every reader waits, one is let through to its end: at most one body over.
        assert!(most <= 1_000 + 11 * 64, "{most}");
        assert_eq!(budget.used(), 0);
    }
}

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
//! - every ticket that holds bytes is itself waiting (for budget, or for something another
//!   waiting task must do first, see [`Ticket::waiting`]) for a grace of a second: then
//!   one more reader is let through, and the one left running reads to the end. Nothing else could ever free bytes, so waiting longer would
//!   wait forever. The budget is then exceeded by at most that one body.

use std::future::Future;
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
    /// Woken whenever bytes are given back or a holder starts waiting.
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
    /// Of those, the ones waiting.
    waiting: usize,
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
    /// Nested [`Ticket::waiting`] calls and budget waits now in progress.
    waits: usize,
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
        if more > 0 && !matches!(grantable(&state, &own, more, self.shared.total), Grant::Yes) {
            return false;
        }
        self.charge(&mut state, &mut own, more);
        true
    }

    /// Adds `more` charged bytes (granted).
    fn charge(&self, state: &mut State, own: &mut Own, more: usize) {
        if more == 0 {
            return;
        }
        if own.bytes == 0 {
            state.holders += 1;
            if own.waits > 0 {
                state.waiting += 1;
            }
        }
        own.bytes += more;
        state.used += more;
        state.peak = state.peak.max(state.used);
    }

    /// Charges `more` bytes, waiting while the budget is spent; returns how long it waited
    /// (a fetch does not count that against its timeout).
    pub async fn grow(&self, more: usize) -> Duration {
        if more == 0 {
            return Duration::ZERO;
        }
        let started = tokio::time::Instant::now();
        let mut waiting = false;
        let mut stuck_since = None;
        loop {
            let notified = {
                let mut state = self.shared.lock();
                let mut own = self.own();
                let grant = match grantable(&state, &own, more, self.shared.total) {
                    Grant::Yes => true,
                    Grant::No => {
                        stuck_since = None;
                        false
                    }
                    Grant::Stuck => {
                        let since = *stuck_since.get_or_insert_with(tokio::time::Instant::now);
                        let through = since.elapsed() >= STUCK_GRACE;
                        if through {
                            tracing::debug!(
                                "body budget: every holder has waited {} ms; letting one more \
                                 reader in ({} of {} bytes charged)",
                                STUCK_GRACE.as_millis(),
                                state.used,
                                self.shared.total
                            );
                        }
                        through
                    }
                };
                if grant {
                    if waiting {
                        leave_wait(&mut state, &mut own);
                    }
                    self.charge(&mut state, &mut own, more);
                    return started.elapsed();
                }
                if !waiting {
                    waiting = true;
                    self.enter_wait(&mut state, &mut own);
                }
                // Made under the lock that every change is announced under: no wake-up
                // can fall between the check above and the wait below.
                self.shared.changed.notified()
            };
            match stuck_since {
                // Still stuck after the grace, or freed: look again either way.
                Some(since) => {
                    let _ = tokio::time::timeout_at(since + STUCK_GRACE, notified).await;
                }
                None => notified.await,
            }
        }
    }

    /// Runs `work`, counting this ticket as waiting meanwhile: for waits on other tasks
    /// (a host's turn, a request slot, another link's probe) that may themselves wait for
    /// budget. Without it, a ticket holding bytes while it waits there would look busy, and
    /// the budget could wait for it forever.
    pub async fn waiting<F: Future>(&self, work: F) -> F::Output {
        {
            let mut state = self.shared.lock();
            let mut own = self.own();
            self.enter_wait(&mut state, &mut own);
        }
        let output = work.await;
        {
            let mut state = self.shared.lock();
            let mut own = self.own();
            leave_wait(&mut state, &mut own);
        }
        output
    }

    /// Counts this ticket as waiting. When that leaves no holder running, the waiters are
    /// woken: one of them is now let through.
    fn enter_wait(&self, state: &mut State, own: &mut Own) {
        own.waits += 1;
        if own.waits == 1 && own.bytes > 0 {
            state.waiting += 1;
            if state.waiting == state.holders {
                self.shared.changed.notify_waiters();
            }
        }
    }
}

/// How long every holder must have been waiting before a new reader is let through: what
/// they wait for (a probe and its archive record, a request slot) mostly frees itself within
/// it, and letting a reader in at once would let one in for each link that briefly waits.
/// A holder that is itself the one left running is never held back.
const STUCK_GRACE: Duration = Duration::from_secs(1);

/// What [`grantable`] found.
enum Grant {
    Yes,
    No,
    /// Only if it lasts: every holder waits.
    Stuck,
}

/// Whether `more` bytes may be charged to `own` now (the module comment's three rules).
fn grantable(state: &State, own: &Own, more: usize, total: usize) -> Grant {
    if own.never_waits || state.used.saturating_add(more) <= total || state.used == 0 {
        return Grant::Yes;
    }
    // Holders that are not waiting, other than this ticket.
    let running = state.holders - state.waiting;
    let runs = own.bytes > 0 && own.waits == 0;
    match running - usize::from(runs) {
        0 if runs => Grant::Yes,
        0 => Grant::Stuck,
        _ => Grant::No,
    }
}

fn leave_wait(state: &mut State, own: &mut Own) {
    own.waits -= 1;
    if own.waits == 0 && own.bytes > 0 {
        state.waiting -= 1;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let own = self.own.get_mut().unwrap_or_else(|e| e.into_inner());
        if own.bytes == 0 {
            return;
        }
        let mut state = self.shared.lock();
        state.used -= own.bytes;
        state.holders -= 1;
        if own.waits > 0 {
            state.waiting -= 1;
        }
        own.bytes = 0;
        self.shared.changed.notify_waiters();
    }
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
    async fn a_holder_waiting_on_another_task_lets_the_budget_through() {
        // The first link holds the whole budget and waits for a request slot that the second
        // link holds while it waits for budget: marked as waiting, the first lets it through.
        let budget = ByteBudget::new(100);
        let slot = Arc::new(tokio::sync::Semaphore::new(1));
        let first = budget.ticket();
        first.grow(100).await;
        let permit = slot.clone().acquire_owned().await.unwrap();
        let second = {
            let ticket = budget.ticket();
            tokio::spawn(async move {
                let _permit = permit;
                ticket.grow(10).await;
                ticket.bytes()
            })
        };
        let waited =
            tokio::time::timeout(Duration::from_secs(5), first.waiting(slot.acquire_owned()))
                .await
                .expect("deadlock: the slot's holder never got budget");
        assert!(waited.is_ok());
        assert_eq!(second.await.unwrap(), 10);
        // Without the mark, the second would still be waiting.
        let third = budget.ticket();
        assert!(now(third.grow(10)).is_none());
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

//! CPU-bound work (article extraction, WARC records, quote scans) off the async threads, on
//! a small fixed pool of threads: two per core.
//!
//! tokio's blocking pool grows to 512 threads when that many tasks wait: with 128 pages in
//! flight, a run kept over a hundred threads busy on 2 cores, each with its own buffers,
//! deflate state and malloc arena (about 250 MB more peak RSS, and slower from the
//! switching; bench/pipeline-profile.md). A semaphore in front of the blocking pool still
//! let it start new threads (a finished thread is not idle yet when the next task comes).
//! So the work goes to [`slots`] threads of our own, started on first use, which keep their
//! thread-local state (the deflate state of the WARC writer) for the whole run. DNS
//! look-ups stay on tokio's blocking pool, where they wait on the network.

use std::sync::mpsc;
use std::sync::{LazyLock, Mutex};

use tokio::sync::oneshot;

/// How many CPU threads: two per core (one computes while the other waits to be
/// scheduled), at least 2.
pub fn slots() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .saturating_mul(2)
        .max(2)
}

type Work = Box<dyn FnOnce() + Send>;

/// The queue of the pool's threads; `None` if no thread could be started.
static POOL: LazyLock<Option<mpsc::Sender<Work>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Work>();
    let rx = std::sync::Arc::new(Mutex::new(rx));
    let mut started = 0;
    for i in 0..slots() {
        let rx = rx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("citecheck-cpu-{i}"))
            .spawn(move || {
                loop {
                    // The lock is held only to take one piece of work.
                    let work = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match work {
                        Ok(work) => work(),
                        Err(_) => return,
                    }
                }
            });
        started += usize::from(thread.is_ok());
    }
    (started > 0).then_some(tx)
});

/// Runs `work` on the CPU pool and waits for it; `None` if it panicked (the thread goes
/// on). Without a pool (no thread could be started) it runs on tokio's blocking pool.
pub async fn run<F, R>(work: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let Some(pool) = POOL.as_ref() else {
        return tokio::task::spawn_blocking(work).await.ok();
    };
    let (tx, rx) = oneshot::channel();
    let job: Work = Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        let _ = tx.send(result.ok());
    });
    pool.send(job).ok()?;
    rx.await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_than_the_slots_at_once() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                }))
            })
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap().unwrap();
        }
        assert_eq!(sum, (0..64).sum::<usize>());
        let most = most.load(Ordering::SeqCst);
        assert!(
            most >= 1 && most <= slots(),
            "{most} at once, {} slots",
            slots()
        );
    }

    #[tokio::test]
    async fn a_panic_is_none() {
        assert_eq!(run(|| -> u8 { panic!("boom") }).await, None);
    }
}

//! Stopping a run part-way: SIGINT (Ctrl-C), SIGTERM and SIGHUP, and `--deadline`.
//!
//! While the link stream runs it listens ([`listen`]): a signal or the deadline ends the
//! stream, the rows finished so far are written, the archive is closed, and the exit code is
//! 1 when those rows hold findings, else 3. After the link stream (the quote stage is short
//! and CPU-bound) a signal ends the process at once with exit code 3, as a second signal
//! always does. Until the first [`listen`], the signals keep their default action.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use tokio::sync::Notify;

/// Exit code of a run stopped (signal or deadline) without findings so far.
pub const STOPPED_EXIT_CODE: u8 = 3;

/// Why a run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// A signal, by name (`SIGINT`, `SIGTERM`, `SIGHUP`).
    Signal(&'static str),
    /// `--deadline` passed.
    Deadline,
}

impl std::fmt::Display for StopCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopCause::Signal(name) => write!(f, "stopped by {name}"),
            StopCause::Deadline => write!(f, "stopped at --deadline"),
        }
    }
}

/// The process's signal state: one listener task, installed on first use.
struct Signals {
    notify: Notify,
    caught: Mutex<Option<&'static str>>,
    /// A stage is listening: the first signal stops it instead of the process.
    listening: AtomicBool,
}

static SIGNALS: OnceLock<Signals> = OnceLock::new();

fn signals() -> &'static Signals {
    SIGNALS.get_or_init(|| {
        spawn_listener();
        Signals {
            notify: Notify::new(),
            caught: Mutex::new(None),
            listening: AtomicBool::new(false),
        }
    })
}

#[cfg(unix)]
fn spawn_listener() {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
    ];
    for (kind, name) in kinds {
        let Ok(mut stream) = signal(kind) else {
            tracing::warn!("cannot listen for {name}");
            continue;
        };
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                caught(name);
            }
        });
    }
}

#[cfg(not(unix))]
fn spawn_listener() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            caught("Ctrl-C");
        }
    });
}

fn caught(name: &'static str) {
    let Some(state) = SIGNALS.get() else { return };
    let mut caught = state.caught.lock().unwrap_or_else(|e| e.into_inner());
    if caught.is_some() || !state.listening.load(Ordering::SeqCst) {
        eprintln!("citecheck: {name}: stopping now");
        // A browser taking a screenshot is in its own process group: it goes too.
        crate::archive::shots::stop_running_browser();
        std::process::exit(i32::from(STOPPED_EXIT_CODE));
    }
    *caught = Some(name);
    state.notify.notify_waiters();
}

/// Listens for a stop while the returned guard lives (signals are caught from the first
/// call on, for the rest of the process).
pub fn listen(deadline: Option<Instant>) -> Listener {
    let state = signals();
    state.listening.store(true, Ordering::SeqCst);
    Listener { state, deadline }
}

/// A stage's ear for stops; dropping it hands signals back to "stop the process".
pub struct Listener {
    state: &'static Signals,
    deadline: Option<Instant>,
}

impl Listener {
    /// Resolves when the run must stop.
    pub async fn stopped(&self) -> StopCause {
        let deadline = async {
            match self.deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let signal = async {
            loop {
                let notified = self.state.notify.notified();
                if let Some(name) = *self.state.caught.lock().unwrap_or_else(|e| e.into_inner()) {
                    return name;
                }
                notified.await;
            }
        };
        tokio::select! {
            name = signal => StopCause::Signal(name),
            () = deadline => StopCause::Deadline,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.state.listening.store(false, Ordering::SeqCst);
    }
}

//! Progress on stderr: one bar per stage, drawn only when stderr is a terminal (never in CI,
//! never with `--no-progress`), and log lines that do not tear the bars.

use std::io::IsTerminal;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

static BARS: OnceLock<MultiProgress> = OnceLock::new();

/// The run's bars (hidden unless drawing is on).
pub fn bars() -> &'static MultiProgress {
    BARS.get_or_init(|| {
        let mp = MultiProgress::new();
        mp.set_draw_target(ProgressDrawTarget::hidden());
        mp
    })
}

/// Turns drawing on when it makes sense: stderr is a terminal, not CI, not refused.
pub fn enable(wanted: bool) {
    let draw = wanted && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if draw {
        bars().set_draw_target(ProgressDrawTarget::stderr());
    }
}

/// A bar for one stage with a known length (or a spinner when unknown).
pub fn stage_bar(name: &str, len: Option<u64>) -> ProgressBar {
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = bars().add(bar.with_style(style));
    bar.set_prefix(name.to_string());
    bar
}

/// A `tracing` writer that prints above the bars.
#[derive(Clone, Copy, Default)]
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        bars().suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter
    }
}

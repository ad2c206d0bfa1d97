//! The binary: parse arguments, build the runtime, run a command, map the outcome to an exit
//! code (0 clean, 1 findings, 2 could not run, 3 stopped part-way without findings). Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: a run allocates and frees many small buffers per URL
/// on several threads (bodies, headers, records), and glibc's malloc showed as 10–13 % of
/// the CPU of `check` (bench/profile.md). Built without transparent huge pages (`no_thp`):
/// they doubled the peak RSS of `run` and `check` for about 1.5 % of CPU (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = citecheck::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("CITECHECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(citecheck::LogWriter)
        .with_target(false)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .without_time()
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("citecheck: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(citecheck::execute(cli)) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(citecheck::Error::Write { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            // `citecheck text URL | head`: the reader has what it wanted.
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("citecheck: {e}");
            ExitCode::from(2)
        }
    }
}

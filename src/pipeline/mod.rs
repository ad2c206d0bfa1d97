//! The order of stages per command. Each stage is one bounded stream
//! (`buffer_unordered`), results are re-ordered by row before they are written, and one
//! item's failure is a value in its row while the run goes on.
//!
//! `run`:    sources ─▶ fetch ─▶ judge ─▶ extract ─▶ archive ─▶ links.csv
//!                                                       └──▶ texts ─▶ locate ─▶ report.csv
//! `check`:  sources ─▶ fetch (first 256 KiB) ─▶ judge ─▶ links.csv
//! `verify`: sources + archive/manifest.jsonl ─▶ texts ─▶ locate ─▶ report.csv
//!
//! This file is the dispatcher: one function per command. Beside it, one file per stage
//! runner: `links` (the link stream, duplicates, `--resume`), `page` (one URL fetched,
//! judged, probed, extracted, archived, rescued), `archived` (texts read back from the
//! archive), `quotes` (the quote stage), `ingest` and `text` (the two one-shot commands),
//! `merge` (shard outputs joined) and `pack` (the archive as a WACZ file).

mod archived;
mod ingest;
mod inputs;
mod links;
mod merge;
mod pack;
mod page;
mod quotes;
mod shots;
mod stop;
mod text;

use std::path::Path;

use crate::archive::session::{ArchiveSession, spawn_writer};
use crate::archive::store::ArchiveStore;
use crate::check::LinkStatus;
use crate::cli::{Cli, Command, OutputArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::publish::{Publisher, publisher_for};
use crate::report::rerender::{ReportFiles, RunFiles};
use std::collections::HashMap;

use self::archived::archived_texts;
use self::ingest::ingest;
use self::links::check_links;
use self::quotes::{QuoteStage, locate_quotes};
use self::text::text;

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Something `--fail-on` names was found.
    pub findings: bool,
    /// A signal or `--deadline` stopped the run before every row was checked.
    pub stopped: bool,
    /// Rows of the input files skipped as malformed (findings under `--fail-on input`).
    pub skipped_rows: usize,
}

impl Outcome {
    /// 0 clean, 1 findings (also in a stopped run: those so far), 3 stopped without findings.
    pub fn exit_code(self) -> u8 {
        if self.findings {
            1
        } else if self.stopped {
            stop::STOPPED_EXIT_CODE
        } else {
            0
        }
    }
}

/// Runs the command the user asked for.
pub async fn execute(cli: Cli) -> Result<Outcome> {
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    match command {
        Command::Run(args) => {
            let mut config = args.resolve()?;
            crate::progress::enable(config.progress);
            inputs::read_inputs(&mut config).await?;
            let outcome = run(&config).await?;
            if !outcome.stopped {
                html_after_run(&config, &args.output)?;
                wacz_after_run(&config, args.files.wacz.as_deref(), true)?;
            }
            Ok(outcome)
        }
        Command::Check(args) => {
            let mut config = args.resolve()?;
            crate::progress::enable(config.progress);
            inputs::read_inputs(&mut config).await?;
            let mut publisher = publisher_for(&config, true, false)?;
            let (outcome, _) = check_links(&config, None, None, None, &mut publisher).await?;
            publisher.map(Publisher::finish).transpose()?;
            if !outcome.stopped {
                html_after_run(&config, &args.output)?;
            }
            Ok(outcome)
        }
        Command::Verify(args) => {
            let mut config = args.resolve()?;
            crate::progress::enable(config.progress);
            inputs::read_inputs(&mut config).await?;
            let outcome = run(&config).await?;
            if !outcome.stopped {
                html_after_run(&config, &args.output)?;
                wacz_after_run(&config, args.files.wacz.as_deref(), !args.no_lock)?;
            }
            Ok(outcome)
        }
        Command::Ingest(args) => ingest(&args),
        Command::Text(args) => text(&args).await,
        Command::Merge(args) => merge::merge(&args),
        Command::Pack(args) => pack::pack_command(&args),
        Command::Report(args) => {
            let files = ReportFiles {
                links: args.links,
                report: args.report,
                archive: args.archive,
                html: args.html,
            };
            crate::report::rerender::report_command(&files).map(|()| Outcome::default())
        }
        Command::Completions(args) => {
            let mut script = Vec::new();
            crate::cli::write_completions(args.shell, &mut script);
            print_stdout(&script)
        }
        Command::Man(args) => match args.dir {
            Some(dir) => crate::cli::write_man_pages(&dir)
                .map(|()| Outcome::default())
                .map_err(|source| Error::Write { path: dir, source }),
            None => {
                let mut page = Vec::new();
                crate::cli::write_man_page(&mut page).map_err(|source| Error::Write {
                    path: "-".into(),
                    source,
                })?;
                print_stdout(&page)
            }
        },
    }
}

/// Writes a generated script or page to stdout.
fn print_stdout(bytes: &[u8]) -> Result<Outcome> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write {
            path: "-".into(),
            source,
        })?;
    Ok(Outcome::default())
}

/// `--html`: the editor's page, made from a run's CSVs once they are written.
fn html_after_run(config: &Config, output: &OutputArgs) -> Result<()> {
    let Some(html) = output.html.clone() else {
        return Ok(());
    };
    let run_files = RunFiles {
        sources: config.sources.clone(),
        quotes: config.quotes.clone(),
    };
    let files = ReportFiles {
        links: config.links.clone(),
        report: config.report.clone(),
        archive: config.archive.clone(),
        html,
    };
    crate::report::rerender::write_after_run(config.mode, &run_files, &files)
}

/// `--wacz FILE`: the archive packed once the run's CSVs are written.
fn wacz_after_run(config: &Config, wacz: Option<&Path>, lock: bool) -> Result<()> {
    match wacz {
        Some(wacz) => pack::pack_after_run(&config.archive, &config.report, wacz, lock),
        None => Ok(()),
    }
}

/// `run` (and `verify`, `run --offline`): links, archive, texts, quotes.
async fn run(config: &Config) -> Result<Outcome> {
    // Input files that cannot be used at all are said before the archive is opened or a
    // single request is made (hardening: fail fast on a bad file in CI).
    if !config.offline {
        config.input.open()?;
    }
    // The quotes are read first: every text is scanned for them as soon as it is had.
    let stage = QuoteStage::open(config)?;
    // `run --offline` and `verify` write links.csv from the archive: published too.
    let mut publisher = publisher_for(config, true, stage.is_some())?;
    let mut held_lock = None;
    let (link_outcome, sources) = if config.offline {
        let started = std::time::Instant::now();
        let (outcome, texts) = archived_texts(config, stage.as_deref(), &mut publisher)?;
        if config.screenshots.is_some() {
            held_lock = crate::archive::store::hold_lock(&config.archive).ok();
        }
        tracing::info!(
            "stage read+scan archived texts: {:.2} s",
            started.elapsed().as_secs_f64()
        );
        (outcome, texts)
    } else {
        // Opened before this run's WARC file exists: opening repairs what a crashed run left,
        // and must not touch the file this run is writing.
        let mut resumed_archive = if config.resume {
            Some(
                ArchiveStore::open(&config.archive).map_err(|source| Error::Read {
                    path: config.archive.clone(),
                    source,
                })?,
            )
        } else {
            None
        };
        // A resumed run's writer shares the index of the store that serves the kept rows.
        let session = match resumed_archive.as_mut() {
            Some(resumed) => resumed.share_index().and_then(|store| {
                ArchiveSession::with_store(store, &config.fetch.user_agent, config.warc_max_size)
            }),
            None => ArchiveSession::open(
                &config.archive,
                &config.fetch.user_agent,
                config.warc_max_size,
            ),
        }
        .map_err(|source| Error::Write {
            path: config.archive.clone(),
            source,
        })?;
        // The screenshots are written after this session has finished: the folder stays
        // this run's meanwhile.
        held_lock = crate::archive::store::hold_lock(&config.archive).ok();
        let (handle, writer) = spawn_writer(session);
        let started = std::time::Instant::now();
        let result = check_links(
            config,
            Some(handle),
            resumed_archive,
            stage.clone(),
            &mut publisher,
        )
        .await;
        tracing::info!(
            "stage check+extract+archive: {:.2} s",
            started.elapsed().as_secs_f64()
        );
        let finished = writer.join().map_err(|_| Error::Write {
            path: config.archive.clone(),
            source: std::io::Error::other("the archive writer panicked"),
        })?;
        let path = finished.map_err(|source| Error::Write {
            path: config.archive.clone(),
            source,
        })?;
        tracing::info!("archived to {}", path.display());
        let (outcome, texts) = result?;
        if outcome.stopped {
            // The quote stage needs every source: report.csv is left as it was, and the
            // renderings hold the link rows written so far.
            if let Some(mut p) = publisher {
                p.without_quotes();
                p.finish()?;
            }
            return Ok(outcome);
        }
        (outcome, texts)
    };
    let quote_outcome = match stage {
        Some(stage) => {
            let started = std::time::Instant::now();
            let (outcome, quotes) = locate_quotes(config, stage, &sources).await?;
            tracing::info!("stage locate: {:.2} s", started.elapsed().as_secs_f64());
            if let Some(p) = publisher.as_mut() {
                quotes.iter().flatten().for_each(|r| p.quote(r));
                p.skipped_rows(outcome.skipped_rows);
            }
            if let Some(settings) = config.screenshots.clone() {
                // Minutes of waiting on a browser: off the async threads.
                let (owned, rows) = (
                    config.clone(),
                    quotes.iter().flatten().cloned().collect::<Vec<_>>(),
                );
                tokio::task::spawn_blocking(move || {
                    shots::take_shots(&owned, &settings, rows.iter())
                })
                .await
                .map_err(|_| Error::Write {
                    path: config.archive.clone(),
                    source: std::io::Error::other("the screenshot stage panicked"),
                })??;
            }
            outcome
        }
        None => Outcome::default(),
    };
    drop(held_lock);
    let skipped_rows = link_outcome.skipped_rows + quote_outcome.skipped_rows;
    publisher.map(Publisher::finish).transpose()?;
    Ok(Outcome {
        findings: link_outcome.findings || quote_outcome.findings,
        stopped: false,
        skipped_rows,
    })
}

/// Says how many links of each status a run wrote (`N links: …` on stderr, `from_where`
/// after the number) and whether any of them is a finding.
fn link_outcome(
    config: &Config,
    counts: &HashMap<LinkStatus, usize>,
    from_where: &str,
    skipped_rows: usize,
    stopped: bool,
) -> Outcome {
    let total: usize = counts.values().sum();
    let summary: Vec<String> = LinkStatus::ALL
        .iter()
        .filter_map(|s| counts.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    eprintln!(
        "{total} links{from_where}: {}",
        if summary.is_empty() {
            "none".to_string()
        } else {
            summary.join(", ")
        }
    );
    Outcome {
        findings: counts.keys().any(|s| config.fail_on.fails_link(*s))
            || (skipped_rows > 0 && config.fail_on.fails_input()),
        stopped,
        skipped_rows,
    }
}

/// A CSV writer's error as the fatal write error of the file it was writing.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    let source = match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    };
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

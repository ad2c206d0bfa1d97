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
//! archive), `quotes` (the quote stage), `ingest` and `text` (the two one-shot commands).

mod archived;
mod ingest;
mod links;
mod page;
mod quotes;
mod text;

use std::path::Path;

use crate::archive::session::{ArchiveSession, spawn_writer};
use crate::archive::store::ArchiveStore;
use crate::cli::{Cli, Command, RunArgs};
use crate::config::{Config, Mode};
use crate::error::{Error, Result};
use crate::input::SourceReader;
use crate::report::publish::{Publisher, publisher_for};
use crate::report::rerender::{ReportFiles, RunFiles};

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
}

impl Outcome {
    /// 0 clean, 1 findings.
    pub fn exit_code(self) -> u8 {
        u8::from(self.findings)
    }
}

/// Runs the command the user asked for.
pub async fn execute(cli: Cli) -> Result<Outcome> {
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    // `--html`: the editor's page is made from the CSVs once they are written.
    let html_after = match &command {
        Command::Run(args) => html_after_run(Mode::Run, args),
        Command::Check(args) => html_after_run(Mode::Check, args),
        Command::Verify(args) => html_after_run(Mode::Verify, args),
        _ => None,
    };
    let outcome = match command {
        Command::Run(args) => {
            let config = args.resolve(Mode::Run)?;
            crate::progress::enable(config.progress);
            run(&config).await
        }
        Command::Check(args) => {
            let config = args.resolve(Mode::Check)?;
            crate::progress::enable(config.progress);
            let mut publisher = publisher_for(&config, true, false)?;
            let (outcome, _) = check_links(&config, None, None, None, &mut publisher).await?;
            publisher.map(Publisher::finish).transpose()?;
            Ok(outcome)
        }
        Command::Verify(args) => {
            let config = args.resolve(Mode::Verify)?;
            run(&config).await
        }
        Command::Ingest(args) => ingest(&args),
        Command::Text(args) => text(&args).await,
        Command::Report(args) => {
            let files = ReportFiles {
                links: args.links,
                report: args.report,
                archive: args.archive,
                html: args.html,
            };
            crate::report::rerender::report_command(&files).map(|()| Outcome::default())
        }
    }?;
    if let Some((mode, run_files, files)) = html_after {
        crate::report::rerender::write_after_run(mode, &run_files, &files)?;
    }
    Ok(outcome)
}

/// `--html`: what the editor's page is made from once a run's CSVs are written.
fn html_after_run(mode: Mode, args: &RunArgs) -> Option<(Mode, RunFiles, ReportFiles)> {
    let html = args.html.clone()?;
    let run_files = RunFiles {
        sources: args.sources.clone(),
        quotes: args.quotes.clone(),
    };
    let files = ReportFiles {
        links: args.links.clone(),
        report: args.report.clone(),
        archive: args.archive.clone(),
        html,
    };
    Some((mode, run_files, files))
}

/// `run` (and `verify`, `run --offline`): links, archive, texts, quotes.
async fn run(config: &Config) -> Result<Outcome> {
    // Input files that cannot be used at all are said before the archive is opened or a
    // single request is made (hardening: fail fast on a bad file in CI).
    if !config.offline {
        SourceReader::open(&config.sources)?;
    }
    // The quotes are read first: every text is scanned for them as soon as it is had.
    let stage = QuoteStage::open(config)?;
    let mut publisher = publisher_for(config, !config.offline, stage.is_some())?;
    let (link_outcome, sources) = if config.offline {
        let started = std::time::Instant::now();
        let texts = archived_texts(config, stage.as_deref())?;
        tracing::info!(
            "stage read+scan archived texts: {:.2} s",
            started.elapsed().as_secs_f64()
        );
        (Outcome::default(), texts)
    } else {
        // Opened before this run's WARC file exists: opening repairs what a crashed run left,
        // and must not touch the file this run is writing.
        let resumed_archive = if config.resume {
            Some(
                ArchiveStore::open(&config.archive).map_err(|source| Error::Read {
                    path: config.archive.clone(),
                    source,
                })?,
            )
        } else {
            None
        };
        let session = ArchiveSession::open(
            &config.archive,
            &config.fetch.user_agent,
            config.warc_max_size,
        )
        .map_err(|source| Error::Write {
            path: config.archive.clone(),
            source,
        })?;
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
        result?
    };
    let quote_outcome = match stage {
        Some(stage) => {
            let started = std::time::Instant::now();
            let (outcome, quotes) = locate_quotes(config, stage, &sources).await?;
            tracing::info!("stage locate: {:.2} s", started.elapsed().as_secs_f64());
            if let Some(p) = publisher.as_mut() {
                quotes.iter().flatten().for_each(|r| p.quote(r));
            }
            outcome
        }
        None => Outcome::default(),
    };
    publisher.map(Publisher::finish).transpose()?;
    Ok(Outcome {
        findings: link_outcome.findings || quote_outcome.findings,
    })
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

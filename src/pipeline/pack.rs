//! `pack`, and `--wacz` after `run` and `verify`: the archive as one WACZ file
//! ([`crate::archive::wacz`]), with the quotes of the run's report.csv in its pages list.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::archive::store::url_key;
use crate::archive::wacz::{PackOptions, PageQuote, pack};
use crate::cli::PackArgs;
use crate::error::{Error, Result};
use crate::report::rerender::read_quote_rows;

use super::Outcome;

/// Runs `pack`.
pub(super) fn pack_command(args: &PackArgs) -> Result<Outcome> {
    let report = match &args.report {
        Some(path) if !path.is_file() => {
            return Err(Error::Read {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        Some(path) => Some(path.clone()),
        None => Some(PathBuf::from("report.csv")).filter(|p| p.is_file()),
    };
    pack_archive(&args.archive, report.as_deref(), &args.output, true)?;
    Ok(Outcome::default())
}

/// `--wacz FILE` after a run: the report is the one the run just wrote (none when it went to
/// stdout). `lock` is false under `verify --no-lock`.
pub(super) fn pack_after_run(archive: &Path, report: &Path, wacz: &Path, lock: bool) -> Result<()> {
    let report = (report != Path::new("-") && report.is_file()).then_some(report);
    pack_archive(archive, report, wacz, lock)
}

fn pack_archive(archive: &Path, report: Option<&Path>, output: &Path, lock: bool) -> Result<()> {
    let quotes = match report {
        Some(path) => quotes_by_page(path)?,
        None => HashMap::new(),
    };
    let name = archive
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "archive".into());
    let options = PackOptions {
        title: format!("Cited sources archived by citecheck ({name})"),
        software: format!("citecheck {}", env!("CARGO_PKG_VERSION")),
        quotes,
        lock,
    };
    let packed = pack(archive, output, &options).map_err(|source| Error::Write {
        path: output.to_path_buf(),
        source,
    })?;
    for warning in &packed.warnings {
        tracing::warn!("{}: {warning}", archive.display());
    }
    eprintln!(
        "packed {} into {}: {} pages ({} with quotes), {} WARC files, {} index lines, {} bytes",
        archive.display(),
        output.display(),
        packed.pages,
        packed.pages_with_quotes,
        packed.warc_files,
        packed.index_lines,
        packed.bytes
    );
    Ok(())
}

/// The quotes of a report.csv that were found in a page, by that page's [`url_key`].
fn quotes_by_page(report: &Path) -> Result<HashMap<String, Vec<PageQuote>>> {
    let mut by_page: HashMap<String, Vec<PageQuote>> = HashMap::new();
    for row in read_quote_rows(report)? {
        if row.source_url.is_empty() || row.start.is_none() {
            continue;
        }
        by_page
            .entry(url_key(&row.source_url))
            .or_default()
            .push(PageQuote {
                id: row.id,
                quote: row.quote,
                verdict: row.verdict.as_str().to_string(),
                start: row.start,
                end: row.end,
                matched_text: row.matched_text,
            });
    }
    Ok(by_page)
}

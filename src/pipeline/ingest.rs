//! `ingest`: a document to sources.csv and quotes.csv.

use std::path::Path;

use crate::cli::IngestArgs;
use crate::error::{Error, Result};

use super::{Outcome, csv_error};

/// `ingest`: a document's cited URLs and quotations to `sources.csv` and `quotes.csv`.
/// Both files are written only when the document could be read, each atomically, and
/// neither replaces an existing file unless `--force` is given.
pub(super) fn ingest(args: &IngestArgs) -> Result<Outcome> {
    let stdout = |p: &Path| p.as_os_str() == "-";
    if stdout(&args.sources_out) && stdout(&args.quotes_out) {
        return Err(Error::Usage(
            "--sources-out - and --quotes-out - both write to stdout; send one of them to a \
             file"
                .into(),
        ));
    }
    if !args.force {
        let existing: Vec<String> = [&args.sources_out, &args.quotes_out]
            .into_iter()
            .filter(|p| !stdout(p) && p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Error::Usage(format!(
                "{} already exist{}; ingest does not replace files unless given --force \
                 (nothing was written)",
                existing.join(" and "),
                if existing.len() == 1 { "s" } else { "" }
            )));
        }
    }
    let bytes = std::fs::read(&args.document).map_err(|source| Error::Read {
        path: args.document.clone(),
        source,
    })?;
    let document =
        crate::input::document::ingest_file(&args.document, &bytes).map_err(|e| Error::Input {
            path: args.document.clone(),
            reason: e.to_string(),
        })?;
    let name = args.document.display();
    for warning in &document.warnings {
        tracing::warn!("{name}: {warning}");
    }
    for skipped in &document.skipped {
        eprintln!("{name}: skipped {skipped}");
    }
    for (line, reason) in &document.unpaired {
        eprintln!("{name}:{line}: {reason}");
    }
    let mut sources = csv::Writer::from_writer(Vec::new());
    let mut quotes = csv::Writer::from_writer(Vec::new());
    let rendered: csv::Result<()> = (|| {
        sources.write_record(["id", "url", "line"])?;
        let cited = document
            .urls
            .iter()
            .filter(|u| u.role == crate::input::document::UrlRole::Citation);
        for (i, url) in cited.enumerate() {
            sources.write_record([format!("S{}", i + 1), url.url.clone(), url.line.to_string()])?;
        }
        quotes.write_record(["id", "theme", "quote", "source", "pairing", "line"])?;
        for (i, quote) in document.quotes.iter().enumerate() {
            quotes.write_record([
                format!("Q{}", i + 1),
                quote.theme.clone().unwrap_or_default(),
                quote.text.clone(),
                quote.source.clone().unwrap_or_default(),
                quote
                    .pairing
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                quote.line.to_string(),
            ])?;
        }
        Ok(())
    })();
    rendered.map_err(|e| csv_error(&args.sources_out, e))?;
    let sources = sources.into_inner().map_err(|e| Error::Write {
        path: args.sources_out.clone(),
        source: e.into_error(),
    })?;
    let quotes = quotes.into_inner().map_err(|e| Error::Write {
        path: args.quotes_out.clone(),
        source: e.into_error(),
    })?;
    write_atomically(&args.sources_out, &sources)?;
    write_atomically(&args.quotes_out, &quotes)?;
    let paired = document
        .quotes
        .iter()
        .filter(|q| q.source.is_some())
        .count();
    eprintln!(
        "{name}: {}; {paired} of {} quotations paired with a source; wrote {} and {}",
        document.summary(),
        document.quotes.len(),
        args.sources_out.display(),
        args.quotes_out.display()
    );
    Ok(Outcome::default())
}

/// Writes a whole file through a temporary file in the same folder, then renames it, so a
/// reader never sees half a file; `-` writes to stdout (as every output is written:
/// [`crate::report::publish::write_replacing`]).
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::report::publish::write_replacing(path, |out| out.write_all(bytes))
}

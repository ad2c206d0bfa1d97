//! `merge`: the outputs of `--shard K/N` runs made into one run's outputs. The links CSVs
//! become one links.csv in the order of the sources file (each shard's rows are already in
//! that order, so this is a k-way merge that holds one row per shard); the archive folders
//! become one archive ([`crate::archive::merge`]). Quotes are located afterwards, on the
//! merged archive, by `verify`.

use std::path::{Path, PathBuf};

use crate::archive::merge::merge_archives;
use crate::cli::MergeArgs;
use crate::error::{Error, Result};
use crate::input::SourceReader;
use crate::report::csv_guard;
use crate::report::open_output;

use super::{Outcome, csv_error};

/// Runs `merge`.
pub(super) fn merge(args: &MergeArgs) -> Result<Outcome> {
    let mut csvs = Vec::new();
    let mut dirs = Vec::new();
    for path in &args.shards {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => dirs.push(path.clone()),
            Ok(_) => csvs.push(path.clone()),
            Err(source) => {
                return Err(Error::Read {
                    path: path.clone(),
                    source,
                });
            }
        }
    }
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if let Some(input) = csvs.iter().find(|p| same(p, &args.links)) {
        return Err(Error::Usage(format!(
            "{} is both a shard's links and the merged --links: name another file",
            input.display()
        )));
    }
    if !csvs.is_empty() {
        let rows = merge_links(&csvs, &args.sources, &args.links)?;
        eprintln!(
            "merged {rows} links from {} files into {}",
            csvs.len(),
            args.links.display()
        );
    }
    if !dirs.is_empty() {
        let merged = merge_archives(&dirs, &args.archive).map_err(|source| Error::Write {
            path: args.archive.clone(),
            source,
        })?;
        let shots = match merged.shots {
            0 => String::new(),
            n => format!(", {n} screenshots"),
        };
        eprintln!(
            "merged {} archives into {}: {} captures, {} WARC files ({} renamed), {} texts{shots}",
            merged.shards,
            args.archive.display(),
            merged.captures,
            merged.warc_files,
            merged.renamed,
            merged.texts
        );
    }
    Ok(Outcome::default())
}

/// One shard's links CSV, read a row at a time.
struct ShardRows {
    path: PathBuf,
    rows: csv::StringRecordsIntoIter<std::fs::File>,
    head: Option<csv::StringRecord>,
}

impl ShardRows {
    fn advance(&mut self) -> Result<()> {
        self.head = self.rows.next().transpose().map_err(|e| Error::Input {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        Ok(())
    }
}

/// Writes the rows of `files` to `out` in the order of `sources`; returns how many. A row a
/// shard holds that the sources file does not is written at the end, with a warning; a row
/// two shards both hold (an invalid URL has no host, so every shard writes it) is written
/// once.
fn merge_links(files: &[PathBuf], sources: &Path, out: &Path) -> Result<usize> {
    let mut shards = Vec::new();
    let mut header: Option<csv::StringRecord> = None;
    for path in files {
        let file = std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let mut reader = csv::Reader::from_reader(file);
        let this = reader.headers().map_err(|e| Error::Input {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        match &header {
            Some(first) if first != this => {
                return Err(Error::Input {
                    path: path.clone(),
                    reason: format!(
                        "its columns differ from those of {}: are both links CSVs of the same \
                         version?",
                        files[0].display()
                    ),
                });
            }
            Some(_) => {}
            None => header = Some(this.clone()),
        }
        let mut shard = ShardRows {
            path: path.clone(),
            rows: reader.into_records(),
            head: None,
        };
        shard.advance()?;
        shards.push(shard);
    }
    let header = header.unwrap_or_default();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Input {
                path: files[0].clone(),
                reason: format!("no `{name}` column: not a links CSV"),
            })
    };
    let (id_col, url_col) = (column("id")?, column("url")?);
    let mut writer = csv::Writer::from_writer(open_output(out)?);
    writer
        .write_record(&header)
        .map_err(|e| csv_error(out, e))?;
    let mut written = 0;
    let mut reader = SourceReader::open(sources)?;
    while let Some(item) = reader.next_source()? {
        let Ok(source) = item else { continue };
        // The CSVs were written with or without the formula guard: both spellings match.
        let id = [source.id.clone(), csv_guard::cell(&source.id, true)];
        let url = [source.url.clone(), csv_guard::cell(&source.url, true)];
        let mut done = false;
        for shard in &mut shards {
            let Some(row) = &shard.head else { continue };
            let matches = id.iter().any(|i| row.get(id_col) == Some(i.as_str()))
                && url.iter().any(|u| row.get(url_col) == Some(u.as_str()));
            if matches {
                if !done {
                    writer.write_record(row).map_err(|e| csv_error(out, e))?;
                    written += 1;
                    done = true;
                }
                shard.advance()?;
            }
        }
    }
    for shard in &mut shards {
        let mut left = 0;
        while let Some(row) = shard.head.take() {
            writer.write_record(&row).map_err(|e| csv_error(out, e))?;
            written += 1;
            left += 1;
            shard.advance()?;
        }
        if left > 0 {
            tracing::warn!(
                "{}: {left} rows are not in {} (in that order); written at the end",
                shard.path.display(),
                sources.display()
            );
        }
    }
    writer.flush().map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(written)
}

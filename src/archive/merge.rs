//! `citecheck merge`: the archive folders of `--shard K/N` runs made into one archive.
//!
//! - Each shard is opened first as `verify` opens it ([`ArchiveStore::open`]), which repairs
//!   a WARC file a killed run left `.open`.
//! - WARC files are hard-linked into the merged folder (copied where a hard link cannot
//!   be made, e.g. across file systems). Names are kept; a name another shard already
//!   used gets `-<shard number>` before `.warc.gz`, and the manifest lines and index lines
//!   that name it are rewritten to match.
//! - `text/` files are named by a hash of the cited URL, so shards do not collide; a file
//!   two shards both hold is taken from the later shard (its manifest line comes later and
//!   wins too).
//! - `manifest.jsonl`: the shards' lines, shard after shard (the latest capture of a URL
//!   wins by position, as in one archive).
//! - `index.cdxj`: every shard's lines, sorted bytewise into one index (external sort,
//!   bounded memory: [`super::cdxj::IndexLines`]).
//! - `shots/` (`run --screenshots`): the pictures as the texts, and `shots.jsonl` as the
//!   manifest (lines shard after shard, WARC files renamed to match).

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use super::cdxj::{INDEX_FILE, IndexLines};
use super::shots::SHOTS_MANIFEST;
use super::store::{ArchiveStore, MANIFEST_FILE, SHOTS_DIR, TEXT_DIR};

/// What a merge did, for the message at its end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Archive folders read.
    pub shards: usize,
    /// WARC files linked or copied.
    pub warc_files: usize,
    /// Of those, the ones renamed because another shard had the name.
    pub renamed: usize,
    /// Manifest lines written.
    pub captures: usize,
    /// Text files linked or copied.
    pub texts: usize,
    /// Screenshots linked or copied.
    pub shots: usize,
}

/// Merges the archive folders `shards` into `out` (created; it must not hold a manifest
/// yet, so that a merge never mixes into an archive in use).
pub fn merge_archives(shards: &[PathBuf], out: &Path) -> io::Result<Merged> {
    if out.join(MANIFEST_FILE).exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already holds an archive (manifest.jsonl); merge into a new folder",
                out.display()
            ),
        ));
    }
    fs::create_dir_all(out.join(TEXT_DIR))?;
    let mut merged = Merged::default();
    let mut manifest = io::BufWriter::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out.join(MANIFEST_FILE))?,
    );
    let mut index = IndexLines::new(out);
    let mut taken: HashMap<String, usize> = HashMap::new();
    for (k, shard) in shards.iter().enumerate() {
        // Repairs what a killed run left; its warnings are the shard's own.
        let store = ArchiveStore::open(shard)?;
        for warning in store.warnings() {
            tracing::warn!("{}: {warning}", shard.display());
        }
        drop(store);
        merged.shards += 1;
        let mut renames: HashMap<String, String> = HashMap::new();
        let mut names: Vec<String> = fs::read_dir(shard)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".warc.gz"))
            .collect();
        names.sort();
        for name in names {
            let target = if taken.contains_key(&name) {
                let stem = name.trim_end_matches(".warc.gz");
                let mut n = k + 1;
                let mut candidate = format!("{stem}-{n}.warc.gz");
                while taken.contains_key(&candidate) {
                    n += shards.len();
                    candidate = format!("{stem}-{n}.warc.gz");
                }
                renames.insert(name.clone(), candidate.clone());
                merged.renamed += 1;
                candidate
            } else {
                name.clone()
            };
            link_or_copy(&shard.join(&name), &out.join(&target))?;
            taken.insert(target, k);
            merged.warc_files += 1;
        }
        merged.texts += link_files(&shard.join(TEXT_DIR), &out.join(TEXT_DIR), |_| true)?;
        let shots = shard.join(SHOTS_DIR);
        if shots.is_dir() {
            fs::create_dir_all(out.join(SHOTS_DIR))?;
            merged.shots +=
                link_files(&shots, &out.join(SHOTS_DIR), |name| name.ends_with(".png"))?;
            let mut lines = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(out.join(SHOTS_MANIFEST))?;
            for line in read_lines(&shard.join(SHOTS_MANIFEST))? {
                let line = rename_in_manifest_line(line?, &renames);
                lines.write_all(format!("{line}\n").as_bytes())?;
            }
            lines.sync_all()?;
        }
        for line in read_lines(&shard.join(MANIFEST_FILE))? {
            let line = line?;
            let line = rename_in_manifest_line(line, &renames);
            manifest.write_all(line.as_bytes())?;
            manifest.write_all(b"\n")?;
            merged.captures += 1;
        }
        for line in read_lines(&shard.join(INDEX_FILE))? {
            let line = line?;
            index.push(rename_in_index_line(line, &renames))?;
        }
    }
    manifest.flush()?;
    manifest.get_ref().sync_all()?;
    index.finish()?;
    Ok(merged)
}

/// Links (or copies) the plain files of `from` whose names `take` accepts into `to`; a file
/// of that name already there (from an earlier shard) is replaced. None when `from` is not
/// a folder.
fn link_files(from: &Path, to: &Path, take: impl Fn(&str) -> bool) -> io::Result<usize> {
    if !from.is_dir() {
        return Ok(0);
    }
    let mut linked = 0;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() || !take(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let target = to.join(entry.file_name());
        if target.exists() {
            fs::remove_file(&target)?;
        }
        link_or_copy(&entry.path(), &target)?;
        linked += 1;
    }
    Ok(linked)
}

/// The non-blank lines of a file, read as they go (a shard's manifest and index are as large
/// as its archive); none when it does not exist.
fn read_lines(path: &Path) -> io::Result<impl Iterator<Item = io::Result<String>>> {
    let file = match super::files::open_read(path) {
        Ok(file) => Some(io::BufReader::new(file)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    Ok(file
        .into_iter()
        .flat_map(BufRead::lines)
        .filter(|l| l.as_ref().map_or(true, |l| !l.trim().is_empty())))
}

/// A hard link, or a copy where the file system refuses one.
fn link_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    super::files::refuse_symlink(from)?;
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to)?;
    }
    Ok(())
}

/// A manifest line with its `warc_file` renamed (lines that need no rename are kept byte
/// for byte).
fn rename_in_manifest_line(line: String, renames: &HashMap<String, String>) -> String {
    rename_field(line, "warc_file", renames, 0)
}

/// A CDXJ line (`SURT TIMESTAMP {json}`) with its `filename` renamed.
fn rename_in_index_line(line: String, renames: &HashMap<String, String>) -> String {
    let json_at = line.find('{').unwrap_or(line.len());
    rename_field(line, "filename", renames, json_at)
}

fn rename_field(
    line: String,
    field: &str,
    renames: &HashMap<String, String>,
    json_at: usize,
) -> String {
    if renames.is_empty() {
        return line;
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&line[json_at..]) else {
        return line;
    };
    let Some(new) = value
        .get(field)
        .and_then(|v| v.as_str())
        .and_then(|old| renames.get(old))
        .cloned()
    else {
        return line;
    };
    value[field] = serde_json::Value::String(new);
    format!("{}{value}", &line[..json_at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_files_are_renamed_in_manifest_and_index_lines() {
        let renames: HashMap<String, String> =
            [("a.warc.gz".to_string(), "a-2.warc.gz".to_string())].into();
        let line = r#"{"cited_url":"https://x.nl/","warc_file":"a.warc.gz","offset":0}"#;
        let renamed = rename_in_manifest_line(line.to_string(), &renames);
        let value: serde_json::Value = serde_json::from_str(&renamed).unwrap();
        assert_eq!(value["warc_file"], "a-2.warc.gz");
        assert_eq!(value["offset"], 0);
        let other = r#"{"warc_file":"b.warc.gz"}"#;
        assert_eq!(rename_in_manifest_line(other.to_string(), &renames), other);
        let cdxj = r#"nl,x)/ 20201102000000 {"url":"https://x.nl/","filename":"a.warc.gz"}"#;
        let renamed = rename_in_index_line(cdxj.to_string(), &renames);
        assert!(renamed.starts_with("nl,x)/ 20201102000000 {"), "{renamed}");
        assert!(renamed.contains(r#""filename":"a-2.warc.gz""#), "{renamed}");
    }

    /// A shard run with `--screenshots` keeps its pictures in the merge, and each line of
    /// `shots.jsonl` names the WARC file its record is in after the renames.
    #[test]
    fn screenshots_are_merged_with_their_warc_files_renamed() {
        let root = tempfile::tempdir().unwrap();
        let shards: Vec<PathBuf> = ["a", "b"].iter().map(|s| root.path().join(s)).collect();
        for (shard, png) in shards.iter().zip(["one", "two"]) {
            fs::create_dir_all(shard.join(SHOTS_DIR)).unwrap();
            fs::write(shard.join("run.warc.gz"), png).unwrap();
            fs::write(shard.join(SHOTS_DIR).join(format!("{png}.png")), png).unwrap();
            let line = format!(
                r#"{{"quote_id":"{png}","path":"shots/{png}.png","warc_file":"run.warc.gz","offset":0}}"#
            );
            fs::write(shard.join(SHOTS_MANIFEST), format!("{line}\n")).unwrap();
        }
        let out = root.path().join("merged");
        let merged = merge_archives(&shards, &out).unwrap();
        assert_eq!((merged.shots, merged.renamed), (2, 1));
        let lines: Vec<serde_json::Value> = fs::read_to_string(out.join(SHOTS_MANIFEST))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        for (line, png) in lines.iter().zip(["one", "two"]) {
            assert_eq!(line["quote_id"], png);
            let warc = line["warc_file"].as_str().unwrap();
            // The record's file is the one from the same shard (its bytes say which).
            assert_eq!(fs::read_to_string(out.join(warc)).unwrap(), png);
            let path = line["path"].as_str().unwrap();
            assert_eq!(fs::read_to_string(out.join(path)).unwrap(), png);
        }
        assert_eq!(lines[1]["warc_file"], "run-2.warc.gz");
    }
}

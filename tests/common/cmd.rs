//! Helpers every area of the end-to-end tests uses: the binary with proxies disabled, CSV
//! reading and masking for snapshots, sources files, and runs killed part-way.

use std::collections::HashMap;
use std::path::Path;

use assert_cmd::Command;

use super::FixtureSite;

/// The binary, with proxies disabled (reqwest would send even 127.0.0.1 through one).
pub fn citecheck(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("citecheck").unwrap();
    cmd.current_dir(dir)
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        // Run inside GitHub Actions, the tests must not annotate the job or write its summary.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE");
    cmd
}

/// Rows of a CSV file as maps.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    rows_of(csv::Reader::from_path(path).unwrap())
}

/// Rows of any CSV reader as maps (header → value).
pub fn rows_of<R: std::io::Read>(mut reader: csv::Reader<R>) -> Vec<HashMap<String, String>> {
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A CSV with the port masked and times stripped, for snapshots.
pub fn masked(
    path: &Path,
    site: &FixtureSite,
    drop_columns: &[&str],
    also: &[(&str, &str)],
) -> String {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let keep: Vec<usize> = (0..headers.len())
        .filter(|i| !drop_columns.contains(&&headers[*i]))
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(keep.iter().map(|i| &headers[*i])).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        out.write_record(keep.iter().map(|i| {
            let mut value = record[*i].replace(&site.addr.to_string(), "[ADDR]");
            for (from, to) in also {
                value = value.replace(from, to);
            }
            value
        }))
        .unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

pub const SITE: &str = "https://www.overheidvannu.nl";

/// The seed's cited URLs, remapped to the fixture site.
pub fn seed_sources(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("sources.csv"), dir.join("sources.csv")).unwrap();
    std::fs::copy(root.join("quotes.csv"), dir.join("quotes.csv")).unwrap();
}

/// Keeps the WARC files a test wrote, for `.ci/run` to read with warcio and cdxj-indexer.
pub fn keep_warcs(archive: &Path, tag: &str) -> Vec<std::path::PathBuf> {
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-warcs");
    std::fs::create_dir_all(&keep).unwrap();
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(archive).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".warc.gz") {
            let name = format!("{tag}-{}", path.file_name().unwrap().to_string_lossy());
            std::fs::copy(&path, keep.join(&name)).unwrap();
            kept.push(path);
        }
    }
    kept
}

/// Where to kill a run: once the manifest has this many lines, or after this long.
#[derive(Debug, Clone, Copy)]
pub enum KillPoint {
    ManifestLines(usize),
    After(std::time::Duration),
}

/// A sources file of `n` distinct, slowish pages.
pub fn write_slow_sources(dir: &Path, n: usize) {
    let mut sources = String::from("url\n");
    for i in 0..n {
        sources.push_str(&format!("{SITE}/slow/{i}\n"));
    }
    std::fs::write(dir.join("sources.csv"), sources).unwrap();
}

/// Starts `citecheck run` in `dir` and kills it with SIGKILL (no chance to clean up) at
/// `point`. Returns the number of WARC files left `.open`.
pub fn kill_run_at(site: &FixtureSite, dir: &Path, point: KillPoint) -> usize {
    kill_run_with(site, dir, point, &[])
}

/// [`kill_run_at`] with more arguments for the run.
pub fn kill_run_with(site: &FixtureSite, dir: &Path, point: KillPoint, extra: &[&str]) -> usize {
    let archive = dir.join("archive");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"))
        .current_dir(dir)
        .env("NO_PROXY", "*")
        .args([
            "run",
            "--no-rescue",
            "--host-interval",
            "0",
            "--concurrency",
            "4",
        ])
        .args(extra)
        .args(site.remap_args())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    match point {
        KillPoint::ManifestLines(lines) => {
            let manifest = archive.join("manifest.jsonl");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while std::fs::read_to_string(&manifest).map_or(0, |m| m.lines().count()) < lines {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the run made no progress"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        KillPoint::After(wait) => std::thread::sleep(wait),
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    std::fs::read_dir(&archive).map_or(0, |entries| {
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".warc.gz.open"))
            .count()
    })
}

/// Runs again over one page, which must repair whatever a killed run left, then checks the
/// archive is whole (see [`assert_archive_whole`]). Returns the number of WARC files.
pub fn rerun_and_check_recovery(site: &FixtureSite, dir: &Path) -> usize {
    std::fs::write(dir.join("sources.csv"), format!("url\n{SITE}/slow/1\n")).unwrap();
    let output = citecheck(dir)
        .args(["run", "--no-rescue"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let archive = dir.join("archive");
    let manifest = assert_archive_whole(&archive);
    assert!(
        manifest
            .iter()
            .any(|e| e["cited_url"] == format!("{SITE}/slow/1")),
        "the repairing run's own capture is missing"
    );
    std::fs::read_dir(&archive)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .ends_with(".warc.gz")
        })
        .count()
}

/// A sources file: header, then one row per (id, path on the fixture site).
pub fn write_sources(dir: &Path, rows: &[(&str, &str)]) {
    let mut text = String::from("id,url\n");
    for (id, path) in rows {
        if path.contains("://") {
            text.push_str(&format!("{id},{path}\n"));
        } else {
            text.push_str(&format!("{id},{SITE}{path}\n"));
        }
    }
    std::fs::write(dir.join("sources.csv"), text).unwrap();
}

/// `run` against the fixture site, quick settings, no web-archive look-ups.
pub fn run_cmd(dir: &Path, site: &FixtureSite) -> Command {
    let mut cmd = citecheck(dir);
    cmd.args([
        "run",
        "--host-interval",
        "0",
        "--retries",
        "0",
        "--no-rescue",
    ])
    .args(site.remap_args());
    cmd
}

/// `check` against the fixture site, quick settings.
pub fn check_cmd(dir: &Path, site: &FixtureSite) -> Command {
    let mut cmd = citecheck(dir);
    cmd.args([
        "check",
        "--retries",
        "0",
        "--timeout",
        "5",
        "--host-interval",
        "0",
    ])
    .args(site.remap_args());
    cmd
}

/// Checks an archive folder as a whole: no `.open` file, every WARC reads back to its end
/// with no torn tail and with block digests that hold, and every manifest line parses and
/// points at a record that exists. Returns the manifest entries.
pub fn assert_archive_whole(archive: &Path) -> Vec<serde_json::Value> {
    for entry in std::fs::read_dir(archive).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().to_string();
        assert!(!name.ends_with(".open"), "{name} left open");
        if name.ends_with(".warc.gz") {
            let contents = citecheck::read_records(&path).unwrap();
            assert!(
                contents.torn_tail.is_none(),
                "{name}: {:?}",
                contents.torn_tail
            );
            for record in &contents.records {
                assert_eq!(
                    record.header("WARC-Block-Digest"),
                    Some(citecheck::dev::sha1_digest(&record.block).as_str()),
                    "{name}"
                );
            }
        }
    }
    let manifest = archive.join("manifest.jsonl");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = archive.join(entry["warc_file"].as_str().unwrap());
        let record = citecheck::read_record_at(
            &file,
            entry["offset"].as_u64().unwrap(),
            entry["length"].as_u64().unwrap(),
        )
        .unwrap();
        assert_eq!(record.record_id(), entry["record_id"].as_str());
        if let Some(text_path) = entry["text_path"].as_str() {
            assert!(archive.join(text_path).is_file(), "{text_path}");
        }
        entries.push(entry);
    }
    entries
}

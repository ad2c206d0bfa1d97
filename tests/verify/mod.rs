//! `verify` reads the archive and writes nothing into it: what a stopped run left is
//! repaired only by `run` or `verify --repair`; a read-only archive can be verified; its
//! messages say what is wrong (no folder, nothing archived yet, a run holding the lock,
//! a folder it may not write to).

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::FixtureSite;
use crate::common::cmd::*;

/// `citecheck verify ARGS` in `dir`: its exit code and stderr.
fn verify(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = citecheck(dir).arg("verify").args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every file under `dir` with its bytes (folders as empty entries).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                files.insert(format!("{name}/"), Vec::new());
                stack.push(path);
            } else {
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The seed archived by an online run against the fixture site.
fn archived_seed(site: &FixtureSite, dir: &Path) {
    seed_sources(dir);
    let output = citecheck(dir)
        .args(["run", "--host-interval", "0", "--no-probe"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What a run killed part-way leaves: a torn manifest line, an unfinished WARC file, and a
/// text file that no longer matches its manifest hash.
fn damage(archive: &Path) -> String {
    use std::io::Write;
    let mut manifest = std::fs::OpenOptions::new()
        .append(true)
        .open(archive.join("manifest.jsonl"))
        .unwrap();
    manifest
        .write_all(b"{\"cited_url\": \"https://www.over")
        .unwrap();
    let warc = std::fs::read_dir(archive)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .unwrap();
    let mut open = std::fs::read(&warc).unwrap();
    open.truncate(open.len() / 2);
    std::fs::write(
        archive.join("citecheck-20260101000000-00099.warc.gz.open"),
        open,
    )
    .unwrap();
    let first = std::fs::read_to_string(archive.join("manifest.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    let text = entry["text_path"].as_str().unwrap().to_string();
    std::fs::write(archive.join(&text), "iets heel anders").unwrap();
    text
}

#[test]
fn verify_writes_nothing_into_the_archive_and_repair_is_asked_for() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    archived_seed(&site, dir.path());
    let archive = dir.path().join("archive");
    let online = read_csv(&dir.path().join("report.csv"));
    let text = damage(&archive);
    let before = snapshot(&archive);
    let hits = site.total_hits();

    let (code, stderr) = verify(dir.path(), &["--report", "verify.csv"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(snapshot(&archive), before, "verify changed the archive");
    assert_eq!(site.total_hits(), hits, "verify made requests");
    assert!(stderr.contains("unfinished WARC file(s)"), "{stderr}");
    assert!(stderr.contains("torn last line"), "{stderr}");
    assert!(
        stderr.contains(&format!("{text} left as it is (read-only verify)")),
        "{stderr}"
    );
    // The verdicts are the run's: the damaged text was extracted again in memory.
    let verified = read_csv(&dir.path().join("verify.csv"));
    let verdicts = |rows: &[std::collections::HashMap<String, String>]| {
        rows.iter()
            .map(|r| r["verdict"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(verdicts(&verified), verdicts(&online));

    // --repair does what a run does.
    let (code, stderr) = verify(dir.path(), &["--repair", "--report", "repaired.csv"]);
    assert_eq!(code, Some(1), "{stderr}");
    let after = snapshot(&archive);
    assert!(
        !after.keys().any(|k| k.ends_with(".open")),
        "recovered: {:?}",
        after.keys()
    );
    assert!(
        std::fs::read(archive.join("manifest.jsonl"))
            .unwrap()
            .ends_with(b"\n")
    );
    assert_ne!(after[&text], b"iets heel anders".to_vec(), "rewritten");
}

#[test]
fn verify_says_what_is_missing_instead_of_run_first() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    // No folder at all.
    let (code, stderr) = verify(dir.path(), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no such folder"), "{stderr}");
    assert!(!dir.path().join("archive").exists(), "verify created it");
    // A folder no run has used.
    std::fs::create_dir(dir.path().join("archive")).unwrap();
    let (code, stderr) = verify(dir.path(), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not a citecheck archive"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("archive"))
            .unwrap()
            .count(),
        0
    );

    // A run that could fetch nothing (every cited page gone, no rescue): it opened the
    // archive but archived nothing, so there is no manifest.
    std::fs::write(
        dir.path().join("sources.csv"),
        std::fs::read_to_string(dir.path().join("sources.csv"))
            .unwrap()
            .replace("www.overheidvannu.nl", "nergens.invalid"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["run", "--no-rescue", "--no-probe", "--retries", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!dir.path().join("archive/manifest.jsonl").exists());
    let run_report = read_csv(&dir.path().join("report.csv"));
    let (code, stderr) = verify(dir.path(), &["--report", "verify.csv"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("run` first"), "{stderr}");
    assert!(
        stderr.contains("no page has been archived here yet"),
        "{stderr}"
    );
    let report = read_csv(&dir.path().join("verify.csv"));
    assert_eq!(report.len(), run_report.len());
    assert!(
        report.iter().all(|r| r["verdict"] == "source_unavailable"),
        "{report:?}"
    );
}

#[test]
fn verify_says_a_run_holds_the_lock() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    archived_seed(&site, dir.path());
    // Another process writing (a run holds the lock exclusively).
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("archive/.lock"))
        .unwrap();
    holder.lock().unwrap();
    let (code, stderr) = verify(dir.path(), &["--report", "verify.csv"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("a citecheck run is writing to this archive folder"),
        "{stderr}"
    );
    assert!(!stderr.contains("manifest"), "{stderr}");
    holder.unlock().unwrap();
    // Two verifies share it: a shared holder does not stop one.
    holder.lock_shared().unwrap();
    let (code, stderr) = verify(dir.path(), &["--report", "verify.csv"]);
    assert_eq!(code, Some(1), "{stderr}");
}

/// `citecheck verify` as a user who may not write to the archive: as root (the tests' usual
/// user here) through `setpriv` as nobody, otherwise as the user itself.
fn verify_as_reader(dir: &Path, extra: &[&str]) -> std::process::Output {
    let binary = env!("CARGO_BIN_EXE_citecheck");
    // verify writes links.csv too (the links as the archive holds them): both go to out/.
    let mut args = vec![
        binary,
        "verify",
        "--report",
        "out/report.csv",
        "--links",
        "out/links.csv",
    ];
    args.extend_from_slice(extra);
    let root = runs_as_root();
    let mut cmd = if root {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        cmd.args(&args);
        cmd
    } else {
        let mut cmd = std::process::Command::new(binary);
        cmd.args(&args[1..]);
        cmd
    };
    cmd.current_dir(dir).env("NO_PROXY", "*").output().unwrap()
}

/// Whether this process runs as root (from /proc, without libc).
fn runs_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Makes `path` and everything under it read-only (folders 0555, files 0444).
fn read_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for (name, _) in snapshot(path) {
        let at = path.join(name.trim_end_matches('/'));
        let mode = if at.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o555)).unwrap();
}

#[test]
fn a_read_only_archive_can_be_verified() {
    use std::os::unix::fs::PermissionsExt;
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    archived_seed(&site, dir.path());
    let online = read_csv(&dir.path().join("report.csv"));
    // The reader may enter the folder, read the inputs and write its report to out/.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for input in ["sources.csv", "quotes.csv"] {
        std::fs::set_permissions(
            dir.path().join(input),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::set_permissions(
        dir.path().join("out"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let archive = dir.path().join("archive");
    // A copy without its dot files: no .lock.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for (name, bytes) in snapshot(&archive) {
        if name.ends_with('/') {
            std::fs::create_dir_all(copy.join(&name)).unwrap();
        } else if name != ".lock" {
            std::fs::write(copy.join(&name), bytes).unwrap();
        }
    }
    read_only(&archive);
    read_only(&copy);
    let before = snapshot(&archive);

    let output = verify_as_reader(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(snapshot(&archive), before);
    let verdicts = |rows: &[std::collections::HashMap<String, String>]| {
        rows.iter()
            .map(|r| (r["id"].clone(), r["verdict"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        verdicts(&read_csv(&dir.path().join("out/report.csv"))),
        verdicts(&online)
    );

    // Without a .lock, a folder it may not write to: say so, and how to go on.
    let output = verify_as_reader(dir.path(), &["--archive", "copy"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("read-only here and has no .lock"),
        "{stderr}"
    );
    assert!(stderr.contains("--no-lock"), "{stderr}");
    let output = verify_as_reader(dir.path(), &["--archive", "copy", "--no-lock"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!copy.join(".lock").exists());
    assert_eq!(
        verdicts(&read_csv(&dir.path().join("out/report.csv"))),
        verdicts(&online)
    );

    // A manifest it may not read: said with what verify needs, not a bare "Permission denied".
    std::fs::set_permissions(
        copy.join("manifest.jsonl"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let output = verify_as_reader(dir.path(), &["--archive", "copy", "--no-lock"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("reading the archive needs read access"),
        "{stderr}"
    );
}

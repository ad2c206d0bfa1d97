//! Runs stopped part-way (SIGTERM, SIGHUP, `--deadline`) keep the rows finished so far and
//! `--resume` finishes them, with exit code 1 when those rows hold findings, else 3;
//! web-archive look-ups that cannot hang a run; exit codes for input files that cannot be
//! used.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::FixtureSite;
use crate::common::cmd::*;

/// Pages in one folder of the slow host (a second each).
const SLOW_PAGES: usize = 60;

fn write_slow_folder(dir: &std::path::Path) {
    let mut sources = String::from("id,url\n");
    for i in 0..SLOW_PAGES {
        sources.push_str(&format!("T{i},{SITE}/traag/{i}\n"));
    }
    std::fs::write(dir.join("sources.csv"), sources).unwrap();
}

fn data_rows(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
}

/// `check`/`run` over the slow folder with the soft-404 probe on, as users run it.
fn slow_run(dir: &std::path::Path, site: &FixtureSite, command: &str) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"))
        .current_dir(dir)
        .env("NO_PROXY", "*")
        .env_remove("GITHUB_ACTIONS")
        .args([
            command,
            "--host-interval",
            "0",
            "--per-host",
            "8",
            "--retries",
            "0",
        ])
        .args(site.remap_args())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Stops a run by `signal` once links.csv (flushed as rows come) shows two rows (within
/// `first_rows`), checks what it kept, then lets `--resume` finish and compares.
fn stop_and_resume(command: &str, signal: &str, first_rows: Duration) {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_slow_folder(dir.path());
    let links = dir.path().join("links.csv");
    let started = Instant::now();
    let child = slow_run(dir.path(), &site, command);
    // Every page needs the folder's probe; queued behind the pages, it held back every row
    // until the whole folder was fetched (60 pages, 8 at a time, a second each).
    while data_rows(&links) < 2 {
        assert!(
            started.elapsed() < first_rows,
            "no row reached links.csv in {first_rows:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Every row so far is ok: no findings, so the distinct "stopped" code.
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("stopped by SIG{signal}")),
        "{stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    let kept = read_csv(&links);
    assert!(
        kept.len() >= 2 && kept.len() < SLOW_PAGES,
        "{} rows",
        kept.len()
    );
    for (i, row) in kept.iter().enumerate() {
        assert_eq!(row["id"], format!("T{i}"));
        assert_eq!(row["status"], "ok", "{row:?}");
    }
    if command == "run" {
        assert_archive_whole(&dir.path().join("archive"));
    }
    let output = citecheck(dir.path())
        .args([
            command,
            "--resume",
            "--host-interval",
            "0",
            "--per-host",
            "8",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("--resume: {} rows", kept.len())),
        "{stderr}"
    );
    let all = read_csv(&links);
    assert_eq!(all.len(), SLOW_PAGES);
    for (i, row) in all.iter().enumerate() {
        assert_eq!(row["id"], format!("T{i}"));
        assert_eq!(row["status"], "ok", "{row:?}");
        assert_eq!(row["title"], format!("Wijkbericht {i} | Overheid van Nu"));
    }
    // The kept rows were copied through, not fetched again.
    for (i, row) in kept.iter().enumerate() {
        assert_eq!(all[i]["fetched_at"], row["fetched_at"], "row {i}");
        assert_eq!(
            site.hits(&format!("/traag/{i}")),
            1,
            "row {i} fetched again"
        );
    }
    // The earlier file set aside while it was read is gone.
    assert!(!dir.path().join(".links.csv.resume").exists());
}

#[test]
fn sigterm_keeps_the_rows_checked_so_far_and_resume_finishes_them() {
    // Before probes went first, the first row came after about 8 s.
    stop_and_resume("check", "TERM", Duration::from_secs(5));
}

#[test]
fn sighup_stops_a_run_like_ctrl_c_with_a_whole_archive() {
    stop_and_resume("run", "HUP", Duration::from_secs(10));
}

#[test]
fn a_deadline_stops_the_run_and_writes_what_it_has() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_slow_folder(dir.path());
    let started = Instant::now();
    let output = citecheck(dir.path())
        .args(["check", "--host-interval", "0", "--deadline", "5s"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("stopped at --deadline"), "{stderr}");
    assert!(elapsed < Duration::from_secs(12), "{elapsed:?}");
    let rows = read_csv(&dir.path().join("links.csv"));
    assert!(
        !rows.is_empty() && rows.len() < SLOW_PAGES,
        "{}",
        rows.len()
    );

    // Findings among the rows so far: exit 1, not 3 (and never 2).
    let mut sources = format!("id,url\nweg,{SITE}/missing\n");
    for i in 0..SLOW_PAGES {
        sources.push_str(&format!("T{i},{SITE}/traag/{i}\n"));
    }
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--host-interval", "0", "--deadline", "2s"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        read_csv(&dir.path().join("links.csv"))[0]["status"],
        "broken"
    );
    let output = citecheck(dir.path())
        .args(["check", "--deadline", "soon"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Dead links, each in its own folder.
fn write_dead_links(dir: &std::path::Path, n: usize) {
    let mut sources = String::from("id,url\n");
    for i in 0..n {
        sources.push_str(&format!("D{i},{SITE}/weg/{i}/pagina\n"));
    }
    std::fs::write(dir.join("sources.csv"), sources).unwrap();
}

#[test]
fn check_asks_the_web_archive_only_with_rescue() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_dead_links(dir.path(), 2);
    let output = check_cmd(dir.path(), &site).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(site.hits_under("/wayback-host/"), 0);
    let output = check_cmd(dir.path(), &site)
        .arg("--rescue")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(site.hits_under("/wayback-host/wayback/available"), 2);
    // `run` still accepts --no-rescue, and check refuses both at once.
    let output = check_cmd(dir.path(), &site)
        .args(["--rescue", "--no-rescue"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

fn run_with_archive_at(site: &FixtureSite, dir: &std::path::Path, archive: &str) -> String {
    let output = citecheck(dir)
        .args([
            "run",
            "--host-interval",
            "0",
            "--retries",
            "0",
            "--no-probe",
        ])
        .args(["--remap", &site.remap()])
        .args([
            "--remap",
            &format!(r"^https?://(web\.)?archive\.org/ {archive}"),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn an_unreachable_web_archive_trips_the_breaker_once() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_dead_links(dir.path(), 12);
    let closed = format!("http://127.0.0.1:{}/", FixtureSite::closed_port());
    let stderr = run_with_archive_at(&site, dir.path(), &closed);
    assert_eq!(
        stderr
            .matches("no more web-archive look-ups in this run")
            .count(),
        1,
        "{stderr}"
    );
    let rows = read_csv(&dir.path().join("links.csv"));
    let errors: Vec<&str> = rows.iter().map(|r| r["error"].as_str()).collect();
    let asked = errors
        .iter()
        .filter(|e| e.contains("web archive look-up failed"))
        .count();
    let skipped = errors
        .iter()
        .filter(|e| e.contains("web archive not asked"))
        .count();
    assert_eq!(asked + skipped, 12, "{errors:#?}");
    assert!((3..12).contains(&asked), "{asked} look-ups: {errors:#?}");
}

#[test]
fn a_web_archive_429_with_a_long_retry_after_stops_the_look_ups() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_dead_links(dir.path(), 6);
    let busy = format!("{}/wayback-busy/", site.base());
    let stderr = run_with_archive_at(&site, dir.path(), &busy);
    assert!(stderr.contains("asks to wait 3600 s"), "{stderr}");
    // The look-ups are spaced, so the first answer stops the rest.
    assert!(site.hits_under("/wayback-busy/") <= 2, "{stderr}");
    let rows = read_csv(&dir.path().join("links.csv"));
    assert!(
        rows.iter()
            .filter(|r| r["error"].contains("web archive not asked"))
            .count()
            >= 4
    );
}

#[test]
fn input_files_that_cannot_be_used_exit_2_and_skipped_rows_fail() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.csv"), format!("url\n{SITE}/ok\n")).unwrap();
    // A --quotes file that is not there.
    let output = run_cmd(dir.path(), &site)
        .args(["--quotes", "ontbreekt.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ontbreekt.csv"));
    // The default quotes.csv may be missing: links only.
    assert_eq!(
        run_cmd(dir.path(), &site).output().unwrap().status.code(),
        Some(0)
    );
    // A quotes.csv saved as Windows-1252: every row skipped, nothing to do.
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(
        "id,quote\nQ1,\"‘Het begint met één kop koffie’\"\nQ2,Café-eigenaren zijn tevreden\n",
    );
    std::fs::write(dir.path().join("quotes.csv"), &cp1252).unwrap();
    let output = run_cmd(dir.path(), &site).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no usable row"), "{stderr}");
    std::fs::remove_file(dir.path().join("quotes.csv")).unwrap();
    // A sources file whose every row is malformed.
    std::fs::remove_file(dir.path().join("links.csv")).unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        "id,url\nS1,https://kapot.example/\0a\nS2,https://kapot.example/\0b\n",
    )
    .unwrap();
    let output = check_cmd(dir.path(), &site).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "no usable row: all 2 data rows are malformed (the first: sources.csv:2: NUL byte"
        ),
        "{stderr}"
    );
    assert!(
        !dir.path().join("links.csv").exists(),
        "written before any request"
    );

    // One malformed row among good ones: a finding (`input`, in the default set), annotated.
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nS1,{SITE}/ok\nS2,\"{SITE}/missing\nS3,{SITE}/gzip\n"),
    )
    .unwrap();
    let output = check_cmd(dir.path(), &site)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("::error file=sources.csv,line=3,title=malformed row::"),
        "{stdout}"
    );
    let rows: Vec<HashMap<String, String>> = read_csv(&dir.path().join("links.csv"));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "ok"), "{rows:?}");
    // The JSON summary agrees with the exit code.
    let output = check_cmd(dir.path(), &site)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["summary"]["passed"], false, "{json}");
    let output = check_cmd(dir.path(), &site)
        .args(["--fail-on", "broken", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["summary"]["passed"], true, "{json}");
}

/// Issue #18, the rule of `Outcome::exit_code` for a stopped `run`: 1 when the rows written
/// so far hold a finding that `--fail-on` names (a link status, or `input` for a malformed
/// row skipped), else 3; never 2. By signal and by deadline alike.
#[test]
fn a_stopped_run_exits_1_with_findings_that_fail_on_names_else_3() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let slow_rows = || {
        (0..SLOW_PAGES)
            .map(|i| format!("T{i},{SITE}/traag/{i}\n"))
            .collect::<String>()
    };
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote\nQ1,De wijkraad vergaderde over de nieuwe speeltuin\n",
    )
    .unwrap();
    let links = dir.path().join("links.csv");
    let run = |extra: &[&str]| {
        let output = citecheck(dir.path())
            .args(["run", "--host-interval", "0", "--per-host", "8"])
            .args(["--retries", "0", "--no-rescue", "--deadline", "3s"])
            .args(extra)
            .args(site.remap_args())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            stderr.contains("stopped at --deadline"),
            "{extra:?}: {stderr}"
        );
        (output.status.code(), stderr)
    };

    // A broken link among the rows so far.
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nweg,{SITE}/missing\n{}", slow_rows()),
    )
    .unwrap();
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(1), "{stderr}");
    let rows = read_csv(&links);
    assert_eq!(rows[0]["status"], "broken", "{rows:?}");
    assert!(rows.len() < SLOW_PAGES + 1, "the run was not stopped");
    // The quote stage needs every source: no report.csv from a stopped run.
    assert!(!dir.path().join("report.csv").exists());
    // The same rows, with a --fail-on that does not name `broken`: no findings, 3.
    let (code, stderr) = run(&["--fail-on", "none"]);
    assert_eq!(code, Some(3), "{stderr}");
    let (code, stderr) = run(&["--fail-on", "timeout"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(read_csv(&links)[0]["status"], "broken");

    // A malformed row skipped before the stop is a finding too (`input`, in the default set).
    let mut sources = b"id,url\nkapot,https://www.overheidvannu.nl/ok\0\n".to_vec();
    sources.extend_from_slice(slow_rows().as_bytes());
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("sources.csv:2: NUL byte"), "{stderr}");
    assert!(read_csv(&links).iter().all(|r| r["status"] == "ok"));
    let (code, stderr) = run(&["--fail-on", "broken"]);
    assert_eq!(code, Some(3), "{stderr}");

    // Stopped by a signal, with a broken link among the rows so far: 1 as well.
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nweg,{SITE}/missing\n{}", slow_rows()),
    )
    .unwrap();
    std::fs::remove_file(&links).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"))
        .current_dir(dir.path())
        .env("NO_PROXY", "*")
        .env_remove("GITHUB_ACTIONS")
        .args(["run", "--host-interval", "0", "--per-host", "8"])
        .args(["--retries", "0", "--no-rescue"])
        .args(site.remap_args())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while data_rows(&links) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no rows in links.csv"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(read_csv(&links)[0]["status"], "broken");
}

//! CI integration and output formats: `--format json|markdown|junit`, `--output`, GitHub
//! annotations and the step summary, `--fail-on` exit codes, `--accept`, `--cache`, and
//! report.html.

use std::path::Path;

use crate::common::cmd::*;
use crate::common::{self, FixtureSite};

/// The JSON Schema of `--format json`.
fn report_schema() -> serde_json::Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Where the fixture report is kept for `scripts/check_report_html.sh` (run by `.ci/run`).
fn keep_report_html(html: &Path) -> std::path::PathBuf {
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-report");
    std::fs::create_dir_all(&keep).unwrap();
    let kept = keep.join("report.html");
    std::fs::copy(html, &kept).unwrap();
    kept
}

/// The part of the page made from the rows (the summary names the files and the time).
fn page_body(html: &str) -> &str {
    let start = html.find("<main").unwrap();
    let end = html.find("</main>").unwrap();
    &html[start..end]
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// CI integration and output formats: --format json|markdown|junit, --output, GitHub
// annotations and step summary, --fail-on exit codes, --accept, --cache.
// ─────────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn format_json_is_one_document_that_matches_the_schema() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(
        dir.path(),
        &[
            ("ok", "/ok"),
            ("missing", "/missing"),
            ("forbidden", "/forbidden"),
            ("again", "/ok#boven"),
            ("no_scheme", "www.overheidvannu.nl/zonder-schema"),
        ],
    );
    let output = check_cmd(dir.path(), &site)
        .args(["--format", "json", "--no-rescue"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // stdout is the one document and nothing else; links.csv is written as always.
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    common::json_schema::validate(&report_schema(), &doc).unwrap();
    assert_eq!(read_csv(&dir.path().join("links.csv")).len(), 5);
    let summary = &doc["summary"];
    assert_eq!(summary["command"], "check");
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["failures"], 2, "broken + invalid");
    assert_eq!(summary["warnings"], 1, "blocked");
    assert_eq!(summary["links"]["total"], 5);
    assert_eq!(summary["links"]["ok"], 1);
    assert_eq!(summary["links"]["duplicate"], 1);
    assert_eq!(summary["quotes"], serde_json::Value::Null);
    let links = doc["links"].as_array().unwrap();
    let ids: Vec<&str> = links.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ok", "missing", "forbidden", "again", "no_scheme"]);
    assert_eq!(links[1]["status"], "broken");
    assert_eq!(links[1]["http_status"], 404);
    assert_eq!(links[1]["error"], "HTTP 404 Not Found");
    assert_eq!(links[0]["error"], serde_json::Value::Null);
    assert_eq!(links[4]["http_status"], serde_json::Value::Null);
    assert_eq!(links[0]["cached"], false);
    assert_eq!(doc["quotes"], serde_json::json!([]));
    // The same rows as links.csv, column for column.
    let csv_rows = read_csv(&dir.path().join("links.csv"));
    for (json_row, csv_row) in links.iter().zip(&csv_rows) {
        for (column, cell) in csv_row {
            let value = &json_row[column.as_str()];
            let as_text = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(&as_text, cell, "column {column}");
        }
    }

    // --output FILE: the document goes there and stdout stays empty.
    let output = check_cmd(dir.path(), &site)
        .args([
            "--format",
            "json",
            "--output",
            "out/run.json",
            "--no-rescue",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/run.json")).unwrap()).unwrap();
    common::json_schema::validate(&report_schema(), &doc).unwrap();

    // Two data streams cannot share stdout; --output without a format is a mistake.
    for args in [
        &["--format", "json", "--links", "-"][..],
        &["--output", "x.json"][..],
        &["--format", "yaml"][..],
    ] {
        let output = check_cmd(dir.path(), &site).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let output = check_cmd(dir.path(), &site)
        .args(["--format", "json", "--links", "-"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("give --output FILE"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn format_junit_is_well_formed_with_failures_and_skips() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(
        dir.path(),
        &[
            ("ok", "/ok"),
            ("hostile", "/missing?a=<b>&c=\"d\"]]>"),
            ("forbidden", "/forbidden"),
            ("again", "/ok#boven"),
        ],
    );
    let output = check_cmd(dir.path(), &site)
        .args(["--format", "junit", "--no-rescue"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let doc = common::xml::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(doc.name, "testsuites");
    assert_eq!(
        (doc.attr("tests"), doc.attr("failures"), doc.attr("skipped")),
        (Some("4"), Some("1"), Some("2"))
    );
    let suites: Vec<_> = doc.children("testsuite").collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].attr("name"), Some("links"));
    assert_eq!(suites[1].attr("name"), Some("quotes"));
    assert_eq!(suites[1].attr("tests"), Some("0"));
    let cases: Vec<_> = suites[0].children("testcase").collect();
    assert_eq!(cases.len(), 4);
    assert_eq!(
        cases[1].attr("name"),
        Some("hostile https://www.overheidvannu.nl/missing?a=<b>&c=\"d\"]]>")
    );
    assert_eq!(cases[1].attr("line"), Some("3"));
    let failure = cases[1].children("failure").next().unwrap();
    assert_eq!(failure.attr("type"), Some("broken"));
    assert!(
        failure.text().starts_with("sources.csv:3: hostile "),
        "{}",
        failure.text()
    );
    assert!(
        cases[2].children("skipped").next().is_some(),
        "blocked is skipped"
    );
    assert!(
        cases[3].children("skipped").next().is_some(),
        "duplicate is skipped"
    );
    assert!(cases[0].nodes.is_empty(), "ok passes");

    // --fail-on blocked: the blocked link becomes a failure.
    let output = check_cmd(dir.path(), &site)
        .args(["--format", "junit", "--fail-on", "blocked", "--no-rescue"])
        .output()
        .unwrap();
    let doc = common::xml::parse(&String::from_utf8(output.stdout).unwrap()).unwrap();
    assert_eq!(
        (doc.attr("failures"), doc.attr("skipped")),
        (Some("1"), Some("1"))
    );
}

#[test]
fn github_annotations_point_at_sources_lines_and_the_step_summary_is_written() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    // Line 3 is malformed (skipped), and a quoted id spans lines 5-6: the lines of the rows
    // after them are not their row numbers.
    std::fs::write(
        dir.path().join("sources.csv"),
        format!(
            "id,url\nA,{SITE}/ok\nB,\nC,{SITE}/missing\n\"D\nvervolg\",{SITE}/forbidden\nE,{SITE}/gone\n"
        ),
    )
    .unwrap();
    let summary = dir.path().join("step-summary");
    std::fs::write(&summary, "eerdere stap\n").unwrap();
    let output = check_cmd(dir.path(), &site)
        .arg("--no-rescue")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    // The skipped row 3 is annotated too (a finding of its own, `--fail-on input`).
    assert!(
        stdout.starts_with(
            "::error file=sources.csv,line=3,title=malformed row::empty \"url\" field; row skipped\n"
        ),
        "{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with("::error file=sources.csv,line=4,title=broken link::C https://www.overheidvannu.nl/missing is broken (HTTP 404)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::warning file=sources.csv,line=5,title=blocked link::D%0Avervolg "),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("::error file=sources.csv,line=7,title=broken link::E "),
        "{}",
        lines[2]
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        // 3: the two broken links and the skipped row 3 (`--fail-on input`; it was 2).
        md.starts_with("eerdere stap\n## citecheck check\n\n**Failed**: 3 findings"),
        "{md}"
    );
    assert!(
        md.contains("| error | sources.csv:4 | C | broken (404) |"),
        "{md}"
    );
    assert!(
        md.contains("| warning | sources.csv:5 | D vervolg | blocked (403) |"),
        "{md}"
    );

    // With --format markdown on stdout, stdout is the Markdown only (the same text as the
    // step summary) and the annotations go to stderr.
    std::fs::write(&summary, "").unwrap();
    let output = check_cmd(dir.path(), &site)
        .args(["--no-rescue", "--format", "markdown"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("::error"), "{stdout}");
    assert_eq!(stdout, std::fs::read_to_string(&summary).unwrap());
    assert!(
        stderr.contains("::error file=sources.csv,line=4,"),
        "{stderr}"
    );
    // Outside GitHub Actions: no annotations at all.
    let output = check_cmd(dir.path(), &site)
        .arg("--no-rescue")
        .output()
        .unwrap();
    assert!(output.stdout.is_empty());
    assert!(!String::from_utf8_lossy(&output.stderr).contains("::error"));
}

#[test]
fn run_annotates_quotes_and_renders_them_in_json() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(dir.path(), &[("S1", "/ok")]);
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote\nQ1,\"Het begint met een kop koffie\"\nQ2,Dit citaat staat in geen enkele bron die wij hebben aangehaald\n",
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args([
            "run",
            "--host-interval",
            "0",
            "--format",
            "json",
            "--output",
            "run.json",
        ])
        .args(site.remap_args())
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("::")).count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.starts_with("::error file=quotes.csv,line=3,title=quote not_found::Q2 “Dit citaat"),
        "{stdout}"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    common::json_schema::validate(&report_schema(), &doc).unwrap();
    assert_eq!(doc["summary"]["command"], "run");
    assert_eq!(doc["summary"]["quotes"]["verified"], 1);
    assert_eq!(doc["summary"]["quotes"]["not_found"], 1);
    assert_eq!(doc["quotes"][0]["verdict"], "verified");
    assert_eq!(doc["quotes"][0]["score"], 1.0);
    assert_eq!(doc["quotes"][0]["source_url"], format!("{SITE}/ok"));
    assert!(doc["quotes"][0]["start"].is_u64());
    assert_eq!(doc["quotes"][1]["start"], serde_json::Value::Null);
    assert_eq!(doc["links"][0]["status"], "ok");
}

#[test]
fn exit_codes_follow_fail_on() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(
        dir.path(),
        &[
            ("ok", "/ok"),
            ("forbidden", "/forbidden"),
            ("again", "/ok#x"),
            ("moved", "/moved"),
        ],
    );
    let cases: &[(&str, i32)] = &[
        ("default", 0),
        ("none", 0),
        ("blocked", 1),
        ("duplicate", 1),
        ("redirected", 1),
        ("broken,timeout", 0),
        ("all", 1),
        ("default,blocked", 1),
    ];
    for (fail_on, code) in cases {
        let output = check_cmd(dir.path(), &site)
            .args(["--fail-on", fail_on, "--format", "json", "--no-rescue"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(*code), "--fail-on {fail_on}");
        let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(doc["summary"]["passed"], *code == 0, "--fail-on {fail_on}");
    }
    write_sources(dir.path(), &[("ok", "/ok"), ("gone", "/gone")]);
    for (fail_on, code) in [("default", 1), ("none", 0), ("blocked", 0), ("broken", 1)] {
        let output = check_cmd(dir.path(), &site)
            .args(["--fail-on", fail_on, "--no-rescue"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "--fail-on {fail_on}");
    }
}

#[test]
fn accept_counts_listed_statuses_as_ok() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(
        dir.path(),
        &[
            ("ok", "/ok"),
            ("forbidden", "/forbidden"),
            ("gone", "/gone"),
        ],
    );
    let output = check_cmd(dir.path(), &site)
        .args([
            "--accept",
            "200..=299,403",
            "--fail-on",
            "default,blocked",
            "--no-rescue",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "gone still fails");
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(links[0]["status"], "ok");
    assert_eq!(links[1]["status"], "ok");
    assert_eq!(links[1]["reason"], "accepted");
    assert_eq!(links[1]["http_status"], "403");
    assert_eq!(links[2]["status"], "broken");

    write_sources(dir.path(), &[("ok", "/ok"), ("forbidden", "/forbidden")]);
    let output = check_cmd(dir.path(), &site)
        .args([
            "--accept",
            "200..300,403",
            "--fail-on",
            "default,blocked",
            "--no-rescue",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    // The list replaces the default: a 200 outside it is broken.
    let output = check_cmd(dir.path(), &site)
        .args(["--accept", "403", "--no-rescue"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(
        (links[0]["status"].as_str(), links[0]["reason"].as_str()),
        ("broken", "not_accepted")
    );
    let output = check_cmd(dir.path(), &site)
        .args(["--accept", "2xx"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--accept"));

    // In `run`, an accepted 403 is read like any live page: its text is searched.
    write_sources(dir.path(), &[("forbidden", "/forbidden")]);
    std::fs::write(dir.path().join("quotes.csv"), "id,quote\nQ1,Geen toegang\n").unwrap();
    for (accept, verdict) in [(Some("200..=299,403"), "verified"), (None, "not_found")] {
        let mut cmd = run_cmd(dir.path(), &site);
        if let Some(list) = accept {
            cmd.args(["--accept", list]);
        }
        let output = cmd.output().unwrap();
        let report = read_csv(&dir.path().join("report.csv"));
        assert_eq!(
            report[0]["verdict"],
            verdict,
            "--accept {accept:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn cache_skips_fresh_ok_links_and_refetches_failures() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(
        dir.path(),
        &[("ok", "/ok"), ("missing", "/missing"), ("moved", "/moved")],
    );
    let run = |extra: &[&str]| {
        let output = check_cmd(dir.path(), &site)
            .args(["--cache", "cache/links.jsonl", "--no-rescue"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        read_csv(&dir.path().join("links.csv"))
    };
    let first = run(&[]);
    assert!(first.iter().all(|r| r["cached"] == "false"), "{first:?}");
    // /ok is reached directly and at the end of /moved.
    assert_eq!(
        (site.hits("/ok"), site.hits("/moved"), site.hits("/missing")),
        (2, 1, 1)
    );
    let cache_path = dir.path().join("cache/links.jsonl");
    let cache = std::fs::read_to_string(&cache_path).unwrap();
    let entries: Vec<serde_json::Value> = cache
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "failures are never cached: {cache}");
    assert!(
        entries
            .iter()
            .all(|e| e["checked_at"].as_str().is_some_and(|t| t.ends_with('Z')))
    );
    assert!(!cache.contains("/missing"));
    assert!(
        std::fs::read_dir(dir.path().join("cache")).unwrap().count() == 1,
        "no temporary file left behind"
    );

    // Second run: the ok and redirected links come from the cache; the broken one is fetched.
    let second = run(&["--format", "json"]);
    assert_eq!(
        (site.hits("/ok"), site.hits("/moved"), site.hits("/missing")),
        (2, 1, 2)
    );
    let cached: Vec<&str> = second.iter().map(|r| r["cached"].as_str()).collect();
    assert_eq!(cached, ["true", "false", "true"]);
    assert_eq!(second[0]["status"], "ok");
    assert_eq!(second[2]["status"], "redirected");
    assert_eq!(second[2]["final_url"], format!("{SITE}/ok"));
    assert_eq!(
        second[0]["fetched_at"], first[0]["fetched_at"],
        "the first check's time"
    );
    // Reuse does not renew an entry.
    assert_eq!(std::fs::read_to_string(&cache_path).unwrap(), cache);

    // An entry older than --cache-max-age is fetched again.
    // Entries are sorted by URL: /moved comes first.
    assert!(entries[0]["url"].as_str().unwrap().ends_with("/moved"));
    let mut aged = entries.clone();
    aged[0]["checked_at"] = "2000-01-01T00:00:00Z".into();
    let lines: Vec<String> = aged.iter().map(|e| e.to_string()).collect();
    std::fs::write(&cache_path, lines.join("\n") + "\n").unwrap();
    let third = run(&["--cache-max-age", "7d"]);
    let cached: Vec<&str> = third.iter().map(|r| r["cached"].as_str()).collect();
    assert_eq!(cached, ["true", "false", "false"], "{third:?}");
    assert_eq!(
        (site.hits("/ok"), site.hits("/moved"), site.hits("/missing")),
        (3, 2, 3)
    );
    // ...and its entry is renewed.
    let renewed = std::fs::read_to_string(&cache_path).unwrap();
    assert!(!renewed.contains("2000-01-01"), "{renewed}");

    let output = check_cmd(dir.path(), &site)
        .args(["--cache", "c.jsonl", "--cache-max-age", "soon"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// `check --cache` killed with SIGKILL while it waits on a hanging page: the rows written
/// before it are in the cache file (appended as they were written, flushed every second),
/// and the next check reuses them.
#[test]
fn cache_keeps_the_rows_of_a_killed_check() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let mut sources = String::from("url\n");
    for i in 0..5 {
        sources.push_str(&format!("{SITE}/slow/{i}\n"));
    }
    sources.push_str(&format!("{SITE}/hang\n"));
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"))
        .current_dir(dir.path())
        .env("NO_PROXY", "*")
        .args(["check", "--no-rescue", "--no-probe", "--host-interval", "0"])
        .args(["--timeout", "60", "--retries", "0", "--no-progress"])
        .args(["--cache", "cache.jsonl"])
        .args(site.remap_args())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let cache_path = dir.path().join("cache.jsonl");
    let lines = || {
        std::fs::read_to_string(&cache_path).map_or(0, |text| {
            text.lines().filter(|l| l.contains("/slow/")).count()
        })
    };
    // Well before /hang answers (30 s): a cache written only at the end is not there yet.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while lines() < 5 {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the cache file never held the 5 rows written before the hang");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the check must still be waiting on /hang"
    );
    child.kill().unwrap(); // SIGKILL: no end of run, no compaction
    child.wait().unwrap();
    assert_eq!(site.hits("/slow/0"), 1);

    std::fs::write(
        dir.path().join("sources.csv"),
        (0..5).fold(String::from("url\n"), |s, i| {
            s + &format!("{SITE}/slow/{i}\n")
        }),
    )
    .unwrap();
    let output = check_cmd(dir.path(), &site)
        .args(["--no-rescue", "--no-probe", "--cache", "cache.jsonl"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = read_csv(&dir.path().join("links.csv"));
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["cached"] == "true"), "{rows:?}");
    assert_eq!(site.hits("/slow/0"), 1, "not fetched again");
    // The run that ended compacted the file: one line per URL.
    assert_eq!(
        std::fs::read_to_string(&cache_path)
            .unwrap()
            .lines()
            .count(),
        5
    );
}

// ───────────────────────── The editor's report (report.html) ─────────────────────────

#[test]
fn run_writes_report_html_and_report_renders_it_again_offline() {
    use citecheck::dev::escape;
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    // The quotes file is input too: its markup must show as text.
    let mut quotes = std::fs::read_to_string(dir.path().join("quotes.csv")).unwrap();
    quotes.push_str("Q99,<b>Thema</b>,\"<script>alert('x')</script> nergens te vinden\"\n");
    std::fs::write(dir.path().join("quotes.csv"), quotes).unwrap();
    let output = citecheck(dir.path())
        .args(["run", "--host-interval", "0", "--html", "out/report.html"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let report = read_csv(&dir.path().join("report.csv"));
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(report.len(), 13);

    // One highlighted span per located quote: the archived text at the row's offsets.
    let located: Vec<_> = report
        .iter()
        .filter(|r| !r["matched_text"].is_empty())
        .collect();
    assert!(located.len() >= 10, "{}", located.len());
    assert_eq!(html.matches("<mark>").count(), located.len());
    for row in &located {
        let marked = format!("<mark>{}</mark>", escape(&row["matched_text"]));
        assert!(html.contains(&marked), "{}: {marked}", row["id"]);
    }
    // A badge per quote and per link, of its verdict or status.
    for row in &report {
        let badge = format!("<span class=\"badge k-{}\">", row["verdict"]);
        assert!(html.contains(&badge), "{badge}");
    }
    assert_eq!(
        html.matches("<span class=\"badge k-").count(),
        report.len() + links.len()
    );
    // Approximate matches come with a word diff.
    if report.iter().any(|r| r["verdict"] == "approximate") {
        assert!(html.contains("<div class=\"diff\">"));
    }
    // Nothing from the inputs runs, and no asset is fetched from anywhere.
    assert!(!html.contains("<script"), "a script element in the page");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; nergens te vinden"));
    assert!(html.contains("&lt;b&gt;Thema&lt;/b&gt;"));
    assert!(!html.contains("src="));
    assert!(!html.contains("<link"));
    assert!(html.contains("from sources <code>sources.csv</code>, quotes <code>quotes.csv</code>"));

    // `citecheck report`: the same rows again from the files, without a request.
    let before = site.total_hits();
    let output = citecheck(dir.path())
        .args(["report", "--html", "again.html"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(site.total_hits(), before, "report made requests");
    let again = std::fs::read_to_string(dir.path().join("again.html")).unwrap();
    assert_eq!(page_body(&again), page_body(&html));
    assert!(again.contains("from links <code>links.csv</code>, report <code>report.csv</code>"));

    // Nothing to render is a usage problem, not an empty page.
    let empty = tempfile::tempdir().unwrap();
    let output = citecheck(empty.path()).arg("report").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!empty.path().join("report.html").exists());

    keep_report_html(&dir.path().join("out/report.html"));
}

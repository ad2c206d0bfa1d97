//! Hardening (issue #18): formula-safe CSV, no symlink followed inside the archive folder,
//! and output file modes that follow the umask.

use std::collections::HashMap;
use std::path::Path;

use assert_cmd::Command;

use crate::common::FixtureSite;

const SITE: &str = "https://www.overheidvannu.nl";

/// The binary, with proxies disabled (reqwest would send even 127.0.0.1 through one).
fn citecheck(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("citecheck").unwrap();
    cmd.current_dir(dir)
        .env("NO_PROXY", "*")
        .env("NO_COLOR", "1");
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_WORKSPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The CSV file's rows, each cell looked up by column name.
fn read_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let names: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        rows.push(
            names
                .iter()
                .cloned()
                .zip(record.iter().map(String::from))
                .collect(),
        );
    }
    rows
}

const FORMULA_TITLE: &str = "=HYPERLINK(\"http://evil.example/\",\"Klik hier\")";

fn check_formula_page(dir: &Path, site: &FixtureSite, extra: &[&str]) {
    std::fs::write(
        dir.join("sources.csv"),
        format!("id,url\n@S1,{SITE}/formule-titel\n"),
    )
    .unwrap();
    let output = citecheck(dir)
        .args(["check", "--retries", "0", "--no-probe", "--no-rescue"])
        .args(extra)
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_formula_title_is_guarded_in_links_csv_unless_raw_csv() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    check_formula_page(dir.path(), &site, &[]);
    let text = std::fs::read_to_string(dir.path().join("links.csv")).unwrap();
    let rows = read_rows(&dir.path().join("links.csv"));
    assert_eq!(rows[0]["status"], "ok", "{text}");
    assert_eq!(rows[0]["title"], format!("'{FORMULA_TITLE}"), "{text}");
    assert_eq!(rows[0]["id"], "'@S1", "{text}");
    assert!(rows[0]["url"].starts_with("https://"), "{text}");

    // `report` reads our own CSV back: the page shows the title as the page had it.
    let output = citecheck(dir.path())
        .args(["report", "--html", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let html = String::from_utf8_lossy(&output.stdout);
    assert!(
        html.contains("=HYPERLINK(&quot;http://evil.example/&quot;")
            || html.contains("=HYPERLINK(&#34;http://evil.example/&#34;"),
        "{html}"
    );
    assert!(
        !html.contains("'=HYPERLINK"),
        "the guard is taken off again"
    );

    // --raw-csv: written as the page has it.
    let raw = tempfile::tempdir().unwrap();
    check_formula_page(raw.path(), &site, &["--raw-csv"]);
    let rows = read_rows(&raw.path().join("links.csv"));
    assert_eq!(rows[0]["title"], FORMULA_TITLE);
    assert_eq!(rows[0]["id"], "@S1");
}

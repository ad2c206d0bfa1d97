//! `check`/`run` with `[INPUTS]...`: files of every kind, globs, pages fetched by URL and
//! stdin, each row located at its file and line; the sources file when no input is given.

use std::collections::HashMap;

use crate::common::FixtureSite;
use crate::common::cmd::*;

#[test]
fn check_reads_files_globs_stdin_and_pages_and_locates_every_row() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("stukken")).unwrap();
    std::fs::write(
        dir.path().join("stukken/a.markdown"),
        format!("# Dossier\n\nHet [overzicht]({SITE}/ok) staat online.\nDe bijlage <{SITE}/missing> niet.\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stukken/b.markdown"),
        format!("Zie ook {SITE}/chunked\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stukken/c.html"),
        format!(
            "<!DOCTYPE html>\n<head><base href=\"{SITE}/dossier/\"></head>\n<p><a href=\"{SITE}/gzip\">verslag</a>\n\
<a href=\"../moved\">verhuisd</a></p>\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lijst.txt"),
        format!("{SITE}/ok\n{SITE}/gone\n"),
    )
    .unwrap();
    // Not read: inputs replace the sources file.
    std::fs::write(
        dir.path().join("sources.csv"),
        "url\nhttps://nergens.invalid/\n",
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args([
            "check",
            "stukken/*.markdown",
            "stukken/c.html",
            "lijst.txt",
            "-",
            &format!("{SITE}/lijst/bronnen"),
            "--no-rescue",
            "--no-probe",
            "--host-interval",
            "0",
            "--format",
            "junit",
            "--output",
            "junit.xml",
        ])
        .args(site.remap_args())
        .env("GITHUB_ACTIONS", "true")
        .write_stdin(format!("id,link\nS1,{SITE}/cp1252\n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let rows = read_csv(&dir.path().join("links.csv"));
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["id"].as_str(), r["url"].as_str(), r["status"].as_str()))
        .collect();
    let page = format!("{SITE}/lijst/bronnen");
    let want: Vec<(String, String, &str)> = vec![
        ("stukken/a.markdown:3".into(), format!("{SITE}/ok"), "ok"),
        (
            "stukken/a.markdown:4".into(),
            format!("{SITE}/missing"),
            "broken",
        ),
        (
            "stukken/b.markdown:1".into(),
            format!("{SITE}/chunked"),
            "ok",
        ),
        ("stukken/c.html:3".into(), format!("{SITE}/gzip"), "ok"),
        (
            "stukken/c.html:4".into(),
            format!("{SITE}/moved"),
            "redirected",
        ),
        ("lijst.txt:1".into(), format!("{SITE}/ok"), "duplicate"),
        ("lijst.txt:2".into(), format!("{SITE}/gone"), "broken"),
        ("S1".into(), format!("{SITE}/cp1252"), "ok"),
        (format!("{page}:7"), format!("{SITE}/ok"), "duplicate"),
        (format!("{page}:8"), format!("{SITE}/missing"), "duplicate"),
        (format!("{page}:8#2"), format!("{SITE}/gzip"), "duplicate"),
    ];
    let want: Vec<(&str, &str, &str)> = want
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), *c))
        .collect();
    assert_eq!(got, want, "{stderr}");
    // The annotations point at the file and line each link stands on.
    assert!(
        stdout.contains("::error file=stukken/a.markdown,line=4,title=broken link::"),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error file=lijst.txt,line=2,title=broken link::"),
        "{stdout}"
    );
    // JUnit names the same file and line.
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("file=\"stukken/a.markdown\" line=\"4\""),
        "{junit}"
    );
    // The input page was fetched once, through --remap.
    assert_eq!(site.hits("/lijst/bronnen"), 1);
}

#[test]
fn without_inputs_the_sources_file_is_read_and_bad_inputs_stop_the_run() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,href\nA,{SITE}/ok\nB,{SITE}/gzip\n"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--no-rescue", "--no-probe"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let rows = read_csv(&dir.path().join("links.csv"));
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["A", "B"]);
    // Named as the only input, the CSV gives the same rows.
    let output = citecheck(dir.path())
        .args([
            "check",
            "sources.csv",
            "--links",
            "again.csv",
            "--no-rescue",
            "--no-probe",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let again = read_csv(&dir.path().join("again.csv"));
    let pick = |rows: &[HashMap<String, String>]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|r| (r["id"].clone(), r["url"].clone(), r["status"].clone()))
            .collect()
    };
    assert_eq!(pick(&again), pick(&rows));

    let stderr_of = |args: &[&str]| {
        let output = citecheck(dir.path()).args(args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (code, stderr) = stderr_of(&["check", "nothing/*.md"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("the glob matches no file"), "{stderr}");
    let (code, stderr) = stderr_of(&["check", "ontbreekt.markdown"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("ontbreekt.markdown"), "{stderr}");
    let (code, stderr) = stderr_of(&["verify", "https://www.overheidvannu.nl/lijst/bronnen"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("this run is offline"), "{stderr}");
    std::fs::write(dir.path().join("wrong.csv"), "id,adres\nA,x\n").unwrap();
    let (code, stderr) = stderr_of(&["check", "wrong.csv"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("name it `url` (or `link`, `href`, `uri`)"),
        "{stderr}"
    );
}

/// Issue #19: a sources file whose URL column is named `link`, `href` or `uri` (any case) is
/// read as `url` by every command that reads it: `check`, `run` (links and quotes) and
/// `verify` (from the archive).
#[test]
fn a_url_column_named_link_href_or_uri_is_read_by_check_run_and_verify() {
    let site = FixtureSite::start();
    for name in ["link", "href", "uri", "URI"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("sources.csv"),
            format!("id,titel,{name}\nA,Koffie,{SITE}/ok\nB,Weg,{SITE}/gone\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("quotes.csv"),
            format!("id,quote,source\nQ1,Het begint met een kop koffie,{SITE}/ok\n"),
        )
        .unwrap();
        let urls = |file: &str| -> Vec<(String, String, String)> {
            read_csv(&dir.path().join(file))
                .iter()
                .map(|r| (r["id"].clone(), r["url"].clone(), r["status"].clone()))
                .collect()
        };
        let expected = vec![
            ("A".to_string(), format!("{SITE}/ok"), "ok".to_string()),
            (
                "B".to_string(),
                format!("{SITE}/gone"),
                "broken".to_string(),
            ),
        ];
        for command in ["check", "run"] {
            let output = citecheck(dir.path())
                .args([command, "--no-rescue", "--no-probe", "--retries", "0"])
                .args(site.remap_args())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{name} {command}: {stderr}");
            assert_eq!(urls("links.csv"), expected, "{name} {command}");
        }
        let report = read_csv(&dir.path().join("report.csv"));
        assert_eq!(report[0]["verdict"], "verified", "{name}: {report:?}");
        assert_eq!(report[0]["source_url"], format!("{SITE}/ok"), "{name}");
        let output = citecheck(dir.path())
            .args(["verify", "--links", "verified-links.csv"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name} verify: {stderr}");
        assert_eq!(urls("verified-links.csv"), expected, "{name} verify");
        let again = read_csv(&dir.path().join("report.csv"));
        assert_eq!(again[0]["verdict"], "verified", "{name} verify: {again:?}");
    }
}

//! `run --screenshots`: a picture of each located quote in its archived page, rendered by
//! headless Chromium with scripts off and no network; and the one notice without Chromium.

use std::path::{Path, PathBuf};

use crate::common::FixtureSite;
use crate::common::cmd::*;

/// Chromium on PATH, as the binary looks it up; `None` (with a printed notice) when it is
/// missing, unless `CITECHECK_REQUIRE_CHROMIUM=1` (CI) makes that a failure.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CITECHECK_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "CITECHECK_REQUIRE_CHROMIUM=1 but no chromium, chromium-browser or google-chrome on PATH"
        );
        eprintln!(
            "SKIPPED: no Chromium on PATH, so no screenshot test (CITECHECK_REQUIRE_CHROMIUM=1 makes this a failure)"
        );
    }
    found
}

const PAGE: &str = "https://www.overheidvannu.nl/beeld";

fn picture_quotes(dir: &Path) {
    write_sources(dir, &[("S1", "/beeld")]);
    std::fs::write(
        dir.join("quotes.csv"),
        format!(
            "id,quote,source\n\
             B1,\"Dit dorp heeft laten zien dat het zijn eigen huis kan dragen\",{PAGE}\n\
             B2,\"Het geld staat klaar en de aannemer kan in april beginnen\",{PAGE}\n\
             B3,\"Het dorpshuis gaat dicht en wordt verkocht\",{PAGE}\n\
             ,\"de koffie was al voor achten op\",{PAGE}\n"
        ),
    )
    .unwrap();
}

#[test]
fn without_chromium_the_run_says_so_once_and_goes_on() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    picture_quotes(dir.path());
    let output = run_cmd(dir.path(), &site)
        .args(["--screenshots", "--chromium", "/nonexistent/chromium"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // B3 is not found: exit 1, as without --screenshots.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("screenshots: no Chromium found").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "screenshots: no Chromium found (/nonexistent/chromium is not an executable file); run goes on without pictures"
        ),
        "{stderr}"
    );
    let report = read_csv(&dir.path().join("report.csv"));
    assert_eq!(report.len(), 4);
    assert!(!dir.path().join("archive/shots").exists());
}

#[test]
fn a_picture_per_located_quote_from_the_archive_alone() {
    let Some(browser) = chromium() else { return };
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    picture_quotes(dir.path());
    let output = run_cmd(dir.path(), &site)
        .args(["--screenshots", "--html", "out/report.html"])
        .env("CITECHECK_CHROMIUM", &browser)
        .env("CITECHECK_LOG", "citecheck=info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report = read_csv(&dir.path().join("report.csv"));
    let located: Vec<(String, String)> = report
        .iter()
        .enumerate()
        .filter(|(_, r)| !r["start"].is_empty())
        .map(|(i, r)| {
            let id = if r["id"].is_empty() {
                format!("row{}", i + 1)
            } else {
                r["id"].clone()
            };
            (id, r["source_url"].clone())
        })
        .collect();
    let ids: Vec<&str> = located.iter().map(|(id, _)| id.as_str()).collect();
    // A quote without an id goes by its row number (the input layer gives it one).
    assert_eq!(ids, ["B1", "B2", "4"], "{report:?}");
    assert!(
        stderr.contains("screenshots: 3 of 3 located quotes"),
        "{stderr}"
    );

    // The page was fetched once, by the run: the pictures asked the live site for nothing,
    // and the page's script never ran (its image would have been asked for).
    assert_eq!(site.hits("/beeld"), 1);
    assert_eq!(site.hits("/beeld/foto.png"), 0);
    assert_eq!(site.hits("/beeld/script-ran.png"), 0);
    // What the page asked for reached the local server, which refused it: an image on
    // another host and one on its own that the archive does not hold.
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        stderr.contains("GET http://elders.example/foto.png"),
        "{stderr}"
    );
    assert!(stderr.contains("/beeld/foto.png"), "{stderr}");
    assert!(!stderr.contains("script-ran"), "{stderr}");

    // One PNG per located quote, named in shots.jsonl, in shots/ and in a WARC record.
    let archive = dir.path().join("archive");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(archive.join("shots/shots.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let index = std::fs::read_to_string(archive.join("index.cdxj")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-shots");
    std::fs::create_dir_all(&keep).unwrap();
    for ((id, url), line) in located.iter().zip(&lines) {
        assert_eq!(line["quote_id"], id.as_str());
        assert_eq!(line["cited_url"], url.as_str());
        let rel = line["path"].as_str().unwrap();
        assert!(rel.starts_with("shots/") && rel.ends_with(".png"), "{rel}");
        let png = std::fs::read(archive.join(rel)).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{rel}");
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (1280, 900), "{rel}");
        // A blank viewport (the picture taken before the page scrolled) is a few KB.
        assert!(png.len() > 20_000, "{rel}: {} bytes", png.len());
        std::fs::copy(archive.join(rel), keep.join(format!("{id}.png"))).unwrap();

        let warc = archive.join(line["warc_file"].as_str().unwrap());
        let record = citecheck::read_record_at(
            &warc,
            line["offset"].as_u64().unwrap(),
            line["length"].as_u64().unwrap(),
        )
        .unwrap();
        assert_eq!(record.warc_type(), "resource");
        let uri = format!("urn:screenshot:{url}#{id}");
        assert_eq!(record.header("WARC-Target-URI"), Some(uri.as_str()));
        assert_eq!(record.header("Content-Type"), Some("image/png"));
        assert_eq!(record.block, png);
        assert_eq!(
            record.header("WARC-Block-Digest"),
            Some(citecheck::dev::sha1_digest(&png).as_str())
        );
        let refers_to = record.header("WARC-Refers-To").unwrap();
        assert_eq!(
            refers_to.trim_matches(['<', '>']),
            line["rendered_from"].as_str().unwrap()
        );
        assert!(
            index.lines().any(|l| l.starts_with(&uri.to_lowercase())
                && l.contains(&format!("\"offset\": \"{}\"", line["offset"]))),
            "{uri} not in index.cdxj"
        );
        // report.html shows it beside the passage, linked from its own folder.
        let href = format!("src=\"../archive/{rel}\"");
        assert!(html.contains(&href), "{href} not in report.html");
    }
    assert_eq!(html.matches("<figure class=\"shot\">").count(), 3);
    assert!(
        html.contains("img-src 'self'"),
        "the report's policy must let the pictures in"
    );
    keep_warcs(&archive, "shots");
    assert_archive_whole(&archive);
}

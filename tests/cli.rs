//! End-to-end tests: the real binary against the fixture site on 127.0.0.1 (no other
//! network). One integration binary, one link step.

mod common;

use std::collections::HashMap;
use std::path::Path;

use assert_cmd::Command;
use common::FixtureSite;

/// The binary, with proxies disabled (reqwest would send even 127.0.0.1 through one).
fn citecheck(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("citecheck").unwrap();
    cmd.current_dir(dir)
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY");
    cmd
}

/// Rows of a CSV file as maps.
fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
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
fn masked(path: &Path, site: &FixtureSite, drop_columns: &[&str], also: &[(&str, &str)]) -> String {
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

const SITE: &str = "https://www.overheidvannu.nl";

#[test]
fn check_gives_every_status_and_a_stable_links_csv() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let closed = FixtureSite::closed_port();
    let rows = [
        ("ok", format!("{SITE}/ok")),
        ("relative_redirect", format!("{SITE}/moved")),
        ("absolute_redirect", format!("{SITE}/moved-absolute")),
        ("chain", format!("{SITE}/chain/1")),
        ("loop", format!("{SITE}/loop/a")),
        ("missing", format!("{SITE}/missing")),
        ("gone", format!("{SITE}/gone")),
        ("flaky", format!("{SITE}/flaky")),
        ("busy", format!("{SITE}/busy")),
        ("hang", format!("{SITE}/hang")),
        ("closed_port", format!("http://127.0.0.1:{closed}/artikel")),
        ("dot_invalid", "https://nergens.invalid/artikel".to_string()),
        (
            "no_scheme",
            "www.overheidvannu.nl/zonder-schema".to_string(),
        ),
        ("ftp", "ftp://www.overheidvannu.nl/bestand".to_string()),
        ("duplicate", format!("{SITE}/ok#reacties")),
        ("cp1252", format!("{SITE}/cp1252")),
        ("gzip", format!("{SITE}/gzip")),
        ("chunked", format!("{SITE}/chunked")),
        ("forbidden", format!("{SITE}/forbidden")),
        ("challenge", format!("{SITE}/challenge")),
        ("to_home", format!("{SITE}/to-home")),
        ("not_found_200", format!("{SITE}/not-found-200")),
        ("pdf", format!("{SITE}/pdf")),
    ];
    let mut sources = String::from("id,url\n");
    for (id, url) in &rows {
        sources.push_str(&format!("{id},{url}\n"));
    }
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let output = citecheck(dir.path())
        .args([
            "check",
            "--timeout",
            "2",
            "--retries",
            "1",
            "--host-interval",
            "0",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{} links:", rows.len())),
        "{stderr}"
    );

    let links = read_csv(&dir.path().join("links.csv"));
    let got: HashMap<&str, &str> = links
        .iter()
        .map(|r| (r["id"].as_str(), r["status"].as_str()))
        .collect();
    let expected = [
        ("ok", "ok"),
        ("relative_redirect", "redirected"),
        ("absolute_redirect", "redirected"),
        ("chain", "redirected"),
        ("loop", "broken"),
        ("missing", "broken"),
        ("gone", "broken"),
        ("flaky", "ok"),
        ("busy", "ok"),
        ("hang", "timeout"),
        ("closed_port", "unreachable"),
        ("dot_invalid", "unreachable"),
        ("no_scheme", "invalid"),
        ("ftp", "invalid"),
        ("duplicate", "duplicate"),
        ("cp1252", "ok"),
        ("gzip", "ok"),
        ("chunked", "ok"),
        ("forbidden", "blocked"),
        ("challenge", "blocked"),
        ("to_home", "soft_404"),
        ("not_found_200", "soft_404"),
        ("pdf", "ok"),
    ];
    for (id, status) in expected {
        assert_eq!(
            got[id],
            status,
            "row {id}: {:?}",
            links.iter().find(|r| r["id"] == id)
        );
    }
    // Input order is kept although results arrive out of order.
    let order: Vec<&str> = links.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(order, rows.iter().map(|r| r.0).collect::<Vec<_>>());
    // The duplicate was not fetched again; the flaky and busy routes were retried once.
    // Once itself and once at the end of each of the three redirect routes; never for the duplicate.
    assert_eq!(site.hits("/ok"), 1 + 3);
    assert_eq!(site.hits("/flaky"), 2);
    assert_eq!(site.hits("/busy"), 2);
    assert_eq!(site.hits("/hang"), 2);

    let row = |id: &str| links.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(
        row("cp1252")["title"],
        "‘Lievingërveld’: de wijk waar bijna alles mag"
    );
    assert_eq!(row("chain")["redirects"], "3");
    assert!(row("loop")["error"].contains("redirect loop"));
    assert_eq!(row("gone")["error"], "HTTP 410 Gone");
    assert!(
        row("closed_port")["error"].contains("connection refused"),
        "{:?}",
        row("closed_port")
    );
    assert!(row("dot_invalid")["error"].contains("DNS"));
    assert!(row("pdf")["error"].contains("not HTML (application/pdf)"));

    insta::assert_snapshot!(
        "check_links_csv",
        masked(
            &dir.path().join("links.csv"),
            &site,
            &["fetched_at"],
            &[(&format!("127.0.0.1:{closed}"), "127.0.0.1:[CLOSED]")]
        )
    );
}

#[test]
fn bundled_seed_run_offline_reports_unreachable_and_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("sources.csv"), dir.path().join("sources.csv")).unwrap();
    // Send the cited host to a closed port: the same result as a machine without internet,
    // without asking any DNS server.
    let closed = FixtureSite::closed_port();
    let output = citecheck(dir.path())
        .args(["check", "--retries", "0", "--remap"])
        .arg(format!(
            r"^https://www\.overheidvannu\.nl/ http://127.0.0.1:{closed}/"
        ))
        .arg("--remap")
        .arg(format!(
            r"^https://(web\.)?archive\.org/ http://127.0.0.1:{closed}/"
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(links.len(), 12);
    assert_eq!(
        links
            .iter()
            .filter(|r| r["status"] == "unreachable")
            .count(),
        11
    );
    assert_eq!(links[7]["status"], "duplicate");
    assert_eq!(links[7]["duplicate_of"], "S2");
}

#[test]
fn malformed_sources_rows_are_located_and_skipped() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nA,{SITE}/ok\nB,\nC,\"{SITE}/gone\nD,{SITE}/missing\n"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--retries", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sources.csv:3: empty \"url\" field; row skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sources.csv:4: unbalanced quote mark"),
        "{stderr}"
    );
    let links = read_csv(&dir.path().join("links.csv"));
    let ids: Vec<&str> = links.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["A", "D"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn size_cap_and_exit_codes() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("url\n{SITE}/huge\n{SITE}/forbidden\n"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--max-body", "100000"])
        .args(site.remap_args())
        .output()
        .unwrap();
    // blocked is reported but does not fail the run by default.
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(links[0]["status"], "ok");
    assert!(
        links[0]["error"].contains("body larger than 100000 bytes"),
        "{:?}",
        links[0]
    );
    assert_eq!(links[0]["title"], "Heel groot");
    let output = citecheck(dir.path())
        .args(["check", "--fail-on", "blocked"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let output = citecheck(dir.path())
        .args(["check", "--fail-on", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = citecheck(dir.path())
        .args(["check", "--sources", "missing.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read missing.csv"));
}

#[test]
fn persistent_429_is_blocked_after_honouring_retry_after() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("url\n{SITE}/always-429\n{SITE}/always-500\n"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let output = citecheck(dir.path())
        .args(["check", "--retries", "2"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(links[0]["status"], "blocked");
    assert_eq!(links[0]["attempts"], "3");
    assert_eq!(links[1]["status"], "broken");
    assert!(links[1]["error"].contains("HTTP 503 Service Unavailable after 3 attempts"));
    assert_eq!(site.hits("/always-429"), 3);
    // Two waits of Retry-After: 1 s (with about a second of tolerance).
    assert!(elapsed >= std::time::Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(output.status.code(), Some(1));
}

/// The seed's cited URLs, remapped to the fixture site.
fn seed_sources(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("sources.csv"), dir.join("sources.csv")).unwrap();
    std::fs::copy(root.join("quotes.csv"), dir.join("quotes.csv")).unwrap();
}

/// Keeps the WARC files a test wrote, for `.ci/run` to read with warcio and cdxj-indexer.
fn keep_warcs(archive: &Path, tag: &str) -> Vec<std::path::PathBuf> {
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

#[test]
fn run_archives_every_exchange_text_and_manifest() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    let output = citecheck(dir.path())
        .args(["run", "--host-interval", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("12 links: 11 ok, 1 duplicate"), "{stderr}");
    let archive = dir.path().join("archive");
    let warcs = keep_warcs(&archive, "seed-run");
    assert_eq!(warcs.len(), 1, "one WARC file per run");
    assert!(
        !std::fs::read_dir(&archive).unwrap().any(|e| e
            .unwrap()
            .path()
            .to_string_lossy()
            .ends_with(".open"))
    );

    // Every capture is in the manifest with a text file whose hash matches.
    let manifest = std::fs::read_to_string(archive.join("manifest.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = manifest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 11);
    for entry in &entries {
        assert_eq!(entry["http_status"], 200);
        let text_path = archive.join(entry["text_path"].as_str().unwrap());
        let text = std::fs::read(&text_path).unwrap();
        assert!(text.len() > 1000, "{}", text_path.display());
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(&text)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(entry["text_sha256"], hex);
        assert!(entry["title"].as_str().is_some_and(|t| !t.is_empty()));
    }

    // Read the WARC back with our own reader: digests hold, request/response pairs, texts.
    let contents = citecheck::archive::read_records(&warcs[0]).unwrap();
    assert!(contents.torn_tail.is_none());
    let types: Vec<&str> = contents.records.iter().map(|r| r.warc_type()).collect();
    assert_eq!(types[0], "warcinfo");
    // 11 pages, and one soft-404 probe per dated folder (each answered 404).
    let statuses: Vec<&str> = contents
        .records
        .iter()
        .filter(|r| r.warc_type() == "response")
        .map(|r| std::str::from_utf8(&r.block[9..12]).unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "200").count(), 11);
    assert_eq!(statuses.iter().filter(|s| **s == "404").count(), 10);
    assert_eq!(types.iter().filter(|t| **t == "request").count(), 21);
    assert_eq!(types.iter().filter(|t| **t == "resource").count(), 11);
    for record in &contents.records {
        let digest = record.header("WARC-Block-Digest").unwrap();
        assert_eq!(digest, citecheck::archive::sha1_digest(&record.block));
    }
    let index = std::fs::read_to_string(archive.join("index.cdxj")).unwrap();
    assert_eq!(index.lines().count(), 32);

    // A second run: unchanged pages become revisits, and links.csv says nothing changed.
    let output = citecheck(dir.path())
        .args(["run", "--host-interval", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert!(output.status.code().is_some());
    let warcs = keep_warcs(&archive, "seed-rerun");
    assert_eq!(warcs.len(), 2);
    let links = read_csv(&dir.path().join("links.csv"));
    assert!(
        links
            .iter()
            .filter(|r| r["status"] == "ok")
            .all(|r| r["changed"] == "false"),
        "{links:?}"
    );
    let newest = warcs.iter().max().unwrap();
    let contents = citecheck::archive::read_records(newest).unwrap();
    assert_eq!(
        contents
            .records
            .iter()
            .filter(|r| r.warc_type() == "revisit")
            .count(),
        11
    );
}

/// Quote text with white space collapsed and outer quote marks removed.
fn normalised_quote(q: &str) -> String {
    let marks: &[char] = &['‘', '’', '“', '”', '„', '\'', '"', '«', '»'];
    q.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(marks)
        .to_string()
}

#[test]
fn ingest_of_the_seed_gives_the_committed_sources_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = citecheck(dir.path())
        .arg("ingest")
        .arg(root.join("docs/interbestuurlijk-samenwerken.txt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("12 URLs (11 unique), 12 quotations"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 36 'Het blijft mensenwerk'"),
        "the ambiguous headings are named: {stderr}"
    );
    let ingested = read_csv(&dir.path().join("quotes.csv"));
    let committed = read_csv(&root.join("quotes.csv"));
    assert_eq!(ingested.len(), 12);
    for (a, b) in ingested.iter().zip(&committed) {
        assert_eq!(normalised_quote(&a["quote"]), normalised_quote(&b["quote"]));
        assert_eq!(a["theme"], b["theme"]);
    }
    let urls: Vec<String> = read_csv(&dir.path().join("sources.csv"))
        .into_iter()
        .map(|r| r["url"].clone())
        .collect();
    let committed: Vec<String> = read_csv(&root.join("sources.csv"))
        .into_iter()
        .map(|r| r["url"].clone())
        .collect();
    assert_eq!(urls, committed);
}

#[test]
fn ingest_of_a_binary_file_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deck.pdf"), b"%PDF-1.7\n\x00\x01\x02binary").unwrap();
    let output = citecheck(dir.path())
        .args(["ingest", "deck.pdf"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("deck.pdf"));
    assert!(!dir.path().join("sources.csv").exists());
    assert!(!dir.path().join("quotes.csv").exists());
}

#[test]
fn dead_links_are_rescued_from_the_web_archive_and_soft_404s_are_found() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        (
            "dead_with_copy",
            format!("{SITE}/actueel/artikelen/2020/03/04/verdwenen-met-kopie"),
        ),
        (
            "dead_without_copy",
            format!("{SITE}/actueel/artikelen/2020/03/04/verdwenen-zonder-kopie"),
        ),
        (
            "copy_is_not_found",
            format!("{SITE}/actueel/artikelen/2020/03/04/archief-ook-weg"),
        ),
        (
            "archive_hangs",
            format!("{SITE}/actueel/artikelen/2020/03/04/archief-traag"),
        ),
        ("catchall_gone", format!("{SITE}/catchall/verdwenen")),
        ("catchall_real", format!("{SITE}/catchall/echt-artikel")),
        ("honest_article", format!("{SITE}/ok")),
    ];
    let mut sources = String::from("id,url\n");
    for (id, url) in &rows {
        sources.push_str(&format!("{id},{url}\n"));
    }
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    std::fs::write(dir.path().join("quotes.csv"), "id,quote\nQ1,x\n").unwrap();
    let output = citecheck(dir.path())
        .args([
            "run",
            "--timeout",
            "2",
            "--retries",
            "0",
            "--host-interval",
            "0",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let links = read_csv(&dir.path().join("links.csv"));
    let row = |id: &str| links.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(row("dead_with_copy")["status"], "broken", "{stderr}");
    assert_eq!(
        row("dead_with_copy")["archived_url"],
        "https://web.archive.org/web/20201102093015/https://www.overheidvannu.nl/actueel/artikelen/2020/03/04/verdwenen-met-kopie"
    );
    assert_eq!(
        row("dead_with_copy")["title"],
        "Zuiderveen luistert naar inwoners | Overheid van Nu"
    );
    assert_eq!(row("dead_without_copy")["archived_url"], "");
    assert_eq!(row("copy_is_not_found")["archived_url"], "");
    assert!(
        row("copy_is_not_found")["error"].contains("not usable (soft_404"),
        "{:?}",
        row("copy_is_not_found")
    );
    assert_eq!(row("archive_hangs")["status"], "broken");
    assert!(
        row("archive_hangs")["error"].contains("web archive look-up failed"),
        "{:?}",
        row("archive_hangs")
    );
    assert_eq!(row("catchall_gone")["status"], "soft_404");
    assert_eq!(row("catchall_gone")["reason"], "probe_match");
    assert_eq!(row("catchall_real")["status"], "ok");
    assert_eq!(row("honest_article")["status"], "ok");
    // One probe per folder: /catchall/ once, /actueel/.../ not at all (its pages are dead).
    // The availability API was asked for the timestamp in the cited URL.
    let q = "/wayback-host/wayback/available?url=https%3A%2F%2Fwww.overheidvannu.nl%2Factueel%2Fartikelen%2F2020%2F03%2F04%2Fverdwenen-met-kopie&timestamp=20200304";
    assert_eq!(site.hits(q), 1);

    // The snapshot was archived with its text, as the cited URL's latest capture.
    let manifest = std::fs::read_to_string(dir.path().join("archive/manifest.jsonl")).unwrap();
    let wayback: Vec<serde_json::Value> = manifest
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["source"] == "wayback")
        .collect();
    assert_eq!(wayback.len(), 1, "{manifest}");
    assert_eq!(wayback[0]["memento_datetime"], "2020-11-02T09:30:15Z");
    let text = std::fs::read_to_string(
        dir.path()
            .join("archive")
            .join(wayback[0]["text_path"].as_str().unwrap()),
    )
    .unwrap();
    assert!(
        text.contains("Wie goed luistert, hoort ook wat er niet gezegd wordt"),
        "{text}"
    );
    keep_warcs(&dir.path().join("archive"), "rescue");
}

/// The expected outcome per seed quote, from `tests/fixtures/site/quotes-expected.tsv`.
fn expected_quotes() -> Vec<HashMap<String, String>> {
    let path = common::fixtures().join("site/quotes-expected.tsv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .from_path(path)
        .unwrap();
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

#[test]
fn run_locates_the_seed_quotes_and_verify_reproduces_it_offline() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    let output = citecheck(dir.path())
        .args(["run", "--host-interval", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // One quote is on no page: exit code 1.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report = read_csv(&dir.path().join("report.csv"));
    assert_eq!(report.len(), 12);
    let archive = dir.path().join("archive");
    for (row, expected) in report.iter().zip(expected_quotes()) {
        let id = &row["id"];
        assert_eq!(id, &expected["id"]);
        assert_eq!(row["verdict"], expected["verdict"], "{id}: {row:?}");
        if expected["verdict"] == "not_found" {
            assert_eq!(row["source_url"], "");
            continue;
        }
        assert_eq!(
            row["source_url"],
            format!("{SITE}{}", expected["path"]).replace("%E2%80%98", "%E2%80%98"),
            "{id}"
        );
        assert_eq!(row["speaker"], expected["speaker"], "{id}: {row:?}");
        // Offsets are character offsets into the archived text: Python's text[start:end].
        let text = std::fs::read_to_string(archive.join(&row["text_path"])).unwrap();
        let start: usize = row["start"].parse().unwrap();
        let end: usize = row["end"].parse().unwrap();
        let span: String = text.chars().skip(start).take(end - start).collect();
        assert_eq!(span, row["matched_text"], "{id}");
        let score: f64 = row["score"].parse().unwrap();
        if expected["verdict"] == "verified" {
            assert_eq!(score, 1.0, "{id}");
        } else {
            assert!((0.8..1.0).contains(&score), "{id}: {score}");
            assert!(!row["differences"].is_empty(), "{id}");
        }
    }
    insta::assert_snapshot!(
        "seed_report_csv",
        masked(&dir.path().join("report.csv"), &site, &["text_path"], &[])
    );
    keep_warcs(&archive, "seed-quotes");

    // verify: the archive alone, no request at all, the same verdicts and spans.
    let before = site.total_hits();
    std::fs::rename(
        dir.path().join("report.csv"),
        dir.path().join("report-online.csv"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .arg("verify")
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(site.total_hits(), before, "verify made requests");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("report.csv")).unwrap(),
        std::fs::read_to_string(dir.path().join("report-online.csv")).unwrap()
    );
    let output = citecheck(dir.path())
        .args(["run", "--offline", "--report", "offline.csv"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(site.total_hits(), before, "run --offline made requests");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("offline.csv")).unwrap(),
        std::fs::read_to_string(dir.path().join("report-online.csv")).unwrap()
    );
}

// ───────────────────────── The editor's report (report.html) ─────────────────────────

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

#[test]
fn run_writes_report_html_and_report_renders_it_again_offline() {
    use citecheck::report::html::escape;
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

//! The archive: WARC records, text files and the manifest, runs killed part-way and
//! repaired, WARC rotation, and one run per archive at a time.

use crate::common::FixtureSite;
use crate::common::cmd::*;

mod change;
mod shots;
mod wacz;

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
    let contents = citecheck::read_records(&warcs[0]).unwrap();
    assert!(contents.torn_tail.is_none());
    let types: Vec<&str> = contents.records.iter().map(|r| r.warc_type()).collect();
    assert_eq!(types[0], "warcinfo");
    // 11 pages, and one soft-404 probe per month folder: a made-up day folder with a made-up
    // page in it (each answered 404, so the day folders needed no probe of their own).
    let statuses: Vec<&str> = contents
        .records
        .iter()
        .filter(|r| r.warc_type() == "response")
        .map(|r| std::str::from_utf8(&r.block[9..12]).unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "200").count(), 11);
    assert_eq!(statuses.iter().filter(|s| **s == "404").count(), 5);
    assert_eq!(types.iter().filter(|t| **t == "request").count(), 16);
    // Per page an article text (urn:text:) and a page text (urn:pagetext:) record: 11 + 11.
    assert_eq!(types.iter().filter(|t| **t == "resource").count(), 22);
    for record in &contents.records {
        let digest = record.header("WARC-Block-Digest").unwrap();
        assert_eq!(digest, citecheck::dev::sha1_digest(&record.block));
    }
    let index = std::fs::read_to_string(archive.join("index.cdxj")).unwrap();
    assert_eq!(index.lines().count(), 38);

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
    let contents = citecheck::read_records(newest).unwrap();
    assert_eq!(
        contents
            .records
            .iter()
            .filter(|r| r.warc_type() == "revisit")
            .count(),
        11
    );
}

/// Issue #22: a run killed while its open WARC file holds far more, decoded, than the memory
/// the repair may use. The `verify --repair` that repairs it must stay under that cap (its peak RSS,
/// as the kernel counts it): a repair that read the file whole, or kept its records' blocks,
/// would need at least the file's decoded size.
#[cfg(target_os = "linux")]
#[test]
fn recovery_after_a_kill_holds_less_than_the_open_file() {
    const PAGES: usize = 24; // 4 MB each: 96 MB of records in the open file
    const CAP_BYTES: u64 = 64 << 20;
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let mut sources = String::from("url\n");
    for n in 0..PAGES {
        sources.push_str(&format!("{SITE}/big/{n}\n"));
    }
    sources.push_str(&format!("{SITE}/big/stall\n"));
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote\nQ1,\"Een zin die in geen enkel databestand staat en nergens voorkomt.\"\n",
    )
    .unwrap();
    // Every page archived, the run waiting on the last one: killed with its file open.
    let open = kill_run_at(&site, dir.path(), KillPoint::ManifestLines(PAGES));
    assert_eq!(open, 1, "the killed run's WARC is still open");
    let archive = dir.path().join("archive");
    let open_file = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".open"))
        .unwrap();
    let mut decoded = 0u64;
    let mut gz = flate2::read::MultiGzDecoder::new(std::fs::File::open(&open_file).unwrap());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match std::io::Read::read(&mut gz, &mut buf) {
            Ok(0) | Err(_) => break, // the end, or the torn tail the kill may have left
            Ok(n) => decoded += n as u64,
        }
    }
    assert!(
        decoded > CAP_BYTES + (16 << 20),
        "the open file decodes to {decoded} bytes: not larger than the cap"
    );

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"))
        .current_dir(dir.path())
        .args(["verify", "--repair", "--no-progress"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (status, max_rss) = wait_with_peak_rss(child);
    assert!(matches!(status, 0 | 1), "verify exit {status}");
    assert!(
        !std::fs::read_dir(&archive).unwrap().any(|e| e
            .unwrap()
            .path()
            .to_string_lossy()
            .ends_with(".open")),
        "verify repaired the open file"
    );
    assert!(
        max_rss < CAP_BYTES,
        "verify's peak RSS {max_rss} bytes for an open file of {decoded} decoded bytes"
    );
    let index = std::fs::read_to_string(archive.join("index.cdxj")).unwrap();
    assert_eq!(
        index.lines().filter(|l| l.contains("/big/")).count(),
        PAGES,
        "every page's response indexed"
    );
}

/// Waits for `child` (its stderr drained meanwhile) and returns its exit code and peak RSS
/// in bytes: the kernel's high-water mark for that process (`VmHWM` in /proc/PID/status),
/// read until it exits. The mark only grows, so the last reading holds every peak before it.
#[cfg(target_os = "linux")]
fn wait_with_peak_rss(mut child: std::process::Child) -> (i32, u64) {
    let mut stderr = child.stderr.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(kb * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let log = drain.join().unwrap();
    assert!(peak > 0, "no reading of the process's memory: {log}");
    (status.code().unwrap_or(-1), peak)
}

#[test]
fn a_run_killed_part_way_leaves_an_archive_the_next_run_repairs() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_slow_sources(dir.path(), 400);
    let open = kill_run_at(&site, dir.path(), KillPoint::ManifestLines(20));
    assert_eq!(open, 1, "the killed run's WARC is still open");
    // The next run repairs the archive before writing its own file.
    assert_eq!(rerun_and_check_recovery(&site, dir.path()), 2);
    keep_warcs(&dir.path().join("archive"), "killed");
}

/// `--warc-max-size`: a run killed part-way has finished several small files and left one
/// open; the repair touches only that one, and afterwards each file names itself in its own
/// warcinfo, and the manifest and every index line point at the file holding the record.
#[test]
fn a_rotating_run_killed_part_way_is_repaired_file_by_file() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_slow_sources(dir.path(), 400);
    let archive = dir.path().join("archive");
    let point = KillPoint::ManifestLines(40);
    let open = kill_run_with(&site, dir.path(), point, &["--warc-max-size", "20KB"]);
    assert_eq!(open, 1, "only the file being written is open");
    let finished: Vec<(String, std::time::SystemTime)> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .map(|p| {
            let modified = std::fs::metadata(&p).unwrap().modified().unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                modified,
            )
        })
        .collect();
    assert!(finished.len() >= 2, "{finished:?}");
    for (name, _) in &finished {
        let size = std::fs::metadata(archive.join(name)).unwrap().len();
        assert!(size <= 20_000, "{name}: {size} bytes");
    }
    // The repairing run (one page, the default size limit) adds its own file.
    assert_eq!(
        rerun_and_check_recovery(&site, dir.path()),
        finished.len() + 2
    );
    // The finished files were not rewritten.
    for (name, modified) in &finished {
        let now = std::fs::metadata(archive.join(name))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(&now, modified, "{name}");
    }
    let mut names = Vec::new();
    let mut with_captures = Vec::new();
    for entry in std::fs::read_dir(&archive).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".warc.gz") {
            let contents = citecheck::read_records(&path).unwrap();
            assert_eq!(contents.records[0].warc_type(), "warcinfo");
            assert_eq!(
                contents.records[0].header("WARC-Filename"),
                Some(name.as_str())
            );
            // A kill just after a rotation leaves the new file with its warcinfo only (the
            // page being written is torn off by the repair): nothing in it to index.
            if contents.records.len() > 1 {
                with_captures.push(name.clone());
            }
            names.push(name);
        }
    }
    let index = std::fs::read_to_string(archive.join("index.cdxj")).unwrap();
    let mut files_indexed = std::collections::HashSet::new();
    for line in index.lines() {
        let json: serde_json::Value =
            serde_json::from_str(&line[line.find('{').unwrap()..]).unwrap();
        let file = json["filename"].as_str().unwrap();
        assert!(names.iter().any(|n| n == file), "{line}");
        let record = citecheck::read_record_at(
            &archive.join(file),
            json["offset"].as_str().unwrap().parse().unwrap(),
            json["length"].as_str().unwrap().parse().unwrap(),
        )
        .unwrap();
        assert_eq!(record.header("WARC-Target-URI"), json["url"].as_str());
        files_indexed.insert(file.to_string());
    }
    // Every file holding a capture is in the index, the recovered one too.
    assert_eq!(
        files_indexed,
        with_captures
            .into_iter()
            .collect::<std::collections::HashSet<_>>(),
        "{names:?}"
    );
    keep_warcs(&archive, "rotated-killed");
}

#[test]
fn a_second_run_on_an_archive_in_use_stops_before_touching_it() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(dir.path(), &[("ok", "/ok")]);
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote\nQ1,Het begint met een kop koffie\n",
    )
    .unwrap();
    // This test process stands for the other run: it holds the folder's lock.
    std::fs::create_dir_all(dir.path().join("archive")).unwrap();
    let other = std::fs::File::create(dir.path().join("archive/.lock")).unwrap();
    other.lock().unwrap();
    let planted = dir.path().join("archive/other.warc.gz.open");
    std::fs::write(&planted, b"being written by the other run").unwrap();
    let output = run_cmd(dir.path(), &site).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("another citecheck run is using this archive folder"),
        "{stderr}"
    );
    // The other run's open WARC was not "repaired", and nothing was fetched.
    assert_eq!(
        std::fs::read(&planted).unwrap(),
        b"being written by the other run"
    );
    assert_eq!(site.hits("/ok"), 0);
    other.unlock().unwrap();
    let output = run_cmd(dir.path(), &site).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Issue #18: a big page that waits a while for its soft-404 probe keeps its bytes charged,
/// and no second big page is let in beside it (a second's grace let one in before, and
/// `run` peaked at two 10 MiB pages at once); the run still completes at concurrency 4.
#[test]
fn a_big_page_waiting_for_its_probe_is_not_joined_by_another() {
    use crate::common::BIG_PAGE_BYTES;
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, String)> = (1..=4)
        .map(|n| (format!("G{n}"), format!("/groot-peilt-traag/{n}")))
        .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    write_sources(dir.path(), &rows);
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote,source\nQ1,\"een zin die nergens staat\",\n",
    )
    .unwrap();
    // Room for one page's charge, not two.
    let charged = 3 * BIG_PAGE_BYTES;
    let budget = charged + charged / 2;
    let output = run_cmd(dir.path(), &site)
        .args(["--per-host", "4", "--concurrency", "4"])
        .args(["--body-budget", &budget.to_string()])
        .env("CITECHECK_LOG", "info")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let peak = budget_peak(&stderr);
    assert!(peak >= charged, "{peak}");
    assert!(
        peak < 2 * charged,
        "{peak}: a second page was let in while the first waited for its probe\n{stderr}"
    );
    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(links.len(), 4);
    assert!(links.iter().all(|r| r["status"] == "ok"), "{links:?}");
}

/// Pages larger than the whole body budget (`--body-budget`), some with a length and some
/// chunked: each proceeds alone, never more than about one page is held at once, and every
/// page is archived whole (payload and digests exact, no truncation) with its text.
#[test]
fn big_pages_beyond_the_body_budget_are_archived_whole_one_at_a_time() {
    use crate::common::{BIG_PAGE_BYTES, big_page};
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let pages: Vec<u64> = (1..=4).collect();
    let rows: Vec<(String, String)> = pages
        .iter()
        .map(|n| (format!("G{n}"), format!("/groot/{n}")))
        .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    write_sources(dir.path(), &rows);
    // A sentence from the middle of page 3 (the numbered paragraphs make it unique).
    let page3 = big_page(3, BIG_PAGE_BYTES);
    let start = page3.find("<p>Alinea 5000 van verslag 3:").unwrap() + 3;
    let quote = &page3[start..start + page3[start..].find("</p>").unwrap()];
    std::fs::write(
        dir.path().join("quotes.csv"),
        format!("id,quote,source\nQ1,\"{quote}\",{SITE}/groot/3\n"),
    )
    .unwrap();
    let budget = 1_000_000;
    let output = run_cmd(dir.path(), &site)
        .args(["--per-host", "4", "--body-budget", &budget.to_string()])
        .env("CITECHECK_LOG", "info,citecheck::http::budget=debug")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let peak = budget_peak(&stderr);
    // One page at a time (a small 404 probe goes beside it, and a chunked page's first
    // steps while they fit), where all four are read at once without the budget.
    // `run` charges three budget bytes per body byte (the body, its decoded text, the texts
    // extracted from it).
    let charged = 3 * BIG_PAGE_BYTES;
    assert!(
        peak >= charged,
        "each page is larger than the budget: {peak}"
    );
    assert!(
        peak <= budget + charged,
        "{peak}: more pages held at once than the budget allows\n{stderr}"
    );

    let links = read_csv(&dir.path().join("links.csv"));
    assert_eq!(links.len(), 4);
    for row in &links {
        assert_eq!(
            (row["status"].as_str(), row["error"].as_str()),
            ("ok", ""),
            "{row:?}"
        );
    }
    let archive = dir.path().join("archive");
    let entries = assert_archive_whole(&archive);
    assert_eq!(entries.len(), 4);
    let warcs = keep_warcs(&archive, "big-pages");
    let contents = citecheck::read_records(&warcs[0]).unwrap();
    for n in &pages {
        let page = big_page(*n, BIG_PAGE_BYTES);
        let response = contents
            .records
            .iter()
            .find(|r| {
                r.warc_type() == "response"
                    && r.header("WARC-Target-URI")
                        .is_some_and(|u| u.ends_with(&format!("/groot/{n}")))
            })
            .unwrap_or_else(|| panic!("no response record for page {n}"));
        assert!(response.header("WARC-Truncated").is_none());
        let payload = citecheck::dev::http_payload(&response.block);
        assert!(payload == page.as_bytes(), "page {n}: payload differs");
        assert_eq!(
            response.header("WARC-Payload-Digest"),
            Some(citecheck::dev::sha1_digest(page.as_bytes()).as_str())
        );
        let entry = entries
            .iter()
            .find(|e| {
                e["cited_url"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/groot/{n}"))
            })
            .unwrap();
        let text =
            std::fs::read_to_string(archive.join(entry["text_path"].as_str().unwrap())).unwrap();
        assert!(
            text.contains(&format!("Alinea 7000 van verslag {n}:")),
            "page {n}: text not extracted to its end"
        );
    }
    let report = read_csv(&dir.path().join("report.csv"));
    assert_eq!(report[0]["verdict"], "verified", "{report:?}");
}

/// The budget's peak that a run logs ("body bytes in flight: at most N").
fn budget_peak(stderr: &str) -> usize {
    stderr
        .split("body bytes in flight: at most ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no budget line: {stderr}"))
}

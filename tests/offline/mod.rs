//! `verify` and `run --offline` report the links too, from the archive's latest capture of
//! each URL, marked as such with the capture's date, in links.csv and every format; the
//! exit code counts them. Also `merge`: shards merged into one run.

use std::collections::HashMap;

use crate::common;
use crate::common::FixtureSite;
use crate::common::cmd::*;

#[test]
fn offline_links_come_from_the_archive_in_every_format() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(
        dir.path(),
        &[
            ("ok", "/ok"),
            ("moved", "/moved"),
            ("missing", "/missing"),
            ("again", "/ok#boven"),
        ],
    );
    std::fs::write(dir.path().join("quotes.csv"), "id,quote\n").unwrap();
    let output = run_cmd(dir.path(), &site).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let online = read_csv(&dir.path().join("links.csv"));
    for row in &online {
        assert_eq!(row["checked_from"], "live");
        assert_eq!(row["capture_date"], "");
    }

    // A URL cited after the run: the archive holds nothing of it.
    let mut sources = std::fs::read_to_string(dir.path().join("sources.csv")).unwrap();
    sources.push_str(&format!("later,{SITE}/gzip\n"));
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let before = site.total_hits();
    let output = citecheck(dir.path())
        .args([
            "run",
            "--offline",
            "--format",
            "junit",
            "--links",
            "offline.csv",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(site.total_hits(), before, "run --offline made requests");
    assert!(stderr.contains("5 links (from the archive):"), "{stderr}");
    let offline = read_csv(&dir.path().join("offline.csv"));
    let got: Vec<(&str, &str, &str)> = offline
        .iter()
        .map(|r| {
            (
                r["id"].as_str(),
                r["status"].as_str(),
                r["http_status"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ok", "ok", "200"),
            ("moved", "redirected", "200"),
            ("missing", "broken", "404"),
            ("again", "duplicate", "200"),
            ("later", "unreachable", ""),
        ]
    );
    for (live, archived) in online.iter().zip(&offline) {
        assert_eq!(archived["checked_from"], "archive");
        for column in ["url", "redirects"] {
            assert_eq!(live[column], archived[column], "{column}");
        }
        // The archive keeps the article's headline, without the site's suffix.
        assert!(live["title"].starts_with(&archived["title"]), "{live:?}");
        if live["status"] == "redirected" {
            // The capture is the one the online run made. Its date is when the final
            // exchange began; links.csv's fetched_at is the first request's, a hop earlier
            // (a second boundary may fall between them on a loaded machine).
            let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
            let hop = at(&archived["capture_date"]).duration_since(at(&live["fetched_at"]));
            assert!(
                hop >= jiff::SignedDuration::ZERO && hop.as_secs() < 30,
                "{live:?} {archived:?}"
            );
        } else if live["status"] != "duplicate" {
            // The capture is the one the online run made.
            assert_eq!(archived["capture_date"], live["fetched_at"]);
        }
    }
    assert_eq!(offline[4]["reason"], "not_archived");
    assert_eq!(offline[4]["checked_from"], "archive");

    // JUnit: a links suite with a test per row, the failures marked as from the archive.
    let text = String::from_utf8(output.stdout).unwrap();
    let doc = common::xml::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let suites: Vec<_> = doc.children("testsuite").collect();
    assert_eq!(suites[0].attr("name"), Some("links"));
    assert_eq!(suites[0].attr("tests"), Some("5"));
    assert_eq!(suites[0].attr("failures"), Some("2"));
    assert!(
        text.contains(&format!(
            "[from the archive&apos;s capture of {}]",
            online[2]["fetched_at"]
        )) || text.contains(&format!(
            "[from the archive's capture of {}]",
            online[2]["fetched_at"]
        )),
        "{text}"
    );

    // verify: the same rows, as JSON and Markdown, with GitHub annotations.
    let output = citecheck(dir.path())
        .args(["verify", "--format", "json", "--links", "verify.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let strip = |rows: Vec<HashMap<String, String>>| -> Vec<Vec<(String, String)>> {
        rows.into_iter()
            .map(|r| {
                let mut r: Vec<(String, String)> = r.into_iter().collect();
                r.sort();
                r
            })
            .collect()
    };
    assert_eq!(
        strip(read_csv(&dir.path().join("verify.csv"))),
        strip(offline.clone())
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let links = json["links"].as_array().unwrap();
    assert_eq!(links.len(), 5);
    assert_eq!(links[2]["checked_from"], "archive");
    assert_eq!(links[2]["capture_date"], online[2]["fetched_at"].as_str());
    assert_eq!(links[4]["capture_date"], serde_json::Value::Null);
    let output = citecheck(dir.path())
        .args(["verify", "--format", "markdown", "--links", "verify.csv"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&output.stdout);
    assert!(md.contains("| links: status | count |"), "{md}");
    assert!(
        md.contains("5 links reported from the archive's latest capture"),
        "{md}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("::error file=sources.csv,line=4,title=broken link::missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[from the archive's capture of"),
        "{stderr}"
    );
    // The editor's page says so too.
    let output = citecheck(dir.path())
        .args(["verify", "--links", "verify.csv", "--html", "verify.html"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let html = std::fs::read_to_string(dir.path().join("verify.html")).unwrap();
    assert_eq!(html.matches("from the archive, ").count(), 3, "{html}");
    assert_eq!(html.matches("from the archive<").count(), 2, "{html}");
    // --fail-on none: the archived links are counted, and named findings only.
    let output = citecheck(dir.path())
        .args(["verify", "--fail-on", "none", "--links", "verify.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}

/// Rows of a CSV without the columns that hold a time.
fn timeless(path: &std::path::Path) -> Vec<Vec<(String, String)>> {
    read_csv(path)
        .into_iter()
        .map(|r| {
            let mut r: Vec<(String, String)> = r
                .into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "fetched_at" | "capture_date"))
                .collect();
            r.sort();
            r
        })
        .collect()
}

#[test]
fn three_shards_merged_give_the_single_run() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    // The seed cites one host; more hosts spread the rows over the shards.
    let mut sources = std::fs::read_to_string(dir.path().join("sources.csv")).unwrap();
    let hosts = [
        "gemeente.example",
        "provincie.example",
        "waterschap.example",
        "rijk.example",
        "dorp.example",
    ];
    for (i, host) in hosts.iter().enumerate() {
        for path in ["/ok", "/missing", "/moved", "/gzip"] {
            sources.push_str(&format!("H{i}{path},https://{host}{path}\n"));
        }
    }
    sources.push_str("bad,geen url\n");
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let remap_hosts = format!(r"^https://[a-z]+\.example/ {}/", site.base());
    let run = |extra: &[&str]| {
        let output = citecheck(dir.path())
            .args([
                "run",
                "--host-interval",
                "0",
                "--retries",
                "0",
                "--no-rescue",
            ])
            .args(site.remap_args())
            .args(["--remap", &remap_hosts])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&[]);
    let mut outputs = Vec::new();
    for k in 1..=3 {
        let (links, archive) = (format!("links-{k}.csv"), format!("archive-{k}"));
        run(&[
            "--shard",
            &format!("{k}/3"),
            "--links",
            &links,
            "--archive",
            &archive,
            "--report",
            "/dev/null",
        ]);
        outputs.push(links);
        outputs.push(archive);
    }
    let nonempty = (1..=3)
        .filter(|k| read_csv(&dir.path().join(format!("links-{k}.csv"))).len() > 1)
        .count();
    assert!(nonempty >= 2, "the hosts should spread over the shards");
    let output = citecheck(dir.path())
        .args(["merge", "--links", "merged.csv", "--archive", "merged"])
        .args(&outputs)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        timeless(&dir.path().join("merged.csv")),
        timeless(&dir.path().join("links.csv"))
    );
    // verify on the merged archive: one report, the single run's.
    let output = citecheck(dir.path())
        .args([
            "verify",
            "--archive",
            "merged",
            "--report",
            "merged-report.csv",
            "--links",
            "merged-archive-links.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        timeless(&dir.path().join("merged-report.csv")),
        timeless(&dir.path().join("report.csv"))
    );
    let archived = read_csv(&dir.path().join("merged-archive-links.csv"));
    let single = read_csv(&dir.path().join("links.csv"));
    assert_eq!(archived.len(), single.len());
    for (a, s) in archived.iter().zip(&single) {
        assert_eq!((&a["id"], &a["status"]), (&s["id"], &s["status"]));
    }
    // The merged index names only files that are in the merged folder.
    let index = std::fs::read_to_string(dir.path().join("merged/index.cdxj")).unwrap();
    let mut lines = 0;
    for line in index.lines() {
        let json: serde_json::Value =
            serde_json::from_str(&line[line.find('{').unwrap()..]).unwrap();
        let file = json["filename"].as_str().unwrap();
        assert!(dir.path().join("merged").join(file).is_file(), "{file}");
        lines += 1;
    }
    assert!(lines > 0);
    // Names two shards share are made unique, in the manifest and the index too.
    let output = citecheck(dir.path())
        .args(["merge", "--archive", "twice", "archive-1", "archive-1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let warcs = |d: &str| -> Vec<String> {
        std::fs::read_dir(dir.path().join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".warc.gz"))
            .collect()
    };
    assert_eq!(warcs("twice").len(), 2 * warcs("archive-1").len());
    assert!(
        stderr.contains(&format!("({} renamed)", warcs("archive-1").len())),
        "{stderr}"
    );
    let manifest = std::fs::read_to_string(dir.path().join("twice/manifest.jsonl")).unwrap();
    for line in manifest.lines() {
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = json["warc_file"].as_str().unwrap();
        assert!(dir.path().join("twice").join(file).is_file(), "{file}");
    }
    let index = std::fs::read_to_string(dir.path().join("twice/index.cdxj")).unwrap();
    let renamed = index.lines().filter(|l| l.contains("-2.warc.gz\"")).count();
    assert!(renamed > 0, "{index}");
    // `.ci/run` reads the merged WARC files with warcio and cdxj-indexer.
    keep_warcs(&dir.path().join("twice"), "merged");
    // The merged links file cannot be one of the shards' (it would be emptied first).
    let shard_1 = std::fs::read(dir.path().join("links-1.csv")).unwrap();
    let output = citecheck(dir.path())
        .args([
            "merge",
            "--links",
            "./links-1.csv",
            "links-1.csv",
            "links-2.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("links-1.csv")).unwrap(),
        shard_1
    );
    // A second merge into the same folder is refused.
    let output = citecheck(dir.path())
        .args(["merge", "--links", "again.csv", "--archive", "merged"])
        .args(&outputs)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

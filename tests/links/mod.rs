//! `check` and the link half of `run`: every status, malformed rows, caps and exit codes,
//! 429 handling, rescue from the web archive, soft 404s, `--offline`.

use std::collections::HashMap;
use std::path::Path;

use crate::common::FixtureSite;
use crate::common::cmd::*;

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
        ("id_routed", format!("{SITE}/id/4821/regiodeal-van-start")),
        ("id_routed_too", format!("{SITE}/id/4822/regiodeal-twee")),
        ("catchall_dated", format!("{SITE}/catchall/2020/verdwenen")),
    ];
    let mut sources = String::from("id,url\n");
    for (id, url) in &rows {
        sources.push_str(&format!("{id},{url}\n"));
    }
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    std::fs::write(
        dir.path().join("quotes.csv"),
        format!(
            "id,quote,source\n\
R1,\"‘Wie goed luistert, hoort ook wat er niet gezegd wordt.’\",{SITE}/actueel/artikelen/2020/03/04/verdwenen-met-kopie\n\
R2,\"‘Een zin die op geen enkele pagina staat, ook niet in het archief.’\",{SITE}/actueel/artikelen/2020/03/04/verdwenen-zonder-kopie\n\
R3,\"‘We kijken eerst wat er al is.’\",{SITE}/ok\n\
R4,\"‘We kijken eerst wat er al is.’\",{SITE}/actueel/artikelen/2020/03/04/verdwenen-zonder-kopie\n"
        ),
    )
    .unwrap();
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
    // A made-up slug under /id/4821/ gets the same article back; a made-up folder does not:
    // the site routes by number, the citation is live.
    assert_eq!(row("id_routed")["status"], "ok", "{:?}", row("id_routed"));
    assert_eq!(row("id_routed_too")["status"], "ok");
    // Two articles and one probe of a made-up folder for the whole section (a probe per
    // article folder would have made it four).
    assert_eq!(site.hits_under("/id/"), 3);
    // Under /catchall/2020/ both probes get the catch-all page: a soft 404.
    assert_eq!(row("catchall_dated")["status"], "soft_404");
    assert_eq!(row("catchall_dated")["reason"], "probe_match");
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

    // Quotes: found in the snapshot of a dead page; claimed from a page that could not be had;
    // claimed from a live page that lacks it while another holds it.
    let report = read_csv(&dir.path().join("report.csv"));
    let quote = |id: &str| report.iter().find(|r| r["id"] == id).unwrap().clone();
    let r1 = quote("R1");
    assert_eq!(r1["verdict"], "verified", "{r1:?}");
    assert_eq!(
        r1["source_url"],
        format!("{SITE}/actueel/artikelen/2020/03/04/verdwenen-met-kopie")
    );
    assert_eq!(r1["via"], row("dead_with_copy")["archived_url"]);
    assert_eq!(r1["speaker"], "Karin Smit");
    assert_eq!(quote("R2")["verdict"], "source_unavailable");
    let r3 = quote("R3");
    assert_eq!(r3["verdict"], "misattributed", "{r3:?}");
    assert_eq!(r3["source_url"], format!("{SITE}/catchall/echt-artikel"));
    let r4 = quote("R4");
    assert_eq!(
        r4["verdict"], "verified",
        "claimed source dead, found elsewhere: {r4:?}"
    );
    assert!(!r4["note"].is_empty(), "{r4:?}");
}

#[test]
fn check_offline_makes_no_request() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("url\n{SITE}/ok\nhttps://a.invalid/\n"),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--offline"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("check --offline"), "{stderr}");
    assert_eq!(site.total_hits(), 0);
    assert!(!dir.path().join("links.csv").exists());
}

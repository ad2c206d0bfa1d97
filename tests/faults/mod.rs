//! Robustness: hostile servers, unsafe addresses, bad input files, crashes, `--resume`,
//! shards, Ctrl-C and a hostile manifest.

use std::collections::HashMap;

use crate::common::FixtureSite;
use crate::common::cmd::*;

use crate::common::faults::RawFaultServer;

mod stops;

/// A host sent to the raw fault server by `--remap`.
const KAPOT: &str = "https://kapot.example";

/// What one run against a fault gave.
struct FaultRun {
    dir: tempfile::TempDir,
    output: std::process::Output,
    links: Vec<HashMap<String, String>>,
    manifest: Vec<serde_json::Value>,
    elapsed: std::time::Duration,
}

impl FaultRun {
    /// The links.csv row of the fault.
    fn fault(&self) -> &HashMap<String, String> {
        &self.links[1]
    }

    /// The manifest entry of a cited URL.
    fn captured(&self, cited: &str) -> Option<&serde_json::Value> {
        self.manifest.iter().find(|e| e["cited_url"] == cited)
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

/// `citecheck run` over three rows: a healthy page, `fault_url`, another healthy page; one
/// quote from the first page. Asserts what must hold whatever the fault: the run completes
/// (exit 0 or 1, no panic), every row is in links.csv in order, the healthy rows are `ok`
/// and archived with their text, the quote is verified, and the archive is whole.
fn run_fault(
    site: &FixtureSite,
    raw: Option<&RawFaultServer>,
    fault_url: &str,
    extra: &[&str],
) -> FaultRun {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nA,{SITE}/ok\nF,{fault_url}\nZ,{SITE}/gzip\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote\nQ1,\"Het begint met een kop koffie\"\n",
    )
    .unwrap();
    let mut cmd = citecheck(dir.path());
    cmd.args([
        "run",
        "--no-rescue",
        "--no-probe",
        "--retries",
        "0",
        "--host-interval",
        "0",
    ])
    .args(site.remap_args());
    if !extra.contains(&"--timeout") {
        cmd.args(["--timeout", "5"]);
    }
    if let Some(raw) = raw {
        cmd.args(["--remap", &raw.remap(), "--remap", &raw.remap_tls()]);
    }
    let started = std::time::Instant::now();
    let output = cmd
        .args(extra)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{:?}: {stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let links = read_csv(&dir.path().join("links.csv"));
    let ids: Vec<&str> = links.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["A", "F", "Z"], "{stderr}");
    for healthy in [&links[0], &links[2]] {
        assert_eq!(healthy["status"], "ok", "{healthy:?}");
        assert_eq!(healthy["error"], "", "{healthy:?}");
    }
    let report = read_csv(&dir.path().join("report.csv"));
    assert_eq!(report[0]["verdict"], "verified", "{report:?}");
    let manifest = assert_archive_whole(&dir.path().join("archive"));
    // Kept for `.ci/run`, which reads every kept WARC with warcio and cdxj-indexer.
    let tag: String = fault_url
        .rsplit('/')
        .next()
        .unwrap_or("fault")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    keep_warcs(&dir.path().join("archive"), &format!("fault-{tag}"));
    for healthy in [format!("{SITE}/ok"), format!("{SITE}/gzip")] {
        let entry = manifest
            .iter()
            .find(|e| e["cited_url"] == healthy.as_str())
            .unwrap_or_else(|| panic!("{healthy} not archived: {manifest:?}"));
        assert_eq!(entry["http_status"], 200);
        assert!(entry["text_path"].is_string(), "{entry}");
    }
    FaultRun {
        dir,
        output,
        links,
        manifest,
        elapsed,
    }
}

/// Asserts the fault row's status, reason and that its error names `needle`.
fn assert_fault(run: &FaultRun, status: &str, reason: &str, needle: &str) {
    let row = run.fault();
    // Shown with --nocapture: the table of faults and outcomes.
    println!(
        "FAULT | {} | {} | {} | {} | {:.1} s",
        row["url"],
        row["status"],
        row["reason"],
        row["error"],
        run.elapsed.as_secs_f64()
    );
    assert_eq!(row["status"], status, "{row:?}\n{}", run.stderr());
    assert_eq!(row["reason"], reason, "{row:?}");
    assert!(
        row["error"].contains(needle),
        "error {:?} lacks {needle:?}",
        row["error"]
    );
}

/// What `check_sources_bytes` saw: exit code, stderr, and the links.csv rows if written.
type CheckedBytes = (Option<i32>, String, Option<Vec<HashMap<String, String>>>);

/// `citecheck check` over a sources file given as bytes.
fn check_sources_bytes(site: &FixtureSite, bytes: &[u8]) -> CheckedBytes {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.csv"), bytes).unwrap();
    let output = citecheck(dir.path())
        .args([
            "check",
            "--no-rescue",
            "--no-probe",
            "--retries",
            "0",
            "--host-interval",
            "0",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let links = dir.path().join("links.csv");
    (
        output.status.code(),
        stderr,
        links.exists().then(|| read_csv(&links)),
    )
}

/// xorshift64*: a few reproducible random numbers without a dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Hardening (issue "Hardening: hostile servers, bad input, crashes mid-run, and safe
// defaults"), part 1: hostile servers (tests/common/faults.rs). Each fault row stands between
// two healthy rows; the run must complete, give the fault row a clear status and `error`, and
// lose nothing from the archive.
// ─────────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn fault_connection_closed_mid_body() {
    let site = FixtureSite::start();
    let raw = RawFaultServer::start();
    let run = run_fault(&site, Some(&raw), &format!("{KAPOT}/closed-mid-body"), &[]);
    assert_fault(
        &run,
        "unreachable",
        "protocol",
        "connection closed before the body was complete",
    );
}

#[test]
fn fault_content_length_larger_than_the_body() {
    let site = FixtureSite::start();
    let raw = RawFaultServer::start();
    let run = run_fault(&site, Some(&raw), &format!("{KAPOT}/short-body"), &[]);
    assert_fault(
        &run,
        "unreachable",
        "protocol",
        "connection closed before the body was complete",
    );
}

#[test]
fn fault_endless_body_stops_at_max_body() {
    let site = FixtureSite::start();
    let run = run_fault(
        &site,
        None,
        &format!("{SITE}/fault/endless"),
        &["--max-body", "300000"],
    );
    assert_fault(&run, "ok", "", "body larger than 300000 bytes");
    // What was read is archived, marked as cut at the cap.
    let entry = run.captured(&format!("{SITE}/fault/endless")).unwrap();
    let archive = run.dir.path().join("archive");
    let record = citecheck::read_record_at(
        &archive.join(entry["warc_file"].as_str().unwrap()),
        entry["offset"].as_u64().unwrap(),
        entry["length"].as_u64().unwrap(),
    )
    .unwrap();
    assert_eq!(record.header("WARC-Truncated"), Some("length"));
    let payload = citecheck::dev::http_payload(&record.block);
    assert_eq!(payload.len(), 300_000);
}

#[test]
fn fault_gzip_bomb_stops_at_the_decoded_cap() {
    let site = FixtureSite::start();
    let run = run_fault(&site, None, &format!("{SITE}/fault/gzip-bomb"), &[]);
    assert_fault(&run, "ok", "", "decompresses to more than 50 MiB");
    // The raw (small) body is kept as it came; no text was made of the bomb.
    let entry = run.captured(&format!("{SITE}/fault/gzip-bomb")).unwrap();
    assert!(entry["text_path"].is_null(), "{entry}");
}

#[test]
fn fault_slow_drip_is_cut_by_the_total_timeout() {
    let site = FixtureSite::start();
    let run = run_fault(
        &site,
        None,
        &format!("{SITE}/fault/drip"),
        &["--timeout", "2"],
    );
    assert_fault(&run, "timeout", "timeout", "no complete answer within 2 s");
    // One 2 s attempt (plus the healthy rows), not an endless read.
    assert!(
        run.elapsed < std::time::Duration::from_secs(20),
        "{:?}",
        run.elapsed
    );
}

#[test]
fn fault_lying_charset_is_decoded_by_its_bytes() {
    let site = FixtureSite::start();
    let run = run_fault(&site, None, &format!("{SITE}/fault/lying-charset"), &[]);
    assert_fault(&run, "ok", "", "");
    assert_eq!(run.fault()["title"], "Beëdigde tolken en één loket");
    let entry = run
        .captured(&format!("{SITE}/fault/lying-charset"))
        .unwrap();
    let text = std::fs::read_to_string(
        run.dir
            .path()
            .join("archive")
            .join(entry["text_path"].as_str().unwrap()),
    )
    .unwrap();
    assert!(text.contains("één loket voor beëdigde tolken"), "{text}");
}

#[test]
fn fault_invalid_utf8_never_panics() {
    let site = FixtureSite::start();
    let run = run_fault(&site, None, &format!("{SITE}/fault/invalid-utf8"), &[]);
    assert_fault(&run, "ok", "", "");
    assert!(
        run.fault()["title"].starts_with("Kapotte"),
        "{:?}",
        run.fault()
    );
}

#[test]
fn fault_deeply_nested_page_is_extracted_in_bounded_time() {
    let site = FixtureSite::start();
    let cited = format!("{SITE}/fault/deep-nesting");
    let run = run_fault(&site, None, &cited, &[]);
    assert_fault(&run, "ok", "", "");
    // Before the depth cap (now in src/extract/parse.rs) this page held the run for minutes.
    assert!(
        run.elapsed < std::time::Duration::from_secs(30),
        "{:?}",
        run.elapsed
    );
    let entry = run.captured(&cited).unwrap();
    let text = std::fs::read_to_string(
        run.dir
            .path()
            .join("archive")
            .join(entry["text_path"].as_str().unwrap()),
    )
    .unwrap();
    assert!(
        text.contains("Onder honderdduizend lagen staat nog een zin"),
        "{text}"
    );
}

#[test]
fn fault_binary_responses_are_archived_but_not_extracted() {
    let site = FixtureSite::start();
    for (path, media) in [
        ("png", "image/png"),
        ("pdf", "application/pdf"),
        ("pdf-as-html", "application/pdf"),
    ] {
        let cited = format!("{SITE}/fault/{path}");
        let run = run_fault(&site, None, &cited, &[]);
        assert_fault(&run, "ok", "", &format!("not HTML ({media})"));
        assert_eq!(run.fault()["title"], "", "{path}");
        let entry = run.captured(&cited).unwrap();
        assert!(entry["text_path"].is_null(), "{path}: {entry}");
    }
}

#[test]
fn fault_fifty_redirects_stop_at_the_limit() {
    let site = FixtureSite::start();
    let run = run_fault(&site, None, &format!("{SITE}/fault/redirect/0"), &[]);
    assert_fault(
        &run,
        "broken",
        "too_many_redirects",
        "more than 10 redirects",
    );
    assert_eq!(site.hits("/fault/redirect/11"), 0);
    assert_eq!(site.hits("/fault/redirect/10"), 1);
}

#[test]
fn fault_raw_utf8_in_location_is_followed() {
    let site = FixtureSite::start();
    let run = run_fault(&site, None, &format!("{SITE}/fault/utf8-location"), &[]);
    assert_fault(&run, "redirected", "", "");
    assert_eq!(
        run.fault()["final_url"],
        format!("{SITE}/catchall/caf%C3%A9-%C3%BC")
    );
    assert_eq!(site.hits("/catchall/caf%C3%A9-%C3%BC"), 1);
}

#[test]
fn fault_redirects_to_other_schemes_are_not_followed() {
    let site = FixtureSite::start();
    for (path, location) in [
        ("to-file", "file:///etc/passwd"),
        ("to-ftp", "ftp://ftp.overheidvannu.nl/pub/rapport.pdf"),
        ("to-javascript", "javascript:alert(1)"),
    ] {
        let run = run_fault(&site, None, &format!("{SITE}/fault/{path}"), &[]);
        assert_fault(
            &run,
            "broken",
            "bad_redirect",
            &format!("redirect to a location that cannot be followed: '{location}'"),
        );
    }
}

#[test]
fn fault_malformed_response_heads() {
    let site = FixtureSite::start();
    let raw = RawFaultServer::start();
    for path in ["header-without-colon", "status-abc"] {
        let run = run_fault(&site, Some(&raw), &format!("{KAPOT}/{path}"), &[]);
        assert_fault(&run, "unreachable", "protocol", "malformed HTTP response");
    }
}

#[test]
fn fault_tls_handshake_answered_with_garbage() {
    let site = FixtureSite::start();
    let raw = RawFaultServer::start();
    let run = run_fault(&site, Some(&raw), "https://tls.example/artikel", &[]);
    assert_fault(&run, "unreachable", "tls", "TLS failure");
    assert!(raw.connections() >= 1);
}

#[test]
fn fault_http2_only_server_gives_a_clear_error() {
    let site = FixtureSite::start();
    let raw = RawFaultServer::start();
    let run = run_fault(&site, Some(&raw), &format!("{KAPOT}/h2-only"), &[]);
    assert_fault(&run, "unreachable", "protocol", "HTTP/2");
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Hardening, part 2: safe defaults for CI on untrusted lists. Metadata and link-local
// addresses are always refused; `--exclude-private` also refuses private, loopback, ULA and
// CGNAT addresses on every hop and after name resolution, except loopback reached through an
// explicit `--remap` rule. Archive file names never leave the archive folder.
// ─────────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn cloud_metadata_addresses_are_refused_before_any_connection() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!(
            "id,url\nM4,http://169.254.169.254/latest/meta-data/\nM6,http://[fd00:ec2::254]/\nR,{SITE}/fault/to-metadata\n"
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    // Retries and a long timeout: a connection attempt would show as more attempts and time.
    let output = citecheck(dir.path())
        .args([
            "check",
            "--no-rescue",
            "--no-probe",
            "--retries",
            "2",
            "--timeout",
            "20",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let links = read_csv(&dir.path().join("links.csv"));
    for (row, ip) in links
        .iter()
        .zip(["169.254.169.254", "fd00:ec2::254", "169.254.169.254"])
    {
        assert_eq!(row["status"], "unreachable", "{row:?}");
        assert_eq!(row["reason"], "forbidden_address", "{row:?}");
        assert!(
            row["error"].starts_with(&format!(
                "refused to contact {ip}: link-local or cloud metadata address"
            )),
            "{row:?}"
        );
        assert_eq!(
            row["http_status"],
            if row["id"] == "R" { "302" } else { "" }
        );
    }
    // Refused without a retry: the refusal happens before a socket is opened.
    assert_eq!(links[0]["attempts"], "1");
    assert_eq!(links[1]["attempts"], "1");
    assert_eq!(
        links[2]["attempts"], "2",
        "the redirect, then the refused hop"
    );
}

#[test]
fn exclude_private_refuses_private_addresses_on_every_hop_and_after_resolution() {
    let site = FixtureSite::start();
    let port = site.addr.port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!(
            "id,url\n\
A,{SITE}/ok\n\
L,{SITE}/fault/to-loopback\n\
N,http://localhost:{port}/catchall/by-name\n\
H,https://lokaal.example/catchall/remapped-name\n\
P1,http://10.11.12.13/\n\
P2,http://172.16.5.4/\n\
P3,http://192.168.0.1/\n\
P4,http://100.64.0.1/\n\
P5,http://[fc00::1]/\n\
P6,http://[::1]:{port}/catchall/v6\n\
P7,http://127.0.0.1:{port}/catchall/literal\n\
P8,http://[::ffff:10.0.0.1]/\n"
        ),
    )
    .unwrap();
    let remap_name = format!(r"^https://lokaal\.example/ http://localhost:{port}/");
    let output = citecheck(dir.path())
        .args([
            "check",
            "--exclude-private",
            "--no-rescue",
            "--no-probe",
            "--retries",
            "0",
        ])
        .args(site.remap_args())
        .args(["--remap", &remap_name])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let links = read_csv(&dir.path().join("links.csv"));
    let by_id: HashMap<&str, &HashMap<String, String>> =
        links.iter().map(|r| (r["id"].as_str(), r)).collect();
    // Loopback through an explicit --remap rule stays reachable, by address or by name.
    assert_eq!(by_id["A"]["status"], "ok", "{:?}", by_id["A"]);
    assert_eq!(by_id["H"]["status"], "ok", "{:?}", by_id["H"]);
    // A redirect hop to loopback that no rule produced is refused.
    assert_eq!(by_id["L"]["status"], "unreachable");
    assert_eq!(by_id["L"]["reason"], "forbidden_address");
    assert!(
        by_id["L"]["error"].contains(
            "refused to contact 127.0.0.1: private or loopback address (--exclude-private)"
        ),
        "{:?}",
        by_id["L"]
    );
    // A name that resolves to loopback is refused by the resolver.
    assert_eq!(by_id["N"]["status"], "unreachable", "{:?}", by_id["N"]);
    assert_eq!(
        by_id["N"]["reason"], "forbidden_address",
        "{:?}",
        by_id["N"]
    );
    assert!(
        by_id["N"]["error"].contains(
            "localhost resolves only to refused addresses: private or loopback address (--exclude-private)"
        ),
        "{:?}",
        by_id["N"]
    );
    for id in ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"] {
        let row = by_id[id];
        assert_eq!(row["status"], "unreachable", "{row:?}");
        assert_eq!(row["reason"], "forbidden_address", "{row:?}");
        assert!(row["error"].contains("(--exclude-private)"), "{row:?}");
        assert_eq!(row["attempts"], "1");
    }
    assert_eq!(site.hits("/catchall/by-name"), 0);
    assert_eq!(site.hits("/catchall/v6"), 0);
    assert_eq!(site.hits("/catchall/literal"), 0);
    assert_eq!(
        site.hits("/ok"),
        1,
        "only A's request; L's second hop was refused"
    );
    assert_eq!(site.hits("/catchall/remapped-name"), 1);

    // Without the flag, loopback is reachable (intranets and tests), by redirect and by name.
    std::fs::write(
        dir.path().join("sources.csv"),
        format!(
            "id,url\nL,{SITE}/fault/to-loopback\nN,http://localhost:{port}/catchall/by-name\nP7,http://127.0.0.1:{port}/catchall/literal\n"
        ),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["check", "--no-rescue", "--no-probe", "--retries", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let links = read_csv(&dir.path().join("links.csv"));
    let statuses: Vec<&str> = links.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["redirected", "ok", "ok"], "{links:?}");
}

#[test]
fn hostile_urls_cannot_write_outside_the_archive() {
    let site = FixtureSite::start();
    let outer = tempfile::tempdir().unwrap();
    let work = outer.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let long = "a".repeat(3000);
    let hostile = [
        format!("{SITE}/catchall/..%2F..%2F..%2Fetc%2Fpasswd"),
        format!("{SITE}/catchall/%2e%2e/%2e%2e/%2e%2e/uit"),
        format!("{SITE}/catchall/x/..\\..\\..\\uit.txt"),
        format!("{SITE}/catchall/{long}"),
        format!("{SITE}/catchall/con/aux/nul.txt?f=../../../../uit&g=%00"),
        format!("{SITE}/catchall/%C0%AE%C0%AE/%E2%80%AE/txt.exe"),
        format!("{SITE}/catchall/.hidden/~root/$HOME/*"),
    ];
    let mut sources = String::from("url\n");
    for url in &hostile {
        sources.push_str(url);
        sources.push('\n');
    }
    std::fs::write(work.join("sources.csv"), sources).unwrap();
    let output = citecheck(&work)
        .args(["run", "--no-rescue", "--no-probe", "--host-interval", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    // Nothing beside the working folder, nothing in it but the reports and the archive.
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["work"]);
    let mut top: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["archive", "links.csv", "sources.csv"], "{stderr}");
    // Every text file sits directly in archive/text with a tame, bounded name.
    let texts: Vec<_> = std::fs::read_dir(work.join("archive/text"))
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    let links = read_csv(&work.join("links.csv"));
    let live = links.iter().filter(|r| r["status"] == "ok").count();
    assert!(live >= 4, "{links:?}");
    // An article text file per live page (no quote asked for a page text file).
    assert_eq!(texts.len(), live, "{stderr}");
    let manifest = assert_archive_whole(&work.join("archive"));
    assert_eq!(manifest.len(), links.len());
    // The page texts' names, as written when a quote is found in one, are as tame.
    let page_names: Vec<String> = manifest
        .iter()
        .filter_map(|e| e["page_text_path"].as_str())
        .map(|p| p.strip_prefix("text/").unwrap().to_string())
        .collect();
    assert_eq!(page_names.len(), live);
    let text_names = texts.iter().map(|entry| {
        assert!(entry.file_type().unwrap().is_file());
        entry.file_name().to_string_lossy().into_owned()
    });
    for name in text_names.chain(page_names) {
        assert!(name.len() <= 80, "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
            "{name}"
        );
        assert!(!name.starts_with('.'), "{name}");
    }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Hardening, part 3: bad input files. A bad row is located (file:line) and skipped; exit 2
// only when the file as a whole is unusable; never a panic.
// ─────────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn bad_sources_files_as_a_whole_exit_2_with_a_reason() {
    let site = FixtureSite::start();
    let cases: [(&str, Vec<u8>, &str); 7] = [
        (
            "empty",
            Vec::new(),
            "sources.csv: the file is empty; expected a header row",
        ),
        (
            "blank lines only",
            b"\n\r\n  \n".to_vec(),
            "the file is empty",
        ),
        (
            "no header",
            format!("{SITE}/ok\n{SITE}/gzip\n").into_bytes(),
            "line 1 looks like a URL, not a header: add a first line `url`",
        ),
        (
            "NUL in the header",
            b"u\0rl\nhttps://a.nl/\n".to_vec(),
            "the header holds NUL bytes",
        ),
        (
            "a control character in the header",
            b"id,u\x01rl\nA,https://a.nl/\n".to_vec(),
            "no URL column in the header: name it `url` (or `link`, `href`, `uri`) (found: id, u\\u{1}rl)",
        ),
        (
            "UTF-16",
            [
                &[0xff, 0xfe][..],
                &"url\r\nhttps://a.nl/\r\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
            ]
            .concat(),
            "UTF-16",
        ),
        (
            "Latin-1 header",
            b"ur\xe9l\nhttps://a.nl/\n".to_vec(),
            "the header is not UTF-8",
        ),
    ];
    for (what, bytes, needle) in cases {
        let (code, stderr, links) = check_sources_bytes(&site, &bytes);
        assert_eq!(code, Some(2), "{what}: {stderr}");
        assert!(stderr.contains(needle), "{what}: {stderr}");
        assert!(links.is_none(), "{what}: links.csv written");
    }
}

#[test]
fn bad_sources_rows_are_located_and_the_rest_is_checked() {
    let site = FixtureSite::start();
    let big = "x".repeat(1024 * 1024 + 10);
    // (what, bytes, statuses of the rows kept, a located message)
    type Case<'a> = (&'a str, Vec<u8>, Vec<&'a str>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("header only", b"id,url\n".to_vec(), vec![], None),
        (
            "BOM and CRLF",
            format!("\u{feff}id,url\r\nA,{SITE}/ok\r\nB,{SITE}/gzip\r\n").into_bytes(),
            vec!["ok", "ok"],
            None,
        ),
        (
            "semicolons",
            format!("id;url;opmerking\nA;{SITE}/ok;eerste, tweede\nB;{SITE}/gzip;\n").into_bytes(),
            vec!["ok", "ok"],
            None,
        ),
        (
            "a line over 1 MiB",
            format!("id,url\nA,{SITE}/ok\nB,{SITE}/{big}\nC,{SITE}/gzip\n").into_bytes(),
            vec!["ok", "ok"],
            Some("sources.csv:3: line is longer than 1048576 bytes; row skipped"),
        ),
        (
            "a line over 1 MiB without a newline at the end",
            format!("id,url\nA,{SITE}/ok\nB,{SITE}/{big}").into_bytes(),
            vec!["ok"],
            Some("sources.csv:3: line is longer than 1048576 bytes; row skipped"),
        ),
        (
            "NUL bytes",
            [
                format!("id,url\nA,{SITE}/ok\n").as_bytes(),
                b"B,https://a.nl/\0\0\n",
                format!("C,{SITE}/gzip\n").as_bytes(),
            ]
            .concat(),
            vec!["ok", "ok"],
            Some("sources.csv:3: NUL byte in the row (binary data?); row skipped"),
        ),
        (
            "Latin-1 row",
            [
                format!("id,url\nA,{SITE}/ok\n").as_bytes(),
                b"B,https://a.nl/caf\xe9\n",
                format!("C,{SITE}/gzip\n").as_bytes(),
            ]
            .concat(),
            vec!["ok", "ok"],
            Some("sources.csv:3: not valid UTF-8 (save the file as UTF-8); row skipped"),
        ),
    ];
    for (what, bytes, statuses, message) in cases {
        let (code, stderr, links) = check_sources_bytes(&site, &bytes);
        // A skipped row is a finding (`--fail-on input`, in the default set): exit 1, no
        // longer 0, so that CI does not pass while a cited source was dropped.
        let expected = if message.is_some() { 1 } else { 0 };
        assert_eq!(code, Some(expected), "{what}: {stderr}");
        let links = links.unwrap_or_else(|| panic!("{what}: no links.csv"));
        let got: Vec<&str> = links.iter().map(|r| r["status"].as_str()).collect();
        assert_eq!(got, statuses, "{what}: {stderr}");
        if let Some(message) = message {
            assert!(stderr.contains(message), "{what}: {stderr}");
        }
    }
}

#[test]
fn bad_quotes_files_are_refused_before_any_request() {
    let site = FixtureSite::start();
    for (what, bytes, needle) in [
        (
            "empty",
            &b""[..],
            "quotes.csv: the file is empty; expected a header row",
        ),
        (
            "no quote column",
            &b"id,citaat\nQ1,hallo\n"[..],
            "no 'quote' column",
        ),
        (
            "binary",
            &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..],
            "quotes.csv",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sources.csv"), format!("url\n{SITE}/ok\n")).unwrap();
        std::fs::write(dir.path().join("quotes.csv"), bytes).unwrap();
        let output = citecheck(dir.path())
            .args(["run", "--no-rescue", "--no-probe"])
            .args(site.remap_args())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(needle), "{what}: {stderr}");
        assert_eq!(
            site.total_hits(),
            0,
            "{what}: fetched before reading quotes.csv"
        );
    }
}

#[test]
fn bad_quotes_rows_are_located_and_a_huge_quote_stays_bounded() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.csv"), format!("url\n{SITE}/ok\n")).unwrap();
    // A 1 MB quote (under the line limit), a NUL row, a Latin-1 row, and one good quote.
    let huge = "koffie ".repeat(1_000_000 / 7);
    let mut quotes = format!("\u{feff}id;quote\r\nQ1;\"{huge}\"\r\n").into_bytes();
    quotes.extend_from_slice(b"Q2;nul\0byte\r\nQ3;caf\xe9\r\n");
    quotes.extend_from_slice("Q4;\"Het begint met een kop koffie\"\r\n".as_bytes());
    std::fs::write(dir.path().join("quotes.csv"), quotes).unwrap();
    let started = std::time::Instant::now();
    let output = citecheck(dir.path())
        .args(["run", "--no-rescue", "--no-probe"])
        .args(site.remap_args())
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("quotes.csv:3: NUL byte in the row"),
        "{stderr}"
    );
    assert!(stderr.contains("quotes.csv:4: not valid UTF-8"), "{stderr}");
    let report = read_csv(&dir.path().join("report.csv"));
    let verdicts: Vec<(&str, &str)> = report
        .iter()
        .map(|r| (r["id"].as_str(), r["verdict"].as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [("Q1", "not_found"), ("Q4", "verified")],
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1));
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Hardening, part 4: crash safety. SIGKILL at random points (three fixed seeds, so a failure
// can be replayed), three kills in a row over one archive, then a run that must repair it.
// ─────────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn runs_killed_at_random_points_leave_an_archive_the_next_run_repairs() {
    let site = FixtureSite::start();
    for seed in [0x5eed_0001_u64, 0x5eed_0002, 0x5eed_0003] {
        let dir = tempfile::tempdir().unwrap();
        let mut state = seed;
        let mut points = Vec::new();
        for _ in 0..3 {
            write_slow_sources(dir.path(), 400);
            // Anywhere from before the archive is opened to well into the run, or right
            // after some number of captures were committed.
            let point = if next_random(&mut state).is_multiple_of(3) {
                KillPoint::ManifestLines(1 + (next_random(&mut state) % 30) as usize)
            } else {
                KillPoint::After(std::time::Duration::from_millis(
                    next_random(&mut state) % 2500,
                ))
            };
            points.push(point);
            let open = kill_run_at(&site, dir.path(), point);
            assert!(open <= 1, "seed {seed:#x}, {points:?}: {open} open files");
        }
        let warcs = rerun_and_check_recovery(&site, dir.path());
        assert!(
            (1..=4).contains(&warcs),
            "seed {seed:#x}, {points:?}: {warcs} WARC files"
        );
        keep_warcs(&dir.path().join("archive"), &format!("killed-{seed:x}"));
    }
}

#[test]
fn resume_keeps_the_rows_an_interrupted_run_wrote() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    let run = |extra: &[&str]| {
        citecheck(dir.path())
            .args(["run", "--host-interval", "0", "--no-probe"])
            .args(extra)
            .args(site.remap_args())
            .output()
            .unwrap()
    };
    run(&[]);
    let full = std::fs::read_to_string(dir.path().join("links.csv")).unwrap();
    let report = std::fs::read_to_string(dir.path().join("report.csv")).unwrap();
    // As if the run had died while writing row 5: a header, four rows, half a line.
    let lines: Vec<&str> = full.lines().collect();
    let cut = format!("{}\n{}", lines[..5].join("\n"), &lines[5][..20]);
    std::fs::write(dir.path().join("links.csv"), cut).unwrap();
    let first = read_csv(&dir.path().join("sources.csv"));
    let path_of = |i: usize| first[i]["url"].trim_start_matches(SITE).to_string();
    let before: Vec<usize> = (0..6).map(|i| site.hits(&path_of(i))).collect();

    let output = run(&["--resume"]);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--resume: 4 rows"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (i, hits) in before.iter().enumerate().take(4) {
        assert_eq!(site.hits(&path_of(i)), *hits, "row {i} was fetched again");
    }
    assert_eq!(
        site.hits(&path_of(4)),
        before[4] + 1,
        "the torn row is fetched again"
    );
    // The same rows (the kept ones to the letter, their check time included), and the same
    // quote verdicts: the kept rows' texts came from the archive.
    std::fs::write(dir.path().join("links-full.csv"), &full).unwrap();
    let before_rows = read_csv(&dir.path().join("links-full.csv"));
    let after_rows = read_csv(&dir.path().join("links.csv"));
    assert_eq!(after_rows.len(), before_rows.len());
    for (i, (a, b)) in after_rows.iter().zip(&before_rows).enumerate() {
        for column in ["id", "url", "status", "http_status", "final_url", "title"] {
            assert_eq!(a[column], b[column], "row {i} {column}");
        }
        if i < 4 {
            assert_eq!(a["fetched_at"], b["fetched_at"], "row {i} was kept");
        }
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("report.csv")).unwrap(),
        report
    );
}

#[test]
fn shards_split_the_sources_by_host_and_cover_them_all() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let hosts = [
        "www.overheidvannu.nl",
        "gemeente.example",
        "provincie.example",
        "waterschap.example",
        "rijk.example",
    ];
    let mut sources = String::from("id,url\n");
    for (i, host) in hosts.iter().cycle().take(20).enumerate() {
        sources.push_str(&format!("R{i},https://{host}/ok?n={i}\n"));
    }
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let remap_all = format!(r"^https://[a-z.]+/ {}/", site.base());
    let mut seen = Vec::new();
    for k in 1..=2 {
        let links = format!("links-{k}.csv");
        let output = citecheck(dir.path())
            .args([
                "check",
                "--no-rescue",
                "--no-probe",
                "--shard",
                &format!("{k}/2"),
                "--links",
                &links,
                "--remap",
                &remap_all,
            ])
            .output()
            .unwrap();
        assert!(output.status.code().is_some());
        let rows = read_csv(&dir.path().join(&links));
        // One host's rows all land in one shard.
        for row in &rows {
            let host = row["url"].split('/').nth(2).unwrap().to_string();
            assert!(
                !seen
                    .iter()
                    .any(|(h, shard): &(String, usize)| *h == host && *shard != k),
                "{host} in two shards"
            );
            seen.push((host, k));
        }
    }
    assert_eq!(seen.len(), 20);
    let output = citecheck(dir.path())
        .args(["check", "--shard", "3/2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn ctrl_c_keeps_an_in_order_links_csv_and_a_closed_archive() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    let mut sources = String::from("url\n");
    for i in 0..300 {
        sources.push_str(&format!("{SITE}/slow/{i}\n"));
    }
    std::fs::write(dir.path().join("sources.csv"), sources).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"))
        .current_dir(dir.path())
        .env("NO_PROXY", "*")
        .args([
            "run",
            "--no-rescue",
            "--no-probe",
            "--host-interval",
            "0",
            "--concurrency",
            "4",
        ])
        .args(site.remap_args())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let manifest = dir.path().join("archive/manifest.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&manifest).map_or(0, |m| m.lines().count()) < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the run made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SIGINT, as Ctrl-C sends.
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    // A stopped run without findings so far: 3 (it was 2, "could not run", before the rows
    // so far counted as a result).
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--resume"));
    // The WARC file was closed (no .open), links.csv is an in-order prefix of the sources.
    for entry in std::fs::read_dir(dir.path().join("archive")).unwrap() {
        assert!(!entry.unwrap().path().to_string_lossy().ends_with(".open"));
    }
    let links = read_csv(&dir.path().join("links.csv"));
    assert!(!links.is_empty() && links.len() < 300, "{}", links.len());
    for (i, row) in links.iter().enumerate() {
        assert_eq!(row["url"], format!("{SITE}/slow/{i}"));
    }
    // And --resume finishes the job without fetching those rows again.
    let done = links.len();
    let output = citecheck(dir.path())
        .args([
            "run",
            "--resume",
            "--no-rescue",
            "--no-probe",
            "--host-interval",
            "0",
        ])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert!(output.status.code().is_some());
    assert_eq!(read_csv(&dir.path().join("links.csv")).len(), 300);
    assert_eq!(site.hits("/slow/0"), 1);
    assert!(done > 0);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Hardening, part 5: a manifest edited by hand (or by a pull request, where the archive is
// committed) cannot make `verify` read files outside the archive folder.
// ─────────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn a_hostile_manifest_cannot_read_outside_the_archive() {
    let site = FixtureSite::start();
    let outer = tempfile::tempdir().unwrap();
    let (elsewhere, victim) = (outer.path().join("elders"), outer.path().join("hier"));
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(victim.join("archive")).unwrap();
    // A real capture with its WARC, made outside the folder under attack.
    std::fs::write(elsewhere.join("sources.csv"), format!("url\n{SITE}/ok\n")).unwrap();
    let quotes = "id,quote\nQ1,\"Het begint met een kop koffie\"\n";
    std::fs::write(elsewhere.join("quotes.csv"), quotes).unwrap();
    let output = citecheck(&elsewhere)
        .args(["run", "--no-rescue", "--no-probe"])
        .args(site.remap_args())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let manifest = std::fs::read_to_string(elsewhere.join("archive/manifest.jsonl")).unwrap();
    let mut entry: serde_json::Value = serde_json::from_str(manifest.trim()).unwrap();
    let warc = entry["warc_file"].as_str().unwrap().to_string();
    let text_path = entry["text_path"].as_str().unwrap().to_string();
    std::fs::write(victim.join("sources.csv"), format!("url\n{SITE}/ok\n")).unwrap();
    std::fs::write(victim.join("quotes.csv"), quotes).unwrap();
    // The manifest under attack points at that WARC and text by relative, then absolute paths.
    for (warc_file, text) in [
        (
            format!("../../elders/archive/{warc}"),
            format!("../../elders/archive/{text_path}"),
        ),
        (
            elsewhere
                .join("archive")
                .join(&warc)
                .to_string_lossy()
                .into_owned(),
            elsewhere
                .join("archive")
                .join(&text_path)
                .to_string_lossy()
                .into_owned(),
        ),
    ] {
        entry["warc_file"] = warc_file.clone().into();
        entry["text_path"] = text.into();
        std::fs::write(victim.join("archive/manifest.jsonl"), format!("{entry}\n")).unwrap();
        let output = citecheck(&victim).arg("verify").output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("text path"), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "WARC file name {warc_file:?} leaves the archive folder"
            )),
            "{stderr}"
        );
        let report = read_csv(&victim.join("report.csv"));
        assert_eq!(report[0]["verdict"], "not_found", "{report:?}\n{stderr}");
        assert_eq!(report[0]["matched_text"], "");
    }
}

//! Hardening (issue #18): formula-safe CSV (links.csv and report.csv; JSON left raw), no
//! symlink followed inside the archive folder (`text/`, manifest, WARC, index, lock), and
//! output file modes that follow the umask.

use std::path::Path;

use crate::common::FixtureSite;
use crate::common::cmd::{SITE, citecheck, read_csv as read_rows};

/// `citecheck report --html -` in `dir`: the page and the log.
fn report_html(dir: &Path) -> (String, String) {
    let output = citecheck(dir)
        .args(["report", "--html", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
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
    let (html, _) = report_html(dir.path());
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

const QUOTE: &str = "vergaderde over de nieuwe fietsroute langs het kanaal";

/// report.csv: an id, theme or quote that starts with a formula trigger is guarded (a
/// leading `'`), unless `--raw-csv`; the JSON output carries every value raw, links and
/// quotes alike.
#[test]
fn formula_quotes_are_guarded_in_report_csv_and_raw_in_json() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("id,url\nS1,{SITE}/formule-titel\n"),
    )
    .unwrap();
    let formula_quote = "=SOM(1+1) is wat de raad besloot";
    let mut quotes = csv::Writer::from_path(dir.path().join("quotes.csv")).unwrap();
    quotes.write_record(["id", "theme", "quote"]).unwrap();
    quotes.write_record(["=Q1", "@Verkeer", QUOTE]).unwrap();
    quotes.write_record(["Q2", "+Raad", formula_quote]).unwrap();
    quotes
        .write_record(["Q3", "-", "-1 procent, zei niemand"])
        .unwrap();
    quotes.flush().unwrap();
    let output = run(
        dir.path(),
        &site,
        &["--format", "json", "--output", "run.json"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let text = std::fs::read_to_string(dir.path().join("report.csv")).unwrap();
    let rows = read_rows(&dir.path().join("report.csv"));
    assert_eq!(rows[0]["verdict"], "verified", "{text}");
    assert_eq!(rows[0]["id"], "'=Q1", "{text}");
    assert_eq!(rows[0]["theme"], "'@Verkeer", "{text}");
    assert_eq!(rows[0]["quote"], QUOTE, "{text}");
    assert_eq!(rows[1]["verdict"], "not_found", "{text}");
    assert_eq!(rows[1]["theme"], "'+Raad", "{text}");
    assert_eq!(rows[1]["quote"], format!("'{formula_quote}"), "{text}");
    assert_eq!(rows[2]["theme"], "'-", "{text}");
    assert_eq!(rows[2]["quote"], "'-1 procent, zei niemand", "{text}");
    // links.csv of the same run: the page title too.
    let links = read_rows(&dir.path().join("links.csv"));
    assert_eq!(links[0]["title"], format!("'{FORMULA_TITLE}"));

    // JSON: never altered.
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    let quotes = doc["quotes"].as_array().unwrap();
    assert_eq!(quotes[0]["id"], "=Q1");
    assert_eq!(quotes[0]["theme"], "@Verkeer");
    assert_eq!(quotes[1]["theme"], "+Raad");
    assert_eq!(quotes[1]["quote"], formula_quote);
    assert_eq!(quotes[2]["theme"], "-");
    assert_eq!(quotes[2]["quote"], "-1 procent, zei niemand");
    assert_eq!(doc["links"][0]["title"], FORMULA_TITLE);

    // --raw-csv: report.csv as the quotes file has it.
    let output = run(dir.path(), &site, &["--raw-csv"]);
    assert_eq!(output.status.code(), Some(1));
    let rows = read_rows(&dir.path().join("report.csv"));
    assert_eq!(rows[0]["id"], "=Q1");
    assert_eq!(rows[1]["quote"], formula_quote);
}

/// A sources/quotes pair citing the fixture page, in `dir`.
fn write_inputs(dir: &Path) {
    std::fs::write(
        dir.join("sources.csv"),
        format!("id,url\nS1,{SITE}/formule-titel\n"),
    )
    .unwrap();
    std::fs::write(dir.join("quotes.csv"), format!("id,quote\nQ1,{QUOTE}\n")).unwrap();
}

fn run(dir: &Path, site: &FixtureSite, extra: &[&str]) -> std::process::Output {
    citecheck(dir)
        .args(["run", "--retries", "0", "--no-probe", "--no-rescue"])
        .args(extra)
        .args(site.remap_args())
        .output()
        .unwrap()
}

fn verify(dir: &Path) -> std::process::Output {
    citecheck(dir).arg("verify").output().unwrap()
}

#[test]
fn a_symlinked_text_folder_is_refused() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let elsewhere = dir.path().join("elders");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(dir.path().join("archive")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("archive/text")).unwrap();
    let output = run(dir.path(), &site, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("archive/text is a symbolic link"),
        "names the path: {stderr}"
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert_eq!(site.total_hits(), 0, "refused before any request");
}

#[test]
fn a_symlinked_manifest_is_refused_and_its_target_left_alone() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    // The victim ends in what looks like a torn manifest line: following the link, opening
    // the archive would cut it off.
    let victim = dir.path().join("victim.txt");
    let content = "belangrijke gegevens\n{\"cited_url\": \"half";
    std::fs::write(&victim, content).unwrap();
    std::fs::create_dir_all(dir.path().join("archive")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("archive/manifest.jsonl")).unwrap();

    for output in [run(dir.path(), &site, &[]), verify(dir.path())] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("manifest.jsonl is a symbolic link"),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), content);
    }
}

/// A WARC file, the index or the lock that is a symlink (to a file outside the archive
/// folder) stops `run` and `verify` with exit 2 and a message naming it, before anything in
/// the folder is read or written: the link's target and the manifest are left as they were.
#[test]
fn a_symlinked_warc_index_or_lock_is_refused() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let output = run(dir.path(), &site, &[]);
    assert_eq!(output.status.code(), Some(0));
    let archive = dir.path().join("archive");
    let warc = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".warc.gz"))
        .unwrap();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&archive)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let manifest = std::fs::read(archive.join("manifest.jsonl")).unwrap();
    let names = listing();
    let hits = site.total_hits();
    for name in [warc.as_str(), "index.cdxj", ".lock"] {
        let inside = archive.join(name);
        let outside = dir.path().join(format!("elders-{name}"));
        std::fs::rename(&inside, &outside).unwrap();
        // A lock file may be empty: give the target something to lose.
        if std::fs::metadata(&outside).unwrap().len() == 0 {
            std::fs::write(&outside, "gegevens van iemand anders\n").unwrap();
        }
        let before = std::fs::read(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, &inside).unwrap();
        for (what, output) in [
            ("run", run(dir.path(), &site, &[])),
            ("verify", verify(dir.path())),
        ] {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{what} {name}: {stderr}");
            assert!(
                stderr.contains(&format!("{name} is a symbolic link")),
                "{what} {name}: {stderr}"
            );
            // (Bytes compared with assert!: a WARC file printed as numbers helps nobody.)
            assert!(
                std::fs::read(&outside).unwrap() == before,
                "{what} {name}: the link's target was changed"
            );
            assert!(
                std::fs::read(archive.join("manifest.jsonl")).unwrap() == manifest,
                "{what} {name}: the manifest was changed"
            );
            assert_eq!(listing(), names, "{what} {name}: files added or removed");
        }
        assert_eq!(
            site.total_hits(),
            hits,
            "{name}: refused before any request"
        );
        std::fs::remove_file(&inside).unwrap();
        std::fs::rename(&outside, &inside).unwrap();
    }
    // Put back, the folder is usable again.
    let output = verify(dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn report_html_does_not_read_a_symlinked_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("geheim.txt");
    std::fs::write(&secret, "Het wachtwoord is tulpenbol-42.").unwrap();
    std::fs::create_dir_all(dir.path().join("archive/text")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("archive/text/pagina.txt")).unwrap();
    std::fs::write(
        dir.path().join("report.csv"),
        "id,quote,verdict,source_url,start,end,matched_text,context,text_path\n\
         Q1,Het wachtwoord,verified,https://www.overheidvannu.nl/a,0,14,Het wachtwoord,\
         eigen context,text/pagina.txt\n",
    )
    .unwrap();
    let (html, stderr) = report_html(dir.path());
    assert!(
        !html.contains("tulpenbol"),
        "the secret stays out of the page"
    );
    assert!(
        html.contains("eigen context"),
        "the context column is shown instead"
    );
    assert!(stderr.contains("symbolic link"), "{stderr}");
}

#[test]
fn text_files_and_report_html_get_the_mode_of_the_manifest() {
    use std::os::unix::fs::PermissionsExt;
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    // Under a known umask (027: group may read, others nothing), whatever the test runner's.
    let bin = assert_cmd::cargo::cargo_bin("citecheck");
    let remap = site.remap_args();
    let output = std::process::Command::new("sh")
        .current_dir(dir.path())
        .env("NO_PROXY", "*")
        .args(["-c", "umask 027 && exec \"$0\" \"$@\""])
        .arg(&bin)
        .args(["run", "--retries", "0", "--no-probe", "--no-rescue"])
        .args(["--html", "report.html"])
        .args(&remap)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let archive = dir.path().join("archive");
    let manifest = mode(&archive.join("manifest.jsonl"));
    assert_eq!(manifest, 0o640);
    let texts: Vec<_> = std::fs::read_dir(archive.join("text"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!texts.is_empty());
    for text in &texts {
        assert_eq!(mode(text), manifest, "{}", text.display());
    }
    assert_eq!(mode(&archive.join("index.cdxj")), manifest);
    assert_eq!(mode(&dir.path().join("report.html")), manifest);
    assert_eq!(mode(&dir.path().join("report.csv")), manifest);

    // ingest's outputs too (written through a temporary file, which tempfile makes 0600).
    std::fs::write(
        dir.path().join("doc.txt"),
        "Thema\n\n‘Wij werken samen met de provincie aan de nieuwe wijk.’\nBron: https://www.example.nl/nieuws/1\n",
    )
    .unwrap();
    let output = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", "umask 027 && exec \"$0\" \"$@\""])
        .arg(&bin)
        .args([
            "ingest",
            "doc.txt",
            "--sources-out",
            "s.csv",
            "--quotes-out",
            "q.csv",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(mode(&dir.path().join("s.csv")), manifest);
    assert_eq!(mode(&dir.path().join("q.csv")), manifest);
}

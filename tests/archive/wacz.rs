//! `run --wacz` and `pack`: the WACZ package, opened by hand as a replay tool would.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use sha2::Digest;

use crate::common::FixtureSite;
use crate::common::cmd::*;

/// Every entry of a zip file, by name: (bytes, stored without compression).
fn unzip(path: &Path) -> HashMap<String, (Vec<u8>, bool)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut entries = HashMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let stored = entry.compression() == zip::CompressionMethod::Stored;
        entries.insert(entry.name().unwrap().to_string(), (bytes, stored));
    }
    entries
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The JSON objects of a JSON Lines text.
fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn run_wacz_packs_every_cited_page_findable_through_its_index() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    let output = citecheck(dir.path())
        .args(["run", "--host-interval", "0", "--wacz", "out.wacz"])
        .args(site.remap_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("12 links: 11 ok, 1 duplicate"), "{stderr}");
    assert!(
        stderr.contains("11 pages (10 with quotes), 1 WARC files"),
        "{stderr}"
    );
    let wacz = dir.path().join("out.wacz");
    // For .ci/run: `wacz validate` reads this one.
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-wacz");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(&wacz, keep.join("seed-run.wacz")).unwrap();
    // Nothing left beside it: the temporary file was renamed.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let entries = unzip(&wacz);
    // datapackage.json lists every other file with its hash and size, and its own digest
    // is in datapackage-digest.json.
    let (datapackage, _) = &entries["datapackage.json"];
    let package: serde_json::Value = serde_json::from_slice(datapackage).unwrap();
    assert_eq!(package["profile"], "data-package");
    assert_eq!(package["wacz_version"], "1.1.1");
    assert!(package["created"].as_str().unwrap().ends_with('Z'));
    assert!(
        package["software"]
            .as_str()
            .unwrap()
            .starts_with("citecheck ")
    );
    let digest: serde_json::Value =
        serde_json::from_slice(&entries["datapackage-digest.json"].0).unwrap();
    assert_eq!(digest["path"], "datapackage.json");
    assert_eq!(digest["hash"], sha256(datapackage));
    let resources = package["resources"].as_array().unwrap();
    let listed: HashSet<&str> = resources
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let in_zip: HashSet<&str> = entries
        .keys()
        .map(String::as_str)
        .filter(|n| !n.starts_with("datapackage"))
        .collect();
    assert_eq!(listed, in_zip);
    for resource in resources {
        let path = resource["path"].as_str().unwrap();
        let (bytes, _) = &entries[path];
        assert_eq!(resource["hash"], sha256(bytes), "{path}");
        assert_eq!(resource["bytes"], bytes.len() as u64, "{path}");
        assert_eq!(
            resource["name"],
            path.rsplit('/').next().unwrap().to_lowercase()
        );
    }
    // The WARC files as they are in the archive, stored (they are gzip already).
    let archive = dir.path().join("archive");
    let warcs: Vec<&String> = entries
        .keys()
        .filter(|n| n.starts_with("archive/"))
        .collect();
    assert_eq!(warcs.len(), 1);
    for name in &warcs {
        let (bytes, stored) = &entries[*name];
        assert!(*stored, "{name} is deflated");
        let original = std::fs::read(archive.join(name.trim_start_matches("archive/"))).unwrap();
        assert!(*bytes == original, "{name} differs from the archive's");
    }

    // pages.jsonl: the header, then one page per cited URL.
    let pages = json_lines(&entries["pages/pages.jsonl"].0);
    assert_eq!(pages[0]["format"], "json-pages-1.0");
    assert_eq!(pages[0]["id"], "pages");
    assert!(pages[0]["title"].as_str().is_some_and(|t| !t.is_empty()));
    let pages = &pages[1..];
    let links = read_csv(&dir.path().join("links.csv"));
    let cited: HashSet<&str> = links
        .iter()
        .filter(|r| r["status"] == "ok")
        .map(|r| r["url"].as_str())
        .collect();
    assert_eq!(cited.len(), 11);
    assert_eq!(pages.len(), cited.len(), "one line per cited URL");
    let paged: HashSet<&str> = pages
        .iter()
        .map(|p| p["cited_url"].as_str().unwrap())
        .collect();
    assert_eq!(paged, cited);
    // The quotes of report.csv are on the page they were found in.
    let report = read_csv(&dir.path().join("report.csv"));
    for row in report.iter().filter(|r| r["verdict"] == "verified") {
        let page = pages
            .iter()
            .find(|p| p["cited_url"] == row["source_url"].as_str())
            .unwrap_or_else(|| panic!("no page for {}", row["source_url"]));
        let quotes = page["quotes"].as_array().unwrap();
        let quote = quotes
            .iter()
            .find(|q| q["id"] == row["id"].as_str())
            .unwrap_or_else(|| panic!("quote {} not on its page", row["id"]));
        assert_eq!(quote["verdict"], "verified");
        assert_eq!(quote["start"].to_string(), row["start"]);
        assert_eq!(quote["matched_text"], row["matched_text"].as_str());
    }

    // Each page is found through indexes/index.cdxj, and the record at its offset in its
    // WARC file is that page's response (a replay tool's lookup, by hand).
    let index = std::str::from_utf8(&entries["indexes/index.cdxj"].0).unwrap();
    assert_eq!(
        index,
        std::fs::read_to_string(archive.join("index.cdxj")).unwrap(),
        "plain file names already: the index is packed as it is"
    );
    for page in pages {
        let url = page["url"].as_str().unwrap();
        let ts: String = page["ts"]
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect();
        let line = index
            .lines()
            .find(|l| {
                let mut parts = l.splitn(3, ' ');
                let (_, stamp, json) = (parts.next(), parts.next(), parts.next().unwrap());
                let v: serde_json::Value = serde_json::from_str(json).unwrap();
                stamp == Some(ts.as_str()) && v["url"] == url && v.get("status").is_some()
            })
            .unwrap_or_else(|| panic!("{url} at {ts} is not in the index"));
        let json: serde_json::Value =
            serde_json::from_str(&line[line.find('{').unwrap()..]).unwrap();
        let number = |k: &str| -> usize { json[k].as_str().unwrap().parse().unwrap() };
        let (warc, _) = &entries[&format!("archive/{}", json["filename"].as_str().unwrap())];
        let member = &warc[number("offset")..number("offset") + number("length")];
        let mut record = Vec::new();
        flate2::read::GzDecoder::new(member)
            .read_to_end(&mut record)
            .unwrap();
        let record = String::from_utf8_lossy(&record);
        assert!(record.starts_with("WARC/1.1\r\n"), "{url}");
        assert!(
            record.contains("WARC-Type: response\r\n") || record.contains("WARC-Type: revisit\r\n"),
            "{url}"
        );
        assert!(
            record.contains(&format!("WARC-Target-URI: {url}\r\n")),
            "{url}"
        );
        assert!(record.contains("HTTP/1.1 200 "), "{url}");
    }
}

#[test]
fn pack_writes_the_package_of_an_archive_and_refuses_what_it_cannot_pack() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    seed_sources(dir.path());
    let output = citecheck(dir.path())
        .args(["run", "--host-interval", "0"])
        .args(site.remap_args())
        .output()
        .unwrap();
    // The seed quotes hold findings (tests/quotes pins the same run to 1).
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // With the run's report, then without one: the pages, no quotes.
    let output = citecheck(dir.path())
        .args(["pack", "--report", "report.csv", "--output", "with.wacz"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    // verify --wacz: the same pages, from an archive opened read-only.
    let output = citecheck(dir.path())
        .args(["verify", "--links", "l.csv", "--wacz", "verified.wacz"])
        .output()
        .unwrap();
    assert!(
        stderr_of(&output).contains("11 pages (10 with quotes)"),
        "{}",
        stderr_of(&output)
    );
    let verified = unzip(&dir.path().join("verified.wacz"));
    assert_eq!(
        verified["pages/pages.jsonl"].0.len(),
        unzip(&dir.path().join("with.wacz"))["pages/pages.jsonl"]
            .0
            .len()
    );
    std::fs::rename(dir.path().join("report.csv"), dir.path().join("r.csv")).unwrap();
    let output = citecheck(dir.path())
        .args(["pack", "--output", "without.wacz"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("11 pages (0 with quotes)"),
        "{}",
        stderr_of(&output)
    );
    let with = unzip(&dir.path().join("with.wacz"));
    let without = unzip(&dir.path().join("without.wacz"));
    let quoted = |e: &HashMap<String, (Vec<u8>, bool)>| {
        json_lines(&e["pages/pages.jsonl"].0)
            .iter()
            .filter(|p| p.get("quotes").is_some())
            .count()
    };
    assert_eq!(quoted(&with), 10);
    assert_eq!(quoted(&without), 0);
    // A report named but missing, or a folder no run has used: exit 2, nothing written.
    let output = citecheck(dir.path())
        .args(["pack", "--report", "report.csv", "--output", "x.wacz"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let output = citecheck(dir.path())
        .args(["pack", "--archive", "empty", "--output", "x.wacz"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("no manifest.jsonl"),
        "{}",
        stderr_of(&output)
    );
    assert!(!dir.path().join("x.wacz").exists());
    // --output is required.
    let output = citecheck(dir.path()).args(["pack"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

//! `ingest` of the seed document gives the committed sources and quotes; a binary file
//! gives nothing.

use std::path::Path;

use crate::common::cmd::*;

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
        // Each quote claims its source: the seed's 12 URLs follow its 12 quotes, in order.
        assert_eq!(a["source"], b["source"]);
        assert_eq!(a["pairing"], "in_order");
    }
    let claimed: Vec<&str> = ingested.iter().map(|q| q["source"].as_str()).collect();
    let urls: Vec<String> = read_csv(&dir.path().join("sources.csv"))
        .into_iter()
        .map(|r| r["url"].clone())
        .collect();
    let committed: Vec<String> = read_csv(&root.join("sources.csv"))
        .into_iter()
        .map(|r| r["url"].clone())
        .collect();
    assert_eq!(urls, committed);
    assert_eq!(claimed, urls);
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

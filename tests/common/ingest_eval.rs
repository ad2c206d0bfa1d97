//! The `ingest` evaluation over our own documents in `tests/fixtures/ingest`: for each
//! document, the quotations found, how many of them are expected ones (precision), and how
//! many expected quotations carry the right source and pairing. Shared by the test
//! `tests/ingest/documents.rs` and the example `ingest_eval`.

use std::collections::BTreeMap;
use std::path::Path;

/// The figures for one document.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    /// `tune` (looked at while writing the rules) or `held_out` (not).
    pub set: String,
    /// Expected quotations.
    pub expected: usize,
    /// Quotations `ingest` found.
    pub found: usize,
    /// Found quotations that are expected ones.
    pub correct: usize,
    /// Expected quotations found with the expected source (empty when none is shown).
    pub source_right: usize,
    /// … and the expected pairing rule.
    pub pairing_right: usize,
    /// What went wrong, one line each.
    pub misses: Vec<String>,
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `ingest` over every document named in `expected.tsv` under `dir`.
pub fn evaluate(dir: &Path) -> BTreeMap<String, Figures> {
    let table = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut expected: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let get = |k: usize| cols.get(k).copied().unwrap_or("").to_string();
        expected
            .entry(get(0))
            .or_default()
            .push((norm(&get(2)), get(3), get(4)));
        out.entry(get(0)).or_default().set = get(1);
    }
    for (file, want) in &expected {
        let path = dir.join(file);
        let bytes = std::fs::read(&path).expect("document");
        let fig = out.entry(file.clone()).or_default();
        fig.expected = want.len();
        let doc = match citecheck::ingest_file(&path, &bytes) {
            Ok(doc) => doc,
            Err(e) => {
                fig.misses.push(format!("cannot read: {e}"));
                continue;
            }
        };
        fig.found = doc.quotes.len();
        for q in &doc.quotes {
            let text = norm(&q.text);
            match want.iter().find(|(w, _, _)| *w == text) {
                Some((_, source, pairing)) => {
                    fig.correct += 1;
                    let got_source = q.source.clone().unwrap_or_default();
                    let got_pairing = q.pairing.map(|p| p.as_str()).unwrap_or("");
                    if got_source == *source {
                        fig.source_right += 1;
                    } else {
                        fig.misses.push(format!(
                            "'{text}': source '{got_source}', expected '{source}'"
                        ));
                    }
                    if got_source == *source && got_pairing == pairing {
                        fig.pairing_right += 1;
                    }
                }
                None => fig.misses.push(format!("not expected: '{text}'")),
            }
        }
        for (w, _, _) in want {
            if !doc.quotes.iter().any(|q| norm(&q.text) == *w) {
                fig.misses.push(format!("missed: '{w}'"));
            }
        }
    }
    out
}

/// The figures as a table, a total per set at the end.
pub fn render(figures: &BTreeMap<String, Figures>) -> String {
    let mut out = format!(
        "{:<28} {:<9} {:>8} {:>6} {:>9} {:>13} {:>8}\n",
        "document", "set", "expected", "found", "precision", "source right", "pairing"
    );
    let mut totals: BTreeMap<String, Figures> = BTreeMap::new();
    for (name, f) in figures {
        out.push_str(&line(name, f));
        let t = totals.entry(f.set.clone()).or_default();
        t.set = f.set.clone();
        t.expected += f.expected;
        t.found += f.found;
        t.correct += f.correct;
        t.source_right += f.source_right;
        t.pairing_right += f.pairing_right;
    }
    for (set, t) in &totals {
        out.push_str(&line(&format!("all {set}"), t));
    }
    out
}

fn line(name: &str, f: &Figures) -> String {
    let precision = if f.found == 0 {
        1.0
    } else {
        f.correct as f64 / f.found as f64
    };
    format!(
        "{:<28} {:<9} {:>8} {:>6} {:>9.2} {:>8} of {:<2} {:>8}\n",
        name, f.set, f.expected, f.found, precision, f.source_right, f.expected, f.pairing_right
    )
}

//! `ingest` on our own documents (nl/en/de/fr; slide exports, reports, newsletters, press
//! reviews, two columns, Markdown, HTML): every expected quotation found, nothing else, each
//! with the source and pairing rule the document shows.

use super::ingest_eval;
use std::path::Path;

#[test]
fn every_document_gives_its_quotations_with_their_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest");
    let figures = ingest_eval::evaluate(&dir);
    eprintln!("{}", ingest_eval::render(&figures));
    assert!(figures.len() >= 6);
    for (name, f) in &figures {
        assert!(f.misses.is_empty(), "{name}: {:#?}", f.misses);
        assert_eq!(f.correct, f.expected, "{name}");
        assert_eq!(f.found, f.expected, "{name}");
        assert_eq!(f.pairing_right, f.expected, "{name}");
    }
}

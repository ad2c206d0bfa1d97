//! The document ingester (src/input/document.rs) on any bytes: no panic, and every URL and
//! quote it finds is located on a line of the document.
#![no_main]

use citecheck::ingest_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = ingest_document(data) else {
        return;
    };
    // A lone CR ends a line too (old Mac exports), so this is an upper bound.
    let lines = data.iter().filter(|b| matches!(**b, b'\n' | b'\r')).count() + 1;
    for url in &document.urls {
        assert!(
            url.line >= 1 && url.line <= lines,
            "{} of {lines}",
            url.line
        );
        assert!(url.url.contains("://"), "{}", url.url);
    }
    for quote in &document.quotes {
        assert!(
            quote.line >= 1 && quote.line <= lines,
            "{} of {lines}",
            quote.line
        );
        assert!(!quote.text.trim().is_empty());
    }
    let _ = document.summary();
});

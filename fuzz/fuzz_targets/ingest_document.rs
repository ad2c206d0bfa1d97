//! The document ingester (src/input/document.rs) on any bytes: no panic, and every URL and
//! quote it finds is located on a line of the document.
#![no_main]

use citecheck::input::document::ingest_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = ingest_document(data) else {
        return;
    };
    let lines = data.iter().filter(|b| **b == b'\n').count() + 1;
    for url in &document.urls {
        assert!(url.line >= 1 && url.line <= lines, "{} of {lines}", url.line);
        assert!(url.url.contains("://"), "{}", url.url);
    }
    for quote in &document.quotes {
        assert!(quote.line >= 1 && quote.line <= lines, "{} of {lines}", quote.line);
        assert!(!quote.text.trim().is_empty());
    }
    let _ = document.summary();
});

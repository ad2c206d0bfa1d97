//! The locate normaliser (src/locate/normalize.rs) on any text, both folds: the offset map
//! has one entry per key byte, never decreases, points at unit starts inside the input, and
//! every key span maps back to a span of the input on character boundaries.
#![no_main]

use citecheck::dev::{Fold, normalize, split_ellipses, unit_end};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for fold in [Fold::Loose, Fold::Strict] {
        let key = normalize(text, fold);
        assert_eq!(key.map.len(), key.text.len());
        assert!(
            !key.text.starts_with(' ') && !key.text.ends_with(' '),
            "{:?}",
            key.text
        );
        assert!(!key.text.contains("  "), "{:?}", key.text);
        let mut previous = 0;
        for &offset in &key.map {
            let offset = offset as usize;
            assert!(offset >= previous, "map decreases");
            assert!(offset < text.len(), "map past the input");
            assert!(text.is_char_boundary(offset));
            let end = unit_end(text, offset);
            assert!(end > offset && end <= text.len() && text.is_char_boundary(end));
            previous = offset;
        }
        for (s, e) in key.words() {
            assert!(s < e && e <= key.len());
            let (start, end) = key.input_span(text, s, e);
            assert!(start < end && end <= text.len());
            assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        }
        if !key.is_empty() {
            let (start, end) = key.input_span(text, 0, key.len());
            assert!(start <= end && text.get(start..end).is_some());
        }
        // Normalising is idempotent on its own output. Not for combining marks: deleting a
        // character between two marks can leave them out of canonical order, and the second
        // pass reorders them (harmless: both sides of a comparison are built the same way).
        if fold == Fold::Strict && key.text.chars().all(|c| (c as u32) < 0x300) {
            let again = normalize(&key.text, fold);
            assert_eq!(again.text, key.text, "not idempotent");
        }
    }
    for piece in split_ellipses(text) {
        assert!(piece.start <= piece.end && piece.end <= text.len());
    }
});

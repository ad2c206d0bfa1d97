//! Character references (`&amp;`, `&eacute;`, `&#233;`, `&#xE9;`) in text and attribute
//! values, decoded as the HTML standard says.
//!
//! Takes a slice of raw text and returns it decoded, borrowing when there is nothing to
//! decode (the common case). Named references use the standard's full table (the one
//! html5ever uses, re-exported by `markup5ever`), including the legacy names that work
//! without a semicolon (`&copy2026` is "©2026" in text). Numeric references follow the
//! standard's repairs: 0, surrogates and values past U+10FFFF become U+FFFD, and 0x80–0x9F
//! are read as Windows-1252.

use std::borrow::Cow;

use markup5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use memchr::memchr;

/// Where the text sits: attribute values keep `&name=` and `&nameX` without a semicolon
/// undecoded (they are usually query strings), text decodes them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RefPlace {
    Text,
    Attribute,
}

/// Decodes every character reference in `raw`; borrows when there is none.
pub(super) fn decode(raw: &str, context: RefPlace) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    let Some(first) = memchr(b'&', bytes) else {
        return Cow::Borrowed(raw);
    };
    let mut out = String::with_capacity(raw.len());
    let mut kept_from = 0usize;
    let mut pos = first;
    loop {
        // `pos` is at an ASCII `&`, so slicing there is on a char boundary.
        if let Some((chars, len)) = reference(bytes.get(pos + 1..).unwrap_or(&[]), context) {
            out.push_str(raw.get(kept_from..pos).unwrap_or(""));
            out.extend(chars.into_iter().flatten());
            kept_from = pos + 1 + len;
            pos = kept_from;
        } else {
            pos += 1;
        }
        match memchr(b'&', bytes.get(pos..).unwrap_or(&[])) {
            Some(off) => pos += off,
            None => break,
        }
    }
    if kept_from == 0 {
        return Cow::Borrowed(raw);
    }
    out.push_str(raw.get(kept_from..).unwrap_or(""));
    Cow::Owned(out)
}

/// Reads one reference from the bytes after `&`: the characters it stands for and how many
/// bytes it used; `None` when this `&` starts no reference.
pub(super) fn reference(rest: &[u8], context: RefPlace) -> Option<([Option<char>; 2], usize)> {
    match rest.first()? {
        b'#' => numeric(rest),
        c if c.is_ascii_alphanumeric() => named(rest, context),
        _ => None,
    }
}

fn numeric(rest: &[u8]) -> Option<([Option<char>; 2], usize)> {
    let hex = matches!(rest.get(1), Some(b'x' | b'X'));
    let start = if hex { 2 } else { 1 };
    let mut value: u32 = 0;
    let mut i = start;
    while let Some(&b) = rest.get(i) {
        let digit = if hex {
            (b as char).to_digit(16)
        } else {
            (b as char).to_digit(10)
        };
        let Some(d) = digit else { break };
        // Saturate: a long run of digits is out of range either way.
        value = value
            .saturating_mul(if hex { 16 } else { 10 })
            .saturating_add(d);
        i += 1;
    }
    if i == start {
        return None;
    }
    if rest.get(i) == Some(&b';') {
        i += 1;
    }
    let c = match value {
        0 | 0xD800..=0xDFFF | 0x11_0000.. => '\u{fffd}',
        0x80..=0x9F => C1_REPLACEMENTS
            .get((value - 0x80) as usize)
            .copied()
            .flatten()
            .or_else(|| char::from_u32(value))
            .unwrap_or('\u{fffd}'),
        v => char::from_u32(v).unwrap_or('\u{fffd}'),
    };
    Some(([Some(c), None], i))
}

/// The longest name in the table that the bytes start with; the table holds every prefix of
/// every name (mapped to `(0, 0)`), so the search stops as soon as no name can match.
fn named(rest: &[u8], context: RefPlace) -> Option<([Option<char>; 2], usize)> {
    // The common references, without walking the table (the same answers it gives).
    for (name, c) in [
        (&b"amp;"[..], '&'),
        (b"nbsp;", '\u{a0}'),
        (b"quot;", '"'),
        (b"lt;", '<'),
        (b"gt;", '>'),
    ] {
        if rest.starts_with(name) {
            return Some(([Some(c), None], name.len()));
        }
    }
    let mut best: Option<((u32, u32), usize)> = None;
    let mut len = 0usize;
    // Names are ASCII and at most 32 bytes long ("CounterClockwiseContourIntegral;").
    while len < rest.len() && len < 40 {
        len += 1;
        let Some(key) = rest.get(..len).and_then(|k| std::str::from_utf8(k).ok()) else {
            break;
        };
        match NAMED_ENTITIES.get(key) {
            Some(&(0, _)) => {}
            Some(&v) => best = Some((v, len)),
            None => break,
        }
    }
    let ((c1, c2), used) = best?;
    let with_semicolon = rest.get(used - 1) == Some(&b';');
    if !with_semicolon && context == RefPlace::Attribute {
        // `href="?a=1&copy=2"` keeps its text.
        if matches!(rest.get(used), Some(b) if *b == b'=' || b.is_ascii_alphanumeric()) {
            return None;
        }
    }
    let second = if c2 == 0 { None } else { char::from_u32(c2) };
    Some(([char::from_u32(c1), second], used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        decode(s, RefPlace::Text).into_owned()
    }

    #[test]
    fn named_numeric_and_plain() {
        assert_eq!(text("w&eacute;l &amp; &lt;b&gt;"), "wél & <b>");
        assert_eq!(text("&#233;&#xE9;&#XE9;&#x20AC;"), "ééé€");
        assert_eq!(text("zonder"), "zonder");
        assert!(matches!(decode("zonder", RefPlace::Text), Cow::Borrowed(_)));
        assert_eq!(text("a&nbsp;b&shy;c"), "a\u{a0}b\u{ad}c");
    }

    #[test]
    fn repairs_like_the_standard() {
        assert_eq!(
            text("&#0;&#xD800;&#x110000;&#99999999999999;"),
            "\u{fffd}".repeat(4)
        );
        // 0x80–0x9F are Windows-1252: 0x93/0x94 are curly quotes, 0x80 the euro sign.
        assert_eq!(text("&#147;ja&#148; &#128;"), "\u{201c}ja\u{201d} €");
        assert_eq!(text("&#;&#x;&# &"), "&#;&#x;&# &");
    }

    #[test]
    fn legacy_names_without_semicolon() {
        assert_eq!(text("&copy2026 &ampx &notit;"), "©2026 &x ¬it;");
        assert_eq!(text("&unknown; &amp"), "&unknown; &");
        // In attribute values a query string stays as it is.
        assert_eq!(
            decode("?a=1&copy=2&amp;b&notx", RefPlace::Attribute),
            "?a=1&copy=2&b&notx"
        );
        assert_eq!(decode("&copy 2026", RefPlace::Attribute), "© 2026");
    }

    #[test]
    fn two_code_point_names_and_multibyte_neighbours() {
        assert_eq!(text("é&nGt;é"), "é\u{226b}\u{20d2}é");
        assert_eq!(text("ë&"), "ë&");
        assert_eq!(text("&ë"), "&ë");
    }
}

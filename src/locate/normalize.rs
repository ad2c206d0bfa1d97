//! Normalised match keys with a map back to the original text (docs/matching.md §2).
//!
//! Takes a text (a source article or a quote fragment) and returns a [`Key`]: a UTF-8
//! string in which typography is set aside (NFKC, lower case, quote marks, apostrophes and
//! other punctuation deleted, white space collapsed, the symmetric dash rule, soft hyphens
//! and zero-width characters deleted, leftover HTML entities decoded), plus, for every key
//! byte, the byte offset in the input of the *unit* that produced it. A unit is one
//! character with its trailing combining marks, or one whole (possibly double-escaped)
//! entity; [`unit_end`] recomputes where a unit ends, so a key span maps back to a span
//! of the input that starts and ends on character boundaries.
//!
//! [`Fold::Loose`] also drops diacritics (used for search); [`Fold::Strict`] keeps them
//! (used to decide `verified`). The quote side also uses [`split_ellipses`].

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Which characters a key keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Diacritics removed (NFD, combining marks dropped): the search key.
    Loose,
    /// Diacritics kept: `verified` needs the strict keys to be equal.
    Strict,
}

/// A normalised key and its map back to the text it was built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Key {
    /// The key text (valid UTF-8; `[a-z0-9 ]` for plain Dutch text).
    pub text: String,
    /// For each byte of `text`: the byte offset in the input of the unit that produced it.
    /// Non-decreasing.
    pub map: Vec<u32>,
}

impl Key {
    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// Length of the key in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// True when the key is empty (the input had no letters or digits).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Byte span `[start, end)` in `input` covered by key bytes `[s, e)` (`s < e`).
    ///
    /// The end is the end of the unit that produced the last key byte, not `map[e]`,
    /// which would swallow deleted punctuation and closing quote marks.
    pub fn input_span(&self, input: &str, s: usize, e: usize) -> (usize, usize) {
        if self.map.is_empty() {
            return (0, 0);
        }
        let s = s.min(self.map.len().saturating_sub(1));
        let e = e.clamp(s + 1, self.map.len());
        let start = self.map.get(s).copied().unwrap_or(0) as usize;
        let last = self.map.get(e - 1).copied().unwrap_or(0) as usize;
        (start, unit_end(input, last))
    }

    /// The words of the key: `(start, end)` byte ranges in `text`, split at spaces.
    pub fn words(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let b = self.text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
                continue;
            }
            let s = i;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            out.push((s, i));
        }
        out
    }
}

/// Characters deleted without any effect on spacing: soft hyphen is handled as a dash.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Dashes that fall under the symmetric dash rule (and the soft hyphen, which by
/// definition marks a possible line-end break).
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{00AD}'
            | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2212}'
            | '\u{FE63}'
            | '\u{FF0D}'
    )
}

/// Quote marks and apostrophes. They are deleted like any other punctuation; this set is
/// public because other stages (attribution gaps) need to recognise them.
pub fn is_quote_mark(c: char) -> bool {
    matches!(
        c,
        '\u{2018}'
            | '\u{2019}'
            | '\u{201A}'
            | '\u{201B}'
            | '\u{201C}'
            | '\u{201D}'
            | '\u{201E}'
            | '\u{201F}'
            | '\u{00AB}'
            | '\u{00BB}'
            | '\u{2039}'
            | '\u{203A}'
            | '\''
            | '"'
            | '`'
            | '\u{00B4}'
            | '\u{2032}'
            | '\u{2033}'
            | '\u{FF02}'
            | '\u{FF07}'
    )
}

/// Longest entity body we try to decode (`&CounterClockwiseContourIntegral;` is 31).
const MAX_ENTITY: usize = 34;

/// If `text[at..]` starts with an HTML entity that decodes, return its end and value.
fn entity_at(text: &str, at: usize) -> Option<(usize, String)> {
    let b = text.as_bytes();
    if b.get(at) != Some(&b'&') {
        return None;
    }
    let mut i = at + 1;
    while i < b.len() && i - at <= MAX_ENTITY && (b[i].is_ascii_alphanumeric() || b[i] == b'#') {
        i += 1;
    }
    if i == at + 1 || b.get(i) != Some(&b';') {
        return None;
    }
    let raw = &text[at..=i];
    let decoded = html_escape::decode_html_entities(raw);
    if decoded == raw {
        return None;
    }
    Some((i + 1, decoded.into_owned()))
}

/// At most `MAX_ENTITY + 2` bytes from the start of `s`, cut at a char boundary.
fn prefix(s: &str) -> &str {
    let mut n = s.len().min(MAX_ENTITY + 2);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// One unit of input: its end byte and its (decoded) content.
fn unit_at(text: &str, at: usize) -> (usize, Cow<'_, str>) {
    if let Some((end, value)) = entity_at(text, at) {
        // Double-escaped CMS text: `&amp;#8217;` is one character.
        if value == "&"
            && let Some((end2, value2)) = entity_at(&format!("&{}", prefix(&text[end..])), 0)
        {
            return (end + end2 - 1, Cow::Owned(value2));
        }
        return (end, Cow::Owned(value));
    }
    let mut chars = text[at..].char_indices();
    let Some((_, first)) = chars.next() else {
        return (text.len(), Cow::Borrowed(""));
    };
    let mut end = at + first.len_utf8();
    if !first.is_ascii() || text.as_bytes().get(end).is_some_and(|b| *b >= 0x80) {
        for (off, c) in chars {
            if is_combining_mark(c) {
                end = at + off + c.len_utf8();
            } else {
                break;
            }
        }
    }
    (end, Cow::Borrowed(&text[at..end]))
}

/// Byte offset just past the unit that starts at byte `start` of `text`
/// (`start` must be a unit start, as every value of `Key::map` is).
pub fn unit_end(text: &str, start: usize) -> usize {
    if start >= text.len() || !text.is_char_boundary(start) {
        return text.len().min(start);
    }
    unit_at(text, start).0
}

/// Builds a key while applying the spacing and dash rules.
struct Emitter {
    key: Key,
    /// Offset of the first white-space unit of a pending run (a space is emitted lazily).
    pending_space: Option<u32>,
    /// Just after a dash: following white space is swallowed.
    after_dash: bool,
}

impl Emitter {
    fn push_char(&mut self, c: char, at: u32) {
        if let Some(sp) = self.pending_space.take()
            && !self.key.text.is_empty()
        {
            self.key.text.push(' ');
            self.key.map.push(sp);
        }
        self.after_dash = false;
        let before = self.key.text.len();
        self.key.text.push(c);
        for _ in before..self.key.text.len() {
            self.key.map.push(at);
        }
    }

    fn space(&mut self, at: u32) {
        if !self.after_dash && self.pending_space.is_none() {
            self.pending_space = Some(at);
        }
    }

    fn dash(&mut self) {
        self.after_dash = true;
    }

    fn punct(&mut self) {
        self.after_dash = false;
    }

    /// Emit one already-classified letter, digit or mark.
    fn keep(&mut self, c: char, at: u32, fold: Fold) {
        if is_combining_mark(c) {
            if fold == Fold::Strict {
                self.push_char(c, at);
            }
            return;
        }
        for lc in c.to_lowercase() {
            if lc.is_ascii() || fold == Fold::Strict {
                self.push_char(lc, at);
            } else {
                for d in std::iter::once(lc).nfd() {
                    if !is_combining_mark(d) {
                        self.push_char(d, at);
                    }
                }
            }
        }
    }
}

/// Normalise `text` into a key (see the module doc for the rules).
pub fn normalize(text: &str, fold: Fold) -> Key {
    let mut em = Emitter {
        key: Key {
            text: String::with_capacity(text.len()),
            map: Vec::with_capacity(text.len()),
        },
        pending_space: None,
        after_dash: false,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let at = i as u32;
        // Fast path: plain ASCII not followed by a combining mark, not an entity.
        if b < 0x80 && b != b'&' && bytes.get(i + 1).is_none_or(|n| *n < 0x80) {
            match b {
                b'a'..=b'z' | b'0'..=b'9' => em.push_char(b as char, at),
                b'A'..=b'Z' => em.push_char(b.to_ascii_lowercase() as char, at),
                b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => em.space(at),
                b'-' => em.dash(),
                _ => em.punct(),
            }
            i += 1;
            continue;
        }
        let (end, unit) = unit_at(text, i);
        let end = end.max(i + 1);
        let Some(first) = unit.chars().next() else {
            i = end;
            continue;
        };
        if is_ignorable(first) {
            // deleted, no effect on spacing
        } else if first.is_whitespace() {
            em.space(at);
        } else if is_dash(first) {
            em.dash();
        } else if !(first.is_alphanumeric() || is_combining_mark(first)) {
            em.punct();
        } else {
            for c in unit.nfkc() {
                if c.is_alphanumeric() || is_combining_mark(c) {
                    em.keep(c, at, fold);
                } else if c.is_whitespace() {
                    em.space(at);
                } else if is_dash(c) {
                    em.dash();
                } else if !is_ignorable(c) {
                    em.punct();
                }
            }
        }
        // `end` is a char boundary: units end at char ends.
        i = end;
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    em.key
}

/// A fragment of a quote between ellipses: its byte range in the (entity-decoded) quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotePiece {
    /// Start byte in the decoded quote.
    pub start: usize,
    /// End byte (exclusive) in the decoded quote.
    pub end: usize,
}

/// Split a quote at ellipses: `…`, `...` (three or more dots), `(…)`, `(...)`, `[…]`,
/// `[...]`. Returns the pieces between them (possibly empty ones, which callers skip).
pub fn split_ellipses(quote: &str) -> Vec<QuotePiece> {
    let b = quote.as_bytes();
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut i = 0;
    // Length in bytes of an ellipsis starting at `j`, if any.
    let ellipsis_at = |j: usize| -> Option<usize> {
        if quote[j..].starts_with('…') {
            return Some('…'.len_utf8());
        }
        if b[j] == b'.' {
            let mut k = j;
            while k < b.len() && b[k] == b'.' {
                k += 1;
            }
            if k - j >= 3 {
                return Some(k - j);
            }
        }
        None
    };
    while i < b.len() {
        if !quote.is_char_boundary(i) {
            i += 1;
            continue;
        }
        // Bracketed forms: `(`/`[` + spaces + ellipsis + spaces + `)`/`]`.
        if b[i] == b'(' || b[i] == b'[' {
            let close = if b[i] == b'(' { b')' } else { b']' };
            let mut k = i + 1;
            while k < b.len() && b[k] == b' ' {
                k += 1;
            }
            if k < b.len()
                && let Some(len) = ellipsis_at(k)
            {
                let mut k2 = k + len;
                while k2 < b.len() && b[k2] == b' ' {
                    k2 += 1;
                }
                if b.get(k2) == Some(&close) {
                    pieces.push(QuotePiece {
                        start: piece_start,
                        end: i,
                    });
                    i = k2 + 1;
                    piece_start = i;
                    continue;
                }
            }
        }
        if let Some(len) = ellipsis_at(i) {
            pieces.push(QuotePiece {
                start: piece_start,
                end: i,
            });
            i += len;
            piece_start = i;
            continue;
        }
        i += 1;
    }
    pieces.push(QuotePiece {
        start: piece_start,
        end: b.len(),
    });
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn loose(s: &str) -> String {
        normalize(s, Fold::Loose).text
    }

    #[test]
    fn quote_marks_and_apostrophes_vanish() {
        assert_eq!(loose("‘Het is zo’n dag,’ zei ze."), "het is zon dag zei ze");
        assert_eq!(loose("\"Het is zo'n dag\""), "het is zon dag");
        assert_eq!(loose("„Auto’s” «rijden» ‹hier› `x´"), "autos rijden hier x");
    }

    #[test]
    fn dash_rule_is_symmetric() {
        assert_eq!(loose("ant- woord"), "antwoord");
        assert_eq!(loose("ant-\nwoord"), "antwoord");
        assert_eq!(loose("wet- en regelgeving"), "weten regelgeving");
        assert_eq!(loose("2020 – 2021"), "2020 2021");
        assert_eq!(loose("Noord-Holland"), "noordholland");
    }

    #[test]
    fn typography_is_folded() {
        assert_eq!(loose("ﬁets ĳs"), "fiets ijs");
        assert_eq!(loose("een\u{00A0}\u{202F}dag\r\n\tlater"), "een dag later");
        assert_eq!(loose("ant&shy;woord"), "antwoord");
        assert_eq!(
            loose("ant\u{00AD}woord zero\u{200B}width"),
            "antwoord zerowidth"
        );
        assert_eq!(loose("zo&rsquo;n &amp;#8217;t"), "zon t");
        assert_eq!(loose("Ｆｕｌｌ"), "full");
        assert_eq!(loose("wél één Éclair"), "wel een eclair");
        assert_eq!(
            normalize("wél één Éclair", Fold::Strict).text,
            "wél één éclair"
        );
        // Combining sequence composes in the strict key and folds in the loose key.
        assert_eq!(normalize("we\u{0301}l", Fold::Strict).text, "wél");
        assert_eq!(loose("we\u{0301}l"), "wel");
    }

    #[test]
    fn trailing_edge_excludes_punctuation() {
        let text = "Hij zei: ‘Dat is waar.’ En verder.";
        let k = normalize(text, Fold::Loose);
        let pos = k.text.find("dat is waar").unwrap();
        let (s, e) = k.input_span(text, pos, pos + "dat is waar".len());
        assert_eq!(&text[s..e], "Dat is waar");
    }

    #[test]
    fn entity_is_one_unit() {
        let text = "caf&eacute; x";
        let k = normalize(text, Fold::Strict);
        assert_eq!(k.text, "café x");
        let (s, e) = k.input_span(text, 0, "café".len());
        assert_eq!(&text[s..e], "caf&eacute;");
    }

    #[test]
    fn ellipses_split() {
        let q = "Wij zijn (…) zo gewend... om [...] te denken…";
        let parts: Vec<&str> = split_ellipses(q)
            .iter()
            .map(|p| q[p.start..p.end].trim())
            .collect();
        assert_eq!(parts, vec!["Wij zijn", "zo gewend", "om", "te denken", ""]);
        assert_eq!(split_ellipses("geen").len(), 1);
    }

    proptest! {
        #[test]
        fn every_key_byte_maps_to_a_char_that_produces_it(
            s in "[a-zA-Zéëïü’‘“”„ \\-\u{00AD}\u{00A0}ĳﬁ.,;&#0-9\n]{0,80}"
        ) {
            for fold in [Fold::Loose, Fold::Strict] {
                let k = normalize(&s, fold);
                prop_assert_eq!(k.map.len(), k.text.len());
                let mut prev = 0;
                for (i, &m) in k.map.iter().enumerate() {
                    let m = m as usize;
                    prop_assert!(s.is_char_boundary(m) && m < s.len());
                    prop_assert!(m >= prev);
                    prev = m;
                    if k.text.as_bytes()[i] != b' ' && k.text.is_char_boundary(i) {
                        // The unit at `m` on its own produces a key containing this char.
                        let end = unit_end(&s, m);
                        let c = k.text[i..].chars().next().unwrap();
                        let alone = normalize(&s[m..end], fold).text;
                        prop_assert!(alone.contains(c), "{:?} -> {:?} lacks {:?}", &s[m..end], alone, c);
                    }
                }
                // Spans round-trip: re-normalising the mapped span gives the same words.
                let words = k.words();
                if let (Some(first), Some(last)) = (words.first(), words.last()) {
                    let (a, b) = k.input_span(&s, first.0, last.1);
                    prop_assert!(s.is_char_boundary(a) && s.is_char_boundary(b));
                    prop_assert_eq!(normalize(&s[a..b], fold).text, k.text.clone());
                }
            }
        }
    }
}

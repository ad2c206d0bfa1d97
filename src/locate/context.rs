//! The sentence(s) around a match (docs/matching.md §6, `context`).
//!
//! Takes a source text and the byte span of a match and returns the sentences that the
//! match touches (UAX #29 sentence bounds, with boundaries after Dutch abbreviations
//! removed), clipped to about [`MAX_SIDE`] characters on each side of the match, with runs
//! of white space (line breaks included) collapsed to one space.

use unicode_segmentation::UnicodeSegmentation;

/// At most this many characters of context on each side of the match.
pub const MAX_SIDE: usize = 300;

/// Abbreviations after which UAX #29 wrongly ends a sentence.
const ABBREVIATIONS: &[&str] = &[
    "o.a.", "bijv.", "bv.", "dhr.", "mevr.", "mr.", "drs.", "dr.", "ir.", "prof.", "e.d.",
    "m.b.t.", "i.p.v.", "t.o.v.", "d.w.z.", "n.a.v.", "z.g.a.n.", "ca.", "jl.", "a.s.", "nr.",
    "resp.", "etc.", "enz.", "evt.", "incl.", "excl.", "m.a.w.", "i.v.m.", "t.a.v.", "p.", "blz.",
    "vs.",
];

/// Byte offset at most `chars` characters before `from` (on a char boundary).
fn back_chars(text: &str, from: usize, chars: usize) -> usize {
    text[..from]
        .char_indices()
        .rev()
        .take(chars)
        .last()
        .map_or(from, |(i, _)| i)
}

/// Byte offset at most `chars` characters after `from` (on a char boundary).
fn fwd_chars(text: &str, from: usize, chars: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| from + i)
}

/// True when the sentence before a boundary ends in a known abbreviation (or an initial).
fn ends_in_abbreviation(before: &str) -> bool {
    let Some(last) = before
        .trim_end()
        .rsplit(char::is_whitespace)
        .next()
        .filter(|w| !w.is_empty())
    else {
        return false;
    };
    let last = last
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if ABBREVIATIONS.contains(&last.as_str()) {
        return true;
    }
    // A single capital initial: `J. de Vries`.
    let mut cs = last.chars();
    matches!((cs.next(), cs.next(), cs.next()), (Some(c), Some('.'), None) if c.is_alphabetic())
}

/// True when a boundary only follows a line break inside a sentence (a hard-wrapped
/// line: the text before it ends in a letter, digit, comma or hyphen).
fn is_hard_wrap(before: &str) -> bool {
    before.ends_with(['\n', '\r'])
        && before
            .trim_end()
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, ',' | ';' | '-' | '\u{00AD}'))
}

/// Context of the match `text[start..end]` (byte offsets on char boundaries).
pub fn context(text: &str, start: usize, end: usize) -> String {
    if start > end
        || end > text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return String::new();
    }
    // A sentence bound further away than `MAX_SIDE` would be clipped anyway, and context
    // never crosses a paragraph break (a heading above is not part of the sentence).
    let para_lo = text[..start].rfind("\n\n").map_or(0, |i| i + 2);
    let para_hi = text[end..].find("\n\n").map_or(text.len(), |i| end + i);
    let lo = back_chars(text, start, MAX_SIDE + 1).max(para_lo.min(start));
    let hi = fwd_chars(text, end, MAX_SIDE + 1).min(para_hi.max(end));
    let slice = &text[lo..hi];
    // Sentence starts (absolute offsets), minus those after an abbreviation.
    let mut starts: Vec<usize> = Vec::new();
    for (i, _) in slice.split_sentence_bound_indices() {
        let abs = lo + i;
        if i > 0 && (ends_in_abbreviation(&text[lo..abs]) || is_hard_wrap(&text[lo..abs])) {
            continue;
        }
        starts.push(abs);
    }
    let sent_start = starts
        .iter()
        .rev()
        .find(|&&s| s <= start)
        .copied()
        .unwrap_or(lo);
    let sent_end = starts
        .iter()
        .find(|&&s| s >= end && s > start)
        .copied()
        .unwrap_or(hi);
    let from = sent_start.max(back_chars(text, start, MAX_SIDE));
    let to = sent_end.min(fwd_chars(text, end, MAX_SIDE));
    text[from..to]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_around_match() {
        let text =
            "Eerste zin hier. Volgens o.a. dhr. Jansen is het\nzo dat wij werken. Laatste zin.";
        let s = text.find("wij werken").unwrap();
        let c = context(text, s, s + "wij werken".len());
        assert_eq!(c, "Volgens o.a. dhr. Jansen is het zo dat wij werken.");
    }

    #[test]
    fn context_stays_in_its_paragraph() {
        let text = "Leren als onderdeel van het werk\n\nVolgens Femke Dijkstra is het eenvoudig: ‘Zorg dat je leren integreert.’\n\nVolgende alinea";
        let s = text.find("Zorg").unwrap();
        let c = context(text, s, s + "Zorg dat je leren integreert".len());
        assert_eq!(
            c,
            "Volgens Femke Dijkstra is het eenvoudig: ‘Zorg dat je leren integreert.’"
        );
    }

    #[test]
    fn match_spanning_sentences_and_clipping() {
        let long = "woord ".repeat(200);
        let text = format!("{long}Begin hier. En dan verder.{long}");
        let s = text.find("hier").unwrap();
        let e = text.find("dan").unwrap() + 3;
        let c = context(&text, s, e);
        assert!(c.contains("hier. En dan verder."));
        assert!(c.chars().count() <= 2 * MAX_SIDE + (e - s) + 2);
    }
}

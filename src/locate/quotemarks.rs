//! Quotation marks and apostrophes (docs/matching.md §7).
//!
//! Takes a text (a document's joined lines, or an article's extracted text with paragraphs
//! separated by blank lines) and returns every quotation in it: the byte ranges of the
//! opening and closing marks and of the content between them, and the nesting depth.
//! One parser serves both `ingest` (what is quoted in a document) and speaker attribution
//! (which quotation encloses a match).
//!
//! All offsets here are **byte** offsets into the `&str` given, always on character
//! boundaries, so `&text[q.content.clone()]` is safe. Callers holding character offsets
//! convert at their edge.
//!
//! Rules:
//! - Openers: ‘ “ „ ‚ « ‹, and a straight `'`/`"` at a word start. Closers: ’ ” » ›, and a
//!   straight mark at a word end. German-style closers (`„…“`, `‚…‘`) and reversed
//!   guillemets (`»…«`) are recognised when a mark of that family is open.
//! - `’` (and a straight `'`) is an apostrophe between letters (`auto’s`, `zo’n`), at a word
//!   start before `s`, `t`, `n` or two digits (`’s`, `’t`, `’n`, `’20`), and after a letter
//!   when no single-quote opener is open (`Joris’ fiets`).
//! - A stack: a closer of the open family pops it; a closer of another family closes the
//!   nearest opener anyway (`“…’`) and is flagged `mismatched`. A closer with nothing open
//!   is a *stray closer* (a quote whose opener was lost, e.g. in a PDF export).
//! - Nested quotations are kept inside their quotation and reported with `depth` 1, 2, ….
//! - Paragraphs: a quotation still open at a paragraph break (a blank line) continues when
//!   the next paragraph starts with an opener of the same family (the convention for
//!   multi-paragraph quotes and Q&A answers); otherwise it ends, unclosed, at the end of
//!   its paragraph, so one lost closer cannot swallow the rest of an article.

use std::ops::Range;

/// Which kind of mark opened (or closed) a quotation; a closer matches an opener of the
/// same family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkFamily {
    /// ‘ ’ ‚ and the straight `'`.
    Single,
    /// “ ” „ and the straight `"`.
    Double,
    /// « ».
    Guillemet,
    /// ‹ ›.
    SingleGuillemet,
}

/// One quotation found in a text. All ranges are byte offsets into that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotation {
    /// The opening mark.
    pub open: Range<usize>,
    /// The closing mark; `None` when the quotation was never closed (it then ends at the
    /// end of its paragraph, see `content`).
    pub close: Option<Range<usize>>,
    /// The text between the marks (for an unclosed quotation: up to the end of its
    /// paragraph, trailing white space excluded). Nested quotations stay inside.
    pub content: Range<usize>,
    /// 0 for an outermost quotation, 1 for one inside it, and so on.
    pub depth: usize,
    /// The family of the opening mark.
    pub family: MarkFamily,
    /// The closing mark belongs to another family than the opener (`“…’`).
    pub mismatched: bool,
}

impl Quotation {
    /// The whole quotation, marks included: from the opener to the closer (or to the end of
    /// the content when unclosed).
    pub fn outer(&self) -> Range<usize> {
        let end = self.close.as_ref().map_or(self.content.end, |c| c.end);
        self.open.start..end
    }
}

/// Everything [`scan`] finds in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteScan {
    /// All quotations, outer and nested, ordered by the position of their opener.
    pub quotations: Vec<Quotation>,
    /// Closing marks that found no opener (byte ranges), in text order.
    pub stray_closers: Vec<Range<usize>>,
    /// Byte offsets of the `’`/`'`/`‘` characters read as apostrophes, in text order.
    pub apostrophes: Vec<usize>,
}

/// All quotations in `text`, outer and nested, ordered by opener (byte offsets).
pub fn quotations(text: &str) -> Vec<Quotation> {
    scan(text).quotations
}

/// The outermost quotations (depth 0) whose whole extent, marks included, overlaps the byte
/// range `span`, in text order. A span inside a nested quotation yields its outer
/// quotation; a span that runs over an attribution interruption yields both pieces.
pub fn outermost_overlapping(quotes: &[Quotation], span: Range<usize>) -> Vec<&Quotation> {
    quotes
        .iter()
        .filter(|q| q.depth == 0)
        .filter(|q| {
            let o = q.outer();
            o.start < span.end.max(span.start + 1) && span.start < o.end
        })
        .collect()
}

/// What one quote-mark character means in its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkRole {
    Open(MarkFamily),
    Close(MarkFamily),
    Apostrophe,
    Ignore,
}

/// Whether `c` is a quotation mark of any family (also the apostrophe `'`/`’`).
pub(crate) fn is_quote_mark(c: char) -> bool {
    family_of(c).is_some()
}

/// Whether a `,,` between `before` and `after` opens a quotation: the typewriter form of
/// `„`, common in Dutch. It opens after a line start, a space or opening punctuation, and
/// before a letter, a digit or a mark (`,,'t`, `,,...`); `a,,b` and `1,,5` stay as they are.
/// Ingest and the speaker rules share this one test.
pub(crate) fn low_double_comma_opens(before: Option<char>, after: Option<char>) -> bool {
    before.is_none_or(|c| c.is_whitespace() || matches!(c, ':' | '(' | '[' | '—' | '–'))
        && after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '‘' | '\'' | '.'))
}

/// The family a character opens or closes, if it is a quote mark at all.
fn family_of(c: char) -> Option<MarkFamily> {
    match c {
        '\'' | '‘' | '’' | '‚' => Some(MarkFamily::Single),
        '"' | '“' | '”' | '„' => Some(MarkFamily::Double),
        '«' | '»' => Some(MarkFamily::Guillemet),
        '‹' | '›' => Some(MarkFamily::SingleGuillemet),
        _ => None,
    }
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

fn is_space(c: Option<char>) -> bool {
    c.is_none_or(char::is_whitespace)
}

/// True when a mark after `prev` stands at a word start.
fn opens_left(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(c) => c.is_whitespace() || "([{<—–/".contains(c) || family_of(c).is_some(),
    }
}

/// True when a mark before `next` stands at a word end: white space, punctuation, another
/// mark, or a footnote marker (`[1]`, superscript digits, `*`).
fn closes_right(next: Option<char>) -> bool {
    match next {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || ".,;:!?)]}…-–—/*[".contains(c)
                || "¹²³⁰⁴⁵⁶⁷⁸⁹".contains(c)
                || family_of(c).is_some()
        }
    }
}

/// Elision at a word start: `’s`, `’t`, `’n` (then a non-letter) or `’20` (two digits).
fn elision_follows(after: &[char]) -> bool {
    match after {
        ['s' | 't' | 'n', rest @ ..] => rest.first().is_none_or(|n| !n.is_alphabetic()),
        [a, b, rest @ ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            rest.first().is_none_or(|n| !n.is_ascii_digit())
        }
        _ => false,
    }
}

/// Which families are currently open on the stack.
#[derive(Debug, Clone, Copy, Default)]
struct OpenFamilies {
    single: bool,
    double: bool,
    guillemet: bool,
    single_guillemet: bool,
}

impl OpenFamilies {
    fn from_stack(stack: &[Opened]) -> Self {
        let mut f = Self::default();
        for o in stack {
            match o.family {
                MarkFamily::Single => f.single = true,
                MarkFamily::Double => f.double = true,
                MarkFamily::Guillemet => f.guillemet = true,
                MarkFamily::SingleGuillemet => f.single_guillemet = true,
            }
        }
        f
    }
}

/// The meaning of quote-mark character `c` given its neighbours: `prev`, and `after` (the
/// characters that follow, at least three when the text has them).
fn classify(c: char, prev: Option<char>, after: &[char], open: OpenFamilies) -> MarkRole {
    use MarkFamily::{Double, Guillemet, Single, SingleGuillemet};
    let next = after.first().copied();
    let word_end = !is_space(prev) && closes_right(next);
    let word_start = opens_left(prev) && !is_space(next);
    match c {
        '\'' | '’' => {
            if is_word(prev) && is_word(next) {
                MarkRole::Apostrophe
            } else if word_start {
                if elision_follows(after) {
                    MarkRole::Apostrophe
                } else {
                    // `’` typed as an opener, or a straight opener.
                    MarkRole::Open(Single)
                }
            } else if word_end {
                if prev.is_some_and(char::is_alphabetic) && !open.single {
                    MarkRole::Apostrophe
                } else {
                    MarkRole::Close(Single)
                }
            } else {
                MarkRole::Ignore
            }
        }
        '‘' => {
            if is_word(prev) && is_word(next) {
                MarkRole::Apostrophe
            } else if word_start {
                if elision_follows(after) {
                    MarkRole::Apostrophe
                } else {
                    MarkRole::Open(Single)
                }
            } else if word_end && open.single {
                // German style ‚…‘.
                MarkRole::Close(Single)
            } else {
                MarkRole::Ignore
            }
        }
        '‚' => {
            if opens_left(prev) && is_word(next) {
                MarkRole::Open(Single)
            } else {
                // Most often a comma look-alike.
                MarkRole::Ignore
            }
        }
        '"' => {
            if is_word(prev) && is_word(next) {
                MarkRole::Ignore
            } else if word_start {
                MarkRole::Open(Double)
            } else if word_end {
                MarkRole::Close(Double)
            } else {
                MarkRole::Ignore
            }
        }
        '“' => {
            if word_end && open.double && !opens_left(prev) {
                // German style „…“.
                MarkRole::Close(Double)
            } else if !is_space(next) {
                MarkRole::Open(Double)
            } else {
                MarkRole::Ignore
            }
        }
        '„' => {
            if is_space(next) {
                MarkRole::Ignore
            } else {
                MarkRole::Open(Double)
            }
        }
        '”' => {
            if word_start && !closes_right(next) && !open.double {
                // Swedish style ”…”, or a mistyped opener.
                MarkRole::Open(Double)
            } else if is_space(prev) && is_space(next) {
                MarkRole::Ignore
            } else {
                MarkRole::Close(Double)
            }
        }
        '«' | '‹' => {
            let (fam, is_open) = if c == '«' {
                (Guillemet, open.guillemet)
            } else {
                (SingleGuillemet, open.single_guillemet)
            };
            if word_end && is_open && !opens_left(prev) {
                MarkRole::Close(fam)
            } else if is_space(next) && is_space(prev) {
                MarkRole::Ignore
            } else {
                MarkRole::Open(fam)
            }
        }
        '»' | '›' => {
            let (fam, is_open) = if c == '»' {
                (Guillemet, open.guillemet)
            } else {
                (SingleGuillemet, open.single_guillemet)
            };
            if word_start && !closes_right(next) && !is_open {
                // Reversed style »…«.
                MarkRole::Open(fam)
            } else if is_space(next) && is_space(prev) {
                MarkRole::Ignore
            } else {
                MarkRole::Close(fam)
            }
        }
        _ => MarkRole::Ignore,
    }
}

/// An opener waiting on the stack.
#[derive(Debug, Clone)]
struct Opened {
    family: MarkFamily,
    open: Range<usize>,
}

/// Scan `text` for quotations, stray closers and apostrophes (byte offsets).
pub fn scan(text: &str) -> QuoteScan {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = QuoteScan::default();
    let mut stack: Vec<Opened> = Vec::new();
    // Index (into `chars`) of a paragraph-initial opener that continues an open quotation.
    let mut continuation: Option<usize> = None;
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        if c == '\n'
            && !stack.is_empty()
            && let Some(next_para) = paragraph_break_after(&chars, k)
        {
            let continues = chars.get(next_para).is_some_and(|&(_, oc)| {
                family_of(oc) == stack.last().map(|o| o.family)
                    && matches!(
                        classify(
                            oc,
                            None,
                            &following(&chars, next_para),
                            OpenFamilies::default()
                        ),
                        MarkRole::Open(_)
                    )
            });
            if continues {
                continuation = Some(next_para);
            } else {
                let end = trim_end_pos(text, pos);
                close_all_unclosed(&mut stack, end, &mut out.quotations);
            }
            k = next_para;
            continue;
        }
        if family_of(c).is_none() || continuation == Some(k) {
            k += 1;
            continue;
        }
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let role = classify(
            c,
            prev,
            &following(&chars, k),
            OpenFamilies::from_stack(&stack),
        );
        let here = pos..pos + c.len_utf8();
        match role {
            MarkRole::Open(family) => stack.push(Opened { family, open: here }),
            MarkRole::Close(family) => match stack.pop() {
                Some(o) => out.quotations.push(Quotation {
                    content: o.open.end..here.start,
                    depth: stack.len(),
                    mismatched: o.family != family,
                    family: o.family,
                    open: o.open,
                    close: Some(here),
                }),
                None => out.stray_closers.push(here),
            },
            MarkRole::Apostrophe => out.apostrophes.push(pos),
            MarkRole::Ignore => {}
        }
        k += 1;
    }
    let end = trim_end_pos(text, text.len());
    close_all_unclosed(&mut stack, end, &mut out.quotations);
    out.quotations.sort_by_key(|q| (q.open.start, q.depth));
    out
}

/// Up to three characters after index `k`.
fn following(chars: &[(usize, char)], k: usize) -> Vec<char> {
    chars.iter().skip(k + 1).take(3).map(|&(_, c)| c).collect()
}

/// When the `'\n'` at index `k` starts a paragraph break (a blank line follows), the index
/// of the first non-white-space character after it (or `chars.len()`).
fn paragraph_break_after(chars: &[(usize, char)], k: usize) -> Option<usize> {
    let mut j = k + 1;
    let mut newlines = 1;
    while let Some(&(_, c)) = chars.get(j) {
        if c == '\n' {
            newlines += 1;
        } else if !c.is_whitespace() {
            break;
        }
        j += 1;
    }
    (newlines >= 2).then_some(j)
}

/// The byte offset just after the last non-white-space character before `pos`.
fn trim_end_pos(text: &str, pos: usize) -> usize {
    text.get(..pos).map_or(pos, |s| s.trim_end().len())
}

/// Record every opener still on the stack as an unclosed quotation ending at `end`.
fn close_all_unclosed(stack: &mut Vec<Opened>, end: usize, out: &mut Vec<Quotation>) {
    while let Some(o) = stack.pop() {
        out.push(Quotation {
            content: o.open.end..end.max(o.open.end),
            depth: stack.len(),
            mismatched: false,
            family: o.family,
            open: o.open,
            close: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(text: &str) -> Vec<(usize, String)> {
        quotations(text)
            .into_iter()
            .map(|q| (q.depth, text[q.content].to_string()))
            .collect()
    }

    #[test]
    fn apostrophe_between_letters_does_not_close() {
        let t = "‘Maar dat is zo’n pertinente misvatting.’ Zegt hij.";
        assert_eq!(
            contents(t),
            vec![(0, "Maar dat is zo’n pertinente misvatting.".to_string())]
        );
        let s = scan(t);
        assert_eq!(s.apostrophes.len(), 1);
        assert!(s.stray_closers.is_empty());
    }

    #[test]
    fn nested_quote_across_line_break_stays_inside() {
        let t = "‘Wij denken in ‘kan \nniet, lukt niet’. Maar je moet flexibel zijn.’";
        let q = quotations(t);
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].depth, 0);
        assert_eq!(
            &t[q[0].content.clone()],
            "Wij denken in ‘kan \nniet, lukt niet’. Maar je moet flexibel zijn."
        );
        assert_eq!(q[1].depth, 1);
        assert_eq!(&t[q[1].content.clone()], "kan \nniet, lukt niet");
    }

    #[test]
    fn elisions_at_word_start_are_apostrophes() {
        let t = "‘In ’s-Hertogenbosch doen we ’t anders sinds ’20 en ’n beetje.’";
        let q = quotations(t);
        assert_eq!(q.len(), 1);
        assert_eq!(
            &t[q[0].content.clone()],
            "In ’s-Hertogenbosch doen we ’t anders sinds ’20 en ’n beetje."
        );
        assert_eq!(scan(t).apostrophes.len(), 4);
    }

    #[test]
    fn possessive_apostrophe_when_nothing_single_is_open() {
        let t = "Dat is Joris’ fiets, zei ze: “Klaas’ auto staat er ook.”";
        let q = quotations(t);
        assert_eq!(q.len(), 1);
        assert_eq!(&t[q[0].content.clone()], "Klaas’ auto staat er ook.");
        assert!(scan(t).stray_closers.is_empty());
    }

    #[test]
    fn straight_opener_with_curly_closer() {
        let t = "'Zorg dat je leren tot een onderdeel \nmaakt.’";
        let q = quotations(t);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].family, MarkFamily::Single);
        assert!(!q[0].mismatched);
        assert_eq!(
            &t[q[0].content.clone()],
            "Zorg dat je leren tot een onderdeel \nmaakt."
        );
    }

    #[test]
    fn mismatched_closer_closes_nearest_opener() {
        let t = "Hij zei “dat gaat niet.’ En toen ging hij.";
        let q = quotations(t);
        assert_eq!(q.len(), 1);
        assert!(q[0].mismatched);
        assert_eq!(&t[q[0].content.clone()], "dat gaat niet.");
    }

    #[test]
    fn lost_opener_gives_a_stray_closer() {
        let t = "Het is belangrijk om samen te werken.’";
        let s = scan(t);
        assert!(s.quotations.is_empty());
        assert_eq!(s.stray_closers, vec![t.len() - '’'.len_utf8()..t.len()]);
    }

    #[test]
    fn straight_double_and_low_quotes_and_guillemets() {
        let t = "Hij zei \"nee, dat niet\" en „zo gaat dat” en «voilà» en »genau« en ‚ja‘.";
        assert_eq!(
            contents(t),
            vec![
                (0, "nee, dat niet".to_string()),
                (0, "zo gaat dat".to_string()),
                (0, "voilà".to_string()),
                (0, "genau".to_string()),
                (0, "ja".to_string()),
            ]
        );
    }

    #[test]
    fn german_closer_for_low_opener() {
        let t = "Er sagte „das geht nicht“ und ging.";
        assert_eq!(contents(t), vec![(0, "das geht nicht".to_string())]);
    }

    #[test]
    fn closer_before_footnote_marker() {
        let t = "‘Dit is het citaat.’[1] En “nog een”² hier.";
        assert_eq!(
            contents(t),
            vec![
                (0, "Dit is het citaat.".to_string()),
                (0, "nog een".to_string())
            ]
        );
    }

    #[test]
    fn unclosed_quote_ends_at_its_paragraph() {
        let t = "‘Dit citaat sluit nooit af.\n\nDit is gewone tekst, met auto’s.";
        let q = quotations(t);
        assert_eq!(q.len(), 1);
        assert!(q[0].close.is_none());
        assert_eq!(&t[q[0].content.clone()], "Dit citaat sluit nooit af.");
    }

    #[test]
    fn quote_continues_into_a_paragraph_starting_with_an_opener() {
        let t = "‘Eerste alinea van het antwoord.\n\n‘Tweede alinea.’ Daarna tekst.";
        let q = quotations(t);
        assert_eq!(q.len(), 1);
        assert!(q[0].close.is_some());
        assert_eq!(
            &t[q[0].content.clone()],
            "Eerste alinea van het antwoord.\n\n‘Tweede alinea."
        );
    }

    #[test]
    fn outermost_overlapping_finds_outer_and_split_pieces() {
        let t = "‘Wij zijn zo gewend,’ zegt Jan. ‘Maar ‘kan niet’ bestaat niet.’";
        let q = quotations(t);
        assert_eq!(q.len(), 3);
        let inner = t.find("kan niet").unwrap_or(0);
        let hits = outermost_overlapping(&q, inner..inner + 8);
        assert_eq!(hits.len(), 1);
        assert_eq!(&t[hits[0].content.clone()], "Maar ‘kan niet’ bestaat niet.");
        let both = outermost_overlapping(&q, 3..t.len() - 3);
        assert_eq!(both.len(), 2);
    }

    #[test]
    fn straight_apostrophes_in_words() {
        let t = "'s Avonds zei ze 'dat is zo'n gedoe met auto's' en ging.";
        assert_eq!(
            contents(t),
            vec![(0, "dat is zo'n gedoe met auto's".to_string())]
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for t in [
            "’",
            "‘",
            "\"",
            "'\n\n'",
            "«",
            "„\n\n”",
            "a’b’c",
            "’’’",
            "\n\n‘",
        ] {
            let s = scan(t);
            for q in &s.quotations {
                assert!(t.get(q.content.clone()).is_some());
                assert!(t.get(q.outer()).is_some());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ranges_are_char_boundaries_and_nested(t in "[a-z ’‘“”„'\"«»‹›.,\n]{0,80}") {
            let s = scan(&t);
            for q in &s.quotations {
                proptest::prop_assert!(t.get(q.content.clone()).is_some());
                proptest::prop_assert!(t.get(q.outer()).is_some());
                proptest::prop_assert!(q.open.end <= q.content.start || q.content.is_empty());
            }
            for w in s.quotations.windows(2) {
                proptest::prop_assert!(w[0].open.start <= w[1].open.start);
            }
        }
    }
}

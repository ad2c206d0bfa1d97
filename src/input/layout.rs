//! Page layout for `ingest`: the document's lines put in reading order before any text rule
//! looks at them.
//!
//! Takes the decoded text and returns its lines, each with the 1-based line number it had in
//! the file, after these steps:
//! - Pages are split at form feeds (`pdftotext` ends each page with one).
//! - A page laid out in two columns (`pdftotext -layout`: most lines hold a wide gap of
//!   spaces at the same column) is read column by column, left then right, never spliced
//!   across the gutter; a line that crosses the gutter (a title over both columns) stays
//!   where it is and ends the columns above it.
//! - Running headers and footers (`Provincie Drenthe | www.drenthe.nl`, `Pagina 3 van 12`)
//!   are lines that repeat on three or more pages (or three or more times, when they carry
//!   a number, a `|` or a web address): they are removed and named in the skipped list,
//!   so they never become themes or sources.
//! - Quote marks are normalised where the export spells them apart: French guillemets with
//!   their (no-break) spaces `« … »` lose the spaces, and the Dutch typewriter opener `,,`
//!   becomes `„`, its closer `''` becomes `”`.

use std::collections::HashMap;

use super::model::Document;
use crate::locate::quotemarks::low_double_comma_opens;

/// A line repeated on at least this many pages (or times) is a running header or footer.
const MIN_REPEATS: usize = 3;
/// A gap of at least this many spaces may be a column gutter.
const MIN_GUTTER: usize = 3;
/// Two columns need at least this many lines with a gutter at the same column …
const MIN_COLUMN_LINES: usize = 4;
/// … and at least this share (in percent) of the page's non-empty lines.
const MIN_COLUMN_SHARE: usize = 40;

/// The document's lines in reading order, each with its 1-based line number in the file.
pub(crate) fn prepare(text: &str, doc: &mut Document) -> Vec<(usize, String)> {
    let pages = split_pages(text);
    let repeated = running_lines(&pages);
    let mut out = Vec::new();
    for page in pages {
        let page: Vec<(usize, String)> = page
            .into_iter()
            .filter(|(no, line)| {
                let key = repeat_key(line);
                match repeated.get(&key) {
                    Some(count) => {
                        doc.skipped.push(format!(
                            "line {no}: running header or footer '{}' ({count} times) removed; \
                             not a theme, and any web address in it is not a cited source",
                            line.trim()
                        ));
                        false
                    }
                    None => true,
                }
            })
            .collect();
        out.extend(columns(page, doc));
    }
    for (_, line) in &mut out {
        *line = normalise_marks(line);
    }
    out
}

/// Lines grouped by page (form feeds), numbered from 1.
fn split_pages(text: &str) -> Vec<Vec<(usize, String)>> {
    let mut pages = vec![Vec::new()];
    for (i, line) in text.split('\n').enumerate() {
        let mut parts = line.split('\x0c');
        if let Some(first) = parts.next()
            && let Some(page) = pages.last_mut()
        {
            page.push((i + 1, first.to_string()));
        }
        for part in parts {
            pages.push(vec![(i + 1, part.to_string())]);
        }
    }
    pages
}

/// A line's identity as a running header/footer: trimmed, white space collapsed, digits
/// as `#` (`Pagina 3 van 12` and `Pagina 4 van 12` are one footer), lower case.
fn repeat_key(line: &str) -> String {
    line.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .to_lowercase()
}

/// The keys of lines that run over the pages, with how often each stands.
fn running_lines(pages: &[Vec<(usize, String)>]) -> HashMap<String, usize> {
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut pages_of: HashMap<String, usize> = HashMap::new();
    for page in pages {
        let mut seen_here = std::collections::HashSet::new();
        for (_, line) in page {
            let key = repeat_key(line);
            let words = key.split_whitespace().count();
            if key.is_empty() || words > 12 || key.chars().all(|c| c == '#' || c == ' ') {
                continue;
            }
            *count.entry(key.clone()).or_default() += 1;
            if seen_here.insert(key.clone()) {
                *pages_of.entry(key).or_default() += 1;
            }
        }
    }
    count
        .into_iter()
        .filter(|(key, times)| {
            let on_pages = pages_of.get(key).copied().unwrap_or(0);
            let marked = key.contains('#')
                || key.contains('|')
                || key.contains("www.")
                || key.contains("://");
            (pages.len() >= MIN_REPEATS && on_pages >= MIN_REPEATS)
                || (marked && *times >= MIN_REPEATS && !has_quote_mark(key))
        })
        .collect()
}

fn has_quote_mark(s: &str) -> bool {
    s.contains(['‘', '’', '“', '”', '„', '«', '»', '"'])
}

/// The column where a page's right column starts, when it has two.
fn gutter(page: &[(usize, String)]) -> Option<usize> {
    let mut starts: HashMap<usize, usize> = HashMap::new();
    let mut non_empty = 0usize;
    for (_, line) in page {
        let chars: Vec<char> = line.trim_end().chars().collect();
        if chars.iter().all(|c| c.is_whitespace()) {
            continue;
        }
        non_empty += 1;
        let indent = chars.iter().take_while(|c| c.is_whitespace()).count();
        let mut k = indent;
        let mut seen = std::collections::HashSet::new();
        while k < chars.len() {
            if chars[k] == ' ' {
                let run = chars[k..].iter().take_while(|&&c| c == ' ').count();
                if run >= MIN_GUTTER && k + run < chars.len() && k > 0 {
                    seen.insert(k + run);
                }
                k += run;
            } else {
                k += 1;
            }
        }
        // A line of the right column only (the left one ended early): deep indent.
        if indent >= 20 {
            seen.insert(indent);
        }
        for s in seen {
            *starts.entry(s).or_default() += 1;
        }
    }
    let (&col, _) = starts
        .iter()
        .filter(|&(&c, _)| c >= 15)
        .max_by_key(|&(&c, &n)| (n, std::cmp::Reverse(c)))?;
    // Lines whose right text starts within one column of it count too.
    let near: usize = (col.saturating_sub(1)..=col + 1)
        .map(|c| starts.get(&c).copied().unwrap_or(0))
        .sum();
    (near >= MIN_COLUMN_LINES && near * 100 >= non_empty * MIN_COLUMN_SHARE)
        .then_some(col.saturating_sub(1))
}

/// A page read column by column when it has two; as it is otherwise.
fn columns(page: Vec<(usize, String)>, doc: &mut Document) -> Vec<(usize, String)> {
    let Some(col) = gutter(&page) else {
        return page;
    };
    let first = page.first().map_or(0, |l| l.0);
    let last = page.last().map_or(0, |l| l.0);
    doc.warnings.push(format!(
        "lines {first}-{last}: two columns (the right one at character {}); read the left \
         column, then the right",
        col + 1
    ));
    let mut out = Vec::new();
    let mut left: Vec<(usize, String)> = Vec::new();
    let mut right: Vec<(usize, String)> = Vec::new();
    let flush = |left: &mut Vec<(usize, String)>,
                 right: &mut Vec<(usize, String)>,
                 out: &mut Vec<(usize, String)>| {
        out.append(left);
        if !right.is_empty() {
            out.push((right[0].0, String::new()));
        }
        out.append(right);
    };
    for (no, line) in page {
        let chars: Vec<char> = line.trim_end().chars().collect();
        if chars.iter().all(|c| c.is_whitespace()) {
            // A blank line ends paragraphs in both columns.
            left.push((no, String::new()));
            right.push((no, String::new()));
            continue;
        }
        if chars.len() <= col {
            left.push((no, chars.iter().collect::<String>().trim().to_string()));
            continue;
        }
        let gap = chars[col.saturating_sub(1)..=col]
            .iter()
            .all(|c| c.is_whitespace());
        if !gap {
            // Crosses the gutter: a line over both columns.
            flush(&mut left, &mut right, &mut out);
            out.push((no, line.trim().to_string()));
            continue;
        }
        let l: String = chars[..col].iter().collect();
        let r: String = chars[col..].iter().collect();
        left.push((no, l.trim().to_string()));
        right.push((no, r.trim().to_string()));
    }
    flush(&mut left, &mut right, &mut out);
    out
}

/// `« mot »` → `«mot»` (French spacing, also with U+00A0/U+202F), `,,woord''` → `„woord”`.
fn normalise_marks(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut k = 0;
    let space = |c: char| c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}';
    while k < chars.len() {
        let c = chars[k];
        let prev = out.chars().next_back();
        match c {
            '«' | '‹' if chars.get(k + 1).is_some_and(|&n| space(n)) => {
                out.push(c);
                k += 1;
                while chars.get(k).is_some_and(|&n| space(n)) {
                    k += 1;
                }
                continue;
            }
            c if space(c) => {
                let mut j = k;
                while chars.get(j).is_some_and(|&n| space(n)) {
                    j += 1;
                }
                if matches!(chars.get(j), Some('»' | '›')) && prev.is_some_and(|p| !space(p)) {
                    k = j;
                    continue;
                }
                out.push(if c == ' ' { ' ' } else { c });
            }
            ',' if chars.get(k + 1) == Some(&',')
                && low_double_comma_opens(prev, chars.get(k + 2).copied()) =>
            {
                out.push('„');
                k += 2;
                continue;
            }
            '\'' if chars.get(k + 1) == Some(&'\'')
                && prev.is_some_and(|p| !p.is_whitespace())
                && chars.get(k + 2).is_none_or(|n| !n.is_alphanumeric()) =>
            {
                out.push('”');
                k += 2;
                continue;
            }
            _ => out.push(c),
        }
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> (Vec<(usize, String)>, Document) {
        let mut doc = Document::default();
        let out = prepare(text, &mut doc);
        (out, doc)
    }

    #[test]
    fn french_spacing_and_dutch_typewriter_marks() {
        assert_eq!(
            normalise_marks("Il a dit\u{a0}: «\u{202f}Nous avançons\u{202f}» hier."),
            "Il a dit\u{a0}: «Nous avançons» hier."
        );
        assert_eq!(normalise_marks("« oui »"), "«oui»");
        assert_eq!(
            normalise_marks("Hij zei ,,dat klopt niet'' en ging."),
            "Hij zei „dat klopt niet” en ging."
        );
        assert_eq!(normalise_marks("a,,b en 5,,0"), "a,,b en 5,,0");
    }

    #[test]
    fn running_footers_and_page_numbers_are_removed() {
        let text = "Eerste alinea.\nProvincie Drenthe | www.drenthe.nl\nPagina 1 van 3\x0c\
                    Tweede alinea.\nProvincie Drenthe | www.drenthe.nl\nPagina 2 van 3\x0c\
                    Derde alinea.\nProvincie Drenthe | www.drenthe.nl\nPagina 3 van 3\n";
        let (out, doc) = lines(text);
        let kept: Vec<&str> = out
            .iter()
            .map(|(_, l)| l.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(kept, ["Eerste alinea.", "Tweede alinea.", "Derde alinea."]);
        assert!(
            doc.skipped
                .iter()
                .any(|s| s.starts_with("line 2: running header or footer 'Provincie Drenthe"))
        );
        // Line numbers stay those of the file.
        assert_eq!(out[1].0, 3);
    }

    #[test]
    fn a_line_seen_twice_is_no_footer() {
        let (out, doc) = lines("Ken elkaars belangen\nx\nKen elkaars belangen\n");
        assert_eq!(out.len(), 4);
        assert!(doc.skipped.is_empty());
    }

    #[test]
    fn two_columns_are_read_one_after_the_other() {
        let text = "\
Samenwerking in de regio                 Het Rijk en de regio
De wethouder zei: “Wij werken            In Den Haag is men sceptisch.
samen met de buurgemeenten aan           De minister: “Het moet
één plan.” (https://www.example.nl/      sneller, en met minder
nieuws/plan-2021)                        regels.”
Meer daarover later.                     Zie https://www.example.org/news/
                                         minister-regels
";
        let (out, doc) = lines(text);
        let got: Vec<&str> = out.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            got,
            [
                "Samenwerking in de regio",
                "De wethouder zei: “Wij werken",
                "samen met de buurgemeenten aan",
                "één plan.” (https://www.example.nl/",
                "nieuws/plan-2021)",
                "Meer daarover later.",
                "",
                "",
                "",
                "Het Rijk en de regio",
                "In Den Haag is men sceptisch.",
                "De minister: “Het moet",
                "sneller, en met minder",
                "regels.”",
                "Zie https://www.example.org/news/",
                "minister-regels",
                "",
            ]
        );
        assert!(doc.warnings.iter().any(|w| w.contains("two columns")));
        assert_eq!(out[10].0, 2);
    }

    #[test]
    fn one_column_text_with_an_odd_gap_stays_as_it_is() {
        let text = "Een zin met   een gat.\nNog een gewone regel tekst.\nEn nog een.\n";
        let (out, doc) = lines(text);
        assert_eq!(out[0].1, "Een zin met   een gat.");
        assert!(doc.warnings.is_empty());
    }
}

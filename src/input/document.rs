//! `citecheck ingest DOCUMENT`: read a document (text exported from a slide deck or a PDF,
//! a PDF, an HTML page, a Markdown file) and find what it cites.
//!
//! Takes the raw bytes of the document and returns a [`Document`]: its cited http(s) URLs
//! in document order (duplicates kept), its quotations with the theme (heading) each one
//! stands under and the URL each one cites, the warnings a reader should check (guesses
//! made about the layout), what was skipped and why, and why a quotation has no source.
//! Writing `sources.csv`/`quotes.csv` is the caller's job.
//!
//! The kind of document is told by [`document_kind`]; PDF, HTML and Markdown are first
//! turned into text ([`super::pdf`], [`super::markup`]). Then the rules, in the order they
//! apply:
//! - Text must be UTF-8 (a UTF-8 BOM, CRLF and a UTF-16 BOM are accepted); binary or
//!   non-UTF-8 input is an [`IngestError`] that names the byte offset and line.
//! - The lines are put in reading order ([`super::layout`]): two columns read one after
//!   the other, running headers and footers removed, quote-mark spellings normalised.
//! - URLs are taken first, line by line (a URL broken over two lines is rejoined when the
//!   next line's start can continue it: after `-`, `_`, `/`, or inside `<…>`); lines holding
//!   only URLs take no further part, and a URL with its label (`Bron:`, `Source:`, `(…)`) is
//!   taken out of a line that also holds text, so a quotation's last words stay whole.
//!   When the document marks quotations with footnote numbers, a numbered line holding a
//!   URL is a reference-list entry.
//! - Page numbers (lines that are only a number) are dropped; PDF bullet glyphs (`ü`, `§`,
//!   `•`, `▪`, `–`, …) start a new item; blank lines end a block.
//! - A block's lines are joined with single spaces; a hyphen at a line end is dropped only
//!   when it splits a word (`samen-`/`werking`), so `wet- en regelgeving` stays.
//! - Quotations come from [`crate::locate::quotemarks`]; a block whose quotation is still
//!   open at its end continues into the next block when that one carries on the sentence
//!   (a quote over a page break); a bullet item that ends in a closing mark with no opener
//!   is a quotation whose opener was lost; an unclosed quotation ends at its footnote
//!   marker; a title in quote marks after authors and a year is a reference, not a quote.
//! - Short lines without final punctuation (one, or two when a quotation follows) are
//!   headings: the theme of the quotations under them. Several headings in a row share
//!   the quotations that follow in order, evenly, with a warning.
//! - Each quotation is paired with the URL it cites ([`super::pairing`]).

use crate::locate::quotemarks::is_quote_mark;
use crate::locate::quotemarks::{self, Quotation};

/// Bullet glyphs that PDF and slide exports leave at the start of a line (Wingdings `ü`
/// and `§`, `Ø` for an arrow, and the usual Unicode bullets and dashes).
const BULLET_GLYPHS: &[char] = &[
    'ü', '§', '•', '▪', '–', '—', '-', '*', '●', '◦', '○', '■', '□', '▫', '➢', '➤', '►', '▶', '✓',
    '✔', 'Ø', '·', '∙', '‣', '⁃',
];

/// Words that may follow a line-end hyphen without joining to it: `wet- en regelgeving`,
/// `in- of uitstroom`.
const COORDINATORS: &[&str] = &[
    "en", "of", "tot", "als", "noch", "dan", "maar", "and", "or", "to", "nor",
];

/// A heading has at most this many words …
const HEADING_MAX_WORDS: usize = 9;
/// … and at most this many characters.
const HEADING_MAX_CHARS: usize = 80;
/// A quotation inside running text needs at least this many words; shorter ones are
/// scare quotes (`het zogenaamde ‘maatwerk’`), not citations.
const MIN_EMBEDDED_QUOTE_WORDS: usize = 3;
/// Share of control characters above which a file is taken for binary.
const MAX_CONTROL_SHARE: f64 = 0.05;

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IngestError {
    /// The file is empty.
    #[error("the document is empty")]
    Empty,
    /// A known binary container rather than exported text.
    #[error("the document is {format}, not plain text; export it as UTF-8 text first")]
    NotPlainText {
        /// What the file looks like (`a PDF file`, …).
        format: &'static str,
    },
    /// A PDF whose text could not be read.
    #[error("the PDF could not be read: {reason}")]
    Pdf {
        /// Why.
        reason: String,
    },
    /// A NUL byte: binary data.
    #[error("the document is binary, not text: NUL byte at byte offset {offset} (line {line})")]
    Binary {
        /// Byte offset of the first NUL byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
    },
    /// Too many control characters to be text.
    #[error(
        "the document is binary, not text: {control} of {total} characters are control \
         characters (the first at byte offset {offset}, line {line})"
    )]
    MostlyControl {
        /// Number of control characters (other than tab, line feed, carriage return, form feed).
        control: usize,
        /// Number of characters.
        total: usize,
        /// Byte offset of the first one.
        offset: usize,
        /// 1-based line of the first one.
        line: usize,
    },
    /// Not valid UTF-8.
    #[error(
        "the document is not UTF-8: invalid byte 0x{byte:02X} at byte offset {offset} \
         (line {line}, column {column}); re-export it as UTF-8"
    )]
    NotUtf8 {
        /// The first invalid byte.
        byte: u8,
        /// Its byte offset in the file.
        offset: usize,
        /// Its 1-based line.
        line: usize,
        /// Its 1-based column, in characters.
        column: usize,
    },
}

pub(crate) use super::model::LineKind;
pub use super::model::{CitedUrl, DocQuote, Document, UrlRole};

/// Read a document's bytes and find its URLs, quotations and themes.
pub fn ingest_document(bytes: &[u8]) -> Result<Document, IngestError> {
    let text = decode(bytes)?;
    Ok(read_text(&text))
}

/// The kinds of document `ingest` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// Plain text (exported from a slide deck or a PDF).
    Text,
    /// An HTML page.
    Html,
    /// A Markdown document.
    Markdown,
    /// A PDF file.
    Pdf,
}

/// What kind of document these bytes are: magic bytes first (`%PDF-`, an HTML doctype or
/// root element), then the file name's extension; plain text otherwise.
pub fn document_kind(path: &std::path::Path, bytes: &[u8]) -> DocumentKind {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(b"%PDF-") {
        return DocumentKind::Pdf;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head: Vec<u8> = body[start..body.len().min(start + 64)].to_ascii_lowercase();
    if head.starts_with(b"<!doctype html") || head.starts_with(b"<html") {
        return DocumentKind::Html;
    }
    match ext.as_str() {
        "html" | "htm" | "xhtml" => DocumentKind::Html,
        "md" | "markdown" | "mdown" | "mkd" => DocumentKind::Markdown,
        "pdf" => DocumentKind::Pdf,
        _ => DocumentKind::Text,
    }
}

/// Read a document file of any kind `document_kind` knows.
pub fn ingest_file(path: &std::path::Path, bytes: &[u8]) -> Result<Document, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty);
    }
    match document_kind(path, bytes) {
        DocumentKind::Text => ingest_document(bytes),
        DocumentKind::Html => {
            // A saved page may be in any charset: BOM, `<meta charset>`, then a guess.
            let (html, _) = crate::http::body::decode_text(bytes, None);
            Ok(read_text(&super::markup::html_to_text(&html)))
        }
        DocumentKind::Markdown => Ok(read_text(&super::markup::markdown_to_text(&decode(bytes)?))),
        DocumentKind::Pdf => {
            let text = super::pdf::pdf_text(bytes).map_err(|reason| IngestError::Pdf { reason })?;
            Ok(read_text(&text))
        }
    }
}

/// Find the URLs, quotations and themes of a decoded text, and pair each quotation with
/// the URL it cites.
pub fn read_text(text: &str) -> Document {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut doc = Document::default();
    let prepared = super::layout::prepare(&text, &mut doc);
    doc.nos = prepared.iter().map(|(no, _)| *no).collect();
    let lines: Vec<&str> = prepared.iter().map(|(_, l)| l.as_str()).collect();

    let (url_lines, spans) = find_urls(&lines, &mut doc);
    doc.kinds = lines
        .iter()
        .zip(&url_lines)
        .map(|(l, k)| match k {
            _ if l.trim().is_empty() => LineKind::Blank,
            UrlLine::OnlyUrls | UrlLine::Reference => LineKind::Urls,
            UrlLine::None | UrlLine::Mixed => LineKind::Text,
        })
        .collect();
    doc.texts = lines
        .iter()
        .zip(&url_lines)
        .zip(&spans)
        .map(|((l, k), sp)| match k {
            UrlLine::Mixed => text_without_urls(l.trim_end(), sp).unwrap_or_default(),
            UrlLine::None => l.trim().to_string(),
            _ => String::new(),
        })
        .collect();
    let blocks = split_blocks(&lines, &url_lines, &spans, &mut doc);
    let events = read_blocks(blocks, &mut doc);
    assign_themes(events, &mut doc);
    super::pairing::pair(&mut doc);
    doc
}

// ---------------------------------------------------------------------------------------
// Decoding

/// Bytes to text, or an error that says where the trouble is.
fn decode(bytes: &[u8]) -> Result<String, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty);
    }
    if bytes.starts_with(b"%PDF-") {
        return Err(IngestError::NotPlainText {
            format: "a PDF file",
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(IngestError::NotPlainText {
            format: "a ZIP container (.docx, .pptx, .odt)",
        });
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(IngestError::NotPlainText {
            format: "an OLE file (.doc, .ppt)",
        });
    }
    // A UTF-16 BOM is unambiguous ("Unicode" text from Windows), so decode it.
    if let Some(utf16) = decode_utf16_with_bom(bytes) {
        return Ok(utf16);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - body.len();
    if let Some(nul) = body.iter().position(|&b| b == 0) {
        return Err(IngestError::Binary {
            offset: bom + nul,
            line: line_of(body, nul),
        });
    }
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let line_start = body[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            // The prefix up to `at` is valid UTF-8 by definition of `valid_up_to`.
            let column =
                std::str::from_utf8(&body[line_start..at]).map_or(1, |s| s.chars().count() + 1);
            return Err(IngestError::NotUtf8 {
                byte: body[at],
                offset: bom + at,
                line: line_of(body, at),
                column,
            });
        }
    };
    let is_control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c');
    let total = text.chars().count();
    let control = text.chars().filter(|&c| is_control(c)).count();
    if control > 0 && control as f64 > MAX_CONTROL_SHARE * total as f64 {
        let offset = text.find(is_control).unwrap_or(0);
        return Err(IngestError::MostlyControl {
            control,
            total,
            offset: bom + offset,
            line: line_of(body, offset),
        });
    }
    Ok(text.to_string())
}

/// UTF-16 text with a byte-order mark, decoded (lossily: a lone surrogate becomes U+FFFD).
fn decode_utf16_with_bom(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// 1-based line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

// ---------------------------------------------------------------------------------------
// URLs

/// What [`find_urls`] learned about each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlLine {
    /// No URL on this line.
    None,
    /// The line holds only URLs (and perhaps a short label): not part of the text.
    OnlyUrls,
    /// The line holds a URL inside other text.
    Mixed,
    /// The line is part of a numbered reference-list entry with a URL.
    Reference,
}

/// Characters that may appear in a URL as written in a document.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// Punctuation after which a URL broken at a line end is clearly unfinished.
fn ends_mid_url(url: &str) -> bool {
    url.ends_with(['-', '_', '%', '=', '&', '?', '#', '+', '~', '.'])
}

/// Words that label a citation before its URL (`Bron: https://…`, `Quelle : https://…`).
const URL_LABELS: &[&str] = &[
    "bron",
    "bronnen",
    "source",
    "sources",
    "quelle",
    "quellen",
    "lien",
    "link",
    "links",
    "zie",
    "see",
    "voir",
    "siehe",
    "via",
    "url",
    "online",
    "en ligne",
    "verfügbar unter",
    "available at",
];

/// The byte range of a citation label (and an opening bracket) that ends where a URL starts,
/// if there is one: `Source: `, `(`, `<`, `Bron: <`.
fn label_before(line: &str, url_start: usize) -> usize {
    let before = &line[..url_start];
    let mut cut = before.trim_end_matches([' ', '\u{a0}', '(', '<', '[']);
    let stripped = cut.trim_end_matches([':', ' ', '\u{a0}']);
    for label in URL_LABELS {
        let Some(at) = stripped.len().checked_sub(label.len()) else {
            continue;
        };
        let (Some(head), Some(tail)) = (stripped.get(..at), stripped.get(at..)) else {
            continue;
        };
        if tail.to_lowercase() == *label
            && head
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        {
            cut = head;
            cut = cut.trim_end_matches(['(', ' ', '\u{a0}', '—', '–', '-']);
            return cut.len();
        }
    }
    if before.trim_end().ends_with(['(', '<', '[']) {
        return cut.len();
    }
    url_start
}

/// The byte range after a URL that belongs to its citation: a closing bracket and the
/// sentence's final stop (`(https://…).`, `<https://…>,`).
fn closing_after(line: &str, url_end: usize) -> usize {
    let rest = &line[url_end..];
    let t = rest.trim_start_matches([')', '>', ']']);
    let t = t.trim_start_matches(['.', ',', ';']);
    line.len() - t.len()
}

/// A line with its URL spans (and their labels) taken out; `None` when nothing but
/// punctuation is left.
fn text_without_urls(line: &str, spans: &[std::ops::Range<usize>]) -> Option<String> {
    let mut out = String::new();
    let mut pos = 0;
    for span in spans {
        if span.start >= pos && span.start <= line.len() {
            out.push_str(&line[pos..span.start]);
            out.push(' ');
            pos = span.end.min(line.len());
        }
    }
    out.push_str(&line[pos..]);
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    out.chars()
        .any(|c| c.is_alphanumeric() || is_quote_mark(c))
        .then_some(out)
}

/// A line that starts a numbered reference-list entry: `[3] …`, `3. …`, `(3) …`, `³ …`,
/// `^3 …`; returns its number.
fn reference_number(line: &str) -> Option<u32> {
    let t = line.trim_start();
    let digits = |s: &str| -> Option<(u32, usize)> {
        let n: String = s.chars().take_while(char::is_ascii_digit).collect();
        (!n.is_empty() && n.len() <= 3).then(|| (n.parse().unwrap_or(0), n.len()))
    };
    let (n, rest) = if let Some(r) = t.strip_prefix('[') {
        let (n, len) = digits(r)?;
        (n, r[len..].strip_prefix(']')?)
    } else if let Some(r) = t.strip_prefix('(') {
        let (n, len) = digits(r)?;
        (n, r[len..].strip_prefix(')')?)
    } else if let Some(r) = t.strip_prefix('^') {
        let (n, len) = digits(r)?;
        (n, &r[len..])
    } else if t.starts_with(|c: char| SUPERSCRIPTS.contains(c)) {
        let sup: String = t
            .chars()
            .take_while(|&c| SUPERSCRIPTS.contains(c))
            .collect();
        (superscript_value(&sup)?, &t[sup.len()..])
    } else {
        let (n, len) = digits(t)?;
        (n, t[len..].strip_prefix(['.', ')'])?)
    };
    rest.starts_with(char::is_whitespace).then_some(n)
}

/// Superscript digits, in the order of their value (¹ is 1, ⁰ is 0).
const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";

fn superscript_value(s: &str) -> Option<u32> {
    let mut n = 0u32;
    for c in s.chars() {
        let d = SUPERSCRIPTS.chars().position(|x| x == c)?;
        n = n.checked_mul(10)?.checked_add(d as u32)?;
    }
    (!s.is_empty()).then_some(n)
}

/// Does the document mark its quotations with footnote numbers (`”[3]`, `”³`, `” (3)`,
/// `”^3`)? Then numbered lines that hold a URL are a reference list.
fn uses_footnotes(lines: &[&str]) -> bool {
    lines.iter().any(|line| {
        let chars: Vec<char> = line.chars().collect();
        chars.iter().enumerate().any(|(k, &c)| {
            if !"’”»›“‘\"'".contains(c) {
                return false;
            }
            let rest: String = chars[k + 1..].iter().take(6).collect();
            footnote_marker(rest.trim_start_matches(' ')).is_some()
        })
    })
}

/// A footnote marker at the start of `s`: its number and byte length.
fn footnote_marker(s: &str) -> Option<(u32, usize)> {
    let digits = |r: &str| -> Option<(u32, usize)> {
        let n: String = r.chars().take_while(char::is_ascii_digit).collect();
        (!n.is_empty() && n.len() <= 3).then(|| (n.parse().unwrap_or(0), n.len()))
    };
    if let Some(r) = s.strip_prefix('[') {
        let (n, len) = digits(r)?;
        r[len..].starts_with(']').then_some((n, len + 2))
    } else if let Some(r) = s.strip_prefix('(') {
        let (n, len) = digits(r)?;
        r[len..].starts_with(')').then_some((n, len + 2))
    } else if let Some(r) = s.strip_prefix('^') {
        let (n, len) = digits(r)?;
        Some((n, len + 1))
    } else {
        let sup: String = s
            .chars()
            .take_while(|&c| SUPERSCRIPTS.contains(c))
            .collect();
        Some((superscript_value(&sup)?, sup.len()))
    }
}

/// Find every http(s) URL, in order; return what each line held and the byte ranges of
/// each line that belong to a citation (URL, label, brackets), to be left out of its text.
fn find_urls(
    lines: &[&str],
    doc: &mut Document,
) -> (Vec<UrlLine>, Vec<Vec<std::ops::Range<usize>>>) {
    let mut kinds = vec![UrlLine::None; lines.len()];
    let mut spans: Vec<Vec<std::ops::Range<usize>>> = vec![Vec::new(); lines.len()];
    // Byte offset on each line where scanning starts (after a consumed continuation).
    let mut resume = vec![0usize; lines.len()];
    let footnotes = uses_footnotes(lines);
    let longest = lines
        .iter()
        .map(|l| l.trim_end().chars().count())
        .max()
        .unwrap_or(0);
    for i in 0..lines.len() {
        let no = doc.line_no(i);
        let line = lines[i].trim_end();
        let mut pos = resume[i].min(line.len());
        if pos > 0 {
            spans[i].push(0..closing_after(line, pos));
        }
        let mut rest_words = 0usize;
        let mut found = false;
        while let Some((start, raw_end)) = next_url(line, pos) {
            rest_words += line
                .get(pos..start)
                .map_or(0, |s| s.split_whitespace().count());
            found = true;
            let mut raw = line[start..raw_end].to_string();
            let bracketed = line[..start].trim_end().ends_with('<');
            let mut span_end = closing_after(line, start + trim_url(&raw).len());
            // Rejoin a URL broken at the end of this line.
            if raw_end == line.len()
                && let Some(next) = lines.get(i + 1)
            {
                match continuation(&raw, line, next, longest, bracketed) {
                    Continuation::Join(len) => {
                        raw.push_str(&next[..len]);
                        resume[i + 1] = len;
                        doc.warnings.push(format!(
                            "line {}: URL continues on line {}; joined as {}",
                            no,
                            doc.line_no(i + 1),
                            trim_url(&raw)
                        ));
                        span_end = line.len();
                        let rest = next.get(len..).unwrap_or("");
                        let rest = rest.trim_start_matches(['>', ')', ']', '.', ',', ';']);
                        if rest.trim().is_empty() {
                            kinds[i + 1] = UrlLine::OnlyUrls;
                        } else {
                            kinds[i + 1] = UrlLine::Mixed;
                        }
                    }
                    Continuation::Maybe => doc.warnings.push(format!(
                        "line {}: URL ends at the line end and line {} might continue it; \
                         not joined",
                        no,
                        doc.line_no(i + 1)
                    )),
                    Continuation::No => {}
                }
            }
            // A numbered reference-list entry: the URL's number is the entry's, the entry
            // (up to four lines above, within its paragraph) is no text of the document.
            let mut reference = None;
            if footnotes {
                for j in (i.saturating_sub(4)..=i).rev() {
                    if j < i && lines[j].trim().is_empty() {
                        break;
                    }
                    if let Some(n) = reference_number(lines[j]) {
                        reference = Some(n);
                        for (k, kind) in kinds.iter_mut().enumerate().take(i + 1).skip(j) {
                            if *kind == UrlLine::None || k == i {
                                *kind = UrlLine::Reference;
                            }
                        }
                        break;
                    }
                }
            }
            spans[i].push(label_before(line, start)..span_end);
            doc.urls.push(CitedUrl {
                url: trim_url(&raw).to_string(),
                line: no,
                role: UrlRole::Citation,
                idx: i,
                reference,
                after_closer: line[..start].contains(['’', '”', '»', '›', '“', '‘', '"', '\'']),
            });
            pos = raw_end;
        }
        if kinds[i] == UrlLine::Reference {
            continue;
        }
        if found {
            rest_words += line.get(pos..).map_or(0, |s| s.split_whitespace().count());
            // `Bron: https://…` is a source line; a URL inside a sentence is text; a quote's
            // last words before its URL are the quote's.
            let rest = text_without_urls(line, &spans[i]);
            let quoted = rest.as_deref().is_some_and(|r| r.contains(is_quote_mark));
            kinds[i] = if rest.is_none() || (rest_words <= 2 && !quoted) {
                UrlLine::OnlyUrls
            } else {
                UrlLine::Mixed
            };
        } else if kinds[i] == UrlLine::None
            && let Some(w) = line
                .split_whitespace()
                .find(|w| w.to_ascii_lowercase().starts_with("www."))
        {
            doc.skipped.push(format!(
                "line {}: '{}' has no http(s):// scheme; not taken as a URL",
                no, w
            ));
        }
    }
    (kinds, spans)
}

/// The next `http://`/`https://` URL at or after byte `from`: (start, end before trimming).
fn next_url(line: &str, from: usize) -> Option<(usize, usize)> {
    let lower = line.to_ascii_lowercase();
    let mut search = from;
    while let Some(rel) = lower.get(search..)?.find("http") {
        let start = search + rel;
        let tail = &lower[start..];
        let scheme = if tail.starts_with("https://") {
            8
        } else if tail.starts_with("http://") {
            7
        } else {
            search = start + 4;
            continue;
        };
        let glued = line[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        if glued {
            search = start + scheme;
            continue;
        }
        let end = line[start..]
            .char_indices()
            .find(|&(_, c)| !is_url_char(c))
            .map_or(line.len(), |(k, _)| start + k);
        if end > start + scheme {
            return Some((start, end));
        }
        search = start + scheme;
    }
    None
}

/// Strip what follows a URL in prose: trailing punctuation, and closing brackets that
/// have no opener inside the URL (`(zie https://x.nl/a_(b))` keeps `a_(b)`).
fn trim_url(raw: &str) -> &str {
    let mut url = raw;
    loop {
        let Some(last) = url.chars().next_back() else {
            return url;
        };
        let unbalanced =
            |open: char, close: char| url.matches(close).count() > url.matches(open).count();
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => unbalanced('(', ')'),
            ']' => unbalanced('[', ']'),
            _ => false,
        };
        if !strip {
            return url;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
}

/// Whether the next line continues a URL that ended at a line end.
enum Continuation {
    /// Join this many bytes of the next line.
    Join(usize),
    /// It might; warn, do not join.
    Maybe,
    /// It does not.
    No,
}

fn continuation(
    raw: &str,
    line: &str,
    next: &str,
    longest: usize,
    bracketed: bool,
) -> Continuation {
    if next.starts_with(char::is_whitespace) || next.trim().is_empty() {
        return Continuation::No;
    }
    let mut token_len = next.find(char::is_whitespace).unwrap_or(next.len());
    // Inside `<…>` the URL runs to the `>`, whatever the line break did to it.
    let closed_at = bracketed.then(|| next[..token_len].find('>')).flatten();
    if let Some(end) = closed_at {
        token_len = end;
    }
    let token = &next[..token_len];
    if token.is_empty()
        || token.to_ascii_lowercase().starts_with("http")
        || !token.chars().all(is_url_char)
    {
        return Continuation::No;
    }
    if closed_at.is_some() {
        return Continuation::Join(token_len);
    }
    let alone = next.trim_end().len() == token_len;
    let urlish = token.contains(['/', '-', '_', '%', '=', '&', '?', '#'])
        || (token.contains('.') && !token.ends_with('.'));
    // After a `/` the next line carries on a path only when it looks like one: no
    // capitals, a path character in it.
    let after_slash = raw.ends_with('/')
        && token.contains(['/', '-', '_', '%', '=', '&', '?', '#', '.'])
        && !token.chars().any(char::is_uppercase);
    let mid = ends_mid_url(raw) || after_slash;
    let at_margin = line.chars().count() + 2 >= longest.max(40) * 9 / 10;
    if (mid && (urlish || alone)) || (alone && urlish && at_margin) {
        Continuation::Join(token_len)
    } else if alone && (urlish || raw.ends_with('/')) {
        Continuation::Maybe
    } else {
        Continuation::No
    }
}

// ---------------------------------------------------------------------------------------
// Blocks

/// A run of text lines: one bullet item, or one paragraph.
#[derive(Debug, Clone)]
struct Block {
    /// (1-based line number, trimmed text without bullet glyph).
    lines: Vec<(usize, String)>,
    /// Started with a bullet glyph.
    bullet: bool,
    /// A page or slide number line (kept as a block to name it in warnings).
    page_number: bool,
}

/// A line that is only a page number: `12`, `- 12 -`, `12/40`, `pagina 12`.
fn is_page_number(line: &str) -> bool {
    let t = line
        .trim()
        .trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    if t.is_empty() {
        return false;
    }
    let t = t
        .strip_prefix("pagina")
        .or_else(|| t.strip_prefix("Pagina"))
        .or_else(|| t.strip_prefix("blz."))
        .or_else(|| t.strip_prefix("p."))
        .unwrap_or(t)
        .trim();
    let mut parts = t.splitn(2, '/');
    let ok = |s: Option<&str>| {
        s.is_some_and(|s| {
            !s.trim().is_empty()
                && s.trim().len() <= 4
                && s.trim().chars().all(|c| c.is_ascii_digit())
        })
    };
    let first = parts.next();
    match parts.next() {
        None => ok(first),
        second => ok(first) && ok(second),
    }
}

/// The text after a bullet glyph, if the line starts with one.
fn strip_bullet(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let mut chars = t.chars();
    let first = chars.next()?;
    let after = chars.as_str();
    (BULLET_GLYPHS.contains(&first) && after.starts_with(char::is_whitespace))
        .then(|| after.trim_start())
}

/// Group the non-URL lines into blocks; drop page numbers (noting them). A block's lines
/// are numbered by their position in reading order ([`Document::line_no`] gives the file's).
fn split_blocks(
    lines: &[&str],
    url_lines: &[UrlLine],
    spans: &[Vec<std::ops::Range<usize>>],
    doc: &mut Document,
) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut glyphs = 0usize;
    let mut reference: Option<(usize, usize)> = None;
    for (i, raw) in lines.iter().enumerate() {
        let no = doc.line_no(i);
        if url_lines[i] == UrlLine::Reference {
            reference = Some(reference.map_or((no, no), |(a, _)| (a, no)));
            blocks.extend(current.take());
            continue;
        }
        if let Some((a, b)) = reference.take() {
            let lines = if a == b {
                format!("line {a}")
            } else {
                format!("lines {a}-{b}")
            };
            doc.skipped
                .push(format!("{lines}: numbered reference-list entry"));
        }
        let stripped = match url_lines[i] {
            UrlLine::Mixed => text_without_urls(raw.trim_end(), &spans[i]),
            _ => Some(raw.to_string()),
        };
        let Some(stripped) = stripped else {
            blocks.extend(current.take());
            continue;
        };
        let trimmed = stripped.trim();
        if url_lines[i] == UrlLine::OnlyUrls || trimmed.is_empty() {
            blocks.extend(current.take());
            continue;
        }
        if is_page_number(trimmed) {
            doc.skipped.push(format!(
                "line {no}: page or slide number '{trimmed}' removed"
            ));
            blocks.extend(current.take());
            blocks.push(Block {
                lines: vec![(i, trimmed.to_string())],
                bullet: false,
                page_number: true,
            });
            continue;
        }
        if let Some(rest) = strip_bullet(trimmed) {
            glyphs += 1;
            blocks.extend(current.take());
            current = Some(Block {
                lines: vec![(i, rest.to_string())],
                bullet: true,
                page_number: false,
            });
            continue;
        }
        match current.as_mut() {
            Some(b) => b.lines.push((i, trimmed.to_string())),
            None => {
                current = Some(Block {
                    lines: vec![(i, trimmed.to_string())],
                    bullet: false,
                    page_number: false,
                })
            }
        }
    }
    blocks.extend(current.take());
    if let Some((a, b)) = reference {
        doc.skipped
            .push(format!("lines {a}-{b}: numbered reference-list entry"));
    }
    if glyphs > 0 {
        doc.skipped
            .push(format!("{glyphs} bullet glyphs removed at line starts"));
    }
    blocks
}

/// A block's lines joined with single spaces, and where each line starts in the result.
fn join_lines(lines: &[(usize, String)]) -> (String, Vec<(usize, usize)>) {
    let mut out = String::new();
    let mut starts = Vec::new();
    for (no, line) in lines {
        let line = line.trim();
        if out.is_empty() {
            starts.push((0, *no));
            out.push_str(line);
            continue;
        }
        if out.ends_with('\u{ad}') {
            // A soft hyphen at a line end always splits a word.
            out.pop();
        } else if hyphen_splits_word(&out, line) {
            out.pop();
        } else if !(out.ends_with('-') && glued_after_hyphen(&out, line)) {
            out.push(' ');
        }
        starts.push((out.len(), *no));
        out.push_str(line);
    }
    (out, starts)
}

/// `samen-` + `werking`: a letter, a hyphen at the line end, and a lower-case word that is
/// not a coordinator (`wet-` + `en regelgeving` keeps its hyphen and space).
fn hyphen_splits_word(before: &str, next_line: &str) -> bool {
    let mut back = before.chars().rev();
    if back.next() != Some('-') || !back.next().is_some_and(char::is_alphabetic) {
        return false;
    }
    let word: String = next_line
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    word.chars().next().is_some_and(char::is_lowercase) && !COORDINATORS.contains(&word.as_str())
}

/// `Noord-` + `Holland`: a hyphenated compound broken after its hyphen; keep the hyphen
/// and add no space.
fn glued_after_hyphen(before: &str, next_line: &str) -> bool {
    let mut back = before.chars().rev();
    back.next();
    back.next().is_some_and(char::is_alphabetic)
        && next_line
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------
// Quotations and headings

/// What a block turned out to be, in document order.
#[derive(Debug, Clone)]
enum Event {
    /// A heading: (line, text without glued slide number).
    Heading(usize, String),
    /// A quotation (index into `doc.quotes`).
    Quote(usize),
    /// A page number between headings, kept to name it in warnings.
    Number(usize, String),
}

/// Is this block a heading? Returns its text without a glued slide number.
/// A heading split over two lines counts when a quotation follows it.
fn heading_text(block: &Block, quote_follows: bool, doc: &mut Document) -> Option<String> {
    if block.bullet || block.lines.is_empty() || block.lines.len() > 2 {
        return None;
    }
    let joined;
    let line = if block.lines.len() == 2 {
        let first = block.lines[0].1.trim();
        let (text, _) = join_lines(&block.lines);
        let last_word = text.split_whitespace().next_back().unwrap_or("");
        if !quote_follows
            || first.ends_with(['.', ',', ';', ':', '!', '?'])
            || COORDINATORS.contains(&last_word.to_lowercase().as_str())
        {
            return None;
        }
        joined = text;
        joined.as_str()
    } else {
        block.lines[0].1.trim()
    };
    let no = doc.line_no(block.lines[0].0);
    if line.chars().count() > HEADING_MAX_CHARS
        || line.split_whitespace().count() > HEADING_MAX_WORDS
        || line.ends_with(['.', ',', ';', ':', '!', '?']) && !line.ends_with("...")
    {
        return None;
    }
    let scan = quotemarks::scan(line);
    if !scan.quotations.is_empty() || !scan.stray_closers.is_empty() {
        return None;
    }
    // `4Werk in de geest van…`, `1. Ken elkaars belangen`, `2) Durf te leren`.
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = &line[digits..];
    let text = if digits > 0 && digits <= 2 {
        let rest = rest.strip_prefix(['.', ')']).unwrap_or(rest);
        let text = rest.trim_start();
        if rest.starts_with(char::is_uppercase) {
            doc.skipped.push(format!(
                "line {no}: slide number '{}' glued to the heading removed",
                &line[..digits]
            ));
        }
        text
    } else {
        line
    };
    text.starts_with(char::is_uppercase)
        .then(|| text.to_string())
}

/// Read quotations and headings out of the blocks.
fn read_blocks(blocks: Vec<Block>, doc: &mut Document) -> Vec<Event> {
    let mut events = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let mut block = blocks[i].clone();
        i += 1;
        let first_no = doc.line_no(block.lines[0].0);
        if block.page_number {
            events.push(Event::Number(first_no, block.lines[0].1.clone()));
            continue;
        }
        let quote_follows = blocks[i..]
            .iter()
            .find(|b| !b.page_number)
            .is_some_and(|b| b.bullet || b.lines.iter().any(|(_, l)| l.contains(is_quote_mark)));
        if let Some(h) = heading_text(&block, quote_follows, doc) {
            events.push(Event::Heading(first_no, h));
            continue;
        }
        let (mut text, mut starts) = join_lines(&block.lines);
        let mut scan = quotemarks::scan(&text);
        // A quotation still open at the block's end continues into the next block when
        // that one carries on the sentence (a page break inside a quote); page numbers in
        // between are skipped.
        while open_at_end(&scan.quotations, &text) {
            let mut j = i;
            while blocks.get(j).is_some_and(|b| b.page_number) {
                j += 1;
            }
            let Some(next) = blocks.get(j).filter(|b| !b.bullet && continues_quote(b)) else {
                break;
            };
            let end_line = doc.line_no(block.lines.last().map_or(0, |l| l.0));
            doc.warnings.push(format!(
                "line {}: a quotation runs over a break; joined with line {}",
                end_line,
                doc.line_no(next.lines[0].0)
            ));
            block.lines.extend(next.lines.iter().cloned());
            i = j + 1;
            (text, starts) = join_lines(&block.lines);
            scan = quotemarks::scan(&text);
        }
        let found = quotes_in_block(&block, &text, &starts, &scan, doc);
        if found.is_empty() {
            let first = doc.line_no(block.lines[0].0);
            let last = doc.line_no(block.lines.last().map_or(0, |l| l.0));
            let lines = if first == last {
                format!("line {first}")
            } else {
                format!("lines {first}-{last}")
            };
            doc.skipped.push(format!(
                "{lines}: text outside quotation marks: '{}'",
                shorten(&text, 60)
            ));
        }
        for q in found {
            events.push(Event::Quote(doc.quotes.len()));
            doc.quotes.push(q);
        }
    }
    events
}

/// Does the outermost quotation of this block run to its end unclosed?
fn open_at_end(quotes: &[Quotation], text: &str) -> bool {
    quotes
        .iter()
        .any(|q| q.depth == 0 && q.close.is_none() && q.content.end >= text.trim_end().len())
}

/// Does this block carry on a sentence (starts in lower case, or ends in a closer that no
/// opener in it matches)?
fn continues_quote(next: &Block) -> bool {
    let (text, _) = join_lines(&next.lines);
    let lower = text.chars().next().is_some_and(char::is_lowercase);
    lower || !quotemarks::scan(&text).stray_closers.is_empty()
}

/// The line number where byte `pos` of a joined block lies.
fn line_at(starts: &[(usize, usize)], pos: usize) -> usize {
    starts
        .iter()
        .take_while(|(off, _)| *off <= pos)
        .last()
        .map_or(0, |&(_, no)| no)
}

/// White space collapsed, footnote markers (`[1]`, superscript digits) removed.
fn clean_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '^' {
            let inner = rest[1..].chars().take_while(char::is_ascii_digit).count();
            if inner > 0 && inner <= 3 {
                rest = &rest[inner + 1..];
                continue;
            }
        }
        if c == '[' {
            let inner: String = rest[1..].chars().take_while(char::is_ascii_digit).collect();
            if !inner.is_empty() && inner.len() <= 3 && rest[1 + inner.len()..].starts_with(']') {
                rest = &rest[inner.len() + 2..];
                continue;
            }
        }
        if !"¹²³⁰⁴⁵⁶⁷⁸⁹".contains(c) {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Is everything after byte `pos` only white space and footnote markers?
fn only_footnotes_after(text: &str, pos: usize) -> bool {
    text.get(pos..).is_some_and(|s| {
        clean_quote(s)
            .trim_matches(|c: char| c == '.' || c == ',')
            .is_empty()
    })
}

/// The quotations of one block.
fn quotes_in_block(
    block: &Block,
    text: &str,
    starts: &[(usize, usize)],
    scan: &quotemarks::QuoteScan,
    doc: &mut Document,
) -> Vec<DocQuote> {
    let mut out = Vec::new();
    let first_idx = block.lines[0].0;
    for q in scan.quotations.iter().filter(|q| q.depth == 0) {
        let idx = line_at(starts, q.open.start);
        let line = doc.line_no(idx);
        let mut content = q.content.clone();
        let mut marker = None;
        if q.close.is_none() {
            // `“… sneller[3]` then no closer: the footnote marker ends the quotation.
            if let Some((at, n)) = first_marker(&text[content.clone()]) {
                content = content.start..content.start + at;
                marker = Some(n);
                doc.warnings.push(format!(
                    "line {line}: quotation has no closing mark; taken up to its footnote \
                     marker {n}"
                ));
            } else if !(block.bullet || q.open.start == 0) {
                doc.skipped.push(format!(
                    "line {line}: opening mark without a closing mark inside running text: '{}'",
                    shorten(&clean_quote(&text[content]), 60)
                ));
                continue;
            } else {
                doc.warnings.push(format!(
                    "line {line}: quotation has no closing mark; taken to the end of its \
                     paragraph"
                ));
            }
        }
        let body = clean_quote(&text[content.clone()]);
        let end = q.close.as_ref().map_or(content.end, |c| c.end);
        let whole_block = q.open.start == 0 && only_footnotes_after(text, end);
        let words = body.split_whitespace().count();
        if words == 0 {
            continue;
        }
        if words < MIN_EMBEDDED_QUOTE_WORDS && !whole_block {
            doc.skipped.push(format!(
                "line {line}: '{body}' is too short to be a citation ({words} words in running text)"
            ));
            continue;
        }
        if is_reference_title(&text[..q.open.start]) {
            doc.skipped.push(format!(
                "line {line}: '{}' is the title in a reference-list entry, not a quotation",
                shorten(&body, 60)
            ));
            continue;
        }
        marker = marker
            .or_else(|| trailing_marker(&text[content.clone()]))
            .or_else(|| footnote_marker(text[end..].trim_start_matches(' ')).map(|m| m.0));
        let end_idx = line_at(starts, end.saturating_sub(1));
        out.push(DocQuote {
            text: body,
            theme: None,
            line,
            end_line: doc.line_no(end_idx),
            marker,
            source: None,
            pairing: None,
            end_idx,
        });
    }
    // A bullet item (or a paragraph) that ends in a closing mark with no opener is a
    // quotation whose opener was lost in the export.
    if let Some(closer) = scan.stray_closers.last()
        && only_footnotes_after(text, closer.end)
        && (block.bullet || out.is_empty())
    {
        let from = scan
            .quotations
            .iter()
            .filter(|q| q.depth == 0 && q.outer().end <= closer.start)
            .map(|q| q.outer().end)
            .max()
            .unwrap_or(0);
        let body = clean_quote(&text[from..closer.start]);
        if !body.is_empty() {
            let idx = line_at(starts, from).max(first_idx);
            let line = doc.line_no(idx);
            doc.warnings.push(format!(
                "line {line}: closing mark without an opening mark; quotation taken from the \
                 start of the {}",
                if block.bullet {
                    "bullet item"
                } else {
                    "paragraph"
                }
            ));
            let end_idx = line_at(starts, closer.start);
            out.push(DocQuote {
                text: body,
                theme: None,
                line,
                end_line: doc.line_no(end_idx),
                marker: trailing_marker(&text[from..closer.start]).or_else(|| {
                    footnote_marker(text[closer.end..].trim_start_matches(' ')).map(|m| m.0)
                }),
                source: None,
                pairing: None,
                end_idx,
            });
        }
    }
    out
}

/// The first footnote marker glued to a word in `s` (`sneller[3]`, `sneller³`,
/// `sneller^3`): its byte offset and number.
fn first_marker(s: &str) -> Option<(usize, u32)> {
    let mut prev: Option<char> = None;
    for (k, c) in s.char_indices() {
        if (c == '[' || c == '^' || SUPERSCRIPTS.contains(c))
            && prev.is_some_and(|p| !p.is_whitespace())
            && let Some((n, _)) = footnote_marker(&s[k..])
        {
            return Some((k, n));
        }
        prev = Some(c);
    }
    None
}

/// A footnote marker at the end of a quotation's words (`…werk.[3]`, `…werk¹`).
fn trailing_marker(s: &str) -> Option<u32> {
    let t = s.trim_end().trim_end_matches(['.', ',', ';']);
    if t.ends_with(']') {
        let open = t.rfind('[')?;
        return footnote_marker(&t[open..]).map(|m| m.0);
    }
    let sup: String = t
        .chars()
        .rev()
        .take_while(|&c| SUPERSCRIPTS.contains(c))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    superscript_value(&sup)
}

/// Does the text before a quotation read like the start of a reference-list entry
/// (authors, then a year: `Jansen, P. (2021). “…”`, `Müller, K. 2019: „…“`)?
fn is_reference_title(before: &str) -> bool {
    let t = before.trim_end().trim_end_matches(['.', ',', ':', ' ']);
    let t = t.strip_suffix(')').unwrap_or(t);
    let year: String = t
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let digits: String = year.chars().take_while(char::is_ascii_digit).collect();
    let is_year = digits.len() == 4
        && year.len() <= 5
        && (digits.starts_with("19") || digits.starts_with("20"));
    // An author's name with initials before the year: a comma in the entry.
    is_year && t.contains(',')
}

/// At most `max` characters of `s`, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Give each quotation the heading above it. Several headings in a row share the
/// quotations that follow evenly, in order (a best guess, with a warning).
fn assign_themes(events: Vec<Event>, doc: &mut Document) {
    let mut current: Option<String> = None;
    let mut k = 0;
    while k < events.len() {
        // Collect a run of headings (and numbers between them).
        let mut headings: Vec<(usize, String)> = Vec::new();
        let mut numbers: Vec<(usize, String)> = Vec::new();
        while let Some(e) = events.get(k) {
            match e {
                Event::Heading(n, t) => headings.push((*n, t.clone())),
                Event::Number(n, t) => numbers.push((*n, t.clone())),
                Event::Quote(_) => break,
            }
            k += 1;
        }
        let mut quotes = Vec::new();
        while let Some(Event::Quote(q)) = events.get(k) {
            quotes.push(*q);
            k += 1;
        }
        if headings.is_empty() {
            // Only a page number since the last quotation: the theme carries on.
            for q in quotes {
                if let Some(dq) = doc.quotes.get_mut(q) {
                    dq.theme.clone_from(&current);
                }
            }
            continue;
        }
        current = headings.last().map(|(_, t)| t.clone());
        let per = quotes.len().div_ceil(headings.len()).max(1);
        let base = quotes.len() / headings.len();
        let extra = quotes.len() % headings.len();
        let mut q_iter = quotes.iter();
        for (h_idx, (_, title)) in headings.iter().enumerate() {
            let take = if headings.len() == 1 {
                quotes.len()
            } else {
                base + usize::from(h_idx < extra)
            };
            for q in q_iter.by_ref().take(take) {
                if let Some(dq) = doc.quotes.get_mut(*q) {
                    dq.theme = Some(title.clone());
                }
            }
        }
        if headings.len() > 1 && !quotes.is_empty() {
            let names: Vec<String> = headings
                .iter()
                .map(|(n, t)| format!("line {n} '{t}'"))
                .chain(numbers.iter().map(|(n, t)| format!("line {n} '{t}'")))
                .collect();
            doc.warnings.push(format!(
                "{} headings in a row ({}) above {} quotations: ambiguous layout; guessed \
                 about {} quotation(s) per heading, in order; check the themes",
                headings.len(),
                names.join(", "),
                quotes.len(),
                per
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::model::Pairing;

    const SEED: &[u8] = include_bytes!("testdata/interbestuurlijk-samenwerken.txt");

    fn norm(s: &str) -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_matches(|c: char| "‘’“”„'\"«»".contains(c))
            .to_string()
    }

    #[test]
    fn seed_gives_its_twelve_quotations_with_themes() {
        let doc = ingest_document(SEED).unwrap();
        // Hand-checked: each seed quotation's lines joined with single spaces.
        let expected: [(&str, &str, usize); 12] = [
            (
                "Het is belangrijk om van elkaar te weten welke belangen je hebt om wél of juist niet samen te werken.",
                "Ken elkaars belangen",
                11,
            ),
            (
                "Het helpt gemeenten niet als de Tweede Kamer steeds weer aanslaat op casuïstiek, en daarmee allerlei processen doorkruist.",
                "Ken elkaars belangen",
                15,
            ),
            (
                "Als bestuurders en ambtenaren denken we vaak dat alleen de overheid het algemeen belang kan dienen. Maar dat is zo’n pertinente misvatting.",
                "Ken elkaars belangen",
                19,
            ),
            (
                "Als je denkt in mogelijkheden en kansen, kun je heel ver komen.",
                "Werk in de geest van…",
                26,
            ),
            (
                "Wij zijn zo gewend om in wet- en regelgeving te denken, in ‘kan niet, lukt niet’. Maar je moet flexibel kunnen zijn. Als overheid alles bepalen, is niet meer van onze tijd.",
                "Werk in de geest van…",
                28,
            ),
            (
                "Zorg dat je de bestaande wet- en regelgeving goed kent; dan kun je ook beter werken in de geest van de wet. En heb je meestal geen nieuwe regelgeving nodig om maatwerk te leveren.",
                "Werk in de geest van…",
                32,
            ),
            (
                "Er bestaat een fundamentele spanning tussen de primair rationeel opererende overheid, en de primair emotioneel handelende burgers.",
                "Het blijft mensenwerk",
                44,
            ),
            (
                "Ik vind dat we geweldig samenwerken, binnen een stelsel dat samenwerking vrijwel onmogelijk maakt.",
                "Het blijft mensenwerk",
                49,
            ),
            (
                "Blijkbaar is de behoefte aan rust, overzicht en efficiëntie, belangrijker dan het eindproduct voor de klant. Dat zou wel een heel trieste conclusie zijn.",
                "Het blijft mensenwerk",
                53,
            ),
            (
                "Zorg dat je leren tot een integraal onderdeel van opgavegericht werken maakt.",
                "Durf te leren",
                58,
            ),
            (
                "Als overheid hebben wij altijd geredeneerd vanuit beleidskaders met weinig speelruimte. Nu de deur openzetten voor innovatieve ideeën is dan ook een heel omslagpunt.",
                "Durf te leren",
                61,
            ),
            (
                "Door nu te experimenteren en erachter te komen wat wel en niet werkt, hopen we straks goede keuzes te kunnen maken, die op veel draagvlak mogen rekenen.",
                "Durf te leren",
                65,
            ),
        ];
        assert_eq!(doc.quotes.len(), 12, "{:#?}", doc.quotes);
        for (q, (text, theme, line)) in doc.quotes.iter().zip(expected) {
            assert_eq!(norm(&q.text), text);
            assert_eq!(q.theme.as_deref(), Some(theme), "{text}");
            assert_eq!(q.line, line, "{text}");
        }
        // The guess over the heading run is flagged, naming its lines.
        let w = doc
            .warnings
            .iter()
            .find(|w| w.contains("headings in a row"))
            .unwrap();
        for part in ["line 36", "line 38", "line 40 '3'", "line 42 '2'"] {
            assert!(w.contains(part), "{w}");
        }
        // Two quotations had lost their opener.
        assert_eq!(
            doc.warnings
                .iter()
                .filter(|w| w.contains("without an opening mark"))
                .count(),
            2
        );
    }

    #[test]
    fn seed_gives_its_twelve_urls() {
        let doc = ingest_document(SEED).unwrap();
        assert_eq!(doc.urls.len(), 12);
        let lines: Vec<usize> = doc.urls.iter().map(|u| u.line).collect();
        assert_eq!(lines, (69..=80).collect::<Vec<_>>());
        let mut unique: Vec<&str> = doc.urls.iter().map(|u| u.url.as_str()).collect();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 11);
        assert_eq!(doc.urls[1].url, doc.urls[7].url);
        assert_eq!(
            doc.urls[6].url,
            "https://www.overheidvannu.nl/actueel/artikelen/2020/11/28/%E2%80%98gewetensvol-en-down-to-earth-maar-nauwelijks-leervermogen%E2%80%99-%E2%80%93-gabriel-van-den-brink-over-de-hedendaagse-ambtenaar"
        );
        assert_eq!(
            doc.urls[0].url,
            "https://www.overheidvannu.nl/actueel/artikelen/2020/11/02/condities-voor-goede-samenwerking.-volgens-socioloog-vincent-buskens"
        );
        assert!(
            doc.summary()
                .starts_with("12 URLs (11 unique), 12 quotations under 4 themes")
        );
    }

    #[test]
    fn seed_skips_title_and_numbers() {
        let doc = ingest_document(SEED).unwrap();
        let skipped = doc.skipped.join("\n");
        assert!(
            skipped.contains("line 40: page or slide number '3'"),
            "{skipped}"
        );
        assert!(
            skipped.contains("line 42: page or slide number '2'"),
            "{skipped}"
        );
        assert!(
            skipped.contains("lines 2-3: text outside quotation marks"),
            "{skipped}"
        );
        assert!(skipped.contains("line 24: slide number '4'"), "{skipped}");
        assert!(skipped.contains("line 36: slide number '1'"), "{skipped}");
    }

    #[test]
    fn report_layout_with_straight_quotes_page_break_and_footnotes() {
        let doc = ingest_document(include_bytes!("testdata/rapport-straight-quotes.txt")).unwrap();
        let got: Vec<(String, Option<&str>, usize)> = doc
            .quotes
            .iter()
            .map(|q| (q.text.clone(), q.theme.as_deref(), q.line))
            .collect();
        let want: Vec<(String, Option<&str>, usize)> = vec![
            ("De samenwerking tussen gemeente en provincie is de afgelopen jaren sterk verbeterd, maar de wet- en regelgeving blijft een obstakel.".into(), Some("Samenwerking in de regio"), 5),
            ("We moeten van elkaar leren en durven loslaten.".into(), Some("Samenwerking in de regio"), 9),
            ("Wie de ‘kleine kernen’ vergeet, verliest het vertrouwen van de inwoners.".into(), Some("Samenwerking in de regio"), 11),
            ("Zonder samenwerking tussen Rijk, provincie en gemeenten komt er van de energietransitie niets terecht; dat weet iedereen, ook in Den Haag.".into(), Some("Rijk en regio"), 18),
            ("Wij kiezen bewust voor een aanpak die in Noord-Holland al werkt.".into(), Some("Rijk en regio"), 25),
            ("Nous travaillons ensemble.".into(), Some("Rijk en regio"), 28),
        ];
        assert_eq!(got, want, "{:#?}", doc);
        let skipped = doc.skipped.join("\n");
        assert!(skipped.contains("'maatwerk' is too short"), "{skipped}");
        assert!(skipped.contains("page or slide number '7'"), "{skipped}");
        assert!(doc.warnings.iter().any(|w| w.contains("runs over a break")));
    }

    #[test]
    fn urls_split_over_lines_and_in_prose() {
        let doc = ingest_document(include_bytes!("testdata/bronnen-urls.txt")).unwrap();
        let urls: Vec<(&str, usize)> = doc.urls.iter().map(|u| (u.url.as_str(), u.line)).collect();
        assert_eq!(
            urls,
            vec![
                (
                    "https://www.rijksoverheid.nl/documenten/rapporten/2021/03/15/samenwerken-in-de-regio",
                    3
                ),
                ("https://nl.wikipedia.org/wiki/Thorbecke_(politicus)", 5),
                ("http://example.org/a?b=1&c=%20x", 6),
                (
                    "https://www.vng.nl/artikelen/interbestuurlijke-samenwerking-in-de-praktijk-een-handreiking-voor-gemeenten",
                    8
                ),
                (
                    "https://www.overheidvannu.nl/actueel/artikelen/2020/10/27/van-uitzondering-naar-standaard-de-opmars-van-maatwerk-in-friesland",
                    10
                ),
                (
                    "https://www.rijksoverheid.nl/documenten/rapporten/2021/03/15/samenwerken-in-de-regio",
                    13
                ),
                ("https://example.com/pad/", 15),
            ]
        );
        assert_eq!(
            doc.warnings
                .iter()
                .filter(|w| w.contains("joined as"))
                .count(),
            2
        );
        assert!(doc.warnings.iter().any(|w| {
            w.contains("line 15: URL ends at the line end and line 16 might continue it")
        }));
        assert!(
            doc.skipped
                .iter()
                .any(|s| s.contains("'www.binnenlandsbestuur.nl' has no http(s)"))
        );
        assert!(doc.quotes.is_empty());
    }

    #[test]
    fn text_without_quotations() {
        let doc = ingest_document(include_bytes!("testdata/zonder-citaten.txt")).unwrap();
        assert!(doc.quotes.is_empty());
        assert_eq!(doc.urls.len(), 1);
        assert!(
            doc.skipped
                .iter()
                .any(|s| s.contains("text outside quotation marks"))
        );
    }

    #[test]
    fn crlf_bom_and_double_quotes() {
        let doc = ingest_document(include_bytes!("testdata/crlf-bom.txt")).unwrap();
        let got: Vec<(&str, Option<&str>, usize)> = doc
            .quotes
            .iter()
            .map(|q| (q.text.as_str(), q.theme.as_deref(), q.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Een goede buur is beter dan een verre vriend.",
                    Some("Buren"),
                    3
                ),
                (
                    "Samen komen we verder dan alleen, ook als het ‘schuurt’.",
                    Some("Buren"),
                    5
                ),
                ("Il faut oser apprendre.", Some("Leren"), 9),
            ]
        );
        assert_eq!(doc.urls.len(), 1);
        assert_eq!(doc.urls[0].line, 11);
    }

    #[test]
    fn binary_file_is_an_error() {
        let err = ingest_document(include_bytes!("testdata/binary.bin")).unwrap_err();
        assert_eq!(err, IngestError::Binary { offset: 4, line: 1 });
        assert!(err.to_string().contains("byte offset 4"));
        let ctl = ingest_document(b"\x01\x02\x03\x04abc\x05\x06").unwrap_err();
        assert!(matches!(
            ctl,
            IngestError::MostlyControl {
                control: 6,
                total: 9,
                offset: 0,
                line: 1
            }
        ));
        let pdf = ingest_document(b"%PDF-1.7\n...").unwrap_err();
        assert!(pdf.to_string().contains("PDF"));
    }

    #[test]
    fn non_utf8_file_is_an_error_naming_the_place() {
        let err = ingest_document(include_bytes!("testdata/latin1.txt")).unwrap_err();
        assert_eq!(
            err,
            IngestError::NotUtf8 {
                byte: 0xEB,
                offset: 40,
                line: 3,
                column: 11
            }
        );
        assert!(err.to_string().contains("line 3, column 11"));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "‘Dit is een citaat van drie.’\n".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        let doc = ingest_document(&bytes).unwrap();
        assert_eq!(doc.quotes.len(), 1);
        assert_eq!(doc.quotes[0].text, "Dit is een citaat van drie.");
        assert_eq!(ingest_document(b"").unwrap_err(), IngestError::Empty);
    }

    #[test]
    fn hyphen_joins_only_split_words() {
        let lines = vec![
            (1, "de samen-".to_string()),
            (2, "werking en de wet-".to_string()),
            (3, "en regelgeving in Noord-".to_string()),
            (4, "Holland".to_string()),
        ];
        let (text, starts) = join_lines(&lines);
        assert_eq!(
            text,
            "de samenwerking en de wet- en regelgeving in Noord-Holland"
        );
        assert_eq!(line_at(&starts, text.find("Holland").unwrap_or(0)), 4);
    }

    #[test]
    fn url_trimming() {
        assert_eq!(trim_url("https://x.nl/a."), "https://x.nl/a");
        assert_eq!(trim_url("https://x.nl/a_(b))."), "https://x.nl/a_(b)");
        assert_eq!(trim_url("https://x.nl/a),"), "https://x.nl/a");
        assert_eq!(
            trim_url("https://x.nl/?q=1&r=%E2%80%98"),
            "https://x.nl/?q=1&r=%E2%80%98"
        );
    }

    #[test]
    fn page_numbers() {
        for yes in ["3", " 12 ", "- 4 -", "12/40", "pagina 7", "Pagina 12"] {
            assert!(is_page_number(yes), "{yes}");
        }
        for no in ["3 redenen", "2020-2021", "Q4", "a"] {
            assert!(!is_page_number(no), "{no}");
        }
    }

    fn quotes_of(text: &str) -> Vec<(String, Option<String>, Option<&'static str>)> {
        read_text(text)
            .quotes
            .into_iter()
            .map(|q| (q.text, q.source, q.pairing.map(Pairing::as_str)))
            .collect()
    }

    #[test]
    fn every_quote_mark_family() {
        let text = "Mark families\n\n\
            ‘Een citaat met enkele aanhalingstekens hier.’\n\n\
            “Een citaat met dubbele aanhalingstekens hier.”\n\n\
            Er sagte: „Ein Zitat mit deutschen Zeichen hier.“\n\n\
            Er sagte: ‚Ein Zitat mit einfachen deutschen Zeichen.‘\n\n\
            Il a dit\u{a0}: «\u{202f}Une citation avec des guillemets ici.\u{202f}»\n\n\
            Il a dit : ‹ Une citation avec des chevrons simples. ›\n\n\
            He said \"a quotation in straight double marks\" today.\n\n\
            He said 'a quotation in straight single marks' today.\n\n\
            Hij zei ,,een citaat met Nederlandse openingstekens”.\n\n\
            Hij zei ,,een citaat met twee enkele sluittekens''.\n";
        let got: Vec<String> = quotes_of(text).into_iter().map(|q| q.0).collect();
        assert_eq!(
            got,
            [
                "Een citaat met enkele aanhalingstekens hier.",
                "Een citaat met dubbele aanhalingstekens hier.",
                "Ein Zitat mit deutschen Zeichen hier.",
                "Ein Zitat mit einfachen deutschen Zeichen.",
                "Une citation avec des guillemets ici.",
                "Une citation avec des chevrons simples.",
                "a quotation in straight double marks",
                "a quotation in straight single marks",
                "een citaat met Nederlandse openingstekens",
                "een citaat met twee enkele sluittekens",
            ]
        );
    }

    #[test]
    fn urls_continued_after_slash_hyphen_underscore_and_in_brackets() {
        let doc = read_text(
            "Zie https://www.bbc.example/news/\nworld-europe-12345678 en verder.\n\n\
             Rapport <https://www.example.org/rapport-\nsamen-werken-2021>, p. 3.\n\n\
             Data: https://data.example/set_\nversie_2 hier.\n\n\
             Website https://www.example.com/pad/\nVervolg van de zin op de volgende regel.\n",
        );
        let urls: Vec<&str> = doc.urls.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://www.bbc.example/news/world-europe-12345678",
                "https://www.example.org/rapport-samen-werken-2021",
                "https://data.example/set_versie_2",
                "https://www.example.com/pad/",
            ]
        );
    }

    #[test]
    fn a_quotes_last_line_may_hold_its_url() {
        let got = quotes_of(
            "“We will not wait for the money, we will start with\n\
             what we have and ask them.” (https://www.example.org/a/b).\n\n\
             ‘Elke gemeente moet meedoen aan de regionale\n\
             planning.’ Source: https://www.example.nl/c\n",
        );
        assert_eq!(
            got,
            [
                (
                    "We will not wait for the money, we will start with what we have and ask them."
                        .to_string(),
                    Some("https://www.example.org/a/b".to_string()),
                    Some("adjacent")
                ),
                (
                    "Elke gemeente moet meedoen aan de regionale planning.".to_string(),
                    Some("https://www.example.nl/c".to_string()),
                    Some("adjacent")
                ),
            ]
        );
    }

    #[test]
    fn footnote_markers_of_every_form_resolve_in_the_reference_list() {
        let got = quotes_of(
            "“Het eerste citaat van vier woorden.”¹\n\n\
             “Het tweede citaat van vier woorden.”[2]\n\n\
             “Het derde citaat van vier woorden.”^3\n\n\
             “Het vierde citaat van vier woorden.” (4)\n\n\
             “Het vijfde citaat zonder sluitteken[5] en daarna gewone tekst.\n\n\
             Noten\n\n\
             ¹ https://a.example/een\n\
             [2] Jansen, P. (2021). “Een titel die geen citaat is”.\n\
             https://b.example/twee\n\
             ^3 https://c.example/drie\n\
             (4) https://d.example/vier\n\
             5. https://e.example/vijf\n",
        );
        let want = [
            (
                "Het eerste citaat van vier woorden.",
                "https://a.example/een",
            ),
            (
                "Het tweede citaat van vier woorden.",
                "https://b.example/twee",
            ),
            (
                "Het derde citaat van vier woorden.",
                "https://c.example/drie",
            ),
            (
                "Het vierde citaat van vier woorden.",
                "https://d.example/vier",
            ),
            (
                "Het vijfde citaat zonder sluitteken",
                "https://e.example/vijf",
            ),
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, (text, url)) in got.iter().zip(want) {
            assert_eq!(g.0, text);
            assert_eq!(g.1.as_deref(), Some(url), "{text}");
            assert_eq!(g.2, Some("footnote"), "{text}");
        }
    }

    #[test]
    fn reference_list_titles_are_no_quotations() {
        let doc = read_text(
            "Literatuur\n\n\
             Müller, K. (2019). „Kommunen im Wandel der Zeit“. https://www.example.de/k\n",
        );
        assert!(doc.quotes.is_empty(), "{:#?}", doc.quotes);
        assert!(
            doc.skipped
                .iter()
                .any(|s| s.contains("reference-list entry"))
        );
    }

    #[test]
    fn in_order_needs_as_many_urls_as_quotations() {
        let text = "• “Het eerste citaat van vier woorden.”\n\n\
                    • “Het tweede citaat van vier woorden.”\n\n\
                    https://a.example/een\nhttps://b.example/twee\n";
        let got = quotes_of(text);
        assert_eq!(got[0].1.as_deref(), Some("https://a.example/een"));
        assert_eq!(got[1].1.as_deref(), Some("https://b.example/twee"));
        assert!(got.iter().all(|q| q.2 == Some("in_order")));
        // Three URLs after two quotations: no guess.
        let doc = read_text(&format!("{text}https://c.example/drie\n"));
        assert!(doc.quotes.iter().all(|q| q.source.is_none()));
        assert_eq!(doc.unpaired.len(), 2);
        assert!(
            doc.unpaired[0].1.contains("counts differ"),
            "{:?}",
            doc.unpaired
        );
        assert_eq!(doc.unpaired[0].0, 1);
    }

    #[test]
    fn a_url_before_the_quotation_on_its_line_is_not_its_citation() {
        let got = quotes_of("Zie https://a.example/x voor: “Een citaat van meer woorden hier.”\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, None);
    }

    #[test]
    fn no_convention_leaves_the_source_empty_and_says_why() {
        let doc = read_text(
            "Titel\n\n“Een citaat zonder enige bron erbij.”\n\n\
             In de tekst staat ergens https://a.example/x als voorbeeld.\n",
        );
        assert_eq!(doc.quotes.len(), 1);
        assert_eq!(doc.quotes[0].source, None);
        assert_eq!(doc.unpaired.len(), 1);
        assert_eq!(doc.unpaired[0].0, 3);
    }

    #[test]
    fn two_line_headings_and_running_footers() {
        let doc = read_text(
            "Samenwerking tussen gemeenten\nen de provincie\n\n\
             • ‘Wij werken samen aan één plan voor de regio.’\n\
             Provincie Drenthe | www.drenthe.example\nPagina 1 van 3\n\x0c\
             • ‘Het tweede citaat van vier woorden hier.’\n\
             Provincie Drenthe | www.drenthe.example\nPagina 2 van 3\n\x0c\
             Provincie Drenthe | www.drenthe.example\nPagina 3 van 3\n",
        );
        let themes: Vec<Option<&str>> = doc.quotes.iter().map(|q| q.theme.as_deref()).collect();
        assert_eq!(
            themes,
            [Some("Samenwerking tussen gemeenten en de provincie"); 2],
            "{doc:#?}"
        );
    }

    #[test]
    fn html_in_a_legacy_charset_is_decoded() {
        let mut bytes = b"<html><head><meta charset=\"windows-1252\"></head><body><p>De wethouder: <q>Wij kiezen voor \xe9\xe9n plan</q> (<a href=\"https://a.example/x\">krant</a>).</p></body></html>".to_vec();
        let doc = ingest_file(std::path::Path::new("pagina.html"), &bytes).unwrap();
        assert_eq!(doc.quotes[0].text, "Wij kiezen voor één plan");
        assert_eq!(doc.quotes[0].source.as_deref(), Some("https://a.example/x"));
        bytes.clear();
        assert_eq!(
            ingest_file(std::path::Path::new("leeg.html"), &bytes).unwrap_err(),
            IngestError::Empty
        );
    }

    #[test]
    fn a_homepage_no_quotation_cites_is_no_source() {
        let doc = read_text(
            "“Een citaat met een eigen bron erbij.”\nBron: https://www.example.nl/artikel\n\n\
             Meer op https://www.example.nl/\n",
        );
        assert_eq!(doc.urls[0].role, UrlRole::Citation);
        assert_eq!(doc.urls[1].role, UrlRole::Homepage);
        assert!(doc.skipped.iter().any(|s| s.contains("home page")));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = ingest_document(&bytes);
        }

        #[test]
        fn never_panics_on_layouts(t in "(https://a.example/|Bron: |[a-zİ ]|[«»‹›„“”‘’,'\\[\\]^¹²()<>]|\u{a0}|\u{202f}|\u{c}|\n|   {10,30}|[0-9]|\\. ){0,80}") {
            let doc = read_text(&t);
            for q in &doc.quotes {
                proptest::prop_assert!(q.end_line >= q.line || q.end_line == 0);
                if let Some(src) = &q.source {
                    proptest::prop_assert!(doc.urls.iter().any(|u| &u.url == src));
                }
            }
        }

        #[test]
        fn quotes_are_clean_on_text(t in "[a-zA-Z0-9 ’‘“”'\"ü•§\n:/.h-]{0,200}") {
            if let Ok(doc) = ingest_document(t.as_bytes()) {
                for q in &doc.quotes {
                    proptest::prop_assert!(!q.text.is_empty());
                    proptest::prop_assert!(q.line >= 1);
                    proptest::prop_assert_eq!(q.text.split_whitespace().collect::<Vec<_>>().join(" "), q.text.clone());
                }
                for u in &doc.urls {
                    proptest::prop_assert!(u.url.starts_with("http"));
                }
            }
        }
    }
}

//! Which URL each quotation of a document cites, learned from the document's own layout.
//!
//! Takes a [`Document`] whose quotations and URLs have been read (with the line each one
//! stands on, in reading order) and fills in each quotation's `source` and `pairing`. The
//! rules, in the order they apply; none of them guesses:
//! - `footnote`: a marker after the quotation (`”[3]`, `”³`, `”^3`, `” (3)`) names a
//!   numbered entry of a reference list that holds a URL.
//! - `adjacent`: a URL on the quotation's last line, after its closing mark (`…them.” (https://…)`,
//!   `…’ Bron: https://…`), or alone on the next line that is not blank, with or without a
//!   label, when that line is not the first of a list of URLs.
//! - `in_order`: N quotations in a row (none paired by the rules above) followed by a list
//!   of exactly N URLs: the k-th quotation cites the k-th URL. A list of another length
//!   pairs nothing.
//!
//! A quotation no rule pairs keeps an empty `source`, and the reason goes to
//! [`Document::unpaired`]. A URL that is a site's home page (no path) and that no quotation
//! cites is marked [`UrlRole::Homepage`]: a letterhead or footer link, not a source.

use super::model::{Document, LineKind, Pairing, UrlRole};

/// Pair every quotation of `doc` with the URL it cites, where the document shows it.
pub(crate) fn pair(doc: &mut Document) {
    let mut used = vec![false; doc.urls.len()];
    footnotes(doc, &mut used);
    adjacent(doc, &mut used);
    in_order(doc, &mut used);
    homepages(doc, &used);
    let explained: Vec<usize> = doc.unpaired.iter().map(|(line, _)| *line).collect();
    for q in &doc.quotes {
        if q.source.is_some() || explained.contains(&q.line) {
            continue;
        }
        let reason = match q.marker {
            Some(n) => format!(
                "quotation '{}' has footnote marker {n}, but no reference-list entry {n} with a \
                 URL; source left empty",
                short(&q.text)
            ),
            None => format!(
                "quotation '{}' shows no citation: no URL right after it, no footnote marker, \
                 no list of as many URLs after the quotations; source left empty",
                short(&q.text)
            ),
        };
        doc.unpaired.push((q.line, reason));
    }
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// `footnote`: markers resolved against the numbered reference list.
fn footnotes(doc: &mut Document, used: &mut [bool]) {
    for q in &mut doc.quotes {
        let Some(n) = q.marker else { continue };
        if let Some((k, url)) = doc
            .urls
            .iter()
            .enumerate()
            .find(|(_, u)| u.reference == Some(n))
        {
            q.source = Some(url.url.clone());
            q.pairing = Some(Pairing::Footnote);
            used[k] = true;
        }
    }
}

/// How many URLs start on the run of URL-only lines that begins at line `from`.
fn run_len(doc: &Document, from: usize) -> usize {
    let mut end = from;
    while doc.kinds.get(end) == Some(&LineKind::Urls) {
        end += 1;
    }
    doc.urls
        .iter()
        .filter(|u| u.reference.is_none() && (from..end).contains(&u.idx))
        .count()
}

/// The first line after `idx` that is not blank.
fn next_filled(doc: &Document, idx: usize) -> Option<usize> {
    (idx + 1..doc.kinds.len()).find(|&j| doc.kinds[j] != LineKind::Blank)
}

/// `adjacent`: a URL on the quotation's last line, or alone on the next filled line.
fn adjacent(doc: &mut Document, used: &mut [bool]) {
    for k in 0..doc.quotes.len() {
        if doc.quotes[k].source.is_some() {
            continue;
        }
        let end = doc.quotes[k].end_idx;
        // Another quotation ending on the same line takes what follows it.
        let last_on_line = doc.quotes[k + 1..].iter().all(|q| q.end_idx != end);
        let free = |idx: usize, used: &[bool]| {
            doc.urls
                .iter()
                .enumerate()
                .find(|(u, url)| url.idx == idx && url.reference.is_none() && !used[*u])
                .map(|(u, _)| u)
        };
        let mut found = if last_on_line {
            free(end, used).filter(|&u| doc.urls[u].after_closer)
        } else {
            None
        };
        let mut next = next_filled(doc, end);
        // The rest of the attribution sentence (`the head librarian said.`) may stand
        // between the quotation and its URL.
        if let Some(j) = next
            && doc.kinds[j] == LineKind::Text
            && attribution_tail(&doc.texts[j])
            && !doc.quotes.iter().any(|q| q.end_idx == j)
        {
            next = next_filled(doc, j);
        }
        if found.is_none()
            && let Some(next) = next
            && doc.kinds[next] == LineKind::Urls
            && run_len(doc, next) == 1
        {
            found = free(next, used);
        }
        if let Some(u) = found {
            used[u] = true;
            doc.quotes[k].source = Some(doc.urls[u].url.clone());
            doc.quotes[k].pairing = Some(Pairing::Adjacent);
        }
    }
}

/// A short line that ends the sentence around a quotation: a few words, a full stop, no
/// quote mark.
fn attribution_tail(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.split_whitespace().count() <= 6
        && t.ends_with(['.', '!', '?'])
        && !t.contains(['‘', '’', '“', '”', '„', '«', '»', '"'])
}

/// `in_order`: a run of unpaired quotations, then a list of exactly as many URLs.
fn in_order(doc: &mut Document, used: &mut [bool]) {
    // Items in reading order: quotations waiting for a source, and lists of URLs.
    let mut pending: Vec<usize> = Vec::new();
    let mut idx = 0;
    let mut q = 0;
    while idx < doc.kinds.len() {
        while q < doc.quotes.len() && doc.quotes[q].end_idx < idx {
            if doc.quotes[q].source.is_none() {
                pending.push(q);
            } else {
                // A quotation paired by another rule ends the run.
                pending.clear();
            }
            q += 1;
        }
        if doc.kinds[idx] != LineKind::Urls {
            idx += 1;
            continue;
        }
        let mut end = idx;
        while doc.kinds.get(end) == Some(&LineKind::Urls) {
            end += 1;
        }
        let list: Vec<usize> = (0..doc.urls.len())
            .filter(|&u| {
                let url = &doc.urls[u];
                !used[u] && url.reference.is_none() && (idx..end).contains(&url.idx)
            })
            .collect();
        if list.len() >= 2 && !pending.is_empty() {
            if list.len() == pending.len() {
                for (&qk, &u) in pending.iter().zip(&list) {
                    used[u] = true;
                    doc.quotes[qk].source = Some(doc.urls[u].url.clone());
                    doc.quotes[qk].pairing = Some(Pairing::InOrder);
                }
            } else {
                let first = doc.line_no(idx);
                for &qk in &pending {
                    let line = doc.quotes[qk].line;
                    doc.unpaired.push((
                        line,
                        format!(
                            "quotation '{}': {} quotations are followed by a list of {} URLs \
                             (line {first}); the counts differ, so none is paired in order",
                            short(&doc.quotes[qk].text),
                            pending.len(),
                            list.len()
                        ),
                    ));
                }
            }
            pending.clear();
        }
        idx = end;
    }
}

/// Home-page URLs no quotation cites are no sources.
fn homepages(doc: &mut Document, used: &[bool]) {
    for (k, url) in doc.urls.iter_mut().enumerate() {
        if used[k] {
            continue;
        }
        let Ok(parsed) = url::Url::parse(&url.url) else {
            continue;
        };
        if parsed.path() == "/" && parsed.query().is_none() {
            url.role = UrlRole::Homepage;
            doc.skipped.push(format!(
                "line {}: {} is a site's home page that no quotation cites (a letterhead or \
                 footer link); left out of the sources",
                url.line, url.url
            ));
        }
    }
}
